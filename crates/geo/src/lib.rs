//! Geometry semantics (PostGIS `geography`) and the spatio-temporal index.
//!
//! Corridor's conflict and clearance views must give the answers PostGIS
//! would give, so that anyone can check them in SQL. This crate is that
//! contract, pure and self-contained:
//!
//! - [`Geometry`]: GeoJSON Point, MultiPoint, LineString, MultiLineString,
//!   Polygon and MultiPolygon, validated on the way in (each fault has its
//!   own [`GeometryError`]).
//! - [`distance_m`], [`within`], [`intersects`]: the closest pair is found
//!   on a sphere of radius (2a+b)/3 with great-circle edges (a point inside
//!   a polygon is at distance zero), then measured on the WGS84 ellipsoid
//!   with Karney's geodesic inverse; `within(a, b, d)` iff distance <= d.
//! - [`Window`]: half-open `[from, to)` microsecond windows that overlap as
//!   PostgreSQL `tstzrange` values do.
//! - [`SpatioTemporalIndex`]: insert, remove and "within d of G during W"
//!   queries that return exactly what a scan with [`within`] would.
//!
//! # Antimeridian and poles
//!
//! Every edge is the shorter great-circle arc between its positions, so an
//! edge from longitude 179 to -179 crosses the antimeridian (2 degrees
//! long), and no geometry needs splitting there. Edges may pass close to or
//! over a pole. Rejected, because they have no single meaning: an edge
//! between antipodal points, and a polygon ring that encloses a pole
//! (containment is decided along the meridian to the north pole). Pieces
//! that wrap the antimeridian or come within a degree of a pole are indexed
//! with boxes spanning all longitudes: correct, only less selective.

mod bbox;
mod distance;
mod error;
mod geojson;
mod geometry;
mod index;
mod sphere;
mod window;

pub use distance::{
    distance_m, geodesic_distance_m, intersects, within, SPHERE_RADIUS_M, WGS84_A_M, WGS84_B_M, WGS84_F,
};
pub use error::{GeometryError, WindowError};
pub use geometry::{Geometry, GeometryKind, Position, MAX_VERTICES};
pub use index::{IndexedObject, Kind, KindSet, Query, SpatioTemporalIndex, CHUNK_EDGES};
pub use window::Window;
