//! The receiver with real Fluent Forward clients (fluent-logger and msgpack-python), in every
//! Forward mode: the exact lines come out as pcapng packets, and asked-for acks come back.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use trackershark_capture::output::PcapngSink;
use trackershark_capture::receiver::{Config, Receiver, ReceiverError};

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines_of(pcapng: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    trackershark_engine::pcapng::pcapng_to_json(pcapng, &mut out).unwrap();
    String::from_utf8(out).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn every_forward_mode_from_a_real_client() {
    let dir = TempDir::new("modes");
    let lines = sample_lines(40);
    let file = dir.join("lines.txt");
    write_lines(&file, &lines);
    for mode in ["logger", "message-ack", "forward", "packed", "gzip"] {
        let out = Shared::default();
        let stop = Arc::new(AtomicBool::new(false));
        let config = Config { addr: "127.0.0.1:0".parse().unwrap(), ..Config::default() };
        let receiver = Receiver::bind(config, Box::new(PcapngSink::new(out.clone()).unwrap()), stop.clone()).unwrap();
        let port = receiver.local_addr().port();
        let stats = receiver.stats();
        let running = receiver.spawn();
        send_with_client(port, mode, &file);
        // fluent-logger sends without acks: wait until the receiver has written everything
        let start = std::time::Instant::now();
        while stats.events.load(Ordering::SeqCst) < lines.len() as u64 && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        stop.store(true, Ordering::SeqCst);
        assert!(running.join().unwrap());
        assert_eq!(lines_of(&out.0.lock().unwrap()), lines, "mode {mode}");
        let acks = stats.acks.load(Ordering::SeqCst);
        let want = match mode {
            "logger" => 0,
            "message-ack" => lines.len() as u64,
            _ => 1,
        };
        assert_eq!(acks, want, "acks in mode {mode}");
        assert_eq!(stats.refused.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn only_loopback_addresses_are_accepted() {
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:4000", "10.0.0.1:0", "[2001:db8::1]:0"] {
        let addr: SocketAddr = addr.parse().unwrap();
        let config = Config { addr, ..Config::default() };
        let sink = Box::new(PcapngSink::new(Vec::new()).unwrap());
        match Receiver::bind(config, sink, Arc::new(AtomicBool::new(false))) {
            Err(e @ ReceiverError::NotLoopback(_)) => {
                assert!(e.to_string().contains("loopback addresses only"), "{e}")
            }
            Err(e) => panic!("{addr}: {e}"),
            Ok(_) => panic!("{addr} was accepted"),
        }
    }
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let config = Config { addr: addr.parse().unwrap(), ..Config::default() };
        let sink = Box::new(PcapngSink::new(Vec::new()).unwrap());
        match Receiver::bind(config, sink, Arc::new(AtomicBool::new(false))) {
            Ok(r) => assert!(r.local_addr().ip().is_loopback()),
            // a machine without IPv6 has no ::1 to bind
            Err(ReceiverError::Bind(a, _)) if a.is_ipv6() => {}
            Err(e) => panic!("{addr}: {e}"),
        }
    }
}
