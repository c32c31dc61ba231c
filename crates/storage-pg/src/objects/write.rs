//! Writing object rows: the one decision every write makes under the row lock (key rules and
//! precondition against the current row), PutObject and DeleteObject.

use deadpool_postgres::GenericClient;
use s4_storage::quota::UsageChange;
use s4_storage::{
    ETag, ObjectInfo, ObjectRef, PutObject, StorageError, StorageResult, WritePrecondition,
};
use tokio_postgres::error::SqlState;

use super::buckets::{bucket_exists, lock_bucket};
use super::row::{encode_attributes, now, StoredRow};
use crate::ingest::{receive, Data, Limits};
use crate::prepared::Prepared;
use crate::usage::UsageDelta;
use crate::{is_violation, Db, PgStore};

/// The result of trying to write an object row inside a transaction.
pub(super) enum Written {
    /// Written; these blobs belonged to the replaced row.
    Done(Vec<String>),
    /// Another transaction inserted the key first: retry the whole decision.
    Raced,
}

/// Replaces (or inserts) the object row of `target` after judging it by
/// [`s4_storage::admit_object`] (the key rules and `precondition` against the current row), which stays locked until the transaction ends, and records the change of
/// the bucket's totals in `usage`.
pub(super) async fn write_object(
    tx: &impl GenericClient,
    target: &ObjectRef,
    new: &StoredRow,
    modified: i64,
    precondition: &WritePrecondition,
    usage: &mut UsageDelta,
) -> StorageResult<Written> {
    let account = target.account.as_str();
    let key = target.key.as_bytes();
    let current = tx
        .pquery_opt(
            "SELECT etag, blobs, size FROM objects WHERE account = $1 AND bucket = $2 \
             AND sha256(key) = sha256($3) AND key = $3 FOR UPDATE",
            &[&account, &target.bucket, &key],
        )
        .await
        .db()?;
    let current_etag = current.as_ref().map(|r| ETag::parse(r.get(0)));
    s4_storage::admit_object(
        &target.key,
        new.info.size,
        precondition,
        current_etag.as_ref(),
    )?;
    let layout = new.info.parts;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 12] = [
        &account,
        &target.bucket,
        &key,
        &(new.info.size as i64),
        &new.info.etag.as_str(),
        &modified,
        &encode_attributes(&new.info.attributes),
        &layout.map(|l| l.count as i32),
        &layout.map(|l| l.part_size as i64),
        &layout.map(|l| l.last_part_size as i64),
        &new.inline_data,
        &new.blobs,
    ];
    match current {
        Some(row) => {
            tx.pexecute(
                "UPDATE objects SET size = $4, etag = $5, last_modified = $6, attributes = $7, \
                 part_count = $8, part_size = $9, last_part_size = $10, inline_data = $11, \
                 blobs = $12 WHERE account = $1 AND bucket = $2 AND sha256(key) = sha256($3) AND key = $3",
                &params,
            )
            .await
            .db()?;
            usage.replace(
                account,
                &target.bucket,
                Some(row.get(2)),
                new.info.size as i64,
            );
            Ok(Written::Done(row.get(1)))
        }
        None => {
            let inserted = tx
                .pexecute(
                    "INSERT INTO objects (account, bucket, key, size, etag, last_modified, \
                     attributes, part_count, part_size, last_part_size, inline_data, blobs) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT DO NOTHING",
                    &params,
                )
                .await;
            match inserted {
                Ok(0) => Ok(Written::Raced),
                Ok(_) => {
                    usage.replace(account, &target.bucket, None, new.info.size as i64);
                    Ok(Written::Done(Vec::new()))
                }
                Err(e) if is_violation(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                    Err(StorageError::NoSuchBucket)
                }
                Err(e) => Err(crate::db_err(&e)),
            }
        }
    }
}

/// Judges, before the body is read, storing `length` bytes at `target` over what is there.
async fn precheck_object(
    client: &impl GenericClient,
    target: &ObjectRef,
    length: u64,
) -> StorageResult<()> {
    let replaced = client
        .pquery_opt(
            "SELECT size FROM objects WHERE account = $1 AND bucket = $2 \
             AND sha256(key) = sha256($3) AND key = $3",
            &[
                &target.account.as_str(),
                &target.bucket,
                &target.key.as_bytes(),
            ],
        )
        .await
        .db()?
        .map(|r| r.get::<_, i64>(0).max(0) as u64);
    let change = UsageChange {
        bytes_added: length,
        bytes_removed: replaced.unwrap_or(0),
        objects_added: u64::from(replaced.is_none()),
    };
    crate::quota::precheck(client, &target.account, &change).await
}

