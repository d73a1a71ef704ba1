//! The conformance suite: the durability contract as executable checks, run
//! against every backend from that backend's own tests (the in-memory store
//! here, SQLite in `corridor-store-sqlite`; every new backend runs it too).
//!
//! A backend provides a [`Harness`] that opens a writer and a reader on the
//! same storage; reopening after dropping both simulates a restart. The
//! checks run in order on one storage, each building on the log the previous
//! ones left, and panic with a description on the first failure.
//!
//! The fault checks wrap the backend in [`crate::faults`]: a batch refused
//! before its commit leaves nothing behind; a batch committed whose `append`
//! still reported failure is durable after a reopen; a failed read changes
//! nothing.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::faults::{self, AppendFault, Faults};
use crate::{CheckpointKind, LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint};

pub trait Harness {
    type Writer: LogWriter;
    type Reader: LogReader + Clone + 'static;
    /// Opens (or reopens) the storage under test.
    fn open(&mut self) -> (Self::Writer, Self::Reader);
}

fn entry(index: u64) -> NewEntry {
    let bytes = format!("entry {index}").into_bytes();
    NewEntry { index, leaf_hash: leaf(index), bytes }
}

fn leaf(index: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&index.to_be_bytes());
    h[31] = 0xa5;
    h
}

fn batch(start: u64, end: u64) -> Vec<NewEntry> {
    (start..end).map(entry).collect()
}

fn checkpoint(size: u64) -> StoredCheckpoint {
    StoredCheckpoint { size, note: format!("origin\n{size}\nroot\n\n— sig\n") }
}

/// Runs every check; panics with a description on the first failure.
pub fn run_all<H: Harness>(harness: &mut H) {
    starts_empty(harness);
    appends_and_reads_back(harness);
    refuses_gaps_and_mismatches_without_writing(harness);
    survives_reopen(harness);
    reads_out_of_range_are_empty(harness);
    keeps_large_entries_byte_for_byte(harness);
    finds_the_checkpoint_of_every_batch(harness);
    keeps_cosigned_checkpoints(harness);
    readers_see_whole_batches_only(harness);
    a_batch_refused_before_commit_leaves_nothing(harness);
    an_ambiguous_commit_is_durable(harness);
    a_failed_read_changes_nothing(harness);
}

fn starts_empty<H: Harness>(h: &mut H) {
    let (_w, r) = h.open();
    assert_eq!(r.size().expect("size"), 0);
    assert!(r.latest_checkpoint().expect("checkpoint").is_none());
    assert!(r.entries(0, 10).expect("entries").is_empty());
}

fn appends_and_reads_back<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    w.append(&batch(0, 3), &checkpoint(3)).expect("first batch");
    w.append(&batch(3, 8), &checkpoint(8)).expect("second batch");
    assert_eq!(r.size().expect("size"), 8);
    let got = r.entries(2, 5).expect("entries");
    assert_eq!(got.iter().map(|e| e.index).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(got[0].bytes, entry(2).bytes);
    assert_eq!(got[0].leaf_hash, entry(2).leaf_hash);
    assert_eq!(r.entries(6, 100).expect("entries").len(), 2, "a short log gives fewer entries");
    assert_eq!(r.latest_checkpoint().expect("latest"), Some(checkpoint(8)));
    assert_eq!(r.checkpoint_covering(2).expect("covering"), Some(checkpoint(3)));
    assert_eq!(r.checkpoint_covering(3).expect("covering"), Some(checkpoint(8)));
    assert_eq!(r.checkpoint_covering(8).expect("covering"), None);
    assert_eq!(r.checkpoint_at(3).expect("at"), Some(checkpoint(3)));
    assert_eq!(r.checkpoint_at(4).expect("at"), None);
    let mut seen = vec![];
    r.scan(5, &mut |e| {
        seen.push(e.index);
        Ok(())
    })
    .expect("scan");
    assert_eq!(seen, vec![5, 6, 7]);
}

