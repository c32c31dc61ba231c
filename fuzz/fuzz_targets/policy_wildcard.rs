//! Fuzz target for `s4-policy`'s wildcard matchers: every matcher (byte-level, compiled
//! pattern, token sequence; case-sensitive and ASCII case-insensitive) agrees with a
//! dynamic-programming oracle. The check lives in `s4_policy::fuzzing::check_wildcard`, which
//! the crate's tests also run over `fuzz/corpus/policy_wildcard/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_policy::fuzzing::check_wildcard(data);
});
