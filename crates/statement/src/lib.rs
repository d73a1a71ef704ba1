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
