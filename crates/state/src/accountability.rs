//! Accountability in the fold (brief §5–§6): custody hand-offs and distribution
//! reports (reconciled per consignment), incidents with casualty ranges and their
//! two-axis assessments, ceasefire violations, and public claims with evidence.
//!
//! The record is neutral: it keeps who said what, and computes totals that keep
//! every range (sum of minimums .. sum of maximums), never one collapsed number.

use std::collections::BTreeMap;

use corridor_geo::Geometry;
use corridor_statement::access::{parse_window, Window};
use corridor_statement::accountability::{
    Attribution, ClaimLink, ClaimRecord, CustodyTransfer, DistributionReport, IncidentAssess, IncidentReport,
    ItemQuantity, Occurrence, Range,
};
use corridor_statement::ObjectRef;
use serde::Serialize;
use serde_json::Value;

use crate::{Rejection, Stamp};

#[derive(Debug, Clone, Serialize)]
pub struct Custody {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub transfer: CustodyTransfer,
    pub at: Stamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub report: DistributionReport,
    pub at: Stamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub by: String,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    pub attributed_to: Vec<String>,
    pub rationale: String,
    pub at: Stamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub reporter: String,
    pub report: IncidentReport,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub reported: Stamp,
    pub assessments: Vec<Assessment>,
    #[serde(skip)]
    pub geom: Option<Geometry>,
}

impl Incident {
    /// The latest assessment, which is the one that counts in tallies.
    pub fn grade(&self) -> Option<&Assessment> {
        self.assessments.last()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub by: String,
    pub evidence: Value,
    pub relation: corridor_statement::accountability::Relation,
    pub note: Option<String>,
    pub at: Stamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub recorder: String,
    pub record: ClaimRecord,
    pub recorded: Stamp,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default)]
pub struct Accountability {
    pub(crate) custody: BTreeMap<String, Vec<Custody>>,
    pub(crate) distributions: BTreeMap<ObjectRef, Distribution>,
    pub(crate) incidents: BTreeMap<ObjectRef, Incident>,
    pub(crate) claims: BTreeMap<ObjectRef, Claim>,
}

/// Lookups into the rest of the state that accountability checks need.
pub(crate) struct Known<'a> {
    pub party: &'a dyn Fn(&str) -> bool,
    pub is_monitor: &'a dyn Fn(&str) -> bool,
    pub site: &'a dyn Fn(&ObjectRef) -> bool,
    pub movement: &'a dyn Fn(&ObjectRef) -> bool,
    pub statement: &'a dyn Fn(&ObjectRef) -> bool,
    pub next_index: u64,
}

fn unknown_party(p: &str, known: &Known<'_>) -> Result<(), Rejection> {
    if (known.party)(p) {
        Ok(())
    } else {
        Err(Rejection::UnknownParty(p.to_owned()))
    }
}

fn parse_ref(r: &str) -> Result<ObjectRef, Rejection> {
    ObjectRef::parse(r).ok_or_else(|| Rejection::UnknownRef(r.to_owned()))
}

impl Accountability {
    pub fn consignment(&self, id: &str) -> Option<&[Custody]> {
        self.custody.get(id).map(Vec::as_slice)
    }

    pub fn consignments(&self) -> impl Iterator<Item = &String> {
        self.custody.keys()
    }

    pub fn distributions(&self) -> impl Iterator<Item = &Distribution> {
        self.distributions.values()
    }

    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    pub fn incident(&self, r: &ObjectRef) -> Option<&Incident> {
        self.incidents.get(r)
    }

    pub fn claim(&self, r: &ObjectRef) -> Option<&Claim> {
        self.claims.get(r)
    }

    /// Claims in reference order, from just after `after`.
    pub fn claims_after(&self, after: Option<&ObjectRef>) -> impl Iterator<Item = &Claim> {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = after.map_or(Unbounded, Excluded);
        self.claims.range((start, Unbounded)).map(|(_, c)| c)
    }

    /// Consignments and their hand-offs in id order, from just after `after`.
    pub fn consignments_after(&self, after: Option<&str>) -> impl Iterator<Item = (&String, &[Custody])> {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = after.map_or(Unbounded, |a| Excluded(a.to_owned()));
        self.custody.range((start, Unbounded)).map(|(id, chain)| (id, chain.as_slice()))
    }

    // ---- checks ----

