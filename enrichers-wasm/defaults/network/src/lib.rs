//! `network`: a readable Info and filterable fields for socket calls (bind, connect, accept), DNS and HTTP
//! packet events, and the `stdio_over_socket` signature. The formats are listed in `defaults/README.md`.
//!
//! Every event shape is read leniently: a missing or oddly typed argument leaves out the part of the
//! output it would have given, and never fails the call.

use trackershark_plugin::{as_i64, export_plugin, show_info, text, Event, Field, Plugin, Value};

/// Questions or answers listed in the Info column before the rest is summed up as `(+N more)`.
const INFO_ITEMS: usize = 4;
/// Values added for one repeated field (DNS queries, answers) per event, at most.
const FIELD_ITEMS: usize = 32;

pub struct Network {
    family: Field,
    local_addr: Field,
    remote_addr: Field,
    ip: Field,
    port: Field,
    unix_path: Field,
    socket_type: Field,
    src: Field,
    dst: Field,
    dns_id: Field,
    dns_query: Field,
    dns_query_type: Field,
    dns_answer: Field,
    dns_rcode: Field,
    http_direction: Field,
    http_method: Field,
    http_host: Field,
    http_url: Field,
    http_status: Field,
    http_content_type: Field,
    http_user_agent: Field,
    stdio_stream: Field,
}

// ---------------------------------------------------------------------------------------------------
// Small text helpers

/// A scalar as trimmed text; `None` when absent, not a scalar, or empty.
fn scalar(v: &Value) -> Option<String> {
    let s = text(v)?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn member(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(scalar)
}

/// The first member of `keys` that holds a non-empty scalar.
fn first_member(obj: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| member(obj, k))
}

/// A port written as a number or as text.
fn port_text(v: &Value) -> Option<String> {
    as_i64(v).map(|n| n.to_string()).or_else(|| scalar(v))
}

/// `ip:port`, with IPv6 addresses in brackets (`[::1]:53`); the bare address when there is no port.
pub fn endpoint(ip: &str, port: Option<&str>) -> String {
    match port {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    }
}

/// An array's elements, a lone object as one element, anything else as none.
fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// Up to [`INFO_ITEMS`] items joined with `, `, and `(+N more)` for the rest.
fn list(items: &[String]) -> String {
    let mut s = items.iter().take(INFO_ITEMS).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > INFO_ITEMS {
        s.push_str(&format!(" (+{} more)", items.len() - INFO_ITEMS));
    }
    s
}

fn process(e: &Event) -> &str {
    e.str("processName").filter(|s| !s.is_empty()).unwrap_or("?")
}

// ---------------------------------------------------------------------------------------------------
// Socket addresses

/// A `struct sockaddr` as Tracker writes it, made readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockAddr {
    /// `AF_INET`, `AF_INET6`, `AF_UNIX`, … (numbers are named).
    pub family: String,
    pub ip: Option<String>,
    pub port: Option<String>,
    /// The Unix socket path; abstract names start with `@`.
    pub unix_path: Option<String>,
    /// `10.0.0.1:53`, `[fe80::1%2]:53`, `unix:/run/x.sock`, `unix:@name`, or the family name.
    pub display: String,
}

fn family_name(v: &Value) -> Option<String> {
    if let Some(n) = as_i64(v) {
        let name = match n {
            0 => "AF_UNSPEC",
            1 => "AF_UNIX",
            2 => "AF_INET",
            10 => "AF_INET6",
            16 => "AF_NETLINK",
            17 => "AF_PACKET",
            _ => return Some(format!("family {n}")),
        };
        return Some(name.to_string());
    }
    let s = scalar(v)?;
    Some(if s == "AF_LOCAL" || s == "AF_FILE" { "AF_UNIX".to_string() } else { s })
}

/// A Unix socket path: abstract names (leading NUL or `@`) start with `@`, trailing NUL padding dropped.
pub fn unix_path(raw: &str) -> String {
    match raw.strip_prefix('\0') {
        Some(rest) => format!("@{}", rest.trim_end_matches('\0').replace('\0', "@")),
        None => raw.trim_end_matches('\0').to_string(),
    }
}

/// An IP socket address from its parts (the family follows from the address).
fn ip_sockaddr(ip: Option<String>, port: Option<String>, scope: Option<i64>, v6: bool) -> SockAddr {
    let v6 = v6 || ip.as_deref().is_some_and(|ip| ip.contains(':'));
    let host = match (&ip, scope) {
        (Some(ip), Some(scope)) => Some(format!("{ip}%{scope}")),
        (Some(ip), None) => Some(ip.clone()),
        (None, _) => None,
    };
    let family = if v6 { "AF_INET6" } else { "AF_INET" };
    let display = match (&host, &port) {
        (Some(h), Some(p)) if v6 => format!("[{h}]:{p}"),
        (Some(h), p) => endpoint(h, p.as_deref()),
        (None, Some(p)) => format!("?:{p}"),
        (None, None) => family.to_string(),
    };
    SockAddr { family: family.to_string(), ip, port, unix_path: None, display }
}

/// Reads a sockaddr object (`{"sa_family":"AF_INET","sin_addr":…,"sin_port":…}` and the AF_INET6 and
/// AF_UNIX variants). Without `sa_family`, the family follows from the members present.
pub fn sockaddr(v: &Value) -> Option<SockAddr> {
    if !v.is_object() {
        return None;
    }
    let family = v.get("sa_family").and_then(family_name).or_else(|| {
        let guessed = if v.get("sin_addr").is_some() {
            "AF_INET"
        } else if v.get("sin6_addr").is_some() {
            "AF_INET6"
        } else if v.get("sun_path").is_some() {
            "AF_UNIX"
        } else {
            return None;
        };
        Some(guessed.to_string())
    })?;
    Some(match family.as_str() {
        "AF_INET" => ip_sockaddr(member(v, "sin_addr"), v.get("sin_port").and_then(port_text), None, false),
        "AF_INET6" => {
            let scope = v.get("sin6_scopeid").and_then(as_i64).filter(|s| *s != 0);
            ip_sockaddr(member(v, "sin6_addr"), v.get("sin6_port").and_then(port_text), scope, true)
        }
        "AF_UNIX" => {
            let path = v.get("sun_path").and_then(Value::as_str).map(unix_path).filter(|p| !p.is_empty());
            let display = format!("unix:{}", path.as_deref().unwrap_or("(unnamed)"));
            SockAddr { family, ip: None, port: None, unix_path: path, display }
        }
        _ => SockAddr { display: family.clone(), family, ip: None, port: None, unix_path: None },
    })
}

/// A socket type: `SOCK_STREAM`, `SOCK_DGRAM`, …, with `|SOCK_NONBLOCK` and `|SOCK_CLOEXEC` when set.
pub fn socket_type(v: &Value) -> Option<String> {
    let Some(n) = as_i64(v) else { return scalar(v) };
    let base = match n & 0xf {
        1 => "SOCK_STREAM".to_string(),
        2 => "SOCK_DGRAM".to_string(),
        3 => "SOCK_RAW".to_string(),
        4 => "SOCK_RDM".to_string(),
        5 => "SOCK_SEQPACKET".to_string(),
        6 => "SOCK_DCCP".to_string(),
        10 => "SOCK_PACKET".to_string(),
        other => format!("type {other}"),
    };
    let mut s = base;
    if n & 0o4000 != 0 {
        s.push_str("|SOCK_NONBLOCK");
    }
    if n & 0o2000000 != 0 {
        s.push_str("|SOCK_CLOEXEC");
    }
    Some(s)
}

