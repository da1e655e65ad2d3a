#!/usr/bin/env bash
# examples/cloudformation/nss-iam-showcase.yaml: cfn-lint finds nothing;
# the template's structure (role policy = policy/iam-ssh-policy.json,
# IMDSv2 with instance tags, ssh only from SshCidr, the group tags); its
# UserData, rendered with test parameters, run under bash with stand-ins
# for apt-get, curl and systemctl and an overlay on /etc, so that what it
# runs and writes is seen and the host is not touched; the configuration
# it writes is accepted by iam-sync's parser, and drives a real sync of
# the "basic" IAM scenario in moto through the instance tags the template
# sets. examples/cloudformation/nss-iam-events.yaml: cfn-lint finds
# nothing; its rule follows exactly the events of iam-events.txt, its
# queue takes messages from that rule only, it is refused outside
# us-east-1, its optional trail records IAM's writes, the publisher's
# policy is fleet-publisher-policy.json's SQS statement; wrong variants of
# each fail those checks. Runs in a private mount namespace. Prints TAP.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
template=$root/examples/cloudformation/nss-iam-showcase.yaml
policy=$root/policy/iam-ssh-policy.json
events_template=$root/examples/cloudformation/nss-iam-events.yaml
events_list=$root/examples/cloudformation/iam-events.txt
publisher_policy=$root/policy/fleet-publisher-policy.json

work=$(mktemp -d /tmp/nss-iam-cfn.XXXXXX) || exit 1
nsdir=$work/ns

