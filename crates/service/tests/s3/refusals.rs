//! The refusal table (`s4_service::refusals`), walked row by row: every row, on every
//! operation it names, carried as a header and (for headers) as a presigned-style query
//! parameter, is answered with the row's status and code, and storage is unchanged afterwards.
//! A new row is tested without writing a test; an operation without a request here fails.

use std::fmt::Write as _;

use base64::Engine as _;
use http::Method;
use md5::{Digest, Md5};
use s4_service::refusals::{Param, Refusal, DELETE_ENTRY_REFUSALS, REFUSALS};
use s4_service::S3ErrorCode;
use s4_storage::memory::MemoryStore;

use crate::harness::{enc_q, Req, Resp, TestServer};

const ORIGINAL: &[u8] = b"original bytes";
const SOURCE: &[u8] = b"source bytes";

/// A server with a bucket `bkt` holding `obj` and `src`, and an upload of `mp` with part 1.
struct Fixture {
    s: TestServer,
    upload_id: String,
    part_etag: String,
}

async fn fixture() -> Fixture {
    let s = TestServer::start_with(MemoryStore::new().with_min_part_size(4)).await;
    s.create_bucket("bkt").await;
    s.put("bkt", "obj", ORIGINAL).await;
    s.put("bkt", "src", SOURCE).await;
    let r = s.req(Method::POST, "/bkt/mp?uploads").send().await;
    r.assert_status(200);
    let upload_id = r.xml("UploadId").expect("UploadId");
    let r = s
        .req(
            Method::PUT,
            &format!("/bkt/mp?partNumber=1&uploadId={upload_id}"),
        )
        .body("part one, longer than the others")
        .send()
        .await;
    r.assert_status(200);
    let part_etag = r.header("etag").expect("part ETag").to_owned();
    Fixture {
        s,
        upload_id,
        part_etag,
    }
}

/// Everything the store holds that a request could change: buckets, objects (with ETags,
/// sizes and dates), uploads and their parts, and the bytes of `obj`.
async fn snapshot(f: &Fixture) -> String {
    let s = &f.s;
    let mut out = String::new();
    let buckets = s.req(Method::GET, "/").send().await;
    buckets.assert_status(200);
    for bucket in buckets.xml_all("Name") {
        let _ = writeln!(out, "bucket {bucket}");
        for path in [
            format!("/{bucket}?list-type=2"),
            format!("/{bucket}?uploads"),
        ] {
            let r = s.req(Method::GET, &path).send().await;
            r.assert_status(200);
            let _ = writeln!(out, "{path}: {}", r.text());
        }
    }
    let parts = s
        .req(Method::GET, &format!("/bkt/mp?uploadId={}", f.upload_id))
        .send()
        .await;
    let _ = writeln!(out, "parts {}: {}", parts.status, parts.text());
    let obj = s.get("bkt", "obj").await;
    let _ = writeln!(out, "obj {}: {:?}", obj.status, obj.body);
    out
}

