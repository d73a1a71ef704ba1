//! Access and deconfliction in the fold (brief §5–§6): zones of control, notified
//! sites, movements and their clearance, areas of operation and the conflicts
//! they raise, agreements and their corridors.
//!
//! Every decision is a pure function of the log so far. Spatial questions go to
//! the state's index ([`crate::spatial`]), whose answers are sorted by
//! reference so that the fold stays deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use corridor_geo::Geometry;
use corridor_statement::access::{
    AgreementDeclare, AgreementKind, Decision, MovementAmend, MovementCancel, MovementPlan, MovementRespond,
    MovementUpdate, OperationNotify, SiteCategory, SiteNotify, UpdateStatus, Window, Withdraw, ZoneDeclare,
};
use corridor_statement::body::PartyKind;
use corridor_statement::Body;
use corridor_statement::ObjectRef;

use crate::notice::{ClearanceEvent, Notice, NoticeKind};
use crate::spatial::Kind;
use crate::{Rejection, Stamp, State};

/// Most live objects of each kind; a bound on memory and on every scan.
pub const MAX_OBJECTS_PER_KIND: usize = 2_000_000;

/// When and why an object stopped applying.
#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Ended {
    pub at: Stamp,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Zone {
    pub reference: ObjectRef,
    pub party: String,
    pub name: String,
    pub geometry: Arc<Geometry>,
    pub window: Window,
    pub declared: Stamp,
    pub withdrawn: Option<Ended>,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Site {
    pub reference: ObjectRef,
    pub issuer: String,
    pub operator: String,
    pub name: String,
    pub category: SiteCategory,
    pub geometry: Arc<Geometry>,
    pub buffer_m: f64,
    pub window: Window,
    pub people: Option<u64>,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Operation {
    pub reference: ObjectRef,
    pub party: String,
    pub name: String,
    pub geometry: Arc<Geometry>,
    pub window: Window,
    pub standoff_m: f64,
    pub notified_parties: Vec<String>,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Corridor {
    pub name: String,
    pub route: Arc<Geometry>,
    pub corridor_m: f64,
    pub window: Window,
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Agreement {
    pub reference: ObjectRef,
    pub issuer: String,
    pub name: String,
    pub kind: AgreementKind,
    pub parties: Vec<String>,
    pub acceded: BTreeMap<String, Stamp>,
    /// The area; everywhere when absent.
    pub geometry: Option<Arc<Geometry>>,
    pub window: Window,
    pub terms: Vec<String>,
    pub corridors: Vec<Corridor>,
    pub declared: Stamp,
}

/// Why a party must clear a movement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum Reason {
    /// The route's corridor crosses this zone of the party's.
    Zone { zone: ObjectRef },
    /// The requester asked the party for an escort.
    Escort,
}

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Response {
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub reason: Option<String>,
    pub at: Stamp,
}

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Approver {
    pub reasons: Vec<Reason>,
    pub asked: Stamp,
    pub acknowledged: Option<Stamp>,
    pub response: Option<Response>,
}

impl Approver {
    fn asked(reasons: Vec<Reason>, at: Stamp) -> Self {
        Self { reasons, asked: at, acknowledged: None, response: None }
    }
}

#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Movement {
    pub reference: ObjectRef,
    pub requester: String,
    /// The plan as last requested or amended.
    pub plan: MovementPlan,
    pub requested: Stamp,
    /// The last request or amendment: responses before it no longer count.
    pub asked: Stamp,
    pub amendments: u32,
    pub approvers: BTreeMap<String, Approver>,
    pub progress: Option<(UpdateStatus, Stamp)>,
    /// The last reported position (a Point).
    pub last_position: Option<Arc<Geometry>>,
    pub cancelled: Option<Ended>,
}

/// Clearance status of a movement (brief §6), plus `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    pub const ALL: &'static [Self] = &[
        Self::Pending,
        Self::Cleared,
        Self::ClearedWithConditions,
        Self::Denied,
        Self::Underway,
        Self::Arrived,
        Self::Aborted,
        Self::Expired,
        Self::Cancelled,
    ];

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
        if self.plan.window.to_us().is_some_and(|to| now_us >= to) {
            return MovementStatus::Expired;
        }
        MovementStatus::Pending
    }

    /// Whether the movement can still change clearance (not cancelled, not ended).
    pub fn open(&self) -> bool {
        self.cancelled.is_none()
            && !matches!(self.progress.map(|p| p.0), Some(UpdateStatus::Arrived | UpdateStatus::Aborted))
    }
}

