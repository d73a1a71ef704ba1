//! The sequencer: the one thread that writes the log.
//!
//! Group commit: it blocks for the first waiting submission, then takes whatever
//! else is already waiting (up to the batch limit) and commits them together, so
//! one fsync serves the whole batch. Under load, batches grow while the previous
//! one is being fsynced; when idle, a lone submission is committed at once.
//!
//! Crash narrative, step by step, for one batch:
//! 1. fold + tree extension + checkpoint signing happen in memory, under the
//!    write lock; a crash here loses nothing acknowledged (nothing is yet).
//! 2. `append` commits entries and checkpoint in one transaction; a crash before
//!    it returns leaves both or neither on disk, and no receipt was sent.
//! 3. the lock is released and receipts go out; a crash after this point finds
//!    the batch on disk at restart, and recovery re-derives the same tree, state
//!    and checkpoint from it.
//!
//! If step 2 fails without a crash, memory is ahead of disk, and whether the
//! batch reached the disk is unknown (the store may have committed and then
//! failed to say so). The sequencer then marks the published data failed
//! before releasing the lock, so no reader sees it; answers the batch's
//! submitters `unavailable` (no receipt: they retry, and a retry after the
//! restart gets the original receipt if the batch was durable after all);
//! stops taking submissions; and reports a [`FatalError`] that the binary
//! turns into an exit. It never exits the process itself.

use std::sync::{Arc, Weak};

use corridor_note::SignerKey;
use corridor_state::{LoggedEntry, Notice, Rejection};
use corridor_statement::build_entry;
use corridor_store::{LogWriter, NewEntry, StoredCheckpoint};
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint};
use tokio::sync::mpsc;

use crate::clock::Stopwatch;
use crate::error::QueryError;
use crate::error::{FatalError, SubmitError};
use crate::receipt;
use crate::{Clock, Event, Inner, Outcome, Published, Submission, Work};

pub(crate) struct Sequencer {
    pub inner: Weak<Inner>,
    pub rx: mpsc::Receiver<Work>,
    pub writer: Box<dyn LogWriter>,
    pub log_key: SignerKey,
    pub clock: Arc<dyn Clock>,
    pub last_at_us: i64,
    /// How long the writer may sit idle before renewing its lease (a
    /// cluster's leader, [`crate::node`]); `None` where the store has no lease.
    pub renew_every: Option<std::time::Duration>,
}

pub(crate) fn spawn(seq: Sequencer) -> std::io::Result<()> {
    std::thread::Builder::new().name("sequencer".into()).spawn(move || seq.run())?;
    Ok(())
}

/// A submission the fold accepted, waiting for the durable commit.
struct Accepted {
    reply: tokio::sync::oneshot::Sender<Result<Outcome, SubmitError>>,
    index: u64,
    event: Event,
}

/// What the sequencer waited for.
enum Next {
    Work(Work),
    /// The writer was idle for `renew_every`: time to renew the lease.
    Idle,
    /// Every handle on the service is gone.
    Closed,
}

impl Sequencer {
    /// The single node's loop: sequences until a commit fails, then stops
    /// for good and reports why.
    fn run(mut self) {
        let Some(fatal) = self.lead() else { return };
        let Some(inner) = self.inner.upgrade() else { return };
        // Whoever is still waiting in the pool is told to retry.
        self.rx.close();
        refuse_waiting(&mut self.rx);
        inner.fatal.send_replace(Some(fatal));
    }

