//! Bodies of the access and deconfliction statements (brief §5): zones, sites,
//! movements, operations, agreements.
//!
//! Geometry is parsed here, once, into the engine's [`Geometry`] (shared by
//! `Arc`, so that the fold's records and its index hold one copy), and time
//! windows into [`Window`].

use std::sync::Arc;

use corridor_geo::Geometry;
use serde::Deserialize;
use serde_json::Value;

use crate::body::{
    check_count, check_party, check_quantity, check_text, invalid, no_repeats, parse_ref, present, senseless,
    typed, wire_enum, Ctx, MAX_NAME_LEN, MAX_RECIPIENTS, MAX_TEXT_LEN,
};
use crate::error::StatementError;
use crate::geometry::{parse_geometry, GeometryKind};
use crate::statement::{read_time, ObjectRef, Reading};

/// Most manifest lines, conditions or terms in one statement.
pub const MAX_ITEMS: usize = 256;
/// Distances beyond this (in metres) are refused: nothing on Earth is farther apart.
pub const MAX_DISTANCE_M: f64 = 20_100_000.0;

/// Time windows are the geometry engine's: half-open `[from, to)` in µs, with
/// PostgreSQL `tstzrange` overlap.
pub use corridor_geo::Window;

const AREAS: &[GeometryKind] = &[GeometryKind::Polygon, GeometryKind::MultiPolygon];
const ROUTES: &[GeometryKind] = &[GeometryKind::LineString];
const POINTS: &[GeometryKind] = &[GeometryKind::Point];

/// A window as JSON: `{"from": time, "to"?: time}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    from: String,
    #[serde(default)]
    to: Option<String>,
}

impl RawWindow {
    /// The window; `to`, when given, must be after `from` (an empty window
    /// would overlap nothing).
    pub(crate) fn parse(&self, field: &str, ctx: &Ctx<'_>) -> Result<Window, StatementError> {
        let time = |t: &str| read_time(field, t, ctx.reading);
        let from_us = time(&self.from)?;
        let to_us = self.to.as_deref().map(time).transpose()?;
        if to_us.is_some_and(|to| to <= from_us) {
            return Err(invalid(format!("{field}: to must be after from")));
        }
        Window::new(Some(from_us), to_us).map_err(|e| invalid(format!("{field}: {e}")))
    }
}

/// Parses a window from JSON text `{"from": time, "to"?: time}`, read as
/// `reading` says.
pub fn parse_window(field: &str, text: &str, reading: Reading) -> Result<Window, StatementError> {
    let raw: RawWindow = serde_json::from_str(text)
        .map_err(|e| invalid(format!("{field}: {e} (a window is {{\"from\": time, \"to\"?: time}})")))?;
    raw.parse(field, &Ctx { reading, issuer: "" })
}

pub(crate) fn check_distance(field: &str, d: f64) -> Result<(), StatementError> {
    if !d.is_finite() || !(0.0..=MAX_DISTANCE_M).contains(&d) {
        return Err(invalid(format!("{field} must be between 0 and {MAX_DISTANCE_M} metres")));
    }
    Ok(())
}

fn check_texts(field: &str, items: &[String]) -> Result<(), StatementError> {
    check_count(field, items.len(), 0, MAX_ITEMS)?;
    items.iter().try_for_each(|t| check_text(field, t, MAX_TEXT_LEN, true))
}

fn check_parties(field: &str, parties: &[String], min: usize) -> Result<(), StatementError> {
    check_count(field, parties.len(), min, MAX_RECIPIENTS)?;
    parties.iter().try_for_each(|p| check_party(field, p))
}

fn opt_ref(field: &str, r: Option<String>) -> Result<Option<ObjectRef>, StatementError> {
    r.map(|r| parse_ref(field, &r)).transpose()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZoneDeclare {
    pub name: String,
    /// Polygon or MultiPolygon.
    pub geometry: Arc<Geometry>,
    pub window: Window,
}

/// `zone.withdraw`, `site.withdraw`, `operation.withdraw`: the object and a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdraw {
    pub target: ObjectRef,
    pub reason: Option<String>,
}

