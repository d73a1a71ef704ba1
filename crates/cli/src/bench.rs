//! `corridor bench ...`: benchmarks of the hot paths. They print numbers; nothing
//! here asserts a speed.
//!
//! - `submit`: durable submissions over HTTP to a real `corridor serve` child
//!   process, from a load generator in this process (same machine).
//! - `append`: in-process submissions (no HTTP), durable.
//! - `proof`: inclusion and consistency proofs in a large tree.
//! - `audit`: a full audit of a generated log.
//! - `deconflict`: the geometry engine side by side with PostGIS.
//! - `views`: the incident-evidence and ceasefire-violation views over HTTP.
//! - `headroom`: the brief's 10 M-entry mix: build, snapshot, restarts,
//!   memory, latency and deconfliction on the full log (`bench_headroom`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use corridor_note::SignerKey;
use corridor_service::Submitted;
use corridor_statement::sign;
use corridor_tlog::{leaf_hash, verify_consistency, verify_inclusion, Tree};
use rayon::prelude::*;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt as _;

use crate::data::{DataDir, Store};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Durable submit throughput and latency over HTTP.
    Submit {
        /// Statements to submit.
        #[arg(long, default_value_t = 50_000)]
        entries: usize,
        /// Concurrent connections (closed loop), when --rate is not given.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Open loop: submissions per second, latency measured from the scheduled time.
        #[arg(long)]
        rate: Option<u64>,
        /// Nodes of a cluster to run over the one log (needs --postgres);
        /// the load is spread over all of them, and the followers' lag is
        /// sampled while it runs.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        nodes: u16,
        #[command(flatten)]
        store: BenchStore,
    },
    /// Intake: precision and recall per field on the labelled corpus, and drafting time.
    Intake {
        /// The labelled corpus (NN-name.txt beside NN-name.json).
        #[arg(long, default_value = "crates/intake/corpus")]
        corpus: std::path::PathBuf,
        /// Rounds over the corpus for the timing.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Print each report's labelled and drafted values where they differ.
        #[arg(long)]
        explain: bool,
    },
    /// Durable in-process append throughput (no HTTP).
    Append {
        #[arg(long, default_value_t = 100_000)]
        entries: usize,
        #[command(flatten)]
        store: BenchStore,
    },
    /// Proof generation and verification in a large tree.
    Proof {
        #[arg(long, default_value_t = 10_000_000)]
        entries: u64,
        #[arg(long, default_value_t = 100_000)]
        proofs: u64,
    },
    /// Fold throughput without signature checks (apply only, and replay from entry bytes).
    Fold {
        #[arg(long, default_value_t = 500_000)]
        entries: usize,
    },
    /// Filing a movement (fold: approvers and conflicts) with large spatial state loaded.
    Movement {
        #[arg(long, default_value_t = 1_000_000)]
        sites: usize,
        #[arg(long, default_value_t = 100_000)]
        zones: usize,
        #[arg(long, default_value_t = 100_000)]
        operations: usize,
        #[arg(long, default_value_t = 2_000)]
        movements: usize,
        /// File the movements over HTTP to a real server holding the loaded log.
        #[arg(long)]
        http: bool,
        /// With --http: build the log in this new data directory and keep it,
        /// so that `corridor serve --data DIR` can serve it afterwards (for
        /// measuring the console on a large record).
        #[arg(long, requires = "http")]
        keep: Option<PathBuf>,
    },
    /// The geometry engine against PostGIS, same data, same queries, side by side.
    Deconflict {
        /// Site counts, one run each.
        #[arg(long, value_delimiter = ',', default_values_t = [200_000usize, 1_000_000])]
        sites: Vec<usize>,
        #[arg(long, default_value_t = 20_000)]
        polygons: usize,
        #[arg(long, default_value_t = 1_000)]
        short_queries: usize,
        #[arg(long, default_value_t = 100)]
        long_queries: usize,
        /// PostgreSQL with PostGIS (scripts/ci-postgis.sh sets it up).
        #[arg(long, default_value = corridor_geo_bench::DEFAULT_CONNINFO)]
        postgres: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The incident-evidence and ceasefire-violation views, over HTTP, with
    /// many sites and incidents loaded.
    Views {
        /// Sites, and as many incidents.
        #[arg(long, default_value_t = 100_000)]
        objects: usize,
        /// Evidence queries, spread over the incidents.
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Witnesses: receipt latency with and without two witness processes,
    /// and the lag from a receipt to a cosigned checkpoint covering it.
    Witness {
        #[arg(long, default_value_t = 20_000)]
        entries: usize,
        /// Open-loop rates, one run each with and without witnesses.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 5_000])]
        rates: Vec<u64>,
    },
    /// One witness: cosignatures per second for one client, one request after another.
    Cosign {
        #[arg(long, default_value_t = 5_000)]
        requests: u64,
    },
    /// The brief's headroom mix (10 M entries by default): build the log,
    /// snapshot it, restart with and without the snapshot, then latency,
    /// deconfliction, memory and disk on the full log.
    Headroom {
        /// Entries in all; every kind is scaled alike.
        #[arg(long, default_value_t = 10_000_000)]
        entries: u64,
        /// Build the log in this data directory and keep it; if it already
        /// holds a log, use that one as it is (no build, no first snapshot).
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Open-loop submissions per second on the full log.
        #[arg(long, default_value_t = 1_000)]
        rate: u64,
        /// For this many seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Short-route deconfliction queries, one after another.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
    },
    /// Resident memory per entry of each kind in the folded state.
    Memory {
        /// Entries of each kind.
        #[arg(long, default_value_t = 200_000)]
        per_kind: u64,
    },
    /// Audit speed: every hash, signature and checkpoint of a generated log.
    Audit {
        #[arg(long, default_value_t = 200_000)]
        entries: usize,
    },
}

pub async fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Submit { entries, connections, rate, nodes, store } => {
            bench_submit(entries, connections, rate, usize::from(nodes), &store).await
        }
        BenchCommand::Append { entries, store } => bench_append(entries, &store).await,
        BenchCommand::Intake { corpus, rounds, explain } => {
            crate::intake::bench(&corpus, rounds.max(1), explain)
        }
        BenchCommand::Proof { entries, proofs } => bench_proof(entries, proofs),
        BenchCommand::Audit { entries } => bench_audit(entries).await,
        BenchCommand::Memory { per_kind } => crate::bench_headroom::bench_memory(per_kind),
        BenchCommand::Headroom { entries, keep, rate, seconds, queries } => {
            crate::bench_headroom::bench_headroom(entries, keep, rate, seconds, queries).await
        }
        BenchCommand::Witness { entries, rates } => {
            crate::bench_witness::bench_witness(entries, &rates).await
        }
        BenchCommand::Cosign { requests } => crate::bench_witness::bench_cosign(requests).await,
        BenchCommand::Fold { entries } => bench_fold(entries),
        BenchCommand::Views { objects, queries } => bench_views(objects, queries).await,
        BenchCommand::Deconflict { sites, polygons, short_queries, long_queries, postgres, seed } => {
            let opts = corridor_geo_bench::DeconflictOpts {
                sites,
                polygons,
                short_queries,
                long_queries,
                conninfo: postgres,
                seed,
                now: Instant::now,
            };
            tokio::task::spawn_blocking(move || corridor_geo_bench::run_deconflict(&opts)).await?
        }
        BenchCommand::Movement { sites, zones, operations, movements, http, keep } => {
            bench_movement(sites, zones, operations, movements, http, keep).await
        }
    }
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown cpu".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cores} cores, {cpu}")
}

