//! Storage interfaces for the log, and their durability contracts.
//!
//! The log is the only thing stored: entries (the leaves), the signed
//! checkpoint of each committed batch, and the checkpoints witnesses cosigned
//! (the same notes with cosignature lines added). Everything else — the Merkle tree, the
//! state, the indexes — is derived from the entries at startup and kept in memory.
//!
//! # Durability contract
//!
//! [`LogWriter::append`] is the one write. It stores a batch of entries and the
//! checkpoint for the size they reach, atomically and durably:
//! - when it returns `Ok`, the entries and the checkpoint survive a process kill
//!   (SIGKILL) and, as far as the backend's fsync guarantees reach, power loss;
//! - when it returns `Err` or the process dies inside it, after restart either all
//!   of the batch and its checkpoint are there or none of it is;
//! - batches are contiguous: the first entry's index is the current size, or the
//!   call fails with [`StoreError::NotContiguous`] and writes nothing.
//!
//! [`LogWriter::add_cosigned`] stores a cosigned checkpoint for a size already
//! committed, durably when it returns `Ok`; a later one for the same size
//! replaces it (it carries at least the cosignatures that made the quorum).
//! A crash inside it leaves the old one or the new one, never a mix; a lost
//! cosigned checkpoint costs only freshness, since witnesses cosign again.
//!
//! Because a receipt is sent only after `append` returns `Ok`, every acknowledged
//! entry is in the store, and the checkpoint stored with it commits to it.
//!
//! Readers ([`LogReader`]) see only committed batches, never a batch in flight.
//! Reads are bounded: a reader that would have to wait for a connection beyond the
//! backend's limit fails with [`StoreError::Busy`], and the API answers 503.
//!
//! An `Err` from `append` does not say that nothing was written: a backend may
//! commit and then fail to report it (the ambiguous commit). The caller must
//! treat every failed `append` as "maybe durable": send no receipt, and let a
//! restart read back what is there.
//!
//! # Test kit
//!
//! - [`memory`]: an in-memory backend, for tests and benchmarks that do not
//!   measure the disk;
//! - [`faults`]: wrappers that make any backend fail before a commit, after
//!   it (the ambiguous commit), or on a read;
//! - [`conformance`]: the contract as checks, fault cases included, that every
//!   backend runs.

pub mod conformance;
pub mod faults;
pub mod memory;

/// One entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub index: u64,
    pub leaf_hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// An entry read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub index: u64,
    pub leaf_hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// A signed checkpoint as stored: the tree size it commits to and its note text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("batch starts at {got} but the log has {expected} entries")]
    NotContiguous { expected: u64, got: u64 },
    #[error("checkpoint size {checkpoint} does not match the log size {size} after the batch")]
    CheckpointMismatch { checkpoint: u64, size: u64 },
    /// Another writer has taken the log since this one opened it (a shared
    /// database's fencing term, `corridor-store-postgres`): this writer may
    /// never write again, and nothing of the refused call was written.
    #[error("another writer has taken the log (term {current}; this writer held term {held})")]
    Superseded { held: u64, current: u64 },
    #[error("storage is busy; retry later")]
    Busy,
    /// The store cannot be reached (a shared database that is down or
    /// restarting); like `Busy`, a reason to retry later.
    #[error("storage cannot be reached ({0}); retry later")]
    Unreachable(String),
    /// A write failed before its commit was sent: nothing of it was
    /// written (unlike `Backend`, which after a write may hide a commit).
    #[error("nothing was written: {0}")]
    NotWritten(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Backend(String),
}

/// The single writer of a log. At most one can write a log at a time: a
/// backend shared by several processes fences every writer but the latest
/// ([`StoreError::Superseded`]).
pub trait LogWriter: Send {
    /// Appends `entries` and `checkpoint` atomically and durably (see the crate docs).
    fn append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError>;

