//! The identity rules every [`IdentityStore`](crate::IdentityStore) backend applies the same
//! way: how IAM names compare, what blocks deleting a user or a group, and the wording of
//! every refusal (the service sends these messages to clients as they are).
//!
//! ```
//! use s4_storage::identity_rules::{fold, UserReferences};
//! use s4_storage::StorageError;
//!
//! assert_eq!(fold("Alice"), fold("ALICE"));
//! let refs = UserReferences { access_keys: true, ..UserReferences::default() };
//! assert!(matches!(refs.admit_delete("alice"), Err(StorageError::DeleteConflict(_))));
//! assert!(UserReferences::default().admit_delete("alice").is_ok());
//! ```

use s4_naming::AccountId;

use crate::{StorageError, StorageResult};

/// The form under which IAM names are unique and looked up: ASCII case folded (IAM names
/// keep their spelling but `Alice` and `alice` are one user).
pub fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// `NoSuchEntity` for an account that was never created.
pub fn no_account(id: &AccountId) -> StorageError {
    StorageError::NoSuchEntity(format!("the account {id} does not exist"))
}

/// `NoSuchEntity` for a user.
pub fn no_user(name: &str) -> StorageError {
    StorageError::NoSuchEntity(format!("the user with name {name} cannot be found"))
}

/// `NoSuchEntity` for a group.
pub fn no_group(name: &str) -> StorageError {
    StorageError::NoSuchEntity(format!("the group with name {name} cannot be found"))
}

/// `NoSuchEntity` for an access key.
pub fn no_key(id: &str) -> StorageError {
    StorageError::NoSuchEntity(format!("the access key with id {id} cannot be found"))
}

/// `NoSuchEntity` for removing a user from a group it is not in.
pub fn not_a_member(user: &str, group: &str) -> StorageError {
    StorageError::NoSuchEntity(format!("user {user} is not a member of group {group}"))
}

/// `NoSuchEntity` for detaching a policy that is not attached.
pub fn not_attached(policy_arn: &str) -> StorageError {
    StorageError::NoSuchEntity(format!("policy {policy_arn} is not attached"))
}

/// `EntityAlreadyExists` for creating an account twice.
pub fn duplicate_account(id: &AccountId) -> StorageError {
    StorageError::EntityAlreadyExists(format!("the account {id} already exists"))
}

/// `EntityAlreadyExists` for a user name taken (regardless of case).
pub fn duplicate_user(name: &str) -> StorageError {
    StorageError::EntityAlreadyExists(format!("user with name {name} already exists"))
}

/// `EntityAlreadyExists` for a group name taken (regardless of case).
pub fn duplicate_group(name: &str) -> StorageError {
    StorageError::EntityAlreadyExists(format!("group with name {name} already exists"))
}

/// `EntityAlreadyExists` for an access key ID already in use.
pub fn duplicate_key(id: &str) -> StorageError {
    StorageError::EntityAlreadyExists(format!("the access key {id} already exists"))
}

/// `LimitExceeded` for a user (or account) that already has `max` access keys.
pub fn key_quota(max: usize) -> StorageError {
    StorageError::LimitExceeded(format!("cannot exceed quota for AccessKeysPerUser: {max}"))
}

/// What still refers to a user. IAM's DeleteUser refuses while anything does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserReferences {
    /// The user is a member of at least one group.
    pub group_memberships: bool,
    /// At least one managed policy is attached to the user.
    pub attached_policies: bool,
    /// The user owns at least one access key.
    pub access_keys: bool,
}

impl UserReferences {
    /// `DeleteConflict` naming the first reference (memberships, then policies, then keys),
    /// or `Ok` when user `name` may be deleted.
    pub fn admit_delete(self, name: &str) -> StorageResult<()> {
        let conflict = if self.group_memberships {
            "is still a member of groups"
        } else if self.attached_policies {
            "still has attached policies"
        } else if self.access_keys {
            "still has access keys"
        } else {
            return Ok(());
        };
        Err(StorageError::DeleteConflict(format!(
            "user {name} {conflict}"
        )))
    }
}

/// What still refers to a group. IAM's DeleteGroup refuses while anything does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupReferences {
    /// The group has at least one member.
    pub members: bool,
    /// At least one managed policy is attached to the group.
    pub attached_policies: bool,
}

impl GroupReferences {
    /// `DeleteConflict` naming the first reference (members, then policies), or `Ok` when
    /// group `name` may be deleted.
    pub fn admit_delete(self, name: &str) -> StorageResult<()> {
        let conflict = if self.members {
            "still has members"
        } else if self.attached_policies {
            "still has attached policies"
        } else {
            return Ok(());
        };
        Err(StorageError::DeleteConflict(format!(
            "group {name} {conflict}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: StorageResult<()>) -> String {
        match result {
            Err(StorageError::DeleteConflict(message)) => message,
            other => panic!("expected DeleteConflict, got {other:?}"),
        }
    }

    #[test]
    fn user_conflicts_name_the_first_reference() {
        let all = UserReferences {
            group_memberships: true,
            attached_policies: true,
            access_keys: true,
        };
        assert_eq!(
            message(all.admit_delete("bob")),
            "user bob is still a member of groups"
        );
        let policies_and_keys = UserReferences {
            group_memberships: false,
            ..all
        };
        assert_eq!(
            message(policies_and_keys.admit_delete("bob")),
            "user bob still has attached policies"
        );
        let keys = UserReferences {
            access_keys: true,
            ..UserReferences::default()
        };
        assert_eq!(
            message(keys.admit_delete("bob")),
            "user bob still has access keys"
        );
        assert!(UserReferences::default().admit_delete("bob").is_ok());
    }

    #[test]
    fn group_conflicts_name_the_first_reference() {
        let both = GroupReferences {
            members: true,
            attached_policies: true,
        };
        assert_eq!(
            message(both.admit_delete("ops")),
            "group ops still has members"
        );
        let policies = GroupReferences {
            members: false,
            attached_policies: true,
        };
        assert_eq!(
            message(policies.admit_delete("ops")),
            "group ops still has attached policies"
        );
        assert!(GroupReferences::default().admit_delete("ops").is_ok());
    }
}
