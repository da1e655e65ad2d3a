#!/usr/bin/env bash
# The publisher following IAM's change events, end to end against
# moto_server (IAM, S3, SQS, EventBridge; signatures and policies
# enforced): `iam-sync --publish s3://B/K` with EVENT_QUEUE_URL runs as a
# service, publishes at start, then re-reads from IAM what each event
# names and PUTs the new object; instances (SOURCE=) take it.
#
# moto emits no event for an IAM call. In AWS, CloudTrail records the
# call and EventBridge sends the "AWS API Call via CloudTrail" event to
# the queue through the rule; here events_setup.py makes each IAM change
# and then puts the event CloudTrail would have made (PutEvents, source
# aws.iam: AWS refuses that source from anyone but itself), and moto's
# EventBridge routes it through the same rule to the queue. The message
# body is the event JSON, unwrapped, in both.
#
# Checked: the object after start; a key deleted and announced reaches an
# instance, with a few IAM calls and the message deleted; a change never
# announced (a lost event) is repaired by the periodic reconcile, which
# counts it as drift; forged, malformed and unknown messages change
# nothing and are deleted (a malformed one brings a reconcile); a burst is
# one batch; SIGHUP reconciles (and finds no drift left); a failed S3 PUT
# keeps the messages, applied once S3 works again; SIGTERM ends it; a
# queue that cannot be read brings a reconcile; --dry-run does one pass
# and receives nothing. Runs in a private mount namespace (syslog goes to
# a sink); every process is stopped by its PID. Prints TAP.
# shellcheck source-path=SCRIPTDIR
# Programs run by bash -c are single-quoted on purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
. "$here/lib/tap.sh"
in_private_namespace "$@"
. "$here/lib/moto.sh"
# shellcheck source=lib/syslog.sh
. "$here/lib/syslog.sh"

work=$(mktemp -d /tmp/nss-iam-events.XXXXXX) || exit 1
bucket=events-bucket
key=nss-iam/fleet.obj
src=s3://$bucket/$key
# How long a change may take to show: generous, never a timing assert.
BOUND=${EVENTS_BOUND:-30}

follow_pid=
other_pid=
sink_pid=

# stop_pid PID: TERM, up to 10 s, then KILL; reaps it.
stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    stop_pid "$follow_pid"
    stop_pid "$other_pid"
    stop_pid "$sink_pid"
    moto_stop "$work/moto"
    if mountpoint -q "$work/ns"; then
        umount -l "$work/ns"
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- IAM, S3, the queue and its rule, policies ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
moto_auth_off "$work/moto" || fail_setup "cannot turn moto's checks off"
python3 "$here/fleet_setup.py" "$url" "$root/policy" "$bucket/$key" \
    "$work/instance.env" >"$work/setup.log" 2>&1 ||
    fail_setup "bucket and policies: $(tail -n 3 "$work/setup.log")"
python3 "$here/events_setup.py" setup --endpoint "$url" \
    --policy-dir "$root/policy" --object "$bucket/$key" --dir "$work/ev" \
    >>"$work/setup.log" 2>&1 ||
    fail_setup "queue, rule, publisher: $(tail -n 3 "$work/setup.log")"
moto_enforce "$work/moto" || fail_setup "cannot turn moto's checks on"
qurl=$(jq -r .queue_url "$work/ev/events.json")
if [ "$(jq -r .sqs_statement_added "$work/ev/events.json")" = true ]; then
    echo "# policy/fleet-publisher-policy.json has no SQS statement: added here"
fi

# /dev/log in this namespace only.
syslog_sink_start "$work" "$work/syslog.txt"

mkdir -m 0700 "$work/keys"
openssl genpkey -algorithm ed25519 -out "$work/keys/sign.pem" 2>/dev/null ||
    fail_setup "openssl genpkey failed"
chmod 0600 "$work/keys/sign.pem"
mkdir -p "$work/metrics" "$work/db"