cleanup() {
    moto_stop "$work/moto"
    if mountpoint -q /etc && [ -n "${etc_overlay:-}" ]; then
        umount -l /etc
    fi
    if mountpoint -q "$nsdir"; then
        umount -l "$nsdir"
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The values the UserData is rendered with. The query string of the URL
# has the characters of an S3 presigned URL that a shell would mangle.
url='https://downloads.example.com/nss-iam/libnss-iam_0.1_amd64.deb?X-Amz-Expires=604800&X-Amz-Signature=0a1b'
region=us-east-1
stack=nss-iam-test

# ---- cfn-lint -------------------------------------------------------------

if command -v cfn-lint >/dev/null 2>&1; then
    out=$(cfn-lint --format parseable -- "$template" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
        tap_ok "cfn-lint: no error, no warning"
    else
        tap_not_ok "cfn-lint: no error, no warning (exit $rc)"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
    fi
else
    tap_not_ok "cfn-lint not installed"
fi

# ---- the template's structure ---------------------------------------------

# Reads the template with PyYAML (the short forms !Ref, !Sub, ... become
# their long forms), checks it and prints one "ok<TAB>what" or "not
# ok<TAB>what<TAB>detail" line per check; renders the UserData to OUT/
# userdata.sh and the default instance tags to OUT/tags.json.
cat >"$work/cfn_check.py" <<'PY'
import copy
import json
import re
import sys

import yaml

template_path, policy_path, out_dir, url, region, stack = sys.argv[1:7]
results = []


def check(what, ok, detail=""):
    results.append((what, bool(ok), detail))


class Loader(yaml.SafeLoader):
    pass


def intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


Loader.add_multi_constructor("!", intrinsic)

with open(template_path) as f:
    tpl = yaml.load(f, Loader=Loader)
with open(policy_path) as f:
    shipped = json.load(f)
params = tpl.get("Parameters", {})
res = tpl.get("Resources", {})


def of_type(t):
    return {k: v for k, v in res.items() if v.get("Type") == t}


# -- policy: same meaning as the shipped file --------------------------------

def norm_policy(doc):
    """Key order, a one-element list against its string, the order of
    actions and resources, and the order of statements carry no meaning."""
    stmts = doc.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    out = []
    for s in stmts:
        s = dict(s)
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if k in s:
                v = s[k] if isinstance(s[k], list) else [s[k]]
                s[k] = sorted(v)
        out.append(json.dumps(s, sort_keys=True))
    return {"Version": doc.get("Version"), "Statement": sorted(out)}


roles = of_type("AWS::IAM::Role")
role_name, role = next(iter(roles.items())) if len(roles) == 1 else (None, {})
rp = role.get("Properties", {})
inline = rp.get("Policies", [])
doc = inline[0].get("PolicyDocument") if len(inline) == 1 else None
check("the role's inline policy means exactly policy/iam-ssh-policy.json",
      doc is not None and norm_policy(doc) == norm_policy(shipped),
      "roles=%d policies=%d template=%s" % (
          len(roles), len(inline),
          json.dumps(norm_policy(doc) if doc else None)))

# The comparison itself: rewrites that keep the meaning compare equal,
# each change of meaning differs.
same = copy.deepcopy(shipped)
same["Statement"].reverse()
for s in same["Statement"]:
    if isinstance(s["Action"], str):
        s["Action"] = [s["Action"]]
    else:
        s["Action"].reverse()
mutations = []
m = copy.deepcopy(shipped)
m["Statement"][2]["Action"] = m["Statement"][2]["Action"][:1]
mutations.append(m)
m = copy.deepcopy(shipped)
m["Statement"][1]["Resource"] = "*"
mutations.append(m)
m = copy.deepcopy(shipped)
m["Statement"][0]["Effect"] = "Deny"
mutations.append(m)
m = copy.deepcopy(shipped)
m["Statement"].append({"Effect": "Allow", "Action": "iam:CreateUser",
                       "Resource": "*"})
mutations.append(m)
check("the policy comparison: same meaning compares equal, a change differs",
      norm_policy(same) == norm_policy(shipped)
      and all(norm_policy(x) != norm_policy(shipped) for x in mutations))

trust = rp.get("AssumeRolePolicyDocument", {}).get("Statement", [])
check("the role: assumed by ec2.amazonaws.com only, no other policy",
      trust == [{"Effect": "Allow",
                 "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"}]
      and "ManagedPolicyArns" not in rp
      and "PermissionsBoundary" not in rp
      and not of_type("AWS::IAM::Policy")
      and not of_type("AWS::IAM::ManagedPolicy"),
      json.dumps(trust))

profiles = of_type("AWS::IAM::InstanceProfile")
instances = of_type("AWS::EC2::Instance")
inst_name, inst = (next(iter(instances.items())) if len(instances) == 1
                   else (None, {}))
ip = inst.get("Properties", {})
prof_ok = (len(profiles) == 1 and
           next(iter(profiles.values()))["Properties"].get("Roles") ==
           [{"Ref": role_name}] and
           ip.get("IamInstanceProfile") == {"Ref": next(iter(profiles))})
check("one instance, whose instance profile holds the role", prof_ok)

# -- network ---------------------------------------------------------------

sgs = of_type("AWS::EC2::SecurityGroup")
ingress = [r for sg in sgs.values()
           for r in sg["Properties"].get("SecurityGroupIngress", [])]
nics = ip.get("NetworkInterfaces", [])
check("ssh: SshCidr is required (no default), only tcp/22 from it is open",
      "SshCidr" in params and "Default" not in params["SshCidr"]
      and len(sgs) == 1 and not of_type("AWS::EC2::SecurityGroupIngress")
      and [(r.get("IpProtocol"), r.get("FromPort"), r.get("ToPort"),
            r.get("CidrIp")) for r in ingress] ==
      [("tcp", 22, 22, {"Ref": "SshCidr"})]
      and len(nics) == 1
      and nics[0].get("GroupSet") == [{"Ref": next(iter(sgs), None)}],
      json.dumps(ingress))

pat = params.get("SshCidr", {}).get("AllowedPattern", "")
check("SshCidr: a CIDR block is accepted, anything else refused",
      pat and re.fullmatch(pat, "203.0.113.7/32")
      and not re.fullmatch(pat, "203.0.113.7")
      and not re.fullmatch(pat, "any"), pat)

# -- image, metadata, parameters ---------------------------------------------

img = ip.get("ImageId", {})
img_param = params.get(img.get("Ref", ""), {}) if isinstance(img, dict) \
    else {}
check("the image: Debian's public SSM parameter of the latest bookworm amd64",
      img_param.get("Type") ==
      "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
      and img_param.get("Default") ==
      "/aws/service/debian/release/bookworm/latest/amd64",
      json.dumps(img_param))

md = ip.get("MetadataOptions", {})
check("IMDS: tokens required (IMDSv2), instance tags enabled",
      md.get("HttpTokens") == "required"
      and md.get("InstanceMetadataTags") == "enabled"
      and md.get("HttpEndpoint", "enabled") == "enabled", json.dumps(md))

pkg = params.get("PackageUrl", {})
pkg_pat = pkg.get("AllowedPattern", "")
check("PackageUrl: required, https only, no quote or space",
      "Default" not in pkg and pkg_pat
      and re.fullmatch(pkg_pat, url)
      and not re.fullmatch(pkg_pat, "http://example.com/x.deb")
      and not re.fullmatch(pkg_pat, "https://example.com/x'.deb")
      and not re.fullmatch(pkg_pat, "https://example.com/x .deb"),
      pkg_pat)

defaults = {k: v.get("Default") for k, v in params.items()}
check("defaults: t3.micro, ssh-users, admins; CreateGroups is yes or no",
      defaults.get("InstanceType") == "t3.micro"
      and defaults.get("AuthorizedGroup") == "ssh-users"
      and defaults.get("SudoGroup") == "admins"
      and sorted(params.get("CreateGroups", {}).get("AllowedValues", []))
      == ["no", "yes"],
      json.dumps(defaults))

# -- conditions, groups and tags, evaluated ----------------------------------

conds = tpl.get("Conditions", {})


def evaluate(x, p, depth=0):
    if depth > 20:
        raise ValueError("too deep")
    if isinstance(x, list):
        return [evaluate(v, p, depth + 1) for v in x]
    if not isinstance(x, dict):
        return x
    if list(x) == ["Ref"]:
        name = x["Ref"]
        if name in p:
            return p[name]
        r = res[name]
        if "Condition" in r and not cond(r["Condition"], p, depth + 1):
            raise ValueError("Ref to %s, not created" % name)
        if r["Type"] == "AWS::IAM::Group":
            return evaluate(r["Properties"]["GroupName"], p, depth + 1)
        return "<%s>" % name
    if list(x) == ["Condition"]:
        return cond(x["Condition"], p, depth + 1)
    if "Fn::If" in x:
        c, a, b = x["Fn::If"]
        return evaluate(a if cond(c, p, depth + 1) else b, p, depth + 1)
    if "Fn::Equals" in x:
        a, b = evaluate(x["Fn::Equals"], p, depth + 1)
        return a == b
    if "Fn::Not" in x:
        return not evaluate(x["Fn::Not"][0], p, depth + 1)
    if "Fn::And" in x:
        return all(evaluate(v, p, depth + 1) for v in x["Fn::And"])
    if "Fn::Or" in x:
        return any(evaluate(v, p, depth + 1) for v in x["Fn::Or"])
    return {k: evaluate(v, p, depth + 1) for k, v in x.items()}


def cond(name, p, depth=0):
    return evaluate(conds[name], p, depth + 1)


def created_groups(p):
    return sorted(evaluate(r["Properties"]["GroupName"], p)
                  for r in of_type("AWS::IAM::Group").values()
                  if "Condition" not in r or cond(r["Condition"], p))


def tags(p):
    return {t["Key"]: evaluate(t["Value"], p)
            for t in ip.get("Tags", [])
            if t["Key"] in ("nss-iam-groups", "nss-iam-sudoers")}


want = {"nss-iam-groups": "ssh-users", "nss-iam-sudoers": "admins"}
base = dict(defaults)
cases = []
try:
    for create, sudo, groups, tag in (
            ("yes", "admins", ["admins", "ssh-users"], want),
            ("no", "admins", [], want),
            ("yes", "", ["ssh-users"],
             {"nss-iam-groups": "ssh-users", "nss-iam-sudoers": ""})):
        p = dict(base, CreateGroups=create, SudoGroup=sudo)
        cases.append((create, sudo, created_groups(p), tags(p),
                      created_groups(p) == groups and tags(p) == tag))
    groups_ok = all(c[-1] for c in cases)
except (KeyError, ValueError, TypeError) as e:
    groups_ok = False
    cases.append(repr(e))
check("groups created only with CreateGroups=yes; the tags nss-iam-groups "
      "and nss-iam-sudoers carry AuthorizedGroup and SudoGroup",
      groups_ok, json.dumps(cases))
# The sync below runs with the tags the template really sets, right or
# wrong.
try:
    default_tags = tags(base)
except (KeyError, ValueError, TypeError):
    default_tags = {}
with open(out_dir + "/tags.json", "w") as f:
    json.dump(default_tags, f)

outputs = tpl.get("Outputs", {})
ssh_out = json.dumps(outputs.get("SshCommand", {}).get("Value"))
check("outputs: InstanceId, PublicDnsName, SshCommand",
      outputs.get("InstanceId", {}).get("Value") == {"Ref": inst_name}
      and outputs.get("PublicDnsName", {}).get("Value") ==
      {"Fn::GetAtt": [inst_name, "PublicDnsName"]}
      and ssh_out.startswith('{"Fn::Sub": "ssh ')
      and "${%s.PublicDnsName}" % inst_name in ssh_out,
      json.dumps(outputs))

# -- UserData, rendered as CloudFormation would ------------------------------

values = dict(base, PackageUrl=url)
values.update({"AWS::Region": region, "AWS::StackName": stack})


def sub(text):
    def one(m):
        name = m.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name not in values or values[name] is None:
            raise KeyError(name)
        return str(values[name])
    return re.sub(r"\$\{([^}]*)\}", one, text)


ud = ip.get("UserData", {})
script = ""
try:
    body = ud["Fn::Base64"]["Fn::Sub"]
    script = sub(body if isinstance(body, str) else body[0])
except (KeyError, TypeError) as e:
    check("UserData: Fn::Base64 of Fn::Sub, every ${...} resolvable", False,
          repr(e))
lines = [ln for ln in script.split("\n")
         if ln.strip() and not ln.lstrip().startswith("#")]
check("UserData: a bash script whose first command is set -euo pipefail",
      script.startswith("#!/bin/bash\n") and lines[:1] ==
      ["set -euo pipefail"], script[:200])
with open(out_dir + "/userdata.sh", "w") as f:
    f.write(script)

for what, ok, detail in results:
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", what,
                          detail.replace("\n", " ")[:600]))
