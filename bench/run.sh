#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016
# (SC2016: the backquotes in single quotes are markdown code spans.)
#
# Benchmarks of the three parts, each next to what it replaces, printed
# as markdown tables at the end and written to $BUILD_DIR/bench/results.md.
# Figures only: nothing here fails because something is slow; it fails
# only when a measured call did not give the right answer.
#
#   1. NSS: getpwnam/getpwuid/getgrgid/initgroups through glibc with 5000
#      users, "passwd: iam" versus "passwd: files" holding the same 5000
#      users; enumeration; resident memory the module adds to a process.
#   2. Keys command: wall time of iam-authorized-keys USER UID KEY (as
#      sshd runs it) on a 5000-user snapshot with valid RSA keys, versus
#      `cat` of an authorized_keys file and one `aws iam
#      list-ssh-public-keys` call against the emulator.
#   3. iam-sync against moto_server: API calls, wall time and peak RSS of
#      a first sync and of a no-change sync at 100, 1000 and 5000 users,
#      and the same two with TAG_KEYS=yes (every tenth user holds a key
#      in a tag) next to them, with the tags read by ListUserTags (one a
#      user) and by GetAccountAuthorizationDetails (pages of 1000 users).
#   4. Fleet publishing through moto's S3 on the 5000-user account: the
#      publisher's calls, an instance's no-change cycle (one conditional
#      GET) next to a direct sync's, and what 10,000 instances cost IAM
#      per interval in each mode, computed from those measured figures.
#   5. Event-driven publishing on the same account: the follower
#      (EVENT_QUEUE_URL, moto's SQS and EventBridge) publishes at start,
#      then one key deleted in IAM and announced reaches the object in
#      seconds with a handful of IAM calls, and a quiet period costs no
#      IAM call; next to section 4's full publisher run.
#
# Usage: bench/run.sh [--quick]   (as root; make bench / make bench-quick)
# --quick is a smoke run: fewer calls, one sync size (100 users).
#
# Everything runs in a private mount namespace: /var/lib is a tmpfs there,
# /etc/nsswitch.conf, /etc/passwd and /etc/group are bind-mounted copies,
# and /dev gets an overlay whose /dev/log is a sink that drops the
# programs' syslog lines. The host is not modified.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (a private mount namespace)" >&2
    exit 1
fi
# shellcheck source=../tests/integration/lib/tap.sh
. "$root/tests/integration/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=../tests/integration/lib/moto.sh
. "$root/tests/integration/lib/moto.sh"

build=${BUILD_DIR:-$root/build}
bin=$build/bench
quick=0
if [ "${1:-}" = --quick ]; then
    quick=1
fi
if [ $quick = 1 ]; then
    nss_calls=20000 nss_runs=3 nss_secs=0.3 enum_runs=3 getent_runs=5
    keys_calls=200 aws_calls=2 sizes="100"
else
    nss_calls=200000 nss_runs=5 nss_secs=1 enum_runs=20 getent_runs=20
    keys_calls=2000 aws_calls=5 sizes="100 1000 5000"
fi
# BENCH_SIZES="1000 5000": other account sizes for area 3.
sizes=${BENCH_SIZES:-$sizes}
nss_users=5000
# The most iam-sync accepts; every figure of area 3 is at this rate.
rate=100

work=$(mktemp -d /tmp/nss-iam-bench.XXXXXX) || exit 1
sink_pid=
follow_pid=

