//! `futures_core::Stream` adapters that apply the body checks while the body streams.
//!
//! All of them hand data on as it arrives (after a chunk's signature verified, for signed
//! aws-chunked bodies) and report a mismatch only at the end: the server must treat the body
//! as untrusted until the stream has returned `None` without an error, and must not commit
//! an object before that.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::checksum::{ChecksumAlgorithm, Checksummer};
use crate::chunked::ChunkedDecoder;
use crate::error::SigV4Error;

/// An error of an adapted stream: the underlying body's, or a verification failure.
#[derive(Debug)]
pub enum StreamError<E> {
    /// The underlying body stream failed.
    Body(E),
    /// Decoding or verification failed.
    SigV4(SigV4Error),
}

impl<E: fmt::Display> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Body(e) => write!(f, "{e}"),
            Self::SigV4(e) => write!(f, "{e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Body(e) => Some(e),
            Self::SigV4(e) => Some(e),
        }
    }
}

/// Decodes an aws-chunked body stream into its payload.
#[derive(Debug)]
pub struct ChunkedStream<S> {
    inner: S,
    decoder: ChunkedDecoder,
    finished: bool,
}

impl<S> ChunkedStream<S> {
    /// Wraps `inner` (`Unpin`; box-pin it otherwise).
    pub fn new(inner: S, decoder: ChunkedDecoder) -> Self {
        Self {
            inner,
            decoder,
            finished: false,
        }
    }
}

impl<S, E> Stream for ChunkedStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, StreamError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(piece) = this.decoder.pop() {
                return Poll::Ready(Some(Ok(piece)));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    if let Err(e) = this.decoder.push(bytes) {
                        this.finished = true;
                        return Poll::Ready(Some(Err(StreamError::SigV4(e))));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(StreamError::Body(e))));
                }
                Poll::Ready(None) => {
                    this.finished = true;
                    if let Err(e) = this.decoder.finish() {
                        return Poll::Ready(Some(Err(StreamError::SigV4(e))));
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// What a pass-through stream checks at its end.
trait EndCheck {
    fn update(&mut self, data: &[u8]);
    fn check(&mut self) -> Result<(), SigV4Error>;
}

/// Passes a body through and fails at its end unless the data's SHA-256 is the signed
/// `x-amz-content-sha256` ([`crate::PayloadMode::Sha256`]); the error is
/// [`SigV4Error::PayloadHashMismatch`] (SignatureDoesNotMatch, spec case 4).
pub struct Sha256Stream<S> {
    inner: PassThrough<S, Sha256Check>,
}

struct Sha256Check {
    hasher: Sha256,
    expected: [u8; 32],
}

impl EndCheck for Sha256Check {
    fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    fn check(&mut self) -> Result<(), SigV4Error> {
        let got: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if bool::from(got.ct_eq(&self.expected)) {
            Ok(())
        } else {
            Err(SigV4Error::PayloadHashMismatch)
        }
    }
}

impl<S> Sha256Stream<S> {
    /// Wraps `inner` (`Unpin`; box-pin it otherwise).
    pub fn new(inner: S, expected: [u8; 32]) -> Self {
        Self {
            inner: PassThrough::new(
                inner,
                Sha256Check {
                    hasher: Sha256::new(),
                    expected,
                },
            ),
        }
    }
}

impl<S> fmt::Debug for Sha256Stream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256Stream").finish_non_exhaustive()
    }
}

impl<S, E> Stream for Sha256Stream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, StreamError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll(cx)
    }
}

/// Passes a plain (not aws-chunked) body through and fails at its end unless it matches an
/// `x-amz-checksum-*` header value; the error is [`SigV4Error::BadDigest`].
pub struct ChecksumStream<S> {
    inner: PassThrough<S, ChecksumCheck>,
}

struct ChecksumCheck {
    checksum: Option<Checksummer>,
    expected_base64: String,
}

impl EndCheck for ChecksumCheck {
    fn update(&mut self, data: &[u8]) {
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
    }

    fn check(&mut self) -> Result<(), SigV4Error> {
        match self.checksum.take() {
            Some(c) => c.verify(&self.expected_base64),
            None => Ok(()),
        }
    }
}

impl<S> ChecksumStream<S> {
    /// Wraps `inner` (`Unpin`; box-pin it otherwise); `expected_base64` is the header value.
    pub fn new(inner: S, algorithm: ChecksumAlgorithm, expected_base64: impl Into<String>) -> Self {
        Self {
            inner: PassThrough::new(
                inner,
                ChecksumCheck {
                    checksum: Some(Checksummer::new(algorithm)),
                    expected_base64: expected_base64.into(),
                },
            ),
        }
    }
}

impl<S> fmt::Debug for ChecksumStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChecksumStream").finish_non_exhaustive()
    }
}

impl<S, E> Stream for ChecksumStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, StreamError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll(cx)
    }
}

struct PassThrough<S, C> {
    inner: S,
    check: C,
    finished: bool,
}

impl<S, C: EndCheck> PassThrough<S, C> {
    fn new(inner: S, check: C) -> Self {
        Self {
            inner,
            check,
            finished: false,
        }
    }

    fn poll<E>(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, StreamError<E>>>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.check.update(&bytes);
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.finished = true;
                Poll::Ready(Some(Err(StreamError::Body(e))))
            }
            Poll::Ready(None) => {
                self.finished = true;
                match self.check.check() {
                    Ok(()) => Poll::Ready(None),
                    Err(e) => Poll::Ready(Some(Err(StreamError::SigV4(e)))),
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
