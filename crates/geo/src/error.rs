//! Typed errors for geometry and windows, one variant per fault, so that a
//! rejected statement can say exactly what is wrong and where.
//!
//! `path` fields name the offending member the way a client wrote it, for
//! example `coordinates[1][4]` for the fifth position of the first hole.

/// Why a geometry was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("geometry must be a JSON object")]
    NotAnObject,
    #[error("geometry has no string \"type\" member")]
    MissingType,
    #[error("geometry type {0:?} is not supported")]
    UnsupportedType(String),
    #[error("{path}: expected {expected}")]
    Malformed { path: String, expected: &'static str },
    #[error("{path}: a position is 2 or 3 numbers")]
    InvalidPosition { path: String },
    #[error("geometry is empty")]
    Empty,
    #[error("{path}: coordinate ({lon}, {lat}) is out of range")]
    CoordinateOutOfRange { path: String, lon: f64, lat: f64 },
    #[error("{path}: {found} distinct positions where at least {required} are needed")]
    TooFewPositions { path: String, found: usize, required: usize },
    #[error("{path}: ring is not closed (first and last positions differ)")]
    UnclosedRing { path: String },
    #[error("{path}: a hole lies outside its polygon's outer ring, or is that ring")]
    HoleOutsideShell { path: String },
    #[error("geometry member {0:?}: a geometry has only \"type\" and \"coordinates\"")]
    ForeignMember(String),
    #[error("{path}: ring intersects itself (edges {first} and {second})")]
    SelfIntersectingRing { path: String, first: usize, second: usize },
    #[error("{path}: ring encloses a pole")]
    RingEnclosesPole { path: String },
    #[error("{path}: edge {edge} joins antipodal points, so its great circle is undefined")]
    AntipodalEdge { path: String, edge: usize },
    #[error("geometry has {found} positions, more than the limit of {limit}")]
    TooManyVertices { found: usize, limit: usize },
}

/// Why a time window was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("window starts at {from_us} us, after it ends at {to_us} us")]
    EndsBeforeStart { from_us: i64, to_us: i64 },
}
