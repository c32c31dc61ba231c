//! CopyObject: the source row and the target row locked in one transaction, in key order.

use s4_storage::{CopyObject, ObjectInfo, StorageError, StorageResult};

use super::buckets::{bucket_exists, lock_bucket};
use super::row::{now, object_order, StoredRow, OBJECT_COLUMNS};
use super::write::{write_object, Written};
use crate::prepared::Prepared;
use crate::usage::UsageDelta;
use crate::{Db, PgStore};

impl PgStore {
    pub(super) async fn copy(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
        let CopyObject {
            source,
            source_conditions,
            target,
            replace_attributes,
            precondition,
        } = request;
        let precondition = precondition.for_copy_target();
        let (source, target) = (&source, &target);
        let (source_conditions, replace_attributes, precondition) =
            (&source_conditions, &replace_attributes, &precondition);
        // Object rows are locked in (account, bucket, key) order, whichever is the source, so
        // copies in opposite directions (A to B and B to A at once) queue instead of
        // deadlocking. A copy onto itself locks its one row `FOR UPDATE` at once (taking
        // `FOR SHARE` first and upgrading would deadlock two such copies).
        let same = source == target;
        let target_first = !same && object_order(target) < object_order(source);
        let source_lock = if same { "FOR UPDATE" } else { "FOR SHARE" };
        let (info, old) = self
            .retry(|| async move {
                loop {
                    let mut client = self.client().await?;
                    let tx = client.transaction().await.db()?;
                    lock_bucket(&tx, &target.account, &target.bucket).await?;
                    if target_first {
                        tx.pquery_opt(
                            "SELECT 1 FROM objects WHERE account = $1 AND bucket = $2 \
                             AND sha256(key) = sha256($3) AND key = $3 FOR UPDATE",
                            &[
                                &target.account.as_str(),
                                &target.bucket,
                                &target.key.as_bytes(),
                            ],
                        )
                        .await
                        .db()?;
                    }
                    let row = tx
                        .pquery_opt(
                            &format!(
                                "SELECT {OBJECT_COLUMNS} FROM objects WHERE account = $1 \
                                 AND bucket = $2 AND sha256(key) = sha256($3) AND key = $3 {source_lock}"
                            ),
                            &[
                                &source.account.as_str(),
                                &source.bucket,
                                &source.key.as_bytes(),
                            ],
                        )
                        .await
                        .db()?;
                    let Some(row) = row else {
                        bucket_exists(&tx, &source.account, &source.bucket).await?;
                        return Err(StorageError::NoSuchKey);
                    };
                    let stored = StoredRow::from_row(&row)?;
                    source_conditions
                        .evaluate(&stored.info.etag, stored.info.last_modified)
                        .map_err(|_| StorageError::PreconditionFailed)?;
                    let (last_modified, nanos) = now();
                    let new = StoredRow {
                        info: ObjectInfo {
                            key: target.key.clone(),
                            last_modified,
                            attributes: replace_attributes
                                .clone()
                                .unwrap_or_else(|| stored.info.attributes.clone()),
                            ..stored.info.clone()
                        },
                        inline_data: stored.inline_data,
                        blobs: stored.blobs,
                    };
                    let mut usage = UsageDelta::new();
                    match write_object(&tx, target, &new, nanos, precondition, &mut usage).await? {
                        Written::Raced => {}
                        Written::Done(old) => {
                            usage.apply(&tx).await?;
                            tx.commit().await.db()?;
                            return Ok((new.info, old));
                        }
                    }
                }
            })
            .await?;
        self.release(old).await;
        Ok(info)
    }
}
