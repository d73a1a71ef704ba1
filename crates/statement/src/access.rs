//! Bodies of the access and deconfliction statements (brief §5): zones, sites,
//! movements, operations, agreements.
//!
//! Geometry stays GeoJSON here (what was signed); its validity is checked by
//! [`crate::geometry`], and the fold parses it again for the spatial index.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::body::{
    check_count, check_party, check_text, invalid, typed, MAX_NAME_LEN, MAX_RECIPIENTS, MAX_TEXT_LEN,
};
use crate::error::StatementError;
use crate::geometry::{check_geometry, GeometryKind};
use crate::statement::ObjectRef;
use crate::timefmt::parse_utc_us;

/// Most manifest lines, conditions or terms in one statement.
pub const MAX_ITEMS: usize = 256;
/// Distances beyond this (in metres) are refused: nothing on Earth is farther apart.
pub const MAX_DISTANCE_M: f64 = 20_100_000.0;

/// Time windows are the geometry engine's: half-open `[from, to)` in µs, with
/// PostgreSQL `tstzrange` overlap.
pub use corridor_geo::Window;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    from: String,
    #[serde(default)]
    to: Option<String>,
}

/// Parses a window `{"from": time, "to"?: time}`; `to`, when given, must be
/// after `from` (an empty window would overlap nothing).
pub fn parse_window(field: &str, v: &Value) -> Result<Window, StatementError> {
    let raw: RawWindow = serde_json::from_value(v.clone())
        .map_err(|e| invalid(format!("{field}: {e} (a window is {{\"from\": time, \"to\"?: time}})")))?;
    let time = |t: &str| {
        parse_utc_us(t).ok_or_else(|| invalid(format!("{field}: {t:?} is not an RFC 3339 UTC time")))
    };
    let from_us = time(&raw.from)?;
    let to_us = raw.to.as_deref().map(time).transpose()?;
    if to_us.is_some_and(|to| to <= from_us) {
        return Err(invalid(format!("{field}: to must be after from")));
    }
    Window::new(Some(from_us), to_us).map_err(|e| invalid(format!("{field}: {e}")))
}

fn check_distance(field: &str, d: f64) -> Result<(), StatementError> {
    if !d.is_finite() || !(0.0..=MAX_DISTANCE_M).contains(&d) {
        return Err(invalid(format!("{field} must be between 0 and {MAX_DISTANCE_M} metres")));
    }
    Ok(())
}

fn check_ref(field: &str, r: &str) -> Result<ObjectRef, StatementError> {
    ObjectRef::parse(r).ok_or_else(|| invalid(format!("{field} {r:?} is not issuer/id")))
}

fn check_texts(field: &str, items: &[String]) -> Result<(), StatementError> {
    check_count(field, items.len(), 0, MAX_ITEMS)?;
    items.iter().try_for_each(|t| check_text(field, t, MAX_TEXT_LEN, true))
}

