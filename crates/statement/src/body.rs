//! Typed statement bodies (brief §5, "Bodies"), parsed once from the body's
//! JSON text.
//!
//! Parsing checks what a body says on its own: shapes, enumerations, lengths,
//! references, geometry, windows. What it may do — who may register, whose
//! key may be revoked — depends on the log so far, and is decided by the fold.
//! Each body type has a private raw form that mirrors the JSON; the public
//! form holds typed values ([`ObjectRef`], [`corridor_geo::Geometry`],
//! [`crate::access::Window`], [`VerifierKey`]), so nothing downstream parses
//! again.

use corridor_note::VerifierKey;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::access::{
    self, AgreementDeclare, MovementAmend, MovementCancel, MovementPlan, MovementRespond, MovementUpdate,
    OperationNotify, SiteNotify, Withdraw, ZoneDeclare,
};
use crate::accountability::{
    self, ClaimLink, ClaimRecord, CustodyTransfer, DistributionReport, IncidentAssess, IncidentReport,
};
use crate::error::StatementError;
use crate::statement::{valid_party_id, ObjectRef, Reading, StatementType, Target};

/// What reading a body depends on besides its text: how strictly, and who
/// issued it (some rules name the issuer: a movement's own requester cannot
/// escort it).
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub reading: Reading,
    pub issuer: &'a str,
}

impl Ctx<'_> {
    pub(crate) fn strict(&self) -> bool {
        self.reading.strict()
    }
}

/// A value that makes no sense in the domain, refused from submissions.
pub(crate) fn senseless(code: &'static str, detail: impl Into<String>) -> StatementError {
    StatementError::Senseless { code, detail: detail.into() }
}

/// A quantity handed over, distributed or planned: a finite number, not
/// negative; in a submission, above zero (`nonpositive_quantity`) and at most
/// 2^53−1 (`quantity_out_of_range`), the range in which every reader holds
/// whole numbers exactly.
pub(crate) fn check_quantity(field: &str, quantity: f64, ctx: &Ctx<'_>) -> Result<(), StatementError> {
    if !quantity.is_finite() || quantity < 0.0 {
        return Err(invalid(format!("{field}: quantities are non-negative numbers")));
    }
    if !ctx.strict() {
        return Ok(());
    }
    if quantity == 0.0 {
        return Err(senseless(
            "nonpositive_quantity",
            format!("{field}: a quantity of 0 hands nothing over"),
        ));
    }
    if quantity > crate::statement::MAX_SAFE_INTEGER as f64 {
        return Err(senseless("quantity_out_of_range", format!("{field}: {quantity} is above 2^53-1")));
    }
    Ok(())
}

/// Refuses a list naming the same item twice (`repeated_item`), strictly.
pub(crate) fn no_repeats<T: PartialEq + std::fmt::Debug>(
    ctx: &Ctx<'_>,
    field: &str,
    items: &[T],
) -> Result<(), StatementError> {
    if !ctx.strict() {
        return Ok(());
    }
    match items.iter().enumerate().find(|(i, x)| items[..*i].contains(x)) {
        Some((_, x)) => Err(senseless("repeated_item", format!("{field} names {x:?} twice"))),
        None => Ok(()),
    }
}

/// Declares a snake_case enum that parses from and names itself by its wire names.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
        #[borsh(use_discriminant = false)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The wire name (snake_case).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),* }
            }
        }
    };
}

pub(crate) use wire_enum;

pub const MAX_NAME_LEN: usize = 256;
pub const MAX_TEXT_LEN: usize = 16_384;
pub const MAX_KEYS_PER_PARTY: usize = 8;
pub const MAX_RECIPIENTS: usize = 64;
pub const MAX_REFS: usize = 256;

wire_enum!(PartyKind {
    Coordination => "coordination",
    Agency => "agency",
    Authority => "authority",
    ArmedForce => "armed_force",
    Monitor => "monitor",
    Observer => "observer",
});

