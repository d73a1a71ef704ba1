//! Geometry fields are GeoJSON (RFC 7946). This module checks that a field holds
//! an allowed geometry type with coordinates; the geometry itself (closed,
//! simple rings, ranges, vertex limits) is validated by the fold's geometry
//! engine before anything is logged, and refused as `invalid_geometry`.

use serde_json::Value;

use crate::error::StatementError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    Point,
    LineString,
    Polygon,
    MultiPolygon,
}

impl GeometryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::Polygon => "Polygon",
            Self::MultiPolygon => "MultiPolygon",
        }
    }
}

/// Checks that `value` is a valid GeoJSON geometry of one of the `allowed` types.
pub fn check_geometry(field: &str, value: &Value, allowed: &[GeometryKind]) -> Result<(), StatementError> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or_default();
    if !allowed.iter().any(|k| k.as_str() == kind) {
        let names: Vec<_> = allowed.iter().map(|k| k.as_str()).collect();
        return Err(StatementError::InvalidGeometry {
            code: "wrong_geometry_type",
            detail: format!("{field} must be a GeoJSON {}", names.join(" or ")),
        });
    }
    validate(value).map_err(|(code, detail)| StatementError::InvalidGeometry {
        code,
        detail: format!("{field}: {detail}"),
    })
}

fn validate(value: &Value) -> Result<(), (&'static str, String)> {
    if value.get("coordinates").is_none() {
        return Err(("empty_geometry", "no coordinates".into()));
    }
    Ok(())
}
