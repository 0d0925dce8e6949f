//! `trackershark install` / `uninstall` against the real tshark, as an unprivileged user.

use std::path::Path;

use trackershark_tests::{stderr, stdout, Home};

#[test]
fn install_puts_the_plugin_where_wireshark_looks_and_uninstall_removes_it() {
    let home = Home::new(); // installs
    let dir = home.dir.join(".local/lib/wireshark/plugins/trackershark");
    for f in ["tracker.lua", "lua52/trackershark_engine.so", "lua54/trackershark_engine.so"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // tshark loads it: the protocol is registered
    let protocols = home.tshark(&["-G", "protocols"]);
    assert!(protocols.lines().any(|l| l.split('\t').nth(2) == Some("tracker")), "tracker protocol not registered");

    let dry = home.cli(&["uninstall", "--dry-run"]);
    assert!(stdout(&dry).contains("dry run: would remove"), "{}", stdout(&dry));
    assert!(dir.join("tracker.lua").is_file());
    let out = home.cli(&["uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!Path::new(&dir).exists());
    let protocols = home.tshark(&["-G", "protocols"]);
    assert!(!protocols.lines().any(|l| l.split('\t').nth(2) == Some("tracker")));
}

#[test]
fn install_reports_the_wireshark_version_and_lua_abi() {
    let home = Home::new();
    let out = home.cli(&["install", "--dry-run", "--module-dir", &home.bin_dir()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let version = home.tshark(&["-v"]).split_whitespace().collect::<Vec<_>>().join(" ");
    let abi = if version.contains("with Lua 5.2") || version.contains("+Lua 5.2") { "Lua 5.2" } else { "Lua 5.4" };
    assert!(text.starts_with("Wireshark "), "{text}");
    assert!(text.contains(&format!("({abi})")), "{text}");
    assert!(text.contains(".local/lib/wireshark/plugins/trackershark"), "{text}");
}

#[test]
fn install_without_a_module_for_this_wireshark_says_what_to_do() {
    let home = Home::new();
    // a copy of the CLI with no modules beside it
    let lonely = home.add(&trackershark_tests::bin_dir().join("trackershark"));
    let out = home.run(&lonely.to_string_lossy(), &["install"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no engine module for Lua 5."), "{err}");
    assert!(err.contains("build it with scripts/build.sh"), "{err}");
}

#[test]
fn the_default_enrichers_are_installed_and_the_users_own_rules_survive_reinstall_and_uninstall() {
    let home = Home::with_default_enrichers();
    let dir = home.dir.join(".local/lib/wireshark/plugins/trackershark");
    let enrichers = dir.join("enrichers");
    for f in ["rules.toml", "process.wasm", "network.wasm", "files.wasm", "ptrace.wasm", "signatures.wasm"] {
        assert!(enrichers.join(f).is_file(), "{f} missing");
    }
    // an untouched install uninstalls completely
    let out = home.cli(&["uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.exists());

    let out = home.cli(&["install", "--module-dir", &home.bin_dir()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // the analyst edits the rules and adds a plugin of their own
    let mine = "# mine\n[[plugin]]\nname = \"ptrace\"\nwasm = \"ptrace.wasm\"\nevents = [\"ptrace\"]\n";
    std::fs::write(enrichers.join("rules.toml"), mine).unwrap();
    home.add_into(&trackershark_tests::samples_dir().join("enrichers/file_type.wat"), &enrichers);

    let out = home.cli(&["install", "--module-dir", &home.bin_dir()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept your"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(enrichers.join("rules.toml")).unwrap(), mine);
    assert!(enrichers.join("rules.toml.default").is_file());

    let out = home.cli(&["uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept your own enricher files"), "{}", stdout(&out));
    assert!(!dir.join("tracker.lua").exists() && !dir.join("lua52").exists());
    let mut left: Vec<String> =
        std::fs::read_dir(&enrichers).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["file_type.wat", "rules.toml"]);
    let protocols = home.tshark(&["-G", "protocols"]);
    assert!(!protocols.lines().any(|l| l.split('\t').nth(2) == Some("tracker")));
}
