//! ListObjects as range scans over the `objects` table, driven by [`ObjectLister`]: each
//! range is one `LIMIT`ed index scan, and a delimiter roll-up starts a new scan past the
//! common prefix instead of reading the keys under it.

use s4_naming::AccountId;
use s4_storage::listing::{Flow, ObjectLister};
use s4_storage::{ETag, ListPage, ListQuery, ObjectSummary, StorageResult};

use super::buckets::bucket_exists;
use super::row::{from_nanos, key_string, KEY_HEAD, KEY_HEAD_LEN};
use crate::prepared::Prepared;
use crate::{Db, PgStore};

impl PgStore {
    pub(super) async fn list(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        let client = self.client().await?;
        bucket_exists(&client, account, bucket).await?;
        let mut lister = ObjectLister::new(query);
        while let Some(range) = lister.next_range() {
            let op = if range.from.inclusive { ">=" } else { ">" };
            let rows = client
                .pquery(
                    &format!(
                        "SELECT key, size, etag, last_modified FROM objects WHERE account = $1 \
                         AND bucket = $2 AND key {op} $3 AND key < $4 \
                         AND {KEY_HEAD} >= substring($3 FROM 1 FOR {KEY_HEAD_LEN}) \
                         AND {KEY_HEAD} <= substring($4 FROM 1 FOR {KEY_HEAD_LEN}) \
                         ORDER BY {KEY_HEAD}, key LIMIT $5"
                    ),
                    &[
                        &account.as_str(),
                        &bucket,
                        &range.from.key,
                        &range.end,
                        &(range.limit as i64),
                    ],
                )
                .await
                .db()?;
            for row in rows {
                let key = key_string(row.get(0))?;
                let summary = || {
                    Ok(ObjectSummary {
                        key: key.clone(),
                        size: row.get::<_, i64>(1) as u64,
                        etag: ETag::parse(row.get(2)),
                        last_modified: from_nanos(row.get(3)),
                    })
                };
                if lister.offer(&key, summary)? == Flow::Break {
                    break;
                }
            }
        }
        Ok(lister.finish())
    }
}
