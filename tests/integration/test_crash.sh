#!/usr/bin/env bash
# Crash safety of the snapshot: iam-sync killed with SIGKILL at random
# moments while readers look users up, and two iam-sync runs at once.
#
# Runs in a private mount namespace: /var/lib is a tmpfs holding the
# snapshot at its default path, /etc/nsswitch.conf a bind-mounted copy
# naming "files iam". moto (checks on) holds the "many:N" scenario.
#
# Each trial syncs towards a config whose SHELL differs from the one in the
# published snapshot, so every user record changes and the run must write
# a new file; it is killed either at a random moment within the measured
# length of a sync, or at a random moment after its temporary file
# appeared (while it writes). Meanwhile four readers run: getent passwd
# (a new process per lookup), a long-lived process calling getpwnam,
# getpwuid and getgrnam (the module keeps the snapshot open and must
# follow each new one), dumpsnapshot (every record of one snapshot, which
# must be complete: one SHELL, N users, every key) and getent enumeration.
# After each kill: the published file is the old one byte for byte or a
# complete new one; the next sync succeeds; the change is published
# exactly once; no temporary file remains.
#
# CRASH_USERS (default 100) sets the size of the account and CRASH_TRIALS
# (default 50) the number of kills. A sync costs about one API call per
# user and iam-sync makes at most MAX_CALLS_PER_SECOND (<= 100) calls a
# second, so 100 users keep a sync near one second and 50 trials (each a
# killed run and a complete one) within a few minutes.
#
# Prints TAP, then "# crash trials: N".
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
sync_bin=$build/iam-sync
dump_bin=$build/tests/dumpsnapshot

USERS=${CRASH_USERS:-100}
TRIALS=${CRASH_TRIALS:-50}
SHELL_A=/bin/bash
SHELL_B=/bin/sh
UID_MIN=2000000000

work=$(mktemp -d /tmp/nss-iam-crash.XXXXXX) || exit 1
stop=$work/stop-readers
reader_pids=()
bg_pids=()

cleanup() {
    local p
    touch "$stop"
    for p in "${reader_pids[@]}" "${bg_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${reader_pids[@]}" "${bg_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$sync_bin" "$dump_bin" "$build/libnss_iam.so.2"; do
    [ -e "$f" ] || fail_setup "$f is missing (make all test-helpers)"
done

# ---- the namespace: snapshot directory and NSS ----

mount -t tmpfs -o mode=0755 tmpfs /var/lib || fail_setup "cannot mount /var/lib"
mkdir -m 0755 /var/lib/nss-iam || fail_setup "mkdir /var/lib/nss-iam"
snapdir=/var/lib/nss-iam
db=$snapdir/passwd.mdb
temp_prefix=.passwd.mdb.
printf 'passwd: files iam\ngroup: files iam\nhosts: files dns\n' \
    >"$work/nsswitch.conf"
mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf ||
    fail_setup "cannot bind-mount nsswitch.conf"
export LD_LIBRARY_PATH=$build

# ---- IAM ----

moto_seeded "$work" "many:$USERS" 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
set -a
# shellcheck source=/dev/null
. "$work/seed/creds.env"
set +a

# write_config FILE SHELL LOCK_TIMEOUT: root-owned, 0644.
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users"'
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        echo "SHELL=\"$2\""
        echo "LOCK_TIMEOUT=\"$3\""
    } >"$1"
    chmod 0644 "$1"
}
write_config "$work/A.conf" "$SHELL_A" 30
write_config "$work/B.conf" "$SHELL_B" 30
write_config "$work/A0.conf" "$SHELL_A" 0
write_config "$work/B0.conf" "$SHELL_B" 0
write_config "$work/A2.conf" "$SHELL_A" 2
write_config "$work/B2.conf" "$SHELL_B" 2
conf_of() { # SHELL [LOCK_SUFFIX]
    if [ "$1" = "$SHELL_A" ]; then echo "$work/A${2:-}.conf"; else echo "$work/B${2:-}.conf"; fi
}
other_shell() {
    if [ "$1" = "$SHELL_A" ]; then echo "$SHELL_B"; else echo "$SHELL_A"; fi
}

