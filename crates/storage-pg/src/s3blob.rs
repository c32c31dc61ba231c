//! Blobs as objects in an S3-compatible cluster (another S4, MinIO, AWS S3 ...).
//!
//! Client: the official `aws-sdk-s3`. It is maintained with the S3 API, signs SigV4, retries
//! with backoff, streams ranged GETs, and is already a workspace dependency (the end-to-end
//! tests use it), so no second S3 client enters the build. It is built without a TLS stack
//! (`aws-smithy-http-client` plain HTTP), which suits an upstream on a private network or
//! loopback; a TLS upstream needs the client's TLS feature.
//!
//! Compatibility: the body is spooled anyway (S3 needs its length up front), so it is sent as
//! a plain body with its SHA-256 signed and a `Content-MD5`, which every S3 implementation
//! verifies, and the SDK computes or validates its newer checksums only where an operation
//! requires them (`when_required`). Its default, an aws-chunked body with a CRC32 trailer, is
//! refused by older implementations (Ceph RGW before 18, older MinIO, many appliances).
//!
//! Faults: every request gives up after [`S3BlobConfig::timeout`], retries included; an
//! upstream that is down, too slow or answers an error makes the operation fail with an
//! "unavailable" error ([`crate::unavailable`]: 503 at the service edge), the upstream's code
//! in its message. A put that failed leaves at most an orphan blob upstream (the upstream may
//! still complete a request the client gave up on), which the orphan sweep collects.

use std::ops::Range;
use std::path::PathBuf;
use std::time::SystemTime;

use std::time::Duration;

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_runtime::auth::PayloadSigningOverride;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    ConfigBag, Intercept, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    RuntimeComponents,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream as SdkStream;
use base64::Engine as _;
use futures_util::StreamExt;
use md5::{Digest as _, Md5};
use s4_storage::{body, ByteStream, StorageError, StorageResult};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;

use crate::blob::BlobStore;

/// The default of [`S3BlobConfig::timeout`].
pub const DEFAULT_S3_TIMEOUT: Duration = Duration::from_mins(1);

/// Where the upstream is and which bucket holds the blobs.
#[derive(Clone)]
pub struct S3BlobConfig {
    /// `http://host:port`.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// An existing bucket of the upstream.
    pub bucket: String,
    /// Prepended to every blob name (may be empty), e.g. `s4/`.
    pub prefix: String,
    /// A local directory where a body is spooled before its upload (S3 needs the length up
    /// front); files there live only for the duration of one put.
    pub spool_dir: PathBuf,
    /// The longest one operation on the upstream may take, its retries included; for a put,
    /// until the upstream acknowledged the whole body (so it bounds the largest body too:
    /// size / upstream throughput must stay below it). Also the connect timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for S3BlobConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobConfig")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A [`BlobStore`] over an S3-compatible endpoint: blob `name` is object `prefix ++ name` of
/// the bucket. A put is durable when the upstream acknowledged the PutObject; reads are ranged
/// GETs streamed through.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    spool_dir: PathBuf,
}

/// An upstream failure as an "unavailable" storage error: what was tried, and what the
/// upstream answered (its status and error code) or why no answer came.
fn upstream<E>(what: &str, e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match e {
        SdkError::ServiceError(service) => format!(
            "the byte store answered {} {} ({})",
            service.raw().status().as_u16(),
            service.err().code().unwrap_or("without an error code"),
            service.err().message().unwrap_or("no message"),
        ),
        SdkError::TimeoutError(_) => "the byte store did not answer in time".to_owned(),
        other => format!("{}", DisplayErrorContext(other)),
    };
    crate::unavailable(&format!("blob {what}: {detail}"))
}

fn not_found(name: &str) -> StorageError {
    StorageError::Io(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("blob {name} not found upstream"),
    ))
}

