//! The fold's one spatio-temporal index: every zone, site, movement,
//! operation and incident ever filed, keyed by reference (unique across
//! kinds), each with its reach (a site's buffer, a movement's corridor, an
//! operation's standoff, an incident's precision), which the index adds to
//! every query distance.
//!
//! Objects stay in the index after they are withdrawn, cancelled or ended:
//! whether one still applies is a question for its record, and the views of
//! what was notified before an incident need the ended ones too.

use std::sync::Arc;

use corridor_geo::{Geometry, IndexedObject, KindSet, Query, SpatioTemporalIndex, Window};
use corridor_statement::ObjectRef;

/// The kinds of object the fold indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Zone,
    Site,
    Movement,
    Operation,
    Incident,
}

impl corridor_geo::Kind for Kind {
    fn ordinal(self) -> u8 {
        self as u8
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Index(SpatioTemporalIndex<ObjectRef, Kind>);

impl Index {
    /// Adds the object `r`, or replaces its geometry, window and reach.
    pub fn insert(
        &mut self,
        kind: Kind,
        r: &ObjectRef,
        geometry: &Arc<Geometry>,
        window: Window,
        reach_m: f64,
    ) {
        let object = IndexedObject { kind, geometry: geometry.clone(), window, reach_m };
        self.0.insert(r.clone(), object);
    }

    /// An index of `objects` built in one pass; the same answers as
    /// inserting them one by one.
    pub fn from_objects<'a>(
        objects: impl Iterator<Item = (Kind, &'a ObjectRef, &'a Arc<Geometry>, Window, f64)>,
    ) -> Self {
        Self(SpatioTemporalIndex::from_objects(objects.map(|(kind, r, geometry, window, reach_m)| {
            (r.clone(), IndexedObject { kind, geometry: geometry.clone(), window, reach_m })
        })))
    }

    /// Every object, by reference (tests compare indexes with it).
    #[cfg(test)]
    pub fn objects(&self) -> Vec<(&ObjectRef, &IndexedObject<Kind>)> {
        self.0.objects().collect()
    }

    /// Objects of `kinds` within `d_m` (plus their reach) of `g` during `w`,
    /// sorted by reference.
    pub fn query_kinds(&self, kinds: KindSet<Kind>, g: &Geometry, d_m: f64, w: Window) -> Vec<ObjectRef> {
        let q = Query { geometry: g, distance_m: d_m, window: w, kinds };
        let mut out: Vec<ObjectRef> = self.0.query(&q).into_iter().cloned().collect();
        out.sort();
        out
    }

    /// A superset of the objects of `kind` that meet the lon/lat box `b`,
    /// sorted by reference (see [`SpatioTemporalIndex::box_candidates`]).
    pub fn box_candidates(&self, kind: Kind, b: [f64; 4]) -> Vec<&ObjectRef> {
        let mut out = self.0.box_candidates(b, KindSet::only(kind));
        out.sort_unstable();
        out
    }

    /// Objects of `kind` within `d_m` (plus their reach) of `g` during `w`, sorted.
    pub fn query(&self, kind: Kind, g: &Geometry, d_m: f64, w: Window) -> Vec<ObjectRef> {
        self.query_kinds(KindSet::only(kind), g, d_m, w)
    }
}
