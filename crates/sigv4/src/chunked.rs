//! The aws-chunked body decoder: a bounded, I/O-free state machine.
//!
//! Input arrives in arbitrary pieces; decoded data leaves only once it is trustworthy. With
//! signed chunks that means after the chunk's signature verified, so one chunk is buffered
//! (as zero-copy slices of the input), and the chunk size is capped to bound that buffer.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::checksum::{ChecksumAlgorithm, Checksummer};
use crate::chunk_sign::ChunkSigningContext;
use crate::error::SigV4Error;
use crate::key::Signature;

/// The longest chunk-size line and the largest trailer block accepted.
pub const MAX_LINE: usize = 8 * 1024;
/// The default cap on one chunk's size. Clients use 64 KiB to 1 MiB (a few SDKs up to 8 MiB).
pub const DEFAULT_MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;

/// Reads shorter than this are copied rather than kept as slices while a chunk is pending.
const SMALL_READ: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data { remaining: u64 },
    DataCrlf { seen: u8 },
    FinalCrlf { seen: u8 },
    Trailer,
    Done,
    Failed,
}

/// Decodes an aws-chunked body: `push` input, `pop` decoded data, `finish` at end of input.
///
/// ```
/// use bytes::Bytes;
/// use s4_sigv4::ChunkedDecoder;
/// let mut dec = ChunkedDecoder::new(None, true, None, 5);
/// dec.push(Bytes::from_static(b"5\r\nhel")).unwrap();
/// dec.push(Bytes::from_static(b"lo\r\n0\r\n\r\n")).unwrap();
/// dec.finish().unwrap();
/// let mut out = Vec::new();
/// while let Some(piece) = dec.pop() {
///     out.extend_from_slice(&piece);
/// }
/// assert_eq!(out, b"hello");
/// ```
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    signing: Option<(ChunkSigningContext, Signature)>,
    trailer_mode: bool,
    trailer: Option<ChecksumAlgorithm>,
    checksum: Option<Checksummer>,
    expected_len: u64,
    decoded_len: u64,
    max_chunk: usize,
    line: Vec<u8>,
    trailer_block: Vec<u8>,
    chunk_signature: Option<Signature>,
    chunk_hash: Sha256,
    /// A signed chunk's data awaiting its signature: large reads as zero-copy slices, small
    /// ones copied into `pending_small`, so a trickle of tiny reads cannot make the list (and
    /// its per-entry overhead) grow with the chunk size.
    pending: Vec<Bytes>,
    pending_small: BytesMut,
    output: VecDeque<Bytes>,
}

impl ChunkedDecoder {
    /// A decoder. `signing` is `Some` when chunks are signed; `trailer_mode` when a trailer
    /// block follows the final chunk; `trailer` names the checksum the trailer must carry
    /// (from `x-amz-trailer`); `decoded_length` is `x-amz-decoded-content-length`.
    /// [`crate::PayloadMode::chunked_decoder`] builds the right one from a verified request.
    pub fn new(
        signing: Option<ChunkSigningContext>,
        trailer_mode: bool,
        trailer: Option<ChecksumAlgorithm>,
        decoded_length: u64,
    ) -> Self {
        Self {
            state: State::Header,
            signing: signing.map(|c| {
                let seed = *c.seed();
                (c, seed)
            }),
            trailer_mode,
            trailer,
            checksum: trailer.map(Checksummer::new),
            expected_len: decoded_length,
            decoded_len: 0,
            max_chunk: DEFAULT_MAX_CHUNK_SIZE,
            line: Vec::new(),
            trailer_block: Vec::new(),
            chunk_signature: None,
            chunk_hash: Sha256::new(),
            pending: Vec::new(),
            pending_small: BytesMut::new(),
            output: VecDeque::new(),
        }
    }

    /// Changes the cap on a single chunk's size (default 16 MiB).
    #[must_use]
    pub fn with_max_chunk_size(mut self, max: usize) -> Self {
        self.max_chunk = max;
        self
    }

