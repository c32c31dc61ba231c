//! The accept loops: HTTP/1.1 on plain TCP and over TLS, with TCP_NODELAY, a header-read
//! timeout, the connection's peer and transport passed to the service, and a graceful
//! shutdown: the first SIGINT or SIGTERM stops accepting and lets in-flight requests finish
//! for at most the grace period; a second signal ends them at once. Either way an upload cut
//! short is never committed (the storage backends commit a body only once it is complete, and
//! remove the temp files of unfinished ones at the next start).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use s4_service::{ConnectionInfo, ResponseBody};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::tls::ReloadableTls;

/// How long a client may take to complete a TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A listener and, for HTTPS, its TLS configuration.
#[derive(Debug)]
pub struct Endpoint {
    pub listener: TcpListener,
    pub tls: Option<ReloadableTls>,
}

/// Serves `service` on every endpoint until the first shutdown signal, then drains
/// connections for at most `grace`, or until the second signal.
pub async fn serve<S>(
    endpoints: Vec<Endpoint>,
    service: S,
    limits: &crate::limits::ServerLimits,
    mut signals: ShutdownSignals,
    grace: Duration,
) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<ResponseBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = Arc::new(GracefulShutdown::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut loops = Vec::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let limits = Arc::new(limits.clone());
    for endpoint in endpoints {
        let service = service.clone();
        let graceful = Arc::clone(&graceful);
        let stop = stop_rx.clone();
        let gate = (Arc::clone(&connections), Arc::clone(&limits));
        loops.push(tokio::spawn(accept_loop(
            endpoint, service, graceful, stop, gate,
        )));
    }
    let signal = signals.next().await;
    let _ = stop_tx.send(true);
    for handle in loops {
        let _ = handle.await;
    }
    // The accept loops are gone, so this is the last reference.
    let Ok(graceful) = Arc::try_unwrap(graceful) else {
        return Ok(());
    };
    let in_flight = graceful.count();
    if in_flight == 0 {
        tracing::info!(signal, "shutting down: no request in flight");
        return Ok(());
    }
    let grace_secs = grace.as_secs_f64();
    tracing::info!(
        signal,
        connections = in_flight,
        grace_secs,
        "shutting down: letting in-flight requests finish for at most {grace_secs} s; \
         a second signal stops them at once"
    );
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("shutting down: every request finished"),
        () = tokio::time::sleep(grace) => tracing::warn!(
            grace_secs,
            "shutting down: the grace period elapsed; requests still running are cut short \
             and their uploads discarded"
        ),
        signal = signals.next() => tracing::warn!(
            signal,
            "shutting down at once on a second signal; requests still running are cut short \
             and their uploads discarded"
        ),
    }
    Ok(())
}

async fn accept_loop<S>(
    endpoint: Endpoint,
    service: S,
    graceful: Arc<GracefulShutdown>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    (connections, limits): (
        Arc<tokio::sync::Semaphore>,
        Arc<crate::limits::ServerLimits>,
    ),
) where
    S: Service<Request<Incoming>, Response = Response<ResponseBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let accepted = tokio::select! {
            accepted = endpoint.listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Running out of file descriptors must not end the server.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Without this, small responses wait for the peer's delayed ACK (Nagle).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "set_nodelay failed");
        }
        // Past max_connections: a canned 503 and close, never an unbounded queue.
        let Ok(slot) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(%peer, "overloaded: connection refused with 503");
            crate::metrics::connection_refused();
            tokio::spawn(crate::overload::refuse_connection(stream));
            continue;
        };
        let limits = Arc::clone(&limits);
        let service = service.clone();
        let graceful = graceful.watcher();
        match &endpoint.tls {
            None => {
                let info = ConnectionInfo {
                    peer,
                    secure: false,
                };
                tokio::spawn(async move {
                    serve_connection(stream, info, service, graceful, &limits).await;
                    drop(slot);
                });
            }
            Some(tls) => {
                let acceptor = tls.acceptor();
                // The handshake runs in the connection's task so a slow client cannot stall
                // the accept loop.
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(tls_stream)) => {
                            let info = ConnectionInfo { peer, secure: true };
                            serve_connection(tls_stream, info, service, graceful, &limits).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                    drop(slot);
                });
            }
        }
    }
}

async fn serve_connection<IO, S>(
    io: IO,
    info: ConnectionInfo,
    service: S,
    graceful: hyper_util::server::graceful::Watcher,
    limits: &crate::limits::ServerLimits,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<ResponseBody>> + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _open = crate::metrics::OpenConnection::new();
    let tagged = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(info);
        service.call(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // Also reaps idle keep-alive connections: the timer runs while hyper waits for the
        // next request head.
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.hyper_buffer())
        .max_headers(limits.hyper_max_headers())
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), tagged);
    if let Err(error) = graceful.watch(connection).await {
        log_connection_error(info.peer, &error);
    }
}

fn log_connection_error(peer: SocketAddr, error: &hyper::Error) {
    if error.is_incomplete_message() || error.is_closed() {
        tracing::debug!(%peer, %error, "connection closed");
    } else {
        tracing::info!(%peer, %error, "connection error");
    }
}

/// SIGINT and SIGTERM, listened to from creation on (so a signal that arrives while the
/// server starts is not lost).
#[derive(Debug)]
pub struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next SIGINT or SIGTERM; its name.
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            Some(()) = self.interrupt.recv() => "SIGINT",
            Some(()) = self.terminate.recv() => "SIGTERM",
            else => std::future::pending().await,
        }
    }
}
