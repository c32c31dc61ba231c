//! Who is calling, and the authorization rule that holds until the policy engine is wired.

use s4_iam_query::{IamAction, IamError, IamErrorCode};
use s4_naming::{AccountId, Arn};
use s4_storage::KeyOwner;

/// The authenticated principal of an IAM request: an account root or an IAM user of an
/// account. (Anonymous requests never reach IAM.)
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The account root (a root access key).
    Root { account: AccountId },
    /// An IAM user of the account.
    User { account: AccountId, name: String },
}

impl Caller {
    /// The caller's account; every action acts inside it.
    pub fn account(&self) -> &AccountId {
        match self {
            Self::Root { account } | Self::User { account, .. } => account,
        }
    }

    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    pub fn arn(&self) -> String {
        match self {
            Self::Root { account } => Arn::IamRoot { account: *account }.to_string(),
            Self::User { account, name } => Arn::IamUser {
                account: *account,
                name: name.as_str().into(),
            }
            .to_string(),
        }
    }

    /// The owner of access keys created "for the caller" (no `UserName`).
    pub fn key_owner(&self) -> KeyOwner {
        match self {
            Self::Root { .. } => KeyOwner::Root,
            Self::User { name, .. } => KeyOwner::User(name.clone()),
        }
    }
}

/// May `caller` perform `action`? Every action acts in the caller's own account only.
///
/// Until identity policies are evaluated: the account root may perform every IAM action,
/// IAM users none (`AccessDenied`, 403), whatever policies they have. The policy
/// integration replaces this one function.
///
/// ```
/// use s4_iam::{authorize, Caller};
/// use s4_iam_query::{IamAction, IamErrorCode};
/// use s4_naming::AccountId;
///
/// let account = AccountId::from_number(42).unwrap();
/// assert!(authorize(&Caller::Root { account }, IamAction::CreateUser).is_ok());
/// let alice = Caller::User { account, name: "alice".into() };
/// let e = authorize(&alice, IamAction::GetUser).unwrap_err();
/// assert_eq!(e.code(), IamErrorCode::AccessDenied);
/// assert_eq!(
///     e.message(),
///     "User: arn:aws:iam::000000000000042:user/alice is not authorized to perform: iam:GetUser"
/// );
/// ```
pub fn authorize(caller: &Caller, action: IamAction) -> Result<(), IamError> {
    match caller {
        Caller::Root { .. } => Ok(()),
        Caller::User { .. } => Err(IamError::new(
            IamErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: iam:{action}",
                caller.arn()
            ),
        )),
    }
}
