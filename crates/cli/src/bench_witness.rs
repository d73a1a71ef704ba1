//! Witness benchmarks: what witnesses cost the log, and what one witness can do.
//!
//! `bench witness`: the log and two witnesses as separate processes on
//! loopback, each with its own SQLite file. Open-loop submissions at a fixed
//! rate, once without witnesses and once with them, report the
//! submit-to-receipt latency of each run side by side. The run with witnesses
//! also reports the lag from each receipt to the first cosigned checkpoint
//! covering it. That lag is seen by polling `/v1/log` every 5 ms, so it is
//! over-stated by up to 5 ms.
//!
//! `bench cosign`: one witness process, one client sending a growing log's
//! checkpoints one after another. Each request is a durable transaction and a
//! signature: cosignatures per second.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use corridor_note::SignerKey;
use corridor_tlog::witness::AddCheckpoint;
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint, Tree};

use crate::bench::{
    listening_url, machine, percentile, presign, report_latencies, spawn_server_with, temp_log,
};

/// Starts `corridor witness serve` on its own data; returns the child, URL and vkey.
async fn spawn_witness(
    dir: &Path,
    name: &str,
    log_vkey: &str,
) -> Result<(tokio::process::Child, String, String)> {
    let key = crate::witness::init(dir, name)?;
    crate::witness::add_log(dir, None, log_vkey)?;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["witness", "serve", "--data"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "--rate-per-client", "1000000", "--burst-per-client", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let url = listening_url(&mut child, "witness listening on ").await?;
    Ok((child, url, key.verifier().to_vkey()))
}

/// One open-loop run; returns (receipt latencies, per entry (index, receipt instant)).
async fn run_rate(
    url: &str,
    bodies: &Arc<Vec<Vec<u8>>>,
    rate: u64,
) -> Result<(Vec<Duration>, Vec<(u64, Instant)>)> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(200).build()?;
    let endpoint = format!("{url}/v1/statements");
    let start = tokio::time::Instant::now();
    // At most this many requests (so connections) at once: the server closes
    // a client's connections beyond its share (256). A request waiting here
    // is still timed from when it was due (open loop).
    let connections = Arc::new(tokio::sync::Semaphore::new(200));
    let mut tasks = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        let due = start + Duration::from_nanos(i as u64 * 1_000_000_000 / rate);
        tokio::time::sleep_until(due).await;
        let (client, endpoint, body) = (client.clone(), endpoint.clone(), body.clone());
        let connections = connections.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = connections.acquire_owned().await?;
            let resp =
                client.post(&endpoint).header("content-type", "application/json").body(body).send().await?;
            if resp.status() != reqwest::StatusCode::CREATED {
                bail!("submission answered {}", resp.status());
            }
            let receipt: serde_json::Value = resp.json().await?;
            let at = Instant::now();
            Ok::<_, anyhow::Error>((due.elapsed(), receipt["index"].as_u64().context("index")?, at))
        }));
    }
    let (mut lat, mut receipts) = (Vec::new(), Vec::new());
    for t in tasks {
        let (l, index, at) = t.await??;
        lat.push(l);
        receipts.push((index, at));
    }
    Ok((lat, receipts))
}