/// A fresh data directory in a temporary folder, initialised like `corridor init`.
pub(crate) async fn temp_log() -> Result<(tempfile::TempDir, DataDir)> {
    temp_log_in(None).await
}

/// [`temp_log`] with the log in `store` (its SQLite file when `None`).
async fn temp_log_in(store: Option<Store>) -> Result<(tempfile::TempDir, DataDir)> {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("data");
    crate::serve::init(&root, store, "bench.corridor/log", "ops", "Bench operator").await?;
    Ok((tmp, DataDir::new(&root)))
}

/// Where a benchmark keeps its log.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchStore {
    /// Keep the log in PostgreSQL at this URL (a libpq URI), in a schema of
    /// its own that is dropped afterwards, instead of an SQLite file.
    #[arg(long)]
    postgres: Option<String>,
}

/// A schema made for one benchmark run, dropped with its tables on drop.
struct BenchSchema {
    base: String,
    name: String,
}

impl BenchSchema {
    fn create(base: &str) -> Result<Self> {
        let name = format!("corridor_bench_{:016x}", rand::random::<u64>());
        admin_sql(base, &format!("CREATE SCHEMA {name}")).context("creating the benchmark's schema")?;
        Ok(Self { base: base.to_owned(), name })
    }

    fn store(&self) -> Store {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        Store::Postgres(format!("{}{sep}options=-csearch_path%3D{}", self.base, self.name))
    }
}

impl Drop for BenchSchema {
    fn drop(&mut self) {
        if let Err(e) = admin_sql(&self.base, &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)) {
            eprintln!("bench: could not drop schema {}: {e}", self.name);
        }
    }
}

/// Runs `sql` on a connection of its own; the blocking driver steps off the
/// runtime's worker first.
fn admin_sql(url: &str, sql: &str) -> Result<()> {
    tokio::task::block_in_place(|| {
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        client.batch_execute(sql)
    })?;
    Ok(())
}

impl BenchStore {
    /// A fresh log in the chosen store, and the schema to drop afterwards.
    async fn temp_log(&self) -> Result<(tempfile::TempDir, DataDir, Option<BenchSchema>)> {
        let schema = self.postgres.as_deref().map(BenchSchema::create).transpose()?;
        let (tmp, dir) = temp_log_in(schema.as_ref().map(BenchSchema::store)).await?;
        Ok((tmp, dir, schema))
    }