PY

if ! out=$(python3 "$work/cfn_check.py" "$template" "$policy" "$work" \
    "$url" "$region" "$stack" 2>&1); then
    tap_not_ok "the template could be read and checked"
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
    exit 1
fi
while IFS=$'\t' read -r verdict what detail; do
    if [ "$verdict" = ok ]; then
        tap_ok "template: $what"
    else
        tap_not_ok "template: $what"
        printf '# %s\n' "$detail"
    fi
done <<<"$out"

ud=$work/userdata.sh
chmod 0755 "$ud"
if command -v shellcheck >/dev/null 2>&1; then
    check "UserData: shellcheck finds nothing" shellcheck -s bash "$ud"
else
    tap_not_ok "shellcheck not installed"
fi

# ---- nss-iam-events.yaml ---------------------------------------------------

# The queue a fleet publisher follows (EVENT_QUEUE_URL). Its rule's list
# of events is iam-events.txt, the one list in the tree of the IAM calls
# iam-sync follows.
if command -v cfn-lint >/dev/null 2>&1; then
    out=$(cfn-lint --format parseable -- "$events_template" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
        tap_ok "events: cfn-lint: no error, no warning"
    else
        tap_not_ok "events: cfn-lint: no error, no warning (exit $rc)"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
    fi
else
    tap_not_ok "cfn-lint not installed"
fi

# Checks the template's structure against iam-events.txt and
# policy/fleet-publisher-policy.json, then that each of a set of wrong
# templates, lists and policies fails at least one of those checks. One
# "ok<TAB>what" or "not ok<TAB>what<TAB>detail" line per check.
cat >"$work/cfn_events.py" <<'PY'
import copy
import json
import re
import sys

import yaml

template_path, events_path, policy_path = sys.argv[1:4]


class Loader(yaml.SafeLoader):
    pass


def intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


Loader.add_multi_constructor("!", intrinsic)

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012",
          "AWS::StackName": "st"}


