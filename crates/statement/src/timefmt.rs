//! Times on the wire are RFC 3339 in UTC (`Z`); inside they are microseconds since
//! the Unix epoch, the resolution of the brief's time windows.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an RFC 3339 UTC time (`...Z`) to microseconds; finer digits are refused
/// rather than rounded, so that every accepted time round-trips.
pub fn parse_utc_us(text: &str) -> Option<i64> {
    if !text.ends_with('Z') || text.len() > 40 {
        return None;
    }
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let ns = t.unix_timestamp_nanos();
    if ns % 1_000 != 0 {
        return None;
    }
    i64::try_from(ns / 1_000).ok()
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

/// Formats microseconds as RFC 3339 UTC, with fractional digits only when needed.
pub fn format_us(us: i64) -> String {
    let whole = format_ms(us.div_euclid(1_000_000) * 1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let base = &whole[..19];
    if frac == 0 {
        format!("{base}Z")
    } else if frac % 1_000 == 0 {
        format!("{base}.{:03}Z", frac / 1_000)
    } else {
        format!("{base}.{frac:06}Z")
    }
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
        assert_eq!(format_us(parse_utc_us("1970-01-01T00:00:00Z").expect("valid")), "1970-01-01T00:00:00Z");
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

    #[test]
    fn refuses_offsets_and_nanoseconds() {
        for bad in ["2026-11-22T10:00:00+01:00", "2026-11-22T10:00:00.123456789Z", "2026-11-22", "x"] {
            assert_eq!(parse_utc_us(bad), None, "{bad}");
        }
    }
}
