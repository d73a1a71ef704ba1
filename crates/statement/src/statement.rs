//! The statement JSON: `{"type","issuer","id","issued_at","body"}` (brief §4),
//! parsed once into a [`Statement`] whose body is fully typed.

use std::borrow::Cow;

use compact_str::CompactString;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::body::Body;
use crate::error::StatementError;
use crate::json_limits;
use crate::timefmt::{parse_canonical_us, parse_utc_us};

pub use crate::json_limits::{MAX_JSON_DEPTH, MAX_SAFE_INTEGER};

/// Party ids are key names too: lowercase, no '+', no spaces.
pub const MAX_PARTY_ID_LEN: usize = 64;
/// Statement ids travel in URL paths and references (`issuer/id`).
pub const MAX_STATEMENT_ID_LEN: usize = 128;

macro_rules! statement_types {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Every statement type the log accepts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StatementType { $($variant),* }

        impl StatementType {
            pub const ALL: &'static [StatementType] = &[$(StatementType::$variant),*];

            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }
    };
}

statement_types! {
    PartyRegister => "party.register",
    PartyKeyAdd => "party.key.add",
    PartyKeyRevoke => "party.key.revoke",
    MessageSend => "message.send",
    Acknowledge => "acknowledge",
    ZoneDeclare => "zone.declare",
    ZoneWithdraw => "zone.withdraw",
    SiteNotify => "site.notify",
    SiteWithdraw => "site.withdraw",
    MovementRequest => "movement.request",
    MovementAmend => "movement.amend",
    MovementCancel => "movement.cancel",
    MovementRespond => "movement.respond",
    MovementUpdate => "movement.update",
    OperationNotify => "operation.notify",
    OperationWithdraw => "operation.withdraw",
    AgreementDeclare => "agreement.declare",
    AgreementAccede => "agreement.accede",
    CustodyTransfer => "custody.transfer",
    DistributionReport => "distribution.report",
    IncidentReport => "incident.report",
    IncidentAssess => "incident.assess",
    ClaimRecord => "claim.record",
    ClaimLink => "claim.link",
}

impl std::fmt::Display for StatementType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to an object (brief §5): the issuer and id of the statement
/// that created it, written `issuer/id`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
pub struct ObjectRef {
    /// Party ids and statement ids are short: kept inline up to 24 bytes,
    /// so that the millions of references in the folded state allocate nothing.
    pub issuer: CompactString,
    pub id: CompactString,
}

impl ObjectRef {
    /// Parses `issuer/id`; `None` unless both halves are valid.
    pub fn parse(text: &str) -> Option<Self> {
        let (issuer, id) = text.split_once('/')?;
        (valid_party_id(issuer) && valid_statement_id(id))
            .then(|| Self { issuer: issuer.into(), id: id.into() })
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.issuer, self.id)
    }
}

/// What an acknowledgement or a piece of evidence points at: an object by
/// reference, or a log entry by index.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
pub enum Target {
    Object(ObjectRef),
    Entry(u64),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Object(r) => r.fmt(f),
            Self::Entry(i) => i.fmt(f),
        }
    }
}

/// Reads a time: in its one form for a submission (`noncanonical_time` for
/// any other RFC 3339 spelling, in any offset or case), as accepted before for what is logged;
/// `invalid_body` for what is not a time at all.
pub(crate) fn read_time(field: &str, text: &str, reading: Reading) -> Result<i64, StatementError> {
    let lenient = parse_utc_us(text);
    if !reading.strict() {
        return lenient
            .ok_or_else(|| crate::body::invalid(format!("{field}: {text:?} is not an RFC 3339 UTC time")));
    }
    let some_time = lenient.is_some() || crate::timefmt::is_rfc3339(text);
    match (parse_canonical_us(text), some_time) {
        (Some(us), _) => Ok(us),
        (None, true) => Err(StatementError::NonCanonical {
            code: "noncanonical_time",
            detail: format!("{field}: {text:?} is not written YYYY-MM-DDTHH:MM:SS.sssZ (UTC, milliseconds)"),
        }),
        (None, false) => Err(crate::body::invalid(format!("{field}: {text:?} is not an RFC 3339 UTC time"))),
    }
}

