//! A JSON value that remembers where each part of it sits in the input line.
//!
//! Read in one pass with `jiter`, which reports the byte offset at every step, so tree items can
//! highlight exactly the bytes they came from; strings without escapes are borrowed from the line.

use std::borrow::Cow;

use jiter::{Jiter, Peek};
use serde::de;

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
    parse_keeping(line, start, |_| true)
}

/// As [`parse_in`], but of a top-level object only the members whose key `keep` accepts are read:
/// the others are checked and skipped, and left out.
pub fn parse_keeping(line: &str, start: usize, keep: fn(&str) -> bool) -> Result<Json<'_>> {
    let text = &line[start..];
    let mut reader = Reader { line, base: start, jiter: Jiter::new(text.as_bytes()), keep };
    let err = Reader::error(start);
    let peek = reader.jiter.peek().map_err(&err)?;
    let value = reader.value(peek, 0)?;
    reader.jiter.finish().map_err(&err)?;
    Ok(value)
}

/// Nesting deeper than this is refused (an error, so the line shows as malformed): Tracker's events
/// nest a handful of levels, and a hostile line nested 100,000 deep must not exhaust the stack.
pub const MAX_DEPTH: usize = 128;

struct Reader<'a> {
    line: &'a str,
    /// Where the JSON text starts in the line.
    base: usize,
    jiter: Jiter<'a>,
    /// Which top-level members to read (see `parse_keeping`).
    keep: fn(&str) -> bool,
}

impl<'a> Reader<'a> {
    fn error(base: usize) -> impl Fn(jiter::JiterError) -> serde_json::Error {
        move |e| de::Error::custom(format!("{} at byte {}", e.error_type, base + e.index))
    }

    fn value(&mut self, peek: Peek, depth: usize) -> Result<Json<'a>> {
        let (line, base) = (self.line, self.base);
        let err = Self::error(base);
        let begin = self.jiter.current_index();
        if depth > MAX_DEPTH && matches!(peek, Peek::Array | Peek::Object) {
            return Err(de::Error::custom(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let kind = match peek {
            Peek::Null => {
                self.jiter.known_null().map_err(&err)?;
                Kind::Null
            }
            Peek::True | Peek::False => Kind::Bool(self.jiter.known_bool(peek).map_err(&err)?),
            Peek::String => Kind::Str(text(line, self.jiter.known_str().map_err(&err)?)),
            Peek::Array => {
                let mut items = Vec::new();
                let mut next = self.jiter.known_array().map_err(&err)?;
                while let Some(peek) = next {
                    items.push(self.value(peek, depth + 1)?);
                    next = self.jiter.array_step().map_err(&err)?;
                }
                Kind::Arr(items)
            }
            Peek::Object => {
                let mut members = Vec::new();
                let mut key = self.jiter.known_object().map_err(&err)?.map(|k| text(line, k));
                while let Some(k) = key {
                    let peek = self.jiter.peek().map_err(&err)?;
                    if depth == 0 && !(self.keep)(&k) {
                        self.jiter.known_skip(peek).map_err(&err)?;
                        key = self.jiter.next_key().map_err(&err)?.map(|k| text(line, k));
                        continue;
                    }
                    let value = self.value(peek, depth + 1)?;
                    let key_span = key_span_before(line, value.span);
                    members.push(Member { key: k, key_span, value });
                    key = self.jiter.next_key().map_err(&err)?.map(|k| text(line, k));
                }
                Kind::Obj(members)
            }
            _ => {
                let n = self.jiter.known_number_bytes(peek).map_err(&err)?;
                let at = n.as_ptr() as usize - line.as_ptr() as usize;
                Kind::Num(&line[at..at + n.len()])
            }
        };
        let end = self.jiter.current_index();
        Ok(Json { span: Span::new(base + begin, end - begin), kind })
    }
}

/// A string the parser returned: borrowed from the line when it is a slice of it (no escapes).
fn text<'a>(line: &'a str, s: &str) -> Cow<'a, str> {
    let at = (s.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    match line.get(at..at.wrapping_add(s.len())) {
        Some(slice) if slice.as_ptr() == s.as_ptr() => Cow::Borrowed(slice),
        _ => Cow::Owned(s.to_owned()),
    }
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
