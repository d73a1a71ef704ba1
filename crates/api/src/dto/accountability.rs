//! Custody and its reconciliation, distributions and fair shares, incidents
//! and their grades, notification evidence, ceasefire violations, claims.

use std::borrow::Cow;
use std::collections::BTreeMap;

use corridor_service::{ConsignmentView as DomainConsignment, RoundShares};
use corridor_state::accountability::{
    CasualtyTotals, Claim, Custody, Distribution, Incident, ItemReconciliation, Link, RangeTotal, SiteShare,
};
use corridor_state::views::{Evidence, Notified, Violations};
use corridor_state::Acked;
use corridor_statement::accountability::{Casualties, Figure, ItemQuantity, Range, Source};
use corridor_statement::Target;
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::{time_ms, time_us, wire_enum, CollectionTag, FeatureTag, GeoJson, Stamp, Window};

wire_enum!(IncidentKind => corridor_statement::accountability::IncidentKind);
wire_enum!(Occurrence => corridor_statement::accountability::Occurrence);
wire_enum!(Attribution => corridor_statement::accountability::Attribution);
wire_enum!(Stance => corridor_statement::accountability::Stance);
wire_enum!(Relation => corridor_statement::accountability::Relation);
wire_enum!(
    /// When a notification was sequenced, relative to the incident's window.
    Timing => corridor_state::views::Timing
);

/// An item and a quantity of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemQuantityView {
    pub item: String,
    pub unit: String,
    pub quantity: f64,
}

impl From<&ItemQuantity> for ItemQuantityView {
    fn from(q: &ItemQuantity) -> Self {
        Self { item: q.item.clone(), unit: q.unit.clone(), quantity: q.quantity }
    }
}

fn items(list: &[ItemQuantity]) -> Vec<ItemQuantityView> {
    list.iter().map(ItemQuantityView::from).collect()
}

/// Where a hand-off happened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceView {
    pub name: String,
    /// Left out when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<GeoJson>,
}

/// A hand-off's body, as signed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustodyTransferView {
    pub consignment: String,
    pub from: String,
    pub to: String,
    pub items: Vec<ItemQuantityView>,
    /// Left out when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<PlaceView>,
    /// Quantities recorded as lost before this hand-off; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<ItemQuantityView>,
}

/// A custody hand-off of a consignment, signed by both parties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustodyView {
    #[serde(rename = "ref")]
    pub reference: String,
    pub transfer: CustodyTransferView,
    pub at: Stamp,
}

impl From<&Custody> for CustodyView {
    fn from(c: &Custody) -> Self {
        let t = &c.transfer;
        let place = t
            .place
            .as_ref()
            .map(|p| PlaceView { name: p.name.clone(), geometry: p.geometry.as_ref().map(GeoJson::from) });
        let transfer = CustodyTransferView {
            consignment: t.consignment.clone(),
            from: t.from.clone(),
            to: t.to.clone(),
            items: items(&t.items),
            place,
            lost: items(&t.lost),
        };
        Self { reference: c.reference.to_string(), transfer, at: c.at.into() }
    }
}

/// A consignment, its number of hand-offs and the latest one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsignmentSummary {
    pub consignment: String,
    pub hand_offs: usize,
    pub last: Option<CustodyView>,
}

/// A page of consignments, in id order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsignmentsPage {
    pub consignments: Vec<ConsignmentSummary>,
    /// The last consignment id, when more follow: pass as `after=`.
    pub next_after: Option<String>,
}

impl ConsignmentsPage {
    pub fn new(page: corridor_service::Page<(&String, &[Custody])>) -> Self {
        let consignments = page
            .items
            .into_iter()
            .map(|(id, chain)| ConsignmentSummary {
                consignment: id.clone(),
                hand_offs: chain.len(),
                last: chain.last().map(CustodyView::from),
            })
            .collect();
        Self { consignments, next_after: page.next_after }
    }
}

/// One hand-off's quantity of an item: `[from, to, quantity, entry]`.
#[derive(Debug, Clone, Serialize)]
pub struct Received(pub String, pub String, pub f64, pub u64);

impl PartialSchema for Received {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .description(Some("[from party, to party, quantity, entry index]"))
            .min_items(Some(4))
            .max_items(Some(4))
            .into()
    }
}

impl ToSchema for Received {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Received")
    }
}

