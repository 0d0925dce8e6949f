//! Incremental decoder of the Fluent Forward protocol (the msgpack framing Tracker's
//! `--output forward:tcp://…` speaks) over a byte stream that arrives in pieces.
//!
//! Frames are `[tag, time, record, option?]` (Message), `[tag, [[time, record], …], option?]`
//! (Forward), `[tag, bin|str of concatenated [time, record] entries, option?]` (PackedForward) and the
//! same with `option.compressed == "gzip"` (CompressedPackedForward). Each record becomes one Tracker
//! JSON line: its `event` string as sent (Tracker puts the whole event JSON there), or, for a record
//! without one, the record converted to JSON.
//!
//! Before a frame is decoded, a resumable scanner walks its msgpack headers as bytes arrive and
//! checks every bound (frame size, nesting, number of values), so a frame that declares a 4 GiB
//! string is refused from its first five bytes and nothing is allocated from a declared length.

use std::io::Read;
use std::time::Duration;

use rmp::Marker;
use rmpv::Value;

/// Bounds on what one connection may make the decoder hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame, in bytes on the wire.
    pub max_frame: usize,
    /// Largest decompressed entry stream of a CompressedPackedForward frame.
    pub max_decompressed: usize,
    /// Most entries (events) in one frame.
    pub max_entries: usize,
    /// Most msgpack values (of any kind, at any depth) in one frame or entry stream.
    pub max_values: usize,
    /// Deepest nesting of arrays and maps.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame: 16 << 20,
            max_decompressed: 32 << 20,
            max_entries: 100_000,
            max_values: 2_000_000,
            max_depth: 32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("not a Forward frame: {0}")]
    Invalid(String),
    #[error("frame too large: it declares at least {declared} bytes, the limit is {limit}")]
    FrameTooLarge { declared: u64, limit: usize },
    #[error("frame nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("frame holds more than {0} msgpack values")]
    TooManyValues(usize),
    #[error("frame holds more than {0} entries")]
    TooManyEntries(usize),
    #[error("gzip entry stream: {0}")]
    Decompress(String),
    #[error("gzip entry stream decompresses to more than {0} bytes")]
    DecompressedTooLarge(usize),
}

/// One event of a frame: the Tracker JSON line and the time the Forward entry carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub line: Vec<u8>,
    pub time: Option<Duration>,
}

/// What decoding a stream yields, in order: events, and after the last event of a frame that asked
/// for one, the acknowledgement to send back (the msgpack bytes of `{"ack": chunk}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event(Event),
    Ack(Vec<u8>),
}

/// The event lines among decoded items, as text (for tests and diagnostics).
pub fn event_lines(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(String::from_utf8_lossy(&e.line).into_owned()),
            Item::Ack(_) => None,
        })
        .collect()
}

/// Walks msgpack headers without decoding, resumable when the bytes end mid-value.
#[derive(Debug, Default, Clone)]
struct Scan {
    /// Bytes of the value scanned so far.
    pos: usize,
    /// Children still expected by each open array or map.
    open: Vec<u64>,
    values: usize,
    started: bool,
}

enum Step {
    Complete(usize),
    NeedMore,
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}

