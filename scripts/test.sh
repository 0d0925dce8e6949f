#!/usr/bin/env bash
# Runs every test: engine unit tests, CLI tests, and the tshark end-to-end suite (tshark runs as
# an unprivileged user with the plugin installed by `trackershark install`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -z "${TRACKERSHARK_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
    echo "Tracee corpus not found at ../shared/corpus; set TRACKERSHARK_CORPUS" >&2
    exit 1
fi
cargo test --release --locked 2>&1
