//! [`S4Service`]: the request pipeline (route, authenticate, parse, authorize, execute,
//! respond) as a cheap-to-clone value, callable directly or as a hyper service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::{HeaderValue, HOST};
use http::request::Parts;
use http::{Method, Request, Response};
use http_body::Body;
use hyper::body::{Bytes, Incoming};
use percent_encoding::percent_decode_str;
use rand::RngCore;
use s4_naming::AccountId;
use s4_policy::RequestContext;
use s4_sigv4::{parse_parts, ParsedRequest, SigningKeyCache};
use s4_storage::{BoxError, IdentityStore, ObjectStore, StorageError};
use time::OffsetDateTime;
use tracing::Instrument as _;

use crate::access_log::{auth_failure, unsupported_operation, AccessInfo};
use crate::auth::{authenticate, Principal};
use crate::authz::{self, KeyAccess, PolicyCache};
use crate::body::{request_stream, ResponseBody};
use crate::config::ServiceConfig;
use crate::error_code::S3ErrorCode;
use crate::explain;
use crate::handlers::Env;
use crate::input::{RequestBody, RequestView};
use crate::key_use::KeyUse;
use crate::metrics::Metrics;
use crate::operation::{route, Query, Routed, S3Operation};
use crate::pre_auth::PreAuthGate;
use crate::rate_limit::RateLimiter;
use crate::response::{error_response, ApiError};
use crate::route::{classify_host, split_path, starts_with_account_id, HostStyle};

/// The S4 HTTP service over an object store and an identity store.
///
/// Cloning is cheap (one `Arc`); every clone shares the stores, the configuration and the
/// signing-key cache.
pub struct S4Service<O: ObjectStore, I: IdentityStore> {
    inner: Arc<Inner<O, I>>,
}

struct Inner<O, I> {
    store: Arc<O>,
    identity: Arc<I>,
    config: ServiceConfig,
    keys: SigningKeyCache,
    metrics: Metrics,
    policies: PolicyCache,
    pre_auth: PreAuthGate,
    key_use: KeyUse,
    rate_limiter: Arc<RateLimiter>,
}

impl<O: ObjectStore, I: IdentityStore> Clone for S4Service<O, I> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<O: ObjectStore, I: IdentityStore> std::fmt::Debug for S4Service<O, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S4Service")
            .field("config", &self.inner.config)
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

/// Why the pipeline stopped early: an S3 error, answered as an S3 error document. (IAM
/// requests are answered whole by [`crate::iam::serve`], errors included, and return `Ok`.)
enum Failure {
    S3(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Self::S3(e)
    }
}

impl From<s4_sigv4::SigV4Error> for Failure {
    fn from(e: s4_sigv4::SigV4Error) -> Self {
        Self::S3(e.into())
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Self::S3(e.into())
    }
}

/// Which API a request addresses.
enum Api {
    S3(Option<Box<ParsedRequest>>),
    /// The SigV4 parse, answered IAM-shaped if it failed.
    Iam(Result<Option<Box<ParsedRequest>>, s4_sigv4::SigV4Error>),
}

