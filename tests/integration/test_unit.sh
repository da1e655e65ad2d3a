#!/usr/bin/env bash
# iam-sync.service and iam-sync.timer as they run, under systemd. A
# Debian 12 root with systemd (debootstrap, cached under
# cache/debootstrap/) gets the built programs and units by make install
# DESTDIR=, the metrics drop-in the unit's comment documents, and boots
# with systemd-nspawn -b. The container shares the host's network: moto
# and a stand-in IMDSv2 (imds_stub.py, which hands out the instance
# role's credentials) answer on the host's 127.0.0.1; /etc/nss-iam.conf
# names IAM as localhost, so the sandboxed iam-sync resolves a name.
#
#   - the root boots to "running"; systemctl show reports the sandbox
#     the unit declares;
#   - the timer is enabled and started as the package's postinst does on
#     a running system: with OnBootSec= past, it fires within its
#     RandomizedDelaySec=, and that run of iam-sync, in the whole sandbox,
#     takes its credentials from IMDS, calls IAM, writes the snapshot
#     0644 root in its StateDirectory and the metrics where the drop-in
#     allows, and logs its summary to the journal under the unit, with
#     no warning but IAM's data's;
#   - sandbox_probe.sh, run once as a plain root shell of the container
#     and once as the unit's ExecStart (a drop-in that changes nothing
#     else): what the sandbox forbids works outside and fails inside,
#     what iam-sync needs works in both;
#   - systemctl start without the metrics drop-in: the sync succeeds, the
#     metrics write is refused (read-only file system) and logged.
#
# Not reproduced: a boot-time first run (OnBootSec=30s is spent while
# moto starts), DNS over the network (the name is in /etc/hosts), TLS
# to IAM (moto speaks HTTP here), and ProtectProc=invisible hiding
# processes: systemd.exec(5) says root is unaffected, and the probe shows
# /proc/1 visible in the unit (what protects other processes is the empty
# capability set: their environment is unreadable).
#
# nspawn asks no systemd on the host for a cgroup (this machine's PID 1
# is none, and there is no bus): it runs with --keep-unit --register=no in
# cgroups this script creates under its own and removes at the end, the
# only change made to the host. /run (nspawn's lock and propagation
# directories) and the root are tmpfs in this script's private mount
# namespace. Every process started is stopped by PID. Skipped only when
# systemd-nspawn is absent, or a cgroup hierarchy to create the
# container's cgroup in. Takes 1 to 2 minutes, mostly moto's start and
# the timer's random delay. Prints TAP.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"
# shellcheck source=lib/debroot.sh
. "$here/lib/debroot.sh"

root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
# What iam-sync links, and systemd as init.
include=liblmdb0,libjson-c5,libcurl4,libssl3,systemd,systemd-sysv
metrics_dir=/var/lib/prometheus/node-exporter
dropin_dir=/etc/systemd/system/iam-sync.service.d

# ---- prerequisites ----

# cgroup_dirs: the hierarchies nspawn places a container in, each with
# this process's own cgroup in it: the unified one (cgroup2, alone or
# beside the v1 ones) and the named "systemd" one of a hybrid or legacy
# host.
cgroup_dirs() {
    local mnt own
    for mnt in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
        case $(stat -f -c %T "$mnt" 2>/dev/null) in
        cgroup2fs) own=$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup) ;;
        cgroupfs)
            [ "$mnt" = /sys/fs/cgroup/systemd ] || continue
            own=$(sed -n 's/^[0-9]*:name=systemd:\(.*\)$/\1/p' /proc/self/cgroup)
            ;;
        *) continue ;;
        esac
        [ -n "$own" ] && echo "$mnt${own%/}"
    done
}

if ! command -v systemd-nspawn >/dev/null; then
    tap_skip "systemd-nspawn is not installed (Debian: systemd-container)"
    tap_done
    exit 0
