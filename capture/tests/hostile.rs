//! Hostile Forward clients against the real capture process (the extcap, with a stand-in runtime
//! that keeps running): garbage, frames declaring 4 GiB, a 100 MB frame, a value flood, a gzip bomb,
//! deep nesting, a slow loris, a silent connection and a flood of connections, all at once, while a
//! well-behaved client (msgpack-python, asking for acks) sends events (the flood of connections comes last). The receiver must close every
//! bad connection, get every good event through exactly, and keep its peak memory (VmHWM) bounded.
//! One test in this file, so nothing else shares the process being measured.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use rmpv::Value;

const TAG: &[u8] = b"\xa7tracker";
/// Peak memory allowed to the capture process under all the attacks at once.
const RSS_BOUND_MIB: u64 = 256;

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Whether the server closes the connection within `within` (reads and drops what it sends).
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 4096];
    while start.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

fn pseudo_random(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn frame(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    rmpv::encode::write_value(&mut b, v).unwrap();
    b
}

type Attack = JoinHandle<(String, bool, String)>;

/// Sends `bytes` (as much as the server takes) and expects the connection to be closed.
fn attack(name: &str, port: u16, bytes: Vec<u8>, within: Duration) -> Attack {
    let name = name.to_string();
    std::thread::spawn(move || {
        let mut s = connect(port);
        let mut sent = 0usize;
        for chunk in bytes.chunks(1 << 20) {
            match s.write_all(chunk) {
                Ok(()) => sent += chunk.len(),
                Err(_) => break,
            }
        }
        let closed = closed_within(&mut s, within);
        (name, closed, format!("{sent} of {} bytes written before the close", bytes.len()))
    })
}

#[test]
fn hostile_clients_cannot_crash_the_receiver_or_exhaust_its_memory() {
    let dir = TempDir::new("hostile");
    let lines = sample_lines(60);
    let lines_file = dir.join("lines.txt");
    write_lines(&lines_file, &lines);
    let runtime = standin_runtime(dir.path(), "while :; do sleep 0.1; done");
    let port = free_port();
    let fifo = Fifo::new(&dir);
    let stderr = std::fs::File::create(dir.join("stderr.txt")).unwrap();
    let mut capture = Command::new(CAPTURE)
        .args(["--capture", "--fifo"])
        .arg(&fifo.path)
        .arg("--runtime")
        .arg(&runtime)
        .args([
            "--receiver-port",
            &port.to_string(),
            "--frame-timeout",
            "3",
            "--idle-timeout",
            "5",
            "--max-connections",
            "16",
        ])
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap();
    let pid = capture.id();
    wait_for_port(port, Duration::from_secs(10));
    let rss_start = peak_rss_kib(pid);

    // the well-behaved client: one event every 400 ms, each acked, throughout the attacks
    let good = {
        let file = lines_file.clone();
        std::thread::spawn(move || {
            Command::new(forward_python())
                .arg(forward_client_script())
                .args([&port.to_string(), "message-ack"])
                .arg(file)
                .arg("0.4")
                .output()
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(1500));

    let quick = Duration::from_secs(5);
    let mut attacks: Vec<Attack> = Vec::new();
    let mut garbage = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    garbage.extend(pseudo_random(1 << 20, 7));
    attacks.push(attack("garbage (1 MiB, HTTP then random bytes)", port, garbage, quick));
    let mut garbage2 = vec![0x94];
    garbage2.extend(pseudo_random(1 << 16, 11));
    attacks.push(attack("garbage after an array header", port, garbage2, Duration::from_secs(10)));
    let event_key = b"\x81\xa5event".to_vec();
    for (name, header) in [
        ("str32 declaring 4 GiB", [&[0x94][..], TAG, &[0x01], &event_key, &[0xdb, 0xff, 0xff, 0xff, 0xff]].concat()),
        ("bin32 declaring 4 GiB", [&[0x93][..], TAG, &[0xc6, 0xff, 0xff, 0xff, 0xff]].concat()),
        ("array32 declaring 4 G entries", [&[0x93][..], TAG, &[0xdd, 0xff, 0xff, 0xff, 0xff]].concat()),
        ("map32 declaring 4 G pairs", [&[0x94][..], TAG, &[0x01], &[0xdf, 0xff, 0xff, 0xff, 0xff]].concat()),
        ("ext32 declaring 4 GiB", [&[0x93][..], TAG, &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00]].concat()),
    ] {
        attacks.push(attack(name, port, header, quick));
    }
    let big = 100_000_000u32;
    let mut hundred_mb = [&[0x94][..], TAG, &[0x01], &event_key, &[0xdb], &big.to_be_bytes()].concat();
    hundred_mb.resize(hundred_mb.len() + big as usize, b'a');
    attacks.push(attack("100 MB frame", port, hundred_mb, quick));
    // arrays of nils: each header within bounds, but 4 G values in all
    let mut flood = [&[0x92][..], TAG, &[0xdc, 0xff, 0xff]].concat();
    for _ in 0..64 {
        flood.extend_from_slice(&[0xdc, 0xff, 0xff]);
        flood.extend(std::iter::repeat_n(0xc0, 0xffff));
    }
    attacks.push(attack("value flood (arrays of 65535 nils)", port, flood, quick));
    let bomb = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    };
    let bomb_len = bomb.len();
    let bomb = frame(&Value::Array(vec![
        Value::from("tracker"),
        Value::Binary(bomb),
        Value::Map(vec![(Value::from("compressed"), Value::from("gzip"))]),
    ]));
    attacks.push(attack(
        &format!("gzip bomb (1 GiB of zeros in {} KiB)", bomb_len >> 10),
        port,
        bomb,
        Duration::from_secs(10),
    ));
    attacks.push(attack("deep nesting (1 M nested arrays)", port, vec![0x91; 1 << 20], quick));
    // a valid frame, one byte a second: cut off by the frame timeout (3 s)
    attacks.push(std::thread::spawn(move || {
        let f = frame(&Value::Array(vec![
            Value::from("tracker"),
            Value::from(1u64),
            Value::Map(vec![(Value::from("event"), Value::from("{\"eventName\":\"slow\"}"))]),
        ]));
        let mut s = connect(port);
        let start = Instant::now();
        let mut sent = 0;
        for b in &f {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            sent += 1;
            std::thread::sleep(Duration::from_secs(1));
            if start.elapsed() > Duration::from_secs(15) {
                break;
            }
        }
        let closed = sent < f.len() || closed_within(&mut s, Duration::from_secs(5));
        (
            "slow loris (1 byte/s)".into(),
            closed,
            format!("{sent} of {} bytes written, closed after {:.1} s", f.len(), start.elapsed().as_secs_f64()),
        )
    }));
    attacks.push(std::thread::spawn(move || {
        let mut s = connect(port);
        let start = Instant::now();
        let closed = closed_within(&mut s, Duration::from_secs(15));
        ("silent connection".into(), closed, format!("closed after {:.1} s", start.elapsed().as_secs_f64()))
    }));
    let mut results = Vec::new();
    for a in attacks.drain(..) {
        results.push(a.join().unwrap());
    }
    // then more connections than the receiver serves (16): the idle ones make room
    attacks.push(std::thread::spawn(move || {
        let mut conns: Vec<TcpStream> = (0..200).filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok()).collect();
        let opened = conns.len();
        let start = Instant::now();
        let closed =
            conns.iter_mut().all(|c| closed_within(c, Duration::from_secs(15).saturating_sub(start.elapsed())));
        (
            "200 parallel idle connections".into(),
            closed,
            format!("{opened} opened, all closed after {:.1} s", start.elapsed().as_secs_f64()),
        )
    }));

    for a in attacks {
        results.push(a.join().unwrap());
    }
    let good = good.join().unwrap();
    let rss_peak = peak_rss_kib(pid);
    assert!(
        capture.try_wait().unwrap().is_none(),
        "the capture died: {}",
        std::fs::read_to_string(dir.join("stderr.txt")).unwrap()
    );
    assert!(
        good.status.success(),
        "the good client failed: {}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    terminate(pid);
    assert!(capture.wait().unwrap().success());
    assert_eq!(fifo.lines(), lines, "exactly the good client's events");
    let log = std::fs::read_to_string(dir.join("stderr.txt")).unwrap();

    for (name, closed, detail) in &results {
        eprintln!("{name}: closed={closed}, {detail}");
        report("capture.md", &format!("| {name} | {} | {detail} |", if *closed { "closed" } else { "NOT closed" }));
    }
    let peak_mib = rss_peak / 1024;
    eprintln!("capture process peak RSS: {peak_mib} MiB (at start {} MiB)", rss_start / 1024);
    report(
        "capture.md",
        &format!("| during all of the above, a good client sending 60 acked events | 60 of 60 events exact | peak RSS {peak_mib} MiB (bound {RSS_BOUND_MIB} MiB) |"),
    );
    assert!(results.iter().all(|(_, closed, _)| *closed), "{results:?}\n{log}");
    for expected in [
        "frame too large",
        "nested deeper",
        "more than 2000000 msgpack values",
        "decompresses to more than",
        "slow or stalled",
        "nothing received",
        "too many connections",
        "not a Forward frame",
    ] {
        assert!(log.contains(expected), "no {expected:?} in the capture's log:\n{log}");
    }
    assert!(peak_mib < RSS_BOUND_MIB, "peak RSS {peak_mib} MiB");
}