impl<O: ObjectStore, I: IdentityStore> S4Service<O, I> {
    pub fn new(store: Arc<O>, identity: Arc<I>, config: ServiceConfig) -> Self {
        let metrics = Metrics::default();
        Self {
            inner: Arc::new(Inner {
                store,
                identity,
                pre_auth: PreAuthGate::new(config.pre_auth.clone()),
                rate_limiter: Arc::new(RateLimiter::new(
                    config.account_rate_limit,
                    metrics.clone(),
                )),
                config,
                keys: SigningKeyCache::default(),
                metrics,
                policies: PolicyCache::default(),
                key_use: KeyUse::default(),
            }),
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The service's metrics: every request is recorded here as it is logged; the host adds
    /// what only it sees (see [`Metrics`]).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The per-account request-rate limiter: the host gives it the overrides from its
    /// [`RateLimitStore`](s4_storage::RateLimitStore) ([`RateLimiter::set_overrides`]).
    pub fn rate_limiter(&self) -> &Arc<RateLimiter> {
        &self.inner.rate_limiter
    }

    /// Answers one request. Never fails: every error becomes an S3 (or IAM) error response.
    /// Every response carries `x-amz-request-id` and `x-amz-id-2`.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let (request_id, host_id) = new_request_ids();
        let _in_flight = self.inner.metrics.request_started();
        // Every event of this request, down to the handlers and the storage calls they
        // await, carries its request ID.
        let span = tracing::info_span!("request", request_id = %request_id);
        let head = request.method() == Method::HEAD;
        let (parts, body) = request.into_parts();
        let bytes_in = Arc::new(AtomicU64::new(0));
        let body = CountingBody {
            inner: Box::pin(body),
            count: Arc::clone(&bytes_in),
        };
        let mut access = AccessInfo {
            // The access key ID is copied only for a log line that will be written.
            log_access_key: tracing::enabled!(target: "s4::access", tracing::Level::INFO),
            ..AccessInfo::default()
        };
        let mut response = match self
            .pipeline(&parts, body, &request_id, &mut access)
            .instrument(span.clone())
            .await
        {
            Ok(response) => response,
            Err(Failure::S3(error)) => {
                access.error_code = Some(error.code.as_str());
                let resource = percent_decode_str(parts.uri.path()).decode_utf8_lossy();
                let _entered = span.enter();
                tracing::debug!(code = error.code.as_str(), message = %error.message, %resource, "request failed");
                error_response(&error, &resource, &request_id, head)
            }
        };
        let bytes_out = if head {
            0
        } else {
            response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let latency = started.elapsed();
        let bytes_in = bytes_in.load(Ordering::Relaxed);
        let status = response.status().as_u16();
        let operation = access.operation.unwrap_or("-");
        let metrics = &self.inner.metrics;
        metrics.record_request(operation, status, bytes_in, bytes_out, latency);
        if let Some(reason) = access.auth_error {
            metrics.record_auth_failure(reason);
        }
        let _entered = span.enter();
        crate::access_log::emit(
            &parts,
            &access,
            &self.inner.config.trusted_proxies,
            &request_id,
            status,
            (bytes_in, bytes_out),
            latency,
        );
        crate::cors::decorate(
            &self.inner.config.cors,
            &parts.method,
            &parts.headers,
            response.headers_mut(),
        );
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&host_id) {
            headers.insert("x-amz-id-2", v);
        }
        response
    }

    async fn pipeline<B>(
        &self,
        parts: &Parts,
        body: B,
        request_id: &str,
        access: &mut AccessInfo,
    ) -> Result<Response<ResponseBody>, Failure>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        if let Some(answer) =
            crate::cors::preflight(&inner.config.cors, &parts.method, &parts.headers)
        {
            access.operation = Some("CorsPreflight");
            return Ok(answer?);
        }
        // 1. Route by host.
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
            .unwrap_or_default();
        let style = classify_host(&host, &inner.config.endpoint)
            .map_err(|e| ApiError::with_message(S3ErrorCode::InvalidURI, e.to_string()))?;
        if let Some(answer) = crate::console::answer(parts, &style, inner.config.console) {
            access.operation = Some(crate::console::OPERATION);
            return Ok(answer?);
        }
        let api = match &style {
            HostStyle::Iam => Api::Iam(parse_parts(parts, &["iam"]).map(|p| p.map(Box::new))),
            HostStyle::S3Path | HostStyle::S3Virtual { .. } => {
                check_decoded_length(&parts.headers)?;
                Api::S3(parse_parts(parts, &["s3"])?.map(Box::new))
            }
            // An IAM-scoped request is answered IAM-shaped even when its signature data does
            // not parse.
            HostStyle::Bare if crate::route::signed_for_iam(parts) => {
                Api::Iam(parse_parts(parts, &["s3", "iam"]).map(|p| p.map(Box::new)))
            }
            HostStyle::Bare => {
                check_decoded_length(&parts.headers)?;
                match parse_parts(parts, &["s3", "iam"])? {
                    Some(parsed) if parsed.scope().service() == "iam" => {
                        Api::Iam(Ok(Some(Box::new(parsed))))
                    }
                    parsed => Api::S3(parsed.map(Box::new)),
                }
            }
        };
        let parsed = match api {
            Api::Iam(parsed) => {
                if let Ok(Some(p)) = &parsed {
                    access.set_access_key(p.access_key_id());
                }
                let served = crate::iam::serve(
                    &*inner.identity,
                    &inner.keys,
                    (&inner.pre_auth, &inner.rate_limiter),
                    parts,
                    body,
                    parsed.map(|p| p.map(|p| *p)),
                    request_id,
                )
                .await;
                access.principal = served.principal.as_ref().map(principal_name);
                if let Some(principal) = &served.principal {
                    inner.key_use.note(&inner.identity, principal);
                }
                access.operation = served.action;
                access.error_code = served.error_code;
                if served.principal.is_none() && served.response.status() == 403 {
                    access.auth_error = served.error_code;
                }
                return Ok(served.response);
            }
            Api::S3(parsed) => parsed.map(|p| *p),
        };
        // 2. Authenticate.
        if let Some(p) = &parsed {
            access.set_access_key(p.access_key_id());
        }
        let auth = authenticate(
            parsed,
            &*inner.identity,
            &inner.keys,
            OffsetDateTime::now_utc(),
        )
        .await
        .inspect_err(|e| {
            if e.code.status() == 403 {
                access.auth_error = Some(auth_failure(e));
            }
        })?;
        access.principal = Some(principal_name(&auth.principal));
        inner.key_use.note(&inner.identity, &auth.principal);
        // The S4 extension endpoints under `/_s4/` (no bucket can be named so).
        if parts.uri.path() == explain::PATH && !matches!(style, HostStyle::S3Virtual { .. }) {
            access.operation = Some(explain::OPERATION);
            let stores = explain::Stores {
                store: &*inner.store,
                identity: &*inner.identity,
                policies: &inner.policies,
            };
            let body = (request_stream(body), auth.payload);
            let limits = &inner.config.limits;
            return Ok(explain::serve(stores, parts, &auth.principal, body, limits).await?);
        }
        // 3. Bucket and key from the path.
        let virtual_bucket = match &style {
            HostStyle::S3Virtual { bucket } => Some(bucket.as_str()),
            _ => None,
        };
        let raw_path = parts.uri.path();
        let public = auth.principal == Principal::Anonymous && starts_with_account_id(raw_path);
        let target = split_path(raw_path, virtual_bucket, public)
            .map_err(|e| ApiError::with_message(S3ErrorCode::InvalidURI, e.to_string()))?;
        if let Some(account) = &target.public_account {
            if inner.identity.get_account(account).await?.is_none() {
                return Err(ApiError::new(S3ErrorCode::NoSuchAccessPoint).into());
            }
        }
        // 4. The typed operation.
        access.bucket = target.bucket.clone().unwrap_or_default();
        access.key = target.key.clone().unwrap_or_default();
        let query = Query::parse(parts.uri.query().unwrap_or(""));
        let routed = route(
            &parts.method,
            target.bucket.as_deref(),
            target.key.as_deref(),
            &query,
            &parts.headers,
        )
        .inspect_err(|e| {
            if e.code == S3ErrorCode::NotImplemented {
                access.operation = Some(unsupported_operation(
                    &parts.method,
                    target.key.is_some(),
                    parts.uri.query().unwrap_or(""),
                ));
            }
        })?;
        let operation = routed.operation;
        access.operation = Some(operation.name());
        // The request's account is known (the signer's, or a public URL's owner) and its
        // operation named for the access log: charge the account before the body is read or
        // anything else is looked up.
        if let Some(account) = auth.principal.account().or(target.public_account.as_ref()) {
            inner.rate_limiter.admit(account).map_err(ApiError::from)?;
        }
        // 5. Authorize, before anything touches storage.
        let owner = resource_owner(
            &*inner.identity,
            &auth.principal,
            target.public_account,
            &parts.headers,
        )
        .await?;
        let bucket = target.bucket.unwrap_or_default();
        let key = target.key.unwrap_or_default();
        let key_access = self
            .authorize_s3(
                parts,
                &query,
                &routed,
                &auth.principal,
                owner,
                &bucket,
                &key,
            )
            .await?;
        let account = owner;
        // 6. Refuse what S4 does not implement, before any handler can store a byte.
        crate::refusals::check(&operation, &parts.headers, &query)?;
        // 7. Execute.
        let env = Env {
            store: &*inner.store,
            config: &inner.config,
            account,
            bucket,
            key,
            head: parts.method == Method::HEAD,
            policies: &inner.policies,
            key_access,
        };
        let request = RequestView {
            headers: &parts.headers,
            query: &query,
            account: &env.account,
            bucket: &env.bucket,
            key: &env.key,
            limits: &inner.config.limits,
        };
        let body = RequestBody::new(request_stream(body), auth.payload, &request);
        let answer = crate::operation::dispatch(operation, &env, &request, body).await;
        Ok(answer.inspect_err(|error| {
            if let Some(limit) = error.quota_limit {
                inner.metrics.record_quota_refusal(&account, limit);
                tracing::warn!(%account, limit, "write refused by the account's storage quota");
            }
        })?)
    }

