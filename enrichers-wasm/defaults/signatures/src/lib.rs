//! `signatures`: the default signature renderer. For every event that carries a `signature` object
//! (a finding) it sets the Info text and shows the signature's metadata as fields; other events are
//! left alone.
//!
//! Info, with rule parameter `style = "full"` (the default):
//! `TRC-105 Fileless Execution [high] — T1620 Reflective Code Loading: memfd:payload`;
//! with `style = "short"`: `TRC-105 Fileless Execution`. Parts whose metadata is missing are left
//! out. The formats are listed in `defaults/README.md` (section `signatures`).
//!
//! A small renderer on purpose: copy it to start your own.

use trackershark_plugin::{as_i64, clip, export_plugin, show_info, text, Event, Field, Plugin, Value};

/// Longest value of one argument inside the Info detail, in bytes.
pub const DETAIL_VALUE_MAX: usize = 128;

/// Arguments that make a useful short detail, looked up in the finding's own arguments, then in those
/// of the event that triggered it: (argument name, text put before its value).
const DETAIL_ARGS: &[(&str, &str)] =
    &[("pathname", ""), ("File descriptor", "fd "), ("IP address", ""), ("Port", "port "), ("address", "")];
/// At most this many of them are shown.
const DETAIL_PARTS: usize = 3;

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

pub struct Signatures {
    signature: Field,
    severity: Field,
    mitre: Field,
    description: Field,
}

impl Plugin for Signatures {
    fn describe() -> Self {
        Signatures {
            signature: Field::declare("sig_signature", "Signature"),
            severity: Field::declare("sig_severity", "Severity"),
            mitre: Field::declare("sig_mitre", "MITRE ATT&CK"),
            description: Field::declare("sig_description", "Description"),
        }
    }

    fn enrich(&mut self, event: &Event) -> Result<(), String> {
        if !event.get("signature").is_some_and(Value::is_object) {
            return Ok(());
        }
        let meta = |key: &str| event.signature(key).and_then(text).filter(|s| !s.trim().is_empty());

        let title = join(&[meta("id"), meta("name")]);
        let severity = event.signature("severity").and_then(severity);
        let technique = join(&[meta("externalId"), meta("technique")]);
        let tactic = meta("tactic").or_else(|| meta("category"));

        if let Some(title) = &title {
            self.signature.put(title);
        }
        if let Some((level, name)) = &severity {
            self.severity.put(&format!("{level} ({name})"));
        }
        let mitre = match (&technique, &tactic) {
            (Some(t), Some(tactic)) => Some(format!("{t} (tactic: {tactic})")),
            (Some(t), None) => Some(t.clone()),
            (None, Some(tactic)) => Some(format!("tactic: {tactic}")),
            (None, None) => None,
        };
        if let Some(m) = mitre {
            self.mitre.put(&m);
        }
        if let Some(d) = meta("description") {
            self.description.put(&d);
        }

        let title = title.unwrap_or_else(|| event.name().to_string());
        if title.is_empty() {
            return Ok(());
        }
        let mut info = title;
        if event.param("style").and_then(Value::as_str) != Some("short") {
            if let Some((_, name)) = &severity {
                info.push_str(&format!(" [{name}]"));
            }
            if let Some(t) = &technique {
                info.push_str(&format!(" — {t}"));
            }
            if let Some(d) = detail(event) {
                info.push_str(&format!(": {d}"));
            }
        }
        show_info(&info);
        Ok(())
    }
}

export_plugin!(Signatures);

/// The severity level and its name, from a number (0–4, others named `unknown`) or a name.
pub fn severity(v: &Value) -> Option<(i64, &'static str)> {
    if let Some(n) = as_i64(v) {
        let name = usize::try_from(n).ok().and_then(|i| SEVERITIES.get(i)).copied().unwrap_or("unknown");
        return Some((n, name));
    }
    let s = v.as_str()?.trim();
    SEVERITIES.iter().position(|n| n.eq_ignore_ascii_case(s)).map(|i| (i as i64, SEVERITIES[i]))
}

