//! What enrichment costs per event: the host-call overhead of a plugin that does nothing (target:
//! under 1 µs per event per plugin), building the plugin input, and each default plugin's own cost.
//!
//! `cargo bench -p trackershark-enrich --bench overhead` (after scripts/build.sh built the default
//! plugins); `-- --quick` for a short run. Reads tests/samples and, if present, the Tracee corpus.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use trackershark_engine::plugin_input::plugin_input;
use trackershark_engine::{dissect, Dissection};
use trackershark_enrich::rules::{Registry, RuleSet};
use trackershark_enrich::{engine, Limits, ModuleCache, Plugin};

const NOOP: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32) (i32.const 0)))"#;

const TARGET_US: f64 = 1.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn lines() -> Vec<String> {
    let mut files = vec![repo().join("tests/samples/events.json")];
    let corpus = std::env::var_os("TRACKERSHARK_CORPUS").map(PathBuf::from).unwrap_or(repo().join("../shared/corpus"));
    if let Ok(dir) = std::fs::read_dir(&corpus) {
        files.extend(
            dir.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "jsonl")),
        );
    }
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap_or_default().lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Best of `rounds` of running `f` over every item, in µs per item.
fn per_item<T>(items: &[T], rounds: usize, mut f: impl FnMut(&T)) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        for i in items {
            f(i);
        }
        best = best.min(start.elapsed());
    }
    best.as_secs_f64() * 1e6 / items.len().max(1) as f64
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, repeat) = if quick { (3, 2) } else { (9, 20) };
    let lines = lines();
    let events: Vec<(Dissection, &[u8])> =
        lines.iter().map(|l| (dissect(l.as_bytes()), l.as_bytes())).filter(|(d, _)| d.is_event()).collect();
    let inputs: Vec<String> = events.iter().map(|(d, l)| plugin_input(d, l).unwrap()).collect();
    // repeat the set so each timed round is long enough to measure
    let inputs: Vec<&String> = inputs.iter().cycle().take(inputs.len() * repeat).collect();
    let events_rep: Vec<&(Dissection, &[u8])> = events.iter().cycle().take(events.len() * repeat).collect();
    let mean_len = inputs.iter().map(|s| s.len()).sum::<usize>() / inputs.len().max(1);
    println!("{} events (plugin input {mean_len} bytes on average), best of {rounds} rounds", events.len());
    println!();

    let build = per_item(&events_rep, rounds, |(d, l)| {
        black_box(plugin_input(d, l));
    });
    let mut noop = Plugin::load(&engine(), "noop", NOOP.as_bytes(), Limits::default()).unwrap();
    let call = per_item(&inputs, rounds, |input| {
        black_box(noop.enrich(input.as_bytes()).unwrap());
    });
    println!("{:<52} {:>9.3} µs/event", "building the plugin input (once per event)", build);
    println!("{:<52} {:>9.3} µs/event", "host-call overhead of one plugin (no-op plugin)", call);
    let verdict = if call < TARGET_US { "within" } else { "OVER" };
    println!("  → {verdict} the target of {TARGET_US} µs per event per plugin");

    let dir = std::env::temp_dir().join(format!("ts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("noop.wat"), NOOP).unwrap();
    let rules_for = |n: usize| {
        let text: String = (0..n).map(|i| format!("[[plugin]]\nname = \"noop{i}\"\nwasm = \"noop.wat\"\n\n")).collect();
        let path = dir.join(format!("rules{n}.toml"));
        std::fs::write(&path, text).unwrap();
        RuleSet::load(&path, &ModuleCache::disabled(), &mut None).unwrap().set
    };
    for n in [0, 1, 4] {
        let mut set = rules_for(n);
        let t = per_item(&events_rep, rounds, |(d, l)| {
            black_box(set.run(d, l));
        });
        println!("{:<52} {:>9.3} µs/event", format!("rules with {n} no-op plugin(s), input built once"), t);
    }
    println!();

    // the default plugins, each on the events its rule selects
    let defaults = repo().join("target/release/enrichers/rules.toml");
    if !defaults.is_file() {
        println!("default plugins not built ({}): run scripts/build.sh", defaults.display());
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let mut reg = Registry::open_with_cache(&defaults, ModuleCache::disabled());
    if let Some(e) = &reg.last_error {
        panic!("default rules: {e}");
    }
    let set = reg.rules().unwrap();
    let mut total_selected = 0;
    for rule in set.rules.iter_mut() {
        let picked: Vec<&String> = events
            .iter()
            .zip(inputs.iter())
            .filter(|((d, _), _)| trackershark_enrich::rules::EventKey::of(d).is_some_and(|k| rule.selects(&k)))
            .map(|(_, i)| *i)
            .collect();
        total_selected += picked.len();
        if picked.is_empty() {
            continue;
        }
        let picked: Vec<&String> = picked.iter().cycle().take(picked.len() * repeat * 4).copied().collect();
        let t = per_item(&picked, rounds, |input| {
            black_box(rule.plugin.enrich(input.as_bytes()).ok());
        });
        println!(
            "{:<52} {:>9.3} µs/event",
            format!("plugin {} ({} events of the set)", rule.plugin.name, picked.len() / (repeat * 4)),
            t
        );
    }
    let t = per_item(&events_rep, rounds, |(d, l)| {
        black_box(set.run(d, l));
    });
    println!("{:<52} {:>9.3} µs/event", format!("all default rules, every event ({total_selected} selected)"), t);
    let _ = std::fs::remove_dir_all(&dir);
}
