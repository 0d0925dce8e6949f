//! Engine-only throughput: parse + type (`dissect`) of a workload file, in MB/s and events/s.
//!
//! `cargo bench -p trackershark-engine --bench throughput -- <workload.json>` (make one with
//! `python3 bench/gen-workload.py N file`); `bench/run.sh` runs it on its workload.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use trackershark_engine::cache::DissectionCache;

/// The allocator the Lua module uses (lua/src/lib.rs), so the figure is the engine as Wireshark runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args().skip(1).find(|a| !a.starts_with('-')).expect("usage: throughput <workload.json>");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let best_of_3 = |run: &dyn Fn(&[u8])| {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let start = Instant::now();
            for l in &lines {
                run(l);
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        best
    };
    let best = best_of_3(&|l| drop(black_box(trackershark_engine::dissect(l))));
    println!(
        "engine parse+type: {:.0} MB/s, {:.0} events/s ({} events, {:.1} MB, best of 3)",
        bytes as f64 / 1e6 / best,
        lines.len() as f64 / best,
        lines.len(),
        bytes as f64 / 1e6
    );

    // The packet list's reading (Wireshark builds no tree and no filter needs an event field): only
    // what the columns come from; it must show what the full dissection does.
    for l in &lines {
        let line = String::from_utf8_lossy(l);
        assert_eq!(trackershark_engine::columns(l), trackershark_engine::dissect(l).columns(), "{line}");
    }
    let best = best_of_3(&|l| drop(black_box(trackershark_engine::columns(l))));
    println!(
        "engine columns only: {:.0} MB/s, {:.0} events/s (best of 3)",
        bytes as f64 / 1e6 / best,
        lines.len() as f64 / best
    );

    // Re-dissection of a recently dissected event (Wireshark re-dissects the clicked packet): served
    // from the cache the Lua module keeps, against dissecting the line again.
    let recent: Vec<(u32, &[u8])> = lines.iter().rev().take(256).enumerate().map(|(i, l)| (i as u32, *l)).collect();
    let mut cache = DissectionCache::new(256);
    for (frame, line) in &recent {
        cache.put(*frame, 0, line, Arc::new(trackershark_engine::dissect(line)));
    }
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        for (frame, line) in &recent {
            black_box(cache.get(*frame, 0, line).expect("cached"));
        }
    }
    let cached = start.elapsed().as_secs_f64() / (rounds * recent.len()) as f64;
    let start = Instant::now();
    for (_, line) in &recent {
        black_box(trackershark_engine::dissect(line));
    }
    let fresh = start.elapsed().as_secs_f64() / recent.len() as f64;
    println!(
        "re-dissection of a recent event: {:.2} µs from the cache, {:.1} µs dissected again",
        cached * 1e6,
        fresh * 1e6
    );
}
