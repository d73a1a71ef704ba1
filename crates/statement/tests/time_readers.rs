//! Every time a submission may carry reads as the same instant in other
//! standard readers: Python's `datetime.fromisoformat` and JavaScript's
//! `Date.parse`, run here on each case, and Go's `time.RFC3339`, whose
//! documented grammar (Go's `time` package: `2006-01-02T15:04:05Z07:00`,
//! with an optional fraction after the seconds when parsing) is written out
//! below, Go not being installed on these machines.
//!
//! The cases are the edges of the form (years 0001 and 9999, leap days, the
//! last millisecond of a day) and a spread of instants from a fixed-seed
//! generator. Each is written by [`format_ms`], read by
//! [`parse_canonical_us`], and must be read back as the same millisecond.

use std::io::Write;
use std::process::{Command, Stdio};

use corridor_statement::timefmt::{format_ms, parse_canonical_us};

/// Milliseconds from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z.
const FIRST_MS: i64 = -62_135_596_800_000;
const LAST_MS: i64 = 253_402_300_799_999;

fn cases() -> Vec<i64> {
    let mut out = vec![FIRST_MS, LAST_MS, 0, -1, 951_782_399_999, 951_782_400_000, 1_795_341_600_123];
    // SplitMix64, fixed seed: the same spread on every run.
    let mut x: u64 = 0x2026_1129;
    for _ in 0..2_000 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let span = (LAST_MS - FIRST_MS + 1) as u64;
        out.push(FIRST_MS + (z % span) as i64);
    }
    out
}

/// Runs `program args`, feeding it one time per line, and reads back one
/// millisecond count per line.
fn read_with(program: &str, args: &[&str], texts: &[String]) -> Vec<i64> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} must be installed to run this test: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(texts.join("\n").as_bytes()).expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("runs");
    assert!(out.status.success(), "{program} failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.trim().parse().expect("a number"))
        .collect()
}

const PYTHON: &str = r#"
import sys
from datetime import datetime, timezone, timedelta
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
for line in sys.stdin.read().split("\n"):
    print((datetime.fromisoformat(line) - epoch) // timedelta(milliseconds=1))
"#;

const NODE: &str = r#"
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
for (const l of lines) console.log(String(Date.parse(l)));
"#;

/// Go's `time.Parse(time.RFC3339, s)`, from its documentation: four-digit
/// year, two-digit month, day, hour, minute and second, each in range, `T`,
/// an optional `.` and digits, then `Z` or `±hh:mm`. Returns milliseconds.
fn go_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (y, mo, d, h, mi, sec) =
        (digits(0..4)?, digits(5..7)?, digits(8..10)?, digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let in_range = (1..=12).contains(&mo)
        && d >= 1
        && d <= month_days[(mo - 1) as usize]
        && h < 24
        && mi < 60
        && sec < 60;
    let rest = &s[19..];
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => r.split_at(r.find(|c: char| !c.is_ascii_digit())?),
        None => ("", rest),
    };
    if !in_range || zone != "Z" || (rest.starts_with('.') && frac.is_empty()) {
        return None;
    }
    let ms = frac.chars().chain("000".chars()).take(3).collect::<String>().parse::<i64>().ok()?;
    // Days from the civil date (H. Hinnant's algorithm), then milliseconds.
    let (yy, m) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1_000 + ms)
}

#[test]
fn every_accepted_time_reads_the_same_in_python_javascript_and_go() {
    let cases = cases();
    let texts: Vec<String> = cases.iter().map(|ms| format_ms(ms * 1_000)).collect();
    for (ms, text) in cases.iter().zip(&texts) {
        assert_eq!(parse_canonical_us(text), Some(ms * 1_000), "{text}");
        assert_eq!(go_rfc3339_ms(text), Some(*ms), "Go's grammar: {text}");
    }
    let python = read_with("python3", &["-c", PYTHON], &texts);
    let node = read_with("node", &["-e", NODE], &texts);
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(python[i], cases[i], "Python: {text}");
        assert_eq!(node[i], cases[i], "JavaScript: {text}");
    }
}

#[test]
fn the_go_grammar_here_is_the_documented_one() {
    assert_eq!(go_rfc3339_ms("1970-01-01T00:00:01Z"), Some(1_000));
    assert_eq!(go_rfc3339_ms("1970-01-01T00:00:00.5Z"), Some(500));
    for refused in
        ["1970-01-01t00:00:00Z", "1970-01-01 00:00:00Z", "1970-02-30T00:00:00Z", "1970-01-01T24:00:00Z"]
    {
        assert_eq!(go_rfc3339_ms(refused), None, "{refused}");
    }
}