fn refuses_gaps_and_mismatches_without_writing<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    let gap = w.append(&batch(9, 10), &checkpoint(10));
    assert!(matches!(gap, Err(StoreError::NotContiguous { expected: 8, got: 9 })), "{gap:?}");
    let mismatch = w.append(&batch(8, 9), &checkpoint(10));
    assert!(matches!(mismatch, Err(StoreError::CheckpointMismatch { .. })), "{mismatch:?}");
    let mut shuffled = batch(8, 10);
    shuffled.swap(0, 1);
    let disordered = w.append(&shuffled, &checkpoint(10));
    assert!(matches!(disordered, Err(StoreError::NotContiguous { .. })), "{disordered:?}");
    assert_eq!(r.size().expect("size"), 8, "a refused batch writes nothing");
    assert_eq!(r.latest_checkpoint().expect("latest"), Some(checkpoint(8)));
}

fn survives_reopen<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    assert_eq!(r.size().expect("size"), 8, "committed batches survive a reopen");
    w.append(&batch(8, 9), &checkpoint(9)).expect("append after reopen");
    drop((w, r));
    let (_w, r) = h.open();
    assert_eq!(r.size().expect("size"), 9);
    assert_eq!(r.latest_checkpoint().expect("latest"), Some(checkpoint(9)));
}

fn reads_out_of_range_are_empty<H: Harness>(h: &mut H) {
    let (_w, r) = h.open();
    assert!(r.entries(9, 20).expect("past the end").is_empty());
    assert!(r.entries(5, 5).expect("empty range").is_empty());
    assert!(r.entries(7, 3).expect("reversed range").is_empty());
    let mut called = false;
    r.scan(100, &mut |_| {
        called = true;
        Ok(())
    })
    .expect("scan past the end");
    assert!(!called, "a scan past the end sees nothing");
    assert_eq!(r.checkpoint_covering(1_000).expect("covering"), None);
}

fn keeps_large_entries_byte_for_byte<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    // Every byte value, to the tlog-tiles entry limit.
    let bytes: Vec<u8> = (0..65_535u32).map(|i| (i % 251) as u8).collect();
    let big = NewEntry { index: 9, leaf_hash: [0xff; 32], bytes: bytes.clone() };
    w.append(&[big], &checkpoint(10)).expect("a 65,535-byte entry");
    let got = r.entries(9, 10).expect("read back");
    assert_eq!((got[0].bytes.as_slice(), got[0].leaf_hash), (bytes.as_slice(), [0xff; 32]));
}

fn finds_the_checkpoint_of_every_batch<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    let mut size = r.size().expect("size");
    let mut sizes = vec![size];
    for n in [1, 7, 2, 30, 1, 1, 64] {
        w.append(&batch(size, size + n), &checkpoint(size + n)).expect("batch");
        size += n;
        sizes.push(size);
    }
    for pair in sizes.windows(2) {
        for index in pair[0]..pair[1] {
            assert_eq!(
                r.checkpoint_covering(index).expect("covering"),
                Some(checkpoint(pair[1])),
                "entry {index}"
            );
        }
        assert_eq!(r.checkpoint_at(pair[1]).expect("at"), Some(checkpoint(pair[1])));
    }
    let mut count = 0;
    r.scan(0, &mut |e| {
        assert_eq!(e.index, count, "a scan is in order and complete");
        count += 1;
        Ok(())
    })
    .expect("scan");
    assert_eq!(count, size);
}

fn cosigned(size: u64, witnesses: usize) -> StoredCheckpoint {
    let lines = "— witness cosig\n".repeat(witnesses);
    StoredCheckpoint { size, note: format!("origin\n{size}\nroot\n\n— sig\n{lines}") }
}

