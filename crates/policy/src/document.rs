//! Parsing a policy document: JSON text to a typed [`PolicyDocument`], structure only.
//!
//! JSON is read with serde_json into a small tree whose objects keep their keys in order and
//! reject duplicate keys (serde_json's own `Value` keeps the last one silently, which would let
//! `{"Effect": "Deny", "Effect": "Allow"}` through). The tree is then walked by hand, so every
//! error names the element it is about. Content rules (known actions, the bucket in resources,
//! principals) are checked afterwards by [`crate::validate`].

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{PolicyElement, PolicyError};

/// A JSON value with ordered, duplicate-free objects.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number, kept as its decimal text.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out: Vec<(String, Json)> = Vec::new();
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
            }
            let value = map.next_value()?;
            out.push((key, value));
        }
        Ok(Json::Object(out))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    /// `2012-10-17`: policy variables are expanded.
    V2012_10_17,
    /// `2008-10-17`, also assumed when `Version` is missing: `${…}` is literal text.
    V2008_10_17,
}

impl PolicyVersion {
    /// Whether policy variables are expanded.
    pub fn has_variables(self) -> bool {
        self == Self::V2012_10_17
    }

    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2012_10_17 => "2012-10-17",
            Self::V2008_10_17 => "2008-10-17",
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// The value of `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"*"` or `{"AWS": "*"}` (also a `"*"` inside an `AWS` array).
    Any,
    /// `{"AWS": [...]}`: ARNs or account IDs as written (checked by validation).
    Aws(Vec<String>),
}

/// `Action` / `NotAction` or `Resource` / `NotResource`: the values and whether it was the
/// `Not…` form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negatable {
    /// The `Not…` form.
    pub negated: bool,
    /// The values as written.
    pub values: Vec<String>,
}

