//! The file reader's lines: blocks of a Tracker log go in, and one line at a time comes out, with
//! its offset in the file, what it is and, for a packet, the packet's bytes. One call per line
//! instead of a read, a seek and a classification.
//!
//! The blocks are read straight from Wireshark's file handle with libwiretap's `file_read` (the
//! function behind Lua's `File:read`), so no Lua string is made of them; where that function is
//! missing, or the `File` object is not laid out as `struct _wslua_file` (`{ FILE_T file;
//! wtap_dumper *wdh; gboolean expired; }` from Wireshark 1.12 to 4.6), the plugin reads them in
//! Lua and hands them over.
//!
//! The lines are read by `engine::reading::LogReader`: the sequential reader's on a thread of its
//! own, a few blocks ahead, together with what the dissector will want of them (kept for the
//! line's packet by `keep_read_ahead`). A fault while reading a line makes it a malformed packet;
//! anything else that fails here is a Lua error, which Wireshark reports for the read routine.

use std::ffi::{c_int, c_uint, c_void};
use std::sync::OnceLock;

use mlua::prelude::*;
use trackershark_engine::reading::{LogReader, Next};
use trackershark_engine::{pcapng, LineKind};

type FileRead = unsafe extern "C" fn(*mut c_void, c_uint, *mut c_void) -> c_int;

/// libwiretap's `int file_read(void *buf, unsigned int count, FILE_T file)`, from this process.
fn file_read() -> Option<FileRead> {
    static FILE_READ: OnceLock<Option<FileRead>> = OnceLock::new();
    *FILE_READ.get_or_init(|| {
        if std::env::var_os("TRACKERSHARK_TEST_BIND_FAILURE").is_some_and(|v| !v.is_empty()) {
            return None;
        }
        lookup_file_read()
    })
}

#[cfg(unix)]
fn lookup_file_read() -> Option<FileRead> {
    let process = libloading::os::unix::Library::this();
    // SAFETY: the declared type is the function's C signature in libwiretap 4.0–4.6; the pointer
    // stays valid after the handle is dropped, as libwiretap stays loaded with Wireshark
    unsafe { process.get::<FileRead>(b"file_read\0") }.ok().map(|f| *f)
}

#[cfg(not(unix))]
fn lookup_file_read() -> Option<FileRead> {
    None
}

/// The `FILE_T` a Lua `File` object (a reader's, not expired) reads from.
///
/// # Safety
/// `userdata` must be the memory of a wslua `File` userdata (which holds a `struct _wslua_file *`).
unsafe fn file_handle(userdata: *const c_void) -> Option<*mut c_void> {
    // `expired` is a `gboolean` up to 4.0 and a `bool` after: its first byte (little-endian) says
    #[repr(C)]
    struct WsluaFile {
        file: *mut c_void,
        wdh: *mut c_void,
        expired: u8,
    }
    if cfg!(target_endian = "big") {
        return None;
    }
    if userdata.is_null() {
        return None;
    }
    let file = *(userdata as *const *const WsluaFile);
    if file.is_null() || !(*file).wdh.is_null() || (*file).expired != 0 || (*file).file.is_null() {
        return None;
    }
    Some((*file).file)
}

const KINDS: [LineKind; 4] = [LineKind::Event, LineKind::Log, LineKind::Blank, LineKind::Garbage];

/// The lines of the file being read, and the packet made of the current one.
pub struct LineReader {
    lines: LogReader,
    /// The packet being put together: the frame header, then the line.
    packet: Vec<u8>,
    header_len: usize,
    /// The names of the kinds of line, made once: each line's kind is then a reference to push.
    kind_names: [LuaString; 4],
}

impl LineReader {
    pub fn new(lua: &Lua, lines: LogReader) -> LuaResult<LineReader> {
        let name = |i: usize| lua.create_string(crate::kind_name(KINDS[i]));
        let packet = pcapng::frame_header();
        Ok(LineReader {
            lines,
            header_len: packet.len(),
            packet,
            kind_names: [name(0)?, name(1)?, name(2)?, name(3)?],
        })
    }

    /// Reads the next block (of up to `size` bytes) from a Lua `File`; false when it cannot be
    /// read here (the plugin then reads it and calls `feed`).
    ///
    /// # Safety
    /// `file` must be the memory of a wslua `File` userdata, used by nothing else meanwhile.
    unsafe fn read_from(&mut self, file: *const c_void, size: usize) -> bool {
        let (Some(read), Some(handle)) = (file_read(), file_handle(file)) else { return false };
        self.lines.fill(size, |room| {
            // (a failed read ends the file, as for Lua's `File:read`: what was read stays)
            usize::try_from(read(room.as_mut_ptr().cast(), room.len() as c_uint, handle)).ok()
        });
        true
    }
}

/// What `next` returns: kind (or nil, or false), offset, seconds, nanoseconds, packet.
type NextLine = (LuaValue, Option<f64>, Option<f64>, Option<f64>, Option<LuaString>);

impl LuaUserData for LineReader {
    fn add_methods<M: LuaUserDataMethods<Self>>(methods: &mut M) {
        // `feed(block)`: a block of the file, or nil at its end
        methods.add_method_mut("feed", |_, reader, block: Option<LuaString>| {
            reader.lines.feed(block.as_ref().map(|b| b.as_bytes()).as_deref());
            Ok(())
        });
        // `restart(offset)`: random access; the next block read is the file's at `offset`
        methods.add_method_mut("restart", |_, reader, offset: u64| {
            reader.lines.restart(offset);
            Ok(())
        });
        // `read_from(file, size)`: reads the next block of the plugin's `File`; false when the
        // plugin is to read it and `feed` it
        methods.add_method_mut("read_from", |lua, reader, (file, size): (LuaValue, usize)| {
            // SAFETY: the plugin passes the `File` its FileHandler's read routine was given
            let read = unsafe { reader.read_from(file.to_pointer(), size) };
            if read {
                crate::count_native_read(lua);
            }
            Ok(read)
        });
        // `next()` → kind ("event", "log", "blank", "garbage"), offset, seconds and nanoseconds
        // (or nil), and for a packet (an event or garbage) its bytes; nil when more blocks are
        // needed; false when the file is done (the values go straight onto Lua's stack)
        methods.add_method_mut("next", |lua, reader, ()| -> LuaResult<NextLine> {
            let LineReader { lines, packet, header_len, kind_names } = reader;
            let (offset, line, info, ahead) = match lines.next_line().map_err(LuaError::runtime)? {
                Next::Line { offset, line, info, ahead } => (offset, line, info, ahead),
                Next::More => return Ok((LuaNil, None, None, None, None)),
                Next::Done => return Ok((LuaValue::Boolean(false), None, None, None, None)),
            };
            crate::keep_read_ahead(lua, line, ahead);
            let bytes = match info.kind {
                LineKind::Log | LineKind::Blank => None,
                LineKind::Event | LineKind::Garbage => {
                    packet.truncate(*header_len);
                    packet.extend_from_slice(line);
                    Some(lua.create_string(&packet)?)
                }
            };
            let (secs, nanos) = crate::time_parts(&info);
            let kind = kind_names[KINDS.iter().position(|k| *k == info.kind).expect("every kind")].clone();
            Ok((LuaValue::String(kind), Some(offset as f64), secs, nanos, bytes))
        });
    }
}
