//! DSSE v1 envelopes. The signature covers PAE(payloadType, payload), never the
//! JSON around it, so re-serializing an envelope cannot break it; the log still
//! stores one canonical serialization so that entry bytes are deterministic.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::prepared::Verifiers;
use corridor_note::{SignerKey, VerifierKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StatementError;
use crate::statement::{Reading, Statement};

pub const PAYLOAD_TYPE: &str = "application/vnd.corridor.statement.v1+json";
/// A custody hand-off needs two signatures; a few more leaves room for witnesses
/// of a statement without letting an envelope carry an unbounded list.
pub const MAX_SIGNATURES: usize = 8;

/// The envelope as it appears on the wire and in the log, in canonical field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    pub keyid: String,
    pub sig: String,
}

impl Envelope {
    /// Parses the envelope's JSON structure only (no base64, no statement).
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() && e.to_string().starts_with("duplicate field") {
                StatementError::DuplicateMember(e.to_string())
            } else if e.is_data() {
                StatementError::InvalidEnvelope(e.to_string())
            } else {
                StatementError::MalformedJson(e.to_string())
            }
        })
    }
}

/// The canonical JSON of an envelope: compact, fields in the order of
/// [`Envelope`], as `serde_json` writes them. It is what a log entry holds
/// (see [`crate::build_entry`]), so it is produced once per submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalEnvelope(Vec<u8>);

impl CanonicalEnvelope {
    pub fn of(envelope: &Envelope) -> Self {
        Self(serde_json::to_vec(envelope).unwrap_or_default())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes of the log entry that would hold this envelope.
    pub fn entry_len(&self) -> usize {
        self.0.len() + crate::entry::ENTRY_OVERHEAD_BYTES
    }

    /// SHA-256 of the canonical JSON: tells a resubmission of the same
    /// envelope from a different envelope reusing an (issuer, id).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.0).into()
    }
}

/// `name+hex(keyID)`: which key made a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef {
    pub name: String,
    pub key_id: u32,
}

impl KeyRef {
    /// Parses `name+hex`: 8 hex digits of either case, as logs before this
    /// release may hold them. A submission must also be written as
    /// [`KeyRef`]'s `Display` writes it (see [`KeyRef::is_canonical`]).
    pub fn parse(text: &str) -> Option<Self> {
        let (name, hex) = text.split_once('+')?;
        corridor_note::validate_name(name).ok()?;
        if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Self { name: name.to_owned(), key_id: u32::from_str_radix(hex, 16).ok()? })
    }

    /// Whether `text` (which parsed as this key ref) is its one spelling, in
    /// lower-case hex: a verifier that matches key ids as text finds it.
    pub fn is_canonical(&self, text: &str) -> bool {
        text.strip_prefix(self.name.as_str())
            .and_then(|rest| rest.strip_prefix('+'))
            .is_some_and(|hex| hex.bytes().all(|b| !b.is_ascii_uppercase()))
    }

    pub fn of(key: &VerifierKey) -> Self {
        Self { name: key.name().to_owned(), key_id: key.key_id() }
    }
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{:08x}", self.name, self.key_id)
    }
}

/// DSSE pre-authentication encoding: `DSSEv1 SP len(type) SP type SP len(payload) SP payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len());
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// One signature of an envelope: the key that made it and its 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub key: KeyRef,
    pub sig: [u8; 64],
}

/// An envelope parsed once: its statement typed, its signatures decoded.
/// Everything is checked but the signatures themselves, which need the keys
/// (they live in the state).
#[derive(Debug, Clone)]
pub struct SignedEnvelope {
    pub statement: Statement,
    pub signatures: Vec<Signature>,
    /// The statement JSON bytes, which every signature covers (through PAE).
    pub payload: Vec<u8>,
    /// SHA-256 of the canonical envelope JSON ([`CanonicalEnvelope::digest`]).
    pub digest: [u8; 32],
}

impl SignedEnvelope {
    /// Parses a submitted envelope (JSON bytes) and checks everything that
    /// needs no keys; returns it with the canonical JSON its entry will hold.
    pub fn from_json(bytes: &[u8]) -> Result<(Self, CanonicalEnvelope), StatementError> {
        Self::from_envelope(Envelope::from_json(bytes)?)
    }

    /// Errors, in the order checked: `too_large` (the entry would exceed
    /// [`crate::MAX_ENTRY_BYTES`]), `invalid_envelope`, `bad_base64`,
    /// `bad_signature` (not 64 bytes), then the statement's own errors.
    pub fn from_envelope(envelope: Envelope) -> Result<(Self, CanonicalEnvelope), StatementError> {
        let canonical = CanonicalEnvelope::of(&envelope);
        if canonical.entry_len() > crate::MAX_ENTRY_BYTES {
            return Err(StatementError::TooLarge(canonical.entry_len()));
        }
        let signed = Self::from_parts(
            &envelope.payload_type,
            &envelope.payload,
            envelope.signatures.iter().map(|s| (s.keyid.as_str(), s.sig.as_str())),
            canonical.digest(),
            Reading::Submission,
        )?;
        Ok((signed, canonical))
    }

