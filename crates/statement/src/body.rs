//! Typed statement bodies (brief §5, "Bodies") and their validation.
//!
//! Parsing checks what a body says on its own: shapes, enumerations, lengths,
//! references. Whether it is allowed — who may register, whose key may be
//! revoked — depends on the log so far, and is decided by the fold.

use corridor_note::VerifierKey;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{
    self, AgreementDeclare, MovementAmend, MovementCancel, MovementPlan, MovementRespond, MovementUpdate,
    OperationNotify, SiteNotify, Withdraw, ZoneDeclare,
};
use crate::accountability::{
    self, ClaimLink, ClaimRecord, CustodyTransfer, DistributionReport, IncidentAssess, IncidentReport,
};
use crate::error::StatementError;
use crate::statement::{valid_party_id, ObjectRef, StatementType};

pub const MAX_NAME_LEN: usize = 256;
pub const MAX_TEXT_LEN: usize = 16_384;
pub const MAX_KEYS_PER_PARTY: usize = 8;
pub const MAX_RECIPIENTS: usize = 64;
pub const MAX_REFS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Coordination,
    Agency,
    Authority,
    ArmedForce,
    Monitor,
    Observer,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyRegister {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    pub keys: Vec<String>,
}

/// `party.key.add` and `party.key.revoke`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChange {
    pub vkey: String,
    #[serde(default)]
    pub party: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSend {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub refs: Vec<String>,
}

/// What an acknowledgement points at: an object, or a log entry by index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AckTarget {
    Object(ObjectRef),
    Entry(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledge {
    pub refs: Vec<AckTarget>,
}

/// A validated body, one variant per statement type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    PartyRegister(PartyRegister),
    PartyKeyAdd(KeyChange),
    PartyKeyRevoke(KeyChange),
    MessageSend(MessageSend),
    Acknowledge(Acknowledge),
    ZoneDeclare(ZoneDeclare),
    ZoneWithdraw(Withdraw),
    SiteNotify(SiteNotify),
    SiteWithdraw(Withdraw),
    MovementRequest(MovementPlan),
    MovementAmend(MovementAmend),
    MovementCancel(MovementCancel),
    MovementRespond(MovementRespond),
    MovementUpdate(MovementUpdate),
    OperationNotify(OperationNotify),
    OperationWithdraw(Withdraw),
    AgreementDeclare(AgreementDeclare),
    AgreementAccede(ObjectRef),
    CustodyTransfer(CustodyTransfer),
    DistributionReport(DistributionReport),
    IncidentReport(IncidentReport),
    IncidentAssess(IncidentAssess),
    ClaimRecord(ClaimRecord),
    ClaimLink(ClaimLink),
}

pub(crate) fn invalid(msg: impl Into<String>) -> StatementError {
    StatementError::InvalidBody(msg.into())
}

pub(crate) fn typed<T: DeserializeOwned>(body: Value) -> Result<T, StatementError> {
    serde_json::from_value(body).map_err(|e| invalid(e.to_string()))
}

pub(crate) fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<(), StatementError> {
    if required && value.trim().is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    if value.len() > max {
        return Err(invalid(format!("{field} is longer than {max} bytes")));
    }
    Ok(())
}

pub(crate) fn check_count(field: &str, len: usize, min: usize, max: usize) -> Result<(), StatementError> {
    if len < min || len > max {
        return Err(invalid(format!("{field} must hold {min} to {max} items")));
    }
    Ok(())
}

pub(crate) fn check_party(field: &str, id: &str) -> Result<(), StatementError> {
    if !valid_party_id(id) {
        return Err(invalid(format!("{field} {id:?} is not a party id")));
    }
    Ok(())
}

/// Parses a vkey, refusing it with `invalid_body` if malformed.
pub fn parse_vkey(text: &str) -> Result<VerifierKey, StatementError> {
    VerifierKey::parse(text).map_err(|e| invalid(format!("vkey {text:?}: {e}")))
}

