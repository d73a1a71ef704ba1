//! Geometry fields are GeoJSON (RFC 7946). This module parses a field into
//! the geometry engine's [`Geometry`] (`corridor-geo`), once, checking that it
//! is of an allowed type and valid: closed, simple rings, coordinates in range,
//! within the vertex limit. Each fault is refused with its own stable code
//! before anything reaches the log.

use std::sync::Arc;

use corridor_geo::{Geometry, GeometryError};
use serde_json::Value;

use crate::error::StatementError;
use crate::statement::Reading;

pub use corridor_geo::GeometryKind;

/// Parses `value` as a valid GeoJSON geometry of one of the `allowed` types;
/// a submission strictly ([`Geometry::from_geojson_strict`]).
pub fn parse_geometry(
    field: &str,
    value: &Value,
    allowed: &[GeometryKind],
    reading: Reading,
) -> Result<Arc<Geometry>, StatementError> {
    let read = if reading.strict() { Geometry::from_geojson_strict } else { Geometry::from_geojson };
    let geometry = read(value).map_err(|e| StatementError::InvalidGeometry {
        code: geometry_error_code(&e),
        detail: format!("{field}: {e}"),
    })?;
    if !allowed.contains(&geometry.kind()) {
        let names: Vec<_> = allowed.iter().map(|k| k.as_str()).collect();
        return Err(StatementError::InvalidGeometry {
            code: "wrong_geometry_type",
            detail: format!("{field} must be a GeoJSON {}", names.join(" or ")),
        });
    }
    Ok(Arc::new(geometry))
}

/// The stable code of each geometry fault.
pub fn geometry_error_code(e: &GeometryError) -> &'static str {
    match e {
        GeometryError::NotAnObject | GeometryError::MissingType | GeometryError::Malformed { .. } => {
            "malformed_geometry"
        }
        GeometryError::UnsupportedType(_) => "unsupported_geometry_type",
        GeometryError::InvalidPosition { .. } => "invalid_position",
        GeometryError::Empty => "empty_geometry",
        GeometryError::CoordinateOutOfRange { .. } => "coordinate_out_of_range",
        GeometryError::TooFewPositions { .. } => "too_few_positions",
        GeometryError::UnclosedRing { .. } => "unclosed_ring",
        GeometryError::HoleOutsideShell { .. } => "hole_outside_shell",
        GeometryError::ForeignMember(_) => "foreign_member",
        GeometryError::SelfIntersectingRing { .. } => "self_intersecting_ring",
        GeometryError::RingEnclosesPole { .. } => "ring_encloses_pole",
        GeometryError::AntipodalEdge { .. } => "antipodal_edge",
        GeometryError::TooManyVertices { .. } => "too_many_vertices",
    }
}
