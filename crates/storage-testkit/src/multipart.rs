//! Multipart uploads: S4's part rules, completion, abort, races, listings and expiry.

use bytes::Bytes;
use futures_util::future::{join, join3};
use time::{Duration, OffsetDateTime};

use super::support::{
    account_a, account_b, assert_content, assert_range, complete_request, completed, create_bucket,
    etag_of, expect_err, keys_of, list, md5_of, object, part_request, part_size, pattern, put,
    query, rich_attributes, upload_part, upload_ref, wait_past,
};
use super::{case, Case};
use s4_storage::body;
use s4_storage::multipart::{
    CompletedPart, PartInfo, UploadInfo, UploadListQuery, UploadRef, UploadsPage,
};
use s4_storage::{ByteRange, ETag, ObjectAttributes, ObjectRef, PartLayout};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(multipart::out_of_order_parts_complete, Multipart),
        case!(multipart::ranges_across_part_boundaries, Multipart),
        case!(multipart::single_small_part, Multipart),
        case!(multipart::concurrent_parts, Multipart),
        case!(multipart::list_parts_pagination, Multipart),
        case!(multipart::abort_then_no_such_upload, Multipart),
        case!(multipart::no_such_upload_after_complete, Multipart),
        case!(multipart::unknown_uploads, Multipart),
        case!(multipart::racing_completions_one_wins, Multipart),
        case!(multipart::entity_too_small_aborts, Multipart),
        case!(multipart::inconsistent_sizes_abort, Multipart),
        case!(multipart::empty_and_repeated_parts_keep_upload, Multipart),
        case!(multipart::failed_part_bodies_store_nothing, Multipart),
        case!(multipart::completion_errors, Multipart),
        case!(multipart::uploads_are_invisible_until_complete, Multipart),
        case!(multipart::list_uploads_order_and_markers, Multipart),
        case!(multipart::list_uploads_prefix_and_delimiter, Multipart),
        case!(multipart::expire_uploads, Multipart),
    ]
}

const BUCKET: &str = "multipart";

async fn start<S: ObjectStore>(store: &S, target: &ObjectRef) -> UploadRef {
    start_with(store, target, ObjectAttributes::default())
        .await
        .1
}

async fn start_with<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    attributes: ObjectAttributes,
) -> (UploadInfo, UploadRef) {
    let info = store
        .create_multipart_upload(target, attributes)
        .await
        .unwrap_or_else(|e| panic!("create upload for {}: {e:?}", target.key));
    let upload = upload_ref(target, &info.upload_id);
    (info, upload)
}

async fn complete<S: ObjectStore>(
    store: &S,
    upload: &UploadRef,
    parts: &[&PartInfo],
) -> s4_storage::ObjectInfo {
    store
        .complete_multipart_upload(complete_request(upload, completed(parts)))
        .await
        .unwrap_or_else(|e| panic!("complete {}: {e:?}", upload.target.key))
}

fn multipart_etag(parts: &[&Bytes]) -> ETag {
    let md5s: Vec<[u8; 16]> = parts.iter().map(|p| md5_of(p)).collect();
    ETag::multipart(md5s.iter())
}

/// Three parts: two full ones and a smaller last one.
fn three_parts(size: usize) -> [Bytes; 3] {
    [pattern(1, size), pattern(2, size), pattern(3, size / 2 + 1)]
}

/// Asserts that every operation on the upload answers `NoSuchUpload`.
async fn assert_upload_gone<S: ObjectStore>(store: &S, upload: &UploadRef, what: &str) {
    expect_err!(
        store
            .upload_part(part_request(upload, 9, &Bytes::from_static(b"late")))
            .await,
        StorageError::NoSuchUpload,
        format!("{what}: upload_part")
    );
    expect_err!(
        store.list_parts(upload, 0, 1000).await,
        StorageError::NoSuchUpload,
        format!("{what}: list_parts")
    );
    expect_err!(
        store
            .complete_multipart_upload(complete_request(
                upload,
                vec![CompletedPart {
                    number: 1,
                    etag: etag_of(b"x"),
                }]
            ))
            .await,
        StorageError::NoSuchUpload,
        format!("{what}: complete")
    );
    expect_err!(
        store.abort_multipart_upload(upload).await,
        StorageError::NoSuchUpload,
        format!("{what}: abort")
    );
    let listed = list_uploads(
        store,
        &upload.target,
        &UploadListQuery {
            max_uploads: 1000,
            ..UploadListQuery::default()
        },
    )
    .await;
    assert!(
        listed
            .uploads
            .iter()
            .all(|u| u.upload_id != upload.upload_id || u.key != upload.target.key),
        "{what}: the upload is still listed: {listed:?}"
    );
}

async fn list_uploads<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    query: &UploadListQuery,
) -> UploadsPage {
    store
        .list_multipart_uploads(&target.account, &target.bucket, query)
        .await
        .unwrap_or_else(|e| panic!("list uploads {query:?}: {e:?}"))
}