def evaluate(x, tpl, p, depth=0):
    """A template value, with parameters and pseudo parameters P: a
    resource's Ref is "<Name>" (a queue's, its URL), a GetAtt
    "<Name.Attr>"."""
    if depth > 30:
        raise ValueError("too deep")
    if isinstance(x, list):
        return [evaluate(v, tpl, p, depth + 1) for v in x]
    if not isinstance(x, dict):
        return x
    if list(x) == ["Ref"]:
        name = x["Ref"]
        if name in p:
            return p[name]
        r = tpl.get("Resources", {})[name]
        if r.get("Type") == "AWS::SQS::Queue":
            return QUEUE_URL
        return "<%s>" % name
    if list(x) == ["Condition"]:
        return cond(x["Condition"], tpl, p, depth + 1)
    if "Fn::GetAtt" in x:
        return "<%s>" % ".".join(x["Fn::GetAtt"])
    if "Fn::Sub" in x:
        body = x["Fn::Sub"]
        text, extra = (body, {}) if isinstance(body, str) else body

        def one(m):
            name = m.group(1)
            if name in extra:
                return str(evaluate(extra[name], tpl, p, depth + 1))
            if "." in name:
                return "<%s>" % name
            return str(evaluate({"Ref": name}, tpl, p, depth + 1))
        return re.sub(r"\$\{([^}!]*)\}", one, text)
    if "Fn::Equals" in x:
        a, b = evaluate(x["Fn::Equals"], tpl, p, depth + 1)
        return a == b
    if "Fn::Not" in x:
        return not evaluate(x["Fn::Not"][0], tpl, p, depth + 1)
    if "Fn::And" in x:
        return all(evaluate(v, tpl, p, depth + 1) for v in x["Fn::And"])
    if "Fn::Or" in x:
        return any(evaluate(v, tpl, p, depth + 1) for v in x["Fn::Or"])
    if "Fn::Contains" in x:
        a, b = evaluate(x["Fn::Contains"], tpl, p, depth + 1)
        return b in a
    return {k: evaluate(v, tpl, p, depth + 1) for k, v in x.items()}


def cond(name, tpl, p, depth=0):
    return evaluate(tpl["Conditions"][name], tpl, p, depth + 1)


def as_list(v):
    return v if isinstance(v, list) else [v]


def params_for(tpl, **over):
    p = {k: v.get("Default") for k, v in tpl.get("Parameters", {}).items()}
    p.update(PSEUDO)
    p["AWS::Region"] = "us-east-1"
    p.update(over)
    return p


