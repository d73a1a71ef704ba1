//! The embedded SQLite backend: one file, WAL journal, `synchronous=FULL`.
//!
//! # How the durability contract is met
//!
//! Each batch is one SQLite transaction that inserts the entries and the batch's
//! checkpoint. In WAL mode with `synchronous=FULL`, `COMMIT` returns only after the
//! WAL frames holding the transaction are fsynced, so a returned `append` survives
//! SIGKILL and power loss.
//!
//! Crash recovery is SQLite's own: if the process dies before `COMMIT` completes,
//! the WAL holds no commit frame for the transaction, and the next open ignores its
//! frames — the batch and its checkpoint vanish together, and no receipt for any
//! of its entries was sent. If it dies after, the next open replays the WAL and the
//! batch is there. There is no state outside the transaction to reconcile.
//!
//! Readers use their own read-only connections (at most [`MAX_READERS`]); WAL lets
//! them read the last committed snapshot while the writer commits the next batch.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use corridor_store::{
    CheckpointKind, LogReader, LogWriter, NewEntry, StoreError, StoredCheckpoint, StoredEntry,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

/// The most read connections open at once; a read beyond it gets `Busy`.
pub const MAX_READERS: usize = 8;
/// How long a connection waits on a lock held by another before giving up.
const BUSY_TIMEOUT_MS: u64 = 5_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL,
    data BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS cosigned_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
) STRICT;
";

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Opens (creating if needed) the log at `path`: its one writer and a reader.
pub fn open(path: &Path) -> Result<(SqliteWriter, SqliteReader), StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(backend)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(backend)?;
    if mode != "wal" {
        return Err(StoreError::Backend(format!("could not enable WAL (journal_mode={mode})")));
    }
    conn.execute_batch("PRAGMA synchronous=FULL;").map_err(backend)?;
    conn.execute_batch(SCHEMA).map_err(backend)?;
    let size = count_entries(&conn)?;
    let reader = SqliteReader {
        inner: Arc::new(Pool { path: path.to_owned(), idle: Mutex::new(Vec::new()), open: Mutex::new(0) }),
    };
    Ok((SqliteWriter { conn, size }, reader))
}

/// The number of entries: one past the highest index (a B-tree descent, not
/// a scan of every row). Appends are contiguous by contract; a gap left by
/// damage to the file is found by recovery, which reads every index it
/// needs and refuses one out of place.
fn count_entries(conn: &Connection) -> Result<u64, StoreError> {
    let next: i64 =
        conn.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| r.get(0)).map_err(backend)?;
    Ok(next as u64)
}

/// The log's single writer.
#[derive(Debug)]
pub struct SqliteWriter {
    conn: Connection,
    size: u64,
}

impl LogWriter for SqliteWriter {
    fn append(&mut self, entries: &[NewEntry], checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        let first = entries.first().map_or(self.size, |e| e.index);
        if first != self.size || entries.iter().enumerate().any(|(i, e)| e.index != first + i as u64) {
            return Err(StoreError::NotContiguous { expected: self.size, got: first });
        }
        let new_size = self.size + entries.len() as u64;
        if checkpoint.size != new_size {
            return Err(StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size: new_size });
        }
        let tx = self.conn.transaction().map_err(backend)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO entries (idx, leaf_hash, data) VALUES (?1, ?2, ?3)")
                .map_err(backend)?;
            for e in entries {
                insert.execute(params![e.index as i64, &e.leaf_hash[..], &e.bytes]).map_err(backend)?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO checkpoints (size, note) VALUES (?1, ?2)",
                params![checkpoint.size as i64, checkpoint.note],
            )
            .map_err(backend)?;
        }
        // Durable once this returns (WAL + synchronous=FULL); dropped uncommitted otherwise.
        tx.commit().map_err(backend)?;
        self.size = new_size;
        Ok(())
    }

    fn add_cosigned(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        if checkpoint.size > self.size {
            return Err(StoreError::CheckpointMismatch { checkpoint: checkpoint.size, size: self.size });
        }
        // One statement, its own transaction: durable on return, all or nothing on a crash.
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO cosigned_checkpoints (size, note) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![checkpoint.size as i64, checkpoint.note]))
            .map_err(backend)?;
        Ok(())
    }
}

#[derive(Debug)]
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    open: Mutex<usize>,
}

/// Shared read access; clones share one bounded pool of connections.
#[derive(Debug, Clone)]
pub struct SqliteReader {
    inner: Arc<Pool>,
}

