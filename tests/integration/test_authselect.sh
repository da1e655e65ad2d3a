#!/usr/bin/env bash
# scripts/authselect-setup.sh, the RPM scriptlets' way into nsswitch.conf,
# on roots laid out as authselect lays out RHEL 9, Amazon Linux 2023 and
# Fedora: a stand-in authselect (lib/fake_authselect.sh, same output and
# refusals as the real one) records each call. Checked: with the sssd
# profile and features, with minimal, with local and with-mkhomedir
# already on; an install run twice; removal giving back the profile and
# features; the upgrade from packages that edited authselect's file; no
# authselect, or authselect with no configuration (nsswitch-edit does the
# work); and the refusals. Works in temporary directories; prints TAP.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
root=$(cd "$here/../.." && pwd)
setup=${AUTHSELECT_SETUP:-$root/scripts/authselect-setup.sh}

work=$(mktemp -d /tmp/nss-iam-authselect.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

finish() {
    if declare -F tap_done >/dev/null; then
        tap_done
    else
        echo "1..$tap_n"
    fi
}

# The commands the script runs: the fake authselect, a systemctl that
# records its calls (oddjobd "enabled" while R/oddjobd.enabled exists),
# and the tree's nsswitch-edit.
bin=$work/bin
mkdir -p "$bin"
cp "$here/lib/fake_authselect.sh" "$bin/authselect"
cat >"$bin/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_AUTHSELECT_ROOT/systemctl.calls"
case $1 in
is-enabled) [ -e "$FAKE_AUTHSELECT_ROOT/oddjobd.enabled" ] ;;
enable) : >"$FAKE_AUTHSELECT_ROOT/oddjobd.enabled" ;;
disable) rm -f "$FAKE_AUTHSELECT_ROOT/oddjobd.enabled" ;;
esac
EOF
chmod 755 "$bin/authselect" "$bin/systemctl"
export AUTHSELECT=$bin/authselect SYSTEMCTL=$bin/systemctl
export NSSWITCH_EDIT=$root/scripts/nsswitch-edit.sh

# Profile templates as authselect 1.2 ships them (sssd, minimal: RHEL 9,
# Amazon Linux 2023) and 1.5 (local: Fedora 40 and later).
sssd_t='passwd:     sss files systemd   {exclude if "with-custom-passwd"}
group:      sss files systemd   {exclude if "with-custom-group"}
netgroup:   sss files           {exclude if "with-custom-netgroup"}
automount:  sss files           {exclude if "with-custom-automount"}
services:   sss files           {exclude if "with-custom-services"}
sudoers:    files sss           {include if "with-sudo"}'
minimal_t='aliases:    files                                       {exclude if "with-custom-aliases"}
group:      files [SUCCESS=merge] {if "with-altfiles":altfiles [SUCCESS=merge] }systemd {exclude if "with-custom-group"}
hosts:      resolve [!UNAVAIL=return] files myhostname dns {exclude if "with-custom-hosts"}
initgroups: files                                       {exclude if "with-custom-initgroups"}
passwd:     files {if "with-altfiles":altfiles }systemd {exclude if "with-custom-passwd"}
shadow:     files                                       {exclude if "with-custom-shadow"}'
local_t='# In order of likelihood of use to accelerate lookup.
passwd:     files {if "with-altfiles":altfiles }systemd
shadow:     files systemd
group:      files {if "with-altfiles":altfiles }systemd {exclude if "with-group-merging"}
group:      files [SUCCESS=merge] {if "with-altfiles":altfiles [SUCCESS=merge] }systemd [SUCCESS=merge] {include if "with-group-merging"}
hosts:      files myhostname {if not "with-mdns4":resolve [!UNAVAIL=return] }dns'

# mkroot NAME: a root with the three profiles and systemd running;
# sets R and exports FAKE_AUTHSELECT_ROOT.
mkroot() {
    R=$work/$1
    local p
    for p in sssd minimal local; do
        mkdir -p "$R/usr/share/authselect/default/$p"
        for f in README REQUIREMENTS system-auth password-auth postlogin \
            dconf-db; do
            echo "$p $f" >"$R/usr/share/authselect/default/$p/$f"
        done
    done
    printf '%s\n' "$sssd_t" >"$R/usr/share/authselect/default/sssd/nsswitch.conf"
    printf '%s\n' "$minimal_t" >"$R/usr/share/authselect/default/minimal/nsswitch.conf"
    printf '%s\n' "$local_t" >"$R/usr/share/authselect/default/local/nsswitch.conf"
    mkdir -p "$R/etc/authselect/custom" "$R/var/lib/nss-iam" \
        "$R/run/systemd/system"
    export FAKE_AUTHSELECT_ROOT=$R
}

