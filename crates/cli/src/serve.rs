//! `init` and `serve`.

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;

use crate::data::{generate_key, write_new, Config, DataDir, Store};
use crate::keys::{sign_statement, submit_direct};

pub async fn init(
    data: &Path,
    store: Option<Store>,
    origin: &str,
    operator: &str,
    operator_name: &str,
) -> Result<()> {
    let dir = DataDir::new(data).for_new_log();
    if dir.exists() {
        bail!("{} already holds a Corridor log", data.display());
    }
    if !corridor_statement::statement::valid_party_id(operator) {
        bail!("operator {operator:?} is not a party id ([a-z0-9][a-z0-9.-]*)");
    }
    corridor_note::validate_name(origin).map_err(|e| anyhow::anyhow!("origin {origin:?}: {e}"))?;
    let store = match store {
        // Recorded absolute, so that serve finds it from any directory.
        Some(Store::Sqlite(path)) => Some(Store::Sqlite(std::path::absolute(&path)?)),
        other => other,
    };
    if let Some(store) = &store {
        let entries = store.existing_entries()?;
        if entries > 0 {
            let noun = if entries == 1 { "entry" } else { "entries" };
            bail!("{} already holds a log ({entries} {noun}): name another store", store.describe());
        }
    }
    let created = !data.exists();
    let made = create(&dir, store.as_ref(), origin, operator, operator_name).await;
    if made.is_err() && created {
        // Leave nothing behind that names a log this init did not make.
        let _ = std::fs::remove_dir_all(data);
    }
    let log_vkey = made?;
    eprintln!("initialised {} (origin {origin}, operator {operator})", data.display());
    eprintln!("operator key: {}", dir.party_key_path(operator).display());
    println!("{log_vkey}");
    Ok(())
}

/// Writes the keys and the config, and logs the genesis entry; returns the
/// log's verifier key.
async fn create(
    dir: &DataDir,
    store: Option<&Store>,
    origin: &str,
    operator: &str,
    operator_name: &str,
) -> Result<String> {
    std::fs::create_dir_all(dir.keys()).with_context(|| format!("creating {}", dir.keys().display()))?;
    let log_key = generate_key(origin)?;
    write_new(&dir.log_key_path(), format!("{}\n", log_key.to_private_text()).as_bytes(), true)?;
    let operator_key = generate_key(operator)?;
    write_new(
        &dir.party_key_path(operator),
        format!("{}\n", operator_key.to_private_text()).as_bytes(),
        true,
    )?;
    let url = match store {
        Some(Store::Postgres(url)) => Some(url.clone()),
        Some(Store::Sqlite(path)) => Some(format!("sqlite:{}", path.display())),
        None => None,
    };
    dir.write_config(&Config { origin: origin.to_owned(), operator: operator.to_owned(), store: url })?;
    // Genesis: the operator registers itself, so any replayer learns who the operator is.
    let body = json!({"id": operator, "name": operator_name, "kind": "coordination", "keys": [operator_key.verifier().to_vkey()]});
    let genesis = sign_statement(&operator_key, "party.register", "genesis", body)?;
    submit_direct(dir, &genesis).await?;
    Ok(log_key.verifier().to_vkey())
}

/// The HTTP layer's limits (ARCHITECTURE.md, Limits); each left out keeps
/// `corridor_api::HttpLimits::default()`, which suits a public server.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Open connections at once [default: 1024].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: Option<u32>,
    /// Open connections from one client address, an IPv4 address or IPv6 /64 [default: 256].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections_per_client: Option<u32>,
    /// Seconds from the first byte of a request head to its last [default: 10].
    #[arg(long, value_parser = seconds)]
    header_read_timeout_s: Option<std::time::Duration>,
    /// Seconds a connection may wait for the first byte of a request [default: 60].
    #[arg(long, value_parser = seconds)]
    idle_timeout_s: Option<std::time::Duration>,
    /// Seconds from a request head to the last byte of its body [default: 30].
    #[arg(long, value_parser = seconds)]
    body_read_timeout_s: Option<std::time::Duration>,
    /// Seconds a response may wait for the client to read any of it [default: 60].
    #[arg(long, value_parser = seconds)]
    send_stall_timeout_s: Option<std::time::Duration>,
    /// Seconds between keep-alive comments on an idle event stream [default: 15].
    #[arg(long, value_parser = seconds)]
    event_keep_alive_s: Option<std::time::Duration>,
}

