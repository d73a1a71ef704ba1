//! A static R-tree packed bottom-up along a Hilbert curve.
//!
//! Queries of the spatio-temporal index mostly walk the tree, so the tree is
//! laid out for walking: every level is one contiguous array of `f32` boxes,
//! node `i` of a level covers boxes `i * FANOUT ..` of the level below, and no
//! node holds pointers. Items are ordered along a Hilbert curve of their box
//! centres before packing, so neighbouring items share nodes and nodes stay
//! small.
//!
//! Boxes are rounded outward when narrowed to `f32` (about 2 m at 180°), so
//! a packed box always holds the `f64` box it stands for: the tree may hand
//! out an extra candidate, never miss one.

/// Children per node: a node's boxes fill four cache lines.
const FANOUT: usize = 16;

/// Cells per side of the grid the Hilbert order is computed on.
const HILBERT_ORDER: u32 = 16;

/// A box in degrees, rounded outward to `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Box32 {
    min: [f32; 2],
    max: [f32; 2],
}

impl Box32 {
    pub fn enclosing(min: [f64; 2], max: [f64; 2]) -> Self {
        Self { min: [down(min[0]), down(min[1])], max: [up(max[0]), up(max[1])] }
    }

    fn empty() -> Self {
        Self { min: [f32::INFINITY; 2], max: [f32::NEG_INFINITY; 2] }
    }

    fn union(&self, other: &Self) -> Self {
        Self {
            min: [self.min[0].min(other.min[0]), self.min[1].min(other.min[1])],
            max: [self.max[0].max(other.max[0]), self.max[1].max(other.max[1])],
        }
    }

    #[inline]
    fn intersects(&self, other: &Self) -> bool {
        self.min[0] <= other.max[0]
            && other.min[0] <= self.max[0]
            && self.min[1] <= other.max[1]
            && other.min[1] <= self.max[1]
    }

    fn centre(&self) -> [f64; 2] {
        [
            (f64::from(self.min[0]) + f64::from(self.max[0])) / 2.0,
            (f64::from(self.min[1]) + f64::from(self.max[1])) / 2.0,
        ]
    }
}

/// The largest `f32` not above `x`.
fn down(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) > x {
        y.next_down()
    } else {
        y
    }
}

/// The smallest `f32` not below `x`.
fn up(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) < x {
        y.next_up()
    } else {
        y
    }
}

/// The packed tree over items of type `T`.
#[derive(Clone)]
pub(crate) struct PackedTree<T> {
    /// Boxes per level, items' own boxes first; the last level has at most
    /// `FANOUT` boxes.
    levels: Vec<Vec<Box32>>,
    /// Items in the order of `levels[0]`.
    items: Vec<T>,
}

impl<T> std::fmt::Debug for PackedTree<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedTree")
            .field("items", &self.items.len())
            .field("levels", &self.levels.len())
            .finish()
    }
}

impl<T> Default for PackedTree<T> {
    fn default() -> Self {
        Self { levels: Vec::new(), items: Vec::new() }
    }
}

impl<T> PackedTree<T> {
    /// Packs `entries` (box, item) into a tree.
    pub fn pack(mut entries: Vec<(Box32, T)>) -> Self {
        if entries.is_empty() {
            return Self::default();
        }
        hilbert_sort(&mut entries);
        Self::pack_sorted(entries)
    }

    /// Packs `groups` of entries into trees of at most `max` items each,
    /// never splitting a group (one larger than `max` gets a tree of its
    /// own). Groups are taken in the Hilbert order of their boxes, so that
    /// each tree covers its own stretch of the area.
    pub fn pack_groups(groups: Vec<Vec<(Box32, T)>>, max: usize) -> Vec<Self> {
        let mut keyed: Vec<(Box32, Vec<(Box32, T)>)> = groups
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(|g| (g.iter().fold(Box32::empty(), |acc, (b, _)| acc.union(b)), g))
            .collect();
        hilbert_sort(&mut keyed);
        let mut trees = Vec::new();
        let mut chunk: Vec<(Box32, T)> = Vec::new();
        for (_, group) in keyed {
            if !chunk.is_empty() && chunk.len() + group.len() > max {
                trees.push(Self::pack(std::mem::take(&mut chunk)));
            }
            chunk.extend(group);
        }
        if !chunk.is_empty() {
            trees.push(Self::pack(chunk));
        }
        trees
    }

    /// Every item with its box, in the tree's order.
    pub fn entries(&self) -> impl Iterator<Item = (Box32, &T)> {
        let boxes = self.levels.first().map_or(&[][..], Vec::as_slice);
        boxes.iter().copied().zip(&self.items)
    }