async fn out_of_order_parts_complete<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "big/file.bin");
    let attributes = rich_attributes("multipart");
    let (created, upload) = start_with(store, &target, attributes.clone()).await;
    assert_eq!(created.key, target.key, "create upload: key");
    assert_eq!(created.attributes, attributes, "create upload: attributes");
    assert!(
        !created.upload_id.is_empty()
            && created
                .upload_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)),
        "upload IDs must be URL-safe: {:?}",
        created.upload_id
    );
    let size = part_size(store);
    let [p1, p2, p3] = three_parts(size);
    // The small last part first, as concurrent clients often do.
    let i3 = upload_part(store, &upload, 3, &p3).await;
    let i1 = upload_part(store, &upload, 1, &p1).await;
    let i2 = upload_part(store, &upload, 2, &p2).await;
    let listed = store
        .list_parts(&upload, 0, 1000)
        .await
        .expect("list parts");
    let numbers: Vec<u32> = listed.parts.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3], "parts are listed by number");
    assert!(!listed.is_truncated, "list parts: not truncated");
    for (got, want) in listed.parts.iter().zip([&i1, &i2, &i3]) {
        assert_eq!(got.etag, want.etag, "listed ETag of part {}", want.number);
        assert_eq!(got.size, want.size, "listed size of part {}", want.number);
    }

    let info = complete(store, &upload, &[&i1, &i2, &i3]).await;
    let whole: Bytes = [p1.clone(), p2.clone(), p3.clone()].concat().into();
    assert_eq!(info.size, whole.len() as u64, "completed object: size");
    assert_eq!(
        info.etag,
        multipart_etag(&[&p1, &p2, &p3]),
        "completed object: ETag is the MD5 of the part MD5s, -3"
    );
    assert!(
        info.etag.as_str().ends_with("-3"),
        "multipart ETag suffix: {}",
        info.etag
    );
    assert_eq!(
        info.parts,
        Some(PartLayout {
            count: 3,
            part_size: size as u64,
            last_part_size: p3.len() as u64,
        }),
        "completed object: part layout"
    );
    assert_eq!(
        info.attributes, attributes,
        "completed object: the upload's attributes"
    );
    let head = store.head_object(&target).await.expect("head");
    assert_eq!(head.etag, info.etag, "head: ETag");
    assert_eq!(head.parts, info.parts, "head: part layout");
    assert_eq!(head.attributes, attributes, "head: attributes");
    assert_content(store, &target, &whole, "the completed object").await;
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(
        keys_of(&page),
        [target.key.as_str()],
        "the object is listed"
    );
    assert_eq!(page.objects[0].etag, info.etag, "listed ETag");
    assert_eq!(page.objects[0].size, whole.len() as u64, "listed size");
}

async fn ranges_across_part_boundaries<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "ranged");
    let upload = start(store, &target).await;
    let size = part_size(store);
    let [p1, p2, p3] = three_parts(size);
    let i1 = upload_part(store, &upload, 1, &p1).await;
    let i3 = upload_part(store, &upload, 3, &p3).await;
    let i2 = upload_part(store, &upload, 2, &p2).await;
    complete(store, &upload, &[&i1, &i2, &i3]).await;
    let whole: Bytes = [p1, p2, p3].concat().into();
    let (p, len) = (size as u64, whole.len() as u64);
    let ranges = [
        (ByteRange::Inclusive { first: 0, last: 0 }, 0..1),
        (
            ByteRange::Inclusive {
                first: p - 3,
                last: p + 2,
            },
            p - 3..p + 3,
        ),
        (
            ByteRange::Inclusive {
                first: p - 1,
                last: 2 * p,
            },
            p - 1..2 * p + 1,
        ),
        (ByteRange::Inclusive { first: p, last: p }, p..p + 1),
        (
            ByteRange::Inclusive {
                first: 2 * p,
                last: 2 * p,
            },
            2 * p..2 * p + 1,
        ),
        (
            ByteRange::Inclusive {
                first: 1,
                last: len + 100,
            },
            1..len,
        ),
        (ByteRange::From { first: 2 * p - 1 }, 2 * p - 1..len),
        (ByteRange::From { first: p }, p..len),
        (
            ByteRange::Suffix {
                len: len - 2 * p + 2,
            },
            2 * p - 2..len,
        ),
        (ByteRange::Suffix { len: 1 }, len - 1..len),
        (ByteRange::Suffix { len: len * 2 }, 0..len),
    ];
    for (range, expected) in ranges {
        assert_range(store, &target, &whole, range, expected).await;
    }
    expect_err!(
        store
            .get_object(&target, Some(ByteRange::From { first: len }))
            .await,
        StorageError::InvalidRange,
        "a range starting at the end of a multipart object"
    );
}