/// How a row's parameter travels in a request.
#[derive(Debug)]
enum Carrier {
    Header(&'static str, &'static str),
    Query(&'static str, &'static str),
    CopySourceVersion(&'static str),
}

fn carriers(row: &Refusal) -> Vec<Carrier> {
    match row.param {
        Param::Header(name) | Param::HeaderPrefix { example: name, .. } => vec![
            Carrier::Header(name, row.example),
            Carrier::Query(name, row.example),
        ],
        Param::Query(name) => vec![Carrier::Query(name, row.example)],
        Param::CopySourceVersionId => vec![Carrier::CopySourceVersion(row.example)],
    }
}

fn complete_body(etag: &str) -> String {
    format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
}

/// A request for `operation` that succeeds as is (see `every_operation_request_succeeds_plain`),
/// with `carrier` added.
fn request<'a>(f: &'a Fixture, operation: &str, carrier: Option<&Carrier>) -> Req<'a> {
    let id = &f.upload_id;
    let (method, mut path, body, copy_source, acl) = match operation {
        "PutObject" => (Method::PUT, "/bkt/obj".to_owned(), "changed", None, None),
        "CopyObject" => (
            Method::PUT,
            "/bkt/obj".to_owned(),
            "",
            Some("/bkt/src"),
            None,
        ),
        "CreateMultipartUpload" => (Method::POST, "/bkt/new?uploads".to_owned(), "", None, None),
        "UploadPart" => (
            Method::PUT,
            format!("/bkt/mp?partNumber=2&uploadId={id}"),
            "part two",
            None,
            None,
        ),
        "UploadPartCopy" => (
            Method::PUT,
            format!("/bkt/mp?partNumber=2&uploadId={id}"),
            "",
            Some("/bkt/src"),
            None,
        ),
        "CompleteMultipartUpload" => (
            Method::POST,
            format!("/bkt/mp?uploadId={id}"),
            "",
            None,
            None,
        ),
        "ListParts" => (
            Method::GET,
            format!("/bkt/mp?uploadId={id}"),
            "",
            None,
            None,
        ),
        "GetObject" => (Method::GET, "/bkt/obj".to_owned(), "", None, None),
        "HeadObject" => (Method::HEAD, "/bkt/obj".to_owned(), "", None, None),
        "DeleteObject" => (Method::DELETE, "/bkt/obj".to_owned(), "", None, None),
        "GetObjectAcl" => (Method::GET, "/bkt/obj?acl".to_owned(), "", None, None),
        "PutObjectAcl" => (
            Method::PUT,
            "/bkt/obj?acl".to_owned(),
            "",
            None,
            Some("private"),
        ),
        "PutBucketAcl" => (
            Method::PUT,
            "/bkt?acl".to_owned(),
            "",
            None,
            Some("private"),
        ),
        "CreateBucket" => (Method::PUT, "/newbucket".to_owned(), "", None, None),
        other => panic!("the refusal test has no request for {other}: add one"),
    };
    if let Some(Carrier::Query(name, value)) = carrier {
        let sep = if path.contains('?') { '&' } else { '?' };
        path = format!("{path}{sep}{}={}", enc_q(name), enc_q(value));
    }
    let body = if operation == "CompleteMultipartUpload" {
        complete_body(&f.part_etag)
    } else {
        body.to_owned()
    };
    let mut req = f.s.req(method, &path).body(body);
    if let Some(acl) = acl {
        req = req.header("x-amz-acl", acl);
    }
    match (copy_source, carrier) {
        (Some(source), Some(Carrier::CopySourceVersion(version))) => {
            req = req.header(
                "x-amz-copy-source",
                &format!("{source}?versionId={version}"),
            );
        }
        (Some(source), _) => req = req.header("x-amz-copy-source", source),
        (None, Some(Carrier::CopySourceVersion(_))) => {
            panic!("{operation} has no copy source")
        }
        (None, _) => {}
    }
    if let Some(Carrier::Header(name, value)) = carrier {
        req = req.header(name, value);
    }
    req
}

#[track_caller]
fn assert_refused(r: &Resp, row: &Refusal, operation: &str, carrier: &Carrier) {
    let context = format!("{operation} with {carrier:?}: {}", r.text());
    assert_eq!(r.status.as_u16(), row.code.status(), "{context}");
    if operation == "HeadObject" {
        // HEAD answers carry no body.
        return;
    }
    r.assert_error(row.code.status(), row.code.as_str());
    assert_eq!(r.xml("Message").as_deref(), Some(row.message), "{context}");
    if row.code == S3ErrorCode::InvalidArgument {
        assert!(r.xml("ArgumentName").is_some(), "{context}");
    }
}

#[tokio::test]
async fn every_row_is_refused_on_every_operation_and_nothing_changes() {
    let f = fixture().await;
    let before = snapshot(&f).await;
    let mut sent = 0;
    for row in REFUSALS {
        for operation in row.operations.iter().map(|o| o.name()) {
            for carrier in carriers(row) {
                let r = request(&f, operation, Some(&carrier)).send().await;
                assert_refused(&r, row, operation, &carrier);
                assert_eq!(
                    snapshot(&f).await,
                    before,
                    "{operation} with {carrier:?} changed storage"
                );
                sent += 1;
            }
        }
    }
    assert!(sent >= REFUSALS.len(), "{sent} requests");
}

/// The requests above fail only because of the row: without it each one succeeds.
#[tokio::test]
async fn every_operation_request_succeeds_plain() {
    let mut operations: Vec<&str> = REFUSALS
        .iter()
        .flat_map(|r| r.operations.iter().map(|o| o.name()))
        .collect();
    operations.sort_unstable();
    operations.dedup();
    for operation in operations {
        let f = fixture().await;
        let r = request(&f, operation, None).send().await;
        assert!(
            r.status.is_success(),
            "{operation}: {} {}",
            r.status,
            r.text()
        );
    }
}