# as_select PROFILE FEATURE...: the system as installed, calls forgotten.
as_select() {
    "$AUTHSELECT" select "$@" >/dev/null
    rm -f "$R/authselect.calls"
}

run_setup() {
    ${SETUP_SHELL:-sh} "$setup" "$1" --root "$R" 2>"$work/err"
}

calls() {
    cat "$R/authselect.calls" 2>/dev/null
    rm -f "$R/authselect.calls"
}

sysctl_calls() {
    cat "$R/systemctl.calls" 2>/dev/null
    rm -f "$R/systemctl.calls"
}

raw() {
    "$AUTHSELECT" current --raw 2>&1
    sed -i '$d' "$R/authselect.calls"
}

line() {
    grep -E "^$1:" "$R/etc/nsswitch.conf"
}

# ---- the fake itself, against authselect's documented output ----

mkroot fake
check_eq "fake authselect: no configuration" \
    "No existing configuration detected.
2" "$("$AUTHSELECT" current --raw; echo "$?")"
as_select sssd with-sudo with-fingerprint
check_eq "fake authselect: current, formatted" \
    "Profile ID: sssd
Enabled features:
- with-sudo
- with-fingerprint" "$("$AUTHSELECT" current)"
check_eq "fake authselect: sssd with-sudo renders the profile" \
    "passwd:     sss files systemd
group:      sss files systemd
netgroup:   sss files
automount:  sss files
services:   sss files
sudoers:    files sss" "$(cat "$R/etc/nsswitch.conf")"

# ---- sssd with features (RHEL 9 default) ----

mkroot sssd
as_select sssd with-sudo with-fingerprint
cp "$R/etc/authselect/nsswitch.conf" "$work/sssd.before"
run_setup enable
check_eq "sssd: enable exits 0" "0" "$?"
check_eq "sssd: authselect calls" \
    "current --raw
create-profile nss-iam -b sssd --symlink-meta --symlink-pam --symlink-dconf
select custom/nss-iam with-sudo with-fingerprint with-mkhomedir" "$(calls)"
check_eq "sssd: custom/nss-iam selected with the features and with-mkhomedir" \
    "custom/nss-iam with-sudo with-fingerprint with-mkhomedir" "$(raw)"
check_eq "sssd: passwd and group name iam after files systemd" \
    "passwd:     sss files systemd iam
group:      sss files systemd iam" "$(line passwd; line group)"
check_eq "sssd: every other line as the sssd profile made it" \
    "$(grep -vE '^(passwd|group):' "$work/sssd.before")" \
    "$(grep -vE '^(passwd|group):' "$R/etc/nsswitch.conf")"
check "sssd: the distribution's profile is untouched" \
    cmp -s "$R/usr/share/authselect/default/sssd/nsswitch.conf" \
    <(printf '%s\n' "$sssd_t")
