//! Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2 and
//! §2.1.4.2, which verify RFC 6962 proofs). These are what a client with only a
//! checkpoint runs, so they never trust a length or an index they are handed.

use crate::hash::{node_hash, Hash};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("proof has the wrong number of hashes")]
    WrongLength,
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    #[error("consistency needs from <= to, got from {from}, to {to}")]
    BadRange { from: u64, to: u64 },
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `to` leaves with root `to_root` extends the tree of
/// `from` leaves with root `from_root`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    proof: &[Hash],
    from_root: &Hash,
    to_root: &Hash,
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::BadRange { from, to });
    }
    if from == to || from == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        // The empty tree is a prefix of every tree; equal sizes need equal roots.
        return if from == 0 || from_root == to_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let seeded: Vec<Hash>;
    let proof = if from.is_power_of_two() {
        seeded = std::iter::once(*from_root).chain(proof.iter().copied()).collect();
        &seeded[..]
    } else {
        proof
    };
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut fnode, mut snode) = (from - 1, to - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *from_root || sr != *to_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
