//! RFC 9457 problem details. Every error the API returns is one of these, with a
//! stable `code` that clients can switch on; `detail` is for people.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_service::{QueryError, SubmitError};
use serde::Serialize;
use utoipa::ToSchema;

/// Seconds a client should wait before retrying after pushback.
pub const RETRY_AFTER_S: u32 = 1;

/// An RFC 9457 problem detail (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    pub status: u16,
    /// For people.
    pub detail: String,
    /// Stable and machine-readable: clients switch on it.
    pub code: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
        }
    }

    pub fn busy(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
        }
        resp
    }
}

/// The HTTP status for a stable error code.
pub fn status_for(code: &str) -> StatusCode {
    match code {
        "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unknown_key" | "bad_signature" | "revoked_key" | "unauthorized" => StatusCode::FORBIDDEN,
        "duplicate_id" | "party_exists" | "key_exists" | "key_in_use" | "already_ended" | "not_cleared" => {
            StatusCode::CONFLICT
        }
        "unknown_party" | "unknown_ref" | "limit_reached" => StatusCode::UNPROCESSABLE_ENTITY,
        "weak_key"
        | "nonpositive_quantity"
        | "quantity_out_of_range"
        | "repeated_item"
        | "own_movement"
        | "inconsistent_counts"
        | "self_link"
        | "unknown_consignment" => StatusCode::UNPROCESSABLE_ENTITY,
        "not_found" => StatusCode::NOT_FOUND,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "busy" | "unavailable" | "awaiting_cosignatures" | "not_leader" | "storage_unreachable" => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        "storage_error" | "out_of_order" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Self {
        let code = e.code();
        Self::new(status_for(code), code, e.to_string())
    }
}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Self {
        let code = e.code();
        Self::new(status_for(code), code, e.to_string())
    }
}
