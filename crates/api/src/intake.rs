//! `POST /v1/intake`: drafts claims and incidents from a news report's text,
//! the same drafts `corridor intake` prints, for the console's Intake panel.
//!
//! Nothing is logged or kept: the text is read, drafted and forgotten. The
//! registered parties' ids and names serve as perpetrator aliases. Drafting
//! is CPU work of up to tens of milliseconds for the largest text (1 MB), so
//! it runs on the blocking pool, at most [`MAX_CONCURRENT`] at once; past that
//! the answer is 503 `busy` with `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corridor_intake::{Gazetteer, IntakeError, Options, Parties};
use corridor_service::Service;
use tokio::sync::Semaphore;

use crate::dto::intake::IntakeResult;
use crate::extract::Query;
use crate::problem::Problem;

/// Drafting requests handled at once.
pub const MAX_CONCURRENT: usize = 2;

fn slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(MAX_CONCURRENT)))
}

fn gazetteer() -> Result<&'static Gazetteer, Problem> {
    static G: OnceLock<Result<Gazetteer, IntakeError>> = OnceLock::new();
    G.get_or_init(Gazetteer::builtin)
        .as_ref()
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string()))
}

fn refused(e: &IntakeError) -> Problem {
    let status = match e {
        IntakeError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    Problem::new(status, e.code(), e.to_string())
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct IntakeQuery {
    /// When the report was published (RFC 3339); relative dates resolve against it.
    published: Option<String>,
    /// The outlet that published it.
    outlet: Option<String>,
    /// Where it was published.
    url: Option<String>,
}

/// Drafts `claim.record` and `incident.report` bodies from the text of a
/// news report (UTF-8 plain text, at most 1 MB). Nothing is signed, logged
/// or kept.
#[utoipa::path(post, path = "/v1/intake", tag = "accountability", params(IntakeQuery),
    request_body(content = String, content_type = "text/plain", description = "The report's text"),
    responses(
        (status = 200, body = IntakeResult),
        (status = 400, description = "Empty, binary or non-UTF-8 text, or a bad option", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 1 MB", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn intake(
    State(svc): State<Service>,
    Query(q): Query<HashMap<String, String>>,
    bytes: axum::body::Bytes,
) -> Result<Response, Problem> {
    let published_us = match q.get("published").filter(|p| !p.is_empty()) {
        Some(p) => Some(corridor_intake::parse_published(p).ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad_time",
                format!("published {p:?} is not an RFC 3339 time"),
            )
        })?),
        None => None,
    };
    let text = corridor_intake::read_text(&bytes).map_err(|e| refused(&e))?.to_owned();
    let pairs = svc
        .read(|v| {
            v.parties()
                .flat_map(|p| [(p.id.clone(), p.id.clone()), (p.name.clone(), p.id.clone())])
                .collect::<Vec<_>>()
        })
        .await?;
    let options = Options {
        published_us,
        outlet: q.get("outlet").filter(|s| !s.is_empty()).cloned(),
        url: q.get("url").filter(|s| !s.is_empty()).cloned(),
        parties: Parties::from_pairs(pairs),
    };
    let g = gazetteer()?;
    let permit = slots()
        .clone()
        .try_acquire_owned()
        .map_err(|_| Problem::busy("intake is drafting other texts; retry shortly"))?;
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        corridor_intake::draft(&text, &options, g)
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(crate::routes::no_store_json(&IntakeResult::from(out)))
}
