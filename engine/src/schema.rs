//! Event schemas: Tracee `trace.Event` JSON (v0.8–v0.24 and the older Go-struct keys), the newer
//! protobuf-style JSON, and tracee-rules findings — all mapped onto one tree layout:
//!
//! ```text
//! Tracker Event (JSON)
//!   metadata (timestamp, id, name, policies, return value, syscall, …)
//!   Context   (host, process, Container{…}, Kubernetes{…})
//!   Args      (one item per argument)
//!   Triggered By (signatures: id, name, return value, Args)
//!   Metadata  (signatures: id, name, description, severity, MITRE, …)
//!   other keys, as written
//! ```

use compact_str::format_compact;

use crate::args::{render_arg, time_value, unwrap_wrapper, ArgInput};
use crate::fields::F;
use crate::json::{Json, Kind, Member, Span};
use crate::tree::{ArgValue, Text, Timestamp, Tree, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `trace.Event` JSON as written by `--output json` (Tracee v0.8 … v0.24).
    Classic,
    /// Protobuf-style JSON (`name`, `workload`, `data[]`, `threat`).
    Protobuf,
    /// A tracee-rules finding: `{"Data", "Context", "SigMetadata"}`.
    Finding,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Classic => "trace.Event JSON",
            Format::Protobuf => "protobuf JSON",
            Format::Finding => "tracee-rules finding",
        }
    }

    /// Which schema an object is, if it is a Tracker event at all.
    pub fn detect(obj: &Json) -> Option<Format> {
        let has = |k: &str| obj.get(k).is_some();
        if has("SigMetadata") && has("Context") {
            Some(Format::Finding)
        } else if has("eventName") || has("eventId") || has("eventID") {
            Some(Format::Classic)
        } else if has("name")
            && (has("workload") || has("data") || has("threat") || has("policies") || has("timestamp"))
        {
            Some(Format::Protobuf)
        } else {
            None
        }
    }
}

/// Whether a top-level key of an event (in any format) holds what its columns come from: its name,
/// arguments and what makes it a signature (see `Mapped`, and the native fields' sources), or
/// tells its format (`Format::detect`).
pub fn feeds_columns(key: &str) -> bool {
    matches!(
        key,
        // classic
        "eventName" | "eventId" | "eventID" | "args" | "metadata" | "detectedFrom"
        // protobuf (and what tells the format apart)
        | "name" | "data" | "threat" | "detected_from" | "triggered_by" | "workload" | "policies" | "timestamp"
        // tracee-rules findings
        | "SigMetadata" | "Context" | "Data"
    )
}

/// What the schema mapping found, besides the tree items.
#[derive(Default)]
pub struct Mapped {
    pub name: Text,
    pub timestamp: Option<Timestamp>,
    pub is_signature: bool,
    /// `name=value` of each argument, separated by `, `, for the Info column.
    pub arg_texts: String,
}

pub fn map_event(tree: &mut Tree, line: &str, obj: &Json, format: Format) -> Mapped {
    let mut m = Mapped::default();
    match format {
        Format::Classic => classic(tree, line, obj, &mut m, false),
        Format::Protobuf => protobuf(tree, line, obj, &mut m),
        Format::Finding => finding(tree, line, obj, &mut m),
    }
    m
}

/// The top-level keys of an event that the schemas read, in every format.
#[derive(Clone, Copy)]
enum Key {
    Timestamp,
    EventId,
    EventName,
    Metadata,
    Args,
    DetectedFrom,
    MatchedPolicies,
    MatchedScopes,
    ArgsNum,
    ReturnValue,
    Syscall,
    ProcessorId,
    HostName,
    ProcessName,
    Pid,
    Tid,
    Ppid,
    HostPid,
    HostTid,
    HostPpid,
    Uid,
    ThreadStartTime,
    MountNs,
    PidNs,
    CgroupId,
    ThreadEntityId,
    ProcessEntityId,
    ParentEntityId,
    Executable,
    ContextFlags,
    Container,
    ContainerId,
    ContainerName,
    ContainerImage,
    Kubernetes,
    PodName,
    PodNamespace,
    PodUid,
    PodSandbox,
    StackAddresses,
    // tracee-rules findings
    Context,
    SigMetadata,
    Data,
    // protobuf
    Id,
    Name,
    Version,
    Threat,
    ProtobufDetectedFrom,
    Policies,
    ProtobufReturnValue,
    Workload,
    ProtobufHostName,
    ProtobufData,
}

const KEY_COUNT: usize = Key::ProtobufData as usize + 1;
// `Keys::taken` has a bit per key
const _: () = assert!(KEY_COUNT <= 64);

