//! Helpers of the capture tests: temporary directories, stand-in programs, a reader on a real fifo,
//! the real Forward client, and free loopback ports.
#![allow(dead_code)]

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const CAPTURE: &str = env!("CARGO_BIN_EXE_trackershark-capture");

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "trackershark-capture-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn write_executable(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The python of the Forward client's venv (scripts/setup.sh makes it).
pub fn forward_python() -> PathBuf {
    let dir = std::env::var_os("TRACKERSHARK_FORWARD_CLIENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/trackershark/forward-client"));
    let py = dir.join("bin/python");
    assert!(py.exists(), "{} is missing: run scripts/setup.sh (it installs fluent-logger there)", py.display());
    py
}

pub fn forward_client_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/forward_client.py")
}

/// Runs the real Forward client against a port; panics with its output if it fails.
pub fn send_with_client(port: u16, mode: &str, lines_file: &Path) {
    let out = Command::new(forward_python())
        .arg(forward_client_script())
        .arg(port.to_string())
        .arg(mode)
        .arg(lines_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "forward client ({mode}) failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for_port(port: u16, timeout: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < timeout, "nothing listens on 127.0.0.1:{port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Event lines to send: real Tracee output from the repository's samples, and lines whose bytes
/// must survive exactly (quotes, backslashes, non-ASCII).
pub fn sample_lines(n: usize) -> Vec<String> {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/events.json");
    let mut lines: Vec<String> = std::fs::read_to_string(samples)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"eventName\""))
        .take(n)
        .map(str::to_string)
        .collect();
    lines.push(r#"{"timestamp":1700000000123456789,"eventName":"openat","processName":"a'b\"c;$(x)`y`","args":[{"name":"pathname","type":"const char*","value":"/tmp/é ✓ \\ \u0001"}]}"#.to_string());
    lines
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// A real fifo (as Wireshark gives an extcap) and a thread reading it to the end.
pub struct Fifo {
    pub path: PathBuf,
    reader: JoinHandle<Vec<u8>>,
}

impl Fifo {
    pub fn new(dir: &TempDir) -> Fifo {
        Fifo::new_named(dir, "capture.fifo")
    }

    pub fn new_named(dir: &TempDir, name: &str) -> Fifo {
        let path = dir.join(name);
        assert!(Command::new("mkfifo").arg(&path).status().unwrap().success());
        let p = path.clone();
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::fs::File::open(p).unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        });
        Fifo { path, reader }
    }

    /// The pcapng read from the fifo, as event lines (through the engine's own reader).
    pub fn lines(self) -> Vec<String> {
        let bytes = self.reader.join().unwrap();
        let mut out = Vec::new();
        trackershark_engine::pcapng::pcapng_to_json(&bytes[..], &mut out).expect("the capture is a valid pcapng");
        String::from_utf8(out).unwrap().lines().map(str::to_string).collect()
    }
}

/// The argument vector a stand-in recorded (one argument per NUL).
pub fn recorded_argv(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8(bytes).unwrap();
    let mut v: Vec<String> = text.split('\0').map(str::to_string).collect();
    assert_eq!(v.pop().as_deref(), Some(""), "argv not NUL-terminated");
    v
}

/// A stand-in container runtime: records each call's argv in `<dir>/argv-<subcommand>`; for `run`,
/// finds the Forward port in Tracker's `--output` and runs `on_run` (bash) with `$port` set; `stop`
/// kills what `run` runs.
pub fn standin_runtime(dir: &Path, on_run: &str) -> PathBuf {
    let path = dir.join("bin/docker");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let record = dir.display();
    write_executable(
        &path,
        &format!(
            r#"#!/bin/bash
printf '%s\0' "$@" > "{record}/argv-$1"
# like a container runtime, `stop` ends what `run` started
if [ "$1" = stop ] && [ -f "{record}/run.pid" ]; then kill "$(cat "{record}/run.pid")"; fi
if [ "$1" = run ]; then
    echo $$ > "{record}/run.pid"
    for a in "$@"; do
        case "$a" in forward:tcp://127.0.0.1:*) port=${{a#forward:tcp://127.0.0.1:}}; port=${{port%%\?*}} ;; esac
    done
    {on_run}
fi
"#
        ),
    );
    path
}

/// Hostile option values: each must arrive as one argument, byte for byte, and run nothing.
pub fn hostile_values(marker: &Path) -> Vec<String> {
    let m = marker.display();
    vec![
        "it's".to_string(),
        "say \"hi\"".to_string(),
        format!("x; touch {m}"),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("a && touch {m}"),
        format!("a | touch {m}"),
        format!("line1\ntouch {m}\nline3"),
        "$HOME ${PATH} * ? [a] ~ # !".to_string(),
        format!("'; touch {m}; '"),
        format!("\\'$(touch {m})"),
    ]
}

/// Peak resident memory of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// Appends a row to target/reports/<name>.md.
pub fn report(name: &str, row: &str) {
    use std::io::Write as _;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(name)).unwrap();
    writeln!(f, "{row}").unwrap();
}

/// Sends SIGTERM, as Wireshark does to stop an extcap (bash's own `kill`: no procps needed).
pub fn terminate(pid: u32) {
    let status = Command::new("bash").args(["-c", "kill -TERM \"$1\"", "kill", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -TERM {pid}");
}
