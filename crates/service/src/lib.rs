//! The service: everything between an HTTP request and the store.
//!
//! Life of a statement (see ARCHITECTURE.md):
//! 1. [`Service::submit`] parses the envelope once (statement, geometry,
//!    references, canonical JSON), checks sizes, looks up the signers' keys
//!    under a brief read lock, verifies the signatures outside it, and puts
//!    the submission in the bounded pool — or answers `Busy` when the pool is full.
//! 2. The sequencer thread ([`sequencer`]) takes everything waiting (up to a batch
//!    limit), stamps one `sequenced_at`, folds each entry into the state (which may
//!    still reject it), extends the tree, signs a checkpoint, and commits entries
//!    and checkpoint in one durable write. All of that happens under the write
//!    lock, so no reader ever sees an entry that is not yet durable.
//! 3. Only then are receipts sent and events published.
//!
//! If the durable write fails, memory is ahead of disk: the sequencer marks
//! the service failed (every later request is refused as unavailable, so no
//! reader sees what a restart would not reproduce), stops, and reports the
//! failure through [`Service::failed`]; the binary then exits, and a restart
//! recovers exactly the durable log. A cluster node ([`Service::start_node`],
//! `node.rs`) does the same recovery in place instead: it rebuilds from the
//! store and follows the log.
//!
//! Reads go through [`Service::read`], which lends the published state to a
//! closure under the read lock; the views ([`View`]) answer with borrowed
//! domain records, and the API presents them.

mod access_views;
mod accountability_views;
mod clock;
mod cosigned;
mod error;
mod limits;
mod metrics;
mod node;
mod paging;
mod queries;
mod receipt;
pub mod replay;
mod sequencer;
pub mod snapshot;

use std::sync::Arc;

use corridor_note::{SignerKey, VerifierKey};
use corridor_state::State;
use corridor_statement::{CanonicalEnvelope, SignedEnvelope};
use corridor_store::{Elector, LogReader, LogWriter};
use corridor_tlog::{Checkpoint, SignedCheckpoint, Tree};
use tokio::sync::{broadcast, mpsc, oneshot, watch, RwLock};

pub use access_views::{Filter, MAX_EXPORT_ROWS};
pub use accountability_views::{ConsignmentView, IncidentPage, ItemShares, RoundShares, DEFAULT_TOLERANCE};
pub use clock::{Clock, Stopwatch, SystemClock};
pub use cosigned::{CosignBoard, WitnessStatus};
pub use error::{FatalError, QueryError, StartError, SubmitError};
pub use limits::Limits;
pub use metrics::{Metrics, MetricsSnapshot, COMMIT_BUCKETS_US};
pub use node::{NodeConfig, NodeStatus, Role};
pub use paging::Page;
pub use queries::{EntryView, LogInfo};
pub use receipt::Receipt;
pub use snapshot::{SnapshotPolicy, Snapshots};

/// The longest [`Service::start_node`] waits for the node's first role.
const FIRST_ROLE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What readers see: only ever durable data.
#[derive(Debug)]
pub(crate) struct Published {
    pub state: State,
    pub tree: Tree,
    pub checkpoint: SignedCheckpoint,
    /// The latest checkpoint witnesses cosigned to the quorum, stored.
    pub cosigned: Option<corridor_store::StoredCheckpoint>,
    /// Set when a durable commit failed: memory may be ahead of disk, so
    /// nothing here may be shown again.
    pub failed: bool,
}

/// A read of the published state, lent to a closure by [`Service::read`].
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub state: &'a State,
    /// "Now", from the service's clock, for views that depend on it (waiting
    /// clocks, expiry).
    pub now_us: i64,
    pub limits: &'a Limits,
}

/// An accepted entry, as pushed to subscribers after its batch is durable, with
/// the notices (conflicts, clearance changes) it raised for particular parties.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub index: u64,
    pub kind: corridor_statement::StatementType,
    pub issuer: String,
    pub id: String,
    pub notices: Vec<corridor_state::Notice>,
}

/// A submission waiting in the pool: parsed, signatures verified.
pub(crate) struct Submission {
    signed: SignedEnvelope,
    canonical: CanonicalEnvelope,
    reply: oneshot::Sender<Result<Outcome, SubmitError>>,
}

