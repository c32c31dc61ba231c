use http::Method;

use crate::harness::{enc_q, TestServer};

async fn fill(s: &TestServer) {
    s.create_bucket("bkt").await;
    for key in ["a/1", "a/2", "b", "c/x/1", "c/y", "d+e f", "z"] {
        s.put("bkt", key, key.as_bytes()).await;
    }
}

#[tokio::test]
async fn v2_pagination_with_continuation_tokens() {
    let s = TestServer::start().await;
    fill(&s).await;
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/bkt?list-type=2&max-keys=2".to_owned();
        if let Some(t) = &token {
            path = format!("{path}&continuation-token={}", enc_q(t));
        }
        let r = s.req(Method::GET, &path).send().await;
        r.assert_status(200);
        pages += 1;
        assert_eq!(r.xml("MaxKeys").as_deref(), Some("2"));
        keys.extend(r.xml_all("Key"));
        assert_eq!(r.xml("ContinuationToken"), token);
        if r.xml("IsTruncated").as_deref() == Some("true") {
            token = Some(r.xml("NextContinuationToken").unwrap());
        } else {
            assert!(r.xml("NextContinuationToken").is_none());
            break;
        }
    }
    assert_eq!(keys, ["a/1", "a/2", "b", "c/x/1", "c/y", "d+e f", "z"]);
    assert_eq!(pages, 4);

    s.req(Method::GET, "/bkt?list-type=2&continuation-token=%21%21")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn delimiter_prefix_start_after_and_owner() {
    let s = TestServer::start().await;
    fill(&s).await;
    let r = s
        .req(Method::GET, "/bkt?list-type=2&delimiter=%2F")
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["b", "d+e f", "z"]);
    assert_eq!(r.xml_all("Prefix")[1..], ["a/", "c/"]);
    assert_eq!(r.xml("KeyCount").as_deref(), Some("5"));
    assert!(r.xml("Owner").is_none());

    let r = s
        .req(
            Method::GET,
            "/bkt?list-type=2&prefix=c%2F&delimiter=%2F&fetch-owner=true",
        )
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["c/y"]);
    assert_eq!(r.xml_all("Prefix"), ["c/", "c/x/"]);
    assert_eq!(r.xml("DisplayName").as_deref(), Some(s.account.as_str()));

    let r = s
        .req(Method::GET, "/bkt?list-type=2&start-after=c%2Fy")
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["d+e f", "z"]);
    assert_eq!(r.xml("StartAfter").as_deref(), Some("c/y"));

    // An empty delimiter means none (rclone).
    let r = s
        .req(Method::GET, "/bkt?delimiter=&max-keys=1000&prefix=")
        .send()
        .await;
    assert_eq!(r.xml_all("Key").len(), 7);

    // encoding-type=url
    let r = s
        .req(Method::GET, "/bkt?list-type=2&prefix=d&encoding-type=url")
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["d%2Be%20f"]);
    assert_eq!(r.xml("EncodingType").as_deref(), Some("url"));
    let r = s.req(Method::GET, "/bkt?encoding-type=base64").send().await;
    r.assert_error(400, "InvalidArgument");
    assert_eq!(r.xml("ArgumentName").as_deref(), Some("encoding-type"));
}

#[tokio::test]
async fn v1_markers_and_max_keys() {
    let s = TestServer::start().await;
    fill(&s).await;
    let r = s.req(Method::GET, "/bkt?max-keys=3").send().await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["a/1", "a/2", "b"]);
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("true"));
    assert_eq!(r.xml("NextMarker").as_deref(), Some("b"));
    assert_eq!(r.xml("DisplayName").as_deref(), Some(s.account.as_str()));
    assert_eq!(r.xml("StorageClass").as_deref(), Some("STANDARD"));
    let r = s.req(Method::GET, "/bkt?marker=b&max-keys=3").send().await;
    assert_eq!(r.xml_all("Key"), ["c/x/1", "c/y", "d+e f"]);
    assert_eq!(r.xml("Marker").as_deref(), Some("b"));
    let r = s.req(Method::GET, "/bkt/?max-keys=5000").send().await;
    assert_eq!(r.xml("MaxKeys").as_deref(), Some("1000"));
    assert_eq!(r.xml_all("Key").len(), 7);
    let r = s.req(Method::GET, "/bkt?max-keys=0").send().await;
    r.assert_status(200);
    assert!(r.xml_all("Key").is_empty());
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("false"));
    for bad in ["-1", "abc", ""] {
        s.req(Method::GET, &format!("/bkt?max-keys={bad}"))
            .send()
            .await
            .assert_error(400, "InvalidArgument");
        s.req(Method::GET, &format!("/bkt?list-type=2&max-keys={bad}"))
            .send()
            .await
            .assert_error(400, "InvalidArgument");
    }
    s.req(Method::GET, "/nobucket")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    s.req(Method::GET, "/nobucket?list-type=2&max-keys=0")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
}
