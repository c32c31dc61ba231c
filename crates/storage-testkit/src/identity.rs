//! Identities: accounts, users, groups, memberships, access keys and policy attachments.

use s4_naming::AccountId;
use time::{Duration, OffsetDateTime};

use super::support::{account_a, account_b, expect_err};
use super::{case, Case};
use s4_storage::StorageError;
use s4_storage::{AccessKey, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, User};

pub(super) fn cases<S: IdentityStore>() -> Vec<Case<S>> {
    vec![
        case!(identity::accounts),
        case!(identity::users),
        case!(identity::groups),
        case!(identity::memberships),
        case!(identity::access_keys),
        case!(identity::key_limits),
        case!(identity::key_status_and_delete),
        case!(identity::policy_attachments),
        case!(identity::delete_conflicts),
        case!(identity::accounts_are_isolated),
        case!(identity::unknown_account),
    ]
}

fn user(account: AccountId, name: &str) -> User {
    User {
        account,
        name: name.to_owned(),
        user_id: format!("AIDA{}", name.to_ascii_uppercase()),
        created: OffsetDateTime::UNIX_EPOCH + Duration::days(20_000),
    }
}

fn group(account: AccountId, name: &str) -> Group {
    Group {
        account,
        name: name.to_owned(),
        group_id: format!("AGPA{}", name.to_ascii_uppercase()),
        created: OffsetDateTime::UNIX_EPOCH + Duration::days(20_001),
    }
}

pub(super) fn key(account: AccountId, owner: KeyOwner, id: &str, seconds: i64) -> AccessKey {
    AccessKey {
        access_key_id: id.to_owned(),
        secret_access_key: format!("secret/{id}+with/odd=chars"),
        account,
        owner,
        status: KeyStatus::Active,
        created: OffsetDateTime::UNIX_EPOCH + Duration::days(20_002) + Duration::seconds(seconds),
    }
}

pub(super) fn alice() -> KeyOwner {
    KeyOwner::User("alice".to_owned())
}

pub(super) async fn setup_account<S: IdentityStore>(store: &S, id: AccountId) {
    store
        .create_account(&id)
        .await
        .unwrap_or_else(|e| panic!("create account {id}: {e:?}"));
}

pub(super) async fn add_user<S: IdentityStore>(store: &S, account: AccountId, name: &str) -> User {
    let created = store
        .create_user(user(account, name))
        .await
        .unwrap_or_else(|e| panic!("create user {name}: {e:?}"));
    assert_eq!(
        created,
        user(account, name),
        "create user {name}: the answer"
    );
    created
}

async fn add_group<S: IdentityStore>(store: &S, account: AccountId, name: &str) -> Group {
    let created = store
        .create_group(group(account, name))
        .await
        .unwrap_or_else(|e| panic!("create group {name}: {e:?}"));
    assert_eq!(
        created,
        group(account, name),
        "create group {name}: the answer"
    );
    created
}

fn names_of_users(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

fn names_of_groups(groups: &[Group]) -> Vec<&str> {
    groups.iter().map(|g| g.name.as_str()).collect()
}

async fn accounts<S: IdentityStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    assert_eq!(
        store.get_account(&a).await.expect("get unknown account"),
        None,
        "an account never created"
    );
    let created = store.create_account(&b).await.expect("create B");
    assert_eq!(created.id, b, "create account: id");
    store.create_account(&a).await.expect("create A");
    let got = store
        .get_account(&b)
        .await
        .expect("get B")
        .expect("B exists");
    assert_eq!(got.id, b, "get account: id");
    assert!(
        (got.created - created.created).abs() < Duration::seconds(1),
        "get account: created {} differs from the create answer's {}",
        got.created,
        created.created
    );
    expect_err!(
        store.create_account(&b).await,
        StorageError::EntityAlreadyExists(_),
        "creating an account twice"
    );
    let mut ids: Vec<AccountId> = store
        .list_accounts()
        .await
        .expect("list accounts")
        .into_iter()
        .map(|acc| acc.id)
        .collect();
    ids.sort();
    assert_eq!(ids, [a, b], "list accounts");
}

