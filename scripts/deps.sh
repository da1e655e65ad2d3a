#!/bin/sh
# Installs the Debian packages a target needs, only those missing, so that
# `make check` and `make demo` each work as one command on a fresh machine.
# Usage: scripts/deps.sh build|check|demo|package
set -eu

build="gcc make pkg-config liblmdb-dev libjson-c-dev libcurl4-openssl-dev
libssl-dev"
check="$build libcmocka-dev valgrind openssh-server openssh-client sudo
lmdb-utils util-linux procps clang libclang-rt-14-dev cppcheck clang-tidy
jq curl openssl python3 debhelper dpkg-dev fakeroot rpm lintian groff-base
debootstrap zstd selinux-policy-dev semodule-utils setools bzip2 strace
shellcheck systemd-container"
demo="$build openssh-server openssh-client sudo util-linux procps"
package="$build debhelper dpkg-dev fakeroot rpm lintian groff-base debootstrap
zstd selinux-policy-dev bzip2"

case "${1:-build}" in
build) want=$build ;;
check) want=$check ;;
demo) want=$demo ;;
package) want=$package ;;
*) echo "usage: $0 build|check|demo|package" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    # dpkg-query prints "install ok installed" for an installed package.
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$s" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages:$missing (run as root, or install them)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing openssh-server must not start an sshd on the host: a
# policy-rc.d that denies service starts covers the sysvinit and systemd
# helpers alike; it is removed again afterwards.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
