//! Network events side by side with packets: the packet bytes an event carries (handed to
//! Wireshark's own dissectors by the front end), and Wireshark's own fields (`ip.addr`,
//! `tcp.port`, `dns.qry.name`, `http.request.method`, …) filled from structured network arguments,
//! so one display filter selects events and real packets alike.

use std::net::IpAddr;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use compact_str::{CompactStringExt, ToCompactString};

use crate::fields::Catalog;
use crate::json::Span;
use crate::tree::{ArgValue, Item, Value};

/// Packet bytes carried by an event, and the Wireshark dissector that reads them.
#[derive(Clone, Debug, PartialEq)]
pub struct RawPacket {
    pub bytes: Vec<u8>,
    /// "ip" (IPv4), "ipv6", or "data" when the bytes start with neither.
    pub dissector: &'static str,
    /// The argument the bytes came from.
    pub span: Span,
}

/// Names of byte arguments that hold a whole packet, in `net_packet_*` events.
const PACKET_ARGS: [&str; 3] = ["data", "packet", "payload"];

/// The packet in a `net_packet_raw` event (or another `net_packet_*` event with packet bytes):
/// base64 text (or an array of byte values) in one of the event's own arguments.
pub fn raw_packet(event_name: &str, args: &[ArgValue], line: &str) -> Option<RawPacket> {
    if !event_name.starts_with("net_packet") {
        return None;
    }
    args.iter().filter(|a| !a.trigger && PACKET_ARGS.contains(&a.name.as_str())).find_map(|a| {
        let (start, len) = (a.value.start as usize, a.value.len as usize);
        let raw = line.get(start..start + len)?;
        let bytes = match serde_json::from_str::<serde_json::Value>(raw).ok()? {
            serde_json::Value::String(b64) => BASE64.decode(b64.trim()).ok()?,
            serde_json::Value::Array(v) => {
                v.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect::<Option<_>>()?
            }
            _ => return None,
        };
        let dissector = match bytes.first()? >> 4 {
            4 => "ip",
            6 => "ipv6",
            _ => "data",
        };
        Some(RawPacket { bytes, dissector, span: a.value })
    })
}

/// The transport of a packet event, from its metadata's IP protocol number or its name.
fn transport(event_name: &str, ip_protocol: Option<u64>) -> Option<&'static str> {
    match ip_protocol {
        Some(6) => Some("tcp"),
        Some(17) => Some("udp"),
        Some(_) => None,
        None if event_name.contains("tcp") || event_name.contains("http") => Some("tcp"),
        None if event_name.contains("udp") || event_name.contains("dns") => Some("udp"),
        None => None,
    }
}

/// Structured values whose members fill native fields (namespaces of `tracker.<ns>.<member>`).
const NETWORK_STRUCTS: [&str; 9] = [
    "pkt_meta",
    "sockaddr",
    "dns_question",
    "dns_query",
    "dns_rr",
    "dns_answer",
    "proto_http",
    "proto_http_request",
    "proto_http_response",
];
/// Top-level arguments that do: the endpoints of `net_packet_*` events, and a socket's type.
const NETWORK_ARGS: [&str; 5] = ["src", "dst", "src_port", "dst_port", "type"];

/// Per catalog field, `(namespace, member)` of `tracker.<ns>.<member>` when it can feed a native
/// field (see the two lists above); worked out once.
fn network_roles(cat: &'static Catalog) -> &'static [Option<(&'static str, &'static str)>] {
    static ROLES: OnceLock<Vec<Option<(&str, &str)>>> = OnceLock::new();
    ROLES.get_or_init(|| {
        let role = |abbrev: &'static str| {
            let (ns, member) = abbrev.strip_prefix("tracker.")?.split_once('.')?;
            let wanted = match ns {
                "args" => NETWORK_ARGS.contains(&member),
                _ => NETWORK_STRUCTS.contains(&ns),
            };
            wanted.then_some((ns, member))
        };
        cat.fields().iter().map(|def| role(def.abbrev.as_str())).collect()
    })
}

