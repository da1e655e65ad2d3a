#!/usr/bin/env bash
# End to end: access removed in IAM ends at the next sync, open sessions
# included. Real sshd logins (lib/sshd_env.sh) of the "basic" moto
# scenario; IAM users start long-running commands; then IAM changes and
# iam-sync runs. Checks that a removed user's session and commands end,
# and that nothing else does: a user who rotated a key or lost every key
# keeps the session, a local account that has a removed IAM user's name
# keeps its processes, a run MAX_REMOVE_PERCENT refuses ends nothing,
# TERMINATE_REMOVED_USERS=no ends nothing, --dry-run only tells.
#
# Runs in its own PID namespace (with its own /proc) as well as a private
# mount namespace: iam-sync scans /proc, and must see only this test's
# processes. logind does not run here: what is tested is the /proc and
# pidfd path, and, in a cgroup namespace whose root is this test's own
# cgroup, a root process in a removed user's logind slice (as "sudo -i"
# in a session leaves it): the cgroups made for it are removed at the end.
# Prints TAP.
# shellcheck source-path=SCRIPTDIR
# Commands run by the remote shell are single-quoted on purpose:
# shellcheck disable=SC2016
set -u
if [ -z "${NSS_IAM_IN_NS:-}" ]; then
    NSS_IAM_IN_NS=1 exec unshare -m -p -C -f --mount-proc \
        --propagation private bash "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/moto.sh"
# shellcheck source=lib/sshd_env.sh
. "$here/lib/sshd_env.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
contrib=$root/contrib

work=$(mktemp -d /tmp/nss-iam-term.XXXXXX) || exit 1
sshd_pid=
sink_pid=
# Every process this test starts outside a login, stopped at the end.
started=()
cg=/sys/fs/cgroup
slices=no
# The open sessions: read through ${!name}.
# shellcheck disable=SC2034
{
    alice_sess_pid=
    bob_sess_pid=
    red_sess_pid=
    alice_fd=
    bob_fd=
    red_fd=
}

# session_open NAME KEYFILE USER: logs in and keeps the shell, reading
# commands from a fifo; sets NAME_sess_pid (the job running ssh) and
# NAME_fd (the fifo's write end).
session_open() {
    local name=$1 fd v
    mkfifo "$work/$name.in"
    : >"$work/$name.out"
    (
        for v in alice_fd bob_fd red_fd; do
            fd=${!v}
            if [ -n "$fd" ]; then
                exec {fd}>&-
            fi
        done
        ssh_as "$2" "$3" 'exec sh'
    ) <"$work/$name.in" >"$work/$name.out" 2>&1 &
    printf -v "${name}_sess_pid" %s "$!"
    exec {fd}>"$work/$name.in"
    printf -v "${name}_fd" %s "$fd"
}

session_close() {
    local fdvar=${1}_fd pidvar=${1}_sess_pid fd
    fd=${!fdvar:-}
    if [ -n "$fd" ]; then
        exec {fd}>&- 2>/dev/null
        printf -v "$fdvar" %s ""
    fi
    stop_pid "${!pidvar:-}"
    printf -v "$pidvar" %s ""
}

# sess NAME COMMAND: runs COMMAND in NAME's open shell and prints its
# one-line answer; waits at most 30 s.
sess() {
    local name=$1 fd tag i
    tag="@@${BASHPID}.$RANDOM"
    fd=${name}_fd
    { printf 'echo "%s $(%s)"\n' "$tag" "$2" >&"${!fd}"; } 2>/dev/null ||
        return 0
    for ((i = 0; i < 300; i++)); do
        grep -q "^$tag " "$work/$name.out" && break
        sleep 0.1
    done
    sed -n "s/^$tag //p" "$work/$name.out"
}

cleanup() {
    local p i
    session_close alice
    session_close bob
    session_close red
    for p in "${started[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    if [ "$slices" != no ]; then
        for ((i = 0; i < 50; i++)); do
            rmdir "$cg"/user.slice/user-*.slice/session-*.scope \
                "$cg"/user.slice/user-*.slice "$cg"/user.slice 2>/dev/null
            [ -d "$cg/user.slice" ] || break
            sleep 0.1
        done
    fi
    stop_pid "$sshd_pid"
    stop_pid "$sink_pid"
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# alive PID: the process exists and is not a zombie.
alive() {
    [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}

# gone PID: waits up to 30 s for the process to end; true if it did.
# (Ending is iam-sync's job, done before it exits: this only lets the
# kernel finish.)
gone() {
    local i
    for ((i = 0; i < 300; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

# ---- IAM ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
manifest=$work/seed/manifest.json

iam_admin() {
    local action=$1 rc
    shift
    moto_auth_off "$work/moto" || return 1
    python3 - "$url" "$action" "$@" <<'PY'
import sys
import boto3
url, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
getattr(iam, action)(**dict(a.split("=", 1) for a in args))
PY
    rc=$?
    moto_enforce "$work/moto" || return 1
    return "$rc"
}

m() {
    jq -r "$@" "$manifest"
}
key_id() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].SSHPublicKeyId'
}
keyfile() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].private_key'
}

# ---- The namespace and the first sync ----

sshd_env_setup 2>"$work/env.err" || fail_setup "$(cat "$work/env.err")"

cfg=$run/nss-iam.conf
metrics=$run/metrics
mkdir -m 0755 "$metrics"
# write_config [EXTRA LINE...]: replaces the config atomically.
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        echo 'TERMINATE_GRACE="3s"'
        echo "TEXTFILE_DIR=\"$metrics\""
        printf '%s\n' "$@"
    } >"$cfg.tmp"
    chmod 0644 "$cfg.tmp"
    mv "$cfg.tmp" "$cfg"
}
write_config