/// One `operator: { key: values }` entry of a `Condition` block, in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The operator as written (`StringLike`, `ForAnyValue:StringEqualsIfExists`, …).
    pub operator: String,
    /// The condition key as written.
    pub key: String,
    /// The values; numbers and booleans are kept as their JSON text.
    pub values: Vec<String>,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal` (`true` for the latter).
    pub principal: Option<(bool, PrincipalValue)>,
    /// `Action` or `NotAction`.
    pub action: Negatable,
    /// `Resource` or `NotResource`.
    pub resource: Negatable,
    /// `Condition`, flattened.
    pub conditions: Vec<ConditionEntry>,
}

/// A parsed (not yet validated) policy document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    /// `Version` (2008-10-17 when missing).
    pub version: PolicyVersion,
    /// Whether `Version` was present.
    pub version_explicit: bool,
    /// `Id`.
    pub id: Option<String>,
    /// `Statement`, as an array even when written as one object.
    pub statements: Vec<Statement>,
}

fn err(element: PolicyElement, message: impl Into<String>) -> PolicyError {
    PolicyError::new(element, message)
}

/// Where a statement is, for messages: `statement 2 ("ReadOnly")` or `statement 2`.
pub(crate) fn statement_label(index: usize, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("statement {index} (Sid \"{sid}\")"),
        None => format!("statement {index}"),
    }
}

/// Parses JSON text into a [`PolicyDocument`].
pub fn parse_document(text: &str) -> Result<PolicyDocument, PolicyError> {
    let json: Json = serde_json::from_str(text).map_err(|e| {
        err(
            PolicyElement::Json,
            format!("Policy is not valid JSON: {e}"),
        )
    })?;
    let Json::Object(top) = json else {
        return Err(err(
            PolicyElement::Json,
            format!("Policy must be a JSON object, found {}", json.kind()),
        ));
    };
    let mut version = None;
    let mut id = None;
    let mut statements = None;
    for (key, value) in top {
        match key.as_str() {
            "Version" => {
                let Json::String(v) = value else {
                    return Err(err(
                        PolicyElement::Version,
                        format!("Version must be a string, found {}", value.kind()),
                    ));
                };
                version = Some(match v.as_str() {
                    "2012-10-17" => PolicyVersion::V2012_10_17,
                    "2008-10-17" => PolicyVersion::V2008_10_17,
                    _ => {
                        return Err(err(
                            PolicyElement::Version,
                            format!(
                                "Invalid Version \"{v}\": must be \"2012-10-17\" or \"2008-10-17\""
                            ),
                        ))
                    }
                });
            }
            "Id" => {
                let Json::String(v) = value else {
                    return Err(err(
                        PolicyElement::Id,
                        format!("Id must be a string, found {}", value.kind()),
                    ));
                };
                id = Some(v);
            }
            "Statement" => {
                let items = match value {
                    Json::Array(items) => items,
                    obj @ Json::Object(_) => vec![obj],
                    other => {
                        return Err(err(
                            PolicyElement::Statement,
                            format!(
                                "Statement must be an object or an array of objects, found {}",
                                other.kind()
                            ),
                        ))
                    }
                };
                let mut parsed = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    parsed.push(parse_statement(i, item)?);
                }
                statements = Some(parsed);
            }
            other => {
                return Err(err(
                    PolicyElement::Json,
                    format!(
                        "Unknown policy element \"{other}\": expected Version, Id or Statement"
                    ),
                ))
            }
        }
    }
    let statements = statements.ok_or_else(|| {
        err(
            PolicyElement::Statement,
            "Missing required element Statement",
        )
    })?;
    Ok(PolicyDocument {
        version: version.unwrap_or(PolicyVersion::V2008_10_17),
        version_explicit: version.is_some(),
        id,
        statements,
    })
}

fn string_list(
    element: PolicyElement,
    name: &str,
    at: &str,
    value: Json,
) -> Result<Vec<String>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s]),
        Json::Array(items) => {
            if items.is_empty() {
                return Err(err(
                    element,
                    format!("{name} in {at} must not be an empty array"),
                ));
            }
            items
                .into_iter()
                .map(|item| match item {
                    Json::String(s) => Ok(s),
                    other => Err(err(
                        element,
                        format!(
                            "{name} in {at} must contain strings only, found {}",
                            other.kind()
                        ),
                    )),
                })
                .collect()
        }
        other => Err(err(
            element,
            format!(
                "{name} in {at} must be a string or an array of strings, found {}",
                other.kind()
            ),
        )),
    }
}

fn parse_principal(name: &str, at: &str, value: Json) -> Result<PrincipalValue, PolicyError> {
    let e = PolicyElement::Principal;
    match value {
        Json::String(s) if s == "*" => Ok(PrincipalValue::Any),
        Json::String(s) => Err(err(
            e,
            format!("Invalid {name} \"{s}\" in {at}: a string principal must be \"*\"; name ARNs as {{\"AWS\": [...]}}"),
        )),
        Json::Object(entries) => {
            let mut aws = None;
            for (key, v) in entries {
                if key != "AWS" {
                    return Err(err(
                        e,
                        format!("Invalid {name} in {at}: principal type \"{key}\" is not supported, only \"AWS\""),
                    ));
                }
                aws = Some(string_list(e, name, at, v)?);
            }
            let values = aws.ok_or_else(|| {
                err(e, format!("Invalid {name} in {at}: expected {{\"AWS\": ...}}"))
            })?;
            if values.iter().any(|v| v == "*") {
                if values.len() > 1 {
                    return Err(err(
                        e,
                        format!("Invalid {name} in {at}: \"*\" cannot be combined with other principals"),
                    ));
                }
                return Ok(PrincipalValue::Any);
            }
            Ok(PrincipalValue::Aws(values))
        }
        other => Err(err(
            e,
            format!("Invalid {name} in {at}: must be \"*\" or an object, found {}", other.kind()),
        )),
    }
}

fn condition_value(at: &str, key: &str, v: Json) -> Result<String, PolicyError> {
    match v {
        Json::String(s) | Json::Number(s) => Ok(s),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(err(
            PolicyElement::Condition,
            format!("Condition value for key {key} in {at} must be a string, number or boolean, found {}", other.kind()),
        )),
    }
}

fn parse_conditions(at: &str, value: Json) -> Result<Vec<ConditionEntry>, PolicyError> {
    let e = PolicyElement::Condition;
    let Json::Object(ops) = value else {
        return Err(err(
            e,
            format!(
                "Condition in {at} must be an object, found {}",
                value.kind()
            ),
        ));
    };
    let mut out = Vec::new();
    for (operator, keys) in ops {
        let Json::Object(keys) = keys else {
            return Err(err(
                e,
                format!(
                    "Condition operator {operator} in {at} must map to an object of keys, found {}",
                    keys.kind()
                ),
            ));
        };
        if keys.is_empty() {
            return Err(err(
                e,
                format!("Condition operator {operator} in {at} has no keys"),
            ));
        }
        for (key, values) in keys {
            let values = match values {
                Json::Array(items) => {
                    if items.is_empty() {
                        return Err(err(
                            e,
                            format!("Condition key {key} under {operator} in {at} has an empty value list"),
                        ));
                    }
                    items
                        .into_iter()
                        .map(|v| condition_value(at, &key, v))
                        .collect::<Result<Vec<_>, _>>()?
                }
                single => vec![condition_value(at, &key, single)?],
            };
            out.push(ConditionEntry {
                operator: operator.clone(),
                key,
                values,
            });
        }
    }
    Ok(out)
}

fn parse_statement(index: usize, value: Json) -> Result<Statement, PolicyError> {
    let Json::Object(entries) = value else {
        return Err(err(
            PolicyElement::Statement,
            format!(
                "statement {index} must be an object, found {}",
                value.kind()
            ),
        ));
    };
    // The Sid first, so that later messages can name it.
    let sid = entries
        .iter()
        .find(|(k, _)| k == "Sid")
        .map(|(_, v)| v.clone());
    let sid = match sid {
        None => None,
        Some(Json::String(s)) => Some(s),
        Some(other) => {
            return Err(err(
                PolicyElement::Sid,
                format!(
                    "Sid in statement {index} must be a string, found {}",
                    other.kind()
                ),
            ))
        }
    };
    let at = statement_label(index, sid.as_deref());
    let mut effect = None;
    let mut principal: Option<(bool, PrincipalValue)> = None;
    let mut action: Option<Negatable> = None;
    let mut resource: Option<Negatable> = None;
    let mut conditions = Vec::new();
    for (key, value) in entries {
        match key.as_str() {
            "Sid" => {}
            "Effect" => {
                effect = Some(match value {
                    Json::String(s) if s == "Allow" => Effect::Allow,
                    Json::String(s) if s == "Deny" => Effect::Deny,
                    Json::String(s) => {
                        return Err(err(
                            PolicyElement::Effect,
                            format!(
                                "Invalid Effect \"{s}\" in {at}: must be \"Allow\" or \"Deny\""
                            ),
                        ))
                    }
                    other => {
                        return Err(err(
                            PolicyElement::Effect,
                            format!("Effect in {at} must be a string, found {}", other.kind()),
                        ))
                    }
                });
            }
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(err(
                        PolicyElement::Principal,
                        format!("{at} has both Principal and NotPrincipal"),
                    ));
                }
                principal = Some((key == "NotPrincipal", parse_principal(&key, &at, value)?));
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(err(
                        PolicyElement::Action,
                        format!("{at} has both Action and NotAction"),
                    ));
                }
                action = Some(Negatable {
                    negated: key == "NotAction",
                    values: string_list(PolicyElement::Action, &key, &at, value)?,
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(err(
                        PolicyElement::Resource,
                        format!("{at} has both Resource and NotResource"),
                    ));
                }
                resource = Some(Negatable {
                    negated: key == "NotResource",
                    values: string_list(PolicyElement::Resource, &key, &at, value)?,
                });
            }
            "Condition" => conditions = parse_conditions(&at, value)?,
            other => {
                return Err(err(
                    PolicyElement::Statement,
                    format!("Unknown element \"{other}\" in {at}"),
                ))
            }
        }
    }
    let effect = effect.ok_or_else(|| {
        err(
            PolicyElement::Effect,
            format!("Missing required element Effect in {at}"),
        )
    })?;
    let action = action.ok_or_else(|| {
        err(
            PolicyElement::Action,
            format!("Missing required element Action (or NotAction) in {at}"),
        )
    })?;
    let resource = resource.ok_or_else(|| {
        err(
            PolicyElement::Resource,
            format!("Missing required element Resource (or NotResource) in {at}"),
        )
    })?;
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> PolicyError {
        parse_document(text).expect_err(text)
    }

    #[test]
    fn statement_object_or_array() {
        let one = parse_document(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        )
        .unwrap();
        let many = parse_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
        )
        .unwrap();
        assert_eq!(one, many);
        assert_eq!(one.version, PolicyVersion::V2012_10_17);
        assert!(one.version_explicit);
        assert_eq!(one.statements[0].action.values, ["s3:GetObject"]);
    }

    #[test]
    fn missing_version_is_2008() {
        let d = parse_document(r#"{"Statement":[]}"#).unwrap();
        assert_eq!(d.version, PolicyVersion::V2008_10_17);
        assert!(!d.version_explicit);
        assert!(!d.version.has_variables());
        assert_eq!(d.version.as_str(), "2008-10-17");
    }

    #[test]
    fn full_statement() {
        let d = parse_document(
            r#"{"Version":"2012-10-17","Id":"P1","Statement":[{"Sid":"S","Effect":"Deny",
            "NotPrincipal":{"AWS":["arn:aws:iam::000000000000001:root","000000000000002"]},
            "NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/*",
            "Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false},
            "StringLike":{"s3:prefix":["a/*","b/*"]}}}]}"#,
        )
        .unwrap();
        assert_eq!(d.id.as_deref(), Some("P1"));
        let s = &d.statements[0];
        assert_eq!(s.sid.as_deref(), Some("S"));
        assert_eq!(s.effect, Effect::Deny);
        assert_eq!(
            s.principal,
            Some((
                true,
                PrincipalValue::Aws(vec![
                    "arn:aws:iam::000000000000001:root".into(),
                    "000000000000002".into()
                ])
            ))
        );
        assert!(s.action.negated && s.resource.negated);
        assert_eq!(s.conditions.len(), 3);
        assert_eq!(s.conditions[0].values, ["10"]);
        assert_eq!(s.conditions[1].values, ["false"]);
        assert_eq!(s.conditions[2].values, ["a/*", "b/*"]);
    }

    #[test]
    fn principal_forms() {
        for p in [r#""*""#, r#"{"AWS":"*"}"#, r#"{"AWS":["*"]}"#] {
            let text = format!(
                r#"{{"Statement":{{"Effect":"Allow","Principal":{p},"Action":"s3:GetObject","Resource":"*"}}}}"#
            );
            assert_eq!(
                parse_document(&text).unwrap().statements[0].principal,
                Some((false, PrincipalValue::Any)),
                "{p}"
            );
        }
    }

    #[test]
    fn structural_errors_name_the_element() {
        use PolicyElement as E;
        let s = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#);
        let cases: Vec<(String, E, &str)> = vec![
            ("not json".into(), E::Json, "not valid JSON"),
            ("[]".into(), E::Json, "must be a JSON object"),
            (
                r#"{"Version":"2012-10-17"}"#.into(),
                E::Statement,
                "Missing required element Statement",
            ),
            (
                r#"{"Version":"2012-10-18","Statement":[]}"#.into(),
                E::Version,
                "Invalid Version \"2012-10-18\"",
            ),
            (
                r#"{"Version":1,"Statement":[]}"#.into(),
                E::Version,
                "must be a string",
            ),
            (
                r#"{"Id":[],"Statement":[]}"#.into(),
                E::Id,
                "Id must be a string",
            ),
            (
                r#"{"Statement":"x"}"#.into(),
                E::Statement,
                "must be an object or an array",
            ),
            (
                r#"{"Statement":[],"Extra":1}"#.into(),
                E::Json,
                "Unknown policy element \"Extra\"",
            ),
            (s(r#""x""#), E::Statement, "statement 0 must be an object"),
            (
                s(r#"{"Action":"s3:GetObject","Resource":"*"}"#),
                E::Effect,
                "Missing required element Effect in statement 0",
            ),
            (
                s(r#"{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}"#),
                E::Effect,
                "Invalid Effect \"allow\"",
            ),
            (
                s(r#"{"Effect":true,"Action":"s3:GetObject","Resource":"*"}"#),
                E::Effect,
                "Effect in statement 0 must be a string",
            ),
            (
                s(r#"{"Sid":"A","Effect":"Allow","Resource":"*"}"#),
                E::Action,
                "Missing required element Action (or NotAction) in statement 0 (Sid \"A\")",
            ),
            (
                s(r#"{"Effect":"Allow","Action":"s3:GetObject"}"#),
                E::Resource,
                "Missing required element Resource",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}"#,
                ),
                E::Action,
                "both Action and NotAction",
            ),
            (
                s(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","NotResource":"*"}"#),
                E::Resource,
                "both Resource and NotResource",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}"#,
                ),
                E::Principal,
                "both Principal and NotPrincipal",
            ),
            (
                s(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
                E::Action,
                "must not be an empty array",
            ),
            (
                s(r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#),
                E::Action,
                "must contain strings only",
            ),
            (
                s(r#"{"Effect":"Allow","Action":{},"Resource":"*"}"#),
                E::Action,
                "must be a string or an array",
            ),
            (
                s(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":7}"#),
                E::Resource,
                "Resource in statement 0 must be a string or an array",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Principal":{"Service":"x"},"Action":"s3:GetObject","Resource":"*"}"#,
                ),
                E::Principal,
                "principal type \"Service\"",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Principal":"arn:aws:iam::000000000000001:root","Action":"s3:GetObject","Resource":"*"}"#,
                ),
                E::Principal,
                "a string principal must be \"*\"",
            ),
            (
                s(r#"{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"*"}"#),
                E::Principal,
                "expected {\"AWS\": ...}",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Principal":{"AWS":["*","000000000000001"]},"Action":"s3:GetObject","Resource":"*"}"#,
                ),
                E::Principal,
                "cannot be combined",
            ),
            (
                s(r#"{"Effect":"Allow","Principal":1,"Action":"s3:GetObject","Resource":"*"}"#),
                E::Principal,
                "must be \"*\" or an object",
            ),
            (
                s(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":[]}"#),
                E::Condition,
                "Condition in statement 0 must be an object",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":true}}"#,
                ),
                E::Condition,
                "must map to an object of keys",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{}}}"#,
                ),
                E::Condition,
                "has no keys",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":[]}}}"#,
                ),
                E::Condition,
                "empty value list",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":null}}}"#,
                ),
                E::Condition,
                "must be a string, number or boolean",
            ),
            (
                s(
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":[{}]}}}"#,
                ),
                E::Condition,
                "found an object",
            ),
            (
                s(r#"{"Sid":1,"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
                E::Sid,
                "Sid in statement 0 must be a string",
            ),
            (
                s(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Extra":1}"#),
                E::Statement,
                "Unknown element \"Extra\" in statement 0",
            ),
        ];
        for (text, element, needle) in cases {
            let e = parse_err(&text);
            assert_eq!(e.element(), element, "{text}: {e}");
            assert!(
                e.to_string().contains(needle),
                "{text}: {e} lacks {needle:?}"
            );
        }
    }

    #[test]
    fn duplicate_keys_are_rejected_at_every_level() {
        for text in [
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}"#,
            r#"{"Statement":[{"Effect":"Deny","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true","aws:SecureTransport":"false"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*","AWS":"000000000000001"},"Action":"s3:GetObject","Resource":"*"}]}"#,
        ] {
            let e = parse_err(text);
            assert_eq!(e.element(), PolicyElement::Json, "{text}");
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
        // The same key in two different objects is fine.
        assert!(parse_document(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        )
        .is_ok());
    }

    #[test]
    fn numbers_keep_their_text() {
        let d = parse_document(
            r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"k":[-3,4.5,18446744073709551615]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            d.statements[0].conditions[0].values,
            ["-3", "4.5", "18446744073709551615"]
        );
        assert_eq!(statement_label(3, None), "statement 3");
    }
}
