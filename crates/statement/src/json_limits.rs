//! Limits on any JSON the log accepts, checked on the text before it is
//! deserialized: nesting depth, and integers that every JSON implementation
//! reads exactly (|n| <= 2^53 - 1, brief §4).
//!
//! The check is a single pass over text that `serde_json` has already found
//! well-formed (the caller parses first), so it only has to tell strings,
//! containers and number literals apart; it never builds a value.

/// JSON nested deeper than this is refused before it is walked.
pub const MAX_JSON_DEPTH: usize = 32;
/// Containers open at once from which JSON is not read at all (what
/// `serde_json`'s recursion limit refuses: such text is refused as malformed).
pub const PARSER_DEPTH_LIMIT: usize = 128;
/// The brief keeps integers exact in every JSON implementation: |n| <= 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why JSON text is outside the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    /// Deeper than [`PARSER_DEPTH_LIMIT`]: not read as JSON at all.
    Unreadable,
    TooDeep,
    UnsafeInteger(String),
    DuplicateMember(String),
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable => f.write_str("recursion limit exceeded"),
            Self::TooDeep => f.write_str("JSON nested too deeply"),
            Self::UnsafeInteger(n) => write!(f, "integer {n} is outside ±(2^53−1)"),
            Self::DuplicateMember(m) => write!(f, "member {m:?} appears twice in one object"),
        }
    }
}

/// Checks JSON text against the limits. On text that is not well-formed
/// JSON the answer is meaningless but harmless (the caller parses too); a
/// nesting beyond [`PARSER_DEPTH_LIMIT`] is reported whatever else comes first.
///
/// A value starting at nesting depth greater than [`MAX_JSON_DEPTH`] (the
/// top-level value is at depth 0) is too deep. An integer literal (no
/// fraction, no exponent) is unsafe when its magnitude exceeds
/// [`MAX_SAFE_INTEGER`]. With `strict` (a submission), every such literal is
/// refused, and so is an object that names a member twice; without it (what
/// earlier releases logged), a literal too large even for a 64-bit integer,
/// which `serde_json` reads as a float, passes, and repeats pass.
pub fn check(text: &[u8], strict: bool) -> Result<(), LimitError> {
    let mut scan = Scan { text, strict, frames: Vec::new(), first: None };
    scan.run()?;
    scan.first.map_or(Ok(()), Err)
}

/// An open container, and for an object the members named so far.
enum Frame {
    Array,
    Object { expect_key: bool, keys: std::collections::HashSet<String> },
}

struct Scan<'a> {
    text: &'a [u8],
    strict: bool,
    frames: Vec<Frame>,
    first: Option<LimitError>,
}

