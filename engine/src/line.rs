//! What a line of a Tracker log is, before any full parse: an event, Tracker's own log line, blank,
//! or something else; where its JSON starts (after a `kubectl logs --prefix`/`--timestamps` prefix);
//! and its time.

use crate::args::time_value;
use crate::json::{self, Json, Kind};
use crate::tree::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    /// An event (or finding) the dissector can show.
    Event,
    /// Tracker's own log output (`{"level":…,"msg":…}`): not an event.
    Log,
    /// Anything else: kept as a frame so nothing is lost, and flagged as malformed.
    Garbage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    pub kind: LineKind,
    /// Byte offset of the JSON text in the line.
    pub json_start: usize,
    /// The `kubectl logs` prefix, without the trailing space (e.g. `[pod/tracee-x/tracee]`).
    pub prefix: Option<(usize, usize)>,
    pub time: Option<Timestamp>,
}

/// The top-level keys that tell events from log lines, and the time, read in one pass over a JSON
/// object whose other values are skipped, not built.
#[derive(Default)]
struct Probe<'a> {
    /// Which of [`PROBE_KEYS`] the object has.
    keys: u32,
    /// The raw `timestamp` value.
    timestamp: Option<&'a str>,
    /// A finding's raw `Context.timestamp`.
    context_timestamp: Option<&'a str>,
}

const PROBE_KEYS: [&str; 15] = [
    "timestamp",
    "Context",
    "eventName",
    "eventId",
    "eventID",
    "name",
    "workload",
    "data",
    "threat",
    "policies",
    "SigMetadata",
    "level",
    "L",
    "msg",
    "M",
];

fn bit(key: &str) -> u32 {
    PROBE_KEYS.iter().position(|k| *k == key).map_or(0, |i| 1 << i)
}

