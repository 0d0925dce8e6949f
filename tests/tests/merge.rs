//! `trackershark merge`: Tracker events and Tracker's network captures in one time-ordered pcapng
//! that tshark opens, with nothing lost (tests/samples/network, from scripts/gen-network-samples.py).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::Path;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use trackershark_tests::{rows, samples_dir, stderr, Home};

const CAPTURES: [&str; 3] = ["capture-web.pcapng", "capture-host.pcap", "capture-two-sections.pcapng"];

fn network_sample(name: &str) -> std::path::PathBuf {
    samples_dir().join("network").join(name)
}

fn cli_ok(home: &Home, args: &[&str]) -> String {
    let out = home.cli(args);
    assert!(out.status.success(), "trackershark {args:?}: {}", stderr(&out));
    stderr(&out)
}

/// A home holding events.json and the three captures.
fn home_with_samples() -> Home {
    let home = Home::new();
    for f in ["events.json"].iter().chain(&CAPTURES) {
        home.add(&network_sample(f));
    }
    home
}

/// Each frame as `interface name: event name` (Tracker frames) or `interface name: protocol`.
fn frames(home: &Home, file: &str) -> Vec<String> {
    let fields = ["frame.interface_name", "tracker.event_name", "_ws.col.Protocol"];
    let mut args = vec!["-r", file, "-T", "fields"];
    fields.iter().for_each(|f| args.extend(["-e", f]));
    rows(&home.tshark(&args))
        .into_iter()
        .map(|r| format!("{}: {}", r[0], if r[1].is_empty() { &r[2] } else { &r[1] }))
        .collect()
}

const MERGED: [&str; 23] = [
    "tracker: security_socket_connect",
    "tracker: net_packet_dns_request",
    "tracee: DNS",
    "tracker: net_packet_raw",
    "tracker: net_packet_dns_response",
    "tracee: DNS",
    "tracker: net_packet_raw",
    "capture-host.pcap: ICMP",
    "capture-host.pcap: ICMP",
    "tracker: security_socket_connect",
    "tracee: TCP",
    "tracee: TCP",
    "tracee: TCP",
    "tracker: net_packet_raw",
    "tracker: net_packet_http_request",
    "tracee: HTTP",
    "tracker: net_packet_raw",
    "tracker: net_packet_http_response",
    "tracee: HTTP",
    "tracee: TCP",
    "tracee: TCP",
    "tracee: DNS",
    "tracee: DNS",
];

#[test]
fn events_and_captures_interleave_in_time_order() {
    let home = home_with_samples();
    let mut args = vec!["merge", "events.json"];
    args.extend(CAPTURES);
    args.extend(["-o", "merged.pcapng"]);
    let err = cli_ok(&home, &args);
    assert!(err.contains("23 packet(s) from 4 file(s)") && err.contains("(5 interface(s))"), "{err}");
    assert_eq!(frames(&home, "merged.pcapng"), MERGED);
    let numbers_and_times =
        rows(&home.tshark(&["-r", "merged.pcapng", "-T", "fields", "-e", "frame.number", "-e", "frame.time_epoch"]));
    let numbers: Vec<&str> = numbers_and_times.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, (1..=23).map(|n| n.to_string()).collect::<Vec<_>>());
    let times: Vec<&str> = numbers_and_times.iter().map(|r| r[1].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert_eq!(times[0], "1732350000.001000000");
    // the network packets dissect natively: the DNS answer and the HTTP download are there
    let answers = home.tshark(&["-r", "merged.pcapng", "-Y", "dns.flags.response == 1", "-T", "fields", "-e", "dns.a"]);
    assert_eq!(answers, "198.51.100.7\n198.51.100.7\n203.0.113.9\n");
    let http = home.tshark(&["-r", "merged.pcapng", "-Y", "http.response", "-T", "fields", "-e", "http.content_type"]);
    assert_eq!(http, "text/x-sh\n");
}

