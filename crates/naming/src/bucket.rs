//! Bucket-name validation (spec section 2.1.2).
//!
//! [`validate_bucket_name`] checks the rules **in the order the spec lists them** and reports
//! the first one that fails:
//!
//! 1. not `.` ([`BucketNameError::Dot`]);
//! 2. not `..` ([`BucketNameError::DotDot`]);
//! 3. no `/` ([`BucketNameError::ContainsSlash`]);
//! 4. 3 to 63 characters ([`BucketNameError::TooShort`], [`BucketNameError::TooLong`]);
//!    the length counts Unicode scalar values, as the spec says "characters" (any name that
//!    passes the next rule is ASCII, so for valid names characters and bytes agree);
//! 5. only `a-z`, `0-9`, `.` and `-` ([`BucketNameError::InvalidCharacter`], naming the first
//!    offending character);
//! 6. begins and ends with a letter or digit ([`BucketNameError::InvalidStart`], then
//!    [`BucketNameError::InvalidEnd`]);
//! 7. no two adjacent periods ([`BucketNameError::AdjacentPeriods`]);
//! 8. not formatted as an IP address ([`BucketNameError::IpAddress`]);
//! 9. no `xn--` prefix ([`BucketNameError::XnPrefix`]);
//! 10. no `-s3alias` suffix ([`BucketNameError::S3AliasSuffix`]).
//!
//! Where the spec is silent, these are the decisions:
//!
//! - **IP-shaped** means exactly four dot-separated labels that are all non-empty and made of
//!   ASCII digits only, whatever their values: `192.168.5.4`, `999.999.999.999` and
//!   `01.02.03.04` are rejected (AWS rejects any dotted quad of digits, not only valid IPv4
//!   addresses). `192.168.5` (three labels) and `1.2.3.4.5` (five labels) are accepted, as is
//!   `1.2.3.4a`. IPv6 literals cannot pass rule 5 anyway (`:` is not allowed).
//! - An all-digit name such as `123` is accepted.

use std::error::Error;
use std::fmt;

/// Minimum bucket-name length, in characters.
pub const BUCKET_NAME_MIN_LEN: usize = 3;
/// Maximum bucket-name length, in characters.
pub const BUCKET_NAME_MAX_LEN: usize = 63;

/// Why a bucket name is invalid. Each variant is one rule of spec section 2.1.2 (the length
/// rule and the begin/end rule have two variants each, so the message can say which end or
/// which bound failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BucketNameError {
    /// The name is `.`.
    Dot,
    /// The name is `..`.
    DotDot,
    /// The name contains `/`.
    ContainsSlash,
    /// Fewer than 3 characters; `len` is the number of characters.
    TooShort {
        /// Length of the name in characters.
        len: usize,
    },
    /// More than 63 characters; `len` is the number of characters.
    TooLong {
        /// Length of the name in characters.
        len: usize,
    },
    /// A character other than a lowercase ASCII letter, an ASCII digit, `.` or `-`.
    InvalidCharacter {
        /// The first offending character.
        ch: char,
    },
    /// The first character is not a lowercase letter or a digit.
    InvalidStart,
    /// The last character is not a lowercase letter or a digit.
    InvalidEnd,
    /// The name contains `..`.
    AdjacentPeriods,
    /// The name is four dot-separated groups of digits, like `192.168.5.4`.
    IpAddress,
    /// The name starts with `xn--`.
    XnPrefix,
    /// The name ends with `-s3alias`.
    S3AliasSuffix,
}

impl fmt::Display for BucketNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dot => f.write_str("Bucket name must not be \".\""),
            Self::DotDot => f.write_str("Bucket name must not be \"..\""),
            Self::ContainsSlash => f.write_str("Bucket name must not contain \"/\""),
            Self::TooShort { len } | Self::TooLong { len } => write!(
                f,
                "Bucket name must be between {BUCKET_NAME_MIN_LEN} and {BUCKET_NAME_MAX_LEN} \
                 characters long (got {len})"
            ),
            Self::InvalidCharacter { ch } => write!(
                f,
                "Bucket name can consist only of lowercase letters, numbers, dots (.) and \
                 hyphens (-); found '{}'",
                ch.escape_debug()
            ),
            Self::InvalidStart => {
                f.write_str("Bucket name must begin with a lowercase letter or number")
            }
            Self::InvalidEnd => {
                f.write_str("Bucket name must end with a lowercase letter or number")
            }
            Self::AdjacentPeriods => {
                f.write_str("Bucket name must not contain two adjacent periods")
            }
            Self::IpAddress => f.write_str(
                "Bucket name must not be formatted as an IP address (for example, 192.168.5.4)",
            ),
            Self::XnPrefix => f.write_str("Bucket name must not start with the prefix \"xn--\""),
            Self::S3AliasSuffix => {
                f.write_str("Bucket name must not end with the suffix \"-s3alias\"")
            }
        }
    }
}

impl Error for BucketNameError {}

