#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Mutants: each tests/mutants/NAME.mut breaks one security or data
# invariant on purpose; the test named in it must notice. A mutant that
# survives (its test still passes) means the invariant is unguarded.
#
# A .mut file:
#   # what the invariant is (comment lines)
#   file: lib/snapshot/iam_db.c     the file to break
#   from: <one exact line>          must occur exactly once in the file
#   to:   <its replacement>         (blanks around it dropped; the line
#                                    keeps its own indentation)
#   (more from:/to: pairs may follow, applied in order)
#   test: <shell command>           run from the mutated tree's root; the
#                                   mutant is killed when it exits non-zero
# A "from:" line that no longer matches exactly once is an error, so a
# mutant cannot silently go stale when the code moves.
#
# Usage: tests/mutants/run.sh [NAME...]   (default: every .mut file)
# Prints TAP, one line per mutant, naming the test that killed it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../integration/lib/tap.sh
. "$root/tests/integration/lib/tap.sh"

work=$(mktemp -d /tmp/nss-iam-mutants.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT

# field FILE KEY: the value of the first "KEY: value" line in a .mut file.
field() {
    sed -n "s/^$2:[[:space:]]*//p" "$1" | head -n 1
}

# mutate MUT TREE: applies each "from:"/"to:" pair of MUT, in order, to
# the file: of MUT under TREE. Each "from:" line must equal exactly one
# line of the file (ignoring indentation), which keeps its indentation.
mutate() {
    python3 - "$@" <<'PY'
import re, sys
mut, tree = sys.argv[1:3]
spec = [re.match(r"(\w+):\s?(.*)", l) for l in open(mut).read().split("\n")]
spec = [(m.group(1), m.group(2).strip()) for m in spec if m]
path = tree + "/" + next(v for k, v in spec if k == "file")
pairs = [(v, spec[i + 1][1]) for i, (k, v) in enumerate(spec)
         if k == "from" and i + 1 < len(spec) and spec[i + 1][0] == "to"]
if not pairs or len(pairs) != sum(1 for k, _ in spec if k == "from"):
    sys.exit(f"{mut}: every from: needs the to: right after it")
lines = open(path).read().split("\n")
for frm, to in pairs:
    hits = [i for i, l in enumerate(lines) if l.strip() == frm]
    if len(hits) != 1:
        sys.exit(f"{path}: {len(hits)} lines match {frm!r}, want exactly 1")
    i = hits[0]
    lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + to
open(path, "w").write("\n".join(lines))
PY
}

# The pristine tree, built once; each mutant starts from a copy of it, so
# make rebuilds only what the mutant touched.
base=$work/base
mkdir -p "$base"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$base") ||
    fail_setup "cannot copy the tree"
if ! make -C "$base" -j2 all unit-tests test-helpers >"$work/base.log" 2>&1; then
    tail -n 20 "$work/base.log" | sed 's/^/# /'
    fail_setup "the unmutated tree does not build"
fi

if [ $# -gt 0 ]; then
    set -- "${@/#/$here/}"
    set -- "${@/%/.mut}"
else
    set -- "$here"/*.mut
fi
survived=0
broken=0
for mut in "$@"; do
    name=$(basename "$mut" .mut)
    file=$(field "$mut" file)
    from=$(field "$mut" from)
    test=$(field "$mut" test)
    if [ -z "$file" ] || [ -z "$from" ] || [ -z "$test" ]; then
        tap_not_ok "mutant $name: file:, from: and test: are required"
        broken=$((broken + 1))
        continue
    fi
    tree=$work/$name
    rm -rf "$tree"
    cp -a "$base" "$tree"
    if ! err=$(mutate "$mut" "$tree" 2>&1); then
        tap_not_ok "mutant $name: stale: $err"
        broken=$((broken + 1))
        continue
    fi
    if ! make -C "$tree" -j2 all unit-tests test-helpers \
        >"$work/$name.build.log" 2>&1; then
        tap_not_ok "mutant $name: does not build (fix the .mut file)"
        tail -n 10 "$work/$name.build.log" | sed 's/^/# /'
        broken=$((broken + 1))
        continue
    fi
    start=$SECONDS
    if (cd "$tree" && BUILD_DIR=$tree/build bash -c "$test") \
        >"$work/$name.test.log" 2>&1; then
        tap_not_ok "mutant $name SURVIVED: '$test' passes with $file broken"
        survived=$((survived + 1))
    else
        tap_ok "mutant $name killed by '$test' ($((SECONDS - start)) s)"
    fi
    rm -rf --one-file-system "$tree"
done
echo "# mutants survived: $survived; mutants that could not be tried: $broken"
tap_done
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
