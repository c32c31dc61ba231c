//! IAM user, group and managed-policy names.
//!
//! The S4 spec does not restate these rules, so they follow the AWS IAM API reference
//! (`CreateUser`, `CreateGroup`, `CreatePolicy`): the pattern is `[\w+=,.@-]+`, where `\w` is
//! ASCII `[A-Za-z0-9_]`, so the allowed characters are ASCII letters, digits and `+=,.@_-`.
//!
//! | entity | length |
//! |---|---|
//! | user ([`validate_user_name`]) | 1 to 64 |
//! | group ([`validate_group_name`]) | 1 to 128 (AWS `CreateGroup`: "Maximum length of 128") |
//! | managed policy ([`validate_policy_name`]) | 1 to 128 |
//!
//! Rules are checked in this order: empty, too long (counted in characters), then the first
//! character outside the set. Names are case-preserving; AWS treats them as unique regardless
//! of case, which is a storage concern and not checked here. Paths (`/division/`) are not
//! part of a name and are not supported by S4.

use std::error::Error;
use std::fmt;

/// Maximum IAM user-name length.
pub const USER_NAME_MAX_LEN: usize = 64;
/// Maximum IAM group-name length.
pub const GROUP_NAME_MAX_LEN: usize = 128;
/// Maximum managed-policy-name length.
pub const POLICY_NAME_MAX_LEN: usize = 128;

/// Which kind of IAM name was checked; carried by [`IamNameError`] so messages can say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IamEntity {
    /// An IAM user name.
    User,
    /// An IAM group name.
    Group,
    /// A managed-policy name.
    Policy,
}

impl IamEntity {
    /// Maximum name length for this entity, in characters.
    pub const fn max_len(self) -> usize {
        match self {
            Self::User => USER_NAME_MAX_LEN,
            Self::Group => GROUP_NAME_MAX_LEN,
            Self::Policy => POLICY_NAME_MAX_LEN,
        }
    }

    /// `"User name"`, `"Group name"` or `"Policy name"`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::User => "User name",
            Self::Group => "Group name",
            Self::Policy => "Policy name",
        }
    }
}

/// Why an IAM user, group or policy name is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IamNameError {
    /// The name is empty.
    Empty {
        /// What kind of name it is.
        entity: IamEntity,
    },
    /// The name is longer than [`IamEntity::max_len`].
    TooLong {
        /// What kind of name it is.
        entity: IamEntity,
        /// Length of the name in characters.
        len: usize,
    },
    /// A character outside `[A-Za-z0-9+=,.@_-]`.
    InvalidCharacter {
        /// What kind of name it is.
        entity: IamEntity,
        /// The first offending character.
        ch: char,
    },
}

impl IamNameError {
    /// The kind of name that failed.
    pub const fn entity(&self) -> IamEntity {
        match *self {
            Self::Empty { entity }
            | Self::TooLong { entity, .. }
            | Self::InvalidCharacter { entity, .. } => entity,
        }
    }
}

impl fmt::Display for IamNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entity = self.entity();
        let label = entity.label();
        let max = entity.max_len();
        match self {
            Self::Empty { .. } => write!(
                f,
                "{label} must be between 1 and {max} characters long (got 0)"
            ),
            Self::TooLong { len, .. } => {
                write!(
                    f,
                    "{label} must be between 1 and {max} characters long (got {len})"
                )
            }
            Self::InvalidCharacter { ch, .. } => write!(
                f,
                "{label} can consist only of letters, numbers and the characters +=,.@_-; \
                 found '{}'",
                ch.escape_debug()
            ),
        }
    }
}

impl Error for IamNameError {}

/// Whether `c` may appear in an IAM user, group or policy name.
pub const fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '_' | '-')
}

fn validate(entity: IamEntity, name: &str) -> Result<(), IamNameError> {
    if name.is_empty() {
        return Err(IamNameError::Empty { entity });
    }
    // Only count characters when the byte length could exceed the limit.
    if name.len() > entity.max_len() {
        let len = name.chars().count();
        if len > entity.max_len() {
            return Err(IamNameError::TooLong { entity, len });
        }
    }
    match name.chars().find(|&c| !is_iam_name_char(c)) {
        Some(ch) => Err(IamNameError::InvalidCharacter { entity, ch }),
        None => Ok(()),
    }
}

/// Checks an IAM user name: 1 to 64 characters of `[A-Za-z0-9+=,.@_-]`.
///
/// ```
/// use s4_naming::{validate_user_name, IamNameError, IamEntity};
///
/// assert_eq!(validate_user_name("alice.smith@example.com"), Ok(()));
/// assert_eq!(
///     validate_user_name("alice smith"),
///     Err(IamNameError::InvalidCharacter { entity: IamEntity::User, ch: ' ' })
/// );
/// ```
pub fn validate_user_name(name: &str) -> Result<(), IamNameError> {
    validate(IamEntity::User, name)
}

