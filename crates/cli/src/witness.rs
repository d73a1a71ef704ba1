//! `corridor witness`: a C2SP tlog-witness with its own data directory.
//!
//! `DIR/witness.key` holds the witness's cosignature key (owner-readable only),
//! `DIR/witness.vkey` its verifier key, and `DIR/witness.db` the logs it
//! follows, the latest checkpoint it cosigned for each, and fork evidence.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::io::Write as _;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::cosignature::CosignerSigner;
use corridor_note::VerifierKey;
use corridor_service::SystemClock;
use corridor_witness::{Witness, WitnessLimits, WitnessStore};

use crate::data::write_new;

#[derive(Debug, clap::Subcommand)]
pub enum WitnessCommand {
    /// Create a witness data directory and key; prints the witness's vkey.
    Init {
        #[arg(long)]
        data: PathBuf,
        /// The witness's name (its key's name), e.g. witness.example/w1.
        #[arg(long)]
        name: String,
    },
    /// Follow a log, given its verifier key (whose name is the log's origin).
    AddLog {
        #[arg(long)]
        data: PathBuf,
        /// The log's origin; must be the vkey's name (the default).
        #[arg(long)]
        origin: Option<String>,
        #[arg(long)]
        vkey: String,
    },
    /// The logs this witness follows and what it last cosigned for each.
    ListLogs {
        #[arg(long)]
        data: PathBuf,
    },
    /// Serve `POST /add-checkpoint` (C2SP tlog-witness).
    Serve {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: String,
        #[command(flatten)]
        limits: WitnessArgs,
    },
    /// Print every refused checkpoint that carried a valid log signature: proof of a fork.
    Forks {
        #[arg(long)]
        data: PathBuf,
    },
}

/// The witness's own limits; the connection limits are the server's defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct WitnessArgs {
    /// Requests handled at once; beyond, 503 with Retry-After.
    #[arg(long, default_value_t = WitnessLimits::default().max_in_flight as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_in_flight: u32,
    /// Requests one client address may have in flight at once; beyond, 429.
    #[arg(long, default_value_t = WitnessLimits::default().max_in_flight_per_client as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_in_flight_per_client: u32,
    /// Seconds from a request head to the last byte of its body; then 408.
    #[arg(long, default_value_t = WitnessLimits::default().body_read_timeout.as_secs_f64())]
    body_read_timeout_s: f64,
    /// Requests per second one client address may make on average; beyond, 429.
    #[arg(long, default_value_t = WitnessLimits::default().rate_per_client)]
    rate_per_client: f64,
    /// Requests one client address may make in a burst.
    #[arg(long, default_value_t = WitnessLimits::default().burst_per_client)]
    burst_per_client: f64,
}

impl WitnessArgs {
    fn limits(&self) -> Result<WitnessLimits> {
        for (name, v) in
            [("--rate-per-client", self.rate_per_client), ("--burst-per-client", self.burst_per_client)]
        {
            if !(1.0..=1e6).contains(&v) {
                bail!("{name} must be between 1 and 1000000");
            }
        }
        if !(0.1..=3600.0).contains(&self.body_read_timeout_s) {
            bail!("--body-read-timeout-s must be between 0.1 and 3600");
        }
        Ok(WitnessLimits {
            max_in_flight: self.max_in_flight as usize,
            max_in_flight_per_client: self.max_in_flight_per_client as usize,
            body_read_timeout: std::time::Duration::from_secs_f64(self.body_read_timeout_s),
            rate_per_client: self.rate_per_client,
            burst_per_client: self.burst_per_client,
        })
    }
}

impl Default for WitnessArgs {
    fn default() -> Self {
        let d = WitnessLimits::default();
        Self {
            max_in_flight: d.max_in_flight as u32,
            max_in_flight_per_client: d.max_in_flight_per_client as u32,
            body_read_timeout_s: d.body_read_timeout.as_secs_f64(),
            rate_per_client: d.rate_per_client,
            burst_per_client: d.burst_per_client,
        }
    }
}

pub async fn run(command: WitnessCommand) -> Result<()> {
    match command {
        WitnessCommand::Init { data, name } => {
            let key = init(&data, &name)?;
            println!("{}", key.verifier().to_vkey());
            Ok(())
        }
        WitnessCommand::AddLog { data, origin, vkey } => add_log(&data, origin.as_deref(), &vkey),
        WitnessCommand::ListLogs { data } => list_logs(&data),
        WitnessCommand::Serve { data, listen, limits } => {
            let (addr, serving) = serve(&data, &listen, &limits, shutdown_signal()).await?;
            println!("witness listening on http://{addr}");
            serving.await
        }
        WitnessCommand::Forks { data } => forks(&data),
    }
}

