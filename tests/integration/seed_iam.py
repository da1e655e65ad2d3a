#!/usr/bin/env python3
"""Fill a moto IAM emulator with the users, groups and SSH keys of a scenario.

Scenarios:
  basic    the fixture of the integration tests: awkward names, reserved
           names, several groups, 1-5 keys per user of several types,
           Inactive keys, one key uploaded long ago
  many:N   N users "user00001"... in group ssh-users with 2 keys each
  hostile  IAM names chosen to take a local or configured name: users
           "iam-sudo" and "iam-users" (SUDO_GROUP, MEMBER_GROUP),
           "Deploy" (a local "deploy"), IAM groups "iam-users" and "Ops"
           (a local "ops"); alice is the real sudoer (admins), carol an
           ordinary user in the hostile groups; one key each

Always created as well:
  nss-iam-sync      user with exactly policy/iam-ssh-policy.json attached
                    (managed policy "nss-iam-ssh") and one access key,
                    written to DIR/creds.env
  nss-iam-instance  stands for the instance role of another account: may
                    only sts:AssumeRole the role "nss-iam-reader", whose trust
                    and permissions are policy/cross-account-*.json (the
                    placeholder principal replaced by this user's ARN);
                    credentials in DIR/creds-instance.env

The manifest (JSON) lists everything created, with the values moto returned,
so tests compute their expectations from it and not from this script.

Seeding runs with moto's checks off; at the end the script POSTs "0" to
/moto-api/reset-auth, after which moto checks the signature and the policy
of every call (see lib/moto.sh). --no-enforce skips that.
"""

import argparse
import base64
import concurrent.futures
import datetime
import json
import os
import secrets
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import botocore.config

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY_DIR = os.path.join(HERE, "..", "..", "policy")
REGION = "us-east-1"
SYNC_USER = "nss-iam-sync"
INSTANCE_USER = "nss-iam-instance"
READER_ROLE = "nss-iam-reader"
OLD_KEY_AGE_DAYS = 400

# 40 characters: valid in IAM, too long for a POSIX name (limit 32).
NAME_40 = "forty-character-long-iam-user-name-abcde"
assert len(NAME_40) == 40

# (user, groups, keys); a key is (type, bits, status[, "old"]).
BASIC = [
    ("alice", ["ssh-users", "admins"],
     [("rsa", 2048, "Active"), ("rsa", 3072, "Active")]),
    ("bob.smith", ["ssh-users"],
     [("rsa", 2048, "Active"), ("ed25519", 0, "Active"),
      ("rsa", 2048, "Inactive")]),
    ("dev+ops", ["ssh-users", "admins"], [("rsa", 2048, "Active")]),
    ("team=red", ["ssh-users"], [("rsa", 2048, "Active")]),
    ("last,first", ["ssh-users"], [("rsa", 2048, "Active")]),
    ("first.last@example.com", ["ssh-users", "data-science"],
     [("rsa", 2048, "Active"), ("ecdsa", 256, "Active")]),
    (NAME_40, ["ssh-users"], [("rsa", 2048, "Active")]),
    ("root", ["ssh-users", "admins"], [("rsa", 2048, "Active")]),
    ("daemon", ["ssh-users"], [("rsa", 2048, "Active")]),
    ("amb@corp", ["ssh-users"], [("rsa", 2048, "Active")]),
    ("amb.at.corp", ["ssh-users"], [("rsa", 2048, "Active")]),
    ("dana", ["data-science"], [("rsa", 2048, "Active")]),
    ("erin", ["ssh-users", "data-science"],
     [("rsa", 2048, "Active", "old"), ("rsa", 2048, "Active")]),
    ("frank", ["ssh-users"], []),
    ("grace", [], [("rsa", 2048, "Active")]),
    ("heidi", ["ssh-users", "admins", "data-science"],
     [("rsa", 2048, "Active"), ("rsa", 3072, "Active"),
      ("ed25519", 0, "Active"), ("ecdsa", 256, "Inactive"),
      ("rsa", 2048, "Inactive")]),
    ("ivan", ["ssh-users"], [("rsa", 2048, "Inactive")]),
]
BASIC_GROUPS = ["ssh-users", "admins", "data-science"]

