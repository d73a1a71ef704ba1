//! Views of custody and distribution, incidents and their grades, ceasefire
//! violations, claims, and the notification evidence around an incident.

use std::collections::BTreeMap;

use corridor_state::accountability::{fair_shares, reconcile, CasualtyTotals, Claim, Distribution, Incident};
use corridor_state::window_json;
use corridor_statement::accountability::ItemQuantity;
use corridor_statement::timefmt::format_ms;
use corridor_statement::ObjectRef;
use serde_json::{json, Value};

use crate::error::QueryError;
use crate::paging::take_page;
use crate::Service;

/// Default tolerance for flagging a consignment item: 2 % unaccounted.
pub const DEFAULT_TOLERANCE: f64 = 0.02;

fn not_found(what: &str, r: &impl std::fmt::Display) -> QueryError {
    QueryError::NotFound(format!("no {what} {r}"))
}

fn incident_json(i: &Incident) -> Value {
    let grade = i.grade().map(|g| {
        json!({"by": g.by, "occurrence": g.occurrence, "attribution": g.attribution,
            "attributed_to": g.attributed_to, "rationale": g.rationale, "at": g.at})
    });
    json!({
        "type": "Feature", "id": i.reference.to_string(), "geometry": i.report.geometry,
        "properties": {
            "ref": i.reference, "kind": i.report.kind, "reporter": i.reporter, "window": window_json(&i.window),
            "precision_m": i.report.precision_m, "alleged_perpetrator": i.report.alleged_perpetrator,
            "perpetrator_text": i.report.perpetrator_text, "casualties": i.report.casualties,
            "affected_sites": i.report.affected_sites, "affected_movements": i.report.affected_movements,
            "sources": i.report.sources, "reported": i.reported, "grade": grade,
            "assessments": i.assessments.len(),
        }
    })
}

impl Service {
    /// Reconciliation of a consignment, per item.
    pub async fn consignment(&self, id: &str, tolerance: f64) -> Result<Value, QueryError> {
        let p = self.inner.published.read().await;
        let acc = p.state.accountability();
        let chain = acc.consignment(id).ok_or_else(|| not_found("consignment", &id))?;
        let distributions: Vec<_> =
            acc.distributions().filter(|d| d.report.consignment.as_deref() == Some(id)).collect();
        let items = reconcile(chain, &distributions, tolerance);
        Ok(json!({"consignment": id, "tolerance": tolerance, "hand_offs": chain, "items": items,
            "flagged": items.iter().any(|i| i.flagged)}))
    }

    /// Distribution reports, and per round and item the per-person shares by
    /// site: `limit` rounds in round order from just after `after` (or only
    /// `round`), with the cursor of the next page.
    pub async fn distributions(&self, round: Option<&str>, after: Option<&str>, limit: usize) -> Value {
        let limit = limit.clamp(1, self.inner.limits.max_page);
        let p = self.inner.published.read().await;
        let mut by_round: BTreeMap<&str, Vec<&Distribution>> = BTreeMap::new();
        let wanted = |r: &str| round.is_none_or(|x| r == x) && after.is_none_or(|a| r > a);
        for d in p.state.accountability().distributions().filter(|d| wanted(&d.report.round)) {
            by_round.entry(d.report.round.as_str()).or_default().push(d);
        }
        let (page, next) = take_page(by_round.into_iter(), limit, |(round, _)| round.to_string());
        let rounds: Vec<Value> = page.iter().map(|(round, ds)| round_json(round, ds)).collect();
        let reports: Vec<&Distribution> = page.into_iter().flat_map(|(_, ds)| ds).collect();
        json!({"reports": reports, "rounds": rounds, "next_after": next})
    }

    /// Incidents as GeoJSON, in reference order from `after`, at most `limit`,
    /// with range totals over the page and the cursor for the next one.
    pub async fn incidents(&self, party: Option<&str>, after: Option<&ObjectRef>, limit: usize) -> Value {
        self.incidents_upto(party, after, limit.clamp(1, self.inner.limits.max_page)).await
    }

