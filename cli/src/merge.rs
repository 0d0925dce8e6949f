//! `trackershark merge`: Tracker events (JSON lines or our pcapng) and network captures (Tracker's
//! `--capture network` files, any pcap or pcapng) into one pcapng, in time order and losslessly:
//! every input interface becomes an output interface (link type, snap length, name, description and
//! other options), every packet keeps its bytes, time and options (flags, comments, …) and is
//! re-mapped to its interface.
//!
//! Each input is read block by block, so memory stays small whatever the sizes, and the inputs are
//! merged k-way by packet time; an input's own packets keep their order. A JSON input is framed by
//! `engine::pcapng` exactly as `trackershark convert` frames it, on a thread that feeds a pipe.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fmt::Display;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use pcap_file::pcap::PcapHeader;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::blocks::interface_statistics::{InterfaceStatisticsBlock, InterfaceStatisticsOption};
use pcap_file::pcapng::blocks::packet::{PacketBlock, PacketOption};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::blocks::simple_packet::SimplePacketBlock;
use pcap_file::pcapng::{Block, PcapNgParser, PcapNgWriter};
use pcap_file::{Endianness, PcapError, TsResolution};
use trackershark_engine::pcapng::{json_to_pcapng, ConvertStats, PcapngError};

use crate::convert::progress_bar;
use crate::{io_err, CliError};

/// What a directory input contributes.
const EXTENSIONS: [&str; 5] = ["pcap", "pcapng", "json", "jsonl", "log"];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Classic pcap, microsecond and nanosecond, in both byte orders.
const PCAP_MAGICS: [[u8; 4]; 4] =
    [[0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d], [0x4d, 0x3c, 0xb2, 0xa1]];
/// A block or packet larger than this is taken for corruption rather than allocated.
const MAX_BLOCK: usize = 256 << 20;
const NANOS_PER_SEC: u128 = 1_000_000_000;

pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<(), CliError> {
    let mut warnings = Vec::new();
    let files = collect_inputs(inputs, output, &mut warnings)?;
    let total: u64 = files.iter().filter_map(|f| fs::metadata(f).ok()).map(|m| m.len()).sum();
    let read = Arc::new(AtomicU64::new(0));
    let mut sources = Vec::new();
    for file in &files {
        match Source::open(file, &read)? {
            Some(source) => sources.push(source),
            None => warnings.push(format!("{}: empty, left out", file.display())),
        }
    }
    if sources.is_empty() {
        print_warnings(&warnings);
        return Err(CliError::Message("nothing to merge: no capture or Tracker file among the inputs".into()));
    }
    let out = BufWriter::new(File::create(output).map_err(io_err(output))?);
    let bar = progress_bar(total);
    let result = merge_sources(sources, out, output, || bar.set_position(read.load(Ordering::Relaxed)));
    bar.finish_and_clear();
    match result {
        Ok(mut summary) => {
            summary.warnings.splice(0..0, warnings); // the inputs' own first
            summary.print(output);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(output); // no half-written file left behind
            Err(e)
        }
    }
}

// ---------------------------------------------------------------- inputs

/// The files to merge: the inputs in the order given, each directory replaced by the files with a
/// known extension inside it (recursively, sorted); the output and repeated files left out.
fn collect_inputs(inputs: &[PathBuf], output: &Path, warnings: &mut Vec<String>) -> Result<Vec<PathBuf>, CliError> {
    let output_id = canonical_output(output);
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(io_err(input))?;
        let found = if meta.is_dir() { files_in(input)? } else { vec![input.clone()] };
        if meta.is_dir() && found.is_empty() {
            warnings.push(format!("{}: no *.pcap, *.pcapng, *.json, *.jsonl or *.log file inside", input.display()));
        }
        for file in found {
            let id = fs::canonicalize(&file).map_err(io_err(&file))?;
            if Some(&id) == output_id.as_ref() {
                if !meta.is_dir() {
                    return Err(CliError::Message(format!("{}: is also the output", input.display())));
                }
                continue; // an earlier output in the directory being merged
            }
            if seen.insert(id) {
                files.push(file);
            } else {
                warnings.push(format!("{}: given more than once, merged once", file.display()));
            }
        }
    }
    Ok(files)
}

/// The output's canonical path, whether or not it exists yet.
fn canonical_output(output: &Path) -> Option<PathBuf> {
    if let Ok(existing) = fs::canonicalize(output) {
        return Some(existing);
    }
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(fs::canonicalize(parent).ok()?.join(output.file_name()?))
}

/// Files under `dir` with a known extension, sorted. Symbolic links to files are followed, to
/// directories not (no loops).
fn files_in(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).map_err(io_err(&d))? {
            let path = entry.map_err(io_err(&d))?.path();
            let kind = fs::symlink_metadata(&path).map_err(io_err(&path))?.file_type();
            if kind.is_dir() {
                dirs.push(path);
            } else if has_known_extension(&path) && fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn has_known_extension(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    ext.is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pcap,
    PcapNg,
    Json,
}

/// The format from the content (Tracker names its pcapng captures `*.pcap`); `None` for an empty file.
fn sniff(path: &Path) -> Result<Option<Format>, CliError> {
    let mut head = Vec::with_capacity(4096);
    File::open(path).map_err(open_err(path))?.take(4096).read_to_end(&mut head).map_err(io_err(path))?;
    if head.is_empty() {
        return Ok(None);
    }
    let magic: Option<[u8; 4]> = head.get(..4).and_then(|m| m.try_into().ok());
    if magic == Some(PCAPNG_MAGIC) {
        return Ok(Some(Format::PcapNg));
    }
    if magic.is_some_and(|m| PCAP_MAGICS.contains(&m)) {
        return Ok(Some(Format::Pcap));
    }
    if head.contains(&0) {
        return Err(CliError::Message(format!(
            "{}: neither a pcap or pcapng capture nor Tracker JSON lines (binary data)",
            path.display()
        )));
    }
    Ok(Some(Format::Json))
}

/// I/O errors opening an input, with a hint for the one many capture files cause.
fn open_err(path: &Path) -> impl FnOnce(io::Error) -> CliError + '_ {
    move |e| match e.raw_os_error() {
        Some(24) => CliError::Message(format!(
            "{}: {e}; merge fewer files at a time, or raise the limit (ulimit -n)",
            path.display()
        )),
        _ => CliError::Io { path: path.to_path_buf(), source: e },
    }
}

