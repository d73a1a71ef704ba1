//! Validated geometries on the sphere, ready for distance and indexing.
//!
//! A [`Geometry`] is only ever built through validation, so the distance
//! code and the index can rely on closed, simple, in-range rings. Each
//! position keeps its degrees (which the ellipsoidal measure needs bit for
//! bit) next to its unit vector (which the sphere tests need), so no query
//! repeats the trigonometry.
//!
//! Edges are the shorter great-circle arcs between positions, as in PostGIS
//! `geography`: an edge from longitude 179 to -179 crosses the antimeridian
//! rather than circling the globe, and edges may pass near the poles. Two
//! shapes cannot be given meaning and are rejected: an edge between
//! antipodal points and a ring that encloses a pole. Consecutive repeated
//! positions are dropped; they add no edge.

use crate::bbox::LatLonBox;
use crate::error::GeometryError;
use crate::sphere::{dot, edge_crossing, lon_delta, to_vec3, Vec3};

/// Most positions one geometry may hold, counting every ring and part.
pub const MAX_VERTICES: usize = 10_000;

/// A longitude/latitude pair in degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Position {
    pub lon: f64,
    pub lat: f64,
}

impl Position {
    pub fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }
}

/// The GeoJSON type a geometry was given as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum GeometryKind {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
}

impl GeometryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::MultiPoint => "MultiPoint",
            Self::LineString => "LineString",
            Self::MultiLineString => "MultiLineString",
            Self::Polygon => "Polygon",
            Self::MultiPolygon => "MultiPolygon",
        }
    }
}

/// A position with its unit vector.
#[derive(Debug, Clone, Copy, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) struct Vertex {
    pub lon: f64,
    pub lat: f64,
    pub v: Vec3,
}

impl Vertex {
    fn new(p: Position) -> Self {
        Self { lon: p.lon, lat: p.lat, v: to_vec3(p.lon, p.lat) }
    }

    pub fn triple(&self) -> (f64, f64, Vec3) {
        (self.lon, self.lat, self.v)
    }

    pub fn position(&self) -> Position {
        Position::new(self.lon, self.lat)
    }
}

/// One polygon: an outer ring and any holes, each closed (last = first).
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) struct Polygon {
    pub rings: Vec<Vec<Vertex>>,
    pub bbox: LatLonBox,
}

/// A primitive: the unit that closest-pair and containment tests work on.
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) enum Part {
    Point(Vertex),
    /// One or more vertices; a single vertex is a line collapsed to a point.
    Line(Vec<Vertex>),
    Polygon(Polygon),
}

impl Part {
    /// The position PostGIS tests for containment in the other operand.
    pub fn first_vertex(&self) -> &Vertex {
        match self {
            Part::Point(v) => v,
            Part::Line(vs) => &vs[0],
            Part::Polygon(p) => &p.rings[0][0],
        }
    }
}

/// A validated geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    kind: GeometryKind,
    parts: Vec<Part>,
    /// The GeoJSON object as given, kept only when writing the geometry
    /// back would not reproduce it (see [`Geometry::as_given`]).
    given: Option<std::sync::Arc<serde_json::Value>>,
}

impl Geometry {
    pub fn kind(&self) -> GeometryKind {
        self.kind
    }

    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn point(lon: f64, lat: f64) -> Result<Self, GeometryError> {
        Self::multi_point_as(GeometryKind::Point, &[Position::new(lon, lat)])
    }

    pub fn multi_point(points: &[Position]) -> Result<Self, GeometryError> {
        Self::multi_point_as(GeometryKind::MultiPoint, points)
    }

    pub fn line_string(positions: &[Position]) -> Result<Self, GeometryError> {
        let line = build_line(positions, "coordinates")?;
        Self::finish(GeometryKind::LineString, vec![line])
    }

