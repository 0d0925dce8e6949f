//! Write a Trackershark enricher or signature renderer in Rust.
//!
//! Implement [`Plugin`] for a type, then `export_plugin!(YourType);` and build the crate (crate type
//! `cdylib`) for `wasm32-unknown-unknown`. The exports and imports of ABI v1 (`enrichers-wasm/ABI.md`)
//! are generated; the event arrives parsed as an [`Event`].
//!
//! ```ignore
//! use trackershark_plugin::{export_plugin, set_info, Event, Field, Plugin};
//!
//! struct Hello { greeting: Field }
//!
//! impl Plugin for Hello {
//!     fn describe() -> Self {
//!         Hello { greeting: Field::declare("greeting", "Greeting") }
//!     }
//!     fn enrich(&mut self, event: &Event) -> Result<(), String> {
//!         self.greeting.add(&format!("hello from {}", event.str("processName").unwrap_or("?")));
//!         set_info("greeted");
//!         Ok(())
//!     }
//! }
//! export_plugin!(Hello);
//! ```

use std::any::Any;
use std::cell::RefCell;

pub use serde_json::{self, Value};

/// The ABI version this crate implements.
pub const ABI_VERSION: i32 = 1;

#[cfg(target_family = "wasm")]
mod host {
    #[link(wasm_import_module = "trackershark")]
    extern "C" {
        pub fn declare_field(abbrev: *const u8, abbrev_len: usize, name: *const u8, name_len: usize) -> i32;
        pub fn add_field(index: i32, value: *const u8, value_len: usize) -> i32;
        pub fn set_info(text: *const u8, len: usize) -> i32;
        pub fn log(level: i32, text: *const u8, len: usize);
    }
}

/// Outside WebAssembly (unit tests of a plugin's logic on the build machine), the host calls are
/// recorded in [`test_host`] instead.
#[cfg(not(target_family = "wasm"))]
mod host {
    use super::test_host::RECORD;

    pub unsafe fn declare_field(a: *const u8, al: usize, n: *const u8, nl: usize) -> i32 {
        let (a, n) = unsafe { (text(a, al), text(n, nl)) };
        RECORD.with(|r| {
            let mut r = r.borrow_mut();
            r.declared.push((a, n));
            r.declared.len() as i32 - 1
        })
    }
    pub unsafe fn add_field(index: i32, v: *const u8, vl: usize) -> i32 {
        let v = unsafe { text(v, vl) };
        RECORD.with(|r| {
            let mut r = r.borrow_mut();
            let name = r.declared.get(index as usize).map(|d| d.0.clone()).unwrap_or_default();
            r.fields.push((name, v));
        });
        0
    }
    pub unsafe fn set_info(p: *const u8, l: usize) -> i32 {
        let t = unsafe { text(p, l) };
        RECORD.with(|r| r.borrow_mut().info = Some(t));
        0
    }
    pub unsafe fn log(level: i32, p: *const u8, l: usize) {
        let t = unsafe { text(p, l) };
        RECORD.with(|r| r.borrow_mut().logs.push((level, t)));
    }
    unsafe fn text(p: *const u8, l: usize) -> String {
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(p, l) }).into_owned()
    }
}

/// What a plugin did, when run on the build machine (for plugin unit tests).
#[cfg(not(target_family = "wasm"))]
pub mod test_host {
    use std::cell::RefCell;

    #[derive(Default, Debug, Clone)]
    pub struct Record {
        /// (abbrev, name)
        pub declared: Vec<(String, String)>,
        /// (abbrev, value)
        pub fields: Vec<(String, String)>,
        pub info: Option<String>,
        pub logs: Vec<(i32, String)>,
    }

    impl Record {
        /// The first value added for a field (by abbrev), if any.
        pub fn first(&self, abbrev: &str) -> Option<&str> {
            self.values(abbrev).into_iter().next()
        }

        /// Every value added for a field (by abbrev), in order.
        pub fn values(&self, abbrev: &str) -> Vec<&str> {
            self.fields.iter().filter(|(a, _)| a == abbrev).map(|(_, v)| v.as_str()).collect()
        }
    }