/// Counts the bytes read from the inputs, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn open_counted(path: &Path, read: &Arc<AtomicU64>) -> Result<BufReader<Counting<File>>, CliError> {
    let file = File::open(path).map_err(open_err(path))?;
    Ok(BufReader::with_capacity(1 << 16, Counting { inner: file, read: read.clone() }))
}

// ---------------------------------------------------------------- JSON inputs: a framing thread and a pipe

/// The receiving end: pcapng bytes, as the framing thread writes them.
struct PipeReader {
    chunks: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.chunks.recv() {
                Ok(chunk) => (self.chunk, self.pos) = (chunk, 0),
                Err(_) => return Ok(0), // the thread is done
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct PipeWriter(SyncSender<Vec<u8>>);

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stopped = || io::Error::new(io::ErrorKind::BrokenPipe, "merge stopped");
        self.0.send(buf.to_vec()).map_err(|_| stopped())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Framing = JoinHandle<Result<ConvertStats, PcapngError>>;

/// Starts framing a JSON input as pcapng (as `convert` does) and returns the pipe that carries it.
fn frame_json(path: &Path, read: &Arc<AtomicU64>) -> Result<(PipeReader, Framing), CliError> {
    let input = open_counted(path, read)?;
    let (tx, rx) = mpsc::sync_channel(4);
    let thread = std::thread::Builder::new()
        .name("json-framing".into())
        .spawn(move || json_to_pcapng(input, BufWriter::with_capacity(1 << 16, PipeWriter(tx)), |_| {}))
        .map_err(io_err(path))?;
    Ok((PipeReader { chunks: rx, chunk: Vec::new(), pos: 0 }, thread))
}

// ---------------------------------------------------------------- time

/// An interface's clock: timestamp units per second (`if_tsresol`) and offset (`if_tsoffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    units_per_sec: u128,
    offset_secs: i64,
}

impl Clock {
    const MICROS: Clock = Clock { units_per_sec: 1_000_000, offset_secs: 0 };

    fn of(idb: &InterfaceDescriptionBlock) -> Clock {
        let mut clock = Clock::MICROS; // the default resolution
        for option in &idb.options {
            match option {
                InterfaceDescriptionOption::IfTsResol(r) => clock.units_per_sec = units_per_sec(*r),
                InterfaceDescriptionOption::IfTsOffset(o) => clock.offset_secs = *o as i64, // signed in the spec
                _ => {}
            }
        }
        clock
    }

    /// Nanoseconds since the epoch of a raw timestamp.
    fn nanos(&self, raw: u64) -> i128 {
        (raw as u128 * NANOS_PER_SEC / self.units_per_sec) as i128 + self.offset_secs as i128 * NANOS_PER_SEC as i128
    }

    /// The raw timestamp of a time in nanoseconds (the inverse of `nanos`, clamped).
    fn raw(&self, nanos: i128) -> u64 {
        let since_offset = (nanos - self.offset_secs as i128 * NANOS_PER_SEC as i128).max(0) as u128;
        u64::try_from(since_offset.saturating_mul(self.units_per_sec) / NANOS_PER_SEC).unwrap_or(u64::MAX)
    }
}

/// `if_tsresol`: 10^-n seconds, or 2^-n with the top bit set. Absurd values saturate.
fn units_per_sec(tsresol: u8) -> u128 {
    let n = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 { 10u128.checked_pow(n) } else { 2u128.checked_pow(n) };
    units.unwrap_or(u128::MAX)
}

/// pcap-file reads a 64-bit time stored as two 32-bit halves (high first) as one integer in the
/// section's byte order, and writes it back the same way: right when the byte orders match; the
/// halves must swap when the output's byte order differs.
fn respan(value: u64, from: Endianness, to: Endianness) -> u64 {
    if from == to {
        value
    } else {
        value.rotate_left(32)
    }
}

/// The value of such a time read in the given byte order.
fn spanned(value: u64, endianness: Endianness) -> u64 {
    respan(value, endianness, Endianness::Big)
}

// ---------------------------------------------------------------- reading an input

/// An input file's bytes, read block by block, and what went wrong with it.
struct InputFile {
    path: PathBuf,
    reader: Box<dyn Read>,
    /// Bytes consumed, for error messages.
    offset: u64,
    /// The block (or pcap record) being read.
    buf: Vec<u8>,
    /// A JSON input's framing thread, until it is done.
    json: Option<Framing>,
    json_stats: Option<ConvertStats>,
    warnings: Vec<String>,
}

enum Framed {
    Whole,
    End,
    /// The file ends inside a block.
    CutShort,
}

impl InputFile {
    fn bad(&self, why: impl Display) -> CliError {
        CliError::Message(format!("{}: {why} (at byte {})", self.path.display(), self.offset))
    }

    fn pcap_err(&self, e: PcapError) -> CliError {
        match e {
            PcapError::IoError(e) => CliError::Io { path: self.path.clone(), source: e },
            e => self.bad(format_args!("invalid block: {e}")),
        }
    }

    fn cut_short(&mut self) {
        let why = format!("{}: cut short at byte {}; the rest is left out", self.path.display(), self.offset);
        self.warnings.push(why);
    }

