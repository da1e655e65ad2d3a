#!/usr/bin/env bash
# End to end: a real OpenSSH sshd, with the shipped sshd drop-in, sudoers
# drop-in and pam_mkhomedir profile, lets IAM users of the "basic" moto
# scenario log in with the keys uploaded to IAM, through iam-sync's
# snapshot, libnss_iam.so.2 and iam-authorized-keys, and refuses every
# key it must refuse. Runs in a private mount namespace: /run, /var/lib,
# /var/log, /var/cache/ldconfig and /home are tmpfs there, /dev gets an
# overlay for /dev/log, and /etc files are bind-mounted test copies; the
# host is not modified. Prints TAP.
# shellcheck source-path=SCRIPTDIR
# jq programs and commands run by the remote shell are single-quoted on
# purpose:
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

work=$(mktemp -d /tmp/nss-iam-ssh.XXXXXX) || exit 1
sshd_pid=
sink_pid=
imds_pid=
# The open sessions below (session_open): read through ${!name}.
# shellcheck disable=SC2034
{
    alice_sess_pid=
    bob_sess_pid=
    alice_fd=
    bob_fd=
}

# session_open NAME KEYFILE USER: logs in, keeps the shell; sets
# NAME_sess_pid (the ssh client) and NAME_fd (the write end of its fifo).
session_open() {
    local name=$1 fd
    mkfifo "$work/$name.in"
    : >"$work/$name.out"
    # The job must not hold another session's fifo open, or that
    # session never sees the end of its input.
    (
        for v in alice_fd bob_fd; do
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

# session_close NAME: end of input, so the remote shell exits and ssh
# with it; stop_pid then ends the background job that ran ssh.
session_close() {
    local fdvar=${1}_fd pidvar=${1}_sess_pid fd
    fd=${!fdvar:-}
    if [ -n "$fd" ]; then
        exec {fd}>&-
        printf -v "$fdvar" %s ""
    fi
    stop_pid "${!pidvar:-}"
    printf -v "$pidvar" %s ""
}

# sess NAME COMMAND: runs COMMAND in NAME's open shell, prints its output
# (one line). Waits for the answer, at most 30 s. Called as $(sess ...),
# so the tag that finds the answer comes from the subshell's own pid.
sess() {
    local name=$1 fd tag i
    tag="@@${BASHPID}.$RANDOM"
    fd=${name}_fd
    printf 'echo "%s $(%s)"\n' "$tag" "$2" >&"${!fd}"
    for ((i = 0; i < 300; i++)); do
        grep -q "^$tag " "$work/$name.out" && break
        sleep 0.1
    done
    sed -n "s/^$tag //p" "$work/$name.out"
}

cleanup() {
    session_close alice
    session_close bob
    stop_pid "$sshd_pid"
    stop_pid "$sink_pid"
    stop_pid "$imds_pid"
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

# iam_admin ACTION KEY=VALUE...: one IAM call made as the operator, with
# moto's checks off for that call only.
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

# m JQ-ARGS...: jq over the manifest.
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
# The private key file seed_iam.py wrote for key N of an IAM user.
keyfile() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].private_key'
}

# The ids docs/design.md defines: UID_MIN + SHA-256("uid:" + UserId) (first 8
# bytes, big-endian) mod the range size; the same with "gid:" + GroupId
# for IAM groups and "gid:" + name for the synthesized groups. Computed
# here from the manifest, independently of the C code.
ids() {
    python3 - "$manifest" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
lo, hi = 2000000000, 2147483646
def h(s):
    d = hashlib.sha256(s.encode()).digest()[:8]
    return lo + int.from_bytes(d, "big") % (hi - lo + 1)
for u in m["users"]:
    print("uid", u["UserName"], h("uid:" + u["UserId"]))
for g in m["groups"]:
    print("gid", g["GroupName"], h("gid:" + g["GroupId"]))
for g in ("iam-sudo", "iam-users"):
    print("gid", g, h("gid:" + g))
PY
}
ids >"$work/ids" || fail_setup "cannot compute the expected ids"
id_of() {
    awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$work/ids"
}

# ---- The namespace: /run, /var/lib, /home, /etc copies, /dev/log ----

sshd_env_setup 2>"$work/env.err" || fail_setup "$(cat "$work/env.err")"

# sudo.conf: the host's own, edited by the packages' editor (sudo then
# reads a user's groups from NSS at each call), bind-mounted over
# /etc/sudo.conf. The unedited copy stays beside it for a control.
[ -f /etc/sudo.conf ] || fail_setup "no /etc/sudo.conf to bind-mount over"
cp -p /etc/sudo.conf "$run/sudo.conf.host"
cp -p /etc/sudo.conf "$run/sudo.conf.edited"
sh "$root/scripts/sudoconf-edit.sh" add --file "$run/sudo.conf.edited" \
    --state "$run/sudoconf.state" 2>"$work/env.err" ||
    fail_setup "sudoconf-edit add: $(cat "$work/env.err")"
sh "$root/scripts/sudoconf-edit.sh" status --file "$run/sudo.conf.edited" \
    >"$work/env.err" 2>&1 || fail_setup "sudoconf-edit status: $(cat "$work/env.err")"
mount --bind "$run/sudo.conf.edited" /etc/sudo.conf ||
    fail_setup "cannot bind-mount sudo.conf"

# ---- Config and the first sync ----

cfg=$run/nss-iam.conf
# write_config [EXTRA LINE...]: replaces the config atomically.
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        echo 'MAX_KEY_AGE_DAYS="30"'
        printf '%s\n' "$@"
    } >"$cfg.tmp"
    chmod 0644 "$cfg.tmp"
    mv "$cfg.tmp" "$cfg"
}
write_config

