#!/usr/bin/env bash
# Peak memory of the engine's streaming paths on big inputs: it must stay flat as the input grows.
#   bash scripts/bench-memory.sh [N ...]     (default: 100000 1000000 events)
# Generates N events (the samples repeated, timestamps increasing) in a temporary directory, then
# measures peak RSS of `trackershark convert` (both ways), `merge` and `show --brief`.
# Needs the release build (scripts/build.sh) and GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/trackershark
[ -x "$bin" ] || { echo "run scripts/build.sh first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak() { # peak RSS in MiB of a command, its output discarded
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1
    echo $(( $(cat "$work/rss") / 1024 ))
}

printf '| events | input | convert JSON→pcapng | convert pcapng→JSON | merge | show --brief |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for n in "${sizes[@]}"; do
    python3 - "$n" "$work/events.json" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
lines = [l for f in ("tests/samples/events.json", "tests/samples/enrich.json", "tests/samples/network/events.json")
         for l in open(f).read().splitlines() if l.strip()]
with open(out, "w") as o:
    for i in range(n):
        e = json.loads(lines[i % len(lines)])
        e["timestamp"] = 1700000000000000000 + i * 1000
        o.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
    size=$(( $(stat -c %s "$work/events.json") / 1048576 ))
    a=$(peak "$bin" convert "$work/events.json" -o "$work/events.pcapng")
    b=$(peak "$bin" convert "$work/events.pcapng" -o "$work/back.json")
    cmp -s "$work/events.json" "$work/back.json" || { echo "round trip differs at $n events" >&2; exit 1; }
    c=$(peak "$bin" merge "$work/events.json" tests/samples/network/capture-web.pcapng -o "$work/merged.pcapng")
    d=$(peak "$bin" show --brief "$work/events.json")
    printf '| %s | %s MiB | %s MiB | %s MiB | %s MiB | %s MiB |\n' "$n" "$size" "$a" "$b" "$c" "$d"
done
