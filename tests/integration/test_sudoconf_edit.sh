#!/usr/bin/env bash
# scripts/sudoconf-edit.sh, the sudo.conf editor of the packages'
# maintainer scripts, on files of many shapes: each "add" must give an
# exact expected file, "add" again nothing more, and "remove" after it the
# original byte for byte (and mode). A group_source line the
# administrator wrote is never changed. The last checks let the real sudo
# read edited files (bind-mounted over /etc/sudo.conf inside a private
# mount namespace) and log, through its own Debug facility, the setting it
# parsed. Works on temporary files only; prints TAP.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"

root=$(cd "$here/../.." && pwd)
edit=$root/scripts/sudoconf-edit.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
f=$work/sudo.conf
st=$work/state
added='# Added by nss-iam: sudo reads the groups at each call (nss-iam.conf(5)).\nSet group_source dynamic\n'

run() {
    sh "$edit" "$1" --file "$f" --state "$st"
}

bytes() {
    od -An -c "$1" 2>&1
}

# shape NAME ORIGINAL EXPECTED: printf %b strings; ORIGINAL "-" means no
# file. Checks add, add again (idempotent), remove.
shape() {
    local name=$1 orig=$2 want=$3
    rm -f "$f" "$st"
    if [ "$orig" != - ]; then
        printf '%b' "$orig" >"$f"
        cp -p "$f" "$work/orig"
    fi
    run add 2>"$work/err"
    check_eq "$name: add" "$(printf '%b' "$want" | od -An -c)" "$(bytes "$f")"
    run add 2>>"$work/err"
    check_eq "$name: add again changes nothing" \
        "$(printf '%b' "$want" | od -An -c)" "$(bytes "$f")"
    run remove 2>>"$work/err"
    if [ "$orig" = - ]; then
        check_fails "$name: remove deletes the file it created" \
            test -e "$f"
    else
        check "$name: remove restores the original bytes" \
            cmp "$work/orig" "$f"
    fi
    check_fails "$name: remove deletes the state file" test -e "$st"
}

# The sudo.conf of Debian 12's sudo package, shortened: every setting is
# a comment, including a "#Set group_source static".
debian='#\n# Default /etc/sudo.conf file\n#\n#Plugin sudoers_policy sudoers.so\n\n# User groups:\n#   Set group_source static|dynamic|adaptive\n#Set group_source static\n\n#Set probe_interfaces false\n'
shape "Debian 12 default (settings commented out)" "$debian" "$debian$added"

shape "other settings kept" \
    'Plugin sudoers_policy sudoers.so\nPath askpass /usr/bin/ssh-askpass\nSet disable_coredump false\nSet max_groups 64\n' \
    "Plugin sudoers_policy sudoers.so\nPath askpass /usr/bin/ssh-askpass\nSet disable_coredump false\nSet max_groups 64\n$added"

shape "a longer setting name is another setting" \
    'Set group_sources static\nSet group_source\n' \
    "Set group_sources static\nSet group_source\n$added"

shape "no final newline: one is added, and taken back" \
    'Set probe_interfaces false' "Set probe_interfaces false\n$added"

shape "CRLF line endings kept" \
    'Set disable_coredump false\r\n' "Set disable_coredump false\r\n$added"

shape "empty file" '' "$added"

shape "missing file is created" - "$added"

# An administrator's own group_source line, whatever its value and
# spelling, is theirs: left alone, not recorded.
shape "admin's Set group_source static is left" \
    '# site policy\nSet group_source static\n' \
    '# site policy\nSet group_source static\n'
check "... with a note naming the file, the line and the cost" \
    grep -q "sudo.conf:2 sets group_source 'static': left as it is.*keeps sudo in sessions opened before" \
    "$work/err"

shape "admin's adaptive, spelled with blanks, case and a comment" \
    'Set disable_coredump false\n  set\tgroup_source   ADAPTIVE   # default\nPath askpass /x\n' \
    'Set disable_coredump false\n  set\tgroup_source   ADAPTIVE   # default\nPath askpass /x\n'
check "... noted with its value" grep -q "sudo.conf:2 sets group_source 'adaptive'" \
    "$work/err"

shape "admin's dynamic: nothing to do, no note" \
    'SET group_source Dynamic\n' 'SET group_source Dynamic\n'
check_eq "... no note" "" "$(cat "$work/err")"

shape "the last group_source line is the one sudo uses" \
    'Set group_source dynamic\nSet group_source static\n' \
    'Set group_source dynamic\nSet group_source static\n'
check "... and the note names it" grep -q "sudo.conf:2 sets group_source 'static'" \
    "$work/err"

# Mode and owner survive the rewrite.
rm -f "$f" "$st"
printf 'Set disable_coredump false\n' >"$f"
chmod 0640 "$f"
chown 0:65534 "$f"
run add
check_eq "mode and owner kept" "640 0:65534" "$(stat -c '%a %u:%g' "$f")"
run remove
check_eq "... and after remove" "640 0:65534" "$(stat -c '%a %u:%g' "$f")"