// ---------------------------------------------------------------------------------------------------
// DNS

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub atype: Option<String>,
    pub value: Option<String>,
}

impl Question {
    fn from(v: &Value) -> Option<Question> {
        if !v.is_object() {
            return None;
        }
        let name = first_member(v, &["query", "name"]).unwrap_or_else(|| "<root>".to_string());
        Some(Question { name, qtype: first_member(v, &["query_type", "type"]) })
    }
    fn text(&self) -> String {
        match &self.qtype {
            Some(t) => format!("{t} {}", self.name),
            None => self.name.clone(),
        }
    }
}

impl Answer {
    fn from(v: &Value) -> Option<Answer> {
        if !v.is_object() {
            return None;
        }
        let atype = first_member(v, &["answer_type", "type"]);
        let value = member(v, "answer").or_else(|| record_data(v, atype.as_deref()));
        Some(Answer { atype, value })
    }
    fn text(&self) -> String {
        match (&self.atype, &self.value) {
            (Some(t), Some(v)) => format!("{t} {v}"),
            (Some(t), None) => t.clone(),
            (None, Some(v)) => v.clone(),
            (None, None) => "?".to_string(),
        }
    }
}

/// The data of a resource record as `net_packet_dns` writes it (one member per record type).
fn record_data(rr: &Value, rtype: Option<&str>) -> Option<String> {
    let joined = |parts: Vec<Option<String>>| -> Option<String> {
        let parts: Vec<String> = parts.into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    let by_type = match rtype.unwrap_or("") {
        "A" | "AAAA" => member(rr, "IP"),
        "CNAME" => member(rr, "CNAME"),
        "NS" => member(rr, "NS"),
        "PTR" => member(rr, "PTR"),
        "MX" => rr.get("MX").and_then(|mx| joined(vec![member(mx, "preference"), member(mx, "name")])),
        "TXT" => {
            let txts: Vec<String> = match rr.get("TXTs") {
                Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
                Some(other) => scalar(other).into_iter().collect(),
                None => Vec::new(),
            };
            if txts.is_empty() {
                member(rr, "TXT")
            } else {
                Some(txts.join(" "))
            }
        }
        "SRV" => rr.get("SRV").and_then(|s| {
            joined(vec![member(s, "priority"), member(s, "weight"), member(s, "port"), member(s, "name")])
        }),
        "SOA" => rr.get("SOA").and_then(|s| joined(vec![member(s, "MName"), member(s, "RName")])),
        "URI" => rr.get("URI").and_then(|u| member(u, "target")),
        _ => None,
    };
    by_type.or_else(|| first_member(rr, &["IP", "CNAME", "NS", "PTR", "TXT"]))
}

/// What one DNS event says, whichever of the three event shapes it came in.
#[derive(Debug, Default)]
pub struct Dns {
    pub response: bool,
    pub id: Option<i64>,
    pub questions: Vec<Question>,
    pub answers: Vec<Answer>,
    pub rcode: Option<String>,
}

impl Dns {
    /// `net_packet_dns_request`: `dns_questions`.
    pub fn from_request(e: &Event) -> Dns {
        let questions = items(e.arg("dns_questions")).into_iter().filter_map(Question::from).collect();
        Dns { questions, ..Dns::default() }
    }

    /// `net_packet_dns_response`: `dns_response`, a list of `{query_data, dns_answer}`.
    pub fn from_response(e: &Event) -> Dns {
        let mut dns = Dns { response: true, ..Dns::default() };
        for item in items(e.arg("dns_response")) {
            dns.questions.extend(item.get("query_data").and_then(Question::from));
            let answers = item.get("dns_answer").or_else(|| item.get("answers"));
            dns.answers.extend(items(answers).into_iter().filter_map(Answer::from));
        }
        dns
    }

    /// `net_packet_dns`: `proto_dns` with `QR`, `ID`, `questions`, `answers`, `responseCode`.
    pub fn from_proto(e: &Event) -> Option<Dns> {
        let p = e.arg("proto_dns").filter(|p| p.is_object())?;
        let answers: Vec<Answer> = items(p.get("answers")).into_iter().filter_map(Answer::from).collect();
        let response = match p.get("QR") {
            Some(Value::Bool(b)) => *b,
            Some(qr) => as_i64(qr).map(|n| n != 0).unwrap_or(!answers.is_empty()),
            None => !answers.is_empty(),
        };
        Some(Dns {
            response,
            id: p.get("ID").and_then(as_i64),
            questions: items(p.get("questions")).into_iter().filter_map(Question::from).collect(),
            answers,
            rcode: member(p, "responseCode"),
        })
    }

    /// `DNS query[ 0xID]: <questions>` or `DNS response[ 0xID]: <questions> => <rcode/answers>`.
    pub fn info(&self) -> String {
        let mut s = String::from(if self.response { "DNS response" } else { "DNS query" });
        if let Some(id) = self.id {
            s.push_str(&format!(" 0x{id:04x}"));
        }
        let questions: Vec<String> = self.questions.iter().map(Question::text).collect();
        s.push_str(": ");
        s.push_str(&if questions.is_empty() { "(no question)".to_string() } else { list(&questions) });
        if self.response {
            let mut results: Vec<String> = self.rcode.iter().filter(|r| !is_no_error(r)).cloned().collect();
            let answers: Vec<String> = self.answers.iter().map(Answer::text).collect();
            if !answers.is_empty() {
                results.push(list(&answers));
            }
            s.push_str(" => ");
            s.push_str(&if results.is_empty() { "no answers".to_string() } else { results.join(", ") });
        }
        s
    }
}

fn is_no_error(rcode: &str) -> bool {
    let r = rcode.to_ascii_lowercase();
    r == "no error" || r == "noerror" || r == "0"
}

// ---------------------------------------------------------------------------------------------------
// HTTP

/// One HTTP message as the three HTTP events describe it.
#[derive(Debug, Default)]
pub struct Http<'a> {
    pub request: bool,
    pub method: Option<String>,
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub uri_path: Option<String>,
    pub status: Option<String>,
    pub status_code: Option<i64>,
    pub headers: Option<&'a Value>,
    pub content_length: Option<i64>,
}