async fn users<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    assert!(
        store.list_users(&a).await.expect("list users").is_empty(),
        "a new account has no users"
    );
    for name in ["carol", "alice", "bob"] {
        add_user(store, a, name).await;
    }
    let listed = store.list_users(&a).await.expect("list users");
    assert_eq!(
        names_of_users(&listed),
        ["alice", "bob", "carol"],
        "users sorted by name"
    );
    assert_eq!(
        listed[0],
        user(a, "alice"),
        "a listed user is returned as created"
    );
    assert_eq!(
        store.get_user(&a, "bob").await.expect("get bob"),
        user(a, "bob"),
        "get user"
    );
    expect_err!(
        store.get_user(&a, "dave").await,
        StorageError::NoSuchEntity(_),
        "get an unknown user"
    );
    expect_err!(
        store.create_user(user(a, "alice")).await,
        StorageError::EntityAlreadyExists(_),
        "creating alice twice"
    );
    expect_err!(
        store.create_user(user(a, "ALICE")).await,
        StorageError::EntityAlreadyExists(_),
        "IAM names are unique regardless of case"
    );
    store.delete_user(&a, "bob").await.expect("delete bob");
    expect_err!(
        store.get_user(&a, "bob").await,
        StorageError::NoSuchEntity(_),
        "get after delete"
    );
    expect_err!(
        store.delete_user(&a, "bob").await,
        StorageError::NoSuchEntity(_),
        "delete twice"
    );
    let listed = store.list_users(&a).await.expect("list users");
    assert_eq!(
        names_of_users(&listed),
        ["alice", "carol"],
        "users after delete"
    );
    // The name is free again.
    add_user(store, a, "bob").await;
}

async fn groups<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    for name in ["ops", "admins", "devs"] {
        add_group(store, a, name).await;
    }
    let listed = store.list_groups(&a).await.expect("list groups");
    assert_eq!(
        names_of_groups(&listed),
        ["admins", "devs", "ops"],
        "groups sorted by name"
    );
    assert_eq!(
        store.get_group(&a, "devs").await.expect("get devs"),
        group(a, "devs"),
        "get group"
    );
    expect_err!(
        store.get_group(&a, "nobody").await,
        StorageError::NoSuchEntity(_),
        "get an unknown group"
    );
    expect_err!(
        store.create_group(group(a, "ops")).await,
        StorageError::EntityAlreadyExists(_),
        "creating ops twice"
    );
    expect_err!(
        store.create_group(group(a, "Ops")).await,
        StorageError::EntityAlreadyExists(_),
        "group names are unique regardless of case"
    );
    // Users and groups have separate namespaces.
    add_user(store, a, "ops").await;
    store.delete_group(&a, "ops").await.expect("delete ops");
    expect_err!(
        store.get_group(&a, "ops").await,
        StorageError::NoSuchEntity(_),
        "get after delete"
    );
    expect_err!(
        store.delete_group(&a, "ops").await,
        StorageError::NoSuchEntity(_),
        "delete twice"
    );
    store
        .get_user(&a, "ops")
        .await
        .expect("the user of the same name survives");
}

async fn memberships<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    for name in ["alice", "bob", "carol"] {
        add_user(store, a, name).await;
    }
    for name in ["ops", "devs"] {
        add_group(store, a, name).await;
    }
    store
        .add_user_to_group(&a, "ops", "bob")
        .await
        .expect("bob to ops");
    store
        .add_user_to_group(&a, "ops", "alice")
        .await
        .expect("alice to ops");
    store
        .add_user_to_group(&a, "devs", "alice")
        .await
        .expect("alice to devs");
    store
        .add_user_to_group(&a, "ops", "alice")
        .await
        .expect("adding a member again is idempotent");
    let members = store
        .list_group_members(&a, "ops")
        .await
        .expect("members of ops");
    assert_eq!(
        names_of_users(&members),
        ["alice", "bob"],
        "members of ops, sorted"
    );
    assert_eq!(members[0], user(a, "alice"), "members are full users");
    let of_alice = store
        .list_groups_for_user(&a, "alice")
        .await
        .expect("groups of alice");
    assert_eq!(
        names_of_groups(&of_alice),
        ["devs", "ops"],
        "groups of alice, sorted"
    );
    assert!(
        store
            .list_groups_for_user(&a, "carol")
            .await
            .expect("groups of carol")
            .is_empty(),
        "carol is in no group"
    );
    expect_err!(
        store.add_user_to_group(&a, "ops", "dave").await,
        StorageError::NoSuchEntity(_),
        "adding an unknown user"
    );
    expect_err!(
        store.add_user_to_group(&a, "nobody", "alice").await,
        StorageError::NoSuchEntity(_),
        "adding to an unknown group"
    );
    expect_err!(
        store.remove_user_from_group(&a, "devs", "bob").await,
        StorageError::NoSuchEntity(_),
        "removing a non-member"
    );
    expect_err!(
        store.remove_user_from_group(&a, "nobody", "bob").await,
        StorageError::NoSuchEntity(_),
        "removing from an unknown group"
    );
    expect_err!(
        store.remove_user_from_group(&a, "ops", "dave").await,
        StorageError::NoSuchEntity(_),
        "removing an unknown user"
    );
    expect_err!(
        store.list_group_members(&a, "nobody").await,
        StorageError::NoSuchEntity(_),
        "members of an unknown group"
    );
    expect_err!(
        store.list_groups_for_user(&a, "dave").await,
        StorageError::NoSuchEntity(_),
        "groups of an unknown user"
    );
    store
        .remove_user_from_group(&a, "ops", "alice")
        .await
        .expect("remove alice from ops");
    let members = store
        .list_group_members(&a, "ops")
        .await
        .expect("members of ops");
    assert_eq!(
        names_of_users(&members),
        ["bob"],
        "ops after removing alice"
    );
    let of_alice = store
        .list_groups_for_user(&a, "alice")
        .await
        .expect("groups of alice");
    assert_eq!(
        names_of_groups(&of_alice),
        ["devs"],
        "alice after leaving ops"
    );
    expect_err!(
        store.remove_user_from_group(&a, "ops", "alice").await,
        StorageError::NoSuchEntity(_),
        "removing alice twice"
    );
}

