//! Operation handlers: one typed function per S3 operation,
//! `fn(&Env, Input, RequestBody) -> Result<Response, ApiError>`, grouped by feature. The
//! catalogue ([`crate::operation`]) parses each one's input and dispatches to it.

pub(crate) mod acl;
pub(crate) mod bucket;
pub(crate) mod copy;
pub(crate) mod list;
pub(crate) mod multipart;
pub(crate) mod object;
pub(crate) mod policy;
use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{Response, StatusCode};
use s4_naming::AccountId;
use s4_s3_xml::Owner;
use s4_storage::ObjectRef;
use sha2::{Digest, Sha256};

use crate::authz::{KeyAccess, PolicyCache};
use crate::body::{self, ResponseBody};
use crate::config::ServiceConfig;
use crate::response::ApiError;

/// Everything a handler needs about an authorized request besides its typed input and its
/// body: the stores, the configuration, and where the request acts.
pub(crate) struct Env<'a, O> {
    pub store: &'a O,
    pub config: &'a ServiceConfig,
    /// The account the request acts in.
    pub account: AccountId,
    /// Empty for ListBuckets.
    pub bucket: String,
    /// Empty for bucket operations.
    pub key: String,
    pub head: bool,
    /// The service's bucket policy cache (invalidated by the policy handlers and
    /// DeleteBucket).
    pub policies: &'a PolicyCache,
    /// Per-key authorization for DeleteObjects (`None`: every key is allowed).
    pub key_access: Option<KeyAccess<'a>>,
}

pub(crate) type HandlerResult = Result<Response<ResponseBody>, ApiError>;

impl<O> Env<'_, O> {
    pub fn object(&self) -> ObjectRef {
        ObjectRef {
            account: self.account,
            bucket: self.bucket.clone(),
            key: self.key.clone(),
        }
    }

    /// The canonical owner of everything in the account (spec 2.1.5).
    pub fn owner(&self) -> Owner {
        owner_of(&self.account)
    }
}

/// The canonical owner of an account: a stable 64-hex ID and the account ID as display name.
pub(crate) fn owner_of(account: &AccountId) -> Owner {
    let digest = Sha256::digest(format!("s4-canonical-user:{}", account.as_str()).as_bytes());
    Owner::new(hex::encode(digest), account.as_str())
}

pub(crate) fn base64_decode(value: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(value).ok()
}

/// A response with a status and no body.
pub(crate) fn empty_response(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = status;
    if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    response
}
