#!/usr/bin/env bash
# libnss_iam.so.2 through real glibc (getent, id) and in-process (the C
# test, also under ASan/UBSan and valgrind), inside a private mount
# namespace: /var/lib is a tmpfs holding the snapshot, nsswitch.conf and
# passwd/group are bind-mounted test copies. The host is not touched.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
db=/var/lib/nss-iam/passwd.mdb
# Everything the test writes lives in this namespace's tmpfs, and goes
# away with it.
mount -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir -p /var/lib/nss-iam /var/lib/test
work=/var/lib/test
printf 'passwd: files iam\ngroup: files iam\nshadow: files\n' \
    >"$work/nsswitch.conf"
printf 'passwd: iam\ngroup: iam\n' >"$work/nsswitch-iam-only.conf"
# A local account with an IAM user's name: files must win.
cp /etc/passwd "$work/passwd"
echo 'user00001:x:4242:4242:local:/home/local:/bin/sh' >>"$work/passwd"
mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf
mount --bind "$work/passwd" /etc/passwd
export LD_LIBRARY_PATH=$build
export CMOCKA_MESSAGE_OUTPUT=TAP

"$build/tests/mksnapshot" "$db" 5000 1

check_eq "getent passwd NAME" \
    "user00003:*:2000000022:2000000022:user00003@example.com,gen1:/home/user00003:/bin/bash" \
    "$(getent passwd user00003)"
check_eq "getent passwd UID" "user00003" \
    "$(getent passwd 2000000022 | cut -d: -f1)"
check_eq "getent group NAME lists the members" \
    "admins:*:2100000000:user00000,user00003,user00006" \
    "$(getent group admins | cut -d, -f1-3)"
check_eq "getent group GID (private group)" "user00003:*:2000000022:" \
    "$(getent group 2000000022)"
check_eq "getent passwd enumerates every IAM user" 5000 \
    "$(getent passwd | grep -c '^user[0-9]*:\*:')"
check_eq "getent group enumerates private and shared groups" 5003 \
    "$(getent group | awk -F: '$3 >= 2000000000' | wc -l)"
check_eq "id shows the supplementary groups" \
    "uid=2000000022(user00003) gid=2000000022(user00003) groups=2000000022(user00003),2100000000(admins),2100000001(iam-sudo),2100000002(iam-users),100(users)" \
    "$(id user00003)"
check_eq "getent initgroups" "user00003 2000000022 2100000000 2100000001 2100000002 100" \
    "$(getent initgroups user00003 | tr -s ' ')"
check_eq "a local account of the same name wins" \
    "user00001:x:4242:4242:local:/home/local:/bin/sh" \
    "$(getent passwd user00001)"
check_fails "an unknown name is not found" getent passwd nosuchuser
check_fails "uid 0 is never served by iam" \
    sh -c "getent passwd 0 | grep -v '^root:'"
check_fails "an id below UID_MIN is not served" getent passwd 1999999999

# A new snapshot is seen at once by a new process.
"$build/tests/mksnapshot" "$db" 10 2
check_eq "a published snapshot is seen at once" \
    "user00003@example.com,gen2" "$(getent passwd user00003 | cut -d: -f5)"
check_fails "a user gone from the snapshot is gone" getent passwd user00011

# Bad files: getent exits cleanly (2, not found) and valgrind sees no
# error in the module. --run-libc-freeres=no: at exit valgrind asks glibc
# to unload NSS modules, which no real process does; the module's cached
# handle would then show as lost instead of still reachable.
vg() {
    valgrind --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --run-libc-freeres=no "$@"
}
bad_file() {
    local what=$1 rc
    vg getent passwd user00003 >/dev/null 2>"$work/vg.log"
    rc=$?
    # getent's 2 ("not found") is also what a module that never loaded
    # gives: the loader's own trace shows that this one was asked.
    if ! LD_DEBUG=files getent passwd user00003 2>&1 >/dev/null |
        grep -q 'file=libnss_iam.so.2 .*dynamically loaded'; then
        tap_not_ok "$what: libnss_iam.so.2 was not loaded"
    elif [ "$rc" -eq 2 ]; then
        tap_ok "$what: not found, no crash, valgrind clean"
    else
        tap_not_ok "$what: getent exit $rc"
        sed 's/^/# /' "$work/vg.log" | head -n 20
    fi
}
rm -f "$db"
bad_file "missing snapshot"
: >"$db"
bad_file "empty snapshot"
head -c 200000 /dev/urandom >"$db"
bad_file "random bytes"
"$build/tests/mksnapshot" "$db" 3000 1
truncate -s 40000 "$db"
bad_file "truncated snapshot"
"$build/tests/mksnapshot" "$db" 3000 1
# One byte of an LMDB page header (page 3's lower bound), in place: the
# file stays root-owned 0644, only its seal no longer matches.
printf '\377' | dd of="$db" bs=1 seek=$((4096 * 3 + 12)) conv=notrunc \
    status=none
bad_file "a flipped byte in a page header"
"$build/tests/mksnapshot" "$db" 10 1
chmod 0666 "$db"
bad_file "mode 0666"
"$build/tests/mksnapshot" "$db" 10 1
chown 65534 "$db"
bad_file "owned by a non-root user"
"$build/tests/mksnapshot" "$db" 10 1
# Each getent under valgrind itself (valgrind of "sh -c" would trace sh
# only, and run the getents natively).
check "valgrind: a lookup is clean" vg getent passwd user00003
check "valgrind: an enumeration is clean" vg getent group
check "valgrind: initgroups is clean" vg getent initgroups user00003