impl Scan<'_> {
    fn note(&mut self, e: LimitError) {
        self.first.get_or_insert(e);
    }

    fn value_here(&mut self) {
        if self.frames.len() > MAX_JSON_DEPTH {
            self.note(LimitError::TooDeep);
        }
    }

    fn run(&mut self) -> Result<(), LimitError> {
        let mut i = 0;
        while i < self.text.len() {
            match self.text[i] {
                b'"' => {
                    let end = skip_string(self.text, i + 1);
                    self.string(i, end);
                    i = end;
                    continue;
                }
                b'{' | b'[' => {
                    self.value_here();
                    let object = self.text[i] == b'{';
                    self.frames.push(if object {
                        Frame::Object { expect_key: true, keys: std::collections::HashSet::new() }
                    } else {
                        Frame::Array
                    });
                    if self.frames.len() >= PARSER_DEPTH_LIMIT {
                        return Err(LimitError::Unreadable);
                    }
                }
                b'}' | b']' => {
                    self.frames.pop();
                }
                b':' => self.set_expect_key(false),
                b',' => self.set_expect_key(true),
                b'-' | b'0'..=b'9' => {
                    self.value_here();
                    let end = number_end(self.text, i);
                    if let Err(e) = check_integer(&self.text[i..end], self.strict) {
                        self.note(e);
                    }
                    i = end;
                    continue;
                }
                b't' | b'f' | b'n' => self.value_here(),
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    fn set_expect_key(&mut self, expect: bool) {
        if let Some(Frame::Object { expect_key, .. }) = self.frames.last_mut() {
            *expect_key = expect;
        }
    }

    /// A string from `start` (its opening quote) to `end` (just after its close).
    fn string(&mut self, start: usize, end: usize) {
        let is_key = matches!(self.frames.last(), Some(Frame::Object { expect_key: true, .. }));
        if !is_key {
            self.value_here();
            return;
        }
        if !self.strict {
            return;
        }
        let raw = &self.text[start..end];
        let name = match raw.contains(&b'\\') {
            true => serde_json::from_slice::<String>(raw).unwrap_or_default(),
            // An unterminated string (the text ends inside it) is one byte long.
            false => String::from_utf8_lossy(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
                .into_owned(),
        };
        let repeated = match self.frames.last_mut() {
            Some(Frame::Object { keys, .. }) => !keys.insert(name.clone()),
            _ => false,
        };
        if repeated {
            self.note(LimitError::DuplicateMember(name));
        }
    }
}

/// The index just after the string whose contents start at `i`; the text's
/// length if it ends inside the string (even inside an escape).
fn skip_string(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i.min(text.len())
}

fn number_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && matches!(text[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
        i += 1;
    }
    i
}

fn check_integer(literal: &[u8], strict: bool) -> Result<(), LimitError> {
    if literal.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return Ok(());
    }
    let text = std::str::from_utf8(literal).unwrap_or_default();
    let digits = text.trim_start_matches('-');
    // 2^53 - 1 has 16 digits: more is unsafe whatever 64-bit type would hold it.
    if strict && digits.len() > 16 {
        return Err(LimitError::UnsafeInteger(text.to_owned()));
    }
    let magnitude = match text.strip_prefix('-') {
        Some(_) => text.parse::<i64>().ok().map(i64::unsigned_abs),
        None => text.parse::<u64>().ok(),
    };
    match magnitude {
        Some(m) if m > MAX_SAFE_INTEGER => Err(LimitError::UnsafeInteger(text.to_owned())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits as a walk over `serde_json::Value` states them; the scanner must agree.
    #[test]
    fn strictly_every_unsafe_integer_and_every_repeated_member_is_refused() {
        let strict = |t: &str| check(t.as_bytes(), true);
        assert_eq!(
            strict(r#"{"a":18446744073709551616}"#),
            Err(LimitError::UnsafeInteger("18446744073709551616".into()))
        );
        assert!(strict(r#"{"a":-100000000000000000000000}"#).is_err());
        assert!(strict(r#"{"a":9007199254740991,"b":-9007199254740991,"c":1e300}"#).is_ok());
        assert_eq!(strict(r#"{"a":1,"b":{"a":2},"a":3}"#), Err(LimitError::DuplicateMember("a".into())));
        assert_eq!(
            strict(r#"{"a":1,"\u0061":2}"#),
            Err(LimitError::DuplicateMember("a".into())),
            "escapes are decoded"
        );
        assert!(
            strict(r#"{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a"}"#).is_ok(),
            "the same name in other objects"
        );
        assert!(strict(r#"{"k":"a","a":"k"}"#).is_ok(), "values are not names");
        assert!(check(br#"{"a":1,"a":2}"#, false).is_ok(), "what earlier releases logged");
    }

    /// Found by the `statement` fuzz target: a member name cut off by the end
    /// of the text panicked; truncated text is simply not JSON.
    #[test]
    fn text_ending_inside_a_member_name_is_no_panic() {
        for text in [&br#"{""#[..], br#"{"a":1,""#, br#"{"a":{"b"#, br#"{"a\"#, br#"["\"#] {
            let _ = check(text, true);
            let _ = check(text, false);
        }
    }

    #[test]
    fn refuses_what_serde_json_cannot_read_as_unreadable() {
        for n in [126usize, 127, 128, 129] {
            for text in [nested(n, ""), format!("{{\"a\":{}}}", nested(n - 1, "1"))] {
                let readable = serde_json::from_str::<serde_json::Value>(&text).is_ok();
                let unreadable = check(text.as_bytes(), false) == Err(LimitError::Unreadable);
                assert_eq!(unreadable, !readable, "{n}");
            }
        }
    }

    fn by_value(v: &serde_json::Value, depth: usize) -> Result<(), LimitError> {
        if depth > MAX_JSON_DEPTH {
            return Err(LimitError::TooDeep);
        }
        match v {
            serde_json::Value::Number(n) => {
                let big = n.as_u64().is_some_and(|u| u > MAX_SAFE_INTEGER)
                    || n.as_i64().is_some_and(|i| i.unsigned_abs() > MAX_SAFE_INTEGER);
                if big {
                    return Err(LimitError::UnsafeInteger(n.to_string()));
                }
                Ok(())
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(|v| by_value(v, depth + 1)),
            serde_json::Value::Object(m) => m.values().try_for_each(|v| by_value(v, depth + 1)),
            _ => Ok(()),
        }
    }

    fn nested(levels: usize, inner: &str) -> String {
        format!("{}{inner}{}", "[".repeat(levels), "]".repeat(levels))
    }

    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            (-1e20..1e20f64).prop_map(serde_json::Value::from),
            "[a-z\\\\\"{}\\[\\]0-9 ]{0,8}".prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        leaf.prop_recursive(40, 200, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z\\\\\"]{0,4}", inner, 0..3)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_walk_over_any_value(value in json()) {
            let text = value.to_string();
            proptest::prop_assert_eq!(check(text.as_bytes(), false).is_ok(), by_value(&value, 0).is_ok(), "{}", text);
        }
    }

    #[test]
    fn agrees_with_a_walk_over_values() {
        let cases = [
            r#"{"a":9007199254740991,"b":-9007199254740991}"#.to_owned(),
            r#"{"a":9007199254740992}"#.to_owned(),
            r#"{"a":-9007199254740992}"#.to_owned(),
            r#"{"a":"9007199254740993 in a string \" still a string"}"#.to_owned(),
            r#"{"a":9007199254740993.0,"b":1e300}"#.to_owned(),
            r#"{"a":18446744073709551616}"#.to_owned(),
            nested(32, "1"),
            nested(33, "1"),
            nested(33, ""),
            nested(32, "{}"),
            nested(32, "{\"k\":1}"),
            nested(32, "\"s\""),
            nested(32, "true"),
        ];
        for text in cases {
            let value: serde_json::Value = serde_json::from_str(&text).expect("well-formed");
            let want = by_value(&value, 0).is_ok();
            assert_eq!(check(text.as_bytes(), false).is_ok(), want, "{text}");
        }
    }
}