/// Polls `/v1/log` every 5 ms, recording when each cosigned size was first seen,
/// until `stop` is set.
async fn watch_cosigned(
    url: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Vec<(u64, Instant)>> {
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    let mut last = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let log: serde_json::Value = client.get(format!("{url}/v1/log")).send().await?.json().await?;
        if let Some(size) = log["cosigned_size"].as_u64().filter(|s| *s > last) {
            seen.push((size, Instant::now()));
            last = size;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(seen)
}

/// For each receipt, the time to the first cosigned size covering it.
fn lags(receipts: &[(u64, Instant)], cosigned: &[(u64, Instant)]) -> (Vec<Duration>, usize) {
    let mut lags = Vec::new();
    let mut uncovered = 0;
    for (index, at) in receipts {
        match cosigned.iter().find(|(size, _)| *size > *index) {
            Some((_, seen)) => lags.push(seen.saturating_duration_since(*at)),
            None => uncovered += 1,
        }
    }
    (lags, uncovered)
}

pub async fn bench_witness(entries: usize, rates: &[u64]) -> Result<()> {
    println!(
        "bench witness: {entries} statements per run, two witnesses as separate processes, machine: {}",
        machine()
    );
    for &rate in rates {
        for with_witnesses in [false, true] {
            let (tmp, dir) = temp_log().await?;
            let bodies = Arc::new(presign(&dir.operator_key()?, entries));
            let log_vkey = dir.log_key()?.verifier().to_vkey();
            let mut children = Vec::new();
            let mut args = Vec::new();
            if with_witnesses {
                let mut policy = format!("log {log_vkey}\n");
                for (i, name) in ["bench-w1.example/witness", "bench-w2.example/witness"].iter().enumerate() {
                    let (child, url, vkey) =
                        spawn_witness(&tmp.path().join(format!("w{i}")), name, &log_vkey).await?;
                    policy.push_str(&format!("witness w{i} {vkey} {url}\n"));
                    children.push(child);
                }
                policy.push_str("group both all w0 w1\nquorum both\n");
                let path = tmp.path().join("policy.txt");
                std::fs::write(&path, policy)?;
                args = vec!["--witness-policy".to_owned(), path.display().to_string()];
            }
            let (mut server, url) = spawn_server_with(&dir.root, &args).await?;
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let watcher = tokio::spawn(watch_cosigned(url.clone(), stop.clone()));
            let (lat, receipts) = run_rate(&url, &bodies, rate).await?;
            let mode = if with_witnesses { "witnesses on " } else { "witnesses off" };
            report_latencies(&format!("{rate}/s, {mode}: submit-to-receipt latency"), lat);
            if with_witnesses {
                // Let the last rounds finish: wait until the last receipt is covered (bounded).
                let last = receipts.iter().map(|r| r.0).max().unwrap_or(0);
                for _ in 0..400 {
                    let log: serde_json::Value = reqwest::get(format!("{url}/v1/log")).await?.json().await?;
                    if log["cosigned_size"].as_u64().is_some_and(|s| s > last) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let cosigned = watcher.await??;
            if with_witnesses {
                let (mut lag, uncovered) = lags(&receipts, &cosigned);
                lag.sort_unstable();
                println!(
                    "{rate}/s, witnesses on : receipt-to-cosigned lag: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} receipts, {uncovered} never covered; {} cosigned sizes seen)",
                    percentile(&lag, 0.5),
                    percentile(&lag, 0.99),
                    percentile(&lag, 1.0),
                    lag.len(),
                    cosigned.len()
                );
            }
            server.kill().await.ok();
            for mut c in children {
                c.kill().await.ok();
            }
        }
    }
    Ok(())
}

pub async fn bench_cosign(requests: u64) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let key = SignerKey::from_seed("bench.example/log", [9; 32])?;
    let (mut child, url, _) =
        spawn_witness(&tmp.path().join("w"), "bench.example/witness", &key.verifier().to_vkey()).await?;
    let mut tree = Tree::new();
    let mut bodies = Vec::with_capacity(requests as usize);
    for size in 1..=requests {
        tree.push(leaf_hash(&size.to_be_bytes()));
        let old = size - 1;
        let proof = if old == 0 { vec![] } else { tree.consistency_proof(old, size)? };
        let cp = Checkpoint { origin: key.name().to_owned(), size, root: tree.root(size)? };
        let note = SignedCheckpoint::sign(cp, &key)?.note;
        bodies.push(AddCheckpoint { old_size: old, proof, checkpoint_note: note }.to_body());
    }
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/add-checkpoint");
    println!(
        "bench cosign: {requests} add-checkpoint requests, one client, one after another, machine: {}",
        machine()
    );
    let started = Instant::now();
    let mut lat = Vec::with_capacity(bodies.len());
    for body in bodies {
        let t = Instant::now();
        let resp = client.post(&endpoint).body(body).send().await?;
        if resp.status() != reqwest::StatusCode::OK {
            bail!("the witness answered {}: {}", resp.status(), resp.text().await.unwrap_or_default());
        }
        resp.bytes().await?;
        lat.push(t.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{requests} cosignatures in {secs:.2} s = {:.0} cosignatures/s", requests as f64 / secs);
    report_latencies("add-checkpoint latency", lat);
    child.kill().await.ok();
    Ok(())
}