check_eq "sssd: PAM and meta files of the custom profile link to sssd's" \
    "README REQUIREMENTS dconf-db password-auth postlogin system-auth" \
    "$(find "$R/etc/authselect/custom/nss-iam" -type l -lname "*/default/sssd/*" \
        -printf '%f\n' | LC_ALL=C sort | xargs)"
check_eq "sssd: state records profile, features and the added feature" \
    "profile sssd
features with-sudo with-fingerprint
mkhomedir-added
oddjobd-enabled" "$(cat "$R/var/lib/nss-iam/authselect.state")"
check_eq "sssd: oddjobd (pam_oddjob_mkhomedir) enabled and started" \
    "is-enabled --quiet oddjobd.service
enable --now oddjobd.service" "$(sysctl_calls)"
check_fails "sssd: nsswitch-edit left no record (it did not run)" \
    test -e "$R/var/lib/nss-iam/nsswitch.state"
check_eq "sssd: status names the profile and its passwd and group lines" \
    "authselect: custom/nss-iam with-sudo with-fingerprint with-mkhomedir
passwd:     sss files systemd iam   {exclude if \"with-custom-passwd\"}
group:      sss files systemd iam   {exclude if \"with-custom-group\"}" \
    "$(run_setup status; calls >/dev/null)"
"$AUTHSELECT" apply-changes >/dev/null 2>&1
check_eq "sssd: authselect apply-changes (at boot, by an update) accepts it" \
    "0" "$?"
check_eq "sssd: ... and iam is still there" \
    "passwd:     sss files systemd iam" "$(line passwd)"
calls >/dev/null
cp "$R/etc/authselect/nsswitch.conf" "$work/sssd.enabled"

run_setup enable
check_eq "sssd: enable again exits 0" "0" "$?"
check_eq "sssd: enable again only applies the profile" \
    "current --raw
apply-changes" "$(calls)"
check "sssd: enable again changes nothing" \
    cmp "$work/sssd.enabled" "$R/etc/authselect/nsswitch.conf"
check_eq "sssd: enable again: iam once in the template" "2" \
    "$(grep -c ' iam' "$R/etc/authselect/custom/nss-iam/nsswitch.conf")"
check_eq "sssd: enable again: features and oddjobd left to the administrator" \
    "" "$(sysctl_calls)"

run_setup disable
check_eq "sssd: disable exits 0" "0" "$?"
check_eq "sssd: disable selects sssd with the features it had" \
    "current --raw
select sssd with-sudo with-fingerprint" "$(calls)"
check_eq "sssd: sssd with-sudo with-fingerprint is current again" \
    "sssd with-sudo with-fingerprint" "$(raw)"
check "sssd: nsswitch.conf is as before" \
    cmp "$work/sssd.before" "$R/etc/authselect/nsswitch.conf"
check_fails "sssd: the custom profile is gone" \
    test -e "$R/etc/authselect/custom/nss-iam"
check_fails "sssd: the state file is gone" \
    test -e "$R/var/lib/nss-iam/authselect.state"
check_eq "sssd: oddjobd disabled again" \
    "disable --now oddjobd.service" "$(sysctl_calls)"
run_setup disable
check_eq "sssd: disable again does nothing" "0 " "$? $(calls)"

# ---- minimal without features (RHEL 9 minimal, Amazon Linux 2023) ----

mkroot minimal
as_select minimal
cp "$R/etc/authselect/nsswitch.conf" "$work/minimal.before"
: >"$R/oddjobd.enabled"
run_setup enable
check_eq "minimal: enable exits 0" "0" "$?"
check_eq "minimal: authselect calls" \
    "current --raw
create-profile nss-iam -b minimal --symlink-meta --symlink-pam --symlink-dconf
select custom/nss-iam with-mkhomedir" "$(calls)"
check_eq "minimal: passwd, group and initgroups name iam" \
    "passwd:     files systemd iam
group:      files [SUCCESS=merge] systemd iam
initgroups: files iam" "$(line passwd; line group; line initgroups)"
check_eq "minimal: hosts line unchanged" \
    "hosts:      resolve [!UNAVAIL=return] files myhostname dns" "$(line hosts)"
check_eq "minimal: oddjobd was enabled already: left alone" \
    "is-enabled --quiet oddjobd.service" "$(sysctl_calls)"
"$AUTHSELECT" enable-feature with-altfiles >/dev/null
check_eq "minimal: with-altfiles enabled later: iam after systemd still" \
    "passwd:     files altfiles systemd iam" "$(line passwd)"
calls >/dev/null
run_setup disable
check_eq "minimal: disable keeps the feature enabled since, drops with-mkhomedir" \
    "minimal with-altfiles" "$(raw)"
check_eq "minimal: oddjobd not disabled (the package did not enable it)" \
    "" "$(sysctl_calls)"
"$AUTHSELECT" disable-feature with-altfiles >/dev/null
check "minimal: nsswitch.conf is as before (with-altfiles off again)" \
    cmp "$work/minimal.before" "$R/etc/authselect/nsswitch.conf"

# ---- local with with-mkhomedir already on (Fedora 40+) ----

mkroot local
as_select local with-mkhomedir with-group-merging
cp "$R/etc/authselect/nsswitch.conf" "$work/local.before"
run_setup enable
check_eq "local: enable exits 0" "0" "$?"
check_eq "local: selected with the same features" \
    "custom/nss-iam with-mkhomedir with-group-merging" "$(raw)"
check_eq "local: passwd and the merging group line name iam" \
    "passwd:     files systemd iam
group:      files [SUCCESS=merge] systemd [SUCCESS=merge] iam" \
    "$(line passwd; line group)"
check_eq "local: no mkhomedir-added in the state" \
    "profile local
features with-mkhomedir with-group-merging
oddjobd-enabled" "$(cat "$R/var/lib/nss-iam/authselect.state")"
run_setup disable
check_eq "local: disable keeps with-mkhomedir (it was there before)" \
    "local with-mkhomedir with-group-merging" "$(raw)"
check "local: nsswitch.conf is as before" \
    cmp "$work/local.before" "$R/etc/authselect/nsswitch.conf"

# ---- no authselect: nsswitch-edit ----

mkroot absent
printf 'passwd:         files\ngroup:          files\nhosts:          files dns\n' \
    >"$R/etc/nsswitch.conf"
cp "$R/etc/nsswitch.conf" "$work/absent.before"
AUTHSELECT=$work/no-such-authselect run_setup enable
check_eq "no authselect: enable exits 0" "0" "$?"
check_eq "no authselect: nsswitch-edit added iam" \
    "passwd:         files iam
group:          files iam" "$(line passwd; line group)"
check "no authselect: nsswitch-edit's record" \
    test -f "$R/var/lib/nss-iam/nsswitch.state"
check_eq "no authselect: status" "authselect: not in use
passwd: iam
group: iam" "$(AUTHSELECT=$work/no-such-authselect run_setup status)"
AUTHSELECT=$work/no-such-authselect run_setup disable
check "no authselect: disable restores the file" \
    cmp "$work/absent.before" "$R/etc/nsswitch.conf"
check_eq "no authselect: no systemctl call" "" "$(sysctl_calls)"

mkroot unconfigured
printf 'passwd: files\ngroup: files\n' >"$R/etc/nsswitch.conf"
cp "$R/etc/nsswitch.conf" "$work/unconf.before"
run_setup enable
check_eq "authselect with no configuration: nsswitch-edit added iam" \
    "0 passwd: files iam" "$? $(line passwd)"
check_eq "authselect with no configuration: only asked current" \
    "current --raw" "$(calls)"
run_setup disable
check "authselect with no configuration: disable restores the file" \
    cmp "$work/unconf.before" "$R/etc/nsswitch.conf"

mkroot dangling
as_select minimal
rm "$R/etc/authselect/authselect.conf"
cp "$R/etc/authselect/nsswitch.conf" "$work/dangling.before"
run_setup enable
check_eq "a link into /etc/authselect without configuration: enable fails" \
    "1" "$?"
check "... and says why" grep -q "links into /etc/authselect" "$work/err"
check "... and leaves the file alone" \
    cmp "$work/dangling.before" "$R/etc/authselect/nsswitch.conf"

# ---- upgrade from a package that edited authselect's file ----

mkroot upgrade
as_select sssd with-sudo
cp "$R/etc/authselect/nsswitch.conf" "$work/upgrade.before"
sh "$NSSWITCH_EDIT" add --file "$R/etc/nsswitch.conf" \
    --state "$R/var/lib/nss-iam/nsswitch.state" 2>/dev/null
"$AUTHSELECT" apply-changes >/dev/null 2>&1
check_eq "old way: the edited file makes authselect apply-changes refuse" \
    "3" "$?"
calls >/dev/null
run_setup enable
check_eq "upgrade: enable exits 0" "0" "$?"
check_fails "upgrade: the old edit and its record are undone" \
    test -e "$R/var/lib/nss-iam/nsswitch.state"
check_eq "upgrade: custom/nss-iam selected" \
    "custom/nss-iam with-sudo with-mkhomedir" "$(raw)"
check_eq "upgrade: iam once on passwd" "passwd:     sss files systemd iam" \
    "$(line passwd)"
run_setup disable
check "upgrade: disable gives back sssd's file" \
    cmp "$work/upgrade.before" "$R/etc/authselect/nsswitch.conf"

# ---- authselect refuses: nothing is left half done ----

mkroot refused
as_select sssd
echo "# a hand edit" >>"$R/etc/authselect/nsswitch.conf"
cp "$R/etc/authselect/nsswitch.conf" "$work/refused.before"
run_setup enable
check_eq "hand-edited authselect file: enable fails" "1" "$?"
check "... and names the failed select" \
    grep -q "authselect select custom/nss-iam with-mkhomedir failed" "$work/err"
check_eq "... sssd still selected, no custom profile, no state" \
    "sssd no no" \
    "$(raw) $(test -e "$R/etc/authselect/custom/nss-iam" && echo yes || echo no) $(test -e "$R/var/lib/nss-iam/authselect.state" && echo yes || echo no)"
check "... the file untouched" \
    cmp "$work/refused.before" "$R/etc/authselect/nsswitch.conf"

mkroot moved
as_select sssd
run_setup enable >/dev/null
as_select minimal
run_setup disable
check_eq "profile changed since enable: disable leaves minimal selected" \
    "0 minimal" "$? $(raw)"
check_fails "... and deletes the unused custom profile" \
    test -e "$R/etc/authselect/custom/nss-iam"

check_eq "usage: unknown mode" "2" \
    "$(sh "$setup" frobnicate >/dev/null 2>&1; echo $?)"

finish
