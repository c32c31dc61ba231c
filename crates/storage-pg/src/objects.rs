//! `ObjectStore` for [`PgStore`].

use std::collections::BTreeMap;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use deadpool_postgres::GenericClient;
use futures_util::StreamExt;
use s4_naming::AccountId;
use s4_storage::listing::{above, common_prefix, start_bound, StartBound};
use s4_storage::multipart::{
    admit_part, check_completion, CompleteUpload, PartInfo, PartsPage, UploadInfo, UploadListQuery,
    UploadPart, UploadRef, UploadsPage, MAX_PART_NUMBER,
};
use s4_storage::{
    body, AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, ByteStream, Capabilities,
    ContentHeaders, CopyObject, ETag, GetObjectOutput, ListPage, ListQuery, ObjectAttributes,
    ObjectInfo, ObjectRef, ObjectStore, ObjectSummary, PartLayout, PutObject, StorageError,
    StorageResult, WritePrecondition,
};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

use crate::ingest::{receive, Data, Limits};
use crate::prepared::Prepared;
use crate::usage::UsageDelta;
use crate::{is_violation, Db, PgStore};

pub(crate) fn now() -> (OffsetDateTime, i64) {
    let t = OffsetDateTime::now_utc();
    (t, t.unix_timestamp_nanos() as i64)
}

pub(crate) fn from_nanos(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn encode_attributes(a: &ObjectAttributes) -> String {
    let c = &a.content;
    serde_json::json!({
        "content_type": c.content_type,
        "content_encoding": c.content_encoding,
        "content_language": c.content_language,
        "content_disposition": c.content_disposition,
        "cache_control": c.cache_control,
        "expires": c.expires,
        "meta": a.user_metadata,
    })
    .to_string()
}

fn decode_attributes(text: &str) -> StorageResult<ObjectAttributes> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| StorageError::Internal(format!("corrupt attributes: {e}")))?;
    let field = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_owned);
    let user_metadata = v
        .get("meta")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok(ObjectAttributes {
        content: ContentHeaders {
            content_type: field("content_type"),
            content_encoding: field("content_encoding"),
            content_language: field("content_language"),
            content_disposition: field("content_disposition"),
            cache_control: field("cache_control"),
            expires: field("expires"),
        },
        user_metadata,
    })
}

fn key_string(bytes: Vec<u8>) -> StorageResult<String> {
    String::from_utf8(bytes).map_err(|_| StorageError::Internal("corrupt object key".to_owned()))
}

/// The order in which a transaction locks several object rows.
fn object_order(object: &ObjectRef) -> (&str, &str, &[u8]) {
    (
        object.account.as_str(),
        &object.bucket,
        object.key.as_bytes(),
    )
}

/// Columns of a full object row, in the order [`StoredRow::from_row`] reads them.
/// Keys are up to 1024 characters, 4096 bytes, and a B-tree entry holds at most about 2700:
/// the indexes that order keys hold their first [`KEY_HEAD_LEN`] bytes (migration 3), and
/// listings order by `KEY_HEAD, key`, which is the order of `key` (two keys with different
/// heads compare as their heads do). Lookups by key go through the unique index on
/// `sha256(key)`: `sha256(key) = sha256($n) AND key = $n`.
pub(crate) const KEY_HEAD_LEN: usize = 2000;
const KEY_HEAD: &str = "substring(key FROM 1 FOR 2000)";

const OBJECT_COLUMNS: &str = "key, size, etag, last_modified, attributes, part_count, \
     part_size, last_part_size, inline_data, blobs";

/// An object row.
#[derive(Debug, Clone)]
struct StoredRow {
    info: ObjectInfo,
    inline_data: Option<Vec<u8>>,
    blobs: Vec<String>,
}