/// Checks `name` against every rule of spec section 2.1.2 and returns the first failing rule,
/// in the order documented in the [module docs](self).
///
/// ```
/// use s4_naming::{validate_bucket_name, BucketNameError};
///
/// assert_eq!(validate_bucket_name("my-photos.2024"), Ok(()));
/// assert_eq!(validate_bucket_name("My-Photos"), Err(BucketNameError::InvalidCharacter { ch: 'M' }));
/// assert_eq!(validate_bucket_name("192.168.5.4"), Err(BucketNameError::IpAddress));
/// ```
pub fn validate_bucket_name(name: &str) -> Result<(), BucketNameError> {
    match name {
        "." => return Err(BucketNameError::Dot),
        ".." => return Err(BucketNameError::DotDot),
        _ => {}
    }
    let bytes = name.as_bytes();
    if bytes.contains(&b'/') {
        return Err(BucketNameError::ContainsSlash);
    }
    // Counting characters costs a pass; a name longer than 4 * 63 bytes is too long whatever
    // it holds, but still report its character count so the message is exact.
    let len = name.chars().count();
    if len < BUCKET_NAME_MIN_LEN {
        return Err(BucketNameError::TooShort { len });
    }
    if len > BUCKET_NAME_MAX_LEN {
        return Err(BucketNameError::TooLong { len });
    }
    if let Some(ch) = name.chars().find(|&c| !is_bucket_char(c)) {
        return Err(BucketNameError::InvalidCharacter { ch });
    }
    // From here on the name is ASCII and 3..=63 bytes long.
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !is_alnum(bytes[0]) {
        return Err(BucketNameError::InvalidStart);
    }
    if !is_alnum(bytes[bytes.len() - 1]) {
        return Err(BucketNameError::InvalidEnd);
    }
    if bytes.windows(2).any(|w| w == b"..") {
        return Err(BucketNameError::AdjacentPeriods);
    }
    if is_ip_shaped(bytes) {
        return Err(BucketNameError::IpAddress);
    }
    if bytes.starts_with(b"xn--") {
        return Err(BucketNameError::XnPrefix);
    }
    if bytes.ends_with(b"-s3alias") {
        return Err(BucketNameError::S3AliasSuffix);
    }
    Ok(())
}

fn is_bucket_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
}

/// Exactly three dots, every byte a digit or a dot, and no empty label.
fn is_ip_shaped(bytes: &[u8]) -> bool {
    let mut dots = 0;
    let mut label_len = 0;
    for &b in bytes {
        match b {
            b'.' => {
                if label_len == 0 {
                    return false;
                }
                dots += 1;
                label_len = 0;
            }
            b'0'..=b'9' => label_len += 1,
            _ => return false,
        }
    }
    dots == 3 && label_len > 0
}

#[cfg(test)]
mod tests {
    use super::BucketNameError as E;
    use super::*;

    fn check(cases: &[(&str, Result<(), E>)]) {
        for (name, expected) in cases {
            assert_eq!(
                validate_bucket_name(name),
                *expected,
                "bucket name {name:?}"
            );
        }
    }

    #[test]
    fn valid_names() {
        check(&[
            ("abc", Ok(())),
            ("a-b", Ok(())),
            ("a.b", Ok(())),
            ("123", Ok(())),
            ("my-photos.2024", Ok(())),
            ("a1.b2-c3", Ok(())),
            ("a--b", Ok(())),
            ("a-.b", Ok(())),
            ("a.-b", Ok(())),
            ("xn-a", Ok(())),
            ("axn--b", Ok(())),
            ("xn-", Err(E::InvalidEnd)),
            ("s3alias", Ok(())),
            ("a-s3alias-b", Ok(())),
            ("as3alias", Ok(())),
            ("a-s3aliasx", Ok(())),
            ("a-s3alia", Ok(())),
        ]);
    }

    #[test]
    fn dot_and_dotdot() {
        check(&[
            (".", Err(E::Dot)),
            ("..", Err(E::DotDot)),
            ("...", Err(E::InvalidStart)),
            (".a.", Err(E::InvalidStart)),
        ]);
    }

    #[test]
    fn slash() {
        check(&[
            ("/", Err(E::ContainsSlash)),
            ("a/b", Err(E::ContainsSlash)),
            ("abc/", Err(E::ContainsSlash)),
            // The slash rule comes before the length rule.
            (&format!("{}/", "a".repeat(100)), Err(E::ContainsSlash)),
        ]);
    }

    #[test]
    fn length_boundaries() {
        let s = |n: usize| "a".repeat(n);
        check(&[
            ("", Err(E::TooShort { len: 0 })),
            ("a", Err(E::TooShort { len: 1 })),
            (&s(2), Err(E::TooShort { len: 2 })),
            (&s(3), Ok(())),
            (&s(62), Ok(())),
            (&s(63), Ok(())),
            (&s(64), Err(E::TooLong { len: 64 })),
            (&s(1000), Err(E::TooLong { len: 1000 })),
            // Length counts characters, not bytes: "éé" is 2 characters (4 bytes).
            ("éé", Err(E::TooShort { len: 2 })),
            ("ééé", Err(E::InvalidCharacter { ch: 'é' })),
            (&"é".repeat(63), Err(E::InvalidCharacter { ch: 'é' })),
            (&"é".repeat(64), Err(E::TooLong { len: 64 })),
        ]);
    }

