//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey. Without `UserName`
//! each acts on the caller's own keys (the root's for the root).

use s4_iam_query::{AccessKeyStatus, IamError, IamErrorCode, IamResponse, Page};
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError};

use crate::ids::{generate_access_key_id, generate_secret_access_key};
use crate::invocation::Invocation;
use crate::paging::slice_page;

/// A fresh key for the named user or the caller, within `access_keys_per_owner`. The
/// secret appears in this response only.
pub(crate) async fn create_access_key<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: Option<String>,
) -> Result<IamResponse, IamError> {
    let owner = key_owner(cx, user_name.as_deref()).await?;
    let keys = cx.store.list_access_keys(&cx.account, &owner).await;
    if cx.check(keys)?.len() >= cx.limits.access_keys_per_owner {
        return Err(cx.limit("AccessKeysPerUser", cx.limits.access_keys_per_owner));
    }
    // An ID collision (36^16 IDs) is retried with a fresh ID.
    let mut attempts = 0;
    loop {
        let key = AccessKey {
            access_key_id: generate_access_key_id(),
            secret_access_key: generate_secret_access_key(),
            account: cx.account,
            owner: owner.clone(),
            status: KeyStatus::Active,
            created: cx.now,
        };
        match cx
            .store
            .create_access_key(key.clone(), cx.limits.access_keys_per_owner)
            .await
        {
            Ok(()) => {
                return Ok(IamResponse::CreateAccessKey(s4_iam_query::AccessKey {
                    user_name: owner_name(&owner),
                    access_key_id: key.access_key_id,
                    status: AccessKeyStatus::Active,
                    secret_access_key: key.secret_access_key,
                    create_date: key.created,
                }))
            }
            Err(StorageError::EntityAlreadyExists(_)) if attempts < 3 => attempts += 1,
            Err(other) => return Err(cx.storage_error(other)),
        }
    }
}

/// The owner's keys, paged by key ID; a marker naming no key is `InvalidInput`.
pub(crate) async fn list_access_keys<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: Option<String>,
    page: Page,
) -> Result<IamResponse, IamError> {
    let owner = key_owner(cx, user_name.as_deref()).await?;
    let keys = cx.store.list_access_keys(&cx.account, &owner).await;
    let keys = cx.check(keys)?;
    let start = match &page.marker {
        None => 0,
        Some(marker) => keys
            .iter()
            .position(|k| &k.access_key_id == marker)
            .ok_or_else(|| {
                cx.error(
                    IamErrorCode::InvalidInput,
                    format!("Marker {marker} is not valid."),
                )
            })?,
    };
    let (keys, truncation) = slice_page(keys, start, page.max_items, |k| k.access_key_id.clone());
    let user_name = owner_name(&owner);
    Ok(IamResponse::ListAccessKeys {
        access_key_metadata: keys
            .iter()
            .map(|k| s4_iam_query::AccessKeyMetadata {
                user_name: user_name.clone(),
                access_key_id: k.access_key_id.clone(),
                status: key_status(k.status),
                create_date: k.created,
            })
            .collect(),
        user_name,
        truncation,
    })
}

pub(crate) async fn update_access_key<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    access_key_id: String,
    status: AccessKeyStatus,
    user_name: Option<String>,
) -> Result<IamResponse, IamError> {
    own_key(cx, &access_key_id, user_name.as_deref()).await?;
    let status = match status {
        AccessKeyStatus::Active => KeyStatus::Active,
        AccessKeyStatus::Inactive => KeyStatus::Inactive,
    };
    let updated = cx
        .store
        .set_access_key_status(&cx.account, &access_key_id, status)
        .await;
    cx.check(updated)?;
    Ok(IamResponse::UpdateAccessKey)
}

pub(crate) async fn delete_access_key<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    access_key_id: String,
    user_name: Option<String>,
) -> Result<IamResponse, IamError> {
    own_key(cx, &access_key_id, user_name.as_deref()).await?;
    let deleted = cx
        .store
        .delete_access_key(&cx.account, &access_key_id)
        .await;
    cx.check(deleted)?;
    Ok(IamResponse::DeleteAccessKey)
}

/// The owner named by an optional `UserName`: that user (which must exist), else the
/// caller.
async fn key_owner<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: Option<&str>,
) -> Result<KeyOwner, IamError> {
    match user_name {
        Some(name) => Ok(KeyOwner::User(cx.get_user(name).await?.name)),
        None => Ok(cx.caller.key_owner()),
    }
}

/// The key must exist in the caller's account and belong to the owner the request names
/// (`UserName`, else the caller); otherwise `NoSuchEntity`, as AWS answers.
async fn own_key<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    access_key_id: &str,
    user_name: Option<&str>,
) -> Result<(), IamError> {
    let owner = key_owner(cx, user_name).await?;
    let key = cx.store.get_access_key(access_key_id).await;
    let found = cx.check(key)?.is_some_and(|k| {
        k.account == cx.account
            && match (&k.owner, &owner) {
                (KeyOwner::Root, KeyOwner::Root) => true,
                (KeyOwner::User(a), KeyOwner::User(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    });
    if found {
        Ok(())
    } else {
        Err(cx.error(
            IamErrorCode::NoSuchEntity,
            format!("The Access Key with id {access_key_id} cannot be found."),
        ))
    }
}

fn owner_name(owner: &KeyOwner) -> Option<String> {
    match owner {
        KeyOwner::Root => None,
        KeyOwner::User(name) => Some(name.clone()),
    }
}

fn key_status(status: KeyStatus) -> AccessKeyStatus {
    match status {
        KeyStatus::Active => AccessKeyStatus::Active,
        KeyStatus::Inactive => AccessKeyStatus::Inactive,
    }
}