impl HttpArgs {
    pub fn limits(&self) -> corridor_api::HttpLimits {
        let d = corridor_api::HttpLimits::default();
        corridor_api::HttpLimits {
            max_connections: self.max_connections.map_or(d.max_connections, |n| n as usize),
            max_connections_per_client: self
                .max_connections_per_client
                .map_or(d.max_connections_per_client, |n| n as usize),
            header_read_timeout: self.header_read_timeout_s.unwrap_or(d.header_read_timeout),
            idle_timeout: self.idle_timeout_s.unwrap_or(d.idle_timeout),
            body_read_timeout: self.body_read_timeout_s.unwrap_or(d.body_read_timeout),
            send_stall_timeout: self.send_stall_timeout_s.unwrap_or(d.send_stall_timeout),
            event_keep_alive: self.event_keep_alive_s.unwrap_or(d.event_keep_alive),
            ..d
        }
    }
}

/// Seconds, as a positive decimal of at most a day.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(std::time::Duration::from_secs_f64(s)),
        _ => Err(format!("{text:?} is not a number of seconds in (0, 86400]")),
    }
}

/// Witness options of `serve` and `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct WitnessPolicyArgs {
    /// A C2SP tlog-policy file naming the witnesses (with their submission
    /// URLs) and the quorum: checkpoints are sent to them, and /checkpoint
    /// serves only checkpoints the quorum cosigned.
    #[arg(long)]
    pub witness_policy: Option<std::path::PathBuf>,
    /// Milliseconds between rounds of sending the latest checkpoint to the witnesses.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub witness_interval_ms: u64,
}

impl WitnessPolicyArgs {
    /// Reads and parses the policy file, if one was given.
    pub fn policy(&self) -> Result<Option<corridor_tlog::policy::Policy>> {
        let Some(path) = &self.witness_policy else { return Ok(None) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let policy = corridor_tlog::policy::Policy::parse(&text)
            .with_context(|| format!("{} is not a C2SP tlog-policy", path.display()))?;
        Ok(Some(policy))
    }

    pub fn cosigner(&self) -> corridor_cosigner::CosignerConfig {
        corridor_cosigner::CosignerConfig {
            interval: std::time::Duration::from_millis(self.witness_interval_ms),
            ..Default::default()
        }
    }
}

/// How a node of a cluster (a log in PostgreSQL) takes part.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// For a log in PostgreSQL, where every node is one of a cluster: the
    /// URL the other nodes reach this one at, to forward submissions while
    /// it leads [default: http:// and the address it listens on].
    #[arg(long)]
    advertise: Option<String>,
    /// Milliseconds a leader's lease lasts: a leader that stops renewing it
    /// (stopped, cut off from the database) is replaced after this.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    lease_ms: u64,
    /// Milliseconds a follower waits for news of the log before it looks
    /// at the database anyway (appends notify it at once).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    poll_ms: u64,
}

/// When `serve` makes snapshots of the state (`DATA/snapshots`), from
/// which a restart folds only the log's tail.
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotArgs {
    /// Make a snapshot once this many entries were logged since the last:
    /// a restart then folds at most about this many.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    snapshot_every_entries: u64,
    /// Or once this many seconds have passed since the last, if anything was logged.
    #[arg(long, default_value_t = 3_600, value_parser = clap::value_parser!(u64).range(1..))]
    snapshot_every_secs: u64,
    /// Snapshots kept; older ones are removed.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
    snapshot_keep: u64,
    /// Make no snapshots and use none: every restart replays the whole log.
    #[arg(long, conflicts_with_all = ["snapshot_every_entries", "snapshot_every_secs", "snapshot_keep"])]
    no_snapshots: bool,
}

impl Default for SnapshotArgs {
    fn default() -> Self {
        Self {
            snapshot_every_entries: 1_000_000,
            snapshot_every_secs: 3_600,
            snapshot_keep: 2,
            no_snapshots: false,
        }
    }
}

