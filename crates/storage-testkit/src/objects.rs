//! Objects: put, get, head, delete, bodies that fail or lie, ranges.

use bytes::Bytes;

use super::support::{
    account_a, assert_content, assert_range, assert_recent, create_bucket, etag_of, expect_err,
    get, keys_of, list, md5_of, object, pattern, put, put_request, query, read_all,
    rich_attributes,
};
use super::{case, Case};
use s4_storage::body::{self, BoxError};
use s4_storage::multipart::UploadRef;
use s4_storage::{ByteRange, CopyObject, ObjectAttributes, ReadConditions, WritePrecondition};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(objects::put_get_head_round_trip),
        case!(objects::keys_are_stored_verbatim),
        case!(objects::empty_object),
        case!(objects::missing_bucket_and_key),
        case!(objects::overwrite_replaces_whole_object),
        case!(objects::failed_body_stores_nothing),
        case!(objects::bad_digest_stores_nothing),
        case!(objects::incomplete_body_both_directions),
        case!(objects::ranges),
        case!(objects::ranges_on_empty_object),
        case!(objects::get_streams_one_version),
        case!(objects::delete_is_idempotent),
        case!(objects::delete_objects_mixed),
        case!(objects::max_object_size),
        case!(objects::missing_capabilities_answer_not_implemented),
    ]
}

const BUCKET: &str = "objects";

async fn put_get_head_round_trip<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "docs/report.txt");
    let bytes = pattern(7, 3000);
    let attributes = rich_attributes("round-trip");
    // A body in several chunks, with its length and digest announced.
    let chunks = vec![
        bytes.slice(..1),
        bytes.slice(1..1000),
        Bytes::new(),
        bytes.slice(1000..),
    ];
    let mut request = put_request(&target, &bytes);
    request.attributes = attributes.clone();
    request.body = body::from_chunks(chunks);
    request.content_md5 = Some(md5_of(&bytes));
    let info = store.put_object(request).await.expect("put");
    assert_eq!(info.key, target.key, "put answer: key");
    assert_eq!(info.size, 3000, "put answer: size");
    assert_eq!(
        info.etag,
        etag_of(&bytes),
        "put answer: ETag is the hex MD5"
    );
    assert_eq!(
        info.parts, None,
        "put answer: a simple object has no part layout"
    );
    assert_eq!(
        info.attributes, attributes,
        "put answer: attributes as given"
    );
    assert_recent(info.last_modified, "put answer: last_modified");

    let head = store.head_object(&target).await.expect("head");
    assert_eq!(head.key, target.key, "head: key");
    assert_eq!(head.size, 3000, "head: size");
    assert_eq!(head.etag, info.etag, "head: ETag");
    assert_eq!(head.parts, None, "head: parts");
    assert_eq!(
        head.attributes, attributes,
        "head: content headers and user metadata"
    );
    assert!(
        (head.last_modified - info.last_modified).abs() < time::Duration::seconds(1),
        "head: last_modified {} differs from the put answer's {}",
        head.last_modified,
        info.last_modified
    );

    let (got_info, range, got) = get(store, &target, None).await;
    assert_eq!(range, None, "get without Range: range");
    assert_eq!(got_info, head, "get: metadata must equal head's");
    assert_eq!(got, bytes, "get: bytes");

    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(keys_of(&page), [target.key.as_str()], "listing after put");
    assert_eq!(page.objects[0].etag, info.etag, "listing: ETag");
    assert_eq!(page.objects[0].size, 3000, "listing: size");
}

async fn keys_are_stored_verbatim<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let keys = [
        "a b",
        "/leading",
        "..x/.",
        "./y/.",
        "dots.../x",
        "ключ/ünïcödé/\u{1F600}",
        "percent%2Fencoded+plus",
        "CaseSensitive",
        "casesensitive",
    ];
    for (i, key) in keys.iter().enumerate() {
        put(store, &object(a, BUCKET, key), &pattern(i as u8, 10 + i)).await;
    }
    for (i, key) in keys.iter().enumerate() {
        assert_content(
            store,
            &object(a, BUCKET, key),
            &pattern(i as u8, 10 + i),
            &format!("key {key:?}"),
        )
        .await;
    }
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(
        keys_of(&list(store, a, BUCKET, &query("", None, 1000)).await),
        expected,
        "every key must be listed exactly as put"
    );
}