    /// Builds from the envelope's fields, as read from a submission or a log
    /// entry; `digest` is that of the envelope's canonical JSON, and
    /// `reading` says how strictly (see [`Reading`]; for an entry, as logged:
    /// [`Statement::from_logged_json`]).
    pub(crate) fn from_parts<'a>(
        payload_type: &str,
        payload_b64: &str,
        signatures: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
        digest: [u8; 32],
        reading: Reading,
    ) -> Result<Self, StatementError> {
        if payload_type != PAYLOAD_TYPE {
            return Err(StatementError::InvalidEnvelope(format!("payloadType must be {PAYLOAD_TYPE}")));
        }
        let payload = B64.decode(payload_b64).map_err(|_| StatementError::BadBase64("payload"))?;
        let signatures = parse_signatures(signatures, reading)?;
        let statement = match reading {
            Reading::Submission => Statement::from_json(&payload)?,
            Reading::Log => Statement::from_logged_json(&payload)?,
        };
        Ok(Self { statement, signatures, payload, digest })
    }

    /// The bytes every signature covers.
    pub fn pae(&self) -> Vec<u8> {
        pae(PAYLOAD_TYPE, &self.payload)
    }

    /// Checks every signature with the key `lookup` finds for it. All must verify:
    /// an envelope carrying one bad signature is refused, not partly accepted.
    pub fn verify(&self, lookup: impl FnMut(&KeyRef) -> Option<VerifierKey>) -> Result<(), StatementError> {
        self.verify_by(lookup, |key, msg, sig| key.verify(msg, sig))
    }

    /// [`Self::verify`] through `verifiers`, which keeps comb tables for the
    /// keys that sign most (same verdicts, less work: see
    /// [`corridor_note::prepared`]).
    pub fn verify_with(
        &self,
        verifiers: &Verifiers,
        lookup: impl FnMut(&KeyRef) -> Option<VerifierKey>,
    ) -> Result<(), StatementError> {
        self.verify_by(lookup, |key, msg, sig| verifiers.verify(key, msg, sig))
    }

    fn verify_by(
        &self,
        mut lookup: impl FnMut(&KeyRef) -> Option<VerifierKey>,
        check: impl Fn(&VerifierKey, &[u8], &[u8]) -> bool,
    ) -> Result<(), StatementError> {
        let msg = self.pae();
        for s in &self.signatures {
            let key = lookup(&s.key).ok_or_else(|| StatementError::UnknownKey(s.key.to_string()))?;
            if !check(&key, &msg, &s.sig) {
                return Err(StatementError::BadSignature(s.key.to_string()));
            }
        }
        Ok(())
    }

    /// Who signed: the keys, in envelope order.
    pub fn signers(&self) -> impl Iterator<Item = &KeyRef> {
        self.signatures.iter().map(|s| &s.key)
    }
}

fn parse_signatures<'a>(
    sigs: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    reading: Reading,
) -> Result<Vec<Signature>, StatementError> {
    if sigs.len() == 0 || sigs.len() > MAX_SIGNATURES {
        return Err(StatementError::InvalidEnvelope(format!(
            "an envelope carries 1 to {MAX_SIGNATURES} signatures"
        )));
    }
    let mut out: Vec<Signature> = Vec::with_capacity(sigs.len());
    for (keyid, sig) in sigs {
        let key = KeyRef::parse(keyid).ok_or_else(|| {
            StatementError::InvalidEnvelope(format!("keyid {keyid:?} is not name+8 hex digits"))
        })?;
        if reading.strict() && !key.is_canonical(keyid) {
            let detail = format!("keyid {keyid:?} is written {key} (lower-case hex)");
            return Err(StatementError::NonCanonical { code: "noncanonical_key_id", detail });
        }
        let raw = B64.decode(sig).map_err(|_| StatementError::BadBase64("signature"))?;
        let sig: [u8; 64] = raw.try_into().map_err(|_| StatementError::BadSignature(key.to_string()))?;
        if out.iter().any(|s| s.key == key) {
            return Err(StatementError::InvalidEnvelope(format!("{key} signed twice")));
        }
        out.push(Signature { key, sig });
    }
    Ok(out)
}

