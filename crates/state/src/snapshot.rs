//! The state's snapshot encoding: every record of the fold, so that
//! recovery can start from a snapshot and fold only the log's tail.
//!
//! The encoding is borsh (<https://borsh.io>): compact, with no field names,
//! and decoded without a schema, so it changes whenever a record's shape
//! does. [`SNAPSHOT_FORMAT`] names this shape; whoever stores snapshots
//! keeps it beside the bytes and refuses bytes of another format rather than
//! reading them.
//!
//! The state is written in the digest's parts ([`Part`]), each on its own,
//! so that a reader who keeps each part's length may decode them on several
//! cores at once ([`State::decode_part`], then [`State::from_parts`]):
//!
//! - head: size, last sequencing time, operator, parties;
//! - statements: a `u32` count, then each reference and record, in log order;
//! - messages: a `u32` count, then each message in log order;
//! - acknowledgements: a `u32` count, then each target and its list, by target;
//! - objects: the access records, then the accountability records.
//!
//! Decoding a part also digests it ([`crate::canonical`]), from the records
//! as they are read: the statements and acknowledgements arrive in the
//! digest's order (which the decoder checks), so the digest sorts nothing;
//! the statements' and messages' running digests are rebuilt on the way.
//! The spatial index is not encoded: it is rebuilt with the objects part from
//! the records it indexes (each zone's, site's, operation's and incident's
//! geometry, window and reach, and each movement's current plan), sharing
//! their geometries as the fold does.
//!
//! Decoding checks only that the bytes make records; whether they make the
//! state the log folds to is for the caller to check, by the digest
//! [`State::from_parts`] returns.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use borsh::{BorshDeserialize, BorshSerialize};
use corridor_statement::{ObjectRef, Target};

use crate::access::Access;
use crate::accountability::Accountability;
pub use crate::canonical::Part;
use crate::canonical::{self, Encode, Running};
use crate::chunked::{Chunked, Sharded};
use crate::spatial::{Index, Kind};
use crate::statements::Statements;
use crate::{Ack, Message, Party, State, StatementRecord};

/// The version of the record shapes below, and of the digest recorded
/// beside them ([`crate::canonical::DOMAIN_TAG`]). Any change to a record
/// that the state holds (a field, a variant, their order) or to the digest
/// must change it, so that an older snapshot is refused as another version,
/// not as damaged. (2: the state in parts, the statements in log order;
/// 3: digest v5; 4: the file's checksum is BLAKE3, not SHA-256; 5: digest
/// v6, messages without their reference and acknowledgements without their
/// party.)
pub const SNAPSHOT_FORMAT: u32 = 5;

/// Why snapshot bytes were refused.
#[derive(Debug, thiserror::Error)]
#[error("the snapshot's state does not decode: {0}")]
pub struct DecodeError(String);

impl From<std::io::Error> for DecodeError {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

/// One part of a state, decoded, with its digest.
#[derive(Debug)]
pub struct DecodedPart {
    value: PartValue,
    digest: [u8; 32],
}

#[derive(Debug)]
enum PartValue {
    Head { size: u64, last_sequenced_at_us: i64, operator: Option<String>, parties: BTreeMap<String, Party> },
    Statements(Statements, Running),
    Messages(Chunked<Message>, Running),
    Acks(Acks),
    Objects(Box<(Access, Accountability, Index)>),
}

impl PartValue {
    fn part(&self) -> Part {
        match self {
            Self::Head { .. } => Part::Head,
            Self::Statements(..) => Part::Statements,
            Self::Messages(..) => Part::Messages,
            Self::Acks(_) => Part::Acks,
            Self::Objects(_) => Part::Objects,
        }
    }
}

fn write_count<W: Write>(n: usize, out: &mut W) -> std::io::Result<()> {
    u32::try_from(n).map_err(|_| std::io::ErrorKind::InvalidInput)?.serialize(out)
}

impl State {
    /// Writes every part, in [`Part::ALL`]'s order, one after another.
    pub fn encode_snapshot<W: Write>(&self, out: &mut W) -> std::io::Result<()> {
        Part::ALL.iter().try_for_each(|&part| self.encode_part(part, out))
    }

