#!/usr/bin/env bash
# End to end: shared accounts (SHARED_ACCOUNTS) and mapped local groups
# (LOCAL_GROUP_MAP) through a real OpenSSH sshd, the keys command, the
# NSS module and real sudo, with the "basic" moto scenario plus two IAM
# groups made here: ssh-ops (alice, and grace, who is in no authorized
# group) and deployers (dana). The local account "opsacct", the local
# groups and the tier's sudoers file exist only in this test's mount
# namespace (passwd, group and sudoers.d copies bind-mounted by
# sshd_env.sh and here); the host is not modified. Prints TAP.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"
. "$here/lib/moto.sh"
# shellcheck source=lib/sshd_env.sh
. "$here/lib/sshd_env.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
contrib=$root/contrib

work=$(mktemp -d /tmp/nss-iam-shared.XXXXXX) || exit 1
sshd_pid=
sink_pid=
held_ssh_pid=
held_pid=

cleanup() {
    stop_pid "$held_ssh_pid"
    stop_pid "$held_pid"
    stop_pid "$sshd_pid"
    stop_pid "$sink_pid"
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
fp() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].SSHPublicKeyBody' |
        ssh-keygen -lf - | cut -d' ' -f2
}
keyfile() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].private_key'
}

for g in ssh-ops deployers; do
    iam_admin create_group "GroupName=$g" 2>>"$work/setup.err" ||
        fail_setup "CreateGroup $g: $(tail -n 2 "$work/setup.err")"
done
for ug in ssh-ops:alice ssh-ops:grace deployers:dana; do
    iam_admin add_user_to_group "GroupName=${ug%%:*}" "UserName=${ug#*:}" \
        2>>"$work/setup.err" ||
        fail_setup "AddUserToGroup $ug: $(tail -n 2 "$work/setup.err")"
done

# ---- The namespace, a local shared account and local groups ----

sshd_env_setup 2>"$work/env.err" || fail_setup "$(cat "$work/env.err")"
# sshd_env.sh bind-mounted $run/etc/passwd over /etc/passwd: appending to
# the copy adds the account in this namespace only.
{
    echo 'opsacct:*:4300:4300:shared ops:/home/opsacct:/bin/bash'
    echo 'deployacct:*:4310:4310:shared deploy:/home/deployacct:/bin/bash'
} >>"$run/etc/passwd"
cp /etc/group "$run/etc/group"
{
    echo 'opsacct:x:4300:'
    echo 'deployacct:x:4310:'
    echo 'app-restart:x:4400:'
    echo 'tops:x:4401:'
} >>"$run/etc/group"
chmod 0644 "$run/etc/group"
mount --bind "$run/etc/group" /etc/group || fail_setup "cannot bind-mount group"

# The account's own authorized_keys: a key that is nobody's in IAM.
ssh-keygen -q -t ed25519 -N '' -f "$work/own" </dev/null
install -d -m 0700 -o 4300 -g 4300 /home/opsacct /home/opsacct/.ssh
install -m 0600 -o 4300 -g 4300 "$work/own.pub" \
    /home/opsacct/.ssh/authorized_keys
install -d -m 0700 -o 4310 -g 4310 /home/deployacct

# The "restart" tier of the shipped example, uncommented as its header
# says, with the restart program replaced by one this machine has.
sed -n '/^# tier: restart$/{n;s/^# //;p}' \
    "$contrib/sudoers.d/nss-iam-tiers.example" >"$work/tier"
grep -q '^%app-restart ALL=(root) NOPASSWD: /usr/bin/systemctl restart myapp.service$' \
    "$work/tier" || fail_setup "no restart tier in the example: $(cat "$work/tier")"
install -m 0440 "$work/tier" "$run/sudoers.d/nss-iam-tiers"
visudo -cf "$run/sudoers.d/nss-iam-tiers" >"$work/visudo.log" 2>&1 ||
    fail_setup "visudo: $(cat "$work/visudo.log")"

# ---- Config and the first sync ----

cfg=$run/nss-iam.conf
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        printf '%s\n' "$@"
    } >"$cfg.tmp"
    chmod 0644 "$cfg.tmp"
    mv "$cfg.tmp" "$cfg"
}
# line 6: the shared accounts, one of them unknown here
write_config 'SHARED_ACCOUNTS="opsacct:ssh-ops;ghost:ssh-ops;deployacct:deployers"' \
    'LOCAL_GROUP_MAP="deployers:app-restart;ssh-ops:tops,nosuchgroup"'

