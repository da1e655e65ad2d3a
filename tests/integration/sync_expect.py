#!/usr/bin/env python3
"""What an iam-sync snapshot must hold, computed from the seed manifest.

  sync_expect.py check --manifest M --dump D --endpoint URL
                       --authorized G1,G2 --sudoers G3
                       [--max-key-age-days N] [--uid-min N --uid-max N]
      Builds the expected `dumpsnapshot` text from the manifest (users,
      groups, keys as seeded) and the account's full user list (ListUsers,
      with the credentials in the environment: uid placement covers every
      user of the account), normalises both texts and prints a unified
      diff. Exit 0 when they are equal, 1 otherwise.

  sync_expect.py change --manifest M --out M2 --endpoint URL OP...
      Applies changes to the emulated IAM (checks must be off: the seed
      credentials are used) and writes the manifest that describes the
      result. OP is one of
        delete-key:USER:N       delete the user's N-th seeded key
        deactivate-key:USER:N   set it Inactive
        remove-from-group:USER:GROUP
        delete-user:USER        (groups and keys first, as IAM requires)
      and prints one line per changed key id: "KEY_ID".

The rules are those of docs/design.md, written out again here on purpose, so
that the test does not share code with the program it checks:
  * names: + = , @ become .plus. .equal. .comma. .at.; a mapped name
    longer than 32 characters or not matching ^[a-z_A-Z][a-zA-Z0-9_.-]*$
    is refused; two IAM names with one mapped name are both refused; a
    name of /etc/passwd or /etc/group, a reserved name or SUDO_GROUP /
    MEMBER_GROUP is refused, and so is a user named like a configured
    IAM group, all compared ignoring case (sudo does);
  * uid = UID_MIN + first 8 bytes of SHA-256("uid:" + UserId) mod
    (UID_MAX - UID_MIN + 1), users placed by (CreateDate in whole
    seconds, UserId) over every user of the account; a taken id retries
    with "uid:" + UserId + ":" + n; gid = uid; the uids and gids of
    /etc/passwd and /etc/group, 65534 and 4294967294 are taken first;
  * IAM groups (authorized and sudoers groups that exist, each GroupId
    once, whose mapped name is free of all the above and of the served
    users' names, ignoring case) get "gid:" + GroupId, placed after the
    users, ordered by GroupId (the sync does not record a group's
    CreateDate, so it is unknown, 0); then SUDO_GROUP and MEMBER_GROUP
    with "gid:" + name; neither ever gives way to an IAM name;
  * keys: Inactive stays inactive, an Active key older than
    MAX_KEY_AGE_DAYS is expired; the line is "TYPE BASE64 [comment]".
"""

import argparse
import base64
import calendar
import datetime
import difflib
import hashlib
import json
import os
import re
import sys
import time

NAME_MAX = 32
NAME_RE = re.compile(r"^[a-z_A-Z][a-zA-Z0-9_.-]*$")
MAP = {"+": ".plus.", "=": ".equal.", ",": ".comma.", "@": ".at."}
# Reserved names (docs/design.md, Namespace and ids), plus "admins" (an
# admin group on several distributions, on the product's list): enough for
# the names the basic scenario uses. Names of the local files are added at
# run time.
RESERVED = {"root", "daemon", "bin", "sys", "adm", "sudo", "wheel", "admin",
            "admins", "nobody", "users", "staff"}
SUDO_GROUP = "iam-sudo"
MEMBER_GROUP = "iam-users"
DAY = 86400


def local_files():
    """Lower-cased names and the ids of the local files (as read there:
    NIS lines and lines with the wrong field count skipped)."""
    names, ids = set(), set()
    for path, nfields, cols in (("/etc/passwd", 7, (2, 3)),
                                ("/etc/group", 4, (2,))):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#") or \
                        line[0] in "+-":
                    continue
                fields = line.split(":")
                if len(fields) != nfields or not fields[0] or \
                        not all(fields[c].isdigit() for c in cols):
                    continue
                names.add(fields[0].lower())
                ids.update(int(fields[c]) for c in cols)
    return names, ids


def map_name(iam_name):
    mapped = "".join(MAP.get(c, c) for c in iam_name)
    if len(mapped) > NAME_MAX or not NAME_RE.match(mapped):
        return None
    return mapped