async fn single_small_part<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "one-part");
    let upload = start(store, &target).await;
    let bytes = Bytes::from_static(b"tiny");
    let part = upload_part(store, &upload, 1, &bytes).await;
    let info = complete(store, &upload, &[&part]).await;
    assert_eq!(info.size, 4, "single part: size");
    assert_eq!(info.etag, multipart_etag(&[&bytes]), "single part: ETag");
    assert!(
        info.etag.as_str().ends_with("-1"),
        "single part: ETag suffix {}",
        info.etag
    );
    assert_eq!(
        info.parts,
        Some(PartLayout {
            count: 1,
            part_size: 4,
            last_part_size: 4,
        }),
        "single part: layout"
    );
    assert_content(store, &target, &bytes, "single part object").await;
    assert_range(store, &target, &bytes, ByteRange::Suffix { len: 2 }, 2..4).await;
}

async fn concurrent_parts<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "concurrent");
    let upload = start(store, &target).await;
    let [p1, p2, p3] = three_parts(part_size(store));
    let (r3, r1, r2) = join3(
        store.upload_part(part_request(&upload, 3, &p3)),
        store.upload_part(part_request(&upload, 1, &p1)),
        store.upload_part(part_request(&upload, 2, &p2)),
    )
    .await;
    let (i1, i2, i3) = (
        r1.expect("concurrent part 1"),
        r2.expect("concurrent part 2"),
        r3.expect("concurrent part 3"),
    );
    let info = complete(store, &upload, &[&i1, &i2, &i3]).await;
    let whole: Bytes = [p1, p2, p3].concat().into();
    assert_eq!(info.size, whole.len() as u64, "size after concurrent parts");
    assert_content(store, &target, &whole, "the object from concurrent parts").await;

    // The same part twice at once: exactly one is stored.
    let upload = start(store, &target).await;
    let (x, y) = (pattern(40, 5), pattern(41, 5));
    let (rx, ry) = join(
        store.upload_part(part_request(&upload, 1, &x)),
        store.upload_part(part_request(&upload, 1, &y)),
    )
    .await;
    let (kept, bytes) = match (&rx, &ry) {
        (Ok(info), Err(StorageError::InvalidPart(_))) => (info.clone(), x),
        (Err(StorageError::InvalidPart(_)), Ok(info)) => (info.clone(), y),
        _ => panic!(
            "two concurrent uploads of part 1 must give one success and one InvalidPart, got {rx:?} and {ry:?}"
        ),
    };
    let listed = store.list_parts(&upload, 0, 10).await.expect("list parts");
    assert_eq!(listed.parts.len(), 1, "one part 1 stored: {listed:?}");
    assert_eq!(
        listed.parts[0].etag, kept.etag,
        "the stored part 1 is the winner"
    );
    complete(store, &upload, &[&kept]).await;
    assert_content(store, &target, &bytes, "the winner's bytes").await;
}

async fn list_parts_pagination<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "paged");
    let upload = start(store, &target).await;
    let size = part_size(store);
    let mut infos = Vec::new();
    for n in [5u32, 1, 4, 2, 3] {
        let bytes = if n == 5 {
            pattern(5, 3)
        } else {
            pattern(n as u8, size)
        };
        infos.push(upload_part(store, &upload, n, &bytes).await);
    }
    infos.sort_by_key(|p| p.number);
    let numbers = |page: &s4_storage::multipart::PartsPage| -> Vec<u32> {
        page.parts.iter().map(|p| p.number).collect()
    };
    let page = store.list_parts(&upload, 0, 2).await.expect("page 1");
    assert_eq!(numbers(&page), [1, 2], "first page of 2");
    assert!(page.is_truncated, "first page is truncated");
    assert_eq!(page.next_part_number_marker, Some(2), "first page marker");
    let page = store.list_parts(&upload, 2, 2).await.expect("page 2");
    assert_eq!(numbers(&page), [3, 4], "second page of 2");
    assert!(page.is_truncated, "second page is truncated");
    assert_eq!(page.next_part_number_marker, Some(4), "second page marker");
    let page = store.list_parts(&upload, 4, 2).await.expect("page 3");
    assert_eq!(numbers(&page), [5], "last page");
    assert!(!page.is_truncated, "last page is not truncated");
    let page = store
        .list_parts(&upload, 5, 2)
        .await
        .expect("after the last part");
    assert!(
        page.parts.is_empty() && !page.is_truncated,
        "after the last part: {page:?}"
    );
    let page = store.list_parts(&upload, 0, 5).await.expect("exactly all");
    assert_eq!(
        numbers(&page),
        [1, 2, 3, 4, 5],
        "a page of exactly all parts"
    );
    assert!(
        !page.is_truncated,
        "a page of exactly all parts is not truncated"
    );
    let page = store
        .list_parts(&upload, 2, 1000)
        .await
        .expect("after a marker");
    assert_eq!(numbers(&page), [3, 4, 5], "parts after marker 2");
    for (got, want) in store
        .list_parts(&upload, 0, 1000)
        .await
        .expect("all")
        .parts
        .iter()
        .zip(&infos)
    {
        assert_eq!(got.etag, want.etag, "listed ETag of part {}", want.number);
        assert_eq!(got.size, want.size, "listed size of part {}", want.number);
    }
}

