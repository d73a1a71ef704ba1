//! Service tests against the real SQLite store in a temporary directory.

use std::sync::atomic::{AtomicI64, Ordering};

use corridor_note::SignerKey;
use corridor_statement::sign;
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
    let st = json!({"type": kind, "issuer": "ops", "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
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
    proof.verify(&r.leaf_hash, &log_key().verifier()).expect("receipt verifies");
    assert_eq!(proof.checkpoint, r.checkpoint);
    assert_eq!(proof.proof, r.inclusion_proof);
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
    assert_eq!(svc.log_info().await.expect("log").size, 3, "refusals changed nothing");
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = open(dir.path(), Limits::default());
    created(svc.submit(&genesis()).await.expect("genesis"));
    let before = (svc.log_info().await.expect("log").checkpoint, svc.state_digest().await.expect("digest"));
    let impostor = SignerKey::from_seed("ops", [2; 32]).expect("name");
    let st = json!({"type": "message.send", "issuer": "ops", "id": "x", "issued_at": "2026-11-22T10:00:00.000Z", "body": {"to": ["ops"], "subject": "s", "text": ""}});
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
    assert_eq!(
        (svc.log_info().await.expect("log").checkpoint, svc.state_digest().await.expect("digest")),
        before
    );
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
        (svc.log_info().await.expect("log").checkpoint, svc.state_digest().await.expect("digest"))
    };
    let svc = open(dir.path(), Limits::default());
    assert_eq!(svc.log_info().await.expect("log").checkpoint, old_note, "same checkpoint after restart");
    assert_eq!(svc.state_digest().await.expect("digest"), old_digest, "same state after restart");
    let r = created(svc.submit(&message("after")).await.expect("message"));
    let old = SignedCheckpoint::open(&old_note, &log_key().verifier()).expect("old checkpoint");
    let new = SignedCheckpoint::open(&r.checkpoint, &log_key().verifier()).expect("new checkpoint");
    let (_, proof) =
        svc.consistency_proof(old.checkpoint.size, Some(new.checkpoint.size)).await.expect("proof");
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
        Service::build(Box::new(w), Arc::new(r), log_key(), clock(), limits, None).expect("builds");
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

/// A service over an in-memory store whose faults the test controls.
fn open_faulty(store: &MemoryStore, faults: &Faults) -> Service {
    let (w, r) = faults::wrap(faults, store.open());
    Service::start(Box::new(w), Arc::new(r), log_key(), clock(), Limits::default()).expect("starts")
}

/// What the service does when storage fails, case by case: whether it goes
/// on, whether the failure is fatal, which receipts are sent, and what a
/// restart finds.
#[tokio::test]
async fn storage_faults_table() {
    struct Case {
        name: &'static str,
        fault: fn(&Faults),
        /// The failed submission gets a receipt.
        receipt: bool,
        /// The sequencer stops (and the binary exits).
        fatal: bool,
        /// After a restart, the failed submission is in the log.
        durable: bool,
    }
    let cases = [
        Case {
            name: "append fails before commit",
            fault: |f| f.fail_next_append(AppendFault::BeforeCommit),
            receipt: false,
            fatal: true,
            durable: false,
        },
        Case {
            name: "append commits, then reports failure (ambiguous)",
            fault: |f| f.fail_next_append(AppendFault::AfterCommit),
            receipt: false,
            fatal: true,
            durable: true,
        },
        Case {
            name: "a read fails",
            fault: |f| f.fail_next_reads(1),
            receipt: true,
            fatal: false,
            durable: true,
        },
    ];
    for case in cases {
        let (store, faults) = (MemoryStore::new(), Faults::new());
        let svc = open_faulty(&store, &faults);
        created(svc.submit(&genesis()).await.expect("genesis"));
        // The armed read fault hits the receipt lookup of a resubmission,
        // which reads the store; a new submission reads nothing.
        (case.fault)(&faults);
        let read = svc.receipt(0).await;
        let submitted = svc.submit(&message("m1")).await;
        assert_eq!(submitted.is_ok(), case.receipt, "{}: receipt sent", case.name);
        if case.fatal {
            assert_eq!(submitted.unwrap_err().code(), "unavailable", "{}: retry later", case.name);
            let fatal = tokio::time::timeout(std::time::Duration::from_secs(10), svc.failed()).await;
            assert!(fatal.is_ok(), "{}: the failure is reported as fatal", case.name);
            assert_eq!(
                svc.log_info().await.unwrap_err().code(),
                "unavailable",
                "{}: reads refused",
                case.name
            );
            assert_eq!(svc.submit(&message("m2")).await.unwrap_err().code(), "unavailable", "{}", case.name);
        } else {
            assert_eq!(read.unwrap_err().code(), "storage_error", "{}: the read fails", case.name);
            assert_eq!(svc.receipt(0).await.expect("the next read").index, 0, "{}", case.name);
            created(svc.submit(&message("m2")).await.expect("progress"));
        }
        drop(svc);
        let restarted = open_faulty(&store, &Faults::new());
        let size = restarted.log_info().await.expect("log").size;
        assert_eq!(size >= 2, case.durable, "{}: durable after restart", case.name);
        // A client retrying gets the original receipt if the entry was
        // durable, a new one if it was not.
        match restarted.submit(&message("m1")).await.expect("retry") {
            Submitted::Existing(r) => assert!(case.durable, "{}: {r:?}", case.name),
            Submitted::Created(r) => assert!(!case.durable, "{}: {r:?}", case.name),
        }
    }
}

use corridor_store::faults::{self, AppendFault, Faults};
use corridor_store::memory::MemoryStore;

/// A map view's box query pages through exactly the sites a scan in
/// reference order finds, whether the box is dense (walked in order) or
/// sparse (answered from the spatial index), with and without a cursor.
#[test]
fn box_queries_page_exactly_as_a_scan_does() {
    use corridor_state::{LoggedEntry, State};
    use corridor_statement::{build_entry, parse_entry, CanonicalEnvelope, ObjectRef};
    let mut state = State::new();
    let mut apply = |index: u64, bytes: Vec<u8>| {
        let env: corridor_statement::Envelope = serde_json::from_slice(&bytes).expect("envelope");
        let entry = build_entry(0, &CanonicalEnvelope::of(&env)).expect("fits");
        let signed = parse_entry(&entry).expect("entry").signed;
        state.apply(LoggedEntry { index, sequenced_at_us: 1_000 * index as i64, signed }).expect("accepted");
    };
    apply(0, genesis());
    // More sites than a box query walks before it turns to the index.
    let n = access_views::BOX_SCAN_BUDGET + 5_000;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut unit = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut sites = Vec::with_capacity(n);
    for i in 0..n {
        let (lon, lat) = (35.0 + unit() * 13.0, 29.0 + unit() * 8.0);
        let body = json!({"name": "s", "category": "clinic", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "buffer_m": 100, "window": {"from": "2026-01-01T00:00:00.000Z"}});
        let id = format!("s{i:05}");
        apply(1 + i as u64, envelope("site.notify", &id, body));
        sites.push((ObjectRef::parse(&format!("ops/{id}")).expect("ref"), lon, lat));
    }
    sites.sort_by(|a, b| a.0.cmp(&b.0));
    let limits = Limits::default();
    let view = View { state: &state, now_us: 0, limits: &limits };
    for b in [
        [30.0, 26.0, 52.0, 40.0],
        [40.0, 33.0, 40.3, 33.2],
        [38.0, 31.0, 42.0, 35.0],
        [10.0, 10.0, 11.0, 11.0],
    ] {
        let want: Vec<String> = sites
            .iter()
            .filter(|(_, lon, lat)| b[0] <= *lon && *lon <= b[2] && b[1] <= *lat && *lat <= b[3])
            .map(|(r, _, _)| r.to_string())
            .collect();
        for limit in [700, 5] {
            let mut got = Vec::new();
            let mut after = None;
            loop {
                let f = Filter { bbox: Some(b), after: after.clone(), limit, ..Filter::default() };
                let page = view.sites(&f);
                got.extend(page.items.iter().map(|s| s.reference.to_string()));
                match page.next_after {
                    Some(c) => after = Some(ObjectRef::parse(&c).expect("cursor")),
                    None => break,
                }
            }
            assert_eq!(got, want, "box {b:?}, pages of {limit}");
        }
    }
}

mod snapshots {
    use super::*;
    use crate::replay::{recover, Recovered};
    use crate::snapshot::{self, SnapshotPolicy, Snapshots};

    async fn log_of(store: &MemoryStore, messages: std::ops::Range<usize>) -> Service {
        let svc = open_faulty(store, &Faults::new());
        if messages.start == 0 {
            created(svc.submit(&genesis()).await.expect("genesis"));
        }
        // Concurrent submissions, so that batches of several entries are logged.
        let tasks: Vec<_> = messages
            .map(|i| {
                let svc = svc.clone();
                tokio::spawn(async move { svc.submit(&message(&format!("m{i}"))).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await.expect("task").expect("logged");
        }
        svc
    }

    /// A log's entries with one signature altered (one base64 digit of its
    /// `R` changed; the leaf hash recomputed, so only the signature is wrong).
    struct Altered(Vec<corridor_store::StoredEntry>);

    impl crate::replay::EntrySource for Altered {
        fn size(&self) -> Result<u64, corridor_store::StoreError> {
            Ok(self.0.len() as u64)
        }

        fn entries(
            &self,
            start: u64,
            end: u64,
        ) -> Result<Vec<corridor_store::StoredEntry>, corridor_store::StoreError> {
            Ok(self.0[start as usize..(end as usize).min(self.0.len())].to_vec())
        }
    }

    fn altered(store: &MemoryStore, index: usize) -> Altered {
        let (_, reader) = store.open();
        let mut entries = reader.entries(0, reader.size().expect("size")).expect("entries");
        let bytes = &mut entries[index].bytes;
        let at = bytes.windows(7).position(|w| w == br#""sig":""#).expect("a signature") + 7 + 10;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        entries[index].leaf_hash = corridor_tlog::leaf_hash(bytes);
        Altered(entries)
    }

    #[tokio::test]
    async fn a_replay_names_a_bad_signature_before_the_stop_it_precedes() {
        let store = MemoryStore::new();
        drop(log_of(&store, 0..40).await);
        let log = altered(&store, 10);
        let mut visit = |_: u64, _: &corridor_state::State| -> Result<(), crate::replay::ReplayError> {
            Err(crate::replay::ReplayError::Entry { index: 30, why: "the snapshot was blamed".into() })
        };
        let progress = |_| {};
        let mut stops =
            crate::replay::Stops { sizes: vec![30], visit: Some(&mut visit), progress: &progress };
        let err = crate::replay::replay_stopping(&log, crate::replay::ReplayOptions::audit(), &mut stops)
            .expect_err("refused");
        assert!(err.to_string().starts_with("entry 10: signature by"), "{err}");
    }

    fn recovered(store: &MemoryStore, snapshots: Option<&Snapshots>) -> Recovered {
        let (_, reader) = store.open();
        recover(&reader, &log_key().verifier(), snapshots).expect("recovers")
    }

    fn make(store: &MemoryStore, snapshots: &Snapshots) -> Option<u64> {
        let (_, reader) = store.open();
        snapshot::make(snapshots, &reader, &log_key().verifier(), 5).expect("snapshot made")
    }

    fn same(a: &Recovered, b: &Recovered) {
        assert_eq!(a.state.digest(), b.state.digest());
        assert_eq!(a.tree.size(), b.tree.size());
        assert_eq!(a.tree.root(a.tree.size()).ok(), b.tree.root(b.tree.size()).ok());
        assert_eq!(
            a.checkpoint.as_ref().map(|c| c.note.clone()),
            b.checkpoint.as_ref().map(|c| c.note.clone())
        );
    }

    #[tokio::test]
    async fn recovery_from_a_snapshot_is_a_full_replay_with_less_work() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        let snapshots = Snapshots::new(dir.path());
        let svc = log_of(&store, 0..40).await;
        let first = make(&store, &snapshots).expect("a snapshot");
        assert_eq!(make(&store, &snapshots), None, "nothing new to snapshot");
        drop(svc);
        let svc = log_of(&store, 40..70).await;
        drop(svc);
        let full = recovered(&store, None);
        let quick = recovered(&store, Some(&snapshots));
        assert_eq!(quick.from_snapshot, Some(first));
        assert_eq!(full.from_snapshot, None);
        same(&quick, &full);
        // A second snapshot starts from the first, and recovery from it.
        let second = make(&store, &snapshots).expect("another");
        assert!(second > first);
        assert_eq!(recovered(&store, Some(&snapshots)).from_snapshot, Some(second));
        // A damaged one of the log's size is not "already there": it is made again.
        let path = dir.path().join(format!("{second:020}.snapshot"));
        let mut bytes = std::fs::read(&path).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(make(&store, &snapshots), Some(second));
        assert_eq!(recovered(&store, Some(&snapshots)).from_snapshot, Some(second));
    }

    /// The served digest is the one kept for its size until the log grows,
    /// then the new state's, as a replay of the store computes it.
    #[tokio::test]
    async fn the_served_digest_follows_the_log() {
        let store = MemoryStore::new();
        let svc = log_of(&store, 0..5).await;
        let (size, first) = svc.state_digest_at().await.expect("digest");
        assert_eq!((size, first), svc.state_digest_at().await.expect("again"));
        assert_eq!(first, recovered(&store, None).state.digest());
        created(svc.submit(&message("one-more")).await.expect("message"));
        let (grown, second) = svc.state_digest_at().await.expect("digest");
        assert_eq!(grown, size + 1);
        assert_ne!(second, first);
        assert_eq!(second, recovered(&store, None).state.digest());
    }

    #[tokio::test]
    async fn while_a_digest_is_taken_another_is_refused_unless_kept() {
        let store = MemoryStore::new();
        let svc = log_of(&store, 0..5).await;
        let kept = svc.state_digest_at().await.expect("digest");
        let taking = svc.inner.digesting.try_lock().expect("no digest under way");
        assert_eq!(svc.state_digest_at().await.expect("the kept one"), kept);
        created(svc.submit(&message("one-more")).await.expect("message"));
        assert!(matches!(svc.state_digest_at().await, Err(QueryError::Digesting)));
        drop(taking);
        assert_eq!(svc.state_digest_at().await.expect("digest").0, kept.0 + 1);
    }

    #[tokio::test]
    async fn a_refused_snapshot_falls_back_to_an_older_one_or_a_full_replay() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        let snapshots = Snapshots::new(dir.path());
        drop(log_of(&store, 0..20).await);
        let older = make(&store, &snapshots).expect("a snapshot");
        drop(log_of(&store, 20..40).await);
        let newer = make(&store, &snapshots).expect("another");
        let full = recovered(&store, None);
        let path = |size: u64| dir.path().join(format!("{size:020}.snapshot"));
        let pristine = std::fs::read(path(newer)).expect("read");
        // Each damage in turn: the newer one is refused, the older one used.
        type Damage = fn(&mut Vec<u8>);
        let redo_checksum = |b: &mut Vec<u8>| {
            let body = b.len() - 32;
            let sum: [u8; 32] = *blake3::hash(&b[..body]).as_bytes();
            b[body..].copy_from_slice(&sum);
        };
        let damages: [(&str, &str, Damage); 7] = [
            ("a flipped byte in the state", "checksum", |b| {
                let mid = b.len() / 2;
                b[mid] ^= 1;
            }),
            ("another format", "format", |b| b[18] = b[18].wrapping_add(1)),
            ("cut short", "checksum", |b| b.truncate(b.len() - 40)),
            ("cut within its header", "damaged: it ends before its header", |b| b.truncate(40)),
            ("cut within its magic", "damaged: it ends before its header", |b| b.truncate(10)),
            ("a recorded digest that is not the state's, checksum redone", "digest", |b| b[70] ^= 1),
            // The last hash of the tree: its largest perfect subtree's, in every root.
            ("a tree hash changed, checksum redone", "root", |b| {
                let at = b.len() - 32 - 48 - 1;
                b[at] ^= 1;
            }),
        ];
        for (what, expected, damage) in damages {
            let mut bytes = pristine.clone();
            damage(&mut bytes);
            if what.ends_with("checksum redone") {
                redo_checksum(&mut bytes);
            }
            std::fs::write(path(newer), &bytes).expect("write");
            let refusal = Snapshots::load(&path(newer)).expect_err(what).to_string();
            assert!(refusal.contains(expected), "{what}: {refusal}");
            let r = recovered(&store, Some(&snapshots));
            assert_eq!(r.from_snapshot, Some(older), "{what}");
            same(&r, &full);
        }
        // A file named for another size than it holds is refused, and a
        // FIFO under a snapshot's name is passed over (opening it would block).
        std::fs::remove_file(path(newer)).expect("remove");
        std::fs::write(path(newer - 1), &pristine).expect("write");
        assert!(newer - 1 > older);
        assert_eq!(recovered(&store, Some(&snapshots)).from_snapshot, Some(older), "misnamed");
        std::fs::remove_file(path(newer - 1)).expect("remove");
        let fifo = std::process::Command::new("mkfifo").arg(path(newer)).status().expect("mkfifo runs");
        assert!(fifo.success());
        assert_eq!(recovered(&store, Some(&snapshots)).from_snapshot, Some(older), "a FIFO");
        std::fs::remove_file(path(newer)).expect("remove");
        // With both refused, recovery replays the whole log.
        std::fs::write(path(older), b"corridor-snapshot\nnot really").expect("write");
        let r = recovered(&store, Some(&snapshots));
        assert_eq!(r.from_snapshot, None);
        same(&r, &full);
    }

    #[tokio::test]
    async fn a_snapshot_of_another_log_is_refused() {
        let (store, other) = (MemoryStore::new(), MemoryStore::new());
        let dir = tempfile::tempdir().expect("tempdir");
        let snapshots = Snapshots::new(dir.path());
        drop(log_of(&store, 0..10).await);
        let svc = open_faulty(&other, &Faults::new());
        created(svc.submit(&genesis()).await.expect("genesis"));
        for i in 0..10 {
            // One at a time: another log, with other batches than the first.
            created(svc.submit(&message(&format!("x{i}"))).await.expect("logged"));
        }
        drop(svc);
        let size = make(&other, &snapshots).expect("a snapshot of the other log");
        let (_, reader) = store.open();
        assert!(corridor_store::LogReader::size(&reader).expect("size") >= size);
        let r = recovered(&store, Some(&snapshots));
        assert_eq!(r.from_snapshot, None, "the other log's snapshot is refused");
        same(&r, &recovered(&store, None));
    }

    /// A service over `store` that makes a snapshot in `dir` every 10
    /// entries (or hour), keeping `keep`.
    fn snapshotting(store: &MemoryStore, dir: &std::path::Path, keep: usize) -> Service {
        let policy = SnapshotPolicy {
            dir: dir.to_owned(),
            every_entries: 10,
            every: std::time::Duration::from_secs(3600),
            keep,
        };
        let (w, r) = store.open();
        Service::start_with(Box::new(w), Arc::new(r), log_key(), clock(), Limits::default(), Some(policy))
            .expect("starts")
    }

    #[tokio::test]
    async fn the_service_makes_snapshots_by_its_policy() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        let svc = snapshotting(&store, dir.path(), 2);
        created(svc.submit(&genesis()).await.expect("genesis"));
        for i in 0..25 {
            created(svc.submit(&message(&format!("m{i}"))).await.expect("logged"));
        }
        let snapshots = Snapshots::new(dir.path());
        // The thread looks every half second; give it a generous deadline.
        let mut waited = 0;
        while snapshots.list().is_empty() && waited < 600 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            waited += 1;
        }
        let (size, path) = snapshots.list().first().cloned().expect("a snapshot was made");
        assert!(size >= 10, "made once at least 10 entries were logged: {size}");
        let loaded = Snapshots::load(&path).expect("it loads");
        assert_eq!(loaded.size, size);
    }

    /// A snapshot that recovery refused does not count: after a restart the
    /// thread makes a new one at once, with no entry logged since, whether
    /// the file was cut short or only its checksum fails.
    #[tokio::test]
    async fn a_refused_snapshot_is_replaced_at_the_next_start() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        drop(log_of(&store, 0..25).await);
        let made = make(&store, &Snapshots::new(dir.path())).expect("a snapshot");
        let path = dir.path().join(format!("{made:020}.snapshot"));
        let pristine = std::fs::read(&path).expect("read");
        let cut = pristine[..pristine.len() / 2].to_vec();
        let mut flipped = pristine.clone();
        flipped[pristine.len() / 2] ^= 1;
        for (what, bytes) in [("cut short", cut), ("a flipped byte", flipped)] {
            std::fs::write(&path, &bytes).expect("damage");
            assert!(Snapshots::checked_header(&path).is_err(), "{what}: damaged");
            let svc = snapshotting(&store, dir.path(), 2);
            let mut waited = 0;
            while Snapshots::checked_header(&path).is_err() && waited < 600 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                waited += 1;
            }
            assert_eq!(Snapshots::load(&path).expect("made again, whole").size, made, "{what}");
            drop(svc);
        }
    }

    /// A damaged snapshot does not take a kept one's place: writing a new
    /// snapshot keeps the newest whole ones and removes what recovery
    /// would refuse.
    #[tokio::test]
    async fn pruning_keeps_whole_snapshots_and_removes_damaged_ones() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        let snapshots = Snapshots::new(dir.path());
        let path = |size: u64| dir.path().join(format!("{size:020}.snapshot"));
        drop(log_of(&store, 0..20).await);
        let older = make(&store, &snapshots).expect("a snapshot");
        drop(log_of(&store, 20..30).await);
        let damaged = make(&store, &snapshots).expect("another");
        let mut bytes = std::fs::read(path(damaged)).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(path(damaged), &bytes).expect("damage");
        drop(log_of(&store, 30..40).await);
        let (_, reader) = store.open();
        let newest = snapshot::make(&snapshots, &reader, &log_key().verifier(), 2).expect("made");
        let listed: Vec<u64> = snapshots.list().into_iter().map(|(size, _)| size).collect();
        assert_eq!(listed, [newest.expect("a new snapshot"), older], "the damaged {damaged} is gone");
    }

    /// A file named for more entries than the log holds neither stops the
    /// entry count (which runs from the snapshot recovery used) nor takes a
    /// kept snapshot's place: the next write removes it.
    #[tokio::test]
    async fn a_snapshot_named_beyond_the_log_is_passed_over_and_pruned() {
        let (store, dir) = (MemoryStore::new(), tempfile::tempdir().expect("tempdir"));
        let stray = dir.path().join(format!("{:020}.snapshot", 1_000_000));
        std::fs::write(&stray, b"corridor-snapshot\nof another log").expect("write");
        let svc = snapshotting(&store, dir.path(), 1);
        created(svc.submit(&genesis()).await.expect("genesis"));
        for i in 0..25 {
            created(svc.submit(&message(&format!("m{i}"))).await.expect("logged"));
        }
        let snapshots = Snapshots::new(dir.path());
        let mut waited = 0;
        // Until both are seen: the write comes just before the removal.
        while (snapshots.list().iter().all(|(size, _)| *size > 26) || stray.exists()) && waited < 600 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            waited += 1;
        }
        let listed = snapshots.list();
        assert!(listed.iter().any(|(size, _)| *size >= 10 && *size <= 26), "a snapshot was made: {listed:?}");
        assert!(!stray.exists(), "the file beyond the log was removed: {listed:?}");
    }
}