# sync_now [ARGS...]: one run with the seeded credentials; its stdout
# goes to $work/sync.out, its exit status is returned.
sync_now() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$build/iam-sync" --config "$cfg" "$@"
    ) >"$work/sync.out" 2>>"$work/sync.log"
}
sync_now || fail_setup "iam-sync failed: $(tail -n 3 "$work/sync.log")"

sshd_env_start "$cfg" 2>"$work/env.err" ||
    fail_setup "$(cat "$work/env.err")"
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"

# bg_sleep KEYFILE USER: logs in, leaves "sleep 1000" running detached
# from the session, prints its pid.
bg_sleep() {
    ssh_as "$1" "$2" \
        'nohup sleep 1000 </dev/null >/dev/null 2>&1 & echo $!' 2>/dev/null
}

uid_of() {
    awk -F: -v u="$1" '$1 == u { print $3 }' <(getent passwd "$1")
}

# ---- A removed user, a rotated key, a lost key, a local namesake ----

alice_uid=$(uid_of alice)
session_open alice "$(keyfile alice 0)" alice
alice_sh=$(sess alice 'echo $$')
alice_sleep=$(sess alice 'nohup sleep 1000 </dev/null >/dev/null 2>&1 & echo $!')
check "alice's session is open and her sleep runs" alive "$alice_sleep"
check_eq "... as her IAM uid" "$alice_uid" "$(stat -c %u "/proc/$alice_sleep")"

session_open bob "$(keyfile bob.smith 1)" bob.smith
bob_sh=$(sess bob 'echo $$')
session_open red "$(keyfile team=red 0)" team.equal.red
red_sh=$(sess red 'echo $$')
check "bob.smith's and team.equal.red's sessions are open" \
    test -n "$bob_sh" -a -n "$red_sh"

dev_uid=$(uid_of dev.plus.ops)
dev_sleep=$(bg_sleep "$(keyfile dev+ops 0)" dev.plus.ops)
check "dev.plus.ops (IAM) has a sleep running" alive "$dev_sleep"
# A local account of the same name, uid 4343, outside the IAM range, with
# a process of its own: the next sync drops the IAM user (the local name
# wins) and must end only the IAM uid's processes.
echo 'dev.plus.ops:*:4343:100:local:/home/dev.plus.ops:/bin/bash' \
    >>"$run/etc/passwd"
setpriv --reuid=4343 --regid=100 --clear-groups sleep 1000 &
local_sleep=$!
started+=("$local_sleep")

# logind's slices, as logind lays them out: a root process in alice's
# session scope (her "sudo -i") and one in bob.smith's.
bob_uid=$(uid_of bob.smith)
# in_slice VAR UID: a root sleep in a session scope of UID's slice; its
# pid in VAR.
in_slice() {
    local d=$cg/user.slice/user-$2.slice/session-9.scope
    mkdir -p "$d" || return 1
    sleep 1000 >/dev/null 2>&1 &
    started+=("$!")
    printf -v "$1" %s "$!"
    echo "$!" >"$d/cgroup.procs"
}
alice_root=
bob_root=
if mount -t cgroup2 cgroup2 "$cg" 2>"$work/cg.err"; then
    slices=yes
    in_slice alice_root "$alice_uid" 2>>"$work/cg.err" &&
        in_slice bob_root "$bob_uid" 2>>"$work/cg.err" || slices=broken
fi

# bob.smith rotates the key of his session: a new one uploaded, the old
# one deleted. team=red deletes the only key she has.
ssh-keygen -q -t ed25519 -N '' -C rotated -f "$work/bob.new" </dev/null
iam_admin upload_ssh_public_key UserName=bob.smith \
    "SSHPublicKeyBody=$(cat "$work/bob.new.pub")" ||
    tap_not_ok "uploading bob.smith's new key"
iam_admin delete_ssh_public_key UserName=bob.smith \
    "SSHPublicKeyId=$(key_id bob.smith 1)" ||
    tap_not_ok "deleting bob.smith's old key"
