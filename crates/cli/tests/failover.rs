//! The failover campaign, with the real binary: a private PostgreSQL
//! cluster (its own `initdb`, its own port, so that restarting it touches
//! no one else), three `corridor serve` nodes on 127.0.0.1, and a load
//! generator that submits through every node with retries, recording each
//! acknowledged receipt and each checkpoint it sees.
//!
//! Faults come on a seeded schedule (`CORRIDOR_FAILOVER_SEED`, printed):
//! SIGKILL the leader, SIGSTOP it past its lease and SIGCONT it (the zombie
//! leader), terminate its database sessions, restart PostgreSQL (an
//! immediate stop: crash recovery). After each, a new leader must sequence a
//! probe statement (the time is printed), and at the end:
//! - every acknowledged receipt's entry sits at its index with its leaf hash;
//! - every checkpoint a client saw is signed by the log and is a prefix of
//!   the final tree (so consistent with the final checkpoint);
//! - no (issuer, id) is logged twice;
//! - every node's state digest equals that of a node started afresh, which
//!   replays the log from genesis; and `corridor audit` passes.
//!
//! The negative control runs the zombie case with the fence switched off
//! (`CORRIDOR_TEST_UNFENCED=1`, a test-only switch) and requires the same
//! checks to find a loss or a fork.

// Deadlines, a client's retry back-off and the failover time measured
// are the test's own clock's business.
#![allow(clippy::disallowed_methods)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::{SignerKey, VerifierKey};
use corridor_tlog::{SignedCheckpoint, Tree};
use rand::{rngs::StdRng, Rng as _, SeedableRng as _};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt as _;

use support::{ok, BIN};

const LEASE_MS: &str = "1000";
const POLL_MS: &str = "100";
/// How long anything the test waits for may take before it fails.
const DEADLINE: Duration = Duration::from_secs(90);

/// A PostgreSQL cluster of the test's own.
struct PrivatePg {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

/// Where Debian keeps the server's programs (the newest version there).
fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server programs are installed (scripts/ci-postgis.sh)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("initdb")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false)
}

impl PrivatePg {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let pg = Self { dir, port, bin: pg_bin() };
        if is_root() {
            // The server refuses to run as root: it runs as `postgres`.
            let status = Command::new("chown").args(["postgres:postgres"]).arg(pg.dir.path()).status();
            assert!(status.expect("chown").success());
        }
        let data = pg.data();
        pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        pg.ctl(&["start"]);
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_str().expect("utf8").to_owned()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = match is_root() {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&path);
                c
            }
            false => Command::new(&path),
        };
        let out = cmd.args(args).stdin(Stdio::null()).output().expect("runs");
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `pg_ctl ACTION`, waiting for it to finish; an immediate stop is a crash.
    fn ctl(&self, action: &[&str]) {
        let (data, dir) = (self.data(), self.dir.path().to_str().expect("utf8").to_owned());
        let options = format!("-p {} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=on", self.port);
        let log = format!("{dir}/server.log");
        let mut args = vec!["-D", &data, "-o", &options, "-l", &log, "-w", "-m", "immediate"];
        args.extend_from_slice(action);
        self.run("pg_ctl", &args);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("connects to the private cluster")
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let (data, dir) = (self.data(), self.dir.path().to_str().unwrap_or_default().to_owned());
        let _ = std::panic::catch_unwind(|| {
            let options = format!("-p {} -k {dir}", self.port);
            self.run("pg_ctl", &["-D", &data, "-o", &options, "-w", "-m", "immediate", "stop"]);
        });
    }
}

/// One node: its own data directory (config and log key), its own
/// application name in the database, so that its sessions can be found.
struct Node {
    data: PathBuf,
    app: String,
    child: Option<Child>,
    url: String,
}

