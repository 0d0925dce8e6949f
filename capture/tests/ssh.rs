//! Remote capture through a real OpenSSH server on 127.0.0.1, with its own host key, client key and
//! configuration (scripts/setup.sh installs openssh-server; nothing else of the machine's sshd is
//! used). The "remote" container runtime is a stand-in that records its argv and, like Tracker, sends
//! Forward messages to 127.0.0.1:<remote port>, which the capture's reverse tunnel brings back.
//!   - a known host key: hostile option values reach the remote program literally, nothing runs,
//!     and the events arrive through the tunnel in the fifo;
//!   - an unknown or a different host key: ssh refuses (host-key checking is on), the remote
//!     program never runs, and the capture exits with a clear error.
//!
//! One test, one sshd.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::*;

struct Sshd {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "trackershark-test", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(path.with_extension("pub")).unwrap().trim().to_string()
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn start_sshd(dir: &TempDir, client_pub: &str) -> Sshd {
    let sshd = Path::new("/usr/sbin/sshd");
    assert!(sshd.exists(), "/usr/sbin/sshd is missing: run scripts/setup.sh (it installs openssh-server)");
    keygen(&dir.join("host_key"));
    std::fs::write(dir.join("authorized_keys"), format!("{client_pub}\n")).unwrap();
    let port = free_port();
    let log = dir.join("sshd.log");
    let config = format!(
        "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n\
         PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
         PidFile none\nAllowTcpForwarding yes\nGatewayPorts no\nX11Forwarding no\nPrintMotd no\nLogLevel VERBOSE\n",
        d = dir.path().display()
    );
    let config_path = dir.join("sshd_config");
    std::fs::write(&config_path, config).unwrap();
    // the privilege-separation directory sshd needs when it runs as root
    let _ = std::fs::create_dir_all("/run/sshd");
    let child = Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(&config_path)
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let s = Sshd { child, port, log };
    wait_for_port(port, Duration::from_secs(10));
    s
}

fn capture(
    dir: &TempDir,
    sshd: &Sshd,
    known_hosts: &Path,
    runtime: &Path,
    image: &str,
    options: &str,
    fifo: &Fifo,
) -> Output {
    capture_command(dir, sshd, known_hosts, runtime, image, options, fifo).output().unwrap()
}

fn capture_command(
    dir: &TempDir,
    sshd: &Sshd,
    known_hosts: &Path,
    runtime: &Path,
    image: &str,
    options: &str,
    fifo: &Fifo,
) -> Command {
    let (remote_port, local_port) = (free_port(), free_port());
    let mut cmd = Command::new(CAPTURE);
    cmd.args(["--capture", "--extcap-interface", "tracker-capture", "--fifo"])
        .arg(&fifo.path)
        .args([
            "--capture-type",
            "ssh",
            "--ssh-host",
            "127.0.0.1",
            "--ssh-port",
            &sshd.port.to_string(),
            "--ssh-user",
            &user(),
        ])
        .arg("--ssh-identity")
        .arg(dir.join("client_key"))
        .arg("--ssh-known-hosts")
        .arg(known_hosts)
        .arg("--runtime")
        .arg(runtime)
        .args(["--image", image, "--tracker-options", options])
        .args(["--remote-port", &remote_port.to_string(), "--receiver-port", &local_port.to_string()]);
    cmd
}

fn show(out: &Output, sshd: &Sshd) -> String {
    format!(
        "status {}\nstderr:\n{}\nsshd log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&sshd.log).unwrap_or_default()
    )
}

#[test]
fn remote_capture_over_a_real_sshd() {
    let dir = TempDir::new("ssh");
    let client_pub = keygen(&dir.join("client_key"));
    let sshd = start_sshd(&dir, &client_pub);
    let host_pub = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
    let host_key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    let known = dir.join("known_hosts");
    std::fs::write(&known, format!("[127.0.0.1]:{} {}\n", sshd.port, host_key.join(" "))).unwrap();

    let marker = dir.join("pwned");
    let lines = sample_lines(25);
    let lines_file = dir.join("lines.txt");
    write_lines(&lines_file, &lines);
    // the remote Tracker stand-in: wait for the tunnel's remote end, then send acked events to it
    let on_run = format!(
        "for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done\n    exec {} {} \"$port\" message-ack {}",
        shell_words::quote(&forward_python().display().to_string()),
        shell_words::quote(&forward_client_script().display().to_string()),
        shell_words::quote(&lines_file.display().to_string())
    );
    let runtime = standin_runtime(dir.path(), &on_run);
    let hostile = hostile_values(&marker);
    let options: Vec<String> = hostile.iter().map(|v| shell_words::quote(v).into_owned()).collect();
    let image = &hostile[3];

    // (a) a known host key: values arrive literally, events come back through the tunnel
    let fifo = Fifo::new(&dir);
    let out = capture(&dir, &sshd, &known, &runtime, image, &options.join(" "), &fifo);
    assert!(out.status.success(), "{}", show(&out, &sshd));
    assert_eq!(fifo.lines(), lines, "the events sent on the remote side");
    let argv = recorded_argv(&dir.join("argv-run"));
    assert_eq!(argv[0], "run");
    let at_image = argv.iter().position(|a| a == image).expect("the image as one argument");
    assert_eq!(argv[at_image + 1], "--output");
    assert!(argv[at_image + 2].starts_with("forward:tcp://127.0.0.1:") && argv[at_image + 2].ends_with("?tag=tracker"));
    assert_eq!(&argv[at_image + 3..], &hostile[..], "hostile values through the remote shell");
    assert!(!marker.exists(), "a hostile value was executed on the remote side");

    // stopping the capture (SIGTERM, as Wireshark does) stops the remote container too
    let stopper = dir.join("stopper");
    std::fs::create_dir_all(&stopper).unwrap();
    let sleeper = standin_runtime(&stopper, "while :; do sleep 0.1; done");
    let fifo = Fifo::new_named(&dir, "stop.fifo");
    let mut cmd = capture_command(&dir, &sshd, &known, &sleeper, "img", "", &fifo);
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let start = std::time::Instant::now();
    while !stopper.join("argv-run").exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "the remote runtime was not started");
        std::thread::sleep(Duration::from_millis(50));
    }
    terminate(pid);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out, &sshd));
    assert_eq!(recorded_argv(&stopper.join("argv-stop")), ["stop".to_string(), format!("trackershark-{pid}")]);
    assert_eq!(fifo.lines(), Vec::<String>::new());

    // (b) no key for the host, then a different key: refused before the remote command runs
    std::fs::remove_file(dir.join("argv-run")).unwrap();
    let empty = dir.join("known_hosts_empty");
    std::fs::write(&empty, "").unwrap();
    let other = keygen(&dir.join("other_key"));
    let other: Vec<&str> = other.split_whitespace().take(2).collect();
    let wrong = dir.join("known_hosts_wrong");
    std::fs::write(&wrong, format!("[127.0.0.1]:{} {}\n", sshd.port, other.join(" "))).unwrap();
    for known_hosts in [&empty, &wrong] {
        let fifo = Fifo::new_named(&dir, "refused.fifo");
        let out = capture(&dir, &sshd, known_hosts, &runtime, "img", "", &fifo);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out, &sshd));
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!("refused as expected:\n{err}");
        assert!(err.contains("Host key verification failed"), "{err}");
        assert!(err.contains("host-key checking is on"), "{err}");
        assert!(!dir.join("argv-run").exists(), "the remote command ran");
        assert_eq!(fifo.lines(), Vec::<String>::new());
        std::fs::remove_file(dir.join("refused.fifo")).unwrap();
    }
}
