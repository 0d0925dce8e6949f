#!/usr/bin/env bash
# Runs every test: engine and CLI unit tests, then the tshark end-to-end suite on every Wireshark
# release of the matrix — this machine's own (4.0, Lua 5.2) and Debian roots with 4.4 and 4.6
# (Lua 5.4) built by scripts/wireshark-roots.sh. tshark always runs as an unprivileged user with the
# plugin installed by `trackershark install`. Writes the compatibility table into README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -z "${TRACKERSHARK_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
    echo "Tracee corpus not found at ../shared/corpus; set TRACKERSHARK_CORPUS" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
count() { # passed failed, summed over cargo's "test result" lines
    awk '/^test result:/ { p += $4; f += $6 } END { printf "%d %d\n", p, f }' "$1"
}
version_of() { # "4.0.17 5.2" for the tshark at root $1 ("" = this machine)
    local cmd=(tshark -v)
    [ -n "$1" ] && cmd=(chroot "$1" tshark -v)
    # 4.0–4.4 say "with Lua 5.x.y", 4.6 says "+Lua 5.x.y"
    "${cmd[@]}" 2>/dev/null | tr '\n' ' ' | sed -E 's/^TShark \(Wireshark\) ([0-9.]+[0-9]).*(with |\+)Lua ([0-9]+\.[0-9]+).*/\1 \3/'
    echo
}

rm -rf target/reports   # the robustness report is rebuilt by this run
rows=()
total_passed=0
total_failed=0
echo "== all tests on this machine's Wireshark ($(version_of ''))"
read -r ws lua < <(version_of '')
TRACKERSHARK_REPORT_WIRESHARK="$ws" cargo test --release --locked 2>&1 | tee "$log"
echo "== the default enrichers' own tests (natively; the plugins themselves are built for wasm32)"
(cd enrichers-wasm && cargo test --locked --target x86_64-unknown-linux-gnu) 2>&1 | tee -a "$log"
read -r passed failed < <(count "$log")
total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
rows+=("| $ws | Lua $lua | $passed passed, $failed failed (all tests) |")

mapfile -t roots < <(bash scripts/wireshark-roots.sh)
for entry in "${roots[@]}"; do
    read -r suite root <<< "$entry"
    read -r ws lua < <(version_of "$root")
    echo "== tshark suite on Wireshark $ws (Debian $suite root)"
    TRACKERSHARK_REPORT_WIRESHARK="$ws" TRACKERSHARK_WIRESHARK_ROOT="$root" \
        cargo test --release --locked -p trackershark-tests 2>&1 | tee "$log"
    read -r passed failed < <(count "$log")
    total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
    rows+=("| $ws | Lua $lua | $passed passed, $failed failed (tshark suite) |")
done

echo "== enrichment cost (benchmark, short run; the target is checked by reading it, not by a timer)"
cargo bench --locked --bench overhead -- --quick
echo "== performance benchmark, small-N smoke (bench/run.sh; no timing is asserted)"
bash bench/run.sh 500 --smoke

echo "== peak memory of the streaming CLI paths at two input sizes (must not grow with the input)"
memory=$(bash scripts/bench-memory.sh 20000 1000000 | tee /dev/stderr)

# tests/ROBUSTNESS.md: what the hostile-input tests and the fuzz slice tried, and what was lost
{
    echo "# Robustness report ($(date -u +%Y-%m-%d), written by scripts/test.sh)"
    echo
    echo "Hostile input through tshark + plugin + engine (tests/tests/malformed.rs). Every input must"
    echo "give a frame or a clear reader error: none may crash, hang or go missing."
    echo
    echo "| Wireshark | input | inputs tried | faults survived | events lost |"
    echo "| --- | --- | --- | --- | --- |"
    cat target/reports/malformed.md
    echo
    echo "Fuzzing of the engine (engine/tests/fuzz.rs) and of the live capture's Forward decoder"
    echo "(capture/tests/fuzz.rs), deterministic CI slice; longer runs: scripts/fuzz.sh."
    echo
    echo "| property | cases | failures |"
    echo "| --- | --- | --- |"
    cat target/reports/fuzz.md
    echo
    echo "Hostile Forward clients against the live-capture receiver (capture/tests/hostile.rs), all"
    echo "against one capture process while a well-behaved client sends events."
    echo
    echo "| client | outcome | detail |"
    echo "| --- | --- | --- |"
    cat target/reports/capture.md
    echo
    echo "Peak memory (MiB) of the engine's streaming paths as the input grows, up to a 1M-event file"
    echo "(scripts/bench-memory.sh). The dissection cache of the Lua module holds at most 256 events of up"
    echo "to 16 KiB, the compiled-module cache 64 modules."
    echo
    echo "$memory"
} > tests/ROBUSTNESS.md

table=$(printf '| Wireshark | Lua ABI | Last matrix run (%s) |\n| --- | --- | --- |\n' "$(date -u +%Y-%m-%d)"; printf '%s\n' "${rows[@]}")
python3 - "$table" <<'PY'
import re, sys
text = open("README.md").read()
new = "<!-- compat:start -->\n" + sys.argv[1] + "\n<!-- compat:end -->"
open("README.md", "w").write(re.sub(r"<!-- compat:start -->.*?<!-- compat:end -->", new, text, flags=re.S))
PY
printf '%s\n' "$table"
echo
echo "$total_passed passed, $total_failed failed"
