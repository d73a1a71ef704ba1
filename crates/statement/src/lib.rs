//! Signed statements: what a party says, in the form every client and verifier
//! reads (brief §4–§5).
//!
//! - [`envelope`]: DSSE v1 envelopes, their canonical bytes and signatures.
//! - [`statement`]: the statement JSON (`type`, `issuer`, `id`, `issued_at`, `body`).
//! - [`body`]: one typed body per statement type, with its validation.
//! - [`entry`]: the log entry the log builds around an envelope.
//! - [`timefmt`]: RFC 3339 UTC times as microseconds.
//!
//! Parse, don't validate: a statement is parsed exactly once, into typed
//! values (references, geometry, windows, keys), when it is submitted or read
//! back from the log; nothing downstream parses its JSON again. A submission's
//! canonical envelope JSON is serialized once, and the entry built from it.
//!
//! Pure: no I/O, no clock. Every limit is a named constant here, so the server and
//! clients agree on what is refused.
//!
//! # What a submission must meet
//!
//! A submission is read under [`Reading::Submission`]; an entry already in the
//! log under [`Reading::Log`], as it was accepted. Each rule below refuses a
//! submission with the code in brackets and logs nothing. `corridor audit` and
//! `corridor verify --full` re-read every logged entry as a submission and name
//! those a rule refuses today.
//!
//! **Every statement: one spelling for every byte.**
//! - No JSON object repeats a member name, in the envelope or the payload
//!   (`duplicate_member`).
//! - A DSSE `keyid` is `name+` and 8 lower-case hex digits (`noncanonical_key_id`).
//! - Every time is `YYYY-MM-DDTHH:MM:SS.sssZ`: UTC, a `T`, three fractional
//!   digits, a capital `Z` (`noncanonical_time` for any other RFC 3339
//!   spelling; anything not a time at all is `invalid_statement` or
//!   `invalid_body`). Go's `time.RFC3339`, JavaScript's `Date.parse` and
//!   Python's `datetime.fromisoformat` read each as the same instant. The one
//!   exception is a source's `published` in `incident.report`, which quotes
//!   the source as it dates itself ("last Tuesday") and is never read as a time.
//! - An integer is a JSON integer literal within ±(2^53−1): never `2.0`, `2e0`
//!   or a literal beyond that range (`noncanonical_number`).
//! - A GeoJSON position is 2 or 3 finite numbers (`invalid_position`), and a
//!   ring's first and last positions are equal in every member, altitude
//!   included (`unclosed_ring`).
//! - Signatures are Ed25519 with a canonical S (`bad_signature`); base64 is
//!   the standard alphabet, padded, with zero trailing bits (`bad_base64`).
//! - A geometry object has `type` and `coordinates` only
//!   (`foreign_member`): a `crs` (GeoJSON 2008) would make some readers
//!   reproject the positions, a `bbox` could disagree with them.
//!
//! What is not a second spelling: whitespace, member order and string escapes
//! in the payload. Every JSON reader takes them for the same value, and the
//! signed payload bytes are kept exactly as signed.
//!
//! **Every reference names a record that exists** (`unknown_ref`,
//! `unknown_party`), so that no quantity, grade or link falls outside the
//! views that count it. This is checked against the state
//! (`corridor_state::State::admit` and the fold).
//!
//! **Per type**, in the brief's terms:
//! - `party.register`, `party.key.add`: a public key is 32 bytes in its
//!   canonical encoding (`noncanonical_key`) and not of small order
//!   (`weak_key`); a party lists a key once (`repeated_item`) and holds no
//!   public key another party holds, revoked or not (`key_in_use`), so that
//!   a signature speaks for one party only.
//! - `movement.request`, `movement.amend`: the requester is not among its own
//!   escorts (`own_movement`); no escort, manifest line (item and unit) or
//!   condition twice (`repeated_item`); a manifest quantity carries something
//!   (`nonpositive_quantity`) and is at most 2^53−1 (`quantity_out_of_range`).
//! - `movement.respond`: only a party whose clearance the movement needs may
//!   answer, so never the requester itself (`unauthorized`).
//! - `operation.notify`, `agreement.declare`: no party notified or bound twice,
//!   no corridor name twice (`repeated_item`).
//! - `custody.transfer`: every item and every loss hands over a positive
//!   quantity (`nonpositive_quantity`) of at most 2^53−1
//!   (`quantity_out_of_range`), each item once (`repeated_item`).
//! - `distribution.report`: quantities as for custody; at least one person,
//!   and no more households than people (`inconsistent_counts`); a named
//!   consignment has been named by a custody hand-off (`unknown_ref`: its
//!   quantities would reconcile nowhere), and the site exists (`unknown_ref`).
//! - `incident.report`: children killed or injured do not outnumber everyone
//!   killed or injured (`inconsistent_counts`); no affected site or movement
//!   twice (`repeated_item`).
//! - `incident.assess`: no party attributed twice (`repeated_item`).
//! - `claim.record`: no subject twice (`repeated_item`); no figure below zero
//!   (`quantity_out_of_range`).
//! - `claim.link`: a claim is not evidence about itself (`self_link`).
//! - `message.send`, `acknowledge`: no recipient or reference twice
//!   (`repeated_item`); every reference is logged (`unknown_ref`).

pub mod access;
pub mod accountability;
pub mod body;
pub mod entry;
pub mod envelope;
mod error;
pub mod geometry;
mod json_limits;
pub mod statement;
pub mod timefmt;

pub use body::Body;
pub use entry::{
    build_entry, parse_entry, reread_as_submission, LogEntry, ENTRY_OVERHEAD_BYTES, MAX_ENTRY_BYTES,
};
pub use envelope::{
    pae, sign, CanonicalEnvelope, Envelope, EnvelopeSignature, KeyRef, Signature, SignedEnvelope,
    PAYLOAD_TYPE,
};
pub use error::StatementError;
pub use statement::{ObjectRef, Reading, Statement, StatementType, Target};

/// Holds JSON `bytes` that are not an envelope (a request that carries a
/// statement body unsigned, such as a movement preview) to the limits a
/// submission is held to: nesting depth, safe integers and no repeated
/// members. Errors carry the codes a statement breaking the same limit gets.
pub fn check_submission_json(bytes: &[u8]) -> Result<(), StatementError> {
    json_limits::check(bytes, true).map_err(|e| match e {
        json_limits::LimitError::Unreadable => StatementError::MalformedJson(e.to_string()),
        json_limits::LimitError::DuplicateMember(m) => StatementError::DuplicateMember(m),
        json_limits::LimitError::UnsafeInteger(_) => {
            StatementError::NonCanonical { code: "noncanonical_number", detail: e.to_string() }
        }
        other => StatementError::InvalidStatement(other.to_string()),
    })
}
