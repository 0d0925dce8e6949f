//! Argument typing: Tracee type strings (and protobuf value kinds) to typed values and tree items.

use std::cell::RefCell;

use base64::Engine as _;
use compact_str::CompactStringExt;
use rustc_hash::FxHashMap;

use crate::fields::{Catalog, FieldId, FieldType, F};
use crate::json::{Json, Kind, Span};
use crate::structs::{self, MemberKind, StructDef};
use crate::tree::{ArgValue, ExpertKind, Text, Timestamp, Tree, Value};

/// How an argument's value is read and shown.
#[derive(Clone, Copy, Debug)]
pub enum ArgKind {
    Int,
    UInt,
    /// Pointers and addresses: shown in hex.
    Hex,
    Bool,
    Str,
    StrArray,
    /// Base64 in JSON (or an array of byte values).
    Bytes,
    /// `umode_t` / `mode_t`: octal with the file type and permissions spelled out.
    Mode,
    /// `dev_t`: shown with its major:minor pair.
    Dev,
    Float,
    Time,
    IntArray,
    Struct(&'static StructDef),
    /// Free-form JSON (protobuf `struct`): shown as written.
    RawJson,
    /// A type the engine does not know: shown as "unsupported type <t>" with the raw JSON.
    Unknown,
}

impl ArgKind {
    /// Maps a Tracee type string (C style before v0.24, Go style after) or a protobuf value kind.
    pub fn from_type(type_name: &str) -> ArgKind {
        // events name a few types over and over: each is worked out once (the memo is bounded, as
        // a hostile log may name any number)
        thread_local! {
            static KNOWN: RefCell<FxHashMap<Box<str>, ArgKind>> = RefCell::default();
        }
        KNOWN.with_borrow_mut(|known| {
            if let Some(kind) = known.get(type_name) {
                return *kind;
            }
            let kind = Self::work_out(type_name);
            if known.len() < 4096 {
                known.insert(type_name.into(), kind);
            }
            kind
        })
    }

    fn work_out(type_name: &str) -> ArgKind {
        let t = normalize_type(type_name);
        match Self::from_normalized(&t) {
            // `const clockid_t`, `const struct timespec*`: the qualifier changes nothing shown
            ArgKind::Unknown if t.starts_with("const ") => Self::from_normalized(&t["const ".len()..]),
            kind => kind,
        }
    }

    fn from_normalized(t: &str) -> ArgKind {
        if let Some(def) = structs::by_type(t) {
            return ArgKind::Struct(def);
        }
        match t {
            "int" | "long" | "short" | "s8" | "s16" | "s32" | "s64" | "int8" | "int16" | "int32" | "int64"
            | "sint32" | "sint64" | "sfixed32" | "sfixed64" | "pid_t" | "off_t" | "loff_t" | "ssize_t"
            | "clockid_t" | "key_t" | "mqd_t" | "long long" | "signed int" | "char" | "timer_t" | "key_serial_t"
            | "landlock_rule_type" => ArgKind::Int,
            "unsigned int" | "unsigned long" | "unsigned short" | "unsigned char" | "unsigned long long" | "u8"
            | "u16" | "u32" | "u64" | "uint" | "uint8" | "uint16" | "uint32" | "uint64" | "fixed32" | "fixed64"
            | "size_t" | "uid_t" | "gid_t" | "ino_t" | "__u32" | "__u64" | "unsigned" | "u_int32" | "u_int64"
            | "uInt32" | "uInt64" | "old_uid_t" | "old_gid_t" | "old_old_uid_t" | "qid_t" | "aio_context_t"
            | "io_context_t" => ArgKind::UInt,
            "dev_t" => ArgKind::Dev,
            "umode_t" | "mode_t" => ArgKind::Mode,
            "bool" | "_Bool" => ArgKind::Bool,
            "char*" | "const char*" | "string" | "str" | "char[]" => ArgKind::Str,
            "const char**" | "const char*const*" | "char**" | "[]string" | "str_array" | "strArray" | "[]str" => {
                ArgKind::StrArray
            }
            "bytes" | "[]byte" | "[]uint8" | "u8[]" => ArgKind::Bytes,
            "float" | "double" | "float32" | "float64" => ArgKind::Float,
            "time.Time" | "timespec" | "struct timespec*" | "timestamp" | "time" => ArgKind::Time,
            "unsigned long[]" | "int[2]" | "int[]" | "u64[]" | "u32[]" | "[]uint64" | "[]uint32" | "[]int32"
            | "[]int64" | "[]int" | "uint64_array" | "int32_array" | "uint32_array" | "int64_array" | "[]uint16"
            | "u16[]" | "u_int64_array" | "uInt64Array" | "int32Array" | "[2]int" => ArgKind::IntArray,
            "struct" | "google.protobuf.Struct" | "map[string]interface {}" | "interface{}" => ArgKind::RawJson,
            "void*" | "uintptr" | "trace.Pointer" | "pointer" => ArgKind::Hex,
            "cap_user_header_t" | "cap_user_data_t" | "sighandler_t" => ArgKind::Hex,
            _ if t.ends_with('*') || t.ends_with("*restrict") => ArgKind::Hex,
            _ => ArgKind::Unknown,
        }
    }

