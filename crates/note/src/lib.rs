//! C2SP signed-note keys and notes.
//!
//! Every key in Corridor — a party's, the log's, a witness's — is written in the
//! signed-note Ed25519 encoding, so that tools this project did not write can read
//! it: key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], verifier key text
//! `name+hex(keyID)+base64(0x01 || public key)`, private key text
//! `PRIVATE+KEY+name+hex(keyID)+base64(0x01 || seed)`.
//!
//! Checkpoints are signed notes: a UTF-8 text ending in a newline, a blank line,
//! then one `— name base64(keyID || signature)` line per signature.
//!
//! This crate is pure: no I/O, no clock. Randomness for key generation is passed in.

pub mod cosignature;
pub mod prepared;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature algorithm byte for Ed25519 in the signed-note encoding.
const ALG_ED25519: u8 = 0x01;
/// Longest key name accepted; names are identifiers, not prose.
pub const MAX_NAME_LEN: usize = 256;
/// Most signature lines read from one note; more is refused rather than scanned.
pub const MAX_NOTE_SIGNATURES: usize = 100;
/// Largest note accepted, in bytes.
pub const MAX_NOTE_LEN: usize = 1_000_000;

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("key name is empty, too long, or contains '+', whitespace or a control character")]
    BadName,
    #[error("key text is not of the form name+keyid+base64")]
    MalformedKey,
    #[error("key is not an Ed25519 key (algorithm byte must be 0x01)")]
    UnsupportedAlgorithm,
    #[error("key ID in the key text does not match the key")]
    KeyIdMismatch,
    #[error("note is malformed: {0}")]
    MalformedNote(&'static str),
    #[error("note carries no valid signature by the expected key")]
    NoValidSignature,
    #[error("note carries a signature line by {0} that does not verify")]
    FailingSignature(String),
}

/// Checks a signed-note key name: non-empty, no '+', no whitespace, no control
/// characters (a name appears inside space-separated signature lines).
pub fn validate_name(name: &str) -> Result<(), NoteError> {
    let bad_char = |c: char| c == '+' || c.is_whitespace() || c.is_control();
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(bad_char) {
        return Err(NoteError::BadName);
    }
    Ok(())
}

/// The 4-byte key ID of an Ed25519 key with the given name, as a big-endian integer.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    typed_key_id(name, ALG_ED25519, public)
}

/// SHA-256(name || 0x0A || type || public key)[:4], big-endian: the key ID of
/// a key of signature type `alg` (C2SP signed-note; 0x04 for tlog-cosignature).
pub(crate) fn typed_key_id(name: &str, alg: u8, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, alg]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Splits `name+hex8+base64(alg || 32 bytes)`, checking the name, the form
/// and the signature type byte.
pub(crate) fn split_typed_key(text: &str, alg: u8) -> Result<(&str, u32, [u8; 32]), NoteError> {
    // Names never contain '+', but base64 key data may: split from the left.
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey);
    };
    validate_name(name)?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::MalformedKey);
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| NoteError::MalformedKey)?;
    let raw = B64.decode(data).map_err(|_| NoteError::MalformedKey)?;
    if raw.len() != 33 {
        return Err(NoteError::MalformedKey);
    }
    if raw[0] != alg {
        return Err(NoteError::UnsupportedAlgorithm);
    }
    let bytes: [u8; 32] = raw[1..].try_into().map_err(|_| NoteError::MalformedKey)?;
    Ok((name, id, bytes))
}

/// A public key with its name: what verifies a party's statements or a checkpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    public: VerifyingKey,
}

/// The snapshot encoding (borsh): name, key ID, and the 32 public-key
/// bytes; a load checks the key ID against them as a parse does.
impl borsh::BorshSerialize for VerifierKey {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        self.name.serialize(writer)?;
        self.key_id.serialize(writer)?;
        self.public.to_bytes().serialize(writer)
    }
}

