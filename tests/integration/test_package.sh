#!/usr/bin/env bash
# The packages: "make deb" builds libnss-iam (the NSS module, Multi-Arch:
# same) and nss-iam (everything else), "make rpm" nss-iam and
# nss-iam-selinux; their file lists and modes are as specified, lintian
# finds no error, the units pass systemd-analyze verify. Then the .debs
# are installed with apt into a minimal Debian 12 root (debootstrap,
# cached under cache/debootstrap/), entered with chroot inside a private
# mount namespace: nsswitch.conf, units, conffiles, pam, sshd and sudo
# configuration are checked, iam-sync runs against moto on the host (the
# chroot shares the network namespace), the installed NSS module and keys
# command serve what it published. Then the life of the packages: an
# administrator's removal of iam survives upgrades, the tools go without
# the module, the module's purge takes iam out, removal and reinstall, a
# second architecture's module counted, and the upgrade from the single
# libnss-iam of 0.1.0 (tests/fixtures/deb-single-0.1.0); each removal
# gives back /etc as it was. /etc/nss-iam.conf is the administrator's:
# a file written before the install is kept and nothing is asked, the
# example copied where there is none is purged only unedited, an edited
# one from 0.1.0 survives the upgrade and purge. An EC2 Instance Connect
# unit drop-in gets --check-sshd's warning at install.
# Nothing on the host is modified; prints TAP.
# shellcheck source-path=SCRIPTDIR
# dpkg-query formats and awk programs are single-quoted on purpose:
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
in_private_namespace "$@"
. "$here/lib/moto.sh"
# shellcheck source=lib/debroot.sh
. "$here/lib/debroot.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
pkg=$build/pkg
# Everything the package needs at run time, and what the checks run, is
# in the cached root: installing the .deb downloads nothing.
include=openssh-server,sudo,liblmdb0,libjson-c5,libcurl4,libssl3

work=$(mktemp -d /tmp/nss-iam-package.XXXXXX) || exit 1
r=$work/root

