//! The fold's geometry: parsed GeoJSON, `distance`/`within` with PostGIS
//! `geography` semantics, and the spatio-temporal index.
//!
//! Semantics (brief §6): the closest pair of points is found on a sphere of radius
//! (2a+b)/3 with great-circle edges, then measured on the WGS84 ellipsoid with
//! Karney's geodesic inverse. A point inside a polygon, or crossing edges, is at
//! distance 0. Point-in-polygon is decided in a gnomonic projection centred on
//! the polygon, where great-circle edges are straight lines, so it is exact on
//! the sphere for polygons smaller than a hemisphere. Longitudes are taken as
//! given; a geometry crossing the antimeridian is not split (Corridor's area of
//! use is far from it), and polygons containing a pole are not supported.
//!
//! The index stores one box per route segment and per polygon part, so a long
//! diagonal route is not a scan of its bounding box. Boxes are widened by the
//! query distance converted to degrees with margin, so no true answer is missed;
//! every candidate is then checked exactly. Answers are sorted, which keeps the
//! fold deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use geographiclib_rs::{Geodesic, InverseGeodesic};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::Value;

pub use corridor_statement::access::Window;

// The closest-pair search works on unit vectors: on a sphere, which pair is
// closest does not depend on the radius, so PostGIS's (2a+b)/3 only scales angles.
/// Shortest length of a degree of latitude on WGS84, with margin: metres → degrees
/// conversions use it so that widened boxes are never too small.
const MIN_M_PER_DEG: f64 = 110_000.0;
/// Most positions in one geometry.
pub const MAX_VERTICES: usize = 10_000;

type V3 = [f64; 3];

fn to_v3(lon: f64, lat: f64) -> V3 {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

fn to_lonlat(v: V3) -> (f64, f64) {
    (v[1].atan2(v[0]).to_degrees(), v[2].clamp(-1.0, 1.0).asin().to_degrees())
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn normalize(a: V3) -> Option<V3> {
    let n = dot(a, a).sqrt();
    (n > 1e-15).then(|| scale(a, 1.0 / n))
}

/// The angle between two unit vectors, robust for tiny angles.
fn angle(a: V3, b: V3) -> f64 {
    let c = cross(a, b);
    dot(c, c).sqrt().atan2(dot(a, b))
}

/// One primitive part of a geometry, on the unit sphere.
#[derive(Debug)]
enum Part {
    Point(V3),
    Line(Vec<V3>),
    /// Outer ring then holes, each closed (first == last).
    Polygon(Vec<Vec<V3>>),
}

#[derive(Debug)]
struct Shape {
    parts: Vec<Part>,
    /// Per segment (or point, or polygon part) boxes in degrees: [min_lon, min_lat, max_lon, max_lat].
    boxes: Vec<[f64; 4]>,
}

/// A parsed, validated geometry; cheap to clone.
#[derive(Debug, Clone)]
pub struct Geom(Arc<Shape>);

impl Default for Geom {
    fn default() -> Self {
        Self(Arc::new(Shape { parts: vec![], boxes: vec![] }))
    }
}

/// Why a geometry was refused; each fault has its own stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("malformed GeoJSON geometry: {0}")]
    Malformed(String),
    #[error("unsupported geometry type {0}")]
    UnsupportedType(String),
    #[error("empty geometry")]
    Empty,
    #[error("coordinate out of range: {0}")]
    OutOfRange(String),
    #[error("too few positions: {got} (at least {min})")]
    TooFewPositions { got: usize, min: usize },
    #[error("too many vertices (at most {MAX_VERTICES})")]
    TooManyVertices,
    #[error("unclosed ring: the last position must equal the first")]
    UnclosedRing,
    #[error("self-intersecting ring")]
    SelfIntersectingRing,
}

impl GeoError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed_geometry",
            Self::UnsupportedType(_) => "unsupported_geometry_type",
            Self::Empty => "empty_geometry",
            Self::OutOfRange(_) => "coordinate_out_of_range",
            Self::TooFewPositions { .. } => "too_few_positions",
            Self::TooManyVertices => "too_many_vertices",
            Self::UnclosedRing => "unclosed_ring",
            Self::SelfIntersectingRing => "self_intersecting_ring",
        }
    }
}

fn malformed(what: &str) -> GeoError {
    GeoError::Malformed(what.to_owned())
}

