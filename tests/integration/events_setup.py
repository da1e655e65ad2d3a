#!/usr/bin/env python3
"""IAM's change events in moto: the queue, the rule, the publisher, and
what IAM and CloudTrail would send.

  events_setup.py setup --endpoint URL --policy-dir D --object B/K --dir OUT
      (moto's checks off) Creates in us-east-1 the SQS queue
      "nss-iam-events", the EventBridge rule "nss-iam-events" (source
      aws.iam, detail-type "AWS API Call via CloudTrail", eventSource
      iam.amazonaws.com, the eventNames the publisher follows) with the
      queue as its target, and the queue policy that lets the rule send;
      the user "nss-iam-publisher" with exactly the shipped IAM read policy
      (iam-ssh-policy.json) and fleet-publisher-policy.json (BUCKET/KEY and
      the queue's ARN filled in); and "events-admin", allowed everything,
      that stands for the people changing IAM (so that the tests change
      IAM and look at the queue with moto's checks on, while a follower
      runs). Writes OUT/publisher.env and OUT/admin.env (AWS_* lines) and
      OUT/events.json (queue_url, queue_arn, rule_arn, account_id,
      publisher_policy: the policy document as put, sqs_statement_added:
      whether the shipped policy lacked an SQS statement and one was added
      here).

The commands below use the credentials of --admin ENV (events-admin's):

  events_setup.py announce --endpoint URL --admin ENV EVENT JSON [EVENT JSON]...
      What IAM and CloudTrail would do after each IAM call: PutEvents of
      an "AWS API Call via CloudTrail" event (source aws.iam) whose detail
      is a CloudTrail record of EVENT with requestParameters JSON, all in
      one PutEvents call. Prints the EventIds.
  events_setup.py send --endpoint URL --admin ENV --queue-url Q BODY...
      SendMessage of each BODY straight to the queue (a forged or
      malformed message: what anyone allowed to send to the queue can do).
  events_setup.py depth --endpoint URL --admin ENV --queue-url Q
      Prints "VISIBLE INFLIGHT" (ApproximateNumberOfMessages and
      ApproximateNumberOfMessagesNotVisible).
  events_setup.py receive --endpoint URL --admin ENV --queue-url Q
      Receives (VisibilityTimeout 0, so nothing is hidden) and prints the
      bodies, one a line; deletes nothing.
  events_setup.py iam --endpoint URL --admin ENV [--announce
                      [--wait-change SECONDS --object B/K]] OP...
      Changes IAM; with --announce, then announces every call made, in
      one PutEvents right after them (as CloudTrail would, a moment
      later); without, nothing is announced (a lost event). With
      --wait-change, then polls the object's ETag every 100 ms until it
      differs from the one before the change and prints
      "announce_to_object_s=S" (exit 1 if it did not within SECONDS). OP is
        delete-key:USER            deletes the user's first Active key and
                                   prints "USER KEY_ID"
        add-to-group:USER:GROUP    remove-from-group:USER:GROUP
        deny-put:on / deny-put:off an explicit Deny of s3:PutObject for
                                   nss-iam-publisher (an inline policy;
                                   never announced: not an event followed)
  events_setup.py etag --endpoint URL --admin ENV --object B/K
      Prints the object's ETag, or "none" when there is no object.

moto is a test peer, not AWS. What differs, and what this file does about it:
  * IAM calls emit no events in moto. In AWS, CloudTrail records every IAM
    write call (IAM is global: its events are delivered in us-east-1) and
    EventBridge matches them against the rule; here announce() makes the
    event PutEvents would carry. AWS refuses PutEvents with a source
    beginning "aws." (NotAuthorizedForSourceException): this works only in
    moto, and only stands for CloudTrail.
  * moto delivers the event to the queue as EventBridge does: the SQS body
    is the event JSON itself, not wrapped. AWS's has version, id,
    detail-type, source, account, time, region, resources and detail;
    moto's (5.2) lacks "account". A reader must need no more than
    source, detail-type and detail, and ignore fields it does not know.
  * moto checks IAM policies for SQS calls (the queue's ARN as resource)
    but asks for sqs:DeleteMessageBatch where AWS asks for
    sqs:DeleteMessage (lib/moto.sh maps it), and answers a refused call
    of SQS's JSON protocol with an XML error body (AWS: JSON).
  * moto ignores the queue policy (resource policies are not evaluated)
    and lets any rule deliver; the policy is put anyway, as a deployment
    needs it.
"""