    fn describe(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

/// Pre-signs `n` message envelopes from the operator (signing is not measured).
pub(crate) fn presign(key: &SignerKey, n: usize) -> Vec<Vec<u8>> {
    presign_with_ids(key, n, "b")
}

/// [`presign`] with ids `{prefix}{i}`.
pub(crate) fn presign_with_ids(key: &SignerKey, n: usize, prefix: &str) -> Vec<Vec<u8>> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let st = json!({"type": "message.send", "issuer": key.name(), "id": format!("{prefix}{i}"),
                "issued_at": "2026-11-22T10:00:00.000Z", "body": {"to": [key.name()], "subject": "bench", "text": format!("message {i}")}});
            serde_json::to_vec(&sign(st.to_string().as_bytes(), &[key])).unwrap_or_default()
        })
        .collect()
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

pub(crate) fn report_latencies(label: &str, mut lat: Vec<Duration>) {
    lat.sort_unstable();
    let over_100ms = lat.len() - lat.partition_point(|d| *d <= Duration::from_millis(100));
    println!(
        "{label}: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, p99.99 {:.2} ms, max {:.2} ms ({} samples, {over_100ms} over 100 ms)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        percentile(&lat, 0.9999),
        percentile(&lat, 1.0),
        lat.len()
    );
}

/// Starts `corridor serve` on an ephemeral port; returns the child and its URL.
async fn spawn_server(data: &Path) -> Result<(tokio::process::Child, String)> {
    spawn_server_with(data, &[]).await
}

/// The environment variable naming a command to run the server under
/// (`valgrind --tool=callgrind`); the server is then stopped by SIGINT, so
/// that the tool writes its report.
pub(crate) const SERVER_WRAPPER: &str = "CORRIDOR_BENCH_SERVER_WRAPPER";

/// Stops a server the benchmark started: by SIGINT, waited for, when it runs
/// under a tool that reports at exit; else killed.
pub(crate) async fn stop_server(mut child: tokio::process::Child) {
    let pid = child.id().filter(|_| std::env::var_os(SERVER_WRAPPER).is_some());
    let Some(pid) = pid else {
        child.kill().await.ok();
        return;
    };
    let sent = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status();
    if sent.is_ok_and(|s| s.success()) {
        child.wait().await.ok();
    }
}

/// Starts `corridor serve` with extra arguments.
pub(crate) async fn spawn_server_with(
    data: &Path,
    extra: &[String],
) -> Result<(tokio::process::Child, String)> {
    let exe = std::env::current_exe()?;
    // A tool to run the server under, such as valgrind's callgrind, which
    // counts instructions whatever else the machine is doing.
    let wrapper = std::env::var(SERVER_WRAPPER).unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(tool) => {
            let mut c = tokio::process::Command::new(tool);
            c.args(words).arg(exe);
            c
        }
        None => tokio::process::Command::new(exe),
    };
    let mut child = command
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        // The bench's own RUST_LOG, if set, shows the server's recovery log lines.
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let url = listening_url(&mut child, "listening on ").await?;
    Ok((child, url))
}

/// Reads a child's stdout until its line `<prefix>URL`; returns the URL.
pub(crate) async fn listening_url(child: &mut tokio::process::Child, prefix: &str) -> Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(url) = line.strip_prefix(prefix) {
            return Ok(url.to_owned());
        }
    }
    bail!("the child exited before listening")
}

async fn bench_submit(
    entries: usize,
    connections: usize,
    rate: Option<u64>,
    nodes: usize,
    store: &BenchStore,
) -> Result<()> {
    if nodes > 1 && store.postgres.is_none() {
        bail!("--nodes {nodes}: a cluster needs the log in PostgreSQL (--postgres URL)");
    }
    let (tmp, dir, _schema) = store.temp_log().await?;
    let bodies = Arc::new(presign(&dir.operator_key()?, entries));
    let mut children = Vec::with_capacity(nodes);
    let mut urls = Vec::with_capacity(nodes);
    for n in 0..nodes {
        let data = match n {
            0 => dir.root.clone(),
            _ => another_node(&dir.root, &tmp.path().join(format!("node{n}")))?,
        };
        let (child, url) = spawn_server(&data).await?;
        children.push(child);
        urls.push(url);
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections.max(256)).build()?;
    let endpoints: Vec<String> = urls.iter().map(|u| format!("{u}/v1/statements")).collect();
    let nodes_text = if nodes == 1 { String::new() } else { format!(", {nodes} nodes") };
    println!("bench submit: {entries} statements, {}{nodes_text}, machine: {}", store.describe(), machine());
    let lag = (nodes > 1).then(|| LagSampler::start(client.clone(), urls.clone()));
    let started = Instant::now();
    let latencies = match rate {
        None => closed_loop(&client, &endpoints, &bodies, connections).await?,
        Some(r) => open_loop(&client, &endpoints, &bodies, r).await?,
    };
    let secs = started.elapsed().as_secs_f64();
    let mode =
        rate.map_or(format!("closed loop, {connections} connections"), |r| format!("open loop at {r}/s"));
    println!(
        "{mode}: {} durable statements in {secs:.2} s = {:.0} statements/s",
        latencies.len(),
        latencies.len() as f64 / secs
    );
    report_latencies("submit-to-receipt latency", latencies);
    if let Some(lag) = lag {
        lag.report().await;
    }
    let metrics = client.get(format!("{}/metrics", urls[0])).send().await?.text().await?;
    report_commits(&metrics);
    for child in children {
        stop_server(child).await;
    }
    Ok(())
}

