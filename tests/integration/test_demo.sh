#!/usr/bin/env bash
# make demo's script, as a suite: every step it shows must be "ok".
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/scripts/demo.sh"
