//! C2SP tlog-tiles v0.1: tile paths, tile contents and entry bundles.
//!
//! A tile at level L holds up to 256 consecutive hashes of tree level 8·L. Its
//! index N is written as 3-digit groups, every group but the last prefixed with
//! `x` (`1234067` → `x001/x234/067`). A partial tile has `.p/<W>` appended, W being
//! its width in 1..=255. Entry bundles (`tile/entries/N`) hold the entries of a
//! level-0 tile, each prefixed by its length as a big-endian u16.

use crate::hash::{node_hash, Hash};

pub const TILE_HEIGHT: u32 = 8;
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Tree levels above 63 cannot exist in a tree with a u64 size.
const MAX_TILE_LEVEL: u8 = 63 / TILE_HEIGHT as u8;
/// A tile index has at most this many 3-digit groups (u64::MAX has 20 digits).
const MAX_INDEX_GROUPS: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("not a tile path")]
    BadPath,
    #[error("tile is not available at this tree size")]
    NotAvailable,
    #[error("entry bundle is malformed")]
    BadBundle,
    #[error("entry is longer than 65,535 bytes")]
    EntryTooLarge,
}

/// A parsed tile path: a hash tile (`level` is Some) or an entry bundle (None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    pub level: Option<u8>,
    pub index: u64,
    /// None for a full tile; Some(w), 1 <= w <= 255, for a partial one.
    pub width: Option<u8>,
}

impl TilePath {
    /// Parses the part after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`.
    pub fn parse(path: &str) -> Result<Self, TileError> {
        let (level, rest) = path.split_once('/').ok_or(TileError::BadPath)?;
        let level = match level {
            "entries" => None,
            l => Some(parse_small(l).filter(|&l| l <= MAX_TILE_LEVEL).ok_or(TileError::BadPath)?),
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => (i, Some(parse_small(w).filter(|&w| w > 0).ok_or(TileError::BadPath)?)),
            None => (rest, None),
        };
        let tile = Self { level, index: parse_index(index_part)?, width };
        // One spelling per tile: `0/x000/001` is not another name for `0/001`.
        if tile.render() != path {
            return Err(TileError::BadPath);
        }
        Ok(tile)
    }

    /// The path below `tile/`, in canonical form.
    pub fn render(&self) -> String {
        let level = self.level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
        let mut out = format!("{level}/{}", render_index(self.index));
        if let Some(w) = self.width {
            out.push_str(&format!(".p/{w}"));
        }
        out
    }

    /// How many hashes (or entries) this tile holds.
    pub fn count(&self) -> u64 {
        self.width.map_or(TILE_WIDTH, u64::from)
    }

    /// Whether a tree of `size` leaves holds this tile. A partial tile of width W
    /// exists once its W hashes exist, and its content never changes after that,
    /// so it stays servable after its full tile exists.
    pub fn available_at(&self, size: u64) -> bool {
        let shift = TILE_HEIGHT * u32::from(self.level.unwrap_or(0));
        let level_len = size >> shift;
        let Some(end) = self.index.checked_mul(TILE_WIDTH).and_then(|s| s.checked_add(self.count())) else {
            return false;
        };
        end <= level_len
    }
}

/// Decimal 0..=255 with no leading zeros.
fn parse_small(s: &str) -> Option<u8> {
    let canonical = s == "0" || (!s.is_empty() && !s.starts_with('0') && s.len() <= 3);
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_index(s: &str) -> Result<u64, TileError> {
    let groups: Vec<&str> = s.split('/').collect();
    if groups.len() > MAX_INDEX_GROUPS {
        return Err(TileError::BadPath);
    }
    let (last, init) = groups.split_last().ok_or(TileError::BadPath)?;
    let mut value: u64 = 0;
    for g in init {
        value = push_group(value, g.strip_prefix('x').ok_or(TileError::BadPath)?)?;
    }
    push_group(value, last)
}

fn push_group(value: u64, digits: &str) -> Result<u64, TileError> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TileError::BadPath);
    }
    let d: u64 = digits.parse().map_err(|_| TileError::BadPath)?;
    value.checked_mul(1000).and_then(|v| v.checked_add(d)).ok_or(TileError::BadPath)
}

