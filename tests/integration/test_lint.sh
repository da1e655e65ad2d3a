#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Static checks through `make lint`: one TAP line per tool (the banned
# functions of STYLE.md 2.2, cppcheck, clang-tidy). A tool passes when
# make lint printed "lint: TOOL: ok"; otherwise its findings follow the
# "not ok" line.
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

for tool in "banned functions" cppcheck clang-tidy; do
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

tap_done
