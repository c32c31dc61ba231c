//! Authorization of S3 and IAM requests with the policy engine of `s4-policy`.
//!
//! Per request the service builds one [`RequestContext`] ([`request_keys`]): the principal
//! (root, IAM user with name and user ID, or anonymous: a view borrowed from the request's
//! one [`Principal`]), `aws:SourceIp` and
//! `aws:SecureTransport` from the [`ConnectionInfo`] the server put into the request's
//! extensions (a request without it counts as plain HTTP from an unknown address, so
//! `aws:SourceIp` is absent), `aws:CurrentTime`, `aws:EpochTime`, `aws:UserAgent`,
//! `aws:Referer`, and for S3 `s3:x-amz-content-sha256`, `s3:signatureversion`
//! (`AWS4-HMAC-SHA256`), `s3:authType` (`REST-HEADER` or `REST-QUERY-STRING`),
//! `s3:x-amz-copy-source`, `s3:x-amz-metadata-directive` and, for listings, `s3:prefix`,
//! `s3:delimiter` and `s3:max-keys`.
//!
//! Each [`AccessCheck`](crate::operation::AccessCheck) of the operation is decided with
//! [`decide`] against the user's identity policies ([`s4_iam::identity_policies`]: its own
//! attachments and its groups', the managed policies' compiled forms) and the bucket policy
//! of the bucket the check is about. Decisions are logged at `DEBUG` with target
//! `s4::authz` and the [`explain`] trace; an `AccessDenied` answer never carries policy
//! contents.
//!
//! # Bucket policy cache
//!
//! [`PolicyCache`] keeps compiled bucket policies (and the absence of one) keyed by
//! `(account, bucket)`, at most [`POLICY_CACHE_CAPACITY`] entries (cleared whole when full).
//! The store is the source of truth: PutBucketPolicy, DeleteBucketPolicy and DeleteBucket
//! invalidate the entry after the store has committed, and a load that raced with an
//! invalidation is not cached (an epoch counter), so within one process a policy change
//! applies to every request that starts after the change was acknowledged: no staleness.
//! Changes made elsewhere (other processes sharing the store) are the store's to signal:
//! an entry is used only while [`ObjectStore::policy_cache_epoch`] answers what it answered
//! before the entry was loaded, and nothing is cached while it answers `None` (the
//! PostgreSQL backend moves it on every notified change: docs/scale-out.md).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use http::request::Parts;
use http::HeaderMap;
use s4_naming::AccountId;
use s4_policy::actions::object_arn;
use s4_policy::{decide, explain, keys, CompiledPolicy, Decision, RequestContext};
use s4_storage::{IdentityStore, ObjectStore, StorageError};
use time::OffsetDateTime;

use crate::auth::Principal;
use crate::connection::ConnectionInfo;
use crate::error_code::S3ErrorCode;
use crate::operation::{Query, S3Operation};
use crate::response::ApiError;

/// Most bucket policies (or known absences) the cache keeps.
pub const POLICY_CACHE_CAPACITY: usize = 4096;

struct CacheEntry {
    policy: Option<Arc<CompiledPolicy>>,
    /// The store's [`ObjectStore::policy_cache_epoch`] before the load.
    store_epoch: u64,
}

#[derive(Default)]
struct CacheState {
    /// Bumped by every invalidation; a load that saw another epoch is not cached.
    epoch: u64,
    map: HashMap<(AccountId, String), CacheEntry>,
}

/// Compiled bucket policies by `(account, bucket)`; see the module docs.
#[derive(Default)]
pub struct PolicyCache {
    state: Mutex<CacheState>,
}

impl std::fmt::Debug for PolicyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.lock().map.len();
        f.debug_struct("PolicyCache")
            .field("entries", &len)
            .finish()
    }
}