impl StoredRow {
    fn from_row(row: &Row) -> StorageResult<Self> {
        let count: Option<i32> = row.get(5);
        let parts = count.map(|count| PartLayout {
            count: count as u32,
            part_size: row.get::<_, Option<i64>>(6).unwrap_or(0) as u64,
            last_part_size: row.get::<_, Option<i64>>(7).unwrap_or(0) as u64,
        });
        Ok(Self {
            info: ObjectInfo {
                key: key_string(row.get(0))?,
                size: row.get::<_, i64>(1) as u64,
                etag: ETag::parse(row.get(2)),
                last_modified: from_nanos(row.get(3)),
                attributes: decode_attributes(row.get(4))?,
                parts,
            },
            inline_data: row.get(8),
            blobs: row.get(9),
        })
    }
}

/// The result of trying to write an object row inside a transaction.
enum Written {
    /// Written; these blobs belonged to the replaced row.
    Done(Vec<String>),
    /// Another transaction inserted the key first: retry the whole decision.
    Raced,
}

/// Replaces (or inserts) the object row of `target` after judging it by
/// [`s4_storage::admit_object`] (the key rules and `precondition` against the current row), which stays locked until the transaction ends, and records the change of
/// the bucket's totals in `usage`.
async fn write_object(
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

/// Checks that the bucket exists and keeps it from being deleted until the transaction ends.
async fn lock_bucket(
    tx: &impl GenericClient,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<()> {
    tx.pquery_opt(
        "SELECT 1 FROM buckets WHERE account = $1 AND name = $2 FOR KEY SHARE",
        &[&account.as_str(), &bucket],
    )
    .await
    .db()?
    .map(|_| ())
    .ok_or(StorageError::NoSuchBucket)
}

async fn bucket_exists(
    client: &impl GenericClient,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<()> {
    client
        .pquery_opt(
            "SELECT 1 FROM buckets WHERE account = $1 AND name = $2",
            &[&account.as_str(), &bucket],
        )
        .await
        .db()?
        .map(|_| ())
        .ok_or(StorageError::NoSuchBucket)
}

/// The upload row (`NoSuchBucket`, `NoSuchUpload`). When `lock`, first the bucket
/// (`FOR KEY SHARE`, see [`lock_bucket`]) and then the upload row (`FOR UPDATE`) are locked
/// until the transaction ends: the lock order of every transaction that changes counters.
async fn find_upload(
    client: &impl GenericClient,
    upload: &UploadRef,
    lock: bool,
) -> StorageResult<Row> {
    let t = &upload.target;
    if lock {
        lock_bucket(client, &t.account, &t.bucket).await?;
    }
    let sql = if lock {
        "SELECT initiated, attributes FROM uploads WHERE upload_id = $1 AND account = $2 \
         AND bucket = $3 AND key = $4 FOR UPDATE"
    } else {
        "SELECT initiated, attributes FROM uploads WHERE upload_id = $1 AND account = $2 \
         AND bucket = $3 AND key = $4"
    };
    let row = client
        .pquery_opt(
            sql,
            &[
                &upload.upload_id,
                &t.account.as_str(),
                &t.bucket,
                &t.key.as_bytes(),
            ],
        )
        .await
        .db()?;
    match row {
        Some(row) => Ok(row),
        None => {
            if !lock {
                bucket_exists(client, &t.account, &t.bucket).await?;
            }
            Err(StorageError::NoSuchUpload)
        }
    }
}

fn part_info(row: &Row) -> PartInfo {
    let md5: Vec<u8> = row.get(2);
    let mut bin = [0u8; 16];
    if md5.len() == 16 {
        bin.copy_from_slice(&md5);
    }
    PartInfo {
        number: row.get::<_, i32>(0) as u32,
        etag: ETag::from_md5(&bin),
        size: row.get::<_, i64>(1) as u64,
        last_modified: from_nanos(row.get(3)),
    }
}

impl PgStore {
    fn limits(
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
    async fn discard(&self, blob: Option<String>) {
        if let Some(name) = blob {
            if let Err(e) = self.blobs.delete(&name).await {
                tracing::warn!(blob = %name, error = %e, "deleting an uncommitted blob failed");
            }
        }
    }

    /// Streams `range` of a stored object. A `NotFound` error means the row was replaced and
    /// its blobs deleted after it was read.
    async fn open_range(&self, row: &StoredRow, range: Range<u64>) -> StorageResult<ByteStream> {
        if let Some(data) = &row.inline_data {
            let bytes = Bytes::copy_from_slice(&data[range.start as usize..range.end as usize]);
            return Ok(body::once(bytes));
        }
        let Some(layout) = row.info.parts else {
            let Some(name) = row.blobs.first() else {
                return Ok(body::once(Bytes::new()));
            };
            return self.blobs.read(name, range).await;
        };
        let mut streams = Vec::new();
        let (mut index, mut offset) = layout.locate(range.start);
        let mut remaining = range.end - range.start;
        while remaining > 0 {
            let Some(name) = row.blobs.get(index as usize) else {
                return Err(StorageError::Internal("object is missing parts".to_owned()));
            };
            let part_len = if index + 1 == layout.count {
                layout.last_part_size
            } else {
                layout.part_size
            };
            let take = (part_len - offset).min(remaining);
            streams.push(self.blobs.read(name, offset..offset + take).await?);
            remaining -= take;
            index += 1;
            offset = 0;
        }
        Ok(Box::pin(futures_util::stream::iter(streams).flatten()))
    }

    async fn load_object(&self, object: &ObjectRef) -> StorageResult<StoredRow> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                &format!(
                    "SELECT {OBJECT_COLUMNS} FROM objects WHERE account = $1 AND bucket = $2 \
                     AND sha256(key) = sha256($3) AND key = $3"
                ),
                &[
                    &object.account.as_str(),
                    &object.bucket,
                    &object.key.as_bytes(),
                ],
            )
            .await
            .db()?;
        match row {
            Some(row) => StoredRow::from_row(&row),
            None => {
                bucket_exists(&client, &object.account, &object.bucket).await?;
                Err(StorageError::NoSuchKey)
            }
        }
    }

    /// Commits `new` as the object `target` (retrying when another insert raced), then
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
}

#[async_trait]
impl ObjectStore for PgStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            conditional_writes: true,
            multipart: true,
            copy: true,
            bucket_policies: true,
            max_object_size: self.config.max_object_size,
            min_part_size: self.config.min_part_size,
            usage_counters: true,
        }
    }

    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let (created, nanos) = now();
        let client = self.client().await?;
        let n = client
            .pexecute(
                "INSERT INTO buckets (account, name, created) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&account.as_str(), &bucket, &nanos],
            )
            .await
            .db()?;
        if n == 0 {
            return Err(StorageError::BucketAlreadyOwnedByYou);
        }
        Ok(BucketInfo {
            name: bucket.to_owned(),
            created,
        })
    }

    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()> {
        // One statement: the bucket's counter rows go with it (ON DELETE CASCADE), and the
        // objects' and uploads' foreign keys refuse while anything remains.
        self.retry(|| async move {
            let client = self.client().await?;
            match client
                .pexecute(
                    "DELETE FROM buckets WHERE account = $1 AND name = $2",
                    &[&account.as_str(), &bucket],
                )
                .await
            {
                Ok(0) => Err(StorageError::NoSuchBucket),
                Ok(_) => Ok(()),
                Err(e) if is_violation(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                    Err(StorageError::BucketNotEmpty)
                }
                Err(e) => Err(crate::db_err(&e)),
            }
        })
        .await
    }

    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                "SELECT name, created FROM buckets WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket],
            )
            .await
            .db()?
            .ok_or(StorageError::NoSuchBucket)?;
        Ok(BucketInfo {
            name: row.get(0),
            created: from_nanos(row.get(1)),
        })
    }

    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        let client = self.client().await?;
        let rows = client
            .pquery(
                "SELECT name, created FROM buckets WHERE account = $1 ORDER BY name",
                &[&account.as_str()],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|row| BucketInfo {
                name: row.get(0),
                created: from_nanos(row.get(1)),
            })
            .collect())
    }

    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                "SELECT policy FROM buckets WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket],
            )
            .await
            .db()?
            .ok_or(StorageError::NoSuchBucket)?;
        row.get::<_, Option<String>>(0)
            .ok_or(StorageError::NoSuchBucketPolicy)
    }

    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        let n = client
            .pexecute(
                "UPDATE buckets SET policy = $3 WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket, &policy],
            )
            .await
            .db()?;
        if n == 0 {
            return Err(StorageError::NoSuchBucket);
        }
        Ok(())
    }

    async fn put_object(&self, request: PutObject) -> StorageResult<ObjectInfo> {
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

    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput> {
        let mut attempt = 0;
        loop {
            let row = self.load_object(object).await?;
            let (served, resolved) = match range {
                Some(range) => {
                    let resolved = range
                        .resolve(row.info.size)
                        .ok_or(StorageError::InvalidRange)?;
                    (Some(resolved.clone()), resolved)
                }
                None => (None, 0..row.info.size),
            };
            match self.open_range(&row, resolved).await {
                Ok(body) => {
                    return Ok(GetObjectOutput {
                        info: row.info,
                        range: served,
                        body,
                    })
                }
                // Overwritten (and its blob deleted) between the row read and the open.
                Err(StorageError::Io(e))
                    if e.kind() == std::io::ErrorKind::NotFound && attempt < 5 =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        Ok(self.load_object(object).await?.info)
    }

    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()> {
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

    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        let client = self.client().await?;
        bucket_exists(&client, account, bucket).await?;
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
        let end = above(prefix.as_bytes());
        let mut last: Option<String> = None;
        'scan: loop {
            if lower >= end {
                break;
            }
            let want =
                (query.max_keys - page.objects.len() - page.common_prefixes.len() + 1) as i64;
            let op = if inclusive { ">=" } else { ">" };
            let rows = client
                .pquery(
                    &format!(
                        "SELECT key, size, etag, last_modified FROM objects WHERE account = $1 \
                         AND bucket = $2 AND key {op} $3 AND key < $4 \
                         AND {KEY_HEAD} >= substring($3 FROM 1 FOR {KEY_HEAD_LEN}) \
                         AND {KEY_HEAD} <= substring($4 FROM 1 FOR {KEY_HEAD_LEN}) \
                         ORDER BY {KEY_HEAD}, key LIMIT $5"
                    ),
                    &[&account.as_str(), &bucket, &lower, &end, &want],
                )
                .await
                .db()?;
            let fetched = rows.len() as i64;
            let mut seek: Option<Vec<u8>> = None;
            for row in rows {
                let key = key_string(row.get(0))?;
                let full = page.objects.len() + page.common_prefixes.len() >= query.max_keys;
                if let Some(cp) = delimiter.and_then(|d| common_prefix(&key, prefix, d)) {
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
                page.objects.push(ObjectSummary {
                    size: row.get::<_, i64>(1) as u64,
                    etag: ETag::parse(row.get(2)),
                    last_modified: from_nanos(row.get(3)),
                    key: key.clone(),
                });
                last = Some(key);
            }
            match seek {
                Some(next) => {
                    lower = next;
                    inclusive = true;
                }
                None if fetched < want => break,
                None => match &last {
                    Some(key) => {
                        lower = key.as_bytes().to_vec();
                        inclusive = false;
                    }
                    None => break,
                },
            }
        }
        if page.is_truncated {
            page.next_start_after = last;
        }
        Ok(page)
    }

    async fn copy_object(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
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

    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        s4_storage::admit_upload_key(&target.key)?;
        let upload_id = hex::encode(rand::random::<[u8; 32]>());
        let (initiated, nanos) = now();
        let encoded = encode_attributes(&attributes);
        let (id, encoded) = (&upload_id, &encoded);
        self.retry(|| async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.db()?;
            lock_bucket(&tx, &target.account, &target.bucket).await?;
            tx.pexecute(
                "INSERT INTO uploads (upload_id, account, bucket, key, initiated, attributes) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    id,
                    &target.account.as_str(),
                    &target.bucket,
                    &target.key.as_bytes(),
                    &nanos,
                    encoded,
                ],
            )
            .await
            .db()?;
            let mut usage = UsageDelta::new();
            usage.add(target.account.as_str(), &target.bucket, 0, 0, 1);
            usage.apply(&tx).await?;
            tx.commit().await.db()
        })
        .await?;
        Ok(UploadInfo {
            upload_id,
            key: target.key.clone(),
            initiated,
            attributes,
        })
    }

    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        let UploadPart {
            upload,
            part_number,
            body,
            content_length,
            content_md5,
        } = request;
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(StorageError::InvalidPart(format!(
                "part number {part_number} is outside 1..={MAX_PART_NUMBER}"
            )));
        }
        {
            let client = self.client().await?;
            find_upload(&client, &upload, false).await?;
        }
        let received = receive(
            &*self.blobs,
            body,
            self.limits(content_length, content_md5, false),
        )
        .await?;
        let blob = received.blob();
        let result = self.commit_part(&upload, part_number, &received).await;
        match result {
            Ok((info, released)) => {
                self.release(released).await;
                Ok(info)
            }
            Err((e, released)) => {
                self.discard(blob).await;
                self.release(released).await;
                Err(e)
            }
        }
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        let client = self.client().await?;
        find_upload(&client, upload, false).await?;
        let mut page = PartsPage::default();
        if max_parts == 0 {
            return Ok(page);
        }
        let rows = client
            .pquery(
                "SELECT number, size, md5, last_modified FROM parts WHERE upload_id = $1 \
                 AND number > $2 ORDER BY number LIMIT $3",
                &[
                    &upload.upload_id,
                    &(part_number_marker.min(i32::MAX as u32) as i32),
                    &(max_parts as i64 + 1),
                ],
            )
            .await
            .db()?;
        page.parts = rows.iter().map(part_info).collect();
        if page.parts.len() > max_parts {
            page.parts.truncate(max_parts);
            page.is_truncated = true;
            page.next_part_number_marker = page.parts.last().map(|p| p.number);
        }
        Ok(page)
    }

    async fn complete_multipart_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        let CompleteUpload {
            upload,
            parts,
            precondition,
        } = request;
        let target = &upload.target;
        let (upload, parts, precondition) = (&upload, &parts, &precondition);
        let (info, old) = self
            .retry(|| async move {
                loop {
                    let mut client = self.client().await?;
                    let tx = client.transaction().await.db()?;
                    let upload_row = find_upload(&tx, upload, true).await?;
                    let rows = tx
                        .pquery(
                            "SELECT number, size, md5, last_modified, blob FROM parts \
                     WHERE upload_id = $1 ORDER BY number",
                            &[&upload.upload_id],
                        )
                        .await
                        .db()?;
                    let stored: BTreeMap<u32, PartInfo> = rows
                        .iter()
                        .map(|r| {
                            let info = part_info(r);
                            (info.number, info)
                        })
                        .collect();
                    let layout = check_completion(&stored, parts)?;
                    let md5s: Vec<[u8; 16]> = rows
                        .iter()
                        .map(|r| {
                            let v: Vec<u8> = r.get(2);
                            let mut b = [0u8; 16];
                            if v.len() == 16 {
                                b.copy_from_slice(&v);
                            }
                            b
                        })
                        .collect();
                    let (last_modified, nanos) = now();
                    let new = StoredRow {
                        info: ObjectInfo {
                            key: target.key.clone(),
                            size: layout.total_size(),
                            etag: ETag::multipart(md5s.iter()),
                            last_modified,
                            attributes: decode_attributes(upload_row.get(1))?,
                            parts: Some(layout),
                        },
                        inline_data: None,
                        blobs: rows.iter().map(|r| r.get(4)).collect(),
                    };
                    // The bucket is locked already (find_upload), and so is the upload row.
                    let mut usage = UsageDelta::new();
                    match write_object(&tx, target, &new, nanos, precondition, &mut usage).await? {
                        Written::Raced => {}
                        Written::Done(old) => {
                            tx.pexecute(
                                "DELETE FROM parts WHERE upload_id = $1",
                                &[&upload.upload_id],
                            )
                            .await
                            .db()?;
                            tx.pexecute(
                                "DELETE FROM uploads WHERE upload_id = $1",
                                &[&upload.upload_id],
                            )
                            .await
                            .db()?;
                            usage.add(target.account.as_str(), &target.bucket, 0, 0, -1);
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

    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        let released = self
            .retry(|| async move {
                let mut client = self.client().await?;
                let tx = client.transaction().await.db()?;
                find_upload(&tx, upload, true).await?;
                let released = delete_uploads(&tx, std::slice::from_ref(&upload.upload_id)).await?;
                tx.commit().await.db()?;
                Ok(released)
            })
            .await?;
        self.release(released).await;
        Ok(())
    }

    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        let client = self.client().await?;
        bucket_exists(&client, account, bucket).await?;
        let key_marker = query.key_marker.as_deref();
        let seq_marker: Option<i64> = match (key_marker, query.upload_id_marker.as_deref()) {
            (Some(key), Some(id)) => client
                .pquery_opt(
                    "SELECT seq FROM uploads WHERE upload_id = $1 AND account = $2 \
                     AND bucket = $3 AND key = $4",
                    &[&id, &account.as_str(), &bucket, &key.as_bytes()],
                )
                .await
                .db()?
                .map(|r| r.get(0)),
            _ => None,
        };
        let prefix = query.prefix.as_bytes();
        let end = above(prefix);
        let marker_bytes: Vec<u8> = key_marker
            .map(|m| m.as_bytes().to_vec())
            .unwrap_or_default();
        let rows = client
            .pquery(
                &format!(
                    "SELECT upload_id, key, initiated, attributes FROM uploads \
                     WHERE account = $1 AND bucket = $2 AND key >= $3 AND key < $4 \
                     AND {KEY_HEAD} >= substring($3 FROM 1 FOR {KEY_HEAD_LEN}) \
                     AND {KEY_HEAD} <= substring($4 FROM 1 FOR {KEY_HEAD_LEN}) \
                     AND (NOT $5 OR key > $6 OR (key = $6 AND seq > $7)) \
                     ORDER BY {KEY_HEAD}, key, seq"
                ),
                &[
                    &account.as_str(),
                    &bucket,
                    &prefix,
                    &end,
                    &key_marker.is_some(),
                    &marker_bytes,
                    &seq_marker.unwrap_or(i64::MAX),
                ],
            )
            .await
            .db()?;
        let mut uploads = Vec::with_capacity(rows.len());
        for row in &rows {
            uploads.push(UploadInfo {
                upload_id: row.get(0),
                key: key_string(row.get(1))?,
                initiated: from_nanos(row.get(2)),
                attributes: decode_attributes(row.get(3))?,
            });
        }
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        let mut page = UploadsPage::default();
        if query.max_uploads == 0 {
            return Ok(page);
        }
        let mut count = 0;
        let mut last_prefix: Option<String> = None;
        for upload in uploads {
            let common = delimiter.and_then(|d| common_prefix(&upload.key, &query.prefix, d));
            if let Some(common) = common {
                if key_marker.is_some_and(|m| common <= m) || last_prefix.as_deref() == Some(common)
                {
                    continue;
                }
            }
            if count == query.max_uploads {
                page.is_truncated = true;
                break;
            }
            count += 1;
            match common {
                Some(common) => {
                    last_prefix = Some(common.to_owned());
                    page.next_key_marker = Some(common.to_owned());
                    page.next_upload_id_marker = None;
                    page.common_prefixes.push(common.to_owned());
                }
                None => {
                    page.next_key_marker = Some(upload.key.clone());
                    page.next_upload_id_marker = Some(upload.upload_id.clone());
                    page.uploads.push(upload);
                }
            }
        }
        if !page.is_truncated {
            page.next_key_marker = None;
            page.next_upload_id_marker = None;
        }
        Ok(page)
    }

    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        let cutoff = cutoff
            .unix_timestamp_nanos()
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        let (count, released) = self
            .retry(|| async move {
                let mut client = self.client().await?;
                let tx = client.transaction().await.db()?;
                // The lock order of every counter-changing transaction: buckets (in order),
                // then upload rows (in order), then counter rows (in delete_uploads).
                tx.pexecute(
                    "SELECT 1 FROM buckets b WHERE EXISTS (SELECT 1 FROM uploads u \
                     WHERE u.account = b.account AND u.bucket = b.name AND u.initiated < $1) \
                     ORDER BY b.account, b.name FOR KEY SHARE",
                    &[&cutoff],
                )
                .await
                .db()?;
                let ids: Vec<String> = tx
                    .pquery(
                        "SELECT upload_id FROM uploads WHERE initiated < $1 \
                         ORDER BY upload_id FOR UPDATE",
                        &[&cutoff],
                    )
                    .await
                    .db()?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let released = delete_uploads(&tx, &ids).await?;
                tx.commit().await.db()?;
                Ok((ids.len() as u64, released))
            })
            .await?;
        self.release(released).await;
        Ok(count)
    }

    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        let client = self.client().await?;
        crate::usage::bucket_usage(&client, account, bucket).await
    }

    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        let client = self.client().await?;
        crate::usage::all_bucket_usage(&client).await
    }
}

