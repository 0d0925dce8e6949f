//! The Lua C module `trackershark_engine`: the engine's entry points for Wireshark's Lua plugin.
//! Built for Lua 5.2 (`--features lua52`, Wireshark ≤ 4.2) or Lua 5.4 (`--no-default-features
//! --features lua54`, Wireshark ≥ 4.4) from this one source.
//!
//! Every entry catches panics and returns `nil, message` instead of raising, so nothing the engine
//! does can take Wireshark down. The plugin turns such messages into expert info.

#[cfg(unix)]
mod native;
mod reader;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

use mlua::prelude::*;
use trackershark_engine::cache::DissectionCache;
use trackershark_engine::{
    self as engine, Catalog, Columns, Dissection, ExpertKind, FieldId, FieldType, LineKind, Value,
};
use trackershark_engine::reading::{Ahead, Hint, LogReader, Want};
use trackershark_enrich::session::Session;

/// Dissecting an event makes many small allocations; mimalloc serves them faster than the C
/// library's allocator (only this module's own allocations: Lua and Wireshark keep theirs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The enrichers of this Wireshark session (fields are registered once, when Wireshark starts).
static ENRICHERS: Mutex<Option<Session>> = Mutex::new(None);

/// `open_enrichers(rules_path)` → true, or nil and why the rules could not be loaded (the fields of
/// what did load are still registered). Must come before `fields()`.
fn open_enrichers(lua: &Lua, path: String) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let path = Path::new(&path);
        if !path.is_file() {
            return Ok((true, None));
        }
        let session = Session::open(path, Catalog::get().fields().len() as FieldId);
        let error = session.load_error().map(str::to_string);
        *ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()) = Some(session);
        let why = error.as_ref().map(|e| lua.create_string(e)).transpose()?;
        Ok((error.is_none(), why))
    })
}

/// Runs the enrichers that apply to a dissected event, adding their fields, Info text and faults.
fn enrich(d: &mut Dissection, line: &[u8]) {
    if let Some(session) = ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        session.apply(d, line);
    }
}

/// Whether a rules file was found: enrichers may then add to any event's Info.
fn enrichers_loaded() -> bool {
    ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// The state of the enricher rules (0 without enrichers), changed rules picked up: see `Session::refresh`.
fn enrichment_state() -> u64 {
    ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()).as_mut().map_or(0, |s| s.refresh())
}

/// Recent dissections, for Wireshark's re-dissection of a clicked packet (and `tshark -2`).
const CACHE_SLOTS: usize = 256;

/// How the tree gets written, per Lua state (a reload of Lua plugins starts afresh).
enum TreeWriter {
    /// The plugin handed over its fields; their ids are read at the first packet.
    #[cfg(unix)]
    Pending(native::Registered),
    #[cfg(unix)]
    Native(native::NativeTree),
    /// The Lua walk, and why.
    Lua(String),
}

struct State {
    writer: TreeWriter,
    recent: Recent,
    /// Packets of which only the columns were worked out.
    columns_only: u64,
    /// What the last packet needed (its columns, or its dissection): the file readers work it out
    /// of the next lines as they read them (`engine::reading`).
    hint: Hint,
    /// The line the file reader gave last, with what it worked out of it.
    read_ahead: Option<(Vec<u8>, Ahead)>,
    /// Packets whose columns came from the file reader's reading.
    columns_from_reader: u64,
    /// Blocks the file reader read with libwiretap rather than in Lua.
    native_reads: u64,
}

fn with_state<R>(lua: &Lua, f: impl FnOnce(&mut State) -> R) -> R {
    if lua.app_data_ref::<State>().is_none() {
        let writer = TreeWriter::Lua("not requested by the plugin".into());
        let recent = Recent { cache: DissectionCache::new(CACHE_SLOTS), last: None, from_reader: 0 };
        lua.set_app_data(State {
            writer,
            recent,
            columns_only: 0,
            hint: Hint::new(Want::Columns),
            read_ahead: None,
            columns_from_reader: 0,
            native_reads: 0,
        });
    }
    let mut state = lua.app_data_mut::<State>().expect("state was just set");
    f(&mut state)
}

