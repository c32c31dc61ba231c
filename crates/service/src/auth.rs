//! Authentication, the one authenticator of S3 and IAM requests (SigV4 through `s4-sigv4`,
//! keys from the [`IdentityStore`]). Authorization is in [`crate::authz`].
//!
//! Two steps, so that the IAM API can read its form body between them:
//! [`look_up_key`] refuses an unknown or inactive key before any body byte is read, and
//! [`KnownKey::verify`] checks the signature and names the [`Principal`]. S3 requests take
//! both at once ([`authenticate`]); IAM requests supply the body's SHA-256 in between
//! ([`KnownKey::with_body_sha256`]). Keys are read from the store on every request, never
//! cached, so a status change applies to the next request.

use s4_iam::Caller;
use s4_naming::AccountId;
use s4_sigv4::{ParsedRequest, PayloadMode, SigV4Error, SigningKeyCache};
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError};
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
        name: String,
        access_key_id: String,
    },
}

impl Principal {
    /// The principal that holds `key`.
    pub fn of_key(key: AccessKey) -> Self {
        match key.owner {
            KeyOwner::Root => Self::Root {
                account: key.account,
                access_key_id: key.access_key_id,
            },
            KeyOwner::User(name) => Self::User {
                account: key.account,
                name,
                access_key_id: key.access_key_id,
            },
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
            Self::User { account, name, .. } => Some(Caller::User {
                account: *account,
                name,
            }),
        }
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
}

/// Looks the request's access key up: unknown and inactive keys are `InvalidAccessKeyId`.
pub async fn look_up_key<I: IdentityStore + ?Sized>(
    parsed: ParsedRequest,
    identity: &I,
) -> Result<KnownKey, AuthError> {
    let key = identity
        .get_access_key(parsed.access_key_id())
        .await
        .map_err(AuthError::Store)?;
    match key {
        Some(key) if key.status == KeyStatus::Active => Ok(KnownKey { parsed, key }),
        _ => Err(SigV4Error::invalid_access_key_id().into()),
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
                key: self.key,
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
        Ok(Authenticated {
            principal: Principal::of_key(self.key),
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
        let alice = Principal::of_key(key(KeyOwner::User("alice".into())));
        assert_eq!(
            alice,
            Principal::User {
                account,
                name: "alice".into(),
                access_key_id: "AKIAEXAMPLE000000000".into(),
            }
        );
        assert_eq!(
            alice.caller(),
            Some(Caller::User {
                account,
                name: "alice"
            })
        );
        assert_eq!(
            alice.arn().as_deref(),
            Some("arn:aws:iam::000000000000042:user/alice")
        );
        let root = Principal::of_key(key(KeyOwner::Root));
        assert_eq!(root.caller(), Some(Caller::Root { account }));
        assert_eq!(
            root.arn().as_deref(),
            Some("arn:aws:iam::000000000000042:root")
        );
        assert_eq!(Principal::Anonymous.caller(), None);
        assert_eq!(Principal::Anonymous.arn(), None);
    }
}
