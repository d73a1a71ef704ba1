//! Times on the wire are RFC 3339 in UTC (`Z`); inside they are microseconds since
//! the Unix epoch, the resolution of the brief's time windows.
//!
//! A submission spells every time in one form, [`parse_canonical_us`]:
//! `YYYY-MM-DDTHH:MM:SS.sssZ`, exactly as a log entry's `sequenced_at` and
//! JavaScript's `Date.prototype.toISOString` write it (upper-case `T` and `Z`,
//! exactly three fractional digits, years 0001 to 9999, no leap second), so
//! each instant has one spelling, at the millisecond. Go's `time.RFC3339`,
//! JavaScript's `Date.parse` and Python's `datetime.fromisoformat` all read
//! that form, as the same instant; a test runs the last two on every case.
//! Times already in the log are read as they were accepted ([`parse_utc_us`]).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an RFC 3339 UTC time (`...Z`) to microseconds; finer digits are refused
/// rather than rounded, so that every accepted time round-trips.
pub fn parse_utc_us(text: &str) -> Option<i64> {
    if !text.ends_with('Z') || text.len() > 40 {
        return None;
    }
    if let Some(us) = parse_plain_utc_us(text.as_bytes()) {
        return Some(us);
    }
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let ns = t.unix_timestamp_nanos();
    if ns % 1_000 != 0 {
        return None;
    }
    i64::try_from(ns / 1_000).ok()
}

/// Whether `text` is an RFC 3339 date-time in any offset or letter case.
pub fn is_rfc3339(text: &str) -> bool {
    text.len() <= 40 && OffsetDateTime::parse(text, &Rfc3339).is_ok()
}

/// Parses a time in the one form a submission may use (see the module docs);
/// `None` for any other spelling.
pub fn parse_canonical_us(text: &str) -> Option<i64> {
    let t = text.as_bytes();
    let shaped = t.len() == 24 && t[19] == b'.' && t[23] == b'Z';
    let year_from_one = t.get(..4).is_some_and(|y| y != b"0000");
    if !shaped || !year_from_one {
        return None;
    }
    parse_plain_utc_us(t)
}

