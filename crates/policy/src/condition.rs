//! Condition operators, compiled once and evaluated against a [`RequestContext`].
//!
//! Semantics (AWS IAM, as documented):
//!
//! - several operators in a `Condition` block, and several keys under one operator, are ANDed;
//! - several policy values for one key are ORed; for a negated operator (`StringNotEquals`,
//!   `NotIpAddress`, …) the result is the negation of the positive form (a NOR);
//! - a key absent from the request makes the condition **false**, except: negated operators
//!   are **true**, `…IfExists` is **true**, `Null` tests presence, `ForAllValues:` is **true**
//!   (vacuously) and `ForAnyValue:` is **false** (unless `…IfExists`);
//! - a request value that does not parse as the operator's type (a number, a date, an IP
//!   address, an ARN) equals no policy value;
//! - a policy variable whose key the request lacks makes the whole condition false, whatever
//!   the operator.
//!
//! Decisions where AWS is silent or ambiguous:
//!
//! - without a set qualifier, a multi-valued request key matches a positive operator when any
//!   of its values matches (and a negated operator when none does);
//! - `ForAnyValue:` / `ForAllValues:` with a negated operator apply the negation per request
//!   value (`ForAllValues:StringNotEquals` = no request value equals any policy value);
//! - `ArnEquals` behaves as `ArnLike` (AWS documents both as component-wise wildcard matches);
//! - `Null` takes no qualifier and no `IfExists` (AWS: "any condition operator except Null").

use std::net::IpAddr;
use std::str::FromStr;

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::context::RequestContext;
use crate::variables::Template;
use crate::wildcard::{match_tokens, Token, TokenRef};

/// The base operator, without `IfExists` and without set qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        Operator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
    ),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// All operators with their names.
    pub fn all() -> impl Iterator<Item = (&'static str, Operator)> {
        OPERATORS.iter().copied()
    }

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map(|(n, _)| *n)
            .expect("every operator is in the table")
    }

    /// Whether the operator is a negated one (`StringNotEquals`, `NotIpAddress`, …).
    pub fn is_negated(self) -> bool {
        use Operator as O;
        matches!(
            self,
            O::StringNotEquals
                | O::StringNotEqualsIgnoreCase
                | O::StringNotLike
                | O::NumericNotEquals
                | O::DateNotEquals
                | O::NotIpAddress
                | O::ArnNotEquals
                | O::ArnNotLike
        )
    }
}

/// Set qualifier of a condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// No qualifier.
    None,
    /// `ForAnyValue:`.
    ForAnyValue,
    /// `ForAllValues:`.
    ForAllValues,
}

/// A parsed operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OperatorName {
    /// The base operator.
    pub operator: Operator,
    /// The set qualifier.
    pub qualifier: Qualifier,
    /// Whether `IfExists` was appended.
    pub if_exists: bool,
}

impl OperatorName {
    /// Parses an operator name (case-sensitive, as AWS writes them). `None` for an unknown
    /// operator, and for `Null` with a qualifier or `IfExists`.
    pub fn parse(s: &str) -> Option<Self> {
        let (qualifier, rest) = if let Some(r) = s.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else if let Some(r) = s.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else {
            (Qualifier::None, s)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let operator = OPERATORS.iter().find(|(n, _)| *n == base)?.1;
        if operator == Operator::Null && (if_exists || qualifier != Qualifier::None) {
            return None;
        }
        Some(Self {
            operator,
            qualifier,
            if_exists,
        })
    }
}

/// An IP network (`203.0.113.0/24`, `2001:db8::/32`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr` or `addr/prefix`; host bits are cleared.
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = IpAddr::from_str(addr).ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|&n| n <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        let network = match addr {
            IpAddr::V4(a) => IpAddr::V4(mask_v4(u32::from(a), prefix).into()),
            IpAddr::V6(a) => IpAddr::V6(mask_v6(u128::from(a), prefix).into()),
        };
        Some(Self { network, prefix })
    }

    /// Whether `ip` is inside the network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(u32::from(a), self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(u128::from(a), self.prefix) == u128::from(n),
            _ => false,
        }
    }
}

