//! Parameter validation with AWS's error layering and messages.
//!
//! AWS IAM checks a request in three layers, and so does this crate:
//!
//! 1. **Reading** (`MalformedInput`): an integer parameter (`Marker` of the policy listings,
//!    `MaxItems`) that is not an integer or is outside the 32-bit integer range (spec 3.3,
//!    ListPolicies), or a list parameter with a malformed index or field
//!    (`Tags.member.x.Key`). The first such problem is reported.
//! 2. **Constraints** (`ValidationError`): presence, length, pattern, range and enum rules of
//!    every parameter are checked and **all** violations are reported in one message, in
//!    the form AWS's query services use:
//!    `2 validation errors detected: Value null at 'userName' failed to satisfy constraint:
//!    Member must not be null; Value '0' at 'maxItems' failed to satisfy constraint: Member
//!    must have value greater than or equal to 1`. Member names are the parameter names with
//!    a lower-case first letter, list members `tags.1.member.key`. A missing required
//!    parameter is such a violation (`Member must not be null`), which is what AWS IAM
//!    answers and what the spec prescribes for a missing `PolicyArn`; `MissingParameter` is
//!    not used for parameters. Values longer than 256 characters are shortened in messages.
//! 3. **Semantics** (`InvalidInput`): a `PolicyArn` of valid length that is not an S4
//!    managed-policy ARN (`arn:aws:iam::aws:policy/<name>`, spec 3.3 and 3.2), an IAM path
//!    other than `/` (S4 has no paths), duplicate tag keys.
//!
//! Rules taken from the AWS IAM API reference where the spec is silent: user names 1..=64 and
//! group names 1..=128 characters of `[\w+=,.@-]` (checked by `s4-naming`); `Marker` of the
//! user, group and key listings 1..=320 characters of `[\u0020-\u00FF]`; `AccessKeyId`
//! 16..=128 characters of `[\w]`; `Status` `Active` or `Inactive`; `Path` 1..=512 characters
//! matching `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`; at most 50 tags, keys 1..=128 and
//! values 0..=256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (letters approximated by
//! `char::is_alphabetic`, numbers by `char::is_numeric`).

use s4_naming::{validate_group_name, validate_user_name, Arn, IamNameError};

use crate::error::IamError;
use crate::params::{quoted, QueryParams};
use crate::request::{AccessKeyStatus, PolicyArn, Tag};

/// The only IAM API version.
pub const IAM_VERSION: &str = "2010-05-08";

/// Default and largest `MaxItems` AWS allows.
pub const DEFAULT_MAX_ITEMS: u32 = 1000;

/// Most tags a user may carry.
pub const MAX_TAGS: usize = 50;

const VALUE_SHOWN: usize = 256;

/// Collects constraint violations for one `ValidationError`.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    items: Vec<String>,
}

impl Violations {
    pub(crate) fn push(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            None => "null".to_owned(),
            Some(v) if v.chars().count() > VALUE_SHOWN => {
                let cut: String = v.chars().take(VALUE_SHOWN).collect();
                format!("'{cut}...'")
            }
            Some(v) => format!("'{v}'"),
        };
        self.items.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub(crate) fn into_result(self) -> Result<(), IamError> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(IamError::validation(format!(
                "1 validation error detected: {}",
                self.items[0]
            ))),
            n => Err(IamError::validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }
}