    /// A hand-off needs both parties' signatures, and the issuer is one of them.
    pub(crate) fn check_custody(
        &self,
        issuer: &str,
        signers: &[&str],
        t: &CustodyTransfer,
        known: &Known<'_>,
    ) -> Result<(), Rejection> {
        unknown_party(&t.from, known)?;
        unknown_party(&t.to, known)?;
        if issuer != t.from && issuer != t.to {
            return Err(Rejection::Unauthorized("the issuer of a hand-off is its sender or receiver".into()));
        }
        for p in [&t.from, &t.to] {
            if !signers.contains(&p.as_str()) {
                return Err(Rejection::Unauthorized(format!("a hand-off needs {p}'s signature too")));
            }
        }
        Ok(())
    }

    pub(crate) fn check_distribution(
        &self,
        d: &DistributionReport,
        known: &Known<'_>,
    ) -> Result<(), Rejection> {
        let site = parse_ref(&d.site)?;
        if !(known.site)(&site) {
            return Err(Rejection::UnknownRef(d.site.clone()));
        }
        Ok(())
    }

    pub(crate) fn check_incident(&self, i: &IncidentReport, known: &Known<'_>) -> Result<(), Rejection> {
        if let Some(p) = &i.alleged_perpetrator {
            unknown_party(p, known)?;
        }
        for s in &i.affected_sites {
            if !(known.site)(&parse_ref(s)?) {
                return Err(Rejection::UnknownRef(s.clone()));
            }
        }
        for m in &i.affected_movements {
            if !(known.movement)(&parse_ref(m)?) {
                return Err(Rejection::UnknownRef(m.clone()));
            }
        }
        Ok(())
    }

    pub(crate) fn check_assess(
        &self,
        issuer: &str,
        a: &IncidentAssess,
        known: &Known<'_>,
    ) -> Result<(), Rejection> {
        if !(known.is_monitor)(issuer) {
            return Err(Rejection::Unauthorized("only monitors assess incidents".into()));
        }
        if !self.incidents.contains_key(&parse_ref(&a.incident)?) {
            return Err(Rejection::UnknownRef(a.incident.clone()));
        }
        a.attributed_to.iter().try_for_each(|p| unknown_party(p, known))
    }

    pub(crate) fn check_claim(&self, c: &ClaimRecord, known: &Known<'_>) -> Result<(), Rejection> {
        for s in &c.subjects {
            if !(known.statement)(&parse_ref(s)?) {
                return Err(Rejection::UnknownRef(s.clone()));
            }
        }
        Ok(())
    }

    pub(crate) fn check_link(&self, l: &ClaimLink, known: &Known<'_>) -> Result<(), Rejection> {
        if !self.claims.contains_key(&parse_ref(&l.claim)?) {
            return Err(Rejection::UnknownRef(l.claim.clone()));
        }
        let exists = match &l.evidence {
            Value::String(s) => (known.statement)(&parse_ref(s)?),
            v => v.as_u64().is_some_and(|i| i < known.next_index),
        };
        if !exists {
            return Err(Rejection::UnknownRef(l.evidence.to_string()));
        }
        Ok(())
    }

    // ---- commits ----

    pub(crate) fn record_custody(&mut self, r: ObjectRef, t: &CustodyTransfer, at: Stamp) {
        let c = Custody { reference: r, transfer: t.clone(), at };
        self.custody.entry(t.consignment.clone()).or_default().push(c);
    }

    pub(crate) fn record_distribution(&mut self, r: ObjectRef, d: &DistributionReport, at: Stamp) {
        self.distributions.insert(r.clone(), Distribution { reference: r, report: d.clone(), at });
    }

    pub(crate) fn record_incident(&mut self, r: ObjectRef, i: &IncidentReport, at: Stamp) {
        let window = parse_window("window", &i.window).unwrap_or_else(|_| Window::always());
        let geom = Geometry::from_geojson(&i.geometry).ok();
        let incident = Incident {
            reference: r.clone(),
            reporter: r.issuer.clone(),
            report: i.clone(),
            window,
            reported: at,
            assessments: vec![],
            geom,
        };
        self.incidents.insert(r, incident);
    }

    pub(crate) fn record_assessment(&mut self, by: &str, a: &IncidentAssess, at: Stamp) {
        let Some(r) = ObjectRef::parse(&a.incident) else { return };
        if let Some(i) = self.incidents.get_mut(&r) {
            i.assessments.push(Assessment {
                by: by.to_owned(),
                occurrence: a.occurrence,
                attribution: a.attribution,
                attributed_to: a.attributed_to.clone(),
                rationale: a.rationale.clone(),
                at,
            });
        }
    }

