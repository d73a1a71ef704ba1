//! Figures in news text, in digits or in words, with the qualifier that makes
//! them a range.
//!
//! The qualifiers are read as the issue and `corpus/README.md` set out:
//!
//! | text | range |
//! | --- | --- |
//! | at least N, no fewer than N, not less than N, a minimum of N | min N |
//! | as many as N, up to N, could have killed N, at most N, no more than N | max N |
//! | more than N, over N, in excess of N, upwards of N | min N+1 |
//! | nearly N, almost N, fewer than N, less than N, under N, just under N | max N−1 |
//! | about N, some N, around N, approximately N, roughly N, an estimated N | neither; the point value is kept for review |
//! | between A and B, A to B, from A to B, A-B | min A, max B |
//! | N | min N, max N |
//!
//! Vague quantities take their lower bound from the coding rules of the Armed
//! Conflict Location & Event Data project (ACLED Codebook, "Reported
//! fatalities": "dozens" is coded 12 and "hundreds" 100): "dozens" is min 12,
//! "scores" min 20, "hundreds" min 100, "thousands" min 1,000, "tens of
//! thousands" min 10,000, "hundreds of thousands" min 100,000. ACLED codes
//! "several" as 10, a point estimate rather than a bound; as a bound Corridor
//! reads "several" as min 3 and "a handful" as min 2, max 5.

use std::ops::Range;

use crate::text::{Doc, Tok};

/// A figure found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The stated value of an approximate figure ("about 40"), kept for the
    /// analyst; `min` and `max` are then both `None`.
    pub about: Option<f64>,
    /// Tokens of the figure, qualifier included.
    pub tokens: Range<usize>,
}

const UNITS: &[(&str, u64)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
];
const TENS: &[(&str, u64)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];
const SCALES: &[(&str, f64)] = &[("hundred", 100.0), ("thousand", 1e3), ("million", 1e6), ("billion", 1e9)];

fn small_word(w: &str) -> Option<u64> {
    if let Some(&(_, v)) = UNITS.iter().chain(TENS).find(|(k, _)| *k == w) {
        return Some(v);
    }
    let (t, u) = w.split_once('-')?;
    let tens = TENS.iter().find(|(k, _)| *k == t)?.1;
    let unit = UNITS.iter().find(|&&(k, v)| k == u && (1..=9).contains(&v))?.1;
    Some(tens + unit)
}

fn scale(w: &str) -> Option<f64> {
    SCALES.iter().find(|(k, _)| *k == w).map(|&(_, v)| v)
}

fn digits(w: &str) -> Option<f64> {
    if !w.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let plain = w.replace(',', "");
    if !plain.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    plain.parse().ok()
}

