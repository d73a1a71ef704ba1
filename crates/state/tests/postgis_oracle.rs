//! The geometry engine against PostGIS `geography`, on the same random data:
//! distances must agree, and `within` must give the same answer except where
//! PostGIS's own distance lies within 1e-6 m of the threshold.
//!
//! Needs PostgreSQL with PostGIS on 127.0.0.1:5432 (database `test`, trust
//! auth); `scripts/ci-postgis.sh` sets it up. Fails if it cannot connect.

use corridor_state::spatial::{distance_m, within, Geom};
use serde_json::{json, Value};

struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn place(&mut self) -> (f64, f64) {
        (self.range(35.0, 48.0), self.range(29.0, 37.0))
    }
}

fn wkt(v: &Value) -> String {
    let pos = |p: &Value| format!("{} {}", p[0], p[1]);
    let list = |a: &Value| {
        a.as_array().map(|a| a.iter().map(pos).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    };
    let c = &v["coordinates"];
    match v["type"].as_str().unwrap_or_default() {
        "Point" => format!("POINT({})", pos(c)),
        "LineString" => format!("LINESTRING({})", list(c)),
        _ => format!("POLYGON(({}))", list(&c[0])),
    }
}

/// A random point, polygon (small or large, convex) or route (short or long),
/// anchored at `near` (give or take a little) when given.
fn shape(rng: &mut Lcg, near: Option<(f64, f64)>) -> Value {
    let (lon, lat) = match near {
        Some((x, y)) => (x + rng.range(-0.3, 0.3), y + rng.range(-0.3, 0.3)),
        None => rng.place(),
    };
    match (rng.unit() * 5.0) as u32 {
        0 | 1 => json!({"type": "Point", "coordinates": [lon, lat]}),
        2 => {
            let r = if rng.unit() < 0.5 { rng.range(0.001, 0.05) } else { rng.range(0.2, 1.5) };
            let n = 3 + (rng.unit() * 6.0) as usize;
            let mut ring: Vec<[f64; 2]> = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / n as f64;
                    [lon + r * a.cos(), lat + r * 0.8 * a.sin()]
                })
                .collect();
            ring.push(ring[0]);
            json!({"type": "Polygon", "coordinates": [ring]})
        }
        _ => {
            let len = if rng.unit() < 0.5 { rng.range(0.2, 0.6) } else { rng.range(2.0, 5.0) };
            let n = 2 + (rng.unit() * 4.0) as usize;
            let bearing = rng.range(0.0, std::f64::consts::TAU);
            let pts: Vec<[f64; 2]> = (0..n)
                .map(|i| {
                    let t = len * i as f64 / (n - 1) as f64;
                    [lon + t * bearing.cos() + rng.range(-0.05, 0.05), lat + t * bearing.sin()]
                })
                .collect();
            json!({"type": "LineString", "coordinates": pts})
        }
    }
}

fn first_position(v: &Value) -> (f64, f64) {
    let mut c = &v["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0))
}

#[test]
fn distances_and_within_agree_with_postgis() {
    let mut db =
        postgres::Client::connect("host=127.0.0.1 port=5432 user=postgres dbname=test", postgres::NoTls)
            .expect("PostgreSQL with PostGIS on 127.0.0.1:5432 (run scripts/ci-postgis.sh)");
    let query = db
        .prepare("SELECT ST_Distance(ST_GeogFromText($1), ST_GeogFromText($2)), ST_DWithin(ST_GeogFromText($1), ST_GeogFromText($2), $3)")
        .expect("PostGIS is installed");
    let mut rng = Lcg(2026);
    let (mut compared, mut near_threshold, mut touching) = (0, 0, 0);
    for case in 0..3_000 {
        let a = shape(&mut rng, None);
        let anchor = a["coordinates"].as_array().map(|_| first_position(&a));
        let b = shape(&mut rng, anchor.filter(|_| case % 2 == 0));
        let (ga, gb) = (Geom::parse(&a).expect("valid"), Geom::parse(&b).expect("valid"));
        let ours = distance_m(&ga, &gb);
        // Thresholds: some random, some placed within ±1 mm of the distance.
        let threshold =
            if case % 3 == 0 { ours + rng.range(-0.001, 0.001) } else { rng.range(0.0, 300_000.0) };
        let row = db
            .query_one(
                &query,
                &[&format!("SRID=4326;{}", wkt(&a)), &format!("SRID=4326;{}", wkt(&b)), &threshold],
            )
            .expect("query");
        let (theirs, their_within): (f64, bool) = (row.get(0), row.get(1));
        touching += usize::from(theirs == 0.0);
        assert!((ours - theirs).abs() <= 1e-6, "case {case}: ours {ours} m, PostGIS {theirs} m\n{a}\n{b}");
        if (theirs - threshold).abs() <= 1e-6 {
            near_threshold += 1;
            continue;
        }
        assert_eq!(
            within(&ga, &gb, threshold),
            their_within,
            "case {case}: within {threshold} m (PostGIS distance {theirs})\n{a}\n{b}"
        );
        compared += 1;
    }
    eprintln!("compared {compared} pairs with PostGIS; {touching} at distance 0; {near_threshold} within 1e-6 m of the threshold");
    assert!(compared > 2_900, "compared {compared}, skipped {near_threshold} at the threshold");
    assert!(touching > 30, "only {touching} intersecting pairs: the data should exercise distance 0");
}
