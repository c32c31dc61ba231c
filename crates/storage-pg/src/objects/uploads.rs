//! ListMultipartUploads, the expiry of stale uploads, and the deletion of uploads with their
//! parts and counters.

use deadpool_postgres::GenericClient;
use s4_naming::AccountId;
use s4_storage::listing::{above, uploads_page};
use s4_storage::multipart::{UploadInfo, UploadListQuery, UploadsPage};
use s4_storage::StorageResult;
use time::OffsetDateTime;

use super::buckets::bucket_exists;
use super::row::{decode_attributes, from_nanos, key_string, KEY_HEAD, KEY_HEAD_LEN};
use crate::prepared::Prepared;
use crate::usage::UsageDelta;
use crate::{Db, PgStore};

impl PgStore {
    pub(super) async fn list_uploads(
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
        Ok(uploads_page(&uploads, query))
    }

    pub(super) async fn expire_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
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
}

/// Deletes uploads and their parts and takes them off their buckets' counters; returns the
/// parts' blobs. The caller holds the buckets' and the uploads' locks and commits.
pub(super) async fn delete_uploads(
    tx: &impl GenericClient,
    ids: &[String],
) -> StorageResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let parts = tx
        .pquery(
            "DELETE FROM parts p USING uploads u WHERE p.upload_id = ANY($1) \
             AND u.upload_id = p.upload_id RETURNING p.blob, u.account, u.bucket, p.size",
            &[&ids],
        )
        .await
        .db()?;
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
    for row in &parts {
        usage.add_part_bytes(row.get(1), row.get(2), -row.get::<_, i64>(3));
    }
    let blobs = parts.iter().map(|r| r.get(0)).collect();
    usage.apply(tx).await?;
    Ok(blobs)
}
