//! The PostgreSQL backend: one database shared by every node of a cluster.
//!
//! # How the durability contract is met
//!
//! Each batch is one transaction. It first moves the single `log_head` row
//! from the size the writer expects to the new size, on condition that the
//! row still carries the writer's fencing term; then it inserts the entries
//! and the batch's checkpoint, and commits. PostgreSQL returns from `COMMIT`
//! only once the commit record is flushed to its WAL (`synchronous_commit`
//! left on, see [`connect`]), so a returned `append` survives the process
//! and the database server being killed.
//!
//! Crash recovery is the database's own. If this process dies, or its
//! connection drops, before `COMMIT` completes, the server rolls the
//! transaction back: the head, the entries and the checkpoint vanish
//! together, and no receipt for them was sent. If the connection drops
//! after `COMMIT` was sent, the outcome is unknown to the writer (the
//! ambiguous commit): `append` reports an error, and the caller sends no
//! receipt and recovers by reading back what is there.
//!
//! # Fencing
//!
//! Opening a writer ([`PgLog::writer`]) increments the head's `term` and
//! keeps the new value. Every append and every cosigned checkpoint checks it
//! in the same statement that claims the head row, so a writer that another
//! has since superseded (a node paused past its lease, a process that lost
//! its connection and came back) cannot add a byte: its call fails with
//! [`StoreError::Superseded`] and writes nothing. Because the head row is
//! claimed first, two writers' transactions serialise on its row lock; the
//! second re-reads the row after the first commits and finds the size or
//! the term changed.
//!
//! # Connections
//!
//! The writer has its own connection, reopened after it breaks; readers
//! share a bounded pool ([`PgLimits::max_readers`], `Busy` beyond it) and
//! retry a read once on a fresh connection when theirs was closed (a
//! database restart, `pg_terminate_backend`). Every connection sets
//! `statement_timeout`, so a statement stuck behind a lock fails instead of
//! holding the sequencer. No session-level advisory lock is ever taken.
//!
//! The driver is `postgres`, the blocking face of `tokio-postgres`: the store
//! traits are synchronous, and the sequencer calls them from its own thread.
//! Each of its clients drives its connection on a runtime of its own, which
//! must not be entered from inside another; the API's handlers read from
//! inside tokio, so every call goes through [`off_runtime`].
//!
//! The log lives in the first schema of the connection's `search_path`,
//! chosen with the standard `options` parameter:
//! `postgres://host/db?options=-csearch_path%3Dmylog`.

mod migrations;

use std::str::FromStr as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corridor_store::{
    CheckpointKind, Elector, Leadership, LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint,
    StoredEntry,
};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::{Client, Config, NoTls, Row};

pub use migrations::SCHEMA_VERSION;

/// Entries fetched per query while scanning: bounds memory and keeps each
/// statement short on a log of millions.
const SCAN_PAGE: i64 = 10_000;

/// The connection limits of a log.
#[derive(Debug, Clone, Copy)]
pub struct PgLimits {
    /// The most read connections open at once; a read beyond it gets `Busy`.
    pub max_readers: usize,
    /// How long any one statement may run (lock waits included) before the
    /// server cancels it.
    pub statement_timeout: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// **For tests only**: writers skip every fence (the term and the
    /// expected size when claiming the head, the term when renewing), and
    /// overwrite entries already stored at their indexes. The failover
    /// test's negative control sets it to show that, without the fence, a
    /// zombie leader forks or loses the log, and that the test sees it.
    pub unfenced: bool,
}

impl Default for PgLimits {
    fn default() -> Self {
        Self {
            max_readers: 8,
            statement_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            unfenced: false,
        }
    }
}

