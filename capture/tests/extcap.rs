//! The extcap program end to end, with stand-in `docker` and `kubectl` that record their argument
//! vectors: hostile option values arrive literally as single arguments and nothing is executed;
//! events sent by a real Forward client come out of the fifo as the exact lines.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use trackershark_capture::extcap::{remote_command, ssh_argv, Args};

fn run_capture(args: &[&str], path_prefix: Option<&Path>) -> Output {
    let mut cmd = Command::new(CAPTURE);
    cmd.args(args);
    if let Some(p) = path_prefix {
        cmd.env("PATH", format!("{}:{}", p.display(), std::env::var("PATH").unwrap_or_default()));
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn extcap_queries() {
    let out = run_capture(&["--extcap-interfaces", "--extcap-version=4.0"], None);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("interface {value=tracker-capture}{display=Tracker capture}"), "{s}");
    assert!(s.starts_with("extcap {version="), "{s}");
    let out = run_capture(&["--extcap-dlts", "--extcap-interface", "tracker-capture"], None);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=Tracker events}\n"
    );
    let out = run_capture(&["--extcap-config", "--extcap-interface", "tracker-capture"], None);
    let s = String::from_utf8(out.stdout).unwrap();
    for call in [
        "--capture-type",
        "--runtime",
        "--image",
        "--tracker-options",
        "--ssh-host",
        "--ssh-known-hosts",
        "--k8s-namespace",
    ] {
        assert!(s.contains(&format!("{{call={call}}}")), "{call} missing from\n{s}");
    }
    assert!(s.contains("value {arg=0}{value=ssh}"), "{s}");
    let out = run_capture(&["--extcap-dlts", "--extcap-interface", "eth0"], None);
    assert!(!out.status.success());
}

