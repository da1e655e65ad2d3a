#!/usr/bin/env bash
# Runs every test suite and prints one closing line "N passed, N failed".
#
# Each suite is a program that prints TAP ("ok N - what" / "not ok N -
# what"); cmocka binaries do so with CMOCKA_MESSAGE_OUTPUT=TAP. A suite
# that exits non-zero without reporting a failure (a crash, a sanitizer or
# valgrind error) counts as one failure. Full output: build/test-logs/.
#
# Usage: tests/run.sh [unit|asan|valgrind|integration ...]  (default: all)
set -u
cd "$(dirname "$0")/.." || exit 2
root=$PWD
logs=$root/build/test-logs
mkdir -p "$logs"
export CMOCKA_MESSAGE_OUTPUT=TAP
export BUILD_DIR=$root/build
# Where the unit tests read their data (tests/common/fixture_path.h).
export IAM_TEST_FIXTURES=$root/tests/fixtures
passed=0
failed=0

# run_suite NAME COMMAND...: runs one suite, adds its counts.
run_suite() {
    local name=$1 log rc p f plan
    shift
    log=$logs/${name//\//_}.log
    local start=$SECONDS
    "$@" >"$log" 2>&1 </dev/null
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    plan=$(planned "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc" >>"$log"
        f=1
    elif [ -z "$plan" ]; then
        echo "not ok - $name printed no plan (1..N): it stopped early" >>"$log"
        f=$((f + 1))
    elif [ "$plan" -ne $((p + f)) ]; then
        echo "not ok - $name planned $plan checks and ran $((p + f))" >>"$log"
        f=$((f + 1))
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-40s %4d passed, %d failed (%ds)\n' "$name" "$p" "$f" \
        $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        grep -E '^not ok |^# ' "$log" | head -n 40 | sed 's/^/    /'
        tail -n 15 "$log" | sed 's/^/    | /'
    fi
}

# planned LOG: the number of checks the TAP plan lines ("1..N") of LOG
# announce, summed (a cmocka binary prints one per group), or nothing when
# there is none. A suite prints its plan when it reaches its end (shell
# suites, tap_done) or before its first check (cmocka): either way, a suite
# that stops part-way is caught.
planned() {
    awk '/^1\.\.[0-9]+$/ { n += substr($0, 4); seen = 1 }
         END { if (seen) print n }' "$1"
}

valgrind_cmd() {
    valgrind --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible \
        --track-fds=no "$@"
}

# The test programs of a build tree (not the compiler's .d files).
programs() {
    local t
    for t in "$1"/tests/test_*; do
        [ -x "$t" ] && [ "${t%.d}" = "$t" ] && echo "$t"
    done
}

integration_tests=${INTEGRATION_TESTS:-test_nss.sh test_corrupt.sh test_peer.sh
    test_sync.sh test_explain.sh test_confine.sh test_firstrun.sh test_fleet.sh test_events.sh
    test_faults.sh
    test_crash.sh test_keys_cmd.sh test_check_sshd.sh test_fuzz.sh test_lint.sh
    test_ssh.sh test_shared.sh test_tag_keys.sh test_terminate.sh test_demo.sh
    test_nsswitch_edit.sh test_sudoconf_edit.sh
    test_package.sh test_cfn.sh test_selinux.sh test_authselect.sh
    test_tls.sh test_unit.sh test_mutants.sh}

suites=${*:-unit asan valgrind integration}
for s in $suites; do
    case $s in
    unit)
        for t in $(programs build); do
            run_suite "unit/${t##*/}" "$t"
        done ;;
    asan)
        for t in $(programs build/asan); do
            ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                run_suite "asan/${t##*/}" "$t"
        done ;;
    valgrind)
        for t in $(programs build); do
            run_suite "valgrind/${t##*/}" valgrind_cmd "$t"
        done ;;
    integration)
        for t in $integration_tests; do
            run_suite "integration/$t" bash "tests/integration/$t"
        done ;;
    *)
        echo "run.sh: unknown suite $s" >&2
        exit 2 ;;
    esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
