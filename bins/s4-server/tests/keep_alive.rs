//! Connections stay alive through uploads sent as SDKs send them: a multipart upload whose
//! parts (over 1 MiB each) wait for `100 Continue`, all on one keep-alive connection, and the
//! server's connection counter (`s4_connections_total`) moves by exactly one.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{
    metric, parse_response, read_head, request, scrape_metrics, signed_head, start_with_metrics,
    Response, ACCESS_KEY, SECRET_KEY,
};
use http::Method;

const MIB: usize = 1024 * 1024;

/// A client that keeps one connection for every request, as an HTTP agent with keep-alive
/// does, and sends bodies after `100 Continue` when asked to.
struct KeepAliveClient {
    addr: SocketAddr,
    stream: TcpStream,
}

impl KeepAliveClient {
    fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_mins(1)))
            .expect("timeout");
        Self { addr, stream }
    }

    /// One request on the connection; fails the test if the server answers
    /// `Connection: close` or closes.
    fn send(
        &mut self,
        method: &Method,
        path: &str,
        body: &[u8],
        expect_continue: bool,
    ) -> Response {
        let extra: &[(&str, &str)] = if expect_continue {
            &[("expect", "100-continue")]
        } else {
            &[]
        };
        let signer = (ACCESS_KEY, SECRET_KEY);
        let head = signed_head(signer, self.addr, method, path, extra, body, "keep-alive");
        self.stream.write_all(head.as_bytes()).expect("send head");
        let mut final_head = Vec::new();
        if expect_continue {
            let interim = read_head(&mut self.stream).expect("interim answer");
            if interim.starts_with(b"HTTP/1.1 100") {
                self.stream.write_all(body).expect("send body");
            } else {
                final_head = interim;
            }
        } else {
            self.stream.write_all(body).expect("send body");
        }
        if final_head.is_empty() {
            final_head = read_head(&mut self.stream).expect("response head");
        }
        let mut response = parse_response(&final_head).expect("response");
        let length: usize = response
            .header("content-length")
            .map_or(0, |v| v.parse().expect("content-length"));
        response.body = vec![0; length];
        self.stream
            .read_exact(&mut response.body)
            .expect("response body");
        assert_ne!(
            response.header("connection"),
            Some("close"),
            "{method} {path} answered Connection: close ({})",
            response.status
        );
        response
    }
}

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + seed * 17) % 251) as u8)
        .collect()
}

#[test]
fn a_multipart_upload_with_100_continue_parts_uses_one_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, metrics) = start_with_metrics(&dir.path().join("data"), &[]);
    let (status, _) = request(server.addr, &Method::PUT, "/bucket", b"").expect("create bucket");
    assert_eq!(status, 200);
    let served_before = metric(&scrape_metrics(metrics), "s4_connections_total");

    let mut client = KeepAliveClient::connect(server.addr);
    let created = client.send(&Method::POST, "/bucket/big?uploads", b"", false);
    assert_eq!(created.status, 200);
    let upload_id = created.xml("UploadId").expect("UploadId");
    // Over 1 MiB each, as the SDKs that wait for `100 Continue` send them; the last one short.
    let parts = [
        payload(1, 5 * MIB),
        payload(2, 5 * MIB),
        payload(3, 3 * MIB / 2),
    ];
    let mut complete = String::from("<CompleteMultipartUpload>");
    for (index, part) in parts.iter().enumerate() {
        let number = index + 1;
        let path = format!("/bucket/big?partNumber={number}&uploadId={upload_id}");
        let answer = client.send(&Method::PUT, &path, part, true);
        assert_eq!(answer.status, 200, "part {number}");
        let etag = answer.header("etag").expect("ETag").to_owned();
        let _ = write!(
            complete,
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        );
    }
    complete.push_str("</CompleteMultipartUpload>");
    let path = format!("/bucket/big?uploadId={upload_id}");
    let completed = client.send(&Method::POST, &path, complete.as_bytes(), false);
    assert_eq!(completed.status, 200, "{:?}", completed.xml("Code"));
    let read = client.send(&Method::GET, "/bucket/big", b"", false);
    assert_eq!(read.status, 200);
    assert_eq!(read.body, parts.concat(), "the object's bytes");

    let served = metric(&scrape_metrics(metrics), "s4_connections_total") - served_before;
    assert_eq!(served, 1, "connections the upload took");
}
