//! Engine-only throughput: parse + type (`dissect`) of a workload file, in MB/s and events/s.
//!
//! `cargo bench -p trackershark-engine --bench throughput -- <workload.json>` (make one with
//! `python3 bench/gen-workload.py N file`); `bench/run.sh` runs it on its workload.

use std::hint::black_box;

/// The allocator the Lua module uses (lua/src/lib.rs), so the figure is the engine as Wireshark runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn main() {
    let path = std::env::args().skip(1).find(|a| !a.starts_with('-')).expect("usage: throughput <workload.json>");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for l in &lines {
            black_box(trackershark_engine::dissect(l));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "engine parse+type: {:.0} MB/s, {:.0} events/s ({} events, {:.1} MB, best of 3)",
        bytes as f64 / 1e6 / best,
        lines.len() as f64 / best,
        lines.len(),
        bytes as f64 / 1e6
    );
}
