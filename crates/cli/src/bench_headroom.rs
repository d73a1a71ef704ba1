//! `corridor bench headroom`: the brief's headroom mix on one machine.
//!
//! The log (10,000,000 entries by default: 1,000,000 sites, 100,000 zones,
//! 100,000 operations, 200,000 movements, 2,000,000 acknowledgements, the
//! rest messages; `--entries` scales every kind alike) is built straight
//! into the store: each statement is signed by its party, made an entry with
//! its sequencing time, hashed into the tree, and appended in batches of
//! 4,096 with a signed checkpoint, exactly as the sequencer writes them. The
//! build does not fold: the first snapshot, and the restart without one, fold
//! every entry, and would stop at any entry the fold refused.
//!
//! Then it measures, and prints:
//! - the build time and the size on disk;
//! - making the first snapshot (a full replay and a write) and its size;
//! - `corridor serve` restarted without a snapshot and with one: time from
//!   spawn to listening (recovery included), and resident memory;
//! - submit-to-receipt latency at `--rate` statements/s (open loop) on the
//!   full log;
//! - a short-route deconfliction query's latency (`POST
//!   /v1/movements/preview`, 2 km routes) on the full state.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use corridor_note::SignerKey;
use corridor_statement::{build_entry, sign, CanonicalEnvelope};
use corridor_store::{NewEntry, StoredCheckpoint};
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint, Tree};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::bench::{machine, percentile, presign_with_ids, report_latencies, spawn_server_with};
use crate::data::DataDir;

/// Entries of each kind in the log (the genesis and two registrations come first).
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub sites: u64,
    pub zones: u64,
    pub operations: u64,
    pub movements: u64,
    pub acks: u64,
    pub messages: u64,
}

/// The brief's headroom: 10 M entries.
const FULL: u64 = 10_000_000;

impl Mix {
    /// The headroom mix scaled to `entries` in all.
    pub fn scaled(entries: u64) -> Self {
        let part = |per_million: u64| entries * per_million / 1_000_000;
        let (sites, zones, operations, movements, acks) =
            (part(100_000), part(10_000), part(10_000), part(20_000), part(200_000));
        let messages = entries.saturating_sub(3 + sites + zones + operations + movements + acks);
        Self { sites, zones, operations, movements, acks, messages }
    }

    fn total(&self) -> u64 {
        3 + self.sites + self.zones + self.operations + self.movements + self.acks + self.messages
    }

    /// Entries after the zones and operations, which come first.
    fn rest(&self) -> u64 {
        self.sites + self.movements + self.acks + self.messages
    }
}

/// Batch size of the build, as the sequencer's largest batch.
const BATCH: u64 = 4_096;

/// A multiplier coprime with every count here (a prime above 10 M that does
/// not divide them), spreading each kind over the whole log.
const SPREAD: u64 = 10_000_019;

/// Who files what at one position of the log.
struct Item {
    party: usize,
    kind: &'static str,
    id: String,
    body: Value,
}

fn place(n: u64) -> (f64, f64) {
    // A deterministic scatter over lon 35-48, lat 29-37 (the exercise region).
    let a = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
    let b = (n.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> 11) as f64 / (1u64 << 53) as f64;
    (35.0 + a * 13.0, 29.0 + b * 8.0)
}

