//! IAM error codes, the error value every parser returns, and the `<ErrorResponse>` document.

use std::fmt;

use crate::xml::{escape_text, IAM_NAMESPACE, XML_DECLARATION};

/// Who is at fault, the `<Type>` of an IAM error: `Sender` for 4xx, `Receiver` for 5xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// The client's request is at fault.
    Sender,
    /// The server failed.
    Receiver,
}

impl ErrorType {
    /// `"Sender"` or `"Receiver"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "Sender",
            Self::Receiver => "Receiver",
        }
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $status:literal ),* $(,)?) => {
        /// An IAM error code with its default HTTP status and [`ErrorType`].
        ///
        /// | code | status |
        /// |---|---|
        $( #[doc = concat!("| `", stringify!($name), "` | ", stringify!($status), " |")] )*
        ///
        /// Statuses are those of the S4 spec (1.3.2 and 3.3) where it names the code, else
        /// the AWS IAM API reference. The spec answers `NoSuchEntity` with 400 in
        /// ListAttachedUserPolicies/ListAttachedGroupPolicies but 404 elsewhere: use
        /// [`IamError::with_status`] for such per-use overrides. Every code of status 500 or
        /// more is of type `Receiver`, every other one `Sender`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum IamErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl IamErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [IamErrorCode] = &[ $( Self::$name, )* ];

            /// The code as written in `<Code>`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$name => stringify!($name), )* }
            }

            /// The default HTTP status.
            pub const fn status(self) -> u16 {
                match self { $( Self::$name => $status, )* }
            }

            /// Parses a `<Code>` value (exact, case-sensitive).
            pub fn parse(code: &str) -> Option<Self> {
                match code { $( stringify!($name) => Some(Self::$name), )* _ => None }
            }
        }
    };
}

error_codes! {
    /// A parameter breaks a length, pattern, range or presence constraint (Coral-style
    /// message: `1 validation error detected: Value ... at 'userName' failed to satisfy
    /// constraint: ...`).
    ValidationError = 400,
    /// A semantically invalid value: a malformed ARN, a path other than `/`, duplicate tag
    /// keys.
    InvalidInput = 400,
    /// A value that cannot be read at all: a non-integer Marker or MaxItems, bad
    /// percent-encoding, invalid UTF-8, a repeated parameter, a malformed list index.
    MalformedInput = 400,
    /// The named user, group, policy, version or key does not exist.
    NoSuchEntity = 404,
    /// Attach or Detach named a policy ARN that does not exist (spec 3.3).
    InvalidArgument = 400,
    /// Unknown `Action`, or a `Version` other than `2010-05-08`.
    InvalidAction = 400,
    /// The request has no `Action`.
    MissingAction = 400,
    /// A required parameter is missing (spec 1.3.2: in the URI or in headers).
    MissingParameter = 400,
    /// The entity to create exists already.
    EntityAlreadyExists = 409,
    /// The entity to delete still has subordinate entities.
    DeleteConflict = 409,
    /// An account limit would be exceeded (for example two access keys per user).
    LimitExceeded = 409,
    /// A concurrent change got in the way.
    ConcurrentModification = 409,
    /// The entity cannot be modified (AWS-managed policies).
    UnmodifiableEntity = 400,
    /// The principal may not perform the action.
    AccessDenied = 403,
    /// The account's internal representation prevents the action (spec 1.3.2).
    AccountProblem = 403,
    /// The access key ID does not exist.
    InvalidClientTokenId = 403,
    /// The access key ID does not exist (S3 spelling, spec 1.3.2).
    InvalidAccessKeyId = 403,
    /// The signature does not match.
    SignatureDoesNotMatch = 403,
    /// Missing or unexpected signature data (spec 1.3.2: 403).
    IncompleteSignature = 403,
    /// The request time is too far from the server's.
    RequestTimeTooSkewed = 403,
    /// A presigned request has expired.
    RequestExpired = 400,
    /// Malformed authentication query parameters.
    AuthorizationQueryParametersError = 400,
    /// Missing or wrong header involved in authorization.
    MissingSecurityHeader = 400,
    /// A wrong Host header.
    InvalidURI = 400,
    /// The request cannot be completed in this form (spec 1.3.2).
    InvalidRequest = 400,
    /// The form body exceeds the parser's limit ([`crate::DEFAULT_BODY_LIMIT`]); AWS
    /// publishes no IAM code for this, so S4 answers 413 with this code.
    RequestEntityTooLarge = 413,
    /// The client was unresponsive for too long.
    RequestTimeout = 400,
    /// Too many requests.
    Throttling = 400,
    /// A technical failure (spec 3.3).
    InternalError = 500,
    /// A technical failure (AWS IAM's spelling).
    ServiceFailure = 500,
    /// An internal S4 failure (spec 1.3.2).
    InternalFailure = 500,
    /// The service is temporarily unavailable.
    ServiceUnavailable = 503,
}

impl IamErrorCode {
    /// `Receiver` for status 500 and above, `Sender` otherwise.
    pub const fn error_type(self) -> ErrorType {
        if self.status() >= 500 {
            ErrorType::Receiver
        } else {
            ErrorType::Sender
        }
    }
}

