//! Usage counters: every change to a bucket's objects or uploads moves its totals exactly,
//! and nothing that failed moves them.

use bytes::Bytes;
use futures_util::future::join_all;

use super::support::{
    account_a, account_b, complete_request, completed, create_bucket, expect_err, object,
    part_size, pattern, put, put_request, upload_part, upload_ref,
};
use super::{case, Case};
use s4_storage::body;
use s4_storage::{
    AccountBucketUsage, BucketUsage, CopyObject, ObjectAttributes, ReadConditions,
    WritePrecondition,
};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(usage::puts_overwrites_and_deletes, UsageCounters),
        case!(
            usage::failed_writes_change_nothing,
            UsageCounters,
            ConditionalWrites
        ),
        case!(
            usage::multipart_uploads_and_completion,
            UsageCounters,
            Multipart
        ),
        case!(usage::copies, UsageCounters, Copy),
        case!(usage::racing_overwrites_count_once, UsageCounters),
        case!(usage::buckets_and_accounts_are_separate, UsageCounters),
    ]
}

const BUCKET: &str = "usage";

fn totals(objects: u64, bytes: u64, uploads_in_progress: u64) -> BucketUsage {
    BucketUsage {
        objects,
        bytes,
        uploads_in_progress,
    }
}

async fn expect_usage<S: ObjectStore>(store: &S, bucket: &str, want: BucketUsage, when: &str) {
    let got = store
        .bucket_usage(&account_a(), bucket)
        .await
        .unwrap_or_else(|e| panic!("bucket_usage {bucket} {when}: {e:?}"));
    assert_eq!(got, want, "bucket_usage of {bucket} {when}");
}

async fn puts_overwrites_and_deletes<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    expect_usage(store, BUCKET, totals(0, 0, 0), "when empty").await;
    // Sizes on both sides of the inline threshold disk backends commonly use.
    put(store, &object(a, BUCKET, "one"), &pattern(1, 10)).await;
    put(store, &object(a, BUCKET, "two"), &pattern(2, 50_000)).await;
    put(store, &object(a, BUCKET, "three"), &Bytes::new()).await;
    expect_usage(store, BUCKET, totals(3, 50_010, 0), "after three puts").await;
    put(store, &object(a, BUCKET, "two"), &pattern(3, 5)).await;
    expect_usage(store, BUCKET, totals(3, 15, 0), "after shrinking one").await;
    put(store, &object(a, BUCKET, "one"), &pattern(4, 9_000)).await;
    expect_usage(store, BUCKET, totals(3, 9_005, 0), "after growing one").await;
    store
        .delete_object(&object(a, BUCKET, "two"))
        .await
        .expect("delete two");
    expect_usage(store, BUCKET, totals(2, 9_000, 0), "after a delete").await;
    store
        .delete_object(&object(a, BUCKET, "never-was"))
        .await
        .expect("delete a missing key");
    expect_usage(store, BUCKET, totals(2, 9_000, 0), "after deleting nothing").await;
    let keys = ["one", "missing", "three", "one"].map(String::from);
    let results = store
        .delete_objects(&a, BUCKET, &keys)
        .await
        .expect("delete_objects");
    assert!(
        results.iter().all(Result::is_ok),
        "delete_objects: {results:?}"
    );
    expect_usage(store, BUCKET, totals(0, 0, 0), "after a batch delete").await;
    store
        .delete_bucket(&a, BUCKET)
        .await
        .expect("delete the empty bucket");
    expect_err!(
        store.bucket_usage(&a, BUCKET).await,
        StorageError::NoSuchBucket,
        "bucket_usage of a deleted bucket"
    );
    create_bucket(store, a, BUCKET).await;
    expect_usage(store, BUCKET, totals(0, 0, 0), "of a recreated bucket").await;
}

async fn failed_writes_change_nothing<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "kept");
    put(store, &target, &pattern(1, 100)).await;
    let mut request = put_request(&target, &pattern(2, 5_000));
    request.precondition = WritePrecondition::if_none_match("*");
    expect_err!(
        store.put_object(request).await,
        StorageError::PreconditionFailed,
        "If-None-Match: * over an existing key"
    );
    let mut request = put_request(&object(a, BUCKET, "cut"), &Bytes::new());
    request.content_length = None;
    request.body = body::failing_after([pattern(3, 7_000)], "client went away".into());
    assert!(
        store.put_object(request).await.is_err(),
        "a put whose body failed must fail"
    );
    let mut request = put_request(&object(a, BUCKET, "short"), &pattern(4, 10));
    request.content_length = Some(11);
    assert!(
        store.put_object(request).await.is_err(),
        "a put shorter than its length must fail"
    );
    expect_usage(store, BUCKET, totals(1, 100, 0), "after failed writes").await;
}

