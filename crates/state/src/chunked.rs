//! Collections of millions of records that grow a piece at a time.
//!
//! A `Vec` or a hash map that is full doubles within one insert, copying or
//! rehashing every item it holds. At ten million statements that held one
//! submission for seconds: the first message after a restart from a snapshot
//! waited 2.1 s while the messages (6.6 million) were copied into a vector
//! twice the size. These two never move more than one piece at once:
//!
//! - [`Chunked`]: a sequence in chunks of [`CHUNK`] items, each allocated
//!   whole when the previous one is full;
//! - [`Sharded`]: a hash map in [`SHARDS`] maps, chosen by the key's hash,
//!   each of which resizes alone (a 256th of the items).
//!
//! A chunked sequence's snapshot encoding is that of a `Vec` (a `u32`
//! count, then the items), so a snapshot does not depend on how memory is
//! laid out; the state writes its sharded maps itself (`snapshot`).

use std::hash::{BuildHasher, Hash};

use borsh::{BorshDeserialize, BorshSerialize};

use crate::HashMap;

/// Items per chunk of a [`Chunked`].
pub const CHUNK: usize = 1 << 16;

/// A sequence that grows a chunk at a time.
#[derive(Debug, Clone)]
pub struct Chunked<T> {
    /// All full but the last.
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last())
    }

    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    /// The first position whose item fails `pred` (the items must be
    /// partitioned by it), as [`slice::partition_point`].
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).is_some_and(&mut pred) {
                true => lo = mid + 1,
                false => hi = mid,
            }
        }
        lo
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The items from position `start` on.
    pub fn iter_from(&self, start: usize) -> Iter<'_, T> {
        let start = start.min(self.len);
        let (chunk, offset) = (start / CHUNK, start % CHUNK);
        let mut chunks = self.chunks[chunk.min(self.chunks.len())..].iter();
        let current = chunks.next().map_or([].iter(), |c| c[offset.min(c.len())..].iter());
        Iter { chunks, current, left: self.len - start }
    }
}

/// The items of a [`Chunked`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a, T> {
    chunks: std::slice::Iter<'a, Vec<T>>,
    current: std::slice::Iter<'a, T>,
    left: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.current.next() {
                self.left -= 1;
                return Some(item);
            }
            self.current = self.chunks.next()?.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<T: BorshSerialize> BorshSerialize for Chunked<T> {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        let len = u32::try_from(self.len).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        len.serialize(writer)?;
        self.iter().try_for_each(|item| item.serialize(writer))
    }
}

impl<T: BorshDeserialize> BorshDeserialize for Chunked<T> {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let len = u32::deserialize_reader(reader)?;
        let mut out = Self::default();
        for _ in 0..len {
            out.push(T::deserialize_reader(reader)?);
        }
        Ok(out)
    }
}

/// Maps per [`Sharded`] map.
pub const SHARDS: usize = 256;

/// A hash map in [`SHARDS`] maps, each resizing alone.
#[derive(Debug, Clone)]
pub struct Sharded<K, V> {
    shards: Vec<HashMap<K, V>>,
    /// Picks the shard; fixed, so a key's shard never changes.
    pick: foldhash::fast::FixedState,
    len: usize,
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        let shards = (0..SHARDS).map(|_| HashMap::default()).collect();
        Self { shards, pick: foldhash::fast::FixedState::with_seed(0x636f_7272_6964_6f72), len: 0 }
    }
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn shard(&self, k: &K) -> usize {
        // The top bits: the shards' own hashers use their own seeds.
        (self.pick.hash_one(k) >> 56) as usize % SHARDS
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.shards[self.shard(k)].get(k)
    }

    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let i = self.shard(&k);
        let old = self.shards[i].insert(k, v);
        self.len += usize::from(old.is_none());
        old
    }

    /// The value at `k`, inserted by `make` if absent.
    pub fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        let i = self.shard(&k);
        self.len += usize::from(!self.shards[i].contains_key(&k));
        self.shards[i].entry(k).or_insert_with(make)
    }

    /// Room for `n` more items in all, spread over the shards.
    pub fn reserve(&mut self, n: usize) {
        let each = n.div_ceil(SHARDS);
        self.shards.iter_mut().for_each(|s| s.reserve(each));
    }

    /// Every item, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|s| s.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A chunked sequence answers as a vector does.
        #[test]
        fn chunked_is_a_vector(n in 0usize..(3 * CHUNK + 5), start in 0usize..(3 * CHUNK + 9), cut in 0u64..(4 * CHUNK as u64)) {
            let v: Vec<u64> = (0..n as u64).collect();
            let mut c = Chunked::default();
            v.iter().for_each(|x| c.push(*x));
            prop_assert_eq!(c.len(), v.len());
            prop_assert!(c.iter().eq(v.iter()));
            prop_assert_eq!(c.iter_from(start).len(), v.len().saturating_sub(start));
            prop_assert!(c.iter_from(start).eq(v.iter().skip(start)));
            prop_assert_eq!(c.partition_point(|x| *x < cut), v.partition_point(|x| *x < cut));
            let bytes = borsh::to_vec(&c).expect("encodes");
            prop_assert_eq!(&bytes, &borsh::to_vec(&v).expect("encodes"));
            let back: Chunked<u64> = borsh::from_slice(&bytes).expect("decodes");
            prop_assert!(back.iter().eq(v.iter()));
        }

        /// A sharded map answers as a hash map does.
        #[test]
        fn sharded_is_a_map(keys in proptest::collection::vec(0u32..5_000, 0..3_000)) {
            let mut plain = std::collections::HashMap::new();
            let mut sharded = Sharded::default();
            for (i, k) in keys.iter().enumerate() {
                prop_assert_eq!(sharded.insert(*k, i), plain.insert(*k, i));
                *sharded.get_or_insert_with(k + 10_000, || 0) += 1;
                *plain.entry(k + 10_000).or_insert(0) += 1;
            }
            prop_assert_eq!(sharded.len(), plain.len());
            for (k, v) in &plain {
                prop_assert_eq!(sharded.get(k), Some(v));
            }
        }
    }
}
