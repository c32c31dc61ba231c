//! The read path: a GET body streams a blob (or the parts of a multipart object) in large
//! chunks from a blocking thread that reads ahead into a small bounded channel.
//!
//! Tear safety: a read pins the blobs it will stream (see [`crate::Inner::pin`]) and then
//! checks in a fresh transaction that they are still referenced. An overwrite or delete that
//! commits afterwards sees the pin and leaves the file to the last reader, so the stream
//! always serves the version it started with, even across the parts of a multipart object
//! (whose files are opened one after another).
//!
//! Bit rot: a read of a whole object checks the bytes against the object's ETag while they
//! stream (the MD5 of a single-blob object; for a multipart object, the MD5 of its parts'
//! MD5s). The status and headers are sent before the last byte is read, so the check can only
//! end the stream: the stream always holds back its last chunk until the check passes, and on
//! a mismatch ends with an error instead. The service then cuts the connection and the client
//! sees a body shorter than its `Content-Length`, which SDKs report and retry; it never gets
//! the complete wrong bytes. A range cannot be checked (an MD5 covers the whole object or
//! part only) and is served unverified; `s4-server admin scrub` finds the damage instead.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;
use md5::{Digest as _, Md5};
use s4_storage::{body, BoxError, ByteStream, ETag, PartLayout, StorageError, StorageResult};
use tokio::sync::mpsc;

use crate::codec::Seal;
use crate::{BlobId, Inner, PinGuard};

/// Bytes per chunk of a GET body: large enough that per-chunk costs (a read, a channel hop, a
/// socket write) vanish next to the copy, small enough that the chunks a GET holds stay small.
const READ_CHUNK: u64 = 256 << 10;
/// Chunks read ahead of the consumer.
const READ_AHEAD: usize = 4;
/// Chunks read ahead of the hasher thread. A GET holds at most the chunks in its two
/// channels, the one being read and the one the consumer is writing out: at most
/// `(READ_AHEAD + HASH_AHEAD + 2) * READ_CHUNK` bytes (2.5 MiB), however large the object.
const HASH_AHEAD: usize = 4;

/// A byte range of one blob file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub blob: BlobId,
    pub start: u64,
    pub end: u64,
}

/// The segments that serve `range` of an object stored as one blob.
pub(crate) fn blob_segments(blob: BlobId, range: Range<u64>) -> Vec<Segment> {
    vec![Segment {
        blob,
        start: range.start,
        end: range.end,
    }]
}

/// The segments that serve `range` of a multipart object: the first part is found by
/// [`PartLayout::locate`] (one division), then the range runs across part boundaries.
pub(crate) fn part_segments(
    parts: &[BlobId],
    layout: &PartLayout,
    range: Range<u64>,
) -> Vec<Segment> {
    let mut segments = Vec::new();
    if range.is_empty() {
        return segments;
    }
    let (first, mut offset) = layout.locate(range.start);
    let mut remaining = range.end - range.start;
    for index in first..layout.count {
        if remaining == 0 {
            break;
        }
        let size = if index + 1 == layout.count {
            layout.last_part_size
        } else {
            layout.part_size
        };
        let take = (size - offset).min(remaining);
        segments.push(Segment {
            blob: parts[index as usize],
            start: offset,
            end: offset + take,
        });
        remaining -= take;
        offset = 0;
    }
    segments
}

/// What a read can check the bytes it serves against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Nothing: a range, or an ETag that is not an MD5 of the bytes.
    Unchecked,
    /// The whole object of one blob (or inline): the MD5 of its bytes.
    Md5([u8; 16]),
    /// A whole multipart object, one segment per part: the ETag over the parts' MD5s.
    Parts(ETag),
}

impl Expected {
    /// The check for serving `span` of an object of `size` bytes with `etag`, stored in
    /// `part_count` parts (`None`: one blob or inline).
    pub fn for_read(etag: &ETag, size: u64, span: &Range<u64>, part_count: Option<u32>) -> Self {
        // An empty object has no bytes to damage (and an empty stream no parts to hash).
        if size == 0 || span.start != 0 || span.end != size {
            return Self::Unchecked;
        }
        match part_count {
            None => etag.md5().map_or(Self::Unchecked, Self::Md5),
            Some(count) if etag.as_str().ends_with(&format!("-{count}")) => {
                Self::Parts(etag.clone())
            }
            Some(_) => Self::Unchecked,
        }
    }
}

/// The bytes read do not hash to the object's ETag: the blob file changed on disk.
pub(crate) fn damaged() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the object's bytes on disk do not match its ETag (damaged storage; run \
         `s4-server admin scrub`)",
    )
}

