//! Paging of every listing: one rule for where a page ends and what its cursor
//! is, so that no listing drops or repeats an item at a page boundary.

/// At most `limit` items, and the cursor of the next page: the last item
/// returned, when more follow. Listings resume strictly after the cursor.
pub(crate) fn take_page<T>(
    items: impl Iterator<Item = T>,
    limit: usize,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let mut items = items.peekable();
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let next = if items.peek().is_some() { page.last().map(cursor) } else { None };
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::take_page;

    #[test]
    fn the_cursor_is_the_last_item_returned_and_only_when_more_follow() {
        let cursor = |n: &u32| n.to_string();
        assert_eq!(take_page(1..=5u32, 2, cursor), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(take_page(1..=4u32, 2, cursor), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(take_page(3..=4u32, 2, cursor), (vec![3, 4], None));
        assert_eq!(take_page(0..0u32, 2, cursor), (vec![], None));
    }
}