/// `[a-z0-9][a-z0-9.-]*`, at most 64 bytes.
pub fn valid_party_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    first_ok
        && id.len() <= MAX_PARTY_ID_LEN
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// `[A-Za-z0-9._:-]+`, at most 128 bytes: safe in a URL path segment and a reference.
pub fn valid_statement_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_STATEMENT_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The statement as it arrives: the body stays raw text until its type is known.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    issuer: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    issued_at: Cow<'a, str>,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// A statement, parsed once: every field typed, every reference resolved to
/// an [`ObjectRef`], every geometry and window built.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementType,
    /// `issuer/id`: names the statement, and whatever object it creates.
    pub reference: ObjectRef,
    pub issued_at_us: i64,
    pub body: Body,
}

/// How strictly a statement is read.
///
/// A submission is held to one reading of every byte ([`Reading::Submission`]):
/// no repeated member names, times in their one form, key ids in lower case,
/// integers within ±(2^53−1) wherever written, positions of 2 or 3 numbers
/// with rings closed in every member, no weak keys, and values that make
/// sense (see each body type's docs). What is already in the log is read as
/// the release that accepted it read it ([`Reading::Log`]), so that every log
/// replays; the audit reports the entries a submission would refuse today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Submission,
    Log,
}

impl Reading {
    pub fn strict(self) -> bool {
        self == Self::Submission
    }
}

