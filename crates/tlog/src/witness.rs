//! C2SP tlog-witness `add-checkpoint`: the request body, and the witness's
//! decision on it.
//!
//! The body (c2sp.org/tlog-witness) is an `old <size>` line, zero to 63
//! base64 consistency-proof lines, an empty line, then the signed checkpoint.
//! Every line ends in U+000A.
//!
//! [`decide`] is the witness's whole rule, pure so that it can be tested
//! exhaustively: given the latest (size, root) the witness cosigned for the
//! origin, it says whether the new checkpoint may be cosigned, and if not,
//! which refusal the spec names. The caller must run it and record its result
//! in one atomic step (see the spec's rollback race).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::checkpoint::Checkpoint;
use crate::hash::{Hash, HASH_LEN};
use crate::proof::verify_consistency;

/// Most consistency-proof lines a client may send (the spec's bound).
pub const MAX_PROOF_LINES: usize = 63;
/// Largest request body a witness reads, in bytes: a full proof (63 × 45),
/// the old line, and a checkpoint note with room for many signatures.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024;
/// The media type of a 409 answer's body (the witness's latest size).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why a request body is malformed (400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("request body is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    #[error("request body is not UTF-8")]
    NotUtf8,
    #[error("the first line is not `old <size>` with a canonical decimal size")]
    BadOldLine,
    #[error("a consistency proof line is not one base64 SHA-256 hash")]
    BadProofLine,
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    #[error("no empty line before the checkpoint")]
    NoCheckpoint,
}

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    /// The checkpoint's signed-note text, signatures included (not yet verified).
    pub checkpoint_note: String,
}

/// A canonical decimal: `0`, or digits without a leading zero.
fn parse_decimal(s: &str) -> Option<u64> {
    let canonical = s == "0" || (!s.is_empty() && !s.starts_with('0'));
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_hash_line(line: &str) -> Result<Hash, RequestError> {
    let raw = B64.decode(line).map_err(|_| RequestError::BadProofLine)?;
    let hash: [u8; HASH_LEN] = raw.try_into().map_err(|_| RequestError::BadProofLine)?;
    Ok(hash)
}

impl AddCheckpoint {
    /// Parses a request body, refusing any deviation from the spec's layout.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::TooLarge);
        }
        let text = std::str::from_utf8(body).map_err(|_| RequestError::NotUtf8)?;
        let (old_line, mut rest) = text.split_once('\n').ok_or(RequestError::BadOldLine)?;
        let old_size =
            old_line.strip_prefix("old ").and_then(parse_decimal).ok_or(RequestError::BadOldLine)?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest.split_once('\n').ok_or(RequestError::NoCheckpoint)?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            proof.push(parse_hash_line(line)?);
        }
        Ok(Self { old_size, proof, checkpoint_note: rest.to_owned() })
    }

    /// The request body.
    pub fn to_body(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint_note);
        out
    }
}

/// What a witness answers when it will not cosign, with the spec's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the old size is larger than the checkpoint's size.
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldSizeTooLarge { old: u64, size: u64 },
    /// 409 with the latest cosigned size: the client's old size is not it.
    #[error("old size {old} is not the latest cosigned size {latest}")]
    OldSizeMismatch { old: u64, latest: u64 },
    /// 409: a checkpoint of the size already cosigned, with another root.
    /// Two signed roots for one size: proof that the log forked.
    #[error("checkpoint of size {size} has a different root from the one cosigned")]
    RootMismatch { size: u64 },
    /// 422: the consistency proof does not lead from the cosigned tree to this one.
    #[error("the consistency proof from size {old} to {size} does not verify")]
    BadProof { old: u64, size: u64 },
}

