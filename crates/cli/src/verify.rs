//! `corridor verify`: what an outside verifier does, using nothing but the log's
//! verifier key and the public read API (or a proof file, offline).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;
use corridor_service::replay::{replay, EntrySource, ReplayOptions};
use corridor_store::{StoreError, StoredEntry};
use corridor_tlog::policy::Policy;
use corridor_tlog::{
    decode_entry_bundle, leaf_hash, root_from_stored, verify_consistency, Hash, SignedCheckpoint, TilePath,
    TILE_WIDTH,
};
use tokio::runtime::Handle;

use crate::client;
use crate::receipt::{check_receipt, check_tlog_proof, Known};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The server to check (its /checkpoint and /tile/... paths).
    #[arg(long)]
    server: Option<String>,
    /// The log's verifier key (for --bundle, defaults to the bundle's own log.vkey).
    #[arg(long)]
    vkey: Option<String>,
    /// An evidence bundle directory (from `corridor evidence`) to verify offline.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// An earlier checkpoint (file): the current one must be consistent with it.
    #[arg(long)]
    since: Option<PathBuf>,
    /// A tlog-proof file, or a receipt JSON, to verify offline.
    #[arg(long)]
    proof: Option<PathBuf>,
    /// The entry's leaf hash (base64), for a bare tlog-proof file.
    #[arg(long)]
    leaf_hash: Option<String>,
    /// The entry bytes (file): needed for a bare tlog-proof; for a receipt, checks its sequenced_at too.
    #[arg(long)]
    entry: Option<PathBuf>,
    /// Also fetch every entry and replay the log as `corridor audit` does: each
    /// entry against its tile hash, its signatures, the fold, and today's
    /// rules for submissions.
    #[arg(long)]
    full: bool,
    /// Write the verified checkpoint here, for a later --since.
    #[arg(long)]
    save: Option<PathBuf>,
    /// A C2SP tlog-policy file: the checkpoint checked (the server's, a
    /// proof's, each of a bundle's) must carry valid cosignatures of its quorum.
    #[arg(long)]
    policy: Option<PathBuf>,
}

/// The bound a cosignature time `t` (whole POSIX seconds, rounded down when
/// the witness signed) puts on when an entry was in the log: before `t + 1`.
pub fn witnessed_before(t: u64) -> String {
    crate::keys::posix_rfc3339(t.saturating_add(1))
}

/// Reads a C2SP tlog-policy file.
pub fn read_policy(path: &std::path::Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Policy::parse(&text).with_context(|| format!("{} is not a C2SP tlog-policy", path.display()))
}

/// Requires that `note`, a checkpoint already verified against `vkey`,
/// carries cosignatures meeting the policy's quorum; returns the earliest
/// time (POSIX s) by which the quorum had cosigned, and who cosigned when.
pub fn require_quorum(policy: &Policy, vkey: &VerifierKey, note: &str) -> Result<(Option<u64>, String)> {
    if !policy.accepts_log(vkey) {
        bail!("the policy does not list the log key {}", vkey.key_ref());
    }
    let check = policy.check_cosignatures(note).context("a cosignature on the checkpoint does NOT verify")?;
    let now_s = u64::try_from(crate::keys::now_us() / 1_000_000).unwrap_or(0);
    for (w, c) in policy.witnesses.iter().zip(&check.cosignatures) {
        if let Some(c) = c.filter(|c| c.timestamp > now_s + corridor_tlog::policy::MAX_FUTURE_S) {
            bail!(
                "the cosignature by {} is dated {}, in the future: refused",
                w.name,
                crate::keys::posix_rfc3339(c.timestamp)
            );
        }
    }
    let who: Vec<String> = policy
        .witnesses
        .iter()
        .zip(&check.cosignatures)
        .map(|(w, c)| match c {
            Some(c) => format!("{} at {}", w.name, crate::keys::posix_rfc3339(c.timestamp)),
            None => format!("{} (none)", w.name),
        })
        .collect();
    if !check.satisfied {
        bail!(
            "the checkpoint is NOT cosigned by the policy's quorum ({}): {}",
            policy.describe_quorum(),
            who.join(", ")
        );
    }
    Ok((check.quorum_time(policy), who.join(", ")))
}

