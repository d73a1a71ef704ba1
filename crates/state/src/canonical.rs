//! The state digest's canonical encoding.
//!
//! Replicas compare [`crate::State::digest`] to show that they folded the
//! same log to the same state, so the digest must depend on the state's
//! content only: never on a field's name, a map's iteration order, or how the
//! API presents it. It is SHA-256 over the domain tag
//! `corridor/state-digest/v6` (as a string, below) followed by the SHA-256
//! of each [`Part`] of the state's byte encoding, in [`Part::ALL`]'s order.
//! (v2: incident sources and claims carry the optional SHA-256 of the text
//! they were drafted from; v3: the statements are in log order, not by
//! reference, so that a digest of ten million statements sorts integers, not
//! references; v4: by parts, so that a snapshot's parts are decoded and
//! checked on several cores at once; v5: the statements' and messages'
//! counts after their items, so that those parts are digested as entries
//! are folded; v6: a message leaves out its reference, and an
//! acknowledgement its party, which the statements part already binds to
//! their entry index.) The encoding:
//!
//! - unsigned integers: 8 bytes, big-endian; signed: two's complement, 8 bytes, big-endian;
//! - `f64`: its IEEE 754 bits as an unsigned integer (so `-0.0` and `0.0` differ);
//! - booleans and tags: one byte;
//! - strings and byte strings: their length as an unsigned integer, then the bytes (UTF-8);
//! - `Option`: tag 0, or tag 1 and the value;
//! - sequences and maps: the count as an unsigned integer, then each item (a map's
//!   entries as key then value, in key order);
//! - enumerations: their wire name as a string (`"armed_force"`), which is an
//!   external contract and cannot change; enumerations with data: a tag byte
//!   (documented where it is written), then the fields;
//! - records: their fields in the order this module writes them, without names;
//! - geometry: its GeoJSON type name, then its positions as three nested
//!   sequences whatever the type (parts, then rings, then positions; a point
//!   is one part of one ring of one position), each position `lon` then `lat`
//!   as `f64`; how the geometry was written (an altitude, a repeated
//!   position) is presentation and is left out;
//! - windows: `from` then `to`, each an `Option` of microseconds.
//!
//! The parts: the head (size, last sequencing time, operator, parties); the
//! statements (each reference with its record, in log order: by entry
//! index, then their count); the messages (in log order, then their count);
//! the acknowledgements (by target); the objects
//! (zones, sites, movements, operations, agreements, conflicts and the next
//! conflict number, movements by request index, custody by consignment,
//! distributions, incidents, claims). The known-answer tests in
//! `tests.rs` pin the primitives and the digest of a log holding every kind
//! of statement: any change to the encoding must change the tag.

use std::collections::BTreeMap;

use corridor_geo::{Geometry, Window};
use corridor_statement::access::{ManifestLine, MovementPlan};
use corridor_statement::accountability::{Casualties, Figure, ItemQuantity, Range, Source};
use corridor_statement::{ObjectRef, Target};
use sha2::{Digest, Sha256};

use crate::access::{
    Agreement, Approver, Conflict, ConflictTarget, Ended, Movement, Operation, Reason, Site, Zone,
};
use crate::accountability::{Claim, Custody, Distribution, Incident};
use crate::{Access, Accountability, Ack, Message, Party, Stamp, State, StatementRecord};

/// The domain tag that opens every digest.
pub const DOMAIN_TAG: &str = "corridor/state-digest/v6";

/// Writes the canonical encoding into a sink (a hasher, or bytes for tests).
#[derive(Debug)]
pub struct Encoder<W> {
    out: W,
}

/// Where encoded bytes go.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<W: Sink> Encoder<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    pub fn finish(self) -> W {
        self.out
    }

    pub fn u64(&mut self, v: u64) {
        self.out.put(&v.to_be_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.out.put(&v.to_be_bytes());
    }

    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    pub fn tag(&mut self, t: u8) {
        self.out.put(&[t]);
    }

    pub fn bool(&mut self, b: bool) {
        self.tag(u8::from(b));
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.out.put(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn opt<T: ?Sized>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.tag(0),
            Some(v) => {
                self.tag(1);
                f(self, v);
            }
        }
    }

    pub fn seq<'a, T: 'a>(
        &mut self,
        items: impl ExactSizeIterator<Item = &'a T>,
        mut f: impl FnMut(&mut Self, &T),
    ) {
        self.u64(items.len() as u64);
        for item in items {
            f(self, item);
        }
    }

    pub fn strs<S: AsRef<str>>(&mut self, items: &[S]) {
        self.seq(items.iter(), |e, s| e.str(s.as_ref()));
    }

    pub fn map<K, V>(&mut self, m: &BTreeMap<K, V>, mut f: impl FnMut(&mut Self, &K, &V)) {
        self.u64(m.len() as u64);
        for (k, v) in m {
            f(self, k, v);
        }
    }
}

