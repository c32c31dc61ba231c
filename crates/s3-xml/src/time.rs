//! Timestamps as S3 writes them: ISO 8601 in UTC with milliseconds, `2022-01-28T11:44:13.000Z`.
//!
//! One formatter serves every document ([`write_timestamp`] appends to a buffer without
//! allocating; [`format_timestamp`] returns a `String`). Sub-millisecond digits are truncated,
//! not rounded, so a written time is never later than the stored one (`aws s3 sync` compares
//! LastModified with upload times). Any offset is converted to UTC first.
//!
//! [`parse_timestamp`] reads what the formatter writes (and any RFC 3339 time), for tests and
//! for clients.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Length of a formatted timestamp for years 0 to 9999: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub const TIMESTAMP_LEN: usize = 24;

/// Appends `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) to `out`.
///
/// Years outside 0..=9999 (possible only with dates that S3 never produces) are written with
/// a leading `-` or more digits, as ISO 8601's expanded form would.
pub fn write_timestamp(out: &mut Vec<u8>, t: OffsetDateTime) {
    let t = t.to_offset(UtcOffset::UTC);
    let (year, month, day) = t.to_calendar_date();
    let (hour, minute, second, milli) = t.to_hms_milli();
    if (0..=9999).contains(&year) {
        push_digits(out, year.unsigned_abs(), 4);
    } else {
        if year < 0 {
            out.push(b'-');
        }
        let digits = year.unsigned_abs().to_string();
        for _ in digits.len()..4 {
            out.push(b'0');
        }
        out.extend_from_slice(digits.as_bytes());
    }
    out.push(b'-');
    push_digits(out, u32::from(u8::from(month)), 2);
    out.push(b'-');
    push_digits(out, u32::from(day), 2);
    out.push(b'T');
    push_digits(out, u32::from(hour), 2);
    out.push(b':');
    push_digits(out, u32::from(minute), 2);
    out.push(b':');
    push_digits(out, u32::from(second), 2);
    out.push(b'.');
    push_digits(out, u32::from(milli), 3);
    out.push(b'Z');
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
///
/// ```
/// use time::macros::datetime;
/// assert_eq!(
///     s4_s3_xml::format_timestamp(datetime!(2022-01-28 11:44:13.123456 UTC)),
///     "2022-01-28T11:44:13.123Z"
/// );
/// ```
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let mut out = Vec::with_capacity(TIMESTAMP_LEN);
    write_timestamp(&mut out, t);
    // Only ASCII digits and punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp (what [`format_timestamp`] writes, with or without the
/// milliseconds) into a UTC `OffsetDateTime`.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(s, &Rfc3339).map(|t| t.to_offset(UtcOffset::UTC))
}

fn push_digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(
            format_timestamp(datetime!(2022-01-28 11:44:13 UTC)),
            "2022-01-28T11:44:13.000Z"
        );
        assert_eq!(
            format_timestamp(datetime!(2022-01-28 12:44:13.9999 +01:00)),
            "2022-01-28T11:44:13.999Z"
        );
        assert_eq!(
            format_timestamp(datetime!(0001-01-01 00:00:00.007 UTC)),
            "0001-01-01T00:00:00.007Z"
        );
        assert_eq!(
            format_timestamp(datetime!(9999-12-31 23:59:59.999999999 UTC)),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            format_timestamp(datetime!(-0044-03-15 12:00:00 UTC)),
            "-0044-03-15T12:00:00.000Z"
        );
        assert_eq!(
            format_timestamp(OffsetDateTime::UNIX_EPOCH).len(),
            TIMESTAMP_LEN
        );
    }

    #[test]
    fn parses_what_it_formats_and_the_spec_sample() {
        let t = datetime!(2013-01-10 21:45:09.123 UTC);
        assert_eq!(parse_timestamp(&format_timestamp(t)).unwrap(), t);
        assert_eq!(
            parse_timestamp("2022-01-28T11:44:13Z").unwrap(),
            datetime!(2022-01-28 11:44:13 UTC)
        );
        assert_eq!(
            parse_timestamp("2022-01-28T12:44:13.5+01:00").unwrap(),
            datetime!(2022-01-28 11:44:13.5 UTC)
        );
        assert!(parse_timestamp("2022-01-28 11:44:13").is_err());
        assert!(parse_timestamp("").is_err());
    }
}
