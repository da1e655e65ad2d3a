# shellcheck shell=bash
#
# moto.sh - start and stop a private AWS emulator (moto) for integration tests.
#
# Source this file, then:
#
#   moto_start DIR [--tls]   start moto on a free 127.0.0.1 port; writes
#                            DIR/moto.pid, DIR/moto.port, DIR/moto.url,
#                            DIR/moto.log (and DIR/ca.pem with --tls)
#   moto_url DIR             print the endpoint URL (http[s]://127.0.0.1:PORT)
#   moto_enforce DIR         check signature and policy on every call from now
#   moto_auth_off DIR        accept every call unchecked (to change fixtures)
#   moto_stop DIR            stop exactly the process recorded in DIR/moto.pid
#   free_port                print a port that was free a moment ago
#   moto_seeded WORK [SCEN]  moto_start WORK/moto, then seed_iam.py into
#                            WORK/seed (scenario basic by default); on
#                            failure the reason goes to stderr
#
# Authentication: moto counts every AWS action it serves and verifies
# SigV4 and IAM policies only once the count reaches
# INITIAL_NO_AUTH_ACTION_COUNT (moto/core/authorization.py). Only AWS actions
# routed through BaseResponse.call_action are counted: IMDS
# (/latest/...) and /moto-api/... are never counted and never checked; STS
# and EC2 calls are counted like IAM calls. A denied call gets HTTP 403
# AccessDenied (policy), SignatureDoesNotMatch (bad secret) or
# InvalidClientTokenId (unknown key id); EC2 answers AuthFailure for both of
# the last two.
#
# Counting calls is fragile (a retried request counts twice), so moto starts
# with the threshold out of reach and the seeder ends with a POST to
# /moto-api/reset-auth with body "0": that sets the threshold to 0 and the
# counter to 0, so every later call is checked, whatever seeding cost.
#
# moto evaluates every IAM action against the resource "*" (only role
# actions get an ARN), so a policy scoped to arn:aws:iam::*:user/* would
# never match. The launcher below gives user and group actions the ARN of
# their UserName/GroupName, as IAM does, so the shipped least-privilege
# policy is tested as written. SQS's batch actions are checked as the
# single action they batch (sqs:DeleteMessageBatch as sqs:DeleteMessage),
# as AWS checks them: IAM has no name for them. It also adds POST
# /moto-api/x-ssh-key-upload-date (JSON UserName, SSHPublicKeyId,
# UploadDate ISO-8601 UTC), because no AWS API can backdate a key. IMDS
# answers instance-id i-0123456789abcdef0, which EC2 CreateTags accepts.

MOTO_START_TIMEOUT=${MOTO_START_TIMEOUT:-30}
# High enough that seeding never reaches it; seed_iam.py resets it to 0.
MOTO_NO_AUTH_COUNT=${MOTO_NO_AUTH_COUNT:-1000000000}

read -r -d '' MOTO_PEER_PY <<'PY' || true
import datetime
import json
import os
import sys

import moto.server
from moto.iam import responses as iam_responses
from moto.iam.models import iam_backends
from moto.moto_api._internal import urls as api_urls
from moto.utilities.utils import get_partition

_role_resource = iam_responses.IamResponse._determine_resource


def _determine_resource(self):
    qs = self.querystring
    backend = self.backend
    part = get_partition(self.region)
    if "RoleName" in qs:
        return _role_resource(self)
    if "UserName" in qs:
        name = qs["UserName"][0]
        try:
            return backend.get_user(name).arn
        except Exception:
            return f"arn:{part}:iam::{self.current_account}:user/{name}"
    if "GroupName" in qs:
        name = qs["GroupName"][0]
        try:
            return backend.get_group(name).arn
        except Exception:
            return f"arn:{part}:iam::{self.current_account}:group/{name}"
    return "*"


def upload_date(request, full_url, headers):
    if request.method != "POST":
        return 400, {}, json.dumps({"Error": "POST JSON"})
    try:
        req = json.loads(request.get_data() or b"{}")
        account = req.get("AccountId",
                          os.environ.get("MOTO_ACCOUNT_ID", "123456789012"))
        when = datetime.datetime.fromisoformat(
            req["UploadDate"].replace("Z", "+00:00"))
        if when.tzinfo is not None:
            when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        user = iam_backends[account]["aws"].get_user(req["UserName"])
        key = user.get_ssh_public_key(req["SSHPublicKeyId"])
    except Exception as e:
        return 400, {}, json.dumps({"Error": repr(e)})
    key.upload_date = when
    return 200, {}, json.dumps({"status": "ok"})


iam_responses.IamResponse._determine_resource = _determine_resource

