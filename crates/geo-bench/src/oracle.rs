//! The PostGIS oracle: the same random objects and queries in both engines,
//! result sets compared one by one.
//!
//! Answers must be identical, except for an object whose PostGIS
//! `ST_Distance` lies within [`THRESHOLD_SLACK_M`] of the query distance:
//! there the two engines' last-bit rounding may legitimately differ. Besides
//! plain random queries the oracle places queries within a millimetre of an
//! object's exact distance and windows that touch an object's window at
//! either end, where a wrong comparison would show.

use anyhow::Result;
use corridor_geo::{distance_m, Geometry, Position, SpatioTemporalIndex, Window};
use rand::Rng;

use crate::data::{Generator, Item, HOUR_US};
use crate::pg::PostGis;

/// How close to the threshold a disagreement may be.
pub const THRESHOLD_SLACK_M: f64 = 1e-6;

/// Sizes of an oracle run.
#[derive(Debug, Clone)]
pub struct OracleOpts {
    pub conninfo: String,
    pub seed: u64,
    pub points: usize,
    pub polygons: usize,
    pub routes: usize,
    pub queries: usize,
}

/// What an oracle run found.
#[derive(Debug, Default)]
pub struct OracleReport {
    pub queries: usize,
    pub threshold_queries: usize,
    pub touching_window_queries: usize,
    pub hits: usize,
    /// Disagreements within the slack of the threshold.
    pub tolerated: usize,
    /// Disagreements outside it: each a description.
    pub mismatches: Vec<String>,
    /// Largest |Corridor distance - PostGIS ST_Distance| over threshold cases.
    pub max_distance_diff_m: f64,
    /// The pair (query, object) with that largest difference, as WKT.
    pub max_distance_diff_at: Option<(String, String)>,
}

struct Case {
    geometry: Geometry,
    distance_m: f64,
    window: Window,
    /// The object a threshold case was built around, and our distance to it.
    near: Option<(u32, f64)>,
}

/// Runs the comparison in schema `schema`, dropping it afterwards.
pub fn run_oracle(opts: &OracleOpts, schema: &str) -> Result<OracleReport> {
    let mut gen = Generator::new(opts.seed);
    let items = objects(&mut gen, opts);
    let index = SpatioTemporalIndex::from_objects(items.iter().map(crate::data::indexed));
    let mut pg = PostGis::load(&opts.conninfo, schema, &items)?;
    let outcome = compare_all(&mut gen, opts, &items, &index, &mut pg);
    let dropped = pg.drop();
    let report = outcome?;
    dropped?;
    Ok(report)
}

fn compare_all(
    gen: &mut Generator,
    opts: &OracleOpts,
    items: &[Item],
    index: &SpatioTemporalIndex<u32, crate::data::Layer>,
    pg: &mut PostGis,
) -> Result<OracleReport> {
    let mut report = OracleReport::default();
    for n in 0..opts.queries {
        let case = query_case(gen, items, n);
        report.queries += 1;
        if let Some((id, ours_m)) = case.near {
            report.threshold_queries += 1;
            let theirs_m = pg.distance_to(id, &case.geometry)?;
            let diff_m = (ours_m - theirs_m).abs();
            if diff_m > report.max_distance_diff_m {
                report.max_distance_diff_m = diff_m;
                let object = items[id as usize].geometry.to_wkt();
                report.max_distance_diff_at = Some((case.geometry.to_wkt(), object));
            }
        }
        if n % 5 == 1 {
            report.touching_window_queries += 1;
        }
        let mut ours: Vec<u32> =
            index.within(&case.geometry, case.distance_m, case.window).into_iter().copied().collect();
        ours.sort_unstable();
        let theirs = pg.within(&case.geometry, case.distance_m, &case.window)?;
        report.hits += theirs.len();
        for id in symmetric_difference(&ours, &theirs) {
            let pg_m = pg.distance_to(id, &case.geometry)?;
            if (pg_m - case.distance_m).abs() <= THRESHOLD_SLACK_M {
                report.tolerated += 1;
            } else {
                report.mismatches.push(format!(
                    "query {n}: object {id} ({}) in {} only; ST_Distance {pg_m} m vs threshold {} m; query {}",
                    items[id as usize].geometry.to_wkt(),
                    if ours.binary_search(&id).is_ok() { "Corridor" } else { "PostGIS" },
                    case.distance_m,
                    case.geometry.to_wkt(),
                ));
            }
        }
    }
    Ok(report)
}

fn symmetric_difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let only_a = a.iter().filter(|x| b.binary_search(x).is_err());
    let only_b = b.iter().filter(|x| a.binary_search(x).is_err());
    only_a.chain(only_b).copied().collect()
}