cleanup() {
    moto_stop "$work/moto"
    for m in "$r/dev" "$r/proc"; do
        if mountpoint -q "$m"; then
            umount -l "$m"
        fi
    done
    # --one-file-system: never follow a mount into the host's /dev.
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_root CMD...: runs CMD inside the Debian root.
in_root() {
    chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# ---- build ----

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
rm -f "$pkg"/*.deb "$pkg"/*.rpm
make -C "$root" BUILD="$build" deb >"$work/deb.log" 2>&1
check_eq "make deb builds build/pkg/libnss-iam_*.deb and nss-iam_*.deb" "1 1" \
    "$(find "$pkg" -maxdepth 1 -name 'libnss-iam_*.deb' | wc -l) $(find "$pkg" -maxdepth 1 -name 'nss-iam_*.deb' | wc -l)"
make -C "$root" BUILD="$build" rpm >"$work/rpm.log" 2>&1
check_eq "make rpm builds build/pkg/nss-iam-*.rpm" 1 \
    "$(find "$pkg" -maxdepth 1 -name 'nss-iam-*.rpm' ! -name '*.src.rpm' \
        ! -name 'nss-iam-selinux-*' | wc -l)"
check_eq "make rpm builds build/pkg/nss-iam-selinux-*.noarch.rpm" 1 \
    "$(find "$pkg" -maxdepth 1 -name 'nss-iam-selinux-*.noarch.rpm' | wc -l)"
libdeb=$(find "$pkg" -maxdepth 1 -name 'libnss-iam_*.deb' | head -n 1)
deb=$(find "$pkg" -maxdepth 1 -name 'nss-iam_*.deb' | head -n 1)
rpmf=$(find "$pkg" -maxdepth 1 -name 'nss-iam-*.rpm' ! -name 'nss-iam-selinux-*' | head -n 1)
serpm=$(find "$pkg" -maxdepth 1 -name 'nss-iam-selinux-*.rpm' | head -n 1)
if [ -z "$deb" ] || [ -z "$libdeb" ]; then
    tail -n 20 "$work/deb.log" | sed 's/^/# /'
    fail_setup "no .deb"
fi

# ---- make install ----

# Staged (DESTDIR, as the packages build): the example under share, never
# /etc/nss-iam.conf, which is the administrator's.
st=$work/staged
make -C "$root" BUILD="$build" install DESTDIR="$st" PREFIX=/usr \
    UNITDIR=/usr/lib/systemd/system >"$work/install.log" 2>&1
check_eq "make install DESTDIR: the example, the drop-in 00-nss-iam.conf, the preset" \
    "644 $st/etc/ssh/sshd_config.d/00-nss-iam.conf
644 $st/usr/lib/systemd/system-preset/80-nss-iam.preset
644 $st/usr/share/nss-iam/nss-iam.conf" \
    "$(stat -c '%a %n' "$st/etc/ssh/sshd_config.d/00-nss-iam.conf" \
        "$st/usr/lib/systemd/system-preset/80-nss-iam.preset" \
        "$st/usr/share/nss-iam/nss-iam.conf" 2>&1)"
check_eq "make install DESTDIR: no /etc/nss-iam.conf, no old drop-in name" \
    "" "$(cd "$st/etc" && ls -d nss-iam.conf ssh/sshd_config.d/nss-iam.conf 2>/dev/null)"

# live_install DIR: "make install" without DESTDIR, every directory under
# DIR, and /var/lib (where it makes /var/lib/nss-iam) on a tmpfs.
live_install() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare -m --propagation private bash -c \
        'mount -t tmpfs tmpfs /var/lib && exec "$@"' _ \
        make -C "$root" BUILD="$build" install DESTDIR= PREFIX="$1/usr" \
        SYSCONFDIR="$1/etc" UNITDIR="$1/usr/lib/systemd/system" \
        >"$work/live.log" 2>&1
}
live_install "$work/live1"
check_eq "live make install, no configuration yet: the example, 0644" \
    "644 same" "$(stat -c %a "$work/live1/etc/nss-iam.conf" 2>&1) $(cmp -s \
        "$root/contrib/nss-iam.conf" "$work/live1/etc/nss-iam.conf" && echo same)"
mkdir -p "$work/live2/etc/ssh/sshd_config.d"
printf 'IAM_AUTHORIZED_GROUPS="ops"\n' >"$work/live2/etc/nss-iam.conf"
chmod 0600 "$work/live2/etc/nss-iam.conf"
cp -p "$work/live2/etc/nss-iam.conf" "$work/live2.conf"
cp "$root/contrib/sshd_config.d/nss-iam.conf" \
    "$work/live2/etc/ssh/sshd_config.d/nss-iam.conf"
live_install "$work/live2"
check "live make install over a written configuration: kept byte for byte" \
    cmp "$work/live2.conf" "$work/live2/etc/nss-iam.conf"
check_eq "... and its mode" 600 "$(stat -c %a "$work/live2/etc/nss-iam.conf")"
check_eq "... the drop-in's old name gone, 00-nss-iam.conf in place" \
    "00-nss-iam.conf" "$(ls "$work/live2/etc/ssh/sshd_config.d")"

# ---- the .debs' contents ----

arch=$(dpkg --print-architecture)
version=$(dpkg-deb -f "$deb" Version)
# deb_list DEB: the mode, owner and path of each file (no directories).
deb_list() {
    dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $1, $2, $6}' | LC_ALL=C sort -k3
}
check_eq "libnss-iam: the module and the nsswitch.conf editor only" \
    "-rw-r--r-- root/root ./usr/lib/$multiarch/libnss_iam.so.2
-rwxr-xr-x root/root ./usr/libexec/nss-iam/nsswitch-edit
-rw-r--r-- root/root ./usr/share/doc/libnss-iam/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/libnss-iam/copyright" \
    "$(deb_list "$libdeb")"
want_deb="-rw-r--r-- root/root ./etc/ssh/sshd_config.d/00-nss-iam.conf
-r--r----- root/root ./etc/sudoers.d/nss-iam
-rw-r--r-- root/root ./lib/systemd/system-preset/80-nss-iam.preset
-rw-r--r-- root/root ./lib/systemd/system/iam-sync-publisher.service
-rw-r--r-- root/root ./lib/systemd/system/iam-sync.service
-rw-r--r-- root/root ./lib/systemd/system/iam-sync.timer
-rwxr-xr-x root/root ./usr/libexec/nss-iam/iam-verify-key
-rwxr-xr-x root/root ./usr/libexec/nss-iam/sudoconf-edit
-rwxr-xr-x root/root ./usr/sbin/iam-authorized-keys
-rwxr-xr-x root/root ./usr/sbin/iam-sync
-rw-r--r-- root/root ./usr/share/doc/nss-iam/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/nss-iam/copyright
-rw-r--r-- root/root ./usr/share/man/man5/nss-iam.conf.5.gz
-rw-r--r-- root/root ./usr/share/man/man8/iam-authorized-keys.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/iam-sync.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/libnss_iam.8.gz
-rw-r--r-- root/root ./usr/share/nss-iam/nss-iam.conf
-rw-r--r-- root/root ./usr/share/pam-configs/nss-iam-mkhomedir"
check_eq "nss-iam: files, modes and owners" "$want_deb" "$(deb_list "$deb")"
check_eq "nss-iam: conffiles (not /etc/nss-iam.conf: the administrator's)" \
    "$(printf '/etc/ssh/sshd_config.d/00-nss-iam.conf\n/etc/sudoers.d/nss-iam')" \
    "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)"
check_eq "libnss-iam: no conffiles" "" \
    "$(dpkg-deb --ctrl-tarfile "$libdeb" | tar -t | grep conffiles)"
# deb_depends DEB: the package names of Depends, sorted.
deb_depends() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
        LC_ALL=C sort | xargs
}
check_eq "nss-iam: Depends names the four libraries" \
    "libcurl4 libjson-c5 liblmdb0 libssl3" \
    "$(deb_depends "$deb" | tr ' ' '\n' | grep -E '^lib(lmdb0|json-c5|curl4|ssl3)$' | xargs)"
check_eq "nss-iam: Depends on the module of the same version" \
    "libnss-iam (= $version)" \
    "$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//' | grep '^libnss-iam ')"
check_eq "libnss-iam: Depends on libc and LMDB only" "libc6 liblmdb0" \
    "$(deb_depends "$libdeb")"
check_eq "Package, Architecture, Multi-Arch (dpkg-deb -f)" \
    "libnss-iam $arch same
nss-iam $arch foreign" \
    "$(for d in "$libdeb" "$deb"; do
        dpkg-deb -f "$d" Package Architecture Multi-Arch | awk '{print $2}' | xargs
    done)"
check_eq "nss-iam: Breaks and Replaces the single libnss-iam of 0.1.0" \
    "libnss-iam (<< 0.1.1~) libnss-iam (<< 0.1.1~)" \
    "$(dpkg-deb -f "$deb" Breaks Replaces | sed 's/^[A-Za-z]*: //' | xargs)"

# deb_script DEB NAME: the maintainer script NAME of DEB.
deb_script() {
    dpkg-deb --ctrl-tarfile "$1" | tar -xO "./$2" 2>/dev/null
}
# The publisher: never enabled nor started by the package (it runs on one
# host, once PUBLISH is set: debhelper's --no-enable keeps only its state,
# and enables it again only where it was enabled), restarted by an
# upgrade only if it runs, stopped by a removal.
check_eq "nss-iam: the publisher is try-restarted on upgrade, stopped on removal, never started or enabled" \
    "postinst deb-systemd-helper update-state 'iam-sync-publisher.service'
postinst deb-systemd-invoke try-restart 'iam-sync-publisher.service'
prerm deb-systemd-invoke stop iam-sync-publisher.service" \
    "$(for f in postinst prerm; do
        deb_script "$deb" "$f" | grep -E 'deb-systemd-(invoke|helper) +(start|restart|try-restart|stop|update-state)\b.*iam-sync-publisher' |
            sed "s/^[[:space:]]*/$f /; s/ >.*//"
    done)"
lintian --tag-display-limit 0 "$libdeb" "$deb" >"$work/lintian.log" 2>&1
check_eq "lintian: no error" "" "$(grep '^E:' "$work/lintian.log")"
grep -E '^[WI]:' "$work/lintian.log" | sed 's/^/# lintian: /'

# ---- the .rpm's contents ----

if [ -n "$rpmf" ]; then
    rpm -qlpv "$rpmf" 2>/dev/null |
        awk '$1 !~ /^[dl]/ {print $1, $3, $4, $NF}' |
        LC_ALL=C sort -k4 >"$work/rpm.list"
    want_rpm="-rw-r--r-- root root /etc/ssh/sshd_config.d/00-nss-iam.conf
-r--r----- root root /etc/sudoers.d/nss-iam
-rw-r--r-- root root /usr/lib/systemd/system-preset/80-nss-iam.preset
-rw-r--r-- root root /usr/lib/systemd/system/iam-sync-publisher.service
-rw-r--r-- root root /usr/lib/systemd/system/iam-sync.service
-rw-r--r-- root root /usr/lib/systemd/system/iam-sync.timer
-rw-r--r-- root root /usr/lib64/libnss_iam.so.2
-rwxr-xr-x root root /usr/libexec/nss-iam/authselect-setup
-rwxr-xr-x root root /usr/libexec/nss-iam/iam-verify-key
-rwxr-xr-x root root /usr/libexec/nss-iam/nsswitch-edit
-rwxr-xr-x root root /usr/libexec/nss-iam/sudoconf-edit
-rwxr-xr-x root root /usr/sbin/iam-authorized-keys
-rwxr-xr-x root root /usr/sbin/iam-sync
-rw-r--r-- root root /usr/share/man/man5/nss-iam.conf.5
-rw-r--r-- root root /usr/share/man/man8/iam-authorized-keys.8
-rw-r--r-- root root /usr/share/man/man8/iam-sync.8
-rw-r--r-- root root /usr/share/man/man8/libnss_iam.8
-rw-r--r-- root root /usr/share/nss-iam/nss-iam.conf"
    check_eq "rpm: files, modes and owners" "$want_rpm" "$(cat "$work/rpm.list")"
    check_eq "rpm: /var/lib/nss-iam is a 0755 root directory" \
        "drwxr-xr-x root root /var/lib/nss-iam" \
        "$(rpm -qlpv "$rpmf" 2>/dev/null | awk '$NF == "/var/lib/nss-iam" {print $1, $3, $4, $NF}')"
    check_eq "rpm: config files (not /etc/nss-iam.conf: the administrator's)" \
        "$(printf '/etc/ssh/sshd_config.d/00-nss-iam.conf\n/etc/sudoers.d/nss-iam')" \
        "$(rpm -qpc "$rpmf" 2>/dev/null)"
    check_eq "rpm: the preset in the payload enables iam-sync.timer, not the publisher" \
        "enable iam-sync.timer
disable iam-sync-publisher.service" \
        "$(rpm2archive - <"$rpmf" 2>/dev/null | tar -xzOf - \
            ./usr/lib/systemd/system-preset/80-nss-iam.preset | grep -v '^#')"
    scripts=$(rpm -qp --scripts "$rpmf" 2>/dev/null)
    # The systemd macros as built here (rpm/macros.systemd-standin where
    # rpm has no systemd-rpm-macros): preset on install, disable on
    # erase, restart on upgrade; the service started on upgrade.
    check_eq "rpm: systemd scriptlets (preset, disable, restart, start)" \
        "postinstall preset iam-sync.timer
postinstall start iam-sync.timer
postinstall start iam-sync.service
preuninstall disable iam-sync.timer iam-sync.service iam-sync-publisher.service
postuninstall try-restart iam-sync.timer iam-sync-publisher.service" \
        "$(echo "$scripts" | awk '/scriptlet/ {s=$1; next}
            /^[ \t]*systemctl .*(preset|disable --now|try-restart|start) iam-sync/ {
                sub(/ >\/dev\/null.*/, ""); sub(/.*systemctl /, "")
                sub(/^--no-(reload|block) /, ""); sub(/^--now /, "")
                sub(/^disable --now/, "disable"); print s, $0 }')"
    check_eq "rpm: %posttrans writes the example only where no file is, then --check-sshd" \
        "posttrans [ ! -e \"\$conf\" ] && [ ! -L \"\$conf\" ]
posttrans /usr/sbin/iam-sync --check-sshd" \
        "$(echo "$scripts" | awk '/scriptlet/ {s=$1; next}
            /^if \[ ! -e "\$conf" \]/ { sub(/^if /, ""); sub(/; then$/, ""); print s, $0 }
            /iam-sync --check-sshd >/ { print s, $1, $2 }')"
    check_eq "rpm: %post enables and %preun disables through authselect-setup" \
        "postinstall enable
preuninstall disable" \
        "$(echo "$scripts" | awk '/scriptlet/ {s=$1} /authselect-setup (enable|disable)/ {for (i = 1; i <= NF; i++) if ($i ~ /authselect-setup$/) print s, $(i + 1)}')"
    check_eq "rpm: requires oddjob-mkhomedir, gawk, and -selinux with selinux-policy" \
        "(nss-iam-selinux = 0.1.0-1 if selinux-policy-targeted)
gawk
oddjob-mkhomedir" \
        "$(rpm -qp --requires "$rpmf" 2>/dev/null | grep -E 'selinux|gawk|oddjob' | LC_ALL=C sort -u)"
    if [ -n "$serpm" ]; then
        check_eq "rpm -selinux: the module, its interface, the store entry" \
            "-rw-r--r-- /usr/share/selinux/devel/include/distributed/nss_iam.if
-rw-r--r-- /usr/share/selinux/packages/targeted/nss_iam.pp.bz2
---------- /var/lib/selinux/targeted/active/modules/200/nss_iam" \
            "$(rpm -qplv "$serpm" 2>/dev/null | awk '{print $1, $NF}' | LC_ALL=C sort -k2)"
        # The packaged module, back to CIL: the snapshot's file context.
        rpm2archive - <"$serpm" 2>/dev/null | tar -xzOf - \
            ./usr/share/selinux/packages/targeted/nss_iam.pp.bz2 |
            bzip2 -dc >"$work/nss_iam.pp" 2>/dev/null
        /usr/libexec/selinux/hll/pp "$work/nss_iam.pp" "$work/nss_iam.cil" 2>/dev/null
        check_eq "rpm -selinux: the packaged module labels /var/lib/nss-iam" \
            '(filecon "/var/lib/nss-iam(/.*)?" any (system_u object_r nss_iam_var_lib_t ((s0) (s0))))' \
            "$(grep '^(filecon' "$work/nss_iam.cil" 2>&1)"
        sescripts=$(rpm -qp --scripts "$serpm" 2>/dev/null)
        # selinux-policy-devel's macros, unexpanded in a build on Debian.
        check_eq "rpm -selinux: %post installs the module and relabels, %postun removes it" \
            "postinstall selinux_modules_install -s targeted /usr/share/selinux/packages/targeted/nss_iam.pp.bz2
postinstall restorecon -R /var/lib/nss-iam
postuninstall selinux_modules_uninstall -s targeted nss_iam
postuninstall restorecon -R /var/lib/nss-iam" \
            "$(echo "$sescripts" | awk '/scriptlet/ {s=$1; next}
                /selinux_modules_(un)?install|restorecon/ {
                    sub(/^[ \t]*%?/, ""); sub(/ >\/dev\/null.*/, ""); print s, $0 }')"
        check_eq "rpm -selinux: requires selinux-policy-targeted and policycoreutils" \
            "policycoreutils
selinux-policy-targeted" \
            "$(rpm -qp --requires "$serpm" 2>/dev/null | grep -E '^(selinux-policy|policycoreutils)' | LC_ALL=C sort -u)"
    else
        tap_not_ok "rpm -selinux: no package to inspect"
    fi
    check_eq "rpm: %post adds and %preun removes through sudoconf-edit" \
        "postinstall add
preuninstall remove" \
        "$(echo "$scripts" | awk '/scriptlet/ {s=$1} /sudoconf-edit (add|remove)/ {for (i = 1; i <= NF; i++) if ($i ~ /sudoconf-edit$/) print s, $(i + 1)}')"
else
    tap_not_ok "rpm: no package to inspect"
    tail -n 20 "$work/rpm.log" | sed 's/^/# /'
fi

# ---- manual pages and units ----

check "make man-check: every page renders without a warning" \
    make -C "$root" -s man-check
mkdir -p "$work/deb-x"
dpkg-deb -x "$deb" "$work/deb-x"
if command -v systemd-analyze >/dev/null; then
    # A root holding the host's units (for timers.target & co) and the
    # packaged ones with their binary.
    v=$work/verify
    # packaged ones with their binary (and kill, the publisher's
    # ExecReload).
    mkdir -p "$v/usr/lib/systemd" "$v/usr/sbin" "$v/usr/bin"
    cp -a /usr/lib/systemd/system "$v/usr/lib/systemd/"
    ln -s usr/lib "$v/lib"
    ln -s usr/bin "$v/bin"
    cp "$work/deb-x/lib/systemd/system/"iam-sync* "$v/usr/lib/systemd/system/"
    cp "$work/deb-x/usr/sbin/iam-sync" "$v/usr/sbin/"
    cp /bin/kill "$v/usr/bin/kill"
    out=$(systemd-analyze verify --root="$v" --man=no \
        /lib/systemd/system/iam-sync.service \
        /lib/systemd/system/iam-sync.timer \
        /lib/systemd/system/iam-sync-publisher.service 2>&1)
    rc=$?
    check_eq "systemd-analyze verify: the units are clean" "0 " "$rc $out"
    # exposure UNIT: systemd-analyze security's overall level, a number.
    exposure() {
        systemd-analyze security --offline=yes --root="$v" "$1" 2>/dev/null |
            sed -n "s/.*Overall exposure level for $1: \([0-9.]*\) .*/\1/p"
    }
    sync_exposure=$(exposure iam-sync.service)
    publisher_exposure=$(exposure iam-sync-publisher.service)
    echo "# systemd-analyze security: iam-sync.service $sync_exposure," \
        "iam-sync-publisher.service $publisher_exposure"
    check "systemd-analyze security: the publisher is exposed no more than iam-sync.service" \
        awk -v p="$publisher_exposure" -v s="$sync_exposure" \
        'BEGIN { exit !(p != "" && s != "" && p + 0 <= s + 0) }'
    check_eq "the publisher: no capability, Restart=always, SIGHUP on reload" \
        "CapabilityBoundingSet=|ExecReload=/bin/kill -HUP \$MAINPID|Restart=always" \
        "$(grep -E '^(CapabilityBoundingSet|Restart|ExecReload)=' \
            "$v/usr/lib/systemd/system/iam-sync-publisher.service" |
            LC_ALL=C sort | paste -sd '|')"
fi

# ---- a Debian 12 root ----

mkdir -p "$r"
debroot_unpack "$r" "$include" "$work/debootstrap.log" 2>"$work/debroot.err" ||
    fail_setup "$(cat "$work/debroot.err")"
mount -t proc proc "$r/proc" || fail_setup "cannot mount proc"
mount --bind /dev "$r/dev" || fail_setup "cannot bind /dev"
mkdir -p "$r/run/sshd"

# snapshot_etc FILE: every path of /etc with type, mode, owner, link
# target, and a checksum of each regular file.
snapshot_etc() {
    (cd "$r/etc" && find . -printf '%p %y %m %U:%G %l\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$1"
}
cp "$r/etc/nsswitch.conf" "$work/nsswitch.before"
cp -p "$r/etc/sudo.conf" "$work/sudo.conf.before"
snapshot_etc "$work/etc.before"

# ---- install ----

cp "$deb" "$libdeb" "$r/tmp/"
debname=${deb##*/}
libdebname=${libdeb##*/}
# The two packages, as apt takes them.
both=("/tmp/$libdebname" "/tmp/$debname")
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-install.log" 2>&1
rc=$?
check_eq "apt-get install of both .debs in Debian 12 succeeds" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$work/apt-install.log" | sed 's/^/# /'
check_eq "... and says nothing of sshd (iam-sync --check-sshd passes)" "" \
    "$(grep 'cannot log in' "$work/apt-install.log")"
# status PKG...: dpkg's Status of each, one a line ("not-installed" for
# a package dpkg knows nothing of, or nothing more).
status() {
    local p s
    for p in "$@"; do
        s=$(in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
        case $s in
        '' | *' not-installed') echo not-installed ;;
        *) echo "$s" ;;
        esac
    done
}
check_eq "dpkg: libnss-iam and nss-iam are installed" \
    "install ok installed
install ok installed" "$(status libnss-iam nss-iam)"
check_eq "dpkg: Multi-Arch of the installed packages" \
    "libnss-iam:$arch same
nss-iam foreign" \
    "$(in_root dpkg-query -W -f='${binary:Package} ${Multi-Arch}\n' libnss-iam nss-iam)"

sed -E 's/^(passwd|group):([[:space:]]+)files$/\1:\2files iam/' \
    "$work/nsswitch.before" >"$work/nsswitch.want"
check "nsswitch.conf: iam added after files on passwd and group, nothing else" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check_eq "nsswitch.conf: exactly two lines changed" 2 \
    "$(diff "$work/nsswitch.before" "$r/etc/nsswitch.conf" | grep -c '^>')"
conffiles_want=$(printf '/etc/ssh/sshd_config.d/00-nss-iam.conf\n/etc/sudoers.d/nss-iam')
check_eq "conffiles registered with dpkg, for nss-iam" "$conffiles_want" \
    "$(in_root dpkg-query -W -f='${Conffiles}\n' nss-iam | awk 'NF {print $1}')"
check_eq "/etc/nss-iam.conf: the example, 0644 root, its checksum recorded" \
    "644 0:0 same same" \
    "$(stat -c '%a %u:%g' "$r/etc/nss-iam.conf" 2>&1) $(cmp -s \
        "$r/usr/share/nss-iam/nss-iam.conf" "$r/etc/nss-iam.conf" && echo same) $(
        [ "$(sha256sum <"$r/etc/nss-iam.conf" | cut -d' ' -f1)" = \
            "$(cat "$r/var/lib/nss-iam/nss-iam.conf.sha256" 2>/dev/null)" ] && echo same)"
check_eq "sshd_config.d holds 00-nss-iam.conf" "00-nss-iam.conf" \
    "$(ls "$r/etc/ssh/sshd_config.d")"
check_eq "modes: sudoers 0440, programs 0755, state directory 0755 root" \
    "440 0:0 /etc/sudoers.d/nss-iam
755 0:0 /usr/sbin/iam-sync
755 0:0 /usr/sbin/iam-authorized-keys
644 0:0 /usr/lib/$multiarch/libnss_iam.so.2
755 0:0 /var/lib/nss-iam" \
    "$(in_root stat -c '%a %u:%g %n' /etc/sudoers.d/nss-iam /usr/sbin/iam-sync \
        /usr/sbin/iam-authorized-keys "/usr/lib/$multiarch/libnss_iam.so.2" \
        /var/lib/nss-iam)"
check_eq "units installed in /lib/systemd/system" \
    "/lib/systemd/system/iam-sync-publisher.service /lib/systemd/system/iam-sync.service /lib/systemd/system/iam-sync.timer" \
    "$(in_root sh -c 'ls /lib/systemd/system/iam-sync*' | LC_ALL=C sort | xargs)"
check_eq "iam-sync-publisher.service installed, not enabled" "" \
    "$(find "$r/etc/systemd/system" -name 'iam-sync-publisher.service*' 2>/dev/null)"
check_eq "iam-sync.timer enabled (timers.target.wants)" \
    "/lib/systemd/system/iam-sync.timer" \
    "$(readlink "$r/etc/systemd/system/timers.target.wants/iam-sync.timer")"
check_eq "pam-auth-update enabled pam_mkhomedir for sessions" \
    "optional pam_mkhomedir.so umask=0077" \
    "$(awk '$1 == "session" && $3 == "pam_mkhomedir.so" {print $2, $3, $4}' \
        "$r/etc/pam.d/common-session")"
check "sshd -t accepts the configuration with the drop-in" \
    in_root /usr/sbin/sshd -t
check_eq "sshd -T: AuthorizedKeysCommand and its user" \
    "authorizedkeyscommand /usr/sbin/iam-authorized-keys -- %u %U %k
authorizedkeyscommanduser nobody" \
    "$(in_root /usr/sbin/sshd -T 2>&1 | grep '^authorizedkeyscommand')"
check "visudo -c accepts sudoers with the drop-in" in_root visudo -c
# sudo.conf: Debian's own, with two lines at the end (sudo reads the
# groups from NSS at each call, so removals reach open sessions).
{
    cat "$work/sudo.conf.before"
    echo '# Added by nss-iam: sudo reads the groups at each call (nss-iam.conf(5)).'
    echo 'Set group_source dynamic'
} >"$work/sudo.conf.want"
check "sudo.conf: Set group_source dynamic appended, nothing else" \
    cmp "$work/sudo.conf.want" "$r/etc/sudo.conf"
check_eq "sudo.conf: mode and owner kept" \
    "$(stat -c '%a %u:%g' "$work/sudo.conf.before")" \
    "$(stat -c '%a %u:%g' "$r/etc/sudo.conf")"
check_eq "sudo.conf: the installed editor reports dynamic" \
    "group_source: dynamic (/etc/sudo.conf:$(wc -l <"$work/sudo.conf.want"))" \
    "$(in_root /usr/libexec/nss-iam/sudoconf-edit status 2>&1)"
out=$(in_root sudo -n true 2>&1)
check_eq "sudo runs with the edited sudo.conf, no warning about it" "0 " \
    "$? $(echo "$out" | grep -iE 'sudo\.conf|group source')"
check_eq "getent passwd root still works (no snapshot yet)" \
    "root:x:0:0:root:/root:/bin/bash" "$(in_root getent passwd root)"
check_eq "man page installed and readable by man's path" \
    "/usr/share/man/man8/iam-sync.8.gz" \
    "$(in_root sh -c 'ls /usr/share/man/man8/iam-sync.8.gz')"

# ---- iam-sync against moto, from inside the root ----

moto_seeded "$work" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
{
    echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
    echo 'SUDOERS_GROUPS="admins"'
    echo "IAM_ENDPOINT=\"$url\""
    echo "STS_ENDPOINT=\"$url\""
    echo "IMDS_ENDPOINT=\"$url\""
    echo 'MAX_CALLS_PER_SECOND="100"'
} >"$r/tmp/nss-iam-test.conf"
chmod 0600 "$r/tmp/nss-iam-test.conf"
creds=()
while IFS= read -r line; do
    case $line in
    AWS_*=*) creds+=("$line") ;;
    esac
done <"$work/seed/creds.env"

# sync_in_root ARGS...: the installed iam-sync with the seeded
# credentials and the test configuration.
sync_in_root() {
    in_root "${creds[@]}" /usr/sbin/iam-sync --config /tmp/nss-iam-test.conf "$@"
}

out=$(sync_in_root --dry-run 2>"$work/dry.err")
rc=$?
check_eq "iam-sync --dry-run exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/dry.err" | tail -n 10
check_eq "iam-sync --dry-run lists alice as a new user" 1 \
    "$(echo "$out" | grep -cE '^\+ user alice uid 2[0-9]{9}$')"
check_fails "iam-sync --dry-run publishes nothing" \
    test -e "$r/var/lib/nss-iam/passwd.mdb"

# The unit runs it with an empty capability bounding set: so does this.
out=$(in_root "${creds[@]}" setpriv --bounding-set=-all --inh-caps=-all \
    /usr/sbin/iam-sync --config /tmp/nss-iam-test.conf 2>&1)
rc=$?
check_eq "iam-sync publishes with no capability at all" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out" | tail -n 10 | sed 's/^/# /'
check_eq "the snapshot is 0644 root" "644 0:0" \
    "$(stat -c '%a %u:%g' "$r/var/lib/nss-iam/passwd.mdb" 2>&1)"
check "iam-sync --status: healthy" in_root /usr/sbin/iam-sync \
    --config /tmp/nss-iam-test.conf --status

pw=$(in_root getent passwd alice)
uid=$(echo "$pw" | cut -d: -f3)
check_eq "installed NSS module: getent passwd alice" \
    "alice:*:$uid:$uid:alice:/home/alice:/bin/bash" "$pw"
if [ -n "$uid" ] && [ "$uid" -ge 2000000000 ] && [ "$uid" -le 2147483646 ]; then
    tap_ok "alice's uid $uid is in the default range"
else
    tap_not_ok "alice's uid '$uid' is not in the default range"
fi
# alice is in ssh-users and admins; "admins" is a reserved name, never
# served as a UNIX group: her sudo comes from iam-sudo.
check_eq "installed NSS module: alice's groups" \
    "alice iam-sudo iam-users ssh-users" \
    "$(in_root id -nG alice | tr ' ' '\n' | LC_ALL=C sort | xargs)"
keys=$(chroot --userspec=nobody:nogroup "$r" /usr/sbin/iam-authorized-keys \
    alice "$uid" 2>"$work/keys.err")
check_eq "iam-authorized-keys as nobody prints alice's two keys" \
    "ssh-rsa iam:alice
ssh-rsa iam:alice" "$(echo "$keys" | awk '{print $1, $3}')"
sed 's/^/# keys command: /' "$work/keys.err"
check_eq "iam-authorized-keys: a wrong uid gets nothing" "" \
    "$(chroot --userspec=nobody:nogroup "$r" /usr/sbin/iam-authorized-keys \
        alice 4242 2>/dev/null)"
check_eq "sshd: IAM users get no authorized_keys file" \
    "authorizedkeysfile none" \
    "$(in_root /usr/sbin/sshd -T -C user=alice,host=h,addr=127.0.0.1 2>&1 |
        grep '^authorizedkeysfile')"
check_eq "sshd: local users keep theirs" \
    "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2" \
    "$(in_root /usr/sbin/sshd -T -C user=root,host=h,addr=127.0.0.1 2>&1 |
        grep '^authorizedkeysfile')"
check_eq "sudo: alice (admins) may run anything" \
    "(ALL : ALL) NOPASSWD: ALL" \
    "$(in_root sudo -l -U alice 2>&1 | sed -n 's/^ *\((ALL : ALL) NOPASSWD: ALL\)$/\1/p')"

# ---- reinstall; upgrades over an administrator's removal of iam ----

in_root apt-get install -y --reinstall "${both[@]}" >"$work/apt-reinstall.log" 2>&1
check "reinstall: nsswitch.conf unchanged (iam not added twice)" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check "reinstall: sudo.conf unchanged (the line not added twice)" \
    cmp "$work/sudo.conf.want" "$r/etc/sudo.conf"

# The administrator takes iam out by hand; the editor's record of what
# the package added stays, so that removal still takes out what it added.
cp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
in_root dpkg -i "${both[@]}" >"$work/dpkg-again.log" 2>&1
check_eq "dpkg -i of the same version again (an upgrade to dpkg)" \
    "install ok installed
install ok installed" "$(status libnss-iam nss-iam)"
check "... iam stays out of nsswitch.conf, as the administrator left it" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"

# repack DEB OUT SED: DEB with its control file edited by the sed script.
repack() {
    local x=$work/repack
    rm -rf "$x"
    dpkg-deb -R "$1" "$x" && sed -i "$3" "$x/DEBIAN/control" &&
        dpkg-deb -b "$x" "$2" >/dev/null
}
up=$version+t1
repack "$libdeb" "$r/tmp/libnss-iam_up.deb" "s/^Version: .*/Version: $up/"
repack "$deb" "$r/tmp/nss-iam_up.deb" \
    "s/^Version: .*/Version: $up/; s/libnss-iam (= $version)/libnss-iam (= $up)/"
in_root apt-get install -y --no-install-recommends /tmp/libnss-iam_up.deb \
    /tmp/nss-iam_up.deb >"$work/apt-up.log" 2>&1
check_eq "upgrade to $up: both installed at that version" "$up $up" \
    "$(in_root dpkg-query -W -f='${Version}\n' libnss-iam nss-iam | xargs)"
check "... iam stays out of nsswitch.conf" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
cp "$work/nsswitch.want" "$r/etc/nsswitch.conf"

# ---- the tools go, the module stays ----

in_root apt-get remove -y nss-iam >"$work/apt-remove.log" 2>&1
check_eq "apt-get remove nss-iam: its config-files left, libnss-iam installed" \
    "deinstall ok config-files
install ok installed" "$(status nss-iam libnss-iam)"
check "... nsswitch.conf keeps iam (the module is installed)" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check "... sudo.conf is byte-identical to before" \
    cmp "$work/sudo.conf.before" "$r/etc/sudo.conf"
check_eq "... pam_mkhomedir no longer in common-session" 0 \
    "$(grep -c pam_mkhomedir "$r/etc/pam.d/common-session")"
check_fails "... iam-sync is gone" test -e "$r/usr/sbin/iam-sync"
check "... conffiles, nss-iam.conf and the snapshot are kept" \
    test -f "$r/etc/ssh/sshd_config.d/00-nss-iam.conf" -a \
    -f "$r/etc/nss-iam.conf" -a -f "$r/var/lib/nss-iam/passwd.mdb"
check_eq "... the module still serves alice from the snapshot" "$pw" \
    "$(in_root getent passwd alice)"

in_root apt-get purge -y nss-iam >"$work/apt-purge-tools.log" 2>&1
check_eq "apt-get purge nss-iam: gone, libnss-iam installed" \
    "not-installed
install ok installed" "$(status nss-iam libnss-iam)"
check_fails "... the snapshot, the conffiles and the unedited nss-iam.conf are gone" \
    test -e "$r/var/lib/nss-iam/passwd.mdb" -o -e "$r/etc/nss-iam.conf" \
    -o -e "$r/etc/ssh/sshd_config.d/00-nss-iam.conf"
check "... the module and iam in nsswitch.conf are kept" \
    test -f "$r/usr/lib/$multiarch/libnss_iam.so.2" -a \
    -f "$r/var/lib/nss-iam/nsswitch.state"
check "... nsswitch.conf unchanged" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check_eq "... getent passwd root works, alice is unknown" \
    "root:x:0:0:root:/root:/bin/bash 2" \
    "$(in_root getent passwd root) $(in_root getent passwd alice >/dev/null; echo $?)"

# ---- the module goes ----

in_root apt-get purge -y libnss-iam >"$work/apt-purge.log" 2>&1
check_eq "apt-get purge libnss-iam: gone" "not-installed" "$(status libnss-iam)"
check_fails "purge: /var/lib/nss-iam is gone" test -e "$r/var/lib/nss-iam"
check "purge: nsswitch.conf is byte-identical to before" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
check "purge: sudo.conf is byte-identical to before" \
    cmp "$work/sudo.conf.before" "$r/etc/sudo.conf"
snapshot_etc "$work/etc.after"
diff "$work/etc.before" "$work/etc.after" >"$work/etc.diff"
check_eq "purge: /etc is as before (paths, modes, owners, checksums)" "" \
    "$(grep '^[<>]' "$work/etc.diff")"

# ---- remove both, then install them again ----

# After a removal dpkg passes postinst the removed version as $2, as for
# an upgrade: the module coming back must put iam back all the same.
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-install3.log" 2>&1
in_root apt-get remove -y nss-iam libnss-iam >"$work/apt-remove3.log" 2>&1
check_eq "remove both: config-files left of each" "deinstall ok config-files
deinstall ok config-files" "$(status libnss-iam nss-iam)"
check "... nsswitch.conf is byte-identical to before" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
check "... sudo.conf is byte-identical to before" \
    cmp "$work/sudo.conf.before" "$r/etc/sudo.conf"
check_fails "... the NSS module is gone" \
    test -e "$r/usr/lib/$multiarch/libnss_iam.so.2"
check_eq "... getent passwd root still works" \
    "root:x:0:0:root:/root:/bin/bash" "$(in_root getent passwd root)"
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-install4.log" 2>&1
check_eq "install again after the removal" "install ok installed
install ok installed" "$(status libnss-iam nss-iam)"
check "... iam is added again" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
in_root apt-get purge -y nss-iam libnss-iam >"$work/apt-purge4.log" 2>&1
check "... purge of both: nsswitch.conf is byte-identical to before" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"

# ---- a second architecture ----

other=i386
[ "$arch" != i386 ] || other=amd64
other_ma=$(dpkg-architecture -a"$other" -qDEB_HOST_MULTIARCH 2>/dev/null)
# libnss-iam for $other, made from this one: this architecture's module
# under $other's directory, without Depends (the root has no $other
# libc). What is tested is dpkg's bookkeeping and the scripts.
x=$work/other
rm -rf "$x"
dpkg-deb -R "$libdeb" "$x"
mv "$x/usr/lib/$multiarch" "$x/usr/lib/$other_ma"
sed -i "s,usr/lib/$multiarch/,usr/lib/$other_ma/," "$x/DEBIAN/md5sums"
sed -i -e "s/^Architecture: .*/Architecture: $other/" -e '/^Depends:/d' \
    "$x/DEBIAN/control"
dpkg-deb -b "$x" "$r/tmp/libnss-iam_other.deb" >/dev/null
in_root dpkg --add-architecture "$other"

in_root dpkg -i "/tmp/$libdebname" >"$work/ma1.log" 2>&1
check "libnss-iam:$arch alone: iam added" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
cp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
in_root dpkg -i /tmp/libnss-iam_other.deb >"$work/ma2.log" 2>&1
check_eq "libnss-iam:$other installed beside it, both Multi-Arch: same" \
    "libnss-iam:$arch install ok installed same
libnss-iam:$other install ok installed same" \
    "$(in_root dpkg-query -W -f='${binary:Package} ${Status} ${Multi-Arch}\n' libnss-iam |
        LC_ALL=C sort)"
check "... iam not added back: libnss-iam:$arch was configured already" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
cp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
in_root dpkg -r "libnss-iam:$arch" >"$work/ma3.log" 2>&1
check "remove libnss-iam:$arch: iam stays, libnss-iam:$other is installed" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
in_root dpkg -r "libnss-iam:$other" >"$work/ma4.log" 2>&1
check "remove libnss-iam:$other, the last one: iam taken out" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
in_root dpkg -P "libnss-iam:$arch" "libnss-iam:$other" >"$work/ma5.log" 2>&1
in_root dpkg -i "/tmp/$libdebname" /tmp/libnss-iam_other.deb >"$work/ma6.log" 2>&1
check "both architectures installed together: iam added once" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
in_root dpkg -P "libnss-iam:$arch" "libnss-iam:$other" >"$work/ma7.log" 2>&1
check "both purged together: nsswitch.conf is byte-identical to before" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
check_fails "... /var/lib/nss-iam is gone" test -e "$r/var/lib/nss-iam"
in_root dpkg --remove-architecture "$other"

# ---- upgrade from the single libnss-iam of 0.1.0 ----

# tests/fixtures/deb-single-0.1.0: the control files of that package as
# it shipped (control, conffiles, maintainer scripts with debhelper's
# parts), and its files with their modes. The contents are today's: the
# programs from the new packages, the configuration from contrib/.
fixture=$root/tests/fixtures/deb-single-0.1.0
x=$work/single
rm -rf "$x" "$work/new-x"
mkdir -p "$x/DEBIAN" "$work/new-x"
dpkg-deb -x "$libdeb" "$work/new-x"
dpkg-deb -x "$deb" "$work/new-x"
while read -r mode path src; do
    case $src in
    deb:*) from=$(find "$work/new-x" -type f -name "${src#deb:}" | head -n 1) ;;
    *) from=$root/$src ;;
    esac
    install -D -m "$mode" "$from" "$x${path//@MULTIARCH@/$multiarch}" ||
        fail_setup "fixture: no $src for $path"
