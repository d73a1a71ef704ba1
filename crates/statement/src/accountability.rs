//! Bodies of the accountability statements (brief §5): custody hand-offs,
//! distribution reports, incidents and their assessment, public claims and the
//! evidence linked to them.

use std::sync::Arc;

use corridor_geo::Geometry;
use serde::Deserialize;
use serde_json::Value;

use crate::access::{check_distance, RawWindow, Window, MAX_ITEMS};
use crate::body::{
    check_count, check_party, check_quantity, check_text, invalid, no_repeats, parse_ref, senseless, typed,
    wire_enum, Ctx, RawTarget, MAX_NAME_LEN, MAX_RECIPIENTS, MAX_TEXT_LEN,
};
use crate::error::StatementError;
use crate::geometry::{parse_geometry, GeometryKind};
use crate::statement::{read_time, ObjectRef, Target};

const POINTS: &[GeometryKind] = &[GeometryKind::Point];

#[derive(Debug, Clone, PartialEq, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuantity {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
}

/// Item lines: 1..=[`MAX_ITEMS`] (at least `min`), each quantity checked by
/// [`check_quantity`]; in a submission no two lines name the same item and
/// unit (`repeated_item`).
fn check_items(field: &str, items: &[ItemQuantity], min: usize, ctx: &Ctx<'_>) -> Result<(), StatementError> {
    check_count(field, items.len(), min, MAX_ITEMS)?;
    for i in items {
        check_text("item", &i.item, MAX_NAME_LEN, true)?;
        check_text("unit", &i.unit, MAX_NAME_LEN, true)?;
        check_quantity(field, i.quantity, ctx)?;
    }
    let lines: Vec<_> = items.iter().map(|i| (&i.item, &i.unit)).collect();
    no_repeats(ctx, field, &lines)
}

/// Where a hand-off happened.
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Place {
    pub name: String,
    /// A Point.
    pub geometry: Option<Arc<Geometry>>,
}

/// A hand-off of goods from one party to another; both must sign.
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct CustodyTransfer {
    pub consignment: String,
    pub from: String,
    pub to: String,
    pub items: Vec<ItemQuantity>,
    pub place: Option<Place>,
    /// Quantities both parties record as lost before this hand-off (an
    /// extension of the brief's body; optional).
    pub lost: Vec<ItemQuantity>,
}

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct DistributionReport {
    pub site: ObjectRef,
    pub consignment: Option<String>,
    pub round: String,
    pub period: Window,
    pub items: Vec<ItemQuantity>,
    pub households: u64,
    pub people: u64,
    pub planned_per_person: Vec<ItemQuantity>,
}

wire_enum!(IncidentKind {
    Airstrike => "airstrike",
    Shelling => "shelling",
    GroundAttack => "ground_attack",
    AttackOnConvoy => "attack_on_convoy",
    AttackOnSite => "attack_on_site",
    Obstruction => "obstruction",
    Detention => "detention",
    CeasefireViolation => "ceasefire_violation",
});

/// A count known only as a range; either end may be unknown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
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

/// Where a report came from. `published` is kept as written: sources quote
/// outlets whose dates are not always exact times.
#[derive(Debug, Clone, PartialEq, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub outlet: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
    /// SHA-256 of the text the report was drafted from (64 lowercase hex
    /// digits; `corridor intake` fills it), so the record names the exact
    /// text. An extension of the brief's body; optional.
    #[serde(default)]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct IncidentReport {
    pub kind: IncidentKind,
    pub window: Window,
    /// A Point.
    pub geometry: Arc<Geometry>,
    pub precision_m: f64,
    pub alleged_perpetrator: Option<String>,
    pub perpetrator_text: Option<String>,
    pub casualties: Casualties,
    pub affected_sites: Vec<ObjectRef>,
    pub affected_movements: Vec<ObjectRef>,
    pub sources: Vec<Source>,
}

wire_enum!(Occurrence {
    Confirmed => "confirmed",
    Likely => "likely",
    Possible => "possible",
    Unverified => "unverified",
    Discounted => "discounted",
});