impl PolicyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The compiled policy of the bucket, `None` when it has none (or does not exist).
    pub async fn get<O: ObjectStore + ?Sized>(
        &self,
        store: &O,
        account: &AccountId,
        bucket: &str,
    ) -> Result<Option<Arc<CompiledPolicy>>, ApiError> {
        let key = (*account, bucket.to_owned());
        let store_epoch = store.policy_cache_epoch();
        let epoch = {
            let state = self.lock();
            if let (Some(entry), Some(store_epoch)) = (state.map.get(&key), store_epoch) {
                if entry.store_epoch == store_epoch {
                    return Ok(entry.policy.clone());
                }
            }
            state.epoch
        };
        let policy = match store.get_bucket_policy(account, bucket).await {
            Ok(text) => match CompiledPolicy::parse_bucket(&text, bucket) {
                Ok(p) => Some(Arc::new(p)),
                Err(e) => {
                    // Stored documents were validated when put; one that no longer
                    // compiles must not silently grant or deny.
                    tracing::error!(target: "s4::authz", %account, bucket, error = %e, "stored bucket policy does not compile");
                    return Err(ApiError::new(S3ErrorCode::InternalError));
                }
            },
            Err(
                StorageError::NoSuchBucketPolicy
                | StorageError::NoSuchBucket
                | StorageError::NotImplemented(_),
            ) => None,
            Err(e) => return Err(e.into()),
        };
        let Some(store_epoch) = store_epoch else {
            return Ok(policy);
        };
        let mut state = self.lock();
        if state.epoch == epoch {
            if state.map.len() >= POLICY_CACHE_CAPACITY && !state.map.contains_key(&key) {
                state.map.clear();
            }
            state.map.insert(
                key,
                CacheEntry {
                    policy: policy.clone(),
                    store_epoch,
                },
            );
        }
        Ok(policy)
    }

    /// Forgets the bucket's entry; call after the store committed a change.
    pub fn invalidate(&self, account: &AccountId, bucket: &str) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.map.remove(&(*account, bucket.to_owned()));
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The condition keys every request carries (S3 and IAM): source address, TLS, time,
/// `User-Agent` and `Referer`.
pub fn request_keys(parts: &Parts, now: OffsetDateTime) -> Vec<(&'static str, String)> {
    let connection = parts.extensions.get::<ConnectionInfo>();
    let mut out = Vec::with_capacity(8);
    if let Some(c) = connection {
        out.push((keys::SOURCE_IP, c.peer.ip().to_canonical().to_string()));
    }
    out.push((
        keys::SECURE_TRANSPORT,
        connection.is_some_and(|c| c.secure).to_string(),
    ));
    let timed = RequestContext::new(s4_policy::Principal::Anonymous, "", "").with_time(now);
    for key in [keys::CURRENT_TIME, keys::EPOCH_TIME] {
        if let Some(v) = timed.get(key) {
            out.extend(v.iter().map(|v| (key, v.clone().into_owned())));
        }
    }
    push_header(&mut out, &parts.headers, keys::USER_AGENT, "user-agent");
    push_header(&mut out, &parts.headers, keys::REFERER, "referer");
    out
}

fn push_header(
    out: &mut Vec<(&'static str, String)>,
    headers: &HeaderMap,
    key: &'static str,
    name: &str,
) {
    if let Some(v) = headers.get(name) {
        out.push((key, String::from_utf8_lossy(v.as_bytes()).into_owned()));
    }
}

/// The S3-specific condition keys of a request.
pub fn s3_keys(
    parts: &Parts,
    query: &Query,
    operation: S3Operation,
    signed: bool,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    push_header(
        &mut out,
        &parts.headers,
        keys::S3_CONTENT_SHA256,
        "x-amz-content-sha256",
    );
    if signed {
        out.push((keys::S3_SIGNATURE_VERSION, "AWS4-HMAC-SHA256".to_owned()));
        let auth_type = if parts.headers.contains_key(http::header::AUTHORIZATION) {
            "REST-HEADER"
        } else {
            "REST-QUERY-STRING"
        };
        out.push((keys::S3_AUTH_TYPE, auth_type.to_owned()));
    }
    push_header(
        &mut out,
        &parts.headers,
        keys::S3_COPY_SOURCE,
        "x-amz-copy-source",
    );
    push_header(
        &mut out,
        &parts.headers,
        keys::S3_METADATA_DIRECTIVE,
        "x-amz-metadata-directive",
    );
    if matches!(
        operation,
        S3Operation::ListObjects | S3Operation::ListObjectsV2
    ) {
        for (key, param) in [
            (keys::S3_PREFIX, "prefix"),
            (keys::S3_DELIMITER, "delimiter"),
            (keys::S3_MAX_KEYS, "max-keys"),
        ] {
            if let Some(v) = query.get(param) {
                out.push((key, v.to_owned()));
            }
        }
    }
    out
}

/// The identity policies of the principal (none for roots and anonymous requests).
pub async fn principal_policies<I: IdentityStore + ?Sized>(
    identity: &I,
    principal: &Principal,
) -> Result<Vec<&'static CompiledPolicy>, ApiError> {
    match principal {
        Principal::User { account, name, .. } => {
            Ok(s4_iam::identity_policies(identity, account, name).await?)
        }
        Principal::Root { .. } | Principal::Anonymous => Ok(Vec::new()),
    }
}

