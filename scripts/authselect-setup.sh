#!/bin/sh
# authselect-setup: put "iam" into the passwd and group lookups on a
# system whose nsswitch.conf belongs to authselect (RHEL 8 and later,
# Fedora, Amazon Linux 2023), the way authselect supports; elsewhere,
# hand over to nsswitch-edit.
#
#   authselect-setup enable  [--root DIR]
#   authselect-setup disable [--root DIR]
#   authselect-setup status  [--root DIR]
#
# Called by the RPM scriptlets (%post: enable; %preun on erase: disable).
#
# Why not edit the file: authselect generates /etc/authselect/nsswitch.conf
# (/etc/nsswitch.conf links to it) and checks it against what it wrote.
# An edited file makes select, enable-feature and apply-changes refuse
# ("unexpected changes"); select --force rewrites it without iam. The
# passwd and group maps belong to the profile, so user-nsswitch.conf
# cannot carry them either (authselect(8), NSSWITCH.CONF MANAGEMENT). The
# documented way is a custom profile:
#
# enable, when "authselect current --raw" names a profile P with
# features F:
#   - records P and F in /var/lib/nss-iam/authselect.state;
#   - authselect create-profile nss-iam -b P (PAM, dconf and meta files
#     are links to P's, so P's updates still apply), and adds " iam"
#     after "files" (and its [action] items) on the passwd, group and
#     initgroups lines of the copy of P's nsswitch.conf template;
#   - authselect select custom/nss-iam F with-mkhomedir: the home
#     directory of an IAM user is made at the first login, by
#     pam_oddjob_mkhomedir and oddjobd (enabled here if it was not).
#   Run again (a package upgrade) while custom/nss-iam is selected, it
#   makes sure the template names iam and applies the profile; features
#   and oddjobd are the administrator's by then, and left as they are.
#   A previous edit of authselect's nsswitch.conf by nsswitch-edit (older
#   packages did that) is undone first, or authselect would refuse.
#
# disable: selects P again with the features selected now (so a feature
# the administrator enabled since is kept), less with-mkhomedir if enable
# added it; deletes custom/nss-iam; disables oddjobd if enable enabled it.
# If another profile has been selected since, that choice stands.
#
# Without authselect ("authselect current" fails: not installed, or
# "No existing configuration detected."), enable and disable run
# "nsswitch-edit add" and "nsswitch-edit remove". An nsswitch.conf that
# links into /etc/authselect while authselect reports no configuration
# is left alone, with an error.
#
# --root DIR prefixes every path (for tests; the authselect command is
# whatever $AUTHSELECT names, and it gets no --root).
#
# Exit status: 0 done (or nothing to do), 1 failure, 2 usage.
set -u

me=authselect-setup
AUTHSELECT=${AUTHSELECT:-authselect}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
NSSWITCH_EDIT=${NSSWITCH_EDIT:-/usr/libexec/nss-iam/nsswitch-edit}
profile_name=nss-iam
profile_id=custom/$profile_name

usage() {
    echo "usage: $me enable|disable|status [--root DIR]" >&2
    exit 2
}

die() {
    echo "$me: $*" >&2
    exit 1
}

# current: sets cur_profile and cur_features from "authselect current
# --raw" ("PROFILE FEATURE..."); false when authselect manages nothing.
current() {
    cur_profile=
    cur_features=
    command -v "$AUTHSELECT" >/dev/null 2>&1 || return 1
    _raw=$("$AUTHSELECT" current --raw 2>/dev/null) || return 1
    # Word splitting is wanted: profile ids and features have no blanks.
    # shellcheck disable=SC2086
    set -- $_raw
    [ $# -ge 1 ] || return 1
    cur_profile=$1
    shift
    cur_features=$*
}

# has_word WORD LIST
has_word() {
    case " $2 " in
    *" $1 "*) return 0 ;;
    esac
    return 1
}

# without_word WORD LIST: LIST less WORD.
without_word() {
    _out=
    for _w in $2; do
        [ "$_w" = "$1" ] || _out="$_out $_w"
    done
    echo "${_out# }"
}

editor() {
    "$NSSWITCH_EDIT" "$1" --file "$nsswitch" --state "$editor_state"
}

systemd_running() {
    [ -d "$root/run/systemd/system" ]
}

