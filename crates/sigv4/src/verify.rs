//! Verification of header-signed and presigned requests, in two phases: [`parse_request`]
//! needs no secret, so the caller can look the access key up (asynchronously) in between;
//! [`ParsedRequest::verify`] then checks time and signature.

use http::request::Parts;
use http::{HeaderMap, Method, Uri};
use time::{Duration, OffsetDateTime};

use crate::canonical::{canonical_request_prefix, string_to_sign, RequestView};
use crate::checksum::ChecksumAlgorithm;
use crate::chunk_sign::ChunkSigningContext;
use crate::chunked::ChunkedDecoder;
use crate::credential::{
    check_signed_headers, format_amz_date, parse_amz_date, parse_authorization_header,
    parse_credential, CredentialScope, ALGORITHM,
};
use crate::error::SigV4Error;
use crate::http_date::parse_http_date;
use crate::key::{Signature, SigningKeyCache};

/// How far the request time may be from the server's, either way.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);
/// The longest `X-Amz-Expires` accepted: seven days.
pub const MAX_PRESIGNED_EXPIRES: u32 = 604_800;

/// `x-amz-content-sha256` value of a body that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` value of an aws-chunked body with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// Signed chunks followed by a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// Unsigned chunks followed by an unsigned trailer (the botocore default over HTTPS).
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// The `Authorization` header.
    Header,
    /// Presigned-URL query parameters, valid for `expires` seconds.
    Presigned {
        /// `X-Amz-Expires`.
        expires: u32,
    },
}

/// What the declared `x-amz-content-sha256` promises about the body, before verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeclaredPayload {
    Sha256([u8; 32]),
    Unsigned,
    Streaming,
    StreamingTrailer,
    StreamingUnsignedTrailer,
}

/// A request whose authentication data parsed, not yet verified.
#[derive(Debug)]
pub struct ParsedRequest {
    kind: AuthKind,
    access_key_id: String,
    scope: CredentialScope,
    timestamp: OffsetDateTime,
    amz_date: String,
    signature: Signature,
    canonical_prefix: String,
    /// The last canonical-request line, when the request itself says what it is.
    payload_hash: Option<String>,
    declared: Option<DeclaredPayload>,
    decoded_length: Option<u64>,
    trailer: Option<ChecksumAlgorithm>,
}

/// How the server must treat the body of a verified request.
#[derive(Debug, Clone)]
pub enum PayloadMode {
    /// The body's SHA-256 must equal this; hash while streaming ([`crate::Sha256Stream`]) and
    /// fail at the end.
    Sha256([u8; 32]),
    /// The body is not covered by the signature.
    Unsigned,
    /// aws-chunked with signed chunks; decode with [`ChunkedDecoder`].
    StreamingSigned {
        /// Seed signature and key for the chunk chain.
        context: ChunkSigningContext,
        /// `x-amz-decoded-content-length`.
        decoded_length: u64,
    },
    /// aws-chunked with unsigned chunks and a trailer.
    StreamingUnsignedTrailer {
        /// The checksum named by `x-amz-trailer`, if any.
        trailer: Option<ChecksumAlgorithm>,
        /// `x-amz-decoded-content-length`.
        decoded_length: u64,
    },
    /// aws-chunked with signed chunks and a signed trailer.
    StreamingSignedTrailer {
        /// Seed signature and key for the chunk chain.
        context: ChunkSigningContext,
        /// The checksum named by `x-amz-trailer`, if any.
        trailer: Option<ChecksumAlgorithm>,
        /// `x-amz-decoded-content-length`.
        decoded_length: u64,
    },
}

impl PayloadMode {
    /// The aws-chunked decoder for the streaming modes; `None` for a plain body.
    pub fn chunked_decoder(&self) -> Option<ChunkedDecoder> {
        match self {
            Self::Sha256(_) | Self::Unsigned => None,
            Self::StreamingSigned {
                context,
                decoded_length,
            } => Some(ChunkedDecoder::new(
                Some(context.clone()),
                false,
                None,
                *decoded_length,
            )),
            Self::StreamingUnsignedTrailer {
                trailer,
                decoded_length,
            } => Some(ChunkedDecoder::new(None, true, *trailer, *decoded_length)),
            Self::StreamingSignedTrailer {
                context,
                trailer,
                decoded_length,
            } => Some(ChunkedDecoder::new(
                Some(context.clone()),
                true,
                *trailer,
                *decoded_length,
            )),
        }
    }
}

