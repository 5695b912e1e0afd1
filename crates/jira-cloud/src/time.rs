//! Jira's timestamps (`2025-03-04T17:01:51.123+0000`) to epoch milliseconds and back.
//!
//! Written by hand (no calendar crate): proleptic Gregorian, UTC offsets only.

/// Parses a Jira timestamp to epoch milliseconds.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HHMM|±HH:MM|±HH]`; no offset means UTC.
/// Returns `None` for anything else.
///
/// ```
/// assert_eq!(jira_cloud::parse_jira_time("1970-01-01T00:00:01.500+0000"), Some(1500));
/// assert_eq!(jira_cloud::parse_jira_time("2025-03-04T17:01:51.123+0000"), Some(1741107711123));
/// assert_eq!(jira_cloud::parse_jira_time("yesterday"), None);
/// ```
pub fn parse_jira_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis: i64 = 0;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // First three digits are milliseconds; further digits are truncated.
        let mut ms = 0i64;
        for i in 0..3 {
            ms = ms * 10
                + frac
                    .get(i)
                    .filter(|_| i < n)
                    .map_or(0, |c| i64::from(c - b'0'));
        }
        millis = ms;
        rest = &frac[n..];
    }
    let offset_minutes: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

/// Formats epoch milliseconds as RFC 3339 in UTC with milliseconds:
/// `2025-03-04T17:01:51.123Z` (what `auditing/record`'s `from`/`to` take).
///
/// ```
/// assert_eq!(jira_cloud::format_epoch_ms(1741107711123), "2025-03-04T17:01:51.123Z");
/// ```
pub fn format_epoch_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jira_formats() {
        let base = 1_741_107_711_123;
        assert_eq!(parse_jira_time("2025-03-04T17:01:51.123+0000"), Some(base));
        assert_eq!(parse_jira_time("2025-03-04T17:01:51.123Z"), Some(base));
        assert_eq!(parse_jira_time("2025-03-04T17:01:51.123+00:00"), Some(base));
        assert_eq!(parse_jira_time("2025-03-04T18:01:51.123+0100"), Some(base));
        assert_eq!(parse_jira_time("2025-03-04T12:01:51.123-05:00"), Some(base));
        assert_eq!(
            parse_jira_time("2025-03-04T17:01:51+0000"),
            Some(base - 123)
        );
        assert_eq!(
            parse_jira_time("2025-03-04T17:01:51.1+0000"),
            Some(base - 23)
        );
        assert_eq!(
            parse_jira_time("2025-03-04T17:01:51.123456+0000"),
            Some(base)
        );
        assert_eq!(parse_jira_time("2025-03-04T17:01:51"), Some(base - 123));
        assert_eq!(parse_jira_time("1969-12-31T23:59:59.000Z"), Some(-1000));
        assert_eq!(
            parse_jira_time("2024-02-29T00:00:00.000Z"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2025-03-04",
            "2025-13-04T17:01:51.123+0000",
            "2025-02-30T17:01:51.123+0000",
            "2023-02-29T00:00:00Z",
            "2025-03-04T17:01:51.+0000",
            "2025-03-04T17:01:51.123+00",
            "2025-03-04T17:01:51.123+0000x",
            "2025-03-04T25:01:51Z",
            "２０２５-03-04T17:01:51Z",
        ] {
            // "+00" is accepted as a two-digit offset; everything else must fail.
            if s.ends_with("+00") {
                assert!(parse_jira_time(s).is_some(), "{s}");
            } else {
                assert_eq!(parse_jira_time(s), None, "{s}");
            }
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [
            0,
            1,
            999,
            1_741_107_711_123,
            -1,
            -86_400_001,
            4_102_444_800_000,
        ] {
            assert_eq!(parse_jira_time(&format_epoch_ms(ms)), Some(ms), "{ms}");
        }
    }
}