# A created file is what sudo accepts: root's, not writable by others.
rm -f "$f" "$st"
(umask 000 && run add)
check_eq "a created file is 0644 even under umask 000" "644 0:0" \
    "$(stat -c '%a %u:%g' "$f")"
run remove

# A symbolic link: its target is edited, the link stays.
rm -f "$f" "$st"
printf 'Set disable_coredump false\n' >"$work/real.conf"
ln -s "$work/real.conf" "$f"
run add
check_eq "a symlink's target is edited" \
    "$(printf '%b' "Set disable_coredump false\n$added" | od -An -c)" \
    "$(bytes "$work/real.conf")"
check "the symlink stays a symlink" test -L "$f"
run remove
check_eq "remove through the symlink" "Set disable_coredump false" \
    "$(cat "$work/real.conf")"
rm -f "$f"

# A last line continued with a backslash would swallow the added line.
printf 'Path askpass \\\n' >"$f"
cp "$f" "$work/orig"
check_fails "a continuation backslash on the last line: add fails" run add
check "... and leaves the file unchanged" cmp "$work/orig" "$f"
check_fails "... and records nothing" test -e "$st"

# Without a state file, remove touches nothing.
printf 'Set group_source dynamic\n' >"$f"
cp "$f" "$work/orig"
run remove
check "remove without a record changes nothing" cmp "$work/orig" "$f"

# The administrator changed the added setting: remove leaves it.
rm -f "$st"
printf 'Set disable_coredump false\n' >"$f"
run add
sed -i 's/^Set group_source dynamic$/Set group_source static/' "$f"
cp "$f" "$work/orig"
run remove 2>"$work/err"
check "remove leaves the lines the administrator changed" cmp "$work/orig" "$f"
check "... and says so" grep -q "were changed since: left as they are" "$work/err"
check_fails "... and forgets the record" test -e "$st"

# Lines added after ours by hand survive remove.
rm -f "$st"
printf 'Set disable_coredump false\n' >"$f"
run add
printf 'Set max_groups 64\n' >>"$f"
run remove
check_eq "remove after a manual edit keeps the edit" \
    "$(printf 'Set disable_coredump false\nSet max_groups 64')" "$(cat "$f")"

printf 'Set disable_coredump false\n' >"$f"
check_eq "status without a group_source line" \
    "group_source: adaptive (sudo's default; not set in $f)" \
    "$(sh "$edit" status --file "$f")"
check_fails "status exits 1 without dynamic" sh "$edit" status --file "$f"
printf 'set group_source DYNAMIC\n' >"$f"
check "status exits 0 with dynamic" sh "$edit" status --file "$f"
check_fails "an unknown action is refused" sh "$edit" frobnicate --file "$f"

# ---- the real sudo reads the edited files ----

# sudo_debug FILE: bind-mounts FILE (plus a Debug line) over
# /etc/sudo.conf, runs "sudo -n true" as root, prints the group_source
# lines sudo's own parser logged ("FILE:LINE: Set group_source VALUE")
# and sudo's warnings.
sudo_debug() {
    local copy=$work/sudo.conf.debug log=$work/sudo.debug
    rm -f "$log"
    {
        cat "$1"
        echo "Debug sudo $log all@info"
    } >"$copy"
    chmod 0644 "$copy"
    mount --bind "$copy" /etc/sudo.conf
    sudo -n true 2>&1
    umount /etc/sudo.conf
    sed -n 's/.*parse_variable: \/etc\/sudo.conf:\([0-9]*\): \(Set group_source .*\)$/\1: \2/p' \
        "$log" 2>/dev/null
}

if [ -f /etc/sudo.conf ] && command -v sudo >/dev/null; then
    rm -f "$st"
    printf '%b' "$debian" >"$f"
    run add
    check_eq "sudo parses the added line as group_source dynamic" \
        "12: Set group_source dynamic" "$(sudo_debug "$f")"
    check_eq "... and status agrees" "group_source: dynamic ($f:12)" \
        "$(sh "$edit" status --file "$f")"
    run remove
    check_eq "after remove, sudo sees no group_source line" "" \
        "$(sudo_debug "$f")"
    printf 'Set disable_coredump false\n  set\tgroup_source   ADAPTIVE   # default\n' >"$f"
    check_eq "sudo reads the admin's spelling as the editor does" \
        "2: Set group_source ADAPTIVE" "$(sudo_debug "$f")"
    # The host's own sudo.conf, edited: sudo reads it without a warning.
    rm -f "$st"
    cp -p /etc/sudo.conf "$f"
    run add 2>/dev/null
    check_eq "the host's sudo.conf, edited: sudo reads dynamic last, no warning" \
        "$(wc -l <"$f"): Set group_source dynamic" \
        "$(sudo_debug "$f" | tail -n 1)"
    check_eq "... and nothing else on its output" "" \
        "$(sudo_debug "$f" | grep -v ': Set group_source ')"
    run remove
    check "... and remove gives it back" cmp /etc/sudo.conf "$f"
else
    tap_not_ok "sudo and /etc/sudo.conf are needed to check what sudo reads"
fi

tap_done