async fn access_keys<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    add_user(store, a, "alice").await;
    add_user(store, a, "bob").await;
    // Created out of order: listings are oldest first.
    let newer = key(a, alice(), "AKIAALICENEWER", 10);
    let older = key(a, alice(), "AKIAALICEOLDER", 5);
    store
        .create_access_key(newer.clone(), 2)
        .await
        .expect("alice's newer key");
    store
        .create_access_key(older.clone(), 2)
        .await
        .expect("alice's older key");
    let root = key(a, KeyOwner::Root, "AKIAROOT", 0);
    store
        .create_access_key(root.clone(), 2)
        .await
        .expect("root key");

    let got = store
        .get_access_key("AKIAALICENEWER")
        .await
        .expect("get key")
        .expect("the key exists");
    assert_eq!(got, newer, "get_access_key returns the key with its secret");
    assert_eq!(
        store
            .get_access_key("AKIAROOT")
            .await
            .expect("get root key"),
        Some(root.clone()),
        "the root key"
    );
    assert_eq!(
        store
            .get_access_key("AKIAUNKNOWN")
            .await
            .expect("get unknown key"),
        None,
        "an unknown key ID"
    );
    let listed = store
        .list_access_keys(&a, &alice())
        .await
        .expect("alice's keys");
    assert_eq!(listed, [older, newer], "alice's keys, oldest first");
    let listed = store
        .list_access_keys(&a, &KeyOwner::Root)
        .await
        .expect("root keys");
    assert_eq!(listed, [root], "root keys are separate from users' keys");
    assert!(
        store
            .list_access_keys(&a, &KeyOwner::User("bob".to_owned()))
            .await
            .expect("bob's keys")
            .is_empty(),
        "bob has no keys"
    );
    expect_err!(
        store
            .list_access_keys(&a, &KeyOwner::User("dave".to_owned()))
            .await,
        StorageError::NoSuchEntity(_),
        "keys of an unknown user"
    );
    expect_err!(
        store
            .create_access_key(key(a, KeyOwner::User("dave".to_owned()), "AKIADAVE", 0), 2)
            .await,
        StorageError::NoSuchEntity(_),
        "a key for an unknown user"
    );
    expect_err!(
        store
            .create_access_key(key(a, KeyOwner::User("bob".to_owned()), "AKIAROOT", 0), 2)
            .await,
        StorageError::EntityAlreadyExists(_),
        "a key ID that is taken"
    );
    assert_eq!(
        store.get_access_key("AKIADAVE").await.expect("get"),
        None,
        "refused keys are not stored"
    );
}

