//! Group commit: concurrent small writes share one durable redb commit.
//!
//! redb has a single writer and every commit (`Durability::Immediate`) costs an fsync, so
//! concurrent writers would otherwise queue for one commit each. A committer thread takes
//! every request waiting in its queue (at most `FsConfig::max_commit_batch` requests or
//! [`MAX_BATCH_BYTES`] of inline data), runs them one after the other in one write
//! transaction, commits once, deletes the blobs they freed, and only then answers each
//! caller. It never waits to gather a batch, and a request that finds no other in flight
//! commits on its own thread at once (no hand-off); requests that arrive meanwhile queue for
//! the committer thread, whose transaction begins once that one committed.
//!
//! Requests run in queue order, so a later one sees the effects of the earlier ones, and every
//! check (precondition, bucket existence) is decided in the transaction that commits it.
//! Used by PutObject and DeleteObject(s); other writes commit alone through `write::commit`
//! and wait for redb's writer lock. A request that stores no new blob (an inline PUT, a
//! delete) awaits its answer without holding a thread ([`submit_async`]): at 128 concurrent
//! small PUTs the blocking variant kept ~130 threads parked, and every thread costs its stack
//! and its allocator cache. redb cannot roll back one request alone once tables are
//! open, so a request whose closure returns `Err` aborts the whole transaction; the batch is
//! then run again without it, and the request is answered with its error, having left no
//! effect. Closures are therefore `FnMut`: they may run more than once, and only the run that
//! commits counts.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Weak};

use redb::WriteTransaction;
use s4_storage::{StorageError, StorageResult};
use tokio::sync::oneshot;

use crate::{BlobId, Inner};

/// A batch stops growing once its requests carry this much inline data.
pub(crate) const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// How a request ended, as seen by the committer.
pub(crate) enum Failure {
    /// Its closure returned this error: nothing of it was committed.
    Rejected(StorageError),
    /// The transaction could not begin or commit. Whether it landed is unknown only for a
    /// failed commit; either way nothing is acknowledged.
    Failed(StorageError),
}

/// One queued request, type-erased.
trait Job: Send {
    /// Runs the closure in `txn`; `Err` means the closure refused (the batch must abort).
    fn run(&mut self, txn: &WriteTransaction, freed: &mut Vec<BlobId>) -> StorageResult<()>;
    /// Sends the answer: the committed run's result, or `failure`.
    fn answer(self: Box<Self>, failure: Option<Failure>);
}

struct Request<T, F> {
    f: F,
    /// The last run's result; the one that counts once the batch commits.
    result: Option<StorageResult<T>>,
    reply: oneshot::Sender<Result<StorageResult<T>, Failure>>,
}

impl<T, F> Job for Request<T, F>
where
    T: Send,
    F: FnMut(&WriteTransaction, &mut Vec<BlobId>) -> StorageResult<StorageResult<T>> + Send,
{
    fn run(&mut self, txn: &WriteTransaction, freed: &mut Vec<BlobId>) -> StorageResult<()> {
        let mut mine = Vec::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.f)(txn, &mut mine)))
            .unwrap_or_else(|_| Err(StorageError::Internal("a write panicked".to_owned())));
        let result = outcome?;
        self.result = Some(result);
        freed.append(&mut mine);
        Ok(())
    }

    fn answer(self: Box<Self>, failure: Option<Failure>) {
        let message = match failure {
            Some(f) => Err(f),
            None => match self.result {
                Some(r) => Ok(r),
                None => Err(Failure::Failed(StorageError::Internal(
                    "a committed write has no result".to_owned(),
                ))),
            },
        };
        // The caller waits for this; if it is gone, nobody needs the answer.
        let _ = self.reply.send(message);
    }
}

struct Queued {
    job: Box<dyn Job>,
    bytes: usize,
}

