//! Policy variables (`${aws:username}`) in `Resource`, `NotResource` and the values of the
//! string and ARN condition operators.
//!
//! - `${<key>}` is replaced by the request's value of the condition key `<key>` (compared
//!   case-insensitively; for a multi-valued key, the first value). The substituted value is
//!   literal: a `*` in a user name would match only a `*`.
//! - `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`.
//! - A key the request lacks makes the whole resource or condition value not match.
//! - `${` without a closing `}`, or with something that is not a key name inside, is literal
//!   text.
//! - Documents with `"Version": "2008-10-17"` (or no `Version`) have no variables: `${…}` is
//!   literal text there, as in AWS.

use std::borrow::Cow;

use crate::context::RequestContext;
use crate::wildcard::{match_tokens, tokenize, Pattern, Token, TokenRef};

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Pattern or literal text (no variables).
    Tok(Token),
    /// A variable: the lower-cased key name.
    Var(Box<str>),
}

/// A string that may contain policy variables, compiled once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    source: Box<str>,
    parts: Vec<Part>,
    ignore_ascii_case: bool,
    /// The compiled pattern when there are no variables.
    fixed: Option<Pattern>,
}

/// Whether `s` looks like a condition key name (`aws:username`, `s3:x-amz-copy-source`).
fn is_key_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'/' | b'.'))
}

