#!/usr/bin/env bash
# Installs what Trackershark needs on a Debian/Ubuntu machine that has the Rust toolchain:
# tshark (Wireshark's CLI, with its Lua support) and the Wireshark file tools. Idempotent.
set -euo pipefail

need=()
for tool in tshark editcap mergecap reordercap setpriv; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${need[*]}; run as root or: sudo apt-get install tshark util-linux" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # no question about letting non-root users capture
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends tshark util-linux >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
tshark -v 2>/dev/null | head -1
