//! The ListObjects loop of backends that keep keys in an ordered index (a redb B-tree, a
//! PostgreSQL B-tree): [`ObjectLister`] decides, the backend only reads key ranges.
//!
//! A delimiter roll-up never walks the keys under a common prefix: after emitting the prefix,
//! the lister asks for a new range starting at [`above`] it. A page therefore costs about
//! `max_keys` row reads plus one seek per common prefix, whatever the bucket's size.
//!
//! ```
//! use s4_storage::listing::{Flow, ObjectLister};
//! use s4_storage::{ETag, ListQuery, ObjectSummary};
//!
//! let keys = ["a/1", "a/2", "b", "c/1", "d"];
//! let query = ListQuery {
//!     prefix: String::new(),
//!     delimiter: Some("/".into()),
//!     start_after: None,
//!     max_keys: 3,
//! };
//! let mut lister = ObjectLister::new(&query);
//! while let Some(range) = lister.next_range() {
//!     // A backend's range read: keys from `range.from` below `range.end`, in binary order.
//!     let rows = keys.iter().filter(|k| range.contains(k.as_bytes()));
//!     for key in rows.take(range.limit) {
//!         let summary = || {
//!             Ok(ObjectSummary {
//!                 key: (*key).to_owned(),
//!                 size: 0,
//!                 etag: ETag::from_md5(&[0; 16]),
//!                 last_modified: time::OffsetDateTime::UNIX_EPOCH,
//!             })
//!         };
//!         if lister.offer(key, summary)? == Flow::Break {
//!             break;
//!         }
//!     }
//! }
//! let page = lister.finish();
//! assert_eq!(page.common_prefixes, ["a/", "c/"]);
//! assert_eq!(page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["b"]);
//! assert_eq!(page.next_start_after.as_deref(), Some("c/"));
//! # Ok::<(), s4_storage::StorageError>(())
//! ```

use super::{above, common_prefix, start_bound, StartBound};
use crate::types::{ListPage, ListQuery, ObjectSummary};
use crate::StorageResult;

/// One range read the lister asks for: keys (relative to the bucket) from `from` up to `end`
/// (exclusive), in binary order. The lister needs at most `limit` of them; a backend may
/// read fewer only when the range holds fewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// The lowest key, and whether it may itself be listed.
    pub from: StartBound,
    /// Above every key under the query's prefix.
    pub end: Vec<u8>,
    /// How many rows the lister can use at most.
    pub limit: usize,
}

impl KeyRange {
    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let above_from = if self.from.inclusive {
            key >= self.from.key.as_slice()
        } else {
            key > self.from.key.as_slice()
        };
        above_from && key < self.end.as_slice()
    }
}

/// Whether the backend keeps reading the current range after [`ObjectLister::offer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Offer the next key of the range.
    Continue,
    /// Stop reading this range and ask [`ObjectLister::next_range`] what comes next.
    Break,
}

/// What the next range starts from.
#[derive(Debug)]
enum Next {
    Bound(StartBound),
    /// A range is being read; what follows depends on how it ends.
    Reading,
    Done,
}

/// Builds one ListObjects page from the key ranges a backend reads on its request. The
/// roll-up, page-size and marker rules live here, so every ordered backend lists alike.
#[derive(Debug)]
pub struct ObjectLister<'q> {
    query: &'q ListQuery,
    delimiter: Option<&'q str>,
    end: Vec<u8>,
    next: Next,
    /// Keys offered from the current range, and how many it was asked for.
    offered: usize,
    limit: usize,
    page: ListPage,
    last: Option<String>,
}

impl<'q> ObjectLister<'q> {
    /// A lister for one page of `query`.
    pub fn new(query: &'q ListQuery) -> Self {
        let next = if query.max_keys == 0 {
            Next::Done
        } else {
            Next::Bound(start_bound(query))
        };
        Self {
            query,
            delimiter: query.delimiter.as_deref().filter(|d| !d.is_empty()),
            end: above(query.prefix.as_bytes()),
            next,
            offered: 0,
            limit: 0,
            page: ListPage::default(),
            last: None,
        }
    }

    fn listed(&self) -> usize {
        self.page.objects.len() + self.page.common_prefixes.len()
    }