/// Turns a driver error into the store's: the server's own message and
/// SQLSTATE where it sent one (a serialization failure is `40001`, a
/// cancelled statement `57014`), else the cause the driver saw.
fn backend(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        let what = if *code == SqlState::T_R_SERIALIZATION_FAILURE {
            "serialization failure, nothing written: "
        } else {
            ""
        };
        return StoreError::Backend(format!("PostgreSQL: {what}{} (SQLSTATE {})", db.message(), code.code()));
    }
    match std::error::Error::source(&e) {
        Some(cause) => StoreError::Backend(format!("PostgreSQL: {e}: {cause}")),
        None => StoreError::Backend(format!("PostgreSQL: {e}")),
    }
}

/// Whether `e` says the connection is gone (closed, broken, or the server
/// ending the session: SQLSTATE classes `08` and `57P`), rather than a
/// refused statement.
fn connection_lost(e: &postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
    }
}

/// A failure known to have come before any commit was sent: a database
/// or connection error becomes `NotWritten`; the store's own refusals
/// (`Superseded`, a moved head) keep their kind.
fn not_written(e: StoreError) -> StoreError {
    match e {
        StoreError::Backend(why) | StoreError::Unreachable(why) => StoreError::NotWritten(why),
        other => other,
    }
}

/// How a batch's transaction failed.
enum Attempt {
    /// Before `COMMIT` was sent: nothing of the batch is in the database.
    BeforeCommit(postgres::Error),
    /// At `COMMIT`: the outcome is unknown (the ambiguous commit).
    Commit(postgres::Error),
    /// The head had moved: another writer, or a stale size.
    Refused(StoreError),
}

/// A log in a PostgreSQL schema: where it is and how to connect.
#[derive(Clone)]
pub struct PgLog {
    config: Config,
    limits: PgLimits,
}

impl std::fmt::Debug for PgLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config may hold a password.
        f.debug_struct("PgLog").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// Runs `f`, which blocks on a driver client, outside any tokio runtime's
/// context: directly on a plain thread (the sequencer's), through
/// `block_in_place` on a multi-threaded runtime's worker, on a scoped thread
/// from a current-thread runtime (which cannot give its thread away).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|p| std::panic::resume_unwind(p)),
    }
}

/// Whether `url` names a PostgreSQL log (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Parses `url` (a libpq connection URI), connects once, and brings the
/// schema up to date ([`SCHEMA_VERSION`]).
pub fn connect(url: &str, limits: PgLimits) -> Result<PgLog, StoreError> {
    off_runtime(|| connect_here(url, limits, true))
}

/// [`connect`] to a log that must already exist: a schema without
/// Corridor's tables is refused ([`StoreError::Corrupt`] naming the cause),
/// so a mistyped URL is never served or audited as an empty log. An older
/// schema is brought up to date.
pub fn connect_existing(url: &str, limits: PgLimits) -> Result<PgLog, StoreError> {
    off_runtime(|| connect_here(url, limits, false))
}

fn connect_here(url: &str, limits: PgLimits, create: bool) -> Result<PgLog, StoreError> {
    if !is_postgres_url(url) {
        return Err(StoreError::Backend(format!("{url:?} is not a postgres:// URL")));
    }
    let mut config =
        Config::from_str(url).map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
    config.connect_timeout(limits.connect_timeout);
    // A network that freezes leaves a statement waiting on a socket that
    // never answers, beyond the server's statement_timeout: the kernel
    // gives up on unacknowledged data after this, and keepalives find a
    // silent peer while idle.
    config.tcp_user_timeout(limits.statement_timeout + limits.connect_timeout);
    config
        .keepalives(true)
        .keepalives_idle(limits.connect_timeout)
        .keepalives_interval(Duration::from_secs(1));
    if config.get_application_name().is_none() {
        config.application_name("corridor");
    }
    let log = PgLog { config, limits };
    let mut client = log.client()?;
    let schema: Option<String> = client.query_one("SELECT current_schema()", &[]).map_err(backend)?.get(0);
    if schema.is_none() {
        return Err(StoreError::Backend(
            "no schema of the search_path exists: create it, or name one with options=-csearch_path%3D<schema>"
                .into(),
        ));
    }
    if !create && !migrations::exists(&mut client)? {
        return Err(StoreError::Corrupt(format!(
            "schema {:?} holds no Corridor log (run corridor init --store to create one)",
            schema.unwrap_or_default()
        )));
    }
    migrations::migrate(&mut client)?;
    Ok(log)
}

