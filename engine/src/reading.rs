//! Reading a Tracker log for a file reader: blocks go in, lines come out with their offsets, their
//! kinds and, worked out in the same reading, what the dissector will want of them next (the
//! columns, or the whole dissection), so each line is read once.
//!
//! A sequential reader does this work on a thread of its own, a few blocks ahead of the dissector
//! (`LogReader::ahead`): Wireshark reads and dissects on one thread, so the engine's reading of
//! the next lines runs on another core meanwhile. Random access reads in place (`LogReader::in_place`).

use std::collections::VecDeque;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::line::{LineInfo, LineKind, LineSplitter};
use crate::{Columns, Dissection};

/// What the dissector wanted of the last packet, and so is likely to want of the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Want {
    /// The line's kind alone.
    Kind,
    /// The packet list's columns (`crate::columns`).
    Columns,
    /// The whole dissection (`crate::dissect`).
    Dissection,
}

/// A `Want` shared between the dissector, which sets it, and the readers, which follow it.
#[derive(Clone, Debug)]
pub struct Hint(Arc<AtomicU8>);

impl Hint {
    pub fn new(want: Want) -> Hint {
        Hint(Arc::new(AtomicU8::new(want as u8)))
    }

    pub fn set(&self, want: Want) {
        self.0.store(want as u8, Ordering::Relaxed);
    }

    pub fn get(&self) -> Want {
        match self.0.load(Ordering::Relaxed) {
            0 => Want::Kind,
            1 => Want::Columns,
            _ => Want::Dissection,
        }
    }
}

/// What was worked out of an event line besides its kind.
#[derive(Debug)]
pub enum Ahead {
    Nothing,
    Columns(Columns),
    Dissection(Box<Dissection>),
}

/// A line's kind and what `want` asks of it, in one reading where that is enough. A fault makes
/// the line garbage (a malformed packet), so nothing is lost.
pub fn read_line(line: &[u8], want: Want) -> (LineInfo, Ahead) {
    let read = catch_unwind(AssertUnwindSafe(|| match want {
        Want::Kind => (crate::classify(line), Ahead::Nothing),
        Want::Columns => {
            let (info, columns) = crate::classify_and_columns(line);
            (info, columns.map_or(Ahead::Nothing, Ahead::Columns))
        }
        Want::Dissection => {
            let info = crate::classify(line);
            let ahead = match info.kind {
                LineKind::Event => Ahead::Dissection(Box::new(crate::dissect(line))),
                _ => Ahead::Nothing,
            };
            (info, ahead)
        }
    }));
    read.unwrap_or((LineInfo { kind: LineKind::Garbage, json_start: 0, prefix: None, time: None }, Ahead::Nothing))
}

/// What `LogReader::next_line` gives (moved out once per line: not worth a box).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Next<'a> {
    Line { offset: u64, line: &'a [u8], info: LineInfo, ahead: Ahead },
    /// Another block is needed (`fill` or `feed`).
    More,
    /// Every line was given and the file has ended.
    Done,
}

/// The lines of a log read in blocks, each with what the dissector wants of it (see the module).
pub struct LogReader {
    source: Source,
    hint: Hint,
}

enum Source {
    InPlace(LineSplitter),
    Ahead(Worker),
}

/// Blocks on their way to the reading thread and read lines on their way back.
const BLOCKS_AHEAD: usize = 3;

struct Worker {
    blocks: Option<SyncSender<Option<Vec<u8>>>>,
    batches: Option<Receiver<Batch>>,
    thread: Option<JoinHandle<()>>,
    /// Blocks sent whose lines have not come back yet.
    in_flight: usize,
    end_sent: bool,
    current: Batch,
}

/// The lines of one block (and of the line it finished): their bytes, one after another.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    lines: VecDeque<(u64, Range<usize>, LineInfo, Ahead)>,
    /// The file has ended and these are its last lines.
    last: bool,
}

impl LogReader {
    /// Reads in the caller's thread, when asked: for random access. It works out the columns the
    /// hint asks for (one reading of the line for its kind and its columns), but no dissection: in
    /// place that costs what the dissector's own would, and a packet read again (a click, `tshark
    /// -2`'s second pass) usually has its dissection in the dissector's cache.
    pub fn in_place(hint: Hint) -> LogReader {
        LogReader { source: Source::InPlace(LineSplitter::default()), hint }
    }

    /// Reads a few blocks ahead on a thread of its own, where there is more than one core (and
    /// `TRACKERSHARK_READ_AHEAD` is not `off`); in place otherwise.
    pub fn ahead(hint: Hint) -> LogReader {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let allowed = std::env::var("TRACKERSHARK_READ_AHEAD").map_or(true, |v| v != "off");
        let threaded = (cores > 1 && allowed).then(|| LogReader::threaded(hint.clone())).flatten();
        threaded.unwrap_or_else(|| LogReader::in_place(hint))
    }

