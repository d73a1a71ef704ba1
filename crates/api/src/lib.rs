//! The HTTP API (brief §7): JSON under `/v1`, the C2SP tlog-tiles read API at the
//! root, problem+json errors, Prometheus metrics, health, OpenAPI.
//!
//! The browser console is served from every GET path no route claims, so it can
//! never shadow an API path; an unknown path under `/v1` stays problem+json.
//!
//! Handlers are thin: they parse the request, call the [`Service`], and present
//! the result through the data transfer types of [`dto`], the API's only JSON
//! shapes; `/openapi.json` is generated from them ([`openapi`]). Limits on body
//! size, page size, in-flight requests, connections and the time each client
//! may take are enforced here or in the service, never left to defaults.

mod conn;
pub mod dto;
mod export;
mod extract;
mod forward;
mod intake;
mod limit;
mod metrics;
pub mod openapi;
mod problem;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use corridor_console::Console;
use corridor_service::Service;
use tokio::sync::Semaphore;

pub use conn::{serve, ClientAddr, SHUTDOWN_GRACE};
pub use problem::Problem;

/// Limits of the HTTP layer; [`conn`] says which state of a connection each
/// timeout bounds.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Open connections at once; beyond it, new connections wait in the backlog.
    pub max_connections: usize,
    /// Open connections from one client address (an IPv4 address or an IPv6
    /// /64); beyond it, a new connection is closed at once.
    pub max_connections_per_client: usize,
    /// Requests being handled at once; beyond it, 503 with Retry-After.
    pub max_in_flight: usize,
    /// From the first byte of a request head to its last.
    pub header_read_timeout: Duration,
    /// Waiting for the first byte of a request, on a new connection or a
    /// kept-alive one; then the connection is closed.
    pub idle_timeout: Duration,
    /// From a request head to the last byte of its body; then 408.
    pub body_read_timeout: Duration,
    /// A response write that makes no progress (the client reads nothing) for
    /// this long closes the connection.
    pub send_stall_timeout: Duration,
    /// Between keep-alive comments on an idle event stream.
    pub event_keep_alive: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 1_024,
            max_connections_per_client: 256,
            max_in_flight: 4_096,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            send_stall_timeout: Duration::from_secs(60),
            event_keep_alive: Duration::from_secs(15),
        }
    }
}

/// Builds the router; `console` serves the browser console's files.
pub fn router(service: Service, limits: &HttpLimits, console: Console) -> Router {
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let body = limit::BodyLimits {
        max_bytes: service.limits().max_body_bytes,
        intake_max_bytes: corridor_intake::MAX_TEXT_BYTES,
        read_timeout: limits.body_read_timeout,
    };
    Router::new()
        .route("/v1/statements", post(routes::submit))
        .route("/checkpoint", get(routes::checkpoint))
        .route("/tile/{*path}", get(routes::tile))
        .route("/v1/log", get(routes::log_info))
        .route("/v1/entries/{index}", get(routes::entry))
        .route("/v1/receipts/{index}", get(routes::receipt))
        .route("/v1/receipts/{index}/cosigned", get(routes::cosigned_receipt))
        .route("/v1/checkpoints/latest", get(routes::latest_checkpoint))
        .route("/v1/proofs/inclusion", get(routes::inclusion))
        .route("/v1/proofs/consistency", get(routes::consistency))
        .route("/v1/parties", get(routes::parties))
        .route("/v1/messages", get(routes::messages))
        .route("/v1/events", get(routes::events))
        .route("/v1/zones", get(routes::zones))
        .route("/v1/sites", get(routes::sites))
        .route("/v1/movements", get(routes::movements))
        .route("/v1/movements/preview", post(routes::movement_preview))
        .route("/v1/movements/{issuer}/{id}", get(routes::movement))
        .route("/v1/operations", get(routes::operations))
        .route("/v1/agreements", get(routes::agreements))
        .route("/v1/conflicts", get(routes::conflicts))
        .route("/v1/state/digest", get(routes::state_digest))
        .route("/v1/consignments", get(routes::consignments))
        .route("/v1/consignments/{id}", get(routes::consignment))
        .route("/v1/distributions", get(routes::distributions))
        .route("/v1/incidents", get(routes::incidents))
        .route("/v1/incidents/{issuer}/{id}/evidence", get(routes::incident_evidence))
        .route("/v1/agreements/{issuer}/{id}/violations", get(routes::violations))
        .route("/v1/claims", get(routes::claims))
        .route("/v1/claims/{issuer}/{id}", get(routes::claim))
        .route("/v1/intake", post(intake::intake))
        .route("/v1/export/{file}", get(export::export))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(routes::openapi))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(move |method, uri| routes::console_or_not_found(console.clone(), method, uri))
        .layer(axum::middleware::from_fn_with_state(body, limit::read_body))
        .layer(axum::Extension(routes::EventKeepAlive(limits.event_keep_alive)))
        .layer(compression())
        .layer(axum::middleware::from_fn_with_state(in_flight, limit::shed_load))
        .with_state(service)
}

/// Gzip for clients that ask for it: GeoJSON collections and the console shrink
/// to a quarter or less, which matters on field links. Tiles are hashes and do
/// not compress; event streams must not be buffered; tiny bodies are not worth it.
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate as _};
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream"));
    tower_http::compression::CompressionLayer::new().compress_when(predicate)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_documented() {
        let doc: serde_json::Value =
            serde_json::from_str(super::openapi::document()).expect("the document is JSON");
        let src = include_str!("lib.rs");
        let routes: Vec<&str> = src
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .map(|p| if p == "/tile/{*path}" { "/tile/{path}" } else { p })
            .collect();
        assert!(routes.len() > 20, "found the router's routes");
        for r in &routes {
            assert!(doc["paths"].get(r).is_some(), "{r} is not in openapi.json");
        }
        let documented = doc["paths"].as_object().expect("paths").len();
        assert_eq!(documented, routes.len(), "every documented path is routed");
    }
}