fn check_parties(field: &str, parties: &[String], min: usize) -> Result<(), StatementError> {
    check_count(field, parties.len(), min, MAX_RECIPIENTS)?;
    parties.iter().try_for_each(|p| check_party(field, p))
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneDeclare {
    pub name: String,
    pub geometry: Value,
    pub window: Value,
}

/// `zone.withdraw`, `site.withdraw`, `operation.withdraw`: the object and a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdraw {
    pub target: ObjectRef,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteCategory {
    Hospital,
    Clinic,
    School,
    Bakery,
    DistributionPoint,
    Camp,
    Warehouse,
    Office,
    Residence,
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteNotify {
    pub name: String,
    pub category: SiteCategory,
    pub geometry: Value,
    pub buffer_m: f64,
    pub window: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    AidDelivery,
    Evacuation,
    Relocation,
    Medical,
    Assessment,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLine {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
}

/// The fields of a movement request; `movement.amend` replaces any of them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MovementPlan {
    pub purpose: Purpose,
    pub route: Value,
    pub corridor_m: f64,
    pub window: Value,
    pub origin: String,
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_site: Option<String>,
    #[serde(default)]
    pub vehicles: u64,
    #[serde(default)]
    pub people: u64,
    #[serde(default)]
    pub escort_from: Vec<String>,
    #[serde(default)]
    pub manifest: Vec<ManifestLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementAmend {
    pub movement: ObjectRef,
    /// The amended fields, as given; merged over the current plan by the fold.
    pub changes: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementCancel {
    pub movement: ObjectRef,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Deny,
    ApproveWithConditions,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementRespond {
    pub movement: ObjectRef,
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    Departed,
    Position,
    Checkpoint,
    Arrived,
    Aborted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementUpdate {
    pub movement: ObjectRef,
    pub status: UpdateStatus,
    pub geometry: Option<Value>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationNotify {
    pub name: String,
    pub geometry: Value,
    pub window: Value,
    pub standoff_m: f64,
    #[serde(default)]
    pub notified: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    Ceasefire,
    HumanitarianPause,
    Corridor,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgreedCorridor {
    pub name: String,
    pub route: Value,
    pub corridor_m: f64,
    pub window: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementDeclare {
    pub name: String,
    pub kind: AgreementKind,
    pub parties: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Value>,
    pub window: Value,
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub corridors: Vec<AgreedCorridor>,
}

pub(crate) fn parse_zone(body: Value) -> Result<ZoneDeclare, StatementError> {
    let b: ZoneDeclare = typed(body)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_geometry("geometry", &b.geometry, &[GeometryKind::Polygon, GeometryKind::MultiPolygon])?;
    parse_window("window", &b.window)?;
    Ok(b)
}

pub(crate) fn parse_withdraw(body: Value, field: &'static str) -> Result<Withdraw, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        zone: Option<String>,
        site: Option<String>,
        operation: Option<String>,
        reason: Option<String>,
    }
    let raw: Raw = typed(body)?;
    let target = match field {
        "zone" => raw.zone,
        "site" => raw.site,
        _ => raw.operation,
    };
    let target = target.ok_or_else(|| invalid(format!("{field} is required")))?;
    if let Some(r) = &raw.reason {
        check_text("reason", r, MAX_TEXT_LEN, false)?;
    }
    Ok(Withdraw { target: check_ref(field, &target)?, reason: raw.reason })
}

pub(crate) fn parse_site(body: Value) -> Result<SiteNotify, StatementError> {
    let b: SiteNotify = typed(body)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_geometry("geometry", &b.geometry, &[GeometryKind::Point, GeometryKind::Polygon])?;
    check_distance("buffer_m", b.buffer_m)?;
    parse_window("window", &b.window)?;
    if let Some(op) = &b.operator {
        check_party("operator", op)?;
    }
    Ok(b)
}

/// Validates a full movement plan (request, or the result of an amendment).
pub fn check_plan(p: &MovementPlan) -> Result<(), StatementError> {
    check_geometry("route", &p.route, &[GeometryKind::LineString])?;
    check_distance("corridor_m", p.corridor_m)?;
    parse_window("window", &p.window)?;
    check_text("origin", &p.origin, MAX_NAME_LEN, true)?;
    check_text("destination", &p.destination, MAX_NAME_LEN, true)?;
    for (field, site) in [("origin_site", &p.origin_site), ("destination_site", &p.destination_site)] {
        if let Some(s) = site {
            check_ref(field, s)?;
        }
    }
    check_parties("escort_from", &p.escort_from, 0)?;
    check_count("manifest", p.manifest.len(), 0, MAX_ITEMS)?;
    for line in &p.manifest {
        check_text("manifest item", &line.item, MAX_NAME_LEN, true)?;
        check_text("manifest unit", &line.unit, MAX_NAME_LEN, true)?;
        let weight_ok = line.weight_kg.is_none_or(|w| w.is_finite() && w >= 0.0);
        if !line.quantity.is_finite() || line.quantity < 0.0 || !weight_ok {
            return Err(invalid("manifest quantities and weights are non-negative numbers"));
        }
    }
    if let Some(c) = &p.consignment {
        check_text("consignment", c, MAX_NAME_LEN, true)?;
    }
    Ok(())
}

pub(crate) fn parse_plan(body: Value) -> Result<MovementPlan, StatementError> {
    let plan: MovementPlan = typed(body)?;
    check_plan(&plan)?;
    Ok(plan)
}

/// The fields `movement.amend` may replace.
pub const PLAN_FIELDS: &[&str] = &[
    "purpose",
    "route",
    "corridor_m",
    "window",
    "origin",
    "destination",
    "origin_site",
    "destination_site",
    "vehicles",
    "people",
    "escort_from",
    "manifest",
    "consignment",
];

pub(crate) fn parse_amend(body: Value) -> Result<MovementAmend, StatementError> {
    let Value::Object(mut map) = body else { return Err(invalid("body must be an object")) };
    let movement = map.remove("movement").and_then(|v| v.as_str().map(str::to_owned));
    let movement = check_ref("movement", &movement.ok_or_else(|| invalid("movement is required"))?)?;
    if map.is_empty() {
        return Err(invalid("an amendment changes at least one field"));
    }
    if let Some(k) = map.keys().find(|k| !PLAN_FIELDS.contains(&k.as_str())) {
        return Err(invalid(format!("{k} is not a field of a movement request")));
    }
    Ok(MovementAmend { movement, changes: map })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMovementAction {
    movement: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    decision: Option<Decision>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    status: Option<UpdateStatus>,
    #[serde(default)]
    geometry: Option<Value>,
    #[serde(default)]
    note: Option<String>,
}

fn raw_action(body: Value, allowed: &[&str]) -> Result<RawMovementAction, StatementError> {
    if let Some(k) = body.as_object().and_then(|m| m.keys().find(|k| !allowed.contains(&k.as_str())).cloned())
    {
        return Err(invalid(format!("unknown field {k}")));
    }
    let raw: RawMovementAction = typed(body)?;
    for t in raw.reason.iter().chain(raw.note.iter()) {
        check_text("reason/note", t, MAX_TEXT_LEN, false)?;
    }
    check_texts("conditions", &raw.conditions)?;
    Ok(raw)
}

pub(crate) fn parse_cancel(body: Value) -> Result<MovementCancel, StatementError> {
    let raw = raw_action(body, &["movement", "reason"])?;
    let reason = raw.reason.ok_or_else(|| invalid("reason is required"))?;
    Ok(MovementCancel { movement: check_ref("movement", &raw.movement)?, reason })
}

pub(crate) fn parse_respond(body: Value) -> Result<MovementRespond, StatementError> {
    let raw = raw_action(body, &["movement", "decision", "conditions", "reason"])?;
    let decision = raw.decision.ok_or_else(|| invalid("decision is required"))?;
    if decision == Decision::ApproveWithConditions && raw.conditions.is_empty() {
        return Err(invalid("approve_with_conditions needs at least one condition"));
    }
    if decision != Decision::ApproveWithConditions && !raw.conditions.is_empty() {
        return Err(invalid("conditions go with approve_with_conditions"));
    }
    Ok(MovementRespond {
        movement: check_ref("movement", &raw.movement)?,
        decision,
        conditions: raw.conditions,
        reason: raw.reason,
    })
}

pub(crate) fn parse_update(body: Value) -> Result<MovementUpdate, StatementError> {
    let raw = raw_action(body, &["movement", "status", "geometry", "note"])?;
    let status = raw.status.ok_or_else(|| invalid("status is required"))?;
    if let Some(g) = &raw.geometry {
        check_geometry("geometry", g, &[GeometryKind::Point])?;
    }
    Ok(MovementUpdate {
        movement: check_ref("movement", &raw.movement)?,
        status,
        geometry: raw.geometry,
        note: raw.note,
    })
}

pub(crate) fn parse_operation(body: Value) -> Result<OperationNotify, StatementError> {
    let b: OperationNotify = typed(body)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_geometry("geometry", &b.geometry, &[GeometryKind::Polygon, GeometryKind::MultiPolygon])?;
    parse_window("window", &b.window)?;
    check_distance("standoff_m", b.standoff_m)?;
    check_parties("notified", &b.notified, 0)?;
    Ok(b)
}

pub(crate) fn parse_agreement(body: Value) -> Result<AgreementDeclare, StatementError> {
    let b: AgreementDeclare = typed(body)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_parties("parties", &b.parties, 1)?;
    if let Some(g) = &b.geometry {
        check_geometry("geometry", g, &[GeometryKind::Polygon, GeometryKind::MultiPolygon])?;
    }
    parse_window("window", &b.window)?;
    check_texts("terms", &b.terms)?;
    check_count("corridors", b.corridors.len(), 0, MAX_ITEMS)?;
    for c in &b.corridors {
        check_text("corridor name", &c.name, MAX_NAME_LEN, true)?;
        check_geometry("corridor route", &c.route, &[GeometryKind::LineString])?;
        check_distance("corridor_m", c.corridor_m)?;
        parse_window("corridor window", &c.window)?;
    }
    Ok(b)
}

pub(crate) fn parse_accede(body: Value) -> Result<ObjectRef, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        agreement: String,
    }
    let raw: Raw = typed(body)?;
    check_ref("agreement", &raw.agreement)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows_parse_and_refuse_bad_ends() {
        let w = parse_window("w", &json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}))
            .expect("valid");
        assert_eq!(w.to_us().zip(w.from_us()).map(|(t, f)| t - f), Some(86_400_000_000));
        assert!(parse_window("w", &json!({"from": "2026-01-01T00:00:00Z"})).expect("open").to_us().is_none());
        for bad in [
            json!({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
            json!({"from": "2026-01-02T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
            json!({"to": "2026-01-02T00:00:00Z"}),
            json!({"from": "yesterday"}),
        ] {
            assert!(parse_window("w", &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn respond_requires_conditions_only_with_conditional_approval() {
        let ok =
            json!({"movement": "aid/m1", "decision": "approve_with_conditions", "conditions": ["escort"]});
        assert!(parse_respond(ok).is_ok());
        assert!(parse_respond(json!({"movement": "aid/m1", "decision": "approve_with_conditions"})).is_err());
        assert!(
            parse_respond(json!({"movement": "aid/m1", "decision": "approve", "conditions": ["x"]})).is_err()
        );
        assert!(parse_respond(json!({"movement": "aid/m1", "decision": "maybe"})).is_err());
    }

    #[test]
    fn amend_accepts_only_plan_fields() {
        assert!(parse_amend(json!({"movement": "aid/m1", "corridor_m": 800})).is_ok());
        assert!(parse_amend(json!({"movement": "aid/m1"})).is_err());
        assert!(parse_amend(json!({"movement": "aid/m1", "status": "x"})).is_err());
    }
}