def checks(tpl, events_text, shipped):
    results = []

    def check(what, ok, detail=""):
        results.append((what, bool(ok), detail))

    res = tpl.get("Resources", {})

    def of_type(t):
        return {k: v for k, v in res.items() if v.get("Type") == t}

    def one(t):
        found = of_type(t)
        return next(iter(found.items())) if len(found) == 1 else (None, {})

    # -- the list of events ---------------------------------------------
    names = events_text.split("\n")
    well_formed = (events_text.endswith("\n") and names.pop() == ""
                   and all(re.fullmatch(r"[A-Z][A-Za-z]+", n) for n in names)
                   and len(set(names)) == len(names) and names)
    check("iam-events.txt: one IAM action name a line, no duplicate",
          well_formed, json.dumps(names))

    # -- the region -------------------------------------------------------
    rules = tpl.get("Rules", {})

    def region_ok(region):
        p = params_for(tpl, **{"AWS::Region": region})
        return all(evaluate(a["Assert"], tpl, p)
                   for r in rules.values()
                   if "RuleCondition" not in r
                   or evaluate(r["RuleCondition"], tpl, p)
                   for a in r.get("Assertions", []))
    try:
        regions = [(r, region_ok(r)) for r in
                   ("us-east-1", "us-east-2", "eu-west-1", "us-gov-west-1")]
    except (KeyError, ValueError, TypeError) as e:
        regions = [repr(e)]
    check("Rules: us-east-1 accepted, any other region refused",
          regions == [("us-east-1", True), ("us-east-2", False),
                      ("eu-west-1", False), ("us-gov-west-1", False)],
          json.dumps(regions))

    # -- the EventBridge rule ---------------------------------------------
    rule_name, rule = one("AWS::Events::Rule")
    rp = rule.get("Properties", {})
    pat = rp.get("EventPattern", {})
    detail = pat.get("detail", {}) if isinstance(pat, dict) else {}
    followed = detail.get("eventName", [])
    check("the rule's eventName list is iam-events.txt's, no duplicate",
          sorted(followed) == sorted(names)
          and len(set(followed)) == len(followed),
          "template=%s file=%s" % (json.dumps(followed), json.dumps(names)))
    check("the rule: aws.iam, \"AWS API Call via CloudTrail\", "
          "iam.amazonaws.com, failed calls left out, enabled",
          isinstance(pat, dict)
          and sorted(pat) == ["detail", "detail-type", "source"]
          and pat["source"] == ["aws.iam"]
          and pat["detail-type"] == ["AWS API Call via CloudTrail"]
          and sorted(detail) == ["errorCode", "eventName", "eventSource"]
          and detail["eventSource"] == ["iam.amazonaws.com"]
          and detail["errorCode"] == [{"exists": False}]
          and rp.get("State") == "ENABLED"
          and rp.get("EventBusName", "default") == "default",
          json.dumps(pat))

    queue_name, queue = one("AWS::SQS::Queue")
    qarn = {"Fn::GetAtt": [queue_name, "Arn"]}
    targets = rp.get("Targets", [])
    check("the rule's one target is the queue, the message the event as it is",
          len(targets) == 1 and targets[0].get("Arn") == qarn
          and not set(targets[0]) & {"Input", "InputPath",
                                      "InputTransformer"},
          json.dumps(targets))

    # -- the queue ---------------------------------------------------------
    qp = queue.get("Properties", {})
    check("the queue: SSE-SQS, kept 4 to 14 days, long poll 20 s, "
          "visibility 60 s, no KMS key",
          qp.get("SqsManagedSseEnabled") is True
          and "KmsMasterKeyId" not in qp
          and 4 * 86400 <= int(qp.get("MessageRetentionPeriod", 0))
          <= 14 * 86400
          and int(qp.get("ReceiveMessageWaitTimeSeconds", 0)) == 20
          and int(qp.get("VisibilityTimeout", 0)) == 60,
          json.dumps(qp))

    qpols = of_type("AWS::SQS::QueuePolicy")
    qpol = next(iter(qpols.values()), {}).get("Properties", {})
    stmts = as_list(qpol.get("PolicyDocument", {}).get("Statement", []))
    allows = [s for s in stmts if s.get("Effect") != "Deny"]
    want = {"Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sqs:SendMessage"],
            "Resource": [qarn],
            "Condition": {"ArnEquals": {
                "aws:SourceArn": {"Fn::GetAtt": [rule_name, "Arn"]}}}}
    got = [dict({k: v for k, v in s.items() if k != "Sid"},
                Action=as_list(s.get("Action")),
                Resource=as_list(s.get("Resource"))) for s in allows]
    check("the queue policy: only events.amazonaws.com may send, and only "
          "for the rule (aws:SourceArn)",
          len(qpols) == 1 and qpol.get("Queues") == [{"Ref": queue_name}]
          and got == [want],
          json.dumps(got))

    # -- the publisher's policy --------------------------------------------
    sqs_shipped = [s for s in shipped.get("Statement", [])
                   if any(a.startswith("sqs:") for a in as_list(s["Action"]))]
    mps = of_type("AWS::IAM::ManagedPolicy")
    mp = next(iter(mps.values()), {}).get("Properties", {})
    mstmts = as_list(mp.get("PolicyDocument", {}).get("Statement", []))

    def norm(s, resource):
        return dict(s, Action=sorted(as_list(s["Action"])),
                    Resource=resource)
    ok = (len(sqs_shipped) == 1 and len(mps) == 1 and len(mstmts) == 1
          and sorted(as_list(sqs_shipped[0]["Action"])) ==
          ["sqs:DeleteMessage", "sqs:ReceiveMessage"]
          and re.fullmatch(r"arn:aws:sqs:us-east-1:[A-Z_]+:[A-Z_]+",
                           sqs_shipped[0]["Resource"])
          and norm(mstmts[0], "Q") == norm(sqs_shipped[0], "Q")
          and as_list(mstmts[0].get("Resource")) == [qarn])
    check("the publisher's managed policy is fleet-publisher-policy.json's "
          "SQS statement (ReceiveMessage, DeleteMessage) on the queue",
          ok, "template=%s file=%s" % (json.dumps(mstmts),
                                       json.dumps(sqs_shipped)))

    # -- the trail ---------------------------------------------------------
    def made(p):
        return sorted(k for k, r in res.items()
                      if r["Type"].startswith(("AWS::CloudTrail::",
                                               "AWS::S3::"))
                      and ("Condition" not in r
                           or cond(r["Condition"], tpl, p)))
    try:
        on = made(params_for(tpl, CreateTrail="true"))
        off = made(params_for(tpl, CreateTrail="false"))
        default = params_for(tpl)["CreateTrail"]
    except (KeyError, ValueError, TypeError) as e:
        on, off, default = [repr(e)], [], None
    trail_name, trail = one("AWS::CloudTrail::Trail")
    bucket_name, _ = one("AWS::S3::Bucket")
    bpol_name, bpol = one("AWS::S3::BucketPolicy")
    check("CreateTrail=true: a trail, its bucket and bucket policy; "
          "false: none of them",
          on == sorted([trail_name, bucket_name, bpol_name]) and off == []
          and default in ("true", "false")
          and sorted(tpl["Parameters"]["CreateTrail"]["AllowedValues"]) ==
          ["false", "true"],
          "on=%s off=%s" % (on, off))

    tp = trail.get("Properties", {})
    sels = tp.get("EventSelectors")
    writes = (not sels and "AdvancedEventSelectors" not in tp) or any(
        s.get("IncludeManagementEvents", True)
        and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        for s in (sels or []))
    check("the trail: logging write management events, IAM's included "
          "(global service events, or all regions)",
          tp.get("IsLogging") is True and writes
          and (tp.get("IsMultiRegionTrail") is True
               or tp.get("IncludeGlobalServiceEvents", True) is True)
          and tp.get("S3BucketName") == {"Ref": bucket_name},
          json.dumps(tp))

    p = params_for(tpl)
    try:
        arn = ("arn:aws:cloudtrail:us-east-1:123456789012:trail/%s"
               % evaluate(tp.get("TrailName"), tpl, p))
        bstmts = evaluate(as_list(bpol.get("Properties", {})
                                  .get("PolicyDocument", {})
                                  .get("Statement", [])), tpl, p)
    except (KeyError, ValueError, TypeError) as e:
        arn, bstmts = repr(e), []
    ballow = [s for s in bstmts if s.get("Effect") != "Deny"]
    check("the trail's bucket policy: CloudTrail only, for this trail's "
          "ARN only; the trail waits for it",
          ballow and all(
              s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
              and s.get("Condition", {}).get("StringEquals", {})
              .get("aws:SourceArn") == arn for s in ballow)
          and sorted(a for s in ballow for a in as_list(s["Action"])) ==
          ["s3:GetBucketAcl", "s3:PutObject"]
          and bpol_name in as_list(trail.get("DependsOn", [])),
          "arn=%s %s" % (arn, json.dumps(ballow)))

    # -- outputs -----------------------------------------------------------
    outs = tpl.get("Outputs", {})
    try:
        vals = {k: evaluate(v.get("Value"), tpl, p) for k, v in outs.items()
                if "Condition" not in v or cond(v["Condition"], tpl, p)}
    except (KeyError, ValueError, TypeError) as e:
        vals = {"error": repr(e)}
    check("outputs: the line EVENT_QUEUE_URL=\"<queue URL>\" and the "
          "queue's ARN",
          'EVENT_QUEUE_URL="%s"' % QUEUE_URL in vals.values()
          and "<%s.Arn>" % queue_name in vals.values(),
          json.dumps(vals))
    return results


