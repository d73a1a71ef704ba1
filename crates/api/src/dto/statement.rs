//! What a client submits: a DSSE envelope whose payload is a statement
//! (brief §4). These types document the request; the statement crate parses it.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::StatementType;

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
    #[schema(value_type = Object)]
    pub body: Value,
}
