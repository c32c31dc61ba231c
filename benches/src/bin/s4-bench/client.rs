//! One keep-alive HTTP/1.1 connection per worker (TCP_NODELAY), SigV4-signed requests.

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, HOST};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use s4_sigv4::{sign_headers, SignableBody, SigningParams, UNSIGNED_PAYLOAD};
use time::OffsetDateTime;
use tokio::net::TcpStream;

/// Who the requests are signed as, and how.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// Sign every payload as `UNSIGNED-PAYLOAD` (no SHA-256 of the body on either side).
    pub unsigned_payload: bool,
    /// Sign only small payloads (up to this many bytes); larger ones go `UNSIGNED-PAYLOAD`.
    pub sign_payload_up_to: usize,
}

/// A failed request: a transport error or an unexpected status.
#[derive(Debug)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(e: impl std::fmt::Display) -> RequestError {
    RequestError(e.to_string())
}

/// A response head and what the body sink saw.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body_len: u64,
}

/// One connection, re-opened after a failure.
#[derive(Debug)]
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: HeaderValue::from_str(&addr.to_string()).expect("socket address is ASCII"),
            sender: None,
        }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, RequestError> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            let stream = TcpStream::connect(self.addr).await.map_err(err)?;
            stream.set_nodelay(true).map_err(err)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(err)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().expect("just connected");
        sender.ready().await.map_err(err)?;
        Ok(sender)
    }

    /// Opens the connection now, so that connecting is not timed.
    pub async fn warm(&mut self) -> Result<(), RequestError> {
        self.sender().await.map(|_| ())
    }

    /// Sends one request (signed when `signer` is given) and feeds the body to `sink`.
    pub async fn request(
        &mut self,
        signer: Option<&Signer>,
        method: Method,
        path_and_query: &str,
        body: Bytes,
        mut sink: impl FnMut(&[u8]),
    ) -> Result<Answer, RequestError> {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, self.host.clone());
        if let Some(signer) = signer {
            let uri: Uri = format!("http://{}{path_and_query}", self.addr)
                .parse()
                .map_err(err)?;
            let params = SigningParams::new(
                &signer.access_key,
                &signer.secret_key,
                &signer.region,
                "s3",
                OffsetDateTime::now_utc(),
            );
            let signable = if signer.unsigned_payload || body.len() > signer.sign_payload_up_to {
                SignableBody::Precomputed(UNSIGNED_PAYLOAD.into())
            } else {
                SignableBody::Bytes(&body)
            };
            let signed = sign_headers(&method, &uri, &headers, &params, &signable).map_err(err)?;
            signed.apply_to(&mut headers);
        }
        if !body.is_empty() || method == Method::PUT || method == Method::POST {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .body(Full::new(body))
            .map_err(err)?;
        *request.headers_mut() = headers;
        let result = self.send(request, &mut sink).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<Answer, RequestError> {
        let sender = self.sender().await?;
        let response = sender.send_request(request).await.map_err(err)?;
        let (parts, mut body) = response.into_parts();
        let mut body_len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(err)?;
            if let Some(data) = frame.data_ref() {
                body_len += data.len() as u64;
                sink(data);
            }
        }
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body_len,
        })
    }
}
