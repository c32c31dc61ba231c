//! Listing rules every backend shares: how a key rolls up into a common prefix, where a page
//! starts, and the loops that build pages. Backends with an ordered index (a B-tree, a
//! `COLLATE "C"` column) let an [`ObjectLister`] drive their range reads; the in-memory
//! backend and every backend's ListMultipartUploads page through items with [`paginate`] and
//! [`uploads_page`].
//!
//! ```
//! use s4_storage::listing::{common_prefix, start_bound, StartBound};
//! use s4_storage::ListQuery;
//!
//! assert_eq!(common_prefix("photos/2024/cat.jpg", "photos/", "/"), Some("photos/2024/"));
//! let query = ListQuery {
//!     prefix: "photos/".into(),
//!     delimiter: Some("/".into()),
//!     start_after: Some("photos/2024/cat.jpg".into()),
//!     max_keys: 1000,
//! };
//! // The rest of photos/2024/ was rolled up on the previous page: start past all of it.
//! assert_eq!(start_bound(&query), StartBound { key: b"photos/2024/\xff".to_vec(), inclusive: true });
//! ```

mod paginate;
mod scan;

pub use paginate::{objects_page, paginate, rollup, uploads_page, Entry};
pub use scan::{Flow, KeyRange, ObjectLister};

use crate::types::ListQuery;

/// The common prefix `key` rolls up into: the key up to and including the first `delimiter`
/// after `prefix`. `None` when the key does not start with `prefix` or has no delimiter after
/// it.
pub fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: &str) -> Option<&'k str> {
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    Some(&key[..prefix.len() + at + delimiter.len()])
}

/// `bytes ++ 0xFF`: sorts above every key that starts with `bytes` (UTF-8 never contains the
/// byte 0xFF), so it is the exclusive end of a prefix scan and the seek target past a common
/// prefix.
pub fn above(bytes: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(bytes.len() + 1);
    key.extend_from_slice(bytes);
    key.push(0xFF);
    key
}

/// Where a listing page starts, in key bytes relative to the bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartBound {
    /// The key bytes, relative to the bucket.
    pub key: Vec<u8>,
    /// Whether `key` itself may be listed.
    pub inclusive: bool,
}

/// The first key a page of `query` may list: the prefix itself; or just after `start_after`;
/// or, when `start_after` lies inside a common prefix (so the previous page rolled that
/// prefix up), past the whole common prefix. Whichever is highest.
pub fn start_bound(query: &ListQuery) -> StartBound {
    let prefix = query.prefix.as_str();
    let mut bound = StartBound {
        key: prefix.as_bytes().to_vec(),
        inclusive: true,
    };
    if let Some(start_after) = &query.start_after {
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        let candidate = match delimiter.and_then(|d| common_prefix(start_after, prefix, d)) {
            Some(common) => StartBound {
                key: above(common.as_bytes()),
                inclusive: true,
            },
            None => StartBound {
                key: start_after.as_bytes().to_vec(),
                inclusive: false,
            },
        };
        if candidate.key > bound.key || (candidate.key == bound.key && !candidate.inclusive) {
            bound = candidate;
        }
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(prefix: &str, delimiter: Option<&str>, start_after: Option<&str>) -> ListQuery {
        ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.map(Into::into),
            start_after: start_after.map(Into::into),
            max_keys: 1000,
        }
    }

    fn bound(key: &[u8], inclusive: bool) -> StartBound {
        StartBound {
            key: key.to_vec(),
            inclusive,
        }
    }

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix("a/b/c", "", "/"), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", "/"), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/b", "/"), None);
        assert_eq!(common_prefix("a--b--c", "", "--"), Some("a--"));
        assert_eq!(common_prefix("é/x", "", "/"), Some("é/"));
        assert_eq!(common_prefix("b/x", "a", "/"), None);
    }

    #[test]
    fn start_bounds() {
        assert_eq!(start_bound(&query("p/", None, None)), bound(b"p/", true));
        // A marker below the prefix does not move the start.
        assert_eq!(
            start_bound(&query("p/", None, Some("a"))),
            bound(b"p/", true)
        );
        // The marker equal to the prefix excludes the prefix itself.
        assert_eq!(
            start_bound(&query("p/", None, Some("p/"))),
            bound(b"p/", false)
        );
        assert_eq!(start_bound(&query("", None, Some("k"))), bound(b"k", false));
        // Inside a common prefix: past all of it.
        assert_eq!(
            start_bound(&query("", Some("/"), Some("a/b"))),
            bound(b"a/\xff", true)
        );
        // An empty delimiter means none.
        assert_eq!(
            start_bound(&query("", Some(""), Some("a/b"))),
            bound(b"a/b", false)
        );
        assert_eq!(above(b"x"), b"x\xff".to_vec());
    }
}
