//! End-to-end tests of the S3 API over a real hyper server on 127.0.0.1 and `MemoryStore`.

#![allow(clippy::too_many_lines)]

mod harness;

mod acls;
mod auth;
mod buckets;
mod checksums;
mod copy;
mod cors;
mod dates;
mod list;
mod list_edges;
mod multipart;
mod objects;
mod rate_limits;
mod refusals;
mod sdk;
mod sdk_multipart;
mod write_rules;
