//! S3 behaviour: the S3 API Reference worked examples (values transcribed here, files not
//! copied), and the edge cases of header and presigned authentication.

mod common;

use common::{amz, sha256};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use s4_sigv4::{
    parse_request, presign, sign_headers, AuthKind, ParsedRequest, PayloadMode, SigV4Error,
    SignableBody, SigningKey, SigningKeyCache, SigningParams, UNSIGNED_PAYLOAD,
};
use time::{Duration, OffsetDateTime};

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn now() -> OffsetDateTime {
    amz("20130524T000000Z")
}

fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> (Method, Uri, HeaderMap) {
    let mut b = Request::builder().method(method).uri(target);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    let (parts, ()) = b.body(()).unwrap().into_parts();
    (parts.method, parts.uri, parts.headers)
}

fn parse(req: &(Method, Uri, HeaderMap)) -> Result<ParsedRequest, SigV4Error> {
    parse_request(&req.0, &req.1, &req.2, &["s3"]).map(|p| p.expect("not anonymous"))
}

fn verify(req: &(Method, Uri, HeaderMap), at: OffsetDateTime) -> Result<PayloadMode, SigV4Error> {
    parse(req)?
        .verify(SECRET, at, &SigningKeyCache::default())
        .map(s4_sigv4::VerifiedRequest::into_payload)
}

fn auth(signed_headers: &str, signature: &str, sdk_spacing: bool) -> String {
    let sep = if sdk_spacing { ", " } else { "," };
    format!("AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request{sep}SignedHeaders={signed_headers}{sep}Signature={signature}")
}

#[test]
fn documentation_signing_key() {
    assert_eq!(
        SigningKey::derive(SECRET, "20130524", "us-east-1", "s3").to_hex(),
        "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
    );
}

/// A header-auth example: method, target, headers, signed headers, signature, canonical request.
type Example = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
    &'static str,
);

