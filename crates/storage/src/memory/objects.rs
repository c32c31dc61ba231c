//! `ObjectStore` for [`MemoryStore`].

use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use s4_naming::AccountId;
use time::OffsetDateTime;

use super::ingest::receive;
use super::{Bucket, MemoryStore, ObjectState, StoredObject, StoredPart, Upload};
use crate::body::ByteStream;
use crate::listing::{objects_page, uploads_page};
use crate::multipart::{
    admit_part, check_completion, precheck_part, CompleteUpload, PartInfo, PartsPage, UploadInfo,
    UploadListQuery, UploadPart, UploadRef, UploadsPage,
};
use crate::object_store::{Capabilities, ObjectStore};
use crate::quota::{AccountQuota, AccountUsage, UsageChange};
use crate::types::{
    AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, CopyObject, ETag, GetObjectOutput,
    ListPage, ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, ObjectSummary, PutObject,
};
use crate::{admit_key, admit_object, admit_upload_key, StorageError, StorageResult};

impl ObjectState {
    fn bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<&Bucket> {
        self.buckets
            .get(&(*account, bucket.to_owned()))
            .ok_or(StorageError::NoSuchBucket)
    }

    fn bucket_mut(&mut self, account: &AccountId, bucket: &str) -> StorageResult<&mut Bucket> {
        self.buckets
            .get_mut(&(*account, bucket.to_owned()))
            .ok_or(StorageError::NoSuchBucket)
    }

    fn object(&self, object: &ObjectRef) -> StorageResult<&Arc<StoredObject>> {
        self.bucket(&object.account, &object.bucket)?
            .objects
            .get(&object.key)
            .ok_or(StorageError::NoSuchKey)
    }

    /// The upload, if it exists in that bucket for that key (`NoSuchUpload` otherwise).
    fn upload(&self, upload: &UploadRef) -> StorageResult<&Upload> {
        let bucket = self.bucket(&upload.target.account, &upload.target.bucket)?;
        bucket
            .uploads
            .get(&upload.upload_id)
            .filter(|u| u.info.key == upload.target.key)
            .ok_or(StorageError::NoSuchUpload)
    }
}

impl Bucket {
    fn upload_mut(&mut self, upload: &UploadRef) -> StorageResult<&mut Upload> {
        self.uploads
            .get_mut(&upload.upload_id)
            .filter(|u| u.info.key == upload.target.key)
            .ok_or(StorageError::NoSuchUpload)
    }
}

