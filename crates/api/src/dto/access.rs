//! Zones, sites, operations, agreements and movements as GeoJSON features,
//! a movement's clearance, and conflicts.

use std::collections::BTreeMap;

use corridor_state::access::{
    Agreement, Approver, Conflict, ConflictTarget, Movement, Operation, Reason, Site, Zone,
};
use corridor_statement::access::ManifestLine;
use serde::Serialize;
use utoipa::ToSchema;

use super::log::AckView;
use super::{tag, time_us, wire_enum, CollectionTag, Ended, FeatureTag, GeoJson, Stamp, Window};

wire_enum!(SiteCategory => corridor_statement::access::SiteCategory);
wire_enum!(Purpose => corridor_statement::access::Purpose);
wire_enum!(Decision => corridor_statement::access::Decision);
wire_enum!(UpdateStatus => corridor_statement::access::UpdateStatus);
wire_enum!(AgreementKind => corridor_statement::access::AgreementKind);
wire_enum!(
    /// A movement's clearance status (brief §6), or `cancelled`.
    MovementStatus => corridor_state::access::MovementStatus
);

tag!(ZoneKind = "zone");
tag!(SiteKind = "site");
tag!(OperationKind = "operation");
tag!(AgreementTag = "agreement");
tag!(MovementKind = "movement");

/// Whether a zone, site or operation still applies.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Active,
    Withdrawn,
}

impl LiveStatus {
    fn of(ended: &Option<corridor_state::access::Ended>) -> Self {
        if ended.is_some() {
            Self::Withdrawn
        } else {
            Self::Active
        }
    }
}

/// Declares a GeoJSON Feature of some properties, and a page of them.
macro_rules! features {
    ($feature:ident, $collection:ident, $props:ty, $geometry:ty) => {
        #[derive(Debug, Clone, Serialize, ToSchema)]
        pub struct $feature {
            #[serde(rename = "type")]
            pub kind: FeatureTag,
            /// The object's reference.
            pub id: String,
            pub geometry: $geometry,
            pub properties: $props,
        }

        /// A page of features, in reference order.
        #[derive(Debug, Clone, Serialize, ToSchema)]
        pub struct $collection {
            #[serde(rename = "type")]
            pub kind: CollectionTag,
            pub features: Vec<$feature>,
            /// The last feature's reference, when more follow: pass as `after=`.
            pub next_after: Option<String>,
        }

        impl $collection {
            pub fn new<T>(page: corridor_service::Page<T>, feature: impl Fn(T) -> $feature) -> Self {
                let features = page.items.into_iter().map(feature).collect();
                Self { kind: CollectionTag::Tag, features, next_after: page.next_after }
            }
        }
    };
}

features!(ZoneFeature, ZoneCollection, ZoneProperties, GeoJson);
features!(SiteFeature, SiteCollection, SiteProperties, GeoJson);
features!(OperationFeature, OperationCollection, OperationProperties, GeoJson);
features!(AgreementFeature, AgreementCollection, AgreementProperties, Option<GeoJson>);
features!(MovementFeature, MovementCollection, MovementView, GeoJson);

/// A party's zone of control.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneProperties {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: ZoneKind,
    pub party: String,
    pub name: String,
    pub window: Window,
    pub declared: Stamp,
    pub withdrawn: Option<Ended>,
    pub status: LiveStatus,
}

impl From<&Zone> for ZoneFeature {
    fn from(z: &Zone) -> Self {
        let properties = ZoneProperties {
            reference: z.reference.to_string(),
            kind: ZoneKind::Tag,
            party: z.party.clone(),
            name: z.name.clone(),
            window: z.window.into(),
            declared: z.declared.into(),
            withdrawn: z.withdrawn.as_ref().map(Ended::from),
            status: LiveStatus::of(&z.withdrawn),
        };
        Self {
            kind: FeatureTag::Tag,
            id: z.reference.to_string(),
            geometry: (&z.geometry).into(),
            properties,
        }
    }
}

/// A notified protected site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteProperties {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: SiteKind,
    pub issuer: String,
    pub operator: String,
    pub name: String,
    pub category: SiteCategory,
    pub buffer_m: f64,
    pub people: Option<u64>,
    pub window: Window,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
    pub status: LiveStatus,
}

