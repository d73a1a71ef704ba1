//! `corridor audit`: replays the whole log from the store and checks everything a
//! verifier could: every leaf hash, every entry's canonical form, every
//! signature (in parallel), every fold step — through the same replay routine
//! as recovery ([`corridor_service::replay`]) — and every stored checkpoint's
//! signature and root. It also reads every entry again as a submission today
//! would be read, and fails listing each entry that would now be refused
//! (logged by an earlier, laxer release): such an entry may read differently
//! to another verifier.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_note::VerifierKey;
use corridor_service::replay::{replay, Refusals, ReplayOptions};
use corridor_store::LogReader;
use corridor_tlog::{SignedCheckpoint, Tree};
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::DataDir;

#[derive(Debug, Clone, Default)]
pub struct AuditSummary {
    pub entries: u64,
    pub signatures: u64,
    pub checkpoints: u64,
    pub seconds: f64,
    /// Entries a submission today would be refused for.
    pub refused_today: Refusals,
}

pub fn run(data: &Path) -> Result<AuditSummary> {
    let dir = DataDir::new(data);
    let log_vkey = dir.log_key()?.verifier();
    let (_writer, reader) = corridor_store_sqlite::open(&dir.db())?;
    let summary = audit(&reader, &log_vkey, true)?;
    report_refusals(&summary.refused_today)?;
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
    let replayed = replay(reader, ReplayOptions::audit(), &|size| bar.set_position(size))?;
    bar.finish_and_clear();
    if replayed.tree.size() != total {
        bail!("the store ended at {}, before its size {total}", replayed.tree.size());
    }
    let checkpoints = check_checkpoints(reader, &replayed.tree, log_vkey)?;
    Ok(AuditSummary {
        entries: replayed.tree.size(),
        signatures: replayed.signatures,
        checkpoints,
        seconds: started.elapsed().as_secs_f64(),
        refused_today: replayed.refused_today,
    })
}

/// Lists the entries refused today, if any, and fails.
pub fn report_refusals(refusals: &Refusals) -> Result<()> {
    if refusals.total == 0 {
        return Ok(());
    }
    for r in &refusals.listed {
        println!("entry {}: would be refused today: {} ({})", r.index, r.detail, r.code);
    }
    let unlisted = refusals.total - refusals.listed.len() as u64;
    if unlisted > 0 {
        println!("... and {unlisted} more");
    }
    bail!(
        "{} logged entries would be refused if submitted today: verifiers may read them differently",
        refusals.total
    )
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
