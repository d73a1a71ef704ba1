//! Replay: the one routine that rebuilds the state and the tree from the
//! stored log, shared by recovery ([`recover`]), `corridor audit` and the
//! benchmarks.
//!
//! Each entry is checked against its stored leaf hash, parsed once
//! ([`corridor_statement::parse_entry`], which also refuses any entry not in
//! canonical form) and folded, and its leaf hash extends the tree. The work is
//! pipelined in chunks: while one chunk is folded (in order, on one thread),
//! the next is read and parsed, and the previous chunk's signatures (when
//! asked for) are verified, on the other cores.
//!
//! Signatures are verified with the key each names at that point of the log
//! ([`State::key_for`]), so a key revoked later still verifies what it signed
//! before. Recovery skips them: the log holds only entries whose signatures
//! were verified when they were submitted, and the audit checks them again.

use std::sync::Arc;

use corridor_note::prepared::Verifiers;
use corridor_note::VerifierKey;
use corridor_state::{LoggedEntry, State};
use corridor_statement::{parse_entry, reread_as_submission, LogEntry};
use corridor_store::{LogReader, StoreError, StoredEntry};
use corridor_tlog::{leaf_hash, Hash, SignedCheckpoint, Tree};
use rayon::prelude::*;

use crate::clock::Stopwatch;
use crate::error::StartError;
use crate::snapshot::{self, Snapshots};

/// Entries read, parsed and folded per step; bounds memory whatever the log size.
pub const CHUNK: u64 = 16_384;

/// Where a replay reads the log from: a store ([`LogReader`]), or anything
/// else that gives entries with their leaf hashes, such as a verifier's view
/// of a server's tiles.
pub trait EntrySource: Sync {
    /// The number of entries to replay.
    fn size(&self) -> Result<u64, StoreError>;
    /// Entries `[start, end)`, in order; fewer if the source is shorter.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError>;
}

impl<R: LogReader + ?Sized> EntrySource for R {
    fn size(&self) -> Result<u64, StoreError> {
        LogReader::size(self)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        LogReader::entries(self, start, end)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Verify every signature of every entry (the audit does; recovery does not).
    pub verify_signatures: bool,
    /// Recompute every leaf hash from the entry's bytes and compare it with
    /// the stored one, so that an entry altered in the store is found before
    /// it is folded or served (recovery and the audit both do).
    pub verify_leaf_hashes: bool,
    /// Read every entry again as a submission would be read today, and
    /// report those it would refuse ([`Replayed::refused_today`]): entries an
    /// earlier, laxer release logged. They still fold as logged.
    pub reread_as_submissions: bool,
}

impl ReplayOptions {
    /// What recovery checks: every entry against its stored leaf hash; not
    /// the signatures, which were verified when each entry was submitted.
    pub fn recovery() -> Self {
        Self { verify_signatures: false, verify_leaf_hashes: true, reread_as_submissions: false }
    }

    /// Everything checked: what `corridor audit` runs.
    pub fn audit() -> Self {
        Self { verify_signatures: true, verify_leaf_hashes: true, reread_as_submissions: true }
    }
}

/// Most entries a replay lists as refused today; beyond it, only counted.
pub const MAX_LISTED_REFUSALS: usize = 1_000;

/// A logged entry that a submission today would be refused for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedToday {
    pub index: u64,
    /// The stable error code the submission would get.
    pub code: &'static str,
    pub detail: String,
}

/// The entries refused today: the first [`MAX_LISTED_REFUSALS`] in log
/// order, and how many in all.
#[derive(Debug, Clone, Default)]
pub struct Refusals {
    pub listed: Vec<RefusedToday>,
    pub total: u64,
}

impl Refusals {
    fn note(&mut self, refused: RefusedToday) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_REFUSALS {
            self.listed.push(refused);
        }
    }
}

/// What a replay rebuilt.
#[derive(Debug)]
pub struct Replayed {
    pub state: State,
    pub tree: Tree,
    /// Signatures verified (0 unless asked for).
    pub signatures: u64,
    /// Entries a submission today would be refused for (empty unless asked for).
    pub refused_today: Refusals,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("entry {index}: {why}")]
    Entry { index: u64, why: String },
}

