//! For random valid statements, the bytes the log stores read the same by
//! serde_json (what Corridor uses) and by a strict second reader written here
//! from RFC 8259: one that refuses a repeated member name and keeps every
//! number as its literal text, so that nothing is rounded or chosen for it.
//!
//! Integers must be the very integer the literal writes. A number with a
//! fraction or exponent must be the double serde_json read, spelled in its
//! shortest round-trip form, so that a reader with doubles, one with decimals
//! and one with 17 significant digits all take it for the same number.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use corridor_statement::{build_entry, SignedEnvelope};
use proptest::prelude::*;
use serde_json::Value;

/// What the strict reader makes of JSON text.
#[derive(Debug, PartialEq)]
enum Strict {
    Null,
    Bool(bool),
    /// The literal, as written.
    Number(String),
    String(String),
    Array(Vec<Strict>),
    Object(BTreeMap<String, Strict>),
}

/// A strict RFC 8259 reader: one value, whitespace around it, nothing else.
struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn read(text: &[u8]) -> Result<Strict, String> {
        let mut r = Reader { text, at: 0 };
        let v = r.value(0)?;
        r.space();
        if r.at != r.text.len() {
            return Err(format!("trailing bytes at {}", r.at));
        }
        Ok(v)
    }

    fn space(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), String> {
        self.space();
        if self.text.get(self.at) != Some(&b) {
            return Err(format!("expected {:?} at {}", b as char, self.at));
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Strict, String> {
        if depth > 64 {
            return Err("too deep".into());
        }
        self.space();
        match self.text.get(self.at) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Strict::String),
            Some(b't') => self.word("true", Strict::Bool(true)),
            Some(b'f') => self.word("false", Strict::Bool(false)),
            Some(b'n') => self.word("null", Strict::Null),
            _ => self.number(),
        }
    }

    fn word(&mut self, word: &str, v: Strict) -> Result<Strict, String> {
        if !self.text[self.at..].starts_with(word.as_bytes()) {
            return Err(format!("expected {word} at {}", self.at));
        }
        self.at += word.len();
        Ok(v)
    }

    fn object(&mut self, depth: usize) -> Result<Strict, String> {
        let mut members = BTreeMap::new();
        self.items(b'{', b'}', |r| {
            r.space();
            let name = r.string()?;
            r.eat(b':')?;
            let v = r.value(depth + 1)?;
            match members.insert(name.clone(), v) {
                Some(_) => Err(format!("member {name:?} is repeated")),
                None => Ok(()),
            }
        })?;
        Ok(Strict::Object(members))
    }

    fn array(&mut self, depth: usize) -> Result<Strict, String> {
        let mut items = Vec::new();
        self.items(b'[', b']', |r| {
            items.push(r.value(depth + 1)?);
            Ok(())
        })?;
        Ok(Strict::Array(items))
    }

    /// `open`, then items read by `item` separated by commas, then `close`.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.eat(open)?;
        self.space();
        if self.text.get(self.at) == Some(&close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.space();
            match self.text.get(self.at) {
                Some(b',') => self.at += 1,
                Some(&c) if c == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(format!("expected , or {} at {}", close as char, self.at)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4).ok_or("short \\u escape")?;
        let s = std::str::from_utf8(digits).map_err(|_| "bad \\u escape")?;
        self.at += 4;
        u32::from_str_radix(s, 16).map_err(|_| "bad \\u escape".into())
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let b = *self.text.get(self.at).ok_or("unterminated string")?;
            self.at += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = *self.text.get(self.at).ok_or("unterminated escape")?;
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(format!("bad escape \\{}", e as char)),
                    };
                    out.push(c);
                }
                0..=0x1f => return Err("a control character in a string".into()),
                _ => {
                    // Copy one UTF-8 sequence whole; the input is valid UTF-8.
                    let start = self.at - 1;
                    while self.text.get(self.at).is_some_and(|c| (c & 0xC0) == 0x80) {
                        self.at += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.text[start..self.at]).map_err(|e| e.to_string())?);
                }
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or_else(|| "a lone low surrogate".into());
        }
        if self.text.get(self.at..self.at + 2) != Some(b"\\u") {
            return Err("a lone high surrogate".into());
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err("a high surrogate without its low".into());
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or_else(|| "bad pair".into())
    }

    fn number(&mut self) -> Result<Strict, String> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.text.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        if self.text.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let int_start = self.at;
        let n = digits(self);
        if n == 0 || (n > 1 && self.text[int_start] == b'0') {
            return Err(format!("bad number at {start}"));
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err("no digits after the point".into());
            }
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err("no exponent digits".into());
            }
        }
        Ok(Strict::Number(String::from_utf8_lossy(&self.text[start..self.at]).into_owned()))
    }
}

