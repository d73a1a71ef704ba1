//! `corridor audit`: replays the whole log from the store and checks everything a
//! verifier could: every leaf hash, every entry's canonical form, every
//! signature (in parallel), every fold step — through the same replay routine
//! as recovery ([`corridor_service::replay`]) — and every stored checkpoint's
//! signature and root. It also reads every entry again as a submission today
//! would be read, and fails listing each entry that would now be refused
//! (logged by an earlier, laxer release): such an entry may read differently
//! to another verifier.
//!
//! Checkpoints: every stored one (signed at each batch, and those the
//! witnesses cosigned) must be signed by the log key and commit to the
//! replayed tree at its size. Checkpoints gathered elsewhere (`--checkpoint
//! FILE`: saved by `verify --save`, served to a client, or an add-checkpoint
//! request a witness kept as fork evidence) are held to the same tree, and
//! to each other: any two validly signed checkpoints that cannot both be
//! prefixes of one log are reported as a conflict, and the audit fails.
//!
//! Snapshots: each is first loaded as recovery loads it (one that recovery
//! would refuse is named as not checked); then the replay stops at each
//! snapshot's size in the data directory and compares the state it folded
//! with the snapshot's digest, and the tree's root with the snapshot's root;
//! then every hash of the snapshot's stored tree with its own tree's
//! (recovery checks only the stored tree's root). Each tree is read again
//! for that, rather than kept from the load: two trees of 0.6 GiB held
//! through a replay cost more than reading them twice. The audit itself
//! never starts from a snapshot; one that disagrees with the log fails it.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_note::VerifierKey;
use corridor_service::replay::{replay_stopping, Refusals, ReplayError, ReplayOptions, Stops};
use corridor_service::snapshot::Header;
use corridor_service::Snapshots;
use corridor_store::{CheckpointKind, LogReader};
use corridor_tlog::{Checkpoint, SignedCheckpoint, Tree};
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{DataDir, Store};

#[derive(Debug, Clone, Default)]
pub struct AuditSummary {
    pub entries: u64,
    pub signatures: u64,
    pub checkpoints: u64,
    pub seconds: f64,
    /// Entries a submission today would be refused for.
    pub refused_today: Refusals,
    pub cosigned_checkpoints: u64,
    /// The replayed tree.
    pub tree: Tree,
    /// Snapshots whose digest and root were checked against the replay.
    pub snapshots: u64,
}

pub fn run(data: &Path, store: Option<Store>, gathered: &[std::path::PathBuf]) -> Result<AuditSummary> {
    let dir = DataDir::new(data).with_store(store);
    let log_vkey = dir.log_key()?.verifier();
    let reader = dir.store()?.reader()?;
    let snapshots = snapshot_headers(&Snapshots::new(dir.snapshots()), &*reader, &log_vkey)?;
    let summary = audit(&*reader, &log_vkey, true, &snapshots)?;
    let now = reader.size()?;
    if now > summary.entries {
        println!(
            "the log grew to {now} entries while it was audited; this audit covers the first {}",
            summary.entries
        );
    }
    report_refusals(&summary.refused_today)?;
    check_gathered(gathered, &summary.tree, &log_vkey)?;
    println!(
        "audit OK: {} entries, {} signatures, {} checkpoints ({} cosigned), {} snapshots in {:.2} s ({:.0} entries/s, {:.0} signatures/s)",
        summary.entries,
        summary.signatures,
        summary.checkpoints,
        summary.cosigned_checkpoints,
        summary.snapshots,
        summary.seconds,
        summary.entries as f64 / summary.seconds,
        summary.signatures as f64 / summary.seconds
    );
    Ok(summary)
}

/// A log as it was at one size: what an audit replays.
struct SizedAt<'a> {
    reader: &'a dyn LogReader,
    size: u64,
}

