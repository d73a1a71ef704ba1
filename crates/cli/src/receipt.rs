//! Checking a receipt, or a bare C2SP tlog-proof, offline: every field, with
//! nothing but the log's verifier key.
//!
//! A receipt (`POST /v1/statements`, `GET /v1/receipts/{index}`) carries its
//! proof twice: as JSON fields (`index`, `inclusion_proof`, `checkpoint`) and
//! as tlog-proof text (`tlog_proof`, c2sp.org/tlog-proof). Checking only one
//! would let the other say anything, so both are read and must agree; the
//! checkpoint must be signed by the log key under the C2SP signed-note rules
//! (a failing line by that key rejects it); the inclusion proof must prove
//! `leaf_hash` at `index` under that checkpoint (RFC 6962 §2.1.1); and
//! `sequenced_at` must be written in the one form the log writes.
//! Each disagreement has its own error.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;
use corridor_statement::timefmt::parse_canonical_us;
use corridor_tlog::{
    leaf_hash, parse_tlog_proof, verify_inclusion, Hash, ProofError, SignedCheckpoint, TlogProof,
    TlogProofError,
};
use serde::Deserialize;

/// A receipt's JSON, every member required and no other allowed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptJson {
    index: u64,
    leaf_hash: String,
    sequenced_at: String,
    checkpoint: String,
    inclusion_proof: Vec<String>,
    tlog_proof: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("not a receipt: {0}")]
    NotAReceipt(String),
    #[error("leaf_hash is not 32 bytes of base64")]
    LeafHash,
    #[error("inclusion_proof[{0}] is not 32 bytes of base64")]
    ProofHash(usize),
    #[error("sequenced_at {0:?} is not written YYYY-MM-DDTHH:MM:SS.sssZ")]
    SequencedAt(String),
    #[error("tlog_proof: {0}")]
    TlogProofText(TlogProofError),
    #[error("index is {receipt} but tlog_proof says {proof}")]
    IndexDisagrees { receipt: u64, proof: u64 },
    #[error("inclusion_proof differs from the proof in tlog_proof")]
    ProofDisagrees,
    #[error("checkpoint differs from the checkpoint in tlog_proof")]
    CheckpointDisagrees,
    #[error("checkpoint is not signed by the log key: {0}")]
    Signature(TlogProofError),
    #[error("the inclusion proof does not prove leaf_hash at index {index} in the checkpoint of size {size}: {why}")]
    Inclusion { index: u64, size: u64, why: ProofError },
    #[error("leaf_hash differs from the leaf hash of {0}")]
    LeafDisagrees(&'static str),
    #[error("sequenced_at differs from the entry's sequenced_at ({0})")]
    EntryTimeDisagrees(String),
    #[error("the entry does not parse: {0}")]
    Entry(String),
}

/// What a proof proved.
#[derive(Debug)]
pub struct Proven {
    pub index: u64,
    pub checkpoint: SignedCheckpoint,
}

/// What the caller knows of the entry besides the proof: nothing, its leaf
/// hash, or its bytes.
#[derive(Debug, Clone, Copy)]
pub enum Known<'a> {
    Nothing,
    LeafHash(Hash),
    Entry(&'a [u8]),
}

fn hash_b64(text: &str) -> Option<Hash> {
    B64.decode(text).ok()?.try_into().ok()
}

