//! A C2SP tlog-witness: `POST /add-checkpoint`.
//!
//! A witness follows logs (origin and verifier key), and for each keeps the
//! latest checkpoint it cosigned. Shown a new checkpoint with a consistency
//! proof from that one, it checks the log's signature and the proof, records
//! the new checkpoint durably, and only then answers with a `cosignature/v1`
//! line (C2SP tlog-cosignature) carrying its timestamp. A log that shows one
//! history to some and another to others cannot get both cosigned by the same
//! witness, and a verifier that requires a quorum of witnesses sees the split.
//!
//! Answers, as the spec gives them: 200 with the cosignature line; 400 for a
//! malformed body or an old size above the checkpoint's; 403 when no
//! signature by the log's key verifies; 404 for an unknown origin; 409 with
//! `text/x.tlog.size` and the latest cosigned size when the old size is not
//! it (or a checkpoint of that size has another root); 422 when the proof
//! fails. Other refusals are RFC 9457 problem+json: 413 body too large, 408
//! body too slow, 429 for a client over its rate or its share of requests in
//! flight (with `Retry-After`), 503 when every slot is busy (with `Retry-After`).
//!
//! Every refused checkpoint that carried a valid log signature and does not
//! extend the cosigned tree is kept ([`store::ForkRecord`]), marked by what it
//! shows: another root for a size already cosigned proves that the log
//! forked; a failed consistency proof may show a fork, or only a wrong proof
//! sent with an honest checkpoint. The two kinds are bounded apart.

pub mod rate;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use corridor_api::{ClientAddr, Problem};
use corridor_note::cosignature::CosignerSigner;
use corridor_note::{open_note, NoteError};
use corridor_service::Clock;
use corridor_tlog::witness::{AddCheckpoint, Refusal, MAX_REQUEST_BYTES, SIZE_CONTENT_TYPE};
use corridor_tlog::Checkpoint;
use tokio::sync::Semaphore;

pub use rate::RateLimiter;
pub use store::{Decision, ForkRecord, LogRecord, WitnessStore};

/// The witness's limits, for a public service.
#[derive(Debug, Clone)]
pub struct WitnessLimits {
    /// Requests handled at once; beyond it, 503 with Retry-After.
    pub max_in_flight: usize,
    /// Requests one client may have in flight at once; beyond it, 429.
    pub max_in_flight_per_client: usize,
    /// Requests per second one client (IPv4 address or IPv6 /64) may make, on average.
    pub rate_per_client: f64,
    /// How many requests one client may make in a burst.
    pub burst_per_client: f64,
    /// From a request head to the last byte of its body; then 408.
    pub body_read_timeout: Duration,
}

impl Default for WitnessLimits {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            // A log sends a few requests a second; these leave room for a
            // client that checks or replays, and still bound a flood.
            max_in_flight_per_client: 8,
            rate_per_client: 100.0,
            burst_per_client: 200.0,
            body_read_timeout: Duration::from_secs(5),
        }
    }
}

/// A running witness: its store, its key, its clock and its limits.
pub struct Witness {
    store: Arc<WitnessStore>,
    key: CosignerSigner,
    clock: Arc<dyn Clock>,
    limits: WitnessLimits,
    rate: RateLimiter,
    in_flight: Arc<Semaphore>,
    per_client: rate::InFlight,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness").field("key", &self.key).finish()
    }
}

impl Witness {
    pub fn new(
        store: Arc<WitnessStore>,
        key: CosignerSigner,
        clock: Arc<dyn Clock>,
        limits: WitnessLimits,
    ) -> Self {
        let rate = RateLimiter::new(limits.rate_per_client, limits.burst_per_client);
        let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
        let per_client = rate::InFlight::new(limits.max_in_flight_per_client);
        Self { store, key, clock, limits, rate, in_flight, per_client }
    }

    pub fn store(&self) -> &WitnessStore {
        &self.store
    }

    fn now_s(&self) -> u64 {
        u64::try_from(self.clock.now_us().div_euclid(1_000_000)).unwrap_or(0)
    }