impl PgLog {
    /// A new connection with this log's session settings.
    fn client(&self) -> Result<Client, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(backend)?;
        let timeout_ms = self.limits.statement_timeout.as_millis().max(1);
        // A statement must not be acknowledged before it is durable, whatever
        // the database's default says.
        client
            .batch_execute(&format!(
                "SET statement_timeout = {timeout_ms}; SET synchronous_commit = on; \
                 SET idle_in_transaction_session_timeout = {timeout_ms}"
            ))
            .map_err(backend)?;
        Ok(client)
    }

    /// Opens the log's writer, superseding every writer opened before (see
    /// the crate docs, Fencing).
    pub fn writer(&self) -> Result<PgWriter, StoreError> {
        off_runtime(|| self.writer_here())
    }

    fn writer_here(&self) -> Result<PgWriter, StoreError> {
        let mut client = self.client()?;
        let row = client
            .query_one("UPDATE log_head SET term = term + 1 RETURNING term, size", &[])
            .map_err(backend)?;
        let (term, size) = (row.get::<_, i64>(0), row.get::<_, i64>(1));
        let pid = client.query_one("SELECT pg_backend_pid()", &[]).map_err(backend)?.get(0);
        Ok(PgWriter {
            log: self.clone(),
            client: Some(client),
            term: term as u64,
            size: size as u64,
            stale: false,
            pid,
            lease: None,
        })
    }

    /// This node's part in electing the log's writer ([`Elector`]): it
    /// calls itself `holder` (its advertised URL, which other nodes forward
    /// submissions to) and holds the lease for `lease` at a time.
    /// `instance` names this run of the node: only the same run may take
    /// back a lease still recorded as its own (after a lost connection).
    pub fn elector(&self, holder: &str, instance: &str, lease: Duration) -> PgElector {
        let (holder, instance) = (holder.to_owned(), instance.to_owned());
        PgElector { log: self.clone(), holder, instance, lease, client: None }
    }

    /// Shared read access through a bounded pool of connections.
    pub fn reader(&self) -> PgReader {
        PgReader {
            inner: Arc::new(Pool { log: self.clone(), idle: Mutex::new(Vec::new()), open: Mutex::new(0) }),
        }
    }

    /// The log's writer and a reader (what the SQLite backend's `open`
    /// gives).
    pub fn open(&self) -> Result<(PgWriter, PgReader), StoreError> {
        Ok((self.writer()?, self.reader()))
    }
}

/// The committed size and the current fencing term.
fn read_head(client: &mut Client) -> Result<(u64, u64), StoreError> {
    let row = client.query_one("SELECT size, term FROM log_head", &[]).map_err(backend)?;
    Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
}

/// A writer holding one fencing term.
pub struct PgWriter {
    log: PgLog,
    client: Option<Client>,
    term: u64,
    /// The committed size as this writer last knew it.
    size: u64,
    /// Set by any failure: the next call re-reads the head before trusting
    /// `size` (the failed call may have committed).
    stale: bool,
    pid: i32,
    /// The lease this writer renews with every append, when it was elected
    /// ([`PgElector::campaign`]); `None` for [`PgLog::writer`], which takes
    /// the log outright.
    lease: Option<Duration>,
}

impl std::fmt::Debug for PgWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgWriter").field("term", &self.term).field("size", &self.size).finish_non_exhaustive()
    }
}

impl PgWriter {
    /// The fencing term this writer holds.
    pub fn term(&self) -> u64 {
        self.term
    }

