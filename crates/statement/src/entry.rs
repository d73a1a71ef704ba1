//! The log entry (the leaf): compact JSON `{"sequenced_at":"…","envelope":{…}}`,
//! built by the log around a submitted envelope. Its bytes are what the leaf hash
//! covers, so they are produced by one function only.

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;
use crate::error::StatementError;
use crate::timefmt::{format_ms, parse_utc_us};

/// Entries are at most 65,535 bytes: the tlog-tiles entry-bundle limit.
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// Bytes an entry adds around the canonical envelope JSON:
/// `{"sequenced_at":"YYYY-MM-DDTHH:MM:SS.mmmZ","envelope":` … `}`.
pub const ENTRY_OVERHEAD_BYTES: usize = 55;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    sequenced_at: String,
    envelope: Envelope,
}

/// A parsed log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub sequenced_at_us: i64,
    pub envelope: Envelope,
}

/// Builds the entry bytes. `sequenced_at_us` is truncated to milliseconds, the
/// resolution the entry records. Fails only if the entry would exceed the limit.
pub fn build_entry(sequenced_at_us: i64, envelope: &Envelope) -> Result<Vec<u8>, StatementError> {
    let entry = EntryJson { sequenced_at: format_ms(sequenced_at_us), envelope: envelope.clone() };
    let bytes = serde_json::to_vec(&entry).map_err(|e| StatementError::InvalidEnvelope(e.to_string()))?;
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(StatementError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Parses entry bytes as read back from the log.
pub fn parse_entry(bytes: &[u8]) -> Result<LogEntry, StatementError> {
    let e: EntryJson =
        serde_json::from_slice(bytes).map_err(|e| StatementError::MalformedJson(e.to_string()))?;
    let sequenced_at_us = parse_utc_us(&e.sequenced_at)
        .filter(|us| format_ms(*us) == e.sequenced_at)
        .ok_or_else(|| StatementError::InvalidStatement("sequenced_at is not ...mmmZ".into()))?;
    Ok(LogEntry { sequenced_at_us, envelope: e.envelope })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::EnvelopeSignature;

    fn envelope(payload: &str) -> Envelope {
        Envelope {
            payload_type: crate::PAYLOAD_TYPE.into(),
            payload: payload.into(),
            signatures: vec![EnvelopeSignature { keyid: "a+00000000".into(), sig: "AA==".into() }],
        }
    }

    #[test]
    fn entry_bytes_are_exactly_the_brief_format() {
        let us = crate::timefmt::parse_utc_us("2026-11-22T10:00:00.123Z").expect("time");
        let bytes = build_entry(us + 999, &envelope("e30=")).expect("fits");
        let want = r#"{"sequenced_at":"2026-11-22T10:00:00.123Z","envelope":{"payloadType":"application/vnd.corridor.statement.v1+json","payload":"e30=","signatures":[{"keyid":"a+00000000","sig":"AA=="}]}}"#;
        assert_eq!(String::from_utf8(bytes.clone()).expect("utf8"), want);
        let env_len = serde_json::to_vec(&envelope("e30=")).expect("json").len();
        assert_eq!(bytes.len(), env_len + ENTRY_OVERHEAD_BYTES);
        let parsed = parse_entry(&bytes).expect("parses");
        assert_eq!(parsed.sequenced_at_us, us);
    }

    #[test]
    fn oversized_entries_are_refused() {
        let big = "A".repeat(MAX_ENTRY_BYTES);
        assert!(matches!(build_entry(0, &envelope(&big)), Err(StatementError::TooLarge(_))));
    }
}
