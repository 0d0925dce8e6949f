//! The field catalog: every field a front end may show or filter on, registered up front.
//!
//! Naming scheme (documented in README "Field names"):
//! - `tracker.<name>` event metadata, `tracker.process.*`, `tracker.container.*`, `tracker.kubernetes.*`
//!   context, `tracker.sig.*` signature metadata, `tracker.triggered_by.*` the triggering event;
//! - `tracker.args.<arg name>` one field per argument name known to the arg catalog (all Tracee
//!   events), whatever event it appears in;
//! - `tracker.<struct>.<member>` members of structured argument types (e.g. `tracker.sockaddr.sin_port`,
//!   `tracker.proto_http_request.method`);
//! - generic fallbacks (`tracker.arg`, `tracker.member`, `tracker.other`) for anything not catalogued,
//!   so nothing is ever dropped.

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

use crate::args::ArgKind;
use crate::structs::STRUCTS;

/// Index of a field in the catalog.
pub type FieldId = u32;

/// The value types a field can have; front ends map these onto their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// The protocol item itself (the top of an event's tree).
    Protocol,
    /// A label or subtree head with no value.
    None,
    Str,
    Bool,
    /// Signed integer, shown in decimal.
    Int,
    /// Unsigned integer, shown in decimal.
    UInt,
    /// Unsigned integer shown in hex (pointers, addresses).
    Hex,
    /// Unsigned integer shown in octal (file modes).
    Oct,
    /// Absolute time, nanosecond precision.
    Time,
    Bytes,
    /// Wireshark's own types, for fields that mirror a native one (`ip.src`, `tcp.port`, …).
    Ipv4,
    Ipv6,
    U16,
}

impl FieldType {
    pub const ALL: [FieldType; 13] = [
        FieldType::Protocol,
        FieldType::None,
        FieldType::Str,
        FieldType::Bool,
        FieldType::Int,
        FieldType::UInt,
        FieldType::Hex,
        FieldType::Oct,
        FieldType::Time,
        FieldType::Bytes,
        FieldType::Ipv4,
        FieldType::Ipv6,
        FieldType::U16,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Protocol => "protocol",
            FieldType::None => "none",
            FieldType::Str => "string",
            FieldType::Bool => "bool",
            FieldType::Int => "int64",
            FieldType::UInt => "uint64",
            FieldType::Hex => "hex64",
            FieldType::Oct => "oct32",
            FieldType::Time => "time",
            FieldType::Bytes => "bytes",
            FieldType::Ipv4 => "ipv4",
            FieldType::Ipv6 => "ipv6",
            FieldType::U16 => "uint16",
        }
    }
}

/// Wireshark's own fields that network events fill too, so `ip.addr == …` or `dns.qry.name == …`
/// select events as well as packets. Each type is the native field's own (Wireshark refuses another).
pub const NATIVE_FIELDS: &[(&str, &str, FieldType)] = &[
    ("ip.src", "Source Address", FieldType::Ipv4),
    ("ip.dst", "Destination Address", FieldType::Ipv4),
    ("ip.addr", "Source or Destination Address", FieldType::Ipv4),
    ("ipv6.src", "Source Address", FieldType::Ipv6),
    ("ipv6.dst", "Destination Address", FieldType::Ipv6),
    ("ipv6.addr", "Source or Destination Address", FieldType::Ipv6),
    ("tcp.srcport", "Source Port", FieldType::U16),
    ("tcp.dstport", "Destination Port", FieldType::U16),
    ("tcp.port", "Source or Destination Port", FieldType::U16),
    ("udp.srcport", "Source Port", FieldType::U16),
    ("udp.dstport", "Destination Port", FieldType::U16),
    ("udp.port", "Source or Destination Port", FieldType::U16),
    ("dns.qry.name", "Name", FieldType::Str),
    ("dns.a", "Address", FieldType::Ipv4),
    ("dns.aaaa", "AAAA Address", FieldType::Ipv6),
    ("dns.cname", "CNAME", FieldType::Str),
    ("http.request.method", "Request Method", FieldType::Str),
    ("http.request.uri", "Request URI", FieldType::Str),
    ("http.host", "Host", FieldType::Str),
    ("http.user_agent", "User-Agent", FieldType::Str),
    ("http.response.code", "Status Code", FieldType::U16),
];
const NATIVE_DESCRIPTION: &str = "Wireshark's own field, filled from a Tracker event";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDef {
    pub abbrev: String,
    pub name: String,
    pub ftype: FieldType,
    pub description: String,
}

