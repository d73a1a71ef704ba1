//! Counters for `/metrics`. Plain atomics: the hot path pays one relaxed add.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::error::SubmitError;
use crate::Submitted;

/// Upper bounds (µs) of the batch commit-time histogram buckets.
pub const COMMIT_BUCKETS_US: [u64; 10] =
    [500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 500_000, 1_000_000];

#[derive(Debug, Default)]
pub struct Metrics {
    created: AtomicU64,
    existing: AtomicU64,
    rejected: AtomicU64,
    busy: AtomicU64,
    batches: AtomicU64,
    batch_entries: AtomicU64,
    commit_us_sum: AtomicU64,
    commit_buckets: [AtomicU64; COMMIT_BUCKETS_US.len() + 1],
}

/// A consistent-enough copy for rendering.
#[derive(Debug, Clone, Default)]
pub struct MetricsSnapshot {
    pub created: u64,
    pub existing: u64,
    pub rejected: u64,
    pub busy: u64,
    pub batches: u64,
    pub batch_entries: u64,
    pub commit_us_sum: u64,
    /// Cumulative counts per bucket of [`COMMIT_BUCKETS_US`], then +Inf.
    pub commit_buckets: Vec<u64>,
    pub pool_waiting: usize,
}

impl Metrics {
    pub(crate) fn count_submission(&self, r: &Result<Submitted, SubmitError>) {
        let counter = match r {
            Ok(Submitted::Created(_)) => &self.created,
            Ok(Submitted::Existing(_)) => &self.existing,
            Err(SubmitError::Busy) => &self.busy,
            Err(_) => &self.rejected,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_batch(&self, entries: usize, commit_us: u64) {
        self.batches.fetch_add(1, Relaxed);
        self.batch_entries.fetch_add(entries as u64, Relaxed);
        self.commit_us_sum.fetch_add(commit_us, Relaxed);
        let bucket =
            COMMIT_BUCKETS_US.iter().position(|&b| commit_us <= b).unwrap_or(COMMIT_BUCKETS_US.len());
        self.commit_buckets[bucket].fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, pool_waiting: usize) -> MetricsSnapshot {
        let mut running = 0;
        let commit_buckets = self
            .commit_buckets
            .iter()
            .map(|b| {
                running += b.load(Relaxed);
                running
            })
            .collect();
        MetricsSnapshot {
            created: self.created.load(Relaxed),
            existing: self.existing.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            busy: self.busy.load(Relaxed),
            batches: self.batches.load(Relaxed),
            batch_entries: self.batch_entries.load(Relaxed),
            commit_us_sum: self.commit_us_sum.load(Relaxed),
            commit_buckets,
            pool_waiting,
        }
    }
}
