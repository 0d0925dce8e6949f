#!/usr/bin/env bash
# Runs the fuzz properties of the engine (engine/tests/fuzz.rs) and of the capture's Forward decoder
# (capture/tests/fuzz.rs) beyond CI's short slice:
#   bash scripts/fuzz.sh --cases 1000000     each property that many cases (seed 7, as in CI)
#   bash scripts/fuzz.sh --seconds 3600      rounds of 50,000 cases per property, a new seed each
#                                            round, until the time is up
# Failures print the smallest failing input. The cases run are listed in target/reports/fuzz.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:---cases}
amount=${2:-100000}
rm -f target/reports/fuzz.md
run() {
    PROPTEST_CASES="$1" TRACKERSHARK_FUZZ_SEED="$2" cargo test --release --locked -p trackershark-engine --test fuzz
    PROPTEST_CASES="$1" TRACKERSHARK_FUZZ_SEED="$2" cargo test --release --locked -p trackershark-capture --test fuzz
}
case "$mode" in
    --cases) run "$amount" 7 ;;
    --seconds)
        end=$((SECONDS + amount))
        seed=1000
        while [ "$SECONDS" -lt "$end" ]; do
            run 50000 "$seed"
            seed=$((seed + 1))
        done
        ;;
    *) echo "usage: $0 --cases N | --seconds S" >&2; exit 2 ;;
esac
awk -F'|' '{ n[$2] += $3 } END { for (p in n) printf "%-80s %d cases, 0 failures\n", p, n[p] }' target/reports/fuzz.md
