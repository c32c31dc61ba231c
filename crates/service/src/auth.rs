//! Authentication (SigV4 through `s4-sigv4`, keys from the [`IdentityStore`]). Authorization
//! is in [`crate::authz`].

use s4_naming::AccountId;
use s4_sigv4::{ParsedRequest, PayloadMode, SigV4Error, SigningKeyCache};
use s4_storage::{IdentityStore, KeyOwner, KeyStatus};
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
    /// The account the principal belongs to (`None` for anonymous requests).
    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Self::Anonymous => None,
            Self::Root { account, .. } | Self::User { account, .. } => Some(account),
        }
    }
}

/// A request whose signature (if any) verified.
#[derive(Debug)]
pub struct Authenticated {
    pub principal: Principal,
    /// How to treat the body; anonymous bodies are unsigned.
    pub payload: PayloadMode,
}

/// Looks the access key up and verifies the signature. `parsed` is `None` for anonymous
/// requests.
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
    let key = identity
        .get_access_key(parsed.access_key_id())
        .await
        .map_err(ApiError::from)?;
    let key = match key {
        Some(key) if key.status == KeyStatus::Active => key,
        _ => return Err(SigV4Error::invalid_access_key_id().into()),
    };
    let verified = parsed.verify(&key.secret_access_key, now, cache)?;
    let principal = match key.owner {
        KeyOwner::Root => Principal::Root {
            account: key.account,
            access_key_id: key.access_key_id,
        },
        KeyOwner::User(name) => Principal::User {
            account: key.account,
            name,
            access_key_id: key.access_key_id,
        },
    };
    Ok(Authenticated {
        principal,
        payload: verified.into_payload(),
    })
}
