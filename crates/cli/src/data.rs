//! The data directory: `corridor.db` (the log), `config.json` (origin, operator,
//! and the log's store when it is not `corridor.db`), `keys/log.key` (the log's
//! signing key) and `keys/<operator>.key` (the operator party's key, used by the
//! CLI only — the server never loads it).
//!
//! A lock file keeps two processes from writing the same log through one
//! directory. A log in PostgreSQL is shared by the directories of every node;
//! there the database fences all writers but the latest
//! (`corridor-store-postgres`).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use corridor_note::{SignerKey, VerifierKey};
use corridor_service::{Limits, Service, SnapshotPolicy, SystemClock};
use corridor_store::{LogReader, LogWriter};
use corridor_store_postgres::{is_postgres_url, PgLimits};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub origin: String,
    pub operator: String,
    /// The log's store (`postgres://…`), when it is not the directory's
    /// `corridor.db`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// A cluster node's connection limits. `CORRIDOR_TEST_UNFENCED=1` switches
/// the fence off ([`PgLimits::unfenced`]): only the failover test's
/// negative control sets it, and the node says so loudly.
fn node_limits() -> PgLimits {
    let unfenced = std::env::var_os("CORRIDOR_TEST_UNFENCED").is_some_and(|v| v == "1");
    if unfenced {
        eprintln!(
            "corridor: WARNING: CORRIDOR_TEST_UNFENCED=1: this node writes without the fence (tests only)"
        );
    }
    PgLimits { unfenced, ..PgLimits::default() }
}

/// Where a log is kept; `--store` names it, and its scheme picks the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// An SQLite file (`sqlite:PATH`, or the data directory's `corridor.db`).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://` or `postgresql://`, a libpq URI).
    Postgres(String),
}

/// A log's writer and a reader, from whichever backend holds it.
pub type Opened = (Box<dyn LogWriter>, Arc<dyn LogReader>);

impl Store {
    pub fn parse(text: &str) -> Result<Self> {
        if is_postgres_url(text) {
            return Ok(Self::Postgres(text.to_owned()));
        }
        match text.strip_prefix("sqlite:") {
            Some(path) if !path.is_empty() => Ok(Self::Sqlite(PathBuf::from(path))),
            _ => bail!("--store {text:?}: expected postgres://… (or postgresql://…) or sqlite:PATH"),
        }
    }

