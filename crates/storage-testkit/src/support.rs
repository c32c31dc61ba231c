//! Helpers shared by the kit's cases.

use std::collections::BTreeMap;

use bytes::Bytes;
use md5::{Digest, Md5};
use s4_naming::AccountId;
use time::{Duration, OffsetDateTime};

use s4_storage::body::{self, ByteStream};
use s4_storage::multipart::{CompleteUpload, CompletedPart, PartInfo, UploadPart, UploadRef};
use s4_storage::ObjectStore;
use s4_storage::{
    ByteRange, ContentHeaders, CopyObject, ETag, ListPage, ListQuery, ObjectAttributes, ObjectInfo,
    ObjectRef, PutObject, ReadConditions, WritePrecondition,
};

/// Asserts that `$result` is an `Err` matching `$pattern`; `$what` says which step.
macro_rules! expect_err {
    ($result:expr, $pattern:pat, $what:expr) => {
        match $result {
            Err($pattern) => {}
            Err(other) => panic!(
                "{}: expected Err({}), got Err({other:?})",
                $what,
                stringify!($pattern)
            ),
            Ok(value) => panic!(
                "{}: expected Err({}), got Ok({value:?})",
                $what,
                stringify!($pattern)
            ),
        }
    };
}
pub(super) use expect_err;

/// The account most cases work in.
pub(super) fn account_a() -> AccountId {
    AccountId::from_number(111_111_111_111).expect("a valid account ID")
}

/// A second account, for isolation checks.
pub(super) fn account_b() -> AccountId {
    AccountId::from_number(222_222_222_222).expect("a valid account ID")
}

pub(super) fn object(account: AccountId, bucket: &str, key: &str) -> ObjectRef {
    ObjectRef {
        account,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    }
}

pub(super) fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The ETag a simple object with these bytes must have.
pub(super) fn etag_of(bytes: &[u8]) -> ETag {
    ETag::from_md5(&md5_of(bytes))
}

