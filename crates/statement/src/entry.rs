//! The log entry (the leaf): compact JSON `{"sequenced_at":"…","envelope":{…}}`,
//! built by the log around a submitted envelope. Its bytes are what the leaf hash
//! covers, so they are produced by one function only, [`build_entry`], from
//! the envelope's canonical JSON; [`parse_entry`] reads them back in one pass
//! and refuses any entry that is not exactly what `build_entry` would write.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope::{CanonicalEnvelope, SignedEnvelope};
use crate::error::StatementError;
use crate::statement::Reading;
use crate::timefmt::{parse_utc_us, write_ms};

/// Entries are at most 65,535 bytes: the tlog-tiles entry-bundle limit.
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// `{"sequenced_at":"YYYY-MM-DDTHH:MM:SS.mmmZ","envelope":`: what precedes
/// the canonical envelope JSON in an entry.
const ENTRY_PREFIX_BYTES: usize = 54;
/// Bytes an entry adds around the canonical envelope JSON: the prefix and the
/// closing `}`.
pub const ENTRY_OVERHEAD_BYTES: usize = ENTRY_PREFIX_BYTES + 1;

/// An entry as read back from the log, parsed once.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub sequenced_at_us: i64,
    pub signed: SignedEnvelope,
}

/// Builds the entry bytes. `sequenced_at_us` is truncated to milliseconds, the
/// resolution the entry records. Fails only if the entry would exceed the limit.
pub fn build_entry(sequenced_at_us: i64, envelope: &CanonicalEnvelope) -> Result<Vec<u8>, StatementError> {
    let len = envelope.entry_len();
    if len > MAX_ENTRY_BYTES {
        return Err(StatementError::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(len);
    write_prefix(&mut bytes, sequenced_at_us);
    bytes.extend_from_slice(envelope.as_bytes());
    bytes.push(b'}');
    Ok(bytes)
}

fn write_prefix(out: &mut Vec<u8>, sequenced_at_us: i64) {
    let mut time = [0u8; 24];
    write_ms(sequenced_at_us, &mut time);
    out.extend_from_slice(b"{\"sequenced_at\":\"");
    out.extend_from_slice(&time);
    out.extend_from_slice(b"\",\"envelope\":");
}

/// The entry's JSON, borrowing from its bytes; field order is the canonical one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson<'a> {
    #[serde(borrow)]
    sequenced_at: Cow<'a, str>,
    #[serde(borrow)]
    envelope: EnvelopeJson<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeJson<'a> {
    #[serde(rename = "payloadType", borrow)]
    payload_type: Cow<'a, str>,
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    signatures: Vec<SignatureJson<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureJson<'a> {
    #[serde(borrow)]
    keyid: Cow<'a, str>,
    #[serde(borrow)]
    sig: Cow<'a, str>,
}

/// Parses entry bytes as read back from the log: JSON, time, envelope and
/// statement, once. The bytes must be exactly what [`build_entry`] writes for
/// what they hold, so every reader of the log sees one form of each entry.
pub fn parse_entry(bytes: &[u8]) -> Result<LogEntry, StatementError> {
    let (sequenced_at_us, envelope) = match split_canonical(bytes) {
        Some(fields) => fields,
        None => parse_with_serde(bytes)?,
    };
    let envelope_json = &bytes[ENTRY_PREFIX_BYTES..bytes.len() - 1];
    let signed = SignedEnvelope::from_parts(
        &envelope.payload_type,
        &envelope.payload,
        envelope.signatures.iter().map(|s| (s.keyid.as_ref(), s.sig.as_ref())),
        Sha256::digest(envelope_json).into(),
        Reading::Log,
    )?;
    Ok(LogEntry { sequenced_at_us, signed })
}

/// Reads a logged entry's envelope again as a submission today
/// ([`Reading::Submission`]): `Err` with the reason a submission of it would
/// be refused, for an entry an earlier, laxer release accepted. The entry must
/// have parsed with [`parse_entry`], which fixes its layout.
pub fn reread_as_submission(bytes: &[u8]) -> Result<(), StatementError> {
    let envelope_json = bytes.get(ENTRY_PREFIX_BYTES..bytes.len().saturating_sub(1)).unwrap_or_default();
    SignedEnvelope::from_json(envelope_json).map(|_| ())
}

/// The general reading: JSON, then the canonical-form check.
fn parse_with_serde(bytes: &[u8]) -> Result<(i64, EnvelopeJson<'_>), StatementError> {
    let e: EntryJson<'_> =
        serde_json::from_slice(bytes).map_err(|e| StatementError::MalformedJson(e.to_string()))?;
    let sequenced_at_us = parse_utc_us(&e.sequenced_at)
        .ok_or_else(|| StatementError::InvalidStatement("sequenced_at is not an RFC 3339 UTC time".into()))?;
    check_canonical(bytes, sequenced_at_us, &e.envelope)?;
    Ok((sequenced_at_us, e.envelope))
}

/// The fast reading, for an entry in canonical form whose strings need no
/// escapes (every entry the log writes for a valid envelope): the fields are
/// found by position, in one pass. It answers `None` for anything else, which
/// [`parse_with_serde`] then reads, so it accepts a subset of what that
/// accepts, with the same result (a property test holds it to that).
fn split_canonical(bytes: &[u8]) -> Option<(i64, EnvelopeJson<'_>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("{\"sequenced_at\":\"")?;
    let (time, rest) = (rest.get(..24)?, rest.get(24..)?);
    let sequenced_at_us = parse_utc_us(time)?;
    let mut canonical_time = [0u8; 24];
    write_ms(sequenced_at_us, &mut canonical_time);
    if canonical_time != time.as_bytes() {
        return None;
    }
    let rest = rest.strip_prefix("\",\"envelope\":{\"payloadType\":\"")?;
    let (payload_type, rest) = rest.split_once('"')?;
    let (payload, mut rest) = rest.strip_prefix(",\"payload\":\"")?.split_once('"')?;
    rest = rest.strip_prefix(",\"signatures\":[")?;
    let mut signatures = Vec::with_capacity(1);
    while let Some(after_open) = rest.strip_prefix(if signatures.is_empty() { "{" } else { ",{" }) {
        let (keyid, r) = after_open.strip_prefix("\"keyid\":\"")?.split_once('"')?;
        let (sig, r) = r.strip_prefix(",\"sig\":\"")?.split_once('"')?;
        rest = r.strip_prefix('}')?;
        signatures.push(SignatureJson { keyid: keyid.into(), sig: sig.into() });
    }
    if rest != "]}}" {
        return None;
    }
    let plain = |s: &str| !s.bytes().any(|b| b == b'\\' || b < 0x20);
    let all_plain =
        plain(payload_type) && plain(payload) && signatures.iter().all(|s| plain(&s.keyid) && plain(&s.sig));
    all_plain.then(|| {
        (
            sequenced_at_us,
            EnvelopeJson { payload_type: payload_type.into(), payload: payload.into(), signatures },
        )
    })
}

/// Refuses an entry whose bytes differ from the canonical form of what it
/// holds, comparing piece by piece in place (replay does this for every entry).
fn check_canonical(
    bytes: &[u8],
    sequenced_at_us: i64,
    envelope: &EnvelopeJson<'_>,
) -> Result<(), StatementError> {
    let mut time = [0u8; 24];
    write_ms(sequenced_at_us, &mut time);
    let mut rest = bytes;
    let mut eat = |part: &[u8]| match rest.strip_prefix(part) {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    let canonical = eat(b"{\"sequenced_at\":\"")
        && eat(&time)
        && eat(b"\",\"envelope\":")
        && eat_envelope(&mut eat, envelope)?
        && eat(b"}")
        && rest.is_empty();
    if !canonical {
        return Err(StatementError::InvalidEnvelope(
            "the entry is not in canonical form (compact JSON, sequenced_at with milliseconds)".into(),
        ));
    }
    Ok(())
}

/// Whether the envelope's canonical JSON, as `serde_json` writes it, comes
/// next. Strings without a quote, a backslash or a control character are
/// written as they are (all of a valid envelope's are: a fixed type, base64,
/// key ids), so they are matched directly; anything else is serialized.
fn eat_envelope(eat: &mut dyn FnMut(&[u8]) -> bool, e: &EnvelopeJson<'_>) -> Result<bool, StatementError> {
    let plain = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    let all_plain = plain(&e.payload_type)
        && plain(&e.payload)
        && e.signatures.iter().all(|s| plain(&s.keyid) && plain(&s.sig));
    if !all_plain {
        let json = serde_json::to_vec(e).map_err(|err| StatementError::InvalidEnvelope(err.to_string()))?;
        return Ok(eat(&json));
    }
    let mut ok = [
        b"{\"payloadType\":\"".as_slice(),
        e.payload_type.as_bytes(),
        b"\",\"payload\":\"",
        e.payload.as_bytes(),
        b"\",\"signatures\":[",
    ]
    .iter()
    .all(|p| eat(p));
    for (i, s) in e.signatures.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"" } else { b"," };
        ok = ok
            && [sep, b"{\"keyid\":\"", s.keyid.as_bytes(), b"\",\"sig\":\"", s.sig.as_bytes(), b"\"}"]
                .iter()
                .all(|p| eat(p));
    }
    Ok(ok && eat(b"]}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Envelope, EnvelopeSignature};

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
        let canonical = CanonicalEnvelope::of(&envelope("e30="));
        let bytes = build_entry(us + 999, &canonical).expect("fits");
        let want = r#"{"sequenced_at":"2026-11-22T10:00:00.123Z","envelope":{"payloadType":"application/vnd.corridor.statement.v1+json","payload":"e30=","signatures":[{"keyid":"a+00000000","sig":"AA=="}]}}"#;
        assert_eq!(String::from_utf8(bytes.clone()).expect("utf8"), want);
        let env_len = serde_json::to_vec(&envelope("e30=")).expect("json").len();
        assert_eq!(bytes.len(), env_len + ENTRY_OVERHEAD_BYTES);
        assert_eq!(
            &bytes[..ENTRY_PREFIX_BYTES],
            br#"{"sequenced_at":"2026-11-22T10:00:00.123Z","envelope":"#
        );
    }

    #[test]
    fn oversized_entries_are_refused() {
        let big = CanonicalEnvelope::of(&envelope(&"A".repeat(MAX_ENTRY_BYTES)));
        assert!(matches!(build_entry(0, &big), Err(StatementError::TooLarge(_))));
    }

    fn signed_entry() -> Vec<u8> {
        let key = corridor_note::SignerKey::from_seed("aid-one", [3; 32]).expect("name");
        let st = br#"{"type":"message.send","issuer":"aid-one","id":"m-1","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#;
        let (_, canonical) = SignedEnvelope::from_envelope(crate::sign(st, &[&key])).expect("valid");
        build_entry(1_795_341_600_123_000, &canonical).expect("fits")
    }

    #[test]
    fn reads_back_what_it_built_with_the_submission_digest() {
        let bytes = signed_entry();
        let entry = parse_entry(&bytes).expect("parses");
        assert_eq!(entry.sequenced_at_us, 1_795_341_600_123_000);
        assert_eq!(entry.signed.statement.reference.to_string(), "aid-one/m-1");
        let inner = &bytes[ENTRY_PREFIX_BYTES..bytes.len() - 1];
        let (_, canonical) = SignedEnvelope::from_json(inner).expect("the envelope inside");
        assert_eq!(entry.signed.digest, canonical.digest());
    }

    #[test]
    fn the_fast_canonical_match_is_serde_json_s_form() {
        let sig = |keyid: &'static str| SignatureJson { keyid: keyid.into(), sig: "AA==".into() };
        for keyids in [vec!["a+00000000"], vec!["a+00000000", "b+00000001"], vec![], vec!["q\"uote+00000000"]]
        {
            let e = EnvelopeJson {
                payload_type: crate::PAYLOAD_TYPE.into(),
                payload: "e30=".into(),
                signatures: keyids.into_iter().map(sig).collect(),
            };
            let json = serde_json::to_vec(&e).expect("serializes");
            let matches = |text: &[u8]| {
                let mut rest = text;
                let mut eat = |part: &[u8]| match rest.strip_prefix(part) {
                    Some(r) => {
                        rest = r;
                        true
                    }
                    None => false,
                };
                eat_envelope(&mut eat, &e).expect("matches") && rest.is_empty()
            };
            assert!(matches(&json), "{}", String::from_utf8_lossy(&json));
            let mut spaced = json.clone();
            spaced.insert(1, b' ');
            assert!(!matches(&spaced));
        }
    }

    fn summary(r: Result<(i64, EnvelopeJson<'_>), StatementError>) -> Option<String> {
        r.ok().map(|(t, e)| format!("{t} {}", serde_json::to_string(&e).unwrap_or_default()))
    }

    proptest::proptest! {
        /// Whatever the fast reading accepts, the general one accepts with
        /// the same fields; on valid entries it always answers.
        #[test]
        fn the_fast_reading_agrees_with_the_general_one(
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0u8..3, proptest::prelude::any::<u8>()), 0..3),
        ) {

            let mut bytes = signed_entry();
            if edits.is_empty() {
                proptest::prop_assert!(split_canonical(&bytes).is_some());
            }
            for (at, kind, b) in edits {
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = b,
                    1 => bytes.insert(i, b),
                    _ => { bytes.remove(i); }
                }
            }
            if let Some(fast) = split_canonical(&bytes) {
                let fast = Some(format!("{} {}", fast.0, serde_json::to_string(&fast.1).unwrap_or_default()));
                proptest::prop_assert_eq!(fast, summary(parse_with_serde(&bytes)));
            }
        }
    }

    #[test]
    fn refuses_entries_in_any_other_form() {
        let bytes = String::from_utf8(signed_entry()).expect("utf8");
        let variants = [
            bytes.replace("\",\"envelope\":", "\", \"envelope\":"),
            bytes.replace(".123Z", "Z"),
            bytes.replace(".123Z", ".123000Z"),
            format!("{bytes}\n"),
            bytes.replace("{\"payloadType\"", "{ \"payloadType\""),
            bytes.replace("\"keyid\":\"a", "\"keyid\":\"\\u0061"),
        ];
        for v in &variants {
            assert!(parse_entry(v.as_bytes()).is_err(), "{v}");
        }
        assert!(parse_entry(bytes.as_bytes()).is_ok());
    }
}