impl Refusal {
    /// The HTTP status the spec gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::OldSizeTooLarge { .. } => 400,
            Refusal::OldSizeMismatch { .. } | Refusal::RootMismatch { .. } => 409,
            Refusal::BadProof { .. } => 422,
        }
    }

    /// The size a 409 names (the latest cosigned), for the refusals that are 409s.
    pub fn held_size(&self) -> Option<u64> {
        match self {
            Refusal::OldSizeMismatch { latest, .. } => Some(*latest),
            Refusal::RootMismatch { size } => Some(*size),
            Refusal::OldSizeTooLarge { .. } | Refusal::BadProof { .. } => None,
        }
    }

    /// What the refused checkpoint, validly signed by the log, says about a
    /// fork: a second root for the size cosigned proves one; a consistency
    /// proof that fails may show one (or may be a wrong proof sent with an
    /// honest checkpoint); a stale or oversized old size says nothing.
    pub fn fork_evidence(&self) -> Option<ForkEvidence> {
        match self {
            Refusal::RootMismatch { .. } => Some(ForkEvidence::Proven),
            // The tree cosigned, shown again with a proof it does not need:
            // the same root (a different one is a RootMismatch), so no fork.
            Refusal::BadProof { old, size } if old == size => None,
            Refusal::BadProof { .. } => Some(ForkEvidence::Unproven),
            Refusal::OldSizeTooLarge { .. } | Refusal::OldSizeMismatch { .. } => None,
        }
    }
}

/// How strongly a refused, validly signed checkpoint points to a fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkEvidence {
    /// Two signed roots for one size: the log forked.
    Proven,
    /// The consistency proof from the cosigned tree failed.
    Unproven,
}

