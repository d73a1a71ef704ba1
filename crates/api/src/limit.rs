//! Bounds on requests: how many are in flight, and how large and how slow a
//! request body may be.
//!
//! Beyond the in-flight limit a request is answered 503 with Retry-After at
//! once, never queued. A body is read whole, before the handler runs, within
//! a size and a time limit; a declared `Content-Length` over the size limit is
//! refused before a byte of the body is read. The bounds on connections are in
//! [`crate::conn`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::problem::Problem;

/// Middleware: sheds requests beyond the in-flight limit with 503.
pub async fn shed_load(State(permits): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    match permits.try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => Problem::busy("too many requests in flight; retry shortly").into_response(),
    }
}

/// What [`read_body`] allows.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// `POST /v1/intake` reads a news report's text, which may be far larger
    /// than a statement.
    pub intake_max_bytes: usize,
    pub read_timeout: Duration,
}

/// Middleware: reads a request body whole within [`BodyLimits`], or answers
/// 413 `too_large` (before reading, when the declared length is over) or 408
/// `body_timeout`. Either refusal closes the connection, since the rest of the
/// body was never read.
pub async fn read_body(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let max_bytes = if req.uri().path() == "/v1/intake" { limits.intake_max_bytes } else { limits.max_bytes };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes as u64) {
        return closing(too_large(max_bytes));
    }
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(limits.read_timeout, to_bytes(body, max_bytes)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if is_length_limit(&e) => return closing(too_large(max_bytes)),
        Ok(Err(e)) => {
            let detail = format!("reading the request body failed: {e}");
            return closing(Problem::new(StatusCode::BAD_REQUEST, "bad_body", detail));
        }
        Err(_) => {
            let detail =
                format!("the request body did not arrive within {} s", limits.read_timeout.as_secs_f64());
            return closing(Problem::new(StatusCode::REQUEST_TIMEOUT, "body_timeout", detail));
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn too_large(max_bytes: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("request body exceeds {max_bytes} bytes"),
    )
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

fn closing(problem: Problem) -> Response {
    let mut resp = problem.into_response();
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
