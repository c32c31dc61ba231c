//! Object listings as range scans over the ordered `objects` table, driven by
//! [`ObjectLister`] (which seeks past each common prefix instead of walking its keys).

use std::ops::Bound;

use redb::ReadableTable;
use s4_storage::listing::{Flow, ObjectLister};
use s4_storage::{ListPage, ListQuery, ObjectSummary, StorageError, StorageResult};

use crate::codec::ObjectRecord;
use crate::Db;

/// One page of the bucket whose rows start with `bucket_prefix`. Each range is read as a
/// lazy iterator, so the lister's `limit` needs no enforcing here.
pub(crate) fn list_page(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    bucket_prefix: &[u8],
    query: &ListQuery,
) -> StorageResult<ListPage> {
    let mut lister = ObjectLister::new(query);
    while let Some(range) = lister.next_range() {
        let within = |key: &[u8]| [bucket_prefix, key].concat();
        let (start, end) = (within(&range.from.key), within(&range.end));
        let lower = if range.from.inclusive {
            Bound::Included(start.as_slice())
        } else {
            Bound::Excluded(start.as_slice())
        };
        for row in table
            .range::<&[u8]>((lower, Bound::Excluded(end.as_slice())))
            .db()?
        {
            let (k, v) = row.db()?;
            let key = std::str::from_utf8(&k.value()[bucket_prefix.len()..])
                .map_err(|_| StorageError::Internal("corrupt object key".to_owned()))?;
            let summary = || {
                let (size, etag, last_modified) = ObjectRecord::decode_summary(v.value())?;
                Ok(ObjectSummary {
                    key: key.to_owned(),
                    size,
                    etag,
                    last_modified,
                })
            };
            if lister.offer(key, summary)? == Flow::Break {
                break;
            }
        }
    }
    Ok(lister.finish())
}