async fn abort_then_no_such_upload<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "aborted");
    let upload = start(store, &target).await;
    upload_part(store, &upload, 1, &pattern(1, part_size(store))).await;
    store.abort_multipart_upload(&upload).await.expect("abort");
    assert_upload_gone(store, &upload, "after abort").await;
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "an aborted upload creates no object"
    );
    store
        .delete_bucket(&a, BUCKET)
        .await
        .expect("the bucket is empty after the abort");
}

async fn no_such_upload_after_complete<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "done");
    let upload = start(store, &target).await;
    let bytes = pattern(1, 10);
    let part = upload_part(store, &upload, 1, &bytes).await;
    complete(store, &upload, &[&part]).await;
    expect_err!(
        store
            .complete_multipart_upload(complete_request(&upload, completed(&[&part])))
            .await,
        StorageError::NoSuchUpload,
        "a second completion with the same parts"
    );
    assert_upload_gone(store, &upload, "after complete").await;
    assert_content(store, &target, &bytes, "the object survives later calls").await;
}

async fn unknown_uploads<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "real");
    let real = start(store, &target).await;
    let bogus = upload_ref(&target, "bm90LWFuLXVwbG9hZC1pZA");
    assert_upload_gone(store, &bogus, "an upload ID never issued").await;
    // The right ID under another key, bucket or account is not the upload.
    create_bucket(store, a, "elsewhere").await;
    create_bucket(store, account_b(), BUCKET).await;
    for (what, target) in [
        ("another key", object(a, BUCKET, "other")),
        ("another bucket", object(a, "elsewhere", "real")),
        ("another account", object(account_b(), BUCKET, "real")),
    ] {
        let moved = upload_ref(&target, &real.upload_id);
        assert_upload_gone(store, &moved, &format!("the upload ID under {what}")).await;
    }
    // The real upload is untouched by all of that.
    let part = upload_part(store, &real, 1, &Bytes::from_static(b"ok")).await;
    complete(store, &real, &[&part]).await;
    expect_err!(
        store
            .create_multipart_upload(&object(a, "missing", "k"), ObjectAttributes::default())
            .await,
        StorageError::NoSuchBucket,
        "create upload in a missing bucket"
    );
    // Upload IDs are unique.
    let again = start(store, &target).await;
    let third = start(store, &target).await;
    assert_ne!(again.upload_id, third.upload_id, "two uploads share an ID");
    assert_ne!(again.upload_id, real.upload_id, "an upload ID was reused");
}

async fn racing_completions_one_wins<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let size = part_size(store);
    for round in 0..3u8 {
        let target = object(a, BUCKET, &format!("race-{round}"));
        let upload = start(store, &target).await;
        let (p1, p2) = (pattern(round, size), pattern(round + 50, size / 3 + 1));
        let i1 = upload_part(store, &upload, 1, &p1).await;
        let i2 = upload_part(store, &upload, 2, &p2).await;
        let parts = completed(&[&i1, &i2]);
        let (r1, r2) = join(
            store.complete_multipart_upload(complete_request(&upload, parts.clone())),
            store.complete_multipart_upload(complete_request(&upload, parts)),
        )
        .await;
        match (&r1, &r2) {
            (Ok(_), Err(StorageError::NoSuchUpload)) | (Err(StorageError::NoSuchUpload), Ok(_)) => {}
            _ => panic!(
                "round {round}: racing completions must give one success and one NoSuchUpload, got {r1:?} and {r2:?}"
            ),
        }
        let whole: Bytes = [p1, p2].concat().into();
        assert_content(
            store,
            &target,
            &whole,
            "the object after racing completions",
        )
        .await;
    }
    // A completion racing an abort: exactly one of them succeeds.
    let target = object(a, BUCKET, "complete-or-abort");
    let upload = start(store, &target).await;
    let bytes = pattern(9, 8);
    let part = upload_part(store, &upload, 1, &bytes).await;
    let (completion, abort) = join(
        store.complete_multipart_upload(complete_request(&upload, completed(&[&part]))),
        store.abort_multipart_upload(&upload),
    )
    .await;
    match (&completion, &abort) {
        (Ok(_), Err(StorageError::NoSuchUpload)) => {
            assert_content(store, &target, &bytes, "completion won").await;
        }
        (Err(StorageError::NoSuchUpload), Ok(())) => expect_err!(
            store.head_object(&target).await,
            StorageError::NoSuchKey,
            "abort won: no object"
        ),
        _ => panic!(
            "a completion racing an abort must give exactly one success, got {completion:?} and {abort:?}"
        ),
    }
}