/// Lua numbers are doubles on 5.2: integers beyond this are passed as decimal strings.
const EXACT_IN_DOUBLE: i64 = 1 << 53;

/// Runs an entry point with panics caught; a panic becomes `nil, "internal error: …"`.
fn guarded<R: IntoLuaMulti>(lua: &Lua, f: impl FnOnce() -> LuaResult<R>) -> LuaResult<LuaMultiValue> {
    caught(|| f()?.into_lua_multi(lua), |message| (LuaNil, message).into_lua_multi(lua))
}

/// Runs an entry point with panics caught; an error or a panic becomes `failed(message)`. (For
/// the entry points called per packet, whose values go straight onto Lua's stack: a
/// `LuaMultiValue` is a queue that grows as it is filled.)
fn caught<R>(f: impl FnOnce() -> LuaResult<R>, failed: impl FnOnce(String) -> LuaResult<R>) -> LuaResult<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => failed(format!("trackershark: {e}")),
        Err(panic) => failed(format!("trackershark internal error: {}", engine::panic_message(&panic))),
    }
}

/// `fields()` → array of `{abbrev, name, type, description}` in catalog order (ids are 1-based here).
fn fields(lua: &Lua, _: ()) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let out = lua.create_table()?;
        let add = |abbrev: &str, name: &str, ftype: &str, description: &str| -> LuaResult<LuaTable> {
            let t = lua.create_table()?;
            t.set("abbrev", abbrev)?;
            t.set("name", name)?;
            t.set("type", ftype)?;
            t.set("description", description)?;
            out.push(t.clone())?;
            Ok(t)
        };
        let cat = Catalog::get();
        for (id, def) in cat.fields().iter().enumerate() {
            let t = add(&def.abbrev, &def.name, def.ftype.name(), &def.description)?;
            if cat.is_native(id as FieldId) {
                t.set("hidden", true)?;
            }
        }
        // then the enrichers' fields, in the ids the session gave them
        if let Some(session) = ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            for f in session.fields() {
                add(&f.abbrev, &f.name, "string", "Added by an enricher plugin")?;
            }
        }
        Ok(out)
    })
}

/// `experts()` → array of `{abbrev, title, group, severity}`; an expert's index is its kind.
fn experts(lua: &Lua, _: ()) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let out = lua.create_table()?;
        for kind in ExpertKind::ALL {
            let t = lua.create_table()?;
            t.set("abbrev", kind.abbrev())?;
            t.set("title", kind.title())?;
            t.set("group", kind.group())?;
            t.set("severity", kind.severity())?;
            out.push(t)?;
        }
        Ok(out)
    })
}

/// Integer values: exact Lua numbers where possible, decimal strings beyond 2^53.
fn int_value(lua: &Lua, v: i128) -> LuaResult<LuaValue> {
    if v.abs() < EXACT_IN_DOUBLE as i128 {
        Ok(LuaValue::Number(v as f64))
    } else {
        Ok(LuaValue::String(lua.create_string(v.to_string())?))
    }
}

