#!/usr/bin/env bash
# Keys held in IAM user tags (TAG_KEYS=yes), end to end: a real OpenSSH
# sshd lets IAM users of the "basic" moto scenario log in with Ed25519 and
# ECDSA keys held in tags named ssh-key / ssh-key-*, through iam-sync's
# ListUserTags, the snapshot and iam-authorized-keys; a removed tag stops
# working at the next sync; every tag that must be refused is refused and
# logged. Same private world as test_ssh.sh (lib/sshd_env.sh): the host is
# not modified. Prints TAP.
# shellcheck source-path=SCRIPTDIR
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

work=$(mktemp -d /tmp/nss-iam-tagkeys.XXXXXX) || exit 1
sshd_pid=
sink_pid=
proxy_pid=

cleanup() {
    stop_pid "$sshd_pid"
    stop_pid "$sink_pid"
    stop_pid "$proxy_pid"
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- IAM ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")

# tag USER KEY VALUE / untag USER KEY: made as the operator, with moto's
# checks off for that call only.
iam_tags() {
    local rc
    moto_auth_off "$work/moto" || return 1
    python3 - "$url" "$@" <<'PY'
import sys
import boto3
url, op, user, key = sys.argv[1:5]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
if op == "tag":
    iam.tag_user(UserName=user, Tags=[{"Key": key, "Value": sys.argv[5]}])
else:
    iam.untag_user(UserName=user, TagKeys=[key])
PY
    rc=$?
    moto_enforce "$work/moto" || return 1
    return "$rc"
}
tag() {
    iam_tags tag "$@" || fail_setup "tagging $1 with $2"
}

# newkey NAME TYPE [BITS]: a key pair in $work/NAME; prints "TYPE BASE64".
newkey() {
    ssh-keygen -q -t "$2" ${3:+-b "$3"} -N '' -C x -f "$work/$1" </dev/null ||
        fail_setup "ssh-keygen -t $2"
    cut -d' ' -f1,2 "$work/$1.pub"
}
fpr() {
    ssh-keygen -lf "$work/$1.pub" | cut -d' ' -f2
}

ed=$(newkey ed ed25519)
ec=$(newkey ec ecdsa 256)
ec521=$(newkey ec521 ecdsa 521)
ec384=$(newkey ec384 ecdsa 384)
rsa1k=$(newkey rsa1k rsa 1024)
opt=$(newkey opt ed25519)
kx=$(newkey kx ed25519)
ky=$(newkey ky ed25519)
kg=$(newkey kg ed25519)
# A FIDO key's public half (no authenticator needed to serve it).
sk='sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3S6LVKw+6LAaAAAABHNzaDo='

check "an ecdsa-sha2-nistp521 key line fits a 256-character tag value" \
    test "${#ec521}" -le 256
tag alice ssh-key "$ed"
tag alice ssh-key-laptop "$ec"
tag alice ssh-key-yubikey "$sk"
tag alice ssh-key-big "$ec521"
tag alice ssh-key-bad 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA'
tag alice ssh-key-opts "no-pty $opt"
tag alice ssh-key-old "$rsa1k"
tag alice ssh-key-p384 "$ec384"
tag alice ssh-keyX "$kx"
tag alice xssh-key "$ky"
tag alice team platform
# grace is in no authorized group
tag grace ssh-key "$kg"

# ---- Config and the first sync ----

sshd_env_setup 2>"$work/env.err" || fail_setup "$(cat "$work/env.err")"
cfg=$run/nss-iam.conf
db=/var/lib/nss-iam/passwd.mdb
# write_config [EXTRA LINE...]: replaces the config atomically.
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"${iam_url:-$url}\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        printf '%s\n' "$@"
    } >"$cfg.tmp"
    chmod 0644 "$cfg.tmp"
    mv "$cfg.tmp" "$cfg"
}
# ssh-rsa is allowed here so that the 1024-bit key is refused for its
# size; ecdsa-sha2-nistp384 is left out so that it is refused for its type.
types='ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp521,ssh-rsa'
types=$types',sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com'
write_config 'TAG_KEYS="yes"' "TAG_KEY_TYPES=\"$types\""

