//! The verifiable log: RFC 6962 Merkle hashing and proofs, C2SP checkpoints,
//! C2SP tlog-tiles paths and contents, C2SP tlog-proof text, and the witness
//! side: C2SP tlog-witness requests and their rule, C2SP tlog-policy.
//!
//! Everything here is pure and deterministic: given the same leaves it produces the
//! same bytes. Verification functions take only public data (proofs, roots, vkeys) so
//! that a client holding nothing but the log's verifier key can use them.

mod checkpoint;
mod hash;
pub mod policy;
mod proof;
mod proof_text;
mod tile;
mod tree;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
pub use hash::{empty_root, leaf_hash, node_hash, Hash, HASH_LEN};
pub use proof::{verify_consistency, verify_inclusion, ProofError};
pub use proof_text::{format_tlog_proof, parse_tlog_proof, TlogProof, TlogProofError, TLOG_PROOF_HEADER};
pub use tile::{
    decode_entry_bundle, encode_entry_bundle, root_from_stored, TileError, TilePath, TILE_HEIGHT, TILE_WIDTH,
};
pub use tree::{Tree, TreeError};