    /// The server process of the writer's current connection (what
    /// `pg_terminate_backend` takes).
    pub fn backend_pid(&self) -> i32 {
        self.pid
    }

    /// Makes the connection ready: reopened if it broke; after a failure,
    /// the head is read again, and a changed term ends this writer.
    fn ready(&mut self) -> Result<(), StoreError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let mut client = self.log.client()?;
            if let Some(lease) = self.lease {
                // A writer's transaction sends its statements back to back:
                // one left idle is a paused or cut-off node holding the
                // head's row lock, which would stall the next election. The
                // server ends it well within the lease.
                let idle_ms = (lease / 2).as_millis().max(1);
                client
                    .batch_execute(&format!("SET idle_in_transaction_session_timeout = {idle_ms}"))
                    .map_err(backend)?;
            }
            self.pid = client.query_one("SELECT pg_backend_pid()", &[]).map_err(backend)?.get(0);
            self.client = Some(client);
            self.stale = true;
        }
        let client = self.client.as_mut().expect("connected above");
        if self.stale {
            let (size, term) = read_head(client)?;
            if term != self.term && !self.log.limits.unfenced {
                return Err(StoreError::Superseded { held: self.term, current: term });
            }
            self.size = size;
            self.stale = false;
        }
        Ok(())
    }

    fn check_batch(&self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<u64, StoreError> {
        let first = entries.first().map_or(self.size, |e| e.index);
        if first != self.size || entries.iter().enumerate().any(|(i, e)| e.index != first + i as u64) {
            return Err(StoreError::NotContiguous { expected: self.size, got: first });
        }
        let new_size = self.size + entries.len() as u64;
        if checkpoint.size != new_size {
            return Err(StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size: new_size });
        }
        Ok(new_size)
    }

    /// Appends; when the connection was found lost before `COMMIT` was
    /// sent (nothing of the batch can have reached the database: a
    /// restarted server, a terminated session), once more on a new one.
    fn try_append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        let mut retried = false;
        loop {
            self.ready().map_err(not_written)?;
            let new_size = self.check_batch(entries, checkpoint)?;
            match self.write_batch(entries, checkpoint, new_size) {
                Ok(()) => {
                    self.size = new_size;
                    return Ok(());
                }
                Err(Attempt::BeforeCommit(e)) if !retried && connection_lost(&e) => {
                    retried = true;
                    self.client = None;
                }
                // Rolled back by the server: nothing of the batch is there.
                Err(Attempt::BeforeCommit(e)) => return Err(not_written(backend(e))),
                Err(Attempt::Commit(e)) => return Err(backend(e)),
                Err(Attempt::Refused(e)) => return Err(e),
            }
        }
    }

    /// One transaction: claim the head, insert the entries and the
    /// checkpoint, commit.
    fn write_batch(
        &mut self,
        entries: &[NewEntry],
        checkpoint: &StoredCheckpoint,
        new_size: u64,
    ) -> Result<(), Attempt> {
        let (old, term, lease_ms) = (self.size as i64, self.term as i64, lease_ms(self.lease));
        let client = self.client.as_mut().expect("ready");
        let mut tx = client.transaction().map_err(Attempt::BeforeCommit)?;
        // Claim the head first: a rival writer's transaction waits on this
        // row, then finds it moved. An elected writer's lease is renewed in
        // the same statement.
        let fenced = !self.log.limits.unfenced;
        let claimed = tx
            .execute(
                "UPDATE log_head SET size = $1, lease_until = CASE WHEN $4::BIGINT > 0 \
                 THEN clock_timestamp() + $4::BIGINT * interval '1 millisecond' ELSE lease_until END \
                 WHERE (size = $2 AND term = $3) OR NOT $5",
                &[&(new_size as i64), &old, &term, &lease_ms, &fenced],
            )
            .map_err(Attempt::BeforeCommit)?;
        if claimed != 1 {
            let row = tx.query_one("SELECT size, term FROM log_head", &[]).map_err(Attempt::BeforeCommit)?;
            let (size, current) = (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64);
            return Err(Attempt::Refused(if current != self.term {
                StoreError::Superseded { held: self.term, current }
            } else {
                StoreError::NotContiguous { expected: size, got: self.size }
            }));
        }
        let indexes: Vec<i64> = entries.iter().map(|e| e.index as i64).collect();
        let hashes: Vec<&[u8]> = entries.iter().map(|e| &e.leaf_hash[..]).collect();
        let data: Vec<&[u8]> = entries.iter().map(|e| e.bytes.as_slice()).collect();
        let insert = match fenced {
            true => "INSERT INTO entries (idx, leaf_hash, data) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])",
            false => "INSERT INTO entries (idx, leaf_hash, data) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
                      ON CONFLICT (idx) DO UPDATE SET leaf_hash = EXCLUDED.leaf_hash, data = EXCLUDED.data",
        };
        tx.execute(insert, &[&indexes, &hashes, &data]).map_err(Attempt::BeforeCommit)?;
        tx.execute(
            "INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
            &[&(new_size as i64), &checkpoint.note],
        )
        .map_err(Attempt::BeforeCommit)?;
        // Delivered to listening followers when, and only if, this commits.
        tx.execute("SELECT pg_notify($1, current_schema())", &[&NOTIFY_CHANNEL])
            .map_err(Attempt::BeforeCommit)?;
        // Durable once this returns; rolled back by the server if the
        // connection drops before it completes; unknown if it drops after.
        tx.commit().map_err(Attempt::Commit)
    }

    fn try_add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        self.ready()?;
        let (size, term) = (checkpoint.size as i64, self.term as i64);
        let client = self.client.as_mut().expect("ready");
        // One statement: durable on return, all or nothing.
        let stored = client
            .execute(
                "INSERT INTO cosigned_checkpoints (size, note) \
                 SELECT $1::BIGINT, $2::TEXT FROM log_head WHERE $1::BIGINT <= size AND term = $3::BIGINT \
                 ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
                &[&size, &checkpoint.note, &term],
            )
            .map_err(backend)?;
        if stored == 1 {
            return Ok(());
        }
        let (head, current) = read_head(client)?;
        Err(if current != self.term {
            StoreError::Superseded { held: self.term, current }
        } else {
            StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size: head }
        })
    }

    /// Marks the writer stale after any failure, so the next call re-reads
    /// the head; after a database or connection failure, the next call also
    /// starts on a new connection (a broken one is not always flagged closed
    /// by the time the error returns).
    fn settle<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match &result {
            Ok(_) => {}
            Err(StoreError::Backend(_) | StoreError::NotWritten(_) | StoreError::Unreachable(_)) => {
                self.stale = true;
                self.client = None;
            }
            Err(_) => self.stale = true,
        }
        result
    }
}

