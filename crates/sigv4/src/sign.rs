//! The signing side: `Authorization` headers and presigned URLs, built with the same
//! canonicalization the verifier uses.

use std::borrow::Cow;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::canonical::{canonical_request_prefix, string_to_sign, RequestView};
use crate::chunk_sign::ChunkSigningContext;
use crate::credential::{format_amz_date, CredentialScope, ALGORITHM};
use crate::encode::uri_encode;
use crate::error::SigV4Error;
use crate::key::{Signature, SigningKey};

/// Who signs, where and when.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The region of the scope.
    pub region: &'a str,
    /// The service of the scope (`s3`, `iam`, ...).
    pub service: &'a str,
    /// The signing time.
    pub time: OffsetDateTime,
    /// Whether header signing adds and signs `x-amz-content-sha256`; S3 requires it, so
    /// [`SigningParams::new`] turns it on for `s3` only.
    pub content_sha256_header: bool,
}

impl<'a> SigningParams<'a> {
    /// Parameters with `content_sha256_header` set for S3.
    pub fn new(
        access_key_id: &'a str,
        secret_access_key: &'a str,
        region: &'a str,
        service: &'a str,
        time: OffsetDateTime,
    ) -> Self {
        Self {
            access_key_id,
            secret_access_key,
            region,
            service,
            time,
            content_sha256_header: service == "s3",
        }
    }

    fn scope(&self) -> CredentialScope {
        CredentialScope::new(&format_amz_date(self.time)[..8], self.region, self.service)
    }
}

/// What the signature says about the body.
#[derive(Debug, Clone)]
pub enum SignableBody<'a> {
    /// The whole body; its SHA-256 is signed.
    Bytes(&'a [u8]),
    /// A ready payload-hash value: a hex SHA-256, or one of [`crate::UNSIGNED_PAYLOAD`],
    /// [`crate::STREAMING_PAYLOAD`], [`crate::STREAMING_PAYLOAD_TRAILER`],
    /// [`crate::STREAMING_UNSIGNED_PAYLOAD_TRAILER`].
    Precomputed(Cow<'a, str>),
}

impl SignableBody<'_> {
    fn hash(&self) -> Cow<'_, str> {
        match self {
            Self::Bytes(b) => Cow::Owned(hex::encode(Sha256::digest(b))),
            Self::Precomputed(s) => Cow::Borrowed(s),
        }
    }
}

/// The result of header signing.
#[derive(Debug)]
pub struct SignedRequest {
    headers: Vec<(HeaderName, HeaderValue)>,
    signature: Signature,
    context: ChunkSigningContext,
    canonical_request: String,
    string_to_sign: String,
}

