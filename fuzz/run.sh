#!/usr/bin/env bash
# fuzz/run.sh: run libFuzzer targets one after the other and print TAP.
#
# Usage: fuzz/run.sh [--fresh] BINDIR SECONDS STATS NAME...
#   --fresh  start from the committed seeds only, in an emptied
#            BINDIR/check-corpus/NAME/, so that a check always does the
#            same amount of work (make fuzz-check)
#   BINDIR   where fuzz_NAME binaries are (build/fuzz)
#   SECONDS  how long each target fuzzes (-max_total_time)
#   STATS    file that receives one line per target: "NAME EXECS SECONDS"
#
# For each NAME: first every file of fuzz/regressions/NAME/ is run once
# (an input that once crashed must never crash again), then the target
# fuzzes from fuzz/corpus/NAME/ (committed seeds, never written) and
# BINDIR/corpus/NAME/ (what earlier runs found, kept between runs; see
# --fresh), with fuzz/dict/NAME.dict when there is one. Prints
#   ok N - fuzz NAME: EXECS execs, no crash
# or "not ok" with the reason and the saved input under
# BINDIR/artifacts/NAME/. Full logs: BINDIR/log/NAME.log.
set -u
cd "$(dirname "$0")/.." || exit 2

fresh=false
if [ "${1:-}" = --fresh ]; then
    fresh=true
    shift
fi
if [ $# -lt 4 ]; then
    echo "usage: fuzz/run.sh [--fresh] BINDIR SECONDS STATS NAME..." >&2
    exit 2
fi
bindir=$1
seconds=$2
stats=$3
shift 3

n=0
failed=0
mkdir -p "$(dirname "$stats")" "$bindir/log"
: >"$stats"

# fail_lines LOG: the lines of a libFuzzer log that say what went wrong.
fail_lines() {
    grep -E 'invariant broken|ERROR: |SUMMARY: |Test unit written|runtime error' \
        "$1" | head -n 10 | sed 's/^/# /'
}

for name in "$@"; do
    n=$((n + 1))
    bin=$bindir/fuzz_$name
    log=$bindir/log/$name.log
    work=$bindir/corpus/$name
    if $fresh; then
        work=$bindir/check-corpus/$name
        rm -rf "$work"
    fi
    art=$bindir/artifacts/$name
    mkdir -p "$work" "$art"
    : >"$log"

    if [ ! -x "$bin" ]; then
        echo "not ok $n - fuzz $name: $bin missing"
        failed=$((failed + 1))
        continue
    fi

    regressions=()
    if [ -d "fuzz/regressions/$name" ]; then
        while IFS= read -r -d '' f; do
            regressions+=("$f")
        done < <(find "fuzz/regressions/$name" -type f -print0 | sort -z)
    fi
    if [ "${#regressions[@]}" -gt 0 ] &&
        ! "$bin" -artifact_prefix="$art/" "${regressions[@]}" \
            >>"$log" 2>&1; then
        input=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
        echo "not ok $n - fuzz $name: regression input $input fails again"
        fail_lines "$log"
        failed=$((failed + 1))
        continue
    fi

    opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -use_value_profile=1 -artifact_prefix="$art/")
    if [ -f "fuzz/dict/$name.dict" ]; then
        opts+=(-dict="fuzz/dict/$name.dict")
    fi
    start=$SECONDS
    "$bin" "${opts[@]}" "$work" "fuzz/corpus/$name" >>"$log" 2>&1
    rc=$?
    took=$((SECONDS - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
        tail -n 1)
    echo "$name ${execs:-0} $took" >>"$stats"
    if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
        echo "not ok $n - fuzz $name: crash or error after ${execs:-?} execs (exit $rc, log $log)"
        fail_lines "$log"
        failed=$((failed + 1))
    else
        echo "ok $n - fuzz $name: $execs execs, no crash"
    fi
done

[ "$failed" -eq 0 ]
