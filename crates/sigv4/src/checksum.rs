//! The `x-amz-checksum-*` algorithms: incremental computation and comparison.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::SigV4Error;

/// A checksum algorithm S3 clients send as `x-amz-checksum-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE), the botocore default since 1.36.
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME, the default of newer SDKs.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in header-name order.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The header (and trailer) name, `x-amz-checksum-<name>`.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm of a header name, compared case-insensitively.
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name))
    }

    fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header_name())
    }
}

/// An incremental checksum.
pub struct Checksummer {
    algorithm: ChecksumAlgorithm,
    state: State,
}

enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64(crc64fast_nvme::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Checksummer {
    /// A fresh checksum of the empty input.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Self { algorithm, state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Feeds data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            State::Crc64(d) => d.write(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The raw digest (big-endian for the CRCs, as S3 sends them).
    pub fn finalize(self) -> Vec<u8> {
        match self.state {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(c) => c.to_be_bytes().to_vec(),
            State::Crc64(d) => d.sum64().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The digest in base64, the header form.
    pub fn finalize_base64(self) -> String {
        STANDARD.encode(self.finalize())
    }

    /// Compares with a base64 header value; a value that is not valid base64 of the right
    /// length cannot match and is reported the same way.
    pub fn verify(self, expected_base64: &str) -> Result<(), SigV4Error> {
        let algorithm = self.algorithm;
        let ok = match STANDARD.decode(expected_base64.trim()) {
            Ok(expected) if expected.len() == algorithm.digest_len() => self.finalize() == expected,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(SigV4Error::BadDigest(algorithm))
        }
    }
}

impl fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksummer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut c = Checksummer::new(algorithm);
        c.update(data);
        c.finalize_base64()
    }

    #[test]
    fn known_values() {
        let a = vec![b'a'; 66560];
        assert_eq!(b64(ChecksumAlgorithm::Crc32c, &a), "sOO8/Q==");
        assert_eq!(b64(ChecksumAlgorithm::Crc32, b""), "AAAAAA==");
        // CRC-32 of "123456789" is 0xCBF43926; CRC-32C is 0xE3069283; CRC-64/NVME is 0xAE8B14860A799888.
        assert_eq!(
            b64(ChecksumAlgorithm::Crc32, b"123456789"),
            STANDARD.encode(0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            b64(ChecksumAlgorithm::Crc32c, b"123456789"),
            STANDARD.encode(0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            b64(ChecksumAlgorithm::Crc64Nvme, b"123456789"),
            STANDARD.encode(0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
        assert_eq!(
            b64(ChecksumAlgorithm::Sha1, b"abc"),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        assert_eq!(
            b64(ChecksumAlgorithm::Sha256, b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn split_updates_match_and_verify_rejects() {
        for algorithm in ChecksumAlgorithm::ALL {
            let data = b"hello, checksum world";
            let mut c = Checksummer::new(algorithm);
            c.update(&data[..5]);
            c.update(&data[5..]);
            let whole = b64(algorithm, data);
            assert_eq!(c.finalize_base64(), whole);
            let mut c = Checksummer::new(algorithm);
            c.update(data);
            assert!(c.verify(&whole).is_ok());
            let mut c = Checksummer::new(algorithm);
            c.update(b"other");
            assert_eq!(c.verify(&whole).unwrap_err().s3_code(), "BadDigest");
            assert!(Checksummer::new(algorithm).verify("!!").is_err());
            assert_eq!(
                ChecksumAlgorithm::from_header_name(&algorithm.header_name().to_uppercase()),
                Some(algorithm)
            );
        }
    }
}
