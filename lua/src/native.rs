//! Writes a dissection into Wireshark's protocol tree through libwireshark's exported C API (the
//! calls a C dissector makes), instead of one Lua `TreeItem:add` per item: adding an item costs
//! tens of nanoseconds rather than a microsecond, and next to nothing for a field that no filter
//! refers to when Wireshark builds no visible tree.
//!
//! Where nothing reads an event's items, it sets the Protocol and Info columns the same way.
//!
//! The Lua plugin still owns registration (fields, experts, the event's root item); this side only
//! reads what Wireshark's Lua objects point at. Those layouts have been the same from Wireshark 1.x
//! to 4.6 (`struct _wslua_*` in `epan/wslua/wslua.h`), and every field and expert id read from them
//! is checked with `proto_registrar_get_abbrev` (the name Wireshark registered it under) before
//! the first item is written; on any mismatch, or where the symbols are missing, the plugin walks
//! the items in Lua instead.
//!
//! Nothing here may make Wireshark throw: a throw would longjmp across these frames. Ranges are
//! checked against the packet's length, every value is converted to its field's own type, and an
//! event too big for Wireshark's per-packet item limit is left to the Lua walk, where a throw is
//! Wireshark's to catch.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr};

use trackershark_engine::{Dissection, FieldType, Value};

type Ptr = *mut c_void;

/// Above this many items an event is walked in Lua (Wireshark's own limit is 1,000,000 items per
/// packet by default, and exceeding it throws).
pub const MAX_NATIVE_ITEMS: usize = 50_000;

#[repr(C)]
struct NsTime {
    secs: i64,
    nsecs: c_int,
}

/// The libwireshark functions used, resolved from the running process.
pub struct Api {
    _process: libloading::os::unix::Library,
    registrar_abbrev: unsafe extern "C" fn(c_int) -> *const c_char,
    is_referenced: unsafe extern "C" fn(Ptr, c_int) -> c_int,
    add_item: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, c_uint) -> Ptr,
    add_string: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, *const c_char) -> Ptr,
    // the value is 32 bits wide before 4.2 and 64 after; passed in a register either way
    add_boolean: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, u64) -> Ptr,
    add_uint: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, u32) -> Ptr,
    add_uint64: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, u64) -> Ptr,
    add_int64: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, i64) -> Ptr,
    add_time: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, *const NsTime) -> Ptr,
    add_ipv4: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, u32) -> Ptr,
    add_ipv6: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, *const [u8; 16]) -> Ptr,
    add_bytes: unsafe extern "C" fn(Ptr, c_int, Ptr, c_int, c_int, *const u8, c_int) -> Ptr,
    add_subtree: unsafe extern "C" fn(Ptr, c_int) -> Ptr,
    set_text: unsafe extern "C" fn(Ptr, *const c_char, ...),
    add_expert: unsafe extern "C" fn(Ptr, Ptr, Ptr, *const c_char, ...),
    tvb_length: unsafe extern "C" fn(Ptr) -> c_uint,
    tvb_bytes: unsafe extern "C" fn(Ptr, c_int, c_int) -> *const u8,
    protocol_id: unsafe extern "C" fn(*const c_char) -> c_int,
    column_format: unsafe extern "C" fn(c_int) -> *const c_char,
    set_column: unsafe extern "C" fn(Ptr, c_int, *const c_char),
    tap_id: unsafe extern "C" fn(*const c_char) -> c_int,
    has_tap_listener: unsafe extern "C" fn(c_int) -> c_int,
}

