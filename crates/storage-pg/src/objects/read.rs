//! GetObject and HeadObject: the row, then its bytes (inline, one blob, or a range across
//! the parts of a multipart object).

use std::ops::Range;

use bytes::Bytes;
use futures_util::StreamExt;
use s4_storage::{
    body, ByteRange, ByteStream, GetObjectOutput, ObjectInfo, ObjectRef, StorageError,
    StorageResult,
};

use super::buckets::bucket_exists;
use super::row::{StoredRow, OBJECT_COLUMNS};
use crate::prepared::Prepared;
use crate::{Db, PgStore};

impl PgStore {
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

    pub(super) async fn load_object(&self, object: &ObjectRef) -> StorageResult<StoredRow> {
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

    pub(super) async fn get(
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

    pub(super) async fn head(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        Ok(self.load_object(object).await?.info)
    }
}
