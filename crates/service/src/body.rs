//! Body adapters: the response body type, request bodies as storage [`ByteStream`]s wrapped by
//! the verifiers that the request's authentication asks for, and bounded reads of small
//! documents.

use std::fmt;

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use http_body::{Body, Frame};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use s4_sigv4::{
    ChecksumAlgorithm, ChecksumStream, ChunkedStream, PayloadMode, Sha256Stream, SigV4Error,
    StreamError,
};
use s4_storage::{BoxError, ByteStream};

/// The body of every response: empty, one buffer, or a backend stream passed through.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// An empty response body.
pub fn empty() -> ResponseBody {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A response body of one buffer.
pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response body streaming a backend's bytes as they come.
pub fn streaming(stream: ByteStream) -> ResponseBody {
    BodyExt::boxed_unsync(StreamBody::new(stream.map_ok(Frame::data)))
}

/// A request body's data frames as a [`ByteStream`]; HTTP trailers are dropped (aws-chunked
/// trailers travel inside the data).
pub fn request_stream<B>(body: B) -> ByteStream
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Box::pin(body.into_data_stream().map_err(Into::into))
}

/// An error the service itself puts into a request body stream.
#[derive(Debug)]
pub enum BodyCheckError {
    /// Data arrived for a key ending in `/`.
    DirectoryPayload,
    /// The client sent no body bytes for longer than the idle timeout (`RequestTimeout`).
    Idle(std::time::Duration),
}

impl fmt::Display for BodyCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DirectoryPayload => {
                f.write_str("an object whose key ends with '/' cannot carry data")
            }
            Self::Idle(after) => write!(
                f,
                "the client sent no request body bytes for {} ms",
                after.as_millis()
            ),
        }
    }
}

impl std::error::Error for BodyCheckError {}

fn flatten(error: StreamError<BoxError>) -> BoxError {
    match error {
        StreamError::Body(e) => e,
        StreamError::SigV4(e) => Box::new(e),
    }
}

/// Wraps a raw request body in the checks its authentication requires: the signed SHA-256,
/// aws-chunked decoding with chunk and trailer verification, and an `x-amz-checksum-*` header.
/// A failed check is an `Err` item before the end of the stream, so that a backend stores
/// nothing.
pub fn verified_stream(
    raw: ByteStream,
    payload: &PayloadMode,
    header_checksum: Option<(ChecksumAlgorithm, String)>,
) -> ByteStream {
    let decoded: ByteStream = match payload {
        PayloadMode::Sha256(expected) => {
            Box::pin(Sha256Stream::new(raw, *expected).map_err(flatten))
        }
        PayloadMode::Unsigned => raw,
        streaming => match streaming.chunked_decoder() {
            Some(decoder) => Box::pin(ChunkedStream::new(raw, decoder).map_err(flatten)),
            None => raw,
        },
    };
    match header_checksum {
        Some((algorithm, value)) => {
            Box::pin(ChecksumStream::new(decoded, algorithm, value).map_err(flatten))
        }
        None => decoded,
    }
}

/// Fails the stream as soon as it carries a byte (keys ending in `/`).
pub fn refuse_data(stream: ByteStream) -> ByteStream {
    Box::pin(stream.map(|item| match item {
        Ok(bytes) if !bytes.is_empty() => {
            Err(Box::new(BodyCheckError::DirectoryPayload) as BoxError)
        }
        other => other,
    }))
}

/// Why [`read_limited`] failed.
#[derive(Debug)]
pub enum ReadError {
    /// The document is longer than `limit` bytes (`MaxMessageLengthExceeded`).
    TooLarge {
        /// The limit the caller passed.
        limit: usize,
    },
    /// The body stream failed; mapped like any request body error.
    Body(BoxError),
}

/// Reads a small document whole, refusing more than `limit` bytes.
pub async fn read_limited(mut stream: ByteStream, limit: usize) -> Result<Bytes, ReadError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ReadError::Body)?;
        if buf.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The SigV4 error inside a body error, if a verifier raised it.
pub fn sigv4_error(error: &BoxError) -> Option<&SigV4Error> {
    error.downcast_ref::<SigV4Error>()
}

/// A request body that fails with [`BodyCheckError::Idle`] when no frame arrives for `idle`
/// (a client that stops sending mid-body), so that the upload is refused, stored nowhere, and
/// answered `RequestTimeout`. The timer starts when the body is first read (a request that
/// waits before reading its body is not the client's fault) and restarts with every frame.
pub struct IdleTimeoutBody<B> {
    inner: std::pin::Pin<Box<B>>,
    idle: std::time::Duration,
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
    started: bool,
}

impl<B> fmt::Debug for IdleTimeoutBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleTimeoutBody")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl<B> IdleTimeoutBody<B> {
    /// Wraps `inner`; must be created inside a Tokio runtime with the time driver.
    pub fn new(inner: B, idle: std::time::Duration) -> Self {
        Self {
            inner: Box::pin(inner),
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            started: false,
        }
    }
}

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if !this.started {
            this.started = true;
            let deadline = tokio::time::Instant::now() + this.idle;
            this.timer.as_mut().reset(deadline);
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(item) => {
                let deadline = tokio::time::Instant::now() + this.idle;
                this.timer.as_mut().reset(deadline);
                Poll::Ready(item.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => match std::future::Future::poll(this.timer.as_mut(), cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Some(Err(Box::new(BodyCheckError::Idle(this.idle)))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A body that yields one frame, then never another.
    struct Stalls(bool);

    impl Body for Stalls {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.0 {
                std::task::Poll::Pending
            } else {
                self.0 = true;
                std::task::Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
            }
        }
    }

    #[tokio::test]
    async fn idle_bodies_fail_with_the_idle_error_and_the_timer_starts_on_first_read() {
        let idle = Duration::from_millis(300);
        let mut body = IdleTimeoutBody::new(Stalls(false), idle);
        // Created long before it is read: the wait is not counted.
        tokio::time::sleep(Duration::from_millis(900)).await;
        let first = body.frame().await.expect("a frame").expect("data");
        assert_eq!(first.into_data().expect("data"), Bytes::from_static(b"x"));
        let started = tokio::time::Instant::now();
        let error = body.frame().await.expect("an item").expect_err("idle");
        let waited = started.elapsed();
        assert!(waited >= idle && waited < idle * 5, "{waited:?}");
        assert!(matches!(
            error.downcast_ref::<BodyCheckError>(),
            Some(BodyCheckError::Idle(d)) if *d == idle
        ));
        let api = crate::response::ApiError::from_body_error(&error);
        assert_eq!(api.code, crate::S3ErrorCode::RequestTimeout);
        assert_eq!(api.http_status(), 400);
    }
}