/// Another node's data directory for the log in `first`: its config and log key.
fn another_node(first: &Path, node: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(node.join("keys"))?;
    for file in ["config.json", "keys/log.key"] {
        std::fs::copy(first.join(file), node.join(file)).with_context(|| format!("copying {file}"))?;
    }
    Ok(node.to_owned())
}

/// Samples every node's size while the load runs: a follower's lag is how
/// many entries the largest size seen in the same round (the leader's,
/// read a moment apart) is ahead of it.
struct LagSampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Vec<u64>>,
}

/// Time between two rounds of sampling.
const LAG_SAMPLE_EVERY: Duration = Duration::from_millis(20);

impl LagSampler {
    fn start(client: reqwest::Client, urls: Vec<String>) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = stop.clone();
        let task = tokio::spawn(async move {
            let mut lags = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let mut sizes = Vec::with_capacity(urls.len());
                for url in &urls {
                    let info = match client.get(format!("{url}/v1/log")).send().await {
                        Ok(resp) => resp.json::<Value>().await.ok(),
                        Err(_) => None,
                    };
                    let Some(info) = info else { continue };
                    let follower = info["node"]["role"] == "follower";
                    sizes.extend(info["size"].as_u64().map(|size| (size, follower)));
                }
                let max = sizes.iter().map(|(s, _)| *s).max().unwrap_or(0);
                lags.extend(sizes.iter().filter(|(_, follower)| *follower).map(|(s, _)| max - s));
                tokio::time::sleep(LAG_SAMPLE_EVERY).await;
            }
            lags
        });
        Self { stop, task }
    }

    async fn report(self) {
        self.stop.store(true, Ordering::Relaxed);
        let mut lags = self.task.await.unwrap_or_default();
        lags.sort_unstable();
        let at =
            |p: f64| lags.get(((lags.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0);
        println!(
            "follower lag behind the leader, sampled every {} ms: p50 {} entries, p99 {}, max {} ({} samples)",
            LAG_SAMPLE_EVERY.as_millis(),
            at(0.5),
            at(0.99),
            at(1.0),
            lags.len()
        );
    }
}

/// Prints the server's batch commit-time distribution from its /metrics.
fn report_commits(metrics: &str) {
    let value = |prefix: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let batches = value("corridor_batch_commit_seconds_count ");
    let entries = value("corridor_batch_entries_total ");
    let sum = value("corridor_batch_commit_seconds_sum ");
    let buckets: Vec<String> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("corridor_batch_commit_seconds_bucket{le=\""))
        .map(|l| l.replace("\"} ", "s:"))
        .collect();
    println!(
        "server: {batches} batches, mean {:.1} entries, mean commit {:.2} ms; cumulative commit-time buckets {}",
        entries / batches.max(1.0),
        sum * 1e3 / batches.max(1.0),
        buckets.join(" ")
    );
}

async fn post(client: &reqwest::Client, endpoint: &str, body: Vec<u8>) -> Result<()> {
    let resp = client.post(endpoint).header("content-type", "application/json").body(body).send().await?;
    if resp.status() != reqwest::StatusCode::CREATED {
        bail!("submission answered {}: {}", resp.status(), resp.text().await.unwrap_or_default());
    }
    resp.bytes().await?;
    Ok(())
}

/// `connections` clients, each sending to one of `endpoints` in turn.
async fn closed_loop(
    client: &reqwest::Client,
    endpoints: &[String],
    bodies: &Arc<Vec<Vec<u8>>>,
    connections: usize,
) -> Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let endpoint = endpoints[c % endpoints.len()].clone();
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return Ok::<_, anyhow::Error>(lat) };
                let t = Instant::now();
                post(&client, &endpoint, body.clone()).await?;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(bodies.len());
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// Most requests in flight in open-loop mode, each on its own connection:
/// well under the server's share of connections per client (256), which
/// closes any connection beyond it unread. A request due while this many
/// are in flight waits for one to finish, and its latency, counted from
/// when it was due, includes that wait.
pub(crate) const OPEN_LOOP_MAX_IN_FLIGHT: usize = 128;

pub(crate) async fn open_loop(
    client: &reqwest::Client,
    endpoints: &[String],
    bodies: &Arc<Vec<Vec<u8>>>,
    rate: u64,
) -> Result<Vec<Duration>> {
    let start = tokio::time::Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(OPEN_LOOP_MAX_IN_FLIGHT));
    let mut tasks = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        let due = start + Duration::from_nanos(i as u64 * 1_000_000_000 / rate);
        tokio::time::sleep_until(due).await;
        let permit = permits.clone().acquire_owned().await?;
        let (client, endpoint, body) = (client.clone(), endpoints[i % endpoints.len()].clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            post(&client, &endpoint, body).await?;
            drop(permit);
            Ok::<_, anyhow::Error>(due.elapsed())
        }));
    }
    let mut all = Vec::with_capacity(tasks.len());
    for t in tasks {
        all.push(t.await??);
    }
    Ok(all)
}

