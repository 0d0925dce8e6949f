//! The extcap through real tshark, run as an unprivileged user with the plugin installed by the
//! real installer (the harness of the tests/ crate): tshark lists "Tracker capture", passes its
//! preferences as options (a hostile Tracker option arrives literally), and dissects the events the
//! stand-in Tracker sends exactly as it dissects the same lines read from a file.
//! Needs `scripts/build.sh` (the CLI and engine modules), like the other tshark tests.

mod common;

use std::path::Path;

use common::*;
use trackershark_tests::{stderr, stdout, wireshark_root, Home};

#[test]
fn live_capture_through_tshark_dissects_like_the_file() {
    if wireshark_root().is_some() {
        eprintln!("skipped inside another Wireshark root: the extcap is tested on this machine's tshark");
        return;
    }
    let home = Home::new();
    let work = TempDir::new("tshark");
    // the extcap in the personal extcap folder of Wireshark 4.0 and of 4.2+
    for dir in [".config/wireshark/extcap", ".local/lib/wireshark/extcap"] {
        let parent = home.dir.join(dir);
        std::fs::create_dir_all(parent.parent().unwrap()).unwrap();
        home.add_into(Path::new(CAPTURE), &parent);
    }
    let listed = home.tshark(&["-D"]);
    assert!(listed.contains("tracker-capture (Tracker capture)"), "{listed}");

    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/events.json")).unwrap();
    let lines: Vec<String> = sample.lines().filter(|l| l.contains("\"eventName\"")).map(str::to_string).collect();
    let lines_file = work.join("lines.json");
    write_lines(&lines_file, &lines);
    let lines_file = home.add(&lines_file);
    let client = home.add(&forward_client_script());
    let record = home.dir.join("record");
    std::fs::create_dir_all(&record).unwrap();
    std::fs::set_permissions(&record, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let on_run = format!(
        "exec {} {} \"$port\" message-ack {}",
        shell_words::quote(&forward_python().display().to_string()),
        shell_words::quote(&client.display().to_string()),
        shell_words::quote(&lines_file.display().to_string())
    );
    let standin = standin_runtime(&record, &on_run);
    std::fs::set_permissions(standin.parent().unwrap(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let marker = record.join("pwned");
    let hostile = format!("$(touch {m}); touch {m} `touch {m}`", m = marker.display());
    let options = format!("--x {}", shell_words::quote(&hostile));
    let port = free_port().to_string();
    let fields = [
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
        "-e",
        "tracker.process.pid",
    ];
    // Wireshark's preference names for the extcap's options
    let pref_port = format!("extcap.tracker_capture.receiverport:{port}");
    let pref_options = format!("extcap.tracker_capture.trackeroptions:{options}");
    let mut args = vec!["-i", "tracker-capture", "-o", &pref_port, "-o", &pref_options, "-a", "duration:60"];
    args.extend(fields);
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", standin.parent().unwrap().display());
    let out = home.run_with_env("tshark", &args, &[("PATH", &path)]);
    assert!(out.status.success(), "tshark failed: {}", stderr(&out));
    let live = stdout(&out);
    let from_file = home.tshark(&[&["-r", &lines_file.display().to_string()][..], &fields].concat());
    assert_eq!(live, from_file, "the live capture dissects like the file");
    assert_eq!(live.lines().count(), lines.len());

    let argv = recorded_argv(&record.join("argv-run"));
    assert_eq!(&argv[argv.len() - 2..], ["--x".to_string(), hostile]);
    assert!(!marker.exists(), "a hostile value was executed");
}
