#!/bin/sh
# What a process may do where it runs: test_unit.sh copies this script
# into the booted Debian root and runs it twice, once as a plain root
# shell (every answer "yes": the probes work) and once as the ExecStart of
# iam-sync.service (through a drop-in that changes nothing else), where
# the unit's sandbox must turn the answers it names to "no".
#
# Prints "NAME=yes|no" for each action (did it succeed), then the
# capability, no_new_privs and seccomp lines of /proc/self/status.
# Uses only what a Debian minbase root has: coreutils, util-linux,
# perl-base.

# try NAME CMD...: NAME=yes when CMD succeeds.
try() {
    name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        echo "$name=yes"
    else
        echo "$name=no"
    fi
}

# writes DIR: a new file in DIR can be created (and is removed again).
# Not ": >file": a failed redirection of a special builtin ends the shell.
writes() {
    f=$1/.sandbox-probe.$$
    touch "$f" && rm -f "$f"
}

# sock FAMILY TYPE: a socket of that address family can be opened.
sock() {
    perl -MSocket -e 'socket(my $s, $ARGV[0], $ARGV[1], 0) or exit 1' \
        "$1" "$2"
}

# ptrace(PTRACE_TRACEME) by number: a call outside @system-service that
# any process may make on itself.
traceme() {
    case $(uname -m) in
    x86_64) nr=101 ;;
    aarch64) nr=117 ;;
    *) return 2 ;;
    esac
    perl -e 'exit(syscall($ARGV[0], 0, 0, 0, 0) == 0 ? 0 : 1)' "$nr"
}

# ProtectSystem=strict, ReadWritePaths=, PrivateTmp=, ProtectHome=
try write_etc writes /etc
try write_usr writes /usr
try write_var_lib writes /var/lib
try write_state_dir writes /var/lib/nss-iam
try write_metrics_dir writes /var/lib/prometheus/node-exporter
try write_tmp writes /tmp
try sees_outer_tmp test -e /tmp/.sandbox-probe-outer
try reads_root_home ls /root
# ProtectProc=invisible, ProcSubset=pid (iam-sync reads /proc/self/maps),
# CapabilityBoundingSet= (another root process's memory and environment)
try sees_pid1 test -e /proc/1/status
try reads_pid1_environ head -c 1 /proc/1/environ
try reads_self_maps test -r /proc/self/maps
try sees_meminfo test -e /proc/meminfo
try sees_proc_sys test -e /proc/sys/kernel
# PrivateDevices=
try sees_console test -e /dev/console
try writes_dev_null sh -c 'echo >/dev/null'
# RestrictAddressFamilies= (AF_NETLINK 16, AF_PACKET 17; SOCK_RAW 3)
try af_unix sock 1 1
try af_inet sock 2 1
try af_inet6 sock 10 1
try af_netlink sock 16 3
# RestrictNamespaces=, LockPersonality=, SystemCallFilter=
try unshare_user unshare --user true
try set_personality setarch -R true
try ptrace_traceme traceme
grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status |
    tr -d ' \t' | tr ':' '='
