//! Signed statements: what a party says, in the form every client and verifier
//! reads (brief §4–§5).
//!
//! - [`envelope`]: DSSE v1 envelopes, their canonical bytes and signatures.
//! - [`statement`]: the statement JSON (`type`, `issuer`, `id`, `issued_at`, `body`).
//! - [`body`]: one typed body per statement type, with its validation.
//! - [`entry`]: the log entry the log builds around an envelope.
//! - [`timefmt`]: RFC 3339 UTC times as microseconds.
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
pub mod statement;
pub mod timefmt;

pub use body::Body;
pub use entry::{build_entry, parse_entry, LogEntry, ENTRY_OVERHEAD_BYTES, MAX_ENTRY_BYTES};
pub use envelope::{pae, sign, Envelope, EnvelopeSignature, KeyRef, SignedEnvelope, PAYLOAD_TYPE};
pub use error::StatementError;
pub use statement::{ObjectRef, Statement, StatementType};