impl From<&Site> for SiteFeature {
    fn from(s: &Site) -> Self {
        let properties = SiteProperties {
            reference: s.reference.to_string(),
            kind: SiteKind::Tag,
            issuer: s.issuer.clone(),
            operator: s.operator.clone(),
            name: s.name.clone(),
            category: s.category.into(),
            buffer_m: s.buffer_m,
            people: s.people,
            window: s.window.into(),
            notified: s.notified.into(),
            withdrawn: s.withdrawn.as_ref().map(Ended::from),
            status: LiveStatus::of(&s.withdrawn),
        };
        Self {
            kind: FeatureTag::Tag,
            id: s.reference.to_string(),
            geometry: (&s.geometry).into(),
            properties,
        }
    }
}

/// An armed force's or authority's area of operation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperationProperties {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: OperationKind,
    pub party: String,
    pub name: String,
    pub standoff_m: f64,
    pub notified_parties: Vec<String>,
    pub window: Window,
    pub notified: Stamp,
    pub withdrawn: Option<Ended>,
    pub status: LiveStatus,
    /// The parties that acknowledged the notification, oldest first: proof
    /// that it reached them (by its reference or its entry index).
    pub acknowledged_by: Vec<AckView>,
}

impl OperationFeature {
    /// The operation with its acknowledgements (`State::acknowledgements_of`).
    pub fn new(o: &Operation, acks: &[corridor_state::Acked<'_>]) -> Self {
        let properties = OperationProperties {
            reference: o.reference.to_string(),
            kind: OperationKind::Tag,
            party: o.party.clone(),
            name: o.name.clone(),
            standoff_m: o.standoff_m,
            notified_parties: o.notified_parties.clone(),
            window: o.window.into(),
            notified: o.notified.into(),
            withdrawn: o.withdrawn.as_ref().map(Ended::from),
            status: LiveStatus::of(&o.withdrawn),
            acknowledged_by: acks.iter().map(AckView::from).collect(),
        };
        Self {
            kind: FeatureTag::Tag,
            id: o.reference.to_string(),
            geometry: (&o.geometry).into(),
            properties,
        }
    }
}

/// An agreed corridor: a route, its half-width, its window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorridorView {
    pub name: String,
    pub route: GeoJson,
    pub corridor_m: f64,
    pub window: Window,
}

/// A ceasefire, humanitarian pause or corridor agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementProperties {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: AgreementTag,
    pub agreement_kind: AgreementKind,
    pub issuer: String,
    pub name: String,
    pub parties: Vec<String>,
    /// Party → when it acceded.
    pub acceded: BTreeMap<String, Stamp>,
    pub window: Window,
    pub terms: Vec<String>,
    pub corridors: Vec<CorridorView>,
    pub declared: Stamp,
}

impl From<&Agreement> for AgreementFeature {
    fn from(a: &Agreement) -> Self {
        let corridors = a
            .corridors
            .iter()
            .map(|c| CorridorView {
                name: c.name.clone(),
                route: (&c.route).into(),
                corridor_m: c.corridor_m,
                window: c.window.into(),
            })
            .collect();
        let properties = AgreementProperties {
            reference: a.reference.to_string(),
            kind: AgreementTag::Tag,
            agreement_kind: a.kind.into(),
            issuer: a.issuer.clone(),
            name: a.name.clone(),
            parties: a.parties.clone(),
            acceded: a.acceded.iter().map(|(p, at)| (p.clone(), Stamp::from(*at))).collect(),
            window: a.window.into(),
            terms: a.terms.clone(),
            corridors,
            declared: a.declared.into(),
        };
        let geometry = a.geometry.as_ref().map(GeoJson::from);
        Self { kind: FeatureTag::Tag, id: a.reference.to_string(), geometry, properties }
    }
}

/// One line of a cargo manifest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestLineView {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
    /// Left out when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
}

impl From<&ManifestLine> for ManifestLineView {
    fn from(l: &ManifestLine) -> Self {
        Self { item: l.item.clone(), unit: l.unit.clone(), quantity: l.quantity, weight_kg: l.weight_kg }
    }
}

/// Why a party must clear a movement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonView {
    /// The corridor crosses this zone of the party's.
    Zone { zone: String },
    /// The requester asked the party for an escort.
    Escort,
}

