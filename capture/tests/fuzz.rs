//! Property-based fuzzing of the Forward decoder: arbitrary bytes, valid frames of every mode and
//! mutations of them, each fed whole and split at arbitrary points. Nothing may panic, a split
//! stream must give exactly what the whole one gives, valid frames must give their lines back, and
//! the decoder never holds more than a frame's bound. CI runs a short deterministic slice;
//! `scripts/fuzz.sh` runs longer (`PROPTEST_CASES`, `TRACKERSHARK_FUZZ_SEED`). Each property adds
//! its case count to target/reports/fuzz.md.

use std::io::Write as _;
use std::path::PathBuf;

use proptest::prelude::*;
use rmpv::Value;
use trackershark_capture::forward::{event_lines, Decoder, ForwardError, Item, Limits};
use trackershark_tests::fuzz::{report, runner};

fn sample_lines() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/samples");
    let mut lines = Vec::new();
    for f in ["events.json", "network/events.json", "protobuf.json"] {
        lines.extend(
            std::fs::read_to_string(root.join(f)).unwrap().lines().filter(|l| !l.trim().is_empty()).map(str::to_string),
        );
    }
    lines
}

/// Small bounds, so that random input reaches them often.
fn small_limits() -> Limits {
    Limits { max_frame: 64 << 10, max_decompressed: 128 << 10, max_entries: 50, max_values: 5000, max_depth: 8 }
}

/// Feeds `bytes` cut at `cuts`; returns the items and the error, and checks the decoder's bound.
fn feed_split(
    bytes: &[u8],
    cuts: &[usize],
    limits: Limits,
) -> Result<(Vec<Item>, Option<ForwardError>), TestCaseError> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    let mut d = Decoder::new(limits);
    let mut items = Vec::new();
    for w in at.windows(2) {
        let piece = &bytes[w[0]..w[1]];
        if let Err(e) = d.feed(piece, &mut |i| items.push(i)) {
            return Ok((items, Some(e)));
        }
        prop_assert!(d.pending() <= limits.max_frame, "holds {} bytes", d.pending());
    }
    Ok((items, None))
}

fn check_split(
    bytes: &[u8],
    cuts: &[usize],
    limits: Limits,
) -> Result<(Vec<Item>, Option<ForwardError>), TestCaseError> {
    let whole = feed_split(bytes, &[], limits)?;
    let split = feed_split(bytes, cuts, limits)?;
    // a stream cut inside a bad frame may fail at a different bound first, but never differently
    // in what it decoded before
    prop_assert_eq!(&split.0, &whole.0);
    prop_assert_eq!(split.1.is_some(), whole.1.is_some());
    Ok(whole)
}

#[derive(Debug, Clone)]
struct Spec {
    mode: u8,
    lines: Vec<usize>,
    time: u8,
    chunk: bool,
}

fn spec(n: usize) -> impl Strategy<Value = Spec> {
    (0u8..5, prop::collection::vec(0..n, 1..6), 0u8..3, any::<bool>()).prop_map(|(mode, lines, time, chunk)| Spec {
        mode,
        lines,
        time,
        chunk,
    })
}

fn encode(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    rmpv::encode::write_value(&mut b, v).unwrap();
    b
}