    thread_local! {
        pub(crate) static RECORD: RefCell<Record> = RefCell::new(Record::default());
    }

    /// Runs plugin `P` on one event given as the host would give it, and returns what it produced.
    pub fn run<P: super::Plugin>(event_json: &str) -> Result<Record, String> {
        RECORD.with(|r| *r.borrow_mut() = Record::default());
        let mut plugin = P::describe();
        RECORD.with(|r| {
            let mut r = r.borrow_mut();
            r.fields.clear();
        });
        let event = super::Event::parse(event_json.as_bytes())?;
        plugin.enrich(&event)?;
        Ok(RECORD.with(|r| r.borrow().clone()))
    }
}

/// A field the plugin declared; filterable as `tracker.enrich.<abbrev>`, shown as `[<name>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field(i32);

impl Field {
    /// Declares a field. Only valid inside [`Plugin::describe`]. `abbrev`: lower-case letters,
    /// digits and `_`.
    pub fn declare(abbrev: &str, name: &str) -> Field {
        Field(unsafe { host::declare_field(abbrev.as_ptr(), abbrev.len(), name.as_ptr(), name.len()) })
    }

    /// Adds the field with a value to the event being enriched. False when the host refused it.
    #[allow(clippy::should_implement_trait)] // not arithmetic: "add to the event"
    pub fn add(self, value: &str) -> bool {
        self.0 >= 0 && unsafe { host::add_field(self.0, value.as_ptr(), value.len()) } == 0
    }
}

/// Replaces the event's Info column text.
pub fn set_info(text: &str) -> bool {
    unsafe { host::set_info(text.as_ptr(), text.len()) == 0 }
}

/// What the `put`/`show_info` helpers keep of a text, in bytes (the host takes at most 64 KiB of
/// output per event).
pub const INFO_MAX: usize = 1024;
pub const FIELD_MAX: usize = 4096;

impl Field {
    /// Adds a value as shown text: control characters escaped, cut to [`FIELD_MAX`] bytes.
    pub fn put(self, value: &str) -> bool {
        self.add(&shown(value, FIELD_MAX))
    }
}

/// Sets the Info text as shown text: control characters escaped, cut to [`INFO_MAX`] bytes.
pub fn show_info(text: &str) -> bool {
    set_info(&shown(text, INFO_MAX))
}

/// `text` with control characters written `\xNN`, cut to at most `max` bytes (see [`clip`]).
pub fn shown(text: &str, max: usize) -> String {
    clip(&escape_controls(text), max)
}

/// Control characters (below U+0100) written as `\xNN`, so a value stays on one line.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && (c as u32) < 0x100) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` cut to at most `max` bytes at a character boundary, ending with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[derive(Clone, Copy, Debug)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

/// A message for the analyst.
pub fn log(level: Level, text: &str) {
    unsafe { host::log(level as i32, text.as_ptr(), text.len()) }
}

/// The event being enriched (the shape is described in ABI.md).
pub struct Event {
    pub json: Value,
}

impl Event {
    pub fn parse(bytes: &[u8]) -> Result<Event, String> {
        serde_json::from_slice(bytes).map(|json| Event { json }).map_err(|e| format!("event is not JSON: {e}"))
    }

    pub fn name(&self) -> &str {
        self.str("eventName").unwrap_or("")
    }

    /// A top-level value (`processName`, `processId`, `containerImage`, …).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.json.get(key)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    pub fn i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(as_i64)
    }

    /// One of the event's own arguments.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.json.get("args").and_then(|a| a.get(name))
    }

    pub fn arg_str(&self, name: &str) -> Option<&str> {
        self.arg(name).and_then(Value::as_str)
    }

    /// An integer argument, written as a number or as decimal or `0x` text.
    pub fn arg_i64(&self, name: &str) -> Option<i64> {
        self.arg(name).and_then(as_i64)
    }

    /// An argument of the event that triggered a signature.
    pub fn trigger_arg(&self, name: &str) -> Option<&Value> {
        self.json.get("triggeredBy").and_then(|t| t.get("args")).and_then(|a| a.get(name))
    }

    /// The event's own argument, or else the triggering event's.
    pub fn arg_or_trigger(&self, name: &str) -> Option<&Value> {
        self.arg(name).or_else(|| self.trigger_arg(name))
    }

    /// A member of the signature metadata (`id`, `name`, `severity`, …), on signature events.
    pub fn signature(&self, key: &str) -> Option<&Value> {
        self.json.get("signature").and_then(|s| s.get(key))
    }

    pub fn is_signature(&self) -> bool {
        self.json.get("signature").is_some()
    }

    /// A parameter from the rule that runs the plugin.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.json.get("params").and_then(|p| p.get(name))
    }
}