fi
mapfile -t parents < <(cgroup_dirs)
if [ "${#parents[@]}" -eq 0 ]; then
    tap_skip "no cgroup hierarchy is mounted under /sys/fs/cgroup"
    tap_done
    exit 0
fi
[ -x "$build/iam-sync" ] || fail_setup "$build/iam-sync is missing (make all)"

work=$(mktemp -d /tmp/nss-iam-unit.XXXXXX) || exit 1
r=$work/root
cgroups=()
nspawn_pid=
imds_pid=
seed_pid=
victim_pid=

# ---- cleanup ----

# cgroup_pids DIR: the processes in the cgroup DIR and below.
cgroup_pids() {
    find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# stop_container: asks the container to halt (SIGTERM to nspawn), then
# kills nspawn and, by PID, whatever is left in its cgroups; removes the
# cgroups. Returns nspawn's exit status.
stop_container() {
    local rc=0 i cg pid
    if [ -n "$nspawn_pid" ]; then
        kill -TERM "$nspawn_pid" 2>/dev/null
        for ((i = 0; i < 300; i++)); do
            kill -0 "$nspawn_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nspawn_pid" 2>/dev/null
        wait "$nspawn_pid" 2>/dev/null
        rc=$?
        nspawn_pid=
    fi
    for cg in "${cgroups[@]}"; do
        while read -r pid; do
            kill -KILL "$pid" 2>/dev/null
        done < <(cgroup_pids "$cg")
    done
    for cg in "${cgroups[@]}"; do
        for ((i = 0; i < 50; i++)); do
            find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$cg" ] || break
            sleep 0.1
        done
    done
    cgroups=()
    return "$rc"
}

cleanup() {
    if [ -n "$victim_pid" ]; then
        kill -KILL "$victim_pid" 2>/dev/null
        wait "$victim_pid" 2>/dev/null
    fi
    stop_container
    if [ -n "$seed_pid" ]; then
        kill -TERM "$seed_pid" 2>/dev/null
        wait "$seed_pid" 2>/dev/null
    fi
    if [ -n "$imds_pid" ]; then
        kill -TERM "$imds_pid" 2>/dev/null
        wait "$imds_pid" 2>/dev/null
    fi
    moto_stop "$work/moto"
    if mountpoint -q "$r"; then
        umount -l "$r"
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The container's cgroups. A hierarchy this script cannot write to (a
# container without cgroup delegation) cannot hold one: nothing to boot.
for p in "${parents[@]}"; do
    if ! mkdir "$p/nss-iam-unit.$$" 2>"$work/cgroup.err"; then
        tap_skip "cannot create a cgroup in $p: $(cat "$work/cgroup.err")"
        tap_done
        exit 0
    fi
    cgroups+=("$p/nss-iam-unit.$$")
done

# ---- moto starts while the root boots ----

# The subshell knows its moto's PID before moto answers: on TERM it
# stops that process, which moto_stop cannot find until moto_start has
# written it down.
(
    trap '[ -n "${MOTO_PID:-}" ] && _moto_kill "$MOTO_PID" "$work/moto"; exit 1' TERM
    moto_seeded "$work" basic
) 2>"$work/setup.err" &
seed_pid=$!

# ---- the root ----

# prepare_root: the Debian root, on a tmpfs, with the built programs and
# units, the probe, the metrics directory and its drop-in. Says on stdout
# what failed.
prepare_root() {
    mkdir -p "$r"
    if ! mount -t tmpfs -o mode=0755 tmpfs "$r"; then
        echo "cannot mount a tmpfs on $r"
        return 1
    fi
    debroot_unpack "$r" "$include" "$work/debootstrap.log" 2>&1 || return 1
    make -C "$root" BUILD="$build" install DESTDIR="$r" PREFIX=/usr \
        UNITDIR=/lib/systemd/system >"$work/install.log" 2>&1 || {
        tail -n 10 "$work/install.log" | sed 's/^/# /'
        echo "make install DESTDIR=$r failed"
        return 1
    }
    install -D -m 0755 "$here/sandbox_probe.sh" "$r/usr/local/libexec/sandbox-probe"
    # node_exporter's package would create the directory; the drop-in is
    # the one iam-sync.service's comment tells the administrator to add.
    install -d -m 0755 "$r$metrics_dir" "$r$dropin_dir"
    printf '[Service]\nReadWritePaths=%s\n' "$metrics_dir" >"$r$dropin_dir/override.conf"
    echo nss-iam-unit >"$r/etc/hostname"
    # minbase has no /etc/hosts (netbase).
    echo '127.0.0.1 localhost' >"$r/etc/hosts"
}
prepare_root >"$work/prepare.log"
rc=$?
grep '^#' "$work/prepare.log"
[ "$rc" -eq 0 ] || fail_setup "$(grep -v '^#' "$work/prepare.log" | tail -n 1)"
tap_ok "the root: Debian 12 with systemd, and make install DESTDIR="

# ---- boot ----

# nspawn's lock and propagation directories, in this namespace only.
mount -t tmpfs -o mode=0755 tmpfs /run || fail_setup "cannot mount /run"
(
    for cg in "${cgroups[@]}"; do
        echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
    done
    exec systemd-nspawn --quiet --directory="$r" --boot \
        --machine=nss-iam-unit --register=no --keep-unit \
        --link-journal=no --resolv-conf=off --console=read-only
) </dev/null >"$work/boot.log" 2>&1 &
nspawn_pid=$!

# leader: the container's PID 1, seen from here (the process of its
# cgroups whose PID in its own namespace is 1).
leader() {
    local pid
    while read -r pid; do
        if awk '/^NSpid:/ { exit !(NF > 2 && $NF == 1) }' "/proc/$pid/status" 2>/dev/null; then
            echo "$pid"
            return 0
        fi
    done < <(cgroup_pids "${cgroups[0]}")
    return 1
}

# in_box CMD...: CMD inside the container (all its namespaces), as root.
in_box() {
    nsenter --target "$init_pid" --all \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}

# prop UNIT PROPERTY: the value systemctl show gives.
prop() {
    in_box systemctl show --property="$2" --value "$1"
}

init_pid=
state=
for ((i = 0; i < 600; i++)); do
    kill -0 "$nspawn_pid" 2>/dev/null || break
    if [ -z "$init_pid" ]; then
        init_pid=$(leader)
    fi
    if [ -n "$init_pid" ]; then
        state=$(in_box systemctl is-system-running 2>/dev/null)
        case $state in
        running | degraded) break ;;
        esac
    fi
    sleep 0.1
done
if [ -z "$init_pid" ] || [ -z "$state" ]; then
    tail -n 20 "$work/boot.log" | sed 's/^/# /'
    fail_setup "the root did not boot under systemd-nspawn"
fi
check_eq "the root boots under systemd-nspawn to state running" running "$state"
[ "$state" = running ] || in_box systemctl --failed --no-legend | sed 's/^/# /'

# ---- the sandbox as declared ----

# What systemctl show must report: the unit's hardening, the metrics
# drop-in merged in.
want_props="CapabilityBoundingSet=cap_kill
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/nss-iam $metrics_dir
StateDirectory=nss-iam
StateDirectoryMode=0755
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallErrorNumber=1
UMask=0022"
mapfile -t show_args < <(echo "$want_props" | sed 's/=.*//; s/^/--property=/')
shown=$(in_box systemctl show "${show_args[@]}" iam-sync.service)
while IFS= read -r want; do
    check_eq "systemctl show iam-sync.service: $want" "$want" \
        "$(echo "$shown" | grep -m 1 "^${want%%=*}=")"
done <<<"$want_props"
# An allow-list (no leading ~): @system-service, without what it leaves
# out.
filter=$(prop iam-sync.service SystemCallFilter)
check_eq "SystemCallFilter: an allow-list with read and without ptrace, mount, reboot" \
    "allow read" \
    "$([ "${filter#\~}" = "$filter" ] && echo allow) $(echo "$filter" |
        tr ' ' '\n' | grep -xE 'read|ptrace|mount|reboot' | xargs)"

# ---- AWS, then the timer ----

wait "$seed_pid"
rc=$?
seed_pid=
[ "$rc" -eq 0 ] || fail_setup "$(cat "$work/setup.err")"
port=$(cat "$work/moto/moto.port")
python3 "$here/imds_stub.py" "$work/seed/creds.env" "$work/imds.port" \
    2>"$work/imds.log" &
imds_pid=$!
for _ in $(seq 50); do
    [ -s "$work/imds.port" ] && break
    sleep 0.1
done
[ -s "$work/imds.port" ] || fail_setup "the IMDS stand-in did not start"
# No AWS_* anywhere: the unit gets the instance role's credentials.
{
    echo 'IAM_AUTHORIZED_GROUPS="ssh-users,data-science"'
    echo 'SUDOERS_GROUPS="admins"'
    echo "IAM_ENDPOINT=\"http://localhost:$port\""
    echo "STS_ENDPOINT=\"http://localhost:$port\""
    echo "IMDS_ENDPOINT=\"http://127.0.0.1:$(cat "$work/imds.port")\""
    echo 'MAX_CALLS_PER_SECOND="100"'
    echo "TEXTFILE_DIR=\"$metrics_dir\""
} >"$r/etc/nss-iam.conf"
chmod 0644 "$r/etc/nss-iam.conf"

# As the package's postinst does (dh_installsystemd: only the timer).
in_box systemctl enable --now iam-sync.timer >"$work/enable.log" 2>&1
check_eq "systemctl enable --now iam-sync.timer: enabled and waiting" \
    "0 enabled active" \
    "$? $(in_box systemctl is-enabled iam-sync.timer) $(in_box systemctl is-active iam-sync.timer)"
enabled_at=$SECONDS
check_eq "iam-sync.timer: the shipped schedule" \
    "OnBootUSec=30s OnUnitActiveUSec=1min Persistent=no RandomizedDelayUSec=20s Unit=iam-sync.service" \
    "$(in_box systemctl show iam-sync.timer --property=TimersMonotonic \
        --property=RandomizedDelayUSec --property=Persistent --property=Unit |
        sed 's/^TimersMonotonic={ \([A-Za-z]*=[^ ]*\) ;.*/\1/' | LC_ALL=C sort | xargs)"