/// Cosigned checkpoints are kept apart from the signed ones, replaced per
/// size, survive a reopen, and never name a size the log has not reached.
fn keeps_cosigned_checkpoints<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    let size = r.size().expect("size");
    assert!(size >= 10, "runs after batches were appended");
    let before = r.latest_cosigned().expect("latest");
    let err = w.add_cosigned(&cosigned(size + 1, 1)).expect_err("beyond the log");
    assert!(matches!(err, StoreError::CheckpointMismatch { .. }), "{err}");
    w.add_cosigned(&cosigned(size - 5, 1)).expect("stores");
    w.add_cosigned(&cosigned(size, 1)).expect("stores");
    w.add_cosigned(&cosigned(size - 5, 2)).expect("replaces");
    assert_eq!(r.latest_cosigned().expect("latest"), Some(cosigned(size, 1)));
    assert_ne!(before, r.latest_cosigned().expect("latest"));
    let covering = r.checkpoints_from(CheckpointKind::Cosigned, size - 7, 1).expect("covering");
    assert_eq!(covering, vec![cosigned(size - 5, 2)]);
    let all = r.checkpoints_from(CheckpointKind::Cosigned, size - 5, 10).expect("from");
    assert_eq!(all, vec![cosigned(size - 5, 2), cosigned(size, 1)]);
    // The signed series is untouched.
    assert_eq!(r.checkpoint_at(size).expect("at"), Some(checkpoint(size)));
    let signed = r.checkpoints_from(CheckpointKind::Signed, size, 5).expect("signed");
    assert_eq!(signed, vec![checkpoint(size)]);
    drop((w, r));
    let (_w, r) = h.open();
    assert_eq!(r.latest_cosigned().expect("after reopen"), Some(cosigned(size, 1)));
}

/// A reader running while batches are appended only ever sees whole batches.
fn readers_see_whole_batches_only<H: Harness>(h: &mut H) {
    let (mut w, r) = h.open();
    let start = r.size().expect("size");
    let mut committed = BTreeSet::from([start]);
    let mut size = start;
    for n in 1..=40 {
        size += n % 5 + 1;
        committed.insert(size);
    }
    let done = AtomicBool::new(false);
    let seen = std::thread::scope(|s| {
        let reader = r.clone();
        let done = &done;
        let watcher = s.spawn(move || {
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::Acquire) {
                seen.insert(reader.size().expect("size while appending"));
            }
            seen
        });
        let mut at = start;
        for &next in committed.iter().skip(1) {
            w.append(&batch(at, next), &checkpoint(next)).expect("batch");
            at = next;
        }
        done.store(true, Ordering::Release);
        watcher.join().expect("watcher")
    });
    assert!(seen.is_subset(&committed), "a reader saw a size no batch ended at: {seen:?}");
    assert_eq!(r.size().expect("size"), size);
}

fn a_batch_refused_before_commit_leaves_nothing<H: Harness>(h: &mut H) {
    let faults = Faults::new();
    let (mut w, r) = faults::wrap(&faults, h.open());
    let size = r.size().expect("size");
    faults.fail_next_append(AppendFault::BeforeCommit);
    assert!(w.append(&batch(size, size + 3), &checkpoint(size + 3)).is_err());
    assert_eq!(r.size().expect("size"), size, "nothing of the batch was written");
    drop((w, r));
    let (mut w, r) = h.open();
    assert_eq!(r.size().expect("size after reopen"), size);
    assert_eq!(r.latest_checkpoint().expect("latest"), Some(checkpoint(size)));
    w.append(&batch(size, size + 3), &checkpoint(size + 3)).expect("the same batch, retried");
}

fn an_ambiguous_commit_is_durable<H: Harness>(h: &mut H) {
    let faults = Faults::new();
    let (mut w, r) = faults::wrap(&faults, h.open());
    let size = r.size().expect("size");
    faults.fail_next_append(AppendFault::AfterCommit);
    assert!(w.append(&batch(size, size + 2), &checkpoint(size + 2)).is_err(), "reported as failed");
    drop((w, r));
    let (_w, r) = h.open();
    assert_eq!(r.size().expect("size after reopen"), size + 2, "yet durable");
    assert_eq!(r.latest_checkpoint().expect("latest"), Some(checkpoint(size + 2)));
}

fn a_failed_read_changes_nothing<H: Harness>(h: &mut H) {
    let faults = Faults::new();
    let (_w, r) = faults::wrap(&faults, h.open());
    let size = r.size().expect("size");
    faults.fail_next_reads(1);
    assert!(r.entries(0, 1).is_err(), "the armed read fails");
    assert_eq!(r.size().expect("the next read succeeds"), size);
    assert_eq!(r.entries(0, 1).expect("entries")[0].bytes, entry(0).bytes);
}