fn position(v: &Value) -> Result<(f64, f64), GeoError> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 2 || a.len() == 3)
        .ok_or_else(|| malformed("a position is [lon, lat]"))?;
    let (lon, lat) = (
        a[0].as_f64().ok_or_else(|| malformed("longitude is not a number"))?,
        a[1].as_f64().ok_or_else(|| malformed("latitude is not a number"))?,
    );
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(GeoError::OutOfRange(format!("[{lon}, {lat}]")));
    }
    Ok((lon, lat))
}

fn positions(v: &Value, min: usize) -> Result<Vec<(f64, f64)>, GeoError> {
    let a = v.as_array().ok_or_else(|| malformed("coordinates must be an array"))?;
    if a.is_empty() {
        return Err(GeoError::Empty);
    }
    if a.len() < min {
        return Err(GeoError::TooFewPositions { got: a.len(), min });
    }
    if a.len() > MAX_VERTICES {
        return Err(GeoError::TooManyVertices);
    }
    a.iter().map(position).collect()
}

fn bbox(points: &[(f64, f64)]) -> [f64; 4] {
    points.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, &(x, y)| {
        [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
    })
}

/// Planar segment intersection in lon/lat, for the self-intersection check.
fn segments_cross(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
    let orient =
        |a: (f64, f64), b: (f64, f64), c: (f64, f64)| (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    (d1 * d2 < 0.0) && (d3 * d4 < 0.0)
}

fn ring(v: &Value) -> Result<Vec<(f64, f64)>, GeoError> {
    let pts = positions(v, 4)?;
    if pts.first() != pts.last() {
        return Err(GeoError::UnclosedRing);
    }
    let n = pts.len() - 1;
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            if segments_cross(pts[i], pts[i + 1], pts[j], pts[j + 1]) {
                return Err(GeoError::SelfIntersectingRing);
            }
        }
    }
    Ok(pts)
}

impl Geom {
    /// Parses and validates a GeoJSON geometry.
    pub fn parse(v: &Value) -> Result<Self, GeoError> {
        let kind = v.get("type").and_then(Value::as_str).ok_or_else(|| malformed("geometry has no type"))?;
        let coords = v.get("coordinates").ok_or(GeoError::Empty)?;
        let mut shape = Shape { parts: vec![], boxes: vec![] };
        match kind {
            "Point" => shape.add_point(position(coords)?),
            "MultiPoint" => positions(coords, 1)?.into_iter().for_each(|p| shape.add_point(p)),
            "LineString" => shape.add_line(positions(coords, 2)?),
            "MultiLineString" => {
                for l in coords.as_array().ok_or_else(|| malformed("coordinates must be an array"))? {
                    shape.add_line(positions(l, 2)?);
                }
            }
            "Polygon" => shape.add_polygon(coords)?,
            "MultiPolygon" => {
                let polys = coords.as_array().filter(|a| !a.is_empty()).ok_or(GeoError::Empty)?;
                for p in polys {
                    shape.add_polygon(p)?;
                }
            }
            other => return Err(GeoError::UnsupportedType(other.to_owned())),
        }
        Ok(Self(Arc::new(shape)))
    }

    fn boxes(&self) -> &[[f64; 4]] {
        &self.0.boxes
    }
}

impl Shape {
    fn add_point(&mut self, p: (f64, f64)) {
        self.boxes.push([p.0, p.1, p.0, p.1]);
        self.parts.push(Part::Point(to_v3(p.0, p.1)));
    }

    fn add_line(&mut self, pts: Vec<(f64, f64)>) {
        for w in pts.windows(2) {
            self.boxes.push(arc_box(w[0], w[1]));
        }
        self.parts.push(Part::Line(pts.iter().map(|&(x, y)| to_v3(x, y)).collect()));
    }

    fn add_polygon(&mut self, rings: &Value) -> Result<(), GeoError> {
        let rings = rings.as_array().filter(|a| !a.is_empty()).ok_or(GeoError::Empty)?;
        let rings: Vec<Vec<(f64, f64)>> = rings.iter().map(ring).collect::<Result<_, _>>()?;
        let outer = &rings[0];
        let mut b = bbox(outer);
        for w in outer.windows(2) {
            let a = arc_box(w[0], w[1]);
            b = [b[0].min(a[0]), b[1].min(a[1]), b[2].max(a[2]), b[3].max(a[3])];
        }
        self.boxes.push(b);
        self.parts.push(Part::Polygon(
            rings.iter().map(|r| r.iter().map(|&(x, y)| to_v3(x, y)).collect()).collect(),
        ));
        Ok(())
    }
}