impl From<&Reason> for ReasonView {
    fn from(r: &Reason) -> Self {
        match r {
            Reason::Zone { zone } => Self::Zone { zone: zone.to_string() },
            Reason::Escort => Self::Escort,
        }
    }
}

/// An approver's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponseView {
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// A required approver and its clock (brief §6, "Clearance of a movement").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApproverView {
    pub party: String,
    pub reasons: Vec<ReasonView>,
    #[schema(format = DateTime)]
    pub asked_at: String,
    #[schema(format = DateTime)]
    pub acknowledged_at: Option<String>,
    pub response: Option<ResponseView>,
    /// Seconds from being asked to answering; while unanswered, to now or
    /// to when the movement ended (cancelled, arrived, aborted, window over).
    pub waiting_s: i64,
}

/// When an unanswered approver stops waiting: now, or when the movement was
/// cancelled, arrived, was aborted or its window ended, if earlier. An ended
/// movement waits for nobody.
fn clocks_stop_us(m: &Movement, now_us: i64) -> i64 {
    use corridor_statement::access::UpdateStatus as U;
    let finished = m.progress.filter(|(s, _)| matches!(s, U::Arrived | U::Aborted)).map(|(_, at)| at.at_us);
    let ended = [m.cancelled.as_ref().map(|c| c.at.at_us), finished, m.plan.window.to_us()];
    ended.into_iter().flatten().fold(now_us, i64::min)
}

impl ApproverView {
    fn new(party: &str, a: &Approver, now_us: i64) -> Self {
        let until = a.response.as_ref().map_or(now_us, |r| r.at.at_us);
        Self {
            party: party.to_owned(),
            reasons: a.reasons.iter().map(ReasonView::from).collect(),
            asked_at: time_us(a.asked.at_us),
            acknowledged_at: a.acknowledged.map(|s| time_us(s.at_us)),
            response: a.response.as_ref().map(|r| ResponseView {
                decision: r.decision.into(),
                conditions: r.conditions.clone(),
                reason: r.reason.clone(),
                at: time_us(r.at.at_us),
            }),
            waiting_s: (until - a.asked.at_us).max(0) / 1_000_000,
        }
    }
}

/// The last progress report of a movement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub status: UpdateStatus,
    pub at: Stamp,
}

/// A movement with its clearance: status and required approvers with their clocks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementView {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: MovementKind,
    pub requester: String,
    pub status: MovementStatus,
    pub purpose: Purpose,
    pub route: GeoJson,
    pub corridor_m: f64,
    pub window: Window,
    pub origin: String,
    pub destination: String,
    pub origin_site: Option<String>,
    pub destination_site: Option<String>,
    pub vehicles: u64,
    pub people: u64,
    pub escort_from: Vec<String>,
    pub manifest: Vec<ManifestLineView>,
    pub consignment: Option<String>,
    pub requested: Stamp,
    /// The last request or amendment: responses before it no longer count.
    pub asked: Stamp,
    pub amendments: u32,
    pub progress: Option<ProgressView>,
    pub last_position: Option<GeoJson>,
    pub cancelled: Option<Ended>,
    pub required_approvers: Vec<ApproverView>,
}

impl MovementView {
    /// The movement as of `now_us` (its status and approvers' clocks depend on it).
    pub fn new(m: &Movement, now_us: i64) -> Self {
        let p = &m.plan;
        Self {
            reference: m.reference.to_string(),
            kind: MovementKind::Tag,
            requester: m.requester.clone(),
            status: m.status(now_us).into(),
            purpose: p.purpose.into(),
            route: (&p.route).into(),
            corridor_m: p.corridor_m,
            window: p.window.into(),
            origin: p.origin.clone(),
            destination: p.destination.clone(),
            origin_site: p.origin_site.as_ref().map(ToString::to_string),
            destination_site: p.destination_site.as_ref().map(ToString::to_string),
            vehicles: p.vehicles,
            people: p.people,
            escort_from: p.escort_from.clone(),
            manifest: p.manifest.iter().map(ManifestLineView::from).collect(),
            consignment: p.consignment.clone(),
            requested: m.requested.into(),
            asked: m.asked.into(),
            amendments: m.amendments,
            progress: m.progress.map(|(status, at)| ProgressView { status: status.into(), at: at.into() }),
            last_position: m.last_position.as_ref().map(GeoJson::from),
            cancelled: m.cancelled.as_ref().map(Ended::from),
            required_approvers: m
                .approvers
                .iter()
                .map(|(p, a)| ApproverView::new(p, a, clocks_stop_us(m, now_us)))
                .collect(),
        }
    }
}