    /// Writes one part's records ([`SNAPSHOT_FORMAT`], module docs).
    pub fn encode_part<W: Write>(&self, part: Part, out: &mut W) -> std::io::Result<()> {
        match part {
            Part::Head => {
                self.size.serialize(out)?;
                self.last_sequenced_at_us.serialize(out)?;
                self.operator.serialize(out)?;
                self.parties.serialize(out)
            }
            Part::Statements => {
                write_count(self.statements.len(), out)?;
                self.statements.iter().try_for_each(|(r, rec)| {
                    r.serialize(out)?;
                    rec.serialize(out)
                })
            }
            Part::Messages => self.messages.serialize(out),
            Part::Acks => {
                let mut items: Vec<(&Target, &Vec<Ack>)> = self.acks.iter().collect();
                items.sort_unstable_by(|a, b| a.0.cmp(b.0));
                write_count(items.len(), out)?;
                items.iter().try_for_each(|(t, list)| {
                    t.serialize(out)?;
                    list.serialize(out)
                })
            }
            Part::Objects => {
                self.access.serialize(out)?;
                self.accountability.serialize(out)
            }
        }
    }

    /// Reads every part written by [`State::encode_snapshot`] of the same
    /// [`SNAPSHOT_FORMAT`]; returns the state and its digest. Reads exactly
    /// the state's bytes: whatever follows is the caller's.
    pub fn decode_snapshot<R: Read>(input: &mut R) -> Result<(State, [u8; 32]), DecodeError> {
        let parts = Part::ALL.iter().map(|&part| Self::decode_part(part, input, 0));
        Self::from_parts(parts.collect::<Result<Vec<_>, _>>()?)
    }

    /// Reads one part written by [`State::encode_part`], digesting it as it
    /// goes; the objects part also rebuilds the spatial index. `bytes`, the
    /// part's length if known (else 0), bounds the room reserved up front.
    pub fn decode_part<R: Read>(part: Part, input: &mut R, bytes: u64) -> Result<DecodedPart, DecodeError> {
        let (value, digest) = match part {
            Part::Head => {
                let size = u64::deserialize_reader(input)?;
                let last_sequenced_at_us = i64::deserialize_reader(input)?;
                let operator: Option<String> = Option::deserialize_reader(input)?;
                let parties = BTreeMap::deserialize_reader(input)?;
                let digest = canonical::hashed(|e| {
                    canonical::encode_head_fields(
                        size,
                        last_sequenced_at_us,
                        operator.as_deref(),
                        &parties,
                        e,
                    )
                });
                (PartValue::Head { size, last_sequenced_at_us, operator, parties }, digest)
            }
            Part::Statements => {
                let (map, running) = decode_statements(input, bytes)?;
                let digest = running.digest();
                (PartValue::Statements(map, running), digest)
            }
            Part::Messages => {
                let (messages, running) = decode_messages(input)?;
                let digest = running.digest();
                (PartValue::Messages(messages, running), digest)
            }
            Part::Acks => {
                let (map, digest) = decode_acks(input, bytes)?;
                (PartValue::Acks(map), digest)
            }
            Part::Objects => {
                let access = Access::deserialize_reader(input)?;
                let acc = Accountability::deserialize_reader(input)?;
                let digest = canonical::hashed(|e| canonical::encode_objects(&access, &acc, e));
                let index = rebuilt_index(&access, &acc);
                (PartValue::Objects(Box::new((access, acc, index))), digest)
            }
        };
        Ok(DecodedPart { value, digest })
    }

