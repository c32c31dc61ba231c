//! Generated identifiers and secrets, all from `rand`'s thread RNG (a CSPRNG seeded from the
//! operating system).

use rand::distr::{Alphanumeric, Distribution, Uniform};
use rand::Rng;

/// `prefix` followed by `len` upper-case letters and digits.
fn upper_alphanumeric(prefix: &str, len: usize) -> String {
    let chars = Uniform::new(0u8, 36).expect("non-empty range");
    let mut rng = rand::rng();
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    out.extend((0..len).map(|_| {
        let i = chars.sample(&mut rng);
        char::from(if i < 10 { b'0' + i } else { b'A' + i - 10 })
    }));
    out
}

/// An access key ID: 20 upper-case letters and digits, starting `AKIA` like AWS long-term
/// keys.
///
/// ```
/// let id = s4_iam::generate_access_key_id();
/// assert_eq!(id.len(), 20);
/// assert!(id.starts_with("AKIA"));
/// assert!(id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
/// ```
pub fn generate_access_key_id() -> String {
    upper_alphanumeric("AKIA", 16)
}

/// A secret access key: 40 letters and digits from a CSPRNG (about 238 bits).
///
/// ```
/// let secret = s4_iam::generate_secret_access_key();
/// assert_eq!(secret.len(), 40);
/// assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
/// ```
pub fn generate_secret_access_key() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

/// A user ID as AWS shapes them: `AIDA` and 17 upper-case letters and digits.
pub fn generate_user_id() -> String {
    upper_alphanumeric("AIDA", 17)
}

/// A group ID as AWS shapes them: `AGPA` and 17 upper-case letters and digits.
pub fn generate_group_id() -> String {
    upper_alphanumeric("AGPA", 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_uniqueness() {
        for (id, prefix, len) in [
            (generate_access_key_id(), "AKIA", 20),
            (generate_user_id(), "AIDA", 21),
            (generate_group_id(), "AGPA", 21),
        ] {
            assert_eq!(id.len(), len, "{id}");
            assert!(id.starts_with(prefix), "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
        let secrets: std::collections::HashSet<String> =
            (0..100).map(|_| generate_secret_access_key()).collect();
        assert_eq!(secrets.len(), 100);
        assert!(secrets
            .iter()
            .all(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_alphanumeric())));
        let ids: std::collections::HashSet<String> =
            (0..100).map(|_| generate_access_key_id()).collect();
        assert_eq!(ids.len(), 100);
    }
}
