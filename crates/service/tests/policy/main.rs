//! End-to-end tests of bucket policies and policy enforcement over a real hyper server on
//! 127.0.0.1 and `MemoryStore`: PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy with
//! their errors, identity policies, bucket-policy denies, cross-account access, public URLs,
//! per-key DeleteObjects decisions, the connection condition keys, and bucket-policy
//! management reserved to the owning account.

#![allow(clippy::too_many_lines)]

// The S3 tests' harness: the server, its root and user keys, the signing client.
#[allow(dead_code)]
#[path = "../s3/harness.rs"]
mod harness;

mod bucket_policy;
mod enforcement;
mod explain;
mod owner_only;

use base64::Engine as _;
use http::Method;
use md5::{Digest, Md5};
use s4_sigv4::{ChecksumAlgorithm, Checksummer};
use s4_storage::{IdentityStore, PolicyTarget};

use harness::{Resp, TestServer};

pub(crate) fn md5_b64(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

pub(crate) fn crc32_b64(body: &[u8]) -> String {
    let mut c = Checksummer::new(ChecksumAlgorithm::Crc32);
    c.update(body);
    c.finalize_base64()
}

/// PutBucketPolicy as the root with a Content-MD5.
pub(crate) async fn put_policy(s: &TestServer, bucket: &str, doc: &str) -> Resp {
    s.req(Method::PUT, &format!("/{bucket}?policy"))
        .header("content-md5", &md5_b64(doc.as_bytes()))
        .body(doc.as_bytes())
        .send()
        .await
}

/// Attaches a managed policy (by name) to the harness user `alice`.
pub(crate) async fn attach_to_alice(s: &TestServer, name: &str) {
    s.store
        .attach_policy(
            &s.account,
            &PolicyTarget::User("alice".into()),
            &format!("arn:aws:iam::aws:policy/{name}"),
        )
        .await
        .unwrap();
}
