//! Receipts (brief §4): the answer to a submission, with an inclusion proof
//! against the checkpoint in the same receipt and the same proof as tlog-proof text.
//!
//! A receipt is a function of (index, the checkpoint of the entry's batch), both
//! durable, so the receipt for a resubmission is the original one, byte for byte.

use corridor_statement::parse_entry;
use corridor_store::LogReader;
use corridor_tlog::{format_tlog_proof, Hash, Tree};

use crate::error::QueryError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub index: u64,
    pub leaf_hash: Hash,
    /// Microseconds, whole milliseconds as the entry records them.
    pub sequenced_at_us: i64,
    /// The signed checkpoint note the proof is against.
    pub checkpoint: String,
    pub inclusion_proof: Vec<Hash>,
    /// The same proof as C2SP tlog-proof text, with the checkpoint.
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
    let leaf_hash = tree.leaf(index).ok_or_else(|| QueryError::NotFound(format!("no entry {index}")))?;
    let proof = tree.inclusion_proof(index, size).map_err(|e| QueryError::BadRequest(e.to_string()))?;
    Ok(Receipt {
        index,
        leaf_hash,
        sequenced_at_us: sequenced_at_us.div_euclid(1_000) * 1_000,
        checkpoint: note.to_owned(),
        tlog_proof: format_tlog_proof(index, &proof, note),
        inclusion_proof: proof,
    })
}

/// Reproduces the receipt entry `index` was given: same checkpoint, same proof.
pub(crate) fn original(reader: &dyn LogReader, tree: &Tree, index: u64) -> Result<Receipt, QueryError> {
    let sequenced_at_us = sequenced_at(reader, tree, index)?;
    let not_found = || QueryError::NotFound(format!("no entry {index}"));
    let cp = reader.checkpoint_covering(index)?.ok_or_else(not_found)?;
    build(tree, index, sequenced_at_us, cp.size, &cp.note)
}

/// When entry `index` was sequenced, read from its stored bytes.
pub(crate) fn sequenced_at(reader: &dyn LogReader, tree: &Tree, index: u64) -> Result<i64, QueryError> {
    let not_found = || QueryError::NotFound(format!("no entry {index}"));
    if index >= tree.size() {
        return Err(not_found());
    }
    let stored = reader.entries(index, index + 1)?.pop().ok_or_else(not_found)?;
    let entry = parse_entry(&stored.bytes).map_err(|e| QueryError::Store(e.to_string()))?;
    Ok(entry.sequenced_at_us)
}