/// The body of an inline object's `span`, checked before anything is sent: a damaged record
/// is an error response, not a body. A sealed record's check covers any span and was done when
/// it was decoded (`codec::Seal`); one written before seals is checked against its MD5, for the
/// whole object only.
pub(crate) fn inline_body(
    inner: &Inner,
    bytes: Vec<u8>,
    seal: Seal,
    span: Range<u64>,
    expected: &Expected,
) -> StorageResult<ByteStream> {
    let intact = !inner.config.verify_reads
        || match (seal, expected) {
            (Seal::Broken, _) => false,
            (Seal::Absent, Expected::Md5(md5)) => Md5::digest(&bytes).as_slice() == md5,
            (Seal::Intact | Seal::Absent, _) => true,
        };
    if !intact || span.end > bytes.len() as u64 {
        inner.integrity.count_damaged_read();
        return Err(StorageError::Io(damaged()));
    }
    let bytes = Bytes::from(bytes);
    Ok(body::once(
        bytes.slice(span.start as usize..span.end as usize),
    ))
}

/// Streams `segments` of the blobs `pinned` holds, checked against `expected`; they are
/// unpinned when the stream ends or is dropped.
pub(crate) fn stream(pinned: PinGuard, segments: Vec<Segment>, expected: Expected) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(READ_AHEAD);
    let inner = pinned.inner.clone();
    let guard = pinned;
    tokio::task::spawn_blocking(move || {
        let _guard = guard;
        if let Err(e) = produce(&inner, &segments, &expected, &tx) {
            if e.kind() == io::ErrorKind::InvalidData {
                inner.integrity.count_damaged_read();
            }
            let _ = tx.blocking_send(Err(Box::new(e)));
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// One chunk of a stream and where it sits.
struct Chunk {
    bytes: Bytes,
    /// The last chunk of its segment (of a part, for a multipart object).
    ends_segment: bool,
    /// The last chunk of the stream.
    ends_stream: bool,
}

/// Reads `segments` in chunks of at most [`READ_CHUNK`], handing each to `each` until it
/// answers `false`.
fn read_chunks(
    inner: &Inner,
    segments: &[Segment],
    mut each: impl FnMut(Chunk) -> bool,
) -> io::Result<()> {
    // Without empty segments, the last chunk read is the last one of the last segment.
    let segments: Vec<&Segment> = segments.iter().filter(|s| s.end > s.start).collect();
    let count = segments.len();
    for (index, segment) in segments.into_iter().enumerate() {
        let mut file = File::open(inner.blob_path(segment.blob))?;
        if segment.start > 0 {
            file.seek(SeekFrom::Start(segment.start))?;
        }
        let mut remaining = segment.end - segment.start;
        while remaining > 0 {
            let n = remaining.min(READ_CHUNK);
            let mut buf = Vec::with_capacity(n as usize);
            (&mut file).take(n).read_to_end(&mut buf)?;
            if buf.len() as u64 != n {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "blob file is shorter than its metadata says",
                ));
            }
            remaining -= n;
            let chunk = Chunk {
                bytes: Bytes::from(buf),
                ends_segment: remaining == 0,
                ends_stream: remaining == 0 && index + 1 == count,
            };
            if !each(chunk) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The running check of a stream against its [`Expected`] digest.
struct Digest<'a> {
    expected: &'a Expected,
    whole: Md5,
    part: Md5,
    part_md5s: Vec<[u8; 16]>,
}

impl<'a> Digest<'a> {
    fn new(expected: &'a Expected) -> Self {
        Self {
            expected,
            whole: Md5::new(),
            part: Md5::new(),
            part_md5s: Vec::new(),
        }
    }

    fn update(&mut self, bytes: &[u8], ends_segment: bool) {
        match self.expected {
            Expected::Unchecked => {}
            Expected::Md5(_) => self.whole.update(bytes),
            Expected::Parts(_) => {
                self.part.update(bytes);
                if ends_segment {
                    let part = std::mem::take(&mut self.part);
                    self.part_md5s.push(part.finalize().into());
                }
            }
        }
    }

    fn intact(self) -> bool {
        match self.expected {
            Expected::Unchecked => true,
            Expected::Md5(md5) => self.whole.finalize().as_slice() == md5,
            Expected::Parts(etag) => ETag::multipart(&self.part_md5s) == *etag,
        }
    }
}

/// Reads the segments and sends every chunk but the last as soon as it is read; the last goes
/// out only once the whole stream is checked, or the stream ends with an error instead.
///
/// The MD5 (about 0.5 GB/s on one core) runs on a thread of its own when the stream has more
/// than one chunk, fed the same chunks (shared, not copied) through a bounded channel, so the
/// bytes go out while they are hashed rather than after; the stream waits for it only before
/// its last chunk.
fn produce(
    inner: &Inner,
    segments: &[Segment],
    expected: &Expected,
    tx: &mpsc::Sender<Result<Bytes, BoxError>>,
) -> io::Result<()> {
    let send = |bytes: Bytes| tx.blocking_send(Ok(bytes)).is_ok();
    let mut last = None;
    let total: u64 = segments.iter().map(|s| s.end - s.start).sum();
    let intact = if *expected == Expected::Unchecked || total <= READ_CHUNK {
        let mut digest = Digest::new(expected);
        read_chunks(inner, segments, |chunk| {
            digest.update(&chunk.bytes, chunk.ends_segment);
            if chunk.ends_stream {
                last = Some(chunk.bytes);
                return false;
            }
            send(chunk.bytes)
        })?;
        digest.intact()
    } else {
        std::thread::scope(|scope| -> io::Result<bool> {
            let (feed, fed) = std::sync::mpsc::sync_channel::<(Bytes, bool)>(HASH_AHEAD);
            let hasher = scope.spawn(move || {
                let mut digest = Digest::new(expected);
                for (bytes, ends_segment) in fed {
                    digest.update(&bytes, ends_segment);
                }
                digest.intact()
            });
            let read = read_chunks(inner, segments, |chunk| {
                if feed
                    .send((chunk.bytes.clone(), chunk.ends_segment))
                    .is_err()
                {
                    return false;
                }
                if chunk.ends_stream {
                    last = Some(chunk.bytes);
                    return false;
                }
                send(chunk.bytes)
            });
            // Ends the hasher's input, also after a failed read.
            drop(feed);
            let intact = hasher
                .join()
                .map_err(|_| io::Error::other("the GET body's hasher thread panicked"))?;
            read.map(|()| intact)
        })?
    };
    // No last chunk: the consumer went away first.
    let Some(last) = last else {
        return Ok(());
    };
    if !intact {
        return Err(damaged());
    }
    send(last);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u8) -> Vec<BlobId> {
        (0..n).map(|i| BlobId([i; 16])).collect()
    }

    fn spans(segments: &[Segment]) -> Vec<(u8, u64, u64)> {
        segments
            .iter()
            .map(|s| (s.blob.0[0], s.start, s.end))
            .collect()
    }

    #[test]
    fn only_whole_objects_with_an_md5_etag_are_checked() {
        let simple = ETag::from_md5(&[9; 16]);
        let multi = ETag::multipart([&[1; 16], &[2; 16]]);
        assert_eq!(
            Expected::for_read(&simple, 10, &(0..10), None),
            Expected::Md5([9; 16])
        );
        assert_eq!(
            Expected::for_read(&multi, 10, &(0..10), Some(2)),
            Expected::Parts(multi.clone())
        );
        // Ranges, empty objects and ETags that are not an MD5 of these bytes are not.
        for (etag, size, span, parts) in [
            (&simple, 10, 1..10, None),
            (&simple, 10, 0..9, None),
            (&simple, 0, 0..0, None),
            (&multi, 10, 0..10, None),
            (&multi, 10, 0..10, Some(3)),
            (&simple, 10, 0..10, Some(1)),
        ] {
            assert_eq!(
                Expected::for_read(etag, size, &span, parts),
                Expected::Unchecked,
                "{etag} {size} {span:?} {parts:?}"
            );
        }
    }

    #[test]
    fn part_segments_cross_boundaries_from_the_located_part() {
        let layout = PartLayout {
            count: 3,
            part_size: 10,
            last_part_size: 4,
        };
        let parts = ids(3);
        assert_eq!(
            spans(&part_segments(&parts, &layout, 0..24)),
            [(0, 0, 10), (1, 0, 10), (2, 0, 4)]
        );
        assert_eq!(
            spans(&part_segments(&parts, &layout, 9..11)),
            [(0, 9, 10), (1, 0, 1)]
        );
        assert_eq!(spans(&part_segments(&parts, &layout, 20..24)), [(2, 0, 4)]);
        assert_eq!(spans(&part_segments(&parts, &layout, 12..13)), [(1, 2, 3)]);
        assert_eq!(spans(&part_segments(&parts, &layout, 23..24)), [(2, 3, 4)]);
        assert!(part_segments(&parts, &layout, 5..5).is_empty());
        let single = PartLayout {
            count: 1,
            part_size: 7,
            last_part_size: 7,
        };
        assert_eq!(spans(&part_segments(&ids(1), &single, 3..7)), [(0, 3, 7)]);
    }
}