/// What the sequencer thread is asked to do: sequence a submission, or store
/// a cosigned checkpoint (it is the only writer of the store).
pub(crate) enum Work {
    Submit(Submission),
    /// Nothing to do but look at the service's flags (resigning).
    Wake,
    Cosigned {
        checkpoint: corridor_store::StoredCheckpoint,
        reply: oneshot::Sender<Result<(), QueryError>>,
    },
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
    pool: mpsc::Sender<Work>,
    log_vkey: VerifierKey,
    limits: Limits,
    metrics: Metrics,
    events: broadcast::Sender<Event>,
    /// "Now" for views (waiting clocks, expiry); the sequencer has its own handle.
    clock: Arc<dyn Clock>,
    /// The sequencer's fatal error, once it has stopped.
    fatal: watch::Sender<Option<FatalError>>,
    /// The witnesses and what each last did, when the log collects cosignatures.
    witnesses: std::sync::Mutex<Option<CosignBoard>>,
    /// This node's part in a cluster (role, term, leader, lag).
    node: std::sync::Mutex<NodeStatus>,
    /// The published size, for whoever waits for an entry to be served
    /// here ([`Service::until_served`]).
    served: watch::Sender<u64>,
    /// Counts rebuilds from the store, and a single node's resignation,
    /// after each of which open event streams end ([`Service::stream_resets`]).
    resets: watch::Sender<u64>,
    /// Set by [`Service::resign`]: the node gives up leading and never
    /// campaigns again.
    resigning: std::sync::atomic::AtomicBool,
    /// Where snapshots are kept and when they are made; recovery and a
    /// node's rebuild start from the latest usable one.
    snapshots: Option<SnapshotPolicy>,
    /// The size of the snapshot recovery started from (0: none, or none
    /// usable): the next one is counted from it, not from a file that
    /// recovery refused.
    recovered_from: u64,
    /// The last state digest served, with the size and root of the log it
    /// is of ([`Service::state_digest_at`]).
    digest_kept: std::sync::Mutex<Option<KeptDigest>>,
    /// Verifies submissions' signatures, with comb tables for the keys that
    /// sign most (bounded; same verdicts as strict verification).
    verifiers: corridor_note::prepared::Verifiers,
    /// Held while a state digest is taken: one at a time, as each holds the
    /// published state's read lock (and so the sequencer) for its length.
    digesting: tokio::sync::Mutex<()>,
}