    /// Incidents as [`Service::incidents`], at most `limit` of them (exports pass more than a page).
    pub(crate) async fn incidents_upto(
        &self,
        party: Option<&str>,
        after: Option<&ObjectRef>,
        limit: usize,
    ) -> Value {
        let p = self.inner.published.read().await;
        let matching = p.state.accountability().incidents().filter(|i| {
            after.is_none_or(|a| &i.reference > a)
                && party.is_none_or(|q| i.reporter == q || i.report.alleged_perpetrator.as_deref() == Some(q))
        });
        let (list, next) = take_page(matching, limit, |i| i.reference.to_string());
        let totals = list.iter().fold(CasualtyTotals::default(), |t, i| t.plus(&i.report));
        json!({"type": "FeatureCollection", "features": list.iter().map(|i| incident_json(i)).collect::<Vec<_>>(),
            "totals": totals, "next_after": next})
    }

    /// Incidents inside an agreement's area and window, tallied by alleged
    /// perpetrator × occurrence grade and by reporting party.
    pub async fn violations(&self, r: &ObjectRef) -> Result<Value, QueryError> {
        let p = self.inner.published.read().await;
        let agreement = p
            .state
            .access()
            .agreements()
            .find(|a| &a.reference == r)
            .ok_or_else(|| not_found("agreement", r))?;
        let inside = |i: &&Incident| {
            let in_area = match (&agreement.geom, &i.geom) {
                (Some(area), Some(g)) => corridor_geo::within(area, g, i.report.precision_m),
                (None, _) => true,
                (Some(_), None) => false,
            };
            in_area && agreement.window.overlaps(&i.window)
        };
        let incidents: Vec<&Incident> = p.state.accountability().incidents().filter(inside).collect();
        let mut by_perpetrator: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut by_reporter: BTreeMap<String, (u64, CasualtyTotals)> = BTreeMap::new();
        for i in &incidents {
            let who = i.report.alleged_perpetrator.clone().unwrap_or_else(|| "unknown".into());
            let grade = i.grade().map_or("unassessed".to_owned(), |g| {
                serde_json::to_value(g.occurrence)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            *by_perpetrator.entry(who).or_default().entry(grade).or_default() += 1;
            let e = by_reporter.entry(i.reporter.clone()).or_insert((0, CasualtyTotals::default()));
            *e = (e.0 + 1, e.1.plus(&i.report));
        }
        let reporters: BTreeMap<String, Value> = by_reporter
            .into_iter()
            .map(|(k, (n, t))| (k, json!({"incidents": n, "casualties": t})))
            .collect();
        Ok(
            json!({"agreement": r, "incidents": incidents.iter().map(|i| i.reference.to_string()).collect::<Vec<_>>(),
            "by_alleged_perpetrator": by_perpetrator, "by_reporting_party": reporters}),
        )
    }

    /// A claim with its linked evidence, for and against.
    pub async fn claim(&self, r: &ObjectRef) -> Result<Value, QueryError> {
        let p = self.inner.published.read().await;
        let c = p.state.accountability().claim(r).ok_or_else(|| not_found("claim", r))?;
        Ok(claim_json(c))
    }

    /// Claims with their evidence in reference order, a page at a time.
    pub async fn claims(&self, after: Option<&ObjectRef>, limit: usize) -> Value {
        let limit = limit.clamp(1, self.inner.limits.max_page);
        let p = self.inner.published.read().await;
        let matching = p.state.accountability().claims_after(after);
        let (page, next) = take_page(matching, limit, |c| c.reference.to_string());
        json!({"claims": page.iter().map(|c| claim_json(c)).collect::<Vec<_>>(), "next_after": next})
    }

    /// Consignment ids with their hand-off count and latest hand-off, in id
    /// order, a page at a time; `/v1/consignments/{id}` reconciles one.
    pub async fn consignments(&self, after: Option<&str>, limit: usize) -> Value {
        let limit = limit.clamp(1, self.inner.limits.max_page);
        let p = self.inner.published.read().await;
        let matching = p.state.accountability().consignments_after(after);
        let (page, next) = take_page(matching, limit, |(id, _)| id.to_string());
        let page: Vec<Value> = page
            .into_iter()
            .map(|(id, chain)| json!({"consignment": id, "hand_offs": chain.len(), "last": chain.last()}))
            .collect();
        json!({"consignments": page, "next_after": next})
    }

    /// Every notified site and movement within reach of an incident (its
    /// precision plus the site's buffer or the movement's corridor), with the
    /// notification's entry and sequencing time relative to the incident
    /// window, and who acknowledged it when.
    pub async fn incident_evidence(&self, r: &ObjectRef) -> Result<Value, QueryError> {
        let p = self.inner.published.read().await;
        let incident = p.state.accountability().incident(r).ok_or_else(|| not_found("incident", r))?;
        let Some(point) = &incident.geom else {
            return Err(QueryError::Store("incident without geometry".into()));
        };
        let timing = |at_us: i64| match (incident.window.from_us(), incident.window.to_us()) {
            (Some(f), _) if at_us < f => "before",
            (_, Some(t)) if at_us >= t => "after",
            _ => "during",
        };
        let acks = |target: &ObjectRef, index: u64| p.state.acknowledgements_of(target, index);
        let sites: Vec<Value> = p
            .state
            .access()
            .sites()
            .filter(|s| corridor_geo::within(point, &s.geom, incident.report.precision_m + s.buffer_m))
            .map(|s| json!({"site": s.reference, "name": s.name, "operator": s.operator, "entry": s.notified.index,
                "sequenced_at": format_ms(s.notified.at_us), "relative_to_incident": timing(s.notified.at_us),
                "distance_m": corridor_geo::distance_m(point, &s.geom), "acknowledged_by": acks(&s.reference, s.notified.index)}))
            .collect();
        let movements: Vec<Value> = p
            .state
            .access()
            .movements()
            .filter(|m| corridor_geo::within(point, &m.geom, incident.report.precision_m + m.plan.corridor_m))
            .map(|m| json!({"movement": m.reference, "requester": m.requester, "entry": m.requested.index,
                "sequenced_at": format_ms(m.requested.at_us), "relative_to_incident": timing(m.requested.at_us),
                "distance_m": corridor_geo::distance_m(point, &m.geom), "acknowledged_by": acks(&m.reference, m.requested.index)}))
            .collect();
        Ok(json!({"incident": incident_json(incident), "incident_entry": incident.reported.index,
            "notified_sites": sites, "notified_movements": movements}))
    }
}

/// A claim with its linked evidence sorted by relation.
fn claim_json(c: &Claim) -> Value {
    let of = |rel: &str| {
        c.links
            .iter()
            .filter(|l| {
                serde_json::to_value(l.relation).ok().and_then(|v| v.as_str().map(|s| s == rel)) == Some(true)
            })
            .collect::<Vec<_>>()
    };
    json!({"claim": c, "supports": of("supports"), "contradicts": of("contradicts"), "context": of("context")})
}

/// One round: per item, the per-person shares by site, their spread, and the
/// sites below plan.
fn round_json(round: &str, ds: &[&Distribution]) -> Value {
    let mut items: BTreeMap<(String, String), ItemQuantity> = BTreeMap::new();
    for d in ds {
        for q in &d.report.items {
            items.entry((q.item.clone(), q.unit.clone())).or_insert_with(|| q.clone());
        }
    }
    let shares: Vec<Value> = items
        .values()
        .map(|item| {
            let (sites, spread) = fair_shares(ds, item);
            json!({"item": item.item, "unit": item.unit, "sites": sites, "spread_per_person": spread,
                "below_plan": sites.iter().filter(|s| s.below_plan).map(|s| s.site.clone()).collect::<Vec<_>>()})
        })
        .collect();
    json!({"round": round, "items": shares})
}
