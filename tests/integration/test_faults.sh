#!/usr/bin/env bash
# iam-sync against a failing AWS: moto (signature and policy checks on,
# "basic" scenario) behind aws_proxy.py, which pages the lists and
# injects one fault per scenario (throttling, 5xx, resets, stalls, broken
# bodies, pagination loops, an invalid key, a vanished user list, and the
# same for STS AssumeRole).
#
# Before each scenario the IAM state is flipped (the user grace joins or
# leaves ssh-users), so that a sync which got through would have to publish
# a new snapshot. For each scenario the test checks that the fault was
# injected, the exit status (0 ok, 1 AWS failure with the old snapshot
# kept, 3 refused by a safety rule), the time taken (within SYNC_TIMEOUT
# plus a margin), a message on stderr (--verbose) that names the cause,
# that no temporary file is left, and the published snapshot: byte for byte
# the one from before when the sync fails, record for record the one a
# clean sync of the same IAM state publishes when a retry got through.
#
# Nothing outside a mktemp directory is written; no namespace is needed.
# Prints TAP, then "# fault scenarios passed: N of M".
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
sync_bin=$build/iam-sync
dump_bin=$build/tests/dumpsnapshot

# Per-request timeout and whole-sync deadline of the configs below; the
# proxy's stall outlasts the request timeout.
SYNC_TIMEOUT=20
HTTP_TIMEOUT_MS=2000
STALL_SECONDS=5
SHORT_SYNC_TIMEOUT=5
# How far past SYNC_TIMEOUT a run may end: process start, the last
# backoff, exit.
MARGIN=5

work=$(mktemp -d /tmp/nss-iam-faults.XXXXXX) || exit 1
proxy_pid=

cleanup() {
    if [ -n "$proxy_pid" ]; then
        kill -TERM "$proxy_pid" 2>/dev/null
        wait "$proxy_pid" 2>/dev/null
    fi
    moto_stop "$work/moto"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$sync_bin" "$dump_bin"; do
    [ -x "$f" ] || fail_setup "$f is missing (make all test-helpers)"
done

# ---- moto, seed, proxy ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
moto=$(moto_url "$work/moto")

python3 "$here/aws_proxy.py" --upstream "$moto" \
    --port-file "$work/proxy.port" --stall-seconds "$STALL_SECONDS" \
    </dev/null >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do
    [ -s "$work/proxy.port" ] && break
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$work/proxy.port" ] ||
    fail_setup "the proxy does not start: $(tail -n 3 "$work/proxy.log")"
proxy=http://127.0.0.1:$(cat "$work/proxy.port")

# proxy_ctl PATH?QUERY: one control request; prints the answer.
proxy_ctl() {
    curl -sS --max-time 5 -f "$proxy/__proxy/$1"
}

# write_config FILE [EXTRA LINE...]: root-owned, 0644, every endpoint at
# the proxy.
write_config() {
    local f=$1
    shift
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$proxy\""
        echo "STS_ENDPOINT=\"$proxy\""
        echo "IMDS_ENDPOINT=\"$proxy\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        echo "HTTP_TIMEOUT_MS=\"$HTTP_TIMEOUT_MS\""
        printf '%s\n' "$@"
    } >"$f"
    chmod 0644 "$f"
}
cfg=$work/nss-iam.conf
write_config "$cfg" "SYNC_TIMEOUT=\"$SYNC_TIMEOUT\""
cfg_short=$work/nss-iam-short.conf
write_config "$cfg_short" "SYNC_TIMEOUT=\"$SHORT_SYNC_TIMEOUT\""
# ASSUMEROLE: the seeded instance user's keys may only assume the reader
# role, which may read IAM.
role_arn=$(jq -r .reader_role.Arn "$work/seed/manifest.json")
if [ -z "$role_arn" ] || [ "$role_arn" = null ]; then
    fail_setup "no reader role in the seed manifest"
fi
cfg_role=$work/nss-iam-role.conf
write_config "$cfg_role" "SYNC_TIMEOUT=\"$SYNC_TIMEOUT\"" \
    "ASSUMEROLE=\"$role_arn\""
cfg_role_short=$work/nss-iam-role-short.conf
write_config "$cfg_role_short" "SYNC_TIMEOUT=\"$SHORT_SYNC_TIMEOUT\"" \
    "ASSUMEROLE=\"$role_arn\""

