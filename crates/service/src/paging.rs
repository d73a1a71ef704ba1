//! Paging of every listing: one rule for how many items a page holds, where a
//! page ends and what its cursor is, so that no listing drops or repeats an
//! item at a page boundary.
//!
//! - `limit` is 1..=[`crate::Limits::max_page`], [`DEFAULT_PAGE`] when not
//!   given; anything else is refused with `bad_request`
//!   ([`crate::Limits::page_limit`]).
//! - A page holds at most `limit` items, in the listing's order.
//! - `next_after` is the cursor of the last item returned, present only when
//!   more items follow; the next page starts strictly after it.

/// Items per page when the request names no limit.
pub const DEFAULT_PAGE: usize = 100;

/// One page of a listing, whose cursors are of type `C` (a reference's text,
/// an entry index, a conflict's number).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C = String> {
    pub items: Vec<T>,
    /// The cursor of the last item returned, when more follow.
    pub next_after: Option<C>,
}

impl<T, C> Page<T, C> {
    /// At most `limit` items, and the cursor of the next page (`cursor` of
    /// the last item returned) when more follow.
    pub fn take(items: impl Iterator<Item = T>, limit: usize, cursor: impl Fn(&T) -> C) -> Self {
        let mut items = items.peekable();
        let page: Vec<T> = items.by_ref().take(limit).collect();
        let next_after = if items.peek().is_some() { page.last().map(cursor) } else { None };
        Self { items: page, next_after }
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn the_cursor_is_the_last_item_returned_and_only_when_more_follow() {
        let cursor = |n: &u32| n.to_string();
        let page = |range: std::ops::RangeInclusive<u32>, limit| {
            let p = Page::take(range, limit, cursor);
            (p.items, p.next_after)
        };
        assert_eq!(page(1..=5, 2), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(page(1..=4, 2), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(page(3..=4, 2), (vec![3, 4], None));
        assert_eq!(Page::take(0..0u32, 2, cursor), Page { items: vec![], next_after: None });
    }
}
