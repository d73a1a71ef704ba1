//! Data transfer types: the only JSON shapes of the API. Each derives
//! `Serialize` (its JSON) and `ToSchema` (its part of `/openapi.json`), and is
//! built from the domain's records by a `From` conversion, so the domain
//! crates (`corridor-state`, `corridor-statement`) carry no presentation.
//!
//! Conventions, kept from the brief (§4–§6):
//! - references are `issuer/id` text; party ids are text;
//! - times are RFC 3339 UTC text: `sequenced_at` and [`Stamp`] times with
//!   exactly three fractional digits, window ends and other times with as
//!   many as they need (none, 3 or 6); a field whose name ends in `_us` is
//!   an integer count of microseconds since the Unix epoch instead;
//! - hashes and signatures are standard base64;
//! - geometry is GeoJSON ([`GeoJson`]), as signed;
//! - enumerations are their snake_case wire names;
//! - an absent optional value is `null` unless a field says it is left out.

pub mod access;
pub mod accountability;
pub mod events;
pub mod intake;
pub mod log;
pub mod statement;

use std::borrow::Cow;
use std::sync::Arc;

use corridor_geo::{Geometry, GeometryKind};
use corridor_state::access::Ended as DomainEnded;
use corridor_statement::access::Window as DomainWindow;
use corridor_statement::timefmt::{format_ms, format_us};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Declares a DTO for a domain enumeration: its JSON is the wire name, its
/// schema the list of every wire name, both taken from the domain type.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident => $domain:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $domain);

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let names = <$domain>::ALL.iter().map(|e| e.as_str());
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::String))
                    .enum_values(Some(names))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                Self(v)
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(StatementType => corridor_statement::StatementType);
wire_enum!(PartyKind => corridor_statement::body::PartyKind);

/// Declares a unit enum whose one value is a fixed JSON string (a GeoJSON
/// `type`, a record's `kind`).
macro_rules! tag {
    ($(#[$doc:meta])* $name:ident = $text:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub enum $name {
            #[default]
            Tag,
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($text)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::String))
                    .enum_values(Some([$text]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}
pub(crate) use tag;

tag!(
    /// `"Feature"`.
    FeatureTag = "Feature"
);
tag!(
    /// `"FeatureCollection"`.
    CollectionTag = "FeatureCollection"
);

/// RFC 3339 UTC with exactly three fractional digits (`sequenced_at`).
pub fn time_ms(us: i64) -> String {
    format_ms(us)
}

/// RFC 3339 UTC with fractional digits only as needed.
pub fn time_us(us: i64) -> String {
    format_us(us)
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A position in the log and its sequencing time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stamp {
    /// The entry's index.
    pub index: u64,
    /// The entry's `sequenced_at`.
    #[schema(format = DateTime)]
    pub at: String,
}

impl From<corridor_state::Stamp> for Stamp {
    fn from(s: corridor_state::Stamp) -> Self {
        Self { index: s.index, at: time_ms(s.at_us) }
    }
}

/// A half-open time window `[from, to)`; `null` ends are open.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Window {
    #[schema(format = DateTime)]
    pub from: Option<String>,
    #[schema(format = DateTime)]
    pub to: Option<String>,
}

impl From<DomainWindow> for Window {
    fn from(w: DomainWindow) -> Self {
        Self { from: w.from_us().map(time_us), to: w.to_us().map(time_us) }
    }
}

/// When and why something stopped applying (withdrawn, cancelled).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ended {
    pub at: Stamp,
    pub reason: Option<String>,
}

impl From<&DomainEnded> for Ended {
    fn from(e: &DomainEnded) -> Self {
        Self { at: e.at.into(), reason: e.reason.clone() }
    }
}

/// A GeoJSON geometry object (RFC 7946), as signed: written from the
/// engine's geometry, or the object as given when that would differ
/// ([`corridor_geo::Geometry::as_given`]).
#[derive(Debug, Clone)]
pub struct GeoJson(pub Arc<Geometry>);

impl From<&Arc<Geometry>> for GeoJson {
    fn from(g: &Arc<Geometry>) -> Self {
        Self(g.clone())
    }
}

/// A coordinate as JSON: whole numbers without a fraction, as GeoJSON
/// writers in other languages write them.
struct Coordinate(f64);

impl Serialize for Coordinate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

struct Positions<'a>(&'a [corridor_geo::Position]);

impl Serialize for Positions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in self.0 {
            seq.serialize_element(&[Coordinate(p.lon), Coordinate(p.lat)])?;
        }
        seq.end()
    }
}

impl Serialize for GeoJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(given) = self.0.as_given() {
            return given.serialize(s);
        }
        let parts = self.0.coordinates();
        let kind = self.0.kind();
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", kind.as_str())?;
        fn rings(part: &[Vec<corridor_geo::Position>]) -> Vec<Positions<'_>> {
            part.iter().map(|r| Positions(r)).collect()
        }
        match kind {
            GeometryKind::Point => {
                let p = parts[0][0][0];
                map.serialize_entry("coordinates", &[Coordinate(p.lon), Coordinate(p.lat)])?;
            }
            GeometryKind::MultiPoint => {
                let points: Vec<_> = parts.iter().map(|part| part[0][0]).collect();
                map.serialize_entry("coordinates", &Positions(&points))?;
            }
            GeometryKind::LineString => map.serialize_entry("coordinates", &Positions(&parts[0][0]))?,
            GeometryKind::MultiLineString => {
                let lines: Vec<_> = parts.iter().map(|part| Positions(&part[0])).collect();
                map.serialize_entry("coordinates", &lines)?;
            }
            GeometryKind::Polygon => map.serialize_entry("coordinates", &rings(&parts[0]))?,
            GeometryKind::MultiPolygon => {
                let polygons: Vec<_> = parts.iter().map(|p| rings(p)).collect();
                map.serialize_entry("coordinates", &polygons)?;
            }
        }
        map.end()
    }
}

impl PartialSchema for GeoJson {
    fn schema() -> RefOr<Schema> {
        let kinds = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];
        ObjectBuilder::new()
            .description(Some("A GeoJSON geometry object (RFC 7946), WGS84 [lon, lat]."))
            .property(
                "type",
                ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(kinds)),
            )
            .property("coordinates", ArrayBuilder::new())
            .required("type")
            .required("coordinates")
            .into()
    }
}

impl ToSchema for GeoJson {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Geometry")
    }
}

/// `{"status": "ok"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}