# A snapshot made on another EC2 instance (an image's) is served as no
# snapshot until iam-sync replaces it, when this instance's id is known
# locally: the DMI board asset tag, which Nitro sets to the instance id.
# A tmpfs over /sys/devices/virtual plays it (root's, 0444, as sysfs).
inst_a="i-0aaaaaaaaaaaaaaaa"
inst_b="i-0bbbbbbbbbbbbbbbb"
tag=/sys/devices/virtual/dmi/id/board_asset_tag
mount -t tmpfs -o mode=0755 tmpfs /sys/devices/virtual
mkdir -p "${tag%/*}"
set_tag() {
    printf '%s\n' "$1" >"$tag"
    chmod 0444 "$tag"
}
# The keys command's exit status (the fixture's key blobs are not real
# keys, so it prints none either way: 0 is "the snapshot was used").
keys() {
    "$build/iam-authorized-keys" --db "$db" user00003 2000000022 \
        >/dev/null 2>&1
    echo $?
}
set_tag "$inst_b"
"$build/tests/mksnapshot" "$db" 10 1 "$inst_a"
bad_file "made on instance A, read on B: nobody served"
check_eq "... nor enumerated" 0 \
    "$(getent passwd | grep -c '^user[0-9]*:\*:')"
check_eq "... and the keys command does not use it: exit 1" 1 "$(keys)"
set_tag "$inst_a"
check_eq "read on A, where it was made: served" "user00003" \
    "$(getent passwd user00003 | cut -d: -f1)"
check_eq "... by the keys command too (exit 0)" 0 "$(keys)"
"$build/tests/mksnapshot" "$db" 10 1 "$inst_b"
set_tag "$inst_b"
check_eq "iam-sync's snapshot made here (B): served at once" "user00003" \
    "$(getent passwd user00003 | cut -d: -f1)"
"$build/tests/mksnapshot" "$db" 10 1 "$inst_a"
set_tag "Default string"
check_eq "no instance id here (not Nitro): served" "user00003" \
    "$(getent passwd user00003 | cut -d: -f1)"
set_tag "$inst_b"
chmod 0666 "$tag"
check_eq "an asset tag others could write is no instance id: served" \
    "user00003" "$(getent passwd user00003 | cut -d: -f1)"
rm -f "$tag"
check_eq "no asset tag (Xen, not EC2): served" "user00003" \
    "$(getent passwd user00003 | cut -d: -f1)"
set_tag "$inst_b"
"$build/tests/mksnapshot" "$db" 10 1
check_eq "a snapshot that names no instance: served" "user00003" \
    "$(getent passwd user00003 | cut -d: -f1)"
umount /sys/devices/virtual

# Ids outside the snapshot's range (uid 0, gid 0, system ids, just below
# and above the range) under names no local file has, with iam alone in
# nsswitch.conf: files cannot answer first, so only the module's own
# range check keeps them out.
mount --bind "$work/nsswitch-iam-only.conf" /etc/nsswitch.conf
"$build/tests/mksnapshot" "$db" --outlaws
check_eq "iam alone: the good user is served" \
    "inrange:*:2000000001:2000000001:inrange:/home/x:/bin/bash" \
    "$(getent passwd inrange)"
for name in iamroot iamgid0 iamlow iambelow iamabove iamgidout; do
    check_eq "iam alone: $name (id out of range) is not served by name" \
        "" "$(getent passwd "$name")"
done
for id in 0 1000 1999999999 2147483647; do
    check_eq "iam alone: uid $id is not served" "" "$(getent passwd "$id")"
    check_eq "iam alone: gid $id is not served" "" "$(getent group "$id")"
done
for name in iamwheel iamlowgrp iamabovegrp; do
    check_eq "iam alone: group $name (gid out of range) is not served" \
        "" "$(getent group "$name")"
done
check_eq "iam alone: the enumeration holds the good user only" \
    "inrange" "$(getent passwd | cut -d: -f1)"
check_eq "iam alone: the group enumeration holds its group only" \
    "inrange" "$(getent group | cut -d: -f1)"
check_eq "iam alone: id of uid-0 user iamroot fails" "" \
    "$(id iamroot 2>/dev/null)"
"$build/tests/mksnapshot" "$db" 10 1

# The in-process C test, with nsswitch naming iam alone (still) so
# glibc's *_r calls reach the module with every buffer size.
"$build/tests/nss_check"
rc=$?
[ "$rc" -eq 0 ] || tap_not_ok "nss_check exited $rc"
# A sanitizer abort ends the output early: the exit status says so.
if [ -x "$root/build/asan/tests/nss_check" ]; then
    ASAN_OPTIONS=detect_leaks=1 "$root/build/asan/tests/nss_check" 2>&1 |
        sed 's/^\(not \)\{0,1\}ok [0-9]* - /&asan: /'
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || tap_not_ok "asan nss_check exited $rc"
fi
# Fair scheduling: the lookup threads spin, and without it the thread
# publishing snapshots can starve under valgrind on a busy machine.
vg --fair-sched=yes "$build/tests/nss_check" 2>&1 | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&valgrind: /'
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || tap_not_ok "valgrind nss_check exited $rc"

tap_done