# Nothing here starts the service before the timer does. The wait gives
# up 150 s after the enable (30 s of OnBootSec, 20 s of random delay at
# most, and the run).
ran=0
while ((SECONDS - enabled_at < 150)); do
    kill -0 "$nspawn_pid" 2>/dev/null || break
    ran=$(prop iam-sync.service ExecMainExitTimestampMonotonic)
    [ "${ran:-0}" != 0 ] && break
    sleep 1
done
fired=no
[ "$(prop iam-sync.timer LastTriggerUSecMonotonic)" != 0 ] && fired=fired
check_eq "iam-sync.timer fired and iam-sync.service ran" "fired ran" \
    "$fired $([ "${ran:-0}" != 0 ] && echo ran)"
echo "# the timer's run ended $((SECONDS - enabled_at)) s after the enable"
check_eq "the timer's run: Result=success, exit status 0" "success 0" \
    "$(prop iam-sync.service Result) $(prop iam-sync.service ExecMainStatus)"
inv1=$(prop iam-sync.service InvocationID)

# ---- what the run did ----

check_eq "StateDirectory: /var/lib/nss-iam is 0755 root" "755 0:0" \
    "$(stat -c '%a %u:%g' "$r/var/lib/nss-iam" 2>&1)"
check_eq "the snapshot /var/lib/nss-iam/passwd.mdb is 0644 root" "644 0:0" \
    "$(stat -c '%a %u:%g' "$r/var/lib/nss-iam/passwd.mdb" 2>&1)"
