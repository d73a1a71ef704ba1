//! The faults a shared database brings, beyond the conformance suite's: a
//! writer superseded by another (the zombie leader), a lost connection, a
//! statement timeout and a serialization failure. Each must fail the call,
//! write nothing, and leave the store usable.

// A bound on waiting for the database to reach a state is the test's own
// clock's business.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use corridor_store::{LogReader, LogWriter, StoreError};
use corridor_store_postgres::{connect, PgLimits};
use postgres::Client;

use common::{batch, checkpoint};

/// Waits until the writer's server process is blocked on a lock: the
/// condition the next step depends on, polled, with a bound.
fn until_waiting_on_a_lock(admin: &mut Client, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = admin
            .query_opt("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", &[&pid])
            .expect("pg_stat_activity");
        if row.and_then(|r| r.get::<_, Option<String>>(0)).as_deref() == Some("Lock") {
            return;
        }
        assert!(Instant::now() < deadline, "the writer never waited on the lock");
        std::thread::yield_now();
    }
}

#[test]
fn a_superseded_writer_writes_nothing() {
    let schema = common::Schema::new("fence");
    let log = connect(&schema.url(), PgLimits::default()).expect("connects");
    let (mut zombie, reader) = log.open().expect("opens");
    zombie.append(&batch(0, 2), &checkpoint(2)).expect("first writer appends");
    let mut leader = log.writer().expect("a second writer takes the log");
    assert!(leader.term() > zombie.term());
    let err = zombie.append(&batch(2, 3), &checkpoint(3)).expect_err("the old writer is fenced");
    assert!(matches!(err, StoreError::Superseded { .. }), "{err}");
    let err = zombie.add_cosigned(&checkpoint(2)).expect_err("fenced for cosigned checkpoints too");
    assert!(matches!(err, StoreError::Superseded { .. }), "{err}");
    assert_eq!(reader.size().expect("size"), 2, "nothing of the refused batch");
    leader.append(&batch(2, 4), &checkpoint(4)).expect("the new writer appends");
    let err = zombie.append(&batch(4, 5), &checkpoint(5)).expect_err("still fenced");
    assert!(matches!(err, StoreError::Superseded { .. }), "{err}");
    assert_eq!(reader.size().expect("size"), 4);
    assert_eq!(reader.entries(2, 4).expect("entries")[0].bytes, batch(2, 3)[0].bytes);
}

/// A session ended before the batch's `COMMIT` was sent (a database
/// restart, `pg_terminate_backend`) cannot have written anything, so the
/// writer retries once on a new connection, under the same term; readers
/// retry too.
#[test]
fn a_lost_connection_is_retried_on_a_new_one() {
    let schema = common::Schema::new("lost");
    let log = connect(&schema.url(), PgLimits::default()).expect("connects");
    let (mut writer, reader) = log.open().expect("opens");
    writer.append(&batch(0, 3), &checkpoint(3)).expect("appends");
    assert_eq!(reader.size().expect("a reader connects"), 3);
    let mut admin = common::admin();
    // Every connection of this log, the writer's and the readers'.
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&schema.name],
        )
        .expect("terminates")
        .get(0);
    assert!(killed >= 2, "the writer's and a reader's connections were open ({killed})");
    let (term, pid) = (writer.term(), writer.backend_pid());
    assert_eq!(reader.size().expect("the reader retries on a new connection"), 3);
    writer.append(&batch(3, 5), &checkpoint(5)).expect("the writer reconnects and retries");
    assert_ne!(writer.backend_pid(), pid, "on a new connection");
    assert_eq!(writer.term(), term, "keeping its term");
    assert_eq!(reader.size().expect("size"), 5);
    assert_eq!(reader.entries(3, 5).expect("entries").len(), 2, "written once");
    // Each append gets its own retry.
    admin.execute("SELECT pg_terminate_backend($1)", &[&writer.backend_pid()]).expect("terminates");
    writer.append(&batch(5, 6), &checkpoint(6)).expect("a loss before commit is retried again");
    assert_eq!(reader.size().expect("size"), 6);
}

#[test]
fn a_statement_timeout_fails_the_append_without_writing() {
    let schema = common::Schema::new("timeout");
    let limits = PgLimits { statement_timeout: Duration::from_millis(300), ..PgLimits::default() };
    let log = connect(&schema.url(), limits).expect("connects");
    let (mut writer, reader) = log.open().expect("opens");
    writer.append(&batch(0, 1), &checkpoint(1)).expect("appends");
    let mut admin = common::admin();
    let mut blocker = admin.transaction().expect("begins");
    blocker
        .batch_execute(&format!("SELECT * FROM {}.log_head FOR UPDATE", schema.name))
        .expect("locks the head");
    let err = writer.append(&batch(1, 2), &checkpoint(2)).expect_err("times out behind the lock");
    assert!(err.to_string().contains("57014"), "the server cancelled the statement: {err}");
    assert_eq!(reader.size().expect("readers are not blocked by the lock"), 1, "nothing written");
    blocker.rollback().expect("releases");
    writer.append(&batch(1, 2), &checkpoint(2)).expect("the retried batch commits");
    assert_eq!(reader.size().expect("size"), 2);
}

