//! The S3 error codes S4 answers with, each with its HTTP status and default message, in one
//! table (spec 1.3.2 and the per-operation error tables).

macro_rules! s3_error_codes {
    ($($code:ident => $status:literal, $message:literal;)*) => {
        /// An S3 error code. `as_str` is the `<Code>` of the error body.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum S3ErrorCode {
            $($code,)*
        }

        impl S3ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [S3ErrorCode] = &[$(S3ErrorCode::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(S3ErrorCode::$code => stringify!($code),)*
                }
            }

            pub fn status(self) -> u16 {
                match self {
                    $(S3ErrorCode::$code => $status,)*
                }
            }

            pub fn default_message(self) -> &'static str {
                match self {
                    $(S3ErrorCode::$code => $message,)*
                }
            }
        }
    };
}

s3_error_codes! {
    AccessControlListNotSupported => 400, "The bucket does not allow ACLs";
    AccessDenied => 403, "Access Denied";
    AccountProblem => 403, "There is a problem with your account that prevents the operation from completing successfully.";
    AuthorizationQueryParametersError => 400, "Error parsing the X-Amz-Credential parameter.";
    BadDigest => 400, "The Content-MD5 or checksum value that you specified did not match what the server received.";
    BucketAlreadyOwnedByYou => 409, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => 409, "The bucket that you tried to delete is not empty.";
    EntityTooLarge => 400, "Your proposed upload exceeds the maximum allowed object size.";
    EntityTooSmall => 400, "Your proposed upload is smaller than the minimum allowed object size.";
    IncompleteBody => 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    IncompleteSignature => 403, "The request signature does not conform to AWS standards.";
    InsufficientStorage => 507, "The server does not have enough free space to store this request; retry once space is freed.";
    InternalError => 500, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId => 403, "The AWS access key ID that you provided does not exist in our records.";
    InvalidArgument => 400, "Invalid Argument";
    InvalidBucketName => 400, "The specified bucket is not valid.";
    InvalidDigest => 400, "The Content-MD5 or checksum value that you specified is not valid.";
    InvalidPart => 400, "One or more of the specified parts could not be found, or did not satisfy S4's part rules.";
    InvalidPartOrder => 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.";
    InvalidRange => 416, "The requested range is not satisfiable";
    InvalidRequest => 400, "Invalid Request";
    InvalidToken => 400, "The provided token is malformed or otherwise invalid.";
    InvalidStorageClass => 400, "The storage class you specified is not valid.";
    InvalidURI => 400, "Couldn't parse the specified URI.";
    MalformedACLError => 400, "The XML you provided was not well-formed or did not validate against our published schema.";
    MalformedPolicy => 400, "Policies must be valid JSON and the first byte must be '{'";
    MalformedXML => 400, "The XML that you provided was not well formed or did not validate against our published schema.";
    MaxMessageLengthExceeded => 400, "Your request was too big.";
    MetadataTooLarge => 400, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => 405, "The specified method is not allowed against this resource.";
    MissingContentLength => 411, "You must provide the Content-Length HTTP header.";
    MissingParameter => 400, "A required parameter is missing.";
    MissingRequestBodyError => 400, "Request Body is empty.";
    MissingSecurityHeader => 400, "Your request is missing a required header.";
    NoSuchAccessPoint => 404, "The specified account does not exist.";
    NoSuchBucket => 404, "The specified bucket does not exist.";
    NoSuchBucketPolicy => 404, "The bucket policy does not exist.";
    NoSuchKey => 404, "The specified key does not exist.";
    NoSuchUpload => 404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.";
    NotImplemented => 501, "A header or query you provided implies functionality that is not implemented.";
    NotModified => 304, "Not Modified";
    PreconditionFailed => 412, "At least one of the preconditions that you specified did not hold.";
    RequestHeaderSectionTooLarge => 400, "Your request header section exceeds the maximum allowed size.";
    RequestTimeTooSkewed => 403, "The difference between the request time and the server's time is too large.";
    RequestTimeout => 400, "Your socket connection to the server was not read from or written to within the timeout period.";
    ServiceUnavailable => 503, "Please reduce your request rate.";
    SignatureDoesNotMatch => 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    SlowDown => 503, "Please reduce your request rate.";
    TooManyBuckets => 400, "You have attempted to create more buckets than allowed.";
    UserKeyMustBeSpecified => 400, "The bucket POST request must contain the specified field name.";
    ValidationError => 400, "Validation error.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_http_error_statuses_or_not_modified() {
        for code in S3ErrorCode::ALL {
            let status = code.status();
            assert!(status == 304 || (400..600).contains(&status), "{code:?}");
            assert!(!code.default_message().is_empty());
        }
    }

    #[test]
    fn spot_checks_against_the_spec() {
        assert_eq!(S3ErrorCode::InvalidRange.status(), 416);
        assert_eq!(S3ErrorCode::MethodNotAllowed.status(), 405);
        assert_eq!(S3ErrorCode::BucketNotEmpty.status(), 409);
        assert_eq!(S3ErrorCode::IncompleteSignature.status(), 403);
        assert_eq!(S3ErrorCode::MissingSecurityHeader.status(), 400);
        assert_eq!(S3ErrorCode::NoSuchUpload.as_str(), "NoSuchUpload");
        assert_eq!(S3ErrorCode::AccessControlListNotSupported.status(), 400);
        assert_eq!(S3ErrorCode::NoSuchAccessPoint.status(), 404);
    }
}
