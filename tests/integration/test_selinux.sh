#!/usr/bin/env bash
# The SELinux policy module in selinux/: it compiles with the policy's
# development Makefile (Debian's selinux-policy-dev here, as
# selinux-policy-devel does in the RPM build), and the compiled module,
# turned back into CIL, grants what an IAM login needs and nothing more:
# the nsswitch domains (sshd, logind, crond, ...) read and map the
# snapshot, its directory has its own type by file context, and sshd's
# connections to AWS are behind a boolean that is off by default.
#
# Nothing here loads the module into a kernel: this machine does not run
# SELinux, so enforcing behaviour is not tested. Prints TAP.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
root=$(cd "$here/../.." && pwd)

# The same path on Debian (selinux-policy-dev) and Fedora/RHEL
# (selinux-policy-devel).
devel_mk=${SELINUX_DEVEL_MAKEFILE:-/usr/share/selinux/devel/Makefile}
pp2cil=/usr/libexec/selinux/hll/pp

work=$(mktemp -d /tmp/nss-iam-selinux.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

finish() {
    if declare -F tap_done >/dev/null; then
        tap_done
    else
        echo "1..$tap_n"
    fi
}

[ -f "$devel_mk" ] ||
    fail_setup "$devel_mk missing (scripts/deps.sh check installs selinux-policy-dev)"
[ -x "$pp2cil" ] ||
    fail_setup "$pp2cil missing (policycoreutils)"

# ---- build ----

cp "$root"/selinux/nss_iam.te "$root"/selinux/nss_iam.fc \
    "$root"/selinux/nss_iam.if "$work/"
make -C "$work" -f "$devel_mk" nss_iam.pp >"$work/make.log" 2>&1
rc=$?
check_eq "the module compiles with $devel_mk" 0 "$rc"
if [ "$rc" -ne 0 ] || [ ! -f "$work/nss_iam.pp" ]; then
    sed 's/^/# /' "$work/make.log" | tail -n 20
    finish
    exit 1
fi
check_eq "no warning from the policy build" "" \
    "$(grep -iE 'warning|error' "$work/make.log")"

"$pp2cil" "$work/nss_iam.pp" "$work/nss_iam.cil" 2>"$work/pp.err"
check "the module converts to CIL" test -s "$work/nss_iam.cil"
cil=$work/nss_iam.cil

# has LINE: the CIL holds LINE (leading blanks ignored).
has() {
    sed 's/^[[:space:]]*//' "$cil" | grep -qxF "$1"
}

# allowed SOURCE TARGET CLASS: the permissions allowed SOURCE on
# TARGET:CLASS anywhere in the module (conditional ones included), sorted.
allowed() {
    sed -n "s/^[[:space:]]*(allow $1 $2 ($3 (\\(.*\\))))\$/\\1/p" "$cil" |
        tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u | xargs
}

# unconditional SOURCE TARGET CLASS: as allowed, outside booleanif blocks.
unconditional() {
    awk '/\(booleanif/ {skip = 1} skip && /^    \)$/ {skip = 0; next}
        !skip' "$cil" >"$work/uncond.cil"
    sed -n "s/^[[:space:]]*(allow $1 $2 ($3 (\\(.*\\))))\$/\\1/p" \
        "$work/uncond.cil" | tr ' ' '\n' | sed '/^$/d' |
        LC_ALL=C sort -u | xargs
}

# ---- the snapshot's type ----

check "nss_iam_var_lib_t is declared" has "(type nss_iam_var_lib_t)"
check "it is a file type (files_type)" \
    has "(typeattributeset file_type (nss_iam_var_lib_t ))"
check "it is a non-security file type" \
    has "(typeattributeset non_security_file_type (nss_iam_var_lib_t ))"
check_eq "file context: /var/lib/nss-iam and everything in it" \
    '(filecon "/var/lib/nss-iam(/.*)?" any (system_u object_r nss_iam_var_lib_t ((s0) (s0))))' \
    "$(sed -n 's/^[[:space:]]*\((filecon .*\)$/\1/p' "$cil")"

# The .fc regular expression, as the labelling tools anchor it.
fc_re=$(awk '$1 !~ /^#/ && NF {print $1}' "$root/selinux/nss_iam.fc")
fc_matches() {
    printf '%s\n' "$2" | grep -qxE "$1"
}
for p in /var/lib/nss-iam /var/lib/nss-iam/passwd.mdb \
    /var/lib/nss-iam/nsswitch.state; do
    check "file context covers $p" fc_matches "$fc_re" "$p"
done
check_fails "file context leaves /var/lib/nss-iam-other alone" \
    fc_matches "$fc_re" /var/lib/nss-iam-other

# ---- what the lookups get ----

check_eq "nsswitch domains: read and map the snapshot files" \
    "getattr ioctl map open read" \
    "$(unconditional nsswitch_domain nss_iam_var_lib_t file)"
check_eq "nsswitch domains: search and list its directory" \
    "getattr ioctl lock open read search" \
    "$(unconditional nsswitch_domain nss_iam_var_lib_t dir)"
check_eq "nsswitch domains: reach it through /var/lib" \
    "getattr open search" \
    "$(unconditional nsswitch_domain var_lib_t dir)"
# The instance check: the DMI board asset tag, read-only.
check "nsswitch domains: read sysfs files (the instance id on Nitro)" \
    grep -qw read <<<"$(unconditional nsswitch_domain sysfs_t file)"
check_fails "... and never write them" \
    grep -qw write <<<"$(unconditional nsswitch_domain sysfs_t file)"
check_eq "sshd_t (iam-authorized-keys): reads and maps the snapshot" \
    "getattr ioctl map open read" \
    "$(unconditional sshd_t nss_iam_var_lib_t file)"
check "the sshd rules are optional (a policy without sshd_t loads)" \
    grep -q '^(optional nss_iam_optional' "$cil"

# Nothing that looks a user up may change the snapshot.
bad=$(sed -n 's/^[[:space:]]*(allow \([a-z_]*\) nss_iam_var_lib_t (\(file\|dir\) (\(.*\))))$/\1 \3/p' \
    "$cil" | grep -wE 'write|append|create|unlink|rename|setattr|add_name|remove_name|relabelfrom|relabelto')
check_eq "no domain is given write access to the snapshot" "" "$bad"

# ---- VERIFY_ONLINE ----

check "boolean nss_iam_verify_online, off by default" \
    has "(boolean nss_iam_verify_online false)"
check_eq "sshd_t connects to http_port_t (443, IMDS on 80) under the boolean" \
    "name_connect" "$(allowed sshd_t http_port_t tcp_socket)"
check_eq "... and never without it" "" \
    "$(unconditional sshd_t http_port_t tcp_socket)"
check_eq "sshd_t reads the CA certificates under the boolean" \
    "getattr ioctl lock open read" "$(allowed sshd_t cert_t file)"
awk '/\(booleanif \(nss_iam_verify_online\)/ {b = 1} b' "$cil" >"$work/bool.cil"
check "the http_port_t rule sits in the nss_iam_verify_online block" \
    grep -q '(allow sshd_t http_port_t (tcp_socket (name_connect)))' \
    "$work/bool.cil"

# ---- linked into a whole policy ----

# Debian's reference policy (selinux-policy-default, unpacked, never
# installed: its postinst would build a policy store on the host), base
# plus the ssh and cron modules, linked with this module and expanded
# into a kernel policy that setools can query.
cache=$root/cache/selinux
mkdir -p "$cache"
deb=$(find "$cache" -maxdepth 1 -name 'selinux-policy-default_*.deb' | head -n 1)
if [ -z "$deb" ]; then
    echo "# downloading selinux-policy-default into $cache (once)"
    (cd "$cache" && apt-get download selinux-policy-default) \
        >"$work/download.log" 2>&1
    deb=$(find "$cache" -maxdepth 1 -name 'selinux-policy-default_*.deb' | head -n 1)
fi
if [ -z "$deb" ]; then
    sed 's/^/# /' "$work/download.log" | tail -n 5
    tap_not_ok "setup: no selinux-policy-default package to link against"
else
    dpkg-deb -x "$deb" "$work/ref"
    for m in base ssh cron; do
        bzip2 -dc "$work/ref/usr/share/selinux/default/$m.pp.bz2" >"$work/$m.pp"
    done
    semodule_link -o "$work/ref.pp" "$work/base.pp" "$work/ssh.pp" \
        "$work/cron.pp" >/dev/null 2>&1 &&
        semodule_expand "$work/ref.pp" "$work/ref.bin"
    semodule_link -o "$work/linked.pp" "$work/base.pp" "$work/ssh.pp" \
        "$work/cron.pp" "$work/nss_iam.pp" >"$work/link.log" 2>&1
    check "the module links with base, ssh and cron (every require met)" \
        semodule_expand "$work/linked.pp" "$work/policy.bin"
    pol=$work/policy.bin
    # can SOURCE TARGET CLASS PERM [BIN]: the policy allows it.
    can() {
        [ -n "$(sesearch -A -s "$1" -t "$2" -c "$3" -p "$4" "${5:-$pol}" 2>/dev/null)" ]
    }
    check_fails "without the module sshd_t may not map a var_lib_t file" \
        can sshd_t var_lib_t file map "$work/ref.bin"
    for d in sshd_t systemd_logind_t crond_t local_login_t; do
        check "with it $d maps the snapshot (nsswitch_domain)" \
            can "$d" nss_iam_var_lib_t file map
    done
    check_fails "sshd_t may not write the snapshot" \
        can sshd_t nss_iam_var_lib_t file write
    check_eq "the boolean in the linked policy: off" \
        "bool nss_iam_verify_online false;" \
        "$(seinfo -b nss_iam_verify_online -x "$pol" 2>&1 | sed -n 's/^ *\(bool .*\)$/\1/p')"
    check_eq "its rule: sshd_t to http_port_t, only when it is on" \
        "allow sshd_t http_port_t:tcp_socket name_connect; [ nss_iam_verify_online ]:True" \
        "$(sesearch -A -b nss_iam_verify_online -c tcp_socket "$pol" 2>&1)"
fi

# ---- the interface file ----

for i in nss_iam_read_db nss_iam_manage_db nss_iam_var_lib_filetrans \
    nss_iam_admin; do
    check "nss_iam.if defines $i" grep -q "^interface(\`$i'," \
        "$root/selinux/nss_iam.if"
done

finish