/// Reads a number starting at token `i`: returns its value and the index
/// after it. Handles "1,200", "1.5 million", "twenty-two", "two hundred and
/// fifty", "half a million", "a million", "a dozen", "five and a half".
pub fn read_number(doc: &Doc<'_>, i: usize, end: usize) -> Option<(f64, usize)> {
    let w = |k: usize| -> &str {
        if k < end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let word_at = |k: usize| k < end && doc.tokens[k].kind == Tok::Word;
    if !word_at(i) {
        return None;
    }
    // "half a million", "a million", "a dozen", "a hundred"
    if w(i) == "half" && w(i + 1) == "a" {
        if let Some(s) = scale(w(i + 2)) {
            return Some((s / 2.0, i + 3));
        }
    }
    if w(i) == "a" {
        if let Some(s) = scale(w(i + 1)) {
            return Some((s, i + 2));
        }
        if w(i + 1) == "dozen" {
            return Some((12.0, i + 2));
        }
        return None;
    }
    let (mut value, mut j) = if let Some(v) = digits(w(i)) {
        (v, i + 1)
    } else if let Some(v) = small_word(w(i)) {
        // "twenty one", written without its hyphen
        let unit =
            (v % 10 == 0 && v >= 20).then(|| small_word(w(i + 1)).filter(|u| (1..=9).contains(u))).flatten();
        match unit {
            Some(u) => ((v + u) as f64, i + 2),
            None => (v as f64, i + 1),
        }
    } else {
        return None;
    };
    // Word compounds: "two hundred (and) fifty (thousand)".
    let mut total = 0.0;
    loop {
        if let Some(s) = scale(w(j)) {
            if s == 100.0 {
                value *= 100.0;
                j += 1;
                let k = if w(j) == "and" { j + 1 } else { j };
                if let Some(v) = small_word(w(k)) {
                    value += v as f64;
                    j = k + 1;
                }
                continue;
            }
            total += value * s;
            value = 0.0;
            j += 1;
            let k = if w(j) == "and" { j + 1 } else { j };
            if let Some(v) = small_word(w(k)) {
                value = v as f64;
                j = k + 1;
                continue;
            }
            break;
        }
        break;
    }
    total += value;
    // "five and a half"
    if w(j) == "and" && w(j + 1) == "a" && w(j + 2) == "half" {
        total += 0.5;
        j += 3;
    }
    // "1.5 million" handled by the scale loop above; "dozen" after a number
    if w(j) == "dozen" {
        total *= 12.0;
        j += 1;
    }
    Some((total, j))
}

/// A vague quantity at `i` ("dozens", "hundreds of thousands", "a handful"):
/// (min, max, index after).
fn vague(doc: &Doc<'_>, i: usize, end: usize) -> Option<(Option<f64>, Option<f64>, usize)> {
    let w = |k: usize| -> &str {
        if k < end {
            doc.tokens[k].lower.as_str()
        } else {
            ""
        }
    };
    let of = |k: usize| if w(k) == "of" { k + 1 } else { k };
    match (w(i), w(i + 1), w(i + 2)) {
        ("tens", "of", "thousands") => Some((Some(10_000.0), None, of(i + 3))),
        ("hundreds", "of", "thousands") => Some((Some(100_000.0), None, of(i + 3))),
        ("dozens", _, _) => Some((Some(12.0), None, of(i + 1))),
        ("scores", _, _) => Some((Some(20.0), None, of(i + 1))),
        ("hundreds", _, _) => Some((Some(100.0), None, of(i + 1))),
        ("thousands", _, _) => Some((Some(1000.0), None, of(i + 1))),
        ("several", _, _) => Some((Some(3.0), None, i + 1)),
        ("a", "handful", _) => Some((Some(2.0), Some(5.0), of(i + 2))),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Qualifier {
    Exact,
    AtLeast,
    AtMost,
    MoreThan,
    LessThan,
    About,
}

/// The qualifier ending just before token `i`, and where it starts.
fn qualifier_before(doc: &Doc<'_>, i: usize, floor: usize) -> (Qualifier, usize) {
    const TABLE: &[(&[&str], Qualifier)] = &[
        (&["at", "least"], Qualifier::AtLeast),
        (&["no", "fewer", "than"], Qualifier::AtLeast),
        (&["not", "less", "than"], Qualifier::AtLeast),
        (&["a", "minimum", "of"], Qualifier::AtLeast),
        (&["as", "many", "as"], Qualifier::AtMost),
        (&["as", "much", "as"], Qualifier::AtMost),
        (&["up", "to"], Qualifier::AtMost),
        (&["at", "most"], Qualifier::AtMost),
        (&["no", "more", "than"], Qualifier::AtMost),
        (&["a", "maximum", "of"], Qualifier::AtMost),
        (&["could", "have", "killed"], Qualifier::AtMost),
        (&["may", "have", "killed"], Qualifier::AtMost),
        (&["more", "than"], Qualifier::MoreThan),
        (&["in", "excess", "of"], Qualifier::MoreThan),
        (&["upwards", "of"], Qualifier::MoreThan),
        (&["over"], Qualifier::MoreThan),
        (&["just", "under"], Qualifier::LessThan),
        (&["fewer", "than"], Qualifier::LessThan),
        (&["less", "than"], Qualifier::LessThan),
        (&["nearly"], Qualifier::LessThan),
        (&["almost"], Qualifier::LessThan),
        (&["under"], Qualifier::LessThan),
        (&["about"], Qualifier::About),
        (&["around"], Qualifier::About),
        (&["some"], Qualifier::About),
        (&["approximately"], Qualifier::About),
        (&["roughly"], Qualifier::About),
        (&["an", "estimated"], Qualifier::About),
        (&["estimated"], Qualifier::About),
        (&["close", "to"], Qualifier::About),
    ];
    for (words, q) in TABLE {
        let n = words.len();
        if i >= floor + n && (0..n).all(|k| doc.tokens[i - n + k].lower == words[k]) {
            // "killed over 40" is fine; "over the past 72 hours" is not a qualifier (no number follows anyway).
            return (*q, i - n);
        }
    }
    (Qualifier::Exact, i)
}

/// Every figure in tokens `range`, in order.
pub fn quantities(doc: &Doc<'_>, range: Range<usize>) -> Vec<Quantity> {
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if let Some((min, max, j)) = vague(doc, i, range.end) {
            out.push(Quantity { min, max, about: None, tokens: i..j });
            i = j;
            continue;
        }
        if let Some(q) = hyphen_range(doc, i) {
            out.push(q);
            i += 1;
            continue;
        }
        let Some((a, j)) = read_number(doc, i, range.end) else {
            i += 1;
            continue;
        };
        // "between A and B", "A to B", "from A to B"
        let w = |k: usize| -> &str {
            if k < range.end {
                doc.tokens[k].lower.as_str()
            } else {
                ""
            }
        };
        if matches!(w(j), "and" | "to") {
            let between = i > range.start && doc.tokens[i - 1].is("between");
            let from = i > range.start && doc.tokens[i - 1].is("from");
            let to_ok = w(j) == "to" || between;
            if to_ok {
                if let Some((b, k)) = read_number(doc, j + 1, range.end) {
                    if b > a {
                        let start = if between || from { i - 1 } else { i };
                        out.push(Quantity { min: Some(a), max: Some(b), about: None, tokens: start..k });
                        i = k;
                        continue;
                    }
                }
            }
        }
        let (q, start) = qualifier_before(doc, i, range.start);
        let (min, max, about) = match q {
            Qualifier::Exact => (Some(a), Some(a), None),
            Qualifier::AtLeast => (Some(a), None, None),
            Qualifier::AtMost => (None, Some(a), None),
            Qualifier::MoreThan => (Some(a + 1.0), None, None),
            Qualifier::LessThan => (None, Some((a - 1.0).max(0.0)), None),
            Qualifier::About => (None, None, Some(a)),
        };
        // "at least 12 and as many as 30": one range from two bounds.
        if let Some(last) = out.last_mut() {
            let joined = last.tokens.end + 1 == start && doc.tokens[last.tokens.end].is("and");
            if joined
                && last.max.is_none()
                && last.about.is_none()
                && min.is_none()
                && max.is_some_and(|m| last.min.is_some_and(|l| l <= m))
            {
                last.max = max;
                last.tokens.end = j;
                i = j;
                continue;
            }
        }
        out.push(Quantity { min, max, about, tokens: start..j });
        i = j;
    }
    out
}

/// "10-15" in one token.
fn hyphen_range(doc: &Doc<'_>, i: usize) -> Option<Quantity> {
    let (a, b) = doc.tokens[i].lower.split_once('-')?;
    let (a, b) = (digits(a)?, digits(b)?);
    (a < b).then(|| Quantity { min: Some(a), max: Some(b), about: None, tokens: i..i + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Vec<(Option<f64>, Option<f64>, Option<f64>)> {
        let d = Doc::new(text);
        quantities(&d, 0..d.tokens.len()).into_iter().map(|q| (q.min, q.max, q.about)).collect()
    }

    #[test]
    fn qualifiers_make_ranges() {
        assert_eq!(q("at least 40 killed"), vec![(Some(40.0), None, None)]);
        assert_eq!(q("no fewer than six"), vec![(Some(6.0), None, None)]);
        assert_eq!(q("as many as 15"), vec![(None, Some(15.0), None)]);
        assert_eq!(q("could have killed 15"), vec![(None, Some(15.0), None)]);
        assert_eq!(q("more than 300"), vec![(Some(301.0), None, None)]);
        assert_eq!(q("over 20"), vec![(Some(21.0), None, None)]);
        assert_eq!(q("nearly 1,000"), vec![(None, Some(999.0), None)]);
        assert_eq!(q("about 40"), vec![(None, None, Some(40.0))]);
        assert_eq!(q("between 10 and 12"), vec![(Some(10.0), Some(12.0), None)]);
        assert_eq!(q("at least 12 and as many as 30"), vec![(Some(12.0), Some(30.0), None)]);
        assert_eq!(q("twenty one"), vec![(Some(21.0), Some(21.0), None)]);
        assert_eq!(q("10 to 12"), vec![(Some(10.0), Some(12.0), None)]);
        assert_eq!(q("10-12"), vec![(Some(10.0), Some(12.0), None)]);
        assert_eq!(q("dozens of people"), vec![(Some(12.0), None, None)]);
        assert_eq!(q("a handful of trucks"), vec![(Some(2.0), Some(5.0), None)]);
    }

    #[test]
    fn number_words() {
        assert_eq!(q("six"), vec![(Some(6.0), Some(6.0), None)]);
        assert_eq!(q("twenty-two"), vec![(Some(22.0), Some(22.0), None)]);
        assert_eq!(q("half a million"), vec![(Some(500_000.0), Some(500_000.0), None)]);
        assert_eq!(q("1.5 million"), vec![(Some(1_500_000.0), Some(1_500_000.0), None)]);
        assert_eq!(q("two hundred and fifty"), vec![(Some(250.0), Some(250.0), None)]);
        assert_eq!(q("five and a half years"), vec![(Some(5.5), Some(5.5), None)]);
        assert_eq!(q("three thousand two hundred"), vec![(Some(3200.0), Some(3200.0), None)]);
    }
}