async fn key_limits<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    add_user(store, a, "alice").await;
    store
        .create_access_key(key(a, alice(), "AKIA1", 1), 2)
        .await
        .expect("first key");
    store
        .create_access_key(key(a, alice(), "AKIA2", 2), 2)
        .await
        .expect("second key");
    expect_err!(
        store
            .create_access_key(key(a, alice(), "AKIA3", 3), 2)
            .await,
        StorageError::LimitExceeded(_),
        "a third key with a limit of two"
    );
    assert_eq!(
        store.get_access_key("AKIA3").await.expect("get"),
        None,
        "the refused key is not stored"
    );
    // The limit is per owner: root and other users are not affected.
    store
        .create_access_key(key(a, KeyOwner::Root, "AKIAR1", 4), 2)
        .await
        .expect("a root key while alice is at her limit");
    // Deleting a key frees a slot.
    store
        .delete_access_key(&a, "AKIA1")
        .await
        .expect("delete a key");
    store
        .create_access_key(key(a, alice(), "AKIA3", 5), 2)
        .await
        .expect("a key after one was deleted");
    // An inactive key still counts.
    store
        .set_access_key_status(&a, "AKIA2", KeyStatus::Inactive)
        .await
        .expect("deactivate");
    expect_err!(
        store
            .create_access_key(key(a, alice(), "AKIA4", 6), 2)
            .await,
        StorageError::LimitExceeded(_),
        "inactive keys count against the limit"
    );
}

async fn key_status_and_delete<S: IdentityStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    setup_account(store, a).await;
    setup_account(store, b).await;
    add_user(store, a, "alice").await;
    store
        .create_access_key(key(a, alice(), "AKIAA", 0), 2)
        .await
        .expect("create key");
    store
        .set_access_key_status(&a, "AKIAA", KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let got = store
        .get_access_key("AKIAA")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.status, KeyStatus::Inactive, "status after deactivation");
    assert_eq!(
        got.secret_access_key, "secret/AKIAA+with/odd=chars",
        "the secret is kept"
    );
    store
        .set_access_key_status(&a, "AKIAA", KeyStatus::Active)
        .await
        .expect("reactivate");
    let got = store
        .get_access_key("AKIAA")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.status, KeyStatus::Active, "status after reactivation");
    // Another account cannot touch the key.
    expect_err!(
        store
            .set_access_key_status(&b, "AKIAA", KeyStatus::Inactive)
            .await,
        StorageError::NoSuchEntity(_),
        "another account changing the key's status"
    );
    expect_err!(
        store.delete_access_key(&b, "AKIAA").await,
        StorageError::NoSuchEntity(_),
        "another account deleting the key"
    );
    let got = store
        .get_access_key("AKIAA")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        got.status,
        KeyStatus::Active,
        "status after the other account's attempt"
    );
    expect_err!(
        store
            .set_access_key_status(&a, "AKIAMISSING", KeyStatus::Inactive)
            .await,
        StorageError::NoSuchEntity(_),
        "status of an unknown key"
    );
    store.delete_access_key(&a, "AKIAA").await.expect("delete");
    assert_eq!(
        store.get_access_key("AKIAA").await.expect("get"),
        None,
        "a deleted key is gone"
    );
    expect_err!(
        store.delete_access_key(&a, "AKIAA").await,
        StorageError::NoSuchEntity(_),
        "deleting a key twice"
    );
    assert!(
        store
            .list_access_keys(&a, &alice())
            .await
            .expect("list")
            .is_empty(),
        "alice has no keys left"
    );
}