async fn empty_object<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "empty");
    let info = put(store, &target, &Bytes::new()).await;
    assert_eq!(
        info.etag.as_str(),
        "d41d8cd98f00b204e9800998ecf8427e",
        "the ETag of an empty object"
    );
    assert_content(store, &target, &Bytes::new(), "empty object").await;
    // Also without an announced length and with a body of empty chunks.
    let other = object(a, BUCKET, "empty-chunks");
    let mut request = put_request(&other, &Bytes::new());
    request.content_length = None;
    request.body = body::from_chunks([Bytes::new(), Bytes::new()]);
    let info = store.put_object(request).await.expect("put empty chunks");
    assert_eq!(info.size, 0, "empty chunks: size");
    assert_content(store, &other, &Bytes::new(), "empty chunks").await;
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(
        keys_of(&page),
        ["empty", "empty-chunks"],
        "empty objects are listed"
    );
    assert!(
        page.objects.iter().all(|o| o.size == 0),
        "listed sizes: {page:?}"
    );
}

async fn missing_bucket_and_key<S: ObjectStore>(store: &S) {
    let a = account_a();
    let nowhere = object(a, "missing", "k");
    expect_err!(
        store.get_object(&nowhere, None).await,
        StorageError::NoSuchBucket,
        "get in a missing bucket"
    );
    expect_err!(
        store.head_object(&nowhere).await,
        StorageError::NoSuchBucket,
        "head in a missing bucket"
    );
    expect_err!(
        store
            .put_object(put_request(&nowhere, &Bytes::from_static(b"x")))
            .await,
        StorageError::NoSuchBucket,
        "put into a missing bucket"
    );
    expect_err!(
        store
            .list_objects(&a, "missing", &query("", None, 10))
            .await,
        StorageError::NoSuchBucket,
        "list a missing bucket"
    );
    expect_err!(
        store.head_bucket(&a, "missing").await,
        StorageError::NoSuchBucket,
        "the failed put must not create the bucket"
    );
    create_bucket(store, a, BUCKET).await;
    let missing = object(a, BUCKET, "nope");
    expect_err!(
        store.get_object(&missing, None).await,
        StorageError::NoSuchKey,
        "get of a missing key"
    );
    expect_err!(
        store
            .get_object(&missing, Some(ByteRange::From { first: 0 }))
            .await,
        StorageError::NoSuchKey,
        "ranged get of a missing key"
    );
    expect_err!(
        store.head_object(&missing).await,
        StorageError::NoSuchKey,
        "head of a missing key"
    );
    put(
        store,
        &object(a, BUCKET, "nope/child"),
        &Bytes::from_static(b"x"),
    )
    .await;
    expect_err!(
        store.head_object(&missing).await,
        StorageError::NoSuchKey,
        "a key that is only a prefix of another key does not exist"
    );
}

async fn overwrite_replaces_whole_object<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "doc");
    let old = pattern(1, 5000);
    let mut request = put_request(&target, &old);
    request.attributes = rich_attributes("old");
    let first = store.put_object(request).await.expect("first put");
    let new = pattern(2, 100);
    let second = put(store, &target, &new).await;
    assert_ne!(
        second.etag, first.etag,
        "an overwrite with other bytes has a new ETag"
    );
    assert_content(store, &target, &new, "after overwrite").await;
    let head = store.head_object(&target).await.expect("head");
    assert_eq!(head.etag, second.etag, "head after overwrite: ETag");
    assert_eq!(
        head.attributes,
        ObjectAttributes::default(),
        "an overwrite replaces the attributes too"
    );
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(page.objects.len(), 1, "one key after overwrite: {page:?}");
    assert_eq!(
        page.objects[0].etag, second.etag,
        "listing after overwrite: ETag"
    );
    assert_eq!(page.objects[0].size, 100, "listing after overwrite: size");
}

fn cut(message: &str) -> BoxError {
    message.to_owned().into()
}

