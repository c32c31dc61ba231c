//! Signatures, the signing-key derivation and its bounded cache.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A SigV4 signature (32 bytes, sent as 64 lower-case hex digits).
///
/// It deliberately has no `PartialEq`: the only comparison is [`Signature::ct_eq`], which runs
/// in constant time so that a mismatch does not reveal how many leading bytes were right.
#[derive(Clone, Copy)]
pub struct Signature([u8; 32]);

impl Signature {
    /// Parses 64 hex digits (either case).
    pub fn from_hex(hex_str: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        if hex_str.len() != 64 {
            return None;
        }
        hex::decode_to_slice(hex_str, &mut out).ok()?;
        Some(Self(out))
    }

    /// The signature as 64 lower-case hex digits, as it goes on the wire.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Signature) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn compute(key: &SigningKey, string_to_sign: &[u8]) -> Self {
        let mut mac = key.mac();
        mac.update(string_to_sign);
        Self(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A derived signing key (`kSigning`), valid for one date, region and service.
///
/// It also keeps the HMAC state already keyed with it: cloning that state skips the two
/// block compressions of keying on every signature computed with it.
#[derive(Clone)]
pub struct SigningKey {
    bytes: [u8; 32],
    mac: HmacSha256,
}

impl SigningKey {
    /// Derives the key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    pub fn derive(secret_access_key: &str, date: &str, region: &str, service: &str) -> Self {
        let mut first = Vec::with_capacity(4 + secret_access_key.len());
        first.extend_from_slice(b"AWS4");
        first.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac_sha256(&first, date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        let bytes = hmac_sha256(&k_service, b"aws4_request");
        let mac = HmacSha256::new_from_slice(&bytes).expect("HMAC takes any key length");
        Self { bytes, mac }
    }

    /// A fresh HMAC keyed with this key.
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// The key bytes as hex, for comparing with published examples.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.write_str("SigningKey(..)")
    }
}

/// A thread-safe, bounded cache of derived signing keys.
///
/// Deriving a key costs four HMACs, more than the rest of a GET's verification, and a client
/// uses the same key all day. The cache is keyed by the secret itself (so a rotated secret
/// misses; hashing it would add two block compressions to every request, and a cached key
/// is as sensitive as the secret for its day anyway) plus date, region and service; when
/// full, the oldest entry goes first.
pub struct SigningKeyCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<String, SigningKey>,
    order: VecDeque<String>,
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// How many keys are cached now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock cannot leave the map inconsistent in a way that
        // matters (entries are whole keys), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The signing key for these parameters, derived on a miss.
    pub fn get_or_derive(
        &self,
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        let mut id = String::with_capacity(
            secret_access_key.len() + date.len() + region.len() + service.len() + 3,
        );
        // The length prefix keeps a secret containing the separator from colliding.
        id.push_str(&secret_access_key.len().to_string());
        id.push(':');
        id.push_str(secret_access_key);
        for part in [date, region, service] {
            id.push('\n');
            id.push_str(part);
        }
        if let Some(key) = self.lock().map.get(&id) {
            return key.clone();
        }
        let key = SigningKey::derive(secret_access_key, date, region, service);
        let mut inner = self.lock();
        if !inner.map.contains_key(&id) {
            while inner.map.len() >= self.capacity {
                match inner.order.pop_front() {
                    Some(old) => {
                        inner.map.remove(&old);
                    }
                    None => break,
                }
            }
            inner.order.push_back(id.clone());
            inner.map.insert(id, key.clone());
        }
        key
    }
}

impl Default for SigningKeyCache {
    /// Room for 1024 keys: a few days of every active key of a busy node.
    fn default() -> Self {
        Self::new(1024)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_s3_documentation_key() {
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        assert_eq!(
            key.to_hex(),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
        );
    }

    #[test]
    fn cache_is_bounded_and_hits() {
        let cache = SigningKeyCache::new(2);
        let a = cache.get_or_derive("s", "20250101", "r", "s3");
        assert_eq!(cache.len(), 1);
        let a2 = cache.get_or_derive("s", "20250101", "r", "s3");
        assert_eq!(a.to_hex(), a2.to_hex());
        cache.get_or_derive("s", "20250102", "r", "s3");
        cache.get_or_derive("s", "20250103", "r", "s3");
        assert_eq!(cache.len(), 2);
        let other_secret = cache.get_or_derive("t", "20250101", "r", "s3");
        assert_ne!(other_secret.to_hex(), a.to_hex());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn cache_is_shared_across_threads_and_stays_bounded() {
        let cache = std::sync::Arc::new(SigningKeyCache::new(16));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = std::sync::Arc::clone(&cache);
                std::thread::spawn(move || {
                    for day in 0..50 {
                        let date = format!("202501{:02}", day % 28 + 1);
                        let key = cache.get_or_derive(
                            "secret",
                            &date,
                            "r",
                            if t % 2 == 0 { "s3" } else { "iam" },
                        );
                        let fresh = SigningKey::derive(
                            "secret",
                            &date,
                            "r",
                            if t % 2 == 0 { "s3" } else { "iam" },
                        );
                        assert_eq!(key.to_hex(), fresh.to_hex());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(cache.len() <= 16);
    }

    #[test]
    fn signature_compares_in_constant_time_only() {
        let a = Signature::from_hex(&"ab".repeat(32)).unwrap();
        let b = Signature::from_hex(&"AB".repeat(32)).unwrap();
        let c = Signature::from_hex(&"ac".repeat(32)).unwrap();
        assert!(a.ct_eq(&b));
        assert!(!a.ct_eq(&c));
        assert!(Signature::from_hex("ab").is_none());
        assert!(Signature::from_hex(&"zz".repeat(32)).is_none());
    }
}
