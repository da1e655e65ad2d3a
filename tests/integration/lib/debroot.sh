# shellcheck shell=bash
#
# debroot.sh - a minimal Debian 12 root for the suites that install into
# one, built once with debootstrap and cached as a tarball.
#
#   debroot_unpack DEST INCLUDE LOG
#       unpacks into DEST (an empty directory) the bookworm minbase root
#       with the packages INCLUDE (comma-separated). The root comes from
#       cache/debootstrap/bookworm-minbase-KEY.tar.zst, KEY naming the
#       variant and INCLUDE: debootstrap builds it first when it is missing
#       (once, from the Debian mirror apt on this machine uses; minutes).
#       debootstrap's output goes to LOG. Returns 1 and says why on stderr
#       when it cannot.
#
# The tarball keeps numeric owners and extended attributes; the downloaded
# .debs are left out.

# The cache directory, known while this file is being sourced.
DEBROOT_CACHE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/cache/debootstrap
DEBROOT_SUITE=bookworm

# debian_mirror: the Debian archive apt on this machine uses.
debian_mirror() {
    local m
    m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    if [ -z "$m" ]; then
        m=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' \
            /etc/apt/sources.list 2>/dev/null | head -n 1)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# _debroot_build TARBALL INCLUDE LOG: debootstrap into a scratch directory,
# then the tarball, renamed into place only when whole.
_debroot_build() {
    local tarball=$1 include=$2 log=$3 ds
    echo "# building the cached root $tarball (once)"
    mkdir -p "$DEBROOT_CACHE" || return 1
    ds=$(mktemp -d /tmp/nss-iam-debootstrap.XXXXXX) || return 1
    # mktemp's 0700 would become the root's "/": nobody could run anything.
    chmod 0755 "$ds"
    if ! debootstrap --variant=minbase --include="$include" "$DEBROOT_SUITE" \
        "$ds" "$(debian_mirror)" >"$log" 2>&1; then
        tail -n 5 "$log" | sed 's/^/# /'
        echo "debootstrap failed" >&2
        rm -rf --one-file-system "$ds"
        return 1
    fi
    rm -f "$ds"/var/cache/apt/archives/*.deb
    tar --numeric-owner --xattrs -C "$ds" -cf - . |
        zstd -q -T0 -o "$tarball.tmp.$$" && mv "$tarball.tmp.$$" "$tarball"
    rm -rf --one-file-system "$ds"
    [ -f "$tarball" ] || { echo "cannot write $tarball" >&2; return 1; }
}

debroot_unpack() {
    local dest=$1 include=$2 log=$3 key tarball
    key=$(printf '%s minbase %s\n' "$DEBROOT_SUITE" "$include" | sha256sum | cut -c1-12)
    tarball=$DEBROOT_CACHE/$DEBROOT_SUITE-minbase-$key.tar.zst
    if [ ! -f "$tarball" ]; then
        _debroot_build "$tarball" "$include" "$log" || return 1
    fi
    if ! zstd -q -dc "$tarball" | tar --numeric-owner --xattrs -C "$dest" -xf -; then
        echo "cannot unpack $tarball" >&2
        return 1
    fi
    # "/" of a root is 0755, whatever mode a cached tarball gave it.
    chmod 0755 "$dest"
}
