//! A JSON value that remembers where each part of it sits in the input line.
//!
//! Read in one pass by a small reader of our own, which knows the byte offset at every step, so
//! tree items can highlight exactly the bytes they came from. Strings without escapes are borrowed
//! from the line; everything else (objects, arrays, unescaped strings) lives in an [`Arena`] that
//! is freed at once, so a value is plain data with nothing to drop. Members a caller does not want
//! are checked and skipped, not built. The reader accepts exactly RFC 8259 JSON (the line is
//! already UTF-8).

use std::cell::RefCell;

use bumpalo::collections::{String as ArenaString, Vec as ArenaVec};
use serde::de;

/// Where a parsed value's objects, arrays and unescaped strings are kept.
pub type Arena = bumpalo::Bump;

/// An arena kept above this size after a use is freed rather than kept for the next.
const ARENA_KEPT: usize = 1 << 20;

/// Runs `f` with an empty arena: this thread's own, reused line after line, or a new one when
/// that is in use further up the stack.
pub fn with_arena<R>(f: impl FnOnce(&Arena) -> R) -> R {
    thread_local! {
        static ARENA: RefCell<Arena> = RefCell::new(Arena::new());
    }
    ARENA.with(|cell| match cell.try_borrow_mut() {
        Ok(mut arena) => {
            if arena.allocated_bytes() > ARENA_KEPT {
                *arena = Arena::new();
            }
            arena.reset();
            f(&arena)
        }
        Err(_) => f(&Arena::new()),
    })
}

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

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Kind<'a> {
    #[default]
    Null,
    /// The literal text, `true` or `false` (see [`Json::as_bool`]): like every other payload a
    /// pointer and a length, as a one-byte payload made each copy of a value a store-forwarding
    /// stall (about a quarter of the reading time).
    Bool(&'a str),
    /// The number's literal text, so 64-bit integers keep every digit.
    Num(&'a str),
    Str(&'a str),
    Arr(&'a [Json<'a>]),
    Obj(&'a [Member<'a>]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member<'a> {
    pub key: &'a str,
    /// Span of the key including its quotes.
    pub key_span: Span,
    pub value: Json<'a>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Json<'a> {
    pub span: Span,
    pub kind: Kind<'a>,
}

pub type Result<T> = std::result::Result<T, serde_json::Error>;

/// Parses one JSON text; spans are relative to the start of `text`.
pub fn parse<'a>(text: &'a str, arena: &'a Arena) -> Result<Json<'a>> {
    parse_in(text, 0, arena)
}

/// Parses the JSON text that starts at byte `start` of `line`; spans are relative to `line`.
pub fn parse_in<'a>(line: &'a str, start: usize, arena: &'a Arena) -> Result<Json<'a>> {
    parse_keeping(line, start, arena, &mut |_| true)
}

/// As [`parse_in`], but of a top-level object only the members whose key `keep` accepts are read
/// (`keep` is asked of every top-level key, in order): the others are checked and skipped, and
/// left out.
pub fn parse_keeping<'a>(
    line: &'a str,
    start: usize,
    arena: &'a Arena,
    keep: &mut dyn FnMut(&str) -> bool,
) -> Result<Json<'a>> {
    let mut reader = Reader {
        line,
        bytes: line.as_bytes(),
        pos: start,
        arena,
        members: ArenaVec::new_in(arena),
        items: ArenaVec::new_in(arena),
    };
    reader.white_space();
    reader.items.push(Json::default());
    reader.value(0, Slot::Item(0), Some(keep))?;
    reader.white_space();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(reader.items[0])
}

/// Where `Reader::value` stores a value: a member or an item on the reader's stacks.
#[derive(Clone, Copy)]
enum Slot {
    Member(usize),
    Item(usize),
}

/// Nesting deeper than this is refused (an error, so the line shows as malformed): Tracker's events
/// nest a handful of levels, and a hostile line nested 100,000 deep must not exhaust the stack.
pub const MAX_DEPTH: usize = 128;