impl S3BlobStore {
    pub fn new(config: S3BlobConfig) -> StorageResult<Self> {
        let mut dirs = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(dirs.recursive(true), 0o700);
        dirs.create(&config.spool_dir)?;
        let sdk = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(Region::new(config.region.clone()))
            .endpoint_url(config.endpoint.clone())
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                config.access_key.clone(),
                config.secret_key.clone(),
                None,
                None,
                "s4-storage-pg",
            ))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(config.timeout)
                    .operation_timeout(config.timeout)
                    .build(),
            )
            .build();
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(sdk),
            bucket: config.bucket,
            prefix: config.prefix,
            spool_dir: config.spool_dir,
        })
    }

    /// The SDK client (for creating the bucket in tests and tools).
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Writes the body to `path`, hashing it on the way for the upload's signature and
    /// `Content-MD5`.
    async fn spool(&self, path: &std::path::Path, mut body: ByteStream) -> StorageResult<Spooled> {
        let mut file = crate::blob::private_file(path).await?;
        let (mut md5, mut sha256) = (Md5::new(), Sha256::new());
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StorageError::Body)?;
            file.write_all(&chunk).await?;
            md5.update(&chunk);
            sha256.update(&chunk);
            size += chunk.len() as u64;
        }
        file.flush().await?;
        Ok(Spooled {
            size,
            content_md5: base64::engine::general_purpose::STANDARD.encode(md5.finalize()),
            sha256_hex: hex::encode(sha256.finalize()),
        })
    }
}

/// A body written to the spool dir, with its digests.
struct Spooled {
    size: u64,
    content_md5: String,
    sha256_hex: String,
}

/// Makes the SDK sign the known SHA-256 of a streamed body (`x-amz-content-sha256`) instead of
/// `UNSIGNED-PAYLOAD` or an aws-chunked encoding: the upstream then checks the bytes it got
/// against the signature, on every S3 implementation.
#[derive(Debug)]
struct SignedPayload(String);

impl Intercept for SignedPayload {
    fn name(&self) -> &'static str {
        "SignedPayload"
    }

    fn modify_before_signing(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        cfg.interceptor_state()
            .store_put(PayloadSigningOverride::Precomputed(self.0.clone()));
        Ok(())
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, name: &str, body: ByteStream) -> StorageResult<u64> {
        let path = self.spool_dir.join(name);
        let result = async {
            let spooled = self.spool(&path, body).await?;
            let stream = SdkStream::from_path(&path)
                .await
                .map_err(|e| StorageError::Internal(format!("spooled body {name}: {e}")))?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(self.key(name))
                .content_length(spooled.size as i64)
                .content_md5(spooled.content_md5)
                .body(stream)
                .customize()
                .interceptor(SignedPayload(spooled.sha256_hex))
                .send()
                .await
                .map_err(|e| upstream(&format!("put {name}"), &e))?;
            Ok(spooled.size)
        }
        .await;
        let _ = tokio::fs::remove_file(&path).await;
        result
    }

    async fn read(&self, name: &str, range: Range<u64>) -> StorageResult<ByteStream> {
        if range.end <= range.start {
            // Nothing to fetch, but the blob must exist.
            return match self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(self.key(name))
                .send()
                .await
            {
                Ok(_) => Ok(body::once(bytes::Bytes::new())),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(HeadObjectError::is_not_found) =>
                {
                    Err(not_found(name))
                }
                Err(e) => Err(upstream(&format!("head {name}"), &e)),
            };
        }
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(name))
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetObjectError::is_no_such_key) =>
            {
                return Err(not_found(name))
            }
            Err(e) => return Err(upstream(&format!("get {name}"), &e)),
        };
        let stream = futures_util::stream::unfold(output.body, |mut body| async move {
            let item = body.next().await?;
            Some((item.map_err(Into::into), body))
        });
        Ok(Box::pin(stream))
    }

    async fn delete(&self, name: &str) -> StorageResult<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(name))
            .send()
            .await
            .map_err(|e| upstream(&format!("delete {name}"), &e))?;
        Ok(())
    }

    async fn list(&self) -> StorageResult<Vec<(String, SystemTime)>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| upstream("list", &e))?;
            for object in page.contents() {
                let Some(name) = object.key().and_then(|k| k.strip_prefix(&self.prefix)) else {
                    continue;
                };
                let written = object
                    .last_modified()
                    .and_then(|t| SystemTime::try_from(*t).ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                out.push((name.to_owned(), written));
            }
        }
        Ok(out)
    }
}