macro_rules! static_fields {
    ($($id:ident: $abbrev:literal, $name:literal, $ftype:ident;)*) => {
        /// Fields with a fixed place in every tree. `F::X as FieldId` is the catalog index.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum F { $($id,)* }
        const STATIC_FIELDS: &[(&str, &str, FieldType)] = &[$(($abbrev, $name, FieldType::$ftype),)*];
    };
}

static_fields! {
    Event: "tracker", "Tracker Event (JSON)", Protocol;
    LogSource: "tracker.log_source", "Log source", Str;
    Timestamp: "tracker.timestamp", "Timestamp", Time;
    EventId: "tracker.event_id", "Event ID", Int;
    EventName: "tracker.event_name", "Event name", Str;
    IsSignature: "tracker.is_signature", "Signature", Bool;
    Format: "tracker.format", "Format", Str;
    Version: "tracker.version", "Event version", Str;
    MatchedPolicy: "tracker.matched_policies", "Matched policy", Str;
    MatchedScopes: "tracker.matched_scopes", "Matched scopes", Hex;
    ArgsNum: "tracker.args_num", "Argument count", UInt;
    ReturnValue: "tracker.return_value", "Return value", Int;
    Syscall: "tracker.syscall", "Syscall", Str;
    ProcessorId: "tracker.processor_id", "Processor ID", UInt;
    StackAddresses: "tracker.stack", "Stack addresses", None;
    StackAddress: "tracker.stack.address", "Stack address", Hex;
    Context: "tracker.context", "Context", None;
    HostName: "tracker.hostname", "Hostname", Str;
    Process: "tracker.process", "Process", None;
    ProcessName: "tracker.process.name", "Process name", Str;
    Pid: "tracker.process.pid", "PID", Int;
    Tid: "tracker.process.tid", "TID", Int;
    Ppid: "tracker.process.ppid", "PPID", Int;
    HostPid: "tracker.process.host_pid", "Host PID", Int;
    HostTid: "tracker.process.host_tid", "Host TID", Int;
    HostPpid: "tracker.process.host_ppid", "Host PPID", Int;
    Uid: "tracker.process.uid", "UID", Int;
    ThreadStartTime: "tracker.process.thread_start_time", "Thread start time (ns)", UInt;
    Executable: "tracker.process.executable", "Executable", Str;
    MountNs: "tracker.process.mount_ns", "Mount namespace", UInt;
    PidNs: "tracker.process.pid_ns", "PID namespace", UInt;
    CgroupId: "tracker.process.cgroup_id", "Cgroup ID", UInt;
    ThreadEntityId: "tracker.process.thread_entity_id", "Thread entity ID", UInt;
    ProcessEntityId: "tracker.process.entity_id", "Process entity ID", UInt;
    ParentEntityId: "tracker.process.parent_entity_id", "Parent entity ID", UInt;
    IsCompat: "tracker.process.is_compat", "Compat (32-bit) task", Bool;
    Ancestor: "tracker.process.ancestor", "Ancestor", Str;
    Container: "tracker.container", "Container", None;
    ContainerId: "tracker.container.id", "Container ID", Str;
    ContainerName: "tracker.container.name", "Container name", Str;
    ContainerImage: "tracker.container.image", "Container image", Str;
    ContainerImageDigest: "tracker.container.image_digest", "Container image digest", Str;
    ContainerStarted: "tracker.container.started", "Container started", Bool;
    Kubernetes: "tracker.kubernetes", "Kubernetes", None;
    PodName: "tracker.kubernetes.pod_name", "Pod name", Str;
    PodNamespace: "tracker.kubernetes.pod_namespace", "Pod namespace", Str;
    PodUid: "tracker.kubernetes.pod_uid", "Pod UID", Str;
    PodSandbox: "tracker.kubernetes.pod_sandbox", "Pod sandbox", Bool;
    PodLabel: "tracker.kubernetes.pod_label", "Pod label", Str;
    Args: "tracker.args", "Args", None;
    CommandLine: "tracker.args.command_line", "[Command Line]", Str;
    UncataloguedArg: "tracker.arg", "Argument", Str;
    ArgType: "tracker.arg.type", "Argument type", Str;
    Member: "tracker.member", "Member", Str;
    Signature: "tracker.sig", "Metadata", None;
    SigId: "tracker.sig.id", "Signature ID", Str;
    SigName: "tracker.sig.name", "Signature name", Str;
    SigVersion: "tracker.sig.version", "Signature version", Str;
    SigDescription: "tracker.sig.description", "Description", Str;
    SigSeverity: "tracker.sig.severity", "Severity", UInt;
    SigCategory: "tracker.sig.category", "Category", Str;
    SigTechnique: "tracker.sig.technique", "MITRE technique", Str;
    SigExternalId: "tracker.sig.external_id", "MITRE technique ID", Str;
    SigKubernetesTechnique: "tracker.sig.kubernetes_technique", "Kubernetes technique", Str;
    SigMitre: "tracker.sig.mitre", "MITRE ATT&CK", Str;
    SigTactic: "tracker.sig.tactic", "MITRE tactic", Str;
    SigTag: "tracker.sig.tag", "Tag", Str;
    SigProperty: "tracker.sig.property", "Property", Str;
    SigData: "tracker.sig.data", "Finding data", Str;
    TriggeredBy: "tracker.triggered_by", "Triggered By", None;
    TriggerId: "tracker.triggered_by.id", "Event ID", Int;
    TriggerName: "tracker.triggered_by.name", "Event name", Str;
    TriggerReturnValue: "tracker.triggered_by.return_value", "Return value", Int;
    Other: "tracker.other", "Other field", Str;
}

