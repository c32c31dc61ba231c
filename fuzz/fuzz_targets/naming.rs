//! Fuzz target for `s4-naming`: the validators never panic and agree with the spec-literal
//! oracles, and every ARN that parses round-trips through `Display` byte for byte. The oracle
//! lives in `s4_naming::fuzzing::check`, which the crate's tests also run over
//! `fuzz/corpus/naming/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_naming::fuzzing::check(data);
});
