//! Parsing of the credential scope, the request timestamp and the `Authorization` header.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::error::SigV4Error;
use crate::key::Signature;

/// The algorithm name of SigV4 with HMAC-SHA256, the only one S4 accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope: `<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    date: String,
    region: String,
    service: String,
}

impl CredentialScope {
    /// A scope for signing. `date` is `YYYYMMDD`.
    pub fn new(
        date: impl Into<String>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            date: date.into(),
            region: region.into(),
            service: service.into(),
        }
    }

    /// The scope date, `YYYYMMDD`.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The region the client chose; S4 accepts any.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The service name, for example `s3` or `iam`.
    pub fn service(&self) -> &str {
        &self.service
    }
}

impl std::fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// `AKID/date/region/service/aws4_request`, split and checked.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    pub(crate) access_key_id: String,
    pub(crate) scope: CredentialScope,
}

/// Parses a credential; `err` builds the error of the caller's context (header or query).
pub(crate) fn parse_credential(
    value: &str,
    err: fn(String) -> SigV4Error,
) -> Result<Credential, SigV4Error> {
    // The access key itself never contains '/', so split from the right is not needed.
    let mut parts = value.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(term), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(err(format!(
            "Credential should be scoped to a valid region and service: '{value}'"
        )));
    };
    if akid.is_empty() || region.is_empty() || service.is_empty() {
        return Err(err(format!("Credential has an empty component: '{value}'")));
    }
    if term != "aws4_request" {
        return Err(err(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'"
        )));
    }
    if parse_scope_date(date).is_none() {
        return Err(err(format!("Credential has an invalid date: '{date}'")));
    }
    Ok(Credential {
        access_key_id: akid.to_owned(),
        scope: CredentialScope::new(date, region, service),
    })
}

fn digits<const N: usize>(s: &[u8]) -> Option<u32> {
    if s.len() != N || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        s.iter()
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')),
    )
}

fn parse_scope_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let year = digits::<4>(&b[0..4])?;
    let month = Month::try_from(digits::<2>(&b[4..6])? as u8).ok()?;
    let day = digits::<2>(&b[6..8])? as u8;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, day).ok()
}

/// Parses the ISO 8601 basic timestamp `YYYYMMDDTHHMMSSZ` of `x-amz-date` / `X-Amz-Date`.
pub(crate) fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let date = parse_scope_date(&s[..8])?;
    let time = Time::from_hms(
        digits::<2>(&b[9..11])? as u8,
        digits::<2>(&b[11..13])? as u8,
        digits::<2>(&b[13..15])? as u8,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats a time as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The three components of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug)]
pub(crate) struct AuthorizationHeader {
    pub(crate) credential: Credential,
    pub(crate) signed_headers: String,
    pub(crate) signature: Signature,
}

/// Parses the header value. The three components may come in any order, separated by commas
/// with optional spaces (the AWS documentation prints none, SDKs print one).
pub(crate) fn parse_authorization_header(value: &str) -> Result<AuthorizationHeader, SigV4Error> {
    let Some((algorithm, rest)) = value.trim().split_once(' ') else {
        return Err(algorithm_error(value));
    };
    if algorithm != ALGORITHM {
        return Err(algorithm_error(algorithm));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in rest.split(',') {
        let component = component.trim_matches(' ');
        let Some((name, val)) = component.split_once('=') else {
            return Err(SigV4Error::incomplete(format!(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters; garbled part: '{component}'"
            )));
        };
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(SigV4Error::incomplete(format!(
                    "Unexpected Authorization header parameter '{name}'"
                )))
            }
        };
        if slot.replace(val).is_some() {
            return Err(SigV4Error::incomplete(format!(
                "Authorization header parameter '{name}' appears twice"
            )));
        }
    }
    let missing = |what: &str| {
        SigV4Error::incomplete(format!("Authorization header requires '{what}' parameter"))
    };
    let credential = parse_credential(
        credential.ok_or_else(|| missing("Credential"))?,
        SigV4Error::IncompleteSignature,
    )?;
    let signed_headers = signed_headers.ok_or_else(|| missing("SignedHeaders"))?;
    check_signed_headers(signed_headers, SigV4Error::IncompleteSignature)?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let signature = Signature::from_hex(signature)
        .ok_or_else(|| SigV4Error::incomplete("Signature must be 64 hexadecimal digits"))?;
    Ok(AuthorizationHeader {
        credential,
        signed_headers: signed_headers.to_owned(),
        signature,
    })
}