/// Reconciliation of one item of a consignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemReconciliationView {
    pub item: String,
    pub unit: String,
    /// What the first hand-off carried.
    pub dispatched: f64,
    /// What each hand-off carried, in order.
    pub received: Vec<Received>,
    pub distributed: f64,
    pub in_stock: f64,
    pub reported_lost: f64,
    /// Dispatched minus distributed, in stock and reported lost.
    pub unaccounted: f64,
    pub flagged: bool,
}

impl From<&ItemReconciliation> for ItemReconciliationView {
    fn from(r: &ItemReconciliation) -> Self {
        Self {
            item: r.item.clone(),
            unit: r.unit.clone(),
            dispatched: r.dispatched,
            received: r.received.iter().map(|(f, t, q, e)| Received(f.clone(), t.clone(), *q, *e)).collect(),
            distributed: r.distributed,
            in_stock: r.in_stock,
            reported_lost: r.reported_lost,
            unaccounted: r.unaccounted,
            flagged: r.flagged,
        }
    }
}

/// A consignment's hand-offs and its reconciliation per item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsignmentReconciliation {
    pub consignment: String,
    /// The fraction unaccounted beyond which an item is flagged.
    pub tolerance: f64,
    pub hand_offs: Vec<CustodyView>,
    pub items: Vec<ItemReconciliationView>,
    pub flagged: bool,
}

impl From<&DomainConsignment<'_>> for ConsignmentReconciliation {
    fn from(c: &DomainConsignment<'_>) -> Self {
        Self {
            consignment: c.id.clone(),
            tolerance: c.tolerance,
            hand_offs: c.hand_offs.iter().map(CustodyView::from).collect(),
            items: c.items.iter().map(ItemReconciliationView::from).collect(),
            flagged: c.flagged,
        }
    }
}

/// A distribution report's body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionReportView {
    pub site: String,
    /// Left out when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consignment: Option<String>,
    pub round: String,
    pub period: Window,
    pub items: Vec<ItemQuantityView>,
    pub households: u64,
    pub people: u64,
    pub planned_per_person: Vec<ItemQuantityView>,
}

/// A distribution report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionView {
    #[serde(rename = "ref")]
    pub reference: String,
    pub report: DistributionReportView,
    pub at: Stamp,
}

impl From<&Distribution> for DistributionView {
    fn from(d: &Distribution) -> Self {
        let r = &d.report;
        let report = DistributionReportView {
            site: r.site.to_string(),
            consignment: r.consignment.clone(),
            round: r.round.clone(),
            period: r.period.into(),
            items: items(&r.items),
            households: r.households,
            people: r.people,
            planned_per_person: items(&r.planned_per_person),
        };
        Self { reference: d.reference.to_string(), report, at: d.at.into() }
    }
}

/// One site's per-person quantity of an item in a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteShareView {
    pub site: String,
    pub people: u64,
    pub quantity: f64,
    pub per_person: f64,
    pub planned_per_person: Option<f64>,
    pub below_plan: bool,
}

impl From<&SiteShare> for SiteShareView {
    fn from(s: &SiteShare) -> Self {
        Self {
            site: s.site.to_string(),
            people: s.people,
            quantity: s.quantity,
            per_person: s.per_person,
            planned_per_person: s.planned_per_person,
            below_plan: s.below_plan,
        }
    }
}

/// One item of a round: per-person shares by site, their spread, and the sites below plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemSharesView {
    pub item: String,
    pub unit: String,
    pub sites: Vec<SiteShareView>,
    pub spread_per_person: f64,
    pub below_plan: Vec<String>,
}

/// One distribution round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub round: String,
    pub items: Vec<ItemSharesView>,
}

/// Distribution rounds, a page at a time, with their reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionsPage {
    /// Every report of the page's rounds.
    pub reports: Vec<DistributionView>,
    pub rounds: Vec<RoundView>,
    /// The last round, when more follow: pass as `after=`.
    pub next_after: Option<String>,
}