/// `dissect(line, frame, root, tvb, pinfo)`: dissects one event line (`line` may be nil when the
/// native tree is on: the bytes are read from `tvb`) and adds its items below `root`, the event's
/// item. Returns a table: `proto`, `info`; `src`/`dst` (with `src6`/`dst6` when IPv6) for the
/// address columns; `pkt` and `pkt_dissector` for the packet an event carries; and the items left
/// for the plugin to add — when the tree is walked in Lua, every item after the root, with `label`
/// (the root's text) and `e`, an array of `{item, kind, text}` experts (item 0 = root); otherwise
/// only the hidden mirrors of native fields, where they are of use. Items: `n`, and per item i
/// (1-based) `f[i]` field id, `d[i]` depth, `o[i]` offset, `l[i]` length, `v[i]` value (nil for
/// none), `x[i]` nanoseconds of a time value, `t[i]` label. `false` when no line was given but
/// the tree is walked in Lua after all (Wireshark's objects could not be bound at the first
/// packet): the plugin then passes the line from now on.
fn dissect(
    lua: &Lua,
    (line, frame, root, tvb, pinfo): (Option<LuaString>, Option<u32>, LuaValue, LuaValue, LuaValue),
) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        with_state(lua, |state| {
            #[cfg(unix)]
            {
                if let Some((tree, target)) = native_target(&mut state.writer, &root, &tvb, &pinfo) {
                    let given = line.as_ref().map(|l| l.as_bytes());
                    let bytes = match &given {
                        Some(l) => &l[..],
                        // SAFETY: the packet being dissected (its bytes live through this call)
                        None => unsafe { tree.packet_bytes(&target) },
                    };
                    let ahead = dissection_read_ahead(&mut state.read_ahead, bytes);
                    let d = state.recent.dissection(frame, bytes, ahead);
                    // SAFETY: as above
                    let r = match unsafe { tree.write(&d, &target) } {
                        Some(mirrors) => to_lua(lua, &d, Pick::Only(&mirrors)),
                        None => to_lua(lua, &d, Pick::From(1)),
                    };
                    return r.map(LuaValue::Table);
                }
            }
            let _ = (&root, &tvb, &pinfo);
            let Some(line) = line else {
                return Ok(LuaValue::Boolean(false));
            };
            let line = line.as_bytes();
            let ahead = dissection_read_ahead(&mut state.read_ahead, &line);
            let d = state.recent.dissection(frame, &line, ahead);
            to_lua(lua, &d, Pick::From(1)).map(LuaValue::Table)
        })
    })
}

/// `columns(tree, tvb, pinfo, frame)`, with the dissector's own tree: when nothing reads the
/// event's items (see `NativeTree::items_wanted`), works out only the columns (`engine::columns`),
/// sets Protocol and Info itself where it can, and returns true, then protocol and info (nil when
/// set), source, whether it is IPv6, destination, whether it is IPv6, and the packet the event
/// carries with its dissector (nil where there is none); `false` when the event is to be dissected
/// in full (`dissect`).
fn columns(lua: &Lua, (tree, tvb, pinfo, frame): (LuaValue, LuaValue, LuaValue, u32)) -> LuaResult<ColumnsShown> {
    let fault = |message| Ok((None, Some(message), None, None, None, None, None, None, None));
    caught(|| columns_shown(lua, tree, tvb, pinfo, frame), fault)
}

/// What `columns` returns: whether they were shown (nil on a fault, whose message follows),
/// protocol, info, source, IPv6, destination, IPv6, packet, packet dissector.
type ColumnsShown = (
    Option<bool>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
    Option<bool>,
    Option<LuaString>,
    Option<&'static str>,
);

fn columns_shown(lua: &Lua, tree: LuaValue, tvb: LuaValue, pinfo: LuaValue, frame: u32) -> LuaResult<ColumnsShown> {
    with_state(lua, |state| {
        #[cfg(unix)]
        if !enrichers_loaded() {
            let State { writer, columns_only, hint, read_ahead, columns_from_reader, .. } = state;
            if let Some((native, target)) = native_target(writer, &tree, &tvb, &pinfo) {
                // SAFETY: the objects of the packet being dissected
                if !unsafe { native.items_wanted(&target) } {
                    *columns_only += 1;
                    hint.set(Want::Columns);
                    // SAFETY: as above
                    let line = unsafe { native.packet_bytes(&target) };
                    let columns = match take_read_ahead(read_ahead, line) {
                        Some(Ahead::Columns(columns)) => Some(columns),
                        Some(Ahead::Dissection(d)) => Some(d.columns()),
                        _ => None,
                    };
                    *columns_from_reader += columns.is_some() as u64;
                    let Columns { protocol, info, addresses: [src, dst], packet } =
                        columns.unwrap_or_else(|| engine::columns(line));
                    let set = unsafe { native.set_columns(&target, frame, protocol, &info) };
                    let (protocol, info) = if set { (None, None) } else { (Some(protocol.to_string()), Some(info)) };
                    let split =
                        |a: Option<(String, bool)>| a.map_or((None, None), |(text, v6)| (Some(text), Some(v6)));
                    let ((src, src6), (dst, dst6)) = (split(src), split(dst));
                    let (packet, dissector) = match packet {
                        Some(p) => (Some(lua.create_string(&p.bytes)?), Some(p.dissector)),
                        None => (None, None),
                    };
                    return Ok((Some(true), protocol, info, src, src6, dst, dst6, packet, dissector));
                }
            }
        }
        let _ = (&tree, &tvb, &pinfo);
        state.hint.set(Want::Dissection);
        Ok((Some(false), None, None, None, None, None, None, None, None))
    })
}