/// Every interface description of a pcapng (in order).
fn descriptions(path: &Path) -> Vec<String> {
    let mut reader = PcapNgReader::new(File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    while let Some(block) = reader.next_block() {
        if let Block::InterfaceDescription(idb) = block.unwrap() {
            for o in idb.options {
                if let InterfaceDescriptionOption::IfDescription(d) = o {
                    out.push(d.into_owned());
                }
            }
        }
    }
    out
}

#[test]
fn interface_descriptions_keep_trackers_context() {
    let home = home_with_samples();
    cli_ok(&home, &["merge", "events.json", "capture-web.pcapng", "capture-two-sections.pcapng", "-o", "m.pcapng"]);
    let shown = rows(&home.tshark(&[
        "-r",
        "m.pcapng",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "frame.interface_description",
    ]));
    let by_frame: BTreeMap<usize, &str> = shown.iter().map(|r| (r[0].parse().unwrap(), r[1].as_str())).collect();
    let web = descriptions(&network_sample("capture-web.pcapng"));
    let sections = descriptions(&network_sample("capture-two-sections.pcapng"));
    assert_eq!(by_frame[&1], "Tracker events (JSON)");
    assert_eq!(by_frame[&3], web[0]); // the DNS query
    assert_eq!(by_frame[&20], sections[1]); // wget's DNS query, in the second section
    assert!(sections[1].contains(r#""processName":"wget""#) && sections[1].contains(r#""processId":52"#));
    assert!(web[0].contains(r#""name":"web""#) && web[0].contains(r#""podNamespace":"shop""#));
    // every packet of a capture gets its interface's context, and no event does, events and
    // packets interleaved (an event's packet is followed by a capture's)
    let kinds: Vec<&str> =
        rows(&home.tshark(&["-r", "m.pcapng", "-T", "fields", "-e", "tracker_context", "-e", "tracker.event_name"]))
            .iter()
            .map(|r| match (r[0].is_empty(), r[1].is_empty()) {
                (false, true) => "packet",
                (true, false) => "event",
                _ => panic!("{r:?}"),
            })
            .collect();
    assert_eq!(kinds.len(), by_frame.len());
    assert!(kinds.windows(2).any(|w| w == ["event", "packet"]), "{kinds:?}");
    // all of them, in the merged file itself
    let mut want = vec!["Tracker events (JSON)".to_string()];
    want.extend(web);
    want.extend(sections);
    assert_eq!(descriptions(&home.dir.join("m.pcapng")), want);
}

/// Packets as (absolute time in ns, bytes), of the interfaces that are not Tracker events.
fn capture_packets(path: &Path) -> Vec<(u128, Vec<u8>)> {
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut File::open(path).unwrap(), &mut head).unwrap();
    if head != [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut reader = PcapReader::new(File::open(path).unwrap()).unwrap();
        let mut out = Vec::new();
        while let Some(p) = reader.next_packet() {
            let p = p.unwrap();
            out.push((p.timestamp.as_nanos(), p.data.into_owned()));
        }
        return out;
    }
    let mut reader = PcapNgReader::new(File::open(path).unwrap()).unwrap();
    let mut interfaces = Vec::new(); // (units per second, is Tracker events)
    let mut out = Vec::new();
    while let Some(block) = reader.next_block() {
        match block.unwrap() {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let resol = idb.options.iter().find_map(|o| match o {
                    InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                    _ => None,
                });
                let units = 10u128.pow(u32::from(resol.unwrap_or(6)));
                interfaces.push((units, idb.linktype == DataLink::WIRESHARK_UPPER_PDU));
            }
            Block::EnhancedPacket(epb) => {
                let (units, events) = interfaces[epb.interface_id as usize];
                if !events {
                    // pcap-file 2 gives the raw timestamp as "nanoseconds"
                    out.push((epb.timestamp.as_nanos() * 1_000_000_000 / units, epb.data.into_owned()));
                }
            }
            _ => {}
        }
    }
    out
}

/// Tracker event packets as (raw timestamp, bytes).
fn event_packets(path: &Path) -> Vec<(u128, Vec<u8>)> {
    let mut reader = PcapNgReader::new(File::open(path).unwrap()).unwrap();
    let mut events = Vec::new();
    let mut out = Vec::new();
    while let Some(block) = reader.next_block() {
        match block.unwrap() {
            Block::SectionHeader(_) => events.clear(),
            Block::InterfaceDescription(idb) => events.push(idb.linktype == DataLink::WIRESHARK_UPPER_PDU),
            Block::EnhancedPacket(epb) if events[epb.interface_id as usize] => {
                out.push((epb.timestamp.as_nanos(), epb.data.into_owned()))
            }
            _ => {}
        }
    }
    out
}

#[test]
fn splitting_the_merge_gives_back_every_event_and_packet() {
    let home = home_with_samples();
    let mut args = vec!["merge"];
    args.extend(CAPTURES);
    args.extend(["events.json", "-o", "merged.pcapng"]);
    cli_ok(&home, &args);
    // the events: the original lines, byte for byte, and the packets `convert` makes of them
    let err = cli_ok(&home, &["convert", "merged.pcapng", "-o", "back.json"]);
    assert!(err.contains("13 packet(s) that are not Tracker events were left out"), "{err}");
    let original = fs::read(network_sample("events.json")).unwrap();
    assert_eq!(fs::read(home.dir.join("back.json")).unwrap(), original);
    cli_ok(&home, &["convert", "events.json", "-o", "events.pcapng"]);
    let merged = home.dir.join("merged.pcapng");
    assert_eq!(event_packets(&merged), event_packets(&home.dir.join("events.pcapng")));
    // the captures: every packet once, same bytes and time
    let mut want: Vec<_> = CAPTURES.iter().flat_map(|c| capture_packets(&network_sample(c))).collect();
    let mut got = capture_packets(&merged);
    assert_eq!(got.len(), 13);
    want.sort();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn directories_are_merged_like_their_files() {
    let home = home_with_samples();
    let caps = home.dir.join("caps");
    home.add_into(&network_sample("capture-web.pcapng"), &caps);
    home.add_into(&network_sample("capture-host.pcap"), &caps.join("host"));
    home.add_into(&network_sample("capture-two-sections.pcapng"), &caps.join("processes"));
    home.write("caps/README.txt", b"not merged\n");
    let err = cli_ok(&home, &["merge", "events.json", "caps", "-o", "from-dir.pcapng"]);
    assert!(err.contains("23 packet(s) from 4 file(s)"), "{err}");
    assert_eq!(frames(&home, "from-dir.pcapng"), MERGED);
}

#[test]
fn mergecap_merges_our_pcapng_with_trackers_capture() {
    let home = home_with_samples();
    cli_ok(&home, &["convert", "events.json", "-o", "events.pcapng"]);
    let out = home.run("mergecap", &["-w", "mergecap.pcapng", "events.pcapng", "capture-web.pcapng"]);
    assert!(out.status.success(), "mergecap: {}", stderr(&out));
    cli_ok(&home, &["merge", "events.json", "capture-web.pcapng", "-o", "ours.pcapng"]);
    let from_mergecap = frames(&home, "mergecap.pcapng");
    assert_eq!(from_mergecap.len(), 17);
    assert_eq!(from_mergecap, frames(&home, "ours.pcapng"));
}

#[test]
fn unreadable_inputs_are_named() {
    let home = home_with_samples();
    home.write("junk.pcap", b"\xd4\xc3\xb2\xa1 too short");
    let out = home.cli(&["merge", "events.json", "junk.pcap", "-o", "x.pcapng"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("junk.pcap: cut short in the pcap file header"), "{}", stderr(&out));
    let out = home.cli(&["merge", "events.json", "missing.pcapng", "-o", "x.pcapng"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing.pcapng: No such file"), "{}", stderr(&out));
    assert!(!home.dir.join("x.pcapng").exists());
}
