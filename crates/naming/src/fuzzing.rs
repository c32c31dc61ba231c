//! Test support shared by the `naming` cargo-fuzz target, the corpus-replay test and the
//! property tests. Not part of the naming API.
//!
//! The oracles below restate the spec bullets as literally as possible (string searches,
//! `split`, character lists) and are written independently of the validators, which scan
//! bytes. [`check`] panics when a validator disagrees with its oracle or when an ARN does not
//! round-trip.

use std::borrow::Cow;

use crate::{
    validate_bucket_name, validate_group_name, validate_object_key, validate_policy_name,
    validate_user_name, AccountId, AccountIdError, Arn, ArnValidationError, BucketNameError,
    IamEntity, IamNameError, ObjectKeyError,
};

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";

/// Spec 2.1.2, bullet by bullet, top to bottom.
pub fn oracle_bucket_name(name: &str) -> Result<(), BucketNameError> {
    if name == "." {
        return Err(BucketNameError::Dot);
    }
    if name == ".." {
        return Err(BucketNameError::DotDot);
    }
    if name.contains('/') {
        return Err(BucketNameError::ContainsSlash);
    }
    let len = name.chars().count();
    if len < 3 {
        return Err(BucketNameError::TooShort { len });
    }
    if len > 63 {
        return Err(BucketNameError::TooLong { len });
    }
    let allowed = |c: char| LOWER.contains(c) || DIGITS.contains(c) || c == '.' || c == '-';
    if let Some(ch) = name.chars().find(|&c| !allowed(c)) {
        return Err(BucketNameError::InvalidCharacter { ch });
    }
    let letter_or_number =
        |c: Option<char>| c.is_some_and(|c| LOWER.contains(c) || DIGITS.contains(c));
    if !letter_or_number(name.chars().next()) {
        return Err(BucketNameError::InvalidStart);
    }
    if !letter_or_number(name.chars().last()) {
        return Err(BucketNameError::InvalidEnd);
    }
    if name.contains("..") {
        return Err(BucketNameError::AdjacentPeriods);
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() == 4
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| DIGITS.contains(c)))
    {
        return Err(BucketNameError::IpAddress);
    }
    if name.starts_with("xn--") {
        return Err(BucketNameError::XnPrefix);
    }
    if name.ends_with("-s3alias") {
        return Err(BucketNameError::S3AliasSuffix);
    }
    Ok(())
}

/// Spec 2.1.4, bullet by bullet, top to bottom; length in characters.
pub fn oracle_object_key(key: &str) -> Result<(), ObjectKeyError> {
    if key == ".." {
        return Err(ObjectKeyError::DotDot);
    }
    if key.starts_with("../") {
        return Err(ObjectKeyError::LeadingDotDotSlash);
    }
    if key.ends_with("/..") {
        return Err(ObjectKeyError::TrailingSlashDotDot);
    }
    if key.contains("/./") {
        return Err(ObjectKeyError::ContainsSlashDotSlash);
    }
    if key.contains("/../") {
        return Err(ObjectKeyError::ContainsSlashDotDotSlash);
    }
    if key.contains("//") {
        return Err(ObjectKeyError::ConsecutiveSlashes);
    }
    if key.is_empty() {
        return Err(ObjectKeyError::Empty);
    }
    let chars = key.chars().count();
    if chars > 1024 {
        return Err(ObjectKeyError::TooLong { len: chars });
    }
    Ok(())
}

/// Spec 1.1: fifteen characters, each one of `0123456789`.
pub fn oracle_account_id(s: &str) -> Result<(), AccountIdError> {
    if let Some(ch) = s.chars().find(|&c| !DIGITS.contains(c)) {
        return Err(AccountIdError::NonDigit { ch });
    }
    if s.chars().count() == 15 {
        Ok(())
    } else {
        Err(AccountIdError::WrongLength {
            len: s.chars().count(),
        })
    }
}

/// AWS IAM: `[\w+=,.@-]{1,max}` with ASCII `\w`.
pub fn oracle_iam_name(entity: IamEntity, name: &str) -> Result<(), IamNameError> {
    let max = match entity {
        IamEntity::User => 64,
        IamEntity::Group | IamEntity::Policy => 128,
    };
    let len = name.chars().count();
    if len == 0 {
        return Err(IamNameError::Empty { entity });
    }
    if len > max {
        return Err(IamNameError::TooLong { entity, len });
    }
    let allowed = |c: char| {
        LOWER.contains(c)
            || LOWER.to_uppercase().contains(c)
            || DIGITS.contains(c)
            || "+=,.@_-".contains(c)
    };
    match name.chars().find(|&c| !allowed(c)) {
        Some(ch) => Err(IamNameError::InvalidCharacter { entity, ch }),
        None => Ok(()),
    }
}

/// The fuzz oracle on raw bytes: invalid UTF-8 is replaced lossily (so every input exercises
/// the string code), then [`check_str`] runs on the text alone and with the `s3` and `iam`
/// ARN prefixes put in front of it.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_str(&text);
    check_str(&format!("arn:aws:s3:::{text}"));
    check_str(&format!("arn:aws:iam::{text}"));
}

