//! The S3 operation catalogue: one row per operation S4 serves, and everything derived from
//! it — the [`S3Operation`] enum and its [`name`](S3Operation::name) (the access-log name and
//! metrics label), the routing table ([`route`]), the authorization checks
//! ([`S3Operation::checks`]) and dispatch to the operation's typed handler.
//!
//! A row names the operation, its route (method, target, sub-resource, and the header or
//! query value that tells it apart from its siblings), the IAM action and resource kind it is
//! authorized as, its typed input (parsed from the query and headers by
//! [`FromRequest`](crate::input::FromRequest), see [`crate::input`]) and its handler, a
//! typed function `fn(&Env, Input, RequestBody)`. Adding an operation is one row here plus its
//! handler (and its input type, when it needs more than its bucket and key).
//!
//! Rows are matched in order (see [`route`]): among rows of the same target, the first row
//! whose sub-resource flag the query carries decides the sub-resource, so rows of
//! sub-resources that win over others come first.

mod params;
mod query;
mod routing;

use s4_policy::actions::{bucket_arn, object_arn, ResourceKind, ALL_BUCKETS_ARN};

pub(crate) use params::{copy_source_header, parse_part_number, require_upload_id};
pub use params::{parse_copy_source, CopySource, PartTarget, UploadId};
pub use query::Query;
pub use routing::{route, Routed, UNSUPPORTED_SUBRESOURCES};

/// The HTTP methods the S3 API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

impl Verb {
    /// The verb of an HTTP method, `None` for methods S3 does not use.
    pub fn of(method: &http::Method) -> Option<Self> {
        Some(match *method {
            http::Method::GET => Self::Get,
            http::Method::PUT => Self::Put,
            http::Method::POST => Self::Post,
            http::Method::DELETE => Self::Delete,
            http::Method::HEAD => Self::Head,
            _ => return None,
        })
    }
}

/// What a request's path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `/`: no bucket.
    Service,
    /// `/<bucket>`.
    Bucket,
    /// `/<bucket>/<key>`.
    Object,
}

/// The sub-resource a row answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// None of the target's sub-resource flags is present.
    None,
    /// The query carries this flag (`?acl`, `?uploads=`).
    Flag(&'static str),
    /// The query carries `uploadId` with a non-empty value (an empty one is
    /// `InvalidArgument`, whatever the method).
    UploadId,
}

impl Sub {
    /// The query parameter that selects the sub-resource.
    pub fn param(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Flag(name) => Some(name),
            Self::UploadId => Some("uploadId"),
        }
    }
}

/// What tells a row apart from a sibling with the same method and sub-resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Always,
    /// The request carries this header (`x-amz-copy-source`); its value is the copy source.
    CopySourceHeader,
    /// The query parameter has this value (`list-type=2`).
    QueryValue(&'static str, &'static str),
}

/// Which authorization an operation needs besides its own action on its own resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorized {
    /// Only the operation's action on its resource.
    Alone,
    /// Also `s3:GetObject` on the copy source.
    AndCopySourceRead,
    /// The action is decided per key by the handler (DeleteObjects), none up front.
    PerKey,
}

/// One row of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct CatalogueRow {
    pub operation: S3Operation,
    pub verb: Verb,
    pub target: Target,
    pub sub: Sub,
    pub when: When,
    /// The IAM action, e.g. `s3:GetObject`.
    pub action: &'static str,
    /// The kind of resource the action is authorized against.
    pub resource: ResourceKind,
    pub authorized: Authorized,
}

/// One authorization an operation needs: this action on this resource ARN, with the bucket
/// whose policy decides it (empty for the service).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessCheck<'a> {
    pub action: &'static str,
    pub resource: String,
    pub bucket: &'a str,
}

macro_rules! s3_catalogue {
    ($(
        $name:ident {
            route: ($verb:ident, $target:ident, $sub:expr, $when:expr),
            authorized: ($action:literal on $resource:ident, $authorized:ident),
            input: $input:ty,
            handler: $handler:path $(,)?
        }
    ),* $(,)?) => {
        /// One S3 operation S4 serves (spec section 2.2), as the catalogue lists it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum S3Operation {
            $(#[doc = concat!("`", stringify!($name), "`.")] $name,)*
        }

        /// The catalogue, in routing order.
        pub static CATALOGUE: &[CatalogueRow] = &[$(
            CatalogueRow {
                operation: S3Operation::$name,
                verb: Verb::$verb,
                target: Target::$target,
                sub: $sub,
                when: $when,
                action: $action,
                resource: ResourceKind::$resource,
                authorized: Authorized::$authorized,
            },
        )*];

        impl S3Operation {
            /// The operation's API name (`ListObjectsV2`): the access-log name and metrics
            /// label.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$name => stringify!($name),)*
                }
            }

            /// The operation's row of the catalogue.
            pub fn row(self) -> &'static CatalogueRow {
                // The enum and the table are generated in the same order.
                &CATALOGUE[self as usize]
            }
        }

        /// Parses the operation's typed input and runs its handler.
        pub(crate) async fn dispatch<O: s4_storage::ObjectStore>(
            operation: S3Operation,
            env: &crate::handlers::Env<'_, O>,
            request: &crate::input::RequestView<'_>,
            body: crate::input::RequestBody,
        ) -> crate::handlers::HandlerResult {
            use crate::input::FromRequest as _;
            match operation {
                $(S3Operation::$name => {
                    let input = <$input>::from_request(request)?;
                    $handler(env, input, body).await
                })*
            }
        }
    };
}