impl Scan {
    /// Continues over `buf` (the value's bytes from its start; possibly more than before). `limit`
    /// is the most bytes the value may take; `values` the budget of values shared with the caller.
    fn step(&mut self, buf: &[u8], limit: usize, limits: &Limits, values: &mut usize) -> Result<Step, ForwardError> {
        loop {
            if self.started && self.open.is_empty() {
                return Ok(Step::Complete(self.pos));
            }
            let Some(&b) = buf.get(self.pos) else { return Ok(Step::NeedMore) };
            // header length, length field (offset, size) or fixed payload, children
            let (head, len_field, fixed, children): (usize, Option<(usize, usize)>, u64, u64) = match Marker::from_u8(b)
            {
                Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => (1, None, 0, 0),
                Marker::Reserved => return Err(ForwardError::Invalid("byte 0xc1 is not msgpack".into())),
                Marker::U8 | Marker::I8 => (1, None, 1, 0),
                Marker::U16 | Marker::I16 => (1, None, 2, 0),
                Marker::U32 | Marker::I32 | Marker::F32 => (1, None, 4, 0),
                Marker::U64 | Marker::I64 | Marker::F64 => (1, None, 8, 0),
                Marker::FixStr(n) => (1, None, u64::from(n), 0),
                Marker::Str8 | Marker::Bin8 => (2, Some((1, 1)), 0, 0),
                Marker::Str16 | Marker::Bin16 => (3, Some((1, 2)), 0, 0),
                Marker::Str32 | Marker::Bin32 => (5, Some((1, 4)), 0, 0),
                Marker::FixExt1 => (2, None, 1, 0),
                Marker::FixExt2 => (2, None, 2, 0),
                Marker::FixExt4 => (2, None, 4, 0),
                Marker::FixExt8 => (2, None, 8, 0),
                Marker::FixExt16 => (2, None, 16, 0),
                Marker::Ext8 => (3, Some((1, 1)), 0, 0),
                Marker::Ext16 => (4, Some((1, 2)), 0, 0),
                Marker::Ext32 => (6, Some((1, 4)), 0, 0),
                Marker::FixArray(n) => (1, None, 0, u64::from(n)),
                Marker::FixMap(n) => (1, None, 0, 2 * u64::from(n)),
                Marker::Array16 => (3, None, 0, u64::MAX),
                Marker::Array32 => (5, None, 0, u64::MAX),
                Marker::Map16 => (3, None, 0, u64::MAX - 1),
                Marker::Map32 => (5, None, 0, u64::MAX - 1),
            };
            if self.pos + head > limit {
                return Err(ForwardError::FrameTooLarge { declared: (self.pos + head) as u64, limit });
            }
            let Some(header) = buf.get(self.pos..self.pos + head) else { return Ok(Step::NeedMore) };
            let payload = match len_field {
                Some((off, size)) => be(&header[off..off + size]),
                None => fixed,
            };
            let children = match children {
                u64::MAX => be(&header[1..]),
                c if c == u64::MAX - 1 => 2 * be(&header[1..]),
                c => c,
            };
            // every child takes at least one byte, so children count towards the size too
            let end = (self.pos + head) as u64 + payload;
            if end + children > limit as u64 {
                return Err(ForwardError::FrameTooLarge { declared: end + children, limit });
            }
            if end > buf.len() as u64 {
                return Ok(Step::NeedMore);
            }
            if !self.started && !matches!(Marker::from_u8(b), Marker::FixArray(_) | Marker::Array16 | Marker::Array32) {
                return Err(ForwardError::Invalid(format!("expected an array, found byte {b:#04x}")));
            }
            *values += 1;
            self.values += 1;
            if *values > limits.max_values {
                return Err(ForwardError::TooManyValues(limits.max_values));
            }
            self.started = true;
            self.pos = end as usize;
            if let Some(top) = self.open.last_mut() {
                *top -= 1;
            }
            if children > 0 {
                if self.open.len() >= limits.max_depth {
                    return Err(ForwardError::TooDeep(limits.max_depth));
                }
                self.open.push(children);
            }
            while self.open.last() == Some(&0) {
                self.open.pop();
            }
        }
    }
}

/// Decodes a stream of Forward frames fed in pieces of any size.
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    buf: Vec<u8>,
    scan: Scan,
    frames: u64,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder { limits, buf: Vec::new(), scan: Scan::default(), frames: 0 }
    }

    /// Bytes held of a frame not yet complete.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Takes the next bytes of the stream and hands every event and ack of the frames they complete
    /// to `out`. After an error the stream is unusable (the connection should be closed).
    pub fn feed(&mut self, bytes: &[u8], out: &mut dyn FnMut(Item)) -> Result<(), ForwardError> {
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        let result = loop {
            let mut values = self.scan.values;
            match self.scan.step(&self.buf[start..], self.limits.max_frame, &self.limits, &mut values) {
                Err(e) => break Err(e),
                Ok(Step::NeedMore) => break Ok(()),
                Ok(Step::Complete(len)) => {
                    self.scan = Scan::default();
                    let frame = &self.buf[start..start + len];
                    start += len;
                    if let Err(e) = decode_frame(frame, &self.limits, out) {
                        break Err(e);
                    }
                    self.frames += 1;
                }
            }
        };
        if result.is_err() {
            self.buf = Vec::new();
            self.scan = Scan::default();
        } else if start > 0 {
            self.buf.drain(..start);
            self.buf.shrink_to(self.limits.max_frame.min(1 << 20));
        }
        result
    }
}

