//! Distance and `within` with PostGIS `geography` semantics.
//!
//! The closest pair of points is found on a sphere of radius (2a+b)/3 with
//! great-circle edges; a point inside a polygon (or a crossing of edges)
//! makes the distance zero. That pair is then measured on the WGS84
//! ellipsoid with Karney's geodesic inverse. `within(a, b, d)` holds iff that
//! distance is at most `d`.
//!
//! Measuring on the ellipsoid is the expensive step, and is needed only near
//! the threshold: the ellipsoidal length of a path is within fixed ratios
//! ([`RATIO_LO`], [`RATIO_HI`]) of its length on the sphere, so a sphere
//! angle far enough from the threshold decides `within` on its own.

use std::sync::LazyLock;

use geographiclib_rs::{Geodesic, InverseGeodesic};

use crate::geometry::{Geometry, Part, Polygon, Vertex};
use crate::sphere::{angle, edge_edge, foot, point_edge, precise_normal, to_lon_lat, MeridianRay, Vec3};

/// WGS84 semi-major axis.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// Radius of the sphere on which closest pairs are searched: (2a+b)/3.
pub const SPHERE_RADIUS_M: f64 = (2.0 * WGS84_A_M + WGS84_B_M) / 3.0;

/// Lower bound of ellipsoidal over spherical length for the same path: the
/// smallest radius of curvature (meridional, at the equator, a(1-e^2) =
/// 6,335,439 m) over the sphere radius is 0.994417.
pub(crate) const RATIO_LO: f64 = 0.9944;
/// Upper bound: the largest radius of curvature (at the poles, a^2/b =
/// 6,399,594 m) over the sphere radius is 1.004487.
pub(crate) const RATIO_HI: f64 = 1.0045;

static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// Geodesic distance on the WGS84 ellipsoid (Karney's inverse), in metres.
pub fn geodesic_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    WGS84.inverse(lat1, lon1, lat2, lon2)
}

/// One end of a closest pair: an input vertex keeps its exact degrees; a
/// point inside an edge remembers how to recompute it precisely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Spot {
    Vertex(f64, f64),
    /// Where two edges cross.
    Free(Vec3),
    /// The foot of the perpendicular from `from` onto the edge `a`-`b`.
    Foot {
        from: Vec3,
        a: (f64, f64),
        b: (f64, f64),
    },
}

impl Spot {
    fn lon_lat(self) -> (f64, f64) {
        match self {
            Spot::Vertex(lon, lat) => (lon, lat),
            Spot::Free(v) => to_lon_lat(v),
            Spot::Foot { from, a, b } => match precise_normal(a, b) {
                Some(n) => to_lon_lat(foot(from, n)),
                None => a,
            },
        }
    }

    /// The spot for `k`, found as the closest point of edge `a`-`b` to
    /// `from`.
    fn on_edge(k: Vec3, a: &Vertex, b: &Vertex, from: Vec3) -> Spot {
        if k == a.v {
            Spot::Vertex(a.lon, a.lat)
        } else if k == b.v {
            Spot::Vertex(b.lon, b.lat)
        } else if k == from {
            Spot::Free(k)
        } else {
            Spot::Foot { from, a: (a.lon, a.lat), b: (b.lon, b.lat) }
        }
    }
}

fn vertex_spot(v: &Vertex) -> Spot {
    Spot::Vertex(v.lon, v.lat)
}

/// The closest pair found so far on the sphere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Closest {
    pub angle_rad: f64,
    pub a: Spot,
    pub b: Spot,
}

impl Closest {
    pub const NONE: Closest =
        Closest { angle_rad: f64::INFINITY, a: Spot::Vertex(0.0, 0.0), b: Spot::Vertex(0.0, 0.0) };

    fn offer(&mut self, angle_rad: f64, a: Spot, b: Spot) {
        if angle_rad < self.angle_rad {
            *self = Closest { angle_rad, a, b };
        }
    }

    pub fn touching(at: Spot) -> Closest {
        Closest { angle_rad: 0.0, a: at, b: at }
    }