mkdir -p "$work/snap" "$work/ref"
db=$work/snap/passwd.mdb

# run_sync CONFIG DB [CREDS]: one iam-sync run with the keys of
# $work/seed/CREDS (default creds.env); sets rc, ms (wall time),
# $work/out (the --json line) and $work/err (the --verbose log).
rc=
ms=
run_sync() {
    local t0 t1 creds=${3:-creds.env}
    t0=$(date +%s%N)
    (
        set -a
        # shellcheck source=/dev/null
        . "$work/seed/$creds"
        set +a
        exec "$sync_bin" --config "$1" --db "$2" --json --verbose
    ) >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
}

# json KEY: a field of the last run's --json line.
json() {
    jq -r ".$1" "$work/out" 2>/dev/null
}

# dump DB: the snapshot's records, without the creation time.
dump() {
    "$dump_bin" "$1" | sed 's/ created=[0-9]*$//'
}

# IAM state "A": grace in no group; "B": grace in ssh-users (one more
# user and one more key in the snapshot).
iam_state=A
set_iam() {
    local want=$1 op
    [ "$want" = "$iam_state" ] && return 0
    op=remove_user_from_group
    [ "$want" = B ] && op=add_user_to_group
    moto_auth_off "$work/moto" || return 1
    python3 - "$moto" "$op" <<'PY' || return 1
import sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
getattr(iam, sys.argv[2])(UserName="grace", GroupName="ssh-users")
PY
    moto_enforce "$work/moto" || return 1
    iam_state=$want
}

# ---- the good syncs: snapshot and references ----

proxy_ctl 'fault?name=none' >/dev/null || fail_setup "proxy control fails"
run_sync "$cfg" "$db"
if [ "$rc" != 0 ] || [ "$(json result)" != published ]; then
    fail_setup "first sync: exit $rc: $(tail -n 3 "$work/err")"
fi
tap_ok "a first good sync through the proxy publishes a snapshot"
dump "$db" >"$work/ref/A" || fail_setup "dumpsnapshot fails"
# How many attempts a call gets, as iam-sync reports it.
proxy_ctl 'fault?name=throttle-once&action=ListUsers' >/dev/null
run_sync "$cfg" "$db"
proxy_ctl 'fault?name=none' >/dev/null
attempts=$(sed -n 's/.*(attempt 1 of \([0-9]*\)).*/\1/p' "$work/err" | head -n 1)
if [ "$rc" != 0 ] || [ -z "$attempts" ] || [ "$attempts" -lt 2 ]; then
    fail_setup "cannot learn the number of attempts: exit $rc, $(tail -n 2 "$work/err")"
fi
set_iam B || fail_setup "cannot change IAM"
run_sync "$cfg" "$work/ref/B.mdb"
[ "$rc" = 0 ] || fail_setup "sync of state B: exit $rc: $(tail -n 3 "$work/err")"
dump "$work/ref/B.mdb" >"$work/ref/B"
grace_key=$(awk '$1 == "key" && $2 == "grace" { print $3 }' "$work/ref/B")
if [ -z "$grace_key" ] || grep -q '^user grace ' "$work/ref/A"; then
    fail_setup "grace should be in state B only, with a key"
fi
snap_state=A # what $db holds

# ---- scenarios ----

scen_total=0
scen_passed=0
scen_bad=0

# sc_check DESC OK: one TAP line of the current scenario.
sc_check() {
    if [ "$2" = 1 ]; then
        tap_ok "$scen: $1"
    else
        tap_not_ok "$scen: $1"
        scen_bad=1
    fi
}
sc_eq() {
    if [ "$2" = "$3" ]; then
        sc_check "$1" 1
    else
        sc_check "$1" 0
        printf '# want: %s\n# got:  %s\n' "$2" "$3"
    fi
}
# no_temp_files: the writer's temporary files never outlive a run.
no_temp_files() {
    local left
    left=$(find "$work/snap" -maxdepth 1 -name '.passwd.mdb.*' | wc -l)
    sc_eq "no temporary snapshot file left" 0 "$left"
}