async fn policy_attachments<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    add_user(store, a, "alice").await;
    add_user(store, a, "bob").await;
    add_group(store, a, "ops").await;
    let p1 = "arn:aws:iam::111111111111:policy/ReadOnly";
    let p2 = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
    let p3 = "arn:aws:iam::111111111111:policy/Another";
    let alice_t = PolicyTarget::User("alice".to_owned());
    let bob_t = PolicyTarget::User("bob".to_owned());
    let ops_t = PolicyTarget::Group("ops".to_owned());
    for arn in [p2, p3, p1, p2] {
        store
            .attach_policy(&a, &alice_t, arn)
            .await
            .unwrap_or_else(|e| panic!("attach {arn} to alice: {e:?}"));
    }
    assert_eq!(
        store
            .list_attached_policies(&a, &alice_t)
            .await
            .expect("alice's policies"),
        [p2, p3, p1],
        "attached policies in attachment order, attaching twice is idempotent"
    );
    store
        .attach_policy(&a, &ops_t, p1)
        .await
        .expect("attach to ops");
    assert_eq!(
        store
            .list_attached_policies(&a, &ops_t)
            .await
            .expect("ops's policies"),
        [p1],
        "the group's policies"
    );
    assert!(
        store
            .list_attached_policies(&a, &bob_t)
            .await
            .expect("bob's")
            .is_empty(),
        "bob has no policies"
    );
    assert_eq!(
        store
            .count_policy_attachments(&a, p1)
            .await
            .expect("count p1"),
        2,
        "p1 is attached to alice and ops"
    );
    assert_eq!(
        store
            .count_policy_attachments(&a, p2)
            .await
            .expect("count p2"),
        1,
        "p2 is attached to alice once"
    );
    assert_eq!(
        store
            .count_policy_attachments(&a, "arn:aws:iam::aws:policy/Unused")
            .await
            .expect("count unused"),
        0,
        "an unattached policy"
    );
    expect_err!(
        store
            .attach_policy(&a, &PolicyTarget::User("dave".to_owned()), p1)
            .await,
        StorageError::NoSuchEntity(_),
        "attaching to an unknown user"
    );
    expect_err!(
        store
            .attach_policy(&a, &PolicyTarget::Group("nobody".to_owned()), p1)
            .await,
        StorageError::NoSuchEntity(_),
        "attaching to an unknown group"
    );
    expect_err!(
        store.detach_policy(&a, &bob_t, p1).await,
        StorageError::NoSuchEntity(_),
        "detaching a policy that is not attached"
    );
    expect_err!(
        store
            .detach_policy(&a, &PolicyTarget::Group("nobody".to_owned()), p1)
            .await,
        StorageError::NoSuchEntity(_),
        "detaching from an unknown group"
    );
    store
        .detach_policy(&a, &alice_t, p3)
        .await
        .expect("detach p3");
    assert_eq!(
        store
            .list_attached_policies(&a, &alice_t)
            .await
            .expect("alice's policies"),
        [p2, p1],
        "after detaching the middle one"
    );
    store
        .detach_policy(&a, &ops_t, p1)
        .await
        .expect("detach p1 from ops");
    assert_eq!(
        store
            .count_policy_attachments(&a, p1)
            .await
            .expect("count p1"),
        1,
        "p1 after detaching it from ops"
    );
    expect_err!(
        store.detach_policy(&a, &ops_t, p1).await,
        StorageError::NoSuchEntity(_),
        "detaching twice"
    );
}

async fn delete_conflicts<S: IdentityStore>(store: &S) {
    let a = account_a();
    setup_account(store, a).await;
    add_user(store, a, "alice").await;
    add_group(store, a, "ops").await;
    let arn = "arn:aws:iam::111111111111:policy/P";
    let alice_t = PolicyTarget::User("alice".to_owned());
    let ops_t = PolicyTarget::Group("ops".to_owned());

    // A user with a key.
    store
        .create_access_key(key(a, alice(), "AKIAALICE", 0), 2)
        .await
        .expect("alice's key");
    expect_err!(
        store.delete_user(&a, "alice").await,
        StorageError::DeleteConflict(_),
        "deleting a user who has an access key"
    );
    store
        .delete_access_key(&a, "AKIAALICE")
        .await
        .expect("delete the key");
    // A user in a group (which is a group with a member).
    store
        .add_user_to_group(&a, "ops", "alice")
        .await
        .expect("join ops");
    expect_err!(
        store.delete_user(&a, "alice").await,
        StorageError::DeleteConflict(_),
        "deleting a user who is a group member"
    );
    expect_err!(
        store.delete_group(&a, "ops").await,
        StorageError::DeleteConflict(_),
        "deleting a group with a member"
    );
    store
        .remove_user_from_group(&a, "ops", "alice")
        .await
        .expect("leave ops");
    // Attached policies.
    store
        .attach_policy(&a, &alice_t, arn)
        .await
        .expect("attach to alice");
    store
        .attach_policy(&a, &ops_t, arn)
        .await
        .expect("attach to ops");
    expect_err!(
        store.delete_user(&a, "alice").await,
        StorageError::DeleteConflict(_),
        "deleting a user with an attached policy"
    );
    expect_err!(
        store.delete_group(&a, "ops").await,
        StorageError::DeleteConflict(_),
        "deleting a group with an attached policy"
    );
    // Everything survived the refused deletes.
    store.get_user(&a, "alice").await.expect("alice survives");
    store.get_group(&a, "ops").await.expect("ops survives");
    store
        .detach_policy(&a, &alice_t, arn)
        .await
        .expect("detach from alice");
    store
        .detach_policy(&a, &ops_t, arn)
        .await
        .expect("detach from ops");
    store
        .delete_user(&a, "alice")
        .await
        .expect("delete alice when free");
    store
        .delete_group(&a, "ops")
        .await
        .expect("delete ops when free");
    assert!(
        store.list_users(&a).await.expect("users").is_empty(),
        "no users left"
    );
    assert!(
        store.list_groups(&a).await.expect("groups").is_empty(),
        "no groups left"
    );
    assert_eq!(
        store
            .count_policy_attachments(&a, arn)
            .await
            .expect("count"),
        0,
        "no attachments left"
    );
}

