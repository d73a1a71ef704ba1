//! A node of a cluster: one of several `corridor serve` processes over one
//! shared store (PostgreSQL), of which one at a time writes the log.
//!
//! The node's thread alternates between two roles.
//!
//! - **Follower.** It waits for news of the log ([`Elector::wait`]: the
//!   writer's commit notifies, and the poll interval is the backstop), reads
//!   the entries the store holds beyond its own size, folds them and extends
//!   the tree exactly as recovery would, checks that the store's checkpoint
//!   for the new size is signed by the log key and commits to the extended
//!   tree, and only then publishes them, under the write lock. A follower
//!   therefore serves, at each size, the entries, tree, checkpoint and state
//!   the leader served at that size. When no live lease is held, it
//!   campaigns.
//! - **Leader.** Once elected, it catches up first: holding the new term,
//!   no other writer can extend the log ([`Elector`]'s contract), so what it
//!   reads is final. Then it runs the [`Sequencer`] with the writer the
//!   election gave it, renewing the lease whenever it is idle (every append
//!   renews it too).
//!
//! **Stepping down.** When a commit or a renewal fails — another node took
//! the log while this one was paused or cut off, or the commit's outcome is
//! unknown — memory may be ahead of the store. The sequencer has already
//! marked the published data failed (reads answer 503, so nobody sees what
//! the store may not hold) and sent no receipt. The node then rebuilds
//! from the store, exactly as a restart would, and follows again. Whatever
//! the store holds is what it serves: a batch that did commit is there, with
//! its receipts reproducible; one that did not is gone, and its clients,
//! who got no receipt, retry. Submissions waiting in the pool are answered
//! `unavailable`; the API forwards new ones to the leader.

use std::sync::{Arc, Weak};
use std::time::Duration;

use corridor_note::{SignerKey, VerifierKey};
use corridor_state::LoggedEntry;
use corridor_statement::{parse_entry, LogEntry};
use corridor_store::{CheckpointKind, Elector, LogWriter, StoreError, StoredCheckpoint};
use corridor_tlog::{leaf_hash, Hash};
use tokio::sync::mpsc;

use crate::error::FatalError;
use crate::sequencer::{refuse_waiting, Sequencer};
use crate::{recover_published, replay, Clock, Event, Inner, Published, SnapshotPolicy, Work};

/// How a node follows, campaigns and holds the lease.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// What this node calls itself in the election: its advertised URL,
    /// where the other nodes forward submissions while it leads.
    pub holder: String,
    /// A random name for this run of the node ([`NodeStatus::instance`]).
    pub instance: String,
    /// The longest a follower waits for a notification before it looks at
    /// the store anyway.
    pub poll: Duration,
    /// How long the leader may sit idle before it renews its lease; well
    /// under the lease itself, so that one slow renewal does not lose it.
    pub renew_every: Duration,
    /// Where this node keeps its own snapshots, and when it makes them.
    pub snapshots: Option<crate::snapshot::SnapshotPolicy>,
}

/// What a node is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The one process writing its store (SQLite, or a log opened without
    /// election).
    #[default]
    Single,
    /// Elected: it sequences submissions.
    Leader,
    /// It tails the log and forwards submissions to the leader.
    Follower,
    /// Rebuilding from the store after stepping down; reads answer 503.
    Recovering,
}

impl Role {
    /// The name `/v1/log` and `/metrics` show.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Leader => "leader",
            Self::Follower => "follower",
            Self::Recovering => "recovering",
        }
    }
}

/// A node's role, term, leader and lag, as `/v1/log` and `/metrics` show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStatus {
    pub role: Role,
    /// The fencing term of the latest writer this node knows of.
    pub term: u64,
    /// The leader's advertised URL, while its lease is live.
    pub leader: Option<String>,
    /// Entries the store held beyond this node's published size when it
    /// last looked (0 for a leader).
    pub lag: u64,
    /// A random name for this run of the node, so that it can tell whether
    /// its advertised URL reaches itself.
    pub instance: String,
}