/// The frames a spec stands for (Message mode: one per line) and the lines they carry.
fn build(s: &Spec, lines: &[String]) -> (Vec<u8>, Vec<String>) {
    let time = match s.time {
        0 => Value::from(1_700_000_000u64),
        1 => Value::Ext(0, vec![0x65, 0x53, 0xf1, 0x00, 0, 0, 0x30, 0x39]),
        _ => Value::F64(1_700_000_000.5),
    };
    let record = |i: usize| Value::Map(vec![(Value::from("event"), Value::from(lines[i].as_str()))]);
    let option = |extra: Vec<(Value, Value)>| {
        let mut m = extra;
        if s.chunk {
            m.push((Value::from("chunk"), Value::from("c0ffee")));
        }
        Value::Map(m)
    };
    let want: Vec<String> = s.lines.iter().map(|&i| lines[i].clone()).collect();
    let tag = Value::from("tracker");
    let entries =
        || -> Vec<u8> { s.lines.iter().flat_map(|&i| encode(&Value::Array(vec![time.clone(), record(i)]))).collect() };
    let bytes = match s.mode {
        0 => s
            .lines
            .iter()
            .flat_map(|&i| encode(&Value::Array(vec![tag.clone(), time.clone(), record(i), option(vec![])])))
            .collect(),
        1 => {
            let e = s.lines.iter().map(|&i| Value::Array(vec![time.clone(), record(i)])).collect();
            encode(&Value::Array(vec![tag, Value::Array(e), option(vec![])]))
        }
        2 => encode(&Value::Array(vec![tag, Value::Binary(entries()), option(vec![])])),
        3 => {
            // the entry stream as a msgpack str (some clients send it so), not valid UTF-8
            let e = entries();
            [&[0x93][..], &encode(&tag), &[0xdb], &(e.len() as u32).to_be_bytes(), &e, &encode(&option(vec![]))]
                .concat()
        }
        _ => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&entries()).unwrap();
            let packed = gz.finish().unwrap();
            encode(&Value::Array(vec![
                tag,
                Value::Binary(packed),
                option(vec![(Value::from("compressed"), Value::from("gzip"))]),
            ]))
        }
    };
    (bytes, want)
}

#[test]
fn arbitrary_bytes_never_break_the_decoder() {
    let mut r = runner(50_000);
    let cases = r.config().cases;
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        // start like a frame more often than chance would
        prop::collection::vec(any::<u8>(), 0..600).prop_map(|mut b| {
            b.splice(0..0, [0x94, 0xa7, b't', b'r', b'a', b'c', b'k', b'e', b'r']);
            b
        }),
    ];
    r.run(&(bytes, prop::collection::vec(any::<usize>(), 0..8)), |(bytes, cuts)| {
        check_split(&bytes, &cuts, small_limits())?;
        check_split(&bytes, &cuts, Limits::default())?;
        Ok(())
    })
    .unwrap();
    report("capture: arbitrary bytes → Forward decoder, whole and split anywhere (no panic, same result)", cases);
}

#[test]
fn valid_frames_give_their_lines_split_anywhere() {
    let lines = sample_lines();
    let mut r = runner(5000);
    let cases = r.config().cases;
    r.run(
        &(prop::collection::vec(spec(lines.len()), 1..4), prop::collection::vec(any::<usize>(), 0..12)),
        |(specs, cuts)| {
            let mut bytes = Vec::new();
            let mut want = Vec::new();
            let mut acks = 0;
            for s in &specs {
                let (b, w) = build(s, &lines);
                bytes.extend(b);
                want.extend(w);
                if s.chunk {
                    acks += if s.mode == 0 { s.lines.len() } else { 1 };
                }
            }
            let (items, err) = check_split(&bytes, &cuts, Limits::default())?;
            prop_assert!(err.is_none(), "{:?}", err);
            prop_assert_eq!(event_lines(&items), want);
            prop_assert_eq!(items.iter().filter(|i| matches!(i, Item::Ack(_))).count(), acks);
            Ok(())
        },
    )
    .unwrap();
    report("capture: valid Forward frames (Message, Forward, PackedForward bin/str, gzip) split anywhere → exact lines and acks", cases);
}

#[test]
fn mutated_frames_never_break_the_decoder() {
    let lines = sample_lines();
    let mut r = runner(50_000);
    let cases = r.config().cases;
    let mutation = prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..5);
    r.run(&(spec(lines.len()), mutation, prop::collection::vec(any::<usize>(), 0..6)), |(s, muts, cuts)| {
        let (mut bytes, _) = build(&s, &lines);
        for (at, x, kind) in muts {
            let i = at % (bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] ^= x | 1,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, x),
                // a length or count byte made huge
                _ if i < bytes.len() => bytes[i] = 0xff,
                _ => {}
            }
        }
        check_split(&bytes, &cuts, small_limits())?;
        let (items, _) = check_split(&bytes, &cuts, Limits::default())?;
        for i in &items {
            if let Item::Event(e) = i {
                prop_assert!(e.line.len() <= Limits::default().max_decompressed);
            }
        }
        Ok(())
    })
    .unwrap();
    report(
        "capture: mutated Forward frames (bytes flipped, cut, inserted, lengths maxed) → decoder, whole and split",
        cases,
    );
}
