//! GeoJSON geometry objects in and out, and WKT out.
//!
//! Statements carry geometry as GeoJSON (RFC 7946) geometry objects; this is
//! the one place that reads them. A third coordinate (altitude) is accepted
//! and ignored, as distances are measured on the ellipsoid's surface. WKT is
//! written with shortest round-trip decimals so that another engine given
//! the text sees exactly the same numbers.

use serde_json::{json, Value};

use crate::error::GeometryError;
use crate::geometry::{Geometry, GeometryKind, Position};

impl Geometry {
    /// Parses and validates a GeoJSON geometry object, keeping the object as
    /// given when its positions alone would not write it back
    /// ([`Geometry::as_given`]).
    pub fn from_geojson(value: &Value) -> Result<Self, GeometryError> {
        let geometry = Self::read_geojson(value)?;
        let positions = count_positions(&value["coordinates"]);
        let ordinary = value.as_object().is_some_and(|o| o.len() == 2)
            && positions.is_some_and(|n| n == geometry.vertex_count());
        Ok(if ordinary { geometry } else { geometry.keep_given(value.clone()) })
    }

    /// [`Geometry::from_geojson`] for a submission, which also refuses what
    /// readers could take differently: a position that is not 2 or 3 numbers
    /// ([`GeometryError::InvalidPosition`]; the lenient reading ignores a
    /// third member, whatever it is), a ring whose first and last
    /// positions differ in any member, altitude included
    /// ([`GeometryError::UnclosedRing`]), a member besides `type` and
    /// `coordinates` ([`GeometryError::ForeignMember`]: a GeoJSON 2008 `crs`
    /// makes some readers reproject), and shapes PostGIS's `ST_IsValid`
    /// refuses that the lenient reading folds anyway: a line of one distinct
    /// position ([`GeometryError::TooFewPositions`]) and a hole outside its
    /// outer ring or equal to it ([`GeometryError::HoleOutsideShell`]).
    pub fn from_geojson_strict(value: &Value) -> Result<Self, GeometryError> {
        if let Some(member) =
            value.as_object().and_then(|o| o.keys().find(|k| !["type", "coordinates"].contains(&k.as_str())))
        {
            return Err(GeometryError::ForeignMember(member.clone()));
        }
        let rings = match value["type"].as_str() {
            Some("Polygon") => 1,
            Some("MultiPolygon") => 2,
            _ => 0,
        };
        let geometry = Self::from_geojson(value);
        if let Err(GeometryError::Malformed { .. }) = &geometry {
            // A malformed position ([36.3], [36.3, "33.5"]) is named as such.
            if value["coordinates"].is_array() {
                strict_positions(&value["coordinates"], "coordinates", rings)?;
            }
        }
        let geometry = geometry?;
        strict_positions(&value["coordinates"], "coordinates", rings)?;
        geometry.check_strict_shape()?;
        Ok(geometry)
    }

