//! Multipart uploads. Parts are blobs written by the same durable path as objects and judged
//! by [`admit_part`] inside the transaction that records them. Completion is metadata only:
//! the object's record lists the parts' blobs and the `PartLayout`, and the blobs' references
//! pass from the part records to the object record unchanged.

use std::collections::BTreeMap;

use redb::{ReadableTable, WriteTransaction};
use s4_naming::AccountId;
use s4_storage::multipart::{
    admit_part, check_completion, precheck_part, CompleteUpload, PartInfo, PartsPage, UploadInfo,
    UploadListQuery, UploadPart, UploadRef, UploadsPage,
};
use s4_storage::{ETag, ObjectAttributes, ObjectInfo, ObjectRef, StorageError, StorageResult};
use time::OffsetDateTime;

use crate::codec::{Data, ObjectRecord, PartRecord, Seal, UploadRecord};
use crate::objects::{read_bucket, swap_object, write_bucket_exists};
use crate::usage::{self, Delta};
use crate::write::{commit, receive, Spooled};
use crate::{
    blocking, decref, incref, keys, BinRead, BlobId, Db, FsStore, BLOBS, META, PARTS, UPLOADS,
};
use s4_storage::listing::uploads_page;

/// The upload's row key and record, if it exists for that key (`NoSuchUpload` otherwise).
fn find_upload(
    uploads: &impl BinRead,
    upload: &UploadRef,
) -> StorageResult<(Vec<u8>, UploadRecord)> {
    let mut key = keys::bucket_prefix(&upload.target.account, &upload.target.bucket);
    key.extend_from_slice(upload.upload_id.as_bytes());
    let record = match uploads.get(key.as_slice()).db()? {
        Some(v) => UploadRecord::decode(v.value())?,
        None => return Err(StorageError::NoSuchUpload),
    };
    if record.key != upload.target.key {
        return Err(StorageError::NoSuchUpload);
    }
    Ok((key, record))
}

/// The stored parts of an upload, in part-number order.
fn parts_of(parts: &impl BinRead, upload_id: &str) -> StorageResult<Vec<(u32, PartRecord)>> {
    let start = keys::part(upload_id, 0);
    let end = keys::part(upload_id, u32::MAX);
    let mut out = Vec::new();
    for row in parts
        .range::<&[u8]>(start.as_slice()..=end.as_slice())
        .db()?
    {
        let (k, v) = row.db()?;
        let k = k.value();
        let number = u32::from_be_bytes(
            k[k.len() - 4..]
                .try_into()
                .map_err(|_| StorageError::Internal("corrupt part key".to_owned()))?,
        );
        out.push((number, PartRecord::decode(v.value())?));
    }
    Ok(out)
}

/// Deletes an upload and its parts, releasing the parts' blobs, and counts it out of its
/// bucket's uploads in progress.
fn remove_upload(
    txn: &WriteTransaction,
    upload_key: &[u8],
    upload_id: &str,
    freed: &mut Vec<BlobId>,
) -> StorageResult<()> {
    let removed = txn
        .open_table(UPLOADS)
        .db()?
        .remove(upload_key)
        .db()?
        .is_some();
    let mut parts = txn.open_table(PARTS).db()?;
    let stored = parts_of(&parts, upload_id)?;
    if removed {
        let bucket_key = keys::bucket_of_row(upload_key)
            .ok_or_else(|| StorageError::Internal("corrupt upload key".to_owned()))?;
        let part_bytes = stored.iter().map(|(_, p)| p.size).sum();
        usage::adjust(
            txn,
            &bucket_key,
            Delta::uploads(-1).and(Delta::parts_removed(part_bytes)),
        )?;
    }
    let mut refs = txn.open_table(BLOBS).db()?;
    for (number, part) in stored {
        parts
            .remove(keys::part(upload_id, number).as_slice())
            .db()?;
        decref(&mut refs, part.blob, freed)?;
    }
    Ok(())
}

fn part_info(number: u32, part: &PartRecord) -> PartInfo {
    PartInfo {
        number,
        etag: ETag::from_md5(&part.md5),
        size: part.size,
        last_modified: part.last_modified,
    }
}

/// The next value of the store's sequence counter.
pub(crate) fn next_seq(txn: &WriteTransaction) -> StorageResult<u64> {
    let mut meta = txn.open_table(META).db()?;
    let next = meta.get("seq").db()?.map_or(0, |v| v.value()) + 1;
    meta.insert("seq", next).db()?;
    Ok(next)
}

