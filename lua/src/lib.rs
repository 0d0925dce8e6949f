//! The Lua C module `trackershark_engine`: the engine's entry points for Wireshark's Lua plugin.
//! Built for Lua 5.2 (`--features lua52`, Wireshark ≤ 4.2) or Lua 5.4 (`--no-default-features
//! --features lua54`, Wireshark ≥ 4.4) from this one source.
//!
//! Every entry catches panics and returns `nil, message` instead of raising, so nothing the engine
//! does can take Wireshark down. The plugin turns such messages into expert info.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mlua::prelude::*;
use trackershark_engine::json::Span;
use trackershark_engine::{
    self as engine, pcapng, Catalog, Dissection, Expert, ExpertKind, FieldId, Item, LineKind, Value,
};
use trackershark_enrich::rules::Registry;

/// The enrichers of this Wireshark session: the rules registry and the fields their plugins declared
/// when Wireshark started (fields cannot be registered later).
struct Enrichers {
    registry: Registry,
    /// `tracker.enrich.<abbrev>` → field id (after the engine's catalog)
    ids: HashMap<String, FieldId>,
    names: Vec<(String, String)>,
    generic: FieldId,
    last_check: Instant,
}

static ENRICHERS: Mutex<Option<Enrichers>> = Mutex::new(None);
/// How often a changed rules file or plugin is looked for.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// `open_enrichers(rules_path)` → true, or nil and why the rules could not be loaded (the fields of
/// what did load are still registered). Must come before `fields()`.
fn open_enrichers(lua: &Lua, path: String) -> LuaResult<LuaMultiValue> {
    guarded(lua, || {
        let path = Path::new(&path);
        if !path.is_file() {
            return Ok((true, None));
        }
        let mut registry = Registry::open(path);
        let base = Catalog::get().fields().len() as FieldId;
        let mut names: Vec<(String, String)> = Vec::new();
        if let Some(set) = registry.rules() {
            for rule in &set.rules {
                for f in rule.plugin.fields() {
                    let abbrev = format!("tracker.enrich.{}", f.abbrev);
                    if !names.iter().any(|(a, _)| *a == abbrev) {
                        names.push((abbrev, format!("[{}]", f.name)));
                    }
                }
            }
        }
        let generic = base;
        let ids = names.iter().enumerate().map(|(i, (a, _))| (a.clone(), base + 1 + i as FieldId)).collect();
        let error = registry.last_error.clone();
        *ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Enrichers { registry, ids, names, generic, last_check: Instant::now() });
        let why = error.as_ref().map(|e| lua.create_string(e)).transpose()?;
        Ok((error.is_none(), why))
    })
}

/// Runs the enrichers that apply to a dissected event, adding their fields, Info text and faults.
fn enrich(d: &mut Dissection, line: &[u8]) {
    let mut guard = ENRICHERS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(en) = guard.as_mut() else { return };
    let Some(name) = d.event.as_ref().and_then(|e| e.name.clone()) else { return };
    if en.last_check.elapsed() >= RELOAD_CHECK {
        en.registry.check();
        en.last_check = Instant::now();
    }
    if let Some(why) = &en.registry.last_error {
        d.experts.push(Expert {
            kind: ExpertKind::PluginFault,
            text: format!("enricher rules not reloaded: {why}"),
            item: Some(0),
        });
    }
    let span = d.items.first().map(|i| i.span).unwrap_or(Span::default());
    let Some(set) = en.registry.rules() else { return };
    let mut added = Vec::new();
    for (i, result) in set.run(&name, line) {
        let rule = &set.rules[i];
        match result {
            Ok(out) => {
                for (index, value) in out.fields {
                    let Some(decl) = rule.plugin.fields().get(index) else { continue };
                    let abbrev = format!("tracker.enrich.{}", decl.abbrev);
                    let field = en.ids.get(&abbrev).copied().unwrap_or(en.generic);
                    let label = Some(format!("[{}]: {}", decl.name, value));
                    added.push(Item { field, depth: 1, span, value: Value::Str(value), label });
                }
                if let Some(info) = out.info {
                    d.info = info;
                }
            }
            Err(e) => d.experts.push(Expert {
                kind: ExpertKind::PluginFault,
                text: format!("enricher {}: {e}", rule.plugin.name),
                item: Some(0),
            }),
        }
    }
    d.items.extend(added);
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
        let add = |abbrev: &str, name: &str, ftype: &str, description: &str| -> LuaResult<()> {
            let t = lua.create_table()?;
            t.set("abbrev", abbrev)?;
            t.set("name", name)?;
            t.set("type", ftype)?;
            t.set("description", description)?;
            out.push(t)
        };
        for def in Catalog::get().fields() {
            add(&def.abbrev, &def.name, def.ftype.name(), &def.description)?;
        }
        // then the enrichers': the generic field first, then each declared one (ids as in Enrichers)
        if let Some(en) = ENRICHERS.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            add("tracker.enrich", "Enrichment", "string", "A field added by an enricher plugin")?;
            for (abbrev, name) in &en.names {
                add(abbrev, name, "string", "Added by an enricher plugin")?;
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
        Ok(r)
    })
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
    Ok(m)
}
