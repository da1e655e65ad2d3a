#!/usr/bin/env bash
# iam-sync over TLS, and what it never logs.
#
# moto (plain http on 127.0.0.1, "basic" scenario, signature and policy
# checks on) sits behind aws_proxy.py instances that terminate TLS with
# certificates made here for this run by the openssl command line: a
# throw-away CA, a server certificate from it for 127.0.0.1/localhost, one
# from it for another host name, one from it that expired, and a
# self-signed one for 127.0.0.1. iam-sync is told about the private CA by
# AWS_CA_BUNDLE, as the AWS CLI is. Checks:
#   - with the CA, a sync over https publishes a snapshot;
#   - an unknown issuer (no AWS_CA_BUNDLE, or a self-signed certificate),
#     a wrong host name and an expired certificate are refused: exit 1, an
#     error naming the TLS certificate, no retry, the snapshot untouched;
#   - an AWS_CA_BUNDLE that is not a readable file stops iam-sync at once;
#   - plain http goes to loopback only;
#   - with session credentials, --verbose and the proxy answering with
#     throttling, 5xx, broken connections and a bad signature, neither the
#     secret key, nor the session token, nor any request signature appears
#     on stderr, stdout or syslog (a sink on /dev/log in a private mount
#     namespace, as in test_keys_cmd.sh).
# Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"
# shellcheck source=lib/syslog.sh
. "$here/lib/syslog.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
sync_bin=$build/iam-sync
dump_bin=$build/tests/dumpsnapshot

work=$(mktemp -d /tmp/nss-iam-tls.XXXXXX) || exit 1
proxy_pids=()
sink_pid=

