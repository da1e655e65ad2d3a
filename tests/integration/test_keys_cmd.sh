#!/usr/bin/env bash
# iam-authorized-keys at the command line, as sshd calls it, on a snapshot
# that iam-sync built from the "basic" IAM scenario in moto: which keys it
# prints for which USER UID KEY, its exit status, its one audit line per
# call on syslog, and the chained command. Runs in a private mount
# namespace: /dev gets an overlay there so that the syslog sink can own
# /dev/log, and /run a tmpfs for the chained commands (which, like sshd's
# own, must sit in root-owned directories nobody else may write); the
# host's /dev and /run are not written. Prints TAP.
# shellcheck source-path=SCRIPTDIR
# jq programs and commands run by the remote shell are single-quoted on
# purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"
. "$here/lib/moto.sh"
# shellcheck source=lib/syslog.sh
. "$here/lib/syslog.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
keys_bin=$build/iam-authorized-keys

work=$(mktemp -d /tmp/nss-iam-keys-cmd.XXXXXX) || exit 1
sink_pid=

cleanup() {
    if [ -n "$sink_pid" ]; then
        kill -TERM "$sink_pid" 2>/dev/null
        wait "$sink_pid" 2>/dev/null
    fi
    moto_stop "$work/moto"
    # The overlay on /dev keeps its upper layer alive: detach the mount
    # point so that the directory can go.
    if mountpoint -q "$work/ns"; then
        umount -l "$work/ns"
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- IAM, snapshot, config ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
manifest=$work/seed/manifest.json

# write_config FILE [EXTRA LINE...]: a config iam-sync and the keys
# command accept (root-owned, 0644).
write_config() {
    local f=$1
    shift
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        printf '%s\n' "$@"
    } >"$f"
    chmod 0644 "$f"
}
cfg=$work/nss-iam.conf
write_config "$cfg"
db=$work/passwd.mdb
(
    set -a
    # shellcheck disable=SC1091
    . "$work/seed/creds.env"
    set +a
    "$build/iam-sync" --config "$cfg" --db "$db"
) >"$work/sync.log" 2>&1 ||
    fail_setup "iam-sync failed: $(tail -n 3 "$work/sync.log")"

# jq over the manifest.
m() {
    jq -r "$@" "$manifest"
}
# blob IAM_USER N: the base64 blob of that user's Nth key.
blob() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].SSHPublicKeyBody' |
        cut -d' ' -f2
}
# fp IAM_USER N: its SHA256 fingerprint, as ssh-keygen computes it.
fp() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].SSHPublicKeyBody' |
        ssh-keygen -lf - | cut -d' ' -f2
}
# key_id IAM_USER N
key_id() {
    m --arg u "$1" --argjson n "$2" \
        '.users[] | select(.UserName == $u) | .keys[$n].SSHPublicKeyId'
}
# snap_uid POSIX_NAME: the uid the snapshot holds.
snap_uid() {
    "$build/tests/dumpsnapshot" "$db" | awk -v n="$1" '$1 == "user" && $2 == n { print $3 }'
}

