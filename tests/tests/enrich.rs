//! WASM enrichers inside tshark: declared fields are registered and filterable, Info text is
//! replaced, and a hostile plugin leaves tshark running with every other field intact.

use trackershark_tests::{rows, samples_dir, stderr, Home};

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