/// Integers as Tracker writes them: numbers, or decimal or `0x` hex text.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok().map(|u| u as i64),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Text of a scalar value: strings as they are, numbers and booleans written out.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A plugin: `describe` declares its fields, `enrich` runs once per event the rules send it.
pub trait Plugin: Sized + 'static {
    fn describe() -> Self;
    /// An `Err` is reported to the analyst on the event (and counts as a fault).
    fn enrich(&mut self, event: &Event) -> Result<(), String>;
}

thread_local! {
    static STATE: RefCell<Option<Box<dyn Any>>> = RefCell::new(None);
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[doc(hidden)]
pub fn __alloc(size: i32) -> *mut u8 {
    INPUT.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.resize(size.max(0) as usize, 0);
        b.as_mut_ptr()
    })
}

#[doc(hidden)]
pub fn __describe<P: Plugin>() -> i32 {
    let plugin: Box<dyn Any> = Box::new(P::describe());
    STATE.with(|s| *s.borrow_mut() = Some(plugin));
    0
}

/// # Safety
/// `ptr..ptr+len` must be the bytes the host wrote into the buffer `__alloc` returned.
#[doc(hidden)]
pub unsafe fn __enrich<P: Plugin>(ptr: *const u8, len: i32) -> i32 {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len.max(0) as usize) };
    let result = Event::parse(bytes).and_then(|event| {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            let state = s.get_or_insert_with(|| Box::new(P::describe()));
            match state.downcast_mut::<P>() {
                Some(plugin) => plugin.enrich(&event),
                None => Err("plugin state has another type".to_string()),
            }
        })
    });
    match result {
        Ok(()) => 0,
        Err(why) => {
            log(Level::Error, &why);
            1
        }
    }
}

/// Generates the ABI v1 exports for a [`Plugin`] type.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[no_mangle]
        pub extern "C" fn trackershark_abi_version() -> i32 {
            $crate::ABI_VERSION
        }
        #[no_mangle]
        pub extern "C" fn alloc(size: i32) -> *mut u8 {
            $crate::__alloc(size)
        }
        #[no_mangle]
        pub extern "C" fn describe() -> i32 {
            $crate::__describe::<$plugin>()
        }
        #[no_mangle]
        #[allow(clippy::not_unsafe_ptr_arg_deref)] // an ABI entry: the host owns the pointer
        pub extern "C" fn enrich(ptr: *const u8, len: i32) -> i32 {
            // SAFETY: the host calls `enrich` with the buffer `alloc` handed out, filled with `len` bytes
            unsafe { $crate::__enrich::<$plugin>(ptr, len) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_text_is_one_line_and_bounded() {
        assert_eq!(escape_controls("a\nb\u{7f}c\u{85}é"), "a\\x0ab\\x7fc\\x85é");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdef", 4), "a…");
        assert_eq!(clip("éé", 3), "…");
        let long = shown(&"x\n".repeat(5000), FIELD_MAX);
        assert!(long.len() <= FIELD_MAX && long.ends_with('…') && !long.contains('\n'));
    }

    #[test]
    fn integers_as_tracker_writes_them() {
        for (v, want) in [
            (serde_json::json!(42), Some(42)),
            (serde_json::json!("0x1f"), Some(31)),
            (serde_json::json!(" 7 "), Some(7)),
            (serde_json::json!(u64::MAX), Some(-1)),
            (serde_json::json!("O_RDONLY"), None),
            (serde_json::json!(null), None),
        ] {
            assert_eq!(as_i64(&v), want, "{v}");
        }
    }
}