/// A request whose signature verified.
#[derive(Debug)]
pub struct VerifiedRequest {
    access_key_id: String,
    scope: CredentialScope,
    kind: AuthKind,
    payload: PayloadMode,
}

impl VerifiedRequest {
    /// The authenticated access key.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope (date, region, service).
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }

    /// Header or presigned authentication.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }

    /// How to treat the body.
    pub fn payload(&self) -> &PayloadMode {
        &self.payload
    }

    /// Takes the payload mode out.
    pub fn into_payload(self) -> PayloadMode {
        self.payload
    }
}

/// [`parse_request`] for `http::request::Parts`.
pub fn parse_parts(parts: &Parts, services: &[&str]) -> Result<Option<ParsedRequest>, SigV4Error> {
    parse_request(&parts.method, &parts.uri, &parts.headers, services)
}

/// Parses the authentication data of a request without any secret.
///
/// `services` lists the credential-scope services this endpoint accepts (for example
/// `&["s3"]`, `&["iam"]`); another one is `InvalidRequest`. Returns `Ok(None)` for an
/// anonymous request (neither an `Authorization` header nor presigned parameters).
/// `uri` must carry the raw path and query as received.
pub fn parse_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    services: &[&str],
) -> Result<Option<ParsedRequest>, SigV4Error> {
    let raw_query = uri.query().unwrap_or("");
    let params = QueryParams::parse(raw_query);
    if headers.contains_key("x-amz-security-token") || params.contains("X-Amz-Security-Token") {
        return Err(SigV4Error::SecurityTokenNotSupported);
    }
    let req = RequestView {
        method,
        uri,
        headers,
    };
    let mut auth_values = headers.get_all(http::header::AUTHORIZATION).iter();
    let presigned = params.contains("X-Amz-Algorithm")
        || params.contains("X-Amz-Credential")
        || params.contains("X-Amz-Signature");
    match auth_values.next() {
        Some(value) => {
            if auth_values.next().is_some() {
                return Err(SigV4Error::invalid("Only one Authorization header is allowed"));
            }
            if presigned {
                return Err(SigV4Error::invalid("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified"));
            }
            let value = value
                .to_str()
                .map_err(|_| SigV4Error::ValidationError("Authorization header is not valid ASCII".to_owned()))?;
            parse_header_auth(req, raw_query, value, services).map(Some)
        }
        None if presigned => parse_presigned(req, raw_query, &params, services).map(Some),
        None if params.contains("AWSAccessKeyId") || params.contains("Signature") => Err(SigV4Error::invalid(
            "Query-string authentication version 2 is not supported. Please use AWS4-HMAC-SHA256: \
             presign with signature_version = s3v4 (awscli: `aws configure set \
             default.s3.signature_version s3v4`; boto3: `Config(signature_version=\"s3v4\")`).",
        )),
        None => Ok(None),
    }
}

/// Decoded `name=value` pairs of the raw query, enough to read the `X-Amz-*` parameters.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(raw: &str) -> Self {
        let text = |b: Vec<u8>| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        Self(
            crate::encode::query_pairs(raw)
                .map(|(n, v)| (text(n), text(v)))
                .collect(),
        )
    }

    fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The single value of a required parameter.
    fn one(&self, name: &str) -> Result<&str, SigV4Error> {
        let mut found = self.0.iter().filter(|(n, _)| n == name);
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Ok(v),
            (None, _) => Err(SigV4Error::query(format!(
                "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; '{name}' is missing."
            ))),
            (Some(_), Some(_)) => Err(SigV4Error::query(format!("'{name}' appears more than once"))),
        }
    }
}

fn check_service(scope: &CredentialScope, services: &[&str]) -> Result<(), SigV4Error> {
    if services.contains(&scope.service()) {
        Ok(())
    } else {
        Err(SigV4Error::invalid(format!(
            "Credential should be scoped to a valid service: '{}' is not expected here",
            scope.service()
        )))
    }
}

