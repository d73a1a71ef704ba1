//! The service: everything between an HTTP request and the store.
//!
//! Life of a statement (see ARCHITECTURE.md):
//! 1. [`Service::submit`] parses the envelope, checks sizes, looks up the signers'
//!    keys under a brief read lock, verifies the signatures outside it, and puts
//!    the submission in the bounded pool — or answers `Busy` when the pool is full.
//! 2. The sequencer thread ([`sequencer`]) takes everything waiting (up to a batch
//!    limit), stamps one `sequenced_at`, folds each entry into the state (which may
//!    still reject it), extends the tree, signs a checkpoint, and commits entries
//!    and checkpoint in one durable write. All of that happens under the write
//!    lock, so no reader ever sees an entry that is not yet durable.
//! 3. Only then are receipts sent and events published.
//!
//! If the durable write fails, memory is ahead of disk; the sequencer stops the
//! process rather than serve a state that a restart would not reproduce.

mod access_views;
mod accountability_views;
mod clock;
mod error;
mod export;
mod limits;
mod metrics;
mod paging;
mod queries;
mod receipt;
mod sequencer;

use std::sync::Arc;

use corridor_note::{SignerKey, VerifierKey};
use corridor_state::{EntryContext, State};
use corridor_statement::{parse_entry, Envelope, SignedEnvelope, MAX_ENTRY_BYTES};
use corridor_store::{LogReader, LogWriter, StoreError};
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint, Tree};
use tokio::sync::{broadcast, mpsc, oneshot, RwLock};

pub use access_views::Filter;
pub use accountability_views::DEFAULT_TOLERANCE;
pub use clock::{Clock, SystemClock};
pub use error::{QueryError, StartError, SubmitError};
pub use export::{ExportKind, MAX_EXPORT_ROWS};
pub use limits::Limits;
pub use metrics::{Metrics, MetricsSnapshot, COMMIT_BUCKETS_US};
pub use queries::{EntryView, LogInfo, MessageView};
pub use receipt::Receipt;

/// What readers see: only ever durable data.
#[derive(Debug)]
pub(crate) struct Published {
    pub state: State,
    pub tree: Tree,
    pub checkpoint: SignedCheckpoint,
}

/// An accepted entry, as pushed to subscribers after its batch is durable, with
/// the notices (conflicts, clearance changes) it raised for particular parties.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub index: u64,
    pub kind: String,
    pub issuer: String,
    pub id: String,
    pub notices: Vec<corridor_state::Notice>,
}

/// A submission waiting in the pool.
pub(crate) struct Submission {
    signed: SignedEnvelope,
    reply: oneshot::Sender<Result<Outcome, SubmitError>>,
}

/// How the sequencer settled a submission.
#[derive(Debug)]
pub(crate) enum Outcome {
    Logged(Receipt),
    AlreadyLogged(u64),
}

/// A successful submission: newly logged (HTTP 201) or a resubmission (HTTP 200).
#[derive(Debug, Clone)]
pub enum Submitted {
    Created(Receipt),
    Existing(Receipt),
}

pub(crate) struct Inner {
    published: RwLock<Published>,
    reader: Arc<dyn LogReader>,
    pool: mpsc::Sender<Submission>,
    log_vkey: VerifierKey,
    limits: Limits,
    metrics: Metrics,
    events: broadcast::Sender<Event>,
    /// "Now" for views (waiting clocks, expiry); the sequencer has its own handle.
    clock: Arc<dyn Clock>,
}

/// A handle on the running service; cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("origin", &self.inner.log_vkey.name()).finish()
    }
}

impl Service {
    /// Recovers the log from the store and starts the sequencer.
    ///
    /// Recovery replays every committed entry: it recomputes each leaf hash, folds
    /// the state, rebuilds the tree, and checks that the latest stored checkpoint
    /// is signed by `log_key` and commits to exactly the recomputed tree. So the
    /// first checkpoint after a restart extends every checkpoint published before.
    pub fn start(
        writer: Box<dyn LogWriter>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
    ) -> Result<Self, StartError> {
        let (service, sequencer) = Self::build(writer, reader, log_key, clock, limits)?;
        sequencer::spawn(sequencer)?;
        Ok(service)
    }

    /// Recovers and wires everything, leaving the sequencer to the caller.
    pub(crate) fn build(
        writer: Box<dyn LogWriter>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
    ) -> Result<(Self, sequencer::Sequencer), StartError> {
        let published = recover(reader.as_ref(), &log_key)?;
        let last_at_us = published.state.last_sequenced_at_us();
        let (pool_tx, rx) = mpsc::channel(limits.pool_capacity);
        let (events, _) = broadcast::channel(limits.event_buffer);
        let inner = Arc::new(Inner {
            published: RwLock::new(published),
            reader,
            pool: pool_tx,
            log_vkey: log_key.verifier(),
            limits,
            metrics: Metrics::default(),
            events,
            clock: clock.clone(),
        });
        let inner_weak = Arc::downgrade(&inner);
        let sequencer = sequencer::Sequencer { inner: inner_weak, rx, writer, log_key, clock, last_at_us };
        Ok((Self { inner }, sequencer))
    }

