//! Rules files and hot reload, in one running process.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use trackershark_engine::dissect;
use trackershark_enrich::rules::Registry;
use trackershark_enrich::ModuleCache;

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

fn open(rules: &PathBuf) -> Registry {
    Registry::open_with_cache(rules, ModuleCache::disabled())
}

fn info(reg: &mut Registry, event: &str) -> Vec<String> {
    run(reg, &format!(r#"{{"eventName":"{event}","processName":"sh","args":[]}}"#))
}

/// "plugin: Info" for each rule that ran on the line.
fn run(reg: &mut Registry, line: &str) -> Vec<String> {
    reg.check();
    let set = reg.rules().expect("a rule set");
    let results = set.run(&dissect(line.as_bytes()), line.as_bytes());
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
    let mut reg = open(&rules);
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

    // a plugin that does not load: the rest of the file applies, and the error is kept
    write(
        &rules,
        "[[plugin]]\nname = \"c\"\nwasm = \"missing.wasm\"\n\n[[plugin]]\nname = \"a\"\nwasm = \"a.wat\"\n",
        30,
    );
    assert_eq!(info(&mut reg, "openat"), ["a: second"]);
    let err = reg.last_error.clone().unwrap_or_default();
    assert!(err.contains("plugin c: ") && err.contains("missing.wasm") && err.ends_with("(not running)"), "{err}");

    // a plugin replaced by a broken one: its previous version keeps running
    write(&dir.0.join("a.wat"), "(module (func $oops", 35);
    assert_eq!(info(&mut reg, "openat"), ["a: second"]);
    let err = reg.last_error.clone().unwrap_or_default();
    assert!(
        err.contains("plugin a: cannot load the module") && err.ends_with("(its previous version still runs)"),
        "{err}"
    );
    write(&dir.0.join("a.wat"), &plugin("third"), 36);
    write(&dir.0.join("missing.wasm"), &plugin("found"), 36);
    assert_eq!(info(&mut reg, "openat"), ["c: found", "a: third"]);
    assert_eq!(reg.last_error, None);

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
    let reg = open(&rules);
    assert!(reg.last_error.as_deref().unwrap_or("").contains("evnts"), "{:?}", reg.last_error);
}

/// A plugin (WAT) whose Info text is its whole input, to see what the host sent.
const ECHO: &str = r#"(module
  (import "trackershark" "set_info" (func $info (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    (drop (call $info (local.get 0) (local.get 1)))
    (i32.const 0)))"#;

#[test]
fn rules_select_by_kind_signature_and_field_conditions_and_pass_params() {
    let dir = Dir(std::env::temp_dir().join(format!("ts-rules-when-{}", std::process::id())));
    fs::create_dir_all(&dir.0).unwrap();
    write(&dir.0.join("a.wat"), &plugin("etc"), 0);
    write(&dir.0.join("s.wat"), &plugin("sig"), 0);
    write(&dir.0.join("echo.wat"), ECHO, 0);
    let rules = dir.0.join("rules.toml");
    write(
        &rules,
        r#"
[[plugin]]
name = "etc"
wasm = "a.wat"
events = ["openat"]
kind = "event"
when = [{ field = "args.pathname", prefix = "/etc/" }, { field = "userId", one_of = [0, 1000] }]

[[plugin]]
name = "by_id"
wasm = "s.wat"
events = ["TRC-105"]

[[plugin]]
name = "all_signatures"
wasm = "s.wat"
kind = "signature"

[[plugin]]
name = "echo"
wasm = "echo.wat"
events = ["getpid"]
params = { style = "short", depth = 2 }
"#,
        0,
    );
    let mut reg = open(&rules);
    assert_eq!(reg.last_error, None);
    let open_at = |path: &str, uid: i64| {
        format!(
            r#"{{"eventName":"openat","userId":{uid},"args":[{{"name":"pathname","type":"const char*","value":"{path}"}}]}}"#
        )
    };
    assert_eq!(run(&mut reg, &open_at("/etc/shadow", 0)), ["etc: etc"]);
    assert_eq!(run(&mut reg, &open_at("/etc/shadow", 1000)), ["etc: etc"]);
    assert_eq!(run(&mut reg, &open_at("/etc/shadow", 33)), Vec::<String>::new());
    assert_eq!(run(&mut reg, &open_at("/tmp/x", 0)), Vec::<String>::new());

    let signature = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/samples/signature.json"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(run(&mut reg, &signature), ["by_id: sig", "all_signatures: sig"]);

    // params arrive as the input's last member
    let echoed = run(&mut reg, r#"{"eventName":"getpid","processName":"sh","args":[]}"#);
    assert_eq!(
        echoed,
        [r#"echo: {"eventName":"getpid","processName":"sh","args":{},"params":{"depth":2,"style":"short"}}"#]
    );
}

#[test]
fn a_condition_needs_exactly_one_test() {
    let dir = Dir(std::env::temp_dir().join(format!("ts-rules-cond-{}", std::process::id())));
    fs::create_dir_all(&dir.0).unwrap();
    write(&dir.0.join("a.wat"), &plugin("x"), 0);
    let rules = dir.0.join("rules.toml");
    write(&rules, "[[plugin]]\nname = \"a\"\nwasm = \"a.wat\"\nwhen = [{ field = \"processName\" }]\n", 0);
    let reg = open(&rules);
    let err = reg.last_error.clone().unwrap_or_default();
    assert!(err.contains("exactly one of"), "{err}");
}

#[test]
fn compiled_plugins_are_cached_by_content() {
    use trackershark_enrich::{engine, Limits, Origin, Plugin};
    let dir = Dir(std::env::temp_dir().join(format!("ts-cache-{}", std::process::id())));
    let cache = ModuleCache::at(&dir.0);
    let load = |src: &str| Plugin::load_cached(&engine(), "p", src.as_bytes(), Limits::default(), &cache).unwrap();
    assert_eq!(load(&plugin("one")).origin, Origin::Compiled);
    let mut again = load(&plugin("one"));
    assert_eq!(again.origin, Origin::Cached);
    assert_eq!(again.enrich(b"{}").unwrap().info.as_deref(), Some("one"));
    // other bytes, another entry
    assert_eq!(load(&plugin("two")).origin, Origin::Compiled);
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 2);
    // a damaged entry is compiled again and replaced
    let entry = cache.entry(&engine(), plugin("one").as_bytes()).unwrap();
    fs::write(&entry, b"not a compiled module").unwrap();
    let mut repaired = load(&plugin("one"));
    assert_eq!(repaired.origin, Origin::Compiled);
    assert_eq!(repaired.enrich(b"{}").unwrap().info.as_deref(), Some("one"));
    assert_eq!(load(&plugin("one")).origin, Origin::Cached);
}

#[test]
fn the_cache_keeps_the_most_recently_used_entries() {
    use trackershark_enrich::cache::MAX_ENTRIES;
    use trackershark_enrich::{engine, Limits, Origin, Plugin};
    let dir = Dir(std::env::temp_dir().join(format!("ts-cache-prune-{}", std::process::id())));
    let cache = ModuleCache::at(&dir.0);
    let load = |src: &str| Plugin::load_cached(&engine(), "p", src.as_bytes(), Limits::default(), &cache).unwrap();
    load(&plugin("first"));
    for i in 0..MAX_ENTRIES + 5 {
        load(&plugin(&format!("p{i}")));
        // the first one stays in use
        if i % 8 == 0 {
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(load(&plugin("first")).origin, Origin::Cached, "after {i}");
        }
    }
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), MAX_ENTRIES);
    assert_eq!(load(&plugin("first")).origin, Origin::Cached);
    assert_eq!(load(&plugin("p0")).origin, Origin::Compiled, "the least recently used went first");
}