    /// Reads into `buf[from..len]`; how many bytes came before the end of the file.
    fn fill(&mut self, from: usize, len: usize) -> Result<usize, CliError> {
        self.buf.resize(len, 0);
        let mut done = from;
        while done < len {
            match self.reader.read(&mut self.buf[done..len]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CliError::Io { path: self.path.clone(), source: e }),
            }
        }
        Ok(done - from)
    }

    /// Reads one whole pcapng block into `buf`. `endianness` is the current section's; a section
    /// header tells its own.
    fn read_block(&mut self, endianness: Endianness) -> Result<Framed, CliError> {
        match self.fill(0, 8)? {
            0 => return Ok(Framed::End),
            n if n < 8 => return Ok(Framed::CutShort),
            _ => {}
        }
        let mut endianness = endianness;
        let mut have = 8;
        if self.buf[..4] == PCAPNG_MAGIC {
            if self.fill(8, 12)? < 4 {
                return Ok(Framed::CutShort);
            }
            have = 12;
            endianness = match self.buf[8..12] {
                [0x1a, 0x2b, 0x3c, 0x4d] => Endianness::Big,
                [0x4d, 0x3c, 0x2b, 0x1a] => Endianness::Little,
                _ => return Err(self.bad("invalid pcapng section header (byte-order magic)")),
            };
        }
        let len = read_u32(&self.buf[4..8], endianness) as usize;
        if len < 12 || len % 4 != 0 || len > MAX_BLOCK {
            return Err(self.bad(format_args!("invalid pcapng block length {len}")));
        }
        if self.fill(have, len)? < len - have {
            return Ok(Framed::CutShort);
        }
        Ok(Framed::Whole)
    }

    /// At the end of the bytes: a JSON input's framing thread is done; its error, if it failed.
    fn finish_json(&mut self) -> Result<(), CliError> {
        let Some(thread) = self.json.take() else { return Ok(()) };
        match thread.join() {
            Ok(Ok(stats)) => {
                self.json_stats = Some(stats);
                Ok(())
            }
            Ok(Err(PcapngError::Io(e))) => Err(CliError::Io { path: self.path.clone(), source: e }),
            Ok(Err(e)) => Err(CliError::Message(format!("{}: {e}", self.path.display()))),
            Err(_) => Err(CliError::Message(format!("{}: internal error while reading", self.path.display()))),
        }
    }
}