fn render_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Concatenates entries into a bundle, each prefixed by its big-endian u16 length.
pub fn encode_entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits a bundle back into entries.
pub fn decode_entry_bundle(mut bundle: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    while !bundle.is_empty() {
        if bundle.len() < 2 {
            return Err(TileError::BadBundle);
        }
        let len = usize::from(u16::from_be_bytes([bundle[0], bundle[1]]));
        let rest = &bundle[2..];
        if rest.len() < len {
            return Err(TileError::BadBundle);
        }
        out.push(&rest[..len]);
        bundle = &rest[len..];
    }
    Ok(out)
}

/// Computes the root of a tree of `size` leaves from stored hashes at tile levels
/// only (tree levels 0, 8, 16, ...): `stored(tile_level, index)` returns the hash
/// at tree level 8·tile_level. This is how a client recomputes a root from tiles.
pub fn root_from_stored<E>(
    size: u64,
    mut stored: impl FnMut(u8, u64) -> Result<Hash, E>,
) -> Result<Option<Hash>, E> {
    // Perfect subtrees of the tree, from the left: one per set bit of size.
    let mut subtrees = Vec::new();
    let mut start = 0u64;
    for k in (0..64u32).rev() {
        if size & (1 << k) != 0 {
            subtrees.push(perfect_hash(k, start >> k, &mut stored)?);
            start += 1 << k;
        }
    }
    let mut iter = subtrees.into_iter().rev();
    let Some(mut root) = iter.next() else { return Ok(None) };
    for left in iter {
        root = node_hash(&left, &root);
    }
    Ok(Some(root))
}

/// The hash at tree level `k`, index `i`, from the tile level at or below it.
fn perfect_hash<E>(k: u32, i: u64, stored: &mut impl FnMut(u8, u64) -> Result<Hash, E>) -> Result<Hash, E> {
    let base = k - k % TILE_HEIGHT;
    let span = 1u64 << (k - base);
    let mut layer =
        (0..span).map(|j| stored((base / TILE_HEIGHT) as u8, i * span + j)).collect::<Result<Vec<_>, E>>()?;
    while layer.len() > 1 {
        layer = layer.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    Ok(layer[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        let p = TilePath::parse("0/x001/x234/067").expect("parses");
        assert_eq!(p, TilePath { level: Some(0), index: 1_234_067, width: None });
        assert_eq!(p.render(), "0/x001/x234/067");
        let e = TilePath::parse("entries/x001/x234/067.p/8").expect("parses");
        assert_eq!(e, TilePath { level: None, index: 1_234_067, width: Some(8) });
        assert_eq!(e.render(), "entries/x001/x234/067.p/8");
        assert_eq!(TilePath::parse("1/000").expect("parses").index, 0);
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        for bad in [
            "0/1",
            "0/0001",
            "0/x001",
            "0/001/002",
            "0/x1/002",
            "00/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/08",
            "9/000",
            "foo/000",
            "0/",
            "0/x000/x000/x000/x000/x000/x000/x000/000",
            // Found by the tile_path fuzz target: a leading group of zeros.
            "0/x000/x002/003.p/5",
            "entries/x000/001",
        ] {
            assert_eq!(TilePath::parse(bad), Err(TileError::BadPath), "{bad}");
        }
    }

    #[test]
    fn availability_follows_tree_size() {
        let full = TilePath { level: Some(0), index: 0, width: None };
        assert!(!full.available_at(255));
        assert!(full.available_at(256));
        let partial = TilePath { level: Some(0), index: 1, width: Some(3) };
        assert!(partial.available_at(256 + 3));
        assert!(partial.available_at(256 + 200));
        assert!(partial.available_at(512), "a partial tile's hashes never change");
        assert!(!partial.available_at(256 + 2));
        let level1 = TilePath { level: Some(1), index: 0, width: Some(1) };
        assert!(!level1.available_at(255));
        assert!(level1.available_at(256));
    }

    #[test]
    fn bundles_round_trip_and_truncation_is_refused() {
        let entries: Vec<&[u8]> = vec![b"a", b"", b"hello"];
        let bundle = encode_entry_bundle(entries.clone()).expect("encodes");
        assert_eq!(decode_entry_bundle(&bundle).expect("decodes"), entries);
        assert_eq!(decode_entry_bundle(&bundle[..bundle.len() - 1]), Err(TileError::BadBundle));
    }
}
