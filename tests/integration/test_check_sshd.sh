#!/usr/bin/env bash
# iam-sync --check-sshd: whether sshd asks iam-authorized-keys for keys,
# as the packages run it at install time. Each case lays out the sshd and
# systemd files of a host on tmpfs mounts over the real directories, in a
# private mount namespace per run: EC2 Instance Connect's unit drop-in as
# Amazon Linux 2023 and Debian/Ubuntu ship it, an sshd_config.d file read
# before ours, no Include, no sshd at all, and the clean case. It must
# never need nss-iam.conf, a snapshot or AWS: each run is given a
# configuration iam-sync would refuse. Nothing on the host changes;
# prints TAP.
# shellcheck source-path=SCRIPTDIR
# Unit lines ($OPTIONS) and the inner bash script are single-quoted on
# purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"

sync_bin=$build/iam-sync
[ -x "$sync_bin" ] || fail_setup "no $sync_bin (make all)"
work=$(mktemp -d /tmp/nss-iam-check-sshd.XXXXXX) || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
trap 'exit 130' INT TERM

# The directories sshd_check reads (sync/sshd_check.c), each hidden under
# an empty tmpfs in the namespace of one run.
hidden="/etc/ssh /etc/systemd /run/systemd /usr/lib/systemd/system
/lib/systemd/system"

# tree NAME: a fresh layout under $work/NAME, with Debian 12's sshd_config
# (the drop-ins included first) and nss-iam's drop-in.
tree() {
    t=$work/$1
    mkdir -p "$t/etc/ssh/sshd_config.d" "$t/etc/systemd/system" \
        "$t/usr/lib/systemd/system"
    printf '%s\n' 'Include /etc/ssh/sshd_config.d/*.conf' 'UsePAM yes' \
        >"$t/etc/ssh/sshd_config"
    cp "$root/contrib/sshd_config.d/nss-iam.conf" \
        "$t/etc/ssh/sshd_config.d/00-nss-iam.conf"
    printf '%s\n' '[Service]' 'ExecStart=/usr/sbin/sshd -D $OPTIONS' \
        >"$t/usr/lib/systemd/system/sshd.service"
}

# eic_dropin FILE CMD: EC2 Instance Connect's unit drop-in, as its
# packages write it (aws-ec2-instance-connect-config, rpm_systemd and
# deb_systemd), with CMD as its AuthorizedKeysCommand.
eic_dropin() {
    mkdir -p "$(dirname "$1")"
    printf '%s\n' '[Service]' 'ExecStart=' \
        "ExecStart=/usr/sbin/sshd -D -o \"AuthorizedKeysCommand $2\" -o \"AuthorizedKeysCommandUser ec2-instance-connect\" \$SSHD_OPTS" \
        >"$1"
}

# check_in NAME: iam-sync --check-sshd with the layout NAME in place;
# stdout in $work/out, stderr in $work/err, returns its exit status.
check_in() {
    unshare -m --propagation private bash -c '
        t=$1; shift
        done_=" "
        for d in $HIDDEN; do
            [ -d "$d" ] || continue
            # /lib/systemd/system is /usr/lib/systemd/system on a
            # merged-/usr host: one mount, not a second one over it.
            real=$(realpath "$d")
            case $done_ in *" $real "*) continue ;; esac
            done_="$done_$real "
            mount -t tmpfs tmpfs "$real" || exit 99
            if [ -d "$t$d" ]; then
                cp -a "$t$d/." "$real/" || exit 99
            fi
        done
        exec "$@"' _ "$work/$1" env -i PATH=/usr/bin:/bin \
        "$sync_bin" --config "$work/refused.conf" --check-sshd \
        >"$work/out" 2>"$work/err"
}
export HIDDEN=$hidden
# A configuration iam-sync refuses (world-writable, a bad line): reading
# it would be exit 2. --check-sshd reads no configuration, no snapshot,
# and calls no AWS API, so that it works before anything is configured.
printf 'NOT A SETTING\n' >"$work/refused.conf"
chmod 0666 "$work/refused.conf"

# ---- the clean case ----

tree clean
check_in clean
check_eq "clean: exit 0" 0 "$?"
check_eq "clean: it says so on stdout, nothing on stderr" \
    "sshd: asks iam-authorized-keys (/etc/ssh/sshd_config.d/00-nss-iam.conf:$(grep -n '^AuthorizedKeysCommand ' "$root/contrib/sshd_config.d/nss-iam.conf" | cut -d: -f1))|" \
    "$(cat "$work/out")|$(cat "$work/err")"

# ---- EC2 Instance Connect on Amazon Linux 2023: sshd.service drop-in ----