async fn bench_append(entries: usize, store: &BenchStore) -> Result<()> {
    let (_tmp, dir, _schema) = store.temp_log().await?;
    let bodies = presign(&dir.operator_key()?, entries);
    let (service, _lock) = dir.open_service()?;
    println!(
        "bench append: {entries} statements in process, durable, {}, machine: {}",
        store.describe(),
        machine()
    );
    let started = Instant::now();
    let created = append_all(&service, bodies).await?;
    let secs = started.elapsed().as_secs_f64();
    let m = service.metrics();
    println!("{created} entries in {secs:.2} s = {:.0} entries/s; {} batches, mean batch {:.0} entries, mean commit {:.2} ms",
        created as f64 / secs, m.batches, m.batch_entries as f64 / m.batches.max(1) as f64, m.commit_us_sum as f64 / m.batches.max(1) as f64 / 1e3);
    Ok(())
}

/// Submits every body in process, keeping the pool at most half full; returns
/// how many were newly logged.
async fn append_all(service: &corridor_service::Service, bodies: Vec<Vec<u8>>) -> Result<usize> {
    let permits = Arc::new(tokio::sync::Semaphore::new(service.limits().pool_capacity / 2));
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let permit = permits.clone().acquire_owned().await?;
        let svc = service.clone();
        tasks.spawn(async move {
            let r = svc.submit(&body).await;
            drop(permit);
            r
        });
    }
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        if let Submitted::Created(_) = r?? {
            created += 1;
        }
    }
    Ok(created)
}