    /// Reads ahead on a thread of its own; `None` when no thread can be started.
    fn threaded(hint: Hint) -> Option<LogReader> {
        Some(LogReader { source: Source::Ahead(Worker::start(hint.clone())?), hint })
    }

    /// Whether lines are read on a thread of their own.
    #[cfg(test)]
    fn reads_ahead(&self) -> bool {
        matches!(self.source, Source::Ahead(_))
    }

    /// Adds a block (`None`: the end of the file).
    pub fn feed(&mut self, block: Option<&[u8]>) {
        self.fill(block.map_or(0, <[u8]>::len), |room| {
            room.copy_from_slice(block.unwrap_or_default());
            Some(room.len())
        });
    }

    /// Adds a block of up to `max` bytes that `read` writes and counts (`Some(0)` or `None`: the
    /// end of the file, or a failed read, which ends it too).
    pub fn fill(&mut self, max: usize, read: impl FnOnce(&mut [u8]) -> Option<usize>) {
        match &mut self.source {
            Source::InPlace(lines) => lines.fill(max, read),
            Source::Ahead(worker) => {
                let mut block = vec![0; max];
                let got = read(&mut block).unwrap_or(0).min(max);
                block.truncate(got);
                worker.send((got > 0).then_some(block));
            }
        }
    }

    /// Starts over at `offset` in the file (random access), reading in place from now on.
    pub fn restart(&mut self, offset: u64) {
        match &mut self.source {
            Source::InPlace(lines) => lines.restart(offset),
            Source::Ahead(_) => {
                let mut lines = LineSplitter::default();
                lines.restart(offset);
                self.source = Source::InPlace(lines);
            }
        }
    }

    /// The next line, or what is needed for it. An error when the reading thread has gone.
    pub fn next_line(&mut self) -> Result<Next<'_>, &'static str> {
        match &mut self.source {
            Source::InPlace(lines) => Ok(if lines.is_done() {
                Next::Done
            } else if let Some((offset, line)) = lines.next_line() {
                let want = match self.hint.get() {
                    Want::Dissection => Want::Kind,
                    want => want,
                };
                let (info, ahead) = read_line(line, want);
                Next::Line { offset, line, info, ahead }
            } else {
                Next::More
            }),
            Source::Ahead(worker) => worker.next_line(),
        }
    }
}

impl Worker {
    fn start(hint: Hint) -> Option<Worker> {
        let (blocks, blocks_in) = sync_channel::<Option<Vec<u8>>>(BLOCKS_AHEAD);
        let (batches_out, batches) = sync_channel::<Batch>(BLOCKS_AHEAD);
        let thread = std::thread::Builder::new()
            .name("trackershark-reader".into())
            .spawn(move || read_blocks(&blocks_in, &batches_out, &hint))
            .ok()?;
        Some(Worker {
            blocks: Some(blocks),
            batches: Some(batches),
            thread: Some(thread),
            in_flight: 0,
            end_sent: false,
            current: Batch::default(),
        })
    }

    fn send(&mut self, block: Option<Vec<u8>>) {
        if self.end_sent {
            return;
        }
        self.end_sent = block.is_none();
        // counted even when the thread has gone: `next_line` then waits for its lines and reports it
        let _ = self.blocks.as_ref().map(|b| b.send(block));
        self.in_flight += 1;
    }