fn square(lon: f64, lat: f64, half_deg: f64) -> Value {
    let (a, b, c, d) = (lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg);
    json!({"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]})
}

/// A short route (about 2 km) starting at `n`'s place.
fn short_route(n: u64) -> Value {
    let (lon, lat) = place(n);
    json!({"type": "LineString", "coordinates": [[lon, lat], [lon + 0.01, lat + 0.005], [lon + 0.02, lat + 0.01]]})
}

fn movement_body(n: u64) -> Value {
    json!({"purpose": "aid_delivery", "route": short_route(n), "corridor_m": 500,
        "window": {"from": "2027-02-01T00:00:00.000Z", "to": "2027-02-01T06:00:00.000Z"},
        "origin": "a", "destination": "b", "manifest": []})
}

/// The item at log index `index` (3 and later; 0-2 are the parties).
fn item(mix: &Mix, index: u64) -> Item {
    let j = index - 3;
    if j < mix.zones {
        return zone(j);
    }
    let j = j - mix.zones;
    if j < mix.operations {
        return operation(j);
    }
    let j = j - mix.operations;
    // A permutation of the rest spreads each kind over the whole log.
    let h = (u128::from(j) * u128::from(SPREAD) % u128::from(mix.rest().max(1))) as u64;
    if h < mix.sites {
        return site(h);
    }
    let h = h - mix.sites;
    if h < mix.movements {
        return movement(h);
    }
    let h = h - mix.movements;
    if h < mix.acks {
        return ack(h, index);
    }
    message(h - mix.acks)
}

/// The `n`th record of each kind, filed by the party that files it.
fn zone(n: u64) -> Item {
    let (lon, lat) = place(n);
    let body = json!({"name": "z", "geometry": square(lon, lat, 0.02), "window": {"from": "2026-01-01T00:00:00.000Z"}});
    Item { party: 1, kind: "zone.declare", id: format!("z{n}"), body }
}

fn operation(n: u64) -> Item {
    let (lon, lat) = place(n + FULL);
    let body = json!({"name": "o", "geometry": square(lon, lat, 0.01), "standoff_m": 500, "notified": [],
        "window": {"from": "2027-01-01T00:00:00.000Z", "to": "2027-01-02T00:00:00.000Z"}});
    Item { party: 1, kind: "operation.notify", id: format!("o{n}"), body }
}

fn site(n: u64) -> Item {
    let (lon, lat) = place(n + 2 * FULL);
    let body = json!({"name": "s", "category": "clinic", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "buffer_m": 100, "window": {"from": "2026-01-01T00:00:00.000Z"}});
    Item { party: 2, kind: "site.notify", id: format!("s{n}"), body }
}

fn movement(n: u64) -> Item {
    Item { party: 2, kind: "movement.request", id: format!("m{n}"), body: movement_body(n) }
}

/// Acknowledges the entry just before `index`, whatever it is.
fn ack(n: u64, index: u64) -> Item {
    Item { party: 1, kind: "acknowledge", id: format!("a{n}"), body: json!({"refs": [index - 1]}) }
}

fn message(n: u64) -> Item {
    let body = json!({"to": ["force", "agency"], "subject": "daily coordination",
        "text": format!("Movement plans for sector {} confirmed; crossing opens at 06:00.", n % 97)});
    Item { party: 0, kind: "message.send", id: format!("g{n}"), body }
}

/// The parties' keys: the operator, an armed force, an agency.
fn parties(ops: SignerKey) -> Result<[SignerKey; 3]> {
    Ok([ops, SignerKey::from_seed("force", [2; 32])?, SignerKey::from_seed("agency", [3; 32])?])
}

fn registration(key: &SignerKey, kind: &str) -> Value {
    json!({"id": key.name(), "name": key.name(), "kind": kind, "keys": [key.verifier().to_vkey()]})
}

/// Signs `item` and makes it the entry sequenced at `at_us`.
fn entry_bytes(keys: &[SignerKey; 3], item: &Item, at_us: i64) -> Result<Vec<u8>> {
    let key = &keys[item.party];
    let st = json!({"type": item.kind, "issuer": key.name(), "id": item.id, "issued_at": "2026-11-22T10:00:00.000Z", "body": item.body});
    let env = sign(st.to_string().as_bytes(), &[key]);
    build_entry(at_us, &CanonicalEnvelope::of(&env)).map_err(|e| anyhow::anyhow!("{}: {e}", item.id))
}

/// Builds the log in `dir` (which holds its genesis); returns its size.
fn build(dir: &DataDir, mix: &Mix) -> Result<u64> {
    let _lock = dir.lock()?;
    let log_key = dir.log_key()?;
    let (mut writer, reader) = dir.store()?.open(&log_key.verifier(), false)?;
    let mut tree = Tree::from_leaves(reader.leaf_hashes(0, reader.size()?)?);
    if tree.size() != 1 {
        bail!("the log must hold only its genesis, not {} entries", tree.size());
    }
    let keys = parties(dir.operator_key()?)?;
    let total = mix.total();
    // After the genesis's own time, 100 µs apart.
    let at = |index: u64| 1_795_400_000_000_000 + index as i64 * 100;
    let mut next = 1;
    while next < total {
        let end = (next + BATCH).min(total);
        let bytes: Vec<Vec<u8>> = (next..end)
            .into_par_iter()
            .map(|index| {
                let it = match index {
                    1 => Item {
                        party: 0,
                        kind: "party.register",
                        id: "r-force".into(),
                        body: registration(&keys[1], "armed_force"),
                    },
                    2 => Item {
                        party: 0,
                        kind: "party.register",
                        id: "r-agency".into(),
                        body: registration(&keys[2], "agency"),
                    },
                    _ => item(mix, index),
                };
                entry_bytes(&keys, &it, at(index))
            })
            .collect::<Result<_>>()?;
        let entries: Vec<NewEntry> = bytes
            .into_iter()
            .zip(next..)
            .map(|(bytes, index)| NewEntry { index, leaf_hash: leaf_hash(&bytes), bytes })
            .collect();
        entries.iter().for_each(|e| tree.push(e.leaf_hash));
        let root = tree.root(end)?;
        let cp = Checkpoint { origin: log_key.name().to_owned(), size: end, root };
        let signed = SignedCheckpoint::sign(cp, &log_key)?;
        writer.append(&entries, &StoredCheckpoint { size: end, note: signed.note })?;
        next = end;
        if next % (BATCH * 256) < BATCH {
            println!("  built {next} of {total} entries");
        }
    }
    Ok(tree.size())
}

/// Bytes under `path`, recursively.
fn disk_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|d| d.filter_map(Result::ok).map(|e| disk_bytes(&e.path())).sum())
        .unwrap_or(0)
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// A child's resident memory now and at its peak (`/proc/PID/status`), in bytes.
fn resident(pid: Option<u32>) -> (u64, u64) {
    let status =
        pid.and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok()).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Restarts the server on `dir` with `extra` arguments; prints how long it
/// took to listen and its memory, and returns it running.
async fn restart(dir: &Path, extra: &[&str], label: &str) -> Result<(tokio::process::Child, String)> {
    let started = Instant::now();
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    let (child, url) = spawn_server_with(dir, &extra).await?;
    let secs = started.elapsed().as_secs_f64();
    let (rss, peak) = resident(child.id());
    println!("restart {label}: serving in {secs:.1} s; resident {} (peak {})", gib(rss), gib(peak));
    Ok((child, url))
}

/// Builds the log in `dir` and makes its first snapshot, timing both.
async fn build_and_snapshot(dir: &DataDir, mix: Mix) -> Result<()> {
    let started = Instant::now();
    let built = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || build(&dir, &mix)).await??
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "build: {built} entries in {secs:.1} s ({:.0} entries/s); on disk {}",
        built as f64 / secs,
        gib(disk_bytes(&dir.root))
    );
    let started = Instant::now();
    let made = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || -> Result<Option<u64>> {
            let reader = dir.store()?.reader()?;
            let snapshots = corridor_service::Snapshots::new(dir.snapshots());
            Ok(corridor_service::snapshot::make(&snapshots, reader.as_ref(), &dir.log_key()?.verifier(), 2)?)
        })
        .await??
    };
    println!(
        "first snapshot (full replay + write): {} entries in {:.1} s; snapshots on disk {}",
        made.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        gib(disk_bytes(&dir.snapshots()))
    );
    Ok(())
}