impl fmt::Display for IamErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IAM error: a code, the public message, and optionally a status other than the code's
/// default.
///
/// ```
/// use s4_iam_query::{IamError, IamErrorCode};
///
/// let e = IamError::new(IamErrorCode::NoSuchEntity, "The user with name bob cannot be found.");
/// assert_eq!(e.status(), 404);
/// // The spec answers NoSuchEntity with 400 in ListAttachedUserPolicies.
/// assert_eq!(e.clone().with_status(400).status(), 400);
/// let xml = String::from_utf8(e.to_xml("0000000000000001")).unwrap();
/// assert!(xml.contains("<Type>Sender</Type><Code>NoSuchEntity</Code>"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IamError {
    code: IamErrorCode,
    message: String,
    status: Option<u16>,
}

impl IamError {
    /// An error with the code's default status.
    pub fn new(code: IamErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
        }
    }

    /// Overrides the HTTP status for this use of the code.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The code.
    pub fn code(&self) -> IamErrorCode {
        self.code
    }

    /// The public message for `<Message>`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status: the override if any, else the code's default.
    pub fn status(&self) -> u16 {
        self.status.unwrap_or(self.code.status())
    }

    /// `Sender` or `Receiver`, from the code.
    pub fn error_type(&self) -> ErrorType {
        self.code.error_type()
    }

    /// The `<ErrorResponse>` document:
    ///
    /// ```text
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>
    /// <Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>
    /// ```
    ///
    /// (one line; `RequestId` is a sibling of `Error`, as AWS IAM sends it).
    pub fn to_xml(&self, request_id: &str) -> Vec<u8> {
        let mut out = String::with_capacity(256 + self.message.len());
        out.push_str(XML_DECLARATION);
        out.push_str("<ErrorResponse xmlns=\"");
        out.push_str(IAM_NAMESPACE);
        out.push_str("\"><Error><Type>");
        out.push_str(self.error_type().as_str());
        out.push_str("</Type><Code>");
        out.push_str(self.code.as_str());
        out.push_str("</Code><Message>");
        escape_text(&mut out, &self.message);
        out.push_str("</Message></Error><RequestId>");
        escape_text(&mut out, request_id);
        out.push_str("</RequestId></ErrorResponse>");
        out.into_bytes()
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(IamErrorCode::ValidationError, message)
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(IamErrorCode::InvalidInput, message)
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(IamErrorCode::MalformedInput, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use IamErrorCode as C;
        let expected: &[(C, u16, ErrorType)] = &[
            (C::ValidationError, 400, ErrorType::Sender),
            (C::InvalidInput, 400, ErrorType::Sender),
            (C::MalformedInput, 400, ErrorType::Sender),
            (C::NoSuchEntity, 404, ErrorType::Sender),
            (C::InvalidArgument, 400, ErrorType::Sender),
            (C::InvalidAction, 400, ErrorType::Sender),
            (C::MissingAction, 400, ErrorType::Sender),
            (C::MissingParameter, 400, ErrorType::Sender),
            (C::EntityAlreadyExists, 409, ErrorType::Sender),
            (C::DeleteConflict, 409, ErrorType::Sender),
            (C::LimitExceeded, 409, ErrorType::Sender),
            (C::AccessDenied, 403, ErrorType::Sender),
            (C::AccountProblem, 403, ErrorType::Sender),
            (C::InvalidClientTokenId, 403, ErrorType::Sender),
            (C::SignatureDoesNotMatch, 403, ErrorType::Sender),
            (C::IncompleteSignature, 403, ErrorType::Sender),
            (C::RequestEntityTooLarge, 413, ErrorType::Sender),
            (C::InternalError, 500, ErrorType::Receiver),
            (C::ServiceFailure, 500, ErrorType::Receiver),
            (C::InternalFailure, 500, ErrorType::Receiver),
            (C::ServiceUnavailable, 503, ErrorType::Receiver),
        ];
        for &(code, status, ty) in expected {
            assert_eq!(code.status(), status, "{code}");
            assert_eq!(code.error_type(), ty, "{code}");
        }
        for &code in IamErrorCode::ALL {
            assert_eq!(IamErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(IamErrorCode::parse("validationerror"), None);
        assert_eq!(IamErrorCode::ALL.len(), 32);
    }

    #[test]
    fn status_override() {
        let e = IamError::new(IamErrorCode::NoSuchEntity, "x");
        assert_eq!(e.status(), 404);
        let e = e.with_status(400);
        assert_eq!(e.status(), 400);
        assert_eq!(e.code(), IamErrorCode::NoSuchEntity);
        assert_eq!(e.to_string(), "NoSuchEntity: x");
    }

    #[test]
    fn error_document_is_byte_exact() {
        let e = IamError::new(
            IamErrorCode::ServiceFailure,
            "Storage failed: <disk> & \"co\"",
        );
        assert_eq!(
            String::from_utf8(e.to_xml("req-1")).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://iam.\
             amazonaws.com/doc/2010-05-08/\"><Error><Type>Receiver</Type><Code>ServiceFailure\
             </Code><Message>Storage failed: &lt;disk&gt; &amp; &quot;co&quot;</Message></Error>\
             <RequestId>req-1</RequestId></ErrorResponse>"
        );
    }
}