sync_now() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$build/iam-sync" --config "$cfg"
    ) >>"$work/sync.log" 2>&1
}
sync_now || fail_setup "iam-sync failed: $(tail -n 3 "$work/sync.log")"

# ---- sshd ----

sshd_env_start "$cfg" 2>"$work/env.err" ||
    fail_setup "$(cat "$work/env.err")"
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"

# "--" before sshd's tokens: a user name that looks like an option stays a
# name. Every login below goes through this line.
check_eq "the shipped drop-in passes -- before %u %U %k" "-- %u %U %k" \
    "$(sed -n 's/^AuthorizedKeysCommand .* \(-- .*\)$/\1/p' "$run/sshd_config")"

# login DESC KEYFILE USER: the login succeeds (runs "true").
login() {
    local desc=$1 out
    if out=$(ssh_as "$2" "$3" true 2>&1); then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
        printf '%s\n' "$out" | head -n 5 | sed 's/^/# /'
        tail -n 5 "$sshd_log" | sed 's/^/# sshd: /'
    fi
}

# denied DESC KEYFILE USER: ssh exits 255 with "Permission denied
# (publickey)".
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

# audit_has DESC FIELDS...: an audit line of the keys command holds every
# "key=value" given.
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

# ---- An authorized sudoer and a non-sudoer ----

alice_uid=$(id_of uid alice)
g_ssh=$(id_of gid ssh-users)
g_sudo=$(id_of gid iam-sudo)
g_member=$(id_of gid iam-users)

check_eq "getent passwd through libnss_iam (found via the ld.so cache)" \
    "alice:*:$alice_uid:$alice_uid:alice:/home/alice:/bin/bash" \
    "$(getent passwd alice)"

