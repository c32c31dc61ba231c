//! Fuzz target for the conditional headers (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since` and their `x-amz-copy-source-` forms): parsing and evaluation never
//! panic, dates round-trip, a matching `If-Match` never fails. The oracle lives in
//! `s4_service::fuzzing::check_conditions`, which the crate's tests also run over
//! `fuzz/corpus/conditional_headers/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_service::fuzzing::check_conditions(data);
});