fn algorithm_error(algorithm: &str) -> SigV4Error {
    if algorithm.starts_with("AWS ") || algorithm == "AWS" {
        SigV4Error::invalid(
            "The authorization mechanism you have provided is not supported. Please use \
             AWS4-HMAC-SHA256: set signature_version = s3v4 (awscli: `aws configure set \
             default.s3.signature_version s3v4`; boto3: `Config(signature_version=\"s3v4\")`).",
        )
    } else {
        SigV4Error::invalid(format!(
            "Unsupported authorization algorithm '{algorithm}'. Please use AWS4-HMAC-SHA256."
        ))
    }
}

/// `SignedHeaders` must be lower-case names, sorted and unique, as every SDK writes it: the
/// canonical request reuses the list verbatim, so accepting another order would let two
/// different lists mean the same thing.
pub(crate) fn check_signed_headers(
    list: &str,
    err: fn(String) -> SigV4Error,
) -> Result<(), SigV4Error> {
    let mut prev: Option<&str> = None;
    for name in list.split(';') {
        let valid = !name.is_empty()
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.!#$%&'*+^`|~".contains(&b)
            });
        if !valid || prev.is_some_and(|p| p >= name) {
            return Err(err(format!(
                "SignedHeaders must be sorted, unique, lower-case header names: '{list}'"
            )));
        }
        prev = Some(name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates() {
        let t = parse_amz_date("20130524T000000Z").unwrap();
        assert_eq!(format_amz_date(t), "20130524T000000Z");
        assert!(parse_amz_date("20130524T000000").is_none());
        assert!(parse_amz_date("20131324T000000Z").is_none());
        assert!(parse_amz_date("2013052AT000000Z").is_none());
        assert!(parse_amz_date("20130524T250000Z").is_none());
        assert!(parse_amz_date("+0130524T000000Z").is_none());
    }

    #[test]
    fn parses_authorization_in_both_spacings() {
        let sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
        for sep in [",", ", "] {
            let v = format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request{sep}SignedHeaders=host;range{sep}Signature={sig}"
            );
            let h = parse_authorization_header(&v).unwrap();
            assert_eq!(h.credential.access_key_id, "AKIAIOSFODNN7EXAMPLE");
            assert_eq!(
                h.credential.scope.to_string(),
                "20130524/us-east-1/s3/aws4_request"
            );
            assert_eq!(h.signed_headers, "host;range");
        }
    }

    #[test]
    fn rejects_garbled_authorization() {
        let sig = "a".repeat(64);
        let cases = [
            ("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host".to_owned(), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3, SignedHeaders=host, Signature={sig}"), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/2013052/r/s3/aws4_request, SignedHeaders=host, Signature={sig}"), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=range;host, Signature={sig}"), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=Host, Signature={sig}"), "IncompleteSignature"),
            ("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=abc".to_owned(), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature={sig}, Foo=1"), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA256 Credential=A/20130524/r/s3/aws4_request, Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature={sig}"), "IncompleteSignature"),
            (format!("AWS4-HMAC-SHA1 Credential=A/20130524/r/s3/aws4_request, SignedHeaders=host, Signature={sig}"), "InvalidRequest"),
            ("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=".to_owned(), "InvalidRequest"),
            ("Bearer x".to_owned(), "InvalidRequest"),
            (String::new(), "InvalidRequest"),
        ];
        for (value, code) in cases {
            let err = parse_authorization_header(&value).unwrap_err();
            assert_eq!(err.s3_code(), code, "{value}");
        }
    }
}
