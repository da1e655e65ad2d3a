# shellcheck shell=bash
# syslog_sink_start DIR OUT: a syslog sink on /dev/log in this mount
# namespace only, writing what it receives to OUT (emptied first). /dev
# gets an overlay whose upper layer is a private tmpfs under DIR/ns, so
# the sink's socket never reaches the host's /dev; /dev/pts and /dev/shm,
# hidden by the overlay, are moved back on top. Sets sink_pid; the caller
# stops it, and detaches DIR/ns (umount -l) before removing DIR. Needs
# fail_setup (tap.sh) and a private mount namespace.
syslog_sink_start() {
    local dir=$1 out=$2 ns=$1/ns _
    mkdir -p "$ns"
    mount -t tmpfs -o mode=0700 tmpfs "$ns"
    mkdir "$ns/upper" "$ns/workdir" "$ns/pts" "$ns/shm"
    mount --bind /dev/pts "$ns/pts"
    mount --bind /dev/shm "$ns/shm"
    mount -t overlay overlay \
        -o "lowerdir=/dev,upperdir=$ns/upper,workdir=$ns/workdir" /dev ||
        fail_setup "cannot put an overlay on /dev"
    mount --move "$ns/pts" /dev/pts
    mount --move "$ns/shm" /dev/shm
    : >"$out"
    python3 "$(dirname "${BASH_SOURCE[0]}")/../syslog_sink.py" \
        --socket /dev/log --out "$out" --ready "$dir/sink.ready" \
        2>"$dir/sink.err" &
    # shellcheck disable=SC2034 # the caller's, to stop it
    sink_pid=$!
    for _ in $(seq 50); do
        [ -s "$dir/sink.ready" ] && return 0
        sleep 0.1
    done
    fail_setup "the syslog sink did not start"
}
