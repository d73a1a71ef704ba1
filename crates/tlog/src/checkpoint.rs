//! C2SP tlog-checkpoint: `origin\nsize\nbase64(root)\n`, signed as a signed note by
//! the log key whose name is the origin.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::{open_note, sign_note, NoteError, SignerKey, VerifierKey};

use crate::hash::{Hash, HASH_LEN};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint body is malformed: {0}")]
    Malformed(&'static str),
    #[error("checkpoint origin {found:?} is not the log's origin {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// The unsigned body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    /// Parses a checkpoint body; extension lines after the root are allowed and ignored.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let mut lines = text.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty());
        let origin = origin.ok_or(CheckpointError::Malformed("empty origin"))?;
        let size = lines.next().ok_or(CheckpointError::Malformed("no size line"))?;
        let canonical = size == "0" || (!size.starts_with('0') && !size.is_empty());
        if !canonical || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CheckpointError::Malformed("size is not a canonical decimal"));
        }
        let size = size.parse().map_err(|_| CheckpointError::Malformed("size out of range"))?;
        let root = lines.next().ok_or(CheckpointError::Malformed("no root line"))?;
        let root = B64.decode(root).map_err(|_| CheckpointError::Malformed("root is not base64"))?;
        let root: [u8; HASH_LEN] =
            root.try_into().map_err(|_| CheckpointError::Malformed("root is not 32 bytes"))?;
        // Every line ends in a newline (C2SP tlog-checkpoint), the root's too:
        // a body cut short after the root is not another spelling of it.
        lines.next().ok_or(CheckpointError::Malformed("the root line does not end in a newline"))?;
        Ok(Self { origin: origin.to_owned(), size, root })
    }
}

/// A checkpoint together with its signed-note text, as served at `/checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub note: String,
}

impl SignedCheckpoint {
    /// Signs `checkpoint` with the log key. The key's name must be the origin.
    pub fn sign(checkpoint: Checkpoint, log_key: &SignerKey) -> Result<Self, CheckpointError> {
        if log_key.name() != checkpoint.origin {
            return Err(CheckpointError::WrongOrigin {
                expected: log_key.name().to_owned(),
                found: checkpoint.origin,
            });
        }
        let note = sign_note(&checkpoint.body(), &[log_key])?;
        Ok(Self { checkpoint, note })
    }

    /// Verifies a signed checkpoint against the log's verifier key: the signature
    /// must be the log key's, and the origin must be the key's name.
    pub fn open(note: &str, log_vkey: &VerifierKey) -> Result<Self, CheckpointError> {
        let opened = open_note(note, log_vkey)?;
        let checkpoint = Checkpoint::parse_body(&opened.text)?;
        if checkpoint.origin != log_vkey.name() {
            return Err(CheckpointError::WrongOrigin {
                expected: log_vkey.name().to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(Self { checkpoint, note: note.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_key() -> SignerKey {
        SignerKey::from_seed("corridor.example/log", [3; 32]).expect("valid name")
    }

    #[test]
    fn signs_and_opens() {
        let cp = Checkpoint { origin: "corridor.example/log".into(), size: 42, root: [9; 32] };
        let signed = SignedCheckpoint::sign(cp.clone(), &log_key()).expect("signs");
        assert!(signed.note.starts_with("corridor.example/log\n42\n"));
        let opened = SignedCheckpoint::open(&signed.note, &log_key().verifier()).expect("opens");
        assert_eq!(opened.checkpoint, cp);
    }

    #[test]
    fn wrong_origin_is_refused_at_signing() {
        let cp = Checkpoint { origin: "other".into(), size: 1, root: [0; 32] };
        assert!(matches!(SignedCheckpoint::sign(cp, &log_key()), Err(CheckpointError::WrongOrigin { .. })));
    }

    #[test]
    fn non_canonical_sizes_are_refused() {
        for body in ["o\n01\nAAAA\n", "o\n-1\nAAAA\n", "o\n\nAAAA\n", "\n1\nAAAA\n"] {
            assert!(Checkpoint::parse_body(body).is_err(), "{body:?}");
        }
    }

    /// Found by the `note` fuzz target: a body whose root line had no newline
    /// parsed as the checkpoint with one.
    #[test]
    fn every_line_ends_in_a_newline() {
        let cp = Checkpoint { origin: "o".into(), size: 42, root: [1; 32] };
        let body = cp.body();
        assert_eq!(Checkpoint::parse_body(&body), Ok(cp));
        assert!(Checkpoint::parse_body(body.trim_end_matches('\n')).is_err());
        assert!(Checkpoint::parse_body(&format!("{body}extension\n")).is_ok(), "extension lines may follow");
    }
}
