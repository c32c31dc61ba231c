//! End-to-end tests of the IAM API over a real hyper server on 127.0.0.1 and `MemoryStore`:
//! the official `aws-sdk-iam` for every action and error, the user/key flow, and raw
//! requests for what an SDK never sends (anonymous, tampered, oversized, GET, `iam.` host).

#![allow(clippy::too_many_lines)]

// The S3 tests' harness: the server, its root and user keys, the signing client.
#[allow(dead_code)]
#[path = "../s3/harness.rs"]
mod harness;

mod flow;
mod list_policies_filters;
mod raw;
mod sdk;
