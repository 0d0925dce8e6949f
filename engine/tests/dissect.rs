//! Engine tests: every argument type, every schema, and Tracee's real output.

use std::path::PathBuf;

use trackershark_engine::{
    dissect, Catalog, Dissection, ExpertKind, FieldId, Format, Value, PROTO_EVENT, PROTO_SIGNATURE,
};

fn field(abbrev: &str) -> FieldId {
    Catalog::get().id(abbrev).unwrap_or_else(|| panic!("no field {abbrev}"))
}

/// Values of a field, in tree order.
fn values(d: &Dissection, abbrev: &str) -> Vec<Value> {
    let id = field(abbrev);
    d.items.iter().filter(|i| i.field == id).map(|i| i.value.clone()).collect()
}

fn one(d: &Dissection, abbrev: &str) -> Value {
    let v = values(d, abbrev);
    assert_eq!(v.len(), 1, "{abbrev}: {v:?}");
    v.into_iter().next().unwrap()
}

fn label(d: &Dissection, abbrev: &str) -> String {
    let id = field(abbrev);
    d.items.iter().find(|i| i.field == id).and_then(|i| i.label.clone()).unwrap_or_default()
}

fn event_with_args(args: &str) -> Dissection {
    let line = format!(r#"{{"timestamp":1,"eventId":"1","eventName":"test_event","returnValue":0,"args":[{args}]}}"#);
    dissect(line.as_bytes())
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn no_errors(d: &Dissection) {
    let bad: Vec<_> = d.experts.iter().filter(|e| e.kind != ExpertKind::UnsupportedType).collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn integer_types_of_every_width_and_era() {
    let d = event_with_args(
        r#"{"name":"dirfd","type":"int","value":-100},{"name":"fd","type":"int32","value":7},
           {"name":"count","type":"size_t","value":18446744073709551615},{"name":"pid","type":"pid_t","value":42},
           {"name":"offset","type":"off_t","value":-1},{"name":"ino","type":"unsigned long","value":1746},
           {"name":"sport","type":"u16","value":443},{"name":"len","type":"uint64","value":"9007199254740993"}"#,
    );
    no_errors(&d);
    assert_eq!(one(&d, "tracker.args.dirfd"), Value::Int(-100));
    assert_eq!(one(&d, "tracker.args.fd"), Value::Int(7));
    assert_eq!(one(&d, "tracker.args.count"), Value::UInt(u64::MAX));
    assert_eq!(one(&d, "tracker.args.pid"), Value::Int(42));
    // `len` is signed in some events: its field is, so every value fits
    assert_eq!(one(&d, "tracker.args.len"), Value::Int(9_007_199_254_740_993));
    assert!(d.info.starts_with("test_event: dirfd=-100, fd=7, count=18446744073709551615"), "{}", d.info);
}

#[test]
fn pointers_are_hex_whether_numbers_or_strings() {
    let d = event_with_args(
        r#"{"name":"uaddr","type":"void*","value":"0x7ffd1234"},{"name":"arg","type":"trace.Pointer","value":18446744071562067968}"#,
    );
    no_errors(&d);
    assert_eq!(one(&d, "tracker.args.uaddr"), Value::UInt(0x7ffd1234));
    assert_eq!(one(&d, "tracker.args.arg"), Value::UInt(0xffff_ffff_8000_0000));
    assert!(d.info.contains("uaddr=0x7ffd1234, arg=0xffffffff80000000"), "{}", d.info);
    // `addr` is a pointer in some events and a socket address in others: its field is text
    let d = event_with_args(r#"{"name":"addr","type":"void*","value":"0x10"}"#);
    no_errors(&d);
    assert_eq!(one(&d, "tracker.args.addr"), s("0x10"));
}

#[test]
fn strings_arrays_bools_bytes_modes_devs_and_times() {
    let d = event_with_args(
        r#"{"name":"pathname","type":"const char *","value":"/etc/passwd"},
           {"name":"argv","type":"const char*const*","value":["sh","-c","echo hi"]},
           {"name":"envp","type":"[]string","value":null},
           {"name":"load","type":"bool","value":true},
           {"name":"bytes","type":"bytes","value":"f0VMRgIB"},
           {"name":"inode_mode","type":"umode_t","value":16877},
           {"name":"dev","type":"dev_t","value":271581185},
           {"name":"time","type":"time.Time","value":"2024-01-01T00:00:00.5Z"},
           {"name":"helpers","type":"unsigned long[]","value":[1,2,3]}"#,
    );
    no_errors(&d);
    assert_eq!(one(&d, "tracker.args.pathname"), s("/etc/passwd"));
    assert_eq!(one(&d, "tracker.args.argv"), s(r#"["sh", "-c", "echo hi"]"#));
    assert_eq!(one(&d, "tracker.args.command_line"), s("sh -c 'echo hi'"));
    assert_eq!(one(&d, "tracker.args.envp"), s("[]"));
    assert_eq!(one(&d, "tracker.args.load"), Value::Bool(true));
    assert_eq!(one(&d, "tracker.args.bytes"), Value::Bytes(vec![0x7f, b'E', b'L', b'F', 2, 1]));
    assert_eq!(one(&d, "tracker.args.inode_mode"), Value::UInt(0o40755));
    assert_eq!(label(&d, "tracker.args.inode_mode"), "inode_mode: 040755 (directory, rwxr-xr-x)");
    assert_eq!(label(&d, "tracker.args.dev"), "dev: 271581185 (259:1)");
    assert_eq!(label(&d, "tracker.args.bytes"), "bytes: 6 bytes: 7f454c460201");
    assert_eq!(
        d.info,
        concat!(
            r#"test_event: pathname="/etc/passwd", argv=["sh", "-c", "echo hi"], envp=[], load=true, "#,
            "bytes=6 bytes: 7f454c460201, inode_mode=040755 (directory, rwxr-xr-x), dev=271581185 (259:1), ",
            "time=1704067200.500000000, helpers=[1, 2, 3]"
        )
    );
    // `time` is a number in other events: its field holds nanoseconds since the epoch
    assert_eq!(one(&d, "tracker.args.time"), Value::UInt(1_704_067_200_500_000_000));
    assert_eq!(one(&d, "tracker.args.helpers"), s("[1, 2, 3]"));
}

#[test]
fn structured_types_fill_their_own_fields() {
    let d = event_with_args(
        r#"{"name":"remote_addr","type":"struct sockaddr*","value":{"sa_family":"AF_INET6","sin6_port":"53","sin6_addr":"::1","sin6_flowinfo":"0","sin6_scopeid":"0"}},
           {"name":"cred","type":"slim_cred_t","value":{"Uid":0,"Gid":0,"Suid":0,"Sgid":0,"Euid":0,"Egid":0,"Fsuid":0,"Fsgid":0,"UserNamespace":4026531837,"SecureBits":0,"CapInheritable":0,"CapPermitted":549755813887,"CapEffective":549755813887,"CapBounding":549755813887,"CapAmbient":0}},
           {"name":"metadata","type":"trace.PktMeta","value":{"src_ip":"10.0.0.5","dst_ip":"10.0.0.1","src_port":51000,"dst_port":53,"protocol":17,"packet_len":72,"iface":"any"}},
           {"name":"proto_dns","type":"trace.ProtoDNS","value":{"ID":7,"QR":1,"opCode":"query","AA":0,"TC":0,"RD":1,"RA":1,"Z":0,"responseCode":"no error","QDCount":1,"ANCount":1,"NSCount":0,"ARCount":0,"questions":[{"name":"example.com","type":"A","class":"IN"}],"answers":[{"name":"example.com","type":"A","class":"IN","TTL":300,"IP":"93.184.216.34","NS":"","CNAME":"","PTR":"","TXTs":null,"SOA":{"MName":"","RName":"","serial":0,"refresh":0,"retry":0,"expire":0,"minimum":0},"SRV":{"priority":0,"weight":0,"port":0,"name":""},"MX":{"preference":0,"name":""},"OPT":null,"URI":{"priority":0,"weight":0,"target":""},"TXT":""}],"authorities":null,"additionals":null}},
           {"name":"dns_response","type":"[]trace.DnsResponseData","value":[{"query_data":{"query":"example.com","query_type":"A","query_class":"IN"},"dns_answer":[{"answer_type":"A","ttl":300,"answer":"93.184.216.34"}]}]},
           {"name":"http_request","type":"trace.ProtoHTTPRequest","value":{"method":"GET","protocol":"HTTP/1.1","host":"example.com","uri_path":"/x","headers":{"Accept":["*/*"],"User-Agent":["curl/8.0"]},"content_length":0}},
           {"name":"http_response","type":"trace.ProtoHTTPResponse","value":{"status":"200 OK","status_code":200,"protocol":"HTTP/1.1","headers":{},"content_length":-1}},
           {"name":"hooked","type":"map[string]trace.HookedSymbolData","value":{"kill":{"SymbolName":"kill","ModuleOwner":"diamorphine"}}},
           {"name":"tcp","type":"trace.ProtoTCP","value":{"srcPort":1,"dstPort":2,"seq":3,"ack":4,"dataOffset":5,"FIN":0,"SYN":1,"RST":0,"PSH":0,"ACK":1,"URG":0,"ECE":0,"CWR":0,"NS":0,"window":6,"checksum":7,"urgent":0}}"#,
    );
    no_errors(&d);
    assert_eq!(one(&d, "tracker.sockaddr.sa_family"), s("AF_INET6"));
    assert_eq!(one(&d, "tracker.sockaddr.sin6_port"), Value::UInt(53));
    assert_eq!(one(&d, "tracker.cred.cap_effective"), Value::UInt(549_755_813_887));
    assert_eq!(one(&d, "tracker.cred.user_namespace"), Value::UInt(4_026_531_837));
    assert_eq!(one(&d, "tracker.pkt_meta.dst_port"), Value::UInt(53));
    assert_eq!(one(&d, "tracker.dns_question.name"), s("example.com"));
    assert_eq!(one(&d, "tracker.dns_rr.ip"), s("93.184.216.34"));
    assert_eq!(one(&d, "tracker.proto_dns.response_code"), s("no error"));
    assert_eq!(one(&d, "tracker.dns_query.query"), s("example.com"));
    assert_eq!(one(&d, "tracker.dns_answer.answer"), s("93.184.216.34"));
    assert_eq!(one(&d, "tracker.proto_http_request.method"), s("GET"));
    assert_eq!(values(&d, "tracker.proto_http_request.headers"), vec![s("Accept: */*"), s("User-Agent: curl/8.0")]);
    assert_eq!(one(&d, "tracker.proto_http_response.status_code"), Value::Int(200));
    assert_eq!(one(&d, "tracker.proto_http_response.content_length"), Value::Int(-1));
    assert_eq!(one(&d, "tracker.hooked_symbol.module_owner"), s("diamorphine"));
    assert_eq!(one(&d, "tracker.proto_tcp.ack"), Value::UInt(4));
    assert_eq!(one(&d, "tracker.proto_tcp.flag_ack"), Value::UInt(1));
}

#[test]
fn parsed_argument_names_go_to_the_generic_field_without_a_fault() {
    // with --output option:parse-arguments Tracee writes names where the type says int
    let d = event_with_args(
        r#"{"name":"fd","type":"int","value":"3=/etc/locale.alias"},{"name":"dirfd","type":"string","value":"AT_FDCWD"}"#,
    );
    no_errors(&d);
    assert!(d.experts.is_empty());
    assert_eq!(values(&d, "tracker.arg"), vec![s("3=/etc/locale.alias"), s("AT_FDCWD")]);
    assert_eq!(label(&d, "tracker.arg"), "fd: 3=/etc/locale.alias");
}

#[test]
fn unknown_types_keep_the_raw_json_and_say_so() {
    let d = event_with_args(
        r#"{"name":"pathname","type":"const char*","value":"/x"},{"name":"blob","type":"weird_t","value":{"a":[1,2]}}"#,
    );
    assert_eq!(one(&d, "tracker.arg"), s(r#"{"a":[1,2]}"#));
    assert_eq!(label(&d, "tracker.arg"), r#"blob: unsupported type weird_t: {"a":[1,2]}"#);
    assert_eq!(one(&d, "tracker.arg.type"), s("weird_t"));
    assert!(d.experts.iter().any(|e| e.kind == ExpertKind::UnsupportedType && e.text.contains("weird_t")));
    assert_eq!(one(&d, "tracker.args.pathname"), s("/x"));
}

#[test]
fn uncatalogued_arguments_and_keys_are_kept() {
    let line = r#"{"eventName":"x","eventId":"1","brandNewKey":{"a":1},"args":[{"name":"not_in_any_catalog_xyz","type":"int","value":5}]}"#;
    let d = dissect(line.as_bytes());
    no_errors(&d);
    assert_eq!(one(&d, "tracker.arg"), s("5"));
    assert_eq!(label(&d, "tracker.arg"), "not_in_any_catalog_xyz: 5");
    assert_eq!(one(&d, "tracker.other"), s(r#"brandNewKey: {"a":1}"#));
}

#[test]
fn return_values_keep_64_bits() {
    let d = dissect(br#"{"eventName":"mmap","eventId":"9","returnValue":140395297729336}"#);
    assert_eq!(one(&d, "tracker.return_value"), Value::Int(140_395_297_729_336));
    let d = dissect(br#"{"eventName":"x","eventId":"9","returnValue":-9223372036854775808}"#);
    assert_eq!(one(&d, "tracker.return_value"), Value::Int(i64::MIN));
}

#[test]
fn classic_signature_model() {
    let line = std::fs::read_to_string(samples().join("signature.json")).unwrap();
    for l in line.lines() {
        let d = dissect(l.as_bytes());
        no_errors(&d);
        assert_eq!(d.protocol, PROTO_SIGNATURE);
        assert_eq!(d.format(), Some(Format::Classic));
        let e = d.event().cloned().unwrap();
        let sig = e.signature.expect("signature");
        assert_eq!(sig.id.as_deref(), Some("TRC-105"));
        assert_eq!(sig.severity, Some(3));
        assert_eq!(sig.external_id.as_deref(), Some("T1620"));
        assert_eq!(sig.triggered_by.as_deref(), Some("sched_process_exec"));
        // the trigger's args are not the signature's own
        assert!(e.args.is_empty(), "{:?}", e.args);
    }
}

#[test]
fn protobuf_schema_maps_onto_the_same_model() {
    let text = std::fs::read_to_string(samples().join("protobuf.json")).unwrap();
    let mut lines = text.lines();
    let d = dissect(lines.next().unwrap().as_bytes());
    no_errors(&d);
    assert_eq!(d.format(), Some(Format::Protobuf));
    assert_eq!(d.protocol, PROTO_EVENT);
    let e = d.event().cloned().unwrap();
    assert_eq!(e.name.as_deref(), Some("sched_process_exec"));
    assert_eq!(e.process.pid, Some(37));
    assert_eq!(e.process.host_pid, Some(191_684));
    assert_eq!(e.process.ppid, Some(1));
    assert_eq!(e.process.name.as_deref(), Some("ls"));
    assert_eq!(e.container.name.as_deref(), Some("web"));
    assert_eq!(e.container.pod_namespace.as_deref(), Some("shop"));
    assert_eq!(e.syscall.as_deref(), Some("execve"));
    assert_eq!(e.arg("pathname"), Some(&s("/usr/bin/ls")));
    assert_eq!(e.arg("ctime"), Some(&Value::UInt(1_672_241_733_177_128_836)));
    assert_eq!(e.timestamp.map(|t| (t.secs, t.nanos)), Some((1_765_881_045, 123_456_789)));

    let d = dissect(lines.next().unwrap().as_bytes());
    no_errors(&d);
    assert_eq!(d.protocol, PROTO_SIGNATURE);
    let sig = d.event().cloned().unwrap().signature.unwrap();
    assert_eq!(sig.name.as_deref(), Some("Fileless Execution"));
    assert_eq!(sig.severity, Some(3));
    assert_eq!(sig.triggered_by.as_deref(), Some("sched_process_exec"));
}

#[test]
fn findings_show_the_signature_over_its_context() {
    let line = r#"{"Data":{"k":"v"},"Context":{"timestamp":1648542392170684298,"processId":90731,"eventId":"101","eventName":"ptrace","returnValue":0,"args":[{"name":"request","type":"string","value":"PTRACE_TRACEME"}]},"SigMetadata":{"ID":"TRC-2","Version":"0.1.0","Name":"Anti-Debugging","Description":"d","Tags":["linux"],"Properties":{"MITRE ATT&CK":"Defense Evasion: Execution Guardrails","Severity":3}}}"#;
    let d = dissect(line.as_bytes());
    no_errors(&d);
    assert_eq!(d.format(), Some(Format::Finding));
    assert_eq!(d.protocol, PROTO_SIGNATURE);
    assert_eq!(d.info, r#"Anti-Debugging: request="PTRACE_TRACEME""#);
    assert_eq!(one(&d, "tracker.sig.id"), s("TRC-2"));
    assert_eq!(one(&d, "tracker.sig.mitre"), s("Defense Evasion: Execution Guardrails"));
    assert_eq!(one(&d, "tracker.triggered_by.name"), s("ptrace"));
    assert_eq!(one(&d, "tracker.sig.data"), s("k: v"));
}

#[test]
fn malformed_lines_become_expert_items_not_panics() {
    for line in [&b"{\"eventName\":"[..], b"not json", b"[1,2]", b"{\"a\":1}", b"{\"eventName\":\"x\",\xff}", b""] {
        let d = dissect(line);
        assert_eq!(d.items.len(), 1);
        assert_eq!(d.experts.len(), 1, "{:?}", String::from_utf8_lossy(line));
        assert_eq!(d.experts[0].kind, ExpertKind::Malformed);
        assert!(d.event().is_none());
    }
}

#[test]
fn item_spans_stay_inside_the_line_and_nest_properly() {
    for path in corpus_files().into_iter().chain([samples().join("events.json"), samples().join("kubectl-prefix.log")])
    {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let d = dissect(line.as_bytes());
            let mut prev_depth = 0u8;
            for (i, item) in d.items.iter().enumerate() {
                assert!(
                    (item.span.start + item.span.len) as usize <= line.len(),
                    "{}: item {i} outside line",
                    path.display()
                );
                assert!(i == 0 || item.depth <= prev_depth + 1, "depth jumps at item {i}");
                prev_depth = item.depth;
            }
        }
    }
}

/// The packet list's reading of a line (most of it skipped) shows what the full dissection does,
/// on every sample and every line of the Tracee corpus.
#[test]
fn columns_read_from_part_of_a_line_match_the_full_dissection() {
    let mut files: Vec<PathBuf> = corpus_files();
    for dir in [samples(), samples().join("network")] {
        files.extend(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "log")),
        );
    }
    let (mut lines, mut events) = (0, 0);
    for path in files {
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let full = trackershark_engine::dissect(line.as_bytes()).columns();
            assert_eq!(trackershark_engine::columns(line.as_bytes()), full, "{}: {line}", path.display());
            let (info, both) = trackershark_engine::classify_and_columns(line.as_bytes());
            assert_eq!(info, trackershark_engine::classify(line.as_bytes()), "{}: {line}", path.display());
            let is_event = info.kind == trackershark_engine::LineKind::Event;
            assert_eq!(both, is_event.then_some(full), "{}: {line}", path.display());
            events += is_event as usize;
            lines += 1;
        }
    }
    assert!(lines > 300 && events > 250, "only {lines} lines, {events} events");
}

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = std::env::var_os("TRACKERSHARK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("Tracee corpus not found at {} ({e}); set TRACKERSHARK_CORPUS", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Every real Tracee event (v0.8 … protobuf JSON, findings) dissects with no error and no value
/// that misses its field type. Only the pcapng interface context (not an event) and the broken
/// pastes in truncated.jsonl are flagged malformed.
#[test]
fn every_line_of_the_tracee_corpus_dissects_cleanly() {
    let mut events = 0;
    for path in corpus_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let d = dissect(line.as_bytes());
            if name == "truncated.jsonl" || name == "pcapng-interface-context.jsonl" {
                assert!(d.experts.iter().any(|e| e.kind == ExpertKind::Malformed), "{name}:{}", n + 1);
                continue;
            }
            let problems: Vec<_> = d.experts.iter().filter(|e| e.kind != ExpertKind::UnsupportedType).collect();
            assert!(problems.is_empty(), "{name}:{}: {problems:?}", n + 1);
            assert!(d.event().is_some());
            events += 1;
        }
    }
    assert!(events >= 260, "only {events} events in the corpus");
}

/// Protobuf JSON names its value kinds instead of C types: each maps onto the same fields.
#[test]
fn protobuf_value_kinds() {
    let line = r#"{"timestamp":"2025-01-01T00:00:00Z","id":1,"name":"test_event","data":[
        {"name":"dirfd","int32":-100},{"name":"count","u_int64":"18446744073709551615"},
        {"name":"load","bool":true},{"name":"bytes","bytes":"f0VMRg=="},
        {"name":"argv","str_array":{"value":["a","b c"]}},{"name":"uaddr","pointer":"140395297729336"},
        {"name":"new_cred","credentials":{"uid":{"value":0},"cap_effective":"549755813887"}},
        {"name":"remote_addr","sockaddr":{"sa_family":"AF_UNIX","sun_path":"/run/docker.sock"}},
        {"name":"extra","struct":{"k":[1,"x"]}},{"name":"helpers","u_int64_array":{"value":[1,2]}}]}"#
        .replace('\n', "");
    let d = dissect(line.as_bytes());
    no_errors(&d);
    assert_eq!(d.format(), Some(Format::Protobuf));
    assert_eq!(one(&d, "tracker.args.dirfd"), Value::Int(-100));
    assert_eq!(one(&d, "tracker.args.count"), Value::UInt(u64::MAX));
    assert_eq!(one(&d, "tracker.args.load"), Value::Bool(true));
    assert_eq!(one(&d, "tracker.args.bytes"), Value::Bytes(b"\x7fELF".to_vec()));
    assert_eq!(one(&d, "tracker.args.command_line"), s("a 'b c'"));
    assert_eq!(one(&d, "tracker.args.uaddr"), Value::UInt(140_395_297_729_336));
    assert_eq!(one(&d, "tracker.cred.uid"), Value::UInt(0));
    assert_eq!(one(&d, "tracker.cred.cap_effective"), Value::UInt(549_755_813_887));
    assert_eq!(one(&d, "tracker.sockaddr.sun_path"), s("/run/docker.sock"));
    assert_eq!(one(&d, "tracker.args.helpers"), s("[1, 2]"));
    assert_eq!(label(&d, "tracker.arg"), r#"extra: {"k":[1,"x"]}"#);
}

#[test]
fn a_value_of_the_wrong_shape_is_shown_with_a_type_mismatch_note() {
    for (value, found) in [
        ("{}", "an object"),
        ("[1]", "an array"),
        ("true", "a boolean"),
        ("-1.5", "a number out of range or not whole"),
        ("18446744073709551616", "a number out of range or not whole"),
    ] {
        let d = event_with_args(&format!(r#"{{"name":"dirfd","type":"int","value":{value}}}"#));
        let notes: Vec<&str> =
            d.experts.iter().filter(|e| e.kind == ExpertKind::TypeMismatch).map(|e| e.text.as_str()).collect();
        assert_eq!(notes, [format!("argument dirfd (int) holds {found}").as_str()], "{value}");
        assert!(
            label(&d, "tracker.arg").contains(value)
                || values(&d, "tracker.arg").iter().any(|v| v.text().contains(value)),
            "{value} shown"
        );
    }
    // text in a numeric argument is Tracker's parse-arguments, not a fault
    let d = event_with_args(r#"{"name":"dirfd","type":"int","value":"AT_FDCWD"}"#);
    assert!(d.experts.is_empty(), "{:?}", d.experts);
}

/// Of the top-level members, those no schema key reads are shown as they are, after the rest: an
/// unknown key, and a second spelling of a key already read. A repeated key is read once.
#[test]
fn members_no_key_reads_are_shown_as_they_are() {
    let line = r#"{"timestamp":1,"processID":7,"eventName":"open","processId":8,"processID":9,"novel":[1],"eventName":"again"}"#;
    let d = dissect(line.as_bytes());
    no_errors(&d);
    assert_eq!(one(&d, "tracker.process.pid"), Value::Int(7), "the first spelling written is read");
    assert_eq!(one(&d, "tracker.event_name"), s("open"));
    assert_eq!(values(&d, "tracker.other"), vec![s("processId: 8"), s("novel: [1]")]);
    let other = field("tracker.other");
    assert!(d
        .items
        .iter()
        .skip_while(|i| i.field != other)
        .all(|i| i.field == other || Catalog::get().is_native(i.field)));

    // the same far down a long object (past the members whose keys are remembered)
    let padding: String = (0..70).map(|i| format!(r#""x{i}":{i},"#)).collect();
    let line = format!(r#"{{{padding}"timestamp":1,"processID":7,"eventName":"open","processId":8,"processID":9}}"#);
    let d = dissect(line.as_bytes());
    no_errors(&d);
    assert_eq!(one(&d, "tracker.process.pid"), Value::Int(7));
    let others = values(&d, "tracker.other");
    assert_eq!(others.len(), 71);
    assert_eq!((&others[69], &others[70]), (&s("x69: 69"), &s("processId: 8")));
}