/// One place for all fields: the static ones above, one per catalogued argument name, and one per
/// member of every structured argument type.
pub struct Catalog {
    defs: Vec<FieldDef>,
    /// Each field's type, by id: what every tree item is checked against, in a table that stays in
    /// the cache.
    ftypes: Vec<FieldType>,
    by_abbrev: HashMap<String, FieldId>,
    arg_kinds: HashMap<String, ArgKind>,
    /// argument name → its `tracker.args.<name>` field (looked up for every argument dissected)
    arg_fields: HashMap<String, FieldId>,
    /// (struct namespace, member) → its `tracker.<ns>.<member>` field (looked up for every member)
    member_fields: HashMap<(&'static str, &'static str), FieldId>,
    /// The first of the `NATIVE_FIELDS`, which come last.
    native_start: FieldId,
}

/// The arg catalog: `event<TAB>id<TAB>arg<TAB>type` lines gathered from Tracee's event definitions.
const EVENTS_TSV: &str = include_str!("../data/events.tsv");

impl Catalog {
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(Catalog::build)
    }

    fn build() -> Catalog {
        let mut cat = Catalog {
            defs: Vec::new(),
            ftypes: Vec::new(),
            by_abbrev: HashMap::default(),
            arg_kinds: HashMap::default(),
            arg_fields: HashMap::default(),
            member_fields: HashMap::default(),
            native_start: 0,
        };
        for (abbrev, name, ftype) in STATIC_FIELDS {
            cat.add(abbrev, name, *ftype, "");
        }
        // One field per argument name. Its type must hold the argument's values in every event and
        // every Tracee version: the catalog lists each argument's types, newest first.
        let mut merged: Vec<(&str, FieldType)> = Vec::new();
        for event in crate::events::known_events() {
            for (arg, types) in &event.args {
                for t in types.split('|') {
                    let kind = ArgKind::from_type(t);
                    match merged.iter_mut().find(|(n, _)| n == arg) {
                        Some((_, ft)) => *ft = merge_types(*ft, kind.field_type()),
                        None => {
                            merged.push((arg, kind.field_type()));
                            cat.arg_kinds.insert(arg.to_string(), kind);
                        }
                    }
                }
            }
        }
        merged.sort_by(|a, b| a.0.cmp(b.0));
        for (arg, ftype) in merged {
            let abbrev = format!("tracker.args.{arg}");
            if cat.by_abbrev.contains_key(&abbrev) {
                cat.arg_kinds.remove(arg); // a static field (command_line) owns this name
                continue;
            }
            let id = cat.add(&abbrev, arg, ftype, "Event argument");
            cat.arg_fields.insert(arg.to_string(), id);
        }
        for def in STRUCTS {
            for member in def.members {
                let abbrev = format!("tracker.{}.{}", def.ns, member.field);
                let id = match cat.id(&abbrev) {
                    Some(id) => id,
                    None => cat.add(&abbrev, member.label, member.kind.field_type(), def.title),
                };
                cat.member_fields.insert((def.ns, member.field), id);
            }
        }
        cat.native_start = cat.defs.len() as FieldId;
        for (abbrev, name, ftype) in NATIVE_FIELDS {
            cat.add(abbrev, name, *ftype, NATIVE_DESCRIPTION);
        }
        cat
    }

    /// Whether a field mirrors one of Wireshark's own (shown hidden, there for filters).
    /// (Ids past the catalog — an enricher's fields — are not.)
    pub fn is_native(&self, id: FieldId) -> bool {
        (self.native_start..self.defs.len() as FieldId).contains(&id)
    }

    fn add(&mut self, abbrev: &str, name: &str, ftype: FieldType, description: &str) -> FieldId {
        let id = self.defs.len() as FieldId;
        self.defs.push(FieldDef {
            abbrev: abbrev.to_string(),
            name: name.to_string(),
            ftype,
            description: description.to_string(),
        });
        self.ftypes.push(ftype);
        self.by_abbrev.insert(abbrev.to_string(), id);
        id
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.defs
    }

    pub fn def(&self, id: FieldId) -> &FieldDef {
        &self.defs[id as usize]
    }

    /// `def(id).ftype`.
    #[inline]
    pub fn ftype(&self, id: FieldId) -> FieldType {
        self.ftypes[id as usize]
    }

    pub fn id(&self, abbrev: &str) -> Option<FieldId> {
        self.by_abbrev.get(abbrev).copied()
    }

    /// The `tracker.<ns>.<member>` field of a struct's member.
    pub fn member_field(&self, ns: &'static str, member: &'static str) -> Option<FieldId> {
        self.member_fields.get(&(ns, member)).copied()
    }

    /// The field registered for an argument name, if the arg catalog knows it.
    pub fn arg_field(&self, arg: &str) -> Option<FieldId> {
        self.arg_fields.get(arg).copied()
    }

    /// The kind registered for an argument name (used when an event gives no type).
    pub fn arg_kind(&self, arg: &str) -> Option<&ArgKind> {
        self.arg_kinds.get(arg)
    }

    pub fn arg_count(&self) -> usize {
        self.arg_fields.len()
    }
}