struct Reader<'a> {
    line: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    pos: usize,
    arena: &'a Arena,
    /// Members and items of the objects and arrays being read, innermost last: each is copied
    /// into the arena, at its exact size, when it closes.
    members: ArenaVec<'a, Member<'a>>,
    items: ArenaVec<'a, Json<'a>>,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> serde_json::Error {
        de::Error::custom(format!("{what} at byte {}", self.pos))
    }

    #[inline]
    fn white_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Steps over `byte` (after white space), or says what was expected.
    #[inline]
    fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        self.white_space();
        if self.bytes.get(self.pos) != Some(&byte) {
            return Err(self.error(what));
        }
        self.pos += 1;
        Ok(())
    }

    /// After a member or an element: true at the end of the object or array (`close`), false
    /// after a comma.
    #[inline]
    fn at_end(&mut self, close: u8) -> Result<bool> {
        self.white_space();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                self.white_space();
                Ok(false)
            }
            Some(&b) if b == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.error(if close == b'}' { "expected `,` or `}`" } else { "expected `,` or `]`" })),
        }
    }

    /// Steps into an object or array (at its opening bracket): true when it is empty (and has
    /// been read), refused when nested too deep.
    #[inline]
    fn open(&mut self, depth: usize, close: u8) -> Result<bool> {
        if depth > MAX_DEPTH {
            return Err(de::Error::custom(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.pos += 1;
        self.white_space();
        let empty = self.bytes.get(self.pos) == Some(&close);
        self.pos += empty as usize;
        Ok(empty)
    }

    /// A member's key and its span (quotes included), and the colon after it.
    #[inline]
    fn key(&mut self) -> Result<(&'a str, Span)> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a key"));
        }
        let start = self.pos;
        let key = self.string()?;
        let span = Span::new(start, self.pos - start);
        self.expect(b':', "expected `:`")?;
        self.white_space();
        Ok((key, span))
    }

    /// Reads the value at the reading position into `slot`; of an object at depth 0, only the
    /// members `keep` accepts. (The value is stored where it goes, not returned: copying a value
    /// just written, as a return does, costs a store-forwarding stall.)
    fn value(&mut self, depth: usize, slot: Slot, keep: Option<&mut dyn FnMut(&str) -> bool>) -> Result<()> {
        let begin = self.pos;
        let kind = match self.bytes.get(self.pos) {
            Some(b'{') => {
                let first = self.members.len();
                let mut keep = keep;
                if !self.open(depth, b'}')? {
                    loop {
                        let (key, key_span) = self.key()?;
                        if keep.as_mut().is_none_or(|keep| keep(key)) {
                            self.members.push(Member { key, key_span, value: Json::default() });
                            self.value(depth + 1, Slot::Member(self.members.len() - 1), None)?;
                        } else {
                            self.skip(depth + 1)?;
                        }
                        if self.at_end(b'}')? {
                            break;
                        }
                    }
                }
                let members = self.arena.alloc_slice_copy(&self.members[first..]);
                self.members.truncate(first);
                Kind::Obj(members)
            }
            Some(b'[') => {
                let first = self.items.len();
                if !self.open(depth, b']')? {
                    loop {
                        self.items.push(Json::default());
                        self.value(depth + 1, Slot::Item(self.items.len() - 1), None)?;
                        if self.at_end(b']')? {
                            break;
                        }
                    }
                }
                let items = self.arena.alloc_slice_copy(&self.items[first..]);
                self.items.truncate(first);
                Kind::Arr(items)
            }
            _ => self.scalar()?,
        };
        let value = Json { span: Span::new(begin, self.pos - begin), kind };
        match slot {
            Slot::Member(at) => self.members[at].value = value,
            Slot::Item(at) => self.items[at] = value,
        }
        Ok(())
    }

    /// Checks and steps over the value at the reading position, building nothing.
    fn skip(&mut self, depth: usize) -> Result<()> {
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                if !self.open(depth, b'}')? {
                    loop {
                        self.key()?;
                        self.skip(depth + 1)?;
                        if self.at_end(b'}')? {
                            break;
                        }
                    }
                }
            }
            Some(b'[') => {
                if !self.open(depth, b']')? {
                    loop {
                        self.skip(depth + 1)?;
                        if self.at_end(b']')? {
                            break;
                        }
                    }
                }
            }
            _ => drop(self.scalar()?),
        }
        Ok(())
    }

    /// A string, number, `true`, `false` or `null`.
    #[inline(always)]
    fn scalar(&mut self) -> Result<Kind<'a>> {
        let literal = |reader: &mut Self, word: &str, kind: Kind<'a>| {
            if reader.bytes[reader.pos..].starts_with(word.as_bytes()) {
                reader.pos += word.len();
                Ok(kind)
            } else {
                Err(reader.error("expected value"))
            }
        };
        match self.bytes.get(self.pos) {
            Some(b'"') => Ok(Kind::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Num(self.number()?)),
            Some(b't') => literal(self, "true", Kind::Bool("true")),
            Some(b'f') => literal(self, "false", Kind::Bool("false")),
            Some(b'n') => literal(self, "null", Kind::Null),
            Some(_) => Err(self.error("expected value")),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    /// The string whose opening quote is at the reading position: borrowed from the line when it
    /// has no escapes, else unescaped into the arena.
    #[inline]
    fn string(&mut self) -> Result<&'a str> {
        let start = self.pos + 1;
        let end = plain_run_end(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(&self.line[start..end]);
        }
        self.pos = end;
        self.escaped_string(start)
    }

    /// The rest of a string that has escapes (or is cut short, or holds a control character).
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Result<&'a str> {
        let mut text = ArenaString::from_str_in(&self.line[start..self.pos], self.arena);
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(text.into_bump_str());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    text.push(self.escape()?);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("EOF while parsing a string")),
            }
            let end = plain_run_end(self.bytes, self.pos);
            text.push_str(&self.line[self.pos..end]);
            self.pos = end;
        }
    }

    /// The character an escape stands for (the reading position after its backslash).
    fn escape(&mut self) -> Result<char> {
        let c = match self.bytes.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        // a leading surrogate: its trailing half must follow
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate in hex escape")),
                    _ => unit,
                };
                return char::from_u32(code).ok_or_else(|| self.error("invalid escape"));
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.pos += 1;
        Ok(c)
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error("EOF while parsing a string"))?;
        let mut unit = 0;
        for &d in digits {
            let v = (d as char).to_digit(16).ok_or_else(|| self.error("invalid escape"))?;
            unit = unit * 16 + v;
        }
        self.pos += 4;
        Ok(unit)
    }

    /// A number's literal text: `-`, an integer part without leading zeros, a fraction, an exponent.
    fn number(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let digits = |reader: &mut Self| {
            let from = reader.pos;
            while reader.bytes.get(reader.pos).is_some_and(u8::is_ascii_digit) {
                reader.pos += 1;
            }
            reader.pos > from
        };
        self.pos += (self.bytes[self.pos] == b'-') as usize;
        let whole = match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                true
            }
            _ => digits(self),
        };
        let mut valid = whole;
        if valid && self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            valid = digits(self);
        }
        if valid && matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            self.pos += matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) as usize;
            valid = digits(self);
        }
        if !valid {
            return Err(self.error("invalid number"));
        }
        Ok(&self.line[start..self.pos])
    }
}

