//! Receiving a request body: small bodies stay in memory (stored in the row), larger ones are
//! streamed into the blob store while their MD5 is computed and their length checked.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use s4_storage::{BoxError, ByteStream, StorageError, StorageResult};

use crate::blob::{new_blob_name, BlobStore};

/// Where a received body went.
#[derive(Debug)]
pub(crate) enum Data {
    Inline(Vec<u8>),
    /// A durable blob of that name, not yet referenced by any row.
    Blob(String),
}

#[derive(Debug)]
pub(crate) struct Received {
    pub data: Data,
    pub size: u64,
    pub md5: [u8; 16],
}

impl Received {
    /// The blob to release if the commit does not happen.
    pub fn blob(&self) -> Option<String> {
        match &self.data {
            Data::Blob(name) => Some(name.clone()),
            Data::Inline(_) => None,
        }
    }
}

/// A refusal decided while the body streams into the blob store (size, length, digest),
/// carried through the blob store as the stream's error.
#[derive(Debug)]
struct Refused(StorageError);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub content_length: Option<u64>,
    pub content_md5: Option<[u8; 16]>,
    pub max_size: u64,
    /// `None`: always write a blob (parts).
    pub inline_limit: Option<usize>,
}

fn finish(limits: &Limits, total: u64, hasher: Md5) -> StorageResult<[u8; 16]> {
    if let Some(expected) = limits.content_length {
        if expected != total {
            return Err(StorageError::IncompleteBody {
                expected,
                received: total,
            });
        }
    }
    let md5: [u8; 16] = hasher.finalize().into();
    if limits.content_md5.is_some_and(|m| m != md5) {
        return Err(StorageError::BadDigest);
    }
    Ok(md5)
}

struct Feed {
    buffered: VecDeque<Bytes>,
    body: ByteStream,
    hasher: Option<Md5>,
    total: u64,
    limits: Limits,
    out: Arc<Mutex<Option<[u8; 16]>>>,
}

/// Receives and checks `body`. On any error nothing is left in the blob store.
pub(crate) async fn receive(
    blobs: &dyn BlobStore,
    mut body: ByteStream,
    limits: Limits,
) -> StorageResult<Received> {
    if limits
        .content_length
        .is_some_and(|len| len > limits.max_size)
    {
        return Err(StorageError::EntityTooLarge);
    }
    let mut hasher = Md5::new();
    let mut total = 0u64;
    let mut buffered: VecDeque<Bytes> = VecDeque::new();
    let inline_ok = match (limits.inline_limit, limits.content_length) {
        (Some(limit), Some(len)) => len <= limit as u64,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if inline_ok {
        let limit = limits.inline_limit.unwrap_or(0) as u64;
        loop {
            match body.next().await {
                None => {
                    let md5 = finish(&limits, total, hasher)?;
                    let mut data = Vec::with_capacity(total as usize);
                    for chunk in &buffered {
                        data.extend_from_slice(chunk);
                    }
                    return Ok(Received {
                        data: Data::Inline(data),
                        size: total,
                        md5,
                    });
                }
                Some(Err(e)) => return Err(StorageError::Body(e)),
                Some(Ok(chunk)) => {
                    total += chunk.len() as u64;
                    if total > limits.max_size {
                        return Err(StorageError::EntityTooLarge);
                    }
                    hasher.update(&chunk);
                    buffered.push_back(chunk);
                    if total > limit {
                        break;
                    }
                }
            }
        }
    }
    let out = Arc::new(Mutex::new(None));
    let feed = Feed {
        buffered,
        body,
        hasher: Some(hasher),
        total,
        limits,
        out: Arc::clone(&out),
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        if let Some(chunk) = feed.buffered.pop_front() {
            return Some((Ok(chunk), feed));
        }
        feed.hasher.as_ref()?;
        match feed.body.next().await {
            Some(Ok(chunk)) => {
                feed.total += chunk.len() as u64;
                if feed.total > feed.limits.max_size {
                    feed.hasher = None;
                    let e: BoxError = Box::new(Refused(StorageError::EntityTooLarge));
                    return Some((Err(e), feed));
                }
                if let Some(h) = feed.hasher.as_mut() {
                    h.update(&chunk);
                }
                Some((Ok(chunk), feed))
            }
            Some(Err(e)) => {
                feed.hasher = None;
                Some((Err(e), feed))
            }
            None => {
                let hasher = feed.hasher.take()?;
                match finish(&feed.limits, feed.total, hasher) {
                    Ok(md5) => {
                        *feed.out.lock().unwrap_or_else(PoisonError::into_inner) = Some(md5);
                        None
                    }
                    Err(e) => {
                        let e: BoxError = Box::new(Refused(e));
                        Some((Err(e), feed))
                    }
                }
            }
        }
    });
    let name = new_blob_name();
    let size = match blobs.put(&name, Box::pin(stream)).await {
        Ok(size) => size,
        Err(StorageError::Body(e)) => {
            return Err(match e.downcast::<Refused>() {
                Ok(refused) => refused.0,
                Err(e) => StorageError::Body(e),
            })
        }
        Err(e) => return Err(e),
    };
    let md5 = out.lock().unwrap_or_else(PoisonError::into_inner).take();
    let Some(md5) = md5 else {
        // The blob store stopped reading before the end of the stream.
        blobs.delete(&name).await?;
        return Err(StorageError::Internal(
            "the blob store did not consume the whole body".to_owned(),
        ));
    };
    Ok(Received {
        data: Data::Blob(name),
        size,
        md5,
    })
}
