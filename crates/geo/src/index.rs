//! The spatio-temporal index: "every object within `d` of a geometry during a
//! window", for objects keyed and classified by the caller.
//!
//! Objects are broken into small pieces before they enter the R-tree: each
//! point, each run of [`CHUNK_EDGES`] edges of a line or ring, and one
//! "interior" box per polygon (for the containment test). A query geometry
//! is broken the same way, one edge at a time, and each query piece looks up
//! only its own box grown by the search distance. A long diagonal route so
//! touches the thin strip along itself, never the whole of its bounding box.
//!
//! Boxes err outward (see `bbox`): the query box is grown by the largest
//! sphere angle at which `within` could still hold, each object box by the
//! object's own reach. Every pair of pieces closer than that angle therefore
//! meets in the tree, so the closest pair of an object is always among the
//! pairs examined, and the answer equals that of [`crate::within`] on the
//! whole geometries. Within a query, an object is settled as soon as one
//! pair proves it within; only objects whose closest pair falls in the
//! narrow band around the threshold are measured on the ellipsoid.
//!
//! The pieces live in packed, read-only segments ([`packed`]), each built in
//! one pass, and a small dynamic R-tree for what was inserted since. When
//! the dynamic tree passes [`DYNAMIC_MAX_PIECES`], its pieces are packed into
//! a new segment, and the newest segments merge while they are of similar
//! size (a log-structured merge). No segment grows past
//! [`SEGMENT_MAX_PIECES`], so no insert or removal ever packs more than that
//! many pieces: the fold's longest pause on index upkeep is bounded,
//! whatever the size of the index, at the price of searching one tree per
//! segment. A removed object's packed pieces stay in place but lead to an
//! empty slot, which is not reused until its segment is rebuilt; a segment
//! whose pieces are half dead is rebuilt alone. Amortised, a piece is
//! packed a logarithmic number of times.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use rstar::{RStarInsertionStrategy, RTree, RTreeObject, RTreeParams, AABB};

mod packed;

use crate::bbox::LatLonBox;
use crate::distance::{chain_chain, contained_vertex, decide, search_angle, sure_angle, Closest};
use crate::geometry::{Geometry, Part, Vertex};
use crate::window::Window;
use packed::{Box32, PackedTree};

/// Edges per indexed piece of an object's line or ring: fewer boxes to store
/// against looser boxes to test.
pub const CHUNK_EDGES: usize = 4;

/// Pieces the dynamic tree holds before they are packed into a segment.
pub const DYNAMIC_MAX_PIECES: usize = 4_096;

/// The most pieces a packed segment holds: packing this many is the longest
/// upkeep an insert or a removal can cause (about 5 ms on the machines in
/// BENCHMARKS.md, `insert_pauses`).
pub const SEGMENT_MAX_PIECES: usize = 16_384;

/// Marks the piece that stands for a polygon's interior.
const INTERIOR: u32 = u32::MAX;

/// The caller's classification of its objects (the index gives kinds no
/// meaning of its own): a query selects the kinds it wants, and objects of
/// other kinds are never measured.
pub trait Kind: Copy + Eq + std::fmt::Debug {
    /// A number below 32, distinct for each kind.
    fn ordinal(self) -> u8;
}

fn kind_bit<C: Kind>(kind: C) -> u32 {
    debug_assert!(kind.ordinal() < 32, "kind ordinals are below 32");
    1 << (kind.ordinal() & 31)
}

/// A set of the caller's kinds.
pub struct KindSet<C> {
    bits: u32,
    kind: PhantomData<fn() -> C>,
}

impl<C> Clone for KindSet<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for KindSet<C> {}

impl<C> PartialEq for KindSet<C> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<C> Eq for KindSet<C> {}

impl<C> std::fmt::Debug for KindSet<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KindSet({:#b})", self.bits)
    }
}

impl<C: Kind> KindSet<C> {
    /// Every kind.
    pub const ALL: Self = KindSet { bits: u32::MAX, kind: PhantomData };

    pub fn only(kind: C) -> Self {
        KindSet { bits: kind_bit(kind), kind: PhantomData }
    }

    pub fn with(self, kind: C) -> Self {
        KindSet { bits: self.bits | kind_bit(kind), kind: PhantomData }
    }

    pub fn contains(self, kind: C) -> bool {
        self.bits & kind_bit(kind) != 0
    }
}