async fn accounts_are_isolated<S: IdentityStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    setup_account(store, a).await;
    setup_account(store, b).await;
    add_user(store, a, "alice").await;
    add_user(store, a, "only-in-a").await;
    add_group(store, a, "ops").await;
    // The same names in B are separate entities.
    add_user(store, b, "alice").await;
    add_group(store, b, "ops").await;
    store
        .add_user_to_group(&a, "ops", "alice")
        .await
        .expect("A: alice to ops");
    assert!(
        store
            .list_group_members(&b, "ops")
            .await
            .expect("B's ops")
            .is_empty(),
        "B's ops has no members"
    );
    assert!(
        store
            .list_groups_for_user(&b, "alice")
            .await
            .expect("B's alice")
            .is_empty(),
        "B's alice is in no group"
    );
    assert_eq!(
        names_of_users(&store.list_users(&b).await.expect("B's users")),
        ["alice"],
        "B's users"
    );
    expect_err!(
        store.get_user(&b, "only-in-a").await,
        StorageError::NoSuchEntity(_),
        "B looking up A's user"
    );
    expect_err!(
        store.add_user_to_group(&b, "ops", "only-in-a").await,
        StorageError::NoSuchEntity(_),
        "B adding A's user to B's group"
    );
    let arn = "arn:aws:iam::111111111111:policy/P";
    store
        .attach_policy(&a, &PolicyTarget::User("alice".to_owned()), arn)
        .await
        .expect("attach in A");
    assert!(
        store
            .list_attached_policies(&b, &PolicyTarget::User("alice".to_owned()))
            .await
            .expect("B's alice policies")
            .is_empty(),
        "B's alice has no policies"
    );
    assert_eq!(
        store
            .count_policy_attachments(&b, arn)
            .await
            .expect("count in B"),
        0,
        "attachments are counted per account"
    );
    // Keys: each account's alice has her own, and key IDs are global.
    store
        .create_access_key(key(a, alice(), "AKIAA", 0), 1)
        .await
        .expect("A's alice key");
    store
        .create_access_key(key(b, alice(), "AKIAB", 0), 1)
        .await
        .expect("B's alice key (the limit is per owner, per account)");
    expect_err!(
        store
            .create_access_key(key(b, alice(), "AKIAA", 1), 5)
            .await,
        StorageError::EntityAlreadyExists(_),
        "a key ID taken in another account"
    );
    let found = store
        .get_access_key("AKIAB")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(found.account, b, "lookup by ID finds B's key");
    assert_eq!(found.owner, alice(), "B's key owner");
    let listed = store
        .list_access_keys(&a, &alice())
        .await
        .expect("A's alice keys");
    let ids: Vec<&str> = listed.iter().map(|k| k.access_key_id.as_str()).collect();
    assert_eq!(ids, ["AKIAA"], "A's alice sees only her key");
    expect_err!(
        store.delete_user(&b, "alice").await,
        StorageError::DeleteConflict(_),
        "deleting B's alice while she has a key"
    );
    store
        .delete_access_key(&b, "AKIAB")
        .await
        .expect("delete B's key");
    store
        .delete_user(&b, "alice")
        .await
        .expect("delete B's alice");
    store
        .get_user(&a, "alice")
        .await
        .expect("A's alice survives");
}

async fn unknown_account<S: IdentityStore>(store: &S) {
    let a = account_a();
    expect_err!(
        store.create_user(user(a, "alice")).await,
        StorageError::NoSuchEntity(_),
        "a user in an account that does not exist"
    );
    expect_err!(
        store.create_group(group(a, "ops")).await,
        StorageError::NoSuchEntity(_),
        "a group in an account that does not exist"
    );
    expect_err!(
        store
            .create_access_key(key(a, KeyOwner::Root, "AKIAROOT", 0), 2)
            .await,
        StorageError::NoSuchEntity(_),
        "a root key for an account that does not exist"
    );
    assert_eq!(
        store.get_access_key("AKIAROOT").await.expect("get"),
        None,
        "nothing was stored"
    );
}
