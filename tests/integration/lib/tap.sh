# shellcheck shell=bash
# TAP output for the shell tests: "ok N - what" / "not ok N - what".
# Source it; tests/run.sh counts the lines.

tap_n=0

tap_ok() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $*"
}

tap_not_ok() {
    tap_n=$((tap_n + 1))
    echo "not ok $tap_n - $*"
}

# tap_skip WHY...: a check this machine cannot run, for lack of WHY. It
# counts as passed: use it only when a prerequisite is absent, never when
# something present fails.
tap_skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP $*"
}

# fail_setup WHY...: a suite that cannot set up says why, as one failed
# check, and stops.
fail_setup() {
    tap_not_ok "setup: $*"
    exit 1
}

# check DESC CMD...: passes when CMD exits 0; shows its output if not.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
    fi
}

# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        tap_not_ok "$desc (succeeded)"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
    else
        tap_ok "$desc"
    fi
}

# check_eq DESC WANT GOT
check_eq() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf '# want: %s\n# got:  %s\n' "$2" "$3"
    fi
}

# in_private_namespace "$@": re-executes the calling script inside a new
# mount namespace (once), so its mounts never reach the host.
in_private_namespace() {
    if [ -z "${NSS_IAM_IN_NS:-}" ]; then
        NSS_IAM_IN_NS=1 exec unshare -m --propagation private \
            bash "$0" "$@"
    fi
}

# tap_done: the last line of a suite, its plan "1..N" with N the checks it
# ran. tests/run.sh fails a suite that never prints it (it stopped early).
tap_done() {
    echo "1..$tap_n"
}