async fn entity_too_small_aborts<S: ObjectStore>(store: &S) {
    let min = store.capabilities().min_part_size;
    if min < 2 {
        println!("s4 testkit: multipart::entity_too_small_aborts: skipped, min_part_size is {min}");
        return;
    }
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let small = usize::try_from(min - 1).expect("fits");

    // A small part 2 is fine while it is presumed last ...
    let target = object(a, BUCKET, "small-middle");
    let upload = start(store, &target).await;
    upload_part(store, &upload, 2, &pattern(2, small)).await;
    // ... until part 3 shows it was not.
    expect_err!(
        store
            .upload_part(part_request(&upload, 3, &pattern(3, 1)))
            .await,
        StorageError::EntityTooSmall(_),
        "part 3 arriving after a too-small part 2"
    );
    assert_upload_gone(store, &upload, "after EntityTooSmall").await;

    // A too-small part below an existing higher part fails at once.
    let target = object(a, BUCKET, "small-first");
    let upload = start(store, &target).await;
    upload_part(store, &upload, 3, &pattern(3, 1)).await;
    expect_err!(
        store
            .upload_part(part_request(&upload, 1, &pattern(1, small)))
            .await,
        StorageError::EntityTooSmall(_),
        "a too-small part 1 below part 3"
    );
    assert_upload_gone(store, &upload, "after EntityTooSmall on a lower part").await;
    store
        .delete_bucket(&a, BUCKET)
        .await
        .expect("aborted uploads leave the bucket empty");
}

async fn inconsistent_sizes_abort<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let size = part_size(store);

    // The highest part may not be larger than the ones before it.
    let target = object(a, BUCKET, "last-too-big");
    let upload = start(store, &target).await;
    upload_part(store, &upload, 1, &pattern(1, size)).await;
    expect_err!(
        store
            .upload_part(part_request(&upload, 2, &pattern(2, size + 1)))
            .await,
        StorageError::InvalidPart(_),
        "a last part larger than part 1"
    );
    assert_upload_gone(store, &upload, "after a too-large last part").await;

    // Parts 1..N-1 must share one size.
    let target = object(a, BUCKET, "unequal-middle");
    let upload = start(store, &target).await;
    upload_part(store, &upload, 1, &pattern(1, size)).await;
    upload_part(store, &upload, 3, &pattern(3, 2)).await;
    expect_err!(
        store
            .upload_part(part_request(&upload, 2, &pattern(2, size + 1)))
            .await,
        StorageError::InvalidPart(_),
        "a middle part of another size"
    );
    assert_upload_gone(store, &upload, "after unequal middle parts").await;
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "aborted uploads create nothing"
    );
}

async fn empty_and_repeated_parts_keep_upload<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "kept");
    let upload = start(store, &target).await;
    let size = part_size(store);
    let p1 = pattern(1, size);
    let i1 = upload_part(store, &upload, 1, &p1).await;
    expect_err!(
        store
            .upload_part(part_request(&upload, 2, &Bytes::new()))
            .await,
        StorageError::InvalidPart(_),
        "an empty part"
    );
    expect_err!(
        store
            .upload_part(part_request(&upload, 1, &pattern(9, size)))
            .await,
        StorageError::InvalidPart(_),
        "re-uploading part 1 with other bytes"
    );
    expect_err!(
        store.upload_part(part_request(&upload, 1, &p1)).await,
        StorageError::InvalidPart(_),
        "re-uploading part 1 with the same bytes"
    );
    // Neither refusal aborts the upload or replaces part 1.
    let listed = store
        .list_parts(&upload, 0, 1000)
        .await
        .expect("list parts");
    assert_eq!(listed.parts.len(), 1, "only part 1 is stored: {listed:?}");
    assert_eq!(
        listed.parts[0].etag, i1.etag,
        "part 1 keeps its first bytes"
    );
    let p2 = pattern(2, 7);
    let i2 = upload_part(store, &upload, 2, &p2).await;
    complete(store, &upload, &[&i1, &i2]).await;
    let whole: Bytes = [p1, p2].concat().into();
    assert_content(
        store,
        &target,
        &whole,
        "the upload completes after refused parts",
    )
    .await;
}