impl DistributionsPage {
    pub fn new(page: corridor_service::Page<RoundShares<'_>>) -> Self {
        let reports =
            page.items.iter().flat_map(|r| r.reports.iter().map(|d| DistributionView::from(*d))).collect();
        let rounds = page
            .items
            .iter()
            .map(|r| RoundView {
                round: r.round.to_owned(),
                items: r
                    .items
                    .iter()
                    .map(|i| ItemSharesView {
                        item: i.item.item.clone(),
                        unit: i.item.unit.clone(),
                        sites: i.sites.iter().map(SiteShareView::from).collect(),
                        spread_per_person: i.spread_per_person,
                        below_plan: i
                            .sites
                            .iter()
                            .filter(|s| s.below_plan)
                            .map(|s| s.site.to_string())
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Self { reports, rounds, next_after: page.next_after }
    }
}

/// A count known only as a range; either end may be unknown (`null`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RangeView {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl From<Range> for RangeView {
    fn from(r: Range) -> Self {
        Self { min: r.min, max: r.max }
    }
}

/// Casualties as ranges.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CasualtiesView {
    pub killed: RangeView,
    pub injured: RangeView,
    pub children_killed: Option<RangeView>,
    pub children_injured: Option<RangeView>,
}

impl From<Casualties> for CasualtiesView {
    fn from(c: Casualties) -> Self {
        Self {
            killed: c.killed.into(),
            injured: c.injured.into(),
            children_killed: c.children_killed.map(Into::into),
            children_injured: c.children_injured.map(Into::into),
        }
    }
}

/// A total that keeps its range: sum of minimums .. sum of maximums (`null`: unknown).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RangeTotalView {
    pub min: u64,
    pub max: Option<u64>,
}

impl From<RangeTotal> for RangeTotalView {
    fn from(t: RangeTotal) -> Self {
        Self { min: t.min, max: t.max }
    }
}

/// Casualty totals over several incidents, as ranges.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CasualtyTotalsView {
    pub killed: RangeTotalView,
    pub injured: RangeTotalView,
    pub children_killed: RangeTotalView,
    pub children_injured: RangeTotalView,
}

impl From<CasualtyTotals> for CasualtyTotalsView {
    fn from(t: CasualtyTotals) -> Self {
        Self {
            killed: t.killed.into(),
            injured: t.injured.into(),
            children_killed: t.children_killed.into(),
            children_injured: t.children_injured.into(),
        }
    }
}

/// Where a report came from; fields not given are left out.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    pub outlet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// SHA-256 of the text the report was drafted from, when it was drafted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl From<&Source> for SourceView {
    fn from(s: &Source) -> Self {
        Self {
            outlet: s.outlet.clone(),
            url: s.url.clone(),
            published: s.published.clone(),
            quote: s.quote.clone(),
            sha256: s.sha256.clone(),
        }
    }
}

/// A monitor's two-axis assessment of an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeView {
    pub by: String,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    pub attributed_to: Vec<String>,
    pub rationale: String,
    pub at: Stamp,
}

/// An incident with its casualty ranges and its latest grade.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentProperties {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: IncidentKind,
    pub reporter: String,
    pub window: Window,
    pub precision_m: f64,
    pub alleged_perpetrator: Option<String>,
    pub perpetrator_text: Option<String>,
    pub casualties: CasualtiesView,
    pub affected_sites: Vec<String>,
    pub affected_movements: Vec<String>,
    pub sources: Vec<SourceView>,
    pub reported: Stamp,
    /// The latest assessment, which counts in tallies.
    pub grade: Option<GradeView>,
    /// How many assessments there are.
    pub assessments: usize,
}

/// An incident as a GeoJSON feature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentFeature {
    #[serde(rename = "type")]
    pub kind: FeatureTag,
    pub id: String,
    pub geometry: GeoJson,
    pub properties: IncidentProperties,
}

impl From<&Incident> for IncidentFeature {
    fn from(i: &Incident) -> Self {
        let r = &i.report;
        let grade = i.grade().map(|g| GradeView {
            by: g.by.clone(),
            occurrence: g.occurrence.into(),
            attribution: g.attribution.into(),
            attributed_to: g.attributed_to.clone(),
            rationale: g.rationale.clone(),
            at: g.at.into(),
        });
        let properties = IncidentProperties {
            reference: i.reference.to_string(),
            kind: r.kind.into(),
            reporter: i.reporter.clone(),
            window: r.window.into(),
            precision_m: r.precision_m,
            alleged_perpetrator: r.alleged_perpetrator.clone(),
            perpetrator_text: r.perpetrator_text.clone(),
            casualties: r.casualties.into(),
            affected_sites: r.affected_sites.iter().map(ToString::to_string).collect(),
            affected_movements: r.affected_movements.iter().map(ToString::to_string).collect(),
            sources: r.sources.iter().map(SourceView::from).collect(),
            reported: i.reported.into(),
            grade,
            assessments: i.assessments.len(),
        };
        Self {
            kind: FeatureTag::Tag,
            id: i.reference.to_string(),
            geometry: (&r.geometry).into(),
            properties,
        }
    }
}