/// The native writer and the packet's objects, the writer bound to the plugin's fields at the
/// first packet; `None` when the tree is walked in Lua.
#[cfg(unix)]
fn native_target<'w>(
    writer: &'w mut TreeWriter,
    item: &LuaValue,
    tvb: &LuaValue,
    pinfo: &LuaValue,
) -> Option<(&'w mut native::NativeTree, native::Target)> {
    // SAFETY: the plugin passes its dissector's own TreeItem, Tvb and Pinfo
    let target = unsafe { native::Target::from_userdata(item.to_pointer(), tvb.to_pointer(), pinfo.to_pointer()) }?;
    if matches!(writer, TreeWriter::Pending(_)) {
        if let TreeWriter::Pending(registered) = std::mem::replace(writer, TreeWriter::Lua(String::new())) {
            *writer = match native::NativeTree::bind(registered) {
                Ok(tree) => TreeWriter::Native(tree),
                Err(why) => TreeWriter::Lua(why),
            };
        }
    }
    match writer {
        TreeWriter::Native(tree) => Some((tree, target)),
        _ => None,
    }
}

/// Full dissections done lately.
struct Recent {
    cache: DissectionCache,
    /// The last one, for taps that run after the dissector (`event_of`).
    last: Option<(u32, Arc<Dissection>)>,
    /// Dissections the file reader did as it read the line.
    from_reader: u64,
}

/// What the file reader worked out of `line`, if the line it gave last is this one.
fn take_read_ahead(read_ahead: &mut Option<(Vec<u8>, Ahead)>, line: &[u8]) -> Option<Ahead> {
    read_ahead.take_if(|(read, _)| read == line).map(|(_, ahead)| ahead)
}

/// The dissection the file reader did of `line`, if it did.
fn dissection_read_ahead(read_ahead: &mut Option<(Vec<u8>, Ahead)>, line: &[u8]) -> Option<Dissection> {
    match take_read_ahead(read_ahead, line) {
        Some(Ahead::Dissection(d)) => Some(*d),
        _ => None,
    }
}

impl Recent {
    /// The dissection of a line, enriched; served from the cache when this frame was dissected
    /// from the same line under the same enricher rules; `ahead` is the file reader's, if any.
    fn dissection(&mut self, frame: Option<u32>, line: &[u8], ahead: Option<Dissection>) -> Arc<Dissection> {
        let generation = enrichment_state();
        let cached = frame.and_then(|frame| self.cache.get(frame, generation, line));
        let d = cached.unwrap_or_else(|| {
            self.from_reader += ahead.is_some() as u64;
            let mut d = ahead.unwrap_or_else(|| engine::dissect(line));
            enrich(&mut d, line);
            let d = Arc::new(d);
            if let Some(frame) = frame {
                self.cache.put(frame, generation, line, d.clone());
            }
            d
        });
        if let Some(frame) = frame {
            self.last = Some((frame, d.clone()));
        }
        d
    }
}

