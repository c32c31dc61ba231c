//! Decoded IAM query parameters, from a query string (GET) or a form body (POST).
//!
//! Both carry `application/x-www-form-urlencoded` pairs (spec 3.1), so one decoder serves
//! both: pairs are separated by `&` (empty segments are skipped), a pair without `=` has an
//! empty value, `+` is a space, `%XX` is a byte, and the decoded bytes must be UTF-8.
//!
//! Decisions where neither the spec nor AWS documents the behaviour:
//!
//! * **Strict decoding.** A `%` not followed by two hex digits, or decoded bytes that are not
//!   UTF-8, is `MalformedInput` rather than being passed through: a request whose parameters
//!   cannot be read exactly is refused.
//! * **Repeated parameters** are `MalformedInput`, also when one copy is in the query string
//!   and the other in the body ([`QueryParams::merge`]): taking the first or the last copy
//!   would let a signed and an unsigned reading of a request differ.
//! * **Body limit.** [`QueryParams::parse_form`] refuses bodies longer than its limit with
//!   `RequestEntityTooLarge` (413) before decoding anything. [`DEFAULT_BODY_LIMIT`] is
//!   64 KiB: the largest parameter of the supported actions is a 2048-character policy ARN,
//!   and 50 tags of 128 + 256 characters fit many times over.
//! * Parameter names are case-sensitive (`action=` is not `Action=`), as in AWS.
//!
//! The `Content-Type` check (`application/x-www-form-urlencoded`, any charset parameter) and
//! the choice between query and body belong to the HTTP layer.

use std::fmt;

use crate::error::{IamError, IamErrorCode};
use crate::xml::percent_encode_into;

/// The default limit for form bodies: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Decoded parameters in arrival order, each name at most once.
///
/// ```
/// use s4_iam_query::QueryParams;
///
/// let p = QueryParams::parse_query("Action=CreateUser&UserName=al%20ice&Tags.member.1.Key=a+b").unwrap();
/// assert_eq!(p.get("UserName"), Some("al ice"));
/// assert_eq!(p.get("Tags.member.1.Key"), Some("a b"));
/// assert!(QueryParams::parse_query("A=1&A=2").is_err());
/// assert_eq!(p.to_form_string(), "Action=CreateUser&UserName=al%20ice&Tags.member.1.Key=a%20b");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl fmt::Debug for QueryParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.pairs.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl QueryParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes a raw query string (without the leading `?`).
    pub fn parse_query(query: &str) -> Result<Self, IamError> {
        Self::decode(query.as_bytes())
    }

    /// Decodes a form body of at most `limit` bytes.
    pub fn parse_form(body: &[u8], limit: usize) -> Result<Self, IamError> {
        if body.len() > limit {
            return Err(Self::body_too_large(body.len(), limit));
        }
        Self::decode(body)
    }

    /// The `RequestEntityTooLarge` (413) refusal of a body of (at least) `size` bytes, for a
    /// reader that stops before holding the whole body.
    pub fn body_too_large(size: usize, limit: usize) -> IamError {
        IamError::new(
            IamErrorCode::RequestEntityTooLarge,
            format!("Request body of {size} bytes exceeds the limit of {limit} bytes"),
        )
    }

    fn decode(input: &[u8]) -> Result<Self, IamError> {
        let mut params = Self::new();
        for segment in input.split(|&b| b == b'&') {
            if segment.is_empty() {
                continue;
            }
            let (name, value) = match segment.iter().position(|&b| b == b'=') {
                Some(i) => (&segment[..i], &segment[i + 1..]),
                None => (segment, &b""[..]),
            };
            let name = decode_component(name)?;
            let value = decode_component(value)?;
            params.insert(name, value)?;
        }
        Ok(params)
    }

    /// Adds a parameter; `MalformedInput` when the name is present already.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), IamError> {
        let name = name.into();
        if self.get(&name).is_some() {
            return Err(IamError::malformed(format!(
                "Parameter {} appears more than once",
                quoted(&name)
            )));
        }
        self.pairs.push((name, value.into()));
        Ok(())
    }

    /// Adds every parameter of `other` (for a POST whose query string also carries
    /// parameters); `MalformedInput` when a name is in both.
    pub fn merge(mut self, other: Self) -> Result<Self, IamError> {
        for (name, value) in other.pairs {
            self.insert(name, value)?;
        }
        Ok(self)
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The members of the list parameter `list`: every `<list>.member.<N>` (a scalar member)
    /// and `<list>.member.<N>.<Field>` (a structure member) grouped by `N`, in ascending
    /// order of `N`. Indices are positive decimal integers without leading zeros that fit
    /// `u32`; gaps are allowed (AWS SDKs number from 1 without gaps). A parameter that starts
    /// with `<list>.member.` but has a malformed index is `MalformedInput`; other names
    /// (`<list>.members`) are not members.
    ///
    /// ```
    /// use s4_iam_query::QueryParams;
    ///
    /// let p = QueryParams::parse_query(
    ///     "Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=x&Ids.member.1=i",
    /// )
    /// .unwrap();
    /// let tags = p.member_list("Tags").unwrap();
    /// assert_eq!(tags.len(), 2);
    /// assert_eq!((tags[0].index, tags[0].get("Key"), tags[0].get("Value")), (1, Some("a"), Some("x")));
    /// assert_eq!((tags[1].index, tags[1].get("Value")), (2, None));
    /// assert_eq!(p.member_list("Ids").unwrap()[0].get(""), Some("i"));
    /// assert!(QueryParams::parse_query("Tags.member.0.Key=a").unwrap().member_list("Tags").is_err());
    /// ```
    pub fn member_list(&self, list: &str) -> Result<Vec<Member<'_>>, IamError> {
        let mut members: Vec<Member<'_>> = Vec::new();
        for (name, value) in self.iter() {
            let Some(rest) = name
                .strip_prefix(list)
                .and_then(|r| r.strip_prefix(".member."))
            else {
                continue;
            };
            let malformed = || {
                IamError::malformed(format!(
                    "Parameter {} is not a valid member of the list {} (expected \
                     {list}.member.N or {list}.member.N.Field with N a positive integer)",
                    quoted(name),
                    quoted(list)
                ))
            };
            let (index, field) = match rest.split_once('.') {
                Some((index, field)) => (index, field),
                None => (rest, ""),
            };
            let index = parse_index(index).ok_or_else(malformed)?;
            match members.binary_search_by_key(&index, |m| m.index) {
                Ok(i) => members[i].fields.push((field, value)),
                Err(i) => members.insert(
                    i,
                    Member {
                        index,
                        fields: vec![(field, value)],
                    },
                ),
            }
        }
        Ok(members)
    }

    /// Encodes the pairs as `name=value&...`, usable as a query string or a form body.
    /// Names and values are percent-encoded except for RFC 3986 unreserved characters
    /// (spaces as `%20`, as botocore does), so decoding gives the same parameters back.
    pub fn to_form_string(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            percent_encode_into(&mut out, k);
            out.push('=');
            percent_encode_into(&mut out, v);
        }
        out
    }
}