impl Node {
    fn start(&mut self, store: &str, unfenced: bool) {
        let store = format!("{store}&application_name={}", self.app);
        let data = self.data.to_str().expect("utf8");
        let args = ["serve", "--data", data, "--store", &store, "--listen", "127.0.0.1:0"];
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--lease-ms", LEASE_MS, "--poll-ms", POLL_MS])
            .env("RUST_LOG", "warn")
            .env("CORRIDOR_TEST_UNFENCED", if unfenced { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(self.log())
            .spawn()
            .expect("starts");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        while !line.contains("listening on ") {
            line.clear();
            if reader.read_line(&mut line).expect("reads") == 0 {
                let log = std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default();
                panic!("{} exited before listening:\n{log}", self.app);
            }
        }
        self.url = line.trim().rsplit("listening on ").next().expect("url").to_owned();
        self.child = Some(child);
    }

    /// The node's standard error, kept beside its data directory (every
    /// start appends).
    fn log(&self) -> std::fs::File {
        let path = self.data.with_extension("log");
        std::fs::OpenOptions::new().create(true).append(true).open(path).expect("node log")
    }

    fn pid(&self) -> String {
        self.child.as_ref().expect("running").id().to_string()
    }

    fn signal(&self, sig: &str) {
        assert!(Command::new("kill").args([sig, &self.pid()]).status().expect("kill").success());
    }

    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.signal("-CONT");
        }
        self.kill9();
    }
}

/// A receipt a client got: the entry's index and leaf hash, and the id it submitted.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    index: u64,
    leaf_hash: String,
}

#[derive(Default)]
struct Seen {
    acks: Vec<Ack>,
    checkpoints: Vec<String>,
    /// Statements no node acknowledged before the client's deadline.
    abandoned: u64,
    /// Answers a retry cannot mend (4xx): none are expected.
    refused: Vec<String>,
}

struct Cluster {
    _tmp: tempfile::TempDir,
    pg: PrivatePg,
    store: String,
    key: SignerKey,
    vkey: VerifierKey,
    nodes: Vec<Node>,
    urls: Arc<Mutex<Vec<String>>>,
    unfenced: bool,
}

impl Cluster {
    fn start(unfenced: bool) -> Self {
        let pg = PrivatePg::start();
        pg.client().batch_execute("CREATE SCHEMA failover").expect("schema");
        let store = format!("{}?options=-csearch_path%3Dfailover", pg.url());
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = tmp.path().join("n1");
        let vkey = ok(
            &[
                "init",
                "--data",
                first.to_str().expect("utf8"),
                "--origin",
                "failover.corridor/log",
                "--store",
                &store,
            ],
            tmp.path(),
        );
        let vkey = VerifierKey::parse(vkey.trim()).expect("vkey");
        let key = SignerKey::parse(std::fs::read_to_string(first.join("keys/ops.key")).expect("key").trim())
            .expect("parses");
        let mut nodes: Vec<Node> = (1..=3).map(|i| node_dir(tmp.path(), &first, i)).collect();
        for node in &mut nodes {
            node.start(&store, unfenced);
        }
        let urls = Arc::new(Mutex::new(nodes.iter().map(|n| n.url.clone()).collect()));
        Self { _tmp: tmp, pg, store, key, vkey, nodes, urls, unfenced }
    }

    /// Starts node `i` (again); the load's URLs follow a node of theirs.
    fn restart(&mut self, i: usize) {
        let (store, unfenced) = (self.store.clone(), self.unfenced);
        self.nodes[i].start(&store, unfenced);
        if let Some(url) = self.urls.lock().expect("urls").get_mut(i) {
            *url = self.nodes[i].url.clone();
        }
    }