    /// For arguments that come without a type: guess from the JSON value.
    pub fn infer(value: &Json) -> ArgKind {
        match &value.kind {
            Kind::Str(_) | Kind::Null => ArgKind::Str,
            Kind::Bool(_) => ArgKind::Bool,
            Kind::Num(n) if n.starts_with('-') => ArgKind::Int,
            Kind::Num(n) if n.contains(['.', 'e', 'E']) => ArgKind::Float,
            Kind::Num(_) => ArgKind::UInt,
            Kind::Arr(items) if items.iter().all(|i| matches!(i.kind, Kind::Str(_))) => ArgKind::StrArray,
            Kind::Arr(items) if items.iter().all(|i| matches!(i.kind, Kind::Num(_))) => ArgKind::IntArray,
            _ => ArgKind::Unknown,
        }
    }

    pub fn field_type(self) -> FieldType {
        match self {
            ArgKind::Int => FieldType::Int,
            ArgKind::UInt | ArgKind::Dev => FieldType::UInt,
            ArgKind::Hex => FieldType::Hex,
            ArgKind::Bool => FieldType::Bool,
            ArgKind::Bytes => FieldType::Bytes,
            ArgKind::Mode => FieldType::Oct,
            ArgKind::Time => FieldType::Time,
            ArgKind::Str
            | ArgKind::StrArray
            | ArgKind::Float
            | ArgKind::IntArray
            | ArgKind::Struct(_)
            | ArgKind::RawJson
            | ArgKind::Unknown => FieldType::Str,
        }
    }
}

/// `const char *` → `const char*`, `const char * const *` → `const char*const*`.
fn normalize_type(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for part in t.split_whitespace() {
        if !out.is_empty() && !part.starts_with('*') && !out.ends_with('*') {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// What an argument needs to be rendered.
pub struct ArgInput<'j, 'a> {
    pub name: &'j str,
    /// The type as written (`None` where the format has no type).
    pub type_name: Option<&'j str>,
    pub value: &'j Json<'a>,
    /// The whole argument (object) in the line.
    pub span: Span,
}

/// Renders one argument into the tree, and appends its Info-column text (`name=value`) to `info`, after
/// a `, ` when there is text before it.
pub fn render_arg(tree: &mut Tree, line: &str, arg: &ArgInput, info: &mut String) {
    let cat = Catalog::get();
    let kind = match arg.type_name {
        Some(t) => ArgKind::from_type(t),
        None => cat.arg_kind(arg.name).copied().unwrap_or_else(|| ArgKind::infer(arg.value)),
    };
    let registered = cat.arg_field(arg.name);
    let (value, shown) = match kind {
        ArgKind::Unknown => {
            let raw = arg.value.raw(line);
            let shown = format!("unsupported type {}: {}", arg.type_name.unwrap_or("?"), raw);
            (Value::Str(raw.into()), Some(shown))
        }
        ArgKind::Struct(def) => (Value::Str(struct_summary(def, arg.value, line).into()), None),
        _ => typed_value(kind, arg.value, line),
    };

    if !info.is_empty() {
        info.push_str(", ");
    }
    info.push_str(arg.name);
    info.push('=');
    match (&value, &shown) {
        (Value::Str(s), _) if matches!(kind, ArgKind::Str) => push_quoted(info, s),
        (_, Some(shown)) if !matches!(kind, ArgKind::Unknown) => info.push_str(shown),
        _ => value.write_text(info),
    }

    // Text in a numeric field does not fit: Tracee's parse-arguments turns numbers into names
    // ("O_RDONLY", "3=/etc/passwd"). Such a value goes to the generic field, and is no fault.
    let field = registered.filter(|f| cat.ftype(*f) == FieldType::Str || !matches!(value, Value::Str(_)));
    let head_field: FieldId = field.unwrap_or(F::UncataloguedArg.into());
    // the generic field's name says nothing: its label names the argument
    let label = (shown.is_some() || field.is_none()).then(|| {
        let mut label = String::with_capacity(arg.name.len() + 2 + shown.as_ref().map_or(24, String::len));
        label.push_str(arg.name);
        label.push_str(": ");
        match &shown {
            Some(shown) => label.push_str(shown),
            None => value.write_text(&mut label),
        }
        label
    });
    // text fields (the generic one, names typed differently across events) hold numbers as shown
    let value = match value {
        Value::Str(_) => value,
        _ if cat.ftype(head_field) == FieldType::Str => Value::Str(shown.map_or_else(|| value.text(), Text::from)),
        _ => value,
    };

    tree.arg_values.push(ArgValue {
        name: arg.name.into(),
        value: unwrap_wrapper(arg.value).span,
        trigger: tree.in_trigger,
    });
    let head = if let ArgKind::Struct(def) = kind {
        let idx = tree.open(head_field, arg.span, value, label);
        render_struct_value(tree, line, def, arg.value);
        tree.close();
        idx
    } else {
        tree.push(head_field, arg.span, value, label)
    };
    if field.is_none() || matches!(kind, ArgKind::Unknown) {
        tree.open_child_type(head, arg);
    }
    if let Some(found) = misfit(kind, unwrap_wrapper(arg.value)) {
        tree.expert(
            ExpertKind::TypeMismatch,
            format!("argument {} ({}) holds {found}", arg.name, arg.type_name.unwrap_or("untyped")),
            Some(head),
        );
    }
    if matches!(kind, ArgKind::Unknown) {
        tree.expert(
            ExpertKind::UnsupportedType,
            format!("argument {} has unsupported type {}", arg.name, arg.type_name.unwrap_or("?")),
            Some(head),
        );
    }
    if arg.name == "argv" && matches!(kind, ArgKind::StrArray) {
        let words = arg.value_items().map(|j| j.display(line));
        tree.push(F::CommandLine, arg.value.span, Value::Str(command_line(words).into()), None);
    }
}

/// Appends a string in quotes, escaped as Rust's `{:?}` does (printable ASCII needs no escaping).
fn push_quoted(out: &mut String, s: &str) {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        use std::fmt::Write as _;
        let _ = write!(out, "{s:?}");
    }
}

impl ArgInput<'_, '_> {
    fn value_items(&self) -> impl Iterator<Item = &Json<'_>> {
        unwrap_wrapper(self.value).items().iter()
    }
}

impl Tree {
    /// Records the argument's declared type under an uncatalogued or unsupported argument.
    fn open_child_type(&mut self, head: usize, arg: &ArgInput) {
        if let Some(t) = arg.type_name {
            let depth = self.depth();
            let span = self.items[head].span;
            let idx = self.push(F::ArgType, span, Value::Str(t.into()), None);
            self.items[idx].depth = depth + 1;
        }
    }
}

/// What a value is, when its JSON shape cannot be its declared kind (an object for an `int`, a
/// fraction for a `u32`, …). Text is always accepted: Tracker's parse-arguments writes names.
fn misfit(kind: ArgKind, v: &Json) -> Option<&'static str> {
    let integer = |v: &Json| v.as_i64().is_some() || v.as_u64().is_some();
    match (kind, &v.kind) {
        (_, Kind::Null | Kind::Str(_)) => None,
        (ArgKind::Int | ArgKind::UInt | ArgKind::Hex | ArgKind::Mode | ArgKind::Dev, Kind::Num(_)) if !integer(v) => {
            Some("a number out of range or not whole")
        }
        (
            ArgKind::Int
            | ArgKind::UInt
            | ArgKind::Hex
            | ArgKind::Mode
            | ArgKind::Dev
            | ArgKind::Float
            | ArgKind::Time
            | ArgKind::Str,
            Kind::Obj(_) | Kind::Arr(_),
        ) => Some(if matches!(v.kind, Kind::Obj(_)) { "an object" } else { "an array" }),
        (
            ArgKind::Int | ArgKind::UInt | ArgKind::Hex | ArgKind::Mode | ArgKind::Dev | ArgKind::Float,
            Kind::Bool(_),
        ) => Some("a boolean"),
        (ArgKind::Bool, Kind::Obj(_) | Kind::Arr(_)) => Some("an object or array"),
        (ArgKind::StrArray | ArgKind::IntArray, Kind::Obj(_) | Kind::Bool(_) | Kind::Num(_)) => Some("no array"),
        (ArgKind::Bytes, Kind::Obj(_) | Kind::Bool(_) | Kind::Num(_)) => Some("no bytes"),
        _ => None,
    }
}

/// Protobuf JSON wraps some values as `{"value": ...}` (sometimes twice).
pub fn unwrap_wrapper<'j, 'a>(mut v: &'j Json<'a>) -> &'j Json<'a> {
    while let [m] = v.members() {
        if m.key != "value" {
            break;
        }
        v = &m.value;
    }
    v
}

/// The typed value and, where it adds something, a richer display text.
fn typed_value(kind: ArgKind, json: &Json, line: &str) -> (Value, Option<String>) {
    let v = unwrap_wrapper(json);
    let as_text = || Value::Str(v.display(line).into());
    match kind {
        ArgKind::Int => (v.as_i64().map(Value::Int).unwrap_or_else(as_text), None),
        ArgKind::UInt => {
            (v.as_u64().map(Value::UInt).or_else(|| v.as_i64().map(Value::Int)).unwrap_or_else(as_text), None)
        }
        ArgKind::Hex => match hex_value(v) {
            Some(u) => (Value::UInt(u), Some(hex_text(u))),
            None => (as_text(), None),
        },
        ArgKind::Bool => (v.as_bool().map(Value::Bool).unwrap_or_else(as_text), None),
        ArgKind::Str => match &v.kind {
            Kind::Null => (Value::Str(Text::default()), None),
            _ => (as_text(), None),
        },
        ArgKind::Float => (as_text(), None),
        ArgKind::StrArray | ArgKind::IntArray => {
            let items = v.items().iter().map(|i| i.display(line));
            match &v.kind {
                Kind::Arr(_) => (Value::Str(bracketed_list(items, matches!(kind, ArgKind::StrArray)).into()), None),
                Kind::Null => (Value::Str("[]".into()), None),
                _ => (as_text(), None),
            }
        }
        ArgKind::Bytes => match bytes_value(v) {
            Some(b) => {
                let mut shown = String::with_capacity(80);
                shown.push_str(itoa::Buffer::new().format(b.len()));
                shown.push_str(" bytes: ");
                push_preview_bytes(&mut shown, &b);
                (Value::Bytes(b), Some(shown))
            }
            None => (as_text(), None),
        },
        ArgKind::Mode => match v.as_u64() {
            Some(m) => {
                use std::fmt::Write as _;
                let mut shown = String::with_capacity(48);
                let _ = if m == 0 { write!(shown, "0 (") } else { write!(shown, "0{m:o} (") };
                write_mode(&mut shown, m);
                shown.push(')');
                (Value::UInt(m), Some(shown))
            }
            None => (as_text(), None),
        },
        ArgKind::Dev => match v.as_u64() {
            Some(d) => {
                let mut shown = String::with_capacity(32);
                let mut digits = itoa::Buffer::new();
                for (n, after) in [(d, " ("), (d >> 20, ":"), (d & 0xfffff, ")")] {
                    shown.push_str(digits.format(n));
                    shown.push_str(after);
                }
                (Value::UInt(d), Some(shown))
            }
            None => (as_text(), None),
        },
        ArgKind::Time => match time_value(v) {
            Some(t) => (Value::Time(t), None),
            None => (as_text(), None),
        },
        ArgKind::Struct(_) | ArgKind::Unknown => (as_text(), None),
        ArgKind::RawJson => (Value::Str(v.raw(line).into()), None),
    }
}

/// `[a, b]`, or `["a", "b"]` quoted.
fn bracketed_list<'s>(items: impl Iterator<Item = &'s str>, quote: bool) -> String {
    let mut s = String::from("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if quote {
            push_quoted(&mut s, item);
        } else {
            s.push_str(item);
        }
    }
    s.push(']');
    s
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `0x` and the number in lower-case hex.
fn hex_text(u: u64) -> String {
    let mut digits = [0u8; 16];
    let (mut i, mut n) = (digits.len(), u);
    loop {
        i -= 1;
        digits[i] = HEX_DIGITS[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(2 + digits.len() - i);
    s.push_str("0x");
    s.push_str(std::str::from_utf8(&digits[i..]).expect("hex digits"));
    s
}

/// Pointers come as numbers or as `"0x..."` strings.
fn hex_value(v: &Json) -> Option<u64> {
    match &v.kind {
        Kind::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => v.as_u64().or_else(|| v.as_i64().map(|i| i as u64)),
    }
}

fn bytes_value(v: &Json) -> Option<Vec<u8>> {
    match &v.kind {
        Kind::Str(s) => base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).ok(),
        Kind::Arr(items) => items.iter().map(|i| i.as_u64().and_then(|b| u8::try_from(b).ok())).collect(),
        Kind::Null => Some(Vec::new()),
        _ => None,
    }
}

/// Appends the first 32 bytes in hex (and `…` when there are more).
fn push_preview_bytes(hex: &mut String, b: &[u8]) {
    for x in b.iter().take(32) {
        hex.push(HEX_DIGITS[(x >> 4) as usize] as char);
        hex.push(HEX_DIGITS[(x & 0xf) as usize] as char);
    }
    if b.len() > 32 {
        hex.push('…');
    }
}

/// Nanoseconds since the epoch, RFC 3339 text, or protobuf `{seconds, nanos}`.
pub fn time_value(v: &Json) -> Option<Timestamp> {
    match &v.kind {
        Kind::Str(s) => parse_rfc3339(s).or_else(|| s.parse::<i128>().ok().map(Timestamp::from_nanos)),
        Kind::Num(n) if n.contains(['.', 'e', 'E']) => {
            let secs: f64 = n.parse().ok()?;
            Some(Timestamp::from_nanos((secs * 1e9) as i128))
        }
        Kind::Num(_) => v.as_i128().map(Timestamp::from_nanos),
        Kind::Obj(_) => {
            let secs = v.get("seconds").and_then(|s| s.as_i64()).unwrap_or(0);
            let nanos = v.get("nanos").and_then(|n| n.as_i64()).unwrap_or(0);
            (v.get("seconds").is_some() || v.get("nanos").is_some())
                .then(|| Timestamp::from_nanos(secs as i128 * 1_000_000_000 + nanos as i128))
        }
        _ => None,
    }
}

pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(Timestamp::from_nanos(t.unix_timestamp_nanos()))
}