/// Where the run of plain string bytes from `i` ends: at the first quote, backslash or control
/// character (or the end). Eight bytes at a time.
fn plain_run_end(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let has_zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // bytes equal to `"` or `\`, or below 0x20 (the lowest flagged byte is always a true one)
        let found = has_zero_byte(w ^ (ONES * b'"' as u64))
            | has_zero_byte(w ^ (ONES * b'\\' as u64))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
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

    pub fn members(&self) -> &'a [Member<'a>] {
        match self.kind {
            Kind::Obj(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &'a [Json<'a>] {
        match self.kind {
            Kind::Arr(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
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
            Kind::Str(s) => {
                let s = s.trim();
                plain_int(s).or_else(|| s.parse().ok())
            }
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
            Kind::Bool(b) => Some(*b == "true"),
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
    pub fn display<'s>(&self, line: &'s str) -> &'s str
    where
        'a: 's,
    {
        match self.kind {
            Kind::Str(s) => s,
            _ => self.raw(line),
        }
    }
}

/// Integers written as `12`, `-3`, or `1.0e3`-free floats that are whole (`5.0`).
fn parse_int_literal(n: &str) -> Option<i128> {
    if let Some(v) = plain_int(n) {
        return Some(v);
    }
    if let Ok(v) = n.parse::<i128>() {
        return Some(v);
    }
    let f: f64 = n.parse().ok()?;
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i128)
}

/// Up to 19 digits, with a minus or not (they always fit 64 bits): most integers of an event,
/// timestamps included, read eight digits at a time.
fn plain_int(n: &str) -> Option<i128> {
    let (negative, digits) = match n.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut chunks = digits.chunks_exact(8);
    let mut v = 0u64;
    for chunk in &mut chunks {
        v = v * 100_000_000 + eight_digits(u64::from_le_bytes(chunk.try_into().expect("eight bytes")))?;
    }
    for &d in chunks.remainder() {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    let v = i128::from(v);
    Some(if negative { -v } else { v })
}

/// Eight ASCII digits (the first in the lowest byte) as their number; `None` when one is no digit.
fn eight_digits(chunk: u64) -> Option<u64> {
    // every byte 0x30..=0x39: its high nibble is 3, and adding 6 leaves the high nibble alone
    let high = chunk & 0xF0F0_F0F0_F0F0_F0F0;
    let carried = (chunk.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | carried != 0x3333_3333_3333_3333 {
        return None;
    }
    // combine neighbours: 8 digits -> 4 pairs -> 2 quads -> 1 number
    let v = (chunk & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(10 * 256 + 1) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 * 65_536 + 1) >> 16;
    Some((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 * (1 << 32) + 1) >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_eight_digits_at_a_time_are_what_the_general_parser_reads() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut numbers: Vec<String> = ["0", "-0", "7", "-42", "12345678", "123456789", "9999999999999999999"]
            .into_iter()
            .chain(["-9223372036854775808", "1700000000123456789", "10000000", "99999999", "0000000012"])
            .map(String::from)
            .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 1 + (x % 19) as u32;
            let n = x % 10u64.pow(digits);
            numbers.push(if x & 1 == 0 { n.to_string() } else { format!("-{n}") });
        }
        for n in &numbers {
            assert_eq!(plain_int(n), Some(n.parse::<i128>().unwrap()), "{n}");
        }
        for n in ["", "-", "--1", "+5", "1a", "0x10", "12345678a", "1234567:", "1234567/", "123456789012345678 ", "5.0"] {
            assert_eq!(plain_int(n), None, "{n}");
        }
        // 20 digits and more, fractions and exponents: the general reading
        assert_eq!(parse_int_literal("18446744073709551615"), Some(u64::MAX.into()));
        assert_eq!(parse_int_literal("-18446744073709551616"), Some(-18446744073709551616));
        assert_eq!(parse_int_literal("5.0"), Some(5));
        assert_eq!(parse_int_literal("5.5"), None);
        let arena = Arena::new();
        let v = parse(r#"[" 12 ", "+5", "-3", "170141183460469231731687303715884105727", "x"]"#, &arena).unwrap();
        let read: Vec<Option<i128>> = v.items().iter().map(Json::as_i128).collect();
        assert_eq!(read, [Some(12), Some(5), Some(-3), Some(i128::MAX), None]);
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let line = r#"{"a": 1, "b" :"x\"y", "c":[true,null,{"d":18446744073709551615}]}"#;
        let arena = Arena::new();
        let v = parse(line, &arena).unwrap();
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
        let arena = Arena::new();
        let v = parse(r#"{"k":1,"k":2}"#, &arena).unwrap();
        assert_eq!(v.members().len(), 2);
        assert_eq!(v.get("k").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn invalid_json_is_an_error_not_a_panic() {
        assert!(parse("{\"a\":", &Arena::new()).is_err());
        assert!(parse("", &Arena::new()).is_err());
        assert!(parse(&"[".repeat(100_000), &Arena::new()).is_err());
    }

    #[test]
    fn escaped_keys_get_a_span() {
        let line = r#"{"a\"b":2}"#;
        let arena = Arena::new();
        let v = parse(line, &arena).unwrap();
        let m = &v.members()[0];
        assert_eq!(m.key, "a\"b");
        assert_eq!(m.key_span, Span::new(1, 6));
    }

    /// A use of the thread's arena inside another gets an arena of its own, and values read in
    /// each stay as read.
    #[test]
    fn nested_uses_of_the_thread_arena_do_not_share_it() {
        with_arena(|outer| {
            let a = parse(r#"{"a":["x\ty",1]}"#, outer).unwrap();
            let inner =
                with_arena(|inner| parse(r#"["p\nq"]"#, inner).unwrap().items()[0].as_str().map(str::to_string));
            assert_eq!(inner.as_deref(), Some("p\nq"));
            assert_eq!(a.path(&["a"]).unwrap().items()[0].as_str(), Some("x\ty"));
        });
    }
}
