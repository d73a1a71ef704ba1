//! Time expressions, resolved against the publication time into a window
//! `[from, to)` in UTC.
//!
//! | text | window |
//! | --- | --- |
//! | on Wednesday, last Wednesday, Wednesday night | the latest Wednesday on or before publication (a week earlier for "last" when published on a Wednesday), one day |
//! | today, this morning, earlier today | the publication day |
//! | yesterday | the day before publication |
//! | overnight, last night | the day before publication to the end of the publication day |
//! | last week | Monday to Monday of the week before publication's (ISO 8601 weeks) |
//! | this week, earlier this week | the week's Monday to publication |
//! | last month / earlier this month | that calendar month / the month's first day to publication |
//! | in the past 72 hours, over the last three days, in the past two weeks | publication minus that much, to publication |
//! | since 3 March, since March 3, since Monday | that day to publication |
//! | on 3 March, March 3rd, 3 March 2026 | that day (in the publication's year, or the year before when later than publication) |
//!
//! Each resolves to whole UTC days except those counted back from
//! publication, which keep its time.

use std::ops::Range;

use time::{Date, Duration, Month, OffsetDateTime, Weekday};

use crate::number::read_number;
use crate::text::Doc;

/// A resolved window, microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub from_us: i64,
    pub to_us: i64,
}

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

const MONTHS: &[(&str, Month)] = &[
    ("january", Month::January),
    ("february", Month::February),
    ("march", Month::March),
    ("april", Month::April),
    ("may", Month::May),
    ("june", Month::June),
    ("july", Month::July),
    ("august", Month::August),
    ("september", Month::September),
    ("october", Month::October),
    ("november", Month::November),
    ("december", Month::December),
    ("jan", Month::January),
    ("feb", Month::February),
    ("mar", Month::March),
    ("apr", Month::April),
    ("jun", Month::June),
    ("jul", Month::July),
    ("aug", Month::August),
    ("sep", Month::September),
    ("sept", Month::September),
    ("oct", Month::October),
    ("nov", Month::November),
    ("dec", Month::December),
];

fn us_of(d: Date) -> i64 {
    (d.midnight().assume_utc().unix_timestamp()) * 1_000_000
}

fn day(d: Date) -> When {
    When { from_us: us_of(d), to_us: us_of(d.next_day().unwrap_or(d)) }
}

fn monday_of(d: Date) -> Date {
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

fn month_of(w: &str) -> Option<Month> {
    MONTHS.iter().find(|(k, _)| *k == w).map(|&(_, m)| m)
}

fn weekday_of(w: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(k, _)| *k == w).map(|&(_, d)| d)
}

/// The latest `wd` on or before `pub_day`.
fn latest(pub_day: Date, wd: Weekday) -> Date {
    let back = (7 + pub_day.weekday().number_days_from_monday() - wd.number_days_from_monday()) % 7;
    pub_day - Duration::days(i64::from(back))
}

