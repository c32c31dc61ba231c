//! `*` / `?` wildcard matching, as IAM uses it in `Action`, `Resource` and the `…Like`
//! condition operators.
//!
//! - `*` matches any sequence of characters (including none, including `/`);
//! - `?` matches exactly one character (one Unicode scalar value, not one byte);
//! - everything else matches itself; there is no escape character (policy variables `${*}`,
//!   `${?}` and `${$}` produce literal characters, see [`Pattern`]).
//!
//! Both matchers are iterative: greedy with a single backtrack point (the most recent `*`),
//! the classic algorithm. They never recurse and never allocate. Time is linear in the text for
//! patterns with at most one `*` and bounded by `O(|pattern| · |text|)` in the worst case,
//! unlike the recursive matchers that go exponential on patterns such as `*a*a*a*b`.
//!
//! ```
//! use s4_policy::wildcard::{matches, matches_ignore_ascii_case};
//!
//! assert!(matches("photos/*.jpg", "photos/2024/a.jpg"));
//! assert!(matches("a?c", "a€c"));
//! assert!(!matches("Photos/*", "photos/a")); // resources are case-sensitive
//! assert!(matches_ignore_ascii_case("s3:get*", "s3:GetObject")); // actions are not
//! ```

/// Length in bytes of the UTF-8 sequence that starts with `lead`. `text` is valid UTF-8 and
/// every position the matchers look at is a character boundary, so `lead` is a leading byte.
#[inline]
fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[inline]
fn byte_eq(a: u8, b: u8, ignore_ascii_case: bool) -> bool {
    a == b || (ignore_ascii_case && a.eq_ignore_ascii_case(&b))
}

fn match_bytes(pattern: &[u8], text: &[u8], ignore_ascii_case: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    // Pattern index just after the most recent `*`, and the text index it currently absorbs to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    p += 1;
                    backtrack = Some((p, t));
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += char_len(text[t]);
                    continue;
                }
                c if byte_eq(c, text[t], ignore_ascii_case) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match backtrack {
            Some((after_star, absorbed)) => {
                let absorbed = absorbed + char_len(text[absorbed]);
                backtrack = Some((after_star, absorbed));
                p = after_star;
                t = absorbed;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Case-sensitive wildcard match of `text` against `pattern` (used for resources and
/// `StringLike`).
pub fn matches(pattern: &str, text: &str) -> bool {
    match_bytes(pattern.as_bytes(), text.as_bytes(), false)
}

/// Wildcard match that ignores ASCII case (used for actions: `s3:getobject` matches
/// `s3:GetObject`). Non-ASCII characters must match exactly.
pub fn matches_ignore_ascii_case(pattern: &str, text: &str) -> bool {
    match_bytes(pattern.as_bytes(), text.as_bytes(), true)
}

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// Characters that must appear literally (may contain `*` and `?` that came from the
    /// policy variables `${*}` and `${?}`, or from a substituted value).
    Literal(Box<str>),
    /// `*`: any sequence of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A borrowed view of a [`Token`], so that patterns assembled at evaluation time (policy
/// variables substituted) can borrow the request's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRef<'a> {
    /// See [`Token::Literal`].
    Literal(&'a str),
    /// See [`Token::Star`].
    Star,
    /// See [`Token::One`].
    One,
}

impl Token {
    /// The borrowed view.
    pub fn as_ref(&self) -> TokenRef<'_> {
        match self {
            Self::Literal(s) => TokenRef::Literal(s),
            Self::Star => TokenRef::Star,
            Self::One => TokenRef::One,
        }
    }
}

/// Splits a wildcard pattern into tokens: runs of literal characters, `*` (consecutive stars
/// collapse into one) and `?`.
pub fn tokenize(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut literal_start = 0;
    for (i, c) in pattern.char_indices() {
        if c == '*' || c == '?' {
            if literal_start < i {
                out.push(Token::Literal(pattern[literal_start..i].into()));
            }
            if c == '?' {
                out.push(Token::One);
            } else if out.last() != Some(&Token::Star) {
                out.push(Token::Star);
            }
            literal_start = i + 1;
        }
    }
    if literal_start < pattern.len() {
        out.push(Token::Literal(pattern[literal_start..].into()));
    }
    out
}

#[inline]
fn starts_with_at(text: &[u8], at: usize, lit: &[u8], ignore_ascii_case: bool) -> bool {
    text.len() - at >= lit.len() && {
        let window = &text[at..at + lit.len()];
        if ignore_ascii_case {
            window.eq_ignore_ascii_case(lit)
        } else {
            window == lit
        }
    }
}

/// Matches `text` against a token sequence with the same single-backtrack-point algorithm as
/// [`matches()`], comparing literal runs at once.
pub fn match_tokens<T: AsTokenRef>(tokens: &[T], text: &str, ignore_ascii_case: bool) -> bool {
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < tokens.len() {
            match tokens[p].token_ref() {
                TokenRef::Star => {
                    p += 1;
                    if p == tokens.len() {
                        return true;
                    }
                    backtrack = Some((p, t));
                    continue;
                }
                TokenRef::One if t < text.len() => {
                    p += 1;
                    t += char_len(text[t]);
                    continue;
                }
                TokenRef::Literal(lit)
                    if starts_with_at(text, t, lit.as_bytes(), ignore_ascii_case) =>
                {
                    p += 1;
                    t += lit.len();
                    continue;
                }
                _ => {}
            }
        } else if t == text.len() {
            return true;
        }
        match backtrack {
            Some((after_star, absorbed)) if absorbed < text.len() => {
                let absorbed = absorbed + char_len(text[absorbed]);
                backtrack = Some((after_star, absorbed));
                p = after_star;
                t = absorbed;
            }
            _ => return false,
        }
    }
}

/// Tokens owned or borrowed, for [`match_tokens`].
pub trait AsTokenRef {
    /// The borrowed view.
    fn token_ref(&self) -> TokenRef<'_>;
}

impl AsTokenRef for Token {
    fn token_ref(&self) -> TokenRef<'_> {
        self.as_ref()
    }
}

