//! S4's object rules on every path that creates an object: PutObject, CopyObject,
//! CreateMultipartUpload (refused before the upload starts) and CompleteMultipartUpload. Every
//! refusal leaves the bucket as it was.

use bytes::Bytes;
use s4_naming::ObjectKeyError;

use super::support::{
    account_a, assert_content, complete_request, completed, copy_request, create_bucket,
    expect_err, keys_of, list, object, part_size, pattern, put, put_request, query, upload_part,
    upload_ref,
};
use super::{case, Case};
use s4_storage::body;
use s4_storage::multipart::UploadListQuery;
use s4_storage::{ObjectAttributes, ObjectRef};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(key_rules::put_refuses_bad_keys),
        case!(key_rules::put_folder_marker_holds_no_data),
        case!(key_rules::copy_follows_the_rules, Copy),
        case!(key_rules::multipart_follows_the_rules, Multipart),
        case!(key_rules::keys_of_1024_wide_characters),
        case!(
            key_rules::copy_and_complete_1024_wide_characters,
            Copy,
            Multipart
        ),
    ]
}

/// `n` characters of 3 and 4 bytes (CJK ideographs and emoji), varied so that no stretch
/// repeats and nothing compresses: up to 4 bytes a character on every backend.
fn wide_chars(seed: u32, n: usize) -> String {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let c = if i % 2 == 0 {
                0x4E00 + state % 0x5200
            } else {
                0x1F300 + state % 0x250
            };
            char::from_u32(c).unwrap_or('\u{1F600}')
        })
        .collect()
}

const BUCKET: &str = "rules";

/// One key breaking each rule of spec section 2.1.4, with the rule.
fn bad_keys() -> Vec<(String, ObjectKeyError)> {
    vec![
        ("..".to_owned(), ObjectKeyError::DotDot),
        ("../a".to_owned(), ObjectKeyError::LeadingDotDotSlash),
        ("a/..".to_owned(), ObjectKeyError::TrailingSlashDotDot),
        ("a/./b".to_owned(), ObjectKeyError::ContainsSlashDotSlash),
        (
            "a/../b".to_owned(),
            ObjectKeyError::ContainsSlashDotDotSlash,
        ),
        ("a//b".to_owned(), ObjectKeyError::ConsecutiveSlashes),
        (String::new(), ObjectKeyError::Empty),
        ("k".repeat(1025), ObjectKeyError::TooLong { len: 1025 }),
    ]
}

/// The bucket holds exactly `expected` and no uploads.
async fn assert_bucket<S: ObjectStore>(store: &S, expected: &[&str], what: &str) {
    let a = account_a();
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(keys_of(&page), expected, "{what}: the bucket's keys");
    let uploads = store
        .list_multipart_uploads(&a, BUCKET, &UploadListQuery::default())
        .await;
    if let Ok(uploads) = uploads {
        assert!(
            uploads.uploads.is_empty(),
            "{what}: uploads left behind: {:?}",
            uploads.uploads
        );
    }
}

fn is_rule(error: &StorageError, rule: ObjectKeyError) -> bool {
    matches!(error, StorageError::InvalidObjectKey(found) if *found == rule)
}

async fn put_refuses_bad_keys<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    for (key, rule) in bad_keys() {
        let result = store
            .put_object(put_request(&object(a, BUCKET, &key), &pattern(1, 5)))
            .await;
        match result {
            Err(e) if is_rule(&e, rule) => {}
            other => panic!("put {key:?}: expected InvalidObjectKey({rule:?}), got {other:?}"),
        }
    }
    assert_bucket(store, &[], "after refused puts").await;
}

async fn put_folder_marker_holds_no_data<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let marker = object(a, BUCKET, "folder/");
    // Announced, and not announced (the commit judges the size it received).
    for announced in [Some(3), None] {
        let mut request = put_request(&marker, &Bytes::from_static(b"abc"));
        request.content_length = announced;
        expect_err!(
            store.put_object(request).await,
            StorageError::KeyCannotHoldData,
            format!("a folder marker with 3 bytes, length announced {announced:?}")
        );
    }
    let mut request = put_request(&marker, &Bytes::new());
    request.content_length = None;
    request.body = body::from_chunks([Bytes::new(), Bytes::from_static(b"x")]);
    expect_err!(
        store.put_object(request).await,
        StorageError::KeyCannotHoldData,
        "a folder marker whose data arrives unannounced after an empty chunk"
    );
    assert_bucket(store, &[], "after refused folder markers").await;
    put(store, &marker, &Bytes::new()).await;
    assert_content(store, &marker, &Bytes::new(), "an empty folder marker").await;
}

async fn copy_follows_the_rules<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let full = object(a, BUCKET, "full");
    let empty = object(a, BUCKET, "empty");
    let full_bytes = pattern(2, 40);
    put(store, &full, &full_bytes).await;
    put(store, &empty, &Bytes::new()).await;
    let copy = |source: &ObjectRef, key: &str| copy_request(source, &object(a, BUCKET, key));
    expect_err!(
        store.copy_object(copy(&full, "folder/")).await,
        StorageError::KeyCannotHoldData,
        "copying 40 bytes onto a folder marker"
    );
    for (key, rule) in bad_keys() {
        match store.copy_object(copy(&full, &key)).await {
            Err(e) if is_rule(&e, rule) => {}
            other => {
                panic!("copy onto {key:?}: expected InvalidObjectKey({rule:?}), got {other:?}")
            }
        }
    }
    assert_bucket(store, &["empty", "full"], "after refused copies").await;
    store
        .copy_object(copy(&empty, "folder/"))
        .await
        .expect("copying an empty object onto a folder marker");
    assert_bucket(
        store,
        &["empty", "folder/", "full"],
        "after the allowed copy",
    )
    .await;
}