wire_enum!(Attribution {
    Confirmed => "confirmed",
    Likely => "likely",
    Contested => "contested",
    Unknown => "unknown",
});

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentAssess {
    pub incident: ObjectRef,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    pub attributed_to: Vec<String>,
    pub rationale: String,
}

wire_enum!(Stance {
    Allegation => "allegation",
    Denial => "denial",
    Assertion => "assertion",
});

#[derive(Debug, Clone, PartialEq, Deserialize, borsh::BorshSerialize, borsh::BorshDeserialize)]
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

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct ClaimRecord {
    pub speaker: String,
    pub affiliation: Option<String>,
    pub outlet: String,
    pub url: Option<String>,
    pub published_us: i64,
    pub text: String,
    pub stance: Stance,
    pub figures: Vec<Figure>,
    pub subjects: Vec<ObjectRef>,
    /// SHA-256 of the text the claim was drafted from (64 lowercase hex
    /// digits), as for [`Source::sha256`]. An extension; optional.
    pub source_sha256: Option<String>,
}

wire_enum!(Relation {
    Supports => "supports",
    Contradicts => "contradicts",
    Context => "context",
});

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimLink {
    pub claim: ObjectRef,
    /// An object or a log entry.
    pub evidence: Target,
    pub relation: Relation,
    pub note: Option<String>,
}

/// A SHA-256 digest as 64 lowercase hex digits, the one spelling `sha256sum`
/// prints.
fn check_sha256(field: &str, value: Option<&str>) -> Result<(), StatementError> {
    match value {
        Some(v) if v.len() != 64 || !v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) => {
            Err(invalid(format!("{field} must be 64 lowercase hex digits")))
        }
        _ => Ok(()),
    }
}

fn refs(field: &str, items: &[String]) -> Result<Vec<ObjectRef>, StatementError> {
    items.iter().map(|r| parse_ref(field, r)).collect()
}

pub(crate) fn parse_custody(text: &str, ctx: &Ctx<'_>) -> Result<CustodyTransfer, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawPlace {
        name: String,
        #[serde(default)]
        geometry: Option<Value>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        consignment: String,
        from: String,
        to: String,
        items: Vec<ItemQuantity>,
        #[serde(default)]
        place: Option<RawPlace>,
        #[serde(default)]
        lost: Vec<ItemQuantity>,
    }
    let b: Raw = typed(text)?;
    check_text("consignment", &b.consignment, MAX_NAME_LEN, true)?;
    check_party("from", &b.from)?;
    check_party("to", &b.to)?;
    if b.from == b.to {
        return Err(invalid("a hand-off is between two different parties"));
    }
    check_items("items", &b.items, 1, ctx)?;
    check_items("lost", &b.lost, 0, ctx)?;
    let place = match b.place {
        Some(p) => {
            check_text("place name", &p.name, MAX_NAME_LEN, true)?;
            let geometry =
                p.geometry.map(|g| parse_geometry("place geometry", &g, POINTS, ctx.reading)).transpose()?;
            Some(Place { name: p.name, geometry })
        }
        None => None,
    };
    Ok(CustodyTransfer {
        consignment: b.consignment,
        from: b.from,
        to: b.to,
        items: b.items,
        place,
        lost: b.lost,
    })
}

pub(crate) fn parse_distribution(text: &str, ctx: &Ctx<'_>) -> Result<DistributionReport, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        site: String,
        #[serde(default)]
        consignment: Option<String>,
        round: String,
        period: RawWindow,
        items: Vec<ItemQuantity>,
        households: u64,
        people: u64,
        #[serde(default)]
        planned_per_person: Vec<ItemQuantity>,
    }
    let b: Raw = typed(text)?;
    let site = parse_ref("site", &b.site)?;
    check_text("round", &b.round, MAX_NAME_LEN, true)?;
    let period = b.period.parse("period", ctx)?;
    check_items("items", &b.items, 1, ctx)?;
    check_items("planned_per_person", &b.planned_per_person, 0, ctx)?;
    check_recipients(b.households, b.people, ctx)?;
    if let Some(c) = &b.consignment {
        check_text("consignment", c, MAX_NAME_LEN, true)?;
    }
    Ok(DistributionReport {
        site,
        consignment: b.consignment,
        round: b.round,
        period,
        items: b.items,
        households: b.households,
        people: b.people,
        planned_per_person: b.planned_per_person,
    })
}

