#!/usr/bin/env bash
# iam-sync --explain against moto: for each reason a user is or is not
# served (the basic and hostile scenarios' names), the explanation says
# which decision and which setting, and its exit status agrees with the
# snapshot a sync publishes (a user line with an Active key). Usage errors
# exit 2. The progress line appears on a pty only (script(1)), never in a
# file or under the journal (JOURNAL_STREAM).
#
# Snapshots live under a mktemp -d directory (--db). The hostile part
# bind-mounts test copies of /etc/passwd and /etc/group in a private mount
# namespace: nothing here touches the host.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"

work=$(mktemp -d /tmp/nss-iam-explain.XXXXXX) || exit 1
basic=$work/basic
hostile=$work/hostile
mkdir -p "$work/db" "$work/new" "$work/hdb"
db=$work/db/passwd.mdb

cleanup() {
    moto_stop "$basic/moto"
    moto_stop "$hostile/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# write_conf FILE URL [LINE...]: the test config, mode 0600.
write_conf() {
    local file=$1 url=$2
    shift 2
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND=100'
        echo 'MAX_KEY_AGE_DAYS=30'
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$file"
    chmod 0600 "$file"
}

# run_sync CREDS CONF DB [ARGS...]: iam-sync with a seed's credentials;
# stdout in $work/out, stderr in $work/err; returns its status.
run_sync() {
    local creds=$1 conf=$2 dbp=$3
    shift 3
    (
        unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE \
            AWS_SHARED_CREDENTIALS_FILE JOURNAL_STREAM
        set -a
        # shellcheck disable=SC1090
        . "$creds"
        set +a
        exec "$build/iam-sync" --config "$conf" --db "$dbp" "$@"
    ) >"$work/out" 2>"$work/err" </dev/null
}

check_rc() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf '# want status %s, got %s\n' "$2" "$3"
        sed 's/^/# /' "$work/out" "$work/err" | tail -n 20
    fi
}

# says WHAT TEXT: the last explanation ($work/out) holds TEXT.
says() {
    if grep -qF -- "$2" "$work/out"; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf '# want a line with: %s\n' "$2"
        sed 's/^/# /' "$work/out"
    fi
}

# served_with_key DUMP IAM_NAME: the snapshot serves the IAM user (its
# user line names it) with at least one Active key.
served_with_key() {
    local posix
    posix=$(awk -v n="$2" '$1 == "user" && $5 == n { print $2 }' "$1")
    [ -n "$posix" ] &&
        awk -v u="$posix" '$1 == "key" && $2 == u && $4 == "active"' "$1" |
        grep -q .
}

# agree CREDS CONF DB DUMP MANIFEST: for every IAM user of the manifest,
# --explain exits 0 exactly when the snapshot serves it with a key.
agree() {
    local creds=$1 conf=$2 dbp=$3 dump=$4 man=$5 name rc want bad=0
    while IFS= read -r name; do
        run_sync "$creds" "$conf" "$dbp" --explain "$name"
        rc=$?
        want=1
        served_with_key "$dump" "$name" && want=0
        if [ "$rc" != "$want" ]; then
            echo "# $name: --explain exits $rc, the snapshot says $want"
            bad=1
        fi
    done < <(jq -r '.users[].UserName' "$man")
    return $bad
}

# ---- the basic scenario ---------------------------------------------------

if moto_seeded "$basic" basic 2>"$work/seed.err"; then
    tap_ok "seed basic"
else
    tap_not_ok "seed basic: $(cat "$work/seed.err")"
fi
man=$basic/seed/manifest.json
creds=$basic/seed/creds.env
url=$(moto_url "$basic/moto")
conf=$work/basic.conf
write_conf "$conf" "$url"

# Before any sync: the user is in IAM, not yet in a snapshot.
run_sync "$creds" "$conf" "$work/new/passwd.mdb" --explain alice
check_rc "not yet synced: alice cannot log in yet (exit 1)" 1 $?
says "... the explanation says there is no snapshot" "no snapshot yet"
says "... and that the next sync adds her" "next sync   adds this user"

run_sync "$creds" "$conf" "$db"
check_rc "the sync exits 0" 0 $?
"$build/tests/dumpsnapshot" "$db" >"$work/dump"

run_sync "$creds" "$conf" "$db" --explain alice
check_rc "alice (admitted, two Active keys): exit 0" 0 $?
says "... member of the authorized group, with the config line" \
    "member of IAM group ssh-users  [IAM_AUTHORIZED_GROUPS, $conf:1]"
says "... her name is accepted" "maps to alice: accepted"
says "... sudo through admins, SUDOERS_GROUPS' line" \
    "yes: member of IAM group admins  [SUDOERS_GROUPS, $conf:2]"
says "... her keys are served and in the snapshot" \
    "served, opens a login; in the snapshot"
says "... the next sync changes nothing" "changes nothing for this user"

run_sync "$creds" "$conf" "$db" --explain alice --json
check_rc "--json: exit 0" 0 $?
check_eq "... one JSON object saying she can log in" "true true iam" \
    "$(jq -r '"\(.can_log_in) \(.in_snapshot) \(.facts)"' "$work/out")"

