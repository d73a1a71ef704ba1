//! `corridor verify`: what an outside verifier does, using nothing but the log's
//! verifier key and the public read API (or a proof file, offline).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;
use corridor_tlog::{
    decode_entry_bundle, leaf_hash, parse_tlog_proof, root_from_stored, verify_consistency, Hash,
    SignedCheckpoint, TilePath, TILE_WIDTH,
};
use serde_json::Value;

use crate::client;

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
    /// The entry's bytes (file), for a bare tlog-proof file.
    #[arg(long)]
    entry: Option<PathBuf>,
    /// Also fetch every entry bundle and check every leaf against the tiles.
    #[arg(long)]
    full: bool,
    /// Write the verified checkpoint here, for a later --since.
    #[arg(long)]
    save: Option<PathBuf>,
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
    if let Some(dir) = &args.bundle {
        crate::evidence::verify_bundle(dir, &vkey)?;
    }
    if let Some(path) = &args.proof {
        verify_proof_file(path, &args, &vkey)?;
    }
    if let Some(server) = &args.server {
        verify_server(server, &args, &vkey).await?;
    }
    Ok(())
}

fn decode_hash(b64: &str) -> Result<Hash> {
    let raw = B64.decode(b64.trim()).context("leaf hash is not base64")?;
    raw.try_into().map_err(|_| anyhow::anyhow!("leaf hash is not 32 bytes"))
}

/// Verifies a tlog-proof (or a receipt carrying one) with no network at all.
fn verify_proof_file(path: &PathBuf, args: &VerifyArgs, vkey: &VerifierKey) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (proof_text, receipt_leaf) = match serde_json::from_str::<Value>(&text) {
        Ok(receipt) => (
            receipt["tlog_proof"].as_str().context("receipt has no tlog_proof")?.to_owned(),
            receipt["leaf_hash"].as_str().map(str::to_owned),
        ),
        Err(_) => (text, None),
    };
    let leaf = match (&args.entry, &args.leaf_hash, receipt_leaf.as_ref()) {
        (Some(entry), _, _) => {
            leaf_hash(&std::fs::read(entry).with_context(|| format!("reading {}", entry.display()))?)
        }
        (None, Some(h), _) | (None, None, Some(h)) => decode_hash(h.as_str())?,
        (None, None, None) => bail!("a bare tlog-proof needs --entry FILE or --leaf-hash B64"),
    };
    let proof = parse_tlog_proof(&proof_text)?;
    let cp = proof.verify(&leaf, vkey).context("proof does not verify")?;
    println!(
        "proof OK: entry {} is in {} at size {} (checkpoint signed by {})",
        proof.index,
        cp.checkpoint.origin,
        cp.checkpoint.size,
        vkey.key_ref()
    );
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

impl TileFetcher<'_> {
    /// The tile path holding hash `i` of tile level `level` in a tree of `size`.
    fn path(&self, level: u8, i: u64) -> TilePath {
        let level_len = self.size >> (8 * u32::from(level));
        let index = i / TILE_WIDTH;
        let full = (index + 1) * TILE_WIDTH <= level_len;
        let width = (!full).then_some((level_len % TILE_WIDTH) as u8);
        TilePath { level: Some(level), index, width }
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

async fn verify_server(server: &str, args: &VerifyArgs, vkey: &VerifierKey) -> Result<()> {
    let http = client::http()?;
    let note = client::get_text(&http, server, "/checkpoint").await?;
    let cp = SignedCheckpoint::open(&note, vkey).context("checkpoint signature does not verify")?;
    let size = cp.checkpoint.size;
    println!("checkpoint OK: {} size {} signed by {}", cp.checkpoint.origin, size, vkey.key_ref());
    let mut tiles = TileFetcher { client: &http, server, size, cache: HashMap::new(), fetched: 0 };
    let root = recompute_root(&mut tiles, size, false).await?;
    if root != cp.checkpoint.root {
        bail!("the root recomputed from the tiles does not match the checkpoint");
    }
    println!("tiles OK: root recomputed from {} tile(s) matches the checkpoint", tiles.fetched);
    if args.full {
        verify_all_entries(&mut tiles).await?;
        let from_leaves = recompute_root(&mut tiles, size, true).await?;
        if from_leaves != cp.checkpoint.root {
            bail!("the root recomputed from every leaf does not match the checkpoint");
        }
        println!("entries OK: all {size} entries hash to the level-0 tiles, and the leaves give the root");
    }
    if let Some(since) = &args.since {
        verify_since(&http, server, since, &cp, vkey).await?;
    }
    if let Some(save) = &args.save {
        std::fs::write(save, &note).with_context(|| format!("writing {}", save.display()))?;
    }
    Ok(())
}

/// Recomputes the root from tiles; `leaves_only` ignores the higher-level tiles.
async fn recompute_root(tiles: &mut TileFetcher<'_>, size: u64, leaves_only: bool) -> Result<Hash> {
    // Collect the hashes root_from_stored asks for, fetching tiles as needed.
    let mut wanted = Vec::new();
    let _ = root_from_stored(size, |level, i| {
        wanted.push((level, i));
        Ok::<Hash, ()>([0; 32])
    });
    let mut hashes = HashMap::new();
    for (level, i) in wanted {
        let hash = if leaves_only && level > 0 {
            subtree_from_leaves(tiles, level, i).await?
        } else {
            tiles.hash(level, i).await?
        };
        hashes.insert((level, i), hash);
    }
    let root = root_from_stored(size, |level, i| hashes.get(&(level, i)).copied().ok_or(()))
        .map_err(|_| anyhow::anyhow!("missing tile hash"))?;
    Ok(root.unwrap_or_else(corridor_tlog::empty_root))
}

/// The hash at tile level `level`, index `i`, computed from level-0 hashes only.
async fn subtree_from_leaves(tiles: &mut TileFetcher<'_>, level: u8, i: u64) -> Result<Hash> {
    let span = 1u64 << (8 * u32::from(level));
    let mut layer = Vec::with_capacity(span as usize);
    for j in i * span..(i + 1) * span {
        layer.push(tiles.hash(0, j).await?);
    }
    while layer.len() > 1 {
        layer = layer.chunks(2).map(|p| corridor_tlog::node_hash(&p[0], &p[1])).collect();
    }
    Ok(layer[0])
}

async fn verify_all_entries(tiles: &mut TileFetcher<'_>) -> Result<()> {
    let size = tiles.size;
    let mut index = 0;
    while index < size {
        let path = TilePath { level: None, ..tiles.path(0, index) };
        let bundle =
            client::get_bytes(tiles.client, tiles.server, &format!("/tile/{}", path.render())).await?;
        let entries = decode_entry_bundle(&bundle)?;
        if entries.len() as u64 != path.count() {
            bail!("bundle {} has {} entries, expected {}", path.render(), entries.len(), path.count());
        }
        for e in entries {
            if leaf_hash(e) != tiles.hash(0, index).await? {
                bail!("entry {index} does not hash to its level-0 tile hash");
            }
            index += 1;
        }
    }
    Ok(())
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
        bail!("the log shrank: earlier size {from}, now {to}");
    }
    let resp = client::get_json(http, server, &format!("/v1/proofs/consistency?from={from}&to={to}")).await?;
    let proof = resp["proof"]
        .as_array()
        .context("no proof in response")?
        .iter()
        .map(|h| decode_hash(h.as_str().unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    verify_consistency(from, to, &proof, &old.checkpoint.root, &now.checkpoint.root)
        .context("the current checkpoint is NOT consistent with the earlier one")?;
    println!("consistency OK: size {from} -> {to}");
    Ok(())
}