    /// The state of these parts, each given once, in any order; and its
    /// digest ([`canonical`], from the parts' digests).
    pub fn from_parts(parts: Vec<DecodedPart>) -> Result<(State, [u8; 32]), DecodeError> {
        let mut digests: [Option<[u8; 32]>; 5] = [None; 5];
        let mut state = State::default();
        for DecodedPart { value, digest } in parts {
            let at = Part::ALL.iter().position(|p| *p == value.part()).unwrap_or_default();
            if digests[at].replace(digest).is_some() {
                return Err(DecodeError(format!("the part {:?} is given twice", value.part())));
            }
            match value {
                PartValue::Head { size, last_sequenced_at_us, operator, parties } => {
                    (state.size, state.last_sequenced_at_us) = (size, last_sequenced_at_us);
                    (state.operator, state.parties) = (operator, parties);
                }
                PartValue::Statements(s, running) => {
                    (state.statements, state.statements_digest) = (s, running)
                }
                PartValue::Messages(m, running) => (state.messages, state.messages_digest) = (m, running),
                PartValue::Acks(a) => state.acks = a,
                PartValue::Objects(objects) => (state.access, state.accountability, state.index) = *objects,
            }
        }
        if digests.contains(&None) {
            return Err(DecodeError("a part is missing".into()));
        }
        // Every entry folded added one statement, the last at index
        // size - 1: the next commit relies on it, so bytes that say
        // otherwise are refused, whatever digest their file claims.
        let last = state.statements.last().map(|(_, rec)| rec.index);
        if state.statements.len() as u64 != state.size || last != state.size.checked_sub(1) {
            return Err(DecodeError("its statements are not one per entry of its size".into()));
        }
        Ok((state, canonical::digest_of_parts(&digests.map(Option::unwrap_or_default))))
    }
}

/// The fewest bytes a statement takes in the statements part: two string
/// lengths, an entry index and an envelope digest.
const MIN_STATEMENT_BYTES: u64 = 4 + 4 + 8 + 32;

/// The acknowledgements by target, as the state keeps them.
type Acks = Sharded<Target, Vec<Ack>>;

/// The statements part, digested in the order read, which must be log order.
fn decode_statements<R: Read>(input: &mut R, bytes: u64) -> Result<(Statements, Running), DecodeError> {
    let count = u32::deserialize_reader(input)?;
    // Room for no more statements than the bytes can hold, so that a count
    // in damaged bytes (read before the checksum is known) reserves nothing
    // the bytes do not back.
    let room = u64::from(count).min(bytes / MIN_STATEMENT_BYTES);
    let mut statements = Statements::bulk(usize::try_from(room).unwrap_or(0));
    let mut running = Running::default();
    for _ in 0..count {
        let (r, rec) = (ObjectRef::deserialize_reader(input)?, StatementRecord::deserialize_reader(input)?);
        running.push(|e| canonical::encode_statement(&r, &rec, e));
        statements.push(r, rec).map_err(|e| DecodeError(e.to_string()))?;
    }
    Ok((statements.finish().map_err(|e| DecodeError(e.to_string()))?, running))
}

/// The messages part (as [`Chunked`] encodes it), each message digested
/// as it is read, while its bytes are still in cache.
fn decode_messages<R: Read>(input: &mut R) -> Result<(Chunked<Message>, Running), DecodeError> {
    let count = u32::deserialize_reader(input)?;
    let (mut messages, mut running) = (Chunked::default(), Running::default());
    for _ in 0..count {
        let m = Message::deserialize_reader(input)?;
        running.push(|e| m.encode(e));
        messages.push(m);
    }
    Ok((messages, running))
}

/// The fewest bytes a target and its acknowledgements take in the
/// acknowledgements part: a tag and an entry index (or two string lengths),
/// then a list's length.
const MIN_ACK_TARGET_BYTES: u64 = 1 + 8 + 4;

/// The acknowledgements part, digested in the order read, which must be by target.
fn decode_acks<R: Read>(input: &mut R, bytes: u64) -> Result<(Acks, [u8; 32]), DecodeError> {
    let count = u32::deserialize_reader(input)?;
    let mut map = Sharded::default();
    // Room for no more than the bytes can hold (as for the statements).
    map.reserve(usize::try_from(u64::from(count).min(bytes / MIN_ACK_TARGET_BYTES)).unwrap_or(0));
    let mut e = canonical::hasher();
    e.u64(u64::from(count));
    let mut last: Option<Target> = None;
    for _ in 0..count {
        let (t, list) = (Target::deserialize_reader(input)?, Vec::<Ack>::deserialize_reader(input)?);
        if last.as_ref().is_some_and(|l| *l >= t) {
            return Err(DecodeError("the acknowledgements are not by target".into()));
        }
        canonical::encode_ack_list(&t, &list, &mut e);
        last = Some(t.clone());
        map.insert(t, list);
    }
    Ok((map, canonical::finish(e)))
}

/// The index the fold would hold for these records: every object it
/// inserted, with the values of its last insert (a movement's latest plan).
fn rebuilt_index(access: &Access, acc: &Accountability) -> Index {
    let zones = access.zones.values().map(|z| (Kind::Zone, &z.reference, &z.geometry, z.window, 0.0));
    let sites = access.sites.values().map(|s| (Kind::Site, &s.reference, &s.geometry, s.window, s.buffer_m));
    let movements = access.movements.values().map(|m| {
        let p = &m.plan;
        (Kind::Movement, &m.reference, &p.route, p.window, p.corridor_m)
    });
    let operations = access
        .operations
        .values()
        .map(|o| (Kind::Operation, &o.reference, &o.geometry, o.window, o.standoff_m));
    let incidents = acc.incidents.values().map(|i| {
        let r = &i.report;
        (Kind::Incident, &i.reference, &r.geometry, r.window, r.precision_m)
    });
    Index::from_objects(zones.chain(sites).chain(movements).chain(operations).chain(incidents))
}
