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
//! | … | the state's parts, in [`Part::ALL`]'s order ([`State::encode_part`]) |
//! | … | the log's tree of that size: every hash it holds ([`Tree::write_hashes`]) |
//! | 8 × 6 | each of these six sections' length in bytes, little-endian |
//! | 32 | BLAKE3 of every byte before it |
//!
//! The checksum is BLAKE3 rather than SHA-256: as strong, and several times
//! faster on one core, for a file of gigabytes read at every restart.
//!
//! **What a load checks**, refusing the snapshot at the first failure: the
//! magic and format (a snapshot of another version is refused, never read);
//! that the sections' lengths tile the file; then, in parallel, the trailing
//! BLAKE3 hash (a damaged file) and each section's decoding, which must use its
//! bytes exactly; that the decoded state's size is the header's; its digest
//! (taken from the parts as they are decoded) against the header's (a
//! decoder that lost or changed a record); the tree's root against the
//! header's. Recovery then checks that the log's own signed checkpoint at
//! that size has the header's root ([`crate::replay::recover`]), so a
//! snapshot of another log, or of a log since rewritten, is refused too.
//!
//! **The tree** is stored whole, so that recovery hashes nothing: ten
//! million entries' tree is 640 MB of hashes, read in a second, where
//! rebuilding it from the stored leaf hashes took six. Its hashes are
//! trusted as the state is, by the checksum; its root is checked against
//! the log's signed checkpoint, and `corridor audit` rebuilds everything
//! from the entries.
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
//! it; it costs one more copy of the state and of the tree (0.6 GiB at ten
//! million entries) in memory while it runs.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use corridor_note::VerifierKey;
use corridor_state::snapshot::{DecodedPart, Part, SNAPSHOT_FORMAT};
use corridor_state::State;
use corridor_store::LogReader;
use corridor_tlog::{Hash, SignedCheckpoint, Tree};

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
    #[error("{0} is damaged: it ends before its header does")]
    CutShort(PathBuf),
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
    /// The log's tree of `size` leaves, with `root`.
    pub tree: Tree,
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
        let read = match fs::read_dir(&self.dir) {
            Ok(read) => read,
            // None made yet; anything else (a file in its place, no
            // permission) is the operator's to know, not a silent replay.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::warn!("{} cannot be read as the snapshots directory: {e}", self.dir.display());
                return Vec::new();
            }
        };
        let mut found: Vec<(u64, PathBuf)> = read
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let size = name.strip_suffix(SUFFIX)?.parse().ok()?;
                // A FIFO or device under a snapshot's name would block the open.
                let kind = e.file_type().ok().filter(|t| t.is_file() || t.is_symlink());
                if kind.is_none() {
                    tracing::warn!("{} is not a regular file: passed over as a snapshot", e.path().display());
                }
                kind?;
                Some((size, e.path()))
            })
            .collect();
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        found
    }

    /// Writes `state` (folded to `state.size()`, whose checkpoint has `root`)
    /// and `tree` (of that size, with that root) as a snapshot; returns its
    /// path. Atomic: see the module docs.
    pub fn write(&self, state: &State, tree: &Tree, root: Hash) -> std::io::Result<PathBuf> {
        let size = state.size();
        if tree.size() != size || tree.root(size).ok() != Some(root) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the tree is not the state's, or its root not the checkpoint's",
            ));
        }
        if self.dir.exists() && !self.dir.is_dir() {
            let why = format!("{} is not a directory", self.dir.display());
            return Err(std::io::Error::new(std::io::ErrorKind::NotADirectory, why));
        }
        fs::create_dir_all(&self.dir)?;
        self.remove_temporaries();
        let name = format!("{size:020}{SUFFIX}");
        let temp = self.dir.join(format!("{TEMP_PREFIX}{name}"));
        // Buffered before the hasher, so that it hashes large pieces.
        let hashing = Hashing { inner: File::create(&temp)?, hash: blake3::Hasher::new() };
        let mut out = BufWriter::with_capacity(IO_BUFFER, hashing);
        out.write_all(MAGIC)?;
        out.write_all(&SNAPSHOT_FORMAT.to_le_bytes())?;
        out.write_all(&size.to_le_bytes())?;
        out.write_all(&root)?;
        out.write_all(&state.digest())?;
        let mut lengths = Vec::with_capacity(SECTIONS);
        for part in Part::ALL {
            lengths.push(counted(&mut out, |out| state.encode_part(part, out))?);
        }
        lengths.push(counted(&mut out, |out| tree.write_hashes(out))?);
        lengths.iter().try_for_each(|l| out.write_all(&l.to_le_bytes()))?;
        let Hashing { inner: mut file, hash } = out.into_inner().map_err(|e| e.into_error())?;
        file.write_all(hash.finalize().as_bytes())?;
        file.sync_all()?;
        let path = self.dir.join(name);
        fs::rename(&temp, &path)?;
        File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }

    /// Reads and checks a snapshot file against itself (module docs): its
    /// sections are decoded in parallel, beside its checksum.
    pub fn load(path: &Path) -> Result<Loaded, SnapshotError> {
        let stopwatch = crate::clock::Stopwatch::start();
        let (file, len, header) = open(path)?;
        let sections = match sections(path, &file, len) {
            Ok(s) => s,
            // A file cut short is damaged: say so, as the checksum does.
            Err(e) => return Err(checksum(path, &file, len).err().unwrap_or(e)),
        };
        // Bytes are decoded before their checksum is known to match: the
        // decoders allocate only as the bytes they read allow, and a
        // checksum failure outranks whatever a decoder made of them.
        let mut jobs: Vec<Option<(Section, u64, u64)>> =
            std::iter::once(None).chain(sections.into_iter().map(Some)).collect();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.map_or(CHECKSUM_COST, |(s, _, _)| s.cost())));
        let done = longest_first(&jobs, |&job| {
            let stopwatch = crate::clock::Stopwatch::start();
            let done = run_job(path, &file, len, job, header.size);
            tracing::debug!(job = ?job.map(|j| j.0), seconds = stopwatch.elapsed_s(), "snapshot section done");
            done
        });
        let (mut parts, mut tree, mut done) = (Vec::with_capacity(SECTIONS), None, done);
        // The checksum's verdict first: it outranks any decoder's.
        let checksum_at = jobs.iter().position(Option::is_none).unwrap_or(0);
        done.remove(checksum_at)?;
        for d in done {
            match d? {
                // The checksum's, removed above.
                Done::Checked => {}
                Done::Part(p) => parts.push(p),
                Done::Tree(t) => tree = Some(t),
            }
        }
        let decode = |why: String| SnapshotError::Decode(path.to_owned(), why);
        let (state, digest) = State::from_parts(parts).map_err(|e| decode(e.to_string()))?;
        let tree = tree.ok_or_else(|| decode("its tree is missing".into()))?;
        if state.size() != header.size {
            return Err(decode("its state is of another size".into()));
        }
        if digest != header.digest {
            return Err(SnapshotError::Digest(path.to_owned()));
        }
        if tree.root(header.size).ok() != Some(header.root) {
            return Err(decode("its tree does not have its root".into()));
        }
        tracing::info!(seconds = stopwatch.elapsed_s(), "snapshot read, decoded and its digest checked");
        let Header { path, size, root, digest } = header;
        Ok(Loaded { path, size, root, digest, state, tree })
    }

    /// A snapshot's header, after checking its format and its checksum,
    /// without decoding it (what the audit checks of a file).
    pub fn checked_header(path: &Path) -> Result<Header, SnapshotError> {
        // The format first, so that another version's snapshot is named as
        // such, whatever its checksum.
        let (file, len, header) = open(path)?;
        checksum(path, &file, len)?;
        Ok(header)
    }

    /// A snapshot's tree alone, decoded but not checked against anything
    /// (what the audit compares with its own tree).
    pub fn tree(path: &Path) -> Result<Tree, SnapshotError> {
        let (file, len, header) = open(path)?;
        // The tree is the last section.
        let (_, at, end) = sections(path, &file, len)?[SECTIONS - 1];
        read_tree(path, &file, at, end, header.size)
    }

    /// A snapshot's header, checked for magic and format only.
    pub fn header(path: &Path) -> Result<Header, SnapshotError> {
        let file = File::open(path).map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
        read_header(path, &mut BufReader::new(file))
    }

    /// Keeps the `keep` largest whole snapshots, after one of `written`
    /// entries was written, and removes every other file: those named for
    /// more entries, which cannot be of this log (it never shrinks), and
    /// those of another format or whose checksum fails, which recovery
    /// refuses. Either would otherwise take a usable snapshot's place, and
    /// leave recovery one fewer to fall back on.
    ///
    /// The one just written is whole; each older one kept has its checksum
    /// read (a second or two at ten million entries, in the background).
    pub fn prune(&self, keep: usize, written: u64) {
        let mut kept = 0;
        for (size, path) in self.list() {
            let whole = || size == written || Self::checked_header(&path).is_ok_and(|h| h.size == size);
            if size <= written && kept < keep.max(1) && whole() {
                kept += 1;
                continue;
            }
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

/// Bytes before the first section: magic, format, size, root, digest.
const HEADER_LEN: u64 = 18 + 4 + 8 + 32 + 32;
/// Sections after the header: the state's parts, then the tree.
const SECTIONS: usize = Part::ALL.len() + 1;

/// A section of the file after the header.
#[derive(Debug, Clone, Copy)]
enum Section {
    Part(Part),
    Tree,
}

impl Section {
    /// How long decoding it takes, relative to the others (measured on the
    /// headroom mix): the longest start first.
    fn cost(self) -> u32 {
        match self {
            Self::Part(Part::Statements) => 100,
            Self::Part(Part::Objects) => 90,
            Self::Part(Part::Messages) => 75,
            Self::Part(Part::Acks) => 18,
            Self::Tree => 8,
            Self::Part(Part::Head) => 0,
        }
    }
}

/// The checksum's cost on [`Section::cost`]'s scale.
const CHECKSUM_COST: u32 = 22;

/// Runs `f` on every job on all cores, each core taking the next job in
/// order when it is done with one (the longest-first rule: with the jobs
/// sorted by cost, the last to finish starts early); results in job order.
fn longest_first<J: Sync, T: Send>(jobs: &[J], f: impl Fn(&J) -> T + Sync) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<T>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let out = f(job);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
            });
        }
    });
    // Every job ran: a thread that panicked would have panicked the scope.
    results.into_iter().filter_map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner())).collect()
}