done <"$fixture/files"
for f in conffiles shlibs triggers; do
    install -m 0644 "$fixture/$f" "$x/DEBIAN/"
done
for f in postinst prerm postrm; do
    install -m 0755 "$fixture/$f" "$x/DEBIAN/"
done
sed "s/@ARCH@/$arch/" "$fixture/control" >"$x/DEBIAN/control"
(cd "$x" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' |
    LC_ALL=C sort | xargs md5sum) >"$x/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$x" "$r/tmp/libnss-iam_0.1.0.deb" \
    >"$work/single.log" 2>&1 || fail_setup "cannot build the 0.1.0 package"

# install_single: the 0.1.0 package, an administrator's line in its
# nss-iam.conf, a published snapshot.
install_single() {
    in_root apt-get install -y --no-install-recommends /tmp/libnss-iam_0.1.0.deb \
        >"$work/apt-single.log" 2>&1
    echo '# the administrator was here' >>"$r/etc/nss-iam.conf"
    sync_in_root >/dev/null 2>&1
}

install_single
check_eq "0.1.0: the single package is installed" "0.1.0 install ok installed" \
    "$(in_root dpkg-query -W -f='${Version} ${Status}' libnss-iam)"
check "0.1.0: iam added" cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
cp "$r/etc/nss-iam.conf" "$work/conf.admin"
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-split.log" 2>&1 </dev/null
rc=$?
check_eq "apt-get install of both over 0.1.0 succeeds" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$work/apt-split.log" | sed 's/^/# /'
check_eq "... both installed at $version" "$version $version" \
    "$(in_root dpkg-query -W -f='${Version}\n' libnss-iam nss-iam | xargs)"