/// A piece of a policy string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece<'a> {
    /// Text as written (may hold wildcards).
    Text(&'a str),
    /// `${key}`: the key name as written.
    Var(&'a str),
    /// `${*}`, `${?}` or `${$}`: one literal character.
    Escape(&'a str),
}

/// Splits `s` into text, variables and escapes. `variables` is false for 2008-10-17 documents.
fn split_variables(s: &str, variables: bool) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    if !variables {
        out.push(Piece::Text(s));
        return out;
    }
    let mut rest = s;
    let mut text_start = 0; // offset into `rest` where the pending text run starts
    let mut search_from = 0;
    while let Some(found) = rest[search_from..].find("${") {
        let start = search_from + found;
        let after = &rest[start + 2..];
        let piece = after.find('}').and_then(|end| {
            let inner = &after[..end];
            let piece = match inner {
                "*" | "?" | "$" => Piece::Escape(inner),
                _ if is_key_name(inner) => Piece::Var(inner),
                _ => return None,
            };
            Some((piece, end))
        });
        match piece {
            Some((piece, end)) => {
                if text_start < start {
                    out.push(Piece::Text(&rest[text_start..start]));
                }
                out.push(piece);
                rest = &after[end + 1..];
                text_start = 0;
                search_from = 0;
            }
            // Not a variable: "${" stays literal text; look for the next one after it.
            None => search_from = start + 2,
        }
    }
    if text_start < rest.len() {
        out.push(Piece::Text(&rest[text_start..]));
    }
    out
}

impl Template {
    /// Compiles `s`. `wildcards`: `*` and `?` in the text are wildcards (Resource,
    /// `StringLike`, `ArnLike`); otherwise everything is literal (`StringEquals`).
    pub(crate) fn new(s: &str, variables: bool, wildcards: bool, ignore_ascii_case: bool) -> Self {
        let mut parts = Vec::new();
        for piece in split_variables(s, variables) {
            match piece {
                Piece::Var(key) => parts.push(Part::Var(key.to_ascii_lowercase().into_boxed_str())),
                Piece::Escape(c) => parts.push(Part::Tok(Token::Literal(c.into()))),
                Piece::Text(text) if wildcards => {
                    parts.extend(tokenize(text).into_iter().map(Part::Tok));
                }
                Piece::Text(text) => parts.push(Part::Tok(Token::Literal(text.into()))),
            }
        }
        let fixed = if parts.iter().all(|p| matches!(p, Part::Tok(_))) {
            let tokens = parts
                .iter()
                .filter_map(|p| match p {
                    Part::Tok(t) => Some(t.clone()),
                    Part::Var(_) => None,
                })
                .collect();
            Some(Pattern::from_tokens(s, tokens, ignore_ascii_case))
        } else {
            None
        };
        Self {
            source: s.into(),
            parts,
            ignore_ascii_case,
            fixed,
        }
    }

    /// The text as written in the policy.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the template references at least one variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.fixed.is_none()
    }

    /// The tokens with variables substituted, or `None` when a variable's key is absent.
    pub(crate) fn resolve<'a>(&'a self, ctx: &'a RequestContext) -> Option<Vec<TokenRef<'a>>> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            match part {
                Part::Tok(t) => out.push(t.as_ref()),
                Part::Var(key) => {
                    let value = ctx.get_lower(key)?.first()?;
                    out.push(TokenRef::Literal(value));
                }
            }
        }
        Some(out)
    }

    /// Whether `text` matches; `None` when a variable's key is absent from the request.
    pub(crate) fn matches(&self, text: &str, ctx: &RequestContext) -> Option<bool> {
        if let Some(p) = &self.fixed {
            return Some(p.matches(text));
        }
        let tokens = self.resolve(ctx)?;
        Some(match_tokens(&tokens, text, self.ignore_ascii_case))
    }

    /// The text with variables and escapes substituted, for literal (non-wildcard)
    /// templates; `None` when a variable's key is absent.
    pub(crate) fn render(&self, ctx: &RequestContext) -> Option<Cow<'_, str>> {
        if let [Part::Tok(Token::Literal(l))] = self.parts.as_slice() {
            return Some(Cow::Borrowed(l));
        }
        let mut s = String::new();
        for t in self.resolve(ctx)? {
            match t {
                TokenRef::Literal(l) => s.push_str(l),
                TokenRef::Star => s.push('*'),
                TokenRef::One => s.push('?'),
            }
        }
        Some(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Principal;
    use s4_naming::AccountId;

    fn alice() -> RequestContext<'static> {
        RequestContext::new(
            Principal::User {
                account: AccountId::from_number(1).unwrap(),
                name: "alice",
                user_id: "AIDA1",
            },
            "s3:GetObject",
            "x",
        )
    }

    #[test]
    fn substitution_in_patterns() {
        let ctx = alice();
        let t = Template::new("arn:aws:s3:::home/${aws:username}/*", true, true, false);
        assert!(t.has_variables());
        assert_eq!(t.matches("arn:aws:s3:::home/alice/a.txt", &ctx), Some(true));
        assert_eq!(t.matches("arn:aws:s3:::home/bob/a.txt", &ctx), Some(false));
        // Key names in variables are case-insensitive.
        let t = Template::new("home/${AWS:UserName}", true, false, false);
        assert_eq!(t.matches("home/alice", &ctx), Some(true));
        // Absent key: no match at all.
        let anon = RequestContext::new(Principal::Anonymous, "s3:GetObject", "x");
        let t = Template::new("home/${aws:username}/*", true, true, false);
        assert_eq!(t.matches("home//x", &anon), None);
        assert_eq!(t.render(&anon), None);
        assert_eq!(t.render(&ctx).as_deref(), Some("home/alice/*"));
    }

    #[test]
    fn escapes_are_literal() {
        let ctx = alice();
        let t = Template::new("a${*}b${?}c${$}", true, true, false);
        assert!(!t.has_variables());
        assert_eq!(t.matches("a*b?c$", &ctx), Some(true));
        assert_eq!(t.matches("axbycz$", &ctx), Some(false));
        assert_eq!(t.matches("axb?c$", &ctx), Some(false));
        assert_eq!(t.render(&ctx).as_deref(), Some("a*b?c$"));
    }

    #[test]
    fn version_2008_keeps_text() {
        let ctx = alice();
        let t = Template::new("home/${aws:username}/*", false, true, false);
        assert!(!t.has_variables());
        assert_eq!(t.matches("home/${aws:username}/x", &ctx), Some(true));
        assert_eq!(t.matches("home/alice/x", &ctx), Some(false));
    }

    #[test]
    fn not_variables() {
        let ctx = alice();
        for s in ["${", "a${b", "${}", "${a b}", "x${aws:username"] {
            let t = Template::new(s, true, false, false);
            assert!(!t.has_variables(), "{s:?}");
            assert_eq!(t.matches(s, &ctx), Some(true), "{s:?}");
        }
        let t = Template::new("${not a key}${aws:username}", true, false, false);
        assert_eq!(t.matches("${not a key}alice", &ctx), Some(true));
        assert_eq!(t.as_str(), "${not a key}${aws:username}");
    }

    #[test]
    fn literal_mode_has_no_wildcards() {
        let ctx = alice();
        let t = Template::new("a*", true, false, false);
        assert_eq!(t.matches("a*", &ctx), Some(true));
        assert_eq!(t.matches("ab", &ctx), Some(false));
        let t = Template::new("${aws:username}*", true, false, true);
        assert_eq!(t.matches("ALICE*", &ctx), Some(true));
    }
}
