//! The S3 `<Error>` document.

use crate::writer::{escape_text, XML_DECLARATION};
use crate::XmlDocument;

/// The S3 `<Error>` document (spec 1.3.1), without namespace:
/// `Code, Message, Resource, `*extra elements in order*`, RequestId, HostId`.
///
/// `Resource`, `RequestId` and `HostId` are written only when set. The extra elements carry
/// what AWS adds for some codes (`Key`, `BucketName`, `Condition`, `ArgumentName` /
/// `ArgumentValue`, SignatureDoesNotMatch's `StringToSign` / `CanonicalRequest` ...); AWS
/// writes them after `Message` and before `RequestId`, and so does this, after `Resource`
/// (the spec's sample places `Resource` right after `Message`).
///
/// ```
/// use s4_s3_xml::{ErrorDocument, XmlDocument};
/// let doc = ErrorDocument::new("NoSuchKey", "The specified key does not exist.")
///     .with_resource("/myobj")
///     .with_request_id("HC0000000000000001")
///     .with_extra("Key", "myobj");
/// assert_eq!(
///     String::from_utf8(doc.to_xml()).unwrap(),
///     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
///      <Message>The specified key does not exist.</Message><Resource>/myobj</Resource>\
///      <Key>myobj</Key><RequestId>HC0000000000000001</RequestId></Error>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDocument {
    /// `<Code>`.
    pub code: String,
    /// `<Message>`.
    pub message: String,
    /// `<Resource>`: the bucket or object path the request addressed.
    pub resource: Option<String>,
    /// Extra elements, `(name, text)`, written in order. A name that is not a plain ASCII XML
    /// name (letters, digits, `_`, `-`, `.`, not starting with a digit, `-` or `.`) is skipped
    /// rather than written as broken XML.
    pub extra: Vec<(String, String)>,
    /// `<RequestId>`.
    pub request_id: Option<String>,
    /// `<HostId>`.
    pub host_id: Option<String>,
}

impl ErrorDocument {
    /// A document with a code and a message only.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            ..Self::default()
        }
    }

    /// Sets `<Resource>`.
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets `<RequestId>`.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets `<HostId>`.
    #[must_use]
    pub fn with_host_id(mut self, host_id: impl Into<String>) -> Self {
        self.host_id = Some(host_id.into());
        self
    }

    /// Appends an extra element.
    #[must_use]
    pub fn with_extra(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.extra.push((name.into(), text.into()));
        self
    }
}

fn is_plain_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn element(out: &mut Vec<u8>, name: &str, text: &str) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    escape_text(out, text);
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

impl XmlDocument for ErrorDocument {
    fn write_xml(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(XML_DECLARATION.as_bytes());
        out.extend_from_slice(b"<Error>");
        element(out, "Code", &self.code);
        element(out, "Message", &self.message);
        if let Some(resource) = &self.resource {
            element(out, "Resource", resource);
        }
        for (name, text) in &self.extra {
            if is_plain_name(name) {
                element(out, name, text);
            }
        }
        if let Some(request_id) = &self.request_id {
            element(out, "RequestId", request_id);
        }
        if let Some(host_id) = &self.host_id {
            element(out, "HostId", host_id);
        }
        out.extend_from_slice(b"</Error>");
    }
}