wire_enum!(SiteCategory {
    Hospital => "hospital",
    Clinic => "clinic",
    School => "school",
    Bakery => "bakery",
    DistributionPoint => "distribution_point",
    Camp => "camp",
    Warehouse => "warehouse",
    Office => "office",
    Residence => "residence",
    Other => "other",
});

#[derive(Debug, Clone, PartialEq)]
pub struct SiteNotify {
    pub name: String,
    pub category: SiteCategory,
    /// Point or Polygon.
    pub geometry: Arc<Geometry>,
    pub buffer_m: f64,
    pub window: Window,
    pub operator: Option<String>,
    pub people: Option<u64>,
}

wire_enum!(Purpose {
    AidDelivery => "aid_delivery",
    Evacuation => "evacuation",
    Relocation => "relocation",
    Medical => "medical",
    Assessment => "assessment",
});

#[derive(Debug, Clone, PartialEq, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLine {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
    #[serde(default)]
    pub weight_kg: Option<f64>,
}

/// Manifest lines: quantities and weights are non-negative numbers; in a
/// submission, a line carries something (see [`check_quantity`]) and names
/// an item and unit not named by another line (`repeated_item`).
fn check_manifest(manifest: &[ManifestLine], ctx: &Ctx<'_>) -> Result<(), StatementError> {
    check_count("manifest", manifest.len(), 0, MAX_ITEMS)?;
    for line in manifest {
        check_text("manifest item", &line.item, MAX_NAME_LEN, true)?;
        check_text("manifest unit", &line.unit, MAX_NAME_LEN, true)?;
        if !line.weight_kg.is_none_or(|w| w.is_finite() && w >= 0.0) {
            return Err(invalid("manifest quantities and weights are non-negative numbers"));
        }
        check_quantity("manifest", line.quantity, ctx)?;
    }
    let lines: Vec<_> = manifest.iter().map(|l| (&l.item, &l.unit)).collect();
    no_repeats(ctx, "manifest", &lines)
}

/// Escorts: no party twice and, in a submission, not the requester itself.
fn check_escorts(escort_from: &[String], ctx: &Ctx<'_>) -> Result<(), StatementError> {
    no_repeats(ctx, "escort_from", escort_from)?;
    if ctx.strict() && escort_from.iter().any(|p| p == ctx.issuer) {
        return Err(senseless("own_movement", format!("{} cannot escort its own movement", ctx.issuer)));
    }
    Ok(())
}

/// The fields of a movement request; `movement.amend` replaces any of them.
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct MovementPlan {
    pub purpose: Purpose,
    /// A LineString.
    pub route: Arc<Geometry>,
    /// Half-width of the corridor around the route.
    pub corridor_m: f64,
    pub window: Window,
    pub origin: String,
    pub destination: String,
    pub origin_site: Option<ObjectRef>,
    pub destination_site: Option<ObjectRef>,
    pub vehicles: u64,
    pub people: u64,
    pub escort_from: Vec<String>,
    pub manifest: Vec<ManifestLine>,
    pub consignment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    purpose: Purpose,
    route: Value,
    corridor_m: f64,
    window: RawWindow,
    origin: String,
    destination: String,
    #[serde(default)]
    origin_site: Option<String>,
    #[serde(default)]
    destination_site: Option<String>,
    #[serde(default)]
    vehicles: u64,
    #[serde(default)]
    people: u64,
    #[serde(default)]
    escort_from: Vec<String>,
    #[serde(default)]
    manifest: Vec<ManifestLine>,
    #[serde(default)]
    consignment: Option<String>,
}