/// The common form, `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` with an ordinary date and
/// time, read directly (every statement and entry carries two times, and the
/// general parser was a tenth of replay). Anything else (another separator, a
/// leap second, an out-of-range field) is `None` and goes to the `time` crate,
/// so the result is always the general parser's (a property test holds it to that).
fn parse_plain_utc_us(t: &[u8]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        t.get(range)?.iter().try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
    };
    let fixed = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if t.len() < 20 || fixed.iter().any(|&(i, c)| t[i] != c) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= month_days[(month as usize).saturating_sub(1).min(11)]
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let nanos = match &t[19..] {
        [b'Z'] => 0,
        [b'.', frac @ .., b'Z'] if (1..=9).contains(&frac.len()) => {
            let n = digits(20..20 + frac.len())?;
            n * 10i64.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    if nanos % 1_000 != 0 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(seconds * 1_000_000 + nanos / 1_000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms", `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats microseconds as RFC 3339 UTC with exactly three fractional digits
/// (the `sequenced_at` form). Sub-millisecond digits are dropped.
pub fn format_ms(us: i64) -> String {
    let mut out = [0u8; 24];
    write_ms(us, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes) into `out`, without the
/// formatting machinery: every entry's bytes hold one, and replay checks it.
/// Years outside 0..=9999 (not representable in this form) are clamped to it.
pub fn write_ms(us: i64, out: &mut [u8; 24]) {
    let ms = us.div_euclid(1_000);
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, t.year().clamp(0, 9999) as u32);
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    put(20, 3, u32::from(t.millisecond()));
    for (i, c) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (23, b'Z')] {
        out[i] = c;
    }
}

/// Formats microseconds as RFC 3339 UTC: the one form of a submission
/// ([`format_ms`]) for a whole millisecond, six fractional digits for the
/// finer times that logs before the one form may hold.
pub fn format_us(us: i64) -> String {
    let frac = us.rem_euclid(1_000_000);
    if frac % 1_000 == 0 {
        return format_ms(us);
    }
    let whole = format_ms(us);
    format!("{}.{frac:06}Z", &whole[..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let us = parse_utc_us("2026-11-22T10:00:00.123Z").expect("valid");
        assert_eq!(us, 1_795_341_600_123_000);
        assert_eq!(format_ms(us), "2026-11-22T10:00:00.123Z");
        assert_eq!(format_us(us), "2026-11-22T10:00:00.123Z");
        assert_eq!(format_us(us + 4), "2026-11-22T10:00:00.123004Z");
        assert_eq!(
            format_us(parse_utc_us("1970-01-01T00:00:00Z").expect("valid")),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn the_millisecond_form_agrees_with_the_time_crate() {
        use time::format_description::well_known::Rfc3339;
        for us in
            [0, 1_795_341_600_123_456, 253_402_300_799_999_000, 951_782_400_000_000, 4_107_542_400_000_000]
        {
            let ms = us / 1_000 * 1_000;
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000).expect("in range");
            let theirs = t.format(&Rfc3339).expect("formats");
            // time writes fractions only as long as needed; ours always three digits.
            assert_eq!(parse_utc_us(&format_ms(us)), parse_utc_us(&theirs), "{us}");
            assert_eq!(format_ms(us).len(), 24, "{us}");
        }
    }

    fn general(text: &str) -> Option<i64> {
        let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        let ns = t.unix_timestamp_nanos();
        (ns % 1_000 == 0).then(|| i64::try_from(ns / 1_000).ok()).flatten()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4_096))]

        /// The direct reading gives the `time` crate's answer whenever it answers.
        #[test]
        fn the_direct_reading_agrees_with_the_time_crate(
            year in 0u32..10_000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62,
            second in 0u32..62, frac in proptest::option::of("[0-9]{1,10}"),
        ) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}Z");
            if let Some(us) = parse_plain_utc_us(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(us), general(&text), "{}", text);
            }
            proptest::prop_assert_eq!(parse_utc_us(&text), general(&text), "{}", text);
        }
    }

    #[test]
    fn one_form_for_submissions() {
        for ok in [
            "2026-11-22T10:00:00.000Z",
            "2026-11-22T10:00:00.123Z",
            "2024-02-29T23:59:59.999Z",
            "0001-01-01T00:00:00.000Z",
        ] {
            assert_eq!(parse_canonical_us(ok), parse_utc_us(ok), "{ok}");
            assert!(parse_canonical_us(ok).is_some(), "{ok}");
        }
        for bad in [
            "2026-11-22t10:00:00Z",
            "2026-11-22 10:00:00Z",
            "2026-11-22X10:00:00Z",
            "2026-11-22_10:00:00Z",
            "2026-11-22\t10:00:00Z",
            "2026-11-22T10:00:00z",
            "2026-11-22T10:00:00+00:00",
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00.1Z",
            "2026-11-22T10:00:00.123456Z",
            "2026-11-22T10:00:60.000Z",
            "0000-01-01T00:00:00.000Z",
            "2026-02-30T10:00:00.000Z",
            "+2026-11-22T10:00:00Z",
        ] {
            assert_eq!(parse_canonical_us(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_direct_reading_covers_the_common_forms() {
        for t in [
            "2026-11-22T10:00:00Z",
            "2024-02-29T23:59:59.123456Z",
            "1970-01-01T00:00:00.1Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(parse_plain_utc_us(t.as_bytes()).is_some(), "{t}");
            assert_eq!(parse_plain_utc_us(t.as_bytes()), general(t), "{t}");
        }
    }

    #[test]
    fn refuses_offsets_and_nanoseconds() {
        for bad in ["2026-11-22T10:00:00+01:00", "2026-11-22T10:00:00.123456789Z", "2026-11-22", "x"] {
            assert_eq!(parse_utc_us(bad), None, "{bad}");
        }
    }
}