/// Decodes a whole byte string (frames, possibly ending in an incomplete one, which is left out).
pub fn decode_all(bytes: &[u8], limits: Limits) -> Result<Vec<Item>, ForwardError> {
    let mut items = Vec::new();
    Decoder::new(limits).feed(bytes, &mut |i| items.push(i))?;
    Ok(items)
}

fn invalid(what: &str) -> ForwardError {
    ForwardError::Invalid(what.to_string())
}

fn read_value(bytes: &[u8], limits: &Limits) -> Result<Value, ForwardError> {
    let mut rd = bytes;
    rmpv::decode::read_value_with_max_depth(&mut rd, limits.max_depth + 1)
        .map_err(|e| ForwardError::Invalid(e.to_string()))
}

fn decode_frame(frame: &[u8], limits: &Limits, out: &mut dyn FnMut(Item)) -> Result<(), ForwardError> {
    let Value::Array(mut parts) = read_value(frame, limits)? else { return Err(invalid("expected an array")) };
    if !(2..=4).contains(&parts.len()) {
        return Err(ForwardError::Invalid(format!("an array of {} elements", parts.len())));
    }
    match &parts[0] {
        Value::String(_) | Value::Binary(_) => {}
        _ => return Err(invalid("the tag is not a string")),
    }
    let option_at = match &parts[1] {
        Value::Array(_) | Value::Binary(_) | Value::String(_) => 2,
        _ => 3,
    };
    let option = parts.get_mut(option_at).map(|o| std::mem::replace(o, Value::Nil)).unwrap_or(Value::Nil);
    let option = match option {
        Value::Map(m) => m,
        Value::Nil => Vec::new(),
        _ => return Err(invalid("the option is not a map")),
    };
    let opt = |key: &str| option.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v);
    let chunk = opt("chunk").cloned();
    match std::mem::replace(&mut parts[1], Value::Nil) {
        Value::Array(entries) => {
            if entries.len() > limits.max_entries {
                return Err(ForwardError::TooManyEntries(limits.max_entries));
            }
            for entry in entries {
                out(Item::Event(entry_event(entry)?));
            }
        }
        Value::Binary(stream) => packed(&stream, opt("compressed"), limits, out)?,
        Value::String(stream) => packed(stream.as_bytes(), opt("compressed"), limits, out)?,
        time => {
            let Some(record) = parts.get_mut(2).map(|r| std::mem::replace(r, Value::Nil)) else {
                return Err(invalid("a message without a record"));
            };
            let time = event_time(&time).ok_or_else(|| invalid("the time is neither an integer nor an EventTime"))?;
            out(Item::Event(Event { line: record_line(record)?, time: Some(time) }));
        }
    }
    if let Some(chunk) = chunk {
        let mut ack = Vec::new();
        rmpv::encode::write_value(&mut ack, &Value::Map(vec![(Value::from("ack"), chunk)]))
            .map_err(|e| ForwardError::Invalid(e.to_string()))?;
        out(Item::Ack(ack));
    }
    Ok(())
}

fn packed(
    stream: &[u8],
    compressed: Option<&Value>,
    limits: &Limits,
    out: &mut dyn FnMut(Item),
) -> Result<(), ForwardError> {
    let inflated;
    let stream = match compressed {
        None | Some(Value::Nil) => stream,
        Some(v) if v.as_str() == Some("gzip") => {
            let mut buf = Vec::new();
            flate2::read::MultiGzDecoder::new(stream)
                .take(limits.max_decompressed as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| ForwardError::Decompress(e.to_string()))?;
            if buf.len() > limits.max_decompressed {
                return Err(ForwardError::DecompressedTooLarge(limits.max_decompressed));
            }
            inflated = buf;
            &inflated[..]
        }
        Some(other) => return Err(ForwardError::Invalid(format!("unknown compression {other}"))),
    };
    let mut at = 0;
    let mut entries = 0;
    let mut values = 0;
    while at < stream.len() {
        entries += 1;
        if entries > limits.max_entries {
            return Err(ForwardError::TooManyEntries(limits.max_entries));
        }
        let rest = &stream[at..];
        let len = match Scan::default().step(rest, rest.len(), limits, &mut values)? {
            Step::Complete(len) => len,
            Step::NeedMore => return Err(invalid("the entry stream ends inside an entry")),
        };
        out(Item::Event(entry_event(read_value(&rest[..len], limits)?)?));
        at += len;
    }
    Ok(())
}

