//! Values exchanged with backends: buckets, objects, ranges, conditions, listings.

use std::collections::BTreeMap;
use std::ops::Range;

use md5::{Digest, Md5};
use s4_naming::AccountId;
use time::OffsetDateTime;

use crate::body::ByteStream;

/// An entity tag: the hex MD5 of a simple object's bytes, or `<hex md5 of part md5s>-<N>`
/// for a multipart object. Held without the surrounding quotes; [`ETag::quoted`] adds them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// The ETag of a simple object whose bytes hash to `md5`.
    pub fn from_md5(md5: &[u8; 16]) -> Self {
        Self(hex::encode(md5))
    }

    /// The ETag of a multipart object: MD5 over the concatenated binary part MD5s, `-N`.
    pub fn multipart<'a>(part_md5s: impl IntoIterator<Item = &'a [u8; 16]>) -> Self {
        let mut hasher = Md5::new();
        let mut count = 0u32;
        for md5 in part_md5s {
            hasher.update(md5);
            count += 1;
        }
        Self(format!("{}-{count}", hex::encode(hasher.finalize())))
    }

    /// Takes an ETag as stored by a backend or sent by a client, with or without quotes.
    pub fn parse(value: &str) -> Self {
        let trimmed = value.trim();
        let unquoted = trimmed
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(trimmed);
        Self(unquoted.to_owned())
    }

    /// The binary MD5 of a simple object's ETag (`None` for multipart ETags).
    pub fn md5(&self) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        hex::decode_to_slice(&self.0, &mut out).ok()?;
        Some(out)
    }

    /// The ETag as stored: hex digits, with `-N` for a multipart object, no quotes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ETag as it appears in headers and XML: `"..."`.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// Whether a client-supplied value (quoted or not, or `*`) names this ETag.
    pub fn matches(&self, client_value: &str) -> bool {
        let v = client_value.trim();
        v == "*" || Self::parse(v).0 == self.0
    }
}

impl std::fmt::Display for ETag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The standard content headers a client may set on an object, returned as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentHeaders {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// Kept as the client sent it: S3 echoes `Expires` verbatim.
    pub expires: Option<String>,
}

/// What a client sets on an object besides its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectAttributes {
    /// The content headers stored with the object.
    pub content: ContentHeaders,
    /// `x-amz-meta-*` values keyed by the lower-case name without the prefix.
    pub user_metadata: BTreeMap<String, String>,
}

/// How a multipart object's bytes are laid out. S4 requires parts 1..N-1 to share one size
/// and part N to be no larger, so the part holding any offset is found by division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLayout {
    /// How many parts.
    pub count: u32,
    /// The size of every part but the last.
    pub part_size: u64,
    /// The size of the last part.
    pub last_part_size: u64,
}

impl PartLayout {
    /// The zero-based index of the part that holds byte `offset`, and the offset within it.
    pub fn locate(&self, offset: u64) -> (u32, u64) {
        if self.part_size == 0 {
            return (0, offset);
        }
        let index = (offset / self.part_size).min(u64::from(self.count.saturating_sub(1)));
        (index as u32, offset - index * self.part_size)
    }

    /// The total size of the object.
    pub fn total_size(&self) -> u64 {
        u64::from(self.count.saturating_sub(1)) * self.part_size + self.last_part_size
    }
}

/// A stored object's metadata: everything HEAD answers, without touching the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The ETag.
    pub etag: ETag,
    /// When the object was last written.
    pub last_modified: OffsetDateTime,
    /// Content headers and user metadata.
    pub attributes: ObjectAttributes,
    /// `Some` for objects made by CompleteMultipartUpload.
    pub parts: Option<PartLayout>,
}

/// One entry of an object listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The ETag.
    pub etag: ETag,
    /// When the object was last written.
    pub last_modified: OffsetDateTime,
}

/// A bucket as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    /// The bucket name.
    pub name: String,
    /// When the bucket was created.
    pub created: OffsetDateTime,
}

/// An object's address: buckets are scoped to accounts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// The account owning the bucket.
    pub account: AccountId,
    /// The bucket name.
    pub bucket: String,
    /// The object key.
    pub key: String,
}

/// A single byte range as the `Range` header states it, before the object size is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last`, both inclusive.
    Inclusive {
        /// The first byte.
        first: u64,
        /// The last byte (inclusive).
        last: u64,
    },
    /// `bytes=first-`.
    From {
        /// The first byte.
        first: u64,
    },
    /// `bytes=-len`: the last `len` bytes.
    Suffix {
        /// How many bytes from the end.
        len: u64,
    },
}

