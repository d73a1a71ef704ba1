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
//! If step 2 fails without a crash, memory is ahead of disk: the process exits
//! so that a restart recovers exactly the durable state.

use std::sync::{Arc, Weak};
use std::time::Instant;

use corridor_note::SignerKey;
use corridor_state::{EntryContext, Notice, Rejection};
use corridor_statement::build_entry;
use corridor_store::{LogWriter, NewEntry, StoredCheckpoint};
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint};
use tokio::sync::mpsc;

use crate::error::SubmitError;
use crate::receipt;
use crate::{Clock, Event, Inner, Outcome, Published, Submission};

pub(crate) struct Sequencer {
    pub inner: Weak<Inner>,
    pub rx: mpsc::Receiver<Submission>,
    pub writer: Box<dyn LogWriter>,
    pub log_key: SignerKey,
    pub clock: Arc<dyn Clock>,
    pub last_at_us: i64,
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

impl Sequencer {
    fn run(mut self) {
        let Some(inner) = self.inner.upgrade() else { return };
        let max = inner.limits.batch_max_entries;
        drop(inner);
        let mut batch = Vec::with_capacity(max);
        while let Some(first) = self.rx.blocking_recv() {
            batch.push(first);
            while batch.len() < max {
                match self.rx.try_recv() {
                    Ok(s) => batch.push(s),
                    Err(_) => break,
                }
            }
            let Some(inner) = self.inner.upgrade() else { return };
            self.commit_batch(&inner, std::mem::take(&mut batch));
        }
    }

    /// One sequencing time per batch, never earlier than the last one, in whole
    /// milliseconds (the resolution entries record).
    fn next_time(&mut self) -> i64 {
        let now_ms = self.clock.now_us().div_euclid(1_000) * 1_000;
        self.last_at_us = self.last_at_us.max(now_ms);
        self.last_at_us
    }

    fn commit_batch(&mut self, inner: &Inner, batch: Vec<Submission>) {
        let at_us = self.next_time();
        let mut published = inner.published.blocking_write();
        let start = published.tree.size();
        let mut entries = Vec::with_capacity(batch.len());
        let mut accepted = Vec::with_capacity(batch.len());
        for sub in batch {
            let index = start + entries.len() as u64;
            match fold_one(&mut published, &sub, index, at_us) {
                Ok((entry, notices)) => {
                    entries.push(entry);
                    let st = &sub.signed.statement;
                    let event = Event {
                        index,
                        kind: st.kind.to_string(),
                        issuer: st.issuer.clone(),
                        id: st.id.clone(),
                        notices,
                    };
                    accepted.push(Accepted { reply: sub.reply, index, event });
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
            return;
        }
        let started = Instant::now();
        let stored = match self.durable_commit(&mut published, &entries) {
            Ok(stored) => stored,
            Err(why) => {
                tracing::error!(%why, "durable commit failed; exiting so that restart recovers the durable log");
                std::process::exit(70);
            }
        };
        inner.metrics.record_batch(entries.len(), started.elapsed().as_micros() as u64);
        let receipts: Vec<_> = accepted
            .iter()
            .map(|a| receipt::build(&published.tree, a.index, at_us, stored.size, &stored.note))
            .collect();
        drop(published);
        for (a, r) in accepted.into_iter().zip(receipts) {
            let _ = a.reply.send(r.map(Outcome::Logged).map_err(SubmitError::from));
            let _ = inner.events.send(a.event);
        }
    }

    /// Signs the checkpoint for the extended tree and makes the batch durable.
    fn durable_commit(
        &mut self,
        published: &mut Published,
        entries: &[NewEntry],
    ) -> Result<StoredCheckpoint, String> {
        let size = published.tree.size();
        let root = published.tree.root(size).map_err(|e| e.to_string())?;
        let cp = Checkpoint { origin: self.log_key.name().to_owned(), size, root };
        let signed = SignedCheckpoint::sign(cp, &self.log_key).map_err(|e| e.to_string())?;
        let stored = StoredCheckpoint { size, note: signed.note.clone() };
        self.writer.append(entries, &stored).map_err(|e| e.to_string())?;
        published.checkpoint = signed;
        Ok(stored)
    }
}

/// Folds one submission and extends the tree; on rejection nothing changed.
fn fold_one(
    published: &mut Published,
    sub: &Submission,
    index: u64,
    at_us: i64,
) -> Result<(NewEntry, Vec<Notice>), Rejection> {
    let bytes =
        build_entry(at_us, &sub.signed.envelope).map_err(|e| Rejection::InvalidBody(e.to_string()))?;
    let ctx = EntryContext { index, sequenced_at_us: at_us, signed: &sub.signed };
    let notices = published.state.apply(ctx)?;
    let leaf = leaf_hash(&bytes);
    published.tree.push(leaf);
    Ok((NewEntry { index, leaf_hash: leaf, bytes }, notices))
}
