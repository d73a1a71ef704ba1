//! Request handlers.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corridor_service::{Filter, Service, Submitted};
use corridor_statement::timefmt::parse_utc_us;
use corridor_statement::ObjectRef;
use corridor_tlog::TilePath;
use futures_util::Stream;
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::BroadcastStream;

use crate::problem::Problem;

type ApiResult = Result<Response, Problem>;

/// Full tiles and bundles never change: cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Partial tiles never change either, but are superseded; checkpoints move.
const SHORT: &str = "public, max-age=5";
const NO_STORE: &str = "no-store";

fn bad_request(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail)
}

fn with_cache(mut resp: Response, policy: &'static str) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    resp
}

pub async fn submit(State(svc): State<Service>, body: Body) -> ApiResult {
    let limit = svc.limits().max_body_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("request body exceeds {limit} bytes"),
        )
    })?;
    let (status, receipt) = match svc.submit(&bytes).await? {
        Submitted::Created(r) => (StatusCode::CREATED, r),
        Submitted::Existing(r) => (StatusCode::OK, r),
    };
    Ok(with_cache((status, Json(receipt)).into_response(), NO_STORE))
}

pub async fn checkpoint(State(svc): State<Service>) -> Response {
    let note = svc.checkpoint_note().await;
    let resp = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response();
    with_cache(resp, NO_STORE)
}

pub async fn tile(State(svc): State<Service>, Path(path): Path<String>) -> ApiResult {
    let tile = TilePath::parse(&path)
        .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "not_found", "not a tile path"))?;
    let bytes =
        if tile.level.is_some() { svc.hash_tile(tile).await? } else { svc.entry_bundle(tile).await? };
    let resp = ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    Ok(with_cache(resp, if tile.width.is_none() { IMMUTABLE } else { SHORT }))
}

pub async fn log_info(State(svc): State<Service>) -> Response {
    with_cache(Json(svc.log_info().await).into_response(), NO_STORE)
}

fn parse_index(text: &str) -> Result<u64, Problem> {
    text.parse().map_err(|_| bad_request(format!("{text:?} is not an entry index")))
}

pub async fn entry(State(svc): State<Service>, Path(index): Path<String>) -> ApiResult {
    let view = svc.entry(parse_index(&index)?).await?;
    Ok(with_cache(Json(view).into_response(), IMMUTABLE))
}

pub async fn receipt(State(svc): State<Service>, Path(index): Path<String>) -> ApiResult {
    let r = svc.receipt(parse_index(&index)?).await?;
    Ok(with_cache(Json(r).into_response(), IMMUTABLE))
}

/// Query strings are parsed by hand so that a bad value gets problem+json.
fn query_u64(params: &std::collections::HashMap<String, String>, name: &str) -> Result<Option<u64>, Problem> {
    params
        .get(name)
        .map(|v| v.parse().map_err(|_| bad_request(format!("{name}={v:?} is not a non-negative integer"))))
        .transpose()
}

type Params = Query<std::collections::HashMap<String, String>>;

pub async fn inclusion(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let index = query_u64(&q, "index")?.ok_or_else(|| bad_request("index is required"))?;
    let (size, proof) = svc.inclusion_proof(index, query_u64(&q, "size")?).await?;
    Ok(Json(json!({"index": index, "size": size, "proof": proof})).into_response())
}

pub async fn consistency(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let from = query_u64(&q, "from")?.ok_or_else(|| bad_request("from is required"))?;
    let (to, proof) = svc.consistency_proof(from, query_u64(&q, "to")?).await?;
    Ok(Json(json!({"from": from, "to": to, "proof": proof})).into_response())
}

pub async fn parties(State(svc): State<Service>) -> Response {
    Json(json!({"parties": svc.parties().await})).into_response()
}

pub async fn messages(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let to = q.get("to").ok_or_else(|| bad_request("to=PARTY is required"))?;
    let after = query_u64(&q, "after")?;
    let max = svc.limits().max_page;
    let limit = query_u64(&q, "limit")?.map_or(100, |l| l as usize);
    if limit == 0 || limit > max {
        return Err(bad_request(format!("limit must be 1..={max}")));
    }
    let items = svc.messages_to(to, after, limit).await;
    let next = (items.len() == limit).then(|| items.last().map(|m| m.index)).flatten();
    Ok(Json(json!({"messages": items, "next_after": next})).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    party: Option<String>,
}

/// Server-sent events, after each entry is durable: `entry` for every accepted
/// entry (or, with `party=`, those the party filed), and `conflict` / `clearance`
/// notices addressed to that party.
pub async fn events(
    State(svc): State<Service>,
    Query(q): Query<EventsQuery>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let party = q.party;
    // A subscriber that falls behind the event buffer misses events (it can
    // re-read state); it never makes the server buffer without bound.
    let stream = BroadcastStream::new(svc.subscribe())
        .map(move |ev| {
            let events = ev.ok().map(|ev| sse_events(&ev, party.as_deref())).unwrap_or_default();
            futures_util::stream::iter(events)
        })
        .flatten();
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn sse_events(ev: &corridor_service::Event, party: Option<&str>) -> Vec<Result<SseEvent, Infallible>> {
    let mut out = Vec::new();
    if party.is_none_or(|p| p == ev.issuer) {
        let data = json!({"index": ev.index, "type": ev.kind, "issuer": ev.issuer, "id": ev.id});
        out.push(Ok(SseEvent::default().event("entry").id(ev.index.to_string()).data(data.to_string())));
    }
    for n in ev.notices.iter().filter(|n| party.is_some_and(|p| p == n.party)) {
        let data = json!({"index": ev.index, "subject": n.subject, "detail": n.detail});
        out.push(Ok(SseEvent::default().event(n.kind).id(ev.index.to_string()).data(data.to_string())));
    }
    out
}

pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::OPENAPI_JSON).into_response()
}

pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
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

/// `limit=`: 100 unless given, never above the service's page limit.
fn page_limit(svc: &Service, q: &std::collections::HashMap<String, String>) -> Result<usize, Problem> {
    let max = svc.limits().max_page;
    let limit = query_u64(q, "limit")?.map_or(100, |l| l as usize);
    if limit == 0 || limit > max {
        return Err(bad_request(format!("limit must be 1..={max}")));
    }
    Ok(limit)
}

/// Parses the listing filters shared by every spatial collection.
fn filter(svc: &Service, q: &std::collections::HashMap<String, String>) -> Result<Filter, Problem> {
    let bbox = q
        .get("bbox")
        .map(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            <[f64; 4]>::try_from(v).map_err(|_| bad_request("bbox is min_lon,min_lat,max_lon,max_lat"))
        })
        .transpose()?;
    let at_us = q
        .get("at")
        .map(|t| parse_utc_us(t).ok_or_else(|| bad_request(format!("at={t:?} is not an RFC 3339 UTC time"))))
        .transpose()?;
    let after = q
        .get("after")
        .map(|a| ObjectRef::parse(a).ok_or_else(|| bad_request(format!("after={a:?} is not issuer/id"))))
        .transpose()?;
    let limit = page_limit(svc, q)?;
    Ok(Filter { bbox, at_us, party: q.get("party").cloned(), status: q.get("status").cloned(), after, limit })
}

fn geojson(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], v.to_string()).into_response()
}

pub async fn zones(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    Ok(geojson(svc.zones(&filter(&svc, &q)?).await))
}

pub async fn sites(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    Ok(geojson(svc.sites(&filter(&svc, &q)?).await))
}

pub async fn movements(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    Ok(geojson(svc.movements(&filter(&svc, &q)?).await))
}

pub async fn operations(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    Ok(geojson(svc.operations(&filter(&svc, &q)?).await))
}

pub async fn agreements(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    Ok(geojson(svc.agreements(&filter(&svc, &q)?).await))
}

pub async fn movement(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    let r =
        ObjectRef::parse(&format!("{issuer}/{id}")).ok_or_else(|| bad_request("not a movement reference"))?;
    Ok(Json(svc.movement(&r).await?).into_response())
}

pub async fn conflicts(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let after = query_u64(&q, "after")?.unwrap_or(0) as usize;
    let limit = query_u64(&q, "limit")?.map_or(100, |l| l as usize);
    Ok(Json(svc.conflicts(q.get("party").map(String::as_str), after, limit).await).into_response())
}

/// The state digest: equal on every replica that folded the same log. It walks
/// the whole state, so it is for verification, not for polling.
pub async fn state_digest(State(svc): State<Service>) -> Response {
    let (size, digest) = svc.state_digest_at().await;
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Json(json!({"size": size, "digest": hex})).into_response()
}

fn object_ref(issuer: &str, id: &str) -> Result<ObjectRef, Problem> {
    ObjectRef::parse(&format!("{issuer}/{id}")).ok_or_else(|| bad_request("not an issuer/id reference"))
}

pub async fn consignment(State(svc): State<Service>, Path(id): Path<String>, Query(q): Params) -> ApiResult {
    let tolerance = match q.get("tolerance") {
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or_else(|| bad_request("tolerance is a fraction in 0..=1"))?,
        None => corridor_service::DEFAULT_TOLERANCE,
    };
    Ok(Json(svc.consignment(&id, tolerance).await?).into_response())
}

/// Rounds are free text, so the cursor is the round itself.
pub async fn distributions(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let limit = page_limit(&svc, &q)?;
    let (round, after) = (q.get("round").map(String::as_str), q.get("after").map(String::as_str));
    Ok(Json(svc.distributions(round, after, limit).await).into_response())
}

pub async fn incidents(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let f = filter(&svc, &q)?;
    Ok(geojson(svc.incidents(f.party.as_deref(), f.after.as_ref(), f.limit).await))
}

pub async fn incident_evidence(
    State(svc): State<Service>,
    Path((issuer, id)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(svc.incident_evidence(&object_ref(&issuer, &id)?).await?).into_response())
}

pub async fn violations(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    Ok(Json(svc.violations(&object_ref(&issuer, &id)?).await?).into_response())
}

pub async fn claims(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let f = filter(&svc, &q)?;
    Ok(Json(svc.claims(f.after.as_ref(), f.limit).await).into_response())
}

/// Consignment ids are free text, so the cursor is the id itself.
pub async fn consignments(State(svc): State<Service>, Query(q): Params) -> ApiResult {
    let limit = page_limit(&svc, &q)?;
    Ok(Json(svc.consignments(q.get("after").map(String::as_str), limit).await).into_response())
}

pub async fn claim(State(svc): State<Service>, Path((issuer, id)): Path<(String, String)>) -> ApiResult {
    Ok(Json(svc.claim(&object_ref(&issuer, &id)?).await?).into_response())
}

/// `/v1/export/{kind}.csv` (CSV with an HXL hashtag row) or `.geojson`.
pub async fn export(State(svc): State<Service>, Path(file): Path<String>) -> ApiResult {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "export sites, movements, incidents or distributions as .csv or .geojson",
        )
    };
    let (kind, format) = file.rsplit_once('.').ok_or_else(not_found)?;
    let kind = corridor_service::ExportKind::parse(kind).ok_or_else(not_found)?;
    match format {
        "csv" => Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], svc.export_csv(kind).await?)
            .into_response()),
        "geojson" => Ok(geojson(svc.export_geojson(kind).await?)),
        _ => Err(not_found()),
    }
}