/// `UserName` -> `userName`.
pub(crate) fn member_name(param: &str) -> String {
    let mut chars = param.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn length_min(min: usize) -> String {
    format!("Member must have length greater than or equal to {min}")
}

fn length_max(max: usize) -> String {
    format!("Member must have length less than or equal to {max}")
}

fn pattern(p: &str) -> String {
    format!("Member must satisfy regular expression pattern: {p}")
}

const NOT_NULL: &str = "Member must not be null";
const NAME_PATTERN: &str = r"[\w+=,.@-]+";

/// Reads and checks the parameters of one request.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    params: &'a QueryParams,
    pub(crate) violations: Violations,
    max_items: u32,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(params: &'a QueryParams, max_items: u32) -> Self {
        Self {
            params,
            violations: Violations::default(),
            max_items,
        }
    }

    fn get(&self, param: &str) -> Option<&'a str> {
        self.params.get(param)
    }

    /// Returns the value, or records `Member must not be null` and returns `""`.
    fn required(&mut self, param: &str) -> &'a str {
        if let Some(v) = self.get(param) {
            v
        } else {
            self.violations.push(None, &member_name(param), NOT_NULL);
            ""
        }
    }

    fn check_name(
        &mut self,
        param: &str,
        value: &str,
        check: fn(&str) -> Result<(), IamNameError>,
    ) {
        let constraint = match check(value) {
            Ok(()) => return,
            Err(IamNameError::Empty { .. }) => length_min(1),
            Err(IamNameError::TooLong { entity, .. }) => length_max(entity.max_len()),
            Err(_) => pattern(NAME_PATTERN),
        };
        self.violations
            .push(Some(value), &member_name(param), &constraint);
    }

    pub(crate) fn user_name(&mut self, param: &str) -> String {
        let v = self.required(param);
        if self.get(param).is_some() {
            self.check_name(param, v, validate_user_name);
        }
        v.to_owned()
    }

    pub(crate) fn opt_user_name(&mut self, param: &str) -> Option<String> {
        let v = self.get(param)?;
        self.check_name(param, v, validate_user_name);
        Some(v.to_owned())
    }

    pub(crate) fn group_name(&mut self, param: &str) -> String {
        let v = self.required(param);
        if self.get(param).is_some() {
            self.check_name(param, v, validate_group_name);
        }
        v.to_owned()
    }

    /// `PolicyArn`: length here, the ARN itself in [`policy_arn`] after all constraints.
    pub(crate) fn policy_arn_text(&mut self) -> &'a str {
        let v = self.required("PolicyArn");
        if self.get("PolicyArn").is_some() {
            let len = v.chars().count();
            if len < 20 {
                self.violations.push(Some(v), "policyArn", &length_min(20));
            } else if len > 2048 {
                self.violations
                    .push(Some(v), "policyArn", &length_max(2048));
            }
        }
        v
    }

    pub(crate) fn version_id(&mut self) -> String {
        let v = self.required("VersionId");
        if self.get("VersionId").is_some() && !is_version_id(v) {
            self.violations.push(
                Some(v),
                "versionId",
                &pattern(r"v[1-9][0-9]{0,9}(\.[A-Za-z0-9-]{1,64})?"),
            );
        }
        v.to_owned()
    }

    pub(crate) fn access_key_id(&mut self) -> String {
        let v = self.required("AccessKeyId");
        if self.get("AccessKeyId").is_some() {
            let len = v.chars().count();
            if len < 16 {
                self.violations
                    .push(Some(v), "accessKeyId", &length_min(16));
            } else if len > 128 {
                self.violations
                    .push(Some(v), "accessKeyId", &length_max(128));
            }
            if !v.is_empty() && !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.violations
                    .push(Some(v), "accessKeyId", &pattern(r"[\w]+"));
            }
        }
        v.to_owned()
    }

    pub(crate) fn status(&mut self) -> AccessKeyStatus {
        let v = self.required("Status");
        if let Some(s) = AccessKeyStatus::parse(v) {
            return s;
        }
        if self.get("Status").is_some() {
            self.violations.push(
                Some(v),
                "status",
                "Member must satisfy enum value set: [Active, Inactive]",
            );
        }
        AccessKeyStatus::Active
    }

    /// An optional parameter with a fixed set of values: the index of the value given, or
    /// `None` when absent or (recorded as a violation naming the set) not one of them.
    /// `ignore_case` for booleans, which AWS reads in any case.
    pub(crate) fn opt_enum(
        &mut self,
        param: &str,
        values: &[&str],
        ignore_case: bool,
    ) -> Option<usize> {
        let v = self.get(param)?;
        let found = values.iter().position(|candidate| {
            if ignore_case {
                candidate.eq_ignore_ascii_case(v)
            } else {
                *candidate == v
            }
        });
        if found.is_none() {
            self.violations.push(
                Some(v),
                &member_name(param),
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ),
            );
        }
        found
    }

    /// The opaque `Marker` of the user, group and key listings.
    pub(crate) fn string_marker(&mut self) -> Option<String> {
        let v = self.get("Marker")?;
        let len = v.chars().count();
        if len == 0 {
            self.violations.push(Some(v), "marker", &length_min(1));
        } else if len > 320 {
            self.violations.push(Some(v), "marker", &length_max(320));
        }
        if !v.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c)) {
            self.violations
                .push(Some(v), "marker", &pattern(r"[\u0020-\u00FF]+"));
        }
        Some(v.to_owned())
    }

    /// The integer `Marker` of the policy listings (spec 3.3): `MalformedInput` when not a
    /// 32-bit integer, a violation when negative.
    pub(crate) fn int_marker(&mut self) -> Result<Option<u32>, IamError> {
        let Some(v) = self.get("Marker") else {
            return Ok(None);
        };
        let n = parse_int("Marker", v)?;
        if n < 0 {
            self.violations.push(
                Some(v),
                "marker",
                "Member must have value greater than or equal to 0",
            );
        }
        Ok(Some(n.unsigned_abs()))
    }

    /// `MaxItems`: `MalformedInput` when not a 32-bit integer, a violation outside
    /// `1..=max_items`.
    pub(crate) fn max_items(&mut self) -> Result<Option<u32>, IamError> {
        let Some(v) = self.get("MaxItems") else {
            return Ok(None);
        };
        let n = parse_int("MaxItems", v)?;
        if n < 1 {
            self.violations.push(
                Some(v),
                "maxItems",
                "Member must have value greater than or equal to 1",
            );
        } else if n.unsigned_abs() > self.max_items {
            self.violations.push(
                Some(v),
                "maxItems",
                &format!(
                    "Member must have value less than or equal to {}",
                    self.max_items
                ),
            );
        }
        Ok(Some(n.unsigned_abs()))
    }

    /// `Path`: validated as AWS does; anything but `/` is `InvalidInput` later.
    pub(crate) fn path(&mut self) -> Option<&'a str> {
        let v = self.get("Path")?;
        let len = v.chars().count();
        if len == 0 {
            self.violations.push(Some(v), "path", &length_min(1));
        } else if len > 512 {
            self.violations.push(Some(v), "path", &length_max(512));
        }
        let valid = v == "/"
            || (v.len() >= 3
                && v.starts_with('/')
                && v.ends_with('/')
                && v[1..v.len() - 1]
                    .bytes()
                    .all(|b| (0x21..=0x7e).contains(&b)));
        if len > 0 && !valid {
            self.violations.push(
                Some(v),
                "path",
                &pattern(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"),
            );
        }
        Some(v)
    }

    /// `Tags.member.N.Key` / `Tags.member.N.Value`, ordered by N.
    pub(crate) fn tags(&mut self) -> Result<Vec<Tag>, IamError> {
        let members = self.params.member_list("Tags")?;
        let mut entries: Vec<(u32, Option<&'a str>, Option<&'a str>)> =
            Vec::with_capacity(members.len());
        for member in members {
            let (mut key, mut value) = (None, None);
            for &(field, v) in &member.fields {
                match field {
                    "Key" => key = Some(v),
                    "Value" => value = Some(v),
                    _ => {
                        return Err(IamError::malformed(format!(
                            "Parameter {} is not a valid member of the list Tags (expected \
                             Tags.member.N.Key or Tags.member.N.Value)",
                            quoted(&if field.is_empty() {
                                format!("Tags.member.{}", member.index)
                            } else {
                                format!("Tags.member.{}.{field}", member.index)
                            })
                        )))
                    }
                }
            }
            entries.push((member.index, key, value));
        }
        if entries.len() > MAX_TAGS {
            // AWS shows the whole list as the value; the count says enough.
            self.violations.push(
                Some(&format!("{} tags", entries.len())),
                "tags",
                &length_max(MAX_TAGS),
            );
        }
        let mut tags = Vec::with_capacity(entries.len());
        for (index, key, value) in entries {
            let key_member = format!("tags.{index}.member.key");
            let value_member = format!("tags.{index}.member.value");
            match key {
                None => self.violations.push(None, &key_member, NOT_NULL),
                Some(k) => {
                    let len = k.chars().count();
                    if len == 0 {
                        self.violations.push(Some(k), &key_member, &length_min(1));
                    } else if len > 128 {
                        self.violations.push(Some(k), &key_member, &length_max(128));
                    }
                    if !k.chars().all(is_tag_char) {
                        self.violations.push(
                            Some(k),
                            &key_member,
                            &pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
                        );
                    }
                }
            }
            match value {
                None => self.violations.push(None, &value_member, NOT_NULL),
                Some(v) => {
                    if v.chars().count() > 256 {
                        self.violations
                            .push(Some(v), &value_member, &length_max(256));
                    }
                    if !v.chars().all(is_tag_char) {
                        self.violations.push(
                            Some(v),
                            &value_member,
                            &pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"),
                        );
                    }
                }
            }
            tags.push(Tag {
                key: key.unwrap_or_default().to_owned(),
                value: value.unwrap_or_default().to_owned(),
            });
        }
        Ok(tags)
    }

    /// Ends the constraint layer: `ValidationError` with every violation, if any.
    pub(crate) fn finish(self) -> Result<(), IamError> {
        self.violations.into_result()
    }
}

