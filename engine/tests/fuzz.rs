//! Property-based fuzzing of the engine on stable Rust: arbitrary bytes and mutations of Tracee's
//! real output through the parser, argument typing, plugin input and packet extraction, and the
//! lossless JSON → pcapng → JSON path. CI runs a short deterministic slice; `scripts/fuzz.sh`
//! runs longer (`PROPTEST_CASES`). Each property adds its case count to target/reports/fuzz.md.

use std::path::PathBuf;

use proptest::prelude::*;
use trackershark_engine::pcapng::{json_to_pcapng, pcapng_to_json};
use trackershark_engine::plugin_input::plugin_input;
use trackershark_engine::{classify, classify_and_columns, columns, dissect, json, Dissection, LineKind};
use trackershark_tests::fuzz::{report, runner};

fn corpus_lines() -> Vec<String> {
    let dir = std::env::var_os("TRACKERSHARK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let mut lines = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.iter().filter(|p| p.extension().is_some_and(|x| x == "jsonl")) {
        lines.extend(std::fs::read_to_string(f).unwrap().lines().map(str::to_string));
    }
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/samples");
    for f in ["events.json", "enrich.json", "network/events.json", "protobuf.json"] {
        lines.extend(std::fs::read_to_string(samples.join(f)).unwrap().lines().map(str::to_string));
    }
    lines
}

/// What must hold for any dissection: at least the event item, spans inside the line, expert
/// notes pointing at items, and for events a plugin input that is JSON.
fn check(line: &[u8], d: &Dissection) -> Result<(), TestCaseError> {
    prop_assert!(!d.items.is_empty());
    for i in &d.items {
        prop_assert!((i.span.start as usize + i.span.len as usize) <= line.len(), "span out of the line");
    }
    for e in &d.experts {
        prop_assert!(e.item.is_none_or(|i| i < d.items.len()));
    }
    if let Some(input) = plugin_input(d, line) {
        prop_assert!(serde_json::from_str::<serde_json::Value>(&input).is_ok(), "plugin input is not JSON: {input}");
    }
    if let Some(p) = &d.packet {
        prop_assert!(!p.bytes.is_empty());
    }
    if let Ok(text) = std::str::from_utf8(line) {
        reads_as_serde_json_does(text)?;
    }
    // the packet list's reading of a line skips most of it, and shows the same
    prop_assert_eq!(columns(line), d.columns());
    // and a file reader's classification of a line with its columns read on the way, the same
    let (info, both) = classify_and_columns(line);
    prop_assert_eq!(&info, &classify(line));
    prop_assert_eq!(both, (info.kind == LineKind::Event).then(|| d.columns()));
    Ok(())
}

/// The engine's JSON reader accepts exactly what serde_json does (RFC 8259), and reads the same
/// values; members it skips are checked as strictly as those it reads.
fn reads_as_serde_json_does(text: &str) -> Result<(), TestCaseError> {
    let reference = serde_json::from_str::<serde_json::Value>(text);
    if let Err(e) = &reference {
        // limits of serde_json's own, not of the JSON grammar
        let why = e.to_string();
        if why.contains("number out of range") || why.contains("recursion limit") {
            return Ok(());
        }
    }
    let arena = json::Arena::new();
    let ours = json::parse(text, &arena);
    prop_assert_eq!(ours.is_ok(), reference.is_ok(), "{:?} / {:?}", ours.as_ref().err(), reference.as_ref().err());
    if let (Ok(ours), Ok(reference)) = (ours, reference) {
        prop_assert_eq!(as_serde_json(&ours), reference);
    }
    let skipping = json::parse_keeping(text, 0, &arena, &mut |key| key.len() % 2 == 0);
    prop_assert_eq!(skipping.is_ok(), json::parse(text, &arena).is_ok(), "skipped members are checked too");
    Ok(())
}

fn as_serde_json(v: &json::Json) -> serde_json::Value {
    use serde_json::Value;
    match &v.kind {
        json::Kind::Null => Value::Null,
        json::Kind::Bool(_) => Value::Bool(v.as_bool().expect("a boolean")),
        json::Kind::Num(n) => serde_json::from_str(n).expect("a number serde_json reads"),
        json::Kind::Str(s) => Value::String(s.to_string()),
        json::Kind::Arr(items) => Value::Array(items.iter().map(as_serde_json).collect()),
        json::Kind::Obj(members) => {
            Value::Object(members.iter().map(|m| (m.key.to_string(), as_serde_json(&m.value))).collect())
        }
    }
}

