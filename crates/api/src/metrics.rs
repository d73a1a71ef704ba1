//! `/metrics` in the Prometheus text exposition format.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use corridor_service::{Role, Service, COMMIT_BUCKETS_US};

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
pub async fn render(State(svc): State<Service>) -> Response {
    let m = svc.metrics();
    // Answered while the node cannot serve reads too (recovering, or
    // stopped): that is when its role and counters matter most.
    let info = svc.log_info().await.ok();
    let mut out = String::new();
    let _ = writeln!(out, "# HELP corridor_submissions_total Submissions by outcome.");
    let _ = writeln!(out, "# TYPE corridor_submissions_total counter");
    for (outcome, n) in
        [("created", m.created), ("existing", m.existing), ("rejected", m.rejected), ("busy", m.busy)]
    {
        let _ = writeln!(out, "corridor_submissions_total{{outcome=\"{outcome}\"}} {n}");
    }
    if let Some(info) = &info {
        let _ = writeln!(out, "# HELP corridor_log_size Entries in the log.");
        let _ = writeln!(out, "# TYPE corridor_log_size gauge");
        let _ = writeln!(out, "corridor_log_size {}", info.size);
    }
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
    if let Some(info) = &info {
        write_witnesses(&mut out, info);
    }
    write_node(&mut out, &svc.node_status());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// The node's role (one series set to 1), term and lag.
fn write_node(out: &mut String, node: &corridor_service::NodeStatus) {
    let _ = writeln!(out, "# HELP corridor_node_role This node's role in a cluster (1 for the current one).");
    let _ = writeln!(out, "# TYPE corridor_node_role gauge");
    for role in [Role::Single, Role::Leader, Role::Follower, Role::Recovering] {
        let _ =
            writeln!(out, "corridor_node_role{{role=\"{}\"}} {}", role.as_str(), u8::from(node.role == role));
    }
    let _ =
        writeln!(out, "# HELP corridor_node_term The fencing term of the latest writer this node knows of.");
    let _ = writeln!(out, "# TYPE corridor_node_term gauge");
    let _ = writeln!(out, "corridor_node_term {}", node.term);
    let _ = writeln!(out, "# HELP corridor_node_lag_entries Entries the store held beyond this node's size when it last looked.");
    let _ = writeln!(out, "# TYPE corridor_node_lag_entries gauge");
    let _ = writeln!(out, "corridor_node_lag_entries {}", node.lag);
}

/// The cosigned size, and each witness's latest cosigned size and its age
/// (from the witness's timestamp to the log's clock), when the log collects
/// cosignatures.
fn write_witnesses(out: &mut String, info: &corridor_service::LogInfo) {
    let Some(board) = &info.witnesses else { return };
    let _ = writeln!(
        out,
        "# HELP corridor_cosigned_size Size of the latest checkpoint the witnesses' quorum cosigned."
    );
    let _ = writeln!(out, "# TYPE corridor_cosigned_size gauge");
    let _ = writeln!(out, "corridor_cosigned_size {}", info.cosigned.as_ref().map_or(0, |c| c.size));
    let _ = writeln!(out, "# HELP corridor_witness_cosigned_size Largest size each witness cosigned.");
    let _ = writeln!(out, "# TYPE corridor_witness_cosigned_size gauge");
    for w in &board.witnesses {
        let size = w.cosigned.map_or(0, |(s, _)| s);
        let _ = writeln!(out, "corridor_witness_cosigned_size{{witness=\"{}\"}} {size}", label(&w.name));
    }
    let _ = writeln!(
        out,
        "# HELP corridor_witness_cosignature_age_seconds Age of each witness's latest cosignature."
    );
    let _ = writeln!(out, "# TYPE corridor_witness_cosignature_age_seconds gauge");
    for w in &board.witnesses {
        if let Some((_, at_s)) = w.cosigned {
            let age = info.now_us as f64 / 1e6 - at_s as f64;
            let _ = writeln!(
                out,
                "corridor_witness_cosignature_age_seconds{{witness=\"{}\"}} {age}",
                label(&w.name)
            );
        }
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
