//! A message's recipients, held as one short string.
//!
//! Millions of messages each name one or a few parties. As a list of
//! strings, every message allocated a block for the list (48 bytes for two
//! recipients), which a restart from a snapshot allocated and the kernel
//! zeroed millions of times. Party ids hold no space
//! ([`corridor_statement::statement::valid_party_id`]), so the ids are joined by one
//! and kept in a [`CompactString`]: inline up to 24 bytes, which two or
//! three short ids fit.
//!
//! The borsh encoding is that of a list of strings (a `u32` count, then
//! each string), so snapshots do not depend on the representation.

use compact_str::CompactString;

/// The recipients of a message, in the order given; never empty once made
/// from a statement, each a non-empty id without spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients(CompactString);

impl Recipients {
    /// The recipients `ids`, or `None` if one is empty or holds a space
    /// (no party id does).
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        ids.into_iter().try_fold(Self::default(), Self::with)
    }

    /// These recipients and `id` after them, or `None` if `id` is empty or
    /// holds a space.
    fn with(mut self, id: &str) -> Option<Self> {
        if id.is_empty() || id.contains(' ') {
            return None;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(id);
        Some(self)
    }

    /// Each recipient, in order; none when empty (where `split` would
    /// give one empty string).
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        (!self.0.is_empty()).then(|| self.0.split(' ')).into_iter().flatten()
    }

    pub fn len(&self) -> usize {
        match self.0.is_empty() {
            true => 0,
            false => 1 + self.0.bytes().filter(|&b| b == b' ').count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl borsh::BorshSerialize for Recipients {
    fn serialize<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let n = u32::try_from(self.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        n.serialize(out)?;
        self.iter().try_for_each(|id| id.serialize(out))
    }
}

impl borsh::BorshDeserialize for Recipients {
    fn deserialize_reader<R: std::io::Read>(input: &mut R) -> std::io::Result<Self> {
        let n = u32::deserialize_reader(input)?;
        let mut out = Self::default();
        for _ in 0..n {
            let id = CompactString::deserialize_reader(input)?;
            out = out.with(&id).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "a recipient is empty or holds a space")
            })?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Recipients give back the ids they were made of, and encode as
        /// the list of strings does, to which they decode back.
        #[test]
        fn recipients_are_a_list_of_ids(ids in proptest::collection::vec("[a-z0-9][a-z0-9.-]{0,30}", 0..70)) {
            let r = Recipients::new(ids.iter().map(String::as_str)).expect("party ids");
            prop_assert_eq!(r.len(), ids.len());
            prop_assert!(r.iter().eq(ids.iter().map(String::as_str)));
            let bytes = borsh::to_vec(&r).expect("encodes");
            prop_assert_eq!(&bytes, &borsh::to_vec(&ids).expect("encodes"));
            let back: Recipients = borsh::from_slice(&bytes).expect("decodes");
            prop_assert_eq!(back, r);
        }
    }

    /// An empty id or one with a space is refused, made or decoded.
    #[test]
    fn an_id_that_is_not_a_party_id_is_refused() {
        for bad in [vec!["a", ""], vec!["a b"], vec!["ok", " "]] {
            assert_eq!(Recipients::new(bad.iter().copied()), None, "{bad:?}");
            let bytes = borsh::to_vec(&bad).expect("encodes");
            assert!(borsh::from_slice::<Recipients>(&bytes).is_err(), "{bad:?}");
        }
    }
}