    /// Waits until the load has `more` acknowledgements beyond `from`.
    async fn until_acked(seen: &Mutex<Seen>, from: usize, more: usize) -> usize {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let acked = seen.lock().expect("seen").acks.len();
            if acked >= from + more {
                return acked;
            }
            assert!(Instant::now() < deadline, "the load stalled at {acked} acknowledgements");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The node that leads, once one does (by the highest term reported).
    async fn leader(&self, client: &reqwest::Client) -> usize {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let mut best: Option<(u64, usize)> = None;
            for (i, node) in self.nodes.iter().enumerate().filter(|(_, n)| n.child.is_some()) {
                if let Some(info) = get_json(client, &format!("{}/v1/log", node.url)).await {
                    let term = info["node"]["term"].as_u64().unwrap_or(0);
                    if info["node"]["role"] == "leader" && best.is_none_or(|(t, _)| term > t) {
                        best = Some((term, i));
                    }
                }
            }
            if let Some((_, i)) = best {
                return i;
            }
            assert!(Instant::now() < deadline, "no node became the leader");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn node_dir(root: &Path, first: &Path, i: usize) -> Node {
    let data = root.join(format!("n{i}"));
    if i > 1 {
        std::fs::create_dir_all(data.join("keys")).expect("mkdir");
        for file in ["config.json", "keys/log.key"] {
            std::fs::copy(first.join(file), data.join(file)).expect("copies the node's files");
        }
    }
    Node { data, app: format!("corridor-n{i}"), child: None, url: String::new() }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Option<Value> {
    let resp = client.get(url).timeout(Duration::from_millis(500)).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.json().await.ok()
}

fn envelope(key: &SignerKey, id: &str) -> Vec<u8> {
    let st = json!({"type": "message.send", "issuer": key.name(), "id": id, "issued_at": "2026-11-22T10:00:00.000Z",
        "body": {"to": ["ops"], "subject": "failover", "text": id}});
    serde_json::to_vec(&corridor_statement::sign(st.to_string().as_bytes(), &[key])).expect("json")
}

/// Submits `id` through the nodes, a random one per attempt, until one
/// acknowledges it; records the receipt. `None` past the deadline.
async fn submit(
    client: &reqwest::Client,
    urls: &Mutex<Vec<String>>,
    rng: &mut StdRng,
    key: &SignerKey,
    id: &str,
    seen: &Mutex<Seen>,
) -> Option<Ack> {
    let body = envelope(key, id);
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        let url = {
            let urls = urls.lock().expect("urls");
            urls[rng.gen_range(0..urls.len())].clone()
        };
        let sent = client
            .post(format!("{url}/v1/statements"))
            .body(body.clone())
            .timeout(Duration::from_secs(5))
            .send();
        if let Ok(resp) = sent.await {
            let status = resp.status().as_u16();
            if let (200 | 201, Ok(receipt)) = (status, resp.json::<Value>().await) {
                let ack = Ack {
                    id: id.to_owned(),
                    index: receipt["index"].as_u64().expect("index"),
                    leaf_hash: receipt["leaf_hash"].as_str().expect("leaf hash").to_owned(),
                };
                let mut seen = seen.lock().expect("seen");
                seen.checkpoints.push(receipt["checkpoint"].as_str().expect("checkpoint").to_owned());
                seen.acks.push(ack.clone());
                return Some(ack);
            }
            if status < 500 {
                seen.lock().expect("seen").refused.push(format!("{id}: {status}"));
                return None;
            }
        }
        // A client's back-off before it tries again, elsewhere.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    seen.lock().expect("seen").abandoned += 1;
    None
}

/// Workers submitting until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(cluster: &Cluster, seed: u64, workers: u64) -> Self {
        let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Seen::default())));
        let client = reqwest::Client::new();
        let tasks = (0..workers)
            .map(|w| {
                let (stop, seen, urls, key, client) =
                    (stop.clone(), seen.clone(), cluster.urls.clone(), cluster.key.clone(), client.clone());
                tokio::spawn(async move {
                    let mut rng = StdRng::seed_from_u64(seed ^ (w << 32));
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        submit(&client, &urls, &mut rng, &key, &format!("w{w}-{i}"), &seen).await;
                        i += 1;
                    }
                })
            })
            .collect();
        Self { stop, seen, tasks }
    }

    async fn finish(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.expect("worker");
        }
        Arc::try_unwrap(self.seen).ok().expect("workers done").into_inner().expect("seen")
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Kill,
    Stop,
    Terminate,
    RestartPostgres,
}

/// Injects `fault` at the leader and returns once a probe statement is
/// sequenced again; returns the time that took.
async fn inject(cluster: &mut Cluster, fault: Fault, probe: &str, seen: &Mutex<Seen>) -> Duration {
    let client = reqwest::Client::new();
    let leader = cluster.leader(&client).await;
    let started = Instant::now();
    match fault {
        Fault::Kill => cluster.nodes[leader].kill9(),
        Fault::Stop => cluster.nodes[leader].signal("-STOP"),
        Fault::Terminate => {
            let app = cluster.nodes[leader].app.clone();
            let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1";
            tokio::task::block_in_place(|| cluster.pg.client().execute(sql, &[&app]))
                .expect("terminates the leader's sessions");
        }
        Fault::RestartPostgres => cluster.pg.ctl(&["restart"]),
    }
    // The probe goes only to the nodes that can answer.
    let others: Vec<String> = (0..cluster.nodes.len())
        .filter(|&i| i != leader || matches!(fault, Fault::Terminate | Fault::RestartPostgres))
        .map(|i| cluster.nodes[i].url.clone())
        .collect();
    let mut rng = StdRng::seed_from_u64(started.elapsed().as_nanos() as u64);
    let acked = submit(&client, &Mutex::new(others), &mut rng, &cluster.key, probe, seen).await;
    let took = started.elapsed();
    assert!(acked.is_some(), "after {fault:?}, no node sequenced the probe");
    match fault {
        Fault::Kill => cluster.restart(leader),
        // The zombie wakes past its lease: it must not append.
        Fault::Stop => cluster.nodes[leader].signal("-CONT"),
        _ => {}
    }
    took
}