impl ByteRange {
    /// The half-open byte range this selects in an object of `size` bytes, or `None` when it is
    /// unsatisfiable (InvalidRange). A `last` beyond the end is clamped, as HTTP says.
    pub fn resolve(self, size: u64) -> Option<Range<u64>> {
        match self {
            Self::Inclusive { first, last } if first <= last && first < size => {
                Some(first..last.saturating_add(1).min(size))
            }
            Self::From { first } if first < size => Some(first..size),
            Self::Suffix { len } if len > 0 && size > 0 => Some(size - len.min(size)..size),
            _ => None,
        }
    }
}

/// Preconditions on a write, decided atomically with it by [`crate::admit_object`].
///
/// Both headers take `*` or a comma-separated list of ETags, quoted or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePrecondition {
    /// `If-Match`: the current object must exist and carry one of these ETags (`*`: must
    /// exist).
    pub if_match: Option<String>,
    /// `If-None-Match`: the current object, if any, must carry none of these ETags (`*`: no
    /// object may exist).
    pub if_none_match: Option<String>,
    /// A missing object fails `If-Match` with `PreconditionFailed` (a CopyObject destination)
    /// instead of `NoSuchKey` (PutObject, CompleteMultipartUpload), as AWS answers.
    missing_fails_precondition: bool,
}

impl WritePrecondition {
    /// A precondition from `If-Match` and `If-None-Match` (either may be `*`).
    pub fn new(if_match: Option<String>, if_none_match: Option<String>) -> Self {
        Self {
            if_match,
            if_none_match,
            missing_fails_precondition: false,
        }
    }

    /// `If-Match: value` alone.
    pub fn if_match(value: &str) -> Self {
        Self::new(Some(value.to_owned()), None)
    }

    /// `If-None-Match: value` alone.
    pub fn if_none_match(value: &str) -> Self {
        Self::new(None, Some(value.to_owned()))
    }

    /// The same conditions on a CopyObject destination, where a missing destination fails
    /// `If-Match` with `PreconditionFailed`. Backends apply it in `copy_object`.
    #[must_use]
    pub fn for_copy_target(self) -> Self {
        Self {
            missing_fails_precondition: true,
            ..self
        }
    }

    /// Whether no condition is set.
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// Checks the precondition against the current object's ETag, if any. A missing object
    /// under `If-Match` is `NoSuchKey` (or `PreconditionFailed` for a copy destination).
    pub(crate) fn check(&self, current: Option<&ETag>) -> crate::StorageResult<()> {
        use crate::StorageError;
        if let Some(expected) = &self.if_match {
            match current {
                None if self.missing_fails_precondition => {
                    return Err(StorageError::PreconditionFailed)
                }
                None => return Err(StorageError::NoSuchKey),
                Some(etag) if !list_matches(expected, etag) => {
                    return Err(StorageError::PreconditionFailed)
                }
                Some(_) => {}
            }
        }
        if let (Some(excluded), Some(etag)) = (&self.if_none_match, current) {
            if list_matches(excluded, etag) {
                return Err(StorageError::PreconditionFailed);
            }
        }
        Ok(())
    }
}

/// The four read conditions (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`), or their `x-amz-copy-source-` forms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadConditions {
    /// `If-Match`: the object's ETag must be one of these.
    pub if_match: Option<String>,
    /// `If-None-Match`: the object's ETag must be none of these.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<OffsetDateTime>,
    /// `If-Unmodified-Since`.
    pub if_unmodified_since: Option<OffsetDateTime>,
}

/// Why [`ReadConditions::evaluate`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionOutcome {
    /// 304 on GET/HEAD; 412 on copy sources.
    NotModified,
    /// 412.
    PreconditionFailed,
}

impl ReadConditions {
    /// Whether no condition is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// RFC 7232 precedence as S3 applies it: a true `If-Match` overrides a false
    /// `If-Unmodified-Since`, and a false `If-None-Match` decides before `If-Modified-Since`.
    /// Dates compare at one-second resolution, because clients echo `Last-Modified` from an
    /// HTTP date.
    pub fn evaluate(
        &self,
        etag: &ETag,
        last_modified: OffsetDateTime,
    ) -> Result<(), ConditionOutcome> {
        let modified = last_modified.unix_timestamp();
        match &self.if_match {
            Some(list) if !list_matches(list, etag) => {
                return Err(ConditionOutcome::PreconditionFailed)
            }
            Some(_) => {}
            None => {
                if let Some(since) = self.if_unmodified_since {
                    if modified > since.unix_timestamp() {
                        return Err(ConditionOutcome::PreconditionFailed);
                    }
                }
            }
        }
        match &self.if_none_match {
            Some(list) if list_matches(list, etag) => return Err(ConditionOutcome::NotModified),
            Some(_) => {}
            None => {
                if let Some(since) = self.if_modified_since {
                    if modified <= since.unix_timestamp() {
                        return Err(ConditionOutcome::NotModified);
                    }
                }
            }
        }
        Ok(())
    }
}

