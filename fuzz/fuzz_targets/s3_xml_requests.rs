//! Fuzz target for the S3 XML request parsers (CreateBucketConfiguration, Delete,
//! CompleteMultipartUpload). The oracle lives in `s4_s3_xml::fuzzing` so that the crate's
//! tests replay `corpus/s3_xml_requests/` through the same function on stable: no parser
//! panics, oversized input is `MaxMessageLengthExceeded`, and every accepted body survives
//! serialize-then-parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_s3_xml::fuzzing::check_request_parsers(data);
});
