//! `corridor bench deconflict`: the same data and queries in Corridor's
//! in-process index and in PostGIS, answers checked equal, latencies side by
//! side.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use corridor_geo::{Geometry, SpatioTemporalIndex, Window};

use crate::data::{sites_and_polygons, Generator, HOUR_US};
use crate::oracle::THRESHOLD_SLACK_M;
use crate::pg::{PostGis, DEFAULT_CONNINFO};

/// Corridor half-width of every benchmark route.
const CORRIDOR_M: f64 = 500.0;

/// Options of the deconfliction benchmark.
#[derive(Debug, Clone)]
pub struct DeconflictOpts {
    /// Site counts to run, one scenario each (e.g. 200,000 and 1,000,000).
    pub sites: Vec<usize>,
    pub polygons: usize,
    pub short_queries: usize,
    pub long_queries: usize,
    pub conninfo: String,
    pub seed: u64,
    /// The clock the timings are read from: a benchmark's caller (a binary)
    /// supplies it, as a library reads no clock of its own.
    pub now: fn() -> Instant,
}

impl DeconflictOpts {
    /// The published benchmark's settings, timed by `now`.
    pub fn new(now: fn() -> Instant) -> Self {
        Self {
            sites: vec![200_000, 1_000_000],
            polygons: 20_000,
            short_queries: 1_000,
            long_queries: 100,
            conninfo: DEFAULT_CONNINFO.to_owned(),
            seed: 1,
            now,
        }
    }
}

/// Runs every scenario and prints the report to stdout.
pub fn run_deconflict(opts: &DeconflictOpts) -> Result<()> {
    println!("deconfliction benchmark: Corridor in-process vs PostGIS (geography, GiST on (geog, valid))");
    println!("query: ST_DWithin(geog, $1, $2) AND valid && $3; corridor {CORRIDOR_M} m, window 6 h");
    for &sites in &opts.sites {
        run_scenario(opts, sites)?;
    }
    Ok(())
}

struct Timings {
    corridor: Vec<Duration>,
    pg_end_to_end: Vec<Duration>,
    pg_server: Vec<Duration>,
    hits: usize,
    tolerated: usize,
}

fn run_scenario(opts: &DeconflictOpts, sites: usize) -> Result<()> {
    let mut gen = Generator::new(opts.seed ^ sites as u64);
    let items = sites_and_polygons(&mut gen, sites, opts.polygons);
    println!("\n== {sites} sites + {} polygons (seed {}) ==", opts.polygons, opts.seed);

    let rss_before = resident_bytes();
    let started = (opts.now)();
    let index = SpatioTemporalIndex::from_objects(items.iter().map(crate::data::indexed));
    let build = started.elapsed();
    let index_bytes = resident_bytes().saturating_sub(rss_before);
    let per_million = index_bytes as f64 / items.len() as f64 * 1e6 / (1 << 20) as f64;
    println!(
        "Corridor index build: {:.3} s; memory {:.0} MiB ({per_million:.0} MiB per million objects)",
        build.as_secs_f64(),
        index_bytes as f64 / (1 << 20) as f64
    );

    let schema = format!("corridor_geo_bench_{}", std::process::id());
    let started = (opts.now)();
    let mut pg = PostGis::load(&opts.conninfo, &schema, &items)?;
    let pg_build = started.elapsed();
    let pg_bytes = pg.relation_bytes()?;
    println!(
        "PostGIS load + GiST build: {:.1} s; table + index {:.0} MiB",
        pg_build.as_secs_f64(),
        pg_bytes as f64 / (1 << 20) as f64
    );

    let outcome = (|| -> Result<()> {
        let short: Vec<Geometry> = (0..opts.short_queries).map(|_| gen.short_route()).collect();
        let long: Vec<Geometry> = (0..opts.long_queries).map(|_| gen.long_route()).collect();
        for (label, routes) in [("short route 30-60 km", &short), ("long route ~480 km", &long)] {
            let windows: Vec<Window> = routes.iter().map(|_| gen.window_of(6 * HOUR_US)).collect();
            let t = measure(opts, &index, &mut pg, routes, &windows)?;
            print_row(label, &t);
        }
        Ok(())
    })();
    let dropped = pg.drop();
    outcome?;
    dropped
}