impl Api {
    /// The functions Wireshark exports, if this process has them.
    pub fn load() -> Result<Api, String> {
        let process = libloading::os::unix::Library::this();
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the declared type is the function's C signature in libwireshark 4.0–4.6
                *unsafe { process.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("libwireshark has no {}: {e}", $name))?
            };
        }
        Ok(Api {
            registrar_abbrev: sym!("proto_registrar_get_abbrev"),
            is_referenced: sym!("proto_field_is_referenced"),
            add_item: sym!("proto_tree_add_item"),
            add_string: sym!("proto_tree_add_string"),
            add_boolean: sym!("proto_tree_add_boolean"),
            add_uint: sym!("proto_tree_add_uint"),
            add_uint64: sym!("proto_tree_add_uint64"),
            add_int64: sym!("proto_tree_add_int64"),
            add_time: sym!("proto_tree_add_time"),
            add_ipv4: sym!("proto_tree_add_ipv4"),
            add_ipv6: sym!("proto_tree_add_ipv6"),
            add_bytes: sym!("proto_tree_add_bytes_with_length"),
            add_subtree: sym!("proto_item_add_subtree"),
            set_text: sym!("proto_item_set_text"),
            add_expert: sym!("expert_add_info_format"),
            tvb_length: sym!("tvb_captured_length"),
            tvb_bytes: sym!("tvb_get_ptr"),
            protocol_id: sym!("proto_get_id_by_filter_name"),
            column_format: sym!("col_format_to_string"),
            set_column: sym!("col_add_str"),
            tap_id: sym!("find_tap_id"),
            has_tap_listener: sym!("have_tap_listener"),
            _process: process,
        })
    }

    /// Whether Wireshark registered field `hf` under `abbrev` (a check of an id read from a Lua
    /// object; several fields may share an abbreviation, e.g. our mirror of `ip.src`).
    fn registered_as(&self, hf: c_int, abbrev: &str) -> bool {
        if hf <= 0 {
            return false;
        }
        // SAFETY: Wireshark checks the id's range itself; the name is a NUL-terminated string
        let name = unsafe { (self.registrar_abbrev)(hf) };
        !name.is_null() && unsafe { CStr::from_ptr(name) }.to_bytes() == abbrev.as_bytes()
    }
}

/// What the plugin registered, as the Lua objects it handed over (pointers into Wireshark's
/// `_wslua_field_t` / `_wslua_expert_field_t`; the plugin keeps the objects alive).
pub struct Registered {
    /// The protocol's filter name (`tracker`).
    pub protocol: String,
    /// Per field id: the ProtoField's struct, its abbreviation and type, and whether it is hidden
    /// (the mirrors of Wireshark's own fields, which only Lua can hide); `None` for the protocol.
    pub fields: Vec<Option<Field>>,
    /// Per expert kind: the ProtoExpert's struct and abbreviation.
    pub experts: Vec<(usize, String)>,
    /// Resolved when the plugin asked for the native tree, kept for writing.
    pub api: Api,
}

pub struct Field {
    pub address: usize,
    pub abbrev: String,
    pub ftype: FieldType,
    pub hidden: bool,
}

#[derive(Clone, Copy)]
struct FieldSlot {
    hf: c_int,
    ett: c_int,
    ftype: FieldType,
    hidden: bool,
}

/// Ready to write: ids read and checked.
pub struct NativeTree {
    api: Api,
    /// The protocol's id, and those of the hidden mirrors: whether anything asks for the items.
    protocol: c_int,
    mirrors: Vec<c_int>,
    /// The expert info tap (`-z expert`, the GUI's Expert Information), which reads the experts.
    expert_tap: c_int,
    /// Wireshark's numbers of the Protocol and Info columns, if it has them.
    columns: Option<(c_int, c_int)>,
    fields: Vec<Option<FieldSlot>>,
    /// `expert_field*` per expert kind.
    experts: Vec<Ptr>,
    text: Vec<u8>,
}

/// Raw pointers out of Wireshark's Lua objects for one packet.
#[derive(Clone, Copy)]
pub struct Target {
    pub tree: Ptr,
    pub item: Ptr,
    pub tvb: Ptr,
    pub pinfo: Ptr,
}

impl Target {
    /// From the addresses of the `TreeItem`, `Tvb` and `Pinfo` userdata blocks (each holds a
    /// pointer to the wslua struct).
    ///
    /// # Safety
    /// The addresses must be those of a live TreeItem, Tvb and Pinfo, in that order.
    pub unsafe fn from_userdata(root: *const c_void, tvb: *const c_void, pinfo: *const c_void) -> Option<Target> {
        let deref = |ud: *const c_void| if ud.is_null() { std::ptr::null() } else { *(ud as *const *const Ptr) };
        let (root, tvb, pinfo) = (deref(root), deref(tvb), deref(pinfo));
        if root.is_null() || tvb.is_null() || pinfo.is_null() {
            return None;
        }
        // _wslua_treeitem { item, tree, expired }, _wslua_tvb { ws_tvb, … }, _wslua_pinfo { ws_pinfo, … }
        let target = Target { item: *root, tree: *root.add(1), tvb: *tvb, pinfo: *pinfo };
        (!target.tvb.is_null() && !target.pinfo.is_null()).then_some(target)
    }
}

