//! Account IDs (spec section 1.1): exactly 15 ASCII decimal digits, zero-padded.
//!
//! Decisions where the spec is silent:
//!
//! - `000000000000000` (all zeros) is a well-formed ID; whether such an account exists is not
//!   a naming question.
//! - Only ASCII `0`-`9` count as digits (no Unicode digits, no sign, no whitespace).
//! - [`AccountId`] orders numerically (the digits are fixed-width, so this is also byte order).

use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// Number of digits in an account ID.
pub const ACCOUNT_ID_LEN: usize = 15;
/// Largest number [`AccountId::from_number`] accepts (fifteen nines).
pub const ACCOUNT_ID_MAX: u64 = 999_999_999_999_999;

/// A well-formed account ID: 15 ASCII digits. Cheap to copy (16 bytes, no heap).
///
/// ```
/// use s4_naming::AccountId;
///
/// let id = AccountId::parse("000000000000042").unwrap();
/// assert_eq!(id.as_str(), "000000000000042");
/// assert_eq!(id.as_u64(), 42);
/// assert_eq!(AccountId::from_number(42).unwrap(), id);
/// assert_eq!(id.to_string(), "000000000000042");
/// assert!(AccountId::parse("42").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; ACCOUNT_ID_LEN]);

/// Why a string or number is not an account ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountIdError {
    /// The string contains something other than an ASCII digit.
    NonDigit {
        /// The first offending character.
        ch: char,
    },
    /// The string is all digits but not exactly 15 of them.
    WrongLength {
        /// Number of digits found.
        len: usize,
    },
    /// The number is larger than 999 999 999 999 999.
    OutOfRange {
        /// The number passed to [`AccountId::from_number`].
        value: u64,
    },
}

impl fmt::Display for AccountIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonDigit { ch } => write!(
                f,
                "Account ID must consist of {ACCOUNT_ID_LEN} decimal digits; found '{}'",
                ch.escape_debug()
            ),
            Self::WrongLength { len } => write!(
                f,
                "Account ID must be exactly {ACCOUNT_ID_LEN} digits long (got {len})"
            ),
            Self::OutOfRange { value } => write!(
                f,
                "Account ID must be at most {ACCOUNT_ID_MAX} (got {value})"
            ),
        }
    }
}

impl Error for AccountIdError {}

impl AccountId {
    /// Parses exactly 15 ASCII digits. Non-digits are reported before a wrong length.
    pub fn parse(s: &str) -> Result<Self, AccountIdError> {
        if let Some(ch) = s.chars().find(|c| !c.is_ascii_digit()) {
            return Err(AccountIdError::NonDigit { ch });
        }
        // All ASCII from here, so bytes and characters agree.
        let digits: [u8; ACCOUNT_ID_LEN] = s
            .as_bytes()
            .try_into()
            .map_err(|_| AccountIdError::WrongLength { len: s.len() })?;
        Ok(Self(digits))
    }

    /// Formats `n` as a zero-padded 15-digit ID; `n` must be at most [`ACCOUNT_ID_MAX`].
    pub fn from_number(n: u64) -> Result<Self, AccountIdError> {
        if n > ACCOUNT_ID_MAX {
            return Err(AccountIdError::OutOfRange { value: n });
        }
        let mut digits = [b'0'; ACCOUNT_ID_LEN];
        let mut rest = n;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        Ok(Self(digits))
    }

    /// The 15 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("account IDs hold ASCII digits only")
    }

    /// The numeric value (0 to [`ACCOUNT_ID_MAX`]).
    pub fn as_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0, |acc, &d| acc * 10 + u64::from(d - b'0'))
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl TryFrom<u64> for AccountId {
    type Error = AccountIdError;

    fn try_from(n: u64) -> Result<Self, Self::Error> {
        Self::from_number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::AccountIdError as E;
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<&str, E>)] = &[
            ("000000000000000", Ok("000000000000000")),
            ("000000000000001", Ok("000000000000001")),
            ("123456789012345", Ok("123456789012345")),
            ("999999999999999", Ok("999999999999999")),
            ("", Err(E::WrongLength { len: 0 })),
            ("1", Err(E::WrongLength { len: 1 })),
            ("00000000000001", Err(E::WrongLength { len: 14 })),
            ("0000000000000001", Err(E::WrongLength { len: 16 })),
            ("00000000000000a", Err(E::NonDigit { ch: 'a' })),
            ("-00000000000001", Err(E::NonDigit { ch: '-' })),
            ("+00000000000001", Err(E::NonDigit { ch: '+' })),
            (" 000000000000001", Err(E::NonDigit { ch: ' ' })),
            ("000000000000001\n", Err(E::NonDigit { ch: '\n' })),
            // Arabic-Indic digit five: a Unicode digit, not an ASCII one.
            ("00000000000000\u{665}", Err(E::NonDigit { ch: '\u{665}' })),
            ("aws", Err(E::NonDigit { ch: 'a' })),
            ("*", Err(E::NonDigit { ch: '*' })),
        ];
        for (input, expected) in cases {
            let got = AccountId::parse(input);
            assert_eq!(
                got.map(|id| id.to_string()),
                expected.map(str::to_owned),
                "{input:?}"
            );
            assert_eq!(input.parse::<AccountId>(), AccountId::parse(input));
        }
    }

    #[test]
    fn from_number_pads_and_bounds() {
        let cases: &[(u64, Result<&str, E>)] = &[
            (0, Ok("000000000000000")),
            (1, Ok("000000000000001")),
            (42, Ok("000000000000042")),
            (123_456_789_012_345, Ok("123456789012345")),
            (ACCOUNT_ID_MAX, Ok("999999999999999")),
            (
                ACCOUNT_ID_MAX + 1,
                Err(E::OutOfRange {
                    value: ACCOUNT_ID_MAX + 1,
                }),
            ),
            (u64::MAX, Err(E::OutOfRange { value: u64::MAX })),
        ];
        for (n, expected) in cases {
            let got = AccountId::from_number(*n);
            assert_eq!(
                got.map(|id| id.as_str().to_owned()),
                expected.map(str::to_owned),
                "{n}"
            );
            assert_eq!(AccountId::try_from(*n), AccountId::from_number(*n));
            if let Ok(id) = got {
                assert_eq!(id.as_u64(), *n);
                assert_eq!(AccountId::parse(id.as_str()), Ok(id));
            }
        }
    }

    #[test]
    fn traits() {
        let a = AccountId::from_number(2).unwrap();
        let b = AccountId::from_number(10).unwrap();
        assert!(a < b, "ordering is numeric");
        assert_eq!(format!("{a:?}"), "AccountId(\"000000000000002\")");
        assert_eq!(a.as_ref(), "000000000000002");
        let set: HashSet<AccountId> = [a, b, a].into_iter().collect();
        assert_eq!(set.len(), 2);
        #[allow(clippy::clone_on_copy)]
        let c = a.clone();
        assert_eq!(a, c);
    }

    #[test]
    fn messages() {
        assert_eq!(
            E::WrongLength { len: 3 }.to_string(),
            "Account ID must be exactly 15 digits long (got 3)"
        );
        assert_eq!(
            E::NonDigit { ch: '\0' }.to_string(),
            "Account ID must consist of 15 decimal digits; found '\\0'"
        );
        assert_eq!(
            E::OutOfRange {
                value: 1_000_000_000_000_000
            }
            .to_string(),
            "Account ID must be at most 999999999999999 (got 1000000000000000)"
        );
    }
}
