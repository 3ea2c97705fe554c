#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-root.sh - issue 11, item 9: `postern check` run as root becomes
# the agent's user before it runs password_command or touches the
# network: the command records its uid, and the TCP connection to the
# relay belongs to that user.  Needs root and the agent's user.
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
[ -x "$POSTERN" ] || skip_all "postern not built"
need_root
agent_user=$("$POSTERND" --help | sed -n "s/.*drops to the user '\\([^']*\\)'.*/\\1/p")
id -u "$agent_user" >/dev/null 2>&1 ||
	skip_all "the agent's user $agent_user does not exist"
agent_uid=$(id -u "$agent_user")

agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
mkdir -m 777 "$T/pw"
cat >"$T/pw/cmd" <<EOF2
#!/bin/sh
id -u >$T/pw/uid
echo s3cret
EOF2
chmod 755 "$T/pw/cmd"
{
	printf '[postern]\nspool_dir = %s\nsecrets_file = %s\n' "$SPOOL" \
	    "$SECRETS"
	printf 'agent_program = %s\nhostname = agent.test\n' "$POSTERND"
	printf 'domain = example.org\nlog = stderr\n'
	printf '[relay]\nhost = 127.0.0.1\nport = %s\ntls = starttls\n' \
	    "$SMARTHOST_PORT"
	printf 'tls_ca_file = %s\nuser = alice@example.org\n' "$C/ca.pem"
	printf 'password_command = %s\n' "$T/pw/cmd"
} >"$CONF"
chmod 644 "$CONF"
: >"$SECRETS"
chmod 600 "$SECRETS"
chown "$agent_user" "$SECRETS"

timeout 60 "$POSTERN" check -C "$CONF" --no-dns >"$T/out" 2>"$T/err" ||
	diag "$(cat "$T/out" "$T/err")"
like "$(cat "$T/out")" 'AUTH' "the check reached AUTH"
is "$(cat "$T/pw/uid" 2>/dev/null)" "$agent_uid" \
    "password_command ran as $agent_user (uid $agent_uid), not root"
# the smarthost notes the uid owning each client socket (/proc/net/tcp)
like "$(grep -- '-- client uid' "$SMARTHOST_DIR/transcript.log")" \
    "client uid $agent_uid" "the relay was reached by $agent_user"
unlike "$(grep -- '-- client uid' "$SMARTHOST_DIR/transcript.log")" \
    'client uid 0$' "never by root"
done_testing
