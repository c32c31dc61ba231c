//! The S4 HTTP service: routing, authentication, authorization, handlers and error mapping,
//! generic over the storage traits and mountable in any hyper server.
//!
//! A request goes through one pipeline ([`S4Service::handle`]):
//!
//! 0. **Console**: on path-style hosts, `/_s4/console/...` answers the web console's
//!    embedded files (`console.rs`, `s4-console`) and a browser's unsigned `GET /` asking for
//!    HTML is redirected there, unless [`ServiceConfig::console`] is off.
//! 1. **Route** by `Host` (`route.rs`): `s3.<domain>` (path style), `<bucket>.s3.<domain>`
//!    (virtual-hosted), `iam.<domain>`, or a bare IP / `localhost`, where the credential
//!    scope's service decides between S3 and IAM. Unknown hosts answer `InvalidURI`.
//! 2. **Authenticate** with `s4-sigv4`: header or presigned signature, the key looked up in the
//!    [`IdentityStore`](s4_storage::IdentityStore); anonymous requests go on to authorization.
//!    A verified key's use is recorded in the background, at most once a minute per key
//!    (`key_use.rs`). The request's account (the signer's, or the account of a public URL)
//!    is then charged one token of its request-rate limit ([`rate_limit`], off by default):
//!    past it the request is answered `503 SlowDown` with `Retry-After`, its body unread.
//! 3. **Route** to one [`S3Operation`] of the catalogue ([`operation`]) by method, bucket/key,
//!    sub-resource flags and distinguishing header.
//! 4. **Authorize** ([`authz`]) with the policy engine of `s4-policy`, before anything
//!    touches storage: every check of the operation is decided against the principal's
//!    identity policies (its own and its groups' managed policies) and the bucket policy
//!    (compiled once, cached, see [`authz`]); DeleteObjects per key. Decisions are logged at
//!    `DEBUG` with target `s4::authz`. Resources belong to the caller's account, or to the
//!    account of a public URL (`/<account-id>/...`, anonymous requests), or, for signed
//!    cross-account requests, to the account named by `x-amz-expected-bucket-owner`.
//! 5. **Refuse** what S4 does not implement ([`refusals`]): one table of request headers and
//!    query parameters (encryption, object lock, tagging, version IDs, ACLs other than the
//!    owner's, ...), applied before any handler runs, so that a refused request stores nothing.
//! 6. **Execute** the operation's typed handler (`crate::handlers`) with its typed input,
//!    parsed from the headers and query (`crate::input`), against the
//!    [`ObjectStore`](s4_storage::ObjectStore), the request body wrapped by the verifiers its
//!    signature asks for, so that a failed check stores nothing; object bodies stream both
//!    ways and are never buffered.
//! 7. **Respond**, errors as the S3 `<Error>` document ([`response`]), every response with
//!    `x-amz-request-id` and `x-amz-id-2`.
//!
//! Every request ends with one structured `tracing` event at `INFO` with target
//! `s4::access` (`access_log.rs`): request ID, client address (and `X-Forwarded-For` from a
//! trusted proxy), method, operation, bucket, key, status, error code, why authentication
//! failed, bytes in and out, duration in milliseconds, the access key ID, the principal
//! (`arn:aws:iam::<account>:root`, a user ARN, or `anonymous`) and the user agent; never
//! secrets, signatures or the query string. The events a request causes (authorization
//! decisions, handler and storage warnings) are logged inside a `request` span carrying its
//! `request_id`. Each request is also counted in the service's [`Metrics`] (Prometheus text
//! format, rendered by the host).
//!
//! Abandoned multipart uploads expire through [`spawn_upload_expiry`], a background task the
//! server binary starts with its configured maximum age.
//!
//! # Operations
//!
//! Buckets: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
//! GetBucketAcl (canned), PutBucketAcl (the owner-only ACL as a no-op, anything else
//! `AccessControlListNotSupported`). Objects: PutObject
//! (plain, signed, aws-chunked with signed chunks and/or trailers), GetObject and HeadObject
//! (ranges, conditions, `response-*` overrides), DeleteObject, DeleteObjects, ListObjects,
//! ListObjectsV2, CopyObject, GetObjectAcl (canned), PutObjectAcl (as PutBucketAcl).
//! Multipart: CreateMultipartUpload, UploadPart,
//! UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
//! ListMultipartUploads. Bucket policies: PutBucketPolicy, GetBucketPolicy,
//! DeleteBucketPolicy. Presigned URLs work for all of them. Other sub-resources (`?cors`,
//! `?versioning`, ...) answer `501 NotImplemented`. IAM requests (form POSTs or
//! GETs to `/`) are parsed by `s4-iam-query` and executed by `s4-iam`: users, groups,
//! access keys and managed-policy attachments, IAM-shaped errors throughout.
//!
//! # Mounting the service in a hyper server
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use hyper_util::rt::{TokioExecutor, TokioIo};
//! use hyper_util::server::conn::auto::Builder;
//! use s4_service::{S4Service, ServiceConfig};
//! # async fn run<O: s4_storage::ObjectStore, I: s4_storage::IdentityStore>(objects: Arc<O>, identities: Arc<I>) -> std::io::Result<()> {
//! let service = S4Service::new(objects, identities, ServiceConfig::new("s4.localhost"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = service.clone();
//!     tokio::spawn(async move {
//!         let _ = Builder::new(TokioExecutor::new())
//!             .serve_connection(TokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! Inside another server, call [`S4Service::handle`] with any `http::Request` whose body is
//! an `http_body::Body<Data = Bytes>`.

mod access_log;
mod auth;
pub mod authz;
pub mod body;
mod config;
mod connection;
mod console;
pub mod cors;
mod error_code;
pub mod expiry;
pub mod explain;
pub mod fuzzing;
mod handlers;
mod iam;
mod input;
mod key_use;
pub mod metrics;
pub mod operation;
pub mod pre_auth;
pub mod rate_limit;
pub mod refusals;
pub mod response;
mod route;
mod service;
mod wire;

pub use access_log::TrustedProxies;
pub use body::ResponseBody;
pub use config::{Limits, ServiceConfig};
pub use connection::ConnectionInfo;
pub use cors::CorsConfig;
pub use error_code::S3ErrorCode;
pub use expiry::{spawn_upload_expiry, DEFAULT_UPLOAD_MAX_AGE};
pub use metrics::Metrics;
pub use operation::S3Operation;
pub use route::EndpointConfig;
pub use service::S4Service;
