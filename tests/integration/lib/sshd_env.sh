# shellcheck shell=bash
#
# sshd_env.sh - a private world for real sshd logins, inside the caller's
# private mount namespace (tap.sh's in_private_namespace): tmpfs over
# /run, /var/lib, /home, /var/log and /var/cache/ldconfig; test copies of
# nsswitch.conf, passwd, pam.d/sshd and sudoers.d bind-mounted over the
# real ones; libnss_iam.so.2 found through a private ld.so cache; the keys
# command installed root-owned under /run; a syslog sink on /dev/log
# through an overlay. The host is not modified.
#
# The caller sets: work (scratch directory), build, contrib, here (the
# directory of this library's parent). Then:
#
#   sshd_env_setup          the mounts and files above; sets run, syslog,
#                           sink_pid
#   sshd_env_start CONFIG   start sshd with the shipped drop-in, its keys
#                           command reading CONFIG; sets port, sshd_pid,
#                           sshd_log
#   ssh_as KEY USER CMD...  the real ssh client with that key only
#   stop_pid PID            stop one process the caller started
#
# Setup functions print what failed on stderr and return 1.
#
# work, build, contrib and here are the caller's:
# shellcheck disable=SC2154

_env_fail() {
    echo "$*" >&2
}

# stop_pid PID: TERM, wait up to 5 s, then KILL; only our own children.
stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

sshd_env_setup() {
    run=/run/nss-iam-test
    mount -t tmpfs -o mode=0755 tmpfs /run || { _env_fail "cannot mount /run"; return 1; }
    mount -t tmpfs -o mode=0755 tmpfs /var/lib
    mount -t tmpfs -o mode=0755 tmpfs /home
    # sshd records logins of unknown users in /var/log/btmp, sessions in
    # wtmp and lastlog: those stay in this namespace too.
    mount -t tmpfs -o mode=0755 tmpfs /var/log
    mkdir -m 0755 /run/sshd "$run" "$run/bin" "$run/lib" /var/lib/nss-iam
    mkdir -m 0700 "$run/etc"

    # sshd runs the AuthorizedKeysCommand only if the program and every
    # directory above it are root-owned and not writable by others.
    install -m 0755 "$build/iam-authorized-keys" "$run/bin/iam-authorized-keys"
    # VERIFY_ONLINE's helper, found beside the keys command.
    install -m 0755 "$build/iam-verify-key" "$run/bin/iam-verify-key"
    install -m 0644 "$build/libnss_iam.so.2" "$run/lib/libnss_iam.so.2"

    # glibc must find libnss_iam.so.2 in sshd, its session children and the
    # setuid sudo, none of which honours LD_LIBRARY_PATH. A private ld.so
    # cache does it: ldconfig builds it from the host's configuration plus
    # $run/lib (-X: no symbolic links made or changed; -C: the cache goes to
    # our tmpfs), and it is bind-mounted over /etc/ld.so.cache in this
    # namespace only. ldconfig always rewrites its aux cache
    # /var/cache/ldconfig/aux-cache, even with -i, so a tmpfs covers that
    # directory first. No file is added to a system library directory.
    mount -t tmpfs -o mode=0700 tmpfs /var/cache/ldconfig ||
        { _env_fail "cannot mount a tmpfs on /var/cache/ldconfig"; return 1; }
    printf 'include /etc/ld.so.conf\n%s\n' "$run/lib" >"$run/ld.so.conf"
    ldconfig -X -i -f "$run/ld.so.conf" -C "$run/ld.so.cache" 2>"$work/ldconfig.log" ||
        { _env_fail "ldconfig: $(head -n 3 "$work/ldconfig.log")"; return 1; }
    mount --bind "$run/ld.so.cache" /etc/ld.so.cache

    printf 'passwd: files iam\ngroup: files iam\nshadow: files\n' \
        >"$run/etc/nsswitch.conf"
    chmod 0644 "$run/etc/nsswitch.conf"
    mount --bind "$run/etc/nsswitch.conf" /etc/nsswitch.conf

    # A local account (not an IAM user) with its own authorized_keys file:
    # shows that such files work for everyone outside iam-users.
    cp /etc/passwd "$run/etc/passwd"
    echo 'localtest:*:4242:100:local:/home/localtest:/bin/bash' >>"$run/etc/passwd"
    mount --bind "$run/etc/passwd" /etc/passwd

    # PAM: the host's sshd stack plus the session line of the shipped
    # pam-auth-update profile (what pam-auth-update would add to
    # common-session).
    mkhomedir=$(sed -n '/^Session:/,/^[^[:space:]]/{/^[[:space:]]/p}' \
        "$contrib/pam-configs/nss-iam-mkhomedir" | awk '{$1 = $1; print}')
    [ "$mkhomedir" = "optional pam_mkhomedir.so umask=0077" ] ||
        { _env_fail "unexpected session line in the pam profile: $mkhomedir"; return 1; }
    {
        cat /etc/pam.d/sshd
        echo "session $mkhomedir"
    } >"$run/etc/pam.sshd"
    chmod 0644 "$run/etc/pam.sshd"
    mount --bind "$run/etc/pam.sshd" /etc/pam.d/sshd

    # sudo: the host's drop-ins plus the shipped one.
    mkdir -m 0755 "$run/sudoers.d"
    cp -a /etc/sudoers.d/. "$run/sudoers.d/"
    install -m 0440 "$contrib/sudoers.d/nss-iam" "$run/sudoers.d/nss-iam"
    mount --bind "$run/sudoers.d" /etc/sudoers.d

    # /dev/log: an overlay on /dev whose upper layer lives in the /run tmpfs,
    # so the syslog sink's socket never reaches the host's /dev. /dev/pts and
    # /dev/shm, hidden by the overlay, are moved back on top.
    mkdir -p "$run/dev/upper" "$run/dev/work" "$run/dev/pts" "$run/dev/shm"
    mount --bind /dev/pts "$run/dev/pts"
    mount --bind /dev/shm "$run/dev/shm"
    mount -t overlay overlay \
        -o "lowerdir=/dev,upperdir=$run/dev/upper,workdir=$run/dev/work" /dev ||
        { _env_fail "cannot put an overlay on /dev"; return 1; }
    mount --move "$run/dev/pts" /dev/pts
    mount --move "$run/dev/shm" /dev/shm
    syslog=$work/syslog.txt
    : >"$syslog"
    python3 "$here/syslog_sink.py" --socket /dev/log --out "$syslog" \
        --ready "$work/sink.ready" 2>"$work/sink.err" &
    # shellcheck disable=SC2034 # the caller stops it
    sink_pid=$!
}