impl Key {
    /// The key a member name is, in any of its spellings.
    fn of(name: &str) -> Option<Key> {
        Some(match name {
            "timestamp" => Key::Timestamp,
            "eventId" | "eventID" => Key::EventId,
            "eventName" => Key::EventName,
            "metadata" => Key::Metadata,
            "args" => Key::Args,
            "detectedFrom" => Key::DetectedFrom,
            "matchedPolicies" => Key::MatchedPolicies,
            "matchedScopes" => Key::MatchedScopes,
            "argsNum" => Key::ArgsNum,
            "returnValue" => Key::ReturnValue,
            "syscall" => Key::Syscall,
            "processorId" => Key::ProcessorId,
            "hostName" => Key::HostName,
            "processName" => Key::ProcessName,
            "processId" | "processID" => Key::Pid,
            "threadId" | "threadID" => Key::Tid,
            "parentProcessId" | "parentProcessID" => Key::Ppid,
            "hostProcessId" | "hostProcessID" => Key::HostPid,
            "hostThreadId" | "hostThreadID" => Key::HostTid,
            "hostParentProcessId" | "hostParentProcessID" => Key::HostPpid,
            "userId" | "userID" => Key::Uid,
            "threadStartTime" => Key::ThreadStartTime,
            "mountNamespace" | "mountNS" => Key::MountNs,
            "pidNamespace" | "PIDNS" => Key::PidNs,
            "cgroupId" => Key::CgroupId,
            "threadEntityId" => Key::ThreadEntityId,
            "processEntityId" => Key::ProcessEntityId,
            "parentEntityId" => Key::ParentEntityId,
            "executable" => Key::Executable,
            "contextFlags" => Key::ContextFlags,
            "container" => Key::Container,
            "containerId" => Key::ContainerId,
            "containerName" => Key::ContainerName,
            "containerImage" => Key::ContainerImage,
            "kubernetes" => Key::Kubernetes,
            "podName" => Key::PodName,
            "podNamespace" => Key::PodNamespace,
            "podUID" => Key::PodUid,
            "podSandbox" => Key::PodSandbox,
            "stackAddresses" => Key::StackAddresses,
            "Context" => Key::Context,
            "SigMetadata" => Key::SigMetadata,
            "Data" => Key::Data,
            "id" => Key::Id,
            "name" => Key::Name,
            "version" => Key::Version,
            "threat" => Key::Threat,
            "detected_from" | "triggered_by" => Key::ProtobufDetectedFrom,
            "policies" => Key::Policies,
            "return_value" => Key::ProtobufReturnValue,
            "workload" => Key::Workload,
            "hostname" | "host_name" => Key::ProtobufHostName,
            "data" => Key::ProtobufData,
            _ => return None,
        })
    }
}

/// Reads an event object's members by key, each found in one pass over the members; those never
/// taken are shown as they are (`show_the_rest`).
struct Keys<'j, 'a> {
    members: &'j [Member<'a>],
    /// Per key, the position of the first member with it (in any spelling).
    first: [Option<u32>; KEY_COUNT],
    /// Per member (of the first `KNOWN_AT`), its key, when it is spelled as the first member with that
    /// key is (a later member spelled otherwise is one of its own); `NO_KEY` otherwise.
    known_keys: [u8; KNOWN_AT],
    /// The keys taken, one bit each.
    taken: u64,
}

/// Members whose key `Keys` remembers; an event has some dozens.
const KNOWN_AT: usize = 64;
const NO_KEY: u8 = u8::MAX;

impl<'j, 'a> Keys<'j, 'a> {
    fn new(obj: &'j Json<'a>) -> Keys<'j, 'a> {
        let members = obj.members();
        let mut keys = Keys { members, first: [None; KEY_COUNT], known_keys: [NO_KEY; KNOWN_AT], taken: 0 };
        for (at, m) in members.iter().enumerate() {
            if let Some(key) = Key::of(m.key) {
                keys.first[key as usize].get_or_insert(at as u32);
                if at < KNOWN_AT && keys.spelled_as_first(key, at) {
                    keys.known_keys[at] = key as u8;
                }
            }
        }
        keys
    }

    /// The first member with `key`; it (and any later member written the same) counts as used.
    fn take(&mut self, key: Key) -> Option<&'j Json<'a>> {
        self.taken |= 1 << key as u32;
        self.first[key as usize].map(|at| &self.members[at as usize].value)
    }

    /// The key of the member at `at`, when it is spelled as the first member with that key is.
    fn key_at(&self, at: usize) -> Option<u8> {
        match self.known_keys.get(at) {
            Some(&key) => (key != NO_KEY).then_some(key),
            None => Key::of(self.members[at].key).filter(|key| self.spelled_as_first(*key, at)).map(|key| key as u8),
        }
    }

    /// Whether the member at `at`, which has `key`, is spelled as the first member with `key` is.
    fn spelled_as_first(&self, key: Key, at: usize) -> bool {
        let same = |first: u32| first as usize == at || self.members[first as usize].key == self.members[at].key;
        self.first[key as usize].is_some_and(same)
    }