impl PgWriter {
    fn try_renew(&mut self) -> Result<(), StoreError> {
        let Some(lease) = self.lease else { return Ok(()) };
        self.ready()?;
        let term = self.term as i64;
        let client = self.client.as_mut().expect("ready");
        let renewed = client
            .execute(
                "UPDATE log_head SET lease_until = clock_timestamp() + $2::BIGINT * interval '1 millisecond' \
                 WHERE term = $1 OR NOT $3",
                &[&term, &lease_ms(Some(lease)), &!self.log.limits.unfenced],
            )
            .map_err(backend)?;
        if renewed == 1 {
            return Ok(());
        }
        let (_, current) = read_head(client)?;
        Err(StoreError::Superseded { held: self.term, current })
    }
}

/// A lease in whole milliseconds, as the SQL takes it; 0 for none.
fn lease_ms(lease: Option<Duration>) -> i64 {
    lease.map_or(0, |l| i64::try_from(l.as_millis()).unwrap_or(i64::MAX).max(1))
}

/// The channel every append notifies, with the log's schema as payload.
const NOTIFY_CHANNEL: &str = "corridor_log";

impl LogWriter for PgWriter {
    fn resign(&mut self) -> Result<(), StoreError> {
        if self.lease.is_none() {
            return Ok(());
        }
        off_runtime(|| {
            let term = self.term as i64;
            let result = self.ready().and_then(|()| {
                let client = self.client.as_mut().expect("ready");
                client
                    .execute("UPDATE log_head SET lease_until = '-infinity' WHERE term = $1", &[&term])
                    .map(drop)
                    .map_err(backend)
            });
            self.settle(result)
        })
    }

