#!/usr/bin/env bash
# Fleet publishing through S3 against moto_server (IAM and S3, signatures
# and policies enforced): iam-sync --publish signs what it fetched from
# IAM into one object and PUTs it; instances with SOURCE= GET it with
# If-None-Match and build the same snapshot a direct sync would. Every
# refusal (tampered, foreign key, rollback, too old, from the future,
# unknown format, a group the publisher did not fetch) keeps the previous
# snapshot byte for byte, and so does every S3 failure (missing object,
# access denied, S3 down). Objects for the refusal cases are made with
# the openssl command line, a second implementation of the format. An
# instance records its own instance id, never the publisher's: the
# MAX_REMOVE_PERCENT rule holds there, and a snapshot baked into an image
# on another instance is replaced whole (even when the object is the one
# that instance applied). Prints TAP.
# shellcheck source-path=SCRIPTDIR
# Programs run by bash -c are single-quoted on purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
. "$here/lib/tap.sh"
. "$here/lib/moto.sh"
. "$here/lib/imds.sh"

work=$(mktemp -d /tmp/nss-iam-fleet.XXXXXX) || exit 1
bucket=fleet-bucket
key=nss-iam/fleet.obj
src=s3://$bucket/$key

victim_pid=
cleanup() {
    if [ -n "$victim_pid" ]; then
        kill -KILL "$victim_pid" 2>/dev/null
        wait "$victim_pid" 2>/dev/null
    fi
    moto_stop "$work/moto"
    imds_stop "$work/imds"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- IAM, S3, keys, policies ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
man=$work/seed/manifest.json

# s3 OP [ARGS...]: S3 as an administrator would touch it, checks off
# (put FILE, get FILE, delete).
s3() {
    moto_auth_off "$work/moto" || return 1
    python3 - "$url" "$bucket" "$key" "$@" <<'EOF'
import sys
import boto3
url, bucket, key, op = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="admin", aws_secret_access_key="admin")
if op == "put":
    s3.put_object(Bucket=bucket, Key=key, Body=open(sys.argv[5], "rb").read())
elif op == "get":
    open(sys.argv[5], "wb").write(
        s3.get_object(Bucket=bucket, Key=key)["Body"].read())
elif op == "delete":
    s3.delete_object(Bucket=bucket, Key=key)
EOF
    local rc=$?
    moto_enforce "$work/moto" || return 1
    return $rc
}

# The publisher is the seeded sync user (iam-ssh-policy.json) with the
# publisher policy added; the instance is a user with only the instance
# policy: no IAM permission at all.
moto_auth_off "$work/moto" || fail_setup "cannot turn moto's checks off"
python3 "$here/fleet_setup.py" "$url" "$root/policy" "$bucket/$key" \
    "$work/instance.env" >"$work/setup.log" 2>&1 ||
    fail_setup "bucket and policies: $(tail -n 3 "$work/setup.log")"
moto_enforce "$work/moto" || fail_setup "cannot turn moto's checks on"
mkdir -m 0700 "$work/keys"
for k in sign other; do
    openssl genpkey -algorithm ed25519 -out "$work/keys/$k.pem" 2>/dev/null ||
        fail_setup "openssl genpkey failed"
    chmod 0600 "$work/keys/$k.pem"
done

# conf FILE LINE...: a config file (root's, 0600) with the lines given.
conf() {
    local f=$1
    shift
    printf '%s\n' "$@" >"$f"
    chmod 0600 "$f"
}

common=("IMDS_ENDPOINT=\"$url\"" "S3_ENDPOINT=\"$url\""
    'SUDOERS_GROUPS="admins"' 'MAX_CALLS_PER_SECOND=100')
conf "$work/pub.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "IAM_ENDPOINT=\"$url\"" "STS_ENDPOINT=\"$url\"" \
    "SIGNING_KEY=\"$work/keys/sign.pem\""
conf "$work/other.conf" "SIGNING_KEY=\"$work/keys/other.pem\""
conf "$work/direct.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "IAM_ENDPOINT=\"$url\"" "STS_ENDPOINT=\"$url\""