impl Body {
    pub fn parse(kind: StatementType, body: Value) -> Result<Self, StatementError> {
        if !body.is_object() {
            return Err(invalid("body must be a JSON object"));
        }
        Ok(match kind {
            StatementType::PartyRegister => Self::PartyRegister(parse_register(body)?),
            StatementType::PartyKeyAdd => Self::PartyKeyAdd(parse_key_change(body)?),
            StatementType::PartyKeyRevoke => Self::PartyKeyRevoke(parse_key_change(body)?),
            StatementType::MessageSend => Self::MessageSend(parse_message(body)?),
            StatementType::Acknowledge => Self::Acknowledge(parse_ack(body)?),
            StatementType::ZoneDeclare => Self::ZoneDeclare(access::parse_zone(body)?),
            StatementType::ZoneWithdraw => Self::ZoneWithdraw(access::parse_withdraw(body, "zone")?),
            StatementType::SiteNotify => Self::SiteNotify(access::parse_site(body)?),
            StatementType::SiteWithdraw => Self::SiteWithdraw(access::parse_withdraw(body, "site")?),
            StatementType::MovementRequest => Self::MovementRequest(access::parse_plan(body)?),
            StatementType::MovementAmend => Self::MovementAmend(access::parse_amend(body)?),
            StatementType::MovementCancel => Self::MovementCancel(access::parse_cancel(body)?),
            StatementType::MovementRespond => Self::MovementRespond(access::parse_respond(body)?),
            StatementType::MovementUpdate => Self::MovementUpdate(access::parse_update(body)?),
            StatementType::OperationNotify => Self::OperationNotify(access::parse_operation(body)?),
            StatementType::OperationWithdraw => {
                Self::OperationWithdraw(access::parse_withdraw(body, "operation")?)
            }
            StatementType::AgreementDeclare => Self::AgreementDeclare(access::parse_agreement(body)?),
            StatementType::AgreementAccede => Self::AgreementAccede(access::parse_accede(body)?),
            StatementType::CustodyTransfer => Self::CustodyTransfer(accountability::parse_custody(body)?),
            StatementType::DistributionReport => {
                Self::DistributionReport(accountability::parse_distribution(body)?)
            }
            StatementType::IncidentReport => Self::IncidentReport(accountability::parse_incident(body)?),
            StatementType::IncidentAssess => Self::IncidentAssess(accountability::parse_assess(body)?),
            StatementType::ClaimRecord => Self::ClaimRecord(accountability::parse_claim(body)?),
            StatementType::ClaimLink => Self::ClaimLink(accountability::parse_link(body)?),
        })
    }
}

fn parse_register(body: Value) -> Result<PartyRegister, StatementError> {
    let b: PartyRegister = typed(body)?;
    check_party("id", &b.id)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_count("keys", b.keys.len(), 1, MAX_KEYS_PER_PARTY)?;
    for k in &b.keys {
        if parse_vkey(k)?.name() != b.id {
            return Err(invalid(format!("key {k:?} is not named after party {:?}", b.id)));
        }
    }
    Ok(b)
}

fn parse_key_change(body: Value) -> Result<KeyChange, StatementError> {
    let b: KeyChange = typed(body)?;
    parse_vkey(&b.vkey)?;
    if let Some(p) = &b.party {
        check_party("party", p)?;
    }
    Ok(b)
}

fn parse_message(body: Value) -> Result<MessageSend, StatementError> {
    let b: MessageSend = typed(body)?;
    check_count("to", b.to.len(), 1, MAX_RECIPIENTS)?;
    for p in &b.to {
        check_party("to", p)?;
    }
    check_text("subject", &b.subject, MAX_NAME_LEN, true)?;
    check_text("text", &b.text, MAX_TEXT_LEN, false)?;
    check_count("refs", b.refs.len(), 0, MAX_REFS)?;
    for r in &b.refs {
        ObjectRef::parse(r).ok_or_else(|| invalid(format!("ref {r:?} is not issuer/id")))?;
    }
    Ok(b)
}

fn parse_ack(body: Value) -> Result<Acknowledge, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        refs: Vec<Value>,
    }
    let raw: Raw = typed(body)?;
    check_count("refs", raw.refs.len(), 1, MAX_REFS)?;
    let refs = raw.refs.iter().map(parse_ack_target).collect::<Result<Vec<_>, _>>()?;
    Ok(Acknowledge { refs })
}

fn parse_ack_target(v: &Value) -> Result<AckTarget, StatementError> {
    match v {
        Value::Number(n) => n.as_u64().map(AckTarget::Entry),
        Value::String(s) => ObjectRef::parse(s).map(AckTarget::Object),
        _ => None,
    }
    .ok_or_else(|| invalid(format!("ref {v} is neither issuer/id nor an entry index")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_note::SignerKey;
    use serde_json::json;

    fn vkey(name: &str) -> String {
        SignerKey::from_seed(name, [1; 32]).expect("name").verifier().to_vkey()
    }

    #[test]
    fn register_requires_keys_named_after_the_party() {
        let ok = json!({"id":"aid-one","name":"Aid One","kind":"agency","keys":[vkey("aid-one")]});
        assert!(Body::parse(StatementType::PartyRegister, ok).is_ok());
        let bad = json!({"id":"aid-one","name":"Aid One","kind":"agency","keys":[vkey("other")]});
        assert_eq!(Body::parse(StatementType::PartyRegister, bad).unwrap_err().code(), "invalid_body");
        let bad_kind = json!({"id":"aid-one","name":"A","kind":"army","keys":[vkey("aid-one")]});
        assert!(Body::parse(StatementType::PartyRegister, bad_kind).is_err());
    }

    #[test]
    fn acknowledge_takes_refs_and_indexes() {
        let b = Body::parse(StatementType::Acknowledge, json!({"refs":["aid-one/m-1", 7]})).expect("valid");
        let Body::Acknowledge(a) = b else { panic!("wrong variant") };
        assert_eq!(a.refs[1], AckTarget::Entry(7));
        for bad in [json!({"refs":[]}), json!({"refs":[-1]}), json!({"refs":["nope"]})] {
            assert!(Body::parse(StatementType::Acknowledge, bad).is_err());
        }
    }

    #[test]
    fn oversized_text_is_refused() {
        let b = json!({"to":["ops"],"subject":"s","text":"x".repeat(MAX_TEXT_LEN + 1)});
        assert!(Body::parse(StatementType::MessageSend, b).is_err());
    }
}