    /// Handles one request body, start to finish (blocking: SQLite and fsync).
    pub fn add_checkpoint(&self, body: &[u8]) -> Answer {
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(e) => return Answer::Problem(StatusCode::BAD_REQUEST, "malformed_request", e.to_string()),
        };
        let (checkpoint, text) = match read_checkpoint(&req.checkpoint_note) {
            Ok(c) => c,
            Err(detail) => return Answer::Problem(StatusCode::BAD_REQUEST, "malformed_checkpoint", detail),
        };
        let vkey = match self.store.log_key(&checkpoint.origin) {
            Ok(Some(v)) => v,
            Ok(None) => {
                let detail = format!("this witness does not follow the log {:?}", checkpoint.origin);
                return Answer::Problem(StatusCode::NOT_FOUND, "unknown_log", detail);
            }
            Err(e) => {
                return Answer::Problem(StatusCode::INTERNAL_SERVER_ERROR, "storage_error", e.to_string())
            }
        };
        if let Err(e) = open_note(&req.checkpoint_note, &vkey) {
            let detail = match e {
                NoteError::NoValidSignature => "no signature by the log's key verifies".to_owned(),
                other => other.to_string(),
            };
            return Answer::Problem(StatusCode::FORBIDDEN, "bad_signature", detail);
        }
        let body_text = String::from_utf8_lossy(body);
        // One time for the record and the cosignature, so the two agree.
        let now_s = self.now_s();
        match self.store.add_checkpoint(&req, &checkpoint, &body_text, now_s) {
            Ok(Decision::Cosign) => Answer::Cosigned(self.key.cosign(&text, now_s)),
            Ok(Decision::Refused(r)) => Answer::Refused(r),
            Err(e) => Answer::Problem(StatusCode::INTERNAL_SERVER_ERROR, "storage_error", e.to_string()),
        }
    }
}

/// The checkpoint in a note, and the note's text (what a cosignature signs).
fn read_checkpoint(note: &str) -> Result<(Checkpoint, String), String> {
    let parsed = corridor_note::parse_note(note).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint::parse_body(&parsed.text).map_err(|e| e.to_string())?;
    Ok((checkpoint, parsed.text))
}

/// What the witness answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200: the cosignature line.
    Cosigned(String),
    Refused(Refusal),
    Problem(StatusCode, &'static str, String),
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Cosigned(line) => {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], line)
                    .into_response()
            }
            Answer::Refused(r) if r.held_size().is_some() => {
                let held = r.held_size().unwrap_or_default();
                let ct = [(header::CONTENT_TYPE, HeaderValue::from_static(SIZE_CONTENT_TYPE))];
                (StatusCode::CONFLICT, ct, format!("{held}\n")).into_response()
            }
            Answer::Refused(r) => {
                let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
                let code =
                    if status == StatusCode::UNPROCESSABLE_ENTITY { "inconsistent" } else { "bad_old_size" };
                Problem::new(status, code, r.to_string()).into_response()
            }
            Answer::Problem(status, code, detail) => Problem::new(status, code, detail).into_response(),
        }
    }
}

/// The witness's HTTP routes: `POST /add-checkpoint`, `GET /healthz`.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "add-checkpoint takes POST only",
            )
        })
        .fallback(|| async {
            Problem::new(StatusCode::NOT_FOUND, "not_found", "no such path on this witness")
        })
        .with_state(witness)
}

fn too_many(detail: &str, wait_s: u64) -> Response {
    let mut resp = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait_s));
    resp
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, req: Request) -> Response {
    let client = req.extensions().get::<ClientAddr>().copied();
    let mut _slot = None;
    if let Some(ClientAddr(ip)) = client {
        if let Err(wait_s) = w.rate.admit(ip, w.clock.now_us()) {
            return too_many("too many requests from this client", wait_s);
        }
        _slot = match w.per_client.admit(ip) {
            Some(slot) => Some(slot),
            None => return too_many("this client has its share of requests in flight already", 1),
        };
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        let detail = format!("request bodies are at most {MAX_REQUEST_BYTES} bytes");
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", detail).into_response();
    }
    let Ok(_permit) = w.in_flight.clone().try_acquire_owned() else {
        return Problem::busy("every request slot of this witness is busy").into_response();
    };
    let body = match read_body(req.into_body(), w.limits.body_read_timeout).await {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    let witness = w.clone();
    match tokio::task::spawn_blocking(move || witness.add_checkpoint(&body)).await {
        Ok(answer) => answer.into_response(),
        Err(e) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()).into_response(),
    }
}

async fn read_body(body: Body, timeout: Duration) -> Result<axum::body::Bytes, Problem> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_REQUEST_BYTES)).await {
        Err(_) => {
            Err(Problem::new(StatusCode::REQUEST_TIMEOUT, "body_timeout", "the request body was too slow"))
        }
        Ok(Err(_)) => Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("request bodies are at most {MAX_REQUEST_BYTES} bytes"),
        )),
        Ok(Ok(b)) => Ok(b),
    }
}