# sshd_env_start CONFIG: sshd on a free loopback port.
sshd_env_start() {
    local cfg=$1
    port=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -f "$run/ssh_host_ed25519_key" </dev/null
    {
        cat <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $run/ssh_host_ed25519_key
PidFile $run/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
PermitRootLogin no
LogLevel VERBOSE
EOF
        # The shipped drop-in, with the program installed in /run and the
        # test's config.
        sed "s|^AuthorizedKeysCommand /usr/sbin/iam-authorized-keys |AuthorizedKeysCommand $run/bin/iam-authorized-keys --config $cfg |" \
            "$contrib/sshd_config.d/nss-iam.conf"
    } >"$run/sshd_config"
    grep -q "^AuthorizedKeysCommand $run/bin/" "$run/sshd_config" ||
        { _env_fail "the sshd drop-in has no AuthorizedKeysCommand line"; return 1; }
    /usr/sbin/sshd -t -f "$run/sshd_config" 2>"$work/sshd-t.log" ||
        { _env_fail "sshd -t: $(head -n 3 "$work/sshd-t.log")"; return 1; }
    sshd_log=$work/sshd.log
    /usr/sbin/sshd -D -f "$run/sshd_config" -E "$sshd_log" &
    sshd_pid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$sshd_pid" 2>/dev/null || break
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
        { _env_fail "sshd does not listen: $(tail -n 3 "$sshd_log")"; return 1; }
}

# ssh_as KEYFILE USER COMMAND...: the real client, this key only.
ssh_as() {
    local key=$1 user=$2
    shift 2
    env -u SSH_AUTH_SOCK ssh -F /dev/null -i "$key" -p "$port" \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 \
        -o LogLevel=ERROR "$user@127.0.0.1" "$@"
}
