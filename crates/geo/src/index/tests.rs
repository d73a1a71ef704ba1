//! The index must answer exactly as a scan with `within` does, through any
//! sequence of inserts and removes.

use proptest::prelude::*;

use super::*;
use crate::geometry::Position;
use crate::within;

fn star(lon: f64, lat: f64, radius_deg: f64, spokes: &[f64]) -> Option<Geometry> {
    let n = spokes.len();
    let mut ring: Vec<Position> = spokes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let rr = radius_deg * (0.3 + r);
            Position::new(lon + rr * a.cos(), lat + rr * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    Geometry::polygon(&[ring]).ok()
}

fn geometry() -> impl Strategy<Value = Geometry> {
    let lon = 36.0..36.5f64;
    let lat = 33.0..33.5f64;
    prop_oneof![
        (lon.clone(), lat.clone()).prop_filter_map("point", |(x, y)| Geometry::point(x, y).ok()),
        (lon.clone(), lat.clone(), prop::collection::vec((-0.08..0.08f64, -0.08..0.08f64), 1..8))
            .prop_filter_map("line", |(x, y, steps)| {
                let mut p = Position::new(x, y);
                let mut line = vec![p];
                for (dx, dy) in steps {
                    p = Position::new(p.lon + dx, p.lat + dy);
                    line.push(p);
                }
                Geometry::line_string(&line).ok()
            }),
        (lon, lat, 0.005..0.2f64, prop::collection::vec(0.0..1.0f64, 3..12))
            .prop_filter_map("polygon", |(x, y, r, spokes)| star(x, y, r, &spokes)),
    ]
}

fn window() -> impl Strategy<Value = Window> {
    (prop::option::weighted(0.9, 0i64..100), prop::option::weighted(0.9, 0i64..100))
        .prop_filter_map("ordered", |(a, b)| Window::new(a, b).ok())
}

/// The tests' own kinds: the index knows none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Point,
    Area,
    Path,
    Other,
}

impl Kind for Layer {
    fn ordinal(self) -> u8 {
        self as u8
    }
}

type Object = IndexedObject<Layer>;

fn kind() -> impl Strategy<Value = Layer> {
    prop_oneof![Just(Layer::Point), Just(Layer::Area), Just(Layer::Path), Just(Layer::Other)]
}

fn object() -> impl Strategy<Value = Object> {
    (kind(), geometry(), window(), prop_oneof![3 => Just(0.0), 1 => 0.0..3000.0f64]).prop_map(
        |(kind, geometry, window, reach_m)| IndexedObject {
            kind,
            geometry: Arc::new(geometry),
            window,
            reach_m,
        },
    )
}

fn scan<'a>(objects: &'a [(u32, Object)], q: &Query<'_, Layer>) -> Vec<&'a u32> {
    objects
        .iter()
        .filter(|(_, o)| {
            q.kinds.contains(o.kind)
                && o.window.overlaps(&q.window)
                && within(q.geometry, &o.geometry, q.distance_m + o.reach())
        })
        .map(|(k, _)| k)
        .collect()
}