/// A value with a canonical encoding.
pub trait Encode {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>);
}

impl Encode for ObjectRef {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.issuer);
        e.str(&self.id);
    }
}

impl Encode for Stamp {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.u64(self.index);
        e.i64(self.at_us);
    }
}

impl Encode for Window {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.opt(self.from_us().as_ref(), |e, v| e.i64(*v));
        e.opt(self.to_us().as_ref(), |e, v| e.i64(*v));
    }
}

impl Encode for Geometry {
    /// Coordinates come as parts > rings > positions whatever the type; the
    /// type name says which nesting GeoJSON gives them.
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(self.kind().as_str());
        let parts = self.coordinates();
        e.seq(parts.iter(), |e, part| {
            e.seq(part.iter(), |e, ring| {
                e.seq(ring.iter(), |e, p| {
                    e.f64(p.lon);
                    e.f64(p.lat);
                })
            })
        });
    }
}

impl Encode for Target {
    /// Tag 0: an object; tag 1: an entry index.
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        match self {
            Target::Object(r) => {
                e.tag(0);
                r.encode(e);
            }
            Target::Entry(i) => {
                e.tag(1);
                e.u64(*i);
            }
        }
    }
}

impl Encode for Ended {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.at.encode(e);
        e.opt(self.reason.as_deref(), |e, s| e.str(s));
    }
}

fn ended<W: Sink>(e: &mut Encoder<W>, v: &Option<Ended>) {
    e.opt(v.as_ref(), |e, v| v.encode(e));
}

impl Encode for Party {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.id);
        e.str(&self.name);
        e.str(self.kind.as_str());
        e.u64(self.registered_at_index);
        e.i64(self.registered_at_us);
        e.seq(self.keys.iter(), |e, k| {
            e.str(&k.vkey.to_vkey());
            e.u64(k.added_at_index);
            e.i64(k.added_at_us);
            e.opt(k.revoked_at_index.as_ref(), |e, v| e.u64(*v));
            e.opt(k.revoked_at_us.as_ref(), |e, v| e.i64(*v));
        });
    }
}

impl Encode for StatementRecord {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.u64(self.index);
        e.bytes(&self.envelope_digest);
    }
}

impl Encode for Message {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.u64(self.index);
        e.i64(self.sequenced_at_us);
        e.u64(self.to.len() as u64);
        self.to.iter().for_each(|id| e.str(id));
        e.str(&self.subject);
        e.str(&self.text);
        e.seq(self.refs.iter(), |e, r| r.encode(e));
    }
}

impl Encode for Ack {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.u64(self.index);
        e.i64(self.sequenced_at_us);
    }
}

impl Encode for Zone {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.party);
        e.str(&self.name);
        self.geometry.encode(e);
        self.window.encode(e);
        self.declared.encode(e);
        ended(e, &self.withdrawn);
    }
}

impl Encode for Site {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.issuer);
        e.str(&self.operator);
        e.str(&self.name);
        e.str(self.category.as_str());
        self.geometry.encode(e);
        e.f64(self.buffer_m);
        self.window.encode(e);
        e.opt(self.people.as_ref(), |e, v| e.u64(*v));
        self.notified.encode(e);
        ended(e, &self.withdrawn);
    }
}

impl Encode for ManifestLine {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.item);
        e.str(&self.unit);
        e.f64(self.quantity);
        e.opt(self.weight_kg.as_ref(), |e, v| e.f64(*v));
    }
}

impl Encode for MovementPlan {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(self.purpose.as_str());
        self.route.encode(e);
        e.f64(self.corridor_m);
        self.window.encode(e);
        e.str(&self.origin);
        e.str(&self.destination);
        e.opt(self.origin_site.as_ref(), |e, r| r.encode(e));
        e.opt(self.destination_site.as_ref(), |e, r| r.encode(e));
        e.u64(self.vehicles);
        e.u64(self.people);
        e.strs(&self.escort_from);
        e.seq(self.manifest.iter(), |e, l| l.encode(e));
        e.opt(self.consignment.as_deref(), |e, s| e.str(s));
    }
}

impl Encode for Reason {
    /// Tag 0: a zone; tag 1: an escort.
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        match self {
            Reason::Zone { zone } => {
                e.tag(0);
                zone.encode(e);
            }
            Reason::Escort => e.tag(1),
        }
    }
}