    pub fn multi_line_string(lines: &[Vec<Position>]) -> Result<Self, GeometryError> {
        let parts = lines
            .iter()
            .enumerate()
            .map(|(i, l)| build_line(l, &format!("coordinates[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::finish(GeometryKind::MultiLineString, parts)
    }

    /// A polygon from its rings, outer ring first; each ring closed.
    pub fn polygon(rings: &[Vec<Position>]) -> Result<Self, GeometryError> {
        let poly = build_polygon(rings, "coordinates")?;
        Self::finish(GeometryKind::Polygon, vec![poly])
    }

    pub fn multi_polygon(polygons: &[Vec<Vec<Position>>]) -> Result<Self, GeometryError> {
        let parts = polygons
            .iter()
            .enumerate()
            .map(|(i, p)| build_polygon(p, &format!("coordinates[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::finish(GeometryKind::MultiPolygon, parts)
    }

    fn multi_point_as(kind: GeometryKind, points: &[Position]) -> Result<Self, GeometryError> {
        let parts = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let path = if kind == GeometryKind::Point {
                    "coordinates".to_owned()
                } else {
                    format!("coordinates[{i}]")
                };
                check_position(*p, &path).map(|()| Part::Point(Vertex::new(*p)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::finish(kind, parts)
    }

    fn finish(kind: GeometryKind, parts: Vec<Part>) -> Result<Self, GeometryError> {
        if parts.is_empty() {
            return Err(GeometryError::Empty);
        }
        Ok(Self { kind, parts, given: None })
    }

    /// The GeoJSON object this geometry was read from, when writing it back
    /// from its positions would give something else: an altitude, a
    /// consecutive repeated position (which adds no edge and is dropped), a
    /// whole number written with a fraction (`36.0`), or members besides
    /// `type` and `coordinates`. Views show that object, so that what was
    /// signed is what is shown; `None` for every geometry written the
    /// ordinary way, which costs nothing more.
    pub fn as_given(&self) -> Option<&serde_json::Value> {
        self.given.as_deref()
    }

    pub(crate) fn keep_given(mut self, value: serde_json::Value) -> Self {
        self.given = Some(std::sync::Arc::new(value));
        self
    }

    /// Number of stored positions (rings include their closing position).
    pub fn vertex_count(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Point(_) => 1,
                Part::Line(vs) => vs.len(),
                Part::Polygon(poly) => poly.rings.iter().map(Vec::len).sum(),
            })
            .sum()
    }

    /// Whether the geometry may meet the lon/lat box `[min_lon, min_lat,
    /// max_lon, max_lat]` (degrees, `min_lon <= max_lon`): a point in it, an
    /// edge whose great-circle box (poleward bulge included) meets it, or a
    /// polygon whose box does. It errs outward exactly as the spatial
    /// index's pieces do, so a map view answers the same whether it scans
    /// every record or filters the index's box candidates. A line whose
    /// envelope spans the box while none of its edges comes near is not in
    /// it: nothing of it would be drawn there.
    pub fn meets_box(&self, b: [f64; 4]) -> bool {
        let query = LatLonBox { min_lon: b[0], min_lat: b[1], max_lon: b[2], max_lat: b[3] };
        self.parts.iter().any(|part| match part {
            Part::Point(v) => query.contains(v.lon, v.lat),
            Part::Line(vs) if vs.len() == 1 => query.contains(vs[0].lon, vs[0].lat),
            Part::Line(vs) => {
                vs.windows(2).any(|w| LatLonBox::edge(w[0].triple(), w[1].triple()).intersects(&query))
            }
            Part::Polygon(poly) => poly.bbox.intersects(&query),
        })
    }

    /// The positions of each part: points and lines give one list, polygons
    /// one list per ring.
    pub fn coordinates(&self) -> Vec<Vec<Vec<Position>>> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Point(v) => vec![vec![v.position()]],
                Part::Line(vs) => vec![vs.iter().map(Vertex::position).collect()],
                Part::Polygon(poly) => {
                    poly.rings.iter().map(|r| r.iter().map(Vertex::position).collect()).collect()
                }
            })
            .collect()
    }
}

pub(crate) fn check_position(p: Position, path: &str) -> Result<(), GeometryError> {
    let ok = p.lon.is_finite()
        && p.lat.is_finite()
        && (-180.0..=180.0).contains(&p.lon)
        && (-90.0..=90.0).contains(&p.lat);
    if ok {
        Ok(())
    } else {
        Err(GeometryError::CoordinateOutOfRange { path: path.to_owned(), lon: p.lon, lat: p.lat })
    }
}

/// Checks every position and drops consecutive repeats.
fn vertices(positions: &[Position], path: &str) -> Result<Vec<Vertex>, GeometryError> {
    if positions.len() > MAX_VERTICES {
        return Err(GeometryError::TooManyVertices { found: positions.len(), limit: MAX_VERTICES });
    }
    let mut out: Vec<Vertex> = Vec::with_capacity(positions.len());
    for (i, p) in positions.iter().enumerate() {
        check_position(*p, &format!("{path}[{i}]"))?;
        if out.last().is_none_or(|last| last.position() != *p) {
            out.push(Vertex::new(*p));
        }
    }
    Ok(out)
}

impl Geometry {
    /// The shapes a submission may not have though the lenient reading folds
    /// them (see [`Geometry::from_geojson_strict`]).
    pub(crate) fn check_strict_shape(&self) -> Result<(), GeometryError> {
        let multi = matches!(self.kind, GeometryKind::MultiLineString | GeometryKind::MultiPolygon);
        let path = |i: usize| if multi { format!("coordinates[{i}]") } else { "coordinates".to_owned() };
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Line(vs) if vs.len() < 2 => {
                    return Err(GeometryError::TooFewPositions {
                        path: path(i),
                        found: vs.len(),
                        required: 2,
                    });
                }
                Part::Polygon(p) => check_holes(p, &path(i))?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Every vertex of a hole lies inside the outer ring or on one of its
/// vertices, and at least one lies strictly inside (else the hole is the ring).
fn check_holes(p: &Polygon, path: &str) -> Result<(), GeometryError> {
    if p.rings.len() < 2 {
        return Ok(());
    }
    let shell = Polygon { rings: vec![p.rings[0].clone()], bbox: p.bbox };
    let on_shell = |v: &Vertex| p.rings[0].iter().any(|s| s.lon == v.lon && s.lat == v.lat);
    for (h, hole) in p.rings.iter().enumerate().skip(1) {
        let inside = |v: &&Vertex| crate::distance::polygon_contains(&shell, v);
        let outside = hole.iter().any(|v| !on_shell(v) && !inside(&v));
        let some_inside = hole.iter().filter(|v| !on_shell(v)).any(|v| inside(&v));
        if outside || !some_inside {
            return Err(GeometryError::HoleOutsideShell { path: format!("{path}[{h}]") });
        }
    }
    Ok(())
}

fn check_edges(vs: &[Vertex], path: &str) -> Result<(), GeometryError> {
    match vs.windows(2).position(|w| dot(w[0].v, w[1].v) < -1.0 + 1e-12) {
        Some(edge) => Err(GeometryError::AntipodalEdge { path: path.to_owned(), edge }),
        None => Ok(()),
    }
}

fn build_line(positions: &[Position], path: &str) -> Result<Part, GeometryError> {
    if positions.is_empty() {
        return Err(GeometryError::Empty);
    }
    if positions.len() < 2 {
        return Err(GeometryError::TooFewPositions {
            path: path.to_owned(),
            found: positions.len(),
            required: 2,
        });
    }
    let vs = vertices(positions, path)?;
    check_edges(&vs, path)?;
    Ok(Part::Line(vs))
}

fn build_polygon(rings: &[Vec<Position>], path: &str) -> Result<Part, GeometryError> {
    if rings.is_empty() {
        return Err(GeometryError::Empty);
    }
    let total: usize = rings.iter().map(Vec::len).sum();
    if total > MAX_VERTICES {
        return Err(GeometryError::TooManyVertices { found: total, limit: MAX_VERTICES });
    }
    let rings = rings
        .iter()
        .enumerate()
        .map(|(i, r)| build_ring(r, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let bbox = rings
        .iter()
        .flat_map(|r| r.windows(2))
        .map(|w| LatLonBox::edge(w[0].triple(), w[1].triple()))
        .reduce(|a, b| a.union(&b))
        .unwrap_or_else(|| LatLonBox::point(rings[0][0].lon, rings[0][0].lat));
    Ok(Part::Polygon(Polygon { rings, bbox }))
}

fn build_ring(positions: &[Position], path: &str) -> Result<Vec<Vertex>, GeometryError> {
    if positions.is_empty() {
        return Err(GeometryError::Empty);
    }
    let vs = vertices(positions, path)?;
    if positions.first() != positions.last() {
        return Err(GeometryError::UnclosedRing { path: path.to_owned() });
    }
    if vs.len() < 4 {
        let found = vs.len().saturating_sub(1);
        return Err(GeometryError::TooFewPositions { path: path.to_owned(), found, required: 3 });
    }
    check_edges(&vs, path)?;
    let winding: f64 = vs.windows(2).map(|w| lon_delta(w[0].lon, w[1].lon)).sum();
    if winding.abs() > 180.0 {
        return Err(GeometryError::RingEnclosesPole { path: path.to_owned() });
    }
    if let Some((first, second)) = self_intersection(&vs) {
        return Err(GeometryError::SelfIntersectingRing { path: path.to_owned(), first, second });
    }
    Ok(vs)
}

/// First pair of non-adjacent edges of a closed ring that touch or cross.
/// Edges are swept in order of their southern bound so that only pairs whose
/// boxes overlap are tested.
fn self_intersection(ring: &[Vertex]) -> Option<(usize, usize)> {
    let n = ring.len() - 1;
    let boxes: Vec<LatLonBox> =
        ring.windows(2).map(|w| LatLonBox::edge(w[0].triple(), w[1].triple())).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| boxes[a].min_lat.total_cmp(&boxes[b].min_lat));
    let mut found: Option<(usize, usize)> = None;
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if boxes[j].min_lat > boxes[i].max_lat {
                break;
            }
            let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
            if adjacent || !boxes[i].intersects(&boxes[j]) {
                continue;
            }
            let hit = edge_crossing(ring[i].v, ring[i + 1].v, ring[j].v, ring[j + 1].v).is_some();
            if hit {
                let pair = (i.min(j), i.max(j));
                found = Some(found.map_or(pair, |f| f.min(pair)));
            }
        }
    }
    found
}

/// The snapshot encoding (borsh): kind, parts with their unit vectors (so a
/// load computes nothing), and the GeoJSON as given, as JSON text, when kept.
impl borsh::BorshSerialize for Geometry {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        self.kind.serialize(writer)?;
        self.parts.serialize(writer)?;
        self.given.as_ref().map(|v| v.to_string()).serialize(writer)
    }
}

impl borsh::BorshDeserialize for Geometry {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let kind = GeometryKind::deserialize_reader(reader)?;
        let parts = Vec::<Part>::deserialize_reader(reader)?;
        let given = match Option::<String>::deserialize_reader(reader)? {
            Some(text) => Some(std::sync::Arc::new(
                serde_json::from_str(&text)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
            )),
            None => None,
        };
        Ok(Self { kind, parts, given })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(coords: &[(f64, f64)]) -> Vec<Position> {
        coords.iter().map(|&(lon, lat)| Position::new(lon, lat)).collect()
    }

    #[test]
    fn a_box_meets_what_passes_through_it_not_what_spans_it() {
        let bend = Geometry::line_string(&ring(&[(36.0, 33.0), (37.0, 33.0), (37.0, 34.0)])).expect("line");
        let near = |lon: f64, lat: f64| [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01];
        assert!(bend.meets_box(near(36.5, 33.0)), "on the first edge");
        assert!(bend.meets_box(near(37.0, 33.5)), "on the second edge");
        assert!(!bend.meets_box(near(36.2, 33.8)), "inside the envelope, far from both edges");
        let sq = ring(&[(36.0, 33.0), (37.0, 33.0), (37.0, 34.0), (36.0, 34.0), (36.0, 33.0)]);
        let area = Geometry::polygon(&[sq]).expect("square");
        assert!(area.meets_box(near(36.5, 33.5)), "a box inside a polygon meets it");
        assert!(Geometry::point(36.5, 33.5).expect("point").meets_box(near(36.5, 33.5)));
        assert!(!Geometry::point(36.5, 33.5).expect("point").meets_box(near(36.6, 33.5)));
    }

    #[test]
    fn square_is_valid() {
        let sq = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]);
        let g = Geometry::polygon(&[sq]).expect("valid square");
        assert_eq!(g.vertex_count(), 5);
    }

    #[test]
    fn bow_tie_is_rejected() {
        let bow = ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]);
        assert!(matches!(
            Geometry::polygon(&[bow]),
            Err(GeometryError::SelfIntersectingRing { first: 0, second: 2, .. })
        ));
    }

    #[test]
    fn unclosed_ring_is_rejected() {
        let open = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        assert!(matches!(Geometry::polygon(&[open]), Err(GeometryError::UnclosedRing { .. })));
    }

    #[test]
    fn repeated_positions_do_not_make_a_ring() {
        let thin = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (0.0, 0.0)]);
        assert!(matches!(
            Geometry::polygon(&[thin]),
            Err(GeometryError::TooFewPositions { found: 2, required: 3, .. })
        ));
    }

    #[test]
    fn out_of_range_is_rejected() {
        assert!(matches!(Geometry::point(181.0, 0.0), Err(GeometryError::CoordinateOutOfRange { .. })));
        assert!(matches!(Geometry::point(0.0, f64::NAN), Err(GeometryError::CoordinateOutOfRange { .. })));
    }

    #[test]
    fn ring_around_pole_is_rejected() {
        let cap = ring(&[(0.0, 80.0), (120.0, 80.0), (-120.0, 80.0), (0.0, 80.0)]);
        assert!(matches!(Geometry::polygon(&[cap]), Err(GeometryError::RingEnclosesPole { .. })));
    }

    #[test]
    fn antipodal_edge_is_rejected() {
        let line = ring(&[(0.0, 0.0), (180.0, 0.0)]);
        assert!(matches!(Geometry::line_string(&line), Err(GeometryError::AntipodalEdge { .. })));
    }

    #[test]
    fn too_many_vertices_is_rejected() {
        let line: Vec<Position> = (0..=MAX_VERTICES).map(|i| Position::new(i as f64 * 1e-4, 0.0)).collect();
        assert!(matches!(Geometry::line_string(&line), Err(GeometryError::TooManyVertices { .. })));
    }

    #[test]
    fn empty_multi_is_rejected() {
        assert_eq!(Geometry::multi_polygon(&[]), Err(GeometryError::Empty));
    }
}
