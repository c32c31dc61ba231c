//! Authentication, the one authenticator of S3 and IAM requests (SigV4 through `s4-sigv4`,
//! keys from the [`IdentityStore`]). Authorization is in [`crate::authz`].
//!
//! Two steps, so that the IAM API can read its form body between them:
//! [`look_up_key`] refuses an unknown or inactive key before any body byte is read, and
//! [`KnownKey::verify`] checks the signature and names the [`Principal`]. S3 requests take
//! both at once ([`authenticate`]); IAM requests supply the body's SHA-256 in between
//! ([`KnownKey::with_body_sha256`]). Keys are read from the store on every request, never
//! cached, so a status change applies to the next request.
//!
//! The [`Principal`] is the one principal of a request: for an IAM user it holds the user's
//! name and unique ID as stored (read with the key), and IAM ([`Principal::caller`]) and the
//! policy engine ([`Principal::policy_view`]) borrow from it; nothing is looked up or
//! copied again to authorize.

use s4_iam::Caller;
use s4_naming::AccountId;
use s4_sigv4::{ParsedRequest, PayloadMode, SigV4Error, SigningKeyCache};
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError, User};
use time::OffsetDateTime;

use crate::response::ApiError;

/// Who sent a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No signature at all.
    Anonymous,
    /// An account root's access key.
    Root {
        account: AccountId,
        access_key_id: String,
    },
    /// An IAM user's access key.
    User {
        account: AccountId,
        /// The user name as stored.
        name: String,
        /// The user's unique ID (`aws:userid`).
        user_id: String,
        access_key_id: String,
    },
}

impl Principal {
    /// The principal that holds `key`; `user` is the key's user as stored ([`key_user`]).
    /// `None` for a user's key whose user no longer exists.
    pub fn of_key(key: AccessKey, user: Option<User>) -> Option<Self> {
        match (key.owner, user) {
            (KeyOwner::User(_), Some(user)) => Some(Self::User {
                account: key.account,
                name: user.name,
                user_id: user.user_id,
                access_key_id: key.access_key_id,
            }),
            (KeyOwner::User(_), None) => None,
            (KeyOwner::Root, _) => Some(Self::Root {
                account: key.account,
                access_key_id: key.access_key_id,
            }),
        }
    }

    /// The account the principal belongs to (`None` for anonymous requests).
    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Self::Anonymous => None,
            Self::Root { account, .. } | Self::User { account, .. } => Some(account),
        }
    }

    /// The principal as IAM and the policy engine see it, borrowed from this one (`None` for
    /// anonymous requests).
    pub fn caller(&self) -> Option<Caller<'_>> {
        match self {
            Self::Anonymous => None,
            Self::Root { account, .. } => Some(Caller::Root { account: *account }),
            Self::User {
                account,
                name,
                user_id,
                ..
            } => Some(Caller::User {
                account: *account,
                name,
                user_id,
            }),
        }
    }

    /// The principal as the policy engine sees it, borrowed from this one.
    pub fn policy_view(&self) -> s4_policy::Principal<'_> {
        self.caller()
            .map_or(s4_policy::Principal::Anonymous, |caller| caller.principal())
    }

    /// The root or user ARN (`None` for anonymous requests).
    pub fn arn(&self) -> Option<String> {
        self.caller().map(|caller| caller.arn())
    }
}

/// A request whose signature (if any) verified.
#[derive(Debug)]
pub struct Authenticated {
    pub principal: Principal,
    /// How to treat the body; anonymous bodies are unsigned.
    pub payload: PayloadMode,
}

/// Why a signed request was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The signature data, the key (`InvalidAccessKeyId`) or the signature itself.
    #[error(transparent)]
    Signature(#[from] SigV4Error),
    /// The identity store failed while looking the key up.
    #[error("access key lookup failed: {0}")]
    Store(#[source] StorageError),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Signature(e) => e.into(),
            AuthError::Store(e) => e.into(),
        }
    }
}

/// A signed request whose access key exists and is active; the signature is not checked
/// yet. (`Debug` shows no secret: `AccessKey` hides it.)
#[derive(Debug)]
pub struct KnownKey {
    parsed: ParsedRequest,
    key: AccessKey,
    user: Option<User>,
}

/// Looks the request's access key up, and the user of a user's key: unknown and inactive
/// keys are `InvalidAccessKeyId`, and so is a user's key whose user is gone (DeleteUser
/// refuses while keys exist, so only a race sees that).
pub async fn look_up_key<I: IdentityStore + ?Sized>(
    parsed: ParsedRequest,
    identity: &I,
) -> Result<KnownKey, AuthError> {
    let key = identity
        .get_access_key(parsed.access_key_id())
        .await
        .map_err(AuthError::Store)?;
    match key {
        Some(key) if key.status == KeyStatus::Active => {
            let user = key_user(identity, &key).await.map_err(AuthError::Store)?;
            if matches!(key.owner, KeyOwner::User(_)) && user.is_none() {
                return Err(SigV4Error::invalid_access_key_id().into());
            }
            Ok(KnownKey { parsed, key, user })
        }
        _ => Err(SigV4Error::invalid_access_key_id().into()),
    }
}

