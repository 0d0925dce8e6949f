//! Rules files and hot reload, in one running process.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use trackershark_enrich::rules::Registry;

/// A plugin (WAT) whose `enrich` sets the Info text to `info`.
fn plugin(info: &str) -> String {
    format!(
        r#"(module
  (import "trackershark" "set_info" (func $info (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{info}")
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    (drop (call $info (i32.const 0) (i32.const {len})))
    (i32.const 0)))"#,
        len = info.len()
    )
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes a file and moves its modification time forward, as a later save would.
fn write(path: &PathBuf, text: &str, age: u64) {
    fs::write(path, text).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(age)).unwrap();
}

fn info(reg: &mut Registry, event: &str) -> Vec<String> {
    reg.check();
    let set = reg.rules().expect("a rule set");
    let results = set.run(event, b"{}");
    results
        .into_iter()
        .map(|(i, out)| format!("{}: {}", set.rules[i].plugin.name, out.unwrap().info.unwrap_or_default()))
        .collect()
}

#[test]
fn rules_pick_plugins_by_event_and_reload_when_files_change() {
    let dir = Dir(std::env::temp_dir().join(format!("ts-rules-{}", std::process::id())));
    fs::create_dir_all(&dir.0).unwrap();
    let rules = dir.0.join("rules.toml");
    write(&dir.0.join("a.wat"), &plugin("first"), 0);
    write(&dir.0.join("b.wat"), &plugin("every event"), 0);
    write(
        &rules,
        "[[plugin]]\nname = \"a\"\nwasm = \"a.wat\"\nevents = [\"openat\"]\n\n[[plugin]]\nname = \"b\"\nwasm = \"b.wat\"\n",
        0,
    );
    let mut reg = Registry::open(&rules);
    assert_eq!(reg.last_error, None);
    assert_eq!(info(&mut reg, "openat"), ["a: first", "b: every event"]);
    assert_eq!(info(&mut reg, "execve"), ["b: every event"]);

    // a plugin replaced on disk takes effect at the next check
    write(&dir.0.join("a.wat"), &plugin("second"), 10);
    assert_eq!(info(&mut reg, "openat"), ["a: second", "b: every event"]);

    // a broken rules file keeps the last good set, and says why
    write(&rules, "[[plugin]]\nname = \"a\"\nwasm = ", 20);
    assert_eq!(info(&mut reg, "openat"), ["a: second", "b: every event"]);
    assert!(reg.last_error.as_deref().unwrap_or("").contains("rules.toml"), "{:?}", reg.last_error);

    // so does a rule naming a plugin that does not load
    write(&rules, "[[plugin]]\nname = \"c\"\nwasm = \"missing.wasm\"\n", 30);
    assert_eq!(info(&mut reg, "openat"), ["a: second", "b: every event"]);
    assert!(reg.last_error.as_deref().unwrap_or("").contains("plugin c"), "{:?}", reg.last_error);

    // fixed: the new set replaces the old one
    write(&rules, "[[plugin]]\nname = \"b\"\nwasm = \"b.wat\"\nevents = [\"execve\"]\n", 40);
    assert_eq!(info(&mut reg, "openat"), Vec::<String>::new());
    assert_eq!(info(&mut reg, "execve"), ["b: every event"]);
    assert_eq!(reg.last_error, None);
}

#[test]
fn unknown_keys_in_the_rules_file_are_errors() {
    let dir = Dir(std::env::temp_dir().join(format!("ts-rules-bad-{}", std::process::id())));
    fs::create_dir_all(&dir.0).unwrap();
    let rules = dir.0.join("rules.toml");
    write(&rules, "[[plugin]]\nname = \"a\"\nwasm = \"a.wasm\"\nevnts = [\"x\"]\n", 0);
    let reg = Registry::open(&rules);
    assert!(reg.last_error.as_deref().unwrap_or("").contains("evnts"), "{:?}", reg.last_error);
}