/// In a submission, a distribution reaches someone, and no more households
/// than people (`inconsistent_counts`).
fn check_recipients(households: u64, people: u64, ctx: &Ctx<'_>) -> Result<(), StatementError> {
    if ctx.strict() && (people == 0 || households > people) {
        let detail = format!("{households} households and {people} people: a distribution reaches at least one person, and each household at least one");
        return Err(senseless("inconsistent_counts", detail));
    }
    Ok(())
}

fn check_range(field: &str, r: &Range) -> Result<(), StatementError> {
    if let (Some(min), Some(max)) = (r.min, r.max) {
        if min > max {
            return Err(invalid(format!("{field}: min is above max")));
        }
    }
    Ok(())
}

/// Ranges run min to max; in a submission, children killed or injured cannot
/// outnumber everyone killed or injured (`inconsistent_counts`).
fn check_casualties(c: &Casualties, ctx: &Ctx<'_>) -> Result<(), StatementError> {
    check_range("killed", &c.killed)?;
    check_range("injured", &c.injured)?;
    for (f, r, all) in [
        ("children_killed", c.children_killed, c.killed),
        ("children_injured", c.children_injured, c.injured),
    ] {
        let Some(r) = r else { continue };
        check_range(f, &r)?;
        let above = matches!((r.min, all.max), (Some(children), Some(everyone)) if children > everyone);
        if ctx.strict() && above {
            return Err(senseless("inconsistent_counts", format!("{f}: more children than people in all")));
        }
    }
    Ok(())
}

pub(crate) fn parse_incident(text: &str, ctx: &Ctx<'_>) -> Result<IncidentReport, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        kind: IncidentKind,
        window: RawWindow,
        geometry: Value,
        precision_m: f64,
        #[serde(default)]
        alleged_perpetrator: Option<String>,
        #[serde(default)]
        perpetrator_text: Option<String>,
        casualties: Casualties,
        #[serde(default)]
        affected_sites: Vec<String>,
        #[serde(default)]
        affected_movements: Vec<String>,
        #[serde(default)]
        sources: Vec<Source>,
    }
    let b: Raw = typed(text)?;
    let window = b.window.parse("window", ctx)?;
    let geometry = parse_geometry("geometry", &b.geometry, POINTS, ctx.reading)?;
    check_distance("precision_m", b.precision_m)
        .map_err(|_| invalid("precision_m must be between 0 and 20,100 km"))?;
    if let Some(p) = &b.alleged_perpetrator {
        check_party("alleged_perpetrator", p)?;
    }
    check_casualties(&b.casualties, ctx)?;
    check_count("affected_sites", b.affected_sites.len(), 0, MAX_ITEMS)?;
    check_count("affected_movements", b.affected_movements.len(), 0, MAX_ITEMS)?;
    no_repeats(ctx, "affected_sites", &b.affected_sites)?;
    no_repeats(ctx, "affected_movements", &b.affected_movements)?;
    let affected_sites = refs("affected", &b.affected_sites)?;
    let affected_movements = refs("affected", &b.affected_movements)?;
    check_count("sources", b.sources.len(), 0, MAX_ITEMS)?;
    for s in &b.sources {
        check_text("outlet", &s.outlet, MAX_NAME_LEN, true)?;
        if let Some(q) = &s.quote {
            check_text("quote", q, MAX_TEXT_LEN, false)?;
        }
        check_sha256("sha256", s.sha256.as_deref())?;
    }
    Ok(IncidentReport {
        kind: b.kind,
        window,
        geometry,
        precision_m: b.precision_m,
        alleged_perpetrator: b.alleged_perpetrator,
        perpetrator_text: b.perpetrator_text,
        casualties: b.casualties,
        affected_sites,
        affected_movements,
        sources: b.sources,
    })
}