#[test]
fn local_capture_passes_hostile_values_literally_and_captures_events() {
    let dir = TempDir::new("local");
    let marker = dir.join("pwned");
    let lines = sample_lines(30);
    let lines_file = dir.join("lines.txt");
    write_lines(&lines_file, &lines);
    let on_run = format!(
        "exec {} {} \"$port\" message-ack {}",
        shell_words::quote(&forward_python().display().to_string()),
        shell_words::quote(&forward_client_script().display().to_string()),
        shell_words::quote(&lines_file.display().to_string())
    );
    let runtime = standin_runtime(dir.path(), &on_run);
    let hostile = hostile_values(&marker);
    // as a person would type them, and each hostile value quoted
    let m = marker.display();
    let mut options = format!(r#"--filter "comm=$(touch {m})" --x 'a;b' --y it\'s"#);
    let mut expected_options: Vec<String> =
        vec!["--filter".into(), format!("comm=$(touch {m})"), "--x".into(), "a;b".into(), "--y".into(), "it's".into()];
    for (i, v) in hostile.iter().enumerate() {
        options.push_str(&format!(" --opt{i} {}", shell_words::quote(v)));
        expected_options.extend([format!("--opt{i}"), v.clone()]);
    }
    let image = format!("img;touch {m} $(touch {m})\n`touch {m}`");
    let port = free_port();
    let fifo = Fifo::new(&dir);
    let child = Command::new(CAPTURE)
        .args(["--capture", "--extcap-interface", "tracker-capture", "--fifo"])
        .arg(&fifo.path)
        .arg("--runtime")
        .arg(&runtime)
        .args(["--image", &image, "--tracker-options", &options, "--receiver-port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fifo.lines(), lines, "the events as sent");

    let mut expected: Vec<String> = [
        &runtime.display().to_string(),
        "run",
        "--rm",
        "--name",
        &format!("trackershark-{pid}"),
        "--pid=host",
        "--cgroupns=host",
        "--privileged",
        "--network=host",
        "-v",
        "/etc/os-release:/etc/os-release-host:ro",
        "-v",
        "/var/run:/var/run:ro",
        &image,
        "--output",
        &format!("forward:tcp://127.0.0.1:{port}?tag=tracker"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expected.extend(expected_options);
    // a program's own argv has its name first; the stand-in records the arguments after it
    assert_eq!(recorded_argv(&dir.join("argv-run")), expected[1..]);
    assert!(!marker.exists(), "a hostile value was executed");
}

#[test]
fn sigterm_stops_the_container_by_name() {
    let dir = TempDir::new("stop");
    let runtime = standin_runtime(dir.path(), "while :; do sleep 0.1; done");
    let port = free_port();
    let fifo = Fifo::new(&dir);
    let mut child = Command::new(CAPTURE)
        .args(["--capture", "--fifo"])
        .arg(&fifo.path)
        .arg("--runtime")
        .arg(&runtime)
        .args(["--receiver-port", &port.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_port(port, Duration::from_secs(10));
    let start = Instant::now();
    while !dir.join("argv-run").exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "the runtime was not started");
        std::thread::sleep(Duration::from_millis(50));
    }
    terminate(child.id());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the capture did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    assert_eq!(recorded_argv(&dir.join("argv-stop")), ["stop".to_string(), format!("trackershark-{}", child.id())]);
    assert_eq!(fifo.lines(), Vec::<String>::new());
}

#[test]
fn a_failing_runtime_is_reported() {
    let dir = TempDir::new("fail");
    let runtime = standin_runtime(dir.path(), "echo 'Unable to find image' >&2; exit 3");
    let fifo = Fifo::new(&dir);
    let out = Command::new(CAPTURE)
        .args(["--capture", "--fifo"])
        .arg(&fifo.path)
        .arg("--runtime")
        .arg(&runtime)
        .args(["--receiver-port", &free_port().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exit status: 3") && err.contains("Unable to find image"), "{err}");
    fifo.lines();
}

#[test]
fn kubernetes_capture_reads_kubectl_lines_and_passes_values_literally() {
    let dir = TempDir::new("k8s");
    let marker = dir.join("pwned");
    let lines = sample_lines(10);
    let prefixed: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i % 2 == 0 { format!("[pod/tracee-{i}/tracee] {l}") } else { l.clone() })
        .collect();
    let lines_file = dir.join("lines.txt");
    write_lines(&lines_file, &prefixed);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_executable(
        &bin.join("kubectl"),
        &format!(
            "#!/bin/bash\nprintf '%s\\0' \"$@\" > {}/argv-kubectl\ncat {}\n",
            dir.path().display(),
            lines_file.display()
        ),
    );
    let hostile = hostile_values(&marker);
    let (ns, ctx, sel) = (&hostile[3], &hostile[7], &hostile[2]);
    let fifo = Fifo::new(&dir);
    let fifo_path = fifo.path.display().to_string();
    let out = run_capture(
        &[
            "--capture",
            "--fifo",
            &fifo_path,
            "--capture-type",
            "kubernetes",
            "--k8s-namespace",
            ns,
            "--k8s-context",
            ctx,
            "--k8s-selector",
            sel,
        ],
        Some(&bin),
    );
    assert!(out.status.success(), "{}", text(&out));
    // the kubectl prefix stays, as `trackershark convert` keeps it: the dissector shows it as the source
    assert_eq!(fifo.lines(), prefixed);
    assert_eq!(
        recorded_argv(&dir.join("argv-kubectl")),
        [
            format!("--context={ctx}"),
            "logs".into(),
            "--follow".into(),
            "--prefix".into(),
            "--tail=-1".into(),
            format!("--namespace={ns}"),
            format!("--selector={sel}"),
            "--max-log-requests=100".into(),
            "--all-containers=true".into(),
        ]
    );
    assert!(!marker.exists(), "a hostile value was executed");
}

#[test]
fn unsafe_ssh_host_and_user_are_refused_before_anything_runs() {
    let dir = TempDir::new("sshopts");
    let marker = dir.join("pwned");
    let m = marker.display().to_string();
    let proxy = format!("-oProxyCommand=touch {m}");
    for (host, user) in [
        (proxy.as_str(), None),
        ("host name", None),
        ("a\nb", None),
        ("", None),
        ("host", Some(proxy.as_str())),
        ("host", Some("a b")),
    ] {
        let mut args = vec!["--capture", "--fifo", "/nonexistent/fifo", "--capture-type", "ssh", "--ssh-host", host];
        if let Some(u) = user {
            args.extend(["--ssh-user", u]);
        }
        let out = run_capture(&args, None);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid SSH"), "{err}");
    }
    assert!(!marker.exists());
}

/// sshd runs the remote command with the user's shell: the quoted command line, run by real `sh`
/// and `bash` the way sshd does (`<shell> -c <command>`), gives the stand-in exactly the argv.
#[test]
fn the_remote_command_quoting_survives_real_shells() {
    let dir = TempDir::new("quote");
    let marker = dir.join("pwned");
    let runtime = standin_runtime(dir.path(), "");
    let hostile = hostile_values(&marker);
    let options: Vec<String> = hostile.iter().map(|v| shell_words::quote(v).into_owned()).collect();
    let args = Args::try_parse_from_args(&[
        "--capture-type",
        "ssh",
        "--ssh-host",
        "example",
        "--runtime",
        &runtime.display().to_string(),
        "--image",
        &hostile[4],
        "--tracker-options",
        &options.join(" "),
    ]);
    let argv = ssh_argv(&args, 4555, "trackershark-1").unwrap();
    assert_eq!(
        &argv[..7],
        ["ssh", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"]
    );
    let dashdash = argv.iter().position(|a| a == "--").unwrap();
    assert_eq!(argv[dashdash + 1], "example");
    assert_eq!(argv.len(), dashdash + 3, "one remote command string");
    let command = &argv[dashdash + 2];
    let tracker = trackershark_capture::extcap::tracker_argv(&args, 4000, "trackershark-1").unwrap();
    assert_eq!(command, &remote_command(&tracker));
    assert_eq!(&tracker[tracker.len() - hostile.len()..], &hostile[..]);
    for shell in ["sh", "bash"] {
        let _ = std::fs::remove_file(dir.join("argv-run"));
        let status = Command::new(shell).arg("-c").arg(command).status().unwrap();
        assert!(status.success());
        assert_eq!(tracker[0], runtime.display().to_string());
        assert_eq!(recorded_argv(&dir.join("argv-run")), tracker[1..], "through {shell}");
    }
    assert!(!marker.exists(), "a hostile value was executed");
}

trait ParseArgs {
    fn try_parse_from_args(args: &[&str]) -> Args;
}

impl ParseArgs for Args {
    fn try_parse_from_args(args: &[&str]) -> Args {
        use clap::Parser as _;
        Args::try_parse_from(std::iter::once("trackershark-capture").chain(args.iter().copied())).unwrap()
    }
}

/// Wireshark closing the fifo (the capture stopped, or Wireshark died) ends the capture and stops
/// the container, even while Tracker is still sending.
#[test]
fn a_closed_fifo_ends_the_capture_and_stops_the_container() {
    let dir = TempDir::new("closed");
    let lines = sample_lines(5);
    let lines_file = dir.join("lines.txt");
    // many events, slowly: the capture is still receiving when the fifo closes
    write_lines(&lines_file, &lines.iter().cycle().take(200).cloned().collect::<Vec<_>>());
    let on_run = format!(
        "{} {} \"$port\" message-ack {} 0.05; while :; do sleep 0.1; done",
        shell_words::quote(&forward_python().display().to_string()),
        shell_words::quote(&forward_client_script().display().to_string()),
        shell_words::quote(&lines_file.display().to_string())
    );
    let runtime = standin_runtime(dir.path(), &on_run);
    let fifo = dir.join("short.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Read as _;
            let mut f = std::fs::File::open(fifo).unwrap();
            // the section header, the interface and a few packets, then Wireshark goes away
            let mut buf = vec![0u8; 2000];
            f.read_exact(&mut buf).unwrap();
        })
    };
    let mut child = Command::new(CAPTURE)
        .args(["--capture", "--fifo"])
        .arg(&fifo)
        .arg("--runtime")
        .arg(&runtime)
        .args(["--receiver-port", &free_port().to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reader.join().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "the capture went on after the fifo closed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the capture") || err.contains("capture output closed"), "{err}");
    assert_eq!(recorded_argv(&dir.join("argv-stop"))[0], "stop");
}
