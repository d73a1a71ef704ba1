//! Access and deconfliction in the fold (brief §5–§6): zones of control, notified
//! sites, movements and their clearance, areas of operation and the conflicts
//! they raise, agreements and their corridors.
//!
//! Every decision is a pure function of the log so far. Spatial questions go to
//! the `corridor-geo` index, whose answers are sorted so that the fold stays
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};

use corridor_statement::access::{
    check_plan, parse_window as parse_statement_window, AgreementDeclare, Decision, MovementAmend,
    MovementPlan, MovementRespond, MovementUpdate, OperationNotify, SiteCategory, SiteNotify, UpdateStatus,
    Window, ZoneDeclare,
};
use corridor_statement::body::PartyKind;
use corridor_statement::{ObjectRef, StatementError};
use serde::Serialize;
use serde_json::Value;

use crate::{Rejection, Stamp};
use corridor_geo::{Geometry as Geom, IndexedObject, KindSet, Query, SpatioTemporalIndex};
use corridor_statement::geometry::geometry_error_code;

/// Most live objects of each kind; a bound on memory and on every scan.
pub const MAX_OBJECTS_PER_KIND: usize = 2_000_000;

/// One spatio-temporal index over zones, sites, movements and operations, keyed
/// by reference (unique across kinds). Each object carries its reach (a site's
/// buffer, a movement's corridor, an operation's standoff), which the index adds
/// to every query distance.
#[derive(Debug, Clone, Default)]
struct Index(SpatioTemporalIndex<ObjectRef, ObjectKind>);

/// The kinds of object the fold indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Site,
    Zone,
    Operation,
    Movement,
}

impl corridor_geo::Kind for ObjectKind {
    fn ordinal(self) -> u8 {
        self as u8
    }
}

impl Index {
    fn insert(&mut self, kind: ObjectKind, r: &ObjectRef, geometry: &Geom, window: Window, reach_m: f64) {
        let geometry = std::sync::Arc::new(geometry.clone());
        self.0.insert(r.clone(), IndexedObject { kind, geometry, window, reach_m });
    }

    fn remove(&mut self, r: &ObjectRef) {
        self.0.remove(r);
    }

    /// Objects of `kind` within `d_m` (plus their reach) of `g` during `w`, sorted.
    fn query(&self, kind: ObjectKind, g: &Geom, d_m: f64, w: Window) -> Vec<ObjectRef> {
        let q = Query { geometry: g, distance_m: d_m, window: w, kinds: KindSet::only(kind) };
        let mut out: Vec<ObjectRef> = self.0.query(&q).into_iter().cloned().collect();
        out.sort();
        out
    }
}

/// When and why an object stopped applying.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ended {
    pub at: Stamp,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub party: String,
    pub name: String,
    pub geometry: Value,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub declared: Stamp,
    pub withdrawn: Option<Ended>,
    #[serde(skip)]
    pub geom: Geom,
}

#[derive(Debug, Clone, Serialize)]
pub struct Site {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub issuer: String,
    pub operator: String,
    pub name: String,
    pub category: SiteCategory,
    pub geometry: Value,
    pub buffer_m: f64,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub people: Option<u64>,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
    #[serde(skip)]
    pub geom: Geom,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub party: String,
    pub name: String,
    pub geometry: Value,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub standoff_m: f64,
    pub notified_parties: Vec<String>,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
    #[serde(skip)]
    pub geom: Geom,
}

#[derive(Debug, Clone, Serialize)]
pub struct Corridor {
    pub name: String,
    pub route: Value,
    pub corridor_m: f64,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    #[serde(skip)]
    pub geom: Geom,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub issuer: String,
    pub name: String,
    pub kind: corridor_statement::access::AgreementKind,
    pub parties: Vec<String>,
    pub acceded: BTreeMap<String, Stamp>,
    pub geometry: Option<Value>,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub terms: Vec<String>,
    pub corridors: Vec<Corridor>,
    pub declared: Stamp,
    #[serde(skip)]
    pub geom: Option<Geom>,
}