impl MovementFeature {
    pub fn new(m: &Movement, now_us: i64) -> Self {
        let id = m.reference.to_string();
        Self {
            kind: FeatureTag::Tag,
            id,
            geometry: (&m.plan.route).into(),
            properties: MovementView::new(m, now_us),
        }
    }
}

/// What an operation conflicts with.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConflictTargetView {
    Site { site: String },
    Movement { movement: String },
    Corridor { agreement: String, corridor: String },
}

/// A conflict of an operation with a site, a movement or an agreed corridor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictView {
    /// The operation's reference.
    pub operation: String,
    pub with: ConflictTargetView,
    pub distance_m: f64,
    /// The distance at or under which they conflict (corridor or buffer plus standoff).
    pub threshold_m: f64,
    pub overlap: Window,
    pub found: Stamp,
    /// Who is told: the operation's issuer and the site operator or movement requester.
    pub parties: Vec<String>,
}

impl From<&Conflict> for ConflictView {
    fn from(c: &Conflict) -> Self {
        let with = match &c.with {
            ConflictTarget::Site { site } => ConflictTargetView::Site { site: site.to_string() },
            ConflictTarget::Movement { movement } => {
                ConflictTargetView::Movement { movement: movement.to_string() }
            }
            ConflictTarget::Corridor { agreement, corridor } => {
                ConflictTargetView::Corridor { agreement: agreement.to_string(), corridor: corridor.clone() }
            }
        };
        Self {
            operation: c.operation.to_string(),
            with,
            distance_m: c.distance_m,
            threshold_m: c.threshold_m,
            overlap: c.overlap.into(),
            found: c.found.into(),
            parties: c.parties.clone(),
        }
    }
}

/// A page of conflicts, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictsPage {
    pub conflicts: Vec<ConflictView>,
    /// The last conflict's number, when more follow: pass as `after=`.
    pub next_after: Option<u64>,
}

/// A movement plan to preview (`POST /v1/movements/preview`): the statement
/// its issuer would sign, less the signature, `id` and `issued_at`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementPreviewRequest {
    /// The party that would sign it.
    pub issuer: String,
    /// `movement.request` or `movement.amend`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The body that would be signed, exactly as in the statement (brief §5).
    #[schema(value_type = Object)]
    pub body: Box<serde_json::value::RawValue>,
}

/// What a movement plan would get if it were sequenced now; nothing is logged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementPreviewView {
    /// The time the plan was previewed at (the server's clock).
    pub at: String,
    /// The parties that would have to clear it, as the movement's
    /// `required_approvers` would list them.
    pub required_approvers: Vec<PreviewApprover>,
    /// The live operations it would conflict with.
    pub conflicts: Vec<PreviewConflict>,
}

/// A party that would have to clear the plan, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewApprover {
    pub party: String,
    pub reasons: Vec<ReasonView>,
}

/// An operation the plan would conflict with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewConflict {
    /// The operation's reference.
    pub operation: String,
    /// The operation's issuer.
    pub party: String,
    pub distance_m: f64,
    /// The distance at or under which they conflict (corridor plus standoff).
    pub threshold_m: f64,
    pub overlap: Window,
}

impl MovementPreviewView {
    pub fn new(p: &corridor_state::access::MovementPreview, at_us: i64) -> Self {
        let required_approvers = p
            .approvers
            .iter()
            .map(|(party, reasons)| PreviewApprover {
                party: party.clone(),
                reasons: reasons.iter().map(ReasonView::from).collect(),
            })
            .collect();
        let conflicts = p
            .conflicts
            .iter()
            .map(|c| PreviewConflict {
                operation: c.operation.to_string(),
                party: c.operation.issuer.to_string(),
                distance_m: c.distance_m,
                threshold_m: c.threshold_m,
                overlap: c.overlap.into(),
            })
            .collect();
        Self { at: time_us(at_us), required_approvers, conflicts }
    }
}