/// `[Command Line]`: argv joined as a shell would show it.
pub fn command_line<'s>(words: impl Iterator<Item = &'s str>) -> String {
    let mut line = String::new();
    for (i, w) in words.enumerate() {
        if i > 0 {
            line.push(' ');
        }
        if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c)) {
            line.push_str(w);
        } else {
            line.push('\'');
            line.push_str(&w.replace('\'', r"'\''"));
            line.push('\'');
        }
    }
    line
}

/// Appends `regular file, rwxr-xr-x`-style text for a mode to `out`.
fn write_mode(out: &mut String, mode: u64) {
    let kind = match mode & 0o170000 {
        0o140000 => "socket",
        0o120000 => "symlink",
        0o100000 => "regular file",
        0o060000 => "block device",
        0o040000 => "directory",
        0o020000 => "character device",
        0o010000 => "fifo",
        _ => "",
    };
    if !kind.is_empty() {
        out.push_str(kind);
        out.push_str(", ");
    }
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
}

/// Short text for a struct value: its scalar members as `key=value`.
fn struct_summary(def: &StructDef, value: &Json, line: &str) -> String {
    let one = |obj: &Json| -> String {
        let mut text = String::with_capacity(64);
        let shown = obj
            .members()
            .iter()
            .filter(|m| matches!(m.value.kind, Kind::Str(_) | Kind::Num(_) | Kind::Bool(_)))
            .filter(|m| !matches!(&m.value.kind, Kind::Str(s) if s.is_empty()));
        for m in shown {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(def.member(m.key).map(|d| d.field).unwrap_or(m.key));
            text.push('=');
            text.push_str(m.value.display(line));
        }
        if text.is_empty() {
            value_brief(obj, line)
        } else {
            text
        }
    };
    match &value.kind {
        Kind::Arr(items) => format!("[{}]", items.iter().map(one).collect::<Vec<_>>().join("; ")),
        Kind::Obj(_) => one(value),
        _ => value.display(line).to_string(),
    }
}