impl Encode for Approver {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.seq(self.reasons.iter(), |e, r| r.encode(e));
        self.asked.encode(e);
        e.opt(self.acknowledged.as_ref(), |e, s| s.encode(e));
        e.opt(self.response.as_ref(), |e, r| {
            e.str(r.decision.as_str());
            e.strs(&r.conditions);
            e.opt(r.reason.as_deref(), |e, s| e.str(s));
            r.at.encode(e);
        });
    }
}

impl Encode for Movement {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.requester);
        self.plan.encode(e);
        self.requested.encode(e);
        self.asked.encode(e);
        e.u64(u64::from(self.amendments));
        e.map(&self.approvers, |e, p, a| {
            e.str(p);
            a.encode(e);
        });
        e.opt(self.progress.as_ref(), |e, (status, at)| {
            e.str(status.as_str());
            at.encode(e);
        });
        e.opt(self.last_position.as_deref(), |e, g| g.encode(e));
        ended(e, &self.cancelled);
    }
}

impl Encode for Operation {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.party);
        e.str(&self.name);
        self.geometry.encode(e);
        self.window.encode(e);
        e.f64(self.standoff_m);
        e.strs(&self.notified_parties);
        self.notified.encode(e);
        ended(e, &self.withdrawn);
    }
}

impl Encode for Agreement {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.issuer);
        e.str(&self.name);
        e.str(self.kind.as_str());
        e.strs(&self.parties);
        e.map(&self.acceded, |e, p, at| {
            e.str(p);
            at.encode(e);
        });
        e.opt(self.geometry.as_deref(), |e, g| g.encode(e));
        self.window.encode(e);
        e.strs(&self.terms);
        e.seq(self.corridors.iter(), |e, c| {
            e.str(&c.name);
            c.route.encode(e);
            e.f64(c.corridor_m);
            c.window.encode(e);
        });
        self.declared.encode(e);
    }
}

impl Encode for ConflictTarget {
    /// Tag 0: a site; 1: a movement; 2: an agreed corridor.
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        match self {
            ConflictTarget::Site { site } => {
                e.tag(0);
                site.encode(e);
            }
            ConflictTarget::Movement { movement } => {
                e.tag(1);
                movement.encode(e);
            }
            ConflictTarget::Corridor { agreement, corridor } => {
                e.tag(2);
                agreement.encode(e);
                e.str(corridor);
            }
        }
    }
}

impl Encode for Conflict {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.u64(self.seq);
        self.operation.encode(e);
        self.with.encode(e);
        e.f64(self.distance_m);
        e.f64(self.threshold_m);
        self.overlap.encode(e);
        self.found.encode(e);
        e.strs(&self.parties);
    }
}

impl Encode for ItemQuantity {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.item);
        e.str(&self.unit);
        e.f64(self.quantity);
    }
}

fn items<W: Sink>(e: &mut Encoder<W>, items: &[ItemQuantity]) {
    e.seq(items.iter(), |e, i| i.encode(e));
}

impl Encode for Custody {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        let t = &self.transfer;
        e.str(&t.consignment);
        e.str(&t.from);
        e.str(&t.to);
        items(e, &t.items);
        e.opt(t.place.as_ref(), |e, p| {
            e.str(&p.name);
            e.opt(p.geometry.as_deref(), |e, g| g.encode(e));
        });
        items(e, &t.lost);
        self.at.encode(e);
    }
}

impl Encode for Distribution {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        let d = &self.report;
        d.site.encode(e);
        e.opt(d.consignment.as_deref(), |e, s| e.str(s));
        e.str(&d.round);
        d.period.encode(e);
        items(e, &d.items);
        e.u64(d.households);
        e.u64(d.people);
        items(e, &d.planned_per_person);
        self.at.encode(e);
    }
}

impl Encode for Range {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.opt(self.min.as_ref(), |e, v| e.u64(*v));
        e.opt(self.max.as_ref(), |e, v| e.u64(*v));
    }
}

impl Encode for Casualties {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.killed.encode(e);
        self.injured.encode(e);
        e.opt(self.children_killed.as_ref(), |e, r| r.encode(e));
        e.opt(self.children_injured.as_ref(), |e, r| r.encode(e));
    }
}

impl Encode for Source {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.outlet);
        for field in [&self.url, &self.published, &self.quote, &self.sha256] {
            e.opt(field.as_deref(), |e, s| e.str(s));
        }
    }
}