/// Runs every validator and parser on `s` and panics on any disagreement with the oracles or
/// any ARN that does not round-trip.
pub fn check_str(s: &str) {
    assert_eq!(
        validate_bucket_name(s),
        oracle_bucket_name(s),
        "bucket name {s:?}"
    );
    assert_eq!(
        validate_object_key(s),
        oracle_object_key(s),
        "object key {s:?}"
    );
    assert_eq!(
        validate_user_name(s),
        oracle_iam_name(IamEntity::User, s),
        "user {s:?}"
    );
    assert_eq!(
        validate_group_name(s),
        oracle_iam_name(IamEntity::Group, s),
        "group {s:?}"
    );
    assert_eq!(
        validate_policy_name(s),
        oracle_iam_name(IamEntity::Policy, s),
        "policy {s:?}"
    );

    let id = AccountId::parse(s);
    assert_eq!(id.map(|_| ()), oracle_account_id(s), "account {s:?}");
    if let Ok(id) = id {
        assert_eq!(id.as_str(), s);
        assert_eq!(AccountId::from_number(id.as_u64()), Ok(id));
    }

    if let Ok(arn) = Arn::parse(s) {
        check_arn(s, &arn);
    }
}

fn check_arn(s: &str, arn: &Arn<'_>) {
    let shown = arn.to_string();
    assert_eq!(shown, s, "ARN display differs from its input");
    assert_eq!(
        Arn::parse(&shown).as_ref(),
        Ok(arn),
        "ARN does not round-trip: {s:?}"
    );
    let owned: Arn<'static> = arn.clone().into_owned();
    assert_eq!(&owned, arn);
    assert_eq!(shown.parse::<Arn<'static>>(), Ok(owned));

    // `validate` agrees with the oracles for the names inside.
    let expected = match arn {
        Arn::S3Bucket { bucket } => oracle_bucket_name(bucket).map_err(ArnValidationError::Bucket),
        Arn::S3Object { bucket, key } => oracle_bucket_name(bucket)
            .map_err(ArnValidationError::Bucket)
            .and_then(|()| oracle_object_key(key).map_err(ArnValidationError::Key)),
        Arn::IamRoot { .. } => Ok(()),
        Arn::IamUser { name, .. } => {
            oracle_iam_name(IamEntity::User, name).map_err(ArnValidationError::Name)
        }
        Arn::IamGroup { name, .. } => {
            oracle_iam_name(IamEntity::Group, name).map_err(ArnValidationError::Name)
        }
        Arn::AwsManagedPolicy { name } => {
            oracle_iam_name(IamEntity::Policy, name).map_err(ArnValidationError::Name)
        }
    };
    assert_eq!(arn.validate(), expected, "ARN validate {s:?}");

    // Structural invariants of parsed values.
    match arn {
        Arn::S3Bucket { bucket } | Arn::S3Object { bucket, .. } => {
            assert!(!bucket.is_empty() && !bucket.contains('/'));
        }
        Arn::IamUser { name, .. } | Arn::IamGroup { name, .. } | Arn::AwsManagedPolicy { name } => {
            assert!(!name.is_empty());
        }
        Arn::IamRoot { .. } => {}
    }
    // Parsing borrows; nothing should have been copied.
    let borrowed = match arn {
        Arn::S3Bucket { bucket } => matches!(bucket, Cow::Borrowed(_)),
        Arn::S3Object { bucket, key } => {
            matches!(bucket, Cow::Borrowed(_)) && matches!(key, Cow::Borrowed(_))
        }
        Arn::IamUser { name, .. } | Arn::IamGroup { name, .. } | Arn::AwsManagedPolicy { name } => {
            matches!(name, Cow::Borrowed(_))
        }
        Arn::IamRoot { .. } => true,
    };
    assert!(borrowed, "Arn::parse allocated for {s:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn corpus_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/naming")
    }

    #[test]
    fn replay_fuzz_corpus() {
        let mut count = 0;
        for entry in std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/naming exists") {
            let path = entry.unwrap().path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                check(&data);
                count += 1;
            }
        }
        assert!(
            count >= 20,
            "expected the committed seed corpus, found {count} files"
        );
    }

    /// The oracles themselves on a few hand-picked cases, so a broken oracle cannot make the
    /// comparison tests pass vacuously.
    #[test]
    fn oracles_spot_checks() {
        assert_eq!(
            oracle_bucket_name("192.168.5.4"),
            Err(BucketNameError::IpAddress)
        );
        assert_eq!(oracle_bucket_name("1.2.3.4.5"), Ok(()));
        assert_eq!(
            oracle_bucket_name("a-s3alias"),
            Err(BucketNameError::S3AliasSuffix)
        );
        assert_eq!(
            oracle_object_key("a/../b"),
            Err(ObjectKeyError::ContainsSlashDotDotSlash)
        );
        assert_eq!(oracle_object_key("a/."), Ok(()));
        assert_eq!(oracle_account_id("000000000000001"), Ok(()));
        assert_eq!(
            oracle_iam_name(IamEntity::User, "Z"),
            Ok(()),
            "uppercase letters are allowed"
        );
        assert_eq!(
            oracle_iam_name(IamEntity::User, "a b"),
            Err(IamNameError::InvalidCharacter {
                entity: IamEntity::User,
                ch: ' '
            })
        );
    }

    #[test]
    #[should_panic(expected = "ARN display differs")]
    fn check_arn_detects_a_bad_round_trip() {
        let arn = Arn::S3Bucket { bucket: "b".into() };
        check_arn("arn:aws:s3:::c", &arn);
    }

    /// Strings over the small alphabet of the brief.
    fn small_alphabet(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!['a', '.', '-', '/', '1', 'A', '_']),
            0..=max,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    /// Strings that pass the character rule, to reach the later bucket rules.
    fn bucket_alphabet(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!['a', '.', '-', '1', 'x', 'n']),
            0..=max,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn bucketish() -> impl Strategy<Value = String> {
        prop_oneof![
            small_alphabet(70),
            bucket_alphabet(70),
            // Dotted digit groups, to hit the IP rule and its near misses.
            proptest::collection::vec("[0-9]{0,4}", 2..=6).prop_map(|v| v.join(".")),
            bucket_alphabet(10).prop_map(|s| format!("xn--{s}")),
            bucket_alphabet(10).prop_map(|s| format!("{s}-s3alias")),
        ]
    }

    fn keyish() -> impl Strategy<Value = String> {
        prop_oneof![
            small_alphabet(12),
            proptest::collection::vec(prop::sample::select(vec!['.', '/', 'a']), 0..=8)
                .prop_map(|v| v.into_iter().collect()),
            // Around the 1024-character limit, with multi-byte characters.
            (
                1015..=1030usize,
                small_alphabet(4),
                prop::sample::select(vec!["", "é", "😀", "鍵"])
            )
                .prop_map(|(n, tail, wide)| format!(
                    "{}{wide}{tail}",
                    "k".repeat(n.saturating_sub(4))
                )),
            // 1024 characters of up to 4096 bytes.
            (
                1020..=1028usize,
                prop::sample::select(vec!["é", "😀", "鍵"])
            )
                .prop_map(|(n, wide)| wide.repeat(n)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn bucket_validator_matches_oracle(name in bucketish()) {
            prop_assert_eq!(validate_bucket_name(&name), oracle_bucket_name(&name), "{:?}", name);
        }

        #[test]
        fn key_validator_matches_oracle(key in keyish()) {
            prop_assert_eq!(validate_object_key(&key), oracle_object_key(&key), "{:?}", key);
        }

        #[test]
        fn iam_validators_match_oracle(name in prop_oneof![small_alphabet(130), "[ -~]{0,3}", "\\PC{0,3}"]) {
            prop_assert_eq!(validate_user_name(&name), oracle_iam_name(IamEntity::User, &name));
            prop_assert_eq!(validate_group_name(&name), oracle_iam_name(IamEntity::Group, &name));
            prop_assert_eq!(validate_policy_name(&name), oracle_iam_name(IamEntity::Policy, &name));
        }

        #[test]
        fn account_ids_round_trip(n in 0..=crate::account::ACCOUNT_ID_MAX) {
            let id = AccountId::from_number(n).unwrap();
            prop_assert_eq!(id.as_str().len(), 15);
            prop_assert_eq!(id.as_u64(), n);
            prop_assert_eq!(AccountId::parse(id.as_str()), Ok(id));
            prop_assert_eq!(id.as_str().parse::<u64>().unwrap(), n);
        }

        #[test]
        fn account_parse_matches_oracle(s in "[0-9a ]{13,17}") {
            prop_assert_eq!(AccountId::parse(&s).map(|_| ()), oracle_account_id(&s));
        }

        #[test]
        fn built_arns_round_trip(
            bucket in "[a-z0-9.*?-]{1,10}",
            key in "\\PC{0,12}",
            name in "[A-Za-z0-9+=,.@_*/:-]{1,12}",
            n in 0..=crate::account::ACCOUNT_ID_MAX,
            which in 0..6u8,
        ) {
            let account = AccountId::from_number(n).unwrap();
            let arn: Arn<'_> = match which {
                0 => Arn::S3Bucket { bucket: bucket.as_str().into() },
                1 => Arn::S3Object { bucket: bucket.as_str().into(), key: key.as_str().into() },
                2 => Arn::IamRoot { account },
                3 => Arn::IamUser { account, name: name.as_str().into() },
                4 => Arn::IamGroup { account, name: name.as_str().into() },
                _ => Arn::AwsManagedPolicy { name: name.as_str().into() },
            };
            let text = arn.to_string();
            prop_assert_eq!(Arn::parse(&text), Ok(arn.clone()));
            check_str(&text);
        }

        #[test]
        fn check_never_panics_on_arbitrary_text(s in "\\PC{0,40}") {
            check_str(&s);
            check_str(&format!("arn:aws:s3:::{s}"));
            check_str(&format!("arn:aws:iam::{s}"));
        }

        #[test]
        fn check_never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            check(&data);
        }
    }
}
