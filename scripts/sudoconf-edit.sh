#!/bin/sh
# sudoconf-edit: make sudo read a user's groups from the group database at
# each call ("Set group_source dynamic" in /etc/sudo.conf), and later
# remove exactly what was added.
#
#   sudoconf-edit add    [--file FILE] [--state FILE]
#   sudoconf-edit remove [--file FILE] [--state FILE]
#   sudoconf-edit status [--file FILE]
#
# Why: sudoers matches "%iam-sudo" against the group list the sudo front
# end hands it. With sudo's default (group_source adaptive, or static)
# that list is the process's own group vector, fixed when the session
# logged in: a user taken out of SUDOERS_GROUPS would keep sudo in every
# session already open. With "dynamic", sudo asks NSS (getgrouplist(3),
# served from the snapshot) at each call, so the next sync decides.
#
# Called by the Debian maintainer scripts (postinst configure, prerm
# remove) and the RPM scriptlets (%post, %preun on erase), beside
# nsswitch-edit. POSIX sh and coreutils only.
#
# add: if no line of the file sets group_source, two lines are appended:
# a comment naming nss-iam and "Set group_source dynamic". A line that
# already sets group_source is the administrator's choice and is left
# alone, whatever its value; when that value is not dynamic a note says
# what it costs. A missing file is created (mode 0644), a missing final
# newline is added first. Every other byte is kept.
#
# remove: undoes what the state file says add did: the two lines (only
# if they are still there as written), the newline added, the file
# created. Then the state file is deleted. Run on a file add left
# unchanged since, add then remove gives back the original byte for byte.
#
# The file is read the way sudo reads it (sudo.conf(5)): leading blanks
# are skipped, "#" starts a comment, the directive "Set" is matched
# without regard to case, the setting name "group_source" exactly, the
# value without regard to case; the last such line wins. The file is
# rewritten through a temporary file in its own directory and rename(),
# with its mode and owner kept; a symbolic link is followed.
#
# Exit status: 0 done (or nothing to do), 1 failure (the file unchanged),
# 2 usage. status: 0 if sudo reads groups dynamically, 1 if not.
set -u

file=/etc/sudo.conf
state=/var/lib/nss-iam/sudoconf.state
me=sudoconf-edit
marker='# Added by nss-iam: sudo reads the groups at each call (nss-iam.conf(5)).'
setting='Set group_source dynamic'
tab=$(printf '\t')
cr=$(printf '\r')
nl='
'

usage() {
    echo "usage: $me add|remove|status [--file FILE] [--state FILE]" >&2
    exit 2
}

die() {
    echo "$me: $*" >&2
    exit 1
}

# read_file: sets lines (the file's lines, newline-terminated), ends_nl
# (1 if the last line ends with a newline or the file is empty) and
# exists.
read_file() {
    lines=
    ends_nl=1
    exists=0
    [ -e "$target" ] || return 0
    exists=1
    [ -f "$target" ] || die "$target is not a regular file"
    [ -r "$target" ] || die "cannot read $target"
    # Appending x keeps a final newline through the substitution.
    _all=$(cat "$target" && echo x) || die "cannot read $target"
    _all=${_all%x}
    case $_all in
    '' | *"$nl") ;;
    *)
        ends_nl=0
        _all=$_all$nl
        ;;
    esac
    lines=$_all
}

# write_file CONTENT: replaces the target with CONTENT (byte for byte)
# through a temporary file and rename.
write_file() {
    _dir=$(dirname "$target")
    _tmp=$_dir/.sudo.conf.nss-iam.$$
    rm -f "$_tmp"
    if [ "$exists" = 1 ]; then
        cp -p "$target" "$_tmp" || die "cannot write in $_dir"
    else
        (umask 022 && : >"$_tmp") || die "cannot write in $_dir"
    fi
    if ! printf '%s' "$1" >"$_tmp"; then
        rm -f "$_tmp"
        die "cannot write $_tmp"
    fi
    if ! mv -f "$_tmp" "$target"; then
        rm -f "$_tmp"
        die "cannot replace $target"
    fi
}

# strip_blanks TEXT: sets stripped (TEXT without leading and trailing
# blanks or carriage returns).
strip_blanks() {
    stripped=${1#"${1%%[! "$tab$cr"]*}"}
    stripped=${stripped%"${stripped##*[! "$tab$cr"]}"}
}

# parse_line LINE: sets code (LINE without its comment and surrounding
# blanks, empty for a comment or blank line), gs (1 if LINE sets
# group_source) and gs_value (the value it sets, lower case).
parse_line() {
    gs=0
    gs_value=
    strip_blanks "${1%%#*}"
    code=$stripped
    case $code in
    [Ss][Ee][Tt][" $tab"]*) ;;
    *) return 0 ;;
    esac
    strip_blanks "${code#???}"
    case $stripped in
    group_source[" $tab"]*) ;;
    *) return 0 ;;
    esac
    gs=1
    strip_blanks "${stripped#group_source}"
    gs_value=$(printf '%s' "$stripped" | tr '[:upper:]' '[:lower:]')
}