async fn failed_part_bodies_store_nothing<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "flaky");
    let upload = start(store, &target).await;
    let size = part_size(store);
    let p1 = pattern(1, size);

    let mut request = part_request(&upload, 1, &p1);
    request.body = body::failing_after([p1.slice(..size / 2)], "connection reset".into());
    match store.upload_part(request).await {
        Err(StorageError::Body(source)) => {
            assert_eq!(
                source.to_string(),
                "connection reset",
                "the body error is passed through"
            );
        }
        other => panic!("a part whose body fails: expected Err(Body), got {other:?}"),
    }
    let mut request = part_request(&upload, 1, &p1);
    request.content_md5 = Some(md5_of(b"other"));
    expect_err!(
        store.upload_part(request).await,
        StorageError::BadDigest,
        "a part with a wrong Content-MD5"
    );
    let mut request = part_request(&upload, 1, &p1);
    request.content_length = Some(size as u64 + 1);
    expect_err!(
        store.upload_part(request).await,
        StorageError::IncompleteBody { .. },
        "a part shorter than announced"
    );
    let listed = store
        .list_parts(&upload, 0, 1000)
        .await
        .expect("list parts");
    assert!(
        listed.parts.is_empty(),
        "failed parts must not be stored: {listed:?}"
    );
    // Part 1 was never stored, so uploading it now is no re-upload.
    let mut request = part_request(&upload, 1, &p1);
    request.content_md5 = Some(md5_of(&p1));
    let i1 = store
        .upload_part(request)
        .await
        .expect("part 1 after failed attempts");
    let info = complete(store, &upload, &[&i1]).await;
    assert_eq!(info.size, size as u64, "the completed object's size");
    assert_content(store, &target, &p1, "the completed object").await;
}

async fn completion_errors<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "strict");
    let upload = start(store, &target).await;
    let [p1, p2, p3] = three_parts(part_size(store));
    let i1 = upload_part(store, &upload, 1, &p1).await;
    let i2 = upload_part(store, &upload, 2, &p2).await;
    let i3 = upload_part(store, &upload, 3, &p3).await;
    let part = |number: u32, etag: &ETag| CompletedPart {
        number,
        etag: etag.clone(),
    };
    let (e1, e2, e3) = (&i1.etag, &i2.etag, &i3.etag);
    let order_errors = [
        (
            "parts out of order",
            vec![part(2, e2), part(1, e1), part(3, e3)],
        ),
        (
            "a part listed twice",
            vec![part(1, e1), part(1, e1), part(2, e2), part(3, e3)],
        ),
    ];
    for (what, parts) in order_errors {
        expect_err!(
            store
                .complete_multipart_upload(complete_request(&upload, parts))
                .await,
            StorageError::InvalidPartOrder,
            format!("completing with {what}")
        );
    }
    let part_errors = [
        ("no parts", vec![]),
        ("a gap (1, 3)", vec![part(1, e1), part(3, e3)]),
        (
            "an uploaded part left out (1, 2)",
            vec![part(1, e1), part(2, e2)],
        ),
        ("not starting at 1 (2, 3)", vec![part(2, e2), part(3, e3)]),
        (
            "a part never uploaded (1, 2, 3, 4)",
            vec![part(1, e1), part(2, e2), part(3, e3), part(4, e3)],
        ),
        (
            "a wrong ETag for part 2",
            vec![part(1, e1), part(2, e1), part(3, e3)],
        ),
        (
            "a made-up ETag for part 3",
            vec![part(1, e1), part(2, e2), part(3, &etag_of(b"made up"))],
        ),
    ];
    for (what, parts) in part_errors {
        expect_err!(
            store
                .complete_multipart_upload(complete_request(&upload, parts))
                .await,
            StorageError::InvalidPart(_),
            format!("completing with {what}")
        );
    }
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "refused completions create nothing"
    );
    // The upload survives refused completions.
    let info = complete(store, &upload, &[&i1, &i2, &i3]).await;
    assert_eq!(
        info.etag,
        multipart_etag(&[&p1, &p2, &p3]),
        "the final ETag"
    );
}

async fn uploads_are_invisible_until_complete<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "doc");
    let old = pattern(7, 33);
    put(store, &target, &old).await;
    let upload = start(store, &target).await;
    let [p1, _, p3] = three_parts(part_size(store));
    let i1 = upload_part(store, &upload, 1, &p1).await;
    let i2 = upload_part(store, &upload, 2, &p3).await;
    let pending = object(a, BUCKET, "pending");
    let other = start(store, &pending).await;
    upload_part(store, &other, 1, &p1).await;
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(
        keys_of(&page),
        ["doc"],
        "uploads in progress are not listed as objects"
    );
    assert_content(
        store,
        &target,
        &old,
        "the old object while an upload is in progress",
    )
    .await;
    expect_err!(
        store.head_object(&pending).await,
        StorageError::NoSuchKey,
        "an upload in progress is no object"
    );
    let info = complete(store, &upload, &[&i1, &i2]).await;
    let whole: Bytes = [p1, p3].concat().into();
    assert_content(
        store,
        &target,
        &whole,
        "the completed upload replaced the object",
    )
    .await;
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(keys_of(&page), ["doc"], "still one object");
    assert_eq!(
        page.objects[0].etag, info.etag,
        "the listing shows the new ETag"
    );
    // The second upload of another key is unaffected.
    let uploads = list_uploads(
        store,
        &pending,
        &UploadListQuery {
            max_uploads: 1000,
            ..UploadListQuery::default()
        },
    )
    .await;
    let ids: Vec<&str> = uploads
        .uploads
        .iter()
        .map(|u| u.upload_id.as_str())
        .collect();
    assert_eq!(ids, [other.upload_id.as_str()], "the remaining upload");
}

