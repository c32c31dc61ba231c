//! The catalogue's routing and authorization checks, and the catalogue against the spec.

use http::{HeaderMap, Method};

use super::*;
use crate::error_code::S3ErrorCode;

#[allow(clippy::needless_pass_by_value)]
fn op(
    method: Method,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &str,
) -> Result<S3Operation, S3ErrorCode> {
    route(
        &method,
        bucket,
        key,
        &Query::parse(query),
        &HeaderMap::new(),
    )
    .map(|routed| routed.operation)
    .map_err(|e| e.code)
}

#[test]
fn dispatch() {
    use S3Operation as O;
    assert_eq!(op(Method::GET, None, None, ""), Ok(O::ListBuckets));
    assert_eq!(op(Method::PUT, Some("bkt"), None, ""), Ok(O::CreateBucket));
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "location="),
        Ok(O::GetBucketLocation)
    );
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "location"),
        Ok(O::GetBucketLocation)
    );
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "list-type=2&prefix="),
        Ok(O::ListObjectsV2)
    );
    assert_eq!(
        op(
            Method::GET,
            Some("bkt"),
            None,
            "delimiter=&max-keys=1000&prefix="
        ),
        Ok(O::ListObjects)
    );
    assert_eq!(
        op(Method::POST, Some("bkt"), None, "delete="),
        Ok(O::DeleteObjects)
    );
    assert_eq!(
        op(Method::PUT, Some("bkt"), Some("k"), "acl"),
        Ok(O::PutObjectAcl)
    );
    assert_eq!(
        op(Method::HEAD, Some("bkt"), Some("k"), "versionId=x"),
        Ok(O::HeadObject)
    );
    assert_eq!(
        op(Method::PUT, Some("bkt"), None, "policy"),
        Ok(O::PutBucketPolicy)
    );
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "policy="),
        Ok(O::GetBucketPolicy)
    );
    assert_eq!(
        op(Method::DELETE, Some("bkt"), None, "policy"),
        Ok(O::DeleteBucketPolicy)
    );
    let source = CopySource {
        bucket: "src".into(),
        key: "a".into(),
    };
    let checks = O::CopyObject.checks("dst", "b", Some(&source));
    assert_eq!(
        checks
            .iter()
            .map(|c| (c.action, c.resource.as_str(), c.bucket))
            .collect::<Vec<_>>(),
        [
            ("s3:PutObject", "arn:aws:s3:::dst/b", "dst"),
            ("s3:GetObject", "arn:aws:s3:::src/a", "src")
        ]
    );
    for o in [
        O::ListBuckets,
        O::GetObject,
        O::PutBucketPolicy,
        O::ListObjectsV2,
    ] {
        assert_eq!(o.checks("b", "k", None)[0].action, o.action());
    }
    assert!(O::DeleteObjects.checks("b", "", None).is_empty());
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "cors"),
        Err(S3ErrorCode::NotImplemented)
    );
    assert_eq!(
        op(Method::POST, Some("bkt"), Some("k"), "uploads="),
        Ok(O::CreateMultipartUpload)
    );
    assert_eq!(
        op(Method::GET, Some("bkt"), None, "uploads"),
        Ok(O::ListMultipartUploads)
    );
    assert_eq!(
        op(
            Method::PUT,
            Some("bkt"),
            Some("k"),
            "partNumber=3&uploadId=u"
        ),
        Ok(O::UploadPart)
    );
    assert_eq!(
        op(Method::DELETE, Some("bkt"), Some("k"), "uploadId=u"),
        Ok(O::AbortMultipartUpload)
    );
    for bad in [
        "partNumber=0&uploadId=u",
        "partNumber=10001&uploadId=u",
        "partNumber=x&uploadId=u",
        "uploadId=u",
        "partNumber=1&uploadId=",
    ] {
        assert_eq!(
            op(Method::PUT, Some("bkt"), Some("k"), bad),
            Err(S3ErrorCode::InvalidArgument),
            "{bad}"
        );
    }
    assert_eq!(
        op(Method::GET, Some("bkt"), Some("k"), "partNumber=1"),
        Err(S3ErrorCode::NotImplemented)
    );
    assert_eq!(
        op(Method::PUT, Some("Bad_Bucket"), None, ""),
        Err(S3ErrorCode::InvalidBucketName)
    );
    assert_eq!(
        op(Method::PUT, Some("bkt"), Some("a//b"), ""),
        Err(S3ErrorCode::MethodNotAllowed)
    );
    assert_eq!(
        op(Method::DELETE, Some("bkt"), None, "acl"),
        Err(S3ErrorCode::MethodNotAllowed)
    );
}