cleanup() {
    if [ -n "$follow_pid" ]; then
        kill -TERM "$follow_pid" 2>/dev/null
        wait "$follow_pid" 2>/dev/null
    fi
    if [ -n "$sink_pid" ]; then
        kill -TERM "$sink_pid" 2>/dev/null
        wait "$sink_pid" 2>/dev/null
    fi
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() {
    echo "bench: $*" >&2
}

die() {
    echo "bench: error: $*" >&2
    exit 1
}

for f in "$bin/nss_bench" "$bin/exectime" "$bin/mkkeysnap" \
    "$build/tests/mksnapshot" "$build/iam-authorized-keys" \
    "$build/iam-sync" "$build/libnss_iam.so.2"; do
    [ -x "$f" ] || [ -f "$f" ] || die "$f is missing (make all test-helpers bench-bins)"
done

# kv FILE KEY [MATCH]: the value of KEY=... on the first line of FILE
# that contains MATCH (every line when MATCH is empty).
kv() {
    awk -v key="$2" -v match_="${3:-}" '
        index($0, match_) {
            for (i = 1; i <= NF; i++)
                if (index($i, key "=") == 1) {
                    print substr($i, length(key) + 2)
                    exit
                }
        }' "$1"
}

# calc EXPR: awk arithmetic, printed as awk prints it (or with a format
# given as "%.2f|EXPR").
calc() {
    local fmt=%s expr=$1
    if [[ $1 == *'|'* ]]; then
        fmt=${1%%|*}
        expr=${1#*|}
    fi
    awk "BEGIN { printf \"$fmt\", $expr }"
}

# yesno EXPR: "yes" when the awk condition holds, else "no".
yesno() {
    awk "BEGIN { print (($1) ? \"yes\" : \"no\") }"
}

# ---- the namespace: tmpfs /var/lib, syslog sink on /dev/log ----

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
mount -t tmpfs -o mode=0755 tmpfs /var/lib || die "cannot mount /var/lib"
mkdir -p /var/lib/nss-iam
# A running nscd would answer instead of the module; none in here.
if [ -d /run/nscd ]; then
    mount -t tmpfs tmpfs /run/nscd
fi

# The overlay's layers live in this namespace's /var/lib tmpfs.
nsdir=/var/lib/bench-ns
mkdir -m 0700 "$nsdir"
mkdir "$nsdir/upper" "$nsdir/workdir" "$nsdir/pts" "$nsdir/shm"
mount --bind /dev/pts "$nsdir/pts"
mount --bind /dev/shm "$nsdir/shm"
mount -t overlay overlay \
    -o "lowerdir=/dev,upperdir=$nsdir/upper,workdir=$nsdir/workdir" /dev ||
    die "cannot put an overlay on /dev"
mount --move "$nsdir/pts" /dev/pts
mount --move "$nsdir/shm" /dev/shm
# The sink reads and drops every message, as a syslog daemon would read it.
python3 -c '
import os, socket, sys
try:
    os.unlink("/dev/log")
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[1], "w").write("%d\n" % os.getpid())
while True:
    s.recv(65536)
' "$work/sink.ready" 2>"$work/sink.err" &
sink_pid=$!
for _ in $(seq 50); do
    [ -s "$work/sink.ready" ] && break
    sleep 0.1
done
[ -s "$work/sink.ready" ] || die "the syslog sink did not start"

# ---- 1. NSS ----

t_area=$SECONDS
say "1/5 NSS: $nss_users users, iam versus files"
db=/var/lib/nss-iam/passwd.mdb
"$build/tests/mksnapshot" "$db" "$nss_users" 1 || die "mksnapshot failed"
snap_kib=$(($(stat -c %s "$db") / 1024))
nssconf=$work/nsswitch.conf
printf 'passwd: iam\ngroup: iam\n' >"$nssconf"
mount --bind "$nssconf" /etc/nsswitch.conf
export LD_LIBRARY_PATH=$build

# The users and groups as the module serves them; the files baseline
# gets exactly these entries appended to copies of /etc/passwd and
# /etc/group.
getent passwd >"$work/users.passwd"
getent group >"$work/users.group"
[ "$(wc -l <"$work/users.passwd")" = "$nss_users" ] ||
    die "getent passwd gave $(wc -l <"$work/users.passwd") users, want $nss_users"
cat /etc/passwd "$work/users.passwd" >"$work/passwd"
cat /etc/group "$work/users.group" >"$work/group"
local_users=$(wc -l </etc/passwd)

# nss_area NAME: timing, memory and getent runs for the current nsswitch.
nss_area() {
    local name=$1 want
    "$bin/nss_bench" -n "$nss_calls" -r "$nss_runs" -t "$nss_secs" \
        -e "$enum_runs" "$work/users.passwd" >"$work/nss-$name.txt" ||
        die "nss_bench ($name) failed"
    "$bin/nss_bench" -m -t 2 "$work/users.passwd" \
        >"$work/nss-$name-mem.txt" || die "nss_bench -m ($name) failed"
    "$bin/exectime" -n "$getent_runs" -- getent passwd \
        >"$work/getent-$name.txt" || die "getent timing ($name) failed"
    # One lookup per process: what a login pays, the module's one open
    # (and its check of the snapshot's seal) included.
    "$bin/exectime" -n "$getent_runs" -- getent passwd user00042 \
        >"$work/getent1-$name.txt" || die "getent NAME timing ($name) failed"
    [ "$(kv "$work/getent1-$name.txt" failed)" = 0 ] ||
        die "getent passwd user00042 ($name) failed: $(cat "$work/getent1-$name.txt")"
    want=$nss_users
    if [ "$name" = files ]; then
        want=$((nss_users + local_users))
    fi
    if [ "$(kv "$work/getent-$name.txt" lines_min)" != "$want" ] ||
        [ "$(kv "$work/getent-$name.txt" failed)" != 0 ]; then
        die "getent passwd ($name) did not list $want entries: $(cat "$work/getent-$name.txt")"
    fi
}

nss_area iam
mount --bind "$work/passwd" /etc/passwd
mount --bind "$work/group" /etc/group
printf 'passwd: files\ngroup: files\n' >"$nssconf"
nss_area files
printf 'passwd: iam\ngroup: iam\n' >"$nssconf"
# iam-sync reads /etc/passwd to refuse local names: the real ones again.
umount /etc/passwd /etc/group
unset LD_LIBRARY_PATH
t_nss=$((SECONDS - t_area))
say "  NSS done in $t_nss s"

# ---- 2. Keys command ----

t_area=$SECONDS
say "2/5 keys command: $keys_calls calls, $nss_users users"
"$bin/mkkeysnap" "$db" "$nss_users" "$work/keys.args" \
    "$work/authorized_keys" "$work/shared.args" || die "mkkeysnap failed"
kcfg=$work/nss-iam.conf
printf 'IAM_AUTHORIZED_GROUPS="ssh-users"\nSUDOERS_GROUPS="admins"\nSHARED_ACCOUNTS="shared:ops"\n' >"$kcfg"
chmod 0644 "$kcfg"
# As sshd calls it (AuthorizedKeysCommand ... %u %U %k), on the default
# snapshot path; each call offers one key of another user.
"$bin/exectime" -n "$keys_calls" -w 5 -a "$work/keys.args" \
    -o "$work/keys.out" -- "$build/iam-authorized-keys" --config "$kcfg" \
    >"$work/keys.txt" || die "keys command timing failed"
if [ "$(kv "$work/keys.txt" failed)" != 0 ] ||
    [ "$(kv "$work/keys.txt" lines_min)" != 1 ] ||
    [ "$(kv "$work/keys.txt" lines_max)" != 1 ]; then
    die "the keys command did not print one key per call: $(cat "$work/keys.txt")"
fi
first_blob=$(awk 'NR == 6 { print $3 }' "$work/keys.args")
[ "$(cut -d' ' -f2 "$work/keys.out")" = "$first_blob" ] ||
    die "the keys command printed another key than the offered one"
# The same offers to the shared account: one index lookup by fingerprint
# among the 10,000 keys of the 5000 users, not a scan.
"$bin/exectime" -n "$keys_calls" -w 5 -a "$work/shared.args" \
    -o "$work/shared.out" -- "$build/iam-authorized-keys" --config "$kcfg" \
    >"$work/shared.txt" || die "shared keys command timing failed"
if [ "$(kv "$work/shared.txt" failed)" != 0 ] ||
    [ "$(kv "$work/shared.txt" lines_min)" != 1 ] ||
    [ "$(kv "$work/shared.txt" lines_max)" != 1 ]; then
    die "the keys command did not print one key per shared call: $(cat "$work/shared.txt")"
fi
[ "$(cut -d' ' -f2 "$work/shared.out")" = "$first_blob" ] ||
    die "the keys command printed another key than the offered one (shared)"
"$bin/exectime" -n "$keys_calls" -w 5 -- cat "$work/authorized_keys" \
    >"$work/cat.txt" || die "cat timing failed"
t_keys=$((SECONDS - t_area))
say "  keys command done in $t_keys s"

# ---- 3. iam-sync against moto ----

t_area=$SECONDS
say "3/5 iam-sync: $sizes users, MAX_CALLS_PER_SECOND=$rate"
moto_start "$work/moto" >"$work/moto-start.log" 2>&1 ||
    die "moto does not start: $(tail -n 3 "$work/moto-start.log")"
url=$(moto_url "$work/moto")
scfg=$work/sync.conf
{
    echo 'IAM_AUTHORIZED_GROUPS="ssh-users"'
    echo "IAM_ENDPOINT=\"$url\""
    echo "STS_ENDPOINT=\"$url\""
    echo "IMDS_ENDPOINT=\"$url\""
    echo "MAX_CALLS_PER_SECOND=\"$rate\""
    echo 'SYNC_TIMEOUT="3600"'
} >"$scfg"
chmod 0644 "$scfg"
{
    cat "$scfg"
    echo 'TAG_KEYS="yes"'
} >"$work/sync-tags.conf"
chmod 0644 "$work/sync-tags.conf"
{
    cat "$work/sync-tags.conf"
    echo 'TAG_KEYS_SOURCE="GetAccountAuthorizationDetails"'
} >"$work/sync-gaad.conf"
chmod 0644 "$work/sync-gaad.conf"

# gaad_policy: the sync user also gets policy/iam-ssh-policy-gaad.json
# (once), and $work/all-users holds how many users the account has: the
# pages GetAccountAuthorizationDetails takes at AWS, 1000 users a page.
gaad_policy() {
    moto_auth_off "$work/moto" || die "cannot turn moto's checks off"
    python3 - "$url" "$root/policy/iam-ssh-policy-gaad.json" \
        >"$work/all-users" <<'PY' || die "attaching iam-ssh-policy-gaad.json"
import sys
import boto3
url, doc = sys.argv[1:3]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
arn = "arn:aws:iam::123456789012:policy/nss-iam-ssh-gaad"
names = [p["PolicyName"] for p in iam.list_attached_user_policies(
    UserName="nss-iam-sync")["AttachedPolicies"]]
if "nss-iam-ssh-gaad" not in names:
    arn = iam.create_policy(PolicyName="nss-iam-ssh-gaad",
                            PolicyDocument=open(doc).read())["Policy"]["Arn"]
    iam.attach_user_policy(UserName="nss-iam-sync", PolicyArn=arn)
n = sum(len(p["Users"]) for p in
        iam.get_paginator("list_users").paginate())
print(n)
PY
    moto_enforce "$work/moto" || die "cannot turn moto's checks on"
}

# json_kv FILE: iam-sync's --json line as key=value words.
json_kv() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % kvp for kvp in d.items()))' "$1"
}

