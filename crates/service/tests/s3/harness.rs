//! Test harness: an S4 service over `MemoryStore` on a real hyper server at 127.0.0.1:0, an
//! account with a root key and an IAM user key, and a signing client.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, HOST};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s4_naming::AccountId;
use s4_service::{S4Service, ServiceConfig};
use s4_sigv4::{
    presign, sign_headers, ChecksumAlgorithm, ChunkEncoder, SignableBody, SigningParams,
    STREAMING_PAYLOAD, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
use s4_storage::memory::MemoryStore;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, User};
use time::OffsetDateTime;

pub const DOMAIN: &str = "s4.test";
pub const REGION: &str = "us-east-1";

#[derive(Clone, Debug)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub store: Arc<MemoryStore>,
    pub account: AccountId,
    pub root: Creds,
    pub user: Creds,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// What goes into `x-amz-content-sha256` and how the body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// The hex SHA-256 of the body.
    Signed,
    Unsigned,
    /// aws-chunked with signed chunks of this size.
    ChunkedSigned(usize),
    /// aws-chunked, unsigned chunks of this size, a CRC32 trailer (botocore over HTTPS).
    ChunkedUnsignedTrailer(usize),
}

pub struct Req<'a> {
    server: &'a TestServer,
    method: Method,
    path_and_query: String,
    host: String,
    headers: HeaderMap,
    body: Vec<u8>,
    creds: Option<Creds>,
    payload: Payload,
    time: OffsetDateTime,
    tamper_signature: bool,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of the first `<name>` element.
    pub fn xml(&self, name: &str) -> Option<String> {
        let text = self.text();
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_owned())
    }

    /// Every `<name>` element's text.
    pub fn xml_all(&self, name: &str) -> Vec<String> {
        let text = self.text();
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            let Some(j) = rest.find(&close) else { break };
            out.push(rest[..j].to_owned());
            rest = &rest[j + close.len()..];
        }
        out
    }

    pub fn code(&self) -> Option<String> {
        self.xml("Code")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an S3 error: status, `<Code>`, and the request ID in body and header.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert_eq!(self.code().as_deref(), Some(code), "body: {}", self.text());
        let id = self.header("x-amz-request-id").expect("request id header");
        assert_eq!(self.xml("RequestId").as_deref(), Some(id));
        assert!(self.xml("Resource").is_some(), "body: {}", self.text());
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert!(self.header("x-amz-request-id").is_some());
        assert!(self.header("x-amz-id-2").is_some());
    }
}

const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A key as it goes into a path: every byte but unreserved characters and `/` encoded.
pub fn enc(key: &str) -> String {
    utf8_percent_encode(key, KEY_ENCODE).to_string()
}

/// A query value, `/` included.
pub fn enc_q(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(MemoryStore::new()).await
    }

    pub async fn start_with(store: MemoryStore) -> Self {
        Self::start_custom(store, |_| {}).await
    }

    /// A server over `store` with a configuration adjusted by `configure`.
    pub async fn start_custom(
        store: MemoryStore,
        configure: impl FnOnce(&mut ServiceConfig),
    ) -> Self {
        let store = Arc::new(store);
        let account = AccountId::from_number(42).unwrap();
        store.create_account(&account).await.unwrap();
        let now = OffsetDateTime::now_utc();
        let root = Creds {
            id: "AKIAROOT0000000000001".into(),
            secret: "root/secret/key/0000000000000000000000".into(),
        };
        store
            .create_access_key(
                AccessKey {
                    access_key_id: root.id.clone(),
                    secret_access_key: root.secret.clone(),
                    account,
                    owner: KeyOwner::Root,
                    status: KeyStatus::Active,
                    created: now,
                },
                2,
            )
            .await
            .unwrap();
        store
            .create_user(User {
                account,
                name: "alice".into(),
                user_id: "AIDAALICE".into(),
                created: now,
            })
            .await
            .unwrap();
        let user = Creds {
            id: "AKIAUSER0000000000001".into(),
            secret: "user/secret/key/0000000000000000000000".into(),
        };
        store
            .create_access_key(
                AccessKey {
                    access_key_id: user.id.clone(),
                    secret_access_key: user.secret.clone(),
                    account,
                    owner: KeyOwner::User("alice".into()),
                    status: KeyStatus::Active,
                    created: now,
                },
                2,
            )
            .await
            .unwrap();
        let mut config = ServiceConfig::new(DOMAIN);
        config.region = REGION.into();
        configure(&mut config);
        let service = S4Service::new(Arc::clone(&store), Arc::clone(&store), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            addr,
            store,
            account,
            root,
            user,
            client,
        }
    }

    /// A root-signed request, path style on the IP host.
    pub fn req(&self, method: Method, path_and_query: &str) -> Req<'_> {
        Req {
            server: self,
            method,
            path_and_query: path_and_query.to_owned(),
            host: self.addr.to_string(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            creds: Some(self.root.clone()),
            payload: Payload::Signed,
            time: OffsetDateTime::now_utc(),
            tamper_signature: false,
        }
    }

    pub async fn create_bucket(&self, bucket: &str) {
        self.req(Method::PUT, &format!("/{bucket}"))
            .send()
            .await
            .assert_status(200);
    }

    pub async fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Resp {
        let r = self
            .req(Method::PUT, &format!("/{bucket}/{}", enc(key)))
            .body(body)
            .send()
            .await;
        r.assert_status(200);
        r
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Resp {
        self.req(Method::GET, &format!("/{bucket}/{}", enc(key)))
            .send()
            .await
    }

    /// A presigned URL's path and query for the root key, signed now.
    pub fn presign(&self, method: &Method, path: &str, expires: u32) -> String {
        self.presign_at(method, path, expires, OffsetDateTime::now_utc())
    }

    /// A presigned URL signed at `time`.
    pub fn presign_at(
        &self,
        method: &Method,
        path: &str,
        expires: u32,
        time: OffsetDateTime,
    ) -> String {
        let uri: Uri = format!("http://{}{path}", self.addr).parse().unwrap();
        let params = SigningParams::new(&self.root.id, &self.root.secret, REGION, "s3", time);
        let query = presign(
            method,
            &uri,
            &HeaderMap::new(),
            &params,
            &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
            expires,
        )
        .unwrap()
        .into_query();
        format!("{}?{query}", uri.path())
    }

    /// Sends a request exactly as given: no signing, no added headers but Host.
    pub async fn raw(&self, request: Request<Full<Bytes>>) -> Resp {
        let response = self.client.request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }
}