/// The semantic layer for `PolicyArn`: an S4 managed-policy ARN with a valid name, else
/// `InvalidInput`.
pub(crate) fn policy_arn(text: &str) -> Result<PolicyArn, IamError> {
    match Arn::parse(text) {
        Ok(arn @ Arn::AwsManagedPolicy { .. }) if arn.validate().is_ok() => {
            if let Arn::AwsManagedPolicy { name } = arn {
                return Ok(PolicyArn::managed(name.into_owned()));
            }
            Err(invalid_arn(text))
        }
        _ => Err(invalid_arn(text)),
    }
}

fn invalid_arn(text: &str) -> IamError {
    IamError::invalid_input(format!("ARN {text} is not valid."))
}

/// The semantic layer for `Path`: S4 has no IAM paths.
pub(crate) fn only_root_path(path: Option<&str>) -> Result<(), IamError> {
    match path {
        None | Some("/") => Ok(()),
        Some(p) => Err(IamError::invalid_input(format!(
            "Path {p} is not supported: S4 supports only the path /."
        ))),
    }
}

/// The semantic layer for tags: keys are unique regardless of case.
pub(crate) fn unique_tag_keys(tags: &[Tag]) -> Result<(), IamError> {
    let mut seen: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let lower = tag.key.to_lowercase();
        if seen.contains(&lower) {
            return Err(IamError::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        seen.push(lower);
    }
    Ok(())
}

/// `v[1-9][0-9]{0,9}(\.[A-Za-z0-9-]{1,64})?`, the whole string (spec 3.3 GetPolicyVersion).
pub fn is_version_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let (number, suffix) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let number_ok = (1..=10).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0');
    let suffix_ok = suffix.is_none_or(|s| {
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    number_ok && suffix_ok
}

/// A 32-bit integer as Java's `Integer.parseInt` reads it (optional sign, decimal digits,
/// leading zeros allowed); anything else is `MalformedInput` (spec 3.3).
pub(crate) fn parse_int(param: &str, value: &str) -> Result<i32, IamError> {
    let digits = value
        .strip_prefix('-')
        .or_else(|| value.strip_prefix('+'))
        .unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IamError::malformed(format!(
            "Invalid value for parameter {param}: {} is not an integer",
            quoted(value)
        )));
    }
    value.parse::<i32>().map_err(|_| {
        IamError::malformed(format!(
            "Invalid value for parameter {param}: {} is out of the integer range",
            quoted(value)
        ))
    })
}

