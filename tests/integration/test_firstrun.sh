#!/usr/bin/env bash
# What a freshly installed or imaged host does before anyone configured it:
#  - a configuration that does not say who may log in (no
#    IAM_AUTHORIZED_GROUPS, no IAM_AUTHORIZED_GROUPS_TAG) admits nobody and
#    asks AWS nothing: exit 0 and a warning on a first run, exit 2 (the
#    snapshot kept) when a snapshot is in place; IAM_AUTHORIZED_GROUPS=""
#    said explicitly admits every IAM user, as it did for aws-ec2-ssh;
#  - a snapshot made for another AWS account (an image baked with another
#    account's role) is replaced whole, not defended by MAX_REMOVE_PERCENT;
#  - so is one made on another instance of the same account (an image made
#    from a running instance), with --dry-run saying so; on the instance
#    that made it, or when this instance's id is unknown, the rule holds.
# Snapshots live under a mktemp -d directory; nothing on the host changes.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
# shellcheck source=lib/tap.sh
. "$here/lib/tap.sh"
# shellcheck source=lib/moto.sh
. "$here/lib/moto.sh"
# shellcheck source=lib/imds.sh
. "$here/lib/imds.sh"

sync_bin=$build/iam-sync
dump_bin=$build/tests/dumpsnapshot
work=$(mktemp -d /tmp/nss-iam-firstrun.XXXXXX) || exit 1
db=$work/db/passwd.mdb
cleanup() {
    moto_stop "$work/a/moto"
    moto_stop "$work/b/moto"
    imds_stop "$work/imds"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$sync_bin" "$dump_bin"; do
    [ -x "$f" ] || fail_setup "$f is missing (make all test-helpers)"
done
mkdir -p "$work/db"

# conf FILE URL LINE...: a config for moto at URL, mode 0600.
conf() {
    local f=$1 url=$2
    shift 2
    {
        echo "IAM_ENDPOINT=\"$url\""
        echo "STS_ENDPOINT=\"$url\""
        echo "IMDS_ENDPOINT=\"$url\""
        echo 'MAX_CALLS_PER_SECOND=100'
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$f"
    chmod 0600 "$f"
}

# run CREDS CONF [ARGS...]: iam-sync --verbose; output in $work/out, err.
run() {
    local creds=$1 cfg=$2
    shift 2
    (
        set -a
        # shellcheck source=/dev/null
        [ "$creds" = none ] || . "$creds"
        set +a
        exec "$sync_bin" --config "$cfg" --db "$db" --verbose "$@"
    ) >"$work/out" 2>"$work/err" </dev/null
}

users() {
    "$dump_bin" "$db" | awk '$1 == "user" { print $2 }' | sort | xargs
}

# ---- not configured: nobody, no AWS call ---------------------------------

# Every endpoint on a closed port: any call would fail the run (exit 1).
closed=http://127.0.0.1:$(free_port)
conf "$work/unset.conf" "$closed" 'SUDOERS_GROUPS="admins"'
run none "$work/unset.conf"
check_eq "no IAM_AUTHORIZED_GROUPS, first run: exit 0 without asking AWS" \
    0 "$?"
check "... the warning names the file and says nobody is admitted" \
    grep -q "$work/unset.conf: IAM_AUTHORIZED_GROUPS is not set: no IAM user is admitted" \
    "$work/err"
check "... and no snapshot is written" test ! -e "$db"
run none "$work/unset.conf" --dry-run
check_eq "... --dry-run says the same, exit 0" "0 1" \
    "$? $(grep -c 'IAM_AUTHORIZED_GROUPS is not set' "$work/err")"

# ---- account A: a snapshot in place ----------------------------------------

moto_seeded "$work/a" basic 2>"$work/setup.err" ||
    fail_setup "$(cat "$work/setup.err")"
url_a=$(moto_url "$work/a/moto")
conf "$work/a.conf" "$url_a" 'IAM_AUTHORIZED_GROUPS="ssh-users"'
run "$work/a/seed/creds.env" "$work/a.conf"
check_eq "account A: a sync publishes" 0 "$?"
users_a=$(users)
cp "$db" "$work/a.mdb"

conf "$work/unset-a.conf" "$url_a" 'SUDOERS_GROUPS="admins"'
run "$work/a/seed/creds.env" "$work/unset-a.conf"
check_eq "the setting removed with a snapshot in place: exit 2" 2 "$?"
check "... it says so and keeps the snapshot" \
    grep -q 'IAM_AUTHORIZED_GROUPS is not set.*the snapshot in place .* is kept' \
    "$work/err"
check "... byte for byte" cmp -s "$work/a.mdb" "$db"

# IAM_AUTHORIZED_GROUPS="" said explicitly: every user who has a key, as
# with aws-ec2-ssh (grace is in no authorized group but has a key).
conf "$work/all.conf" "$url_a" 'IAM_AUTHORIZED_GROUPS=""'
run "$work/a/seed/creds.env" "$work/all.conf" --dry-run
check_eq 'IAM_AUTHORIZED_GROUPS="": admits every IAM user (grace too)' \
    "0 yes" "$? $(grep -q '^+ user grace ' "$work/out" && echo yes)"

# ---- account B: an image made with account A's snapshot --------------------

MOTO_ACCOUNT_ID=210987654321 moto_seeded "$work/b" basic \
    2>"$work/setup.err" || fail_setup "$(cat "$work/setup.err")"
url_b=$(moto_url "$work/b/moto")
conf "$work/b.conf" "$url_b" 'IAM_AUTHORIZED_GROUPS="ssh-users"'

# Same names, other UserIds: every user of A goes, far above 50%.
run "$work/b/seed/creds.env" "$work/b.conf" --dry-run
check_eq "account B, A's snapshot in place: --dry-run exit 0 (not refused)" \
    0 "$?"
run "$work/b/seed/creds.env" "$work/b.conf"
check_eq "account B: the sync publishes over A's snapshot: exit 0" 0 "$?"
check "... with a warning naming both accounts" \
    grep -q 'snapshot in place is for AWS account 123456789012, IAM answers for account 210987654321' \
    "$work/err"
check_eq "... the snapshot is account B's" 210987654321 \
    "$("$dump_bin" "$db" | sed -n 's/^meta .*account=\([0-9]*\).*/\1/p')"
check "... its users have B's uids (none of A's left)" \
    bash -c "! comm -12 <('$dump_bin' '$work/a.mdb' | awk '\$1 == \"user\" { print \$3 }' | sort) \
        <('$dump_bin' '$db' | awk '\$1 == \"user\" { print \$3 }' | sort) | grep -q ."
check_eq "... the same names (same scenario, another account)" "$users_a" \
    "$(users)"

# ---- EC2 Instance Connect's unit drop-in: --status says so --------------

# Its packages start sshd with -o AuthorizedKeysCommand in a unit drop-in;
# that beats every sshd_config file. In a private mount namespace, a tmpfs
# over /etc/systemd holds a drop-in shaped like it.
status_with_eic() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /etc/systemd || exit 99
        d=/etc/systemd/system/sshd.service.d
        mkdir -p "$d" || exit 99
        printf "%s\n" "[Service]" "ExecStart=" \
            "ExecStart=/usr/sbin/sshd -D \$OPTIONS -o \"AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %%u %%f\" -o \"AuthorizedKeysCommandUser ec2-instance-connect\"" \
            >"$d/ec2-instance-connect.conf"
        exec "$@"' _ "$sync_bin" --config "$work/b.conf" --db "$db" --status \
        "$@" >"$work/out" 2>"$work/err"
}
status_with_eic
check_eq "--status with EIC's unit drop-in: exit 1" 1 "$?"
check "... it names the drop-in and the fix (chain, mask)" grep -q \
    'sshd: .*/etc/systemd/system/sshd.service.d/ec2-instance-connect.conf gives sshd -o "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f".*CHAIN_AUTHORIZED_KEYS_COMMAND="/opt/aws/bin/eic_run_authorized_keys %u %f".*ln -s /dev/null' \
    "$work/out"
status_with_eic --json
check_eq "--status --json: sshd overridden-by-unit" overridden-by-unit \
    "$(jq -r .sshd "$work/out")"

# ---- sudo.conf: does a removal from SUDOERS_GROUPS reach open sessions? -

# A sudo upgrade that replaces /etc/sudo.conf drops the packages' line
# silently: --status reads it again. A file mounted over /etc/sudo.conf in
# a private mount namespace stands in for the host's.
conf "$work/sudo.conf" "$url_b" 'IAM_AUTHORIZED_GROUPS="ssh-users"' \
    'SUDOERS_GROUPS="admins"'
status_with_sudo_conf() {
    printf '%s' "$1" >"$work/sudo.conf.test"
    shift
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare -m --propagation private bash -c '
        mount --bind "$0" /etc/sudo.conf || exit 99
        exec "$@"' "$work/sudo.conf.test" "$sync_bin" --config "$@" \
        --db "$db" --status >"$work/out" 2>"$work/err"
}
if [ -f /etc/sudo.conf ]; then
    status_with_sudo_conf '# Path askpass x
Set group_source dynamic
' "$work/sudo.conf"
    check_eq "--status, sudo.conf sets group_source dynamic: exit 0" 0 "$?"
    check "... it says so, with the line" grep -qx \
        'sudo:     group_source dynamic (/etc/sudo.conf:2)' "$work/out"
    status_with_sudo_conf '# Set group_source dynamic
' "$work/sudo.conf"
    check_eq "sudo.conf without the line (a sudo upgrade): still exit 0" 0 "$?"
    check "... it names sudo's default and the line to add" grep -qx \
        "sudo:     group_source adaptive (sudo's default): a user removed from SUDOERS_GROUPS keeps sudo in sessions opened before; add \"Set group_source dynamic\" to /etc/sudo.conf" \
        "$work/out"
    status_with_sudo_conf 'Set group_source dynamic
set group_source Static
' "$work/sudo.conf" --json
    check_eq "... --json: the value in force (the last line wins)" static \
        "$(jq -r .sudo_group_source "$work/out")"
    status_with_sudo_conf '' "$work/b.conf"
    check "no SUDOERS_GROUPS: no sudo line" bash -c \
        "! grep -q '^sudo:' '$work/out'"
else
    tap_skip "no /etc/sudo.conf to mount over (sudo is not installed)"
fi

# The same account, the same loss: still refused.
cp "$work/a.mdb" "$db"
conf "$work/few.conf" "$url_a" 'IAM_AUTHORIZED_GROUPS="admins"'
run "$work/a/seed/creds.env" "$work/few.conf"
check_eq "same account, most users gone: still refused (exit 3)" 3 "$?"

# ---- an image made from a running instance of the same account ---------

# The builder, instance A, admits ssh-users; the instances made from its
# image admit admins only: most of A's users must go. The IMDS here
# answers one instance id, then another (moto's IMDS has a fixed one).
inst_a="i-0aaaaaaaaaaaaaaaa"
inst_b="i-0bbbbbbbbbbbbbbbb"
imds_start "$work/imds" "$inst_a" || fail_setup "the IMDS fixture did not start"
imds=$(cat "$work/imds/imds.url")
# conf_on FILE GROUPS [IMDS]: account A, this instance's IMDS.
conf_on() {
    local f=$1 groups=$2 endpoint=${3:-$imds}
    printf '%s\n' "IAM_ENDPOINT=\"$url_a\"" "STS_ENDPOINT=\"$url_a\"" \
        "IMDS_ENDPOINT=\"$endpoint\"" 'MAX_CALLS_PER_SECOND=100' \
        "IAM_AUTHORIZED_GROUPS=\"$groups\"" >"$f"
    chmod 0600 "$f"
}
instance_of() {
    "$dump_bin" "$1" | sed -n 's/^meta .* instance=\([^ ]*\) .*/\1/p'
}
conf_on "$work/builder.conf" ssh-users
conf_on "$work/image.conf" admins
rm -f "$db"
run "$work/a/seed/creds.env" "$work/builder.conf"
check_eq "instance A: a sync publishes, the snapshot says instance A" \
    "0 $inst_a" "$? $(instance_of "$db")"
cp "$db" "$work/baked.mdb"
"$sync_bin" --config "$work/builder.conf" --db "$db" --status >"$work/out"
check "--status shows the instance it was made on" \
    grep -qx "made on:  $inst_a" "$work/out"
"$sync_bin" --config "$work/builder.conf" --db "$db" --status --json \
    >"$work/out"
check_eq "--status --json too" "$inst_a" "$(jq -r .instance "$work/out")"

run "$work/a/seed/creds.env" "$work/image.conf"
check_eq "on instance A, most users gone: refused (exit 3)" 3 "$?"
check "... without a word about instances" \
    bash -c "! grep -q 'made on instance' '$work/err'"

imds_set "$work/imds" "$inst_b"
run "$work/a/seed/creds.env" "$work/image.conf" --dry-run
check_eq "instance B, A's snapshot in place: --dry-run exit 0, not refused" \
    0 "$?"
check "... one warning line says why" grep -q \
    "made on instance $inst_a, this is instance $inst_b (made on instance $inst_a before an image was taken?): it is replaced whole, MAX_REMOVE_PERCENT does not apply" \
    "$work/err"
check "... and the dry run lists the users that go" grep -q '^- user ' \
    "$work/out"
check "... and writes nothing" cmp -s "$work/baked.mdb" "$db"
run "$work/a/seed/creds.env" "$work/image.conf"
check_eq "instance B: the sync replaces A's snapshot whole (exit 0)" 0 "$?"
check_eq "... once warned" 1 "$(grep -c 'made on instance' "$work/err")"
check_eq "... the snapshot is B's" "$inst_b" "$(instance_of "$db")"
check "... with fewer users than A's (admins only)" test \
    "$("$dump_bin" "$db" | grep -c '^user ')" -lt \
    "$("$dump_bin" "$work/baked.mdb" | grep -c '^user ')"

# The same users, made on A: the content digest is the same, but the file
# must say where it was made, or B would keep A's forever.
cp "$work/baked.mdb" "$db"
run "$work/a/seed/creds.env" "$work/builder.conf" --json
check_eq "instance B, same settings as A: published again, now B's" \
    "0 published $inst_b" "$? $(jq -r .result "$work/out") $(instance_of "$db")"
run "$work/a/seed/creds.env" "$work/builder.conf" --json
check_eq "... and the next run leaves it: unchanged" unchanged \
    "$(jq -r .result "$work/out")"

# This instance's id unknown (IMDS off): nothing compared, the rule holds.
cp "$work/baked.mdb" "$db"
conf_on "$work/noimds.conf" admins "http://127.0.0.1:$(free_port)"
run "$work/a/seed/creds.env" "$work/noimds.conf"
check_eq "IMDS unreachable, A's snapshot in place: refused as before (3)" \
    3 "$?"
check "... the snapshot kept" cmp -s "$work/baked.mdb" "$db"

tap_done