#[derive(Debug, Clone, PartialEq)]
pub struct PartyRegister {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    /// Every key named after `id`.
    pub keys: Vec<VerifierKey>,
}

/// `party.key.add` and `party.key.revoke`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyChange {
    pub vkey: VerifierKey,
    /// The party whose key changes, when the operator acts for another.
    pub party: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageSend {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub refs: Vec<ObjectRef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledge {
    pub refs: Vec<Target>,
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

/// Deserializes a body's raw form from its JSON text: text that is not JSON
/// (a number out of range, a lone surrogate) is `malformed_json`; a number
/// with a fraction or an exponent where an integer is expected is
/// `noncanonical_number`; a repeated member `duplicate_member`; JSON of the
/// wrong shape `invalid_body`.
pub(crate) fn typed<T: DeserializeOwned>(text: &str) -> Result<T, StatementError> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        match e.classify() {
            serde_json::error::Category::Data if msg.starts_with("invalid type: floating point") => {
                StatementError::NonCanonical { code: "noncanonical_number", detail: msg }
            }
            serde_json::error::Category::Data if msg.starts_with("duplicate field") => {
                StatementError::DuplicateMember(msg)
            }
            serde_json::error::Category::Data => invalid(msg),
            _ => StatementError::MalformedJson(format!("payload: {e}")),
        }
    })
}

/// For `Option<Option<T>>` fields: absent is `None`, `null` is `Some(None)`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
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

/// Parses `issuer/id`, refusing it with `invalid_body` naming the field.
pub(crate) fn parse_ref(field: &str, text: &str) -> Result<ObjectRef, StatementError> {
    ObjectRef::parse(text).ok_or_else(|| invalid(format!("{field} {text:?} is not issuer/id")))
}

/// A reference or an entry index, as JSON: `"issuer/id"` or a non-negative integer.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawTarget {
    Entry(u64),
    Object(String),
    Other(serde::de::IgnoredAny),
}

impl RawTarget {
    pub(crate) fn parse(self) -> Option<Target> {
        match self {
            Self::Entry(i) => Some(Target::Entry(i)),
            Self::Object(s) => ObjectRef::parse(&s).map(Target::Object),
            Self::Other(_) => None,
        }
    }
}

/// Parses a vkey, refusing it with `invalid_body` if malformed; strictly, a
/// vkey spelled other than its canonical text (`noncanonical_key`) or an
/// Ed25519 key of small order or in a non-canonical encoding (`weak_key`)
/// is refused too.
pub fn parse_vkey(text: &str, reading: Reading) -> Result<VerifierKey, StatementError> {
    let key = VerifierKey::parse(text).map_err(|e| invalid(format!("vkey {text:?}: {e}")))?;
    if reading.strict() {
        if key.to_vkey() != text {
            let detail = format!("vkey {text:?} is not written as {:?}", key.to_vkey());
            return Err(StatementError::NonCanonical { code: "noncanonical_key", detail });
        }
        if key.is_weak() {
            return Err(senseless(
                "weak_key",
                format!("vkey {text:?} is of small order or not canonically encoded"),
            ));
        }
    }
    Ok(key)
}

impl Body {
    /// Parses the body of a submitted statement of type `kind` (issuer not
    /// known) from its JSON text.
    pub fn parse(kind: StatementType, text: &str) -> Result<Self, StatementError> {
        Self::parse_with(kind, text, &Ctx { reading: Reading::Submission, issuer: "" })
    }

