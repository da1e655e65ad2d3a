#!/usr/bin/env bash
# A trusted snapshot (root-owned, 0644) with a few flipped bytes: every
# reader returns, with an exit status and never a signal, and answers
# either correctly or not at all. Real glibc (getent, id) with
# "passwd: iam" alone, iam-authorized-keys, iam-sync --status, and
# dumpsnapshot (every record through the reader, as iam-sync reads the
# old snapshot for its diff), inside a private mount namespace:
# /var/lib is a tmpfs holding the snapshot, nsswitch.conf a bind-mounted
# test copy. The host is not touched.
#
# Trials are seeded (CORRUPT_SEED, default 1) and reproducible: trial T
# flips 1 to 4 bytes chosen from the seed and T, half of the trials in
# LMDB page headers (the first 16 bytes of a page, the meta pages
# included), the others anywhere. CORRUPT_TRIALS sets their number.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
db=/var/lib/nss-iam/passwd.mdb
seed=${CORRUPT_SEED:-1}
trials=${CORRUPT_TRIALS:-200}
# A hung reader is a failure too; none of these calls takes a second.
limit=20

mount -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir -p /var/lib/nss-iam /var/lib/test
work=/var/lib/test
cd "$work" || fail_setup "cannot enter $work"
# A crash must show as a status, not as a core file somewhere.
ulimit -c 0
printf 'passwd: iam\ngroup: iam\n' >"$work/nsswitch.conf"
mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf
export LD_LIBRARY_PATH=$build
echo 'IAM_AUTHORIZED_GROUPS="iam-users"' >"$work/nss-iam.conf"
chmod 0644 "$work/nss-iam.conf"

# A file of a few hundred pages, every kind of page present.
"$build/tests/mksnapshot" "$work/pristine.mdb" "${CORRUPT_USERS:-500}" 1 ||
    fail_setup "mksnapshot failed"

# The commands of one trial, one per line, as words for bash.
cmds=(
    "getent passwd user00003"
    "getent passwd 2000000022"
    "getent group"
    "getent group admins"
    "id user00003"
    "$build/iam-authorized-keys --config $work/nss-iam.conf user00003"
    "$build/tests/dumpsnapshot $db"
    "$build/iam-sync --config $work/nss-iam.conf --db $db --status"
)
# The last command tells the snapshot's age: its answer is not compared.
ncompare=$((${#cmds[@]} - 1))

# What each command says on the untouched file: a corrupt one must say
# the same or nothing at all.
cp "$work/pristine.mdb" "$db"
for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086  # word splitting wanted
    timeout "$limit" ${cmds[$i]} >"$work/want.$i" 2>/dev/null
done
if ! [ -s "$work/want.0" ] || ! [ -s "$work/want.4" ]; then
    fail_setup "the pristine snapshot does not answer"
fi

# The flips of every trial, computed once ("TRIAL OFFSET BYTE" lines:
# the byte written at OFFSET), so that a trial costs no interpreter.
python3 - "$work/pristine.mdb" "$seed" "$trials" >"$work/flips" <<'EOF'
import random, sys
data = open(sys.argv[1], "rb").read()
seed, trials = int(sys.argv[2]), int(sys.argv[3])
pages = len(data) // 4096
for trial in range(1, trials + 1):
    rng = random.Random(seed * 1000003 + trial)
    new = {}
    for _ in range(rng.randint(1, 4)):
        if trial % 2 == 0:
            off = rng.randrange(pages) * 4096 + rng.randrange(16)
        else:
            off = rng.randrange(len(data))
        new[off] = new.get(off, data[off]) ^ rng.randint(1, 255)
    for off, b in sorted(new.items()):
        print(trial, off, b)
EOF
[ -s "$work/flips" ] || fail_setup "cannot compute the flips"

# flip TRIAL: the pristine file with the bytes of TRIAL changed, as the
# snapshot (copied in place: owner root and mode 0644 stay).
flip() {
    local trial off byte
    cp "$work/pristine.mdb" "$db" || return 1
    while read -r trial off byte; do
        [ "$trial" = "$1" ] || continue
        # shellcheck disable=SC2059  # the format is the byte
        printf "\\x$(printf %02x "$byte")" |
            dd of="$db" bs=1 seek="$off" count=1 conv=notrunc status=none ||
            return 1
    done < <(grep "^$1 " "$work/flips")
}

crashes=0
wrong=0
ran=0
for t in $(seq "$trials"); do
    flip "$t" || fail_setup "cannot corrupt trial $t"
    for i in "${!cmds[@]}"; do
        # shellcheck disable=SC2086
        timeout -s KILL "$limit" ${cmds[$i]} >"$work/got" 2>/dev/null
        rc=$?
        ran=$((ran + 1))
        # 124 timed out, 128+N a signal (137 a hang killed by timeout).
        if [ "$rc" -ge 124 ]; then
            crashes=$((crashes + 1))
            echo "# seed $seed trial $t: '${cmds[$i]}' exited $rc"
        elif [ "$i" -lt "$ncompare" ] && [ -s "$work/got" ] &&
            ! cmp -s "$work/got" "$work/want.$i"; then
            wrong=$((wrong + 1))
            echo "# seed $seed trial $t: '${cmds[$i]}' answered wrongly"
        fi
    done
done
[ "$(stat -c %u:%a "$db")" = 0:644 ] ||
    fail_setup "the snapshot was not a trusted file: $(stat -c %u:%a "$db")"

check_eq "$trials corrupt snapshots, $ran calls: no signal, no hang" \
    0 "$crashes"
check_eq "$trials corrupt snapshots: every answer correct or none" \
    0 "$wrong"

tap_done
