//! The read path: a GET body streams a blob (or the parts of a multipart object) in large
//! chunks from a blocking thread that reads ahead into a small bounded channel.
//!
//! Tear safety: a read pins the blobs it will stream (see [`crate::Inner::pin`]) and then
//! checks in a fresh transaction that they are still referenced. An overwrite or delete that
//! commits afterwards sees the pin and leaves the file to the last reader, so the stream
//! always serves the version it started with, even across the parts of a multipart object
//! (whose files are opened one after another).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;
use s4_storage::{BoxError, ByteStream, PartLayout};
use tokio::sync::mpsc;

use crate::{BlobId, Inner, PinGuard};

/// Bytes per chunk of a GET body.
const READ_CHUNK: u64 = 1 << 20;
/// Chunks read ahead of the consumer.
const READ_AHEAD: usize = 4;

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

/// Streams `segments` of the blobs `pinned` holds; they are unpinned when the stream ends or
/// is dropped.
pub(crate) fn stream(pinned: PinGuard, segments: Vec<Segment>) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(READ_AHEAD);
    let inner = pinned.inner.clone();
    let guard = pinned;
    tokio::task::spawn_blocking(move || {
        let _guard = guard;
        if let Err(e) = produce(&inner, &segments, &tx) {
            let _ = tx.blocking_send(Err(Box::new(e)));
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

fn produce(
    inner: &Inner,
    segments: &[Segment],
    tx: &mpsc::Sender<Result<Bytes, BoxError>>,
) -> io::Result<()> {
    for segment in segments {
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
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                // The consumer went away.
                return Ok(());
            }
        }
    }
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