# consistent DUMP_FILE [SHELL]: the dump is one whole snapshot: meta says
# $USERS users and that many user lines follow, all with the same shell
# (SHELL if given), and as many key lines as meta counts.
consistent() {
    awk -v n="$USERS" -v want="${2:-}" '
        $1 == "meta" {
            for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                meta[kv[1]] = kv[2]
            }
            metas++
        }
        $1 == "user" {
            users++
            if (!($8 in shells)) { shells[$8] = 1; nshells++; shell = $8 }
        }
        $1 == "key" { keys++ }
        END {
            ok = metas == 1 && meta["users"] == n && users == n &&
                 keys == meta["keys"] && nshells == 1 &&
                 (want == "" || shell == want)
            exit !ok
        }' "$1"
}
# snap_shell: the SHELL of the published snapshot ("" if not whole).
snap_shell() {
    "$dump_bin" "$db" >"$work/cur.dump" 2>&1 && consistent "$work/cur.dump" &&
        awk '$1 == "user" { print $8; exit }' "$work/cur.dump"
}
temp_files() {
    find "$snapdir" -maxdepth 1 -name "$temp_prefix*" | wc -l
}

# ---- the first sync ----

"$sync_bin" --config "$work/A.conf" --json >"$work/first.out" 2>"$work/first.err"
rc=$?
check_eq "the first sync publishes the snapshot at the default path" \
    "0 published" "$rc $(jq -r .result "$work/first.out" 2>/dev/null)"
getent passwd | awk -F: -v min="$UID_MIN" '$3 >= min' >"$work/expect"
check_eq "getent sees the $USERS users through the module" "$USERS" \
    "$(wc -l <"$work/expect")"
[ "$(snap_shell)" = "$SHELL_A" ] || fail_setup "the first snapshot is not whole"

# ---- readers ----

# A pause between two lookups of the shell readers, so that they share the
# CPUs with the writer and moto rather than starve them.
READER_PAUSE=0.02

