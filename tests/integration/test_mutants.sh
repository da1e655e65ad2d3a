#!/usr/bin/env bash
# make mutants, as a suite of make check: every deliberate break of a
# security or data invariant (tests/mutants/*.mut) must be caught by the
# test it names. See tests/mutants/run.sh.
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/tests/mutants/run.sh"
