#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The libFuzzer targets of fuzz/, through `make fuzz-check`: each one
# replays fuzz/regressions/NAME/, then fuzzes for FUZZ_CHECK_SECONDS
# (default 30) from its seed corpus under AddressSanitizer and
# UndefinedBehaviorSanitizer. fuzz/run.sh prints the TAP lines
# ("ok N - fuzz NAME: EXECS execs, no crash"), passed through here, and
# writes the exec counts to BUILD/fuzz-stats.txt, checked here.
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
rm -f "$build/fuzz-stats.txt"
make "${make_args[@]}" fuzz-check >"$out" 2>&1
rc=$?

grep -E '^(not )?ok |^# ' "$out"
# Number the lines of this script after the ones passed through.
# shellcheck disable=SC2034 # read by tap_ok/tap_not_ok in lib/tap.sh
tap_n=$(grep -cE '^(not )?ok ' "$out")
if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
    tap_not_ok "make fuzz-check exited with status $rc"
    tail -n 20 "$out" | sed 's/^/# /'
fi

# The exec counts saved in fuzz-stats.txt ("NAME EXECS SECONDS") are the
# ones the TAP lines reported, for every target that passed.
ok_line='^ok [0-9]* - fuzz \([a-z_0-9]*\): \([0-9]*\) execs, no crash$'
reported=$(sed -n "s/$ok_line/\\1 \\2/p" "$out" | sort)
names=$(echo "$reported" | cut -d' ' -f1)
saved=$(awk 'NR == FNR { want[$1] = 1; next } ($1 in want) { print $1, $2 }' \
    <(echo "$names") "$build/fuzz-stats.txt" 2>/dev/null | sort)
check_eq "fuzz-stats.txt holds the exec count of every passing target" \
    "$(echo "$reported" | tr '\n' ';')" "$(echo "$saved" | tr '\n' ';')"

# Every target of fuzz/ fuzzed, for (nearly) its whole time, with a real
# amount of work: a target that exits at once or barely runs is a failure,
# not a "no crash". The floor is far below what any target does here
# (README, Reliability: 0.6 M to 3.4 M in 30 s) and well above what a
# broken build or an early exit reaches.
secs=${FUZZ_CHECK_SECONDS:-30}
min_execs=${FUZZ_MIN_EXECS:-20000}
for src in "$root"/fuzz/fuzz_*.c; do
    name=${src##*/fuzz_}
    name=${name%.c}
    line=$(awk -v n="$name" '$1 == n { print $2, $3 }' \
        "$build/fuzz-stats.txt" 2>/dev/null)
    execs=${line% *}
    took=${line#* }
    if [ -z "$line" ]; then
        tap_not_ok "fuzz $name: not run"
        continue
    fi
    check "fuzz $name ran ${took} s of ${secs} s" \
        test "$took" -ge $((secs - secs / 10))
    check "fuzz $name: $execs execs >= $min_execs" \
        test "$execs" -ge "$min_execs"
done

tap_done
