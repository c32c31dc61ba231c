//! Conditional writes: `If-Match` and `If-None-Match` (`*` or ETags), decided atomically with
//! the write.

use bytes::Bytes;
use futures_util::future::{join, join_all};

use super::support::{
    account_a, assert_content, complete_request, completed, copy_request, create_bucket,
    expect_err, object, part_size, pattern, put, put_request, upload_part, upload_ref,
};
use super::{case, Case};
use s4_storage::{CopyObject, ObjectAttributes, WritePrecondition};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(conditions::if_none_match_any, ConditionalWrites),
        case!(conditions::if_match, ConditionalWrites),
        case!(conditions::racing_creates_one_wins, ConditionalWrites),
        case!(conditions::racing_if_match_one_wins, ConditionalWrites),
        case!(conditions::if_none_match_etags, ConditionalWrites),
        case!(
            conditions::complete_with_precondition,
            ConditionalWrites,
            Multipart
        ),
        case!(conditions::copy_with_precondition, ConditionalWrites, Copy),
        case!(
            conditions::copy_onto_missing_target,
            ConditionalWrites,
            Copy
        ),
    ]
}

const BUCKET: &str = "conditions";

fn none_match_any() -> WritePrecondition {
    WritePrecondition::if_none_match("*")
}

fn match_etag(value: &str) -> WritePrecondition {
    WritePrecondition::if_match(value)
}

async fn if_none_match_any<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "once");
    let first = pattern(1, 20);
    let mut request = put_request(&target, &first);
    request.precondition = none_match_any();
    store
        .put_object(request)
        .await
        .expect("If-None-Match: * on a missing key creates it");
    let mut request = put_request(&target, &pattern(2, 20));
    request.precondition = none_match_any();
    expect_err!(
        store.put_object(request).await,
        StorageError::PreconditionFailed,
        "If-None-Match: * on an existing key"
    );
    assert_content(
        store,
        &target,
        &first,
        "the object after a refused If-None-Match",
    )
    .await;
}

async fn if_match<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "guarded");
    let v1 = pattern(1, 20);
    let info = put(store, &target, &v1).await;

    for wrong in ["\"00000000000000000000000000000000\"", "garbage", "\"\""] {
        let mut request = put_request(&target, &pattern(2, 20));
        request.precondition = match_etag(wrong);
        expect_err!(
            store.put_object(request).await,
            StorageError::PreconditionFailed,
            format!("If-Match {wrong} against the current ETag")
        );
    }
    assert_content(store, &target, &v1, "the object after refused If-Match").await;

    // Quoted and unquoted forms of the current ETag both match.
    let v2 = pattern(2, 21);
    let mut request = put_request(&target, &v2);
    request.precondition = match_etag(&info.etag.quoted());
    let second = store
        .put_object(request)
        .await
        .expect("If-Match with the quoted current ETag");
    assert_content(store, &target, &v2, "after a matching If-Match").await;
    let v3 = pattern(3, 22);
    let mut request = put_request(&target, &v3);
    request.precondition = match_etag(second.etag.as_str());
    store
        .put_object(request)
        .await
        .expect("If-Match with the unquoted current ETag");
    // The old ETag no longer matches.
    let mut request = put_request(&target, &pattern(4, 23));
    request.precondition = match_etag(&info.etag.quoted());
    expect_err!(
        store.put_object(request).await,
        StorageError::PreconditionFailed,
        "If-Match with an ETag that was overwritten"
    );
    // `*` matches any existing object.
    let v5 = pattern(5, 24);
    let mut request = put_request(&target, &v5);
    request.precondition = match_etag("*");
    store
        .put_object(request)
        .await
        .expect("If-Match: * on an existing object");
    assert_content(store, &target, &v5, "after If-Match: *").await;

    // On a missing key If-Match answers NoSuchKey and creates nothing.
    let missing = object(a, BUCKET, "missing");
    for value in ["*", "\"d41d8cd98f00b204e9800998ecf8427e\""] {
        let mut request = put_request(&missing, &Bytes::new());
        request.precondition = match_etag(value);
        expect_err!(
            store.put_object(request).await,
            StorageError::NoSuchKey,
            format!("If-Match {value} on a missing key")
        );
    }
    expect_err!(
        store.head_object(&missing).await,
        StorageError::NoSuchKey,
        "a refused conditional put must not create the key"
    );
}

async fn racing_creates_one_wins<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    for round in 0..5u8 {
        let target = object(a, BUCKET, &format!("race-{round}"));
        let (x, y) = (pattern(round, 1000), pattern(round + 100, 1000));
        let mut first = put_request(&target, &x);
        first.precondition = none_match_any();
        let mut second = put_request(&target, &y);
        second.precondition = none_match_any();
        let (r1, r2) = join(store.put_object(first), store.put_object(second)).await;
        let winner = match (&r1, &r2) {
            (Ok(_), Err(StorageError::PreconditionFailed)) => &x,
            (Err(StorageError::PreconditionFailed), Ok(_)) => &y,
            _ => panic!(
                "round {round}: two If-None-Match: * puts must give exactly one success and one PreconditionFailed, got {r1:?} and {r2:?}"
            ),
        };
        assert_content(store, &target, winner, "the winner's bytes").await;
    }
}

/// How many writers race in [`racing_if_match_one_wins`].
const RACERS: u8 = 8;

