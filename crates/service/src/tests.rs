//! Service tests against the real SQLite store in a temporary directory.

use std::sync::atomic::{AtomicI64, Ordering};

use corridor_note::SignerKey;
use corridor_statement::{sign, ObjectRef};
use corridor_tlog::{parse_tlog_proof, verify_consistency, SignedCheckpoint};
use serde_json::json;

use super::*;

/// A clock the test moves by hand.
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_us(&self) -> i64 {
        self.0.fetch_add(1_000, Ordering::Relaxed)
    }
}

fn log_key() -> SignerKey {
    SignerKey::from_seed("corridor.test/log", [7; 32]).expect("name")
}

fn ops() -> SignerKey {
    SignerKey::from_seed("ops", [1; 32]).expect("name")
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(TestClock(AtomicI64::new(1_795_341_600_000_000)))
}

fn open(dir: &std::path::Path, limits: Limits) -> Service {
    let (w, r) = corridor_store_sqlite::open(&dir.join("log.db")).expect("store opens");
    Service::start(Box::new(w), Arc::new(r), log_key(), clock(), limits).expect("starts")
}

fn envelope(kind: &str, id: &str, body: serde_json::Value) -> Vec<u8> {
    let st =
        json!({"type": kind, "issuer": "ops", "id": id, "issued_at": "2026-11-22T10:00:00Z", "body": body});
    serde_json::to_vec(&sign(st.to_string().as_bytes(), &[&ops()])).expect("json")
}

fn genesis() -> Vec<u8> {
    envelope(
        "party.register",
        "g",
        json!({"id": "ops", "name": "Ops", "kind": "coordination", "keys": [ops().verifier().to_vkey()]}),
    )
}

fn message(id: &str) -> Vec<u8> {
    envelope("message.send", id, json!({"to": ["ops"], "subject": "s", "text": id}))
}

fn created(s: Submitted) -> Receipt {
    match s {
        Submitted::Created(r) => r,
        Submitted::Existing(r) => panic!("expected a new entry, got resubmission of {}", r.index),
    }
}

fn verify_receipt(r: &Receipt) {
    let proof = parse_tlog_proof(&r.tlog_proof).expect("tlog-proof parses");
    let leaf: [u8; 32] = B64.decode(&r.leaf_hash).expect("b64").try_into().expect("32 bytes");
    proof.verify(&leaf, &log_key().verifier()).expect("receipt verifies");
    assert_eq!(proof.checkpoint, r.checkpoint);
}

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

#[tokio::test]
async fn receipts_verify_and_resubmissions_get_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = open(dir.path(), Limits::default());
    verify_receipt(&created(svc.submit(&genesis()).await.expect("genesis")));
    let first = created(svc.submit(&message("m1")).await.expect("message"));
    verify_receipt(&first);
    created(svc.submit(&message("m2")).await.expect("another"));
    match svc.submit(&message("m1")).await.expect("resubmission") {
        Submitted::Existing(r) => assert_eq!(r, first, "the original receipt, byte for byte"),
        Submitted::Created(_) => panic!("logged twice"),
    }
    let reuse = envelope("message.send", "m1", json!({"to": ["ops"], "subject": "other", "text": ""}));
    assert_eq!(svc.submit(&reuse).await.unwrap_err().code(), "duplicate_id");
    assert_eq!(svc.log_info().await.size, 3, "refusals changed nothing");
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = open(dir.path(), Limits::default());
    created(svc.submit(&genesis()).await.expect("genesis"));
    let before = (svc.log_info().await.checkpoint, svc.state_digest().await);
    let impostor = SignerKey::from_seed("ops", [2; 32]).expect("name");
    let st = json!({"type": "message.send", "issuer": "ops", "id": "x", "issued_at": "2026-11-22T10:00:00Z", "body": {"to": ["ops"], "subject": "s", "text": ""}});
    let forged = serde_json::to_vec(&sign(st.to_string().as_bytes(), &[&impostor])).expect("json");
    let mut tampered: serde_json::Value = serde_json::from_slice(&message("y")).expect("json");
    tampered["signatures"][0]["sig"] = json!(B64.encode([0u8; 64]));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{".to_vec(), "malformed_json"),
        (forged, "unknown_key"),
        (serde_json::to_vec(&tampered).expect("json"), "bad_signature"),
        (vec![b' '; 200_000], "too_large"),
        (
            envelope("message.send", "z", json!({"to": ["nobody"], "subject": "s", "text": ""})),
            "unknown_party",
        ),
        (
            envelope(
                "party.register",
                "r",
                json!({"id": "ops", "name": "x", "kind": "agency", "keys": [ops().verifier().to_vkey()]}),
            ),
            "party_exists",
        ),
    ];
    for (body, code) in cases {
        assert_eq!(svc.submit(&body).await.unwrap_err().code(), code);
    }
    assert_eq!((svc.log_info().await.checkpoint, svc.state_digest().await), before);
}

