use crate::body::BoxError;

/// Everything a backend can answer instead of a result.
///
/// Variants name S3/IAM conditions, not HTTP statuses: the service maps them to error codes in
/// one place. Backends never invent codes of their own; anything unexpected is `Internal` or
/// `Io`, which the service answers with `InternalError`.
// The `#[error]` text of each variant says what it means.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    #[error("the bucket already exists and is owned by you")]
    BucketAlreadyOwnedByYou,
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    /// The key breaks a rule of spec section 2.1.4.
    #[error("{0}")]
    InvalidObjectKey(#[from] s4_naming::ObjectKeyError),
    /// A key ending in `/` names a folder marker and may not carry data (S4's rule).
    #[error("an object whose key ends with '/' cannot hold data")]
    KeyCannotHoldData,
    #[error("the specified key does not exist")]
    NoSuchKey,
    #[error("the bucket has no policy")]
    NoSuchBucketPolicy,
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    /// A write precondition (`If-Match`, `If-None-Match`) or a copy-source condition failed.
    #[error("at least one of the preconditions you specified did not hold")]
    PreconditionFailed,
    /// The requested range lies entirely beyond the object.
    #[error("the requested range is not satisfiable")]
    InvalidRange,
    /// The body's MD5 differs from the `Content-MD5` the client sent.
    #[error("the Content-MD5 you specified did not match what we received")]
    BadDigest,
    /// The body ended before or after the announced `Content-Length`.
    #[error("the body length {received} differs from the announced length {expected}")]
    IncompleteBody { expected: u64, received: u64 },
    #[error("{0}")]
    InvalidPart(String),
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    #[error("{0}")]
    EntityTooSmall(String),
    #[error("your proposed upload exceeds the maximum allowed size")]
    EntityTooLarge,
    /// IAM: the named user, group, key, attachment or account does not exist.
    #[error("{0}")]
    NoSuchEntity(String),
    /// IAM: an entity of that name already exists.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// IAM: the entity still has dependents (keys, memberships, attached policies).
    #[error("{0}")]
    DeleteConflict(String),
    /// IAM: a per-entity quota (for example two access keys per user) is reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The write would take the account past one of its storage limits (see
    /// [`crate::quota`]); nothing of it was stored.
    #[error("storage quota exceeded: the account's {} limit is {max}", limit.as_str())]
    QuotaExceeded {
        limit: crate::quota::QuotaLimit,
        max: u64,
    },
    /// The account already has as many buckets as its quota allows.
    #[error("the account's max-buckets limit of {max} is reached")]
    TooManyBuckets { max: u64 },
    /// The backend lacks this capability (see [`crate::Capabilities`]).
    #[error("this backend does not implement {0}")]
    NotImplemented(&'static str),
    /// The request body stream failed (client disconnect, signature or checksum mismatch).
    /// The source is passed through untouched so that the service can map it.
    #[error("request body failed: {0}")]
    Body(#[source] BoxError),
    /// The disk is full, or a write would eat into the free-space reserve kept for deletes
    /// and metadata: nothing of the write was stored, and the same request succeeds once
    /// space is freed.
    #[error("not enough free space: {0}")]
    InsufficientStorage(String),
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("internal storage error: {0}")]
    Internal(String),
}

/// Result type of every backend operation.
pub type StorageResult<T> = Result<T, StorageError>;