    pub(crate) fn record_claim(&mut self, r: ObjectRef, c: &ClaimRecord, at: Stamp) {
        let claim = Claim {
            reference: r.clone(),
            recorder: r.issuer.clone(),
            record: c.clone(),
            recorded: at,
            links: vec![],
        };
        self.claims.insert(r, claim);
    }

    pub(crate) fn record_link(&mut self, by: &str, l: &ClaimLink, at: Stamp) {
        let Some(r) = ObjectRef::parse(&l.claim) else { return };
        if let Some(c) = self.claims.get_mut(&r) {
            let link = Link {
                by: by.to_owned(),
                evidence: l.evidence.clone(),
                relation: l.relation,
                note: l.note.clone(),
                at,
            };
            c.links.push(link);
        }
    }

    pub(crate) fn digest_value(&self) -> Value {
        serde_json::json!({
            "custody": self.custody,
            "distributions": self.distributions.values().collect::<Vec<_>>(),
            "incidents": self.incidents.values().collect::<Vec<_>>(),
            "claims": self.claims.values().collect::<Vec<_>>(),
        })
    }
}

/// A total that keeps its range: the sum of minimums and the sum of maximums.
/// An unknown maximum makes the total's maximum unknown (None); an unknown
/// minimum counts as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RangeTotal {
    pub min: u64,
    pub max: Option<u64>,
}

impl RangeTotal {
    pub fn plus(self, r: &Range) -> Self {
        Self { min: self.min + r.min.unwrap_or(0), max: self.max.zip(r.max).map(|(a, b)| a + b) }
    }
}

/// Totals of casualty ranges over incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CasualtyTotals {
    pub killed: RangeTotal,
    pub injured: RangeTotal,
    pub children_killed: RangeTotal,
    pub children_injured: RangeTotal,
}

impl Default for CasualtyTotals {
    fn default() -> Self {
        let zero = RangeTotal { min: 0, max: Some(0) };
        Self { killed: zero, injured: zero, children_killed: zero, children_injured: zero }
    }
}

impl CasualtyTotals {
    pub fn plus(self, i: &IncidentReport) -> Self {
        let c = &i.casualties;
        let unknown = Range::default();
        Self {
            killed: self.killed.plus(&c.killed),
            injured: self.injured.plus(&c.injured),
            children_killed: self.children_killed.plus(c.children_killed.as_ref().unwrap_or(&unknown)),
            children_injured: self.children_injured.plus(c.children_injured.as_ref().unwrap_or(&unknown)),
        }
    }
}

/// Reconciliation of one item of a consignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemReconciliation {
    pub item: String,
    pub unit: String,
    /// What the first hand-off carried.
    pub dispatched: f64,
    /// What each hand-off carried, in order: (from, to, quantity, entry).
    pub received: Vec<(String, String, f64, u64)>,
    pub distributed: f64,
    /// Last quantity received minus what was distributed (never below zero).
    pub in_stock: f64,
    /// Losses recorded in hand-offs (`lost`).
    pub reported_lost: f64,
    /// Dispatched minus distributed, in stock and reported lost.
    pub unaccounted: f64,
    pub flagged: bool,
}

/// Reconciles a consignment per item: hand-offs in log order, distributions
/// that name the consignment, and a flag when the unaccounted share exceeds
/// `tolerance` (a fraction, 0.02 = 2 %).
pub fn reconcile(
    chain: &[Custody],
    distributions: &[&Distribution],
    tolerance: f64,
) -> Vec<ItemReconciliation> {
    let mut items: BTreeMap<(String, String), ItemReconciliation> = BTreeMap::new();
    for c in chain {
        for q in &c.transfer.items {
            let e = items.entry((q.item.clone(), q.unit.clone())).or_insert_with(|| ItemReconciliation {
                item: q.item.clone(),
                unit: q.unit.clone(),
                dispatched: q.quantity,
                received: vec![],
                distributed: 0.0,
                in_stock: 0.0,
                reported_lost: 0.0,
                unaccounted: 0.0,
                flagged: false,
            });
            e.received.push((c.transfer.from.clone(), c.transfer.to.clone(), q.quantity, c.at.index));
        }
        for q in &c.transfer.lost {
            if let Some(e) = items.get_mut(&(q.item.clone(), q.unit.clone())) {
                e.reported_lost += q.quantity;
            }
        }
    }
    for d in distributions {
        for q in &d.report.items {
            if let Some(e) = items.get_mut(&(q.item.clone(), q.unit.clone())) {
                e.distributed += q.quantity;
            }
        }
    }
    items
        .into_values()
        .map(|mut e| {
            let last = e.received.last().map_or(0.0, |r| r.2);
            e.in_stock = (last - e.distributed).max(0.0);
            e.unaccounted = e.dispatched - e.distributed - e.in_stock - e.reported_lost;
            e.flagged = e.dispatched > 0.0 && e.unaccounted.abs() / e.dispatched > tolerance;
            e
        })
        .collect()
}