check "... nsswitch.conf as 0.1.0 left it" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check "... sudo.conf as 0.1.0 left it" \
    cmp "$work/sudo.conf.want" "$r/etc/sudo.conf"
check_eq "... the conffiles are nss-iam's" "$conffiles_want" \
    "$(in_root dpkg-query -W -f='${Conffiles}\n' nss-iam | awk 'NF {print $1 $3}')"
check_eq "... libnss-iam's record of them says obsolete" "" \
    "$(in_root dpkg-query -W -f='${Conffiles}\n' libnss-iam | awk 'NF && $3 != "obsolete"')"
check "... the administrator's nss-iam.conf is kept" \
    cmp "$work/conf.admin" "$r/etc/nss-iam.conf"
check_eq "... owned by no package, nothing beside it" \
    "nss-iam.conf 1" \
    "$(cd "$r/etc" && ls -d nss-iam.conf*) $(in_root dpkg -S /etc/nss-iam.conf >/dev/null 2>&1; echo $?)"
check_eq "... the drop-in's old name gone, 00-nss-iam.conf in place" \
    "00-nss-iam.conf" "$(ls "$r/etc/ssh/sshd_config.d")"
check_eq "... iam-sync is nss-iam's, the module libnss-iam's" \
    "nss-iam: /usr/sbin/iam-sync