    /// Whether the final chunk (and trailer) has been decoded and verified.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The next piece of verified, decoded data.
    pub fn pop(&mut self) -> Option<Bytes> {
        self.output.pop_front()
    }

    /// Consumes input. After an error the decoder stays failed and releases nothing more.
    pub fn push(&mut self, mut input: Bytes) -> Result<(), SigV4Error> {
        if self.state == State::Failed {
            return Err(SigV4Error::invalid(
                "aws-chunked body already failed to decode",
            ));
        }
        let result = self.process(&mut input);
        if result.is_err() {
            self.fail();
        }
        result
    }

    /// Marks the end of input: the body must be complete.
    pub fn finish(&mut self) -> Result<(), SigV4Error> {
        let result = match self.state {
            State::Done => Ok(()),
            // Tolerate a body that stops right after a complete line where only the closing
            // empty line is missing: every signature and checksum is still checked.
            State::FinalCrlf { seen: 0 } => {
                self.state = State::Done;
                Ok(())
            }
            State::Trailer if self.line.is_empty() => self.end_trailer(),
            State::Failed => Err(SigV4Error::invalid(
                "aws-chunked body already failed to decode",
            )),
            _ => Err(SigV4Error::IncompleteBody {
                expected: self.expected_len,
                received: self.decoded_len,
            }),
        };
        if result.is_err() {
            self.fail();
        }
        result
    }

    fn fail(&mut self) {
        self.state = State::Failed;
        self.pending.clear();
        self.pending_small = BytesMut::new();
        self.output.clear();
        self.line = Vec::new();
        self.trailer_block = Vec::new();
    }