fn header_examples() -> Vec<Example> {
    vec![
        (
            "GET",
            "/test.txt",
            vec![("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY), ("x-amz-date", "20130524T000000Z")],
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "PUT",
            "/test$file.text",
            vec![
                ("host", "examplebucket.s3.amazonaws.com"),
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ],
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        ),
        (
            "GET",
            "/?lifecycle",
            vec![("host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", EMPTY)],
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "GET",
            "/?max-keys=2&prefix=J",
            vec![("host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", EMPTY)],
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ]
}

#[test]
fn documentation_header_examples_verify_in_both_spacings() {
    for (method, target, headers, signed, sig, creq) in header_examples() {
        for sdk in [false, true] {
            let a = auth(signed, sig, sdk);
            let mut h = headers.clone();
            h.push(("authorization", &a));
            let req = request(method, target, &h);
            let mode = verify(&req, now()).unwrap_or_else(|e| panic!("{target}: {e:?}"));
            assert!(matches!(mode, PayloadMode::Sha256(_)));
            match parse(&req)
                .unwrap()
                .verify("bad", now(), &SigningKeyCache::default())
            {
                Err(SigV4Error::SignatureDoesNotMatch {
                    canonical_request, ..
                }) => assert_eq!(canonical_request, creq),
                other => panic!("{other:?}"),
            }
        }
        // The signer produces the same signature.
        let req = request(method, target, &headers);
        let mut p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
        p.content_sha256_header = false;
        let signed_req = sign_headers(
            &req.0,
            &req.1,
            &req.2,
            &p,
            &SignableBody::Precomputed(creq.rsplit('\n').next().unwrap().into()),
        )
        .unwrap();
        assert_eq!(signed_req.canonical_request(), creq);
        assert_eq!(signed_req.signature().to_hex(), sig);
    }
}

#[test]
fn documentation_presigned_example() {
    let target = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let req = request("GET", target, &[("host", "examplebucket.s3.amazonaws.com")]);
    let parsed = parse(&req).unwrap();
    assert_eq!(parsed.kind(), AuthKind::Presigned { expires: 86400 });
    assert!(matches!(
        verify(&req, now()).unwrap(),
        PayloadMode::Unsigned
    ));
    // Valid until the last second, expired after.
    verify(&req, now() + Duration::seconds(86400)).unwrap();
    let err = verify(&req, now() + Duration::seconds(86401)).unwrap_err();
    assert_eq!(
        (err.s3_code(), err.to_string().as_str()),
        ("AccessDenied", "Request has expired")
    );
    // Dated in the future: 15 minutes are tolerated, more are not.
    verify(&req, now() - Duration::minutes(15)).unwrap();
    assert_eq!(
        verify(&req, now() - Duration::minutes(16))
            .unwrap_err()
            .s3_code(),
        "RequestTimeTooSkewed"
    );
    // The signer gives the same URL.
    let plain = request(
        "GET",
        "/test.txt",
        &[("host", "examplebucket.s3.amazonaws.com")],
    );
    let p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
    let q = presign(
        &plain.0,
        &plain.1,
        &plain.2,
        &p,
        &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
        86400,
    )
    .unwrap();
    assert_eq!(
        q.query(),
        target.split_once('?').unwrap().1.replace(
            "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
            "&X-Amz-SignedHeaders=host&X-Amz-Expires=86400"
        )
    );
}

fn signed_get(extra: &[(&str, &str)], at: OffsetDateTime) -> (Method, Uri, HeaderMap) {
    let mut h = vec![("host", "s3.example.com")];
    h.extend_from_slice(extra);
    let mut req = request("GET", "/bucket/key?list-type=2&prefix=a%2Fb", &h);
    let p = SigningParams::new(AKID, SECRET, "eu-west-3", "s3", at);
    sign_headers(&req.0, &req.1, &req.2, &p, &SignableBody::Bytes(b""))
        .unwrap()
        .apply_to(&mut req.2);
    req
}

#[test]
fn clock_skew_both_directions() {
    let req = signed_get(&[], now());
    for (offset, ok) in [
        (0, true),
        (15 * 60, true),
        (-15 * 60, true),
        (15 * 60 + 1, false),
        (-15 * 60 - 1, false),
    ] {
        let r = verify(&req, now() + Duration::seconds(offset));
        if ok {
            r.unwrap();
        } else {
            let e = r.unwrap_err();
            assert_eq!(e.s3_code(), "RequestTimeTooSkewed");
        }
    }
}

#[test]
fn every_x_amz_header_and_host_must_be_signed() {
    let mut req = signed_get(&[], now());
    req.2
        .insert("x-amz-meta-sneaky", HeaderValue::from_static("1"));
    let e = verify(&req, now()).unwrap_err();
    assert!(matches!(e, SigV4Error::HeaderNotSigned(ref n) if n == "x-amz-meta-sneaky"));
    assert_eq!(e.s3_code(), "AccessDenied");

    // A hand-made header without host in SignedHeaders.
    let a = auth("x-amz-content-sha256;x-amz-date", &"0".repeat(64), true);
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY),
            ("authorization", &a),
        ],
    );
    assert!(matches!(parse(&req).unwrap_err(), SigV4Error::HeaderNotSigned(ref n) if n == "host"));

    // A non-x-amz header may stay unsigned.
    let mut req = signed_get(&[], now());
    req.2.insert("user-agent", HeaderValue::from_static("curl"));
    verify(&req, now()).unwrap();
}

#[test]
fn http2_authority_stands_in_for_host() {
    let req = signed_get(&[], now());
    let (m, _, mut h) = req;
    h.remove("host");
    let uri: Uri = "https://s3.example.com/bucket/key?list-type=2&prefix=a%2Fb"
        .parse()
        .unwrap();
    verify(&(m, uri, h), now()).unwrap();
}

#[test]
fn security_token_and_sigv2_are_refused() {
    let req = signed_get(&[("x-amz-security-token", "t")], now());
    let e = verify(&req, now()).unwrap_err();
    assert_eq!(e.s3_code(), "InvalidToken");

    let q = request(
        "GET",
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=x",
        &[("host", "h")],
    );
    assert_eq!(parse(&q).unwrap_err().s3_code(), "InvalidToken");

    let v2 = request(
        "GET",
        "/b/k?AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1700000000",
        &[("host", "h")],
    );
    let e = parse(&v2).unwrap_err();
    assert_eq!(e.s3_code(), "InvalidRequest");

    let v2h = request(
        "GET",
        "/b/k",
        &[("host", "h"), ("authorization", "AWS AKID:c2lnbmF0dXJl")],
    );
    assert_eq!(parse(&v2h).unwrap_err().s3_code(), "InvalidRequest");

    let anon = request("GET", "/b/k?versionId=1", &[("host", "h")]);
    assert!(parse_request(&anon.0, &anon.1, &anon.2, &["s3"])
        .unwrap()
        .is_none());
}