/// Decides one check and logs the decision (with the `explain` trace at `DEBUG`).
pub fn decide_logged(
    ctx: &RequestContext,
    owner: Option<AccountId>,
    identity: &[&CompiledPolicy],
    bucket: Option<&CompiledPolicy>,
) -> Decision {
    if tracing::enabled!(target: "s4::authz", tracing::Level::DEBUG) {
        let why = explain(ctx, owner, identity, bucket);
        tracing::debug!(
            target: "s4::authz",
            principal = ctx.principal().arn().as_deref().unwrap_or("anonymous"),
            action = ctx.action(),
            resource = ctx.resource(),
            decision = %why,
            "authorization"
        );
        why.decision
    } else {
        decide(ctx, owner, identity, bucket)
    }
}

/// The S3 error for a decision that does not allow: `MethodNotAllowed` (405) when a
/// principal outside the bucket's account asks for a bucket-policy operation (as AWS answers,
/// whatever any policy says), else `AccessDenied`.
pub fn refusal(decision: Decision) -> ApiError {
    match decision {
        Decision::NotOwnerAccount => ApiError::with_message(
            S3ErrorCode::MethodNotAllowed,
            "Only the bucket's owning account can get, put or delete its bucket policy.",
        ),
        Decision::Allow | Decision::ExplicitDeny | Decision::ImplicitDeny => {
            ApiError::new(S3ErrorCode::AccessDenied)
        }
    }
}

/// What DeleteObjects needs to authorize `s3:DeleteObject` per key.
pub(crate) struct KeyAccess<'p> {
    pub ctx: RequestContext<'p>,
    pub owner: AccountId,
    pub identity: Vec<&'static CompiledPolicy>,
    pub bucket_policy: Option<Arc<CompiledPolicy>>,
}

impl KeyAccess<'_> {
    /// Whether `s3:DeleteObject` on `bucket/key` is allowed.
    pub fn allows_delete(&self, bucket: &str, key: &str) -> bool {
        let mut ctx = self.ctx.clone();
        ctx.set_action("s3:DeleteObject");
        ctx.set_resource(object_arn(bucket, key));
        decide_logged(
            &ctx,
            Some(self.owner),
            &self.identity,
            self.bucket_policy.as_deref(),
        )
        .is_allowed()
    }
}

/// One check of an explained request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedCheck {
    /// The action, e.g. `s3:GetObject`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// The decision with the deciding policy and statement.
    pub explanation: s4_policy::Explanation,
}

/// What [`explain_request`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedRequest {
    /// The principal's ARN.
    pub principal: String,
    /// The operation's API name.
    pub operation: &'static str,
    /// Each check in order; the request is allowed when all are.
    pub checks: Vec<ExplainedCheck>,
}

impl ExplainedRequest {
    /// What the service answers: `Allow`, or the error code of the first check that is not
    /// allowed (`AccessDenied`, or `MethodNotAllowed` for [`Decision::NotOwnerAccount`]).
    pub fn answer(&self) -> &'static str {
        self.checks
            .iter()
            .map(|c| c.explanation.decision)
            .find(|d| !d.is_allowed())
            .map_or("Allow", |d| refusal(d).code.as_str())
    }
}

