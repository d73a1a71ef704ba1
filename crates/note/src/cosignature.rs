//! C2SP tlog-cosignature v1 (`cosignature/v1`, Ed25519): a witness's
//! timestamped statement that, as of its time, the checkpoint it signs is the
//! largest consistent tree it has seen for the log.
//!
//! Formats, from the spec (c2sp.org/tlog-cosignature):
//! - key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4];
//! - vkey text `name+hex(keyID)+base64(0x04 || public key)` (signature type 0x04);
//! - signature line `— name base64(keyID || u64 timestamp (big-endian) || Ed25519 signature)`;
//! - signed message `cosignature/v1\ntime <timestamp>\n` followed by the whole
//!   checkpoint body (its final newline included, no signature lines).
//!
//! The private key text is `PRIVATE+KEY+name+hex(keyID)+base64(0x04 || seed)`,
//! the signed-note private key form with the cosignature type byte; the spec
//! defines no private form, and this one keeps the two kinds of key apart.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::{parse_note, split_typed_key, typed_key_id, validate_name, NoteError};

/// The signature type byte of an Ed25519 cosignature key.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The largest timestamp the spec allows (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The key ID of a cosignature/v1 key with the given name, big-endian.
pub fn cosigner_key_id(name: &str, public: &[u8; 32]) -> u32 {
    typed_key_id(name, ALG_COSIGNATURE_V1, public)
}

/// The message a cosignature signs: header line, time line, checkpoint body.
pub fn cosigned_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A witness's public key: verifies its cosignatures.
#[derive(Clone, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    key_id: u32,
    public: VerifyingKey,
}

impl std::fmt::Debug for CosignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// One verified cosignature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosignature {
    /// POSIX seconds at which the witness signed.
    pub timestamp: u64,
}

impl CosignerKey {
    /// Parses `name+hex(keyID)+base64(0x04 || public key)`, refusing a key ID
    /// that does not match, a key of another type, and a weak or non-canonical point.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id, bytes) = split_typed_key(text.trim(), ALG_COSIGNATURE_V1)?;
        let public = VerifyingKey::from_bytes(&bytes).map_err(|_| NoteError::MalformedKey)?;
        if cosigner_key_id(name, &bytes) != id {
            return Err(NoteError::KeyIdMismatch);
        }
        let canonical = public.to_edwards().compress().to_bytes() == bytes;
        if public.is_weak() || !canonical {
            return Err(NoteError::MalformedKey);
        }
        Ok(Self { name: name.to_owned(), key_id: id, public })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.public.to_bytes()
    }

    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.public.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// Verifies one signature blob (after the key ID): timestamp then signature.
    fn verify_blob(&self, body: &str, blob: &[u8]) -> Option<Cosignature> {
        let (ts, sig) = blob.split_at_checked(8)?;
        let timestamp = u64::from_be_bytes(ts.try_into().ok()?);
        if timestamp > MAX_TIMESTAMP {
            return None;
        }
        let sig = ed25519_dalek::Signature::from_slice(sig).ok()?;
        self.public.verify_strict(&cosigned_message(body, timestamp), &sig).ok()?;
        Some(Cosignature { timestamp })
    }

    /// The cosignature this key made on `note` (a signed note whose text is a
    /// checkpoint body), if a line with this key's name and ID verifies. A line
    /// with the name and ID that does not verify is an error: the witness's
    /// key signed nothing of the kind, so the note was altered.
    pub fn find_in(&self, note: &str) -> Result<Option<Cosignature>, NoteError> {
        let parsed = parse_note(note)?;
        let mut found = None;
        for s in parsed.signatures.iter().filter(|s| s.name == self.name && s.key_id == self.key_id) {
            let mut blob = s.key_id.to_be_bytes().to_vec();
            blob.extend_from_slice(&s.signature);
            match self.verify_blob(&parsed.text, &blob[4..]) {
                Some(c) => found = Some(found.map_or(c, |f: Cosignature| f.min(c))),
                None => {
                    return Err(NoteError::FailingSignature(format!("{}+{:08x}", self.name, self.key_id)))
                }
            }
        }
        Ok(found)
    }
}

