//! Listings of zones, sites, movements, operations, agreements and conflicts,
//! with filters and pages (brief §6, §7). They answer with borrowed records;
//! the API presents them.

use corridor_geo::Geometry;
use corridor_state::access::{Agreement, Conflict, Movement, Operation, Site, Zone};
use corridor_state::BoxKind;
use corridor_statement::access::Window;
use corridor_statement::ObjectRef;

use crate::error::QueryError;
use crate::paging::Page;
use crate::View;

/// The most rows one export holds: an export is one bounded response, and the
/// paginated views are the way to read more.
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// Which objects a listing returns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// The state as it was at this time (µs): filed by then, valid then, not yet withdrawn.
    pub at_us: Option<i64>,
    pub party: Option<String>,
    pub status: Option<String>,
    /// Page: objects after this reference, in reference order.
    pub after: Option<ObjectRef>,
    /// Items per page; the API validates it ([`crate::Limits::page_limit`]).
    pub limit: usize,
}

/// Whether the box of `g`'s positions meets the filter's box.
fn in_bbox(g: Option<&Geometry>, filter: &Filter) -> bool {
    let (Some(f), Some(g)) = (filter.bbox, g) else { return true };
    g.meets_box(f)
}

/// Whether an object filed at `filed_us`, valid in `window`, withdrawn at
/// `ended_us`, existed at the filter's time.
fn at_time(filter: &Filter, filed_us: i64, window: &Window, ended_us: Option<i64>) -> bool {
    filter.at_us.is_none_or(|at| filed_us <= at && window.contains(at) && ended_us.is_none_or(|e| at < e))
}

/// `active` or `withdrawn`.
pub fn live_status(ended: bool) -> &'static str {
    if ended {
        "withdrawn"
    } else {
        "active"
    }
}

fn after_ok(filter: &Filter, r: &ObjectRef) -> bool {
    filter.after.as_ref().is_none_or(|a| r > a)
}

fn status_ok(filter: &Filter, status: &str) -> bool {
    filter.status.as_deref().is_none_or(|s| s == status)
}

fn party_ok(filter: &Filter, parties: &[&str]) -> bool {
    filter.party.as_deref().is_none_or(|p| parties.contains(&p))
}

fn page_of<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    limit: usize,
    r: impl Fn(&T) -> &ObjectRef,
) -> Page<&'a T> {
    Page::take(items, limit, |t| r(t).to_string())
}

/// Records walked in reference order before a box query turns to the
/// spatial index: a box that fills a page within them is dense, and the walk
/// is the cheaper way to page through it (the index would have to gather and
/// sort everything in the box first).
pub(crate) const BOX_SCAN_BUDGET: usize = 20_000;

