//! The state's snapshot encoding: every record of the fold, so that
//! recovery can start from a snapshot and fold only the log's tail.
//!
//! The encoding is borsh (<https://borsh.io>): compact, with no field names,
//! and decoded without a schema, so it changes whenever a record's shape
//! does. [`SNAPSHOT_FORMAT`] names this shape; whoever stores snapshots
//! keeps it beside the bytes and refuses bytes of another format rather than
//! reading them. The spatial index is not encoded: it is rebuilt from the
//! records it indexes (each zone's, site's, operation's and incident's
//! geometry, window and reach, and each movement's current plan), sharing
//! their geometries as the fold does.
//!
//! Decoding checks only that the bytes make records; whether they make the
//! state the log folds to is for the caller to check, by
//! [`State::digest`].

use borsh::{BorshDeserialize, BorshSerialize};

use crate::access::Access;
use crate::accountability::Accountability;
use crate::spatial::{Index, Kind};
use crate::State;

/// The version of the record shapes below. Any change to a record that the
/// state holds (a field, a variant, their order) must change it.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// Why snapshot bytes were refused.
#[derive(Debug, thiserror::Error)]
#[error("the snapshot's state does not decode: {0}")]
pub struct DecodeError(String);

impl State {
    /// Writes the state's records into `out` ([`SNAPSHOT_FORMAT`]): its
    /// fields in declaration order, the index left out.
    pub fn encode_snapshot<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        self.serialize(out)
    }

    /// Reads a state written by [`State::encode_snapshot`] of the same
    /// [`SNAPSHOT_FORMAT`], and rebuilds its spatial index. Reads exactly the
    /// state's bytes: whatever follows is the caller's.
    pub fn decode_snapshot<R: std::io::Read>(input: &mut R) -> Result<State, DecodeError> {
        let mut state = State::deserialize_reader(input).map_err(|e| DecodeError(e.to_string()))?;
        state.index = rebuilt_index(&state.access, &state.accountability);
        Ok(state)
    }
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
