//! Checks shared by the cargo-fuzz targets `policy_wildcard` and `policy_json`, the property
//! tests and the corpus-replay test (`fuzz/corpus/policy_*`).
//!
//! - [`check_wildcard`]: every wildcard matcher of [`crate::wildcard`] agrees with
//!   [`oracle_match`], a textbook dynamic-programming matcher written independently.
//! - [`check_policy_json`]: parsing arbitrary text as an identity or bucket policy never
//!   panics, and a policy that compiles evaluates a grid of request contexts without
//!   panicking, with [`decide`] and [`explain`] agreeing and a policy's own Deny always
//!   deciding.

use s4_naming::AccountId;

use crate::compiled::CompiledPolicy;
use crate::context::{keys, Principal, RequestContext};
use crate::evaluate::{decide, explain, Decision, PolicyDecision};
use crate::wildcard::{match_tokens, matches, matches_ignore_ascii_case, tokenize, Pattern};

/// The oracle: `dp[i][j]` = the first `i` pattern characters match the first `j` text
/// characters. Quadratic, obviously correct.
pub fn oracle_match(pattern: &str, text: &str, ignore_ascii_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let mut dp = vec![vec![false; t.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=t.len() {
            dp[i][j] = match p[i - 1] {
                '*' => dp[i - 1][j] || (j > 0 && dp[i][j - 1]),
                '?' => j > 0 && dp[i - 1][j - 1],
                c => {
                    j > 0
                        && dp[i - 1][j - 1]
                        && (c == t[j - 1]
                            || (ignore_ascii_case && c.eq_ignore_ascii_case(&t[j - 1])))
                }
            };
        }
    }
    dp[p.len()][t.len()]
}

/// Longest pattern and text (in characters) the wildcard check looks at.
const MAX_CHARS: usize = 200;

/// Splits fuzz bytes into a pattern and a text: everything before the first `0x00` byte is
/// the pattern, the rest the text. Bytes `0x01` and `0x02` become `*` and `?` so that short
/// inputs reach many wildcards. Invalid UTF-8 is replaced.
pub fn split_wildcard_input(data: &[u8]) -> (String, String) {
    let (p, t) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let map = |bytes: &[u8]| -> String {
        let mapped: Vec<u8> = bytes
            .iter()
            .map(|&b| match b {
                1 => b'*',
                2 => b'?',
                b => b,
            })
            .collect();
        String::from_utf8_lossy(&mapped)
            .chars()
            .take(MAX_CHARS)
            .collect()
    };
    (map(p), map(t))
}

/// Asserts that all matchers agree with the oracle on `pattern` and `text`.
pub fn check_wildcard_pair(pattern: &str, text: &str) {
    let want = oracle_match(pattern, text, false);
    assert_eq!(
        matches(pattern, text),
        want,
        "matches({pattern:?}, {text:?})"
    );
    assert_eq!(
        Pattern::new(pattern).matches(text),
        want,
        "Pattern::new({pattern:?}) on {text:?}"
    );
    assert_eq!(
        match_tokens(&tokenize(pattern), text, false),
        want,
        "match_tokens({pattern:?}, {text:?})"
    );
    let want_ci = oracle_match(pattern, text, true);
    assert_eq!(
        matches_ignore_ascii_case(pattern, text),
        want_ci,
        "matches_ignore_ascii_case({pattern:?}, {text:?})"
    );
    assert_eq!(
        Pattern::new_ignore_ascii_case(pattern).matches(text),
        want_ci,
        "Pattern::new_ignore_ascii_case({pattern:?}) on {text:?}"
    );
}

/// The `policy_wildcard` fuzz target's body.
pub fn check_wildcard(data: &[u8]) {
    let (pattern, text) = split_wildcard_input(data);
    check_wildcard_pair(&pattern, &text);
}

fn acct(n: u64) -> AccountId {
    AccountId::from_number(n).expect("small account numbers are valid")
}

/// The bucket `check_policy_json` attaches bucket policies to.
pub const FUZZ_BUCKET: &str = "photos";

fn principals() -> [Principal<'static>; 6] {
    [
        Principal::Anonymous,
        Principal::Root { account: acct(1) },
        Principal::Root { account: acct(2) },
        Principal::User {
            account: acct(1),
            name: "alice",
            user_id: "AIDAALICE",
        },
        Principal::User {
            account: acct(2),
            name: "bob",
            user_id: "AIDABOB",
        },
        Principal::User {
            account: acct(1),
            name: "carol",
            user_id: "AIDACAROL",
        },
    ]
}

const ACTIONS: [(&str, &str); 7] = [
    ("s3:GetObject", "arn:aws:s3:::photos/home/alice/a.jpg"),
    ("s3:PutBucketPolicy", "arn:aws:s3:::photos"),
    ("s3:PutObject", "arn:aws:s3:::photos/public/x"),
    ("s3:ListBucket", "arn:aws:s3:::photos"),
    ("s3:ListAllMyBuckets", "arn:aws:s3:::*"),
    ("s3:DeleteObject", "arn:aws:s3:::other/k"),
    ("iam:CreateUser", "arn:aws:iam::000000000000001:user/dave"),
];

/// Condition-key sets the contexts cycle through, chosen by the fuzz input's first byte.
fn with_keys(ctx: RequestContext, variant: u8) -> RequestContext {
    let ctx = ctx.with_time(
        time::OffsetDateTime::from_unix_timestamp(1_767_225_600 + i64::from(variant) * 3_600)
            .expect("valid timestamp"),
    );
    match variant % 4 {
        0 => ctx,
        1 => ctx
            .with(keys::SOURCE_IP, "203.0.113.7")
            .with(keys::SECURE_TRANSPORT, "true")
            .with(keys::S3_PREFIX, "home/alice/")
            .with(keys::S3_MAX_KEYS, "100"),
        2 => ctx
            .with(keys::SOURCE_IP, "2001:db8::1")
            .with(keys::SECURE_TRANSPORT, "false")
            .with(keys::REFERER, "https://example.com/")
            .with(keys::S3_PREFIX, "a")
            .with(keys::S3_PREFIX, "b"),
        _ => ctx
            .with(keys::SOURCE_IP, "not an ip")
            .with(keys::S3_MAX_KEYS, "many")
            .with(keys::CURRENT_TIME, "not a date")
            .with(keys::S3_COPY_SOURCE, "photos/a${b}*"),
    }
}

/// The `policy_json` fuzz target's body: the first byte picks context variants, the rest is
/// the policy text.
pub fn check_policy_json(data: &[u8]) {
    let Some((&variant, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let identity = CompiledPolicy::parse_identity(&text);
    let bucket = CompiledPolicy::parse_bucket(&text, FUZZ_BUCKET);
    if let Err(e) = &identity {
        assert!(!e.to_string().is_empty());
    }
    if let Err(e) = &bucket {
        assert!(!e.to_string().is_empty());
    }
    if identity.is_err() && bucket.is_err() {
        return;
    }
    let owner = Some(acct(1));
    for principal in principals() {
        for (action, resource) in ACTIONS {
            let ctx = with_keys(RequestContext::new(principal, action, resource), variant);
            let ids: Vec<&CompiledPolicy> = identity.iter().collect();
            let b = bucket.as_ref().ok();
            let decision = decide(&ctx, owner, &ids, b);
            let explanation = explain(&ctx, owner, &ids, b);
            assert_eq!(decision, explanation.decision, "{ctx:?}");
            if decision == Decision::ExplicitDeny {
                assert_eq!(explanation.statements.len(), 1);
            }
            let same_account = principal.account() == owner;
            if crate::actions::is_owner_only(action) {
                // Policies cannot reach past the owning account in either direction.
                if !same_account {
                    assert_eq!(decision, Decision::NotOwnerAccount, "{ctx:?}");
                } else if matches!(principal, Principal::Root { .. }) {
                    assert_eq!(decision, Decision::Allow, "{ctx:?}");
                }
                if !matches!(principal, Principal::User { .. }) || !same_account {
                    continue;
                }
            }
            if let Ok(p) = &identity {
                let own = p.evaluate(&ctx);
                if own == PolicyDecision::Deny && matches!(principal, Principal::User { .. }) {
                    assert_eq!(decision, Decision::ExplicitDeny, "{ctx:?}");
                }
                if own == PolicyDecision::Allow
                    && matches!(principal, Principal::User { account, .. } if account == acct(1))
                {
                    assert_ne!(decision, Decision::ImplicitDeny, "{ctx:?}");
                }
            }
            if let Some(b) = b {
                if b.evaluate(&ctx) == PolicyDecision::Deny {
                    assert_eq!(decision, Decision::ExplicitDeny, "{ctx:?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn replay(target: &str, check: fn(&[u8]), min: usize) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_file() {
                check(&std::fs::read(&path).unwrap());
                count += 1;
            }
        }
        assert!(
            count >= min,
            "expected the committed seed corpus in {}, found {count} files",
            dir.display()
        );
    }

    #[test]
    fn replay_wildcard_corpus() {
        replay("policy_wildcard", check_wildcard, 10);
    }

    #[test]
    fn replay_json_corpus() {
        replay("policy_json", check_policy_json, 10);
    }

    /// The oracle on hand-picked cases, so a broken oracle cannot make the comparisons pass.
    #[test]
    fn oracle_spot_checks() {
        assert!(oracle_match("", "", false));
        assert!(!oracle_match("", "a", false));
        assert!(oracle_match("*", "", false));
        assert!(oracle_match("a*b?d", "axxbcd", false));
        assert!(!oracle_match("a*b?d", "axxbd", false));
        assert!(oracle_match("?", "é", false));
        assert!(!oracle_match("A", "a", false));
        assert!(oracle_match("A", "a", true));
        assert!(!oracle_match("É", "é", true));
        assert!(!oracle_match("*a*a*b", "aaaaaaaa", false));
    }

    #[test]
    fn input_splitting() {
        assert_eq!(
            split_wildcard_input(b"a\x01b\x02\0xyz"),
            ("a*b?".into(), "xyz".into())
        );
        assert_eq!(split_wildcard_input(b"abc"), ("abc".into(), String::new()));
        let (p, _) = split_wildcard_input(&[b'a'; 500]);
        assert_eq!(p.len(), MAX_CHARS);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn matchers_agree_with_the_oracle(
            pattern in "[ab*?é]{0,12}",
            text in "[abAé]{0,14}",
        ) {
            check_wildcard_pair(&pattern, &text);
        }

        #[test]
        fn matchers_agree_on_any_strings(pattern in ".{0,10}", text in ".{0,10}") {
            check_wildcard_pair(&pattern, &text);
        }

        #[test]
        fn a_pattern_matches_itself_when_literal(text in "[^*?]{0,20}") {
            prop_assert!(matches(&text, &text));
        }
    }
}