/// An object as the index keeps it. The geometry is shared with the caller,
/// which need not hold a second copy.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedObject<C> {
    pub kind: C,
    pub geometry: Arc<Geometry>,
    pub window: Window,
    /// Distance the object adds to every query distance (for example a
    /// buffer around it); negative or non-finite values count as zero.
    pub reach_m: f64,
}

impl<C> IndexedObject<C> {
    fn reach(&self) -> f64 {
        if self.reach_m.is_finite() && self.reach_m > 0.0 {
            self.reach_m
        } else {
            0.0
        }
    }
}

/// "Every object of these kinds within `distance_m` (plus the object's
/// reach) of `geometry` whose window overlaps `window`."
#[derive(Debug, Clone, Copy)]
pub struct Query<'a, C> {
    pub geometry: &'a Geometry,
    pub distance_m: f64,
    pub window: Window,
    pub kinds: KindSet<C>,
}

/// Wider nodes than rstar's default (6): a bulk-loaded tree of small boxes
/// is then shallower, and a query visits fewer nodes.
#[derive(Debug, Clone, Copy)]
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 20;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// One piece of an object in the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    min: [f64; 2],
    max: [f64; 2],
    slot: u32,
    piece: Piece,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.min, self.max)
    }
}

/// A piece in the packed tree carries its object's window, so that a query
/// drops pieces of objects outside its window without looking them up.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedPiece {
    slot: u32,
    piece: Piece,
    window: Window,
}

/// Names a piece of a geometry: part, chain (ring) and first edge, or
/// `start == INTERIOR` for a polygon's interior.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    part: u32,
    chain: u32,
    start: u32,
}

impl Piece {
    fn is_interior(self) -> bool {
        self.start == INTERIOR
    }

    /// The vertices of this piece: `chunk` edges from `start`.
    fn vertices(self, geometry: &Geometry, chunk: usize) -> &[Vertex] {
        let chain = chain_of(&geometry.parts()[self.part as usize], self.chain as usize);
        let start = self.start as usize;
        &chain[start..chain.len().min(start + chunk + 1)]
    }
}

fn chain_of(part: &Part, chain: usize) -> &[Vertex] {
    match part {
        Part::Point(v) => std::slice::from_ref(v),
        Part::Line(vs) => vs,
        Part::Polygon(p) => &p.rings[chain],
    }
}

/// Calls `f` with every piece of `geometry` and its box grown by `grow_rad`.
fn for_each_piece(geometry: &Geometry, chunk: usize, grow_rad: f64, mut f: impl FnMut(Piece, LatLonBox)) {
    for (pi, part) in geometry.parts().iter().enumerate() {
        let part_no = pi as u32;
        let mut chains = |ci: usize, vs: &[Vertex]| {
            if vs.len() == 1 {
                let piece = Piece { part: part_no, chain: ci as u32, start: 0 };
                f(piece, LatLonBox::point(vs[0].lon, vs[0].lat).expanded(grow_rad));
                return;
            }
            let edges = vs.len() - 1;
            for start in (0..edges).step_by(chunk) {
                let bbox = vs[start..edges.min(start + chunk) + 1]
                    .windows(2)
                    .map(|w| LatLonBox::edge(w[0].triple(), w[1].triple()))
                    .reduce(|a, b| a.union(&b))
                    .unwrap_or_else(|| LatLonBox::point(vs[start].lon, vs[start].lat));
                let piece = Piece { part: part_no, chain: ci as u32, start: start as u32 };
                f(piece, bbox.expanded(grow_rad));
            }
        };
        match part {
            Part::Point(v) => chains(0, std::slice::from_ref(v)),
            Part::Line(vs) => chains(0, vs),
            Part::Polygon(poly) => {
                for (ci, ring) in poly.rings.iter().enumerate() {
                    chains(ci, ring);
                }
                let piece = Piece { part: part_no, chain: 0, start: INTERIOR };
                f(piece, poly.bbox.expanded(grow_rad));
            }
        }
    }
}

fn packed_entry(e: &Entry, window: Window) -> (Box32, PackedPiece) {
    (Box32::enclosing(e.min, e.max), PackedPiece { slot: e.slot, piece: e.piece, window })
}