impl corridor_service::replay::EntrySource for SizedAt<'_> {
    fn size(&self) -> Result<u64, corridor_store::StoreError> {
        Ok(self.size)
    }

    fn entries(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<corridor_store::StoredEntry>, corridor_store::StoreError> {
        self.reader.entries(start, end.min(self.size))
    }
}

/// The headers of the snapshots in `snapshots`, each file loaded as
/// recovery loads it ([`corridor_service::snapshot::load_usable`]: of this
/// log, whole, decoding to the digest it records), one at a time; one that
/// fails is named, with why, and left out: recovery refuses it too, and
/// replays instead, so it says nothing about this log.
pub fn snapshot_headers(
    snapshots: &Snapshots,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
) -> Result<Vec<Header>> {
    let size = reader.size()?;
    let mut headers = Vec::new();
    for (named, path) in snapshots.list().into_iter().rev() {
        match corridor_service::snapshot::load_usable(&path, named, reader, log_vkey, size) {
            Ok(l) => headers.push(Header { path: l.path, size: l.size, root: l.root, digest: l.digest }),
            Err(e) => println!("snapshot not checked (recovery refuses it too): {e}"),
        }
    }
    Ok(headers)
}

pub fn audit(
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    progress: bool,
    snapshots: &[Header],
) -> Result<AuditSummary> {
    let started = Instant::now();
    let total = reader.size()?;
    let bar = if progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} entries {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // The log may grow while it is audited (a running cluster): the audit
    // covers the size read here, once.
    let log = SizedAt { reader, size: total };
    let (within, beyond): (Vec<&Header>, Vec<&Header>) = snapshots.iter().partition(|h| h.size <= total);
    for h in beyond {
        println!(
            "snapshot not checked: {} is of {} entries, beyond the {total} audited",
            h.path.display(),
            h.size
        );
    }
    let mut visit = |size: u64, state: &corridor_state::State| -> Result<(), ReplayError> {
        let digest = state.digest();
        match within.iter().find(|h| h.size == size && h.digest != digest) {
            Some(h) => Err(ReplayError::Entry {
                index: size,
                why: format!("snapshot {} records a state digest the log does not fold to", h.path.display()),
            }),
            None => Ok(()),
        }
    };
    let progress = |size| bar.set_position(size);
    let mut stops = Stops {
        sizes: within.iter().map(|h| h.size).collect(),
        visit: Some(&mut visit),
        progress: &progress,
    };
    let replayed = replay_stopping(&log, ReplayOptions::audit(), &mut stops)?;
    bar.finish_and_clear();
    if replayed.tree.size() != total {
        bail!("the store holds {} entries where its size said {total}", replayed.tree.size());
    }
    for h in &within {
        if replayed.tree.root(h.size).ok() != Some(h.root) {
            bail!(
                "snapshot {} records a root the log's tree does not have at size {}",
                h.path.display(),
                h.size
            );
        }
        // Recovery reads the snapshot's tree as stored and checks only its
        // root: every other hash in it is checked here.
        let stored = match Snapshots::tree(&h.path) {
            Ok(tree) => tree,
            // The server prunes old snapshots while an audit replays.
            Err(_) if !h.path.exists() => {
                println!("snapshot not checked: {} was removed during the audit", h.path.display());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if stored.size() != h.size || !stored.is_prefix_of(&replayed.tree) {
            bail!("snapshot {} holds a tree hash the log's tree does not have", h.path.display());
        }
    }
    let checkpoints = check_checkpoints(reader, &replayed.tree, log_vkey)?;
    let (cosigned_checkpoints, _) = check_series(reader, CheckpointKind::Cosigned, &replayed.tree, log_vkey)?;
    Ok(AuditSummary {
        entries: replayed.tree.size(),
        signatures: replayed.signatures,
        checkpoints,
        seconds: started.elapsed().as_secs_f64(),
        refused_today: replayed.refused_today,
        cosigned_checkpoints,
        tree: replayed.tree,
        snapshots: within.len() as u64,
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

/// Walks every stored checkpoint of `kind`: each must be signed by the log
/// key and commit to the tree of its size. Returns how many, and the largest size.
fn check_series(
    reader: &dyn LogReader,
    kind: CheckpointKind,
    tree: &Tree,
    log_vkey: &VerifierKey,
) -> Result<(u64, u64)> {
    let (what, conflict) = match kind {
        CheckpointKind::Signed => ("checkpoint", ""),
        CheckpointKind::Cosigned => ("cosigned checkpoint", "CONFLICT: the stored "),
    };
    let (mut count, mut last_size) = (0, 0);
    loop {
        let page = reader.checkpoints_from(kind, last_size + 1, 1_000)?;
        if page.is_empty() {
            return Ok((count, last_size));
        }
        for stored in &page {
            // The log may grow while it is audited (a running cluster):
            // checkpoints beyond the replayed size are the next audit's.
            if stored.size > tree.size() {
                return Ok((count, last_size));
            }
            let cp = SignedCheckpoint::open(&stored.note, log_vkey)
                .with_context(|| format!("{what} of size {}: bad signature", stored.size))?;
            if cp.checkpoint.size != stored.size || Some(cp.checkpoint.root) != tree.root(stored.size).ok() {
                bail!(
                    "{conflict}{what} of size {} does not commit to the log's first {} entries",
                    stored.size,
                    stored.size
                );
            }
            count += 1;
            last_size = stored.size;
        }
    }
}

/// Every stored checkpoint; the last must cover the whole log.
fn check_checkpoints(reader: &dyn LogReader, tree: &Tree, log_vkey: &VerifierKey) -> Result<u64> {
    let (count, last_size) = check_series(reader, CheckpointKind::Signed, tree, log_vkey)?;
    if last_size != tree.size() {
        bail!("the last checkpoint covers {last_size} entries but the log holds {}", tree.size());
    }
    Ok(count)
}

/// The checkpoint note in a gathered file: a note, or an add-checkpoint
/// request (C2SP tlog-witness) whose checkpoint follows the proof.
fn gathered_note(text: &str) -> Result<String> {
    let note = match text.strip_prefix("old ") {
        None => text,
        Some(_) => text.split_once("\n\n").context("an add-checkpoint request without a checkpoint")?.1,
    };
    // A note ends with one newline; a copied one may carry blank lines after it.
    Ok(format!("{}\n", note.trim_end_matches('\n')))
}

/// Holds each gathered checkpoint to the replayed tree, and each pair to each
/// other; reports every conflict and fails if there is one.
fn check_gathered(files: &[std::path::PathBuf], tree: &Tree, log_vkey: &VerifierKey) -> Result<()> {
    let mut seen: Vec<(String, Checkpoint)> = Vec::new();
    let mut conflicts = 0;
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        let cp = SignedCheckpoint::open(&gathered_note(&text)?, log_vkey)
            .with_context(|| format!("{name} is not a checkpoint signed by the log key"))?;
        let cp = cp.checkpoint;
        match tree.root(cp.size) {
            Ok(root) if root == cp.root => {}
            Ok(root) => {
                conflicts += 1;
                println!(
                    "CONFLICT: {name} (size {}, root {}) and the log's tree of that size (root {})",
                    cp.size,
                    B64.encode(cp.root),
                    B64.encode(root)
                );
            }
            Err(_) => {
                conflicts += 1;
                println!("CONFLICT: {name} commits to {} entries, but this log holds {}: entries it covers are missing", cp.size, tree.size());
            }
        }
        for (other, o) in &seen {
            if o.size == cp.size && o.root != cp.root {
                conflicts += 1;
                println!("CONFLICT: {other} and {name} are both signed by the log for size {} with different roots", cp.size);
            }
        }
        seen.push((name, cp));
    }
    if conflicts > 0 {
        bail!("{conflicts} conflict(s) between validly signed checkpoints: the log has shown more than one history");
    }
    if !files.is_empty() {
        println!("gathered checkpoints OK: {} consistent with the log", seen.len());
    }
    Ok(())
}