#[test]
fn wrong_service_and_missing_payload_hash() {
    let req = signed_get(&[], now());
    let e = parse_request(&req.0, &req.1, &req.2, &["iam"]).unwrap_err();
    assert_eq!(e.s3_code(), "InvalidRequest");

    // A signed x-amz-content-sha256 that went missing, and one that was never sent.
    let mut req = signed_get(&[], now());
    req.2.remove("x-amz-content-sha256");
    assert_eq!(parse(&req).unwrap_err().s3_code(), "MissingSecurityHeader");
    let a = auth("host;x-amz-date", &"0".repeat(64), true);
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            ("authorization", &a),
        ],
    );
    let e = parse(&req).unwrap_err();
    assert_eq!(e.s3_code(), "MissingSecurityHeader");

    let a = auth(
        "host;x-amz-content-sha256;x-amz-date",
        &"0".repeat(64),
        true,
    );
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", "nope"),
            ("authorization", &a),
        ],
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "InvalidRequest");
}

#[test]
fn missing_or_bad_date() {
    let a = auth("host;x-amz-content-sha256", &"0".repeat(64), true);
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-content-sha256", EMPTY),
            ("authorization", &a),
        ],
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "MissingSecurityHeader");
    let a = auth(
        "host;x-amz-content-sha256;x-amz-date",
        &"0".repeat(64),
        true,
    );
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-date", "2013-05-24"),
            ("x-amz-content-sha256", EMPTY),
            ("authorization", &a),
        ],
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "MissingSecurityHeader");
    // Scope date differs from the request date.
    let req = request(
        "GET",
        "/b/k",
        &[
            ("host", "h"),
            ("x-amz-date", "20130525T000000Z"),
            ("x-amz-content-sha256", EMPTY),
            ("authorization", &a),
        ],
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "IncompleteSignature");
}