#[test]
fn copy_sources() {
    let s = parse_copy_source(b"/src/a%20b%2Bc?versionId=null").unwrap();
    assert_eq!((s.bucket.as_str(), s.key.as_str()), ("src", "a b+c"));
    let s = parse_copy_source(b"src/dir/k").unwrap();
    assert_eq!((s.bucket.as_str(), s.key.as_str()), ("src", "dir/k"));
    for bad in [&b"src"[..], b"/src/", b"", b"/"] {
        assert_eq!(
            parse_copy_source(bad).unwrap_err().code,
            S3ErrorCode::InvalidArgument
        );
    }
}

#[test]
fn copies_are_told_apart_by_their_header() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amz-copy-source",
        http::HeaderValue::from_static("/src/a%20b"),
    );
    let routed = route(
        &Method::PUT,
        Some("dst"),
        Some("k"),
        &Query::default(),
        &headers,
    )
    .unwrap();
    assert_eq!(routed.operation, S3Operation::CopyObject);
    let source = routed.copy_source.unwrap();
    assert_eq!(
        (source.bucket.as_str(), source.key.as_str()),
        ("src", "a b")
    );
    let routed = route(
        &Method::PUT,
        Some("dst"),
        Some("k"),
        &Query::parse("partNumber=2&uploadId=u"),
        &headers,
    )
    .unwrap();
    assert_eq!(routed.operation, S3Operation::UploadPartCopy);
    headers.insert("x-amz-copy-source", http::HeaderValue::from_static("nokey"));
    let e = route(
        &Method::PUT,
        Some("dst"),
        Some("k"),
        &Query::default(),
        &headers,
    )
    .unwrap_err();
    assert_eq!(e.code, S3ErrorCode::InvalidArgument);
}

/// Every row's action is one `s4-policy` knows, of the row's resource kind; the names are
/// unique and the enum follows the table.
#[test]
fn catalogue_rows_are_consistent() {
    let mut names = std::collections::BTreeSet::new();
    for (index, row) in CATALOGUE.iter().enumerate() {
        assert_eq!(row.operation as usize, index);
        assert_eq!(row.operation.row().operation, row.operation);
        assert!(names.insert(row.operation.name()), "{:?}", row.operation);
        let name = row.action.strip_prefix("s3:").expect("an s3: action");
        assert!(
            s4_policy::actions::S3_ACTIONS.contains(&(name, row.resource)),
            "{:?}: {} on {:?}",
            row.operation,
            row.action,
            row.resource
        );
        let check = row.operation.checks("b", "k/x", None);
        if row.authorized == Authorized::PerKey {
            assert!(check.is_empty());
            continue;
        }
        let expected = match row.resource {
            ResourceKind::Service | ResourceKind::Iam => "arn:aws:s3:::*",
            ResourceKind::Bucket => "arn:aws:s3:::b",
            ResourceKind::Object => "arn:aws:s3:::b/k/x",
        };
        assert_eq!(check.len(), 1, "{:?}", row.operation);
        assert_eq!(check[0].resource, expected, "{:?}", row.operation);
    }
}