impl<'a> Probe<'a> {
    /// Reads a JSON object (and checks the whole text is valid JSON); `None` for anything else.
    /// Only the members the time comes from are built; the others are checked and skipped.
    fn read(text: &'a str) -> Option<Probe<'a>> {
        let mut keys = 0;
        let mut probe = json::with_arena(|arena| {
            let root = json::parse_keeping(text, 0, arena, &mut |key| {
                keys |= bit(key);
                key == "timestamp" || key == "Context"
            })
            .ok()?;
            Probe::of_object(&root, text)
        })?;
        probe.keys = keys;
        Some(probe)
    }

    /// The probe of an object already read (`json::parse_keeping`): the members left out of it
    /// count as absent.
    fn of_object(root: &Json, text: &'a str) -> Option<Probe<'a>> {
        let Kind::Obj(members) = &root.kind else { return None };
        let mut probe = Probe::default();
        for member in *members {
            let b = bit(member.key);
            let first = probe.keys & b == 0;
            if b == bit("Context") && first {
                if let Kind::Obj(_) = member.value.kind {
                    probe.context_timestamp = member.value.get("timestamp").map(|t| t.raw(text));
                }
            } else if b == bit("timestamp") && first {
                probe.timestamp = Some(member.value.raw(text));
            }
            probe.keys |= b;
        }
        Some(probe)
    }

    fn has(&self, key: &str) -> bool {
        self.keys & bit(key) != 0
    }

    fn is_event(&self) -> bool {
        self.has("eventName")
            || self.has("eventId")
            || self.has("eventID")
            || (self.has("Context") && self.has("SigMetadata"))
            || (self.has("name")
                && (self.has("workload")
                    || self.has("data")
                    || self.has("threat")
                    || self.has("policies")
                    || self.has("timestamp")))
    }

    fn is_log(&self) -> bool {
        (self.has("level") || self.has("L")) && (self.has("msg") || self.has("M"))
    }

    fn time(&self) -> Option<Timestamp> {
        // a finding carries the time inside its context
        let raw = self.timestamp.or(self.context_timestamp)?;
        json::with_arena(|arena| time_value(&json::parse(raw, arena).ok()?))
    }
}

/// Where the JSON text of a line starts, and its `kubectl logs` prefix if any (`None`: blank line).
pub fn locate(line: &[u8]) -> Option<(usize, Option<(usize, usize)>)> {
    let first = line.iter().position(|b| !b.is_ascii_whitespace())?;
    Some(match split_prefix(line, first) {
        Some((prefix, start)) => (start, Some(prefix)),
        None => (first, None),
    })
}

pub fn classify(line: &[u8]) -> LineInfo {
    let mut info = LineInfo { kind: LineKind::Garbage, json_start: 0, prefix: None, time: None };
    let Some((json_start, prefix)) = locate(line) else {
        info.kind = LineKind::Blank;
        return info;
    };
    info.json_start = json_start;
    info.prefix = prefix;
    let Ok(text) = std::str::from_utf8(&line[json_start..]) else {
        return info;
    };
    match Probe::read(text) {
        Some(p) if p.is_event() => {
            info.kind = LineKind::Event;
            info.time = p.time();
        }
        Some(p) if p.is_log() => info.kind = LineKind::Log,
        _ => {}
    }
    info
}

/// The time of a line whose top-level object was read with some members left out, when the members
/// read make it an event; `classify` says the same of such a line (more members cannot unmake an
/// event). `None`: ask `classify`.
pub(crate) fn event_time(root: &Json, text: &str) -> Option<Option<Timestamp>> {
    let probe = Probe::of_object(root, text)?;
    probe.is_event().then(|| probe.time())
}

/// Finds a `kubectl logs` prefix: one or more space-separated tokens before the JSON, each either a
/// bracketed source (`[pod/name/container]`) or an RFC 3339 time (`--timestamps`).
fn split_prefix(line: &[u8], first: usize) -> Option<((usize, usize), usize)> {
    if line[first] == b'{' {
        return None;
    }
    let brace = first + line[first..].iter().position(|&b| b == b'{')?;
    let head = std::str::from_utf8(&line[first..brace]).ok()?;
    if !head.ends_with(' ') && !head.ends_with('\t') {
        return None;
    }
    let ok = head.split_whitespace().all(|tok| {
        (tok.starts_with('[') && tok.ends_with(']') && !tok.contains('"'))
            || (tok.as_bytes().first().is_some_and(u8::is_ascii_digit) && crate::args::parse_rfc3339(tok).is_some())
    });
    let trimmed = head.trim_end();
    (ok && !trimmed.is_empty()).then_some(((first, trimmed.len()), brace))
}

/// Whether the start of a file looks like a Tracker JSON-lines log (for file-type detection).
/// Looks at the first lines only; Tracker's own log lines may come before the first event.
pub fn sniff(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let mut seen_log = false;
    let mut checked = 0;
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        if is_last && head.len() >= 4096 {
            // a line cut off by the read size: judge an opening line by its first keys
            return checked == 0 && !seen_log && looks_like_event_start(line);
        }
        match classify(line).kind {
            LineKind::Blank => continue,
            LineKind::Event => return true,
            LineKind::Log => seen_log = true,
            LineKind::Garbage => return false,
        }
        checked += 1;
        if checked >= 64 {
            break;
        }
    }
    seen_log
}

/// The start of a (long) event line: a JSON object naming Tracker event keys early on.
fn looks_like_event_start(line: &[u8]) -> bool {
    let Some(first) = line.iter().position(|b| !b.is_ascii_whitespace()) else { return false };
    let start = split_prefix(line, first).map(|(_, s)| s).unwrap_or(first);
    line.get(start) == Some(&b'{')
        && [&b"\"eventName\":"[..], b"\"eventId\":", b"\"SigMetadata\":", b"\"workload\":", b"\"threat\":"]
            .iter()
            .any(|key| line.windows(key.len()).any(|w| w == *key))
}

/// A log read in blocks: blocks go in, lines come out with their offsets in the file. A line ends
/// at `\n` (a `\r` before it is left out, as Wireshark's `File:read("*l")` does); the last line
/// needs none. Holds one block and the line it ends in.
#[derive(Default)]
pub struct LineSplitter {
    /// Bytes read and not yet handed out, from `buffer[start]` on.
    buffer: Vec<u8>,
    start: usize,
    /// Where `buffer[0]` is in the file.
    offset: u64,
    /// No more blocks will come.
    at_end: bool,
}

impl LineSplitter {
    /// Adds a block (`None`: the end of the file).
    pub fn feed(&mut self, block: Option<&[u8]>) {
        self.fill(block.map_or(0, <[u8]>::len), |room| {
            room.copy_from_slice(block.unwrap_or_default());
            Some(room.len())
        });
    }