# run CREDS CONF [ARGS...]: iam-sync with the credentials of an env file;
# stdout to $work/out, stderr to $work/err; returns its status.
run() {
    local creds=$1 cfg=$2
    shift 2
    (
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
            AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
        set -a
        # shellcheck disable=SC1090
        . "$creds"
        set +a
        exec "$build/iam-sync" --config "$cfg" --verbose "$@"
    ) >"$work/out" 2>"$work/err" </dev/null
}
pub() {
    run "$work/seed/creds.env" "$work/pub.conf" --publish "$src" --json
}
inst() {
    run "$work/instance.env" "$work/inst.conf" --db "$work/db/passwd.mdb" \
        --json
}
# j KEY: a value of the JSON summary on stdout.
j() {
    jq -r ".$1" "$work/out" 2>/dev/null
}
body() {
    "$build/tests/dumpsnapshot" "$1" | grep -v '^meta '
}
snap() {
    cat "$work/db/passwd.mdb" "$work/db/passwd.mdb.fleet" 2>/dev/null |
        sha256sum | cut -d' ' -f1
}
err_has() {
    grep -q -- "$1" "$work/err" || {
        echo "stderr: $(cat "$work/err")"
        return 1
    }
}

# ---- publishing ----

run "$work/seed/creds.env" "$work/pub.conf" --print-public-key
pubkey_line=$(cat "$work/out")
check "--print-public-key prints the SIGNING_PUBLIC_KEY line" \
    grep -qE '^SIGNING_PUBLIC_KEY="[A-Za-z0-9+/]{43}="$' "$work/out"