fn check_consignment(c: &Option<String>) -> Result<(), StatementError> {
    c.as_ref().map_or(Ok(()), |c| check_text("consignment", c, MAX_NAME_LEN, true))
}

pub(crate) fn parse_plan(text: &str, ctx: &Ctx<'_>) -> Result<MovementPlan, StatementError> {
    let p: RawPlan = typed(text)?;
    let route = parse_geometry("route", &p.route, ROUTES, ctx.reading)?;
    check_distance("corridor_m", p.corridor_m)?;
    let window = p.window.parse("window", ctx)?;
    check_text("origin", &p.origin, MAX_NAME_LEN, true)?;
    check_text("destination", &p.destination, MAX_NAME_LEN, true)?;
    let origin_site = opt_ref("origin_site", p.origin_site)?;
    let destination_site = opt_ref("destination_site", p.destination_site)?;
    check_parties("escort_from", &p.escort_from, 0)?;
    check_escorts(&p.escort_from, ctx)?;
    check_manifest(&p.manifest, ctx)?;
    check_consignment(&p.consignment)?;
    Ok(MovementPlan {
        purpose: p.purpose,
        route,
        corridor_m: p.corridor_m,
        window,
        origin: p.origin,
        destination: p.destination,
        origin_site,
        destination_site,
        vehicles: p.vehicles,
        people: p.people,
        escort_from: p.escort_from,
        manifest: p.manifest,
        consignment: p.consignment,
    })
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

/// What an amendment replaces: `None` leaves a field as it is. Optional
/// fields may be cleared (`Some(None)`, written as `null`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanChanges {
    pub purpose: Option<Purpose>,
    pub route: Option<Arc<Geometry>>,
    pub corridor_m: Option<f64>,
    pub window: Option<Window>,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub origin_site: Option<Option<ObjectRef>>,
    pub destination_site: Option<Option<ObjectRef>>,
    pub vehicles: Option<u64>,
    pub people: Option<u64>,
    pub escort_from: Option<Vec<String>>,
    pub manifest: Option<Vec<ManifestLine>>,
    pub consignment: Option<Option<String>>,
}

