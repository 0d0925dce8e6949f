//! Network activity beside system activity: packet bytes inside events read by Wireshark's own
//! dissectors, native filters matching events and packets alike, and the context of Tracker's own
//! packet captures in the same fields as events.

use trackershark_tests::{rows, stderr, Home};

/// A home holding the network samples, and `mixed.pcapng`: the events (saved by tshark) merged by
/// `mergecap` with Tracker's capture of container "web" and a host capture without context.
fn mixed() -> Home {
    let home = Home::new();
    for f in ["events.json", "capture-web.pcapng", "capture-host.pcap"] {
        home.add_sample(&format!("network/{f}"));
    }
    home.tshark(&["-r", "events.json", "-w", "events.pcapng"]);
    let out = home.run("mergecap", &["-w", "mixed.pcapng", "events.pcapng", "capture-web.pcapng", "capture-host.pcap"]);
    assert!(out.status.success(), "mergecap: {}", stderr(&out));
    home
}

fn frames(home: &Home, file: &str, filter: &str) -> Vec<u32> {
    let out = home.tshark(&["-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"]);
    out.lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[test]
fn native_filters_select_events_and_packets_alike() {
    let home = mixed();
    // what each frame is: protocol column, event name (events only), container (events and packets)
    let got = rows(&home.tshark(&[
        "-r",
        "mixed.pcapng",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "tracker.event_name",
        "-e",
        "tracker.container.name",
    ]));
    let summary: Vec<String> = got.iter().map(|r| r[1..].join(" ").trim().to_string()).collect();
    assert_eq!(
        summary,
        [
            "TRACKER security_socket_connect web",
            "TRACKER net_packet_dns_request web",
            "DNS  web", // the capture's packet
            "DNS net_packet_raw web",
            "TRACKER net_packet_dns_response web",
            "DNS  web",
            "DNS net_packet_raw web",
            "ICMP", // the host capture: no context
            "ICMP",
            "TRACKER security_socket_connect web",
            "TCP  web",
            "TCP  web",
            "TCP  web",
            "TCP net_packet_raw web",
            "TRACKER net_packet_http_request web",
            "HTTP  web",
            "TCP net_packet_raw web", // the GET again: a TCP retransmission of frame 16
            "TRACKER net_packet_http_response web",
            "HTTP  web",
        ]
    );
    // DNS events (2, 5), DNS packets inside events (4, 7) and captured DNS packets (3, 6)
    assert_eq!(frames(&home, "mixed.pcapng", r#"dns.qry.name == "evil.example.com""#), [2, 3, 4, 5, 6, 7]);
    assert_eq!(frames(&home, "mixed.pcapng", "dns.a == 198.51.100.7"), [5, 6, 7]);
    // the HTTP request event and the captured request
    assert_eq!(frames(&home, "mixed.pcapng", r#"http.request.method == "GET""#), [15, 16]);
    assert_eq!(
        frames(&home, "mixed.pcapng", r#"tracker.proto_http_request.method == "GET""#),
        [15],
        "our own field: the event only"
    );
    assert_eq!(frames(&home, "mixed.pcapng", "http.response.code == 200"), [18, 19]);
    // everything to or from the web server: the connect event, packets, packet events, HTTP events
    assert_eq!(frames(&home, "mixed.pcapng", "ip.addr == 198.51.100.7"), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert_eq!(frames(&home, "mixed.pcapng", "ip.dst == 198.51.100.7 && tracker"), [10, 14, 15, 17]);
    assert_eq!(frames(&home, "mixed.pcapng", "tcp.port == 80"), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert_eq!(frames(&home, "mixed.pcapng", "udp.port == 53"), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(frames(&home, "mixed.pcapng", "ip.addr == 10.0.0.1"), [8, 9]);
}

#[test]
fn a_raw_packet_event_shows_the_packet_and_its_protocols() {
    let home = Home::new();
    home.add_sample("network/events.json");
    // frame 3 is the net_packet_raw event of the DNS query
    let hex = home.tshark(&["-r", "events.json", "-Y", "frame.number == 3", "-x"]);
    assert!(hex.contains("\nNetwork Packet (62 bytes):\n"), "{hex}");
    let tree = home.tshark(&["-r", "events.json", "-Y", "frame.number == 3", "-V"]);
    for layer in [
        "Tracker Event (JSON)",
        "Internet Protocol Version 4, Src: 10.0.0.5, Dst: 10.0.0.2",
        "User Datagram Protocol",
        "Domain Name System (query)",
    ] {
        assert!(tree.contains(&format!("\n{layer}")), "{layer} missing:\n{tree}");
    }
    assert!(tree.contains("    Event name: net_packet_raw\n"), "{tree}");
    let protocols = home.tshark(&[
        "-r",
        "events.json",
        "-T",
        "fields",
        "-e",
        "frame.protocols",
        "-Y",
        "tracker.event_name == \"net_packet_raw\"",
    ]);
    assert_eq!(
        protocols.lines().collect::<Vec<_>>(),
        [
            "exported_pdu:tracker:ip:udp:dns",
            "exported_pdu:tracker:ip:udp:dns",
            "exported_pdu:tracker:ip:tcp",
            "exported_pdu:tracker:ip:tcp:http"
        ]
    );
    // events show their addresses in the Source and Destination columns, as packets do
    let list = home.tshark(&["-r", "events.json", "-Y", "tracker.event_name == \"net_packet_dns_request\""]);
    assert!(list.contains(" 10.0.0.5 → 10.0.0.2 ") && list.contains(" TRACKER "), "{list}");
    let list = home.tshark(&["-r", "events.json", "-c", "1"]);
    assert!(list.contains(" → 10.0.0.2 "), "a connect's peer is its destination: {list}");
    // the event's own context stays filterable on the packet
    assert_eq!(frames(&home, "events.json", r#"tracker.process.name == "curl" && dns"#), [3, 5]);
}

#[test]
fn capture_context_fields_filter_packets_like_events() {
    let home = mixed();
    // one context filter: events and packets of the container
    let web = frames(&home, "mixed.pcapng", r#"tracker.container.name == "web""#);
    assert_eq!(web, [1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    // the same columns for events and packets
    let cols = [
        "tracker.container.name",
        "tracker.kubernetes.pod_name",
        "tracker.process.name",
        "tracker.process.pid",
        "tracker.process.host_pid",
    ];
    let mut args = vec!["-r", "mixed.pcapng", "-Y", "frame.number == 2 || frame.number == 3", "-T", "fields"];
    for c in cols {
        args.extend(["-e", c]);
    }
    let got = rows(&home.tshark(&args));
    assert_eq!(got[0], got[1], "event (2) and captured packet (3) differ: {got:?}");
    assert_eq!(got[0], ["web", "web-7d4b9c-x2x9q", "curl", "37", "191684"]);
    // the context is shown in the packet's tree
    let tree = home.tshark(&["-r", "capture-web.pcapng", "-c", "1", "-O", "tracker_context"]);
    assert!(tree.contains("[Tracker Capture Context]"), "{tree}");
    assert!(tree.contains("[Container name: web]"), "{tree}");
}

#[test]
fn packet_events_count_like_every_other_event() {
    let home = Home::new();
    home.add_sample("network/events.json");
    home.add_sample("enrich.json");
    let counts = home.tshark(&["-q", "-z", "tracker,counts", "-r", "events.json"]);
    let lines: Vec<&str> = counts.lines().map(str::trim_end).collect();
    let row = |name: &str, n: u32| format!("  {name:<54} {n:>10}");
    for (name, n) in [("net_packet_raw", 4), ("security_socket_connect", 2), ("net_packet_dns_request", 1)] {
        assert!(lines.contains(&row(name, n).as_str()), "{name} {n} missing:\n{counts}");
    }
    assert!(lines.contains(&format!("{:<56} {:>10}", "Total", 10).as_str()), "{counts}");
    // signatures apart, by severity
    let counts = home.tshark(&["-q", "-z", "tracker,counts", "-r", "enrich.json"]);
    let high = counts.find("Signatures, severity 3 (high)").expect(&counts);
    let medium = counts.find("Signatures, severity 2 (medium)").expect(&counts);
    assert!(
        high < counts.find("  fileless_execution ").unwrap()
            && medium < counts.find("  dynamic_code_loading ").unwrap()
    );
    assert!(counts.find("  ptrace ").unwrap() < high, "{counts}");
}

#[test]
fn each_section_of_a_capture_keeps_its_context_once_merged() {
    let home = Home::new();
    home.add_sample("network/capture-two-sections.pcapng");
    // Wireshark itself gives a later section's packets the first section's interface; merged, each
    // section's interface is its own
    let out = home.cli(&["merge", "capture-two-sections.pcapng", "-o", "sections.pcapng"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = rows(&home.tshark(&[
        "-r",
        "sections.pcapng",
        "-T",
        "fields",
        "-e",
        "tracker.process.name",
        "-e",
        "tracker.process.pid",
        "-e",
        "_ws.col.Protocol",
    ]));
    assert_eq!(got, [["curl", "37", "TCP"], ["curl", "37", "TCP"], ["wget", "52", "DNS"], ["wget", "52", "DNS"]]);
}