/// What an operation conflicts with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum ConflictTarget {
    Site { site: ObjectRef },
    Movement { movement: ObjectRef },
    Corridor { agreement: ObjectRef, corridor: String },
}

#[derive(Debug, Clone, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Conflict {
    /// Increases with every conflict found; the paging cursor of the listing.
    pub seq: u64,
    pub operation: ObjectRef,
    pub with: ConflictTarget,
    pub distance_m: f64,
    /// The distance at or under which they conflict (corridor/buffer + standoff).
    pub threshold_m: f64,
    pub overlap: Window,
    pub found: Stamp,
    /// Who is told: the operation's issuer and the site operator or movement requester.
    pub parties: Vec<String>,
}

#[derive(Debug, Clone, Default, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Access {
    pub(crate) zones: BTreeMap<ObjectRef, Zone>,
    pub(crate) sites: BTreeMap<ObjectRef, Site>,
    pub(crate) movements: BTreeMap<ObjectRef, Movement>,
    pub(crate) operations: BTreeMap<ObjectRef, Operation>,
    pub(crate) agreements: BTreeMap<ObjectRef, Agreement>,
    /// In the order found (and so by `seq`).
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) next_conflict_seq: u64,
    /// Movements by the index of the entry that requested them (acknowledgements may name either).
    pub(crate) movement_by_index: BTreeMap<u64, ObjectRef>,
}

/// A checked access statement, for the commit.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Zone(ZoneDeclare),
    ZoneWithdraw(Withdraw),
    Site(SiteNotify),
    SiteWithdraw(Withdraw),
    Request(MovementPlan),
    /// The movement, and its plan with the amendment made.
    Amend {
        movement: ObjectRef,
        plan: MovementPlan,
    },
    Cancel(MovementCancel),
    Respond(MovementRespond),
    Update(MovementUpdate),
    Operation(OperationNotify),
    OperationWithdraw(Withdraw),
    Agreement(AgreementDeclare),
    Accede(ObjectRef),
}

impl Access {
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    /// Zones after `after` in reference order (a page's cursor), without
    /// walking the ones before it.
    pub fn zones_after(&self, after: Option<&ObjectRef>) -> impl Iterator<Item = &Zone> {
        values_after(&self.zones, after)
    }

    /// Sites after `after` in reference order.
    pub fn sites_after(&self, after: Option<&ObjectRef>) -> impl Iterator<Item = &Site> {
        values_after(&self.sites, after)
    }

    /// Operations after `after` in reference order.
    pub fn operations_after(&self, after: Option<&ObjectRef>) -> impl Iterator<Item = &Operation> {
        values_after(&self.operations, after)
    }

    pub fn sites(&self) -> impl Iterator<Item = &Site> {
        self.sites.values()
    }

    pub fn site(&self, r: &ObjectRef) -> Option<&Site> {
        self.sites.get(r)
    }

    pub fn zone(&self, r: &ObjectRef) -> Option<&Zone> {
        self.zones.get(r)
    }