fn mask_v4(a: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(prefix)))
    }
}

fn mask_v6(a: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(prefix)))
    }
}

/// Parses a number as the `Numeric…` operators read it (finite decimal).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses a date as the `Date…` operators read it: seconds since the epoch, RFC 3339, ISO 8601
/// (a date-time without offset is UTC), or a bare `YYYY-MM-DD` (midnight UTC). The result is
/// nanoseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 19 {
        let digits = s.strip_prefix('-').unwrap_or(s);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = s.parse().ok()?;
            return OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .map(OffsetDateTime::unix_timestamp_nanos);
        }
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = PrimitiveDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(s, &format) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    None
}

/// An ARN pattern split into its six `:`-separated components.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ArnValue {
    template: Template,
    /// The components, when the value has no variables.
    fixed: Option<Vec<Vec<Token>>>,
}

/// Splits resolved tokens into the six ARN components (at the first five colons).
fn split_arn<'a>(tokens: &[TokenRef<'a>]) -> Option<Vec<Vec<TokenRef<'a>>>> {
    let mut comps: Vec<Vec<TokenRef<'a>>> = vec![Vec::new()];
    for &t in tokens {
        match t {
            TokenRef::Literal(mut lit) => {
                while comps.len() < 6 {
                    let Some(i) = lit.find(':') else { break };
                    if i > 0 {
                        comps
                            .last_mut()
                            .expect("non-empty")
                            .push(TokenRef::Literal(&lit[..i]));
                    }
                    comps.push(Vec::new());
                    lit = &lit[i + 1..];
                }
                if !lit.is_empty() {
                    comps
                        .last_mut()
                        .expect("non-empty")
                        .push(TokenRef::Literal(lit));
                }
            }
            other => comps.last_mut().expect("non-empty").push(other),
        }
    }
    (comps.len() == 6).then_some(comps)
}

