//! Fault injection around any backend: a writer and a reader that fail on
//! command, for the tests of what the service does when storage fails.
//!
//! The faults a store can show, and what each means for the contract:
//! - [`AppendFault::BeforeCommit`]: `append` fails and nothing was written
//!   (a full disk, a lost connection before `COMMIT`);
//! - [`AppendFault::AfterCommit`]: the batch *is* durable, yet `append`
//!   reports failure (the connection dropped after `COMMIT` was sent, an
//!   fsync error reported late): the ambiguous commit, which the caller must
//!   treat as "maybe";
//! - a failed read: one read fails, nothing changes.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::{LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint, StoredEntry};

/// How the next `append` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendFault {
    BeforeCommit,
    AfterCommit,
}

/// The faults armed for a wrapped store; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    next_append: Arc<Mutex<Option<AppendFault>>>,
    failing_reads: Arc<AtomicU32>,
}

impl Faults {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `append` fails as `fault` says.
    pub fn fail_next_append(&self, fault: AppendFault) {
        if let Ok(mut next) = self.next_append.lock() {
            *next = Some(fault);
        }
    }

    /// The next `n` reads fail.
    pub fn fail_next_reads(&self, n: u32) {
        self.failing_reads.store(n, Ordering::SeqCst);
    }

    fn take_append(&self) -> Option<AppendFault> {
        self.next_append.lock().ok().and_then(|mut next| next.take())
    }

    fn read(&self) -> Result<(), StoreError> {
        let took = self.failing_reads.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match took {
            Ok(_) => Err(StoreError::Backend("injected: the read failed".into())),
            Err(_) => Ok(()),
        }
    }
}

/// A writer that fails when told to.
#[derive(Debug)]
pub struct FaultyWriter<W> {
    pub inner: W,
    pub faults: Faults,
}

impl<W: LogWriter> LogWriter for FaultyWriter<W> {
    fn append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        match self.faults.take_append() {
            None => self.inner.append(entries, checkpoint),
            Some(AppendFault::BeforeCommit) => {
                Err(StoreError::Backend("injected: failed before commit".into()))
            }
            Some(AppendFault::AfterCommit) => {
                self.inner.append(entries, checkpoint)?;
                Err(StoreError::Backend("injected: committed, then reported failure".into()))
            }
        }
    }

    fn add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        self.inner.add_cosigned(checkpoint)
    }
}

/// A reader that fails when told to.
#[derive(Debug, Clone)]
pub struct FaultyReader<R> {
    pub inner: R,
    pub faults: Faults,
}

impl<R: LogReader> LogReader for FaultyReader<R> {
    fn size(&self) -> Result<u64, StoreError> {
        self.faults.read()?;
        self.inner.size()
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        self.faults.read()?;
        self.inner.entries(start, end)
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        self.faults.read()?;
        self.inner.leaf_hashes(start, end)
    }

    fn scan(
        &self,
        start: u64,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.faults.read()?;
        self.inner.scan(start, f)
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.faults.read()?;
        self.inner.latest_checkpoint()
    }

    fn checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.faults.read()?;
        self.inner.checkpoint_covering(index)
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.faults.read()?;
        self.inner.checkpoint_at(size)
    }

    fn latest_cosigned(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.faults.read()?;
        self.inner.latest_cosigned()
    }

    fn checkpoints_from(
        &self,
        kind: crate::CheckpointKind,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.faults.read()?;
        self.inner.checkpoints_from(kind, from_size, limit)
    }
}

/// Wraps a backend's writer and reader so that `faults` controls both.
pub fn wrap<W, R>(faults: &Faults, (writer, reader): (W, R)) -> (FaultyWriter<W>, FaultyReader<R>) {
    (
        FaultyWriter { inner: writer, faults: faults.clone() },
        FaultyReader { inner: reader, faults: faults.clone() },
    )
}
