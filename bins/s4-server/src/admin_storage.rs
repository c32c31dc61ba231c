//! The admin commands that look at what an account holds: `list-users`, `list-buckets` (with
//! object counts and bytes, counted by listing), `expire-uploads` (on demand, the same abort
//! the background expiry does) and `delete-bucket-policy` (the last resort against a policy
//! that locks everyone out).

use std::time::Duration;

use s4_naming::{AccountId, Arn};
use s4_storage::{IdentityStore, ObjectStore, StorageError};

use crate::admin::rfc3339;

/// `list-users --account ID`: one line per IAM user: name, user ID, ARN, creation time.
pub async fn list_users<S: IdentityStore>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<String>, String> {
    let users = store.list_users(account).await.map_err(|e| e.to_string())?;
    Ok(users
        .iter()
        .map(|u| {
            let arn = Arn::IamUser {
                account: *account,
                name: u.name.as_str().into(),
            };
            format!(
                "{}  {}  {arn}  created {}",
                u.name,
                u.user_id,
                rfc3339(u.created)
            )
        })
        .collect())
}

/// `list-buckets --account ID`: one line per bucket with its objects, bytes and multipart
/// uploads in progress, from the backend's usage counters (or counted by listing the bucket
/// now when the backend keeps none).
pub async fn list_buckets<S: ObjectStore>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<String>, String> {
    let buckets = store
        .list_buckets(account)
        .await
        .map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let usage = crate::usage::bucket_usage(store, account, &bucket.name)
            .await
            .map_err(|e| format!("bucket {}: {e}", bucket.name))?;
        lines.push(format!(
            "{}  objects {}  bytes {}  uploads in progress {}  created {}",
            bucket.name,
            usage.objects,
            usage.bytes,
            usage.uploads_in_progress,
            rfc3339(bucket.created)
        ));
    }
    Ok(lines)
}

/// `expire-uploads --older-than AGE`: aborts every multipart upload initiated more than `AGE`
/// ago, in every bucket of every account, releasing its parts.
pub async fn expire_uploads<S: ObjectStore>(
    store: &S,
    older_than: Duration,
) -> Result<Vec<String>, String> {
    let expired = s4_service::expiry::expire_uploads_once(store, older_than)
        .await
        .map_err(|e| e.to_string())?;
    Ok(vec![format!(
        "expired {expired} multipart upload(s) older than {}s",
        older_than.as_secs()
    )])
}

/// `delete-bucket-policy --account ID --bucket NAME`: removes the policy whatever it says
/// (no authorization is involved: the admin socket and the data dir are the server owner's).
pub async fn delete_bucket_policy<S: ObjectStore>(
    store: &S,
    account: &AccountId,
    bucket: &str,
) -> Result<Vec<String>, String> {
    match store.get_bucket_policy(account, bucket).await {
        Ok(_) => {}
        Err(StorageError::NoSuchBucketPolicy) => {
            return Ok(vec![format!(
                "bucket {bucket} of account {account} has no policy; nothing to delete"
            )])
        }
        Err(StorageError::NoSuchBucket) => {
            return Err(format!("account {account} has no bucket {bucket}"))
        }
        Err(other) => return Err(other.to_string()),
    }
    store
        .set_bucket_policy(account, bucket, None)
        .await
        .map_err(|e| e.to_string())?;
    // A running server's cache of compiled policies reloads within its TTL.
    Ok(vec![format!(
        "deleted the policy of bucket {bucket} of account {account} (running servers apply \
         this within {} s)",
        s4_service::authz::POLICY_CACHE_TTL.as_secs()
    )])
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use s4_storage::memory::MemoryStore;
    use s4_storage::{body, ObjectAttributes, ObjectRef, PutObject, User, WritePrecondition};
    use time::OffsetDateTime;

    use super::*;
    use crate::admin::{execute, AdminAnswer, AdminCommand};

    fn lines(answer: AdminAnswer) -> Vec<String> {
        match answer {
            AdminAnswer::Lines(lines) => lines,
            AdminAnswer::Error(e) => panic!("admin command failed: {e}"),
        }
    }

    #[tokio::test]
    async fn users_buckets_with_sizes_and_expiry() {
        let store = MemoryStore::new();
        let account = AccountId::parse("222233334444555").unwrap();
        store.create_account(&account).await.unwrap();
        store
            .create_user(User {
                account,
                name: "alice".into(),
                user_id: "AIDAALICE0000000000A".into(),
                created: OffsetDateTime::now_utc(),
            })
            .await
            .unwrap();
        store.create_bucket(&account, "photos").await.unwrap();
        for (key, len) in [("a", 5usize), ("b", 7)] {
            store
                .put_object(PutObject {
                    target: ObjectRef {
                        account,
                        bucket: "photos".into(),
                        key: key.into(),
                    },
                    attributes: ObjectAttributes::default(),
                    body: body::once(Bytes::from(vec![0u8; len])),
                    content_length: Some(len as u64),
                    content_md5: None,
                    precondition: WritePrecondition::default(),
                })
                .await
                .unwrap();
        }
        let target = ObjectRef {
            account,
            bucket: "photos".into(),
            key: "big".into(),
        };
        store
            .create_multipart_upload(&target, ObjectAttributes::default())
            .await
            .unwrap();
        let id = account.to_string();

        let users = lines(
            execute(
                &store,
                &AdminCommand::ListUsers {
                    account: id.clone(),
                },
            )
            .await,
        );
        assert_eq!(users.len(), 1);
        assert!(users[0]
            .starts_with("alice  AIDAALICE0000000000A  arn:aws:iam::222233334444555:user/alice"));

        let buckets = lines(
            execute(
                &store,
                &AdminCommand::ListBuckets {
                    account: id.clone(),
                },
            )
            .await,
        );
        assert_eq!(buckets.len(), 1);
        assert!(
            buckets[0].starts_with("photos  objects 2  bytes 12  uploads in progress 1  created "),
            "{buckets:?}"
        );

        // A young upload survives an expiry by age; a tiny age takes it.
        let keep = lines(
            execute(
                &store,
                &AdminCommand::ExpireUploads {
                    older_than: Duration::from_hours(1),
                },
            )
            .await,
        );
        assert_eq!(keep, ["expired 0 multipart upload(s) older than 3600s"]);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let gone = lines(
            execute(
                &store,
                &AdminCommand::ExpireUploads {
                    older_than: Duration::from_secs(1),
                },
            )
            .await,
        );
        assert_eq!(gone, ["expired 1 multipart upload(s) older than 1s"]);
        let buckets = lines(execute(&store, &AdminCommand::ListBuckets { account: id }).await);
        assert!(buckets[0].contains("uploads in progress 0"), "{buckets:?}");

        assert!(matches!(
            execute(
                &store,
                &AdminCommand::ListBuckets {
                    account: "000000000000009".into()
                }
            )
            .await,
            AdminAnswer::Error(_)
        ));
    }
}
