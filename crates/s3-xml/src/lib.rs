//! Typed S3 request and response XML documents for the S4 dialect.
//!
//! * **Requests** ([`CreateBucketConfiguration`], [`Delete`], [`CompleteMultipartUpload`],
//!   [`AccessControlPolicyRequest`]):
//!   `parse(&[u8], limit)` returns the typed body or a [`RequestError`] whose variants map to
//!   S3 error codes (`MalformedXML`, `MaxMessageLengthExceeded`, `MissingRequestBodyError`,
//!   `UserKeyMustBeSpecified`, `InvalidRequest`, `InvalidPartOrder`). Each also serializes
//!   (for clients and tests), and `parse(serialize(x)) == x` holds for every parsed `x`.
//! * **Responses**: one struct per result document plus the [`ErrorDocument`], written by the
//!   [`XmlDocument`] trait as compact bytes: the XML declaration, a newline, then the document
//!   with no indentation, the S3 namespace on results, empty values as `<A></A>`.
//! * **Helpers**: [`format_timestamp`] / [`write_timestamp`] / [`parse_timestamp`]
//!   (`2022-01-28T11:44:13.000Z`), [`EncodingType`] and [`url_encode`] for
//!   `encoding-type=url`, [`escape_text`], [`quote_etag`] / [`unquote_etag`].
//!
//! # Example
//!
//! ```
//! use s4_s3_xml::{Delete, ListObjectsV2Result, ObjectEntry, XmlDocument, EncodingType};
//! use time::macros::datetime;
//!
//! // A DeleteObjects body as s3cmd or botocore send it (namespace optional).
//! let body = br#"<Delete><Object><Key>a b.txt</Key></Object><Quiet>true</Quiet></Delete>"#;
//! let delete = Delete::parse(body, s4_s3_xml::DEFAULT_BODY_LIMIT).unwrap();
//! assert_eq!(delete.objects[0].key, "a b.txt");
//! assert!(delete.quiet);
//!
//! // A ListObjectsV2 answer for `?list-type=2&encoding-type=url`.
//! let result = ListObjectsV2Result {
//!     name: "bucket".into(),
//!     prefix: String::new(),
//!     delimiter: None,
//!     max_keys: 1000,
//!     is_truncated: false,
//!     continuation_token: None,
//!     next_continuation_token: None,
//!     start_after: None,
//!     contents: vec![ObjectEntry {
//!         key: "a b+c".into(),
//!         last_modified: datetime!(2022-01-28 11:44:13 UTC),
//!         etag: "d41d8cd98f00b204e9800998ecf8427e".into(),
//!         size: 0,
//!     }],
//!     common_prefixes: vec![],
//!     encoding_type: EncodingType::from_query(Some("url")).unwrap(),
//!     owner: None,
//! };
//! let xml = String::from_utf8(result.to_xml()).unwrap();
//! assert!(xml.contains("<Key>a%20b%2Bc</Key>"));
//! assert!(xml.contains("<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>"));
//! assert!(xml.contains("<LastModified>2022-01-28T11:44:13.000Z</LastModified>"));
//! ```
//!
//! # Design decisions
//!
//! * **Parsing with quick-xml events, not serde.** serde's deserializer ignores unknown
//!   elements, merges repeated ones, and does not distinguish `<Key/>` from a missing key;
//!   each of those must produce a precise S3 error. The event reader is also strict about
//!   structure while tolerating whitespace, comments, a BOM, an XML declaration and the S3
//!   namespace being present (default or prefixed) or absent; another namespace is refused.
//!   A DOCTYPE is always `MalformedXML`, and only the five predefined entities and character
//!   references are expanded: no XXE, no entity expansion bombs. Nesting is bounded by the
//!   document shape because only known elements are accepted.
//! * **Writing with a hand-rolled writer, not quick-xml's `Writer` or serde.** Responses are
//!   written straight into a `Vec<u8>`: no event objects, no per-element allocation, and full
//!   control over the bytes (control characters as `&#xN;`, carriage return as `&#xD;`,
//!   `<A></A>` for empty values), which is what byte-exact golden tests need.
//! * **Size limits.** Every parser takes a byte limit; a longer body is
//!   `MaxMessageLengthExceeded` ("Your request was too big.", the code in AWS S3's error
//!   list for an oversized request). AWS does not publish its XML body limits;
//!   [`DEFAULT_BODY_LIMIT`] fits 1000 maximal keys or 10000 parts.
//! * **ETags** are taken quoted or unquoted everywhere and written quoted exactly once
//!   (`&quot;abc&quot;`, as S3 sends them); request parsers return them unquoted.
//! * **Keys are never trimmed**; numbers, booleans, ETags and checksums are trimmed of XML
//!   whitespace. Raw CR LF and lone CR in text are read as LF (XML's end-of-line rule, which
//!   AWS's parser applies too); a carriage return written as `&#13;` is kept, and the writers
//!   always write it that way.
//! * **Control characters in keys.** Without `encoding-type=url` they are written as numeric
//!   character references (`&#x1;`), as AWS S3 does; see [`escape_text`]. The request parsers
//!   accept such references and raw control characters (clients built on ElementTree send them
//!   raw) but refuse NUL, which XML cannot carry in any form.
//! * **Timestamps** always carry milliseconds (`.000Z`), including `CreationDate`, whose spec
//!   sample shows none.