/// `use_native_tree(protofields, field_defs, protoexperts, expert_defs)`: the plugin's registered
/// objects, by field id and by expert kind, for writing trees natively from the first packet on.
/// → true, or false and why the items will be walked in Lua.
fn use_native_tree(
    lua: &Lua,
    (protofields, field_defs, protoexperts, expert_defs): (LuaTable, LuaTable, LuaTable, LuaTable),
) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let writer = native_writer(&protofields, &field_defs, &protoexperts, &expert_defs)?;
        let why = match &writer {
            TreeWriter::Lua(why) => Some(why.clone()),
            _ => None,
        };
        with_state(lua, |state| state.writer = writer);
        Ok((why.is_none(), why))
    })
}

#[cfg(unix)]
fn native_writer(pf: &LuaTable, defs: &LuaTable, pe: &LuaTable, edefs: &LuaTable) -> LuaResult<TreeWriter> {
    let api = match native::Api::load() {
        Ok(api) => api,
        Err(why) => return Ok(TreeWriter::Lua(why)),
    };
    let struct_of = |v: LuaValue| -> LuaResult<usize> {
        let ud = v.to_pointer();
        if ud.is_null() {
            return Err(LuaError::runtime("not a Wireshark object"));
        }
        // SAFETY: a ProtoField or ProtoExpert userdata holds a pointer to its wslua struct
        Ok(unsafe { *(ud as *const usize) })
    };
    let mut fields = Vec::new();
    let mut protocol = String::new();
    for (i, def) in defs.sequence_values::<LuaTable>().enumerate() {
        let def = def?;
        let ftype: String = def.get("type")?;
        let ftype = match ftype_named(&ftype) {
            // the root is the plugin's
            Some(FieldType::Protocol) => {
                protocol = def.get("abbrev")?;
                fields.push(None);
                continue;
            }
            Some(t) => t,
            None => return Err(LuaError::runtime(format!("unknown field type {ftype}"))),
        };
        fields.push(Some(native::Field {
            address: struct_of(pf.raw_get(i + 1)?)?,
            abbrev: def.get("abbrev")?,
            ftype,
            hidden: def.get::<Option<bool>>("hidden")? == Some(true),
        }));
    }
    let mut experts = Vec::new();
    for (i, def) in edefs.sequence_values::<LuaTable>().enumerate() {
        experts.push((struct_of(pe.raw_get(i + 1)?)?, def?.get::<String>("abbrev")?));
    }
    Ok(TreeWriter::Pending(native::Registered { protocol, fields, experts, api }))
}

#[cfg(not(unix))]
fn native_writer(_: &LuaTable, _: &LuaTable, _: &LuaTable, _: &LuaTable) -> LuaResult<TreeWriter> {
    Ok(TreeWriter::Lua("the native tree is built for Unix only".into()))
}

fn ftype_named(name: &str) -> Option<FieldType> {
    FieldType::ALL.iter().copied().find(|t| t.name() == name)
}

/// `tree_mode()` → "native", "pending" (until the first packet) or "lua: <why>".
fn tree_mode(lua: &Lua, _: ()) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        Ok(with_state(lua, |state| match &state.writer {
            #[cfg(unix)]
            TreeWriter::Pending(_) => "pending".to_string(),
            #[cfg(unix)]
            TreeWriter::Native(_) => "native".to_string(),
            TreeWriter::Lua(why) => format!("lua: {why}"),
        }))
    })
}

/// `event_of(frame)` → event name, whether it is a signature, and its severity (or nil), of the
/// frame dissected last, when it is `frame` and an event (for taps, which run after the dissector).
fn event_of(lua: &Lua, frame: u32) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let last = with_state(lua, |state| state.recent.last.clone());
        let Some(event) = last.as_ref().filter(|(f, _)| *f == frame).and_then(|(_, d)| d.event()) else {
            return Ok(LuaMultiValue::new());
        };
        let name = event.name.as_deref().map(|n| lua.create_string(n)).transpose()?;
        let severity = event.signature.as_ref().and_then(|s| s.severity);
        (name, event.is_signature(), severity).into_lua_multi(lua)
    })
}