    /// Shows the members no `take` used, as other members.
    fn show_the_rest(self, tree: &mut Tree, line: &str) {
        for (at, m) in self.members.iter().enumerate() {
            let used = self.key_at(at).is_some_and(|key| self.taken & (1 << key) != 0);
            if !used {
                other_item(tree, line, m.key, m.key_span.to(m.value.span), &m.value);
            }
        }
    }
}

fn int(v: &Json, line: &str) -> Value {
    v.as_i64()
        .map(Value::Int)
        .or_else(|| v.as_u64().map(Value::UInt))
        .unwrap_or_else(|| Value::Str(v.display(line).into()))
}

fn text(v: &Json, line: &str) -> Value {
    match &v.kind {
        Kind::Null => Value::Str(Text::default()),
        _ => Value::Str(v.display(line).into()),
    }
}

fn boolean(v: &Json, line: &str) -> Value {
    v.as_bool().map(Value::Bool).unwrap_or_else(|| Value::Str(v.display(line).into()))
}

fn time(v: &Json, line: &str) -> Value {
    time_value(v).map(Value::Time).unwrap_or_else(|| Value::Str(v.display(line).into()))
}

fn put(tree: &mut Tree, field: F, v: &Json, value: Value) -> usize {
    tree.push(field, v.span, value, None)
}

/// Container and pod fields: empty strings (host events) carry nothing and are left out, so
/// `tracker.container.id` is present exactly for container events.
fn put_nonempty(tree: &mut Tree, field: F, v: &Json, value: Value) {
    if !matches!(&value, Value::Str(s) if s.is_empty()) {
        put(tree, field, v, value);
    }
}