fn value_brief(v: &Json, line: &str) -> String {
    let raw = v.raw(line);
    if raw.len() > 120 {
        format!("{}…", &raw[..floor_char_boundary(raw, 120)])
    } else {
        raw.to_string()
    }
}

pub fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Members of a struct value (one object, an array of them, or a map of name → object).
pub fn render_struct_value(tree: &mut Tree, line: &str, def: &'static StructDef, value: &Json) {
    match &value.kind {
        Kind::Obj(_) if is_map_of_structs(def, value) => {
            for m in value.members() {
                let head = tree.open(
                    F::Member,
                    m.key_span.to(m.value.span),
                    Value::Str(m.key.into()),
                    Some([def.title, ": ", m.key].concat()),
                );
                render_members(tree, line, def, &m.value);
                tree.close_or_drop_empty(head);
            }
        }
        Kind::Obj(_) => render_members(tree, line, def, value),
        Kind::Arr(items) => {
            for item in *items {
                let summary = struct_summary(def, item, line);
                let label = [def.title, ": ", &summary].concat();
                tree.open(F::Member, item.span, Value::Str(summary.into()), Some(label));
                render_members(tree, line, def, item);
                tree.close();
            }
        }
        _ => {}
    }
}

/// `map[string]T`: an object whose values are objects with the struct's members.
fn is_map_of_structs(def: &StructDef, value: &Json) -> bool {
    let members = value.members();
    !members.is_empty()
        && members.iter().all(|m| matches!(m.value.kind, Kind::Obj(_)))
        && members.iter().all(|m| def.member(m.key).is_none())
}