/// A packet ready for the output, and its time in nanoseconds since the epoch.
type Timed = (i128, EnhancedPacketBlock<'static>);

/// One input, read one packet ahead.
struct Source {
    file: InputFile,
    format: SourceFormat,
    head: Option<EnhancedPacketBlock<'static>>,
}

enum SourceFormat {
    Pcap(PcapInput),
    PcapNg(PcapNgInput),
}

impl Source {
    /// Opens an input and reads its file header; `None` for an empty file.
    fn open(path: &Path, read: &Arc<AtomicU64>) -> Result<Option<Source>, CliError> {
        let Some(format) = sniff(path)? else { return Ok(None) };
        let (reader, json): (Box<dyn Read>, _) = match format {
            Format::Json => {
                let (pipe, thread) = frame_json(path, read)?;
                (Box::new(pipe), Some(thread))
            }
            _ => (Box::new(open_counted(path, read)?), None),
        };
        let mut file = InputFile {
            path: path.to_path_buf(),
            reader,
            offset: 0,
            buf: Vec::new(),
            json,
            json_stats: None,
            warnings: Vec::new(),
        };
        let format = match format {
            Format::Pcap => SourceFormat::Pcap(PcapInput::open(&mut file)?),
            _ => SourceFormat::PcapNg(PcapNgInput::open(&mut file)?),
        };
        Ok(Some(Source { file, format, head: None }))
    }

    /// Reads the next packet into `head` and returns its time; interfaces and other blocks met on
    /// the way go to the output.
    fn advance<W: Write>(&mut self, out: &mut Output<W>) -> Result<Option<i128>, CliError> {
        let next = match &mut self.format {
            SourceFormat::Pcap(input) => input.next_packet(&mut self.file, out)?,
            SourceFormat::PcapNg(input) => input.next_packet(&mut self.file, out)?,
        };
        Ok(next.map(|(time, epb)| {
            self.head = Some(epb);
            time
        }))
    }
}

/// A classic pcap file: one interface.
struct PcapInput {
    header: PcapHeader,
    /// The output interface, once written.
    interface: Option<u32>,
}

impl PcapInput {
    fn open(file: &mut InputFile) -> Result<PcapInput, CliError> {
        if file.fill(0, 24)? < 24 {
            return Err(file.bad("cut short in the pcap file header"));
        }
        let (_, header) = PcapHeader::from_slice(&file.buf).map_err(|e| file.pcap_err(e))?;
        file.offset = 24;
        Ok(PcapInput { header, interface: None })
    }

    /// The next record. Read by hand: pcap-file 2 refuses records longer than the snap length,
    /// which tcpdump's truncated captures have.
    fn next_packet<W: Write>(&mut self, file: &mut InputFile, out: &mut Output<W>) -> Result<Option<Timed>, CliError> {
        let endianness = self.header.endianness;
        match file.fill(0, 16)? {
            0 => return Ok(None),
            n if n < 16 => {
                file.cut_short();
                return Ok(None);
            }
            _ => {}
        }
        let field = |i: usize| read_u32(&file.buf[i * 4..i * 4 + 4], endianness);
        let (secs, frac, incl_len, orig_len) = (field(0), field(1), field(2) as usize, field(3));
        if incl_len > MAX_BLOCK {
            return Err(file.bad(format_args!("invalid packet length {incl_len}")));
        }
        if file.fill(16, 16 + incl_len)? < incl_len {
            file.cut_short();
            return Ok(None);
        }
        let interface = self.interface(file, out)?;
        let (units, nanos_per_unit) = match self.header.ts_resolution {
            TsResolution::MicroSecond => (1_000_000u64, 1000),
            TsResolution::NanoSecond => (1_000_000_000u64, 1),
        };
        let time = i128::from(secs) * NANOS_PER_SEC as i128 + i128::from(frac) * nanos_per_unit;
        file.offset += 16 + incl_len as u64;
        let epb = EnhancedPacketBlock {
            interface_id: interface,
            timestamp: Duration::from_nanos(u64::from(secs) * units + u64::from(frac)),
            original_len: orig_len,
            data: Cow::Owned(file.buf[16..16 + incl_len].to_vec()),
            options: vec![],
        };
        Ok(Some((time, epb)))
    }

    /// The output interface: the file's link type, snap length and resolution, named after the file.
    fn interface<W: Write>(&mut self, file: &InputFile, out: &mut Output<W>) -> Result<u32, CliError> {
        if let Some(id) = self.interface {
            return Ok(id);
        }
        let resolution = match self.header.ts_resolution {
            TsResolution::MicroSecond => 6,
            TsResolution::NanoSecond => 9,
        };
        let name = file.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut idb = InterfaceDescriptionBlock::new(self.header.datalink, self.header.snaplen);
        idb.options = vec![
            InterfaceDescriptionOption::IfName(Cow::Owned(name)),
            InterfaceDescriptionOption::IfTsResol(resolution),
        ];
        let id = out.add_interface(idb)?;
        self.interface = Some(id);
        Ok(id)
    }
}

/// A pcapng file (or a JSON input framed as one): any number of sections and interfaces.
struct PcapNgInput {
    parser: PcapNgParser,
    /// The current section's interfaces, by input id.
    interfaces: Vec<Interface>,
    last_time: i128,
    /// Blocks left out: statistics of no interface, unknown blocks in the other byte order.
    skipped: u64,
}

#[derive(Clone, Copy)]
struct Interface {
    output_id: u32,
    clock: Clock,
}

impl PcapNgInput {
    fn open(file: &mut InputFile) -> Result<PcapNgInput, CliError> {
        match file.read_block(Endianness::Big)? {
            Framed::Whole => {}
            Framed::End => {
                file.finish_json()?; // a JSON input's error, if it has one
                return Err(file.bad("no data"));
            }
            Framed::CutShort => return Err(file.bad("cut short in the section header")),
        }
        let (_, parser) = PcapNgParser::new(&file.buf).map_err(|e| file.pcap_err(e))?;
        file.offset += file.buf.len() as u64;
        Ok(PcapNgInput { parser, interfaces: Vec::new(), last_time: 0, skipped: 0 })
    }

    fn next_packet<W: Write>(&mut self, file: &mut InputFile, out: &mut Output<W>) -> Result<Option<Timed>, CliError> {
        loop {
            match file.read_block(self.parser.section().endianness)? {
                Framed::Whole => {}
                Framed::End => {
                    file.finish_json()?;
                    return Ok(None);
                }
                Framed::CutShort => {
                    file.finish_json()?;
                    file.cut_short();
                    return Ok(None);
                }
            }
            let parsed = self.parser.next_block(&file.buf).map(|(_, block)| block.into_owned());
            let block = parsed.map_err(|e| file.pcap_err(e))?;
            let packet = self.take_block(block, file, out)?;
            file.offset += file.buf.len() as u64;
            if packet.is_some() {
                return Ok(packet);
            }
        }
    }

    /// Handles one block: a packet is returned, anything else goes to the output.
    fn take_block<W: Write>(
        &mut self,
        block: Block<'static>,
        file: &InputFile,
        out: &mut Output<W>,
    ) -> Result<Option<Timed>, CliError> {
        let endianness = self.parser.section().endianness;
        match block {
            Block::SectionHeader(_) => self.interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let clock = Clock::of(&idb);
                let output_id = out.add_interface(idb)?;
                self.interfaces.push(Interface { output_id, clock });
            }
            Block::EnhancedPacket(epb) => return self.packet(epb, file).map(Some),
            Block::Packet(pb) => return self.packet(from_obsolete(pb, endianness), file).map(Some),
            Block::SimplePacket(spb) => return self.simple_packet(spb, file).map(Some),
            Block::InterfaceStatistics(isb) => match self.interfaces.get(isb.interface_id as usize) {
                Some(interface) => {
                    let isb = statistics_for_output(isb, interface.output_id, endianness, out.endianness);
                    out.write(Block::InterfaceStatistics(isb))?;
                }
                None => self.skipped += 1,
            },
            // an unknown block's bytes are in its section's byte order
            Block::Unknown(_) if endianness != out.endianness => self.skipped += 1,
            other => out.write(other)?, // name resolution, journal export, decryption secrets, custom
        }
        Ok(None)
    }

    /// A packet of the current section, re-mapped to its output interface.
    fn packet(&mut self, mut epb: EnhancedPacketBlock<'static>, file: &InputFile) -> Result<Timed, CliError> {
        let Some(interface) = self.interfaces.get(epb.interface_id as usize) else {
            let id = epb.interface_id;
            return Err(file.bad(format_args!("packet on interface {id}, which its section does not describe")));
        };
        // pcap-file keeps the raw timestamp, in the interface's units, as "nanoseconds"
        let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
        let time = interface.clock.nanos(raw);
        epb.interface_id = interface.output_id;
        self.last_time = time;
        Ok((time, epb))
    }

    /// A simple packet block has no time of its own: it gets that of the packet before it.
    fn simple_packet(&mut self, spb: SimplePacketBlock<'static>, file: &InputFile) -> Result<Timed, CliError> {
        let Some(interface) = self.interfaces.first() else {
            return Err(file.bad("simple packet block before any interface"));
        };
        let epb = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_nanos(interface.clock.raw(self.last_time)),
            original_len: spb.original_len,
            data: spb.data,
            options: vec![],
        };
        self.packet(epb, file)
    }
}

