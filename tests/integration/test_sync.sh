#!/usr/bin/env bash
# iam-sync against moto_server with signature and policy checks on: what
# the snapshot holds (names, uids, groups, sudo, keys), what a second
# sync does and does not do, changes, the MAX_REMOVE_PERCENT rule,
# failures that must keep the old snapshot, pagination through the test
# proxy, the IMDSv2 and AssumeRole credential paths, and the lock.
#
# Every snapshot lives under a mktemp -d directory (--db); iam-sync reads
# /etc/passwd and /etc/group but writes nothing outside that directory.
# The script runs in a private mount namespace: the last part (hostile IAM
# names, checked with the real sudo) bind-mounts test copies of passwd,
# group, nsswitch.conf, sudoers.d and the ld.so cache there, so nothing
# here touches the host. Takes about a minute (90 s on a busy machine).
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

expect_py=$here/sync_expect.py
work=$(mktemp -d /tmp/nss-iam-sync.XXXXXX) || exit 1
basic=$work/basic  # moto with the "basic" scenario
many=$work/many    # moto with "many:1200"
mkdir -p "$basic" "$many" "$work/db"
db=$work/db/passwd.mdb
proxy_pid=
seed_pid=
bg_pids=()

cleanup() {
    local p i
    for p in "${bg_pids[@]}" "$seed_pid" "$proxy_pid"; do
        [ -n "$p" ] || continue
        kill -TERM "$p" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    moto_stop "$basic"
    moto_stop "$many"
    moto_stop "$work/hostile/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers -------------------------------------------------------------

# write_conf FILE URL [LINE...]: a config for tests, mode 0600; later lines
# override earlier ones.
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

# run_sync CREDS CONF DB [ARGS...]: run iam-sync --verbose with the
# credentials of a creds.env file (or "none": no AWS_* variable at all).
# stdout goes to $work/out$SFX, stderr to $work/err$SFX (SFX: empty, or a
# suffix for runs in the background); returns iam-sync's status.
run_sync() {
    local creds=$1 conf=$2 dbp=$3
    shift 3
    (
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
            AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE \
            AWS_SHARED_CREDENTIALS_FILE
        if [ "$creds" != none ]; then
            set -a
            # shellcheck disable=SC1090
            . "$creds"
            set +a
        fi
        exec "$build/iam-sync" --config "$conf" --db "$dbp" --verbose "$@"
    ) >"$work/out${SFX:-}" 2>"$work/err${SFX:-}" </dev/null
}

# expect_check MANIFEST DUMP [ARGS...]: sync_expect.py check, with the
# sync user's credentials for its ListUsers.
expect_check() {
    local man=$1 dump=$2
    shift 2
    (
        set -a
        # shellcheck disable=SC1091
        . "$basic/creds.env"
        set +a
        python3 "$expect_py" check --manifest "$man" --dump "$dump" \
            --endpoint "$url" --authorized ssh-users,data-science \
            --sudoers admins "$@"
    )
}

# change MANIFEST OUT OP...: change IAM with checks off, then on again.
change() {
    local rc
    moto_auth_off "$basic" || return 1
    python3 "$expect_py" change --manifest "$1" --out "$2" \
        --endpoint "$url" "${@:3}"
    rc=$?
    moto_enforce "$basic" || return 1
    return $rc
}

dump() {
    "$build/tests/dumpsnapshot" "$1"
}

# Every line but meta (which names the endpoint and the time).
body() {
    grep -v '^meta ' "$1"
}

ino() {
    stat -c %i "$1"
}

# only_snapshot DIR: the directory holds the snapshot and the lock file,
# no leftover temporary file.
only_snapshot() {
    local got
    got=$(cd "$1" && shopt -s dotglob nullglob && printf '%s ' *)
    [ "$got" = ".iam-sync.lock passwd.mdb " ] || {
        echo "directory holds: $got"
        return 1
    }
}

# check_rc DESC WANT GOT: like check_eq, with iam-sync's stderr on failure.
check_rc() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf '# want status %s, got %s\n' "$2" "$3"
        grep -v ': debug: ' "$work/err" | tail -n 8 | sed 's/^/# /'
    fi
}

# has_err DESC TEXT: iam-sync's stderr contains TEXT.
has_err() {
    check "$1" grep -qF -- "$2" "$work/err"
}

json_field() {
    jq -r ".$1" "$work/out"
}

