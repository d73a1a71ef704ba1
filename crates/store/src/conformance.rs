//! The conformance suite: the durability contract as executable checks, run
//! against every backend from that backend's own tests.
//!
//! A backend provides a [`Harness`] that opens a writer and a reader on the same
//! storage; reopening after dropping both simulates a restart.

use crate::{LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint};

pub trait Harness {
    type Writer: LogWriter;
    type Reader: LogReader;
    /// Opens (or reopens) the storage under test.
    fn open(&mut self) -> (Self::Writer, Self::Reader);
}

fn entry(index: u64) -> NewEntry {
    let bytes = format!("entry {index}").into_bytes();
    NewEntry { index, leaf_hash: [index as u8; 32], bytes }
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