    /// The next range to read, or `None` when the page is complete. A range that ended
    /// before its `limit` without a [`Flow::Break`] held every remaining key.
    pub fn next_range(&mut self) -> Option<KeyRange> {
        let from = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Bound(from) => from,
            Next::Reading if self.offered >= self.limit => StartBound {
                key: self.last.as_ref()?.as_bytes().to_vec(),
                inclusive: false,
            },
            Next::Reading | Next::Done => return None,
        };
        if from.key >= self.end {
            return None;
        }
        self.next = Next::Reading;
        self.offered = 0;
        self.limit = self.query.max_keys - self.listed() + 1;
        Some(KeyRange {
            from,
            end: self.end.clone(),
            limit: self.limit,
        })
    }

    /// Offers the next key of the current range. `summary` is asked only when the key is
    /// listed as an object (not rolled up, page not full).
    pub fn offer(
        &mut self,
        key: &str,
        summary: impl FnOnce() -> StorageResult<ObjectSummary>,
    ) -> StorageResult<Flow> {
        self.offered += 1;
        if self.listed() >= self.query.max_keys {
            self.page.is_truncated = true;
            self.next = Next::Done;
            return Ok(Flow::Break);
        }
        let rolled = self
            .delimiter
            .and_then(|d| common_prefix(key, &self.query.prefix, d));
        if let Some(common) = rolled {
            self.page.common_prefixes.push(common.to_owned());
            self.next = Next::Bound(StartBound {
                key: above(common.as_bytes()),
                inclusive: true,
            });
            self.last = Some(common.to_owned());
            return Ok(Flow::Break);
        }
        self.page.objects.push(summary()?);
        self.last = Some(key.to_owned());
        Ok(Flow::Continue)
    }

    /// The page, with `next_start_after` set when it is truncated.
    pub fn finish(mut self) -> ListPage {
        if self.page.is_truncated {
            self.page.next_start_after = self.last;
        }
        self.page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::objects_page;
    use crate::types::ETag;

    fn summary(key: &str) -> ObjectSummary {
        ObjectSummary {
            key: key.to_owned(),
            size: key.len() as u64,
            etag: ETag::from_md5(&[0; 16]),
            last_modified: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// Lists `keys` (sorted) the way an ordered backend does; `bounded` reads at most
    /// `limit` rows per range (a SQL `LIMIT`), otherwise the whole range (an iterator).
    fn scan(keys: &[String], query: &ListQuery, bounded: bool) -> (ListPage, usize) {
        let mut lister = ObjectLister::new(query);
        let mut ranges = 0;
        while let Some(range) = lister.next_range() {
            ranges += 1;
            let take = if bounded { range.limit } else { usize::MAX };
            let rows = keys.iter().filter(|k| range.contains(k.as_bytes()));
            for key in rows.take(take) {
                if lister.offer(key, || Ok(summary(key))).unwrap() == Flow::Break {
                    break;
                }
            }
        }
        (lister.finish(), ranges)
    }

    /// The same page by the in-memory backend's rules: filter, then [`paginate`].
    fn reference(keys: &[String], query: &ListQuery) -> ListPage {
        let marker = query.start_after.as_deref();
        let items = keys
            .iter()
            .filter(|k| k.starts_with(&query.prefix) && marker.is_none_or(|m| k.as_str() > m))
            .map(|k| (k.as_str(), k.as_str()));
        objects_page(items, query, summary)
    }

    #[test]
    fn agrees_with_the_reference_on_every_small_query() {
        let mut keys: Vec<String> = [
            "a", "a/", "a/1", "a/2", "a/b/1", "ab", "b", "b--c", "b--d--e", "c/1", "c/2", "d",
            "é/1", "é/2",
        ]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
        keys.sort();
        let mut checked = 0;
        for prefix in ["", "a", "a/", "b", "é/", "z"] {
            for delimiter in [None, Some(""), Some("/"), Some("--")] {
                let markers = std::iter::once(None).chain(keys.iter().map(Some));
                for start_after in markers.chain([Some(&"a/".to_owned())]) {
                    for max_keys in 0..6 {
                        let query = ListQuery {
                            prefix: prefix.to_owned(),
                            delimiter: delimiter.map(str::to_owned),
                            start_after: start_after.cloned(),
                            max_keys,
                        };
                        let expected = reference(&keys, &query);
                        for bounded in [false, true] {
                            assert_eq!(scan(&keys, &query, bounded).0, expected, "{query:?}");
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 6 * 4 * 16 * 6);
    }

    #[test]
    fn one_range_per_common_prefix() {
        let mut keys: Vec<String> = (0..50).map(|i| format!("dir/{i:02}")).collect();
        keys.extend((0..50).map(|i| format!("other/{i:02}")));
        let query = ListQuery {
            prefix: String::new(),
            delimiter: Some("/".into()),
            start_after: None,
            max_keys: 1000,
        };
        let (page, ranges) = scan(&keys, &query, true);
        assert_eq!(page.common_prefixes, ["dir/", "other/"]);
        // The first range, one after each prefix; the third finds nothing left.
        assert_eq!(ranges, 3);
    }
}