proxy_ctl() {
    curl -sS --max-time 5 "$proxy/__proxy/$1"
}

keyid() { # keyid USER N: the N-th seeded key of USER
    jq -r --arg u "$1" --argjson n "$2" \
        '.users[]|select(.UserName==$u).keys[$n].SSHPublicKeyId' "$man"
}

# ---- emulators and fixtures ----------------------------------------------

if ! moto_start "$basic" || ! moto_start "$many"; then
    tap_not_ok "moto started"
    exit 1
fi
url=$(moto_url "$basic")
many_url=$(moto_url "$many")
# The 1200-user account takes a while to seed: in the background, used at
# the end.
python3 "$here/seed_iam.py" --endpoint "$many_url" --dir "$many" \
    --scenario many:1200 >"$many/seed.log" 2>&1 &
seed_pid=$!
check "seed basic" python3 "$here/seed_iam.py" --endpoint "$url" \
    --dir "$basic" --scenario basic
man=$basic/manifest.json
conf=$work/sync.conf
write_conf "$conf" "$url"

# ---- 1. first sync: users, names, uids, groups, sudo, keys ----------------

run_sync "$basic/creds.env" "$conf" "$db"
check_rc "first sync exits 0" 0 $?
dump "$db" >"$work/d1"
check "snapshot equals the expectation computed from the manifest" \
    expect_check "$man" "$work/d1" --max-key-age-days 30
check_eq "served users: authorized, mapped, refused names left out" \
    "alice bob.smith dana dev.plus.ops erin first.last.at.example.com frank heidi ivan last.comma.first team.equal.red" \
    "$(awk '$1 == "user" { print $2 }' "$work/d1" | sort | xargs)"
check_eq "grace (in no authorized group) is not served" 0 \
    "$(grep -c ' grace ' "$work/d1")"
refusals_logged() {
    local n
    for n in root daemon amb@corp amb.at.corp \
        forty-character-long-iam-user-name-abcde; do
        grep -qF "IAM user $n refused" "$work/err" || {
            echo "no refusal logged for $n"
            return 1
        }
    done
}
check "each refused name is logged" refusals_logged
check_eq "iam-sudo (kind sudo) lists the authorized admins" \
    "alice dev.plus.ops heidi" \
    "$(awk '$1 == "group" && $2 == "iam-sudo" && $4 == "sudo" {
        $1 = $2 = $3 = $4 = ""; print }' "$work/d1" | xargs -n1 | sort | xargs)"
check_eq "iam-users (kind member) lists every served user" \
    "$(awk '$1 == "user" { print $2 }' "$work/d1" | sort | xargs)" \
    "$(awk '$1 == "group" && $2 == "iam-users" && $4 == "member" {
        $1 = $2 = $3 = $4 = ""; print }' "$work/d1" | xargs -n1 | sort | xargs)"
check_eq "snapshot is a root-owned 0644 file" "644 root" \
    "$(stat -c '%a %U' "$db")"

# --if-due (iam-sync.service, started by a 1-minute timer): a direct sync
# reads IAM only when the snapshot was checked IAM_SYNC_INTERVAL ago.
run_sync "$basic/creds.env" "$conf" "$db" --if-due
check_rc "--if-due right after a sync exits 0" 0 $?
check_eq "--if-due right after a sync asks IAM nothing" "1 0" \
    "$(grep -c 'not due' "$work/err") $(grep -c 'API calls' "$work/err")"
touch -d '-290 seconds' "$db"
run_sync "$basic/creds.env" "$conf" "$db" --if-due
check_eq "--if-due 290 s after a check (interval 300 s, 30 s early is due) syncs" \
    "0 1" "$(grep -c 'not due' "$work/err") $(grep -c 'API calls' "$work/err")"
write_conf "$work/due.conf" "$url" 'IAM_SYNC_INTERVAL=10m'
touch -d '-400 seconds' "$db"
run_sync "$basic/creds.env" "$work/due.conf" "$db" --if-due
check_eq "--if-due with IAM_SYNC_INTERVAL=10m, checked 400 s ago: not due" \
    1 "$(grep -c 'not due' "$work/err")"
run_sync "$basic/creds.env" "$conf" "$db" --if-due --publish s3://b/k
check_rc "--if-due with --publish is a usage error" 2 $?