pub async fn bench_headroom(
    entries: u64,
    keep: Option<PathBuf>,
    rate: u64,
    seconds: u64,
    queries: usize,
) -> Result<()> {
    let mix = Mix::scaled(entries);
    println!(
        "bench headroom: {} entries ({} sites, {} zones, {} operations, {} movements, {} acknowledgements, {} messages), machine: {}",
        mix.total(), mix.sites, mix.zones, mix.operations, mix.movements, mix.acks, mix.messages, machine()
    );
    let existing = keep.as_ref().is_some_and(|root| DataDir::new(root).exists());
    let (_tmp, dir) = match keep {
        Some(root) if existing => (None, DataDir::new(&root)),
        Some(root) => {
            crate::serve::init(&root, None, "bench.corridor/log", "ops", "Bench operator").await?;
            (None, DataDir::new(&root))
        }
        None => crate::bench::temp_log().await.map(|(tmp, dir)| (Some(tmp), dir))?,
    };
    if existing {
        let size = dir.store()?.reader()?.size()?;
        println!(
            "using the log already in {} ({size} entries; no build, no first snapshot; the mix above is not checked)",
            dir.root.display()
        );
    } else {
        build_and_snapshot(&dir, mix).await?;
    }
    let (mut child, _) = restart(&dir.root, &["--no-snapshots"], "without a snapshot (full replay)").await?;
    child.kill().await.ok();
    child.wait().await.ok();
    let (mut child, url) = restart(&dir.root, &[], "from the snapshot").await?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let n = usize::try_from(rate * seconds).unwrap_or(usize::MAX);
    // Ids of their own, so that a rerun on a kept log submits new statements.
    let prefix = format!("h{:08x}-", rand::random::<u32>());
    let bodies = Arc::new(presign_with_ids(&dir.operator_key()?, n, &prefix));
    let started = Instant::now();
    let outcomes = open_loop_outcomes(&client, &format!("{url}/v1/statements"), &bodies, rate).await?;
    let secs = started.elapsed().as_secs_f64();
    let (lat, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let lat: Vec<Duration> = lat.into_iter().filter_map(Result::ok).collect();
    println!("open loop at {rate}/s on the full log: {} durable statements in {secs:.1} s", lat.len());
    if let Some(Err(first)) = failed.first() {
        println!("  {} submissions failed; the first: {first}", failed.len());
    }
    report_latencies("submit-to-receipt latency", lat);

    let mut lat = Vec::with_capacity(queries);
    for q in 0..queries {
        let body =
            json!({"type": "movement.request", "issuer": "agency", "body": movement_body(FULL + q as u64)});
        let t = Instant::now();
        let resp = client.post(format!("{url}/v1/movements/preview")).json(&body).send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("preview answered {status}: {text}");
        }
        lat.push(t.elapsed());
    }
    lat.sort_unstable();
    println!(
        "short-route deconfliction (POST /v1/movements/preview, 2 km): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} queries)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
        lat.len()
    );
    let (rss, peak) = resident(child.id());
    println!(
        "server after the load: resident {} (peak {}); on disk {}",
        gib(rss),
        gib(peak),
        gib(disk_bytes(&dir.root))
    );
    child.kill().await.ok();
    Ok(())
}

