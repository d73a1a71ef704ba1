//! Snapshots: the folded state at a checkpoint's size, written to files so
//! that recovery folds only the log's tail.
//!
//! **The file** (`<size, 20 digits>.snapshot` in the snapshot directory):
//!
//! | bytes | what |
//! | --- | --- |
//! | 18 | `corridor-snapshot\n` |
//! | 4 | the state's record format, little-endian ([`SNAPSHOT_FORMAT`]) |
//! | 8 | the size: entries folded, little-endian |
//! | 32 | the root of the log's checkpoint at that size |
//! | 32 | the state's digest ([`State::digest`]) |
//! | … | the state ([`State::encode_snapshot`]) |
//! | 32 | SHA-256 of every byte before it |
//!
//! **What a load checks**, in this order, refusing the snapshot at the
//! first failure: the magic and format (a snapshot of another version is
//! refused, never read); the trailing SHA-256 (a damaged file); the state's
//! decoding; that the decoded state's size is the header's; its digest
//! against the header's (a decoder that lost or changed a record). Recovery
//! then checks that the log's own signed checkpoint at that size has the
//! header's root ([`crate::replay::recover`]), so a snapshot of another log,
//! or of a log since rewritten, is refused too.
//!
//! **Crash safety.** A snapshot is written to a temporary name, fsynced,
//! renamed into place and the directory fsynced: a crash leaves either no
//! file of that size or a whole one. A temporary file left by a crash is
//! removed by the next write. A snapshot is never needed for correctness:
//! with none usable, recovery replays the whole log.
//!
//! **Made in the background.** [`spawn`] runs a thread that, when enough
//! entries or time have passed, loads the latest snapshot, folds the durable
//! log's tail onto it with the one replay routine, and writes the result. It
//! never takes the published state's lock, so the sequencer never waits for
//! it; it costs one more copy of the state in memory while it runs.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use corridor_note::VerifierKey;
use corridor_state::snapshot::SNAPSHOT_FORMAT;
use corridor_state::State;
use corridor_store::LogReader;
use corridor_tlog::{Hash, SignedCheckpoint};
use sha2::{Digest, Sha256};

use crate::replay::{ReplayError, ReplayOptions, Run, Stops};
use crate::Inner;

const MAGIC: &[u8; 18] = b"corridor-snapshot\n";
const SUFFIX: &str = ".snapshot";
const TEMP_PREFIX: &str = ".tmp-";
/// Read and write buffer: the state is encoded and decoded a few bytes at a time.
const IO_BUFFER: usize = 1 << 20;

/// When snapshots are made and where they are kept.
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    pub dir: PathBuf,
    /// A snapshot once this many entries were logged since the last.
    pub every_entries: u64,
    /// A snapshot once this long has passed since the last, if anything was logged.
    pub every: Duration,
    /// Snapshots kept; older ones are removed after each write (at least 1).
    pub keep: usize,
}

impl SnapshotPolicy {
    /// The defaults: every 1,000,000 entries or every hour, two kept. A
    /// restart then folds at most a million entries (a few seconds), and a
    /// snapshot costs one load, fold and write of the state per interval.
    pub fn in_dir(dir: PathBuf) -> Self {
        Self { dir, every_entries: 1_000_000, every: Duration::from_secs(3600), keep: 2 }
    }

    /// The snapshots in this policy's directory.
    pub fn snapshots(&self) -> Snapshots {
        Snapshots::new(self.dir.clone())
    }
}

/// Why a snapshot was refused.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("reading {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a Corridor snapshot")]
    NotSnapshot(PathBuf),
    #[error("{path} has state format {found}; this build reads format {SNAPSHOT_FORMAT} only")]
    Format { path: PathBuf, found: u32 },
    #[error("{0} is damaged: its checksum does not match its contents")]
    Checksum(PathBuf),
    #[error("{0}: {1}")]
    Decode(PathBuf, String),
    #[error("{0}: the decoded state's digest is not the one the snapshot recorded")]
    Digest(PathBuf),
    #[error("{path}: snapshot of size {size}, but {why}")]
    NotOfThisLog { path: PathBuf, size: u64, why: String },
}