async fn failed_body_stores_nothing<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let existing = object(a, BUCKET, "existing");
    let old = pattern(3, 64);
    let old_info = put(store, &existing, &old).await;

    // Overwrite attempt whose body fails half-way: the old object stays whole.
    let mut request = put_request(&existing, &pattern(4, 128));
    request.body = body::failing_after([pattern(4, 64)], cut("signature mismatch"));
    match store.put_object(request).await {
        Err(StorageError::Body(source)) => assert_eq!(
            source.to_string(),
            "signature mismatch",
            "the body error must be passed through untouched"
        ),
        other => panic!("put with a failing body: expected Err(Body), got {other:?}"),
    }
    assert_content(
        store,
        &existing,
        &old,
        "the old object after a failed overwrite",
    )
    .await;
    assert_eq!(
        store.head_object(&existing).await.expect("head").etag,
        old_info.etag,
        "the ETag after a failed overwrite"
    );

    // A new key whose body fails, before or after some bytes: nothing is created.
    for (key, chunks) in [
        ("new-after-bytes", vec![pattern(5, 10), pattern(6, 10)]),
        ("new-at-once", vec![]),
    ] {
        let target = object(a, BUCKET, key);
        let mut request = put_request(&target, &pattern(5, 20));
        request.content_length = None;
        request.body = body::failing_after(chunks, cut("client went away"));
        expect_err!(
            store.put_object(request).await,
            StorageError::Body(_),
            format!("put {key} with a failing body")
        );
        expect_err!(
            store.head_object(&target).await,
            StorageError::NoSuchKey,
            format!("{key} must not exist after its body failed")
        );
    }
    assert_eq!(
        keys_of(&list(store, a, BUCKET, &query("", None, 1000)).await),
        ["existing"],
        "the listing after failed bodies"
    );
}

async fn bad_digest_stores_nothing<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let existing = object(a, BUCKET, "existing");
    let old = pattern(1, 40);
    put(store, &existing, &old).await;
    let new = pattern(2, 40);
    for target in [existing.clone(), object(a, BUCKET, "fresh")] {
        let mut request = put_request(&target, &new);
        request.content_md5 = Some(md5_of(b"something else"));
        expect_err!(
            store.put_object(request).await,
            StorageError::BadDigest,
            format!("put {} with a wrong Content-MD5", target.key)
        );
    }
    assert_content(store, &existing, &old, "the old object after BadDigest").await;
    expect_err!(
        store.head_object(&object(a, BUCKET, "fresh")).await,
        StorageError::NoSuchKey,
        "a new key refused with BadDigest must not exist"
    );
    // The right digest is accepted.
    let mut request = put_request(&existing, &new);
    request.content_md5 = Some(md5_of(&new));
    store
        .put_object(request)
        .await
        .expect("put with the right Content-MD5");
    assert_content(store, &existing, &new, "after a put with the right digest").await;
}

async fn incomplete_body_both_directions<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let existing = object(a, BUCKET, "existing");
    let old = pattern(1, 30);
    put(store, &existing, &old).await;
    let body_bytes = pattern(2, 50);
    for announced in [60u64, 40, 0] {
        for target in [existing.clone(), object(a, BUCKET, "fresh")] {
            let mut request = put_request(&target, &body_bytes);
            request.content_length = Some(announced);
            match store.put_object(request).await {
                Err(StorageError::IncompleteBody { expected, received }) => {
                    assert_eq!(expected, announced, "IncompleteBody.expected");
                    // A backend may stop reading as soon as the body runs past the
                    // announced length.
                    assert!(
                        received == 50 || (announced < 50 && received > announced),
                        "IncompleteBody.received {received} for 50 bytes against {announced}"
                    );
                }
                other => panic!(
                    "put {} of 50 bytes announced as {announced}: expected IncompleteBody, got {other:?}",
                    target.key
                ),
            }
        }
    }
    assert_content(
        store,
        &existing,
        &old,
        "the old object after IncompleteBody",
    )
    .await;
    expect_err!(
        store.head_object(&object(a, BUCKET, "fresh")).await,
        StorageError::NoSuchKey,
        "a new key refused with IncompleteBody must not exist"
    );
}