/// A request that reaches every row: method, path and headers.
fn request_for(
    row: &CatalogueRow,
) -> (
    Method,
    Option<&'static str>,
    Option<&'static str>,
    String,
    HeaderMap,
) {
    let method = match row.verb {
        Verb::Get => Method::GET,
        Verb::Put => Method::PUT,
        Verb::Post => Method::POST,
        Verb::Delete => Method::DELETE,
        Verb::Head => Method::HEAD,
    };
    let (bucket, key) = match row.target {
        Target::Service => (None, None),
        Target::Bucket => (Some("bkt"), None),
        Target::Object => (Some("bkt"), Some("k")),
    };
    let mut query = match row.sub {
        Sub::None => String::new(),
        Sub::Flag(flag) => flag.to_owned(),
        Sub::UploadId if row.verb == Verb::Put => "uploadId=u&partNumber=1".to_owned(),
        Sub::UploadId => "uploadId=u".to_owned(),
    };
    let mut headers = HeaderMap::new();
    match row.when {
        When::Always => {}
        When::CopySourceHeader => {
            headers.insert("x-amz-copy-source", http::HeaderValue::from_static("src/k"));
        }
        When::QueryValue(name, value) => {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(name);
            query.push('=');
            query.push_str(value);
        }
    }
    (method, bucket, key, query, headers)
}

/// Every row is reachable: the request its route describes is routed to it.
#[test]
fn every_row_routes_to_itself() {
    for row in CATALOGUE {
        let (method, bucket, key, query, headers) = request_for(row);
        let routed = route(&method, bucket, key, &Query::parse(&query), &headers)
            .unwrap_or_else(|e| panic!("{:?}: {}", row.operation, e.message));
        assert_eq!(routed.operation, row.operation, "{method} {query}");
    }
}

/// The S3 operations of the spec (section 2.2: `## Name` headings up to section 2.3), read
/// from `../shared/spec/` beside the workspace.
fn spec_operations() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/s4-api-spec.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the API spec must sit at ../shared/spec/ beside the workspace)",
            path.display()
        )
    });
    let start = text.find("# **2.2. Services**").expect("spec section 2.2");
    let end = text[start..].find("# **2.3.").expect("spec section 2.3") + start;
    text[start..end]
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// The catalogue serves exactly the spec's S3 operations.
#[test]
fn the_catalogue_is_the_spec_operation_list() {
    let spec = spec_operations();
    assert_eq!(spec.len(), 27, "{spec:?}");
    let spec: std::collections::BTreeSet<&str> = spec.iter().map(String::as_str).collect();
    let served: std::collections::BTreeSet<&str> =
        S3Operation::all().map(S3Operation::name).collect();
    assert_eq!(served, spec);
}

/// What the catalogue does not serve is answered as `docs/compatibility.md` says: every
/// sub-resource it lists as refused, on buckets and objects and with every method, is
/// `NotImplemented`, and so are single-part reads and presigned POST.
#[test]
fn refused_operations_are_answered_as_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compatibility.md");
    let doc = std::fs::read_to_string(path).expect("docs/compatibility.md");
    let paragraph = doc
        .split("Also refused, outside the table because they decide which operation a request is:")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the paragraph of refused sub-resources");
    let documented: Vec<&str> = paragraph
        .split('`')
        .filter_map(|piece| piece.strip_prefix('?'))
        .collect();
    assert_eq!(documented, UNSUPPORTED_SUBRESOURCES);
    assert!(paragraph.contains("`NotImplemented`"));
    for sub in UNSUPPORTED_SUBRESOURCES {
        for (bucket, key) in [(Some("bkt"), None), (Some("bkt"), Some("k"))] {
            for method in [Method::GET, Method::PUT, Method::DELETE, Method::POST] {
                let e =
                    route(&method, bucket, key, &Query::parse(sub), &HeaderMap::new()).unwrap_err();
                assert_eq!(e.code, S3ErrorCode::NotImplemented, "{method} ?{sub}");
            }
        }
    }
    for method in [Method::GET, Method::HEAD] {
        let e = route(
            &method,
            Some("bkt"),
            Some("k"),
            &Query::parse("partNumber=1"),
            &HeaderMap::new(),
        )
        .unwrap_err();
        assert_eq!(e.code, S3ErrorCode::NotImplemented);
    }
    let e = route(
        &Method::POST,
        Some("bkt"),
        None,
        &Query::default(),
        &HeaderMap::new(),
    )
    .unwrap_err();
    assert_eq!(e.code, S3ErrorCode::NotImplemented);
}