    fn renew(&mut self) -> Result<(), StoreError> {
        off_runtime(|| {
            let result = self.try_renew();
            self.settle(result)
        })
    }

    fn term(&self) -> u64 {
        self.term
    }

    fn append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        off_runtime(|| {
            let result = self.try_append(entries, checkpoint);
            self.settle(result)
        })
    }

    fn add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        off_runtime(|| {
            let result = self.try_add_cosigned(checkpoint);
            self.settle(result)
        })
    }
}

/// A node's part in electing a log's writer: see [`Elector`] for the
/// contract and the crate docs (Fencing) for how terms fence.
///
/// The lease is a row, not a lock: `log_head.holder` and
/// `log_head.lease_until`, on the database's clock. A campaign is one
/// statement that takes a new term only where the lease has run out (or is
/// already this node's), so two nodes campaigning at once serialise on the
/// row and one wins. Nothing is held on a connection: a node that loses its
/// connection, or pauses, simply stops renewing, and its lease runs out.
pub struct PgElector {
    log: PgLog,
    holder: String,
    instance: String,
    lease: Duration,
    /// Used for campaigns and reads, and listening for appends.
    client: Option<Client>,
}

impl std::fmt::Debug for PgElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgElector").field("holder", &self.holder).field("lease", &self.lease).finish()
    }
}

impl PgElector {
    /// The connection, opened and listening if it was not.
    fn ready(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let mut client = self.log.client()?;
            client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")).map_err(backend)?;
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// Runs `f` on the connection; a failure drops it, so the next call
    /// starts on a new one.
    fn with<T>(&mut self, f: impl FnOnce(&mut Client) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let result = self.ready().and_then(f);
        if result.is_err() {
            self.client = None;
        }
        result
    }

    fn try_campaign(&mut self) -> Result<Option<PgWriter>, StoreError> {
        let (holder, instance, lease) =
            (self.holder.clone(), self.instance.clone(), lease_ms(Some(self.lease)));
        let won = self.with(|c| {
            c.query_opt(
                "UPDATE log_head SET term = term + 1, holder = $1, holder_instance = $3, \
                 lease_until = clock_timestamp() + $2::BIGINT * interval '1 millisecond' \
                 WHERE lease_until < clock_timestamp() OR (holder = $1 AND holder_instance = $3) \
                 RETURNING term, size",
                &[&holder, &lease, &instance],
            )
            .map_err(backend)
        })?;
        Ok(won.map(|row| PgWriter {
            log: self.log.clone(),
            // The writer opens its own connection on first use, and then
            // reads the head again: `stale`.
            client: None,
            term: row.get::<_, i64>(0) as u64,
            size: row.get::<_, i64>(1) as u64,
            stale: true,
            pid: 0,
            lease: Some(self.lease),
        }))
    }

    fn try_wait(&mut self, timeout: Duration) -> Result<(), StoreError> {
        let client = match self.ready() {
            Ok(c) => c,
            Err(e) => {
                // The database is unreachable: wait out the interval rather
                // than spin on reconnecting.
                std::thread::sleep(timeout);
                return Err(e);
            }
        };
        let mut notifications = client.notifications();
        let mut outcome = notifications.timeout_iter(timeout).next().map(drop);
        if outcome.is_ok() {
            // Several appends may have notified: one wake-up serves them all.
            outcome = notifications.iter().for_each(|_| Ok(()));
        }
        drop(notifications);
        if let Err(e) = outcome {
            self.client = None;
            return Err(backend(e));
        }
        Ok(())
    }
}

impl Elector for PgElector {
    fn campaign(&mut self) -> Result<Option<Box<dyn LogWriter>>, StoreError> {
        let won = off_runtime(|| self.try_campaign())?;
        Ok(won.map(|w| Box::new(w) as Box<dyn LogWriter>))
    }