fn at(index: u64, why: impl Into<String>) -> ReplayError {
    ReplayError::Entry { index, why: why.into() }
}

/// An entry read back and parsed, its leaf hash checked.
struct Parsed {
    index: u64,
    leaf: Hash,
    entry: LogEntry,
    /// Why a submission of this entry's envelope would be refused today, if
    /// asked and it would.
    refused: Option<RefusedToday>,
}

/// One signature to verify: the signed bytes (shared by an entry's signatures), the key, the signature.
struct SigJob {
    index: u64,
    msg: Arc<[u8]>,
    key: VerifierKey,
    sig: [u8; 64],
}

/// Replays the whole log in `reader`, calling `progress` with the size
/// folded so far after each chunk.
pub fn replay<S: EntrySource + ?Sized>(
    reader: &S,
    opts: ReplayOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Replayed, ReplayError> {
    replay_stopping(reader, opts, &mut Stops::none(progress))
}

/// [`replay`], stopping at `stops.sizes` to show the state to `stops.visit`.
pub fn replay_stopping<S: EntrySource + ?Sized>(
    reader: &S,
    opts: ReplayOptions,
    stops: &mut Stops<'_>,
) -> Result<Replayed, ReplayError> {
    let total = reader.size()?;
    let mut state = State::new();
    state.reserve(usize::try_from(total).unwrap_or(0));
    let run = Run { state, tree: Some(Tree::new()), end: total, opts };
    let (state, tree, signatures, refused_today) = run.go(reader, stops)?;
    Ok(Replayed { state, tree: tree.unwrap_or_default(), signatures, refused_today })
}

/// What a replay shows the state to at a stop.
pub type Visit<'a> = dyn FnMut(u64, &State) -> Result<(), ReplayError> + 'a;

/// Sizes at which a replay stops to look at the state (the audit compares
/// snapshots' digests there), and what it calls after every chunk.
pub struct Stops<'a> {
    /// Ascending sizes; each is folded to exactly, then `visit` is called.
    pub sizes: Vec<u64>,
    pub visit: Option<&'a mut Visit<'a>>,
    pub progress: &'a (dyn Fn(u64) + Sync),
}

impl std::fmt::Debug for Stops<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stops").field("sizes", &self.sizes).finish_non_exhaustive()
    }
}

impl<'a> Stops<'a> {
    pub fn none(progress: &'a (dyn Fn(u64) + Sync)) -> Self {
        Self { sizes: Vec::new(), visit: None, progress }
    }

    /// Where the chunk that starts at `start` must end at the latest.
    fn bound(&self, start: u64) -> u64 {
        self.sizes.iter().copied().find(|&s| s > start).unwrap_or(u64::MAX)
    }
}

/// One replay: folds `[state.size(), end)` onto `state` and, when given, `tree`.
pub(crate) struct Run {
    pub state: State,
    /// The tree of `state.size()` leaves, extended as entries are folded;
    /// `None` when only the state is wanted.
    pub tree: Option<Tree>,
    pub end: u64,
    pub opts: ReplayOptions,
}

