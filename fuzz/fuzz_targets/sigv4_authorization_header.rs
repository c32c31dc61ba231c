#![no_main]
//! Oracle in `s4_sigv4::fuzzing::authorization_header`; the sigv4 crate's tests replay `corpus/sigv4_authorization_header/`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| s4_sigv4::fuzzing::authorization_header(data));