fn read_u32(bytes: &[u8], endianness: Endianness) -> u32 {
    let b: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
    match endianness {
        Endianness::Big => u32::from_be_bytes(b),
        Endianness::Little => u32::from_le_bytes(b),
    }
}

/// An obsolete Packet Block as the Enhanced Packet Block that replaces it.
fn from_obsolete(pb: PacketBlock<'static>, endianness: Endianness) -> EnhancedPacketBlock<'static> {
    let mut options: Vec<EnhancedPacketOption<'static>> = pb
        .options
        .into_iter()
        .map(|o| match o {
            PacketOption::Comment(c) => EnhancedPacketOption::Comment(c),
            PacketOption::Flags(f) => EnhancedPacketOption::Flags(f),
            PacketOption::Hash(h) => EnhancedPacketOption::Hash(h),
            PacketOption::CustomBinary(c) => EnhancedPacketOption::CustomBinary(c),
            PacketOption::CustomUtf8(c) => EnhancedPacketOption::CustomUtf8(c),
            PacketOption::Unknown(u) => EnhancedPacketOption::Unknown(u),
        })
        .collect();
    if pb.drop_count != 0xffff {
        options.push(EnhancedPacketOption::DropCount(u64::from(pb.drop_count)));
    }
    EnhancedPacketBlock {
        interface_id: u32::from(pb.interface_id),
        timestamp: Duration::from_nanos(spanned(pb.timestamp, endianness)),
        original_len: pb.original_len,
        data: pb.data,
        options,
    }
}

/// Interface statistics with their times written right in the output's byte order.
fn statistics_for_output(
    mut isb: InterfaceStatisticsBlock<'static>,
    output_id: u32,
    from: Endianness,
    to: Endianness,
) -> InterfaceStatisticsBlock<'static> {
    isb.interface_id = output_id;
    isb.timestamp = respan(isb.timestamp, from, to);
    for option in &mut isb.options {
        if let InterfaceStatisticsOption::IsbStartTime(t) | InterfaceStatisticsOption::IsbEndTime(t) = option {
            *t = respan(*t, from, to);
        }
    }
    isb
}

// ---------------------------------------------------------------- the output

struct Output<W: Write> {
    writer: PcapNgWriter<W>,
    path: PathBuf,
    endianness: Endianness,
    interfaces: u32,
    packets: u64,
}

impl<W: Write> Output<W> {
    fn new(out: W, path: &Path) -> Result<Output<W>, CliError> {
        let endianness = Endianness::native();
        let app = format!("trackershark {}", env!("CARGO_PKG_VERSION"));
        let section = SectionHeaderBlock {
            endianness,
            options: vec![SectionHeaderOption::UserApplication(Cow::Owned(app))],
            ..Default::default()
        };
        let writer = PcapNgWriter::with_section_header(out, section).map_err(|e| output_err(path, e))?;
        Ok(Output { writer, path: path.to_path_buf(), endianness, interfaces: 0, packets: 0 })
    }

