//! Blobs as objects in an S3-compatible cluster (another S4, MinIO, AWS S3 ...).
//!
//! Client: the official `aws-sdk-s3`. It is maintained with the S3 API, signs SigV4, retries
//! with backoff, streams ranged GETs, and is already a workspace dependency (the end-to-end
//! tests use it), so no second S3 client enters the build. It is built without a TLS stack
//! (`aws-smithy-http-client` plain HTTP), which suits an upstream on a private network or
//! loopback; a TLS upstream needs the client's TLS feature.

use std::ops::Range;
use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream as SdkStream;
use futures_util::StreamExt;
use s4_storage::{body, ByteStream, StorageError, StorageResult};
use tokio::io::AsyncWriteExt;

use crate::blob::BlobStore;

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
}

impl std::fmt::Debug for S3BlobConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobConfig")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
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

fn upstream<E: std::fmt::Debug>(e: &E) -> StorageError {
    StorageError::Internal(format!("blob upstream: {e:?}"))
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

    async fn spool(&self, path: &std::path::Path, mut body: ByteStream) -> StorageResult<u64> {
        let mut file = crate::blob::private_file(path).await?;
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StorageError::Body)?;
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.flush().await?;
        Ok(written)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, name: &str, body: ByteStream) -> StorageResult<u64> {
        let path = self.spool_dir.join(name);
        let result = async {
            let size = self.spool(&path, body).await?;
            let stream = SdkStream::from_path(&path)
                .await
                .map_err(|e| upstream(&e))?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(self.key(name))
                .body(stream)
                .send()
                .await
                .map_err(|e| upstream(&e))?;
            Ok(size)
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
                Err(e) => Err(upstream(&e)),
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
            Err(e) => return Err(upstream(&e)),
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
            .map_err(|e| upstream(&e))?;
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
            let page = page.map_err(|e| upstream(&e))?;
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