# sync_now: one sync; its log is also kept alone in $work/last-sync.log.
sync_now() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$build/iam-sync" --config "$cfg" --json
    ) >"$work/last-sync.json" 2>"$work/last-sync.log"
    local rc=$?
    cat "$work/last-sync.log" >>"$work/sync.log"
    return "$rc"
}
j() {
    jq -r ".$1" "$work/last-sync.json"
}
# iam-sync logs to syslog: the sink must listen before the first sync.
for _ in $(seq 100); do
    [ -s "$work/sink.ready" ] && break
    sleep 0.1
done
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"
sync_now || fail_setup "iam-sync failed: $(tail -n 3 "$work/last-sync.log")"
# one ListUserTags per authorized user; grace (not authorized) costs none
n_auth=$(getent group iam-users | cut -d: -f4 | tr ',' '\n' | grep -c .)
check_eq "one ListUserTags call per authorized user ($n_auth)" "$n_auth" \
    "$(j list_tags)"

# logged DESC PATTERN: iam-sync logged (to syslog) a line matching PATTERN.
logged() {
    if grep -q -- "$2" "$syslog"; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        echo "# no line matching: $2"
        grep iam-sync "$syslog" | tail -n 5 | sed 's/^/# /'
    fi
}

# ---- sshd ----

sshd_env_start "$cfg" 2>"$work/env.err" ||
    fail_setup "$(cat "$work/env.err")"

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

login "alice logs in with the ed25519 key in her tag ssh-key" "$work/ed" alice
audit_has "... audited with its fingerprint and key_id=tag:ssh-key" \
    user=alice "key=$(fpr ed)" key_id=tag:ssh-key decision=accepted
login "alice logs in with the ECDSA P-256 key in ssh-key-laptop" "$work/ec" \
    alice
audit_has "... audited as key_id=tag:ssh-key-laptop" \
    user=alice "key=$(fpr ec)" key_id=tag:ssh-key-laptop decision=accepted
login "alice logs in with the ECDSA P-521 key in ssh-key-big" "$work/ec521" \
    alice

# The keys command as sshd runs it, offering no key: every key it serves.
alice_uid=$(id -u alice)
keys_out() {
    "$run/bin/iam-authorized-keys" --config "$cfg" -- alice "$alice_uid" \
        2>/dev/null
}
keys_out >"$work/keys.out"
check_eq "the keys command serves alice's 4 tag keys (and her IAM key)" \
    "$(printf '%s iam:alice\n' "$ed" "$ec" "$sk" "$ec521" | sort)" \
    "$(grep -v '^ssh-rsa ' "$work/keys.out" | sort)"
# No FIDO authenticator here: ssh-keygen -t ed25519-sk needs a device or
# a middleware library (SecurityKeyProvider), which Debian's OpenSSH does
# not ship (its sk-dummy.so exists only in OpenSSH's own regress tests).
check_eq "sk-ssh-ed25519 key in ssh-key-yubikey: served up to the key line (%k match), no sk login: no FIDO authenticator or middleware on this machine" \
    "$sk iam:alice" \
    "$("$run/bin/iam-authorized-keys" --config "$cfg" -- alice "$alice_uid" \
        "$(cut -d' ' -f2 <<<"$sk")" 2>/dev/null)"

# ---- Tags that must be refused ----

denied "a key with options in a tag (ssh-key-opts) is refused" "$work/opt" \
    alice
logged "... and logged" 'tag ssh-key-opts refused: key options'
logged "a malformed tag (ssh-key-bad) is refused and logged" \
    'tag ssh-key-bad refused'
denied "an RSA key under 2048 bits in a tag is refused" "$work/rsa1k" alice
logged "... and logged" 'tag ssh-key-old refused: an RSA key under 2048'
denied "a type TAG_KEY_TYPES leaves out (ecdsa-sha2-nistp384) is refused" \
    "$work/ec384" alice
