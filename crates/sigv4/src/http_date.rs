//! The HTTP `Date` header in every form clients send.
//!
//! RFC 7231 section 7.1.1.1 obliges a recipient to accept three forms: the IMF-fixdate
//! (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
//! (`Sunday, 06-Nov-94 08:49:37 GMT`) and C's asctime (`Sun Nov  6 08:49:37 1994`). Python's
//! `email.utils.formatdate`, which botocore and boto use, writes the RFC 2822 form with a
//! numeric zone instead of `GMT` (`Sun, 06 Nov 1994 08:49:37 -0000`); RFC 2822 also lets the
//! weekday and the seconds be left out. All of these parse; the weekday, when present, is not
//! checked against the date (RFC 7231 does not ask it to be, and a wrong one misleads no one).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses a `Date` header (see the module docs); `None` when it is in none of the forms.
///
/// ```
/// use s4_sigv4::parse_http_date;
/// use time::macros::datetime;
///
/// let t = datetime!(2013-05-24 00:00:00 UTC);
/// for form in [
///     "Fri, 24 May 2013 00:00:00 GMT",
///     "Fri, 24 May 2013 00:00:00 -0000",
///     "Fri, 24 May 2013 00:00:00 +0000",
///     "Fri, 24 May 2013 02:00:00 +0200",
///     "Friday, 24-May-13 00:00:00 GMT",
///     "Fri May 24 00:00:00 2013",
/// ] {
///     assert_eq!(parse_http_date(form), Some(t), "{form}");
/// }
/// assert_eq!(parse_http_date("yesterday"), None);
/// ```
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let tokens: Vec<&str> = match value.split_once(',') {
        // A weekday and a comma: IMF-fixdate, RFC 2822 or RFC 850.
        Some((weekday, rest)) if is_weekday(weekday.trim()) => rest.split_whitespace().collect(),
        Some(_) => return None,
        None => value.split_whitespace().collect(),
    };
    match tokens.as_slice() {
        // `Fri May 24 00:00:00 2013`: asctime, always in UTC.
        [weekday, month, day, time, year] if is_weekday(weekday) => {
            build(day, month, year, time, "GMT")
        }
        // `24 May 2013 00:00:00 GMT`: IMF-fixdate and RFC 2822 (with or without a weekday).
        [day, month, year, time, zone] => build(day, month, year, time, zone),
        // `24-May-13 00:00:00 GMT`: RFC 850.
        [date, time, zone] => {
            let mut parts = date.split('-');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(day), Some(month), Some(year), None) => build(day, month, year, time, zone),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_weekday(name: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let name = name.to_ascii_lowercase();
    DAYS.iter()
        .any(|day| name == *day || (name.len() == 3 && day.starts_with(name.as_str())))
}

fn build(day: &str, month: &str, year: &str, time: &str, zone: &str) -> Option<OffsetDateTime> {
    let date =
        Date::from_calendar_date(parse_year(year)?, parse_month(month)?, number(day, 2)?).ok()?;
    let mut fields = time.split(':');
    let hour = number(fields.next()?, 2)?;
    let minute = number(fields.next()?, 2)?;
    let second = fields.next().map_or(Some(0), |s| number(s, 2))?;
    if fields.next().is_some() {
        return None;
    }
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(parse_zone(zone)?))
}

/// 1 to `max` ASCII digits.
fn number(s: &str, max: usize) -> Option<u8> {
    let ok = !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

/// Four digits, or two as RFC 2822 reads them (00-49: 2000s, 50-99: 1900s).
fn parse_year(s: &str) -> Option<i32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = s.parse().ok()?;
    match s.len() {
        4 => Some(n),
        2 if n < 50 => Some(2000 + n),
        2 => Some(1900 + n),
        _ => None,
    }
}

fn parse_month(s: &str) -> Option<Month> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(s))?;
    Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

/// `GMT`, `UT`, `UTC`, `Z` or `±HHMM` (`-0000` is UTC with an unknown local zone).
fn parse_zone(s: &str) -> Option<UtcOffset> {
    if ["GMT", "UT", "UTC", "Z"]
        .iter()
        .any(|name| name.eq_ignore_ascii_case(s))
    {
        return Some(UtcOffset::UTC);
    }
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1i8, &s[1..]),
        b'-' => (-1i8, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 {
        return None;
    }
    let hours = i8::try_from(number(&digits[..2], 2)?).ok()?;
    let minutes = i8::try_from(number(&digits[2..], 2)?).ok()?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_form_botocore_and_rfc_7231_use() {
        let t = datetime!(1994-11-06 08:49:37 UTC);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 -0000",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 6 Nov 1994 08:49:37 UTC",
            "06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 03:49:37 -0500",
            "Sun, 06 Nov 1994 14:19:37 +0530",
            "  sun, 06 nov 1994 08:49:37 gmt  ",
        ] {
            assert_eq!(parse_http_date(form), Some(t), "{form:?}");
        }
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49 GMT"),
            Some(datetime!(1994-11-06 08:49:00 UTC))
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "",
            "yesterday",
            "20130524T000000Z",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 EST",
            "Sun, 06 Nov 1994 08:49:37 +05",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 994 08:49:37 GMT",
            "Someday, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Nov  6 08:49:37 1994",
            "Sun, 006 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }
}
