#!/bin/sh
# nsswitch-edit: add the "iam" service to the passwd and group lines of
# /etc/nsswitch.conf, and later remove exactly what was added.
#
#   nsswitch-edit add    [--file FILE] [--state FILE]
#   nsswitch-edit remove [--file FILE] [--state FILE]
#   nsswitch-edit status [--file FILE]
#
# Called by the Debian maintainer scripts (postinst configure, prerm
# remove) and the RPM scriptlets (%post, %preun on erase). POSIX sh and
# coreutils only: it runs on minimal systems, before anything else works.
#
# add: on each "passwd:", "group:" and (when present) "initgroups:" line
# that does not already name iam, " iam" is inserted right after the last
# of the services files, compat and systemd, together with the [STATUS=
# action] items that follow that service; with none of them, after the
# last service. So local accounts always win ("files iam", never "iam
# files"), and "files [NOTFOUND=return] ldap" becomes "files
# [NOTFOUND=return] iam ldap". A database that has no line at all gets
# "DB: files iam" appended (glibc's default for a missing passwd or group
# line is "files"); a missing file is created with those two lines.
# Comments, tabs, spacing, action items and every other line are kept
# byte for byte. A line that already names iam is left alone, and is
# not recorded: remove will not take away an iam the administrator wrote.
#
# remove: undoes what the state file says add did: the " iam" inserted on
# those lines, the lines appended, the newline added at the end of a file
# that had none, the file created. Then the state file is deleted. Run on
# a file add left unchanged since, add then remove gives back the
# original file byte for byte.
#
# The file is rewritten through a temporary file in its own directory and
# rename(), with its mode and owner kept; a symbolic link (authselect on
# RHEL makes /etc/nsswitch.conf one) is followed and its target edited.
# With authselect, the next "authselect apply-changes" regenerates the
# file: there, put iam into a custom authselect profile instead (see the
# RPM spec).
#
# Exit status: 0 done (or nothing to do), 1 failure (the file unchanged),
# 2 usage.
set -u

file=/etc/nsswitch.conf
state=/var/lib/nss-iam/nsswitch.state
me=nsswitch-edit
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

# split_line LINE: sets db (the database name, empty if LINE is not a
# "NAME:" line), head (up to and including the colon), spec (the service
# list) and tail (from the first '#' on, or empty).
split_line() {
    db=
    head=
    spec=
    tail=
    case $1 in
    *:*) ;;
    *) return ;;
    esac
    _before=${1%%:*}
    # A '#' before the colon makes the whole line a comment.
    case $_before in
    *'#'*) return ;;
    esac
    _name=${_before#"${_before%%[! "$tab"]*}"}
    _name=${_name%"${_name##*[! "$tab"]}"}
    case $_name in
    '' | *[!A-Za-z0-9_]*) return ;;
    esac
    db=$_name
    head=$_before:
    _after=${1#*:}
    spec=${_after%%#*}
    tail=${_after#"$spec"}
}

# scan_spec SPEC: walks the service list. Sets has_iam (1 if a service
# is named iam), iam_at (the offset just after the first iam service),
# iam_len (its length), ins_at (where " iam" goes: after the last
# files/compat/systemd and its action items, else after the last item;
# 0 if the list is empty). Offsets count characters of SPEC.
scan_spec() {
    _s=$1
    _i=0
    _tok=
    _tok_end=0
    _in_br=0
    _anchor=0
    _anchor_end=0
    _last_end=0
    has_iam=0
    iam_at=0
    while [ -n "$_s" ]; do
        _c=${_s%"${_s#?}"}
        _s=${_s#?}
        _i=$((_i + 1))
        if [ "$_in_br" = 1 ]; then
            if [ "$_c" = "]" ]; then
                _in_br=0
                _last_end=$_i
                if [ "$_anchor" = 1 ]; then
                    _anchor_end=$_i
                fi
            fi
            continue
        fi
        case $_c in
        "[")
            end_token
            _in_br=1
            ;;
        " " | "$tab" | "$cr" | "$nl")
            end_token
            ;;
        *)
            _tok=$_tok$_c
            _tok_end=$_i
            ;;
        esac
    done
    end_token
    if [ "$_anchor_end" -gt 0 ]; then
        ins_at=$_anchor_end
    else
        ins_at=$_last_end
    fi
}

end_token() {
    [ -n "$_tok" ] || return 0
    case $_tok in
    files | compat | systemd)
        _anchor=1
        _anchor_end=$_tok_end
        ;;
    *)
        _anchor=0
        ;;
    esac
    if [ "$_tok" = iam ] && [ "$has_iam" = 0 ]; then
        has_iam=1
        iam_at=$_tok_end
    fi
    _last_end=$_tok_end
    _tok=
}