iam_admin delete_ssh_public_key UserName=team=red \
    "SSHPublicKeyId=$(key_id team=red 0)" ||
    tap_not_ok "deleting team=red's key"
iam_admin remove_user_from_group GroupName=ssh-users UserName=alice ||
    tap_not_ok "removing alice from ssh-users"

check "iam-sync after the IAM changes" sync_now
check_fails "alice is gone from the snapshot" getent passwd alice
check "alice's ssh client exits: her session was ended" gone "$alice_sess_pid"
check "alice's background sleep is gone" gone "$alice_sleep"
check_fails "... and so is her shell" alive "$alice_sh"
check "dev.plus.ops's IAM-uid sleep is gone" gone "$dev_sleep"
if [ "$slices" != no ]; then
    check "a root process in alice's logind slice is gone" gone "$alice_root"
    check "a root process in bob.smith's slice still runs" alive "$bob_root"
else
    tap_skip "no cgroup2 in this namespace: $(cat "$work/cg.err")"
    tap_skip "no cgroup2 in this namespace"
fi
check "the local dev.plus.ops (uid 4343) keeps its process" alive "$local_sleep"
check_eq "bob.smith (rotated key) keeps his session, same shell" "$bob_sh" \
    "$(sess bob 'echo $$')"
check "team.equal.red (no key left) is still in the snapshot" \
    getent passwd team.equal.red
check_eq "... and keeps her session, same shell" "$red_sh" \
    "$(sess red 'echo $$')"
sleep 0.3
line=$(grep "ended user alice (uid $alice_uid)" "$syslog")
echo "# $line"
check "one syslog line names alice and her uid" test -n "$line"
check_eq "... at authpriv.notice" "<85>" "${line:0:4}"
check "... with the sessions and processes signalled" \
    grep -Eq 'ended user alice .*: [1-9][0-9]* sessions, [1-9][0-9]* processes signalled, 0 signals failed' <<<"$line"
check "dev.plus.ops's IAM uid has its line too" \
    grep -q "ended user dev.plus.ops (uid $dev_uid)" "$syslog"
check_fails "no line for the local uid 4343" grep -q "uid 4343" "$syslog"
check "the summary counts the ended users" \
    grep -q 'ended 2 users ([1-9][0-9]* sessions, [1-9][0-9]* processes, 0 failed)' "$syslog"
check "the metrics count them" \
    grep -q '^nss_iam_sync_ended_users 2$' "$metrics/nss_iam.prom"

# ---- A refused run ends nothing; TERMINATE_REMOVED_USERS=no neither ----

lf_sleep=$(bg_sleep "$(keyfile last,first 0)" last.comma.first)
check "last.comma.first has a sleep running" alive "$lf_sleep"
started+=("$lf_sleep")
iam_admin remove_user_from_group GroupName=ssh-users UserName=last,first ||
    tap_not_ok "removing last,first from ssh-users"
write_config 'MAX_REMOVE_PERCENT="0"'
sync_now
check_eq "MAX_REMOVE_PERCENT=0: the sync is refused (exit 3)" 3 "$?"
check "... last.comma.first is still served" getent passwd last.comma.first
check "... and the sleep still runs" alive "$lf_sleep"
check_fails "... no user ended" grep -q "ended user last.comma.first" "$syslog"

write_config 'TERMINATE_REMOVED_USERS="no"'
check "TERMINATE_REMOVED_USERS=no: the sync publishes" sync_now
check_fails "... last.comma.first is gone from the snapshot" \
    getent passwd last.comma.first
check "... but the sleep still runs" alive "$lf_sleep"
check_fails "... no user ended" grep -q "ended user last.comma.first" "$syslog"
kill -KILL "$lf_sleep" 2>/dev/null

# ---- --dry-run tells, and ends nothing ----

write_config
dana_uid=$(uid_of dana)
dana_sleep=$(bg_sleep "$(keyfile dana 0)" dana)
check "dana has a sleep running" alive "$dana_sleep"
started+=("$dana_sleep")
iam_admin remove_user_from_group GroupName=data-science UserName=dana ||
    tap_not_ok "removing dana from data-science"
check "--dry-run succeeds" sync_now --dry-run
check "--dry-run names dana, her uid and one process" \
    grep -qx "! end user dana uid $dana_uid: 1 processes in 1 sessions" \
    "$work/sync.out"
check "... and ends nothing" alive "$dana_sleep"
check "--dry-run --json succeeds" sync_now --dry-run --json
check_eq "--dry-run --json: the ended list" "dana $dana_uid 1" \
    "$(tail -n 1 "$work/sync.out" | jq -r '.ended[] | "\(.user) \(.uid) \(.processes)"')"
check "... and ends nothing" alive "$dana_sleep"
check_fails "... no syslog line" grep -q "ended user dana" "$syslog"
check "the real run" sync_now
check "... ends dana's sleep" gone "$dana_sleep"

check "sshd is still running" kill -0 "$sshd_pid"
tap_done
