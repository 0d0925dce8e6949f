//! The Fluent Forward receiver Tracker sends its events to: a TCP listener on a loopback address
//! only, one thread per connection, each connection's memory bounded by the decoder's [`Limits`].
//!
//! Against hostile or broken clients: a connection that sends what is not Forward, or breaks a
//! bound, is closed (the others go on); a frame must be complete within `frame_timeout` of its first
//! byte (a client trickling bytes cannot hold a connection forever), a connection that sends nothing
//! for `idle_timeout` is closed, acks are written with a timeout, and at most `max_connections` are
//! served: the next one makes room by closing the connection that has done least (never completed a
//! frame, then the longest without one), so a flood of idle connections cannot lock Tracker out.
//! What one connection can make the receiver hold is about `max_frame` + 2 × `max_decompressed`
//! plus the decoded frame, so the whole is bounded by `max_connections` times that.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::forward::{Decoder, Item, Limits};
use crate::output::EventSink;

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub limits: Limits,
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A frame must arrive whole within this long of its first byte.
    pub frame_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 4000)),
            limits: Limits::default(),
            max_connections: 8,
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    #[error("the receiver listens on loopback addresses only (127.0.0.0/8 or ::1), not on {0}")]
    NotLoopback(IpAddr),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// Counters, readable while the receiver runs.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub frames: AtomicU64,
    pub events: AtomicU64,
    pub acks: AtomicU64,
    /// Connections closed for a protocol error, a bound or a timeout.
    pub refused: AtomicU64,
    /// Connections closed to make room for a new one.
    pub evicted: AtomicU64,
}

struct Conn {
    id: u64,
    stream: TcpStream,
    frames: u64,
    last_progress: Instant,
}

struct Shared {
    config: Config,
    sink: Mutex<Box<dyn EventSink>>,
    conns: Mutex<Vec<Conn>>,
    stop: Arc<AtomicBool>,
    sink_failed: AtomicBool,
    stats: Arc<Stats>,
}

pub struct Receiver {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Binds `config.addr`, which must be a loopback address. `stop` ends the receiver when set;
    /// the receiver sets it itself when the sink fails (Wireshark closed the fifo).
    pub fn bind(config: Config, sink: Box<dyn EventSink>, stop: Arc<AtomicBool>) -> Result<Receiver, ReceiverError> {
        if !config.addr.ip().is_loopback() {
            return Err(ReceiverError::NotLoopback(config.addr.ip()));
        }
        let listener = TcpListener::bind(config.addr).map_err(|e| ReceiverError::Bind(config.addr, e))?;
        listener.set_nonblocking(true).map_err(|e| ReceiverError::Bind(config.addr, e))?;
        let shared = Arc::new(Shared {
            config,
            sink: Mutex::new(sink),
            conns: Mutex::new(Vec::new()),
            stop,
            sink_failed: AtomicBool::new(false),
            stats: Arc::new(Stats::default()),
        });
        Ok(Receiver { listener, shared })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.shared.stats.clone()
    }

    /// Runs the accept loop in a thread; it returns when `stop` is set, after closing every
    /// connection. The thread's result says whether the sink failed.
    pub fn spawn(self) -> JoinHandle<bool> {
        std::thread::Builder::new().name("forward-accept".into()).spawn(move || self.run()).expect("spawn the receiver")
    }

