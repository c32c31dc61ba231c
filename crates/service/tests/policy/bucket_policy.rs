//! PutBucketPolicy, GetBucketPolicy and DeleteBucketPolicy (spec 2.2.3).

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use http::Method;

use crate::harness::TestServer;
use crate::{crc32_b64, md5_b64, put_policy};

const DOC: &str = "{ \"Version\":\"2012-10-17\",\n  \"Statement\":[{\"Sid\":\"Pub\",\"Effect\":\"Allow\",\"Principal\":\"*\",\n\t\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::docs/*\"}]   }\n";

#[tokio::test]
async fn put_get_delete_round_trip_byte_for_byte() {
    let s = TestServer::start().await;
    s.create_bucket("docs").await;
    let policy = |m: Method| s.req(m, "/docs?policy");
    policy(Method::GET)
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    policy(Method::DELETE)
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    put_policy(&s, "docs", DOC).await.assert_status(200);
    let r = policy(Method::GET).send().await;
    r.assert_status(200);
    assert_eq!(&r.body[..], DOC.as_bytes());
    // Replaced by a second put, with a CRC32 checksum instead of Content-MD5.
    let doc2 = DOC.replace("Pub", "Public");
    policy(Method::PUT)
        .header("x-amz-checksum-crc32", &crc32_b64(doc2.as_bytes()))
        .body(doc2.as_bytes())
        .send()
        .await
        .assert_status(200);
    assert_eq!(&policy(Method::GET).send().await.body[..], doc2.as_bytes());
    policy(Method::DELETE).send().await.assert_status(204);
    policy(Method::GET)
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    policy(Method::DELETE)
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    // No bucket.
    put_policy(&s, "nobucket", &DOC.replace("docs", "nobucket"))
        .await
        .assert_error(404, "NoSuchBucket");
    // Even with a document that would not be valid for it.
    put_policy(&s, "nobucket", DOC)
        .await
        .assert_error(404, "NoSuchBucket");
    s.req(Method::GET, "/nobucket?policy")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn digest_is_mandatory_and_verified() {
    let s = TestServer::start().await;
    s.create_bucket("docs").await;
    let put = || s.req(Method::PUT, "/docs?policy").body(DOC.as_bytes());
    // None.
    put().send().await.assert_error(400, "InvalidDigest");
    // Wrong Content-MD5, wrong CRC32.
    put()
        .header("content-md5", &md5_b64(b"other"))
        .send()
        .await
        .assert_error(400, "BadDigest");
    put()
        .header("x-amz-checksum-crc32", &crc32_b64(b"other"))
        .send()
        .await
        .assert_error(400, "BadDigest");
    // A Content-MD5 that is not an MD5.
    put()
        .header("content-md5", "bm90LWFuLW1kNQ==")
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    // Nothing was stored by the refused requests.
    s.req(Method::GET, "/docs?policy")
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    // Right ones.
    put()
        .header("content-md5", &md5_b64(DOC.as_bytes()))
        .send()
        .await
        .assert_status(200);
    put()
        .header("x-amz-checksum-crc32", &crc32_b64(DOC.as_bytes()))
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn malformed_policies_name_the_element() {
    let s = TestServer::start().await;
    s.create_bucket("docs").await;
    let cases: [(String, &str); 6] = [
        ("{not json".into(), ""),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::docs/*"}]}"#.into(),
            "Action",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#.into(),
            "Resource",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#.into(),
            "Principal",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#.into(),
            "Effect",
        ),
        // Over 20 KB.
        (
            format!(
                r#"{{"Version":"2012-10-17","Id":"{}","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}}]}}"#,
                "x".repeat(21 * 1024)
            ),
            "",
        ),
    ];
    for (doc, element) in &cases {
        let r = put_policy(&s, "docs", doc).await;
        r.assert_error(400, "MalformedPolicy");
        let message = r.xml("Message").unwrap_or_default();
        assert!(message.contains(element), "{element}: {message}");
        // The message is about the document sent, never another policy.
        assert!(!message.contains("arn:aws:iam::aws:policy"), "{message}");
    }
    s.req(Method::GET, "/docs?policy")
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
}

#[tokio::test]
async fn sdk_put_get_delete_bucket_policy() {
    let s = TestServer::start().await;
    s.create_bucket("docs").await;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", s.addr))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            s.root.id.clone(),
            s.root.secret.clone(),
            None,
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let c = aws_sdk_s3::Client::from_conf(config);
    // The SDK sends x-amz-checksum-crc32, no Content-MD5.
    c.put_bucket_policy()
        .bucket("docs")
        .policy(DOC)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_policy().bucket("docs").send().await.unwrap();
    assert_eq!(got.policy(), Some(DOC));
    c.delete_bucket_policy()
        .bucket("docs")
        .send()
        .await
        .unwrap();
    let e = c
        .get_bucket_policy()
        .bucket("docs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&e),
        Some("NoSuchBucketPolicy")
    );
}
