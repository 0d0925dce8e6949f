//! The extcap side: the options Wireshark shows, the command lines that start Tracker, and the
//! capture itself.
//!
//! No option value ever goes through a local shell: every program is started with an argument
//! vector. The free-text "Tracker options" are split into words like a shell would split them
//! (quotes, backslashes), but nothing in them is expanded or run. Over SSH the remote command *is*
//! run by the remote user's shell (that is how sshd runs commands), so each remote argument is
//! single-quoted for it; that quoting is the boundary, and the tests send hostile values through a
//! real sshd to check it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::output::{EventSink, PcapngSink};
use crate::receiver::{Config, Receiver};

pub const INTERFACE: &str = "tracker-capture";
pub const INTERFACE_DISPLAY: &str = "Tracker capture";
pub const FORWARD_TAG: &str = "tracker";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaptureType {
    /// Tracker in a container on this machine.
    Local,
    /// Tracker in a container on a remote host, over SSH with a reverse tunnel.
    Ssh,
    /// The logs of Tracker's DaemonSet, through kubectl.
    Kubernetes,
}

#[derive(Parser, Debug, Clone)]
#[command(name = "trackershark-capture", version, about = "Wireshark extcap: live capture of Tracker events")]
pub struct Args {
    #[arg(long)]
    pub extcap_interfaces: bool,
    #[arg(long)]
    pub extcap_dlts: bool,
    #[arg(long)]
    pub extcap_config: bool,
    /// Wireshark's version (given with --extcap-interfaces); alone: print this program's version.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub extcap_version: Option<String>,
    #[arg(long)]
    pub extcap_interface: Option<String>,
    #[arg(long)]
    pub capture: bool,
    #[arg(long)]
    pub fifo: Option<PathBuf>,
    /// Accepted and ignored: events are not filtered by a capture filter.
    #[arg(long)]
    pub extcap_capture_filter: Option<String>,
    #[arg(long)]
    pub extcap_control_in: Option<PathBuf>,
    #[arg(long)]
    pub extcap_control_out: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = CaptureType::Local)]
    pub capture_type: CaptureType,
    /// Container runtime command (docker, podman, or a path).
    #[arg(long, default_value = "docker")]
    pub runtime: String,
    #[arg(long, default_value = "aquasec/tracee:latest")]
    pub image: String,
    /// Extra Tracker options, split into words like a shell would (quotes, backslashes); never run.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub tracker_options: String,
    /// Port the receiver listens on, on 127.0.0.1.
    #[arg(long, default_value_t = 4000)]
    pub receiver_port: u16,
    #[arg(long, allow_hyphen_values = true)]
    pub ssh_host: Option<String>,
    #[arg(long, default_value_t = 22)]
    pub ssh_port: u16,
    #[arg(long, allow_hyphen_values = true)]
    pub ssh_user: Option<String>,
    #[arg(long)]
    pub ssh_identity: Option<PathBuf>,
    /// known_hosts file to check the host key against (default: ssh's own).
    #[arg(long)]
    pub ssh_known_hosts: Option<PathBuf>,
    /// Port Tracker sends to on the remote host (tunnelled back to the receiver).
    #[arg(long, default_value_t = 4000)]
    pub remote_port: u16,
    #[arg(long, default_value = "tracee")]
    pub k8s_namespace: String,
    #[arg(long)]
    pub k8s_context: Option<String>,
    /// Label selector of Tracker's pods; without it, the pods of daemonset/<k8s-daemonset>.
    #[arg(long)]
    pub k8s_selector: Option<String>,
    #[arg(long, default_value = "tracee")]
    pub k8s_daemonset: String,
    /// Seconds a Forward frame may take to arrive whole (slow clients are cut off).
    #[arg(long, default_value_t = 30, hide = true)]
    pub frame_timeout: u64,
    /// Seconds a Forward connection may stay silent.
    #[arg(long, default_value_t = 600, hide = true)]
    pub idle_timeout: u64,
    /// Forward connections served at once.
    #[arg(long, default_value_t = 8, hide = true)]
    pub max_connections: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{0}")]
    Option(String),
    #[error("{0}")]
    Receiver(#[from] crate::receiver::ReceiverError),
    #[error("cannot open the fifo {0}: {1}")]
    Fifo(PathBuf, std::io::Error),
    #[error("cannot start {0}: {1}")]
    Spawn(String, std::io::Error),
    #[error("{0}")]
    Failed(String),
    #[error("cannot write the capture: {0}")]
    Output(#[from] trackershark_engine::pcapng::PcapngError),
}

fn option_error(msg: impl Into<String>) -> CaptureError {
    CaptureError::Option(msg.into())
}

/// `--extcap-interfaces`.
pub fn interfaces() -> String {
    format!(
        "extcap {{version={}}}\ninterface {{value={INTERFACE}}}{{display={INTERFACE_DISPLAY}}}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// `--extcap-dlts`.
pub fn dlts() -> String {
    "dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=Tracker events}\n".to_string()
}

/// `--extcap-config`: the options Wireshark's capture dialog shows.
pub fn config() -> String {
    let args: &[(&str, &str, &str, &str)] = &[
        ("capture-type", "Capture type", "selector", ""),
        ("runtime", "Container runtime", "string", "{default=docker}"),
        ("image", "Tracker image", "string", "{default=aquasec/tracee:latest}"),
        ("tracker-options", "Tracker options", "string", "{tooltip=Extra command-line options for Tracker}"),
        ("receiver-port", "Receiver port (127.0.0.1)", "unsigned", "{default=4000}{range=1,65535}"),
        ("ssh-host", "SSH host", "string", "{group=SSH}"),
        ("ssh-port", "SSH port", "unsigned", "{default=22}{range=1,65535}{group=SSH}"),
        ("ssh-user", "SSH user", "string", "{group=SSH}"),
        ("ssh-identity", "SSH identity file", "fileselect", "{mustexist=true}{group=SSH}"),
        ("ssh-known-hosts", "SSH known hosts file", "fileselect", "{mustexist=true}{group=SSH}"),
        ("remote-port", "Remote port for Tracker", "unsigned", "{default=4000}{range=1,65535}{group=SSH}"),
        ("k8s-namespace", "Kubernetes namespace", "string", "{default=tracee}{group=Kubernetes}"),
        ("k8s-context", "Kubernetes context", "string", "{group=Kubernetes}"),
        ("k8s-selector", "Kubernetes label selector", "string", "{group=Kubernetes}"),
        ("k8s-daemonset", "Kubernetes DaemonSet", "string", "{default=tracee}{group=Kubernetes}"),
    ];
    let mut out = String::new();
    for (i, (call, display, kind, extra)) in args.iter().enumerate() {
        out.push_str(&format!("arg {{number={i}}}{{call=--{call}}}{{display={display}}}{{type={kind}}}{extra}\n"));
    }
    for (value, display, default) in
        [("local", "Local", true), ("ssh", "Remote (SSH)", false), ("kubernetes", "Kubernetes", false)]
    {
        out.push_str(&format!("value {{arg=0}}{{value={value}}}{{display={display}}}{{default={default}}}\n"));
    }
    out
}

/// The words of the free-text Tracker options (shell-like quoting, nothing expanded).
pub fn tracker_options(text: &str) -> Result<Vec<String>, CaptureError> {
    shell_words::split(text).map_err(|e| option_error(format!("Tracker options: {e}")))
}

/// The container name a capture gives Tracker, to stop it by name.
pub fn container_name() -> String {
    format!("trackershark-{}", std::process::id())
}

/// The container runtime's argument vector that runs Tracker sending to `forward_port`.
pub fn tracker_argv(args: &Args, forward_port: u16, name: &str) -> Result<Vec<String>, CaptureError> {
    if args.runtime.is_empty() {
        return Err(option_error("the container runtime is empty"));
    }
    if args.image.is_empty() || args.image.starts_with('-') {
        return Err(option_error(format!("invalid image name {:?}", args.image)));
    }
    let mut argv: Vec<String> = [
        args.runtime.as_str(),
        "run",
        "--rm",
        "--name",
        name,
        "--pid=host",
        "--cgroupns=host",
        "--privileged",
        "--network=host",
        "-v",
        "/etc/os-release:/etc/os-release-host:ro",
        "-v",
        "/var/run:/var/run:ro",
        // everything after the image is Tracker's, so nothing below can become a runtime option
        args.image.as_str(),
        "--output",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.push(format!("forward:tcp://127.0.0.1:{forward_port}?tag={FORWARD_TAG}"));
    argv.extend(tracker_options(&args.tracker_options)?);
    Ok(argv)
}

/// A host or user name that ssh cannot take for an option or split: no leading `-`, no
/// whitespace or control characters, not empty.
fn check_ssh_word(what: &str, value: &str) -> Result<(), CaptureError> {
    if value.is_empty() || value.starts_with('-') || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(option_error(format!(
            "invalid SSH {what} {value:?}: it must not be empty, start with '-' or contain spaces or control characters"
        )));
    }
    Ok(())
}

/// The remote command line: each word single-quoted for the remote user's shell.
pub fn remote_command(argv: &[String]) -> String {
    shell_words::join(argv)
}

/// ssh's argument vector: host-key checking on, no password prompts, the reverse tunnel from the
/// remote `remote_port` to the local receiver, and the quoted remote command.
pub fn ssh_argv(args: &Args, local_port: u16, name: &str) -> Result<Vec<String>, CaptureError> {
    let (mut argv, host) = ssh_base(args)?;
    argv.extend(["-R".into(), format!("127.0.0.1:{}:127.0.0.1:{local_port}", args.remote_port)]);
    argv.push("--".into());
    argv.push(host);
    argv.push(remote_command(&tracker_argv(args, args.remote_port, name)?));
    Ok(argv)
}

/// ssh's argument vector that stops the remote container (`<runtime> stop <name>`) at the end of a
/// capture: ending ssh alone would leave it running.
pub fn ssh_stop_argv(args: &Args, name: &str) -> Result<Vec<String>, CaptureError> {
    let (mut argv, host) = ssh_base(args)?;
    argv.extend(["--".into(), host, remote_command(&[args.runtime.clone(), "stop".into(), name.to_string()])]);
    Ok(argv)
}

/// ssh and its options, and the checked host.
fn ssh_base(args: &Args) -> Result<(Vec<String>, String), CaptureError> {
    let host = args.ssh_host.as_deref().ok_or_else(|| option_error("an SSH capture needs --ssh-host"))?;
    check_ssh_word("host", host)?;
    let mut argv: Vec<String> =
        ["ssh", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    argv.extend(["-o".into(), "ServerAliveInterval=15".into(), "-p".into(), args.ssh_port.to_string()]);
    if let Some(known) = &args.ssh_known_hosts {
        // ssh reads this value itself (it is not a shell word), but a space would split it
        let known = known.to_str().ok_or_else(|| option_error("the known-hosts path is not UTF-8"))?;
        if known.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"') {
            return Err(option_error("the known-hosts path must not contain spaces, quotes or control characters"));
        }
        argv.extend([
            "-o".into(),
            format!("UserKnownHostsFile={known}"),
            "-o".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
        ]);
    }
    if let Some(id) = &args.ssh_identity {
        let id = id.to_str().ok_or_else(|| option_error("the identity path is not UTF-8"))?;
        argv.extend(["-i".into(), id.to_string(), "-o".into(), "IdentitiesOnly=yes".into()]);
    }
    if let Some(user) = &args.ssh_user {
        check_ssh_word("user", user)?;
        argv.extend(["-l".into(), user.clone()]);
    }
    Ok((argv, host.to_string()))
}

/// kubectl's argument vector: follow the logs of every Tracker pod, each line prefixed with its
/// pod and container.
pub fn kubectl_argv(args: &Args) -> Result<Vec<String>, CaptureError> {
    let mut argv: Vec<String> = vec!["kubectl".into()];
    if let Some(ctx) = &args.k8s_context {
        argv.push(format!("--context={ctx}"));
    }
    argv.extend(["logs".into(), "--follow".into(), "--prefix".into(), "--tail=-1".into()]);
    argv.push(format!("--namespace={}", args.k8s_namespace));
    match &args.k8s_selector {
        Some(sel) => {
            argv.extend([format!("--selector={sel}"), "--max-log-requests=100".into(), "--all-containers=true".into()])
        }
        None => argv.push(format!("daemonset/{}", args.k8s_daemonset)),
    }
    Ok(argv)
}

fn spawn(argv: &[String], stdout: Stdio) -> Result<Child, CaptureError> {
    Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CaptureError::Spawn(argv[0].clone(), e))
}

/// Copies a child's stderr to ours (Wireshark shows it) and keeps its last lines.
struct Relay {
    last: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    /// The last lines, once the child's stderr has ended (or after 2 s).
    fn last_lines(&self) -> Arc<Mutex<Vec<String>>> {
        if let Some(t) = &self.thread {
            let start = std::time::Instant::now();
            while !t.is_finished() && start.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        self.last.clone()
    }
}

fn relay_stderr(child: &mut Child, program: &str) -> Relay {
    let last = Arc::new(Mutex::new(Vec::new()));
    let mut thread = None;
    if let Some(err) = child.stderr.take() {
        let (last, program) = (last.clone(), program.to_string());
        thread = Some(std::thread::spawn(move || {
            for line in BufReader::new(err.take(1 << 30)).lines().map_while(Result::ok) {
                eprintln!("{program}: {line}");
                let mut l = last.lock().unwrap();
                if l.len() == 20 {
                    l.remove(0);
                }
                l.push(line.chars().take(500).collect());
            }
        }));
    }
    Relay { last, thread }
}

fn register_signals(stop: &Arc<AtomicBool>) {
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
}

fn open_fifo(args: &Args) -> Result<std::fs::File, CaptureError> {
    let fifo = args.fifo.clone().ok_or_else(|| option_error("--capture needs --fifo"))?;
    std::fs::OpenOptions::new().write(true).open(&fifo).map_err(|e| CaptureError::Fifo(fifo, e))
}

/// Waits for the child to exit or for `stop`; on stop, ends it (and `stop_argv`, if any, stops what
/// it started, e.g. the container).
fn supervise(child: &mut Child, stop: &AtomicBool, stop_argv: Option<Vec<String>>) -> Option<ExitStatus> {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if stop.load(Ordering::SeqCst) {
            if let Some(argv) = stop_argv {
                run_bounded(&argv, Duration::from_secs(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs a command to its end, or kills it after `limit`.
fn run_bounded(argv: &[String], limit: Duration) {
    let Ok(mut child) = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).stdout(Stdio::null()).spawn()
    else {
        return;
    };
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn failure(program: &str, status: ExitStatus, stderr: &Mutex<Vec<String>>) -> CaptureError {
    let lines = stderr.lock().unwrap().join("\n");
    let hint = if program == "ssh" && lines.contains("Host key verification failed") {
        " — the host key is not in the known-hosts file or does not match it (host-key checking is on: \
         verify the host's fingerprint, then add it to the known-hosts file)"
    } else if program == "ssh" && status.code() == Some(255) {
        " — the SSH connection failed"
    } else {
        ""
    };
    CaptureError::Failed(format!(
        "{program} exited with {status}{hint}{}{lines}",
        if lines.is_empty() { "" } else { ":\n" }
    ))
}

/// `--capture`: runs until Tracker (or kubectl, or ssh) ends, Wireshark stops the capture
/// (SIGTERM), or the fifo closes.
pub fn capture(args: &Args) -> Result<(), CaptureError> {
    if args.extcap_interface.as_deref().is_some_and(|i| i != INTERFACE) {
        return Err(option_error(format!("unknown interface {:?}", args.extcap_interface.as_deref().unwrap_or(""))));
    }
    let stop = Arc::new(AtomicBool::new(false));
    register_signals(&stop);
    let name = container_name();
    // check every option before touching the fifo or the network
    let argv = match args.capture_type {
        CaptureType::Local => tracker_argv(args, args.receiver_port, &name)?,
        CaptureType::Ssh => ssh_argv(args, args.receiver_port, &name)?,
        CaptureType::Kubernetes => kubectl_argv(args)?,
    };
    let fifo = open_fifo(args)?;
    let sink = PcapngSink::new(fifo)?;
    if args.capture_type == CaptureType::Kubernetes {
        return follow_lines(&argv, Box::new(sink), &stop);
    }
    let config = Config {
        addr: SocketAddr::from(([127, 0, 0, 1], args.receiver_port)),
        frame_timeout: Duration::from_secs(args.frame_timeout.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        max_connections: args.max_connections.max(1),
        ..Config::default()
    };
    let receiver = Receiver::bind(config, Box::new(sink), stop.clone())?;
    let receiving = receiver.spawn();
    let mut child = spawn(&argv, Stdio::inherit())?;
    let program = if args.capture_type == CaptureType::Ssh { "ssh".to_string() } else { args.runtime.clone() };
    let stderr = relay_stderr(&mut child, &program);
    let stop_argv = match args.capture_type {
        CaptureType::Local => Some(vec![args.runtime.clone(), "stop".into(), name.clone()]),
        CaptureType::Ssh => Some(ssh_stop_argv(args, &name)?),
        CaptureType::Kubernetes => None,
    };
    let status = supervise(&mut child, &stop, stop_argv);
    stop.store(true, Ordering::SeqCst);
    let sink_ok = receiving.join().unwrap_or(false);
    match status {
        Some(s) if !s.success() => Err(failure(&program, s, &stderr.last_lines())),
        _ if !sink_ok => Err(CaptureError::Failed("the capture output closed".into())),
        _ => Ok(()),
    }
}

/// Kubernetes: every line of kubectl's output is an event line (with its `[pod/…/…]` prefix, which
/// the dissector shows as the log source). Lines longer than the frame bound are cut off and
/// reported, never held whole.
fn follow_lines(argv: &[String], mut sink: Box<dyn EventSink>, stop: &Arc<AtomicBool>) -> Result<(), CaptureError> {
    let mut child = spawn(argv, Stdio::piped())?;
    let stderr = relay_stderr(&mut child, "kubectl");
    let out = child.stdout.take().expect("piped stdout");
    let max_line = crate::forward::Limits::default().max_frame;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
    let reader = std::thread::spawn(move || {
        let mut rd = BufReader::with_capacity(64 << 10, out);
        let mut line = Vec::new();
        let mut overlong = false;
        loop {
            let (done, used) = {
                let Ok(buf) = rd.fill_buf() else { break };
                if buf.is_empty() {
                    break;
                }
                match buf.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        if !overlong {
                            line.extend_from_slice(&buf[..i]);
                        }
                        (true, i + 1)
                    }
                    None => {
                        if !overlong {
                            line.extend_from_slice(buf);
                        }
                        (false, buf.len())
                    }
                }
            };
            rd.consume(used);
            if line.len() > max_line {
                overlong = true;
                line.truncate(max_line);
            }
            if done {
                if overlong {
                    eprintln!("trackershark-capture: a kubectl line longer than {max_line} bytes was cut off");
                }
                overlong = false;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if tx.send(std::mem::take(&mut line)).is_err() {
                    return;
                }
            }
        }
        if !line.is_empty() {
            let _ = tx.send(line);
        }
    });
    let mut result = Ok(());
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Err(e) = sink.event(&line, None) {
                    result = Err(CaptureError::Output(e));
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = if result.is_err() || stop.load(Ordering::SeqCst) {
        let _ = child.kill();
        let _ = child.wait();
        None
    } else {
        child.wait().ok()
    };
    drop(rx);
    let _ = reader.join();
    result?;
    match status {
        Some(s) if !s.success() => Err(failure("kubectl", s, &stderr.last_lines())),
        _ => Ok(()),
    }
}

/// Runs what the arguments ask for, printing to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), CaptureError> {
    let wrong_interface = args.extcap_interface.as_deref().is_some_and(|i| i != INTERFACE);
    if args.extcap_interfaces {
        write!(out, "{}", interfaces()).ok();
    } else if wrong_interface && (args.extcap_dlts || args.extcap_config || args.capture) {
        return Err(option_error(format!("unknown interface {:?}", args.extcap_interface.as_deref().unwrap_or(""))));
    } else if args.extcap_dlts {
        write!(out, "{}", dlts()).ok();
    } else if args.extcap_config {
        write!(out, "{}", config()).ok();
    } else if args.capture {
        capture(args)?;
    } else if args.extcap_version.is_some() {
        writeln!(out, "trackershark-capture {}", env!("CARGO_PKG_VERSION")).ok();
    } else {
        return Err(option_error(
            "nothing to do: use --extcap-interfaces, --extcap-dlts, --extcap-config or --capture",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("trackershark-capture").chain(list.iter().copied())).unwrap()
    }

    #[test]
    fn unbalanced_quotes_and_option_like_images_are_refused() {
        assert!(tracker_options("--filter 'comm=x").is_err());
        assert_eq!(tracker_options(r#"-f "a b" c\ d"#).unwrap(), ["-f", "a b", "c d"]);
        assert!(tracker_argv(&args(&["--image=--privileged"]), 4000, "n").is_err());
        assert!(tracker_argv(&args(&["--runtime="]), 4000, "n").is_err());
    }

    #[test]
    fn ssh_options_and_tunnel() {
        let a = args(&[
            "--capture-type=ssh",
            "--ssh-host=h.example",
            "--ssh-port=2222",
            "--ssh-user=u",
            "--ssh-identity=/k/id key",
            "--ssh-known-hosts=/k/known",
            "--remote-port=4100",
        ]);
        let argv = ssh_argv(&a, 5000, "trackershark-1").unwrap();
        let text = argv.join(" ");
        for part in [
            "-o StrictHostKeyChecking=yes",
            "-o BatchMode=yes",
            "-p 2222",
            "-o UserKnownHostsFile=/k/known",
            "-i /k/id key",
            "-l u",
            "-R 127.0.0.1:4100:127.0.0.1:5000 -- h.example",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
        assert!(argv.last().unwrap().contains("'forward:tcp://127.0.0.1:4100?tag=tracker'"), "{text}");
        let stop = ssh_stop_argv(&a, "trackershark-1").unwrap();
        assert_eq!(&stop[stop.len() - 3..], ["--", "h.example", "docker stop trackershark-1"]);
        assert!(ssh_argv(&args(&["--ssh-host=h", "--ssh-known-hosts=/a b"]), 1, "n").is_err());
        assert!(ssh_argv(&args(&["--capture-type=ssh"]), 1, "n").is_err());
    }

    #[test]
    fn kubectl_follows_the_daemonset_by_default() {
        assert_eq!(
            kubectl_argv(&args(&[])).unwrap(),
            ["kubectl", "logs", "--follow", "--prefix", "--tail=-1", "--namespace=tracee", "daemonset/tracee"]
        );
    }
}
