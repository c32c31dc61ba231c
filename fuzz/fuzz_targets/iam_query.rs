//! Fuzz target for the IAM query parser (`s4-iam-query`). The oracle lives in
//! `s4_iam_query::fuzzing` so that the crate's tests replay `corpus/iam_query/` through the
//! same function on stable: nothing panics, oversized bodies are refused, query and form
//! readings agree, and every accepted request survives serialize-then-parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    s4_iam_query::fuzzing::check(data);
});
