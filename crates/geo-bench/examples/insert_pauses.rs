//! Inserts objects one at a time, as the fold does, and reports the longest
//! pauses: the cost of keeping the packed index up to date.
//! `cargo run --release -p corridor-geo-bench --example insert_pauses -- [sites]`
//! (`PAUSES_TRACE=1` prints each pause over 3 ms and the insert it fell on).

// A benchmark measures elapsed time.
#![allow(clippy::disallowed_methods)]
use corridor_geo::SpatioTemporalIndex;
use corridor_geo_bench::data::{indexed, sites_and_polygons, Generator};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let sites: usize = std::env::args().nth(1).map_or(Ok(1_000_000), |a| a.parse())?;
    let mut gen = Generator::new(7);
    let items = sites_and_polygons(&mut gen, sites, 20_000);
    let trace = std::env::var_os("PAUSES_TRACE").is_some();
    let mut index = SpatioTemporalIndex::new();
    let mut pauses_us: Vec<u128> = Vec::with_capacity(items.len());
    let started = Instant::now();
    for item in &items {
        let (id, object) = indexed(item);
        let t = Instant::now();
        index.insert(id, object);
        let pause_us = t.elapsed().as_micros();
        pauses_us.push(pause_us);
        if trace && pause_us > 3_000 {
            eprintln!("pause {pause_us} us at insert {}", pauses_us.len());
        }
    }
    let total = started.elapsed();
    pauses_us.sort_unstable();
    let n = pauses_us.len();
    let over_10ms = pauses_us.iter().filter(|&&p| p > 10_000).count();
    println!(
        "{n} inserts in {:.2} s; per insert p50 {} us, p99 {} us, max {:.1} ms; {over_10ms} inserts over 10 ms",
        total.as_secs_f64(),
        pauses_us[n / 2],
        pauses_us[n * 99 / 100],
        pauses_us[n - 1] as f64 / 1e3
    );
    Ok(())
}