import argparse
import datetime
import json
import os
import sys
import time
import uuid

import boto3

REGION = "us-east-1"
QUEUE = "nss-iam-events"
RULE = "nss-iam-events"
PUBLISHER = "nss-iam-publisher"
ADMIN = "events-admin"

# The events the publisher follows (the rule delivers nothing else).
EVENT_NAMES = [
    "UploadSSHPublicKey", "UpdateSSHPublicKey", "DeleteSSHPublicKey",
    "CreateUser", "DeleteUser", "UpdateUser",
    "AddUserToGroup", "RemoveUserFromGroup", "DeleteGroup", "UpdateGroup",
    "TagUser", "UntagUser",
]

PATTERN = {
    "source": ["aws.iam"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["iam.amazonaws.com"],
        "eventName": EVENT_NAMES,
    },
}


def client(service, endpoint, creds=None):
    if creds is None:
        creds = {"AWS_ACCESS_KEY_ID": "admin",
                 "AWS_SECRET_ACCESS_KEY": "admin"}
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"])


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                out[k] = v
    return out


def write_env(path, key):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
                % (key["AccessKeyId"], key["SecretAccessKey"]))


def sqs_actions(statement):
    acts = statement.get("Action", [])
    if isinstance(acts, str):
        acts = [acts]
    return [a for a in acts if a.lower().startswith("sqs:")]


def publisher_policy(policy_dir, obj, queue_arn):
    """fleet-publisher-policy.json with BUCKET/KEY and the queue ARN filled
    in. Returns (document, added): added is True when the shipped policy
    had no SQS statement and the one the follower needs was added."""
    with open(os.path.join(policy_dir, "fleet-publisher-policy.json")) as f:
        doc = json.loads(f.read().replace("BUCKET/KEY", obj))
    added = True
    for st in doc["Statement"]:
        if not sqs_actions(st):
            continue
        added = False
        res = st.get("Resource")
        # Whatever placeholder the shipped policy uses for the queue (its
        # region, account or name), the queue here is this one.
        if isinstance(res, list):
            st["Resource"] = [queue_arn if r.startswith("arn:aws:sqs:")
                              else r for r in res]
        elif isinstance(res, str) and res.startswith("arn:aws:sqs:"):
            st["Resource"] = queue_arn
    if added:
        doc["Statement"].append({
            "Sid": "FollowTheEventQueue",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "Resource": queue_arn,
        })
    return doc, added