/// The handle to the committer thread, kept in [`Inner`]; dropping it stops the thread.
pub(crate) struct Committer {
    queue: Sender<Queued>,
    /// Requests submitted and not yet answered.
    in_flight: AtomicUsize,
}

impl Committer {
    /// The queue, and its receiving end for [`start`].
    pub(crate) fn new() -> (Self, Pending) {
        let (queue, rx) = mpsc::channel::<Queued>();
        (
            Self {
                queue,
                in_flight: AtomicUsize::new(0),
            },
            Pending(rx),
        )
    }
}

/// The committer's queue before its thread started.
pub(crate) struct Pending(Receiver<Queued>);

/// Starts the committer thread for `inner` (held weakly, so that the store can close).
pub(crate) fn start(inner: &Arc<Inner>, pending: Pending, max_batch: usize) -> std::io::Result<()> {
    let weak = Arc::downgrade(inner);
    let rx = pending.0;
    std::thread::Builder::new()
        .name("s4-fs-commit".to_owned())
        .spawn(move || committer(&weak, &rx, max_batch))?;
    Ok(())
}

type Answer<T> = Result<StorageResult<T>, Failure>;

/// A request's part of a shared transaction: returns like [`crate::write::commit`]'s closure
/// and may run more than once (only the run that commits counts).
pub(crate) trait CommitFn<T>:
    FnMut(&WriteTransaction, &mut Vec<BlobId>) -> StorageResult<StorageResult<T>> + Send + 'static
{
}

impl<T, F> CommitFn<T> for F where
    F: FnMut(&WriteTransaction, &mut Vec<BlobId>) -> StorageResult<StorageResult<T>>
        + Send
        + 'static
{
}

/// Runs `txn` in a durable write transaction shared with other waiting requests, blocking until
/// that transaction committed (or failed). `inline_bytes` is the request's inline data, for the
/// batch bound. `txn` returns like [`crate::write::commit`]'s closure and may run more than once.
pub(crate) fn submit<T, F>(inner: &Inner, inline_bytes: usize, txn: F) -> Answer<T>
where
    T: Send + 'static,
    F: CommitFn<T>,
{
    let (job, answer) = request(txn);
    // Decrements `in_flight` however this returns.
    let counted = InFlight::enter(&inner.committer.in_flight);
    if counted.alone {
        // Nothing else in flight: commit on this thread at once, without a hand-off. Requests
        // arriving meanwhile queue for the committer thread, whose transaction waits for ours.
        run_alone(inner, job);
    } else {
        enqueue(inner, job, inline_bytes)?;
    }
    answer.blocking_recv().map_err(|_| gone())?
}

/// [`submit`] for async callers: the wait holds no thread. A request alone in flight commits on
/// a blocking thread at once. Once queued, a request commits even if this future is dropped.
pub(crate) async fn submit_async<T, F>(inner: &Arc<Inner>, inline_bytes: usize, txn: F) -> Answer<T>
where
    T: Send + 'static,
    F: CommitFn<T>,
{
    let (job, answer) = request(txn);
    let counted = InFlight::enter(&inner.committer.in_flight);
    if counted.alone {
        let inner = Arc::clone(inner);
        tokio::task::spawn_blocking(move || run_alone(&inner, job));
    } else {
        enqueue(inner, job, inline_bytes)?;
    }
    // `counted` lives until the answer came (or this future is dropped).
    answer.await.map_err(|_| gone())?
}

fn request<T, F>(txn: F) -> (Box<dyn Job>, oneshot::Receiver<Answer<T>>)
where
    T: Send + 'static,
    F: CommitFn<T>,
{
    let (reply, answer) = oneshot::channel();
    let job = Box::new(Request {
        f: txn,
        result: None,
        reply,
    });
    (job, answer)
}

fn run_alone(inner: &Inner, job: Box<dyn Job>) {
    for (job, failure) in run_batch(inner, vec![job]) {
        job.answer(failure);
    }
}