    #[test]
    fn character_set() {
        check(&[
            ("Abc", Err(E::InvalidCharacter { ch: 'A' })),
            ("abC", Err(E::InvalidCharacter { ch: 'C' })),
            ("a_b", Err(E::InvalidCharacter { ch: '_' })),
            ("a b", Err(E::InvalidCharacter { ch: ' ' })),
            ("a:b", Err(E::InvalidCharacter { ch: ':' })),
            ("a\0b", Err(E::InvalidCharacter { ch: '\0' })),
            ("a😀b", Err(E::InvalidCharacter { ch: '😀' })),
            ("桶桶桶", Err(E::InvalidCharacter { ch: '桶' })),
            // The first offending character is reported, not the first uppercase one.
            ("a_Bc", Err(E::InvalidCharacter { ch: '_' })),
            // The character rule comes before the begin/end rule.
            ("-aB", Err(E::InvalidCharacter { ch: 'B' })),
        ]);
    }

    #[test]
    fn begin_and_end() {
        check(&[
            ("-ab", Err(E::InvalidStart)),
            (".ab", Err(E::InvalidStart)),
            ("ab-", Err(E::InvalidEnd)),
            ("ab.", Err(E::InvalidEnd)),
            ("-a-", Err(E::InvalidStart)),
            ("0ab", Ok(())),
            ("ab9", Ok(())),
        ]);
    }

    #[test]
    fn adjacent_periods() {
        check(&[
            ("a..b", Err(E::AdjacentPeriods)),
            ("a...b", Err(E::AdjacentPeriods)),
            ("1..2.3.4", Err(E::AdjacentPeriods)),
            ("a.b.c", Ok(())),
        ]);
    }

    #[test]
    fn ip_shaped() {
        check(&[
            ("192.168.5.4", Err(E::IpAddress)),
            ("1.2.3.4", Err(E::IpAddress)),
            ("0.0.0.0", Err(E::IpAddress)),
            ("255.255.255.255", Err(E::IpAddress)),
            // Not a valid IPv4 address, but still a dotted quad of digits.
            ("999.999.999.999", Err(E::IpAddress)),
            ("01.02.03.04", Err(E::IpAddress)),
            ("1234567890.1.1.1", Err(E::IpAddress)),
            // Three or five labels are not IP-shaped.
            ("192.168.5", Ok(())),
            ("1.2.3.4.5", Ok(())),
            ("1.2", Ok(())),
            // A label with a letter or hyphen is not all digits.
            ("1.2.3.4a", Ok(())),
            ("a1.2.3.4", Ok(())),
            ("1.2.3-4.5", Ok(())),
            ("1-2.3.4.5", Ok(())),
            ("1.2.3.a", Ok(())),
        ]);
    }

    #[test]
    fn xn_prefix() {
        check(&[
            ("xn--abc", Err(E::XnPrefix)),
            ("xn--1", Err(E::XnPrefix)),
            ("xn--s3alias", Err(E::XnPrefix)),
            ("xn--a-s3alias", Err(E::XnPrefix)),
            ("xn-a", Ok(())),
            ("xna--b", Ok(())),
        ]);
    }

    #[test]
    fn s3alias_suffix() {
        check(&[
            ("a-s3alias", Err(E::S3AliasSuffix)),
            ("my-bucket-s3alias", Err(E::S3AliasSuffix)),
            ("a.-s3alias", Err(E::S3AliasSuffix)),
            ("a-s3alias1", Ok(())),
            ("a_s3alias", Err(E::InvalidCharacter { ch: '_' })),
        ]);
    }

    #[test]
    fn messages_name_the_rule() {
        let cases: &[(E, &str)] = &[
            (E::Dot, "must not be \".\""),
            (E::DotDot, "must not be \"..\""),
            (E::ContainsSlash, "\"/\""),
            (
                E::TooShort { len: 2 },
                "between 3 and 63 characters long (got 2)",
            ),
            (
                E::TooLong { len: 64 },
                "between 3 and 63 characters long (got 64)",
            ),
            (E::InvalidCharacter { ch: 'A' }, "found 'A'"),
            (E::InvalidCharacter { ch: '\0' }, "found '\\0'"),
            (E::InvalidStart, "must begin with"),
            (E::InvalidEnd, "must end with"),
            (E::AdjacentPeriods, "two adjacent periods"),
            (E::IpAddress, "IP address"),
            (E::XnPrefix, "xn--"),
            (E::S3AliasSuffix, "-s3alias"),
        ];
        for (err, needle) in cases {
            let msg = err.to_string();
            assert!(msg.starts_with("Bucket name "), "{msg}");
            assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
            assert!(!msg.chars().any(char::is_control), "{msg:?}");
        }
    }
}
