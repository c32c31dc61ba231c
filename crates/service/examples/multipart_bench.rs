//! A quick multipart benchmark against a running server: one 1 GiB PutObject vs a 1 GiB
//! multipart upload (8 MiB parts, 8 at a time), and CompleteMultipartUpload latency for 128
//! parts at two part sizes.
//!
//! ```sh
//! S4_ROOT_ACCESS_KEY=AKIABENCH0000000001 S4_ROOT_SECRET_KEY=benchsecretbenchsecretbenchsecret00 \
//!     target/release/s4-server --data-dir /tmp/s4-bench --listen 127.0.0.1:9100 &
//! S4_BENCH_ENDPOINT=127.0.0.1:9100 S4_BENCH_KEY=AKIABENCH0000000001 \
//!     S4_BENCH_SECRET=benchsecretbenchsecretbenchsecret00 \
//!     cargo run --release -p s4-service --example multipart_bench
//! ```
//!
//! Requests are signed with `UNSIGNED-PAYLOAD` so that the client spends no time hashing.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, HOST};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use s4_sigv4::{sign_headers, SignableBody, SigningParams, UNSIGNED_PAYLOAD};
use time::OffsetDateTime;

const MIB: usize = 1024 * 1024;

struct Bench {
    endpoint: String,
    key: String,
    secret: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Bench {
    async fn send(&self, method: Method, path: &str, body: Bytes) -> (u16, HeaderMap, Bytes) {
        let uri: Uri = format!("http://{}{path}", self.endpoint).parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(&self.endpoint).unwrap());
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        let params = SigningParams::new(
            &self.key,
            &self.secret,
            "us-east-1",
            "s3",
            OffsetDateTime::now_utc(),
        );
        let signed = sign_headers(
            &method,
            &uri,
            &headers,
            &params,
            &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
        )
        .unwrap();
        signed.apply_to(&mut headers);
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(body))
            .unwrap();
        *request.headers_mut() = headers;
        let response = self.client.request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (parts.status.as_u16(), parts.headers, body)
    }

    async fn ok(&self, method: Method, path: &str, body: Bytes) -> (HeaderMap, Bytes) {
        let (status, headers, body) = self.send(method, path, body).await;
        assert!(
            (200..300).contains(&status),
            "{path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        (headers, body)
    }

    /// Uploads `data` as parts of `part_size`, `concurrency` at a time; returns the upload
    /// ID, the completion body and the time the parts took.
    async fn upload_parts(
        self: &Arc<Self>,
        key: &str,
        data: &Bytes,
        part_size: usize,
        concurrency: usize,
    ) -> (String, String, Duration) {
        let (_, body) = self
            .ok(Method::POST, &format!("/bench/{key}?uploads"), Bytes::new())
            .await;
        let text = String::from_utf8_lossy(&body);
        let start = text.find("<UploadId>").unwrap() + "<UploadId>".len();
        let end = text.find("</UploadId>").unwrap();
        let id = text[start..end].to_owned();
        let count = data.len().div_ceil(part_size);
        let started = Instant::now();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let etags = Arc::new(std::sync::Mutex::new(vec![String::new(); count]));
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (me, next, etags, data, id, key) = (
                Arc::clone(self),
                Arc::clone(&next),
                Arc::clone(&etags),
                data.clone(),
                id.clone(),
                key.to_owned(),
            );
            workers.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    let part = data.slice(i * part_size..((i + 1) * part_size).min(data.len()));
                    let (headers, _) = me
                        .ok(
                            Method::PUT,
                            &format!("/bench/{key}?partNumber={}&uploadId={id}", i + 1),
                            part,
                        )
                        .await;
                    headers["etag"]
                        .to_str()
                        .unwrap()
                        .clone_into(&mut etags.lock().unwrap()[i]);
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        let elapsed = started.elapsed();
        let mut body = String::from("<CompleteMultipartUpload>");
        for (i, etag) in etags.lock().unwrap().iter().enumerate() {
            let _ = write!(
                body,
                "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
                i + 1
            );
        }
        body.push_str("</CompleteMultipartUpload>");
        (id, body, elapsed)
    }
}

fn mib_per_s(bytes: usize, d: Duration) -> f64 {
    f64::from(u32::try_from(bytes / MIB).unwrap()) / d.as_secs_f64()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("set {name}"));
    let bench = Arc::new(Bench {
        endpoint: env("S4_BENCH_ENDPOINT"),
        key: env("S4_BENCH_KEY"),
        secret: env("S4_BENCH_SECRET"),
        client: Client::builder(TokioExecutor::new()).build_http(),
    });
    let rounds: usize = std::env::var("S4_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    bench.send(Method::PUT, "/bench", Bytes::new()).await;
    let mut data = vec![0u8; 1024 * MIB];
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let data = Bytes::from(data);

    let mut single = Vec::new();
    let mut multi = Vec::new();
    let mut completes_8 = Vec::new();
    for round in 0..rounds {
        let started = Instant::now();
        bench.ok(Method::PUT, "/bench/single", data.clone()).await;
        single.push(started.elapsed());
        bench
            .ok(Method::DELETE, "/bench/single", Bytes::new())
            .await;

        let started = Instant::now();
        let (id, body, parts) = bench.upload_parts("multi", &data, 8 * MIB, 8).await;
        let complete_started = Instant::now();
        bench
            .ok(
                Method::POST,
                &format!("/bench/multi?uploadId={id}"),
                Bytes::from(body),
            )
            .await;
        let complete = complete_started.elapsed();
        multi.push(started.elapsed());
        completes_8.push(complete);
        bench.ok(Method::DELETE, "/bench/multi", Bytes::new()).await;
        eprintln!(
            "round {round}: PutObject {:.2?}, multipart {:.2?} (parts {parts:.2?}, complete {complete:.2?})",
            single[round], multi[round]
        );
    }
    // CompleteMultipartUpload of 128 parts of 5 MiB (640 MiB) vs 8 MiB (1 GiB) above.
    let small = data.slice(..128 * 5 * MIB);
    let mut completes_5 = Vec::new();
    for _ in 0..rounds {
        let (id, body, _) = bench.upload_parts("small", &small, 5 * MIB, 8).await;
        let started = Instant::now();
        bench
            .ok(
                Method::POST,
                &format!("/bench/small?uploadId={id}"),
                Bytes::from(body),
            )
            .await;
        completes_5.push(started.elapsed());
        bench.ok(Method::DELETE, "/bench/small", Bytes::new()).await;
    }
    let (s, m) = (median(single), median(multi));
    println!(
        "1 GiB PutObject:                        {s:.2?} ({:.0} MiB/s)",
        mib_per_s(data.len(), s)
    );
    println!(
        "1 GiB multipart, 8 MiB parts x 8:       {m:.2?} ({:.0} MiB/s)",
        mib_per_s(data.len(), m)
    );
    println!(
        "CompleteMultipartUpload, 128 x 8 MiB:   median {:.2?} of {completes_8:.2?}",
        median(completes_8.clone())
    );
    println!(
        "CompleteMultipartUpload, 128 x 5 MiB:   median {:.2?} of {completes_5:.2?}",
        median(completes_5.clone())
    );
}
