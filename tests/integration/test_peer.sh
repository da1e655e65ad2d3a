#!/bin/bash
#
# test_peer.sh - self-test of the AWS test peer (moto, seed_iam.py,
# aws_proxy.py) and of the shipped IAM policies. Prints TAP.
#
# Needs: moto_server's python package, boto3, the AWS CLI, curl, jq,
# ssh-keygen, openssl. Takes about 30 s.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/moto.sh
source "$HERE/lib/moto.sh"

WORK=$(mktemp -d /tmp/nss-iam-peer.XXXXXX) || exit 1
PROXY_PID=
N=0
FAILED=0

stop_proxy() {
    local i
    [[ -n $PROXY_PID ]] || return 0
    kill -TERM "$PROXY_PID" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$PROXY_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
    PROXY_PID=
}

cleanup() {
    stop_proxy
    moto_stop "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
    N=$((N + 1))
    echo "ok $N - $1"
}

not_ok() {
    N=$((N + 1))
    FAILED=$((FAILED + 1))
    echo "not ok $N - $1"
    shift
    local line
    for line in "$@"; do
        echo "#   $line"
    done
}

# check DESC COMMAND...: one TAP line from the command's exit status.
check() {
    local desc=$1
    shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then
        ok "$desc"
    else
        not_ok "$desc" "command: $*" "$(head -c 400 "$WORK/err")"
    fi
}

# The AWS CLI, isolated from any ~/.aws of the host.
awsc() {
    env AWS_CONFIG_FILE="$WORK/none" AWS_SHARED_CREDENTIALS_FILE="$WORK/none" \
        AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
        aws --endpoint-url "$URL" --output json "$@"
}

# as CREDFILE COMMAND...: run with the credentials of a creds.env file.
as() {
    local file=$1
    shift
    (
        set -a
        # shellcheck disable=SC1090
        . "$file"
        set +a
        "$@"
    )
}

# expect_error CODE COMMAND...: the command fails with that AWS error code.
expect_error() {
    local code=$1
    shift
    if "$@" >/dev/null 2>"$WORK/err2"; then
        echo "succeeded, expected $code" >&2
        return 1
    fi
    grep -q "($code)" "$WORK/err2" || {
        cat "$WORK/err2" >&2
        return 1
    }
}

# iam_json URL ACTION [K=V...]: a SigV4-signed POST with a form body and
# ContentType=JSON, as iam-sync sends it; prints "STATUS" then the body.
# (A signed GET with the parameters in the query string does not verify in
# moto 5.2: it hashes the parameters as if they were the body.)
iam_json() {
    python3 - "$@" <<'PY'
import os, sys, urllib.error, urllib.parse, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, action, rest = sys.argv[1] + "/", sys.argv[2], sys.argv[3:]
body = urllib.parse.urlencode(
    [("Action", action), ("Version", "2010-05-08"), ("ContentType", "JSON")]
    + [tuple(a.split("=", 1)) for a in rest])
headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
req = AWSRequest(method="POST", url=url, data=body, headers=headers)
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"],
                      os.environ["AWS_SECRET_ACCESS_KEY"]),
          "iam", "us-east-1").add_auth(req)
r = urllib.request.Request(url, data=body.encode(), method="POST",
                           headers=dict(req.headers.items()))
try:
    with urllib.request.urlopen(r, timeout=20) as resp:
        print(resp.status)
        print(resp.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
    print(e.read().decode())
PY
}

# list_all_users URL MAXITEMS: follow Marker to the end; print one user
# name per line, then "pages=N" on stderr.
list_all_users() {
    local url=$1 max=$2 marker='' pages=0 out status
    while :; do
        if [[ -n $marker ]]; then
            out=$(iam_json "$url" ListUsers "MaxItems=$max" "Marker=$marker")
        else
            out=$(iam_json "$url" ListUsers "MaxItems=$max")
        fi
        status=$(head -n1 <<<"$out")
        [[ $status == 200 ]] || return 1
        pages=$((pages + 1))
        tail -n +2 <<<"$out" |
            jq -r '.ListUsersResponse.ListUsersResult.Users[].UserName'
        if [[ $(tail -n +2 <<<"$out" |
            jq -r '.ListUsersResponse.ListUsersResult.IsTruncated') != true ]]; then
            break
        fi
        marker=$(tail -n +2 <<<"$out" |
            jq -r '.ListUsersResponse.ListUsersResult.Marker')
        ((pages < 100)) || return 1
    done
    echo "pages=$pages" >&2
}