# sync_once N WHAT [DIR [CONFIG]]: one timed iam-sync run into DIR
# (default $work/sync-N) with CONFIG (default $scfg); its figures land in
# $work/sync-N-WHAT.txt (json fields + exectime fields).
sync_once() {
    local n=$1 what=$2 out=$work/sync-$1-$2 dir=${3:-$work/sync-$1}
    local conf=${4:-$scfg}
    mkdir -p "$dir"
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$bin/exectime" -n 1 -w 0 -o "$out.json" -- "$build/iam-sync" \
            --config "$conf" --db "$dir/passwd.mdb" --json
    ) >"$out.time" 2>>"$work/sync.log" || die "iam-sync timing failed"
    [ "$(kv "$out.time" failed)" = 0 ] ||
        die "iam-sync ($n users, $what) failed: $(tail -n 3 "$work/sync.log")"
    {
        json_kv "$out.json"
        cat "$out.time"
        echo "db_bytes=$(stat -c %s "$dir/passwd.mdb")"
    } | tr '\n' ' ' >"$out.txt"
    say "    $what: $(cat "$out.txt")"
}

have=0
for n in $sizes; do
    if [ "$have" = 0 ]; then
        python3 "$root/tests/integration/seed_iam.py" --endpoint "$url" \
            --dir "$work/seed" --scenario "many:$n" >>"$work/seed.log" 2>&1 ||
            die "seed_iam.py failed: $(tail -n 3 "$work/seed.log")"
    else
        moto_auth_off "$work/moto" || die "cannot turn moto's checks off"
        python3 "$here/grow_iam.py" --endpoint "$url" --from $((have + 1)) \
            --to "$n" >>"$work/seed.log" 2>&1 ||
            die "grow_iam.py failed: $(tail -n 3 "$work/seed.log")"
        moto_enforce "$work/moto" || die "cannot turn moto's checks on"
    fi
    moto_auth_off "$work/moto" || die "cannot turn moto's checks off"
    python3 "$here/tag_iam.py" --endpoint "$url" --from $((have + 1)) \
        --to "$n" >>"$work/seed.log" 2>&1 ||
        die "tag_iam.py failed: $(tail -n 3 "$work/seed.log")"
    moto_enforce "$work/moto" || die "cannot turn moto's checks on"
    have=$n
    say "  $n users seeded; first sync"
    sync_once "$n" first
    say "  no-change sync"
    sync_once "$n" again
    # TAG_KEYS=yes, its own snapshot: one ListUserTags more per user.
    say "  TAG_KEYS=yes: first and no-change sync"
    sync_once "$n" tags-first "$work/sync-$n-tags" "$work/sync-tags.conf"
    sync_once "$n" tags-again "$work/sync-$n-tags" "$work/sync-tags.conf"
    [ "$(kv "$work/sync-$n-tags-first.txt" keys)" = $((2 * n + (n + 9) / 10)) ] ||
        die "TAG_KEYS sync of $n users saw $(kv "$work/sync-$n-tags-first.txt" keys) keys"
    [ "$(kv "$work/sync-$n-tags-again.txt" result)" = unchanged ] ||
        die "no-change TAG_KEYS sync of $n users: result $(kv "$work/sync-$n-tags-again.txt" result)"
    # The same tags from GetAccountAuthorizationDetails, its own snapshot.
    gaad_policy
    cp "$work/all-users" "$work/sync-$n-all-users"
    say "  TAG_KEYS_SOURCE=GetAccountAuthorizationDetails: first and no-change sync"
    sync_once "$n" gaad-first "$work/sync-$n-gaad" "$work/sync-gaad.conf"
    sync_once "$n" gaad-again "$work/sync-$n-gaad" "$work/sync-gaad.conf"
    [ "$(kv "$work/sync-$n-gaad-first.txt" keys)" = $((2 * n + (n + 9) / 10)) ] ||
        die "GAAD sync of $n users saw $(kv "$work/sync-$n-gaad-first.txt" keys) keys"
    [ "$(kv "$work/sync-$n-gaad-again.txt" result)" = unchanged ] ||
        die "no-change GAAD sync of $n users: result $(kv "$work/sync-$n-gaad-again.txt" result)"
    for what in first again; do
        f=$work/sync-$n-$what.txt
        if [ "$(kv "$f" users)" != "$n" ] ||
            [ "$(kv "$f" keys)" != $((2 * n)) ]; then
            die "sync of $n users ($what) saw $(kv "$f" users) users, $(kv "$f" keys) keys"
        fi
    done
    [ "$(kv "$work/sync-$n-first.txt" result)" = published ] ||
        die "first sync of $n users: result $(kv "$work/sync-$n-first.txt" result)"
