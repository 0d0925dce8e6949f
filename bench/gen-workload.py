#!/usr/bin/env python3
"""Writes N realistic Tracker events (JSON lines) for benchmarks: a mix like a busy traced host —
syscalls with several arguments, process executions with argv, container and Kubernetes context,
security events, DNS and HTTP network events, net_packet_raw packets and signatures — built from
the bundled samples with varied processes and increasing timestamps. About 1.1 KB per event.

    python3 bench/gen-workload.py N out.json
"""
import json
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "samples"


def load(name):
    return [json.loads(l) for l in (SAMPLES / name).read_text().splitlines() if l.strip()]


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    events = [e for e in load("events.json") if "eventName" in e]  # (the sample has a v0.7 line too)
    enrich, network = load("enrich.json"), load("network/events.json")
    exec_, k8s, sig = load("exec.json"), load("k8s.json"), load("signature.json")
    by_name = {}
    for e in events + enrich + network + exec_ + k8s + sig:
        by_name.setdefault(e.get("eventName", ""), []).append(e)
    # (weight, templates): syscalls dominate, as they do on a real host
    mix = [
        (44, events),
        (8, by_name["sched_process_exec"] + exec_),
        (4, k8s),
        (10, [e for e in enrich if e["eventName"].startswith("security_")]),
        (6, [e for e in network if e["eventName"].startswith("net_packet_dns")]),
        (6, [e for e in network if e["eventName"].startswith("net_packet_http")]),
        (6, by_name["net_packet_raw"]),
        (6, [e for e in enrich if e["eventName"] in ("magic_write", "ptrace")]),
        (4, [e for e in enrich + sig if "metadata" in e]),
        (6, [e for e in network if e["eventName"] == "security_socket_connect"]),
    ]
    plan = [t for w, templates in mix for t in (templates * w)[:w]]
    # spread each kind through the file rather than in blocks
    plan.sort(key=lambda t: hash(json.dumps(t, sort_keys=True)) % 997)
    ts = 1_732_350_000_000_000_000
    total = 0
    with out.open("w") as o:
        for i in range(n):
            e = dict(plan[i % len(plan)])
            ts += 7_919  # ns
            e["timestamp"] = ts
            pid = 1000 + (i * 7) % 5000
            for key in ("processId", "threadId", "hostProcessId", "hostThreadId"):
                if key in e:
                    e[key] = pid
            line = json.dumps(e, separators=(",", ":"))
            total += len(line) + 1
            o.write(line + "\n")
    print(f"{n} events, {total / n:.0f} bytes per event on average, {total / 1e6:.1f} MB: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