/// Hidden items of Wireshark's own fields, mirroring the event's network arguments.
pub fn native_items(event_name: &str, items: &[Item]) -> Vec<Item> {
    let mut out = Mirror { cat: Catalog::get(), items: Vec::new() };
    let roles = network_roles(out.cat);
    // most events carry no network value
    if !items.iter().any(|item| matches!(roles.get(item.field as usize), Some(Some(_)))) {
        return out.items;
    }
    // members of one structured value share a parent: group them
    let mut parents: Vec<usize> = Vec::with_capacity(8);
    let mut groups: Vec<(usize, &str, Vec<(&str, &Item)>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let depth = item.depth as usize;
        parents.truncate(depth);
        let parent = parents.last().copied().unwrap_or(0);
        parents.push(i);
        let Some((ns, member)) = roles.get(item.field as usize).copied().flatten() else { continue };
        // an event's own top-level arguments group as "args"
        if ns == "args" && depth != 2 {
            continue;
        }
        match groups.iter_mut().find(|(p, n, _)| *p == parent && *n == ns) {
            Some((_, _, members)) => members.push((member, item)),
            None => groups.push((parent, ns, vec![(member, item)])),
        }
    }
    let socket_type = groups
        .iter()
        .find(|(_, ns, _)| *ns == "args")
        .and_then(|(_, _, m)| m.iter().find(|(name, _)| *name == "type"))
        .and_then(|(_, item)| item.value.as_i64().or_else(|| item.value.as_str()?.trim().parse().ok()));
    for (parent, ns, members) in &groups {
        let get = |name: &str| members.iter().find(|(m, _)| *m == name).map(|(_, item)| *item);
        match *ns {
            "pkt_meta" => {
                let proto = get("protocol").and_then(|i| i.value.as_i64()).map(|p| p as u64);
                out.endpoints(
                    get("src_ip"),
                    get("dst_ip"),
                    get("src_port"),
                    get("dst_port"),
                    transport(event_name, proto),
                );
            }
            "args" if event_name.starts_with("net_packet") => {
                out.endpoints(get("src"), get("dst"), get("src_port"), get("dst_port"), transport(event_name, None));
            }
            "sockaddr" => {
                let addr = get("sin_addr").or(get("sin6_addr"));
                // the peer of a connect is its destination; what a socket binds or accepts on, its source
                let which = match out.cat.def(items[*parent].field).abbrev.as_str() {
                    "tracker.args.remote_addr" => "dst",
                    "tracker.args.local_addr" => "src",
                    _ => "addr",
                };
                out.address(addr, which);
                let proto = match socket_type {
                    Some(1) => Some("tcp"),
                    Some(2) => Some("udp"),
                    _ => None,
                };
                if let Some(proto) = proto {
                    out.port(get("sin_port").or(get("sin6_port")), proto, "port");
                }
            }
            "dns_question" => out.text(get("name"), "dns.qry.name"),
            "dns_query" => out.text(get("query"), "dns.qry.name"),
            "dns_rr" => {
                out.dns_answer(get("ip"), None);
                out.text(get("cname"), "dns.cname");
            }
            "dns_answer" => out.dns_answer(get("answer"), get("answer_type").and_then(|t| t.value.as_str())),
            "proto_http_request" => out.http_request(members),
            "proto_http_response" => out.number(get("status_code"), "http.response.code"),
            "proto_http" => match get("direction").and_then(|d| d.value.as_str()) {
                Some("request") => out.http_request(members),
                Some("response") => out.number(get("status_code"), "http.response.code"),
                _ => {}
            },
            _ => {}
        }
    }
    out.items
}

struct Mirror {
    cat: &'static Catalog,
    items: Vec<Item>,
}

impl Mirror {
    fn push(&mut self, abbrev: &str, source: &Item, value: Value) {
        if let Some(field) = self.cat.id(abbrev) {
            self.items.push(Item { field, depth: 1, span: source.span, value, label: None });
        }
    }

    /// An address as `ip.<which>` and `ip.addr` (or the `ipv6.` pair); not an address: nothing.
    fn address(&mut self, item: Option<&Item>, which: &str) {
        let Some(item) = item else { return };
        let Some(ip) = item.value.as_str().and_then(|s| s.trim().parse::<IpAddr>().ok()) else { return };
        let family = if ip.is_ipv4() { "ip" } else { "ipv6" };
        let value = Value::Str(ip.to_compact_string());
        if which != "addr" {
            self.push(&[family, ".", which].concat_compact(), item, value.clone());
        }
        self.push(&[family, ".", "addr"].concat_compact(), item, value);
    }

    fn port(&mut self, item: Option<&Item>, proto: &str, which: &str) {
        let Some(item) = item else { return };
        let port = item.value.as_i64().or_else(|| item.value.as_str().and_then(|s| s.trim().parse().ok()));
        let Some(port) = port.filter(|p| (0..=65535).contains(p)) else { return };
        if which != "port" {
            self.push(&[proto, ".", which].concat_compact(), item, Value::UInt(port as u64));
        }
        self.push(&[proto, ".", "port"].concat_compact(), item, Value::UInt(port as u64));
    }