sync_now() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$build/iam-sync" --config "$cfg" "$@"
    ) >>"$work/sync.log" 2>&1
}
# The first sync's warnings go to syslog: the sink must be listening.
for _ in $(seq 50); do
    [ -s "$work/sink.ready" ] && break
    sleep 0.1
done
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"
sync_now || fail_setup "iam-sync failed: $(tail -n 3 "$work/sync.log")"

# iam-sync logs to syslog (the sink) and, on a terminal, to stderr.
sleep 0.2
check "an unknown shared account is skipped with the config line" \
    grep -qF "$cfg:6: SHARED_ACCOUNTS: no local account ghost in /etc/passwd: skipped" \
    "$work/sync.log" "$syslog"
check "an unknown mapped local group is skipped with the config line" \
    grep -qF "$cfg:7: LOCAL_GROUP_MAP: ssh-ops: no local group nosuchgroup in /etc/group: not given" \
    "$work/sync.log" "$syslog"

# ---- sshd ----

sshd_env_start "$cfg" 2>"$work/env.err" ||
    fail_setup "$(cat "$work/env.err")"
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"

login() {
    local desc=$1 out
    if out=$(ssh_as "$2" "$3" 'id -un' 2>&1) && [ "$out" = "$3" ]; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
        printf '%s\n' "$out" | head -n 5 | sed 's/^/# /'
        tail -n 5 "$sshd_log" | sed 's/^/# sshd: /'
    fi
}
denied() {
    local desc=$1 out rc
    out=$(ssh_as "$2" "$3" true 2>&1)
    rc=$?
    if [ "$rc" = 255 ] && grep -q 'Permission denied (publickey)' <<<"$out"; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc (ssh exit $rc)"
        printf '%s\n' "$out" | head -n 5 | sed 's/^/# /'
    fi
}
# audit_has DESC FIELDS...: the last audit line holding every field.
audit_has() {
    local desc=$1 line
    shift
    sleep 0.2
    line=$(grep 'iam-authorized-keys\[' "$syslog" | grep -F " decision=" |
        while IFS= read -r l; do
            ok=1
            for f in "$@"; do
                [[ " $l " == *" $f "* ]] || ok=0
            done
            [ "$ok" = 1 ] && echo "$l"
        done | tail -n 1)
    if [ -n "$line" ]; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
        echo "# want a line with: $*"
        grep 'iam-authorized-keys\[' "$syslog" | tail -n 3 | sed 's/^/# /'
    fi
}

# ---- Shared account logins ----

login "alice (in ssh-ops) logs in to opsacct with her IAM key" \
    "$(keyfile alice 0)" opsacct
audit_has "the audit line names alice, her key id and fingerprint" \
    user=opsacct iam_user=alice "key=$(fp alice 0)" \
    "key_id=$(key_id alice 0)" decision=accepted-shared printed=1
login "grace (in ssh-ops only, no account of her own) logs in to opsacct" \
    "$(keyfile grace 0)" opsacct
check_eq "grace has no account of her own" "" "$(getent passwd grace)"
denied "bob.smith (not in ssh-ops) cannot log in to opsacct" \
    "$(keyfile bob.smith 0)" opsacct
audit_has "... his key is not in the shared index" \
    user=opsacct iam_user=- "key=$(fp bob.smith 0)" decision=unknown-key
denied "dana (in deployers, not ssh-ops) cannot log in to opsacct" \
    "$(keyfile dana 0)" opsacct
audit_has "... her key is indexed, but for deployers only" \
    user=opsacct iam_user=dana "key=$(fp dana 0)" \
    decision=not-in-shared-group printed=0
login "dana logs in to deployacct (deployers)" "$(keyfile dana 0)" deployacct
denied "alice (not in deployers) cannot log in to deployacct" \
    "$(keyfile alice 0)" deployacct
login "opsacct's own ~/.ssh/authorized_keys key still works" \
    "$work/own" opsacct
denied "alice's key does not open localtest, a local account not shared" \
    "$(keyfile alice 0)" localtest

# ---- LOCAL_GROUP_MAP: id, initgroups, a login, sudo ----

