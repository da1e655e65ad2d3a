#!/bin/sh
# A stand-in for authselect(8) (not packaged for Debian), working on the
# root $FAKE_AUTHSELECT_ROOT laid out as authselect lays out a system:
#   usr/share/authselect/default/ID/   the distribution's profiles
#   etc/authselect/custom/NAME/        custom profiles
#   etc/authselect/authselect.conf     the selection: profile id on the
#                                      first line, one feature a line
#   etc/authselect/nsswitch.conf       generated; etc/nsswitch.conf
#                                      links to it
# Each call is appended to $FAKE_AUTHSELECT_ROOT/authselect.calls.
#
# Like the real tool: "current --raw" prints "PROFILE FEATURE..." (in the
# order the features were given) or "No existing configuration
# detected." with status 2; select, enable-feature, disable-feature and
# apply-changes refuse a generated nsswitch.conf that was changed since
# (status 4 for select without --force, 3 for the others); create-profile
# refuses a profile that exists. Templates are rendered with the
# directives the profiles use: {if "F":A|B}, {if not "F":A},
# {include if "F"}, {exclude if "F"}. PAM files are not generated.
set -u
r=${FAKE_AUTHSELECT_ROOT:?}
as=$r/etc/authselect
conf=$as/authselect.conf
written=$r/var/lib/fake-authselect/nsswitch.conf

echo "$*" >>"$r/authselect.calls"

err() {
    echo "[error] $*" >&2
}

# profile_dir ID
profile_dir() {
    case $1 in
    custom/*) echo "$as/$1" ;;
    *) echo "$r/usr/share/authselect/default/$1" ;;
    esac
}

# modified: the generated file differs from what was written.
modified() {
    [ -f "$written" ] || return 1
    ! cmp -s "$written" "$as/nsswitch.conf"
}

# render PROFILE FEATURE...: writes the selection and nsswitch.conf.
render() {
    _p=$1
    shift
    _dir=$(profile_dir "$_p")
    [ -f "$_dir/nsswitch.conf" ] || {
        err "Unable to get profile [$_p] information"
        exit 2
    }
    mkdir -p "$as" "$(dirname "$written")"
    printf '%s\n' "$_p" "$@" >"$conf"
    awk -v feats=" $* " '
    function on(f) { return index(feats, " " f " ") > 0 }
    {
        line = $0
        if (match(line, /\{include if "[^"]*"\}/)) {
            f = substr(line, RSTART + 13, RLENGTH - 15)
            if (!on(f)) next
            line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
        }
        if (match(line, /\{exclude if "[^"]*"\}/)) {
            f = substr(line, RSTART + 13, RLENGTH - 15)
            if (on(f)) next
            line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
        }
        while (match(line, /\{if (not )?"[^"]*":[^}]*\}/)) {
            d = substr(line, RSTART + 4, RLENGTH - 5)
            neg = sub(/^not /, "", d)
            q = index(substr(d, 2), "\"")
            f = substr(d, 2, q - 1)
            body = substr(d, q + 3)
            alt = ""
            bar = index(body, "|")
            if (bar > 0) {
                alt = substr(body, bar + 1)
                body = substr(body, 1, bar - 1)
            }
            val = (on(f) != neg) ? body : alt
            line = substr(line, 1, RSTART - 1) val substr(line, RSTART + RLENGTH)
        }
        sub(/[ \t]+$/, "", line)
        print line
    }' "$_dir/nsswitch.conf" >"$as/nsswitch.conf"
    cp "$as/nsswitch.conf" "$written"
    ln -sfn authselect/nsswitch.conf "$r/etc/nsswitch.conf"
}

# selection: sets sel_profile and sel_features from authselect.conf.
selection() {
    [ -f "$conf" ] || return 1
    sel_profile=$(head -n 1 "$conf")
    sel_features=$(tail -n +2 "$conf" | xargs)
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
current)
    if ! selection; then
        echo "No existing configuration detected."
        exit 2
    fi
    if [ "${1:-}" = --raw ] || [ "${1:-}" = -r ]; then
        echo "$sel_profile${sel_features:+ $sel_features}"
    else
        echo "Profile ID: $sel_profile"
        if [ -z "$sel_features" ]; then
            echo "Enabled features: None"
        else
            echo "Enabled features:"
            for f in $sel_features; do
                echo "- $f"
            done
        fi
    fi
    ;;
select)
    p=$1
    shift
    force=0
    feats=
    for a in "$@"; do
        case $a in
        -f | --force) force=1 ;;
        -*) ;;
        *) case " $feats " in *" $a "*) ;; *) feats="$feats $a" ;; esac ;;
        esac
    done
    if [ "$force" = 0 ] && modified; then
        err "[/etc/nsswitch.conf] has unexpected content!"
        echo "Unexpected changes to the configuration were detected." \
            "Refusing to activate profile unless those changes are" \
            "removed or overwrite is requested." >&2
        exit 4
    fi
    # shellcheck disable=SC2086
    render "$p" $feats
    ;;
apply-changes | enable-feature | disable-feature)
    selection || {
        err "No existing configuration detected."
        exit 2
    }
    if modified; then
        err "[/etc/nsswitch.conf] has unexpected content!"
        exit 3
    fi
    feats=$sel_features
    case $cmd in
    enable-feature)
        case " $feats " in *" $1 "*) ;; *) feats="$feats $1" ;; esac ;;
    disable-feature)
        feats=$(for f in $feats; do [ "$f" = "$1" ] || echo "$f"; done | xargs) ;;
    esac
    # shellcheck disable=SC2086
    render "$sel_profile" $feats
    ;;
create-profile)
    name=$1
    shift
    base=
    links=
    while [ $# -gt 0 ]; do
        case $1 in
        -b | --base-on) base=$2; shift ;;
        --base-on=*) base=${1#*=} ;;
        --symlink-meta) links="$links README REQUIREMENTS" ;;
        --symlink-pam) links="$links system-auth password-auth smartcard-auth fingerprint-auth postlogin" ;;
        --symlink-dconf) links="$links dconf-db dconf-locks" ;;
        --symlink-nsswitch) links="$links nsswitch.conf" ;;
        esac
        shift
    done
    dst=$as/custom/$name
    if [ -e "$dst" ]; then
        err "Profile [$name] already exists"
        exit 1
    fi
    src=$(profile_dir "$base")
    [ -d "$src" ] || {
        err "Unable to get profile [$base] information"
        exit 2
    }
    mkdir -p "$dst"
    for f in "$src"/*; do
        b=${f##*/}
        case " $links " in
        *" $b "*) ln -s "$f" "$dst/$b" ;;
        *) cp "$f" "$dst/$b" ;;
        esac
    done
    echo "New profile was created at $dst"
    ;;
*)
    err "fake authselect: unsupported command $cmd"
    exit 1
    ;;
esac