/// Creates uploads for `keys` in order, a few milliseconds apart, and returns them.
async fn create_spaced<S: ObjectStore>(
    store: &S,
    account: s4_naming::AccountId,
    keys: &[&str],
) -> Vec<UploadInfo> {
    let mut out = Vec::new();
    for key in keys {
        wait_past(OffsetDateTime::now_utc(), 3);
        let (info, _) =
            start_with(store, &object(account, BUCKET, key), rich_attributes(key)).await;
        out.push(info);
    }
    out
}

fn ids(page: &UploadsPage) -> Vec<String> {
    page.uploads.iter().map(|u| u.upload_id.clone()).collect()
}

fn uq(max: usize) -> UploadListQuery {
    UploadListQuery {
        max_uploads: max,
        ..UploadListQuery::default()
    }
}

async fn list_uploads_order_and_markers<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let made = create_spaced(store, a, &["b", "a", "b", "c/d", "c/e", "a"]).await;
    let id = |i: usize| made[i].upload_id.clone();
    let anchor = object(a, BUCKET, "x");
    // By key, then initiation time.
    let expected = vec![id(1), id(5), id(0), id(2), id(3), id(4)];
    let page = list_uploads(store, &anchor, &uq(1000)).await;
    assert_eq!(
        ids(&page),
        expected,
        "uploads ordered by key, then initiation"
    );
    assert!(!page.is_truncated, "one page holds all uploads");
    for listed in &page.uploads {
        let created = made
            .iter()
            .find(|u| u.upload_id == listed.upload_id)
            .expect("listed upload was created");
        assert_eq!(listed.key, created.key, "listed upload key");
        assert_eq!(
            listed.attributes, created.attributes,
            "listed upload attributes"
        );
        assert!(
            (listed.initiated - created.initiated).abs() < Duration::seconds(1),
            "listed initiation time {} vs created {}",
            listed.initiated,
            created.initiated
        );
    }

    let page = list_uploads(store, &anchor, &uq(3)).await;
    assert_eq!(ids(&page), expected[..3], "first page of 3");
    assert!(page.is_truncated, "first page of 3 is truncated");
    assert_eq!(
        page.next_key_marker.as_deref(),
        Some("b"),
        "next key marker"
    );
    assert_eq!(
        page.next_upload_id_marker.as_deref(),
        Some(id(0).as_str()),
        "next upload ID marker"
    );
    let next = UploadListQuery {
        key_marker: page.next_key_marker.clone(),
        upload_id_marker: page.next_upload_id_marker.clone(),
        ..uq(3)
    };
    let page = list_uploads(store, &anchor, &next).await;
    assert_eq!(ids(&page), expected[3..], "second page of 3");
    assert!(!page.is_truncated, "second page is the last");

    // A key marker alone skips every upload of that key.
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            key_marker: Some("a".to_owned()),
            ..uq(1000)
        },
    )
    .await;
    assert_eq!(ids(&page), expected[2..], "after key marker a");
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            key_marker: Some("b".to_owned()),
            upload_id_marker: Some(id(0)),
            ..uq(1000)
        },
    )
    .await;
    assert_eq!(ids(&page), expected[3..], "after the first upload of b");

    // One at a time, every upload exactly once.
    let mut paged = Vec::new();
    let mut q = uq(1);
    for _ in 0..20 {
        let page = list_uploads(store, &anchor, &q).await;
        paged.extend(ids(&page));
        if !page.is_truncated {
            break;
        }
        q.key_marker.clone_from(&page.next_key_marker);
        q.upload_id_marker.clone_from(&page.next_upload_id_marker);
    }
    assert_eq!(paged, expected, "paging uploads one at a time");

    // Completed and aborted uploads, and other buckets' and accounts' uploads, are not listed.
    create_bucket(store, a, "other").await;
    create_bucket(store, account_b(), BUCKET).await;
    start(store, &object(a, "other", "a")).await;
    start(store, &object(account_b(), BUCKET, "a")).await;
    store
        .abort_multipart_upload(&upload_ref(&object(a, BUCKET, "a"), &id(1)))
        .await
        .expect("abort");
    let target = object(a, BUCKET, "c/d");
    let done = upload_ref(&target, &id(3));
    let part = upload_part(store, &done, 1, &Bytes::from_static(b"x")).await;
    complete(store, &done, &[&part]).await;
    let page = list_uploads(store, &anchor, &uq(1000)).await;
    assert_eq!(
        ids(&page),
        [id(5), id(0), id(2), id(4)],
        "after an abort and a completion"
    );
}