/// `corridor bench memory`: resident memory per entry of each kind in the
/// folded state, measured by folding `per_kind` entries of one kind after
/// another into one state (signatures are not checked by the fold, so none
/// are made) and reading the process's resident memory between kinds. The
/// Merkle tree is not part of the state: it adds 64 bytes per entry (a leaf
/// hash and, amortized, one interior hash).
pub fn bench_memory(per_kind: u64) -> Result<()> {
    println!("bench memory: {per_kind} entries of each kind folded into one state, machine: {}", machine());
    let keys = parties(SignerKey::from_seed("ops", [1; 32])?)?;
    let mut state = corridor_state::State::new();
    let setup = [
        (0, "party.register", "g", registration(&keys[0], "coordination")),
        (0, "party.register", "r-force", registration(&keys[1], "armed_force")),
        (0, "party.register", "r-agency", registration(&keys[2], "agency")),
    ];
    let envelopes = setup
        .into_iter()
        .map(|(p, kind, id, body)| crate::bench::unsigned::envelope(&keys[p], kind, id, body).0);
    crate::bench::fold_all(&mut state, envelopes.collect())?;
    // The `n`th item of a kind, to be logged at an index.
    type Make = fn(u64, u64) -> Item;
    let kinds: [(&str, Make); 6] = [
        ("message.send", |n, _| message(n)),
        ("acknowledge", ack),
        ("site.notify", |n, _| site(n)),
        ("zone.declare", |n, _| zone(n)),
        ("operation.notify", |n, _| operation(n)),
        ("movement.request", |n, _| movement(n)),
    ];
    let mut estimate = 0.0;
    let mix = Mix::scaled(FULL);
    for (kind, make) in kinds {
        let before = resident(Some(std::process::id())).0;
        // One at a time, so that what is measured is what the state keeps,
        // not envelopes waiting to be folded.
        for k in 0..per_kind {
            let it = make(k, state.size());
            let (e, _) = crate::bench::unsigned::envelope(&keys[it.party], it.kind, &it.id, it.body);
            crate::bench::fold_all(&mut state, vec![e])?;
        }
        let per_entry = resident(Some(std::process::id())).0.saturating_sub(before) as f64 / per_kind as f64;
        let count = match kind {
            "message.send" => mix.messages,
            "acknowledge" => mix.acks,
            "site.notify" => mix.sites,
            "zone.declare" => mix.zones,
            "operation.notify" => mix.operations,
            _ => mix.movements,
        };
        estimate += per_entry * count as f64;
        println!("{kind}: {per_entry:.0} bytes per entry");
    }
    let tree = 64.0 * FULL as f64;
    println!(
        "the headroom mix ({FULL} entries) by these figures: state {:.2} GiB, tree {:.2} GiB",
        estimate / (1u64 << 30) as f64,
        tree / (1u64 << 30) as f64
    );
    Ok(())
}