async fn ranges<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "hundred");
    let whole = pattern(9, 100);
    put(store, &target, &whole).await;
    let served = [
        (ByteRange::Inclusive { first: 0, last: 0 }, 0..1),
        (
            ByteRange::Inclusive {
                first: 10,
                last: 19,
            },
            10..20,
        ),
        (ByteRange::Inclusive { first: 0, last: 99 }, 0..100),
        (
            ByteRange::Inclusive {
                first: 90,
                last: 1000,
            },
            90..100,
        ),
        (
            ByteRange::Inclusive {
                first: 99,
                last: u64::MAX,
            },
            99..100,
        ),
        (ByteRange::From { first: 0 }, 0..100),
        (ByteRange::From { first: 95 }, 95..100),
        (ByteRange::From { first: 99 }, 99..100),
        (ByteRange::Suffix { len: 10 }, 90..100),
        (ByteRange::Suffix { len: 1 }, 99..100),
        (ByteRange::Suffix { len: 100 }, 0..100),
        (ByteRange::Suffix { len: 1000 }, 0..100),
    ];
    for (range, expected) in served {
        assert_range(store, &target, &whole, range, expected).await;
    }
    for range in [
        ByteRange::Inclusive {
            first: 100,
            last: 200,
        },
        ByteRange::Inclusive {
            first: 1000,
            last: 1000,
        },
        ByteRange::From { first: 100 },
        ByteRange::Suffix { len: 0 },
    ] {
        expect_err!(
            store.get_object(&target, Some(range)).await,
            StorageError::InvalidRange,
            format!("unsatisfiable {range:?} of a 100-byte object")
        );
    }
}

async fn ranges_on_empty_object<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "empty");
    put(store, &target, &Bytes::new()).await;
    for range in [
        ByteRange::Inclusive { first: 0, last: 0 },
        ByteRange::From { first: 0 },
        ByteRange::Suffix { len: 5 },
    ] {
        expect_err!(
            store.get_object(&target, Some(range)).await,
            StorageError::InvalidRange,
            format!("{range:?} of an empty object")
        );
    }
}

async fn get_streams_one_version<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "moving");
    let old = pattern(1, 4096);
    let old_info = put(store, &target, &old).await;
    // Open two reads, then overwrite and delete the object before consuming them.
    let whole = store.get_object(&target, None).await.expect("get");
    let ranged = store
        .get_object(
            &target,
            Some(ByteRange::Inclusive {
                first: 100,
                last: 3999,
            }),
        )
        .await
        .expect("ranged get");
    put(store, &target, &pattern(2, 10)).await;
    store.delete_object(&target).await.expect("delete");
    assert_eq!(whole.info.etag, old_info.etag, "the open read's metadata");
    assert_eq!(
        read_all(whole.body, "the open read").await,
        old,
        "a read opened before an overwrite streams the version it started with"
    );
    assert_eq!(
        ranged.range,
        Some(100..4000),
        "the open ranged read's range"
    );
    assert_eq!(
        read_all(ranged.body, "the open ranged read").await,
        old.slice(100..4000),
        "a ranged read opened before an overwrite streams the old bytes"
    );
}

async fn delete_is_idempotent<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "doomed");
    let neighbour = object(a, BUCKET, "doomed-not");
    put(store, &target, &Bytes::from_static(b"bye")).await;
    put(store, &neighbour, &Bytes::from_static(b"stay")).await;
    store.delete_object(&target).await.expect("delete");
    expect_err!(
        store.get_object(&target, None).await,
        StorageError::NoSuchKey,
        "get after delete"
    );
    store
        .delete_object(&target)
        .await
        .expect("deleting a missing key succeeds");
    store
        .delete_object(&object(a, BUCKET, "never-existed"))
        .await
        .expect("deleting a never-created key succeeds");
    assert_content(
        store,
        &neighbour,
        &Bytes::from_static(b"stay"),
        "the neighbour",
    )
    .await;
    expect_err!(
        store.delete_object(&object(a, "missing", "k")).await,
        StorageError::NoSuchBucket,
        "delete in a missing bucket"
    );
    assert_eq!(
        keys_of(&list(store, a, BUCKET, &query("", None, 1000)).await),
        ["doomed-not"],
        "listing after delete"
    );
}

