//! Consuming a request body before the commit.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use md5::{Digest, Md5};

use crate::body::ByteStream;
use crate::{StorageError, StorageResult};

/// A body that ended cleanly and passed its checks.
#[derive(Debug)]
pub(super) struct Received {
    pub bytes: Bytes,
    pub md5: [u8; 16],
}

/// Reads `body` to its end and checks it: a stream error is `Body` (nothing is kept), more
/// than `max_size` bytes is `EntityTooLarge`, a length other than `content_length` is
/// `IncompleteBody`, and a digest other than `content_md5` is `BadDigest`.
pub(super) async fn receive(
    mut body: ByteStream,
    content_length: Option<u64>,
    content_md5: Option<[u8; 16]>,
    max_size: u64,
) -> StorageResult<Received> {
    if content_length.is_some_and(|len| len > max_size) {
        return Err(StorageError::EntityTooLarge);
    }
    let mut hasher = Md5::new();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut received: u64 = 0;
    while let Some(item) = body.next().await {
        let chunk = item.map_err(StorageError::Body)?;
        received = received.saturating_add(chunk.len() as u64);
        if received > max_size {
            return Err(StorageError::EntityTooLarge);
        }
        hasher.update(&chunk);
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
    }
    if let Some(expected) = content_length {
        if expected != received {
            return Err(StorageError::IncompleteBody { expected, received });
        }
    }
    let md5: [u8; 16] = hasher.finalize().into();
    if content_md5.is_some_and(|expected| expected != md5) {
        return Err(StorageError::BadDigest);
    }
    let bytes = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut buf = BytesMut::with_capacity(received as usize);
            for chunk in &chunks {
                buf.extend_from_slice(chunk);
            }
            buf.freeze()
        }
    };
    Ok(Received { bytes, md5 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body;
    use futures_util::FutureExt;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        f.now_or_never().expect("in-memory streams are ready")
    }

    #[test]
    fn joins_chunks_and_hashes() {
        let stream = body::from_chunks([Bytes::from_static(b"ab"), Bytes::from_static(b"c")]);
        let got = run(receive(stream, Some(3), None, 10)).unwrap();
        assert_eq!(got.bytes, Bytes::from_static(b"abc"));
        let md5: [u8; 16] = Md5::digest(b"abc").into();
        assert_eq!(got.md5, md5);
    }

    #[test]
    fn refuses_oversized_bodies_announced_or_not() {
        assert!(matches!(
            run(receive(body::once("abc"), Some(3), None, 2)),
            Err(StorageError::EntityTooLarge)
        ));
        assert!(matches!(
            run(receive(body::once("abc"), None, None, 2)),
            Err(StorageError::EntityTooLarge)
        ));
    }

    #[test]
    fn stream_error_wins_over_length_checks() {
        let stream = body::failing_after([Bytes::from_static(b"ab")], "cut".into());
        match run(receive(stream, Some(2), None, 10)) {
            Err(StorageError::Body(e)) => assert_eq!(e.to_string(), "cut"),
            other => panic!("{other:?}"),
        }
    }
}
