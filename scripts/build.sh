#!/usr/bin/env bash
# Builds everything in release mode, into target/release where `trackershark install` finds it:
#   trackershark                                  the CLI
#   trackershark_lua52.so, trackershark_lua54.so  the engine's Lua module for Wireshark ≤ 4.2 / ≥ 4.4
#   enrichers/*.wasm, enrichers/rules.toml        the default enrichers and signature renderer
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

cargo build --release --locked -p trackershark
cargo build --release --locked -p trackershark-lua --features lua52
cp target/release/libtrackershark_lua.so target/release/trackershark_lua52.so
# Same target dir: cargo keeps both feature sets' dependencies, so only the module itself relinks.
cargo build --release --locked -p trackershark-lua --no-default-features --features lua54
cp target/release/libtrackershark_lua.so target/release/trackershark_lua54.so

# The guest workspace has its own target (wasm32-unknown-unknown, set in its .cargo/config.toml).
(cd enrichers-wasm && cargo build --release --locked --target wasm32-unknown-unknown)
mkdir -p target/release/enrichers
rm -f target/release/enrichers/*.wasm
for crate in enrichers-wasm/defaults/*/; do
    name=$(basename "$crate")
    cp "enrichers-wasm/target/wasm32-unknown-unknown/release/$name.wasm" target/release/enrichers/
done
cp enrichers-wasm/defaults/rules.toml target/release/enrichers/rules.toml
echo "built: target/release/trackershark, trackershark_lua52.so, trackershark_lua54.so, enrichers/ ($(ls target/release/enrichers | tr '\n' ' '))"