impl AsTokenRef for TokenRef<'_> {
    fn token_ref(&self) -> TokenRef<'_> {
        *self
    }
}

/// A wildcard pattern compiled once, with fast paths for the shapes policies use most
/// (`*`, an exact string, a prefix followed by `*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    source: Box<str>,
    ignore_ascii_case: bool,
    shape: Shape,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    General(Vec<Token>),
}

impl Pattern {
    /// Compiles a case-sensitive pattern (resources, `StringLike`).
    pub fn new(pattern: &str) -> Self {
        Self::from_tokens(pattern, tokenize(pattern), false)
    }

    /// Compiles a pattern that ignores ASCII case (actions).
    pub fn new_ignore_ascii_case(pattern: &str) -> Self {
        Self::from_tokens(pattern, tokenize(pattern), true)
    }

    /// Builds a pattern from tokens (for patterns whose literal parts may contain `*` or `?`).
    pub fn from_tokens(source: &str, mut tokens: Vec<Token>, ignore_ascii_case: bool) -> Self {
        // Merge adjacent literals so the fast paths see them.
        let mut merged: Vec<Token> = Vec::with_capacity(tokens.len());
        for tok in tokens.drain(..) {
            match (merged.last_mut(), tok) {
                (Some(Token::Literal(prev)), Token::Literal(next)) => {
                    *prev = format!("{prev}{next}").into_boxed_str();
                }
                (Some(Token::Star), Token::Star) => {}
                (_, tok) => merged.push(tok),
            }
        }
        let shape = match merged.as_slice() {
            [Token::Star] => Shape::Any,
            [] => Shape::Exact("".into()),
            [Token::Literal(s)] => Shape::Exact(s.clone()),
            [Token::Literal(s), Token::Star] => Shape::Prefix(s.clone()),
            _ => Shape::General(merged),
        };
        Self {
            source: source.into(),
            ignore_ascii_case,
            shape,
        }
    }