fn enqueue(inner: &Inner, job: Box<dyn Job>, bytes: usize) -> Result<(), Failure> {
    inner
        .committer
        .queue
        .send(Queued { job, bytes })
        .map_err(|_| gone())
}

fn gone() -> Failure {
    Failure::Failed(StorageError::Internal("the committer stopped".to_owned()))
}

/// One request counted in [`Committer::in_flight`] until dropped.
struct InFlight<'a> {
    counter: &'a AtomicUsize,
    /// No other request was in flight when this one entered.
    alone: bool,
}

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        let before = counter.fetch_add(1, Ordering::AcqRel);
        Self {
            counter,
            alone: before == 0,
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

fn committer(inner: &Weak<Inner>, rx: &Receiver<Queued>, max_batch: usize) {
    let mut carry: Option<Queued> = None;
    loop {
        let first = match carry.take() {
            Some(q) => q,
            None => match rx.recv() {
                Ok(q) => q,
                Err(_) => return,
            },
        };
        let mut bytes = first.bytes;
        let mut batch = vec![first.job];
        while batch.len() < max_batch && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(q) => {
                    if bytes + q.bytes > MAX_BATCH_BYTES {
                        carry = Some(q);
                        break;
                    }
                    bytes += q.bytes;
                    batch.push(q.job);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let answers = match inner.upgrade() {
            Some(strong) => {
                let answers = run_batch(&strong, batch);
                // Let go of the store before answering: a caller may close and reopen it.
                drop(strong);
                answers
            }
            None => batch
                .into_iter()
                .map(|job| {
                    let f =
                        Failure::Failed(StorageError::Internal("the store is closed".to_owned()));
                    (job, Some(f))
                })
                .collect(),
        };
        for (job, failure) in answers {
            job.answer(failure);
        }
    }
}

type Answers = Vec<(Box<dyn Job>, Option<Failure>)>;

/// Runs the batch in one transaction, dropping each request that refuses and running the rest
/// again, until all remaining ones succeed; commits them once, then deletes the freed blobs.
fn run_batch(inner: &Inner, mut batch: Vec<Box<dyn Job>>) -> Answers {
    let mut answers: Answers = Vec::with_capacity(batch.len());
    while !batch.is_empty() {
        let txn = match inner.begin_write() {
            Ok(t) => t,
            Err(e) => {
                fail_all(&mut answers, batch, &e);
                return answers;
            }
        };
        let mut freed = Vec::new();
        let mut refused = None;
        for (i, job) in batch.iter_mut().enumerate() {
            if let Err(e) = job.run(&txn, &mut freed) {
                refused = Some((i, e));
                break;
            }
        }
        if let Some((i, e)) = refused {
            let _ = txn.abort();
            let job = batch.remove(i);
            answers.push((job, Some(Failure::Rejected(e))));
            continue;
        }
        match inner.commit(txn) {
            Ok(()) => {
                inner.release(&freed);
                answers.extend(batch.into_iter().map(|job| (job, None)));
            }
            Err(e) => fail_all(&mut answers, batch, &e),
        }
        return answers;
    }
    answers
}

fn fail_all(answers: &mut Answers, batch: Vec<Box<dyn Job>>, e: &StorageError) {
    for job in batch {
        answers.push((job, Some(Failure::Failed(shared_failure(e)))));
    }
}

/// Each request of a failed batch gets its own copy of the error, of the same kind: a full
/// disk stays `InsufficientStorage` (507) and an I/O failure stays `Io` (for the service's
/// 503), rather than every failure becoming a 500.
fn shared_failure(e: &StorageError) -> StorageError {
    let message = format!("metadata commit failed: {e}");
    match e {
        StorageError::InsufficientStorage(_) => StorageError::InsufficientStorage(message),
        StorageError::Io(io) => StorageError::Io(std::io::Error::new(io.kind(), message)),
        _ => StorageError::Internal(message),
    }
}