#[tokio::test]
async fn restart_recovers_the_same_log_and_stays_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_note, old_digest) = {
        let svc = open(dir.path(), Limits::default());
        created(svc.submit(&genesis()).await.expect("genesis"));
        for i in 0..20 {
            created(svc.submit(&message(&format!("m{i}"))).await.expect("message"));
        }
        (svc.log_info().await.checkpoint, svc.state_digest().await)
    };
    let svc = open(dir.path(), Limits::default());
    assert_eq!(svc.log_info().await.checkpoint, old_note, "same checkpoint after restart");
    assert_eq!(svc.state_digest().await, old_digest, "same state after restart");
    let r = created(svc.submit(&message("after")).await.expect("message"));
    let old = SignedCheckpoint::open(&old_note, &log_key().verifier()).expect("old checkpoint");
    let new = SignedCheckpoint::open(&r.checkpoint, &log_key().verifier()).expect("new checkpoint");
    let (_, proof) =
        svc.consistency_proof(old.checkpoint.size, Some(new.checkpoint.size)).await.expect("proof");
    let proof: Vec<[u8; 32]> =
        proof.iter().map(|p| B64.decode(p).expect("b64").try_into().expect("32")).collect();
    verify_consistency(
        old.checkpoint.size,
        new.checkpoint.size,
        &proof,
        &old.checkpoint.root,
        &new.checkpoint.root,
    )
    .expect("consistent across the restart");
}

#[tokio::test]
async fn a_full_pool_pushes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (w, r) = corridor_store_sqlite::open(&dir.path().join("log.db")).expect("store opens");
    let limits = Limits { pool_capacity: 2, ..Limits::default() };
    // The sequencer is built but not run, so nothing leaves the pool.
    let (svc, _sequencer) =
        Service::build(Box::new(w), Arc::new(r), log_key(), clock(), limits).expect("builds");
    let mut waiting = vec![];
    for i in 0..2 {
        let (task_svc, body) = (svc.clone(), genesis_variant(i));
        waiting.push(tokio::spawn(async move { task_svc.submit(&body).await.map(|_| ()) }));
        while svc.inner.pool.capacity() > 1 - i {
            tokio::task::yield_now().await;
        }
    }
    assert_eq!(svc.submit(&genesis_variant(9)).await.unwrap_err().code(), "busy");
    assert_eq!(svc.metrics().busy, 1);
}

fn genesis_variant(i: usize) -> Vec<u8> {
    envelope(
        "party.register",
        &format!("g{i}"),
        json!({"id": "ops", "name": "Ops", "kind": "coordination", "keys": [ops().verifier().to_vkey()]}),
    )
}

/// Pages of a collection chain without gaps, and an export holds every row
/// however small a page is.
#[tokio::test]
async fn pages_chain_without_gaps_and_exports_are_not_cut_to_a_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = open(dir.path(), Limits { max_page: 2, ..Limits::default() });
    created(svc.submit(&genesis()).await.expect("genesis"));
    for i in 0..5 {
        let body = json!({"name": format!("site {i}"), "category": "clinic", "buffer_m": 100,
            "geometry": {"type": "Point", "coordinates": [36.0 + f64::from(i) / 10.0, 33.0]},
            "window": {"from": "2026-11-22T00:00:00Z"}});
        created(svc.submit(&envelope("site.notify", &format!("s{i}"), body)).await.expect("site"));
    }
    let mut seen = Vec::new();
    let mut filter = Filter { limit: 2, ..Filter::default() };
    loop {
        let page = svc.sites(&filter).await;
        let features = page["features"].as_array().expect("features");
        assert!(features.len() <= 2, "a page never exceeds the limit");
        seen.extend(features.iter().map(|f| f["id"].as_str().expect("id").to_owned()));
        let Some(after) = page["next_after"].as_str() else { break };
        filter.after = Some(ObjectRef::parse(after).expect("cursor is a reference"));
    }
    let expected: Vec<String> = (0..5).map(|i| format!("ops/s{i}")).collect();
    assert_eq!(seen, expected);
    let export = svc.export_geojson(ExportKind::Sites).await.expect("export");
    assert_eq!(export["features"].as_array().map(Vec::len), Some(5));
    assert!(export["next_after"].is_null());

    // Distribution rounds page the same way, each page carrying its rounds' reports.
    for (i, round) in ["R1", "R2", "R2", "R3"].iter().enumerate() {
        let body = json!({"site": format!("ops/s{i}"), "round": round, "households": 10, "people": 50,
            "period": {"from": "2026-11-22T00:00:00Z", "to": "2026-11-23T00:00:00Z"},
            "items": [{"item": "flour", "unit": "kg", "quantity": 100}]});
        created(svc.submit(&envelope("distribution.report", &format!("d{i}"), body)).await.expect("report"));
    }
    let mut rounds = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = svc.distributions(None, after.as_deref(), 1).await;
        let page_rounds: Vec<&str> =
            page["rounds"].as_array().expect("rounds").iter().filter_map(|r| r["round"].as_str()).collect();
        assert_eq!(page_rounds.len(), 1, "one round per page");
        for report in page["reports"].as_array().expect("reports") {
            assert_eq!(
                report["report"]["round"].as_str(),
                Some(page_rounds[0]),
                "a page holds its rounds' reports only"
            );
        }
        rounds.extend(
            page_rounds.iter().map(|r| (r.to_string(), page["reports"].as_array().map_or(0, Vec::len))),
        );
        let Some(next) = page["next_after"].as_str() else { break };
        after = Some(next.to_owned());
    }
    let expected: Vec<(String, usize)> = vec![("R1".into(), 1), ("R2".into(), 2), ("R3".into(), 1)];
    assert_eq!(rounds, expected);
}