/// `cache_stats()` → hits, misses of the dissection cache, how many packets needed only their
/// columns (no dissection to cache), of those how many had them read by the file reader, how
/// many blocks the file reader read with libwiretap, and how many dissections it did as it read.
fn cache_stats(lua: &Lua, _: ()) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        Ok(with_state(lua, |s| {
            let cache = &s.recent.cache;
            (cache.hits, cache.misses, s.columns_only, s.columns_from_reader, s.native_reads, s.recent.from_reader)
        }))
    })
}

fn count_native_read(lua: &Lua) {
    with_state(lua, |state| state.native_reads += 1);
}

/// `context(interface_description)` → a table as `dissect` returns (items without byte ranges),
/// or nil when the description is not a Tracker capture context.
fn context(lua: &Lua, description: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || match engine::network::capture_context(&description.to_str()?) {
        Some(d) => Ok(LuaValue::Table(to_lua(lua, &d, Pick::From(0))?)),
        None => Ok(LuaNil),
    })
}

/// The items the plugin adds itself: every item from an index on when it walks the tree in Lua
/// (with the root's text and the experts), or only some (the mirrors the native writer left).
enum Pick<'a> {
    From(usize),
    Only(&'a [usize]),
}

/// A result table with the columns' part set (see `dissect`).
fn columns_to_lua(lua: &Lua, c: &Columns) -> LuaResult<LuaTable> {
    // raw sets: a fresh table has no metamethods, and `set` would guard against them
    let r = lua.create_table_with_capacity(0, 8)?;
    r.raw_set("proto", c.protocol)?;
    r.raw_set("info", c.info.as_str())?;
    for ((key, key6), address) in [("src", "src6"), ("dst", "dst6")].into_iter().zip(&c.addresses) {
        if let Some((text, v6)) = address {
            r.raw_set(key, text.as_str())?;
            r.raw_set(key6, *v6)?;
        }
    }
    if let Some(p) = &c.packet {
        r.raw_set("pkt", lua.create_string(&p.bytes)?)?;
        r.raw_set("pkt_dissector", p.dissector)?;
    }
    Ok(r)
}

/// The dissection as the plugin uses it (see `dissect`).
fn to_lua(lua: &Lua, d: &Dissection, pick: Pick) -> LuaResult<LuaTable> {
    let r = columns_to_lua(lua, &d.columns())?;
    let walked_in_lua = matches!(pick, Pick::From(_));
    if walked_in_lua {
        if let Some(label) = d.items.first().and_then(|i| i.label.as_deref()) {
            r.raw_set("label", label)?;
        }
    }
    let items: Vec<&engine::Item> = match pick {
        Pick::From(first) => d.items.get(first..).unwrap_or_default().iter().collect(),
        Pick::Only(indices) => indices.iter().filter_map(|&i| d.items.get(i)).collect(),
    };
    r.raw_set("n", items.len())?;
    if items.is_empty() && !(walked_in_lua && !d.experts.is_empty()) {
        return Ok(r);
    }
    let (f, dep, o, l, v, x, t) = (
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
    );
    for (i, item) in items.iter().enumerate() {
        let i = i + 1;
        f.raw_set(i, item.field + 1)?;
        dep.raw_set(i, item.depth)?;
        o.raw_set(i, item.span.start)?;
        l.raw_set(i, item.span.len)?;
        let value = match &item.value {
            Value::None => LuaNil,
            Value::Str(s) => LuaValue::String(lua.create_string(s)?),
            Value::Int(n) => int_value(lua, *n as i128)?,
            Value::UInt(n) => int_value(lua, *n as i128)?,
            Value::Bool(b) => LuaValue::Boolean(*b),
            Value::Bytes(b) => LuaValue::String(lua.create_string(b)?),
            Value::Time(ts) => {
                x.raw_set(i, ts.nanos)?;
                LuaValue::Number(ts.secs as f64)
            }
        };
        v.raw_set(i, value)?;
        if let Some(label) = &item.label {
            t.raw_set(i, label.as_str())?;
        }
    }
    for (k, tbl) in [("f", f), ("d", dep), ("o", o), ("l", l), ("v", v), ("x", x), ("t", t)] {
        r.raw_set(k, tbl)?;
    }
    if let Pick::From(first) = pick {
        let e = lua.create_table()?;
        for ex in &d.experts {
            let entry = lua.create_table()?;
            // numbered as the returned items; 0 (the root) for anything before them
            let item = ex.item.filter(|&k| k >= first).map_or(0, |k| k - first + 1);
            entry.raw_set(1, item)?;
            entry.raw_set(2, ex.kind.index() + 1)?;
            entry.raw_set(3, ex.text.as_str())?;
            e.push(entry)?;
        }
        r.raw_set("e", e)?;
    }
    Ok(r)
}

