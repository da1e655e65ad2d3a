#!/usr/bin/env python3
"""Tag every tenth user of a moto IAM filled by seed_iam.py many:N.

  tag_iam.py --endpoint URL --from A --to B [--threads N]

user<i> for i in A..B with i % 10 == 1 gets the tag "ssh-key" holding a
synthetic ssh-ed25519 key (TAG_KEYS). moto's checks must be off while it
runs (lib/moto.sh moto_auth_off).
"""

import argparse
import base64
import concurrent.futures
import secrets
import struct
import sys

import boto3


def ed25519_line():
    def s(b):
        return struct.pack(">I", len(b)) + b
    blob = s(b"ssh-ed25519") + s(secrets.token_bytes(32))
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--from", dest="first", type=int, required=True)
    p.add_argument("--to", dest="last", type=int, required=True)
    p.add_argument("--threads", type=int, default=16)
    args = p.parse_args()
    iam = boto3.client("iam", endpoint_url=args.endpoint,
                       region_name="us-east-1", aws_access_key_id="admin",
                       aws_secret_access_key="admin")
    names = ["user%05d" % i for i in range(args.first, args.last + 1)
             if i % 10 == 1]
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        futs = [pool.submit(iam.tag_user, UserName=n,
                            Tags=[{"Key": "ssh-key", "Value": ed25519_line()}])
                for n in names]
        for f in futs:
            f.result()
    print("tagged %d users" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