logged "... and logged" 'tag ssh-key-p384 refused: its key type'
denied "a tag named ssh-keyX holds no key" "$work/kx" alice
logged "... logged as a key in a tag not so named" \
    'tag ssh-keyX holds what looks like a key'
denied "a tag named xssh-key holds no key" "$work/ky" alice
logged "... logged too" 'tag xssh-key holds what looks like a key'
check_fails "a tag that is no key (team) is not logged" \
    grep -q 'tag team' "$syslog"
denied "grace (in no authorized group) cannot use the key in her tag" \
    "$work/kg" grace
check_fails "... and no tag of hers was read" grep -q 'IAM user grace' "$syslog"

# ---- First sight, no-change syncs, removal ----

dump_tag_dates() {
    "$build/tests/dumpsnapshot" "$db" | awk '$1 == "key" && $3 ~ /^tag:/ {
        print $3, $4, $5 }' | sort
}
dump_tag_dates >"$work/dates.1"
ino1=$(stat -c %i "$db")
sleep 1.1 # a new first sight would now differ by a second
sync_now || tap_not_ok "second sync: $(tail -n 2 "$work/last-sync.log")"
check_eq "a no-change sync with TAG_KEYS=yes writes no file" \
    "$ino1|unchanged" "$(stat -c %i "$db")|$(j result)"
check_eq "a tag key keeps the date the first sync saw it" \
    "$(cat "$work/dates.1")" "$(dump_tag_dates)"

iam_tags untag alice ssh-key-laptop || tap_not_ok "untagging ssh-key-laptop"
login "control: the key still works until the next sync" "$work/ec" alice
sync_now || tap_not_ok "sync after untag: $(tail -n 2 "$work/last-sync.log")"
denied "after the tag is removed and a sync runs, its key is refused" \
    "$work/ec" alice
login "control: alice's other tag key still works" "$work/ed" alice

# MAX_KEY_AGE_DAYS counts from the first sight, never ignored: a limit
# of 1 day leaves today's keys served.
write_config 'TAG_KEYS="yes"' "TAG_KEY_TYPES=\"$types\"" \
    'MAX_KEY_AGE_DAYS="1"'
sync_now || tap_not_ok "sync with MAX_KEY_AGE_DAYS: $(tail -n 2 "$work/last-sync.log")"
login "MAX_KEY_AGE_DAYS=1: a tag key first seen today is served" \
    "$work/ed" alice

# TAG_KEYS=no: the tag keys are gone, and no ListUserTags is made.
write_config
sync_now || tap_not_ok "sync with TAG_KEYS=no: $(tail -n 2 "$work/last-sync.log")"
check_eq "TAG_KEYS=no makes no ListUserTags call" 0 "$(j list_tags)"
denied "TAG_KEYS=no: the key in a tag is refused" "$work/ed" alice

# ---- TAG_KEYS_SOURCE=GetAccountAuthorizationDetails ----

# A proxy in front of moto pages GetAccountAuthorizationDetails two users
# a page (moto answers in one page; AWS pages at MaxItems <= 1000) and
# breaks a page when told to.
python3 "$here/aws_proxy.py" --upstream "$url" --page-size 2 \
    --port-file "$work/proxy.port" </dev/null >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do
    [ -s "$work/proxy.port" ] && break
    sleep 0.1
done
[ -s "$work/proxy.port" ] || fail_setup "the proxy does not start"
iam_url=http://127.0.0.1:$(cat "$work/proxy.port")
proxy_ctl() {
    curl -sS --max-time 5 -f "$iam_url/__proxy/$1"
}
gaad='TAG_KEYS_SOURCE="GetAccountAuthorizationDetails"'
write_config 'TAG_KEYS="yes"' "TAG_KEY_TYPES=\"$types\"" "$gaad"

# The shipped policy does not allow it: the sync fails, saying what is
# missing, and the snapshot stays.
ino=$(stat -c %i "$db")
"$build/tests/dumpsnapshot" "$db" >"$work/snap.before"
check_fails "GetAccountAuthorizationDetails under iam-ssh-policy.json alone: the sync fails" \
    sync_now