fn object_entries<C>(slot: u32, object: &IndexedObject<C>, out: &mut Vec<Entry>) {
    let grow = if object.reach() > 0.0 { search_angle(object.reach()) } else { 0.0 };
    for_each_piece(&object.geometry, CHUNK_EDGES, grow, |piece, b| {
        out.push(Entry { min: [b.min_lon, b.min_lat], max: [b.max_lon, b.max_lat], slot, piece });
    });
}

/// Hashes small integers with one multiplication: slot numbers are already
/// well spread, and this map sits in the hot loop of every query.
#[derive(Debug, Default)]
struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type SlotMap<V> = HashMap<u32, V, BuildHasherDefault<SlotHasher>>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Open,
    Within,
    Excluded,
}

/// What a query has learnt about one object so far.
#[derive(Debug)]
struct Candidate {
    verdict: Verdict,
    containment_tested: bool,
    distance_m: f64,
    best: Closest,
}

#[derive(Debug, Clone)]
struct Slot<K, C> {
    key: K,
    object: IndexedObject<C>,
    /// The packed segment holding the object's pieces (else the dynamic tree).
    segment: Option<u32>,
}

/// Slots kept in fixed chunks, so that growing never copies the slots
/// already there (doubling a `Vec` of a million slots would hold one insert
/// for tens of milliseconds).
#[derive(Debug, Clone)]
struct Slots<T> {
    chunks: Vec<Vec<Option<T>>>,
    len: usize,
}

