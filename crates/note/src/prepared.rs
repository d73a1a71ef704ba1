//! Faster strict verification for keys that sign often: the same verdict
//! as [`VerifierKey::verify`] (ed25519-dalek's `verify_strict`), about a
//! quarter less work per signature, for 60 KiB of precomputation per key.
//!
//! `verify_strict` accepts a signature `(R, s)` by the key `A` on `M` when
//! (RFC 8032 §5.1.7, without the cofactor, plus dalek's strict checks):
//!
//! 1. `s` is canonical (`s < ℓ`);
//! 2. `R` decompresses, and neither `R` nor `A` is of small order;
//! 3. `[s]B − [k]A`, compressed, is `R`'s bytes, where
//!    `k = SHA-512(R ‖ A ‖ M) mod ℓ` over the bytes as given.
//!
//! Here `X = [s]B + [k](−A)` is computed with fixed-base comb tables, one
//! for `B` and one per key for `−A` (curve25519-dalek's radix-32
//! `EdwardsBasepointTable`s), instead of a double-scalar multiplication
//! whose 253 doublings dominate its cost. The group element is the same,
//! so its compression is the same. Then check 2 is applied to `X` instead
//! of to `R`: when `compress(X)` equals `R`'s bytes, those bytes are `X`'s
//! canonical encoding and decompress to `X`, so "`R` decompresses and is not
//! of small order" holds exactly when "`X` is not of small order" does; when
//! they differ, both verifiers refuse. This saves `R`'s decompression (a
//! field exponentiation). Nothing is batched or randomised: each verdict is
//! decided alone, deterministically, as `verify_strict` decides it. The tests
//! hold the two to the same verdicts on edge-case vectors from outside this
//! project and on generated adversarial signatures (torsion in `R` or `A`,
//! small-order points, non-canonical `s` and encodings).
//!
//! The table lookups are constant-time, though nothing secret is involved:
//! curve25519-dalek offers no variable-time comb.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsBasepointTableRadix32 as Table;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::BasepointTable;
use sha2::{Digest, Sha512};

use crate::VerifierKey;

/// The comb table of the Ed25519 base point `B`, built once (about 1 ms).
static BASE: LazyLock<Table> = LazyLock::new(|| Table::create(&ED25519_BASEPOINT_POINT));

/// A key with its comb table: verifies as [`VerifierKey::verify`] does.
/// Building one costs about as much as 40 verifications; it pays off for a
/// key that signs many entries.
pub struct PreparedKey {
    /// `A` as the key's bytes give it: what `k` hashes.
    compressed: [u8; 32],
    /// Signatures by a small-order key never verify strictly.
    small_order: bool,
    /// Multiples of `−A`.
    minus_a: Table,
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey").field("key", &self.compressed).finish_non_exhaustive()
    }
}

impl PreparedKey {
    pub fn new(key: &VerifierKey) -> Self {
        let a = key.public.to_edwards();
        Self {
            compressed: key.public.to_bytes(),
            small_order: a.is_small_order(),
            minus_a: Table::create(&-a),
        }
    }

    /// Strict Ed25519 verification of `sig` (64 bytes) on `msg`; see the
    /// module's documentation for why the verdict is `verify_strict`'s.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <&[u8; 64]>::try_from(sig) else {
            return false;
        };
        let (r, s) = sig.split_at(32);
        let s: [u8; 32] = s.try_into().unwrap_or([0xff; 32]);
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)) else {
            return false;
        };
        if self.small_order {
            return false;
        }
        let k =
            Scalar::from_hash(Sha512::new().chain_update(r).chain_update(self.compressed).chain_update(msg));
        let x = &*BASE * &s + &self.minus_a * &k;
        x.compress().as_bytes() == r && !x.is_small_order()
    }
}

/// Most keys given a table; beyond it, keys verify as [`VerifierKey::verify`]
/// does. 256 tables take 15 MiB.
pub const MAX_PREPARED_KEYS: usize = 256;

/// Signatures a key verifies before it gets a table, so that a key that
/// signs a few entries never pays for one.
pub const PREPARE_AFTER: u32 = 32;

/// Most keys whose uses are counted toward [`PREPARE_AFTER`]; when full, the
/// counts start again.
const MAX_COUNTED_KEYS: usize = 4 * MAX_PREPARED_KEYS;

/// Verifies signatures, giving the keys that sign most a [`PreparedKey`]:
/// a bounded cache shared by the threads that verify. Same verdicts as
/// [`VerifierKey::verify`] for every key, prepared or not.
#[derive(Debug, Default)]
pub struct Verifiers {
    inner: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    uses: HashMap<[u8; 32], u32>,
    prepared: HashMap<[u8; 32], Arc<PreparedKey>>,
}

impl Verifiers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Strict Ed25519 verification of `sig` on `msg` by `key`.
    pub fn verify(&self, key: &VerifierKey, msg: &[u8], sig: &[u8]) -> bool {
        match self.prepared(key) {
            Some(p) => p.verify(msg, sig),
            None => key.verify(msg, sig),
        }
    }

    /// The key's table, built when the key has just reached
    /// [`PREPARE_AFTER`] uses and there is room (outside the lock: building
    /// takes a millisecond or so).
    fn prepared(&self, key: &VerifierKey) -> Option<Arc<PreparedKey>> {
        let bytes = key.public.to_bytes();
        {
            let mut cache = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(p) = cache.prepared.get(&bytes) {
                return Some(p.clone());
            }
            if cache.prepared.len() >= MAX_PREPARED_KEYS {
                return None;
            }
            if cache.uses.len() >= MAX_COUNTED_KEYS && !cache.uses.contains_key(&bytes) {
                cache.uses.clear();
            }
            let uses = cache.uses.entry(bytes).or_insert(0);
            *uses += 1;
            if *uses != PREPARE_AFTER {
                return None;
            }
        }
        let p = Arc::new(PreparedKey::new(key));
        let mut cache = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.uses.remove(&bytes);
        if cache.prepared.len() < MAX_PREPARED_KEYS {
            cache.prepared.insert(bytes, p.clone());
        }
        Some(p)
    }
}

#[cfg(test)]
mod tests;