with open(template_path) as f:
    tpl = yaml.load(f, Loader=Loader)
with open(events_path) as f:
    events_text = f.read()
with open(policy_path) as f:
    shipped = json.load(f)

results = checks(tpl, events_text, shipped)


# -- the checks refuse what is wrong ------------------------------------------

def mutant(fn):
    """FN changes the copies in place, or returns new ones as a
    ("new", template, list, policy) tuple."""
    t, e, s = copy.deepcopy(tpl), events_text, copy.deepcopy(shipped)
    out = fn(t, e, s)
    if isinstance(out, tuple) and out[:1] == ("new",):
        return out[1:]
    return t, e, s


def props(t, typ):
    return next(r["Properties"] for r in t["Resources"].values()
                if r["Type"] == typ)


def names_of(t):
    return props(t, "AWS::Events::Rule")["EventPattern"]["detail"][
        "eventName"]


def qstmt(t):
    return props(t, "AWS::SQS::QueuePolicy")["PolicyDocument"]["Statement"][0]


def sqs_file(s):
    return [x for x in s["Statement"] if x["Sid"] == "FollowTheEventQueue"][0]


mutants = {
    "an event left out of the rule": lambda t, e, s: names_of(t).pop(),
    "an event the parser does not follow": lambda t, e, s:
        names_of(t).append("CreateAccessKey"),
    "an event twice": lambda t, e, s:
        names_of(t).append(names_of(t)[0]),
    "an event left out of the list file": lambda t, e, s:
        ("new", t, e.split("\n", 1)[1], s),
    "the rule for aws.sts": lambda t, e, s: props(
        t, "AWS::Events::Rule")["EventPattern"].update(source=["aws.sts"]),
    "a queue policy for any sender": lambda t, e, s: qstmt(t).pop(
        "Condition"),
    "a queue policy for another rule": lambda t, e, s: qstmt(t)[
        "Condition"]["ArnEquals"].update(
            {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/x"}),
    "a queue policy for everyone": lambda t, e, s: qstmt(t).update(
        Principal="*"),
    "no region rule": lambda t, e, s: t.pop("Rules"),
    "a region rule for eu-west-1": lambda t, e, s: t["Rules"][
        "OnlyInUsEast1"]["Assertions"][0].update(
            Assert={"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}),
    "a queue visible again after 30 s": lambda t, e, s: props(
        t, "AWS::SQS::Queue").update(VisibilityTimeout=30),
    "an unencrypted queue": lambda t, e, s: props(
        t, "AWS::SQS::Queue").pop("SqsManagedSseEnabled"),
    "a publisher allowed to send too": lambda t, e, s: props(
        t, "AWS::IAM::ManagedPolicy")["PolicyDocument"]["Statement"][0][
            "Action"].append("sqs:SendMessage"),
    "a file's SQS statement with sqs:*": lambda t, e, s: sqs_file(s).update(
        Action="sqs:*"),
    "a trail of read events only": lambda t, e, s: props(
        t, "AWS::CloudTrail::Trail")["EventSelectors"][0].update(
            ReadWriteType="ReadOnly"),
    "a trail without management events": lambda t, e, s: props(
        t, "AWS::CloudTrail::Trail")["EventSelectors"][0].update(
            IncludeManagementEvents=False),
    "a trail made when CreateTrail=false": lambda t, e, s: t[
        "Resources"]["Trail"].pop("Condition"),
    "a bucket policy for another trail": lambda t, e, s: props(
        t, "AWS::CloudTrail::Trail").update(TrailName="other"),
    "the output line misspelt": lambda t, e, s: t["Outputs"][
        "EventQueueUrlLine"].update(
            Value={"Fn::Sub": 'EVENTS_QUEUE_URL="${EventQueue}"'}),
}
passed = []
for what, fn in mutants.items():
    try:
        r = checks(*mutant(fn))
        if all(ok for _, ok, _ in r):
            passed.append(what)
    except Exception as e:  # a crash is a refusal too, but say it
        passed.append("%s (crashed: %r)" % (what, e))
results.append(("each of %d wrong templates, lists or policies fails a check"
                % len(mutants), not passed, "passed: %s" % passed))

for what, ok, detail in results:
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", what,
                          detail.replace("\n", " ")[:600]))
PY

if ! out=$(python3 "$work/cfn_events.py" "$events_template" "$events_list" \
    "$publisher_policy" 2>&1); then
    tap_not_ok "events: the template could be read and checked"
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
else
    while IFS=$'\t' read -r verdict what detail; do
        if [ "$verdict" = ok ]; then
            tap_ok "events: $what"
        else
            tap_not_ok "events: $what"
            printf '# %s\n' "$detail"
        fi
    done <<<"$out"
fi

# The parser's own table, once it is in the tree: each followed name is
# one of its string literals.
if [ -f "$root/sync/events.c" ]; then
    missing=$(while read -r name; do
        grep -qF "\"$name\"" "$root/sync/events.c" || echo "$name"
    done <"$events_list" | xargs)
    check_eq "events: every name of iam-events.txt is in sync/events.c" "" "$missing"
else
    tap_skip "events: sync/events.c is not in the tree yet"
fi

# ---- UserData, run ---------------------------------------------------------

# Never write /etc of the host: the mount namespace must be a new one.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
    fail_setup "not in a private mount namespace"
fi
# /etc gets an overlay whose upper layer, on a private tmpfs, collects
# every file the UserData writes there. Mounts below /etc (container
# runtimes bind resolv.conf and hosts) are put back on top.
mkdir -p "$nsdir"
mount -t tmpfs -o mode=0700 tmpfs "$nsdir" || fail_setup "tmpfs"
mkdir "$nsdir/upper" "$nsdir/workdir" "$nsdir/keep"
n=0
subs=()
while read -r target; do
    [ "$target" = /etc ] && continue
    n=$((n + 1))
    if [ -d "$target" ]; then mkdir "$nsdir/keep/$n"; else : >"$nsdir/keep/$n"; fi
    mount --bind "$target" "$nsdir/keep/$n" && subs+=("$n:$target")
done < <(findmnt -rn -o TARGET -R /etc 2>/dev/null)
mount -t overlay overlay \
    -o "lowerdir=/etc,upperdir=$nsdir/upper,workdir=$nsdir/workdir" /etc ||
    fail_setup "cannot put an overlay on /etc"
etc_overlay=1
for s in "${subs[@]}"; do
    mount --bind "$nsdir/keep/${s%%:*}" "${s#*:}"
done

# Stand-ins: each logs its arguments. curl writes a marker file where
# --output says; apt-get notes, for a .deb, whether it is that file and
# what /etc/nss-iam.conf is at that moment.
stub=$work/stub
mkdir -p "$stub" "$work/tmp"
cat >"$stub/curl" <<'SH'
#!/bin/bash
out=
args=("$@")
while [ $# -gt 0 ]; do
    [ "$1" = --output ] && out=$2
    shift
done
line="curl ${args[*]}"
if [ -n "$out" ]; then
    line=${line//"$(dirname "$out")"/WORK}
    echo "downloaded package" >"$out"
fi
echo "$line" >>"$STUB_LOG"
SH
cat >"$stub/apt-get" <<'SH'
#!/bin/bash
note=
for a in "$@"; do
    case $a in
    *.deb)
        pkg=missing
        [ "$(cat "$a" 2>/dev/null)" = "downloaded package" ] && pkg=downloaded
        conf=$(stat -c '%a %U' /etc/nss-iam.conf 2>/dev/null || echo absent)
        note=" (package: $pkg; /etc/nss-iam.conf: $conf)"
        ;;
    esac
done
echo "apt-get $*$note" >>"$STUB_LOG"
SH
cat >"$stub/systemctl" <<'SH'
#!/bin/bash
echo "systemctl $*" >>"$STUB_LOG"
SH
chmod 0755 "$stub"/*
log=$work/stub.log
: >"$log"

(cd / && env -i PATH="$stub:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root \
    TMPDIR="$work/tmp" STUB_LOG="$log" "$ud") >"$work/ud.out" 2>&1
rc=$?
check_eq "UserData: runs to the end (exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/ud.out" | tail -n 20

want_log="apt-get update
apt-get install -y --no-install-recommends ca-certificates curl
curl --fail --silent --show-error --location --proto =https --retry 5 --output WORK/libnss-iam.deb $url
apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./libnss-iam.deb (package: downloaded; /etc/nss-iam.conf: 644 root)
systemctl reload ssh.service
systemctl start iam-sync.service"
check_eq "UserData: downloads PackageUrl, installs that file with the config already in place, reloads sshd, starts iam-sync.service" \
    "$want_log" "$(cat "$log")"
check_eq "UserData: leaves no temporary directory" "" \
    "$(ls -A "$work/tmp")"

conf=/etc/nss-iam.conf
check_eq "UserData: writes /etc/nss-iam.conf and nothing else in /etc" \
    "nss-iam.conf" "$(cd "$nsdir/upper" && find . -mindepth 1 | sed 's#^\./##' | sort | xargs)"
check_eq "... mode 0644, owned by root" "644 root root" \
    "$(stat -c '%a %U %G' "$conf" 2>&1)"
check_eq "... its settings: the two tag keys and the stack's region" \
    "IAM_AUTHORIZED_GROUPS_TAG=\"nss-iam-groups\"
SUDOERS_GROUPS_TAG=\"nss-iam-sudoers\"
AWS_REGION=\"$region\"" \
    "$(grep -v -e '^#' -e '^$' "$conf" 2>&1)"

# ---- the configuration, through iam-sync's parser --------------------------

# --status parses the whole file first (exit 2 on any error), then finds
# no snapshot (exit 1).
mkdir -p "$work/db"
"$build/iam-sync" --config "$conf" --db "$work/db/passwd.mdb" --status \
    >"$work/status.out" 2>&1
rc=$?
check_eq "iam-sync --status accepts the written config (exit 1: no snapshot, not 2: config error)" \
    "1|yes" "$rc|$(grep -q 'no snapshot yet' "$work/status.out" && echo yes)"
[ "$rc" -eq 1 ] || sed 's/^/# /' "$work/status.out"
{ cat "$conf"; echo 'UNKNOWN_SETTING="x"'; } >"$work/bad.conf"
chmod 0600 "$work/bad.conf"
"$build/iam-sync" --config "$work/bad.conf" --db "$work/db/passwd.mdb" \
    --status >"$work/status-bad.out" 2>&1
rc=$?
check_eq "... and exits 2 naming the line when a key is unknown" \
    "2|yes" \
    "$rc|$(grep -q "bad.conf:$(wc -l <"$work/bad.conf")" "$work/status-bad.out" && echo yes)"

# ---- the configuration, in a sync through the instance tags ---------------

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
murl=$(moto_url "$work/moto")
# The emulated instance gets the tags the template sets with its defaults.
moto_auth_off "$work/moto" || fail_setup "moto_auth_off"
python3 - "$murl" "$work/tags.json" "$work/seed/manifest.json" \
    >"$work/tag.log" 2>&1 <<'PY' || fail_setup "tagging failed"
import json
import sys

import boto3

url, tags_path, manifest = sys.argv[1:4]
with open(tags_path) as f:
    tags = json.load(f)
with open(manifest) as f:
    instance = json.load(f)["instance_tags"]["InstanceId"]
if not tags:
    sys.exit("no tags rendered from the template")
ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="testing",
                   aws_secret_access_key="testing")
ec2.create_tags(Resources=[instance],
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
PY
moto_enforce "$work/moto" || fail_setup "moto_enforce"

{
    cat "$conf"
    echo "IAM_ENDPOINT=\"$murl\""
    echo "STS_ENDPOINT=\"$murl\""
    echo "EC2_ENDPOINT=\"$murl\""
    echo "IMDS_ENDPOINT=\"$murl\""
    echo 'MAX_CALLS_PER_SECOND=100'
} >"$work/sync.conf"
chmod 0600 "$work/sync.conf"
mkdir -p "$work/sync"
(
    unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN
    set -a
    # shellcheck disable=SC1091
    . "$work/seed/creds.env"
    set +a
    exec "$build/iam-sync" --config "$work/sync.conf" \
        --db "$work/sync/passwd.mdb" --verbose
) >"$work/sync.out" 2>&1 </dev/null
rc=$?
check_eq "iam-sync with that config and the role's policy syncs (exit 0)" \
    0 "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$work/sync.out" | sed 's/^/# /'

"$build/tests/dumpsnapshot" "$work/sync/passwd.mdb" >"$work/dump" 2>&1
out=$(
    set -a
    # shellcheck disable=SC1091
    . "$work/seed/creds.env"
    set +a
    python3 "$here/sync_expect.py" check --manifest "$work/seed/manifest.json" \
        --dump "$work/dump" --endpoint "$murl" --authorized ssh-users \
        --sudoers admins 2>&1
)
rc=$?
if [ "$rc" -eq 0 ]; then
    tap_ok "the snapshot is the one for IAM_AUTHORIZED_GROUPS=ssh-users, SUDOERS_GROUPS=admins (from the tags)"
else
    tap_not_ok "the snapshot is the one for IAM_AUTHORIZED_GROUPS=ssh-users, SUDOERS_GROUPS=admins (from the tags)"
    printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'
fi
check_eq "served users: the members of ssh-users only (not dana, grace)" \
    "alice bob.smith dev.plus.ops erin first.last.at.example.com frank heidi ivan last.comma.first team.equal.red" \
    "$(awk '$1 == "user" { print $2 }' "$work/dump" | sort | xargs)"
check_eq "sudo (iam-sudo): the members of admins (root refused)" \
    "alice dev.plus.ops heidi" \
    "$(awk '$1 == "group" && $4 == "sudo" { for (i = 5; i <= NF; i++) print $i }' "$work/dump" | sort | xargs)"

tap_done
