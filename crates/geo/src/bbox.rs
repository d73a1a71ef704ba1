//! Longitude/latitude boxes that are guaranteed to contain what they bound.
//!
//! The index prunes with plain degree boxes, so every box here errs outward:
//! an edge's box includes the poleward bulge of its great circle, an
//! expansion by an angle accounts for longitude degrees shrinking with
//! latitude, and anything that wraps the antimeridian or nears a pole takes
//! the whole longitude range rather than risk a miss.

use crate::sphere::{cross, dot, edge_normal, norm, Vec3};

/// Slack in degrees added to every computed bound against rounding.
const SLACK_DEG: f64 = 1e-9;

/// Above this latitude an expanded box spans every longitude.
const POLAR_LAT_DEG: f64 = 89.0;

/// A box in degrees; `min_lon <= max_lon` always (wrapping boxes are widened
/// to the full range instead).
#[derive(Debug, Clone, Copy, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) struct LatLonBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl LatLonBox {
    pub fn point(lon: f64, lat: f64) -> Self {
        Self { min_lon: lon, min_lat: lat, max_lon: lon, max_lat: lat }
    }

    /// Box of the shorter great-circle arc between two vertices.
    pub fn edge(a: (f64, f64, Vec3), b: (f64, f64, Vec3)) -> Self {
        let (min_lon, max_lon) =
            if (b.0 - a.0).abs() <= 180.0 { (a.0.min(b.0), a.0.max(b.0)) } else { (-180.0, 180.0) };
        let (mut min_lat, mut max_lat) = (a.1.min(b.1), a.1.max(b.1));
        if let Some(n) = edge_normal(a.2, b.2) {
            if let Some(top) = arc_extreme_lat(a.2, b.2, n, 1.0) {
                max_lat = max_lat.max(top);
            }
            if let Some(bottom) = arc_extreme_lat(a.2, b.2, n, -1.0) {
                min_lat = min_lat.min(bottom);
            }
        }
        Self { min_lon, min_lat, max_lon, max_lat }.padded(SLACK_DEG)
    }

    pub fn union(&self, other: &Self) -> Self {
        Self {
            min_lon: self.min_lon.min(other.min_lon),
            min_lat: self.min_lat.min(other.min_lat),
            max_lon: self.max_lon.max(other.max_lon),
            max_lat: self.max_lat.max(other.max_lat),
        }
    }

    pub fn intersects(&self, other: &Self) -> bool {
        self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
            && self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
    }

    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.min_lon <= lon && lon <= self.max_lon && self.min_lat <= lat && lat <= self.max_lat
    }

    fn padded(self, deg: f64) -> Self {
        Self {
            min_lon: (self.min_lon - deg).max(-180.0),
            min_lat: self.min_lat - deg,
            max_lon: (self.max_lon + deg).min(180.0),
            max_lat: self.max_lat + deg,
        }
    }

    /// Grows the box so that it holds every point within `angle_rad` (a
    /// central angle on the sphere) of any point of the box.
    pub fn expanded(&self, angle_rad: f64) -> Self {
        if angle_rad <= 0.0 {
            return *self;
        }
        let dlat = angle_rad.to_degrees();
        let min_lat = (self.min_lat - dlat - SLACK_DEG).max(-90.0);
        let max_lat = (self.max_lat + dlat + SLACK_DEG).min(90.0);
        let widest = self.min_lat.abs().max(self.max_lat.abs());
        let polar = widest + dlat >= POLAR_LAT_DEG || angle_rad >= std::f64::consts::FRAC_PI_2;
        let dlon = if polar {
            360.0
        } else {
            // A cap of radius r centred at latitude phi spans
            // asin(sin r / cos phi) of longitude either way; it grows with
            // |phi|, so the box's most poleward latitude bounds it.
            let ratio = angle_rad.sin() / widest.to_radians().cos();
            ratio.min(1.0).asin().to_degrees() * (1.0 + 1e-9) + SLACK_DEG
        };
        let (min_lon, max_lon) = (self.min_lon - dlon, self.max_lon + dlon);
        if min_lon < -180.0 || max_lon > 180.0 {
            return Self { min_lon: -180.0, min_lat, max_lon: 180.0, max_lat };
        }
        Self { min_lon, min_lat, max_lon, max_lat }
    }
}

/// Most northern (`sign` = 1) or southern (`sign` = -1) latitude reached
/// strictly inside the arc, if the great circle's extreme lies on it.
fn arc_extreme_lat(a: Vec3, b: Vec3, n: Vec3, sign: f64) -> Option<f64> {
    let pole = [0.0, 0.0, sign];
    let t = [pole[0] - n[2] * sign * n[0], pole[1] - n[2] * sign * n[1], sign - n[2] * sign * n[2]];
    let len = norm(t);
    if len <= 1e-15 {
        return None;
    }
    let t = [t[0] / len, t[1] / len, t[2] / len];
    let inside = dot(cross(a, t), n) >= 0.0 && dot(cross(t, b), n) >= 0.0;
    inside.then(|| t[2].clamp(-1.0, 1.0).asin().to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::{angle, to_vec3};

    fn vx(lon: f64, lat: f64) -> (f64, f64, Vec3) {
        (lon, lat, to_vec3(lon, lat))
    }

    #[test]
    fn edge_box_includes_bulge() {
        let b = LatLonBox::edge(vx(0.0, 60.0), vx(90.0, 60.0));
        assert!(b.max_lat > 65.0, "{b:?}");
        assert!((b.min_lat - 60.0).abs() < 1e-6);
    }

    #[test]
    fn antimeridian_edge_takes_all_longitudes() {
        let b = LatLonBox::edge(vx(179.0, 1.0), vx(-179.0, 2.0));
        assert_eq!((b.min_lon, b.max_lon), (-180.0, 180.0));
    }

    #[test]
    fn expansion_covers_cap_at_latitude() {
        let r = 0.01;
        let b = LatLonBox::point(40.0, 36.0).expanded(r);
        // Points due east/west and north/south at the cap radius are inside.
        let c = to_vec3(40.0, 36.0);
        for step in 0..360 {
            let az = f64::from(step).to_radians();
            // Walk the great circle from c with azimuth az by angle r.
            let (lat1, lon1) = (36f64.to_radians(), 40f64.to_radians());
            let lat2 = (lat1.sin() * r.cos() + lat1.cos() * r.sin() * az.cos()).asin();
            let lon2 = lon1 + (az.sin() * r.sin() * lat1.cos()).atan2(r.cos() - lat1.sin() * lat2.sin());
            let (lon2, lat2) = (lon2.to_degrees(), lat2.to_degrees());
            assert!((angle(c, to_vec3(lon2, lat2)) - r).abs() < 1e-12);
            assert!(b.contains(lon2, lat2), "az {step}: {lon2} {lat2} not in {b:?}");
        }
    }
}