    /// The pair measured on the ellipsoid.
    pub fn ellipsoid_m(&self) -> f64 {
        if self.angle_rad == 0.0 {
            return 0.0;
        }
        let (lon1, lat1) = self.a.lon_lat();
        let (lon2, lat2) = self.b.lon_lat();
        geodesic_distance_m(lat1, lon1, lat2, lon2)
    }
}

/// Below this sphere angle `within(_, _, d)` certainly holds.
pub(crate) fn sure_angle(distance_m: f64) -> f64 {
    distance_m / (RATIO_HI * SPHERE_RADIUS_M) * (1.0 - 1e-9)
}

/// Above this sphere angle `within(_, _, d)` certainly fails; it is also
/// how far the index must look.
pub(crate) fn search_angle(distance_m: f64) -> f64 {
    distance_m / (RATIO_LO * SPHERE_RADIUS_M) * (1.0 + 1e-9) + 1e-15
}

/// Decides `within` from the closest pair, measuring only when the sphere
/// angle alone cannot.
pub(crate) fn decide(closest: &Closest, distance_m: f64) -> bool {
    if closest.angle_rad <= sure_angle(distance_m) {
        return true;
    }
    if closest.angle_rad > search_angle(distance_m) {
        return false;
    }
    closest.ellipsoid_m() <= distance_m
}

/// Calls `f` with each vertex chain of a part: one vertex for a point, the
/// line, or each closed ring.
pub(crate) fn for_each_chain(part: &Part, mut f: impl FnMut(&[Vertex])) {
    match part {
        Part::Point(v) => f(std::slice::from_ref(v)),
        Part::Line(vs) => f(vs),
        Part::Polygon(p) => p.rings.iter().for_each(|r| f(r)),
    }
}

/// Closest pair between two chains (a single vertex or a run of edges).
pub(crate) fn chain_chain(a: &[Vertex], b: &[Vertex], best: &mut Closest) {
    match (a, b) {
        ([p], [q]) => best.offer(angle(p.v, q.v), vertex_spot(p), vertex_spot(q)),
        ([p], edges) => point_chain(p, edges, best, false),
        (edges, [q]) => point_chain(q, edges, best, true),
        _ => {
            for ea in a.windows(2) {
                for eb in b.windows(2) {
                    let (ang, ka, kb) = edge_edge(ea[0].v, ea[1].v, eb[0].v, eb[1].v);
                    if ang < best.angle_rad {
                        if ang == 0.0 {
                            best.offer(0.0, Spot::Free(ka), Spot::Free(kb));
                        } else {
                            let sa = Spot::on_edge(ka, &ea[0], &ea[1], kb);
                            let sb = Spot::on_edge(kb, &eb[0], &eb[1], ka);
                            best.offer(ang, sa, sb);
                        }
                    }
                }
            }
        }
    }
}

fn point_chain(p: &Vertex, edges: &[Vertex], best: &mut Closest, swapped: bool) {
    for e in edges.windows(2) {
        let (ang, k) = point_edge(p.v, e[0].v, e[1].v);
        if ang < best.angle_rad {
            let on_edge = Spot::on_edge(k, &e[0], &e[1], p.v);
            if swapped {
                best.offer(ang, on_edge, vertex_spot(p));
            } else {
                best.offer(ang, vertex_spot(p), on_edge);
            }
        }
    }
}

