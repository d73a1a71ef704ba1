//! An in-memory backend: the log in a vector behind a mutex. It meets the
//! durability contract for the life of the process (nothing survives the
//! process, so "restart" means opening a new writer and reader on the same
//! [`MemoryStore`]). It is what tests and benchmarks use when the disk is not
//! what they measure; wrap it in [`crate::faults`] to make it fail.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{CheckpointKind, LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint, StoredEntry};

#[derive(Debug, Default)]
struct Log {
    entries: Vec<StoredEntry>,
    /// Checkpoint notes by tree size.
    checkpoints: BTreeMap<u64, String>,
    /// Cosigned checkpoint notes by tree size.
    cosigned: BTreeMap<u64, String>,
}

/// The storage; clones share it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    log: Arc<Mutex<Log>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the log's writer and a reader, as a backend's `open` does.
    pub fn open(&self) -> (MemoryWriter, MemoryReader) {
        (MemoryWriter { store: self.clone() }, MemoryReader { store: self.clone() })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Log>, StoreError> {
        self.log.lock().map_err(|_| StoreError::Backend("a writer panicked holding the log".into()))
    }
}

/// The log's writer.
#[derive(Debug)]
pub struct MemoryWriter {
    store: MemoryStore,
}

impl LogWriter for MemoryWriter {
    fn append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        let mut log = self.store.lock()?;
        let size = log.entries.len() as u64;
        let first = entries.first().map_or(size, |e| e.index);
        if first != size || entries.iter().enumerate().any(|(i, e)| e.index != first + i as u64) {
            return Err(StoreError::NotContiguous { expected: size, got: first });
        }
        let new_size = size + entries.len() as u64;
        if checkpoint.size != new_size {
            return Err(StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size: new_size });
        }
        // One lock for the whole batch: readers see all of it or none.
        log.entries.extend(entries.iter().map(|e| StoredEntry {
            index: e.index,
            leaf_hash: e.leaf_hash,
            bytes: e.bytes.clone(),
        }));
        log.checkpoints.insert(checkpoint.size, checkpoint.note.clone());
        Ok(())
    }

    fn add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        let mut log = self.store.lock()?;
        let size = log.entries.len() as u64;
        if checkpoint.size > size {
            return Err(StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size });
        }
        log.cosigned.insert(checkpoint.size, checkpoint.note.clone());
        Ok(())
    }
}

/// Shared read access.
#[derive(Debug, Clone)]
pub struct MemoryReader {
    store: MemoryStore,
}

impl LogReader for MemoryReader {
    fn size(&self) -> Result<u64, StoreError> {
        Ok(self.store.lock()?.entries.len() as u64)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        let log = self.store.lock()?;
        let len = log.entries.len();
        let (start, end) = ((start as usize).min(len), (end as usize).min(len));
        Ok(log.entries.get(start..end.max(start)).unwrap_or_default().to_vec())
    }

    fn scan(
        &self,
        start: u64,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // A bounded copy at a time, so that `f` runs without the lock.
        const STEP: u64 = 1_024;
        let mut next = start;
        loop {
            let chunk = self.entries(next, next + STEP)?;
            if chunk.is_empty() {
                return Ok(());
            }
            next += chunk.len() as u64;
            chunk.into_iter().try_for_each(&mut *f)?;
        }
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let log = self.store.lock()?;
        Ok(log
            .checkpoints
            .iter()
            .next_back()
            .map(|(&size, note)| StoredCheckpoint { size, note: note.clone() }))
    }

    fn checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let log = self.store.lock()?;
        let found = log.checkpoints.range(index + 1..).next();
        Ok(found.map(|(&size, note)| StoredCheckpoint { size, note: note.clone() }))
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let log = self.store.lock()?;
        Ok(log.checkpoints.get(&size).map(|note| StoredCheckpoint { size, note: note.clone() }))
    }

    fn latest_cosigned(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let log = self.store.lock()?;
        Ok(log.cosigned.iter().next_back().map(|(&size, note)| StoredCheckpoint { size, note: note.clone() }))
    }

    fn checkpoints_from(
        &self,
        kind: CheckpointKind,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let log = self.store.lock()?;
        let series = match kind {
            CheckpointKind::Signed => &log.checkpoints,
            CheckpointKind::Cosigned => &log.cosigned,
        };
        Ok(series
            .range(from_size..)
            .take(limit)
            .map(|(&size, note)| StoredCheckpoint { size, note: note.clone() })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{self, Harness};

    struct Memory(MemoryStore);

    impl Harness for Memory {
        type Writer = MemoryWriter;
        type Reader = MemoryReader;

        fn open(&mut self) -> (MemoryWriter, MemoryReader) {
            self.0.open()
        }
    }

    #[test]
    fn meets_the_durability_contract() {
        conformance::run_all(&mut Memory(MemoryStore::new()));
    }
}