# scenario NAME FAULT WANT_RC CAUSE [options]: one fault scenario.
#   FAULT    the proxy's fault query (name=...&action=...&count=...)
#   WANT_RC  the exit status iam-sync must give
#   CAUSE    an extended regular expression its stderr must match
# options:
#   retries=N     the --json line must count N retries
#   injected=N    the proxy must have injected exactly N faults (else >= 1)
#   config=FILE   the config to use (default: SYNC_TIMEOUT=$SYNC_TIMEOUT)
#   limit=S       the run must end within S seconds
#   creds=FILE    the keys iam-sync runs with, in $work/seed (default
#                 creds.env)
#   state=A|B     the IAM state to sync to (default: the one the snapshot
#                 does not hold; the snapshot is moved away from it first)
scenario() {
    local name=$1 fault=$2 want_rc=$3 cause=$4
    shift 4
    local retries='' injected='' conf=$cfg limit=$((SYNC_TIMEOUT + MARGIN))
    local target='' opt faults creds=creds.env
    for opt in "$@"; do
        case $opt in
        retries=*) retries=${opt#*=} ;;
        injected=*) injected=${opt#*=} ;;
        config=*) conf=${opt#*=} ;;
        limit=*) limit=${opt#*=} ;;
        state=*) target=${opt#*=} ;;
        creds=*) creds=${opt#*=} ;;
        esac
    done
    scen=$name
    scen_bad=0
    scen_total=$((scen_total + 1))
    if [ -z "$target" ]; then
        target=A
        [ "$snap_state" = A ] && target=B
    elif [ "$snap_state" = "$target" ]; then
        # The snapshot must differ from the target state: a clean sync
        # to the other one first.
        local other=A
        [ "$target" = A ] && other=B
        set_iam "$other" || fail_setup "cannot change IAM"
        run_sync "$cfg" "$db"
        [ "$rc" = 0 ] || fail_setup "$name: clean sync to $other: exit $rc"
        snap_state=$other
    fi
    set_iam "$target" || fail_setup "cannot change IAM"
    cp "$db" "$work/before.mdb"

    if ! proxy_ctl reset-stats >/dev/null ||
        ! proxy_ctl "fault?$fault" >/dev/null; then
        fail_setup "$name: the proxy refuses fault $fault"
    fi
    run_sync "$conf" "$db" "$creds"
    faults=$(proxy_ctl stats | jq -r .faults)
    proxy_ctl 'fault?name=none' >/dev/null

    if [ -n "$injected" ]; then
        sc_eq "the proxy injected $injected fault(s)" "$injected" "$faults"
    else
        sc_check "the proxy injected the fault ($faults times)" \
            "$([ "${faults:-0}" -ge 1 ] && echo 1)"
    fi
    sc_eq "exit status $want_rc" "$want_rc" "$rc"
    sc_check "ends within ${limit} s (took ${ms} ms)" \
        "$([ "$ms" -lt $((limit * 1000)) ] && echo 1)"
    # A run that fails must say why in its own error lines, not only in
    # the retry lines ("... (attempt N of M)") that come before them.
    local said=$work/err
    if [ "$want_rc" != 0 ]; then
        grep -Ev '\(attempt [0-9]+ of [0-9]+\)$' "$work/err" >"$work/final"
        said=$work/final
    fi
    if grep -Eq -- "$cause" "$said"; then
        sc_check "stderr names the cause (/$cause/)" 1
    else
        sc_check "stderr names the cause (/$cause/)" 0
        grep -v 'refused\|not served' "$work/err" | tail -n 5 | sed 's/^/# /'
    fi
    if [ -n "$retries" ]; then
        sc_eq "--json counts $retries retries" "$retries" "$(json retries)"
    fi
    if [ "$want_rc" = 0 ]; then
        sc_eq "--json result" published "$(json result)"
        snap_state=$target
    else
        sc_check "the published snapshot is byte-identical to before" \
            "$(cmp -s "$work/before.mdb" "$db" && echo 1)"
    fi
    no_temp_files
}

# updated_to STATE: the snapshot holds the same records as a clean sync of
# STATE (checked after a scenario that got through).
updated_to() {
    if diff -u "$work/ref/$1" <(dump "$db") >"$work/diff"; then
        sc_check "the snapshot is the one a clean sync publishes" 1
    else
        sc_check "the snapshot is the one a clean sync publishes" 0
        head -n 10 "$work/diff" | sed 's/^/# /'
    fi
}
# scenario_ok: counts the scenario that just ran.
scenario_ok() {
    [ "$scen_bad" = 0 ] && scen_passed=$((scen_passed + 1))
}