/// The witness's rule (c2sp.org/tlog-witness, add-checkpoint), for a checkpoint
/// whose log signature has already been verified. `latest` is the (size, root)
/// last cosigned for the origin, `None` if never. On `Ok`, the caller records
/// `checkpoint` as the latest and cosigns it.
pub fn decide(
    latest: Option<(u64, Hash)>,
    req: &AddCheckpoint,
    checkpoint: &Checkpoint,
) -> Result<(), Refusal> {
    let (latest_size, latest_root) = latest.unwrap_or((0, crate::hash::empty_root()));
    if req.old_size > checkpoint.size {
        return Err(Refusal::OldSizeTooLarge { old: req.old_size, size: checkpoint.size });
    }
    if req.old_size != latest_size {
        return Err(Refusal::OldSizeMismatch { old: req.old_size, latest: latest_size });
    }
    if checkpoint.size == latest_size && latest.is_some() && checkpoint.root != latest_root {
        return Err(Refusal::RootMismatch { size: latest_size });
    }
    if checkpoint.size == 0 && checkpoint.root != crate::hash::empty_root() {
        // The empty tree has one root (RFC 6962: SHA-256 of nothing).
        return Err(Refusal::BadProof { old: 0, size: 0 });
    }
    verify_consistency(latest_size, checkpoint.size, &req.proof, &latest_root, &checkpoint.root)
        .map_err(|_| Refusal::BadProof { old: latest_size, size: checkpoint.size })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Tree;
    use proptest::prelude::*;

    fn tree(n: u64, salt: u8) -> Tree {
        let mut t = Tree::new();
        for i in 0..n {
            t.push(crate::leaf_hash(&[salt, i as u8, (i >> 8) as u8]));
        }
        t
    }

    fn cp(t: &Tree, size: u64) -> Checkpoint {
        Checkpoint { origin: "log.example".into(), size, root: t.root(size).expect("root") }
    }

    #[test]
    fn body_round_trips_and_is_strict() {
        let req = AddCheckpoint {
            old_size: 3,
            proof: vec![[1; 32], [2; 32]],
            checkpoint_note: "o\n5\nAA==\n\n— o x\n".into(),
        };
        assert_eq!(AddCheckpoint::parse(req.to_body().as_bytes()).expect("parses"), req);
        for bad in [
            "old 01\n\nx",
            "old -1\n\nx",
            "old 1",
            "new 1\n\nx",
            "old 1\nAAAA\n\nx",
            "old 1\nabc",
            "old 1 \n\nx",
        ] {
            assert!(AddCheckpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let many = format!("old 1\n{}\nx", format!("{}\n", B64.encode([0u8; 32])).repeat(64));
        assert_eq!(AddCheckpoint::parse(many.as_bytes()), Err(RequestError::TooManyProofLines));
    }

    #[test]
    fn each_refusal_has_the_spec_status() {
        let t = tree(10, 0);
        let fork = tree(10, 1);
        let req = |old, proof| AddCheckpoint { old_size: old, proof, checkpoint_note: String::new() };
        let latest = Some((6, t.root(6).expect("root")));
        let good = req(6, t.consistency_proof(6, 10).expect("proof"));
        assert_eq!(decide(latest, &good, &cp(&t, 10)), Ok(()));
        assert_eq!(decide(latest, &req(11, vec![]), &cp(&t, 10)).map_err(|r| r.status()), Err(400));
        assert_eq!(decide(latest, &req(5, vec![]), &cp(&t, 10)).map_err(|r| r.status()), Err(409));
        assert_eq!(decide(latest, &req(6, vec![]), &cp(&fork, 6)).map_err(|r| r.status()), Err(409));
        let forked = req(6, fork.consistency_proof(6, 10).expect("proof"));
        let refusal = decide(latest, &forked, &cp(&fork, 10)).expect_err("fork");
        assert_eq!((refusal.status(), refusal.fork_evidence()), (422, Some(ForkEvidence::Unproven)));
        let same_size = decide(latest, &req(6, vec![]), &cp(&fork, 6)).expect_err("fork");
        assert_eq!(same_size.fork_evidence(), Some(ForkEvidence::Proven), "two roots for one size");
        let needless =
            decide(latest, &req(6, vec![[7; 32]]), &cp(&t, 6)).expect_err("a proof for equal trees");
        assert_eq!((needless.status(), needless.fork_evidence()), (422, None), "the same tree shows no fork");
        let bogus_empty = Checkpoint { origin: "log.example".into(), size: 0, root: [0x42; 32] };
        assert_eq!(decide(None, &req(0, vec![]), &bogus_empty).map_err(|r| r.status()), Err(422));
        // Never cosigned: old must be 0 and the proof empty.
        assert_eq!(decide(None, &req(0, vec![]), &cp(&t, 10)), Ok(()));
        assert!(decide(None, &req(0, vec![[0; 32]]), &cp(&t, 10)).is_err());
    }

    proptest! {
        /// Whatever the requests, a witness that records each accepted
        /// checkpoint never accepts two roots for one size, and every accepted
        /// tree extends every earlier accepted one.
        #[test]
        fn never_cosigns_two_roots_for_one_size(
            steps in proptest::collection::vec((any::<bool>(), 1u64..40, 0u64..40), 1..30)
        ) {
            let honest = tree(40, 0);
            let fork = tree(40, 1);
            let mut latest: Option<(u64, Hash)> = None;
            let mut cosigned: std::collections::BTreeMap<u64, Hash> = Default::default();
            for (forked, size, old_hint) in steps {
                let t = if forked { &fork } else { &honest };
                let old = latest.map_or(0, |(s, _)| s).min(size);
                let old = if old_hint % 5 == 0 { old_hint.min(size) } else { old };
                let proof = t.consistency_proof(old, size).unwrap_or_default();
                let req = AddCheckpoint { old_size: old, proof, checkpoint_note: String::new() };
                let c = cp(t, size);
                if decide(latest, &req, &c).is_ok() {
                    if let Some(prev) = cosigned.insert(size, c.root) {
                        prop_assert_eq!(prev, c.root);
                    }
                    latest = Some((size, c.root));
                }
            }
            // Every cosigned tree is a prefix of the largest one.
            if let Some((&max, _)) = cosigned.iter().next_back() {
                let t = if cosigned[&max] == honest.root(max).expect("r") { &honest } else { &fork };
                for (&s, r) in &cosigned {
                    prop_assert_eq!(*r, t.root(s).expect("root"));
                }
            }
        }
    }
}