/// The field type that holds the values of both: integers widen to signed or to the display base
/// that says more (hex for pointers, octal for modes), times become nanoseconds, anything else text
/// (an argument that is a pointer in one event and a number in another stays a signed number).
fn merge_types(a: FieldType, b: FieldType) -> FieldType {
    use FieldType::*;
    match (a, b) {
        _ if a == b => a,
        (Oct, UInt) | (UInt, Oct) => Oct,
        (Hex, UInt) | (UInt, Hex) => Hex,
        (Int, UInt | Hex | Oct) | (UInt | Hex | Oct, Int) => Int,
        (Time, Int | UInt) | (Int | UInt, Time) => {
            if a == Time {
                b
            } else {
                a
            }
        }
        _ => Str,
    }
}

pub(crate) fn events_tsv() -> &'static str {
    EVENTS_TSV
}

impl From<F> for FieldId {
    fn from(f: F) -> FieldId {
        f as FieldId
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbrevs_are_unique_and_well_formed() {
        let cat = Catalog::get();
        let mut seen = std::collections::HashSet::new();
        for (id, def) in cat.fields().iter().enumerate() {
            assert!(seen.insert(def.abbrev.clone()), "duplicate {}", def.abbrev);
            let ours = def.abbrev == "tracker" || def.abbrev.starts_with("tracker.");
            // Wireshark's own fields, mirrored, are the only others
            assert_eq!(ours, !cat.is_native(id as FieldId), "{}", def.abbrev);
            assert!(def.abbrev.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'), "{}", def.abbrev);
            assert!(!def.name.is_empty());
        }
        assert_eq!(cat.def(F::EventName.into()).abbrev, "tracker.event_name");
    }

    #[test]
    fn catalog_covers_common_tracee_args() {
        let cat = Catalog::get();
        assert!(cat.arg_count() > 300, "only {} args", cat.arg_count());
        for name in ["pathname", "argv", "dirfd", "flags", "fd", "addr", "request", "pid", "http_request"] {
            assert!(cat.arg_field(name).is_some(), "{name} missing");
        }
        let pathname = cat.arg_field("pathname").unwrap();
        assert_eq!(cat.def(pathname).ftype, FieldType::Str);
        assert_eq!(cat.def(cat.arg_field("dirfd").unwrap()).ftype, FieldType::Int);
        assert!(cat.id("tracker.proto_http_request.method").is_some());
        assert!(cat.id("tracker.sockaddr.sin_port").is_some());
    }
}