/// Every node at the final size, with its state digest; then a fresh node's.
async fn converged_digests(cluster: &mut Cluster, size: u64) -> Vec<(String, Value)> {
    let client = reqwest::Client::new();
    let fresh = node_dir(cluster._tmp.path(), &cluster.nodes[0].data.clone(), 4);
    cluster.nodes.push(fresh);
    let last = cluster.nodes.len() - 1;
    cluster.restart(last);
    let mut digests = vec![];
    for node in &cluster.nodes {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let info = get_json(&client, &format!("{}/v1/log", node.url)).await;
            if info.as_ref().is_some_and(|i| i["size"].as_u64() == Some(size)) {
                break;
            }
            assert!(Instant::now() < deadline, "{} never reached size {size}: {info:?}", node.app);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let digest = get_json(&client, &format!("{}/v1/state/digest", node.url)).await.expect("digest");
        digests.push((node.app.clone(), digest));
    }
    digests
}

/// What the store holds, checked against what clients saw; the violations found.
fn violations(cluster: &Cluster, seen: &Seen) -> (u64, Vec<String>) {
    let mut db = cluster.pg.client();
    let rows =
        db.query("SELECT idx, leaf_hash, data FROM failover.entries ORDER BY idx", &[]).expect("entries");
    let mut found = vec![];
    let mut tree = Tree::new();
    let mut ids = std::collections::HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let (idx, leaf, data): (i64, Vec<u8>, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
        if idx as usize != i {
            found.push(format!("entry {idx} found where {i} was expected"));
        }
        tree.push(leaf.clone().try_into().expect("32 bytes"));
        let entry = corridor_statement::parse_entry(&data).expect("parses");
        let key = (entry.signed.statement.issuer().to_owned(), entry.signed.statement.id().to_owned());
        if let Some(first) = ids.insert(key.clone(), idx) {
            found.push(format!("{key:?} logged twice, at {first} and {idx}"));
        }
    }
    for ack in &seen.acks {
        let stored = rows.get(ack.index as usize).map(|r| B64.encode(r.get::<_, Vec<u8>>(1)));
        if stored.as_deref() != Some(ack.leaf_hash.as_str()) {
            found.push(format!("acknowledged {} at {}: the store holds {stored:?}", ack.id, ack.index));
        }
        if ids.get(&(cluster.key.name().to_owned(), ack.id.clone())) != Some(&(ack.index as i64)) {
            found.push(format!("acknowledged {} is not logged at {}", ack.id, ack.index));
        }
    }
    for note in &seen.checkpoints {
        let cp = SignedCheckpoint::open(note, &cluster.vkey).expect("signed by the log").checkpoint;
        if tree.root(cp.size).ok() != Some(cp.root) {
            found.push(format!("a checkpoint of size {} is not a prefix of the final tree", cp.size));
        }
    }
    (tree.size(), found)
}