/// What reading one section (or the checksum) gave.
enum Done {
    Checked,
    Part(DecodedPart),
    Tree(Tree),
}

/// Each section with its byte range, from the table of lengths before the
/// trailer; refused unless they tile the file between header and table.
fn sections(path: &Path, file: &File, len: u64) -> Result<Vec<(Section, u64, u64)>, SnapshotError> {
    let refuse = || SnapshotError::Decode(path.to_owned(), "its sections do not add up to its length".into());
    let table_len = 8 * SECTIONS as u64;
    let table_at = len.checked_sub(32 + table_len).filter(|&t| t >= HEADER_LEN).ok_or_else(refuse)?;
    let mut table = [0u8; 8 * SECTIONS];
    file.read_exact_at(&mut table, table_at).map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
    let kinds = Part::ALL.iter().map(|&p| Section::Part(p)).chain([Section::Tree]);
    let mut at = HEADER_LEN;
    let mut out = Vec::with_capacity(SECTIONS);
    for (kind, bytes) in kinds.zip(table.chunks_exact(8)) {
        let n = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let end = at.checked_add(n).filter(|&e| e <= table_at).ok_or_else(refuse)?;
        out.push((kind, at, end));
        at = end;
    }
    if at != table_at {
        return Err(refuse());
    }
    Ok(out)
}

