//! One action being served: the store, the caller and its account, the clock, and the
//! helpers every handler shares (store results as IAM errors, entity lookups, the response
//! shapes of users and groups).

use s4_iam_query::{IamAction, IamError, IamErrorCode};
use s4_naming::{AccountId, Arn};
use s4_storage::{Group, IdentityStore, StorageError, User};
use time::OffsetDateTime;

use crate::caller::Caller;
use crate::execute::Limits;

/// What a handler works with: one authorized action of `caller` in `account`.
pub(crate) struct Invocation<'a, I: ?Sized> {
    pub store: &'a I,
    pub limits: &'a Limits,
    pub caller: &'a Caller<'a>,
    pub account: AccountId,
    pub action: IamAction,
    pub now: OffsetDateTime,
}

impl<I: IdentityStore + ?Sized> Invocation<'_, I> {
    /// An error with the status the spec gives `code` in this action.
    pub fn error(&self, code: IamErrorCode, message: impl Into<String>) -> IamError {
        self.action.error(code, message)
    }

    pub fn limit(&self, quota: &str, value: usize) -> IamError {
        self.error(
            IamErrorCode::LimitExceeded,
            format!("Cannot exceed quota for {quota}: {value}."),
        )
    }

    pub fn conflict(&self, what: &str) -> IamError {
        self.error(
            IamErrorCode::DeleteConflict,
            format!("Cannot delete entity, {what}."),
        )
    }

    /// Maps a store result: the IAM conditions keep their code (with the message as a
    /// sentence), anything else is `InternalError` with the details logged only.
    pub fn check<T>(&self, result: Result<T, StorageError>) -> Result<T, IamError> {
        result.map_err(|e| self.storage_error(e))
    }

    pub fn storage_error(&self, e: StorageError) -> IamError {
        let (code, message) = match e {
            StorageError::NoSuchEntity(m) => (IamErrorCode::NoSuchEntity, m),
            StorageError::EntityAlreadyExists(m) => (IamErrorCode::EntityAlreadyExists, m),
            StorageError::DeleteConflict(m) => (IamErrorCode::DeleteConflict, m),
            StorageError::LimitExceeded(m) => (IamErrorCode::LimitExceeded, m),
            other => {
                tracing::error!(action = %self.action, error = %other, "identity store failed");
                return self.error(
                    IamErrorCode::InternalError,
                    "We encountered an internal error. Please try again.",
                );
            }
        };
        self.error(code, sentence(&message))
    }

    pub async fn get_user(&self, name: &str) -> Result<User, IamError> {
        let user = self.store.get_user(&self.account, name).await;
        self.check(user)
    }

    pub async fn get_group(&self, name: &str) -> Result<Group, IamError> {
        let group = self.store.get_group(&self.account, name).await;
        self.check(group)
    }

    pub fn user_info(&self, user: &User) -> s4_iam_query::User {
        let arn = Arn::IamUser {
            account: self.account,
            name: user.name.as_str().into(),
        };
        s4_iam_query::User::new(&user.name, &user.user_id, arn.to_string(), user.created)
    }

    pub fn group_info(&self, group: &Group) -> s4_iam_query::Group {
        let arn = Arn::IamGroup {
            account: self.account,
            name: group.name.as_str().into(),
        };
        s4_iam_query::Group {
            path: "/".to_owned(),
            group_name: group.name.clone(),
            group_id: group.group_id.clone(),
            arn: arn.to_string(),
            create_date: group.created,
        }
    }
}

/// A store message as an AWS-style sentence: capitalized, ending with a period.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