    /// Parses the body of a statement of type `kind` from its JSON text.
    pub fn parse_with(kind: StatementType, text: &str, ctx: &Ctx<'_>) -> Result<Self, StatementError> {
        if !text.trim_start().starts_with('{') {
            return Err(invalid("body must be a JSON object"));
        }
        Ok(match kind {
            StatementType::PartyRegister => Self::PartyRegister(parse_register(text, ctx)?),
            StatementType::PartyKeyAdd => Self::PartyKeyAdd(parse_key_change(text, ctx)?),
            StatementType::PartyKeyRevoke => Self::PartyKeyRevoke(parse_key_change(text, ctx)?),
            StatementType::MessageSend => Self::MessageSend(parse_message(text, ctx)?),
            StatementType::Acknowledge => Self::Acknowledge(parse_ack(text, ctx)?),
            StatementType::ZoneDeclare => Self::ZoneDeclare(access::parse_zone(text, ctx)?),
            StatementType::ZoneWithdraw => Self::ZoneWithdraw(access::parse_withdraw(text, "zone")?),
            StatementType::SiteNotify => Self::SiteNotify(access::parse_site(text, ctx)?),
            StatementType::SiteWithdraw => Self::SiteWithdraw(access::parse_withdraw(text, "site")?),
            StatementType::MovementRequest => Self::MovementRequest(access::parse_plan(text, ctx)?),
            StatementType::MovementAmend => Self::MovementAmend(access::parse_amend(text, ctx)?),
            StatementType::MovementCancel => Self::MovementCancel(access::parse_cancel(text)?),
            StatementType::MovementRespond => Self::MovementRespond(access::parse_respond(text, ctx)?),
            StatementType::MovementUpdate => Self::MovementUpdate(access::parse_update(text, ctx)?),
            StatementType::OperationNotify => Self::OperationNotify(access::parse_operation(text, ctx)?),
            StatementType::OperationWithdraw => {
                Self::OperationWithdraw(access::parse_withdraw(text, "operation")?)
            }
            StatementType::AgreementDeclare => Self::AgreementDeclare(access::parse_agreement(text, ctx)?),
            StatementType::AgreementAccede => Self::AgreementAccede(access::parse_accede(text)?),
            StatementType::CustodyTransfer => {
                Self::CustodyTransfer(accountability::parse_custody(text, ctx)?)
            }
            StatementType::DistributionReport => {
                Self::DistributionReport(accountability::parse_distribution(text, ctx)?)
            }
            StatementType::IncidentReport => Self::IncidentReport(accountability::parse_incident(text, ctx)?),
            StatementType::IncidentAssess => Self::IncidentAssess(accountability::parse_assess(text, ctx)?),
            StatementType::ClaimRecord => Self::ClaimRecord(accountability::parse_claim(text, ctx)?),
            StatementType::ClaimLink => Self::ClaimLink(accountability::parse_link(text, ctx)?),
        })
    }
}

fn parse_register(text: &str, ctx: &Ctx<'_>) -> Result<PartyRegister, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        id: String,
        name: String,
        kind: PartyKind,
        keys: Vec<String>,
    }
    let b: Raw = typed(text)?;
    check_party("id", &b.id)?;
    check_text("name", &b.name, MAX_NAME_LEN, true)?;
    check_count("keys", b.keys.len(), 1, MAX_KEYS_PER_PARTY)?;
    let mut keys = Vec::with_capacity(b.keys.len());
    no_repeats(ctx, "keys", &b.keys)?;
    for k in &b.keys {
        let key = parse_vkey(k, ctx.reading)?;
        if key.name() != b.id {
            return Err(invalid(format!("key {k:?} is not named after party {:?}", b.id)));
        }
        keys.push(key);
    }
    Ok(PartyRegister { id: b.id, name: b.name, kind: b.kind, keys })
}

fn parse_key_change(text: &str, ctx: &Ctx<'_>) -> Result<KeyChange, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        vkey: String,
        #[serde(default)]
        party: Option<String>,
    }
    let b: Raw = typed(text)?;
    let vkey = parse_vkey(&b.vkey, ctx.reading)?;
    if let Some(p) = &b.party {
        check_party("party", p)?;
    }
    Ok(KeyChange { vkey, party: b.party })
}