use crate::handlers::{acl, bucket, copy, list, multipart, object, policy};
use crate::input::{
    AclInput, CompleteUploadInput, CopyObjectInput, CreateUploadInput, DigestedBody,
    GetObjectInput, ListObjectsInput, ListObjectsV2Input, ListPartsInput, ListUploadsInput,
    NoInput, PutObjectInput, UploadPartCopyInput, UploadPartInput,
};
use Sub::{Flag, UploadId as WithUploadId};
use When::{Always, CopySourceHeader, QueryValue};

s3_catalogue! {
    ListBuckets {
        route: (Get, Service, Sub::None, Always),
        authorized: ("s3:ListAllMyBuckets" on Service, Alone),
        input: NoInput,
        handler: bucket::list_buckets,
    },
    // `?acl` wins over every other sub-resource.
    GetBucketAcl {
        route: (Get, Bucket, Flag("acl"), Always),
        authorized: ("s3:GetBucketAcl" on Bucket, Alone),
        input: NoInput,
        handler: bucket::get_bucket_acl,
    },
    PutBucketAcl {
        route: (Put, Bucket, Flag("acl"), Always),
        authorized: ("s3:PutBucketAcl" on Bucket, Alone),
        input: AclInput,
        handler: acl::put_bucket_acl,
    },
    GetObjectAcl {
        route: (Get, Object, Flag("acl"), Always),
        authorized: ("s3:GetObjectAcl" on Object, Alone),
        input: NoInput,
        handler: object::get_object_acl,
    },
    PutObjectAcl {
        route: (Put, Object, Flag("acl"), Always),
        authorized: ("s3:PutObjectAcl" on Object, Alone),
        input: AclInput,
        handler: acl::put_object_acl,
    },
    GetBucketLocation {
        route: (Get, Bucket, Flag("location"), Always),
        authorized: ("s3:GetBucketLocation" on Bucket, Alone),
        input: NoInput,
        handler: bucket::get_bucket_location,
    },
    ListMultipartUploads {
        route: (Get, Bucket, Flag("uploads"), Always),
        authorized: ("s3:ListBucketMultipartUploads" on Bucket, Alone),
        input: ListUploadsInput,
        handler: multipart::list_multipart_uploads,
    },
    CreateMultipartUpload {
        route: (Post, Object, Flag("uploads"), Always),
        authorized: ("s3:PutObject" on Object, Alone),
        input: CreateUploadInput,
        handler: multipart::create_multipart_upload,
    },
    GetBucketPolicy {
        route: (Get, Bucket, Flag("policy"), Always),
        authorized: ("s3:GetBucketPolicy" on Bucket, Alone),
        input: NoInput,
        handler: policy::get_bucket_policy,
    },
    PutBucketPolicy {
        route: (Put, Bucket, Flag("policy"), Always),
        authorized: ("s3:PutBucketPolicy" on Bucket, Alone),
        input: DigestedBody,
        handler: policy::put_bucket_policy,
    },
    DeleteBucketPolicy {
        route: (Delete, Bucket, Flag("policy"), Always),
        authorized: ("s3:DeleteBucketPolicy" on Bucket, Alone),
        input: NoInput,
        handler: policy::delete_bucket_policy,
    },
    DeleteObjects {
        route: (Post, Bucket, Flag("delete"), Always),
        authorized: ("s3:DeleteObject" on Object, PerKey),
        input: DigestedBody,
        handler: object::delete_objects,
    },
    UploadPartCopy {
        route: (Put, Object, WithUploadId, CopySourceHeader),
        authorized: ("s3:PutObject" on Object, AndCopySourceRead),
        input: UploadPartCopyInput,
        handler: multipart::upload_part_copy,
    },
    UploadPart {
        route: (Put, Object, WithUploadId, Always),
        authorized: ("s3:PutObject" on Object, Alone),
        input: UploadPartInput,
        handler: multipart::upload_part,
    },
    CompleteMultipartUpload {
        route: (Post, Object, WithUploadId, Always),
        authorized: ("s3:PutObject" on Object, Alone),
        input: CompleteUploadInput,
        handler: multipart::complete_multipart_upload,
    },
    AbortMultipartUpload {
        route: (Delete, Object, WithUploadId, Always),
        authorized: ("s3:AbortMultipartUpload" on Object, Alone),
        input: UploadId,
        handler: multipart::abort_multipart_upload,
    },
    ListParts {
        route: (Get, Object, WithUploadId, Always),
        authorized: ("s3:ListMultipartUploadParts" on Object, Alone),
        input: ListPartsInput,
        handler: multipart::list_parts,
    },
    ListObjectsV2 {
        route: (Get, Bucket, Sub::None, QueryValue("list-type", "2")),
        authorized: ("s3:ListBucket" on Bucket, Alone),
        input: ListObjectsV2Input,
        handler: list::list_objects_v2,
    },
    ListObjects {
        route: (Get, Bucket, Sub::None, Always),
        authorized: ("s3:ListBucket" on Bucket, Alone),
        input: ListObjectsInput,
        handler: list::list_objects_v1,
    },
    CreateBucket {
        route: (Put, Bucket, Sub::None, Always),
        authorized: ("s3:CreateBucket" on Bucket, Alone),
        input: NoInput,
        handler: bucket::create_bucket,
    },
    DeleteBucket {
        route: (Delete, Bucket, Sub::None, Always),
        authorized: ("s3:DeleteBucket" on Bucket, Alone),
        input: NoInput,
        handler: bucket::delete_bucket,
    },
    HeadBucket {
        route: (Head, Bucket, Sub::None, Always),
        authorized: ("s3:ListBucket" on Bucket, Alone),
        input: NoInput,
        handler: bucket::head_bucket,
    },
    CopyObject {
        route: (Put, Object, Sub::None, CopySourceHeader),
        authorized: ("s3:PutObject" on Object, AndCopySourceRead),
        input: CopyObjectInput,
        handler: copy::copy_object,
    },
    PutObject {
        route: (Put, Object, Sub::None, Always),
        authorized: ("s3:PutObject" on Object, Alone),
        input: PutObjectInput,
        handler: object::put_object,
    },
    GetObject {
        route: (Get, Object, Sub::None, Always),
        authorized: ("s3:GetObject" on Object, Alone),
        input: GetObjectInput,
        handler: object::get_object,
    },
    HeadObject {
        route: (Head, Object, Sub::None, Always),
        authorized: ("s3:GetObject" on Object, Alone),
        input: GetObjectInput,
        handler: object::get_object,
    },
    DeleteObject {
        route: (Delete, Object, Sub::None, Always),
        authorized: ("s3:DeleteObject" on Object, Alone),
        input: NoInput,
        handler: object::delete_object,
    },
}

