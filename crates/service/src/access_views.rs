//! Views of zones, sites, movements, operations, agreements and conflicts, as
//! GeoJSON FeatureCollections with filters and pages (brief §6, §7).
//!
//! "Now" (for waiting clocks and expiry) comes from the injected clock.

use corridor_state::access::{Agreement, Conflict, Movement, Operation, Site, Zone};
use corridor_statement::access::Window;
use corridor_statement::timefmt::format_us;
use corridor_statement::ObjectRef;
use serde_json::{json, Value};

use crate::error::QueryError;
use crate::paging::take_page;
use crate::Service;

/// Which objects a listing returns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// The state as it was at this time (µs): filed by then, valid then, not yet withdrawn.
    pub at_us: Option<i64>,
    pub party: Option<String>,
    pub status: Option<String>,
    /// Page: objects after this reference, in reference order.
    pub after: Option<ObjectRef>,
    pub limit: usize,
}

use corridor_state::window_json;

/// The bounding box of a GeoJSON geometry's positions.
fn bbox_of(g: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, b: &mut [f64; 4]) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0));
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
            Some(a) => a.iter().for_each(|c| walk(c, b)),
            None => {}
        }
    }
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    walk(g.get("coordinates")?, &mut b);
    b[0].is_finite().then_some(b)
}

fn in_bbox(g: &Value, filter: &Filter) -> bool {
    let (Some(f), Some(b)) = (filter.bbox, bbox_of(g)) else { return true };
    b[0] <= f[2] && f[0] <= b[2] && b[1] <= f[3] && f[1] <= b[3]
}

/// Whether an object filed at `filed_us`, valid in `window`, withdrawn at
/// `ended_us`, existed at the filter's time.
fn at_time(filter: &Filter, filed_us: i64, window: &Window, ended_us: Option<i64>) -> bool {
    filter.at_us.is_none_or(|at| filed_us <= at && window.contains(at) && ended_us.is_none_or(|e| at < e))
}

fn live_status(ended: bool) -> &'static str {
    if ended {
        "withdrawn"
    } else {
        "active"
    }
}

fn feature(r: &ObjectRef, geometry: &Value, properties: Value) -> Value {
    json!({"type": "Feature", "id": r.to_string(), "geometry": geometry, "properties": properties})
}

/// A page of at most `limit` features, with the cursor of the next page.
fn page(items: impl Iterator<Item = (ObjectRef, Value)>, limit: usize) -> Value {
    let (items, next) = take_page(items, limit, |(r, _)| r.to_string());
    let features: Vec<Value> = items.into_iter().map(|(_, f)| f).collect();
    json!({"type": "FeatureCollection", "features": features, "next_after": next})
}

fn after_ok(filter: &Filter, r: &ObjectRef) -> bool {
    filter.after.as_ref().is_none_or(|a| r > a)
}

fn status_ok(filter: &Filter, status: &str) -> bool {
    filter.status.as_deref().is_none_or(|s| s == status)
}

fn party_ok(filter: &Filter, parties: &[&str]) -> bool {
    filter.party.as_deref().is_none_or(|p| parties.contains(&p))
}

fn zone_feature(z: &Zone) -> Value {
    feature(
        &z.reference,
        &z.geometry,
        json!({
            "ref": z.reference, "kind": "zone", "party": z.party, "name": z.name, "window": window_json(&z.window),
            "declared": z.declared, "withdrawn": z.withdrawn, "status": live_status(z.withdrawn.is_some()),
        }),
    )
}

fn site_feature(s: &Site) -> Value {
    feature(
        &s.reference,
        &s.geometry,
        json!({
            "ref": s.reference, "kind": "site", "issuer": s.issuer, "operator": s.operator, "name": s.name,
            "category": s.category, "buffer_m": s.buffer_m, "people": s.people, "window": window_json(&s.window),
            "notified": s.notified, "withdrawn": s.withdrawn, "status": live_status(s.withdrawn.is_some()),
        }),
    )
}

