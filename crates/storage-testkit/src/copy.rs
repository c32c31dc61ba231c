//! Server-side copy: COPY and REPLACE attributes, copy-source conditions, missing sources.

use bytes::Bytes;
use time::Duration;

use super::support::{
    account_a, account_b, assert_content, assert_range, assert_recent, complete_request, completed,
    copy_request, create_bucket, expect_err, object, part_size, pattern, put, put_request,
    rich_attributes, upload_part, upload_ref,
};
use super::{case, Case};
use s4_storage::{ByteRange, ContentHeaders, ObjectAttributes, ObjectRef, ReadConditions};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(copy::copy_keeps_source_attributes, Copy),
        case!(copy::replace_sets_new_attributes, Copy),
        case!(copy::onto_itself_with_replace, Copy),
        case!(copy::overwrites_existing_target, Copy),
        case!(copy::source_conditions, Copy),
        case!(copy::missing_source_or_bucket, Copy),
        case!(copy::across_accounts_and_buckets, Copy),
        case!(copy::multipart_source, Copy, Multipart),
    ]
}

const BUCKET: &str = "copies";

async fn put_with_attributes<S: ObjectStore>(
    store: &S,
    target: &ObjectRef,
    bytes: &Bytes,
    attributes: &ObjectAttributes,
) -> s4_storage::ObjectInfo {
    let mut request = put_request(target, bytes);
    request.attributes = attributes.clone();
    store
        .put_object(request)
        .await
        .unwrap_or_else(|e| panic!("put {}: {e:?}", target.key))
}

async fn copy_keeps_source_attributes<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let target = object(a, BUCKET, "target");
    let bytes = pattern(1, 777);
    let attributes = rich_attributes("source");
    let source_info = put_with_attributes(store, &source, &bytes, &attributes).await;
    let info = store
        .copy_object(copy_request(&source, &target))
        .await
        .expect("copy with COPY attributes");
    assert_eq!(info.key, "target", "copy answer: key");
    assert_eq!(info.size, 777, "copy answer: size");
    assert_eq!(
        info.etag, source_info.etag,
        "copy answer: same bytes, same ETag"
    );
    assert_eq!(
        info.attributes, attributes,
        "copy answer: the source's attributes"
    );
    assert_recent(info.last_modified, "copy answer: last_modified");
    let head = store.head_object(&target).await.expect("head target");
    assert_eq!(
        head.attributes, attributes,
        "head target: the source's attributes"
    );
    assert_eq!(head.etag, source_info.etag, "head target: ETag");
    assert_content(store, &target, &bytes, "the copy").await;
    assert_content(store, &source, &bytes, "the source after the copy").await;
    // The copy is independent of its source.
    store.delete_object(&source).await.expect("delete source");
    assert_content(
        store,
        &target,
        &bytes,
        "the copy after the source was deleted",
    )
    .await;
}

async fn replace_sets_new_attributes<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let target = object(a, BUCKET, "target");
    let bytes = pattern(2, 100);
    put_with_attributes(store, &source, &bytes, &rich_attributes("old")).await;
    let replacement = ObjectAttributes {
        content: ContentHeaders {
            content_type: Some("application/json".to_owned()),
            ..ContentHeaders::default()
        },
        user_metadata: [("fresh".to_owned(), "yes".to_owned())].into(),
    };
    let mut request = copy_request(&source, &target);
    request.replace_attributes = Some(replacement.clone());
    let info = store.copy_object(request).await.expect("copy with REPLACE");
    assert_eq!(
        info.attributes, replacement,
        "REPLACE: exactly the new attributes, nothing merged from the source"
    );
    let head = store.head_object(&target).await.expect("head target");
    assert_eq!(head.attributes, replacement, "head target after REPLACE");
    assert_eq!(
        store
            .head_object(&source)
            .await
            .expect("head source")
            .attributes,
        rich_attributes("old"),
        "the source keeps its attributes"
    );
    assert_content(store, &target, &bytes, "the copy").await;
    // REPLACE with empty attributes clears them.
    let mut request = copy_request(&source, &target);
    request.replace_attributes = Some(ObjectAttributes::default());
    store
        .copy_object(request)
        .await
        .expect("copy with empty REPLACE");
    assert_eq!(
        store.head_object(&target).await.expect("head").attributes,
        ObjectAttributes::default(),
        "REPLACE with no attributes"
    );
}