    /// A name for messages; never the URL, which may hold a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("SQLite {}", path.display()),
            Self::Postgres(_) => "PostgreSQL".into(),
        }
    }

    /// The log's writer and a reader. Unless `new_log` (`init`), the store
    /// must hold a log whose latest checkpoint `log_vkey` signed, and this
    /// is checked before the writer is opened: in PostgreSQL, opening it
    /// fences the writer that may be serving the log, which a mistyped
    /// `--store` or another directory's key must never do.
    pub fn open(&self, log_vkey: &VerifierKey, new_log: bool) -> Result<Opened> {
        match self {
            Self::Sqlite(path) => {
                if !new_log && !path.exists() {
                    bail!("no log at {} (run corridor init)", path.display());
                }
                let (w, r) = corridor_store_sqlite::open(path)?;
                if !new_log {
                    self.check_log(&r, log_vkey)?;
                }
                Ok((Box::new(w), Arc::new(r)))
            }
            Self::Postgres(url) => {
                let log = if new_log {
                    corridor_store_postgres::connect(url, PgLimits::default())?
                } else {
                    corridor_store_postgres::connect_existing(url, PgLimits::default())?
                };
                let r = log.reader();
                if !new_log {
                    self.check_log(&r, log_vkey)?;
                }
                Ok((Box::new(log.writer()?), Arc::new(r)))
            }
        }
    }

    /// A cluster node's part in a PostgreSQL log: its elector, calling
    /// itself `holder`, and a reader. Checks the log as [`Store::open`]
    /// does; takes nothing from the node serving it.
    pub fn open_node(
        &self,
        log_vkey: &VerifierKey,
        holder: &str,
        instance: &str,
        lease: std::time::Duration,
    ) -> Result<(Box<dyn corridor_store::Elector>, Arc<dyn LogReader>)> {
        let Self::Postgres(url) = self else {
            bail!("{} is written by one process; only a PostgreSQL log has several nodes", self.describe())
        };
        let log = corridor_store_postgres::connect_existing(url, node_limits())?;
        let reader = log.reader();
        self.check_log(&reader, log_vkey)?;
        Ok((Box::new(log.elector(holder, instance, lease)), Arc::new(reader)))
    }

    /// Refuses a store holding no log, or one not signed by `log_vkey`.
    fn check_log(&self, reader: &dyn LogReader, log_vkey: &VerifierKey) -> Result<()> {
        let Some(latest) = reader.latest_checkpoint()? else {
            bail!("{} holds no log (run corridor init)", self.describe())
        };
        corridor_tlog::SignedCheckpoint::open(&latest.note, log_vkey).map_err(|e| {
            anyhow::anyhow!(
                "the log in {} is not signed by this directory's log key ({e}): does --store name another log?",
                self.describe()
            )
        })?;
        Ok(())
    }

    /// Read access only (an audit of a shared log must not fence its
    /// writer), to a log that exists.
    pub fn reader(&self) -> Result<Arc<dyn LogReader>> {
        let reader: Arc<dyn LogReader> = match self {
            Self::Sqlite(path) if !path.exists() => bail!("no log at {} (run corridor init)", path.display()),
            Self::Sqlite(path) => Arc::new(corridor_store_sqlite::open(path)?.1),
            Self::Postgres(url) => {
                Arc::new(corridor_store_postgres::connect_existing(url, PgLimits::default())?.reader())
            }
        };
        if reader.size()? == 0 {
            bail!("{} holds no log (run corridor init)", self.describe());
        }
        Ok(reader)
    }

    /// The number of entries a store already holds, for `init` (which
    /// refuses a store that holds any); creates a PostgreSQL schema's tables.
    pub fn existing_entries(&self) -> Result<u64> {
        Ok(match self {
            Self::Sqlite(path) if !path.exists() => 0,
            Self::Sqlite(path) => corridor_store_sqlite::open(path)?.1.size()?,
            Self::Postgres(url) => {
                corridor_store_postgres::connect(url, PgLimits::default())?.reader().size()?
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    /// `--store`, overriding the directory's own.
    store: Option<Store>,
    /// Whether the log is being created (`init`): it may be empty.
    new_log: bool,
}

impl DataDir {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_owned(), store: None, new_log: false }
    }

    /// The directory `init` is creating, whose log may still be empty.
    pub fn for_new_log(mut self) -> Self {
        self.new_log = true;
        self
    }

    /// The directory, with its log in `store` rather than where its
    /// config says.
    pub fn with_store(mut self, store: Option<Store>) -> Self {
        self.store = store;
        self
    }

    /// Where the log is: `--store`, else the config's, else `corridor.db`.
    pub fn store(&self) -> Result<Store> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        match self.config()?.store {
            Some(text) => Store::parse(&text).context("the store in config.json"),
            None => Ok(Store::Sqlite(self.db())),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("corridor.db")
    }

    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// Where this directory's snapshots of the state are kept (whatever the store).
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    pub fn log_key_path(&self) -> PathBuf {
        self.keys().join("log.key")
    }

    pub fn party_key_path(&self, party: &str) -> PathBuf {
        self.keys().join(format!("{party}.key"))
    }

    fn config_path(&self) -> PathBuf {
        self.root.join("config.json")
    }

    pub fn exists(&self) -> bool {
        self.config_path().exists()
    }

    pub fn config(&self) -> Result<Config> {
        let path = self.config_path();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("{} is not a Corridor data directory (run `corridor init`)", self.root.display())
        })?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Writes `config.json`, readable by the owner only when it names a
    /// store (a URL may hold a password).
    pub fn write_config(&self, config: &Config) -> Result<()> {
        let secret = config.store.is_some();
        write_new(&self.config_path(), serde_json::to_string_pretty(config)?.as_bytes(), secret)
    }

    pub fn log_key(&self) -> Result<SignerKey> {
        read_key(&self.log_key_path())
    }

    pub fn operator_key(&self) -> Result<SignerKey> {
        read_key(&self.party_key_path(&self.config()?.operator))
    }

    /// Takes the directory's write lock, or fails if another process holds it.
    pub fn lock(&self) -> Result<File> {
        let path = self.root.join("lock");
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(_) => bail!(
                "{} is in use by another corridor process (a running server?): stop it first, or submit through it with `corridor submit --server URL`",
                self.root.display()
            ),
        }
    }

    /// Opens the log as one node of a cluster ([`Service::start_node`]).
    /// Holds the lock.
    pub fn open_node(
        &self,
        node: corridor_service::NodeConfig,
        lease: std::time::Duration,
    ) -> Result<(Service, File)> {
        let lock = self.lock()?;
        let (elector, reader) =
            self.store()?.open_node(&self.log_key()?.verifier(), &node.holder, &node.instance, lease)?;
        let service = Service::start_node(
            elector,
            reader,
            self.log_key()?,
            Arc::new(SystemClock),
            Limits::default(),
            node,
        )?;
        Ok((service, lock))
    }

    /// Opens the log in this process and starts its sequencer, recovering
    /// from the latest usable snapshot and making them by the default policy.
    /// Holds the lock.
    pub fn open_service(&self) -> Result<(Service, File)> {
        self.open_service_with(Some(SnapshotPolicy::in_dir(self.snapshots())))
    }

    /// [`DataDir::open_service`] with this snapshot policy (none: replay
    /// from genesis, make none).
    pub fn open_service_with(&self, snapshots: Option<SnapshotPolicy>) -> Result<(Service, File)> {
        let lock = self.lock()?;
        let (writer, reader) = self.store()?.open(&self.log_key()?.verifier(), self.new_log)?;
        let (key, clock) = (self.log_key()?, Arc::new(SystemClock));
        let service = Service::start_with(writer, reader, key, clock, Limits::default(), snapshots)?;
        Ok((service, lock))
    }
}

/// Reads a private key file (`PRIVATE+KEY+name+id+data`).
pub fn read_key(path: &Path) -> Result<SignerKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading key file {}", path.display()))?;
    SignerKey::parse(text.trim())
        .with_context(|| format!("{} is not a signed-note private key", path.display()))
}

/// Writes a file that must not exist yet; key files are readable by the owner only.
pub fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f =
        opts.open(path).with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Generates a fresh key from the operating system's randomness.
pub fn generate_key(name: &str) -> Result<SignerKey> {
    let seed: [u8; 32] = rand::random();
    SignerKey::from_seed(name, seed).with_context(|| format!("{name:?} is not a valid key name"))
}