    fn leadership(&mut self) -> Result<Leadership, StoreError> {
        off_runtime(|| {
            self.with(|c| {
                let row = c
                    .query_one(
                        "SELECT term, holder, holder_instance, lease_until > clock_timestamp() FROM log_head",
                        &[],
                    )
                    .map_err(backend)?;
                let term = row.get::<_, i64>(0) as u64;
                Ok(Leadership { term, holder: row.get(1), instance: row.get(2), live: row.get(3) })
            })
        })
    }

    fn wait(&mut self, timeout: Duration) -> Result<(), StoreError> {
        off_runtime(|| self.try_wait(timeout))
    }
}

impl Drop for PgElector {
    fn drop(&mut self) {
        let client = self.client.take();
        off_runtime(|| drop(client));
    }
}

impl Drop for PgWriter {
    fn drop(&mut self) {
        // A client's own runtime must not be dropped inside another's.
        let client = self.client.take();
        off_runtime(|| drop(client));
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        off_runtime(|| drop(idle));
    }
}

struct Pool {
    log: PgLog,
    idle: Mutex<Vec<Client>>,
    open: Mutex<usize>,
}

/// Shared read access; clones share one bounded pool of connections.
#[derive(Clone)]
pub struct PgReader {
    inner: Arc<Pool>,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReader").finish_non_exhaustive()
    }
}

/// A pooled connection: back to the pool on drop while it is open, closed
/// (and its place freed) once broken.
struct Lease<'a> {
    pool: &'a Pool,
    client: Option<Client>,
    broken: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        if self.broken || client.is_closed() {
            if let Ok(mut open) = self.pool.open.lock() {
                *open -= 1;
            }
        } else if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(client);
        }
    }
}

impl Pool {
    fn discard_idle(&self) {
        let (Ok(mut idle), Ok(mut open)) = (self.idle.lock(), self.open.lock()) else { return };
        *open -= idle.len();
        idle.clear();
    }
}

impl PgReader {
    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let pool = &*self.inner;
        if let Some(client) = pool.idle.lock().map_err(|_| StoreError::Busy)?.pop() {
            return Ok(Lease { pool, client: Some(client), broken: false });
        }
        let mut open = pool.open.lock().map_err(|_| StoreError::Busy)?;
        if *open >= pool.log.limits.max_readers {
            return Err(StoreError::Busy);
        }
        // A database that cannot be reached now is a reason to retry later.
        let client = pool.log.client().map_err(|e| StoreError::Unreachable(e.to_string()))?;
        *open += 1;
        Ok(Lease { pool, client: Some(client), broken: false })
    }

    /// Runs one read; if the server did not answer it (no SQLSTATE: a
    /// restarted database, a terminated backend, a broken connection), once
    /// more on a new connection. A refusal by the server is not retried.
    fn read<T: Send>(
        &self,
        f: impl Fn(&mut Client) -> Result<T, postgres::Error> + Send + Sync,
    ) -> Result<T, StoreError> {
        off_runtime(|| self.read_here(&f))
    }

    fn read_here<T>(&self, f: &impl Fn(&mut Client) -> Result<T, postgres::Error>) -> Result<T, StoreError> {
        let mut lease = self.lease()?;
        match f(lease.client.as_mut().expect("present until drop")) {
            Ok(v) => Ok(v),
            Err(e) if connection_lost(&e) => {
                lease.broken = true;
                drop(lease);
                // A restarted or failed-over database closed every idle
                // connection too: start afresh rather than fail on each.
                self.inner.discard_idle();
                let mut lease = self.lease()?;
                match f(lease.client.as_mut().expect("present until drop")) {
                    Ok(v) => Ok(v),
                    // Still unreachable: a 503 with Retry-After, not a 500.
                    Err(e) if connection_lost(&e) => {
                        lease.broken = true;
                        Err(StoreError::Unreachable(backend(e).to_string()))
                    }
                    Err(e) => Err(backend(e)),
                }
            }
            Err(e) => Err(backend(e)),
        }
    }

    fn checkpoint(&self, sql: &str, arg: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = self.read(|c| c.query_opt(sql, &[&(arg as i64)]))?;
        Ok(row.as_ref().map(row_to_checkpoint))
    }
}