# find_setting: sets gs_line (the number of the last line that sets
# group_source, 0 if none), gs_last (its value) and last_cont (1 if the
# last line ends with a continuation backslash).
find_setting() {
    gs_line=0
    gs_last=
    last_cont=0
    _n=0
    _rest=$lines
    while [ -n "$_rest" ]; do
        line=${_rest%%"$nl"*}
        _rest=${_rest#*"$nl"}
        _n=$((_n + 1))
        parse_line "$line"
        last_cont=0
        case $code in
        *\\) last_cont=1 ;;
        esac
        if [ "$gs" = 1 ]; then
            gs_line=$_n
            gs_last=$gs_value
        fi
    done
}

# write_state TEXT: records what add changed (merged with a previous
# record that was never undone).
write_state() {
    _old=
    if [ -f "$state" ]; then
        _old=$(cat "$state") || die "cannot read $state"
    fi
    _new=$(printf '%s\n%s\n' "$_old" "$1" | sed '/^$/d' | sort -u)
    [ -n "$_new" ] || return 0
    mkdir -p "$(dirname "$state")" || die "cannot create the directory of $state"
    (umask 022 && printf '%s\n' "$_new" >"$state.tmp" &&
        mv -f "$state.tmp" "$state") || die "cannot write $state"
}

in_state() {
    printf '%s\n' "$recorded" | grep -qxF "$1"
}

do_add() {
    read_file
    find_setting
    if [ "$gs_line" -gt 0 ]; then
        if [ "$gs_last" != dynamic ]; then
            echo "$me: note: $target:$gs_line sets group_source" \
                "'$gs_last': left as it is; sudo then matches groups as" \
                "they were at login, and a user removed from" \
                "SUDOERS_GROUPS keeps sudo in sessions opened before" >&2
        fi
        return 0
    fi
    if [ "$last_cont" = 1 ]; then
        die "$target: its last line ends with a backslash, which would" \
            "join it to the line added: left unchanged"
    fi
    rec=appended$nl
    if [ "$exists" = 0 ]; then
        rec="${rec}created$nl"
    elif [ "$ends_nl" = 0 ]; then
        rec="${rec}newline-added$nl"
    fi
    # The record first: if writing it fails, the file is not touched.
    write_state "$rec"
    write_file "$lines$marker$nl$setting$nl"
}

do_remove() {
    if [ ! -f "$state" ]; then
        return 0
    fi
    recorded=$(cat "$state") || die "cannot read $state"
    read_file
    if [ "$exists" = 0 ]; then
        rm -f "$state"
        return 0
    fi
    out=
    found=0
    _rest=$lines
    while [ -n "$_rest" ]; do
        line=${_rest%%"$nl"*}
        _rest=${_rest#*"$nl"}
        if [ "$found" = 0 ] && in_state appended &&
            [ "$line" = "$marker" ] &&
            [ "${_rest%%"$nl"*}" = "$setting" ]; then
            _rest=${_rest#*"$nl"}
            found=1
            continue
        fi
        out=$out$line$nl
    done
    if in_state appended && [ "$found" = 0 ]; then
        echo "$me: the group_source lines nss-iam added to $target" \
            "were changed since: left as they are" >&2
    fi
    # The bytes now, and the bytes wanted.
    cur=$lines
    if [ "$ends_nl" = 0 ]; then
        cur=${cur%"$nl"}
        out=${out%"$nl"}
    elif [ "$found" = 1 ] && in_state newline-added; then
        out=${out%"$nl"}
    fi
    if [ "$found" = 1 ] && in_state created && [ -z "$out" ]; then
        rm -f "$target" || die "cannot remove $target"
    elif [ "$out" != "$cur" ]; then
        write_file "$out"
    fi
    rm -f "$state" || die "cannot remove $state"
}

do_status() {
    read_file
    find_setting
    if [ "$gs_line" -eq 0 ]; then
        echo "group_source: adaptive (sudo's default; not set in $target)"
        return 1
    fi
    echo "group_source: $gs_last ($target:$gs_line)"
    [ "$gs_last" = dynamic ]
}

[ $# -ge 1 ] || usage
action=$1
shift
while [ $# -gt 0 ]; do
    case $1 in
    --file)
        [ $# -ge 2 ] || usage
        file=$2
        shift 2
        ;;
    --state)
        [ $# -ge 2 ] || usage
        state=$2
        shift 2
        ;;
    *) usage ;;
    esac
done

target=$file
if [ -L "$file" ]; then
    target=$(readlink -f "$file") || die "cannot resolve $file"
fi

case $action in
add) do_add ;;
remove) do_remove ;;
status) do_status ;;
*) usage ;;
esac
