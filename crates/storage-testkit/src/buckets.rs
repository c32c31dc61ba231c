//! Buckets: create, head, list, delete, per-account namespaces and bucket policies.

use bytes::Bytes;

use super::support::{
    account_a, account_b, assert_content, assert_recent, create_bucket, expect_err, get, keys_of,
    list, object, put, query,
};
use super::{case, Case};
use s4_storage::ObjectAttributes;
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(buckets::create_head_and_list_sorted),
        case!(buckets::duplicate_is_already_owned_by_you),
        case!(buckets::delete_rules),
        case!(
            buckets::upload_in_progress_keeps_bucket_non_empty,
            Multipart
        ),
        case!(buckets::same_name_in_two_accounts_is_isolated),
        case!(buckets::policy_round_trip, BucketPolicies),
        case!(buckets::policy_errors_and_isolation, BucketPolicies),
    ]
}

async fn create_head_and_list_sorted<S: ObjectStore>(store: &S) {
    let a = account_a();
    assert!(
        store
            .list_buckets(&a)
            .await
            .expect("list buckets")
            .is_empty(),
        "a fresh store must list no buckets"
    );
    for name in ["photos", "archive", "zeta-logs", "b.dotted"] {
        let info = store
            .create_bucket(&a, name)
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
        assert_eq!(info.name, name, "create bucket {name}: the answer's name");
        assert_recent(info.created, "create bucket: creation time");
    }
    let head = store.head_bucket(&a, "photos").await.expect("head photos");
    assert_eq!(head.name, "photos", "head bucket: name");
    let names: Vec<String> = store
        .list_buckets(&a)
        .await
        .expect("list buckets")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(
        names,
        ["archive", "b.dotted", "photos", "zeta-logs"],
        "list buckets must be sorted by name"
    );
    expect_err!(
        store.head_bucket(&a, "missing").await,
        StorageError::NoSuchBucket,
        "head of a bucket never created"
    );
    assert!(
        store
            .list_buckets(&account_b())
            .await
            .expect("list buckets of B")
            .is_empty(),
        "another account must not see A's buckets"
    );
}

async fn duplicate_is_already_owned_by_you<S: ObjectStore>(store: &S) {
    let a = account_a();
    let first = store
        .create_bucket(&a, "photos")
        .await
        .expect("first create");
    put(
        store,
        &object(a, "photos", "kept"),
        &Bytes::from_static(b"still here"),
    )
    .await;
    expect_err!(
        store.create_bucket(&a, "photos").await,
        StorageError::BucketAlreadyOwnedByYou,
        "creating a bucket the account already owns"
    );
    let listed = store.list_buckets(&a).await.expect("list buckets");
    assert_eq!(
        listed.len(),
        1,
        "the duplicate create must not add a bucket: {listed:?}"
    );
    let head = store.head_bucket(&a, "photos").await.expect("head photos");
    assert!(
        (head.created - first.created).abs() < time::Duration::seconds(1),
        "the duplicate create must not reset the creation time ({} became {})",
        first.created,
        head.created
    );
    assert_content(
        store,
        &object(a, "photos", "kept"),
        &Bytes::from_static(b"still here"),
        "the duplicate create must not empty the bucket",
    )
    .await;
}

async fn delete_rules<S: ObjectStore>(store: &S) {
    let a = account_a();
    expect_err!(
        store.delete_bucket(&a, "missing").await,
        StorageError::NoSuchBucket,
        "delete of a bucket never created"
    );
    create_bucket(store, a, "photos").await;
    create_bucket(store, a, "other").await;
    let key = object(a, "photos", "cat.jpg");
    put(store, &key, &Bytes::from_static(b"meow")).await;
    expect_err!(
        store.delete_bucket(&a, "photos").await,
        StorageError::BucketNotEmpty,
        "delete of a bucket holding an object"
    );
    store
        .head_bucket(&a, "photos")
        .await
        .expect("the bucket survives a refused delete");
    store.delete_object(&key).await.expect("delete the object");
    store
        .delete_bucket(&a, "photos")
        .await
        .expect("delete the emptied bucket");
    expect_err!(
        store.head_bucket(&a, "photos").await,
        StorageError::NoSuchBucket,
        "head after delete"
    );
    expect_err!(
        store.delete_bucket(&a, "photos").await,
        StorageError::NoSuchBucket,
        "second delete"
    );
    expect_err!(
        store.get_object(&key, None).await,
        StorageError::NoSuchBucket,
        "get from a deleted bucket"
    );
    let names: Vec<String> = store
        .list_buckets(&a)
        .await
        .expect("list buckets")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["other"], "only the other bucket remains");
    // A re-created bucket starts empty.
    create_bucket(store, a, "photos").await;
    let page = list(store, a, "photos", &query("", None, 1000)).await;
    assert!(
        page.objects.is_empty() && page.common_prefixes.is_empty(),
        "a re-created bucket must be empty: {page:?}"
    );
}

