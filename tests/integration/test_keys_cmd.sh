#!/usr/bin/env bash
# iam-authorized-keys at the command line, as sshd calls it, on a snapshot
# that iam-sync built from the "basic" IAM scenario in moto: which keys it
# prints for which USER UID KEY, its exit status, its one audit line per
# call on syslog, and the chained command. Runs in a private mount
# namespace: /dev gets an overlay there so that the syslog sink can own
# /dev/log; the host's /dev is not written. Prints TAP.
# shellcheck source-path=SCRIPTDIR
# jq programs and commands run by the remote shell are single-quoted on
# purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"
. "$here/lib/moto.sh"

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
check_eq "USER alone: every Active key, canonical, tagged iam:<IAM name>" \
    "0|$want_all" "$rc|$(printf '%s\n' "$out" | sort)"
run "$user" "$uid"
check_eq "USER and its UID: every Active key" \
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

# /dev/log in this namespace only: an overlay on /dev whose upper layer is
# a private tmpfs, so the sink's socket never reaches the host's /dev.
# /dev/pts and /dev/shm, hidden by the overlay, are moved back on top.
nsdir=$work/ns
mkdir -p "$nsdir"
mount -t tmpfs -o mode=0700 tmpfs "$nsdir"
mkdir "$nsdir/upper" "$nsdir/workdir" "$nsdir/pts" "$nsdir/shm"
mount --bind /dev/pts "$nsdir/pts"
mount --bind /dev/shm "$nsdir/shm"
mount -t overlay overlay \
    -o "lowerdir=/dev,upperdir=$nsdir/upper,workdir=$nsdir/workdir" /dev ||
    fail_setup "cannot put an overlay on /dev"
mount --move "$nsdir/pts" /dev/pts
mount --move "$nsdir/shm" /dev/shm

log=$work/syslog.txt
: >"$log"
python3 "$here/syslog_sink.py" --socket /dev/log --out "$log" \
    --ready "$work/sink.ready" 2>"$work/sink.err" &
sink_pid=$!
for _ in $(seq 50); do
    [ -s "$work/sink.ready" ] && break
    sleep 0.1
done
[ -s "$work/sink.ready" ] || fail_setup "the syslog sink did not start"

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
check "audit lines go to authpriv (facility 10)" \
    grep -q '^<8[0-9]>.*iam-authorized-keys\[' "$log"

# ---- CHAIN_AUTHORIZED_KEYS_COMMAND ----

ssh-keygen -q -t ed25519 -N '' -C x -f "$work/chained" </dev/null
chained_line="$(cut -d' ' -f1-2 "$work/chained.pub") chained"
cat >"$work/chain-ok.sh" <<EOF
#!/bin/sh
echo "\$*" >"$work/chain-args"
echo "$chained_line"
EOF
printf '#!/bin/sh\necho "not a key" >&2\nexit 3\n' >"$work/chain-fail.sh"
chmod 0755 "$work/chain-ok.sh" "$work/chain-fail.sh"

write_config "$work/chain-ok.conf" \
    "CHAIN_AUTHORIZED_KEYS_COMMAND=\"$work/chain-ok.sh\""
out=$("$keys_bin" --config "$work/chain-ok.conf" --db "$db" "$user" "$uid" \
    2>/dev/null)
rc=$?
check_eq "chained command: our keys first, then its output" \
    "0|$want_all|$chained_line" \
    "$rc|$(printf '%s\n' "$out" | head -n 2 | sort)|$(printf '%s\n' "$out" | sed -n '3,$p')"
check_eq "chained command gets sshd's arguments" "$user $uid" \
    "$(cat "$work/chain-args" 2>/dev/null)"

write_config "$work/chain-fail.conf" \
    "CHAIN_AUTHORIZED_KEYS_COMMAND=\"$work/chain-fail.sh\""
out=$("$keys_bin" --config "$work/chain-fail.conf" --db "$db" "$user" "$uid" \
    "$(blob "$iam_user" 1)" 2>/dev/null)
check_eq "a failing chained command keeps our key and exit 0" \
    "0|$key1_line" "$?|$out"

# ---- what the login path loads ----

# Every library the keys command loads is paid on every login: OpenSSL
# alone would be about 2 ms (make bench). libc and LMDB only; the online
# check lives in iam-verify-key.
needed=$(readelf -d "$keys_bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    sort | tr '\n' ' ')
check_eq "the keys command links libc and liblmdb only" \
    "libc.so.6 liblmdb.so.0 " "$needed"