run "$work/seed/creds.env" "$work/other.conf" --print-public-key
other_key=$(sed 's/.*="\(.*\)"/\1/' "$work/out")
sign_key=${pubkey_line#*=\"}
sign_key=${sign_key%\"}

pub
check_eq "publish: exit 0, published, GET (404) then PUT" "0|published|2" \
    "$?|$(j result)|$(j s3_calls)"
s3 get "$work/obj1" || fail_setup "cannot read the object back"
check "the object starts with its header line" \
    grep -qE "^nss-iam-fleet 1 created=[0-9]+ sha256=[0-9a-f]{64} source=$src ed25519=[A-Za-z0-9+/]{86}==\$" \
    <(head -n 1 "$work/obj1")

# craft OUT PAYLOAD CREATED [VERSION [KEY [SOURCE]]]: an object made with
# openssl.
craft() {
    local out=$1 payload=$2 created=$3 version=${4:-1}
    local pem=${5:-$work/keys/sign.pem} source=${6:-$src} sha head
    sha=$(sha256sum "$payload" | cut -d' ' -f1)
    head="nss-iam-fleet $version created=$created sha256=$sha source=$source"
    printf '%s\n' "$head" >"$work/signed-part"
    {
        printf '%s ed25519=%s\n' "$head" "$(openssl pkeyutl -sign \
            -inkey "$pem" -rawin -in "$work/signed-part" | base64 -w0)"
        cat "$payload"
    } >"$out"
}
tail -n +2 "$work/obj1" >"$work/payload1"
created1=$(head -n 1 "$work/obj1" | sed 's/.*created=\([0-9]*\).*/\1/')
craft "$work/obj1.again" "$work/payload1" "$created1"
check "the same object made again with openssl is byte-identical" \
    cmp "$work/obj1" "$work/obj1.again"

pub
check_eq "publish again, nothing changed: unchanged, no PUT, no \
GetSSHPublicKey (bodies come from the object in place)" "0|unchanged|1|0" \
    "$?|$(j result)|$(j s3_calls)|$(j get_key)"

# ---- an instance ----

mkdir -p "$work/db" "$work/direct" "$work/fresh"
conf "$work/inst.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "SOURCE=\"$src\"" "$pubkey_line"
inst
check_eq "instance: exit 0, published, no IAM call, one S3 call" \
    "0|published|0|1" "$?|$(j result)|$(j api_calls)|$(j s3_calls)"
run "$work/seed/creds.env" "$work/direct.conf" --db "$work/direct/passwd.mdb"
check_eq "a direct sync with the same settings" 0 $?
# The object lists keys and members in id order, IAM in its own: the same
# records, in another order.
canon() { # records sorted, and the members within each group line
    body "$1" | while read -r kind name id what members; do
        if [ "$kind" = group ]; then
            members=$(tr ' ' '\n' <<<"$members" | sort | tr '\n' ' ')
        fi
        echo "$kind $name $id $what $members"
    done | sort
}
check "the instance's snapshot serves what a direct sync serves" \
    diff <(canon "$work/db/passwd.mdb") <(canon "$work/direct/passwd.mdb")
"$build/iam-sync" --config "$work/inst.conf" --db "$work/db/passwd.mdb" \
    --status >"$work/status" 2>&1
check_eq "--status: healthy, source is the S3 object" "0|source:   $src" \
    "$?|$(grep '^source:' "$work/status")"

ino=$(stat -c %i "$work/db/passwd.mdb")
inst
check_eq "instance again: 304, unchanged, one S3 call, nothing read" \
    "0|unchanged|1|0" "$?|$(j result)|$(j s3_calls)|$(j s3_bytes)"
check_eq "... the snapshot file is the same one" "$ino" \
    "$(stat -c %i "$work/db/passwd.mdb")"

# --explain in fleet mode: the object, not IAM (the instance's
# credentials cannot read IAM), checked as a sync checks it.
run "$work/instance.env" "$work/inst.conf" --db "$work/db/passwd.mdb" \
    --explain alice
check_eq "--explain alice on an instance: exit 0" 0 $?
check "... from the object this instance applied last" grep -qF \
    "alice: the user's facts from the fleet object $src (the one this instance applied last)" \
    "$work/out"
check "... with the same decisions: sudo through admins" \
    grep -qF "yes: member of IAM group admins" "$work/out"
run "$work/instance.env" "$work/inst.conf" --db "$work/db/passwd.mdb" \
    --explain grace
check_eq "--explain grace (in no authorized group) on an instance: exit 1" \
    "1|1" "$?|$(grep -c 'refused: in none of the authorized groups' "$work/out")"
run "$work/instance.env" "$work/inst.conf" --db "$work/db/passwd.mdb" \
    --explain alice --offline
check_eq "--explain --offline on an instance: exit 0, from the snapshot" \
    "0|1" "$?|$(grep -c 'facts from the snapshot (--offline)' "$work/out")"

# Instance-local rules apply: this one grants no sudo.
conf "$work/nosudo.conf" "IMDS_ENDPOINT=\"$url\"" "S3_ENDPOINT=\"$url\"" \
    'IAM_AUTHORIZED_GROUPS="ssh-users"' "SOURCE=\"$src\"" "$pubkey_line"
run "$work/instance.env" "$work/nosudo.conf" --db "$work/nosudo.mdb" --json
check_eq "an instance with other settings (one group, no SUDOERS_GROUPS)" \
    0 $?
check "... serves its own choice: fewer users, nobody in iam-sudo" \
    bash -c '[ "$(grep -c "^user " <<<"$1")" -lt "$(grep -c "^user " <<<"$2")" ] &&
        grep -qE "^group iam-sudo [0-9]+ sudo [a-z]" <<<"$2" &&
        ! grep -qE "^group iam-sudo [0-9]+ sudo [a-z]" <<<"$1"' _ \
    "$(body "$work/nosudo.mdb")" "$(body "$work/db/passwd.mdb")"

# ---- an image made from a running instance fed from S3 ----

# The publisher's IMDS (moto's) says i-0123456789abcdef0; these instances'
# says A, then B. MAX_REMOVE_PERCENT=10: one group fewer is too many.
inst_a="i-0aaaaaaaaaaaaaaaa"
inst_b="i-0bbbbbbbbbbbbbbbb"
imds_start "$work/imds" "$inst_a" || fail_setup "the IMDS fixture did not start"
img=("IMDS_ENDPOINT=\"$(cat "$work/imds/imds.url")\"" "S3_ENDPOINT=\"$url\""
    'SUDOERS_GROUPS="admins"' 'MAX_REMOVE_PERCENT=10' "SOURCE=\"$src\""
    "$pubkey_line")
conf "$work/img.conf" "${img[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
conf "$work/img-few.conf" "${img[@]}" 'IAM_AUTHORIZED_GROUPS="data-science"'
mkdir -p "$work/img" "$work/baked"
imgrun() { # imgrun CONF [ARGS...]
    local cfg=$1
    shift
    run "$work/instance.env" "$cfg" --db "$work/img/passwd.mdb" --json "$@"
}
made_on() {
    "$build/tests/dumpsnapshot" "$work/img/passwd.mdb" |
        sed -n 's/^meta .* instance=\([^ ]*\) .*/\1/p'
}
imgrun "$work/img.conf"
check_eq "instance A applies the publisher's object: its own id recorded" \
    "0|published|$inst_a" "$?|$(j result)|$(made_on)"
cp -a "$work/img/." "$work/baked/"
imgrun "$work/img-few.conf"
check_eq "instance A, a group fewer: MAX_REMOVE_PERCENT refuses (exit 3)" \
    "3|refused" "$?|$(j result)"
check "... the object came from another instance: not a word about it" \
    bash -c '! grep -q "made on instance" "$1"' _ "$work/err"
imgrun "$work/img.conf"
check_eq "instance A again: 304, unchanged" "0|unchanged|0" \
    "$?|$(j result)|$(j s3_bytes)"

imds_set "$work/imds" "$inst_b"
imgrun "$work/img.conf"
check_eq "instance B, A's snapshot and state in place, the same object: \
downloaded (no 304) and published as B's" "0|published|$inst_b" \
    "$?|$(j result)|$(made_on)"
check "... one warning says why" err_has \
    "made on instance $inst_a, this is instance $inst_b (made on instance $inst_a before an image was taken?)"
check_eq "... and the state it keeps is B's: the next run is a 304" \
    "0|unchanged|0" "$(imgrun "$work/img.conf"; echo "$?|$(j result)|$(j s3_bytes)")"
rm -rf "$work/img" && cp -a "$work/baked" "$work/img"
imgrun "$work/img-few.conf" --dry-run
check_eq "instance B, A's snapshot, a group fewer: --dry-run exit 0" \
    "0|dry-run" "$?|$(jq -rs '.[-1].result' "$work/out")"
check "... and says why" err_has "made on instance $inst_a, this is instance $inst_b"
imgrun "$work/img-few.conf"
check_eq "... the sync replaces it whole (exit 0), B's" \
    "0|published|$inst_b" "$?|$(j result)|$(made_on)"
imgrun "$work/img-few.conf"
check_eq "... and from then on it is B's own: unchanged" "0|unchanged" \
    "$?|$(j result)"
imds_stop "$work/imds"

# ---- a change in IAM reaches the instance ----

moto_auth_off "$work/moto"
python3 "$here/sync_expect.py" change --manifest "$man" \
    --out "$work/manifest2.json" --endpoint "$url" \
    "delete-key:bob.smith:1" >"$work/deleted-key" 2>&1
moto_enforce "$work/moto"
gone=$(tail -n 1 "$work/deleted-key")
pub
check_eq "publish after a key was deleted in IAM: published" \
    "0|published" "$?|$(j result)"
s3 get "$work/obj2"
tail -n +2 "$work/obj2" >"$work/payload2"
inst
check_eq "instance: takes the new object" "0|published" "$?|$(j result)"
check "... the deleted key is gone from the snapshot" \
    bash -c '! grep -q -- "$1" <<<"$2"' _ "$gone" "$(body "$work/db/passwd.mdb")"

# ---- refusals: exit 3, the snapshot and what it remembers unchanged ----

before=$(snap)
refused() { # refused DESC WHAT-STDERR-SAYS
    inst
    check_eq "$1: exit 3" 3 $?
    check "... says why" err_has "$2"
    check_eq "... the snapshot is kept as it was" "$before" "$(snap)"
}

cp "$work/obj2" "$work/tampered"
sed -i '2s/"Active"/"Inactiv"/' "$work/tampered"
cmp -s "$work/obj2" "$work/tampered" || s3 put "$work/tampered"
refused "a tampered payload" "sha256 differs"
inst
check_eq "the tampered payload still in place: exit 3, a 304 (nothing \
read)" "3|0" "$?|$(j s3_bytes)"
check "... says it is the object refused earlier, and why" \
    err_has "is the one refused earlier: the payload is not the one signed"
check_eq "... the snapshot is kept as it was" "$before" "$(snap)"

craft "$work/foreign" "$work/payload2" "$(date +%s)" 1 \
    "$work/keys/other.pem"
s3 put "$work/foreign"
refused "an object signed by another key" "not by any SIGNING_PUBLIC_KEY"

s3 put "$work/obj1"
refused "the older object put back (rollback)" "rollback"

# Older than MAX_SNAPSHOT_AGE, for an instance that has nothing yet (an
# older object than the one in place is a rollback first).
craft "$work/old" "$work/payload2" $(($(date +%s) - 7200))
s3 put "$work/old"
run "$work/instance.env" "$work/inst.conf" --db "$work/fresh/passwd.mdb"
check_eq "an object older than MAX_SNAPSHOT_AGE: exit 3" 3 $?
check "... says why" err_has "MAX_SNAPSHOT_AGE"
check "... and no snapshot is made from it" \
    test ! -e "$work/fresh/passwd.mdb"
refused "the same object where a newer one was applied" "rollback"

craft "$work/future" "$work/payload2" $(($(date +%s) + 3600))
s3 put "$work/future"
refused "an object from the future" "in the future"

craft "$work/elsewhere" "$work/payload2" "$(date +%s)" 1 \
    "$work/keys/sign.pem" "s3://$bucket/nss-iam/staging.obj"
s3 put "$work/elsewhere"
refused "an object published for another SOURCE (same signing key)" \
    "published for s3://$bucket/nss-iam/staging.obj"

# A publisher does not replace an object created after it started (a
# second publisher's, or its own clock's future).
craft "$work/ahead" "$work/payload2" $(($(date +%s) + 300))
s3 put "$work/ahead"
pub
check_eq "publisher, a newer object in place: left alone" "0|unchanged" \
    "$?|$(j result)"
check "... and says so" err_has "created after this run started"

craft "$work/v2" "$work/payload2" "$(date +%s)" 2
s3 put "$work/v2"
refused "an object of an unknown format version" "format 2"

printf 'not an object\n' >"$work/garbage"
s3 put "$work/garbage"
refused "something else at the key" "not an nss-iam fleet object"

printf '{"users": 1}' >"$work/badjson"
craft "$work/badshape" "$work/badjson" "$(date +%s)"
s3 put "$work/badshape"
refused "a signed payload of the wrong shape" "expected shape"

# ---- a refused object costs its header, and then a 304 ----

# 32 MiB without a newline: refused by its first bytes, and the transfer
# stopped there. s3_bytes counts what was read (32 MiB before).
head -c $((32 * 1024 * 1024)) /dev/zero | tr '\0' x >"$work/huge"
s3 put "$work/huge"
refused "32 MiB without a header line" "no header line"
check "... read at most 64 KiB of it (s3_bytes $(j s3_bytes))" \
    test "$(j s3_bytes)" -le 65536
check "... and says so" err_has "read the first [0-9]* bytes of it"

# A header that is well-formed and signed, but for another SOURCE, then
# 32 MiB of payload: refused by the header, the payload not read.
craft "$work/elsewhere-huge" "$work/huge" "$(date +%s)" 1 \
    "$work/keys/sign.pem" "s3://$bucket/nss-iam/staging.obj"
s3 put "$work/elsewhere-huge"
refused "a signed header for another SOURCE, then 32 MiB" "published for"
check "... read at most 64 KiB of it (s3_bytes $(j s3_bytes))" \
    test "$(j s3_bytes)" -le 65536
check "... its ETag is remembered (.fleet-refused, 0644)" \
    test "$(stat -c %a "$work/db/passwd.mdb.fleet-refused")" = 644
inst
check_eq "the same object again: exit 3, a 304 (nothing read)" "3|0" \
    "$?|$(j s3_bytes)"
check "... says it is the object refused earlier, and why" \
    err_has "refused earlier: it was published for s3://$bucket/nss-iam/staging.obj"
check_eq "... the snapshot is kept as it was" "$before" "$(snap)"

s3 put "$work/obj2"
inst
check_eq "another object in place (a new ETag): judged afresh, taken" \
    "0|unchanged" "$?|$(j result)"
check "... the refusal is forgotten" \
    test ! -e "$work/db/passwd.mdb.fleet-refused"
before=$(snap)

# ---- rollback protection outlives the snapshot ----

mkdir -p "$work/wiped"
wiped() {
    run "$work/instance.env" "$work/inst.conf" --db "$work/wiped/passwd.mdb"
}
wiped
check_eq "an instance takes the newest object" 0 $?
created2=$(head -n 1 "$work/obj2" | sed 's/.*created=\([0-9]*\).*/\1/')
check_eq "... and records its created time (.fleet-newest, 0644)" \
    "$created2 $src|644" \
    "$(cat "$work/wiped/passwd.mdb.fleet-newest")|$(stat -c %a \
        "$work/wiped/passwd.mdb.fleet-newest")"
rm -f "$work/wiped/passwd.mdb" "$work/wiped/passwd.mdb.fleet"
s3 put "$work/obj1"
wiped
check_eq "the snapshot lost, the older object put back: exit 3" 3 $?
check "... says rollback" err_has "rollback"
check "... no snapshot is made from it" test ! -e "$work/wiped/passwd.mdb"
s3 put "$work/obj2"
wiped
check_eq "... the newest object again: taken" 0 $?
check_eq "... the record is not lowered by anything older" \
    "$created2 $src" "$(cat "$work/wiped/passwd.mdb.fleet-newest")"

s3 put "$work/obj2"
conf "$work/inst.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science,dev-team"' \
    "SOURCE=\"$src\"" "$pubkey_line"
refused "a group the publisher did not fetch" "group dev-team"

conf "$work/inst.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' "SOURCE=\"$src\""
refused "SOURCE without SIGNING_PUBLIC_KEY" \
    "SOURCE is set but SIGNING_PUBLIC_KEY is not"

# Rotation: the new key is listed beside the old one, then signs.
conf "$work/inst.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' "SOURCE=\"$src\"" \
    "SIGNING_PUBLIC_KEY=\"$sign_key,$other_key\""
craft "$work/rotated" "$work/payload2" "$(date +%s)" 1 \
    "$work/keys/other.pem"
s3 put "$work/rotated"
inst
check_eq "key rotation: an object by the second listed key is taken" \
    "0|unchanged" "$?|$(j result)"

# A 304 does not keep an object alive past MAX_SNAPSHOT_AGE.
conf "$work/stale.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' "SOURCE=\"$src\"" \
    "$pubkey_line" 'MAX_SNAPSHOT_AGE=60'
# 50 s old when made: the first run has 10 s to take it (an S3 put in
# between on a busy machine), and the second waits until it is past 60.
aging_at=$(($(date +%s) - 50))
craft "$work/aging" "$work/payload2" "$aging_at"
s3 put "$work/aging"
mkdir -p "$work/stale"
run "$work/instance.env" "$work/stale.conf" --db "$work/stale/passwd.mdb"
check_eq "an object 50 s old, MAX_SNAPSHOT_AGE=60: taken" 0 $?
now=$(date +%s)
[ "$now" -gt $((aging_at + 61)) ] || sleep $((aging_at + 62 - now))
# The snapshot and every state file beside it, byte for byte.
stale_state() {
    sha256sum "$work/stale/passwd.mdb" "$work/stale/passwd.mdb".fleet*
}
stale_before=$(stale_state)
run "$work/instance.env" "$work/stale.conf" --db "$work/stale/passwd.mdb"
check_eq "past 60 s, not modified (304) but now too old: exit 3" 3 $?
check "... says why" err_has "not modified, and"
check_eq "... the snapshot and its state files are kept" "$stale_before" \
    "$(stale_state)"

# ---- S3 failures: exit 1, the snapshot kept ----

before=$(snap)
s3 delete
inst
check_eq "the object is missing (404): exit 1" 1 $?
check "... says so" err_has "HTTP 404"
check_eq "... the snapshot is kept" "$before" "$(snap)"

conf "$work/elsewhere.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "SOURCE=\"s3://$bucket/nss-iam/another.obj\"" "$pubkey_line"
run "$work/instance.env" "$work/elsewhere.conf" --db "$work/db/passwd.mdb"
check_eq "an object the instance policy does not cover (403): exit 1" 1 $?
check "... says AccessDenied" err_has "AccessDenied"
check_eq "... the snapshot is kept" "$before" "$(snap)"

run "$work/instance.env" "$work/pub.conf" --publish "$src"
check_eq "the instance's credentials cannot publish: exit 1" 1 $?
check "... S3 says AccessDenied" err_has "AccessDenied"

dead=$(free_port)
conf "$work/down.conf" "IMDS_ENDPOINT=\"$url\"" \
    "S3_ENDPOINT=\"http://127.0.0.1:$dead\"" 'HTTP_TIMEOUT_MS=500' \
    'SYNC_TIMEOUT=5' 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "SOURCE=\"$src\"" "$pubkey_line"
run "$work/instance.env" "$work/down.conf" --db "$work/db/passwd.mdb"
check_eq "S3 down: exit 1" 1 $?
check "... names the request" err_has "S3 GET $src"
check_eq "... the snapshot is kept" "$before" "$(snap)"

pub
check_eq "publish where the object was deleted: published (If-None-Match: *)" \
    "0|published" "$?|$(j result)"

# The publisher reads the object in place for its key bodies: 32 MiB of
# garbage there is refused by its first bytes too, and replaced.
s3 put "$work/huge"
pub
check_eq "publish over 32 MiB of garbage: published" "0|published" \
    "$?|$(j result)"
check "... read at most its first 64 KiB (s3_bytes $(j s3_bytes), the \
PUT included)" test "$(j s3_bytes)" -le $((64 * 1024 + $(wc -c <"$work/obj2")))

# A publisher that reads IAM slowly (one call per second here) while
# another object is put: its PUT (of other content: one group) is
# conditional on what it read, and S3 refuses it (412).
conf "$work/slow.conf" "${common[@]}" 'IAM_AUTHORIZED_GROUPS="ssh-users"' \
    "IAM_ENDPOINT=\"$url\"" "STS_ENDPOINT=\"$url\"" \
    "SIGNING_KEY=\"$work/keys/sign.pem\"" 'MAX_CALLS_PER_SECOND=1'
(
    set -a
    # shellcheck disable=SC1091
    . "$work/seed/creds.env"
    set +a
    exec "$build/iam-sync" --config "$work/slow.conf" --verbose --json \
        --publish "$src"
) >"$work/slow.out" 2>"$work/slow.err" </dev/null &
slow_pid=$!
sleep 3
craft "$work/meanwhile" "$work/payload2" "$(date +%s)"
s3 put "$work/meanwhile"
wait "$slow_pid"
check_eq "a slow publisher, an object put meanwhile: exit 0, not replaced" \
    "0|unchanged" "$?|$(jq -r .result "$work/slow.out" 2>/dev/null)"
check "... it says another publisher put an object" \
    grep -q "another publisher put an object" "$work/slow.err"
s3 get "$work/after-race"
check "... the object in place is the one put meanwhile" \
    cmp "$work/meanwhile" "$work/after-race"

# ---- bad settings: exit 2 before anything ----

run "$work/seed/creds.env" "$work/pub.conf" --publish "s3://Bad_Bucket/x"
check_eq "--publish with a bad bucket name: exit 2" 2 $?
conf "$work/bad.conf" 'SOURCE="s3://fleet-bucket/a//b"'
run "$work/instance.env" "$work/bad.conf" --db "$work/db/passwd.mdb"
check_eq "SOURCE with an empty key segment: exit 2" 2 $?
check "... names the file and line" err_has "bad.conf:1"
conf "$work/bad.conf" '# the key' 'SIGNING_PUBLIC_KEY="abc"'
run "$work/instance.env" "$work/bad.conf" --db "$work/db/passwd.mdb"
check_eq "SIGNING_PUBLIC_KEY that is not a key: exit 2" 2 $?
check "... names the file and line" err_has "bad.conf:2"
s3 get "$work/before-bad-key"
chmod 0644 "$work/keys/sign.pem"
pub
check_eq "SIGNING_KEY readable by others: refused, exit 1" 1 $?
check "... says what to do" err_has "chmod 0600"
chmod 0600 "$work/keys/sign.pem"
s3 get "$work/after-bad-key"
check "... and put no object" cmp "$work/before-bad-key" \
    "$work/after-bad-key"

# ---- keys in IAM user tags (TAG_KEYS) travel in the object ----

moto_auth_off "$work/moto"
python3 - "$url" <<'EOF'
import sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
iam.tag_user(UserName="alice", Tags=[{"Key": "ssh-key-laptop", "Value":
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3S6LVKw+6LAa"}])
EOF
moto_enforce "$work/moto"
conf "$work/tagpub.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "IAM_ENDPOINT=\"$url\"" "STS_ENDPOINT=\"$url\"" \
    "SIGNING_KEY=\"$work/keys/sign.pem\"" 'TAG_KEYS="yes"'
conf "$work/taginst.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "SOURCE=\"$src\"" "$pubkey_line" 'TAG_KEYS="yes"'
tagkey() { # DB: alice's key from the tag, "STATUS DATE"
    "$build/tests/dumpsnapshot" "$1" |
        awk '$1 == "key" && $2 == "alice" && $3 == "tag:ssh-key-laptop" {
            print $4, $5 }'
}
run "$work/seed/creds.env" "$work/tagpub.conf" --publish "$src" --json
check_eq "a publisher with TAG_KEYS=yes: published, ListUserTags made" \
    "0|published|yes" \
    "$?|$(j result)|$([ "$(j list_tags)" -gt 0 ] && echo yes)"
mkdir -p "$work/tagdb"
run "$work/instance.env" "$work/taginst.conf" --db "$work/tagdb/passwd.mdb" \
    --json
check_eq "an instance with TAG_KEYS=yes takes it, with no IAM call" \
    "0|published|0" "$?|$(j result)|$(j api_calls)"
first=$(tagkey "$work/tagdb/passwd.mdb")
check "... and serves alice's key from her tag ($first)" \
    grep -q '^active [0-9]' <<<"$first"
sleep 1.1 # a new first sight would now differ by a second
run "$work/seed/creds.env" "$work/tagpub.conf" --publish "$src" --json
check_eq "the publisher again: the key's first sight comes from the object in place, nothing to put" \
    "0|unchanged" "$?|$(j result)"
mkdir -p "$work/notagdb"
run "$work/instance.env" "$work/inst.conf" --db "$work/notagdb/passwd.mdb" \
    --json
check_eq "an instance with TAG_KEYS=no: takes the object, serves no tag key" \
    "0|" "$?|$(tagkey "$work/notagdb/passwd.mdb")"

# ---- a user removed in IAM: the instance ends the user's processes ----

# What a direct sync ends, an instance applying the object ends too. A
# fresh object (the one in place is the race's), a fresh instance and a
# direct sync, both made before last,first leaves ssh-users; a process of
# the user's uid stands for a session (the uid is IAM's, out of every
# local range: nothing else on this machine runs as it).
s3 delete
pub
check_eq "publish a fresh object" "0|published" "$?|$(j result)"
mkdir -p "$work/term" "$work/term-direct"
conf "$work/term.conf" "${common[@]}" \
    'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"' \
    "SOURCE=\"$src\"" "$pubkey_line" 'TERMINATE_GRACE="2s"'
term_inst() {
    run "$work/instance.env" "$work/term.conf" --db "$work/term/passwd.mdb" \
        --json
}
term_inst
check_eq "a fresh instance applies it" "0|published" "$?|$(j result)"
run "$work/seed/creds.env" "$work/direct.conf" \
    --db "$work/term-direct/passwd.mdb"
check_eq "... and so does a direct sync" 0 $?
lf_uid=$(body "$work/term/passwd.mdb" |
    awk '$1 == "user" && $2 == "last.comma.first" { print $3 }')
check "last.comma.first is served, with an IAM uid" \
    test "${lf_uid:-0}" -ge 2000000000
setpriv --reuid="$lf_uid" --regid="$lf_uid" --clear-groups sleep 1000 &
victim_pid=$!
moto_auth_off "$work/moto"
python3 - "$url" <<'EOF'
import sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
iam.remove_user_from_group(GroupName="ssh-users", UserName="last,first")
EOF
moto_enforce "$work/moto"
run "$work/seed/creds.env" "$work/direct.conf" \
    --db "$work/term-direct/passwd.mdb" --dry-run --json
direct_ended=$(jq -rs '.[-1].ended[] | "\(.user) \(.uid) \(.processes)"' \
    "$work/out")
check_eq "a direct sync would end last.comma.first's one process" \
    "last.comma.first $lf_uid 1" "$direct_ended"
pub
check_eq "publish after last,first left ssh-users" "0|published" \
    "$?|$(j result)"
term_inst
check_eq "the instance applies it" "0|published" "$?|$(j result)"
check_eq "... and ends the same user as the direct sync" "$direct_ended" \
    "$(jq -r '.ended[] | "\(.user) \(.uid) \(.processes)"' "$work/out")"
for ((i = 0; i < 300; i++)); do
    kill -0 "$victim_pid" 2>/dev/null || break
    sleep 0.1
done
check_fails "... the process is gone" kill -0 "$victim_pid"
check "... logged with the user and uid" err_has \
    "ended user last.comma.first (uid $lf_uid)"
kill -KILL "$victim_pid" 2>/dev/null
wait "$victim_pid" 2>/dev/null
victim_pid=

# shellcheck disable=SC2154 # tap_n: set by tap.sh
echo "1..$tap_n"