done

# What a script-based tool pays per login: one AWS CLI call (skipped
# when the AWS CLI is not installed).
if command -v aws >/dev/null; then
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        export AWS_CONFIG_FILE=$work/none AWS_SHARED_CREDENTIALS_FILE=$work/none
        export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
        "$bin/exectime" -n "$aws_calls" -w 1 -- aws --endpoint-url "$url" \
            --output json iam list-ssh-public-keys --user-name user00001
    ) >"$work/aws.txt" 2>>"$work/aws.log" || die "aws CLI timing failed"
    [ "$(kv "$work/aws.txt" failed)" = 0 ] ||
        die "aws iam list-ssh-public-keys failed: $(tail -n 3 "$work/aws.log")"
else
    echo "runs=0 failed=0 median_us=n/a" >"$work/aws.txt"
fi
t_sync=$((SECONDS - t_area))

# ---- 4. fleet publishing through S3, on the largest account ----

t_area=$SECONDS
fleet_n=$have
say "4/5 fleet publishing: $fleet_n users through moto's S3"
bucket="fleet-bench"
src=s3://$bucket/nss-iam/fleet.obj
moto_auth_off "$work/moto" || die "cannot turn moto's checks off"
python3 "$root/tests/integration/fleet_setup.py" "$url" "$root/policy" \
    "$bucket/nss-iam/fleet.obj" "$work/instance.env" >>"$work/seed.log" 2>&1 ||
    die "cannot set up the bucket and policies: $(tail -n 3 "$work/seed.log")"
moto_enforce "$work/moto" || die "cannot turn moto's checks on"
openssl genpkey -algorithm ed25519 -out "$work/fleet.pem" 2>/dev/null ||
    die "openssl genpkey failed"
chmod 0600 "$work/fleet.pem"
pcfg=$work/publisher.conf
{
    cat "$scfg"
    echo "S3_ENDPOINT=\"$url\""
    echo "SIGNING_KEY=\"$work/fleet.pem\""
} >"$pcfg"
chmod 0600 "$pcfg"
icfg=$work/instance.conf
{
    echo 'IAM_AUTHORIZED_GROUPS="ssh-users"'
    echo "IMDS_ENDPOINT=\"$url\""
    echo "S3_ENDPOINT=\"$url\""
    echo "SOURCE=\"$src\""
    "$build/iam-sync" --config "$pcfg" --print-public-key
} >"$icfg"
chmod 0600 "$icfg"
mkdir -p "$work/fleet-db"

# fleet_once NAME CREDS CONF RUNS [ARGS...]: timed iam-sync runs; the
# json of the first and the timing land in $work/fleet-NAME.txt.
fleet_once() {
    local name=$1 creds=$2 conf=$3 runs=$4 out=$work/fleet-$1
    shift 4
    (
        set -a
        # shellcheck disable=SC1090
        . "$creds"
        set +a
        "$bin/exectime" -n "$runs" -w 0 -o "$out.json" -- "$build/iam-sync" \
            --config "$conf" --json "$@"
    ) >"$out.time" 2>>"$work/fleet.log" || die "iam-sync timing failed"
    [ "$(kv "$out.time" failed)" = 0 ] ||
        die "iam-sync ($name) failed: $(tail -n 3 "$work/fleet.log")"
    { json_kv "$out.json"; cat "$out.time"; } | tr '\n' ' ' >"$out.txt"
}
say "  publisher: first publish, then one with nothing changed"
fleet_once pub-first "$work/seed/creds.env" "$pcfg" 1 --publish "$src"
fleet_once pub-again "$work/seed/creds.env" "$pcfg" 1 --publish "$src"
say "  instance: first fetch, then no-change cycles (304)"
fleet_once inst-first "$work/instance.env" "$icfg" 1 \
    --db "$work/fleet-db/passwd.mdb"
fleet_once inst-again "$work/instance.env" "$icfg" 20 \
    --db "$work/fleet-db/passwd.mdb"
if [ "$(kv "$work/fleet-pub-first.txt" result)" != published ] ||
    [ "$(kv "$work/fleet-pub-again.txt" result)" != unchanged ] ||
    [ "$(kv "$work/fleet-inst-first.txt" result)" != published ] ||
    [ "$(kv "$work/fleet-inst-first.txt" users)" != "$fleet_n" ] ||
    [ "$(kv "$work/fleet-inst-again.txt" result)" != unchanged ]; then
    die "fleet runs did not end as expected: $(cat "$work"/fleet-*.txt)"
fi
t_fleet=$((SECONDS - t_area))

# ---- 5. event-driven publishing, on the same account ----

t_area=$SECONDS
# BENCH_EVENTS_QUIET: seconds of the quiet period (no change, no event).
quiet=${BENCH_EVENTS_QUIET:-$([ $quick = 1 ] && echo 20 || echo 60)}
say "5/5 event-driven publishing: $fleet_n users, moto's SQS and EventBridge"
eobj=$bucket/nss-iam/events.obj
moto_auth_off "$work/moto" || die "cannot turn moto's checks off"
python3 "$root/tests/integration/events_setup.py" setup --endpoint "$url" \
    --policy-dir "$root/policy" --object "$eobj" --dir "$work/ev" \
    >>"$work/seed.log" 2>&1 ||
    die "cannot set up the queue and its rule: $(tail -n 3 "$work/seed.log")"