# (user, groups), created in this order; alice before the others.
HOSTILE = [
    ("alice", ["ssh-users", "admins"]),
    ("carol", ["ssh-users", "iam-users", "Ops"]),
    ("iam-sudo", ["ssh-users"]),
    ("iam-users", ["ssh-users"]),
    ("Deploy", ["ssh-users"]),
]
HOSTILE_GROUPS = ["ssh-users", "admins", "iam-users", "Ops"]


class Counter:
    """Counts the HTTP requests boto3 sends (retries included)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0

    def __call__(self, **kwargs):
        with self.lock:
            self.n += 1


class Seeder:
    def __init__(self, args):
        self.args = args
        self.counter = Counter()
        self.local = threading.local()
        self.verify = args.ca_bundle if args.ca_bundle else True

    def client(self, service="iam"):
        """One boto3 client per thread and service (sessions are not
        thread-safe)."""
        name = "c_" + service
        c = getattr(self.local, name, None)
        if c is None:
            session = boto3.session.Session(
                aws_access_key_id="seed", aws_secret_access_key="seed",
                region_name=REGION)
            c = session.client(
                service, endpoint_url=self.args.endpoint, verify=self.verify,
                config=botocore.config.Config(
                    retries={"max_attempts": 2, "mode": "standard"},
                    max_pool_connections=4))
            c.meta.events.register("before-send", self.counter)
            setattr(self.local, name, c)
        return c

    def moto_api(self, path, body, content_type):
        ctx = None
        if self.args.ca_bundle:
            ctx = ssl.create_default_context(cafile=self.args.ca_bundle)
        req = urllib.request.Request(
            self.args.endpoint.rstrip("/") + path, data=body, method="POST",
            headers={"Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.loads(r.read())


def iso(dt):
    if isinstance(dt, datetime.datetime):
        if dt.tzinfo is not None:
            dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt


def ssh_keygen(keydir, name, ktype, bits):
    """Generate a key pair; return (public line, private key path)."""
    path = os.path.join(keydir, name)
    cmd = ["ssh-keygen", "-q", "-N", "", "-t", ktype, "-C", name, "-f", path]
    if bits:
        cmd[1:1] = ["-b", str(bits)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip(), path


def synthetic_rsa(comment):
    """A well-formed ssh-rsa public key line with a random 2048-bit modulus.
    Nobody holds its private key: it is for volume tests, where generating
    thousands of real RSA keys would take minutes."""
    def mpint(b):
        return struct.pack(">I", len(b)) + b

    n = bytearray(secrets.token_bytes(256))
    n[0] |= 0x80
    n[-1] |= 1
    blob = (mpint(b"ssh-rsa") + mpint(b"\x01\x00\x01")
            + mpint(b"\x00" + bytes(n)))
    return "ssh-rsa " + base64.b64encode(blob).decode() + " " + comment


def safe_file_name(user):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in user)


def create_user(seeder, name, groups, keys):
    """keys: list of dicts with body, status, old, type, bits, private_key."""
    iam = seeder.client()
    u = iam.create_user(UserName=name)["User"]
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=name)
    out_keys = []
    for k in keys:
        r = iam.upload_ssh_public_key(UserName=name,
                                      SSHPublicKeyBody=k["body"])
        meta = r["SSHPublicKey"]
        if k["status"] != "Active":
            iam.update_ssh_public_key(UserName=name,
                                      SSHPublicKeyId=meta["SSHPublicKeyId"],
                                      Status=k["status"])
        upload = iso(meta["UploadDate"])
        if k.get("old"):
            when = (datetime.datetime.now(datetime.timezone.utc)
                    - datetime.timedelta(days=OLD_KEY_AGE_DAYS))
            upload = iso(when)
            try:
                seeder.moto_api(
                    "/moto-api/x-ssh-key-upload-date", json.dumps({
                        "UserName": name,
                        "SSHPublicKeyId": meta["SSHPublicKeyId"],
                        "UploadDate": upload}).encode(), "application/json")
            except urllib.error.HTTPError as e:
                sys.exit("seed_iam: cannot backdate a key (HTTP %d): start "
                         "moto with tests/integration/lib/moto.sh" % e.code)
        out_keys.append({
            "SSHPublicKeyId": meta["SSHPublicKeyId"],
            "Status": k["status"],
            "UploadDate": upload,
            "Fingerprint": meta.get("Fingerprint"),
            "SSHPublicKeyBody": k["body"],
            "type": k["type"],
            "bits": k["bits"],
            "private_key": k.get("private_key"),
        })
    return {
        "UserName": u["UserName"],
        "UserId": u["UserId"],
        "Arn": u["Arn"],
        "Path": u["Path"],
        "CreateDate": iso(u["CreateDate"]),
        "groups": list(groups),
        "keys": out_keys,
    }


def basic_specs(keydir, pool):
    """Generate the key pairs of the basic scenario (in parallel)."""
    types = {"rsa": "rsa", "ed25519": "ed25519", "ecdsa": "ecdsa"}
    jobs = []
    for name, groups, keys in BASIC:
        for i, k in enumerate(keys):
            fname = "%s.%d.%s" % (safe_file_name(name), i, k[0])
            jobs.append((name, i, k, pool.submit(
                ssh_keygen, keydir, fname, types[k[0]], k[1])))
    specs = {name: (groups, [None] * len(keys)) for name, groups, keys
             in BASIC}
    for name, i, k, fut in jobs:
        line, path = fut.result()
        specs[name][1][i] = {
            "body": line, "status": k[2], "old": len(k) > 3,
            "type": "ssh-" + k[0] if k[0] != "ecdsa"
            else "ecdsa-sha2-nistp256",
            "bits": k[1] if k[0] != "ed25519" else 256,
            "private_key": path,
        }
    return [(name, specs[name][0], specs[name][1]) for name, _, _ in BASIC]


def many_specs(n):
    specs = []
    for i in range(1, n + 1):
        name = "user%05d" % i
        keys = [{"body": synthetic_rsa("%s-%d" % (name, j)),
                 "status": "Active", "old": False, "type": "ssh-rsa",
                 "bits": 2048, "private_key": None} for j in (1, 2)]
        specs.append((name, ["ssh-users"], keys))
    return specs


def hostile_specs():
    return [(name, groups, [{"body": synthetic_rsa(name), "status": "Active",
                             "old": False, "type": "ssh-rsa", "bits": 2048,
                             "private_key": None}])
            for name, groups in HOSTILE]


def read_policy(name):
    with open(os.path.join(POLICY_DIR, name)) as f:
        return f.read()


def create_service_users(seeder, outdir):
    iam = seeder.client()
    # nss-iam-sync: exactly the shipped policy, nothing else.
    iam.create_user(UserName=SYNC_USER)
    pol = iam.create_policy(PolicyName="nss-iam-ssh",
                            PolicyDocument=read_policy("iam-ssh-policy.json"))
    iam.attach_user_policy(UserName=SYNC_USER,
                           PolicyArn=pol["Policy"]["Arn"])
    sync_key = iam.create_access_key(UserName=SYNC_USER)["AccessKey"]

    # The cross-account pair, inside one emulated account.
    inst = iam.create_user(UserName=INSTANCE_USER)["User"]
    trust = read_policy("cross-account-trust.json").replace(
        "arn:aws:iam::INSTANCE_ACCOUNT_ID:role/INSTANCE_ROLE_NAME",
        inst["Arn"])
    role = iam.create_role(RoleName=READER_ROLE,
                           AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName=READER_ROLE, PolicyName="nss-iam-ssh",
                        PolicyDocument=read_policy(
                            "cross-account-role-policy.json"))
    iam.put_user_policy(UserName=INSTANCE_USER, PolicyName="assume-reader",
                        PolicyDocument=json.dumps({
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow",
                                           "Action": "sts:AssumeRole",
                                           "Resource": role["Arn"]}]}))
    inst_key = iam.create_access_key(UserName=INSTANCE_USER)["AccessKey"]

    for fname, key in (("creds.env", sync_key),
                       ("creds-instance.env", inst_key)):
        path = os.path.join(outdir, fname)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
                    % (key["AccessKeyId"], key["SecretAccessKey"]))
    return {
        "sync_user": {"UserName": SYNC_USER,
                      "AccessKeyId": sync_key["AccessKeyId"],
                      "PolicyArn": pol["Policy"]["Arn"]},
        "instance_user": {"UserName": INSTANCE_USER, "Arn": inst["Arn"],
                          "AccessKeyId": inst_key["AccessKeyId"]},
        "reader_role": {"RoleName": READER_ROLE, "Arn": role["Arn"]},
    }


# The instance moto's IMDS describes (see lib/moto.sh) and the tags that
# IAM_AUTHORIZED_GROUPS_TAG / SUDOERS_GROUPS_TAG tests name.
INSTANCE_ID = "i-0123456789abcdef0"
INSTANCE_TAGS = {"nss-iam-groups": "ssh-users, data-science",
                 "nss-iam-sudoers": "admins"}


def tag_instance(seeder):
    """Tags the emulated instance; done before enforcement starts."""
    ec2 = seeder.client("ec2")
    ec2.create_tags(Resources=[INSTANCE_ID],
                    Tags=[{"Key": k, "Value": v}
                          for k, v in INSTANCE_TAGS.items()])
    return {"InstanceId": INSTANCE_ID, "Tags": INSTANCE_TAGS}


def seed(args):
    seeder = Seeder(args)
    t0 = time.monotonic()
    iam = seeder.client()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.threads)
    if args.scenario == "basic":
        os.makedirs(args.keydir, exist_ok=True)
        specs = basic_specs(args.keydir, pool)
        group_names = BASIC_GROUPS
    elif args.scenario == "hostile":
        specs = hostile_specs()
        group_names = HOSTILE_GROUPS
    else:
        specs = many_specs(args.count)
        group_names = ["ssh-users"]
    groups = {}
    for g in group_names:
        r = iam.create_group(GroupName=g)["Group"]
        groups[g] = {"GroupName": g, "GroupId": r["GroupId"], "Arn": r["Arn"],
                     "members": []}
    # Users are created in list order (one at a time for "basic", so
    # CreateDate follows the list); "many" spreads them over the pool.
    if args.scenario in ("basic", "hostile"):
        users = [create_user(seeder, *s) for s in specs]
    else:
        futs = [pool.submit(create_user, seeder, *s) for s in specs]
        users = [f.result() for f in futs]
    pool.shutdown()
    for u in users:
        for g in u["groups"]:
            groups[g]["members"].append(u["UserName"])
    service = create_service_users(seeder, args.dir)
    tags = tag_instance(seeder) if args.scenario == "basic" else {}
    manifest = {
        "scenario": args.scenario,
        "endpoint": args.endpoint,
        "account_id": users[0]["Arn"].split(":")[4] if users else None,
        "users": users,
        "groups": list(groups.values()),
        "old_key_age_days": OLD_KEY_AGE_DAYS,
        "calls": seeder.counter.n,
        "seconds": round(time.monotonic() - t0, 3),
    }
    manifest.update(service)
    manifest["instance_tags"] = tags
    if args.enforce:
        seeder.moto_api("/moto-api/reset-auth", b"0", "text/plain")
    manifest["enforced"] = args.enforce
    with open(args.manifest, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", required=True,
                   help="moto URL, e.g. http://127.0.0.1:PORT")
    p.add_argument("--scenario", default="basic",
                   help='"basic", "hostile" or "many:N"')
    p.add_argument("--dir", required=True,
                   help="output directory (creds.env, manifest.json, keys/)")
    p.add_argument("--keydir", help="key pairs (default DIR/keys)")
    p.add_argument("--manifest", help="manifest (default DIR/manifest.json)")
    p.add_argument("--ca-bundle", help="CA file for an https endpoint")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--no-enforce", dest="enforce", action="store_false",
                   help="leave moto's checks off after seeding")
    args = p.parse_args(argv)
    if args.scenario.startswith("many:"):
        try:
            args.count = int(args.scenario[5:], 10)
        except ValueError:
            p.error("--scenario many:N needs a number")
        if not 1 <= args.count <= 100000:
            p.error("--scenario many:N: N must be 1..100000")
    elif args.scenario not in ("basic", "hostile"):
        p.error("unknown scenario %r" % args.scenario)
    if args.threads < 1:
        p.error("--threads must be >= 1")
    os.makedirs(args.dir, exist_ok=True)
    args.keydir = args.keydir or os.path.join(args.dir, "keys")
    args.manifest = args.manifest or os.path.join(args.dir, "manifest.json")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    m = seed(args)
    print("seeded %s: %d users, %d keys, %d calls, %.1f s%s" % (
        m["scenario"], len(m["users"]),
        sum(len(u["keys"]) for u in m["users"]), m["calls"], m["seconds"],
        ", checks on" if m["enforced"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