/// A box that holds the great-circle arc between two positions: the endpoints'
/// box, widened in latitude by how far the arc can bulge poleward.
fn arc_box(a: (f64, f64), b: (f64, f64)) -> [f64; 4] {
    let bx = bbox(&[a, b]);
    let (va, vb) = (to_v3(a.0, a.1), to_v3(b.0, b.1));
    let mid = normalize([va[0] + vb[0], va[1] + vb[1], va[2] + vb[2]]).map_or(0.0, |m| to_lonlat(m).1);
    let bulge = (mid - (a.1 + b.1) / 2.0).abs() * 2.0 + 1e-9;
    [bx[0], (bx[1] - bulge).max(-90.0), bx[2], (bx[3] + bulge).min(90.0)]
}

/// The closest point to `p` on the arc `a`–`b`.
fn closest_on_arc(p: V3, a: V3, b: V3) -> V3 {
    let Some(n) = normalize(cross(a, b)) else { return a };
    let Some(proj) = normalize(sub(p, scale(n, dot(p, n)))) else { return a };
    let inside = dot(cross(a, proj), n) >= 0.0 && dot(cross(proj, b), n) >= 0.0;
    if inside {
        proj
    } else if angle(p, a) <= angle(p, b) {
        a
    } else {
        b
    }
}

/// Where the arcs `a1`–`b1` and `a2`–`b2` cross, if they do.
fn arcs_cross(a1: V3, b1: V3, a2: V3, b2: V3) -> Option<V3> {
    let (n1, n2) = (normalize(cross(a1, b1))?, normalize(cross(a2, b2))?);
    let i = normalize(cross(n1, n2))?;
    let on = |x: V3, a: V3, b: V3, n: V3| dot(cross(a, x), n) >= 0.0 && dot(cross(x, b), n) >= 0.0;
    [i, scale(i, -1.0)].into_iter().find(|&x| on(x, a1, b1, n1) && on(x, a2, b2, n2))
}

/// Whether `p` lies inside `polygon` (outer ring minus holes), exactly on the sphere.
fn in_polygon(p: V3, rings: &[Vec<V3>]) -> bool {
    let Some(centre) =
        normalize(rings[0].iter().fold([0.0; 3], |s, v| [s[0] + v[0], s[1] + v[1], s[2] + v[2]]))
    else {
        return false;
    };
    let u = normalize(cross([0.0, 0.0, 1.0], centre)).unwrap_or([1.0, 0.0, 0.0]);
    let w = cross(centre, u);
    // Gnomonic projection: great circles become straight lines.
    let project = |v: V3| {
        let d = dot(v, centre);
        (d > 1e-12).then(|| (dot(v, u) / d, dot(v, w) / d))
    };
    let Some(q) = project(p) else { return false };
    let inside_ring = |ring: &[V3]| {
        let pts: Option<Vec<(f64, f64)>> = ring.iter().map(|&v| project(v)).collect();
        let Some(pts) = pts else { return false };
        let mut inside = false;
        for e in pts.windows(2) {
            let ((x1, y1), (x2, y2)) = (e[0], e[1]);
            if (y1 > q.1) != (y2 > q.1) && q.0 < (x2 - x1) * (q.1 - y1) / (y2 - y1) + x1 {
                inside = !inside;
            }
        }
        inside
    };
    inside_ring(&rings[0]) && !rings[1..].iter().any(|h| inside_ring(h))
}

fn vertices(part: &Part) -> Vec<V3> {
    match part {
        Part::Point(p) => vec![*p],
        Part::Line(l) => l.clone(),
        Part::Polygon(rings) => rings.iter().flatten().copied().collect(),
    }
}

fn edges(part: &Part) -> Vec<(V3, V3)> {
    match part {
        Part::Point(_) => vec![],
        Part::Line(l) => l.windows(2).map(|w| (w[0], w[1])).collect(),
        Part::Polygon(rings) => rings.iter().flat_map(|r| r.windows(2).map(|w| (w[0], w[1]))).collect(),
    }
}