/// The IAM user that holds `key` as stored (name and unique ID); `None` for a root key or
/// when the user no longer exists.
pub async fn key_user<I: IdentityStore + ?Sized>(
    identity: &I,
    key: &AccessKey,
) -> Result<Option<User>, StorageError> {
    let KeyOwner::User(name) = &key.owner else {
        return Ok(None);
    };
    match identity.get_user(&key.account, name).await {
        Ok(user) => Ok(Some(user)),
        Err(StorageError::NoSuchEntity(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

impl KnownKey {
    /// The access key ID the request names.
    pub fn access_key_id(&self) -> &str {
        self.parsed.access_key_id()
    }

    /// Supplies the body's SHA-256 when the request declared none (IAM clients send no
    /// `x-amz-content-sha256`), so that the signature covers the body either way.
    #[must_use]
    pub fn with_body_sha256(self, digest: [u8; 32]) -> Self {
        if self.parsed.needs_body_sha256() {
            Self {
                parsed: self.parsed.with_body_sha256(digest),
                ..self
            }
        } else {
            self
        }
    }

    /// Verifies the signature with the key's secret.
    pub fn verify(
        self,
        now: OffsetDateTime,
        cache: &SigningKeyCache,
    ) -> Result<Authenticated, SigV4Error> {
        let verified = self
            .parsed
            .verify(&self.key.secret_access_key, now, cache)?;
        let principal =
            Principal::of_key(self.key, self.user).ok_or_else(SigV4Error::invalid_access_key_id)?;
        Ok(Authenticated {
            principal,
            payload: verified.into_payload(),
        })
    }
}

/// Authenticates an S3 request: looks the access key up and verifies the signature.
/// `parsed` is `None` for anonymous requests.
pub async fn authenticate<I: IdentityStore>(
    parsed: Option<ParsedRequest>,
    identity: &I,
    cache: &SigningKeyCache,
    now: OffsetDateTime,
) -> Result<Authenticated, ApiError> {
    let Some(parsed) = parsed else {
        return Ok(Authenticated {
            principal: Principal::Anonymous,
            payload: PayloadMode::Unsigned,
        });
    };
    let key = look_up_key(parsed, identity).await?;
    Ok(key.verify(now, cache)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(owner: KeyOwner) -> AccessKey {
        AccessKey {
            access_key_id: "AKIAEXAMPLE000000000".into(),
            secret_access_key: "secret".into(),
            account: AccountId::from_number(42).unwrap(),
            owner,
            status: KeyStatus::Active,
            created: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_key_holder_is_the_principal_and_iam_borrows_it() {
        let account = AccountId::from_number(42).unwrap();
        let stored = User {
            account,
            name: "Alice".into(),
            user_id: "AIDAALICE".into(),
            created: OffsetDateTime::UNIX_EPOCH,
        };
        let alice = Principal::of_key(key(KeyOwner::User("alice".into())), Some(stored)).unwrap();
        assert_eq!(
            alice,
            Principal::User {
                account,
                name: "Alice".into(),
                user_id: "AIDAALICE".into(),
                access_key_id: "AKIAEXAMPLE000000000".into(),
            }
        );
        assert_eq!(
            alice.caller(),
            Some(Caller::User {
                account,
                name: "Alice",
                user_id: "AIDAALICE",
            })
        );
        assert_eq!(
            alice.policy_view(),
            s4_policy::Principal::User {
                account,
                name: "Alice",
                user_id: "AIDAALICE",
            }
        );
        assert_eq!(
            Principal::of_key(key(KeyOwner::User("alice".into())), None),
            None
        );
        assert_eq!(
            alice.arn().as_deref(),
            Some("arn:aws:iam::000000000000042:user/Alice")
        );
        let root = Principal::of_key(key(KeyOwner::Root), None).unwrap();
        assert_eq!(root.policy_view(), s4_policy::Principal::Root { account });
        assert_eq!(root.caller(), Some(Caller::Root { account }));
        assert_eq!(
            root.arn().as_deref(),
            Some("arn:aws:iam::000000000000042:root")
        );
        assert_eq!(Principal::Anonymous.caller(), None);
        assert_eq!(Principal::Anonymous.arn(), None);
        assert_eq!(
            Principal::Anonymous.policy_view(),
            s4_policy::Principal::Anonymous
        );
    }
}