async fn onto_itself_with_replace<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let key = object(a, BUCKET, "self");
    let bytes = pattern(3, 500);
    let before = put_with_attributes(store, &key, &bytes, &rich_attributes("before")).await;
    let stored_before = store.head_object(&key).await.expect("head before");
    let mut request = copy_request(&key, &key);
    request.replace_attributes = Some(rich_attributes("after"));
    let info = store
        .copy_object(request)
        .await
        .expect("copy onto itself with REPLACE");
    assert_eq!(info.etag, before.etag, "same bytes, same ETag");
    assert_eq!(
        info.attributes,
        rich_attributes("after"),
        "the new attributes"
    );
    let head = store.head_object(&key).await.expect("head");
    assert_eq!(
        head.attributes,
        rich_attributes("after"),
        "head after self-copy"
    );
    assert_eq!(head.size, 500, "size after self-copy");
    assert!(
        head.last_modified >= stored_before.last_modified,
        "a self-copy must not move last_modified backwards"
    );
    assert_content(store, &key, &bytes, "bytes after self-copy").await;
}

async fn overwrites_existing_target<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "small");
    let target = object(a, BUCKET, "big");
    let small = pattern(4, 10);
    put(store, &source, &small).await;
    put(store, &target, &pattern(5, 5000)).await;
    store
        .copy_object(copy_request(&source, &target))
        .await
        .expect("copy over a bigger object");
    assert_content(store, &target, &small, "the overwritten target").await;
    assert_range(store, &target, &small, ByteRange::From { first: 5 }, 5..10).await;
}

async fn source_conditions<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let target = object(a, BUCKET, "target");
    let bytes = pattern(6, 64);
    let info = put(store, &source, &bytes).await;
    let modified = store
        .head_object(&source)
        .await
        .expect("head")
        .last_modified;
    let hour = Duration::hours(1);
    let etag = info.etag.quoted();
    let other = "\"ffffffffffffffffffffffffffffffff\"".to_owned();
    let refused: Vec<(&str, ReadConditions)> = vec![
        (
            "if_match with another ETag",
            ReadConditions {
                if_match: Some(other.clone()),
                ..ReadConditions::default()
            },
        ),
        (
            "if_none_match with the source's ETag",
            ReadConditions {
                if_none_match: Some(etag.clone()),
                ..ReadConditions::default()
            },
        ),
        (
            "if_none_match: *",
            ReadConditions {
                if_none_match: Some("*".to_owned()),
                ..ReadConditions::default()
            },
        ),
        (
            "if_modified_since in the future",
            ReadConditions {
                if_modified_since: Some(modified + hour),
                ..ReadConditions::default()
            },
        ),
        (
            "if_unmodified_since in the past",
            ReadConditions {
                if_unmodified_since: Some(modified - hour),
                ..ReadConditions::default()
            },
        ),
        (
            "if_match right but if_none_match also matching",
            ReadConditions {
                if_match: Some(etag.clone()),
                if_none_match: Some(etag.clone()),
                ..ReadConditions::default()
            },
        ),
    ];
    for (what, conditions) in refused {
        let mut request = copy_request(&source, &target);
        request.source_conditions = conditions;
        expect_err!(
            store.copy_object(request).await,
            StorageError::PreconditionFailed,
            format!("copy with {what}")
        );
        expect_err!(
            store.head_object(&target).await,
            StorageError::NoSuchKey,
            format!("the target after a copy refused by {what}")
        );
    }
    let accepted: Vec<(&str, ReadConditions)> = vec![
        (
            "if_match with the source's ETag in a list",
            ReadConditions {
                if_match: Some(format!("{other}, {etag}")),
                ..ReadConditions::default()
            },
        ),
        (
            "if_none_match with another ETag",
            ReadConditions {
                if_none_match: Some(other.clone()),
                ..ReadConditions::default()
            },
        ),
        (
            "if_modified_since in the past",
            ReadConditions {
                if_modified_since: Some(modified - hour),
                ..ReadConditions::default()
            },
        ),
        (
            "if_unmodified_since equal to last_modified",
            ReadConditions {
                if_unmodified_since: Some(modified),
                ..ReadConditions::default()
            },
        ),
        (
            "if_match right overriding a false if_unmodified_since",
            ReadConditions {
                if_match: Some(etag.clone()),
                if_unmodified_since: Some(modified - hour),
                ..ReadConditions::default()
            },
        ),
    ];
    for (what, conditions) in accepted {
        let mut request = copy_request(&source, &target);
        request.source_conditions = conditions;
        store
            .copy_object(request)
            .await
            .unwrap_or_else(|e| panic!("copy with {what}: {e:?}"));
        assert_content(
            store,
            &target,
            &bytes,
            &format!("the copy made with {what}"),
        )
        .await;
        store.delete_object(&target).await.expect("delete the copy");
    }
}