impl SnapshotArgs {
    fn policy(&self, dir: &DataDir) -> Option<corridor_service::SnapshotPolicy> {
        (!self.no_snapshots).then(|| corridor_service::SnapshotPolicy {
            dir: dir.snapshots(),
            every_entries: self.snapshot_every_entries,
            every: std::time::Duration::from_secs(self.snapshot_every_secs),
            keep: self.snapshot_keep as usize,
        })
    }
}

/// `corridor snapshot`: makes a snapshot of the log's state now, at its
/// latest checkpoint, from the latest usable snapshot and the entries after it.
pub fn snapshot_now(data: &Path, store: Option<Store>, keep: usize) -> Result<()> {
    let dir = DataDir::new(data).with_store(store);
    dir.config()?;
    let _lock = dir.lock().map_err(|_| {
        anyhow::anyhow!(
            "{} is in use by another corridor process: stop the server first (it makes snapshots by itself, see serve --snapshot-every-entries)",
            data.display()
        )
    })?;
    let reader = dir.store()?.reader()?;
    let snapshots = corridor_service::Snapshots::new(dir.snapshots());
    let log_vkey = dir.log_key()?.verifier();
    match corridor_service::snapshot::make(&snapshots, reader.as_ref(), &log_vkey, keep)? {
        Some(size) => println!("snapshot of {size} entries written in {}", snapshots.dir().display()),
        None => println!("the latest snapshot already covers the log, or the log is empty; nothing written"),
    }
    Ok(())
}

impl Default for ClusterArgs {
    fn default() -> Self {
        Self { advertise: None, lease_ms: 2_000, poll_ms: 500 }
    }
}

impl ClusterArgs {
    /// The node's configuration, `addr` being where it listens; and its lease.
    fn node(
        &self,
        addr: std::net::SocketAddr,
    ) -> Result<(corridor_service::NodeConfig, std::time::Duration)> {
        let holder = match &self.advertise {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => bail!("--advertise {url:?}: expected an http:// or https:// URL"),
            None if addr.ip().is_unspecified() => {
                bail!("listening on {addr}: name the URL other nodes reach this one at with --advertise")
            }
            None => format!("http://{addr}"),
        };
        let lease = std::time::Duration::from_millis(self.lease_ms);
        let node = corridor_service::NodeConfig {
            holder,
            instance: format!("{:016x}", rand::random::<u64>()),
            poll: std::time::Duration::from_millis(self.poll_ms),
            renew_every: lease / 3,
            snapshots: None,
        };
        Ok((node, lease))
    }
}

pub async fn serve(
    data: &Path,
    store: Option<Store>,
    listen: &str,
    limits: &corridor_api::HttpLimits,
    witnesses: Option<(corridor_tlog::policy::Policy, corridor_cosigner::CosignerConfig)>,
    cluster: &ClusterArgs,
    snapshots: &SnapshotArgs,
) -> Result<()> {
    let dir = DataDir::new(data).with_store(store);
    let config = dir.config()?;
    // Bound first: a node of a cluster advertises where it listens.
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let mut advertised = None;
    let opened = match dir.store()? {
        Store::Postgres(_) => {
            let (mut node, lease) = cluster.node(addr)?;
            node.snapshots = snapshots.policy(&dir);
            eprintln!("corridor: a node of a cluster, advertised as {}", node.holder);
            advertised = Some((node.holder.clone(), node.instance.clone()));
            dir.open_node(node, lease)
        }
        Store::Sqlite(_) => dir.open_service_with(snapshots.policy(&dir)),
    };
    let (service, _lock) = opened.context("recovering the log")?;
    if let Some((policy, cosign)) = witnesses {
        eprintln!("corridor: collecting cosignatures, quorum {}", policy.describe_quorum());
        let clock = std::sync::Arc::new(corridor_service::SystemClock);
        corridor_cosigner::spawn(service.clone(), policy, clock, cosign).context("--witness-policy")?;
    }
    let router = corridor_api::router(service.clone(), limits, console());
    let info = service.log_info().await?;
    eprintln!(
        "corridor: log {} ({} entries, {}), vkey {}",
        config.origin,
        info.size,
        dir.store()?.describe(),
        info.vkey
    );
    println!("listening on http://{addr}");
    tokio::select! {
        served = corridor_api::serve(listener, router, limits, resign_on_shutdown(service.clone())) => Ok(served?),
        fatal = service.failed() => {
            // Memory may be ahead of disk: exit now, and let the restart
            // recover exactly what is durable (see ARCHITECTURE.md, Durability).
            eprintln!("corridor: {fatal}; exiting so that a restart recovers the durable log");
            std::process::exit(EXIT_FATAL)
        }
        wrong = reaches_itself(advertised) => {
            // Other nodes would forward every submission to a URL that is
            // not this node's while it leads: stop now (the lease then runs
            // out) rather than leave the cluster unable to write.
            eprintln!("corridor: {wrong:#}");
            std::process::exit(EXIT_CONFIG)
        }
    }
}

