#!/usr/bin/env bash
# scripts/nsswitch-edit.sh, the nsswitch.conf editor of the packages'
# maintainer scripts, on files of many shapes: each "add" must give an
# exact expected file, and "remove" after it the original byte for byte
# (and mode). Works on temporary files only; the last checks let glibc
# read an edited file inside a private mount namespace.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"

root=$(cd "$here/../.." && pwd)
edit=$root/scripts/nsswitch-edit.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
f=$work/nsswitch.conf
st=$work/state

run() {
    sh "$edit" "$1" --file "$f" --state "$st"
}

# shape NAME ORIGINAL EXPECTED: printf %b strings; ORIGINAL "-" means no
# file. Checks add, add again (idempotent), remove.
shape() {
    local name=$1 orig=$2 want=$3 got
    rm -f "$f" "$st"
    if [ "$orig" != - ]; then
        printf '%b' "$orig" >"$f"
        cp -p "$f" "$work/orig"
    fi
    run add 2>"$work/err"
    got=$(od -An -c "$f" 2>&1)
    check_eq "$name: add" "$(printf '%b' "$want" | od -An -c)" "$got"
    run add 2>>"$work/err"
    check_eq "$name: add again changes nothing" \
        "$(printf '%b' "$want" | od -An -c)" "$(od -An -c "$f" 2>&1)"
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

debian='# /etc/nsswitch.conf\n#\n\npasswd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\nnetgroup:       nis\n'
debian_want='# /etc/nsswitch.conf\n#\n\npasswd:         files iam\ngroup:          files iam\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\nnetgroup:       nis\n'
shape "Debian 12 default" "$debian" "$debian_want"

shape "files systemd: after systemd" \
    'passwd:         files systemd\ngroup:          files systemd\nshadow:         files\n' \
    'passwd:         files systemd iam\ngroup:          files systemd iam\nshadow:         files\n'

shape "tabs kept" \
    'passwd:\tfiles\tsystemd\ngroup:\t\tfiles\n' \
    'passwd:\tfiles\tsystemd iam\ngroup:\t\tfiles iam\n'

shape "compat" \
    'passwd: compat\ngroup: compat\npasswd_compat: nis\n' \
    'passwd: compat iam\ngroup: compat iam\npasswd_compat: nis\n'

shape "action items stay with their service" \
    'passwd: files [NOTFOUND=return] ldap\ngroup: sss files [SUCCESS=merge] systemd\n' \
    'passwd: files [NOTFOUND=return] iam ldap\ngroup: sss files [SUCCESS=merge] systemd iam\n'

shape "action with spaces inside brackets" \
    'passwd: files [ !UNAVAIL=return NOTFOUND=continue ] sss\ngroup: files\n' \
    'passwd: files [ !UNAVAIL=return NOTFOUND=continue ] iam sss\ngroup: files iam\n'

shape "only other services: iam goes last" \
    'passwd: sss\ngroup: ldap\n' \
    'passwd: sss iam\ngroup: ldap iam\n'

shape "comments after the services and commented-out lines" \
    '#passwd: files\npasswd: files # local accounts\ngroup: files\t# local groups\n# group: nis\n' \
    '#passwd: files\npasswd: files iam # local accounts\ngroup: files iam\t# local groups\n# group: nis\n'

shape "iam already present is left and kept by remove" \
    'passwd: files iam\ngroup: files\n' \
    'passwd: files iam\ngroup: files iam\n'

shape "iam already present everywhere: nothing to do" \
    'passwd: files systemd iam\ngroup: iam files\n' \
    'passwd: files systemd iam\ngroup: iam files\n'

shape "missing passwd line gets one" \
    'group: files\nhosts: files dns\n' \
    'group: files iam\nhosts: files dns\npasswd: files iam\n'

shape "no final newline, lines inserted" \
    'passwd: files\ngroup: files' \
    'passwd: files iam\ngroup: files iam'

shape "no final newline, line appended" \
    'hosts: files dns\npasswd: files' \
    'hosts: files dns\npasswd: files iam\ngroup: files iam\n'

shape "empty file" '' 'passwd: files iam\ngroup: files iam\n'

shape "missing file is created" - 'passwd: files iam\ngroup: files iam\n'

shape "CRLF line endings" \
    'passwd: files\r\ngroup: files\r\n' \
    'passwd: files iam\r\ngroup: files iam\r\n'

shape "spaces around the name, initgroups line" \
    '  passwd :files\ngroup: files\ninitgroups: files\n' \
    '  passwd :files iam\ngroup: files iam\ninitgroups: files iam\n'

shape "empty service list is left alone" \
    'passwd:\ngroup: files\n' \
    'passwd:\ngroup: files iam\n'

# Mode and owner survive the rewrite.
rm -f "$f" "$st"
printf 'passwd: files\ngroup: files\n' >"$f"
chmod 0640 "$f"
chown 0:65534 "$f"
run add
check_eq "mode and owner kept" "640 0:65534" "$(stat -c '%a %u:%g' "$f")"
run remove

# A symbolic link (authselect): its target is edited, the link stays.
rm -f "$f" "$st"
mkdir -p "$work/authselect"
printf 'passwd: sss files systemd\ngroup: sss files systemd\n' \
    >"$work/authselect/nsswitch.conf"
ln -s "$work/authselect/nsswitch.conf" "$f"
run add 2>/dev/null
check_eq "a symlink's target is edited" \
    "$(printf 'passwd: sss files systemd iam\ngroup: sss files systemd iam')" \
    "$(cat "$work/authselect/nsswitch.conf")"
check "the symlink stays a symlink" test -L "$f"
run remove
check_eq "remove through the symlink" \
    "$(printf 'passwd: sss files systemd\ngroup: sss files systemd')" \
    "$(cat "$work/authselect/nsswitch.conf")"
rm -f "$f"

# Without a state file, remove touches nothing.
printf 'passwd: files iam\ngroup: files iam\n' >"$f"
cp "$f" "$work/orig"
run remove
check "remove without a record changes nothing" cmp "$work/orig" "$f"

# A file edited by hand after add: remove takes out only our " iam".
rm -f "$st"
printf 'passwd: files\ngroup: files\n' >"$f"
run add
printf 'hosts: files dns\n' >>"$f"
run remove
check_eq "remove after a manual edit keeps the edit" \
    "$(printf 'passwd: files\ngroup: files\nhosts: files dns')" "$(cat "$f")"

check_eq "status on a file without iam" "$(printf 'passwd: no iam\ngroup: no iam')" \
    "$(sh "$edit" status --file "$f")"
check_fails "status exits 1 without iam" sh "$edit" status --file "$f"
check_fails "an unknown action is refused" sh "$edit" frobnicate --file "$f"

# glibc reads an edited Debian file: local lookups still work with the
# iam service listed (module absent here: glibc goes on to the next).
printf '%b' "$debian" >"$f"
rm -f "$st"
run add
mount --bind "$f" /etc/nsswitch.conf
check_eq "glibc: getent passwd root with the edited file" \
    "root:x:0:0:root:/root:/bin/bash" "$(getent passwd root)"
check_eq "glibc: getent group root with the edited file" "root:x:0:" \
    "$(getent group root)"
umount /etc/nsswitch.conf

tap_done