check_eq "credentials and the instance id from IMDSv2" \
    "GET /latest/meta-data/iam/security-credentials/ 200
GET /latest/meta-data/iam/security-credentials/nss-iam-test-role 200
GET /latest/meta-data/instance-id 200
PUT /latest/api/token 200" "$(LC_ALL=C sort -u "$work/imds.log")"

# iam-sync.8's way to see a run's result.
journal=$(in_box journalctl --quiet --no-pager -o cat -u iam-sync.service)
summary=$(echo "$journal" | grep -E '^published: [0-9]+ users, [0-9]+ keys, [0-9]+ groups; ')
check_eq "journalctl -u iam-sync.service: the summary line of a publication" 1 \
    "$(echo "$summary" | grep -c .)"
[ -n "$summary" ] || echo "$journal" | tail -n 10 | sed 's/^/# /'
users=$(echo "$summary" | sed -n 's/^published: \([0-9]*\) users.*/\1/p')
check_eq "the journal's lines of the run are iam-sync's, under the unit and its run" \
    "iam-sync iam-sync.service $inv1" \
    "$(in_box journalctl --quiet --no-pager -o export -u iam-sync.service \
        SYSLOG_IDENTIFIER=iam-sync | awk -F= '
        /^SYSLOG_IDENTIFIER=/ { id[$2] } /^_SYSTEMD_UNIT=/ { u[$2] }
        /^_SYSTEMD_INVOCATION_ID=/ { inv[$2] }
        END { for (k in id) printf "%s ", k; for (k in u) printf "%s ", k;
              for (k in inv) printf "%s", k; print "" }' | sed 's/ $//')"