# The user with the mapped name: first.last@example.com, two Active keys.
iam_user=first.last@example.com
user=first.last.at.example.com
uid=$(snap_uid "$user")
[ -n "$uid" ] || fail_setup "$user is not in the snapshot"
# Its Active keys as the command must print them, sorted.
want_all=$(m --arg u "$iam_user" '.users[] | select(.UserName == $u) |
    .keys[] | select(.Status == "Active") |
    (.SSHPublicKeyBody | split(" ")[0:2] | join(" ")) + " iam:" + $u' | sort)
[ "$(printf '%s\n' "$want_all" | wc -l)" = 2 ] ||
    fail_setup "the manifest does not give $iam_user two Active keys"
key1_line=$(m --arg u "$iam_user" '.users[] | select(.UserName == $u) |
    .keys[1] | (.SSHPublicKeyBody | split(" ")[0:2] | join(" ")) + " iam:" + $u')

# run ARGS...: runs the command; sets out (stdout) and rc.
out=
rc=
run() {
    out=$("$keys_bin" --config "$cfg" --db "$db" "$@" 2>"$work/stderr")
    rc=$?
}

# ---- Which keys ----

run "$user"
check_eq "USER alone (sshd passed no %U): no key, exit 0" "0|" "$rc|$out"
run "$user" "$uid"
check_eq "USER and its UID: every Active key, canonical, tagged iam:<IAM name>" \
    "0|$want_all" "$rc|$(printf '%s\n' "$out" | sort)"
run "$user" "$((uid + 1))"
check_eq "USER with another UID: nothing, exit 0" "0|" "$rc|$out"
run "$user" "$uid" "$(blob "$iam_user" 1)"
check_eq "offered KEY: only that key's line" "0|$key1_line" "$rc|$out"
run bob.smith "$(snap_uid bob.smith)" "$(blob bob.smith 2)"
check_eq "offered Inactive key: nothing" "0|" "$rc|$out"
run "$user" "$uid" "$(blob alice 0)"
check_eq "offered key of another user: nothing" "0|" "$rc|$out"
run nosuchuser
check_eq "unknown user: nothing, exit 0" "0|" "$rc|$out"

# Names that are no user name: nothing on stdout and exit 0, so that sshd
# simply finds no key.
long=$(printf 'a%.0s' $(seq 300))
for bad in '../x' 'a b' '$(id)' "$long" $'\xff\xfe'; do
    run "$bad" 0 "$(blob "$iam_user" 0)"
    check_eq "invalid USER $(printf '%q' "$bad" | cut -c1-24): nothing, exit 0" \
        "0|" "$rc|$out"
done

# A uid that is not exactly what sshd prints for %U ("%llu") is no uid:
# nothing is printed, as for a wrong one.
for bad in "${uid}x" "" "-1" "+$uid" " $uid" "$uid " "0$uid" "4294967295" \
    "99999999999999999999" "$uid.0"; do
    run "$user" "$bad" "$(blob "$iam_user" 1)"
    check_eq "malformed UID '$bad': nothing, exit 0" "0|" "$rc|$out"
done

# Options end at the first operand, and the drop-in passes "--": a name,
# uid or key that looks like an option is an operand, never an option.
run -- "--db=$work/missing.mdb" "$uid"
check_eq "USER '--db=...' after --: a (refused) name, exit 0" "0|" "$rc|$out"
run -- --help "$uid"
check_eq "USER '--help' after --: a (refused) name, no usage" "0|" "$rc|$out"
run "$user" --help
check_eq "USER --help: '--help' is the (malformed) uid, no usage" \
    "0|" "$rc|$out"
run "$user" "$uid" "--db=$work/missing.mdb"
check_eq "KEY '--db=...': a (refused) key, not another snapshot" \
    "0|" "$rc|$out"
run "$user" "--config=$work/missing.conf" "$(blob "$iam_user" 1)"
check_eq "UID '--config=...': a (refused) uid, not another config" \
    "0|" "$rc|$out"

# ---- Exit status ----

out=$("$keys_bin" --config "$cfg" --db "$work/missing.mdb" "$user" 2>/dev/null)
check_eq "missing snapshot: exit 1, nothing on stdout" "1|" "$?|$out"
cp "$db" "$work/open.mdb"
chmod 0666 "$work/open.mdb"
out=$("$keys_bin" --config "$cfg" --db "$work/open.mdb" "$user" 2>/dev/null)
check_eq "world-writable snapshot (0666): exit 1, nothing on stdout" \
    "1|" "$?|$out"
out=$("$keys_bin" --config "$cfg" --db "$db" 2>/dev/null)
check_eq "no USER: usage error, exit 2" "2|" "$?|$out"

# ---- Audit lines on syslog ----

# /dev/log in this namespace only.
log=$work/syslog.txt
syslog_sink_start "$work" "$log"

# audit DECISION DESC USER FP ARGS...: one call adds exactly one line to
# syslog, with user=USER, key=FP and decision=DECISION. Every decision on
# an offered key names its fingerprint (docs/design.md, Logins), a refusal for
# a wrong uid or an unknown user included: those are the lines an
# operator looks for after a failed or suspicious login.
audit() {
    local decision=$1 desc=$2 u=$3 f=$4 before lines got
    shift 4
    before=$(wc -l <"$log")
    "$keys_bin" --config "$cfg" --db "$db" "$@" >/dev/null 2>&1
    # syslog() has returned before the command exits; the sink may still
    # be writing.
    sleep 0.2
    lines=$(tail -n +"$((before + 1))" "$log")
    got=$(printf '%s\n' "$lines" | grep -c 'iam-authorized-keys\[')
    if [ "$got" != 1 ]; then
        tap_not_ok "audit $desc: $got lines, want 1"
        printf '%s\n' "$lines" | sed 's/^/# /'
        return
    fi
    check_eq "audit $desc: user=, key=, decision= fields" \
        "user=$u key=$f decision=$decision" \
        "$(printf '%s\n' "$lines" | grep -o ' user=[^ ]*' | tr -d ' ') $(
            printf '%s\n' "$lines" | grep -o ' key=[^ ]*' | tr -d ' ') $(
            printf '%s\n' "$lines" | grep -o ' decision=[^ ]*' | tr -d ' ')"
}
fp1=$(fp "$iam_user" 1)
audit accepted "accepted key" "$user" "$fp1" \
    "$user" "$uid" "$(blob "$iam_user" 1)"
check "audit accepted key: names the IAM user and the key id" \
    grep -qF "iam_user=$iam_user uid=given key=$fp1 key_id=$(key_id "$iam_user" 1)" "$log"
audit inactive "Inactive key" bob.smith "$(fp bob.smith 2)" \
    bob.smith "$(snap_uid bob.smith)" "$(blob bob.smith 2)"
audit unknown-key "another user's key" "$user" "$(fp alice 0)" \
    "$user" "$uid" "$(blob alice 0)"
audit uid-mismatch "wrong UID" "$user" "$fp1" \
    "$user" "$((uid + 1))" "$(blob "$iam_user" 1)"
audit unknown-user "unknown user" nosuchuser "$fp1" \
    nosuchuser 2000000001 "$(blob "$iam_user" 1)"
audit no-uid "USER alone (sshd without %U)" "$user" - "$user"
check "audit no-uid: names the IAM user, uid=-, printed=0" \
    grep -qF "user=$user iam_user=$iam_user uid=- key=- key_id=- decision=no-uid printed=0" "$log"
audit bad-uid "malformed UID" "$user" "$fp1" \
    "$user" "${uid}x" "$(blob "$iam_user" 1)"
check "audit bad-uid: uid=bad, printed=0" \
    grep -qF "user=$user iam_user=- uid=bad key=$fp1 key_id=- decision=bad-uid printed=0" "$log"
audit bad-uid "UID '--help'" "$user" - "$user" --help
audit bad-user "USER '--db=...' (not shown)" - - -- "--db=$work/x" "$uid"
audit bad-user "USER with a space (not shown)" - - "a decision=accepted" "$uid"
audit bad-key "KEY not base64" "$user" - "$user" "$uid" '$(id)'
check "audit lines go to authpriv (facility 10)" \
    grep -q '^<8[0-9]>.*iam-authorized-keys\[' "$log"

# ---- CHAIN_AUTHORIZED_KEYS_COMMAND ----

# Like sshd for its own command, the keys command runs a chained command
# only from root-owned directories nobody else may write: /tmp is not one.
# A tmpfs on /run, in this namespace only, holds the test's commands.
mount -t tmpfs -o mode=0755 tmpfs /run || fail_setup "cannot mount /run"
bin=/run/chain
install -d -m 0755 "$bin"

ssh-keygen -q -t ed25519 -N '' -C x -f "$work/chained" </dev/null
chained_line="$(cut -d' ' -f1-2 "$work/chained.pub") chained"
# chain-ok.sh: writes its arguments, one a line, and prints a key.
cat >"$bin/chain-ok.sh" <<END
#!/bin/sh
printf '%s\n' "\$@" >"$work/chain-args"
echo "$chained_line"
END
# chain-fail.sh: prints a key but fails; sshd would ignore its output.
cat >"$bin/chain-fail.sh" <<END
#!/bin/sh
echo "$chained_line"
echo "not a key" >&2
exit 3
END
# chain-hang.sh: prints a key, starts a child and never ends.
cat >"$bin/chain-hang.sh" <<END
#!/bin/sh
echo "$chained_line"
sleep 600 &
echo "\$\$ \$!" >"$work/chain-hang.pids"
wait
END
# chain-big.sh: more output than is ever passed on (256 KiB), then a key.
cat >"$bin/chain-big.sh" <<END
#!/bin/sh
head -c 300000 /dev/zero | tr '\\0' a
echo
echo "$chained_line"
END
chmod 0755 "$bin"/chain-*.sh
cp "$bin/chain-ok.sh" "$work/chain-in-tmp.sh"

# chain_conf NAME COMMAND: a config with that chained command.
chain_conf() {
    write_config "$work/$1.conf" "CHAIN_AUTHORIZED_KEYS_COMMAND=\"$2\""
}
# chained CONF DB ARGS...: runs the command (bounded, so that a command
# that never ends fails this test instead of hanging it); sets out, rc.
chained() {
    local c=$1 d=$2
    shift 2
    rm -f "$work/chain-args"
    out=$(timeout 60 "$keys_bin" --config "$work/$c.conf" --db "$d" -- "$@" \
        2>/dev/null)
    rc=$?
}
blob1=$(blob "$iam_user" 1)
type1=$(m --arg u "$iam_user" '.users[] | select(.UserName == $u) |
    .keys[1].SSHPublicKeyBody' | cut -d' ' -f1)

# sshd's tokens, expanded from what sshd gave us: %f is the fingerprint
# sshd would print (ssh-keygen's), %% one '%'. EC2 Instance Connect's line
# is "eic_run_authorized_keys %u %f".
chain_conf tokens "$bin/chain-ok.sh %u %U %k %t %f 100%% %u:%U"
chained tokens "$db" "$user" "$uid" "$blob1"
check_eq "chained command: our key first, then its output" \
    "0|$key1_line|$chained_line" "$rc|$(printf '%s\n' "$out" | head -n 1)|$(
        printf '%s\n' "$out" | sed -n '2,$p')"
check_eq "chained command gets %u %U %k %t %f %% expanded, one argv each" \
    "$(printf '%s\n' "$user" "$uid" "$blob1" "$type1" "$fp1" 100% \
        "$user:$uid")" "$(cat "$work/chain-args" 2>/dev/null)"

chain_conf eic "$bin/chain-ok.sh %u %f"
chained eic "$db" "$user" "$uid"
check_eq "no key offered: all our keys, no chained output" \
    "0|$want_all" "$rc|$(printf '%s\n' "$out" | sort)"
check "... %f has no value: the chained command did not run" \
    test ! -e "$work/chain-args"
check "... which is logged" \
    grep -q 'chained command not run: %f has no value' "$log"

# The chained command answers when our snapshot cannot: a broken nss-iam
# must not take EC2 Instance Connect away.
printf 'not an lmdb file, but root-owned and 0644\n' >"$work/corrupt.mdb"
chmod 0644 "$work/corrupt.mdb"
for d in missing.mdb corrupt.mdb open.mdb; do
    chained eic "$work/$d" "$user" "$uid" "$blob1"
    check_eq "snapshot $d: the chained command's key, exit 0" \
        "0|$chained_line" "$rc|$out"
    check_eq "snapshot $d: the chained command got %u %f" \
        "$(printf '%s\n' "$user" "$fp1")" \
        "$(cat "$work/chain-args" 2>/dev/null)"
done
chained eic "$work/missing.mdb" --help "$uid" "$blob1"
check_eq "an option-looking USER reaches the chained command as %u" \
    "0|$chained_line|--help" \
    "$rc|$out|$(head -n 1 "$work/chain-args" 2>/dev/null)"

chain_conf fail "$bin/chain-fail.sh %u"
chained fail "$db" "$user" "$uid" "$blob1"
check_eq "a failing chained command: our key, not its output, exit 0" \
    "0|$key1_line" "$rc|$out"
chained fail "$work/missing.mdb" "$user" "$uid" "$blob1"
check_eq "... and with no snapshot either: nothing, exit 1" "1|" "$rc|$out"

chain_conf big "$bin/chain-big.sh %u"
chained big "$db" "$user" "$uid" "$blob1"
check_eq "a chained command with too much output: our key only, exit 0" \
    "0|$key1_line" "$rc|$out"

chain_conf unknown "$bin/chain-ok.sh %u %h"
chained unknown "$db" "$user" "$uid" "$blob1"
check_eq "unknown token %h: our key, exit 0" "0|$key1_line" "$rc|$out"
check "... the chained command did not run" test ! -e "$work/chain-args"
check "... a config error naming the file and the token" grep -qF \
    "$work/unknown.conf: CHAIN_AUTHORIZED_KEYS_COMMAND: unknown token %h" \
    "$log"

chain_conf tmp "$work/chain-in-tmp.sh %u"
chained tmp "$db" "$user" "$uid" "$blob1"
check_eq "a chained command under /tmp (world-writable): not run" \
    "0|$key1_line|absent" \
    "$rc|$out|$([ -e "$work/chain-args" ] && echo present || echo absent)"
check "... logged" \
    grep -q 'chained command: /tmp is writable by group or others' "$log"

chain_conf hang "$bin/chain-hang.sh %u"
chained hang "$db" "$user" "$uid" "$blob1"
check_eq "a chained command that never ends: killed, our key only, exit 0" \
    "0|$key1_line" "$rc|$out"
hang_pid=0
hang_child=0
if [ -s "$work/chain-hang.pids" ]; then
    read -r hang_pid hang_child <"$work/chain-hang.pids"
fi
# gone PID: no such process, or only a zombie left for init to reap.
gone() {
    [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]
}
check "... it had started" test "$hang_pid" -gt 0 -a "$hang_child" -gt 0
check "... it is gone" gone "$hang_pid"
check "... and so is the child it started" gone "$hang_child"

# ---- what the login path loads ----

# Every library the keys command loads is paid on every login: OpenSSL
# alone would be about 2 ms (make bench). libc and LMDB only; the online
# check lives in iam-verify-key.
needed=$(readelf -d "$keys_bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    sort | tr '\n' ' ')
check_eq "the keys command links libc and liblmdb only" \
    "libc.so.6 liblmdb.so.0 " "$needed"

tap_done