fn operation_feature(o: &Operation) -> Value {
    feature(
        &o.reference,
        &o.geometry,
        json!({
            "ref": o.reference, "kind": "operation", "party": o.party, "name": o.name, "standoff_m": o.standoff_m,
            "notified_parties": o.notified_parties, "window": window_json(&o.window), "notified": o.notified,
            "withdrawn": o.withdrawn, "status": live_status(o.withdrawn.is_some()),
        }),
    )
}

fn agreement_feature(a: &Agreement) -> Value {
    let corridors: Vec<Value> = a
        .corridors
        .iter()
        .map(|c| json!({"name": c.name, "route": c.route, "corridor_m": c.corridor_m, "window": window_json(&c.window)}))
        .collect();
    let geometry = a.geometry.clone().unwrap_or(Value::Null);
    feature(
        &a.reference,
        &geometry,
        json!({
            "ref": a.reference, "kind": "agreement", "agreement_kind": a.kind, "issuer": a.issuer, "name": a.name,
            "parties": a.parties, "acceded": a.acceded, "window": window_json(&a.window), "terms": a.terms,
            "corridors": corridors, "declared": a.declared,
        }),
    )
}

/// Required approvers with their clocks (brief §6, "Clearance of a movement").
fn approvers_json(m: &Movement, now_us: i64) -> Vec<Value> {
    m.approvers
        .iter()
        .map(|(party, a)| {
            let until = a.response.as_ref().map_or(now_us, |r| r.at.at_us);
            json!({
                "party": party,
                "reasons": a.reasons,
                "asked_at": format_us(a.asked.at_us),
                "acknowledged_at": a.acknowledged.map(|s| format_us(s.at_us)),
                "response": a.response.as_ref().map(|r| json!({
                    "decision": r.decision, "conditions": r.conditions, "reason": r.reason, "at": format_us(r.at.at_us),
                })),
                "waiting_s": ((until - a.asked.at_us).max(0) / 1_000_000),
            })
        })
        .collect()
}

pub fn movement_json(m: &Movement, now_us: i64) -> Value {
    json!({
        "ref": m.reference, "kind": "movement", "requester": m.requester, "status": m.status(now_us).as_str(),
        "purpose": m.plan.purpose, "route": m.plan.route, "corridor_m": m.plan.corridor_m,
        "window": window_json(&m.window), "origin": m.plan.origin, "destination": m.plan.destination,
        "origin_site": m.plan.origin_site, "destination_site": m.plan.destination_site,
        "vehicles": m.plan.vehicles, "people": m.plan.people, "escort_from": m.plan.escort_from,
        "manifest": m.plan.manifest, "consignment": m.plan.consignment, "requested": m.requested,
        "asked": m.asked, "amendments": m.amendments, "progress": m.progress.map(|(s, at)| json!({"status": s, "at": at})),
        "last_position": m.last_position, "cancelled": m.cancelled,
        "required_approvers": approvers_json(m, now_us),
    })
}

fn conflict_json(c: &Conflict) -> Value {
    json!({
        "operation": c.operation, "with": c.with, "distance_m": c.distance_m, "threshold_m": c.threshold_m,
        "overlap": window_json(&c.overlap), "found": c.found, "parties": c.parties,
    })
}

impl Service {
    fn now_us(&self) -> i64 {
        self.inner.clock.now_us()
    }

    fn limit(&self, f: &Filter) -> usize {
        f.limit.clamp(1, self.inner.limits.max_page)
    }

    pub async fn zones(&self, f: &Filter) -> Value {
        let p = self.inner.published.read().await;
        let items = p.state.access().zones().filter(|z| {
            after_ok(f, &z.reference)
                && party_ok(f, &[&z.party])
                && status_ok(f, live_status(z.withdrawn.is_some()))
                && in_bbox(&z.geometry, f)
                && at_time(f, z.declared.at_us, &z.window, z.withdrawn.as_ref().map(|e| e.at.at_us))
        });
        page(items.map(|z| (z.reference.clone(), zone_feature(z))), self.limit(f))
    }

    pub async fn sites(&self, f: &Filter) -> Value {
        self.sites_upto(f, self.limit(f)).await
    }