#[test]
fn a_serialization_failure_fails_the_append_without_writing() {
    let schema = common::Schema::new("serial");
    // A database whose transactions default to SERIALIZABLE: the append
    // then fails on a concurrent change to the head instead of re-reading it.
    let url = schema.url_with("%20-cdefault_transaction_isolation%3Dserializable");
    let log = connect(&url, PgLimits::default()).expect("connects");
    let (mut writer, reader) = log.open().expect("opens");
    writer.append(&batch(0, 1), &checkpoint(1)).expect("appends");
    let mut admin = common::admin();
    let mut rival = admin.transaction().expect("begins");
    rival.batch_execute(&format!("UPDATE {}.log_head SET term = term", schema.name)).expect("holds the head");
    let pid = writer.backend_pid();
    let err = std::thread::scope(|s| {
        let appending = s.spawn(|| writer.append(&batch(1, 2), &checkpoint(2)));
        let mut watcher = common::admin();
        until_waiting_on_a_lock(&mut watcher, pid);
        rival.commit().expect("the rival commits");
        appending.join().expect("append thread").expect_err("a serialization failure")
    });
    assert!(err.to_string().contains("serialization failure"), "{err}");
    assert_eq!(reader.size().expect("size"), 1, "nothing written");
    writer.append(&batch(1, 2), &checkpoint(2)).expect("the retried batch commits");
    assert_eq!(reader.size().expect("size"), 2);
}

#[test]
fn a_newer_schema_is_refused() {
    let schema = common::Schema::new("newer");
    connect(&schema.url(), PgLimits::default()).expect("creates the schema");
    common::admin()
        .batch_execute(&format!("INSERT INTO {}.corridor_migrations (version) VALUES (1000)", schema.name))
        .expect("pretends a newer build migrated");
    let err = connect(&schema.url(), PgLimits::default()).expect_err("refused");
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[test]
fn two_nodes_migrating_at_once_apply_each_step_once() {
    let schema = common::Schema::new("race");
    let url = schema.url();
    std::thread::scope(|s| {
        let nodes: Vec<_> =
            (0..4).map(|_| s.spawn(|| connect(&url, PgLimits::default()).map(|_| ()))).collect();
        for n in nodes {
            n.join().expect("thread").expect("every node connects");
        }
    });
    let steps: i64 = common::admin()
        .query_one(&format!("SELECT count(*) FROM {}.corridor_migrations", schema.name), &[])
        .expect("count")
        .get(0);
    assert_eq!(steps, i64::from(corridor_store_postgres::SCHEMA_VERSION));
}

#[test]
fn a_missing_schema_is_named() {
    let schema = common::Schema::new("missing");
    let url = schema.url().replace(&format!("%3D{}", schema.name), "%3Dno_such_schema_here");
    let err = connect(&url, PgLimits::default()).expect_err("refused");
    assert!(err.to_string().contains("search_path"), "{err}");
}

/// A TCP relay to the database that, once armed, passes on the next
/// `COMMIT` a client sends and then cuts that connection before the
/// server's answer can come back: the ambiguous commit, for real.
struct CommitCutter {
    port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl CommitCutter {
    fn start(upstream: std::net::SocketAddr) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let armed = std::sync::Arc::new(AtomicBool::new(false));
        let trigger = armed.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(upstream) else { return };
                let (mut c_read, mut s_write) =
                    (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                let (mut s_read, mut c_write) = (server, client);
                let trigger = trigger.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 64 * 1024];
                    while let Ok(n @ 1..) = std::io::Read::read(&mut c_read, &mut buf) {
                        if std::io::Write::write_all(&mut s_write, &buf[..n]).is_err() {
                            return;
                        }
                        let commit = buf[..n].windows(7).any(|w| w == b"COMMIT\0");
                        if commit && trigger.swap(false, Ordering::SeqCst) {
                            let _ = c_read.shutdown(std::net::Shutdown::Both);
                            let _ = s_write.shutdown(std::net::Shutdown::Write);
                            return;
                        }
                    }
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                });
            }
        });
        Self { port, armed }
    }

    fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The connection drops after `COMMIT` was sent: the writer cannot know
/// whether the batch is in, so it must fail the append as ambiguous (never
/// as "nothing written", never retried), and the store must hold the whole
/// batch with its checkpoint or none of it.
#[test]
fn a_connection_lost_at_commit_is_reported_ambiguous_and_leaves_all_or_nothing() {
    let schema = common::Schema::new("atcommit");
    let base = common::base_url();
    let cutter = CommitCutter::start("127.0.0.1:5432".parse().expect("addr"));
    let url = schema.url().replace("127.0.0.1:5432", &format!("127.0.0.1:{}", cutter.port));
    assert_ne!(url, schema.url(), "the URL goes through the relay ({base})");
    let log = connect(&url, PgLimits::default()).expect("connects through the relay");
    let (mut writer, _) = log.open().expect("opens");
    writer.append(&batch(0, 2), &checkpoint(2)).expect("appends");
    cutter.arm();
    let err = writer.append(&batch(2, 5), &checkpoint(5)).expect_err("the answer to COMMIT never arrives");
    assert!(matches!(err, StoreError::Backend(_)), "ambiguous, not {err:?}");
    // Read directly, not through the relay.
    let reader = connect(&schema.url(), PgLimits::default()).expect("connects").reader();
    let size = reader.size().expect("size");
    assert!(size == 2 || size == 5, "all of the batch or none: {size}");
    assert_eq!(reader.entries(0, 10).expect("entries").len() as u64, size);
    assert_eq!(reader.latest_checkpoint().expect("checkpoint").map(|c| c.size), Some(size));
    // The writer finds out on its next call, under its own term.
    let next = batch(size, size + 1);
    writer.append(&next, &checkpoint(size + 1)).expect("appends after re-reading the head");
    assert_eq!(reader.size().expect("size"), size + 1);
}
