//! The schema, as numbered migrations applied in order and recorded in
//! `corridor_migrations`.
//!
//! Every node of a cluster runs [`migrate`] when it connects. The
//! migrations run in one transaction under a transaction-level advisory lock
//! (never a session-level one: a pooled connection may be reset or handed to
//! another user with the lock still held), so two nodes starting together
//! apply each step once. A database whose schema is newer than this build
//! knows is refused: an older binary must not write a log whose invariants
//! it cannot know.

use postgres::Client;

use crate::{backend, StoreError};

/// `pg_advisory_xact_lock` key for migrations ("corridor" in ASCII, as an i64).
const MIGRATION_LOCK: i64 = 0x636f_7272_6964_6f72;

/// The schema's steps; a step, once released, never changes: a new one is
/// added after it.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE entries (
    idx BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BYTEA NOT NULL CHECK (octet_length(leaf_hash) = 32),
    data BYTEA NOT NULL
);
CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY CHECK (size > 0),
    note TEXT NOT NULL
);
CREATE TABLE cosigned_checkpoints (
    size BIGINT PRIMARY KEY CHECK (size > 0),
    note TEXT NOT NULL
);
-- The one row every append updates: the committed size, and the fencing
-- term of the writer allowed to extend it.
CREATE TABLE log_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    size BIGINT NOT NULL CHECK (size >= 0),
    term BIGINT NOT NULL CHECK (term >= 0)
);
INSERT INTO log_head (size, term) VALUES (0, 0);
",
    ),
    (
        2,
        "
-- Leader election: the node holding the writer's lease (its advertised
-- URL), and until when, on the database's clock.
ALTER TABLE log_head
    ADD COLUMN holder TEXT NOT NULL DEFAULT '',
    ADD COLUMN lease_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity';
",
    ),
    (
        3,
        "
-- Which run of the holder took the lease: only that same process may take
-- it back before it runs out (two processes sharing one URL must not).
ALTER TABLE log_head ADD COLUMN holder_instance TEXT NOT NULL DEFAULT '';
",
    ),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Whether the connection's schema holds Corridor's tables.
pub fn exists(client: &mut Client) -> Result<bool, StoreError> {
    let row =
        client.query_one("SELECT to_regclass('corridor_migrations') IS NOT NULL", &[]).map_err(backend)?;
    Ok(row.get(0))
}

/// Brings the schema of the connection's `search_path` up to
/// [`SCHEMA_VERSION`]; refuses a newer one.
pub fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(backend)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(backend)?;
    // "already exists, skipping" on every start is noise in the node's log.
    tx.batch_execute("SET LOCAL client_min_messages = warning").map_err(backend)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS corridor_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(backend)?;
    let row =
        tx.query_one("SELECT COALESCE(MAX(version), 0) FROM corridor_migrations", &[]).map_err(backend)?;
    let current: i32 = row.get(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "the database holds schema version {current}, newer than this build's {SCHEMA_VERSION}: upgrade corridor"
        )));
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).map_err(backend)?;
        tx.execute("INSERT INTO corridor_migrations (version) VALUES ($1)", &[&version]).map_err(backend)?;
    }
    tx.commit().map_err(backend)
}