fn measure(
    opts: &DeconflictOpts,
    index: &SpatioTemporalIndex<u32, crate::data::Layer>,
    pg: &mut PostGis,
    routes: &[Geometry],
    windows: &[Window],
) -> Result<Timings> {
    let mut t = Timings {
        corridor: Vec::new(),
        pg_end_to_end: Vec::new(),
        pg_server: Vec::new(),
        hits: 0,
        tolerated: 0,
    };
    // Each engine runs the whole batch in turn, so that each is measured in its
    // steady state rather than with caches the other just evicted.
    let mut ours = Vec::with_capacity(routes.len());
    for (route, window) in routes.iter().zip(windows) {
        let started = (opts.now)();
        let found = index.within(route, CORRIDOR_M, *window);
        t.corridor.push(started.elapsed());
        let mut ids: Vec<u32> = found.into_iter().copied().collect();
        ids.sort_unstable();
        ours.push(ids);
    }
    let mut theirs = Vec::with_capacity(routes.len());
    for (route, window) in routes.iter().zip(windows) {
        let started = (opts.now)();
        theirs.push(pg.within(route, CORRIDOR_M, window)?);
        t.pg_end_to_end.push(started.elapsed());
    }
    for (route, window) in routes.iter().zip(windows) {
        t.pg_server.push(pg.execution_time(route, CORRIDOR_M, window)?);
    }
    for ((route, ours), theirs) in routes.iter().zip(&ours).zip(&theirs) {
        t.hits += theirs.len();
        t.tolerated += check_same(pg, route, ours, theirs)?;
    }
    Ok(t)
}

/// Fails unless the answers agree up to threshold-slack cases, which it
/// counts.
fn check_same(pg: &mut PostGis, route: &Geometry, ours: &[u32], theirs: &[u32]) -> Result<usize> {
    let mut tolerated = 0;
    let only_ours = ours.iter().filter(|x| theirs.binary_search(x).is_err());
    let only_theirs = theirs.iter().filter(|x| ours.binary_search(x).is_err());
    for &id in only_ours.chain(only_theirs) {
        let d = pg.distance_to(id, route)?;
        if (d - CORRIDOR_M).abs() > THRESHOLD_SLACK_M {
            bail!("answers differ on object {id} at ST_Distance {d} m for route {}", route.to_wkt());
        }
        tolerated += 1;
    }
    Ok(tolerated)
}

fn percentile(samples: &[Duration], p: f64) -> f64 {
    let mut v: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

fn print_row(label: &str, t: &Timings) {
    let [c50, c99] = [0.5, 0.99].map(|p| percentile(&t.corridor, p));
    let [e50, e99] = [0.5, 0.99].map(|p| percentile(&t.pg_end_to_end, p));
    let [s50, s99] = [0.5, 0.99].map(|p| percentile(&t.pg_server, p));
    println!(
        "{label}: {} queries, {} hits, answers identical ({} threshold-slack differences)",
        t.corridor.len(),
        t.hits,
        t.tolerated
    );
    println!("  {:<28} {:>10} {:>10}", "ms per query", "p50", "p99");
    println!("  {:<28} {c50:>10.4} {c99:>10.4}", "Corridor in-process");
    println!("  {:<28} {e50:>10.4} {e99:>10.4}", "PostGIS end to end");
    println!("  {:<28} {s50:>10.4} {s99:>10.4}", "PostGIS server execution");
    println!("  {:<28} {:>9.1}x {:>9.1}x", "speed-up vs server exec", s50 / c50, s99 / c99);
    println!("  {:<28} {:>9.1}x {:>9.1}x", "speed-up vs end to end", e50 / c50, e99 / c99);
}

/// Resident set size of this process (Linux), 0 where unknown.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    pages * 4096
}
