//! Health endpoints for load balancers, answered before SigV4:
//! `GET /_s4/health/live` (the process serves requests) and `GET /_s4/health/ready` (the
//! metadata store answers, the data dir and its blob directory take a synced write, the
//! disk has at least `--min-free-space` free (below it writes are refused with 507), and the
//! embedded backend still has its space-reserve file or room to write it again). No bucket can be called `_s4`
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
    min_free_space: u64,
}

impl<S: Clone, I> Clone for WithHealth<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            store: Arc::clone(&self.store),
            data_dir: Arc::clone(&self.data_dir),
            min_free_space: self.min_free_space,
        }
    }
}

impl<S, I> WithHealth<S, I> {
    pub fn new(inner: S, store: Arc<I>, data_dir: PathBuf, min_free_space: u64) -> Self {
        Self {
            inner,
            store,
            data_dir: Arc::new(data_dir),
            min_free_space,
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
                let min_free = self.min_free_space;
                Box::pin(async move {
                    Ok(match readiness(store.as_ref(), &data_dir, min_free).await {
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

/// Ready when the metadata store answers a read, a file can be written and synced in the data
/// dir and moved into its blob directory (the path every object body takes: `tmp/` to
/// `blobs/`), and the filesystem has at least `min_free` bytes free (one `statvfs`).
async fn readiness<I: IdentityStore>(
    store: &I,
    data_dir: &std::path::Path,
    min_free: u64,
) -> Result<(), String> {
    store
        .list_accounts()
        .await
        .map_err(|e| format!("metadata store: {e}"))?;
    let dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || probe(&dir, min_free))
        .await
        .map_err(|e| format!("data dir probe: {e}"))?
}

fn probe(data_dir: &std::path::Path, min_free: u64) -> Result<(), String> {
    let failed =
        |what: &std::path::Path, e: std::io::Error| format!("{} not writable: {e}", what.display());
    let (tmp_dir, blob_dir) = (data_dir.join("tmp"), data_dir.join("blobs"));
    // The data dir's layout (embedded and shared-dir backends): a temp file moved into blobs/;
    // else (an S3 byte store's spool dir) a file in the directory itself.
    let layout = tmp_dir.is_dir() && blob_dir.is_dir();
    let probe_dir = if layout { &tmp_dir } else { data_dir };
    let probe = probe_dir.join(".health-probe");
    let write = || -> std::io::Result<()> {
        let _ = std::fs::remove_file(&probe);
        let mut file = s4_storage_fs::create_private_file(&probe)?;
        std::io::Write::write_all(&mut file, b"ok")?;
        file.sync_all()
    };
    write().map_err(|e| failed(probe_dir, e))?;
    if layout {
        let placed = blob_dir.join(".health-probe");
        let moved = std::fs::rename(&probe, &placed);
        let _ = std::fs::remove_file(&probe);
        moved.map_err(|e| failed(&blob_dir, e))?;
        std::fs::remove_file(&placed).map_err(|e| failed(&blob_dir, e))?;
    } else {
        std::fs::remove_file(&probe).map_err(|e| failed(probe_dir, e))?;
    }
    let free = crate::host_stats::free_bytes(data_dir)
        .map_err(|e| format!("cannot read the free space of {}: {e}", data_dir.display()))?;
    if free < min_free {
        return Err(format!(
            "{} has {free} bytes free, less than --min-free-space ({min_free}): writes are \
             refused with 507 InsufficientStorage, reads and deletes go on",
            data_dir.display()
        ));
    }
    // The embedded backend gives its reserve file up to let deletes commit on a full disk,
    // and writes it again at the first write admitted with room for it.
    let embedded = layout && data_dir.join("meta.redb").exists();
    let reserve = data_dir.join(s4_storage_fs::SPACE_RESERVE_FILE);
    let room_for_reserve = min_free.saturating_add(2 * s4_storage_fs::BALLAST_BYTES);
    if embedded && !reserve.exists() && free < room_for_reserve {
        return Err(format!(
            "{} is full ({free} bytes free): its space reserve was used to let deletes commit; \
             writes may fail with 507 InsufficientStorage until space is freed",
            data_dir.display()
        ));
    }
    Ok(())
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
