//! `encoding-type=url`: how listing responses carry keys that XML cannot.
//!
//! XML 1.0 cannot carry most control characters (U+0001..U+001F other than tab, newline and
//! carriage return) even as character references, which is why S3 has `encoding-type=url`.
//! With it, the listing writers pass every key-derived value through [`url_encode`]: `Key`,
//! `Prefix`, `Delimiter`, `Marker`, `NextMarker`, `StartAfter`, `CommonPrefixes/Prefix`, and
//! for multipart listings `KeyMarker` and `NextKeyMarker`. Opaque values (continuation tokens,
//! upload IDs) are never encoded, and neither is a ListObjects (v1) `Prefix`, which is
//! written as sent because botocore does not decode it.
//!
//! The encoding is RFC 3986 percent-encoding, which every client undoes (botocore with
//! `urllib.parse.unquote_plus`, the Java and Go SDKs with their URL decoders): UTF-8 bytes are
//! percent-encoded (`%XX`, upper-case hex) except the unreserved characters
//! `A-Z a-z 0-9 - . _ ~` and `/`, which are kept. A space is `%20`, never `+`: a decoder that
//! does not treat `+` as a space (most outside Python) would otherwise hand back a different
//! key. `+` itself becomes `%2B`, `%` becomes `%25`, and `(` becomes `%28` (as AWS answers
//! for `(test)`). Because `+` is always encoded, `unquote_plus` (decode `+` as space, then
//! `%XX`) gives back the original string too; [`url_decode_plus`] is that inverse, for tests
//! and clients.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::error::InvalidEncodingType;

/// Whether a byte is written as is: ASCII alphanumerics, `-`, `.`, `_`, `~` and `/`.
fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
}

/// Appends `value` URL-encoded (see the module docs) to `out`. The output is plain ASCII with
/// no XML markup character, so it needs no further escaping.
pub fn url_encode_into(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if is_kept(b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
    }
}

/// The value of the `encoding-type` query parameter. S3 defines one value, `url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncodingType {
    /// `url`: key-derived values are written URL-encoded ([`url_encode`]).
    Url,
}

impl EncodingType {
    /// Parses the query value. Only `url` (exactly, lower case) is valid; anything else,
    /// including an empty value, is `InvalidArgument` as on AWS.
    pub fn parse(value: &str) -> Result<Self, InvalidEncodingType> {
        if value == "url" {
            Ok(Self::Url)
        } else {
            Err(InvalidEncodingType {
                value: value.to_owned(),
            })
        }
    }

    /// Parses an optional query value: absent means no encoding.
    pub fn from_query(value: Option<&str>) -> Result<Option<Self>, InvalidEncodingType> {
        value.map(Self::parse).transpose()
    }

    /// The text written in `<EncodingType>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Url => "url",
        }
    }

    /// Encodes one value for the response.
    pub fn encode(self, value: &str) -> Cow<'_, str> {
        match self {
            Self::Url => url_encode(value),
        }
    }
}

impl std::str::FromStr for EncodingType {
    type Err = InvalidEncodingType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl std::fmt::Display for EncodingType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Encodes `value` as S3 does for `encoding-type=url` (see the module docs).
///
/// ```
/// use s4_s3_xml::url_encode;
/// assert_eq!(url_encode("photos/a b+c&d%é"), "photos/a%20b%2Bc%26d%25%C3%A9");
/// assert_eq!(url_encode("plain/key-1.txt"), "plain/key-1.txt");
/// ```
pub fn url_encode(value: &str) -> Cow<'_, str> {
    if value.bytes().all(is_kept) {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len() + value.len() / 2);
    url_encode_into(&mut out, value);
    // Only ASCII was written.
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// Decodes like Python's `urllib.parse.unquote_plus`: `+` is a space, then `%XX` sequences
/// are bytes. Returns `None` when the bytes are not UTF-8. Malformed `%` sequences are kept
/// literally, as `unquote_plus` does.
pub fn url_decode_plus(value: &str) -> Option<String> {
    let spaced = value.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_aws() {
        let cases = [
            ("a b", "a%20b"),
            ("  ", "%20%20"),
            ("a+b", "a%2Bb"),
            ("a%2Bb", "a%252Bb"),
            ("(test)+", "%28test%29%2B"),
            ("x&y=z?w#v", "x%26y%3Dz%3Fw%23v"),
            ("~*@;\"", "~%2A%40%3B%22"),
            ("dir/sub/", "dir/sub/"),
            ("é", "%C3%A9"),
            ("😀", "%F0%9F%98%80"),
            ("\u{1}\t\n\r", "%01%09%0A%0D"),
            ("AZaz09-._~", "AZaz09-._~"),
            ("", ""),
            ("%25", "%2525"),
            ("\u{1}ab", "%01ab"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(url_encode(raw), encoded, "encoding {raw:?}");
        }
    }

    #[test]
    fn agrees_with_the_percent_encoding_crate() {
        use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
        const SET: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~')
            .remove(b'/');
        let all: String = (0u32..0x250)
            .chain([0x20ac, 0xfffd, 0x1f600])
            .filter_map(char::from_u32)
            .collect();
        let reference = utf8_percent_encode(&all, SET).to_string();
        assert_eq!(url_encode(&all), reference);
    }

    #[test]
    fn unquote_plus_round_trips() {
        let all = " + & % ~ * @ ? = é 😀 \" / ; \u{1} \u{7f} \r\n <>'#[]{}|\\^`";
        for value in [all, "a", "", "a+b c", "%41", "100%", "++", "/"] {
            let encoded = url_encode(value);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)),
                "{encoded}"
            );
            assert_eq!(url_decode_plus(&encoded).as_deref(), Some(value));
        }
        // Every single character in the ASCII range and a few beyond.
        for c in (0u32..0x80)
            .chain([0xe9, 0x20ac, 0x1f600])
            .filter_map(char::from_u32)
        {
            let s = c.to_string();
            assert_eq!(
                url_decode_plus(&url_encode(&s)).as_deref(),
                Some(s.as_str())
            );
        }
    }

    #[test]
    fn decode_plus_matches_python() {
        assert_eq!(url_decode_plus("a+b%2Bc").as_deref(), Some("a b+c"));
        assert_eq!(url_decode_plus("100%").as_deref(), Some("100%"));
        assert_eq!(url_decode_plus("%zz").as_deref(), Some("%zz"));
        assert_eq!(url_decode_plus("%FF"), None);
    }

    #[test]
    fn only_url_is_a_valid_encoding_type() {
        assert_eq!(EncodingType::parse("url"), Ok(EncodingType::Url));
        assert_eq!("url".parse::<EncodingType>(), Ok(EncodingType::Url));
        assert_eq!(EncodingType::from_query(None), Ok(None));
        assert_eq!(
            EncodingType::from_query(Some("url")),
            Ok(Some(EncodingType::Url))
        );
        for bad in ["", "URL", "Url", "base64", "url ", "jkldfsf"] {
            let err = EncodingType::parse(bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert_eq!(err.code(), "InvalidArgument");
            assert_eq!(
                err.message(),
                "Invalid Encoding Method specified in Request"
            );
            let doc = err.to_error_document();
            assert_eq!(
                doc.extra,
                vec![
                    ("ArgumentName".to_owned(), "encoding-type".to_owned()),
                    ("ArgumentValue".to_owned(), bad.to_owned())
                ]
            );
        }
        assert_eq!(EncodingType::Url.to_string(), "url");
    }
}