/// One member of a list parameter (see [`QueryParams::member_list`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// The `N` of `List.member.N`.
    pub index: u32,
    /// `(field, value)` pairs in arrival order; the field is `""` for a scalar member.
    pub fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Member<'a> {
    /// The value of `field` (`""` for a scalar member).
    pub fn get(&self, field: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| *v)
    }
}

/// A list index: a positive decimal integer without leading zeros that fits `u32`.
pub(crate) fn parse_index(s: &str) -> Option<u32> {
    if s.is_empty() || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A name or value for a message: quoted, at most 64 characters, controls escaped.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(70) + 2);
    for (i, c) in s.chars().enumerate() {
        if i == 64 {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_component(raw: &[u8]) -> Result<String, IamError> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return String::from_utf8(raw.to_vec()).map_err(|_| not_utf8());
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_value);
                let lo = raw.get(i + 2).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => {
                        return Err(IamError::malformed(
                            "The query string or form body has an invalid percent-encoding",
                        ))
                    }
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| not_utf8())
}

fn not_utf8() -> IamError {
    IamError::malformed("The query string or form body is not valid UTF-8 once decoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &QueryParams) -> Vec<(&str, &str)> {
        p.iter().collect()
    }

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let p = QueryParams::parse_query("a=b+c&d=e%20f&g=%C3%A9t%C3%A9&h=%2B%26%3D&i").unwrap();
        assert_eq!(
            pairs(&p),
            [
                ("a", "b c"),
                ("d", "e f"),
                ("g", "été"),
                ("h", "+&="),
                ("i", "")
            ]
        );
        // Raw UTF-8 is accepted as is, and names are decoded too.
        let p = QueryParams::parse_form("T%61gs=été&=x&y==".as_bytes(), 100).unwrap();
        assert_eq!(pairs(&p), [("Tags", "été"), ("", "x"), ("y", "=")]);
    }

    #[test]
    fn skips_empty_segments() {
        let p = QueryParams::parse_query("&&a=1&&b=2&").unwrap();
        assert_eq!(pairs(&p), [("a", "1"), ("b", "2")]);
        assert!(QueryParams::parse_query("").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_encoding() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%C3", "%FF=1", "a=%C3%28"] {
            let e = QueryParams::parse_query(bad).unwrap_err();
            assert_eq!(e.code(), IamErrorCode::MalformedInput, "{bad}");
        }
        let e = QueryParams::parse_form(b"a=\xff", 100).unwrap_err();
        assert_eq!(e.code(), IamErrorCode::MalformedInput);
    }

    #[test]
    fn duplicates_are_malformed() {
        for dup in ["a=1&a=2", "a=1&a=1", "a&a", "a=1&%61=2", "=1&=2"] {
            let e = QueryParams::parse_query(dup).unwrap_err();
            assert_eq!(e.code(), IamErrorCode::MalformedInput, "{dup}");
            assert!(e.message().contains("more than once"), "{e}");
        }
        let query = QueryParams::parse_query("Action=ListUsers").unwrap();
        let body = QueryParams::parse_form(b"Version=2010-05-08&Action=ListUsers", 100).unwrap();
        assert_eq!(
            query.clone().merge(body).unwrap_err().code(),
            IamErrorCode::MalformedInput
        );
        let body = QueryParams::parse_form(b"Version=2010-05-08", 100).unwrap();
        let merged = query.merge(body).unwrap();
        assert_eq!(
            pairs(&merged),
            [("Action", "ListUsers"), ("Version", "2010-05-08")]
        );
    }

    #[test]
    fn body_limit() {
        let body = vec![b'a'; 10];
        assert!(QueryParams::parse_form(&body, 10).is_ok());
        let e = QueryParams::parse_form(&body, 9).unwrap_err();
        assert_eq!(e, QueryParams::body_too_large(10, 9));
        assert_eq!(e.code(), IamErrorCode::RequestEntityTooLarge);
        assert_eq!(e.status(), 413);
        assert_eq!(DEFAULT_BODY_LIMIT, 65536);
    }

    #[test]
    fn encodes_so_that_decoding_round_trips() {
        let mut p = QueryParams::new();
        p.insert("Action", "CreateUser").unwrap();
        p.insert("Tags.member.1.Key", "a b+c&d=e%").unwrap();
        p.insert("é", "").unwrap();
        let s = p.to_form_string();
        assert_eq!(
            s,
            "Action=CreateUser&Tags.member.1.Key=a%20b%2Bc%26d%3De%25&%C3%A9="
        );
        assert_eq!(QueryParams::parse_query(&s).unwrap(), p);
        assert!(p.insert("Action", "x").is_err());
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn member_lists() {
        let p = QueryParams::parse_query(
            "L.member.3.B=y&L.member.3.A=x&L.member.1=s&Other=1&LL.member.1=z&L.members=q",
        )
        .unwrap();
        let m = p.member_list("L").unwrap();
        assert_eq!(
            m,
            [
                Member {
                    index: 1,
                    fields: vec![("", "s")]
                },
                Member {
                    index: 3,
                    fields: vec![("B", "y"), ("A", "x")]
                }
            ]
        );
        assert_eq!(m[1].get("A"), Some("x"));
        assert_eq!(m[1].get("C"), None);
        assert!(p.member_list("Nope").unwrap().is_empty());
        for bad in [
            "L.member.=1",
            "L.member..A=1",
            "L.member.0=1",
            "L.member.01.A=1",
            "L.member.x.A=1",
            "L.member.4294967296=1",
        ] {
            let p = QueryParams::parse_query(bad).unwrap();
            let e = p.member_list("L").unwrap_err();
            assert_eq!(e.code(), IamErrorCode::MalformedInput, "{bad}");
        }
        assert_eq!(parse_index("4294967295"), Some(u32::MAX));
        for bad in ["", "0", "01", "-1", "+1", "a", "4294967296", "1 "] {
            assert_eq!(parse_index(bad), None, "{bad}");
        }
    }

    #[test]
    fn quoted_is_short() {
        assert_eq!(quoted("a\nb"), "a\\nb");
        assert_eq!(quoted(&"x".repeat(100)).len(), 67);
    }
}