fn entry_event(entry: Value) -> Result<Event, ForwardError> {
    let Value::Array(mut pair) = entry else { return Err(invalid("an entry is not an array")) };
    if pair.len() != 2 {
        return Err(invalid("an entry is not [time, record]"));
    }
    let record = pair.pop().unwrap_or(Value::Nil);
    let time = event_time(&pair[0]).ok_or_else(|| invalid("an entry's time is neither an integer nor an EventTime"))?;
    Ok(Event { line: record_line(record)?, time: Some(time) })
}

/// Seconds as an integer (or a float, as some clients send), or Forward's EventTime (ext type 0:
/// seconds and nanoseconds, big-endian u32 each).
fn event_time(v: &Value) -> Option<Duration> {
    match v {
        Value::Integer(i) => i.as_u64().map(Duration::from_secs),
        Value::F64(f) => Duration::try_from_secs_f64(*f).ok(),
        Value::F32(f) => Duration::try_from_secs_f64(f64::from(*f)).ok(),
        Value::Ext(0, data) if data.len() == 8 => {
            Some(Duration::new(be(&data[..4]), (be(&data[4..]) as u32).min(999_999_999)))
        }
        _ => None,
    }
}

/// The Tracker JSON line a record stands for.
fn record_line(record: Value) -> Result<Vec<u8>, ForwardError> {
    let Value::Map(fields) = record else { return Err(invalid("a record is not a map")) };
    let event = fields
        .iter()
        .position(|(k, v)| k.as_str() == Some("event") && matches!(v, Value::String(_) | Value::Binary(_)));
    let mut line = match event {
        Some(i) => match fields.into_iter().nth(i).map(|(_, v)| v) {
            Some(Value::String(s)) => s.into_bytes(),
            Some(Value::Binary(b)) => b,
            _ => unreachable!("checked above"),
        },
        None => serde_json::to_vec(&to_json(Value::Map(fields))).map_err(|e| ForwardError::Invalid(e.to_string()))?,
    };
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(line)
}

