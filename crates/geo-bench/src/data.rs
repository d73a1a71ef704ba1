//! Seeded random scenarios over lon 35-48, lat 29-37: sites, small and large
//! polygons, short and long routes, and windows, shared by the oracle test
//! and the benchmark so that both engines always see identical input.

use corridor_geo::{Geometry, Position, Window};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const LON_RANGE: (f64, f64) = (35.0, 48.0);
pub const LAT_RANGE: (f64, f64) = (29.0, 37.0);

/// Start of the scenario's time span: 2026-11-01T00:00:00Z.
pub const EPOCH_US: i64 = 1_793_491_200_000_000;
pub const HOUR_US: i64 = 3_600_000_000;
/// Length of the span that windows are drawn from.
pub const SPAN_US: i64 = 60 * 24 * HOUR_US;

const M_PER_DEG: f64 = 111_320.0;

/// One object as both engines store it.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: u32,
    pub geometry: Geometry,
    pub window: Window,
}

/// The benchmark's two kinds of object: points (sites) and areas (polygons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Point,
    Area,
}

impl corridor_geo::Kind for Layer {
    fn ordinal(self) -> u8 {
        self as u8
    }
}

/// An item as the index holds it.
pub fn indexed(item: &Item) -> (u32, corridor_geo::IndexedObject<Layer>) {
    let kind =
        if item.geometry.kind() == corridor_geo::GeometryKind::Point { Layer::Point } else { Layer::Area };
    let geometry = std::sync::Arc::new(item.geometry.clone());
    (item.id, corridor_geo::IndexedObject { kind, geometry, window: item.window, reach_m: 0.0 })
}