# The basic scenario's refused IAM names are warnings about IAM's data;
# anything else (a path, a permission, a socket) would be the sandbox's.
check_eq "no other warning or error in the journal of the run" "" \
    "$(in_box journalctl --quiet --no-pager -o cat -u iam-sync.service -p warning |
        grep -vE '^IAM (user|group) ')"

prom=$r$metrics_dir/nss_iam.prom
check_eq "metrics: nss_iam.prom is 0644 root in the drop-in's directory" "644 0:0" \
    "$(stat -c '%a %u:%g' "$prom" 2>&1)"
check_eq "metrics: exit status 0 and the users of the summary" \
    "nss_iam_sync_exit_status 0 nss_iam_users ${users:-?}" \
    "$(grep -E '^nss_iam_(sync_exit_status|users) ' "$prom" 2>&1 | xargs)"
check "iam-sync --status in the booted root: the snapshot is healthy" \
    in_box /usr/sbin/iam-sync --status
check "... and made on this instance (IMDS's instance id)" \
    grep -q "i-0123456789abcdef0" <<<"$(in_box /usr/sbin/iam-sync --status)"

# ---- when due ----

# From here on, only this script starts the service: the timer would
# start it again every minute.
in_box systemctl stop iam-sync.timer
# iam-sync.service runs "iam-sync --if-due": right after the timer's run,
# with IAM_SYNC_INTERVAL's default of 5 min, it is not due. It exits 0,
# calls nothing and does not touch the snapshot (each sync that checks
# it sets its modification time).
mtime=$(stat -c %.9Y "$r/var/lib/nss-iam/passwd.mdb")
in_box systemctl start iam-sync.service >"$work/due.log" 2>&1
rc=$?
inv_due=$(prop iam-sync.service InvocationID)
check_eq "systemctl start iam-sync.service right after: exit 0, a new run, not due (snapshot untouched)" \
    "0 new $mtime" \
    "$rc $([ -n "$inv_due" ] && [ "$inv_due" != "$inv1" ] && echo new) $(stat -c %.9Y "$r/var/lib/nss-iam/passwd.mdb")"
check_eq "... and no summary line: no sync ran" 0 \
    "$(in_box journalctl --quiet --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv_due" \
        SYSLOG_IDENTIFIER=iam-sync | grep -cE '^(published|unchanged): ')"

