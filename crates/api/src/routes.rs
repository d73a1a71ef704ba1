//! Request handlers. Each parses its request, asks the [`Service`], and
//! presents the answer through the DTOs of [`crate::dto`]; each carries its
//! part of the OpenAPI document (`#[utoipa::path]`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corridor_service::{Filter, Service, SubmitError, Submitted};
use corridor_state::access::MovementStatus;
use corridor_statement::body::Ctx;
use corridor_statement::timefmt::parse_utc_us;
use corridor_statement::{ObjectRef, Reading, StatementError, StatementType};
use corridor_tlog::TilePath;
use futures_util::Stream;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use utoipa::IntoParams;

use crate::dto::access::{
    AgreementCollection, AgreementFeature, ConflictView, ConflictsPage, MovementCollection, MovementFeature,
    MovementPreviewRequest, MovementPreviewView, MovementView, OperationCollection, OperationFeature,
    SiteCollection, SiteFeature, ZoneCollection, ZoneFeature,
};
use crate::dto::accountability::{
    ClaimView, ClaimsPage, ConsignmentReconciliation, ConsignmentsPage, DistributionsPage, EvidenceView,
    IncidentCollection, ViolationsView,
};
use crate::dto::events::{EntryEvent, NoticeEvent};
use crate::dto::log::{
    ConsistencyProof, EntryView, InclusionProof, LogInfo, MessageView, MessagesPage, Parties, PartyView,
    Receipt, StateDigest,
};
use crate::dto::statement::Envelope;
use crate::dto::{b64, Health};
use crate::extract::{canonical_u64, Path, Query};
use crate::problem::Problem;

type ApiResult = Result<Response, Problem>;
type Params = Query<HashMap<String, String>>;

/// Full tiles and bundles never change: cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Partial tiles never change either, but are superseded; checkpoints move.
const SHORT: &str = "public, max-age=5";
const NO_STORE: &str = "no-store";

pub(crate) fn bad_request(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail)
}

fn with_cache(mut resp: Response, policy: &'static str) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    resp
}

fn json<T: Serialize>(body: &T) -> Response {
    Json(body).into_response()
}

/// JSON that no cache may keep (answers computed from a request body).
pub(crate) fn no_store_json<T: Serialize>(body: &T) -> Response {
    with_cache(json(body), NO_STORE)
}

pub(crate) fn geojson<T: Serialize>(body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/geo+json")], bytes).into_response()
}

/// Submit one signed statement: a DSSE envelope (brief §4).
#[utoipa::path(post, path = "/v1/statements", tag = "log",
    request_body(content = Envelope, description = "A DSSE envelope whose payload is a statement"),
    responses(
        (status = 201, description = "Logged: the receipt", body = Receipt),
        (status = 200, description = "Already logged (the same envelope): the original receipt", body = Receipt),
        (status = 400, description = "Malformed or invalid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Unknown or revoked key, bad signature, not authorized", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with the log (duplicate id, already ended, exists)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refers to something unknown, or a limit is reached", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy, or (on a follower) no leader could be reached: retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    State(svc): State<Service>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult {
    // `limit::read_body` has read the body within its size and time limits.
    let node = svc.node_status();
    if !crate::forward::sequences_here(&node) {
        return crate::forward::submit(&svc, &node, &headers, bytes).await;
    }
    let (status, receipt) = match svc.submit(&bytes).await? {
        Submitted::Created(r) => (StatusCode::CREATED, r),
        Submitted::Existing(r) => (StatusCode::OK, r),
    };
    Ok(with_cache((status, Json(Receipt::from(&receipt))).into_response(), NO_STORE))
}

/// The checkpoint verifiers should use (C2SP tlog-checkpoint, a signed note).
/// When the log collects cosignatures, it is the latest one the witnesses'
/// quorum cosigned, with their `cosignature/v1` lines (503
/// `awaiting_cosignatures` before the first); otherwise the latest the log signed.
#[utoipa::path(get, path = "/checkpoint", tag = "c2sp",
    responses(
        (status = 200, description = "The checkpoint note", body = String, content_type = "text/plain"),
        (status = 503, description = "No checkpoint has reached the quorum yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn checkpoint(State(svc): State<Service>) -> ApiResult {
    let note = svc.served_checkpoint().await?;
    let resp = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response();
    Ok(with_cache(resp, NO_STORE))
}

/// The freshest checkpoint the log signed, without waiting for witnesses
/// (the one in the latest receipts). Only the log vouches for it.
#[utoipa::path(get, path = "/v1/checkpoints/latest", tag = "log",
    responses((status = 200, description = "The checkpoint note", body = String, content_type = "text/plain")))]