/// Why a party must clear a movement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    Zone { zone: String },
    Escort,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub reason: Option<String>,
    pub at: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approver {
    pub reasons: Vec<Reason>,
    pub asked: Stamp,
    pub acknowledged: Option<Stamp>,
    pub response: Option<Response>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Movement {
    #[serde(rename = "ref")]
    pub reference: ObjectRef,
    pub requester: String,
    pub plan: MovementPlan,
    #[serde(serialize_with = "crate::ser_window")]
    pub window: Window,
    pub requested: Stamp,
    /// The last request or amendment: responses before it no longer count.
    pub asked: Stamp,
    pub amendments: u32,
    pub approvers: BTreeMap<String, Approver>,
    pub progress: Option<(UpdateStatus, Stamp)>,
    pub last_position: Option<Value>,
    pub cancelled: Option<Ended>,
    #[serde(skip)]
    pub geom: Geom,
}

/// Clearance status of a movement (brief §6), plus `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementStatus {
    Pending,
    Cleared,
    ClearedWithConditions,
    Denied,
    Underway,
    Arrived,
    Aborted,
    Expired,
    Cancelled,
}

impl MovementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Cleared => "cleared",
            Self::ClearedWithConditions => "cleared_with_conditions",
            Self::Denied => "denied",
            Self::Underway => "underway",
            Self::Arrived => "arrived",
            Self::Aborted => "aborted",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

impl Movement {
    /// The status at `now_us`: progress reports first, then responses, then time.
    pub fn status(&self, now_us: i64) -> MovementStatus {
        if self.cancelled.is_some() {
            return MovementStatus::Cancelled;
        }
        match self.progress.map(|p| p.0) {
            Some(UpdateStatus::Arrived) => return MovementStatus::Arrived,
            Some(UpdateStatus::Aborted) => return MovementStatus::Aborted,
            Some(_) => return MovementStatus::Underway,
            None => {}
        }
        let responses: Vec<_> = self.approvers.values().map(|a| a.response.as_ref()).collect();
        if responses.iter().flatten().any(|r| r.decision == Decision::Deny) {
            return MovementStatus::Denied;
        }
        if responses.iter().all(Option::is_some) {
            let conditional =
                responses.iter().flatten().any(|r| r.decision == Decision::ApproveWithConditions);
            return if conditional { MovementStatus::ClearedWithConditions } else { MovementStatus::Cleared };
        }
        if self.window.to_us().is_some_and(|to| now_us >= to) {
            return MovementStatus::Expired;
        }
        MovementStatus::Pending
    }

    /// Whether the movement can still change clearance (not cancelled, not ended).
    fn open(&self) -> bool {
        self.cancelled.is_none()
            && !matches!(self.progress.map(|p| p.0), Some(UpdateStatus::Arrived | UpdateStatus::Aborted))
    }
}

/// What an operation conflicts with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConflictTarget {
    Site { site: String },
    Movement { movement: String },
    Corridor { agreement: String, corridor: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub operation: String,
    pub with: ConflictTarget,
    pub distance_m: f64,
    /// The distance at or under which they conflict (corridor/buffer + standoff).
    pub threshold_m: f64,
    #[serde(serialize_with = "crate::ser_window")]
    pub overlap: Window,
    pub found: Stamp,
    /// Who is told: the operation's issuer and the site operator or movement requester.
    pub parties: Vec<String>,
}

/// A notice for a party, pushed as an event after the batch is durable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub party: String,
    pub kind: &'static str,
    pub subject: String,
    pub detail: Value,
}

#[derive(Debug, Clone, Default)]
pub struct Access {
    pub(crate) zones: BTreeMap<ObjectRef, Zone>,
    pub(crate) sites: BTreeMap<ObjectRef, Site>,
    pub(crate) movements: BTreeMap<ObjectRef, Movement>,
    pub(crate) operations: BTreeMap<ObjectRef, Operation>,
    pub(crate) agreements: BTreeMap<ObjectRef, Agreement>,
    pub(crate) conflicts: Vec<Conflict>,
    index: Index,
    /// Movements by the index of the entry that requested them (acknowledgements may name either).
    movement_by_index: BTreeMap<u64, ObjectRef>,
}

fn geometry_rejection(e: StatementError) -> Rejection {
    Rejection::InvalidBody(e.to_string())
}

fn parse_window(v: &Value) -> Result<Window, Rejection> {
    parse_statement_window("window", v).map_err(geometry_rejection)
}

fn parse_geom(v: &Value) -> Result<Geom, Rejection> {
    Geom::from_geojson(v)
        .map_err(|e| Rejection::InvalidGeometry { code: geometry_error_code(&e), detail: e.to_string() })
}