impl Run {
    pub(crate) fn go<S: EntrySource + ?Sized>(
        self,
        reader: &S,
        stops: &mut Stops<'_>,
    ) -> Result<(State, Option<Tree>, u64, Refusals), ReplayError> {
        let Run { mut state, mut tree, end, opts } = self;
        let mut signatures = 0;
        let mut refused_today = Refusals::default();
        let mut pending: Vec<SigJob> = Vec::new();
        let verifiers = Verifiers::new();
        let start = state.size();
        let mut next = read_chunk(reader, start, end.min(stops.bound(start)), opts)?;
        while let Some(chunk) = next.take() {
            let following = state.size() + chunk.len() as u64;
            let leaves: Vec<Hash> = chunk.iter().map(|p| p.leaf).collect();
            let until = end.min(stops.bound(following));
            // The fold is sequential; the tree, the next chunk and the last
            // chunk's signatures do not depend on it, and go on beside it.
            let (folded, (read, checked)) = rayon::join(
                || fold_chunk(&mut state, chunk, opts, &mut refused_today),
                || {
                    rayon::join(
                        || read_chunk(reader, following, until, opts),
                        || {
                            if let Some(tree) = tree.as_mut() {
                                leaves.iter().for_each(|l| tree.push(*l));
                            }
                            check_signatures(&verifiers, &pending)
                        },
                    )
                },
            );
            checked?;
            signatures += pending.len() as u64;
            pending = folded?;
            next = read?;
            if let Some(visit) = stops.visit.as_mut().filter(|_| stops.sizes.contains(&following)) {
                // What the state is compared with at a stop (a snapshot's
                // digest) must not be blamed for a bad signature folded
                // before it: check those first.
                check_signatures(&verifiers, &pending)?;
                signatures += std::mem::take(&mut pending).len() as u64;
                visit(following, &state)?;
            }
            (stops.progress)(following);
        }
        check_signatures(&verifiers, &pending)?;
        signatures += pending.len() as u64;
        Ok((state, tree, signatures, refused_today))
    }
}