/// Checks an IAM group name: 1 to 128 characters of `[A-Za-z0-9+=,.@_-]`.
///
/// ```
/// use s4_naming::validate_group_name;
///
/// assert!(validate_group_name("Developers").is_ok());
/// assert!(validate_group_name(&"g".repeat(128)).is_ok());
/// assert!(validate_group_name(&"g".repeat(129)).is_err());
/// ```
pub fn validate_group_name(name: &str) -> Result<(), IamNameError> {
    validate(IamEntity::Group, name)
}

/// Checks a managed-policy name: 1 to 128 characters of `[A-Za-z0-9+=,.@_-]`.
///
/// ```
/// use s4_naming::validate_policy_name;
///
/// assert!(validate_policy_name("AdministratorAccess").is_ok());
/// assert!(validate_policy_name("Admin/Access").is_err());
/// ```
pub fn validate_policy_name(name: &str) -> Result<(), IamNameError> {
    validate(IamEntity::Policy, name)
}

#[cfg(test)]
mod tests {
    use super::IamEntity::{Group, Policy, User};
    use super::IamNameError as E;
    use super::*;

    fn s(n: usize) -> String {
        "n".repeat(n)
    }

    #[test]
    fn user_names() {
        let cases: &[(&str, Result<(), E>)] = &[
            ("a", Ok(())),
            ("Alice", Ok(())),
            ("alice_01", Ok(())),
            ("a+b=c,d.e@f_g-h", Ok(())),
            ("0", Ok(())),
            ("-", Ok(())),
            ("...", Ok(())),
            ("", Err(E::Empty { entity: User })),
            (&s(63), Ok(())),
            (&s(64), Ok(())),
            (
                &s(65),
                Err(E::TooLong {
                    entity: User,
                    len: 65,
                }),
            ),
            (
                "a b",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: ' ',
                }),
            ),
            (
                "a/b",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: '/',
                }),
            ),
            (
                "a:b",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: ':',
                }),
            ),
            (
                "a*",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: '*',
                }),
            ),
            (
                "a#",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: '#',
                }),
            ),
            (
                "a!",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: '!',
                }),
            ),
            (
                "é",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: 'é',
                }),
            ),
            (
                "a\0",
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: '\0',
                }),
            ),
            // 64 two-byte characters: 128 bytes but 64 characters, so the length rule passes.
            (
                &"é".repeat(64),
                Err(E::InvalidCharacter {
                    entity: User,
                    ch: 'é',
                }),
            ),
            (
                &"é".repeat(65),
                Err(E::TooLong {
                    entity: User,
                    len: 65,
                }),
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_user_name(name), *expected, "user name {name:?}");
        }
    }

    #[test]
    fn group_and_policy_names() {
        for (entity, f) in [
            (Group, validate_group_name as fn(&str) -> Result<(), E>),
            (Policy, validate_policy_name),
        ] {
            let cases: &[(&str, Result<(), E>)] = &[
                ("Admins", Ok(())),
                ("S3ReadAccess", Ok(())),
                (&s(64), Ok(())),
                (&s(65), Ok(())),
                (&s(127), Ok(())),
                (&s(128), Ok(())),
                ("", Err(E::Empty { entity })),
                (&s(129), Err(E::TooLong { entity, len: 129 })),
                ("a b", Err(E::InvalidCharacter { entity, ch: ' ' })),
                ("a/b", Err(E::InvalidCharacter { entity, ch: '/' })),
            ];
            for (name, expected) in cases {
                assert_eq!(f(name), *expected, "{entity:?} name {name:?}");
            }
        }
    }

    #[test]
    fn every_ascii_character() {
        for b in 0..=127u8 {
            let c = char::from(b);
            let expected = c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
            assert_eq!(is_iam_name_char(c), expected, "{c:?}");
            assert_eq!(
                validate_user_name(&c.to_string()).is_ok(),
                expected,
                "{c:?}"
            );
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            E::TooLong {
                entity: User,
                len: 65
            }
            .to_string(),
            "User name must be between 1 and 64 characters long (got 65)"
        );
        assert_eq!(
            E::Empty { entity: Group }.to_string(),
            "Group name must be between 1 and 128 characters long (got 0)"
        );
        assert_eq!(
            E::InvalidCharacter {
                entity: Policy,
                ch: '/'
            }
            .to_string(),
            "Policy name can consist only of letters, numbers and the characters +=,.@_-; \
             found '/'"
        );
        assert_eq!(E::Empty { entity: Policy }.entity(), Policy);
    }
}