    /// Sites matching `f`, at most `limit` of them (exports pass more than a page).
    pub(crate) async fn sites_upto(&self, f: &Filter, limit: usize) -> Value {
        let p = self.inner.published.read().await;
        let items = p.state.access().sites().filter(|s| {
            after_ok(f, &s.reference)
                && party_ok(f, &[&s.issuer, &s.operator])
                && status_ok(f, live_status(s.withdrawn.is_some()))
                && in_bbox(&s.geometry, f)
                && at_time(f, s.notified.at_us, &s.window, s.withdrawn.as_ref().map(|e| e.at.at_us))
        });
        page(items.map(|s| (s.reference.clone(), site_feature(s))), limit)
    }

    pub async fn operations(&self, f: &Filter) -> Value {
        let p = self.inner.published.read().await;
        let items = p.state.access().operations().filter(|o| {
            let mut parties = vec![o.party.as_str()];
            parties.extend(o.notified_parties.iter().map(String::as_str));
            after_ok(f, &o.reference)
                && party_ok(f, &parties)
                && status_ok(f, live_status(o.withdrawn.is_some()))
                && in_bbox(&o.geometry, f)
                && at_time(f, o.notified.at_us, &o.window, o.withdrawn.as_ref().map(|e| e.at.at_us))
        });
        page(items.map(|o| (o.reference.clone(), operation_feature(o))), self.limit(f))
    }

    pub async fn agreements(&self, f: &Filter) -> Value {
        let p = self.inner.published.read().await;
        let items = p.state.access().agreements().filter(|a| {
            let mut parties: Vec<&str> = a.parties.iter().map(String::as_str).collect();
            parties.push(&a.issuer);
            let geometry = a.geometry.clone().unwrap_or(Value::Null);
            after_ok(f, &a.reference)
                && party_ok(f, &parties)
                && in_bbox(&geometry, f)
                && at_time(f, a.declared.at_us, &a.window, None)
        });
        page(items.map(|a| (a.reference.clone(), agreement_feature(a))), self.limit(f))
    }

    pub async fn movements(&self, f: &Filter) -> Value {
        self.movements_upto(f, self.limit(f)).await
    }

    /// Movements matching `f`, at most `limit` of them (exports pass more than a page).
    pub(crate) async fn movements_upto(&self, f: &Filter, limit: usize) -> Value {
        let now = f.at_us.unwrap_or_else(|| self.now_us());
        let p = self.inner.published.read().await;
        let items = p.state.access().movements().filter(|m| {
            let mut parties = vec![m.requester.as_str()];
            parties.extend(m.approvers.keys().map(String::as_str));
            after_ok(f, &m.reference)
                && party_ok(f, &parties)
                && status_ok(f, m.status(now).as_str())
                && in_bbox(&m.plan.route, f)
                && at_time(f, m.requested.at_us, &Window::always(), None)
        });
        let features =
            items.map(|m| (m.reference.clone(), feature(&m.reference, &m.plan.route, movement_json(m, now))));
        page(features, limit)
    }

    pub async fn movement(&self, r: &ObjectRef) -> Result<Value, QueryError> {
        let now = self.now_us();
        let p = self.inner.published.read().await;
        let m =
            p.state.access().movement(r).ok_or_else(|| QueryError::NotFound(format!("no movement {r}")))?;
        Ok(movement_json(m, now))
    }

    /// Conflicts shown to `party` (or all), newest last, paged by position.
    pub async fn conflicts(&self, party: Option<&str>, after: usize, limit: usize) -> Value {
        let limit = limit.clamp(1, self.inner.limits.max_page);
        let p = self.inner.published.read().await;
        let all = p.state.access().conflicts();
        let mut out = Vec::new();
        let mut next = None;
        for (i, c) in all.iter().enumerate().skip(after) {
            if party.is_some_and(|p| !c.parties.iter().any(|q| q == p)) {
                continue;
            }
            if out.len() == limit {
                next = Some(i);
                break;
            }
            out.push(conflict_json(c));
        }
        json!({"conflicts": out, "next_after": next})
    }
}