moto_enforce "$work/moto" || die "cannot turn moto's checks on"
qurl=$(jq -r .queue_url "$work/ev/events.json")
mkdir -p "$work/ev-metrics"
fcfg=$work/follower.conf
{
    cat "$pcfg"
    echo "EVENT_QUEUE_URL=\"$qurl\""
    # No periodic reconcile within the run: what the events cost alone.
    echo 'FULL_SYNC_INTERVAL="1h"'
    echo "TEXTFILE_DIR=\"$work/ev-metrics\""
} >"$fcfg"
chmod 0600 "$fcfg"
flog=$work/follower.log
: >"$flog"
# ev ARGS...: events_setup.py as events-admin, on the follower's object.
ev() {
    local cmd=$1
    shift
    python3 "$root/tests/integration/events_setup.py" "$cmd" \
        --endpoint "$url" --admin "$work/ev/admin.env" --queue-url "$qurl" \
        --object "$eobj" "$@"
}
# flog_lines: the follower's log (--verbose: stderr) as syslog has it,
# without the priority word ("iam-sync: info: TEXT" -> "iam-sync: TEXT").
flog_lines() {
    sed -E 's/^iam-sync: (debug|info|notice|warning|error|critical|alert|emergency|err|crit|emerg): /iam-sync: /' "$flog"
}
# wait_line ERE SECONDS: a line of the follower's log matches (polled).
wait_line() {
    local end=$((SECONDS + $2))
    until flog_lines | grep -qE -- "$1"; do
        [ $SECONDS -lt "$end" ] || return 1
        kill -0 "$follow_pid" 2>/dev/null || return 1
        sleep 0.1
    done
}
prom() { # prom NAME: a value of the follower's metrics
    awk -v n="nss_iam_publisher_$1" '$1 == n { print $2 }' \
        "$work/ev-metrics/nss_iam_publisher.prom"
}
say "  follower: start (a full publish)"
start_ns=$(date +%s%N)
(
    set -a
    # shellcheck disable=SC1091
    . "$work/ev/publisher.env"
    set +a
    exec "$build/iam-sync" --config "$fcfg" --verbose --publish "s3://$eobj"
) </dev/null >/dev/null 2>"$flog" &
follow_pid=$!
wait_line '^iam-sync: reconcile \(start\): ' 3600 ||
    die "the follower did not publish: $(tail -n 3 "$flog")"
start_s=$(calc "%.2f|($(date +%s%N) - $start_ns) / 1e9")
start_line=$(flog_lines | grep -E '^iam-sync: reconcile \(start\): ' | head -n 1)
[[ $start_line == *' published;'* ]] ||
    die "the follower's first reconcile did not publish: $start_line"
say "    $start_line ($start_s s from the start)"
say "  one key deleted in IAM and announced"
ev iam --announce --wait-change 600 delete-key:user00042 \
    >"$work/ev-change.txt" 2>>"$work/seed.log" ||
    die "the object did not change after the event: $(tail -n 3 "$flog")"
wait_line '^iam-sync: event batch: 1 messages' 60 ||
    die "no event batch line: $(tail -n 3 "$flog")"
batch_line=$(flog_lines | grep -E '^iam-sync: event batch: 1 messages' | head -n 1)
[[ $batch_line == *' published, '* ]] ||
    die "the event batch did not publish: $batch_line"
say "    $batch_line ($(kv "$work/ev-change.txt" announce_to_object_s) s from the announce)"
# The batch is read again once, 30 s later (IAM is eventually
# consistent); the quiet period starts after that.
sleep 35
calls0=$(prom iam_calls_total)
say "  quiet period: $quiet s, nothing changes"
sleep "$quiet"
calls1=$(prom iam_calls_total)
if [ -z "$calls0" ] || [ -z "$calls1" ]; then
    die "no nss_iam_publisher_iam_calls_total in $work/ev-metrics"
fi
kill -TERM "$follow_pid"
wait "$follow_pid"
frc=$?
follow_pid=
# A figure, not a failure: the status is tests/integration/test_events.sh's.
[ "$frc" = 0 ] || say "    the follower exited with status $frc on SIGTERM"
{
    echo "start_s=$start_s"
    echo "start_calls=$(sed -nE 's/.*: ([0-9]+) IAM calls, .*/\1/p' <<<"$start_line")"
    echo "latency_s=$(kv "$work/ev-change.txt" announce_to_object_s)"
    echo "batch_calls=$(sed -nE 's/.*: ([0-9]+) IAM calls, .*/\1/p' <<<"$batch_line")"
    echo "batch_s=$(sed -nE 's/.*, ([0-9.]+) s$/\1/p' <<<"$batch_line")"
    echo "quiet_s=$quiet"
    echo "quiet_calls=$((calls1 - calls0))"
} | tr '\n' ' ' >"$work/events.txt"
say "    $(cat "$work/events.txt")"
t_events=$((SECONDS - t_area))

# ---- tables ----

us() { calc "%.2f|$1 / 1000"; }
ms_of_us() { calc "%.2f|$1 / 1000"; }
ms_of_ns() { calc "%.2f|$1 / 1000000"; }

# nss_row LABEL OP: a lookup row, "≥ 20× faster than files" as the goal.
nss_row() {
    local i f
    i=$(kv "$work/nss-iam.txt" median_ns "op=$2 ")
    f=$(kv "$work/nss-files.txt" median_ns "op=$2 ")
    printf '| %s | %s µs (%s× faster) | %s µs | ≥ 20× faster than files | %s |\n' \
        "$1" "$(us "$i")" "$(calc "%.0f|$f / $i")" "$(us "$f")" \
        "$(yesno "$f / $i >= 20")"
}

