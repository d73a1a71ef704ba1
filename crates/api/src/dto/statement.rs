//! What a client submits: a DSSE envelope whose payload is a statement
//! (brief §4), and each statement type's body (brief §5, "Bodies"). These
//! types document the request in `/openapi.json`; the `statement` crate is
//! what parses it, and `cli/tests/openapi.rs` holds every statement of the
//! demo to these schemas.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::access::{AgreementKind, Decision, ManifestLineView, Purpose, SiteCategory, UpdateStatus};
use super::accountability::{
    Attribution, EvidenceRef, IncidentKind, ItemQuantityView, Occurrence, RangeView, Relation, SourceView,
    Stance,
};
use super::{GeoJson, PartyKind, StatementType};

/// One signature of an envelope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnvelopeSignature {
    /// `name+hex(keyID)` (C2SP signed-note key ID, lower-case hex).
    #[schema(example = "aid-one+7b3d1f20")]
    pub keyid: String,
    /// Base64 Ed25519 signature over PAE(payloadType, payload).
    pub sig: String,
}

/// A DSSE v1 envelope (brief §4).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Envelope {
    /// Always `application/vnd.corridor.statement.v1+json`.
    #[serde(rename = "payloadType")]
    #[schema(example = "application/vnd.corridor.statement.v1+json")]
    pub payload_type: String,
    /// Base64 of the statement JSON bytes.
    pub payload: String,
    /// 1 to 8 signatures; a custody hand-off carries both parties'.
    pub signatures: Vec<EnvelopeSignature>,
}

/// The statement JSON inside an envelope's payload (brief §4–§5).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    #[serde(rename = "type")]
    pub kind: StatementType,
    /// The issuing party's id.
    pub issuer: String,
    /// Unique per issuer: `[A-Za-z0-9._:-]{1,128}`.
    pub id: String,
    #[schema(format = DateTime)]
    pub issued_at: String,
    /// The type's body (brief §5, "Bodies").
    pub body: StatementBody,
}

/// Any statement type's body: one of the `*Body` schemas, as `type` says.
#[derive(Debug, Clone, Serialize)]
pub struct StatementBody(pub Value);

/// Every body schema, by name.
const BODIES: &[&str] = &[
    "PartyRegisterBody",
    "KeyChangeBody",
    "MessageSendBody",
    "AcknowledgeBody",
    "ZoneDeclareBody",
    "ZoneWithdrawBody",
    "SiteNotifyBody",
    "SiteWithdrawBody",
    "MovementRequestBody",
    "MovementAmendBody",
    "MovementCancelBody",
    "MovementRespondBody",
    "MovementUpdateBody",
    "OperationNotifyBody",
    "OperationWithdrawBody",
    "AgreementDeclareBody",
    "AgreementAccedeBody",
    "CustodyTransferBody",
    "DistributionReportBody",
    "IncidentReportBody",
    "IncidentAssessBody",
    "ClaimRecordBody",
    "ClaimLinkBody",
];

impl PartialSchema for StatementBody {
    fn schema() -> RefOr<Schema> {
        let mut any = AnyOfBuilder::new();
        for name in BODIES {
            any = any.item(Ref::from_schema_name(*name));
        }
        any.into()
    }
}

impl ToSchema for StatementBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("StatementBody")
    }
}

/// A time window in a request: `to` left out when open.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowBody {
    #[schema(format = DateTime)]
    pub from: String,
    #[serde(default)]
    #[schema(format = DateTime)]
    pub to: Option<String>,
}

/// `party.register` (operator only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyRegisterBody {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    /// 1 to 8 vkeys, each named after `id`.
    pub keys: Vec<String>,
}

/// `party.key.add` and `party.key.revoke`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyChangeBody {
    pub vkey: String,
    /// The party whose key changes, when the operator acts for another.
    pub party: Option<String>,
}

/// `message.send`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageSendBody {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub refs: Vec<String>,
}

/// `acknowledge`: references or entry indexes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AcknowledgeBody {
    pub refs: Vec<EvidenceRef>,
}

/// `zone.declare`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneDeclareBody {
    pub name: String,
    /// Polygon or MultiPolygon.
    pub geometry: GeoJson,
    pub window: WindowBody,
}

/// `zone.withdraw`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneWithdrawBody {
    pub zone: String,
    pub reason: Option<String>,
}

/// `site.withdraw`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteWithdrawBody {
    pub site: String,
    pub reason: Option<String>,
}

/// `operation.withdraw`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperationWithdrawBody {
    pub operation: String,
    pub reason: Option<String>,
}

/// `site.notify`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteNotifyBody {
    pub name: String,
    pub category: SiteCategory,
    /// Point or Polygon.
    pub geometry: GeoJson,
    pub buffer_m: f64,
    pub window: WindowBody,
    /// The operating party; the issuer when left out.
    pub operator: Option<String>,
    pub people: Option<u64>,
}