async fn racing_if_match_one_wins<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "counter");
    let base = put(store, &target, &pattern(0, 50)).await;
    let bodies: Vec<_> = (1..=RACERS).map(|n| pattern(n, 50)).collect();
    let writes = bodies.iter().map(|body| {
        let mut request = put_request(&target, body);
        request.precondition = match_etag(&base.etag.quoted());
        store.put_object(request)
    });
    let results = join_all(writes).await;
    let mut winners = Vec::new();
    for (body, result) in bodies.iter().zip(&results) {
        match result {
            Ok(_) => winners.push(body),
            Err(StorageError::PreconditionFailed) => {}
            Err(other) => panic!("a racing If-Match put failed with {other:?}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{RACERS} puts with If-Match on the same ETag must give exactly one success, got {results:?}"
    );
    assert_content(store, &target, winners[0], "the winner's bytes").await;
}

async fn if_none_match_etags<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "not-this-one");
    let v1 = pattern(1, 20);
    let first = put(store, &target, &v1).await;
    // The current ETag, alone or in a list, quoted or not: refused.
    let other = "\"00000000000000000000000000000000\"";
    for value in [
        first.etag.quoted(),
        first.etag.as_str().to_owned(),
        format!("{other}, {}", first.etag.quoted()),
    ] {
        let mut request = put_request(&target, &pattern(2, 20));
        request.precondition = WritePrecondition::if_none_match(&value);
        expect_err!(
            store.put_object(request).await,
            StorageError::PreconditionFailed,
            format!("If-None-Match {value} naming the current ETag")
        );
    }
    assert_content(
        store,
        &target,
        &v1,
        "the object after refused If-None-Match",
    )
    .await;
    // Another ETag: the write goes ahead.
    let v2 = pattern(3, 21);
    let mut request = put_request(&target, &v2);
    request.precondition = WritePrecondition::if_none_match(other);
    store
        .put_object(request)
        .await
        .expect("If-None-Match with an ETag the object does not have");
    assert_content(store, &target, &v2, "after a holding If-None-Match").await;
    // A missing key has no ETag to match: created.
    let fresh = object(a, BUCKET, "fresh");
    let mut request = put_request(&fresh, &v1);
    request.precondition = WritePrecondition::if_none_match(&first.etag.quoted());
    store
        .put_object(request)
        .await
        .expect("If-None-Match with an ETag on a missing key");
    assert_content(store, &fresh, &v1, "the key If-None-Match created").await;
}

async fn complete_with_precondition<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "assembled");
    let existing = pattern(9, 10);
    let old = put(store, &target, &existing).await;
    let upload = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("create upload");
    let upload = upload_ref(&target, &upload.upload_id);
    let part = pattern(1, part_size(store));
    let info = upload_part(store, &upload, 1, &part).await;
    let mut request = complete_request(&upload, completed(&[&info]));
    request.precondition = none_match_any();
    expect_err!(
        store.complete_multipart_upload(request).await,
        StorageError::PreconditionFailed,
        "completing with If-None-Match: * over an existing object"
    );
    let mut request = complete_request(&upload, completed(&[&info]));
    request.precondition = WritePrecondition::if_none_match(&old.etag.quoted());
    expect_err!(
        store.complete_multipart_upload(request).await,
        StorageError::PreconditionFailed,
        "completing with If-None-Match naming the existing object's ETag"
    );
    let mut request = complete_request(&upload, completed(&[&info]));
    request.precondition = match_etag("\"0123\"");
    expect_err!(
        store.complete_multipart_upload(request).await,
        StorageError::PreconditionFailed,
        "completing with a wrong If-Match"
    );
    assert_content(
        store,
        &target,
        &existing,
        "the object after refused completions",
    )
    .await;
    let mut request = complete_request(&upload, completed(&[&info]));
    request.precondition = match_etag(&old.etag.quoted());
    store
        .complete_multipart_upload(request)
        .await
        .expect("completing with the current ETag in If-Match");
    assert_content(store, &target, &part, "the completed object").await;
}

async fn copy_with_precondition<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let target = object(a, BUCKET, "target");
    let source_bytes = pattern(1, 30);
    put(store, &source, &source_bytes).await;
    let existing = pattern(2, 30);
    let old = put(store, &target, &existing).await;
    let copy = |precondition| CopyObject {
        precondition,
        ..copy_request(&source, &target)
    };
    expect_err!(
        store.copy_object(copy(none_match_any())).await,
        StorageError::PreconditionFailed,
        "copy with If-None-Match: * onto an existing target"
    );
    expect_err!(
        store.copy_object(copy(match_etag("\"abc\""))).await,
        StorageError::PreconditionFailed,
        "copy with a wrong If-Match on the target"
    );
    assert_content(store, &target, &existing, "the target after refused copies").await;
    store
        .copy_object(copy(match_etag(&old.etag.quoted())))
        .await
        .expect("copy with the target's current ETag");
    assert_content(store, &target, &source_bytes, "the target after the copy").await;
}

/// A destination precondition on a missing destination fails the copy with
/// `PreconditionFailed` (not `NoSuchKey`, which would blame the source), and creates nothing.
async fn copy_onto_missing_target<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    let source_bytes = pattern(1, 30);
    let source_info = put(store, &source, &source_bytes).await;
    let target = object(a, BUCKET, "absent");
    let copy = |precondition| CopyObject {
        precondition,
        ..copy_request(&source, &target)
    };
    for value in ["*".to_owned(), source_info.etag.quoted()] {
        expect_err!(
            store.copy_object(copy(match_etag(&value))).await,
            StorageError::PreconditionFailed,
            format!("copy with If-Match {value} onto a missing target")
        );
    }
    expect_err!(
        store.head_object(&target).await,
        StorageError::NoSuchKey,
        "a refused copy must not create its target"
    );
    store
        .copy_object(copy(none_match_any()))
        .await
        .expect("copy with If-None-Match: * onto a missing target");
    assert_content(store, &target, &source_bytes, "the copy").await;
}