# ---- 2. MAX_KEY_AGE_DAYS ----------------------------------------------------

check_eq "erin's 400-day-old key is expired, her new key active" \
    "$(keyid erin 0) expired $(keyid erin 1) active" \
    "$(awk '$1 == "key" && $2 == "erin" { printf "%s %s ", $3, $4 }' \
        "$work/d1" | sed 's/ $//')"

# ---- 3. a second sync with nothing changed ----------------------------------

ino1=$(ino "$db")
cp "$db" "$work/db1.copy"
run_sync "$basic/creds.env" "$conf" "$db" --json
check_rc "no-change sync exits 0" 0 $?
check_eq "no-change sync publishes no new file (same inode)" "$ino1" \
    "$(ino "$db")"
check "no-change sync leaves the file byte-identical" \
    cmp -s "$db" "$work/db1.copy"
check_eq "no-change sync reports unchanged" unchanged "$(json_field result)"
# Users with refused names (root, daemon, amb@corp, ...) are in an
# authorized group but never served: their keys are not needed, and their
# bodies are not in the previous snapshot either, so fetching them would
# cost GetSSHPublicKey calls on every run.
check_eq "no-change sync makes no GetSSHPublicKey call" 0 \
    "$(json_field get_key)"
n_groups=3 # ssh-users, data-science, admins
# U: the authorized users that are served (the snapshot was checked above).
n_auth=$(grep -c '^user ' "$work/d1")
check_eq "ListUsers + GetGroup + ListSSHPublicKeys = 1 + G + U(served)" \
    "1 $n_groups $n_auth = $((1 + n_groups + n_auth))" \
    "$(jq -r '"\(.list_users) \(.get_group) \(.list_keys) = \(.list_users +
        .get_group + .list_keys)"' "$work/out")"
run_sync "$basic/creds.env" "$conf" "$db" --dry-run
check_eq "dry run with nothing changed says so" "no changes" \
    "$(cat "$work/out")"

# ---- uid placement with collisions --------------------------------------------

# 19 users and 4 groups in 25 ids: placement order and rehashing decide.
mkdir -p "$work/small"
write_conf "$work/small.conf" "$url" UID_MIN=2000000000 UID_MAX=2000000024
run_sync "$basic/creds.env" "$work/small.conf" "$work/small/passwd.mdb"
check_rc "sync into a 25-id range exits 0" 0 $?
check "colliding ids are rehashed" grep -q 'collided' "$work/err"
dump "$work/small/passwd.mdb" >"$work/dsmall"
check "uids in a crowded range equal the expectation" \
    expect_check "$man" "$work/dsmall" --max-key-age-days 30 \
    --uid-min 2000000000 --uid-max 2000000024

# ---- 8. credentials: IMDSv2 instance role, then AssumeRole ----------------

# moto's IMDS hands out fixed credentials ("test-key") that are no IAM
# access key: with checks on they are refused, so the IMDS path is run
# with checks off, and then shown to be refused with checks on.
mkdir -p "$work/imds"
moto_auth_off "$basic"
run_sync none "$conf" "$work/imds/passwd.mdb"
rc=$?
moto_enforce "$basic"
check_rc "IMDSv2 credentials, no AWS_* variables (checks off): exit 0" 0 $rc
dump "$work/imds/passwd.mdb" >"$work/dimds"
check "IMDSv2 sync gives the same snapshot" \
    cmp -s <(body "$work/d1") <(body "$work/dimds")
cp "$work/imds/passwd.mdb" "$work/imds.copy"
run_sync none "$conf" "$work/imds/passwd.mdb"
check_rc "IMDSv2 credentials with checks on: exit 1" 1 $?
has_err "... and the error names InvalidClientTokenId" InvalidClientTokenId
check "... and the snapshot is kept byte-identical" \
    cmp -s "$work/imds/passwd.mdb" "$work/imds.copy"

mkdir -p "$work/role"
role_arn=$(jq -r .reader_role.Arn "$man")
write_conf "$work/role.conf" "$url" "ASSUMEROLE=\"$role_arn\""
run_sync "$basic/creds-instance.env" "$conf" "$work/role/passwd.mdb"
check_rc "instance credentials without ASSUMEROLE are refused: exit 1" 1 $?
has_err "... with AccessDenied" AccessDenied
run_sync "$basic/creds-instance.env" "$work/role.conf" "$work/role/passwd.mdb"
check_rc "ASSUMEROLE nss-iam-reader with the instance credentials: exit 0" \
    0 $?