/// One job of a load: the checksum (`None`) or a section's decoding.
fn run_job(
    path: &Path,
    file: &File,
    len: u64,
    job: Option<(Section, u64, u64)>,
    size: u64,
) -> Result<Done, SnapshotError> {
    match job {
        None => checksum(path, file, len).map(|()| Done::Checked),
        // A decoder fed damaged bytes (their checksum not yet known)
        // must refuse the file, never take the process down.
        Some(section) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decode_section(path, file, section, size)
        }))
        .unwrap_or_else(|_| {
            Err(SnapshotError::Decode(
                path.to_owned(),
                format!("decoding its {:?} section failed", section.0),
            ))
        }),
    }
}

/// Checks the trailing BLAKE3 hash against every byte before it.
fn checksum(path: &Path, file: &File, len: u64) -> Result<(), SnapshotError> {
    let io = |e| SnapshotError::Io(path.to_owned(), e);
    let Some(body) = len.checked_sub(32) else { return Err(SnapshotError::CutShort(path.to_owned())) };
    let mut hashing = Hashing { inner: std::io::sink(), hash: blake3::Hasher::new() };
    let mut input = BufReader::with_capacity(IO_BUFFER, At { file, pos: 0, end: body });
    std::io::copy(&mut input, &mut hashing).map_err(io)?;
    let mut trailer = [0u8; 32];
    file.read_exact_at(&mut trailer, body).map_err(io)?;
    if trailer != *hashing.hash.finalize().as_bytes() {
        return Err(SnapshotError::Checksum(path.to_owned()));
    }
    Ok(())
}

