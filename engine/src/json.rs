//! A JSON value that remembers where each part of it sits in the input line.
//!
//! Built on `serde_json`'s `RawValue`: every raw slice borrowed from the input gives its own byte
//! range, so tree items can highlight exactly the bytes they came from.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A byte range in the line: `start` and `len`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn new(start: usize, len: usize) -> Span {
        Span { start: start as u32, len: len as u32 }
    }

    /// The span covering `self` through `other`.
    pub fn to(self, other: Span) -> Span {
        let end = (other.start + other.len).max(self.start + self.len);
        Span { start: self.start, len: end - self.start }
    }

    pub fn shifted(self, by: u32) -> Span {
        Span { start: self.start + by, len: self.len }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    Null,
    Bool(bool),
    /// The number's literal text, so 64-bit integers keep every digit.
    Num(&'a str),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Vec<Member<'a>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    /// Span of the key including its quotes.
    pub key_span: Span,
    pub value: Json<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Json<'a> {
    pub span: Span,
    pub kind: Kind<'a>,
}

pub type Result<T> = std::result::Result<T, serde_json::Error>;

/// Parses one JSON text; spans are relative to the start of `text`.
pub fn parse(text: &str) -> Result<Json<'_>> {
    parse_in(text, 0)
}

/// Parses the JSON text that starts at byte `start` of `line`; spans are relative to `line`.
pub fn parse_in(line: &str, start: usize) -> Result<Json<'_>> {
    let raw: &RawValue = serde_json::from_str(&line[start..])?;
    build(line, raw, 0)
}

/// Nesting deeper than this is refused (an error, so the line shows as malformed): Tracker's events
/// nest a handful of levels, and a hostile line nested 100,000 deep must not exhaust the stack.
pub const MAX_DEPTH: usize = 128;

fn span_of(base: &str, part: &str) -> Span {
    Span::new(part.as_ptr() as usize - base.as_ptr() as usize, part.len())
}

fn build<'a>(base: &'a str, raw: &'a RawValue, depth: usize) -> Result<Json<'a>> {
    let text = raw.get();
    if depth > MAX_DEPTH && matches!(text.as_bytes().first(), Some(b'{' | b'[')) {
        return Err(de::Error::custom(format!("nesting deeper than {MAX_DEPTH} levels")));
    }
    let span = span_of(base, text);
    let kind = match text.as_bytes().first() {
        Some(b'{') => {
            let entries: Entries<'a> = serde_json::from_str(text)?;
            let mut members = Vec::with_capacity(entries.0.len());
            for (key, value) in entries.0 {
                let value = build(base, value, depth + 1)?;
                let key_span = key_span_before(base, value.span);
                members.push(Member { key: key.0, key_span, value });
            }
            Kind::Obj(members)
        }
        Some(b'[') => {
            let items: Vec<&'a RawValue> = serde_json::from_str(text)?;
            Kind::Arr(items.into_iter().map(|r| build(base, r, depth + 1)).collect::<Result<_>>()?)
        }
        Some(b'"') => Kind::Str(serde_json::from_str::<Text<'a>>(text)?.0),
        Some(b't') => Kind::Bool(true),
        Some(b'f') => Kind::Bool(false),
        Some(b'n') => Kind::Null,
        _ => Kind::Num(text),
    };
    Ok(Json { span, kind })
}

/// Finds the quoted key that precedes a member's value (`"key" : value`).
fn key_span_before(base: &str, value: Span) -> Span {
    let bytes = &base.as_bytes()[..value.start as usize];
    let mut i = bytes.len();
    // skip white space and the colon
    while i > 0 && (bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b':') {
        i -= 1;
    }
    let end = i;
    if end == 0 || bytes[end - 1] != b'"' {
        return value;
    }
    // walk back to the opening quote, stepping over escaped quotes
    let mut j = end - 1;
    while j > 0 {
        j -= 1;
        if bytes[j] == b'"' {
            let mut backslashes = 0;
            while j > backslashes && bytes[j - 1 - backslashes] == b'\\' {
                backslashes += 1;
            }
            if backslashes % 2 == 0 {
                return Span::new(j, end - j);
            }
        }
    }
    value
}

/// A string borrowed from the input where it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Object members in input order (duplicates kept, as written).
struct Entries<'a>(Vec<(Text<'a>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Json<'a> {
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match &self.kind {
            Kind::Obj(members) => members.iter().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }

    /// Follows a path of object keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Json<'a>> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn members(&self) -> &[Member<'a>] {
        match &self.kind {
            Kind::Obj(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Json<'a>] {
        match &self.kind {
            Kind::Arr(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// An integer from a number, or from a string holding one (Tracee writes `eventId` as a string,
    /// protobuf JSON writes 64-bit integers as strings).
    pub fn as_i128(&self) -> Option<i128> {
        match &self.kind {
            Kind::Num(n) => parse_int_literal(n),
            Kind::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|v| i64::try_from(v).ok())
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|v| u64::try_from(v).ok())
    }

    pub fn as_f64(&self) -> Option<f64> {
        match &self.kind {
            Kind::Num(n) => n.parse().ok(),
            Kind::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Num(n) => match *n {
                "0" => Some(false),
                "1" => Some(true),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value as written in the line.
    pub fn raw<'s>(&self, line: &'s str) -> &'s str {
        let start = self.span.start as usize;
        line.get(start..start + self.span.len as usize).unwrap_or("")
    }

    /// Compact display text: strings unquoted, everything else as written.
    pub fn display(&self, line: &str) -> String {
        match &self.kind {
            Kind::Str(s) => s.to_string(),
            _ => self.raw(line).to_string(),
        }
    }
}

/// Integers written as `12`, `-3`, or `1.0e3`-free floats that are whole (`5.0`).
fn parse_int_literal(n: &str) -> Option<i128> {
    if let Ok(v) = n.parse::<i128>() {
        return Some(v);
    }
    let f: f64 = n.parse().ok()?;
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values_and_keys() {
        let line = r#"{"a": 1, "b" :"x\"y", "c":[true,null,{"d":18446744073709551615}]}"#;
        let v = parse(line).unwrap();
        assert_eq!(v.span, Span::new(0, line.len()));
        let b = &v.members()[1];
        assert_eq!(b.key, "b");
        assert_eq!(b.key_span.start, 9);
        assert_eq!(&line[b.value.span.start as usize..][..b.value.span.len as usize], r#""x\"y""#);
        assert_eq!(b.value.as_str(), Some("x\"y"));
        let d = v.path(&["c"]).unwrap().items()[2].get("d").unwrap();
        assert_eq!(d.as_u64(), Some(u64::MAX));
        assert_eq!(d.raw(line), "18446744073709551615");
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let v = parse(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(v.members().len(), 2);
        assert_eq!(v.get("k").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn invalid_json_is_an_error_not_a_panic() {
        assert!(parse("{\"a\":").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn escaped_keys_get_a_span() {
        let line = r#"{"a\"b":2}"#;
        let v = parse(line).unwrap();
        let m = &v.members()[0];
        assert_eq!(m.key, "a\"b");
        assert_eq!(m.key_span, Span::new(1, 6));
    }
}
