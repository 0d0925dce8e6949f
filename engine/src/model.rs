//! The typed event model, read back from the dissection items (one mapping per schema lives in
//! `schema`; this only collects what it produced). Later features — statistics, the process tree —
//! work on this.

use crate::fields::{Catalog, FieldId, F};
use crate::schema::Format;
use crate::tree::{Item, Timestamp, Value};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Process {
    pub name: Option<String>,
    pub pid: Option<i64>,
    pub tid: Option<i64>,
    pub ppid: Option<i64>,
    pub host_pid: Option<i64>,
    pub host_tid: Option<i64>,
    pub host_ppid: Option<i64>,
    pub uid: Option<i64>,
    pub executable: Option<String>,
    pub entity_id: Option<i64>,
    pub parent_entity_id: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub id: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    pub pod_name: Option<String>,
    pub pod_namespace: Option<String>,
    pub pod_uid: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: String,
    pub value: Value,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signature {
    pub id: Option<String>,
    pub name: Option<String>,
    pub severity: Option<i64>,
    pub description: Option<String>,
    pub technique: Option<String>,
    pub external_id: Option<String>,
    pub category: Option<String>,
    pub triggered_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub format: Format,
    pub name: Option<String>,
    pub id: Option<i64>,
    pub timestamp: Option<Timestamp>,
    pub return_value: Option<i64>,
    pub syscall: Option<String>,
    pub host_name: Option<String>,
    pub process: Process,
    pub container: Container,
    /// The event's own arguments (not those of a triggering event).
    pub args: Vec<Arg>,
    pub signature: Option<Signature>,
}

impl Event {
    pub fn is_signature(&self) -> bool {
        self.signature.is_some()
    }

    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|a| a.name == name).map(|a| &a.value)
    }

    pub(crate) fn from_items(items: &[Item], format: Format) -> Event {
        let mut e = Event {
            format,
            name: None,
            id: None,
            timestamp: None,
            return_value: None,
            syscall: None,
            host_name: None,
            process: Process::default(),
            container: Container::default(),
            args: Vec::new(),
            signature: None,
        };
        let mut sig = Signature::default();
        let mut is_sig = false;
        // Args and fields inside "Triggered By" belong to the trigger, not to this event.
        let mut inside: Option<(FieldId, u8)> = None;
        for item in items {
            if let Some((head, depth)) = inside {
                if item.depth > depth {
                    if head == F::Args as FieldId && item.depth == depth + 1 {
                        if let Some(arg) = own_arg(item) {
                            e.args.push(arg);
                        }
                    } else if head == F::TriggeredBy as FieldId && item.field == F::TriggerName as FieldId {
                        sig.triggered_by = item.value.as_str().map(str::to_string);
                    }
                    continue;
                }
                inside = None;
            }
            let s = || item.value.as_str().map(str::to_string);
            let i = || item.value.as_i64();
            match item.field {
                f if f == F::Args as FieldId && item.depth == 1 => inside = Some((f, item.depth)),
                f if f == F::TriggeredBy as FieldId => inside = Some((f, item.depth)),
                f if f == F::Timestamp as FieldId => {
                    if let Value::Time(t) = item.value {
                        e.timestamp = Some(t)
                    }
                }
                f if f == F::EventName as FieldId => e.name = s(),
                f if f == F::EventId as FieldId => e.id = i(),
                f if f == F::IsSignature as FieldId => is_sig = item.value == Value::Bool(true),
                f if f == F::ReturnValue as FieldId => e.return_value = i(),
                f if f == F::Syscall as FieldId => e.syscall = s(),
                f if f == F::HostName as FieldId => e.host_name = s(),
                f if f == F::ProcessName as FieldId => e.process.name = s(),
                f if f == F::Pid as FieldId => e.process.pid = i(),
                f if f == F::Tid as FieldId => e.process.tid = i(),
                f if f == F::Ppid as FieldId => e.process.ppid = i(),
                f if f == F::HostPid as FieldId => e.process.host_pid = i(),
                f if f == F::HostTid as FieldId => e.process.host_tid = i(),
                f if f == F::HostPpid as FieldId => e.process.host_ppid = i(),
                f if f == F::Uid as FieldId => e.process.uid = i(),
                f if f == F::Executable as FieldId => e.process.executable = s(),
                f if f == F::ProcessEntityId as FieldId => e.process.entity_id = i(),
                f if f == F::ParentEntityId as FieldId => e.process.parent_entity_id = i(),
                f if f == F::ContainerId as FieldId => e.container.id = s(),
                f if f == F::ContainerName as FieldId => e.container.name = s(),
                f if f == F::ContainerImage as FieldId => e.container.image = s(),
                f if f == F::PodName as FieldId => e.container.pod_name = s(),
                f if f == F::PodNamespace as FieldId => e.container.pod_namespace = s(),
                f if f == F::PodUid as FieldId => e.container.pod_uid = s(),
                f if f == F::SigId as FieldId => sig.id = s(),
                f if f == F::SigName as FieldId => sig.name = s(),
                f if f == F::SigSeverity as FieldId => sig.severity = i(),
                f if f == F::SigDescription as FieldId => sig.description = s(),
                f if f == F::SigTechnique as FieldId => sig.technique = s(),
                f if f == F::SigExternalId as FieldId => sig.external_id = s(),
                f if f == F::SigCategory as FieldId => sig.category = s(),
                _ => {}
            }
        }
        if is_sig {
            e.signature = Some(sig);
        }
        e
    }
}

/// An argument item of the Args subtree (not the generated `[Command Line]` or a type note).
/// Catalogued arguments are named by their field; others carry their name in the label.
fn own_arg(item: &Item) -> Option<Arg> {
    if item.field == F::CommandLine as FieldId || item.field == F::ArgType as FieldId {
        return None;
    }
    let def = Catalog::get().def(item.field);
    let name = match def.abbrev.strip_prefix("tracker.args.") {
        Some(n) => n.to_string(),
        None => item.label.as_deref().and_then(|l| l.split_once(':')).map(|(n, _)| n.to_string())?,
    };
    Some(Arg { name, value: item.value.clone() })
}
