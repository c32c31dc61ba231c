//! Fuzz target for `s4-policy`'s parser and evaluator: arbitrary text parsed as an identity
//! and as a bucket policy never panics, and compiled policies evaluate a grid of request
//! contexts consistently (`decide` = `explain`, a policy's own Deny always decides). The check
//! lives in `s4_policy::fuzzing::check_policy_json`, which the crate's tests also run over
//! `fuzz/corpus/policy_json/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_policy::fuzzing::check_policy_json(data);
});