impl Statement {
    /// Parses statement JSON bytes (a DSSE payload) as a submission, strictly.
    ///
    /// Errors, in the order checked: `malformed_json` (not JSON), then
    /// `invalid_statement` (wrong shape, JSON limits, issuer, id, time),
    /// `duplicate_member`, `noncanonical_number`, `unknown_type`,
    /// `noncanonical_time`, and the body's own errors.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        Self::read(bytes, Reading::Submission)
    }

    /// Parses statement JSON bytes read back from the log, as they were
    /// accepted ([`Reading::Log`]). Releases before this one read a statement
    /// as a generic JSON value, in which a repeated member name keeps its last
    /// value, and logged such statements; when the direct reading fails, the
    /// statement is read that way.
    pub fn from_logged_json(bytes: &[u8]) -> Result<Self, StatementError> {
        Self::read(bytes, Reading::Log).or_else(|direct| {
            let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| direct.clone())?;
            let without_repeats = serde_json::to_vec(&value).map_err(|_| direct.clone())?;
            Self::read(&without_repeats, Reading::Log).map_err(|_| direct)
        })
    }

    /// Parses statement JSON bytes under `reading`.
    pub fn read(bytes: &[u8], reading: Reading) -> Result<Self, StatementError> {
        let limits = json_limits::check(bytes, reading.strict());
        if let Err(e @ json_limits::LimitError::Unreadable) = &limits {
            return Err(StatementError::MalformedJson(format!("payload: {e}")));
        }
        let raw: RawStatement<'_> = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
            serde_json::error::Category::Data if e.to_string().starts_with("duplicate field") => {
                StatementError::DuplicateMember(e.to_string())
            }
            serde_json::error::Category::Data => StatementError::InvalidStatement(e.to_string()),
            _ => StatementError::MalformedJson(format!("payload: {e}")),
        })?;
        limits.map_err(|e| match e {
            json_limits::LimitError::DuplicateMember(m) => StatementError::DuplicateMember(m),
            json_limits::LimitError::UnsafeInteger(_) if reading.strict() => {
                StatementError::NonCanonical { code: "noncanonical_number", detail: e.to_string() }
            }
            other => StatementError::InvalidStatement(other.to_string()),
        })?;
        let kind =
            StatementType::parse(&raw.kind).ok_or_else(|| StatementError::UnknownType(raw.kind.into()))?;
        if !valid_party_id(&raw.issuer) {
            return Err(StatementError::InvalidStatement(format!(
                "issuer {:?} is not a party id ([a-z0-9][a-z0-9.-]*, at most {MAX_PARTY_ID_LEN})",
                raw.issuer
            )));
        }
        if !valid_statement_id(&raw.id) {
            return Err(StatementError::InvalidStatement(format!(
                "id {:?} is not [A-Za-z0-9._:-]+ of at most {MAX_STATEMENT_ID_LEN}",
                raw.id
            )));
        }
        let issued_at_us = read_time("issued_at", &raw.issued_at, reading).map_err(|e| match e {
            StatementError::InvalidBody(_) => {
                StatementError::InvalidStatement("issued_at is not an RFC 3339 UTC time".into())
            }
            other => other,
        })?;
        let ctx = crate::body::Ctx { reading, issuer: &raw.issuer };
        let body = Body::parse_with(kind, raw.body.get(), &ctx)?;
        let reference = ObjectRef { issuer: raw.issuer.as_ref().into(), id: raw.id.as_ref().into() };
        Ok(Self { kind, reference, issued_at_us, body })
    }

    pub fn issuer(&self) -> &str {
        &self.reference.issuer
    }

    pub fn id(&self) -> &str {
        &self.reference.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Statement, StatementError> {
        Statement::from_json(json.as_bytes())
    }

    const OK: &str = r#"{"type":"message.send","issuer":"aid-one","id":"m-1","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#;

    /// Snapshots written when the halves were `String`s read the same:
    /// both encode as borsh strings (u32 length, UTF-8), inline or not.
    #[test]
    fn a_reference_encodes_as_two_strings() {
        for (issuer, id) in
            [("ops", "m-1"), ("a-party-id-longer-than-24-bytes", "an-id-longer-than-twenty-four")]
        {
            let r = ObjectRef::parse(&format!("{issuer}/{id}")).expect("valid");
            let expected = borsh::to_vec(&(issuer.to_owned(), id.to_owned())).expect("encodes");
            assert_eq!(borsh::to_vec(&r).expect("encodes"), expected);
            assert_eq!(borsh::from_slice::<ObjectRef>(&expected).expect("decodes"), r);
        }
    }

    #[test]
    fn parses_a_valid_statement() {
        let s = parse(OK).expect("valid");
        assert_eq!(s.kind, StatementType::MessageSend);
        assert_eq!(s.reference.to_string(), "aid-one/m-1");
    }

    #[test]
    fn refuses_each_fault_with_its_code() {
        let cases = [
            (OK.replace("message.send", "message.shout"), "unknown_type"),
            (OK.replace("\"aid-one\"", "\"Aid One\""), "invalid_statement"),
            (OK.replace("\"m-1\"", "\"m/1\""), "invalid_statement"),
            (OK.replace("2026-11-22T10:00:00.000Z", "yesterday"), "invalid_statement"),
            (OK.replace("\"subject\":\"s\"", "\"subject\":9007199254740992"), "noncanonical_number"),
            (OK.replace("\"subject\":\"s\"", "\"subject\":18446744073709551616"), "noncanonical_number"),
            (OK.replace("2026-11-22T10:00:00.000Z", "2026-11-22t10:00:00Z"), "noncanonical_time"),
            (OK.replace("\"subject\":\"s\"", "\"subject\":\"s\",\"subject\":\"s\""), "duplicate_member"),
            (OK.replace("\"id\":\"m-1\"", "\"id\":\"m-1\",\"id\":\"m-1\""), "duplicate_member"),
            (OK.replace("\"to\":[\"ops\"]", "\"to\":[]"), "invalid_body"),
            (OK.replace("\"text\":\"t\"", "\"text\":\"t\",\"extra\":1"), "invalid_body"),
            (OK.replace("\"body\"", "\"bogus\""), "invalid_statement"),
            ("[".to_owned(), "malformed_json"),
        ];
        for (json, code) in cases {
            assert_eq!(parse(&json).unwrap_err().code(), code, "{json}");
        }
    }

    #[test]
    fn statements_logged_with_repeated_members_read_back_as_before() {
        let repeated = OK.replace("\"subject\":\"s\"", "\"subject\":\"s\",\"subject\":\"u\"");
        assert_eq!(parse(&repeated).unwrap_err().code(), "duplicate_member", "a submission is refused");
        let logged = Statement::from_logged_json(repeated.as_bytes()).expect("a logged one is read");
        let crate::Body::MessageSend(m) = logged.body else { panic!("a message") };
        assert_eq!(m.subject, "u", "the last value, as a JSON value keeps it");
        let top = OK.replace("\"id\":\"m-1\"", "\"id\":\"m-0\",\"id\":\"m-1\"");
        assert_eq!(Statement::from_logged_json(top.as_bytes()).expect("read").reference.id, "m-1");
        assert!(Statement::from_logged_json(b"[").is_err());
    }

    #[test]
    fn ids_and_refs() {
        assert!(valid_party_id("ops.coord-1"));
        assert!(!valid_party_id("-ops"));
        assert!(!valid_party_id(&"a".repeat(65)));
        assert!(ObjectRef::parse("aid-one/conv-7").is_some());
        assert!(ObjectRef::parse("aid-one").is_none());
        assert!(ObjectRef::parse("aid-one/a/b").is_none());
    }
}