    fn add_interface(&mut self, idb: InterfaceDescriptionBlock<'static>) -> Result<u32, CliError> {
        self.write(Block::InterfaceDescription(idb))?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    fn write_packet(&mut self, epb: EnhancedPacketBlock<'static>) -> Result<(), CliError> {
        self.packets += 1;
        self.write(Block::EnhancedPacket(epb))
    }

    fn write(&mut self, block: Block) -> Result<(), CliError> {
        self.writer.write_block(&block).map(drop).map_err(|e| output_err(&self.path, e))
    }

    fn finish(self) -> Result<(), CliError> {
        self.writer.into_inner().flush().map_err(io_err(&self.path))
    }
}

fn output_err(path: &Path, e: PcapError) -> CliError {
    match e {
        PcapError::IoError(e) => CliError::Io { path: path.to_path_buf(), source: e },
        e => CliError::Message(format!("{}: {e}", path.display())),
    }
}

// ---------------------------------------------------------------- the merge

#[derive(Debug, Default)]
struct Summary {
    inputs: usize,
    packets: u64,
    interfaces: u32,
    json: ConvertStats,
    warnings: Vec<String>,
}

impl Summary {
    fn print(&self, output: &Path) {
        eprintln!(
            "{} packet(s) from {} file(s) written to {} ({} interface(s))",
            self.packets,
            self.inputs,
            output.display(),
            self.interfaces
        );
        let j = &self.json;
        if j.events + j.malformed + j.log_lines > 0 {
            eprintln!(
                "{} Tracker event(s) from JSON; {} Tracker log line(s) and {} blank line(s) skipped",
                j.events, j.log_lines, j.blank_lines
            );
        }
        if j.malformed > 0 {
            eprintln!("{} line(s) are not Tracker events; kept, and flagged when dissected", j.malformed);
        }
        print_warnings(&self.warnings);
    }
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Merges the inputs by time into `out`; `tick` is called after each packet.
fn merge_sources<W: Write>(
    mut sources: Vec<Source>,
    out: W,
    out_path: &Path,
    mut tick: impl FnMut(),
) -> Result<Summary, CliError> {
    let mut output = Output::new(out, out_path)?;
    // (time, input index): the earliest packet first, the earlier input on equal times
    let mut heap = BinaryHeap::new();
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(time) = source.advance(&mut output)? {
            heap.push(Reverse((time, i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let source = &mut sources[i];
        if let Some(epb) = source.head.take() {
            output.write_packet(epb)?;
        }
        if let Some(time) = source.advance(&mut output)? {
            heap.push(Reverse((time, i)));
        }
        tick();
    }
    let mut summary =
        Summary { inputs: sources.len(), packets: output.packets, interfaces: output.interfaces, ..Default::default() };
    output.finish()?;
    for source in &mut sources {
        source.file.finish_json()?;
        summary.add(source);
    }
    Ok(summary)
}

impl Summary {
    fn add(&mut self, source: &mut Source) {
        if let Some(s) = source.file.json_stats {
            self.json.events += s.events;
            self.json.log_lines += s.log_lines;
            self.json.blank_lines += s.blank_lines;
            self.json.malformed += s.malformed;
        }
        let skipped = match &source.format {
            SourceFormat::PcapNg(input) => input.skipped,
            SourceFormat::Pcap(_) => 0,
        };
        if skipped > 0 {
            self.warnings.push(format!(
                "{}: {skipped} block(s) left out (statistics of no interface, or unknown blocks in the other byte order)",
                source.file.path.display()
            ));
        }
        self.warnings.append(&mut source.file.warnings);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use pcap_file::pcapng::PcapNgReader;
    use pcap_file::DataLink;

    use super::*;

    /// A fresh directory for one test.
    fn scratch() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("trackershark-merge-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn idb(linktype: DataLink, options: Vec<InterfaceDescriptionOption<'static>>) -> Block<'static> {
        Block::InterfaceDescription(InterfaceDescriptionBlock { linktype, snaplen: 0xffff, options })
    }

    fn epb(interface_id: u32, raw: u64, data: &[u8], options: Vec<EnhancedPacketOption<'static>>) -> Block<'static> {
        let data = Cow::Owned(data.to_vec());
        Block::EnhancedPacket(EnhancedPacketBlock {
            interface_id,
            timestamp: Duration::from_nanos(raw),
            original_len: 99,
            data,
            options,
        })
    }

    fn section(endianness: Endianness) -> Block<'static> {
        Block::SectionHeader(SectionHeaderBlock { endianness, ..Default::default() })
    }

    fn pcapng(endianness: Endianness, blocks: &[Block]) -> Vec<u8> {
        let mut w = PcapNgWriter::with_endianness(Vec::new(), endianness).unwrap();
        for b in blocks {
            w.write_block(b).unwrap();
        }
        w.into_inner()
    }

    fn classic_pcap(records: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        // µs, version 2.4, no time zone or accuracy, snap length 4, Ethernet
        let header: [&[u8]; 6] = [
            &0xa1b2c3d4u32.to_le_bytes(),
            &2u16.to_le_bytes(),
            &4u16.to_le_bytes(),
            &[0; 8],
            &4u32.to_le_bytes(),
            &1u32.to_le_bytes(),
        ];
        let mut out = header.concat();
        for (secs, micros, data, orig_len) in records {
            for v in [*secs, *micros, data.len() as u32, *orig_len] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(data);
        }
        out
    }

    /// The merge of the given files, as blocks.
    fn merged(dir: &Path, inputs: &[PathBuf]) -> Vec<Block<'static>> {
        let out = dir.join("out.pcapng");
        merge(inputs, &out).unwrap();
        let mut reader = PcapNgReader::new(File::open(&out).unwrap()).unwrap();
        let mut blocks = vec![Block::SectionHeader(reader.section().clone())];
        while let Some(b) = reader.next_block() {
            blocks.push(b.unwrap().into_owned());
        }
        blocks
    }

    fn packets(blocks: &[Block<'static>]) -> Vec<EnhancedPacketBlock<'static>> {
        blocks.iter().filter_map(|b| b.clone().into_enhanced_packet()).collect()
    }

    fn interfaces(blocks: &[Block<'static>]) -> Vec<InterfaceDescriptionBlock<'static>> {
        blocks.iter().filter_map(|b| b.clone().into_interface_description()).collect()
    }

    #[test]
    fn clocks_read_every_resolution_and_offset() {
        assert_eq!(units_per_sec(6), 1_000_000);
        assert_eq!(units_per_sec(9), 1_000_000_000);
        assert_eq!(units_per_sec(0x80 | 10), 1024);
        assert_eq!(units_per_sec(0x7f), u128::MAX); // absurd, but no overflow
        let clock = Clock { units_per_sec: 1024, offset_secs: 10 };
        assert_eq!(clock.nanos(512), 10_500_000_000);
        assert_eq!(clock.raw(10_500_000_000), 512);
        assert_eq!(Clock { units_per_sec: u128::MAX, offset_secs: 0 }.nanos(u64::MAX), 0);
        let idb = InterfaceDescriptionBlock::new(DataLink::NULL, 0);
        assert_eq!(Clock::of(&idb), Clock::MICROS);
    }

    #[test]
    fn halves_of_64_bit_times_swap_between_byte_orders() {
        let t = 0x0000_0001_0000_0002u64;
        assert_eq!(respan(t, Endianness::Little, Endianness::Little), t);
        assert_eq!(respan(t, Endianness::Big, Endianness::Little), 0x0000_0002_0000_0001);
        assert_eq!(spanned(t, Endianness::Big), t);
    }

    #[test]
    fn inputs_merge_by_time_keeping_interfaces_options_and_raw_times() {
        let dir = scratch();
        let micros = vec![
            InterfaceDescriptionOption::IfName("a0".into()),
            InterfaceDescriptionOption::Comment("first file".into()),
            InterfaceDescriptionOption::IfTsResol(6),
        ];
        let comment = vec![EnhancedPacketOption::Comment("hello".into()), EnhancedPacketOption::Flags(1)];
        let a = pcapng(
            Endianness::Little,
            &[
                idb(DataLink::ETHERNET, micros),
                epb(0, 1_000_001, b"a1", comment.clone()),
                epb(0, 3_000_000, b"a2", vec![]),
            ],
        );
        // big endian, two sections; the second with a binary resolution and an offset
        let binary = vec![InterfaceDescriptionOption::IfTsResol(0x80 | 10), InterfaceDescriptionOption::IfTsOffset(10)];
        let b = pcapng(
            Endianness::Big,
            &[
                idb(DataLink::NULL, vec![InterfaceDescriptionOption::IfTsResol(9)]),
                epb(0, 2_000_000_000, b"b1", vec![]),
                section(Endianness::Big),
                idb(DataLink::RAW, vec![]),
                idb(DataLink::RAW, binary.clone()),
                epb(1, 512, b"b2", vec![]),
            ],
        );
        // longer than its snap length, as tcpdump -s writes them
        let c = classic_pcap(&[(2, 500_000, b"c1c1", 1500)]);
        let paths = [("a.pcapng", a), ("b.pcapng", b), ("c.pcap", c)].map(|(name, data)| {
            fs::write(dir.join(name), data).unwrap();
            dir.join(name)
        });
        let blocks = merged(&dir, &paths);
        let p = packets(&blocks);
        let got: Vec<(u32, &[u8], u64)> =
            p.iter().map(|p| (p.interface_id, p.data.as_ref(), p.timestamp.as_nanos() as u64)).collect();
        let want: Vec<(u32, &[u8], u64)> = vec![
            (0, b"a1", 1_000_001),
            (1, b"b1", 2_000_000_000),
            (2, b"c1c1", 2_500_000),
            (0, b"a2", 3_000_000),
            (4, b"b2", 512),
        ];
        assert_eq!(got, want);
        assert_eq!(p[0].options, comment);
        assert_eq!((p[2].original_len, p[0].original_len), (1500, 99));
        let ifs = interfaces(&blocks);
        // numbered as read: b's second section comes after c's only interface
        assert_eq!(ifs.len(), 5);
        assert_eq!(ifs[0].options[1], InterfaceDescriptionOption::Comment("first file".into()));
        assert_eq!((ifs[2].linktype, ifs[2].snaplen), (DataLink::ETHERNET, 4));
        assert_eq!(ifs[2].options[0], InterfaceDescriptionOption::IfName("c.pcap".into()));
        assert_eq!((ifs[3].linktype, ifs[4].linktype), (DataLink::RAW, DataLink::RAW));
        assert_eq!(ifs[4].options, binary);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn json_is_framed_exactly_as_convert_does() {
        let dir = scratch();
        let json = "{\"eventName\":\"b\",\"timestamp\":2000000000}\n{\"level\":\"info\",\"msg\":\"x\"}\nnot json\n{\"eventName\":\"a\",\"timestamp\":1000000000}\n";
        fs::write(dir.join("events.log"), json).unwrap();
        let mut converted = Vec::new();
        json_to_pcapng(json.as_bytes(), &mut converted, |_| {}).unwrap();
        let mut reader = PcapNgReader::new(&converted[..]).unwrap();
        let mut want = Vec::new();
        while let Some(b) = reader.next_block() {
            want.push(b.unwrap().into_owned());
        }
        let got = merged(&dir, &[dir.join("events.log")]);
        assert_eq!(got[1..], want[..]); // all but the section header; file order kept within an input
        assert_eq!(packets(&got).len(), 3);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn statistics_and_other_blocks_are_kept_and_remapped() {
        let dir = scratch();
        let start = 0x0000_0001_0000_0002u64;
        let isb = Block::InterfaceStatistics(InterfaceStatisticsBlock {
            interface_id: 1,
            timestamp: start,
            options: vec![InterfaceStatisticsOption::IsbStartTime(start), InterfaceStatisticsOption::IsbIfRecv(7)],
        });
        let blocks = [idb(DataLink::NULL, vec![]), idb(DataLink::NULL, vec![]), epb(1, 5, b"x", vec![]), isb];
        fs::write(dir.join("first.pcapng"), pcapng(Endianness::Little, &[idb(DataLink::NULL, vec![])])).unwrap();
        fs::write(dir.join("big.pcapng"), pcapng(Endianness::Big, &blocks)).unwrap();
        let got = merged(&dir, &[dir.join("first.pcapng"), dir.join("big.pcapng")]);
        assert_eq!(packets(&got)[0].interface_id, 2);
        let Some(Block::InterfaceStatistics(isb)) = got.last() else { panic!("statistics lost: {got:?}") };
        assert_eq!(isb.interface_id, 2);
        // read back in the output's byte order, the times are the input's
        assert_eq!(spanned(isb.timestamp, Endianness::native()), start);
        assert_eq!(isb.options[1], InterfaceStatisticsOption::IsbIfRecv(7));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_cut_short_gives_what_it_has() {
        let dir = scratch();
        let full = pcapng(
            Endianness::Little,
            &[idb(DataLink::NULL, vec![]), epb(0, 1, b"one", vec![]), epb(0, 2, b"two", vec![])],
        );
        fs::write(dir.join("cut.pcapng"), &full[..full.len() - 5]).unwrap();
        let pcap = classic_pcap(&[(1, 0, b"abcd", 4), (2, 0, b"efgh", 4)]);
        fs::write(dir.join("cut.pcap"), &pcap[..pcap.len() - 2]).unwrap();
        let got = packets(&merged(&dir, &[dir.join("cut.pcapng"), dir.join("cut.pcap")]));
        assert_eq!(got.iter().map(|p| p.data.as_ref()).collect::<Vec<_>>(), [b"one".as_slice(), b"abcd"]);
        let _ = fs::remove_dir_all(dir);
    }

    fn merge_error(dir: &Path, name: &str, data: &[u8]) -> String {
        fs::write(dir.join(name), data).unwrap();
        let out = dir.join("out.pcapng");
        let err = merge(&[dir.join(name)], &out).unwrap_err().to_string();
        assert!(!out.exists(), "no output left behind on error");
        assert!(err.contains(name), "{err}");
        err
    }

    #[test]
    fn bad_inputs_are_errors_naming_the_file() {
        let dir = scratch();
        let good = pcapng(Endianness::Little, &[idb(DataLink::NULL, vec![]), epb(0, 1, b"one", vec![])]);
        let mut bad_length = good.clone();
        let at = good.len() - 32; // the length field of the last block, a 36-byte packet block
        bad_length[at..at + 4].copy_from_slice(&13u32.to_le_bytes());
        assert!(merge_error(&dir, "bad-length.pcapng", &bad_length).contains("invalid pcapng block length 13"));
        let mut stray = good.clone();
        let at = good.len() - 28; // the packet block's interface id
        stray[at..at + 4].copy_from_slice(&3u32.to_le_bytes());
        assert!(merge_error(&dir, "stray.pcapng", &stray).contains("interface 3"));
        assert!(merge_error(&dir, "binary.dat", b"\x01\x02\x00\x03").contains("neither a pcap or pcapng"));
        assert!(merge_error(&dir, "header.pcap", &classic_pcap(&[])[..10]).contains("cut short"));
        let err = merge(&[dir.join("missing.json")], &dir.join("out.pcapng")).unwrap_err().to_string();
        assert!(err.contains("missing.json"), "{err}");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn directories_give_known_files_sorted_but_not_the_output() {
        let dir = scratch();
        fs::create_dir_all(dir.join("in/b")).unwrap();
        for f in ["in/b/2.pcap", "in/a.JSON", "in/b/1.jsonl", "in/notes.txt", "in/out.pcapng"] {
            fs::write(dir.join(f), "{}\n").unwrap();
        }
        let mut warnings = Vec::new();
        let files = collect_inputs(&[dir.join("in"), dir.join("in/a.JSON")], &dir.join("in/out.pcapng"), &mut warnings)
            .unwrap();
        assert_eq!(files, ["in/a.JSON", "in/b/1.jsonl", "in/b/2.pcap"].map(|f| dir.join(f)));
        assert_eq!(warnings.len(), 1, "{warnings:?}"); // a.JSON given twice
        let err = collect_inputs(&[dir.join("in/out.pcapng")], &dir.join("in/out.pcapng"), &mut warnings);
        assert!(err.unwrap_err().to_string().contains("is also the output"));
        let _ = fs::remove_dir_all(dir);
    }

    /// Lossless for any inputs: every packet of every input comes out once, with its bytes, raw
    /// time and options, on an interface with its input's options, and in time order.
    #[test]
    fn merge_keeps_every_record_for_any_inputs() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
        let mut runner = TestRunner::new_with_rng(
            Config { cases, failure_persistence: None, ..Config::default() },
            TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
        );
        // per input: packets as (time step in ns, bytes, with a comment); 1–4 inputs
        let packet = (0u64..5_000_000, prop::collection::vec(any::<u8>(), 0..80), any::<bool>());
        let input = prop::collection::vec(packet, 0..30);
        runner
            .run(&prop::collection::vec(input, 1..5), |inputs| {
                let dir = scratch();
                let mut paths = Vec::new();
                let mut expected: Vec<(u64, Vec<u8>, Option<String>, String)> = Vec::new();
                for (k, packets) in inputs.iter().enumerate() {
                    let name = format!("if{k}");
                    let endianness = if k % 2 == 0 { Endianness::Little } else { Endianness::Big };
                    let mut blocks = vec![
                        section(endianness),
                        idb(
                            DataLink::ETHERNET,
                            vec![
                                InterfaceDescriptionOption::IfName(Cow::Owned(name.clone())),
                                InterfaceDescriptionOption::IfTsResol(9),
                            ],
                        ),
                    ];
                    let mut t = 1_700_000_000_000_000_000u64 + k as u64;
                    for (i, (step, data, commented)) in packets.iter().enumerate() {
                        t += step;
                        let comment = commented.then(|| format!("{k}/{i}"));
                        let options =
                            comment.iter().map(|c| EnhancedPacketOption::Comment(Cow::Owned(c.clone()))).collect();
                        blocks.push(epb(0, t, data, options));
                        expected.push((t, data.clone(), comment, name.clone()));
                    }
                    let path = dir.join(format!("in{k}.pcapng"));
                    fs::write(&path, pcapng(endianness, &blocks)).unwrap();
                    paths.push(path);
                }
                let out = merged(&dir, &paths);
                let names: Vec<String> = interfaces(&out)
                    .iter()
                    .map(|i| {
                        i.options
                            .iter()
                            .find_map(|o| match o {
                                InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
                                _ => None,
                            })
                            .unwrap_or_default()
                    })
                    .collect();
                let mut got: Vec<(u64, Vec<u8>, Option<String>, String)> = packets(&out)
                    .iter()
                    .map(|p| {
                        let comment = p.options.iter().find_map(|o| match o {
                            EnhancedPacketOption::Comment(c) => Some(c.to_string()),
                            _ => None,
                        });
                        (
                            p.timestamp.as_nanos() as u64,
                            p.data.to_vec(),
                            comment,
                            names[p.interface_id as usize].clone(),
                        )
                    })
                    .collect();
                let times: Vec<u64> = got.iter().map(|g| g.0).collect();
                prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");
                got.sort();
                expected.sort();
                prop_assert_eq!(got, expected);
                let _ = fs::remove_dir_all(&dir);
                Ok(())
            })
            .unwrap();
        // listed in tests/ROBUSTNESS.md by scripts/test.sh
        let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/reports");
        if fs::create_dir_all(&reports).is_ok() {
            if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(reports.join("fuzz.md")) {
                let _ = writeln!(
                    f,
                    "| merge of 1–4 random pcapng inputs keeps every packet, in time order | {cases} | 0 |"
                );
            }
        }
    }
}
