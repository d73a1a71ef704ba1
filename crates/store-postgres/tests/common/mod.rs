//! A fresh schema per test on the PostgreSQL of `scripts/ci-postgis.sh`
//! (`CORRIDOR_TEST_POSTGRES` overrides the URL). Fails, never skips, when
//! the database cannot be reached.

use postgres::{Client, NoTls};

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn base_url() -> String {
    std::env::var("CORRIDOR_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

pub fn admin() -> Client {
    let url = base_url();
    Client::connect(&url, NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} cannot be reached ({e}): run `bash scripts/ci-postgis.sh`")
    })
}

/// A schema of its own, dropped with everything in it when this is dropped.
pub struct Schema {
    pub name: String,
}

impl Schema {
    pub fn new(tag: &str) -> Self {
        let name = format!("corridor_test_{tag}_{:016x}", rand::random::<u64>());
        admin().batch_execute(&format!("CREATE SCHEMA {name}")).expect("creates the schema");
        Self { name }
    }

    /// The log's URL: the schema through `search_path`, and an application
    /// name of its own so that a test can find its connections.
    pub fn url(&self) -> String {
        self.url_with("")
    }

    /// [`Self::url`] with more `-c` settings in `options` (`%20`-separated).
    pub fn url_with(&self, more_options: &str) -> String {
        let sep = if base_url().contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}options=-csearch_path%3D{}{more_options}&application_name={}",
            base_url(),
            self.name,
            self.name
        )
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// Entries `[start, end)` with made-up hashes and bytes.
#[allow(dead_code)] // each test file uses what it needs
pub fn batch(start: u64, end: u64) -> Vec<corridor_store::NewEntry> {
    (start..end)
        .map(|i| corridor_store::NewEntry {
            index: i,
            leaf_hash: [i as u8; 32],
            bytes: format!("entry {i}").into_bytes(),
        })
        .collect()
}

/// A checkpoint note for `size` (the store does not open notes).
#[allow(dead_code)]
pub fn checkpoint(size: u64) -> corridor_store::StoredCheckpoint {
    corridor_store::StoredCheckpoint { size, note: format!("origin\n{size}\nroot\n\n— sig\n") }
}