impl borsh::BorshDeserialize for VerifierKey {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
        let name = String::deserialize_reader(reader)?;
        let id = u32::deserialize_reader(reader)?;
        let bytes = <[u8; 32]>::deserialize_reader(reader)?;
        let public = VerifyingKey::from_bytes(&bytes).map_err(|_| invalid("not an Ed25519 public key"))?;
        if key_id(&name, &bytes) != id {
            return Err(invalid("key ID does not match the key"));
        }
        Ok(Self { name, key_id: id, public })
    }
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

impl VerifierKey {
    /// Parses verifier key text `name+hex(keyID)+base64(0x01 || public key)`.
    /// It reads what it can; [`VerifierKey::is_weak`] and a comparison with
    /// [`VerifierKey::to_vkey`] tell a key that should not be accepted anew.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id, bytes) = split_typed_key(text, ALG_ED25519)?;
        let public = VerifyingKey::from_bytes(&bytes).map_err(|_| NoteError::MalformedKey)?;
        if key_id(name, &bytes) != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(Self { name: name.to_owned(), key_id: id, public })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// `name+hex(keyID)`: the form a DSSE `keyid` takes in Corridor.
    pub fn key_ref(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.public.to_bytes()
    }

    /// Whether the key is unfit to verify anything: a point of small order
    /// (every signature "verifies" with some), or an encoding other than the
    /// canonical one of its point (two texts would name one key).
    pub fn is_weak(&self) -> bool {
        let canonical = self.public.to_edwards().compress().to_bytes() == self.public.to_bytes();
        self.public.is_weak() || !canonical
    }

    /// The verifier key text.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.public.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// Strict Ed25519 verification (rejects small-order keys and non-canonical signatures).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.public.verify_strict(msg, &sig).is_ok()
    }
}

/// A private key with its name. Lives only with its party (a file under its
/// control, or the browser); the server holds only the log's own key.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    key_id: u32,
    signing: SigningKey,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignerKey({}+{:08x})", self.name, self.key_id)
    }
}

impl SignerKey {
    /// Builds a key from a 32-byte seed; the caller supplies the randomness.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        validate_name(name)?;
        let signing = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, signing.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), key_id, signing })
    }

    /// Parses `PRIVATE+KEY+name+hex(keyID)+base64(0x01 || seed)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(NoteError::MalformedKey)?;
        let (name, id, seed) = split_typed_key(rest, ALG_ED25519)?;
        let key = Self::from_seed(name, seed)?;
        if key.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The private key text, for writing to the party's own key file.
    pub fn to_private_text(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.signing.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    pub fn verifier(&self) -> VerifierKey {
        VerifierKey { name: self.name.clone(), key_id: self.key_id, public: self.signing.verifying_key() }
    }

    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// Checks that `text` may be the body of a note.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedNote("text does not end in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::MalformedNote("text contains a control character"));
    }
    Ok(())
}

/// Signs `text` with every key in `signers`, giving the note's full text.
pub fn sign_note(text: &str, signers: &[&SignerKey]) -> Result<String, NoteError> {
    check_text(text)?;
    let mut out = String::with_capacity(text.len() + 1 + signers.len() * 128);
    out.push_str(text);
    out.push('\n');
    for key in signers {
        let mut blob = key.key_id.to_be_bytes().to_vec();
        blob.extend_from_slice(&key.sign(text.as_bytes()));
        out.push_str(&format!("\u{2014} {} {}\n", key.name, B64.encode(blob)));
    }
    Ok(out)
}