/// Deletes uploads and their parts and takes them off their buckets' counters; returns the
/// parts' blobs. The caller holds the buckets' and the uploads' locks and commits.
async fn delete_uploads(tx: &impl GenericClient, ids: &[String]) -> StorageResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let blobs = tx
        .pquery(
            "DELETE FROM parts WHERE upload_id = ANY($1) RETURNING blob",
            &[&ids],
        )
        .await
        .db()?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let deleted = tx
        .pquery(
            "DELETE FROM uploads WHERE upload_id = ANY($1) RETURNING account, bucket",
            &[&ids],
        )
        .await
        .db()?;
    let mut usage = UsageDelta::new();
    for row in &deleted {
        usage.add(row.get(0), row.get(1), 0, 0, -1);
    }
    usage.apply(tx).await?;
    Ok(blobs)
}

type PartCommit = Result<(PartInfo, Vec<String>), (StorageError, Vec<String>)>;

impl PgStore {
    /// Records a received part, judged by `admit_part` under the upload's row lock. Returns
    /// blobs to release (parts of an upload the refusal aborted) either way.
    async fn commit_part(
        &self,
        upload: &UploadRef,
        number: u32,
        received: &crate::ingest::Received,
    ) -> PartCommit {
        let inner = self.retry(|| async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.db()?;
            find_upload(&tx, upload, true).await?;
            let sizes: BTreeMap<u32, u64> = tx
                .pquery(
                    "SELECT number, size FROM parts WHERE upload_id = $1",
                    &[&upload.upload_id],
                )
                .await
                .db()?
                .iter()
                .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, i64>(1) as u64))
                .collect();
            if let Err(rejection) =
                admit_part(&sizes, number, received.size, self.config.min_part_size)
            {
                let mut released = Vec::new();
                if rejection.aborts_upload {
                    released = delete_uploads(&tx, std::slice::from_ref(&upload.upload_id)).await?;
                    tx.commit().await.db()?;
                }
                return Ok(Err((rejection.error, released)));
            }
            let (last_modified, nanos) = now();
            let Data::Blob(name) = &received.data else {
                return Err(StorageError::Internal("parts are always blobs".to_owned()));
            };
            tx.pexecute(
                "INSERT INTO parts (upload_id, number, size, md5, last_modified, blob) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &upload.upload_id,
                    &(number as i32),
                    &(received.size as i64),
                    &received.md5.as_slice(),
                    &nanos,
                    name,
                ],
            )
            .await
            .db()?;
            tx.commit().await.db()?;
            Ok(Ok(PartInfo {
                number,
                etag: ETag::from_md5(&received.md5),
                size: received.size,
                last_modified,
            }))
        });
        match inner.await {
            Ok(Ok(info)) => Ok((info, Vec::new())),
            Ok(Err((e, released))) => Err((e, released)),
            Err(e) => Err((e, Vec::new())),
        }
    }
}
