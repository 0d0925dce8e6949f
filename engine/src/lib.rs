//! Trackershark engine: reads Tracker (Tracee) JSON event lines and produces a typed event model and
//! an ordered list of dissection items (field, value, byte range, nesting) for any front end to walk.
//! Knows nothing of Lua or Wireshark.

pub mod args;
pub mod cache;
pub mod events;
pub mod fields;
pub mod json;
pub mod line;
pub mod model;
pub mod network;
pub mod pcapng;
pub mod plugin_input;
pub mod reading;
pub mod schema;
pub mod structs;
pub mod tree;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

pub use fields::{Catalog, FieldDef, FieldId, FieldType, F};
pub use line::{classify, sniff, LineInfo, LineKind, LineSplitter};
pub use model::Event;
pub use schema::Format;
pub use tree::{ArgValue, Expert, ExpertKind, Item, Timestamp, Value};

use json::Span;
use tree::Tree;

/// Protocol column text for events and for signatures.
pub const PROTO_EVENT: &str = "TRACKER";
pub const PROTO_SIGNATURE: &str = "TRACKER/SIG";

/// Longest Info column text; longer text ends in "…".
pub const INFO_MAX: usize = 400;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("line is not valid UTF-8 (at byte {0})")]
    Utf8(usize),
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a Tracker event: {0}")]
    NotAnEvent(&'static str),
}

/// Everything a front end needs to show one line.
#[derive(Debug)]
pub struct Dissection {
    /// "TRACKER" or "TRACKER/SIG".
    pub protocol: &'static str,
    pub info: String,
    /// Items in tree order; spans are relative to the start of the line (prefix included).
    pub items: Vec<Item>,
    pub experts: Vec<Expert>,
    /// Where the arguments' values are in the line (for `plugin_input`).
    pub arg_values: Vec<ArgValue>,
    /// Packet bytes the event carries, for the front end to hand to Wireshark's own dissectors.
    pub packet: Option<network::RawPacket>,
    /// The schema the line was written in, when it is an event.
    format: Option<Format>,
    /// How many of `items` the schema mapping made: the typed event is read from these.
    mapped_items: usize,
    /// The typed event, read from the items the first time it is asked for (showing an event
    /// needs only the items).
    event: OnceLock<Event>,
}

impl Dissection {
    /// The schema the line was written in, when it is an event.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    pub fn is_event(&self) -> bool {
        self.format.is_some()
    }

    /// The typed event, when the line is one.
    pub fn event(&self) -> Option<&Event> {
        let format = self.format?;
        let mapped = &self.items[..self.mapped_items.min(self.items.len())];
        Some(self.event.get_or_init(|| Event::from_items(mapped, format)))
    }

    /// The Source/Destination columns: the last mirrored `ip(v6).src` / `ip(v6).dst` of the event,
    /// with whether it is IPv6.
    fn address_columns(&self) -> [Option<(&str, bool)>; 2] {
        let cat = Catalog::get();
        let mut columns = [None, None];
        for item in self.items.iter().filter(|i| cat.is_native(i.field)) {
            let Value::Str(text) = &item.value else { continue };
            let (column, v6) = match cat.def(item.field).abbrev.as_str() {
                "ip.src" => (0, false),
                "ipv6.src" => (0, true),
                "ip.dst" => (1, false),
                "ipv6.dst" => (1, true),
                _ => continue,
            };
            columns[column] = Some((text.as_str(), v6));
        }
        columns
    }

    pub fn columns(&self) -> Columns {
        let addresses = self.address_columns().map(|a| a.map(|(text, v6)| (text.to_string(), v6)));
        Columns { protocol: self.protocol, info: self.info.clone(), addresses, packet: self.packet.clone() }
    }
}

/// What the packet list shows of a line (Protocol, Info, Source and Destination), and the packet an
/// event carries (whose own dissectors fill the columns in turn).
#[derive(Debug, PartialEq)]
pub struct Columns {
    pub protocol: &'static str,
    pub info: String,
    /// Source and destination addresses as text, each with whether it is IPv6.
    pub addresses: [Option<(String, bool)>; 2],
    pub packet: Option<network::RawPacket>,
}

/// How much of a line is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Everything,
    /// Only the top-level members the columns come from (`schema::feeds_columns`).
    Columns,
}

/// Dissects one line (without its line terminator). Never panics: an internal fault becomes an
/// expert item on an otherwise minimal tree.
pub fn dissect(line: &[u8]) -> Dissection {
    dissect_reading(line, Reading::Everything)
}

/// The columns of a line, the same as `dissect(line).columns()`, at a fraction of the cost: the
/// process, container and other context an event mostly consists of is skipped, not read.
pub fn columns(line: &[u8]) -> Columns {
    let d = dissect_reading(line, Reading::Columns);
    if d.is_event() {
        d.columns()
    } else {
        // no event: the full reading says why, in its words
        dissect(line).columns()
    }
}

