//! Intake: drafts `claim.record` and `incident.report` bodies (brief §5) from
//! the text of a news report or public statement, for an analyst to review,
//! edit and sign. It never signs and never submits.
//!
//! *Pure*: no I/O, no clock. The caller passes the text, the publication time
//! and the party aliases; [`draft`] returns drafts whose every filled field
//! points at the characters it came from (`spans`), and whose `needs_review`
//! names what could not be filled or is uncertain.
//!
//! The reading is rule-based, so that an analyst can predict it and a test can
//! hold it to a labelled corpus (`corpus/`, scored by [`score`]):
//! [`text`] (tokens, sentences, quotations), [`number`] (figures and their
//! qualifiers), [`when`] (dates relative to publication), [`gazetteer`]
//! (places, from GeoNames), [`claim`] (attribution and stance), [`incident`]
//! (events, tolls, perpetrators).

pub mod claim;
pub mod gazetteer;
pub mod incident;
pub mod number;
mod render;
pub mod score;
pub mod text;
pub mod when;
mod words;

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use gazetteer::Gazetteer;

/// The largest text accepted, in bytes (1 MB).
pub const MAX_TEXT_BYTES: usize = 1_000_000;
/// The most drafts one text yields; past it the rest are dropped and the
/// result says so.
pub const MAX_DRAFTS: usize = 1_000;
/// The most party aliases accepted.
pub const MAX_ALIASES: usize = 10_000;

/// Why a text or an option was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IntakeError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is more than {MAX_TEXT_BYTES} bytes (1 MB), the limit")]
    TooLarge(usize),
    #[error("the text is not UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("the text looks binary (a control byte 0x{byte:02x} at offset {at}); intake reads plain text")]
    Binary { byte: u8, at: usize },
    #[error("--parties: {0}")]
    Parties(String),
    #[error("gazetteer: {0}")]
    Gazetteer(String),
}

impl IntakeError {
    /// A stable code for problem+json.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_text",
            Self::TooLarge(_) => "text_too_large",
            Self::NotUtf8(_) => "not_utf8",
            Self::Binary { .. } => "binary_text",
            Self::Parties(_) => "invalid_parties",
            Self::Gazetteer(_) => "gazetteer",
        }
    }
}

/// Checks raw bytes and returns them as text: UTF-8, not empty, not binary,
/// at most [`MAX_TEXT_BYTES`].
pub fn read_text(bytes: &[u8]) -> Result<&str, IntakeError> {
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(IntakeError::TooLarge(bytes.len()));
    }
    // Binary first: a file with NUL bytes is rarely valid UTF-8 either, and
    // "binary" says more. Tabs, line and page breaks (Word's manual line break
    // is a vertical tab) and ESC are text; other control bytes are allowed
    // only as a rare stray (under 1 in 200).
    let control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1b);
    let strays = bytes.iter().filter(|&&b| control(b)).count();
    if let Some(at) = bytes
        .iter()
        .position(|&b| b == 0)
        .or_else(|| (strays * 200 > bytes.len()).then(|| bytes.iter().position(|&b| control(b))).flatten())
    {
        return Err(IntakeError::Binary { byte: bytes[at], at });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| IntakeError::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err(IntakeError::Empty);
    }
    Ok(text)
}

/// Names and aliases of registered parties: `{"party-id": ["name", "alias", …]}`.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    /// (normalised alias, party id), longest alias first.
    aliases: Vec<(String, String)>,
}

impl Parties {
    /// Parses the `--parties` file.
    pub fn from_json(text: &str) -> Result<Self, IntakeError> {
        let map: BTreeMap<String, Vec<String>> = serde_json::from_str(text)
            .map_err(|e| IntakeError::Parties(format!("expected {{\"party-id\": [\"name\", …]}}: {e}")))?;
        let mut aliases = Vec::new();
        for (id, names) in map {
            if id.is_empty() {
                return Err(IntakeError::Parties("an empty party id".into()));
            }
            aliases.push((incident::norm(&id), id.clone()));
            for n in names {
                let n = incident::norm(&n);
                if !n.is_empty() {
                    aliases.push((n, id.clone()));
                }
            }
        }
        if aliases.len() > MAX_ALIASES {
            return Err(IntakeError::Parties(format!(
                "{} aliases; the limit is {MAX_ALIASES}",
                aliases.len()
            )));
        }
        Ok(Self::from_pairs(aliases))
    }