libnss-iam:$arch: /usr/lib/$multiarch/libnss_iam.so.2" \
    "$(in_root dpkg -S /usr/sbin/iam-sync "/usr/lib/$multiarch/libnss_iam.so.2" 2>&1)"
check_eq "... iam-sync.timer enabled" "/lib/systemd/system/iam-sync.timer" \
    "$(readlink "$r/etc/systemd/system/timers.target.wants/iam-sync.timer")"
check_eq "... pam_mkhomedir in common-session" 1 \
    "$(grep -c pam_mkhomedir "$r/etc/pam.d/common-session")"
check_eq "... the module serves alice" "alice /home/alice" \
    "$(in_root getent passwd alice | cut -d: -f1,6 | tr : ' ')"
check "... iam-sync --status: healthy" in_root /usr/sbin/iam-sync \
    --config /tmp/nss-iam-test.conf --status
# libnss-iam's old record of the conffiles must not take them with it.
in_root apt-get remove -y nss-iam libnss-iam >"$work/apt-remove5.log" 2>&1
in_root dpkg -P libnss-iam >"$work/dpkg-purge5.log" 2>&1
check "... purge of libnss-iam, nss-iam removed: nss-iam.conf is kept" \
    cmp "$work/conf.admin" "$r/etc/nss-iam.conf"
