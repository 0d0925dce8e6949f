#!/usr/bin/env bash
# Installs what Trackershark needs on a Debian/Ubuntu machine that has the Rust toolchain (rustup):
# tshark (Wireshark's CLI, with its Lua support), the Wireshark file tools, the WebAssembly target
# the default enrichers are built for, and the toolchains of the example enrichers (clang + lld for
# C, Zig from PyPI). Idempotent.
set -euo pipefail

ZIG_VERSION=0.13.0
toolchains="${TRACKERSHARK_TOOLCHAINS:-/opt/trackershark/toolchains}"

need=()
for tool in tshark editcap mergecap reordercap setpriv clang wasm-ld; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=("python3-venv")
[ -x /usr/bin/time ] || need+=("time")   # GNU time: peak memory in the benchmarks
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${need[*]}; run as root or: sudo apt-get install tshark util-linux clang lld python3-venv time" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # no question about letting non-root users capture
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    pkgs=(tshark util-linux clang lld time)
    python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if ! "$toolchains/zig/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
    python3 -m venv "$toolchains/zig"
    "$toolchains/zig/bin/pip" install -q "ziglang==$ZIG_VERSION"
fi
tshark -v 2>/dev/null | head -1
echo "zig $("$toolchains/zig/bin/python" -m ziglang version), $(clang --version | head -1)"
