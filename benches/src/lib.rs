//! Shared helpers for the workspace's benchmarks.
//!
//! Benchmarks must move real, unique bytes: a payload of repeated zeros lets compression or
//! de-duplication hide costs. [`payload`] gives a cheap, deterministic, non-repeating one.

/// A deterministic pseudo-random payload of `len` bytes, different for every `seed`.
///
/// ```
/// let a = s4_benches::payload(1, 1024);
/// assert_eq!(a.len(), 1024);
/// assert_ne!(a, s4_benches::payload(2, 1024));
/// ```
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    // xorshift64*: fast and good enough to defeat compression; not for cryptography.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}