last=$((attempts - 1))

# Throttling (HTTP 400, code Throttling): retried with backoff.
scenario "Throttling once" 'name=throttle-once&action=ListUsers' 0 \
    'ListUsers: HTTP 400 Throttling' retries=1 injected=1
updated_to "$snap_state"; scenario_ok
scenario "Throttling $last times of $attempts attempts" \
    "name=throttle-$last&action=ListUsers" 0 'HTTP 400 Throttling' \
    retries=$last injected=$last
updated_to "$snap_state"; scenario_ok
scenario "Throttling 3 times on concurrent ListSSHPublicKeys" \
    'name=throttle-3&action=ListSSHPublicKeys' 0 \
    'ListSSHPublicKeys: HTTP 400 Throttling' retries=3 injected=3
updated_to "$snap_state"; scenario_ok
scenario "Throttling forever" 'name=throttle-forever&action=ListUsers' 1 \
    'ListUsers: HTTP 400 Throttling' retries=$last injected="$attempts"
scenario_ok

# Server errors: retried.
scenario "HTTP 500 once" 'name=500&action=GetGroup&count=1' 0 \
    'GetGroup: HTTP 500' retries=1 injected=1
updated_to "$snap_state"; scenario_ok
scenario "HTTP 503 once" 'name=503&action=ListSSHPublicKeys&count=1' 0 \
    'ListSSHPublicKeys: HTTP 503' retries=1 injected=1
updated_to "$snap_state"; scenario_ok
scenario "HTTP 500 forever" 'name=500&action=ListUsers' 1 \
    'ListUsers: HTTP 500' retries=$last injected="$attempts"
scenario_ok
scenario "HTTP 503 forever" 'name=503&action=GetGroup' 1 'GetGroup: HTTP 503'
scenario_ok

# Transport faults: retried.
scenario "connection reset mid-body once" \
    'name=reset-mid-body&action=ListUsers&count=1' 0 \
    'ListUsers: Connection reset' retries=1 injected=1
updated_to "$snap_state"; scenario_ok
scenario "connection reset mid-body forever" \
    'name=reset-mid-body&action=ListUsers' 1 'ListUsers: Connection reset' \
    retries=$last injected="$attempts"
scenario_ok
scenario "truncated body (Content-Length not reached) once" \
    'name=truncated-body&action=GetSSHPublicKey&count=1' 0 \
    'partial file' retries=1 injected=1 state=B
updated_to "$snap_state"; scenario_ok
scenario "truncated body forever" 'name=truncated-body&action=ListUsers' 1 \
    'partial file' injected="$attempts"
scenario_ok
scenario "stall longer than HTTP_TIMEOUT_MS once" \
    'name=stall&action=ListUsers&count=1' 0 'timed out' retries=1 injected=1
updated_to "$snap_state"; scenario_ok
scenario "stall forever" 'name=stall&action=ListUsers' 1 'timed out'
scenario_ok
scenario "stall forever, SYNC_TIMEOUT=$SHORT_SYNC_TIMEOUT" \
    'name=stall&action=ListUsers' 1 'deadline reached' \
    config="$cfg_short" limit=$((SHORT_SYNC_TIMEOUT + MARGIN))
scenario_ok

# STS AssumeRole (ASSUMEROLE, the instance's keys) goes through the same
# client as IAM: the same retries and backoff, within the same deadline.
scenario "AssumeRole throttled twice" 'name=throttle-2&action=AssumeRole' 0 \
    'AssumeRole: HTTP 400 Throttling' injected=2 config="$cfg_role" \
    creds=creds-instance.env
updated_to "$snap_state"; scenario_ok
scenario "AssumeRole: STS down (HTTP 503 forever)" \
    'name=503&action=AssumeRole' 1 \
    'aws_creds: STS AssumeRole: HTTP 503 ServiceUnavailable' \
    injected="$attempts" config="$cfg_role" creds=creds-instance.env
scenario_ok
scenario "AssumeRole: STS stalls, SYNC_TIMEOUT=$SHORT_SYNC_TIMEOUT" \
    'name=stall&action=AssumeRole&seconds=60' 1 \
    'aws_creds: STS AssumeRole: (deadline reached|.*timed out)' \
    config="$cfg_role_short" creds=creds-instance.env \
    limit=$((SHORT_SYNC_TIMEOUT + MARGIN))
