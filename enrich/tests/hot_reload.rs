//! Hot reload with the default plugins, in one running session (as inside Wireshark): the rules
//! file and a plugin change between two dissection passes and the second pass shows the change; a
//! broken rules file keeps the old set, with an error on every event.
//!
//! Needs the default plugins built by scripts/build.sh (target/release/enrichers).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use trackershark_engine::{dissect, Catalog, Dissection, ExpertKind, FieldId};
use trackershark_enrich::rules::Registry;
use trackershark_enrich::session::Session;
use trackershark_enrich::ModuleCache;

fn built_defaults() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/enrichers");
    assert!(dir.join("rules.toml").is_file(), "{} missing: run scripts/build.sh first", dir.display());
    dir
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes a file with a modification time later than any before, as a later save would have.
fn save(path: &Path, bytes: &[u8], generation: u64) {
    fs::write(path, bytes).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(10 * generation)).unwrap();
}

fn pass(session: &mut Session, lines: &[&str]) -> Vec<Dissection> {
    lines
        .iter()
        .map(|l| {
            let mut d = dissect(l.as_bytes());
            session.apply(&mut d, l.as_bytes());
            d
        })
        .collect()
}

fn field_values(session: &Session, d: &Dissection) -> Vec<(String, String)> {
    let first = Catalog::get().fields().len() as FieldId;
    d.items
        .iter()
        .filter(|i| i.field >= first)
        .map(|i| (session.fields()[(i.field - first) as usize].abbrev.clone(), i.value.text().into()))
        .collect()
}

fn faults(d: &Dissection) -> Vec<String> {
    d.experts.iter().filter(|e| e.kind == ExpertKind::PluginFault).map(|e| e.text.clone()).collect()
}

const REPLACEMENT: &str = r#"(module
  (import "trackershark" "set_info" (func $info (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "replaced ptrace plugin")
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    (drop (call $info (i32.const 0) (i32.const 22)))
    (i32.const 0)))"#;

/// Declares a field Wireshark did not register at start.
const LATE: &str = r#"(module
  (import "trackershark" "declare_field" (func $declare (param i32 i32 i32 i32) (result i32)))
  (import "trackershark" "add_field" (func $add (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "late_field")
  (data (i32.const 16) "Late")
  (data (i32.const 32) "added later")
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "describe") (result i32)
    (drop (call $declare (i32.const 0) (i32.const 10) (i32.const 16) (i32.const 4)))
    (i32.const 0))
  (func (export "enrich") (param i32 i32) (result i32)
    (drop (call $add (i32.const 0) (i32.const 32) (i32.const 11)))
    (i32.const 0)))"#;

#[test]
fn rules_and_plugins_change_between_two_passes() {
    let dir = Dir(std::env::temp_dir().join(format!("ts-hot-reload-{}", std::process::id())));
    fs::create_dir_all(&dir.0).unwrap();
    for e in fs::read_dir(built_defaults()).unwrap() {
        let src = e.unwrap().path();
        fs::copy(&src, dir.0.join(src.file_name().unwrap())).unwrap();
    }
    let rules = dir.0.join("rules.toml");
    let registry = Registry::open_with_cache(&rules, ModuleCache::at(&dir.0.join("cache")));
    let mut session = Session::with_registry(registry, Catalog::get().fields().len() as FieldId);
    session.check_interval = Duration::ZERO;
    assert_eq!(session.load_error(), None);

    let samples =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/enrich.json")).unwrap();
    let lines: Vec<&str> = samples.lines().collect();
    let ptrace = lines.iter().position(|l| l.contains(r#""eventName":"ptrace""#)).unwrap();
    let fileless = lines.iter().position(|l| l.contains(r#""eventName":"fileless_execution""#)).unwrap();
    let getpid = lines.iter().position(|l| l.contains(r#""eventName":"getpid""#)).unwrap();

    let first = pass(&mut session, &lines);
    assert_eq!(first[ptrace].info, "gdb: ptrace PTRACE_ATTACH on pid 37");
    assert_eq!(
        field_values(&session, &first[ptrace]),
        [("tracker.enrich.ptrace_request".into(), "PTRACE_ATTACH".into())]
    );
    assert_eq!(
        first[fileless].info,
        "TRC-105 Fileless Execution [high] — T1620 Reflective Code Loading: memfd:payload"
    );

    // between the passes: the renderer gets a parameter, the ptrace plugin is replaced, and a plugin
    // with a field unknown at start is added
    let text = fs::read_to_string(&rules).unwrap();
    let edited = text.replace("kind = \"signature\"", "kind = \"signature\"\nparams = { style = \"short\" }")
        + "\n[[plugin]]\nname = \"late\"\nwasm = \"late.wat\"\nevents = [\"getpid\"]\n";
    assert_ne!(edited, text);
    save(&dir.0.join("late.wat"), LATE.as_bytes(), 1);
    save(&rules, edited.as_bytes(), 1);
    save(&dir.0.join("ptrace.wasm"), REPLACEMENT.as_bytes(), 1);
    let second = pass(&mut session, &lines);
    assert_eq!(session.load_error(), None);
    assert_eq!(second[ptrace].info, "replaced ptrace plugin");
    assert_eq!(field_values(&session, &second[ptrace]), []);
    assert_eq!(second[fileless].info, "TRC-105 Fileless Execution");
    // shown under the generic field, the only one Wireshark can still take
    assert_eq!(field_values(&session, &second[getpid]), [("tracker.enrich".into(), "added later".into())]);
    let label = second[getpid].items.last().and_then(|i| i.label.clone());
    assert_eq!(label.as_deref(), Some("[Late]: added later"));
    assert!(second.iter().all(|d| faults(d).is_empty()));

    // a broken rules file: the last good set stays, and every event says why
    save(&rules, b"[[plugin]]\nname = \"x\"\nwasm = ", 2);
    let third = pass(&mut session, &lines);
    assert_eq!(third[ptrace].info, "replaced ptrace plugin");
    assert_eq!(third[fileless].info, "TRC-105 Fileless Execution");
    for d in &third {
        let f = faults(d);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("enricher rules: ") && f[0].contains("rules.toml"), "{f:?}");
        assert!(f[0].ends_with("(the previous rules still apply)"), "{f:?}");
    }

    // fixed again: back to the defaults, without errors
    save(&rules, text.as_bytes(), 3);
    fs::copy(built_defaults().join("ptrace.wasm"), dir.0.join("ptrace.wasm")).unwrap();
    save(&dir.0.join("ptrace.wasm"), &fs::read(built_defaults().join("ptrace.wasm")).unwrap(), 3);
    let fourth = pass(&mut session, &lines);
    assert_eq!(fourth[ptrace].info, "gdb: ptrace PTRACE_ATTACH on pid 37");
    assert!(fourth.iter().all(|d| faults(d).is_empty()));
}