impl<'a> Http<'a> {
    /// Reads a `proto_http`/`http_request`/`http_response` object. `request` is the direction the event
    /// name gives; `None` (for `net_packet_http`) reads `direction`, or else guesses from the members.
    pub fn from(v: &'a Value, request: Option<bool>) -> Option<Http<'a>> {
        if !v.is_object() {
            return None;
        }
        let method = member(v, "method");
        let status = member(v, "status");
        let status_code = v.get("status_code").and_then(as_i64).filter(|c| *c > 0);
        let request = match request {
            Some(r) => r,
            None => match member(v, "direction").map(|d| d.to_ascii_lowercase()).as_deref() {
                Some("request") => true,
                Some("response") => false,
                _ if method.is_some() => true,
                _ if status.is_some() || status_code.is_some() => false,
                _ => return None,
            },
        };
        Some(Http {
            request,
            method,
            protocol: member(v, "protocol"),
            host: member(v, "host"),
            uri_path: member(v, "uri_path"),
            status,
            status_code,
            headers: v.get("headers").filter(|h| h.is_object()),
            content_length: v.get("content_length").and_then(as_i64),
        })
    }

    /// The first value of a header, its name matched without regard to case.
    pub fn header(&self, name: &str) -> Option<String> {
        let map = self.headers?.as_object()?;
        let (_, v) = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        match v {
            Value::Array(a) => a.iter().find_map(scalar),
            other => scalar(other),
        }
    }

    /// `http://<host><uri_path>`; an absolute URI as it is; for CONNECT, the authority.
    pub fn url(&self) -> Option<String> {
        let uri = self.uri_path.as_deref().unwrap_or("");
        if uri.starts_with("http://") || uri.starts_with("https://") {
            return Some(uri.to_string());
        }
        if self.method.as_deref() == Some("CONNECT") {
            return self.host.clone().or_else(|| self.uri_path.clone());
        }
        match &self.host {
            Some(host) if uri.is_empty() || uri.starts_with('/') => {
                Some(format!("http://{host}{}", if uri.is_empty() { "/" } else { uri }))
            }
            Some(host) => Some(format!("http://{host}/{uri}")),
            None => self.uri_path.clone(),
        }
    }

    /// `200 OK`: the status line's text, led by the code when the text lacks it.
    pub fn status_text(&self) -> Option<String> {
        match (&self.status, self.status_code) {
            (Some(s), Some(c)) if !s.starts_with(&c.to_string()) => Some(format!("{c} {s}")),
            (Some(s), _) => Some(s.clone()),
            (None, Some(c)) => Some(c.to_string()),
            (None, None) => None,
        }
    }

    /// `HTTP request GET http://h/p HTTP/1.1[, <type>][, N bytes]` or
    /// `HTTP response HTTP/1.1 200 OK[, <type>][, N bytes]`.
    pub fn info(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.request {
            parts.push("HTTP request".into());
            parts.extend(self.method.clone());
            parts.extend(self.url());
            parts.extend(self.protocol.clone());
        } else {
            parts.push("HTTP response".into());
            parts.extend(self.protocol.clone());
            parts.extend(self.status_text());
        }
        let mut s = parts.join(" ");
        if let Some(ct) = self.header("Content-Type") {
            s.push_str(&format!(", {ct}"));
        }
        if let Some(n) = self.content_length.filter(|n| *n > 0) {
            s.push_str(&format!(", {n} bytes"));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------------
// The plugin

/// The packet's two ends, from `metadata` (`src_ip`, `dst_ip`, `src_port`, `dst_port`) or from the
/// `src`, `dst`, `src_port`, `dst_port` arguments.
pub fn packet_ends(e: &Event) -> (Option<String>, Option<String>) {
    let end =
        |ip: Option<String>, port: Option<&Value>| ip.map(|ip| endpoint(&ip, port.and_then(port_text).as_deref()));
    match e.arg("metadata").filter(|m| m.is_object()) {
        Some(m) => (end(member(m, "src_ip"), m.get("src_port")), end(member(m, "dst_ip"), m.get("dst_port"))),
        None => (
            end(e.arg("src").and_then(scalar), e.arg("src_port")),
            end(e.arg("dst").and_then(scalar), e.arg("dst_port")),
        ),
    }
}

fn with_ends(mut s: String, ends: &(Option<String>, Option<String>)) -> String {
    if let (Some(src), Some(dst)) = ends {
        s.push_str(&format!(" ({src} → {dst})"));
    }
    s
}

/// The name of a standard stream, by file descriptor.
pub fn stream_name(fd: i64) -> Option<&'static str> {
    match fd {
        0 => Some("stdin"),
        1 => Some("stdout"),
        2 => Some("stderr"),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SocketCall {
    Bind,
    Connect,
    Accept,
}

impl Network {
    fn put_sockaddr(&self, a: &SockAddr, local: bool) {
        self.family.put(&a.family);
        (if local { self.local_addr } else { self.remote_addr }).put(&a.display);
        if let Some(ip) = &a.ip {
            self.ip.put(ip);
        }
        if let Some(port) = &a.port {
            self.port.put(port);
        }
        if let Some(path) = &a.unix_path {
            self.unix_path.put(path);
        }
    }

    fn put_ends(&self, ends: &(Option<String>, Option<String>)) {
        if let Some(src) = &ends.0 {
            self.src.put(src);
        }
        if let Some(dst) = &ends.1 {
            self.dst.put(dst);
        }
    }

    fn socket(&self, e: &Event, call: SocketCall) {
        let (arg, local) = match call {
            SocketCall::Connect => ("remote_addr", false),
            SocketCall::Bind | SocketCall::Accept => ("local_addr", true),
        };
        let fd = e.arg_i64("sockfd");
        let addr = e.arg(arg).and_then(sockaddr);
        if fd.is_none() && addr.is_none() {
            return;
        }
        let stype = e.arg("type").and_then(socket_type);
        if let Some(a) = &addr {
            self.put_sockaddr(a, local);
        }
        if let Some(t) = &stype {
            self.socket_type.put(t);
        }
        let mut s = format!("{}: ", process(e));
        s.push_str(match (call, fd) {
            (SocketCall::Bind, _) => "bind",
            (SocketCall::Connect, _) => "connect",
            (SocketCall::Accept, Some(_)) => "accept on",
            (SocketCall::Accept, None) => "accept",
        });
        if let Some(fd) = fd {
            s.push_str(&format!(" fd {fd}"));
        }
        if let Some(t) = &stype {
            s.push_str(&format!(" ({t})"));
        }
        if let Some(a) = &addr {
            let prep = if call == SocketCall::Accept { "at" } else { "to" };
            s.push_str(&format!(" {prep} {}", a.display));
        }
        show_info(&s);
    }

    fn dns(&self, e: &Event, dns: Dns) {
        let ends = packet_ends(e);
        let nothing = dns.questions.is_empty() && dns.answers.is_empty() && dns.id.is_none();
        if nothing && ends.0.is_none() && ends.1.is_none() {
            return;
        }
        self.put_ends(&ends);
        if let Some(id) = dns.id {
            self.dns_id.put(&format!("0x{id:04x}"));
        }
        for q in dns.questions.iter().take(FIELD_ITEMS) {
            self.dns_query.put(&q.name);
            if let Some(t) = &q.qtype {
                self.dns_query_type.put(t);
            }
        }
        for value in dns.answers.iter().filter_map(|a| a.value.as_ref()).take(FIELD_ITEMS) {
            self.dns_answer.put(value);
        }
        if let Some(rcode) = dns.rcode.as_ref().filter(|_| dns.response) {
            self.dns_rcode.put(rcode);
        }
        show_info(&with_ends(dns.info(), &ends));
    }

    fn http(&self, e: &Event, arg: &str, request: Option<bool>) {
        let Some(http) = e.arg(arg).and_then(|v| Http::from(v, request)) else { return };
        let ends = packet_ends(e);
        self.put_ends(&ends);
        self.http_direction.put(if http.request { "request" } else { "response" });
        if http.request {
            if let Some(m) = &http.method {
                self.http_method.put(m);
            }
            if let Some(h) = &http.host {
                self.http_host.put(h);
            }
            if let Some(u) = http.url() {
                self.http_url.put(&u);
            }
            if let Some(ua) = http.header("User-Agent") {
                self.http_user_agent.put(&ua);
            }
        } else if let Some(code) = http.status_code {
            self.http_status.put(&code.to_string());
        }
        if let Some(ct) = http.header("Content-Type") {
            self.http_content_type.put(&ct);
        }
        show_info(&with_ends(http.info(), &ends));
    }

    fn stdio(&self, e: &Event) {
        let fd = e
            .arg("File descriptor")
            .and_then(as_i64)
            .or_else(|| e.arg_or_trigger("sockfd").and_then(as_i64))
            .or_else(|| e.arg_or_trigger("newfd").and_then(as_i64));
        let addr = match e.arg("IP address").and_then(scalar) {
            Some(ip) => Some(ip_sockaddr(Some(ip), e.arg("Port").and_then(port_text), None, false)),
            None => e.arg_or_trigger("remote_addr").and_then(sockaddr),
        };
        if fd.is_none() && addr.is_none() {
            return;
        }
        let stream = match fd {
            Some(fd) => match stream_name(fd) {
                Some(name) => {
                    self.stdio_stream.put(name);
                    format!("{name} (fd {fd})")
                }
                None => format!("fd {fd}"),
            },
            None => "standard stream".to_string(),
        };
        let target = match &addr {
            Some(a) => {
                self.put_sockaddr(a, false);
                format!("socket {}", a.display)
            }
            None => "a socket".to_string(),
        };
        show_info(&format!("{}: {stream} connected to {target}", process(e)));
    }
}

/// The signature by its event name, its id (`TRC-101`; `TRC-1` in older tracee-rules) or its name.
fn is_stdio_over_socket(e: &Event) -> bool {
    let sig = |key: &str| e.signature(key).and_then(Value::as_str).unwrap_or("");
    e.name() == "stdio_over_socket"
        || matches!(sig("id"), "TRC-1" | "TRC-101")
        || matches!(
            sig("name"),
            "Standard Input/Output Over Socket" | "Process standard input/output over socket detected"
        )
}

impl Plugin for Network {
    fn describe() -> Self {
        Network {
            family: Field::declare("net_family", "Address Family"),
            local_addr: Field::declare("net_local_addr", "Local Address"),
            remote_addr: Field::declare("net_remote_addr", "Remote Address"),
            ip: Field::declare("net_ip", "IP Address"),
            port: Field::declare("net_port", "Port"),
            unix_path: Field::declare("net_unix_path", "Unix Socket Path"),
            socket_type: Field::declare("net_socket_type", "Socket Type"),
            src: Field::declare("net_src", "Packet Source"),
            dst: Field::declare("net_dst", "Packet Destination"),
            dns_id: Field::declare("net_dns_id", "DNS Transaction ID"),
            dns_query: Field::declare("net_dns_query", "DNS Query"),
            dns_query_type: Field::declare("net_dns_query_type", "DNS Query Type"),
            dns_answer: Field::declare("net_dns_answer", "DNS Answer"),
            dns_rcode: Field::declare("net_dns_rcode", "DNS Response Code"),
            http_direction: Field::declare("net_http_direction", "HTTP Direction"),
            http_method: Field::declare("net_http_method", "HTTP Method"),
            http_host: Field::declare("net_http_host", "HTTP Host"),
            http_url: Field::declare("net_http_url", "HTTP URL"),
            http_status: Field::declare("net_http_status", "HTTP Status Code"),
            http_content_type: Field::declare("net_http_content_type", "HTTP Content Type"),
            http_user_agent: Field::declare("net_http_user_agent", "HTTP User Agent"),
            stdio_stream: Field::declare("net_stdio_stream", "Standard Stream"),
        }
    }

    fn enrich(&mut self, e: &Event) -> Result<(), String> {
        match e.name() {
            "security_socket_bind" => self.socket(e, SocketCall::Bind),
            "security_socket_connect" => self.socket(e, SocketCall::Connect),
            "security_socket_accept" => self.socket(e, SocketCall::Accept),
            "net_packet_dns_request" => self.dns(e, Dns::from_request(e)),
            "net_packet_dns_response" => self.dns(e, Dns::from_response(e)),
            "net_packet_dns" => {
                if let Some(dns) = Dns::from_proto(e) {
                    self.dns(e, dns)
                }
            }
            "net_packet_http" => self.http(e, "proto_http", None),
            "net_packet_http_request" => self.http(e, "http_request", Some(true)),
            "net_packet_http_response" => self.http(e, "http_response", Some(false)),
            _ if is_stdio_over_socket(e) => self.stdio(e),
            _ => {}
        }
        Ok(())
    }
}

export_plugin!(Network);

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_plugin::test_host::{run, Record};

    fn ev(json: &str) -> Record {
        run::<Network>(json).unwrap()
    }

    #[test]
    fn declares_lower_case_prefixed_fields() {
        let r = ev(r#"{"eventName":"nothing"}"#);
        assert_eq!(r.declared.len(), 22);
        for (abbrev, name) in &r.declared {
            assert!(abbrev.starts_with("net_"), "{abbrev}");
            assert!(abbrev.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{abbrev}");
            assert!(!name.is_empty());
        }
        assert!(r.fields.is_empty());
        assert_eq!(r.info, None);
    }

    #[test]
    fn connect_from_the_corpus() {
        let r = ev(r#"{"eventName":"security_socket_connect","processName":"coredns","args":{"sockfd":11,"type":1,
            "remote_addr":{"sa_family":"AF_INET","sin_addr":"0.0.0.0","sin_port":"8080"}}}"#);
        assert_eq!(r.info.as_deref(), Some("coredns: connect fd 11 (SOCK_STREAM) to 0.0.0.0:8080"));
        assert_eq!(
            r.fields,
            vec![
                ("net_family".to_string(), "AF_INET".to_string()),
                ("net_remote_addr".into(), "0.0.0.0:8080".into()),
                ("net_ip".into(), "0.0.0.0".into()),
                ("net_port".into(), "8080".into()),
                ("net_socket_type".into(), "SOCK_STREAM".into()),
            ]
        );
    }

    #[test]
    fn connect_types_and_numeric_ports() {
        let r = ev(r#"{"eventName":"security_socket_connect","processName":"dig","args":{"sockfd":"3","type":2050,
            "remote_addr":{"sa_family":"AF_INET","sin_addr":"10.0.0.1","sin_port":53}}}"#);
        assert_eq!(r.info.as_deref(), Some("dig: connect fd 3 (SOCK_DGRAM|SOCK_NONBLOCK) to 10.0.0.1:53"));
        let r =
            ev(r#"{"eventName":"security_socket_connect","processName":"x","args":{"sockfd":4,"type":"SOCK_STREAM",
            "remote_addr":{"sa_family":2,"sin_addr":"1.2.3.4","sin_port":"443"}}}"#);
        assert_eq!(r.info.as_deref(), Some("x: connect fd 4 (SOCK_STREAM) to 1.2.3.4:443"));
        assert_eq!(r.values("net_family"), vec!["AF_INET"]);
        let r = ev(r#"{"eventName":"security_socket_connect","args":{"sockfd":4,"type":524289}}"#);
        assert_eq!(r.info.as_deref(), Some("?: connect fd 4 (SOCK_STREAM|SOCK_CLOEXEC)"));
        let r = ev(r#"{"eventName":"security_socket_connect","args":{"sockfd":4,"type":9}}"#);
        assert_eq!(r.values("net_socket_type"), vec!["type 9"]);
        // No type argument: no parentheses.
        let r = ev(r#"{"eventName":"security_socket_connect","processName":"nc","args":{"sockfd":5,
            "remote_addr":{"sa_family":"AF_INET","sin_addr":"192.168.1.9","sin_port":"4444"}}}"#);
        assert_eq!(r.info.as_deref(), Some("nc: connect fd 5 to 192.168.1.9:4444"));
        assert!(r.values("net_local_addr").is_empty(), "connect gives the remote, not the local address");
    }

    #[test]
    fn bind_ipv6_in_brackets() {
        let r = ev(r#"{"eventName":"security_socket_bind","processName":"nginx","args":{"sockfd":6,
            "local_addr":{"sa_family":"AF_INET6","sin6_addr":"::","sin6_port":"80","sin6_flowinfo":"0","sin6_scopeid":"0"}}}"#);
        assert_eq!(r.info.as_deref(), Some("nginx: bind fd 6 to [::]:80"));
        assert_eq!(r.values("net_local_addr"), vec!["[::]:80"]);
        assert!(r.values("net_remote_addr").is_empty(), "bind gives the local address");
        assert_eq!(r.values("net_family"), vec!["AF_INET6"]);
        assert_eq!(r.values("net_ip"), vec!["::"]);
        assert_eq!(r.values("net_port"), vec!["80"]);
        // A link-local address keeps its scope; a numeric family is named.
        let r = ev(r#"{"eventName":"security_socket_bind","processName":"d","args":{"sockfd":6,
            "local_addr":{"sa_family":10,"sin6_addr":"fe80::1","sin6_port":547,"sin6_scopeid":2}}}"#);
        assert_eq!(r.info.as_deref(), Some("d: bind fd 6 to [fe80::1%2]:547"));
        assert_eq!(r.values("net_ip"), vec!["fe80::1"]);
    }

    #[test]
    fn accept_and_unix_sockets() {
        let r = ev(r#"{"eventName":"security_socket_accept","processName":"sshd","args":{"sockfd":3,
            "local_addr":{"sa_family":"AF_INET","sin_addr":"0.0.0.0","sin_port":"22"}}}"#);
        assert_eq!(r.info.as_deref(), Some("sshd: accept on fd 3 at 0.0.0.0:22"));
        assert_eq!(r.values("net_local_addr"), vec!["0.0.0.0:22"]);
        let r = ev(r#"{"eventName":"security_socket_accept","processName":"dockerd","args":{"sockfd":7,
            "local_addr":{"sa_family":"AF_UNIX","sun_path":"/run/docker.sock"}}}"#);
        assert_eq!(r.info.as_deref(), Some("dockerd: accept on fd 7 at unix:/run/docker.sock"));
        assert_eq!(r.values("net_unix_path"), vec!["/run/docker.sock"]);
        assert_eq!(r.values("net_family"), vec!["AF_UNIX"]);
        assert!(r.values("net_ip").is_empty());
        // Abstract names: a leading NUL or @ shows as @.
        let r = ev(r#"{"eventName":"security_socket_connect","processName":"a","args":{"sockfd":3,
            "remote_addr":{"sa_family":"AF_UNIX","sun_path":"\u0000/tmp/.X11-unix/X0\u0000\u0000"}}}"#);
        assert_eq!(r.info.as_deref(), Some("a: connect fd 3 to unix:@/tmp/.X11-unix/X0"));
        let r = ev(r#"{"eventName":"security_socket_bind","processName":"a","args":{"sockfd":3,
            "local_addr":{"sa_family":"AF_UNIX","sun_path":"@snapd"}}}"#);
        assert_eq!(r.info.as_deref(), Some("a: bind fd 3 to unix:@snapd"));
        assert_eq!(r.values("net_unix_path"), vec!["@snapd"]);
        let r = ev(r#"{"eventName":"security_socket_connect","processName":"a","args":{"sockfd":3,
            "remote_addr":{"sa_family":"AF_UNIX","sun_path":""}}}"#);
        assert_eq!(r.info.as_deref(), Some("a: connect fd 3 to unix:(unnamed)"));
        assert!(r.values("net_unix_path").is_empty());
        // AF_LOCAL is AF_UNIX; a family without members, and a sockaddr without sa_family.
        let r = ev(
            r#"{"eventName":"security_socket_bind","args":{"local_addr":{"sa_family":"AF_LOCAL","sun_path":"/s"}}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("?: bind to unix:/s"));
        let r =
            ev(r#"{"eventName":"security_socket_bind","args":{"sockfd":9,"local_addr":{"sa_family":"AF_NETLINK"}}}"#);
        assert_eq!(r.info.as_deref(), Some("?: bind fd 9 to AF_NETLINK"));
        let r =
            ev(r#"{"eventName":"security_socket_bind","args":{"local_addr":{"sin_addr":"127.0.0.1","sin_port":"0"}}}"#);
        assert_eq!(r.info.as_deref(), Some("?: bind to 127.0.0.1:0"));
        let r = ev(r#"{"eventName":"security_socket_accept","args":{"local_addr":{"sa_family":17}}}"#);
        assert_eq!(r.info.as_deref(), Some("?: accept at AF_PACKET"));
    }

    #[test]
    fn socket_events_without_usable_args_do_nothing() {
        for json in [
            r#"{"eventName":"security_socket_connect"}"#,
            r#"{"eventName":"security_socket_connect","args":{}}"#,
            r#"{"eventName":"security_socket_connect","args":"nope"}"#,
            r#"{"eventName":"security_socket_bind","args":{"sockfd":[1],"local_addr":"10.0.0.1:80"}}"#,
            r#"{"eventName":"security_socket_accept","args":{"local_addr":{"nothing":1}}}"#,
            r#"{"eventName":"security_socket_accept","args":{"sockfd":null,"local_addr":null}}"#,
        ] {
            let r = ev(json);
            assert_eq!(r.info, None, "{json}");
            assert!(r.fields.is_empty(), "{json}");
        }
    }

    #[test]
    fn dns_request_from_the_corpus() {
        let r = ev(r#"{"eventName":"net_packet_dns_request","args":{
            "metadata":{"src_ip":"127.0.0.1","dst_ip":"127.0.0.53","src_port":46259,"dst_port":53,"protocol":17,"packet_len":60,"iface":"any"},
            "dns_questions":[{"query":"www.uol.com.br","query_type":"A","query_class":"IN"}]}}"#);
        assert_eq!(r.info.as_deref(), Some("DNS query: A www.uol.com.br (127.0.0.1:46259 → 127.0.0.53:53)"));
        assert_eq!(
            r.fields,
            vec![
                ("net_src".to_string(), "127.0.0.1:46259".to_string()),
                ("net_dst".into(), "127.0.0.53:53".into()),
                ("net_dns_query".into(), "www.uol.com.br".into()),
                ("net_dns_query_type".into(), "A".into()),
            ]
        );
    }

    #[test]
    fn dns_request_over_ipv6_with_several_questions() {
        let r = ev(r#"{"eventName":"net_packet_dns_request","args":{
            "metadata":{"src_ip":"fd00::2","dst_ip":"fd00::1","src_port":"5353","dst_port":"53"},
            "dns_questions":[{"query":"a.example","query_type":"A"},{"query":"a.example","query_type":"AAAA"},
                             {"query":"b.example"},{"query":"c.example","query_type":"TXT"},{"query":"d.example","query_type":"MX"}]}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some(
                "DNS query: A a.example, AAAA a.example, b.example, TXT c.example (+1 more) \
                 ([fd00::2]:5353 → [fd00::1]:53)"
            )
        );
        assert_eq!(r.values("net_dns_query").len(), 5);
        assert_eq!(r.values("net_dns_query_type"), vec!["A", "AAAA", "TXT", "MX"]);
    }

    #[test]
    fn dns_response_from_the_corpus() {
        let r = ev(r#"{"eventName":"net_packet_dns_response","args":{
            "metadata":{"src_ip":"127.0.0.53","dst_ip":"127.0.0.1","src_port":53,"dst_port":41373,"protocol":17,"packet_len":166,"iface":"any"},
            "dns_response":[{"query_data":{"query":"www.uol.com.br","query_type":"A","query_class":"IN"},
              "dns_answer":[{"answer_type":"CNAME","ttl":22,"answer":"dftex7xfha8fh.cloudfront.net"},
                {"answer_type":"A","ttl":60,"answer":"65.8.214.126"},{"answer_type":"A","ttl":60,"answer":"65.8.214.70"},
                {"answer_type":"A","ttl":60,"answer":"65.8.214.49"},{"answer_type":"A","ttl":60,"answer":"65.8.214.78"}]}]}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some(
                "DNS response: A www.uol.com.br => CNAME dftex7xfha8fh.cloudfront.net, A 65.8.214.126, \
                 A 65.8.214.70, A 65.8.214.49 (+1 more) (127.0.0.53:53 → 127.0.0.1:41373)"
            )
        );
        assert_eq!(
            r.values("net_dns_answer"),
            vec!["dftex7xfha8fh.cloudfront.net", "65.8.214.126", "65.8.214.70", "65.8.214.49", "65.8.214.78"]
        );
        assert_eq!(r.values("net_dns_query"), vec!["www.uol.com.br"]);
        assert!(r.values("net_dns_rcode").is_empty());
    }

    #[test]
    fn dns_response_is_read_leniently() {
        // A lone object instead of a list, a null answer list, and no metadata.
        let r = ev(r#"{"eventName":"net_packet_dns_response","args":{
            "dns_response":{"query_data":{"query":"nx.example","query_type":"AAAA"},"dns_answer":null}}}"#);
        assert_eq!(r.info.as_deref(), Some("DNS response: AAAA nx.example => no answers"));
        // Answers without types or values, and items that are not objects.
        let r = ev(r#"{"eventName":"net_packet_dns_response","args":{
            "dns_response":[5,{"query_data":"x","dns_answer":[{"answer":"1.1.1.1"},{"answer_type":"A"},{},7]}]}}"#);
        assert_eq!(r.info.as_deref(), Some("DNS response: (no question) => 1.1.1.1, A, ?"));
        assert_eq!(r.values("net_dns_answer"), vec!["1.1.1.1"]);
        // Nothing at all: nothing shown.
        let r = ev(r#"{"eventName":"net_packet_dns_response","args":{"dns_response":"?"}}"#);
        assert_eq!(r.info, None);
        assert!(r.fields.is_empty());
    }

    #[test]
    fn net_packet_dns_query_from_the_corpus() {
        let r = ev(
            r#"{"eventName":"net_packet_dns","args":{"src":"10.0.2.15","dst":"10.0.2.3","src_port":34831,"dst_port":53,
            "proto_dns":{"ID":10876,"QR":0,"opCode":"query","AA":0,"TC":0,"RD":1,"RA":0,"Z":0,"responseCode":"no error",
            "QDCount":1,"ANCount":0,"NSCount":0,"ARCount":1,"questions":[{"name":"ebpf.io","type":"A","class":"IN"}],
            "answers":[],"authorities":[],"additionals":[{"name":"","type":"OPT","class":"Unknown","TTL":0,"IP":""}]}}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("DNS query 0x2a7c: A ebpf.io (10.0.2.15:34831 → 10.0.2.3:53)"));
        assert_eq!(r.values("net_dns_id"), vec!["0x2a7c"]);
        assert_eq!(r.values("net_dns_query"), vec!["ebpf.io"]);
        assert!(r.values("net_dns_rcode").is_empty(), "a query has no response code");
    }

    #[test]
    fn net_packet_dns_responses() {
        let r = ev(
            r#"{"eventName":"net_packet_dns","args":{"src":"10.0.2.3","dst":"10.0.2.15","src_port":53,"dst_port":34831,
            "proto_dns":{"ID":65377,"QR":1,"responseCode":"no error","questions":[{"name":"ebpf.io","type":"A","class":"IN"}],
            "answers":[
              {"name":"ebpf.io","type":"CNAME","class":"IN","TTL":30,"IP":"","CNAME":"web.ebpf.io"},
              {"name":"web.ebpf.io","type":"A","class":"IN","TTL":30,"IP":"104.21.0.1","CNAME":""},
              {"name":"ebpf.io","type":"MX","MX":{"preference":10,"name":"mx.ebpf.io"}},
              {"name":"ebpf.io","type":"TXT","TXTs":["v=spf1","-all"],"TXT":""},
              {"name":"_x._tcp","type":"SRV","SRV":{"priority":1,"weight":2,"port":443,"name":"t.ebpf.io"}},
              {"name":"ebpf.io","type":"AAAA","IP":"2606:4700::1"}]}}}"#,
        );
        assert_eq!(
            r.info.as_deref(),
            Some(
                "DNS response 0xff61: A ebpf.io => CNAME web.ebpf.io, A 104.21.0.1, MX 10 mx.ebpf.io, \
                 TXT v=spf1 -all (+2 more) (10.0.2.3:53 → 10.0.2.15:34831)"
            )
        );
        assert_eq!(
            r.values("net_dns_answer"),
            vec!["web.ebpf.io", "104.21.0.1", "10 mx.ebpf.io", "v=spf1 -all", "1 2 443 t.ebpf.io", "2606:4700::1"]
        );
        assert_eq!(r.values("net_dns_rcode"), vec!["no error"]);
        // An error response.
        let r = ev(r#"{"eventName":"net_packet_dns","args":{"proto_dns":{"ID":1,"QR":1,"responseCode":"no such name",
            "questions":[{"name":"nx.example","type":"A"}],"answers":[]}}}"#);
        assert_eq!(r.info.as_deref(), Some("DNS response 0x0001: A nx.example => no such name"));
        assert_eq!(r.values("net_dns_rcode"), vec!["no such name"]);
        // No QR: answers make it a response.
        let r = ev(r#"{"eventName":"net_packet_dns","args":{"proto_dns":{"questions":[{"name":"","type":"NS"}],
            "answers":[{"type":"NS","NS":"a.root-servers.net"}]}}}"#);
        assert_eq!(r.info.as_deref(), Some("DNS response: NS <root> => NS a.root-servers.net"));
        let r = ev(r#"{"eventName":"net_packet_dns","args":{"proto_dns":"garbage"}}"#);
        assert_eq!(r.info, None);
    }

    #[test]
    fn net_packet_http_directions_from_the_corpus() {
        let r = ev(
            r#"{"eventName":"net_packet_http","args":{"src":"172.17.0.2","dst":"192.168.100.11","src_port":8080,"dst_port":46348,
            "proto_http":{"direction":"response","method":"","protocol":"HTTP/1.1","host":"","uri_path":"","status":"200 ",
            "status_code":200,"headers":{"Content-Length":["180"],"Content-Type":["application/x-binary"],"Date":["Mon, 02 Oct 2023 18:05:31 GMT"]},
            "content_length":180}}}"#,
        );
        assert_eq!(
            r.info.as_deref(),
            Some(
                "HTTP response HTTP/1.1 200, application/x-binary, 180 bytes (172.17.0.2:8080 → 192.168.100.11:46348)"
            )
        );
        assert_eq!(r.values("net_http_direction"), vec!["response"]);
        assert_eq!(r.values("net_http_status"), vec!["200"]);
        assert_eq!(r.values("net_http_content_type"), vec!["application/x-binary"]);
        assert!(r.values("net_http_method").is_empty());
        let r = ev(
            r#"{"eventName":"net_packet_http","args":{"src":"192.168.200.50","dst":"142.251.128.68","src_port":54894,"dst_port":80,
            "proto_http":{"direction":"request","method":"GET","protocol":"HTTP/1.1","host":"www.google.com","uri_path":"/",
            "status":"","status_code":0,"headers":{"Accept":["*/*"],"User-Agent":["curl/8.3.0"]},"content_length":0}}}"#,
        );
        assert_eq!(
            r.info.as_deref(),
            Some("HTTP request GET http://www.google.com/ HTTP/1.1 (192.168.200.50:54894 → 142.251.128.68:80)")
        );
        assert_eq!(
            r.fields,
            vec![
                ("net_src".to_string(), "192.168.200.50:54894".to_string()),
                ("net_dst".into(), "142.251.128.68:80".into()),
                ("net_http_direction".into(), "request".into()),
                ("net_http_method".into(), "GET".into()),
                ("net_http_host".into(), "www.google.com".into()),
                ("net_http_url".into(), "http://www.google.com/".into()),
                ("net_http_user_agent".into(), "curl/8.3.0".into()),
            ]
        );
    }

    #[test]
    fn direction_is_never_inverted() {
        // A POST request is a request, whatever its method, and a response stays a response.
        let r = ev(r#"{"eventName":"net_packet_http","args":{"proto_http":{"direction":"request","method":"POST",
            "protocol":"HTTP/1.1","host":"api.example","uri_path":"/upload","headers":{"content-type":"application/json"},
            "content_length":42}}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some("HTTP request POST http://api.example/upload HTTP/1.1, application/json, 42 bytes")
        );
        assert_eq!(r.values("net_http_direction"), vec!["request"]);
        // Without a direction: a method means a request, a status a response.
        let r = ev(r#"{"eventName":"net_packet_http","args":{"proto_http":{"method":"PUT","uri_path":"/x"}}}"#);
        assert_eq!(r.info.as_deref(), Some("HTTP request PUT /x"));
        let r = ev(r#"{"eventName":"net_packet_http","args":{"proto_http":{"status_code":404}}}"#);
        assert_eq!(r.info.as_deref(), Some("HTTP response 404"));
        assert_eq!(r.values("net_http_direction"), vec!["response"]);
        // Nothing to tell the direction by: nothing shown.
        let r = ev(r#"{"eventName":"net_packet_http","args":{"proto_http":{"protocol":"HTTP/1.1"}}}"#);
        assert_eq!(r.info, None);
        // The event name decides for the request and response events.
        let r = ev(r#"{"eventName":"net_packet_http_response","args":{"http_response":{"protocol":"HTTP/1.0"}}}"#);
        assert_eq!(r.info.as_deref(), Some("HTTP response HTTP/1.0"));
        let r = ev(r#"{"eventName":"net_packet_http_request","args":{"http_request":{"protocol":"HTTP/1.0"}}}"#);
        assert_eq!(r.info.as_deref(), Some("HTTP request HTTP/1.0"));
    }

    #[test]
    fn http_request_and_response_events_from_the_corpus() {
        let r = ev(r#"{"eventName":"net_packet_http_request","args":{
            "metadata":{"src_ip":"::1","dst_ip":"::1","src_port":49622,"dst_port":8000,"protocol":6,"packet_len":781,"iface":"any"},
            "http_request":{"method":"GET","protocol":"HTTP/1.1","host":"localhost:8000","uri_path":"/livereload/600097443/600104814",
            "headers":{"Accept":["*/*"],"User-Agent":["Mozilla/5.0 (X11; Linux x86_64)"]},"content_length":0}}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some(
                "HTTP request GET http://localhost:8000/livereload/600097443/600104814 HTTP/1.1 \
                 ([::1]:49622 → [::1]:8000)"
            )
        );
        assert_eq!(r.values("net_http_url"), vec!["http://localhost:8000/livereload/600097443/600104814"]);
        assert_eq!(r.values("net_http_host"), vec!["localhost:8000"]);
        assert_eq!(r.values("net_src"), vec!["[::1]:49622"]);
        let r = ev(r#"{"eventName":"net_packet_http_response","args":{
            "metadata":{"src_ip":"142.251.132.36","dst_ip":"192.168.200.50","src_port":80,"dst_port":42606,"protocol":6},
            "http_response":{"status":"200 OK","status_code":200,"protocol":"HTTP/1.1",
            "headers":{"Content-Type":["text/html; charset=ISO-8859-1"],"Server":["gws"]},"content_length":-1}}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some("HTTP response HTTP/1.1 200 OK, text/html; charset=ISO-8859-1 (142.251.132.36:80 → 192.168.200.50:42606)")
        );
        assert_eq!(r.values("net_http_direction"), vec!["response"]);
        assert_eq!(r.values("net_http_status"), vec!["200"]);
        // A status text without its code gets the code.
        let r = ev(
            r#"{"eventName":"net_packet_http_response","args":{"http_response":{"status":"Not Found","status_code":404}}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("HTTP response 404 Not Found"));
    }

    #[test]
    fn http_urls() {
        let http = |json: &str| {
            let v: Value = serde_json_value(json);
            Http::from(&v, Some(true)).unwrap().url()
        };
        assert_eq!(http(r#"{"host":"h","uri_path":"/a?b=c"}"#).as_deref(), Some("http://h/a?b=c"));
        assert_eq!(http(r#"{"host":"h"}"#).as_deref(), Some("http://h/"));
        assert_eq!(http(r#"{"host":"h","uri_path":"*"}"#).as_deref(), Some("http://h/*"));
        assert_eq!(http(r#"{"host":"h","uri_path":"http://other/x"}"#).as_deref(), Some("http://other/x"));
        assert_eq!(http(r#"{"method":"CONNECT","host":"h:443","uri_path":""}"#).as_deref(), Some("h:443"));
        assert_eq!(http(r#"{"uri_path":"/only"}"#).as_deref(), Some("/only"));
        assert_eq!(http(r#"{}"#), None);
    }

    fn serde_json_value(json: &str) -> Value {
        trackershark_plugin::serde_json::from_str(json).unwrap()
    }

    #[test]
    fn stdio_over_socket_from_signature_data() {
        let r = ev(
            r#"{"eventName":"stdio_over_socket","processName":"bash","signature":{"id":"TRC-101","name":"Process standard input/output over socket detected"},
            "args":{"File descriptor":0,"IP address":"10.0.0.5","Port":4444}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("bash: stdin (fd 0) connected to socket 10.0.0.5:4444"));
        assert_eq!(
            r.fields,
            vec![
                ("net_stdio_stream".to_string(), "stdin".to_string()),
                ("net_family".into(), "AF_INET".into()),
                ("net_remote_addr".into(), "10.0.0.5:4444".into()),
                ("net_ip".into(), "10.0.0.5".into()),
                ("net_port".into(), "4444".into()),
            ]
        );
        let r = ev(
            r#"{"eventName":"stdio_over_socket","processName":"sh","args":{"File descriptor":"2","IP address":"2001:db8::7","Port":"53"}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("sh: stderr (fd 2) connected to socket [2001:db8::7]:53"));
        assert_eq!(r.values("net_family"), vec!["AF_INET6"]);
        let r = ev(
            r#"{"eventName":"stdio_over_socket","processName":"sh","args":{"File descriptor":7,"IP address":"1.2.3.4"}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("sh: fd 7 connected to socket 1.2.3.4"));
        assert!(r.values("net_stdio_stream").is_empty());
    }

    #[test]
    fn stdio_over_socket_falls_back_to_the_trigger() {
        let r = ev(r#"{"eventName":"stdio_over_socket","processName":"python3","signature":{"id":"TRC-1"},
            "triggeredBy":{"eventName":"security_socket_connect","args":{"sockfd":1,"type":1,
              "remote_addr":{"sa_family":"AF_INET","sin_addr":"203.0.113.9","sin_port":"9001"}}}}"#);
        assert_eq!(r.info.as_deref(), Some("python3: stdout (fd 1) connected to socket 203.0.113.9:9001"));
        assert_eq!(r.values("net_remote_addr"), vec!["203.0.113.9:9001"]);
        // socket_dup: the standard stream is the new descriptor.
        let r =
            ev(r#"{"eventName":"Standard Input/Output Over Socket","processName":"perl","signature":{"id":"TRC-1"},
            "triggeredBy":{"eventName":"socket_dup","args":{"oldfd":3,"newfd":0,
              "remote_addr":{"sa_family":"AF_INET6","sin6_addr":"::1","sin6_port":"4444"}}}}"#);
        assert_eq!(r.info.as_deref(), Some("perl: stdin (fd 0) connected to socket [::1]:4444"));
        // Only the descriptor is known.
        let r = ev(r#"{"eventName":"stdio_over_socket","processName":"sh","triggeredBy":{"args":{"sockfd":1}}}"#);
        assert_eq!(r.info.as_deref(), Some("sh: stdout (fd 1) connected to a socket"));
        // Only the address is known.
        let r =
            ev(r#"{"eventName":"stdio_over_socket","processName":"sh","args":{"IP address":"1.1.1.1","Port":"80"}}"#);
        assert_eq!(r.info.as_deref(), Some("sh: standard stream connected to socket 1.1.1.1:80"));
        // Nothing usable.
        let r = ev(r#"{"eventName":"stdio_over_socket","args":{"File descriptor":"x"},"triggeredBy":"y"}"#);
        assert_eq!(r.info, None);
        assert!(r.fields.is_empty());
    }

    #[test]
    fn stdio_over_socket_is_known_by_signature_id_or_name() {
        let args = r#""args":{"File descriptor":1,"IP address":"10.1.1.1","Port":"443"}"#;
        for sig in [
            r#"{"id":"TRC-101"}"#,
            r#"{"id":"TRC-1"}"#,
            r#"{"name":"Standard Input/Output Over Socket"}"#,
            r#"{"name":"Process standard input/output over socket detected"}"#,
        ] {
            let r = ev(&format!(r#"{{"eventName":"some finding","processName":"sh","signature":{sig},{args}}}"#));
            assert_eq!(r.info.as_deref(), Some("sh: stdout (fd 1) connected to socket 10.1.1.1:443"), "{sig}");
        }
        let r = ev(&format!(r#"{{"eventName":"some finding","signature":{{"id":"TRC-105"}},{args}}}"#));
        assert_eq!(r.info, None);
    }

    #[test]
    fn other_events_are_left_alone() {
        let r = ev(r#"{"eventName":"openat","args":{"sockfd":3,"remote_addr":{"sin_addr":"1.1.1.1"}}}"#);
        assert_eq!(r.info, None);
        assert!(r.fields.is_empty());
    }

    #[test]
    fn odd_shapes_never_fail() {
        let names = [
            "security_socket_bind",
            "security_socket_connect",
            "security_socket_accept",
            "net_packet_dns_request",
            "net_packet_dns_response",
            "net_packet_dns",
            "net_packet_http",
            "net_packet_http_request",
            "net_packet_http_response",
            "stdio_over_socket",
        ];
        let args = [
            "null",
            "[]",
            "\"text\"",
            "{}",
            r#"{"sockfd":-1,"local_addr":[],"remote_addr":5,"type":null}"#,
            r#"{"metadata":[],"dns_questions":{"query":5},"dns_response":[[]],"proto_dns":{"questions":"q","answers":{}}}"#,
            r#"{"metadata":{"src_ip":1,"src_port":{}},"proto_http":{"direction":5,"headers":[]},"http_request":[],"http_response":7}"#,
            r#"{"src":{},"dst":[],"proto_dns":{"QR":"x","ID":"y","answers":[{"type":"MX","MX":"bad"},{"type":"SRV","SRV":[]}]}}"#,
            r#"{"File descriptor":{},"IP address":[],"Port":null,"proto_http":{"direction":"response","status_code":"abc"}}"#,
        ];
        for name in names {
            for a in args {
                let json = format!(r#"{{"eventName":"{name}","args":{a},"triggeredBy":{{"args":{a}}}}}"#);
                assert!(run::<Network>(&json).is_ok(), "{json}");
            }
        }
    }

    #[test]
    fn long_and_control_text_is_cleaned() {
        let long = "a".repeat(5000);
        let json = format!(
            r#"{{"eventName":"net_packet_http_request","args":{{"http_request":{{"method":"GET","host":"h","uri_path":"/{long}\n"}}}}}}"#
        );
        let r = ev(&json);
        let url = r.values("net_http_url")[0];
        assert_eq!(url.len(), trackershark_plugin::FIELD_MAX);
        assert!(url.ends_with('…'));
        assert_eq!(trackershark_plugin::escape_controls("a\nb\u{7f}c"), "a\\x0ab\\x7fc");
    }
}