run_sync "$creds" "$conf" "$db" --explain root
check_rc "root (a reserved name): exit 1" 1 $?
says "... refused as reserved" "maps to root: refused: reserved system name"

name40=forty-character-long-iam-user-name-abcde
run_sync "$creds" "$conf" "$db" --explain "$name40"
check_rc "a 40-character name: exit 1" 1 $?
says "... refused as too long" "refused: longer than 32 characters"

run_sync "$creds" "$conf" "$db" --explain amb@corp
check_rc "amb@corp (maps to amb.at.corp as another user does): exit 1" 1 $?
says "... ambiguous, naming the other user" \
    "maps to amb.at.corp: refused: another IAM name maps to the same name (IAM user amb.at.corp maps to it too)"

run_sync "$creds" "$conf" "$db" --explain ivan
check_rc "ivan (his only key Inactive): exit 1" 1 $?
says "... the key is Inactive" "Inactive in IAM: served as Inactive"

run_sync "$creds" "$conf" "$db" --explain erin
check_rc "erin (one key 400 days old, one new): exit 0" 0 $?
says "... the old key is expired under MAX_KEY_AGE_DAYS, with its line" \
    "older than MAX_KEY_AGE_DAYS: served as expired, opens nothing; in the snapshot  [MAX_KEY_AGE_DAYS, $conf:7]"

run_sync "$creds" "$conf" "$db" --explain grace
check_rc "grace (in no authorized group): exit 1" 1 $?
says "... in none of the authorized groups" \
    "refused: in none of the authorized groups  [IAM_AUTHORIZED_GROUPS, $conf:1]"

run_sync "$creds" "$conf" "$db" --explain no-such-user
check_rc "a user IAM does not have: exit 1" 1 $?
says "... no such IAM user" "no IAM user of that name"

run_sync "$creds" "$conf" "$db" --explain dev.plus.ops
check_rc "the POSIX name dev.plus.ops explains IAM user dev+ops: exit 0" 0 $?
says "... found under its IAM name" "IAM user dev+ops"

run_sync "$creds" "$conf" "$db" --explain alice --offline
check_rc "--offline alice: exit 0, from the snapshot" 0 $?
says "... says the facts are the snapshot's" "facts from the snapshot (--offline)"
run_sync "$creds" "$conf" "$db" --explain no-such-user --offline
check_rc "--offline no-such-user: exit 1" 1 $?

check "every basic user: --explain's exit status agrees with the snapshot" \
    agree "$creds" "$conf" "$db" "$work/dump" "$man"

# A rule's input changes: the explanation and the snapshot change together.
write_conf "$work/old.conf" "$url" 'MAX_KEY_AGE_DAYS=0'
run_sync "$creds" "$work/old.conf" "$db" --explain erin
says "MAX_KEY_AGE_DAYS=0: erin's old key would be served" \
    "Active, 400 days old (limit none, 0): served, opens a login"
says "... and the next sync changes her" "changes this user"
run_sync "$creds" "$work/old.conf" "$db"
"$build/tests/dumpsnapshot" "$db" >"$work/dump0"
check_eq "... the sync then serves both her keys Active" 2 \
    "$(awk '$1 == "key" && $2 == "erin" && $4 == "active"' "$work/dump0" |
        wc -l)"
run_sync "$creds" "$work/old.conf" "$db" --explain erin
says "... and the explanation then says nothing changes" \
    "changes nothing for this user"
write_conf "$work/noadm.conf" "$url" 'SUDOERS_GROUPS=""'
run_sync "$creds" "$work/noadm.conf" "$db" --explain alice
says "SUDOERS_GROUPS empty: alice has no sudo" "no: in no SUDOERS_GROUPS group"
run_sync "$creds" "$work/noadm.conf" "$db"
"$build/tests/dumpsnapshot" "$db" >"$work/dump1"
check "... agreeing with the snapshot: she is in no sudo group" \
    test -z "$(awk '$1 == "group" && $2 == "iam-sudo" && / alice( |$)/' \
        "$work/dump1")"

# ---- the progress line ------------------------------------------------------

# on_pty OUT [ENV=VALUE...] -- ARGS...: iam-sync ARGS on a pseudo-terminal
# (util-linux script), with the basic seed's credentials and the given
# variables; everything the terminal showed goes to OUT.
on_pty() {
    local out=$1 cmd
    shift
    local envs=()
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    cmd=$(printf '%q ' "$build/iam-sync" --config "$conf" "$@")
    (
        unset JOURNAL_STREAM
        set -a
        # shellcheck disable=SC1090
        . "$creds"
        set +a
        exec env "${envs[@]}" script -qfec "$cmd" /dev/null
    ) >"$out" 2>&1 </dev/null
}

progress_re=$'\r\033\[Kiam-sync: ListSSHPublicKeys: [0-9]+ of 11 calls, [0-9]+ retries, '
if ! command -v script >/dev/null; then
    tap_skip "util-linux script (a pty) is not installed"
