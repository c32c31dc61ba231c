//! Object listings as range scans over the ordered `objects` table.
//!
//! A delimiter roll-up never walks the keys under a common prefix: after emitting the prefix,
//! the scan restarts at `prefix ++ 0xFF`, which sorts above every key under it (UTF-8 never
//! contains 0xFF). A page therefore costs about `max_keys` row reads plus one B-tree seek per
//! common prefix, whatever the bucket's size.

use std::ops::Bound;

use redb::ReadableTable;
use s4_storage::listing::{above, common_prefix, start_bound, StartBound};
use s4_storage::{ListPage, ListQuery, ObjectSummary, StorageError, StorageResult};

use crate::codec::ObjectRecord;
use crate::Db;

/// One page of the bucket whose rows start with `bucket_prefix`.
pub(crate) fn list_page(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    bucket_prefix: &[u8],
    query: &ListQuery,
) -> StorageResult<ListPage> {
    let mut page = ListPage::default();
    if query.max_keys == 0 {
        return Ok(page);
    }
    let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
    let prefix = query.prefix.as_str();

    let StartBound {
        key: mut lower,
        mut inclusive,
    } = start_bound(query);

    let mut end = bucket_prefix.to_vec();
    end.extend_from_slice(prefix.as_bytes());
    let end = above(&end);
    let mut last: Option<String> = None;
    'scan: loop {
        let mut start = bucket_prefix.to_vec();
        start.extend_from_slice(&lower);
        if start >= end {
            break;
        }
        let lower_bound = if inclusive {
            Bound::Included(start.as_slice())
        } else {
            Bound::Excluded(start.as_slice())
        };
        let mut seek: Option<Vec<u8>> = None;
        for row in table
            .range::<&[u8]>((lower_bound, Bound::Excluded(end.as_slice())))
            .db()?
        {
            let (k, v) = row.db()?;
            let key = std::str::from_utf8(&k.value()[bucket_prefix.len()..])
                .map_err(|_| StorageError::Internal("corrupt object key".to_owned()))?;
            let full = page.objects.len() + page.common_prefixes.len() >= query.max_keys;
            if let Some(cp) = delimiter.and_then(|d| common_prefix(key, prefix, d)) {
                if full {
                    page.is_truncated = true;
                    break 'scan;
                }
                page.common_prefixes.push(cp.to_owned());
                last = Some(cp.to_owned());
                seek = Some(above(cp.as_bytes()));
                break;
            }
            if full {
                page.is_truncated = true;
                break 'scan;
            }
            let (size, etag, last_modified) = ObjectRecord::decode_summary(v.value())?;
            page.objects.push(ObjectSummary {
                key: key.to_owned(),
                size,
                etag,
                last_modified,
            });
            last = Some(key.to_owned());
        }
        match seek {
            Some(next) => {
                lower = next;
                inclusive = true;
            }
            None => break,
        }
    }
    if page.is_truncated {
        page.next_start_after = last;
    }
    Ok(page)
}