def epoch(value):
    """Whole seconds since the epoch, from an ISO-8601 string or datetime."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return calendar.timegm(value.utctimetuple())


def hash_id(prefix, key, n, lo, hi):
    s = prefix + key + (":%d" % n if n else "")
    h = int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "big")
    return lo + h % (hi - lo + 1)


def place(prefix, keys, taken, lo, hi):
    """keys in placement order; returns {key: id}; adds to taken."""
    out = {}
    for key in keys:
        n = 0
        while True:
            i = hash_id(prefix, key, n, lo, hi)
            if i not in taken:
                break
            n += 1
        taken.add(i)
        out[key] = i
    return out


def fingerprint(line):
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(
        hashlib.sha256(blob).digest()).decode().rstrip("=")


def canonical(body):
    parts = body.split()
    return " ".join(parts[:3])


def list_all_users(endpoint):
    import boto3
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
    users = []
    for page in iam.get_paginator("list_users").paginate():
        users.extend(page["Users"])
    return users


def expected(man, all_users, a):
    authorized = [g for g in a.authorized.split(",") if g]
    sudoers = [g for g in a.sudoers.split(",") if g]
    local, local_ids = local_files()
    blocked = RESERVED | local | {SUDO_GROUP, MEMBER_GROUP}
    users = {u["UserName"]: u for u in man["users"]}

    # Names: mapped over every user of the account, ambiguity included.
    mapped = {u["UserName"]: map_name(u["UserName"]) for u in all_users}
    count = {}
    for m in mapped.values():
        if m:
            count[m.lower()] = count.get(m.lower(), 0) + 1
    # A user may not take a configured IAM group's name either.
    user_blocked = blocked | {map_name(g).lower() for g in
                              authorized + sudoers if map_name(g)}
    ok_name = {n: m for n, m in mapped.items()
               if m and count[m.lower()] == 1 and
               m.lower() not in user_blocked}

    # uids over every user of the account, local ids taken first.
    lo, hi = a.uid_min, a.uid_max
    taken = {i for i in local_ids | {65534, 4294967294} if lo <= i <= hi}
    order = sorted(all_users, key=lambda u: (epoch(u["CreateDate"]),
                                             u["UserId"]))
    uid_of = place("uid:", [u["UserId"] for u in order], taken, lo, hi)

    served = []
    for name, u in users.items():
        if name in ok_name and set(u["groups"]) & set(authorized):
            served.append(u)
    served_names = {ok_name[u["UserName"]] for u in served}
    served_lower = {n.lower() for n in served_names}

    # Shared groups: configured IAM groups that exist, in config order.
    groups = {g["GroupName"]: g for g in man["groups"]}
    configured = []
    for g in authorized + sudoers:
        if g in groups and g not in configured:
            configured.append(g)
    iam_groups = []
    for g in configured:
        m = map_name(g)
        if groups[g]["GroupId"] in [groups[x]["GroupId"]
                                    for x, _ in iam_groups]:
            continue
        if m and m.lower() not in blocked and m.lower() not in \
                served_lower and \
                m.lower() not in [x[1].lower() for x in iam_groups]:
            iam_groups.append((g, m))
    gid_of = place("gid:", sorted(groups[g]["GroupId"] for g, _ in
                                  iam_groups), taken, lo, hi)
    synth = place("gid:", [SUDO_GROUP, MEMBER_GROUP], taken, lo, hi)

    now = a.now or time.time()
    lines = []
    n_keys = 0
    members = {m: [] for _, m in iam_groups}
    sudo_members = []
    for u in served:
        name = ok_name[u["UserName"]]
        uid = uid_of[u["UserId"]]
        lines.append("user %s %d %d %s %s /home/%s /bin/bash %s" % (
            name, uid, uid, u["UserName"], u["UserId"], name, u["UserName"]))
        gids = []
        for g, m in iam_groups:
            if g in u["groups"]:
                gids.append(gid_of[groups[g]["GroupId"]])
                members[m].append(name)
        if set(u["groups"]) & set(sudoers):
            gids.append(synth[SUDO_GROUP])
            sudo_members.append(name)
        gids.append(synth[MEMBER_GROUP])
        lines.append("gids %s %s" % (name, " ".join(
            str(x) for x in sorted(gids))))
        lines.append("group %s %d private" % (name, uid))
        for k in u["keys"]:
            status = k["Status"].lower()
            up = epoch(k["UploadDate"])
            if status == "active" and a.max_key_age_days and \
                    now - up > a.max_key_age_days * DAY:
                status = "expired"
            line = canonical(k["SSHPublicKeyBody"])
            lines.append("key %s %s %s %d %s %s" % (
                name, k["SSHPublicKeyId"], status, up, fingerprint(line),
                line))
            n_keys += 1
    for g, m in iam_groups:
        lines.append("group %s %d iam %s" % (
            m, gid_of[groups[g]["GroupId"]], " ".join(sorted(members[m]))))
    lines.append("group %s %d sudo %s" % (
        SUDO_GROUP, synth[SUDO_GROUP], " ".join(sorted(sudo_members))))
    lines.append("group %s %d member %s" % (
        MEMBER_GROUP, synth[MEMBER_GROUP],
        " ".join(sorted(served_names))))
    lines.append("meta users=%d groups=%d keys=%d uid_min=%d uid_max=%d "
                 "account=%s" % (len(served), len(served) + len(iam_groups)
                                 + 2, n_keys, lo, hi, man["account_id"]))
    return sorted(x.rstrip() for x in lines)


def normalise(text):
    """Sorted lines; member and gid lists sorted; meta without the fields
    that change from run to run or with the host (digest, created, source,
    instance: the IMDS the sync asked, not IAM's answer)."""
    out = []
    for line in text.splitlines():
        f = line.split(" ")
        if f[0] == "meta":
            f = [x for x in f if not x.startswith(
                ("digest=", "created=", "source=", "instance="))]
        elif f[0] == "group":
            f = f[:4] + sorted(f[4:])
        elif f[0] == "gids":
            f = f[:2] + [str(x) for x in sorted(int(g) for g in f[2:])]
        out.append(" ".join(f).rstrip())
    return sorted(out)


def cmd_check(a):
    with open(a.manifest) as f:
        man = json.load(f)
    with open(a.dump) as f:
        got = normalise(f.read())
    want = expected(man, list_all_users(a.endpoint), a)
    if got == want:
        return 0
    for line in difflib.unified_diff(want, got, "expected", "snapshot",
                                     lineterm="", n=1):
        print(line)
    return 1


def cmd_change(a):
    import boto3
    with open(a.manifest) as f:
        man = json.load(f)
    iam = boto3.client("iam", endpoint_url=a.endpoint,
                       region_name="us-east-1", aws_access_key_id="seed",
                       aws_secret_access_key="seed")
    users = {u["UserName"]: u for u in man["users"]}
    groups = {g["GroupName"]: g for g in man["groups"]}
    for op in a.ops:
        kind, _, rest = op.partition(":")
        if kind in ("delete-key", "deactivate-key"):
            name, _, idx = rest.rpartition(":")
            key = users[name]["keys"][int(idx)]
            if kind == "delete-key":
                iam.delete_ssh_public_key(
                    UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"])
                users[name]["keys"].remove(key)
            else:
                iam.update_ssh_public_key(
                    UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"],
                    Status="Inactive")
                key["Status"] = "Inactive"
            print(key["SSHPublicKeyId"])
        elif kind == "remove-from-group":
            name, _, group = rest.rpartition(":")
            iam.remove_user_from_group(GroupName=group, UserName=name)
            users[name]["groups"].remove(group)
            groups[group]["members"].remove(name)
        elif kind == "delete-user":
            u = users.pop(rest)
            for g in u["groups"]:
                iam.remove_user_from_group(GroupName=g, UserName=rest)
                groups[g]["members"].remove(rest)
            for k in u["keys"]:
                iam.delete_ssh_public_key(UserName=rest,
                                          SSHPublicKeyId=k["SSHPublicKeyId"])
                print(k["SSHPublicKeyId"])
            iam.delete_user(UserName=rest)
            man["users"].remove(u)
        else:
            sys.exit("sync_expect: unknown change %r" % op)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, a.out)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--manifest", required=True)
    c.add_argument("--dump", required=True)
    c.add_argument("--endpoint", required=True)
    c.add_argument("--authorized", required=True)
    c.add_argument("--sudoers", default="")
    c.add_argument("--max-key-age-days", type=int, default=0)
    c.add_argument("--uid-min", type=int, default=2000000000)
    c.add_argument("--uid-max", type=int, default=2147483646)
    c.add_argument("--now", type=float, help="epoch seconds (default: now)")
    c.set_defaults(fn=cmd_check)
    ch = sub.add_parser("change")
    ch.add_argument("--manifest", required=True)
    ch.add_argument("--out", required=True)
    ch.add_argument("--endpoint", required=True)
    ch.add_argument("ops", nargs="+")
    ch.set_defaults(fn=cmd_change)
    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