    /// Decides every check of `operation` with the policy engine (see [`crate::authz`]);
    /// the first that is not allowed is refused ([`authz::refusal`]). For DeleteObjects returns what the
    /// handler needs to decide per key.
    #[allow(clippy::too_many_arguments)]
    async fn authorize_s3<'p>(
        &self,
        parts: &Parts,
        query: &Query,
        routed: &Routed,
        principal: &'p Principal,
        owner: AccountId,
        bucket: &str,
        key: &str,
    ) -> Result<Option<KeyAccess<'p>>, ApiError> {
        let inner = &*self.inner;
        let identity = authz::principal_policies(&*inner.identity, principal).await?;
        // The owning account's root is allowed whatever no bucket policy denies: without a
        // bucket policy there is nothing to evaluate, and the context (a dozen condition keys,
        // formatted times, about 35 allocations) is not built. Not taken when decisions are
        // being logged, so that the log shows every decision.
        let owner_root = matches!(principal, Principal::Root { account, .. } if *account == owner)
            && !tracing::enabled!(target: "s4::authz", tracing::Level::DEBUG);
        let mut ctx = None;
        let operation = routed.operation;
        for check in operation.checks(bucket, key, routed.copy_source.as_ref()) {
            let bucket_policy = if check.bucket.is_empty() {
                None
            } else {
                inner
                    .policies
                    .get(&*inner.store, &owner, check.bucket)
                    .await?
            };
            if owner_root && bucket_policy.is_none() {
                continue;
            }
            let ctx = match &mut ctx {
                Some(ctx) => ctx,
                None => ctx.insert(policy_context(parts, query, operation, principal)),
            };
            ctx.set_action(check.action);
            ctx.set_resource(check.resource);
            let decision =
                authz::decide_logged(ctx, Some(owner), &identity, bucket_policy.as_deref());
            if !decision.is_allowed() {
                return Err(authz::refusal(decision));
            }
        }
        if operation != S3Operation::DeleteObjects {
            return Ok(None);
        }
        let ctx = match ctx {
            Some(ctx) => ctx,
            None => policy_context(parts, query, operation, principal),
        };
        let bucket_policy = inner.policies.get(&*inner.store, &owner, bucket).await?;
        Ok(Some(KeyAccess {
            ctx,
            owner,
            identity,
            bucket_policy,
        }))
    }
}