/// Keeps what the file reader worked out of the line it gives, for the line's packet (see
/// `columns` and `dissect`).
fn keep_read_ahead(lua: &Lua, line: &[u8], ahead: Ahead) {
    with_state(lua, |state| {
        state.read_ahead = match ahead {
            Ahead::Nothing => None,
            ahead => Some((line.to_vec(), ahead)),
        }
    });
}

fn kind_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Event => "event",
        LineKind::Log => "log",
        LineKind::Blank => "blank",
        LineKind::Garbage => "garbage",
    }
}

/// A line's time as Lua numbers (seconds, nanoseconds), or nils.
fn time_parts(info: &engine::LineInfo) -> (Option<f64>, Option<f64>) {
    match info.time {
        Some(t) => (Some(t.secs as f64), Some(t.nanos as f64)),
        None => (None, None),
    }
}

/// `line_reader(sequential)` → a `LineReader` for the file reader (see `reader.rs`); a sequential
/// one reads ahead on a thread of its own where it can, the other reads in place.
fn line_reader(lua: &Lua, sequential: Option<bool>) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let hint = with_state(lua, |state| state.hint.clone());
        let lines = if sequential == Some(true) { LogReader::ahead(hint) } else { LogReader::in_place(hint) };
        lua.create_userdata(reader::LineReader::new(lua, lines)?)
    })
}

/// `sniff(head)` → whether the start of a file is a Tracker JSON-lines log.
fn sniff(lua: &Lua, head: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || Ok(engine::sniff(&head.as_bytes())))
}

// Wireshark's Lua allocator aborts when memory runs out (wslua_allocf: g_realloc), so no Lua call
// can fail for want of memory: mlua need not make each string and table in a protected call.
#[mlua::lua_module(skip_memory_check)]
fn trackershark_engine(lua: &Lua) -> LuaResult<LuaTable> {
    let m = lua.create_table()?;
    m.set("version", env!("CARGO_PKG_VERSION"))?;
    m.set("lua_abi", if cfg!(feature = "lua54") { "5.4" } else { "5.2" })?;
    m.set("fields", lua.create_function(fields)?)?;
    m.set("experts", lua.create_function(experts)?)?;
    m.set("columns", lua.create_function(columns)?)?;
    m.set("dissect", lua.create_function(dissect)?)?;
    m.set("line_reader", lua.create_function(line_reader)?)?;
    m.set("sniff", lua.create_function(sniff)?)?;
    m.set("open_enrichers", lua.create_function(open_enrichers)?)?;
    m.set("context", lua.create_function(context)?)?;
    m.set("use_native_tree", lua.create_function(use_native_tree)?)?;
    m.set("tree_mode", lua.create_function(tree_mode)?)?;
    m.set("cache_stats", lua.create_function(cache_stats)?)?;
    m.set("event_of", lua.create_function(event_of)?)?;
    Ok(m)
}