pub async fn latest_checkpoint(State(svc): State<Service>) -> ApiResult {
    let note = svc.checkpoint_note().await?;
    let resp = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response();
    Ok(with_cache(resp, NO_STORE))
}

/// A hash tile or entry bundle (C2SP tlog-tiles v0.1): `tile/<L>/<N>[.p/<W>]`
/// and `tile/entries/<N>[.p/<W>]`.
#[utoipa::path(get, path = "/tile/{path}", tag = "c2sp",
    params(("path" = String, Path, description = "The tile path after /tile/")),
    responses(
        (status = 200, description = "Tile bytes", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 404, description = "No such tile at the current size", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tile(State(svc): State<Service>, Path(path): Path<String>) -> ApiResult {
    let tile = TilePath::parse(&path)
        .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "not_found", "not a tile path"))?;
    let bytes =
        if tile.level.is_some() { svc.hash_tile(tile).await? } else { svc.entry_bundle(tile).await? };
    let resp = ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    Ok(with_cache(resp, if tile.width.is_none() { IMMUTABLE } else { SHORT }))
}

/// The log's origin, verifier key, size and checkpoint.
#[utoipa::path(get, path = "/v1/log", tag = "log", responses((status = 200, body = LogInfo)))]
pub async fn log_info(State(svc): State<Service>) -> ApiResult {
    Ok(with_cache(json(&LogInfo::from(svc.log_info().await?)), NO_STORE))
}

fn parse_index(text: &str) -> Result<u64, Problem> {
    canonical_u64(text).ok_or_else(|| bad_request(format!("{text:?} is not an entry index")))
}

/// One entry: its bytes, leaf hash, envelope and statement.
#[utoipa::path(get, path = "/v1/entries/{index}", tag = "log",
    params(("index" = u64, Path, description = "The entry's index")),
    responses(
        (status = 200, body = EntryView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn entry(State(svc): State<Service>, Path(index): Path<String>) -> ApiResult {
    let stored = svc.entry(parse_index(&index)?).await?;
    let view = EntryView::new(&stored).ok_or_else(|| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "storage_error", "unreadable entry")
    })?;
    Ok(with_cache(json(&view), IMMUTABLE))
}

