//! The `objects` row: its columns, its attribute encoding and the conversions between
//! PostgreSQL's signed integers and S4's values.

use s4_storage::{
    ContentHeaders, ETag, ObjectAttributes, ObjectInfo, ObjectRef, PartLayout, StorageError,
    StorageResult,
};
use time::OffsetDateTime;
use tokio_postgres::Row;

pub(crate) fn now() -> (OffsetDateTime, i64) {
    let t = OffsetDateTime::now_utc();
    (t, t.unix_timestamp_nanos() as i64)
}

pub(crate) fn from_nanos(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(super) fn encode_attributes(a: &ObjectAttributes) -> String {
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

pub(super) fn decode_attributes(text: &str) -> StorageResult<ObjectAttributes> {
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

pub(super) fn key_string(bytes: Vec<u8>) -> StorageResult<String> {
    String::from_utf8(bytes).map_err(|_| StorageError::Internal("corrupt object key".to_owned()))
}

/// The order in which a transaction locks several object rows.
pub(super) fn object_order(object: &ObjectRef) -> (&str, &str, &[u8]) {
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
pub(super) const KEY_HEAD_LEN: usize = 2000;
pub(super) const KEY_HEAD: &str = "substring(key FROM 1 FOR 2000)";

pub(super) const OBJECT_COLUMNS: &str = "key, size, etag, last_modified, attributes, part_count, \
     part_size, last_part_size, inline_data, blobs";

/// An object row.
#[derive(Debug, Clone)]
pub(super) struct StoredRow {
    pub(super) info: ObjectInfo,
    pub(super) inline_data: Option<Vec<u8>>,
    pub(super) blobs: Vec<String>,
}

impl StoredRow {
    pub(super) fn from_row(row: &Row) -> StorageResult<Self> {
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