in_root dpkg -P nss-iam >"$work/dpkg-purge5b.log" 2>&1
check_eq "... then purge of nss-iam: both gone" "not-installed
not-installed" "$(status libnss-iam nss-iam)"
check_fails "... /var/lib/nss-iam is gone" test -e "$r/var/lib/nss-iam"
check "... the administrator's nss-iam.conf is still kept" \
    cmp "$work/conf.admin" "$r/etc/nss-iam.conf"
rm -f "$r/etc/nss-iam.conf"
snapshot_etc "$work/etc.after5"
diff "$work/etc.before" "$work/etc.after5" >"$work/etc5.diff"
check_eq "... /etc is as before (paths, modes, owners, checksums)" "" \
    "$(grep '^[<>]' "$work/etc5.diff")"

# dpkg unpacking nss-iam first deconfigures 0.1.0 (nss-iam Breaks it),
# whose prerm then takes iam and the sudo.conf line out.
install_single
in_root dpkg --auto-deconfigure -i "/tmp/$debname" "/tmp/$libdebname" \
    >"$work/dpkg-split.log" 2>&1 </dev/null
check_eq "dpkg --auto-deconfigure -i nss-iam libnss-iam over 0.1.0" \
    "install ok installed
install ok installed" "$(status libnss-iam nss-iam)"
check "... which deconfigured 0.1.0 first" \
    grep -q '^De-configuring libnss-iam' "$work/dpkg-split.log"