#[test]
fn date_header_instead_of_x_amz_date() {
    // Signed by hand: the signer always adds x-amz-date, as SDKs do.
    let mut req = request(
        "GET",
        "/bucket/key",
        &[
            ("host", "h"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", EMPTY),
        ],
    );
    let creq = format!("GET\n/bucket/key\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:h\nx-amz-content-sha256:{EMPTY}\n\ndate;host;x-amz-content-sha256\n{EMPTY}");
    let sts = format!(
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{}",
        hex_sha(&creq)
    );
    let key = SigningKey::derive(SECRET, "20130524", "us-east-1", "s3");
    let sig = hmac_hex(&key, &sts);
    req.2.insert(
        "authorization",
        auth("date;host;x-amz-content-sha256", &sig, true)
            .parse()
            .unwrap(),
    );
    verify(&req, now()).unwrap();
    assert_eq!(
        verify(&req, now() + Duration::hours(1))
            .unwrap_err()
            .s3_code(),
        "RequestTimeTooSkewed"
    );
}

fn hex_sha(s: &str) -> String {
    hex::encode(sha256(s.as_bytes()))
}

/// An independent HMAC, so the test does not trust the crate's string-to-sign code.
fn hmac_hex(key: &SigningKey, data: &str) -> String {
    use hmac::{Hmac, Mac};
    let key_bytes = hex::decode(key.to_hex()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key_bytes).unwrap();
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn presigned_parameter_errors() {
    let p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
    let plain = request("GET", "/b/k", &[("host", "h")]);
    let good = presign(
        &plain.0,
        &plain.1,
        &plain.2,
        &p,
        &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
        3600,
    )
    .unwrap()
    .into_query();
    let check = |query: String, code: &str| {
        let req = request("GET", &format!("/b/k?{query}"), &[("host", "h")]);
        let r = parse(&req).and_then(|p| p.verify(SECRET, now(), &SigningKeyCache::default()));
        match r {
            Ok(_) => assert_eq!(code, "ok", "{query}"),
            Err(e) => {
                assert_eq!(e.s3_code(), code, "{query}: {e}");
            }
        }
    };
    check(good.clone(), "ok");
    check(
        good.replace(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-HMAC-SHA1",
        ),
        "AuthorizationQueryParametersError",
    );
    for param in [
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Algorithm",
    ] {
        let without: Vec<&str> = good
            .split('&')
            .filter(|kv| !kv.starts_with(param))
            .collect();
        check(without.join("&"), "AuthorizationQueryParametersError");
    }
    for bad in ["0", "604801", "-1", "1.5", "abc", "+5", ""] {
        check(
            good.replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={bad}")),
            "AuthorizationQueryParametersError",
        );
    }
    check(
        good.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524"),
        "AuthorizationQueryParametersError",
    );
    check(
        format!("{good}&X-Amz-Expires=5"),
        "AuthorizationQueryParametersError",
    );
    // The largest allowed expiry is accepted (and then the signature no longer matches).
    check(
        good.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"),
        "SignatureDoesNotMatch",
    );
    check(
        good.replace("X-Amz-Expires=3600", "X-Amz-Expires=1"),
        "SignatureDoesNotMatch",
    );
    check(format!("{good}&extra=1"), "SignatureDoesNotMatch");
    // An Authorization header as well is ambiguous.
    let req = request(
        "GET",
        &format!("/b/k?{good}"),
        &[
            ("host", "h"),
            ("authorization", &auth("host", &"0".repeat(64), true)),
        ],
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "InvalidRequest");
}

#[test]
fn presigned_expiry_bounds() {
    let plain = request("PUT", "/b/k", &[("host", "h")]);
    for expires in [1u32, 3600, 604_800] {
        let p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
        let q = presign(
            &plain.0,
            &plain.1,
            &plain.2,
            &p,
            &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
            expires,
        )
        .unwrap()
        .into_query();
        let req = request("PUT", &format!("/b/k?{q}"), &[("host", "h")]);
        verify(&req, now() + Duration::seconds(i64::from(expires))).unwrap();
        assert_eq!(
            verify(&req, now() + Duration::seconds(i64::from(expires) + 1))
                .unwrap_err()
                .s3_code(),
            "AccessDenied"
        );
        // A presigned PUT may declare its body hash; then the body is checked.
        let mut with_hash = request("PUT", &format!("/b/k?{q}"), &[("host", "h")]);
        with_hash
            .2
            .insert("x-amz-content-sha256", HeaderValue::from_static(EMPTY));
        assert!(matches!(
            verify(&with_hash, now()).unwrap_err(),
            SigV4Error::HeaderNotSigned(_)
        ));
    }
    // Signed with the header, the declared hash applies instead of UNSIGNED-PAYLOAD.
    let digest = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let with_header = request(
        "PUT",
        "/b/k",
        &[("host", "h"), ("x-amz-content-sha256", digest)],
    );
    let p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
    let q = presign(
        &with_header.0,
        &with_header.1,
        &with_header.2,
        &p,
        &SignableBody::Precomputed(digest.into()),
        60,
    )
    .unwrap()
    .into_query();
    let req = request(
        "PUT",
        &format!("/b/k?{q}"),
        &[("host", "h"), ("x-amz-content-sha256", digest)],
    );
    assert!(
        matches!(verify(&req, now()).unwrap(), PayloadMode::Sha256(d) if hex::encode(d) == digest)
    );
}

#[test]
fn iam_form_post_needs_the_body_hash() {
    let body = b"Action=ListUsers&Version=2010-05-08";
    let mut req = request(
        "POST",
        "/",
        &[
            ("host", "iam.example.com"),
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ],
    );
    let p = SigningParams::new(AKID, SECRET, "eu-central-1", "iam", now());
    assert!(!p.content_sha256_header);
    sign_headers(&req.0, &req.1, &req.2, &p, &SignableBody::Bytes(body))
        .unwrap()
        .apply_to(&mut req.2);
    assert!(req.2.get("x-amz-content-sha256").is_none());
    let parsed = parse_request(&req.0, &req.1, &req.2, &["s3", "iam"])
        .unwrap()
        .unwrap();
    assert_eq!(parsed.scope().service(), "iam");
    assert!(parsed.needs_body_sha256());
    let cache = SigningKeyCache::default();
    assert_eq!(
        parsed.verify(SECRET, now(), &cache).unwrap_err().s3_code(),
        "MissingSecurityHeader"
    );
    let parsed = parsed.with_body_sha256(sha256(body));
    let verified = parsed.verify(SECRET, now(), &cache).unwrap();
    assert!(matches!(verified.payload(), PayloadMode::Sha256(d) if *d == sha256(body)));
    let other = parse_request(&req.0, &req.1, &req.2, &["iam"])
        .unwrap()
        .unwrap()
        .with_body_sha256(sha256(b"Action=DeleteUser"));
    assert_eq!(
        other.verify(SECRET, now(), &cache).unwrap_err().s3_code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn raw_path_spellings_canonicalise_alike() {
    // A client that sent %2B and one that sent + for the same key sign the same bytes, as
    // do %7E and ~.
    let p = SigningParams::new(AKID, SECRET, "us-east-1", "s3", now());
    for (signed_as, sent_as) in [
        ("/b/a%2Bb", "/b/a+b"),
        ("/b/%7Ex", "/b/~x"),
        ("/b/a%20b", "/b/a%20b"),
        ("/b/%C3%A9", "/b/%c3%a9"),
    ] {
        let mut req = request("GET", signed_as, &[("host", "h")]);
        sign_headers(&req.0, &req.1, &req.2, &p, &SignableBody::Bytes(b""))
            .unwrap()
            .apply_to(&mut req.2);
        req.1 = sent_as.parse().unwrap();
        verify(&req, now()).unwrap_or_else(|e| panic!("{signed_as} vs {sent_as}: {e}"));
    }
    // `%2F` and `/` name the same S3 key, so they canonicalise alike too.
    let mut req = request("GET", "/b/a%2Fb", &[("host", "h")]);
    sign_headers(&req.0, &req.1, &req.2, &p, &SignableBody::Bytes(b""))
        .unwrap()
        .apply_to(&mut req.2);
    req.1 = "/b/a/b".parse().unwrap();
    verify(&req, now()).unwrap();
    // Different keys do not.
    req.1 = "/b/a%2Bc".parse().unwrap();
    assert_eq!(
        verify(&req, now()).unwrap_err().s3_code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn error_codes_follow_the_spec_table() {
    let cases: Vec<(SigV4Error, &str)> = vec![
        (
            SigV4Error::IncompleteSignature(String::new()),
            "IncompleteSignature",
        ),
        (
            SigV4Error::MissingSecurityHeader(String::new()),
            "MissingSecurityHeader",
        ),
        (SigV4Error::InvalidRequest(String::new()), "InvalidRequest"),
        (
            SigV4Error::SignatureDoesNotMatch {
                canonical_request: "c".into(),
                string_to_sign: "s".into(),
            },
            "SignatureDoesNotMatch",
        ),
        (SigV4Error::ChunkSignatureMismatch, "SignatureDoesNotMatch"),
        (
            SigV4Error::TrailerSignatureMismatch,
            "SignatureDoesNotMatch",
        ),
        (SigV4Error::PayloadHashMismatch, "SignatureDoesNotMatch"),
        (SigV4Error::invalid_access_key_id(), "InvalidAccessKeyId"),
        (SigV4Error::RequestTimeTooSkewed, "RequestTimeTooSkewed"),
        (SigV4Error::Expired, "AccessDenied"),
        (SigV4Error::HeaderNotSigned("x".into()), "AccessDenied"),
        (
            SigV4Error::ValidationError(String::new()),
            "ValidationError",
        ),
        (
            SigV4Error::AuthorizationQueryParametersError(String::new()),
            "AuthorizationQueryParametersError",
        ),
        (SigV4Error::SecurityTokenNotSupported, "InvalidToken"),
        (
            SigV4Error::IncompleteBody {
                expected: 2,
                received: 1,
            },
            "IncompleteBody",
        ),
        (
            SigV4Error::DecodedLengthExceeded { expected: 1 },
            "InvalidRequest",
        ),
        (
            SigV4Error::ChunkTooLarge { size: 2, max: 1 },
            "InvalidRequest",
        ),
        (
            SigV4Error::BadDigest(s4_sigv4::ChecksumAlgorithm::Crc32),
            "BadDigest",
        ),
    ];
    for (e, code) in cases {
        assert_eq!(e.s3_code(), code, "{e:?}");
    }
    let e = SigV4Error::SignatureDoesNotMatch {
        canonical_request: "c".into(),
        string_to_sign: "s".into(),
    };
    assert_eq!(e.signature_details(), Some(("c", "s")));
}

#[test]
fn non_ascii_auth_headers_are_validation_errors() {
    let mut req = signed_get(&[], now());
    req.2.insert(
        "x-amz-content-sha256",
        HeaderValue::from_bytes(b"\xe9t\xe9").unwrap(),
    );
    let e = parse(&req).unwrap_err();
    assert_eq!(e.s3_code(), "ValidationError");
    let mut req = signed_get(&[], now());
    req.2.insert(
        "authorization",
        HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 Credential=\xe9").unwrap(),
    );
    assert_eq!(parse(&req).unwrap_err().s3_code(), "ValidationError");
}
