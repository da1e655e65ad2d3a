#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Static checks through `make lint`: one TAP line per tool (the banned
# functions listed in mk/lint.mk, cppcheck, clang-tidy, shellcheck, the
# configuration keys in the man page). A tool passes when
# make lint printed "lint: TOOL: ok"; otherwise its findings follow the
# "not ok" line. Then one line per shipped binary: the glibc it needs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

make_args=(-C "$root" --no-print-directory)
if [ "$build" != "$root/build" ]; then
    make_args+=(BUILD="$build")
fi
make "${make_args[@]}" lint >"$out" 2>&1
rc=$?

# findings TOOL: what make lint printed before "lint: TOOL: ..." (each
# check prints its findings, then its verdict).
findings() {
    awk -v tool="lint: $1: " '
        index($0, "lint: ") == 1 {
            if (index($0, tool) == 1) { printf "%s", chunk; exit }
            chunk = ""; next
        }
        { chunk = chunk $0 "\n" }' "$out"
}

for tool in "banned functions" cppcheck clang-tidy shellcheck \
    "man page keys"; do
    if grep -qx "lint: $tool: ok" "$out"; then
        tap_ok "lint: $tool"
    else
        tap_not_ok "lint: $tool"
        findings "$tool" | head -n 40 | sed 's/^/# /'
    fi
done
if [ "$rc" -ne 0 ] && ! grep -q 'FAILED' "$out"; then
    tap_not_ok "make lint exited with status $rc"
    tail -n 20 "$out" | sed 's/^/# /'
fi

# The oldest glibc the packages target: RHEL 9 and Amazon Linux 2023 ship
# 2.34 (Ubuntu 22.04 2.35). A binary that needs a symbol versioned after
# it does not start there ("version `GLIBC_2.36' not found").
glibc_max=2.34

# newer_symbols FILE: "GLIBC_x.y symbol" for each dynamic symbol of FILE
# versioned after $glibc_max.
newer_symbols() {
    objdump -T "$1" | awk -v max="$glibc_max" '
        function newer(v, m,    a, b, i, n) {
            n = split(v, a, ".")
            split(m, b, ".")
            for (i = 1; i <= n || i in b; i++) {
                if (a[i] + 0 != b[i] + 0)
                    return a[i] + 0 > b[i] + 0
            }
            return 0
        }
        {
            for (f = 1; f <= NF; f++) {
                v = $f
                gsub(/[()]/, "", v)
                if (v ~ /^GLIBC_[0-9.]+$/ && newer(substr(v, 7), max))
                    print v, $NF
            }
        }' | sort -u
}

for bin in iam-sync iam-authorized-keys iam-verify-key libnss_iam.so.2; do
    path=$build/$bin
    if [ ! -f "$path" ]; then
        tap_not_ok "glibc <= $glibc_max: $bin (missing: $path; run make all)"
        continue
    fi
    newer=$(newer_symbols "$path")
    if [ -z "$newer" ] && objdump -T "$path" >/dev/null 2>&1; then
        tap_ok "glibc <= $glibc_max: $bin"
    else
        tap_not_ok "glibc <= $glibc_max: $bin needs newer symbols"
        printf '%s\n' "${newer:-objdump -T $path failed}" | sed 's/^/# /'
    fi
done

tap_done