app_gid=4400
check "id dana (in deployers) shows app-restart" \
    grep -qw app-restart <<<"$(id -Gn dana)"
check "getent initgroups dana lists gid $app_gid" \
    grep -qw "$app_gid" <<<"$(getent initgroups dana)"
check_fails "id bob.smith (in no mapped group) has no app-restart" \
    grep -qw app-restart <<<"$(id -Gn bob.smith)"
check "id alice (in ssh-ops) shows tops" grep -qw tops <<<"$(id -Gn alice)"
out=$(ssh_as "$(keyfile dana 0)" dana \
    'id -Gn; sudo -n -l /usr/bin/systemctl restart myapp.service >/dev/null 2>&1 && echo tier=yes || echo tier=no;
     sudo -n -l /usr/bin/id >/dev/null 2>&1 && echo other=yes || echo other=no' 2>&1)
check "dana's login session has app-restart" \
    grep -qw app-restart <<<"$(sed -n 1p <<<"$out")"
check_eq "real sudo: dana may restart the service (the restart tier)" \
    tier=yes "$(sed -n 2p <<<"$out")"
check_eq "real sudo: ... and nothing else" other=no "$(sed -n 3p <<<"$out")"
out=$(ssh_as "$(keyfile bob.smith 0)" bob.smith \
    'sudo -n -l /usr/bin/systemctl restart myapp.service >/dev/null 2>&1 && echo tier=yes || echo tier=no' 2>&1)
check_eq "real sudo: bob.smith (not in deployers) may not restart it" \
    tier=no "$out"

# "group: files [SUCCESS=merge] iam": the module serves no record under a
# local group's name, so the merge adds nobody; the file's members stay.
printf 'passwd: files iam\ngroup: files [SUCCESS=merge] iam\nshadow: files\n' \
    >"$run/etc/nsswitch.conf"
check_eq "merge line: getent group app-restart lists the file's members only" \
    "app-restart:x:4400:" "$(getent group app-restart)"
check "merge line: id dana still shows app-restart" \
    grep -qw app-restart <<<"$(id -Gn dana)"
printf 'passwd: files iam\ngroup: files iam\nshadow: files\n' \
    >"$run/etc/nsswitch.conf"

# ---- Revocation ----

# A session alice opens on opsacct before she leaves: it runs as opsacct's
# uid, a uid of /etc/passwd, which TERMINATE_REMOVED_USERS (on by default)
# never ends; nothing tells it from another member's.
ssh_as "$(keyfile alice 0)" opsacct 'echo $$; exec sleep 300' \
    >"$work/held.out" 2>&1 &
held_ssh_pid=$!
for _ in $(seq 100); do
    [ -s "$work/held.out" ] && break
    sleep 0.1
done
held_pid=$(head -n 1 "$work/held.out")
check_eq "alice's session on opsacct runs as opsacct" 4300 \
    "$(stat -c %u "/proc/$held_pid" 2>&1)"
iam_admin remove_user_from_group GroupName=ssh-ops UserName=alice ||
    fail_setup "RemoveUserFromGroup failed"
: >"$work/sync.log"
check "iam-sync after alice leaves ssh-ops" sync_now --json
# grace's key body came from the shared index of the previous snapshot
check "... without one GetSSHPublicKey call (bodies reused)" \
    grep -q '"get_key": 0,' "$work/sync.log"
denied "alice's key no longer opens opsacct" "$(keyfile alice 0)" opsacct
check "the session she opened before is not ended (opsacct's uid is local)" \
    kill -0 "$held_pid"
audit_has "... the audit line names her key, refused" \
    user=opsacct "key=$(fp alice 0)" decision=unknown-key printed=0
login "control: alice still logs in as herself" "$(keyfile alice 0)" alice
login "control: grace still opens opsacct" "$(keyfile grace 0)" opsacct
check_fails "alice no longer has tops" grep -qw tops <<<"$(id -Gn alice)"

# ---- Configuration errors stop iam-sync with file and line ----

write_config 'SHARED_ACCOUNTS="opsacct"'
out=$("$build/iam-sync" --config "$cfg" 2>&1)
check_eq "a malformed map fails iam-sync (exit 2)" 2 "$?"
check "... naming the file and line" grep -qF \
    "$cfg:6: SHARED_ACCOUNTS: \"opsacct\" is not NAME:GROUP[,GROUP...]" \
    <<<"$out"

tap_done
