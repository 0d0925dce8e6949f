//! The engine writes event trees straight into Wireshark's (libwireshark's C API) and keeps recent
//! dissections for re-dissection. Shown here on each Wireshark of the matrix: the native writer is
//! the one in use, it gives exactly the tree the Lua walk gives (PDML, display filters, fields) on
//! every sample and corpus file, and `tshark -2`'s second pass is served from the cache.

use std::collections::HashSet;
use std::path::PathBuf;

use trackershark_tests::{corpus_dir, samples_dir, stderr, stdout, Home};

/// Prints the engine's tree mode and cache counters when tshark is done.
const PROBE: &str = r#"
local engine = package.loaded["trackershark_engine"]
local tap = Listener.new("frame", "tracker")
function tap.draw()
    local hits, misses = engine.cache_stats()
    print(string.format("tree=%s hits=%d misses=%d", engine.tree_mode(), hits, misses))
end
"#;

fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [samples_dir(), samples_dir().join("network"), corpus_dir()] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                // (the corpus's interface contexts are no event log: engine/tests/network.rs reads them)
                name != "pcapng-interface-context.jsonl"
                    && [".json", ".jsonl", ".log", ".pcapng"].iter().any(|ext| name.ends_with(ext))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    assert!(files.len() >= 20, "samples and corpus not found: {files:?}");
    files
}

/// The plugin's byte-string fields: the Lua walk can only highlight as many bytes as the value has
/// (Wireshark reads the value's bytes over the range), the native writer highlights the JSON text.
fn bytes_fields(home: &Home) -> HashSet<String> {
    home.tshark(&["-G", "fields"])
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() > 3 && c[0] == "F" && c[2].starts_with("tracker.") && c[3] == "FT_BYTES")
        .map(|c| c[2].to_string())
        .collect()
}