async fn list_uploads_prefix_and_delimiter<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let made = create_spaced(store, a, &["logs/1", "logs/2", "logs/2", "root", "z/a/b"]).await;
    let id = |i: usize| made[i].upload_id.clone();
    let anchor = object(a, BUCKET, "x");
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            prefix: "logs/".to_owned(),
            ..uq(1000)
        },
    )
    .await;
    assert_eq!(ids(&page), [id(0), id(1), id(2)], "uploads under logs/");
    let slash = Some("/".to_owned());
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            delimiter: slash.clone(),
            ..uq(1000)
        },
    )
    .await;
    assert_eq!(ids(&page), [id(3)], "uploads at the root with delimiter /");
    assert_eq!(
        page.common_prefixes,
        ["logs/", "z/"],
        "common prefixes of uploads"
    );
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            prefix: "z/".to_owned(),
            delimiter: slash.clone(),
            ..uq(1000)
        },
    )
    .await;
    assert!(
        page.uploads.is_empty(),
        "no uploads directly under z/: {page:?}"
    );
    assert_eq!(page.common_prefixes, ["z/a/"], "prefixes under z/");
    // Prefixes and uploads count together; a page ending on a prefix resumes after it.
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            delimiter: slash.clone(),
            ..uq(1)
        },
    )
    .await;
    assert_eq!(
        page.common_prefixes,
        ["logs/"],
        "first page of 1 with delimiter"
    );
    assert!(
        page.uploads.is_empty() && page.is_truncated,
        "first page: {page:?}"
    );
    assert_eq!(
        page.next_key_marker.as_deref(),
        Some("logs/"),
        "marker after a prefix"
    );
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            delimiter: slash.clone(),
            key_marker: page.next_key_marker.clone(),
            upload_id_marker: page.next_upload_id_marker.clone(),
            ..uq(1)
        },
    )
    .await;
    assert_eq!(ids(&page), [id(3)], "second page of 1 with delimiter");
    assert!(page.is_truncated, "second page is truncated");
    let page = list_uploads(
        store,
        &anchor,
        &UploadListQuery {
            delimiter: slash,
            key_marker: page.next_key_marker.clone(),
            upload_id_marker: page.next_upload_id_marker.clone(),
            ..uq(1)
        },
    )
    .await;
    assert_eq!(
        page.common_prefixes,
        ["z/"],
        "third page of 1 with delimiter"
    );
    assert!(page.uploads.is_empty(), "third page: {page:?}");
    assert!(!page.is_truncated, "third page is the last");
}

async fn expire_uploads<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, b, BUCKET).await;
    let old = start(store, &object(a, BUCKET, "old")).await;
    upload_part(store, &old, 1, &Bytes::from_static(b"x")).await;
    wait_past(OffsetDateTime::now_utc(), 3);
    let cutoff = OffsetDateTime::now_utc();
    wait_past(cutoff, 3);
    let young = start(store, &object(a, BUCKET, "young")).await;
    let other = start(store, &object(b, BUCKET, "other")).await;

    let expired = store
        .expire_multipart_uploads(cutoff - Duration::days(1))
        .await
        .expect("expire with an old cutoff");
    assert_eq!(expired, 0, "nothing was initiated a day ago");

    // Only meaningful if the backend keeps initiation times finer than the spacing.
    let stored = list_uploads(store, &old.target, &uq(1000)).await;
    let initiated = |id: &str| {
        stored
            .uploads
            .iter()
            .find(|u| u.upload_id == id)
            .map(|u| u.initiated)
            .expect("listed")
    };
    if initiated(&old.upload_id) < cutoff && initiated(&young.upload_id) >= cutoff {
        let expired = store
            .expire_multipart_uploads(cutoff)
            .await
            .expect("expire with a cutoff between the uploads");
        assert_eq!(expired, 1, "exactly the upload initiated before the cutoff");
        assert_upload_gone(store, &old, "an expired upload").await;
        store
            .list_parts(&young, 0, 10)
            .await
            .expect("the younger upload survives");
    } else {
        println!("s4 testkit: multipart::expire_uploads: initiation times too coarse to split at {cutoff}");
        store.abort_multipart_upload(&old).await.expect("abort old");
    }
    let expired = store
        .expire_multipart_uploads(OffsetDateTime::now_utc() + Duration::days(1))
        .await
        .expect("expire everything");
    assert_eq!(
        expired, 2,
        "every remaining upload of every account expires"
    );
    assert_upload_gone(store, &young, "after expiring everything").await;
    assert_upload_gone(store, &other, "B's upload after expiring everything").await;
    store
        .delete_bucket(&a, BUCKET)
        .await
        .expect("A's bucket is empty");
    store
        .delete_bucket(&b, BUCKET)
        .await
        .expect("B's bucket is empty");
    assert_eq!(
        store
            .expire_multipart_uploads(OffsetDateTime::now_utc() + Duration::days(1))
            .await
            .expect("expire again"),
        0,
        "nothing left to expire"
    );
}
