//! Prefix, delimiter and marker logic shared by ListObjects and ListMultipartUploads.

use crate::listing::common_prefix;

/// One entry of a listing page: an item or a common prefix.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Entry<T> {
    Item(T),
    Prefix(String),
}

/// The common prefix `key` rolls up into ([`common_prefix`]); no delimiter or an empty one
/// rolls nothing up.
pub(super) fn rollup<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    common_prefix(key, prefix, delimiter.filter(|d| !d.is_empty())?)
}

/// Pages through `items` (already in listing order, already after the marker and starting
/// with `prefix`), rolling keys up into common prefixes. A common prefix that does not sort
/// strictly after `marker` was returned by an earlier page (or the marker lies inside it), so
/// its keys are skipped. Objects and prefixes count together against `max`. Returns the page
/// and whether more entries follow.
pub(super) fn paginate<'k, T>(
    items: impl Iterator<Item = (&'k str, T)>,
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<&str>,
    max: usize,
) -> (Vec<Entry<T>>, bool) {
    let mut page = Vec::new();
    if max == 0 {
        return (page, false);
    }
    let mut last_prefix: Option<&str> = None;
    for (key, item) in items {
        let entry = match rollup(key, prefix, delimiter) {
            Some(common) => {
                if marker.is_some_and(|m| common <= m) || last_prefix == Some(common) {
                    continue;
                }
                last_prefix = Some(common);
                Entry::Prefix(common.to_owned())
            }
            None => Entry::Item(item),
        };
        if page.len() == max {
            return (page, true);
        }
        page.push(entry);
    }
    (page, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry<&str>]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Item(k) => (*k).to_owned(),
                Entry::Prefix(p) => format!("{p}*"),
            })
            .collect()
    }

    fn list(keys: &[&'static str], marker: Option<&str>, max: usize) -> (Vec<String>, bool) {
        let items = keys
            .iter()
            .filter(|k| marker.is_none_or(|m| **k > m))
            .map(|k| (*k, *k));
        let (page, more) = paginate(items, "", Some("/"), marker, max);
        (names(&page), more)
    }

    #[test]
    fn rollup_rules() {
        assert_eq!(rollup("a/b/c", "", Some("/")), Some("a/"));
        assert_eq!(rollup("a/b/c", "a/", Some("/")), Some("a/b/"));
        assert_eq!(rollup("a/b", "a/b", Some("/")), None);
        assert_eq!(rollup("a/b", "", None), None);
        assert_eq!(rollup("a/b", "", Some("")), None);
        assert_eq!(rollup("a--b--c", "", Some("--")), Some("a--"));
    }

    #[test]
    fn pages_count_prefixes_and_keys_together() {
        let keys = ["a", "b/1", "b/2", "c", "d/1"];
        assert_eq!(list(&keys, None, 2), (vec!["a".into(), "b/*".into()], true));
        assert_eq!(
            list(&keys, Some("b/"), 2),
            (vec!["c".into(), "d/*".into()], false)
        );
        assert_eq!(
            list(&keys, Some("b/1"), 5),
            (vec!["c".into(), "d/*".into()], false)
        );
        assert_eq!(list(&keys, None, 0), (vec![], false));
        assert!(!list(&keys, None, 4).1);
    }
}