impl PlanChanges {
    /// The plan with these changes made.
    pub fn apply_to(&self, plan: &MovementPlan) -> MovementPlan {
        fn pick<T: Clone>(change: &Option<T>, current: &T) -> T {
            change.as_ref().unwrap_or(current).clone()
        }
        MovementPlan {
            purpose: pick(&self.purpose, &plan.purpose),
            route: pick(&self.route, &plan.route),
            corridor_m: pick(&self.corridor_m, &plan.corridor_m),
            window: pick(&self.window, &plan.window),
            origin: pick(&self.origin, &plan.origin),
            destination: pick(&self.destination, &plan.destination),
            origin_site: pick(&self.origin_site, &plan.origin_site),
            destination_site: pick(&self.destination_site, &plan.destination_site),
            vehicles: pick(&self.vehicles, &plan.vehicles),
            people: pick(&self.people, &plan.people),
            escort_from: pick(&self.escort_from, &plan.escort_from),
            manifest: pick(&self.manifest, &plan.manifest),
            consignment: pick(&self.consignment, &plan.consignment),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementAmend {
    pub movement: ObjectRef,
    pub changes: PlanChanges,
}

/// Every field is `Some` when present in the JSON (`Some(None)` for `null`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmend {
    #[serde(default, deserialize_with = "present")]
    movement: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    purpose: Option<Option<Purpose>>,
    #[serde(default, deserialize_with = "present")]
    route: Option<Option<Value>>,
    #[serde(default, deserialize_with = "present")]
    corridor_m: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    window: Option<Option<RawWindow>>,
    #[serde(default, deserialize_with = "present")]
    origin: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    destination: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    origin_site: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    destination_site: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    vehicles: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    people: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    escort_from: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    manifest: Option<Option<Vec<ManifestLine>>>,
    #[serde(default, deserialize_with = "present")]
    consignment: Option<Option<String>>,
}

/// A field that, when given, must not be `null`.
fn given<T>(field: &str, v: Option<Option<T>>) -> Result<Option<T>, StatementError> {
    match v {
        Some(None) => Err(invalid(format!("{field} cannot be null"))),
        Some(Some(v)) => Ok(Some(v)),
        None => Ok(None),
    }
}

pub(crate) fn parse_amend(text: &str, ctx: &Ctx<'_>) -> Result<MovementAmend, StatementError> {
    let a: RawAmend = typed(text)?;
    let movement = given("movement", a.movement)?.ok_or_else(|| invalid("movement is required"))?;
    let movement = parse_ref("movement", &movement)?;
    let route =
        given("route", a.route)?.map(|r| parse_geometry("route", &r, ROUTES, ctx.reading)).transpose()?;
    let corridor_m = given("corridor_m", a.corridor_m)?;
    corridor_m.map_or(Ok(()), |d| check_distance("corridor_m", d))?;
    let window = given("window", a.window)?.map(|w| w.parse("window", ctx)).transpose()?;
    let origin = given("origin", a.origin)?;
    let destination = given("destination", a.destination)?;
    for (field, text) in [("origin", &origin), ("destination", &destination)] {
        text.as_ref().map_or(Ok(()), |t| check_text(field, t, MAX_NAME_LEN, true))?;
    }
    let site = |field: &str, v: Option<Option<String>>| v.map(|s| opt_ref(field, s)).transpose();
    let escort_from = given("escort_from", a.escort_from)?;
    escort_from.as_ref().map_or(Ok(()), |p| check_parties("escort_from", p, 0))?;
    escort_from.as_ref().map_or(Ok(()), |p| check_escorts(p, ctx))?;
    let manifest = given("manifest", a.manifest)?;
    manifest.as_ref().map_or(Ok(()), |m| check_manifest(m, ctx))?;
    if let Some(c) = &a.consignment {
        check_consignment(c)?;
    }
    let changes = PlanChanges {
        purpose: given("purpose", a.purpose)?,
        route,
        corridor_m,
        window,
        origin,
        destination,
        origin_site: site("origin_site", a.origin_site)?,
        destination_site: site("destination_site", a.destination_site)?,
        vehicles: given("vehicles", a.vehicles)?,
        people: given("people", a.people)?,
        escort_from,
        manifest,
        consignment: a.consignment,
    };
    if changes == PlanChanges::default() {
        return Err(invalid("an amendment changes at least one field"));
    }
    Ok(MovementAmend { movement, changes })
}

#[derive(Debug, Clone, PartialEq)]
pub struct MovementCancel {
    pub movement: ObjectRef,
    pub reason: String,
}

wire_enum!(Decision {
    Approve => "approve",
    Deny => "deny",
    ApproveWithConditions => "approve_with_conditions",
});

#[derive(Debug, Clone, PartialEq)]
pub struct MovementRespond {
    pub movement: ObjectRef,
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub reason: Option<String>,
}

wire_enum!(UpdateStatus {
    Departed => "departed",
    Position => "position",
    Checkpoint => "checkpoint",
    Arrived => "arrived",
    Aborted => "aborted",
});

#[derive(Debug, Clone, PartialEq)]
pub struct MovementUpdate {
    pub movement: ObjectRef,
    pub status: UpdateStatus,
    /// A Point.
    pub geometry: Option<Arc<Geometry>>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationNotify {
    pub name: String,
    /// Polygon or MultiPolygon.
    pub geometry: Arc<Geometry>,
    pub window: Window,
    pub standoff_m: f64,
    pub notified: Vec<String>,
}

wire_enum!(AgreementKind {
    Ceasefire => "ceasefire",
    HumanitarianPause => "humanitarian_pause",
    Corridor => "corridor",
});

#[derive(Debug, Clone, PartialEq)]
pub struct AgreedCorridor {
    pub name: String,
    /// A LineString.
    pub route: Arc<Geometry>,
    pub corridor_m: f64,
    pub window: Window,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgreementDeclare {
    pub name: String,
    pub kind: AgreementKind,
    pub parties: Vec<String>,
    /// The area (Polygon or MultiPolygon); everywhere when absent.
    pub geometry: Option<Arc<Geometry>>,
    pub window: Window,
    pub terms: Vec<String>,
    pub corridors: Vec<AgreedCorridor>,
}

pub(crate) fn parse_zone(text: &str, ctx: &Ctx<'_>) -> Result<ZoneDeclare, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: String,
        geometry: Value,
        window: RawWindow,
    }
    let b: Raw = typed(text)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    let geometry = parse_geometry("geometry", &b.geometry, AREAS, ctx.reading)?;
    Ok(ZoneDeclare { name: b.name, geometry, window: b.window.parse("window", ctx)? })
}

pub(crate) fn parse_withdraw(text: &str, field: &'static str) -> Result<Withdraw, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        zone: Option<String>,
        site: Option<String>,
        operation: Option<String>,
        reason: Option<String>,
    }
    let raw: Raw = typed(text)?;
    let target = match field {
        "zone" => raw.zone,
        "site" => raw.site,
        _ => raw.operation,
    };
    let target = target.ok_or_else(|| invalid(format!("{field} is required")))?;
    if let Some(r) = &raw.reason {
        check_text("reason", r, MAX_TEXT_LEN, false)?;
    }
    Ok(Withdraw { target: parse_ref(field, &target)?, reason: raw.reason })
}

pub(crate) fn parse_site(text: &str, ctx: &Ctx<'_>) -> Result<SiteNotify, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: String,
        category: SiteCategory,
        geometry: Value,
        buffer_m: f64,
        window: RawWindow,
        #[serde(default)]
        operator: Option<String>,
        #[serde(default)]
        people: Option<u64>,
    }
    let b: Raw = typed(text)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    let geometry =
        parse_geometry("geometry", &b.geometry, &[GeometryKind::Point, GeometryKind::Polygon], ctx.reading)?;
    check_distance("buffer_m", b.buffer_m)?;
    let window = b.window.parse("window", ctx)?;
    if let Some(op) = &b.operator {
        check_party("operator", op)?;
    }
    Ok(SiteNotify {
        name: b.name,
        category: b.category,
        geometry,
        buffer_m: b.buffer_m,
        window,
        operator: b.operator,
        people: b.people,
    })
}

fn check_reason(field: &str, text: &Option<String>) -> Result<(), StatementError> {
    text.as_ref().map_or(Ok(()), |t| check_text(field, t, MAX_TEXT_LEN, false))
}

pub(crate) fn parse_cancel(text: &str) -> Result<MovementCancel, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        movement: String,
        #[serde(default)]
        reason: Option<String>,
    }
    let raw: Raw = typed(text)?;
    check_reason("reason", &raw.reason)?;
    let reason = raw.reason.ok_or_else(|| invalid("reason is required"))?;
    Ok(MovementCancel { movement: parse_ref("movement", &raw.movement)?, reason })
}