impl NativeTree {
    /// Reads the ids Wireshark gave the plugin's fields and experts (known once registration is
    /// over, i.e. at the first packet) and checks each against Wireshark's registry.
    pub fn bind(registered: Registered) -> Result<NativeTree, String> {
        let Registered { protocol: name, fields: entries, experts: expert_entries, api } = registered;
        if std::env::var_os("TRACKERSHARK_TEST_BIND_FAILURE").is_some_and(|v| !v.is_empty()) {
            return Err("binding refused for testing (TRACKERSHARK_TEST_BIND_FAILURE)".into());
        }
        // SAFETY: a NUL-terminated name; Wireshark looks it up
        let protocol = unsafe { (api.protocol_id)(c_text(&mut Vec::new(), &name)) };
        if !api.registered_as(protocol, &name) {
            return Err(format!("protocol {name}: id {protocol} is not registered under that name"));
        }
        // 0 when Wireshark has no such tap
        let expert_tap = unsafe { (api.tap_id)(c"expert".as_ptr()) };
        let mut fields = Vec::with_capacity(entries.len());
        for entry in &entries {
            fields.push(match entry {
                None => None,
                Some(f) => {
                    // SAFETY: the address of a live `_wslua_field_t { int hfid; int ett; … }`
                    let (hf, ett) = unsafe { (*(f.address as *const c_int), *(f.address as *const c_int).add(1)) };
                    if !api.registered_as(hf, &f.abbrev) {
                        return Err(format!("field {}: id {hf} is not registered under that name", f.abbrev));
                    }
                    Some(FieldSlot { hf, ett, ftype: f.ftype, hidden: f.hidden })
                }
            });
        }
        let mut experts = Vec::with_capacity(expert_entries.len());
        for (addr, abbrev) in &expert_entries {
            // SAFETY: a live `_wslua_expert_field_t` starts with `expert_field { int ei; int hf; }`
            let (ei, hf) = unsafe { (*(*addr as *const c_int), *(*addr as *const c_int).add(1)) };
            if ei <= 0 || !api.registered_as(hf, abbrev) {
                return Err(format!("expert {abbrev}: ids {ei}/{hf} are not registered under that name"));
            }
            experts.push(*addr as Ptr);
        }
        let mirrors = fields.iter().flatten().filter(|f| f.hidden).map(|f| f.hf).collect();
        let columns = column_numbers(&api);
        Ok(NativeTree { api, protocol, mirrors, expert_tap, columns, fields, experts, text: Vec::new() })
    }

    /// Whether anything will read the event's items: a tree being shown, a filter, column or tap
    /// naming one of our fields (or a mirrored one), or the expert tap. When nothing does (`tshark
    /// -r`, a GUI's first pass without such filters), the columns are all a packet needs.
    ///
    /// # Safety
    /// `target` must come from the Lua objects of the packet being dissected.
    pub unsafe fn items_wanted(&self, target: &Target) -> bool {
        let tree = target.tree;
        !tree.is_null()
            && ((self.api.is_referenced)(tree, self.protocol) != 0
                || self.mirrors.iter().any(|&hf| (self.api.is_referenced)(tree, hf) != 0)
                || (self.expert_tap > 0 && (self.api.has_tap_listener)(self.expert_tap) != 0))
    }