pub async fn run(args: VerifyArgs) -> Result<()> {
    let vkey_text = match (&args.vkey, &args.bundle) {
        (Some(v), _) => v.clone(),
        (None, Some(dir)) => {
            eprintln!("note: using the bundle's own log.vkey; pass --vkey to check against a key you trust");
            std::fs::read_to_string(dir.join("log.vkey")).context("bundle has no log.vkey")?.trim().to_owned()
        }
        (None, None) => bail!("--vkey is required"),
    };
    let vkey = VerifierKey::parse(&vkey_text).context("--vkey is not a verifier key")?;
    if args.proof.is_none() && args.server.is_none() && args.bundle.is_none() {
        bail!("nothing to verify: give --server URL, --proof FILE or --bundle DIR");
    }
    let policy = args.policy.as_deref().map(read_policy).transpose()?;
    if let Some(dir) = &args.bundle {
        crate::evidence::verify_bundle(dir, &vkey, policy.as_ref())?;
    }
    if let Some(path) = &args.proof {
        verify_proof_file(path, &args, &vkey, policy.as_ref())?;
    }
    if let Some(server) = &args.server {
        verify_server(server, &args, &vkey, policy.as_ref()).await?;
    }
    Ok(())
}

fn decode_hash(b64: &str) -> Result<Hash> {
    let raw = B64.decode(b64.trim()).context("leaf hash is not base64")?;
    raw.try_into().map_err(|_| anyhow::anyhow!("leaf hash is not 32 bytes"))
}

/// Verifies a receipt (every field: see [`crate::receipt`]) or a bare
/// tlog-proof with no network at all.
fn verify_proof_file(
    path: &PathBuf,
    args: &VerifyArgs,
    vkey: &VerifierKey,
    policy: Option<&Policy>,
) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let entry = match &args.entry {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
        None => None,
    };
    let known = match (&entry, &args.leaf_hash) {
        (Some(bytes), _) => Known::Entry(bytes),
        (None, Some(h)) => Known::LeafHash(decode_hash(h)?),
        (None, None) => Known::Nothing,
    };
    let is_receipt = text.trim_start().starts_with('{');
    let entry_checked = matches!(known, Known::Entry(_));
    let proven = match (is_receipt, known) {
        (true, known) => check_receipt(&text, vkey, known),
        (false, Known::Entry(bytes)) => check_tlog_proof(&text, vkey, leaf_hash(bytes)),
        (false, Known::LeafHash(leaf)) => check_tlog_proof(&text, vkey, leaf),
        (false, Known::Nothing) => bail!("a bare tlog-proof needs --entry FILE or --leaf-hash B64"),
    }
    .context("proof does NOT verify")?;
    println!(
        "proof OK: entry {} is in {} at size {} (checkpoint signed by {})",
        proven.index,
        proven.checkpoint.checkpoint.origin,
        proven.checkpoint.checkpoint.size,
        vkey.key_ref()
    );
    if let Some(policy) = policy {
        let (by, who) = require_quorum(policy, vkey, &proven.checkpoint.note)?;
        println!("cosignatures OK: quorum {} met ({who})", policy.describe_quorum());
        if let Some(t) = by {
            println!(
                "witnessed: entry {} was in the log before {} (the quorum's cosignature times, to the second)",
                proven.index,
                witnessed_before(t)
            );
        }
    }
    if is_receipt && !entry_checked {
        // The leaf hash covers the entry's sequencing time, but without the
        // entry's bytes the receipt's copy of that time cannot be compared.
        println!(
            "note: the receipt's sequenced_at is well formed but not checked against the entry; \
             give --entry FILE (the entry bytes: field entry of GET /v1/entries/{}, base64-decoded) to check it",
            proven.index
        );
    }
    Ok(())
}

/// Fetches hash tiles on demand, each once.
struct TileFetcher<'a> {
    client: &'a reqwest::Client,
    server: &'a str,
    size: u64,
    cache: HashMap<(u8, u64), Vec<u8>>,
    fetched: usize,
}