# ---- the sandbox in force ----

# The probe as a plain root shell of the container, then as the unit's
# ExecStart: a drop-in replaces only that, and sends its output to a file
# systemd opens before the sandbox is set up.
in_box touch /tmp/.sandbox-probe-outer
outside=$(in_box /usr/local/libexec/sandbox-probe 2>&1)
printf '%s\n' '[Service]' 'ExecStart=' \
    'ExecStart=/usr/local/libexec/sandbox-probe' \
    'StandardOutput=truncate:/run/sandbox-probe.out' >"$r$dropin_dir/probe.conf"
in_box systemctl daemon-reload
in_box systemctl start iam-sync.service >"$work/probe-start.log" 2>&1
rc=$?
inside=$(in_box cat /run/sandbox-probe.out 2>&1)
if [ "$rc" -ne 0 ]; then
    sed 's/^/# /' "$work/probe-start.log"
    in_box journalctl --quiet --no-pager -o cat -n 10 -u iam-sync.service | sed 's/^/# /'
fi
rm -f "$r$dropin_dir/probe.conf"
# The runs below sync now, as "iam-sync" by hand does, in the unit's
# sandbox: a drop-in drops --if-due, and changes nothing else.
printf '%s\n' '[Service]' 'ExecStart=' 'ExecStart=/usr/sbin/iam-sync' \
    >"$r$dropin_dir/now.conf"
in_box systemctl daemon-reload
check_eq "the probe runs as iam-sync.service" 0 "$rc"

# probe NAME: NAME's answer outside and inside the unit.
probe() {
    echo "$(echo "$outside" | sed -n "s/^$1=//p") $(echo "$inside" | sed -n "s/^$1=//p")"
}
while read -r name want why; do
    check_eq "sandbox: $name is yes outside the unit, $want inside ($why)" \
        "yes $want" "$(probe "$name")"
done <<'EOF'
write_etc no ProtectSystem=strict
write_usr no ProtectSystem=strict
write_var_lib no ProtectSystem=strict
write_state_dir yes ReadWritePaths
write_metrics_dir yes ReadWritePaths of the drop-in
write_tmp yes PrivateTmp
sees_outer_tmp no PrivateTmp
reads_root_home no ProtectHome
reads_pid1_environ no CapabilityBoundingSet=CAP_KILL
reads_self_maps yes iam-sync reads it
sees_meminfo no ProcSubset=pid
sees_proc_sys no ProcSubset=pid
sees_console no PrivateDevices
writes_dev_null yes PrivateDevices
af_unix yes RestrictAddressFamilies
af_inet yes RestrictAddressFamilies
af_inet6 yes RestrictAddressFamilies
af_netlink no RestrictAddressFamilies
unshare_user no RestrictNamespaces
set_personality no LockPersonality
EOF
# ProtectProc=invisible hides no process from root (systemd.exec(5)).
echo "# sandbox: /proc/1 seen outside the unit, inside: $(probe sees_pid1)"
if echo "$outside" | grep -q '^ptrace_traceme='; then
    check_eq "sandbox: ptrace(PTRACE_TRACEME) is yes outside the unit, no inside (SystemCallFilter)" \
        "yes no" "$(probe ptrace_traceme)"
else
    tap_skip "no ptrace syscall number for $(uname -m) in sandbox_probe.sh"
fi
check_eq "sandbox: CAP_KILL alone (bit 5), no_new_privs, a seccomp filter" \
    "CapPrm=0000000000000020 CapEff=0000000000000020 CapBnd=0000000000000020 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2" \
    "$(echo "$inside" | grep -E '^(Cap|NoNewPrivs|Seccomp)' | xargs)"

# ---- systemctl start, without the metrics drop-in ----

rm -f "$r$dropin_dir/override.conf"
in_box systemctl daemon-reload
cp "$prom" "$work/prom.before"
in_box systemctl start iam-sync.service >"$work/start.log" 2>&1
rc=$?
inv2=$(prop iam-sync.service InvocationID)
check_eq "systemctl start iam-sync.service: exit 0, a new run" "0 new" \
    "$rc $([ -n "$inv2" ] && [ "$inv2" != "$inv1" ] && echo new)"