nss_table() {
    local i f gi gf mi1 mf1 mia mfa ai af snap
    echo "### NSS: $nss_users users, glibc, \`passwd: iam\` vs \`passwd: files\`"
    echo
    echo "Median of $nss_runs runs of up to $nss_calls random lookups (or ${nss_secs} s) each; lookups per call."
    echo
    echo '| measure | nss-iam | baseline (files) | goal | met? |'
    echo '|---|---|---|---|---|'
    i=$(kv "$work/nss-iam.txt" median_ns "op=getpwnam ")
    f=$(kv "$work/nss-files.txt" median_ns "op=getpwnam ")
    printf '| getpwnam, per call | %s µs | %s µs | ≤ 5 µs | %s |\n' \
        "$(us "$i")" "$(us "$f")" "$(yesno "$i <= 5000")"
    printf '| getpwnam, speed-up over files | %s× | 1× | ≥ 20× | %s |\n' \
        "$(calc "%.0f|$f / $i")" "$(yesno "$f / $i >= 20")"
    nss_row "getpwuid, per call" getpwuid
    nss_row "getgrgid (private group), per call" getgrgid
    nss_row "initgroups (getgrouplist), per call" initgroups
    i=$(kv "$work/nss-iam.txt" median_ns "op=getpwnam_miss ")
    f=$(kv "$work/nss-files.txt" median_ns "op=getpwnam_miss ")
    printf '| getpwnam of an unknown name, per call | %s µs | %s µs | — | — |\n' \
        "$(us "$i")" "$(us "$f")"
    i=$(kv "$work/nss-iam.txt" median_ns "op=enum ")
    f=$(kv "$work/nss-files.txt" median_ns "op=enum ")
    printf '| enumeration in-process (setpwent…endpwent), median of %s | %s ms | %s ms | ≤ 20 ms | %s |\n' \
        "$enum_runs" "$(ms_of_ns "$i")" "$(ms_of_ns "$f")" \
        "$(yesno "$i <= 20000000")"
    gi=$(kv "$work/getent-iam.txt" median_us)
    gf=$(kv "$work/getent-files.txt" median_us)
    printf '| `getent passwd` (whole process), median of %s | %s ms | %s ms | ≤ 20 ms | %s |\n' \
        "$getent_runs" "$(ms_of_us "$gi")" "$(ms_of_us "$gf")" \
        "$(yesno "$gi <= 20000")"
    gi=$(kv "$work/getent1-iam.txt" median_us)
    gf=$(kv "$work/getent1-files.txt" median_us)
    printf '| `getent passwd NAME` (whole process, %s KiB snapshot sealed and checked), median of %s | %s ms | %s ms | — | — |\n' \
        "$snap_kib" "$getent_runs" \
        "$(ms_of_us "$gi")" "$(ms_of_us "$gf")"
    mi1=$(calc "$(kv "$work/nss-iam-mem.txt" after_one_kib) - $(kv "$work/nss-iam-mem.txt" before_kib)")
    mf1=$(calc "$(kv "$work/nss-files-mem.txt" after_one_kib) - $(kv "$work/nss-files-mem.txt" before_kib)")
    mia=$(calc "$(kv "$work/nss-iam-mem.txt" after_all_kib) - $(kv "$work/nss-iam-mem.txt" before_kib)")
    mfa=$(calc "$(kv "$work/nss-files-mem.txt" after_all_kib) - $(kv "$work/nss-files-mem.txt" before_kib)")
    snap=$(kv "$work/nss-iam-mem.txt" map_snapshot_kib)
    ai=$(calc "$(kv "$work/nss-iam-mem.txt" anon_after_one_kib) - $(kv "$work/nss-iam-mem.txt" anon_before_kib)")
    af=$(calc "$(kv "$work/nss-files-mem.txt" anon_after_one_kib) - $(kv "$work/nss-files-mem.txt" anon_before_kib)")
    printf '| RSS added: first getpwnam (module loaded) | %s KiB (private %s) | %s KiB (private %s) | ≤ 200 KiB | %s |\n' \
        "$mi1" "$ai" "$mf1" "$af" "$(yesno "$mi1 <= 200")"
    printf '| RSS added: after looking up every user (each kind) + enumeration | %s KiB (module %s, liblmdb %s, snapshot pages %s) | %s KiB | ≤ 200 KiB | %s |\n' \
        "$mia" "$(kv "$work/nss-iam-mem.txt" map_module_kib)" \
        "$(kv "$work/nss-iam-mem.txt" map_lmdb_kib)" "$snap" "$mfa" \
        "$(yesno "$mia <= 200")"
    ai=$(calc "$(kv "$work/nss-iam-mem.txt" anon_after_all_kib) - $(kv "$work/nss-iam-mem.txt" anon_before_kib)")
    af=$(calc "$(kv "$work/nss-files-mem.txt" anon_after_all_kib) - $(kv "$work/nss-files-mem.txt" anon_before_kib)")
    printf '| of which private (RssAnon) | %s KiB | %s KiB | — | — |\n' \
        "$ai" "$af"
}

keys_table() {
    local km kp cm cp am
    km=$(kv "$work/keys.txt" median_us)
    kp=$(kv "$work/keys.txt" p99_us)
    cm=$(kv "$work/cat.txt" median_us)
    cp=$(kv "$work/cat.txt" p99_us)
    am=$(kv "$work/aws.txt" median_us)
    echo "### Keys command: $keys_calls calls, $nss_users users in the snapshot"
    echo
    echo "\`iam-authorized-keys --config F USER UID KEY\` as sshd runs it (fork, exec, stdout read through a pipe), each call for a random user offering one of its two RSA keys; syslog goes to a sink."
    echo
    echo '| measure | nss-iam | baseline | goal | met? |'
    echo '|---|---|---|---|---|'
    printf '| wall time per call, median | %s ms | %s ms (`cat authorized_keys`, the floor) | ≤ 2 ms | %s |\n' \
        "$(ms_of_us "$km")" "$(ms_of_us "$cm")" "$(yesno "$km <= 2000")"
    printf '| wall time per call, p99 | %s ms | %s ms (`cat`) | — | — |\n' \
        "$(ms_of_us "$kp")" "$(ms_of_us "$cp")"
    printf '| shared account (SHARED_ACCOUNTS, index of %s keys), median | %s ms | %s ms (the same offers to the IAM users themselves) | — | — |\n' \
        "$((2 * nss_users))" "$(ms_of_us "$(kv "$work/shared.txt" median_us)")" "$(ms_of_us "$km")"
    printf '| shared account, p99 | %s ms | %s ms | — | — |\n' \
        "$(ms_of_us "$(kv "$work/shared.txt" p99_us)")" "$(ms_of_us "$kp")"
    printf '| peak RSS of the command | %s KiB | %s KiB (`cat`) | — | — |\n' \
        "$(kv "$work/keys.txt" maxrss_kib)" "$(kv "$work/cat.txt" maxrss_kib)"
    if [ "$am" != n/a ]; then
        am="$(ms_of_us "$am") ms"
    fi
    printf '| per login vs an AWS CLI call | %s ms | %s (`aws iam list-ssh-public-keys` to moto on 127.0.0.1, median of %s) | — | — |\n' \
        "$(ms_of_us "$km")" "$am" "$aws_calls"
}

# calls_cell FILE: "N (ListUsers a, GetGroup b, ListSSHPublicKeys c,
# GetSSHPublicKey d)".
calls_cell() {
    printf '%s (ListUsers %s, GetGroup %s, ListSSHPublicKeys %s, GetSSHPublicKey %s)' \
        "$(kv "$1" api_calls)" "$(kv "$1" list_users)" "$(kv "$1" get_group)" \
        "$(kv "$1" list_keys)" "$(kv "$1" get_key)"
}

