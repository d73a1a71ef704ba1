//! `corridor audit`: replays the whole log from the store and checks everything a
//! verifier could: every leaf hash, every signature (in parallel), every fold
//! step, and every stored checkpoint's signature and root.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_note::VerifierKey;
use corridor_state::{EntryContext, State};
use corridor_statement::{parse_entry, SignedEnvelope};
use corridor_store::LogReader;
use corridor_tlog::{leaf_hash, SignedCheckpoint, Tree};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::data::DataDir;

/// Entries read and checked per step; bounds memory whatever the log size.
const CHUNK: u64 = 8_192;

#[derive(Debug, Clone, Default)]
pub struct AuditSummary {
    pub entries: u64,
    pub signatures: u64,
    pub checkpoints: u64,
    pub seconds: f64,
}

/// One signature to check: the signed bytes, the key, the signature.
struct SigJob {
    index: u64,
    msg: Vec<u8>,
    key: VerifierKey,
    sig: [u8; 64],
}

pub fn run(data: &Path) -> Result<AuditSummary> {
    let dir = DataDir::new(data);
    let log_vkey = dir.log_key()?.verifier();
    let (_writer, reader) = corridor_store_sqlite::open(&dir.db())?;
    let summary = audit(&reader, &log_vkey, true)?;
    println!(
        "audit OK: {} entries, {} signatures, {} checkpoints in {:.2} s ({:.0} entries/s, {:.0} signatures/s)",
        summary.entries,
        summary.signatures,
        summary.checkpoints,
        summary.seconds,
        summary.entries as f64 / summary.seconds,
        summary.signatures as f64 / summary.seconds
    );
    Ok(summary)
}

pub fn audit(reader: &dyn LogReader, log_vkey: &VerifierKey, progress: bool) -> Result<AuditSummary> {
    let started = Instant::now();
    let total = reader.size()?;
    let bar = if progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} entries {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut state = State::new();
    let mut tree = Tree::new();
    let mut signatures = 0;
    // Pipeline: the signatures of one chunk are checked on the thread pool while
    // the next chunk is read and folded (the fold is sequential by nature).
    let mut pending: Vec<SigJob> = Vec::new();
    loop {
        let start = tree.size();
        let next = (start < total).then(|| reader.entries(start, (start + CHUNK).min(total)));
        let (checked, folded) = rayon::join(
            || check_signatures(&pending),
            || next.map(|entries| fold_chunk(&mut state, &mut tree, entries?)),
        );
        checked?;
        signatures += pending.len() as u64;
        match folded {
            Some(jobs) => pending = jobs?,
            None => break,
        }
        if tree.size() == start {
            bail!("the store ended at {start}, before its size {total}");
        }
        bar.set_position(tree.size());
    }
    bar.finish_and_clear();
    let checkpoints = check_checkpoints(reader, &tree, log_vkey)?;
    Ok(AuditSummary {
        entries: tree.size(),
        signatures,
        checkpoints,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn check_signatures(jobs: &[SigJob]) -> Result<()> {
    match jobs.par_iter().find_any(|j| !j.key.verify(&j.msg, &j.sig)) {
        Some(bad) => bail!("entry {}: signature by {} does not verify", bad.index, bad.key.key_ref()),
        None => Ok(()),
    }
}

/// Checks hashes and folds a chunk in order; returns its signatures to check.
fn fold_chunk(
    state: &mut State,
    tree: &mut Tree,
    entries: Vec<corridor_store::StoredEntry>,
) -> Result<Vec<SigJob>> {
    let mut jobs = Vec::with_capacity(entries.len());
    for e in entries {
        let index = e.index;
        if index != tree.size() {
            bail!("entry {index} found where entry {} was expected", tree.size());
        }
        if leaf_hash(&e.bytes) != e.leaf_hash {
            bail!("entry {index}: stored leaf hash does not match its bytes");
        }
        let entry = parse_entry(&e.bytes).with_context(|| format!("entry {index}"))?;
        let signed =
            SignedEnvelope::from_envelope(entry.envelope).with_context(|| format!("entry {index}"))?;
        let msg = signed.pae();
        for (key_ref, sig) in &signed.signatures {
            let key = state
                .key_for(key_ref, &signed)
                .with_context(|| format!("entry {index}: no key {key_ref} at this point of the log"))?;
            jobs.push(SigJob { index, msg: msg.clone(), key, sig: *sig });
        }
        state
            .apply(EntryContext { index, sequenced_at_us: entry.sequenced_at_us, signed: &signed })
            .with_context(|| format!("entry {index}: the fold rejects it"))?;
        tree.push(e.leaf_hash);
    }
    Ok(jobs)
}

/// Walks every stored checkpoint: each must be signed by the log key and commit
/// to the tree of its size; the last must cover the whole log.
fn check_checkpoints(reader: &dyn LogReader, tree: &Tree, log_vkey: &VerifierKey) -> Result<u64> {
    let mut count = 0;
    let mut next = 0;
    let mut last_size = 0;
    while let Some(stored) = reader.checkpoint_covering(next)? {
        let cp = SignedCheckpoint::open(&stored.note, log_vkey)
            .with_context(|| format!("checkpoint of size {}: bad signature", stored.size))?;
        if cp.checkpoint.size != stored.size || Some(cp.checkpoint.root) != tree.root(stored.size).ok() {
            bail!(
                "checkpoint of size {} does not commit to the log's first {} entries",
                stored.size,
                stored.size
            );
        }
        count += 1;
        last_size = stored.size;
        next = stored.size;
    }
    if last_size != tree.size() {
        bail!("the last checkpoint covers {last_size} entries but the log holds {}", tree.size());
    }
    Ok(count)
}