/// Checks a receipt's every field (see the module docs).
pub fn check_receipt(text: &str, vkey: &VerifierKey, known: Known<'_>) -> Result<Proven, ReceiptError> {
    let r: ReceiptJson = serde_json::from_str(text).map_err(|e| ReceiptError::NotAReceipt(e.to_string()))?;
    let leaf = hash_b64(&r.leaf_hash).ok_or(ReceiptError::LeafHash)?;
    let proof = r
        .inclusion_proof
        .iter()
        .enumerate()
        .map(|(i, h)| hash_b64(h).ok_or(ReceiptError::ProofHash(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let sequenced_at_us = parse_canonical_us(&r.sequenced_at)
        .ok_or_else(|| ReceiptError::SequencedAt(r.sequenced_at.clone()))?;
    let tlog = parse_tlog_proof(&r.tlog_proof).map_err(ReceiptError::TlogProofText)?;
    if tlog.index != r.index {
        return Err(ReceiptError::IndexDisagrees { receipt: r.index, proof: tlog.index });
    }
    if tlog.proof != proof {
        return Err(ReceiptError::ProofDisagrees);
    }
    if tlog.checkpoint != r.checkpoint {
        return Err(ReceiptError::CheckpointDisagrees);
    }
    check_known(leaf, Some(sequenced_at_us), known)?;
    prove(&tlog, &leaf, vkey)
}

/// Checks a bare tlog-proof for the entry `known` gives (its leaf hash or bytes).
pub fn check_tlog_proof(text: &str, vkey: &VerifierKey, leaf: Hash) -> Result<Proven, ReceiptError> {
    let tlog = parse_tlog_proof(text).map_err(ReceiptError::TlogProofText)?;
    prove(&tlog, &leaf, vkey)
}

/// The leaf hash or entry the caller gave must agree with the receipt's.
fn check_known(leaf: Hash, sequenced_at_us: Option<i64>, known: Known<'_>) -> Result<(), ReceiptError> {
    match known {
        Known::Nothing => Ok(()),
        Known::LeafHash(given) if given != leaf => Err(ReceiptError::LeafDisagrees("--leaf-hash")),
        Known::LeafHash(_) => Ok(()),
        Known::Entry(bytes) => {
            if leaf_hash(bytes) != leaf {
                return Err(ReceiptError::LeafDisagrees("--entry"));
            }
            let entry =
                corridor_statement::parse_entry(bytes).map_err(|e| ReceiptError::Entry(e.to_string()))?;
            match sequenced_at_us {
                Some(us) if us != entry.sequenced_at_us => Err(ReceiptError::EntryTimeDisagrees(
                    corridor_statement::timefmt::format_ms(entry.sequenced_at_us),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// The checkpoint's signature, then the inclusion of `leaf` at the proof's index.
fn prove(tlog: &TlogProof, leaf: &Hash, vkey: &VerifierKey) -> Result<Proven, ReceiptError> {
    let checkpoint = SignedCheckpoint::open(&tlog.checkpoint, vkey)
        .map_err(|e| ReceiptError::Signature(TlogProofError::Checkpoint(e)))?;
    let (index, size) = (tlog.index, checkpoint.checkpoint.size);
    verify_inclusion(index, size, leaf, &tlog.proof, &checkpoint.checkpoint.root)
        .map_err(|why| ReceiptError::Inclusion { index, size, why })?;
    Ok(Proven { index, checkpoint })
}

#[cfg(test)]
mod tests {
    use corridor_note::SignerKey;
    use corridor_tlog::{format_tlog_proof, Checkpoint, Tree};
    use serde_json::{json, Value};

    use super::*;

    struct Fixture {
        log: SignerKey,
        receipt: Value,
        entry: Vec<u8>,
    }

    /// A real receipt for entry 2 of a five-entry log.
    fn fixture() -> Fixture {
        let log = SignerKey::from_seed("receipts.example/log", [5; 32]).expect("name");
        let entries: Vec<Vec<u8>> = (0..5).map(|i| format!("entry {i}").into_bytes()).collect();
        let mut tree = Tree::new();
        entries.iter().for_each(|e| tree.push(leaf_hash(e)));
        let root = tree.root(5).expect("root");
        let cp = Checkpoint { origin: log.name().to_owned(), size: 5, root };
        let note = SignedCheckpoint::sign(cp, &log).expect("signs").note;
        let proof = tree.inclusion_proof(2, 5).expect("proof");
        let receipt = json!({
            "index": 2,
            "leaf_hash": B64.encode(leaf_hash(&entries[2])),
            "sequenced_at": "2026-11-22T10:00:00.123Z",
            "checkpoint": note,
            "inclusion_proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            "tlog_proof": format_tlog_proof(2, &proof, &note),
        });
        Fixture { log, receipt, entry: entries[2].clone() }
    }

    fn check(r: &Value, f: &Fixture) -> Result<Proven, ReceiptError> {
        check_receipt(&r.to_string(), &f.log.verifier(), Known::Nothing)
    }

    #[test]
    fn a_real_receipt_verifies() {
        let f = fixture();
        let proven = check(&f.receipt, &f).expect("verifies");
        assert_eq!((proven.index, proven.checkpoint.checkpoint.size), (2, 5));
        let leaf = leaf_hash(&f.entry);
        check_receipt(&f.receipt.to_string(), &f.log.verifier(), Known::LeafHash(leaf)).expect("same leaf");
    }

    /// Each field altered on its own gets its own error.
    #[test]
    fn every_field_is_checked() {
        let f = fixture();
        let other_note = {
            let cp = Checkpoint { origin: f.log.name().to_owned(), size: 5, root: [1; 32] };
            SignedCheckpoint::sign(cp, &f.log).expect("signs").note
        };
        let (line_at, _) =
            f.receipt["checkpoint"].as_str().expect("note").split_once("\n\n").expect("signed");
        let bad_line = {
            let note = f.receipt["checkpoint"].as_str().expect("note");
            let sig_line = note.rsplit_once("\n\n").expect("signed").1;
            let mut blob = B64.decode(sig_line.trim_end().rsplit(' ').next().expect("sig")).expect("b64");
            blob[20] ^= 1;
            format!("\u{2014} {} {}\n", f.log.name(), B64.encode(&blob))
        };
        let with_failing_line = format!(
            "{line_at}\n\n{bad_line}{}",
            f.receipt["checkpoint"].as_str().expect("note").split_once("\n\n").expect("x").1
        );
        let proof_hashes: Vec<Hash> = f.receipt["inclusion_proof"]
            .as_array()
            .expect("array")
            .iter()
            .map(|h| hash_b64(h.as_str().expect("str")).expect("hash"))
            .collect();
        let mut cases: Vec<(Value, &str)> = Vec::new();
        let mut set = |field: &str, value: Value, want: &'static str| {
            let mut r = f.receipt.clone();
            r[field] = value;
            cases.push((r, want));
        };
        set("index", json!(3), "IndexDisagrees");
        set("inclusion_proof", json!([B64.encode([0u8; 32])]), "ProofDisagrees");
        set("checkpoint", json!(other_note), "CheckpointDisagrees");
        set("sequenced_at", json!("2026-11-22T10:00:00Z"), "SequencedAt");
        set("sequenced_at", json!("2026-11-22X10:00:00.123Z"), "SequencedAt");
        set("leaf_hash", json!(B64.encode([9u8; 32])), "Inclusion");
        set("leaf_hash", json!("nope"), "LeafHash");
        set("extra", json!(1), "NotAReceipt");
        // The whole proof consistently moved to another index: the text and
        // the fields agree, and the inclusion proof fails.
        set("index", json!(1), "IndexDisagrees");
        let mut moved = f.receipt.clone();
        moved["index"] = json!(1);
        moved["tlog_proof"] =
            json!(format_tlog_proof(1, &proof_hashes, f.receipt["checkpoint"].as_str().expect("note")));
        cases.push((moved, "Inclusion"));
        let mut failing = f.receipt.clone();
        failing["checkpoint"] = json!(with_failing_line);
        failing["tlog_proof"] = json!(format_tlog_proof(2, &proof_hashes, &with_failing_line));
        cases.push((failing, "Signature"));
        let mut forged = f.receipt.clone();
        forged["checkpoint"] = json!(other_note);
        forged["tlog_proof"] = json!(format_tlog_proof(2, &proof_hashes, &other_note));
        cases.push((forged, "Inclusion"));
        for (r, want) in cases {
            let got = check(&r, &f).expect_err(want);
            assert!(format!("{got:?}").starts_with(want), "{want}: got {got:?}");
        }
    }

    #[test]
    fn a_known_entry_or_leaf_must_agree() {
        let f = fixture();
        let vkey = f.log.verifier();
        let text = f.receipt.to_string();
        let e = check_receipt(&text, &vkey, Known::LeafHash([7; 32])).expect_err("other leaf");
        assert!(matches!(e, ReceiptError::LeafDisagrees("--leaf-hash")));
        let e = check_receipt(&text, &vkey, Known::Entry(b"other")).expect_err("other entry");
        assert!(matches!(e, ReceiptError::LeafDisagrees("--entry")));
    }
}
