//! Percent-encoding rules of the canonical request: URI path, query string and header values.

use percent_encoding::percent_decode;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `input` encoded per RFC 3986 (unreserved kept, everything else `%XX` upper case).
/// `keep_slash` keeps `/` as is, the rule for URI paths.
pub(crate) fn uri_encode_into(out: &mut String, input: &[u8], keep_slash: bool) {
    for &b in input {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[(b >> 4) as usize] as char);
            out.push(HEX_UPPER[(b & 0xF) as usize] as char);
        }
    }
}

pub(crate) fn uri_encode(input: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    uri_encode_into(&mut out, input, keep_slash);
    out
}

/// The canonical URI of a raw request path.
///
/// S3 signs the key itself, so whatever escaping the client chose on the wire (`%2B` or `+`,
/// `%7E` or `~`) the canonical form is the one encoding of the decoded bytes; decoding once
/// and re-encoding is what makes those spellings agree. Other services sign the path as sent,
/// encoded once more ("double encoding"). Neither normalises dot segments: S3 keys may
/// contain them, and IAM's path is always `/`.
pub(crate) fn canonical_uri(raw_path: &str, s3: bool) -> String {
    let raw = if raw_path.is_empty() { "/" } else { raw_path };
    if s3 {
        let decoded: Vec<u8> = percent_decode(raw.as_bytes()).collect();
        uri_encode(&decoded, true)
    } else {
        uri_encode(raw.as_bytes(), true)
    }
}

/// Decodes one name or value of a raw query string as AWS does: `+` is a space, then `%XX`
/// sequences are bytes (malformed ones are kept literally). The one query decoding of S4:
/// the signature check ([`canonical_query`]) and request handling read every parameter
/// through it, so that `a+b` means `a b` in both, `a%2Bb` means `a+b` in both, and the two
/// spellings sign differently (`a%20b` and `a%2Bb` in the canonical request).
///
/// ```
/// assert_eq!(s4_sigv4::decode_query_component("a+b%2Bc"), b"a b+c");
/// assert_eq!(s4_sigv4::decode_query_component("100%"), b"100%");
/// ```
pub fn decode_query_component(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    if !bytes.contains(&b'+') {
        return percent_decode(bytes).collect();
    }
    let spaced: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// Splits a raw query string into decoded `(name, value)` pairs ([`decode_query_component`]),
/// in order, empty pieces skipped, a piece without `=` having an empty value.
pub fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_query_component(name), decode_query_component(value))
        })
}

/// The canonical query string of a raw query, leaving out `exclude` (the presigned signature).
///
/// Each name and value is decoded ([`decode_query_component`]) and re-encoded so that any
/// client spelling of the same parameter canonicalises alike; pairs sort by encoded name,
/// then encoded value.
pub(crate) fn canonical_query(raw_query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in query_pairs(raw_query) {
        if exclude.is_some_and(|e| e.as_bytes() == name.as_slice()) {
            continue;
        }
        pairs.push((uri_encode(&name, false), uri_encode(&value, false)));
    }
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Appends a header value trimmed, with every run of spaces and tabs collapsed to one space.
/// Non-UTF-8 bytes become U+FFFD: the canonical request is kept as text for the error body,
/// and no SDK signs such values.
pub(crate) fn push_header_value(out: &mut String, value: &[u8]) {
    let trimmed = value.trim_ascii();
    let text = String::from_utf8_lossy(trimmed);
    let mut in_space = false;
    for c in text.chars() {
        if c == ' ' || c == '\t' {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uri_decodes_once_then_encodes() {
        assert_eq!(canonical_uri("/a%2Bb/c+d", true), "/a%2Bb/c%2Bd");
        assert_eq!(canonical_uri("/test$file.text", true), "/test%24file.text");
        assert_eq!(canonical_uri("/%7Efoo/~bar", true), "/~foo/~bar");
        assert_eq!(canonical_uri("/a/../b//c", true), "/a/../b//c");
        assert_eq!(canonical_uri("", true), "/");
        assert_eq!(canonical_uri("/%E1%88%B4", true), "/%E1%88%B4");
    }

    #[test]
    fn non_s3_uri_is_double_encoded() {
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D", false),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(canonical_uri("/", false), "/");
    }

    #[test]
    fn query_sorts_and_reencodes() {
        assert_eq!(canonical_query("b=2&a=1&a=0", None), "a=0&a=1&b=2");
        assert_eq!(canonical_query("lifecycle", None), "lifecycle=");
        assert_eq!(canonical_query("k=a%2fb&x=%7e", None), "k=a%2Fb&x=~");
        assert_eq!(
            canonical_query("X-Amz-Signature=ab&a=1", Some("X-Amz-Signature")),
            "a=1"
        );
        assert_eq!(canonical_query("&&a=1&", None), "a=1");
        // `+` is a space, as AWS reads it; only `%2B` is a plus.
        assert_eq!(canonical_query("a=b+c", None), "a=b%20c");
        assert_eq!(canonical_query("a=b%2Bc", None), "a=b%2Bc");
        assert_eq!(canonical_query("a=b%20c", None), "a=b%20c");
    }

    #[test]
    fn header_values_collapse_whitespace() {
        let mut s = String::new();
        push_header_value(&mut s, b"  a   b \t c  ");
        assert_eq!(s, "a b c");
    }
}