pub(crate) struct Node {
    pub inner: Weak<Inner>,
    /// The pool's receiving end; lent to the sequencer while leading.
    pub rx: mpsc::Receiver<Work>,
    pub elector: Box<dyn Elector>,
    pub log_key: SignerKey,
    pub clock: Arc<dyn Clock>,
    pub config: NodeConfig,
    /// Told once the node knows its first role (elected, or following a
    /// live leader, or unable to reach the store), so that the service
    /// starts answering only then.
    pub ready: Option<std::sync::mpsc::SyncSender<()>>,
}

pub(crate) fn spawn(node: Node) -> std::io::Result<()> {
    let inner = node.inner.clone();
    std::thread::Builder::new().name("node".into()).spawn(move || {
        // A node whose thread died must not go on serving a log it no
        // longer follows: the binary exits on a fatal error.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| node.run())).is_err() {
            if let Some(inner) = inner.upgrade() {
                inner.fatal.send_replace(Some(FatalError::CatchUp("the node's thread panicked".into())));
            }
        }
    })?;
    Ok(())
}

/// Why catching up stopped.
enum CatchUp {
    /// The store could not be read: nothing changed; try again later.
    Store(StoreError),
    /// What the store holds does not extend what this node published (a
    /// checkpoint that does not verify, an entry the fold refuses): the
    /// published data is marked failed, and the node must rebuild.
    Diverged(String),
}

impl From<StoreError> for CatchUp {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Entries parsed for folding: index, stored leaf hash, entry.
type Parsed = Vec<(u64, Hash, LogEntry)>;

impl Node {
    fn run(mut self) {
        loop {
            let Some(writer) = self.follow() else { return };
            let Some(fatal) = self.lead(writer) else { return };
            let Some(inner) = self.inner.upgrade() else { return };
            // Only a failed commit leaves memory ahead of the store (and the
            // published data marked failed); a refused renewal does not.
            let ahead = inner.published.blocking_read().failed;
            drop(inner);
            if !ahead {
                tracing::warn!(%fatal, "stepping down; following the log");
                continue;
            }
            tracing::warn!(%fatal, "stepping down; rebuilding from the store");
            if !self.rebuild() {
                return;
            }
        }
    }

    /// Follows the log until elected; `None` once the service is gone.
    fn follow(&mut self) -> Option<Box<dyn LogWriter>> {
        self.update(|s| s.role = crate::Role::Follower);
        let mut last_error = None;
        loop {
            let inner = self.inner.upgrade()?;
            refuse_waiting(&mut self.rx);
            let step = self.follow_step(&inner);
            drop(inner);
            if !matches!(step, Ok(Some(_))) {
                self.tell_ready();
            }
            match step {
                Ok(Some(writer)) => return Some(writer),
                Ok(None) => last_error = None,
                Err(CatchUp::Diverged(why)) => {
                    tracing::error!(%why, "the store does not extend this node's log; rebuilding");
                    if !self.rebuild() {
                        return None;
                    }
                }
                Err(CatchUp::Store(e)) => {
                    // Said once, not at every poll while the store is down.
                    let text = e.to_string();
                    if last_error.as_ref() != Some(&text) {
                        tracing::warn!(error = %text, "following the log");
                    }
                    last_error = Some(text);
                }
            }
            // Waiting on a lost connection backs off for the interval.
            let _ = self.elector.wait(self.config.poll);
        }
    }

    /// Catches up, and campaigns if the lease is free.
    fn follow_step(&mut self, inner: &Inner) -> Result<Option<Box<dyn LogWriter>>, CatchUp> {
        self.catch_up(inner)?;
        let lead = self.elector.leadership()?;
        self.update(|s| {
            s.term = lead.term;
            s.leader = lead.live.then(|| lead.holder.clone());
        });
        // A lease still recorded as this node's is one it held before
        // stepping down over a lost connection or a database restart: it
        // takes the log back at once (with a new term) rather than wait out
        // its own lease.
        let ours = lead.holder == self.config.holder && lead.instance == self.config.instance;
        if lead.live && !ours {
            return Ok(None);
        }
        if inner.resigning.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        Ok(self.elector.campaign()?)
    }

