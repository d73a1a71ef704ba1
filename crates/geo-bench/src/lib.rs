//! Side-by-side deconfliction benchmark and PostGIS oracle for `corridor-geo`.
//!
//! Both need a running PostGIS (`scripts/ci-postgis.sh` sets one up on
//! 127.0.0.1:5432). The oracle test lives in `tests/postgis_oracle.rs`; the
//! benchmark is [`run_deconflict`], wired as `corridor bench deconflict` and
//! runnable alone as `cargo run --release -p corridor-geo-bench --example
//! deconflict`.

mod bench;
pub mod data;
mod oracle;
mod pg;

pub use bench::{run_deconflict, DeconflictOpts};
pub use oracle::{run_oracle, OracleOpts, OracleReport, THRESHOLD_SLACK_M};
pub use pg::{PostGis, DEFAULT_CONNINFO};
