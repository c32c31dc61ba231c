//! The service's own header parsers, exposed for the `range_header` and `conditional_headers`
//! cargo-fuzz targets, with the oracles they check. The crate's tests replay
//! `fuzz/corpus/range_header/` and `fuzz/corpus/conditional_headers/` through the same checks.

use http::{HeaderMap, HeaderName, HeaderValue};
use s4_storage::{ByteRange, ETag, ReadConditions};
use time::OffsetDateTime;

use crate::response::{http_date, parse_http_date};

/// The `Range` header as GetObject and HeadObject read it: one `bytes=` range, else `None`
/// (the whole object is served).
pub fn parse_range_header(value: &str) -> Option<ByteRange> {
    crate::input::parse_range(value)
}

/// The four read conditions (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`) of a request, or with `copy_source` their `x-amz-copy-source-`
/// forms.
pub fn parse_read_conditions(headers: &HeaderMap, copy_source: bool) -> ReadConditions {
    crate::input::read_conditions(headers, copy_source)
}

/// The `range_header` oracle: never panics; a parsed range is printed back to the same range;
/// resolved against any size it is non-empty, inside the object and no longer than asked.
pub fn check_range(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some(range) = parse_range_header(&text) else {
        return;
    };
    let printed = match range {
        ByteRange::Inclusive { first, last } => {
            assert!(first <= last, "{text:?} parsed to an inverted range");
            format!("bytes={first}-{last}")
        }
        ByteRange::From { first } => format!("bytes={first}-"),
        ByteRange::Suffix { len } => format!("bytes=-{len}"),
    };
    assert_eq!(parse_range_header(&printed), Some(range), "{text:?}");
    let sizes = [0, 1, 2, 10, 1 << 20, 5 << 30, u64::MAX];
    for size in sizes {
        if let Some(resolved) = range.resolve(size) {
            assert!(resolved.start < resolved.end, "{text:?} in {size}: empty");
            assert!(resolved.end <= size, "{text:?} in {size}: past the end");
            let asked = match range {
                ByteRange::Inclusive { first, last } => (last - first).saturating_add(1),
                ByteRange::From { first } => size - first,
                ByteRange::Suffix { len } => len,
            };
            assert!(resolved.end - resolved.start <= asked.max(1), "{text:?}");
        }
    }
}

/// The `conditional_headers` oracle: the input is up to four lines, the values of
/// `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since` (with the
/// copy-source prefix when the first byte is odd). Parsing and evaluation never panic; a
/// parsed date prints and parses back to itself; an `If-Match` naming the ETag itself, or
/// `*`, never fails the request.
pub fn check_conditions(data: &[u8]) {
    let copy = data.first().is_some_and(|b| b & 1 == 1);
    let prefix = if copy { "x-amz-copy-source-" } else { "" };
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    let mut headers = HeaderMap::new();
    let names = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
    ];
    for (name, value) in names.iter().zip(text.split('\n')) {
        let name = HeaderName::from_bytes(format!("{prefix}{name}").as_bytes())
            .expect("a valid header name");
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    let conditions = parse_read_conditions(&headers, copy);
    for date in [conditions.if_modified_since, conditions.if_unmodified_since]
        .into_iter()
        .flatten()
    {
        assert_eq!(parse_http_date(&http_date(date)), Some(date), "{text:?}");
    }
    let etag = ETag::from_md5(&[0xab; 16]);
    let modified = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("a valid time");
    let outcome = conditions.evaluate(&etag, modified);
    // Evaluation is deterministic.
    assert_eq!(conditions.evaluate(&etag, modified), outcome);
    if conditions.if_none_match.is_none() && conditions.if_modified_since.is_none() {
        let confirmed = ReadConditions {
            if_match: Some(etag.quoted()),
            ..conditions.clone()
        };
        assert_eq!(confirmed.evaluate(&etag, modified), Ok(()), "{text:?}");
        let any = ReadConditions {
            if_match: Some("*".to_owned()),
            ..conditions
        };
        assert_eq!(any.evaluate(&etag, modified), Ok(()), "{text:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn replay(target: &str, check: fn(&[u8])) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("the seed corpus exists") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                check(&std::fs::read(&path).expect("seed"));
                count += 1;
            }
        }
        assert!(count >= 10, "expected the committed seeds, found {count}");
    }

    #[test]
    fn replay_range_header_corpus() {
        replay("range_header", check_range);
    }

    #[test]
    fn replay_conditional_headers_corpus() {
        replay("conditional_headers", check_conditions);
    }

    #[test]
    fn the_parsers_themselves() {
        assert_eq!(
            parse_range_header("bytes=0-9"),
            Some(ByteRange::Inclusive { first: 0, last: 9 })
        );
        assert_eq!(
            parse_range_header("bytes=-5"),
            Some(ByteRange::Suffix { len: 5 })
        );
        assert_eq!(parse_range_header("bytes=0-1,3-4"), None);
        assert_eq!(parse_range_header("bytes=9-0"), None);
        assert_eq!(parse_range_header("items=0-1"), None);
        assert_eq!(parse_range_header("bytes=18446744073709551616-"), None);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-copy-source-if-modified-since",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        headers.insert("if-match", HeaderValue::from_static("\"x\""));
        let copy = parse_read_conditions(&headers, true);
        assert!(copy.if_modified_since.is_some() && copy.if_match.is_none());
        let plain = parse_read_conditions(&headers, false);
        assert_eq!(plain.if_match.as_deref(), Some("\"x\""));
        assert!(plain.if_modified_since.is_none());
    }
}