/// What `classify` says of a line and, when it is an event, its columns (as `columns` gives them),
/// from one reading of the line where that is enough: a file reader asks the first, the packet
/// list the second, of each line in turn.
pub fn classify_and_columns(line: &[u8]) -> (LineInfo, Option<Columns>) {
    let one_reading = catch_unwind(AssertUnwindSafe(|| {
        check_test_panic(line);
        let (json_start, prefix) = line::locate(line)?;
        let (time, read) = json::with_arena(|arena| {
            let (text, root) = read_root(line, json_start, Reading::Columns, arena).ok()?;
            let time = line::event_time(&root, text)?;
            Some((time, event_dissection(line, text, &root, prefix).map(|d| d.columns())))
        })?;
        let columns = read.unwrap_or_else(|_| dissect(line).columns());
        Some((LineInfo { kind: LineKind::Event, json_start, prefix, time }, columns))
    }));
    match one_reading {
        Ok(Some((info, columns))) => (info, Some(columns)),
        // not plainly an event (a log line, a malformed one), or a fault: one question at a time
        _ => {
            let info = classify(line);
            let columns = (info.kind == LineKind::Event).then(|| columns(line));
            (info, columns)
        }
    }
}

fn dissect_reading(line: &[u8], reading: Reading) -> Dissection {
    match catch_unwind(AssertUnwindSafe(|| dissect_inner(line, reading))) {
        Ok(d) => d,
        Err(panic) => {
            let msg = panic_message(&panic);
            failed(line, ExpertKind::InternalError, format!("internal error while dissecting: {msg}"))
        }
    }
}

pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

fn dissect_inner(line: &[u8], reading: Reading) -> Dissection {
    check_test_panic(line);
    // the full parse is the check: the line is classified only to say why it is no event
    let (json_start, prefix) = line::locate(line).unwrap_or((0, None));
    let read = json::with_arena(|arena| {
        read_root(line, json_start, reading, arena).and_then(|(text, root)| event_dissection(line, text, &root, prefix))
    });
    match read {
        Ok(d) => d,
        Err(e) => {
            let kind = match line::classify(line).kind {
                LineKind::Log => "Tracker log line",
                LineKind::Blank => "blank line",
                _ => "malformed",
            };
            let mut d = failed(line, ExpertKind::Malformed, e.to_string());
            d.info = format!("[{kind}] {e}");
            d
        }
    }
}

/// Test hook: lines containing `$TRACKERSHARK_TEST_PANIC` make the engine panic, to show that a
/// fault inside it never takes the front end down. Read once.
fn check_test_panic(line: &[u8]) {
    static MARKER: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    let marker = MARKER.get_or_init(|| {
        std::env::var_os("TRACKERSHARK_TEST_PANIC").filter(|v| !v.is_empty()).map(|v| v.into_encoded_bytes())
    });
    if let Some(marker) = marker {
        if line.windows(marker.len()).any(|w| w == marker.as_slice()) {
            panic!("forced panic for testing (TRACKERSHARK_TEST_PANIC)");
        }
    }
}

/// The line as text, and the JSON text in it from `start` read as `reading` says.
fn read_root<'a>(
    line: &'a [u8],
    start: usize,
    reading: Reading,
    arena: &'a json::Arena,
) -> Result<(&'a str, json::Json<'a>), Error> {
    let text = std::str::from_utf8(line).map_err(|e| Error::Utf8(e.valid_up_to()))?;
    let root = match reading {
        Reading::Everything => json::parse_in(text, start, arena)?,
        Reading::Columns => json::parse_keeping(text, start, arena, &mut schema::feeds_columns)?,
    };
    Ok((text, root))
}