#![warn(missing_docs)]

mod encoding;
mod error;
pub mod fuzzing;
mod requests;
mod responses;
mod time;
mod writer;

pub use crate::encoding::{url_decode_plus, url_encode, url_encode_into, EncodingType};
pub use crate::error::{InvalidEncodingType, RequestError};
pub use crate::requests::{
    AccessControlPolicyRequest, AclGrant, AclGrantee, CompleteMultipartUpload, CompletedPart,
    CreateBucketConfiguration, Delete, ObjectIdentifier, MAX_DELETE_OBJECTS, MAX_PART_NUMBER,
};
pub use crate::responses::{
    AccessControlPolicy, BucketEntry, CompleteMultipartUploadResult, CopyObjectResult,
    CopyPartResult, DeleteError, DeleteResult, ErrorDocument, InitiateMultipartUploadResult,
    ListAllMyBucketsResult, ListMultipartUploadsResult, ListObjectsResult, ListObjectsV2Result,
    ListPartsResult, LocationConstraint, ObjectEntry, PartEntry, UploadEntry,
};
pub use crate::time::{format_timestamp, parse_timestamp, write_timestamp, TIMESTAMP_LEN};
pub use crate::writer::{escape_text, S3_NAMESPACE, XML_DECLARATION};

/// A default limit for request bodies: 8 MiB.
///
/// The largest valid bodies are a Delete of 1000 keys of 1024 characters, each escaped
/// (about 6 MB at worst), and a Complete of 10000 parts with checksums (about 3 MB).
/// Services may pass a tighter limit, for example a few KiB for CreateBucket.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A document that writes itself as XML bytes.
pub trait XmlDocument {
    /// Appends the whole document, XML declaration included, to `out`.
    fn write_xml(&self, out: &mut Vec<u8>);

    /// The whole document as a new buffer.
    fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_xml(&mut out);
        out
    }
}

/// An owner, initiator or grantee: `<ID>` (the canonical user ID) and `<DisplayName>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    /// `<ID>`.
    pub id: String,
    /// `<DisplayName>`.
    pub display_name: String,
}

impl Owner {
    /// An owner from its ID and display name.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
        }
    }
}

/// `"abc"` -> `abc`; an unquoted value is returned unchanged. Only one pair of surrounding
/// double quotes is removed.
pub fn unquote_etag(etag: &str) -> &str {
    etag.strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(etag)
}

/// `abc` or `"abc"` -> `"abc"` (for headers; the XML writers quote by themselves).
pub fn quote_etag(etag: &str) -> String {
    format!("\"{}\"", unquote_etag(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_quoting_is_idempotent() {
        assert_eq!(unquote_etag("\"abc\""), "abc");
        assert_eq!(unquote_etag("abc"), "abc");
        assert_eq!(unquote_etag("\"abc"), "\"abc");
        assert_eq!(unquote_etag("\""), "\"");
        assert_eq!(unquote_etag("\"\""), "");
        assert_eq!(quote_etag("abc"), "\"abc\"");
        assert_eq!(quote_etag("\"abc\""), "\"abc\"");
        assert_eq!(quote_etag("abc-3"), "\"abc-3\"");
    }
}
