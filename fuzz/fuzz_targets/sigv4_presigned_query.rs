#![no_main]
//! Oracle in `s4_sigv4::fuzzing::presigned_query`; the sigv4 crate's tests replay `corpus/sigv4_presigned_query/`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s4_sigv4::fuzzing::presigned_query(data));