/// A page of incidents, with range totals over the page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentCollection {
    #[serde(rename = "type")]
    pub kind: CollectionTag,
    pub features: Vec<IncidentFeature>,
    pub totals: CasualtyTotalsView,
    /// The last incident's reference, when more follow: pass as `after=`.
    pub next_after: Option<String>,
}

impl From<&corridor_service::IncidentPage<'_>> for IncidentCollection {
    fn from(p: &corridor_service::IncidentPage<'_>) -> Self {
        Self {
            kind: CollectionTag::Tag,
            features: p.page.items.iter().map(|i| IncidentFeature::from(*i)).collect(),
            totals: p.totals.into(),
            next_after: p.page.next_after.clone(),
        }
    }
}

/// An acknowledgement, as the evidence view lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceAck {
    pub party: String,
    /// The acknowledgement's entry.
    pub index: u64,
    /// Microseconds since the Unix epoch.
    pub sequenced_at_us: i64,
}

fn evidence_acks(acks: &[Acked<'_>]) -> Vec<EvidenceAck> {
    acks.iter()
        .map(|a| EvidenceAck {
            party: a.party.to_string(),
            index: a.index,
            sequenced_at_us: a.sequenced_at_us,
        })
        .collect()
}

/// A notified site within reach of an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifiedSiteView {
    pub site: String,
    pub name: String,
    pub operator: String,
    /// The notification's entry.
    pub entry: u64,
    #[schema(format = DateTime)]
    pub sequenced_at: String,
    pub relative_to_incident: Timing,
    pub distance_m: f64,
    pub acknowledged_by: Vec<EvidenceAck>,
}

/// A notified movement within reach of an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifiedMovementView {
    pub movement: String,
    pub requester: String,
    /// The request's entry.
    pub entry: u64,
    #[schema(format = DateTime)]
    pub sequenced_at: String,
    pub relative_to_incident: Timing,
    pub distance_m: f64,
    pub acknowledged_by: Vec<EvidenceAck>,
}

/// The notification evidence around an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    pub incident: IncidentFeature,
    pub incident_entry: u64,
    pub notified_sites: Vec<NotifiedSiteView>,
    pub notified_movements: Vec<NotifiedMovementView>,
}

impl From<&Evidence<'_>> for EvidenceView {
    fn from(e: &Evidence<'_>) -> Self {
        let site = |n: &Notified<'_, corridor_state::access::Site>| NotifiedSiteView {
            site: n.object.reference.to_string(),
            name: n.object.name.clone(),
            operator: n.object.operator.clone(),
            entry: n.object.notified.index,
            sequenced_at: time_ms(n.object.notified.at_us),
            relative_to_incident: n.timing.into(),
            distance_m: n.distance_m,
            acknowledged_by: evidence_acks(&n.acknowledged_by),
        };
        let movement = |n: &Notified<'_, corridor_state::access::Movement>| NotifiedMovementView {
            movement: n.object.reference.to_string(),
            requester: n.object.requester.clone(),
            entry: n.object.requested.index,
            sequenced_at: time_ms(n.object.requested.at_us),
            relative_to_incident: n.timing.into(),
            distance_m: n.distance_m,
            acknowledged_by: evidence_acks(&n.acknowledged_by),
        };
        Self {
            incident: e.incident.into(),
            incident_entry: e.incident.reported.index,
            notified_sites: e.sites.iter().map(site).collect(),
            notified_movements: e.movements.iter().map(movement).collect(),
        }
    }
}

/// One reporting party's incidents inside an agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterTally {
    pub incidents: u64,
    pub casualties: CasualtyTotalsView,
}

/// Incidents inside an agreement's area and window, tallied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViolationsView {
    /// The agreement's reference.
    pub agreement: String,
    /// The incidents' references, in reference order.
    pub incidents: Vec<String>,
    /// Alleged perpetrator (or `unknown`) → occurrence grade (or `unassessed`) → count.
    pub by_alleged_perpetrator: BTreeMap<String, BTreeMap<String, u64>>,
    /// Reporting party → its incidents and their casualties.
    pub by_reporting_party: BTreeMap<String, ReporterTally>,
}

impl From<&Violations<'_>> for ViolationsView {
    fn from(v: &Violations<'_>) -> Self {
        let mut by_alleged_perpetrator: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (who, grades) in &v.by_alleged_perpetrator {
            let row = by_alleged_perpetrator.entry(who.unwrap_or("unknown").to_owned()).or_default();
            for (grade, n) in grades {
                *row.entry(grade.map_or("unassessed", |g| g.as_str()).to_owned()).or_default() += n;
            }
        }
        let by_reporting_party = v
            .by_reporting_party
            .iter()
            .map(|(p, (n, t))| (p.to_string(), ReporterTally { incidents: *n, casualties: (*t).into() }))
            .collect();
        Self {
            agreement: v.agreement.reference.to_string(),
            incidents: v.incidents.iter().map(|i| i.reference.to_string()).collect(),
            by_alleged_perpetrator,
            by_reporting_party,
        }
    }
}

