//! The record of every logged statement, by its (issuer, id) reference.
//!
//! Every entry adds one, and every entry looks one up (a repeated reference
//! is refused), so at ten million entries this is the state's largest map.
//! A hash map of references to records held each reference and record in
//! its slots: 88 bytes a slot at about 60% load, 1.5 GB, which a restart
//! from a snapshot had to allocate and the kernel to zero. Here the
//! references and records sit once, densely, in log order (a [`Chunked`]
//! sequence, which is also the order a snapshot and the digest write them
//! in, so neither sorts), and the hash tables hold only each one's
//! position: 4 bytes a slot.
//!
//! The tables are [`SHARDS`], chosen by bits of the reference's hash that
//! the tables themselves do not use, so that a table that grows rehashes a
//! 256th of the positions, never all of them at once (see `chunked`).
//! Positions are `u32`: a state holds fewer than [`MAX_STATEMENTS`]
//! (`u32::MAX`), which a snapshot's `u32` count can also write.

use corridor_statement::ObjectRef;
use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::chunked::{Chunked, SHARDS};
use crate::StatementRecord;

/// A state holds fewer statements than this: the fold refuses the one that
/// would reach it ([`crate::Rejection::LimitReached`]).
pub(crate) const MAX_STATEMENTS: usize = u32::MAX as usize;

/// Every logged statement's reference and record, in log order, found by
/// reference.
#[derive(Debug, Clone)]
pub(crate) struct Statements {
    /// In log order: each record's entry index is above the one before.
    items: Chunked<(ObjectRef, StatementRecord)>,
    /// Positions in `items`, each in the table its reference's hash picks.
    tables: Vec<HashTable<u32>>,
    hasher: foldhash::fast::RandomState,
}

impl Default for Statements {
    fn default() -> Self {
        Self {
            items: Chunked::default(),
            tables: (0..SHARDS).map(|_| HashTable::new()).collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

/// Why [`Statements::push`] refused a statement, changing nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PushError {
    #[error("the statements are not in log order")]
    OutOfOrder,
    #[error("a statement's reference is repeated")]
    Repeated,
    #[error("more statements than a state holds")]
    Full,
}

impl Statements {
    /// The table a hash picks: bits 40 to 47, which neither a table's
    /// bucket (its low bits, below 2^40 buckets) nor its control byte (the
    /// top seven) reads.
    fn table(hash: u64) -> usize {
        (hash >> 40) as usize % SHARDS
    }

    fn position(&self, r: &ObjectRef, hash: u64) -> Option<u32> {
        let found = self.tables[Self::table(hash)].find(hash, |&at| self.at(at).0 == *r);
        found.copied()
    }

    fn at(&self, at: u32) -> &(ObjectRef, StatementRecord) {
        // Every position in a table was pushed to `items`, which never shrinks.
        self.items.get(at as usize).expect("a table holds only positions of items")
    }

    pub(crate) fn get(&self, r: &ObjectRef) -> Option<&StatementRecord> {
        self.position(r, self.hasher.hash_one(r)).map(|at| &self.at(at).1)
    }

    /// The reference logged at entry `index`: every entry folded adds one
    /// statement, so its position is its entry index (which
    /// [`crate::State::from_parts`] checks of a snapshot, and the fold keeps).
    pub(crate) fn logged_at(&self, index: u64) -> Option<&ObjectRef> {
        let (r, rec) = self.items.get(usize::try_from(index).ok()?)?;
        (rec.index == index).then_some(r)
    }

    pub(crate) fn contains_key(&self, r: &ObjectRef) -> bool {
        self.get(r).is_some()
    }

    /// Adds a statement after the last: refused, with nothing changed, if
    /// its entry index is not above the last one's or its reference is
    /// already held.
    pub(crate) fn push(&mut self, r: ObjectRef, rec: StatementRecord) -> Result<(), PushError> {
        if self.items.last().is_some_and(|(_, last)| last.index >= rec.index) {
            return Err(PushError::OutOfOrder);
        }
        let at = position_for(self.items.len())?;
        let hash = self.hasher.hash_one(&r);
        if self.position(&r, hash).is_some() {
            return Err(PushError::Repeated);
        }
        let Self { items, tables, hasher } = self;
        tables[Self::table(hash)].insert_unique(hash, at, rehasher(items, hasher));
        items.push((r, rec));
        Ok(())
    }

    /// Room for `n` more statements in all, spread over the tables.
    pub(crate) fn reserve(&mut self, n: usize) {
        let each = n.div_ceil(SHARDS);
        let Self { items, tables, hasher } = self;
        tables.iter_mut().for_each(|t| t.reserve(each, rehasher(items, hasher)));
    }

    /// Statements to be pushed all at once, in log order (a snapshot's),
    /// with room for `n` of them.
    pub(crate) fn bulk(n: usize) -> Bulk {
        let pending = (0..SHARDS).map(|_| Vec::with_capacity(n.div_ceil(SHARDS))).collect();
        Bulk { pending, items: Chunked::default(), hasher: foldhash::fast::RandomState::default() }
    }

    /// Every statement, in log order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &(ObjectRef, StatementRecord)> {
        self.items.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The last statement in log order.
    pub(crate) fn last(&self) -> Option<&(ObjectRef, StatementRecord)> {
        self.items.last()
    }
}

/// The hash of the reference at a position, which a table that grows
/// needs to move it (the tables hold positions, not hashes).
fn rehasher<'a>(
    items: &'a Chunked<(ObjectRef, StatementRecord)>,
    hasher: &'a foldhash::fast::RandomState,
) -> impl Fn(&u32) -> u64 + 'a {
    |&p| hasher.hash_one(&items.get(p as usize).expect("a held position").0)
}

