//! The small XML writer behind every response and request serializer.
//!
//! It appends straight into a `Vec<u8>`: no intermediate events, no allocation per element,
//! and full control over the bytes (escaping of control characters, `<A></A>` for empty
//! values, no indentation), which is what makes byte-exact golden tests possible.

use time::OffsetDateTime;

use crate::encoding::EncodingType;

/// The S3 XML namespace, written on every result document (not on `<Error>`).
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The XML declaration every document starts with, followed by a newline as S3 sends it.
pub const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Appends `text` to `out`, escaped for XML element content.
///
/// * `&`, `<`, `>`, `"` and `'` become `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&apos;`;
/// * carriage return becomes `&#xD;` (a raw one would be read back as a newline);
/// * the other C0 control characters (U+0000..U+001F except tab and newline), and the
///   non-characters U+FFFE and U+FFFF, become numeric character references such as `&#x1;`,
///   as AWS S3 writes them. XML 1.0 parsers (expat, libxml2) refuse these references, which
///   is exactly why clients ask for `encoding-type=url` (botocore always does for listings);
///   the listing writers then never write such a character. The alternative, dropping or
///   replacing the character, would silently return a key that does not exist.
/// * everything else, tab and newline included, is written as is (UTF-8).
pub fn escape_text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !NEEDS_ESCAPE[usize::from(b)] {
            i += 1;
            continue;
        }
        let (replacement, len): (Option<&[u8]>, usize) = match b {
            b'&' => (Some(b"&amp;"), 1),
            b'<' => (Some(b"&lt;"), 1),
            b'>' => (Some(b"&gt;"), 1),
            b'"' => (Some(b"&quot;"), 1),
            b'\'' => (Some(b"&apos;"), 1),
            b'\r' => (Some(b"&#xD;"), 1),
            0..=0x1f => (None, 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8; other EF.. sequences are
            // ordinary characters.
            _ if bytes.get(i + 1) == Some(&0xbf)
                && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)) =>
            {
                (None, 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        match replacement {
            Some(r) => out.extend_from_slice(r),
            None if len == 3 => push_char_ref(out, 0xfffe + u32::from(bytes[i + 2] - 0xbe)),
            None => push_char_ref(out, u32::from(b)),
        }
        i += len;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Bytes that may need escaping: markup characters, C0 controls other than tab and newline,
/// and 0xEF (the lead byte of U+FFFE and U+FFFF, checked further).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != 0x09 && b != 0x0a;
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\'' as usize] = true;
    table[0xef] = true;
    table
};

fn push_char_ref(out: &mut Vec<u8>, code: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(b"&#x");
    let mut started = false;
    for shift in (0..8).rev() {
        let nibble = ((code >> (shift * 4)) & 0xf) as usize;
        if nibble != 0 || started || shift == 0 {
            started = true;
            out.push(HEX[nibble]);
        }
    }
    out.push(b';');
}

/// Appends the decimal digits of `value`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends XML for one document, element by element.
pub(crate) struct XmlWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> XmlWriter<'a> {
    /// Starts a document: writes the XML declaration.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        out.extend_from_slice(XML_DECLARATION.as_bytes());
        Self { out }
    }

    /// `<name xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`.
    pub(crate) fn start_root(&mut self, name: &str) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b" xmlns=\"");
        self.out.extend_from_slice(S3_NAMESPACE.as_bytes());
        self.out.extend_from_slice(b"\">");
    }

    /// `<name>`, or a tag with literal attributes when `name` carries them.
    pub(crate) fn start(&mut self, name: &str) {
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    /// `</name>`.
    pub(crate) fn end(&mut self, name: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
    }

    /// Escaped text at the current position.
    pub(crate) fn escaped(&mut self, text: &str) {
        escape_text(self.out, text);
    }

    /// `<name>escaped text</name>`; `<name></name>` for an empty text.
    pub(crate) fn text(&mut self, name: &str, text: &str) {
        self.start(name);
        escape_text(self.out, text);
        self.end(name);
    }

    /// `<name>text</name>` when `text` is `Some`.
    pub(crate) fn opt_text(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    /// A key-derived value, URL-encoded when `encoding` is set.
    pub(crate) fn key_text(&mut self, name: &str, text: &str, encoding: Option<EncodingType>) {
        match encoding {
            Some(EncodingType::Url) => {
                self.start(name);
                crate::encoding::url_encode_into(self.out, text);
                self.end(name);
            }
            None => self.text(name, text),
        }
    }

    /// [`Self::key_text`] when `text` is `Some`.
    pub(crate) fn opt_key_text(
        &mut self,
        name: &str,
        text: Option<&str>,
        encoding: Option<EncodingType>,
    ) {
        if let Some(text) = text {
            self.key_text(name, text, encoding);
        }
    }

    /// `<name>123</name>`.
    pub(crate) fn number(&mut self, name: &str, value: u64) {
        self.start(name);
        push_u64(self.out, value);
        self.end(name);
    }

    /// `<name>true</name>` or `<name>false</name>`.
    pub(crate) fn boolean(&mut self, name: &str, value: bool) {
        self.start(name);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        self.end(name);
    }

    /// `<name>2022-01-28T11:44:13.000Z</name>`.
    pub(crate) fn timestamp(&mut self, name: &str, value: OffsetDateTime) {
        self.start(name);
        crate::time::write_timestamp(self.out, value);
        self.end(name);
    }

    /// `<name>&quot;etag&quot;</name>`: the ETag quoted exactly once (see [`crate::quote_etag`]).
    pub(crate) fn etag(&mut self, name: &str, etag: &str) {
        self.start(name);
        self.out.extend_from_slice(b"&quot;");
        escape_text(self.out, crate::unquote_etag(etag));
        self.out.extend_from_slice(b"&quot;");
        self.end(name);
    }

    /// `<Owner><ID>..</ID><DisplayName>..</DisplayName></Owner>` under another element name.
    pub(crate) fn owner(&mut self, name: &str, owner: &crate::Owner) {
        self.start(name);
        self.text("ID", &owner.id);
        self.text("DisplayName", &owner.display_name);
        self.end(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = Vec::new();
        escape_text(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escaped("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(escaped("plain é 😀"), "plain é 😀");
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("&&"), "&amp;&amp;");
    }

    #[test]
    fn escapes_control_characters_as_references() {
        assert_eq!(escaped("a\u{1}b"), "a&#x1;b");
        assert_eq!(
            escaped("\u{0}\u{8}\u{b}\u{c}\u{1f}"),
            "&#x0;&#x8;&#xB;&#xC;&#x1F;"
        );
        assert_eq!(escaped("tab\tnl\ncr\r"), "tab\tnl\ncr&#xD;");
        assert_eq!(escaped("\u{7f}\u{85}"), "\u{7f}\u{85}");
        assert_eq!(
            escaped("x\u{fffe}y\u{ffff}z\u{fffd}"),
            "x&#xFFFE;y&#xFFFF;z\u{fffd}"
        );
    }

    #[test]
    fn numbers() {
        for n in [0u64, 7, 10, 1000, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }
}
