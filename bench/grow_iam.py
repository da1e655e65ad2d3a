#!/usr/bin/env python3
"""Add users to a moto IAM that seed_iam.py filled with --scenario many:N.

  grow_iam.py --endpoint URL --from A --to B [--threads N]

Creates user<A>..user<B> (5 digits) exactly as seed_iam.py's many:N
scenario does: members of group ssh-users, two Active synthetic ssh-rsa
keys each. seed_iam.py many:A-1 followed by grow_iam.py --from A --to B
therefore leaves the account that seed_iam.py many:B would have built,
without creating the first A-1 users again. moto's checks must be off
while it runs (lib/moto.sh moto_auth_off); it uses throw-away keys.
"""

import argparse
import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import seed_iam  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--from", dest="first", type=int, required=True)
    p.add_argument("--to", dest="last", type=int, required=True)
    p.add_argument("--threads", type=int, default=16)
    args = p.parse_args()
    if not 1 <= args.first <= args.last <= 99999:
        p.error("need 1 <= --from <= --to <= 99999")
    args.ca_bundle = None
    seeder = seed_iam.Seeder(args)
    t0 = time.monotonic()
    specs = seed_iam.many_specs(args.last)[args.first - 1:]
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        futs = [pool.submit(seed_iam.create_user, seeder, *s) for s in specs]
        for f in futs:
            f.result()
    print("grew to user%05d: %d users added, %d calls, %.1f s"
          % (args.last, len(specs), seeder.counter.n,
             time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