impl Req<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn host(mut self, host: &str) -> Self {
        self.host = format!("{host}:{}", self.server.addr.port());
        self
    }

    pub fn anonymous(mut self) -> Self {
        self.creds = None;
        self
    }

    pub fn creds(mut self, creds: &Creds) -> Self {
        self.creds = Some(creds.clone());
        self
    }

    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    pub fn time(mut self, time: OffsetDateTime) -> Self {
        self.time = time;
        self
    }

    /// Signs with the wrong secret.
    pub fn bad_signature(mut self) -> Self {
        self.tamper_signature = true;
        self
    }

    /// Signs (unless anonymous) and builds the request.
    pub fn build(self) -> Request<Full<Bytes>> {
        let uri: Uri = format!("http://{}{}", self.host, self.path_and_query)
            .parse()
            .unwrap();
        let mut headers = self.headers.clone();
        headers.insert(HOST, HeaderValue::from_str(&self.host).unwrap());
        let mut body = self.body.clone();
        if let Some(creds) = &self.creds {
            let secret = if self.tamper_signature {
                "wrong-secret".to_owned()
            } else {
                creds.secret.clone()
            };
            let params = SigningParams::new(&creds.id, &secret, REGION, "s3", self.time);
            let streaming = |headers: &mut HeaderMap, sha: &str, trailer: bool| {
                headers.insert("x-amz-content-sha256", HeaderValue::from_str(sha).unwrap());
                headers.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
                headers.insert(
                    "x-amz-decoded-content-length",
                    HeaderValue::from(self.body.len()),
                );
                if trailer {
                    headers.insert(
                        "x-amz-trailer",
                        HeaderValue::from_static("x-amz-checksum-crc32"),
                    );
                }
            };
            let signable = match self.payload {
                Payload::Signed => SignableBody::Bytes(&self.body),
                Payload::Unsigned => SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
                Payload::ChunkedSigned(_) => {
                    streaming(&mut headers, STREAMING_PAYLOAD, false);
                    SignableBody::Precomputed(STREAMING_PAYLOAD.into())
                }
                Payload::ChunkedUnsignedTrailer(_) => {
                    streaming(&mut headers, STREAMING_UNSIGNED_PAYLOAD_TRAILER, true);
                    SignableBody::Precomputed(STREAMING_UNSIGNED_PAYLOAD_TRAILER.into())
                }
            };
            let signed = sign_headers(&self.method, &uri, &headers, &params, &signable).unwrap();
            signed.apply_to(&mut headers);
            match self.payload {
                Payload::ChunkedSigned(size) => {
                    body =
                        ChunkEncoder::signed(signed.chunk_context()).encode_all(&self.body, size);
                }
                Payload::ChunkedUnsignedTrailer(size) => {
                    body = ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Crc32))
                        .encode_all(&self.body, size);
                }
                Payload::Signed | Payload::Unsigned => {}
            }
        }
        // Always connect to the loopback server; the Host header says what to address.
        let target: Uri = format!("http://{}{}", self.server.addr, self.path_and_query)
            .parse()
            .unwrap();
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(target)
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        *request.headers_mut() = headers;
        request
    }

    pub async fn send(self) -> Resp {
        let server = self.server;
        let request = self.build();
        server.raw(request).await
    }
}
