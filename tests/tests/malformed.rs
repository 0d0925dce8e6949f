//! Hostile input through the real path (tshark + plugin + engine): every line gives a frame, with
//! expert info where it is not a good event; broken files give a clear error; nothing crashes or
//! hangs. Each test adds its rows to target/reports/malformed.md (see scripts/test.sh).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use trackershark_tests::{repo_root, rows, samples_dir, stderr, stdout, Home};

/// One row of the report: what was tried, how many inputs, faults survived, events lost.
fn report(what: &str, inputs: usize, survived: usize, lost: usize) {
    let dir = repo_root().join("target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("malformed.md")).unwrap();
    let wireshark = std::env::var("TRACKERSHARK_REPORT_WIRESHARK").unwrap_or_else(|_| "this machine's".into());
    writeln!(f, "| {wireshark} | {what} | {inputs} | {survived} | {lost} |").unwrap();
}

fn base_event() -> serde_json::Value {
    let line = std::fs::read_to_string(samples_dir().join("syscall.json")).unwrap();
    serde_json::from_str(line.lines().next().unwrap()).unwrap()
}

/// Lines that are not good events, each with what it tries.
fn hostile_lines() -> Vec<(String, Vec<u8>)> {
    let base = base_event();
    let good = serde_json::to_string(&base).unwrap();
    let mut lines: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |what: &str, line: Vec<u8>| lines.push((what.to_string(), line));
    for cut in [1, 10, good.len() / 3, good.len() / 2, good.len() - 1] {
        add("truncated line", good.as_bytes()[..cut].to_vec());
    }
    add(
        "invalid UTF-8 in a string",
        good.replacen("openat", "open\u{fffd}at", 1).replace('\u{fffd}', "\u{1}").into_bytes(),
    );
    let mut bad_utf8 = good.clone().into_bytes();
    let at = bad_utf8.iter().position(|b| *b == b'o').unwrap();
    bad_utf8[at] = 0xff;
    add("invalid UTF-8 bytes", bad_utf8);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    add(
        "10^5-deep array in an argument",
        good.replacen("\"args\":[", &format!("\"args\":[{{\"name\":\"d\",\"type\":\"int\",\"value\":{deep}}},"), 1)
            .into_bytes(),
    );
    add(
        "10^5-deep objects",
        format!("{{\"eventName\":{}1{}}}", "{\"a\":".repeat(100_000), "}".repeat(100_000)).into_bytes(),
    );
    add("10^5 open brackets", "[".repeat(100_000).into_bytes());
    for (key, value) in
        [("timestamp", "1e30"), ("processId", "1e400"), ("returnValue", "99999999999999999999999"), ("eventId", "-0.5")]
    {
        let mut e = base.clone();
        e[key] = serde_json::from_str(value).unwrap_or(serde_json::Value::Null);
        let line = serde_json::to_string(&e).unwrap().replace("null", value);
        add("number out of range", line.into_bytes());
    }
    // every top-level field with every wrong type
    let keys: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
    for key in &keys {
        for wrong in ["\"x\"", "{}", "[]", "null", "true", "-1.5", "[{\"a\":[]}]"] {
            let mut e = base.clone();
            e[key.as_str()] = serde_json::from_str(wrong).unwrap();
            add("wrong type for a known field", serde_json::to_string(&e).unwrap().into_bytes());
        }
    }
    // every argument with every wrong type
    let args = base["args"].as_array().unwrap().len();
    for i in 0..args {
        for wrong in ["\"x\"", "{}", "[]", "null", "true", "-1.5", "18446744073709551616"] {
            let mut e = base.clone();
            e["args"][i]["value"] = serde_json::from_str(wrong).unwrap_or(serde_json::Value::Null);
            let line = serde_json::to_string(&e).unwrap().replace("null", wrong);
            add("wrong type for an argument", line.into_bytes());
        }
    }
    let mut e = base.clone();
    e["eventName"] = "no_such_event_anywhere".into();
    add("unknown event name", serde_json::to_string(&e).unwrap().into_bytes());
    add("duplicate keys", good.replacen("{", "{\"eventName\":\"first\",\"processId\":1,", 1).into_bytes());
    for data in ["%%%not base64%%%", "", "QUJD", "////"] {
        let mut e = base.clone();
        e["eventName"] = "net_packet_raw".into();
        e["args"] = serde_json::json!([{"name": "data", "type": "bytes", "value": data}]);
        add("bad packet bytes", serde_json::to_string(&e).unwrap().into_bytes());
    }
    let mut seed = 0x2545f4914f6cdd1du64;
    for _ in 0..20 {
        let garbage: Vec<u8> = (0..200)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .filter(|b| *b != b'\n' && *b != b'\r')
            .collect();
        add("binary garbage", garbage);
    }
    add("not JSON at all", b"hello, analyst".to_vec());
    lines
}

#[test]
fn every_hostile_line_becomes_a_frame_with_expert_info() {
    let home = Home::new();
    let good = serde_json::to_string(&base_event()).unwrap();
    let hostile = hostile_lines();
    // a good first line (so the file is claimed as Tracker JSON), then the hostile lines, with
    // empty and white-space lines between them (skipped, as blank lines are)
    let mut file = good.clone().into_bytes();
    for (i, (_, line)) in hostile.iter().enumerate() {
        file.extend_from_slice(if i % 10 == 0 { b"\n\n \t \n" } else { b"\n" });
        file.extend_from_slice(line);
    }
    file.push(b'\n');
    home.write("hostile.json", &file);
    let start = Instant::now();
    let out = home.run(
        "timeout",
        &[
            "600",
            "tshark",
            "-r",
            "hostile.json",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tracker.event_name",
            "-e",
            "_ws.expert.message",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "tshark did not finish cleanly: {}", stderr(&out));
    let got = rows(&stdout(&out));
    // nothing is lost: one frame per line
    assert_eq!(got.len(), hostile.len() + 1, "frames");
    // every line that is not a good event says why
    let mut by_kind: Vec<(String, usize, usize)> = Vec::new();
    for ((what, line), row) in hostile.iter().zip(&got[1..]) {
        let noted = !row[2].is_empty();
        let parsed_ok = serde_json::from_slice::<serde_json::Value>(line).is_ok();
        // a line that is valid JSON of an event may dissect without a fault (e.g. an unknown event
        // name); anything else must carry expert info
        assert!(
            noted || parsed_ok,
            "{what}: no expert info for {:?}",
            String::from_utf8_lossy(&line[..line.len().min(120)])
        );
        match by_kind.iter_mut().find(|(w, _, _)| w == what) {
            Some(k) => {
                k.1 += 1;
                k.2 += noted as usize;
            }
            None => by_kind.push((what.clone(), 1, noted as usize)),
        }
    }
    let mut summary = String::new();
    for (what, n, noted) in &by_kind {
        report(&format!("{what} (tshark -r, {noted} with expert info)"), *n, *n, 0);
        let _ = writeln!(summary, "{what}: {n}");
    }
    println!("{} hostile lines in {:.1} s\n{summary}", hostile.len(), start.elapsed().as_secs_f64());
}

#[test]
fn a_100_mb_line_is_one_frame() {
    let home = Home::new();
    // as Tracker writes it (timestamp first), with a 100 MB string argument
    let good = std::fs::read_to_string(samples_dir().join("syscall.json")).unwrap().lines().next().unwrap().to_string();
    let arg = format!(r#""args":[{{"name":"buf","type":"const char*","value":"{}"}},"#, "A".repeat(100 << 20));
    let line = good.replacen(r#""args":["#, &arg, 1);
    assert!(line.len() > 100 << 20);
    home.write("big.json", format!("{line}\n{good}\n").as_bytes());
    let out = home.run(
        "timeout",
        &["600", "tshark", "-r", "big.json", "-T", "fields", "-e", "frame.len", "-e", "tracker.event_name"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = rows(&stdout(&out));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1][1], "openat");
    assert!(got[0][0].parse::<usize>().unwrap() > line.len(), "the whole line is in the frame");
    report("a 100 MB line (tshark -r)", 1, 1, 0);
}

#[test]
fn broken_pcapng_files_give_errors_not_crashes() {
    let home = Home::new();
    home.add_sample("events.json");
    home.tshark(&["-r", "events.json", "-w", "events.pcapng"]);
    let whole = std::fs::read(home.dir.join("events.pcapng")).unwrap();
    let mut tried = 0;
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for cut in [0, 4, 27, 100, whole.len() / 2, whole.len() - 3] {
        variants.push(whole[..cut].to_vec());
    }
    for at in (0..whole.len()).step_by(97) {
        let mut v = whole.clone();
        v[at] ^= 0xa5;
        variants.push(v);
    }
    variants.push((0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect());
    for (i, v) in variants.iter().enumerate() {
        let name = format!("broken-{i}.pcapng");
        home.write(&name, v);
        let out = home.run("timeout", &["120", "tshark", "-r", &name]);
        // an exit status (0, or an error code with a message: 2 on 4.0, 3 on 4.4 for a cut file),
        // never a signal (`timeout` reports 128 + the signal) or a timeout (124)
        let code = out.status.code();
        assert!(matches!(code, Some(0..=123)), "{name}: tshark ended with {:?}: {}", out.status, stderr(&out));
        if code != Some(0) {
            assert!(!stderr(&out).trim().is_empty(), "{name}: failed without a message");
        }
        let out = home.cli(&["convert", &name, "-o", &format!("{name}.json")]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: convert ended with {:?}", out.status);
        assert!(!stderr(&out).contains("panicked"), "{name}: {}", stderr(&out));
        tried += 1;
    }
    report("truncated or corrupt pcapng (tshark -r, trackershark convert)", tried, tried, 0);
}