logged "... with IAM's AccessDenied" 'GetAccountAuthorizationDetails.*AccessDenied'
logged "... naming the permission it lacks" \
    'needs iam:GetAccountAuthorizationDetails'

check_eq "... and the snapshot is the one before" \
    "$ino|$(cat "$work/snap.before")" \
    "$(stat -c %i "$db")|$("$build/tests/dumpsnapshot" "$db")"

# With policy/iam-ssh-policy-gaad.json attached too: the same logins.
moto_auth_off "$work/moto" || fail_setup "moto auth off"
python3 - "$url" "$root/policy/iam-ssh-policy-gaad.json" nss-iam-sync <<'PY' ||
import sys
import boto3
url, doc, user = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
arn = iam.create_policy(PolicyName="nss-iam-ssh-gaad",
                        PolicyDocument=open(doc).read())["Policy"]["Arn"]
iam.attach_user_policy(UserName=user, PolicyArn=arn)
PY
    fail_setup "attaching iam-ssh-policy-gaad.json"
moto_enforce "$work/moto" || fail_setup "moto enforce"
curl -sS -f -X POST "$iam_url/__proxy/reset-stats" >/dev/null ||
    fail_setup "the proxy does not reset its counts"
sync_now || tap_not_ok "GAAD sync: $(tail -n 2 "$work/last-sync.log")"
check_eq "with iam-ssh-policy-gaad.json: published, 0 ListUserTags" \
    "published|0" "$(j result)|$(j list_tags)"
pages=$(proxy_ctl stats | jq -r '.actions.GetAccountAuthorizationDetails')
check_eq "... GetAccountAuthorizationDetails followed to its last page (2 users a page: $pages pages)" \
    "$pages" "$(j gaad)"
check "... more than one page" test "$pages" -gt 1
login "GAAD: alice logs in with the key in her tag ssh-key" "$work/ed" alice
audit_has "... audited as key_id=tag:ssh-key" \
    user=alice "key=$(fpr ed)" key_id=tag:ssh-key decision=accepted
login "GAAD: alice logs in with the key in ssh-key-big" "$work/ec521" alice
denied "GAAD: the untagged ssh-key-laptop stays refused" "$work/ec" alice
denied "GAAD: grace (in no authorized group) is still refused" "$work/kg" \
    grace
check_eq "GAAD: the keys command serves the same tag keys" \
    "$(printf '%s iam:alice\n' "$ed" "$sk" "$ec521" | sort)" \
    "$(keys_out | grep -v '^ssh-rsa ' | sort)"
dump_tag_dates >"$work/dates.gaad"
ino=$(stat -c %i "$db")
sleep 1.1
sync_now || tap_not_ok "GAAD no-change sync: $(tail -n 2 "$work/last-sync.log")"
check_eq "GAAD: a no-change sync writes no file, dates kept" \
    "$ino|unchanged|$(cat "$work/dates.gaad")" \
    "$(stat -c %i "$db")|$(j result)|$(dump_tag_dates)"

# A malformed page fails the run and keeps the snapshot.
"$build/tests/dumpsnapshot" "$db" >"$work/snap.before"
proxy_ctl 'fault?name=invalid-json&action=GetAccountAuthorizationDetails&count=1' \
    >/dev/null || fail_setup "the proxy refuses the fault"
check_fails "GAAD: a malformed page fails the sync" sync_now
logged "... saying which call" 'GetAccountAuthorizationDetails: response is not JSON\|GetAccountAuthorizationDetails:.*JSON' 
check_eq "... and the snapshot is the one before" \
    "$ino|$(cat "$work/snap.before")" \
    "$(stat -c %i "$db")|$("$build/tests/dumpsnapshot" "$db")"
proxy_ctl 'fault?name=none' >/dev/null
login "GAAD: control: alice still logs in" "$work/ed" alice

check "sshd is still running" kill -0 "$sshd_pid"

tap_done