impl Encode for Incident {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.reporter);
        let r = &self.report;
        e.str(r.kind.as_str());
        r.window.encode(e);
        r.geometry.encode(e);
        e.f64(r.precision_m);
        e.opt(r.alleged_perpetrator.as_deref(), |e, s| e.str(s));
        e.opt(r.perpetrator_text.as_deref(), |e, s| e.str(s));
        r.casualties.encode(e);
        e.seq(r.affected_sites.iter(), |e, s| s.encode(e));
        e.seq(r.affected_movements.iter(), |e, m| m.encode(e));
        e.seq(r.sources.iter(), |e, s| s.encode(e));
        self.reported.encode(e);
        e.seq(self.assessments.iter(), |e, a| {
            e.str(&a.by);
            e.str(a.occurrence.as_str());
            e.str(a.attribution.as_str());
            e.strs(&a.attributed_to);
            e.str(&a.rationale);
            a.at.encode(e);
        });
    }
}

impl Encode for Figure {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        e.str(&self.what);
        e.opt(self.min.as_ref(), |e, v| e.f64(*v));
        e.opt(self.max.as_ref(), |e, v| e.f64(*v));
        e.opt(self.unit.as_deref(), |e, s| e.str(s));
    }
}

impl Encode for Claim {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) {
        self.reference.encode(e);
        e.str(&self.recorder);
        let c = &self.record;
        e.str(&c.speaker);
        e.opt(c.affiliation.as_deref(), |e, s| e.str(s));
        e.str(&c.outlet);
        e.opt(c.url.as_deref(), |e, s| e.str(s));
        e.i64(c.published_us);
        e.str(&c.text);
        e.str(c.stance.as_str());
        e.seq(c.figures.iter(), |e, f| f.encode(e));
        e.seq(c.subjects.iter(), |e, s| s.encode(e));
        e.opt(c.source_sha256.as_deref(), |e, s| e.str(s));
        self.recorded.encode(e);
        e.seq(self.links.iter(), |e, l| {
            e.str(&l.by);
            l.evidence.encode(e);
            e.str(l.relation.as_str());
            e.opt(l.note.as_deref(), |e, s| e.str(s));
            l.at.encode(e);
        });
    }
}

/// The parts of the state, each digested alone: the digest is SHA-256 over
/// the tag and the parts' digests, so that the parts of a snapshot are
/// decoded and checked in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Size, last sequencing time, operator, parties.
    Head,
    /// Each reference with its record, in log order.
    Statements,
    Messages,
    /// By target.
    Acks,
    /// Zones to movements by request index, then custody to claims.
    Objects,
}

impl Part {
    /// Every part, in the digest's order.
    pub const ALL: [Part; 5] = [Part::Head, Part::Statements, Part::Messages, Part::Acks, Part::Objects];
}

/// The encoding of [`Part::Head`].
pub(crate) fn encode_head_fields<W: Sink>(
    size: u64,
    last_sequenced_at_us: i64,
    operator: Option<&str>,
    parties: &BTreeMap<String, Party>,
    e: &mut Encoder<W>,
) {
    e.u64(size);
    e.i64(last_sequenced_at_us);
    e.opt(operator, |e, s| e.str(s));
    e.map(parties, |e, _, p| p.encode(e));
}

/// One item of [`Part::Statements`], which is their count, then each in log order.
pub(crate) fn encode_statement<W: Sink>(r: &ObjectRef, rec: &StatementRecord, e: &mut Encoder<W>) {
    r.encode(e);
    rec.encode(e);
}

/// One item of [`Part::Acks`], which is their count, then each by target.
pub(crate) fn encode_ack_list<W: Sink>(t: &Target, list: &[Ack], e: &mut Encoder<W>) {
    t.encode(e);
    e.seq(list.iter(), |e, a| a.encode(e));
}

/// The encoding of [`Part::Objects`].
pub(crate) fn encode_objects<W: Sink>(a: &Access, acc: &Accountability, e: &mut Encoder<W>) {
    e.map(&a.zones, |e, _, z| z.encode(e));
    e.map(&a.sites, |e, _, s| s.encode(e));
    e.map(&a.movements, |e, _, m| m.encode(e));
    e.map(&a.operations, |e, _, o| o.encode(e));
    e.map(&a.agreements, |e, _, ag| ag.encode(e));
    e.seq(a.conflicts.iter(), |e, c| c.encode(e));
    e.u64(a.next_conflict_seq);
    e.map(&a.movement_by_index, |e, i, r| {
        e.u64(*i);
        r.encode(e);
    });
    e.map(&acc.custody, |e, id, chain| {
        e.str(id);
        e.seq(chain.iter(), |e, c| c.encode(e));
    });
    e.map(&acc.distributions, |e, _, d| d.encode(e));
    e.map(&acc.incidents, |e, _, i| i.encode(e));
    e.map(&acc.claims, |e, _, c| c.encode(e));
}

