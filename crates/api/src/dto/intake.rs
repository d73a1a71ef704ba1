//! What `POST /v1/intake` answers: drafts for an analyst to review and sign
//! (the shapes `corridor intake` prints).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// The text the drafts came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeSource {
    /// SHA-256 of the text's UTF-8 bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub outlet: Option<String>,
    pub url: Option<String>,
    #[schema(format = DateTime)]
    pub published: Option<String>,
}

/// A field to check before signing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeReview {
    /// A JSON Pointer (RFC 6901) into the draft's body.
    pub field: String,
    pub reason: String,
    /// `[start, end)` character offsets of the text it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<[usize; 2]>,
}

/// One drafted statement, never signed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeDraft {
    /// `claim.record` or `incident.report`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The statement body (brief §5); fields that could not be filled are
    /// left out and listed in `needs_review`.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// For each filled field (a JSON Pointer into `body`), the `[start, end)`
    /// character offsets (Unicode scalar values) of the text it came from.
    pub spans: BTreeMap<String, [usize; 2]>,
    pub needs_review: Vec<IntakeReview>,
    /// The matched place, alternative perpetrators, approximate figures and
    /// named sites, which the body cannot hold.
    #[schema(value_type = Object)]
    pub hints: serde_json::Value,
}

/// Drafts from one text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeResult {
    pub source: IntakeSource,
    pub drafts: Vec<IntakeDraft>,
    /// True when the text held more drafts than the limit and the rest were dropped.
    pub truncated: bool,
}

impl From<corridor_intake::Intake> for IntakeResult {
    fn from(i: corridor_intake::Intake) -> Self {
        Self {
            source: IntakeSource {
                sha256: i.source.sha256,
                outlet: i.source.outlet,
                url: i.source.url,
                published: i.source.published,
            },
            drafts: i
                .drafts
                .into_iter()
                .map(|d| IntakeDraft {
                    kind: d.kind.to_owned(),
                    body: d.body,
                    spans: d.spans,
                    needs_review: d
                        .needs_review
                        .into_iter()
                        .map(|r| IntakeReview { field: r.field, reason: r.reason, span: r.span })
                        .collect(),
                    hints: serde_json::Value::Object(d.hints),
                })
                .collect(),
            truncated: i.truncated,
        }
    }
}
