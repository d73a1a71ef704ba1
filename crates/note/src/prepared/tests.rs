//! [`PreparedKey`] and [`Verifiers`] against `verify_strict`: the same
//! verdict on outside edge-case vectors and on generated adversarial
//! signatures.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use ed25519_dalek::VerifyingKey;
use proptest::prelude::*;

use super::*;

/// A key from raw bytes, as any party's could be (weak or not); `None`
/// when the bytes are not a point.
fn key(bytes: [u8; 32]) -> Option<VerifierKey> {
    let public = VerifyingKey::from_bytes(&bytes).ok()?;
    Some(VerifierKey { name: "t".to_owned(), key_id: crate::key_id("t", &bytes), public })
}

/// Both verifiers' verdicts, checked equal.
fn same_verdict(key: &VerifierKey, msg: &[u8], sig: &[u8]) -> bool {
    let strict = key.verify(msg, sig);
    assert_eq!(PreparedKey::new(key).verify(msg, sig), strict, "key {key:?}, sig {}", hex::encode(sig));
    strict
}

/// The ten cases of ed25519-speccheck (Chalkias, Garillot, Nikolaenko,
/// "Taming the many EdDSAs", SSR 2020), `cases.json`: small-order and
/// mixed-order `R` and `A`, non-canonical `R`, `s` and `A`, cofactored and
/// cofactorless disagreements.
const SPECCHECK: [(&str, &str, &str); 10] = [
    ("8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000"),
    ("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
    ("aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"),
    ("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"),
    ("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"),
    ("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"),
    ("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40", "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623", "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"),
    ("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40", "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623", "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"),
    ("fdaebc429f4a735932a160da1301080c13280eea8bc280d1b392c6b9e6ba3a5a", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f454d370c8d9fc323a41450f8d513eafeb5b0697390c1e505a0d4ddc71f566607"),
    ("84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09"),
];

#[test]
fn speccheck_vectors_get_verify_stricts_verdicts() {
    let mut verdicts = Vec::new();
    for (msg, public, sig) in SPECCHECK {
        let bytes: [u8; 32] = hex::decode(public).unwrap().try_into().unwrap();
        let Some(key) = key(bytes) else {
            verdicts.push(None);
            continue;
        };
        verdicts.push(Some(same_verdict(&key, &hex::decode(msg).unwrap(), &hex::decode(sig).unwrap())));
    }
    // The suite's results table (results.md, "Dalek strict") lists case 3
    // (0-based) as the only one strict verification accepts.
    let accepted: Vec<usize> = (0..verdicts.len()).filter(|&i| verdicts[i] == Some(true)).collect();
    assert_eq!(accepted, [3], "verdicts {verdicts:?}");
}

/// `x` as 32 little-endian bytes plus `ℓ`: the same scalar, not reduced.
fn plus_order(s: [u8; 32]) -> Option<[u8; 32]> {
    // ℓ = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1), little-endian.
    let l: [u8; 32] = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        .unwrap()
        .try_into()
        .unwrap();
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(l[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    (carry == 0).then_some(out)
}

/// A signature made by whoever holds `a`, with torsion `t_a` in the key and
/// `t_r` in the nonce point: the signer-crafted signatures on which
/// cofactored, cofactorless and batch verifiers disagree.
fn crafted(a: Scalar, t_a: usize, r: Scalar, t_r: usize, msg: &[u8]) -> ([u8; 32], [u8; 64]) {
    let big_a: EdwardsPoint = a * B + EIGHT_TORSION[t_a];
    let big_r: EdwardsPoint = r * B + EIGHT_TORSION[t_r];
    let (a_bytes, r_bytes) = (big_a.compress().to_bytes(), big_r.compress().to_bytes());
    let k = Scalar::from_hash(Sha512::new().chain_update(r_bytes).chain_update(a_bytes).chain_update(msg));
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_bytes);
    sig[32..].copy_from_slice(s.as_bytes());
    (a_bytes, sig)
}

/// An index into the eight-torsion points, most often 0 (none).
fn torsion() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0usize), 2 => 1..8usize]
}