    /// Leads with `writer` until it is superseded or a commit fails
    /// (`Some`), or the service is gone (`None`).
    fn lead(&mut self, writer: Box<dyn LogWriter>) -> Option<FatalError> {
        let inner = self.inner.upgrade()?;
        // Holding the new term, no other writer can extend the log: after
        // this, the node holds all of it.
        match self.catch_up(&inner) {
            Ok(()) => {}
            Err(CatchUp::Store(e)) => return Some(FatalError::CatchUp(e.to_string())),
            Err(CatchUp::Diverged(why)) => return Some(FatalError::CatchUp(why)),
        }
        let last_at_us = inner.published.blocking_read().state.last_sequenced_at_us();
        let term = writer.term();
        tracing::info!(term, "elected: this node sequences the log");
        let holder = self.config.holder.clone();
        self.update(|s| {
            *s = crate::NodeStatus {
                role: crate::Role::Leader,
                term,
                leader: Some(holder),
                lag: 0,
                instance: std::mem::take(&mut s.instance),
            }
        });
        drop(inner);
        self.tell_ready();
        let (_, parked) = mpsc::channel(1);
        let mut sequencer = Sequencer {
            inner: self.inner.clone(),
            rx: std::mem::replace(&mut self.rx, parked),
            writer,
            log_key: self.log_key.clone(),
            clock: self.clock.clone(),
            last_at_us,
            renew_every: Some(self.config.renew_every),
        };
        let fatal = sequencer.lead();
        self.rx = sequencer.rx;
        fatal
    }

    /// Replaces the published data with what the store holds, as a restart
    /// would; retries until it can. `false` once the service is gone.
    fn rebuild(&mut self) -> bool {
        let mut last_error = None;
        loop {
            let Some(inner) = self.inner.upgrade() else { return false };
            self.update(|s| s.role = crate::Role::Recovering);
            inner.published.blocking_write().failed = true;
            refuse_waiting(&mut self.rx);
            let snapshots = inner.snapshots.as_ref().map(SnapshotPolicy::snapshots);
            match recover_published(inner.reader.as_ref(), &self.log_key, snapshots.as_ref()) {
                Ok((published, _)) => {
                    let size = published.tree.size();
                    *inner.published.blocking_write() = published;
                    inner.served.send_replace(size);
                    // Entries taken up by the rebuild were never sent as
                    // events: open streams end, and their clients re-read.
                    inner.resets.send_modify(|n| *n += 1);
                    self.update(|s| s.role = crate::Role::Follower);
                    tracing::info!("rebuilt from the store; following the log");
                    return true;
                }
                Err(e) => {
                    // Said once, not at every attempt while the store is down.
                    let text = e.to_string();
                    if last_error.as_ref() != Some(&text) {
                        tracing::error!(error = %text, "could not rebuild from the store; retrying");
                    }
                    last_error = Some(text);
                }
            }
            drop(inner);
            let _ = self.elector.wait(self.config.poll);
        }
    }

    /// Folds and publishes what the store holds beyond the published size,
    /// a bounded step at a time, each ending at a stored checkpoint.
    fn catch_up(&mut self, inner: &Inner) -> Result<(), CatchUp> {
        let vkey = self.log_key.verifier();
        loop {
            // Only this thread changes the published data: the size read
            // here stays true until it publishes again.
            let local = inner.published.blocking_read().tree.size();
            let Some(latest) = inner.reader.latest_checkpoint()? else { return Ok(()) };
            self.update(|s| s.lag = latest.size.saturating_sub(local));
            if latest.size <= local {
                break;
            }
            let target = match latest.size - local > replay::CHUNK {
                true => {
                    inner.reader.checkpoints_from(CheckpointKind::Signed, local + replay::CHUNK, 1)?.pop()
                }
                false => None,
            }
            .unwrap_or(latest);
            let parsed = parse(inner.reader.entries(local, target.size)?, local, target.size)?;
            let events = {
                let mut published = inner.published.blocking_write();
                let extended = extend(&mut published, parsed, &target, &vkey);
                if extended.is_err() {
                    published.failed = true;
                }
                extended?
            };
            inner.served.send_replace(target.size);
            for event in events {
                let _ = inner.events.send(event);
            }
        }
        self.catch_up_cosigned(inner)
    }