proxy_ctl() {
    curl -sS --max-time 5 "$PROXY/__proxy/$1"
}

# --- moto ----------------------------------------------------------------

T0=$SECONDS
if moto_start "$WORK"; then
    URL=$(moto_url "$WORK")
    ok "moto started on $(cat "$WORK/moto.port") (pid $(cat "$WORK/moto.pid"))"
else
    not_ok "moto started" "$(tail -n 5 "$WORK/moto.log")"
    echo "1..$N"
    exit 1
fi

check "seed basic" python3 "$HERE/seed_iam.py" --endpoint "$URL" \
    --dir "$WORK" --scenario basic
M=$WORK/manifest.json
SYNC=$WORK/creds.env
INST=$WORK/creds-instance.env

check "manifest: 17 users, 3 groups, checks on" test \
    "$(jq -c '[(.users|length), (.groups|length), .enforced]' "$M")" = \
    '[17,3,true]'

# --- the shipped policy, enforced ----------------------------------------

users_ok() {
    local got want
    got=$(as "$SYNC" awsc iam list-users | jq -r '.Users[].UserName' | sort)
    want=$( (jq -r '.users[].UserName' "$M"
        echo nss-iam-sync
        echo nss-iam-instance) | sort)
    [[ -n $got && $got == "$want" ]]
}
check "policy allows iam:ListUsers (all users listed)" users_ok

group_ok() {
    local got want
    got=$(as "$SYNC" awsc iam get-group --group-name ssh-users |
        jq -r '.Users[].UserName' | sort)
    want=$(jq -r '.groups[]|select(.GroupName=="ssh-users").members[]' "$M" |
        sort)
    [[ -n $got && $got == "$want" ]]
}
check "policy allows iam:GetGroup (members match)" group_ok

