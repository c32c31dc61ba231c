//! The two paging schemes of the listings.

use s4_iam_query::{IamError, Page, PolicyPage, Truncation};

use crate::execute::DEFAULT_PAGE_SIZE;

/// The spec's integer-marker paging of the policy listings: the marker is an index, and one
/// greater than the `available` policies is a `ValidationError`.
pub(crate) fn policy_page<T>(
    items: Vec<T>,
    page: PolicyPage,
    available: u32,
) -> Result<(Vec<T>, Truncation), IamError> {
    page.check_marker(available)?;
    let start = page.marker.map_or(0, |m| m as usize);
    let (items, truncation) = slice_page(items, start, page.max_items, |_| String::new());
    let truncation = if truncation.is_truncated {
        Truncation::truncated((start + items.len()).to_string())
    } else {
        truncation
    };
    Ok((items, truncation))
}

/// Opaque-marker paging of the name-sorted listings: the marker is the name of the first
/// item of the next page; a marker naming no item resumes at the first name after it (so a
/// page survives the deletion of its marker's entity).
pub(crate) fn name_page<T>(
    items: Vec<T>,
    page: &Page,
    name: impl Fn(&T) -> &String,
) -> (Vec<T>, Truncation) {
    let start = page.marker.as_ref().map_or(0, |marker| {
        items
            .iter()
            .position(|item| name(item) >= marker)
            .unwrap_or(items.len())
    });
    slice_page(items, start, page.max_items, |item| name(item).clone())
}

/// Items `start..start + max_items` (default [`DEFAULT_PAGE_SIZE`]); when more remain, the
/// truncation's marker is `marker` of the first item left out.
pub(crate) fn slice_page<T>(
    items: Vec<T>,
    start: usize,
    max_items: Option<u32>,
    marker: impl Fn(&T) -> String,
) -> (Vec<T>, Truncation) {
    let max = max_items.map_or(DEFAULT_PAGE_SIZE, |m| m as usize);
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    if rest.len() > max {
        let next = marker(&rest[max]);
        rest.truncate(max);
        (rest, Truncation::truncated(next))
    } else {
        (rest, Truncation::complete())
    }
}