run2=$(in_box journalctl --quiet --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv2" \
    SYSLOG_IDENTIFIER=iam-sync)
check_eq "its summary: unchanged" 1 \
    "$(echo "$run2" | grep -cE '^unchanged: [0-9]+ users, ')"
check_eq "without the drop-in, the metrics write is refused and logged" \
    "$metrics_dir: cannot write metrics: Read-only file system" \
    "$(echo "$run2" | grep 'cannot write metrics')"
check "... and nss_iam.prom is left as it was" cmp "$work/prom.before" "$prom"

# ---- a removed user's process, ended by the unit in its sandbox ----

# The unit signals another uid's process: that takes CAP_KILL in the
# bounding set, pidfd_open and pidfd_send_signal through the system call
# filter, and the process visible in the unit's /proc. No login here
# (this root has no sshd): a process of alice's uid stands for her
# session. logind does not run in this root (no D-Bus): iam-sync does
# not use it anyway.
manifest=$work/seed/manifest.json
alice_uid=$(python3 - "$manifest" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
u = next(u for u in m["users"] if u["UserName"] == "alice")
d = hashlib.sha256(("uid:" + u["UserId"]).encode()).digest()[:8]
print(2000000000 + int.from_bytes(d, "big") % (2147483646 - 2000000000 + 1))
PY
)
in_box setpriv --reuid="$alice_uid" --regid="$alice_uid" --clear-groups \
    sleep 1000 &
victim_pid=$!
# The sleep: nsenter's child, in the container's PID namespace.
sleep_pid=
for ((i = 0; i < 100; i++)); do
    sleep_pid=$(grep -l "^Uid:[[:space:]]*${alice_uid}[[:space:]]" /proc/[0-9]*/status 2>/dev/null |
        head -n 1 | cut -d/ -f3)
    [ -n "$sleep_pid" ] && break
    sleep 0.1
done
check "a process of alice's uid runs in the container" test -n "$sleep_pid"
moto_auth_off "$work/moto" &&
    python3 - "http://127.0.0.1:$port" <<'PY'
import sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="admin", aws_secret_access_key="admin")
iam.remove_user_from_group(GroupName="ssh-users", UserName="alice")
PY
rc=$?
moto_enforce "$work/moto"
check_eq "alice leaves ssh-users in IAM" 0 "$rc"
in_box systemctl start iam-sync.service >"$work/start3.log" 2>&1
rc=$?
inv3=$(prop iam-sync.service InvocationID)
check_eq "systemctl start iam-sync.service: exit 0" 0 "$rc"
run3=$(in_box journalctl --quiet --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv3" \
    SYSLOG_IDENTIFIER=iam-sync)
check_eq "the unit ended alice's process, and signalled it without failure" \
    "ended user alice (uid $alice_uid), removed from IAM or its authorized groups: 1 sessions, 1 processes signalled, 0 signals failed" \
    "$(echo "$run3" | grep '^ended user ')"
grep -q '^ended user ' <<<"$run3" || echo "$run3" | tail -n 5 | sed 's/^/# /'
# nsenter exits with its child: bounded, as the sleep may have survived.
for ((i = 0; i < 300; i++)); do
    kill -0 "$victim_pid" 2>/dev/null || break
    sleep 0.1
done
check_fails "... the process is gone" test -e "/proc/$sleep_pid/status"

# ---- iam-sync-publisher.service ----

# Installed, not enabled; its sandbox as declared, then in force: the
# probe as its ExecStart, through a drop-in that runs it once and changes
# nothing of the sandbox.
pub=iam-sync-publisher.service
pub_dropin=/etc/systemd/system/$pub.d
check_eq "$pub: installed, not enabled, not running" "disabled inactive" \
    "$(in_box systemctl is-enabled "$pub") $(in_box systemctl is-active "$pub")"
pub_props="Type=simple
Restart=always
RestartUSec=10s
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=
StateDirectory=
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallErrorNumber=1
UMask=0022"
mapfile -t show_args < <(echo "$pub_props" | sed 's/=.*//; s/^/--property=/')
shown=$(in_box systemctl show "${show_args[@]}" "$pub")
while IFS= read -r want; do
    check_eq "systemctl show $pub: $want" "$want" \
        "$(echo "$shown" | grep -m 1 "^${want%%=*}=")"
done <<<"$pub_props"
check_eq "$pub: ExecStart --publish \${PUBLISH}, reload is SIGHUP" \
    "/usr/sbin/iam-sync --publish \${PUBLISH} | /bin/kill -HUP \$MAINPID" \
    "$(in_box systemctl show -p ExecStart -p ExecReload "$pub" |
        sed -n 's/.* argv\[\]=\([^;]*\) ;.*/\1/p' | sed 's/ *$//' |
        paste -sd '|' | sed 's/|/ | /')"