/// Accepted values describe what S4 does anyway and pass, as headers and in the query.
#[tokio::test]
async fn accepted_values_pass() {
    for row in REFUSALS.iter().filter(|r| !r.accepted.is_empty()) {
        for operation in row.operations.iter().map(|o| o.name()) {
            for accepted in row.accepted {
                let f = fixture().await;
                let name = match row.param {
                    Param::Header(name) | Param::Query(name) => name,
                    Param::HeaderPrefix { example, .. } => example,
                    Param::CopySourceVersionId => "versionId",
                };
                let req = match row.param {
                    Param::CopySourceVersionId => request(&f, operation, None).header(
                        "x-amz-copy-source",
                        &format!("/bkt/src?versionId={accepted}"),
                    ),
                    Param::Query(_) => {
                        request(&f, operation, Some(&Carrier::Query(name, accepted)))
                    }
                    Param::Header(_) | Param::HeaderPrefix { .. } => {
                        request(&f, operation, None).header(name, accepted)
                    }
                };
                let r = req.send().await;
                assert!(
                    r.status.is_success(),
                    "{operation} with {name}: {accepted}: {} {}",
                    r.status,
                    r.text()
                );
            }
        }
    }
}

/// `versionId=null` names the current object: a GET serves it and a DELETE deletes it.
#[tokio::test]
async fn null_version_is_the_current_object() {
    let f = fixture().await;
    let r = f.s.req(Method::GET, "/bkt/obj?versionId=null").send().await;
    r.assert_status(200);
    assert_eq!(&r.body[..], ORIGINAL);
    f.s.req(Method::DELETE, "/bkt/obj?versionId=abc")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    assert_eq!(f.s.get("bkt", "obj").await.status, 200);
    f.s.req(Method::DELETE, "/bkt/obj?versionId=null")
        .send()
        .await
        .assert_status(204);
    assert_eq!(f.s.get("bkt", "obj").await.status, 404);
}

/// Every server-side encryption header AWS defines falls under a row, on PutObject.
#[test]
fn every_encryption_header_is_refused() {
    use s4_service::operation::Query;
    for name in [
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-context",
        "x-amz-server-side-encryption-bucket-key-enabled",
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-server-side-encryption-customer-key-md5",
    ] {
        for operation in [
            s4_service::S3Operation::PutObject,
            s4_service::S3Operation::GetObject,
            s4_service::S3Operation::HeadObject,
            s4_service::S3Operation::CreateMultipartUpload,
        ] {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static("x"),
            );
            let e = s4_service::refusals::check(&operation, &headers, &Query::default())
                .expect_err(name);
            assert_eq!(e.code, S3ErrorCode::NotImplemented, "{name}");
        }
    }
}

/// DeleteObjects entries with a version other than `null` or a condition get a per-key
/// error and stay; the other entries are deleted.
#[tokio::test]
async fn delete_objects_entries_are_refused_per_key() {
    let f = fixture().await;
    let mut body = "<Delete>".to_owned();
    let mut refused = Vec::new();
    let mut deleted = vec!["plain".to_owned()];
    f.s.put("bkt", "plain", b"x").await;
    for (i, row) in DELETE_ENTRY_REFUSALS.iter().enumerate() {
        let element = row.field.element();
        let key = format!("refused-{i}");
        f.s.put("bkt", &key, b"x").await;
        let _ = write!(
            body,
            "<Object><Key>{key}</Key><{element}>{}</{element}></Object>",
            row.example
        );
        refused.push((key, row));
        for (j, accepted) in row.accepted.iter().enumerate() {
            let key = format!("accepted-{i}-{j}");
            f.s.put("bkt", &key, b"x").await;
            let _ = write!(
                body,
                "<Object><Key>{key}</Key><{element}>{accepted}</{element}></Object>"
            );
            deleted.push(key);
        }
    }
    body.push_str("<Object><Key>plain</Key></Object></Delete>");
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
    let r =
        f.s.req(Method::POST, "/bkt?delete")
            .header("content-md5", &md5)
            .body(body)
            .send()
            .await;
    r.assert_status(200);
    let errors = r.xml_all("Error");
    assert_eq!(errors.len(), refused.len(), "{}", r.text());
    for (key, row) in &refused {
        let error = errors
            .iter()
            .find(|e| e.contains(&format!("<Key>{key}</Key>")))
            .unwrap_or_else(|| panic!("no error for {key}: {}", r.text()));
        assert!(
            error.contains(&format!("<Code>{}</Code>", row.code.as_str())),
            "{error}"
        );
        assert!(
            error.contains(&format!("<Message>{}</Message>", row.message)),
            "{error}"
        );
        assert_eq!(f.s.get("bkt", key).await.status, 200, "{key} was deleted");
    }
    assert_eq!(r.xml_all("Deleted").len(), deleted.len(), "{}", r.text());
    for key in &deleted {
        assert_eq!(
            f.s.get("bkt", key).await.status,
            404,
            "{key} is still there"
        );
    }
}
