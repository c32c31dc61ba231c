//! Fuzz target for the `Range` header as GetObject and HeadObject parse it: never panics, a
//! parsed range prints back to itself and resolves inside the object. The oracle lives in
//! `s4_service::fuzzing::check_range`, which the crate's tests also run over
//! `fuzz/corpus/range_header/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_service::fuzzing::check_range(data);
});