async fn multipart_uploads_and_completion<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let size = part_size(store);
    let target = object(a, BUCKET, "assembled");
    put(store, &target, &pattern(1, 3)).await;
    let first = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("create upload");
    let second = store
        .create_multipart_upload(&object(a, BUCKET, "abandoned"), ObjectAttributes::default())
        .await
        .expect("create a second upload");
    expect_usage(store, BUCKET, totals(1, 3, 2), "with two uploads started").await;
    let upload = upload_ref(&target, &first.upload_id);
    let p1 = upload_part(store, &upload, 1, &pattern(2, size)).await;
    let p2 = upload_part(store, &upload, 2, &pattern(3, 7)).await;
    // Parts are not objects until the upload completes.
    expect_usage(store, BUCKET, totals(1, 3, 2), "with parts uploaded").await;
    store
        .complete_multipart_upload(complete_request(&upload, completed(&[&p1, &p2])))
        .await
        .expect("complete over the existing key");
    let whole = size as u64 + 7;
    expect_usage(store, BUCKET, totals(1, whole, 1), "after completing").await;
    expect_err!(
        store
            .complete_multipart_upload(complete_request(&upload, completed(&[&p1, &p2])))
            .await,
        StorageError::NoSuchUpload,
        "completing twice"
    );
    let abandoned = upload_ref(&object(a, BUCKET, "abandoned"), &second.upload_id);
    upload_part(store, &abandoned, 1, &pattern(4, 9)).await;
    store
        .abort_multipart_upload(&abandoned)
        .await
        .expect("abort");
    expect_usage(store, BUCKET, totals(1, whole, 0), "after aborting").await;
    store
        .create_multipart_upload(&object(a, BUCKET, "expiring"), ObjectAttributes::default())
        .await
        .expect("create a third upload");
    expect_usage(store, BUCKET, totals(1, whole, 1), "with one upload").await;
    let cutoff = time::OffsetDateTime::now_utc() + time::Duration::seconds(60);
    let expired = store
        .expire_multipart_uploads(cutoff)
        .await
        .expect("expire");
    assert_eq!(expired, 1, "expire_multipart_uploads count");
    expect_usage(store, BUCKET, totals(1, whole, 0), "after expiry").await;
}

async fn copies<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, a, "elsewhere").await;
    let source = object(a, BUCKET, "source");
    put(store, &source, &pattern(1, 6_000)).await;
    put(store, &object(a, BUCKET, "small"), &pattern(2, 4)).await;
    let copy = |target: &str, bucket: &str| CopyObject {
        source: source.clone(),
        source_conditions: ReadConditions::default(),
        target: object(a, bucket, target),
        replace_attributes: None,
        precondition: WritePrecondition::default(),
    };
    store
        .copy_object(copy("fresh", BUCKET))
        .await
        .expect("copy to a new key");
    expect_usage(store, BUCKET, totals(3, 12_004, 0), "after a copy").await;
    store
        .copy_object(copy("small", BUCKET))
        .await
        .expect("copy over a smaller object");
    expect_usage(store, BUCKET, totals(3, 18_000, 0), "after a copy over").await;
    store
        .copy_object(copy("source", BUCKET))
        .await
        .expect("copy onto itself");
    expect_usage(store, BUCKET, totals(3, 18_000, 0), "after a self copy").await;
    store
        .copy_object(copy("there", "elsewhere"))
        .await
        .expect("copy to another bucket");
    expect_usage(store, BUCKET, totals(3, 18_000, 0), "after copying out").await;
    expect_usage(store, "elsewhere", totals(1, 6_000, 0), "after copying in").await;
}

async fn racing_overwrites_count_once<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let target = object(a, BUCKET, "contended");
    let writes = (0..16u8).map(|i| {
        let bytes = pattern(i, 100 + usize::from(i) * 1_000);
        let request = put_request(&target, &bytes);
        async move { store.put_object(request).await }
    });
    for (i, result) in join_all(writes).await.into_iter().enumerate() {
        result.unwrap_or_else(|e| panic!("racing put {i}: {e:?}"));
    }
    let winner = store.head_object(&target).await.expect("head the winner");
    expect_usage(
        store,
        BUCKET,
        totals(1, winner.size, 0),
        "after 16 racing overwrites",
    )
    .await;
    let deletes = (0..8).map(|_| store.delete_object(&target));
    for result in join_all(deletes).await {
        result.expect("racing delete");
    }
    expect_usage(store, BUCKET, totals(0, 0, 0), "after 8 racing deletes").await;
}

async fn buckets_and_accounts_are_separate<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, "alpha").await;
    create_bucket(store, a, "beta").await;
    create_bucket(store, b, "alpha").await;
    create_bucket(store, b, "empty").await;
    put(store, &object(a, "alpha", "k"), &pattern(1, 11)).await;
    put(store, &object(a, "beta", "k"), &pattern(2, 22)).await;
    put(store, &object(a, "beta", "l"), &pattern(3, 33)).await;
    put(store, &object(b, "alpha", "k"), &pattern(4, 44)).await;
    expect_usage(store, "alpha", totals(1, 11, 0), "of account A").await;
    let of_b = store
        .bucket_usage(&b, "alpha")
        .await
        .expect("bucket_usage of account B's alpha");
    assert_eq!(of_b, totals(1, 44, 0), "bucket_usage of account B's alpha");
    expect_err!(
        store.bucket_usage(&a, "empty").await,
        StorageError::NoSuchBucket,
        "bucket_usage of another account's bucket"
    );
    let all = store.all_bucket_usage().await.expect("all_bucket_usage");
    let entry = |account, bucket: &str, usage| AccountBucketUsage {
        account,
        bucket: bucket.to_owned(),
        usage,
    };
    let mut want = vec![
        entry(a, "alpha", totals(1, 11, 0)),
        entry(a, "beta", totals(2, 55, 0)),
        entry(b, "alpha", totals(1, 44, 0)),
        entry(b, "empty", totals(0, 0, 0)),
    ];
    want.sort_by(|x, y| (x.account, &x.bucket).cmp(&(y.account, &y.bucket)));
    assert_eq!(
        all, want,
        "all_bucket_usage: every bucket, ordered by account then name"
    );
}