    /// Serves the newest cosigned checkpoint the store holds, once it is
    /// checked against the published tree.
    fn catch_up_cosigned(&self, inner: &Inner) -> Result<(), CatchUp> {
        let Some(stored) = inner.reader.latest_cosigned()? else { return Ok(()) };
        let mut published = inner.published.blocking_write();
        // One stored since this node last caught up is taken up next time.
        if published.cosigned.as_ref().is_some_and(|c| c.size >= stored.size)
            || stored.size > published.tree.size()
        {
            return Ok(());
        }
        replay::check_stored(&stored, &published.tree, &self.log_key.verifier())
            .map_err(|e| CatchUp::Diverged(format!("cosigned checkpoint: {e}")))?;
        published.cosigned = Some(stored);
        Ok(())
    }

    fn tell_ready(&mut self) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
    }

    fn update(&self, f: impl FnOnce(&mut crate::NodeStatus)) {
        if let Some(inner) = self.inner.upgrade() {
            if let Ok(mut status) = inner.node.lock() {
                f(&mut status);
            }
        }
    }
}

/// Checks each entry against its stored leaf hash and parses it, outside
/// the lock.
fn parse(stored: Vec<corridor_store::StoredEntry>, start: u64, end: u64) -> Result<Parsed, CatchUp> {
    if stored.len() as u64 != end - start {
        return Err(CatchUp::Diverged(format!(
            "the store holds {} of entries [{start}, {end})",
            stored.len()
        )));
    }
    stored
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let index = start + i as u64;
            if e.index != index || leaf_hash(&e.bytes) != e.leaf_hash {
                return Err(CatchUp::Diverged(format!("entry {index} does not match its stored leaf hash")));
            }
            let entry =
                parse_entry(&e.bytes).map_err(|err| CatchUp::Diverged(format!("entry {index}: {err}")))?;
            Ok((index, e.leaf_hash, entry))
        })
        .collect()
}

/// Folds `parsed` into the published data and checks that `target`, the
/// store's checkpoint for the new size, commits to the extended tree; on
/// `Err` the published data is part-way and must not be served.
fn extend(
    published: &mut Published,
    parsed: Parsed,
    target: &StoredCheckpoint,
    vkey: &VerifierKey,
) -> Result<Vec<Event>, CatchUp> {
    let mut events = Vec::with_capacity(parsed.len());
    for (index, leaf, LogEntry { sequenced_at_us, signed }) in parsed {
        let statement = &signed.statement;
        let event = Event {
            index,
            kind: statement.kind,
            issuer: statement.issuer().to_owned(),
            id: statement.id().to_owned(),
            notices: vec![],
        };
        let notices = published
            .state
            .apply(LoggedEntry { index, sequenced_at_us, signed })
            .map_err(|r| CatchUp::Diverged(format!("entry {index}: the fold rejects it: {r}")))?;
        published.tree.push(leaf);
        events.push(Event { notices, ..event });
    }
    let signed = replay::check_stored(target, &published.tree, vkey)
        .map_err(|e| CatchUp::Diverged(format!("checkpoint {}: {e}", target.size)))?;
    if signed.checkpoint.size != published.tree.size() {
        return Err(CatchUp::Diverged(format!(
            "checkpoint {} read for a tree of {}",
            signed.checkpoint.size,
            published.tree.size()
        )));
    }
    published.checkpoint = signed;
    Ok(events)
}
