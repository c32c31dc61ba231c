//! Errors of the request parsers and of `encoding-type`, with the S3 error code each maps to.

/// Why a request body was refused.
///
/// Every variant stands for exactly one S3 error code ([`RequestError::code`] names it) and has
/// the public message AWS uses for it ([`RequestError::message`]); all are client errors,
/// answered `400 Bad Request` by the code's status. The `Display` text is more detailed and
/// meant for logs, not for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is empty where the operation needs one (DeleteObjects):
    /// `MissingRequestBodyError`.
    #[error("request body is empty")]
    MissingBody,
    /// The body is longer than the caller's limit: `MaxMessageLengthExceeded`, the code AWS S3
    /// lists for "Your request was too big" (400). AWS does not publish the XML body limits;
    /// see [`crate::DEFAULT_BODY_LIMIT`].
    #[error("request body of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Length of the body received.
        len: usize,
        /// Limit the caller passed.
        limit: usize,
    },
    /// Not well-formed XML, a DOCTYPE or entity, the wrong root element, an unknown or repeated
    /// element, a value of the wrong type, more than 1000 objects in a Delete, or a Complete
    /// part with a missing or invalid PartNumber or ETag: `MalformedXML`.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// DeleteObjects named an object with an empty `<Key>`: `UserKeyMustBeSpecified`.
    /// Reported only when the rest of the body is valid.
    #[error("an object in the Delete request has an empty key")]
    UserKeyMustBeSpecified,
    /// CompleteMultipartUpload listed no `<Part>` at all: `InvalidRequest`.
    #[error("the CompleteMultipartUpload request lists no part")]
    NoParts,
    /// CompleteMultipartUpload parts are not in strictly ascending PartNumber order
    /// (a repeated number counts as out of order): `InvalidPartOrder`.
    #[error("parts are not in ascending PartNumber order")]
    InvalidPartOrder,
}

impl RequestError {
    /// The name of the S3 error code for the `<Code>` element.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingBody => "MissingRequestBodyError",
            Self::TooLarge { .. } => "MaxMessageLengthExceeded",
            Self::Malformed(_) => "MalformedXML",
            Self::UserKeyMustBeSpecified => "UserKeyMustBeSpecified",
            Self::NoParts => "InvalidRequest",
            Self::InvalidPartOrder => "InvalidPartOrder",
        }
    }

    /// The public message for the `<Message>` element (AWS's wording).
    pub fn message(&self) -> &'static str {
        match self {
            Self::MissingBody => "Request Body is empty",
            Self::TooLarge { .. } => "Your request was too big.",
            Self::Malformed(_) => {
                "The XML you provided was not well-formed or did not validate against our published schema"
            }
            Self::UserKeyMustBeSpecified => {
                "The bucket POST must contain the specified field name. If it is specified, please check the order of the fields."
            }
            Self::NoParts => "You must specify at least one part",
            Self::InvalidPartOrder => {
                "The list of parts was not in ascending order. The parts list must be specified in order by part number."
            }
        }
    }

    /// An [`ErrorDocument`](crate::ErrorDocument) with this error's code and message.
    pub fn to_error_document(&self) -> crate::ErrorDocument {
        crate::ErrorDocument::new(self.code(), self.message())
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed(reason.into())
    }
}

/// The `encoding-type` query parameter had a value other than `url`.
///
/// AWS answers `400 InvalidArgument`, "Invalid Encoding Method specified in Request", with the
/// extra elements `<ArgumentName>encoding-type</ArgumentName>` and
/// `<ArgumentValue>`*value*`</ArgumentValue>`; [`InvalidEncodingType::to_error_document`]
/// builds exactly that.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid encoding-type {value:?}: only \"url\" is valid")]
pub struct InvalidEncodingType {
    /// The value received.
    pub value: String,
}

impl InvalidEncodingType {
    /// `InvalidArgument`.
    pub fn code(&self) -> &'static str {
        "InvalidArgument"
    }

    /// AWS's message.
    pub fn message(&self) -> &'static str {
        "Invalid Encoding Method specified in Request"
    }

    /// The full `<Error>` document body fields, with `ArgumentName` and `ArgumentValue`.
    pub fn to_error_document(&self) -> crate::ErrorDocument {
        crate::ErrorDocument::new(self.code(), self.message())
            .with_extra("ArgumentName", "encoding-type")
            .with_extra("ArgumentValue", self.value.clone())
    }
}
