//! Paging through items already in listing order: the in-memory backend's ListObjects, and
//! every backend's ListMultipartUploads (whose uploads are few enough to be read at once).

use super::common_prefix;
use crate::multipart::{UploadInfo, UploadListQuery, UploadsPage};
use crate::types::{ListPage, ListQuery, ObjectSummary};

/// One entry of a listing page: an item or a common prefix.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry<T> {
    /// An item listed as itself.
    Item(T),
    /// A common prefix that items rolled up into.
    Prefix(String),
}

/// The common prefix `key` rolls up into ([`common_prefix`]); no delimiter or an empty one
/// rolls nothing up.
pub fn rollup<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    common_prefix(key, prefix, delimiter.filter(|d| !d.is_empty())?)
}

/// Pages through `items` (already in listing order, already after the marker and starting
/// with `prefix`), rolling keys up into common prefixes. A common prefix that does not sort
/// strictly after `marker` was returned by an earlier page (or the marker lies inside it), so
/// its keys are skipped. Objects and prefixes count together against `max`. Returns the page
/// and whether more entries follow.
pub fn paginate<'k, T>(
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

/// A page of ListObjects. `objects` are the bucket's objects whose keys start with
/// `query.prefix` and sort after `query.start_after`, in key order; `summary` is asked only
/// for the objects listed as themselves.
pub fn objects_page<'k, T>(
    objects: impl Iterator<Item = (&'k str, T)>,
    query: &ListQuery,
    mut summary: impl FnMut(T) -> ObjectSummary,
) -> ListPage {
    let (entries, is_truncated) = paginate(
        objects,
        &query.prefix,
        query.delimiter.as_deref(),
        query.start_after.as_deref(),
        query.max_keys,
    );
    let mut page = ListPage {
        is_truncated,
        ..ListPage::default()
    };
    for entry in entries {
        match entry {
            Entry::Item(object) => {
                let object = summary(object);
                page.next_start_after = Some(object.key.clone());
                page.objects.push(object);
            }
            Entry::Prefix(common) => {
                page.next_start_after = Some(common.clone());
                page.common_prefixes.push(common);
            }
        }
    }
    if !is_truncated {
        page.next_start_after = None;
    }
    page
}

/// A page of ListMultipartUploads. `uploads` are the bucket's uploads whose keys start with
/// `query.prefix` and that follow the markers, ordered by key, then initiation.
pub fn uploads_page<'u>(
    uploads: impl IntoIterator<Item = &'u UploadInfo>,
    query: &UploadListQuery,
) -> UploadsPage {
    let (entries, is_truncated) = paginate(
        uploads.into_iter().map(|u| (u.key.as_str(), u)),
        &query.prefix,
        query.delimiter.as_deref(),
        query.key_marker.as_deref(),
        query.max_uploads,
    );
    let mut page = UploadsPage {
        is_truncated,
        ..UploadsPage::default()
    };
    for entry in entries {
        match entry {
            Entry::Item(upload) => {
                page.next_key_marker = Some(upload.key.clone());
                page.next_upload_id_marker = Some(upload.upload_id.clone());
                page.uploads.push(upload.clone());
            }
            Entry::Prefix(common) => {
                page.next_key_marker = Some(common.clone());
                page.next_upload_id_marker = None;
                page.common_prefixes.push(common);
            }
        }
    }
    if !is_truncated {
        page.next_key_marker = None;
        page.next_upload_id_marker = None;
    }
    page
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
