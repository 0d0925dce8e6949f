#!/usr/bin/env bash
# Builds the example enrichers from source into <out-dir>:
#   c_sensitive_path.wasm     from c/sensitive_path.c        (clang + wasm-ld)
#   zig_container_shell.wasm  from zig/container_shell.zig   (Zig 0.13)
#   uid_zero.wat              copied from wat/ (the host loads WAT text as it is)
#   rules.toml                copied, so <out-dir> is a ready enrichers directory
#
# Usage: enrichers-wasm/examples/build.sh <out-dir>
#
# Toolchains: clang with the wasm32 target and wasm-ld ($CLANG, default `clang`); Zig from
# $TRACKERSHARK_ZIG (a command, e.g. "zig" or "python3 -m ziglang"), else
# /opt/trackershark/toolchains/zig/bin/python -m ziglang, else `zig` on PATH.
set -euo pipefail

die() {
    echo "build.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: $0 <out-dir>"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

# ---- toolchains ----
clang=${CLANG:-clang}
command -v "$clang" >/dev/null || die "clang not found (install clang, or set \$CLANG)"
command -v wasm-ld >/dev/null || die "wasm-ld not found (install lld, e.g. apt-get install lld)"

if [ -n "${TRACKERSHARK_ZIG:-}" ]; then
    read -r -a zig <<<"$TRACKERSHARK_ZIG"
elif [ -x /opt/trackershark/toolchains/zig/bin/python ] &&
    /opt/trackershark/toolchains/zig/bin/python -c 'import ziglang' 2>/dev/null; then
    zig=(/opt/trackershark/toolchains/zig/bin/python -m ziglang)
elif command -v zig >/dev/null; then
    zig=(zig)
else
    die "zig not found (set \$TRACKERSHARK_ZIG, e.g. TRACKERSHARK_ZIG=\"python3 -m ziglang\" after pip install ziglang==0.13.0)"
fi
zig_version=$("${zig[@]}" version) || die "cannot run zig: ${zig[*]}"
case "$zig_version" in
0.13.*) ;;
*) echo "build.sh: warning: zig $zig_version; the example is written for 0.13" >&2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- C ----
# --target=wasm32: a core module; -nostdlib -ffreestanding: no libc, and no hidden calls into one;
# --no-entry: a library without main. Exports are named in the source (export_name), imports come
# from the module "trackershark" (import_module); an undefined symbol is an error, so nothing else
# can end up imported.
"$clang" --target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--strip-all \
    -o "$out/c_sensitive_path.wasm" "$here/c/sensitive_path.c" ||
    die "clang failed (does it have the wasm32 target? \`$clang --print-targets | grep wasm32\`)"

# ---- Zig ----
# -fno-entry: no main; --export=…: the ABI's functions (memory is exported by default).
"${zig[@]}" build-exe "$here/zig/container_shell.zig" \
    -target wasm32-freestanding -fno-entry -O ReleaseSmall -fstrip \
    --export=trackershark_abi_version --export=alloc --export=describe --export=enrich \
    --cache-dir "$work/zig-cache" \
    -femit-bin="$work/zig_container_shell.wasm" ||
    die "zig build-exe failed"
cp "$work/zig_container_shell.wasm" "$out/" # (zig leaves an object file next to its output)

# ---- WAT and rules ----
cp "$here/wat/uid_zero.wat" "$out/uid_zero.wat"
cp "$here/rules.toml" "$out/rules.toml"

echo "built into $out:"
for f in c_sensitive_path.wasm zig_container_shell.wasm uid_zero.wat rules.toml; do
    [ -s "$out/$f" ] || die "$out/$f is missing or empty"
    printf '  %-26s %6d bytes\n' "$f" "$(wc -c <"$out/$f")"
done
echo "  (clang: $("$clang" --version | head -n1); zig: $zig_version)"