# add_iam FILE: " iam" on the passwd, group and initgroups lines of an
# authselect nsswitch.conf template, where nsswitch-edit puts it: after
# the last of the services files and systemd (with their [action]
# items), so local accounts win; on a line with neither, before the
# first {...} directive or at the end. A service name counts only as a
# word of its own ("}systemd" ends a directive; "altfiles" and the words
# inside {if "feature":...} are not services). Lines naming iam are left
# alone.
add_iam() {
    _f=$1
    [ -f "$_f" ] || die "$_f: no such file"
    awk '
    function has_iam(s) { return s ~ /(^|[ \t}])iam([ \t{#]|$)/ }
    /^[ \t]*(passwd|group|initgroups)[ \t]*:/ {
        c = index($0, ":")
        head = substr($0, 1, c)
        rest = substr($0, c + 1)
        if (has_iam(rest)) { print; next }
        s = rest
        off = 0
        last = 0
        while (match(s, /(^|[ \t}])(files|systemd)([ \t]*\[[^]]*\])*([ \t{]|$)/)) {
            e = RSTART + RLENGTH - 1
            if (substr(s, RSTART, RLENGTH) ~ /[ \t{]$/)
                e--
            last = off + e
            off += e
            s = substr(s, e + 1)
        }
        if (last > 0) {
            print head substr(rest, 1, last) " iam" substr(rest, last + 1)
            next
        }
        b = index(rest, "{")
        if (b > 0) {
            print head substr(rest, 1, b - 1) "iam " substr(rest, b)
            next
        }
        sub(/[ \t]*$/, " iam", rest)
        print head rest
        next
    }
    { print }' "$_f" >"$_f.tmp" || {
        rm -f "$_f.tmp"
        die "cannot write $_f.tmp"
    }
    mv -f "$_f.tmp" "$_f" || die "cannot replace $_f"
}

# write_state LINES...: the record of what enable changed.
write_state() {
    mkdir -p "$(dirname "$state")" || die "cannot create $(dirname "$state")"
    (umask 022 && printf '%s\n' "$@" >"$state.tmp" &&
        mv -f "$state.tmp" "$state") || die "cannot write $state"
}

# state_value KEY: the rest of the state line starting with KEY.
state_value() {
    sed -n "s/^$1 \{0,1\}//p" "$state" | head -n 1
}

state_has() {
    grep -qx "$1" "$state"
}

enable_oddjobd() {
    systemd_running || return 0
    if "$SYSTEMCTL" is-enabled --quiet oddjobd.service 2>/dev/null; then
        return 0
    fi
    if "$SYSTEMCTL" enable --now oddjobd.service >/dev/null 2>&1; then
        echo oddjobd-enabled >>"$state"
    else
        echo "$me: could not enable oddjobd.service: home directories" \
            "are not created at the first login until it runs" >&2
    fi
}

do_enable() {
    if ! current; then
        case $(readlink "$nsswitch" 2>/dev/null) in
        *authselect/*)
            die "$nsswitch links into /etc/authselect, but authselect" \
                "reports no configuration: not edited; select a profile" \
                "(authselect select minimal) and run $me enable again"
            ;;
        esac
        editor add
        return
    fi
    # An older package's edit of authselect's own file.
    if [ -f "$editor_state" ]; then
        editor remove || die "cannot undo the earlier edit of $nsswitch"
    fi
    if [ "$cur_profile" = "$profile_id" ]; then
        add_iam "$profile_dir/nsswitch.conf"
        "$AUTHSELECT" apply-changes >/dev/null ||
            die "authselect apply-changes failed"
        return 0
    fi
    features=$cur_features
    mk=
    if ! has_word with-mkhomedir "$features"; then
        features="${features:+$features }with-mkhomedir"
        mk=mkhomedir-added
    fi
    # An empty $mk adds no line.
    # shellcheck disable=SC2086
    write_state "profile $cur_profile" "features $cur_features" $mk
    rm -rf "$profile_dir"
    if ! "$AUTHSELECT" create-profile "$profile_name" -b "$cur_profile" \
        --symlink-meta --symlink-pam --symlink-dconf >/dev/null; then
        rm -f "$state"
        die "authselect create-profile $profile_name -b $cur_profile failed"
    fi
    # A template that is a link (a base made with --symlink-nsswitch)
    # becomes a copy: the base's own file is never edited.
    _t=$profile_dir/nsswitch.conf
    if [ -L "$_t" ]; then
        if ! cp "$_t" "$_t.tmp" || ! mv -f "$_t.tmp" "$_t"; then
            die "cannot copy $_t"
        fi
    fi
    add_iam "$profile_dir/nsswitch.conf"
    # Word splitting of the feature list is wanted.
    # shellcheck disable=SC2086
    if ! "$AUTHSELECT" select "$profile_id" $features >/dev/null; then
        rm -rf "$profile_dir"
        rm -f "$state"
        die "authselect select $profile_id $features failed;" \
            "$cur_profile is still selected"
    fi
    enable_oddjobd
}

do_disable() {
    if [ -f "$editor_state" ]; then
        editor remove || die "nsswitch-edit remove failed"
    fi
    [ -f "$state" ] || return 0
    prev=$(state_value profile)
    [ -n "$prev" ] || die "$state: no profile line"
    if current && [ "$cur_profile" = "$profile_id" ]; then
        features=$cur_features
        if state_has mkhomedir-added; then
            features=$(without_word with-mkhomedir "$features")
        fi
        # shellcheck disable=SC2086
        "$AUTHSELECT" select "$prev" $features >/dev/null ||
            die "authselect select $prev $features failed;" \
                "$profile_id is still selected"
    elif [ -n "$cur_profile" ]; then
        echo "$me: authselect profile $cur_profile (not $profile_id)" \
            "is selected: left as it is" >&2
    fi
    rm -rf "$profile_dir"
    if state_has oddjobd-enabled && systemd_running; then
        "$SYSTEMCTL" disable --now oddjobd.service >/dev/null 2>&1 || :
    fi
    rm -f "$state"
}

do_status() {
    if current; then
        echo "authselect: $cur_profile${cur_features:+ $cur_features}"
        [ "$cur_profile" = "$profile_id" ] || return 1
        grep -E '^[ \t]*(passwd|group)[ \t]*:' "$profile_dir/nsswitch.conf"
        return 0
    fi
    echo "authselect: not in use"
    "$NSSWITCH_EDIT" status --file "$nsswitch"
}

[ $# -ge 1 ] || usage
action=$1
shift
root=
while [ $# -gt 0 ]; do
    case $1 in
    --root)
        [ $# -ge 2 ] || usage
        root=${2%/}
        shift 2
        ;;
    *) usage ;;
    esac
done

nsswitch=$root/etc/nsswitch.conf
profile_dir=$root/etc/authselect/custom/$profile_name
state=$root/var/lib/nss-iam/authselect.state
editor_state=$root/var/lib/nss-iam/nsswitch.state

case $action in
enable) do_enable ;;
disable) do_disable ;;
status) do_status ;;
*) usage ;;
esac
