//! What the end-to-end tests share: the binary, and a server child process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_corridor");

/// Runs `corridor` to completion: (success, stdout, stderr).
pub fn corridor(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).current_dir(cwd).output().expect("runs corridor");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `corridor`, which must succeed; returns its stdout.
pub fn ok(args: &[&str], cwd: &Path) -> String {
    let (success, stdout, stderr) = corridor(args, cwd);
    assert!(success, "corridor {args:?} failed: {stderr}");
    stdout
}

/// A running `corridor serve`; killed with SIGKILL on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(data: &Path) -> Self {
        let data = data.to_str().expect("utf8");
        start_with(&["serve", "--data", data, "--listen", "127.0.0.1:0"], Path::new("."))
    }

    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `corridor demo` (or serve) child started with its own arguments.
pub fn start_with(args: &[&str], cwd: &Path) -> Server {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    // `corridor serve` prints "listening on URL", `corridor witness serve` "witness listening on URL".
    while !line.contains("listening on ") {
        line.clear();
        assert!(reader.read_line(&mut line).expect("reads") > 0, "exited before listening");
    }
    let url = line.trim().rsplit("listening on ").next().expect("url").to_owned();
    Server { child, url }
}

/// A schema of its own on the test PostgreSQL (`CORRIDOR_TEST_POSTGRES`,
/// else the one `scripts/ci-postgis.sh` starts), dropped with its tables on
/// drop. Fails, never skips, when PostgreSQL cannot be reached.
pub struct PgSchema {
    pub name: String,
}

fn pg_base_url() -> String {
    std::env::var("CORRIDOR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `sql` as the test database's superuser. The blocking driver must
/// not run on a tokio worker as it is (the tests are async), hence
/// `block_in_place`.
fn pg_admin(sql: &str) -> Result<(), postgres::Error> {
    tokio::task::block_in_place(|| pg_client().batch_execute(sql))
}

fn pg_client() -> postgres::Client {
    let url = pg_base_url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} cannot be reached ({e}): run `bash scripts/ci-postgis.sh`")
    })
}

impl PgSchema {
    pub fn new(tag: &str) -> Self {
        let name = format!("corridor_test_{tag}_{:016x}", rand::random::<u64>());
        pg_admin(&format!("CREATE SCHEMA {name}")).expect("creates the schema");
        Self { name }
    }

    /// A `--store` URL for the schema.
    pub fn url(&self) -> String {
        format!("{}?options=-csearch_path%3D{}&application_name={}", pg_base_url(), self.name, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = pg_admin(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}