impl PgStore {
    pub(super) fn limits(
        &self,
        content_length: Option<u64>,
        content_md5: Option<[u8; 16]>,
        inline: bool,
    ) -> Limits {
        Limits {
            content_length,
            content_md5,
            max_size: self.config.max_object_size,
            inline_limit: inline.then_some(self.config.inline_limit),
        }
    }

    /// Deletes a blob that no row refers to yet (a write that did not commit).
    pub(super) async fn discard(&self, blob: Option<String>) {
        if let Some(name) = blob {
            if let Err(e) = self.blobs.delete(&name).await {
                tracing::warn!(blob = %name, error = %e, "deleting an uncommitted blob failed");
            }
        }
    }

    /// releases the replaced blobs.
    async fn commit_object(
        &self,
        target: &ObjectRef,
        new: &StoredRow,
        modified: i64,
        precondition: &WritePrecondition,
    ) -> StorageResult<()> {
        let old = self
            .retry(|| async move {
                loop {
                    let mut client = self.client().await?;
                    let tx = client.transaction().await.db()?;
                    lock_bucket(&tx, &target.account, &target.bucket).await?;
                    let mut usage = UsageDelta::new();
                    match write_object(&tx, target, new, modified, precondition, &mut usage).await?
                    {
                        Written::Raced => {}
                        Written::Done(old) => {
                            usage.apply(&tx).await?;
                            tx.commit().await.db()?;
                            return Ok(old);
                        }
                    }
                }
            })
            .await?;
        self.release(old).await;
        Ok(())
    }

    pub(super) async fn put(&self, request: PutObject) -> StorageResult<ObjectInfo> {
        let PutObject {
            target,
            attributes,
            body,
            content_length,
            content_md5,
            precondition,
        } = request;
        // Fail fast for a bad key or a missing bucket; the commit checks again.
        s4_storage::admit_key(&target.key, content_length)?;
        {
            let client = self.client().await?;
            bucket_exists(&client, &target.account, &target.bucket).await?;
            // A declared length past the quota is refused before the body is read.
            if let Some(length) = content_length {
                precheck_object(&client, &target, length).await?;
            }
        }
        let received = receive(
            &*self.blobs,
            body,
            self.limits(content_length, content_md5, true),
        )
        .await?;
        let blob = received.blob();
        let (last_modified, nanos) = now();
        let (inline_data, blobs) = match received.data {
            Data::Inline(data) => (Some(data), Vec::new()),
            Data::Blob(name) => (None, vec![name]),
        };
        let row = StoredRow {
            info: ObjectInfo {
                key: target.key.clone(),
                size: received.size,
                etag: ETag::from_md5(&received.md5),
                last_modified,
                attributes,
                parts: None,
            },
            inline_data,
            blobs,
        };
        match self
            .commit_object(&target, &row, nanos, &precondition)
            .await
        {
            Ok(()) => Ok(row.info),
            Err(e) => {
                self.discard(blob).await;
                Err(e)
            }
        }
    }

    pub(super) async fn delete(&self, object: &ObjectRef) -> StorageResult<()> {
        let old = self
            .retry(|| async move {
                let mut client = self.client().await?;
                let tx = client.transaction().await.db()?;
                lock_bucket(&tx, &object.account, &object.bucket).await?;
                let row = tx
                    .pquery_opt(
                        "DELETE FROM objects WHERE account = $1 AND bucket = $2 AND sha256(key) = sha256($3) AND key = $3 \
                         RETURNING blobs, size",
                        &[
                            &object.account.as_str(),
                            &object.bucket,
                            &object.key.as_bytes(),
                        ],
                    )
                    .await
                    .db()?;
                // Deleting nothing changes nothing: no counter update, and nothing to commit.
                let Some(row) = row else {
                    return Ok(Vec::new());
                };
                let mut usage = UsageDelta::new();
                usage.add(
                    object.account.as_str(),
                    &object.bucket,
                    -1,
                    -row.get::<_, i64>(1),
                    0,
                );
                usage.apply(&tx).await?;
                tx.commit().await.db()?;
                Ok(row.get::<_, Vec<String>>(0))
            })
            .await?;
        self.release(old).await;
        Ok(())
    }
}