async fn delete_objects_mixed<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    for key in ["one", "two", "three", "keep"] {
        put(
            store,
            &object(a, BUCKET, key),
            &Bytes::from(key.as_bytes().to_vec()),
        )
        .await;
    }
    let keys: Vec<String> = ["one", "missing", "three", "one", "two"]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    let results = store
        .delete_objects(&a, BUCKET, &keys)
        .await
        .expect("delete objects");
    assert_eq!(results.len(), keys.len(), "one result per key: {results:?}");
    for (key, result) in keys.iter().zip(&results) {
        assert!(
            result.is_ok(),
            "delete_objects result for {key}: {result:?}"
        );
    }
    assert_eq!(
        keys_of(&list(store, a, BUCKET, &query("", None, 1000)).await),
        ["keep"],
        "only the unnamed key remains"
    );
    expect_err!(
        store.delete_objects(&a, "missing", &keys).await,
        StorageError::NoSuchBucket,
        "delete_objects in a missing bucket"
    );
}

async fn max_object_size<S: ObjectStore>(store: &S) {
    let max = store.capabilities().max_object_size;
    assert!(max > 0, "capabilities().max_object_size must be positive");
    if max > 1 << 20 {
        println!("s4 testkit: objects::max_object_size: the limit ({max} bytes) is too large to exercise, only checked for being positive");
        return;
    }
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let len = usize::try_from(max).expect("at most 1 MiB");
    let fits = pattern(1, len);
    put(store, &object(a, BUCKET, "fits"), &fits).await;
    let target = object(a, BUCKET, "too-big");
    expect_err!(
        store
            .put_object(put_request(&target, &pattern(2, len + 1)))
            .await,
        StorageError::EntityTooLarge,
        format!("a put of {} bytes with a limit of {max}", len + 1)
    );
    let mut unannounced = put_request(&target, &pattern(2, len + 1));
    unannounced.content_length = None;
    expect_err!(
        store.put_object(unannounced).await,
        StorageError::EntityTooLarge,
        "an oversized put without Content-Length"
    );
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "the oversized object must not exist"
    );
}

/// Optional areas a backend lacks must answer `NotImplemented`, not fail half-way.
async fn missing_capabilities_answer_not_implemented<S: ObjectStore>(store: &S) {
    let caps = store.capabilities();
    assert!(
        caps.min_part_size <= caps.max_object_size,
        "capabilities: min_part_size {} exceeds max_object_size {}",
        caps.min_part_size,
        caps.max_object_size
    );
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "k");
    put(store, &target, &Bytes::from_static(b"v")).await;
    if !caps.bucket_policies {
        expect_err!(
            store.get_bucket_policy(&a, BUCKET).await,
            StorageError::NotImplemented(_),
            "get_bucket_policy without the capability"
        );
        expect_err!(
            store
                .set_bucket_policy(&a, BUCKET, Some("{}".to_owned()))
                .await,
            StorageError::NotImplemented(_),
            "set_bucket_policy without the capability"
        );
    }
    if !caps.copy {
        expect_err!(
            store
                .copy_object(CopyObject {
                    source: target.clone(),
                    source_conditions: ReadConditions::default(),
                    target: object(a, BUCKET, "copy"),
                    replace_attributes: None,
                    precondition: WritePrecondition::default(),
                })
                .await,
            StorageError::NotImplemented(_),
            "copy_object without the capability"
        );
    }
    if !caps.multipart {
        expect_err!(
            store
                .create_multipart_upload(&target, ObjectAttributes::default())
                .await,
            StorageError::NotImplemented(_),
            "create_multipart_upload without the capability"
        );
        expect_err!(
            store
                .abort_multipart_upload(&UploadRef {
                    target: target.clone(),
                    upload_id: "x".to_owned(),
                })
                .await,
            StorageError::NotImplemented(_),
            "abort_multipart_upload without the capability"
        );
    }
    let (_, _, bytes) = get(store, &target, None).await;
    assert_eq!(
        bytes,
        Bytes::from_static(b"v"),
        "the object after refused operations"
    );
}