impl S3Operation {
    /// Every operation, in catalogue order.
    pub fn all() -> impl Iterator<Item = S3Operation> {
        CATALOGUE.iter().map(|row| row.operation)
    }

    /// The IAM action this operation is authorized as.
    pub fn action(self) -> &'static str {
        self.row().action
    }

    /// The kind of resource [`action`](Self::action) is authorized against.
    pub fn resource_kind(self) -> ResourceKind {
        self.row().resource
    }

    /// The operation's own action on its resource: `bucket`/`key` as its resource kind
    /// needs them.
    pub fn own_check<'a>(self, bucket: &'a str, key: &str) -> AccessCheck<'a> {
        let row = self.row();
        let (resource, policy_bucket) = match row.resource {
            ResourceKind::Service | ResourceKind::Iam => (ALL_BUCKETS_ARN.to_owned(), ""),
            ResourceKind::Bucket => (bucket_arn(bucket), bucket),
            ResourceKind::Object => (object_arn(bucket, key), bucket),
        };
        AccessCheck {
            action: row.action,
            resource,
            bucket: policy_bucket,
        }
    }

    /// The authorization checks of the operation on `bucket`/`key`, in order: its own action
    /// on its resource, then `s3:GetObject` on the copy source of a copy. DeleteObjects is
    /// authorized per key by its handler and has no check here.
    pub fn checks<'a>(
        self,
        bucket: &'a str,
        key: &str,
        copy_source: Option<&'a CopySource>,
    ) -> Vec<AccessCheck<'a>> {
        let row = self.row();
        if row.authorized == Authorized::PerKey {
            return Vec::new();
        }
        let mut checks = vec![self.own_check(bucket, key)];
        if let (Authorized::AndCopySourceRead, Some(source)) = (row.authorized, copy_source) {
            checks.push(AccessCheck {
                action: "s3:GetObject",
                resource: object_arn(&source.bucket, &source.key),
                bucket: &source.bucket,
            });
        }
        checks
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod managed_tests;