/// Refuses the first of `ids` that is not a registered party.
fn all_registered<'a>(
    parties: &Parties<'_>,
    ids: impl IntoIterator<Item = &'a String>,
) -> Result<(), Rejection> {
    match ids.into_iter().find(|p| (parties.kind_of)(p).is_none()) {
        Some(p) => Err(Rejection::UnknownParty(p.clone())),
        None => Ok(()),
    }
}

/// Read-only checks that need the parties (from the rest of the state).
pub(crate) struct Parties<'a> {
    pub kind_of: &'a dyn Fn(&str) -> Option<PartyKind>,
}

impl Access {
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    pub fn sites(&self) -> impl Iterator<Item = &Site> {
        self.sites.values()
    }

    pub fn movements(&self) -> impl Iterator<Item = &Movement> {
        self.movements.values()
    }

    pub fn movement(&self, r: &ObjectRef) -> Option<&Movement> {
        self.movements.get(r)
    }

    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.values()
    }

    pub fn agreements(&self) -> impl Iterator<Item = &Agreement> {
        self.agreements.values()
    }

    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    pub(crate) fn movement_at_index(&self, index: u64) -> Option<ObjectRef> {
        self.movement_by_index.get(&index).cloned()
    }

    /// Everything, in a canonical JSON form, for the state digest.
    pub(crate) fn digest_value(&self) -> Value {
        serde_json::json!({
            "zones": self.zones.values().collect::<Vec<_>>(),
            "sites": self.sites.values().collect::<Vec<_>>(),
            "movements": self.movements.values().collect::<Vec<_>>(),
            "operations": self.operations.values().collect::<Vec<_>>(),
            "agreements": self.agreements.values().collect::<Vec<_>>(),
            "conflicts": self.conflicts,
        })
    }

    fn check_room<T>(map: &BTreeMap<ObjectRef, T>) -> Result<(), Rejection> {
        if map.len() >= MAX_OBJECTS_PER_KIND {
            return Err(Rejection::LimitReached("objects of this kind"));
        }
        Ok(())
    }

    // ---- checks (no mutation) ----

    pub(crate) fn check_zone(
        &self,
        issuer: &str,
        z: &ZoneDeclare,
        parties: &Parties<'_>,
    ) -> Result<(), Rejection> {
        if !matches!((parties.kind_of)(issuer), Some(PartyKind::Authority | PartyKind::ArmedForce)) {
            return Err(Rejection::Unauthorized(
                "only authorities and armed forces declare zones of control".into(),
            ));
        }
        Self::check_room(&self.zones)?;
        parse_geom(&z.geometry)?;
        parse_window(&z.window).map(|_| ())
    }

    /// An object may be withdrawn once, by its issuer.
    fn check_withdraw(issuer: &str, owner: Option<(&str, bool)>, r: &ObjectRef) -> Result<(), Rejection> {
        match owner {
            None => Err(Rejection::UnknownRef(r.to_string())),
            Some((owner, _)) if owner != issuer => {
                Err(Rejection::Unauthorized(format!("only {owner} withdraws or changes {r}")))
            }
            Some((_, true)) => Err(Rejection::AlreadyEnded(r.to_string())),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn check_zone_withdraw(&self, issuer: &str, r: &ObjectRef) -> Result<(), Rejection> {
        let owner = self.zones.get(r).map(|z| (z.party.as_str(), z.withdrawn.is_some()));
        Self::check_withdraw(issuer, owner, r)
    }

    pub(crate) fn check_site(&self, s: &SiteNotify, parties: &Parties<'_>) -> Result<(), Rejection> {
        all_registered(parties, &s.operator)?;
        Self::check_room(&self.sites)?;
        parse_geom(&s.geometry)?;
        parse_window(&s.window).map(|_| ())
    }

    pub(crate) fn check_site_withdraw(&self, issuer: &str, r: &ObjectRef) -> Result<(), Rejection> {
        let owner = self.sites.get(r).map(|s| (s.issuer.as_str(), s.withdrawn.is_some()));
        Self::check_withdraw(issuer, owner, r)
    }

    pub(crate) fn check_plan_refs(
        &self,
        plan: &MovementPlan,
        parties: &Parties<'_>,
    ) -> Result<(), Rejection> {
        all_registered(parties, &plan.escort_from)?;
        for site in [&plan.origin_site, &plan.destination_site].into_iter().flatten() {
            if ObjectRef::parse(site).is_none_or(|r| !self.sites.contains_key(&r)) {
                return Err(Rejection::UnknownRef(site.clone()));
            }
        }
        parse_geom(&plan.route)?;
        parse_window(&plan.window).map(|_| ())
    }

    pub(crate) fn check_request(&self, plan: &MovementPlan, parties: &Parties<'_>) -> Result<(), Rejection> {
        Self::check_room(&self.movements)?;
        self.check_plan_refs(plan, parties)
    }

    /// The movement `r`, which `issuer` filed and which is still open.
    fn own_open_movement(&self, issuer: &str, r: &ObjectRef) -> Result<&Movement, Rejection> {
        let m = self.movements.get(r).ok_or_else(|| Rejection::UnknownRef(r.to_string()))?;
        if m.requester != issuer {
            return Err(Rejection::Unauthorized(format!("only the requester {} changes {r}", m.requester)));
        }
        if !m.open() {
            return Err(Rejection::AlreadyEnded(r.to_string()));
        }
        Ok(m)
    }

    /// The plan after an amendment, validated as a whole.
    pub(crate) fn amended_plan(&self, issuer: &str, a: &MovementAmend) -> Result<MovementPlan, Rejection> {
        let m = self.own_open_movement(issuer, &a.movement)?;
        let mut plan = serde_json::to_value(&m.plan).map_err(|e| Rejection::InvalidBody(e.to_string()))?;
        if let Value::Object(map) = &mut plan {
            for (k, v) in &a.changes {
                map.insert(k.clone(), v.clone());
            }
        }
        let plan: MovementPlan =
            serde_json::from_value(plan).map_err(|e| Rejection::InvalidBody(e.to_string()))?;
        check_plan(&plan).map_err(geometry_rejection)?;
        Ok(plan)
    }

    pub(crate) fn check_cancel(&self, issuer: &str, r: &ObjectRef) -> Result<(), Rejection> {
        self.own_open_movement(issuer, r).map(|_| ())
    }

    pub(crate) fn check_update(&self, issuer: &str, u: &MovementUpdate) -> Result<(), Rejection> {
        self.own_open_movement(issuer, &u.movement).map(|_| ())
    }

    pub(crate) fn check_respond(&self, issuer: &str, r: &MovementRespond) -> Result<(), Rejection> {
        let m =
            self.movements.get(&r.movement).ok_or_else(|| Rejection::UnknownRef(r.movement.to_string()))?;
        if !m.approvers.contains_key(issuer) {
            return Err(Rejection::Unauthorized(format!(
                "{issuer} is not a required approver of {}",
                r.movement
            )));
        }
        if !m.open() {
            return Err(Rejection::AlreadyEnded(r.movement.to_string()));
        }
        Ok(())
    }

    pub(crate) fn check_operation(
        &self,
        issuer: &str,
        o: &OperationNotify,
        parties: &Parties<'_>,
    ) -> Result<(), Rejection> {
        if !matches!((parties.kind_of)(issuer), Some(PartyKind::Authority | PartyKind::ArmedForce)) {
            return Err(Rejection::Unauthorized(
                "only armed forces and authorities notify areas of operation".into(),
            ));
        }
        all_registered(parties, &o.notified)?;
        Self::check_room(&self.operations)?;
        parse_geom(&o.geometry)?;
        parse_window(&o.window).map(|_| ())
    }

    pub(crate) fn check_operation_withdraw(&self, issuer: &str, r: &ObjectRef) -> Result<(), Rejection> {
        let owner = self.operations.get(r).map(|o| (o.party.as_str(), o.withdrawn.is_some()));
        Self::check_withdraw(issuer, owner, r)
    }

    pub(crate) fn check_agreement(
        &self,
        a: &AgreementDeclare,
        parties: &Parties<'_>,
    ) -> Result<(), Rejection> {
        all_registered(parties, &a.parties)?;
        Self::check_room(&self.agreements)?;
        if let Some(g) = &a.geometry {
            parse_geom(g)?;
        }
        for c in &a.corridors {
            parse_geom(&c.route)?;
        }
        parse_window(&a.window).map(|_| ())
    }

    pub(crate) fn check_accede(&self, issuer: &str, r: &ObjectRef) -> Result<(), Rejection> {
        let a = self.agreements.get(r).ok_or_else(|| Rejection::UnknownRef(r.to_string()))?;
        if !a.parties.iter().any(|p| p == issuer) {
            return Err(Rejection::Unauthorized(format!("{issuer} is not a party to {r}")));
        }
        if a.acceded.contains_key(issuer) {
            return Err(Rejection::AlreadyEnded(format!("{issuer} already acceded to {r}")));
        }
        Ok(())
    }

    // ---- commits (after the checks passed; cannot fail) ----

    pub(crate) fn declare_zone(&mut self, r: ObjectRef, z: &ZoneDeclare, at: Stamp) -> Vec<Notice> {
        let (Ok(geom), Ok(window)) = (parse_geom(&z.geometry), parse_window(&z.window)) else {
            return vec![];
        };
        self.index.insert(ObjectKind::Zone, &r, &geom, window, 0.0);
        let zone = Zone {
            reference: r.clone(),
            party: r.issuer.clone(),
            name: z.name.clone(),
            geometry: z.geometry.clone(),
            window,
            declared: at,
            withdrawn: None,
            geom,
        };
        self.zones.insert(r, zone);
        self.recompute_pending(at)
    }

    pub(crate) fn withdraw_zone(&mut self, r: &ObjectRef, reason: Option<String>, at: Stamp) -> Vec<Notice> {
        if let Some(z) = self.zones.get_mut(r) {
            z.withdrawn = Some(Ended { at, reason });
            self.index.remove(r);
        }
        self.recompute_pending(at)
    }

    pub(crate) fn notify_site(&mut self, r: ObjectRef, s: &SiteNotify, at: Stamp) -> Vec<Notice> {
        let (Ok(geom), Ok(window)) = (parse_geom(&s.geometry), parse_window(&s.window)) else {
            return vec![];
        };
        self.index.insert(ObjectKind::Site, &r, &geom, window, s.buffer_m);
        let site = Site {
            reference: r.clone(),
            issuer: r.issuer.clone(),
            operator: s.operator.clone().unwrap_or_else(|| r.issuer.clone()),
            name: s.name.clone(),
            category: s.category,
            geometry: s.geometry.clone(),
            buffer_m: s.buffer_m,
            window,
            people: s.people,
            notified: at,
            withdrawn: None,
            geom,
        };
        let target = ConflictTarget::Site { site: r.to_string() };
        let (geom, window, reach_m, owner) =
            (site.geom.clone(), site.window, site.buffer_m, site.operator.clone());
        self.sites.insert(r, site);
        self.conflicts_against_operations(&target, &geom, &window, reach_m, &owner, at)
    }

    pub(crate) fn withdraw_site(&mut self, r: &ObjectRef, reason: Option<String>, at: Stamp) {
        if let Some(s) = self.sites.get_mut(r) {
            s.withdrawn = Some(Ended { at, reason });
            self.index.remove(r);
        }
        let target = ConflictTarget::Site { site: r.to_string() };
        self.conflicts.retain(|c| c.with != target);
    }

    /// The parties that must clear `plan` for `requester`, with their reasons.
    fn approvers_for(
        &self,
        requester: &str,
        plan: &MovementPlan,
        geom: &Geom,
        window: &Window,
    ) -> BTreeMap<String, Vec<Reason>> {
        let mut out: BTreeMap<String, Vec<Reason>> = BTreeMap::new();
        for zr in self.index.query(ObjectKind::Zone, geom, plan.corridor_m, *window) {
            if let Some(z) = self.zones.get(&zr).filter(|z| z.party != requester && z.withdrawn.is_none()) {
                out.entry(z.party.clone()).or_default().push(Reason::Zone { zone: zr.to_string() });
            }
        }
        for p in plan.escort_from.iter().filter(|p| p.as_str() != requester) {
            out.entry(p.clone()).or_default().push(Reason::Escort);
        }
        out
    }

    pub(crate) fn request_movement(&mut self, r: ObjectRef, plan: &MovementPlan, at: Stamp) -> Vec<Notice> {
        let (Ok(geom), Ok(window)) = (parse_geom(&plan.route), parse_window(&plan.window)) else {
            return vec![];
        };
        let approvers = self
            .approvers_for(&r.issuer, plan, &geom, &window)
            .into_iter()
            .map(|(p, reasons)| (p, Approver { reasons, asked: at, acknowledged: None, response: None }))
            .collect();
        self.index.insert(ObjectKind::Movement, &r, &geom, window, plan.corridor_m);
        let m = Movement {
            reference: r.clone(),
            requester: r.issuer.clone(),
            plan: plan.clone(),
            window,
            requested: at,
            asked: at,
            amendments: 0,
            approvers,
            progress: None,
            last_position: None,
            cancelled: None,
            geom,
        };
        let mut notices = clearance_notices(&m, "movement requested");
        let target = ConflictTarget::Movement { movement: m.reference.to_string() };
        notices.extend(self.conflicts_against_operations(
            &target,
            &m.geom,
            &m.window,
            m.plan.corridor_m,
            &m.requester,
            at,
        ));
        self.movement_by_index.insert(at.index, r.clone());
        self.movements.insert(r, m);
        notices
    }

    /// Replaces an amended movement's conflicts (a scan of all conflicts: amendments are rare).
    fn movement_conflicts(&mut self, m: &Movement, at: Stamp) -> Vec<Notice> {
        let target = ConflictTarget::Movement { movement: m.reference.to_string() };
        self.conflicts.retain(|c| c.with != target);
        self.conflicts_against_operations(&target, &m.geom, &m.window, m.plan.corridor_m, &m.requester, at)
    }

    pub(crate) fn amend_movement(&mut self, r: &ObjectRef, plan: MovementPlan, at: Stamp) -> Vec<Notice> {
        let (Ok(geom), Ok(window)) = (parse_geom(&plan.route), parse_window(&plan.window)) else {
            return vec![];
        };
        let approvers = self.approvers_for(&r.issuer, &plan, &geom, &window);
        let Some(mut m) = self.movements.remove(r) else { return vec![] };
        // An amendment resets every response: approvers are asked again.
        m.approvers = approvers
            .into_iter()
            .map(|(p, reasons)| (p, Approver { reasons, asked: at, acknowledged: None, response: None }))
            .collect();
        self.index.insert(ObjectKind::Movement, r, &geom, window, plan.corridor_m);
        (m.plan, m.geom, m.window, m.asked) = (plan, geom, window, at);
        m.amendments += 1;
        let mut notices = clearance_notices(&m, "movement amended");
        notices.extend(self.movement_conflicts(&m, at));
        self.movements.insert(r.clone(), m);
        notices
    }

    pub(crate) fn cancel_movement(&mut self, r: &ObjectRef, reason: String, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.movements.get_mut(r) else { return vec![] };
        m.cancelled = Some(Ended { at, reason: Some(reason) });
        self.index.remove(r);
        let target = ConflictTarget::Movement { movement: r.to_string() };
        self.conflicts.retain(|c| c.with != target);
        let m = &self.movements[r];
        clearance_notices(m, "movement cancelled")
    }

    pub(crate) fn respond(&mut self, issuer: &str, resp: &MovementRespond, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.movements.get_mut(&resp.movement) else { return vec![] };
        if let Some(a) = m.approvers.get_mut(issuer) {
            a.acknowledged.get_or_insert(at);
            a.response = Some(Response {
                decision: resp.decision,
                conditions: resp.conditions.clone(),
                reason: resp.reason.clone(),
                at,
            });
        }
        let m = &self.movements[&resp.movement];
        vec![notice(
            &m.requester,
            "clearance",
            &m.reference,
            serde_json::json!({"from": issuer, "decision": resp.decision}),
        )]
    }

    pub(crate) fn update_movement(&mut self, u: &MovementUpdate, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.movements.get_mut(&u.movement) else { return vec![] };
        m.progress = Some((u.status, at));
        if let Some(g) = &u.geometry {
            m.last_position = Some(g.clone());
        }
        let m = &self.movements[&u.movement];
        clearance_notices(m, "movement update")
    }

    /// Records a party's acknowledgement of a movement, if it is one of its approvers.
    pub(crate) fn acknowledge(&mut self, party: &str, target: &ObjectRef, at: Stamp) {
        if let Some(a) = self.movements.get_mut(target).and_then(|m| m.approvers.get_mut(party)) {
            a.acknowledged.get_or_insert(at);
        }
    }

    pub(crate) fn notify_operation(&mut self, r: ObjectRef, o: &OperationNotify, at: Stamp) -> Vec<Notice> {
        let (Ok(geom), Ok(window)) = (parse_geom(&o.geometry), parse_window(&o.window)) else {
            return vec![];
        };
        self.index.insert(ObjectKind::Operation, &r, &geom, window, o.standoff_m);
        let op = Operation {
            reference: r.clone(),
            party: r.issuer.clone(),
            name: o.name.clone(),
            geometry: o.geometry.clone(),
            window,
            standoff_m: o.standoff_m,
            notified_parties: o.notified.clone(),
            notified: at,
            withdrawn: None,
            geom,
        };
        let found = self.conflicts_of_operation(&op, at);
        self.operations.insert(r, op);
        self.record(found)
    }

    pub(crate) fn withdraw_operation(&mut self, r: &ObjectRef, reason: Option<String>, at: Stamp) {
        if let Some(o) = self.operations.get_mut(r) {
            o.withdrawn = Some(Ended { at, reason });
            self.index.remove(r);
        }
        let op = r.to_string();
        self.conflicts.retain(|c| c.operation != op);
    }

    pub(crate) fn declare_agreement(&mut self, r: ObjectRef, a: &AgreementDeclare, at: Stamp) -> Vec<Notice> {
        let Ok(window) = parse_window(&a.window) else { return vec![] };
        let corridors: Vec<Corridor> = a
            .corridors
            .iter()
            .filter_map(|c| {
                let (geom, window) = (parse_geom(&c.route).ok()?, parse_window(&c.window).ok()?);
                Some(Corridor {
                    name: c.name.clone(),
                    route: c.route.clone(),
                    corridor_m: c.corridor_m,
                    window,
                    geom,
                })
            })
            .collect();
        let agreement = Agreement {
            reference: r.clone(),
            issuer: r.issuer.clone(),
            name: a.name.clone(),
            kind: a.kind,
            parties: a.parties.clone(),
            acceded: BTreeMap::new(),
            geometry: a.geometry.clone(),
            window,
            terms: a.terms.clone(),
            corridors,
            declared: at,
            geom: a.geometry.as_ref().and_then(|g| parse_geom(g).ok()),
        };
        let mut found = vec![];
        for c in &agreement.corridors {
            let target = ConflictTarget::Corridor { agreement: r.to_string(), corridor: c.name.clone() };
            found.extend(self.find_against_operations(
                &target,
                &c.geom,
                &c.window,
                c.corridor_m,
                &agreement.issuer,
                at,
            ));
        }
        self.agreements.insert(r, agreement);
        self.record(found)
    }

    pub(crate) fn accede(&mut self, party: &str, r: &ObjectRef, at: Stamp) {
        if let Some(a) = self.agreements.get_mut(r) {
            a.acceded.insert(party.to_owned(), at);
        }
    }

    // ---- conflicts ----

    /// Conflicts between a new object (site, movement or corridor) and live operations.
    fn conflicts_against_operations(
        &mut self,
        target: &ConflictTarget,
        geom: &Geom,
        window: &Window,
        reach_m: f64,
        owner: &str,
        at: Stamp,
    ) -> Vec<Notice> {
        let found = self.find_against_operations(target, geom, window, reach_m, owner, at);
        self.record(found)
    }

    fn find_against_operations(
        &self,
        target: &ConflictTarget,
        geom: &Geom,
        window: &Window,
        reach_m: f64,
        owner: &str,
        at: Stamp,
    ) -> Vec<Conflict> {
        let mut out = vec![];
        for or in self.index.query(ObjectKind::Operation, geom, reach_m, *window) {
            let Some(op) = self.operations.get(&or).filter(|o| o.withdrawn.is_none()) else { continue };
            if let Some(c) = conflict(op, target.clone(), geom, window, reach_m + op.standoff_m, owner, at) {
                out.push(c);
            }
        }
        out
    }

    /// Conflicts of a new operation with live sites, open movements and agreed corridors.
    fn conflicts_of_operation(&self, op: &Operation, at: Stamp) -> Vec<Conflict> {
        let mut out = vec![];
        for sr in self.index.query(ObjectKind::Site, &op.geom, op.standoff_m, op.window) {
            let Some(s) = self.sites.get(&sr).filter(|s| s.withdrawn.is_none()) else { continue };
            let target = ConflictTarget::Site { site: sr.to_string() };
            out.extend(conflict(op, target, &s.geom, &s.window, s.buffer_m + op.standoff_m, &s.operator, at));
        }
        for mr in self.index.query(ObjectKind::Movement, &op.geom, op.standoff_m, op.window) {
            let Some(m) = self.movements.get(&mr).filter(|m| m.open()) else { continue };
            let target = ConflictTarget::Movement { movement: mr.to_string() };
            let reach = m.plan.corridor_m + op.standoff_m;
            out.extend(conflict(op, target, &m.geom, &m.window, reach, &m.requester, at));
        }
        for a in self.agreements.values() {
            for c in &a.corridors {
                let target =
                    ConflictTarget::Corridor { agreement: a.reference.to_string(), corridor: c.name.clone() };
                out.extend(conflict(
                    op,
                    target,
                    &c.geom,
                    &c.window,
                    c.corridor_m + op.standoff_m,
                    &a.issuer,
                    at,
                ));
            }
        }
        out
    }

    fn record(&mut self, found: Vec<Conflict>) -> Vec<Notice> {
        let mut notices = vec![];
        for c in found {
            let detail = serde_json::to_value(&c).unwrap_or_default();
            for p in &c.parties {
                notices.push(Notice {
                    party: p.clone(),
                    kind: "conflict",
                    subject: c.operation.clone(),
                    detail: detail.clone(),
                });
            }
            self.conflicts.push(c);
        }
        notices
    }

    /// Recomputes the approvers of every pending movement after a zone changed.
    /// Responses of approvers who remain required are kept; new approvers are asked now.
    fn recompute_pending(&mut self, at: Stamp) -> Vec<Notice> {
        let pending: Vec<ObjectRef> = self
            .movements
            .values()
            .filter(|m| m.status(at.at_us) == MovementStatus::Pending)
            .map(|m| m.reference.clone())
            .collect();
        let mut notices = vec![];
        for r in pending {
            let m = &self.movements[&r];
            let needed = self.approvers_for(&m.requester, &m.plan, &m.geom, &m.window);
            let old = &m.approvers;
            if needed.keys().eq(old.keys()) && needed.iter().all(|(p, rs)| old[p].reasons == *rs) {
                continue;
            }
            let approvers = needed
                .into_iter()
                .map(|(p, reasons)| {
                    let kept = old.get(&p).cloned();
                    let a = kept.map_or(
                        Approver { reasons: reasons.clone(), asked: at, acknowledged: None, response: None },
                        |a| Approver { reasons: reasons.clone(), ..a },
                    );
                    (p, a)
                })
                .collect();
            if let Some(m) = self.movements.get_mut(&r) {
                m.approvers = approvers;
                notices.extend(clearance_notices(m, "approvers recomputed after a zone changed"));
            }
        }
        notices
    }
}

/// A conflict between `op` and a target, if they are within `threshold_m` and
/// their windows overlap.
fn conflict(
    op: &Operation,
    with: ConflictTarget,
    geom: &Geom,
    window: &Window,
    threshold_m: f64,
    owner: &str,
    at: Stamp,
) -> Option<Conflict> {
    if !op.window.overlaps(window) || !corridor_geo::within(&op.geom, geom, threshold_m) {
        return None;
    }
    let parties: BTreeSet<String> = [op.party.clone(), owner.to_owned()].into_iter().collect();
    Some(Conflict {
        operation: op.reference.to_string(),
        with,
        distance_m: corridor_geo::distance_m(&op.geom, geom),
        threshold_m,
        overlap: op.window.intersection(window).unwrap_or(*window),
        found: at,
        parties: parties.into_iter().collect(),
    })
}

fn notice(party: &str, kind: &'static str, subject: &ObjectRef, detail: Value) -> Notice {
    Notice { party: party.to_owned(), kind, subject: subject.to_string(), detail }
}

/// Tells the requester and every approver that a movement's clearance changed.
fn clearance_notices(m: &Movement, what: &str) -> Vec<Notice> {
    let detail = serde_json::json!({"event": what, "approvers": m.approvers.keys().collect::<Vec<_>>()});
    std::iter::once(m.requester.as_str())
        .chain(m.approvers.keys().map(String::as_str))
        .map(|p| notice(p, "clearance", &m.reference, detail.clone()))
        .collect()
}
