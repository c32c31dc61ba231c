//! The typed inputs of the S3 operations: what each handler needs from the request's
//! headers and query, parsed (and refused when malformed) before the handler runs, so that no
//! handler reads a header or a query parameter. The catalogue ([`crate::operation`]) names
//! each operation's input type; inputs live here by feature, as the handlers do.

mod acl;
mod body;
mod copy;
mod list;
mod multipart;
mod object;

use http::HeaderMap;
use s4_naming::AccountId;

use crate::config::Limits;
use crate::operation::Query;
use crate::response::ApiError;

pub(crate) use acl::AclInput;
pub(crate) use body::RequestBody;
pub(crate) use copy::CopyObjectInput;
pub(crate) use list::{Common, ListObjectsInput, ListObjectsV2Input};
pub(crate) use multipart::{
    CompleteUploadInput, CreateUploadInput, ListPartsInput, ListUploadsInput, UploadPartCopyInput,
    UploadPartInput,
};
pub(crate) use object::{
    parse_range, read_conditions, DigestedBody, GetObjectInput, PutObjectInput, ResponseOverrides,
};

/// What a typed input is parsed from: the request's headers and decoded query, where it
/// acts, and the service's limits.
pub(crate) struct RequestView<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a Query,
    pub account: &'a AccountId,
    pub bucket: &'a str,
    pub key: &'a str,
    pub limits: &'a Limits,
}

impl RequestView<'_> {
    /// A header's value, when it is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An operation's typed input, parsed from the request before its handler runs (see the
/// catalogue in [`crate::operation`]).
pub(crate) trait FromRequest: Sized {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError>;
}

/// The input of an operation that needs nothing beyond its bucket and key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoInput;

impl FromRequest for NoInput {
    fn from_request(_: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self)
    }
}