    fn next_line(&mut self) -> Result<Next<'_>, &'static str> {
        loop {
            if !self.current.lines.is_empty() {
                break;
            }
            if self.current.last {
                return Ok(Next::Done);
            }
            if !self.end_sent && self.in_flight < BLOCKS_AHEAD {
                return Ok(Next::More);
            }
            let batch = self.batches.as_ref().and_then(|b| b.recv().ok());
            self.current = batch.ok_or("the file's reading thread stopped")?;
            self.in_flight -= 1;
        }
        let (offset, range, info, ahead) = self.current.lines.pop_front().expect("a line is waiting");
        Ok(Next::Line { offset, line: &self.current.bytes[range], info, ahead })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // closing both channels ends the thread, wherever it waits
        drop(self.blocks.take());
        drop(self.batches.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reading thread: splits each block into lines and reads them as the hint says.
fn read_blocks(blocks: &Receiver<Option<Vec<u8>>>, batches: &SyncSender<Batch>, hint: &Hint) {
    let mut lines = LineSplitter::default();
    while let Ok(block) = blocks.recv() {
        lines.feed(block.as_deref());
        let mut batch = Batch::default();
        while let Some((offset, line)) = lines.next_line() {
            let (info, ahead) = read_line(line, hint.get());
            let start = batch.bytes.len();
            batch.bytes.extend_from_slice(line);
            batch.lines.push_back((offset, start..batch.bytes.len(), info, ahead));
        }
        batch.last = lines.is_done();
        let last = batch.last;
        if batches.send(batch).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `text` read in blocks of `size`: offset, line, kind, and what came with it.
    fn read_all(mut reader: LogReader, text: &[u8], size: usize) -> Vec<(u64, Vec<u8>, LineKind, String)> {
        let mut blocks = text.chunks(size);
        let mut out = Vec::new();
        loop {
            match reader.next_line().expect("the reader works") {
                Next::Line { offset, line, info, ahead } => {
                    let ahead = match ahead {
                        Ahead::Nothing => String::new(),
                        Ahead::Columns(c) => c.info,
                        Ahead::Dissection(d) => d.info,
                    };
                    out.push((offset, line.to_vec(), info.kind, ahead));
                }
                Next::More => reader.feed(blocks.next()),
                Next::Done => return out,
            }
        }
    }

    fn sample_log() -> Vec<u8> {
        let mut text = Vec::new();
        for i in 0..300 {
            text.extend_from_slice(
                format!(
                    r#"{{"timestamp":{i},"eventName":"openat","processName":"cat","args":[{{"name":"pathname","type":"const char*","value":"/etc/{i}"}}]}}"#
                )
                .as_bytes(),
            );
            text.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
            if i % 50 == 0 {
                text.extend_from_slice(b"{\"level\":\"info\",\"msg\":\"ready\"}\n\nnot json {\n");
            }
        }
        text.extend_from_slice(br#"{"eventName":"last","timestamp":1,"args":[]}"#);
        text
    }

    #[test]
    fn reading_ahead_gives_what_reading_in_place_gives() {
        let text = sample_log();
        for want in [Want::Kind, Want::Columns, Want::Dissection] {
            let in_place = read_all(LogReader::in_place(Hint::new(want)), &text, 4096);
            assert_eq!(in_place.len(), 300 + 6 * 3 + 1);
            assert!(in_place.iter().any(|l| l.2 == LineKind::Log) && in_place.iter().any(|l| l.2 == LineKind::Garbage));
            // what the thread works out: in place, the same but no dissection
            let mut expected = in_place.clone();
            for (_, line, kind, ahead) in &mut expected {
                if want == Want::Dissection && *kind == LineKind::Event {
                    assert_eq!(*ahead, "", "no dissection in place");
                    *ahead = crate::dissect(line).info;
                }
            }
            for size in [7, 100, 4096, 65536] {
                let reader = LogReader::threaded(Hint::new(want)).expect("a reading thread");
                assert_eq!(read_all(reader, &text, size), expected, "{want:?}, blocks of {size}");
            }
            let events = expected.iter().filter(|l| l.2 == LineKind::Event);
            match want {
                Want::Kind => assert!(expected.iter().all(|l| l.3.is_empty())),
                _ => assert!(events.clone().all(|l| l.3.starts_with("openat: pathname=") || l.3 == "last")),
            }
        }
    }

    #[test]
    fn the_hint_is_followed_line_by_line_and_random_access_reads_in_place() {
        let hint = Hint::new(Want::Kind);
        let mut reader = LogReader::in_place(hint.clone());
        reader.feed(Some(b"{\"eventName\":\"a\",\"timestamp\":1,\"args\":[]}\n{\"eventName\":\"b\",\"timestamp\":2}\n"));
        let Ok(Next::Line { ahead: Ahead::Nothing, .. }) = reader.next_line() else { panic!("kind only") };
        hint.set(Want::Columns);
        let Ok(Next::Line { ahead: Ahead::Columns(c), .. }) = reader.next_line() else { panic!("columns") };
        assert_eq!(c.info, "b");
        assert!(matches!(reader.next_line(), Ok(Next::More)));

        let mut reader = LogReader::threaded(Hint::new(Want::Dissection)).expect("a reading thread");
        reader.feed(Some(b"x\n{\"eventName\":\"c\",\"timestamp\":3}\n"));
        reader.restart(2);
        assert!(!reader.reads_ahead());
        assert!(matches!(reader.next_line(), Ok(Next::More)));
        reader.feed(Some(b"{\"eventName\":\"c\",\"timestamp\":3}"));
        reader.feed(None);
        let Ok(Next::Line { offset: 2, info, ahead: Ahead::Nothing, .. }) = reader.next_line() else { panic!("in place") };
        assert_eq!(info.kind, LineKind::Event);
        assert!(matches!(reader.next_line(), Ok(Next::Done)));
    }

    #[test]
    fn a_reader_dropped_midway_ends_its_thread() {
        let text = sample_log();
        let mut reader = LogReader::threaded(Hint::new(Want::Dissection)).expect("a reading thread");
        for block in text.chunks(512).take(BLOCKS_AHEAD) {
            reader.feed(Some(block));
        }
        drop(reader); // joins the thread, which is waiting to hand back its lines
    }
}