/// Writes one part of the state.
pub fn encode_part<W: Sink>(state: &State, part: Part, e: &mut Encoder<W>) {
    match part {
        Part::Head => encode_head_fields(
            state.size,
            state.last_sequenced_at_us,
            state.operator.as_deref(),
            &state.parties,
            e,
        ),
        Part::Statements => {
            // Held in log order.
            state.statements.iter().for_each(|(r, rec)| encode_statement(r, rec, e));
            e.u64(state.statements.len() as u64);
        }
        Part::Messages => {
            state.messages.iter().for_each(|m| m.encode(e));
            e.u64(state.messages.iter().len() as u64);
        }
        // A sorted vector, not a B-tree (millions of targets).
        Part::Acks => {
            let items = sorted(state.acks.iter());
            e.u64(items.len() as u64);
            items.iter().for_each(|(t, list)| encode_ack_list(t, list, e));
        }
        Part::Objects => encode_objects(&state.access, &state.accountability, e),
    }
}

/// A map's entries in key order (keys are unique, so the order is total).
fn sorted<'a, K: Ord + 'a, V: 'a>(entries: impl Iterator<Item = (&'a K, &'a V)>) -> Vec<(&'a K, &'a V)> {
    let mut v: Vec<(&K, &V)> = entries.collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

/// SHA-256 of one part's encoding: kept as the state grows for the
/// statements and messages ([`Running`]), encoded afresh for the others.
pub fn part_digest(state: &State, part: Part) -> [u8; 32] {
    match part {
        Part::Statements => state.statements_digest.digest(),
        Part::Messages => state.messages_digest.digest(),
        _ => hashed(|e| encode_part(state, part, e)),
    }
}

/// The digest of a part whose items only ever arrive at its end, in the
/// part's order (the statements and the messages, in log order), kept as
/// they arrive: SHA-256 over each item's encoding, then their count. The
/// state's digest then never reads these parts again, which at ten million
/// entries was seconds under the published state's lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Running {
    hash: Sha256,
    count: u64,
    /// Empty between pushes; kept for its capacity.
    buf: Vec<u8>,
}

impl Running {
    /// Adds the item that `write` encodes.
    pub(crate) fn push(&mut self, write: impl FnOnce(&mut Encoder<Vec<u8>>)) {
        // One call to the hasher per item, not per field.
        let mut e = Encoder::new(std::mem::take(&mut self.buf));
        write(&mut e);
        let mut buf = e.finish();
        self.hash.update(&buf);
        buf.clear();
        self.buf = buf;
        self.count += 1;
    }

    /// The part's digest: the items so far, then their count.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut hash = self.hash.clone();
        hash.update(self.count.to_be_bytes());
        hash.finalize().into()
    }
}

/// SHA-256 of what `write` encodes.
pub(crate) fn hashed(write: impl FnOnce(&mut Encoder<Buffered>)) -> [u8; 32] {
    let mut e = hasher();
    write(&mut e);
    finish(e)
}

/// An encoder into SHA-256, for [`finish`].
pub(crate) fn hasher() -> Encoder<Buffered> {
    Encoder::new(Buffered { hash: Sha256::new(), buf: Vec::with_capacity(BUFFERED) })
}

/// SHA-256 of what was encoded into a [`hasher`].
pub(crate) fn finish(e: Encoder<Buffered>) -> [u8; 32] {
    let Buffered { mut hash, buf } = e.finish();
    hash.update(&buf);
    hash.finalize().into()
}

/// The state digest from its parts' digests, given in [`Part::ALL`]'s order.
pub fn digest_of_parts(parts: &[[u8; 32]; 5]) -> [u8; 32] {
    let mut e = Encoder::new(Sha256::new());
    e.str(DOMAIN_TAG);
    parts.iter().for_each(|d| e.out.put(d));
    e.finish().finalize().into()
}

/// SHA-256 of the state's canonical encoding, by parts (module docs).
pub fn digest(state: &State) -> [u8; 32] {
    digest_of_parts(&Part::ALL.map(|p| part_digest(state, p)))
}

/// Bytes gathered before the hasher is fed.
const BUFFERED: usize = 64 * 1024;

/// Feeds the hasher in large pieces: the encoding is written a few bytes at
/// a time, and a call to the hasher per piece cost more than the hashing.
pub(crate) struct Buffered {
    hash: Sha256,
    buf: Vec<u8>,
}

impl Sink for Buffered {
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > BUFFERED {
            self.hash.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() > BUFFERED {
            self.hash.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}