impl PartialOrd for Cosignature {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cosignature {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.timestamp.cmp(&other.timestamp)
    }
}

/// A witness's private key. Lives only in the witness's data directory.
#[derive(Clone)]
pub struct CosignerSigner {
    name: String,
    key_id: u32,
    signing: SigningKey,
}

impl std::fmt::Debug for CosignerSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CosignerSigner({}+{:08x})", self.name, self.key_id)
    }
}

impl CosignerSigner {
    /// Builds a key from a 32-byte seed; the caller supplies the randomness.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        validate_name(name)?;
        let signing = SigningKey::from_bytes(&seed);
        let key_id = cosigner_key_id(name, signing.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), key_id, signing })
    }

    /// Parses `PRIVATE+KEY+name+hex(keyID)+base64(0x04 || seed)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(NoteError::MalformedKey)?;
        let (name, id, seed) = split_typed_key(rest, ALG_COSIGNATURE_V1)?;
        let key = Self::from_seed(name, seed)?;
        if key.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn to_private_text(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.signing.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    pub fn verifier(&self) -> CosignerKey {
        CosignerKey { name: self.name.clone(), key_id: self.key_id, public: self.signing.verifying_key() }
    }

    /// The signature line (ending in a newline) cosigning checkpoint `body` at
    /// `timestamp` (POSIX seconds, at most [`MAX_TIMESTAMP`]).
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let timestamp = timestamp.min(MAX_TIMESTAMP);
        let sig = self.signing.sign(&cosigned_message(body, timestamp)).to_bytes();
        let mut blob = Vec::with_capacity(76);
        blob.extend_from_slice(&self.key_id.to_be_bytes());
        blob.extend_from_slice(&timestamp.to_be_bytes());
        blob.extend_from_slice(&sig);
        format!("\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sign_note, SignerKey};

    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn witness() -> CosignerSigner {
        CosignerSigner::from_seed("witness.example/w1", [5; 32]).expect("name")
    }

    #[test]
    fn signs_verifies_and_round_trips() {
        let w = witness();
        let log = SignerKey::from_seed("example.com/behind-the-sofa", [1; 32]).expect("name");
        let note = sign_note(BODY, &[&log]).expect("signs") + &w.cosign(BODY, 1_679_315_147);
        let found = w.verifier().find_in(&note).expect("parses");
        assert_eq!(found, Some(Cosignature { timestamp: 1_679_315_147 }));
        assert_eq!(CosignerKey::parse(&w.verifier().to_vkey()).expect("vkey"), w.verifier());
        assert_eq!(CosignerSigner::parse(&w.to_private_text()).expect("skey").verifier(), w.verifier());
        // The log's own key is not a cosigner key, and the other way round.
        assert_eq!(CosignerKey::parse(&log.verifier().to_vkey()), Err(NoteError::UnsupportedAlgorithm));
        assert!(crate::VerifierKey::parse(&w.verifier().to_vkey()).is_err());
    }

    #[test]
    fn a_changed_time_or_body_fails() {
        let w = witness();
        let log = SignerKey::from_seed("example.com/behind-the-sofa", [1; 32]).expect("name");
        let line = w.cosign(BODY, 100);
        let other_body = BODY.replace("20852163", "20852164");
        let moved = sign_note(&other_body, &[&log]).expect("signs") + &line;
        assert!(matches!(w.verifier().find_in(&moved), Err(NoteError::FailingSignature(_))));
        let mut blob = B64.decode(line.trim_end().rsplit(' ').next().expect("blob")).expect("b64");
        blob[11] ^= 1; // the timestamp's last byte
        let retimed = format!(
            "{}\u{2014} witness.example/w1 {}\n",
            sign_note(BODY, &[&log]).expect("s"),
            B64.encode(blob)
        );
        assert!(matches!(w.verifier().find_in(&retimed), Err(NoteError::FailingSignature(_))));
        let absent = sign_note(BODY, &[&log]).expect("signs");
        assert_eq!(w.verifier().find_in(&absent), Ok(None));
    }
}
