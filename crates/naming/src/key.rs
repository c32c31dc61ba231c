//! Object-key validation (spec section 2.1.4).
//!
//! [`validate_object_key`] checks the rules **in the order the spec lists them** and reports
//! the first one that fails:
//!
//! 1. not `..` ([`ObjectKeyError::DotDot`]);
//! 2. does not begin with `../` ([`ObjectKeyError::LeadingDotDotSlash`]) and does not end with
//!    `/..` ([`ObjectKeyError::TrailingSlashDotDot`]);
//! 3. does not contain `/./` ([`ObjectKeyError::ContainsSlashDotSlash`]) nor `/../`
//!    ([`ObjectKeyError::ContainsSlashDotDotSlash`]);
//! 4. does not contain `//` ([`ObjectKeyError::ConsecutiveSlashes`]);
//! 5. 1 to 1024 characters long ([`ObjectKeyError::Empty`], [`ObjectKeyError::TooLong`]).
//!
//! Where the spec is silent or loose, these are the decisions:
//!
//! - **Length counts characters** (Unicode scalar values), as the spec states it: `é`, a CJK
//!   character and an emoji each count 1, so a key may take up to 4096 bytes of UTF-8. (AWS
//!   counts 1024 UTF-8 bytes; S4 follows its own spec.)
//! - The spec is followed literally, so these keys are **accepted**: `.`, `...`, `./a`,
//!   `a/.`, `/a`, `a/`, `/` (no `//` in it), `.a`, `a..b`, `..a`, `a/..b`.
//! - **Any UTF-8 is allowed**, including NUL, other control characters and U+FFFD. Callers that
//!   put keys into XML must escape them there (XML 1.0 cannot carry most control characters
//!   even escaped; S3's answer is `encoding-type=url`).

use std::error::Error;
use std::fmt;

/// Maximum object-key length, in characters (Unicode scalar values).
pub const OBJECT_KEY_MAX_LEN: usize = 1024;

/// Why an object key is invalid. Each variant is one rule (or one half of a two-part rule) of
/// spec section 2.1.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKeyError {
    /// The key is `..`.
    DotDot,
    /// The key begins with `../`.
    LeadingDotDotSlash,
    /// The key ends with `/..`.
    TrailingSlashDotDot,
    /// The key contains `/./`.
    ContainsSlashDotSlash,
    /// The key contains `/../`.
    ContainsSlashDotDotSlash,
    /// The key contains `//`.
    ConsecutiveSlashes,
    /// The key is empty.
    Empty,
    /// The key is longer than 1024 characters.
    TooLong {
        /// Length of the key in characters.
        len: usize,
    },
}

impl fmt::Display for ObjectKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DotDot => f.write_str("Object key must not be \"..\""),
            Self::LeadingDotDotSlash => f.write_str("Object key must not begin with \"../\""),
            Self::TrailingSlashDotDot => f.write_str("Object key must not end with \"/..\""),
            Self::ContainsSlashDotSlash => f.write_str("Object key must not contain \"/./\""),
            Self::ContainsSlashDotDotSlash => f.write_str("Object key must not contain \"/../\""),
            Self::ConsecutiveSlashes => {
                f.write_str("Object key must not contain consecutive forward slashes \"//\"")
            }
            Self::Empty => f.write_str("Object key must not be empty"),
            Self::TooLong { len } => write!(
                f,
                "Object key must be at most {OBJECT_KEY_MAX_LEN} characters long (got {len})"
            ),
        }
    }
}

impl Error for ObjectKeyError {}

