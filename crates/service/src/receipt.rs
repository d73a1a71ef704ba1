//! Receipts (brief §4): the answer to a submission, with an inclusion proof
//! against the checkpoint in the same receipt and the same proof as tlog-proof text.
//!
//! A receipt is a function of (index, the checkpoint of the entry's batch), both
//! durable, so the receipt for a resubmission is the original one, byte for byte.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_statement::{parse_entry, timefmt::format_ms};
use corridor_store::LogReader;
use corridor_tlog::{format_tlog_proof, Hash, Tree};
use serde::{Deserialize, Serialize};

use crate::error::QueryError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub index: u64,
    pub leaf_hash: String,
    pub sequenced_at: String,
    pub checkpoint: String,
    pub inclusion_proof: Vec<String>,
    pub tlog_proof: String,
}

/// Builds the receipt for `index` against the checkpoint `note` of `size` leaves.
pub(crate) fn build(
    tree: &Tree,
    index: u64,
    sequenced_at_us: i64,
    size: u64,
    note: &str,
) -> Result<Receipt, QueryError> {
    let leaf: Hash = tree.leaf(index).ok_or_else(|| QueryError::NotFound(format!("no entry {index}")))?;
    let proof = tree.inclusion_proof(index, size).map_err(|e| QueryError::BadRequest(e.to_string()))?;
    Ok(Receipt {
        index,
        leaf_hash: B64.encode(leaf),
        sequenced_at: format_ms(sequenced_at_us),
        checkpoint: note.to_owned(),
        inclusion_proof: proof.iter().map(|h| B64.encode(h)).collect(),
        tlog_proof: format_tlog_proof(index, &proof, note),
    })
}

/// Reproduces the receipt entry `index` was given: same checkpoint, same proof.
pub(crate) fn original(reader: &dyn LogReader, tree: &Tree, index: u64) -> Result<Receipt, QueryError> {
    let not_found = || QueryError::NotFound(format!("no entry {index}"));
    if index >= tree.size() {
        return Err(not_found());
    }
    let stored = reader.entries(index, index + 1)?.pop().ok_or_else(not_found)?;
    let entry = parse_entry(&stored.bytes).map_err(|e| QueryError::Store(e.to_string()))?;
    let cp = reader.checkpoint_covering(index)?.ok_or_else(not_found)?;
    build(tree, index, entry.sequenced_at_us, cp.size, &cp.note)
}