/// `host` and every `x-amz-*` header the request carries must be signed, or a middlebox could
/// add or change them undetected.
fn check_required_signed(req: RequestView<'_>, signed_headers: &str) -> Result<(), SigV4Error> {
    let signed = |name: &str| signed_headers.split(';').any(|n| n == name);
    if !signed("host") {
        return Err(SigV4Error::HeaderNotSigned("host".to_owned()));
    }
    for name in req.headers.keys() {
        if name.as_str().starts_with("x-amz-") && !signed(name.as_str()) {
            return Err(SigV4Error::HeaderNotSigned(name.as_str().to_owned()));
        }
    }
    Ok(())
}

fn declared_payload(value: &str) -> Result<DeclaredPayload, SigV4Error> {
    Ok(match value {
        UNSIGNED_PAYLOAD => DeclaredPayload::Unsigned,
        STREAMING_PAYLOAD => DeclaredPayload::Streaming,
        STREAMING_PAYLOAD_TRAILER => DeclaredPayload::StreamingTrailer,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => DeclaredPayload::StreamingUnsignedTrailer,
        _ => {
            let mut digest = [0u8; 32];
            if value.len() != 64 || hex::decode_to_slice(value, &mut digest).is_err() {
                return Err(SigV4Error::invalid(format!(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a hex SHA-256; got '{value}'"
                )));
            }
            DeclaredPayload::Sha256(digest)
        }
    })
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, SigV4Error> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map(str::trim)
                .map_err(|_| SigV4Error::ValidationError(format!("{name} is not valid ASCII")))
        })
        .transpose()
}

/// Payload, decoded length and trailer from the headers, shared by both auth kinds.
struct PayloadInfo {
    hash: Option<String>,
    declared: Option<DeclaredPayload>,
    decoded_length: Option<u64>,
    trailer: Option<ChecksumAlgorithm>,
}

fn payload_info(headers: &HeaderMap, s3: bool, presigned: bool) -> Result<PayloadInfo, SigV4Error> {
    let Some(value) = header_str(headers, "x-amz-content-sha256")? else {
        if !s3 {
            return Ok(PayloadInfo {
                hash: None,
                declared: None,
                decoded_length: None,
                trailer: None,
            });
        }
        if presigned {
            return Ok(PayloadInfo {
                hash: Some(UNSIGNED_PAYLOAD.to_owned()),
                declared: Some(DeclaredPayload::Unsigned),
                decoded_length: None,
                trailer: None,
            });
        }
        return Err(SigV4Error::MissingSecurityHeader(
            "Missing required header for this request: x-amz-content-sha256".to_owned(),
        ));
    };
    let declared = declared_payload(value)?;
    let streaming = matches!(
        declared,
        DeclaredPayload::Streaming
            | DeclaredPayload::StreamingTrailer
            | DeclaredPayload::StreamingUnsignedTrailer
    );
    let mut decoded_length = None;
    let mut trailer = None;
    if streaming {
        if presigned {
            return Err(SigV4Error::invalid(
                "aws-chunked bodies cannot be sent with a presigned URL",
            ));
        }
        let len = header_str(headers, "x-amz-decoded-content-length")?.ok_or_else(|| {
            SigV4Error::invalid("aws-chunked body requires the x-amz-decoded-content-length header")
        })?;
        if len.is_empty() || len.len() > 19 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SigV4Error::invalid(format!(
                "Invalid x-amz-decoded-content-length: '{len}'"
            )));
        }
        decoded_length = Some(
            len.parse()
                .map_err(|_| SigV4Error::invalid("Invalid x-amz-decoded-content-length"))?,
        );
        if declared != DeclaredPayload::Streaming {
            if let Some(name) = header_str(headers, "x-amz-trailer")? {
                if !name.is_empty() {
                    trailer = Some(ChecksumAlgorithm::from_header_name(name).ok_or_else(|| {
                        SigV4Error::invalid(format!("Unsupported x-amz-trailer: '{name}'"))
                    })?);
                }
            }
        }
    }
    Ok(PayloadInfo {
        hash: Some(value.to_owned()),
        declared: Some(declared),
        decoded_length,
        trailer,
    })
}