/// A state digest with the size and root of the log it was taken of.
type KeptDigest = ((u64, corridor_tlog::Hash), [u8; 32]);

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
    /// Recovers the log from the store ([`replay::recover`]) and starts the sequencer.
    pub fn start(
        writer: Box<dyn LogWriter>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
    ) -> Result<Self, StartError> {
        Self::start_with(writer, reader, log_key, clock, limits, None)
    }

    /// [`Service::start`], recovering from the latest usable snapshot in
    /// `snapshots` (if any) and making snapshots in the background by its
    /// policy ([`snapshot`]).
    pub fn start_with(
        writer: Box<dyn LogWriter>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
        snapshots: Option<SnapshotPolicy>,
    ) -> Result<Self, StartError> {
        let (service, sequencer) = Self::build(writer, reader, log_key, clock, limits, snapshots)?;
        sequencer::spawn(sequencer)?;
        service.spawn_snapshots()?;
        Ok(service)
    }

    fn spawn_snapshots(&self) -> Result<(), StartError> {
        match self.inner.snapshots.clone() {
            Some(policy) => Ok(snapshot::spawn(Arc::downgrade(&self.inner), policy)?),
            None => Ok(()),
        }
    }

    /// Recovers from `reader`, then runs as one node of a cluster sharing
    /// the store ([`node`]): it follows the log until `elector` makes it
    /// the writer, sequences until another node supersedes it, and follows
    /// again. Recovery is the same as [`Service::start`]'s.
    pub fn start_node(
        elector: Box<dyn Elector>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
        config: NodeConfig,
    ) -> Result<Self, StartError> {
        let snapshots = config.snapshots.clone();
        let (service, rx, _) = Self::wire(reader, &log_key, clock.clone(), limits, snapshots)?;
        let instance = config.instance.clone();
        service.set_status(NodeStatus { role: Role::Follower, instance, ..NodeStatus::default() });
        let (ready, first_role) = std::sync::mpsc::sync_channel(1);
        let inner = Arc::downgrade(&service.inner);
        let node = node::Node { inner, rx, elector, log_key, clock, config, ready: Some(ready) };
        node::spawn(node)?;
        // Answer only once the node knows whether it leads or whom it
        // follows: a client of a fresh node would otherwise be refused.
        // Each step of the first round is bounded by the store's timeouts.
        let _ = first_role.recv_timeout(FIRST_ROLE_WAIT);
        service.spawn_snapshots()?;
        Ok(service)
    }

    /// Recovers and wires everything, leaving the sequencer to the caller.
    pub(crate) fn build(
        writer: Box<dyn LogWriter>,
        reader: Arc<dyn LogReader>,
        log_key: SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
        snapshots: Option<SnapshotPolicy>,
    ) -> Result<(Self, sequencer::Sequencer), StartError> {
        let (service, rx, last_at_us) = Self::wire(reader, &log_key, clock.clone(), limits, snapshots)?;
        let term = writer.term();
        service.set_status(NodeStatus { role: Role::Single, term, ..NodeStatus::default() });
        let inner = Arc::downgrade(&service.inner);
        let sequencer =
            sequencer::Sequencer { inner, rx, writer, log_key, clock, last_at_us, renew_every: None };
        Ok((service, sequencer))
    }

    /// Recovers the published state from `reader` and builds the service
    /// around it; returns the pool's receiving end for whoever sequences,
    /// and the last sequencing time.
    fn wire(
        reader: Arc<dyn LogReader>,
        log_key: &SignerKey,
        clock: Arc<dyn Clock>,
        limits: Limits,
        snapshots: Option<SnapshotPolicy>,
    ) -> Result<(Self, mpsc::Receiver<Work>, i64), StartError> {
        let dir = snapshots.as_ref().map(SnapshotPolicy::snapshots);
        let (published, recovered_from) = recover_published(reader.as_ref(), log_key, dir.as_ref())?;
        let last_at_us = published.state.last_sequenced_at_us();
        let served = watch::channel(published.tree.size()).0;
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
            clock,
            fatal: watch::channel(None).0,
            witnesses: std::sync::Mutex::new(None),
            node: std::sync::Mutex::new(NodeStatus::default()),
            served,
            resets: watch::channel(0).0,
            resigning: std::sync::atomic::AtomicBool::new(false),
            snapshots,
            recovered_from: recovered_from.unwrap_or(0),
            digest_kept: std::sync::Mutex::new(None),
            verifiers: corridor_note::prepared::Verifiers::new(),
            digesting: tokio::sync::Mutex::new(()),
        });
        Ok((Self { inner }, rx, last_at_us))
    }

    /// Waits until this node serves entry `index` (a follower that
    /// forwarded its submission, answering only once its client can read
    /// the entry back here); gives up after `timeout`. Whether it is served.
    pub async fn until_served(&self, index: u64, timeout: std::time::Duration) -> bool {
        let mut served = self.inner.served.subscribe();
        let reached = tokio::time::timeout(timeout, served.wait_for(|size| *size > index)).await;
        matches!(reached, Ok(Ok(_)))
    }

    /// Changes whenever open event streams should end, their clients to
    /// reconnect and re-read: the node replaced its state by a rebuild from
    /// the store (skipping events for the entries it took up that way), or
    /// a single node is shutting down ([`Service::resign`]).
    pub fn stream_resets(&self) -> watch::Receiver<u64> {
        self.inner.resets.subscribe()
    }

    /// Before the service shuts down. A single node ends its open event
    /// streams at once (an idle one would otherwise hold the shutdown for
    /// the whole grace period). A cluster node gives up the lease at once
    /// (so another node leads within a poll interval, not a lease), stops
    /// sequencing, and never campaigns again; it goes on serving reads,
    /// streams included, while its connections drain, which leaves its
    /// thread the time to hand the lease over.
    pub fn resign(&self) {
        self.inner.resigning.store(true, std::sync::atomic::Ordering::SeqCst);
        if self.node_status().role == Role::Single {
            self.inner.resets.send_modify(|n| *n += 1);
        }
        // Wakes a leader waiting for work; a full pool wakes it anyway.
        let _ = self.inner.pool.try_send(Work::Wake);
    }

    /// This node's role, term, leader and lag.
    pub fn node_status(&self) -> NodeStatus {
        self.inner.node.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set_status(&self, status: NodeStatus) {
        if let Ok(mut s) = self.inner.node.lock() {
            *s = status;
        }
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

    /// Resolves when the sequencer has stopped on a fatal error (a durable
    /// commit failed): the process should then exit, and its restart recover
    /// the durable log. Never resolves otherwise.
    pub async fn failed(&self) -> FatalError {
        let mut rx = self.inner.fatal.subscribe();
        loop {
            if let Some(e) = rx.borrow_and_update().clone() {
                return e;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Lends the published state to `f`, under the read lock; refused once
    /// the service has failed.
    pub async fn read<T>(&self, f: impl FnOnce(View<'_>) -> T) -> Result<T, QueryError> {
        let now_us = self.inner.clock.now_us();
        let published = self.published().await?;
        Ok(f(View { state: &published.state, now_us, limits: &self.inner.limits }))
    }

    /// The published data, unless the service has failed.
    async fn published(&self) -> Result<tokio::sync::RwLockReadGuard<'_, Published>, QueryError> {
        let published = self.inner.published.read().await;
        if published.failed {
            return Err(QueryError::Unavailable);
        }
        Ok(published)
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
        let (signed, canonical) = SignedEnvelope::from_json(body)?;
        let keys = {
            let published = self.published().await?;
            if let Some(rec) = published.state.statement(&signed.statement.reference) {
                return self.existing(&published, rec, &signed);
            }
            signed.signers().map(|k| published.state.key_for(k, &signed)).collect::<Vec<_>>()
        };
        let mut keys = keys.into_iter();
        signed.verify_with(&self.inner.verifiers, |_| keys.next().flatten())?;
        let (reply, rx) = oneshot::channel();
        self.inner.pool.try_send(Work::Submit(Submission { signed, canonical, reply })).map_err(
            |e| match e {
                mpsc::error::TrySendError::Full(_) => SubmitError::Busy,
                mpsc::error::TrySendError::Closed(_) => SubmitError::Stopped,
            },
        )?;
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
        if rec.envelope_digest != signed.digest {
            return Err(SubmitError::Rejected(corridor_state::Rejection::DuplicateId { index: rec.index }));
        }
        Ok(Submitted::Existing(receipt::original(self.inner.reader.as_ref(), &published.tree, rec.index)?))
    }

    /// The receipt an entry was given when it was logged, reproduced exactly.
    pub async fn receipt(&self, index: u64) -> Result<Receipt, QueryError> {
        let published = self.published().await?;
        receipt::original(self.inner.reader.as_ref(), &published.tree, index)
    }
}

/// What recovery rebuilds from the store, ready to publish, and the size
/// of the snapshot it started from, if any.
pub(crate) fn recover_published(
    reader: &dyn LogReader,
    log_key: &SignerKey,
    snapshots: Option<&Snapshots>,
) -> Result<(Published, Option<u64>), StartError> {
    let recovered = replay::recover(reader, &log_key.verifier(), snapshots)?;
    let checkpoint = match recovered.checkpoint {
        Some(cp) => cp,
        None => empty_checkpoint(log_key)?,
    };
    let published = Published {
        state: recovered.state,
        tree: recovered.tree,
        checkpoint,
        cosigned: recovered.cosigned,
        failed: false,
    };
    Ok((published, recovered.from_snapshot))
}

fn empty_checkpoint(log_key: &SignerKey) -> Result<SignedCheckpoint, StartError> {
    let cp = Checkpoint { origin: log_key.name().to_owned(), size: 0, root: corridor_tlog::empty_root() };
    SignedCheckpoint::sign(cp, log_key).map_err(|e| StartError::Checkpoint(e.to_string()))
}

#[cfg(test)]
mod tests;