    /// From (name, party id) pairs, e.g. the registered parties' names.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut aliases: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(n, id)| (incident::norm(&n), id))
            .filter(|(n, _)| !n.is_empty())
            .collect();
        aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        aliases.dedup();
        Self { aliases }
    }

    /// The party a perpetrator's text names, when one alias matches it as
    /// whole words.
    pub fn lookup(&self, text: &str) -> Option<&str> {
        let t = format!(" {} ", incident::norm(text));
        self.aliases.iter().find(|(a, _)| t.contains(&format!(" {a} "))).map(|(_, id)| id.as_str())
    }
}

/// What the drafter is told about the text.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Publication time, µs since the Unix epoch.
    pub published_us: Option<i64>,
    pub outlet: Option<String>,
    pub url: Option<String>,
    pub parties: Parties,
}

/// The drafter's output: `{"source": …, "drafts": […]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Intake {
    pub source: SourceInfo,
    pub drafts: Vec<Draft>,
    /// Set when more than [`MAX_DRAFTS`] were found and the rest dropped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Where the text came from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// SHA-256 of the text's bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// RFC 3339, milliseconds, UTC.
    pub published: Option<String>,
}

/// One drafted statement.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    /// `claim.record` or `incident.report`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The statement body, in the brief's §5 shape; fields the drafter could
    /// not fill are left out and listed in `needs_review`.
    pub body: serde_json::Value,
    /// For each filled field, as a JSON Pointer (RFC 6901) into `body`, the
    /// `[start, end)` character offsets (Unicode scalar values) of the text
    /// it came from.
    pub spans: BTreeMap<String, [usize; 2]>,
    /// Fields to check before signing.
    pub needs_review: Vec<Review>,
    /// What the drafter found that the body cannot hold: the matched place,
    /// alternative perpetrators, approximate figures, named sites.
    pub hints: serde_json::Map<String, serde_json::Value>,
}

/// A field to review, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Review {
    /// A JSON Pointer into `body`.
    pub field: String,
    pub reason: String,
    /// The text it concerns, as `[start, end)` character offsets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<[usize; 2]>,
}

/// A publication time in any RFC 3339 offset ("2026-03-12T11:30:00+02:00"),
/// as microseconds since the Unix epoch; `None` for anything else.
pub fn parse_published(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000).ok()
}

/// SHA-256 of `text`, as lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Drafts every claim and incident in `text`.
pub fn draft(text: &str, options: &Options, gazetteer: &Gazetteer) -> Intake {
    let doc = text::Doc::new(text);
    let places = gazetteer.find(text);
    let claims = claim::claims(&doc);
    let incidents = incident::incidents(&doc, gazetteer, &places, &claims);
    render::render(&doc, options, gazetteer, &claims, &incidents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_input() {
        assert_eq!(read_text(b""), Err(IntakeError::Empty));
        assert_eq!(read_text(b" \n\t"), Err(IntakeError::Empty));
        assert_eq!(read_text(b"ab\xffcd"), Err(IntakeError::NotUtf8(2)));
        assert_eq!(read_text(b"PK\x03\x04"), Err(IntakeError::Binary { byte: 3, at: 2 }));
        assert_eq!(read_text(b"\x89PNG\0"), Err(IntakeError::Binary { byte: 0, at: 4 }));
        assert!(
            read_text("Line one\x0bline two said the official, at length and at leisure.".as_bytes()).is_ok()
        );
        assert!(matches!(read_text(&vec![b'a'; MAX_TEXT_BYTES + 1]), Err(IntakeError::TooLarge(_))));
        assert_eq!(read_text(b"Officials said so."), Ok("Officials said so."));
    }

    #[test]
    fn parties_match_whole_words() {
        let p = Parties::from_json(
            r#"{"sy-army": ["Syrian army", "government forces"], "sdf": ["Syrian Democratic Forces"]}"#,
        )
        .expect("parties");
        assert_eq!(p.lookup("Syrian government forces"), Some("sy-army"));
        assert_eq!(p.lookup("the Syrian Democratic Forces"), Some("sdf"));
        assert_eq!(p.lookup("Russian aircraft"), None);
        assert!(Parties::from_json("[1]").is_err());
    }
}