/// `is_finding`: the object is the context of a tracee-rules finding, so the line is a signature.
fn classic(tree: &mut Tree, line: &str, obj: &Json, m: &mut Mapped, is_finding: bool) {
    let mut k = Keys::new(obj);
    if let Some(v) = k.take(Key::Timestamp) {
        let value = time(v, line);
        if let Value::Time(t) = value {
            m.timestamp = Some(t);
        }
        put(tree, F::Timestamp, v, value);
    }
    let event_id = k.take(Key::EventId);
    if let Some(v) = event_id {
        put(tree, F::EventId, v, int(v, line));
    }
    let name = k.take(Key::EventName);
    if let Some(v) = name {
        m.name = v.display(line).into();
        put(tree, F::EventName, v, text(v, line));
    }
    let metadata = k.take(Key::Metadata).filter(|v| !v.is_null());
    let args = k.take(Key::Args);
    let detected_from = k.take(Key::DetectedFrom).filter(|v| !v.is_null());
    let triggered_by_arg = args.and_then(|a| a.items().iter().find(|arg| is_trigger_arg(arg_name(arg))));
    m.is_signature = is_finding
        || metadata.is_some()
        || detected_from.is_some()
        || triggered_by_arg.is_some()
        || event_id.and_then(|v| v.as_i64()).is_some_and(|id| (6000..7000).contains(&id));
    if let Some(sig_name) = metadata.and_then(|md| md.path(&["Properties", "signatureName"])).and_then(|v| v.as_str()) {
        m.name = sig_name.into();
    }
    mark_signature(tree, name.unwrap_or(obj), m.is_signature);
    if let Some(v) = k.take(Key::MatchedPolicies) {
        for p in v.items() {
            put(tree, F::MatchedPolicy, p, text(p, line));
        }
    }
    if let Some(v) = k.take(Key::MatchedScopes) {
        put(tree, F::MatchedScopes, v, int(v, line));
    }
    for (key, field) in [
        (Key::ArgsNum, F::ArgsNum),
        (Key::ReturnValue, F::ReturnValue),
        (Key::Syscall, F::Syscall),
        (Key::ProcessorId, F::ProcessorId),
    ] {
        if let Some(v) = k.take(key) {
            let value = if field == F::Syscall { text(v, line) } else { int(v, line) };
            put(tree, field, v, value);
        }
    }

    // Context
    let ctx = tree.open(F::Context, obj.span, Value::None, None);
    if let Some(v) = k.take(Key::HostName) {
        put(tree, F::HostName, v, text(v, line));
    }
    let process_fields = [
        (Key::ProcessName, F::ProcessName),
        (Key::Pid, F::Pid),
        (Key::Tid, F::Tid),
        (Key::Ppid, F::Ppid),
        (Key::HostPid, F::HostPid),
        (Key::HostTid, F::HostTid),
        (Key::HostPpid, F::HostPpid),
        (Key::Uid, F::Uid),
        (Key::ThreadStartTime, F::ThreadStartTime),
        (Key::MountNs, F::MountNs),
        (Key::PidNs, F::PidNs),
        (Key::CgroupId, F::CgroupId),
        (Key::ThreadEntityId, F::ThreadEntityId),
        (Key::ProcessEntityId, F::ProcessEntityId),
        (Key::ParentEntityId, F::ParentEntityId),
    ];
    for (key, field) in &process_fields {
        if let Some(v) = k.take(*key) {
            let value = if *field == F::ProcessName { text(v, line) } else { int(v, line) };
            if *field == F::ThreadStartTime {
                put_thread_start(tree, v, value);
            } else {
                put(tree, *field, v, value);
            }
        }
    }
    if let Some(v) = k.take(Key::Executable) {
        match v.get("path") {
            Some(p) => put(tree, F::Executable, p, text(p, line)),
            None => put(tree, F::Executable, v, text(v, line)),
        };
    }
    let flags = k.take(Key::ContextFlags);
    if let Some(c) = flags.and_then(|f| f.get("isCompat")) {
        put(tree, F::IsCompat, c, boolean(c, line));
    }

    // Container: the flat keys (v0.8–v0.12, and containerId again from v0.18) and the object (v0.13+).
    let container_obj = k.take(Key::Container);
    let flat_container = [
        (k.take(Key::ContainerId), F::ContainerId),
        (k.take(Key::ContainerName), F::ContainerName),
        (k.take(Key::ContainerImage), F::ContainerImage),
    ];
    let started = flags.and_then(|f| f.get("containerStarted"));
    let head = tree.open(F::Container, container_obj.map(|c| c.span).unwrap_or(obj.span), Value::None, None);
    let mut seen = Vec::new();
    if let Some(c) = container_obj {
        for (key, field) in [
            ("id", F::ContainerId),
            ("name", F::ContainerName),
            ("image", F::ContainerImage),
            ("imageDigest", F::ContainerImageDigest),
        ] {
            if let Some(v) = c.get(key) {
                put_nonempty(tree, field, v, text(v, line));
                seen.push(field);
            }
        }
        unknown_members(tree, line, c, &["id", "name", "image", "imageDigest"]);
    }
    for (v, field) in flat_container {
        if let Some(v) = v {
            // v0.18+ repeats the id at the top level; show it once unless it differs
            let dup = seen.contains(&field)
                && container_obj.and_then(|c| c.get("id")).map(|i| i.display(line)) == Some(v.display(line));
            if !dup {
                put_nonempty(tree, field, v, text(v, line));
            }
        }
    }
    if let Some(s) = started {
        put(tree, F::ContainerStarted, s, boolean(s, line));
    }
    tree.close_or_drop_empty(head);

    let k8s_obj = k.take(Key::Kubernetes);
    let flat_k8s = [
        (k.take(Key::PodName), F::PodName),
        (k.take(Key::PodNamespace), F::PodNamespace),
        (k.take(Key::PodUid), F::PodUid),
        (k.take(Key::PodSandbox), F::PodSandbox),
    ];
    let head = tree.open(F::Kubernetes, k8s_obj.map(|c| c.span).unwrap_or(obj.span), Value::None, None);
    if let Some(c) = k8s_obj {
        for (key, field) in [
            ("podName", F::PodName),
            ("podNamespace", F::PodNamespace),
            ("podUID", F::PodUid),
            ("podSandbox", F::PodSandbox),
        ] {
            if let Some(v) = c.get(key) {
                let value = if field == F::PodSandbox { boolean(v, line) } else { text(v, line) };
                put_nonempty(tree, field, v, value);
            }
        }
        unknown_members(tree, line, c, &["podName", "podNamespace", "podUID", "podSandbox"]);
    }
    for (v, field) in flat_k8s {
        if let Some(v) = v {
            let value = if field == F::PodSandbox { boolean(v, line) } else { text(v, line) };
            put_nonempty(tree, field, v, value);
        }
    }
    tree.close_or_drop_empty(head);
    if let Some(f) = flags {
        unknown_members(tree, line, f, &["isCompat", "containerStarted"]);
    }
    tree.close_or_drop_empty(ctx);

    if let Some(v) = k.take(Key::StackAddresses) {
        if !v.items().is_empty() {
            tree.open(F::StackAddresses, v.span, Value::None, Some(format!("Stack addresses ({})", v.items().len())));
            for a in v.items() {
                put(tree, F::StackAddress, a, int(a, line));
            }
            tree.close();
        }
    }

    if let Some(a) = args {
        m.arg_texts = classic_args(tree, line, a, true);
    }
    if let Some(t) = triggered_by_arg.and_then(|a| a.get("value")) {
        triggered_by(tree, line, t);
    }
    if let Some(t) = detected_from {
        triggered_by(tree, line, t);
    }
    if let Some(md) = metadata {
        signature_metadata(tree, line, md);
    }
    k.show_the_rest(tree, line);
}

/// `tracker.is_signature` is present on signatures only, so it works as a filter by itself.
fn mark_signature(tree: &mut Tree, at: &Json, is_signature: bool) {
    if is_signature {
        tree.push(F::IsSignature, at.span, Value::Bool(true), None);
    }
}

