//! `ObjectStore` for [`FsStore`]: buckets, objects, listings, copies. Multipart uploads are in
//! `multipart.rs`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use s4_naming::AccountId;
use s4_storage::multipart::{
    CompleteUpload, PartInfo, PartsPage, UploadInfo, UploadListQuery, UploadPart, UploadRef,
    UploadsPage,
};
use s4_storage::quota::{AccountQuota, AccountUsage};
use s4_storage::{
    AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, Capabilities, CopyObject, ETag,
    GetObjectOutput, ListPage, ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, ObjectStore,
    PutObject, StorageError, StorageResult,
};
use time::OffsetDateTime;

use crate::codec::{BucketRecord, Data, ObjectRecord, Seal};
use crate::usage::{self, Delta};
use crate::write::{commit, group_commit, group_commit_async, receive, Spooled};
use crate::{
    blocking, decref, incref, keys, list, read, BlobId, Db, FsStore, Inner, PinGuard, BLOBS,
    BUCKETS, OBJECTS, UPLOADS,
};

/// How often a GET retries when the object it read was replaced before its blobs were pinned.
const READ_RETRIES: usize = 16;

impl ObjectRecord {
    pub(crate) fn info(&self, key: &str) -> ObjectInfo {
        ObjectInfo {
            key: key.to_owned(),
            size: self.size,
            etag: self.etag.clone(),
            last_modified: self.last_modified,
            attributes: self.attributes.clone(),
            parts: self.parts,
        }
    }
}

