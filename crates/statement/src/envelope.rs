//! DSSE v1 envelopes. The signature covers PAE(payloadType, payload), never the
//! JSON around it, so re-serializing an envelope cannot break it; the log still
//! stores one canonical serialization so that entry bytes are deterministic.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::{SignerKey, VerifierKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StatementError;
use crate::statement::Statement;

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
            if e.is_data() {
                StatementError::InvalidEnvelope(e.to_string())
            } else {
                StatementError::MalformedJson(e.to_string())
            }
        })
    }

    /// The bytes of the log entry that would hold this envelope.
    pub fn entry_len(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |v| v.len()) + crate::entry::ENTRY_OVERHEAD_BYTES
    }
}

/// `name+hex(keyID)`: which key made a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef {
    pub name: String,
    pub key_id: u32,
}

impl KeyRef {
    pub fn parse(text: &str) -> Option<Self> {
        let (name, hex) = text.split_once('+')?;
        corridor_note::validate_name(name).ok()?;
        if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Self { name: name.to_owned(), key_id: u32::from_str_radix(hex, 16).ok()? })
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

/// An envelope whose structure, encodings and statement have been checked (its
/// signatures not yet: that needs the keys, which live in the state).
#[derive(Debug, Clone)]
pub struct SignedEnvelope {
    pub envelope: Envelope,
    pub payload: Vec<u8>,
    pub signatures: Vec<(KeyRef, [u8; 64])>,
    pub statement: Statement,
    /// SHA-256 of the canonical envelope JSON: tells a resubmission of the same
    /// envelope from a different envelope reusing an (issuer, id).
    pub digest: [u8; 32],
}

impl SignedEnvelope {
    /// Parses an envelope from JSON and checks everything that needs no keys.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        Self::from_envelope(Envelope::from_json(bytes)?)
    }

    pub fn from_envelope(envelope: Envelope) -> Result<Self, StatementError> {
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(StatementError::InvalidEnvelope(format!("payloadType must be {PAYLOAD_TYPE}")));
        }
        let payload = B64.decode(&envelope.payload).map_err(|_| StatementError::BadBase64("payload"))?;
        let signatures = parse_signatures(&envelope.signatures)?;
        let statement = Statement::from_json(&payload)?;
        let digest = Sha256::digest(serde_json::to_vec(&envelope).unwrap_or_default()).into();
        Ok(Self { envelope, payload, signatures, statement, digest })
    }

    /// The bytes every signature covers.
    pub fn pae(&self) -> Vec<u8> {
        pae(PAYLOAD_TYPE, &self.payload)
    }

    /// The canonical JSON of the envelope, as stored in the log.
    pub fn canonical_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.envelope).unwrap_or_default()
    }

    /// Checks every signature with the key `lookup` finds for it. All must verify:
    /// an envelope carrying one bad signature is refused, not partly accepted.
    pub fn verify(
        &self,
        mut lookup: impl FnMut(&KeyRef) -> Option<VerifierKey>,
    ) -> Result<(), StatementError> {
        let msg = self.pae();
        for (key_ref, sig) in &self.signatures {
            let key = lookup(key_ref).ok_or_else(|| StatementError::UnknownKey(key_ref.to_string()))?;
            if !key.verify(&msg, sig) {
                return Err(StatementError::BadSignature(key_ref.to_string()));
            }
        }
        Ok(())
    }

    /// Who signed: the key names, in envelope order.
    pub fn signers(&self) -> impl Iterator<Item = &KeyRef> {
        self.signatures.iter().map(|(k, _)| k)
    }
}

fn parse_signatures(sigs: &[EnvelopeSignature]) -> Result<Vec<(KeyRef, [u8; 64])>, StatementError> {
    if sigs.is_empty() || sigs.len() > MAX_SIGNATURES {
        return Err(StatementError::InvalidEnvelope(format!(
            "an envelope carries 1 to {MAX_SIGNATURES} signatures"
        )));
    }
    let mut out: Vec<(KeyRef, [u8; 64])> = Vec::with_capacity(sigs.len());
    for s in sigs {
        let key_ref = KeyRef::parse(&s.keyid).ok_or_else(|| {
            StatementError::InvalidEnvelope(format!("keyid {:?} is not name+8 hex digits", s.keyid))
        })?;
        let raw = B64.decode(&s.sig).map_err(|_| StatementError::BadBase64("signature"))?;
        let sig: [u8; 64] = raw.try_into().map_err(|_| StatementError::BadSignature(key_ref.to_string()))?;
        if out.iter().any(|(k, _)| *k == key_ref) {
            return Err(StatementError::InvalidEnvelope(format!("{key_ref} signed twice")));
        }
        out.push((key_ref, sig));
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
        br#"{"type":"message.send","issuer":"aid-one","id":"m-1","issued_at":"2026-11-22T10:00:00Z","body":{"to":["ops"],"subject":"s","text":"t"}}"#.to_vec()
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
        let parsed = SignedEnvelope::from_json(&json).expect("parses");
        let keys = [a.verifier(), b.verifier()];
        parsed.verify(|r| keys.iter().find(|k| KeyRef::of(k) == *r).cloned()).expect("both verify");
        // A lookup that only knows one key: unknown_key.
        let err = parsed.verify(|r| (r.name == "aid-one").then(|| a.verifier())).unwrap_err();
        assert_eq!(err.code(), "unknown_key");
    }

    #[test]
    fn a_wrong_key_gives_bad_signature() {
        let env = sign(&payload(), &[&key("aid-one")]);
        let parsed = SignedEnvelope::from_envelope(env).expect("parses");
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