/// The policy engine's view of the request: the principal (borrowed) and the condition keys
/// (the action and resource are set per check).
fn policy_context<'p>(
    parts: &Parts,
    query: &Query,
    operation: S3Operation,
    principal: &'p Principal,
) -> RequestContext<'p> {
    let mut ctx = RequestContext::new(principal.policy_view(), "", "");
    let now = OffsetDateTime::now_utc();
    for (k, v) in authz::request_keys(parts, now)
        .into_iter()
        .chain(authz::s3_keys(
            parts,
            query,
            operation,
            *principal != Principal::Anonymous,
        ))
    {
        ctx.insert(k, v);
    }
    ctx
}

/// The account whose resources a request addresses: the account of a public URL
/// (`/<account-id>/...`, anonymous requests), the account named by
/// `x-amz-expected-bucket-owner` (signed cross-account requests), else the principal's own.
/// Anonymous requests without an account ID in the URL address no account (`AccessDenied`);
/// an unknown account is `NoSuchAccessPoint`.
async fn resource_owner<I: IdentityStore>(
    identity: &I,
    principal: &Principal,
    public_account: Option<AccountId>,
    headers: &http::HeaderMap,
) -> Result<AccountId, ApiError> {
    if let Some(account) = public_account {
        return Ok(account);
    }
    let Some(own) = principal.account() else {
        return Err(ApiError::new(S3ErrorCode::AccessDenied));
    };
    let Some(value) = headers.get("x-amz-expected-bucket-owner") else {
        return Ok(*own);
    };
    let raw = value.to_str().unwrap_or("").trim();
    let account = AccountId::parse(raw).map_err(|_| {
        ApiError::invalid_argument(
            "x-amz-expected-bucket-owner must be a 15-digit account ID.",
            "x-amz-expected-bucket-owner",
            raw,
        )
    })?;
    if account != *own && identity.get_account(&account).await?.is_none() {
        return Err(ApiError::new(S3ErrorCode::NoSuchAccessPoint));
    }
    Ok(account)
}

