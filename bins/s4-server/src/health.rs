//! Health endpoints for load balancers, answered before SigV4:
//! `GET /_s4/health/live` (the process serves requests) and `GET /_s4/health/ready` (the
//! metadata store answers and the data dir is writable). No bucket can be called `_s4`
//! (bucket names have no underscores), so these paths never shadow an object.

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::Service;
use hyper::{Method, Request, Response, StatusCode};
use s4_service::ResponseBody;
use s4_storage::IdentityStore;

pub const LIVE_PATH: &str = "/_s4/health/live";
pub const READY_PATH: &str = "/_s4/health/ready";

/// Wraps the S3/IAM service and answers the health paths itself.
pub struct WithHealth<S, I> {
    inner: S,
    store: Arc<I>,
    data_dir: Arc<PathBuf>,
}

impl<S: Clone, I> Clone for WithHealth<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            store: Arc::clone(&self.store),
            data_dir: Arc::clone(&self.data_dir),
        }
    }
}

impl<S, I> WithHealth<S, I> {
    pub fn new(inner: S, store: Arc<I>, data_dir: PathBuf) -> Self {
        Self {
            inner,
            store,
            data_dir: Arc::new(data_dir),
        }
    }
}

impl<S, I> Service<Request<Incoming>> for WithHealth<S, I>
where
    S: Service<Request<Incoming>, Response = Response<ResponseBody>, Error = Infallible>,
    S::Future: Send + 'static,
    I: IdentityStore,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
        match request.uri().path() {
            LIVE_PATH if is_read => Box::pin(async { Ok(plain(StatusCode::OK, "live\n")) }),
            READY_PATH if is_read => {
                let store = Arc::clone(&self.store);
                let data_dir = Arc::clone(&self.data_dir);
                Box::pin(async move {
                    Ok(match readiness(store.as_ref(), &data_dir).await {
                        Ok(()) => plain(StatusCode::OK, "ready\n"),
                        Err(reason) => {
                            tracing::warn!(%reason, "readiness check failed");
                            plain(
                                StatusCode::SERVICE_UNAVAILABLE,
                                &format!("not ready: {reason}\n"),
                            )
                        }
                    })
                })
            }
            _ => Box::pin(self.inner.call(request)),
        }
    }
}

/// Ready when the metadata store answers a read and a file can be written and synced in the
/// data dir.
async fn readiness<I: IdentityStore>(store: &I, data_dir: &std::path::Path) -> Result<(), String> {
    store
        .list_accounts()
        .await
        .map_err(|e| format!("metadata store: {e}"))?;
    let probe = data_dir.join(".health-probe");
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::write(&probe, b"ok")?;
        std::fs::File::open(&probe)?.sync_all()?;
        std::fs::remove_file(&probe)
    })
    .await
    .map_err(|e| format!("data dir probe: {e}"))?
    .map_err(|e| format!("data dir not writable: {e}"))
}

fn plain(status: StatusCode, text: &str) -> Response<ResponseBody> {
    let body = Full::new(Bytes::copy_from_slice(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-store")
        .body(body)
        .expect("static response parts are valid")
}
