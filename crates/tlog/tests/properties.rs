//! Property tests: every proof the tree produces verifies, and no proof survives a
//! flipped byte in the proof, the root, the leaf or the checkpoint signature.

use corridor_note::SignerKey;
use corridor_tlog::{
    format_tlog_proof, leaf_hash, parse_tlog_proof, root_from_stored, verify_consistency, verify_inclusion,
    Checkpoint, Hash, SignedCheckpoint, Tree,
};
use proptest::prelude::*;

fn tree_of(size: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..size {
        t.push(leaf_hash(&i.to_le_bytes()));
    }
    t
}

/// Exhaustive below this size: every (index, size) and every (from, to) pair.
const EXHAUSTIVE: u64 = 2048;

#[test]
fn every_inclusion_proof_verifies() {
    let t = tree_of(EXHAUSTIVE);
    for size in 1..=EXHAUSTIVE {
        let root = t.root(size).expect("in range");
        for index in 0..size {
            let proof = t.inclusion_proof(index, size).expect("in range");
            let leaf = t.leaf(index).expect("leaf");
            verify_inclusion(index, size, &leaf, &proof, &root)
                .unwrap_or_else(|e| panic!("index {index} size {size}: {e}"));
        }
    }
}

#[test]
fn every_consistency_proof_verifies() {
    let t = tree_of(EXHAUSTIVE);
    let roots: Vec<Hash> = (0..=EXHAUSTIVE).map(|s| t.root(s).expect("in range")).collect();
    for to in 1..=EXHAUSTIVE {
        for from in 1..=to {
            let proof = t.consistency_proof(from, to).expect("in range");
            verify_consistency(from, to, &proof, &roots[from as usize], &roots[to as usize])
                .unwrap_or_else(|e| panic!("from {from} to {to}: {e}"));
        }
    }
}

fn flip(bytes: &mut [u8], at: usize, bit: u8) {
    let i = at % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn inclusion_fails_after_any_flip(size in 2u64..5000, idx in any::<u64>(), at in any::<usize>(), bit in any::<u8>(), what in 0u8..3) {
        let t = tree_of(size);
        let index = idx % size;
        let mut proof = t.inclusion_proof(index, size).expect("in range");
        let mut root = t.root(size).expect("in range");
        let mut leaf = t.leaf(index).expect("leaf");
        verify_inclusion(index, size, &leaf, &proof, &root).expect("verifies before the flip");
        match what {
            0 => { let n = proof.len(); flip(&mut proof[at % n], at / n, bit) }
            1 => flip(&mut root, at, bit),
            _ => flip(&mut leaf, at, bit),
        }
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_err());
    }

    #[test]
    fn consistency_fails_after_any_flip(to in 3u64..5000, f in any::<u64>(), at in any::<usize>(), bit in any::<u8>(), what in 0u8..3) {
        let t = tree_of(to);
        let from = 1 + f % (to - 1);
        let mut proof = t.consistency_proof(from, to).expect("in range");
        let mut r1 = t.root(from).expect("in range");
        let mut r2 = t.root(to).expect("in range");
        verify_consistency(from, to, &proof, &r1, &r2).expect("verifies before the flip");
        match what {
            0 => { let n = proof.len(); flip(&mut proof[at % n], at / n, bit) }
            1 => flip(&mut r1, at, bit),
            _ => flip(&mut r2, at, bit),
        }
        prop_assert!(verify_consistency(from, to, &proof, &r1, &r2).is_err());
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn root_from_tiles_matches(size in 0u64..70_000) {
        let t = tree_of(size);
        let from_tiles = root_from_stored(size, |level, i| {
            t.stored(u32::from(level) * 8, i).ok_or(())
        }).expect("hashes exist");
        prop_assert_eq!(from_tiles.unwrap_or_else(corridor_tlog::empty_root), t.root(size).expect("in range"));
    }
}

#[test]
fn tlog_proof_text_round_trips_and_rejects_any_flipped_byte() {
    let key = SignerKey::from_seed("corridor.test/log", [5; 32]).expect("name");
    let t = tree_of(1000);
    let cp = Checkpoint { origin: "corridor.test/log".into(), size: 1000, root: t.root(1000).expect("root") };
    let signed = SignedCheckpoint::sign(cp, &key).expect("signs");
    let index = 617;
    let text = format_tlog_proof(index, &t.inclusion_proof(index, 1000).expect("proof"), &signed.note);
    let leaf = t.leaf(index).expect("leaf");
    let parsed = parse_tlog_proof(&text).expect("parses");
    parsed.verify(&leaf, &key.verifier()).expect("verifies");
    // Flip every bit position of every byte (one at a time): nothing may verify.
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        let mut copy = bytes.to_vec();
        copy[i] ^= 0x01;
        let Ok(s) = String::from_utf8(copy) else { continue };
        if let Ok(p) = parse_tlog_proof(&s) {
            assert!(p.verify(&leaf, &key.verifier()).is_err(), "flip at byte {i} still verified");
        }
    }
}
