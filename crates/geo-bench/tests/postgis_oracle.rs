//! Corridor's geometry answers against PostGIS `geography`, query by query.
//! Fails, never skips, when PostGIS cannot be reached: run
//! `scripts/ci-postgis.sh` first.

use corridor_geo_bench::{run_oracle, OracleOpts, DEFAULT_CONNINFO};

#[test]
fn index_answers_match_postgis() {
    let opts = OracleOpts {
        conninfo: std::env::var("CORRIDOR_POSTGIS").unwrap_or_else(|_| DEFAULT_CONNINFO.to_owned()),
        seed: 20_261_101,
        points: 3_000,
        polygons: 300,
        routes: 150,
        queries: 4_000,
    };
    let schema = format!("corridor_geo_oracle_{}", std::process::id());
    let report = run_oracle(&opts, &schema).expect("oracle run (is PostGIS up? scripts/ci-postgis.sh)");
    println!("{report:#?}");
    assert!(
        report.mismatches.is_empty(),
        "{} mismatches:\n{}",
        report.mismatches.len(),
        report.mismatches.join("\n")
    );
    assert!(report.hits > 10_000, "too few hits to mean anything: {}", report.hits);
    assert!(report.threshold_queries > 500, "{}", report.threshold_queries);
    assert!(report.max_distance_diff_m <= 1e-7, "distance differs by {} m", report.max_distance_diff_m);
}
