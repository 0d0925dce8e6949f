#!/usr/bin/env bash
# Installs what Trackershark needs on a Debian/Ubuntu machine that has the Rust toolchain (rustup):
# tshark (Wireshark's CLI, with its Lua support), the Wireshark file tools, the WebAssembly target
# the default enrichers are built for, and the toolchains of the example enrichers (clang + lld for
# C, Zig from PyPI), OpenSSH (client for remote capture; server for the capture tests, which start
# their own sshd on 127.0.0.1) and a real Fluent Forward client (fluent-logger from PyPI) for the
# capture receiver's tests. Idempotent.
set -euo pipefail

ZIG_VERSION=0.13.0
toolchains="${TRACKERSHARK_TOOLCHAINS:-/opt/trackershark/toolchains}"
FLUENT_LOGGER_VERSION=0.11.1
forward_client="${TRACKERSHARK_FORWARD_CLIENT:-/opt/trackershark/forward-client}"

need=()
for tool in tshark editcap mergecap reordercap setpriv clang wasm-ld ssh ssh-keygen; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ -x /usr/sbin/sshd ] || need+=("sshd")
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=("python3-venv")
[ ! -x /usr/bin/python3 ] || /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need+=("python3-venv")
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
    pkgs=(tshark util-linux clang lld time openssh-client openssh-server)
    python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
    [ ! -x /usr/bin/python3 ] || /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
    # the package must not start a system sshd: the tests run their own, on 127.0.0.1 only
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
    fi
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
    [ -n "$own_policy" ] && rm -f "$policy"
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if ! "$toolchains/zig/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
    python3 -m venv "$toolchains/zig"
    "$toolchains/zig/bin/pip" install -q "ziglang==$ZIG_VERSION"
fi
# the Debian python when there is one: the tshark capture test runs the client as `nobody`, who
# cannot reach a python under /root (pyenv)
forward_py=python3
[ -x /usr/bin/python3 ] && forward_py=/usr/bin/python3
forward_home=$("$forward_py" -c 'import os, sys; print(os.path.dirname(sys.executable))')
if ! "$forward_client/bin/python" -c 'import fluent.sender' 2>/dev/null \
    || ! grep -qx "home = $forward_home" "$forward_client/pyvenv.cfg" \
    || [ "$("$forward_client/bin/pip" show fluent-logger 2>/dev/null | sed -n 's/^Version: //p')" != "$FLUENT_LOGGER_VERSION" ]; then
    "$forward_py" -m venv --clear "$forward_client"
    "$forward_client/bin/pip" install -q "fluent-logger==$FLUENT_LOGGER_VERSION"
fi
tshark -v 2>/dev/null | head -1
ssh -V 2>&1
echo "fluent-logger $("$forward_client/bin/pip" show fluent-logger | sed -n 's/^Version: //p') in $forward_client"
echo "zig $("$toolchains/zig/bin/python" -m ziglang version), $(clang --version | head -1)"