/// A pooled connection, returned to the pool on drop.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut idle)) = (self.conn.take(), self.pool.idle.lock()) {
            idle.push(conn);
        }
    }
}

impl SqliteReader {
    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let pool = &*self.inner;
        if let Some(conn) = pool.idle.lock().map_err(|_| StoreError::Busy)?.pop() {
            return Ok(Lease { pool, conn: Some(conn) });
        }
        let mut open = pool.open.lock().map_err(|_| StoreError::Busy)?;
        if *open >= MAX_READERS {
            return Err(StoreError::Busy);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&pool.path, flags).map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(backend)?;
        *open += 1;
        Ok(Lease { pool, conn: Some(conn) })
    }

    fn checkpoint_query(&self, sql: &str, arg: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let conn = self.lease()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        stmt.query_row([arg as i64], |r| {
            Ok(StoredCheckpoint { size: r.get::<_, i64>(0)? as u64, note: r.get(1)? })
        })
        .optional()
        .map_err(backend)
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
    let hash: Vec<u8> = r.get(1)?;
    let leaf_hash = hash.try_into().unwrap_or([0; 32]);
    Ok(StoredEntry { index: r.get::<_, i64>(0)? as u64, leaf_hash, bytes: r.get(2)? })
}

impl LogReader for SqliteReader {
    fn size(&self) -> Result<u64, StoreError> {
        let conn = self.lease()?;
        let n: i64 = conn
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(n as u64)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        let conn = self.lease()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT idx, leaf_hash, data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(backend)?;
        let rows = stmt.query_map([start as i64, end as i64], row_to_entry).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        let conn = self.lease()?;
        let mut stmt = conn
            .prepare_cached("SELECT leaf_hash FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
            .map_err(backend)?;
        let rows = stmt
            .query_map([start as i64, end as i64], |r| {
                let hash: Vec<u8> = r.get(0)?;
                Ok(hash.try_into().unwrap_or([0; 32]))
            })
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn scan(
        &self,
        start: u64,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let conn = self.lease()?;
        let mut stmt = conn
            .prepare("SELECT idx, leaf_hash, data FROM entries WHERE idx >= ?1 ORDER BY idx")
            .map_err(backend)?;
        let rows = stmt.query_map([start as i64], row_to_entry).map_err(backend)?;
        for row in rows {
            f(row.map_err(backend)?)?;
        }
        Ok(())
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint_query(
            "SELECT size, note FROM checkpoints WHERE size >= ?1 ORDER BY size DESC LIMIT 1",
            0,
        )
    }

    fn checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint_query(
            "SELECT size, note FROM checkpoints WHERE size > ?1 ORDER BY size LIMIT 1",
            index,
        )
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint_query("SELECT size, note FROM checkpoints WHERE size = ?1", size)
    }

    fn latest_cosigned(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.checkpoint_query(
            "SELECT size, note FROM cosigned_checkpoints WHERE size >= ?1 ORDER BY size DESC LIMIT 1",
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
                "SELECT size, note FROM checkpoints WHERE size >= ?1 ORDER BY size LIMIT ?2"
            }
            CheckpointKind::Cosigned => {
                "SELECT size, note FROM cosigned_checkpoints WHERE size >= ?1 ORDER BY size LIMIT ?2"
            }
        };
        let conn = self.lease()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([from_size as i64, limit], |r| {
                Ok(StoredCheckpoint { size: r.get::<_, i64>(0)? as u64, note: r.get(1)? })
            })
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_store::conformance::{run_all, Harness};

    struct Sqlite {
        dir: tempfile::TempDir,
    }

    impl Harness for Sqlite {
        type Writer = SqliteWriter;
        type Reader = SqliteReader;
        fn open(&mut self) -> (SqliteWriter, SqliteReader) {
            open(&self.dir.path().join("log.db")).expect("opens")
        }
    }

    #[test]
    fn conformance() {
        run_all(&mut Sqlite { dir: tempfile::tempdir().expect("tempdir") });
    }

    #[test]
    fn readers_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_w, r) = open(&dir.path().join("log.db")).expect("opens");
        let leases: Vec<_> = (0..MAX_READERS).map(|_| r.lease().expect("under the limit")).collect();
        assert!(matches!(r.lease(), Err(StoreError::Busy)));
        drop(leases);
        assert!(r.lease().is_ok(), "returned connections are reused");
    }
}
