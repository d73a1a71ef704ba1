//! The OpenAPI 3.1 document served at `/openapi.json`, generated (utoipa)
//! from the handlers' `#[utoipa::path]` attributes and the DTOs' schemas, so
//! that it cannot drift from what the API answers. Responses every operation
//! may give (pushback, a stopped service, a storage failure) are added here
//! once.

use std::sync::OnceLock;

use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corridor API",
        description = "A shared, verifiable record for humanitarian access. Every write is a DSSE envelope \
            signed by a party's own key; the log is a C2SP tlog-tiles transparency log. Errors are RFC 9457 \
            problem+json with a stable `code`. Listings page with `limit` (1 to 1,000, 100 by default) and \
            `after` (a page's `next_after`, present only when more items follow)."
    ),
    paths(
        crate::routes::submit,
        crate::routes::checkpoint,
        crate::routes::latest_checkpoint,
        crate::routes::tile,
        crate::routes::log_info,
        crate::routes::entry,
        crate::routes::receipt,
        crate::routes::cosigned_receipt,
        crate::routes::inclusion,
        crate::routes::consistency,
        crate::routes::parties,
        crate::routes::messages,
        crate::routes::events,
        crate::routes::zones,
        crate::routes::sites,
        crate::routes::movements,
        crate::routes::movement,
        crate::routes::movement_preview,
        crate::routes::operations,
        crate::routes::agreements,
        crate::routes::conflicts,
        crate::routes::state_digest,
        crate::routes::consignments,
        crate::routes::consignment,
        crate::routes::distributions,
        crate::routes::incidents,
        crate::routes::incident_evidence,
        crate::routes::violations,
        crate::routes::claims,
        crate::routes::claim,
        crate::intake::intake,
        crate::export::export,
        crate::routes::healthz,
        crate::routes::readyz,
        crate::metrics::render,
        crate::routes::openapi,
    ),
    components(schemas(
        dto::events::EntryEvent,
        dto::events::NoticeEvent,
        dto::statement::Statement,
        dto::statement::PartyRegisterBody,
        dto::statement::KeyChangeBody,
        dto::statement::MessageSendBody,
        dto::statement::AcknowledgeBody,
        dto::statement::ZoneDeclareBody,
        dto::statement::ZoneWithdrawBody,
        dto::statement::SiteNotifyBody,
        dto::statement::SiteWithdrawBody,
        dto::statement::MovementRequestBody,
        dto::statement::MovementAmendBody,
        dto::statement::MovementCancelBody,
        dto::statement::MovementRespondBody,
        dto::statement::MovementUpdateBody,
        dto::statement::OperationNotifyBody,
        dto::statement::OperationWithdrawBody,
        dto::statement::AgreementDeclareBody,
        dto::statement::AgreementAccedeBody,
        dto::statement::CustodyTransferBody,
        dto::statement::DistributionReportBody,
        dto::statement::IncidentReportBody,
        dto::statement::IncidentAssessBody,
        dto::statement::ClaimRecordBody,
        dto::statement::ClaimLinkBody,
        dto::accountability::DistributionCollection,
        dto::accountability::DistributionFeature,
    )),
    modifiers(&CommonResponses),
    tags(
        (name = "log", description = "Submitting, receipts, entries, proofs, parties, events"),
        (name = "c2sp", description = "The C2SP tlog-tiles read API, for verifiers"),
        (name = "access", description = "Zones, sites, movements and their clearance, operations, agreements, conflicts, messages"),
        (name = "accountability", description = "Custody, distributions, incidents, evidence, violations, claims, exports"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Adds the responses any operation may give.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut Document) {
        let problem = || ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        let unavailable = ResponseBuilder::new()
            .description(
                "Busy or stopped (codes `busy`, `unavailable`): retry after the Retry-After header's seconds",
            )
            .content("application/problem+json", problem())
            .build();
        let wrong_method = ResponseBuilder::new()
            .description("A method this path does not have (code `method_not_allowed`); the Allow header lists those it has")
            .content("application/problem+json", problem())
            .build();
        let failed = ResponseBuilder::new()
            .description("Storage failed (code `storage_error`)")
            .content("application/problem+json", problem())
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                op.responses.responses.entry("503".into()).or_insert(unavailable.clone().into());
                op.responses.responses.entry("405".into()).or_insert(wrong_method.clone().into());
                op.responses.responses.entry("500".into()).or_insert(failed.clone().into());
            }
        }
        let schemas = doc.components.get_or_insert_with(Default::default);
        schemas.schemas.entry("Problem".into()).or_insert_with(<Problem as utoipa::PartialSchema>::schema);
    }
}

/// The document as JSON, generated once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.to_pretty_json().unwrap_or_default()
    })
}