async fn multipart_follows_the_rules<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    expect_err!(
        store
            .create_multipart_upload(&object(a, BUCKET, "folder/"), ObjectAttributes::default())
            .await,
        StorageError::KeyCannotHoldData,
        "starting an upload to a folder marker"
    );
    for (key, rule) in bad_keys() {
        let result = store
            .create_multipart_upload(&object(a, BUCKET, &key), ObjectAttributes::default())
            .await;
        match result {
            Err(e) if is_rule(&e, rule) => {}
            other => {
                panic!("upload to {key:?}: expected InvalidObjectKey({rule:?}), got {other:?}")
            }
        }
    }
    assert_bucket(store, &[], "after refused uploads").await;
    // A valid upload still completes.
    let target = object(a, BUCKET, "assembled");
    let upload = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("create upload");
    let upload = upload_ref(&target, &upload.upload_id);
    let part = pattern(3, part_size(store));
    let info = upload_part(store, &upload, 1, &part).await;
    store
        .complete_multipart_upload(complete_request(&upload, completed(&[&info])))
        .await
        .expect("complete");
    assert_content(store, &target, &part, "the completed object").await;
}

/// Keys of 1024 characters and up to 4096 bytes (the spec counts characters) through put,
/// get, head, listing (prefix, delimiter, start-after) and delete; 1025 are refused.
async fn keys_of_1024_wide_characters<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let dir = format!("{}/", wide_chars(1, 500));
    let keys: Vec<String> = (2..5)
        .map(|seed| format!("{dir}{}", wide_chars(seed, 1024 - 501)))
        .collect();
    for key in &keys {
        assert_eq!(key.chars().count(), 1024);
        assert!(key.len() > 3000, "{} bytes", key.len());
    }
    for (i, key) in keys.iter().enumerate() {
        put(store, &object(a, BUCKET, key), &pattern(i as u8, 10 + i)).await;
    }
    for (i, key) in keys.iter().enumerate() {
        let target = object(a, BUCKET, key);
        assert_content(
            store,
            &target,
            &pattern(i as u8, 10 + i),
            "a 1024-character key",
        )
        .await;
        let head = store.head_object(&target).await.expect("head");
        assert_eq!(&head.key, key, "head: the key");
    }
    let mut sorted = keys.clone();
    sorted.sort();
    let page = list(store, a, BUCKET, &query(&dir, None, 1000)).await;
    assert_eq!(
        keys_of(&page),
        sorted,
        "listing under a 501-character prefix"
    );
    let page = list(store, a, BUCKET, &query("", Some("/"), 1000)).await;
    assert_eq!(
        page.common_prefixes,
        std::slice::from_ref(&dir),
        "the common prefix"
    );
    // Page by page, each page starting after a 1024-character key.
    let mut q = query(&dir, None, 1);
    let mut paged = Vec::new();
    loop {
        let page = list(store, a, BUCKET, &q).await;
        paged.extend(keys_of(&page));
        if !page.is_truncated {
            break;
        }
        q.start_after = page.next_start_after;
        assert!(paged.len() <= keys.len(), "the listing never ends");
    }
    assert_eq!(paged, sorted, "one key a page");

    let too_long = format!("{dir}{}", wide_chars(9, 1025 - 501));
    match store
        .put_object(put_request(&object(a, BUCKET, &too_long), &pattern(1, 1)))
        .await
    {
        Err(StorageError::InvalidObjectKey(ObjectKeyError::TooLong { len: 1025 })) => {}
        other => panic!("a 1025-character key: expected TooLong, got {other:?}"),
    }
    for key in &keys {
        store
            .delete_object(&object(a, BUCKET, key))
            .await
            .expect("delete");
    }
    assert_bucket(store, &[], "after deleting the long keys").await;
}

async fn copy_and_complete_1024_wide_characters<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, &wide_chars(20, 1024));
    let bytes = pattern(4, 33);
    put(store, &source, &bytes).await;
    let copied = object(a, BUCKET, &wide_chars(21, 1024));
    store
        .copy_object(copy_request(&source, &copied))
        .await
        .expect("copy between 1024-character keys");
    assert_content(store, &copied, &bytes, "the copy").await;

    let assembled = object(a, BUCKET, &wide_chars(22, 1024));
    let upload = store
        .create_multipart_upload(&assembled, ObjectAttributes::default())
        .await
        .expect("create an upload to a 1024-character key");
    let upload = upload_ref(&assembled, &upload.upload_id);
    let part = pattern(5, part_size(store));
    let info = upload_part(store, &upload, 1, &part).await;
    store
        .complete_multipart_upload(complete_request(&upload, completed(&[&info])))
        .await
        .expect("complete to a 1024-character key");
    assert_content(store, &assembled, &part, "the completed object").await;
}