    /// The pattern as written in the policy.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let ci = self.ignore_ascii_case;
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(s) => {
                if ci {
                    s.eq_ignore_ascii_case(text)
                } else {
                    **s == *text
                }
            }
            Shape::Prefix(s) => starts_with_at(text.as_bytes(), 0, s.as_bytes(), ci),
            Shape::General(tokens) => match_tokens(tokens, text, ci),
        }
    }

    /// Whether the pattern is a plain string without wildcards.
    pub fn is_exact(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &[(&str, &str, bool)] = &[
        ("", "", true),
        ("", "a", false),
        ("*", "", true),
        ("*", "anything/at/all", true),
        ("?", "", false),
        ("?", "a", true),
        ("?", "ab", false),
        ("?", "é", true),
        ("??", "é", false),
        ("a?c", "a😀c", true),
        ("abc", "abc", true),
        ("abc", "abd", false),
        ("abc", "ab", false),
        ("ab", "abc", false),
        ("a*", "a", true),
        ("a*", "abc", true),
        ("a*", "ba", false),
        ("*a", "ba", true),
        ("*a", "ab", false),
        ("a*c", "abbbc", true),
        ("a*c", "abbbd", false),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "acb", false),
        ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ("*a*a*a*b", "aaaaaaaaab", true),
        ("**", "x", true),
        ("a**b", "ab", true),
        ("*?", "", false),
        ("*?", "x", true),
        ("?*", "x", true),
        ("*?*?*", "x", false),
        ("*?*?*", "xy", true),
        ("photos/*", "photos/", true),
        ("photos/*", "photos", false),
        ("photos/*/*.jpg", "photos/2024/a.jpg", true),
        ("photos/*/*.jpg", "photos/a.jpg", false),
        ("*.jpg", "a.jpg.png", false),
        ("*.jpg", "a.png.jpg", true),
        ("mississippi", "mississippi", true),
        ("*sip*", "mississippi", true),
        ("*ss*ss*", "mississippi", true),
        ("*ss*ss*ss*", "mississippi", false),
        ("é*ü", "éaaü", true),
        ("Photos/*", "photos/a", false),
    ];

    #[test]
    fn table() {
        for &(p, t, want) in CASES {
            assert_eq!(matches(p, t), want, "matches({p:?}, {t:?})");
            assert_eq!(Pattern::new(p).matches(t), want, "Pattern({p:?}) on {t:?}");
            assert_eq!(
                match_tokens(&tokenize(p), t, false),
                want,
                "tokens {p:?} {t:?}"
            );
        }
    }

    #[test]
    fn ignore_ascii_case() {
        assert!(matches_ignore_ascii_case("s3:Get*", "S3:GETOBJECT"));
        assert!(matches_ignore_ascii_case("s3:getobject", "s3:GetObject"));
        assert!(!matches_ignore_ascii_case("s3:getobject", "s3:GetObjects"));
        assert!(matches_ignore_ascii_case("É", "É"));
        assert!(
            !matches_ignore_ascii_case("é", "É"),
            "non-ASCII stays exact"
        );
        let p = Pattern::new_ignore_ascii_case("s3:list*");
        assert!(p.matches("s3:ListBucket"));
        assert!(!p.matches("s3:GetObject"));
        assert!(Pattern::new_ignore_ascii_case("S3:GETOBJECT").matches("s3:GetObject"));
        assert!(!Pattern::new("S3:GETOBJECT").matches("s3:GetObject"));
    }

    #[test]
    fn literal_stars_in_tokens() {
        // `${*}` yields a literal star: it matches only a star.
        let p = Pattern::from_tokens(
            "a${*}",
            vec![Token::Literal("a".into()), Token::Literal("*".into())],
            false,
        );
        assert!(p.matches("a*"));
        assert!(!p.matches("ab"));
        let p = Pattern::from_tokens(
            "${?}*",
            vec![Token::Literal("?".into()), Token::Star],
            false,
        );
        assert!(p.matches("?abc"));
        assert!(!p.matches("xabc"));
    }

    #[test]
    fn shapes() {
        assert!(Pattern::new("abc").is_exact());
        assert!(!Pattern::new("ab*").is_exact());
        assert_eq!(Pattern::new("ab*").as_str(), "ab*");
        assert_eq!(Pattern::new("a**").shape, Shape::Prefix("a".into()));
        assert_eq!(Pattern::new("**").shape, Shape::Any);
        assert_eq!(tokenize("a**?b").len(), 4);
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(50));
        let start = std::time::Instant::now();
        assert!(!matches(&pattern, &text));
        assert!(!Pattern::new(&pattern).matches(&text));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
    }
}