# conf FILE LINE...: a config file (root's, 0600) with the lines given.
conf() {
    local f=$1
    shift
    printf '%s\n' "$@" >"$f"
    chmod 0600 "$f"
}
common=("IMDS_ENDPOINT=\"$url\"" "S3_ENDPOINT=\"$url\""
    'SUDOERS_GROUPS="admins"' 'MAX_CALLS_PER_SECOND=100'
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"')
publisher=("${common[@]}" "IAM_ENDPOINT=\"$url\"" "STS_ENDPOINT=\"$url\""
    "SIGNING_KEY=\"$work/keys/sign.pem\"" "TEXTFILE_DIR=\"$work/metrics\"")
conf "$work/plain.conf" "${publisher[@]}"
conf "$work/pub.conf" "${publisher[@]}" "EVENT_QUEUE_URL=\"$qurl\"" \
    'FULL_SYNC_INTERVAL="20s"'
pubkey_line=$("$build/iam-sync" --config "$work/plain.conf" \
    --print-public-key 2>"$work/err") ||
    fail_setup "--print-public-key: $(cat "$work/err")"
conf "$work/inst.conf" "${common[@]}" "SOURCE=\"$src\"" "$pubkey_line"

# ev COMMAND ARGS...: events_setup.py as events-admin (IAM changes,
# announcements, the queue, the object), moto's checks on.
ev() {
    local cmd=$1
    shift
    python3 "$here/events_setup.py" "$cmd" --endpoint "$url" \
        --admin "$work/ev/admin.env" --queue-url "$qurl" \
        --object "$bucket/$key" "$@"
}
etag() {
    ev etag
}
depth() { # "VISIBLE INFLIGHT"
    ev depth
}

# with CREDS CMD...: CMD with the AWS credentials of an env file only, in
# this process (exec): a caller that puts it in the background with &
# gets CMD's own PID in $!.
with() {
    local creds=$1
    shift
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
        AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
    set -a
    # shellcheck disable=SC1090
    . "$creds"
    set +a
    exec "$@"
}

# start_follower CONF LOG: the follower in the background ($follow_pid),
# as the publisher user; stderr to LOG.
start_follower() {
    (with "$work/ev/publisher.env" "$build/iam-sync" --config "$1" --verbose \
        --publish "$src") >"$work/follow.out" 2>"$2" </dev/null &
    follow_pid=$!
}
log=$work/follow.err

# eventually SECONDS CMD...: CMD succeeds within SECONDS (polled).
eventually() {
    local limit=$1 end
    shift
    end=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.2
    done
}
# mark: the number of lines of the follower's log so far; since MARK:
# the lines after it.
mark() {
    wc -l <"$log"
}
since() {
    tail -n +$(($1 + 1)) "$log" | norm
}
# norm: log lines as syslog has them: "iam-sync: TEXT" (stderr names the
# priority too: "iam-sync: info: TEXT").
norm() {
    sed -E 's/^iam-sync: (debug|info|notice|warning|error|critical|alert|emergency|err|crit|emerg): /iam-sync: /'
}
# has FILE ERE: a line of that log matches.
has() {
    norm <"$1" | grep -qE -- "$2"
}
# ids_logged IDS_FILE WHAT: a "WHAT message ID: " line for every id.
ids_logged() {
    local id
    while read -r id; do
        has "$log" "^iam-sync: $2 message $id: " || return 1
    done <"$1"
}
# seen MARK ERE: a line after MARK matches.
seen() {
    since "$1" | grep -qE -- "$2"
}
# line MARK ERE: the first such line.
line() {
    since "$1" | grep -E -- "$2" | head -n 1
}
# quiet_window: returns once a reconcile has just ended, so that nothing
# but events happens for most of FULL_SYNC_INTERVAL (20 s): a change made
# now is published by its event, not by a reconcile that saw it first.
quiet_window() {
    local m
    m=$(mark)
    eventually 60 seen "$m" '^iam-sync: reconcile \('
}
# calls_of LINE: the IAM calls an "event batch" or "reconcile" line counts.
calls_of() {
    sed -nE 's/.*: ([0-9]+) IAM calls, .*/\1/p' <<<"$1"
}
metric() { # metric NAME: its value in the follower's textfile
    awk -v n="nss_iam_publisher_$1" '$1 == n { print $2 }' \
        "$work/metrics/nss_iam_publisher.prom" 2>/dev/null
}
changed_from() { # changed_from ETAG: the object's ETag is another
    local now
    now=$(etag) && [ "$now" != none ] && [ "$now" != "$1" ]
}
queue_empty() {
    [ "$(depth)" = "0 0" ]
}
one_visible() {
    [ "$(depth)" = "1 0" ]
}
not_running() {
    ! kill -0 "$1" 2>/dev/null
}
not() {
    ! "$@"
}

# inst: an instance's sync from the object (as test_fleet.sh runs one);
# served KEY_ID: that key is in the instance's snapshot.
inst() {
    (with "$work/instance.env" "$build/iam-sync" --config "$work/inst.conf" \
        --db "$work/db/passwd.mdb" --json) >"$work/inst.out" \
        2>"$work/inst.err" </dev/null
}
served() {
    "$build/tests/dumpsnapshot" "$work/db/passwd.mdb" |
        awk -v k="$1" '$1 == "key" && $3 == k { f = 1 } END { exit !f }'
}
none_served() {
    local k
    for k in "$@"; do
        served "$k" && return 1
    done
    return 0
}
user_served() {
    "$build/tests/dumpsnapshot" "$work/db/passwd.mdb" |
        awk -v u="$1" '$1 == "user" && $2 == u { f = 1 } END { exit !f }'
}
key_ids() { # key_ids USER: the user's key ids in IAM
    moto_list_keys "$1"
}
moto_list_keys() {
    (with "$work/ev/admin.env" python3 - "$url" "$1") <<'EOF'
import sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
for k in iam.list_ssh_public_keys(UserName=sys.argv[2])["SSHPublicKeys"]:
    print(k["SSHPublicKeyId"], k["Status"])
EOF
}

# A well-formed event as the rule delivers it, sent straight to the queue:
# event_body EVENT_NAME REQUEST_PARAMETERS_JSON [ERROR_CODE].
event_body() {
    python3 - "$@" <<'EOF'
import json
import sys
import uuid
name, params = sys.argv[1], json.loads(sys.argv[2])
detail = {
    "eventVersion": "1.09", "eventSource": "iam.amazonaws.com",
    "eventName": name, "awsRegion": "us-east-1",
    "eventTime": "2026-01-01T00:00:00Z",
    "userIdentity": {"type": "IAMUser", "accountId": "123456789012",
                     "userName": "events-admin"},
    "requestParameters": params, "responseElements": None,
    "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()),
    "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
    "recipientAccountId": "123456789012", "eventCategory": "Management"}
if len(sys.argv) > 3:
    detail["errorCode"] = sys.argv[3]
    detail["errorMessage"] = "The request failed."
print(json.dumps({
    "version": "0", "id": str(uuid.uuid4()),
    "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
    "account": "123456789012", "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1", "resources": [], "detail": detail}))
EOF
}

# ---- (a) start: a full publish, then following ----

check_eq "no object before the follower starts" none "$(etag)"
: >"$log"
start_follower "$work/pub.conf" "$log"
check "the follower starts: says what it follows and how often it reconciles" \
    eventually "$BOUND" has "$log" \
    "^iam-sync: following EVENT_QUEUE_URL ${qurl//./\\.}: a full reconcile every 20 s$"
check "... a full reconcile at start publishes the object" \
    eventually "$BOUND" has "$log" \
    '^iam-sync: reconcile \(start\): [0-9]+ IAM calls, published;'
etag0=$(etag)
check "... the object exists ($etag0)" test "$etag0" != none
check_eq "... the metrics textfile says up 1" 1 "$(metric up)"
if not_running "$follow_pid"; then
    tap_not_ok "the follower is running"
    tail -n 5 "$log" | sed 's/^/# /'
    tap_done
    exit 1
fi
inst
check_eq "an instance takes the object" "0|published" \
    "$?|$(jq -r .result "$work/inst.out" 2>/dev/null)"
bob_key=$(key_ids bob.smith | awk '$2 == "Active" && !f { print $1; f = 1 }')
check "... and serves bob.smith's key $bob_key" served "$bob_key"

# ---- (b) a key deleted in IAM, and announced ----

quiet_window
m=$(mark)
etag1=$(etag)
ev iam --announce delete-key:bob.smith >"$work/deleted" 2>&1
check_eq "bob.smith's first active key deleted in IAM and announced" \
    "bob.smith $bob_key" "$(cat "$work/deleted")"
check "the object changes within $BOUND s (a new ETag)" \
    eventually "$BOUND" changed_from "$etag1"
batch=$(line "$m" '^iam-sync: event batch: ')
check "... by one event batch: 1 message, 1 hint, published" grep -qE \
    '^iam-sync: event batch: 1 messages, 1 hints, 0 ignored, 0 malformed: [0-9]+ IAM calls, published, [0-9.]+ s$' \
    <<<"$batch"
check "... which made a few IAM calls, not a full read ($(calls_of "$batch"))" \
    test "$(calls_of "$batch")" -le 3
check "... and no reconcile in between" \
    bash -c '! grep -q "^iam-sync: reconcile" <<<"$1"' _ "$(since "$m")"
check "the message is deleted from the queue" eventually "$BOUND" queue_empty
inst
check_eq "an instance's next sync takes the new object" "0|published" \
    "$?|$(jq -r .result "$work/inst.out" 2>/dev/null)"
check "... and no longer serves the deleted key" \
    not served "$bob_key"

# ---- (c) a change nobody announced: the reconcile repairs it ----

# grace holds a key and is in no group; the event of adding her to
# ssh-users is lost (made in IAM, never announced).
m=$(mark)
etag2=$(etag)
ev iam add-to-group:grace:ssh-users
check "a lost event: the next periodic reconcile publishes the change" \
    eventually $((BOUND + 40)) seen "$m" \
    '^iam-sync: reconcile \(interval\): [0-9]+ IAM calls, published;'
rec=$(line "$m" '^iam-sync: reconcile \(interval\): ')
check "... and counts what the events missed: 1 user, 1 membership, 1 key" \
    grep -qE 'missed by events: 1 users, 1 memberships, 1 keys$' <<<"$rec"
check "... a new object" changed_from "$etag2"
check "... nss_iam_publisher_reconcile_drift_total > 0 ($(metric reconcile_drift_total))" \
    test "$(metric reconcile_drift_total)" -gt 0
inst
check "... an instance serves grace now" user_served grace

# ---- (d) forged messages: at most a re-read ----

quiet_window
m=$(mark)
etag3=$(etag)
alice_key=$(key_ids alice | awk 'NR == 1 { print $1 }')
forged=$(event_body DeleteSSHPublicKey \
    "{\"userName\": \"alice\", \"sSHPublicKeyId\": \"$alice_key\"}")
ev send "$forged" >"$work/forged.id"
check "a forged event (alice's key deleted; it is not): one batch, unchanged" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: event batch: 1 messages, 1 hints, 0 ignored, 0 malformed: [0-9]+ IAM calls, unchanged,'
check_eq "... the object is the same (ETag)" "$etag3" "$(etag)"
check "... the message is deleted" eventually "$BOUND" queue_empty
m=$(mark)
ev send "$(event_body UploadSSHPublicKey \
    '{"userName": "nobody-here", "sSHPublicKeyBody": "ssh-ed25519 AAAA"}')" \
    >/dev/null
check "an event naming a user IAM does not have: one batch, unchanged" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: event batch: 1 messages, 1 hints, 0 ignored, 0 malformed: [0-9]+ IAM calls, unchanged,'
check_eq "... the object is the same (ETag)" "$etag3" "$(etag)"
check "... the message is deleted" eventually "$BOUND" queue_empty

# ---- (e) malformed messages: logged, a reconcile, nothing wrong ----

m=$(mark)
ev send 'this is not JSON {' \
    '{"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": ["not", "an", "object"]}' \
    "$(event_body DeleteSSHPublicKey \
        '{"userName": "bob smith;rm -rf /", "sSHPublicKeyId": "APKAEXAMPLE"}')" \
    >"$work/malformed.ids"
check "three malformed messages (not JSON, wrong shape, a bad name): each logged by id" \
    eventually "$BOUND" ids_logged "$work/malformed.ids" malformed
check "... each says a full reconcile follows" bash -c '
    [ "$(grep -cE "^iam-sync: malformed message [^ ]+: .+; a full reconcile follows$" <<<"$1")" = 3 ]' \
    _ "$(since "$m")"
check "... a full reconcile follows, and changes nothing" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: reconcile \(malformed\): [0-9]+ IAM calls, unchanged; missed by events: 0 users, 0 memberships, 0 keys$'
check_eq "... the object is the same (ETag)" "$etag3" "$(etag)"
check "... the messages are deleted" eventually "$BOUND" queue_empty
check "... nss_iam_publisher_messages_malformed_total >= 3" \
    test "$(metric messages_malformed_total)" -ge 3

# ---- (f) events that change nothing served: ignored ----

m=$(mark)
ev send "$(event_body AttachUserPolicy \
    '{"userName": "alice", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}')" \
    "$(event_body DeleteSSHPublicKey \
        "{\"userName\": \"alice\", \"sSHPublicKeyId\": \"$alice_key\"}" \
        NoSuchEntityException)" >"$work/ignored.ids"
# The rule never delivers AttachUserPolicy (not in its eventName list):
# sent straight to the queue, as anyone allowed to send could.
check "an unknown eventName and a failed call (errorCode): each ignored and logged by id" \
    eventually "$BOUND" ids_logged "$work/ignored.ids" ignored
check_eq "... no reconcile for them, the object is the same (ETag)" \
    "|$etag3" "$(line "$m" '^iam-sync: reconcile \(malformed\)')|$(etag)"
check "... the messages are deleted" eventually "$BOUND" queue_empty

# ---- (g) a burst: one batch ----

keys3=()
for u in alice heidi first.last@example.com; do
    keys3+=("$(key_ids "$u" | awk '$2 == "Active" && !f { print $1; f = 1 }')")
done
quiet_window
m=$(mark)
etag4=$(etag)
ev iam --announce delete-key:alice delete-key:heidi \
    delete-key:first.last@example.com >"$work/burst" 2>&1
check "a burst: three keys deleted in IAM, three events, one batch of 3 messages, 3 hints, published" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: event batch: 3 messages, 3 hints, 0 ignored, 0 malformed: [0-9]+ IAM calls, published,'
check_eq "... and no other batch" 1 \
    "$(since "$m" | grep -c '^iam-sync: event batch: [1-9]')"
batch=$(line "$m" '^iam-sync: event batch: 3 messages')
check "... a few IAM calls, not a full read ($(calls_of "$batch"))" \
    test "$(calls_of "$batch")" -le 6
check "... a new object" changed_from "$etag4"
check "... the messages are deleted" eventually "$BOUND" queue_empty
inst
check "... an instance serves none of the three keys" none_served "${keys3[@]}"

# ---- (h) SIGHUP: a full reconcile now ----

m=$(mark)
kill -HUP "$follow_pid"
check "SIGHUP: a reconcile (signal), which finds nothing missed" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: reconcile \(signal\): [0-9]+ IAM calls, unchanged; missed by events: 0 users, 0 memberships, 0 keys$'

# ---- (j) S3 refuses the PUT: the messages stay ----

ev iam deny-put:on
dan_key=$(key_ids dana | awk '$2 == "Active" && !f { print $1; f = 1 }')
quiet_window
m=$(mark)
etag5=$(etag)
ev iam --announce delete-key:dana >/dev/null
check "S3 refuses the PUT: the batch says failed" \
    eventually "$BOUND" seen "$m" \
    '^iam-sync: event batch: 1 messages, 1 hints, 0 ignored, 0 malformed: [0-9]+ IAM calls, failed,'
check "... the message is not deleted (still in the queue, hidden or not)" \
    bash -c '[ "$(("${1% *}" + "${1#* }"))" -ge 1 ]' _ "$(depth)"
check_eq "... the object is the same (ETag)" "$etag5" "$(etag)"
ev iam deny-put:off
check "S3 works again: the change is published" \
    eventually $((BOUND + 90)) changed_from "$etag5"
check "... the message is handled and deleted" \
    eventually $((BOUND + 90)) queue_empty
inst
check "... an instance no longer serves dana's deleted key" \
    not served "$dan_key"

# ---- (i) SIGTERM: ended at once (its default action: nothing is lost) ----

check "the metrics count messages, batches, reconciles, publishes, IAM calls" \
    bash -c '[ "$1" -ge 7 ] && [ "$2" -ge 5 ] && [ "$3" -ge 4 ] &&
        [ "$4" -ge 4 ] && [ "$5" -gt 0 ] && [ "$6" -gt 0 ]' _ \
    "$(metric messages_total)" "$(metric event_batches_total)" \
    "$(metric reconciles_total)" "$(metric publishes_total)" \
    "$(metric iam_calls_total)" "$(metric last_publish_timestamp_seconds)"
kill -TERM "$follow_pid"
check "SIGTERM: the follower exits within $BOUND s" \
    eventually "$BOUND" not_running "$follow_pid"
wait "$follow_pid"
check_eq "... ended by the signal (status 128 + 15)" 143 $?
follow_pid=

# ---- a queue that cannot be read: a reconcile, retried ----

# The publisher policy names one queue: another one is refused.

conf "$work/noqueue.conf" "${publisher[@]}" \
    "EVENT_QUEUE_URL=\"${qurl%/*}/no-such-queue\"" 'FULL_SYNC_INTERVAL="20s"'
: >"$work/noqueue.err"
(with "$work/ev/publisher.env" "$build/iam-sync" \
    --config "$work/noqueue.conf" --verbose --publish "$src") >/dev/null \
    2>"$work/noqueue.err" </dev/null &
other_pid=$!
check "a queue the publisher may not read (AccessDenied): logged, a full reconcile follows" \
    eventually "$BOUND" has "$work/noqueue.err" \
    '^iam-sync: cannot receive from the event queue: .*AccessDenied.*; a full reconcile follows'
check "... the reconcile (queue)" eventually "$BOUND" has "$work/noqueue.err" \
    '^iam-sync: reconcile \(queue\): [0-9]+ IAM calls, (unchanged|published);'
check "... and the queue is tried again, after a pause" \
    eventually "$BOUND" has "$work/noqueue.err" \
    '^iam-sync: cannot receive from the event queue: .+; retrying in [0-9]+ s$'
kill -TERM "$other_pid"
eventually "$BOUND" not_running "$other_pid"
wait "$other_pid"
check_eq "... and it too ends on SIGTERM" 143 $?
other_pid=

# ---- (k) --dry-run: one pass, nothing received ----

# A follower stopped during a long poll may leave the poll running at the
# queue, which takes the next message and hides it for the visibility
# timeout (60 s); it comes back then.
ev iam --announce delete-key:erin >/dev/null
check "an event waiting in the queue, visible" \
    eventually $((BOUND + 60)) one_visible
etag6=$(etag)
(with "$work/ev/publisher.env" timeout 120 "$build/iam-sync" \
    --config "$work/pub.conf" --verbose --publish "$src" --dry-run) \
    >"$work/dry.out" 2>"$work/dry.err" </dev/null
check_eq "--dry-run with EVENT_QUEUE_URL: one pass, exit 0" 0 $?
check "... follows nothing" bash -c '! grep -q "following EVENT_QUEUE_URL" "$1"' \
    _ "$work/dry.err"
check_eq "... receives nothing: the message is still there, visible" "1 0" \
    "$(depth)"
check_eq "... and puts nothing" "$etag6" "$(etag)"

tap_done