fn objects(gen: &mut Generator, opts: &OracleOpts) -> Vec<Item> {
    let mut items = Vec::new();
    let mut push = |geometry: Geometry, window: Window| {
        items.push(Item { id: items.len() as u32, geometry, window });
    };
    for _ in 0..opts.points {
        let (g, w) = (gen.point(), gen.window());
        push(g, w);
    }
    for _ in 0..opts.polygons {
        let (g, w) = (gen.any_polygon(0.15), gen.window());
        push(g, w);
    }
    for i in 0..opts.routes {
        let g = if i % 10 == 0 { gen.long_route() } else { gen.short_route() };
        let w = gen.window();
        push(g, w);
    }
    for i in 0..opts.polygons / 10 {
        let w = gen.window();
        push(multi(gen, i), w);
    }
    items
}

/// A MultiPoint, MultiLineString or MultiPolygon of two nearby parts.
fn multi(gen: &mut Generator, i: usize) -> Geometry {
    let parts = |g: Geometry| g.coordinates().remove(0);
    let built = match i % 3 {
        0 => {
            let c = gen.position(0.1);
            let d = Position::new(c.lon + 0.01, c.lat + 0.02);
            Geometry::multi_point(&[c, d])
        }
        1 => {
            let (a, b) = (gen.short_route(), gen.short_route());
            Geometry::multi_line_string(&[parts(a).remove(0), parts(b).remove(0)])
        }
        _ => {
            let (a, b) = (gen.any_polygon(0.0), gen.any_polygon(0.0));
            Geometry::multi_polygon(&[parts(a), parts(b)])
        }
    };
    built.expect("parts were valid on their own")
}

/// Query `n`: every fifth is a threshold case, every fifth (offset by one)
/// has a window touching an object's; the rest are random.
fn query_case(gen: &mut Generator, items: &[Item], n: usize) -> Case {
    if n % 5 < 1 {
        if let Some(case) = threshold_case(gen, items) {
            return case;
        }
    }
    let geometry = match gen.rng().gen_range(0..10) {
        0..=2 => gen.point(),
        3..=5 => gen.short_route(),
        6 => gen.long_route(),
        _ => gen.any_polygon(0.2),
    };
    let distance_m = match geometry.kind() {
        corridor_geo::GeometryKind::Point => gen.rng().gen_range(0.0..60_000.0),
        _ if gen.rng().gen_bool(0.1) => 0.0,
        _ => gen.rng().gen_range(0.0..20_000.0),
    };
    let window = match n % 5 {
        1 => touching_window(gen, items),
        2 => Window::always(),
        _ => {
            let hours = gen.rng().gen_range(1..24 * 20);
            gen.window_of(hours * HOUR_US)
        }
    };
    Case { geometry, distance_m, window, near: None }
}

/// A window that ends where a random object's starts, or starts where it
/// ends.
fn touching_window(gen: &mut Generator, items: &[Item]) -> Window {
    let o = &items[gen.rng().gen_range(0..items.len())];
    let len = 6 * HOUR_US;
    let touching = match (o.window.from_us(), o.window.to_us(), gen.rng().gen_bool(0.5)) {
        (Some(from), _, true) => Window::between(from - len, from),
        (_, Some(to), _) => Window::between(to, to + len),
        (Some(from), None, false) => Window::new(None, Some(from)),
        (None, None, _) => Ok(Window::always()),
    };
    touching.expect("ordered")
}

/// A query a few kilometres from a random object, at that object's exact
/// distance give or take a millimetre.
fn threshold_case(gen: &mut Generator, items: &[Item]) -> Option<Case> {
    let id = gen.rng().gen_range(0..items.len()) as u32;
    let target = &items[id as usize];
    let anchor = target.geometry.coordinates()[0][0][0];
    let (east, north) = (gen.rng().gen_range(-0.05..0.05), gen.rng().gen_range(-0.05..0.05));
    let start = Position::new(anchor.lon + east, anchor.lat + north);
    let geometry = if gen.rng().gen_bool(0.5) {
        Geometry::point(start.lon, start.lat).ok()?
    } else {
        let end = Position::new(start.lon + gen.rng().gen_range(-0.2..0.2), start.lat + 0.1);
        Geometry::line_string(&[start, end]).ok()?
    };
    let exact_m = distance_m(&geometry, &target.geometry);
    if exact_m == 0.0 {
        return None;
    }
    let delta_m = match gen.rng().gen_range(0..4) {
        0 => 0.0,
        1 => gen.rng().gen_range(-1e-4..1e-4),
        _ => gen.rng().gen_range(-1e-3..1e-3),
    };
    let window = if gen.rng().gen_bool(0.5) { Window::always() } else { target.window };
    Some(Case { geometry, distance_m: exact_m + delta_m, window, near: Some((id, exact_m)) })
}
