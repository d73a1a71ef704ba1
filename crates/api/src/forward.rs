//! Forwarding a submission from a follower to the leader, so that clients,
//! the CLI and the console can submit through any node of a cluster.
//!
//! The follower passes the envelope's bytes on unchanged and the leader's
//! answer back unchanged (status, `Content-Type`, `Cache-Control`,
//! `Retry-After`, body): the receipt a
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

/// Most submissions a follower forwards at once: each holds a connection
/// to the leader, which counts every one of them against its limit of
/// connections from one client address.
pub const FORWARD_MAX_IN_FLIGHT: usize = 64;

/// How long a submission waits for a forwarding slot before it is turned
/// away (503 `busy`, retry).
const SLOT_WAIT: Duration = Duration::from_secs(1);

fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(FORWARD_MAX_IN_FLIGHT))
}

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
        answer = forward(status, headers, body) => served_here(svc, answer?).await,
        () = async {
            while svc.node_status().leader == leader {
                tokio::time::sleep(LEADER_CHECK).await;
            }
        } => Err(unavailable("not_leader", "the leader changed while the submission was forwarded; retry")),
    }
}

/// How long a follower holds the leader's receipt until it serves the
/// entry itself; past it, the receipt is answered anyway (it is the
/// leader's, and valid), and reads here catch up a moment later.
const SERVED_WAIT: Duration = Duration::from_secs(2);

/// Holds the leader's receipt until this node serves its entry, so that a
/// client reading back through the node it submitted to finds what it
/// submitted (read-your-writes per node).
async fn served_here(svc: &Service, answer: (Response, Option<u64>)) -> Result<Response, Problem> {
    let (resp, index) = answer;
    if let Some(index) = index {
        svc.until_served(index, SERVED_WAIT).await;
    }
    Ok(resp)
}

/// The leader's answer, and the index of the entry it logged, if it did.
async fn forward(
    status: &NodeStatus,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(Response, Option<u64>), Problem> {
    if headers.contains_key(FORWARDED_HEADER) {
        return Err(unavailable("not_leader", "this node no longer leads the log; retry"));
    }
    let Some(leader) = &status.leader else {
        return Err(unavailable(
            "not_leader",
            "no node leads the log at the moment (an election is due); retry",
        ));
    };
    let slot = tokio::time::timeout(SLOT_WAIT, slots().acquire()).await;
    let Ok(Ok(_slot)) = slot else {
        return Err(Problem::busy(format!(
            "more than {FORWARD_MAX_IN_FLIGHT} submissions are being forwarded to the leader; retry"
        )));
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
            unavailable("not_leader", format!("could not forward to the leader at {leader} ({e}); retry"))
        })?;
    let status_code = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
    let passed: Vec<(header::HeaderName, HeaderValue)> = [header::RETRY_AFTER, header::CACHE_CONTROL]
        .into_iter()
        .filter_map(|name| {
            let value = answer.headers().get(name.as_str())?;
            Some((name, HeaderValue::from_bytes(value.as_bytes()).ok()?))
        })
        .collect();
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| unavailable("not_leader", format!("the leader's answer was cut off ({e}); retry")))?;
    let index = match status_code {
        StatusCode::OK | StatusCode::CREATED => {
            serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v["index"].as_u64())
        }
        _ => None,
    };
    let mut resp = (status_code, bytes).into_response();
    let out = resp.headers_mut();
    if let Some(v) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
        out.insert(header::CONTENT_TYPE, v);
    }
    for (name, value) in passed {
        out.insert(name, value);
    }
    Ok((resp, index))
}