old_key_ok() {
    local id age
    id=$(jq -r '.users[]|select(.UserName=="erin").keys[0].SSHPublicKeyId' "$M")
    age=$(as "$SYNC" awsc iam list-ssh-public-keys --user-name erin |
        jq --arg id "$id" '.SSHPublicKeys[]|select(.SSHPublicKeyId==$id)
            |.UploadDate|sub("\\.[0-9]+";"")|fromdate|(now-.)/86400|floor')
    [[ $age -ge 399 && $age -le 401 ]]
}
check "policy allows iam:ListSSHPublicKeys; erin's first key is 400 days old" \
    old_key_ok

key_body_ok() {
    local id want got
    id=$(jq -r '.users[]|select(.UserName=="first.last@example.com")
        .keys[1].SSHPublicKeyId' "$M")
    want=$(jq -r '.users[]|select(.UserName=="first.last@example.com")
        .keys[1].SSHPublicKeyBody' "$M")
    got=$(as "$SYNC" awsc iam get-ssh-public-key --encoding SSH \
        --user-name first.last@example.com --ssh-public-key-id "$id" |
        jq -r .SSHPublicKey.SSHPublicKeyBody)
    [[ $got == "$want" && $got == ecdsa-sha2-nistp256\ * ]]
}
check "policy allows iam:GetSSHPublicKey (ecdsa body intact)" key_body_ok

check "policy allows ec2:DescribeTags" as "$SYNC" awsc ec2 describe-tags
get_user_ok() {
    [[ $(as "$SYNC" awsc iam get-user --user-name alice |
        jq -r .User.UserName) == alice ]]
}
check "policy allows iam:GetUser (an event's user, read alone)" get_user_ok
check "iam:CreateUser is AccessDenied" expect_error AccessDenied \
    as "$SYNC" awsc iam create-user --user-name intruder
check "iam:ListGroups (not in policy) is AccessDenied" expect_error \
    AccessDenied as "$SYNC" awsc iam list-groups
check "iam:UploadSSHPublicKey is AccessDenied" expect_error AccessDenied \
    as "$SYNC" awsc iam upload-ssh-public-key --user-name alice \
    --ssh-public-key-body "$(cat "$WORK/keys/alice.0.rsa.pub")"

wrong_secret() {
    (
        set -a
        # shellcheck disable=SC1090
        . "$SYNC"
        set +a
        AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY awsc iam list-users
    )
}
check "wrong secret is SignatureDoesNotMatch" expect_error \
    SignatureDoesNotMatch wrong_secret
unknown_key() {
    AWS_ACCESS_KEY_ID=AKIAUNKNOWNUNKNOWN00 AWS_SECRET_ACCESS_KEY=x \
        awsc iam list-users
}
check "unknown access key is InvalidClientTokenId" expect_error \
    InvalidClientTokenId unknown_key

check "policy allows iam:ListUserTags (TAG_KEYS)" as "$SYNC" awsc iam \
    list-user-tags --user-name alice
check "policy denies iam:GetAccountAuthorizationDetails (least privilege)" \
    expect_error AccessDenied as "$SYNC" awsc iam \
    get-account-authorization-details --filter User

# policy/iam-ssh-policy-gaad.json beside the shipped policy, on a user of
# its own: TAG_KEYS_SOURCE=GetAccountAuthorizationDetails.
gaad_setup() {
    moto_auth_off "$WORK" || return 1
    python3 - "$URL" "$HERE/../../policy" "$WORK/creds-gaad.env" <<'PY' || return 1
import sys
import boto3
url, pdir, out = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
iam.create_user(UserName="nss-iam-sync-gaad")
for name in ("iam-ssh-policy.json", "iam-ssh-policy-gaad.json"):
    arn = iam.create_policy(PolicyName="peer-" + name[:-5],
                            PolicyDocument=open(pdir + "/" + name).read()
                            )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="nss-iam-sync-gaad", PolicyArn=arn)
k = iam.create_access_key(UserName="nss-iam-sync-gaad")["AccessKey"]
with open(out, "w") as f:
    f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
            % (k["AccessKeyId"], k["SecretAccessKey"]))
PY
    moto_enforce "$WORK"
}
check "a principal with iam-ssh-policy.json and iam-ssh-policy-gaad.json" \
    gaad_setup
gaad_tags_ok() {
    as "$WORK/creds-gaad.env" awsc iam get-account-authorization-details \
        --filter User | jq -e '.UserDetailList[] |
        select(.UserName == "alice") | .UserName' >/dev/null
}
check "iam-ssh-policy-gaad.json allows GetAccountAuthorizationDetails" \
    gaad_tags_ok
check "... and nothing that writes (CreateUser is AccessDenied)" \
    expect_error AccessDenied as "$WORK/creds-gaad.env" awsc iam create-user \
    --user-name intruder

# --- the cross-account pair -------------------------------------------------

check "instance principal alone cannot ListUsers" expect_error AccessDenied \
    as "$INST" awsc iam list-users
assume() {
    as "$INST" awsc sts assume-role --role-arn \
        "$(jq -r .reader_role.Arn "$M")" --role-session-name peer-test \
        >"$WORK/assumed.json" || return 1
    jq -r '.Credentials|"AWS_ACCESS_KEY_ID=\(.AccessKeyId)
AWS_SECRET_ACCESS_KEY=\(.SecretAccessKey)
AWS_SESSION_TOKEN=\(.SessionToken)"' "$WORK/assumed.json" >"$WORK/creds-role.env"
}
check "trust policy lets the instance principal AssumeRole" assume
check "role policy allows ListUsers" as "$WORK/creds-role.env" \
    awsc iam list-users
check "role policy allows GetSSHPublicKey" as "$WORK/creds-role.env" \
    awsc iam get-ssh-public-key --encoding SSH --user-name alice \
    --ssh-public-key-id "$(jq -r '.users[0].keys[0].SSHPublicKeyId' "$M")"
check "role policy allows GetUser" as "$WORK/creds-role.env" \
    awsc iam get-user --user-name alice
check "role policy denies CreateUser" expect_error AccessDenied \
    as "$WORK/creds-role.env" awsc iam create-user --user-name intruder2
check "nss-iam-sync cannot AssumeRole the reader role" expect_error \
    AccessDenied as "$SYNC" awsc sts assume-role --role-arn \
    "$(jq -r .reader_role.Arn "$M")" --role-session-name peer-test2

# --- the proxy --------------------------------------------------------------

python3 "$HERE/aws_proxy.py" --upstream "$URL" --page-size 4 \
    --port-file "$WORK/proxy.port" >"$WORK/proxy.out" 2>"$WORK/proxy.log" &
PROXY_PID=$!
for ((i = 0; i < 100; i++)); do
    [[ -s $WORK/proxy.port ]] && break
    sleep 0.1
done
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port" 2>/dev/null)
check "proxy started" proxy_ctl stats

paging_ok() {
    local direct paged pages
    direct=$(as "$SYNC" awsc iam list-users | jq -r '.Users[].UserName')
    paged=$(as "$SYNC" list_all_users "$PROXY" 5 2>"$WORK/pages") || return 1
    pages=$(cut -d= -f2 "$WORK/pages")
    # 19 users, MaxItems=5 but the service pages by 4 (IAM may return
    # fewer than MaxItems): 5 pages, same users in the same order.
    [[ $pages == 5 && $paged == "$direct" ]] || {
        echo "pages=$pages" >&2
        diff <(echo "$direct") <(echo "$paged") >&2
        return 1
    }
}
check "proxy pages ListUsers (MaxItems=5, page size 4: 5 pages, same users)" paging_ok

default_page_ok() {
    local out
    out=$(as "$SYNC" iam_json "$PROXY" GetGroup GroupName=ssh-users |
        tail -n +2)
    [[ $(jq -c '.GetGroupResponse.GetGroupResult|[(.Users|length),
        .IsTruncated, (.Marker|type)]' <<<"$out") == '[4,true,"string"]' ]]
}
check "proxy default page size applies to GetGroup" default_page_ok

stats_ok() {
    proxy_ctl stats >"$WORK/stats.json" || return 1
    [[ $(jq '.actions.ListUsers' "$WORK/stats.json") == 5 &&
        $(jq '.actions.GetGroup' "$WORK/stats.json") == 1 ]]
}
check "proxy counts calls per Action" stats_ok

bad_marker_ok() {
    local out
    out=$(as "$SYNC" iam_json "$PROXY" ListUsers Marker=Zm9v)
    [[ $(head -n1 <<<"$out") == 400 &&
        $(tail -n +2 <<<"$out" | jq -r .Error.Code) == ValidationError ]]
}
check "proxy rejects a foreign Marker" bad_marker_ok

throttle_ok() {
    local a b
    proxy_ctl "fault?name=throttle-once&action=ListUsers" >/dev/null || return 1
    a=$(as "$SYNC" iam_json "$PROXY" ListUsers)
    b=$(as "$SYNC" iam_json "$PROXY" ListUsers)
    [[ $(head -n1 <<<"$a") == 400 &&
        $(tail -n +2 <<<"$a" | jq -r .Error.Code) == Throttling &&
        $(head -n1 <<<"$b") == 200 ]]
}
check "fault throttle-once: one Throttling, then success" throttle_ok

scoped_fault_ok() {
    local id a b
    proxy_ctl "fault?name=bad-key-body&action=GetSSHPublicKey" >/dev/null ||
        return 1
    id=$(jq -r '.users[0].keys[0].SSHPublicKeyId' "$M")
    a=$(as "$SYNC" iam_json "$PROXY" GetSSHPublicKey UserName=alice \
        "SSHPublicKeyId=$id" Encoding=SSH | tail -n +2 |
        jq -r .GetSSHPublicKeyResponse.GetSSHPublicKeyResult.SSHPublicKey.SSHPublicKeyBody)
    b=$(as "$SYNC" iam_json "$PROXY" ListUsers | head -n1)
    proxy_ctl "fault?name=none" >/dev/null
    [[ $a == 'command="x" ssh-rsa '* && $b == 200 ]]
}
check "fault bad-key-body hits GetSSHPublicKey only" scoped_fault_ok

reset_ok() {
    local rc
    proxy_ctl "fault?name=reset-mid-body&action=ListUsers" >/dev/null ||
        return 1
    as "$SYNC" iam_json "$PROXY" ListUsers >/dev/null 2>&1
    rc=$?
    proxy_ctl "fault?name=none" >/dev/null
    # urllib raises on the cut body: the helper fails.
    [[ $rc != 0 ]]
}
check "fault reset-mid-body breaks the response" reset_ok

# --- the self-tagging policy (policy/iam-self-tag-keys.json) ---------------
# Last: the two users it adds would change the counts checked above.

SELF=$HERE/../../policy/iam-self-tag-keys.json
self_shape() {
    jq -e '.Statement[0] | .Effect == "Allow"
        and (.Action | sort) == ["iam:TagUser", "iam:UntagUser"]
        and .Resource == "arn:aws:iam::*:user/${aws:username}"
        and .Condition."ForAllValues:StringLike"."aws:TagKeys"
            == ["ssh-key", "ssh-key-*"]
        and .Condition.Null."aws:TagKeys" == "false"' "$SELF" >/dev/null
}
check "iam-self-tag-keys.json: TagUser/UntagUser on the caller only, keys ssh-key and ssh-key-*" \
    self_shape

# The condition as AWS documents it (IAM condition operators: every key
# of the request must match one pattern, case-sensitive, * and ?
# wildcards; Null false: the request has tag keys), over key sets.
self_condition() {
    python3 - "$SELF" <<'PY'
import fnmatch, json, sys
cond = json.load(open(sys.argv[1]))["Statement"][0]["Condition"]
pats = cond["ForAllValues:StringLike"]["aws:TagKeys"]
def allowed(keys):
    return bool(keys) and all(
        any(fnmatch.fnmatchcase(k, p) for p in pats) for k in keys)
want = {("ssh-key",): True, ("ssh-key-laptop",): True,
        ("ssh-key", "ssh-key-yubikey"): True, ("ssh-keyX",): False,
        ("xssh-key",): False, ("SSH-KEY",): False, ("team",): False,
        ("ssh-key", "team"): False, (): False}
bad = [k for k, v in want.items() if allowed(list(k)) != v]
print(bad)
sys.exit(1 if bad else 0)
PY
}
check "its condition admits ssh-key, ssh-key-* and nothing else (AWS semantics)" \
    self_condition

# moto 5.2 substitutes no policy variable: "${aws:username}" would match
# no ARN, and the policy would allow nothing. AWS replaces it with the
# caller's name when it evaluates the policy, so the user below gets the
# policy with that substitution made, as AWS would evaluate it for them.
self_setup() {
    moto_auth_off "$WORK" || return 1
    python3 - "$URL" "$SELF" "$WORK/creds-tagger.env" <<'PY' || return 1
import sys
import boto3
url, path, out = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
doc = open(path).read().replace("${aws:username}", "tagger")
iam.create_user(UserName="tagger")
iam.create_user(UserName="victim")
arn = iam.create_policy(PolicyName="self-tag-keys",
                        PolicyDocument=doc)["Policy"]["Arn"]
iam.attach_user_policy(UserName="tagger", PolicyArn=arn)
k = iam.create_access_key(UserName="tagger")["AccessKey"]
with open(out, "w") as f:
    f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
            % (k["AccessKeyId"], k["SecretAccessKey"]))
PY
    moto_enforce "$WORK"
}
check "a user with the self-tagging policy (tagger) and another (victim)" \
    self_setup
TAGGER=$WORK/creds-tagger.env
K='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlasiG8Uknsh5Meyoarhu5VfR6LEtcL3S6LVKw+6LAa'
check "a user tags themselves with ssh-key" as "$TAGGER" awsc iam tag-user \
    --user-name tagger --tags "Key=ssh-key,Value=$K"
check "... and with ssh-key-laptop" as "$TAGGER" awsc iam tag-user \
    --user-name tagger --tags "Key=ssh-key-laptop,Value=$K"
check "... untags ssh-key-laptop" as "$TAGGER" awsc iam untag-user \
    --user-name tagger --tag-keys ssh-key-laptop
check "... reads their own tags" as "$TAGGER" awsc iam list-user-tags \
    --user-name tagger
check "a user cannot tag another user (AccessDenied)" expect_error \
    AccessDenied as "$TAGGER" awsc iam tag-user --user-name victim \
    --tags "Key=ssh-key,Value=$K"
check "a user cannot untag another user (AccessDenied)" expect_error \
    AccessDenied as "$TAGGER" awsc iam untag-user --user-name victim \
    --tag-keys ssh-key
# outside the prefix: AWS denies it by the condition; moto 5.2 evaluates
# only StringEquals conditions (moto/iam/policy_conditions.py) and lets
# every other operator pass, so there this cannot be shown.
for key in team ssh-keyX xssh-key; do
    if as "$TAGGER" awsc iam tag-user --user-name tagger \
        --tags "Key=$key,Value=x" >/dev/null 2>"$WORK/err2"; then
        N=$((N + 1))
        echo "ok $N # SKIP a tag outside the prefix ($key) is AccessDenied on AWS (ForAllValues:StringLike on aws:TagKeys); moto 5.2 does not evaluate that operator and allowed it"
    elif grep -q '(AccessDenied)' "$WORK/err2"; then
        ok "a tag outside the prefix ($key) is AccessDenied"
    else
        not_ok "a tag outside the prefix ($key)" "$(head -c 300 "$WORK/err2")"
    fi
done

PPID_WAS=$PROXY_PID
stop_proxy
check "proxy stopped (pid $PPID_WAS gone)" \
    bash -c "! kill -0 $PPID_WAS 2>/dev/null"
MPID=$(cat "$WORK/moto.pid")
moto_stop "$WORK"
check "moto stopped (pid $MPID gone)" bash -c "! kill -0 $MPID 2>/dev/null"

echo "1..$N"
echo "# $((SECONDS - T0)) s"
[[ $FAILED == 0 ]]