impl FsStore {
    pub(crate) async fn create_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        s4_storage::admit_upload_key(&target.key)?;
        let inner = self.inner.clone();
        let target = target.clone();
        blocking(move || {
            inner.admit_write(0)?;
            commit(&inner, None, |txn, _| {
                write_bucket_exists(txn, &target.account, &target.bucket)?;
                let upload_id = hex::encode(rand::random::<[u8; 16]>());
                let record = UploadRecord {
                    key: target.key.clone(),
                    seq: next_seq(txn)?,
                    initiated: OffsetDateTime::now_utc(),
                    attributes,
                };
                let mut key = keys::bucket_prefix(&target.account, &target.bucket);
                key.extend_from_slice(upload_id.as_bytes());
                txn.open_table(UPLOADS)
                    .db()?
                    .insert(key.as_slice(), record.encode().as_slice())
                    .db()?;
                usage::adjust(
                    txn,
                    &keys::bucket(&target.account, &target.bucket),
                    Delta::uploads(1),
                )?;
                Ok(Ok(UploadInfo {
                    upload_id,
                    key: record.key,
                    initiated: record.initiated,
                    attributes: record.attributes,
                }))
            })
        })
        .await
    }

    pub(crate) async fn store_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        let (upload, part_number) = (&request.upload, request.part_number);
        precheck_part(part_number, async {
            let txn = self.inner.db.begin_read().db()?;
            read_bucket(&txn, &upload.target.account, &upload.target.bucket)?;
            find_upload(&txn.open_table(UPLOADS).db()?, upload)?;
            // A declared length past the quota is refused before the body is read.
            match request.content_length {
                Some(length) => {
                    let change = Delta::part(length).quota_change();
                    crate::quota::precheck(&txn, &upload.target.account, &change)
                }
                None => Ok(()),
            }
        })
        .await?;
        let (length, md5) = (request.content_length, request.content_md5);
        let received = receive(&self.inner, request.body, length, md5, None).await?;
        let upload = request.upload;
        let Spooled::File { id, tmp } = received.data else {
            return Err(StorageError::Internal(
                "a part was not spooled to a file".to_owned(),
            ));
        };
        let (size, md5) = (received.size, received.md5);
        let inner = self.inner.clone();
        let min_part_size = inner.config.min_part_size;
        blocking(move || {
            commit(&inner, Some(&(id, tmp)), |txn, freed| {
                write_bucket_exists(txn, &upload.target.account, &upload.target.bucket)?;
                let (upload_key, _) = find_upload(&txn.open_table(UPLOADS).db()?, &upload)?;
                let stored = parts_of(&txn.open_table(PARTS).db()?, &upload.upload_id)?;
                let sizes: BTreeMap<u32, u64> = stored.iter().map(|(n, p)| (*n, p.size)).collect();
                if let Err(rejection) = admit_part(&sizes, part_number, size, min_part_size) {
                    if !rejection.aborts_upload {
                        return Err(rejection.error);
                    }
                    // Commit the abort of the whole upload, then fail.
                    remove_upload(txn, &upload_key, &upload.upload_id, freed)?;
                    freed.push(id);
                    return Ok(Err(rejection.error));
                }
                usage::adjust(
                    txn,
                    &keys::bucket(&upload.target.account, &upload.target.bucket),
                    Delta::part(size),
                )?;
                let record = PartRecord {
                    size,
                    md5,
                    last_modified: OffsetDateTime::now_utc(),
                    blob: id,
                };
                txn.open_table(PARTS)
                    .db()?
                    .insert(
                        keys::part(&upload.upload_id, part_number).as_slice(),
                        record.encode().as_slice(),
                    )
                    .db()?;
                incref(&mut txn.open_table(BLOBS).db()?, id)?;
                Ok(Ok(part_info(part_number, &record)))
            })
        })
        .await
    }

    pub(crate) fn parts_page(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        let txn = self.inner.db.begin_read().db()?;
        read_bucket(&txn, &upload.target.account, &upload.target.bucket)?;
        find_upload(&txn.open_table(UPLOADS).db()?, upload)?;
        let mut page = PartsPage::default();
        if max_parts == 0 || part_number_marker == u32::MAX {
            return Ok(page);
        }
        let parts = txn.open_table(PARTS).db()?;
        let start = keys::part(&upload.upload_id, part_number_marker + 1);
        let end = keys::part(&upload.upload_id, u32::MAX);
        for row in parts
            .range::<&[u8]>(start.as_slice()..=end.as_slice())
            .db()?
        {
            let (k, v) = row.db()?;
            if page.parts.len() == max_parts {
                page.is_truncated = true;
                page.next_part_number_marker = page.parts.last().map(|p| p.number);
                break;
            }
            let k = k.value();
            let mut number = [0u8; 4];
            number.copy_from_slice(&k[k.len() - 4..]);
            page.parts.push(part_info(
                u32::from_be_bytes(number),
                &PartRecord::decode(v.value())?,
            ));
        }
        Ok(page)
    }

    pub(crate) async fn complete_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        let inner = self.inner.clone();
        blocking(move || {
            inner.admit_write(0)?;
            let CompleteUpload {
                upload,
                parts,
                precondition,
            } = request;
            commit(&inner, None, |txn, freed| {
                write_bucket_exists(txn, &upload.target.account, &upload.target.bucket)?;
                let (upload_key, record) = find_upload(&txn.open_table(UPLOADS).db()?, &upload)?;
                let stored = parts_of(&txn.open_table(PARTS).db()?, &upload.upload_id)?;
                let infos: BTreeMap<u32, PartInfo> =
                    stored.iter().map(|(n, p)| (*n, part_info(*n, p))).collect();
                let layout = check_completion(&infos, &parts)?;
                let object = ObjectRecord {
                    size: layout.total_size(),
                    etag: ETag::multipart(stored.iter().map(|(_, p)| &p.md5)),
                    last_modified: OffsetDateTime::now_utc(),
                    attributes: record.attributes,
                    parts: Some(layout),
                    data: Data::Parts(stored.iter().map(|(_, p)| p.blob).collect()),
                    seal: Seal::Absent,
                };
                // The parts' blob references move to the object: drop the part rows without
                // touching the counts.
                txn.open_table(UPLOADS)
                    .db()?
                    .remove(upload_key.as_slice())
                    .db()?;
                // The parts' bytes become the object's, counted by `swap_object`.
                let part_bytes = stored.iter().map(|(_, p)| p.size).sum();
                usage::adjust(
                    txn,
                    &keys::bucket(&upload.target.account, &upload.target.bucket),
                    Delta::uploads(-1).and(Delta::parts_removed(part_bytes)),
                )?;
                {
                    let mut table = txn.open_table(PARTS).db()?;
                    for (number, _) in &stored {
                        table
                            .remove(keys::part(&upload.upload_id, *number).as_slice())
                            .db()?;
                    }
                }
                swap_object(txn, &upload.target, &object, &precondition, freed)?;
                Ok(Ok(object.info(&upload.target.key)))
            })
        })
        .await
    }

    pub(crate) async fn abort_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        let inner = self.inner.clone();
        let upload = upload.clone();
        blocking(move || {
            inner.make_room_to_free();
            commit(&inner, None, |txn, freed| {
                write_bucket_exists(txn, &upload.target.account, &upload.target.bucket)?;
                let (upload_key, _) = find_upload(&txn.open_table(UPLOADS).db()?, &upload)?;
                remove_upload(txn, &upload_key, &upload.upload_id, freed)?;
                Ok(Ok(()))
            })
        })
        .await
    }

    pub(crate) fn uploads_page(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        let txn = self.inner.db.begin_read().db()?;
        read_bucket(&txn, account, bucket)?;
        let table = txn.open_table(UPLOADS).db()?;
        let prefix = keys::bucket_prefix(account, bucket);
        let end = keys::above(&prefix);
        let mut all: Vec<(String, UploadRecord)> = Vec::new();
        for row in table
            .range::<&[u8]>(prefix.as_slice()..end.as_slice())
            .db()?
        {
            let (k, v) = row.db()?;
            let id = String::from_utf8(k.value()[prefix.len()..].to_vec())
                .map_err(|_| StorageError::Internal("corrupt upload ID".to_owned()))?;
            let record = UploadRecord::decode(v.value())?;
            if record.key.starts_with(&query.prefix) {
                all.push((id, record));
            }
        }
        let key_marker = query.key_marker.as_deref();
        // With an upload-ID marker, uploads of the marker key created after that upload still
        // follow; an unknown upload-ID marker skips the whole key.
        let seq_marker = key_marker.and_then(|key| {
            let id = query.upload_id_marker.as_deref()?;
            all.iter()
                .find(|(i, r)| i == id && r.key == key)
                .map(|(_, r)| r.seq)
        });
        all.retain(|(_, r)| match key_marker {
            None => true,
            Some(m) => r.key.as_str() > m || (r.key == m && seq_marker.is_some_and(|s| r.seq > s)),
        });
        all.sort_by(|a, b| a.1.key.cmp(&b.1.key).then(a.1.seq.cmp(&b.1.seq)));
        let uploads: Vec<UploadInfo> = all
            .into_iter()
            .map(|(upload_id, record)| UploadInfo {
                upload_id,
                key: record.key,
                initiated: record.initiated,
                attributes: record.attributes,
            })
            .collect();
        Ok(uploads_page(&uploads, query))
    }

    pub(crate) async fn expire_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        let inner = self.inner.clone();
        blocking(move || {
            commit(&inner, None, |txn, freed| {
                let mut expired: Vec<(Vec<u8>, String)> = Vec::new();
                {
                    let table = txn.open_table(UPLOADS).db()?;
                    for row in table.iter().db()? {
                        let (k, v) = row.db()?;
                        let record = UploadRecord::decode(v.value())?;
                        if record.initiated < cutoff {
                            let k = k.value().to_vec();
                            // account (15) ++ len ++ bucket ++ upload_id
                            let id = k
                                .get(15)
                                .and_then(|len| k.get(16 + usize::from(*len)..))
                                .and_then(|id| String::from_utf8(id.to_vec()).ok())
                                .ok_or_else(|| {
                                    StorageError::Internal("corrupt upload key".to_owned())
                                })?;
                            expired.push((k, id));
                        }
                    }
                }
                for (key, id) in &expired {
                    remove_upload(txn, key, id, freed)?;
                }
                Ok(Ok(expired.len() as u64))
            })
        })
        .await
    }
}