/// The tile path holding hash `i` of tile level `level` in a tree of `size`.
fn tile_path(size: u64, level: u8, i: u64) -> TilePath {
    let level_len = size >> (8 * u32::from(level));
    let index = i / TILE_WIDTH;
    let full = (index + 1) * TILE_WIDTH <= level_len;
    let width = (!full).then_some((level_len % TILE_WIDTH) as u8);
    TilePath { level: Some(level), index, width }
}

impl TileFetcher<'_> {
    fn path(&self, level: u8, i: u64) -> TilePath {
        tile_path(self.size, level, i)
    }

    async fn hash(&mut self, level: u8, i: u64) -> Result<Hash> {
        let path = self.path(level, i);
        if !self.cache.contains_key(&(level, path.index)) {
            let bytes =
                client::get_bytes(self.client, self.server, &format!("/tile/{}", path.render())).await?;
            if bytes.len() as u64 != path.count() * 32 {
                bail!("tile {} has {} bytes, expected {}", path.render(), bytes.len(), path.count() * 32);
            }
            self.cache.insert((level, path.index), bytes);
            self.fetched += 1;
        }
        let tile = &self.cache[&(level, path.index)];
        let at = ((i % TILE_WIDTH) * 32) as usize;
        Ok(tile[at..at + 32].try_into().unwrap_or([0; 32]))
    }
}

async fn verify_server(
    server: &str,
    args: &VerifyArgs,
    vkey: &VerifierKey,
    policy: Option<&Policy>,
) -> Result<()> {
    let http = client::http()?;
    let note = client::get_text(&http, server, "/checkpoint").await?;
    let cp = SignedCheckpoint::open(&note, vkey).context("checkpoint signature does not verify")?;
    let size = cp.checkpoint.size;
    println!("checkpoint OK: {} size {} signed by {}", cp.checkpoint.origin, size, vkey.key_ref());
    if let Some(policy) = policy {
        let (_, who) = require_quorum(policy, vkey, &note)?;
        println!("cosignatures OK: quorum {} met ({who})", policy.describe_quorum());
    }
    let mut tiles = TileFetcher { client: &http, server, size, cache: HashMap::new(), fetched: 0 };
    let root = recompute_root(&mut tiles, size).await?;
    if root != cp.checkpoint.root {
        bail!("the root recomputed from the tiles does not match the checkpoint");
    }
    println!("tiles OK: root recomputed from {} tile(s) matches the checkpoint", tiles.fetched);
    if args.full {
        verify_all_entries(&http, server, size, &cp.checkpoint.root).await?;
    }
    if let Some(since) = &args.since {
        verify_since(&http, server, since, &cp, vkey).await?;
    }
    if let Some(save) = &args.save {
        std::fs::write(save, &note).with_context(|| format!("writing {}", save.display()))?;
    }
    Ok(())
}

/// Recomputes the root from tiles.
async fn recompute_root(tiles: &mut TileFetcher<'_>, size: u64) -> Result<Hash> {
    // Collect the hashes root_from_stored asks for, fetching tiles as needed.
    let mut wanted = Vec::new();
    let _ = root_from_stored(size, |level, i| {
        wanted.push((level, i));
        Ok::<Hash, ()>([0; 32])
    });
    let mut hashes = HashMap::new();
    for (level, i) in wanted {
        hashes.insert((level, i), tiles.hash(level, i).await?);
    }
    let root = root_from_stored(size, |level, i| hashes.get(&(level, i)).copied().ok_or(()))
        .map_err(|_| anyhow::anyhow!("missing tile hash"))?;
    Ok(root.unwrap_or_else(corridor_tlog::empty_root))
}

/// Replays the whole served log as `corridor audit` replays a store
/// ([`ReplayOptions::audit`]): every entry must hash to its level-0 tile
/// hash, be in canonical form, carry signatures that verify and fold; every
/// entry a submission would be refused for today is listed, and fails the
/// check; the tree of all the leaves must give the checkpoint's root.
async fn verify_all_entries(http: &reqwest::Client, server: &str, size: u64, root: &Hash) -> Result<()> {
    let source =
        ServedLog { client: http.clone(), server: server.to_owned(), size, runtime: Handle::current() };
    let replayed = tokio::task::spawn_blocking(move || replay(&source, ReplayOptions::audit(), &|_| {}))
        .await
        .context("the replay stopped")??;
    if replayed.tree.size() != size || replayed.tree.root(size).ok().as_ref() != Some(root) {
        bail!("the root recomputed from every entry does not match the checkpoint");
    }
    crate::audit::report_refusals(&replayed.refused_today)?;
    println!(
        "entries OK: all {size} entries hash to the level-0 tiles, give the root, fold, and carry {} valid signatures",
        replayed.signatures
    );
    Ok(())
}