/// The PDML without its header and without the range (`size`) and range bytes (`value`) of byte-string fields.
fn without_byte_sizes(pdml: &str, bytes: &HashSet<String>) -> String {
    let drop_attr = |line: &str, attr: &str| -> String {
        let Some(start) = line.find(attr) else { return line.to_string() };
        let end = start + attr.len() + line[start + attr.len()..].find('"').unwrap() + 1;
        format!("{}{}", &line[..start], &line[end..])
    };
    pdml.lines()
        .filter(|line| !line.starts_with("<pdml ")) // holds the time of the run
        .map(|line| {
            let name = line.split("name=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
            if bytes.contains(name) {
                drop_attr(&drop_attr(line, " size=\""), " value=\"")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails on the first line that differs (the outputs are long).
fn same(native: &str, walked: &str, what: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (native.lines().collect(), walked.lines().collect());
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!("{what}: line {} differs\nnative: {:?}\nLua:    {:?}", i + 1, a.get(i), b.get(i));
    }
}

fn tshark_walked_in_lua(home: &Home, args: &[&str]) -> String {
    let out = home.run_with_env("tshark", args, &[("TRACKERSHARK_TREE", "lua")]);
    assert!(out.status.success(), "tshark {args:?}: {}", stderr(&out));
    assert!(stderr(&out).contains("event trees are walked in Lua (TRACKERSHARK_TREE=lua)"), "{}", stderr(&out));
    stdout(&out)
}

/// A home with events.json and a probe script: the home, the probe's `-X` option, the events' path.
fn with_probe(script: &str) -> (Home, String, String) {
    let home = Home::new();
    let probe = home.write("probe.lua", script.as_bytes());
    let probe = format!("lua_script:{}", home.visible(&probe));
    let events = home.add_sample("events.json");
    let events = home.visible(&events);
    (home, probe, events)
}

#[test]
fn native_tree_is_in_use_and_the_second_pass_comes_from_the_cache() {
    let (home, probe, events) = with_probe(PROBE);
    let n = home.tshark(&["-r", &events, "-Y", "tracker"]).lines().count();
    assert!(n >= 5);

    let one_pass = home.tshark(&["-r", &events, "-q", "-X", &probe]);
    assert_eq!(one_pass.trim(), format!("tree=native hits=0 misses={n}"));
    // a read filter on our protocol: the first pass needs the items too (without one, it needs only
    // the columns, and the second pass is the first full dissection)
    let two_passes = home.tshark(&["-2", "-R", "tracker", "-r", &events, "-q", "-X", &probe]);
    assert_eq!(
        two_passes.trim(),
        format!("tree=native hits={n} misses={n}"),
        "the second pass is served from the cache"
    );

    let out = home.run_with_env("tshark", &["-r", &events, "-q", "-X", &probe], &[("TRACKERSHARK_TREE", "lua")]);
    assert_eq!(stdout(&out).trim(), format!("tree=lua: not requested by the plugin hits=0 misses={n}"));
}

/// Counts the packets of which the engine worked out only the columns (a listener without a filter
/// asks for no field).
const COLUMNS_PROBE: &str = r#"
local engine = package.loaded["trackershark_engine"]
local tap = Listener.new("frame")
function tap.draw()
    local hits, misses, columns_only, from_reader, native_reads = engine.cache_stats()
    print(string.format("misses=%d columns_only=%d from_reader=%d", misses, columns_only, from_reader))
    print(string.format("native_reads=%d", native_reads))
end
"#;

/// Where nothing reads an event's items (`tshark -r`; no filter, field, tap or shown tree names
/// one), the engine reads only what the columns come from. The packet list is the same as the Lua
/// walk of full dissections gives, on every sample and corpus file; anything that names a field
/// gets the full dissection.
#[test]
fn the_packet_list_alone_needs_only_the_columns_and_shows_the_same() {
    let (home, probe, events) = with_probe(COLUMNS_PROBE);
    let n = home.tshark(&["-r", &events]).lines().count();
    assert!(n >= 5);
    // the file reader reads each line's columns as it classifies it (the first packet's included:
    // the reader guesses it needs only its columns)
    // (and reads the file's blocks with libwiretap: the events and the end of the file)
    let plain = home.tshark(&["-r", &events, "-q", "-X", &probe]);
    assert_eq!(plain.trim(), format!("misses=0 columns_only={n} from_reader={n}\nnative_reads=2"));
    for wants_items in [
        vec!["-Y", "frame"],
        vec!["-Y", "tracker.event_name"],
        vec!["-Y", "ip.addr"],
        vec!["-T", "fields", "-e", "tracker.process.pid"],
        vec!["-z", "expert"],
        vec!["-V"],
    ] {
        let mut args = vec!["-r", events.as_str(), "-X", probe.as_str()];
        args.extend(&wants_items);
        let out = home.tshark(&args);
        let counts = out.lines().find(|l| l.starts_with("misses=")).unwrap_or_default();
        let expected = if wants_items == ["-Y", "frame"] {
            format!("misses=0 columns_only={n} from_reader={n}")
        } else {
            format!("misses={n} columns_only=0 from_reader=0")
        };
        assert_eq!(counts, expected, "{wants_items:?}");
    }

    let mut compared = 0;
    for file in inputs() {
        let path = home.add(&file);
        let path = home.visible(&path);
        let args = ["-r", path.as_str()];
        let list = home.tshark(&args);
        same(&list, &tshark_walked_in_lua(&home, &args), &format!("{}: packet list", file.display()));
        compared += list.contains("TRACKER") as usize;
    }
    assert!(compared >= 20, "only {compared} files had Tracker frames");
}

/// Prints what the file reader worked out of the lines it read.
const READ_AHEAD_PROBE: &str = r#"
local engine = package.loaded["trackershark_engine"]
local tap = Listener.new("frame")
function tap.draw()
    local _, _, columns_only, from_reader, _, dissected_by_reader = engine.cache_stats()
    print(string.format("columns_only=%d from_reader=%d dissected_by_reader=%d",
        columns_only, from_reader, dissected_by_reader))
end
"#;

/// The file reader reads a few blocks ahead of the dissector on a thread of its own and works out
/// what the last packet needed (its columns, or its whole dissection) of each line it reads: the
/// packets take it from there, and show exactly what reading in place (`TRACKERSHARK_READ_AHEAD=off`)
/// shows. A capture stopped midway ends the reading thread.
#[test]
fn the_file_reader_reads_ahead_on_a_thread_of_its_own_and_shows_the_same() {
    let (home, probe, _) = with_probe(READ_AHEAD_PROBE);
    // a log of many 64 KiB blocks: the samples' lines over and over, with log, blank and bad lines
    let mut text = Vec::new();
    while text.len() < 1_500_000 {
        for sample in ["events.json", "exec.json", "k8s.json", "enrich.json"] {
            text.extend(std::fs::read(samples_dir().join(sample)).expect("sample"));
            text.extend_from_slice(b"{\"level\":\"info\",\"msg\":\"ready\"}\n\r\nnot json\n");
        }
    }
    let big = home.visible(&home.write("big.json", &text));
    let in_place = [("TRACKERSHARK_READ_AHEAD", "off")];
    let tshark_in_place = |args: &[&str]| {
        let out = home.run_with_env("tshark", args, &in_place);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    for args in [
        vec!["-r", big.as_str()],
        vec!["-r", big.as_str(), "-V"],
        vec!["-r", big.as_str(), "-T", "fields", "-e", "tracker.event_name", "-e", "tracker.args.pathname"],
        vec!["-r", big.as_str(), "-2", "-Y", "tracker.process.pid > 1"],
    ] {
        let ahead = home.tshark(&args);
        same(&ahead, &tshark_in_place(&args), &format!("read ahead and in place: {args:?}"));
    }

    let n = home.tshark(&["-r", &big]).lines().count();
    // (the bad lines are packets too, without an event to read ahead)
    let events = n - text.windows(8).filter(|w| w == b"not json").count();
    assert!(events > 1000, "{events} events");
    let counts = |out: String| out.lines().find(|l| l.starts_with("columns_only=")).unwrap_or_default().to_string();
    // the packet list: every packet's columns come from the reader's reading
    let plain = ["-r", big.as_str(), "-q", "-X", probe.as_str()];
    let want = format!("columns_only={n} from_reader={events} dissected_by_reader=0");
    assert_eq!(counts(home.tshark(&plain)), want);
    assert_eq!(counts(tshark_in_place(&plain)), want);
    // full trees: reading ahead, the reader dissects all but the lines of the blocks it read before
    // the first packet said what it needed; in place, it dissects none (that would cost the same)
    let shown = ["-r", big.as_str(), "-V", "-X", probe.as_str()];
    assert_eq!(counts(tshark_in_place(&shown)), "columns_only=0 from_reader=0 dissected_by_reader=0");
    let read_ahead = counts(home.tshark(&shown));
    let dissected: usize = read_ahead.rsplit('=').next().and_then(|v| v.parse().ok()).expect(&read_ahead);
    let lines_per_block = n * 65536 / text.len();
    assert!(dissected >= events - 4 * lines_per_block && dissected < events, "{read_ahead} of {events} events");

    // stopped after a few packets, with blocks still on their way
    let first = home.tshark(&["-r", &big, "-c", "3"]);
    assert_eq!(first.lines().count(), 3, "{first}");
}

/// Where Wireshark's objects cannot be bound at the first packet (a Wireshark whose Lua objects
/// are laid out differently), the plugin says so once, walks every event in Lua and reads the file
/// in Lua: the same packet list and tree as the native writer's.
#[test]
fn a_failed_binding_falls_back_to_the_lua_walk() {
    let (home, probe, events) = with_probe(COLUMNS_PROBE);
    // the file is read in Lua too, and every event dissected in full
    let out =
        home.run_with_env("tshark", &["-r", &events, "-q", "-X", &probe], &[("TRACKERSHARK_TEST_BIND_FAILURE", "1")]);
    let n = home.tshark(&["-r", &events]).lines().count();
    assert_eq!(stdout(&out).trim(), format!("misses={n} columns_only=0 from_reader=0\nnative_reads=0"));
    for args in [vec!["-r", events.as_str()], vec!["-r", events.as_str(), "-T", "pdml"]] {
        let out = home.run_with_env("tshark", &args, &[("TRACKERSHARK_TEST_BIND_FAILURE", "1")]);
        assert!(out.status.success(), "{}", stderr(&out));
        let said = stderr(&out);
        assert_eq!(said.matches("event trees are walked in Lua").count(), 1, "{said}");
        assert!(said.contains("(binding refused for testing"), "{said}");
        let bytes = bytes_fields(&home);
        let (walked, native) = (stdout(&out), home.tshark(&args));
        same(&without_byte_sizes(&native, &bytes), &without_byte_sizes(&walked, &bytes), &format!("{args:?}"));
    }
}

#[test]
fn native_tree_equals_the_lua_walk_on_every_sample_and_corpus_file() {
    let home = Home::with_default_enrichers();
    let bytes = bytes_fields(&home);
    assert!(bytes.contains("tracker.args.bytes"), "{bytes:?}");
    let mut compared = 0;
    for file in inputs() {
        let path = home.add(&file);
        let path = home.visible(&path);
        let name = file.display().to_string();

        let native = home.tshark(&["-r", &path, "-T", "pdml"]);
        let walked = tshark_walked_in_lua(&home, &["-r", &path, "-T", "pdml"]);
        same(&without_byte_sizes(&native, &bytes), &without_byte_sizes(&walked, &bytes), &format!("{name}: PDML"));

        // no filter: the native writer leaves out the mirrors nothing refers to, and the columns
        // (Source/Destination from the event's addresses) are the same
        let args = ["-r", path.as_str()];
        same(&home.tshark(&args), &tshark_walked_in_lua(&home, &args), &format!("{name}: columns"));

        // fake trees (filters and fields, no visible tree): the same frames and values
        let fields = [
            "-Y",
            "tracker.process.pid > 1 || tracker.args || ip.addr || dns.qry.name || tracker.sig.id || _ws.expert",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tracker.event_name",
            "-e",
            "tracker.process.pid",
            "-e",
            "tracker.args.pathname",
            "-e",
            "ip.addr",
            "-e",
            "_ws.expert.message",
        ];
        let mut args = vec!["-r", path.as_str()];
        args.extend(fields);
        same(&home.tshark(&args), &tshark_walked_in_lua(&home, &args), &format!("{name}: filtered fields"));
        compared += native.contains("<proto name=\"tracker") as usize;
    }
    assert!(compared >= 20, "only {compared} files had Tracker frames");
}
