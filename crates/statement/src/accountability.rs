//! Bodies of the accountability statements (brief §5): custody hand-offs,
//! distribution reports, incidents and their assessment, public claims and the
//! evidence linked to them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{parse_window, MAX_DISTANCE_M, MAX_ITEMS};
use crate::body::{
    check_count, check_party, check_text, invalid, typed, MAX_NAME_LEN, MAX_RECIPIENTS, MAX_TEXT_LEN,
};
use crate::error::StatementError;
use crate::geometry::{check_geometry, GeometryKind};
use crate::statement::ObjectRef;
use crate::timefmt::parse_utc_us;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuantity {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
}

fn check_items(field: &str, items: &[ItemQuantity], min: usize) -> Result<(), StatementError> {
    check_count(field, items.len(), min, MAX_ITEMS)?;
    for i in items {
        check_text("item", &i.item, MAX_NAME_LEN, true)?;
        check_text("unit", &i.unit, MAX_NAME_LEN, true)?;
        if !i.quantity.is_finite() || i.quantity < 0.0 {
            return Err(invalid(format!("{field}: quantities are non-negative numbers")));
        }
    }
    Ok(())
}

fn check_ref(field: &str, r: &str) -> Result<(), StatementError> {
    ObjectRef::parse(r).map(|_| ()).ok_or_else(|| invalid(format!("{field} {r:?} is not issuer/id")))
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Value>,
}

/// A hand-off of goods from one party to another; both must sign.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyTransfer {
    pub consignment: String,
    pub from: String,
    pub to: String,
    pub items: Vec<ItemQuantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// Quantities both parties record as lost before this hand-off (an
    /// extension of the brief's body; optional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<ItemQuantity>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionReport {
    pub site: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignment: Option<String>,
    pub round: String,
    pub period: Value,
    pub items: Vec<ItemQuantity>,
    pub households: u64,
    pub people: u64,
    #[serde(default)]
    pub planned_per_person: Vec<ItemQuantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Airstrike,
    Shelling,
    GroundAttack,
    AttackOnConvoy,
    AttackOnSite,
    Obstruction,
    Detention,
    CeasefireViolation,
}