# SQS authorizes a batch action by its single action: IAM has no
# sqs:DeleteMessageBatch, a policy allowing sqs:DeleteMessage allows it.
# moto asks for the batch action's own name; ask for the single one.
from moto.iam import access_control
_SQS_BATCH = {"sqs:SendMessageBatch": "sqs:SendMessage",
              "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
              "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}
_iam_request_init = access_control.IAMRequestBase.__init__


def _iam_request_init_sqs(self, *args, **kwargs):
    _iam_request_init(self, *args, **kwargs)
    self._action = _SQS_BATCH.get(self._action, self._action)


access_control.IAMRequestBase.__init__ = _iam_request_init_sqs
api_urls.url_paths["{0}/moto-api/x-ssh-key-upload-date"] = upload_date

# moto's IMDS names the instance "i-fake", an id its own EC2 API refuses
# to tag; give it a well-formed one so tests can tag "this instance".
from moto.instance_metadata import responses as imds_responses
imds_responses.INSTANCE_METADATA["instance-id"] = "i-0123456789abcdef0"
# argv[1] is a marker that lets moto_stop recognise its own process.
moto.server.main(sys.argv[2:])
PY

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# _moto_curl DIR ARGS... : curl against the emulator, trusting its CA if any.
_moto_curl() {
    local dir=$1
    shift
    local ca=()
    if [[ -f $dir/ca.pem ]]; then
        ca=(--cacert "$dir/ca.pem")
    fi
    curl -sS --max-time 5 "${ca[@]}" "$@"
}

# _moto_make_cert DIR: a throw-away CA and a server certificate for 127.0.0.1.
_moto_make_cert() {
    local dir=$1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=moto test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || return 1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1 ||
        return 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n%s\n' \
        'extendedKeyUsage=serverAuth' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" \
        -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/server.ext" -out "$dir/server.pem" >/dev/null 2>&1
}

moto_url() {
    cat "$1/moto.url"
}

# _moto_spawn DIR PORT: start one instance; echo nothing, set MOTO_PID.
_moto_spawn() {
    local dir=$1 port=$2
    local tls=()
    if [[ -f $dir/server.pem ]]; then
        tls=(-c "$dir/server.pem" -k "$dir/server.key")
    fi
    INITIAL_NO_AUTH_ACTION_COUNT=$MOTO_NO_AUTH_COUNT MOTO_PORT=$port \
        python3 -c "$MOTO_PEER_PY" "nss-iam-moto-peer:$dir" \
        -H 127.0.0.1 -p "$port" "${tls[@]}" \
        </dev/null >>"$dir/moto.log" 2>&1 &
    MOTO_PID=$!
}

# _moto_wait DIR PID URL: 0 once the emulator answers, 1 if it died or
# MOTO_START_TIMEOUT seconds passed.
_moto_wait() {
    local dir=$1 pid=$2 url=$3
    local deadline=$((SECONDS + MOTO_START_TIMEOUT))
    local code
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        # GET on reset-auth answers 400 without changing anything.
        code=$(_moto_curl "$dir" -o /dev/null -w '%{http_code}' \
            "$url/moto-api/reset-auth" 2>/dev/null)
        if [[ $code == 400 ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

moto_start() {
    local dir=$1
    local scheme=http
    if [[ -z $dir ]]; then
        echo "moto_start: usage: moto_start DIR [--tls]" >&2
        return 2
    fi
    mkdir -p "$dir" || return 1
    if [[ ${2:-} == --tls || ${MOTO_TLS:-0} == 1 ]]; then
        _moto_make_cert "$dir" || {
            echo "moto_start: cannot create a certificate in $dir" >&2
            return 1
        }
        scheme=https
    fi
    local try port url
    # The port is free when chosen but may be taken before moto binds it:
    # try a few times rather than fail on that race.
    for try in 1 2 3; do
        port=$(free_port) || return 1
        url="$scheme://127.0.0.1:$port"
        _moto_spawn "$dir" "$port"
        if _moto_wait "$dir" "$MOTO_PID" "$url"; then
            echo "$MOTO_PID" >"$dir/moto.pid"
            echo "$port" >"$dir/moto.port"
            echo "$url" >"$dir/moto.url"
            return 0
        fi
        _moto_kill "$MOTO_PID" "$dir"
        echo "moto_start: attempt $try on port $port failed" >&2
    done
    echo "moto_start: moto did not start, see $dir/moto.log" >&2
    return 1
}

# _moto_kill PID DIR: TERM, wait up to 5 s, then KILL. Only a process whose
# command line carries our marker for DIR is signalled (the PID may have
# been reused since).
_moto_kill() {
    local pid=$1 dir=$2 i
    if ! tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
        grep -qxF "nss-iam-moto-peer:$dir"; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
    fi
    # Reap it when it is our child; harmless otherwise.
    wait "$pid" 2>/dev/null
    return 0
}

moto_stop() {
    local dir=$1 pid
    [[ -f $dir/moto.pid ]] || return 0
    pid=$(cat "$dir/moto.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    _moto_kill "$pid" "$dir"
    rm -f "$dir/moto.pid"
}

# _moto_reset_auth DIR VALUE: set moto's threshold and zero its counter.
_moto_reset_auth() {
    local out
    out=$(_moto_curl "$1" -X POST -H "Content-Type: text/plain" --data "$2" \
        "$(moto_url "$1")/moto-api/reset-auth")
    [[ $out == *'"status": "ok"'* ]]
}

moto_enforce() {
    _moto_reset_auth "$1" 0
}

moto_auth_off() {
    _moto_reset_auth "$1" inf
}

# The directory of seed_iam.py, known while this file is being sourced.
MOTO_SEED_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/seed_iam.py

moto_seeded() {
    local work=$1 scenario=${2:-basic}
    mkdir -p "$work"
    if ! moto_start "$work/moto" >"$work/moto-start.log" 2>&1; then
        echo "moto does not start: $(tail -n 3 "$work/moto-start.log")" >&2
        return 1
    fi
    if ! python3 "$MOTO_SEED_PY" --endpoint "$(moto_url "$work/moto")" \
        --dir "$work/seed" --scenario "$scenario" >"$work/seed.log" 2>&1; then
        echo "seed_iam.py failed: $(tail -n 3 "$work/seed.log")" >&2
        return 1
    fi
}
