//! Half-open time windows `[from, to)` in microseconds since the Unix epoch.
//!
//! The semantics are those of a PostgreSQL `tstzrange` with `[)` bounds, so
//! that every overlap the index reports can be checked in SQL: either end may
//! be open (unbounded), a window whose ends are equal is empty and overlaps
//! nothing, and two windows that merely touch (`a.to == b.from`) do not
//! overlap.

use crate::error::WindowError;

/// A time window; `None` ends are unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Window {
    from_us: Option<i64>,
    to_us: Option<i64>,
}

impl Window {
    /// `[from, to)`; errors when `from > to`, as PostgreSQL does.
    pub fn new(from_us: Option<i64>, to_us: Option<i64>) -> Result<Self, WindowError> {
        match (from_us, to_us) {
            (Some(from_us), Some(to_us)) if from_us > to_us => {
                Err(WindowError::EndsBeforeStart { from_us, to_us })
            }
            _ => Ok(Self { from_us, to_us }),
        }
    }

    /// `[from, to)` with both ends given.
    pub fn between(from_us: i64, to_us: i64) -> Result<Self, WindowError> {
        Self::new(Some(from_us), Some(to_us))
    }

    /// `[from, infinity)`.
    pub fn starting(from_us: i64) -> Self {
        Self { from_us: Some(from_us), to_us: None }
    }

    /// All of time.
    pub fn always() -> Self {
        Self { from_us: None, to_us: None }
    }

    pub fn from_us(&self) -> Option<i64> {
        self.from_us
    }

    pub fn to_us(&self) -> Option<i64> {
        self.to_us
    }

    pub fn is_empty(&self) -> bool {
        matches!((self.from_us, self.to_us), (Some(f), Some(t)) if f >= t)
    }

    /// Whether some instant lies in both windows: each starts before the
    /// other ends.
    pub fn overlaps(&self, other: &Window) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && starts_before_end(self.from_us, other.to_us)
            && starts_before_end(other.from_us, self.to_us)
    }

    /// The common part of two windows, if they overlap.
    pub fn intersection(&self, other: &Window) -> Option<Window> {
        if !self.overlaps(other) {
            return None;
        }
        let from_us = match (self.from_us, other.from_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let to_us = match (self.to_us, other.to_us) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Some(Window { from_us, to_us })
    }

    /// Whether the instant `t_us` lies in the window.
    pub fn contains(&self, t_us: i64) -> bool {
        self.from_us.is_none_or(|f| f <= t_us) && self.to_us.is_none_or(|t| t_us < t)
    }
}

fn starts_before_end(start: Option<i64>, end: Option<i64>) -> bool {
    match (start, end) {
        (Some(s), Some(e)) => s < e,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(from: Option<i64>, to: Option<i64>) -> Window {
        Window::new(from, to).expect("ordered window")
    }

    #[test]
    fn touching_windows_do_not_overlap() {
        assert!(!w(Some(0), Some(10)).overlaps(&w(Some(10), Some(20))));
        assert!(!w(Some(10), Some(20)).overlaps(&w(Some(0), Some(10))));
        assert!(w(Some(0), Some(11)).overlaps(&w(Some(10), Some(20))));
    }

    #[test]
    fn open_ends_are_unbounded() {
        assert!(w(None, Some(0)).overlaps(&w(Some(-5), None)));
        assert!(!w(None, Some(0)).overlaps(&w(Some(0), None)));
        assert!(Window::always().overlaps(&w(Some(3), Some(4))));
    }

    #[test]
    fn empty_window_overlaps_nothing() {
        let empty = w(Some(5), Some(5));
        assert!(empty.is_empty());
        assert!(!empty.overlaps(&Window::always()));
        assert!(!Window::always().overlaps(&empty));
    }

    #[test]
    fn reversed_window_is_an_error() {
        assert_eq!(Window::between(2, 1), Err(WindowError::EndsBeforeStart { from_us: 2, to_us: 1 }));
    }

    fn bound() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![1 => Just(None), 4 => (-50i64..50).prop_map(Some)]
    }

    proptest! {
        /// Overlap means exactly that some instant is in both windows.
        #[test]
        fn overlap_is_a_shared_instant(a in (bound(), bound()), b in (bound(), bound())) {
            let (Ok(a), Ok(b)) = (Window::new(a.0, a.1), Window::new(b.0, b.1)) else {
                return Ok(());
            };
            let shared = (-60i64..60).any(|t| a.contains(t) && b.contains(t));
            prop_assert_eq!(a.overlaps(&b), shared);
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
            if let Some(i) = a.intersection(&b) {
                prop_assert!((-60i64..60).all(|t| i.contains(t) == (a.contains(t) && b.contains(t))));
            }
        }
    }
}