/// A count known only as a range; either end may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Casualties {
    #[serde(default)]
    pub killed: Range,
    #[serde(default)]
    pub injured: Range,
    #[serde(default)]
    pub children_killed: Option<Range>,
    #[serde(default)]
    pub children_injured: Option<Range>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub outlet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentReport {
    pub kind: IncidentKind,
    pub window: Value,
    pub geometry: Value,
    pub precision_m: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alleged_perpetrator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perpetrator_text: Option<String>,
    pub casualties: Casualties,
    #[serde(default)]
    pub affected_sites: Vec<String>,
    #[serde(default)]
    pub affected_movements: Vec<String>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Occurrence {
    Confirmed,
    Likely,
    Possible,
    Unverified,
    Discounted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    Confirmed,
    Likely,
    Contested,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentAssess {
    pub incident: String,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    #[serde(default)]
    pub attributed_to: Vec<String>,
    pub rationale: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Allegation,
    Denial,
    Assertion,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub what: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRecord {
    pub speaker: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    pub outlet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub published: String,
    pub text: String,
    pub stance: Stance,
    #[serde(default)]
    pub figures: Vec<Figure>,
    #[serde(default)]
    pub subjects: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Supports,
    Contradicts,
    Context,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimLink {
    pub claim: String,
    /// A reference `issuer/id` or a log entry index.
    pub evidence: Value,
    pub relation: Relation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub(crate) fn parse_custody(body: Value) -> Result<CustodyTransfer, StatementError> {
    let b: CustodyTransfer = typed(body)?;
    check_text("consignment", &b.consignment, MAX_NAME_LEN, true)?;
    check_party("from", &b.from)?;
    check_party("to", &b.to)?;
    if b.from == b.to {
        return Err(invalid("a hand-off is between two different parties"));
    }
    check_items("items", &b.items, 1)?;
    check_items("lost", &b.lost, 0)?;
    if let Some(p) = &b.place {
        check_text("place name", &p.name, MAX_NAME_LEN, true)?;
        if let Some(g) = &p.geometry {
            check_geometry("place geometry", g, &[GeometryKind::Point])?;
        }
    }
    Ok(b)
}

pub(crate) fn parse_distribution(body: Value) -> Result<DistributionReport, StatementError> {
    let b: DistributionReport = typed(body)?;
    check_ref("site", &b.site)?;
    check_text("round", &b.round, MAX_NAME_LEN, true)?;
    parse_window("period", &b.period)?;
    check_items("items", &b.items, 1)?;
    check_items("planned_per_person", &b.planned_per_person, 0)?;
    if let Some(c) = &b.consignment {
        check_text("consignment", c, MAX_NAME_LEN, true)?;
    }
    Ok(b)
}

fn check_range(field: &str, r: &Range) -> Result<(), StatementError> {
    if let (Some(min), Some(max)) = (r.min, r.max) {
        if min > max {
            return Err(invalid(format!("{field}: min is above max")));
        }
    }
    Ok(())
}

pub(crate) fn parse_incident(body: Value) -> Result<IncidentReport, StatementError> {
    let b: IncidentReport = typed(body)?;
    parse_window("window", &b.window)?;
    check_geometry("geometry", &b.geometry, &[GeometryKind::Point])?;
    if !b.precision_m.is_finite() || !(0.0..=MAX_DISTANCE_M).contains(&b.precision_m) {
        return Err(invalid("precision_m must be between 0 and 20,100 km"));
    }
    if let Some(p) = &b.alleged_perpetrator {
        check_party("alleged_perpetrator", p)?;
    }
    let c = &b.casualties;
    check_range("killed", &c.killed)?;
    check_range("injured", &c.injured)?;
    for (f, r) in [("children_killed", c.children_killed), ("children_injured", c.children_injured)] {
        if let Some(r) = r {
            check_range(f, &r)?;
        }
    }
    check_count("affected_sites", b.affected_sites.len(), 0, MAX_ITEMS)?;
    check_count("affected_movements", b.affected_movements.len(), 0, MAX_ITEMS)?;
    for r in b.affected_sites.iter().chain(&b.affected_movements) {
        check_ref("affected", r)?;
    }
    check_count("sources", b.sources.len(), 0, MAX_ITEMS)?;
    for s in &b.sources {
        check_text("outlet", &s.outlet, MAX_NAME_LEN, true)?;
        if let Some(q) = &s.quote {
            check_text("quote", q, MAX_TEXT_LEN, false)?;
        }
    }
    Ok(b)
}

pub(crate) fn parse_assess(body: Value) -> Result<IncidentAssess, StatementError> {
    let b: IncidentAssess = typed(body)?;
    check_ref("incident", &b.incident)?;
    check_count("attributed_to", b.attributed_to.len(), 0, MAX_RECIPIENTS)?;
    b.attributed_to.iter().try_for_each(|p| check_party("attributed_to", p))?;
    check_text("rationale", &b.rationale, MAX_TEXT_LEN, true)?;
    Ok(b)
}

pub(crate) fn parse_claim(body: Value) -> Result<ClaimRecord, StatementError> {
    let b: ClaimRecord = typed(body)?;
    check_text("speaker", &b.speaker, MAX_NAME_LEN, true)?;
    check_text("outlet", &b.outlet, MAX_NAME_LEN, true)?;
    check_text("text", &b.text, MAX_TEXT_LEN, true)?;
    parse_utc_us(&b.published).ok_or_else(|| invalid("published is not an RFC 3339 UTC time"))?;
    check_count("figures", b.figures.len(), 0, MAX_ITEMS)?;
    check_count("subjects", b.subjects.len(), 0, MAX_ITEMS)?;
    b.subjects.iter().try_for_each(|s| check_ref("subject", s))?;
    Ok(b)
}

pub(crate) fn parse_link(body: Value) -> Result<ClaimLink, StatementError> {
    let b: ClaimLink = typed(body)?;
    check_ref("claim", &b.claim)?;
    match &b.evidence {
        Value::String(s) => check_ref("evidence", s)?,
        Value::Number(n) if n.as_u64().is_some() => {}
        _ => return Err(invalid("evidence is issuer/id or an entry index")),
    }
    Ok(b)
}
