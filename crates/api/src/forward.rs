//! Forwarding a submission from a follower to the leader, so that clients,
//! the CLI and the console can submit through any node of a cluster.
//!
//! The follower passes the envelope's bytes on unchanged and the leader's
//! answer back unchanged (status, `Content-Type`, body): the receipt a
//! client gets is the leader's, signed by the log key, whichever node it
//! asked. A request is forwarded at most once: a forwarded request that
//! reaches a node which is not (or no longer) the leader is answered 503
//! `not_leader` with `Retry-After`, and the client's retry finds the new
//! leader. Resubmitting the same envelope is idempotent on the leader, so a
//! retry after a lost answer gets the original receipt.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_service::{NodeStatus, Service};

use crate::problem::Problem;

/// Marks a request a node forwarded.
pub const FORWARDED_HEADER: &str = "corridor-forwarded";

/// How long a forwarded submission may take, connection included: the
/// leader's own sequencing is bounded by its pool, so this is only reached
/// when the leader is cut off.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One client per process: its connections to the leader are reused.
fn client() -> Result<&'static reqwest::Client, Problem> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| unavailable("not_leader", format!("cannot forward to the leader: {e}")))?;
    Ok(CLIENT.get_or_init(|| built))
}

fn unavailable(code: &str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
}

/// Whether a node in `status` sequences submissions itself.
pub fn sequences_here(status: &NodeStatus) -> bool {
    matches!(status.role, corridor_service::Role::Single | corridor_service::Role::Leader)
}

/// How often a forwarding follower looks whether the leader changed.
const LEADER_CHECK: Duration = Duration::from_millis(50);

/// Sends `body` to the leader's `/v1/statements` and returns its answer;
/// gives up (503, retry) as soon as this node sees another leader, since
/// the one it forwarded to may be paused or cut off, and a retry reaches the
/// new one. Resubmission is idempotent, so a forwarded request the old
/// leader still answers later does no harm.
pub async fn submit(
    svc: &Service,
    status: &NodeStatus,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let leader = status.leader.clone();
    tokio::select! {
        answer = forward(status, headers, body) => answer,
        () = async {
            while svc.node_status().leader == leader {
                tokio::time::sleep(LEADER_CHECK).await;
            }
        } => Err(unavailable("not_leader", "the leader changed while the submission was forwarded; retry")),
    }
}

async fn forward(status: &NodeStatus, headers: &HeaderMap, body: Bytes) -> Result<Response, Problem> {
    if headers.contains_key(FORWARDED_HEADER) {
        return Err(unavailable("not_leader", "this node no longer leads the log; retry"));
    }
    let Some(leader) = &status.leader else {
        return Err(unavailable(
            "not_leader",
            "no node leads the log at the moment (an election is due); retry",
        ));
    };
    let url = format!("{}/v1/statements", leader.trim_end_matches('/'));
    let answer = client()?
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(FORWARDED_HEADER, "1")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            unavailable("not_leader", format!("the leader at {leader} did not answer ({e}); retry"))
        })?;
    let status_code = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
    let retry_after = answer.headers().get(reqwest::header::RETRY_AFTER).cloned();
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| unavailable("not_leader", format!("the leader's answer was cut off ({e}); retry")))?;
    let mut resp = (status_code, bytes).into_response();
    let out = resp.headers_mut();
    if let Some(v) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
        out.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
        out.insert(header::RETRY_AFTER, v);
    }
    Ok(resp)
}