/// Up to [`DETAIL_PARTS`] of the [`DETAIL_ARGS`] present, joined by `, `.
pub fn detail(event: &Event) -> Option<String> {
    let parts: Vec<String> = DETAIL_ARGS
        .iter()
        .filter_map(|(name, label)| {
            let value = event.arg_or_trigger(name).and_then(text).filter(|v| !v.trim().is_empty())?;
            Some(format!("{label}{}", clip(&value, DETAIL_VALUE_MAX)))
        })
        .take(DETAIL_PARTS)
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The present texts joined by a space.
fn join(parts: &[Option<String>]) -> Option<String> {
    let present: Vec<&str> = parts.iter().flatten().map(|s| s.trim()).collect();
    (!present.is_empty()).then(|| present.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_plugin::serde_json::json;
    use trackershark_plugin::test_host::{run, Record};
    use trackershark_plugin::{FIELD_MAX, INFO_MAX};

    fn go(event: Value) -> Record {
        run::<Signatures>(&event.to_string()).unwrap()
    }

    fn fileless() -> Value {
        json!({
            "eventName": "fileless_execution", "processName": "3",
            "signature": {"id": "TRC-105", "name": "Fileless Execution", "severity": 3,
                          "description": "Fileless execution was detected.", "category": "defense-evasion",
                          "technique": "Reflective Code Loading", "externalId": "T1620"},
            "triggeredBy": {"eventName": "sched_process_exec",
                            "args": {"cmdpath": "/dev/fd/3", "pathname": "memfd:payload", "argv": ["[kworker]"]}}
        })
    }

    #[test]
    fn declares_four_fields() {
        let r = go(json!({"eventName": "open"}));
        assert_eq!(
            r.declared,
            vec![
                ("sig_signature".into(), "Signature".into()),
                ("sig_severity".into(), "Severity".into()),
                ("sig_mitre".into(), "MITRE ATT&CK".into()),
                ("sig_description".into(), "Description".into()),
            ]
        );
    }

    #[test]
    fn full_finding() {
        let r = go(fileless());
        assert_eq!(
            r.info.as_deref(),
            Some("TRC-105 Fileless Execution [high] — T1620 Reflective Code Loading: memfd:payload")
        );
        assert_eq!(
            r.fields,
            vec![
                ("sig_signature".into(), "TRC-105 Fileless Execution".into()),
                ("sig_severity".into(), "3 (high)".into()),
                ("sig_mitre".into(), "T1620 Reflective Code Loading (tactic: defense-evasion)".into()),
                ("sig_description".into(), "Fileless execution was detected.".into()),
            ]
        );
    }

    #[test]
    fn styles() {
        let mut e = fileless();
        e["params"] = json!({"style": "short"});
        let r = go(e.clone());
        assert_eq!(r.info.as_deref(), Some("TRC-105 Fileless Execution"));
        assert_eq!(r.fields.len(), 4, "fields do not depend on the style");
        for style in [json!("full"), json!("other"), json!(3)] {
            e["params"] = json!({"style": style});
            let r = go(e.clone());
            assert!(r.info.unwrap().starts_with("TRC-105 Fileless Execution [high] — T1620"));
        }
    }

    #[test]
    fn not_a_signature_does_nothing() {
        for e in [
            json!({"eventName": "sched_process_exec", "args": {"pathname": "/bin/ls"}}),
            json!({"eventName": "x", "signature": null}),
            json!({"eventName": "x", "signature": "TRC-1"}),
            json!({"eventName": "x", "signature": [1, 2]}),
        ] {
            let r = go(e.clone());
            assert!(r.info.is_none() && r.fields.is_empty(), "{e}");
        }
    }

    #[test]
    fn detail_from_own_args() {
        let r = go(json!({"eventName": "stdio_over_socket",
            "signature": {"id": "TRC-1", "name": "Standard Input/Output Over Socket", "severity": 3,
                          "technique": "Unix Shell", "externalId": "T1059.004"},
            "args": {"File descriptor": 0, "IP address": "10.0.0.5", "Port": "4444", "pathname": ""}}));
        assert_eq!(
            r.info.as_deref(),
            Some("TRC-1 Standard Input/Output Over Socket [high] — T1059.004 Unix Shell: fd 0, 10.0.0.5, port 4444")
        );
        // own args win over the trigger's; at most three parts
        let r = go(json!({"eventName": "e", "signature": {"id": "X-1"},
            "args": {"pathname": "/own", "address": "0xffff"},
            "triggeredBy": {"args": {"pathname": "/trigger", "Port": 1, "IP address": "::1"}}}));
        assert_eq!(r.info.as_deref(), Some("X-1: /own, ::1, port 1"));
        // objects and arrays are no detail
        let r = go(json!({"eventName": "e", "signature": {"id": "X-1"}, "args": {"pathname": {"a": 1}, "Port": [1]}}));
        assert_eq!(r.info.as_deref(), Some("X-1"));
    }

    #[test]
    fn severities() {
        let cases = [
            (json!(0), Some((0, "info"))),
            (json!(1), Some((1, "low"))),
            (json!(2), Some((2, "medium"))),
            (json!("3"), Some((3, "high"))),
            (json!(4), Some((4, "critical"))),
            (json!(9), Some((9, "unknown"))),
            (json!(-1), Some((-1, "unknown"))),
            (json!("HIGH"), Some((3, "high"))),
            (json!("Critical"), Some((4, "critical"))),
            (json!("bad"), None),
            (json!(null), None),
        ];
        for (v, want) in cases {
            assert_eq!(severity(&v), want, "{v}");
        }
        let r = go(json!({"eventName": "e", "signature": {"name": "N", "severity": "MEDIUM"}}));
        assert_eq!(r.info.as_deref(), Some("N [medium]"));
        assert_eq!(r.first("sig_severity"), Some("2 (medium)"));
        let r = go(json!({"eventName": "e", "signature": {"name": "N", "severity": 7}}));
        assert_eq!(r.info.as_deref(), Some("N [unknown]"));
        assert_eq!(r.first("sig_severity"), Some("7 (unknown)"));
    }

    #[test]
    fn partial_metadata() {
        // no id/name: the event name titles the Info text
        let r = go(
            json!({"eventName": "dynamic_code_loading", "signature": {"severity": 2, "technique": "Software Packing"}}),
        );
        assert_eq!(r.info.as_deref(), Some("dynamic_code_loading [medium] — Software Packing"));
        assert_eq!(r.first("sig_signature"), None);
        assert_eq!(r.first("sig_mitre"), Some("Software Packing"));
        // tactic is preferred to category
        let r = go(json!({"eventName": "e", "signature": {"id": "A", "externalId": "T1", "tactic": "Defense Evasion",
                                                          "category": "defense-evasion"}}));
        assert_eq!(r.first("sig_mitre"), Some("T1 (tactic: Defense Evasion)"));
        let r = go(json!({"eventName": "e", "signature": {"id": "A", "category": "privilege-escalation"}}));
        assert_eq!(r.first("sig_mitre"), Some("tactic: privilege-escalation"));
        assert_eq!(r.info.as_deref(), Some("A"));
        // blank values count as missing
        let r = go(
            json!({"eventName": "e", "signature": {"id": " ", "name": "Name", "externalId": "", "description": ""}}),
        );
        assert_eq!(r.info.as_deref(), Some("Name"));
        assert_eq!(r.fields, vec![("sig_signature".into(), "Name".into())]);
        // nothing to title it with
        let r = go(json!({"signature": {}}));
        assert!(r.info.is_none() && r.fields.is_empty());
        // numbers are text too
        let r = go(json!({"signature": {"id": 42, "name": true}}));
        assert_eq!(r.info.as_deref(), Some("42 true"));
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "d".repeat(10_000);
        let r = go(json!({"eventName": "e", "signature": {"id": long.clone(), "description": long.clone()},
                          "args": {"pathname": long}}));
        assert!(r.info.as_ref().unwrap().len() <= INFO_MAX);
        assert!(r.fields.iter().all(|(_, v)| v.len() <= FIELD_MAX));
        let r = go(json!({"eventName": "e", "signature": {"id": "A"}, "args": {"pathname": "é".repeat(100)}}));
        let info = r.info.unwrap();
        assert!(info.ends_with('…') && info.len() <= "A: ".len() + DETAIL_VALUE_MAX);
    }
}