fn scalar() -> impl Strategy<Value = Scalar> {
    any::<[u8; 32]>().prop_map(Scalar::from_bytes_mod_order)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn crafted_signatures_get_the_same_verdicts(
        a in scalar(), r in scalar(), t_a in torsion(), t_r in torsion(),
        msg in proptest::collection::vec(any::<u8>(), 0..64),
        change in 0..7u8,
    ) {
        let (a_bytes, mut sig) = crafted(a, t_a, r, t_r, &msg);
        let key = key(a_bytes).expect("a point");
        let honest = t_a == 0 && t_r == 0;
        match change {
            // s + ℓ: the same scalar, written unreduced.
            0 => if let Some(s) = plus_order(sig[32..].try_into().unwrap()) { sig[32..].copy_from_slice(&s) },
            // R replaced by a small-order point, or moved by one.
            1 => sig[..32].copy_from_slice(EIGHT_TORSION[t_r].compress().as_bytes()),
            2 => {
                let r = curve25519_dalek::edwards::CompressedEdwardsY(sig[..32].try_into().unwrap());
                let moved = r.decompress().expect("a point") + B;
                sig[..32].copy_from_slice(moved.compress().as_bytes());
            }
            // The sign bit of R flipped: another point, or none.
            3 => sig[31] ^= 0x80,
            // Honest R, s zero.
            4 => sig[32..].fill(0),
            // R of small order, s = k·a: verifies without the cofactor when
            // the key's torsion cancels R (strict verification refuses it).
            5 => {
                let r_bytes = EIGHT_TORSION[t_r].compress().to_bytes();
                let k = Scalar::from_hash(Sha512::new().chain_update(r_bytes).chain_update(a_bytes).chain_update(&msg));
                sig[..32].copy_from_slice(&r_bytes);
                sig[32..].copy_from_slice((k * a).as_bytes());
            }
            _ => {}
        }
        let verdict = same_verdict(&key, &msg, &sig);
        if change == 6 && honest {
            prop_assert!(verdict, "an honest signature verifies");
        }
    }

    #[test]
    fn small_order_keys_get_the_same_verdicts(
        t_a in 0..8usize, t_r in torsion(), r in scalar(), msg in any::<[u8; 8]>(),
    ) {
        // A key of small order (a = 0) signing as any signer would: with
        // t_a = 0 (the identity) the equation holds without the cofactor.
        let (a_bytes, sig) = crafted(Scalar::ZERO, t_a, r, t_r, &msg);
        let key = key(a_bytes).expect("a point");
        prop_assert!(!same_verdict(&key, &msg, &sig));
    }
}

#[test]
fn verifiers_prepare_a_key_that_signs_often_and_keep_its_verdicts() {
    let signer = crate::SignerKey::from_seed("t", rand::random()).unwrap();
    let key = signer.verifier();
    let verifiers = Verifiers::new();
    for i in 0..(2 * PREPARE_AFTER) {
        let msg = format!("entry {i}");
        let mut sig = signer.sign(msg.as_bytes());
        assert!(verifiers.verify(&key, msg.as_bytes(), &sig), "signature {i}");
        sig[40] ^= 1;
        assert!(!verifiers.verify(&key, msg.as_bytes(), &sig), "altered signature {i}");
    }
    assert!(verifiers.inner.lock().unwrap().prepared.contains_key(&key.public_bytes()));
}

#[test]
fn verifiers_prepare_at_most_their_bound() {
    let verifiers = Verifiers::new();
    let keys: Vec<VerifierKey> = (0..=MAX_PREPARED_KEYS)
        .map(|i| crate::SignerKey::from_seed(&format!("k{i}"), rand::random()).unwrap().verifier())
        .collect();
    for key in &keys {
        for _ in 0..PREPARE_AFTER {
            assert!(!verifiers.verify(key, b"m", &[0u8; 64]));
        }
    }
    let cache = verifiers.inner.lock().unwrap();
    assert_eq!(cache.prepared.len(), MAX_PREPARED_KEYS);
    assert!(cache.uses.len() <= MAX_COUNTED_KEYS);
}