def cmd_setup(a):
    os.makedirs(a.dir, exist_ok=True)
    sqs = client("sqs", a.endpoint)
    events = client("events", a.endpoint)
    iam = client("iam", a.endpoint)

    # SQS's own default visibility timeout; the follower asks for its own
    # on every receive.
    q_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    q_arn = sqs.get_queue_attributes(
        QueueUrl=q_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    account = q_arn.split(":")[4]
    rule_arn = events.put_rule(Name=RULE, EventPattern=json.dumps(PATTERN),
                               State="ENABLED")["RuleArn"]
    events.put_targets(Rule=RULE, Targets=[{"Id": "queue", "Arn": q_arn}])
    sqs.set_queue_attributes(QueueUrl=q_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TheRuleSends",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": q_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }]})})

    doc, added = publisher_policy(a.policy_dir, a.object, q_arn)
    iam.create_user(UserName=PUBLISHER)
    with open(os.path.join(a.policy_dir, "iam-ssh-policy.json")) as f:
        iam.put_user_policy(UserName=PUBLISHER, PolicyName="nss-iam-ssh",
                            PolicyDocument=f.read())
    iam.put_user_policy(UserName=PUBLISHER, PolicyName="fleet-publisher",
                        PolicyDocument=json.dumps(doc))
    write_env(os.path.join(a.dir, "publisher.env"),
              iam.create_access_key(UserName=PUBLISHER)["AccessKey"])

    iam.create_user(UserName=ADMIN)
    iam.put_user_policy(UserName=ADMIN, PolicyName="everything",
                        PolicyDocument=json.dumps({
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "*",
                                           "Resource": "*"}]}))
    write_env(os.path.join(a.dir, "admin.env"),
              iam.create_access_key(UserName=ADMIN)["AccessKey"])

    with open(os.path.join(a.dir, "events.json"), "w") as f:
        json.dump({"queue_url": q_url, "queue_arn": q_arn,
                   "rule_arn": rule_arn, "account_id": account,
                   "publisher_policy": doc, "sqs_statement_added": added},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    print(q_url)
    return 0


def cloudtrail_record(event_name, request_parameters, account,
                      response_elements=None):
    """A CloudTrail record of one successful IAM call, as CloudTrail writes
    it (field names of requestParameters are the API's with a lower-case
    first letter: userName, groupName, sSHPublicKeyId)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEADMIN00001",
            "arn": "arn:aws:iam::%s:user/%s" % (account, ADMIN),
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLEADMIN0001",
            "userName": ADMIN,
        },
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "iam.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.30 md/command#iam.%s" % event_name,
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "iam.amazonaws.com",
        },
    }


def account_of(endpoint, creds):
    return client("sts", endpoint, creds).get_caller_identity()["Account"]


def announce(eventName, requestParameters, endpoint=None, creds=None,
             events_client=None, account=None):
    """What IAM and CloudTrail do after a successful IAM call: one
    "AWS API Call via CloudTrail" event on the default bus. Returns the
    EventId. (moto emits no event for IAM calls: see the module's doc.)"""
    return announce_many([(eventName, requestParameters)], endpoint, creds,
                         events_client, account)[0]


def announce_many(calls, endpoint=None, creds=None, events_client=None,
                  account=None):
    """announce() of several calls in one PutEvents (at most 10)."""
    if events_client is None:
        events_client = client("events", endpoint, creds)
    if account is None:
        account = account_of(endpoint, creds)
    entries = [{
        "Source": "aws.iam",
        "DetailType": "AWS API Call via CloudTrail",
        "Detail": json.dumps(cloudtrail_record(name, params, account)),
    } for name, params in calls]
    r = events_client.put_events(Entries=entries)
    if r.get("FailedEntryCount"):
        raise RuntimeError("PutEvents failed: %r" % r["Entries"])
    return [e["EventId"] for e in r["Entries"]]


def cmd_announce(a):
    if len(a.args) % 2:
        sys.exit("announce: EVENT JSON pairs")
    calls = [(a.args[i], json.loads(a.args[i + 1]))
             for i in range(0, len(a.args), 2)]
    for eid in announce_many(calls, a.endpoint, read_env(a.admin)):
        print(eid)
    return 0


def cmd_send(a):
    sqs = client("sqs", a.endpoint, read_env(a.admin))
    for body in a.args:
        print(sqs.send_message(QueueUrl=a.queue_url,
                               MessageBody=body)["MessageId"])
    return 0


def cmd_depth(a):
    sqs = client("sqs", a.endpoint, read_env(a.admin))
    at = sqs.get_queue_attributes(
        QueueUrl=a.queue_url,
        AttributeNames=["ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    print(at["ApproximateNumberOfMessages"],
          at["ApproximateNumberOfMessagesNotVisible"])
    return 0


def cmd_receive(a):
    sqs = client("sqs", a.endpoint, read_env(a.admin))
    r = sqs.receive_message(QueueUrl=a.queue_url, MaxNumberOfMessages=10,
                            VisibilityTimeout=0, WaitTimeSeconds=0)
    for m in r.get("Messages", []):
        print(m["Body"])
    return 0


DENY_PUT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "s3:PutObject",
                   "Resource": "*"}]})


