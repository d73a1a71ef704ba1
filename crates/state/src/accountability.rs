//! Accountability in the fold (brief §5–§6): custody hand-offs and distribution
//! reports (reconciled per consignment), incidents with casualty ranges and their
//! two-axis assessments, ceasefire violations, and public claims with evidence.
//!
//! The record is neutral: it keeps who said what, and computes totals that keep
//! every range (sum of minimums .. sum of maximums), never one collapsed number.

use std::collections::BTreeMap;

use corridor_statement::accountability::{
    Attribution, ClaimLink, ClaimRecord, CustodyTransfer, DistributionReport, IncidentAssess, IncidentReport,
    ItemQuantity, Occurrence, Range, Relation,
};
use corridor_statement::body::PartyKind;
use corridor_statement::{ObjectRef, Target};

use crate::spatial::Kind;
use crate::{Rejection, Stamp, State};

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Custody {
    pub reference: ObjectRef,
    pub transfer: CustodyTransfer,
    pub at: Stamp,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Distribution {
    pub reference: ObjectRef,
    pub report: DistributionReport,
    pub at: Stamp,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Assessment {
    pub by: String,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    pub attributed_to: Vec<String>,
    pub rationale: String,
    pub at: Stamp,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Incident {
    pub reference: ObjectRef,
    pub reporter: String,
    pub report: IncidentReport,
    pub reported: Stamp,
    pub assessments: Vec<Assessment>,
}

impl Incident {
    /// The latest assessment, which is the one that counts in tallies.
    pub fn grade(&self) -> Option<&Assessment> {
        self.assessments.last()
    }
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Link {
    pub by: String,
    pub evidence: Target,
    pub relation: Relation,
    pub note: Option<String>,
    pub at: Stamp,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Claim {
    pub reference: ObjectRef,
    pub recorder: String,
    pub record: ClaimRecord,
    pub recorded: Stamp,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Accountability {
    pub(crate) custody: BTreeMap<String, Vec<Custody>>,
    pub(crate) distributions: BTreeMap<ObjectRef, Distribution>,
    pub(crate) incidents: BTreeMap<ObjectRef, Incident>,
    pub(crate) claims: BTreeMap<ObjectRef, Claim>,
}

/// A checked accountability statement, for the commit.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Custody(CustodyTransfer),
    Distribution(DistributionReport),
    Incident(IncidentReport),
    Assess(IncidentAssess),
    Claim(ClaimRecord),
    Link(ClaimLink),
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

    /// Incidents in reference order, from just after `after`.
    pub fn incidents_after(&self, after: Option<&ObjectRef>) -> impl Iterator<Item = &Incident> {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = after.map_or(Unbounded, Excluded);
        self.incidents.range((start, Unbounded)).map(|(_, i)| i)
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
}

/// Checks (no mutation).
impl State {
    fn known_party(&self, p: &str) -> Result<(), Rejection> {
        if self.parties.contains_key(p) {
            Ok(())
        } else {
            Err(Rejection::UnknownParty(p.to_owned()))
        }
    }

    /// A hand-off needs both parties' signatures, and the issuer is one of them.
    pub(crate) fn check_custody(
        &self,
        issuer: &str,
        signatures: &[corridor_statement::Signature],
        t: CustodyTransfer,
    ) -> Result<CustodyTransfer, Rejection> {
        self.known_party(&t.from)?;
        self.known_party(&t.to)?;
        if issuer != t.from && issuer != t.to {
            return Err(Rejection::Unauthorized("the issuer of a hand-off is its sender or receiver".into()));
        }
        for p in [&t.from, &t.to] {
            if !signatures.iter().any(|s| &s.key.name == p) {
                return Err(Rejection::Unauthorized(format!("a hand-off needs {p}'s signature too")));
            }
        }
        Ok(t)
    }

    pub(crate) fn check_distribution(&self, d: DistributionReport) -> Result<DistributionReport, Rejection> {
        if !self.access.sites.contains_key(&d.site) {
            return Err(Rejection::UnknownRef(d.site.to_string()));
        }
        Ok(d)
    }

    pub(crate) fn check_incident(&self, i: IncidentReport) -> Result<IncidentReport, Rejection> {
        if let Some(p) = &i.alleged_perpetrator {
            self.known_party(p)?;
        }
        if let Some(s) = i.affected_sites.iter().find(|s| !self.access.sites.contains_key(*s)) {
            return Err(Rejection::UnknownRef(s.to_string()));
        }
        if let Some(m) = i.affected_movements.iter().find(|m| !self.access.movements.contains_key(*m)) {
            return Err(Rejection::UnknownRef(m.to_string()));
        }
        Ok(i)
    }

    pub(crate) fn check_assess(&self, issuer: &str, a: IncidentAssess) -> Result<IncidentAssess, Rejection> {
        if self.parties.get(issuer).is_none_or(|p| p.kind != PartyKind::Monitor) {
            return Err(Rejection::Unauthorized("only monitors assess incidents".into()));
        }
        if !self.accountability.incidents.contains_key(&a.incident) {
            return Err(Rejection::UnknownRef(a.incident.to_string()));
        }
        a.attributed_to.iter().try_for_each(|p| self.known_party(p))?;
        Ok(a)
    }

    pub(crate) fn check_claim(&self, c: ClaimRecord) -> Result<ClaimRecord, Rejection> {
        if let Some(s) = c.subjects.iter().find(|s| !self.statements.contains_key(s)) {
            return Err(Rejection::UnknownRef(s.to_string()));
        }
        Ok(c)
    }

    pub(crate) fn check_link(&self, l: ClaimLink, next_index: u64) -> Result<ClaimLink, Rejection> {
        if !self.accountability.claims.contains_key(&l.claim) {
            return Err(Rejection::UnknownRef(l.claim.to_string()));
        }
        let exists = match &l.evidence {
            Target::Object(r) => self.statements.contains_key(r),
            Target::Entry(i) => *i < next_index,
        };
        if !exists {
            return Err(Rejection::UnknownRef(l.evidence.to_string()));
        }
        Ok(l)
    }
}

/// Commits (after the checks passed; cannot fail).
impl State {
    pub(crate) fn commit_accountability(&mut self, own: &ObjectRef, action: Action, at: Stamp) {
        let acc = &mut self.accountability;
        let r = own.clone();
        match action {
            Action::Custody(transfer) => {
                let chain = acc.custody.entry(transfer.consignment.clone()).or_default();
                chain.push(Custody { reference: r, transfer, at });
            }
            Action::Distribution(report) => {
                acc.distributions.insert(r.clone(), Distribution { reference: r, report, at });
            }
            Action::Incident(report) => {
                self.index.insert(Kind::Incident, &r, &report.geometry, report.window, report.precision_m);
                let reporter = r.issuer.clone();
                let incident = Incident {
                    reference: r.clone(),
                    reporter: reporter.to_string(),
                    report,
                    reported: at,
                    assessments: vec![],
                };
                acc.incidents.insert(r, incident);
            }
            Action::Assess(a) => {
                if let Some(i) = acc.incidents.get_mut(&a.incident) {
                    i.assessments.push(Assessment {
                        by: own.issuer.to_string(),
                        occurrence: a.occurrence,
                        attribution: a.attribution,
                        attributed_to: a.attributed_to,
                        rationale: a.rationale,
                        at,
                    });
                }
            }
            Action::Claim(record) => {
                let claim = Claim {
                    reference: r.clone(),
                    recorder: r.issuer.to_string(),
                    record,
                    recorded: at,
                    links: vec![],
                };
                acc.claims.insert(r, claim);
            }
            Action::Link(l) => {
                if let Some(c) = acc.claims.get_mut(&l.claim) {
                    let by = own.issuer.clone();
                    c.links.push(Link {
                        by: by.to_string(),
                        evidence: l.evidence,
                        relation: l.relation,
                        note: l.note,
                        at,
                    });
                }
            }
        }
    }
}

/// A total that keeps its range: the sum of minimums and the sum of maximums.
/// An unknown maximum makes the total's maximum unknown (None); an unknown
/// minimum counts as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct SiteShare {
    pub site: ObjectRef,
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
                site: ObjectRef::parse("ngo/site").expect("ref"),
                consignment: Some("C1".into()),
                round: "r1".into(),
                period: corridor_statement::access::Window::starting(0),
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
