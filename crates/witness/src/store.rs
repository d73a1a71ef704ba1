//! The witness's own durable state, in one SQLite file (WAL, `synchronous=FULL`):
//! the logs it witnesses, the latest checkpoint it cosigned for each, and the
//! refused checkpoints that prove a fork.
//!
//! # Durability and atomicity
//!
//! [`WitnessStore::add_checkpoint`] reads the latest cosigned (size, root),
//! decides, and records the new latest in one `BEGIN IMMEDIATE` transaction
//! on the store's one connection, behind a mutex. So two requests can never
//! both pass the check against the same latest (the spec's rollback race),
//! and the cosignature is made only after `COMMIT` returned: a witness killed
//! at any point either never answered, or answered with a cosignature for a
//! tree it has durably recorded. A restart reads the record back; it can
//! never cosign a second root for a size it cosigned before.

use std::path::Path;
use std::sync::Mutex;

use corridor_note::VerifierKey;
use corridor_tlog::witness::{decide, AddCheckpoint, ForkEvidence, Refusal};
use corridor_tlog::{Checkpoint, Hash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// Most fork records kept per log and kind (proven, unproven); beyond it,
/// new ones are logged and dropped (the first ones already show the fork).
/// The kinds are counted apart, so that anyone pairing an honest checkpoint
/// with a wrong proof cannot crowd out a proven fork.
pub const MAX_FORKS_PER_LOG: i64 = 1_000;
/// Most logs one witness follows.
pub const MAX_LOGS: i64 = 1_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
    origin TEXT PRIMARY KEY,
    vkey TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY REFERENCES logs(origin),
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS forks (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    proven INTEGER NOT NULL,
    request TEXT NOT NULL,
    held_note TEXT NOT NULL,
    UNIQUE (origin, request)
) STRICT;
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("witness store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the log {0:?} is already witnessed with another key")]
    LogExists(String),
    #[error("this witness already follows {MAX_LOGS} logs")]
    TooManyLogs,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A log the witness follows, with what it last cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub origin: String,
    pub vkey: String,
    /// (size, root, POSIX seconds of the cosignature), if it cosigned any.
    pub latest: Option<(u64, Hash, u64)>,
}

/// A refused checkpoint that carried a valid log signature and did not
/// extend the tree the witness had cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkRecord {
    pub origin: String,
    /// True when it proves the fork by itself (another root for a size
    /// cosigned); false when only its consistency proof failed.
    pub proven: bool,
    /// POSIX seconds.
    pub received_at: u64,
    pub reason: String,
    /// The whole add-checkpoint request body, as received.
    pub request: String,
    /// The checkpoint note the witness held (had cosigned) at the time.
    pub held_note: String,
}

/// What became of a request whose log signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Recorded as the latest: cosign it.
    Cosign,
    Refused(Refusal),
}

/// The witness store; one per data directory.
#[derive(Debug)]
pub struct WitnessStore {
    conn: Mutex<Connection>,
}

fn root_of(blob: Vec<u8>) -> Result<Hash, StoreError> {
    blob.try_into().map_err(|_| StoreError::Corrupt("a stored root is not 32 bytes".into()))
}

impl WitnessStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if mode != "wal" {
            return Err(StoreError::Corrupt(format!("could not enable WAL (journal_mode={mode})")));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite rolls back a transaction a panicking holder left open when the
        // next one begins; the connection itself stays usable.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts following a log. Adding the same (origin, vkey) again is a no-op.
    pub fn add_log(&self, vkey: &VerifierKey) -> Result<(), StoreError> {
        let conn = self.conn();
        let origin = vkey.name();
        let existing: Option<String> =
            conn.query_row("SELECT vkey FROM logs WHERE origin = ?1", [origin], |r| r.get(0)).optional()?;
        match existing {
            Some(v) if v == vkey.to_vkey() => Ok(()),
            Some(_) => Err(StoreError::LogExists(origin.to_owned())),
            None => {
                let count: i64 = conn.query_row("SELECT COUNT(*) FROM logs", [], |r| r.get(0))?;
                if count >= MAX_LOGS {
                    return Err(StoreError::TooManyLogs);
                }
                conn.execute(
                    "INSERT INTO logs (origin, vkey) VALUES (?1, ?2)",
                    params![origin, vkey.to_vkey()],
                )?;
                Ok(())
            }
        }
    }