pub(crate) fn parse_assess(text: &str, ctx: &Ctx<'_>) -> Result<IncidentAssess, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        incident: String,
        occurrence: Occurrence,
        attribution: Attribution,
        #[serde(default)]
        attributed_to: Vec<String>,
        rationale: String,
    }
    let b: Raw = typed(text)?;
    let incident = parse_ref("incident", &b.incident)?;
    check_count("attributed_to", b.attributed_to.len(), 0, MAX_RECIPIENTS)?;
    b.attributed_to.iter().try_for_each(|p| check_party("attributed_to", p))?;
    no_repeats(ctx, "attributed_to", &b.attributed_to)?;
    check_text("rationale", &b.rationale, MAX_TEXT_LEN, true)?;
    Ok(IncidentAssess {
        incident,
        occurrence: b.occurrence,
        attribution: b.attribution,
        attributed_to: b.attributed_to,
        rationale: b.rationale,
    })
}

pub(crate) fn parse_claim(text: &str, ctx: &Ctx<'_>) -> Result<ClaimRecord, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        speaker: String,
        #[serde(default)]
        affiliation: Option<String>,
        outlet: String,
        #[serde(default)]
        url: Option<String>,
        published: String,
        text: String,
        stance: Stance,
        #[serde(default)]
        figures: Vec<Figure>,
        #[serde(default)]
        subjects: Vec<String>,
        #[serde(default)]
        source_sha256: Option<String>,
    }
    let b: Raw = typed(text)?;
    check_sha256("source_sha256", b.source_sha256.as_deref())?;
    check_text("speaker", &b.speaker, MAX_NAME_LEN, true)?;
    check_text("outlet", &b.outlet, MAX_NAME_LEN, true)?;
    check_text("text", &b.text, MAX_TEXT_LEN, true)?;
    let published_us = read_time("published", &b.published, ctx.reading)?;
    check_count("figures", b.figures.len(), 0, MAX_ITEMS)?;
    check_count("subjects", b.subjects.len(), 0, MAX_ITEMS)?;
    no_repeats(ctx, "subjects", &b.subjects)?;
    for f in &b.figures {
        let negative = f.min.is_some_and(|v| v < 0.0) || f.max.is_some_and(|v| v < 0.0);
        if ctx.strict() && negative {
            return Err(senseless(
                "quantity_out_of_range",
                format!("figure {:?}: a count cannot be negative", f.what),
            ));
        }
        if let (Some(min), Some(max)) = (f.min, f.max) {
            if min > max {
                return Err(invalid(format!("figure {:?}: min is above max", f.what)));
            }
        }
    }
    let subjects = refs("subject", &b.subjects)?;
    Ok(ClaimRecord {
        speaker: b.speaker,
        affiliation: b.affiliation,
        outlet: b.outlet,
        url: b.url,
        published_us,
        text: b.text,
        stance: b.stance,
        figures: b.figures,
        subjects,
        source_sha256: b.source_sha256,
    })
}

pub(crate) fn parse_link(text: &str, ctx: &Ctx<'_>) -> Result<ClaimLink, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        claim: String,
        evidence: RawTarget,
        relation: Relation,
        #[serde(default)]
        note: Option<String>,
    }
    let b: Raw = typed(text)?;
    let claim = parse_ref("claim", &b.claim)?;
    let evidence = match b.evidence {
        RawTarget::Object(s) => Target::Object(parse_ref("evidence", &s)?),
        other => other.parse().ok_or_else(|| invalid("evidence is issuer/id or an entry index"))?,
    };
    if ctx.strict() && evidence == Target::Object(claim.clone()) {
        return Err(senseless("self_link", "a claim cannot be evidence about itself"));
    }
    Ok(ClaimLink { claim, evidence, relation: b.relation, note: b.note })
}
