#!/usr/bin/env bash
# The performance benchmark, in one run, as ratios:
#   ours   — the Trackershark plugin (engine module; also a row with the default enrichers, and
#            one reading the file in place: TRACKERSHARK_READ_AHEAD=off, no reading thread)
#   floor  — tshark reading the same file with a no-op Lua dissector (bench/lua/floor)
#   purelua — a plain pure-Lua JSON dissector showing a similar tree (bench/lua/purelua)
# for `tshark -r`, `-r -V`, `-Y <arg filter>`, `-T fields`, `-T json`, `-z tracker,counts`, the
# pcapng version of the file, CPU time and peak RSS of each, and tshark start-up with and without
# the plugin.
# Also engine-only figures: parse+type throughput, CLI convert throughput, WASM overhead per event.
#
#   bash bench/run.sh [N]        N events (default 100000); writes the table into bench/README.md
#   bash bench/run.sh N --smoke  the same, printing the table only (CI runs this with a small N)
#
# Needs the release build (scripts/build.sh) and GNU time. tshark runs as `nobody` when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
smoke=${2:-}
repo=$(pwd)
bin="$repo/target/release/trackershark"
[ -x "$bin" ] || { echo "run scripts/build.sh first" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
work=$(mktemp -d /tmp/trackershark-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

as_user() { # run as the unprivileged user, with HOME=$1
    local home=$1; shift
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$home" "$@"
    else
        env HOME="$home" "$@"
    fi
}

echo "== workload: $n events"
python3 bench/gen-workload.py "$n" "$work/events.json"
"$bin" convert "$work/events.json" -o "$work/events.pcapng" 2>/dev/null
head -1 "$work/events.json" > "$work/one.json"
"$bin" convert "$work/one.json" -o "$work/one.pcapng" 2>/dev/null
mb=$(awk -v b="$(stat -c %s "$work/events.json")" 'BEGIN { printf "%.1f", b / 1e6 }')

# one home per plugin
for h in none ours enriched floor purelua; do mkdir -p "$work/$h/.local/lib/wireshark/plugins"; done
cp bench/lua/floor/floor.lua "$work/floor/.local/lib/wireshark/plugins/"
cp bench/lua/purelua/purelua.lua "$work/purelua/.local/lib/wireshark/plugins/"
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$work"
as_user "$work/ours" "$bin" install --without-enrichers --module-dir "$repo/target/release" >/dev/null
as_user "$work/enriched" "$bin" install --module-dir "$repo/target/release" >/dev/null

# measure HOME ARGS… → "seconds peak-MiB CPU-seconds" (output discarded; a failure stops the run);
# HOME `inplace` is ours reading the file without its reading thread
measure() {
    local home=$1 env=(); shift
    [ "$home" = inplace ] && home=ours env=(TRACKERSHARK_READ_AHEAD=off)
    (cd "$work" && as_user "$work/$home" env "${env[@]}" /usr/bin/time -f "%e %M %U %S" -o "$work/time.out" tshark "$@" \
        >/dev/null 2>"$work/err.out") || { echo "tshark $* failed for $home:" >&2; cat "$work/err.out" >&2; exit 1; }
    awk '{ printf "%s %d %.2f\n", $1, $2 / 1024, $3 + $4 }' "$work/time.out"
}

declare -A filter=([ours]='tracker.args.pathname contains "etc"' [enriched]='tracker.args.pathname contains "etc"'
                   [inplace]='tracker.args.pathname contains "etc"'
                   [purelua]='purelua.arg contains "etc"' [floor]='frame contains "etc"')
declare -A fields=([ours]=tracker.event_name [enriched]=tracker.event_name [inplace]=tracker.event_name
                   [purelua]=purelua.event_name [floor]=frame.number)
modes=("-r" "-r -V" "-Y filter" "-T fields" "-T json" "-z counts" "pcapng -r")
run_mode() { # PLUGIN MODE
    local p=$1 mode=$2
    case "$mode" in
        "-r") measure "$p" -r events.json ;;
        "-r -V") measure "$p" -r events.json -V ;;
        "-Y filter") measure "$p" -r events.json -Y "${filter[$p]}" ;;
        "-T fields") measure "$p" -r events.json -T fields -e frame.number -e "${fields[$p]}" ;;
        "-T json") measure "$p" -r events.json -T json ;;
        "-z counts") if [[ $p == ours || $p == enriched || $p == inplace ]]; then measure "$p" -q -r events.json -z tracker,counts; else echo "— — —"; fi ;;
        "pcapng -r") measure "$p" -r events.pcapng ;;
    esac
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "—" || a == "—" || b == 0) print "—"; else printf "%.2f×", a / b }'; }
cell() { [ "$1" = "—" ] && echo "—" || echo "$1 s / $3 s / $2 MiB"; } # time, CPU, peak RSS

# first runs compile the enrichers into the user's cache: not part of what is measured; the inputs
# are read once so that no plugin's first run pays for reading them from disk
for p in none ours enriched floor purelua; do measure "$p" -r one.pcapng >/dev/null; done
cat "$work/events.json" "$work/events.pcapng" >/dev/null