async fn missing_source_or_bucket<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "target");
    expect_err!(
        store
            .copy_object(copy_request(&object(a, BUCKET, "missing"), &target))
            .await,
        StorageError::NoSuchKey,
        "copy of a missing source key"
    );
    expect_err!(
        store
            .copy_object(copy_request(&object(a, "no-bucket", "k"), &target))
            .await,
        StorageError::NoSuchBucket,
        "copy from a missing bucket"
    );
    let source = object(a, BUCKET, "source");
    put(store, &source, &Bytes::from_static(b"data")).await;
    expect_err!(
        store
            .copy_object(copy_request(&source, &object(a, "no-bucket", "k")))
            .await,
        StorageError::NoSuchBucket,
        "copy into a missing bucket"
    );
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "no target after failed copies"
    );
}

async fn across_accounts_and_buckets<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, a, "other").await;
    create_bucket(store, b, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let bytes = pattern(7, 300);
    put(store, &source, &bytes).await;
    let other_bucket = object(a, "other", "copied");
    store
        .copy_object(copy_request(&source, &other_bucket))
        .await
        .expect("copy to another bucket of the account");
    assert_content(store, &other_bucket, &bytes, "the copy in another bucket").await;
    let other_account = object(b, BUCKET, "copied");
    store
        .copy_object(copy_request(&source, &other_account))
        .await
        .expect("copy to another account's bucket (authorization is the service's job)");
    assert_content(store, &other_account, &bytes, "the copy in B's bucket").await;
    expect_err!(
        store.head_object(&object(a, BUCKET, "copied")).await,
        StorageError::NoSuchKey,
        "the copies land only where they were sent"
    );
}

async fn multipart_source<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "multipart");
    let size = part_size(store);
    let upload = store
        .create_multipart_upload(&source, rich_attributes("mp"))
        .await
        .expect("create upload");
    let upload = upload_ref(&source, &upload.upload_id);
    let (p1, p2) = (pattern(1, size), pattern(2, size / 2));
    let i2 = upload_part(store, &upload, 2, &p2).await;
    let i1 = upload_part(store, &upload, 1, &p1).await;
    store
        .complete_multipart_upload(complete_request(&upload, completed(&[&i1, &i2])))
        .await
        .expect("complete");
    let whole: Bytes = [p1, p2].concat().into();
    let target = object(a, BUCKET, "copy-of-multipart");
    let info = store
        .copy_object(copy_request(&source, &target))
        .await
        .expect("copy a multipart object");
    assert_eq!(
        info.size,
        whole.len() as u64,
        "copy of a multipart object: size"
    );
    assert_eq!(
        info.attributes,
        rich_attributes("mp"),
        "COPY keeps the upload's attributes"
    );
    assert_content(store, &target, &whole, "the copy of a multipart object").await;
    let len = whole.len() as u64;
    let boundary = size as u64;
    assert_range(
        store,
        &target,
        &whole,
        ByteRange::Inclusive {
            first: boundary - 2,
            last: boundary + 1,
        },
        boundary - 2..boundary + 2,
    )
    .await;
    assert_range(
        store,
        &target,
        &whole,
        ByteRange::Suffix { len: 3 },
        len - 3..len,
    )
    .await;
}