fn arn_matches(components: &[Vec<TokenRef<'_>>], value: &str) -> bool {
    let mut parts = value.splitn(6, ':');
    components.iter().all(|comp| {
        parts
            .next()
            .is_some_and(|part| match_tokens(comp, part, false))
    })
}

/// Compiled policy values of one condition.
#[derive(Clone, Debug, PartialEq)]
enum Values {
    /// Exact strings (may contain variables), for `StringEquals` / `StringNotEquals`.
    Exact(Vec<Template>),
    /// Strings compared ignoring case, for the `…IgnoreCase` operators.
    IgnoreCase(Vec<Template>),
    /// Wildcard patterns (may contain variables), for `StringLike` / `StringNotLike`.
    Like(Vec<Template>),
    Numbers(Vec<f64>),
    /// Nanoseconds since the epoch.
    Dates(Vec<i128>),
    Bools(Vec<bool>),
    Cidrs(Vec<Cidr>),
    Arns(Vec<ArnValue>),
    /// `Null`: `true` means "the key must be absent".
    Null(bool),
}

/// One compiled `operator: { key: values }` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    name: OperatorName,
    operator_text: Box<str>,
    key: Box<str>,
    key_lower: Box<str>,
    values: Values,
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

impl Condition {
    /// Compiles one condition; errors are messages for `MalformedPolicy`.
    pub(crate) fn compile(
        operator_text: &str,
        key: &str,
        values: &[String],
        variables: bool,
    ) -> Result<Self, String> {
        use Operator as O;
        let name = OperatorName::parse(operator_text).ok_or_else(|| {
            if operator_text.ends_with("NullIfExists") || operator_text.contains(":Null") {
                format!("Invalid Condition operator \"{operator_text}\": Null takes no IfExists and no set qualifier")
            } else {
                format!("Invalid Condition operator \"{operator_text}\": not a known operator")
            }
        })?;
        let bad = |v: &str, what: &str| {
            format!("Invalid Condition value \"{v}\" for {operator_text} on key {key}: {what}")
        };
        let values = match name.operator {
            O::StringEquals | O::StringNotEquals => Values::Exact(
                values
                    .iter()
                    .map(|v| Template::new(v, variables, false, false))
                    .collect(),
            ),
            O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => Values::IgnoreCase(
                values
                    .iter()
                    .map(|v| Template::new(v, variables, false, true))
                    .collect(),
            ),
            O::StringLike | O::StringNotLike => Values::Like(
                values
                    .iter()
                    .map(|v| Template::new(v, variables, true, false))
                    .collect(),
            ),
            O::NumericEquals
            | O::NumericNotEquals
            | O::NumericLessThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThan
            | O::NumericGreaterThanEquals => Values::Numbers(
                values
                    .iter()
                    .map(|v| parse_number(v).ok_or_else(|| bad(v, "not a number")))
                    .collect::<Result<_, _>>()?,
            ),
            O::DateEquals
            | O::DateNotEquals
            | O::DateLessThan
            | O::DateLessThanEquals
            | O::DateGreaterThan
            | O::DateGreaterThanEquals => Values::Dates(
                values
                    .iter()
                    .map(|v| {
                        parse_date(v).ok_or_else(|| bad(v, "not an ISO 8601 date or epoch seconds"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            O::Bool => Values::Bools(
                values
                    .iter()
                    .map(|v| parse_bool(v).ok_or_else(|| bad(v, "not true or false")))
                    .collect::<Result<_, _>>()?,
            ),
            O::IpAddress | O::NotIpAddress => Values::Cidrs(
                values
                    .iter()
                    .map(|v| Cidr::parse(v).ok_or_else(|| bad(v, "not an IP address or CIDR")))
                    .collect::<Result<_, _>>()?,
            ),
            O::ArnEquals | O::ArnNotEquals | O::ArnLike | O::ArnNotLike => Values::Arns(
                values
                    .iter()
                    .map(|v| compile_arn(v, variables).ok_or_else(|| bad(v, "not an ARN")))
                    .collect::<Result<_, _>>()?,
            ),
            O::Null => match values {
                [v] => Values::Null(parse_bool(v).ok_or_else(|| bad(v, "not true or false"))?),
                _ => {
                    return Err(format!(
                    "Invalid Condition: Null on key {key} takes exactly one value, true or false"
                ))
                }
            },
        };
        Ok(Self {
            name,
            operator_text: operator_text.into(),
            key: key.into(),
            key_lower: key.to_ascii_lowercase().into_boxed_str(),
            values,
        })
    }

    /// The operator as written.
    pub(crate) fn operator_text(&self) -> &str {
        &self.operator_text
    }

    /// The key as written.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Evaluates the condition.
    pub(crate) fn evaluate(&self, ctx: &RequestContext) -> bool {
        let request = ctx.get_lower(&self.key_lower);
        if let Values::Null(want_absent) = self.values {
            return request.is_none() == want_absent;
        }
        let negated = self.name.operator.is_negated();
        let Some(request) = request else {
            return match self.name.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => self.name.if_exists,
                Qualifier::None => self.name.if_exists || negated,
            };
        };
        let Some(matcher) = self.resolve(ctx) else {
            return false; // a policy variable's key is absent
        };
        match self.name.qualifier {
            Qualifier::None => request.iter().any(|v| matcher.any(v)) != negated,
            Qualifier::ForAnyValue => request.iter().any(|v| matcher.any(v) != negated),
            Qualifier::ForAllValues => request.iter().all(|v| matcher.any(v) != negated),
        }
    }

    /// Resolves the policy values against the request (variables substituted).
    fn resolve<'a>(&'a self, ctx: &'a RequestContext) -> Option<Resolved<'a>> {
        let op = self.name.operator;
        Some(match &self.values {
            Values::Exact(ts) | Values::Like(ts) => Resolved::Templates(
                ts.iter()
                    .map(|t| {
                        Ok(if t.has_variables() {
                            TemplateMatch::Tokens(t.resolve(ctx).ok_or(())?, false)
                        } else {
                            TemplateMatch::Fixed(t)
                        })
                    })
                    .collect::<Result<_, ()>>()
                    .ok()?,
                ctx,
            ),
            Values::IgnoreCase(ts) => Resolved::Strings(
                ts.iter()
                    .map(|t| t.render(ctx))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Values::Numbers(ns) => Resolved::Numbers(op, ns),
            Values::Dates(ds) => Resolved::Dates(op, ds),
            Values::Bools(bs) => Resolved::Bools(bs),
            Values::Cidrs(cs) => Resolved::Cidrs(cs),
            Values::Arns(arns) => Resolved::Arns(
                arns.iter()
                    .map(|a| match &a.fixed {
                        Some(comps) => Some(
                            comps
                                .iter()
                                .map(|c| c.iter().map(Token::as_ref).collect())
                                .collect(),
                        ),
                        None => split_arn(&a.template.resolve(ctx)?),
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
            // `Null` is answered in `evaluate` before values are resolved.
            Values::Null(_) => Resolved::Bools(&[]),
        })
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn compile_arn(v: &str, variables: bool) -> Option<ArnValue> {
    let template = Template::new(v, variables, true, false);
    if template.has_variables() {
        // Checked for shape when resolved; require at least the "arn:" prefix now.
        return v.starts_with("arn:").then_some(ArnValue {
            template,
            fixed: None,
        });
    }
    let tokens = crate::wildcard::tokenize(v);
    // Escapes (`${*}`) are rare in ARN values; a fixed template without them tokenizes alike.
    let refs: Vec<TokenRef<'_>> = tokens.iter().map(Token::as_ref).collect();
    let comps = split_arn(&refs)?;
    let fixed = comps
        .into_iter()
        .map(|c| {
            c.into_iter()
                .map(|t| match t {
                    TokenRef::Literal(l) => Token::Literal(l.into()),
                    TokenRef::Star => Token::Star,
                    TokenRef::One => Token::One,
                })
                .collect()
        })
        .collect();
    let fixed_ok = !v.contains("${");
    Some(ArnValue {
        fixed: fixed_ok.then_some(fixed),
        template,
    })
}

enum TemplateMatch<'a> {
    Fixed(&'a Template),
    Tokens(Vec<TokenRef<'a>>, bool),
}

enum Resolved<'a> {
    Templates(Vec<TemplateMatch<'a>>, &'a RequestContext<'a>),
    Strings(Vec<std::borrow::Cow<'a, str>>),
    Numbers(Operator, &'a [f64]),
    Dates(Operator, &'a [i128]),
    Bools(&'a [bool]),
    Cidrs(&'a [Cidr]),
    Arns(Vec<Vec<Vec<TokenRef<'a>>>>),
}

impl Resolved<'_> {
    /// Whether one request value matches any policy value under the positive form of the
    /// operator.
    fn any(&self, v: &str) -> bool {
        use Operator as O;
        match self {
            Self::Templates(ts, ctx) => ts.iter().any(|t| match t {
                TemplateMatch::Fixed(t) => t.matches(v, ctx) == Some(true),
                TemplateMatch::Tokens(tokens, ci) => match_tokens(tokens, v, *ci),
            }),
            Self::Strings(ss) => ss.iter().any(|s| eq_ignore_case(s, v)),
            Self::Numbers(op, ns) => parse_number(v).is_some_and(|x| {
                ns.iter().any(|&n| match op {
                    O::NumericLessThan => x < n,
                    O::NumericLessThanEquals => x <= n,
                    O::NumericGreaterThan => x > n,
                    O::NumericGreaterThanEquals => x >= n,
                    // Equals and NotEquals (negated afterwards): exact, as AWS compares.
                    #[allow(clippy::float_cmp)]
                    _ => x == n,
                })
            }),
            Self::Dates(op, ds) => parse_date(v).is_some_and(|x| {
                ds.iter().any(|&d| match op {
                    O::DateLessThan => x < d,
                    O::DateLessThanEquals => x <= d,
                    O::DateGreaterThan => x > d,
                    O::DateGreaterThanEquals => x >= d,
                    _ => x == d,
                })
            }),
            Self::Bools(bs) => parse_bool(v).is_some_and(|x| bs.contains(&x)),
            Self::Cidrs(cs) => IpAddr::from_str(v.trim())
                .ok()
                .is_some_and(|ip| cs.iter().any(|c| c.contains(ip))),
            Self::Arns(arns) => arns.iter().any(|comps| arn_matches(comps, v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert_eq!(
            OperatorName::parse("StringLike").unwrap().operator,
            Operator::StringLike
        );
        let n = OperatorName::parse("ForAnyValue:StringNotEqualsIgnoreCaseIfExists").unwrap();
        assert_eq!(n.operator, Operator::StringNotEqualsIgnoreCase);
        assert_eq!(n.qualifier, Qualifier::ForAnyValue);
        assert!(n.if_exists);
        assert_eq!(
            OperatorName::parse("ForAllValues:Bool").unwrap().qualifier,
            Qualifier::ForAllValues
        );
        for bad in [
            "stringlike",
            "StringLikeIfexists",
            "NullIfExists",
            "ForAnyValue:Null",
            "BinaryEquals",
            "ForSomeValues:StringLike",
            "",
            "IfExists",
        ] {
            assert_eq!(OperatorName::parse(bad), None, "{bad:?}");
        }
        for (name, op) in Operator::all() {
            assert_eq!(op.name(), name);
            assert_eq!(OperatorName::parse(name).unwrap().operator, op);
            if op != Operator::Null {
                assert!(
                    OperatorName::parse(&format!("{name}IfExists"))
                        .unwrap()
                        .if_exists
                );
            }
        }
        assert_eq!(Operator::all().filter(|(_, o)| o.is_negated()).count(), 8);
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.255".parse().unwrap()));
        assert!(!c.contains("203.0.114.0".parse().unwrap()));
        assert!(
            c.contains("::ffff:203.0.113.7".parse().unwrap()),
            "v4-mapped"
        );
        assert!(!c.contains("2001:db8::1".parse().unwrap()));
        let host = Cidr::parse("203.0.113.9/24").unwrap();
        assert_eq!(host, c, "host bits cleared");
        let one = Cidr::parse("192.0.2.1").unwrap();
        assert!(one.contains("192.0.2.1".parse().unwrap()));
        assert!(!one.contains("192.0.2.2".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("::/0")
            .unwrap()
            .contains("::1".parse().unwrap()));
        for bad in [
            "",
            "1.2.3.4/33",
            "::/129",
            "1.2.3/8",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "x",
            "1.2.3.4/8/8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("0x10"), None);
        assert_eq!(parse_number(""), None);
        let t = parse_date("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_date("1767225600"), Some(t));
        assert_eq!(parse_date("2026-01-01"), Some(t));
        assert_eq!(parse_date("2026-01-01T01:00:00+01:00"), Some(t));
        assert_eq!(parse_date("2026-01-01T00:00:00"), Some(t));
        assert_eq!(parse_date("2026-01-01T00:00:00.000Z"), Some(t));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn arn_splitting() {
        let tokens = crate::wildcard::tokenize("arn:aws:iam::*:user/a:b");
        let refs: Vec<_> = tokens.iter().map(Token::as_ref).collect();
        let comps = split_arn(&refs).unwrap();
        assert_eq!(comps.len(), 6);
        assert!(arn_matches(&comps, "arn:aws:iam::000000000000001:user/a:b"));
        assert!(!arn_matches(&comps, "arn:aws:iam::000000000000001:user/a"));
        // `*` does not cross a component boundary.
        let tokens = crate::wildcard::tokenize("arn:aws:s3:::*");
        let refs: Vec<_> = tokens.iter().map(Token::as_ref).collect();
        let comps = split_arn(&refs).unwrap();
        assert!(arn_matches(&comps, "arn:aws:s3:::b/k"));
        assert!(!arn_matches(&comps, "arn:aws:iam::1:root"));
        assert!(compile_arn("arn:aws", true).is_none());
        assert!(compile_arn("*", true).is_none());
    }

    #[test]
    fn ignore_case_compare() {
        assert!(eq_ignore_case("ÉTÉ", "été"));
        assert!(eq_ignore_case("Abc", "aBC"));
        assert!(!eq_ignore_case("abc", "abd"));
    }
}