/// A figure quoted in a claim, with its qualifier kept as a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureView {
    pub what: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

impl From<&Figure> for FigureView {
    fn from(f: &Figure) -> Self {
        Self { what: f.what.clone(), min: f.min, max: f.max, unit: f.unit.clone() }
    }
}

/// A claim's body, as signed; optional fields not given are left out.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimRecordView {
    pub speaker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    pub outlet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[schema(format = DateTime)]
    pub published: String,
    pub text: String,
    pub stance: Stance,
    pub figures: Vec<FigureView>,
    pub subjects: Vec<String>,
    /// SHA-256 of the text the claim was drafted from, when it was drafted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
}

/// Evidence linked to a claim: an object's reference or an entry index.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EvidenceRef {
    Object(String),
    Entry(u64),
}

impl From<&Target> for EvidenceRef {
    fn from(t: &Target) -> Self {
        match t {
            Target::Object(r) => Self::Object(r.to_string()),
            Target::Entry(i) => Self::Entry(*i),
        }
    }
}

/// Evidence linked to a claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    pub by: String,
    pub evidence: EvidenceRef,
    pub relation: Relation,
    pub note: Option<String>,
    pub at: Stamp,
}

impl From<&Link> for LinkView {
    fn from(l: &Link) -> Self {
        Self {
            by: l.by.clone(),
            evidence: (&l.evidence).into(),
            relation: l.relation.into(),
            note: l.note.clone(),
            at: l.at.into(),
        }
    }
}

/// A recorded claim and every link to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimRecordEntry {
    #[serde(rename = "ref")]
    pub reference: String,
    pub recorder: String,
    pub record: ClaimRecordView,
    pub recorded: Stamp,
    pub links: Vec<LinkView>,
}

/// A claim with its evidence, for and against.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimView {
    pub claim: ClaimRecordEntry,
    pub supports: Vec<LinkView>,
    pub contradicts: Vec<LinkView>,
    pub context: Vec<LinkView>,
}

impl From<&Claim> for ClaimView {
    fn from(c: &Claim) -> Self {
        use corridor_statement::accountability::Relation as R;
        let r = &c.record;
        let record = ClaimRecordView {
            speaker: r.speaker.clone(),
            affiliation: r.affiliation.clone(),
            outlet: r.outlet.clone(),
            url: r.url.clone(),
            published: time_us(r.published_us),
            text: r.text.clone(),
            stance: r.stance.into(),
            figures: r.figures.iter().map(FigureView::from).collect(),
            subjects: r.subjects.iter().map(ToString::to_string).collect(),
            source_sha256: r.source_sha256.clone(),
        };
        let of = |rel: R| c.links.iter().filter(|l| l.relation == rel).map(LinkView::from).collect();
        Self {
            claim: ClaimRecordEntry {
                reference: c.reference.to_string(),
                recorder: c.recorder.clone(),
                record,
                recorded: c.recorded.into(),
                links: c.links.iter().map(LinkView::from).collect(),
            },
            supports: of(R::Supports),
            contradicts: of(R::Contradicts),
            context: of(R::Context),
        }
    }
}

/// A page of claims, in reference order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimsPage {
    pub claims: Vec<ClaimView>,
    /// The last claim's reference, when more follow: pass as `after=`.
    pub next_after: Option<String>,
}

/// One distribution report as a GeoJSON Feature, placed at its site (a
/// `null` geometry if the site has none).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionFeature {
    #[serde(rename = "type")]
    pub kind: FeatureTag,
    pub id: String,
    pub geometry: Option<GeoJson>,
    pub properties: DistributionView,
}

impl DistributionFeature {
    pub fn new(d: &Distribution, site_geometry: Option<GeoJson>) -> Self {
        let properties = DistributionView::from(d);
        Self { kind: FeatureTag::Tag, id: properties.reference.clone(), geometry: site_geometry, properties }
    }
}

/// Every distribution report: the GeoJSON export of distributions (RFC 7946
/// FeatureCollection).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionCollection {
    #[serde(rename = "type")]
    pub kind: CollectionTag,
    pub features: Vec<DistributionFeature>,
}