    pub fn log_vkey(&self) -> &VerifierKey {
        &self.inner.log_vkey
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot(self.inner.pool.max_capacity() - self.inner.pool.capacity())
    }

    /// Accepted entries as they become durable.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Submits one DSSE envelope (JSON bytes).
    pub async fn submit(&self, body: &[u8]) -> Result<Submitted, SubmitError> {
        let result = self.submit_inner(body).await;
        self.inner.metrics.count_submission(&result);
        result
    }

    async fn submit_inner(&self, body: &[u8]) -> Result<Submitted, SubmitError> {
        if body.len() > self.inner.limits.max_body_bytes {
            return Err(SubmitError::TooLarge(body.len()));
        }
        let envelope = Envelope::from_json(body)?;
        let entry_len = envelope.entry_len();
        if entry_len > MAX_ENTRY_BYTES {
            return Err(SubmitError::TooLarge(entry_len));
        }
        let signed = SignedEnvelope::from_envelope(envelope)?;
        let keys = {
            let published = self.inner.published.read().await;
            let st = &signed.statement;
            if let Some(rec) = published.state.statement(&st.issuer, &st.id) {
                return self.existing(&published, rec, &signed);
            }
            signed.signers().map(|k| published.state.key_for(k, &signed)).collect::<Vec<_>>()
        };
        let mut keys = keys.into_iter();
        signed.verify(|_| keys.next().flatten())?;
        let (reply, rx) = oneshot::channel();
        self.inner.pool.try_send(Submission { signed, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::Busy,
            mpsc::error::TrySendError::Closed(_) => SubmitError::Stopped,
        })?;
        match rx.await.map_err(|_| SubmitError::Stopped)?? {
            Outcome::Logged(receipt) => Ok(Submitted::Created(receipt)),
            Outcome::AlreadyLogged(index) => Ok(Submitted::Existing(self.receipt(index).await?)),
        }
    }

    /// Settles a submission whose (issuer, id) is already logged.
    fn existing(
        &self,
        published: &Published,
        rec: corridor_state::StatementRecord,
        signed: &SignedEnvelope,
    ) -> Result<Submitted, SubmitError> {
        if rec.envelope_digest != corridor_state::envelope_digest(signed) {
            return Err(SubmitError::Rejected(corridor_state::Rejection::DuplicateId { index: rec.index }));
        }
        Ok(Submitted::Existing(receipt::original(self.inner.reader.as_ref(), &published.tree, rec.index)?))
    }

    /// The receipt an entry was given when it was logged, reproduced exactly.
    pub async fn receipt(&self, index: u64) -> Result<Receipt, QueryError> {
        let published = self.inner.published.read().await;
        receipt::original(self.inner.reader.as_ref(), &published.tree, index)
    }
}

/// Rebuilds the tree and the state from the store (see [`Service::start`]).
fn recover(reader: &dyn LogReader, log_key: &SignerKey) -> Result<Published, StartError> {
    let mut state = State::new();
    let mut tree = Tree::new();
    reader.scan(0, &mut |e| {
        let corrupt = |why: String| StoreError::Corrupt(format!("entry {}: {why}", e.index));
        if leaf_hash(&e.bytes) != e.leaf_hash {
            return Err(corrupt("stored leaf hash does not match the entry".into()));
        }
        let entry = parse_entry(&e.bytes).map_err(|err| corrupt(err.to_string()))?;
        let signed = SignedEnvelope::from_envelope(entry.envelope).map_err(|err| corrupt(err.to_string()))?;
        let ctx = EntryContext { index: e.index, sequenced_at_us: entry.sequenced_at_us, signed: &signed };
        state.apply(ctx).map_err(|err| corrupt(format!("the fold rejects it: {err}")))?;
        tree.push(e.leaf_hash);
        Ok(())
    })?;
    let checkpoint = match reader.latest_checkpoint()? {
        Some(stored) => {
            let signed = SignedCheckpoint::open(&stored.note, &log_key.verifier())
                .map_err(|e| StartError::Checkpoint(e.to_string()))?;
            let cp = &signed.checkpoint;
            if cp.size != tree.size() || Some(cp.root) != tree.root(cp.size).ok() {
                return Err(StartError::Checkpoint(format!(
                    "latest checkpoint (size {}) does not commit to the {} stored entries",
                    cp.size,
                    tree.size()
                )));
            }
            signed
        }
        None if tree.size() == 0 => empty_checkpoint(log_key)?,
        None => return Err(StartError::Checkpoint("entries are stored without a checkpoint".into())),
    };
    Ok(Published { state, tree, checkpoint })
}

fn empty_checkpoint(log_key: &SignerKey) -> Result<SignedCheckpoint, StartError> {
    let cp = Checkpoint { origin: log_key.name().to_owned(), size: 0, root: corridor_tlog::empty_root() };
    SignedCheckpoint::sign(cp, log_key).map_err(|e| StartError::Checkpoint(e.to_string()))
}

#[cfg(test)]
mod tests;