fn sorted(mut v: Vec<&u32>) -> Vec<u32> {
    v.sort();
    v.into_iter().copied().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn index_agrees_with_scan(
        objects in prop::collection::vec(object(), 1..60),
        queries in prop::collection::vec((geometry(), 0.0..20_000.0f64, window()), 1..6),
        areas_only in any::<bool>(),
    ) {
        let objects: Vec<(u32, Object)> =
            objects.into_iter().enumerate().map(|(i, o)| (i as u32, o)).collect();
        let index = SpatioTemporalIndex::from_objects(objects.clone());
        let kinds = if areas_only { KindSet::only(Layer::Area) } else { KindSet::ALL };
        for (g, d, w) in &queries {
            let q = Query { geometry: g, distance_m: *d, window: *w, kinds };
            prop_assert_eq!(sorted(index.query(&q)), sorted(scan(&objects, &q)));
        }
    }

    /// Built in one pass from repeated keys, an index holds each key's last
    /// object, as inserts would leave it, and inserts after it (into the
    /// slots it freed) keep it so.
    #[test]
    fn one_pass_keeps_each_keys_last_object(
        objects in prop::collection::vec((0u32..12, object()), 1..40),
        later in prop::collection::vec((0u32..16, object()), 0..8),
        queries in prop::collection::vec((geometry(), 0.0..20_000.0f64, window()), 1..4),
    ) {
        let mut one_pass = SpatioTemporalIndex::from_objects(objects.clone());
        let mut last: BTreeMap<u32, Object> = objects.into_iter().collect();
        // Every slot is an object's or free for reuse.
        prop_assert_eq!(one_pass.slots.len() - one_pass.free.len(), last.len());
        for (k, o) in later {
            one_pass.insert(k, o.clone());
            last.insert(k, o);
        }
        let last: Vec<(u32, Object)> = last.into_iter().collect();
        prop_assert_eq!(one_pass.len(), last.len());
        prop_assert!(one_pass.objects().map(|(k, _)| *k).eq(last.iter().map(|(k, _)| *k)));
        for (g, d, w) in &queries {
            let q = Query { geometry: g, distance_m: *d, window: *w, kinds: KindSet::ALL };
            prop_assert_eq!(sorted(one_pass.query(&q)), sorted(scan(&last, &q)));
        }
    }

    /// A box query's candidates hold every object of the kinds asked that
    /// meets the box (`Geometry::meets_box`), through inserts and removes, and
    /// only objects of those kinds.
    #[test]
    fn box_candidates_hold_every_object_whose_envelope_meets_the_box(
        initial in prop::collection::vec(object(), 0..40),
        added in prop::collection::vec(object(), 0..20),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        corner in (35.9..36.6f64, 32.9..33.6f64),
        size in (0.0..0.4f64, 0.0..0.4f64),
        areas_only in any::<bool>(),
    ) {
        let mut live: Vec<(u32, Object)> = initial.into_iter().enumerate().map(|(i, o)| (i as u32, o)).collect();
        let mut index = SpatioTemporalIndex::new().with_small_parts(8).filled(live.clone());
        for (i, o) in added.into_iter().enumerate() {
            let key = 1000 + i as u32;
            index.insert(key, o.clone());
            live.push((key, o));
        }
        for r in removals {
            if live.is_empty() {
                break;
            }
            let (key, _) = live.remove(r.index(live.len()));
            index.remove(&key);
        }
        let b = [corner.0, corner.1, corner.0 + size.0, corner.1 + size.1];
        let kinds = if areas_only { KindSet::only(Layer::Area) } else { KindSet::ALL };
        let got = sorted(index.box_candidates(b, kinds));
        for (key, o) in &live {
            if kinds.contains(o.kind) && o.geometry.meets_box(b) {
                prop_assert!(got.contains(key), "object {} missing for box {:?}", key, b);
            }
        }
        for key in &got {
            let o = &live.iter().find(|(k, _)| k == key).expect("a live object").1;
            prop_assert!(kinds.contains(o.kind));
        }
    }

    #[test]
    fn inserts_and_removes_keep_the_index_exact(
        objects in prop::collection::vec(object(), 1..40),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        query in (geometry(), 0.0..20_000.0f64),
    ) {
        let mut index = SpatioTemporalIndex::new();
        let mut live: Vec<(u32, Object)> = Vec::new();
        for (i, o) in objects.into_iter().enumerate() {
            index.insert(i as u32, o.clone());
            live.push((i as u32, o));
        }
        for r in removals {
            if live.is_empty() {
                break;
            }
            let (key, o) = live.remove(r.index(live.len()));
            prop_assert_eq!(index.remove(&key), Some(o));
        }
        prop_assert_eq!(index.len(), live.len());
        let q = Query { geometry: &query.0, distance_m: query.1, window: Window::always(), kinds: KindSet::ALL };
        prop_assert_eq!(sorted(index.query(&q)), sorted(scan(&live, &q)));
    }

    #[test]
    fn packed_and_dynamic_pieces_agree_through_repacks(
        initial in prop::collection::vec(object(), 0..30),
        steps in prop::collection::vec((0..3u8, any::<prop::sample::Index>(), object()), 1..40),
        small_parts in 0..64usize,
        query in (geometry(), 0.0..20_000.0f64, window()),
    ) {
        let mut live: Vec<(u32, Object)> =
            initial.into_iter().enumerate().map(|(i, o)| (i as u32, o)).collect();
        let mut index = SpatioTemporalIndex::new().with_small_parts(small_parts).filled(live.clone());
        let mut next_key = live.len() as u32;
        let mut largest_object = 0;
        let initial_largest = index.segments.iter().map(|s| s.tree.len()).max().unwrap_or(0);
        let q = Query { geometry: &query.0, distance_m: query.1, window: query.2, kinds: KindSet::ALL };
        for (step, which, object) in steps {
            match step {
                // Add under a new key, or replace the object under an existing one.
                0 | 1 => {
                    let key = if step == 1 && !live.is_empty() { live[which.index(live.len())].0 } else { next_key };
                    next_key += 1;
                    let previous = live.iter().position(|(k, _)| *k == key).map(|i| live.remove(i).1);
                    let mut entries = Vec::new();
                    object_entries(0, &object, &mut entries);
                    largest_object = largest_object.max(entries.len());
                    prop_assert_eq!(index.insert(key, object.clone()), previous);
                    live.push((key, object));
                }
                _ if !live.is_empty() => {
                    let (key, o) = live.remove(which.index(live.len()));
                    prop_assert_eq!(index.remove(&key), Some(o));
                }
                _ => {}
            }
            prop_assert_eq!(index.len(), live.len());
            prop_assert_eq!(sorted(index.query(&q)), sorted(scan(&live, &q)));
            // The pause bound: a flush packs the dynamic tree (full, plus
            // the object that overfilled it); merges stop at the segment cap.
            let bound = index.segment_max.max(index.dynamic_max + largest_object).max(initial_largest);
            for seg in &index.segments {
                prop_assert!(seg.tree.len() <= bound, "a segment of {} pieces, bound {}", seg.tree.len(), bound);
            }
        }
    }
}