else
    rm -f "$work/db2.mdb"
    on_pty "$work/pty" -- --db "$work/db2.mdb"
    check "on a terminal, a sync draws the progress line (phase, calls of planned, retries)" \
        grep -qaE "$progress_re" "$work/pty"
    check "... and erases it before anything else is written" \
        grep -qaF $'\r\033[Kiam-sync: warning:' "$work/pty"
    on_pty "$work/pty-j" JOURNAL_STREAM=8:12345 -- --db "$work/db2.mdb" --force
    check_eq "under the journal (JOURNAL_STREAM set): no progress line" 0 \
        "$(grep -ac 'calls, ' "$work/pty-j")"
    on_pty "$work/pty-e" -- --db "$db" --explain alice
    check "--explain on a terminal: the line, then the explanation on a clean line" \
        grep -qaF $'\r\033[Kalice: the user\'s facts from IAM' "$work/pty-e"
fi
run_sync "$creds" "$conf" "$work/db3.mdb"
check_eq "stderr in a file: no progress line" 0 "$(grep -ac 'calls, ' "$work/err")"

# ---- usage errors ---------------------------------------------------------

run_sync "$creds" "$conf" "$db" --explain ""
check_rc "--explain with an empty name: exit 2" 2 $?
run_sync "$creds" "$conf" "$db" --offline
check_rc "--offline without --explain: exit 2" 2 $?
run_sync "$creds" "$conf" "$db" --explain alice --dry-run
check_rc "--explain with --dry-run: exit 2" 2 $?
run_sync "$creds" "$conf" "$db" --explain alice extra
check_rc "--explain with a stray argument: exit 2" 2 $?
run_sync "$creds" "$conf" "$db" --explain
check_rc "--explain without a name: exit 2" 2 $?

# ---- the hostile scenario: local clashes, configured groups ---------------

if moto_seeded "$hostile" hostile 2>"$work/seed.err"; then
    tap_ok "seed hostile"
else
    tap_not_ok "seed hostile: $(cat "$work/seed.err")"
fi
hman=$hostile/seed/manifest.json
hcreds=$hostile/seed/creds.env
ns=$work/ns
mkdir -p "$ns"
cp /etc/passwd "$ns/passwd"
cp /etc/group "$ns/group"
alice_id=$(jq -r '.users[]|select(.UserName=="alice").UserId' "$hman")
alice_first=$(python3 -c 'import hashlib,sys
print(2000000000 + int.from_bytes(hashlib.sha256(("uid:" + sys.argv[1]).encode()).digest()[:8], "big") % 147483647)' "$alice_id")
{
    echo 'deploy:x:1500:1500::/home/deploy:/bin/sh'
    echo "legacy:x:$alice_first:1500::/home/legacy:/bin/sh"
} >>"$ns/passwd"
printf 'deploy:x:1500:\nops:x:1501:deploy\n' >>"$ns/group"
chmod 0644 "$ns/passwd" "$ns/group"
if ! mount --bind "$ns/passwd" /etc/passwd ||
    ! mount --bind "$ns/group" /etc/group; then
    fail_setup "cannot bind-mount test passwd and group files"
fi
hconf=$work/hostile.conf
hdb=$work/hdb/passwd.mdb
write_conf "$hconf" "$(moto_url "$hostile/moto")" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,iam-users,Ops"'
run_sync "$hcreds" "$hconf" "$hdb"
check_rc "hostile: the sync exits 0" 0 $?
"$build/tests/dumpsnapshot" "$hdb" >"$work/hdump"

run_sync "$hcreds" "$hconf" "$hdb" --explain Deploy
check_rc "Deploy (a local deploy exists): exit 1" 1 $?
says "... refused as a local clash" \
    "maps to Deploy: refused: already a local user or group"

run_sync "$hcreds" "$hconf" "$hdb" --explain iam-sudo
check_rc "iam-sudo (SUDO_GROUP's name): exit 1" 1 $?
says "... refused, naming SUDO_GROUP" \
    "refused: the name of a configured group (SUDO_GROUP \"iam-sudo\")  [SUDO_GROUP, default]"

run_sync "$hcreds" "$hconf" "$hdb" --explain iam-users
check_rc "iam-users (MEMBER_GROUP's, and an authorized group's): exit 1" 1 $?
says "... refused, naming MEMBER_GROUP" "(MEMBER_GROUP \"iam-users\")"

run_sync "$hcreds" "$hconf" "$hdb" --explain alice
check_rc "alice (her first uid is a local account's): exit 0" 0 $?
alice_uid=$(awk '$1 == "user" && $2 == "alice" { print $3 }' "$work/hdump")
says "... her uid moved from the local one to the snapshot's" \
    "uid $alice_uid, private group gid $alice_uid: moved from $alice_first (taken by a local account or a reserved id), try 1"

run_sync "$hcreds" "$hconf" "$hdb" --explain carol
check_rc "carol (in the hostile groups, an ordinary user): exit 0" 0 $?

check "every hostile user: --explain's exit status agrees with the snapshot" \
    agree "$hcreds" "$hconf" "$hdb" "$work/hdump" "$hman"

tap_done
