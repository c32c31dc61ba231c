//! The canonical request and the string to sign, shared by the signer and the verifier so that
//! both sides always agree on the bytes.

use http::{HeaderMap, Method, Uri};

use crate::credential::{CredentialScope, ALGORITHM};
use crate::encode::{canonical_query, canonical_uri, push_header_value};
use crate::error::SigV4Error;
use crate::key::sha256_hex;

/// The request parts a signature covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestView<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
}

impl RequestView<'_> {
    /// The `host` value; HTTP/2 carries it as `:authority`, which `http` puts in the URI.
    pub(crate) fn host(&self) -> Option<&[u8]> {
        self.headers
            .get(http::header::HOST)
            .map(http::HeaderValue::as_bytes)
            .or_else(|| self.uri.authority().map(|a| a.as_str().as_bytes()))
    }
}

/// Everything up to the payload-hash line, which the verifier of an IAM request only learns
/// after reading the body.
pub(crate) fn canonical_request_prefix(
    req: RequestView<'_>,
    raw_query: &str,
    exclude_query: Option<&str>,
    signed_headers: &str,
    s3: bool,
) -> Result<String, SigV4Error> {
    let mut out = String::with_capacity(256);
    out.push_str(req.method.as_str());
    out.push('\n');
    out.push_str(&canonical_uri(req.uri.path(), s3));
    out.push('\n');
    out.push_str(&canonical_query(raw_query, exclude_query));
    out.push('\n');
    for name in signed_headers.split(';') {
        out.push_str(name);
        out.push(':');
        if name == "host" {
            let host = req.host().ok_or_else(|| {
                SigV4Error::incomplete("Signed header 'host' is missing from the request")
            })?;
            push_header_value(&mut out, host);
        } else {
            let mut values = req.headers.get_all(name).iter().peekable();
            if values.peek().is_none() {
                return Err(SigV4Error::incomplete(format!(
                    "Signed header '{name}' is missing from the request"
                )));
            }
            for (i, value) in values.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_header_value(&mut out, value.as_bytes());
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(
    amz_date: &str,
    scope: &CredentialScope,
    canonical_request: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}
