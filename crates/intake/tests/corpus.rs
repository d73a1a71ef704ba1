//! Holds the drafter to the hand-labelled corpus (`corpus/`): every scored
//! field's F1 must stay at or above 0.85, and every draft whose review list
//! is empty must parse as a statement body exactly as submitted.
//!
//! `INTAKE_DEBUG=1 cargo test -p corridor-intake --test corpus -- --nocapture`
//! prints each report's labels beside the drafts.

use std::path::PathBuf;

use corridor_intake::score::{add, Scores, FIELDS};
use corridor_intake::{draft, Gazetteer};
use serde_json::Value;

fn corpus() -> Vec<(String, String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|txt| {
            let text = std::fs::read_to_string(&txt).expect("text");
            let label: Value =
                serde_json::from_str(&std::fs::read_to_string(txt.with_extension("json")).expect("label"))
                    .expect("label JSON");
            (txt.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), text, label)
        })
        .collect()
}

fn options(label: &Value) -> corridor_intake::Options {
    corridor_intake::score::label_options(label)
}

#[test]
fn every_field_scores_at_least_0_85() {
    let g = Gazetteer::builtin().expect("gazetteer");
    let reports = corpus();
    assert!(reports.len() >= 30, "the corpus holds {} reports; it needs at least 30", reports.len());
    let debug = std::env::var_os("INTAKE_DEBUG").is_some();
    let mut scores = Scores::new();
    for (name, text, label) in &reports {
        let out = draft(text, &options(label), &g);
        let mut got = serde_json::to_value(&out).expect("serialize");
        got["text"] = Value::String(text.clone());
        add(&mut scores, &label["expect"], &got);
        if debug {
            for (f, g, p) in corridor_intake::score::explain(&label["expect"], &got) {
                println!("{name} {f}\n    gold {g:?}\n    got  {p:?}");
            }
        }
    }
    let mut failing = Vec::new();
    for f in FIELDS {
        let c = scores.get(f).copied().unwrap_or_default();
        println!(
            "{f:12} precision {:.3} recall {:.3} F1 {:.3} ({} / {} / {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.predicted,
            c.labelled
        );
        if c.f1() < 0.85 {
            failing.push(format!("{f} F1 {:.3}", c.f1()));
        }
    }
    assert!(failing.is_empty(), "below 0.85: {failing:?}");
}

#[test]
fn reviewed_drafts_parse_as_bodies() {
    let g = Gazetteer::builtin().expect("gazetteer");
    let mut checked = 0;
    for (name, text, label) in corpus() {
        for d in draft(&text, &options(&label), &g).drafts {
            let body = serde_json::to_string(&d.body).expect("body");
            let ty = corridor_statement::StatementType::parse(d.kind).expect("type");
            let parsed = corridor_statement::Body::parse(ty, &body);
            if d.needs_review.is_empty() {
                assert!(parsed.is_ok(), "{name}: {} {body}: {parsed:?}", d.kind);
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "only {checked} drafts were complete");
}
