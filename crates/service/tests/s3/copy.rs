use http::Method;

use crate::harness::{enc, TestServer};

type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);

#[tokio::test]
async fn copy_with_metadata_directives() {
    let s = TestServer::start().await;
    s.create_bucket("src").await;
    s.create_bucket("dst").await;
    s.req(Method::PUT, "/src/a%20b%2Bc")
        .header("content-type", "text/plain")
        .header("x-amz-meta-origin", "source")
        .body("copy me")
        .send()
        .await
        .assert_status(200);

    let r = s
        .req(Method::PUT, "/dst/copied")
        .header("x-amz-copy-source", "/src/a%20b%2Bc")
        .send()
        .await;
    r.assert_status(200);
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(b"copy me"));
    assert_eq!(r.xml("ETag"), Some(format!("&quot;{md5}&quot;")));
    assert!(r.xml("LastModified").is_some());
    let g = s.get("dst", "copied").await;
    assert_eq!(g.text(), "copy me");
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-amz-meta-origin"), Some("source"));

    // Without a leading slash, with a versionId, REPLACE.
    s.req(Method::PUT, "/dst/replaced")
        .header("x-amz-copy-source", "src/a%20b%2Bc?versionId=null")
        .header("x-amz-metadata-directive", "REPLACE")
        .header("content-type", "application/x-new")
        .header("x-amz-meta-new", "yes")
        .send()
        .await
        .assert_status(200);
    let g = s.get("dst", "replaced").await;
    assert_eq!(g.header("content-type"), Some("application/x-new"));
    assert_eq!(g.header("x-amz-meta-new"), Some("yes"));
    assert_eq!(g.header("x-amz-meta-origin"), None);

    // Onto itself: only with REPLACE.
    s.req(Method::PUT, &format!("/src/{}", enc("a b+c")))
        .header("x-amz-copy-source", "/src/a%20b%2Bc")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    s.req(Method::PUT, &format!("/src/{}", enc("a b+c")))
        .header("x-amz-copy-source", "/src/a%20b%2Bc")
        .header("x-amz-metadata-directive", "REPLACE")
        .header("x-amz-meta-changed", "1")
        .send()
        .await
        .assert_status(200);
    assert_eq!(
        s.get("src", "a b+c").await.header("x-amz-meta-changed"),
        Some("1")
    );
}

#[tokio::test]
async fn copy_errors() {
    let s = TestServer::start().await;
    s.create_bucket("src").await;
    s.put("src", "k", b"data").await;
    let etag = s.get("src", "k").await.header("etag").unwrap().to_owned();
    let cases: &[Case<'_>] = &[
        (&[("x-amz-copy-source", "src")], 400, "InvalidArgument"),
        (&[("x-amz-copy-source", "/src/")], 400, "InvalidArgument"),
        (&[("x-amz-copy-source", "/nobucket/k")], 404, "NoSuchBucket"),
        (&[("x-amz-copy-source", "/src/missing")], 404, "NoSuchKey"),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                ("x-amz-storage-class", "GLACIER"),
            ],
            400,
            "InvalidStorageClass",
        ),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                ("x-amz-copy-source-if-match", "\"nope\""),
            ],
            412,
            "PreconditionFailed",
        ),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                ("x-amz-copy-source-if-none-match", "*"),
            ],
            412,
            "PreconditionFailed",
        ),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                (
                    "x-amz-copy-source-if-unmodified-since",
                    "Sat, 01 Jan 2000 00:00:00 GMT",
                ),
            ],
            412,
            "PreconditionFailed",
        ),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                (
                    "x-amz-copy-source-if-modified-since",
                    "Fri, 01 Jan 2100 00:00:00 GMT",
                ),
            ],
            412,
            "PreconditionFailed",
        ),
        (
            &[
                ("x-amz-copy-source", "/src/k"),
                ("x-amz-metadata-directive", "MERGE"),
            ],
            400,
            "InvalidArgument",
        ),
    ];
    for (headers, status, code) in cases {
        let mut req = s.req(Method::PUT, "/src/target");
        for (n, v) in *headers {
            req = req.header(n, v);
        }
        req.send().await.assert_error(*status, code);
    }
    s.get("src", "target").await.assert_error(404, "NoSuchKey");

    // Conditions that hold, and target conditions.
    s.req(Method::PUT, "/src/target")
        .header("x-amz-copy-source", "/src/k")
        .header("x-amz-copy-source-if-match", &etag)
        .header(
            "x-amz-copy-source-if-modified-since",
            "Sat, 01 Jan 2000 00:00:00 GMT",
        )
        .header("x-amz-storage-class", "STANDARD")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/src/target")
        .header("x-amz-copy-source", "/src/k")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    s.req(Method::PUT, "/src/target")
        .header("x-amz-copy-source", "/src/k")
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(200);
}

/// `x-amz-source-expected-bucket-owner` is honoured: the source is in the request's account,
/// so any other account is `AccessDenied` and nothing is written.
#[tokio::test]
async fn copy_source_expected_owner() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "src", b"source").await;
    let r = s.req(Method::POST, "/bkt/mp?uploads").send().await;
    r.assert_status(200);
    let id = r.xml("UploadId").unwrap();
    let other = "000000000000099";
    s.req(Method::PUT, "/bkt/dst")
        .header("x-amz-copy-source", "/bkt/src")
        .header("x-amz-source-expected-bucket-owner", other)
        .send()
        .await
        .assert_error(403, "AccessDenied");
    s.get("bkt", "dst").await.assert_error(404, "NoSuchKey");
    s.req(Method::PUT, &format!("/bkt/mp?partNumber=1&uploadId={id}"))
        .header("x-amz-copy-source", "/bkt/src")
        .header("x-amz-source-expected-bucket-owner", other)
        .send()
        .await
        .assert_error(403, "AccessDenied");
    let parts = s
        .req(Method::GET, &format!("/bkt/mp?uploadId={id}"))
        .send()
        .await;
    parts.assert_status(200);
    assert!(parts.xml_all("PartNumber").is_empty(), "{}", parts.text());
    let own = s.account.as_str().to_owned();
    s.req(Method::PUT, "/bkt/dst")
        .header("x-amz-copy-source", "/bkt/src")
        .header("x-amz-source-expected-bucket-owner", &own)
        .send()
        .await
        .assert_status(200);
    assert_eq!(s.get("bkt", "dst").await.text(), "source");
    s.req(Method::PUT, &format!("/bkt/mp?partNumber=1&uploadId={id}"))
        .header("x-amz-copy-source", "/bkt/src")
        .header("x-amz-source-expected-bucket-owner", &own)
        .send()
        .await
        .assert_status(200);
}