fn is_space_separator(c: char) -> bool {
    matches!(
        c,
        '\u{20}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || is_space_separator(c)
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IamErrorCode;

    #[test]
    fn version_ids() {
        for ok in [
            "v1",
            "v9",
            "v10",
            "v1234567890",
            "v1.a",
            "v2.A-b-0",
            &format!("v1.{}", "x".repeat(64)),
        ] {
            assert!(is_version_id(ok), "{ok}");
        }
        for bad in [
            "",
            "v",
            "v0",
            "v01",
            "V1",
            "1",
            "v12345678901",
            "v1.",
            "v1.a.b",
            "v1.a_b",
            "v1 ",
            "v1.é",
            &format!("v1.{}", "x".repeat(65)),
            "va",
        ] {
            assert!(!is_version_id(bad), "{bad}");
        }
    }

    #[test]
    fn integers_read_like_java() {
        assert_eq!(parse_int("MaxItems", "10").unwrap(), 10);
        assert_eq!(parse_int("MaxItems", "+10").unwrap(), 10);
        assert_eq!(parse_int("MaxItems", "-3").unwrap(), -3);
        assert_eq!(parse_int("MaxItems", "007").unwrap(), 7);
        assert_eq!(parse_int("MaxItems", "2147483647").unwrap(), i32::MAX);
        assert_eq!(parse_int("MaxItems", "-2147483648").unwrap(), i32::MIN);
        for bad in [
            "",
            "+",
            "-",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "0x10",
            "abc",
            "2147483648",
            "-2147483649",
            "٣",
        ] {
            let e = parse_int("MaxItems", bad).unwrap_err();
            assert_eq!(e.code(), IamErrorCode::MalformedInput, "{bad:?}");
        }
    }

    #[test]
    fn tag_characters() {
        for c in [
            'a', 'Z', 'é', 'ß', '日', '0', '٣', ' ', '\u{3000}', '_', '.', ':', '/', '=', '+', '-',
            '@',
        ] {
            assert!(is_tag_char(c), "{c:?}");
        }
        for c in ['!', '#', '*', '\t', '\n', '\0', '"', '<', '&', '?', '😀'] {
            assert!(!is_tag_char(c), "{c:?}");
        }
    }

    #[test]
    fn violation_messages() {
        let mut v = Violations::default();
        assert!(v.items.is_empty());
        v.push(None, "userName", NOT_NULL);
        let e = Violations {
            items: v.items.clone(),
        }
        .into_result()
        .unwrap_err();
        assert_eq!(
            e.message(),
            "1 validation error detected: Value null at 'userName' failed to satisfy \
             constraint: Member must not be null"
        );
        v.push(Some(&"x".repeat(300)), "marker", &length_max(10));
        let e = v.into_result().unwrap_err();
        assert!(e
            .message()
            .starts_with("2 validation errors detected: Value null"));
        assert!(e
            .message()
            .contains(&format!("; Value '{}...' at 'marker'", "x".repeat(256))));
        assert_eq!(member_name("UserName"), "userName");
        assert_eq!(member_name(""), "");
    }

    #[test]
    fn policy_arns() {
        let arn = policy_arn("arn:aws:iam::aws:policy/S3ReadAccess").unwrap();
        assert_eq!(arn.name(), "S3ReadAccess");
        for bad in [
            "arn:aws:iam::000000000000001:user/alice",
            "arn:aws:iam::aws:policy/a b",
            "arn:aws:iam::aws:policy/path/Name",
            "arn:aws:iam::aws:policy/",
            "arn:aws:s3:::bucket-name-x",
            "not-an-arn-at-all-really",
            "arn:aws:iam::123456789012:policy/Custom",
        ] {
            let e = policy_arn(bad).unwrap_err();
            assert_eq!(e.code(), IamErrorCode::InvalidInput, "{bad}");
            assert_eq!(e.message(), format!("ARN {bad} is not valid."));
        }
    }
}
