#!/usr/bin/env bash
# Builds everything in release mode: the CLI, and the engine's Lua module for both Lua ABIs
# (5.2 for Wireshark ≤ 4.2, 5.4 for Wireshark ≥ 4.4), placed next to the CLI as
# target/release/trackershark_lua52.so and trackershark_lua54.so, where `trackershark install` finds them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

cargo build --release --locked -p trackershark
cargo build --release --locked -p trackershark-lua --features lua52
cp target/release/libtrackershark_lua.so target/release/trackershark_lua52.so
# Same target dir: cargo keeps both feature sets' dependencies, so only the module itself relinks.
cargo build --release --locked -p trackershark-lua --no-default-features --features lua54
cp target/release/libtrackershark_lua.so target/release/trackershark_lua54.so
echo "built: target/release/trackershark, trackershark_lua52.so, trackershark_lua54.so"