scenario_ok

# Broken bodies: not retried, nothing published.
scenario "invalid JSON (ListUsers)" 'name=invalid-json&action=ListUsers' 1 \
    'not JSON'
scenario_ok
scenario "invalid JSON (GetGroup)" 'name=invalid-json&action=GetGroup' 1 \
    'GetGroup: .*not JSON'
scenario_ok
scenario "valid JSON of the wrong shape (ListUsers)" \
    'name=wrong-shape&action=ListUsers' 1 'ListUsersResult.Users: expected list'
scenario_ok
scenario "valid JSON of the wrong shape (ListSSHPublicKeys)" \
    'name=wrong-shape&action=ListSSHPublicKeys' 1 \
    'ListSSHPublicKeysResult.SSHPublicKeys: expected list'
scenario_ok
scenario "a 50 MB body" 'name=huge-body&action=ListUsers' 1 \
    'ListUsers: File too large'
scenario_ok

# Pagination that cannot be trusted.
scenario "IsTruncated=true without a Marker (ListUsers)" \
    'name=missing-marker&action=ListUsers' 1 'IsTruncated without Marker'
scenario_ok
scenario "IsTruncated=true without a Marker (GetGroup)" \
    'name=missing-marker&action=GetGroup' 1 'IsTruncated without Marker'
scenario_ok
scenario "a repeating Marker (ListUsers)" 'name=loop-marker&action=ListUsers' \
    1 'ListUsers: IsTruncated with a missing or repeated Marker'
scenario_ok
scenario "a repeating Marker (ListSSHPublicKeys)" \
    'name=loop-marker&action=ListSSHPublicKeys' 1 \
    'ListSSHPublicKeys: IsTruncated with a missing or repeated Marker'
scenario_ok

# A key body that fails validation: that key is skipped and logged, the
# rest is published.
scenario "a key body with options" 'name=bad-key-body&action=GetSSHPublicKey' \
    0 "grace: key $grace_key refused: key options" state=B
sc_eq "--json counts the snapshot's keys without it" \
    "$(($(grep -c '^key ' "$work/ref/B") - 1))" "$(json keys)"
if diff -u <(grep -v -e '^meta ' -e "^key grace " "$work/ref/B") \
    <(dump "$db" | grep -v '^meta ') >"$work/diff"; then
    sc_check "the snapshot is a clean sync's, without that one key" 1
else
    sc_check "the snapshot is a clean sync's, without that one key" 0
    head -n 10 "$work/diff" | sed 's/^/# /'
fi
run_sync "$cfg" "$db"
sc_eq "the next clean sync fetches and publishes the key" \
    "0 published" "$rc $(json result)"
updated_to B
scenario_ok

# A user list that suddenly lost 90% of its users: refused.
scenario "ListUsers loses 90% of the users" \
    'name=lose-90-percent&action=ListUsers' 3 \
    'refused: .*MAX_REMOVE_PERCENT=50%'
sc_eq "--json result of the refused run" refused "$(json result)"
scenario_ok

# --dry-run tells the same refusal, with the same exit status, and writes
# nothing.
proxy_ctl 'fault?name=lose-90-percent&action=ListUsers' >/dev/null
cp "$db" "$work/before.mdb"
run_sync_dry() {
    (
        set -a
        # shellcheck source=/dev/null
        . "$work/seed/creds.env"
        set +a
        exec "$sync_bin" --config "$cfg" --db "$db" --dry-run --verbose
    ) >"$work/out" 2>"$work/err" </dev/null
}
run_sync_dry
dry_rc=$?
proxy_ctl 'fault?name=none' >/dev/null
check_eq "--dry-run of a run losing 90%: exit 3, as the real run" 3 "$dry_rc"
check "--dry-run says it would be refused" \
    grep -q 'refused: .*MAX_REMOVE_PERCENT=50%' "$work/err"
check "--dry-run lists the removals it refuses" grep -q '^- user ' "$work/out"
check "--dry-run wrote nothing" cmp -s "$work/before.mdb" "$db"

echo "# fault scenarios passed: $scen_passed of $scen_total"

tap_done