/// Slots per chunk of [`Slots`].
const SLOT_CHUNK: usize = 4_096;

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Slots<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, slot: Option<T>) {
        if self.len.is_multiple_of(SLOT_CHUNK) {
            self.chunks.push(Vec::with_capacity(SLOT_CHUNK));
        }
        self.chunks.last_mut().expect("a chunk with room").push(slot);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &Option<T>> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Slots<T> {
    type Output = Option<T>;
    fn index(&self, i: usize) -> &Option<T> {
        &self.chunks[i / SLOT_CHUNK][i % SLOT_CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for Slots<T> {
    fn index_mut(&mut self, i: usize) -> &mut Option<T> {
        &mut self.chunks[i / SLOT_CHUNK][i % SLOT_CHUNK]
    }
}

/// A packed tree and what it still holds of removed objects.
#[derive(Debug, Clone)]
struct Segment {
    id: u32,
    tree: PackedTree<PackedPiece>,
    /// Pieces whose object was removed.
    dead: usize,
    /// Emptied slots that this segment's pieces still name; free once it is
    /// rebuilt.
    retired: Vec<u32>,
}

impl Segment {
    fn live(&self) -> usize {
        self.tree.len() - self.dead
    }
}

/// The index, keyed by the caller's keys `K`, its objects classified by the
/// caller's kinds `C`.
#[derive(Debug, Clone)]
pub struct SpatioTemporalIndex<K, C> {
    /// Oldest first; see the module docs for how they merge.
    segments: Vec<Segment>,
    next_segment: u32,
    /// Pieces inserted since the last segment was packed.
    dynamic: RTree<Entry, Params>,
    slots: Slots<Slot<K, C>>,
    /// Slots free for reuse.
    free: Vec<u32>,
    /// A B-tree, not a hash map: growing a hash map of a million keys
    /// rehashes them all within one insert.
    by_key: BTreeMap<K, u32>,
    dynamic_max: usize,
    segment_max: usize,
}

impl<K: Clone + Ord, C: Kind> Default for SpatioTemporalIndex<K, C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + Ord, C: Kind> SpatioTemporalIndex<K, C> {
    pub fn new() -> Self {
        Self {
            segments: Vec::new(),
            next_segment: 0,
            dynamic: RTree::new_with_params(),
            slots: Slots::default(),
            free: Vec::new(),
            by_key: BTreeMap::new(),
            dynamic_max: DYNAMIC_MAX_PIECES,
            segment_max: SEGMENT_MAX_PIECES,
        }
    }

    /// Builds the index in one pass (much faster than repeated inserts). A
    /// repeated key keeps its last object.
    pub fn from_objects(objects: impl IntoIterator<Item = (K, IndexedObject<C>)>) -> Self {
        Self::new().filled(objects)
    }

    /// An empty index filled in one pass.
    fn filled(self, objects: impl IntoIterator<Item = (K, IndexedObject<C>)>) -> Self {
        let mut index = self;
        debug_assert!(index.is_empty());
        let objects = objects.into_iter();
        let mut keys = Vec::with_capacity(objects.size_hint().0);
        for (key, object) in objects {
            keys.push((key.clone(), index.slots.len() as u32));
            index.slots.push(Some(Slot { key, object, segment: None }));
        }
        index.by_key = index.keyed(keys);
        // An object's pieces stay together: its slot names one segment.
        let mut groups = Vec::with_capacity(index.slots.len());
        let mut entries = Vec::new();
        for (slot, s) in index.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            entries.clear();
            object_entries(slot as u32, &s.object, &mut entries);
            groups.push(entries.iter().map(|e| packed_entry(e, s.object.window)).collect());
        }
        for tree in PackedTree::pack_groups(groups, index.segment_max) {
            index.add_segment(tree, Vec::new());
        }
        index
    }

    /// The key map of `keys` (each with its slot, in slot order), built in
    /// one pass from sorted keys: a million keys inserted one by one into a
    /// B-tree cost twenty comparisons each, sorting them a few (callers give
    /// runs already in key order, which the sort merges). Of a repeated key
    /// the last slot is kept, as an insert would keep the last object; the
    /// earlier slots are emptied and freed. (So a repeated key's object
    /// answers queries in its last slot's order, not its first's; the state's
    /// keys are unique, and it sorts answers by key.)
    fn keyed(&mut self, mut keys: Vec<(K, u32)>) -> BTreeMap<K, u32> {
        // Stable: equal keys stay in slot order.
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|later, kept| {
            let repeated = later.0 == kept.0;
            if repeated {
                self.slots[kept.1 as usize] = None;
                self.free.push(kept.1);
                kept.1 = later.1;
            }
            repeated
        });
        // Sorted and unique: the map is built bottom up, without searching.
        keys.into_iter().collect()
    }

    /// Adds a packed segment and points its objects' slots at it.
    fn add_segment(&mut self, tree: PackedTree<PackedPiece>, retired: Vec<u32>) {
        let id = self.next_segment;
        self.next_segment += 1;
        for (_, p) in tree.entries() {
            if let Some(s) = self.slots[p.slot as usize].as_mut() {
                s.segment = Some(id);
            }
        }
        self.free.extend(retired);
        self.segments.push(Segment { id, tree, dead: 0, retired: Vec::new() });
    }

    /// The live pieces of `segments`, and the slots their removal retired
    /// (free once the pieces are packed again).
    fn live_pieces(&self, segments: &[Segment]) -> (Vec<(Box32, PackedPiece)>, Vec<u32>) {
        let mut live = Vec::with_capacity(segments.iter().map(Segment::live).sum());
        let mut retired = Vec::new();
        for seg in segments {
            let alive = |p: &PackedPiece| {
                self.slots[p.slot as usize].as_ref().is_some_and(|s| s.segment == Some(seg.id))
            };
            live.extend(seg.tree.entries().filter(|(_, p)| alive(p)).map(|(b, p)| (b, *p)));
            retired.extend_from_slice(&seg.retired);
        }
        (live, retired)
    }

    /// Packs the dynamic tree into a new segment once it is full, then
    /// merges the newest segments while they are of similar size.
    fn flush_if_full(&mut self) {
        if self.dynamic.size() <= self.dynamic_max {
            return;
        }
        let dynamic = std::mem::replace(&mut self.dynamic, RTree::new_with_params());
        let pieces = dynamic
            .iter()
            .filter_map(|e| self.slots[e.slot as usize].as_ref().map(|s| packed_entry(e, s.object.window)))
            .collect();
        self.add_segment(PackedTree::pack(pieces), Vec::new());
        while let [.., older, newer] = self.segments.as_slice() {
            let fits = older.live() + newer.live() <= self.segment_max;
            if !(fits && older.live() <= 2 * newer.live()) {
                break;
            }
            let merged = self.segments.split_off(self.segments.len() - 2);
            self.repack(&merged);
        }
    }

    /// Packs the live pieces of `segments` (already taken out of the list)
    /// into one new segment, if any are left.
    fn repack(&mut self, segments: &[Segment]) {
        let (live, retired) = self.live_pieces(segments);
        if live.is_empty() {
            self.free.extend(retired);
            return;
        }
        self.add_segment(PackedTree::pack(live), retired);
    }

    /// Repacks the segment holding slot `slot`'s pieces, now removed, once
    /// half of its pieces are dead.
    fn retire(&mut self, segment: u32, slot: u32, pieces: usize) {
        let Some(at) = self.segments.iter().position(|s| s.id == segment) else { return };
        let seg = &mut self.segments[at];
        seg.dead += pieces;
        seg.retired.push(slot);
        if seg.dead * 2 > seg.tree.len() {
            let seg = self.segments.remove(at);
            self.repack(std::slice::from_ref(&seg));
        }
    }

    /// Packs the dynamic part once it holds `pieces` pieces and caps a
    /// segment at four times that, so that tests reach every state (packs,
    /// merges, retirements) with few objects.
    #[cfg(test)]
    fn with_small_parts(mut self, pieces: usize) -> Self {
        self.dynamic_max = pieces;
        self.segment_max = (4 * pieces).max(1);
        self
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Every object with its key, in key order.
    pub fn objects(&self) -> impl Iterator<Item = (&K, &IndexedObject<C>)> {
        self.by_key.iter().filter_map(|(k, &slot)| self.slots[slot as usize].as_ref().map(|s| (k, &s.object)))
    }

    pub fn get(&self, key: &K) -> Option<&IndexedObject<C>> {
        let slot = *self.by_key.get(key)?;
        self.slots[slot as usize].as_ref().map(|s| &s.object)
    }

    /// Adds an object, replacing (and returning) any under the same key.
    pub fn insert(&mut self, key: K, object: IndexedObject<C>) -> Option<IndexedObject<C>> {
        let previous = self.remove(&key);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let mut entries = Vec::new();
        object_entries(slot, &object, &mut entries);
        for e in entries {
            self.dynamic.insert(e);
        }
        self.by_key.insert(key.clone(), slot);
        self.slots[slot as usize] = Some(Slot { key, object, segment: None });
        self.flush_if_full();
        previous
    }

    pub fn remove(&mut self, key: &K) -> Option<IndexedObject<C>> {
        let slot = self.by_key.remove(key)?;
        let removed = self.slots[slot as usize].take()?;
        let mut entries = Vec::new();
        object_entries(slot, &removed.object, &mut entries);
        match removed.segment {
            Some(segment) => self.retire(segment, slot, entries.len()),
            None => {
                for e in &entries {
                    self.dynamic.remove(e);
                }
                self.free.push(slot);
            }
        }
        Some(removed.object)
    }

    /// Every object of the selected kinds whose window overlaps the query
    /// window and that lies within the query distance plus its own reach,
    /// in insertion-slot order.
    pub fn query(&self, q: &Query<'_, C>) -> Vec<&K> {
        if !(q.distance_m >= 0.0 && q.distance_m.is_finite()) {
            return Vec::new();
        }
        let mut seen: SlotMap<Candidate> = SlotMap::default();
        let grow = search_angle(q.distance_m);
        let mut pieces: Vec<(Piece, LatLonBox)> = Vec::new();
        for_each_piece(q.geometry, 1, grow, |piece, b| pieces.push((piece, b)));
        let boxes: Vec<Box32> = pieces
            .iter()
            .map(|(_, b)| Box32::enclosing([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]))
            .collect();
        for seg in &self.segments {
            seg.tree.search(&boxes, &mut |qi, p: &PackedPiece| {
                if p.window.overlaps(&q.window) {
                    let (qpiece, qbox) = &pieces[qi];
                    self.examine(q, (*qpiece, qbox), p.slot, p.piece, &mut seen);
                }
            });
        }
        if self.dynamic.size() > 0 {
            for (qpiece, b) in &pieces {
                let env = AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]);
                for entry in self.dynamic.locate_in_envelope_intersecting(&env) {
                    self.examine(q, (*qpiece, b), entry.slot, entry.piece, &mut seen);
                }
            }
        }
        let mut hits: Vec<u32> = seen
            .into_iter()
            .filter(|(_, c)| match c.verdict {
                Verdict::Within => true,
                Verdict::Excluded => false,
                Verdict::Open => decide(&c.best, c.distance_m),
            })
            .map(|(slot, _)| slot)
            .collect();
        hits.sort_unstable();
        hits.into_iter().filter_map(|slot| self.slots[slot as usize].as_ref().map(|s| &s.key)).collect()
    }

    /// The objects of `kinds` that have a piece whose box meets the lon/lat
    /// box `[min_lon, min_lat, max_lon, max_lat]` (degrees, `min_lon <=
    /// max_lon`), in insertion-slot order. The pieces' boxes cover every
    /// edge, every polygon's interior and each object's reach, so this is a
    /// superset of the objects that `Geometry::meets_box` the box: map views
    /// filter it exactly.
    pub fn box_candidates(&self, b: [f64; 4], kinds: KindSet<C>) -> Vec<&K> {
        let mut slots: Vec<u32> = Vec::new();
        let mut take = |slot: u32| {
            let wanted = self.slots[slot as usize].as_ref().is_some_and(|s| kinds.contains(s.object.kind));
            if wanted {
                slots.push(slot);
            }
        };
        let query = [Box32::enclosing([b[0], b[1]], [b[2], b[3]])];
        for seg in &self.segments {
            seg.tree.search(&query, &mut |_, p: &PackedPiece| take(p.slot));
        }
        let env = AABB::from_corners([b[0], b[1]], [b[2], b[3]]);
        for entry in self.dynamic.locate_in_envelope_intersecting(&env) {
            take(entry.slot);
        }
        slots.sort_unstable();
        slots.dedup();
        slots.into_iter().filter_map(|slot| self.slots[slot as usize].as_ref().map(|s| &s.key)).collect()
    }

    /// Every object, of any kind, within `distance_m` of `geometry` during
    /// `window`.
    pub fn within(&self, geometry: &Geometry, distance_m: f64, window: Window) -> Vec<&K> {
        self.query(&Query { geometry, distance_m, window, kinds: KindSet::ALL })
    }

    /// Learns what the pair (query piece, object piece) tells about the
    /// object; `qbox` is the query piece's grown box.
    fn examine(
        &self,
        q: &Query<'_, C>,
        (qpiece, qbox): (Piece, &LatLonBox),
        slot_no: u32,
        piece: Piece,
        seen: &mut SlotMap<Candidate>,
    ) {
        let Some(slot) = self.slots[slot_no as usize].as_ref() else {
            return;
        };
        let object = &slot.object;
        let c = seen.entry(slot_no).or_insert_with(|| {
            let eligible = q.kinds.contains(object.kind) && object.window.overlaps(&q.window);
            Candidate {
                verdict: if eligible { Verdict::Open } else { Verdict::Excluded },
                containment_tested: false,
                distance_m: q.distance_m + object.reach(),
                best: Closest::NONE,
            }
        });
        if c.verdict != Verdict::Open {
            return;
        }
        if qpiece.is_interior() || piece.is_interior() {
            if !c.containment_tested {
                c.containment_tested = true;
                if contained_vertex(q.geometry, &object.geometry).is_some() {
                    c.verdict = Verdict::Within;
                }
            }
            return;
        }
        let qv = qpiece.vertices(q.geometry, 1);
        let ov = piece.vertices(&object.geometry, CHUNK_EDGES);
        if ov.len() <= 2 || object.reach() > 0.0 {
            chain_chain(qv, ov, &mut c.best);
        } else {
            for edge in ov.windows(2).filter(|e| may_meet(qbox, &e[0], &e[1])) {
                chain_chain(qv, edge, &mut c.best);
            }
        }
        if c.best.angle_rad <= sure_angle(c.distance_m) {
            c.verdict = Verdict::Within;
        }
    }
}

/// Cheap, conservative test that edge `a`-`b` may touch `bbox`: the
/// endpoints' box, widened in latitude by a bound on the great circle's
/// poleward bulge (at most (dlon)^2/16 rad; (dlon)^2/4 is used). Near the
/// poles or across the antimeridian it says yes.
fn may_meet(bbox: &LatLonBox, a: &Vertex, b: &Vertex) -> bool {
    let dlon = (a.lon - b.lon).abs();
    if dlon > 90.0 || a.lat.abs().max(b.lat.abs()) > 80.0 {
        return true;
    }
    let dlon_rad = dlon.to_radians();
    let bulge_deg = (dlon_rad * dlon_rad / 4.0).to_degrees() + 1e-9;
    a.lon.min(b.lon) <= bbox.max_lon
        && bbox.min_lon <= a.lon.max(b.lon)
        && a.lat.min(b.lat) - bulge_deg <= bbox.max_lat
        && bbox.min_lat <= a.lat.max(b.lat) + bulge_deg
}

#[cfg(test)]
mod tests;
