//! C2SP tlog-proof v1: one entry's offline-verifiable proof as text — header, index,
//! the inclusion proof one base64 hash per line, a blank line, then the checkpoint.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;

use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::hash::{Hash, HASH_LEN};
use crate::proof::{verify_inclusion, ProofError};

pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// A tree of 2^64 leaves has at most 64 proof hashes.
const MAX_PROOF_HASHES: usize = 64;

/// A parsed tlog-proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    pub proof: Vec<Hash>,
    /// The checkpoint, verbatim (a signed note).
    pub checkpoint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogProofError {
    #[error("tlog-proof is malformed: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// Renders a tlog-proof.
pub fn format_tlog_proof(index: u64, proof: &[Hash], checkpoint_note: &str) -> String {
    let mut out = format!("{TLOG_PROOF_HEADER}\nindex {index}\n");
    for h in proof {
        out.push_str(&B64.encode(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(checkpoint_note);
    out
}

/// Parses a tlog-proof without verifying it.
pub fn parse_tlog_proof(text: &str) -> Result<TlogProof, TlogProofError> {
    let malformed = TlogProofError::Malformed;
    let rest = text
        .strip_prefix(TLOG_PROOF_HEADER)
        .and_then(|r| r.strip_prefix('\n'))
        .ok_or(malformed("missing c2sp.org/tlog-proof@v1 header"))?;
    let (head, checkpoint) = rest.split_once("\n\n").ok_or(malformed("no blank line"))?;
    let mut lines = head.split('\n');
    let mut line = lines.next().ok_or(malformed("no index line"))?;
    let mut extra = None;
    if let Some(b64) = line.strip_prefix("extra ") {
        extra = Some(B64.decode(b64).map_err(|_| malformed("extra is not base64"))?);
        line = lines.next().ok_or(malformed("no index line"))?;
    }
    let index = parse_index(line.strip_prefix("index ").ok_or(malformed("no index line"))?)?;
    let proof = lines.map(parse_hash).collect::<Result<Vec<_>, _>>()?;
    if proof.len() > MAX_PROOF_HASHES {
        return Err(malformed("too many proof hashes"));
    }
    Ok(TlogProof { extra, index, proof, checkpoint: checkpoint.to_owned() })
}

fn parse_index(s: &str) -> Result<u64, TlogProofError> {
    let canonical = s == "0" || (!s.is_empty() && !s.starts_with('0'));
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TlogProofError::Malformed("index is not a canonical decimal"));
    }
    s.parse().map_err(|_| TlogProofError::Malformed("index out of range"))
}

fn parse_hash(line: &str) -> Result<Hash, TlogProofError> {
    let raw = B64.decode(line).map_err(|_| TlogProofError::Malformed("proof hash is not base64"))?;
    let hash: [u8; HASH_LEN] =
        raw.try_into().map_err(|_| TlogProofError::Malformed("proof hash is not 32 bytes"))?;
    Ok(hash)
}

impl TlogProof {
    /// Verifies the checkpoint signature with the log's key and the inclusion of
    /// `leaf` at the proof's index; returns the verified checkpoint.
    pub fn verify(&self, leaf: &Hash, log_vkey: &VerifierKey) -> Result<SignedCheckpoint, TlogProofError> {
        let signed = SignedCheckpoint::open(&self.checkpoint, log_vkey)?;
        let cp = &signed.checkpoint;
        verify_inclusion(self.index, cp.size, leaf, &self.proof, &cp.root)?;
        Ok(signed)
    }
}