/// Before v0.18 the thread start time is boot-relative; from v0.18 it is epoch nanoseconds.
fn put_thread_start(tree: &mut Tree, v: &Json, value: Value) {
    let label = match value.as_i64() {
        Some(ns) if ns > 1_000_000_000_000_000_000 => {
            let mut label = String::with_capacity(80);
            label.push_str("Thread start time: ");
            label.push_str(itoa::Buffer::new().format(ns));
            label.push_str(" (");
            crate::write_time(&mut label, Timestamp::from_nanos(ns as i128));
            label.push(')');
            Some(label)
        }
        _ => None,
    };
    tree.push(F::ThreadStartTime, v.span, value, label);
}

/// The argument that carries a signature's triggering event: `triggeredBy` (≤ v0.23),
/// `detectedFrom` (v0.24).
fn is_trigger_arg(name: Option<&str>) -> bool {
    matches!(name, Some("triggeredBy" | "detectedFrom"))
}

fn arg_name<'j>(arg: &'j Json) -> Option<&'j str> {
    arg.get("name").or_else(|| arg.path(&["argMeta", "name"])).and_then(|n| n.as_str())
}

/// `args: [{name, type, value}]` (or `{argMeta:{name,type}, value}` before v0.7).
fn classic_args(tree: &mut Tree, line: &str, args: &Json, skip_trigger: bool) -> String {
    if args.items().is_empty() {
        return String::new();
    }
    let mut texts = String::with_capacity(256);
    let head = tree.open(F::Args, args.span, Value::None, None);
    for arg in args.items() {
        let Some(name) = arg_name(arg) else {
            tree.push(
                F::UncataloguedArg,
                arg.span,
                Value::Str(arg.raw(line).into()),
                Some(format!("Argument without a name: {}", arg.raw(line))),
            );
            continue;
        };
        if skip_trigger && is_trigger_arg(Some(name)) {
            continue;
        }
        let type_name = arg.get("type").or_else(|| arg.path(&["argMeta", "type"])).and_then(|t| t.as_str());
        let null = Json { span: arg.span, kind: Kind::Null };
        let value = arg.get("value").unwrap_or(&null);
        render_arg(tree, line, &ArgInput { name, type_name, value, span: arg.span }, &mut texts);
    }
    tree.close_or_drop_empty(head);
    texts
}

/// The event that triggered a signature: `triggeredBy` (≤ v0.23) or `detectedFrom` (v0.24).
fn triggered_by(tree: &mut Tree, line: &str, t: &Json) {
    let name = t.get("name").map(|n| n.display(line)).unwrap_or_default();
    tree.open(F::TriggeredBy, t.span, Value::None, Some(format!("Triggered By: {name}")));
    let mut known = vec!["id", "name", "returnValue", "args"];
    if let Some(v) = t.get("id") {
        put(tree, F::TriggerId, v, int(v, line));
    }
    if let Some(v) = t.get("name") {
        put(tree, F::TriggerName, v, text(v, line));
    }
    if let Some(v) = t.get("returnValue") {
        put(tree, F::TriggerReturnValue, v, int(v, line));
    }
    tree.in_trigger = true;
    if let Some(a) = t.get("args") {
        classic_args(tree, line, a, false);
    }
    if let Some(d) = t.get("data") {
        known.push("data");
        protobuf_data(tree, line, d);
    }
    tree.in_trigger = false;
    unknown_members(tree, line, t, &known);
    tree.close();
}

/// Signature metadata (`metadata` of an event, or `SigMetadata` of a finding).
fn signature_metadata(tree: &mut Tree, line: &str, md: &Json) {
    tree.open(F::Signature, md.span, Value::None, None);
    let mut known = vec!["Properties", "Tags"];
    for (key, field) in
        [("ID", F::SigId), ("Name", F::SigName), ("Version", F::SigVersion), ("Description", F::SigDescription)]
    {
        if let Some(v) = md.get(key) {
            put(tree, field, v, text(v, line));
            known.push(key);
        }
    }
    if let Some(tags) = md.get("Tags") {
        for t in tags.items() {
            put(tree, F::SigTag, t, text(t, line));
        }
    }
    if let Some(props) = md.get("Properties") {
        for p in props.members() {
            let span = p.key_span.to(p.value.span);
            let field = match p.key {
                "Severity" | "severity" => Some(F::SigSeverity),
                "Category" | "category" => Some(F::SigCategory),
                "Technique" | "technique" => Some(F::SigTechnique),
                "external_id" => Some(F::SigExternalId),
                "Kubernetes_Technique" => Some(F::SigKubernetesTechnique),
                "MITRE ATT&CK" => Some(F::SigMitre),
                "signatureID" => Some(F::SigId),
                "signatureName" => Some(F::SigName),
                _ => None,
            };
            match field {
                Some(F::SigSeverity) => {
                    let value = int(&p.value, line);
                    let label = value.as_i64().map(|s| format!("Severity: {} ({})", s, severity_name(s)));
                    tree.push(F::SigSeverity, span, value, label);
                }
                Some(f) => {
                    tree.push(f, span, text(&p.value, line), None);
                }
                None => {
                    let shown = format_compact!("{}: {}", p.key, p.value.display(line));
                    tree.push(F::SigProperty, span, Value::Str(shown), None);
                }
            }
        }
    }
    unknown_members(tree, line, md, &known);
    tree.close();
}