dump "$work/role/passwd.mdb" >"$work/drole"
check "ASSUMEROLE sync gives the same snapshot" \
    cmp -s <(body "$work/d1") <(body "$work/drole")

# ---- 7. pagination through the proxy -------------------------------------

page=2
python3 "$here/aws_proxy.py" --upstream "$url" --page-size "$page" \
    --stall-seconds 6 --port-file "$work/proxy.port" \
    >"$work/proxy.out" 2>"$work/proxy.log" &
proxy_pid=$!
for ((i = 0; i < 100; i++)); do
    [ -s "$work/proxy.port" ] && break
    sleep 0.1
done
proxy=http://127.0.0.1:$(cat "$work/proxy.port" 2>/dev/null)
check "proxy started" proxy_ctl stats
mkdir -p "$work/paged"
write_conf "$work/paged.conf" "$proxy"
run_sync "$basic/creds.env" "$work/paged.conf" "$work/paged/passwd.mdb"
check_rc "sync through the paging proxy exits 0" 0 $?
dump "$work/paged/passwd.mdb" >"$work/dpaged"
check "paged sync gives the same snapshot as the direct one" \
    cmp -s <(body "$work/d1") <(body "$work/dpaged")
# Pages the proxy must have served at $page items a page: ListUsers,
# GetGroup of the three configured groups, ListSSHPublicKeys of each
# served user. (The proxy pages by the request's MaxItems when there is
# one, else by --page-size.)
served=$(awk '$1 == "user" { print $5 }' "$work/d1" | jq -R . | jq -s -c .)
want_pages=$(jq -r --argjson p "$page" --argjson served "$served" '
    def pages(n): if n == 0 then 1 else ((n + $p - 1) / $p | floor) end;
    ((.users|length) + 2) as $all
    | ([.groups[]|select(.GroupName|IN("ssh-users","data-science","admins"))
        |pages(.members|length)]|add) as $gg
    | ([.users[]|select(.UserName|IN($served[]))
        |pages(.keys|length)]|add) as $lk
    | "ListUsers=\(pages($all)) GetGroup=\($gg) ListSSHPublicKeys=\($lk)"' \
    "$man")
check_eq "every list was followed page by page ($page items a page)" \
    "$want_pages" \
    "$(proxy_ctl stats | jq -r '.actions|"ListUsers=\(.ListUsers)
        GetGroup=\(.GetGroup) ListSSHPublicKeys=\(.ListSSHPublicKeys)"' |
        xargs)"

# ---- 9. the lock: never two writers ---------------------------------------

write_conf "$work/lock.conf" "$url" LOCK_TIMEOUT=1
write_conf "$work/wait.conf" "$url" LOCK_TIMEOUT=30
proxy_ctl 'fault?name=stall&action=ListUsers&count=1' >/dev/null
proxy_ctl reset-stats >/dev/null
# A: through the proxy, whose first ListUsers stalls for 6 s.
(
    SFX=.a run_sync "$basic/creds.env" "$work/paged.conf" "$db"
    echo $? >"$work/a.rc"
    date +%s%N >"$work/a.end"
) &
a_pid=$!
bg_pids+=("$a_pid")
for ((i = 0; i < 100; i++)); do
    [ "$(proxy_ctl stats | jq '.actions.ListUsers // 0')" -ge 1 ] && break
    sleep 0.1
done
t0=$SECONDS
run_sync "$basic/creds.env" "$work/lock.conf" "$db"
rc=$?
check_rc "a second iam-sync with LOCK_TIMEOUT=1 gives up: exit 1" 1 $rc
has_err "... saying another iam-sync is running" \
    "another iam-sync is still running"
check "... after waiting about LOCK_TIMEOUT" test $((SECONDS - t0)) -le 4
# C: waits for A's lock, then runs.
(
    SFX=.c run_sync "$basic/creds.env" "$work/wait.conf" "$db"
    echo $? >"$work/c.rc"
    date +%s%N >"$work/c.end"
) &
c_pid=$!
bg_pids+=("$c_pid")
wait "$a_pid"
wait "$c_pid"
bg_pids=()
check_eq "the stalled sync and the waiting one both exit 0" "0 0" \
    "$(cat "$work/a.rc" "$work/c.rc" 2>/dev/null | xargs)"