tree al2023
eic_dropin "$work/al2023/usr/lib/systemd/system/sshd.service.d/ec2-instance-connect.conf" \
    '/opt/aws/bin/eic_run_authorized_keys %%u %%f'
check_in al2023
check_eq "AL2023 EIC unit drop-in: exit 1" 1 "$?"
check "... names the drop-in and its command" grep -qF \
    'iam-sync: sshd: /usr/lib/systemd/system/sshd.service.d/ec2-instance-connect.conf gives sshd -o "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f"' \
    "$work/err"
check "... the chain line with Amazon Linux's path, as found" grep -qF \
    'CHAIN_AUTHORIZED_KEYS_COMMAND="/opt/aws/bin/eic_run_authorized_keys %u %f" in /etc/nss-iam.conf' \
    "$work/err"
check "... and the mask of that drop-in" grep -qF \
    'ln -s /dev/null /etc/systemd/system/sshd.service.d/ec2-instance-connect.conf && systemctl daemon-reload && systemctl restart sshd.service' \
    "$work/err"
check_eq "... nothing on stdout" "" "$(cat "$work/out")"

# ---- EC2 Instance Connect on Debian/Ubuntu: ssh.service drop-in ----

tree debian
eic_dropin "$work/debian/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf" \
    '/usr/share/ec2-instance-connect/eic_run_authorized_keys %%u %%f'
# On a merged-/usr host /lib is /usr/lib: the drop-in is laid there.
if [ -L /lib ]; then
    mkdir -p "$work/debian/usr/lib/systemd/system"
    cp -a "$work/debian/lib/systemd/system/." \
        "$work/debian/usr/lib/systemd/system/"
fi
check_in debian
check_eq "Debian EIC unit drop-in: exit 1" 1 "$?"
check "... the chain line with Debian's path, as found" grep -qF \
    'CHAIN_AUTHORIZED_KEYS_COMMAND="/usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f"' \
    "$work/err"
check "... and the mask of ssh.service's drop-in" grep -qF \
    'ln -s /dev/null /etc/systemd/system/ssh.service.d/ec2-instance-connect.conf' \
    "$work/err"

# ---- the mask applied: clean again ----

mkdir -p "$work/al2023/etc/systemd/system/sshd.service.d"
ln -s /dev/null \
    "$work/al2023/etc/systemd/system/sshd.service.d/ec2-instance-connect.conf"
check_in al2023
check_eq "AL2023 with the drop-in masked as the fix says: exit 0" 0 "$?"

# ---- an sshd_config.d file read before ours ----

tree earlier
printf '%s\n' '# EC2 Instance Connect, by hand' \
    'AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f' \
    'AuthorizedKeysCommandUser ec2-instance-connect' \
    >"$work/earlier/etc/ssh/sshd_config.d/00-eic.conf"
check_in earlier
check_eq "an earlier sshd_config.d file: exit 1" 1 "$?"
check "... names the file and line, the chain line, and the line to remove" \
    grep -qF 'iam-sync: sshd: /etc/ssh/sshd_config.d/00-eic.conf:2 sets AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f before nss-iam'"'"'s drop-in, and sshd keeps the first value: IAM users cannot log in. Keep that command as a fallback with CHAIN_AUTHORIZED_KEYS_COMMAND="/usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f" in /etc/nss-iam.conf, then remove the line and reload sshd' \
    "$work/err"

# A command with a token the chained command cannot pass on (%h).
tree token
printf '%s\n' 'AuthorizedKeysCommand /usr/local/bin/keys %u %h' \
    >"$work/token/etc/ssh/sshd_config.d/00-aaa.conf"
check_in token
check_eq "an earlier file with %h: exit 1" 1 "$?"
check "... the fix says %h cannot be passed on" grep -qF \
    'uses a token other than %u %U %k %t %f' "$work/err"

# ---- sshd_config without Include (RHEL 8) ----

tree noinclude
printf '%s\n' 'UsePAM yes' >"$work/noinclude/etc/ssh/sshd_config"
check_in noinclude
check_eq "sshd_config without Include: exit 1" 1 "$?"
check "... the fix says to include the drop-in" grep -qF \
    'Include /etc/ssh/sshd_config.d/*.conf' "$work/err"

# ---- no sshd at all ----

mkdir -p "$work/nossh"
check_in nossh
check_eq "no /etc/ssh/sshd_config (no sshd): exit 0" 0 "$?"
check "... it says there is nothing to check" grep -qF \
    'sshd: /etc/ssh/sshd_config does not exist: nothing to check' "$work/out"

tap_done
