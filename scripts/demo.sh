#!/usr/bin/env bash
# make demo: nss-iam end to end on this machine, on an emulated IAM.
#
# Starts moto_server (the AWS emulator) on a free loopback port with
# signature and policy checks on, creates a small team in it, runs
# iam-sync with the least-privilege policy's credentials, then, inside a
# private mount namespace, shows getent, id, the keys command and real ssh
# logins against a real sshd. Each step prints what it proves, as
# "ok N - ..." or "not ok N - ...". Everything it starts it stops; the
# host is left as it was (all mounts live and die in the namespace).
set -u
scripts=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$scripts/.." && pwd)
here=$root/tests/integration
# shellcheck source=tests/integration/lib/tap.sh
. "$here/lib/tap.sh"
in_private_namespace "$@"
# shellcheck source=tests/integration/lib/moto.sh
. "$here/lib/moto.sh"
# shellcheck source=tests/integration/lib/sshd_env.sh
. "$here/lib/sshd_env.sh"

build=${BUILD_DIR:-$root/build}
# shellcheck disable=SC2034 # used by sshd_env.sh
contrib=$root/contrib
work=$(mktemp -d /tmp/nss-iam-demo.XXXXXX) || exit 1
sshd_pid=
sink_pid=

keep_logs=
cleanup() {
    stop_pid "$sshd_pid"
    stop_pid "$sink_pid"
    moto_stop "$work/moto"
    [ -n "$keep_logs" ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() {
    printf '\n== %s\n' "$*"
}

# show CMD...: prints the command and its output, indented.
show() {
    printf '   $ %s\n' "$*"
    "$@" 2>&1 | sed 's/^/     /'
    return "${PIPESTATUS[0]}"
}

# refused KEY USER: sshd answers and refuses the key ("Permission denied
# (publickey)"); a login that fails for any other reason is not a refusal.
refused() {
    local err
    err=$(ssh_as "$1" "$2" true 2>&1 >/dev/null)
    [ $? = 255 ] && [[ $err == *"Permission denied (publickey"* ]]
}

give_up() {
    tap_not_ok "$*"
    keep_logs=1
    echo "demo: stopped; the logs are in $work" >&2
    exit 1
}

# key FIELD USER N: a field of key N of an IAM user from the manifest.
key() {
    python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
u = next(u for u in m["users"] if u["UserName"] == sys.argv[2])
print(u["keys"][int(sys.argv[3])][sys.argv[4]])' \
        "$work/seed/manifest.json" "$2" "$3" "$1"
}

say "An emulated IAM (moto), checking every signature and IAM policy"
moto_seeded "$work" basic 2>"$work/setup.err" ||
    give_up "$(cat "$work/setup.err")"
url=$(moto_url "$work/moto")
tap_ok "moto runs on $url; the team is in IAM"
cat <<'EOF'
     alice, heidi, dev+ops      ssh-users + admins (sudo)
     bob.smith                  ssh-users; one of his keys is Inactive
     first.last@example.com     ssh-users + data-science
     dana                       data-science
     grace                      in no authorized group
     root, daemon, amb@corp,    names nss-iam refuses (reserved, or two
     amb.at.corp                IAM names that map to one POSIX name)
EOF

# The namespace: /var/lib, /run, /home and /etc copies are private now.
sshd_env_setup 2>"$work/env.err" || give_up "$(cat "$work/env.err")"

# The config lives under /run: the keys command reads it as "nobody".
cfg=$run/nss-iam.conf
cat >"$cfg" <<EOF
IAM_AUTHORIZED_GROUPS="ssh-users,data-science"
SUDOERS_GROUPS="admins"
IAM_ENDPOINT="$url"
STS_ENDPOINT="$url"
IMDS_ENDPOINT="$url"
MAX_CALLS_PER_SECOND="100"
EOF
chmod 0644 "$cfg"

sync_now() {
    (
        set -a
        # shellcheck disable=SC1091
        . "$work/seed/creds.env"
        set +a
        "$build/iam-sync" --config "$cfg" "$@"
    )
}

say "iam-sync: what the first sync would publish, then the sync"
printf '   $ iam-sync --dry-run\n'
sync_now --dry-run >"$work/dry-run.txt" 2>&1 ||
    give_up "iam-sync --dry-run: $(tail -n 3 "$work/dry-run.txt")"
head -n 12 "$work/dry-run.txt" | sed 's/^/     /'
echo "     ... ($(wc -l <"$work/dry-run.txt") lines)"
tap_ok "iam-sync --dry-run shows what would change"
[ ! -e /var/lib/nss-iam/passwd.mdb ] ||
    give_up "the dry run wrote nothing"
show sync_now --verbose || give_up "iam-sync publishes the snapshot"
tap_ok "iam-sync published /var/lib/nss-iam/passwd.mdb with the policy's credentials"
show sync_now --status || give_up "iam-sync --status"
tap_ok "iam-sync --status reports the snapshot's age and counts"

say "Every process now sees the IAM users (nsswitch: passwd: files iam)"
show getent passwd alice first.last.at.example.com ||
    give_up "getent passwd finds IAM users"
tap_ok "getent passwd: IAM users, @ mapped to .at., uid from the IAM UserId"
show id alice || give_up "id alice"
tap_ok "id: private group, ssh-users, iam-sudo, iam-users"
if getent passwd grace root-iam >/dev/null; then
    give_up "users outside the authorized groups are unknown"
fi
tap_ok "grace (no authorized group) is unknown to getent"

say "sshd's AuthorizedKeysCommand answers from the snapshot"
# As sshd calls it: the name, then its uid (%U); without the uid it
# prints no key.
printf '   $ iam-authorized-keys -- alice %s\n' "$(id -u alice)"
"$run/bin/iam-authorized-keys" --config "$cfg" -- alice "$(id -u alice)" \
    >"$work/keys.txt" ||
    give_up "the keys command answers"
cut -c1-60 "$work/keys.txt" | sed 's/$/.../; s/^/     /'
grep -q ' iam:alice$' "$work/keys.txt" || give_up "alice's keys are listed"
tap_ok "iam-authorized-keys prints alice's Active IAM keys, canonical"

say "Real ssh logins against a real sshd"
sshd_env_start "$cfg" 2>"$work/env.err" || give_up "$(cat "$work/env.err")"
tap_ok "sshd listens on 127.0.0.1:$port with the shipped drop-in"
alice_key=$(key private_key alice 0)
# shellcheck disable=SC2016 # $HOME expands in alice's session
if show ssh_as "$alice_key" alice 'id && sudo -n true && echo "sudo: yes" && stat -c "home %n %U %a" "$HOME"'; then
    tap_ok "alice logs in with her IAM key, has sudo, home made by pam_mkhomedir"
else
    give_up "alice logs in"
fi
# He is in (the session runs and reports), and sudo says no (status 1).
out=$(ssh_as "$(key private_key bob.smith 0)" bob.smith \
    'id -un; sudo -n true 2>/dev/null; echo "sudo status $?"' 2>&1)
printf '     %s\n' "$out"
[ "$out" = "$(printf 'bob.smith\nsudo status 1')" ] ||
    give_up "bob.smith logs in, but sudo refuses him"
tap_ok "bob.smith logs in, but sudo refuses him (not in admins)"
refused "$(key private_key bob.smith 2)" bob.smith ||
    give_up "an Inactive key is refused"
tap_ok "bob.smith's Inactive key is refused"
refused "$(key private_key grace 0)" grace || give_up "grace is refused"
tap_ok "grace, outside the authorized groups, is refused"

say "Revocation: delete alice's key in IAM, sync, and the key stops working"
# The operator's call, made with moto's checks off for that call only.
if ! moto_auth_off "$work/moto" ||
    ! python3 -c 'import sys, boto3
boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
             aws_access_key_id="admin", aws_secret_access_key="admin"
             ).delete_ssh_public_key(UserName="alice", SSHPublicKeyId=sys.argv[2])' \
        "$url" "$(key SSHPublicKeyId alice 0)" ||
    ! moto_enforce "$work/moto"; then
    give_up "deleting alice's key in IAM"
fi
show sync_now --verbose || give_up "iam-sync after the deletion"
refused "$alice_key" alice || give_up "the deleted key is refused"
tap_ok "after the next sync the deleted key is refused"
show ssh_as "$(key private_key alice 1)" alice 'echo "alice, other key: still in"' ||
    give_up "alice's other key still works"
tap_ok "alice's other, still Active key keeps working"

say "Done"
echo "   Everything ran in a private mount namespace: the host's /etc,"
echo "   /var/lib and /home were not touched; moto and sshd are stopped."
tap_done
echo "$tap_n passed, 0 failed"