/// Parses a signed note without verifying any signature.
pub fn parse_note(msg: &str) -> Result<Note, NoteError> {
    if msg.len() > MAX_NOTE_LEN {
        return Err(NoteError::MalformedNote("note too large"));
    }
    let split = msg.rfind("\n\n").ok_or(NoteError::MalformedNote("no blank line"))?;
    let (text, sig_block) = (&msg[..=split], &msg[split + 2..]);
    check_text(text)?;
    if !sig_block.ends_with('\n') {
        return Err(NoteError::MalformedNote("signature block does not end in a newline"));
    }
    let signatures = sig_block[..sig_block.len() - 1]
        .split('\n')
        .map(parse_signature_line)
        .collect::<Result<Vec<_>, _>>()?;
    if signatures.is_empty() || signatures.len() > MAX_NOTE_SIGNATURES {
        return Err(NoteError::MalformedNote("wrong number of signatures"));
    }
    Ok(Note { text: text.to_owned(), signatures })
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line
        .strip_prefix("\u{2014} ")
        .ok_or(NoteError::MalformedNote("signature line does not start with an em dash"))?;
    let (name, b64) =
        rest.split_once(' ').ok_or(NoteError::MalformedNote("signature line has no signature"))?;
    validate_name(name).map_err(|_| NoteError::MalformedNote("bad signer name"))?;
    let blob = B64.decode(b64).map_err(|_| NoteError::MalformedNote("signature is not base64"))?;
    if blob.len() < 5 {
        return Err(NoteError::MalformedNote("signature too short"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
        signature: blob[4..].to_vec(),
    })
}

/// Parses a signed note and requires a valid signature by `verifier`, and
/// that every signature line naming it verifies (C2SP signed-note). Lines by
/// other keys are kept but not checked (they may be witnesses').
pub fn open_note(msg: &str, verifier: &VerifierKey) -> Result<Note, NoteError> {
    let note = parse_note(msg)?;
    // C2SP signed-note: a signature line naming a known key (name and id) is
    // verified; one that fails rejects the whole note (the spec's SHOULD,
    // taken as a MUST), and at least one must verify.
    let by_verifier =
        note.signatures.iter().filter(|s| s.name == verifier.name && s.key_id == verifier.key_id);
    let mut verified = 0;
    for s in by_verifier {
        if !verifier.verify(note.text.as_bytes(), &s.signature) {
            return Err(NoteError::FailingSignature(verifier.key_ref()));
        }
        verified += 1;
    }
    if verified == 0 {
        return Err(NoteError::NoValidSignature);
    }
    Ok(note)
}

#[cfg(test)]
mod weak_key_tests {
    use super::*;

    fn vkey_of(name: &str, bytes: [u8; 32]) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&bytes);
        format!("{name}+{:08x}+{}", key_id(name, &bytes), B64.encode(raw))
    }

    #[test]
    fn keys_of_small_order_and_non_canonical_encodings_are_weak() {
        let good = SignerKey::from_seed("aid", [7; 32]).expect("name").verifier();
        assert!(!good.is_weak());
        // The identity point (small order), encoded canonically.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifierKey::parse(&vkey_of("aid", identity)).expect("parses");
        assert!(weak.is_weak(), "small order");
        // y = p + 1 (2^255 - 18), which names the identity point non-canonically.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        if let Ok(k) = VerifierKey::parse(&vkey_of("aid", non_canonical)) {
            assert!(k.is_weak(), "non-canonical encoding");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, byte: u8) -> SignerKey {
        SignerKey::from_seed(name, [byte; 32]).expect("valid name")
    }

    /// The published signed-note reference vector (key pair, text and signature line)
    /// that every signed-note implementation reproduces.
    const REF_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const REF_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const REF_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const REF_SIG_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn reference_vector_signs_and_verifies_byte_for_byte() {
        let signer = SignerKey::parse(REF_SKEY).expect("reference private key parses");
        assert_eq!(signer.verifier().to_vkey(), REF_VKEY);
        assert_eq!(signer.to_private_text(), REF_SKEY);
        let want = format!("{REF_TEXT}\n{REF_SIG_LINE}");
        assert_eq!(sign_note(REF_TEXT, &[&signer]).expect("signs"), want);
        let vkey = VerifierKey::parse(REF_VKEY).expect("reference vkey parses");
        assert_eq!(open_note(&want, &vkey).expect("opens").text, REF_TEXT);
    }

    /// A note carrying a failing signature line by the trusted key is refused,
    /// before or after a valid one; a failing line by another key is ignored.
    #[test]
    fn a_failing_line_by_the_trusted_key_rejects_the_note() {
        let vkey = VerifierKey::parse(REF_VKEY).expect("reference vkey parses");
        let good = format!("{REF_TEXT}\n{REF_SIG_LINE}");
        let mut bad_blob = B64.decode(REF_SIG_LINE.trim_end().rsplit(' ').next().expect("sig")).expect("b64");
        bad_blob[10] ^= 1;
        let bad_line = format!("\u{2014} PeterNeumann {}\n", B64.encode(&bad_blob));
        for note in
            [format!("{REF_TEXT}\n{bad_line}{REF_SIG_LINE}"), format!("{REF_TEXT}\n{REF_SIG_LINE}{bad_line}")]
        {
            assert!(matches!(open_note(&note, &vkey), Err(NoteError::FailingSignature(_))), "{note}");
        }
        let other = sign_note(REF_TEXT, &[&key("witness.example", 1)]).expect("signs");
        let other_line = other.rsplit_once("\n\n").expect("sig").1;
        let with_other = format!("{good}{other_line}");
        assert_eq!(open_note(&with_other, &vkey).expect("opens").text, REF_TEXT);
    }

    /// A signature whose S is not reduced (S + L, the group order) verifies
    /// under a lax check; strict verification refuses it (RFC 8032 §5.1.7).
    #[test]
    fn a_signature_with_a_non_canonical_s_is_refused() {
        let signer = key("aid", 9);
        let msg = b"statement";
        let sig = signer.sign(msg);
        assert!(signer.verifier().verify(msg, &sig));
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut forged = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(forged[32 + i]) + u16::from(L[i]) + carry;
            forged[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "S + L fits 32 bytes");
        assert!(!signer.verifier().verify(msg, &forged), "S + L is refused");
    }

    #[test]
    fn vkey_round_trips_and_key_id_is_checked() {
        let k = key("example.com/log", 7).verifier();
        let text = k.to_vkey();
        assert_eq!(VerifierKey::parse(&text).expect("parses"), k);
        // Change the key ID digits: must be refused.
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let tampered = format!("{}+00000000+{}", parts[0], parts[2]);
        assert_eq!(VerifierKey::parse(&tampered), Err(NoteError::KeyIdMismatch));
    }

    #[test]
    fn private_key_round_trips() {
        let k = key("aid-one", 9);
        let back = SignerKey::parse(&k.to_private_text()).expect("parses");
        assert_eq!(back.verifier(), k.verifier());
    }

    #[test]
    fn names_with_plus_or_space_are_refused() {
        for bad in ["", "a+b", "a b", "a\nb"] {
            assert_eq!(validate_name(bad), Err(NoteError::BadName), "{bad:?}");
        }
    }

    #[test]
    fn note_signs_and_verifies_and_rejects_tampering() {
        let k = key("log.example", 1);
        let msg = sign_note("log.example\n3\nAAAA\n", &[&k]).expect("signs");
        open_note(&msg, &k.verifier()).expect("verifies");
        let tampered = msg.replacen('3', "4", 1);
        assert_eq!(
            open_note(&tampered, &k.verifier()),
            Err(NoteError::FailingSignature(k.verifier().key_ref()))
        );
        let other = key("log.example", 2).verifier();
        assert_eq!(open_note(&msg, &other), Err(NoteError::NoValidSignature));
    }

    #[test]
    fn malformed_notes_are_refused() {
        for bad in ["", "text\n", "text\n\n", "text\n\n- a b\n", "text\n\n\u{2014} a !!!\n"] {
            assert!(parse_note(bad).is_err(), "{bad:?}");
        }
    }
}