fn parse_message(text: &str, ctx: &Ctx<'_>) -> Result<MessageSend, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        to: Vec<String>,
        subject: String,
        text: String,
        #[serde(default)]
        refs: Vec<String>,
    }
    let b: Raw = typed(text)?;
    check_count("to", b.to.len(), 1, MAX_RECIPIENTS)?;
    for p in &b.to {
        check_party("to", p)?;
    }
    check_text("subject", &b.subject, MAX_NAME_LEN, true)?;
    check_text("text", &b.text, MAX_TEXT_LEN, false)?;
    check_count("refs", b.refs.len(), 0, MAX_REFS)?;
    no_repeats(ctx, "to", &b.to)?;
    no_repeats(ctx, "refs", &b.refs)?;
    let refs = b.refs.iter().map(|r| parse_ref("ref", r)).collect::<Result<_, _>>()?;
    Ok(MessageSend { to: b.to, subject: b.subject, text: b.text, refs })
}

fn parse_ack(text: &str, ctx: &Ctx<'_>) -> Result<Acknowledge, StatementError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        refs: Vec<serde_json::Value>,
    }
    let raw: Raw = typed(text)?;
    check_count("refs", raw.refs.len(), 1, MAX_REFS)?;
    let refs = raw.refs.into_iter().map(parse_ack_target).collect::<Result<Vec<_>, _>>()?;
    no_repeats(ctx, "refs", &refs)?;
    Ok(Acknowledge { refs })
}

fn parse_ack_target(v: serde_json::Value) -> Result<Target, StatementError> {
    let shown = v.to_string();
    serde_json::from_value::<RawTarget>(v)
        .ok()
        .and_then(RawTarget::parse)
        .ok_or_else(|| invalid(format!("ref {shown} is neither issuer/id nor an entry index")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_note::SignerKey;
    use serde_json::json;

    fn vkey(name: &str) -> String {
        SignerKey::from_seed(name, [1; 32]).expect("name").verifier().to_vkey()
    }

    fn parse(kind: StatementType, body: serde_json::Value) -> Result<Body, StatementError> {
        Body::parse(kind, &body.to_string())
    }

    #[test]
    fn register_requires_keys_named_after_the_party() {
        let ok = json!({"id":"aid-one","name":"Aid One","kind":"agency","keys":[vkey("aid-one")]});
        assert!(parse(StatementType::PartyRegister, ok).is_ok());
        let bad = json!({"id":"aid-one","name":"Aid One","kind":"agency","keys":[vkey("other")]});
        assert_eq!(parse(StatementType::PartyRegister, bad).unwrap_err().code(), "invalid_body");
        let bad_kind = json!({"id":"aid-one","name":"A","kind":"army","keys":[vkey("aid-one")]});
        assert!(parse(StatementType::PartyRegister, bad_kind).is_err());
    }

    #[test]
    fn acknowledge_takes_refs_and_indexes() {
        let b = parse(StatementType::Acknowledge, json!({"refs":["aid-one/m-1", 7]})).expect("valid");
        let Body::Acknowledge(a) = b else { panic!("wrong variant") };
        assert_eq!(a.refs[1], Target::Entry(7));
        for bad in [json!({"refs":[]}), json!({"refs":[-1]}), json!({"refs":["nope"]}), json!({"refs":[1.5]})]
        {
            assert!(parse(StatementType::Acknowledge, bad).is_err());
        }
    }

    #[test]
    fn oversized_text_is_refused() {
        let b = json!({"to":["ops"],"subject":"s","text":"x".repeat(MAX_TEXT_LEN + 1)});
        assert!(parse(StatementType::MessageSend, b).is_err());
    }

    #[test]
    fn a_body_is_an_object() {
        for text in ["[]", "1", "\"x\"", "null"] {
            assert_eq!(Body::parse(StatementType::MessageSend, text).unwrap_err().code(), "invalid_body");
        }
    }
}