    /// Sequences until a commit or a lease renewal fails (`Some`: memory
    /// may be ahead of the store, and the published data is marked failed),
    /// or the service is dropped (`None`). Waiting work is left in `rx`.
    pub(crate) fn lead(&mut self) -> Option<FatalError> {
        let max = self.inner.upgrade()?.limits.batch_max_entries;
        let timer = match self.renew_every {
            Some(_) => Some(tokio::runtime::Builder::new_current_thread().enable_time().build().ok()?),
            None => None,
        };
        let mut batch = Vec::with_capacity(max);
        let mut cosigned = Vec::new();
        loop {
            let first = match self.next(timer.as_ref()) {
                Next::Closed => return None,
                Next::Idle
                    if self
                        .inner
                        .upgrade()
                        .is_some_and(|i| i.resigning.load(std::sync::atomic::Ordering::SeqCst)) =>
                {
                    let inner = self.inner.upgrade()?;
                    return self.resign_if_asked(&inner);
                }
                Next::Idle => match self.writer.renew() {
                    Err(e @ corridor_store::StoreError::Superseded { .. }) => {
                        return Some(FatalError::Superseded(e));
                    }
                    // Unreachable for now: the next renewal or append
                    // tells whether the lease survived.
                    Err(e) => {
                        tracing::warn!(error = %e, "could not renew the lease");
                        continue;
                    }
                    Ok(()) => continue,
                },
                Next::Work(w) => w,
            };
            sort_work(first, &mut batch, &mut cosigned);
            while batch.len() < max {
                match self.rx.try_recv() {
                    Ok(w) => sort_work(w, &mut batch, &mut cosigned),
                    Err(_) => break,
                }
            }
            let inner = self.inner.upgrade()?;
            let committed =
                if batch.is_empty() { Ok(()) } else { self.commit_batch(&inner, std::mem::take(&mut batch)) };
            if let Err(fatal) = committed {
                tracing::error!(%fatal, "the sequencer stops; the durable log is recovered from the store");
                for (_, reply) in cosigned.drain(..) {
                    let _ = reply.send(Err(QueryError::Unavailable));
                }
                return Some(fatal);
            }
            for (checkpoint, reply) in cosigned.drain(..) {
                let _ = reply.send(self.store_cosigned(&inner, checkpoint));
            }
            if let Some(resigned) = self.resign_if_asked(&inner) {
                return Some(resigned);
            }
        }
    }

    /// A cluster's leader asked to resign gives up its lease (what it
    /// committed stays; memory matches the store).
    fn resign_if_asked(&mut self, inner: &Inner) -> Option<FatalError> {
        if self.renew_every.is_none() || !inner.resigning.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        if let Err(e) = self.writer.resign() {
            tracing::warn!(error = %e, "could not give up the lease; it runs out instead");
        }
        Some(FatalError::Resigned)
    }

    /// The next piece of work, or `Idle` once `renew_every` passed without any.
    fn next(&mut self, timer: Option<&tokio::runtime::Runtime>) -> Next {
        let (Some(timer), Some(every)) = (timer, self.renew_every) else {
            return self.rx.blocking_recv().map_or(Next::Closed, Next::Work);
        };
        // The timer must be made inside the runtime that drives it.
        match timer.block_on(async { tokio::time::timeout(every, self.rx.recv()).await }) {
            Ok(Some(w)) => Next::Work(w),
            Ok(None) => Next::Closed,
            Err(_) => Next::Idle,
        }
    }

    /// Stores a cosigned checkpoint, then serves it if it is the newest. Not
    /// fatal when it fails: memory still matches disk (the served one is
    /// replaced only after the write), and whether or not the write landed,
    /// what is stored is a valid cosigned checkpoint.
    ///
    /// The write (an fsync) runs without the lock: this thread is the only
    /// one that changes `Published`, so nothing can change under it, and
    /// readers are held only for the assignment.
    fn store_cosigned(&mut self, inner: &Inner, checkpoint: StoredCheckpoint) -> Result<(), QueryError> {
        if inner.published.blocking_read().failed {
            return Err(QueryError::Unavailable);
        }
        self.writer.add_cosigned(&checkpoint)?;
        let mut published = inner.published.blocking_write();
        if published.cosigned.as_ref().is_none_or(|c| c.size < checkpoint.size) {
            published.cosigned = Some(checkpoint);
        }
        Ok(())
    }

    /// One sequencing time per batch, never earlier than the last one, in whole
    /// milliseconds (the resolution entries record).
    fn next_time(&mut self) -> i64 {
        let now_ms = self.clock.now_us().div_euclid(1_000) * 1_000;
        self.last_at_us = self.last_at_us.max(now_ms);
        self.last_at_us
    }

