//! What each fuzz target checks. cargo-fuzz drives these from `fuzz/` (see
//! FUZZING.md); `tests/replay.rs` runs them on stable over the checked-in
//! corpora and every input that ever crashed, so a fixed crash stays fixed.
//!
//! Each function takes arbitrary bytes and must not panic; where a property
//! holds for the inputs that parse, it asserts it:
//! - [`statement`]: an accepted submission reads back from its entry as the
//!   same statement, and every reading a submission passes, the log's passes;
//! - [`geojson`]: what the strict reading accepts, the lenient one accepts the same;
//! - [`note`]: a parsed checkpoint writes back to the text it was read from;
//! - [`tlog_proof`]: a parsed tlog-proof writes back to the same text;
//! - [`tile_path`]: a parsed tile path renders back to the same path;
//! - [`fold`]: plausible statements, folded in turn: a rejection changes nothing;
//! - [`witness_request`]: a parsed add-checkpoint body writes back to the
//!   same bytes, and the witness's rule never accepts a tree that does not
//!   extend the one it holds;
//! - [`policy`]: a parsed tlog-policy is met when every witness cosigned,
//!   and not when none did (unless its quorum is `none`);
//! - [`intake`]: text that intake reads drafts without panicking, and every
//!   span it points at lies within the text.

mod world;

use corridor_geo::Geometry;
use corridor_statement::{build_entry, parse_entry, Reading, SignedEnvelope, Statement};

/// The envelope and statement readers, on submitted and on logged bytes.
pub fn statement(data: &[u8]) {
    if let Ok(strict) = Statement::read(data, Reading::Submission) {
        let lenient = Statement::read(data, Reading::Log).expect("a submission reads as a log entry");
        assert_eq!(strict, lenient, "both readings agree on what a submission says");
    } else {
        let _ = Statement::read(data, Reading::Log);
    }
    if let Ok((signed, canonical)) = SignedEnvelope::from_json(data) {
        let bytes =
            build_entry(1_700_000_000_000_000, &canonical).expect("an accepted envelope fits an entry");
        let read = parse_entry(&bytes).expect("an accepted envelope's entry parses");
        assert_eq!(read.signed.statement, signed.statement, "the entry says what was accepted");
        assert_eq!(read.signed.digest, signed.digest);
        corridor_statement::reread_as_submission(&bytes).expect("and passes as a submission again");
    }
    let _ = parse_entry(data);
}

/// GeoJSON geometry, strict and lenient.
pub fn geojson(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let lenient = Geometry::from_geojson(&value);
    if let Ok(strict) = Geometry::from_geojson_strict(&value) {
        assert_eq!(Some(&strict), lenient.as_ref().ok(), "strict accepts only what lenient reads the same");
    }
}

/// Signed notes and checkpoints, against a fixed log key.
pub fn note(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = corridor_note::parse_note(text);
    let _ = corridor_note::open_note(text, world::log_vkey());
    if let Ok(checkpoint) = corridor_tlog::Checkpoint::parse_body(text) {
        // Extension lines may follow; the three lines before them have one spelling.
        assert!(text.starts_with(&checkpoint.body()), "a checkpoint body has one spelling");
    }
    let _ = corridor_tlog::SignedCheckpoint::open(text, world::log_vkey());
}

/// The tlog-proof text of C2SP tlog-proof.
pub fn tlog_proof(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = corridor_tlog::parse_tlog_proof(text) {
        if p.extra.is_none() {
            let again = corridor_tlog::format_tlog_proof(p.index, &p.proof, &p.checkpoint);
            assert_eq!(again, text, "a tlog-proof has one spelling");
        }
    }
}

/// Tile paths of C2SP tlog-tiles.
pub fn tile_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(path) = corridor_tlog::TilePath::parse(text) {
        assert_eq!(path.render(), text, "a tile path has one spelling");
    }
}

/// The tlog-witness add-checkpoint body, and the witness's rule on it against
/// a fixed tree it has cosigned up to size 5 of.
pub fn witness_request(data: &[u8]) {
    use corridor_tlog::witness::{decide, AddCheckpoint};
    let Ok(req) = AddCheckpoint::parse(data) else { return };
    assert_eq!(req.to_body().as_bytes(), data, "an add-checkpoint body has one spelling");
    let Ok(note) = corridor_note::parse_note(&req.checkpoint_note) else { return };
    let Ok(checkpoint) = corridor_tlog::Checkpoint::parse_body(&note.text) else { return };
    let held = world::held_tree();
    let latest = (5, held.root(5).expect("a root at 5"));
    if decide(Some(latest), &req, &checkpoint).is_ok() {
        let proof = &req.proof;
        let consistent =
            corridor_tlog::verify_consistency(5, checkpoint.size, proof, &latest.1, &checkpoint.root);
        assert!(consistent.is_ok(), "a cosigned tree extends the one held");
    }
}

/// C2SP tlog-policy text.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = corridor_tlog::policy::Policy::parse(text) else { return };
    let _ = policy.describe_quorum();
    assert!(policy.satisfied(&|_| true), "every witness cosigning meets any quorum");
    assert_eq!(policy.satisfied(&|_| false), !policy.requires_cosignatures(), "no witness meets only `none`");
}

/// Intake's reading of a text: refused, or drafted with every span (and
/// review span) inside the text, and the text's own digest.
pub fn intake(data: &[u8]) {
    static GAZETTEER: std::sync::OnceLock<corridor_intake::Gazetteer> = std::sync::OnceLock::new();
    let g = GAZETTEER
        .get_or_init(|| corridor_intake::Gazetteer::builtin().expect("the built-in gazetteer parses"));
    let Ok(text) = corridor_intake::read_text(data) else { return };
    let options =
        corridor_intake::Options { published_us: Some(1_773_307_800_000_000), ..Default::default() };
    let out = corridor_intake::draft(text, &options, g);
    assert_eq!(out.source.sha256, corridor_intake::sha256_hex(text));
    let chars = text.chars().count();
    for d in &out.drafts {
        for [a, b] in d.spans.values().copied().chain(d.needs_review.iter().filter_map(|r| r.span)) {
            assert!(a <= b && b <= chars, "span {a}..{b} of a {chars}-character text");
        }
    }
}

/// Plausible statements, built from `data`, folded in turn.
pub fn fold(data: &[u8]) {
    world::World::new().fold_all(data);
}
