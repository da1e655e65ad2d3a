#!/usr/bin/env bash
# iam-sync writes nothing outside its state directory (and TEXTFILE_DIR
# when set), and a --dry-run writes nothing at all: every file-changing
# system call of real runs against moto, traced with strace -f, must name
# a path inside those directories.
#
# The traced calls: open/openat/creat with a write flag, rename*, unlink*,
# mkdir*, rmdir, link*, symlink*, chmod*, chown*, truncate, utime*. strace
# -y prints each file descriptor's path, so calls on descriptors
# (fchmod, futimens) are judged by the file they act on; -ff writes one
# trace per thread, so no call is split into "unfinished" halves.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"

sync_bin=$build/iam-sync
work=$(mktemp -d /tmp/nss-iam-confine.XXXXXX) || exit 1
state=$work/state
metrics=$work/metrics
cleanup() {
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v strace >/dev/null || fail_setup "strace is not installed"
[ -x "$sync_bin" ] || fail_setup "$sync_bin is missing (make all)"
mkdir -m 0755 "$state" "$metrics" || fail_setup "mkdir"
moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
{
    echo 'IAM_AUTHORIZED_GROUPS="ssh-users"'
    echo 'SUDOERS_GROUPS="admins"'
    echo "IAM_ENDPOINT=\"$url\""
    echo "STS_ENDPOINT=\"$url\""
    echo "IMDS_ENDPOINT=\"$url\""
    echo 'MAX_CALLS_PER_SECOND=100'
    echo "TEXTFILE_DIR=\"$metrics\""
} >"$work/conf"
chmod 0600 "$work/conf"

calls=open,openat,openat2,creat,rename,renameat,renameat2,unlink,unlinkat
calls=$calls,mkdir,mkdirat,rmdir,link,linkat,symlink,symlinkat,chmod
calls=$calls,fchmod,fchmodat,chown,fchown,lchown,fchownat,truncate
calls=$calls,ftruncate,utime,utimes,utimensat,futimesat

# traced NAME ARGS...: iam-sync ARGS under strace, from / (so that a
# relative path would show as one); the trace in $work/NAME.trace.
traced() {
    local name=$1
    shift
    (
        cd / || exit 1
        set -a
        # shellcheck source=/dev/null
        . "$work/seed/creds.env"
        set +a
        exec strace -ff -qq -y -e trace="$calls" -o "$work/$name.trace" \
            "$sync_bin" --config "$work/conf" --db "$state/passwd.mdb" "$@"
    ) >"$work/$name.out" 2>"$work/$name.err" </dev/null
}

# written TRACE: (TRACE and its per-thread TRACE.PID files) one line per path a successful file-changing call named
# (both paths of a rename or link). Read-only opens, and calls that
# failed, are not writes.
written() {
    python3 - "$1" <<'PY'
import glob, re, sys
write_open = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
lines = []
for f in glob.glob(sys.argv[1]) + glob.glob(sys.argv[1] + ".*"):
    lines += open(f).readlines()
for line in lines:
    m = re.match(r"(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
    if not m or int(m.group(3)) < 0:
        continue
    call, args = m.group(1), m.group(2)
    if call in ("open", "openat", "openat2") and not write_open.search(args):
        continue
    # Quoted paths, and descriptors shown by -y as fd<path>.
    paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    paths += re.findall(r"\d+<([^>]*)>", args)
    for p in paths:
        print(f"{call} {p}")
PY
}

# outside TRACE DIR...: the written paths under none of the DIRs
# (/dev/null and the like are devices, not files).
outside() {
    local trace=$1
    shift
    written "$trace" | while read -r call path; do
        case $path in /dev/null | /dev/tty | /dev/pts/*) continue ;; esac
        local ok=no d
        for d in "$@"; do
            case $path in "$d"/*) ok=yes ;; esac
        done
        [ $ok = yes ] || echo "$call $path"
    done
}

traced first
check_eq "a first sync publishes" 0 "$?"
check "the trace shows the snapshot published (a rename onto passwd.mdb)" \
    bash -c "grep -q '^rename.* $state/passwd.mdb\$' <<<\"\$1\"" _ \
    "$(written "$work/first.trace")"
check_eq "a first sync writes only in the state and metrics directories" \
    "" "$(outside "$work/first.trace" "$state" "$metrics")"

traced again
check_eq "a no-change sync succeeds" 0 "$?"
check_eq "a no-change sync writes only in the state and metrics directories" \
    "" "$(outside "$work/again.trace" "$state" "$metrics")"

traced dry --dry-run
check_eq "--dry-run succeeds" 0 "$?"
check_eq "--dry-run writes nothing at all" "" "$(outside "$work/dry.trace")"

# The check can fail: a write elsewhere is caught.
printf '1234 openat(AT_FDCWD, "/etc/evil", O_WRONLY|O_CREAT, 0644) = 3\n' \
    >"$work/fake.trace"
check_eq "a write elsewhere would be reported" "openat /etc/evil" \
    "$(outside "$work/fake.trace" "$state")"

tap_done