/// Per-person quantity of `item` at one site in one round, against the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteShare {
    pub site: String,
    pub people: u64,
    pub quantity: f64,
    pub per_person: f64,
    pub planned_per_person: Option<f64>,
    pub below_plan: bool,
}

/// Fair distribution for one round and item: each site's per-person quantity,
/// the spread (max − min) between sites, and sites below plan.
pub fn fair_shares(reports: &[&Distribution], item: &ItemQuantity) -> (Vec<SiteShare>, f64) {
    let shares: Vec<SiteShare> = reports
        .iter()
        .filter_map(|d| {
            let q = d.report.items.iter().find(|q| q.item == item.item && q.unit == item.unit)?;
            let per_person = if d.report.people == 0 { 0.0 } else { q.quantity / d.report.people as f64 };
            let plan =
                d.report.planned_per_person.iter().find(|p| p.item == item.item && p.unit == item.unit);
            let planned_per_person = plan.map(|p| p.quantity);
            Some(SiteShare {
                site: d.report.site.clone(),
                people: d.report.people,
                quantity: q.quantity,
                per_person,
                planned_per_person,
                below_plan: planned_per_person.is_some_and(|p| per_person < p),
            })
        })
        .collect();
    let max = shares.iter().map(|s| s.per_person).fold(f64::MIN, f64::max);
    let min = shares.iter().map(|s| s.per_person).fold(f64::MAX, f64::min);
    let spread = if shares.is_empty() { 0.0 } else { max - min };
    (shares, spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custody(from: &str, to: &str, qty: f64, index: u64) -> Custody {
        Custody {
            reference: ObjectRef::parse(&format!("{from}/c{index}")).expect("ref"),
            transfer: CustodyTransfer {
                consignment: "C1".into(),
                from: from.into(),
                to: to.into(),
                items: vec![ItemQuantity { item: "flour".into(), unit: "kg".into(), quantity: qty }],
                place: None,
                lost: vec![],
            },
            at: Stamp { index, at_us: 0 },
        }
    }

    #[test]
    fn reconciliation_known_answer() {
        // 1,000 kg dispatched, 960 kg reach the last holder, 900 kg distributed:
        // in stock 60, unaccounted 1000 - 900 - 60 = 40 (4 % > 2 %: flagged).
        let chain = [custody("wfp", "carrier", 1000.0, 1), custody("carrier", "ngo", 960.0, 2)];
        let d = Distribution {
            reference: ObjectRef::parse("ngo/d1").expect("ref"),
            report: DistributionReport {
                site: "ngo/site".into(),
                consignment: Some("C1".into()),
                round: "r1".into(),
                period: serde_json::json!({"from": "2026-01-01T00:00:00Z"}),
                items: vec![ItemQuantity { item: "flour".into(), unit: "kg".into(), quantity: 900.0 }],
                households: 100,
                people: 450,
                planned_per_person: vec![],
            },
            at: Stamp { index: 3, at_us: 0 },
        };
        let r = reconcile(&chain, &[&d], 0.02);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].dispatched, r[0].distributed, r[0].in_stock, r[0].unaccounted),
            (1000.0, 900.0, 60.0, 40.0)
        );
        assert!(r[0].flagged);
        assert!(!reconcile(&chain, &[&d], 0.05)[0].flagged, "4 % is within a 5 % tolerance");
        // Recording 30 kg as lost at the second hand-off leaves 10 kg unaccounted (1 %).
        let mut with_loss = chain.clone();
        with_loss[1].transfer.lost =
            vec![ItemQuantity { item: "flour".into(), unit: "kg".into(), quantity: 30.0 }];
        let r = reconcile(&with_loss, &[&d], 0.02);
        assert_eq!((r[0].reported_lost, r[0].unaccounted, r[0].flagged), (30.0, 10.0, false));
    }

    #[test]
    fn range_totals_keep_their_ranges() {
        let t = RangeTotal { min: 0, max: Some(0) }
            .plus(&Range { min: Some(3), max: Some(5) })
            .plus(&Range { min: Some(1), max: Some(10) });
        assert_eq!(t, RangeTotal { min: 4, max: Some(15) });
        assert_eq!(t.plus(&Range { min: Some(2), max: None }), RangeTotal { min: 6, max: None });
    }
}