    /// Sets the Protocol and Info columns as the Lua plugin would (`col_add_str`); false when it
    /// cannot (then the plugin does). The packet's `frame` number, also read from Wireshark's
    /// `packet_info` (`{ current_proto, cinfo, presence_flags, num, … }` from 1.x to 4.6), checks
    /// that the column information is read from where it is.
    ///
    /// # Safety
    /// `target` must come from the Lua objects of the packet being dissected.
    pub unsafe fn set_columns(&mut self, target: &Target, frame: u32, protocol: &str, info: &str) -> bool {
        let Some((protocol_column, info_column)) = self.columns else { return false };
        let pinfo = target.pinfo as *const u8;
        let num = *(pinfo.add(2 * size_of::<Ptr>() + 4) as *const u32);
        let cinfo = *(pinfo.add(size_of::<Ptr>()) as *const Ptr);
        if num != frame || cinfo.is_null() {
            return false;
        }
        (self.api.set_column)(cinfo, protocol_column, c_text(&mut self.text, protocol));
        (self.api.set_column)(cinfo, info_column, c_text(&mut self.text, info));
        true
    }

    /// The packet's bytes (the event line).
    ///
    /// # Safety
    /// `target` must come from the Lua objects of the packet being dissected.
    pub unsafe fn packet_bytes<'a>(&self, target: &Target) -> &'a [u8] {
        let len = (self.api.tvb_length)(target.tvb) as usize;
        if len == 0 {
            return &[];
        }
        let p = (self.api.tvb_bytes)(target.tvb, 0, len as c_int);
        if p.is_null() {
            &[]
        } else {
            std::slice::from_raw_parts(p, len)
        }
    }

    /// Sets the root item's text and adds the items of `d` below it (from the second item: the
    /// root's children) and the experts, except the hidden mirrors of Wireshark's own fields, which
    /// only Lua can hide. Returns the indices of the mirrors Lua must add: all of them when the tree
    /// is shown or a filter or column refers to one of them, none otherwise. `None`: the whole event
    /// must be walked in Lua.
    ///
    /// # Safety
    /// `target` must come from the Lua objects of the packet being dissected.
    pub unsafe fn write(&mut self, d: &Dissection, target: &Target) -> Option<Vec<usize>> {
        if d.items.len() > MAX_NATIVE_ITEMS {
            return None;
        }
        if let Some(label) = d.items.first().and_then(|i| i.label.as_deref()) {
            self.set_text(target.item, label);
        }
        let tvb_len = (self.api.tvb_length)(target.tvb) as u64;
        let mut added: Vec<Ptr> = Vec::with_capacity(d.items.len());
        added.push(target.item);
        // parents by depth: the root's subtree holds the depth-1 items
        let mut parents: Vec<Ptr> = vec![target.tree];
        let mut hidden = Vec::new();
        let mut wanted = false;
        for (i, item) in d.items.iter().enumerate().skip(1) {
            let field = item.field as usize;
            let Some(Some(slot)) = self.fields.get(field).copied() else {
                // not ours to write (cannot happen with the plugin's registration): Lua walks it all
                return None;
            };
            if slot.hidden {
                // a mirror has no children; it is only worth adding where it can be used
                wanted = wanted || (self.api.is_referenced)(target.tree, slot.hf) != 0;
                hidden.push(i);
                added.push(target.item);
                continue;
            }
            let depth = (item.depth as usize).max(1);
            parents.truncate(depth);
            let parent = *parents.last().unwrap_or(&target.tree);
            let (start, len) = if u64::from(item.span.start) + u64::from(item.span.len) <= tvb_len {
                (item.span.start as c_int, item.span.len as c_int)
            } else {
                (0, 0)
            };
            let ptr = self.add(&slot, parent, target.tvb, start, len, &item.value);
            if let Some(label) = &item.label {
                self.set_text(ptr, label);
            }
            added.push(ptr);
            if d.items.get(i + 1).is_some_and(|next| next.depth > item.depth) {
                let sub = (self.api.add_subtree)(ptr, slot.ett);
                while parents.len() < depth {
                    parents.push(parent);
                }
                parents.push(sub);
            }
        }
        for e in &d.experts {
            let Some(&expert) = self.experts.get(e.kind.index()) else { continue };
            let item = e.item.and_then(|k| added.get(k)).copied().unwrap_or(target.item);
            let text = c_text(&mut self.text, &e.text);
            (self.api.add_expert)(target.pinfo, item, expert, c"%s".as_ptr(), text);
        }
        if !wanted {
            hidden.clear();
        }
        Some(hidden)
    }