/// Text made of JSON's own characters (escapes, surrogates, numbers, nesting), mostly invalid.
#[test]
fn the_json_reader_accepts_exactly_json() {
    let cases = runner(20_000).config().cases;
    let token = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(","),
        Just(":"),
        Just("\""),
        Just(" "),
        Just("\t"),
        Just("\\"),
        Just("\\u"),
        Just("d83d"),
        Just("de00"),
        Just("00e9"),
        Just("0"),
        Just("1"),
        Just("-"),
        Just("."),
        Just("e"),
        Just("+"),
        Just("true"),
        Just("null"),
        Just("fals"),
        Just("n"),
        Just("é"),
        Just("\u{1}"),
        Just("\"a\":"),
        Just("\"\\n\""),
        Just("12.5e-3"),
    ];
    // (a runner per run: one counts its cases over all its runs)
    runner(20_000)
        .run(&prop::collection::vec(token, 0..40), |tokens| {
            let text = tokens.concat();
            reads_as_serde_json_does(&text)?;
            // the same as a member that is skipped (`parse_keeping` in `reads_as_serde_json_does`)
            reads_as_serde_json_does(&format!("{{\"s\":{text}}}"))
        })
        .unwrap();
    // well-formed values with every kind of escape, and the same text unescaped (raw control
    // characters, quotes and backslashes), in short and long strings
    runner(20_000)
        .run(&any::<String>(), |s| {
            let text = serde_json::to_string(&serde_json::json!({ "k": [&s, { "n": -0.5e3 }], "e": {} })).unwrap();
            reads_as_serde_json_does(&text)?;
            reads_as_serde_json_does(&format!("\"{s}\""))?;
            reads_as_serde_json_does(&format!("{{\"s\":\"{s}\",\"long enough for a word\":1}}"))
        })
        .unwrap();
    // one byte left out of a valid text (a colon, comma, quote, digit …), read as is and skipped
    let short = prop::collection::vec(
        prop_oneof![Just('\u{1}'), Just('\u{1f}'), Just('a'), Just('"'), Just('\\'), Just('é')],
        0..12,
    );
    runner(20_000)
        .run(&(short, any::<usize>()), |(chars, at)| {
            let s: String = chars.into_iter().collect();
            reads_as_serde_json_does(&format!("\"{s}\""))?;
            let text = serde_json::to_string(&serde_json::json!({ "k": [&s, { "n": -0.5e3, "t": true }], "x": null }))
                .unwrap();
            let at = at % text.len();
            if !text.is_char_boundary(at) || !text.is_char_boundary(at + 1) {
                return Ok(());
            }
            let cut = format!("{}{}", &text[..at], &text[at + 1..]);
            reads_as_serde_json_does(&cut)?;
            reads_as_serde_json_does(&format!("{{\"s\":{cut}}}"))
        })
        .unwrap();
    report("JSON-alphabet text and escaped strings → the JSON reader, against serde_json", cases * 8);
}

/// A mutation of a real line: bytes flipped, cut, duplicated or spliced from another line.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Splice(usize, usize, usize),
}

fn mutate(line: &[u8], other: &[u8], m: &Mutation) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    let mut out = line.to_vec();
    match m {
        Mutation::Flip(i, x) if !out.is_empty() => {
            let i = i % out.len();
            out[i] ^= x | 1;
        }
        Mutation::Flip(..) => {}
        Mutation::Cut(i) => out.truncate(at(*i, line.len())),
        Mutation::Insert(i, bytes) => {
            let i = at(*i, out.len());
            out.splice(i..i, bytes.iter().copied().filter(|b| *b != b'\n'));
        }
        Mutation::Splice(i, j, k) => {
            let (i, j) = (at(*i, out.len()), at(*j, other.len()));
            let k = (j + k % 200).min(other.len());
            out.splice(i..i, other[j..k].iter().copied());
        }
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![Just(b'{'), Just(b'['), Just(b'"'), Just(b'\\'), Just(b','), Just(b':'), any::<u8>()],
                1..16
            )
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(i, j, k)| Mutation::Splice(i, j, k)),
    ]
}

#[test]
fn arbitrary_bytes_never_break_the_engine() {
    let mut r = runner(20_000);
    let cases = r.config().cases;
    r.run(&prop::collection::vec(any::<u8>(), 0..600), |bytes| {
        let line: Vec<u8> = bytes.into_iter().filter(|b| *b != b'\n').collect();
        check(&line, &dissect(&line))
    })
    .unwrap();
    report("arbitrary bytes → dissect, columns", cases);
}

#[test]
fn mutated_tracee_output_never_breaks_the_engine() {
    let lines = corpus_lines();
    let mut r = runner(20_000);
    let cases = r.config().cases;
    let n = lines.len();
    r.run(&(0..n, 0..n, prop::collection::vec(mutation(), 1..4)), |(a, b, ms)| {
        let mut line = lines[a].as_bytes().to_vec();
        for m in &ms {
            line = mutate(&line, lines[b].as_bytes(), m);
        }
        check(&line, &dissect(&line))
    })
    .unwrap();
    report("mutated corpus and sample lines → dissect, columns, plugin input, packet extraction", cases);
}

#[test]
fn packet_bytes_come_back_exactly() {
    use base64::Engine as _;
    let mut r = runner(2000);
    let cases = r.config().cases;
    r.run(&prop::collection::vec(any::<u8>(), 1..1600), |bytes| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let line = format!(r#"{{"timestamp":1,"eventName":"net_packet_raw","args":[{{"name":"data","type":"bytes","value":"{b64}"}}]}}"#);
        let d = dissect(line.as_bytes());
        prop_assert_eq!(d.packet.map(|p| p.bytes), Some(bytes));
        Ok(())
    })
    .unwrap();
    report("packet bytes (base64) → net_packet_raw extraction, exact", cases);
}

#[test]
fn json_to_pcapng_to_json_is_byte_exact() {
    let lines = corpus_lines();
    let mut r = runner(1000);
    let cases = r.config().cases;
    let n = lines.len();
    let line = prop_oneof![
        (0..n).prop_map(|i| lines[i].clone().into_bytes()),
        prop::collection::vec(any::<u8>().prop_map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }), 1..300)
            .prop_map(|mut b| {
                b.insert(0, b'{');
                b
            }),
    ];
    r.run(&prop::collection::vec(line, 1..20), |chosen| {
        let mut input = Vec::new();
        for l in &chosen {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        let mut pcapng = Vec::new();
        json_to_pcapng(&input[..], &mut pcapng, |_| {}).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut back = Vec::new();
        pcapng_to_json(&pcapng[..], &mut back).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, input);
        Ok(())
    })
    .unwrap();
    report("JSON lines → pcapng → JSON lines, byte-exact", cases);
}