fn row_to_checkpoint(r: &Row) -> StoredCheckpoint {
    StoredCheckpoint { size: r.get::<_, i64>(0) as u64, note: r.get(1) }
}

fn row_to_entry(r: &Row) -> Result<StoredEntry, StoreError> {
    let hash: &[u8] = r.get(1);
    let leaf_hash = hash.try_into().map_err(|_| StoreError::Corrupt("a leaf hash is not 32 bytes".into()))?;
    Ok(StoredEntry { index: r.get::<_, i64>(0) as u64, leaf_hash, bytes: r.get(2) })
}

/// An index as the database's `BIGINT`, saturating (no log reaches 2^63).
fn db_index(i: u64) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

impl LogReader for PgReader {
    fn size(&self) -> Result<u64, StoreError> {
        let row = self.read(|c| c.query_one("SELECT size FROM log_head", &[]))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT idx, leaf_hash, data FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&db_index(start), &db_index(end)],
            )
        })?;
        rows.iter().map(row_to_entry).collect()
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                "SELECT leaf_hash FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&db_index(start), &db_index(end)],
            )
        })?;
        rows.iter()
            .map(|r| {
                let hash: Vec<u8> = r.get(0);
                hash.try_into().map_err(|_| StoreError::Corrupt("a stored leaf hash is not 32 bytes".into()))
            })
            .collect()
    }

    fn scan(
        &self,
        start: u64,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut at = db_index(start);
        loop {
            let rows = self.read(|c| {
                c.query(
                    "SELECT idx, leaf_hash, data FROM entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
                    &[&at, &SCAN_PAGE],
                )
            })?;
            let last = rows.len() < SCAN_PAGE as usize;
            for row in &rows {
                let entry = row_to_entry(row)?;
                at = entry.index as i64 + 1;
                f(entry)?;
            }
            if last {
                return Ok(());
            }
        }
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint("SELECT size, note FROM checkpoints WHERE size >= $1 ORDER BY size DESC LIMIT 1", 0)
    }

    fn checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint("SELECT size, note FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1", index)
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint("SELECT size, note FROM checkpoints WHERE size = $1", size)
    }

    fn latest_cosigned(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint(
            "SELECT size, note FROM cosigned_checkpoints WHERE size >= $1 ORDER BY size DESC LIMIT 1",
            0,
        )
    }

    fn checkpoints_from(
        &self,
        kind: CheckpointKind,
        from_size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let sql = match kind {
            CheckpointKind::Signed => {
                "SELECT size, note FROM checkpoints WHERE size >= $1 ORDER BY size LIMIT $2"
            }
            CheckpointKind::Cosigned => {
                "SELECT size, note FROM cosigned_checkpoints WHERE size >= $1 ORDER BY size LIMIT $2"
            }
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.read(|c| c.query(sql, &[&db_index(from_size), &limit]))?;
        Ok(rows.iter().map(row_to_checkpoint).collect())
    }
}
