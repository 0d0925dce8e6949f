#!/usr/bin/env bash
# Builds (once) the Debian roots the test matrix runs newer Wireshark releases in:
#   trixie → Wireshark 4.4 (Lua 5.4), sid → Wireshark 4.6 (Lua 5.4).
# Cached outside the checkout ($TRACKERSHARK_ROOTS, default /var/cache/trackershark/roots) and
# rebuilt when missing. The package mirror is the one this machine's apt already uses.
# Prints "<suite> <root>" per line. Fails loudly when a root cannot be built.
set -euo pipefail
roots="${TRACKERSHARK_ROOTS:-/var/cache/trackershark/roots}"
suites=("${@:-trixie sid}")
read -r -a suites <<< "${suites[*]}"

mirror() {
    local uri
    uri=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | awk '{print $2}' | head -1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
              | grep -v security | grep -i debian | awk '{print $2}' | head -1 || true)
    fi
    [ -n "$uri" ] || { echo "no Debian mirror found in this machine's apt sources" >&2; exit 1; }
    echo "$uri"
}

command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

for suite in "${suites[@]}"; do
    root="$roots/$suite"
    if [ ! -x "$root/usr/bin/tshark" ] || [ ! -x "$root/usr/bin/setpriv" ]; then
        echo "building the $suite root in $root (once)" >&2
        rm -rf "$root.tmp"
        mkdir -p "$roots"
        debootstrap --variant=minbase "$suite" "$root.tmp" "$(mirror)" >"$roots/$suite.log" 2>&1 \
            || { echo "debootstrap $suite failed; see $roots/$suite.log" >&2; exit 1; }
        mount -t proc proc "$root.tmp/proc"
        trap 'umount "$root.tmp/proc" 2>/dev/null || true' EXIT
        echo "wireshark-common wireshark-common/install-setuid boolean false" | chroot "$root.tmp" debconf-set-selections
        chroot "$root.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            tshark util-linux >>"$roots/$suite.log" 2>&1 \
            || { umount "$root.tmp/proc"; echo "installing tshark in $suite failed; see $roots/$suite.log" >&2; exit 1; }
        umount "$root.tmp/proc"
        trap - EXIT
        rm -rf "$root"
        mv "$root.tmp" "$root"
    fi
    echo "$suite $root"
done