fn to_json(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Boolean(b) => J::Bool(b),
        Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(n), _) => J::from(n),
            (None, Some(n)) => J::from(n),
            _ => J::Null,
        },
        Value::F32(f) => serde_json::Number::from_f64(f64::from(f)).map_or(J::Null, J::Number),
        Value::F64(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        Value::String(s) => J::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Value::Binary(b) => J::String(String::from_utf8_lossy(&b).into_owned()),
        Value::Array(a) => J::Array(a.into_iter().map(to_json).collect()),
        Value::Map(m) => J::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                        other => to_json(other).to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Value::Ext(0, data) if data.len() == 8 => {
            let t = Duration::new(be(&data[..4]), (be(&data[4..]) as u32).min(999_999_999));
            serde_json::Number::from_f64(t.as_secs_f64()).map_or(J::Null, J::Number)
        }
        Value::Ext(kind, data) => serde_json::json!({ "ext": kind, "data": data }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: Value) -> Vec<u8> {
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &v).unwrap();
        b
    }

    fn message(line: &str, chunk: Option<&str>) -> Value {
        let mut parts = vec![
            Value::from("tracker"),
            Value::from(1_700_000_000u64),
            Value::Map(vec![(Value::from("event"), Value::from(line))]),
        ];
        if let Some(c) = chunk {
            parts.push(Value::Map(vec![(Value::from("chunk"), Value::from(c))]));
        }
        Value::Array(parts)
    }

    #[test]
    fn message_mode_with_ack() {
        let items = decode_all(&frame(message("{\"eventName\":\"x\"}", Some("abc"))), Limits::default()).unwrap();
        assert_eq!(event_lines(&items), ["{\"eventName\":\"x\"}"]);
        let Item::Ack(ack) = &items[1] else { panic!() };
        assert_eq!(
            read_value(ack, &Limits::default()).unwrap(),
            Value::Map(vec![(Value::from("ack"), Value::from("abc"))])
        );
        let Item::Event(e) = &items[0] else { panic!() };
        assert_eq!(e.time, Some(Duration::from_secs(1_700_000_000)));
    }

    #[test]
    fn event_time_extension() {
        let t = Value::Ext(0, vec![0, 0, 0, 5, 0, 0, 0, 7]);
        let v = Value::Array(vec![Value::from("t"), t, Value::Map(vec![(Value::from("a"), Value::from(1))])]);
        let items = decode_all(&frame(v), Limits::default()).unwrap();
        assert_eq!(items, [Item::Event(Event { line: b"{\"a\":1}".to_vec(), time: Some(Duration::new(5, 7)) })]);
    }

    #[test]
    fn float_times_out_of_range_are_errors_not_panics() {
        // found by the fuzzer: a huge f32 time
        for t in [Value::F32(f32::MAX), Value::F64(1e300), Value::F64(f64::NAN), Value::F64(-1.0)] {
            let v = Value::Array(vec![Value::from("t"), t, Value::Map(vec![])]);
            assert!(matches!(decode_all(&frame(v), Limits::default()), Err(ForwardError::Invalid(_))));
        }
    }

    #[test]
    fn forward_packed_and_compressed_modes() {
        use std::io::Write as _;
        let entry =
            |l: &str| Value::Array(vec![Value::from(1u64), Value::Map(vec![(Value::from("event"), Value::from(l))])]);
        let fwd = Value::Array(vec![Value::from("t"), Value::Array(vec![entry("a"), entry("b")])]);
        assert_eq!(event_lines(&decode_all(&frame(fwd), Limits::default()).unwrap()), ["a", "b"]);
        let stream = [frame(entry("c")), frame(entry("d"))].concat();
        let packed = Value::Array(vec![Value::from("t"), Value::Binary(stream.clone())]);
        assert_eq!(event_lines(&decode_all(&frame(packed), Limits::default()).unwrap()), ["c", "d"]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&stream).unwrap();
        let compressed = Value::Array(vec![
            Value::from("t"),
            Value::Binary(gz.finish().unwrap()),
            Value::Map(vec![(Value::from("compressed"), Value::from("gzip"))]),
        ]);
        assert_eq!(event_lines(&decode_all(&frame(compressed), Limits::default()).unwrap()), ["c", "d"]);
    }

    #[test]
    fn huge_declared_lengths_are_refused_from_the_header() {
        for header in [
            &[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff][..],
            &[0x91, 0xc6, 0xff, 0xff, 0xff, 0xff],
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
        ] {
            let err = decode_all(header, Limits::default()).unwrap_err();
            assert!(matches!(err, ForwardError::FrameTooLarge { .. }), "{err}");
        }
    }

    #[test]
    fn split_frames_give_the_same_events() {
        let bytes = [frame(message("one", Some("c1"))), frame(message("two", None))].concat();
        let whole = decode_all(&bytes, Limits::default()).unwrap();
        for cut in 0..bytes.len() {
            let mut d = Decoder::new(Limits::default());
            let mut items = Vec::new();
            d.feed(&bytes[..cut], &mut |i| items.push(i)).unwrap();
            d.feed(&bytes[cut..], &mut |i| items.push(i)).unwrap();
            assert_eq!(items, whole);
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn deep_nesting_and_garbage_are_errors() {
        let deep = [vec![0x91; 100], vec![0xc0]].concat();
        assert_eq!(decode_all(&deep, Limits::default()).unwrap_err(), ForwardError::TooDeep(32));
        assert!(matches!(decode_all(b"GET / HTTP/1.1\r\n", Limits::default()), Err(ForwardError::Invalid(_))));
        assert!(matches!(decode_all(&[0x93, 0xc1], Limits::default()), Err(ForwardError::Invalid(_))));
    }
}