/// `If-Match` / `If-None-Match` carry a comma-separated list of ETags or `*`.
fn list_matches(list: &str, etag: &ETag) -> bool {
    list.split(',').any(|candidate| etag.matches(candidate))
}

/// A PutObject as the backend sees it.
pub struct PutObject {
    /// Where the object goes.
    pub target: ObjectRef,
    /// Content headers and user metadata.
    pub attributes: ObjectAttributes,
    /// The object's bytes.
    pub body: ByteStream,
    /// The announced length, when the client sent one; the backend checks the body against it
    /// and answers [`crate::StorageError::IncompleteBody`] on a mismatch.
    pub content_length: Option<u64>,
    /// `Content-MD5`, checked before the commit ([`crate::StorageError::BadDigest`]).
    pub content_md5: Option<[u8; 16]>,
    /// `If-Match`/`If-None-Match` against the object being replaced.
    pub precondition: WritePrecondition,
}

impl std::fmt::Debug for PutObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutObject")
            .field("target", &self.target)
            .field("attributes", &self.attributes)
            .field("content_length", &self.content_length)
            .field("content_md5", &self.content_md5)
            .field("precondition", &self.precondition)
            .finish_non_exhaustive()
    }
}

/// A server-side copy.
#[derive(Clone, Debug)]
pub struct CopyObject {
    /// The object copied.
    pub source: ObjectRef,
    /// `x-amz-copy-source-if-*`, evaluated atomically with the read of the source; both
    /// outcomes fail the copy with [`crate::StorageError::PreconditionFailed`].
    pub source_conditions: ReadConditions,
    /// Where the copy goes.
    pub target: ObjectRef,
    /// `None`: metadata directive COPY (keep the source's). `Some`: REPLACE.
    pub replace_attributes: Option<ObjectAttributes>,
    /// `If-Match`/`If-None-Match` against the object being replaced.
    pub precondition: WritePrecondition,
}

/// The answer to a GetObject: metadata, the resolved range and the bytes.
pub struct GetObjectOutput {
    /// The object's metadata.
    pub info: ObjectInfo,
    /// The half-open range served when a range was asked for.
    pub range: Option<Range<u64>>,
    /// The bytes of the range (or of the whole object).
    pub body: ByteStream,
}

impl std::fmt::Debug for GetObjectOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObjectOutput")
            .field("info", &self.info)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// A listing request, pushed down to the backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only keys starting with this.
    pub prefix: String,
    /// `None` (or empty, which the service maps to `None`) lists keys flat.
    pub delimiter: Option<String>,
    /// Only keys (and common prefixes) sorting strictly after this are returned. Marker,
    /// StartAfter and decoded continuation tokens all become this. When it is itself a key
    /// inside a common prefix already returned, the rest of that prefix is skipped.
    pub start_after: Option<String>,
    /// 0..=1000 after the service clamps it. 0 answers an empty, untruncated page.
    pub max_keys: usize,
}

/// One page of a listing, in UTF-8 binary key order, objects and prefixes interleaved by
/// that order and counted together against `max_keys`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects in the page.
    pub objects: Vec<ObjectSummary>,
    /// The common prefixes in the page.
    pub common_prefixes: Vec<String>,
    /// Whether more keys or prefixes follow.
    pub is_truncated: bool,
    /// The last key or common prefix in this page when truncated: the next page's
    /// `start_after`.
    pub next_start_after: Option<String>,
}

/// A bucket's totals as its backend keeps them: updated in the same transaction as every
/// object write, delete, copy, multipart completion and upload start or end, so they are exact
/// at any moment and read without listing the bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketUsage {
    /// Objects in the bucket (an overwrite replaces, so it does not add one).
    pub objects: u64,
    /// The sum of the objects' sizes.
    pub bytes: u64,
    /// Multipart uploads started and neither completed nor aborted.
    pub uploads_in_progress: u64,
}

/// One bucket's [`BucketUsage`], as [`crate::ObjectStore::all_bucket_usage`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountBucketUsage {
    /// The account owning the bucket.
    pub account: AccountId,
    /// The bucket name.
    pub bucket: String,
    /// The bucket's totals.
    pub usage: BucketUsage,
}
