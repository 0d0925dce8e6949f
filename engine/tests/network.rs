//! Network events: packet bytes for Wireshark's own dissectors, native fields, capture context.

use trackershark_engine::network::capture_context;
use trackershark_engine::{dissect, Catalog, Dissection, Value};

fn natives(d: &Dissection) -> Vec<(String, String)> {
    let cat = Catalog::get();
    d.items
        .iter()
        .filter(|i| cat.is_native(i.field))
        .map(|i| (cat.def(i.field).abbrev.clone(), i.value.text().into()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn event(name: &str, args: &str) -> Dissection {
    let line = format!(r#"{{"timestamp":1,"processName":"curl","eventName":"{name}","args":[{args}]}}"#);
    dissect(line.as_bytes())
}

#[test]
fn raw_packet_bytes_are_handed_on_by_ip_version() {
    // IPv4 header start (0x45…) in base64, and an IPv6 one as an array of byte values
    let d = event("net_packet_raw", r#"{"name":"data","type":"bytes","value":"RQAAPgABAABAEWaoCgAABQoAAAI="}"#);
    let p = d.packet.expect("a packet");
    assert_eq!((p.dissector, p.bytes.len(), p.bytes[0]), ("ip", 20, 0x45));
    let d = event("net_packet_raw", r#"{"name":"data","type":"bytes","value":[96,0,0,0]}"#);
    assert_eq!(d.packet.map(|p| (p.dissector, p.bytes)), Some(("ipv6", vec![96, 0, 0, 0])));
    // not a packet event, or not bytes: nothing
    assert!(event("vfs_write", r#"{"name":"data","type":"bytes","value":"RQAA"}"#).packet.is_none());
    assert!(event("net_packet_raw", r#"{"name":"data","type":"bytes","value":"%%%"}"#).packet.is_none());
}

#[test]
fn packet_metadata_dns_and_http_fill_wiresharks_own_fields() {
    let meta = r#"{"name":"metadata","type":"trace.PktMeta","value":{"src_ip":"10.0.0.5","dst_ip":"10.0.0.2","src_port":46259,"dst_port":53,"protocol":17,"packet_len":60,"iface":"any"}}"#;
    let d = event(
        "net_packet_dns_response",
        &format!(
            r#"{meta},{{"name":"dns_response","type":"[]trace.DnsResponseData","value":[{{"query_data":{{"query":"evil.example.com","query_type":"A","query_class":"IN"}},"dns_answer":[{{"answer_type":"CNAME","ttl":5,"answer":"cdn.example.net"}},{{"answer_type":"A","ttl":300,"answer":"198.51.100.7"}},{{"answer_type":"AAAA","ttl":300,"answer":"2001:db8::7"}}]}}]}}"#
        ),
    );
    assert_eq!(
        natives(&d),
        pairs(&[
            ("ip.src", "10.0.0.5"),
            ("ip.addr", "10.0.0.5"),
            ("ip.dst", "10.0.0.2"),
            ("ip.addr", "10.0.0.2"),
            ("udp.srcport", "46259"),
            ("udp.port", "46259"),
            ("udp.dstport", "53"),
            ("udp.port", "53"),
            ("dns.qry.name", "evil.example.com"),
            ("dns.cname", "cdn.example.net"),
            ("dns.a", "198.51.100.7"),
            ("dns.aaaa", "2001:db8::7"),
        ])
    );
    let d = event(
        "net_packet_http_request",
        r#"{"name":"http_request","type":"trace.ProtoHTTPRequest","value":{"method":"GET","protocol":"HTTP/1.1","host":"example.com","uri_path":"/x.sh","headers":{"Accept":["*/*"],"User-Agent":["curl/8.3.0"]},"content_length":0}}"#,
    );
    assert_eq!(
        natives(&d),
        pairs(&[
            ("http.request.method", "GET"),
            ("http.request.uri", "/x.sh"),
            ("http.host", "example.com"),
            ("http.user_agent", "curl/8.3.0"),
        ])
    );
    // net_packet_http: the direction says which fields apply
    let d = event(
        "net_packet_http",
        r#"{"name":"src","type":"const char*","value":"142.251.128.68"},{"name":"dst","type":"const char*","value":"192.168.200.50"},{"name":"src_port","type":"u16","value":80},{"name":"dst_port","type":"u16","value":54894},{"name":"proto_http","type":"trace.ProtoHTTP","value":{"direction":"response","method":"","protocol":"HTTP/1.1","host":"","uri_path":"","status":"200 OK","status_code":200,"headers":{},"content_length":180}}"#,
    );
    let n = natives(&d);
    assert!(n.contains(&("tcp.srcport".into(), "80".into())), "{n:?}");
    assert!(n.contains(&("http.response.code".into(), "200".into())), "{n:?}");
    assert!(!n.iter().any(|(a, _)| a == "http.request.method"), "{n:?}");
}

#[test]
fn socket_addresses_give_addresses_and_ports_when_the_transport_is_known() {
    let d = event(
        "security_socket_connect",
        r#"{"name":"sockfd","type":"int","value":5},{"name":"type","type":"int","value":1},{"name":"remote_addr","type":"struct sockaddr*","value":{"sa_family":"AF_INET6","sin6_addr":"2001:db8::7","sin6_port":"443"}}"#,
    );
    assert_eq!(natives(&d), pairs(&[("ipv6.dst", "2001:db8::7"), ("ipv6.addr", "2001:db8::7"), ("tcp.port", "443")]));
    let d = event(
        "security_socket_bind",
        r#"{"name":"local_addr","type":"struct sockaddr*","value":{"sa_family":"AF_INET","sin_addr":"0.0.0.0","sin_port":"8080"}}"#,
    );
    assert_eq!(natives(&d), pairs(&[("ip.src", "0.0.0.0"), ("ip.addr", "0.0.0.0")]));
    // not an address: nothing
    let d = event(
        "security_socket_bind",
        r#"{"name":"local_addr","type":"struct sockaddr*","value":{"sa_family":"AF_UNIX","sun_path":"/run/x.sock"}}"#,
    );
    assert_eq!(natives(&d), []);
}

#[test]
fn a_capture_context_gives_the_same_context_fields_as_events() {
    let corpus = std::env::var("TRACKERSHARK_CORPUS")
        .unwrap_or_else(|_| format!("{}/../../shared/corpus", env!("CARGO_MANIFEST_DIR")));
    let text = std::fs::read_to_string(format!("{corpus}/pcapng-interface-context.jsonl")).unwrap();
    let d = capture_context(text.lines().next().unwrap()).expect("a context");
    let cat = Catalog::get();
    let value = |abbrev: &str| {
        let id = cat.id(abbrev).unwrap();
        d.items.iter().find(|i| i.field == id).map(|i| i.value.clone())
    };
    assert_eq!(value("tracker.container.name"), Some(Value::Str("gallant_nightingale".into())));
    assert_eq!(value("tracker.process.name"), Some(Value::Str("ping".into())));
    assert_eq!(value("tracker.process.host_pid"), Some(Value::Int(191684)));
    assert_eq!(d.items[0].depth, 0, "the Context subtree, from its head");
    assert!(d.items.iter().all(|i| i.span.len == 0));
    let e = d.event().cloned().unwrap();
    assert_eq!(e.container.image.as_deref(), Some("busybox:latest"));
    // anything else is not a context
    assert!(capture_context("Ethernet adapter").is_none());
    assert!(capture_context(r#"{"speed": 1000}"#).is_none());
}

/// The typed event is read from the schema's items when first asked for, once: the mirrored
/// network fields appended after them are not arguments of its own.
#[test]
fn the_typed_event_is_read_once_from_the_schemas_items() {
    let meta = r#"{"name":"metadata","type":"trace.PktMeta","value":{"src_ip":"10.0.0.5","dst_ip":"10.0.0.2","src_port":46259,"dst_port":53,"protocol":17}},{"name":"count","type":"int","value":3}"#;
    let d = event("net_packet_dns_request", meta);
    assert!(!natives(&d).is_empty(), "mirrored fields come after the schema's items");
    let e = d.event().expect("an event");
    assert!(std::ptr::eq(e, d.event().unwrap()), "worked out once");
    assert_eq!(e.name.as_deref(), Some("net_packet_dns_request"));
    assert_eq!(e.process.name.as_deref(), Some("curl"));
    let names: Vec<&str> = e.args.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["metadata", "count"]);
    assert_eq!(e.arg("count").and_then(Value::as_i64), Some(3));
}
