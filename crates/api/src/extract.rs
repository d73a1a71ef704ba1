//! Query and path extractors with one reading and problem+json rejections.
//!
//! axum's own extractors answer a malformed request in plain text, and read a
//! query leniently: `%FF` becomes U+FFFD and `?limit=1&limit=500` means
//! whichever the map kept last. A parameter a client wrote must mean one thing
//! to every reader, so these refuse, with 400 problem+json:
//! - a percent-escape that is not `%` and two hex digits, or that decodes to
//!   bytes that are not UTF-8 (`bad_query`, `bad_path`);
//! - a query parameter given twice (`bad_query`);
//! - a value its handler's type cannot hold (`bad_query`, `bad_path`).

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// The query string as named parameters, each given at most once.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync> FromRequestParts<S> for Query<HashMap<String, String>> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query).map_err(|detail| bad("bad_query", detail))
    }
}

/// Path parameters, read by axum after the same escape checks as the query.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        check_escapes(parts.uri.path()).map_err(|detail| bad("bad_path", format!("the path: {detail}")))?;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(bad("bad_path", rejection.body_text())),
        }
    }
}

/// A non-negative integer in its one spelling: ASCII digits, no sign, no
/// leading zero, at most 2^63−1 (the `int64` the description documents).
pub fn canonical_u64(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let no_leading_zero = text == "0" || !text.starts_with('0');
    (digits && no_leading_zero)
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|n| i64::try_from(*n).is_ok())
}

fn bad(code: &str, detail: String) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, code, detail)
}

/// Parses `a=1&b=x%20y` (application/x-www-form-urlencoded, as URLs carry it).
///
/// Errors: a malformed escape, a name or value that is not UTF-8, a repeated name.
pub fn parse_query(query: &str) -> Result<HashMap<String, String>, String> {
    check_escapes(query)?;
    let mut params = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (decode(name)?, decode(value)?);
        if params.contains_key(&name) {
            return Err(format!("the parameter {name:?} is given more than once"));
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// Every `%` starts an escape of two hex digits.
fn check_escapes(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'%') {
        let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        if hex.is_none() {
            return Err(format!("{:?} is not a percent-escape", &text[i..text.len().min(i + 3)]));
        }
    }
    Ok(())
}

fn decode(text: &str) -> Result<String, String> {
    let plus_as_space = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_values_and_escapes() {
        let q = parse_query("party=aid-one&at=2026-11-22T10%3A00%3A00.000Z&q=a+b&flag").expect("parses");
        assert_eq!(q["party"], "aid-one");
        assert_eq!(q["at"], "2026-11-22T10:00:00.000Z");
        assert_eq!(q["q"], "a b");
        assert_eq!(q["flag"], "");
        assert!(parse_query("").expect("empty").is_empty());
    }

    #[test]
    fn integers_have_one_spelling() {
        assert_eq!(canonical_u64("0"), Some(0));
        assert_eq!(canonical_u64("9223372036854775807"), Some(i64::MAX as u64));
        for bad in ["", "+1", "-0", "01", "1.0", "1e3", " 1", "9223372036854775808", "18446744073709551616"] {
            assert_eq!(canonical_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn refuses_what_readers_could_read_two_ways() {
        for bad in ["a=%FF", "a=%zz", "a=%4", "a=1%", "%C3%28=1", "limit=1&limit=500", "a&a"] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
    }
}