    /// The accept loop; returns `false` if it stopped because the sink failed.
    pub fn run(self) -> bool {
        let shared = self.shared;
        let mut next_id = 0u64;
        let mut workers: Vec<JoinHandle<()>> = Vec::new();
        while !shared.stop.load(Ordering::SeqCst) {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    next_id += 1;
                    workers.retain(|w| !w.is_finished());
                    if let Some(w) = admit(&shared, stream, peer, next_id) {
                        workers.push(w);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    eprintln!("trackershark-capture: accept: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        for c in shared.conns.lock().unwrap().drain(..) {
            let _ = c.stream.shutdown(Shutdown::Both);
        }
        for w in workers {
            let _ = w.join();
        }
        !shared.sink_failed.load(Ordering::SeqCst)
    }
}

fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr, id: u64) -> Option<JoinHandle<()>> {
    let handle = stream.try_clone().ok()?;
    {
        let mut conns = shared.conns.lock().unwrap();
        if conns.len() >= shared.config.max_connections {
            let victim =
                conns.iter().enumerate().min_by_key(|(_, c)| (c.frames > 0, c.last_progress)).map(|(i, _)| i)?;
            let c = conns.remove(victim);
            let _ = c.stream.shutdown(Shutdown::Both);
            shared.stats.evicted.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "trackershark-capture: too many connections ({}): closed one to make room",
                shared.config.max_connections
            );
        }
        conns.push(Conn { id, stream: handle, frames: 0, last_progress: Instant::now() });
    }
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    let worker = shared.clone();
    let spawned = std::thread::Builder::new().name(format!("forward-{id}")).spawn(move || {
        if let Err(e) = serve(&worker, &stream, id) {
            worker.stats.refused.fetch_add(1, Ordering::Relaxed);
            eprintln!("trackershark-capture: closed the Forward connection from {peer}: {e}");
        }
        let _ = stream.shutdown(Shutdown::Both);
        worker.conns.lock().unwrap().retain(|c| c.id != id);
    });
    match spawned {
        Ok(w) => Some(w),
        Err(e) => {
            eprintln!("trackershark-capture: cannot serve a connection: {e}");
            shared.conns.lock().unwrap().retain(|c| c.id != id);
            None
        }
    }
}

fn serve(shared: &Shared, mut stream: &TcpStream, id: u64) -> Result<(), String> {
    let config = &shared.config;
    let tick =
        Duration::from_millis(200).min(config.frame_timeout).min(config.idle_timeout).max(Duration::from_millis(1));
    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(tick)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut decoder = Decoder::new(config.limits);
    let mut buf = vec![0u8; 64 << 10];
    let mut last_byte = Instant::now();
    let mut frame_start: Option<Instant> = None;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some(t) = frame_start.filter(|t| t.elapsed() > config.frame_timeout) {
            return Err(format!(
                "a frame still incomplete after {:.1} s ({} bytes): slow or stalled client",
                t.elapsed().as_secs_f64(),
                decoder.pending()
            ));
        }
        if last_byte.elapsed() > config.idle_timeout {
            return Err(format!("nothing received for {} s", config.idle_timeout.as_secs()));
        }
        let n = match stream.read(&mut buf) {
            Ok(0) if decoder.pending() > 0 => return Err("the client closed the connection inside a frame".into()),
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                continue
            }
            Err(e) => return Err(e.to_string()),
        };
        last_byte = Instant::now();
        let frames_before = decoder.frames();
        let mut acks = Vec::new();
        let mut sink_error = None;
        let fed = decoder.feed(&buf[..n], &mut |item| match item {
            Item::Event(e) => {
                if sink_error.is_some() {
                    return;
                }
                shared.stats.events.fetch_add(1, Ordering::Relaxed);
                if let Err(err) = shared.sink.lock().unwrap().event(&e.line, e.time) {
                    sink_error = Some(err);
                }
            }
            Item::Ack(a) => acks.push(a),
        });
        if let Some(e) = sink_error {
            shared.sink_failed.store(true, Ordering::SeqCst);
            shared.stop.store(true, Ordering::SeqCst);
            return Err(format!("cannot write the capture: {e}"));
        }
        for ack in &acks {
            stream.write_all(ack).map_err(|e| format!("cannot send an ack: {e}"))?;
            shared.stats.acks.fetch_add(1, Ordering::Relaxed);
        }
        let done = decoder.frames() - frames_before;
        if done > 0 {
            shared.stats.frames.fetch_add(done, Ordering::Relaxed);
            if let Some(c) = shared.conns.lock().unwrap().iter_mut().find(|c| c.id == id) {
                c.frames += done;
                c.last_progress = Instant::now();
            }
        }
        fed.map_err(|e| e.to_string())?;
        if decoder.pending() == 0 {
            frame_start = None;
        } else if done > 0 || frame_start.is_none() {
            frame_start = Some(Instant::now());
        }
    }
}