/// Streams `range` of an object's segments: slices of the stored buffers, no copies.
fn stream_range(object: &StoredObject, range: Range<u64>) -> ByteStream {
    let segments = Arc::clone(&object.segments);
    let (mut index, mut offset) = match object.info.parts {
        Some(layout) => {
            let (index, offset) = layout.locate(range.start);
            (index as usize, offset)
        }
        None => (0, range.start),
    };
    let mut remaining = range.end - range.start;
    let mut slices = Vec::new();
    while remaining > 0 {
        let Some(segment) = segments.get(index) else {
            break;
        };
        let start = offset as usize;
        let take = (segment.len() - start).min(remaining as usize);
        slices.push(segment.slice(start..start + take));
        remaining -= take as u64;
        index += 1;
        offset = 0;
    }
    crate::body::from_chunks(slices)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn summary(object: &StoredObject) -> ObjectSummary {
    ObjectSummary {
        key: object.info.key.clone(),
        size: object.info.size,
        etag: object.info.etag.clone(),
        last_modified: object.info.last_modified,
    }
}

/// The usage change of storing `size` bytes at a key holding `replaced`.
fn object_change(replaced: Option<&Arc<StoredObject>>, size: u64) -> UsageChange {
    UsageChange {
        bytes_added: size,
        bytes_removed: replaced.map_or(0, |o| o.info.size),
        objects_added: u64::from(replaced.is_none()),
    }
}

/// The usage change of storing a part of `size` bytes (S4 refuses re-uploaded part
/// numbers, so a part never replaces one).
fn part_change(size: u64) -> UsageChange {
    UsageChange {
        bytes_added: size,
        ..UsageChange::default()
    }
}

fn usage_of(bucket: &Bucket) -> BucketUsage {
    BucketUsage {
        objects: bucket.objects.len() as u64,
        bytes: bucket.objects.values().map(|o| o.info.size).sum(),
        uploads_in_progress: bucket.uploads.len() as u64,
    }
}

#[async_trait]
impl ObjectStore for MemoryStore {
    fn capabilities(&self) -> Capabilities {
        self.caps()
    }

    fn policy_cache_epoch(&self) -> Option<u64> {
        Some(self.read_objects().policy_epoch)
    }

    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let mut state = self.write_objects();
        let key = (*account, bucket.to_owned());
        if state.buckets.contains_key(&key) {
            return Err(StorageError::BucketAlreadyOwnedByYou);
        }
        state.admit_bucket(account)?;
        let info = BucketInfo {
            name: bucket.to_owned(),
            created: now(),
        };
        state.buckets.insert(
            key,
            Bucket {
                info: info.clone(),
                policy: None,
                objects: BTreeMap::new(),
                uploads: BTreeMap::new(),
            },
        );
        state.policy_epoch += 1;
        Ok(info)
    }

    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()> {
        let mut state = self.write_objects();
        let found = state.bucket(account, bucket)?;
        if !found.objects.is_empty() || !found.uploads.is_empty() {
            return Err(StorageError::BucketNotEmpty);
        }
        state.buckets.remove(&(*account, bucket.to_owned()));
        state.policy_epoch += 1;
        Ok(())
    }

    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        Ok(self.read_objects().bucket(account, bucket)?.info.clone())
    }

    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        let state = self.read_objects();
        let from = (*account, String::new());
        Ok(state
            .buckets
            .range(from..)
            .take_while(|((owner, _), _)| owner == account)
            .map(|(_, bucket)| bucket.info.clone())
            .collect())
    }

    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        self.read_objects()
            .bucket(account, bucket)?
            .policy
            .clone()
            .ok_or(StorageError::NoSuchBucketPolicy)
    }

    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let mut state = self.write_objects();
        state.bucket_mut(account, bucket)?.policy = policy;
        state.policy_epoch += 1;
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
        admit_key(&target.key, content_length)?;
        {
            // A declared length past the quota is refused before the body is read.
            let state = self.read_objects();
            let replaced = state
                .bucket(&target.account, &target.bucket)?
                .objects
                .get(&target.key);
            if let Some(length) = content_length {
                state.admit_change(&target.account, &object_change(replaced, length))?;
            }
        }
        let received = receive(body, content_length, content_md5, self.max_object_size).await?;

        let mut state = self.write_objects();
        let size = received.bytes.len() as u64;
        let bucket = state.bucket(&target.account, &target.bucket)?;
        let replaced = bucket.objects.get(&target.key);
        admit_object(
            &target.key,
            size,
            &precondition,
            replaced.map(|o| &o.info.etag),
        )?;
        state.admit_change(&target.account, &object_change(replaced, size))?;
        let bucket = state.bucket_mut(&target.account, &target.bucket)?;
        let info = ObjectInfo {
            key: target.key.clone(),
            size: received.bytes.len() as u64,
            etag: ETag::from_md5(&received.md5),
            last_modified: now(),
            attributes,
            parts: None,
        };
        let stored = StoredObject {
            info: info.clone(),
            segments: Arc::from([received.bytes]),
        };
        bucket.objects.insert(target.key, Arc::new(stored));
        Ok(info)
    }

    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput> {
        let stored = Arc::clone(self.read_objects().object(object)?);
        let (served, body) = match range {
            Some(range) => {
                let resolved = range
                    .resolve(stored.info.size)
                    .ok_or(StorageError::InvalidRange)?;
                let body = stream_range(&stored, resolved.clone());
                (Some(resolved), body)
            }
            None => (None, stream_range(&stored, 0..stored.info.size)),
        };
        Ok(GetObjectOutput {
            info: stored.info.clone(),
            range: served,
            body,
        })
    }

    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        Ok(self.read_objects().object(object)?.info.clone())
    }

    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()> {
        self.write_objects()
            .bucket_mut(&object.account, &object.bucket)?
            .objects
            .remove(&object.key);
        Ok(())
    }

    async fn delete_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        keys: &[String],
    ) -> StorageResult<Vec<StorageResult<()>>> {
        let mut state = self.write_objects();
        let bucket = state.bucket_mut(account, bucket)?;
        Ok(keys
            .iter()
            .map(|key| {
                bucket.objects.remove(key);
                Ok(())
            })
            .collect())
    }

    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        let state = self.read_objects();
        let bucket = state.bucket(account, bucket)?;
        let prefix = query.prefix.as_str();
        let marker = query.start_after.as_deref();
        let start = match marker {
            Some(m) if m >= prefix => Bound::Excluded(m),
            _ => Bound::Included(prefix),
        };
        let items = bucket
            .objects
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, object)| (key.as_str(), object));
        Ok(objects_page(items, query, |object| summary(object)))
    }

    async fn copy_object(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
        let CopyObject {
            source,
            source_conditions,
            target,
            replace_attributes,
            precondition,
        } = request;
        let mut state = self.write_objects();
        let source = Arc::clone(state.object(&source)?);
        source_conditions
            .evaluate(&source.info.etag, source.info.last_modified)
            .map_err(|_| StorageError::PreconditionFailed)?;
        let replaced = state
            .bucket(&target.account, &target.bucket)?
            .objects
            .get(&target.key);
        admit_object(
            &target.key,
            source.info.size,
            &precondition.for_copy_target(),
            replaced.map(|o| &o.info.etag),
        )?;
        state.admit_change(&target.account, &object_change(replaced, source.info.size))?;
        let bucket = state.bucket_mut(&target.account, &target.bucket)?;
        let info = ObjectInfo {
            key: target.key.clone(),
            size: source.info.size,
            etag: source.info.etag.clone(),
            last_modified: now(),
            attributes: replace_attributes.unwrap_or_else(|| source.info.attributes.clone()),
            parts: source.info.parts,
        };
        let stored = StoredObject {
            info: info.clone(),
            segments: Arc::clone(&source.segments),
        };
        bucket.objects.insert(target.key, Arc::new(stored));
        Ok(info)
    }

    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        admit_upload_key(&target.key)?;
        let upload_id = hex::encode(rand::random::<[u8; 32]>());
        let mut state = self.write_objects();
        state.bucket(&target.account, &target.bucket)?;
        state.admit_upload_start(&target.account)?;
        state.upload_seq += 1;
        let seq = state.upload_seq;
        let bucket = state.bucket_mut(&target.account, &target.bucket)?;
        let info = UploadInfo {
            upload_id: upload_id.clone(),
            key: target.key.clone(),
            initiated: now(),
            attributes,
        };
        bucket.uploads.insert(
            upload_id,
            Upload {
                info: info.clone(),
                seq,
                parts: BTreeMap::new(),
            },
        );
        Ok(info)
    }

    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        let (upload, part_number) = (&request.upload, request.part_number);
        precheck_part(part_number, async {
            let state = self.read_objects();
            state.upload(upload)?;
            match request.content_length {
                // A declared length past the quota is refused before the body is read.
                Some(length) => state.admit_change(&upload.target.account, &part_change(length)),
                None => Ok(()),
            }
        })
        .await?;
        let received = receive(
            request.body,
            request.content_length,
            request.content_md5,
            self.max_object_size,
        )
        .await?;

        let mut state = self.write_objects();
        let size = received.bytes.len() as u64;
        // Judged after the part rules (which refuse a re-uploaded part number).
        let quota_check = state.admit_change(&upload.target.account, &part_change(size));
        let bucket = state.bucket_mut(&upload.target.account, &upload.target.bucket)?;
        let stored = bucket.upload_mut(upload)?;
        let sizes: BTreeMap<u32, u64> = stored
            .parts
            .iter()
            .map(|(&n, p)| (n, p.info.size))
            .collect();
        if let Err(rejection) = admit_part(&sizes, part_number, size, self.min_part_size) {
            if rejection.aborts_upload {
                bucket.uploads.remove(&upload.upload_id);
            }
            return Err(rejection.error);
        }
        quota_check?;
        let info = PartInfo {
            number: part_number,
            etag: ETag::from_md5(&received.md5),
            size,
            last_modified: now(),
        };
        stored.parts.insert(
            part_number,
            StoredPart {
                info: info.clone(),
                md5: received.md5,
                bytes: received.bytes,
            },
        );
        Ok(info)
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        let state = self.read_objects();
        let stored = state.upload(upload)?;
        let mut page = PartsPage::default();
        if max_parts == 0 {
            return Ok(page);
        }
        let mut after = stored
            .parts
            .range((Bound::Excluded(part_number_marker), Bound::Unbounded));
        page.parts = after
            .by_ref()
            .take(max_parts)
            .map(|(_, p)| p.info.clone())
            .collect();
        if after.next().is_some() {
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
        let mut state = self.write_objects();
        let stored = state.upload(&upload)?;
        let infos: BTreeMap<u32, PartInfo> = stored
            .parts
            .iter()
            .map(|(&n, p)| (n, p.info.clone()))
            .collect();
        let layout = check_completion(&infos, &parts)?;
        let replaced = state
            .bucket(&upload.target.account, &upload.target.bucket)?
            .objects
            .get(&upload.target.key);
        admit_object(
            &upload.target.key,
            layout.total_size(),
            &precondition,
            replaced.map(|o| &o.info.etag),
        )?;
        // The parts' bytes become the object's.
        let mut change = object_change(replaced, layout.total_size());
        change.bytes_removed += infos.values().map(|p| p.size).sum::<u64>();
        state.admit_change(&upload.target.account, &change)?;
        let bucket = state.bucket_mut(&upload.target.account, &upload.target.bucket)?;
        let Some(finished) = bucket.uploads.remove(&upload.upload_id) else {
            return Err(StorageError::NoSuchUpload);
        };
        let etag = ETag::multipart(finished.parts.values().map(|p| &p.md5));
        let segments: Arc<[Bytes]> = finished.parts.into_values().map(|p| p.bytes).collect();
        let info = ObjectInfo {
            key: upload.target.key.clone(),
            size: layout.total_size(),
            etag,
            last_modified: now(),
            attributes: finished.info.attributes,
            parts: Some(layout),
        };
        let object = StoredObject {
            info: info.clone(),
            segments,
        };
        bucket.objects.insert(upload.target.key, Arc::new(object));
        Ok(info)
    }

    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        let mut state = self.write_objects();
        let bucket = state.bucket_mut(&upload.target.account, &upload.target.bucket)?;
        bucket.upload_mut(upload)?;
        bucket.uploads.remove(&upload.upload_id);
        Ok(())
    }

    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        let state = self.read_objects();
        let bucket = state.bucket(account, bucket)?;
        let key_marker = query.key_marker.as_deref();
        // With an upload-ID marker, uploads of the marker key initiated after that upload
        // still follow; an unknown upload-ID marker skips the whole key.
        let seq_marker = key_marker.and_then(|key| {
            let id = query.upload_id_marker.as_deref()?;
            bucket
                .uploads
                .get(id)
                .filter(|u| u.info.key == key)
                .map(|u| u.seq)
        });
        let mut sorted: Vec<&Upload> = bucket
            .uploads
            .values()
            .filter(|u| u.info.key.starts_with(&query.prefix))
            .filter(|u| match key_marker {
                None => true,
                Some(m) => {
                    u.info.key.as_str() > m
                        || (u.info.key == m && seq_marker.is_some_and(|s| u.seq > s))
                }
            })
            .collect();
        sorted.sort_by(|a, b| a.info.key.cmp(&b.info.key).then(a.seq.cmp(&b.seq)));
        Ok(uploads_page(sorted.into_iter().map(|u| &u.info), query))
    }

    // The reference model counts under the read lock: O(objects), exact by construction.
    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        Ok(usage_of(self.read_objects().bucket(account, bucket)?))
    }

    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        let state = self.read_objects();
        Ok(state
            .buckets
            .iter()
            .map(|((account, name), bucket)| AccountBucketUsage {
                account: *account,
                bucket: name.clone(),
                usage: usage_of(bucket),
            })
            .collect())
    }

    async fn account_quota(&self, account: &AccountId) -> StorageResult<AccountQuota> {
        Ok(self
            .read_objects()
            .quotas
            .get(account)
            .copied()
            .unwrap_or_default())
    }

    async fn set_account_quota(
        &self,
        account: &AccountId,
        quota: AccountQuota,
    ) -> StorageResult<()> {
        self.write_objects().set_quota(account, quota);
        Ok(())
    }

    async fn account_quotas(&self) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
        Ok(self
            .read_objects()
            .quotas
            .iter()
            .map(|(a, q)| (*a, *q))
            .collect())
    }

    async fn account_usage(&self, account: &AccountId) -> StorageResult<AccountUsage> {
        Ok(self.read_objects().account_usage(account))
    }

    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        let mut state = self.write_objects();
        let mut expired = 0u64;
        for bucket in state.buckets.values_mut() {
            let before = bucket.uploads.len();
            bucket.uploads.retain(|_, u| u.info.initiated >= cutoff);
            expired += (before - bucket.uploads.len()) as u64;
        }
        Ok(expired)
    }
}
