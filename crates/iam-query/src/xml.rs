//! The small XML writer behind every IAM response and the error document.
//!
//! Output is compact: the XML declaration, a newline, then the document without indentation
//! (the spec's samples are indented for reading; clients do not care, and compact output is
//! what byte-exact golden tests can pin down). Empty values are written `<A></A>`.

use std::fmt::Write as _;

use time::{OffsetDateTime, UtcOffset};

/// The IAM XML namespace, on every response root and on `<ErrorResponse>`.
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The XML declaration every document starts with, followed by a newline.
pub const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Appends `text` escaped for XML element content.
///
/// `&`, `<`, `>`, `"` and `'` become entity references; carriage return and the other C0
/// control characters except tab and newline become numeric references (`&#xD;`, `&#x1;`) so
/// that nothing is silently altered; everything else, including all non-ASCII UTF-8, is
/// written as is. The same rules as the S3 writer in `s4-s3-xml`.
pub fn escape_text(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\t' | '\n' => continue,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&text[start..i]);
                // Writing to a String cannot fail.
                let _ = write!(out, "&#x{:X};", c as u32);
                start = i + c.len_utf8();
                continue;
            }
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + c.len_utf8();
    }
    out.push_str(&text[start..]);
}

/// Appends `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, the form of the spec's samples
/// (`2022-07-29T20:05:50.000Z`). Sub-millisecond digits are truncated.
pub fn write_timestamp(out: &mut String, t: OffsetDateTime) {
    let t = t.to_offset(UtcOffset::UTC);
    let year = t.year();
    if year < 0 {
        out.push('-');
    }
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        year.unsigned_abs(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    );
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
///
/// ```
/// use time::macros::datetime;
/// assert_eq!(
///     s4_iam_query::format_timestamp(datetime!(2022-07-29 20:05:50.123456 UTC)),
///     "2022-07-29T20:05:50.123Z"
/// );
/// ```
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let mut out = String::with_capacity(24);
    write_timestamp(&mut out, t);
    out
}

/// Appends `value` percent-encoded: RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`)
/// stay, every other byte becomes `%XX` (upper-case hex). This is how IAM encodes policy
/// documents in `<Document>` (spec 3.3, GetPolicyVersion) and how request serializers
/// encode parameters.
pub fn percent_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// `value` percent-encoded as [`percent_encode_into`] does.
///
/// ```
/// assert_eq!(
///     s4_iam_query::percent_encode(r#"{"Action":"*"}"#),
///     "%7B%22Action%22%3A%22%2A%22%7D"
/// );
/// ```
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    percent_encode_into(&mut out, value);
    out
}

/// Appends elements to one document.
#[derive(Debug)]
pub(crate) struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// Starts a document with the declaration and `<root xmlns="...iam namespace...">`.
    pub(crate) fn new(root: &str) -> Self {
        let mut out = String::with_capacity(512);
        out.push_str(XML_DECLARATION);
        out.push('<');
        out.push_str(root);
        out.push_str(" xmlns=\"");
        out.push_str(IAM_NAMESPACE);
        out.push_str("\">");
        Self { out }
    }

    pub(crate) fn start(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub(crate) fn end(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>escaped</name>`.
    pub(crate) fn text(&mut self, name: &str, text: &str) {
        self.start(name);
        escape_text(&mut self.out, text);
        self.end(name);
    }

    pub(crate) fn opt_text(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    pub(crate) fn number(&mut self, name: &str, value: u64) {
        self.start(name);
        let _ = write!(self.out, "{value}");
        self.end(name);
    }

    pub(crate) fn boolean(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" });
    }

    pub(crate) fn timestamp(&mut self, name: &str, t: OffsetDateTime) {
        self.start(name);
        write_timestamp(&mut self.out, t);
        self.end(name);
    }

    /// `<name>percent-encoded</name>` (the encoded form needs no XML escaping).
    pub(crate) fn percent_encoded(&mut self, name: &str, text: &str) {
        self.start(name);
        percent_encode_into(&mut self.out, text);
        self.end(name);
    }

    /// Closes the root and returns the bytes.
    pub(crate) fn finish(mut self, root: &str) -> Vec<u8> {
        self.end(root);
        self.out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_text(&mut out, s);
        out
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escaped("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(escaped("tab\tnl\ncr\r"), "tab\tnl\ncr&#xD;");
        assert_eq!(escaped("\u{1}\u{1f}"), "&#x1;&#x1F;");
        assert_eq!(escaped("été 😀 \u{FFFE}"), "été 😀 &#xFFFE;");
        assert_eq!(escaped(""), "");
    }

    #[test]
    fn timestamps_have_milliseconds_in_utc() {
        assert_eq!(
            format_timestamp(datetime!(2022-07-29 20:05:50 UTC)),
            "2022-07-29T20:05:50.000Z"
        );
        assert_eq!(
            format_timestamp(datetime!(2022-07-29 22:05:50.9999 +02:00)),
            "2022-07-29T20:05:50.999Z"
        );
        assert_eq!(
            format_timestamp(datetime!(0001-01-01 00:00:00.007 UTC)),
            "0001-01-01T00:00:00.007Z"
        );
        assert_eq!(
            format_timestamp(datetime!(-0044-03-15 12:00:00 UTC)),
            "-0044-03-15T12:00:00.000Z"
        );
    }

    #[test]
    fn percent_encoding_matches_the_spec_sample() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(
            percent_encode(doc),
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow\
             %22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D"
        );
        assert_eq!(percent_encode("a b+c~é\n"), "a%20b%2Bc~%C3%A9%0A");
    }
}