/// Deterministic generator of geometries and windows.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed) }
    }

    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// A position inside the region, `margin_deg` away from its edges.
    pub fn position(&mut self, margin_deg: f64) -> Position {
        let lon = self.rng.gen_range(LON_RANGE.0 + margin_deg..LON_RANGE.1 - margin_deg);
        let lat = self.rng.gen_range(LAT_RANGE.0 + margin_deg..LAT_RANGE.1 - margin_deg);
        Position::new(lon, lat)
    }

    pub fn point(&mut self) -> Geometry {
        let p = self.position(0.0);
        Geometry::point(p.lon, p.lat).expect("generated positions are in range")
    }

    /// A star-shaped (hence simple) polygon of about `radius_m`.
    pub fn polygon(&mut self, radius_m: f64, vertices: usize) -> Geometry {
        loop {
            let c = self.position(radius_m / M_PER_DEG * 1.5);
            let ring = self.star_ring(c, radius_m, vertices);
            if let Ok(g) = Geometry::polygon(&[ring]) {
                return g;
            }
        }
    }

    fn star_ring(&mut self, c: Position, radius_m: f64, vertices: usize) -> Vec<Position> {
        let step = std::f64::consts::TAU / vertices as f64;
        let mut ring: Vec<Position> = (0..vertices)
            .map(|i| {
                let a = step * (i as f64 + self.rng.gen_range(0.0..0.8));
                let r = radius_m * self.rng.gen_range(0.5..1.0);
                offset(c, r * a.cos(), r * a.sin())
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    /// A small polygon (0.3-3 km) or, with probability `large_p`, a large
    /// one (10-40 km).
    pub fn any_polygon(&mut self, large_p: f64) -> Geometry {
        if self.rng.gen_bool(large_p) {
            let r = self.rng.gen_range(10_000.0..40_000.0);
            let n = self.rng.gen_range(16..48);
            self.polygon(r, n)
        } else {
            let r = self.rng.gen_range(300.0..3_000.0);
            let n = self.rng.gen_range(5..12);
            self.polygon(r, n)
        }
    }

    /// A wandering route of about `length_m`, in steps of `step_m` range.
    pub fn route(&mut self, length_m: f64, step_m: (f64, f64)) -> Geometry {
        let margin = 0.05;
        let mut p = self.position(margin);
        let mut heading: f64 = self.rng.gen_range(0.0..std::f64::consts::TAU);
        let mut line = vec![p];
        let mut walked = 0.0;
        while walked < length_m {
            let s = self.rng.gen_range(step_m.0..step_m.1).min(length_m - walked + 1.0);
            heading += self.rng.gen_range(-0.35..0.35);
            let mut next = offset(p, s * heading.sin(), s * heading.cos());
            if !inside(next, margin) {
                heading += std::f64::consts::PI;
                next = offset(p, s * heading.sin(), s * heading.cos());
            }
            line.push(next);
            p = next;
            walked += s;
        }
        Geometry::line_string(&line).expect("generated routes are valid")
    }

    /// A short route: 30-60 km in 2-6 km steps.
    pub fn short_route(&mut self) -> Geometry {
        let len = self.rng.gen_range(30_000.0..60_000.0);
        self.route(len, (2_000.0, 6_000.0))
    }

    /// A long route: about 480 km in 5-15 km steps.
    pub fn long_route(&mut self) -> Geometry {
        let len = self.rng.gen_range(470_000.0..490_000.0);
        self.route(len, (5_000.0, 15_000.0))
    }

    /// A window of 1 h to 30 days in the span; one in ten is open-ended.
    pub fn window(&mut self) -> Window {
        let from = EPOCH_US + self.rng.gen_range(0..SPAN_US);
        let len = self.rng.gen_range(HOUR_US..30 * 24 * HOUR_US);
        match self.rng.gen_range(0..20) {
            0 => Window::new(None, Some(from + len)),
            1 => Ok(Window::starting(from)),
            _ => Window::between(from, from + len),
        }
        .expect("generated windows are ordered")
    }

    /// A query window of `len_us` starting anywhere in the span.
    pub fn window_of(&mut self, len_us: i64) -> Window {
        let from = EPOCH_US + self.rng.gen_range(0..SPAN_US);
        Window::between(from, from + len_us).expect("positive length")
    }
}

fn offset(p: Position, east_m: f64, north_m: f64) -> Position {
    let lat = p.lat + north_m / M_PER_DEG;
    let lon = p.lon + east_m / (M_PER_DEG * p.lat.to_radians().cos());
    Position::new(lon, lat)
}

fn inside(p: Position, margin: f64) -> bool {
    (LON_RANGE.0 + margin..LON_RANGE.1 - margin).contains(&p.lon)
        && (LAT_RANGE.0 + margin..LAT_RANGE.1 - margin).contains(&p.lat)
}

/// The `n` sites and `m` polygons of a benchmark scenario, ids from 0.
pub fn sites_and_polygons(gen: &mut Generator, sites: usize, polygons: usize) -> Vec<Item> {
    let mut items = Vec::with_capacity(sites + polygons);
    for _ in 0..sites {
        let (geometry, window) = (gen.point(), gen.window());
        items.push(Item { id: items.len() as u32, geometry, window });
    }
    for _ in 0..polygons {
        let (geometry, window) = (gen.any_polygon(0.1), gen.window());
        items.push(Item { id: items.len() as u32, geometry, window });
    }
    items
}

/// A timestamp as PostgreSQL reads it: `YYYY-MM-DD HH:MM:SS.ffffff+00`.
pub fn timestamp_text(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}+00", sod / 3600, sod / 60 % 60, sod % 60)
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A window as a PostgreSQL `tstzrange` literal with `[)` bounds.
pub fn range_text(w: &Window) -> String {
    if w.is_empty() {
        return "empty".to_owned();
    }
    let end = |t: Option<i64>| t.map(|t| format!("\"{}\"", timestamp_text(t))).unwrap_or_default();
    format!("[{},{})", end(w.from_us()), end(w.to_us()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(timestamp_text(0), "1970-01-01 00:00:00.000000+00");
        assert_eq!(timestamp_text(EPOCH_US), "2026-11-01 00:00:00.000000+00");
        assert_eq!(timestamp_text(951_782_400_000_001), "2000-02-29 00:00:00.000001+00");
        assert_eq!(timestamp_text(-1), "1969-12-31 23:59:59.999999+00");
    }

    #[test]
    fn ranges_render_open_ends() {
        let w = Window::new(None, Some(0)).expect("ordered");
        assert_eq!(range_text(&w), "[,\"1970-01-01 00:00:00.000000+00\")");
    }

    #[test]
    fn routes_have_the_requested_length() {
        let mut gen = Generator::new(7);
        let route = gen.long_route();
        assert!(route.vertex_count() > 30);
    }
}