pub fn severity_name(s: i64) -> &'static str {
    match s {
        0 => "info",
        1 => "low",
        2 => "medium",
        3 => "high",
        4 => "critical",
        _ => "unknown",
    }
}

fn finding(tree: &mut Tree, line: &str, obj: &Json, m: &mut Mapped) {
    let mut k = Keys::new(obj);
    let context = k.take(Key::Context);
    let md = k.take(Key::SigMetadata);
    let data = k.take(Key::Data);
    let mut inner = Mapped::default();
    if let Some(c) = context.filter(|c| matches!(c.kind, Kind::Obj(_))) {
        // The context is the triggering event, with full process context.
        tree.in_trigger = true;
        classic(tree, line, c, &mut inner, true);
        tree.in_trigger = false;
        // classic() put the triggering event's name first; the signature is what this line is.
        m.timestamp = inner.timestamp;
    }
    m.is_signature = true;
    m.name = md.and_then(|d| d.get("Name")).map_or_else(|| inner.name.clone(), |n| n.display(line).into());
    if let Some(c) = context {
        tree.open(F::TriggeredBy, c.span, Value::None, Some(format!("Triggered By: {}", inner.name)));
        if let Some(v) = c.get("eventId") {
            put(tree, F::TriggerId, v, int(v, line));
        }
        if let Some(v) = c.get("eventName") {
            put(tree, F::TriggerName, v, text(v, line));
        }
        if let Some(v) = c.get("returnValue") {
            put(tree, F::TriggerReturnValue, v, int(v, line));
        }
        tree.close();
    }
    m.arg_texts = inner.arg_texts;
    if let Some(md) = md {
        signature_metadata(tree, line, md);
    }
    if let Some(d) = data.filter(|d| !d.is_null()) {
        for member in d.members() {
            // what a finding found: the arguments of the signature event Tracker itself would emit
            tree.arg_values.push(ArgValue {
                name: member.key.into(),
                value: unwrap_wrapper(&member.value).span,
                trigger: false,
            });
            let shown = format_compact!("{}: {}", member.key, member.value.display(line));
            tree.push(F::SigData, member.key_span.to(member.value.span), Value::Str(shown), None);
        }
    }
    k.show_the_rest(tree, line);
}