/// Reads the bucket record in a read transaction (`NoSuchBucket` if absent).
pub(crate) fn read_bucket(
    txn: &ReadTransaction,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<BucketRecord> {
    let table = txn.open_table(BUCKETS).db()?;
    let row = table.get(keys::bucket(account, bucket).as_slice()).db()?;
    match row {
        Some(v) => BucketRecord::decode(v.value()),
        None => Err(StorageError::NoSuchBucket),
    }
}

/// The same inside a write transaction.
pub(crate) fn write_bucket_exists(
    txn: &WriteTransaction,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<()> {
    let table = txn.open_table(BUCKETS).db()?;
    let exists = table
        .get(keys::bucket(account, bucket).as_slice())
        .db()?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(StorageError::NoSuchBucket)
    }
}

/// Replaces (or creates) the object `target` with `record` inside `txn`, after judging it by
/// [`s4_storage::admit_object`] (the key rules and `precondition` against the current object), and moves the bucket's usage totals by the
/// difference (a new key adds an object). `record`'s blobs must already hold a reference for
/// this record; the replaced object's blobs lose theirs. The caller has checked, in `txn`,
/// that the bucket exists.
pub(crate) fn swap_object(
    txn: &WriteTransaction,
    target: &ObjectRef,
    record: &ObjectRecord,
    precondition: &s4_storage::WritePrecondition,
    freed: &mut Vec<BlobId>,
) -> StorageResult<()> {
    let object_key = keys::object(&target.account, &target.bucket, &target.key);
    let mut objects = txn.open_table(OBJECTS).db()?;
    let current = match objects.get(object_key.as_slice()).db()? {
        Some(v) => Some(ObjectRecord::decode(v.value())?),
        None => None,
    };
    s4_storage::admit_object(
        &target.key,
        record.size,
        precondition,
        current.as_ref().map(|c| &c.etag),
    )?;
    objects
        .insert(object_key.as_slice(), record.encode().as_slice())
        .db()?;
    let delta = Delta::replace(current.as_ref().map(|c| c.size), record.size);
    if let Some(current) = current {
        let mut refs = txn.open_table(BLOBS).db()?;
        for id in current.data.blobs() {
            decref(&mut refs, *id, freed)?;
        }
    }
    usage::adjust(txn, &keys::bucket(&target.account, &target.bucket), delta)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl FsStore {
    fn read_txn(&self) -> StorageResult<ReadTransaction> {
        self.inner.db.begin_read().db()
    }

    /// Reads an object's record and pins its blobs, retrying when a concurrent overwrite
    /// released them in between.
    pub(crate) fn pinned_record(
        inner: &Arc<Inner>,
        object: &ObjectRef,
    ) -> StorageResult<(ObjectRecord, Option<PinGuard>)> {
        for _ in 0..READ_RETRIES {
            let record = {
                let txn = inner.db.begin_read().db()?;
                read_bucket(&txn, &object.account, &object.bucket)?;
                let table = txn.open_table(OBJECTS).db()?;
                let key = keys::object(&object.account, &object.bucket, &object.key);
                let row = table.get(key.as_slice()).db()?;
                match row {
                    Some(v) => ObjectRecord::decode(v.value())?,
                    None => return Err(StorageError::NoSuchKey),
                }
            };
            let blobs = record.data.blobs();
            if blobs.is_empty() {
                return Ok((record, None));
            }
            let guard = PinGuard::new(inner, blobs);
            // A release that committed before this transaction began removed the reference
            // (retry); one that commits later sees the pin and leaves the file to us.
            let live = {
                let txn = inner.db.begin_read().db()?;
                let refs = txn.open_table(BLOBS).db()?;
                let mut live = true;
                for id in blobs {
                    if refs.get(&id.0[..]).db()?.is_none() {
                        live = false;
                        break;
                    }
                }
                live
            };
            if live {
                return Ok((record, Some(guard)));
            }
        }
        Err(StorageError::Internal(
            "object kept changing while it was read".to_owned(),
        ))
    }

    /// Bulk-loads small objects into a bucket, many per transaction: for benchmarks and
    /// imports that fill millions of keys, where one durable commit per object would take
    /// hours. Each object is stored inline (it must be at most the inline threshold) and
    /// replaces any existing one; the data is durable when this returns.
    #[doc(hidden)]
    pub fn bulk_load_inline(
        &self,
        account: &AccountId,
        bucket: &str,
        objects: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> StorageResult<u64> {
        use md5::{Digest, Md5};
        const BATCH: usize = 50_000;
        let inner = &self.inner;
        let mut iter = objects.into_iter().peekable();
        let mut loaded = 0u64;
        while iter.peek().is_some() {
            let txn = inner.begin_write()?;
            write_bucket_exists(&txn, account, bucket)?;
            let mut freed = Vec::new();
            let mut delta = Delta::default();
            {
                let mut table = txn.open_table(OBJECTS).db()?;
                let mut refs = txn.open_table(BLOBS).db()?;
                for (key, bytes) in iter.by_ref().take(BATCH) {
                    if bytes.len() > inner.config.inline_threshold {
                        return Err(StorageError::Internal(
                            "bulk_load_inline takes inline-sized objects only".to_owned(),
                        ));
                    }
                    let md5: [u8; 16] = Md5::digest(&bytes).into();
                    let record = ObjectRecord {
                        size: bytes.len() as u64,
                        etag: ETag::from_md5(&md5),
                        last_modified: now(),
                        attributes: ObjectAttributes::default(),
                        parts: None,
                        data: Data::Inline(bytes),
                        seal: Seal::Absent,
                    };
                    let k = keys::object(account, bucket, &key);
                    let old = table
                        .insert(k.as_slice(), record.encode().as_slice())
                        .db()?
                        .map(|v| ObjectRecord::decode(v.value()))
                        .transpose()?;
                    delta = delta.and(Delta::replace(old.as_ref().map(|o| o.size), record.size));
                    if let Some(old) = old {
                        for id in old.data.blobs() {
                            decref(&mut refs, *id, &mut freed)?;
                        }
                    }
                    loaded += 1;
                }
            }
            usage::adjust(&txn, &keys::bucket(account, bucket), delta)?;
            inner.commit(txn)?;
            inner.release(&freed);
        }
        Ok(loaded)
    }
}

#[async_trait]
impl ObjectStore for FsStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            conditional_writes: true,
            multipart: true,
            copy: true,
            bucket_policies: true,
            max_object_size: self.inner.config.max_object_size,
            min_part_size: self.inner.config.min_part_size,
            usage_counters: true,
            storage_quotas: true,
        }
    }

    fn policy_cache_epoch(&self) -> Option<u64> {
        Some(self.inner.policy_epoch.load(Ordering::Acquire))
    }

    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let inner = self.inner.clone();
        let (account, name) = (*account, bucket.to_owned());
        let result = blocking(move || {
            inner.admit_write(0)?;
            commit(&inner, None, |txn, _| {
                let mut table = txn.open_table(BUCKETS).db()?;
                let key = keys::bucket(&account, &name);
                if table.get(key.as_slice()).db()?.is_some() {
                    return Err(StorageError::BucketAlreadyOwnedByYou);
                }
                crate::quota::admit_bucket(txn, &account)?;
                let record = BucketRecord {
                    created: now(),
                    policy: None,
                };
                table
                    .insert(key.as_slice(), record.encode().as_slice())
                    .db()?;
                usage::create(txn, &key)?;
                Ok(Ok(BucketInfo {
                    name,
                    created: record.created,
                }))
            })
        })
        .await;
        self.inner.policy_epoch.fetch_add(1, Ordering::Release);
        result
    }

    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()> {
        let inner = self.inner.clone();
        let (account, name) = (*account, bucket.to_owned());
        let result = blocking(move || {
            commit(&inner, None, |txn, _| {
                write_bucket_exists(txn, &account, &name)?;
                let prefix = keys::bucket_prefix(&account, &name);
                let end = keys::above(&prefix);
                for table in [OBJECTS, UPLOADS] {
                    let table = txn.open_table(table).db()?;
                    if table
                        .range::<&[u8]>(prefix.as_slice()..end.as_slice())
                        .db()?
                        .next()
                        .is_some()
                    {
                        return Err(StorageError::BucketNotEmpty);
                    }
                }
                let key = keys::bucket(&account, &name);
                txn.open_table(BUCKETS).db()?.remove(key.as_slice()).db()?;
                usage::remove(txn, &key)?;
                Ok(Ok(()))
            })
        })
        .await;
        self.inner.policy_epoch.fetch_add(1, Ordering::Release);
        result
    }

    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let txn = self.read_txn()?;
        let record = read_bucket(&txn, account, bucket)?;
        Ok(BucketInfo {
            name: bucket.to_owned(),
            created: record.created,
        })
    }

    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        let txn = self.read_txn()?;
        let table = txn.open_table(BUCKETS).db()?;
        let prefix = account.as_str().as_bytes();
        let end = keys::above(prefix);
        let mut out = Vec::new();
        for row in table.range::<&[u8]>(prefix..end.as_slice()).db()? {
            let (k, v) = row.db()?;
            let name = std::str::from_utf8(&k.value()[prefix.len()..])
                .map_err(|_| StorageError::Internal("corrupt bucket name".to_owned()))?
                .to_owned();
            out.push(BucketInfo {
                name,
                created: BucketRecord::decode(v.value())?.created,
            });
        }
        Ok(out)
    }

    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        let txn = self.read_txn()?;
        read_bucket(&txn, account, bucket)?
            .policy
            .ok_or(StorageError::NoSuchBucketPolicy)
    }

    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let inner = self.inner.clone();
        let (account, name) = (*account, bucket.to_owned());
        let result = blocking(move || {
            commit(&inner, None, |txn, _| {
                let mut table = txn.open_table(BUCKETS).db()?;
                let key = keys::bucket(&account, &name);
                let mut record = match table.get(key.as_slice()).db()? {
                    Some(v) => BucketRecord::decode(v.value())?,
                    None => return Err(StorageError::NoSuchBucket),
                };
                record.policy = policy;
                table
                    .insert(key.as_slice(), record.encode().as_slice())
                    .db()?;
                Ok(Ok(()))
            })
        })
        .await;
        self.inner.policy_epoch.fetch_add(1, Ordering::Release);
        result
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
            let txn = self.read_txn()?;
            read_bucket(&txn, &target.account, &target.bucket)?;
            // A declared length past the quota is refused before the body is read.
            if let Some(length) = content_length {
                crate::quota::precheck_object(&txn, &target, length)?;
            }
        }
        let received = receive(
            &self.inner,
            body,
            content_length,
            content_md5,
            Some(self.inner.config.inline_threshold),
        )
        .await?;
        let (data, new_blob) = match received.data {
            Spooled::Inline(bytes) => (Data::Inline(bytes), None),
            Spooled::File { id, tmp } => (Data::Blob(id), Some((id, tmp))),
        };
        let inline_bytes = match &data {
            Data::Inline(bytes) => bytes.len(),
            _ => 0,
        };
        let (size, md5) = (received.size, received.md5);
        // May run more than once (group commit): clones what it stores.
        let txn = move |txn: &WriteTransaction, freed: &mut Vec<BlobId>| {
            write_bucket_exists(txn, &target.account, &target.bucket)?;
            let record = ObjectRecord {
                size,
                etag: ETag::from_md5(&md5),
                last_modified: now(),
                attributes: attributes.clone(),
                parts: None,
                data: data.clone(),
                seal: Seal::Absent,
            };
            if let Data::Blob(id) = &record.data {
                let mut refs = txn.open_table(BLOBS).db()?;
                incref(&mut refs, *id)?;
            }
            swap_object(txn, &target, &record, &precondition, freed)?;
            Ok(Ok(record.info(&target.key)))
        };
        match new_blob {
            None => group_commit_async(&self.inner, inline_bytes, txn).await,
            // Placing the blob (rename, directory sync) blocks, and a rejected write must
            // remove it even if this future is dropped: all of it on one blocking thread.
            Some(blob) => {
                let inner = self.inner.clone();
                blocking(move || group_commit(&inner, &blob, txn)).await
            }
        }
    }

    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput> {
        // Metadata only (cached B-tree pages, microseconds), so on the executor like HEAD; the
        // file reads happen on the stream's blocking thread.
        let (record, pinned) = FsStore::pinned_record(&self.inner, object)?;
        let resolved = match range {
            Some(r) => Some(r.resolve(record.size).ok_or(StorageError::InvalidRange)?),
            None => None,
        };
        let span = resolved.clone().unwrap_or(0..record.size);
        let info = record.info(&object.key);
        let part_count = record.parts.map(|layout| layout.count);
        let expected = if self.inner.config.verify_reads {
            read::Expected::for_read(&record.etag, record.size, &span, part_count)
        } else {
            read::Expected::Unchecked
        };
        let body = match (record.data, pinned) {
            (Data::Inline(bytes), _) => {
                read::inline_body(&self.inner, bytes, record.seal, span, &expected)?
            }
            (Data::Blob(id), Some(pinned)) => {
                read::stream(pinned, read::blob_segments(id, span), expected)
            }
            (Data::Parts(ids), Some(pinned)) => {
                let layout = record.parts.ok_or_else(|| {
                    StorageError::Internal("multipart object without a layout".to_owned())
                })?;
                read::stream(pinned, read::part_segments(&ids, &layout, span), expected)
            }
            (_, None) => {
                return Err(StorageError::Internal(
                    "blobs of a read not pinned".to_owned(),
                ))
            }
        };
        Ok(GetObjectOutput {
            info,
            range: resolved,
            body,
        })
    }

    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        let txn = self.read_txn()?;
        read_bucket(&txn, &object.account, &object.bucket)?;
        let table = txn.open_table(OBJECTS).db()?;
        let key = keys::object(&object.account, &object.bucket, &object.key);
        let row = table.get(key.as_slice()).db()?;
        match row {
            Some(v) => Ok(ObjectRecord::decode(v.value())?.info(&object.key)),
            None => Err(StorageError::NoSuchKey),
        }
    }

    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()> {
        let keys = [object.key.clone()];
        self.delete_objects(&object.account, &object.bucket, &keys)
            .await?
            .pop()
            .unwrap_or(Ok(()))
    }

    async fn delete_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        keys: &[String],
    ) -> StorageResult<Vec<StorageResult<()>>> {
        // Nothing to delete: no durable commit needed, only the bucket check.
        let present = {
            let txn = self.read_txn()?;
            read_bucket(&txn, account, bucket)?;
            let table = txn.open_table(OBJECTS).db()?;
            let mut present = false;
            for key in keys {
                if table
                    .get(keys::object(account, bucket, key).as_slice())
                    .db()?
                    .is_some()
                {
                    present = true;
                    break;
                }
            }
            present
        };
        if present {
            self.inner.make_room_to_free();
            let (account, name, keys_owned) = (*account, bucket.to_owned(), keys.to_vec());
            group_commit_async(&self.inner, 0, move |txn, freed| {
                write_bucket_exists(txn, &account, &name)?;
                let mut table = txn.open_table(OBJECTS).db()?;
                let mut refs = txn.open_table(BLOBS).db()?;
                let mut delta = Delta::default();
                for key in &keys_owned {
                    let k = keys::object(&account, &name, key);
                    let old = table
                        .remove(k.as_slice())
                        .db()?
                        .map(|v| ObjectRecord::decode(v.value()))
                        .transpose()?;
                    if let Some(old) = old {
                        delta = delta.and(Delta::removed(old.size));
                        for id in old.data.blobs() {
                            decref(&mut refs, *id, freed)?;
                        }
                    }
                }
                usage::adjust(txn, &keys::bucket(&account, &name), delta)?;
                Ok(Ok(()))
            })
            .await?;
        }
        Ok(keys.iter().map(|_| Ok(())).collect())
    }

    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        let inner = self.inner.clone();
        let (account, bucket, query) = (*account, bucket.to_owned(), query.clone());
        blocking(move || {
            let txn = inner.db.begin_read().db()?;
            read_bucket(&txn, &account, &bucket)?;
            let table = txn.open_table(OBJECTS).db()?;
            list::list_page(&table, &keys::bucket_prefix(&account, &bucket), &query)
        })
        .await
    }

    /// Copies share blobs: object and part files are immutable once written, so the copy's
    /// record points at the source's blobs and each blob's reference count in `blob_refs`
    /// goes up by one; a blob is deleted when its last reference goes. A copy is thus one
    /// metadata transaction, atomic with the source read and both conditions, whatever the
    /// size. Inline objects are copied inside the record.
    async fn copy_object(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
        let inner = self.inner.clone();
        blocking(move || {
            let CopyObject {
                source,
                source_conditions,
                target,
                replace_attributes,
                precondition,
            } = request;
            let precondition = precondition.for_copy_target();
            // Metadata only (the copy shares the source's blobs), but it adds a record.
            inner.admit_write(0)?;
            commit(&inner, None, |txn, freed| {
                let source_record = {
                    write_bucket_exists(txn, &source.account, &source.bucket)?;
                    let table = txn.open_table(OBJECTS).db()?;
                    let key = keys::object(&source.account, &source.bucket, &source.key);
                    let row = table.get(key.as_slice()).db()?;
                    match row {
                        Some(v) => ObjectRecord::decode(v.value())?,
                        None => return Err(StorageError::NoSuchKey),
                    }
                };
                source_conditions
                    .evaluate(&source_record.etag, source_record.last_modified)
                    .map_err(|_| StorageError::PreconditionFailed)?;
                // A copy seals the bytes afresh: damaged ones must not come out looking good.
                if source_record.seal == Seal::Broken {
                    inner.integrity.count_damaged_read();
                    return Err(StorageError::Io(read::damaged()));
                }
                write_bucket_exists(txn, &target.account, &target.bucket)?;
                let record = ObjectRecord {
                    last_modified: now(),
                    attributes: replace_attributes
                        .unwrap_or_else(|| source_record.attributes.clone()),
                    ..source_record
                };
                {
                    let mut refs = txn.open_table(BLOBS).db()?;
                    for id in record.data.blobs() {
                        incref(&mut refs, *id)?;
                    }
                }
                swap_object(txn, &target, &record, &precondition, freed)?;
                Ok(Ok(record.info(&target.key)))
            })
        })
        .await
    }

    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        self.create_upload(target, attributes).await
    }

    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        self.store_part(request).await
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        self.parts_page(upload, part_number_marker, max_parts)
    }

    async fn complete_multipart_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        self.complete_upload(request).await
    }

    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        self.abort_upload(upload).await
    }

    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        self.uploads_page(account, bucket, query)
    }

    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        self.expire_uploads(cutoff).await
    }

    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        // One lookup in cached pages, like HEAD: on the executor.
        usage::read(&self.read_txn()?, account, bucket)
    }

    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        let inner = self.inner.clone();
        blocking(move || usage::read_all(&inner.db.begin_read().db()?)).await
    }

    async fn account_quota(&self, account: &AccountId) -> StorageResult<AccountQuota> {
        crate::quota::read(&self.read_txn()?, account)
    }

    async fn set_account_quota(
        &self,
        account: &AccountId,
        quota: AccountQuota,
    ) -> StorageResult<()> {
        let inner = self.inner.clone();
        let account = *account;
        blocking(move || {
            commit(&inner, None, |txn, _| {
                crate::quota::write(txn, &account, &quota)?;
                Ok(Ok(()))
            })
        })
        .await
    }

    async fn account_quotas(&self) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
        crate::quota::read_all(&self.read_txn()?)
    }

    async fn account_usage(&self, account: &AccountId) -> StorageResult<AccountUsage> {
        crate::quota::read_usage(&self.read_txn()?, account)
    }
}
