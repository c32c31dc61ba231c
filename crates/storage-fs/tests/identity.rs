//! Identity rules of `FsStore` that must also survive a reopen. The conformance kit covers
//! the backend-neutral behaviour; these check persistence and the index tables.

use s4_naming::AccountId;
use s4_storage::{
    AccessKey, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, StorageError, User,
};
use s4_storage_fs::{FsConfig, FsStore};
use time::OffsetDateTime;

fn account(n: u64) -> AccountId {
    AccountId::from_number(n).unwrap()
}

fn user(a: AccountId, name: &str) -> User {
    User {
        account: a,
        name: name.to_owned(),
        user_id: format!("AIDA{}", name.to_uppercase()),
        created: OffsetDateTime::now_utc(),
    }
}

fn key(a: AccountId, id: &str, owner: KeyOwner) -> AccessKey {
    AccessKey {
        access_key_id: id.to_owned(),
        secret_access_key: format!("secret-{id}"),
        account: a,
        owner,
        status: KeyStatus::Active,
        created: OffsetDateTime::now_utc(),
    }
}

#[tokio::test]
async fn identities_follow_the_rules_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (account(1), account(2));
    {
        let store = FsStore::open(FsConfig::new(dir.path())).unwrap();
        assert!(matches!(
            store.create_user(user(a, "alice")).await,
            Err(StorageError::NoSuchEntity(_))
        ));
        store.create_account(&a).await.unwrap();
        store.create_account(&b).await.unwrap();
        assert!(matches!(
            store.create_account(&a).await,
            Err(StorageError::EntityAlreadyExists(_))
        ));
        store.create_user(user(a, "Bob")).await.unwrap();
        store.create_user(user(a, "alice")).await.unwrap();
        assert!(matches!(
            store.create_user(user(a, "ALICE")).await,
            Err(StorageError::EntityAlreadyExists(_))
        ));
        store.create_user(user(b, "alice")).await.unwrap();
        store
            .create_group(Group {
                account: a,
                name: "Admins".to_owned(),
                group_id: "AGPA1".to_owned(),
                created: OffsetDateTime::now_utc(),
            })
            .await
            .unwrap();
        store
            .add_user_to_group(&a, "admins", "Alice")
            .await
            .unwrap();
        store
            .add_user_to_group(&a, "Admins", "alice")
            .await
            .unwrap();
        store
            .create_access_key(key(a, "AKIA1", KeyOwner::User("ALICE".into())), 2)
            .await
            .unwrap();
        store
            .create_access_key(key(a, "AKIA2", KeyOwner::User("alice".into())), 2)
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_access_key(key(a, "AKIA3", KeyOwner::User("alice".into())), 2)
                .await,
            Err(StorageError::LimitExceeded(_))
        ));
        store
            .create_access_key(key(a, "AKIAROOT", KeyOwner::Root), 2)
            .await
            .unwrap();
        let arn1 = "arn:aws:iam::aws:policy/ReadOnly";
        let arn2 = "arn:aws:iam::000000000000001:policy/Mine";
        let alice = PolicyTarget::User("alice".into());
        store.attach_policy(&a, &alice, arn2).await.unwrap();
        store.attach_policy(&a, &alice, arn1).await.unwrap();
        store.attach_policy(&a, &alice, arn2).await.unwrap();
        store
            .attach_policy(&a, &PolicyTarget::Group("admins".into()), arn1)
            .await
            .unwrap();
        store
            .set_access_key_status(&a, "AKIA2", KeyStatus::Inactive)
            .await
            .unwrap();
        assert!(matches!(
            store
                .set_access_key_status(&b, "AKIA2", KeyStatus::Active)
                .await,
            Err(StorageError::NoSuchEntity(_))
        ));
    }
    let store = FsStore::open(FsConfig::new(dir.path())).unwrap();
    let names: Vec<String> = store
        .list_users(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Bob", "alice"]);
    assert_eq!(store.list_users(&b).await.unwrap().len(), 1);
    let members = store.list_group_members(&a, "ADMINS").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].name, "alice");
    assert_eq!(
        store.list_groups_for_user(&a, "alice").await.unwrap()[0].name,
        "Admins"
    );
    let keys = store
        .list_access_keys(&a, &KeyOwner::User("Alice".into()))
        .await
        .unwrap();
    let ids: Vec<&str> = keys.iter().map(|k| k.access_key_id.as_str()).collect();
    assert_eq!(ids, ["AKIA1", "AKIA2"]);
    assert_eq!(keys[1].status, KeyStatus::Inactive);
    assert_eq!(keys[0].owner, KeyOwner::User("alice".into()));
    let root = store.get_access_key("AKIAROOT").await.unwrap().unwrap();
    assert_eq!(root.secret_access_key, "secret-AKIAROOT");
    assert_eq!(root.owner, KeyOwner::Root);
    let alice = PolicyTarget::User("alice".into());
    assert_eq!(
        store.list_attached_policies(&a, &alice).await.unwrap(),
        [
            "arn:aws:iam::000000000000001:policy/Mine",
            "arn:aws:iam::aws:policy/ReadOnly"
        ]
    );
    assert_eq!(
        store
            .count_policy_attachments(&a, "arn:aws:iam::aws:policy/ReadOnly")
            .await
            .unwrap(),
        2
    );
    // Deleting alice conflicts until memberships, attachments and keys are gone.
    for step in 0..4 {
        let result = store.delete_user(&a, "alice").await;
        match step {
            0 => {
                assert!(matches!(result, Err(StorageError::DeleteConflict(_))));
                store
                    .remove_user_from_group(&a, "admins", "alice")
                    .await
                    .unwrap();
            }
            1 => {
                assert!(matches!(result, Err(StorageError::DeleteConflict(_))));
                for arn in store.list_attached_policies(&a, &alice).await.unwrap() {
                    store.detach_policy(&a, &alice, &arn).await.unwrap();
                }
            }
            2 => {
                assert!(matches!(result, Err(StorageError::DeleteConflict(_))));
                store.delete_access_key(&a, "AKIA1").await.unwrap();
                store.delete_access_key(&a, "AKIA2").await.unwrap();
            }
            _ => result.unwrap(),
        }
    }
    assert!(matches!(
        store.remove_user_from_group(&a, "admins", "alice").await,
        Err(StorageError::NoSuchEntity(_))
    ));
    assert!(store.get_access_key("AKIA1").await.unwrap().is_none());
    assert!(matches!(
        store.delete_group(&a, "admins").await,
        Err(StorageError::DeleteConflict(_))
    ));
    store
        .detach_policy(
            &a,
            &PolicyTarget::Group("Admins".into()),
            "arn:aws:iam::aws:policy/ReadOnly",
        )
        .await
        .unwrap();
    store.delete_group(&a, "admins").await.unwrap();
    assert_eq!(store.list_accounts().await.unwrap().len(), 2);
}