#[test]
fn route_through_an_area_crosses_it_only_during_its_window_and_only_for_its_kind() {
    let area = Arc::new(star(36.2, 33.2, 0.05, &[0.5; 8]).expect("valid area"));
    let route =
        Geometry::line_string(&[Position::new(36.0, 33.2), Position::new(36.4, 33.2)]).expect("valid route");
    let mut index = SpatioTemporalIndex::new();
    let obj = |kind| IndexedObject {
        kind,
        geometry: area.clone(),
        window: Window::between(0, 10).expect("ordered"),
        reach_m: 0.0,
    };
    index.insert("area", obj(Layer::Area));
    index.insert("other", obj(Layer::Other));
    let during = Window::between(5, 20).expect("ordered");
    let after = Window::between(10, 20).expect("ordered");
    let areas =
        |window| Query { geometry: &route, distance_m: 0.0, window, kinds: KindSet::only(Layer::Area) };
    assert_eq!(index.query(&areas(during)), vec![&"area"]);
    assert!(index.query(&areas(after)).is_empty());
    assert_eq!(index.within(&route, 0.0, during).len(), 2);
}

#[test]
fn long_diagonal_route_examines_only_its_strip() {
    // Sites on a grid; a diagonal route must find exactly the ones near it.
    let mut objects = Vec::new();
    for i in 0..100 {
        for j in 0..100 {
            let g =
                Geometry::point(36.0 + f64::from(i) * 0.01, 33.0 + f64::from(j) * 0.01).expect("valid point");
            let o = IndexedObject {
                kind: Layer::Point,
                geometry: Arc::new(g),
                window: Window::always(),
                reach_m: 0.0,
            };
            objects.push((i * 100 + j, o));
        }
    }
    let index = SpatioTemporalIndex::from_objects(objects.clone());
    let route =
        Geometry::line_string(&[Position::new(36.0, 33.0), Position::new(37.0, 34.0)]).expect("valid route");
    let q = Query { geometry: &route, distance_m: 500.0, window: Window::always(), kinds: KindSet::ALL };
    let found = sorted(index.query(&q));
    assert_eq!(found, sorted(scan(&objects, &q)));
    assert!(found.len() >= 100 && found.len() < 400, "{}", found.len());
}