fn parse_header_auth(
    req: RequestView<'_>,
    raw_query: &str,
    value: &str,
    services: &[&str],
) -> Result<ParsedRequest, SigV4Error> {
    let auth = parse_authorization_header(value)?;
    let scope = auth.credential.scope;
    check_service(&scope, services)?;
    check_required_signed(req, &auth.signed_headers)?;
    let (timestamp, amz_date) = if let Some(v) = header_str(req.headers, "x-amz-date")? {
        let t = parse_amz_date(v).ok_or_else(|| {
            SigV4Error::MissingSecurityHeader(format!("Invalid x-amz-date: '{v}'"))
        })?;
        (t, v.to_owned())
    } else if auth.signed_headers.split(';').any(|n| n == "date") {
        // Only without `x-amz-date` is `Date` the request time; beside it, `Date` is just
        // another signed header (botocore sends `Date: ... -0000` there on some paths).
        let v = header_str(req.headers, "date")?.unwrap_or("");
        let t = parse_http_date(v).ok_or_else(|| {
            SigV4Error::MissingSecurityHeader(format!("Invalid Date header: '{v}'"))
        })?;
        (t, format_amz_date(t))
    } else {
        return Err(SigV4Error::MissingSecurityHeader(
            "AWS authentication requires a valid Date or x-amz-date header".to_owned(),
        ));
    };
    if amz_date[..8] != *scope.date() {
        return Err(SigV4Error::incomplete(format!(
            "Invalid credential date '{}': it is not the same as the request date '{}'",
            scope.date(),
            &amz_date[..8]
        )));
    }
    let s3 = scope.service() == "s3";
    let payload = payload_info(req.headers, s3, false)?;
    let canonical_prefix =
        canonical_request_prefix(req, raw_query, None, &auth.signed_headers, s3)?;
    Ok(ParsedRequest {
        kind: AuthKind::Header,
        access_key_id: auth.credential.access_key_id,
        scope,
        timestamp,
        amz_date,
        signature: auth.signature,
        canonical_prefix,
        payload_hash: payload.hash,
        declared: payload.declared,
        decoded_length: payload.decoded_length,
        trailer: payload.trailer,
    })
}

fn parse_presigned(
    req: RequestView<'_>,
    raw_query: &str,
    params: &QueryParams,
    services: &[&str],
) -> Result<ParsedRequest, SigV4Error> {
    let algorithm = params.one("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(SigV4Error::query(format!(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\", not '{algorithm}'"
        )));
    }
    let credential = parse_credential(
        params.one("X-Amz-Credential")?,
        SigV4Error::AuthorizationQueryParametersError,
    )?;
    let amz_date = params.one("X-Amz-Date")?;
    let timestamp = parse_amz_date(amz_date).ok_or_else(|| {
        SigV4Error::query(format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\": '{amz_date}'"
        ))
    })?;
    let expires = params.one("X-Amz-Expires")?;
    let expires: u32 = match expires.parse() {
        Ok(n)
            if expires.bytes().all(|b| b.is_ascii_digit())
                && (1..=MAX_PRESIGNED_EXPIRES).contains(&n) =>
        {
            n
        }
        _ => {
            return Err(SigV4Error::query(format!(
                "X-Amz-Expires must be an integer between 1 and 604800 seconds: '{expires}'"
            )))
        }
    };
    let signed_headers = params.one("X-Amz-SignedHeaders")?;
    check_signed_headers(
        signed_headers,
        SigV4Error::AuthorizationQueryParametersError,
    )?;
    let signature = Signature::from_hex(params.one("X-Amz-Signature")?)
        .ok_or_else(|| SigV4Error::query("X-Amz-Signature must be 64 hexadecimal digits"))?;
    let scope = credential.scope;
    check_service(&scope, services)?;
    if amz_date[..8] != *scope.date() {
        return Err(SigV4Error::query(format!(
            "Invalid credential date '{}': it is not the same as X-Amz-Date '{}'",
            scope.date(),
            &amz_date[..8]
        )));
    }
    check_required_signed(req, signed_headers)?;
    let s3 = scope.service() == "s3";
    let payload = payload_info(req.headers, s3, true)?;
    let canonical_prefix =
        canonical_request_prefix(req, raw_query, Some("X-Amz-Signature"), signed_headers, s3)?;
    Ok(ParsedRequest {
        kind: AuthKind::Presigned { expires },
        access_key_id: credential.access_key_id,
        scope,
        timestamp,
        amz_date: amz_date.to_owned(),
        signature,
        canonical_prefix,
        payload_hash: payload.hash,
        declared: payload.declared,
        decoded_length: payload.decoded_length,
        trailer: payload.trailer,
    })
}