/// Whether serde_json's reading and the strict one are the same value.
fn same(serde: &Value, strict: &Strict, path: &str) -> Result<(), String> {
    match (serde, strict) {
        (Value::Null, Strict::Null) => Ok(()),
        (Value::Bool(a), Strict::Bool(b)) if a == b => Ok(()),
        (Value::String(a), Strict::String(b)) if a == b => Ok(()),
        (Value::Number(n), Strict::Number(literal)) => same_number(n, literal, path),
        (Value::Array(a), Strict::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().try_for_each(|(i, (x, y))| same(x, y, &format!("{path}[{i}]")))
        }
        (Value::Object(a), Strict::Object(b)) if a.len() == b.len() => a.iter().try_for_each(|(k, v)| {
            let other = b.get(k).ok_or_else(|| format!("{path}.{k}: only serde_json reads it"))?;
            same(v, other, &format!("{path}.{k}"))
        }),
        _ => Err(format!("{path}: serde_json reads {serde}, the strict reader {strict:?}")),
    }
}

fn same_number(n: &serde_json::Number, literal: &str, path: &str) -> Result<(), String> {
    let is_integer_literal = !literal.contains(['.', 'e', 'E']);
    let agree = if is_integer_literal {
        (n.is_i64() || n.is_u64()) && n.to_string() == literal
    } else {
        n.as_f64().is_some_and(|f| {
            literal.parse::<f64>() == Ok(f) && serde_json::to_string(&f).ok().as_deref() == Some(literal)
        })
    };
    match agree {
        true => Ok(()),
        false => Err(format!("{path}: serde_json reads {n}, the literal is {literal}")),
    }
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, escapes, controls, non-ASCII and astral characters.
    proptest::string::string_regex("[a-zA-Z0-9 \"\\\\/\u{0}-\u{1f}\u{7f}\u{e9}\u{2028}\u{1F600}]{0,24}")
        .expect("regex")
}

fn quantity() -> impl Strategy<Value = Value> {
    prop_oneof![(1i64..=9_007_199_254_740_991).prop_map(Value::from), (1e-6f64..9e15).prop_map(Value::from),]
}

fn position() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-180.0f64..=180.0, -90.0f64..=90.0).prop_map(|(x, y)| serde_json::json!([x, y])),
        (-180.0f64..=180.0, -90.0f64..=90.0, -500.0f64..9000.0)
            .prop_map(|(x, y, z)| serde_json::json!([x, y, z])),
    ]
}

/// A random statement of a few types that carry text, numbers and positions.
fn statement() -> impl Strategy<Value = Value> {
    let time = (0i64..4_102_444_800_000)
        .prop_map(|ms| Value::from(corridor_statement::timefmt::format_ms(ms * 1_000)));
    let message = (text(), text()).prop_map(|(subject, body)| {
        serde_json::json!({"type": "message.send", "body": {"to": ["ops"], "subject": format!("s{subject}"), "text": body}})
    });
    let site = (text(), position(), 0u32..100_000, time.clone()).prop_map(|(name, p, buffer, from)| {
        serde_json::json!({"type": "site.notify", "body": {"name": format!("n{name}"), "category": "clinic",
            "geometry": {"type": "Point", "coordinates": p}, "buffer_m": buffer, "window": {"from": from}}})
    });
    let custody = (proptest::collection::vec(quantity(), 1..4), text()).prop_map(|(qs, item)| {
        let items: Vec<Value> = qs
            .into_iter()
            .enumerate()
            .map(|(i, q)| serde_json::json!({"item": format!("{i}{item}"), "unit": "u", "quantity": q}))
            .collect();
        serde_json::json!({"type": "custody.transfer", "body": {"consignment": "EX-1", "from": "aid", "to": "mil", "items": items}})
    });
    (prop_oneof![message, site, custody], time).prop_map(|(mut st, issued_at)| {
        st["issuer"] = Value::from("aid");
        st["id"] = Value::from("x1");
        st["issued_at"] = issued_at;
        st
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serde_json_and_a_strict_reader_read_every_logged_byte_alike(st in statement()) {
        let payload = serde_json::to_vec(&st).expect("json");
        let envelope = serde_json::json!({
            "payloadType": corridor_statement::PAYLOAD_TYPE,
            "payload": B64.encode(&payload),
            "signatures": [{"keyid": "aid+0a1b2c3d", "sig": B64.encode([7u8; 64])}],
        });
        let (_, canonical) = SignedEnvelope::from_json(envelope.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("a valid statement is accepted: {e}\n{st}"));
        let entry = build_entry(1_763_805_600_000_000, &canonical).expect("fits");
        let json = &entry[..];
        for (what, bytes) in [("entry", json), ("payload", &payload[..])] {
            let by_serde: Value = serde_json::from_slice(bytes).expect("serde_json reads it");
            let by_strict = Reader::read(bytes).unwrap_or_else(|e| panic!("the strict reader refuses the {what}: {e}"));
            if let Err(e) = same(&by_serde, &by_strict, what) {
                panic!("{e}");
            }
        }
    }
}

#[test]
fn the_strict_reader_refuses_what_serde_json_reads_leniently() {
    assert!(Reader::read(br#"{"a":1,"a":2}"#).is_err(), "serde_json keeps the last");
    let big = serde_json::from_str::<Value>("18446744073709551616").expect("serde_json reads a float");
    let literal = Reader::read(b"18446744073709551616").expect("reads");
    assert!(same(&big, &literal, "n").is_err(), "a rounded integer is caught");
    let tenth = serde_json::from_str::<Value>("0.10000000000000001").expect("reads");
    assert!(same(&tenth, &Reader::read(b"0.10000000000000001").expect("reads"), "n").is_err());
}