check "... nsswitch.conf keeps iam" \
    cmp "$work/nsswitch.want" "$r/etc/nsswitch.conf"
check "... sudo.conf keeps its line" \
    cmp "$work/sudo.conf.want" "$r/etc/sudo.conf"
check "... the administrator's nss-iam.conf is kept" \
    cmp "$work/conf.admin" "$r/etc/nss-iam.conf"
check_eq "... the drop-in's old name gone, 00-nss-iam.conf in place" \
    "00-nss-iam.conf" "$(ls "$r/etc/ssh/sshd_config.d")"
in_root apt-get purge -y nss-iam libnss-iam >"$work/apt-purge6.log" 2>&1
check "... purge of both: nsswitch.conf is byte-identical to before" \
    cmp "$work/nsswitch.before" "$r/etc/nsswitch.conf"
check "... the administrator's nss-iam.conf is still kept" \
    cmp "$work/conf.admin" "$r/etc/nss-iam.conf"
rm -f "$r/etc/nss-iam.conf"

# An unedited 0.1.0 example is today's example after the upgrade, which
# purge removes.
in_root apt-get install -y --no-install-recommends /tmp/libnss-iam_0.1.0.deb \
    >"$work/apt-single7.log" 2>&1
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-split7.log" 2>&1 </dev/null
check "upgrade from 0.1.0 with its example unedited: today's example" \
    cmp "$r/usr/share/nss-iam/nss-iam.conf" "$r/etc/nss-iam.conf"
in_root apt-get purge -y nss-iam libnss-iam >"$work/apt-purge7.log" 2>&1
check_fails "... which purge removes" test -e "$r/etc/nss-iam.conf"

# ---- an administrator's own group_source line ----

# The site chose "static": the package keeps it, says what it costs, and
# purge gives back that file too.
printf 'Set group_source static\n' >>"$r/etc/sudo.conf"
cp -p "$r/etc/sudo.conf" "$work/sudo.conf.admin"
snapshot_etc "$work/etc.admin"
in_root apt-get install -y --no-install-recommends "${both[@]}" \
    >"$work/apt-install2.log" 2>&1
check_eq "install over an admin's group_source static succeeds" \
    "install ok installed" "$(status nss-iam)"
check "... sudo.conf is left as the administrator wrote it" \
    cmp "$work/sudo.conf.admin" "$r/etc/sudo.conf"
check "... and the install says what static costs" \
    grep -q "sudo.conf:$(wc -l <"$work/sudo.conf.admin") sets group_source 'static': left as it is" \
    "$work/apt-install2.log"
in_root apt-get purge -y nss-iam libnss-iam >"$work/apt-purge2.log" 2>&1
check "purge: the admin's sudo.conf is byte-identical" \
    cmp "$work/sudo.conf.admin" "$r/etc/sudo.conf"
snapshot_etc "$work/etc.after2"
diff "$work/etc.admin" "$work/etc.after2" >"$work/etc2.diff"
check_eq "purge: /etc is as before this install too" "" \
    "$(grep '^[<>]' "$work/etc2.diff")"

# ---- /etc/nss-iam.conf is the administrator's ----

# Written before the package (an image build, cloud-init): dpkg -i with
# no terminal and no --force-conf* option keeps it and asks nothing.
printf 'IAM_AUTHORIZED_GROUPS="ops"\n' >"$r/etc/nss-iam.conf"
chmod 0600 "$r/etc/nss-iam.conf"
cp -p "$r/etc/nss-iam.conf" "$work/conf.pre"
in_root dpkg -i "${both[@]}" >"$work/dpkg-pre.log" 2>&1 </dev/null
check_eq "dpkg -i over a written /etc/nss-iam.conf, stdin not a terminal: exit 0" \
    0 "$?"
check_eq "... nothing asked" "" \
    "$(grep -iE 'configuration file|\*\*\*|What would you like' "$work/dpkg-pre.log")"
check "... kept byte for byte" cmp "$work/conf.pre" "$r/etc/nss-iam.conf"
check_eq "... its mode kept, nothing beside it" "600 nss-iam.conf" \
    "$(stat -c %a "$r/etc/nss-iam.conf") $(cd "$r/etc" && ls -d nss-iam.conf*)"
in_root dpkg -P nss-iam libnss-iam >"$work/dpkg-pre-purge.log" 2>&1
check "... purge keeps it byte for byte" \
    cmp "$work/conf.pre" "$r/etc/nss-iam.conf"
rm -f "$r/etc/nss-iam.conf"

# The example, edited by the administrator: purge keeps it.
in_root dpkg -i "${both[@]}" >"$work/dpkg-ed.log" 2>&1 </dev/null
echo 'IAM_AUTHORIZED_GROUPS="ops"' >>"$r/etc/nss-iam.conf"
cp -p "$r/etc/nss-iam.conf" "$work/conf.edited"
in_root dpkg -P nss-iam libnss-iam >"$work/dpkg-ed-purge.log" 2>&1
check "purge after an edit of the example: kept byte for byte" \
    cmp "$work/conf.edited" "$r/etc/nss-iam.conf"
rm -f "$r/etc/nss-iam.conf"

# EC2 Instance Connect's unit drop-in, as its Debian and Ubuntu package
# has it: sshd takes that command first. The install says so, and
# succeeds.
eicd=$r/etc/systemd/system/ssh.service.d
mkdir -p "$eicd"
printf '%s\n' '[Service]' 'ExecStart=' \
    'ExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS' \
    >"$eicd/ec2-instance-connect.conf"
in_root dpkg -i "${both[@]}" >"$work/dpkg-eic.log" 2>&1 </dev/null
check_eq "dpkg -i with EIC's unit drop-in: exit 0" 0 "$?"
check "... it says IAM users cannot log in until it is fixed" grep -q \
    '^nss-iam: IAM users cannot log in with ssh until this is fixed (iam-sync --check-sshd)' \
    "$work/dpkg-eic.log"
check "... with the fix --check-sshd prints, naming the command found" grep -qF \
    '/usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f' \
    "$work/dpkg-eic.log"
in_root dpkg -P nss-iam libnss-iam >"$work/dpkg-eic-purge.log" 2>&1
rm -rf "$eicd"

# ---- the .rpm installed with rpm --root ----

# rpm installs into a copy of the cached Debian root and runs the
# scriptlets chrooted there, with its /bin/sh; no systemd runs, as in an
# image build (dnf --installroot). --nodeps: the root's packages are
# Debian's. The binaries, built here, run there.

# rpm_root DIR: a fresh copy of the root with an empty rpm database.
rpm_root() {
    mkdir -p "$1" &&
        debroot_unpack "$1" "$include" "$work/debootstrap.log" &&
        rpm --root "$1" --dbpath /var/lib/rpm --initdb
}

# rpm_in DIR ARGS...: rpm on the root DIR, never asked anything; what it
# says, less rpm's own notes about running on Debian, in $work/rpm.out.
rpm_in() {
    local rr=$1 rc
    shift
    rpm --root "$rr" --dbpath /var/lib/rpm --nodeps "$@" </dev/null \
        >"$work/rpm.all" 2>&1
    rc=$?
    grep -v -e '^rpm: RPM should not be used directly' \
        -e '^rpm: However assuming you know' "$work/rpm.all" >"$work/rpm.out"
    return $rc
}