    fn commit_batch(&mut self, inner: &Inner, batch: Vec<Submission>) -> Result<(), FatalError> {
        let at_us = self.next_time();
        let began = Stopwatch::start();
        let mut published = inner.published.blocking_write();
        let locked_us = began.elapsed_us();
        let start = published.tree.size();
        let mut entries = Vec::with_capacity(batch.len());
        let mut accepted = Vec::with_capacity(batch.len());
        for sub in batch {
            let index = start + entries.len() as u64;
            let event = Event {
                index,
                kind: sub.signed.statement.kind,
                issuer: sub.signed.statement.issuer().to_owned(),
                id: sub.signed.statement.id().to_owned(),
                notices: vec![],
            };
            match fold_one(&mut published, sub.signed, &sub.canonical, index, at_us) {
                Ok((entry, notices)) => {
                    entries.push(entry);
                    accepted.push(Accepted { reply: sub.reply, index, event: Event { notices, ..event } });
                }
                Err(Rejection::Resubmission { index }) => {
                    let _ = sub.reply.send(Ok(Outcome::AlreadyLogged(index)));
                }
                Err(r) => {
                    let _ = sub.reply.send(Err(SubmitError::Rejected(r)));
                }
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let folded_us = began.elapsed_us() - locked_us;
        let stopwatch = Stopwatch::start();
        let stored = match self.durable_commit(&mut published, &entries) {
            Ok(stored) => stored,
            Err(fatal) => {
                published.failed = true;
                drop(published);
                for a in accepted {
                    let _ = a.reply.send(Err(SubmitError::Stopped));
                }
                return Err(fatal);
            }
        };
        let commit_us = stopwatch.elapsed_us();
        inner.metrics.record_batch(entries.len(), commit_us);
        if began.elapsed_us() > SLOW_BATCH_US {
            // What held every receipt of this batch: waiting for readers to
            // let go of the state, the fold, or the store's commit.
            tracing::warn!(
                entries = entries.len(),
                lock_wait_ms = locked_us as f64 / 1e3,
                fold_ms = folded_us as f64 / 1e3,
                commit_ms = commit_us as f64 / 1e3,
                "slow batch"
            );
        }
        let receipts: Vec<_> = accepted
            .iter()
            .map(|a| receipt::build(&published.tree, a.index, at_us, stored.size, &stored.note))
            .collect();
        drop(published);
        inner.served.send_replace(stored.size);
        for (a, r) in accepted.into_iter().zip(receipts) {
            let _ = a.reply.send(r.map(Outcome::Logged).map_err(SubmitError::from));
            let _ = inner.events.send(a.event);
        }
        Ok(())
    }

    /// Signs the checkpoint for the extended tree and makes the batch durable.
    fn durable_commit(
        &mut self,
        published: &mut Published,
        entries: &[NewEntry],
    ) -> Result<StoredCheckpoint, FatalError> {
        let size = published.tree.size();
        let root = published.tree.root(size).map_err(|e| FatalError::Checkpoint(e.to_string()))?;
        let cp = Checkpoint { origin: self.log_key.name().to_owned(), size, root };
        let signed =
            SignedCheckpoint::sign(cp, &self.log_key).map_err(|e| FatalError::Checkpoint(e.to_string()))?;
        let stored = StoredCheckpoint { size, note: signed.note.clone() };
        self.writer.append(entries, &stored).map_err(FatalError::from_append)?;
        published.checkpoint = signed;
        Ok(stored)
    }
}

/// A batch slower than this is logged with where its time went.
const SLOW_BATCH_US: u64 = 50_000;

/// Answers everything waiting in the pool: retry (elsewhere, or later).
pub(crate) fn refuse_waiting(rx: &mut mpsc::Receiver<Work>) {
    while let Ok(w) = rx.try_recv() {
        match w {
            Work::Submit(s) => drop(s.reply.send(Err(SubmitError::Stopped))),
            Work::Cosigned { reply, .. } => drop(reply.send(Err(QueryError::Unavailable))),
            Work::Wake => {}
        }
    }
}

/// Puts one piece of work on its list.
type CosignedWork = (StoredCheckpoint, tokio::sync::oneshot::Sender<Result<(), QueryError>>);
fn sort_work(work: Work, batch: &mut Vec<Submission>, cosigned: &mut Vec<CosignedWork>) {
    match work {
        Work::Submit(s) => batch.push(s),
        Work::Cosigned { checkpoint, reply } => cosigned.push((checkpoint, reply)),
        Work::Wake => {}
    }
}

/// Admits and folds one submission and extends the tree; on rejection
/// nothing changed.
fn fold_one(
    published: &mut Published,
    signed: corridor_statement::SignedEnvelope,
    canonical: &corridor_statement::CanonicalEnvelope,
    index: u64,
    at_us: i64,
) -> Result<(NewEntry, Vec<Notice>), Rejection> {
    let bytes = build_entry(at_us, canonical).map_err(|e| Rejection::InvalidBody(e.to_string()))?;
    published.state.admit(&signed.statement)?;
    let notices = published.state.apply(LoggedEntry { index, sequenced_at_us: at_us, signed })?;
    let leaf = leaf_hash(&bytes);
    published.tree.push(leaf);
    Ok((NewEntry { index, leaf_hash: leaf, bytes }, notices))
}