impl<'a> View<'a> {
    /// The records a filter's box may hold, in reference order after its
    /// cursor: walked in order while the box proves dense, else the spatial
    /// index's candidates (a zoomed-in map over a million sites). The caller
    /// still filters exactly.
    fn boxed<T: 'a, I: Iterator<Item = &'a T> + 'a>(
        &self,
        (kind, geometry): (BoxKind, fn(&T) -> &Geometry),
        f: &Filter,
        get: impl Fn(&ObjectRef) -> Option<&'a T> + 'a,
        all: impl Fn() -> I,
    ) -> Box<dyn Iterator<Item = &'a T> + 'a> {
        let Some(b) = f.bbox else { return Box::new(all()) };
        let mut walk = all();
        let mut head = Vec::new();
        for t in walk.by_ref().take(BOX_SCAN_BUDGET) {
            if in_bbox(Some(geometry(t)), f) {
                head.push(t);
                if head.len() > f.limit {
                    return Box::new(head.into_iter().chain(walk));
                }
            }
        }
        let refs = self.state.box_candidates(kind, b);
        let after = f.after.clone();
        let refs = refs.into_iter().filter(move |r| after.as_ref().is_none_or(|a| *r > a));
        Box::new(refs.filter_map(get))
    }

    pub fn zones(&self, f: &Filter) -> Page<&'a Zone> {
        let access = self.state.access();
        let all = || access.zones_after(f.after.as_ref());
        let items =
            self.boxed((BoxKind::Zone, |z: &Zone| &*z.geometry), f, |r| access.zone(r), all).filter(|z| {
                party_ok(f, &[&z.party])
                    && status_ok(f, live_status(z.withdrawn.is_some()))
                    && in_bbox(Some(&z.geometry), f)
                    && at_time(f, z.declared.at_us, &z.window, z.withdrawn.as_ref().map(|e| e.at.at_us))
            });
        page_of(items, f.limit, |z| &z.reference)
    }

    /// Sites matching `f`, at most `f.limit` (exports pass more than a page).
    pub fn sites(&self, f: &Filter) -> Page<&'a Site> {
        let access = self.state.access();
        let all = || access.sites_after(f.after.as_ref());
        let items =
            self.boxed((BoxKind::Site, |s: &Site| &*s.geometry), f, |r| access.site(r), all).filter(|s| {
                party_ok(f, &[&s.issuer, &s.operator])
                    && status_ok(f, live_status(s.withdrawn.is_some()))
                    && in_bbox(Some(&s.geometry), f)
                    && at_time(f, s.notified.at_us, &s.window, s.withdrawn.as_ref().map(|e| e.at.at_us))
            });
        page_of(items, f.limit, |s| &s.reference)
    }

    pub fn operations(&self, f: &Filter) -> Page<&'a Operation> {
        let access = self.state.access();
        let all = || access.operations_after(f.after.as_ref());
        let items = self
            .boxed((BoxKind::Operation, |o: &Operation| &*o.geometry), f, |r| access.operation(r), all)
            .filter(|o| {
                let mut parties = vec![o.party.as_str()];
                parties.extend(o.notified_parties.iter().map(String::as_str));
                party_ok(f, &parties)
                    && status_ok(f, live_status(o.withdrawn.is_some()))
                    && in_bbox(Some(&o.geometry), f)
                    && at_time(f, o.notified.at_us, &o.window, o.withdrawn.as_ref().map(|e| e.at.at_us))
            });
        page_of(items, f.limit, |o| &o.reference)
    }

    pub fn agreements(&self, f: &Filter) -> Page<&'a Agreement> {
        let items = self.state.access().agreements().filter(|a| {
            let mut parties: Vec<&str> = a.parties.iter().map(String::as_str).collect();
            parties.push(&a.issuer);
            after_ok(f, &a.reference)
                && party_ok(f, &parties)
                && in_bbox(a.geometry.as_deref(), f)
                && at_time(f, a.declared.at_us, &a.window, None)
        });
        page_of(items, f.limit, |a| &a.reference)
    }

    /// The time movements' statuses are computed at: the filter's, or now.
    pub fn movements_now_us(&self, f: &Filter) -> i64 {
        f.at_us.unwrap_or(self.now_us)
    }

    /// Movements matching `f`, at most `f.limit` (exports pass more than a page).
    pub fn movements(&self, f: &Filter) -> Page<&'a Movement> {
        let now = self.movements_now_us(f);
        let items = self.state.access().movements().filter(|m| {
            let mut parties = vec![m.requester.as_str()];
            parties.extend(m.approvers.keys().map(String::as_str));
            after_ok(f, &m.reference)
                && party_ok(f, &parties)
                && status_ok(f, m.status(now).as_str())
                && in_bbox(Some(&m.plan.route), f)
                && at_time(f, m.requested.at_us, &Window::always(), None)
        });
        page_of(items, f.limit, |m| &m.reference)
    }

    pub fn movement(&self, r: &ObjectRef) -> Result<&'a Movement, QueryError> {
        self.state.access().movement(r).ok_or_else(|| QueryError::NotFound(format!("no movement {r}")))
    }

    /// Conflicts shown to `party` (or all), oldest first, from just after the
    /// conflict numbered `after`.
    pub fn conflicts(
        &self,
        party: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> Page<&'a Conflict, u64> {
        let items = self
            .state
            .access()
            .conflicts_after(after)
            .iter()
            .filter(|c| party.is_none_or(|p| c.parties.iter().any(|q| q == p)));
        Page::take(items, limit, |c| c.seq)
    }
}