pub(crate) fn parse_respond(text: &str, ctx: &Ctx<'_>) -> Result<MovementRespond, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        movement: String,
        #[serde(default)]
        decision: Option<Decision>,
        #[serde(default)]
        conditions: Vec<String>,
        #[serde(default)]
        reason: Option<String>,
    }
    let raw: Raw = typed(text)?;
    check_reason("reason", &raw.reason)?;
    check_texts("conditions", &raw.conditions)?;
    no_repeats(ctx, "conditions", &raw.conditions)?;
    let decision = raw.decision.ok_or_else(|| invalid("decision is required"))?;
    if decision == Decision::ApproveWithConditions && raw.conditions.is_empty() {
        return Err(invalid("approve_with_conditions needs at least one condition"));
    }
    if decision != Decision::ApproveWithConditions && !raw.conditions.is_empty() {
        return Err(invalid("conditions go with approve_with_conditions"));
    }
    Ok(MovementRespond {
        movement: parse_ref("movement", &raw.movement)?,
        decision,
        conditions: raw.conditions,
        reason: raw.reason,
    })
}

pub(crate) fn parse_update(text: &str, ctx: &Ctx<'_>) -> Result<MovementUpdate, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        movement: String,
        #[serde(default)]
        status: Option<UpdateStatus>,
        #[serde(default)]
        geometry: Option<Value>,
        #[serde(default)]
        note: Option<String>,
    }
    let raw: Raw = typed(text)?;
    check_reason("note", &raw.note)?;
    let status = raw.status.ok_or_else(|| invalid("status is required"))?;
    let geometry = raw.geometry.map(|g| parse_geometry("geometry", &g, POINTS, ctx.reading)).transpose()?;
    Ok(MovementUpdate { movement: parse_ref("movement", &raw.movement)?, status, geometry, note: raw.note })
}