fn key_path(data: &Path) -> PathBuf {
    data.join("witness.key")
}

fn store(data: &Path) -> Result<WitnessStore> {
    if !key_path(data).exists() {
        bail!("{} is not a witness data directory (run `corridor witness init`)", data.display());
    }
    WitnessStore::open(&data.join("witness.db")).context("opening the witness store")
}

/// Creates the data directory and key.
pub fn init(data: &Path, name: &str) -> Result<CosignerSigner> {
    if key_path(data).exists() {
        bail!("{} already holds a witness", data.display());
    }
    if data.join("corridor.db").exists() || data.join("config.json").exists() {
        bail!("{} holds a log; give a witness its own directory", data.display());
    }
    let key = CosignerSigner::from_seed(name, rand::random())
        .with_context(|| format!("{name:?} is not a valid key name"))?;
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    write_new(&key_path(data), format!("{}\n", key.to_private_text()).as_bytes(), true)?;
    write_new(&data.join("witness.vkey"), format!("{}\n", key.verifier().to_vkey()).as_bytes(), false)?;
    WitnessStore::open(&data.join("witness.db"))?;
    eprintln!("initialised witness {name} in {}", data.display());
    Ok(key)
}

pub fn add_log(data: &Path, origin: Option<&str>, vkey: &str) -> Result<()> {
    let vkey =
        VerifierKey::parse(vkey.trim()).context("--vkey is not a log verifier key (name+id+base64)")?;
    if vkey.is_weak() {
        bail!("--vkey is a weak or non-canonical key");
    }
    if let Some(o) = origin.filter(|o| *o != vkey.name()) {
        bail!(
            "the origin {o:?} is not the vkey's name {:?}; a log's key is named after its origin",
            vkey.name()
        );
    }
    store(data)?.add_log(&vkey)?;
    eprintln!("following {}", vkey.name());
    Ok(())
}

fn list_logs(data: &Path) -> Result<()> {
    for log in store(data)?.logs()? {
        match log.latest {
            Some((size, root, at)) => {
                println!(
                    "{}\t{}\tsize {size}\troot {}\tcosigned at {}",
                    log.origin,
                    log.vkey,
                    B64.encode(root),
                    crate::keys::posix_rfc3339(at)
                )
            }
            None => println!("{}\t{}\tnothing cosigned yet", log.origin, log.vkey),
        }
    }
    Ok(())
}

fn forks(data: &Path) -> Result<()> {
    let forks = store(data)?.forks()?;
    if forks.is_empty() {
        eprintln!("no fork evidence");
        return Ok(());
    }
    // Written through a handle, so that a closed pipe (`| head`) ends the
    // listing instead of panicking.
    let mut out = std::io::stdout().lock();
    for (i, f) in forks.iter().enumerate() {
        let at = crate::keys::posix_rfc3339(f.received_at);
        let written = write!(
            out,
            "# fork evidence {} of {}: log {}, received at {at}\n# {}: {}\n\
             # the checkpoint this witness had cosigned:\n{}\
             # the add-checkpoint request refused (old size, proof, checkpoint):\n{}\n",
            i + 1,
            forks.len(),
            f.origin,
            if f.proven {
                "PROVEN: the log signed two roots for one size"
            } else {
                "unproven: its consistency proof failed (a fork, or a wrong proof with an honest checkpoint)"
            },
            f.reason,
            f.held_note,
            f.request
        );
        if written.is_err() {
            break;
        }
    }
    Ok(())
}

/// Binds and starts serving; returns the address and the serving future.
pub async fn serve(
    data: &Path,
    listen: &str,
    args: &WitnessArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(std::net::SocketAddr, impl std::future::Future<Output = Result<()>>)> {
    let store = Arc::new(store(data)?);
    let lock =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(data.join("lock"))?;
    if lock.try_lock().is_err() {
        bail!("{} is in use by another witness process", data.display());
    }
    let text = std::fs::read_to_string(key_path(data)).context("reading the witness key")?;
    let key = CosignerSigner::parse(&text).context("the witness key file is not a cosignature key")?;
    let logs = store.logs()?;
    let witness = Arc::new(Witness::new(store, key.clone(), Arc::new(SystemClock), args.limits()?));
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("witness {} ({} logs), vkey {}", key.name(), logs.len(), key.verifier().to_vkey());
    let router = corridor_witness::router(witness);
    let limits = corridor_api::HttpLimits::default();
    Ok((addr, async move {
        // Held for as long as the witness serves: a second process on this
        // directory is refused above.
        let _lock = lock;
        corridor_api::serve(listener, router, &limits, shutdown).await.map_err(Into::into)
    }))
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
