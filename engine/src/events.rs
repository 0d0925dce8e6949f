//! The event catalog: every Tracee event with its id and argument list, read from `data/events.tsv`.

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct KnownEvent {
    pub name: &'static str,
    pub id: Option<i64>,
    /// (argument name, Tracee type strings) in definition order; the types an argument had across
    /// Tracee versions, newest first, separated by `|`.
    pub args: Vec<(&'static str, &'static str)>,
}

pub fn known_events() -> &'static [KnownEvent] {
    static EVENTS: OnceLock<Vec<KnownEvent>> = OnceLock::new();
    EVENTS.get_or_init(|| parse(crate::fields::events_tsv()))
}

/// Looks an event up by name.
pub fn by_name(name: &str) -> Option<&'static KnownEvent> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    let index = INDEX.get_or_init(|| known_events().iter().enumerate().map(|(i, e)| (e.name, i)).collect());
    index.get(name).map(|&i| &known_events()[i])
}

fn parse(tsv: &'static str) -> Vec<KnownEvent> {
    let mut events: Vec<KnownEvent> = Vec::new();
    for line in tsv.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(name), Some(id), arg, ty) = (cols.next(), cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        if events.last().map(|e| e.name) != Some(name) {
            events.push(KnownEvent { name, id: id.parse().ok(), args: Vec::new() });
        }
        if let (Some(arg), Some(ty)) = (arg, ty) {
            if is_field_name(arg) {
                events.last_mut().expect("pushed above").args.push((arg, ty));
            }
        }
    }
    events
}

/// Argument names usable inside a field abbreviation.
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_syscalls_and_security_events() {
        let openat = by_name("openat").expect("openat");
        assert!(openat.args.iter().any(|(n, _)| *n == "pathname"));
        let exec = by_name("sched_process_exec").expect("sched_process_exec");
        assert!(exec.args.iter().any(|(n, _)| *n == "argv"));
        assert!(by_name("security_file_open").is_some());
        assert!(by_name("net_packet_dns").is_some());
        assert!(known_events().len() > 400, "{}", known_events().len());
    }
}
