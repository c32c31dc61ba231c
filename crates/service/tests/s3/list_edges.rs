//! Listing edges: `encoding-type=url` spaces, a v1 `Prefix` echoed as sent, an empty
//! continuation token, and keys of 1024 multi-byte characters end to end.

use http::Method;

use crate::harness::{enc, enc_q, TestServer};

#[tokio::test]
async fn url_encoding_writes_spaces_as_percent_20() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for key in ["d e/f g", "d e/h+i", "d e/x"] {
        s.put("bkt", key, b"x").await;
    }
    let r = s
        .req(
            Method::GET,
            "/bkt?list-type=2&encoding-type=url&prefix=d%20e%2F&start-after=d%20e%2Fa%20b",
        )
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["d%20e/f%20g", "d%20e/h%2Bi", "d%20e/x"]);
    assert_eq!(r.xml("Prefix").as_deref(), Some("d%20e/"));
    assert_eq!(r.xml("StartAfter").as_deref(), Some("d%20e/a%20b"));
    assert_eq!(r.xml("EncodingType").as_deref(), Some("url"));
    let r = s
        .req(
            Method::GET,
            "/bkt?list-type=2&encoding-type=url&delimiter=%2F",
        )
        .send()
        .await;
    assert_eq!(r.xml_all("Prefix"), ["", "d%20e/"]);
}

#[tokio::test]
async fn v1_prefix_is_returned_as_sent() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "d e+f/1 2", b"x").await;
    let r = s
        .req(
            Method::GET,
            "/bkt?encoding-type=url&prefix=d%20e%2Bf%2F&marker=d%20e%2Bf%2F0",
        )
        .send()
        .await;
    r.assert_status(200);
    // Keys and the marker are encoded; the Prefix element is not (botocore does not decode
    // it), while common prefixes are.
    let prefixes = r.xml_all("Prefix");
    assert_eq!(prefixes, ["d e+f/"]);
    assert_eq!(r.xml("Marker").as_deref(), Some("d%20e%2Bf/0"));
    assert_eq!(r.xml_all("Key"), ["d%20e%2Bf/1%202"]);
    let r = s
        .req(
            Method::GET,
            "/bkt?encoding-type=url&delimiter=%2F&prefix=d%20",
        )
        .send()
        .await;
    assert_eq!(r.xml_all("Prefix"), ["d ", "d%20e%2Bf/"]);
}

#[tokio::test]
async fn empty_continuation_token_lists_from_the_start() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for key in ["a", "b", "c"] {
        s.put("bkt", key, b"x").await;
    }
    let r = s
        .req(Method::GET, "/bkt?list-type=2&continuation-token=")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["a", "b", "c"]);
    assert!(
        r.text().contains("<ContinuationToken></ContinuationToken>"),
        "the empty token is echoed: {}",
        r.text()
    );
    // Paged: the first page from an empty token continues with a real one.
    let r = s
        .req(
            Method::GET,
            "/bkt?list-type=2&continuation-token=&max-keys=2",
        )
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["a", "b"]);
    let next = r.xml("NextContinuationToken").expect("a next token");
    let r = s
        .req(
            Method::GET,
            &format!("/bkt?list-type=2&continuation-token={}", enc_q(&next)),
        )
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["c"]);
}

/// 1024 characters of 3 and 4 bytes, different at every position.
fn wide_key(seed: u32) -> String {
    (0..1024u32)
        .map(|i| {
            let n = i.wrapping_mul(7919).wrapping_add(seed * 104_729);
            let c = if i % 2 == 0 {
                0x4E00 + n % 0x5200
            } else {
                0x1F300 + n % 0x250
            };
            char::from_u32(c).unwrap_or('\u{1F600}')
        })
        .collect()
}

#[tokio::test]
async fn keys_of_1024_multibyte_characters() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let keys: Vec<String> = (1..=3).map(wide_key).collect();
    for key in &keys {
        assert_eq!(key.chars().count(), 1024);
        s.put("bkt", key, key.as_bytes()).await;
        let r = s.get("bkt", key).await;
        r.assert_status(200);
        assert_eq!(r.text(), *key);
    }
    let mut sorted = keys.clone();
    sorted.sort();
    // One key a page: each continuation token carries a 1024-character key.
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(t) => format!(
                "/bkt?list-type=2&max-keys=1&encoding-type=url&continuation-token={}",
                enc_q(t)
            ),
            None => "/bkt?list-type=2&max-keys=1&encoding-type=url".to_owned(),
        };
        let r = s.req(Method::GET, &path).send().await;
        r.assert_status(200);
        listed.extend(
            r.xml_all("Key")
                .iter()
                .map(|k| s4_s3_xml::url_decode_plus(k).expect("UTF-8")),
        );
        token = r.xml("NextContinuationToken");
        if token.is_none() {
            break;
        }
        assert!(listed.len() <= keys.len(), "the listing never ends");
    }
    assert_eq!(listed, sorted);
    // v1 with a marker that is a 1024-character key.
    let r = s
        .req(Method::GET, &format!("/bkt?marker={}", enc_q(&sorted[0])))
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), sorted[1..]);
    // Copy onto another 1024-character key.
    let target = wide_key(4);
    s.req(Method::PUT, &format!("/bkt/{}", enc(&target)))
        .header("x-amz-copy-source", &format!("/bkt/{}", enc(&keys[0])))
        .send()
        .await
        .assert_status(200);
    assert_eq!(s.get("bkt", &target).await.text(), keys[0]);
    // 1025 characters: MethodNotAllowed, nothing stored.
    let too_long = format!("{}a", wide_key(5));
    s.req(Method::PUT, &format!("/bkt/{}", enc(&too_long)))
        .body("x")
        .send()
        .await
        .assert_error(405, "MethodNotAllowed");
    let r = s.req(Method::GET, "/bkt?list-type=2").send().await;
    assert_eq!(r.xml_all("Key").len(), 4);
}