async fn upload_in_progress_keeps_bucket_non_empty<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, "uploads").await;
    let target = object(a, "uploads", "big.bin");
    let upload = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("create upload");
    expect_err!(
        store.delete_bucket(&a, "uploads").await,
        StorageError::BucketNotEmpty,
        "delete of a bucket whose only content is an upload in progress"
    );
    let upload_ref = super::support::upload_ref(&target, &upload.upload_id);
    store
        .abort_multipart_upload(&upload_ref)
        .await
        .expect("abort the upload");
    store
        .delete_bucket(&a, "uploads")
        .await
        .expect("delete after the upload was aborted");
}

async fn same_name_in_two_accounts_is_isolated<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, "photos").await;
    // Bucket names are scoped to accounts: B may own a "photos" too.
    create_bucket(store, b, "photos").await;
    let (in_a, in_b) = (object(a, "photos", "k"), object(b, "photos", "k"));
    put(store, &in_a, &Bytes::from_static(b"from A")).await;
    put(store, &in_b, &Bytes::from_static(b"from B, longer")).await;
    put(
        store,
        &object(a, "photos", "only-in-a"),
        &Bytes::from_static(b"x"),
    )
    .await;
    assert_content(store, &in_a, &Bytes::from_static(b"from A"), "A's object").await;
    assert_content(
        store,
        &in_b,
        &Bytes::from_static(b"from B, longer"),
        "B's object",
    )
    .await;
    assert_eq!(
        keys_of(&list(store, b, "photos", &query("", None, 1000)).await),
        ["k"],
        "B's listing must not show A's keys"
    );
    expect_err!(
        store.head_object(&object(b, "photos", "only-in-a")).await,
        StorageError::NoSuchKey,
        "B heads a key that only A has"
    );
    store.delete_object(&in_a).await.expect("delete A's object");
    let (_, _, bytes) = get(store, &in_b, None).await;
    assert_eq!(
        bytes,
        Bytes::from_static(b"from B, longer"),
        "B's object survives A's delete"
    );
    store
        .delete_object(&object(a, "photos", "only-in-a"))
        .await
        .expect("delete A's other object");
    store
        .delete_bucket(&a, "photos")
        .await
        .expect("delete A's bucket");
    store
        .head_bucket(&b, "photos")
        .await
        .expect("B's bucket survives A's bucket delete");
    expect_err!(
        store.create_bucket(&b, "photos").await,
        StorageError::BucketAlreadyOwnedByYou,
        "B re-creates its own bucket"
    );
    assert!(
        store.list_buckets(&a).await.expect("list A").is_empty(),
        "A has no buckets left"
    );
}

const POLICY: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"caf\u{e9} \u{1F600}\",\n    \"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\",\n    \"Resource\": \"arn:aws:s3:::photos/*\"}]   \n}\n";

async fn policy_round_trip<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, "photos").await;
    expect_err!(
        store.get_bucket_policy(&a, "photos").await,
        StorageError::NoSuchBucketPolicy,
        "policy of a fresh bucket"
    );
    store
        .set_bucket_policy(&a, "photos", Some(POLICY.to_owned()))
        .await
        .expect("set policy");
    let got = store
        .get_bucket_policy(&a, "photos")
        .await
        .expect("get policy");
    assert_eq!(got, POLICY, "the policy must come back byte for byte");
    let replacement = "{\"Version\":\"2012-10-17\",\"Statement\":[]}".to_owned();
    store
        .set_bucket_policy(&a, "photos", Some(replacement.clone()))
        .await
        .expect("replace policy");
    assert_eq!(
        store
            .get_bucket_policy(&a, "photos")
            .await
            .expect("get replaced policy"),
        replacement,
        "a second put replaces the policy"
    );
    store
        .set_bucket_policy(&a, "photos", None)
        .await
        .expect("delete policy");
    expect_err!(
        store.get_bucket_policy(&a, "photos").await,
        StorageError::NoSuchBucketPolicy,
        "policy after delete"
    );
    // A deleted and re-created bucket has no policy.
    store
        .set_bucket_policy(&a, "photos", Some(POLICY.to_owned()))
        .await
        .expect("set policy again");
    store
        .delete_bucket(&a, "photos")
        .await
        .expect("delete bucket");
    create_bucket(store, a, "photos").await;
    expect_err!(
        store.get_bucket_policy(&a, "photos").await,
        StorageError::NoSuchBucketPolicy,
        "policy of a re-created bucket"
    );
}

async fn policy_errors_and_isolation<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    expect_err!(
        store.get_bucket_policy(&a, "missing").await,
        StorageError::NoSuchBucket,
        "get policy of a missing bucket"
    );
    expect_err!(
        store
            .set_bucket_policy(&a, "missing", Some(POLICY.to_owned()))
            .await,
        StorageError::NoSuchBucket,
        "set policy on a missing bucket"
    );
    create_bucket(store, a, "photos").await;
    create_bucket(store, b, "photos").await;
    store
        .set_bucket_policy(&a, "photos", Some(POLICY.to_owned()))
        .await
        .expect("set A's policy");
    expect_err!(
        store.get_bucket_policy(&b, "photos").await,
        StorageError::NoSuchBucketPolicy,
        "B's same-named bucket must not see A's policy"
    );
}