/// The position of the item after `len` items, if the limit allows one.
fn position_for(len: usize) -> Result<u32, PushError> {
    u32::try_from(len).ok().filter(|_| len < MAX_STATEMENTS).ok_or(PushError::Full)
}

/// [`Statements`] pushed all at once: the tables are filled one after
/// another once every statement is in, so that each table's inserts stay
/// within its few hundred kilobytes. Pushed one by one, every insert
/// missed the cache (a table picked at random of 256): a tenth of a
/// restart's work at ten million statements.
pub(crate) struct Bulk {
    items: Chunked<(ObjectRef, StatementRecord)>,
    /// Each statement's hash and position, by the table its hash picks.
    pending: Vec<Vec<(u64, u32)>>,
    hasher: foldhash::fast::RandomState,
}

impl Bulk {
    /// Adds a statement after the last; refused if its entry index is not
    /// above the last one's. A repeated reference is found by
    /// [`Bulk::finish`].
    pub(crate) fn push(&mut self, r: ObjectRef, rec: StatementRecord) -> Result<(), PushError> {
        if self.items.last().is_some_and(|(_, last)| last.index >= rec.index) {
            return Err(PushError::OutOfOrder);
        }
        let at = position_for(self.items.len())?;
        let hash = self.hasher.hash_one(&r);
        self.pending[Statements::table(hash)].push((hash, at));
        self.items.push((r, rec));
        Ok(())
    }

    /// The statements pushed; refused if a reference was pushed twice.
    pub(crate) fn finish(self) -> Result<Statements, PushError> {
        let Self { items, pending, hasher } = self;
        let key = |at: u32| &items.get(at as usize).expect("a pushed position").0;
        let mut tables = Vec::with_capacity(SHARDS);
        for positions in pending {
            // Room for all: nothing is rehashed.
            let mut table = HashTable::with_capacity(positions.len());
            for (hash, at) in positions {
                match table.entry(hash, |&p| key(p) == key(at), rehasher(&items, &hasher)) {
                    hashbrown::hash_table::Entry::Occupied(_) => return Err(PushError::Repeated),
                    hashbrown::hash_table::Entry::Vacant(v) => drop(v.insert(at)),
                }
            }
            tables.push(table);
        }
        Ok(Statements { items, tables, hasher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(issuer: u8, id: u32) -> ObjectRef {
        ObjectRef { issuer: format!("party-{issuer}").into(), id: format!("s-{id}").into() }
    }

    proptest! {
        /// Statements answer as a map of references does, hold them in the
        /// order pushed, and refuse (changing nothing) a repeated reference
        /// or an index out of order.
        #[test]
        fn statements_are_a_map_in_log_order(
            pushes in proptest::collection::vec((0u8..4, 0u32..3_000, 0u64..3), 0..4_000),
            reserve in 0usize..5_000,
        ) {
            let mut plain = std::collections::HashMap::new();
            let (mut held, mut order) = (Statements::default(), Vec::new());
            held.reserve(reserve);
            let mut index = 0;
            for (n, (issuer, id, step)) in pushes.into_iter().enumerate() {
                let r = reference(issuer, id);
                // A step of 0 repeats the last index.
                index += step;
                let rec = StatementRecord { index, envelope_digest: [n as u8; 32] };
                let expected = if order.last().is_some_and(|(_, l): &(ObjectRef, StatementRecord)| l.index >= index) {
                    Err(PushError::OutOfOrder)
                } else if plain.contains_key(&r) {
                    Err(PushError::Repeated)
                } else {
                    Ok(())
                };
                prop_assert_eq!(held.push(r.clone(), rec), expected);
                if expected.is_ok() {
                    plain.insert(r.clone(), rec);
                    order.push((r, rec));
                }
            }
            prop_assert_eq!(held.len(), order.len());
            prop_assert!(held.iter().eq(order.iter()));
            for issuer in 0..4 {
                for id in 0..3_000 {
                    let r = reference(issuer, id);
                    prop_assert_eq!(held.get(&r), plain.get(&r));
                }
            }
        }

        /// Pushed all at once, statements are those pushed one by one; a
        /// repeated reference refuses them all.
        #[test]
        fn bulk_is_pushes(ids in proptest::collection::vec((0u8..4, 0u32..100_000), 0..2_000), universe in 1u32..3_000) {
            let (mut one, mut bulk, mut repeated) = (Statements::default(), Statements::bulk(ids.len()), false);
            for (n, (issuer, id)) in ids.into_iter().enumerate() {
                let (r, rec) = (reference(issuer, id % universe), StatementRecord { index: n as u64, envelope_digest: [n as u8; 32] });
                repeated |= one.push(r.clone(), rec) == Err(PushError::Repeated);
                prop_assert_eq!(bulk.push(r, rec), Ok(()));
            }
            match bulk.finish() {
                Ok(all) => {
                    prop_assert!(!repeated);
                    prop_assert!(all.iter().eq(one.iter()));
                    for (r, rec) in one.iter() {
                        prop_assert_eq!(all.get(r), Some(rec));
                    }
                    prop_assert_eq!(all.get(&reference(9, 0)), None);
                }
                Err(e) => prop_assert_eq!((e, repeated), (PushError::Repeated, true)),
            }
        }
    }
}
