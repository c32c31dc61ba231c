//! A fault-injecting TCP proxy in front of an HTTP upstream (the S3 byte store), for the
//! scale-out fault tests: it passes traffic through, or stops (its port refuses connections
//! and every open connection is cut), or holds every upstream answer back for a while (a slow
//! upstream; the request itself reaches the upstream at once), or answers every request
//! itself with an S3 error status without forwarding it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// What the proxy does to the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    /// Every chunk of an upstream answer waits this long before it is passed on.
    SlowAnswers(Duration),
    /// Every request is answered with this status and an S3 error body, never forwarded.
    Fail(u16),
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    runtime: tokio::runtime::Runtime,
    mode: Arc<Mutex<Mode>>,
    /// The accept loop, aborted by [`FaultProxy::stop`].
    accept: Mutex<Option<AbortHandle>>,
    /// Every connection's task.
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl FaultProxy {
    /// A proxy on a free loopback port, passing traffic to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let proxy = Self {
            addr,
            upstream,
            runtime,
            mode: Arc::new(Mutex::new(Mode::Pass)),
            accept: Mutex::default(),
            connections: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    /// Switches the mode and cuts every open connection, so that the client's pooled
    /// connections cannot carry on in the old mode.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.cut();
    }

    /// Closes the port (new connections are refused) and cuts every open connection.
    pub fn stop(&self) {
        if let Some(accept) = self.accept.lock().unwrap().take() {
            accept.abort();
        }
        self.cut();
    }

    fn cut(&self) {
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
        // Let the aborted tasks drop their sockets before anyone connects again.
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Listens again on the same port.
    pub fn resume(&self) {
        let listener = self
            .runtime
            .block_on(TcpListener::bind(self.addr))
            .expect("rebind the proxy's port");
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, mode) = (self.upstream, self.mode.clone());
        let connections = self.connections.clone();
        let accept = self.runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let connection = tokio::spawn(relay(client, upstream, mode.clone()));
                connections.lock().unwrap().push(connection.abort_handle());
            }
        });
        *self.accept.lock().unwrap() = Some(accept.abort_handle());
    }
}

/// One client connection: requests go upstream (or are answered here in `Fail` mode), answers
/// come back (held back in `SlowAnswers` mode).
async fn relay(mut client: TcpStream, upstream: SocketAddr, mode: Arc<Mutex<Mode>>) {
    let mut buf = vec![0u8; 256 * 1024];
    let n = match client.read(&mut buf).await {
        Ok(0) | Err(_) => return,
        Ok(n) => n,
    };
    let current = *mode.lock().unwrap();
    if let Mode::Fail(status) = current {
        answer_error(client, &mut buf, n, status).await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    if server_write.write_all(&buf[..n]).await.is_err() {
        return;
    }
    // Both directions in this one task, so that aborting it closes both sockets.
    let answers = async move {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let held = *mode.lock().unwrap();
            if let Mode::SlowAnswers(delay) = held {
                tokio::time::sleep(delay).await;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let requests = async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    };
    tokio::join!(requests, answers);
}

/// Reads the rest of the request whose first `n` bytes are in `buf` (head and
/// `Content-Length` body), then answers `status` with an S3 error and closes.
async fn answer_error(mut client: TcpStream, buf: &mut [u8], mut n: usize, status: u16) {
    let head_end = loop {
        if let Some(end) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match client.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => return,
            Ok(more) => n += more,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut left = (head_end + length).saturating_sub(n);
    while left > 0 {
        match client.read(buf).await {
            Ok(0) | Err(_) => return,
            Ok(more) => left = left.saturating_sub(more),
        }
    }
    let code = if status == 503 {
        "ServiceUnavailable"
    } else {
        "InternalError"
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>"
    );
    let response = format!(
        "HTTP/1.1 {status} Injected\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(response.as_bytes()).await;
    let _ = client.shutdown().await;
}
