//! Multipart uploads: creation, UploadPart (judged by `admit_part` under the upload's row
//! lock), ListParts, completion and abort.

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use s4_storage::multipart::{
    admit_part, check_completion, precheck_part, CompleteUpload, PartInfo, PartsPage, UploadInfo,
    UploadPart, UploadRef,
};
use s4_storage::quota::UsageChange;
use s4_storage::{ETag, ObjectAttributes, ObjectInfo, ObjectRef, StorageError, StorageResult};
use tokio_postgres::Row;

use super::buckets::{bucket_exists, lock_bucket};
use super::row::{decode_attributes, encode_attributes, from_nanos, now, StoredRow};
use super::uploads::delete_uploads;
use super::write::{write_object, Written};
use crate::ingest::{receive, Data};
use crate::prepared::Prepared;
use crate::usage::UsageDelta;
use crate::{Db, PgStore};

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
    pub(super) async fn create_upload(
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

    pub(super) async fn store_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        let (upload, part_number) = (&request.upload, request.part_number);
        precheck_part(part_number, async {
            let client = self.client().await?;
            find_upload(&client, upload, false).await?;
            // A declared length past the quota is refused before the body is read.
            match request.content_length {
                Some(length) => {
                    let change = UsageChange {
                        bytes_added: length,
                        ..UsageChange::default()
                    };
                    crate::quota::precheck(&client, &upload.target.account, &change).await
                }
                None => Ok(()),
            }
        })
        .await?;
        let limits = self.limits(request.content_length, request.content_md5, false);
        let received = receive(&*self.blobs, request.body, limits).await?;
        let blob = received.blob();
        let result = self.commit_part(upload, part_number, &received).await;
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

    pub(super) async fn parts_page(
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

    pub(super) async fn complete_upload(
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
                            // The parts' bytes become the object's.
                            let part_bytes: u64 = stored.values().map(|p| p.size).sum();
                            usage.add_part_bytes(
                                target.account.as_str(),
                                &target.bucket,
                                -(part_bytes as i64),
                            );
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

    pub(super) async fn abort_upload(&self, upload: &UploadRef) -> StorageResult<()> {
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
            let mut usage = UsageDelta::new();
            let t = &upload.target;
            usage.add_part_bytes(t.account.as_str(), &t.bucket, received.size as i64);
            usage.apply(&tx).await?;
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
