//! An append-only Merkle tree kept as its perfect subtrees, level by level.
//!
//! `levels[k][i]` is the hash of leaves `[i·2^k, (i+1)·2^k)`. Every hash the tree will
//! ever hold at a level is final once written, which is what makes tiles immutable.
//! Any tree size up to the current one can be rooted and proven, so old checkpoints
//! stay provable (receipts for resubmissions are reproduced exactly).
//!
//! Memory is about 2 × 32 bytes per leaf.

use crate::hash::{empty_root, node_hash, Hash};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("tree size {requested} is larger than the tree ({size})")]
    SizeTooLarge { requested: u64, size: u64 },
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("consistency needs 0 < from <= to, got from {from}, to {to}")]
    BadRange { from: u64, to: u64 },
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    levels: Vec<Level>,
}

/// Hashes per chunk of a level: a multiple of a tile's 256, so that a tile
/// never spans two chunks.
const LEVEL_CHUNK: usize = 1 << 16;

/// One level of the tree, in chunks: a level of ten million hashes that
/// doubled as one vector copied 320 MB within the append that filled it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Level {
    /// All full but the last.
    chunks: Vec<Vec<Hash>>,
    len: usize,
}

impl Level {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, hash: Hash) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < LEVEL_CHUNK => last.push(hash),
            _ => {
                let mut chunk = Vec::with_capacity(LEVEL_CHUNK);
                chunk.push(hash);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Option<&Hash> {
        self.chunks.get(i / LEVEL_CHUNK)?.get(i % LEVEL_CHUNK)
    }

    fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        self.chunks.truncate(len.div_ceil(LEVEL_CHUNK));
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(len - (len - 1) / LEVEL_CHUNK * LEVEL_CHUNK);
        }
        self.len = len;
    }

    /// Hashes `[start, end)` if they lie in one chunk.
    fn slice(&self, start: usize, end: usize) -> Option<&[Hash]> {
        if start >= end || end > self.len || start / LEVEL_CHUNK != (end - 1) / LEVEL_CHUNK {
            return None;
        }
        let base = start / LEVEL_CHUNK * LEVEL_CHUNK;
        self.chunks[start / LEVEL_CHUNK].get(start - base..end - base)
    }

    fn of(hashes: &[Hash]) -> Self {
        Self { chunks: hashes.chunks(LEVEL_CHUNK).map(<[Hash]>::to_vec).collect(), len: hashes.len() }
    }
}

impl std::ops::Index<usize> for Level {
    type Output = Hash;
    fn index(&self, i: usize) -> &Hash {
        &self.chunks[i / LEVEL_CHUNK][i % LEVEL_CHUNK]
    }
}

/// The largest power of two strictly below `n` (n >= 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

