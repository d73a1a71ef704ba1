//! Views of custody and distribution, incidents and their grades, ceasefire
//! violations, claims, and the notification evidence around an incident. They
//! answer with borrowed records and the pure computations of `corridor-state`;
//! the API presents them.

use std::collections::BTreeMap;

use corridor_state::accountability::{
    fair_shares, reconcile, CasualtyTotals, Claim, Custody, Distribution, Incident, ItemReconciliation,
    SiteShare,
};
use corridor_state::views::{Evidence, Violations};
use corridor_statement::accountability::ItemQuantity;
use corridor_statement::ObjectRef;

use crate::error::QueryError;
use crate::paging::Page;
use crate::View;

/// Default tolerance for flagging a consignment item: 2 % unaccounted.
pub const DEFAULT_TOLERANCE: f64 = 0.02;

fn not_found(what: &str, r: &impl std::fmt::Display) -> QueryError {
    QueryError::NotFound(format!("no {what} {r}"))
}

/// A consignment's hand-offs and their reconciliation per item.
#[derive(Debug, Clone)]
pub struct ConsignmentView<'a> {
    pub id: String,
    pub tolerance: f64,
    pub hand_offs: &'a [Custody],
    pub items: Vec<ItemReconciliation>,
    pub flagged: bool,
}

/// One item of one distribution round: the per-person shares by site.
#[derive(Debug, Clone)]
pub struct ItemShares {
    pub item: ItemQuantity,
    pub sites: Vec<SiteShare>,
    pub spread_per_person: f64,
}

/// One distribution round: its reports and, per item, the shares by site.
#[derive(Debug, Clone)]
pub struct RoundShares<'a> {
    pub round: &'a str,
    pub reports: Vec<&'a Distribution>,
    pub items: Vec<ItemShares>,
}

/// A page of incidents with the range totals of their casualties.
#[derive(Debug, Clone)]
pub struct IncidentPage<'a> {
    pub page: Page<&'a Incident>,
    pub totals: CasualtyTotals,
}

impl<'a> View<'a> {
    /// Reconciliation of a consignment, per item, flagging beyond `tolerance`.
    pub fn consignment(&self, id: &str, tolerance: f64) -> Result<ConsignmentView<'a>, QueryError> {
        let acc = self.state.accountability();
        let chain = acc.consignment(id).ok_or_else(|| not_found("consignment", &id))?;
        let distributions: Vec<_> =
            acc.distributions().filter(|d| d.report.consignment.as_deref() == Some(id)).collect();
        let items = reconcile(chain, &distributions, tolerance);
        let flagged = items.iter().any(|i| i.flagged);
        Ok(ConsignmentView { id: id.to_owned(), tolerance, hand_offs: chain, items, flagged })
    }

    /// Consignment ids with their hand-offs, in id order, a page at a time.
    pub fn consignments(&self, after: Option<&str>, limit: usize) -> Page<(&'a String, &'a [Custody])> {
        let matching = self.state.accountability().consignments_after(after);
        Page::take(matching, limit, |(id, _)| id.to_string())
    }

    /// Distribution rounds in round order from just after `after` (or only
    /// `round`), each with its reports and per-item shares by site.
    pub fn distributions(
        &self,
        round: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Page<RoundShares<'a>> {
        let mut by_round: BTreeMap<&'a str, Vec<&'a Distribution>> = BTreeMap::new();
        let wanted = |r: &str| round.is_none_or(|x| r == x) && after.is_none_or(|a| r > a);
        for d in self.state.accountability().distributions().filter(|d| wanted(&d.report.round)) {
            by_round.entry(d.report.round.as_str()).or_default().push(d);
        }
        let page = Page::take(by_round.into_iter(), limit, |(round, _)| round.to_string());
        Page {
            items: page.items.into_iter().map(|(round, reports)| round_shares(round, reports)).collect(),
            next_after: page.next_after,
        }
    }

    /// Incidents in reference order from just after `after`, reported by or
    /// alleged against `party` if given, with the range totals over the page.
    pub fn incidents(
        &self,
        party: Option<&str>,
        after: Option<&ObjectRef>,
        limit: usize,
    ) -> IncidentPage<'a> {
        let matching = self.state.accountability().incidents_after(after).filter(|i| {
            party.is_none_or(|q| i.reporter == q || i.report.alleged_perpetrator.as_deref() == Some(q))
        });
        let page = Page::take(matching, limit, |i| i.reference.to_string());
        let totals = page.items.iter().fold(CasualtyTotals::default(), |t, i| t.plus(&i.report));
        IncidentPage { page, totals }
    }

    /// Incidents inside an agreement's area and window, tallied.
    pub fn violations(&self, r: &ObjectRef) -> Result<Violations<'a>, QueryError> {
        self.state.violations(r).ok_or_else(|| not_found("agreement", r))
    }

    /// Every notified site and movement within reach of an incident.
    pub fn incident_evidence(&self, r: &ObjectRef) -> Result<Evidence<'a>, QueryError> {
        self.state.incident_evidence(r).ok_or_else(|| not_found("incident", r))
    }

    pub fn claim(&self, r: &ObjectRef) -> Result<&'a Claim, QueryError> {
        self.state.accountability().claim(r).ok_or_else(|| not_found("claim", r))
    }

    /// Claims with their evidence in reference order, a page at a time.
    pub fn claims(&self, after: Option<&ObjectRef>, limit: usize) -> Page<&'a Claim> {
        Page::take(self.state.accountability().claims_after(after), limit, |c| c.reference.to_string())
    }
}

/// One round: per item (in item, unit order), the per-person shares by site
/// and their spread.
fn round_shares<'a>(round: &'a str, reports: Vec<&'a Distribution>) -> RoundShares<'a> {
    let mut items: BTreeMap<(&str, &str), &ItemQuantity> = BTreeMap::new();
    for d in &reports {
        for q in &d.report.items {
            items.entry((q.item.as_str(), q.unit.as_str())).or_insert(q);
        }
    }
    let items = items
        .into_values()
        .map(|item| {
            let (sites, spread_per_person) = fair_shares(&reports, item);
            ItemShares { item: item.clone(), sites, spread_per_person }
        })
        .collect();
    RoundShares { round, reports, items }
}