# reader_getent OUT: getent passwd NAME, a new process each time.
reader_getent() {
    local out=$1 n=0 bad=0 want got lines
    mapfile -t lines <"$work/expect"
    while [ ! -e "$stop" ]; do
        want=${lines[RANDOM % ${#lines[@]}]}
        got=$(getent passwd "${want%%:*}")
        if [ "${got%:*}" != "${want%:*}" ] ||
            { [ "${got##*:}" != "$SHELL_A" ] && [ "${got##*:}" != "$SHELL_B" ]; }; then
            bad=$((bad + 1))
            [ "$bad" -le 10 ] && echo "getent passwd ${want%%:*}: '$got'" >>"$out.log"
        fi
        n=$((n + 1))
        sleep "$READER_PAUSE"
    done
    echo "$n $bad" >"$out"
}
# reader_dump OUT: dumpsnapshot; each dump must be one whole snapshot.
reader_dump() {
    local out=$1 n=0 bad=0
    while [ ! -e "$stop" ]; do
        if ! "$dump_bin" "$db" >"$out.dump" 2>&1 || ! consistent "$out.dump"; then
            bad=$((bad + 1))
            [ "$bad" -le 3 ] && head -n 3 "$out.dump" >>"$out.log"
        fi
        n=$((n + 1))
        sleep "$READER_PAUSE"
    done
    echo "$n $bad" >"$out"
}
# reader_enum OUT: getent passwd and getent group ssh-users enumerate all.
reader_enum() {
    local out=$1 n=0 bad=0 users members
    while [ ! -e "$stop" ]; do
        users=$(getent passwd | awk -F: -v min="$UID_MIN" '$3 >= min' | wc -l)
        members=$(getent group ssh-users | awk -F: '{ print split($4, m, ",") }')
        if [ "$users" != "$USERS" ] || [ "$members" != "$USERS" ]; then
            bad=$((bad + 1))
            [ "$bad" -le 10 ] && echo "users $users, members $members" >>"$out.log"
        fi
        n=$((n + 1))
        sleep "$READER_PAUSE"
    done
    echo "$n $bad" >"$out"
}

reader_getent "$work/r-getent" &
reader_pids+=($!)
python3 "$here/crash_reader.py" --expect "$work/expect" \
    --shells "$SHELL_A,$SHELL_B" --group ssh-users --stop "$stop" \
    --out "$work/r-pwd" 2>"$work/r-pwd.log" &
reader_pids+=($!)
reader_dump "$work/r-dump" &
reader_pids+=($!)
reader_enum "$work/r-enum" &
reader_pids+=($!)

# ---- how long a sync takes, and how long it writes ----

# killer ARGS... -- CMD: crash_kill.py on the snapshot directory.
killer() {
    python3 "$here/crash_kill.py" --dir "$snapdir" --prefix "$temp_prefix" "$@"
}
dur_ms=0
widths=()
for i in 1 2 3; do
    target=$(other_shell "$(snap_shell)")
    m=$(killer --measure --log "$work/measure.log" -- \
        "$sync_bin" --config "$(conf_of "$target")")
    if [ "$(jq -r .rc <<<"$m")" != 0 ] || [ "$(snap_shell)" != "$target" ]; then
        fail_setup "a measured sync failed: $m"
    fi
    d=$(jq -r '.ms | floor' <<<"$m")
    w=$(jq -r 'if .temp_first_ms and .temp_last_ms then
        (.temp_last_ms - .temp_first_ms) * 1000 | ceil else 0 end' <<<"$m")
    [ "$d" -gt "$dur_ms" ] && dur_ms=$d
    widths+=("$w")
done
# The median of the widths seen (0: creation and rename were read in one
# go), so that one slow write on a busy machine does not widen the aim;
# 1 ms if none was seen.
write_us=$(printf '%s\n' "${widths[@]}" | awk '$1 > 0' | sort -n |
    awk '{ w[NR] = $1 } END { print NR ? w[int((NR + 1) / 2)] : 1000 }')
echo "# a sync takes up to $dur_ms ms; its temporary file lives about $write_us us (${widths[*]})"

# ---- the trials ----

n_killed=0 n_midwrite=0 n_exited=0
ok_snap=0 ok_next=0 ok_once=0 ok_clean=0 ok_final=0
cur=$(snap_shell)
for ((t = 1; t <= TRIALS; t++)); do
    target=$(other_shell "$cur")
    cp "$db" "$work/before.mdb"
    if ((t % 2)); then
        mode="--at-ms $((RANDOM * dur_ms / 32767))"
    else
        mode="--after-temp-us $((RANDOM * write_us / 32767))"
    fi
    # shellcheck disable=SC2086 # mode is two words
    k=$(killer $mode --log "$work/trial.log" -- \
        "$sync_bin" --config "$(conf_of "$target")")
    killed=$(jq -r .killed <<<"$k")
    midwrite=$(jq -r .temp_left <<<"$k")
    if [ "$killed" = true ]; then
        n_killed=$((n_killed + 1))
        [ "$midwrite" = true ] && n_midwrite=$((n_midwrite + 1))
    else
        n_exited=$((n_exited + 1))
    fi
    # The published file: the old one, or a whole new one.
    after=bad
    if cmp -s "$work/before.mdb" "$db"; then
        after=old
    elif "$dump_bin" "$db" >"$work/after.dump" 2>&1 &&
        consistent "$work/after.dump" "$target"; then
        after=new
    fi
    [ "$after" != bad ] && ok_snap=$((ok_snap + 1))
    left_by_kill=$(temp_files)
    # The next sync.
    "$sync_bin" --config "$(conf_of "$target")" --json \
        >"$work/next.out" 2>"$work/next.err"
    rc=$?
    result=$(jq -r .result "$work/next.out" 2>/dev/null)
    [ "$rc" = 0 ] && ok_next=$((ok_next + 1))
    # Published exactly once: by the killed run or by the next one.
    if { [ "$after" = new ] && [ "$result" = unchanged ]; } ||
        { [ "$after" = old ] && [ "$result" = published ]; }; then
        ok_once=$((ok_once + 1))
    fi
    left=$(temp_files)
    [ "$left" = 0 ] && ok_clean=$((ok_clean + 1))
    cur=$(snap_shell)
    [ "$cur" = "$target" ] && ok_final=$((ok_final + 1))
    [ -n "$cur" ] || cur=$SHELL_A
    printf '# trial %d: %s ms, killed %s, while writing %s; snapshot %s; next sync %s %s; temp files %s after kill, %s after next sync\n' \
        "$t" "$(jq -r .ms <<<"$k")" "$killed" "$midwrite" "$after" "$rc" \
        "$result" "$left_by_kill" "$left"
    # Counted; removed so that each trial starts from a clean directory.
    find "$snapdir" -maxdepth 1 -name "$temp_prefix*" -delete
done

check_eq "after each kill the published snapshot is the old one or a whole new one" \
    "$TRIALS" "$ok_snap"
check_eq "the next sync after each kill succeeds" "$TRIALS" "$ok_next"
check_eq "each trial's change is published exactly once (by the killed run or the next)" \
    "$TRIALS" "$ok_once"
check_eq "each next sync leaves the snapshot whole and up to date" \
    "$TRIALS" "$ok_final"
check_eq "no temporary file ($temp_prefix*) remains after the next sync" \
    "$TRIALS" "$ok_clean"
if [ "$ok_clean" != "$TRIALS" ]; then
    echo "# a run killed while writing leaves its temporary file, and no later run removes it"
fi
if [ "$n_midwrite" -ge 5 ]; then
    tap_ok "kills while the temporary file existed: $n_midwrite (killed $n_killed, ended before the kill $n_exited)"
else
    tap_not_ok "kills while the temporary file existed: $n_midwrite, want at least 5 (killed $n_killed, ended before the kill $n_exited)"
fi

# ---- two runs at once ----

# wait_locked PID: 0 once the lock file is held (by PID, still running).
wait_locked() {
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$1" 2>/dev/null || return 1
        if [ -e "$snapdir/.iam-sync.lock" ] &&
            ! flock -n "$snapdir/.iam-sync.lock" true 2>/dev/null; then
            return 0
        fi
        sleep 0.02
    done
    return 1
}
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# LOCK_TIMEOUT=0: the second run exits at once, with a message, and
# writes nothing.
first=$(other_shell "$(snap_shell)")
"$sync_bin" --config "$(conf_of "$first")" --json \
    >"$work/a.out" 2>"$work/a.err" &
a_pid=$!
bg_pids+=("$a_pid")
if wait_locked "$a_pid"; then
    t0=$(now_ms)
    "$sync_bin" --config "$(conf_of "$(other_shell "$first")" 0)" --json \
        --verbose >"$work/b.out" 2>"$work/b.err"
    b_rc=$?
    b_ms=$(($(now_ms) - t0))
    kill -0 "$a_pid" 2>/dev/null && a_running=yes || a_running=no
    wait "$a_pid"
    a_rc=$?
    check_eq "LOCK_TIMEOUT=0: the second run exits 1 while the first still runs" \
        "1 yes" "$b_rc $a_running"
    if [ "$b_ms" -lt 1000 ] && grep -q 'another iam-sync is still running' "$work/b.err"; then
        tap_ok "LOCK_TIMEOUT=0: it does not wait (${b_ms} ms) and says why"
    else
        tap_not_ok "LOCK_TIMEOUT=0: it does not wait (${b_ms} ms) and says why"
        sed 's/^/# /' "$work/b.err" | tail -n 3
    fi
    check_eq "LOCK_TIMEOUT=0: the first run publishes, the second wrote nothing" \
        "0 published $first" "$a_rc $(jq -r .result "$work/a.out") $(snap_shell)"
else
    tap_not_ok "LOCK_TIMEOUT=0: the first run never held the lock"
fi

# LOCK_TIMEOUT=30: the second run waits for the first, then writes; never
# two temporary files at once (crash_kill.py watches the directory for
# the whole life of the second run, which spans the first one's write).
first=$(other_shell "$(snap_shell)")
second=$(other_shell "$first")
"$sync_bin" --config "$(conf_of "$first")" --json \
    >"$work/a.out" 2>"$work/a.err" &
a_pid=$!
bg_pids+=("$a_pid")
if wait_locked "$a_pid"; then
    killer --measure --log "$work/b.log" -- \
        "$sync_bin" --config "$(conf_of "$second")" --json >"$work/b.json" &
    b_pid=$!
    bg_pids+=("$b_pid")
    wait "$a_pid"
    a_rc=$?
    a_end=$(now_ms)
    wait "$b_pid"
    b_end=$(jq -r .end_epoch_ms "$work/b.json")
    b_rc=$(jq -r .rc "$work/b.json")
    check_eq "LOCK_TIMEOUT=30: both runs succeed and publish" \
        "0 published 0 published" \
        "$a_rc $(jq -r .result "$work/a.out") $b_rc $(grep '^{' "$work/b.log" | jq -r .result)"
    if [ "$b_end" -ge "$a_end" ]; then
        tap_ok "LOCK_TIMEOUT=30: the second run ends after the first ($((b_end - a_end)) ms later)"
    else
        tap_not_ok "LOCK_TIMEOUT=30: the second run ended $((a_end - b_end)) ms before the first"
    fi
    check_eq "LOCK_TIMEOUT=30: the second run wrote last" "$second" "$(snap_shell)"
    check_eq "LOCK_TIMEOUT=30: never two temporary files at once" 1 \
        "$(jq -r .temp_max "$work/b.json")"
else
    tap_not_ok "LOCK_TIMEOUT=30: the first run never held the lock"
fi

# LOCK_TIMEOUT=2 against a lock that someone else holds throughout: the
# run waits its whole 2 s (never less: a slow machine only makes it
# longer), then exits 1, says why, and writes nothing.
before=$(snap_shell)
flock "$snapdir/.iam-sync.lock" sleep 60 &
holder=$!
bg_pids+=("$holder")
for _ in $(seq 100); do
    flock -n "$snapdir/.iam-sync.lock" true || break
    sleep 0.05
done
t0=$(now_ms)
"$sync_bin" --config "$(conf_of "$(other_shell "$before")" 2)" --json \
    --verbose >"$work/c.out" 2>"$work/c.err"
c_rc=$?
c_ms=$(($(now_ms) - t0))
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check_eq "LOCK_TIMEOUT=2, lock held elsewhere: exit 1, snapshot unchanged" \
    "1 $before" "$c_rc $(snap_shell)"
check "LOCK_TIMEOUT=2: it waited at least 2 s (${c_ms} ms)" \
    test "$c_ms" -ge 2000
check "LOCK_TIMEOUT=2: it says another iam-sync is running" \
    grep -q 'another iam-sync is still running' "$work/c.err"

# ---- the readers' verdict ----

touch "$stop"
for p in "${reader_pids[@]}"; do
    wait "$p"
done
reader_pids=()
for r in getent dump enum; do
    read -r n bad <"$work/r-$r" 2>/dev/null || { n=0; bad=missing; }
    if [ "$n" -gt 0 ] && [ "$bad" = 0 ]; then
        tap_ok "reader $r: $n lookups, no error"
    else
        tap_not_ok "reader $r: $n lookups, $bad errors"
        sed 's/^/# /' "$work/r-$r.log" 2>/dev/null | head -n 10
    fi
done
n=$(jq -r .lookups "$work/r-pwd" 2>/dev/null)
bad=$(jq -r .errors "$work/r-pwd" 2>/dev/null)
if [ "${n:-0}" -gt 0 ] && [ "$bad" = 0 ]; then
    tap_ok "reader getpwnam/getpwuid/getgrnam (one process): $n lookups, no error"
else
    tap_not_ok "reader getpwnam/getpwuid/getgrnam (one process): ${n:-0} lookups, ${bad:-no result} errors"
    jq -r '.samples[]' "$work/r-pwd" 2>/dev/null | sed 's/^/# /'
    sed 's/^/# /' "$work/r-pwd.log" | head -n 5
fi

echo "# crash trials: $TRIALS ($n_killed killed, $n_midwrite of them while writing; $n_exited ended before the kill; many:$USERS)"

tap_done