sync_table() {
    local n f a t g what all pages lim calls secs rss
    echo "### iam-sync against moto_server: first and no-change sync"
    echo
    echo "MAX_CALLS_PER_SECOND=$rate (the highest value the config accepts), SYNC_CONCURRENCY default, moto_server on 127.0.0.1 without pagination; N users with 2 keys each in the one authorized group (G = 1, U = N, K = 2N). The baseline column is the time the rate limit alone imposes."
    echo
    echo '| measure | nss-iam | baseline | goal | met? |'
    echo '|---|---|---|---|---|'
    for n in $sizes; do
        f=$work/sync-$n-first.txt
        a=$work/sync-$n-again.txt
        lim=$((1 + 1 + n + 2 * n))
        calls=$(kv "$f" api_calls)
        printf '| first sync, %s users: API calls | %s | — | ≤ 1+G+U+K = %s | %s |\n' \
            "$n" "$(calls_cell "$f")" "$lim" "$(yesno "$calls <= $lim")"
        secs=$(calc "%.2f|$(kv "$f" median_us) / 1000000")
        printf '| first sync, %s users: wall time | %s s | %s s at %s calls/s | — | — |\n' \
            "$n" "$secs" "$(calc "%.2f|$calls / $rate")" "$rate"
        lim=$((1 + 1 + n))
        calls=$(kv "$a" api_calls)
        printf '| no-change sync, %s users: API calls | %s | — | ≤ 1+G+U = %s, 0 GetSSHPublicKey | %s |\n' \
            "$n" "$(calls_cell "$a")" "$lim" \
            "$(yesno "$calls <= $lim && $(kv "$a" get_key) == 0")"
        secs=$(calc "%.2f|$(kv "$a" median_us) / 1000000")
        printf '| no-change sync, %s users: wall time | %s s | %s s at %s calls/s | — | — |\n' \
            "$n" "$secs" "$(calc "%.2f|$calls / $rate")" "$rate"
    done
    for n in $sizes; do
        f=$work/sync-$n-tags-first.txt
        a=$work/sync-$n-tags-again.txt
        printf '| TAG_KEYS=yes, first sync, %s users (%s tag keys): API calls | %s, ListUserTags %s | — | ≤ 1+G+2U+K | %s |\n' \
            "$n" "$(((n + 9) / 10))" "$(calls_cell "$f")" "$(kv "$f" list_tags)" \
            "$(yesno "$(kv "$f" api_calls) <= 1 + 1 + 2 * $n + 2 * $n")"
        printf '| TAG_KEYS=yes, first sync, %s users: wall time | %s s | %s s at %s calls/s | — | — |\n' \
            "$n" "$(calc "%.2f|$(kv "$f" median_us) / 1000000")" \
            "$(calc "%.2f|$(kv "$f" api_calls) / $rate")" "$rate"
        printf '| no-change sync, %s users: API calls, TAG_KEYS=no / yes | %s / %s | — | yes: ≤ 1+G+2U, no file written | %s |\n' \
            "$n" "$(kv "$work/sync-$n-again.txt" api_calls)" "$(kv "$a" api_calls)" \
            "$(yesno "$(kv "$a" api_calls) <= 1 + 1 + 2 * $n")"
        printf '| no-change sync, %s users: wall time, TAG_KEYS=no / yes | %s s / %s s | %s s / %s s at %s calls/s | — | — |\n' \
            "$n" "$(calc "%.2f|$(kv "$work/sync-$n-again.txt" median_us) / 1000000")" \
            "$(calc "%.2f|$(kv "$a" median_us) / 1000000")" \
            "$(calc "%.2f|$(kv "$work/sync-$n-again.txt" api_calls) / $rate")" \
            "$(calc "%.2f|$(kv "$a" api_calls) / $rate")" "$rate"
    done
    echo
    echo "#### Where the tags come from: TAG_KEYS=no / ListUserTags / GetAccountAuthorizationDetails"
    echo
    echo "moto answers GetAccountAuthorizationDetails in one page; AWS pages it at MaxItems ≤ 1000, so the AWS column counts ceil(A/1000) pages for the account's A users (all of them, authorized or not) in place of moto's one."
    echo
    echo '| users | sync | TAG_KEYS=no: calls, time | ListUserTags: calls, time | GAAD at moto: calls (pages), time | GAAD at AWS: calls |'
    echo '|---|---|---|---|---|---|'
    for n in $sizes; do

        all=$(cat "$work/sync-$n-all-users")
        pages=$(((all + 999) / 1000))
        for what in first again; do
            f=$work/sync-$n-$what.txt
            t=$work/sync-$n-tags-$what.txt
            g=$work/sync-$n-gaad-$what.txt
            printf '| %s | %s | %s, %s s | %s (ListUserTags %s), %s s | %s (%s), %s s | %s |\n' \
                "$n" "$([ $what = first ] && echo first || echo no-change)" \
                "$(kv "$f" api_calls)" \
                "$(calc "%.2f|$(kv "$f" median_us) / 1000000")" \
                "$(kv "$t" api_calls)" "$(kv "$t" list_tags)" \
                "$(calc "%.2f|$(kv "$t" median_us) / 1000000")" \
                "$(kv "$g" api_calls)" "$(kv "$g" gaad)" \
                "$(calc "%.2f|$(kv "$g" median_us) / 1000000")" \
                "$(($(kv "$g" api_calls) - $(kv "$g" gaad) + pages))"
        done
    done
    echo
    echo '| measure | nss-iam | baseline | goal | met? |'
    echo '|---|---|---|---|---|'
    for n in $sizes; do
        rss=$(kv "$work/sync-$n-first.txt" maxrss_kib)
        printf '| peak RSS, %s users: first sync / no-change sync | %s MB / %s MB | — | ≤ 30 MB at 5000 users | %s |\n' \
            "$n" "$(calc "%.1f|$rss / 1024")" \
            "$(calc "%.1f|$(kv "$work/sync-$n-again.txt" maxrss_kib) / 1024")" \
            "$([ "$n" = 5000 ] && yesno "$rss <= 30 * 1024" || echo —)"
    done
    for n in $sizes; do
        printf '| snapshot file, %s users | %s MB | — | — | — |\n' "$n" \
            "$(calc "%.1f|$(kv "$work/sync-$n-first.txt" db_bytes) / 1048576")"
    done
}


