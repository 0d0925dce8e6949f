//! The event as plugins receive it: one shape for every schema (enrichers-wasm/ABI.md).

use serde_json::{json, Value};
use trackershark_engine::{dissect, plugin_input::plugin_input, plugin_input::with_params};

fn input(line: &str) -> Value {
    let d = dissect(line.as_bytes());
    let text = plugin_input(&d, line.as_bytes()).expect("an event");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn sample_lines(name: &str) -> Vec<String> {
    let path = format!("{}/../tests/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn classic_event_with_context_and_structured_args() {
    let line = r#"{"timestamp":1720640789446248021,"processId":1,"threadId":1,"parentProcessId":0,"hostProcessId":14875,"hostThreadId":14875,"hostParentProcessId":14670,"userId":0,"processName":"coredns","executable":{"path":"/coredns"},"hostName":"coredns-864597b","containerId":"f70b","container":{"id":"f70b","name":"coredns","image":"registry.k8s.io/coredns:v1"},"kubernetes":{"podName":"coredns-1","podNamespace":"kube-system","podUID":"u-1"},"eventId":"735","eventName":"security_socket_connect","argsNum":3,"returnValue":0,"syscall":"connect","args":[{"name":"sockfd","type":"int","value":11},{"name":"type","type":"int","value":1},{"name":"remote_addr","type":"struct sockaddr*","value":{"sa_family":"AF_INET","sin_addr":"0.0.0.0","sin_port":"8080"}}]}"#;
    assert_eq!(
        input(line),
        json!({
            "eventName": "security_socket_connect", "eventId": 735, "timestamp": 1720640789446248021u64,
            "returnValue": 0, "syscall": "connect", "hostName": "coredns-864597b",
            "processName": "coredns", "processId": 1, "threadId": 1, "parentProcessId": 0,
            "hostProcessId": 14875, "hostThreadId": 14875, "hostParentProcessId": 14670, "userId": 0,
            "executable": "/coredns", "containerId": "f70b", "containerName": "coredns",
            "containerImage": "registry.k8s.io/coredns:v1", "podName": "coredns-1",
            "podNamespace": "kube-system", "podUID": "u-1",
            "args": {"sockfd": 11, "type": 1,
                     "remote_addr": {"sa_family": "AF_INET", "sin_addr": "0.0.0.0", "sin_port": "8080"}}
        })
    );
}

#[test]
fn every_schema_gives_the_same_names() {
    // v0.8 (flat), v0.13 (container{}), v0.18, v0.24 and protobuf JSON of sched_process_exec-like events
    for sample in ["v0.8.json", "v0.13.json", "v0.18.json", "v0.24.json", "protobuf.json", "exec.json"] {
        for line in sample_lines(sample) {
            let v = input(&line);
            assert!(v["eventName"].is_string(), "{sample}: {v}");
            assert!(v["timestamp"].is_u64(), "{sample}: {v}");
            assert!(v["processName"].is_string(), "{sample}: {v}");
            assert!(v["args"].is_object(), "{sample}: {v}");
        }
    }
    // protobuf value wrappers are gone: {"str": "..."} and {"value": ...} give plain values
    let v = input(&sample_lines("protobuf.json")[0]);
    assert_eq!(v["eventName"], "sched_process_exec");
    assert!(v["args"]["pathname"].is_string(), "{v}");
    assert!(v["args"]["argv"].is_array(), "{v}");
}

#[test]
fn signatures_carry_metadata_and_the_triggering_events_args() {
    for line in sample_lines("signature.json").iter().take(2) {
        let v = input(line);
        assert_eq!(v["eventName"], "fileless_execution");
        assert_eq!(
            v["signature"],
            json!({"id": "TRC-105", "name": "Fileless Execution", "severity": 3,
                   "description": "A fileless execution was detected. Executing a process from memory instead of from a file in the filesystem may indicate that an adversary is trying to avoid execution detection.",
                   "category": "defense-evasion", "technique": "Reflective Code Loading", "externalId": "T1620"})
        );
        assert_eq!(v["args"], json!({}), "the trigger's args are not the event's: {v}");
        assert_eq!(v["triggeredBy"]["eventName"], "sched_process_exec");
        assert_eq!(v["triggeredBy"]["args"]["pathname"], "memfd:payload");
        assert_eq!(v["triggeredBy"]["args"]["argv"], json!(["[kworker]"]));
    }
}

#[test]
fn findings_data_are_args_and_their_context_is_the_trigger() {
    let line = r#"{"Data":{"File descriptor":0,"IP address":"10.225.0.2","Port":"53"},"Context":{"timestamp":1648542392170684298,"processId":7,"processName":"sh","eventId":"736","eventName":"security_socket_connect","args":[{"name":"sockfd","type":"int","value":0}]},"SigMetadata":{"ID":"TRC-101","Name":"Process standard input/output over socket detected","Properties":{"Severity":3}}}"#;
    let v = input(line);
    assert_eq!(v["args"], json!({"File descriptor": 0, "IP address": "10.225.0.2", "Port": "53"}));
    assert_eq!(v["triggeredBy"], json!({"eventName": "security_socket_connect", "args": {"sockfd": 0}}));
    assert_eq!(v["signature"]["id"], "TRC-101");
    assert_eq!(v["processName"], "sh");
}

#[test]
fn lines_that_are_not_events_have_no_input_and_params_are_appended() {
    let d = dissect(b"not json");
    assert!(plugin_input(&d, b"not json").is_none());
    let text = with_params(r#"{"eventName":"x"}"#, r#"{"k":1}"#);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({"eventName": "x", "params": {"k": 1}}));
    assert_eq!(with_params("{}", "{}"), r#"{"params":{}}"#);
}

#[test]
fn every_corpus_event_gives_valid_json() {
    let dir = std::env::var("TRACKERSHARK_CORPUS")
        .unwrap_or_else(|_| format!("{}/../../shared/corpus", env!("CARGO_MANIFEST_DIR")));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {dir}: {e}")) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let d = dissect(line.as_bytes());
                if let Some(text) = plugin_input(&d, line.as_bytes()) {
                    let v: Value =
                        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()));
                    assert!(v["args"].is_object(), "{text}");
                    n += 1;
                }
            }
        }
    }
    assert!(n > 250, "only {n} events");
}

#[test]
fn numbers_json_libraries_refuse_are_given_as_text() {
    let line = r#"{"timestamp":1,"eventName":"x","args":[{"name":"huge","type":"u64","value":19e6103},{"name":"nested","type":"unknown","value":[1,2e999]},{"name":"fine","type":"int","value":-5}]}"#;
    let v = input(line);
    assert_eq!(v["args"], json!({"huge": "19e6103", "nested": "[1,2e999]", "fine": -5}));
}