out=$(ssh_as "$(keyfile alice 0)" alice \
    'id -u; id -g; id -un; id -G | tr " " "\n" | sort | tr "\n" " "; echo;
     id -Gn | tr " " "\n" | sort | tr "\n" " "; echo;
     if sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi;
     stat -c "%U %u %a" "$HOME"' 2>"$work/ssh.err")
rc=$?
check_eq "alice logs in with her IAM key" 0 "$rc"
check_eq "alice: uid is the hashed IAM UserId, the private group is gid = uid" \
    "$alice_uid $alice_uid alice" "$(sed -n 1,3p <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "alice: groups are her private group, ssh-users, iam-sudo, iam-users" \
    "$(printf '%s\n' "$alice_uid" "$g_ssh" "$g_sudo" "$g_member" | sort | tr '\n' ' ')" \
    "$(sed -n 4p <<<"$out")"
check_eq "alice: group names" "alice iam-sudo iam-users ssh-users " \
    "$(sed -n 5p <<<"$out")"
check_eq "alice (in SUDOERS_GROUPS): sudo -n true succeeds" "sudo=yes" \
    "$(sed -n 6p <<<"$out")"
check_eq "alice: pam_mkhomedir made her home, owned by her, mode 0700" \
    "alice $alice_uid 700" "$(sed -n 7p <<<"$out")"
audit_has "the login is in the audit log with the key's fingerprint" \
    user=alice iam_user=alice "key=$(fp alice 0)" decision=accepted

bob_uid=$(id_of uid bob.smith)
out=$(ssh_as "$(keyfile bob.smith 1)" bob.smith \
    'id -u; id -Gn | tr " " "\n" | sort | tr "\n" " "; echo;
     if sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi' \
    2>"$work/ssh.err")
check_eq "bob.smith logs in with his ed25519 IAM key" 0 "$?"
check_eq "bob.smith: uid and groups, no iam-sudo" \
    "$bob_uid|bob.smith iam-users ssh-users " \
    "$(sed -n 1p <<<"$out")|$(sed -n 2p <<<"$out")"
check_eq "bob.smith (not a sudoer): sudo -n true fails" "sudo=no" \
    "$(sed -n 3p <<<"$out")"

login "dana logs in through the other authorized group (data-science)" \
    "$(keyfile dana 0)" dana
login "first.last@example.com logs in as first.last.at.example.com" \
    "$(keyfile first.last@example.com 1)" first.last.at.example.com

# ---- Keys that must be refused ----

# A key the user adds to ~/.ssh/authorized_keys: the same file works for a
# local account, so only the drop-in's Match block refuses it.
ssh-keygen -q -t ed25519 -N '' -C self -f "$work/self" </dev/null
ssh_as "$(keyfile alice 0)" alice \
    'umask 077; mkdir -p ~/.ssh && cat >~/.ssh/authorized_keys' \
    <"$work/self.pub"
check_eq "alice's own ~/.ssh/authorized_keys holds her key" \
    "$(cat "$work/self.pub")" "$(cat /home/alice/.ssh/authorized_keys 2>&1)"
install -d -m 0700 -o 4242 -g 100 /home/localtest /home/localtest/.ssh
install -m 0600 -o 4242 -g 100 "$work/self.pub" \
    /home/localtest/.ssh/authorized_keys
login "control: a local account logs in with its authorized_keys file" \
    "$work/self" localtest
denied "a key alice put in ~/.ssh/authorized_keys is refused" \
    "$work/self" alice
denied "an Inactive key is refused" "$(keyfile bob.smith 2)" bob.smith
denied "a key older than MAX_KEY_AGE_DAYS is refused" \
    "$(keyfile erin 0)" erin
login "control: erin's recent key is accepted" "$(keyfile erin 1)" erin
denied "another user's key is refused" "$(keyfile alice 0)" bob.smith
denied "a user outside the authorized groups is refused" \
    "$(keyfile grace 0)" grace
check_fails "... and unknown to getent" getent passwd grace

# ---- Revocation through a sync ----

login "control: team=red logs in before the key is deleted" \
    "$(keyfile team=red 0)" team.equal.red
iam_admin delete_ssh_public_key UserName=team=red \
    "SSHPublicKeyId=$(key_id team=red 0)" ||
    tap_not_ok "deleting team=red's key in IAM"
check "iam-sync after the key is deleted" sync_now
denied "a key deleted in IAM is refused after the sync" \
    "$(keyfile team=red 0)" team.equal.red

login "control: last,first logs in before leaving the group" \
    "$(keyfile last,first 0)" last.comma.first
iam_admin remove_user_from_group GroupName=ssh-users UserName=last,first ||
    tap_not_ok "removing last,first from ssh-users in IAM"
check "iam-sync after the user leaves the group" sync_now
denied "a user who left the authorized group is refused" \
    "$(keyfile last,first 0)" last.comma.first
check_fails "... and unknown to getent" getent passwd last.comma.first

# ---- A local account with an IAM user's name ----

login "control: dev+ops logs in as dev.plus.ops" \
    "$(keyfile dev+ops 0)" dev.plus.ops
echo 'dev.plus.ops:*:4343:100:local:/home/dev.plus.ops:/bin/bash' \
    >>"$run/etc/passwd"
check_eq "the local dev.plus.ops wins in getent" \
    "dev.plus.ops:*:4343:100:local:/home/dev.plus.ops:/bin/bash" \
    "$(getent passwd dev.plus.ops)"
denied "the IAM key is refused for a local account of the same name" \
    "$(keyfile dev+ops 0)" dev.plus.ops
audit_has "... the keys command saw a uid mismatch" \
    user=dev.plus.ops decision=uid-mismatch
# Until the next sync drops the IAM user (a name in /etc/passwd is
# refused), the snapshot still lists dev.plus.ops in iam-sudo and its IAM
# groups. initgroups() is called with the primary gid of the passwd entry
# that won (4343's gid 100 here); libnss_iam must add no group for a name
# whose winning entry is not its own, or the local account gets the IAM
# user's groups, iam-sudo and so sudo included.
check_eq "control: sudo -l -U alice shows the iam-sudo rule" 1 \
    "$(sudo -n -l -U alice 2>/dev/null | grep -c 'NOPASSWD: ALL')"
check_eq "the local dev.plus.ops gets none of the IAM user's groups" "100" \
    "$(id -G dev.plus.ops)"
check_eq "... and no sudo rule" 0 \
    "$(sudo -n -l -U dev.plus.ops 2>/dev/null | grep -c 'NOPASSWD: ALL')"

# ---- sudo follows SUDOERS_GROUPS in sessions already open ----

# An open session is a remote shell reading commands from a fifo: one
# login, one process, one group vector, fixed by sshd at login. Then
# alice leaves the sudo IAM group and bob.smith joins it, and iam-sync
# runs: the next sudo in each of these same shells follows the snapshot.

try_sudo='sudo -n true 2>/dev/null && echo yes || echo no'
has_sudo_gid="id -G | tr ' ' '\\n' | grep -qx $g_sudo && echo yes || echo no"

session_open alice "$(keyfile alice 0)" alice
session_open bob "$(keyfile bob.smith 1)" bob.smith
alice_sh=$(sess alice 'echo $$')
bob_sh=$(sess bob 'echo $$')
check_eq "open session: alice's shell has iam-sudo in its group vector" yes \
    "$(sess alice "$has_sudo_gid")"
check_eq "open session: alice's sudo -n true succeeds" yes \
    "$(sess alice "$try_sudo")"
check_eq "open session: bob.smith's sudo -n true fails" no \
    "$(sess bob "$try_sudo")"

iam_admin remove_user_from_group GroupName=admins UserName=alice ||
    tap_not_ok "removing alice from admins in IAM"
iam_admin add_user_to_group GroupName=admins UserName=bob.smith ||
    tap_not_ok "adding bob.smith to admins in IAM"
check "iam-sync after alice leaves and bob.smith joins admins" sync_now
check_eq "getent: iam-sudo now lists bob.smith, not alice" "bob.smith" \
    "$(getent group iam-sudo | cut -d: -f4 | tr ',' '\n' |
        grep -xE 'alice|bob\.smith' | xargs)"

# The problem, shown with the host's unedited sudo.conf (sudo's default
# group source): the group vector of login time decides.
mount --bind "$run/sudo.conf.host" /etc/sudo.conf
check_eq "control, sudo.conf unedited: alice's open session keeps sudo" yes \
    "$(sess alice "$try_sudo")"
check_eq "control, sudo.conf unedited: bob.smith's open session has none" no \
    "$(sess bob "$try_sudo")"
umount /etc/sudo.conf

check_eq "group_source dynamic: alice's next sudo in the same session is refused" \
    no "$(sess alice "$try_sudo")"
check_eq "... in the same shell process" "$alice_sh" "$(sess alice 'echo $$')"
check_eq "... whose group vector still holds iam-sudo" yes \
    "$(sess alice "$has_sudo_gid")"
check_eq "group_source dynamic: bob.smith's open session gains sudo" yes \
    "$(sess bob "$try_sudo")"
check_eq "... in the same shell process, iam-sudo not in its vector" \
    "$bob_sh no" "$(sess bob 'echo $$') $(sess bob "$has_sudo_gid")"
check_eq "sudo -l -U alice as root: no rule left" 0 \
    "$(sudo -n -l -U alice 2>/dev/null | grep -c 'NOPASSWD: ALL')"
check_eq "sudo -l -U bob.smith as root: the iam-sudo rule" 1 \
    "$(sudo -n -l -U bob.smith 2>/dev/null | grep -c 'NOPASSWD: ALL')"
session_close alice
session_close bob
check_eq "a new login of alice: no sudo" no \
    "$(ssh_as "$(keyfile alice 0)" alice "$try_sudo" 2>/dev/null)"

# ---- VERIFY_ONLINE ----

# The keys command runs as nobody with sshd's minimal environment, so its
# credentials come from the instance role through IMDS, as on EC2. This
# stand-in IMDS (imds_stub.py) serves the seeded least-privilege user's
# keys as the role credentials.
python3 "$here/imds_stub.py" "$work/seed/creds.env" "$work/imds.port" \
    >"$work/imds.log" 2>&1 &
imds_pid=$!
for _ in $(seq 50); do
    [ -s "$work/imds.port" ] && break
    sleep 0.1
done
[ -s "$work/imds.port" ] || fail_setup "the test IMDS did not start"
imds="http://127.0.0.1:$(cat "$work/imds.port")"

write_config 'VERIFY_ONLINE="yes"' 'VERIFY_ONLINE_FAIL="open"' \
    "IMDS_ENDPOINT=\"$imds\""
login "VERIFY_ONLINE: heidi logs in while her key is Active in IAM" \
    "$(keyfile heidi 0)" heidi
iam_admin delete_ssh_public_key UserName=heidi \
    "SSHPublicKeyId=$(key_id heidi 0)" ||
    tap_not_ok "deleting heidi's key in IAM"
denied "VERIFY_ONLINE: a key deleted in IAM is refused before any sync" \
    "$(keyfile heidi 0)" heidi
audit_has "... logged as revoked-online" \
    user=heidi "key=$(fp heidi 0)" decision=revoked-online
login "VERIFY_ONLINE: her other key, still Active, is accepted" \
    "$(keyfile heidi 1)" heidi

moto_stop "$work/moto"
login "VERIFY_ONLINE_FAIL=open, IAM unreachable: the snapshot decides" \
    "$(keyfile heidi 1)" heidi
write_config 'VERIFY_ONLINE="yes"' 'VERIFY_ONLINE_FAIL="closed"' \
    "IMDS_ENDPOINT=\"$imds\""
denied "VERIFY_ONLINE_FAIL=closed, IAM unreachable: refused" \
    "$(keyfile heidi 1)" heidi

check "sshd is still running" kill -0 "$sshd_pid"

tap_done