/// Decodes one section, which must be read to its last byte.
fn decode_section(
    path: &Path,
    file: &File,
    (section, at, end): (Section, u64, u64),
    size: u64,
) -> Result<Done, SnapshotError> {
    let decode = |why: String| SnapshotError::Decode(path.to_owned(), why);
    let mut input = BufReader::with_capacity(IO_BUFFER, At { file, pos: at, end });
    let done = match section {
        Section::Part(p) => {
            State::decode_part(p, &mut input, end - at).map(Done::Part).map_err(|e| decode(e.to_string()))?
        }
        Section::Tree => Tree::read_hashes(&mut input, size)
            .map(Done::Tree)
            .map_err(|e| decode(format!("its tree: {e}")))?,
    };
    let left =
        std::io::copy(&mut input, &mut std::io::sink()).map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
    if left > 0 {
        return Err(decode(format!("{left} bytes follow its {section:?} section")));
    }
    Ok(done)
}

/// The tree section `[at, end)` alone.
fn read_tree(path: &Path, file: &File, at: u64, end: u64, size: u64) -> Result<Tree, SnapshotError> {
    match decode_section(path, file, (Section::Tree, at, end), size)? {
        Done::Tree(t) => Ok(t),
        _ => Err(SnapshotError::Decode(path.to_owned(), "its tree is missing".into())),
    }
}

/// Opens a snapshot and reads its header (magic and format); returns the
/// file, its length and the header.
fn open(path: &Path) -> Result<(File, u64, Header), SnapshotError> {
    let io = |e| SnapshotError::Io(path.to_owned(), e);
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let header = read_header(path, &mut BufReader::new(&file))?;
    Ok((file, len, header))
}

/// Reads `[pos, end)` of a file by position (`pread`), so that several
/// readers share one open file.
struct At<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