check "the waiting sync finished after the one holding the lock" \
    test "$(cat "$work/c.end")" -gt "$(cat "$work/a.end")"
proxy_ctl 'fault?name=none' >/dev/null

# ---- 4. changes --------------------------------------------------------------

cmp -s "$db" "$work/db1.copy" || cp "$db" "$work/db1.copy"
ino1=$(ino "$db")
man2=$work/manifest2.json
k_del=$(keyid bob.smith 1)
k_off=$(keyid alice 0)
check "change IAM: delete a key, deactivate one, remove ivan from \
ssh-users, delete team=red" change "$man" "$man2" \
    "delete-key:bob.smith:1" "deactivate-key:alice:0" \
    "remove-from-group:ivan:ssh-users" "delete-user:team=red"
field() { # field USER|KEYID COLUMN from the first snapshot
    awk -v k="$1" -v c="$2" '($1 == "user" && $2 == k) ||
        ($1 == "key" && $3 == k) { print $c; exit }' "$work/d1"
}
want_dry=$(
    echo "~ key $k_off of alice Active -> Inactive"
    echo "- key $k_del of bob.smith $(field "$k_del" 6)"
    echo "- user ivan uid $(field ivan 3)"
    echo "- key $(keyid ivan 0) of ivan $(field "$(keyid ivan 0)" 6)"
    echo "- user team.equal.red uid $(field team.equal.red 3)"
    echo "- key $(keyid team=red 0) of team.equal.red" \
        "$(field "$(keyid team=red 0)" 6)"
    # The removed users, whose processes a real run ends: none run here.
    echo "! end user ivan uid $(field ivan 3): 0 processes in 0 sessions"
    echo "! end user team.equal.red uid $(field team.equal.red 3):" \
        "0 processes in 0 sessions"
)
run_sync "$basic/creds.env" "$conf" "$db" --dry-run
check_rc "--dry-run exits 0" 0 $?
check_eq "--dry-run prints exactly the changes" \
    "$(sort <<<"$want_dry")" "$(sort "$work/out")"
check "--dry-run publishes nothing (byte-identical, same inode)" \
    sh -c "cmp -s '$db' '$work/db1.copy' && [ $ino1 = \$(stat -c %i '$db') ]"
run_sync "$basic/creds.env" "$conf" "$db"
check_rc "sync after the changes exits 0" 0 $?
check "a new snapshot file is published" \
    test "$(ino "$db")" != "$ino1"
dump "$db" >"$work/d2"
check "snapshot equals the expectation after the changes" \
    expect_check "$man2" "$work/d2" --max-key-age-days 30
check_eq "deleted key is gone" 0 "$(grep -c " $k_del " "$work/d2")"
check_eq "deactivated key is inactive" inactive \
    "$(awk -v k="$k_off" '$1 == "key" && $3 == k { print $4 }' "$work/d2")"
check_eq "user removed from the authorized group is gone" 0 \
    "$(grep -Ec '^(user|gids|key) ivan |^group ivan |[ ]ivan( |$)' "$work/d2")"
check_eq "deleted user is gone" 0 "$(grep -c 'team\.equal\.red' "$work/d2")"

# ---- 5. MAX_REMOVE_PERCENT -------------------------------------------------

man3=$work/manifest3.json
check "change IAM: remove 5 of the 9 served users from ssh-users" \
    change "$man2" "$man3" "remove-from-group:alice:ssh-users" \
    "remove-from-group:bob.smith:ssh-users" \
    "remove-from-group:dev+ops:ssh-users" \
    "remove-from-group:last,first:ssh-users" \
    "remove-from-group:frank:ssh-users"
cp "$db" "$work/db2.copy"
run_sync "$basic/creds.env" "$conf" "$db"
check_rc "removing 5 of 9 users (> MAX_REMOVE_PERCENT=50) is refused: exit 3" \
    3 $?
has_err "... with a message naming MAX_REMOVE_PERCENT" MAX_REMOVE_PERCENT
check "... and the snapshot is byte-identical" cmp -s "$db" "$work/db2.copy"
check "... and no temporary file is left" only_snapshot "$work/db"
run_sync "$basic/creds.env" "$conf" "$db" --force
check_rc "--force publishes it: exit 0" 0 $?
dump "$db" >"$work/d3"
check "forced snapshot equals the expectation" \
    expect_check "$man3" "$work/d3" --max-key-age-days 30