pub(crate) fn parse_operation(text: &str, ctx: &Ctx<'_>) -> Result<OperationNotify, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: String,
        geometry: Value,
        window: RawWindow,
        standoff_m: f64,
        #[serde(default)]
        notified: Vec<String>,
    }
    let b: Raw = typed(text)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    let geometry = parse_geometry("geometry", &b.geometry, AREAS, ctx.reading)?;
    let window = b.window.parse("window", ctx)?;
    check_distance("standoff_m", b.standoff_m)?;
    check_parties("notified", &b.notified, 0)?;
    no_repeats(ctx, "notified", &b.notified)?;
    Ok(OperationNotify { name: b.name, geometry, window, standoff_m: b.standoff_m, notified: b.notified })
}

pub(crate) fn parse_agreement(text: &str, ctx: &Ctx<'_>) -> Result<AgreementDeclare, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawCorridor {
        name: String,
        route: Value,
        corridor_m: f64,
        window: RawWindow,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: String,
        kind: AgreementKind,
        parties: Vec<String>,
        #[serde(default)]
        geometry: Option<Value>,
        window: RawWindow,
        #[serde(default)]
        terms: Vec<String>,
        #[serde(default)]
        corridors: Vec<RawCorridor>,
    }
    let b: Raw = typed(text)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_parties("parties", &b.parties, 1)?;
    no_repeats(ctx, "parties", &b.parties)?;
    let names: Vec<&str> = b.corridors.iter().map(|c| c.name.as_str()).collect();
    no_repeats(ctx, "corridor names", &names)?;
    let geometry = b.geometry.map(|g| parse_geometry("geometry", &g, AREAS, ctx.reading)).transpose()?;
    let window = b.window.parse("window", ctx)?;
    check_texts("terms", &b.terms)?;
    check_count("corridors", b.corridors.len(), 0, MAX_ITEMS)?;
    let mut corridors = Vec::with_capacity(b.corridors.len());
    for c in b.corridors {
        check_text("corridor name", &c.name, MAX_NAME_LEN, true)?;
        let route = parse_geometry("corridor route", &c.route, ROUTES, ctx.reading)?;
        check_distance("corridor_m", c.corridor_m)?;
        let window = c.window.parse("corridor window", ctx)?;
        corridors.push(AgreedCorridor { name: c.name, route, corridor_m: c.corridor_m, window });
    }
    Ok(AgreementDeclare {
        name: b.name,
        kind: b.kind,
        parties: b.parties,
        geometry,
        window,
        terms: b.terms,
        corridors,
    })
}