/// The receipt an entry was given, reproduced exactly.
#[utoipa::path(get, path = "/v1/receipts/{index}", tag = "log",
    params(("index" = u64, Path, description = "The entry's index")),
    responses(
        (status = 200, body = Receipt),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn receipt(State(svc): State<Service>, Path(index): Path<String>) -> ApiResult {
    let r = svc.receipt(parse_index(&index)?).await?;
    Ok(with_cache(json(&Receipt::from(&r)), IMMUTABLE))
}

/// The earliest checkpoint the witnesses' quorum cosigned that covers the
/// entry, with an inclusion proof against it: a receipt whose checkpoint
/// carries the cosignatures, checkable offline with the witness policy.
#[utoipa::path(get, path = "/v1/receipts/{index}/cosigned", tag = "log",
    params(("index" = u64, Path, description = "The entry's index")),
    responses(
        (status = 200, body = Receipt),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry, or no cosigned checkpoint covers it yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cosigned_receipt(State(svc): State<Service>, Path(index): Path<String>) -> ApiResult {
    let r = svc.cosigned_receipt(parse_index(&index)?).await?;
    Ok(with_cache(json(&Receipt::from(&r)), IMMUTABLE))
}

/// Query strings are parsed by hand so that a bad value gets problem+json.
fn query_u64(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, Problem> {
    params
        .get(name)
        .map(|v| {
            canonical_u64(v)
                .ok_or_else(|| bad_request(format!("{name}={v:?} is not an integer from 0 to 2^63-1")))
        })
        .transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct InclusionQuery {
    /// The entry's index.
    index: u64,
    /// The tree size (default: the current one).
    size: Option<u64>,
}

/// An RFC 6962 inclusion proof.
#[utoipa::path(get, path = "/v1/proofs/inclusion", tag = "log", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn inclusion(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let index = query_u64(&q, "index")?.ok_or_else(|| bad_request("index is required"))?;
    let (size, proof) = svc.inclusion_proof(index, query_u64(&q, "size")?).await?;
    Ok(json(&InclusionProof { index, size, proof: proof.iter().map(|h| b64(h)).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ConsistencyQuery {
    /// The older tree size.
    from: u64,
    /// The newer tree size (default: the current one).
    to: Option<u64>,
}

/// An RFC 6962 consistency proof.
#[utoipa::path(get, path = "/v1/proofs/consistency", tag = "log", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn consistency(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let from = query_u64(&q, "from")?.ok_or_else(|| bad_request("from is required"))?;
    let (to, proof) = svc.consistency_proof(from, query_u64(&q, "to")?).await?;
    Ok(json(&ConsistencyProof { from, to, proof: proof.iter().map(|h| b64(h)).collect() }))
}

/// Registered parties and their keys.
#[utoipa::path(get, path = "/v1/parties", tag = "log", responses((status = 200, body = Parties)))]
pub async fn parties(State(svc): State<Service>) -> ApiResult {
    let parties = svc.read(|v| v.parties().map(PartyView::from).collect()).await?;
    Ok(json(&Parties { parties }))
}

/// `limit=` as every listing reads it ([`corridor_service::Limits::page_limit`]).
fn page_limit(svc: &Service, q: &HashMap<String, String>) -> Result<usize, Problem> {
    Ok(svc.limits().page_limit(query_u64(q, "limit")?)?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct MessagesQuery {
    /// The addressee's party id.
    to: String,
    /// Messages after this entry index (a page's `next_after`).
    after: Option<u64>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Messages addressed to a party, oldest first, with acknowledgements.
#[utoipa::path(get, path = "/v1/messages", tag = "access", params(MessagesQuery),
    responses((status = 200, body = MessagesPage), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn messages(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let to = q.get("to").ok_or_else(|| bad_request("to=PARTY is required"))?;
    let (after, limit) = (query_u64(&q, "after")?, page_limit(&svc, &q)?);
    let page = svc
        .read(|v| {
            let page = v.messages_to(to, after, limit);
            let messages = page.items.iter().map(|(r, m, acks)| MessageView::new(r, m, acks)).collect();
            MessagesPage { messages, next_after: page.next_after }
        })
        .await?;
    Ok(json(&page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct EventsQuery {
    /// Only this party's filings, and the notices addressed to it.
    party: Option<String>,
}

/// Server-sent events after each durable entry: `entry` (the party's filings,
/// or all without `party=`), and `conflict` / `clearance` notices addressed to
/// the party. Each event's data is JSON: `EntryEvent` or `NoticeEvent`.
#[utoipa::path(get, path = "/v1/events", tag = "log", params(EventsQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String)))]
pub async fn events(
    State(svc): State<Service>,
    axum::Extension(EventKeepAlive(keep_alive)): axum::Extension<EventKeepAlive>,
    Query(q): Query<HashMap<String, String>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let party = q.get("party").cloned();
    // A subscriber that falls behind the event buffer misses events (it can
    // re-read state); it never makes the server buffer without bound. The
    // stream ends when the node rebuilds its state from the store (a
    // cluster node stepping down), whose entries it never sent one by one,
    // and when a single node shuts down: the client reconnects and re-reads.
    let mut resets = svc.stream_resets();
    let stream = BroadcastStream::new(svc.subscribe())
        .map(move |ev| {
            let events = ev.ok().map(|ev| sse_events(&ev, party.as_deref())).unwrap_or_default();
            futures_util::stream::iter(events)
        })
        .flatten()
        .take_until(async move {
            let _ = resets.changed().await;
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive))
}

/// The interval between keep-alive comments on an idle event stream, so that
/// proxies and clients can tell a quiet stream from a dead one.
#[derive(Debug, Clone, Copy)]
pub struct EventKeepAlive(pub Duration);

fn sse_events(ev: &corridor_service::Event, party: Option<&str>) -> Vec<Result<SseEvent, Infallible>> {
    let mut out = Vec::new();
    fn data<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    if party.is_none_or(|p| p == ev.issuer) {
        let entry = EntryEvent::from(ev);
        out.push(Ok(SseEvent::default().event("entry").id(ev.index.to_string()).data(data(&entry))));
    }
    for n in ev.notices.iter().filter(|n| party.is_some_and(|p| p == n.party)) {
        let (name, notice) = NoticeEvent::new(ev.index, n);
        out.push(Ok(SseEvent::default().event(name).id(ev.index.to_string()).data(data(&notice))));
    }
    out
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Response {
    json(&Health { status: "ok".into() })
}

/// Readiness: 200 while this node serves reads, 503 `unavailable` while it
/// cannot (rebuilding from the store after stepping down, or stopped after
/// a failed commit). A load balancer sends reads only to ready nodes.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Not serving reads now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(svc): State<Service>) -> ApiResult {
    svc.checkpoint_note().await?;
    Ok(with_cache(json(&Health { status: "ok".into() }), NO_STORE))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document()).into_response()
}

pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
}

/// A known path with a method it does not have (axum adds the `Allow` header).
pub async fn method_not_allowed(method: axum::http::Method) -> Problem {
    let detail = format!("{method} is not a method of this resource; see the Allow header");
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", detail)
}

/// The console holds the private key of whoever signs in, so its pages may load
/// and talk to nothing but this origin.
const CONSOLE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Serves a console file for a GET no route claimed; anything else is 404.
pub async fn console_or_not_found(
    console: corridor_console::Console,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let is_read = method == axum::http::Method::GET || method == axum::http::Method::HEAD;
    let asset = is_read.then(|| console.get(uri.path())).flatten();
    let Some(asset) = asset else { return not_found().await.into_response() };
    let mut resp = Response::new(Body::from(asset.bytes));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONSOLE_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListQuery {
    /// `min_lon,min_lat,max_lon,max_lat`: objects whose positions' box meets it.
    bbox: Option<String>,
    /// RFC 3339 UTC: the record as it was then (filed by then, valid then, not yet withdrawn).
    at: Option<String>,
    /// Objects that concern this party.
    party: Option<String>,
    /// `active` or `withdrawn` (zones, sites, operations); a clearance status (movements).
    status: Option<String>,
    /// Objects after this reference (a page's `next_after`).
    after: Option<String>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// The `status` values of zones, sites and operations.
const LIVE_STATUSES: &[&str] = &["active", "withdrawn"];

/// Refuses a `status` that no object of the listing can have: it would
/// answer an empty page where the client meant something else.
fn check_status(q: &HashMap<String, String>, statuses: &[&str]) -> Result<(), Problem> {
    match q.get("status") {
        Some(s) if !statuses.contains(&s.as_str()) => {
            Err(bad_request(format!("status={s:?} is none of {}", statuses.join(", "))))
        }
        _ => Ok(()),
    }
}

/// Parses the listing filters shared by every spatial collection.
fn filter(svc: &Service, q: &HashMap<String, String>) -> Result<Filter, Problem> {
    let bbox = q
        .get("bbox")
        .map(|b| {
            // Every member a finite number: a part that is not one is refused,
            // never skipped (`1,2,x,3,4` is not a box).
            let v: Option<Vec<f64>> =
                b.split(',').map(|x| x.trim().parse::<f64>().ok().filter(|f| f.is_finite())).collect();
            let in_range = |b: &[f64; 4]| {
                b[0].abs() <= 180.0
                    && b[2].abs() <= 180.0
                    && b[1].abs() <= 90.0
                    && b[3].abs() <= 90.0
                    && b[1] <= b[3]
            };
            v.and_then(|v| <[f64; 4]>::try_from(v).ok()).filter(in_range).ok_or_else(|| {
                bad_request("bbox is min_lon,min_lat,max_lon,max_lat: degrees, latitudes south to north")
            })
        })
        .transpose()?;
    let at_us = q
        .get("at")
        .map(|t| parse_utc_us(t).ok_or_else(|| bad_request(format!("at={t:?} is not an RFC 3339 UTC time"))))
        .transpose()?;
    let after = q.get("after").map(|a| parse_ref("after", a)).transpose()?;
    let limit = page_limit(svc, q)?;
    Ok(Filter { bbox, at_us, party: q.get("party").cloned(), status: q.get("status").cloned(), after, limit })
}

fn parse_ref(name: &str, text: &str) -> Result<ObjectRef, Problem> {
    ObjectRef::parse(text).ok_or_else(|| bad_request(format!("{name}={text:?} is not issuer/id")))
}

/// Zones of control as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/v1/zones", tag = "access", params(ListQuery),
    responses((status = 200, body = ZoneCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn zones(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    check_status(&q, LIVE_STATUSES)?;
    let f = filter(&svc, &q)?;
    Ok(geojson(&svc.read(|v| ZoneCollection::new(v.zones(&f), ZoneFeature::from)).await?))
}

/// Notified sites as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/v1/sites", tag = "access", params(ListQuery),
    responses((status = 200, body = SiteCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn sites(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    check_status(&q, LIVE_STATUSES)?;
    let f = filter(&svc, &q)?;
    Ok(geojson(&svc.read(|v| SiteCollection::new(v.sites(&f), SiteFeature::from)).await?))
}

/// Movements with their clearance, as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/v1/movements", tag = "access", params(ListQuery),
    responses((status = 200, body = MovementCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn movements(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let statuses: Vec<&str> = MovementStatus::ALL.iter().map(|m| m.as_str()).collect();
    check_status(&q, &statuses)?;
    let f = filter(&svc, &q)?;
    let body = svc
        .read(|v| {
            let now = v.movements_now_us(&f);
            MovementCollection::new(v.movements(&f), |m| MovementFeature::new(m, now))
        })
        .await?;
    Ok(geojson(&body))
}

/// Areas of operation as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/v1/operations", tag = "access", params(ListQuery),
    responses((status = 200, body = OperationCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn operations(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    check_status(&q, LIVE_STATUSES)?;
    let f = filter(&svc, &q)?;
    let collection = svc
        .read(|v| {
            let feature = |o: &corridor_state::access::Operation| {
                OperationFeature::new(o, &v.state.acknowledgements_of(&o.reference, o.notified.index))
            };
            OperationCollection::new(v.operations(&f), feature)
        })
        .await?;
    Ok(geojson(&collection))
}

/// Agreements as a GeoJSON FeatureCollection (an agreement without an area has `null` geometry).
#[utoipa::path(get, path = "/v1/agreements", tag = "access", params(ListQuery),
    responses((status = 200, body = AgreementCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn agreements(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let f = filter(&svc, &q)?;
    Ok(geojson(&svc.read(|v| AgreementCollection::new(v.agreements(&f), AgreementFeature::from)).await?))
}

fn object_ref(issuer: &str, id: &str) -> Result<ObjectRef, Problem> {
    ObjectRef::parse(&format!("{issuer}/{id}")).ok_or_else(|| bad_request("not an issuer/id reference"))
}

/// One movement with its clearance: status and required approvers with their clocks.
#[utoipa::path(get, path = "/v1/movements/{issuer}/{id}", tag = "access",
    params(("issuer" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = MovementView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn movement(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    let r = object_ref(&issuer, &id).map_err(|_| bad_request("not a movement reference"))?;
    let view = svc.read(|v| v.movement(&r).map(|m| MovementView::new(m, v.now_us))).await??;
    Ok(json(&view))
}

/// What a `movement.request` or `movement.amend` would get if it were
/// sequenced now: the parties that would have to clear it, and the operations
/// it would conflict with. The fold's own check and computation answer, so a
/// form can show them before its user signs; nothing is logged. A body the
/// log would refuse is refused here with the same code.
#[utoipa::path(post, path = "/v1/movements/preview", tag = "access",
    request_body = MovementPreviewRequest,
    responses(
        (status = 200, body = MovementPreviewView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn movement_preview(State(svc): State<Service>, bytes: axum::body::Bytes) -> ApiResult {
    let refused = |e: SubmitError| Problem::from(e);
    corridor_statement::check_submission_json(&bytes).map_err(|e| refused(e.into()))?;
    let req: MovementPreviewRequest = serde_json::from_slice(&bytes)
        .map_err(|e| refused(StatementError::MalformedJson(e.to_string()).into()))?;
    let kind = match StatementType::parse(&req.kind) {
        Some(k @ (StatementType::MovementRequest | StatementType::MovementAmend)) => k,
        _ => {
            let detail =
                format!("type {:?}: only movement.request and movement.amend are previewed", req.kind);
            return Err(refused(StatementError::InvalidStatement(detail).into()));
        }
    };
    let ctx = Ctx { reading: Reading::Submission, issuer: &req.issuer };
    let body =
        corridor_statement::Body::parse_with(kind, req.body.get(), &ctx).map_err(|e| refused(e.into()))?;
    let view = svc
        .read(|v| {
            let preview = v.state.preview_movement(&req.issuer, &body, v.now_us)?;
            Ok(MovementPreviewView::new(&preview, v.now_us))
        })
        .await?
        .map_err(|r| refused(SubmitError::Rejected(r)))?;
    Ok(no_store_json(&view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ConflictsQuery {
    /// Conflicts shown to this party.
    party: Option<String>,
    /// Conflicts after this one (a page's `next_after`).
    after: Option<u64>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Conflicts of operations with sites, movements and agreed corridors, oldest first.
#[utoipa::path(get, path = "/v1/conflicts", tag = "access", params(ConflictsQuery),
    responses((status = 200, body = ConflictsPage), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn conflicts(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let (after, limit) = (query_u64(&q, "after")?, page_limit(&svc, &q)?);
    let party = q.get("party").map(String::as_str);
    let page = svc
        .read(|v| {
            let page = v.conflicts(party, after, limit);
            ConflictsPage {
                conflicts: page.items.into_iter().map(ConflictView::from).collect(),
                next_after: page.next_after,
            }
        })
        .await?;
    Ok(json(&page))
}

/// The state digest and the log size it is for: equal on every replica that
/// folded the same log. It walks the whole state: for verification, not polling.
#[utoipa::path(get, path = "/v1/state/digest", tag = "log", responses(
    (status = 200, body = StateDigest),
    (status = 503, description = "Another request is taking the digest (code `busy`), or the node is recovering: retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
))]
pub async fn state_digest(State(svc): State<Service>) -> ApiResult {
    let (size, digest) = svc.state_digest_at().await?;
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(json(&StateDigest { size, digest: hex }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ToleranceQuery {
    /// The unaccounted fraction beyond which an item is flagged, 0 to 1 (default 0.02).
    tolerance: Option<f64>,
}

/// Custody reconciliation of a consignment per item.
#[utoipa::path(get, path = "/v1/consignments/{id}", tag = "accountability",
    params(("id" = String, Path, description = "The consignment id"), ToleranceQuery),
    responses(
        (status = 200, body = ConsignmentReconciliation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn consignment(State(svc): State<Service>, Path(id): Path<String>, Query(q): Params) -> ApiResult {
    let tolerance = match q.get("tolerance") {
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or_else(|| bad_request("tolerance is a fraction in 0..=1"))?,
        None => corridor_service::DEFAULT_TOLERANCE,
    };
    let view =
        svc.read(|v| v.consignment(&id, tolerance).map(|c| ConsignmentReconciliation::from(&c))).await??;
    Ok(json(&view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct DistributionsQuery {
    /// Only this round.
    round: Option<String>,
    /// Rounds after this one (a page's `next_after`).
    after: Option<String>,
    /// Rounds per page: 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Distribution reports and, per round and item, per-person quantities by
/// site against plan, a page of rounds at a time.
#[utoipa::path(get, path = "/v1/distributions", tag = "accountability", params(DistributionsQuery),
    responses((status = 200, body = DistributionsPage), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn distributions(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let limit = page_limit(&svc, &q)?;
    let (round, after) = (q.get("round").map(String::as_str), q.get("after").map(String::as_str));
    Ok(json(&svc.read(|v| DistributionsPage::new(v.distributions(round, after, limit))).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct IncidentsQuery {
    /// Incidents this party reported or is alleged to have done.
    party: Option<String>,
    /// Incidents after this reference (a page's `next_after`).
    after: Option<String>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Incidents as GeoJSON with casualty ranges, the latest grade, and range totals over the page.
#[utoipa::path(get, path = "/v1/incidents", tag = "accountability", params(IncidentsQuery),
    responses((status = 200, body = IncidentCollection, content_type = "application/geo+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn incidents(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let f = filter(&svc, &q)?;
    let body = svc
        .read(|v| IncidentCollection::from(&v.incidents(f.party.as_deref(), f.after.as_ref(), f.limit)))
        .await?;
    Ok(geojson(&body))
}

/// Notified sites and movements within reach of an incident, with when they
/// were notified and who acknowledged them.
#[utoipa::path(get, path = "/v1/incidents/{issuer}/{id}/evidence", tag = "accountability",
    params(("issuer" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = EvidenceView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn incident_evidence(
    State(svc): State<Service>,
    Path((issuer, id)): Path<(String, String)>,
) -> ApiResult {
    let r = object_ref(&issuer, &id)?;
    Ok(json(&svc.read(|v| v.incident_evidence(&r).map(|e| EvidenceView::from(&e))).await??))
}

/// Incidents inside an agreement's area and window, tallied by alleged
/// perpetrator × occurrence grade and by reporting party.
#[utoipa::path(get, path = "/v1/agreements/{issuer}/{id}/violations", tag = "accountability",
    params(("issuer" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = ViolationsView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn violations(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    let r = object_ref(&issuer, &id)?;
    Ok(json(&svc.read(|v| v.violations(&r).map(|x| ViolationsView::from(&x))).await??))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ClaimsQuery {
    /// Claims after this reference (a page's `next_after`).
    after: Option<String>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Claims with their linked evidence, in reference order, a page at a time.
#[utoipa::path(get, path = "/v1/claims", tag = "accountability", params(ClaimsQuery),
    responses((status = 200, body = ClaimsPage), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn claims(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let f = filter(&svc, &q)?;
    let page = svc
        .read(|v| {
            let page = v.claims(f.after.as_ref(), f.limit);
            ClaimsPage {
                claims: page.items.into_iter().map(ClaimView::from).collect(),
                next_after: page.next_after,
            }
        })
        .await?;
    Ok(json(&page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ConsignmentsQuery {
    /// Consignments after this id (a page's `next_after`).
    after: Option<String>,
    /// 1 to the page limit (1,000); 100 when not given.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// Consignments with their number of hand-offs and the latest one, in id order.
#[utoipa::path(get, path = "/v1/consignments", tag = "accountability", params(ConsignmentsQuery),
    responses((status = 200, body = ConsignmentsPage), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn consignments(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let limit = page_limit(&svc, &q)?;
    let after = q.get("after").map(String::as_str);
    Ok(json(&svc.read(|v| ConsignmentsPage::new(v.consignments(after, limit))).await?))
}

/// A public claim with its linked evidence: supports, contradicts, context.
#[utoipa::path(get, path = "/v1/claims/{issuer}/{id}", tag = "accountability",
    params(("issuer" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = ClaimView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn claim(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    let r = object_ref(&issuer, &id)?;
    Ok(json(&svc.read(|v| v.claim(&r).map(ClaimView::from)).await??))
}
