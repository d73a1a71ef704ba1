//! Known-answer test for C2SP tlog-cosignature v1, against a signer this
//! project did not write.

/// A cosignature/v1 line computed from the C2SP tlog-cosignature text alone by
/// pyca/cryptography (`tests/vectors/cosignature_v1.py`, which shares no code
/// with this crate), for the spec's example checkpoint and timestamp.
#[test]
fn cosignature_v1_matches_an_independent_signer() {
    use corridor_note::cosignature::{CosignerKey, CosignerSigner};
    const VKEY: &str = "witness.example/w1+567cde09+BG56HN0psLeP0Tr0xVmP7/TvKpcWbjym8uT7/M2AUFvx";
    const LINE: &str = "\u{2014} witness.example/w1 VnzeCQAAAABkGFDL7s5OOUhHwp4p21TTCJeMSo1Bl2UAhoc80ZEyygI4mjAEyrcw3omPMCGsE8sDMQ4TJ7l/j9PTUaUqfUtqLx2GBA==\n";
    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let signer = CosignerSigner::from_seed("witness.example/w1", [5; 32]).expect("name");
    assert_eq!(signer.verifier().to_vkey(), VKEY);
    assert_eq!(signer.cosign(BODY, 1_679_315_147), LINE);
    // A note carrying it (with a log signature line the witness key ignores) verifies.
    let log = corridor_note::SignerKey::from_seed("example.com/behind-the-sofa", [1; 32]).expect("name");
    let note = corridor_note::sign_note(BODY, &[&log]).expect("signs") + LINE;
    let key = CosignerKey::parse(VKEY).expect("vkey");
    assert_eq!(key.find_in(&note).expect("parses").map(|c| c.timestamp), Some(1_679_315_147));
}