/// `len` bytes of a pattern that differs per `seed`, so misplaced bytes show.
pub(super) fn pattern(seed: u8, len: usize) -> Bytes {
    (0..len)
        .map(|i| {
            (i as u8)
                .wrapping_mul(31)
                .wrapping_add(seed.wrapping_mul(97))
                ^ (i >> 8) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// Attributes with every content header and some user metadata set.
pub(super) fn rich_attributes(tag: &str) -> ObjectAttributes {
    ObjectAttributes {
        content: ContentHeaders {
            content_type: Some(format!("text/plain; charset=utf-8; tag={tag}")),
            content_encoding: Some("identity".to_owned()),
            content_language: Some("en-GB".to_owned()),
            content_disposition: Some(format!("attachment; filename=\"{tag}.txt\"")),
            cache_control: Some("max-age=60, private".to_owned()),
            expires: Some("Thu, 01 Dec 1994 16:00:00 GMT".to_owned()),
        },
        user_metadata: BTreeMap::from([
            ("color".to_owned(), format!("blue-{tag}")),
            ("empty".to_owned(), String::new()),
            ("unicode".to_owned(), "καλημέρα ✓".to_owned()),
        ]),
    }
}

/// A PutObject of `bytes` with its length announced and no digest or precondition.
pub(super) fn put_request(target: &ObjectRef, bytes: &Bytes) -> PutObject {
    PutObject {
        target: target.clone(),
        attributes: ObjectAttributes::default(),
        body: body::once(bytes.clone()),
        content_length: Some(bytes.len() as u64),
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

/// A plain copy of `source` onto `target`: no conditions, metadata directive COPY.
pub(super) fn copy_request(source: &ObjectRef, target: &ObjectRef) -> CopyObject {
    CopyObject {
        source: source.clone(),
        source_conditions: ReadConditions::default(),
        target: target.clone(),
        replace_attributes: None,
        precondition: WritePrecondition::default(),
    }
}

pub(super) async fn create_bucket<S: ObjectStore>(store: &S, account: AccountId, bucket: &str) {
    store
        .create_bucket(&account, bucket)
        .await
        .unwrap_or_else(|e| panic!("create bucket {bucket} in {account}: {e:?}"));
}

pub(super) async fn put<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    bytes: &Bytes,
) -> ObjectInfo {
    let info = store
        .put_object(put_request(target, bytes))
        .await
        .unwrap_or_else(|e| panic!("put {}: {e:?}", target.key));
    assert_eq!(info.key, target.key, "put {}: the answer's key", target.key);
    assert_eq!(
        info.size,
        bytes.len() as u64,
        "put {}: the answer's size",
        target.key
    );
    assert_eq!(
        info.etag,
        etag_of(bytes),
        "put {}: the answer's ETag must be the hex MD5 of the bytes",
        target.key
    );
    info
}

/// Reads a body to its end, panicking with `what` if the stream fails.
pub(super) async fn read_all(stream: ByteStream, what: &str) -> Bytes {
    body::collect(stream)
        .await
        .unwrap_or_else(|e| panic!("{what}: the body stream failed: {e}"))
}

/// GETs the object (or a range of it) and returns its metadata and bytes.
pub(super) async fn get<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    range: Option<ByteRange>,
) -> (ObjectInfo, Option<std::ops::Range<u64>>, Bytes) {
    let what = format!("get {} {range:?}", target.key);
    let out = store
        .get_object(target, range)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let bytes = read_all(out.body, &what).await;
    (out.info, out.range, bytes)
}

/// Asserts the object holds exactly `expected`.
pub(super) async fn assert_content<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    expected: &Bytes,
    what: &str,
) {
    let (info, range, bytes) = get(store, target, None).await;
    assert_eq!(
        range, None,
        "{what}: a GET without Range must not report a range"
    );
    assert_eq!(
        info.size,
        expected.len() as u64,
        "{what}: size of {}",
        target.key
    );
    assert!(
        bytes == *expected,
        "{what}: {} holds {} bytes that differ from the expected {} bytes",
        target.key,
        bytes.len(),
        expected.len()
    );
}

/// Asserts `range` of the object is served as `expected_range` with the right bytes.
pub(super) async fn assert_range<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    whole: &Bytes,
    range: ByteRange,
    expected_range: std::ops::Range<u64>,
) {
    let (info, served, bytes) = get(store, target, Some(range)).await;
    assert_eq!(
        served,
        Some(expected_range.clone()),
        "get {} {range:?}: the served range",
        target.key
    );
    assert_eq!(
        info.size,
        whole.len() as u64,
        "get {} {range:?}: info.size must be the whole object's size",
        target.key
    );
    let want = whole.slice(expected_range.start as usize..expected_range.end as usize);
    assert!(
        bytes == want,
        "get {} {range:?}: got {} bytes that differ from bytes {expected_range:?}",
        target.key,
        bytes.len()
    );
}

/// A flat list query with the given page size.
pub(super) fn query(prefix: &str, delimiter: Option<&str>, max_keys: usize) -> ListQuery {
    ListQuery {
        prefix: prefix.to_owned(),
        delimiter: delimiter.map(str::to_owned),
        start_after: None,
        max_keys,
    }
}

pub(super) async fn list<S: ObjectStore>(
    store: &S,
    account: AccountId,
    bucket: &str,
    query: &ListQuery,
) -> ListPage {
    store
        .list_objects(&account, bucket, query)
        .await
        .unwrap_or_else(|e| panic!("list {bucket} {query:?}: {e:?}"))
}

pub(super) fn keys_of(page: &ListPage) -> Vec<String> {
    page.objects.iter().map(|o| o.key.clone()).collect()
}

/// The size of a full (non-last) part for this backend: at least its minimum and at least
/// 16 bytes, so that every part has room for boundaries inside it.
pub(super) fn part_size<S: ObjectStore>(store: &S) -> usize {
    let min = store.capabilities().min_part_size;
    usize::try_from(min.max(16)).expect("the minimum part size fits in memory")
}

pub(super) fn upload_ref(target: &ObjectRef, upload_id: &str) -> UploadRef {
    UploadRef {
        target: target.clone(),
        upload_id: upload_id.to_owned(),
    }
}

pub(super) fn part_request(upload: &UploadRef, number: u32, bytes: &Bytes) -> UploadPart {
    UploadPart {
        upload: upload.clone(),
        part_number: number,
        body: body::once(bytes.clone()),
        content_length: Some(bytes.len() as u64),
        content_md5: None,
    }
}

pub(super) async fn upload_part<S: ObjectStore>(
    store: &S,
    upload: &UploadRef,
    number: u32,
    bytes: &Bytes,
) -> PartInfo {
    let info = store
        .upload_part(part_request(upload, number, bytes))
        .await
        .unwrap_or_else(|e| panic!("upload part {number} ({} bytes): {e:?}", bytes.len()));
    assert_eq!(
        info.number, number,
        "upload part {number}: the answer's number"
    );
    assert_eq!(
        info.size,
        bytes.len() as u64,
        "upload part {number}: the answer's size"
    );
    assert_eq!(
        info.etag,
        etag_of(bytes),
        "upload part {number}: the part ETag must be the hex MD5 of its bytes"
    );
    info
}

pub(super) fn completed(parts: &[&PartInfo]) -> Vec<CompletedPart> {
    parts
        .iter()
        .map(|p| CompletedPart {
            number: p.number,
            etag: p.etag.clone(),
        })
        .collect()
}

pub(super) fn complete_request(upload: &UploadRef, parts: Vec<CompletedPart>) -> CompleteUpload {
    CompleteUpload {
        upload: upload.clone(),
        parts,
        precondition: WritePrecondition::default(),
    }
}

/// Waits (spinning, as the kit has no runtime) until the wall clock has moved `millis`
/// milliseconds past `since`, so that timestamps taken before and after differ.
pub(super) fn wait_past(since: OffsetDateTime, millis: i64) {
    let target = since + Duration::milliseconds(millis);
    while OffsetDateTime::now_utc() <= target {
        std::hint::spin_loop();
    }
}

/// Whether `t` is within a few seconds of now (backends may round timestamps).
pub(super) fn assert_recent(t: OffsetDateTime, what: &str) {
    let now = OffsetDateTime::now_utc();
    assert!(
        (now - t).abs() <= Duration::seconds(5),
        "{what}: timestamp {t} is not close to now ({now})"
    );
}