# ---- 6. failures keep the old snapshot -------------------------------------

cp "$db" "$work/db3.copy"
sed 's/^AWS_SECRET_ACCESS_KEY=/&wrong/' "$basic/creds.env" >"$work/bad.env"
run_sync "$work/bad.env" "$conf" "$db"
check_rc "wrong secret key: exit 1" 1 $?
has_err "... the message names SignatureDoesNotMatch" SignatureDoesNotMatch
check "... the snapshot is byte-identical" cmp -s "$db" "$work/db3.copy"
check "... no temporary file is left" only_snapshot "$work/db"

write_conf "$work/bad.conf" "$url" 'NO_SUCH_KEY="1"'
bad_line=$(wc -l <"$work/bad.conf")
run_sync "$basic/creds.env" "$work/bad.conf" "$db"
check_rc "unknown config key: exit 2" 2 $?
has_err "... the message names file:line" "$work/bad.conf:$bad_line:"
check "... the snapshot is byte-identical" cmp -s "$db" "$work/db3.copy"
check "... no temporary file is left" only_snapshot "$work/db"

# moto killed in the middle of a 1200-user sync.
for ((i = 0; i < 900; i++)); do
    kill -0 "$seed_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$seed_pid" 2>/dev/null && kill -TERM "$seed_pid"
wait "$seed_pid"
rc=$?
seed_pid=
[ "$rc" -eq 0 ] || tail -n 5 "$many/seed.log" | sed 's/^/# /'
check_rc "seed many:1200" 0 $rc
mkdir -p "$work/many-db"
mdb=$work/many-db/passwd.mdb
write_conf "$work/many0.conf" "$many_url" \
    'IAM_AUTHORIZED_GROUPS="nss-iam-test-no-such-group"' 'SUDOERS_GROUPS=""'
write_conf "$work/many.conf" "$many_url" 'IAM_AUTHORIZED_GROUPS="ssh-users"' \
    'SUDOERS_GROUPS=""'
run_sync "$many/creds.env" "$work/many0.conf" "$mdb"
check_rc "1200-user account: a first snapshot (no group authorized)" 0 $?
cp "$mdb" "$work/many.copy"
(
    SFX=.kill run_sync "$many/creds.env" "$work/many.conf" "$mdb" --json
    echo $? >"$work/kill.rc"
) &
k_pid=$!
bg_pids+=("$k_pid")
sleep 2
check "the 1200-user sync is still running after 2 s" kill -0 "$k_pid"
moto_stop "$many"
wait "$k_pid"
bg_pids=()
check_eq "moto killed mid-sync: exit 1" 1 "$(cat "$work/kill.rc")"
check "... it had got past the lists (ListSSHPublicKeys calls made)" \
    test "$(jq .api_calls "$work/out.kill")" -gt 2
check "... the message says the previous snapshot is kept" \
    grep -qF "previous snapshot is kept" "$work/err.kill"
check "... the snapshot is byte-identical" cmp -s "$mdb" "$work/many.copy"
check "... no temporary file is left" only_snapshot "$work/many-db"

run_sync "$many/creds.env" "$work/many.conf" "$mdb"
check_rc "moto stopped: exit 1" 1 $?
has_err "... the message says the previous snapshot is kept" \
    "previous snapshot is kept"
check "... the snapshot is byte-identical" cmp -s "$mdb" "$work/many.copy"
check "... no temporary file is left" only_snapshot "$work/many-db"

# ---- hostile names: IAM names that try to take local or configured ones ----

# The account: alice (admins, the real sudoer), carol (in the IAM groups
# "iam-users" and "Ops"), and the users "iam-sudo", "iam-users" and
# "Deploy". This server has a local "deploy", a local group "ops", and a
# local account whose uid is the one alice's UserId hashes to.
hostile=$work/hostile
if moto_seeded "$hostile" hostile 2>"$work/hostile.err"; then
    tap_ok "seed hostile"
else
    tap_not_ok "seed hostile: $(cat "$work/hostile.err")"