impl Tree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The tree over `leaves`, built a level at a time: the same tree as
    /// pushing each leaf, from hashes already stored (recovery from a
    /// snapshot), without reading the entries again.
    pub fn from_leaves(leaves: Vec<Hash>) -> Self {
        let mut levels = Vec::new();
        let mut below = leaves;
        while !below.is_empty() {
            let above: Vec<Hash> = below.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
            levels.push(Level::of(&below));
            below = above;
        }
        Self { levels }
    }

    /// Writes every hash the tree holds, level by level from the leaves:
    /// `size >> k` hashes of 32 bytes at level `k`. With the size, that is the
    /// whole tree, read back by [`Tree::read_hashes`] (a snapshot keeps it).
    pub fn write_hashes<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let chunks = self.levels.iter().flat_map(|l| l.chunks.iter());
        chunks.into_iter().try_for_each(|c| out.write_all(c.as_flattened()))
    }

    /// Reads what [`Tree::write_hashes`] wrote of a tree of `size` leaves,
    /// without hashing anything: the caller checks the bytes (a checksum)
    /// and the root (against a signed checkpoint). Reads a chunk at a time,
    /// so a wrong `size` fails at the input's end, not in an allocation.
    pub fn read_hashes<R: std::io::Read>(input: &mut R, size: u64) -> std::io::Result<Self> {
        let mut levels = Vec::new();
        let mut n = usize::try_from(size).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        while n > 0 {
            let mut level = Level::default();
            while level.len < n {
                let mut chunk = vec![[0u8; 32]; (n - level.len).min(LEVEL_CHUNK)];
                input.read_exact(chunk.as_flattened_mut())?;
                level.len += chunk.len();
                level.chunks.push(chunk);
            }
            levels.push(level);
            n >>= 1;
        }
        Ok(Self { levels })
    }

    /// Whether every hash this tree holds is the one `other` holds at the
    /// same level and index: whether this is the tree of `other`'s first
    /// [`Tree::size`] leaves (an audit's check of a stored tree).
    pub fn is_prefix_of(&self, other: &Tree) -> bool {
        self.levels.len() <= other.levels.len()
            && self.levels.iter().zip(&other.levels).all(|(mine, theirs)| {
                // Chunks start at the same indexes in both.
                mine.len() <= theirs.len()
                    && mine.chunks.iter().zip(&theirs.chunks).all(|(a, b)| b.get(..a.len()) == Some(&a[..]))
            })
    }

    /// Appends one leaf hash, completing every perfect subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Level::default());
            }
            self.levels[level].push(hash);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                return;
            }
            hash = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }

    /// Drops every leaf at or after `size`: used only to undo an append that did
    /// not become durable.
    pub fn truncate(&mut self, size: u64) {
        for (k, level) in self.levels.iter_mut().enumerate() {
            level.truncate((size >> k) as usize);
        }
        while self.levels.last().is_some_and(|l| l.len() == 0) {
            self.levels.pop();
        }
    }

    /// The hash of the perfect subtree at `level`, `index`, if complete.
    pub fn stored(&self, level: u32, index: u64) -> Option<Hash> {
        self.levels.get(level as usize)?.get(usize::try_from(index).ok()?).copied()
    }

    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.stored(0, index)
    }

    /// The bytes of a hash tile: `count` hashes of tree level 8·`tile_level` from
    /// tile `index`, or None if the tree does not hold them all yet.
    pub fn tile_bytes(&self, tile_level: u8, index: u64, count: u64) -> Option<Vec<u8>> {
        let level = self.levels.get(usize::from(tile_level) * 8)?;
        let start = usize::try_from(index.checked_mul(256)?).ok()?;
        let end = start.checked_add(usize::try_from(count).ok()?)?;
        let hashes = level.slice(start, end)?;
        Some(hashes.concat())
    }

    /// MTH(D[lo:hi]) for 0 <= lo < hi <= size.
    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let k = n.trailing_zeros();
            return self.levels[k as usize][(lo >> k) as usize];
        }
        let k = split_point(n);
        node_hash(&self.range_hash(lo, lo + k), &self.range_hash(lo + k, hi))
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError::SizeTooLarge { requested: size, size: self.size() });
        }
        Ok(())
    }

    /// The root hash of the tree as it was at `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        Ok(if size == 0 { empty_root() } else { self.range_hash(0, size) })
    }

    /// RFC 6962 §2.1.1 audit path for leaf `index` in the tree of `size` leaves,
    /// from the leaf's sibling up to the root's child.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        if hi - lo <= 1 {
            return;
        }
        let k = split_point(hi - lo);
        if m < lo + k {
            self.path(m, lo, lo + k, out);
            out.push(self.range_hash(lo + k, hi));
        } else {
            self.path(m, lo + k, hi, out);
            out.push(self.range_hash(lo, lo + k));
        }
    }

    /// RFC 6962 §2.1.2 consistency proof between sizes `from` and `to`.
    /// `from == to` gives the empty proof.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(to)?;
        if from == 0 || from > to {
            return Err(TreeError::BadRange { from, to });
        }
        let mut proof = Vec::new();
        self.subproof(from, 0, to, true, &mut proof);
        Ok(proof)
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == hi {
            if !whole {
                out.push(self.range_hash(lo, hi));
            }
            return;
        }
        let k = split_point(hi - lo);
        if m <= lo + k {
            self.subproof(m, lo, lo + k, whole, out);
            out.push(self.range_hash(lo + k, hi));
        } else {
            self.subproof(m, lo + k, hi, false, out);
            out.push(self.range_hash(lo, lo + k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// Straight from the RFC 6962 definition of MTH, with no stored levels.
    fn reference_mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&reference_mth(&leaves[..k]), &reference_mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn root_matches_the_definition_at_every_size() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Tree::new();
        for (i, l) in leaves.iter().enumerate() {
            tree.push(*l);
            for size in [1, i / 2 + 1, i + 1] {
                assert_eq!(tree.root(size as u64), Ok(reference_mth(&leaves[..size])));
            }
        }
        assert!(tree.root(301).is_err());
    }

    #[test]
    fn from_leaves_is_the_pushed_tree() {
        for n in 0..300u32 {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let mut pushed = Tree::new();
            leaves.iter().for_each(|l| pushed.push(*l));
            let built = Tree::from_leaves(leaves);
            assert_eq!(built.levels, pushed.levels, "size {n}");
        }
    }

    /// A tree's hashes, written and read back, are the same tree; cut short
    /// or read for a larger size, they are refused.
    #[test]
    fn hashes_written_read_back_are_the_tree() {
        for n in (0..300u64).chain([LEVEL_CHUNK as u64 + 3]) {
            let mut tree = Tree::new();
            (0..n).for_each(|i| tree.push(leaf_hash(&i.to_be_bytes())));
            let mut bytes = Vec::new();
            tree.write_hashes(&mut bytes).expect("written");
            let back = Tree::read_hashes(&mut bytes.as_slice(), n).expect("read");
            assert_eq!(back.levels, tree.levels, "size {n}");
            if n > 0 {
                assert!(Tree::read_hashes(&mut &bytes[..bytes.len() - 1], n).is_err());
                assert!(Tree::read_hashes(&mut bytes.as_slice(), n + 1).is_err());
            }
        }
    }

    /// A tree is a prefix of its own growth, and of no other tree.
    #[test]
    fn a_prefix_is_the_tree_of_the_first_leaves() {
        let leaves: Vec<Hash> = (0..(LEVEL_CHUNK as u32 + 40)).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let whole = Tree::from_leaves(leaves.clone());
        for size in [0, 1, 7, 64, LEVEL_CHUNK + 1, leaves.len()] {
            let prefix = Tree::from_leaves(leaves[..size].to_vec());
            assert!(prefix.is_prefix_of(&whole), "size {size}");
            let mut other = leaves[..size].to_vec();
            if let Some(first) = other.first_mut() {
                first[0] ^= 1;
                assert!(!Tree::from_leaves(other).is_prefix_of(&whole), "size {size}, leaf 0 changed");
            }
        }
        assert!(!whole.is_prefix_of(&Tree::from_leaves(leaves[..10].to_vec())));
    }

    /// Across the chunks a level is kept in: pushes, a build from the
    /// leaves, truncation and tiles agree with the definition.
    #[test]
    fn levels_span_chunks() {
        let n = 2 * LEVEL_CHUNK as u32 + 300;
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut pushed = Tree::new();
        leaves.iter().for_each(|l| pushed.push(*l));
        let built = Tree::from_leaves(leaves.clone());
        assert_eq!(built.levels, pushed.levels);
        for size in [1, LEVEL_CHUNK as u64 - 1, LEVEL_CHUNK as u64, LEVEL_CHUNK as u64 + 1, u64::from(n)] {
            let mut cut = pushed.clone();
            cut.truncate(size);
            assert_eq!(cut.levels, Tree::from_leaves(leaves[..size as usize].to_vec()).levels, "size {size}");
            assert_eq!(cut.root(size).ok(), Some(reference_mth(&leaves[..size as usize])));
        }
        let tile = LEVEL_CHUNK as u64 / 256;
        let bytes = pushed.tile_bytes(0, tile, 256).expect("a full tile");
        assert_eq!(bytes, leaves[LEVEL_CHUNK..LEVEL_CHUNK + 256].concat());
    }

    #[test]
    fn truncate_undoes_push() {
        let mut tree = Tree::new();
        for i in 0..100u32 {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        let root = tree.root(37).expect("size in range");
        tree.truncate(37);
        assert_eq!(tree.size(), 37);
        assert_eq!(tree.root(37), Ok(root));
        tree.push(leaf_hash(&37u32.to_be_bytes()));
        let mut again = Tree::new();
        for i in 0..38u32 {
            again.push(leaf_hash(&i.to_be_bytes()));
        }
        assert_eq!(tree.root(38), again.root(38));
    }
}