fleet_table() {
    local n=$fleet_n d=$work/sync-$fleet_n-again.txt
    local pa=$work/fleet-pub-again.txt pf=$work/fleet-pub-first.txt
    local if_=$work/fleet-inst-first.txt ia=$work/fleet-inst-again.txt
    local fleet=10000 direct_calls fleet_calls
    direct_calls=$(kv "$d" api_calls)
    fleet_calls=$(kv "$pa" api_calls)
    echo "### Fleet publishing through S3: $n users, one publisher, instances with SOURCE="
    echo
    echo "Same account and rate as above; moto_server's S3 on 127.0.0.1, policies enforced. Per-instance figures are measured; the fleet rows multiply them by 10,000 instances syncing once per interval (iam-sync.timer: 5 minutes)."
    echo
    echo '| measure | fleet (SOURCE=s3://…) | direct IAM sync | goal | met? |'
    echo '|---|---|---|---|---|'
    printf '| instance, no-change cycle: requests | %s S3 GET (304, %s bytes), %s IAM calls | %s IAM calls | one conditional GET | %s |\n' \
        "$(kv "$ia" s3_calls)" "$(kv "$ia" s3_bytes)" "$(kv "$ia" api_calls)" \
        "$direct_calls" \
        "$(yesno "$(kv "$ia" s3_calls) == 1 && $(kv "$ia" api_calls) == 0")"
    printf '| instance, no-change cycle: wall time (median of %s) | %s ms | %s s | — | — |\n' \
        "$(kv "$ia" runs)" "$(ms_of_us "$(kv "$ia" median_us)")" \
        "$(calc "%.2f|$(kv "$d" median_us) / 1000000")"
    printf '| instance, object changed: one GET | %s MB, %s s, peak RSS %s MB | first sync: %s s, %s MB | — | — |\n' \
        "$(calc "%.1f|$(kv "$if_" s3_bytes) / 1048576")" \
        "$(calc "%.2f|$(kv "$if_" median_us) / 1000000")" \
        "$(calc "%.1f|$(kv "$if_" maxrss_kib) / 1024")" \
        "$(calc "%.2f|$(kv "$work/sync-$n-first.txt" median_us) / 1000000")" \
        "$(calc "%.1f|$(kv "$work/sync-$n-first.txt" maxrss_kib) / 1024")"
    printf '| publisher, first publish | %s, %s S3 calls, %s s | — | — | — |\n' \
        "$(calls_cell "$pf")" "$(kv "$pf" s3_calls)" \
        "$(calc "%.2f|$(kv "$pf" median_us) / 1000000")"
    printf '| publisher, nothing changed | %s, %s S3 call, no PUT, %s s | — | 0 GetSSHPublicKey | %s |\n' \
        "$(calls_cell "$pa")" "$(kv "$pa" s3_calls)" \
        "$(calc "%.2f|$(kv "$pa" median_us) / 1000000")" \
        "$(yesno "$(kv "$pa" get_key) == 0")"
    printf '| IAM calls per interval, %s instances, nothing changed | %s (the publisher) | %s | — | — |\n' \
        "$fleet" "$fleet_calls" "$(calc "%.0f|$direct_calls * $fleet")"
    printf '| S3 requests per interval, %s instances | %s GETs (304) + 1 publisher GET | — | — | — |\n' \
        "$fleet" "$(calc "%.0f|$(kv "$ia" s3_calls) * $fleet")"
    printf '| IAM time per interval at %s calls/s, %s instances | %s s | %s h | — | — |\n' \
        "$rate" "$fleet" "$(calc "%.0f|$fleet_calls / $rate")" \
        "$(calc "%.0f|$direct_calls * $fleet / $rate / 3600")"
}

events_table() {
    local e=$work/events.txt pa=$work/fleet-pub-again.txt
    local pf=$work/fleet-pub-first.txt full_calls full_s quiet_calls
    full_calls=$(kv "$pa" api_calls)
    full_s=$(calc "%.2f|$(kv "$pa" median_us) / 1000000")
    quiet_calls=$(kv "$e" quiet_calls)
    echo "### Event-driven publishing: $fleet_n users, the publisher following IAM's events"
    echo
    echo "\`iam-sync --publish\` with EVENT_QUEUE_URL (moto's SQS, fed by moto's EventBridge rule; moto emits no event for an IAM call, so the test puts the event CloudTrail would) and FULL_SYNC_INTERVAL=1h, next to the full publisher run of the table above. Same account and rate; the event path includes the follower gathering more messages after the first (up to 2 s)."
    echo
    echo '| measure | event-driven follower | full publisher run | goal | met? |'
    echo '|---|---|---|---|---|'
    printf '| first publish (the reconcile at start) | %s IAM calls, %s s | %s IAM calls, %s s (first publish) | — | — |\n' \
        "$(kv "$e" start_calls)" "$(kv "$e" start_s)" \
        "$(kv "$pf" api_calls)" "$(calc "%.2f|$(kv "$pf" median_us) / 1000000")"
    printf '| one key deleted in IAM: to the new object | %s s from the announce (batch %s s) | up to one timer interval, then %s s (a full run) | — | — |\n' \
        "$(kv "$e" latency_s)" "$(kv "$e" batch_s)" "$full_s"
    printf '| one key deleted in IAM: IAM calls | %s | %s | ≤ 3 | %s |\n' \
        "$(kv "$e" batch_calls)" "$full_calls" \
        "$(yesno "$(kv "$e" batch_calls) <= 3")"
    printf '| IAM calls in %s s with nothing changing | %s | — | 0 | %s |\n' \
        "$(kv "$e" quiet_s)" "$quiet_calls" "$(yesno "$quiet_calls == 0")"
    printf '| IAM calls per hour, nothing changing | %s (one reconcile: a no-change full read, %s calls; plus the quiet period extrapolated) | %s (a full run every 5 min) | — | — |\n' \
        "$(calc "%.0f|$full_calls + $quiet_calls * 3600 / $(kv "$e" quiet_s)")" \
        "$full_calls" "$(calc "%.0f|$full_calls * 12")"
}

results=$build/bench/results.md
mkdir -p "$build/bench"
{
    echo "## Benchmarks"
    echo
    printf '%s, %s CPUs (%s), Linux %s, %s; load average %s at the start, %s at the end; %s.\n' \
        "$(date -u +%Y-%m-%d)" "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(uname -r)" "$(ldd --version | head -n 1 | sed 's/^ldd //')" \
        "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        "$([ $quick = 1 ] && echo 'make bench-quick (smoke run, not figures to quote)' || echo 'make bench')"
    echo
    nss_table
    echo
    keys_table
    echo
    sync_table
    echo
    fleet_table
    echo
    events_table
} >"$results"
say "done in $SECONDS s (NSS ${t_nss} s, keys ${t_keys} s, sync ${t_sync} s, fleet ${t_fleet} s, events ${t_events} s); tables in $results"
echo
cat "$results"