    /// Stores `checkpoint`, a note carrying witness cosignatures, as the
    /// cosigned checkpoint of its size. The size must be one the log has
    /// reached ([`StoreError::CheckpointMismatch`] otherwise, nothing written).
    fn add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError>;

    /// Extends the writer's lease on a shared log ([`Elector`]), so that no
    /// other node campaigns while this one is alive and idle; fails with
    /// [`StoreError::Superseded`] once another writer holds the log. A
    /// store with one process (SQLite) has no lease: `Ok` always.
    fn renew(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The fencing term this writer holds (0 where the store has none).
    fn term(&self) -> u64 {
        0
    }

    /// Gives up the lease now, before shutting down, so that another node
    /// can be elected at once rather than when it runs out; what was
    /// committed stays. `Ok` where the store has no lease.
    fn resign(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Who holds a shared log's lease, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    /// The fencing term of the latest writer.
    pub term: u64,
    /// What that writer's node calls itself (its advertised URL).
    pub holder: String,
    /// Which run of that node took the lease.
    pub instance: String,
    /// Whether its lease has not yet run out (on the store's clock).
    pub live: bool,
}

/// A node's part in electing the one writer of a log several nodes share
/// (`corridor-store-postgres`).
///
/// # Contract
///
/// - [`Elector::campaign`] returns a writer only when no other node holds a
///   live lease; that writer holds a term greater than every earlier one, so
///   every earlier writer is fenced from then on ([`StoreError::Superseded`]),
///   and no append of an earlier term can commit after `campaign` returns.
///   The log's size as the new writer sees it is therefore final for every
///   earlier term.
/// - The lease runs on the store's clock, never a node's: a node that pauses
///   past its lease (a stopped process, a long collection) loses it without
///   knowing, and its next write is refused.
pub trait Elector: Send {
    /// Becomes the writer if the lease is free (or already this run's,
    /// held before a lost connection); `None` when another node holds it.
    fn campaign(&mut self) -> Result<Option<Box<dyn LogWriter>>, StoreError>;

    /// Who leads now.
    fn leadership(&mut self) -> Result<Leadership, StoreError>;

    /// Blocks for at most `timeout`, returning early when the log may have
    /// grown (a notification from the writer). Polling after the timeout is
    /// the backstop for a notification lost with a connection.
    fn wait(&mut self, timeout: std::time::Duration) -> Result<(), StoreError>;
}

/// Which of the two checkpoint series a read is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointKind {
    /// Signed by the log at each batch.
    Signed,
    /// Those stored by [`LogWriter::add_cosigned`].
    Cosigned,
}

/// Read access to committed data. Cheap to clone; safe to share across threads.
pub trait LogReader: Send + Sync {
    /// The number of committed entries.
    fn size(&self) -> Result<u64, StoreError>;

    /// Entries `[start, end)`, in order; fewer if the log is shorter.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError>;

    /// The leaf hashes of entries `[start, end)`, in order; fewer if the log
    /// is shorter. Recovery from a snapshot rebuilds the Merkle tree from
    /// them without reading (or hashing) the entries themselves.
    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        Ok(self.entries(start, end)?.into_iter().map(|e| e.leaf_hash).collect())
    }

    /// Calls `f` on every entry from `start` on, in order, without holding them all in memory.
    fn scan(
        &self,
        start: u64,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The latest checkpoint, if any batch was committed.
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// The first checkpoint that covers entry `index` (its size is greater than `index`):
    /// the one that was returned in the entry's receipt.
    fn checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// The checkpoint stored for exactly `size`, if any.
    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// The latest cosigned checkpoint, if any.
    fn latest_cosigned(&self) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Up to `limit` checkpoints of `kind` whose size is at least `from_size`,
    /// by increasing size. The first cosigned one covering entry `i` is
    /// `checkpoints_from(Cosigned, i + 1, 1)`.
    fn checkpoints_from(
        &self,
        kind: CheckpointKind,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError>;
}