fi
hman=$hostile/seed/manifest.json
hurl=$(moto_url "$hostile/moto")
alice_id=$(jq -r '.users[]|select(.UserName=="alice").UserId' "$hman")
alice_first=$(python3 -c 'import hashlib,sys
print(2000000000 + int.from_bytes(hashlib.sha256(("uid:" + sys.argv[1]).encode()).digest()[:8], "big") % 147483647)' "$alice_id")
ns=$work/ns
mkdir -p "$ns/sudoers.d" "$ns/lib"
cp /etc/passwd "$ns/passwd"
cp /etc/group "$ns/group"
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

# kind_and_members GROUP DUMP: "KIND MEMBER..." (members sorted).
kind_and_members() {
    awk -v g="$1" '$1 == "group" && $2 == g {
        print $4; for (i = 5; i <= NF; i++) print $i }' "$2" |
        { read -r kind; echo "$kind $(sort | xargs)"; }
}

hostile_expect() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$hostile/seed/creds.env"
        set +a
        python3 "$expect_py" check --manifest "$hman" --dump "$1" \
            --endpoint "$hurl" --authorized ssh-users,iam-users,Ops \
            --sudoers admins
    )
}

hconf=$work/hostile.conf
hdb=$work/hostile-db/passwd.mdb
mkdir -p "$work/hostile-db"
write_conf "$hconf" "$hurl" 'IAM_AUTHORIZED_GROUPS="ssh-users,iam-users,Ops"' \
    'SUDOERS_GROUPS="admins"'
run_sync "$hostile/seed/creds.env" "$hconf" "$hdb"
check_rc "hostile names: the sync exits 0 (IAM names give way, not the config)" 0 $?
has_err "... IAM user iam-sudo refused: it is SUDO_GROUP's name" \
    "IAM user iam-sudo refused: the name of a configured group"
has_err "... IAM user iam-users refused: it is MEMBER_GROUP's name" \
    "IAM user iam-users refused: the name of a configured group"
has_err "... IAM user Deploy refused next to local deploy (sudo ignores case)" \
    "IAM user Deploy refused: already a local user or group"
has_err "... IAM group Ops not served next to local ops" \
    "IAM group Ops not served as a group"
has_err "... IAM group iam-users (authorized) not served" \
    "IAM group iam-users not served as a group"
check_eq "... no configured group was given up" 0 \
    "$(grep -E 'group iam-(sudo|users) not served|refused: (SUDO|MEMBER)_GROUP' \
        "$work/err" | grep -vc '^.*IAM group')"
dump "$hdb" >"$work/dhostile"
check "... the snapshot equals the expectation (sync_expect.py)" \
    hostile_expect "$work/dhostile"
check_eq "... served users: alice and carol only" "alice carol" \
    "$(awk '$1 == "user" { print $2 }' "$work/dhostile" | sort | xargs)"
check_eq "... iam-sudo is the sudo group, alice its only member" \
    "sudo alice" "$(kind_and_members iam-sudo "$work/dhostile")"
check_eq "... iam-users is the member group, with alice and carol" \
    "member alice carol" "$(kind_and_members iam-users "$work/dhostile")"
alice_uid=$(awk '$1 == "user" && $2 == "alice" { print $3 }' "$work/dhostile")
check "... alice's first uid is local legacy's: she is placed on another" \
    test -n "$alice_uid" -a "$alice_uid" != "$alice_first"
has_err "... and that is logged" \
    "IAM user alice: uid $alice_first is a local id here"

# A configured group the server cannot serve: nothing is published.
cp "$hdb" "$work/hostile.copy"
write_conf "$work/clash.conf" "$hurl" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,iam-users,Ops"' 'SUDOERS_GROUPS="admins"' \
    'SUDO_GROUP="Deploy"'
run_sync "$hostile/seed/creds.env" "$work/clash.conf" "$hdb"
check_rc "SUDO_GROUP=Deploy next to local deploy: exit 3" 3 $?
has_err "... the message names it" "refused: SUDO_GROUP Deploy cannot be served"
check "... the snapshot is kept byte-identical" \
    cmp -s "$hdb" "$work/hostile.copy"

# The id range against the system's (login.defs, here a test copy).
printf '# test\nUID_MIN 1000\nUID_MAX 4000000000\n' >"$ns/login.defs"
mount --bind "$ns/login.defs" /etc/login.defs ||
    fail_setup "cannot bind-mount a test login.defs"
run_sync "$hostile/seed/creds.env" "$hconf" "$hdb"
check_rc "a range inside login.defs' UID_MIN..UID_MAX: exit 2" 2 $?
has_err "... naming this config and login.defs' line" \
    "$hconf (the defaults): UID_MIN..UID_MAX (2000000000..2147483646) overlaps UID_MIN..UID_MAX (1000..4000000000) of /etc/login.defs:3"
