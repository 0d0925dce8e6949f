#!/usr/bin/env bash
# One command from a fresh machine to tshark dissecting Tracker events:
# install tshark, build, install the plugin for this user, show a bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./target/release/trackershark install --module-dir target/release
echo
echo "== tshark -r tests/samples/events.json"
tshark -r tests/samples/events.json
echo
echo "== tshark -r tests/samples/events.json -Y 'tracker.container.name == \"web\" && tracker.event_name == \"sched_process_exec\"' -O tracker"
tshark -r tests/samples/events.json -Y 'tracker.container.name == "web" && tracker.event_name == "sched_process_exec"' -O tracker
echo
echo "== tshark -r tests/samples/enrich.json   (Info written by the default enrichers and signature renderer)"
tshark -r tests/samples/enrich.json