fn seed() -> u64 {
    std::env::var("CORRIDOR_FAILOVER_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261130)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_loses_no_acknowledged_statement_and_forks_nothing() {
    let seed = seed();
    let mut cluster = tokio::task::block_in_place(|| Cluster::start(false));
    let mut faults = [Fault::Kill, Fault::Stop, Fault::Terminate, Fault::RestartPostgres];
    let mut rng = StdRng::seed_from_u64(seed);
    for i in (1..faults.len()).rev() {
        faults.swap(i, rng.gen_range(0..=i));
    }
    eprintln!("failover: seed {seed}, faults {faults:?}");
    let load = Load::start(&cluster, seed, 6);
    let probes = Mutex::new(Seen::default());
    let mut acked = 0;
    for (i, fault) in faults.into_iter().enumerate() {
        // The load is acknowledged for a while between faults.
        acked = Cluster::until_acked(&load.seen, acked, rng.gen_range(50..200)).await;
        let took = inject(&mut cluster, fault, &format!("probe-{i}"), &probes).await;
        eprintln!("failover: {fault:?}: a new statement sequenced after {} ms", took.as_millis());
    }
    Cluster::until_acked(&load.seen, acked, 100).await;
    let mut seen = load.finish().await;
    let probes = probes.into_inner().expect("probes");
    seen.acks.extend(probes.acks);
    seen.checkpoints.extend(probes.checkpoints);
    let (size, found) = tokio::task::block_in_place(|| violations(&cluster, &seen));
    eprintln!("failover: {} acknowledged, {} abandoned, log of {size}", seen.acks.len(), seen.abandoned);
    assert!(found.is_empty(), "violations: {found:#?}");
    assert!(seen.refused.is_empty(), "refused: {:?}", seen.refused);
    assert!(seen.acks.len() > 20, "the load ran: {} acknowledged", seen.acks.len());
    let digests = converged_digests(&mut cluster, size).await;
    let fresh = &digests.last().expect("the fresh node").1;
    for (app, digest) in &digests {
        assert_eq!(digest, fresh, "{app}'s state differs from a fresh replay's");
    }
    let data = cluster.nodes[0].data.to_str().expect("utf8").to_owned();
    let store = cluster.store.clone();
    ok(&["audit", "--data", &data, "--store", &store], Path::new("."));
}

/// A zombie leader, step by step: stopped while idle (so it holds no
/// transaction the database would end), replaced, given a submission while
/// stopped, and woken. Returns what clients saw, and the violations found.
async fn zombie_round(cluster: &mut Cluster, round: u32) -> (Seen, Vec<String>) {
    let client = reqwest::Client::new();
    let seen = Mutex::new(Seen::default());
    let mut rng = StdRng::seed_from_u64(seed() ^ u64::from(round));
    let all = Mutex::new(cluster.urls.lock().expect("urls").clone());
    submit(&client, &all, &mut rng, &cluster.key, &format!("before-{round}"), &seen).await.expect("logged");
    let zombie = cluster.leader(&client).await;
    cluster.nodes[zombie].signal("-STOP");
    let others: Vec<String> =
        (0..cluster.nodes.len()).filter(|&i| i != zombie).map(|i| cluster.nodes[i].url.clone()).collect();
    let others = Mutex::new(others);
    for i in 0..3 {
        let id = format!("while-stopped-{round}-{i}");
        submit(&client, &others, &mut rng, &cluster.key, &id, &seen).await.expect("the new leader logs it");
    }
    // Written whole into the stopped node's socket before it wakes, so it
    // is there to be answered when it does.
    let id = format!("to-the-zombie-{round}");
    let mut stream = queue_request(&cluster.nodes[zombie].url, &envelope(&cluster.key, &id)).await;
    cluster.nodes[zombie].signal("-CONT");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split(' ').nth(1).unwrap_or_default();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    if let (true, Ok(receipt)) = (status == "201" || status == "200", serde_json::from_str::<Value>(body)) {
        let mut seen = seen.lock().expect("seen");
        seen.checkpoints.push(receipt["checkpoint"].as_str().expect("checkpoint").to_owned());
        let (index, leaf_hash) = (receipt["index"].as_u64().expect("index"), receipt["leaf_hash"].as_str());
        seen.acks.push(Ack { id, index, leaf_hash: leaf_hash.expect("leaf hash").to_owned() });
    }
    let seen = seen.into_inner().expect("seen");
    let found = tokio::task::block_in_place(|| violations(cluster, &seen)).1;
    (seen, found)
}

/// Connects to `url` and writes a whole submission of `body`.
async fn queue_request(url: &str, body: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let head = format!(
        "POST /v1/statements HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    stream.write_all(body).await.expect("writes");
    stream
}

/// The zombie leader, without load to hide it: the woken node must not
/// append, whatever it had been asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_woken_zombie_leader_appends_nothing() {
    let mut cluster = tokio::task::block_in_place(|| Cluster::start(false));
    let (seen, found) = zombie_round(&mut cluster, 0).await;
    assert!(found.is_empty(), "violations: {found:#?}");
    assert_eq!(seen.acks.len(), 4, "the zombie acknowledged nothing: {:?}", seen.acks);
}

/// The negative control: the same zombie with the fence switched off
/// writes over entries the new leader acknowledged, and the checks see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_the_fence_a_zombie_leader_is_caught_forking_the_log() {
    let mut cluster = tokio::task::block_in_place(|| Cluster::start(true));
    let (seen, found) = zombie_round(&mut cluster, 0).await;
    eprintln!(
        "failover, unfenced: {} acknowledged, {} violations, e.g. {:?}",
        seen.acks.len(),
        found.len(),
        found.first()
    );
    assert!(!found.is_empty(), "without the fence the zombie must fork or lose the log, and be caught");
}