fn bench_proof(entries: u64, proofs: u64) -> Result<()> {
    println!("bench proof: tree of {entries} leaves, {proofs} proofs, machine: {}", machine());
    let t = Instant::now();
    let mut tree = Tree::new();
    for i in 0..entries {
        tree.push(leaf_hash(&i.to_le_bytes()));
    }
    println!("tree built in {:.2} s", t.elapsed().as_secs_f64());
    let root = tree.root(entries)?;
    let mut rng_state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let indexes: Vec<u64> = (0..proofs).map(|_| next() % entries).collect();
    let t = Instant::now();
    let all: Vec<_> = indexes.iter().map(|&i| tree.inclusion_proof(i, entries)).collect::<Result<_, _>>()?;
    let gen_us = t.elapsed().as_secs_f64() * 1e6 / proofs as f64;
    let t = Instant::now();
    for (i, p) in indexes.iter().zip(&all) {
        verify_inclusion(*i, entries, &tree.leaf(*i).unwrap_or_default(), p, &root)?;
    }
    let verify_us = t.elapsed().as_secs_f64() * 1e6 / proofs as f64;
    println!("inclusion proof: {gen_us:.2} µs to generate, {verify_us:.2} µs to verify (mean of {proofs})");
    let t = Instant::now();
    let n = proofs.min(10_000);
    for _ in 0..n {
        let from = 1 + next() % (entries - 1);
        let p = tree.consistency_proof(from, entries)?;
        verify_consistency(from, entries, &p, &tree.root(from)?, &root)?;
    }
    println!(
        "consistency proof: {:.2} µs to generate, root the old size and verify (mean of {n})",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}

async fn bench_audit(entries: usize) -> Result<()> {
    let (_tmp, dir) = temp_log().await?;
    let bodies = presign(&dir.operator_key()?, entries);
    {
        let (service, _lock) = dir.open_service()?;
        append_all(&service, bodies).await?;
    }
    println!("bench audit: log of {} entries, machine: {}", entries + 1, machine());
    let root: PathBuf = dir.root.clone();
    tokio::task::spawn_blocking(move || crate::audit::run(&root, None, &[])).await??;
    Ok(())
}

/// Builds envelopes whose signatures are not real: the fold does not check
/// signatures (audit and submission do), so the fold can be measured alone.
pub(crate) mod unsigned {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use corridor_note::SignerKey;
    use corridor_statement::{CanonicalEnvelope, Envelope, EnvelopeSignature, SignedEnvelope, PAYLOAD_TYPE};
    use serde_json::{json, Value};

    pub fn envelope(
        key: &SignerKey,
        kind: &str,
        id: &str,
        body: Value,
    ) -> (SignedEnvelope, CanonicalEnvelope) {
        let st = json!({"type": kind, "issuer": key.name(), "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
        let env = Envelope {
            payload_type: PAYLOAD_TYPE.to_owned(),
            payload: B64.encode(st.to_string()),
            signatures: vec![EnvelopeSignature {
                keyid: format!("{}+{:08x}", key.name(), key.key_id()),
                sig: B64.encode([0u8; 64]),
            }],
        };
        SignedEnvelope::from_envelope(env).unwrap_or_else(|e| panic!("{kind} {id}: {e}"))
    }
}

/// A benchmark entry's synthetic sequencing time.
fn bench_time_us(index: u64) -> i64 {
    1_795_000_000_000_000 + index as i64 * 1_000
}

/// The entry a benchmark folds at `index`.
fn logged(index: u64, signed: corridor_statement::SignedEnvelope) -> corridor_state::LoggedEntry {
    corridor_state::LoggedEntry { index, sequenced_at_us: bench_time_us(index), signed }
}

/// A state folded from `entries`, returning the time spent in `apply`.
pub(crate) fn fold_all(
    state: &mut corridor_state::State,
    entries: Vec<corridor_statement::SignedEnvelope>,
) -> Result<Duration> {
    let entries: Vec<_> =
        entries.into_iter().enumerate().map(|(i, e)| logged(state.size() + i as u64, e)).collect();
    let started = Instant::now();
    for e in entries {
        let index = e.index;
        state.apply(e).map_err(|r| anyhow::anyhow!("entry {index} rejected: {r}"))?;
    }
    Ok(started.elapsed())
}

fn party(id: &str, kind: &str, seed: u8) -> Result<(SignerKey, Value)> {
    let key = SignerKey::from_seed(id, [seed; 32])?;
    let body = json!({"id": id, "name": id, "kind": kind, "keys": [key.verifier().to_vkey()]});
    Ok((key, body))
}

fn bench_fold(entries: usize) -> Result<()> {
    println!("bench fold: {entries} message entries, signatures not checked, machine: {}", machine());
    let (ops, genesis) = party("ops", "coordination", 1)?;
    let mut log = vec![unsigned::envelope(&ops, "party.register", "g", genesis)];
    log.extend((0..entries).map(|i| {
        let body = json!({"to": ["ops"], "subject": "s", "text": "bench"});
        unsigned::envelope(&ops, "message.send", &format!("m{i}"), body)
    }));
    let bytes: Vec<Vec<u8>> = log
        .iter()
        .enumerate()
        .map(|(i, (_, canonical))| corridor_statement::build_entry(bench_time_us(i as u64), canonical))
        .collect::<Result<_, _>>()?;
    let parsed: Vec<_> = log.into_iter().map(|(e, _)| e).collect();
    let apply = fold_all(&mut corridor_state::State::new(), parsed)?;
    println!(
        "apply only (entries already parsed): {:.0} entries/s",
        bytes.len() as f64 / apply.as_secs_f64()
    );
    let started = Instant::now();
    let mut state = corridor_state::State::new();
    for (index, b) in bytes.iter().enumerate() {
        let entry = corridor_statement::parse_entry(b)?;
        let e = corridor_state::LoggedEntry {
            index: index as u64,
            sequenced_at_us: entry.sequenced_at_us,
            signed: entry.signed,
        };
        state.apply(e).map_err(|r| anyhow::anyhow!("entry {index} rejected: {r}"))?;
    }
    let one_thread = bytes.len() as f64 / started.elapsed().as_secs_f64();
    println!("parse entry bytes + apply, one thread: {one_thread:.0} entries/s");
    use corridor_store::LogWriter as _;
    let store = corridor_store::memory::MemoryStore::new();
    let (mut writer, reader) = store.open();
    for (start, chunk) in (0u64..).step_by(4_096).zip(bytes.chunks(4_096)) {
        let entries: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, b)| corridor_store::NewEntry {
                index: start + i as u64,
                leaf_hash: leaf_hash(b),
                bytes: b.clone(),
            })
            .collect();
        let size = start + entries.len() as u64;
        writer.append(&entries, &corridor_store::StoredCheckpoint { size, note: String::new() })?;
    }
    drop(bytes);
    let started = Instant::now();
    let opts = corridor_service::replay::ReplayOptions::recovery();
    let replayed = corridor_service::replay::replay(&reader, opts, &|_| {})?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "replay from entry bytes (the recovery routine: leaf hashes checked, parse, fold, tree; pipelined): {:.0} entries/s",
        replayed.tree.size() as f64 / secs
    );
    Ok(())
}