/// The closest pair of points between two parts, on the sphere.
fn closest_pair(a: &Part, b: &Part) -> (V3, V3) {
    let (va, vb) = (vertices(a), vertices(b));
    if let Part::Polygon(rings) = b {
        if let Some(&p) = va.iter().find(|&&p| in_polygon(p, rings)) {
            return (p, p);
        }
    }
    if let Part::Polygon(rings) = a {
        if let Some(&p) = vb.iter().find(|&&p| in_polygon(p, rings)) {
            return (p, p);
        }
    }
    let (ea, eb) = (edges(a), edges(b));
    for &(a1, b1) in &ea {
        for &(a2, b2) in &eb {
            if let Some(x) = arcs_cross(a1, b1, a2, b2) {
                return (x, x);
            }
        }
    }
    let mut best = (va[0], vb[0]);
    let mut best_angle = angle(va[0], vb[0]);
    let mut consider = |p: V3, q: V3| {
        let t = angle(p, q);
        if t < best_angle {
            (best, best_angle) = ((p, q), t);
        }
    };
    for &p in &va {
        vb.iter().for_each(|&q| consider(p, q));
        eb.iter().for_each(|&(x, y)| consider(p, closest_on_arc(p, x, y)));
    }
    for &q in &vb {
        ea.iter().for_each(|&(x, y)| consider(closest_on_arc(q, x, y), q));
    }
    best
}

/// Distance in metres between two geometries, with PostGIS `geography` semantics.
pub fn distance_m(a: &Geom, b: &Geom) -> f64 {
    let mut best: Option<((V3, V3), f64)> = None;
    for pa in &a.0.parts {
        for pb in &b.0.parts {
            let (p, q) = closest_pair(pa, pb);
            let t = angle(p, q);
            if best.is_none_or(|(_, bt)| t < bt) {
                best = Some(((p, q), t));
            }
        }
    }
    let Some(((p, q), t)) = best else { return f64::INFINITY };
    if t == 0.0 {
        return 0.0;
    }
    let ((lon1, lat1), (lon2, lat2)) = (to_lonlat(p), to_lonlat(q));
    let d: f64 = Geodesic::wgs84().inverse(lat1, lon1, lat2, lon2);
    d
}

/// `distance(a, b) <= d_m`, skipping the exact work when the sphere already
/// puts them far apart (the ellipsoid differs from the sphere by under 0.6 %).
pub fn within(a: &Geom, b: &Geom, d_m: f64) -> bool {
    distance_m(a, b) <= d_m
}

type Entry<K> = GeomWithData<Rectangle<[f64; 2]>, K>;

/// Objects with a geometry and a window, keyed by `K` (ordered, so that answers
/// come sorted and the caller's fold stays deterministic).
#[derive(Debug, Clone)]
pub struct SpatialIndex<K: Ord + Clone + PartialEq + std::fmt::Debug> {
    tree: RTree<Entry<K>>,
    objects: BTreeMap<K, (Geom, Window)>,
}

impl<K: Ord + Clone + PartialEq + std::fmt::Debug> Default for SpatialIndex<K> {
    fn default() -> Self {
        Self { tree: RTree::new(), objects: BTreeMap::new() }
    }
}

/// Widens a box by `d_m` metres, conservatively, in degrees.
fn widen(b: [f64; 4], d_m: f64) -> AABB<[f64; 2]> {
    let dlat = d_m / MIN_M_PER_DEG + 1e-9;
    let max_lat = (b[1].abs().max(b[3].abs()) + dlat).min(89.9);
    let dlon = (dlat / max_lat.to_radians().cos()).min(360.0);
    AABB::from_corners([b[0] - dlon, b[1] - dlat], [b[2] + dlon, b[3] + dlat])
}