# An AL2023-shaped EC2 Instance Connect unit drop-in.
eic_dropin() {
    mkdir -p "$1/etc/systemd/system/sshd.service.d"
    printf '%s\n' '[Service]' 'ExecStart=' \
        'ExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS' \
        >"$1/etc/systemd/system/sshd.service.d/ec2-instance-connect.conf"
}

if [ -n "$rpmf" ]; then
    # A configuration written before the package (an image build,
    # cloud-init): kept byte for byte, nothing asked, nothing beside it.
    ra=$work/rpm-a
    rpm_root "$ra" || fail_setup "cannot make the rpm root"
    printf 'IAM_AUTHORIZED_GROUPS="ops"\n' >"$ra/etc/nss-iam.conf"
    chmod 0600 "$ra/etc/nss-iam.conf"
    cp -p "$ra/etc/nss-iam.conf" "$work/rpm-a.conf"
    rpm_in "$ra" -i "$rpmf"
    check_eq "rpm -i over a written /etc/nss-iam.conf: exit 0, nothing said" \
        "0 " "$? $(cat "$work/rpm.out")"
    check "... kept byte for byte" cmp "$work/rpm-a.conf" "$ra/etc/nss-iam.conf"
    check_eq "... its mode kept, no .rpmnew nor any other file beside it" \
        "600 nss-iam.conf" \
        "$(stat -c %a "$ra/etc/nss-iam.conf") $(cd "$ra/etc" && ls -d nss-iam.conf*)"
    check "... sshd's drop-in is 00-nss-iam.conf" \
        test -f "$ra/etc/ssh/sshd_config.d/00-nss-iam.conf"
    rpm_in "$ra" -e nss-iam
    check_eq "rpm -e: exit 0" 0 "$?"
    check "rpm -e: /etc/nss-iam.conf is kept byte for byte, no .rpmsave" \
        test "$(cd "$ra/etc" && ls -d nss-iam.conf*)" = nss-iam.conf -a \
        "$(sha256sum <"$ra/etc/nss-iam.conf")" = \
        "$(sha256sum <"$work/rpm-a.conf")"

    # EC2 Instance Connect's unit drop-in in place: the install says what
    # to do, with the command it found, and succeeds.
    eic_dropin "$ra"
    rpm_in "$ra" -i "$rpmf"
    check_eq "rpm -i with EIC's unit drop-in: exit 0" 0 "$?"
    check "... it prints the fix: the chain line with the path found, the mask" \
        grep -qF 'CHAIN_AUTHORIZED_KEYS_COMMAND="/opt/aws/bin/eic_run_authorized_keys %u %f" in /etc/nss-iam.conf, then mask the drop-in: ln -s /dev/null /etc/systemd/system/sshd.service.d/ec2-instance-connect.conf' \
        "$work/rpm.out"
    check "... and what it costs" grep -q \
        '^nss-iam: IAM users cannot log in with ssh until this is fixed' \
        "$work/rpm.out"

    # A fresh root: the example, 0644 root.
    rb=$work/rpm-b
    rpm_root "$rb" || fail_setup "cannot make the rpm root"
    rpm_in "$rb" -i "$rpmf"
    check_eq "rpm -i, no configuration yet: exit 0, nothing said" "0 " \
        "$? $(cat "$work/rpm.out")"
    check_eq "... /etc/nss-iam.conf is the example, 0644 root" "644 0:0 same" \
        "$(stat -c '%a %u:%g' "$rb/etc/nss-iam.conf" 2>&1) $(cmp -s \
            "$rb/usr/share/nss-iam/nss-iam.conf" "$rb/etc/nss-iam.conf" && echo same)"
    # An image's first boot applies every preset (systemctl preset-all,
    # with an empty /etc/machine-id), under Fedora's, RHEL's and Amazon
    # Linux's policy "disable *" (99-default-disable.preset); a site's
    # own preset file wins.
    if command -v systemctl >/dev/null; then
        echo 'disable *' \
            >"$rb/usr/lib/systemd/system-preset/99-default-disable.preset"
        systemctl --root="$rb" preset-all >"$work/preset.log" 2>&1
        check_eq "first boot (preset-all): iam-sync.timer enabled" \
            "iam-sync.timer" \
            "$(readlink "$rb/etc/systemd/system/timers.target.wants/iam-sync.timer" |
                sed 's#.*/lib/systemd/system/##')"
        mkdir -p "$rb/etc/systemd/system-preset"
        echo 'disable iam-sync.timer' >"$rb/etc/systemd/system-preset/80-nss-iam.preset"
        systemctl --root="$rb" preset-all >>"$work/preset.log" 2>&1
        check_fails "... and disabled by the site's /etc/systemd/system-preset/80-nss-iam.preset" \
            test -e "$rb/etc/systemd/system/timers.target.wants/iam-sync.timer"
        # Under a default policy of "enable *" (Debian's), the publisher
        # stays disabled: it runs on one host, once PUBLISH is set.
        rm -f "$rb/etc/systemd/system-preset/80-nss-iam.preset"
        echo 'enable *' \
            >"$rb/usr/lib/systemd/system-preset/99-default-disable.preset"
        systemctl --root="$rb" preset-all >>"$work/preset.log" 2>&1
        check_eq "first boot (preset-all) under \"enable *\": the timer enabled, the publisher not" \
            "iam-sync.timer " \
            "$(readlink "$rb/etc/systemd/system/timers.target.wants/iam-sync.timer" |
                sed 's#.*/lib/systemd/system/##') $(find "$rb/etc/systemd/system" \
                -name 'iam-sync-publisher.service' 2>/dev/null)"
    fi

    # The upgrade from a package that owned /etc/nss-iam.conf and the
    # drop-in under its old name: the file the administrator edited
    # stays where it is (rpm moves it aside; %posttrans puts it back),
    # the old drop-in goes.
    mkdir -p "$work/old/top"
    cat >"$work/old/old.spec" <<'SPEC'
Name: nss-iam
Version: 0.0.9
Release: 1
Summary: An earlier nss-iam, as far as its configuration files go
License: MIT
BuildArch: noarch
%description
It owns /etc/nss-iam.conf and the sshd drop-in under its old name.
%install
mkdir -p %{buildroot}/etc/ssh/sshd_config.d
echo '#IAM_AUTHORIZED_GROUPS="ssh-users"' >%{buildroot}/etc/nss-iam.conf
echo 'AuthorizedKeysCommand /usr/sbin/iam-authorized-keys -- %%u %%U %%k' \
    >%{buildroot}/etc/ssh/sshd_config.d/nss-iam.conf
%files
%config(noreplace) /etc/nss-iam.conf
%config(noreplace) /etc/ssh/sshd_config.d/nss-iam.conf
SPEC
    rpmbuild -bb --define "_topdir $work/old/top" "$work/old/old.spec" \
        >"$work/old/build.log" 2>&1
    oldrpm=$(find "$work/old/top/RPMS" -name 'nss-iam-0.0.9-*.rpm' | head -n 1)
    rc=$work/rpm-c
    rpm_root "$rc" || fail_setup "cannot make the rpm root"
    if [ -n "$oldrpm" ] && rpm_in "$rc" -i "$oldrpm"; then
        echo 'IAM_AUTHORIZED_GROUPS="ops"' >>"$rc/etc/nss-iam.conf"
        cp -p "$rc/etc/nss-iam.conf" "$work/rpm-c.conf"
        rpm_in "$rc" -U "$rpmf"
        check_eq "rpm -U from a package owning /etc/nss-iam.conf: exit 0" 0 "$?"
        check "... the edited /etc/nss-iam.conf is kept byte for byte" \
            cmp "$work/rpm-c.conf" "$rc/etc/nss-iam.conf"
        check_eq "... nothing left beside it (.rpmsave, .rpm-keep)" \
            "nss-iam.conf" "$(cd "$rc/etc" && ls -d nss-iam.conf*)"
        check_eq "... sshd_config.d holds 00-nss-iam.conf only (old name gone)" \
            "00-nss-iam.conf" "$(ls "$rc/etc/ssh/sshd_config.d")"
    else
        tap_not_ok "rpm -U from a package owning /etc/nss-iam.conf: no old package"
        sed 's/^/# /' "$work/old/build.log" "$work/rpm.out" | tail -n 10
    fi
fi

tap_done