    unsafe fn set_text(&mut self, item: Ptr, label: &str) {
        if !item.is_null() {
            let text = c_text(&mut self.text, label);
            (self.api.set_text)(item, c"%s".as_ptr(), text);
        }
    }

    /// One item, its value converted to the field's type (as the Lua walk would pass it).
    unsafe fn add(&mut self, slot: &FieldSlot, parent: Ptr, tvb: Ptr, start: c_int, len: c_int, value: &Value) -> Ptr {
        let api = &self.api;
        let hf = slot.hf;
        let int = |v: &Value| match v {
            Value::Int(n) => Some(*n as i128),
            Value::UInt(n) => Some(*n as i128),
            Value::Bool(b) => Some(*b as i128),
            Value::Str(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        match slot.ftype {
            FieldType::Protocol | FieldType::None => (api.add_item)(parent, hf, tvb, start, len, 0),
            FieldType::Str => {
                let text = match value {
                    Value::Str(s) => c_text(&mut self.text, s),
                    other => c_text(&mut self.text, &other.text()),
                };
                (api.add_string)(parent, hf, tvb, start, len, text)
            }
            FieldType::Bool => {
                (api.add_boolean)(parent, hf, tvb, start, len, int(value).is_some_and(|n| n != 0) as u64)
            }
            FieldType::Int => (api.add_int64)(parent, hf, tvb, start, len, int(value).unwrap_or(0) as i64),
            FieldType::UInt | FieldType::Hex => {
                (api.add_uint64)(parent, hf, tvb, start, len, int(value).unwrap_or(0) as u64)
            }
            FieldType::Oct | FieldType::U16 => {
                (api.add_uint)(parent, hf, tvb, start, len, int(value).unwrap_or(0) as u32)
            }
            FieldType::Time => {
                let t = match value {
                    Value::Time(t) => NsTime { secs: t.secs, nsecs: t.nanos as c_int },
                    _ => NsTime { secs: 0, nsecs: 0 },
                };
                (api.add_time)(parent, hf, tvb, start, len, &t)
            }
            FieldType::Bytes => {
                let bytes: &[u8] = match value {
                    Value::Bytes(b) => b,
                    Value::Str(s) => s.as_bytes(),
                    _ => &[],
                };
                (api.add_bytes)(
                    parent,
                    hf,
                    tvb,
                    start,
                    len,
                    bytes.as_ptr(),
                    bytes.len().min(c_int::MAX as usize) as c_int,
                )
            }
            FieldType::Ipv4 => {
                let addr = text_of(value).and_then(|s| s.parse::<Ipv4Addr>().ok()).unwrap_or(Ipv4Addr::UNSPECIFIED);
                // ws_in4_addr: network byte order in memory
                (api.add_ipv4)(parent, hf, tvb, start, len, u32::from_ne_bytes(addr.octets()))
            }
            FieldType::Ipv6 => {
                let addr = text_of(value).and_then(|s| s.parse::<Ipv6Addr>().ok()).unwrap_or(Ipv6Addr::UNSPECIFIED);
                (api.add_ipv6)(parent, hf, tvb, start, len, &addr.octets())
            }
        }
    }
}

/// The numbers of the Protocol (`%p`) and Info (`%i`) column formats.
fn column_numbers(api: &Api) -> Option<(c_int, c_int)> {
    let (mut protocol, mut info) = (None, None);
    for format in 0..1024 {
        // SAFETY: Wireshark returns NULL past its last format
        let name = unsafe { (api.column_format)(format) };
        if name.is_null() {
            break;
        }
        match unsafe { CStr::from_ptr(name) }.to_bytes() {
            b"%p" => protocol = Some(format),
            b"%i" => info = Some(format),
            _ => {}
        }
    }
    Some((protocol?, info?))
}

fn text_of(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// `text` NUL-terminated in a reused buffer (an inner NUL ends it, as it would through Lua).
fn c_text(buf: &mut Vec<u8>, text: &str) -> *const c_char {
    buf.clear();
    buf.extend_from_slice(text.as_bytes());
    buf.push(0);
    buf.as_ptr() as *const c_char
}