/// The exit code when the configuration is wrong (EX_CONFIG).
pub const EXIT_CONFIG: i32 = 78;

/// Attempts at reaching this node through its advertised URL, a second apart.
const ADVERTISED_ATTEMPTS: u32 = 5;
/// Answers in a row from this node that the check needs: a URL that
/// spreads requests over several nodes (a round-robin proxy) must fail it.
const ADVERTISED_MATCHES: u32 = 3;

/// Returns (an error) only if `advertised` does not reach this node: its
/// `/v1/log` must answer with this run's instance, several times in a row,
/// and never with another's. Pending forever once it has.
async fn reaches_itself(advertised: Option<(String, String)>) -> anyhow::Error {
    let Some((url, instance)) = advertised else { return std::future::pending().await };
    let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(2)).build() {
        Ok(c) => c,
        Err(e) => return anyhow::anyhow!("checking --advertise: {e}"),
    };
    let mut seen = String::from("no answer");
    let (mut attempts, mut matched) = (0, 0);
    while attempts < ADVERTISED_ATTEMPTS {
        let info = match client.get(format!("{url}/v1/log")).send().await {
            Ok(resp) => resp
                .json::<serde_json::Value>()
                .await
                .map_err(|e| format!("an answer that is not /v1/log ({e})")),
            Err(e) => Err(format!("no answer ({e})")),
        };
        match info {
            Ok(info) if info["node"]["instance"] == instance.as_str() => {
                matched += 1;
                if matched == ADVERTISED_MATCHES {
                    return std::future::pending().await;
                }
                continue;
            }
            Ok(info) if info["node"]["instance"].as_str().is_some_and(|i| !i.is_empty()) => {
                seen = format!("another node, instance {}", info["node"]["instance"]);
                break;
            }
            Ok(_) => seen = "an answer without this node's instance".into(),
            Err(e) => seen = e,
        }
        attempts += 1;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    anyhow::anyhow!(
        "the advertised URL {url} does not reach this node alone ({seen}); name this node's own address with --advertise"
    )
}

/// The exit code after the sequencer stopped on a failed commit (EX_SOFTWARE).
pub const EXIT_FATAL: i32 = 70;

/// The console's files: built into the binary, or read from
/// `CORRIDOR_CONSOLE_DIR` at request time while working on the console.
fn console() -> corridor_console::Console {
    match std::env::var_os("CORRIDOR_CONSOLE_DIR") {
        Some(dir) => {
            eprintln!("corridor: serving the console from {}", std::path::Path::new(&dir).display());
            corridor_console::Console::Dir(std::sync::Arc::new(dir.into()))
        }
        None => corridor_console::Console::Embedded,
    }
}

/// Waits for the shutdown signal, then resigns at once: a single node's
/// open event streams end (their clients reconnect); a cluster node gives
/// up leading, and another leads while its connections drain.
async fn resign_on_shutdown(service: corridor_service::Service) {
    shutdown_signal().await;
    // Not eprintln!: stderr may be closed by now, and a shutdown must not panic.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "corridor: shutting down: no new connections; open requests may finish within {} s",
        corridor_api::SHUTDOWN_GRACE.as_secs()
    );
    service.resign();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