    fn endpoints(
        &mut self,
        src: Option<&Item>,
        dst: Option<&Item>,
        src_port: Option<&Item>,
        dst_port: Option<&Item>,
        proto: Option<&str>,
    ) {
        self.address(src, "src");
        self.address(dst, "dst");
        if let Some(proto) = proto {
            self.port(src_port, proto, "srcport");
            self.port(dst_port, proto, "dstport");
        }
    }

    fn text(&mut self, item: Option<&Item>, abbrev: &str) {
        if let Some(item) = item {
            if let Some(s) = item.value.as_str().filter(|s| !s.is_empty()) {
                self.push(abbrev, item, Value::Str(s.into()));
            }
        }
    }

    fn number(&mut self, item: Option<&Item>, abbrev: &str) {
        if let Some(item) = item {
            if let Some(n) = item.value.as_i64().filter(|n| (1..=65535).contains(n)) {
                self.push(abbrev, item, Value::UInt(n as u64));
            }
        }
    }

    /// An answer's address (`dns.a` or `dns.aaaa`, by its form) or name (`dns.cname`).
    fn dns_answer(&mut self, answer: Option<&Item>, answer_type: Option<&str>) {
        let Some(item) = answer else { return };
        match answer_type {
            Some("CNAME") => self.text(Some(item), "dns.cname"),
            Some("A") | Some("AAAA") | None => {
                if let Some(ip) = item.value.as_str().and_then(|s| s.trim().parse::<IpAddr>().ok()) {
                    let abbrev = if ip.is_ipv4() { "dns.a" } else { "dns.aaaa" };
                    self.push(abbrev, item, Value::Str(ip.to_compact_string()));
                }
            }
            _ => {}
        }
    }

    fn http_request(&mut self, members: &[(&str, &Item)]) {
        let get = |name: &str| members.iter().find(|(m, _)| *m == name).map(|(_, item)| *item);
        self.text(get("method"), "http.request.method");
        self.text(get("uri_path"), "http.request.uri");
        self.text(get("host"), "http.host");
        // headers are items of "Name: value" text
        for (_, item) in members.iter().filter(|(m, _)| *m == "headers") {
            let agent = item
                .value
                .as_str()
                .and_then(|h| h.split_once(": "))
                .filter(|(k, _)| k.eq_ignore_ascii_case("user-agent"));
            if let Some((_, agent)) = agent {
                self.push("http.user_agent", item, Value::Str(agent.into()));
            }
        }
    }
}

/// The context Tracker writes into the interface description of its packet captures
/// (`--capture network`): container, Kubernetes pod, host and process. Dissected into the same
/// context fields as events (`tracker.container.name`, `tracker.process.pid`, …), so one filter
/// selects events and packets. None when the text is not such a context.
pub fn capture_context(description: &str) -> Option<crate::Dissection> {
    let serde_json::Value::Object(mut ctx) = serde_json::from_str(description.trim()).ok()? else { return None };
    let known = ["container", "kubernetes", "hostName", "processName", "process"];
    if !ctx.keys().any(|k| known.contains(&k.as_str())) {
        return None;
    }
    // the process's members sit at the top level of an event
    if let Some(serde_json::Value::Object(process)) = ctx.remove("process") {
        for (k, v) in process {
            ctx.entry(k).or_insert(v);
        }
    }
    ctx.insert("eventName".into(), "capture context".into());
    let line = serde_json::to_string(&ctx).ok()?;
    let mut d = crate::dissect(line.as_bytes());
    let event = d.event().cloned().map(OnceLock::from).unwrap_or_default();
    // keep the Context subtree, one level up; its spans point into no packet bytes
    let cat = Catalog::get();
    let head = d.items.iter().position(|i| i.field == crate::F::Context as crate::FieldId)?;
    let depth = d.items[head].depth;
    let end = d.items[head + 1..].iter().position(|i| i.depth <= depth).map_or(d.items.len(), |p| head + 1 + p);
    let items: Vec<Item> = d
        .items
        .drain(head..end)
        .map(|mut i| {
            i.depth -= depth;
            i.span = Span::default();
            i
        })
        .filter(|i| !cat.is_native(i.field))
        .collect();
    Some(crate::Dissection {
        protocol: crate::PROTO_EVENT,
        info: String::new(),
        mapped_items: items.len(),
        items,
        experts: Vec::new(),
        arg_values: Vec::new(),
        packet: None,
        format: d.format(),
        event,
    })
}