    fn read_geojson(value: &Value) -> Result<Self, GeometryError> {
        let obj = value.as_object().ok_or(GeometryError::NotAnObject)?;
        let kind = obj.get("type").and_then(Value::as_str).ok_or(GeometryError::MissingType)?;
        const KINDS: [&str; 6] =
            ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];
        if !KINDS.contains(&kind) {
            return Err(GeometryError::UnsupportedType(kind.to_owned()));
        }
        let coords = obj.get("coordinates").ok_or_else(|| GeometryError::Malformed {
            path: "coordinates".to_owned(),
            expected: "a \"coordinates\" member",
        })?;
        let path = "coordinates";
        match kind {
            "Point" => {
                let p = position(coords, path)?;
                Geometry::point(p.lon, p.lat)
            }
            "MultiPoint" => Geometry::multi_point(&positions(coords, path)?),
            "LineString" => Geometry::line_string(&positions(coords, path)?),
            "MultiLineString" => Geometry::multi_line_string(&nested(coords, path, positions)?),
            "Polygon" => Geometry::polygon(&nested(coords, path, positions)?),
            "MultiPolygon" => Geometry::multi_polygon(&nested(coords, path, |v, p| nested(v, p, positions))?),
            other => Err(GeometryError::UnsupportedType(other.to_owned())),
        }
    }

    /// The geometry as a GeoJSON geometry object: as given, if it was kept,
    /// else written from its positions, whole numbers without a fraction.
    pub fn to_geojson(&self) -> Value {
        if let Some(given) = self.as_given() {
            return given.clone();
        }
        let coords = self.coordinates();
        let pos = |p: &Position| json!([ordinary_number(p.lon), ordinary_number(p.lat)]);
        let line = |l: &Vec<Position>| Value::Array(l.iter().map(pos).collect());
        let rings = |rs: &Vec<Vec<Position>>| Value::Array(rs.iter().map(line).collect());
        let coordinates = match self.kind() {
            GeometryKind::Point => pos(&coords[0][0][0]),
            GeometryKind::MultiPoint => coords.iter().map(|c| pos(&c[0][0])).collect(),
            GeometryKind::LineString => line(&coords[0][0]),
            GeometryKind::MultiLineString => coords.iter().map(|c| line(&c[0])).collect(),
            GeometryKind::Polygon => rings(&coords[0]),
            GeometryKind::MultiPolygon => coords.iter().map(rings).collect(),
        };
        json!({ "type": self.kind().as_str(), "coordinates": coordinates })
    }

    /// The geometry as OGC well-known text, e.g. for a PostGIS literal.
    pub fn to_wkt(&self) -> String {
        let coords = self.coordinates();
        let pos = |p: &Position| format!("{} {}", p.lon, p.lat);
        let line = |l: &Vec<Position>| format!("({})", join(l.iter().map(pos)));
        let rings = |rs: &Vec<Vec<Position>>| format!("({})", join(rs.iter().map(line)));
        let body = match self.kind() {
            GeometryKind::Point => format!("({})", pos(&coords[0][0][0])),
            GeometryKind::MultiPoint => format!("({})", join(coords.iter().map(|c| pos(&c[0][0])))),
            GeometryKind::LineString => line(&coords[0][0]),
            GeometryKind::MultiLineString => format!("({})", join(coords.iter().map(|c| line(&c[0])))),
            GeometryKind::Polygon => rings(&coords[0]),
            GeometryKind::MultiPolygon => format!("({})", join(coords.iter().map(rings))),
        };
        format!("{}{}", self.kind().as_str().to_uppercase(), body)
    }
}

/// A coordinate as an ordinary writer writes it: a whole number without a
/// fraction (as JavaScript's `JSON.stringify` does), anything else as is.
pub fn ordinary_number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// How many positions `coordinates` holds, if every one of them is written
/// the ordinary way: `[lon, lat]`, each number as [`ordinary_number`] would
/// write it. `None` otherwise (an altitude, `36.0`, anything odd).
fn count_positions(coords: &Value) -> Option<usize> {
    let items = coords.as_array()?;
    let is_position = items.first().is_some_and(Value::is_number);
    if !is_position {
        return items.iter().map(count_positions).sum();
    }
    let ordinary = |v: &Value| v.as_f64().is_some_and(|f| &ordinary_number(f) == v);
    (items.len() == 2 && items.iter().all(ordinary)).then_some(1)
}

/// Checks every position under `coords` strictly; `ring_depth` is how many
/// array levels lie above the rings (1 for a Polygon, 2 for a MultiPolygon,
/// 0 when there are none).
fn strict_positions(coords: &Value, path: &str, ring_depth: usize) -> Result<(), GeometryError> {
    let items = array(coords, path)?;
    if ring_depth == 0 && items.first().is_some_and(Value::is_number) {
        let numbers = items.iter().all(Value::is_number);
        return match (2..=3).contains(&items.len()) && numbers {
            true => Ok(()),
            false => Err(GeometryError::InvalidPosition { path: path.to_owned() }),
        };
    }
    for (i, item) in items.iter().enumerate() {
        let here = format!("{path}[{i}]");
        strict_positions(item, &here, ring_depth.saturating_sub(1))?;
        let is_ring = ring_depth == 1;
        let closed = |r: &Vec<Value>| r.first().map(numbers) == r.last().map(numbers);
        if is_ring && !item.as_array().is_some_and(closed) {
            return Err(GeometryError::UnclosedRing { path: here });
        }
    }
    Ok(())
}