    /// Adds a block of up to `max` bytes that `read` writes in place and counts (`Some(0)` or
    /// `None`: the end of the file, or a failed read, which ends it too).
    pub fn fill(&mut self, max: usize, read: impl FnOnce(&mut [u8]) -> Option<usize>) {
        self.buffer.drain(..self.start);
        self.offset += self.start as u64;
        self.start = 0;
        let filled = self.buffer.len();
        self.buffer.resize(filled + max, 0);
        let got = read(&mut self.buffer[filled..]).unwrap_or(0).min(max);
        self.buffer.truncate(filled + got);
        self.at_end |= got == 0;
    }

    /// The next whole line and its offset; `None` when more blocks are needed, or none are left.
    pub fn next_line(&mut self) -> Option<(u64, &[u8])> {
        let rest = &self.buffer[self.start..];
        let (len, next) = match memchr::memchr(b'\n', rest) {
            Some(newline) => (newline - (newline > 0 && rest[newline - 1] == b'\r') as usize, newline + 1),
            None if self.at_end && !rest.is_empty() => (rest.len(), rest.len()),
            None => return None,
        };
        let (start, offset) = (self.start, self.offset + self.start as u64);
        self.start += next;
        Some((offset, &self.buffer[start..start + len]))
    }

    /// Starts over at `offset` in the file (random access): what was read is dropped.
    pub fn restart(&mut self, offset: u64) {
        *self = LineSplitter { buffer: std::mem::take(&mut self.buffer), ..LineSplitter::default() };
        self.buffer.clear();
        self.offset = offset;
    }