pub(crate) fn parse_accede(text: &str) -> Result<ObjectRef, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        agreement: String,
    }
    let raw: Raw = typed(text)?;
    parse_ref("agreement", &raw.agreement)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUBMITTED: Ctx<'static> = Ctx { reading: Reading::Submission, issuer: "aid" };

    fn window(v: Value) -> Result<Window, StatementError> {
        parse_window("w", &v.to_string(), Reading::Submission)
    }

    #[test]
    fn windows_parse_and_refuse_bad_ends() {
        let w = window(json!({"from": "2026-01-01T00:00:00.000Z", "to": "2026-01-02T00:00:00.000Z"}))
            .expect("valid");
        assert_eq!(w.to_us().zip(w.from_us()).map(|(t, f)| t - f), Some(86_400_000_000));
        assert!(window(json!({"from": "2026-01-01T00:00:00.000Z"})).expect("open").to_us().is_none());
        for bad in [
            json!({"from": "2026-01-02T00:00:00.000Z", "to": "2026-01-01T00:00:00.000Z"}),
            json!({"from": "2026-01-02T00:00:00.000Z", "to": "2026-01-02T00:00:00.000Z"}),
            json!({"to": "2026-01-02T00:00:00.000Z"}),
            json!({"from": "yesterday"}),
        ] {
            assert!(window(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn respond_requires_conditions_only_with_conditional_approval() {
        let respond = |v: Value| parse_respond(&v.to_string(), &SUBMITTED);
        let ok =
            json!({"movement": "aid/m1", "decision": "approve_with_conditions", "conditions": ["escort"]});
        assert!(respond(ok).is_ok());
        assert!(respond(json!({"movement": "aid/m1", "decision": "approve_with_conditions"})).is_err());
        assert!(respond(json!({"movement": "aid/m1", "decision": "approve", "conditions": ["x"]})).is_err());
        assert!(respond(json!({"movement": "aid/m1", "decision": "maybe"})).is_err());
    }

    #[test]
    fn amend_accepts_only_plan_fields() {
        let amend = |v: Value| parse_amend(&v.to_string(), &SUBMITTED);
        assert!(amend(json!({"movement": "aid/m1", "corridor_m": 800})).is_ok());
        assert!(amend(json!({"movement": "aid/m1"})).is_err());
        assert!(amend(json!({"movement": "aid/m1", "status": "x"})).is_err());
    }

    #[test]
    fn amend_distinguishes_clearing_from_leaving_and_refuses_null_where_a_value_is_required() {
        let amend = |v: Value| parse_amend(&v.to_string(), &SUBMITTED);
        let cleared = amend(json!({"movement": "aid/m1", "origin_site": null})).expect("clears");
        assert_eq!(cleared.changes.origin_site, Some(None));
        assert_eq!(cleared.changes.destination_site, None);
        for field in ["vehicles", "route", "window", "escort_from", "purpose"] {
            let err = amend(json!({"movement": "aid/m1", field: null})).unwrap_err();
            assert_eq!(err.code(), "invalid_body", "{field}");
        }
        let bad_route = json!({"movement": "aid/m1", "route": {"type": "Point", "coordinates": [36, 33]}});
        assert_eq!(amend(bad_route).unwrap_err().code(), "wrong_geometry_type");
    }

    #[test]
    fn changes_replace_only_what_they_name() {
        let text = json!({"purpose": "medical", "route": {"type": "LineString", "coordinates": [[36, 33], [37, 33]]},
            "corridor_m": 500, "window": {"from": "2026-01-01T00:00:00.000Z"}, "origin": "a", "destination": "b",
            "origin_site": "aid/s1", "vehicles": 3});
        let plan = parse_plan(&text.to_string(), &SUBMITTED).expect("valid plan");
        let changes = PlanChanges { vehicles: Some(5), origin_site: Some(None), ..PlanChanges::default() };
        let amended = changes.apply_to(&plan);
        assert_eq!((amended.vehicles, amended.origin_site.as_ref()), (5, None));
        assert_eq!((amended.corridor_m, &amended.origin), (500.0, &plan.origin));
    }
}