/// Reads and parses entries `[start, min(start + CHUNK, total))`, in parallel;
/// `None` at or past `total`.
fn read_chunk<S: EntrySource + ?Sized>(
    reader: &S,
    start: u64,
    total: u64,
    opts: ReplayOptions,
) -> Result<Option<Vec<Parsed>>, ReplayError> {
    if start >= total {
        return Ok(None);
    }
    let end = (start + CHUNK).min(total);
    let stored = reader.entries(start, end)?;
    if stored.len() as u64 != end - start {
        return Err(at(start + stored.len() as u64, format!("the store ended before its size {total}")));
    }
    let parsed = stored
        .into_par_iter()
        .enumerate()
        // Small pieces, so that the fold's thread, done with its chunk,
        // finds parsing left to take.
        .with_max_len(256)
        .map(|(i, e)| {
            let index = start + i as u64;
            if e.index != index {
                return Err(at(index, format!("entry {} found where entry {index} was expected", e.index)));
            }
            if opts.verify_leaf_hashes && leaf_hash(&e.bytes) != e.leaf_hash {
                return Err(at(index, "stored leaf hash does not match the entry"));
            }
            let mut entry = parse_entry(&e.bytes).map_err(|err| at(index, err.to_string()))?;
            let refused = match opts.reread_as_submissions {
                true => reread_as_submission(&e.bytes).err().map(|err| RefusedToday {
                    index,
                    code: err.code(),
                    detail: err.to_string(),
                }),
                false => None,
            };
            if !opts.verify_signatures {
                // Only signature checks read the payload: free it here, on
                // the parsing thread, rather than on the fold's.
                entry.signed.payload = Vec::new();
            }
            Ok(Parsed { index, leaf: e.leaf_hash, entry, refused })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(parsed))
}

/// Folds a chunk in order, noting entries refused today (if asked for);
/// returns its signatures to verify, if asked for.
fn fold_chunk(
    state: &mut State,
    chunk: Vec<Parsed>,
    opts: ReplayOptions,
    refusals: &mut Refusals,
) -> Result<Vec<SigJob>, ReplayError> {
    let mut jobs = Vec::new();
    for Parsed { index, entry, refused, .. } in chunk {
        let LogEntry { sequenced_at_us, signed } = entry;
        let unadmitted = || state.admit(&signed.statement).err();
        let refused = match opts.reread_as_submissions {
            true => refused.or_else(|| {
                unadmitted().map(|r| RefusedToday { index, code: r.code(), detail: r.to_string() })
            }),
            false => None,
        };
        refused.into_iter().for_each(|r| refusals.note(r));
        if opts.verify_signatures {
            let msg: Arc<[u8]> = signed.pae().into();
            for s in &signed.signatures {
                let key = state
                    .key_for(&s.key, &signed)
                    .ok_or_else(|| at(index, format!("no key {} at this point of the log", s.key)))?;
                jobs.push(SigJob { index, msg: msg.clone(), key, sig: s.sig });
            }
        }
        state
            .apply(LoggedEntry { index, sequenced_at_us, signed })
            .map_err(|r| at(index, format!("the fold rejects it: {r}")))?;
    }
    Ok(jobs)
}

/// Verifies a chunk's signatures on all cores; the keys that sign most get
/// comb tables ([`Verifiers`]), kept for the whole replay. Of several bad
/// signatures, the first in log order is named, whichever core finds which.
fn check_signatures(verifiers: &Verifiers, jobs: &[SigJob]) -> Result<(), ReplayError> {
    match jobs.par_iter().find_first(|j| !verifiers.verify(&j.key, &j.msg, &j.sig)) {
        Some(bad) => Err(at(bad.index, format!("signature by {} does not verify", bad.key.key_ref()))),
        None => Ok(()),
    }
}

/// What recovery rebuilt, with the latest stored checkpoint (none for an empty log).
#[derive(Debug)]
pub struct Recovered {
    pub state: State,
    pub tree: Tree,
    pub checkpoint: Option<SignedCheckpoint>,
    /// The latest stored cosigned checkpoint, checked like the signed one.
    pub cosigned: Option<corridor_store::StoredCheckpoint>,
    /// The size of the snapshot recovery started from, if it used one.
    pub from_snapshot: Option<u64>,
}

/// Checks a stored checkpoint: signed by the log key, stored under its own
/// size, and the root of the rebuilt tree at that size.
pub(crate) fn check_stored(
    stored: &corridor_store::StoredCheckpoint,
    tree: &Tree,
    log_vkey: &VerifierKey,
) -> Result<SignedCheckpoint, StartError> {
    let signed =
        SignedCheckpoint::open(&stored.note, log_vkey).map_err(|e| StartError::Checkpoint(e.to_string()))?;
    let cp = &signed.checkpoint;
    if cp.size != stored.size || Some(cp.root) != tree.root(cp.size).ok() {
        return Err(StartError::Checkpoint(format!(
            "the stored checkpoint of size {} does not commit to the first {} stored entries",
            stored.size, stored.size
        )));
    }
    Ok(signed)
}

/// Recovery at startup: replays every entry ([`ReplayOptions::recovery`])
/// after the latest usable snapshot, if given any (from genesis
/// otherwise), then checks that the checkpoint stored for exactly the
/// replayed size is signed by the log key and commits to the rebuilt tree.
/// Because the tree is append-only and every stored checkpoint is one of its
/// prefixes, the first checkpoint after a restart is consistent with every
/// checkpoint published before.
///
/// From a snapshot, the tree of its size is the snapshot's own (its hashes
/// as stored, none recomputed), whose root must be the root of the log's
/// checkpoint at that size; a snapshot refused for any reason is logged and
/// recovery replays from genesis ([`crate::snapshot`]).
///
/// The log may grow while it is read (another node of a cluster writing
/// it): the replay stops at the size the store had when it began, which is
/// always a batch's end, and so has a checkpoint of its own. A cosigned
/// checkpoint beyond it is left for the node to take up once it has caught up.
pub fn recover(
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    snapshots: Option<&Snapshots>,
) -> Result<Recovered, StartError> {
    let total = reader.size()?;
    let begun = match snapshots {
        Some(s) => from_snapshot(s, reader, log_vkey, total)?,
        None if total > 0 => {
            tracing::info!("snapshots are off: replaying the whole log, {total} entries");
            None
        }
        None => None,
    };
    let from_snapshot = begun.as_ref().map(|(state, _)| state.size());
    let (state, tree) = match begun {
        Some(begun) => begun,
        None => {
            let mut state = State::new();
            state.reserve(usize::try_from(total).unwrap_or(0));
            (state, Tree::new())
        }
    };
    let stopwatch = Stopwatch::start();
    let run = Run { state, tree: Some(tree), end: total, opts: ReplayOptions::recovery() };
    let (state, tree, ..) = run.go(reader, &mut Stops::none(&|_| {}))?;
    let tree = tree.unwrap_or_default();
    let folded = total - from_snapshot.unwrap_or(0);
    tracing::info!(entries = folded, seconds = stopwatch.elapsed_s(), "replayed");
    let checkpoint = match reader.checkpoint_at(tree.size())? {
        Some(stored) => Some(check_stored(&stored, &tree, log_vkey)?),
        None if tree.size() == 0 => None,
        None => {
            return Err(StartError::Checkpoint(format!(
                "no checkpoint is stored for the {} stored entries",
                tree.size()
            )))
        }
    };
    let cosigned = reader.latest_cosigned()?.filter(|c| c.size <= tree.size());
    if let Some(stored) = &cosigned {
        check_stored(stored, &tree, log_vkey)?;
    }
    Ok(Recovered { state, tree, checkpoint, cosigned, from_snapshot })
}

/// The latest usable snapshot's state and tree (`None`, logged, when there
/// is none).
fn from_snapshot(
    snapshots: &Snapshots,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    total: u64,
) -> Result<Option<(State, Tree)>, StartError> {
    let stopwatch = Stopwatch::start();
    let Some(loaded) = snapshot::latest_usable(snapshots, reader, log_vkey, total) else { return Ok(None) };
    tracing::info!(
        size = loaded.size,
        path = %loaded.path.display(),
        seconds = stopwatch.elapsed_s(),
        "recovering from a snapshot"
    );
    Ok(Some((loaded.state, loaded.tree)))
}

#[cfg(test)]
mod tests {
    use corridor_note::prepared::PREPARE_AFTER;
    use corridor_note::SignerKey;

    use super::*;

    /// `n` jobs signed by `signer`, the one at `bad` altered by `alter`.
    fn jobs(signer: &SignerKey, n: u64, bad: Option<u64>, alter: fn(&mut [u8; 64])) -> Vec<SigJob> {
        let key = signer.verifier();
        (0..n)
            .map(|index| {
                let msg: Arc<[u8]> = format!("entry {index}").into_bytes().into();
                let mut sig = signer.sign(&msg);
                if Some(index) == bad {
                    alter(&mut sig);
                }
                SigJob { index, msg, key: key.clone(), sig }
            })
            .collect()
    }

    /// `s + ℓ`: the same scalar unreduced, which only a lax verifier accepts.
    fn unreduced(sig: &mut [u8; 64]) {
        const ORDER: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (b, l) in sig[32..].iter_mut().zip(ORDER) {
            let v = u16::from(*b) + u16::from(l) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }

    #[test]
    fn a_signature_strict_verification_refuses_is_named_before_and_after_its_key_is_prepared() {
        let signer = SignerKey::from_seed("ops", [1; 32]).expect("name");
        let alterations: [fn(&mut [u8; 64]); 2] = [|sig| sig[40] ^= 1, unreduced];
        for alter in alterations {
            // A fresh key verifies strictly; after PREPARE_AFTER uses it has a table.
            let verifiers = Verifiers::new();
            let err = check_signatures(&verifiers, &jobs(&signer, 8, Some(5), alter)).expect_err("refused");
            assert!(matches!(err, ReplayError::Entry { index: 5, .. }), "{err}");
            check_signatures(&verifiers, &jobs(&signer, PREPARE_AFTER.into(), None, alter))
                .expect("all verify");
            let err = check_signatures(&verifiers, &jobs(&signer, 64, Some(40), alter)).expect_err("refused");
            assert!(matches!(err, ReplayError::Entry { index: 40, .. }), "{err}");
        }
    }

    #[test]
    fn of_several_bad_signatures_the_first_in_log_order_is_named() {
        let signer = SignerKey::from_seed("ops", [1; 32]).expect("name");
        // Two halves' first and last: a core starting at the second half
        // finds entry 32 long before the other reaches entry 31.
        let mut all = jobs(&signer, 64, Some(31), |sig| sig[40] ^= 1);
        all[32] = jobs(&signer, 64, Some(32), |sig| sig[40] ^= 1).swap_remove(32);
        for _ in 0..8 {
            let err = check_signatures(&Verifiers::new(), &all).expect_err("refused");
            assert!(matches!(err, ReplayError::Entry { index: 31, .. }), "{err}");
        }
    }
}
