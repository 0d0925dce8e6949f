//! The Lua C module `trackershark_engine`: the engine's entry points for Wireshark's Lua plugin.
//! Built for Lua 5.2 (`--features lua52`, Wireshark ≤ 4.2) or Lua 5.4 (`--no-default-features
//! --features lua54`, Wireshark ≥ 4.4) from this one source.
//!
//! Every entry catches panics and returns `nil, message` instead of raising, so nothing the engine
//! does can take Wireshark down. The plugin turns such messages into expert info.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;

use mlua::prelude::*;
use trackershark_engine::{self as engine, pcapng, Catalog, Dissection, ExpertKind, FieldId, LineKind, Value};
use trackershark_enrich::session::Session;

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

/// Lua numbers are doubles on 5.2: integers beyond this are passed as decimal strings.
const EXACT_IN_DOUBLE: i64 = 1 << 53;

/// Runs an entry point with panics caught; a panic becomes `nil, "internal error: …"`.
fn guarded<'lua, R: IntoLuaMulti>(lua: &'lua Lua, f: impl FnOnce() -> LuaResult<R>) -> LuaResult<LuaMultiValue> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(r)) => r.into_lua_multi(lua),
        Ok(Err(e)) => (LuaNil, format!("trackershark: {e}")).into_lua_multi(lua),
        Err(panic) => {
            (LuaNil, format!("trackershark internal error: {}", engine::panic_message(&panic))).into_lua_multi(lua)
        }
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

fn kind_index(kind: ExpertKind) -> usize {
    ExpertKind::ALL.iter().position(|k| *k == kind).map(|i| i + 1).unwrap_or(1)
}

/// Integer values: exact Lua numbers where possible, decimal strings beyond 2^53.
fn int_value(lua: &Lua, v: i128) -> LuaResult<LuaValue> {
    if v.abs() < EXACT_IN_DOUBLE as i128 {
        Ok(LuaValue::Number(v as f64))
    } else {
        Ok(LuaValue::String(lua.create_string(v.to_string())?))
    }
}

/// `dissect(line)` → a table: `proto`, `info`, `n`, and per item i (1-based) `f[i]` field id,
/// `d[i]` depth, `o[i]` offset, `l[i]` length, `v[i]` value (nil for none), `x[i]` nanoseconds of a
/// time value, `t[i]` label; `e` = array of `{item, kind, text}` (item 0 = the event item).
fn dissect(lua: &Lua, line: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let line = line.as_bytes();
        let mut d = engine::dissect(&line);
        enrich(&mut d, &line);
        to_lua(lua, &d)
    })
}

/// `context(interface_description)` → a table as `dissect` returns (items without byte ranges),
/// or nil when the description is not a Tracker capture context.
fn context(lua: &Lua, description: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || match engine::network::capture_context(&description.to_str()?) {
        Some(d) => Ok(LuaValue::Table(to_lua(lua, &d)?)),
        None => Ok(LuaNil),
    })
}

/// The dissection as the plugin walks it (see `dissect`).
fn to_lua(lua: &Lua, d: &Dissection) -> LuaResult<LuaTable> {
    let r = lua.create_table()?;
    r.set("proto", d.protocol)?;
    r.set("info", d.info.as_str())?;
    r.set("n", d.items.len())?;
    let (f, dep, o, l, v, x, t) = (
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
        lua.create_table()?,
    );
    for (i, item) in d.items.iter().enumerate() {
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
        r.set(k, tbl)?;
    }
    let e = lua.create_table()?;
    for ex in &d.experts {
        let entry = lua.create_table()?;
        entry.raw_set(1, ex.item.map(|i| i + 1).unwrap_or(0))?;
        entry.raw_set(2, kind_index(ex.kind))?;
        entry.raw_set(3, ex.text.as_str())?;
        e.push(entry)?;
    }
    r.set("e", e)?;
    if let Some(p) = &d.packet {
        r.set("pkt", lua.create_string(&p.bytes)?)?;
        r.set("pkt_dissector", p.dissector)?;
    }
    Ok(r)
}

/// `classify(line)` → kind ("event", "log", "blank", "garbage"), seconds, nanoseconds (or nil).
fn classify(lua: &Lua, line: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let info = engine::classify(&line.as_bytes());
        let kind = match info.kind {
            LineKind::Event => "event",
            LineKind::Log => "log",
            LineKind::Blank => "blank",
            LineKind::Garbage => "garbage",
        };
        let (secs, nanos) = match info.time {
            Some(t) => (LuaValue::Number(t.secs as f64), LuaValue::Number(t.nanos as f64)),
            None => (LuaNil, LuaNil),
        };
        Ok((kind, secs, nanos))
    })
}

/// `sniff(head)` → whether the start of a file is a Tracker JSON-lines log.
fn sniff(lua: &Lua, head: LuaString) -> LuaResult<LuaMultiValue> {
    guarded(lua, || Ok(engine::sniff(&head.as_bytes())))
}

/// `frame_header()` → the bytes that precede each event line in a packet.
fn frame_header(lua: &Lua, _: ()) -> LuaResult<LuaMultiValue> {
    guarded(lua, || lua.create_string(pcapng::frame_header()))
}

#[mlua::lua_module]
fn trackershark_engine(lua: &Lua) -> LuaResult<LuaTable> {
    let m = lua.create_table()?;
    m.set("version", env!("CARGO_PKG_VERSION"))?;
    m.set("lua_abi", if cfg!(feature = "lua54") { "5.4" } else { "5.2" })?;
    m.set("fields", lua.create_function(fields)?)?;
    m.set("experts", lua.create_function(experts)?)?;
    m.set("dissect", lua.create_function(dissect)?)?;
    m.set("classify", lua.create_function(classify)?)?;
    m.set("sniff", lua.create_function(sniff)?)?;
    m.set("frame_header", lua.create_function(frame_header)?)?;
    m.set("open_enrichers", lua.create_function(open_enrichers)?)?;
    m.set("context", lua.create_function(context)?)?;
    Ok(m)
}