umount /etc/login.defs
write_conf "$work/low.conf" "$hurl" UID_MIN=1000 UID_MAX=60000
run_sync "$hostile/seed/creds.env" "$work/low.conf" "$hdb"
check_rc "UID_MIN=1000: exit 2" 2 $?
has_err "... naming the line" "$work/low.conf:8: UID_MIN (1000) is below 65536"
check "... the snapshot is kept byte-identical" \
    cmp -s "$hdb" "$work/hostile.copy"

# The same with the real sudo: the snapshot, the shipped sudoers drop-in,
# libnss_iam.so.2 through a private ld.so cache (sudo is setuid and
# ignores LD_LIBRARY_PATH) and "files iam" in nsswitch.conf, all in this
# namespace. Local sudoers rules for deploy and %ops show that IAM names
# differing only in case do not get them.
setup_real_sudo() {
    mount -t tmpfs -o mode=0755 tmpfs /var/lib &&
    mkdir -m 0755 /var/lib/nss-iam &&
    install -m 0644 "$hdb" /var/lib/nss-iam/passwd.mdb &&
    install -m 0644 "$build/libnss_iam.so.2" "$ns/lib/libnss_iam.so.2" &&
    mount -t tmpfs -o mode=0700 tmpfs /var/cache/ldconfig &&
    printf 'include /etc/ld.so.conf\n%s\n' "$ns/lib" >"$ns/ld.so.conf" &&
    ldconfig -X -i -f "$ns/ld.so.conf" -C "$ns/ld.so.cache" &&
    mount --bind "$ns/ld.so.cache" /etc/ld.so.cache &&
    printf 'passwd: files iam\ngroup: files iam\nshadow: files\n' \
        >"$ns/nsswitch.conf" &&
    mount --bind "$ns/nsswitch.conf" /etc/nsswitch.conf &&
    cp -a /etc/sudoers.d/. "$ns/sudoers.d/" &&
    install -m 0440 "$root/contrib/sudoers.d/nss-iam" "$ns/sudoers.d/nss-iam" &&
    printf 'deploy ALL=(root) NOPASSWD: /usr/bin/id\n%%ops ALL=(root) NOPASSWD: /usr/bin/whoami\n' \
        >"$ns/sudoers.d/local-test" &&
    chmod 0440 "$ns/sudoers.d/local-test" &&
    mount --bind "$ns/sudoers.d" /etc/sudoers.d
}
setup_real_sudo || fail_setup "cannot set up sudo with the snapshot"
check_eq "real sudo: getent sees alice through libnss_iam" "alice" \
    "$(getent passwd alice | cut -d: -f1)"
check_eq "real sudo: sudo -l -U alice (admins) shows NOPASSWD: ALL" 1 \
    "$(sudo -n -l -U alice 2>&1 | grep -c 'NOPASSWD: ALL')"
check_eq "real sudo: iam-sudo is no user, so no sudo rule for it" \
    "0 unknown" \
    "$(out=$(sudo -n -l -U iam-sudo 2>&1); printf '%s %s' "$(grep -c 'NOPASSWD: ALL' <<<"$out")" \
        "$(grep -qi 'unknown user' <<<"$out" && echo unknown)")"
check_eq "real sudo: the iam-sudo group holds alice only" "alice" \
    "$(getent group iam-sudo | cut -d: -f4)"
check_eq "real sudo: Deploy is no user, so it gets none of deploy's rules" \
    "0 unknown" \
    "$(out=$(sudo -n -l -U Deploy 2>&1); printf '%s %s' "$(grep -c '/usr/bin/id' <<<"$out")" \
        "$(grep -qi 'unknown user' <<<"$out" && echo unknown)")"
check_eq "real sudo: carol (IAM group Ops) gets no %ops rule" 0 \
    "$(sudo -n -l -U carol 2>&1 | grep -c '/usr/bin/whoami')"
check_eq "real sudo: carol is in iam-users, not in local ops" "no" \
    "$(id -Gn carol | tr ' ' '\n' | grep -qx ops && echo yes || echo no)"

# shellcheck disable=SC2154 # tap_n: set by tap.sh
echo "1..$tap_n"
