//! `/metrics` in the Prometheus text exposition format.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use corridor_service::{Service, COMMIT_BUCKETS_US};

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
pub async fn render(State(svc): State<Service>) -> Response {
    let m = svc.metrics();
    let size = match svc.log_info().await {
        Ok(info) => info.size,
        Err(e) => return crate::problem::Problem::from(e).into_response(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "# HELP corridor_submissions_total Submissions by outcome.");
    let _ = writeln!(out, "# TYPE corridor_submissions_total counter");
    for (outcome, n) in
        [("created", m.created), ("existing", m.existing), ("rejected", m.rejected), ("busy", m.busy)]
    {
        let _ = writeln!(out, "corridor_submissions_total{{outcome=\"{outcome}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP corridor_log_size Entries in the log.");
    let _ = writeln!(out, "# TYPE corridor_log_size gauge");
    let _ = writeln!(out, "corridor_log_size {size}");
    let _ = writeln!(out, "# HELP corridor_pool_waiting Submissions waiting for the sequencer.");
    let _ = writeln!(out, "# TYPE corridor_pool_waiting gauge");
    let _ = writeln!(out, "corridor_pool_waiting {}", m.pool_waiting);
    let _ = writeln!(out, "# HELP corridor_batch_entries_total Entries committed, over all batches.");
    let _ = writeln!(out, "# TYPE corridor_batch_entries_total counter");
    let _ = writeln!(out, "corridor_batch_entries_total {}", m.batch_entries);
    let _ = writeln!(out, "# HELP corridor_batch_commit_seconds Time to make one batch durable.");
    let _ = writeln!(out, "# TYPE corridor_batch_commit_seconds histogram");
    for (bound, count) in COMMIT_BUCKETS_US.iter().zip(&m.commit_buckets) {
        let _ =
            writeln!(out, "corridor_batch_commit_seconds_bucket{{le=\"{}\"}} {count}", *bound as f64 / 1e6);
    }
    let total = m.commit_buckets.last().copied().unwrap_or(0);
    let _ = writeln!(out, "corridor_batch_commit_seconds_bucket{{le=\"+Inf\"}} {total}");
    let _ = writeln!(out, "corridor_batch_commit_seconds_sum {}", m.commit_us_sum as f64 / 1e6);
    let _ = writeln!(out, "corridor_batch_commit_seconds_count {}", m.batches);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