mkdir -p "$r$pub_dropin"
printf '%s\n' '[Service]' 'Type=oneshot' 'Restart=no' 'ExecStart=' \
    'ExecStart=/usr/local/libexec/sandbox-probe' \
    'StandardOutput=truncate:/run/publisher-probe.out' >"$r$pub_dropin/probe.conf"
in_box systemctl daemon-reload
in_box systemctl start "$pub" >"$work/pub-probe.log" 2>&1
rc=$?
pub_inside=$(in_box cat /run/publisher-probe.out 2>&1)
rm -rf "$r$pub_dropin"
in_box systemctl daemon-reload
check_eq "the probe runs as $pub" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/pub-probe.log"
# pub_probe NAME: NAME's answer outside and inside the publisher.
pub_probe() {
    echo "$(echo "$outside" | sed -n "s/^$1=//p") $(echo "$pub_inside" | sed -n "s/^$1=//p")"
}
while read -r name want why; do
    check_eq "publisher sandbox: $name is yes outside, $want inside ($why)" \
        "yes $want" "$(pub_probe "$name")"
done <<'EOF'
write_etc no ProtectSystem=strict
write_usr no ProtectSystem=strict
write_state_dir no no ReadWritePaths: it writes nothing here
write_metrics_dir no no ReadWritePaths without the drop-in
write_tmp yes PrivateTmp
sees_outer_tmp no PrivateTmp
reads_root_home no ProtectHome
reads_pid1_environ no CapabilityBoundingSet= empty
reads_self_maps yes iam-sync reads it
sees_meminfo no ProcSubset=pid
sees_console no PrivateDevices
af_inet yes RestrictAddressFamilies
af_netlink no RestrictAddressFamilies
unshare_user no RestrictNamespaces
set_personality no LockPersonality
EOF
check_eq "publisher sandbox: no capability at all, no_new_privs, a seccomp filter" \
    "CapPrm=0000000000000000 CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2" \
    "$(echo "$pub_inside" | grep -E '^(Cap|NoNewPrivs|Seccomp)' | xargs)"

# exposure UNIT: systemd-analyze security's overall level, a number.
exposure() {
    in_box systemd-analyze security --no-pager "$1" 2>/dev/null |
        sed -n "s/.*Overall exposure level for $1: \([0-9.]*\).*/\1/p"
}
exposure=$(exposure iam-sync.service)
pub_exposure=$(exposure "$pub")
echo "# systemd-analyze security: iam-sync.service $exposure, $pub $pub_exposure"
check "systemd-analyze security: $pub is exposed no more than iam-sync.service" \
    awk -v p="$pub_exposure" -v s="$exposure" \
    'BEGIN { exit !(p != "" && s != "" && p + 0 <= s + 0) }'

stop_container
check_eq "the container halts when asked (nspawn exits 0)" 0 "$?"

tap_done