/// An aws-chunked request must say how long its decoded payload is; a missing or malformed
/// `x-amz-decoded-content-length` is `InvalidArgument` (spec, PutObject errors). Checked
/// before the signature, since no secret is needed to see it.
fn check_decoded_length(headers: &http::HeaderMap) -> Result<(), ApiError> {
    let streaming = headers
        .get("x-amz-content-sha256")
        .is_some_and(|v| v.as_bytes().starts_with(b"STREAMING-"));
    if !streaming {
        return Ok(());
    }
    match headers.get("x-amz-decoded-content-length") {
        Some(v)
            if !v.is_empty() && v.len() <= 19 && v.as_bytes().iter().all(u8::is_ascii_digit) =>
        {
            Ok(())
        }
        Some(v) => Err(ApiError::invalid_argument(
            "Invalid x-amz-decoded-content-length.",
            "x-amz-decoded-content-length",
            &String::from_utf8_lossy(v.as_bytes()),
        )),
        None => Err(ApiError::invalid_argument(
            "Missing x-amz-decoded-content-length for an aws-chunked payload.",
            "x-amz-decoded-content-length",
            "",
        )),
    }
}

/// The principal as the access log names it: the account root or user ARN (never a key),
/// or `anonymous`.
fn principal_name(principal: &Principal) -> String {
    principal.arn().unwrap_or_else(|| "anonymous".to_owned())
}

/// A request body that counts the data bytes read through it, for the access log.
struct CountingBody<B> {
    inner: Pin<Box<B>>,
    count: Arc<AtomicU64>,
}

impl<B> Body for CountingBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                this.count.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn new_request_ids() -> (String, String) {
    let mut rng = rand::rng();
    let mut id = [0u8; 8];
    rng.fill_bytes(&mut id);
    let mut host = [0u8; 32];
    rng.fill_bytes(&mut host);
    (hex::encode_upper(id), STANDARD.encode(host))
}

impl<O: ObjectStore, I: IdentityStore> hyper::service::Service<Request<Incoming>>
    for S4Service<O, I>
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.handle(request).await) })
    }
}