    /// The log's verifier key, if the witness follows `origin`.
    pub fn log_key(&self, origin: &str) -> Result<Option<VerifierKey>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT vkey FROM logs WHERE origin = ?1", [origin], |r| r.get(0))
            .optional()?;
        text.map(|t| VerifierKey::parse(&t).map_err(|e| StoreError::Corrupt(format!("stored vkey: {e}"))))
            .transpose()
    }

    /// Every log followed, by origin.
    pub fn logs(&self) -> Result<Vec<LogRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT l.origin, l.vkey, t.size, t.root, t.cosigned_at FROM logs l \
             LEFT JOIN latest t ON t.origin = l.origin ORDER BY l.origin",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, vkey, size, root, at) = row?;
            let latest = match (size, root, at) {
                (Some(s), Some(r), Some(a)) => Some((s as u64, root_of(r)?, a as u64)),
                _ => None,
            };
            out.push(LogRecord { origin, vkey, latest });
        }
        Ok(out)
    }

    /// The spec's atomic step: checks `req` (whose log signature verified)
    /// against the latest cosigned tree and, if it passes, records it as the
    /// new latest, in one transaction. A refusal that proves a fork is kept.
    /// `now_s` stamps the record.
    pub fn add_checkpoint(
        &self,
        req: &AddCheckpoint,
        checkpoint: &Checkpoint,
        request_body: &str,
        now_s: u64,
    ) -> Result<Decision, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: Option<(i64, Vec<u8>, String)> = tx
            .query_row("SELECT size, root, note FROM latest WHERE origin = ?1", [&checkpoint.origin], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let latest = match &held {
            Some((size, root, _)) => Some((*size as u64, root_of(root.clone())?)),
            None => None,
        };
        let decision = match decide(latest, req, checkpoint) {
            Ok(()) => {
                tx.execute(
                    "INSERT OR REPLACE INTO latest (origin, size, root, note, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![checkpoint.origin, checkpoint.size as i64, &checkpoint.root[..], req.checkpoint_note, now_s as i64],
                )?;
                Decision::Cosign
            }
            Err(refusal) => {
                if let Some(evidence) = refusal.fork_evidence() {
                    let held_note = held.as_ref().map(|h| h.2.as_str()).unwrap_or_default();
                    let proven = evidence == ForkEvidence::Proven;
                    let fork = (&checkpoint.origin[..], &refusal, proven);
                    keep_fork(&tx, fork, request_body, held_note, now_s)?;
                }
                Decision::Refused(refusal)
            }
        };
        // Durable once this returns; only then is a cosignature made.
        tx.commit()?;
        Ok(decision)
    }

    /// Every fork record, oldest first.
    pub fn forks(&self) -> Result<Vec<ForkRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT origin, received_at, reason, request, held_note, proven FROM forks ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ForkRecord {
                origin: r.get(0)?,
                received_at: r.get::<_, i64>(1)? as u64,
                reason: r.get(2)?,
                request: r.get(3)?,
                held_note: r.get(4)?,
                proven: r.get::<_, i64>(5)? != 0,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn keep_fork(
    tx: &rusqlite::Transaction<'_>,
    (origin, refusal, proven): (&str, &Refusal, bool),
    request_body: &str,
    held_note: &str,
    now_s: u64,
) -> Result<(), StoreError> {
    let count: i64 = tx.query_row(
        "SELECT COUNT(*) FROM forks WHERE origin = ?1 AND proven = ?2",
        params![origin, proven as i64],
        |r| r.get(0),
    )?;
    if count >= MAX_FORKS_PER_LOG {
        tracing::warn!(%origin, proven, "fork evidence not kept: {MAX_FORKS_PER_LOG} records of its kind already held");
        return Ok(());
    }
    tracing::warn!(%origin, %refusal, proven, "a validly signed checkpoint does not extend the cosigned tree: kept");
    tx.execute(
        "INSERT OR IGNORE INTO forks (origin, received_at, reason, proven, request, held_note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![origin, now_s as i64, refusal.to_string(), proven as i64, request_body, held_note],
    )?;
    Ok(())
}