    pub fn operation(&self, r: &ObjectRef) -> Option<&Operation> {
        self.operations.get(r)
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

    pub fn agreement(&self, r: &ObjectRef) -> Option<&Agreement> {
        self.agreements.get(r)
    }

    /// Every conflict, in the order found (increasing `seq`).
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// Conflicts found after the one numbered `after_seq` (all when `None`).
    pub fn conflicts_after(&self, after_seq: Option<u64>) -> &[Conflict] {
        let start = after_seq.map_or(0, |s| self.conflicts.partition_point(|c| c.seq <= s));
        &self.conflicts[start..]
    }

    pub(crate) fn movement_at_index(&self, index: u64) -> Option<ObjectRef> {
        self.movement_by_index.get(&index).cloned()
    }

    /// Records a party's acknowledgement of a movement, if it is one of its approvers.
    pub(crate) fn acknowledge(&mut self, party: &str, target: &ObjectRef, at: Stamp) {
        if let Some(a) = self.movements.get_mut(target).and_then(|m| m.approvers.get_mut(party)) {
            a.acknowledged.get_or_insert(at);
        }
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

    /// Records conflicts found, numbering them, and the notices they raise.
    fn record(&mut self, found: Vec<Conflict>) -> Vec<Notice> {
        let mut notices = vec![];
        for mut c in found {
            c.seq = self.next_conflict_seq;
            self.next_conflict_seq += 1;
            for p in &c.parties {
                notices.push(Notice {
                    party: p.clone(),
                    subject: c.operation.to_string(),
                    kind: NoticeKind::Conflict(c.clone()),
                });
            }
            self.conflicts.push(c);
        }
        notices
    }
}

fn check_room<T>(map: &BTreeMap<ObjectRef, T>) -> Result<(), Rejection> {
    if map.len() >= MAX_OBJECTS_PER_KIND {
        return Err(Rejection::LimitReached("objects of this kind"));
    }
    Ok(())
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

/// Checks (no mutation).
impl State {
    fn holds_territory(&self, party: &str) -> bool {
        self.parties
            .get(party)
            .is_some_and(|p| matches!(p.kind, PartyKind::Authority | PartyKind::ArmedForce))
    }

    pub(crate) fn check_zone(&self, issuer: &str, z: ZoneDeclare) -> Result<ZoneDeclare, Rejection> {
        if !self.holds_territory(issuer) {
            return Err(Rejection::Unauthorized(
                "only authorities and armed forces declare zones of control".into(),
            ));
        }
        check_room(&self.access.zones)?;
        Ok(z)
    }

    pub(crate) fn check_zone_withdraw(&self, issuer: &str, w: Withdraw) -> Result<Withdraw, Rejection> {
        let owner = self.access.zones.get(&w.target).map(|z| (z.party.as_str(), z.withdrawn.is_some()));
        check_withdraw(issuer, owner, &w.target)?;
        Ok(w)
    }

    pub(crate) fn check_site(&self, s: SiteNotify) -> Result<SiteNotify, Rejection> {
        self.all_registered(&s.operator)?;
        check_room(&self.access.sites)?;
        Ok(s)
    }

    pub(crate) fn check_site_withdraw(&self, issuer: &str, w: Withdraw) -> Result<Withdraw, Rejection> {
        let owner = self.access.sites.get(&w.target).map(|s| (s.issuer.as_str(), s.withdrawn.is_some()));
        check_withdraw(issuer, owner, &w.target)?;
        Ok(w)
    }

    fn check_plan_refs(&self, plan: &MovementPlan) -> Result<(), Rejection> {
        self.all_registered(&plan.escort_from)?;
        for site in [&plan.origin_site, &plan.destination_site].into_iter().flatten() {
            if !self.access.sites.contains_key(site) {
                return Err(Rejection::UnknownRef(site.to_string()));
            }
        }
        Ok(())
    }

    pub(crate) fn check_request(&self, plan: MovementPlan) -> Result<MovementPlan, Rejection> {
        check_room(&self.access.movements)?;
        self.check_plan_refs(&plan)?;
        Ok(plan)
    }

    /// The plan after an amendment, its references checked as a whole.
    pub(crate) fn check_amend(&self, issuer: &str, a: &MovementAmend) -> Result<MovementPlan, Rejection> {
        let m = self.access.own_open_movement(issuer, &a.movement)?;
        let plan = a.changes.apply_to(&m.plan);
        self.check_plan_refs(&plan)?;
        Ok(plan)
    }

    pub(crate) fn check_cancel(&self, issuer: &str, c: MovementCancel) -> Result<MovementCancel, Rejection> {
        self.access.own_open_movement(issuer, &c.movement)?;
        Ok(c)
    }

    pub(crate) fn check_update(&self, issuer: &str, u: MovementUpdate) -> Result<MovementUpdate, Rejection> {
        self.access.own_open_movement(issuer, &u.movement)?;
        Ok(u)
    }

    pub(crate) fn check_respond(
        &self,
        issuer: &str,
        r: MovementRespond,
    ) -> Result<MovementRespond, Rejection> {
        let m = self
            .access
            .movements
            .get(&r.movement)
            .ok_or_else(|| Rejection::UnknownRef(r.movement.to_string()))?;
        if !m.approvers.contains_key(issuer) {
            return Err(Rejection::Unauthorized(format!(
                "{issuer} is not a required approver of {}",
                r.movement
            )));
        }
        if !m.open() {
            return Err(Rejection::AlreadyEnded(r.movement.to_string()));
        }
        Ok(r)
    }

    pub(crate) fn check_operation(
        &self,
        issuer: &str,
        o: OperationNotify,
    ) -> Result<OperationNotify, Rejection> {
        if !self.holds_territory(issuer) {
            return Err(Rejection::Unauthorized(
                "only armed forces and authorities notify areas of operation".into(),
            ));
        }
        self.all_registered(&o.notified)?;
        check_room(&self.access.operations)?;
        Ok(o)
    }

    pub(crate) fn check_operation_withdraw(&self, issuer: &str, w: Withdraw) -> Result<Withdraw, Rejection> {
        let owner = self.access.operations.get(&w.target).map(|o| (o.party.as_str(), o.withdrawn.is_some()));
        check_withdraw(issuer, owner, &w.target)?;
        Ok(w)
    }

    pub(crate) fn check_agreement(&self, a: AgreementDeclare) -> Result<AgreementDeclare, Rejection> {
        self.all_registered(&a.parties)?;
        check_room(&self.access.agreements)?;
        Ok(a)
    }

    pub(crate) fn check_accede(&self, issuer: &str, r: ObjectRef) -> Result<ObjectRef, Rejection> {
        let a = self.access.agreements.get(&r).ok_or_else(|| Rejection::UnknownRef(r.to_string()))?;
        if !a.parties.iter().any(|p| p == issuer) {
            return Err(Rejection::Unauthorized(format!("{issuer} is not a party to {r}")));
        }
        if a.acceded.contains_key(issuer) {
            return Err(Rejection::AlreadyEnded(format!("{issuer} already acceded to {r}")));
        }
        Ok(r)
    }
}

/// What filing a movement plan would need, computed without filing it.
#[derive(Debug, Clone, PartialEq)]
pub struct MovementPreview {
    /// The parties that would have to clear it, with why (as [`Movement::approvers`] would hold them).
    pub approvers: BTreeMap<String, Vec<Reason>>,
    /// The live operations it would conflict with; each `with` names the
    /// amended movement, or for a new request the issuer with an empty id.
    pub conflicts: Vec<Conflict>,
}

/// Dry runs (no mutation): the clearance and conflicts a plan would get.
impl State {
    /// The approvers and conflicts `body` (a `movement.request` or
    /// `movement.amend` by `issuer`) would get if it were sequenced at `at_us`:
    /// the fold's own check and computation, so the two cannot disagree.
    ///
    /// Errors: the fold's rejection of the body (`unknown_party`, `unknown_ref`,
    /// `unauthorized`, `already_ended`, `limit_reached`), or `invalid_body` for
    /// any other statement type.
    pub fn preview_movement(
        &self,
        issuer: &str,
        body: &Body,
        at_us: i64,
    ) -> Result<MovementPreview, Rejection> {
        if self.party(issuer).is_none() {
            return Err(Rejection::UnknownParty(issuer.to_owned()));
        }
        let (target, plan) = match body {
            Body::MovementRequest(plan) => {
                let new = ObjectRef { issuer: issuer.into(), id: Default::default() };
                (new, self.check_request(plan.clone())?)
            }
            Body::MovementAmend(a) => (a.movement.clone(), self.check_amend(issuer, a)?),
            _ => {
                return Err(Rejection::InvalidBody(
                    "only movement.request and movement.amend are previewed".into(),
                ))
            }
        };
        let at = Stamp { index: self.size, at_us };
        let target = ConflictTarget::Movement { movement: target };
        let conflicts =
            self.find_against_operations(&target, &plan.route, &plan.window, plan.corridor_m, issuer, at);
        Ok(MovementPreview { approvers: self.approvers_for(issuer, &plan), conflicts })
    }
}

/// Commits (after the checks passed; cannot fail).
impl State {
    pub(crate) fn commit_access(&mut self, own: &ObjectRef, action: Action, at: Stamp) -> Vec<Notice> {
        let issuer = own.issuer.as_str();
        match action {
            Action::Zone(z) => self.declare_zone(own.clone(), z, at),
            Action::ZoneWithdraw(w) => self.withdraw_zone(w, at),
            Action::Site(s) => self.notify_site(own.clone(), s, at),
            Action::SiteWithdraw(w) => {
                self.withdraw_site(w, at);
                vec![]
            }
            Action::Request(p) => self.request_movement(own.clone(), p, at),
            Action::Amend { movement, plan } => self.amend_movement(&movement, plan, at),
            Action::Cancel(c) => self.cancel_movement(c, at),
            Action::Respond(r) => self.respond(issuer, r, at),
            Action::Update(u) => self.update_movement(u, at),
            Action::Operation(o) => self.notify_operation(own.clone(), o, at),
            Action::OperationWithdraw(w) => {
                self.withdraw_operation(w, at);
                vec![]
            }
            Action::Agreement(a) => self.declare_agreement(own.clone(), a, at),
            Action::Accede(r) => {
                if let Some(a) = self.access.agreements.get_mut(&r) {
                    a.acceded.insert(issuer.to_owned(), at);
                }
                vec![]
            }
        }
    }

    fn declare_zone(&mut self, r: ObjectRef, z: ZoneDeclare, at: Stamp) -> Vec<Notice> {
        self.index.insert(Kind::Zone, &r, &z.geometry, z.window, 0.0);
        let zone = Zone {
            reference: r.clone(),
            party: r.issuer.to_string(),
            name: z.name,
            geometry: z.geometry,
            window: z.window,
            declared: at,
            withdrawn: None,
        };
        self.access.zones.insert(r, zone);
        self.recompute_pending(at)
    }

    fn withdraw_zone(&mut self, w: Withdraw, at: Stamp) -> Vec<Notice> {
        if let Some(z) = self.access.zones.get_mut(&w.target) {
            z.withdrawn = Some(Ended { at, reason: w.reason });
        }
        self.recompute_pending(at)
    }

    fn notify_site(&mut self, r: ObjectRef, s: SiteNotify, at: Stamp) -> Vec<Notice> {
        self.index.insert(Kind::Site, &r, &s.geometry, s.window, s.buffer_m);
        let site = Site {
            reference: r.clone(),
            issuer: r.issuer.to_string(),
            operator: s.operator.unwrap_or_else(|| r.issuer.to_string()),
            name: s.name,
            category: s.category,
            geometry: s.geometry,
            buffer_m: s.buffer_m,
            window: s.window,
            people: s.people,
            notified: at,
            withdrawn: None,
        };
        let target = ConflictTarget::Site { site: r.clone() };
        let found = self.find_against_operations(
            &target,
            &site.geometry,
            &site.window,
            site.buffer_m,
            &site.operator,
            at,
        );
        self.access.sites.insert(r, site);
        self.access.record(found)
    }

    fn withdraw_site(&mut self, w: Withdraw, at: Stamp) {
        if let Some(s) = self.access.sites.get_mut(&w.target) {
            s.withdrawn = Some(Ended { at, reason: w.reason });
        }
        let target = ConflictTarget::Site { site: w.target };
        self.access.conflicts.retain(|c| c.with != target);
    }

    /// The parties that must clear `plan` for `requester`, with their reasons.
    fn approvers_for(&self, requester: &str, plan: &MovementPlan) -> BTreeMap<String, Vec<Reason>> {
        let mut out: BTreeMap<String, Vec<Reason>> = BTreeMap::new();
        for zr in self.index.query(Kind::Zone, &plan.route, plan.corridor_m, plan.window) {
            let live = self.access.zones.get(&zr).filter(|z| z.party != requester && z.withdrawn.is_none());
            if let Some(z) = live {
                out.entry(z.party.clone()).or_default().push(Reason::Zone { zone: zr });
            }
        }
        for p in plan.escort_from.iter().filter(|p| p.as_str() != requester) {
            out.entry(p.clone()).or_default().push(Reason::Escort);
        }
        out
    }

    fn request_movement(&mut self, r: ObjectRef, plan: MovementPlan, at: Stamp) -> Vec<Notice> {
        let approvers = self
            .approvers_for(&r.issuer, &plan)
            .into_iter()
            .map(|(p, reasons)| (p, Approver::asked(reasons, at)))
            .collect();
        self.index.insert(Kind::Movement, &r, &plan.route, plan.window, plan.corridor_m);
        let m = Movement {
            reference: r.clone(),
            requester: r.issuer.to_string(),
            plan,
            requested: at,
            asked: at,
            amendments: 0,
            approvers,
            progress: None,
            last_position: None,
            cancelled: None,
        };
        let mut notices = clearance_notices(&m, ClearanceEvent::Requested);
        let (p, target) = (&m.plan, ConflictTarget::Movement { movement: r.clone() });
        let found =
            self.find_against_operations(&target, &p.route, &p.window, p.corridor_m, &m.requester, at);
        notices.extend(self.access.record(found));
        self.access.movement_by_index.insert(at.index, r.clone());
        self.access.movements.insert(r, m);
        notices
    }

    /// Replaces an amended movement's conflicts with operations (a scan of all
    /// conflicts: amendments are rare).
    fn movement_conflicts(&mut self, m: &Movement, at: Stamp) -> Vec<Notice> {
        let target = ConflictTarget::Movement { movement: m.reference.clone() };
        self.access.conflicts.retain(|c| c.with != target);
        let p = &m.plan;
        let found =
            self.find_against_operations(&target, &p.route, &p.window, p.corridor_m, &m.requester, at);
        self.access.record(found)
    }

    fn amend_movement(&mut self, r: &ObjectRef, plan: MovementPlan, at: Stamp) -> Vec<Notice> {
        let approvers = self.approvers_for(&r.issuer, &plan);
        let Some(mut m) = self.access.movements.remove(r) else { return vec![] };
        // An amendment resets every response: approvers are asked again.
        m.approvers = approvers.into_iter().map(|(p, reasons)| (p, Approver::asked(reasons, at))).collect();
        self.index.insert(Kind::Movement, r, &plan.route, plan.window, plan.corridor_m);
        (m.plan, m.asked) = (plan, at);
        m.amendments += 1;
        let mut notices = clearance_notices(&m, ClearanceEvent::Amended);
        notices.extend(self.movement_conflicts(&m, at));
        self.access.movements.insert(r.clone(), m);
        notices
    }

    fn cancel_movement(&mut self, c: MovementCancel, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.access.movements.get_mut(&c.movement) else { return vec![] };
        m.cancelled = Some(Ended { at, reason: Some(c.reason) });
        let notices = clearance_notices(m, ClearanceEvent::Cancelled);
        let target = ConflictTarget::Movement { movement: c.movement };
        self.access.conflicts.retain(|c| c.with != target);
        notices
    }

    fn respond(&mut self, issuer: &str, resp: MovementRespond, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.access.movements.get_mut(&resp.movement) else { return vec![] };
        let decision = resp.decision;
        if let Some(a) = m.approvers.get_mut(issuer) {
            a.acknowledged.get_or_insert(at);
            a.response = Some(Response { decision, conditions: resp.conditions, reason: resp.reason, at });
        }
        vec![Notice {
            party: m.requester.clone(),
            subject: m.reference.to_string(),
            kind: NoticeKind::Response { from: issuer.to_owned(), decision },
        }]
    }

    fn update_movement(&mut self, u: MovementUpdate, at: Stamp) -> Vec<Notice> {
        let Some(m) = self.access.movements.get_mut(&u.movement) else { return vec![] };
        m.progress = Some((u.status, at));
        if let Some(g) = u.geometry {
            m.last_position = Some(g);
        }
        clearance_notices(m, ClearanceEvent::Update)
    }

    fn notify_operation(&mut self, r: ObjectRef, o: OperationNotify, at: Stamp) -> Vec<Notice> {
        self.index.insert(Kind::Operation, &r, &o.geometry, o.window, o.standoff_m);
        let op = Operation {
            reference: r.clone(),
            party: r.issuer.to_string(),
            name: o.name,
            geometry: o.geometry,
            window: o.window,
            standoff_m: o.standoff_m,
            notified_parties: o.notified,
            notified: at,
            withdrawn: None,
        };
        let found = self.conflicts_of_operation(&op, at);
        self.access.operations.insert(r, op);
        self.access.record(found)
    }

    fn withdraw_operation(&mut self, w: Withdraw, at: Stamp) {
        if let Some(o) = self.access.operations.get_mut(&w.target) {
            o.withdrawn = Some(Ended { at, reason: w.reason });
        }
        self.access.conflicts.retain(|c| c.operation != w.target);
    }

    fn declare_agreement(&mut self, r: ObjectRef, a: AgreementDeclare, at: Stamp) -> Vec<Notice> {
        let corridors: Vec<Corridor> = a
            .corridors
            .into_iter()
            .map(|c| Corridor { name: c.name, route: c.route, corridor_m: c.corridor_m, window: c.window })
            .collect();
        let agreement = Agreement {
            reference: r.clone(),
            issuer: r.issuer.to_string(),
            name: a.name,
            kind: a.kind,
            parties: a.parties,
            acceded: BTreeMap::new(),
            geometry: a.geometry,
            window: a.window,
            terms: a.terms,
            corridors,
            declared: at,
        };
        let mut found = vec![];
        for c in &agreement.corridors {
            let target = ConflictTarget::Corridor { agreement: r.clone(), corridor: c.name.clone() };
            found.extend(self.find_against_operations(
                &target,
                &c.route,
                &c.window,
                c.corridor_m,
                &agreement.issuer,
                at,
            ));
        }
        self.access.agreements.insert(r, agreement);
        self.access.record(found)
    }

    /// Conflicts between a new object (site, movement or corridor) and live operations.
    fn find_against_operations(
        &self,
        target: &ConflictTarget,
        geometry: &Geometry,
        window: &Window,
        reach_m: f64,
        owner: &str,
        at: Stamp,
    ) -> Vec<Conflict> {
        let mut out = vec![];
        for or in self.index.query(Kind::Operation, geometry, reach_m, *window) {
            let Some(op) = self.access.operations.get(&or).filter(|o| o.withdrawn.is_none()) else {
                continue;
            };
            let threshold_m = reach_m + op.standoff_m;
            out.extend(conflict(op, target.clone(), geometry, window, threshold_m, owner, at));
        }
        out
    }

    /// Conflicts of a new operation with live sites, open movements and agreed corridors.
    fn conflicts_of_operation(&self, op: &Operation, at: Stamp) -> Vec<Conflict> {
        let mut out = vec![];
        for sr in self.index.query(Kind::Site, &op.geometry, op.standoff_m, op.window) {
            let Some(s) = self.access.sites.get(&sr).filter(|s| s.withdrawn.is_none()) else { continue };
            let target = ConflictTarget::Site { site: sr };
            let threshold_m = s.buffer_m + op.standoff_m;
            out.extend(conflict(op, target, &s.geometry, &s.window, threshold_m, &s.operator, at));
        }
        for mr in self.index.query(Kind::Movement, &op.geometry, op.standoff_m, op.window) {
            let Some(m) = self.access.movements.get(&mr).filter(|m| m.open()) else { continue };
            let target = ConflictTarget::Movement { movement: mr };
            let (p, threshold_m) = (&m.plan, m.plan.corridor_m + op.standoff_m);
            out.extend(conflict(op, target, &p.route, &p.window, threshold_m, &m.requester, at));
        }
        for a in self.access.agreements.values() {
            for c in &a.corridors {
                let target =
                    ConflictTarget::Corridor { agreement: a.reference.clone(), corridor: c.name.clone() };
                let threshold_m = c.corridor_m + op.standoff_m;
                out.extend(conflict(op, target, &c.route, &c.window, threshold_m, &a.issuer, at));
            }
        }
        out
    }

    /// Recomputes the approvers of every pending movement after a zone changed.
    /// Responses of approvers who remain required are kept; new approvers are asked now.
    fn recompute_pending(&mut self, at: Stamp) -> Vec<Notice> {
        let pending: Vec<ObjectRef> = self
            .access
            .movements
            .values()
            .filter(|m| m.status(at.at_us) == MovementStatus::Pending)
            .map(|m| m.reference.clone())
            .collect();
        let mut notices = vec![];
        for r in pending {
            let m = &self.access.movements[&r];
            let needed = self.approvers_for(&m.requester, &m.plan);
            let old = &m.approvers;
            if needed.keys().eq(old.keys()) && needed.iter().all(|(p, rs)| old[p].reasons == *rs) {
                continue;
            }
            let approvers = needed
                .into_iter()
                .map(|(p, reasons)| {
                    let a = match old.get(&p) {
                        Some(kept) => Approver { reasons, ..kept.clone() },
                        None => Approver::asked(reasons, at),
                    };
                    (p, a)
                })
                .collect();
            if let Some(m) = self.access.movements.get_mut(&r) {
                m.approvers = approvers;
                notices.extend(clearance_notices(m, ClearanceEvent::ApproversRecomputed));
            }
        }
        notices
    }
}

fn values_after<'a, T>(
    map: &'a BTreeMap<ObjectRef, T>,
    after: Option<&ObjectRef>,
) -> impl Iterator<Item = &'a T> {
    use std::ops::Bound::{Excluded, Unbounded};
    let from = after.map_or(Unbounded, Excluded);
    map.range((from, Unbounded)).map(|(_, v)| v)
}

/// A conflict between `op` and a target, if they are within `threshold_m` and
/// their windows overlap. Its `seq` is set when it is recorded.
fn conflict(
    op: &Operation,
    with: ConflictTarget,
    geometry: &Geometry,
    window: &Window,
    threshold_m: f64,
    owner: &str,
    at: Stamp,
) -> Option<Conflict> {
    if !op.window.overlaps(window) || !corridor_geo::within(&op.geometry, geometry, threshold_m) {
        return None;
    }
    let parties: BTreeSet<String> = [op.party.clone(), owner.to_owned()].into_iter().collect();
    Some(Conflict {
        seq: 0,
        operation: op.reference.clone(),
        with,
        distance_m: corridor_geo::distance_m(&op.geometry, geometry),
        threshold_m,
        overlap: op.window.intersection(window).unwrap_or(*window),
        found: at,
        parties: parties.into_iter().collect(),
    })
}

/// Tells the requester and every approver that a movement's clearance changed.
fn clearance_notices(m: &Movement, event: ClearanceEvent) -> Vec<Notice> {
    let approvers: Vec<String> = m.approvers.keys().cloned().collect();
    std::iter::once(m.requester.as_str())
        .chain(m.approvers.keys().map(String::as_str))
        .map(|p| Notice {
            party: p.to_owned(),
            subject: m.reference.to_string(),
            kind: NoticeKind::Clearance { event, approvers: approvers.clone() },
        })
        .collect()
}
