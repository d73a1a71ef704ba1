//! Unit-sphere primitives: great-circle edges, closest points and crossings.
//!
//! Every closest-pair search in this crate runs on the sphere, as PostGIS
//! `geography` does; only the final pair is measured on the ellipsoid. Points
//! are kept as unit vectors so that edge tests need no trigonometry, and
//! angles come from `atan2(|a x b|, a . b)`, which stays accurate for the
//! millimetre-scale separations that decide threshold cases.

/// A point on the unit sphere.
pub(crate) type Vec3 = [f64; 3];

/// Below this norm a cross product is treated as zero: the two vectors are
/// the same point (or antipodes, which validation rules out for edges).
const DEGENERATE: f64 = 1e-15;

pub(crate) fn to_vec3(lon_deg: f64, lat_deg: f64) -> Vec3 {
    let (sin_lat, cos_lat) = lat_deg.to_radians().sin_cos();
    let (sin_lon, cos_lon) = lon_deg.to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// Longitude and latitude in degrees of a (not necessarily unit) vector.
pub(crate) fn to_lon_lat(v: Vec3) -> (f64, f64) {
    let lon = v[1].atan2(v[0]).to_degrees();
    let lat = v[2].atan2(v[0].hypot(v[1])).to_degrees();
    (lon, lat)
}

pub(crate) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub(crate) fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

fn scale(a: Vec3, k: f64) -> Vec3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn neg(a: Vec3) -> Vec3 {
    [-a[0], -a[1], -a[2]]
}

/// Unit normal of the great circle through `a` and `b`, or `None` when the
/// two points coincide.
pub(crate) fn edge_normal(a: Vec3, b: Vec3) -> Option<Vec3> {
    let n = cross(a, b);
    let len = norm(n);
    (len > DEGENERATE).then(|| scale(n, 1.0 / len))
}

/// Unit normal of the great circle from `a` to `b` (degrees), computed from
/// half-sum and half-difference angles. The plain cross product of two
/// nearby unit vectors loses digits to cancellation (for a 1-km edge, its
/// direction is off by ~1e-12 rad, a few micrometres on the ground); this
/// form keeps full precision, so the final closest point is exact.
pub(crate) fn precise_normal(a: (f64, f64), b: (f64, f64)) -> Option<Vec3> {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let half_sum = (lon1 + lon2) / 2.0;
    let half_diff = (lon1 - lon2) / 2.0;
    let (sin_s, cos_s) = half_sum.sin_cos();
    let (sin_d, cos_d) = half_diff.sin_cos();
    let lat_diff = (a.1 - b.1).to_radians().sin();
    let lat_sum = (lat1 + lat2).sin();
    let n = [
        -sin_s * cos_d * lat_diff + cos_s * sin_d * lat_sum,
        cos_s * cos_d * lat_diff + sin_s * sin_d * lat_sum,
        -lat1.cos() * lat2.cos() * (2.0 * half_diff).sin(),
    ];
    let len = norm(n);
    (len > 0.0).then(|| scale(n, 1.0 / len))
}

/// Foot of the perpendicular from `p` onto the great circle with unit
/// normal `n`.
pub(crate) fn foot(p: Vec3, n: Vec3) -> Vec3 {
    sub(p, scale(n, dot(p, n)))
}

/// Central angle between two unit vectors, in radians.
pub(crate) fn angle(a: Vec3, b: Vec3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Whether `k`, a point on the great circle with normal `n` through `a` and
/// `b`, lies on the shorter arc from `a` to `b`.
fn on_arc(a: Vec3, b: Vec3, n: Vec3, k: Vec3) -> bool {
    dot(cross(a, k), n) >= 0.0 && dot(cross(k, b), n) >= 0.0
}

/// Closest point of edge `a`-`b` to `p`: the angle and the point. The
/// perpendicular foot is used when it falls inside the arc, otherwise the
/// nearer endpoint.
pub(crate) fn point_edge(p: Vec3, a: Vec3, b: Vec3) -> (f64, Vec3) {
    if let Some(n) = edge_normal(a, b) {
        let foot = sub(p, scale(n, dot(p, n)));
        let len = norm(foot);
        if len > DEGENERATE {
            let k = scale(foot, 1.0 / len);
            if on_arc(a, b, n, k) {
                return (angle(p, k), k);
            }
        }
    }
    let (to_a, to_b) = (angle(p, a), angle(p, b));
    if to_a <= to_b {
        (to_a, a)
    } else {
        (to_b, b)
    }
}

/// The point where edges `a1`-`a2` and `b1`-`b2` cross, if they do.
/// Collinear overlaps return `None`; the endpoint distances then find them
/// at distance zero anyway.
pub(crate) fn edge_crossing(a1: Vec3, a2: Vec3, b1: Vec3, b2: Vec3) -> Option<Vec3> {
    let na = edge_normal(a1, a2)?;
    let nb = edge_normal(b1, b2)?;
    let x = cross(na, nb);
    let len = norm(x);
    if len <= DEGENERATE {
        return None;
    }
    let x = scale(x, 1.0 / len);
    [x, neg(x)].into_iter().find(|&c| on_arc(a1, a2, na, c) && on_arc(b1, b2, nb, c))
}

/// Closest pair between two edges: angle, point on the first, point on the
/// second. Great-circle arcs that do not cross are closest at an endpoint of
/// one of them.
pub(crate) fn edge_edge(a1: Vec3, a2: Vec3, b1: Vec3, b2: Vec3) -> (f64, Vec3, Vec3) {
    if let Some(x) = edge_crossing(a1, a2, b1, b2) {
        return (0.0, x, x);
    }
    let mut best = {
        let (ang, on_b) = point_edge(a1, b1, b2);
        (ang, a1, on_b)
    };
    let (ang, on_b) = point_edge(a2, b1, b2);
    if ang < best.0 {
        best = (ang, a2, on_b);
    }
    for p in [b1, b2] {
        let (ang, on_a) = point_edge(p, a1, a2);
        if ang < best.0 {
            best = (ang, on_a, p);
        }
    }
    best
}

/// Longitude difference `to - from` folded into (-180, 180], for inputs in
/// [-180, 180] (no division: this sits in the point-in-polygon loop).
pub(crate) fn lon_delta(from_deg: f64, to_deg: f64) -> f64 {
    let d = to_deg - from_deg;
    if d > 180.0 {
        d - 360.0
    } else if d <= -180.0 {
        d + 360.0
    } else {
        d
    }
}

/// A point whose northward meridian ray is tested against ring edges.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MeridianRay {
    lon: f64,
    z: f64,
    normal: Vec3,
}

impl MeridianRay {
    pub fn new(lon: f64, v: Vec3) -> Self {
        let (sin_lon, cos_lon) = lon.to_radians().sin_cos();
        Self { lon, z: v[2], normal: [-sin_lon, cos_lon, 0.0] }
    }

    /// Whether the edge `a`-`b` crosses the ray (the meridian north of the
    /// point). A vertex on the meridian counts as east of it, so that a ray
    /// through a vertex is counted exactly once. The crossing latitude is
    /// that of the great circle, not of a straight line in degrees.
    pub fn crosses(&self, a: (f64, f64, Vec3), b: (f64, f64, Vec3)) -> bool {
        let da = lon_delta(self.lon, a.0);
        let db = lon_delta(self.lon, b.0);
        if (da >= 0.0) == (db >= 0.0) || da.abs() + db.abs() >= 180.0 {
            return false;
        }
        let Some(n) = edge_normal(a.2, b.2) else {
            return false;
        };
        let mut x = cross(n, self.normal);
        let len = norm(x);
        if len <= DEGENERATE {
            return false;
        }
        let mid = [a.2[0] + b.2[0], a.2[1] + b.2[1], a.2[2] + b.2[2]];
        if dot(x, mid) < 0.0 {
            x = neg(x);
        }
        x[2] / len > self.z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lon: f64, lat: f64) -> Vec3 {
        to_vec3(lon, lat)
    }

    #[test]
    fn angle_of_quarter_turn() {
        let a = angle(v(0.0, 0.0), v(90.0, 0.0));
        assert!((a - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
    }

    #[test]
    fn foot_inside_edge_is_closest() {
        let (ang, k) = point_edge(v(0.5, 1.0), v(0.0, 0.0), v(1.0, 0.0));
        assert!((ang.to_degrees() - 1.0).abs() < 1e-4);
        let (lon, lat) = to_lon_lat(k);
        assert!((lon - 0.5).abs() < 1e-4 && lat.abs() < 1e-12);
    }

    #[test]
    fn foot_outside_edge_falls_back_to_endpoint() {
        let (_, k) = point_edge(v(2.0, 1.0), v(0.0, 0.0), v(1.0, 0.0));
        assert_eq!(k, v(1.0, 0.0));
    }

    #[test]
    fn crossing_edges_meet() {
        let x = edge_crossing(v(-1.0, 0.0), v(1.0, 0.0), v(0.0, -1.0), v(0.0, 1.0));
        let (lon, lat) = to_lon_lat(x.expect("edges cross"));
        assert!(lon.abs() < 1e-12 && lat.abs() < 1e-12);
        assert!(edge_crossing(v(-1.0, 0.0), v(1.0, 0.0), v(2.0, -1.0), v(2.0, 1.0)).is_none());
    }

    #[test]
    fn great_circle_bulges_poleward() {
        // The arc from (0, 60) to (90, 60) passes well north of latitude 60,
        // so a point at (45, 62) lies south of it.
        let ray = MeridianRay::new(45.0, v(45.0, 62.0));
        let a = (0.0, 60.0, v(0.0, 60.0));
        let b = (90.0, 60.0, v(90.0, 60.0));
        assert!(ray.crosses(a, b));
    }

    #[test]
    fn precise_normal_is_the_cross_product() {
        for (a, b) in
            [((36.8, 30.19), (36.79, 30.18)), ((-179.5, -10.0), (179.5, 12.0)), ((0.0, 0.0), (90.0, 0.0))]
        {
            let n = precise_normal(a, b).expect("distinct points");
            let m = edge_normal(v(a.0, a.1), v(b.0, b.1)).expect("distinct points");
            assert!((0..3).all(|i| (n[i] - m[i]).abs() < 1e-10), "{n:?} vs {m:?}");
        }
    }

    #[test]
    fn lon_delta_wraps_antimeridian() {
        assert_eq!(lon_delta(179.0, -179.0), 2.0);
        assert_eq!(lon_delta(-179.0, 179.0), -2.0);
        assert_eq!(lon_delta(0.0, 180.0), 180.0);
    }
}