fn protobuf(tree: &mut Tree, line: &str, obj: &Json, m: &mut Mapped) {
    let mut k = Keys::new(obj);
    if let Some(v) = k.take(Key::Timestamp) {
        let value = time(v, line);
        if let Value::Time(t) = value {
            m.timestamp = Some(t);
        }
        put(tree, F::Timestamp, v, value);
    }
    if let Some(v) = k.take(Key::Id) {
        // `id` is a number, or in some builds the event name again
        match v.as_i64() {
            Some(id) => put(tree, F::EventId, v, Value::Int(id)),
            None => put(tree, F::Other, v, Value::Str(v.display(line).into())),
        };
    }
    let name = k.take(Key::Name);
    if let Some(v) = name {
        m.name = v.display(line).into();
        put(tree, F::EventName, v, text(v, line));
    }
    if let Some(v) = k.take(Key::Version) {
        put(tree, F::Version, v, text(v, line));
    }
    let threat = k.take(Key::Threat).filter(|t| !t.is_null());
    let detected_from = k.take(Key::ProtobufDetectedFrom).filter(|t| !t.is_null());
    m.is_signature = threat.is_some() || detected_from.is_some();
    if let Some(n) = threat.and_then(|t| t.get("name")).and_then(|n| n.as_str()) {
        m.name = n.into();
    }
    mark_signature(tree, name.unwrap_or(obj), m.is_signature);
    if let Some(v) = k.take(Key::Policies) {
        for p in v.get("matched").map(|m| m.items()).unwrap_or(&[]) {
            put(tree, F::MatchedPolicy, p, text(p, line));
        }
    }
    if let Some(v) = k.take(Key::ProtobufReturnValue) {
        put(tree, F::ReturnValue, v, int(v, line));
    }
    let workload = k.take(Key::Workload);
    let process = workload.and_then(|w| w.get("process"));
    let thread = process.and_then(|p| p.get("thread"));
    if let Some(v) = thread.and_then(|t| t.get("syscall")) {
        put(tree, F::Syscall, v, text(v, line));
    }

    let ctx = tree.open(F::Context, workload.map(|w| w.span).unwrap_or(obj.span), Value::None, None);
    if let Some(v) = k.take(Key::ProtobufHostName) {
        put(tree, F::HostName, v, text(v, line));
    }
    if let Some(t) = thread {
        if let Some(v) = t.get("name") {
            put(tree, F::ProcessName, v, text(v, line));
        }
    }
    if let Some(p) = process {
        let pid_fields: &[(&Json, &str, F)] = &[(p, "pid", F::Pid), (p, "host_pid", F::HostPid)];
        for (node, key, field) in pid_fields {
            if let Some(v) = node.get(key) {
                put(tree, *field, v, int(unwrap_wrapper(v), line));
            }
        }
    }
    if let Some(t) = thread {
        for (key, field) in [("tid", F::Tid), ("host_tid", F::HostTid)] {
            if let Some(v) = t.get(key) {
                put(tree, field, v, int(unwrap_wrapper(v), line));
            }
        }
    }
    if let Some(p) = process {
        if let Some(parent) = p.get("ancestors").and_then(|a| a.items().first()) {
            for (key, field) in [("pid", F::Ppid), ("host_pid", F::HostPpid)] {
                if let Some(v) = parent.get(key) {
                    put(tree, field, v, int(unwrap_wrapper(v), line));
                }
            }
        }
        if let Some(v) = p.path(&["real_user", "id"]) {
            put(tree, F::Uid, v, int(unwrap_wrapper(v), line));
        }
    }
    if let Some(v) = thread.and_then(|t| t.get("start_time")) {
        match time_value(unwrap_wrapper(v)) {
            Some(t) => tree.push(
                F::ThreadStartTime,
                v.span,
                Value::UInt(t.as_nanos().max(0) as u64),
                Some(format!("Thread start time: {}", crate::format_time(t))),
            ),
            None => put(tree, F::ThreadStartTime, v, text(v, line)),
        };
    }
    if let Some(p) = process {
        if let Some(v) = p.path(&["executable", "path"]) {
            put(tree, F::Executable, v, text(v, line));
        }
        for (key, field) in [("unique_id", F::ProcessEntityId), ("entity_id", F::ProcessEntityId)] {
            if let Some(v) = p.get(key) {
                put(tree, field, v, int(v, line));
            }
        }
    }
    if let Some(t) = thread {
        if let Some(v) = t.get("unique_id") {
            put(tree, F::ThreadEntityId, v, int(v, line));
        }
        if let Some(v) = t.get("compat") {
            put(tree, F::IsCompat, v, boolean(v, line));
        }
    }
    if let Some(p) = process {
        if let Some(ancestors) = p.get("ancestors") {
            for a in ancestors.items() {
                let pid = a.get("pid").map(|v| unwrap_wrapper(v).display(line)).unwrap_or_default();
                let exe = a
                    .path(&["executable", "path"])
                    .or_else(|| a.path(&["thread", "name"]))
                    .map(|v| v.display(line))
                    .unwrap_or_default();
                put(tree, F::Ancestor, a, Value::Str(format_compact!("{pid} {exe}").trim().into()));
            }
        }
    }
    if let Some(c) = workload.and_then(|w| w.get("container")) {
        let head = tree.open(F::Container, c.span, Value::None, None);
        for (path, field) in [
            (&["id"][..], F::ContainerId),
            (&["name"], F::ContainerName),
            (&["image", "name"], F::ContainerImage),
            (&["image", "digest"], F::ContainerImageDigest),
            (&["started"], F::ContainerStarted),
        ] {
            if let Some(v) = c.path(path) {
                let value = if field == F::ContainerStarted { boolean(v, line) } else { text(v, line) };
                put_nonempty(tree, field, v, value);
            }
        }
        tree.close_or_drop_empty(head);
    }
    if let Some(k8s) = workload.and_then(|w| w.get("k8s")) {
        let head = tree.open(F::Kubernetes, k8s.span, Value::None, None);
        for (path, field) in [
            (&["pod", "name"][..], F::PodName),
            (&["namespace", "name"], F::PodNamespace),
            (&["pod", "uid"], F::PodUid),
        ] {
            if let Some(v) = k8s.path(path) {
                put_nonempty(tree, field, v, text(v, line));
            }
        }
        if let Some(labels) = k8s.path(&["pod", "labels"]) {
            for l in labels.members() {
                let shown = format_compact!("{}={}", l.key, l.value.display(line));
                tree.push(F::PodLabel, l.key_span.to(l.value.span), Value::Str(shown), None);
            }
        }
        tree.close_or_drop_empty(head);
    }
    tree.close_or_drop_empty(ctx);

    if let Some(d) = k.take(Key::ProtobufData) {
        m.arg_texts = protobuf_data(tree, line, d);
    }
    if let Some(t) = detected_from {
        protobuf_detected_from(tree, line, t);
    }
    if let Some(t) = threat {
        protobuf_threat(tree, line, t);
    }
    k.show_the_rest(tree, line);
}