    fn pack_sorted(entries: Vec<(Box32, T)>) -> Self {
        let (boxes, items): (Vec<Box32>, Vec<T>) = entries.into_iter().unzip();
        let mut levels = vec![boxes];
        while let Some(below) = levels.last().filter(|l| l.len() > FANOUT) {
            let above =
                below.chunks(FANOUT).map(|c| c.iter().fold(Box32::empty(), |a, b| a.union(b))).collect();
            levels.push(above);
        }
        Self { levels, items }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Calls `f(q, item)` for every query box `queries[q]` and every item
    /// whose box meets it.
    ///
    /// The boxes of one query geometry (a route's edges, say) are searched in
    /// one walk, 64 at a time: a node is visited once for all the boxes it
    /// meets, not once per box.
    pub fn search(&self, queries: &[Box32], f: &mut impl FnMut(usize, &T)) {
        let Some(top) = self.levels.len().checked_sub(1) else { return };
        for (batch, chunk) in queries.chunks(64).enumerate() {
            let all = u64::MAX >> (64 - chunk.len());
            let mut batch_f = |q: usize, item: &T| f(batch * 64 + q, item);
            self.visit(top, 0..self.levels[top].len(), chunk, all, &mut batch_f);
        }
    }

    /// Visits `nodes` of `level` for the query boxes whose bits are set in `live`.
    fn visit(
        &self,
        level: usize,
        nodes: std::ops::Range<usize>,
        queries: &[Box32],
        live: u64,
        f: &mut impl FnMut(usize, &T),
    ) {
        let boxes = &self.levels[level][nodes.clone()];
        for (i, b) in nodes.zip(boxes) {
            let meets = meeting(b, queries, live);
            if meets == 0 {
                continue;
            }
            if level == 0 {
                for_each_bit(meets, |q| f(q, &self.items[i]));
            } else {
                let below = self.levels[level - 1].len();
                self.visit(level - 1, i * FANOUT..below.min((i + 1) * FANOUT), queries, meets, f);
            }
        }
    }
}

/// Orders `entries` along a Hilbert curve of their boxes' centres.
fn hilbert_sort<T>(entries: &mut [(Box32, T)]) {
    let extent = entries.iter().fold(Box32::empty(), |acc, (b, _)| acc.union(b));
    entries.sort_by_cached_key(|(b, _)| hilbert_key(&extent, b.centre()));
}

/// The bits of `live` whose query box meets `b`.
#[inline]
fn meeting(b: &Box32, queries: &[Box32], live: u64) -> u64 {
    let mut meets = 0;
    for_each_bit(live, |q| {
        if b.intersects(&queries[q]) {
            meets |= 1 << q;
        }
    });
    meets
}

#[inline]
fn for_each_bit(mut bits: u64, mut f: impl FnMut(usize)) {
    while bits != 0 {
        f(bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

/// Position of `p` along a Hilbert curve over `extent`.
fn hilbert_key(extent: &Box32, p: [f64; 2]) -> u32 {
    let cells = f64::from((1u32 << HILBERT_ORDER) - 1);
    let scale = |v: f64, lo: f32, hi: f32| {
        let span = f64::from(hi) - f64::from(lo);
        if span > 0.0 {
            ((v - f64::from(lo)) / span * cells).clamp(0.0, cells) as u32
        } else {
            0
        }
    };
    let x = scale(p[0], extent.min[0], extent.max[0]);
    let y = scale(p[1], extent.min[1], extent.max[1]);
    hilbert_d(x, y)
}

/// The classic xy-to-distance mapping on a `2^HILBERT_ORDER` grid.
fn hilbert_d(mut x: u32, mut y: u32) -> u32 {
    let n = 1u32 << HILBERT_ORDER;
    let mut d = 0u32;
    let mut s = n / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d = d.wrapping_add(s.wrapping_mul(s).wrapping_mul((3 * rx) ^ ry));
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn boxed(b: (f64, f64, f64, f64)) -> Box32 {
        Box32::enclosing([b.0, b.1], [b.0 + b.2, b.1 + b.3])
    }

    proptest! {
        #[test]
        fn search_finds_exactly_the_pairs_whose_boxes_meet(
            items in prop::collection::vec((-180.0..180.0f64, -90.0..90.0f64, 0.0..5.0f64, 0.0..5.0f64), 0..700),
            queries in prop::collection::vec(
                (-180.0..180.0f64, -90.0..90.0f64, 0.0..40.0f64, 0.0..40.0f64), 0..150),
        ) {
            let tree = PackedTree::pack(items.iter().enumerate().map(|(i, b)| (boxed(*b), i)).collect());
            let queries: Vec<Box32> = queries.iter().map(|q| boxed(*q)).collect();
            let mut found = Vec::new();
            tree.search(&queries, &mut |q, i: &usize| found.push((q, *i)));
            found.sort_unstable();
            let mut expected = Vec::new();
            for (q, qbox) in queries.iter().enumerate() {
                for (i, b) in items.iter().enumerate() {
                    if boxed(*b).intersects(qbox) {
                        expected.push((q, i));
                    }
                }
            }
            prop_assert_eq!(tree.len(), items.len());
            prop_assert_eq!(found, expected);
        }

        #[test]
        fn narrowing_to_f32_never_shrinks_a_box(lo in -180.0..180.0f64, width in 0.0..1e-3f64) {
            let b = Box32::enclosing([lo, lo / 2.0], [lo + width, lo / 2.0 + width]);
            prop_assert!(f64::from(b.min[0]) <= lo && f64::from(b.min[1]) <= lo / 2.0);
            prop_assert!(f64::from(b.max[0]) >= lo + width && f64::from(b.max[1]) >= lo / 2.0 + width);
        }
    }

    #[test]
    fn the_hilbert_order_visits_every_cell_of_a_small_grid_once() {
        // On the full 2^16 grid, the first 16 positions cover the 4x4 corner.
        let mut ds: Vec<u32> = (0..4).flat_map(|x| (0..4).map(move |y| hilbert_d(x, y))).collect();
        ds.sort_unstable();
        assert_eq!(ds, (0..16).collect::<Vec<_>>());
    }
}