/// A snapshot read back and checked against itself.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub size: u64,
    pub root: Hash,
    pub digest: [u8; 32],
    pub state: State,
}

/// A snapshot's header: enough to compare it with a replay without decoding it.
#[derive(Debug, Clone)]
pub struct Header {
    pub path: PathBuf,
    pub size: u64,
    pub root: Hash,
    pub digest: [u8; 32],
}

/// The snapshots in a directory.
#[derive(Debug, Clone)]
pub struct Snapshots {
    dir: PathBuf,
}

impl Snapshots {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The snapshot files by size, largest first (none if the directory is missing).
    pub fn list(&self) -> Vec<(u64, PathBuf)> {
        let Ok(read) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut found: Vec<(u64, PathBuf)> = read
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let size = name.strip_suffix(SUFFIX)?.parse().ok()?;
                // A FIFO or device under a snapshot's name would block the open.
                e.file_type().ok().filter(|t| t.is_file() || t.is_symlink())?;
                Some((size, e.path()))
            })
            .collect();
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        found
    }

    /// Writes `state` (folded to `state.size()`, whose checkpoint has `root`)
    /// as a snapshot; returns its path. Atomic: see the module docs.
    pub fn write(&self, state: &State, root: Hash) -> std::io::Result<PathBuf> {
        fs::create_dir_all(&self.dir)?;
        self.remove_temporaries();
        let size = state.size();
        let name = format!("{size:020}{SUFFIX}");
        let temp = self.dir.join(format!("{TEMP_PREFIX}{name}"));
        // Buffered before the hasher, so that it hashes large pieces.
        let hashing = Hashing { inner: File::create(&temp)?, hash: Sha256::new() };
        let mut out = BufWriter::with_capacity(IO_BUFFER, hashing);
        out.write_all(MAGIC)?;
        out.write_all(&SNAPSHOT_FORMAT.to_le_bytes())?;
        out.write_all(&size.to_le_bytes())?;
        out.write_all(&root)?;
        out.write_all(&state.digest())?;
        state.encode_snapshot(&mut out)?;
        let Hashing { inner: mut file, hash } = out.into_inner().map_err(|e| e.into_error())?;
        file.write_all(&hash.finalize())?;
        file.sync_all()?;
        let path = self.dir.join(name);
        fs::rename(&temp, &path)?;
        File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }

    /// Reads and checks a snapshot file against itself (module docs).
    pub fn load(path: &Path) -> Result<Loaded, SnapshotError> {
        let stopwatch = crate::clock::Stopwatch::start();
        let io = |e| SnapshotError::Io(path.to_owned(), e);
        // The checksum first, so that the decoder reads only bytes as they
        // were written and may trust the lengths they give.
        let (_, mut file, body) = Self::open_checked(path)?;
        file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
        let mut input = BufReader::with_capacity(IO_BUFFER, file.take(body));
        let header = read_header(path, &mut input)?;
        let state = State::decode_snapshot(&mut input)
            .map_err(|e| SnapshotError::Decode(path.to_owned(), e.to_string()))?;
        let left = std::io::copy(&mut input, &mut std::io::sink()).map_err(io)?;
        if left > 0 {
            return Err(SnapshotError::Decode(path.to_owned(), format!("{left} bytes follow the state")));
        }
        let decode_s = stopwatch.elapsed_s();
        if state.size() != header.size {
            return Err(SnapshotError::Decode(path.to_owned(), "its state is of another size".into()));
        }
        if state.digest() != header.digest {
            return Err(SnapshotError::Digest(path.to_owned()));
        }
        tracing::info!(
            decode_s,
            seconds = stopwatch.elapsed_s(),
            "snapshot read, decoded and its digest checked"
        );
        let Header { path, size, root, digest } = header;
        Ok(Loaded { path, size, root, digest, state })
    }

    /// A snapshot's header, after checking its format and its checksum,
    /// without decoding it (what the audit checks of a file).
    pub fn checked_header(path: &Path) -> Result<Header, SnapshotError> {
        Self::open_checked(path).map(|(header, ..)| header)
    }

    /// Opens a snapshot and checks its format (first, so that another
    /// version's snapshot is named as such, whatever its checksum) and its
    /// checksum; returns its header, the file and the length of its body
    /// (all but the trailer).
    fn open_checked(path: &Path) -> Result<(Header, File, u64), SnapshotError> {
        let io = |e| SnapshotError::Io(path.to_owned(), e);
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let Some(body) = len.checked_sub(32) else { return Err(SnapshotError::NotSnapshot(path.to_owned())) };
        let header = read_header(path, &mut (&mut file).take(body))?;
        file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
        let mut hashing = Hashing { inner: std::io::sink(), hash: Sha256::new() };
        std::io::copy(&mut BufReader::with_capacity(IO_BUFFER, (&mut file).take(body)), &mut hashing)
            .map_err(io)?;
        let mut trailer = Vec::new();
        file.read_to_end(&mut trailer).map_err(io)?;
        if trailer != hashing.hash.finalize().as_slice() {
            return Err(SnapshotError::Checksum(path.to_owned()));
        }
        Ok((header, file, body))
    }

    /// A snapshot's header, checked for magic and format only.
    pub fn header(path: &Path) -> Result<Header, SnapshotError> {
        let file = File::open(path).map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
        read_header(path, &mut BufReader::new(file))
    }

    /// Removes all but the `keep` largest snapshots.
    pub fn prune(&self, keep: usize) {
        for (_, path) in self.list().into_iter().skip(keep.max(1)) {
            let _ = fs::remove_file(path);
        }
    }

    fn remove_temporaries(&self) {
        let Ok(read) = fs::read_dir(&self.dir) else { return };
        for e in read.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn read_header(path: &Path, input: &mut impl Read) -> Result<Header, SnapshotError> {
    let mut fixed = [0u8; 18 + 4 + 8 + 32 + 32];
    if input.read_exact(&mut fixed).is_err() || &fixed[..18] != MAGIC {
        return Err(SnapshotError::NotSnapshot(path.to_owned()));
    }
    let found = u32::from_le_bytes(fixed[18..22].try_into().unwrap_or_default());
    if found != SNAPSHOT_FORMAT {
        return Err(SnapshotError::Format { path: path.to_owned(), found });
    }
    let size = u64::from_le_bytes(fixed[22..30].try_into().unwrap_or_default());
    let root = fixed[30..62].try_into().unwrap_or_default();
    let digest = fixed[62..94].try_into().unwrap_or_default();
    Ok(Header { path: path.to_owned(), size, root, digest })
}

/// Passes bytes through, hashing them.
struct Hashing<T> {
    inner: T,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Checks that the log holds a checkpoint at the snapshot's size, signed by
/// the log key, with the snapshot's root.
pub(crate) fn check_belongs(
    header: &Header,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
) -> Result<(), SnapshotError> {
    let refuse =
        |why: String| SnapshotError::NotOfThisLog { path: header.path.clone(), size: header.size, why };
    let stored = reader
        .checkpoint_at(header.size)
        .map_err(|e| refuse(format!("its checkpoint could not be read: {e}")))?
        .ok_or_else(|| refuse("the log holds no checkpoint of that size".into()))?;
    let signed = SignedCheckpoint::open(&stored.note, log_vkey)
        .map_err(|e| refuse(format!("the log's checkpoint of that size does not verify: {e}")))?;
    if signed.checkpoint.root != header.root {
        return Err(refuse("the log's checkpoint of that size has another root".into()));
    }
    Ok(())
}

/// The latest snapshot of at most `size` entries that loads and belongs to
/// the log; each one refused is logged, with why, and the next older tried.
pub(crate) fn latest_usable(
    snapshots: &Snapshots,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    size: u64,
) -> Option<Loaded> {
    let mut refused = 0;
    for (named, path) in snapshots.list() {
        if named > size {
            tracing::warn!(
                "snapshot {} skipped: of {named} entries, beyond the log's {size} (a snapshot of another log?)",
                path.display()
            );
            continue;
        }
        let loaded = Snapshots::header(&path)
            .and_then(|h| match h.size == named {
                true => Ok(h),
                false => Err(SnapshotError::NotOfThisLog {
                    path: path.clone(),
                    size: h.size,
                    why: format!("its file name says {named} entries"),
                }),
            })
            .and_then(|h| check_belongs(&h, reader, log_vkey))
            .and_then(|()| Snapshots::load(&path));
        match loaded {
            Ok(l) => return Some(l),
            Err(e) => tracing::warn!("snapshot refused: {e}"),
        }
        refused += 1;
    }
    if refused > 0 {
        tracing::warn!("no usable snapshot ({refused} refused): replaying the whole log, {size} entries");
    }
    None
}

/// Makes one snapshot at the log's latest checkpoint, from the latest
/// usable snapshot (or genesis) and the entries after it; returns its size,
/// or `None` when the latest snapshot is already there.
pub fn make(
    snapshots: &Snapshots,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    keep: usize,
) -> Result<Option<u64>, MakeError> {
    let Some(latest) = reader.latest_checkpoint().map_err(ReplayError::from)? else { return Ok(None) };
    let signed = SignedCheckpoint::open(&latest.note, log_vkey)
        .map_err(|e| MakeError::Checkpoint(latest.size, e.to_string()))?;
    // Already there, whole (its checksum checked, not decoded): nothing to do.
    let newest = snapshots.list().into_iter().find(|(named, _)| *named == latest.size);
    if newest.is_some_and(|(_, path)| Snapshots::checked_header(&path).is_ok_and(|h| h.size == latest.size)) {
        return Ok(None);
    }
    let start = latest_usable(snapshots, reader, log_vkey, latest.size);
    let state = start.map(|l| l.state).unwrap_or_default();
    let run = Run { state, tree: None, end: latest.size, opts: ReplayOptions::recovery() };
    let (state, ..) = run.go(reader, &mut Stops::none(&|_| {}))?;
    let write = |e| MakeError::Write(snapshots.dir().to_owned(), e);
    snapshots.write(&state, signed.checkpoint.root).map_err(write)?;
    snapshots.prune(keep);
    Ok(Some(latest.size))
}

/// Why a snapshot could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    #[error("replaying the log for the snapshot: {0}")]
    Replay(#[from] ReplayError),
    #[error("the log's checkpoint of size {0} does not verify: {1}")]
    Checkpoint(u64, String),
    #[error("writing a snapshot in {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// How often the snapshot thread looks at the log's size.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Starts the thread that makes snapshots by `policy`; it ends with the service.
pub(crate) fn spawn(inner: Weak<Inner>, policy: SnapshotPolicy) -> std::io::Result<()> {
    let snapshots = policy.snapshots();
    // Left by a crash mid-write; nothing else writes here while this runs.
    snapshots.remove_temporaries();
    let last_size = snapshots.list().first().map_or(0, |s| s.0);
    std::thread::Builder::new()
        .name("corridor-snapshots".into())
        .spawn(move || run_thread(inner, policy, snapshots, last_size))
        .map(|_| ())
}

fn run_thread(inner: Weak<Inner>, policy: SnapshotPolicy, snapshots: Snapshots, mut last_size: u64) {
    let mut last_at_us = None;
    loop {
        std::thread::sleep(LOOK_EVERY);
        let Some(inner) = inner.upgrade() else { return };
        let size = *inner.served.borrow();
        let now_us = inner.clock.now_us();
        let since = *last_at_us.get_or_insert(now_us);
        let by_time = size > last_size && now_us.saturating_sub(since) >= policy.every.as_micros() as i64;
        if size.saturating_sub(last_size) < policy.every_entries && !by_time {
            continue;
        }
        let (reader, log_vkey) = (inner.reader.clone(), inner.log_vkey.clone());
        drop(inner);
        match make(&snapshots, reader.as_ref(), &log_vkey, policy.keep) {
            Ok(made) => {
                if let Some(s) = made {
                    tracing::info!(size = s, dir = %snapshots.dir().display(), "snapshot written");
                }
                last_size = made.unwrap_or(size);
            }
            Err(e) => {
                // Tried again after the next interval, not at once.
                tracing::warn!("snapshot not written, trying again after the next interval: {e}");
                last_size = size;
            }
        }
        last_at_us = Some(now_us);
    }
}