/// Checks `key` against every rule of spec section 2.1.4 and returns the first failing rule,
/// in the order documented in the [module docs](self).
///
/// ```
/// use s4_naming::{validate_object_key, ObjectKeyError};
///
/// assert_eq!(validate_object_key("photos/2024/été 😀.jpg"), Ok(()));
/// assert_eq!(validate_object_key("a/../b"), Err(ObjectKeyError::ContainsSlashDotDotSlash));
/// assert_eq!(validate_object_key(&"😀".repeat(1024)), Ok(()));
/// assert_eq!(validate_object_key(&"x".repeat(1025)), Err(ObjectKeyError::TooLong { len: 1025 }));
/// ```
pub fn validate_object_key(key: &str) -> Result<(), ObjectKeyError> {
    let bytes = key.as_bytes();
    if bytes == b".." {
        return Err(ObjectKeyError::DotDot);
    }
    if bytes.starts_with(b"../") {
        return Err(ObjectKeyError::LeadingDotDotSlash);
    }
    if bytes.ends_with(b"/..") {
        return Err(ObjectKeyError::TrailingSlashDotDot);
    }
    // One pass over the bytes finds the first `/./`, `/../` and `//`; the precedence between
    // them is fixed afterwards so the rule order does not depend on their positions.
    let mut slash_dot_slash = false;
    let mut slash_dot_dot_slash = false;
    let mut double_slash = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'/' {
            continue;
        }
        let rest = &bytes[i + 1..];
        if rest.starts_with(b"./") {
            slash_dot_slash = true;
        } else if rest.starts_with(b"../") {
            slash_dot_dot_slash = true;
        } else if rest.starts_with(b"/") {
            double_slash = true;
        }
        if slash_dot_slash {
            break;
        }
    }
    if slash_dot_slash {
        return Err(ObjectKeyError::ContainsSlashDotSlash);
    }
    if slash_dot_dot_slash {
        return Err(ObjectKeyError::ContainsSlashDotDotSlash);
    }
    if double_slash {
        return Err(ObjectKeyError::ConsecutiveSlashes);
    }
    if bytes.is_empty() {
        return Err(ObjectKeyError::Empty);
    }
    // Counting characters needs a pass only when the bytes alone could be too many.
    if bytes.len() > OBJECT_KEY_MAX_LEN {
        let chars = key.chars().count();
        if chars > OBJECT_KEY_MAX_LEN {
            return Err(ObjectKeyError::TooLong { len: chars });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ObjectKeyError as E;
    use super::*;

    fn check(cases: &[(&str, Result<(), E>)]) {
        for (key, expected) in cases {
            assert_eq!(validate_object_key(key), *expected, "object key {key:?}");
        }
    }

    #[test]
    fn ordinary_keys() {
        check(&[
            ("a", Ok(())),
            ("photos/2024/img.jpg", Ok(())),
            ("a b+c&d=e?f#g%20", Ok(())),
            ("*", Ok(())),
            ("\\..\\x", Ok(())),
        ]);
    }

    #[test]
    fn dot_keys_follow_the_spec_literally() {
        check(&[
            ("..", Err(E::DotDot)),
            (".", Ok(())),
            ("...", Ok(())),
            ("./a", Ok(())),
            ("a/.", Ok(())),
            ("a/./", Err(E::ContainsSlashDotSlash)),
            (".a", Ok(())),
            ("..a", Ok(())),
            ("a..", Ok(())),
            ("a..b", Ok(())),
            ("a/..b", Ok(())),
            ("a/b..", Ok(())),
            ("..../a", Ok(())),
            ("./.", Ok(())),
            ("/.", Ok(())),
            ("./", Ok(())),
        ]);
    }

    #[test]
    fn dot_dot_segments() {
        check(&[
            ("../a", Err(E::LeadingDotDotSlash)),
            ("../", Err(E::LeadingDotDotSlash)),
            ("../..", Err(E::LeadingDotDotSlash)),
            ("a/..", Err(E::TrailingSlashDotDot)),
            ("/..", Err(E::TrailingSlashDotDot)),
            ("a/b/..", Err(E::TrailingSlashDotDot)),
            ("a/../b", Err(E::ContainsSlashDotDotSlash)),
            ("/../", Err(E::ContainsSlashDotDotSlash)),
            ("a/../", Err(E::ContainsSlashDotDotSlash)),
            ("a/./b", Err(E::ContainsSlashDotSlash)),
            ("/./", Err(E::ContainsSlashDotSlash)),
            ("/./a", Err(E::ContainsSlashDotSlash)),
        ]);
    }

    #[test]
    fn slashes() {
        check(&[
            ("/a", Ok(())),
            ("a/", Ok(())),
            ("/", Ok(())),
            ("/a/", Ok(())),
            ("a//b", Err(E::ConsecutiveSlashes)),
            ("//", Err(E::ConsecutiveSlashes)),
            ("//a", Err(E::ConsecutiveSlashes)),
            ("a//", Err(E::ConsecutiveSlashes)),
            ("a///b", Err(E::ConsecutiveSlashes)),
        ]);
    }

    #[test]
    fn rule_order() {
        check(&[
            // `../` beats `/../` and `//`.
            ("../a/../b//c", Err(E::LeadingDotDotSlash)),
            // `/..` at the end beats `//` earlier.
            ("a//b/..", Err(E::TrailingSlashDotDot)),
            // `/./` beats `/../` and `//` wherever they are.
            ("a//b/../c/./d", Err(E::ContainsSlashDotSlash)),
            ("a/../b/./c", Err(E::ContainsSlashDotSlash)),
            // `/../` beats an earlier `//`.
            ("a//b/../c", Err(E::ContainsSlashDotDotSlash)),
            // Structural rules beat the length rule.
            (
                &format!("{}//", "a".repeat(2000)),
                Err(E::ConsecutiveSlashes),
            ),
            (
                &format!("../{}", "a".repeat(2000)),
                Err(E::LeadingDotDotSlash),
            ),
        ]);
    }

    #[test]
    fn length_counts_characters() {
        let s = |n: usize| "k".repeat(n);
        check(&[
            ("", Err(E::Empty)),
            (&s(1), Ok(())),
            (&s(1023), Ok(())),
            (&s(1024), Ok(())),
            (&s(1025), Err(E::TooLong { len: 1025 })),
            (&s(100_000), Err(E::TooLong { len: 100_000 })),
            // é is 2 bytes, one character: 1024 fit, 1025 do not.
            (&"é".repeat(1024), Ok(())),
            (&"é".repeat(1025), Err(E::TooLong { len: 1025 })),
            // An emoji is 4 bytes: 1024 of them (4096 bytes) fit.
            (&"😀".repeat(1024), Ok(())),
            (&"😀".repeat(1025), Err(E::TooLong { len: 1025 })),
            // CJK characters are 3 bytes.
            (&"鍵".repeat(1024), Ok(())),
            (&"鍵".repeat(1025), Err(E::TooLong { len: 1025 })),
            // Mixed: 1023 ASCII characters and one emoji are 1024 characters.
            (&format!("{}😀", s(1023)), Ok(())),
            (&format!("{}😀", s(1024)), Err(E::TooLong { len: 1025 })),
        ]);
    }

    #[test]
    fn any_utf8_is_allowed() {
        check(&[
            ("é", Ok(())),
            ("😀", Ok(())),
            ("写真/猫.png", Ok(())),
            ("\0", Ok(())),
            ("a\u{1}\u{7f}\n\r\tb", Ok(())),
            ("\u{fffd}", Ok(())),
            ("\u{200b}", Ok(())),
            ("é/../b", Err(E::ContainsSlashDotDotSlash)),
        ]);
    }

    #[test]
    fn messages_name_the_rule() {
        let cases: &[(E, &str)] = &[
            (E::DotDot, "must not be \"..\""),
            (E::LeadingDotDotSlash, "begin with \"../\""),
            (E::TrailingSlashDotDot, "end with \"/..\""),
            (E::ContainsSlashDotSlash, "\"/./\""),
            (E::ContainsSlashDotDotSlash, "\"/../\""),
            (E::ConsecutiveSlashes, "\"//\""),
            (E::Empty, "empty"),
            (
                E::TooLong { len: 1025 },
                "at most 1024 characters long (got 1025)",
            ),
        ];
        for (err, needle) in cases {
            let msg = err.to_string();
            assert!(msg.starts_with("Object key "), "{msg}");
            assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
        }
    }
}