    /// Every line was handed out and no more blocks will come.
    pub fn is_done(&self) -> bool {
        self.at_end && self.start == self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_whole_with_their_offsets_however_the_blocks_fall() {
        let lines = |blocks: &[&[u8]]| {
            let mut splitter = LineSplitter::default();
            let (mut out, mut blocks) = (Vec::new(), blocks.iter());
            loop {
                if let Some((offset, line)) = splitter.next_line() {
                    out.push((offset, line.to_vec()));
                } else if splitter.is_done() {
                    return out;
                } else {
                    splitter.feed(blocks.next().copied());
                }
            }
        };
        let text = b"{\"a\":1}\r\n\n{\"b\":22}\nlast\r";
        let want =
            vec![(0, b"{\"a\":1}".to_vec()), (9, vec![]), (10, b"{\"b\":22}".to_vec()), (19, b"last\r".to_vec())];
        for size in 1..=text.len() {
            let blocks: Vec<&[u8]> = text.chunks(size).collect();
            assert_eq!(lines(&blocks), want, "blocks of {size}");
        }
        assert_eq!(lines(&[b"x\n"]), vec![(0, b"x".to_vec())]);
        assert_eq!(lines(&[]), vec![]);
        assert_eq!(lines(&[b"\r\n"]), vec![(0, vec![])]);
        // a block read in place, and a failed read, which ends the file
        let mut splitter = LineSplitter::default();
        splitter.fill(8, |room| {
            room[..3].copy_from_slice(b"a\nb");
            Some(3)
        });
        assert_eq!(splitter.next_line(), Some((0, &b"a"[..])));
        assert_eq!(splitter.next_line(), None);
        splitter.fill(8, |_| None);
        assert_eq!(splitter.next_line(), Some((2, &b"b"[..])));
        assert!(splitter.is_done());
        // random access: a fresh start at an offset
        splitter.restart(40);
        assert_eq!(splitter.next_line(), None);
        assert!(!splitter.is_done());
        splitter.feed(Some(b"c\r\nd"));
        assert_eq!(splitter.next_line(), Some((40, &b"c"[..])));
    }

    #[test]
    fn classifies_events_logs_and_noise() {
        let ev = br#"{"timestamp":1657291777566819000,"eventId":"257","eventName":"openat","args":[]}"#;
        let info = classify(ev);
        assert_eq!(info.kind, LineKind::Event);
        assert_eq!(info.time, Some(Timestamp { secs: 1_657_291_777, nanos: 566_819_000 }));
        assert_eq!(classify(br#"{"level":"info","ts":1.5,"msg":"Tracee is ready"}"#).kind, LineKind::Log);
        assert_eq!(classify(b"   \r").kind, LineKind::Blank);
        assert_eq!(classify(b"hello").kind, LineKind::Garbage);
        assert_eq!(classify(br#"{"a":1}"#).kind, LineKind::Garbage);
        assert_eq!(classify(b"{\"eventName\":\"x\", \xff}").kind, LineKind::Garbage);
    }

    #[test]
    fn kubectl_prefixes_are_split_off() {
        let line = br#"[pod/tracee-abcde/tracee] {"eventName":"execve","timestamp":1}"#;
        let info = classify(line);
        assert_eq!(info.kind, LineKind::Event);
        assert_eq!(info.prefix, Some((0, 25)));
        assert_eq!(info.json_start, 26);
        let line = br#"[pod/t/t] 2024-05-01T10:00:00.123456789Z {"eventName":"execve"}"#;
        let info = classify(line);
        assert_eq!(info.kind, LineKind::Event);
        assert_eq!(&line[info.json_start..info.json_start + 1], b"{");
        assert_eq!(classify(br#"[1,2] {"eventName":"x"}"#).kind, LineKind::Event);
        assert_eq!(classify(br#"["x"] {"eventName":"x"}"#).kind, LineKind::Garbage);
    }

    #[test]
    fn duplicate_keys_and_trailing_text() {
        let info = classify(br#"{"timestamp":7,"eventName":"a","timestamp":9,"eventName":"b"}"#);
        assert_eq!((info.kind, info.time), (LineKind::Event, Some(Timestamp { secs: 0, nanos: 7 })));
        assert_eq!(classify(br#"{"eventName":"a"} x"#).kind, LineKind::Garbage);
        assert_eq!(classify(br#"{"eventName":"a","args":[1,}"#).kind, LineKind::Garbage);
        assert_eq!(classify(br#"{"eventName":"a\u0001"}"#).kind, LineKind::Event);
    }

    #[test]
    fn finding_time_comes_from_its_context() {
        let line = br#"{"Data":null,"Context":{"timestamp":5,"eventName":"ptrace"},"SigMetadata":{"ID":"TRC-2"}}"#;
        let info = classify(line);
        assert_eq!(info.kind, LineKind::Event);
        assert_eq!(info.time, Some(Timestamp { secs: 0, nanos: 5 }));
    }

    #[test]
    fn sniff_claims_tracker_logs_only() {
        assert!(sniff(b"{\"level\":\"info\",\"msg\":\"start\"}\n{\"eventName\":\"x\",\"eventId\":\"1\"}\n"));
        assert!(sniff(b"\n\n[pod/a/b] {\"eventName\":\"x\"}\n"));
        assert!(!sniff(b"{\"name\":\"my-package\",\"version\":\"1.0\"}\n"));
        assert!(!sniff(b"GIF89a....."));
        assert!(!sniff(b""));
        // a first line longer than what was read
        let mut long = br#"{"timestamp":1,"eventName":"write","args":[{"name":"buf","value":""#.to_vec();
        long.extend(std::iter::repeat_n(b'A', 70_000));
        assert!(sniff(&long));
        assert!(!sniff(&vec![b'{'; 70_000]));
    }
}
