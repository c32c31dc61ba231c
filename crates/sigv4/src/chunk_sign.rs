//! The chunk and trailer signature chain of aws-chunked bodies, and an encoder that produces
//! such bodies (for clients, tests and benches).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::checksum::{ChecksumAlgorithm, Checksummer};
use crate::credential::CredentialScope;
use crate::key::{Signature, SigningKey};

/// Hex SHA-256 of the empty string; every chunk string to sign carries it where a header
/// block would be in event-stream signing.
pub(crate) const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What chains chunk signatures: the signing key, request date, scope and seed signature.
#[derive(Clone)]
pub struct ChunkSigningContext {
    key: SigningKey,
    seed: Signature,
    /// `<date>\n<scope>\n`, the part of every chunk and trailer string to sign that never
    /// changes, built once.
    date_scope: String,
}

impl ChunkSigningContext {
    /// A context from the request's signing key, `x-amz-date`, scope and seed signature (the
    /// signature of the request headers).
    pub fn new(key: SigningKey, amz_date: &str, scope: &CredentialScope, seed: Signature) -> Self {
        Self {
            key,
            seed,
            date_scope: format!("{amz_date}\n{scope}\n"),
        }
    }

    /// The seed signature, the "previous signature" of the first chunk.
    pub fn seed(&self) -> &Signature {
        &self.seed
    }

    fn mac(&self, label: &[u8], prev: &Signature) -> Hmac<Sha256> {
        let mut mac = self.key.mac();
        mac.update(label);
        mac.update(self.date_scope.as_bytes());
        mac.update(prev.to_hex().as_bytes());
        mac.update(b"\n");
        mac
    }

    /// `HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<prev>\n<sha256("")>\n<sha256(data)>")`.
    pub fn chunk_signature(&self, prev: &Signature, data_sha256: &[u8; 32]) -> Signature {
        let mut mac = self.mac(b"AWS4-HMAC-SHA256-PAYLOAD\n", prev);
        mac.update(EMPTY_SHA256_HEX.as_bytes());
        mac.update(b"\n");
        mac.update(hex::encode(data_sha256).as_bytes());
        Signature::from_bytes(mac.finalize().into_bytes().into())
    }

    /// `HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<prev>\n<sha256(canonical trailer)>")`,
    /// where the canonical trailer is the trailer lines as `name:value\n`.
    pub fn trailer_signature(&self, prev: &Signature, canonical_trailer: &[u8]) -> Signature {
        let mut mac = self.mac(b"AWS4-HMAC-SHA256-TRAILER\n", prev);
        mac.update(hex::encode(Sha256::digest(canonical_trailer)).as_bytes());
        Signature::from_bytes(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for ChunkSigningContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigningContext")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// Produces an aws-chunked body, chunk by chunk.
///
/// ```
/// use s4_sigv4::{ChecksumAlgorithm, ChunkEncoder};
/// let mut enc = ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Crc32));
/// let mut body = Vec::new();
/// enc.encode_chunk(b"hello", &mut body);
/// enc.finish(&mut body);
/// assert_eq!(body, b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n");
/// ```
#[derive(Debug)]
pub struct ChunkEncoder {
    signing: Option<(ChunkSigningContext, Signature)>,
    trailer_mode: bool,
    checksum: Option<Checksummer>,
}

impl ChunkEncoder {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailer.
    pub fn signed(context: ChunkSigningContext) -> Self {
        let seed = context.seed;
        Self {
            signing: Some((context, seed)),
            trailer_mode: false,
            checksum: None,
        }
    }

    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    pub fn signed_with_trailer(
        context: ChunkSigningContext,
        trailer: Option<ChecksumAlgorithm>,
    ) -> Self {
        let seed = context.seed;
        Self {
            signing: Some((context, seed)),
            trailer_mode: true,
            checksum: trailer.map(Checksummer::new),
        }
    }

    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks and a trailer.
    pub fn unsigned_with_trailer(trailer: Option<ChecksumAlgorithm>) -> Self {
        Self {
            signing: None,
            trailer_mode: true,
            checksum: trailer.map(Checksummer::new),
        }
    }

    /// Appends one chunk carrying `data`. An empty `data` is skipped: a zero-length chunk
    /// would end the body.
    pub fn encode_chunk(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            return;
        }
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
        self.write_header(data, out);
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    fn write_header(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{:x}", data.len()).as_bytes());
        if let Some((ctx, prev)) = &mut self.signing {
            let sig = ctx.chunk_signature(prev, &Sha256::digest(data).into());
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(sig.to_hex().as_bytes());
            *prev = sig;
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Appends the final chunk and, in trailer modes, the trailer with the checksum of
    /// everything encoded.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        let trailers: Vec<(String, String)> = match self.checksum.take() {
            Some(c) => vec![(c.algorithm().header_name().to_owned(), c.finalize_base64())],
            None => Vec::new(),
        };
        let borrowed: Vec<(&str, &str)> = trailers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.finish_with_trailers(&borrowed, out);
    }

    /// Appends the final chunk and the given trailer lines (signed in the signed mode) as
    /// they are, whatever was encoded; tests use it to send wrong checksums.
    pub fn finish_with_trailers(mut self, trailers: &[(&str, &str)], out: &mut Vec<u8>) {
        self.write_header(b"", out);
        if !self.trailer_mode {
            out.extend_from_slice(b"\r\n");
            return;
        }
        let mut canonical = Vec::new();
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
            canonical.extend_from_slice(format!("{name}:{value}\n").as_bytes());
        }
        if let Some((ctx, prev)) = &self.signing {
            let sig = ctx.trailer_signature(prev, &canonical);
            out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Encodes a whole payload in chunks of `chunk_size` bytes (at least 1).
    pub fn encode_all(mut self, payload: &[u8], chunk_size: usize) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(payload.len() + payload.len() / chunk_size.max(1) * 90 + 256);
        for chunk in payload.chunks(chunk_size.max(1)) {
            self.encode_chunk(chunk, &mut out);
        }
        self.finish(&mut out);
        out
    }
}