/// The dissection of an event line whose JSON (`root`, in `text`) has been read.
fn event_dissection(
    line: &[u8],
    text: &str,
    root: &json::Json,
    prefix: Option<(usize, usize)>,
) -> Result<Dissection, Error> {
    if !matches!(root.kind, json::Kind::Obj(_)) {
        return Err(Error::NotAnEvent("the line is not a JSON object"));
    }
    let format = Format::detect(root).ok_or(Error::NotAnEvent("no event name or id"))?;

    let mut tree = Tree::new();
    // the event item covers the whole line (a `kubectl --prefix` prefix included), as the packet does
    tree.open(F::Event, Span::new(0, line.len()), Value::None, Some(Catalog::get().def(F::Event.into()).name.clone()));
    if let Some((p, len)) = prefix {
        tree.push(F::LogSource, Span::new(p, len), Value::Str(text[p..p + len].into()), None);
    }
    tree.push(F::Format, root.span, Value::Str(format.name().into()), None);
    let mapped = schema::map_event(&mut tree, text, root, format);
    tree.close();

    let Tree { mut items, experts, arg_values, .. } = tree;
    let protocol = if mapped.is_signature { PROTO_SIGNATURE } else { PROTO_EVENT };
    let info_text = info_text(&mapped.name, &mapped.arg_texts);
    // (the typed event's name: the schema makes one event-name item, near the top)
    let name_item = items.iter().find(|i| i.field == F::EventName as FieldId);
    let event_name = name_item.and_then(|i| i.value.as_str()).unwrap_or("");
    let packet = network::raw_packet(event_name, &arg_values, text);
    let natives = network::native_items(event_name, &items);
    let mapped_items = items.len();
    items.extend(natives);
    Ok(Dissection {
        protocol,
        info: info_text,
        items,
        experts,
        arg_values,
        packet,
        format: Some(format),
        mapped_items,
        event: OnceLock::new(),
    })
}

/// A minimal tree for a line that could not be dissected: the line itself and why.
fn failed(line: &[u8], kind: ExpertKind, text: String) -> Dissection {
    let label = Some(Catalog::get().def(F::Event.into()).name.clone());
    let item = Item { field: F::Event.into(), depth: 0, span: Span::new(0, line.len()), value: Value::None, label };
    Dissection {
        protocol: PROTO_EVENT,
        info: format!("[{}] {}", kind.title(), text),
        items: vec![item],
        experts: vec![Expert { kind, text, item: Some(0) }],
        arg_values: Vec::new(),
        packet: None,
        format: None,
        mapped_items: 0,
        event: OnceLock::new(),
    }
}

/// `name: a=1, b="x"`, cut at [`INFO_MAX`].
fn info_text(name: &str, args: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2 + args.len());
    s.push_str(name);
    if !args.is_empty() {
        s.push_str(": ");
        s.push_str(args);
    }
    truncate(s, INFO_MAX)
}

pub fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let cut = args::floor_char_boundary(&s, max);
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `2024-01-01 00:00:00.000000001 UTC`.
pub fn format_time(t: Timestamp) -> String {
    let mut s = String::with_capacity(33);
    write_time(&mut s, t);
    s
}

/// Appends [`format_time`] to `s`.
pub fn write_time(s: &mut String, t: Timestamp) {
    // years 0 to 9999 written digit by digit: labels of every event carry a time
    let (year, month, day) = civil_from_days(t.secs.div_euclid(86_400));
    if (0..=9999).contains(&year) && t.nanos < 1_000_000_000 {
        let of_day = t.secs.rem_euclid(86_400) as u64;
        let mut text = *b"0000-00-00 00:00:00.000000000 UTC";
        for (n, digits) in [
            (year as u64, 0..4),
            (month, 5..7),
            (day, 8..10),
            (of_day / 3600, 11..13),
            (of_day / 60 % 60, 14..16),
            (of_day % 60, 17..19),
            (t.nanos as u64, 20..29),
        ] {
            let mut n = n;
            for d in text[digits].iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        s.push_str(std::str::from_utf8(&text).expect("ASCII digits"));
        return;
    }
    match time::OffsetDateTime::from_unix_timestamp_nanos(t.as_nanos()) {
        Ok(dt) => s.push_str(&calendar_text(dt)),
        Err(_) => Value::Time(t).write_text(s),
    }
}

fn calendar_text(dt: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09} UTC",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.nanosecond()
    )
}

/// Year, month, day of a count of days since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit-by-digit path writes what the calendar library does.
    #[test]
    fn format_time_matches_the_calendar_library() {
        let reference =
            |t: Timestamp| calendar_text(time::OffsetDateTime::from_unix_timestamp_nanos(t.as_nanos()).unwrap());
        let mut secs: i64 = -62_167_219_200; // 0000-01-01
        while secs < 253_402_300_800 {
            for t in [Timestamp { secs, nanos: 0 }, Timestamp { secs: secs + 86_399, nanos: 999_999_999 }] {
                assert_eq!(format_time(t), reference(t), "{t:?}");
            }
            secs += 86_400 * 17 + 3_601;
        }
        assert_eq!(format_time(Timestamp { secs: 1_700_000_000, nanos: 1 }), "2023-11-14 22:13:20.000000001 UTC");
        assert_eq!(format_time(Timestamp { secs: 0, nanos: 0 }), "1970-01-01 00:00:00.000000000 UTC");
        // past what the calendar can write: the number of seconds, as the value's text is
        let far = Timestamp { secs: i64::MAX, nanos: 5 };
        assert_eq!(format_time(far), "9223372036854775807.000000005");
        assert_eq!(format_time(far), Value::Time(far).text().as_str());
    }
}
