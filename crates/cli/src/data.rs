//! The data directory: `corridor.db` (the log), `config.json` (origin, operator),
//! `keys/log.key` (the log's signing key) and `keys/<operator>.key` (the
//! operator party's key, used by the CLI only — the server never loads it).
//!
//! A lock file keeps two processes from writing the same log.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use corridor_note::SignerKey;
use corridor_service::{Limits, Service, SystemClock};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub origin: String,
    pub operator: String,
}

#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("corridor.db")
    }

    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
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

    pub fn write_config(&self, config: &Config) -> Result<()> {
        write_new(&self.config_path(), serde_json::to_string_pretty(config)?.as_bytes(), false)
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
                "{} is in use by another corridor process (a running server?); use --server URL to submit through it",
                self.root.display()
            ),
        }
    }

    /// Opens the log in this process and starts its sequencer. Holds the lock.
    pub fn open_service(&self) -> Result<(Service, File)> {
        let lock = self.lock()?;
        let (writer, reader) = corridor_store_sqlite::open(&self.db())?;
        let service = Service::start(
            Box::new(writer),
            Arc::new(reader),
            self.log_key()?,
            Arc::new(SystemClock),
            Limits::default(),
        )?;
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