/// A server's log as a replay source: entry bundles give the bytes and the
/// level-0 tiles the leaf hashes, so that replay's leaf-hash check is the
/// check that every entry hashes to its tile.
struct ServedLog {
    client: reqwest::Client,
    server: String,
    size: u64,
    runtime: Handle,
}

impl EntrySource for ServedLog {
    fn size(&self) -> Result<u64, StoreError> {
        Ok(self.size)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        self.runtime
            .block_on(self.fetch(start, end.min(self.size)))
            .map_err(|e| StoreError::Backend(format!("{e:#}")))
    }
}

impl ServedLog {
    async fn fetch(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>> {
        let mut out = Vec::with_capacity(end.saturating_sub(start) as usize);
        let mut index = start;
        while index < end {
            let path = tile_path(self.size, 0, index);
            let (hashes_at, bundle_at) = (
                format!("/tile/{}", path.render()),
                format!("/tile/{}", TilePath { level: None, ..path }.render()),
            );
            let hashes = client::get_bytes(&self.client, &self.server, &hashes_at).await?;
            let bundle = client::get_bytes(&self.client, &self.server, &bundle_at).await?;
            let entries = decode_entry_bundle(&bundle)?;
            if entries.len() as u64 != path.count() || hashes.len() as u64 != path.count() * 32 {
                bail!("tile {} and its entry bundle do not hold {} entries", path.render(), path.count());
            }
            let first = path.index * TILE_WIDTH;
            for (i, bytes) in entries.into_iter().enumerate().skip((index - first) as usize) {
                let at = first + i as u64;
                if at >= end {
                    break;
                }
                let leaf_hash = hashes[i * 32..i * 32 + 32].try_into().unwrap_or([0; 32]);
                out.push(StoredEntry { index: at, leaf_hash, bytes: bytes.to_vec() });
            }
            index = first + path.count();
        }
        Ok(out)
    }
}

async fn verify_since(
    http: &reqwest::Client,
    server: &str,
    since: &PathBuf,
    now: &SignedCheckpoint,
    vkey: &VerifierKey,
) -> Result<()> {
    let old_note = std::fs::read_to_string(since).with_context(|| format!("reading {}", since.display()))?;
    let old = SignedCheckpoint::open(&old_note, vkey)
        .context("the earlier checkpoint's signature does not verify")?;
    let (from, to) = (old.checkpoint.size, now.checkpoint.size);
    if from > to {
        bail!(
            "the checkpoint served (size {to}) is older than the earlier one (size {from}): the log shrank, \
             or it serves at /checkpoint only what witnesses cosigned and they are behind; retry once they \
             have caught up"
        );
    }
    if from == to && old.checkpoint.root != now.checkpoint.root {
        bail!(
            "INCONSISTENT: two checkpoints of size {from} with different roots (earlier {}, now {}): \
             the log has shown two histories",
            B64.encode(old.checkpoint.root),
            B64.encode(now.checkpoint.root)
        );
    }
    let resp = client::get_json(http, server, &format!("/v1/proofs/consistency?from={from}&to={to}")).await?;
    let proof = resp["proof"]
        .as_array()
        .context("no proof in response")?
        .iter()
        .map(|h| decode_hash(h.as_str().unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    verify_consistency(from, to, &proof, &old.checkpoint.root, &now.checkpoint.root).with_context(|| {
        format!(
            "INCONSISTENT: the checkpoint of size {to} (root {}) does not extend the earlier one of size {from} \
             (root {}): no consistency proof links them, so the log has shown two histories",
            B64.encode(now.checkpoint.root),
            B64.encode(old.checkpoint.root)
        )
    })?;
    println!("consistency OK: size {from} -> {to}");
    Ok(())
}