impl SignedRequest {
    /// The headers to set: `x-amz-date`, `x-amz-content-sha256` (when configured) and
    /// `authorization`.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == http::header::AUTHORIZATION)
            .and_then(|(_, v)| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The request signature, the seed of a chunk chain.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The context for signing aws-chunked chunks after these headers.
    pub fn chunk_context(&self) -> ChunkSigningContext {
        self.context.clone()
    }

    /// The canonical request that was signed.
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The string to sign that was signed.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Sets the headers on a request's header map.
    pub fn apply_to(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// Headers that proxies add, drop or rewrite, so signing them would break requests.
const UNSIGNED_HEADERS: [&str; 6] = [
    "authorization",
    "user-agent",
    "expect",
    "transfer-encoding",
    "connection",
    "x-amzn-trace-id",
];

fn signed_header_list(req: RequestView<'_>) -> Result<String, SigV4Error> {
    let mut names: Vec<&str> = req
        .headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| !UNSIGNED_HEADERS.contains(n))
        .collect();
    if !names.contains(&"host") {
        if req.host().is_none() {
            return Err(SigV4Error::invalid("cannot sign a request without a host"));
        }
        names.push("host");
    }
    names.sort_unstable();
    names.dedup();
    Ok(names.join(";"))
}

fn header_value(s: &str) -> Result<HeaderValue, SigV4Error> {
    HeaderValue::from_str(s)
        .map_err(|_| SigV4Error::invalid(format!("cannot send '{s}' as a header value")))
}

/// Signs a request with an `Authorization` header, signing every header it carries except
/// the few proxies are known to change. `uri` carries the path and query as they will be sent.
pub fn sign_headers(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    params: &SigningParams<'_>,
    body: &SignableBody<'_>,
) -> Result<SignedRequest, SigV4Error> {
    let amz_date = format_amz_date(params.time);
    let payload_hash = body.hash();
    let mut headers = headers.clone();
    headers.remove(http::header::AUTHORIZATION);
    let mut added = vec![(
        HeaderName::from_static("x-amz-date"),
        header_value(&amz_date)?,
    )];
    if params.content_sha256_header {
        added.push((
            HeaderName::from_static("x-amz-content-sha256"),
            header_value(&payload_hash)?,
        ));
    }
    for (n, v) in &added {
        headers.insert(n.clone(), v.clone());
    }
    let req = RequestView {
        method,
        uri,
        headers: &headers,
    };
    let signed_headers = signed_header_list(req)?;
    let scope = params.scope();
    let mut canonical = canonical_request_prefix(
        req,
        uri.query().unwrap_or(""),
        None,
        &signed_headers,
        params.service == "s3",
    )?;
    canonical.push_str(&payload_hash);
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let key = SigningKey::derive(
        params.secret_access_key,
        scope.date(),
        scope.region(),
        scope.service(),
    );
    let signature = Signature::compute(&key, sts.as_bytes());
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        params.access_key_id
    );
    let mut auth_value = header_value(&authorization)?;
    auth_value.set_sensitive(true);
    added.push((http::header::AUTHORIZATION, auth_value));
    Ok(SignedRequest {
        headers: added,
        signature,
        context: ChunkSigningContext::new(key, &amz_date, &scope, signature),
        canonical_request: canonical,
        string_to_sign: sts,
    })
}

/// A presigned request's query string, with what was signed.
#[derive(Debug)]
pub struct PresignedQuery {
    query: String,
    canonical_request: String,
    string_to_sign: String,
}

impl PresignedQuery {
    /// The complete query string to send.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Takes the query string out.
    pub fn into_query(self) -> String {
        self.query
    }

    /// The canonical request that was signed.
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The string to sign that was signed.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }
}

/// Presigns a request: gives the complete query string to send (the original query plus
/// the `X-Amz-*` parameters). Every header in `headers` is signed, plus `host`; S3 URLs
/// usually sign only `host` and use `SignableBody::Precomputed(UNSIGNED_PAYLOAD)`.
pub fn presign(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    params: &SigningParams<'_>,
    body: &SignableBody<'_>,
    expires_in: u32,
) -> Result<PresignedQuery, SigV4Error> {
    let amz_date = format_amz_date(params.time);
    let scope = params.scope();
    let req = RequestView {
        method,
        uri,
        headers,
    };
    let signed_headers = signed_header_list(req)?;
    let mut query = uri.query().unwrap_or("").to_owned();
    let credential = format!("{}/{scope}", params.access_key_id);
    for (name, value) in [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &amz_date),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Expires", &expires_in.to_string()),
    ] {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value.as_bytes(), false));
    }
    let mut canonical =
        canonical_request_prefix(req, &query, None, &signed_headers, params.service == "s3")?;
    canonical.push_str(&body.hash());
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let key = SigningKey::derive(
        params.secret_access_key,
        scope.date(),
        scope.region(),
        scope.service(),
    );
    let signature = Signature::compute(&key, sts.as_bytes());
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature.to_hex());
    Ok(PresignedQuery {
        query,
        canonical_request: canonical,
        string_to_sign: sts,
    })
}
