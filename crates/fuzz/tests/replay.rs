//! Replays every checked-in fuzz input through its target, on stable: the
//! hand-written seeds (`fuzz/seeds/<target>`), the corpora cargo-fuzz grew
//! from them, minimized (`fuzz/corpus/<target>`), and every input that once
//! crashed a target (`fuzz/regressions/<target>`), so a fixed crash stays
//! fixed. FUZZING.md says how the corpora were made.

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 9] = [
    ("statement", corridor_fuzz::statement),
    ("geojson", corridor_fuzz::geojson),
    ("note", corridor_fuzz::note),
    ("tlog_proof", corridor_fuzz::tlog_proof),
    ("tile_path", corridor_fuzz::tile_path),
    ("fold", corridor_fuzz::fold),
    ("witness_request", corridor_fuzz::witness_request),
    ("policy", corridor_fuzz::policy),
    ("intake", corridor_fuzz::intake),
];

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz").join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| Some(e.ok()?.path())).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_corpus_input_and_past_crash_passes() {
    let mut total = 0;
    for (name, target) in TARGETS {
        let seeds = inputs("seeds", name);
        assert!(!seeds.is_empty(), "fuzz/seeds/{name} is checked in");
        let all = [seeds, inputs("corpus", name), inputs("regressions", name)].concat();
        for path in &all {
            let data = std::fs::read(path).expect("reads");
            target(&data);
            total += 1;
        }
    }
    eprintln!("replayed {total} inputs");
}