/// Explains how the service would decide a request signed with `access_key_id` for
/// `method` on `path_and_query` (path style, `/bucket/key?query`): the same principal,
/// identity policies, bucket policy (read from the store, not a cache), operation and checks
/// as [`S4Service`](crate::S4Service), with the condition keys of a request now, over TLS
/// when `secure`, from `source_ip` if given. For `s4-server admin explain`.
pub async fn explain_request<O: ObjectStore + ?Sized, I: IdentityStore + ?Sized>(
    store: &O,
    identity: &I,
    access_key_id: &str,
    method: &str,
    path_and_query: &str,
    secure: bool,
    source_ip: Option<std::net::IpAddr>,
) -> Result<ExplainedRequest, String> {
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("invalid method {method:?}"))?;
    let key = identity
        .get_access_key(access_key_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no access key {access_key_id}"))?;
    let owner = key.account;
    let user = crate::auth::key_user(identity, &key)
        .await
        .map_err(|e| e.to_string())?;
    let principal = Principal::of_key(key, user)
        .ok_or_else(|| format!("the user of access key {access_key_id} no longer exists"))?;
    let (path, raw_query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if !path.starts_with('/') {
        return Err(format!("the path must start with '/': {path:?}"));
    }
    let target = crate::route::split_path(path, None, false).map_err(|e| e.to_string())?;
    let query = Query::parse(raw_query);
    let routed = crate::operation::route(
        &method,
        target.bucket.as_deref(),
        target.key.as_deref(),
        &query,
        &HeaderMap::new(),
    )
    .map_err(|e| format!("{}: {}", e.code.as_str(), e.message))?;
    let operation = routed.operation;
    let arn = principal.arn().unwrap_or_else(|| "anonymous".into());
    let policies = principal_policies(identity, &principal)
        .await
        .map_err(|e| e.message)?;
    let mut ctx =
        RequestContext::new(principal.policy_view(), "", "").with_time(OffsetDateTime::now_utc());
    if let Some(ip) = source_ip {
        ctx.insert(keys::SOURCE_IP, ip.to_string());
    }
    ctx.insert(keys::SECURE_TRANSPORT, secure.to_string());
    ctx.insert(keys::S3_SIGNATURE_VERSION, "AWS4-HMAC-SHA256");
    ctx.insert(keys::S3_AUTH_TYPE, "REST-HEADER");
    if matches!(
        operation,
        S3Operation::ListObjects | S3Operation::ListObjectsV2
    ) {
        for (k, param) in [
            (keys::S3_PREFIX, "prefix"),
            (keys::S3_DELIMITER, "delimiter"),
            (keys::S3_MAX_KEYS, "max-keys"),
        ] {
            if let Some(v) = query.get(param) {
                ctx.insert(k, v);
            }
        }
    }
    let bucket = target.bucket.unwrap_or_default();
    let object_key = target.key.unwrap_or_default();
    let mut checks = operation.checks(&bucket, &object_key, routed.copy_source.as_ref());
    if operation == S3Operation::DeleteObjects {
        // Decided per key; explain the bucket-wide form.
        checks.push(operation.own_check(&bucket, "*"));
    }
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let bucket_policy = if check.bucket.is_empty() {
            None
        } else {
            match store.get_bucket_policy(&owner, check.bucket).await {
                Ok(text) => Some(
                    CompiledPolicy::parse_bucket(&text, check.bucket)
                        .map_err(|e| format!("stored policy of {}: {e}", check.bucket))?,
                ),
                Err(
                    StorageError::NoSuchBucketPolicy
                    | StorageError::NoSuchBucket
                    | StorageError::NotImplemented(_),
                ) => None,
                Err(e) => return Err(e.to_string()),
            }
        };
        ctx.set_action(check.action);
        ctx.set_resource(check.resource.clone());
        out.push(ExplainedCheck {
            action: check.action.to_owned(),
            resource: check.resource,
            explanation: explain(&ctx, Some(owner), &policies, bucket_policy.as_ref()),
        });
    }
    Ok(ExplainedRequest {
        principal: arn,
        operation: operation.name(),
        checks: out,
    })
}
