//! Streamed bodies: objects flow in and out as streams of [`Bytes`], never as one buffer.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;

/// Error type carried by body streams.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A body flowing into or out of a backend.
///
/// Contract for request bodies handed to a backend: the backend commits a write only after the
/// stream has returned `None`; if the stream yields `Err` at any point, the backend stores
/// nothing and returns [`crate::StorageError::Body`] with that error. Verifiers (SigV4 payload
/// hash, aws-chunked signatures, checksums) therefore report a mismatch as an `Err` item
/// before the end of the stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'static>>;

/// A stream of one buffer (tests, small documents, inline objects).
pub fn once(bytes: impl Into<Bytes>) -> ByteStream {
    let bytes = bytes.into();
    Box::pin(futures_util::stream::iter(
        (!bytes.is_empty()).then_some(Ok(bytes)),
    ))
}

/// A stream of the given buffers in order.
pub fn from_chunks<I>(chunks: I) -> ByteStream
where
    I: IntoIterator<Item = Bytes>,
    I::IntoIter: Send + 'static,
{
    Box::pin(futures_util::stream::iter(chunks.into_iter().map(Ok)))
}

/// A stream that yields `chunks` and then fails with `error`: how a client disconnect or a
/// signature mismatch looks to a backend.
pub fn failing_after<I>(chunks: I, error: BoxError) -> ByteStream
where
    I: IntoIterator<Item = Bytes>,
    I::IntoIter: Send + 'static,
{
    let tail = futures_util::stream::once(async move { Err(error) });
    Box::pin(futures_util::stream::iter(chunks.into_iter().map(Ok::<Bytes, BoxError>)).chain(tail))
}

/// Reads a whole stream into memory. For tests and bounded documents only: object bodies are
/// streamed, never collected.
pub async fn collect(mut stream: ByteStream) -> Result<Bytes, BoxError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
    }
    Ok(buf.freeze())
}