fn numbers(position: &Value) -> Vec<f64> {
    position.as_array().map(|p| p.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, GeometryError> {
    v.as_array().ok_or_else(|| GeometryError::Malformed { path: path.to_owned(), expected: "an array" })
}

fn position(v: &Value, path: &str) -> Result<Position, GeometryError> {
    let items = array(v, path)?;
    let number = |i: usize| items.get(i).and_then(Value::as_f64);
    match (number(0), number(1), items.len()) {
        (Some(lon), Some(lat), 2 | 3) => Ok(Position::new(lon, lat)),
        _ => Err(GeometryError::Malformed {
            path: path.to_owned(),
            expected: "a position [lon, lat] or [lon, lat, alt]",
        }),
    }
}

fn positions(v: &Value, path: &str) -> Result<Vec<Position>, GeometryError> {
    nested(v, path, position)
}

fn nested<T>(
    v: &Value,
    path: &str,
    each: impl Fn(&Value, &str) -> Result<T, GeometryError>,
) -> Result<Vec<T>, GeometryError> {
    array(v, path)?.iter().enumerate().map(|(i, item)| each(item, &format!("{path}[{i}]"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snapshot encoding keeps everything a geometry answers with,
    /// including the GeoJSON as given (here: with an altitude).
    #[test]
    fn a_geometry_survives_the_snapshot_encoding() {
        for given in [
            json!({"type": "Point", "coordinates": [36.5, 33.25, 120]}),
            json!({"type": "Polygon", "coordinates": [[[20, 20], [20.5, 20], [20.5, 20.5], [20, 20.5], [20, 20]]]}),
        ] {
            let g = Geometry::from_geojson(&given).expect("valid");
            let bytes = borsh::to_vec(&g).expect("encoded");
            let back: Geometry = borsh::from_slice(&bytes).expect("decoded");
            assert_eq!(back, g);
            assert_eq!(back.to_geojson(), g.to_geojson());
        }
    }

    /// Shapes the lenient reading folds (old logs replay) and a submission may
    /// not have: a foreign member, a line of one distinct position, a hole
    /// outside its shell or equal to it. Found by trying them as a user would.
    #[test]
    fn strict_shapes_refuse_what_postgis_calls_invalid() {
        let square = json!([[20, 20], [20.5, 20], [20.5, 20.5], [20, 20.5], [20, 20]]);
        let far_hole = json!([[21, 21], [21.1, 21], [21.1, 21.1], [21, 21.1], [21, 21]]);
        let hole = json!([[20.1, 20.1], [20.2, 20.1], [20.2, 20.2], [20.1, 20.1]]);
        let touching = json!([[20, 20], [20.2, 20.1], [20.1, 20.2], [20, 20]]);
        let refused = [
            (json!({"type": "Point", "coordinates": [36, 33], "crs": {"type": "name"}}), "member"),
            (json!({"type": "Point", "coordinates": [36, 33], "bbox": [0, 0, 1, 1]}), "member"),
            (json!({"type": "LineString", "coordinates": [[36.29, 33.51], [36.29, 33.51]]}), "few"),
            (json!({"type": "MultiLineString", "coordinates": [[[1, 1], [2, 2]], [[3, 3], [3, 3]]]}), "few"),
            (json!({"type": "Polygon", "coordinates": [square.clone(), far_hole]}), "hole"),
            (json!({"type": "Polygon", "coordinates": [square.clone(), square.clone()]}), "hole"),
        ];
        for (v, why) in refused {
            Geometry::from_geojson(&v).expect("the lenient reading folds it");
            let e = Geometry::from_geojson_strict(&v).expect_err("a submission may not");
            let right = match why {
                "member" => matches!(e, GeometryError::ForeignMember(_)),
                "few" => matches!(e, GeometryError::TooFewPositions { .. }),
                _ => matches!(e, GeometryError::HoleOutsideShell { .. }),
            };
            assert!(right, "{v}: {e}");
        }
        for ok in [
            json!({"type": "Polygon", "coordinates": [square.clone(), hole]}),
            json!({"type": "Polygon", "coordinates": [square, touching]}),
            json!({"type": "LineString", "coordinates": [[36.29, 33.51], [36.29, 33.51], [36.3, 33.5]]}),
        ] {
            Geometry::from_geojson_strict(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn strictly_a_position_is_two_or_three_numbers_and_a_ring_closes_in_every_member() {
        let refused = [
            (json!({"type": "Point", "coordinates": [36.3, 33.5, "high"]}), "position"),
            (json!({"type": "LineString", "coordinates": [[36, 33], [37, 33, null]]}), "position"),
            (
                json!({"type": "Polygon", "coordinates": [[[36, 33, 0], [37, 33, 0], [37, 34, 0], [36, 33, 999]]]}),
                "ring",
            ),
            (
                json!({"type": "Polygon", "coordinates": [[[36, 33], [37, 33], [37, 34], [36, 33, 0]]]}),
                "ring",
            ),
            (
                json!({"type": "MultiPolygon", "coordinates": [[[[36, 33], [37, 33], [37, 34], [36, 33]]], [[[40, 33, 1], [41, 33], [41, 34], [40, 33, 2]]]]}),
                "ring",
            ),
        ];
        for (v, why) in refused {
            Geometry::from_geojson(&v).expect("the lenient reading accepts it");
            let e = Geometry::from_geojson_strict(&v).expect_err("refused");
            let right = match why {
                "position" => matches!(e, GeometryError::InvalidPosition { .. }),
                _ => matches!(e, GeometryError::UnclosedRing { .. }),
            };
            assert!(right, "{v}: {e}");
        }
        let four = json!({"type": "Point", "coordinates": [36.3, 33.5, 1, 2]});
        assert!(Geometry::from_geojson(&four).is_err() && Geometry::from_geojson_strict(&four).is_err());
        let accepted = [
            json!({"type": "Point", "coordinates": [36.3, 33.5, 120]}),
            json!({"type": "Polygon", "coordinates": [[[36, 33, 5], [37, 33], [37, 34], [36, 33, 5]]]}),
            json!({"type": "MultiPoint", "coordinates": [[36, 33], [37, 33, 1]]}),
        ];
        for v in accepted {
            assert_eq!(Geometry::from_geojson_strict(&v), Geometry::from_geojson(&v), "{v}");
        }
    }

    #[test]
    fn keeps_what_its_positions_would_not_write_back() {
        let ordinary = [
            json!({"type": "Point", "coordinates": [36, 33.5]}),
            json!({"type": "LineString", "coordinates": [[36.29, 33.51], [38.68, 33.3]]}),
            json!({"type": "Polygon", "coordinates": [[[36, 33], [37, 33], [37, 34], [36, 33]]]}),
        ];
        for v in ordinary {
            let g = Geometry::from_geojson(&v).expect("valid");
            assert!(g.as_given().is_none(), "{v}");
            assert_eq!(g.to_geojson(), v);
        }
        let kept = [
            json!({"type": "Point", "coordinates": [36.69, 33.64, 12]}),
            json!({"type": "Point", "coordinates": [36.0, 33.5]}),
            json!({"type": "LineString", "coordinates": [[36, 33], [36, 33], [37, 33]]}),
            json!({"type": "Point", "coordinates": [36, 33], "bbox": [36, 33, 36, 33]}),
        ];
        for v in kept {
            let g = Geometry::from_geojson(&v).expect("valid");
            assert_eq!(g.as_given(), Some(&v), "{v}");
            assert_eq!(g.to_geojson(), v);
        }
    }

    #[test]
    fn round_trips_every_kind() {
        let samples = [
            json!({"type": "Point", "coordinates": [36.29, 33.51]}),
            json!({"type": "MultiPoint", "coordinates": [[36.29, 33.51], [36.69, 33.64]]}),
            json!({"type": "LineString", "coordinates": [[36.29, 33.51], [38.68, 33.3]]}),
            json!({"type": "MultiLineString", "coordinates": [[[36.0, 33.0], [37.0, 33.0]]]}),
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]}),
        ];
        for s in samples {
            let g = Geometry::from_geojson(&s).expect("valid sample");
            assert_eq!(g.to_geojson(), s);
        }
    }

    #[test]
    fn wkt_uses_exact_decimals() {
        let g = Geometry::from_geojson(
            &json!({"type": "LineString", "coordinates": [[36.29, 33.51], [0.1, -1e-7]]}),
        )
        .expect("valid line");
        assert_eq!(g.to_wkt(), "LINESTRING(36.29 33.51,0.1 -0.0000001)");
    }

    #[test]
    fn malformed_input_names_the_fault() {
        assert_eq!(Geometry::from_geojson(&json!([1, 2])), Err(GeometryError::NotAnObject));
        assert_eq!(Geometry::from_geojson(&json!({"coordinates": []})), Err(GeometryError::MissingType));
        assert!(matches!(
            Geometry::from_geojson(&json!({"type": "GeometryCollection", "geometries": []})),
            Err(GeometryError::UnsupportedType(_))
        ));
        assert!(matches!(
            Geometry::from_geojson(&json!({"type": "Point", "coordinates": ["a", 1]})),
            Err(GeometryError::Malformed { .. })
        ));
        assert_eq!(
            Geometry::from_geojson(&json!({"type": "LineString", "coordinates": []})),
            Err(GeometryError::Empty)
        );
        assert!(matches!(
            Geometry::from_geojson(&json!({"type": "LineString", "coordinates": [[0.0, 0.0]]})),
            Err(GeometryError::TooFewPositions { .. })
        ));
    }
}