# cut_at STRING N: sets left (the first N characters) and right (the
# rest).
cut_at() {
    left=
    right=$1
    _n=$2
    while [ "$_n" -gt 0 ]; do
        _c=${right%"${right#?}"}
        left=$left$_c
        right=${right#?}
        _n=$((_n - 1))
    done
}

# is_target DB: true for the databases iam serves.
is_target() {
    case $1 in
    passwd | group | initgroups) return 0 ;;
    esac
    return 1
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

# write_file CONTENT: replaces the target with CONTENT (CONTENT keeps or
# drops the final newline as given) through a temporary file and rename.
write_file() {
    _dir=$(dirname "$target")
    _tmp=$_dir/.nsswitch.conf.nss-iam.$$
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

authselect_note() {
    if [ "$target" != "$file" ] || [ -e /etc/authselect/authselect.conf ]; then
        case $target in
        /etc/authselect/*)
            echo "$me: note: $file is managed by authselect; the change" \
                "is lost at the next 'authselect apply-changes' unless" \
                "the selected profile names iam" >&2
            ;;
        esac
    fi
}

do_add() {
    read_file
    out=
    seen=
    rec=
    _rest=$lines
    while [ -n "$_rest" ]; do
        line=${_rest%%"$nl"*}
        _rest=${_rest#*"$nl"}
        split_line "$line"
        if [ -n "$db" ] && is_target "$db"; then
            seen="$seen $db "
            scan_spec "$spec"
            if [ "$has_iam" = 0 ] && [ "$ins_at" -gt 0 ]; then
                cut_at "$spec" "$ins_at"
                line="$head$left iam$right$tail"
                rec="${rec}inserted $db$nl"
            elif [ "$has_iam" = 0 ]; then
                echo "$me: the $db line of $target names no service:" \
                    "left as it is" >&2
            fi
        fi
        out=$out$line$nl
    done
    # Lines of a target database already naming iam elsewhere are left;
    # a database without a line gets one.
    _app=
    for d in passwd group; do
        case $seen in
        *" $d "*) continue ;;
        esac
        _app="$_app$d: files iam$nl"
        rec="${rec}appended $d$nl"
    done
    if [ -n "$_app" ]; then
        if [ "$exists" = 0 ]; then
            rec="${rec}created$nl"
        elif [ "$ends_nl" = 0 ]; then
            rec="${rec}newline-added$nl"
        fi
        out=$out$_app
    elif [ "$ends_nl" = 0 ]; then
        out=${out%"$nl"}
    fi
    if [ -z "$rec" ]; then
        return 0
    fi
    # The record first: if writing it fails, the file is not touched.
    write_state "$rec"
    write_file "$out"
    authselect_note
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
    _rest=$lines
    while [ -n "$_rest" ]; do
        line=${_rest%%"$nl"*}
        _rest=${_rest#*"$nl"}
        split_line "$line"
        if [ -n "$db" ] && in_state "appended $db" &&
            [ "$line" = "$db: files iam" ]; then
            continue
        fi
        if [ -n "$db" ] && in_state "inserted $db"; then
            scan_spec "$spec"
            if [ "$has_iam" = 1 ]; then
                cut_at "$spec" "$iam_at"
                _l=${left%iam}
                case $_l in
                *" " | *"$tab") _l=${_l%?} ;;
                esac
                line="$head$_l$right$tail"
            fi
        fi
        out=$out$line$nl
    done
    # The bytes now, and the bytes wanted.
    cur=$lines
    if [ "$ends_nl" = 0 ]; then
        cur=${cur%"$nl"}
        out=${out%"$nl"}
    elif in_state newline-added; then
        out=${out%"$nl"}
    fi
    if in_state created && [ -z "$out" ]; then
        rm -f "$target" || die "cannot remove $target"
    elif [ "$out" != "$cur" ]; then
        write_file "$out"
    fi
    rm -f "$state" || die "cannot remove $state"
}

do_status() {
    read_file
    _rest=$lines
    _rc=0
    for d in passwd group; do
        _found=0
        _r=$lines
        while [ -n "$_r" ]; do
            line=${_r%%"$nl"*}
            _r=${_r#*"$nl"}
            split_line "$line"
            [ "$db" = "$d" ] || continue
            scan_spec "$spec"
            [ "$has_iam" = 1 ] && _found=1
        done
        if [ "$_found" = 1 ]; then
            echo "$d: iam"
        else
            echo "$d: no iam"
            _rc=1
        fi
    done
    return $_rc
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