/// A deterministic pseudo-random sequence for synthetic geography.
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn square(lon: f64, lat: f64, half_deg: f64) -> Value {
    let (a, b, c, d) = (lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg);
    json!({"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]})
}

/// Synthetic access data: who files what (party index, type, id, body).
struct Synthetic {
    load: Vec<(usize, &'static str, String, Value)>,
    movements: Vec<(usize, &'static str, String, Value)>,
}

/// Party 1 (an armed force) holds zones and notifies operations; party 2 (an
/// agency) notifies sites and requests movements. Random points and small
/// squares over lon 35-48, lat 29-37; routes of 30-60 km.
fn synthetic(sites: usize, zones: usize, operations: usize, movements: usize) -> Synthetic {
    let mut rng = Lcg(7);
    let mut place = || (35.0 + rng.unit() * 13.0, 29.0 + rng.unit() * 8.0);
    let window = json!({"from": "2026-01-01T00:00:00.000Z"});
    let mut load = Vec::with_capacity(sites + zones + operations);
    for i in 0..sites {
        let (lon, lat) = place();
        let body = json!({"name": "s", "category": "clinic", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "buffer_m": 100, "window": window});
        load.push((2, "site.notify", format!("s{i}"), body));
    }
    for i in 0..zones {
        let (lon, lat) = place();
        load.push((
            1,
            "zone.declare",
            format!("z{i}"),
            json!({"name": "z", "geometry": square(lon, lat, 0.02), "window": window}),
        ));
    }
    for i in 0..operations {
        let (lon, lat) = place();
        let body = json!({"name": "o", "geometry": square(lon, lat, 0.01), "window": {"from": "2027-01-01T00:00:00.000Z", "to": "2027-01-02T00:00:00.000Z"}, "standoff_m": 500, "notified": []});
        load.push((1, "operation.notify", format!("o{i}"), body));
    }
    let movements = (0..movements)
        .map(|i| {
            let (lon, lat) = place();
            let bearing = rng_angle(i);
            let len_deg = 0.3 + 0.25 * ((i % 7) as f64 / 6.0);
            let end = [lon + len_deg * bearing.cos(), lat + len_deg * bearing.sin()];
            let body = json!({"purpose": "aid_delivery", "route": {"type": "LineString", "coordinates": [[lon, lat], [(lon + end[0]) / 2.0, (lat + end[1]) / 2.0 + 0.01], end]},
                "corridor_m": 500, "window": {"from": "2027-01-01T00:00:00.000Z", "to": "2027-01-01T06:00:00.000Z"}, "origin": "a", "destination": "b", "manifest": []});
            (2, "movement.request", format!("m{i}"), body)
        })
        .collect();
    Synthetic { load, movements }
}

async fn bench_movement(
    sites: usize,
    zones: usize,
    operations: usize,
    movements: usize,
    http: bool,
    keep: Option<PathBuf>,
) -> Result<()> {
    let mode = if http { "end to end over HTTP, durable" } else { "fold only, in process" };
    println!(
        "bench movement ({mode}): {sites} sites, {zones} zones, {operations} operations loaded; machine: {}",
        machine()
    );
    let data = synthetic(sites, zones, operations, movements);
    if http {
        return movement_http(data, keep).await;
    }
    let (ops, genesis) = party("ops", "coordination", 1)?;
    let (force, force_body) = party("force", "armed_force", 2)?;
    let (agency, agency_body) = party("agency", "agency", 3)?;
    let keys = [ops.clone(), force, agency];
    let mut log = vec![
        unsigned::envelope(&ops, "party.register", "g", genesis),
        unsigned::envelope(&ops, "party.register", "r-force", force_body),
        unsigned::envelope(&ops, "party.register", "r-agency", agency_body),
    ];
    log.extend(
        data.load.into_iter().map(|(k, kind, id, body)| unsigned::envelope(&keys[k], kind, &id, body)),
    );
    let mut state = corridor_state::State::new();
    let n = log.len();
    let load = fold_all(&mut state, log.into_iter().map(|(e, _)| e).collect())?;
    println!("loaded {n} entries in {:.1} s", load.as_secs_f64());
    let mut lat = Vec::with_capacity(movements);
    for (k, kind, id, body) in data.movements {
        let (e, _) = unsigned::envelope(&keys[k], kind, &id, body);
        lat.push(fold_all(&mut state, vec![e])?);
    }
    report_latencies("movement.request fold (approvers + conflicts), 30-60 km routes", lat);
    Ok(())
}

fn signed_bytes(key: &SignerKey, kind: &str, id: &str, body: &Value) -> Vec<u8> {
    let st = json!({"type": kind, "issuer": key.name(), "id": id, "issued_at": "2026-11-22T10:00:00.000Z", "body": body});
    serde_json::to_vec(&sign(st.to_string().as_bytes(), &[key])).unwrap_or_default()
}

/// Loads the data through the service (signed, durable), then files movements
/// one at a time over HTTP to a `corridor serve` child and times each receipt.
async fn movement_http(data: Synthetic, keep: Option<PathBuf>) -> Result<()> {
    let (_tmp, dir) = match keep {
        Some(root) => {
            crate::serve::init(&root, None, "bench.corridor/log", "ops", "Bench operator").await?;
            (None, DataDir::new(&root))
        }
        None => temp_log().await.map(|(tmp, dir)| (Some(tmp), dir))?,
    };
    let ops = dir.operator_key()?;
    let (force, force_body) = party("force", "armed_force", 2)?;
    let (agency, agency_body) = party("agency", "agency", 3)?;
    let keys = [ops.clone(), force, agency];
    let started = Instant::now();
    {
        let (service, _lock) = dir.open_service()?;
        for (id, body) in [("r-force", force_body), ("r-agency", agency_body)] {
            service.submit(&signed_bytes(&ops, "party.register", id, &body)).await?;
        }
        let bodies: Vec<Vec<u8>> =
            data.load.par_iter().map(|(k, kind, id, body)| signed_bytes(&keys[*k], kind, id, body)).collect();
        let n = append_all(&service, bodies).await?;
        println!("loaded {n} signed entries through the service in {:.1} s", started.elapsed().as_secs_f64());
    }
    let restarted = Instant::now();
    let (mut child, url) = spawn_server(&dir.root).await?;
    println!(
        "server recovered the log (replay, tree, checks) and listened in {:.1} s",
        restarted.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/v1/statements");
    let mut lat = Vec::with_capacity(data.movements.len());
    for (k, kind, id, body) in &data.movements {
        let bytes = signed_bytes(&keys[*k], kind, id, body);
        let t = Instant::now();
        post(&client, &endpoint, bytes).await?;
        lat.push(t.elapsed());
    }
    report_latencies("movement.request over HTTP, submit to receipt (durable)", lat);
    child.kill().await.ok();
    Ok(())
}

fn rng_angle(i: usize) -> f64 {
    (i as f64 * 2.399_963) % std::f64::consts::TAU
}

/// Incidents and sites for the view benchmark: random points over lon 35-48,
/// lat 29-37, an incident and a site at each of `n` places; one ceasefire
/// whose area is a 1-degree square in the middle, and one with no area.
fn views_data(n: usize) -> Vec<(usize, &'static str, String, Value)> {
    let mut rng = Lcg(11);
    let mut place = || (35.0 + rng.unit() * 13.0, 29.0 + rng.unit() * 8.0);
    let window = json!({"from": "2026-01-01T00:00:00.000Z"});
    let mut out = Vec::with_capacity(2 * n + 2);
    for i in 0..n {
        let (lon, lat) = place();
        let body = json!({"name": "s", "category": "clinic", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "buffer_m": 100, "window": window});
        out.push((2, "site.notify", format!("s{i}"), body));
    }
    for i in 0..n {
        let (lon, lat) = place();
        let body = json!({"kind": "shelling", "window": {"from": "2026-06-01T00:00:00.000Z", "to": "2026-06-01T01:00:00.000Z"},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}, "precision_m": 1000,
            "alleged_perpetrator": "force", "casualties": {"killed": {"min": 1, "max": 3}}, "sources": []});
        out.push((2, "incident.report", format!("i{i}"), body));
    }
    let terms = json!(["no fire"]);
    out.push((
        0,
        "agreement.declare",
        "area".into(),
        json!({"name": "a", "kind": "ceasefire", "parties": ["force", "agency"],
        "geometry": square(41.5, 33.0, 0.5), "window": {"from": "2026-01-01T00:00:00.000Z"}, "terms": terms}),
    ));
    out.push((
        0,
        "agreement.declare",
        "everywhere".into(),
        json!({"name": "e", "kind": "ceasefire", "parties": ["force", "agency"],
        "window": {"from": "2026-05-01T00:00:00.000Z", "to": "2026-07-01T00:00:00.000Z"}, "terms": terms}),
    ));
    out
}

/// The incident-evidence and ceasefire-violation views over HTTP, on a log
/// of `n` sites and `n` incidents loaded through the service.
async fn bench_views(n: usize, queries: usize) -> Result<()> {
    println!("bench views: {n} sites and {n} incidents loaded; machine: {}", machine());
    let (_tmp, dir) = temp_log().await?;
    let ops = dir.operator_key()?;
    let (force, force_body) = party("force", "armed_force", 2)?;
    let (agency, agency_body) = party("agency", "agency", 3)?;
    let keys = [ops.clone(), force, agency];
    {
        let (service, _lock) = dir.open_service()?;
        for (id, body) in [("r-force", force_body), ("r-agency", agency_body)] {
            service.submit(&signed_bytes(&ops, "party.register", id, &body)).await?;
        }
        let data = views_data(n);
        let bodies: Vec<Vec<u8>> =
            data.par_iter().map(|(k, kind, id, body)| signed_bytes(&keys[*k], kind, id, body)).collect();
        append_all(&service, bodies).await?;
    }
    let (mut child, url) = spawn_server(&dir.root).await?;
    let client = reqwest::Client::new();
    let mut lat = Vec::with_capacity(queries);
    for q in 0..queries {
        let i = q * n.max(1) / queries.max(1);
        let t = Instant::now();
        let resp = client.get(format!("{url}/v1/incidents/agency/i{i}/evidence")).send().await?;
        let body = resp.error_for_status()?.bytes().await?;
        lat.push(t.elapsed());
        std::hint::black_box(body);
    }
    report_latencies("GET incident evidence (sites and movements within reach)", lat);
    for agreement in ["area", "everywhere"] {
        let mut lat = Vec::with_capacity(20);
        let mut inside = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let resp = client.get(format!("{url}/v1/agreements/ops/{agreement}/violations")).send().await?;
            let v: Value = resp.error_for_status()?.json().await?;
            lat.push(t.elapsed());
            inside = v["incidents"].as_array().map_or(0, Vec::len);
        }
        report_latencies(
            &format!("GET violations of agreement {agreement:?} ({inside} incidents inside)"),
            lat,
        );
    }
    child.kill().await.ok();
    Ok(())
}
