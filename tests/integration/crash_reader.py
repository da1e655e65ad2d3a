#!/usr/bin/env python3
"""One long-lived NSS reader: looks users and a group up in a loop.

  crash_reader.py --expect FILE --shells SH1,SH2 --group NAME
                  --stop FILE --out FILE

FILE (--expect) holds the passwd lines the snapshot serves
("name:*:uid:gid:gecos:home:shell"). The reader stays one process, so the
NSS module keeps its snapshot open and must notice each new one. Until the
--stop file exists it alternates getpwnam and getpwuid on random users and
getgrnam on --group; every answer must be exactly the expected line with
one of the --shells, and the group must list every user. When stopped it
writes {"lookups": N, "errors": N, "samples": [first errors]} to --out.
"""

import argparse
import grp
import json
import os
import pwd
import random
import sys
import time

MAX_SAMPLES = 10
# A pause between lookups, so the reader does not starve the writer.
PAUSE_S = 0.001


def line_of(pw):
    return ":".join([pw.pw_name, pw.pw_passwd, str(pw.pw_uid),
                     str(pw.pw_gid), pw.pw_gecos, pw.pw_dir, pw.pw_shell])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--expect", required=True)
    p.add_argument("--shells", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    with open(args.expect) as f:
        expect = [ln.rstrip("\n").split(":") for ln in f if ln.strip()]
    shells = set(args.shells.split(","))
    names = {e[0] for e in expect}
    lookups = errors = 0
    samples = []

    def error(msg):
        nonlocal errors
        errors += 1
        if len(samples) < MAX_SAMPLES:
            samples.append(msg)

    i = 0
    while not os.path.exists(args.stop):
        i += 1
        e = random.choice(expect)
        try:
            if i % 10 == 0:
                members = set(grp.getgrnam(args.group).gr_mem)
                if members != names:
                    error("group %s: %d members, %d expected" % (
                        args.group, len(members), len(names)))
            else:
                if i % 2:
                    pw = pwd.getpwnam(e[0])
                else:
                    pw = pwd.getpwuid(int(e[2]))
                got = line_of(pw).split(":")
                if got[:6] != e[:6] or got[6] not in shells:
                    error("got %s, want %s" % (":".join(got), ":".join(e)))
        except (KeyError, OSError) as ex:
            error("%s: %r" % (e[0], ex))
        lookups += 1
        time.sleep(PAUSE_S)
    with open(args.out, "w") as f:
        json.dump({"lookups": lookups, "errors": errors,
                   "samples": samples}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