def head_etag(s3, obj):
    bucket, _, key = obj.partition("/")
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ETag"]
    except s3.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
        return "none"


def cmd_iam(a):
    creds = read_env(a.admin)
    iam = client("iam", a.endpoint, creds)
    s3 = client("s3", a.endpoint, creds)
    before = head_etag(s3, a.object) if a.wait_change else None
    calls = []
    for op in a.args:
        kind, _, rest = op.partition(":")
        if kind == "delete-key":
            keys = iam.list_ssh_public_keys(UserName=rest)["SSHPublicKeys"]
            active = [k for k in keys if k["Status"] == "Active"]
            if not active:
                sys.exit("iam: %s has no Active key" % rest)
            kid = active[0]["SSHPublicKeyId"]
            iam.delete_ssh_public_key(UserName=rest, SSHPublicKeyId=kid)
            calls.append(("DeleteSSHPublicKey",
                          {"userName": rest, "sSHPublicKeyId": kid}))
            print(rest, kid)
        elif kind in ("add-to-group", "remove-from-group"):
            user, _, group = rest.partition(":")
            if kind == "add-to-group":
                iam.add_user_to_group(GroupName=group, UserName=user)
                calls.append(("AddUserToGroup",
                              {"groupName": group, "userName": user}))
            else:
                iam.remove_user_from_group(GroupName=group, UserName=user)
                calls.append(("RemoveUserFromGroup",
                              {"groupName": group, "userName": user}))
        elif op == "deny-put:on":
            iam.put_user_policy(UserName=PUBLISHER, PolicyName="deny-put",
                                PolicyDocument=DENY_PUT)
        elif op == "deny-put:off":
            iam.delete_user_policy(UserName=PUBLISHER, PolicyName="deny-put")
        else:
            sys.exit("iam: unknown operation %r" % op)
    if a.announce and calls:
        announce_many(calls, a.endpoint, creds)
    if a.wait_change:
        t0 = time.monotonic()
        sys.stdout.flush()
        while head_etag(s3, a.object) == before:
            if time.monotonic() - t0 > a.wait_change:
                return 1
            time.sleep(0.1)
        print("announce_to_object_s=%.2f" % (time.monotonic() - t0))
    return 0


def cmd_etag(a):
    print(head_etag(client("s3", a.endpoint, read_env(a.admin)), a.object))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["setup", "announce", "send", "depth",
                                       "receive", "iam", "etag"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--policy-dir")
    p.add_argument("--object", help="BUCKET/KEY of the fleet object")
    p.add_argument("--dir")
    p.add_argument("--admin", help="env file of events-admin's key")
    p.add_argument("--queue-url")
    p.add_argument("--announce", action="store_true")
    p.add_argument("--wait-change", type=float, default=0)
    p.add_argument("args", nargs="*")
    a = p.parse_intermixed_args(argv)
    if a.command == "setup":
        if not (a.policy_dir and a.object and a.dir):
            p.error("setup needs --policy-dir, --object and --dir")
    elif not a.admin:
        p.error("%s needs --admin" % a.command)
    elif a.command in ("send", "depth", "receive") and not a.queue_url:
        p.error("%s needs --queue-url" % a.command)
    elif (a.command == "etag" or a.wait_change) and not a.object:
        p.error("etag and --wait-change need --object")
    elif a.wait_change and not a.announce:
        p.error("--wait-change needs --announce")
    return {"setup": cmd_setup, "announce": cmd_announce, "send": cmd_send,
            "depth": cmd_depth, "receive": cmd_receive,
            "iam": cmd_iam, "etag": cmd_etag}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