/// Signs statement JSON bytes with each key, giving the envelope.
pub fn sign(payload: &[u8], keys: &[&SignerKey]) -> Envelope {
    let msg = pae(PAYLOAD_TYPE, payload);
    let signatures = keys
        .iter()
        .map(|k| EnvelopeSignature {
            keyid: format!("{}+{:08x}", k.name(), k.key_id()),
            sig: B64.encode(k.sign(&msg)),
        })
        .collect();
    Envelope { payload_type: PAYLOAD_TYPE.to_owned(), payload: B64.encode(payload), signatures }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> SignerKey {
        SignerKey::from_seed(name, [4; 32]).expect("name")
    }

    fn payload() -> Vec<u8> {
        br#"{"type":"message.send","issuer":"aid-one","id":"m-1","issued_at":"2026-11-22T10:00:00.000Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#.to_vec()
    }

    #[test]
    fn pae_matches_the_dsse_definition() {
        assert_eq!(pae("a/b", b"hi"), b"DSSEv1 3 a/b 2 hi".to_vec());
    }

    #[test]
    fn signs_and_verifies_with_several_signatures() {
        let (a, b) = (key("aid-one"), SignerKey::from_seed("ops", [5; 32]).expect("name"));
        let env = sign(&payload(), &[&a, &b]);
        let json = serde_json::to_vec(&env).expect("serializes");
        let (parsed, canonical) = SignedEnvelope::from_json(&json).expect("parses");
        assert_eq!(canonical.as_bytes(), json.as_slice(), "serde_json's compact form is canonical");
        let keys = [a.verifier(), b.verifier()];
        parsed.verify(|r| keys.iter().find(|k| KeyRef::of(k) == *r).cloned()).expect("both verify");
        // A lookup that only knows one key: unknown_key.
        let err = parsed.verify(|r| (r.name == "aid-one").then(|| a.verifier())).unwrap_err();
        assert_eq!(err.code(), "unknown_key");
    }

    /// Base64 has one spelling too: standard alphabet, padded, zero trailing
    /// bits (RFC 4648 §3.5), no whitespace. Another decoder may read any
    /// other spelling differently, or refuse it.
    #[test]
    fn payload_and_signature_base64_have_one_spelling() {
        let env = sign(&payload(), &[&key("aid-one")]);
        let good = env.payload.clone();
        assert!(SignedEnvelope::from_envelope(env.clone()).is_ok());
        let mut variants = vec![
            good.trim_end_matches('=').to_owned(),
            format!("{}\n{}", &good[..8], &good[8..]),
            format!(" {good}"),
            good.replace('+', "-").replace('/', "_"),
        ];
        // The same bytes with non-zero trailing bits: in canonical form the
        // last character before padding has its low (padding) bits zero, so
        // the next character of the alphabet differs only in those bits.
        let unpadded = good.trim_end_matches('=');
        if unpadded.len() < good.len() {
            const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let last = unpadded.chars().last().and_then(|c| ALPHABET.find(c)).expect("a base64 character");
            let bumped = &ALPHABET[last + 1..last + 2];
            let padding = &good[unpadded.len()..];
            variants.push(format!("{}{bumped}{padding}", &unpadded[..unpadded.len() - 1]));
        }
        for variant in variants.into_iter().filter(|v| *v != good) {
            let mut e = env.clone();
            e.payload = variant.clone();
            let err = SignedEnvelope::from_envelope(e).expect_err("a second spelling of the payload");
            assert_eq!(err.code(), "bad_base64", "{variant:?}");
        }
        let mut e = env.clone();
        e.signatures[0].sig = e.signatures[0].sig.trim_end_matches('=').to_owned();
        let code = SignedEnvelope::from_envelope(e).expect_err("an unpadded signature").code();
        assert!(code == "bad_base64" || code == "bad_signature", "{code}");
    }

    #[test]
    fn a_wrong_key_gives_bad_signature() {
        let env = sign(&payload(), &[&key("aid-one")]);
        let (parsed, _) = SignedEnvelope::from_envelope(env).expect("parses");
        let impostor = SignerKey::from_seed("aid-one", [9; 32]).expect("name").verifier();
        assert_eq!(parsed.verify(|_| Some(impostor.clone())).unwrap_err().code(), "bad_signature");
    }

    #[test]
    fn malformed_envelopes_get_specific_codes() {
        let cases: [(&[u8], &str); 5] = [
            (b"{not json", "malformed_json"),
            (br#"{"payloadType":"x","payload":"","signatures":[]}"#, "invalid_envelope"),
            (
                br#"{"payloadType":"application/vnd.corridor.statement.v1+json","payload":"!!","signatures":[{"keyid":"a+00000000","sig":""}]}"#,
                "bad_base64",
            ),
            (br#"{"payloadType":1}"#, "invalid_envelope"),
            (
                br#"{"payloadType":"application/vnd.corridor.statement.v1+json","payload":"e30=","signatures":[]}"#,
                "invalid_envelope",
            ),
        ];
        for (json, code) in cases {
            let err = SignedEnvelope::from_json(json).unwrap_err();
            assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(json));
        }
    }
}
