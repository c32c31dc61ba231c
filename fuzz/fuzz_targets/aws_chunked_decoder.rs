#![no_main]
//! Oracle in `s4_sigv4::fuzzing::aws_chunked_decoder`; the sigv4 crate's tests replay `corpus/aws_chunked_decoder/`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_sigv4::fuzzing::aws_chunked_decoder(data);
});
