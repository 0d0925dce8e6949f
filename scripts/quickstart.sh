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
echo "== tshark -r tests/samples/events.json -Y 'tracker.args.pathname contains \"shadow\"' -V -c 1 (first match)"
tshark -r tests/samples/events.json -Y 'tracker.args.pathname contains "shadow"' -O tracker -c 1
