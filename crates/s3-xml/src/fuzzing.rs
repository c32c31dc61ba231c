//! The fuzz oracle for the request parsers, shared by the `s3_xml_requests` cargo-fuzz target
//! and by a normal test that replays the seed corpus on stable.

use crate::{
    AccessControlPolicyRequest, CompleteMultipartUpload, CreateBucketConfiguration, Delete,
    RequestError, XmlDocument,
};

/// The body limit the oracle uses: small enough that the size check is exercised by the
/// fuzzer, large enough for 1001-key bodies in the corpus.
pub const FUZZ_BODY_LIMIT: usize = 256 * 1024;

/// Feeds `data` to all four request parsers and checks the oracle:
///
/// * no parser panics (any panic is a finding);
/// * an input longer than the limit is refused with `TooLarge`, whatever it contains;
/// * whenever a parser accepts the input as `x`, serializing `x` and parsing the bytes again
///   gives `x` back (the re-parse has no size limit: escaping may make the bytes longer).
///
/// Returns how many of the four parsers accepted the input (for corpus statistics).
///
/// # Panics
/// When the oracle does not hold.
pub fn check_request_parsers(data: &[u8]) -> usize {
    let mut accepted = 0;
    accepted += usize::from(round_trip(data, CreateBucketConfiguration::parse));
    accepted += usize::from(round_trip(data, Delete::parse));
    accepted += usize::from(round_trip(data, CompleteMultipartUpload::parse));
    accepted += usize::from(round_trip(data, AccessControlPolicyRequest::parse));
    accepted
}

fn round_trip<T, F>(data: &[u8], parse: F) -> bool
where
    T: XmlDocument + PartialEq + std::fmt::Debug,
    F: Fn(&[u8], usize) -> Result<T, RequestError>,
{
    let result = parse(data, FUZZ_BODY_LIMIT);
    if data.len() > FUZZ_BODY_LIMIT {
        assert!(
            matches!(result, Err(RequestError::TooLarge { .. })),
            "an oversized body must be TooLarge, got {result:?}"
        );
        return false;
    }
    match result {
        Ok(value) => {
            let bytes = value.to_xml();
            let again = parse(&bytes, usize::MAX).unwrap_or_else(|e| {
                panic!(
                    "serialized form of {value:?} does not parse: {e:?}\n{}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            assert_eq!(value, again, "round trip changed the value");
            true
        }
        Err(RequestError::TooLarge { .. }) => panic!("TooLarge under the limit"),
        Err(_) => false,
    }
}
