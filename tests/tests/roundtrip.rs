//! Lossless conversion: JSON → pcapng (tshark -w, then editcap / mergecap / reordercap) → the
//! original lines, byte for byte.

use std::fs;

use trackershark_tests::{rows, samples_dir, stderr, Home};

fn run_ok(home: &Home, program: &str, args: &[&str]) {
    let out = home.run(program, args);
    assert!(out.status.success(), "{program} {args:?}: {}", stderr(&out));
}

/// The lines of a Tracker log that are events (what the reader turns into packets).
fn event_lines(text: &str) -> String {
    text.lines().filter(|l| !l.trim().is_empty() && !l.contains(r#""level":"#)).map(|l| format!("{l}\n")).collect()
}

fn extract(home: &Home, pcapng: &str, out: &str) -> String {
    let res = home.cli(&["convert", pcapng, "-o", out]);
    assert!(res.status.success(), "convert: {}", stderr(&res));
    fs::read_to_string(home.path(out)).unwrap()
}

#[test]
fn json_to_pcapng_with_tshark_and_editcap_and_back_is_byte_exact() {
    let home = Home::new();
    for sample in ["events.json", "kubectl-prefix.log"] {
        home.add_sample(sample);
        let original = fs::read_to_string(samples_dir().join(sample)).unwrap();
        run_ok(&home, "tshark", &["-r", sample, "-w", "out.pcapng"]);
        run_ok(&home, "editcap", &["out.pcapng", "edited.pcapng"]);
        let back = extract(&home, "edited.pcapng", "back.json");
        assert_eq!(back, event_lines(&original), "{sample}");
        // and the pcapng dissects just like the JSON did
        let from_json = home.tshark(&["-r", sample, "-T", "fields", "-e", "_ws.col.Info", "-e", "tracker.process.pid"]);
        let from_pcapng =
            home.tshark(&["-r", "edited.pcapng", "-T", "fields", "-e", "_ws.col.Info", "-e", "tracker.process.pid"]);
        assert_eq!(from_json, from_pcapng, "{sample}");
    }
}

#[test]
fn cli_conversion_matches_tshark_and_keeps_times() {
    let home = Home::new();
    home.add_sample("events.json");
    let res = home.cli(&["convert", "events.json", "-o", "cli.pcapng"]);
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(stderr(&res).contains("11 event(s) written"), "{}", stderr(&res));
    run_ok(&home, "tshark", &["-r", "events.json", "-w", "tshark.pcapng"]);
    let a = home.tshark(&[
        "-r",
        "cli.pcapng",
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
    ]);
    let b = home.tshark(&[
        "-r",
        "tshark.pcapng",
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
    ]);
    assert_eq!(a, b);
    assert!(a.starts_with("1657291777.566819000\tTRACKER\topenat"), "{a}");
}

#[test]
fn mergecap_and_reordercap_interleave_two_logs_by_time() {
    let home = Home::new();
    for f in ["v0.13.json", "signature.json", "v0.18.json", "syscall.json"] {
        home.add_sample(f);
    }
    // mergecap, editcap and reordercap do not run Lua plugins: give them pcapng, as tshark -w writes
    for (json, pcapng) in [
        ("signature.json", "a.pcapng"),
        ("v0.18.json", "b.pcapng"),
        ("syscall.json", "c.pcapng"),
        ("v0.13.json", "d.pcapng"),
    ] {
        run_ok(&home, "tshark", &["-r", json, "-w", pcapng]);
    }
    run_ok(&home, "mergecap", &["-w", "merged.pcapng", "a.pcapng", "b.pcapng", "c.pcapng"]);
    let got = rows(&home.tshark(&[
        "-r",
        "merged.pcapng",
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "tracker.event_name",
    ]));
    let names: Vec<&str> = got.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(names, ["openat", "security_file_open", "fileless_execution", "fileless_execution"]);
    let times: Vec<&str> = got.iter().map(|r| r[0].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    let merged = extract(&home, "merged.pcapng", "merged.json");
    assert_eq!(merged.lines().count(), 4);
    // v0.13.json is written out of time order; reordercap sorts it and every line survives
    run_ok(&home, "reordercap", &["d.pcapng", "sorted.pcapng"]);
    let back = extract(&home, "sorted.pcapng", "sorted.json");
    let original = fs::read_to_string(samples_dir().join("v0.13.json")).unwrap();
    let mut want: Vec<&str> = original.lines().collect();
    want.reverse();
    assert_eq!(back.lines().collect::<Vec<_>>(), want);
}

#[test]
fn very_long_lines_are_read_whole() {
    let home = Home::new();
    // one event with a 200 KB argument: longer than the 64 KiB File:read line limit
    let big = "A".repeat(200_000);
    let line = format!(
        r#"{{"timestamp":1700000000000000000,"eventId":"1","eventName":"write","processName":"x","args":[{{"name":"buf","type":"const char*","value":"{big}"}}]}}"#
    );
    let text = format!("{line}\n{}", fs::read_to_string(samples_dir().join("syscall.json")).unwrap());
    home.write("long.json", text.as_bytes());
    // and with Windows line ends, read in order and read again at random (`-2`'s second pass):
    // the same bytes, without the `\r`
    home.write("long-crlf.json", text.replace('\n', "\r\n").as_bytes());
    for args in [&["-r", "long.json"][..], &["-r", "long-crlf.json"], &["-2", "-r", "long-crlf.json"]] {
        let mut args = args.to_vec();
        args.extend(["-T", "fields", "-e", "tracker.event_name", "-e", "frame.len"]);
        let got = rows(&home.tshark(&args));
        assert_eq!(got.len(), 2, "{args:?}");
        assert_eq!(got[0], vec!["write".to_string(), (line.len() + 16).to_string()], "{args:?}");
        assert_eq!(got[1][0], "openat", "{args:?}");
    }
}