impl ParsedRequest {
    /// The access key to look up.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope.
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }

    /// Header or presigned authentication.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }

    /// The request time the client signed.
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// True when the request does not declare its payload hash (a non-S3 request without
    /// `x-amz-content-sha256`, such as an IAM form POST): the caller must read the (small)
    /// body and pass its SHA-256 to [`ParsedRequest::with_body_sha256`] before verifying.
    pub fn needs_body_sha256(&self) -> bool {
        self.payload_hash.is_none()
    }

    /// Supplies the SHA-256 of the body the caller read. Ignored when the request declares
    /// its own payload hash, since the signature covers that declaration instead.
    #[must_use]
    pub fn with_body_sha256(mut self, digest: [u8; 32]) -> Self {
        if self.payload_hash.is_none() {
            self.payload_hash = Some(hex::encode(digest));
            self.declared = Some(DeclaredPayload::Sha256(digest));
        }
        self
    }

    /// Checks the time and the signature with the secret the caller found for
    /// [`ParsedRequest::access_key_id`]. `now` is the server's clock.
    pub fn verify(
        &self,
        secret_access_key: &str,
        now: OffsetDateTime,
        cache: &SigningKeyCache,
    ) -> Result<VerifiedRequest, SigV4Error> {
        match self.kind {
            AuthKind::Header => {
                if (now - self.timestamp).abs() > MAX_CLOCK_SKEW {
                    return Err(SigV4Error::RequestTimeTooSkewed);
                }
            }
            AuthKind::Presigned { expires } => {
                if self.timestamp - now > MAX_CLOCK_SKEW {
                    return Err(SigV4Error::RequestTimeTooSkewed);
                }
                if now - self.timestamp > Duration::seconds(i64::from(expires)) {
                    return Err(SigV4Error::Expired);
                }
            }
        }
        let (Some(payload_hash), Some(declared)) = (&self.payload_hash, self.declared) else {
            return Err(SigV4Error::MissingSecurityHeader(
                "Missing required header for this request: x-amz-content-sha256".to_owned(),
            ));
        };
        let mut canonical_request =
            String::with_capacity(self.canonical_prefix.len() + payload_hash.len());
        canonical_request.push_str(&self.canonical_prefix);
        canonical_request.push_str(payload_hash);
        let sts = string_to_sign(&self.amz_date, &self.scope, &canonical_request);
        let key = cache.get_or_derive(
            secret_access_key,
            self.scope.date(),
            self.scope.region(),
            self.scope.service(),
        );
        let computed = Signature::compute(&key, sts.as_bytes());
        if !computed.ct_eq(&self.signature) {
            return Err(SigV4Error::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign: sts,
            });
        }
        let context =
            || ChunkSigningContext::new(key.clone(), &self.amz_date, &self.scope, computed);
        let decoded_length = self.decoded_length.unwrap_or(0);
        let payload = match declared {
            DeclaredPayload::Sha256(d) => PayloadMode::Sha256(d),
            DeclaredPayload::Unsigned => PayloadMode::Unsigned,
            DeclaredPayload::Streaming => PayloadMode::StreamingSigned {
                context: context(),
                decoded_length,
            },
            DeclaredPayload::StreamingTrailer => PayloadMode::StreamingSignedTrailer {
                context: context(),
                trailer: self.trailer,
                decoded_length,
            },
            DeclaredPayload::StreamingUnsignedTrailer => PayloadMode::StreamingUnsignedTrailer {
                trailer: self.trailer,
                decoded_length,
            },
        };
        Ok(VerifiedRequest {
            access_key_id: self.access_key_id.clone(),
            scope: self.scope.clone(),
            kind: self.kind,
            payload,
        })
    }
}