fn render_members(tree: &mut Tree, line: &str, def: &'static StructDef, obj: &Json) {
    let cat = Catalog::get();
    for m in obj.members() {
        let span = m.key_span.to(m.value.span);
        let Some(member) = def.member(m.key) else {
            tree.push(
                F::Member,
                span,
                Value::Str(m.value.display(line).into()),
                Some([m.key, ": ", m.value.display(line)].concat()),
            );
            continue;
        };
        let field = cat.member_field(def.ns, member.field).unwrap_or(F::Member.into());
        match member.kind {
            MemberKind::Nested(inner) => {
                if m.value.is_null() {
                    continue;
                }
                let head = tree.open(field, span, Value::None, None);
                render_members(tree, line, inner, &m.value);
                tree.close_or_drop_empty(head);
            }
            MemberKind::NestedArray(inner) => {
                if m.value.items().is_empty() {
                    continue;
                }
                tree.open(field, span, Value::None, Some(format!("{} ({})", member.label, m.value.items().len())));
                render_struct_value(tree, line, inner, &m.value);
                tree.close();
            }
            MemberKind::StrArray => {
                for item in m.value.items() {
                    tree.push(field, item.span, Value::Str(item.display(line).into()), None);
                }
            }
            MemberKind::Headers => {
                for h in m.value.members() {
                    let values: Vec<&Json> = match &h.value.kind {
                        Kind::Arr(items) => items.iter().collect(),
                        _ => vec![&h.value],
                    };
                    for v in values {
                        let text: Text = [h.key, ": ", v.display(line)].concat_compact();
                        tree.push(field, h.key_span.to(h.value.span), Value::Str(text), None);
                    }
                }
            }
            MemberKind::Str => {
                tree.push(field, span, Value::Str(m.value.display(line).into()), None);
            }
            MemberKind::Int | MemberKind::UInt | MemberKind::Hex | MemberKind::Bool => {
                let kind = match member.kind {
                    MemberKind::Int => ArgKind::Int,
                    MemberKind::Bool => ArgKind::Bool,
                    MemberKind::Hex => ArgKind::Hex,
                    _ => ArgKind::UInt,
                };
                let (value, _) = typed_value(kind, &m.value, line);
                tree.push(field, span, value, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_is_debug_quoting() {
        for text in ["/etc/passwd", "", "a\"b", "back\\slash", "tab\there", "é", "\u{7f}", "~ !"] {
            let mut quoted = String::from("x=");
            push_quoted(&mut quoted, text);
            assert_eq!(quoted, format!("x={text:?}"));
        }
    }

    #[test]
    fn type_strings_of_every_tracee_era_map_to_kinds() {
        let cases: &[(&str, FieldType)] = &[
            ("int", FieldType::Int),
            ("long", FieldType::Int),
            ("pid_t", FieldType::Int),
            ("int32", FieldType::Int),
            ("unsigned int", FieldType::UInt),
            ("unsigned long", FieldType::UInt),
            ("u16", FieldType::UInt),
            ("uint64", FieldType::UInt),
            ("size_t", FieldType::UInt),
            ("dev_t", FieldType::UInt),
            ("umode_t", FieldType::Oct),
            ("mode_t", FieldType::Oct),
            ("bool", FieldType::Bool),
            ("const char*", FieldType::Str),
            ("const char *", FieldType::Str),
            ("char*", FieldType::Str),
            ("string", FieldType::Str),
            ("const char**", FieldType::Str),
            ("const char*const*", FieldType::Str),
            ("[]string", FieldType::Str),
            ("void*", FieldType::Hex),
            ("int*", FieldType::Hex),
            ("bytes", FieldType::Bytes),
            ("[]byte", FieldType::Bytes),
            ("time.Time", FieldType::Time),
            ("unsigned long[]", FieldType::Str),
            ("struct sockaddr*", FieldType::Str),
            ("trace.ProtoHTTPRequest", FieldType::Str),
            ("no.SuchType", FieldType::Str),
        ];
        for (t, ft) in cases {
            assert_eq!(ArgKind::from_type(t).field_type(), *ft, "{t}");
        }
        assert!(matches!(ArgKind::from_type("no.SuchType"), ArgKind::Unknown));
        assert!(matches!(ArgKind::from_type("slim_cred_t"), ArgKind::Struct(d) if d.ns == "cred"));
        assert!(matches!(ArgKind::from_type("[]trace.DnsQueryData"), ArgKind::Struct(d) if d.ns == "dns_query"));
    }

    /// Every type any Tracee version gave an argument (the catalog) is understood.
    #[test]
    fn every_catalogued_type_is_known() {
        let mut unknown = Vec::new();
        for event in crate::events::known_events() {
            for (arg, types) in &event.args {
                for t in types.split('|') {
                    // "type" is a stray word in one old definition, not a type
                    if t != "type" && matches!(ArgKind::from_type(t), ArgKind::Unknown) {
                        unknown.push(format!("{}.{arg}: {t}", event.name));
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "{unknown:#?}");
    }

    #[test]
    fn modes_and_command_lines_read_like_a_shell() {
        for (mode, text) in [(0o100755, "regular file, rwxr-xr-x"), (0o20620, "character device, rw--w----"), (0o7, "------rwx")] {
            let mut shown = String::new();
            write_mode(&mut shown, mode);
            assert_eq!(shown, text);
        }
        let words = ["ls", "--color=auto", "my file", "it's"];
        assert_eq!(command_line(words.into_iter()), r#"ls --color=auto 'my file' 'it'\''s'"#);
        assert_eq!(command_line(["", "a"].into_iter()), "'' a");
    }

    #[test]
    fn times_in_every_encoding() {
        let arena = crate::json::Arena::new();
        let j = crate::json::parse(
            r#"["2024-01-01T00:00:01.5Z", 1700000000000000001, {"seconds":"10","nanos":5}, 5323.5]"#,
            &arena,
        )
        .unwrap();
        let t: Vec<Timestamp> = j.items().iter().map(|i| time_value(i).unwrap()).collect();
        assert_eq!(t[0], Timestamp { secs: 1_704_067_201, nanos: 500_000_000 });
        assert_eq!(t[1], Timestamp { secs: 1_700_000_000, nanos: 1 });
        assert_eq!(t[2], Timestamp { secs: 10, nanos: 5 });
        assert_eq!(t[3], Timestamp { secs: 5323, nanos: 500_000_000 });
    }

    #[test]
    fn hex_list_and_bytes_texts_are_what_the_formatter_writes() {
        for u in [0, 1, 0xf, 0x10, 0xdead_beef, u64::MAX, 1 << 63] {
            assert_eq!(hex_text(u), format!("0x{u:x}"));
        }
        let items = ["a", "b \"c\"", "é\n"];
        let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
        assert_eq!(bracketed_list(items.into_iter(), true), format!("[{}]", quoted.join(", ")));
        assert_eq!(bracketed_list(items.into_iter(), false), format!("[{}]", items.join(", ")));
        assert_eq!(bracketed_list([].into_iter(), true), "[]");
        let bytes: Vec<u8> = (0..=255).collect();
        for n in [0, 1, 32, 33, 256] {
            let hex: String = bytes[..n].iter().take(32).map(|x| format!("{x:02x}")).collect();
            let mut preview = String::new();
            push_preview_bytes(&mut preview, &bytes[..n]);
            assert_eq!(preview, if n > 32 { format!("{hex}…") } else { hex });
        }
    }
}