    fn process(&mut self, input: &mut Bytes) -> Result<(), SigV4Error> {
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailer => {
                    let Some(line) = self.take_line(input)? else {
                        continue;
                    };
                    if self.state == State::Header {
                        self.on_header_line(&line)?;
                    } else {
                        self.on_trailer_line(&line)?;
                    }
                }
                State::Data { remaining } => {
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let piece = input.split_to(n);
                    self.on_data(piece);
                    let remaining = remaining - n as u64;
                    if remaining == 0 {
                        self.end_chunk()?;
                        self.state = State::DataCrlf { seen: 0 };
                    } else {
                        self.state = State::Data { remaining };
                    }
                }
                State::DataCrlf { seen } | State::FinalCrlf { seen } => {
                    if input[0] != b"\r\n"[seen as usize] {
                        return Err(SigV4Error::invalid(
                            "aws-chunked chunk data is not followed by CRLF",
                        ));
                    }
                    input.advance(1);
                    self.state = match (self.state, seen) {
                        (State::DataCrlf { .. }, 0) => State::DataCrlf { seen: 1 },
                        (State::DataCrlf { .. }, _) => State::Header,
                        (_, 0) => State::FinalCrlf { seen: 1 },
                        _ => State::Done,
                    };
                }
                State::Done => {
                    return Err(SigV4Error::invalid(
                        "data after the end of the aws-chunked body",
                    ))
                }
                State::Failed => {
                    return Err(SigV4Error::invalid(
                        "aws-chunked body already failed to decode",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Collects bytes up to and including `\n`; returns the line without CRLF once complete.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Vec<u8>>, SigV4Error> {
        let limit_used = if self.state == State::Trailer {
            self.trailer_block.len()
        } else {
            0
        };
        let too_long = || SigV4Error::invalid("aws-chunked header or trailer line too long");
        match input.iter().position(|&b| b == b'\n') {
            None => {
                if limit_used + self.line.len() + input.len() > MAX_LINE {
                    return Err(too_long());
                }
                self.line.extend_from_slice(input);
                input.clear();
                Ok(None)
            }
            Some(i) => {
                if limit_used + self.line.len() + i + 1 > MAX_LINE {
                    return Err(too_long());
                }
                self.line.extend_from_slice(&input[..=i]);
                input.advance(i + 1);
                let mut line = std::mem::take(&mut self.line);
                if line.len() < 2 || line[line.len() - 2] != b'\r' {
                    return Err(SigV4Error::invalid(
                        "aws-chunked line does not end with CRLF",
                    ));
                }
                line.truncate(line.len() - 2);
                Ok(Some(line))
            }
        }
    }

    fn on_header_line(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        let framing =
            |what: &str| SigV4Error::invalid(format!("Invalid aws-chunked chunk header: {what}"));
        let (size_hex, ext) = match line.iter().position(|&b| b == b';') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        if size_hex.is_empty() || size_hex.len() > 16 || !size_hex.iter().all(u8::is_ascii_hexdigit)
        {
            return Err(framing("bad chunk size"));
        }
        let size = size_hex.iter().fold(0u64, |acc, &b| {
            (acc << 4) | u64::from((b as char).to_digit(16).unwrap_or(0))
        });
        self.chunk_signature = match (&self.signing, ext) {
            (Some(_), Some(ext)) => {
                let sig = ext
                    .strip_prefix(b"chunk-signature=")
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(Signature::from_hex)
                    .ok_or_else(|| framing("bad chunk-signature"))?;
                Some(sig)
            }
            (Some(_), None) => return Err(framing("missing chunk-signature")),
            (None, Some(_)) => {
                return Err(framing("unexpected chunk extension in an unsigned body"))
            }
            (None, None) => None,
        };
        if size > self.max_chunk as u64 {
            return Err(SigV4Error::ChunkTooLarge {
                size,
                max: self.max_chunk,
            });
        }
        if self.decoded_len.saturating_add(size) > self.expected_len {
            return Err(SigV4Error::DecodedLengthExceeded {
                expected: self.expected_len,
            });
        }
        if size == 0 {
            self.end_chunk()?;
            if self.decoded_len != self.expected_len {
                return Err(SigV4Error::IncompleteBody {
                    expected: self.expected_len,
                    received: self.decoded_len,
                });
            }
            self.state = if self.trailer_mode {
                State::Trailer
            } else {
                State::FinalCrlf { seen: 0 }
            };
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn on_data(&mut self, piece: Bytes) {
        self.decoded_len += piece.len() as u64;
        if let Some(c) = &mut self.checksum {
            c.update(&piece);
        }
        if self.signing.is_some() {
            self.chunk_hash.update(&piece);
            if piece.len() >= SMALL_READ {
                self.flush_small();
                self.pending.push(piece);
            } else {
                self.pending_small.extend_from_slice(&piece);
            }
        } else if !piece.is_empty() {
            self.output.push_back(piece);
        }
    }

    fn flush_small(&mut self) {
        if !self.pending_small.is_empty() {
            let small = self.pending_small.split().freeze();
            self.pending.push(small);
        }
    }

    /// Verifies the chunk just read and releases its data.
    fn end_chunk(&mut self) -> Result<(), SigV4Error> {
        if let Some((ctx, prev)) = &mut self.signing {
            let digest: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
            let expected = ctx.chunk_signature(prev, &digest);
            let claimed = self
                .chunk_signature
                .take()
                .ok_or(SigV4Error::ChunkSignatureMismatch)?;
            if !expected.ct_eq(&claimed) {
                return Err(SigV4Error::ChunkSignatureMismatch);
            }
            *prev = expected;
            self.output
                .extend(self.pending.drain(..).filter(|b| !b.is_empty()));
            let small = self.pending_small.split().freeze();
            if !small.is_empty() {
                self.output.push_back(small);
            }
        }
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), SigV4Error> {
        if line.is_empty() {
            return self.end_trailer();
        }
        self.trailer_block.extend_from_slice(line);
        self.trailer_block.push(b'\n');
        Ok(())
    }

    fn end_trailer(&mut self) -> Result<(), SigV4Error> {
        let block = std::mem::take(&mut self.trailer_block);
        let text = std::str::from_utf8(&block)
            .map_err(|_| SigV4Error::invalid("aws-chunked trailer is not valid UTF-8"))?;
        let mut canonical = String::new();
        let mut signature = None;
        let mut checksum_value = None;
        for line in text.lines() {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| SigV4Error::invalid("aws-chunked trailer line without ':'"))?;
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name == "x-amz-trailer-signature" {
                if self.signing.is_none() || signature.is_some() {
                    return Err(SigV4Error::invalid("unexpected x-amz-trailer-signature"));
                }
                signature = Some(Signature::from_hex(value).ok_or_else(|| {
                    SigV4Error::invalid("x-amz-trailer-signature must be 64 hex digits")
                })?);
                continue;
            }
            if signature.is_some() {
                return Err(SigV4Error::invalid(
                    "x-amz-trailer-signature must be the last trailer",
                ));
            }
            let algorithm = ChecksumAlgorithm::from_header_name(&name);
            if algorithm.is_none() || algorithm != self.trailer || checksum_value.is_some() {
                return Err(SigV4Error::invalid(format!(
                    "aws-chunked trailer '{name}' was not declared in x-amz-trailer"
                )));
            }
            checksum_value = Some(value.to_owned());
            canonical.push_str(&name);
            canonical.push(':');
            canonical.push_str(value);
            canonical.push('\n');
        }
        if let Some((ctx, prev)) = &self.signing {
            let claimed =
                signature.ok_or_else(|| SigV4Error::invalid("missing x-amz-trailer-signature"))?;
            if !ctx
                .trailer_signature(prev, canonical.as_bytes())
                .ct_eq(&claimed)
            {
                return Err(SigV4Error::TrailerSignatureMismatch);
            }
        }
        if let Some(checksum) = self.checksum.take() {
            let value = checksum_value.ok_or_else(|| {
                SigV4Error::invalid(format!(
                    "aws-chunked trailer lacks the declared {}",
                    checksum.algorithm()
                ))
            })?;
            checksum.verify(&value)?;
        }
        self.state = State::Done;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk_sign::ChunkEncoder;
    use crate::credential::CredentialScope;
    use crate::key::SigningKey;

    #[test]
    fn tiny_reads_of_a_pending_chunk_are_coalesced() {
        let scope = CredentialScope::new("20250101", "r", "s3");
        let key = SigningKey::derive("s", "20250101", "r", "s3");
        let seed = Signature::from_hex(&"1".repeat(64)).unwrap();
        let ctx = ChunkSigningContext::new(key, "20250101T000000Z", &scope, seed);
        let payload = vec![7u8; 100_000];
        let body = ChunkEncoder::signed(ctx.clone()).encode_all(&payload, payload.len());
        let mut dec = ChunkedDecoder::new(Some(ctx), false, None, payload.len() as u64);
        let header_len = body.iter().position(|&b| b == b'\n').unwrap() + 1;
        dec.push(Bytes::copy_from_slice(&body[..header_len]))
            .unwrap();
        for b in &body[header_len..header_len + 90_000] {
            dec.push(Bytes::copy_from_slice(&[*b])).unwrap();
        }
        // 90 000 one-byte reads became one buffer, not 90 000 slices.
        assert!(dec.pending.is_empty());
        assert_eq!(dec.pending_small.len(), 90_000);
        // A large read flushes the small ones and is kept as a slice.
        dec.push(Bytes::copy_from_slice(
            &body[header_len + 90_000..header_len + 96_000],
        ))
        .unwrap();
        assert_eq!(dec.pending.len(), 2);
        dec.push(Bytes::copy_from_slice(&body[header_len + 96_000..]))
            .unwrap();
        dec.finish().unwrap();
        let mut out = Vec::new();
        while let Some(b) = dec.pop() {
            out.extend_from_slice(&b);
        }
        assert_eq!(out, payload);
    }
}