/// Point in polygon on the sphere: parity of ring crossings along the
/// meridian from the point to the north pole (validation guarantees that
/// no ring encloses a pole).
pub(crate) fn polygon_contains(poly: &Polygon, p: &Vertex) -> bool {
    if !poly.bbox.contains(p.lon, p.lat) {
        return false;
    }
    let ray = MeridianRay::new(p.lon, p.v);
    let mut inside = false;
    for ring in &poly.rings {
        for e in ring.windows(2) {
            if ray.crosses(e[0].triple(), e[1].triple()) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether a polygon of one operand contains the first vertex of a part of
/// the other: the test PostGIS makes before measuring edges.
pub(crate) fn contained_vertex(a: &Geometry, b: &Geometry) -> Option<Spot> {
    one_way_containment(a, b).or_else(|| one_way_containment(b, a))
}

fn one_way_containment(outer: &Geometry, inner: &Geometry) -> Option<Spot> {
    outer.parts().iter().find_map(|pa| match pa {
        Part::Polygon(poly) => {
            inner.parts().iter().map(Part::first_vertex).find(|v| polygon_contains(poly, v)).map(vertex_spot)
        }
        _ => None,
    })
}

/// The closest pair on the sphere; stops early once the angle is at most
/// `stop_rad`.
pub(crate) fn sphere_closest(a: &Geometry, b: &Geometry, stop_rad: f64) -> Closest {
    if let Some(at) = contained_vertex(a, b) {
        return Closest::touching(at);
    }
    let mut best = Closest::NONE;
    for pa in a.parts() {
        for pb in b.parts() {
            for_each_chain(pa, |ca| {
                for_each_chain(pb, |cb| {
                    if best.angle_rad > stop_rad {
                        chain_chain(ca, cb, &mut best);
                    }
                });
            });
        }
    }
    best
}

/// Distance in metres between two geometries, as PostGIS `ST_Distance` on
/// `geography` (use_spheroid = true) computes it.
pub fn distance_m(a: &Geometry, b: &Geometry) -> f64 {
    sphere_closest(a, b, -1.0).ellipsoid_m()
}

/// Whether `distance_m(a, b) <= distance_m`, as PostGIS `ST_DWithin` on
/// `geography`; false for a negative or non-finite distance.
pub fn within(a: &Geometry, b: &Geometry, distance_m: f64) -> bool {
    if !(distance_m >= 0.0 && distance_m.is_finite()) {
        return false;
    }
    decide(&sphere_closest(a, b, sure_angle(distance_m)), distance_m)
}

/// Whether the geometries share a point (`within` at distance zero).
pub fn intersects(a: &Geometry, b: &Geometry) -> bool {
    within(a, b, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Position;

    /// Reference values from GeographicLib's published geodesic test cases
    /// (WGS84): lat1, lon1, lat2, lon2, s12. Digits kept as published.
    #[allow(clippy::excessive_precision)]
    const KARNEY_CASES: [(f64, f64, f64, f64, f64); 20] = [
        (35.60777, -139.44815, -11.17491, -69.95921, 8935244.5604818305),
        (55.52454, 106.05087, 77.03196, 197.18234, 4105086.1713924406),
        (-21.97856, 142.59065, 41.84138, 98.56635, 8394328.894657671),
        (-66.99028, 112.2363, -12.70631, 285.90344, 11150344.2312080241),
        (-17.42761, 173.34268, -15.84784, 5.93557, 16076603.1631180673),
        (32.84994, 48.28919, -56.28556, 202.29132, 16727068.9438164461),
        (6.96833, 52.74123, -7.39675, 206.17291, 17102477.2496958388),
        (-50.56724, -16.30485, -33.56571, -94.97412, 6455670.5118668696),
        (-58.93002, -8.90775, -8.91104, 133.13503, 11756066.0219864627),
        (-68.82867, -74.28391, -50.63005, -8.36685, 3956936.926063544),
        (-10.62672, -32.0898, 5.883, -134.31681, 11470869.3864563009),
        (-21.76221, 166.90563, 48.72884, 213.97627, 9098627.3986554915),
        (-19.79938, -174.47484, -11.99349, -154.35109, 2319004.8601169389),
        (-11.95887, -116.94513, 4.57352, 7.16501, 13834722.5801401374),
        (-87.85331, 85.66836, 66.48646, 16.09921, 17286615.3147144645),
        (1.74708, 128.32011, -11.16617, 11.87109, 12942901.1241347408),
        (-25.72959, -144.90758, -57.70581, -269.17879, 9413446.7452453107),
        (-41.22777, 122.32875, -7.57291, 130.37946, 3812686.035106021),
        (11.01307, 138.25278, 6.62726, 247.05981, 11911190.819018408),
        (-29.47124, 95.14681, -27.46601, -69.15955, 13487015.8381145492),
    ];

    #[test]
    fn geodesic_inverse_matches_published_cases() {
        for (lat1, lon1, lat2, lon2, s12) in KARNEY_CASES {
            let got = geodesic_distance_m(lat1, lon1, lat2, lon2);
            assert!((got - s12).abs() < 1e-8, "{lat1},{lon1} -> {lat2},{lon2}: {got} != {s12}");
        }
    }

    #[test]
    #[allow(clippy::excessive_precision)]
    fn geodesic_inverse_matches_published_solver_cases() {
        // GeodSolve checks: a 7-cm line and near-antipodal pairs.
        let cases = [
            (36.493349428792, 0.0, 36.49334942879201, 0.0000008, 0.072, 0.5e-3),
            (88.202499451857, 0.0, -88.202499451857, 179.981022032992859592, 20003898.214, 0.5e-3),
            (56.320923501171, 0.0, -56.320923501171, 179.664747671772880215, 19993558.287, 0.5e-3),
            (40.6, -73.8, 49.01666667, 2.55, 5853226.0, 0.5),
        ];
        for (lat1, lon1, lat2, lon2, s12, tol) in cases {
            let got = geodesic_distance_m(lat1, lon1, lat2, lon2);
            assert!((got - s12).abs() < tol, "{got} != {s12}");
        }
    }

    fn pt(lon: f64, lat: f64) -> Geometry {
        Geometry::point(lon, lat).expect("valid point")
    }

    fn square(lon: f64, lat: f64, size: f64) -> Geometry {
        let r = vec![
            Position::new(lon, lat),
            Position::new(lon + size, lat),
            Position::new(lon + size, lat + size),
            Position::new(lon, lat + size),
            Position::new(lon, lat),
        ];
        Geometry::polygon(&[r]).expect("valid square")
    }

    #[test]
    fn point_distance_is_the_geodesic() {
        let d = distance_m(&pt(36.29, 33.51), &pt(38.68, 33.3));
        assert_eq!(d, geodesic_distance_m(33.51, 36.29, 33.3, 38.68));
    }

    #[test]
    fn point_inside_polygon_is_at_zero() {
        let sq = square(36.0, 33.0, 1.0);
        assert_eq!(distance_m(&pt(36.5, 33.5), &sq), 0.0);
        assert!(intersects(&sq, &pt(36.5, 33.5)));
        assert!(!intersects(&sq, &pt(37.5, 33.5)));
    }

    #[test]
    fn point_in_hole_is_outside() {
        let outer = [(36.0, 33.0), (37.0, 33.0), (37.0, 34.0), (36.0, 34.0), (36.0, 33.0)];
        let hole = [(36.4, 33.4), (36.4, 33.6), (36.6, 33.6), (36.6, 33.4), (36.4, 33.4)];
        let ring = |r: &[(f64, f64)]| r.iter().map(|&(x, y)| Position::new(x, y)).collect();
        let g = Geometry::polygon(&[ring(&outer), ring(&hole)]).expect("valid polygon");
        assert!(distance_m(&pt(36.5, 33.5), &g) > 9_000.0);
        assert_eq!(distance_m(&pt(36.2, 33.5), &g), 0.0);
    }

    #[test]
    fn crossing_line_is_at_zero() {
        let line = Geometry::line_string(&[Position::new(35.0, 33.5), Position::new(38.0, 33.5)])
            .expect("valid line");
        assert_eq!(distance_m(&line, &square(36.0, 33.0, 1.0)), 0.0);
    }

    #[test]
    fn within_is_inclusive_at_the_distance() {
        let (a, b) = (pt(36.0, 33.0), pt(36.01, 33.0));
        let d = distance_m(&a, &b);
        assert!(within(&a, &b, d));
        assert!(!within(&a, &b, d * (1.0 - 1e-12)));
        assert!(!within(&a, &b, -1.0));
    }

    #[test]
    fn point_to_edge_uses_the_great_circle() {
        // On a long east-west edge at 36N the great circle bulges north, so a
        // point on the parallel midway is south of the edge, not on it.
        let line = Geometry::line_string(&[Position::new(30.0, 36.0), Position::new(40.0, 36.0)])
            .expect("valid line");
        let d = distance_m(&line, &pt(35.0, 36.0));
        assert!(d > 10_000.0 && d < 30_000.0, "{d}");
    }
}