/// `data: [{name, <kind>: value}]`, or an object `{name: value}` in some builds.
fn protobuf_data(tree: &mut Tree, line: &str, d: &Json) -> String {
    let mut texts = String::with_capacity(256);
    match &d.kind {
        Kind::Arr(items) if !items.is_empty() => {
            tree.open(F::Args, d.span, Value::None, None);
            for item in *items {
                let name = item.get("name").and_then(|n| n.as_str());
                let typed = item.members().iter().find(|m| m.key != "name");
                match (name, typed) {
                    (Some(name), Some(kv)) => {
                        let arg = ArgInput { name, type_name: Some(kv.key), value: &kv.value, span: item.span };
                        render_arg(tree, line, &arg, &mut texts);
                    }
                    _ => {
                        tree.push(
                            F::UncataloguedArg,
                            item.span,
                            Value::Str(item.raw(line).into()),
                            Some(format!("Argument: {}", item.raw(line))),
                        );
                    }
                }
            }
            tree.close();
        }
        Kind::Obj(members) if !members.is_empty() => {
            tree.open(F::Args, d.span, Value::None, None);
            for kv in *members {
                let span = kv.key_span.to(kv.value.span);
                render_arg(tree, line, &ArgInput { name: kv.key, type_name: None, value: &kv.value, span }, &mut texts);
            }
            tree.close();
        }
        _ => {}
    }
    texts
}

fn protobuf_detected_from(tree: &mut Tree, line: &str, t: &Json) {
    let name = t.get("name").or_else(|| t.get("event_name")).map(|n| n.display(line)).unwrap_or_default();
    tree.open(F::TriggeredBy, t.span, Value::None, Some(format!("Triggered By: {name}")));
    for (keys, field) in [
        (&["id", "event_id"][..], F::TriggerId),
        (&["name", "event_name"], F::TriggerName),
        (&["return_value"], F::TriggerReturnValue),
    ] {
        if let Some(v) = keys.iter().find_map(|key| t.get(key)) {
            let value = if field == F::TriggerName { text(v, line) } else { int(v, line) };
            put(tree, field, v, value);
        }
    }
    if let Some(d) = t.get("data") {
        let was = std::mem::replace(&mut tree.in_trigger, true);
        protobuf_data(tree, line, d);
        tree.in_trigger = was;
    }
    // a detection may itself come from a detection
    if let Some(parent) = t.get("parent").filter(|p| !p.is_null()) {
        protobuf_detected_from(tree, line, parent);
    }
    unknown_members(tree, line, t, &["id", "event_id", "name", "event_name", "return_value", "data", "parent"]);
    tree.close();
}

fn protobuf_threat(tree: &mut Tree, line: &str, t: &Json) {
    tree.open(F::Signature, t.span, Value::None, None);
    for (path, field) in [
        (&["name"][..], F::SigName),
        (&["description"], F::SigDescription),
        (&["mitre", "technique", "name"], F::SigTechnique),
        (&["mitre", "technique", "id"], F::SigExternalId),
        (&["mitre", "tactic", "name"], F::SigTactic),
    ] {
        if let Some(v) = t.path(path) {
            put(tree, field, v, text(v, line));
        }
    }
    if let Some(v) = t.get("severity") {
        let level = match v.as_str().map(|s| s.to_ascii_uppercase()) {
            Some(s) => ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"].iter().position(|n| s == *n).map(|i| i as i64),
            None => v.as_i64(),
        };
        match level {
            Some(l) => tree.push(
                F::SigSeverity,
                v.span,
                Value::Int(l),
                Some(format!("Severity: {} ({})", l, severity_name(l))),
            ),
            None => put(tree, F::SigSeverity, v, text(v, line)),
        };
    }
    if let Some(props) = t.get("properties") {
        for p in props.members() {
            let field = match p.key {
                "signatureID" | "id" => F::SigId,
                "Category" | "category" => F::SigCategory,
                _ => F::SigProperty,
            };
            let value = if field == F::SigProperty {
                Value::Str(format_compact!("{}: {}", p.key, p.value.display(line)))
            } else {
                text(&p.value, line)
            };
            tree.push(field, p.key_span.to(p.value.span), value, None);
        }
    }
    unknown_members(tree, line, t, &["name", "description", "mitre", "severity", "properties"]);
    tree.close();
}

/// Members of an object that no mapping consumed (top-level keys included), shown as written.
fn unknown_members(tree: &mut Tree, line: &str, obj: &Json, known: &[&str]) {
    for m in obj.members() {
        if !known.contains(&m.key) {
            other_item(tree, line, m.key, m.key_span.to(m.value.span), &m.value);
        }
    }
}

fn other_item(tree: &mut Tree, line: &str, key: &str, span: Span, value: &Json) {
    let shown = value.display(line);
    tree.push(F::Other, span, Value::Str(format_compact!("{key}: {shown}")), None);
}