/// `movement.request`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementRequestBody {
    pub purpose: Purpose,
    /// A LineString.
    pub route: GeoJson,
    /// Half-width of the corridor.
    pub corridor_m: f64,
    pub window: WindowBody,
    pub origin: String,
    pub destination: String,
    pub origin_site: Option<String>,
    pub destination_site: Option<String>,
    #[serde(default)]
    pub vehicles: u64,
    #[serde(default)]
    pub people: u64,
    #[serde(default)]
    pub escort_from: Vec<String>,
    #[serde(default)]
    pub manifest: Vec<ManifestLineView>,
    pub consignment: Option<String>,
}

/// `movement.amend`: the movement, and any fields of `movement.request`
/// (at least one) replacing the current ones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementAmendBody {
    pub movement: String,
    pub purpose: Option<Purpose>,
    pub route: Option<GeoJson>,
    pub corridor_m: Option<f64>,
    pub window: Option<WindowBody>,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub origin_site: Option<String>,
    pub destination_site: Option<String>,
    pub vehicles: Option<u64>,
    pub people: Option<u64>,
    pub escort_from: Option<Vec<String>>,
    pub manifest: Option<Vec<ManifestLineView>>,
    pub consignment: Option<String>,
}

/// `movement.cancel`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementCancelBody {
    pub movement: String,
    pub reason: String,
}

/// `movement.respond` (required approvers only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementRespondBody {
    pub movement: String,
    pub decision: Decision,
    /// Required with, and only with, `approve_with_conditions`.
    #[serde(default)]
    pub conditions: Vec<String>,
    pub reason: Option<String>,
}

/// `movement.update`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementUpdateBody {
    pub movement: String,
    pub status: UpdateStatus,
    /// A Point.
    pub geometry: Option<GeoJson>,
    pub note: Option<String>,
}

/// `operation.notify` (authorities and armed forces).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperationNotifyBody {
    pub name: String,
    /// Polygon or MultiPolygon.
    pub geometry: GeoJson,
    pub window: WindowBody,
    pub standoff_m: f64,
    #[serde(default)]
    pub notified: Vec<String>,
}

/// An agreed corridor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorridorBody {
    pub name: String,
    /// A LineString.
    pub route: GeoJson,
    pub corridor_m: f64,
    pub window: WindowBody,
}

/// `agreement.declare`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementDeclareBody {
    pub name: String,
    pub kind: AgreementKind,
    pub parties: Vec<String>,
    /// The area (Polygon or MultiPolygon); everywhere when left out.
    pub geometry: Option<GeoJson>,
    pub window: WindowBody,
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub corridors: Vec<CorridorBody>,
}

/// `agreement.accede`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementAccedeBody {
    pub agreement: String,
}

/// Where a hand-off happened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceBody {
    pub name: String,
    /// A Point.
    pub geometry: Option<GeoJson>,
}

/// `custody.transfer`, signed by both parties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustodyTransferBody {
    pub consignment: String,
    pub from: String,
    pub to: String,
    pub items: Vec<ItemQuantityView>,
    pub place: Option<PlaceBody>,
    #[serde(default)]
    pub lost: Vec<ItemQuantityView>,
}

/// `distribution.report`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionReportBody {
    pub site: String,
    pub consignment: Option<String>,
    pub round: String,
    pub period: WindowBody,
    pub items: Vec<ItemQuantityView>,
    pub households: u64,
    pub people: u64,
    #[serde(default)]
    pub planned_per_person: Vec<ItemQuantityView>,
}

/// Casualties as ranges; either end of each may be left out.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CasualtiesBody {
    pub killed: Option<RangeView>,
    pub injured: Option<RangeView>,
    pub children_killed: Option<RangeView>,
    pub children_injured: Option<RangeView>,
}

/// `incident.report`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentReportBody {
    pub kind: IncidentKind,
    pub window: WindowBody,
    /// A Point.
    pub geometry: GeoJson,
    pub precision_m: f64,
    /// Left out when unknown.
    pub alleged_perpetrator: Option<String>,
    pub perpetrator_text: Option<String>,
    pub casualties: CasualtiesBody,
    #[serde(default)]
    pub affected_sites: Vec<String>,
    #[serde(default)]
    pub affected_movements: Vec<String>,
    #[serde(default)]
    pub sources: Vec<SourceView>,
}

/// `incident.assess` (monitors).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentAssessBody {
    pub incident: String,
    pub occurrence: Occurrence,
    pub attribution: Attribution,
    #[serde(default)]
    pub attributed_to: Vec<String>,
    pub rationale: String,
}

/// A figure quoted in a claim, its qualifier kept as a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureBody {
    pub what: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

/// `claim.record`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimRecordBody {
    pub speaker: String,
    pub affiliation: Option<String>,
    pub outlet: String,
    pub url: Option<String>,
    #[schema(format = DateTime)]
    pub published: String,
    pub text: String,
    pub stance: Stance,
    #[serde(default)]
    pub figures: Vec<FigureBody>,
    #[serde(default)]
    pub subjects: Vec<String>,
    /// SHA-256 of the text the claim was drafted from (64 lowercase hex
    /// digits), as `corridor intake` and `POST /v1/intake` fill it.
    pub source_sha256: Option<String>,
}

/// `claim.link`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimLinkBody {
    pub claim: String,
    pub evidence: EvidenceRef,
    pub relation: Relation,
    pub note: Option<String>,
}
