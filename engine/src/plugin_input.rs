//! The event as enricher plugins receive it: one JSON object of the same shape whatever schema the
//! line was written in (described in `enrichers-wasm/ABI.md`). Built from the typed event model and
//! the arguments' values as written, so nothing is parsed twice.

use std::fmt::Write;

use crate::json::Span;
use crate::Dissection;

/// The plugin input for a dissected line, or None when the line is not an event.
pub fn plugin_input(d: &Dissection, line: &[u8]) -> Option<String> {
    let e = d.event()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut o = Obj::new(256 + line.len());
    o.str("eventName", e.name.as_deref());
    o.int("eventId", e.id);
    o.raw("timestamp", e.timestamp.map(|t| t.as_nanos().to_string()).as_deref());
    o.int("returnValue", e.return_value);
    o.str("syscall", e.syscall.as_deref());
    o.str("hostName", e.host_name.as_deref());
    let p = &e.process;
    o.str("processName", p.name.as_deref());
    o.int("processId", p.pid);
    o.int("threadId", p.tid);
    o.int("parentProcessId", p.ppid);
    o.int("hostProcessId", p.host_pid);
    o.int("hostThreadId", p.host_tid);
    o.int("hostParentProcessId", p.host_ppid);
    o.int("userId", p.uid);
    o.str("executable", p.executable.as_deref());
    let c = &e.container;
    o.str("containerId", c.id.as_deref());
    o.str("containerName", c.name.as_deref());
    o.str("containerImage", c.image.as_deref());
    o.str("podName", c.pod_name.as_deref());
    o.str("podNamespace", c.pod_namespace.as_deref());
    o.str("podUID", c.pod_uid.as_deref());
    o.args("args", d, line, false);
    if let Some(s) = &e.signature {
        let mut sig = Obj::new(256);
        sig.str("id", s.id.as_deref());
        sig.str("name", s.name.as_deref());
        sig.int("severity", s.severity);
        sig.str("description", s.description.as_deref());
        sig.str("category", s.category.as_deref());
        sig.str("technique", s.technique.as_deref());
        sig.str("externalId", s.external_id.as_deref());
        o.raw("signature", Some(&sig.finish()));
        if s.triggered_by.is_some() || d.arg_values.iter().any(|a| a.trigger) {
            let mut t = Obj::new(128);
            t.str("eventName", s.triggered_by.as_deref());
            t.args("args", d, line, true);
            o.raw("triggeredBy", Some(&t.finish()));
        }
    }
    Some(o.finish())
}

/// Appends `params` (a JSON object) as the last member of a plugin input built above.
pub fn with_params(input: &str, params_json: &str) -> String {
    let body = input.strip_suffix('}').unwrap_or(input);
    let sep = if body.ends_with('{') { "" } else { "," };
    format!("{body}{sep}\"params\":{params_json}}}")
}

/// A JSON object being written; members with no value are left out.
struct Obj {
    s: String,
}

impl Obj {
    fn new(capacity: usize) -> Obj {
        let mut s = String::with_capacity(capacity);
        s.push('{');
        Obj { s }
    }

    fn key(&mut self, key: &str) {
        if !self.s.ends_with('{') {
            self.s.push(',');
        }
        push_json_str(&mut self.s, key);
        self.s.push(':');
    }

    fn raw(&mut self, key: &str, json: Option<&str>) {
        if let Some(json) = json {
            self.key(key);
            self.s.push_str(json);
        }
    }

    fn str(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.key(key);
            push_json_str(&mut self.s, v);
        }
    }

    fn int(&mut self, key: &str, v: Option<i64>) {
        if let Some(v) = v {
            self.key(key);
            let _ = write!(self.s, "{v}");
        }
    }

    /// The arguments (own or the trigger's) as `{name: value as written}`; the first of a name wins.
    fn args(&mut self, key: &str, d: &Dissection, line: &str, trigger: bool) {
        self.key(key);
        let mut args = Obj::new(line.len());
        let mut seen: Vec<&str> = Vec::new();
        for a in d.arg_values.iter().filter(|a| a.trigger == trigger) {
            if seen.contains(&a.name.as_str()) {
                continue;
            }
            seen.push(&a.name);
            let raw = text_of(line, a.value).unwrap_or("null");
            // valid JSON that JSON libraries refuse (a number like 19e6103) goes as text
            if plain_json(raw) {
                args.raw(&a.name, Some(raw));
            } else {
                args.str(&a.name, Some(raw));
            }
        }
        self.s.push_str(&args.finish());
    }

    fn finish(mut self) -> String {
        self.s.push('}');
        self.s
    }
}

/// Whether a value as written reads back with ordinary JSON libraries: numbers must fit a double.
fn plain_json(raw: &str) -> bool {
    match raw.as_bytes().first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        // only a number in exponent form, or of hundreds of digits, can overflow a double
        Some(b'{' | b'[') => !may_overflow(raw) || serde_json::from_str::<serde_json::Value>(raw).is_ok(),
        _ => raw.parse::<f64>().is_ok_and(f64::is_finite),
    }
}

/// A quick scan of a JSON text for numbers with an exponent or 300+ digits (outside strings).
fn may_overflow(raw: &str) -> bool {
    let (mut in_string, mut escaped, mut digits) = (false, false, 0);
    for b in raw.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'e' | b'E' if digits > 0 => return true,
            b'0'..=b'9' | b'.' => {
                digits += 1;
                if digits >= 300 {
                    return true;
                }
                continue;
            }
            _ => {}
        }
        digits = 0;
    }
    false
}

fn text_of(line: &str, span: Span) -> Option<&str> {
    let (start, len) = (span.start as usize, span.len as usize);
    line.get(start..start + len).filter(|t| !t.is_empty())
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