impl<K: Ord + Clone + PartialEq + std::fmt::Debug> SpatialIndex<K> {
    /// Adds (or replaces) object `key`.
    pub fn insert(&mut self, key: K, g: &Geom, w: &Window) {
        self.remove(&key);
        for b in g.boxes() {
            let rect = Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]);
            self.tree.insert(GeomWithData::new(rect, key.clone()));
        }
        self.objects.insert(key, (g.clone(), *w));
    }

    pub fn remove(&mut self, key: &K) {
        if let Some((g, _)) = self.objects.remove(key) {
            for b in g.boxes() {
                let rect = Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]);
                self.tree.remove(&GeomWithData::new(rect, key.clone()));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Every object accepted by `keep` within `d_m` of `g` whose window overlaps
    /// `w`, sorted by key.
    pub fn within(&self, g: &Geom, d_m: f64, w: &Window, keep: impl Fn(&K) -> bool) -> Vec<K> {
        let mut candidates = BTreeSet::new();
        for b in g.boxes() {
            for e in self.tree.locate_in_envelope_intersecting(&widen(*b, d_m)) {
                if keep(&e.data) {
                    candidates.insert(e.data.clone());
                }
            }
        }
        candidates
            .into_iter()
            .filter(|k| self.objects.get(k).is_some_and(|(og, ow)| ow.overlaps(w) && within(g, og, d_m)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn g(v: Value) -> Geom {
        Geom::parse(&v).expect("valid geometry")
    }

    #[test]
    fn point_distance_matches_the_geodesic() {
        // Damascus to Palmyra; GeographicLib's inverse on WGS84 (Geodesic::wgs84).
        let a = g(json!({"type": "Point", "coordinates": [36.29, 33.51]}));
        let b = g(json!({"type": "Point", "coordinates": [38.27, 34.55]}));
        let want: f64 = Geodesic::wgs84().inverse(33.51, 36.29, 34.55, 38.27);
        assert!((distance_m(&a, &b) - want).abs() < 1e-6);
    }

    #[test]
    fn inside_and_crossing_are_distance_zero() {
        let square = g(
            json!({"type": "Polygon", "coordinates": [[[36, 33], [37, 33], [37, 34], [36, 34], [36, 33]]]}),
        );
        let inside = g(json!({"type": "Point", "coordinates": [36.5, 33.5]}));
        let crossing = g(json!({"type": "LineString", "coordinates": [[35.5, 33.5], [37.5, 33.6]]}));
        let outside = g(json!({"type": "Point", "coordinates": [37.01, 33.5]}));
        assert_eq!(distance_m(&square, &inside), 0.0);
        assert_eq!(distance_m(&crossing, &square), 0.0);
        let d = distance_m(&outside, &square);
        assert!(d > 900.0 && d < 1000.0, "{d}");
    }

    #[test]
    fn invalid_geometry_is_refused_with_the_fault() {
        let cases = [
            (
                json!({"type": "Polygon", "coordinates": [[[36, 33], [37, 33], [37, 34], [36, 34]]]}),
                "unclosed_ring",
            ),
            (
                json!({"type": "Polygon", "coordinates": [[[36, 33], [37, 34], [37, 33], [36, 34], [36, 33]]]}),
                "self_intersecting_ring",
            ),
            (json!({"type": "Point", "coordinates": [200, 33]}), "coordinate_out_of_range"),
            (json!({"type": "LineString", "coordinates": [[36, 33]]}), "too_few_positions"),
            (json!({"type": "LineString", "coordinates": []}), "empty_geometry"),
        ];
        for (v, want) in cases {
            let err = Geom::parse(&v).expect_err("refused");
            assert_eq!(err.code(), want, "{err}");
        }
    }

    #[test]
    fn the_index_finds_what_a_scan_finds() {
        let w = Window { from_us: 0, to_us: None };
        let mut index: SpatialIndex<String> = SpatialIndex::default();
        let mut all = vec![];
        for i in 0..200 {
            let (lon, lat) = (35.0 + (i % 20) as f64 * 0.6, 29.0 + (i / 20) as f64 * 0.8);
            let site = g(json!({"type": "Point", "coordinates": [lon, lat]}));
            let r = format!("s{i:03}");
            index.insert(r.clone(), &site, &w);
            all.push((r, site));
        }
        let route = g(json!({"type": "LineString", "coordinates": [[35.1, 29.2], [47.5, 36.8]]}));
        for d in [1_000.0, 20_000.0, 60_000.0] {
            let got = index.within(&route, d, &w, |_| true);
            let mut want: Vec<String> =
                all.iter().filter(|(_, s)| within(&route, s, d)).map(|(r, _)| r.clone()).collect();
            want.sort();
            assert_eq!(got, want, "d = {d}");
        }
    }
}