rows=()
for mode in "${modes[@]}"; do
    declare -A t=() m=() c=()
    # -r of the JSON file (whose ratio has a target) and of the pcapng file: ours, in place and the
    # floor, best of 5 runs taken in turns (ours, in place, floor, ours, …) so that this machine's
    # speed, which drifts from minute to minute, weighs on each side alike; one run otherwise, to
    # keep the bench to minutes
    rounds=1; [[ $mode == "-r" || $mode == "pcapng -r" ]] && rounds=5
    for ((k = 0; k < rounds; k++)); do
        for p in ours inplace enriched floor purelua; do
            [[ $k -gt 0 && $p != ours && $p != inplace && $p != floor ]] && continue
            out=$(run_mode "$p" "$mode") || exit 1
            read -r secs rss cpu <<< "$out"
            if [ -z "${t[$p]:-}" ] || [ "$secs" = "—" ] || awk -v a="$secs" -v b="${t[$p]}" 'BEGIN { exit !(a < b) }'; then
                t[$p]=$secs; m[$p]=$rss; c[$p]=$cpu
            fi
        done
    done
    line="| \`$mode\` | $(cell "${t[ours]}" "${m[ours]}" "${c[ours]}") | $(cell "${t[inplace]}" "${m[inplace]}" "${c[inplace]}") | $(cell "${t[enriched]}" "${m[enriched]}" "${c[enriched]}") | $(cell "${t[floor]}" "${m[floor]}" "${c[floor]}") | $(cell "${t[purelua]}" "${m[purelua]}" "${c[purelua]}") | $(ratio "${t[ours]}" "${t[floor]}") | $(ratio "${t[ours]}" "${t[purelua]}") | $(ratio "${c[ours]}" "${c[floor]}") | $(ratio "${t[inplace]}" "${t[floor]}") |"
    echo "$line"
    rows+=("$line")
done

# start-up: the best of 3 runs on a one-event pcapng, per plugin
startup() {
    local best=999
    for _ in 1 2 3; do
        out=$(measure "$1" -r one.pcapng) || exit 1
        read -r secs _ <<< "$out"
        best=$(awk -v a="$secs" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
    done
    echo "$best"
}
s_none=$(startup none) && s_ours=$(startup ours) && s_enriched=$(startup enriched) && s_floor=$(startup floor) || exit 1
startup_line="tshark start-up (one event): no plugin ${s_none} s, floor ${s_floor} s, ours ${s_ours} s ($(awk -v a="$s_ours" -v b="$s_none" 'BEGIN { printf "%+.2f", a - b }') s), with the default enrichers ${s_enriched} s"
echo "$startup_line"

# engine-only figures
engine_out=$(cargo bench --locked -q -p trackershark-engine --bench throughput -- "$work/events.json" 2>/dev/null)
engine_line=$(grep "engine parse+type" <<< "$engine_out")
columns_line=$(grep "engine columns only" <<< "$engine_out")
cache_line=$(grep "re-dissection" <<< "$engine_out")
echo "$engine_line"
echo "$columns_line"
echo "$cache_line"
start=$(date +%s.%N); "$bin" convert "$work/events.json" -o "$work/again.pcapng" 2>/dev/null; end=$(date +%s.%N)
convert_line=$(awk -v s="$start" -v e="$end" -v mb="$mb" -v n="$n" 'BEGIN { printf "CLI convert JSON→pcapng: %.0f MB/s, %.0f events/s", mb / (e - s), n / (e - s) }')
echo "$convert_line"
wasm_line=$(cargo bench --locked -q --bench overhead -- --quick 2>/dev/null | grep "host-call overhead" | sed 's/  */ /g')
echo "$wasm_line"

table=$(
    echo "Run of $(date -u +%Y-%m-%d): $n events ($mb MB), $(tshark -v 2>/dev/null | head -1), $(nproc) cores, $(uname -m)."
    echo
    echo "Cells: wall time / CPU time (user + system) / peak RSS. Ours reads the file on a thread of its own; \"in place\" is ours without it (\`TRACKERSHARK_READ_AHEAD=off\`, as on a single core)."
    echo
    echo "| tshark | ours | ours, read in place | ours + default enrichers | floor (no-op Lua) | pure-Lua dissector | ours ÷ floor | ours ÷ pure Lua | CPU: ours ÷ floor | in place ÷ floor |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "- $startup_line"
    echo "- $engine_line"
    echo "- $columns_line (the packet list's reading, when nothing reads an event's items)"
    echo "- $cache_line"
    echo "- $convert_line"
    echo "- WASM enrichers: ${wasm_line# }"
)
if [ "$smoke" = "--smoke" ]; then
    echo "smoke run: bench/README.md left as it is"
    exit 0
fi
python3 - "$table" <<'PY'
import re, sys
p = "bench/README.md"
text = open(p).read()
new = "<!-- results:start -->\n" + sys.argv[1] + "\n<!-- results:end -->"
open(p, "w").write(re.sub(r"<!-- results:start -->.*?<!-- results:end -->", lambda m: new, text, flags=re.S))
PY
echo "results written to bench/README.md"