cleanup() {
    local p
    for p in "${proxy_pids[@]}" $sink_pid; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    moto_stop "$work/moto"
    if mountpoint -q "$work/ns"; then
        umount -l "$work/ns"
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$sync_bin" "$dump_bin"; do
    [ -x "$f" ] || fail_setup "$f is missing (make all test-helpers)"
done
command -v openssl >/dev/null || fail_setup "openssl is not installed"

# ---- certificates ----

pki=$work/pki
mkdir -p "$pki"

# ossl ARGS...: openssl, quiet unless it fails.
ossl() {
    openssl "$@" >>"$pki/openssl.log" 2>&1
}

# make_ca NAME: a CA certificate NAME.pem and its key.
make_ca() {
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=nss-iam $1" \
        -keyout "$pki/$1.key" -out "$pki/$1.pem" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign
}

# make_csr NAME SAN: a key and a request for the names SAN.
make_csr() {
    ossl req -newkey rsa:2048 -nodes -subj "/CN=${2#*:}" \
        -keyout "$pki/$1.key" -out "$pki/$1.csr" &&
        printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2" \
            >"$pki/$1.ext"
}

# sign NAME: NAME.csr signed by the test CA, valid from now on.
sign() {
    ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
        -CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem"
}

# sign_expired NAME: NAME.csr signed by the test CA, valid for one day in
# 2020 ("openssl x509" cannot backdate; "openssl ca" can).
sign_expired() {
    mkdir -p "$pki/db"
    : >"$pki/db/index.txt"
    cat >"$pki/db/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $pki/db/index.txt
new_certs_dir = $pki/db
serial = $pki/db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
    echo 1000 >"$pki/db/serial"
    ossl ca -batch -config "$pki/db/ca.cnf" -cert "$pki/ca.pem" \
        -keyfile "$pki/ca.key" -in "$pki/$1.csr" -out "$pki/$1.pem" \
        -startdate 20200101000000Z -enddate 20200102000000Z \
        -extfile "$pki/$1.ext" -notext
}

make_ca ca || fail_setup "cannot make the test CA: $(tail -n 3 "$pki/openssl.log")"
{
    make_csr good "IP:127.0.0.1,DNS:localhost" && sign good &&
        make_csr wronghost "DNS:iam.wrong-host.example" && sign wronghost &&
        make_csr expired "IP:127.0.0.1,DNS:localhost" && sign_expired expired &&
        make_csr selfsigned "IP:127.0.0.1,DNS:localhost" &&
        ossl x509 -req -in "$pki/selfsigned.csr" -key "$pki/selfsigned.key" \
            -days 2 -extfile "$pki/selfsigned.ext" -out "$pki/selfsigned.pem"
} || fail_setup "cannot make the certificates: $(tail -n 3 "$pki/openssl.log")"
# The certificates are what their names say (so a refusal below is for
# the reason its check names).
ossl verify -CAfile "$pki/ca.pem" "$pki/good.pem" ||
    fail_setup "good.pem does not verify"
if ossl verify -CAfile "$pki/ca.pem" "$pki/expired.pem"; then
    fail_setup "expired.pem verifies"
fi
grep -q 'certificate has expired' "$pki/openssl.log" ||
    fail_setup "expired.pem is refused, but not as expired"

# ---- moto, proxies, syslog ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
moto=$(moto_url "$work/moto")

# start_proxy NAME: aws_proxy.py serving https with NAME.pem; sets
# port_NAME.
start_proxy() {
    local name=$1 pf=$work/proxy-$1.port pid
    python3 "$here/aws_proxy.py" --upstream "$moto" --port-file "$pf" \
        --tls-cert "$pki/$name.pem" --tls-key "$pki/$name.key" \
        --stall-seconds 5 --auth-log "$work/auth.log" \
        </dev/null >"$work/proxy-$name.log" 2>&1 &
    pid=$!
    proxy_pids+=("$pid")
    for _ in $(seq 100); do
        [ -s "$pf" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$pf" ] || fail_setup "proxy $name does not start: $(tail -n 3 \
        "$work/proxy-$name.log")"
    printf -v "port_$name" '%s' "$(cat "$pf")"
}
for n in good wronghost expired selfsigned; do
    start_proxy "$n"
done
# shellcheck disable=SC2154 # set by start_proxy
good=https://127.0.0.1:$port_good

# /dev/log in this namespace only.
syslog=$work/syslog.txt
syslog_sink_start "$work" "$syslog"

# proxy_ctl PATH?QUERY: one control request to the good proxy.
proxy_ctl() {
    curl -sS --max-time 5 -f --cacert "$pki/ca.pem" "$good/__proxy/$1"
}
proxy_ctl stats >/dev/null || fail_setup "the proxy does not answer over https"

# write_config FILE URL: IAM and STS at URL; IMDS at moto (plain http to
# loopback), never used with environment credentials.
write_config() {
    {
        echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
        echo 'SUDOERS_GROUPS="admins"'
        echo "IAM_ENDPOINT=\"$2\""
        echo "STS_ENDPOINT=\"$2\""
        echo "IMDS_ENDPOINT=\"$moto\""
        echo 'MAX_CALLS_PER_SECOND="100"'
        echo 'HTTP_TIMEOUT_MS="2000"'
        echo 'SYNC_TIMEOUT="20"'
    } >"$1"
    chmod 0644 "$1"
}

mkdir -p "$work/snap"
db=$work/snap/passwd.mdb
rc=

# run_sync CONFIG CREDS [VAR=VALUE...]: iam-sync --verbose with the
# credentials of the env file CREDS and the extra environment given (and
# no AWS_CA_BUNDLE from the caller's environment); sets
# rc, $work/out (stdout, --json) and $work/err (stderr).
run_sync() {
    local conf=$1 creds=$2
    shift 2
    (
        set -a
        # shellcheck source=/dev/null
        . "$creds"
        set +a
        exec env -u AWS_CA_BUNDLE "$@" "$sync_bin" --config "$conf" \
            --db "$db" --json --verbose
    ) >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    cat "$work/out" "$work/err" >>"$work/all-output"
}

creds=$work/seed/creds.env
ca_env=AWS_CA_BUNDLE=$pki/ca.pem

# ---- a private CA ----

write_config "$work/good.conf" "$good"
run_sync "$work/good.conf" "$creds" "$ca_env"
check_eq "AWS_CA_BUNDLE=ca.pem: the sync over https publishes" "0 published" \
    "$rc $(jq -r .result "$work/out" 2>/dev/null)"
[ "$rc" = 0 ] || sed 's/^/# /' "$work/err" | tail -n 5
[ -s "$db" ] || fail_setup "no snapshot to compare with"
cp "$db" "$work/before.mdb"

# refused DESC CONFIG WHY [VAR=VALUE...]: a sync that must be refused for
# its certificate: exit 1, stderr names the TLS certificate and WHY (an
# ERE on OpenSSL's reason), no retry, the snapshot byte for byte as before.
refused() {
    local desc=$1 conf=$2 why=$3
    shift 3
    run_sync "$conf" "$creds" "$@"
    check_eq "$desc: exit 1" 1 "$rc"
    if grep -q 'TLS certificate verification failed' "$work/err" &&
        grep -Eq -- "$why" "$work/err"; then
        tap_ok "$desc: stderr names the TLS certificate and /$why/"
        grep -m 1 'TLS certificate' "$work/err" | cut -c1-300 | sed 's/^/# /'
    else
        tap_not_ok "$desc: stderr names the TLS certificate and /$why/"
        tail -n 4 "$work/err" | sed 's/^/# /'
    fi
    check_eq "$desc: the call is not retried" 0 \
        "$(grep -c '(attempt [0-9]* of' "$work/err")"
    check "$desc: the snapshot is untouched" cmp "$work/before.mdb" "$db"
}

refused "no AWS_CA_BUNDLE (the system CAs do not know the test CA)" \
    "$work/good.conf" 'unable to get local issuer certificate'
# port_NAME are set by printf -v above.
port_of() {
    local v=port_$1
    echo "${!v}"
}
write_config "$work/selfsigned.conf" "https://127.0.0.1:$(port_of selfsigned)"
refused "a self-signed certificate" "$work/selfsigned.conf" \
    'self-signed certificate' "$ca_env"
write_config "$work/wronghost.conf" "https://127.0.0.1:$(port_of wronghost)"
refused "a certificate for another host name" "$work/wronghost.conf" \
    'subject name|does not match|host name' "$ca_env"
write_config "$work/expired.conf" "https://127.0.0.1:$(port_of expired)"
refused "an expired certificate" "$work/expired.conf" \
    'certificate has expired' "$ca_env"
# An empty variable is no variable (as for the AWS CLI).
refused "AWS_CA_BUNDLE set but empty" "$work/good.conf" \
    'unable to get local issuer certificate' AWS_CA_BUNDLE=

# ---- AWS_CA_BUNDLE itself ----

run_sync "$work/good.conf" "$creds" AWS_CA_BUNDLE="$work/no-such.pem"
check_eq "AWS_CA_BUNDLE naming no file: exit 1" 1 "$rc"
check "... and the error names the variable and the reason" \
    grep -q "AWS_CA_BUNDLE=$work/no-such.pem: No such file" "$work/err"
run_sync "$work/good.conf" "$creds" AWS_CA_BUNDLE="$pki"
check_eq "AWS_CA_BUNDLE naming a directory: exit 1" 1 "$rc"
check "... and the error says it is not a regular file" \
    grep -q "AWS_CA_BUNDLE=$pki: not a regular file" "$work/err"
check "the snapshot is untouched" cmp "$work/before.mdb" "$db"

# ---- plain http: loopback only ----

write_config "$work/plain.conf" "http://192.0.2.1:$port_good"
run_sync "$work/plain.conf" "$creds"
check_fails "IAM_ENDPOINT=http:// to a host that is not loopback: refused" \
    test "$rc" = 0
grep -m 1 'error' "$work/err" | cut -c1-300 | sed 's/^/# /'
check "... and the snapshot is untouched" cmp "$work/before.mdb" "$db"

# ---- credentials never logged ----

# Session credentials: the reader role, assumed with the instance user's
# key.
python3 - "$moto" "$work/seed/creds-instance.env" \
    "$(jq -r .reader_role.Arn "$work/seed/manifest.json")" \
    >"$work/session.env" <<'PY' || fail_setup "AssumeRole fails"
import sys
import boto3
env = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                   aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
c = sts.assume_role(RoleArn=sys.argv[3],
                    RoleSessionName="tls-test")["Credentials"]
print("AWS_ACCESS_KEY_ID=%s" % c["AccessKeyId"])
print("AWS_SECRET_ACCESS_KEY=%s" % c["SecretAccessKey"])
print("AWS_SESSION_TOKEN=%s" % c["SessionToken"])
PY
# shellcheck source=/dev/null
secret=$(. "$work/session.env" && echo "$AWS_SECRET_ACCESS_KEY")
# shellcheck source=/dev/null
token=$(. "$work/session.env" && echo "$AWS_SESSION_TOKEN")
# shellcheck source=/dev/null
long_secret=$(. "$creds" && echo "$AWS_SECRET_ACCESS_KEY")
if [ ${#secret} -lt 16 ] || [ ${#token} -lt 16 ]; then
    fail_setup "AssumeRole gave no usable credentials"
fi

: >"$work/all-output"
: >"$work/auth.log"
: >"$syslog"
run_sync "$work/good.conf" "$work/session.env" "$ca_env"
check_eq "session credentials over https: exit 0" 0 "$rc"
# Faults retried and got through, and one that outlasts the retries.
for q in 'name=throttle-once&action=ListUsers' \
    'name=500&action=ListUsers&count=2' \
    'name=reset-mid-body&action=GetGroup&count=1' \
    'name=truncated-body&action=ListSSHPublicKeys&count=1' \
    'name=503&action=ListUsers'; do
    proxy_ctl "fault?$q" >/dev/null || fail_setup "fault $q refused"
    run_sync "$work/good.conf" "$work/session.env" "$ca_env"
    proxy_ctl 'fault?name=none' >/dev/null
    echo "# fault $q: exit $rc"
done
# A wrong secret with the right key id: moto answers SignatureDoesNotMatch.
awk -v s="${long_secret}x" '/^AWS_SECRET_ACCESS_KEY=/ {
    print "AWS_SECRET_ACCESS_KEY=" s; next } 1' "$creds" >"$work/wrong.env"
run_sync "$work/good.conf" "$work/wrong.env" "$ca_env"
check "a wrong secret is refused by the peer (SignatureDoesNotMatch)" \
    grep -q SignatureDoesNotMatch "$work/err"
# The same credentials against a refused certificate.
run_sync "$work/expired.conf" "$work/session.env" "$ca_env"
sleep 0.5 # the sink writes what it received; let it catch up

check "the runs logged to syslog" test -s "$syslog"
check "the runs wrote stderr (--verbose)" grep -q 'debug: ' \
    "$work/all-output"
sigs=$(grep -o 'Signature=[0-9a-f]*' "$work/auth.log" | sort -u | wc -l)
check "the proxy saw signed requests ($sigs signatures)" test "$sigs" -gt 10

# never_in WHAT STRING: STRING appears in no output and no syslog line.
never_in() {
    if grep -qF -- "$2" "$work/all-output" "$syslog"; then
        tap_not_ok "$1 appears in no log"
        grep -hF -- "$2" "$work/all-output" "$syslog" | head -n 3 |
            cut -c1-200 | sed 's/^/# /'
    else
        tap_ok "$1 appears in no log"
    fi
}
never_in "the session's secret access key" "$secret"
never_in "the session token" "$token"
never_in "the long-term secret access key" "$long_secret"
never_in "the wrong secret" "${long_secret}x"
# Any 16 characters of the token (a log that cut it short still leaks).
never_in "a piece of the session token" "${token:20:16}"
leaked=0
while read -r sig; do
    if grep -qF -- "${sig#Signature=}" "$work/all-output" "$syslog"; then
        leaked=$((leaked + 1))
    fi
done < <(grep -o 'Signature=[0-9a-f]*' "$work/auth.log" | sort -u)
check_eq "no request signature appears in a log" 0 "$leaked"
# The header's name, not a word inside another (the summary line counts
# GetAccountAuthorizationDetails calls).
check_fails "no Authorization header or security token appears in a log" \
    grep -qiE '(^|[^a-z])Authorization[:=]|X-Amz-Security-Token|AWS4-HMAC-SHA256' \
    "$work/all-output" "$syslog"

tap_done