fn read_header(path: &Path, input: &mut impl Read) -> Result<Header, SnapshotError> {
    let mut fixed = Vec::with_capacity(HEADER_LEN as usize);
    let read = input.take(HEADER_LEN).read_to_end(&mut fixed);
    read.map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
    // A file that begins as a snapshot does but ends before its header
    // is one cut short, not some other file.
    let begins = fixed.len().min(MAGIC.len());
    if begins == 0 || fixed[..begins] != MAGIC[..begins] {
        return Err(SnapshotError::NotSnapshot(path.to_owned()));
    }
    if fixed.len() < HEADER_LEN as usize {
        return Err(SnapshotError::CutShort(path.to_owned()));
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
    hash: blake3::Hasher,
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

/// Counts the bytes passed through.
struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The bytes `write` writes into `out`.
fn counted<W: Write>(
    out: &mut W,
    write: impl FnOnce(&mut Counting<&mut W>) -> std::io::Result<()>,
) -> std::io::Result<u64> {
    let mut counting = Counting { inner: out, n: 0 };
    write(&mut counting)?;
    Ok(counting.n)
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

/// Loads the snapshot at `path`, named for `named` entries, as recovery
/// does for a log of `size` entries: refused if it is named beyond the log
/// (a snapshot of another log), holds another size than its name, has no
/// checkpoint of the log at its size with its root ([`check_belongs`]), or
/// fails any check of [`Snapshots::load`]. The cheap checks come first, so
/// that a file of another log is not read through.
pub fn load_usable(
    path: &Path,
    named: u64,
    reader: &dyn LogReader,
    log_vkey: &VerifierKey,
    size: u64,
) -> Result<Loaded, SnapshotError> {
    let refuse = |size: u64, why: String| SnapshotError::NotOfThisLog { path: path.to_owned(), size, why };
    if named > size {
        return Err(refuse(named, format!("the log holds {size} entries (a snapshot of another log?)")));
    }
    let header = Snapshots::header(path)?;
    if header.size != named {
        return Err(refuse(header.size, format!("its file name says {named} entries")));
    }
    check_belongs(&header, reader, log_vkey)?;
    Snapshots::load(path)
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
        match load_usable(&path, named, reader, log_vkey, size) {
            Ok(l) => return Some(l),
            Err(e) => tracing::warn!("snapshot refused: {e}"),
        }
        refused += 1;
    }
    if size > 0 && refused == 0 {
        tracing::info!(
            "no snapshot in {}: replaying the whole log, {size} entries",
            snapshots.dir().display()
        );
    } else if size > 0 {
        tracing::warn!(
            "no usable snapshot ({refused} refused or skipped): replaying the whole log, {size} entries"
        );
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
    let (state, tree) = start.map(|l| (l.state, l.tree)).unwrap_or_default();
    let run = Run { state, tree: Some(tree), end: latest.size, opts: ReplayOptions::recovery() };
    let (state, tree, ..) = run.go(reader, &mut Stops::none(&|_| {}))?;
    let write = |e| MakeError::Write(snapshots.dir().to_owned(), e);
    let tree = tree.unwrap_or_default();
    snapshots.write(&state, &tree, signed.checkpoint.root).map_err(write)?;
    snapshots.prune(keep, latest.size);
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
    std::thread::Builder::new()
        .name("corridor-snapshots".into())
        .spawn(move || run_thread(inner, policy, snapshots))
        .map(|_| ())
}

/// Makes a snapshot whenever `policy` says one is due. The entries are
/// counted from the snapshot recovery started from, or from genesis when
/// it used none: a log whose snapshots were all refused (damaged, of
/// another version or of another log) gets a new one as soon as it is
/// long enough, not after as many entries again as a refused file's name.
fn run_thread(inner: Weak<Inner>, policy: SnapshotPolicy, snapshots: Snapshots) {
    let Some(mut last_size) = inner.upgrade().map(|i| i.recovered_from) else { return };
    let every_us = i64::try_from(policy.every.as_micros()).unwrap_or(i64::MAX);
    let mut last_at_us = None;
    loop {
        std::thread::sleep(LOOK_EVERY);
        let Some(inner) = inner.upgrade() else { return };
        let size = *inner.served.borrow();
        let now_us = inner.clock.now_us();
        let since = *last_at_us.get_or_insert(now_us);
        let by_time = size > last_size && now_us.saturating_sub(since) >= every_us;
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

#[cfg(test)]
mod longest_first_tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_results_keep_the_jobs_order() {
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let jobs: Vec<u64> = (0..37).rev().collect();
        let out = longest_first(&jobs, |&j| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            j * j
        });
        assert_eq!(out, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        assert_eq!(runs.into_inner(), jobs.len());
        assert!(longest_first(&[] as &[u64], |&j| j).is_empty());
    }
}
