//! Runs the deconfliction benchmark alone:
//! `cargo run --release -p corridor-geo-bench --example deconflict -- [sites...]`
//! (default: 200000 1000000).

// A benchmark program times what it runs.
#![allow(clippy::disallowed_methods)]

fn main() -> anyhow::Result<()> {
    let mut opts = corridor_geo_bench::DeconflictOpts::new(std::time::Instant::now);
    let sites: Vec<usize> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    if !sites.is_empty() {
        opts.sites = sites;
    }
    if let Ok(conninfo) = std::env::var("CORRIDOR_POSTGIS") {
        opts.conninfo = conninfo;
    }
    corridor_geo_bench::run_deconflict(&opts)
}