/// Sends `bodies` at `rate` per second, each at its scheduled time; the
/// latency of each from that time, or why it failed (a failure does not stop
/// the run, so that one refused request does not hide the rest).
async fn open_loop_outcomes(
    client: &reqwest::Client,
    endpoint: &str,
    bodies: &Arc<Vec<Vec<u8>>>,
    rate: u64,
) -> Result<Vec<Result<Duration, String>>> {
    let start = tokio::time::Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(crate::bench::OPEN_LOOP_MAX_IN_FLIGHT));
    let mut tasks = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        let due = start + Duration::from_nanos(i as u64 * 1_000_000_000 / rate.max(1));
        tokio::time::sleep_until(due).await;
        let permit = permits.clone().acquire_owned().await?;
        let (client, endpoint, body) = (client.clone(), endpoint.to_owned(), body.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let sent =
                client.post(&endpoint).header("content-type", "application/json").body(body).send().await;
            match sent {
                Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                    r.bytes().await.map_err(|e| e.to_string())?;
                    Ok(due.elapsed())
                }
                Ok(r) => Err(format!("answered {}: {}", r.status(), r.text().await.unwrap_or_default())),
                Err(e) => Err(format!("{e:?}")),
            }
        }));
    }
    let mut all = Vec::with_capacity(tasks.len());
    for t in tasks {
        all.push(t.await?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_adds_up_and_every_kind_is_placed() {
        let mix = Mix::scaled(FULL);
        assert_eq!(mix.total(), FULL);
        assert_eq!((mix.sites, mix.zones, mix.operations), (1_000_000, 100_000, 100_000));
        let small = Mix::scaled(10_000);
        let mut counts = std::collections::BTreeMap::new();
        for index in 3..small.total() {
            *counts.entry(item(&small, index).kind).or_insert(0u64) += 1;
        }
        assert_eq!(counts["site.notify"], small.sites);
        assert_eq!(counts["zone.declare"], small.zones);
        assert_eq!(counts["operation.notify"], small.operations);
        assert_eq!(counts["movement.request"], small.movements);
        assert_eq!(counts["acknowledge"], small.acks);
        assert_eq!(counts["message.send"], small.messages);
    }
}
