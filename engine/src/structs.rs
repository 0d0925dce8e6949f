//! Structured argument types (Tracee's `trace.*` structs, sockaddr, credentials): their JSON members
//! and the field each member fills (`tracker.<ns>.<field>`).

use crate::fields::FieldType;

#[derive(Debug)]
pub struct StructDef {
    /// Tracee type strings (and protobuf value kinds) that carry this struct.
    pub type_names: &'static [&'static str],
    /// Field namespace: members become `tracker.<ns>.<field>`.
    pub ns: &'static str,
    pub title: &'static str,
    pub members: &'static [MemberDef],
}

#[derive(Debug)]
pub struct MemberDef {
    /// Key as Tracee writes it.
    pub key: &'static str,
    pub field: &'static str,
    pub label: &'static str,
    pub kind: MemberKind,
}

#[derive(Debug, Clone, Copy)]
pub enum MemberKind {
    Str,
    Int,
    UInt,
    Hex,
    Bool,
    StrArray,
    /// `map[string][]string`, e.g. HTTP headers: one item per header value.
    Headers,
    Nested(&'static StructDef),
    NestedArray(&'static StructDef),
}

impl MemberKind {
    pub fn field_type(self) -> FieldType {
        match self {
            MemberKind::Str | MemberKind::StrArray | MemberKind::Headers => FieldType::Str,
            MemberKind::Int => FieldType::Int,
            MemberKind::UInt => FieldType::UInt,
            MemberKind::Hex => FieldType::Hex,
            MemberKind::Bool => FieldType::Bool,
            MemberKind::Nested(_) | MemberKind::NestedArray(_) => FieldType::None,
        }
    }
}

macro_rules! members {
    ($($key:literal => $field:literal, $label:literal, $kind:expr;)*) => {
        &[$(MemberDef { key: $key, field: $field, label: $label, kind: $kind },)*]
    };
}

use MemberKind::*;

pub static SOCKADDR: StructDef = StructDef {
    type_names: &["struct sockaddr*", "struct sockaddr", "sockaddr", "struct sockaddr *", "SockAddr"],
    ns: "sockaddr",
    title: "Socket address",
    members: members! {
        "sa_family" => "sa_family", "Address family", Str;
        "sin_addr" => "sin_addr", "IPv4 address", Str;
        "sin_port" => "sin_port", "Port", UInt;
        "sin6_addr" => "sin6_addr", "IPv6 address", Str;
        "sin6_port" => "sin6_port", "Port", UInt;
        "sin6_flowinfo" => "sin6_flowinfo", "Flow info", UInt;
        "sin6_scopeid" => "sin6_scopeid", "Scope ID", UInt;
        "sun_path" => "sun_path", "Unix socket path", Str;
    },
};

pub static CRED: StructDef = StructDef {
    type_names: &["slim_cred_t", "trace.SlimCred", "cred", "credentials"],
    ns: "cred",
    title: "Credentials",
    members: members! {
        "Uid" => "uid", "UID", UInt;
        "Gid" => "gid", "GID", UInt;
        "Suid" => "suid", "Saved UID", UInt;
        "Sgid" => "sgid", "Saved GID", UInt;
        "Euid" => "euid", "Effective UID", UInt;
        "Egid" => "egid", "Effective GID", UInt;
        "Fsuid" => "fsuid", "Filesystem UID", UInt;
        "Fsgid" => "fsgid", "Filesystem GID", UInt;
        "UserNamespace" => "user_namespace", "User namespace", UInt;
        "SecureBits" => "secure_bits", "Secure bits", Hex;
        "CapInheritable" => "cap_inheritable", "Inheritable capabilities", Hex;
        "CapPermitted" => "cap_permitted", "Permitted capabilities", Hex;
        "CapEffective" => "cap_effective", "Effective capabilities", Hex;
        "CapBounding" => "cap_bounding", "Bounding capabilities", Hex;
        "CapAmbient" => "cap_ambient", "Ambient capabilities", Hex;
    },
};

pub static PKT_META: StructDef = StructDef {
    type_names: &["trace.PktMeta"],
    ns: "pkt_meta",
    title: "Packet metadata",
    members: members! {
        "src_ip" => "src_ip", "Source IP", Str;
        "dst_ip" => "dst_ip", "Destination IP", Str;
        "src_port" => "src_port", "Source port", UInt;
        "dst_port" => "dst_port", "Destination port", UInt;
        "protocol" => "protocol", "Protocol", UInt;
        "packet_len" => "packet_len", "Packet length", UInt;
        "iface" => "iface", "Interface", Str;
    },
};

pub static PACKET_METADATA: StructDef = StructDef {
    type_names: &["trace.PacketMetadata", "packet_metadata"],
    ns: "packet_metadata",
    title: "Packet metadata",
    members: members! {
        "direction" => "direction", "Direction", Str;
    },
};

pub static PROTO_IPV4: StructDef = StructDef {
    type_names: &["trace.ProtoIPv4", "ipv4"],
    ns: "proto_ipv4",
    title: "IPv4 header",
    members: members! {
        "version" => "version", "Version", UInt;
        "IHL" => "ihl", "Header length", UInt;
        "TOS" => "tos", "Type of service", UInt;
        "length" => "length", "Total length", UInt;
        "id" => "id", "Identification", UInt;
        "flags" => "flags", "Flags", UInt;
        "fragOffset" => "frag_offset", "Fragment offset", UInt;
        "TTL" => "ttl", "Time to live", UInt;
        "protocol" => "protocol", "Protocol", Str;
        "checksum" => "checksum", "Checksum", Hex;
        "srcIP" => "src_ip", "Source IP", Str;
        "dstIP" => "dst_ip", "Destination IP", Str;
    },
};

pub static PROTO_IPV6: StructDef = StructDef {
    type_names: &["trace.ProtoIPv6", "ipv6"],
    ns: "proto_ipv6",
    title: "IPv6 header",
    members: members! {
        "version" => "version", "Version", UInt;
        "trafficClass" => "traffic_class", "Traffic class", UInt;
        "flowLabel" => "flow_label", "Flow label", UInt;
        "length" => "length", "Payload length", UInt;
        "nextHeader" => "next_header", "Next header", Str;
        "hopLimit" => "hop_limit", "Hop limit", UInt;
        "srcIP" => "src_ip", "Source IP", Str;
        "dstIP" => "dst_ip", "Destination IP", Str;
    },
};

pub static PROTO_TCP: StructDef = StructDef {
    type_names: &["trace.ProtoTCP", "tcp"],
    ns: "proto_tcp",
    title: "TCP header",
    members: members! {
        "srcPort" => "src_port", "Source port", UInt;
        "dstPort" => "dst_port", "Destination port", UInt;
        "seq" => "seq", "Sequence number", UInt;
        "ack" => "ack", "Acknowledgment number", UInt;
        "dataOffset" => "data_offset", "Data offset", UInt;
        "FIN" => "flag_fin", "FIN", UInt;
        "SYN" => "flag_syn", "SYN", UInt;
        "RST" => "flag_rst", "RST", UInt;
        "PSH" => "flag_psh", "PSH", UInt;
        "ACK" => "flag_ack", "ACK", UInt;
        "URG" => "flag_urg", "URG", UInt;
        "ECE" => "flag_ece", "ECE", UInt;
        "CWR" => "flag_cwr", "CWR", UInt;
        "NS" => "flag_ns", "NS", UInt;
        "window" => "window", "Window", UInt;
        "checksum" => "checksum", "Checksum", Hex;
        "urgent" => "urgent", "Urgent pointer", UInt;
    },
};

pub static PROTO_UDP: StructDef = StructDef {
    type_names: &["trace.ProtoUDP", "udp"],
    ns: "proto_udp",
    title: "UDP header",
    members: members! {
        "srcPort" => "src_port", "Source port", UInt;
        "dstPort" => "dst_port", "Destination port", UInt;
        "length" => "length", "Length", UInt;
        "checksum" => "checksum", "Checksum", Hex;
    },
};

pub static PROTO_ICMP: StructDef = StructDef {
    type_names: &["trace.ProtoICMP", "icmp"],
    ns: "proto_icmp",
    title: "ICMP header",
    members: members! {
        "typeCode" => "type_code", "Type/code", Str;
        "checksum" => "checksum", "Checksum", Hex;
        "id" => "id", "Identifier", UInt;
        "seq" => "seq", "Sequence number", UInt;
    },
};

pub static PROTO_ICMPV6: StructDef = StructDef {
    type_names: &["trace.ProtoICMPv6", "icmpv6"],
    ns: "proto_icmpv6",
    title: "ICMPv6 header",
    members: members! {
        "typeCode" => "type_code", "Type/code", Str;
        "checksum" => "checksum", "Checksum", Hex;
    },
};

static DNS_QUESTION: StructDef = StructDef {
    type_names: &[],
    ns: "dns_question",
    title: "DNS question",
    members: members! {
        "name" => "name", "Name", Str;
        "type" => "type", "Type", Str;
        "class" => "class", "Class", Str;
    },
};

static DNS_SOA: StructDef = StructDef {
    type_names: &[],
    ns: "dns_soa",
    title: "SOA record",
    members: members! {
        "MName" => "mname", "Primary name server", Str;
        "RName" => "rname", "Responsible mailbox", Str;
        "serial" => "serial", "Serial", UInt;
        "refresh" => "refresh", "Refresh", UInt;
        "retry" => "retry", "Retry", UInt;
        "expire" => "expire", "Expire", UInt;
        "minimum" => "minimum", "Minimum TTL", UInt;
    },
};

static DNS_SRV: StructDef = StructDef {
    type_names: &[],
    ns: "dns_srv",
    title: "SRV record",
    members: members! {
        "priority" => "priority", "Priority", UInt;
        "weight" => "weight", "Weight", UInt;
        "port" => "port", "Port", UInt;
        "name" => "name", "Target", Str;
    },
};

static DNS_MX: StructDef = StructDef {
    type_names: &[],
    ns: "dns_mx",
    title: "MX record",
    members: members! {
        "preference" => "preference", "Preference", UInt;
        "name" => "name", "Mail exchange", Str;
    },
};

static DNS_OPT: StructDef = StructDef {
    type_names: &[],
    ns: "dns_opt",
    title: "OPT record",
    members: members! {
        "code" => "code", "Code", Str;
        "data" => "data", "Data", Str;
    },
};

static DNS_URI: StructDef = StructDef {
    type_names: &[],
    ns: "dns_uri",
    title: "URI record",
    members: members! {
        "priority" => "priority", "Priority", UInt;
        "weight" => "weight", "Weight", UInt;
        "target" => "target", "Target", Str;
    },
};

static DNS_RR: StructDef = StructDef {
    type_names: &[],
    ns: "dns_rr",
    title: "DNS resource record",
    members: members! {
        "name" => "name", "Name", Str;
        "type" => "type", "Type", Str;
        "class" => "class", "Class", Str;
        "TTL" => "ttl", "TTL", UInt;
        "IP" => "ip", "Address", Str;
        "NS" => "ns", "Name server", Str;
        "CNAME" => "cname", "CNAME", Str;
        "PTR" => "ptr", "PTR", Str;
        "TXTs" => "txts", "TXT", StrArray;
        "SOA" => "soa", "SOA", Nested(&DNS_SOA);
        "SRV" => "srv", "SRV", Nested(&DNS_SRV);
        "MX" => "mx", "MX", Nested(&DNS_MX);
        "OPT" => "opt", "OPT", NestedArray(&DNS_OPT);
        "URI" => "uri", "URI", Nested(&DNS_URI);
        "TXT" => "txt", "TXT", Str;
    },
};

pub static PROTO_DNS: StructDef = StructDef {
    type_names: &["trace.ProtoDNS", "dns"],
    ns: "proto_dns",
    title: "DNS message",
    members: members! {
        "ID" => "id", "Transaction ID", UInt;
        "QR" => "qr", "Response", UInt;
        "opCode" => "op_code", "Opcode", Str;
        "AA" => "aa", "Authoritative", UInt;
        "TC" => "tc", "Truncated", UInt;
        "RD" => "rd", "Recursion desired", UInt;
        "RA" => "ra", "Recursion available", UInt;
        "Z" => "z", "Z", UInt;
        "responseCode" => "response_code", "Response code", Str;
        "QDCount" => "qd_count", "Questions", UInt;
        "ANCount" => "an_count", "Answer RRs", UInt;
        "NSCount" => "ns_count", "Authority RRs", UInt;
        "ARCount" => "ar_count", "Additional RRs", UInt;
        "questions" => "questions", "Questions", NestedArray(&DNS_QUESTION);
        "answers" => "answers", "Answers", NestedArray(&DNS_RR);
        "authorities" => "authorities", "Authorities", NestedArray(&DNS_RR);
        "additionals" => "additionals", "Additionals", NestedArray(&DNS_RR);
    },
};

pub static DNS_QUERY: StructDef = StructDef {
    type_names: &["[]trace.DnsQueryData", "trace.DnsQueryData", "dns_questions"],
    ns: "dns_query",
    title: "DNS query",
    members: members! {
        "query" => "query", "Query", Str;
        "query_type" => "query_type", "Type", Str;
        "query_class" => "query_class", "Class", Str;
    },
};

static DNS_ANSWER: StructDef = StructDef {
    type_names: &[],
    ns: "dns_answer",
    title: "DNS answer",
    members: members! {
        "answer_type" => "answer_type", "Type", Str;
        "ttl" => "ttl", "TTL", UInt;
        "answer" => "answer", "Answer", Str;
    },
};

pub static DNS_RESPONSE: StructDef = StructDef {
    type_names: &["[]trace.DnsResponseData", "trace.DnsResponseData", "dns_response", "dns_responses"],
    ns: "dns_response",
    title: "DNS response",
    members: members! {
        "query_data" => "query_data", "Query", Nested(&DNS_QUERY);
        "dns_answer" => "dns_answer", "Answers", NestedArray(&DNS_ANSWER);
    },
};

pub static PROTO_HTTP: StructDef = StructDef {
    type_names: &["trace.ProtoHTTP", "http"],
    ns: "proto_http",
    title: "HTTP message",
    members: members! {
        "direction" => "direction", "Direction", Str;
        "method" => "method", "Method", Str;
        "protocol" => "protocol", "Protocol", Str;
        "host" => "host", "Host", Str;
        "uri_path" => "uri_path", "URI path", Str;
        "status" => "status", "Status", Str;
        "status_code" => "status_code", "Status code", Int;
        "headers" => "headers", "Header", Headers;
        "content_length" => "content_length", "Content length", Int;
    },
};

pub static PROTO_HTTP_REQUEST: StructDef = StructDef {
    type_names: &["trace.ProtoHTTPRequest", "http_request"],
    ns: "proto_http_request",
    title: "HTTP request",
    members: members! {
        "method" => "method", "Method", Str;
        "protocol" => "protocol", "Protocol", Str;
        "host" => "host", "Host", Str;
        "uri_path" => "uri_path", "URI path", Str;
        "headers" => "headers", "Header", Headers;
        "content_length" => "content_length", "Content length", Int;
    },
};

pub static PROTO_HTTP_RESPONSE: StructDef = StructDef {
    type_names: &["trace.ProtoHTTPResponse", "http_response"],
    ns: "proto_http_response",
    title: "HTTP response",
    members: members! {
        "status" => "status", "Status", Str;
        "status_code" => "status_code", "Status code", Int;
        "protocol" => "protocol", "Protocol", Str;
        "headers" => "headers", "Header", Headers;
        "content_length" => "content_length", "Content length", Int;
    },
};

pub static HOOKED_SYMBOL: StructDef = StructDef {
    type_names: &[
        "map[string]trace.HookedSymbolData",
        "[]trace.HookedSymbolData",
        "trace.HookedSymbolData",
        "hooked_syscalls",
        "hooked_seq_ops",
    ],
    ns: "hooked_symbol",
    title: "Hooked symbol",
    members: members! {
        "SymbolName" => "symbol_name", "Symbol", Str;
        "ModuleOwner" => "module_owner", "Owner module", Str;
    },
};

pub static HIDDEN_MODULE: StructDef = StructDef {
    type_names: &["trace.HiddenKernelModule", "[]trace.HiddenKernelModule"],
    ns: "hidden_module",
    title: "Hidden kernel module",
    members: members! {
        "name" => "name", "Name", Str;
        "address" => "address", "Address", Str;
    },
};

pub static KERNEL_SYMBOL: StructDef = StructDef {
    type_names: &["[]helpers.KernelSymbol", "helpers.KernelSymbol"],
    ns: "kernel_symbol",
    title: "Kernel symbol",
    members: members! {
        "Name" => "name", "Name", Str;
        "Address" => "address", "Address", Hex;
        "Owner" => "owner", "Owner module", Str;
    },
};

/// Every struct whose members are registered as fields, nested ones included.
pub static STRUCTS: &[&StructDef] = &[
    &SOCKADDR,
    &CRED,
    &PKT_META,
    &PACKET_METADATA,
    &PROTO_IPV4,
    &PROTO_IPV6,
    &PROTO_TCP,
    &PROTO_UDP,
    &PROTO_ICMP,
    &PROTO_ICMPV6,
    &PROTO_DNS,
    &DNS_QUESTION,
    &DNS_RR,
    &DNS_SOA,
    &DNS_SRV,
    &DNS_MX,
    &DNS_OPT,
    &DNS_URI,
    &DNS_QUERY,
    &DNS_RESPONSE,
    &DNS_ANSWER,
    &PROTO_HTTP,
    &PROTO_HTTP_REQUEST,
    &PROTO_HTTP_RESPONSE,
    &HOOKED_SYMBOL,
    &HIDDEN_MODULE,
    &KERNEL_SYMBOL,
];

/// The struct a Tracee type string (or protobuf value kind) stands for.
pub fn by_type(type_name: &str) -> Option<&'static StructDef> {
    let t = type_name.trim();
    STRUCTS.iter().copied().find(|d| d.type_names.contains(&t))
}

impl StructDef {
    /// The member for a JSON key: exact match first, then ignoring case and underscores
    /// (protobuf JSON writes `cap_effective` where Tracee wrote `CapEffective`).
    pub fn member(&self, key: &str) -> Option<&'static MemberDef> {
        let members: &'static [MemberDef] = self.members;
        members.iter().find(|m| m.key == key).or_else(|| {
            let norm = normalize(key);
            members.iter().find(|m| normalize(m.key) == norm)
        })
    }
}

fn normalize(key: &str) -> String {
    key.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}