/// A calendar date written "3 March", "March 3rd", "3 March 2026", with the
/// tokens it spans.
fn calendar_date(doc: &Doc<'_>, i: usize, end: usize, pub_day: Date) -> Option<(Date, usize)> {
    let w = |k: usize| -> &str {
        if k < end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let dnum = |s: &str| -> Option<u8> {
        let s = s.trim_end_matches("st").trim_end_matches("nd").trim_end_matches("rd").trim_end_matches("th");
        s.parse::<u8>().ok().filter(|d| (1..=31).contains(d))
    };
    let (d, m, mut j) = if let (Some(d), Some(m)) = (dnum(w(i)), month_of(w(i + 1))) {
        (d, m, i + 2)
    } else if let (Some(m), Some(d)) = (month_of(w(i)), dnum(w(i + 1))) {
        if w(i) == "may" && !doc.capitalized(i) {
            return None;
        }
        (d, m, i + 2)
    } else {
        return None;
    };
    let mut year = pub_day.year();
    if w(j) == "," && w(j + 1).len() == 4 {
        j += 1;
    }
    if let Ok(y) = w(j).parse::<i32>() {
        if (1900..=2100).contains(&y) {
            year = y;
            j += 1;
        }
    } else if Date::from_calendar_date(year, m, d).is_ok_and(|x| x > pub_day) {
        year -= 1;
    }
    Some((Date::from_calendar_date(year, m, d).ok()?, j))
}

/// The first time expression in tokens `range`, with its token span.
pub fn find(doc: &Doc<'_>, range: Range<usize>, published_us: i64) -> Option<(When, Range<usize>)> {
    let published = OffsetDateTime::from_unix_timestamp_nanos(i128::from(published_us) * 1000).ok()?;
    let pub_day = published.date();
    let end = range.end;
    for i in range.clone() {
        if let Some(found) = at(doc, i, end, published_us, pub_day) {
            return Some(found);
        }
    }
    None
}

/// The token spans of every time expression in `range` (figures inside
/// them, "72 hours", are not figures).
pub fn spans(doc: &Doc<'_>, range: Range<usize>) -> Vec<Range<usize>> {
    // Any publication time does: only the spans are wanted.
    const ANY_US: i64 = 1_767_225_600_000_000;
    let Ok(published) = OffsetDateTime::from_unix_timestamp(ANY_US / 1_000_000) else { return Vec::new() };
    let end = range.end;
    let mut out = Vec::new();
    let mut i = range.start;
    while i < end {
        match at(doc, i, end, ANY_US, published.date()) {
            Some((_, r)) => {
                i = r.end.max(i + 1);
                out.push(r);
            }
            None => i += 1,
        }
    }
    out
}

fn at(doc: &Doc<'_>, i: usize, end: usize, published_us: i64, pub_day: Date) -> Option<(When, Range<usize>)> {
    let w = |k: usize| -> &str {
        if k < end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let next_day = pub_day.next_day().unwrap_or(pub_day);
    let upto_pub = |from: Date| When { from_us: us_of(from), to_us: published_us };
    match (w(i), w(i + 1)) {
        ("yesterday", _) => return Some((day(pub_day.previous_day()?), i..i + 1)),
        ("today", _) | ("this", "morning" | "afternoon" | "evening") => {
            return Some((day(pub_day), i..i + 1))
        }
        ("overnight", _) | ("last", "night") => {
            let from = pub_day.previous_day()?;
            return Some((When { from_us: us_of(from), to_us: us_of(next_day) }, i..i + 1));
        }
        ("last", "week") => {
            let m = monday_of(pub_day);
            return Some((When { from_us: us_of(m - Duration::days(7)), to_us: us_of(m) }, i..i + 2));
        }
        ("this", "week") => return Some((upto_pub(monday_of(pub_day)), i..i + 2)),
        ("last", "month") => {
            let first = pub_day.replace_day(1).ok()?;
            let prev = first.previous_day()?.replace_day(1).ok()?;
            return Some((When { from_us: us_of(prev), to_us: us_of(first) }, i..i + 2));
        }
        ("this", "month") => return Some((upto_pub(pub_day.replace_day(1).ok()?), i..i + 2)),
        _ => {}
    }
    // "in/over/during the past/last N hours/days/weeks", "in the past day"
    if matches!(w(i), "past" | "last") && i > 0 && doc.tokens[i - 1].is("the") {
        let (n, j) = read_number(doc, i + 1, end).unwrap_or((1.0, i + 1));
        let unit_s = match w(j) {
            "hour" | "hours" => 3600.0,
            "day" | "days" => 86_400.0,
            "week" | "weeks" => 7.0 * 86_400.0,
            _ => 0.0,
        };
        if unit_s > 0.0 {
            let from_us = published_us - (n * unit_s * 1e6) as i64;
            return Some((When { from_us, to_us: published_us }, i - 1..j + 1));
        }
    }
    if w(i) == "since" {
        if let Some((d, j)) = calendar_date(doc, i + 1, end, pub_day) {
            return Some((upto_pub(d), i..j));
        }
        if let Some(wd) = weekday_of(w(i + 1)) {
            return Some((upto_pub(latest(pub_day, wd)), i..i + 2));
        }
    }
    if let Some((d, j)) = calendar_date(doc, i, end, pub_day) {
        return Some((day(d), i..j));
    }
    if let Some(wd) = weekday_of(w(i)) {
        let mut d = latest(pub_day, wd);
        let last = i > 0 && doc.tokens[i - 1].is("last");
        if last && d == pub_day {
            d -= Duration::days(7);
        }
        let start =
            if i > 0 && doc.tokens[i - 1].is_any(&["on", "last", "late", "early"]) { i - 1 } else { i };
        return Some((day(d), start..i + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_statement::timefmt::{format_ms, parse_utc_us};

    fn window(text: &str, published: &str) -> Option<(String, String)> {
        let d = Doc::new(text);
        let p = parse_utc_us(published)?;
        find(&d, 0..d.tokens.len(), p).map(|(w, _)| (format_ms(w.from_us), format_ms(w.to_us)))
    }

    // 2026-03-12 is a Thursday.
    const PUB: &str = "2026-03-12T09:30:00Z";

    #[test]
    fn relative_days() {
        let w = |t| window(t, PUB).map(|(a, b)| (a[..10].to_owned(), b[..10].to_owned()));
        assert_eq!(w("on Wednesday"), Some(("2026-03-11".into(), "2026-03-12".into())));
        assert_eq!(w("on Thursday"), Some(("2026-03-12".into(), "2026-03-13".into())));
        assert_eq!(w("last Thursday"), Some(("2026-03-05".into(), "2026-03-06".into())));
        assert_eq!(w("yesterday"), Some(("2026-03-11".into(), "2026-03-12".into())));
        assert_eq!(w("last week"), Some(("2026-03-02".into(), "2026-03-09".into())));
        assert_eq!(w("since 3 March"), Some(("2026-03-03".into(), "2026-03-12".into())));
        assert_eq!(w("on March 3rd"), Some(("2026-03-03".into(), "2026-03-04".into())));
        assert_eq!(w("on 20 December"), Some(("2025-12-20".into(), "2025-12-21".into())));
    }

    #[test]
    fn counted_back_from_publication() {
        assert_eq!(
            window("in the past 72 hours", PUB),
            Some(("2026-03-09T09:30:00.000Z".into(), "2026-03-12T09:30:00.000Z".into()))
        );
        assert_eq!(
            window("over the last three days", PUB),
            Some(("2026-03-09T09:30:00.000Z".into(), "2026-03-12T09:30:00.000Z".into()))
        );
    }
}
