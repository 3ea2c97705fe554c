# SPDX-License-Identifier: GPL-2.0-or-later
# agent-common.sh - shared setup for the tests/integration/agent-*.sh
# tests: a private spool, test certificates, a smarthost (tests/lib), a
# configuration and secrets file for it, and helpers that queue messages
# through the real src/postern-drop and run the real src/posternd.
# Sourced, never run.  Runs unprivileged: the agent then keeps the
# invoking user (see posternd --help).  Under POSTERN_VALGRIND=1
# (tests/lib/valgrind.sh) $POSTERND and $DROP are valgrind wrappers.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/smarthost.sh"
. "$top_srcdir/tests/lib/valgrind.sh"

[ -x "$top_builddir/src/posternd" ] && [ -x "$top_builddir/src/postern-drop" ] ||
	skip_all "posternd or postern-drop not built"
need_cmd certtool
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed for /usr/bin/python3"

tmpdir_make
# the copies in $BUILT (tests/lib/common.sh): the test user runs them
POSTERND=$BUILT/posternd
DROP=$BUILT/postern-drop
if vg_enabled; then
	vg_setup
	POSTERND=$(vg_wrap posternd "$POSTERND")
	DROP=$(vg_wrap postern-drop "$DROP")
fi
# As root (CI), the agent would drop to the real POSTERN_USER: run the
# drop helper and the agent as a test user instead, as a developer would.
AS=
if [ "$(id -u)" = 0 ]; then
	make_test_users 1 || bail_out "cannot create test users"
	AS="run_as ${TEST_USER_PREFIX}1"
fi
# The retry back-off of agent_conf, and how long to wait for a deferred
# message to be due again: valgrind makes each run last more than 1 s
AGENT_RETRY_MIN=1s
AGENT_RETRY_MAX=2s
AGENT_RETRY_WAIT=2.5
if vg_enabled; then
	AGENT_RETRY_MIN=4s
	AGENT_RETRY_MAX=5s
	AGENT_RETRY_WAIT=6
fi
C=$T/certs
sh "$TESTLIB/certs.sh" "$C" >/dev/null 2>&1 || bail_out "certs.sh failed"
SPOOL=$T/spool
CONF=$T/postern.conf
SECRETS=$T/secrets
TLSOPTS="--tls-cert $C/server.pem --tls-key $C/server-key.pem"

# agent_spool - a fresh, empty spool
agent_spool() {
	rm -rf "$SPOOL"
	mkdir -p "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/cur" "$SPOOL/failed" \
	    "$SPOOL/state"
	[ -z "$AS" ] || chown -R "${TEST_USER_PREFIX}1:" "$SPOOL"
}

# agent_conf PORT [PASSWORD] [extra relay lines...] - config + secrets for
# one STARTTLS+AUTH relay at 127.0.0.1:PORT (user alice@example.org);
# AGENT_QUEUE_EXTRA adds [queue] key=value words, AGENT_CONCURRENCY sets
# concurrency (default 1; "default" leaves the built-in value)
agent_conf() {
	_ac_port=$1
	_ac_pw=${2:-s3cret}
	if [ $# -ge 2 ]; then shift 2; else shift $#; fi
	{
		printf '[postern]\nspool_dir = %s\nsecrets_file = %s\n' \
		    "$SPOOL" "$SECRETS"
		printf 'hostname = agent.test\ndomain = example.org\n'
		printf 'log = stderr\n'
		printf '[queue]\nretry_min = %s\nretry_max = %s\n' \
		    "$AGENT_RETRY_MIN" "$AGENT_RETRY_MAX"
		printf 'scan_interval = 1m\nsession_idle = 2s\n'
		# one session unless the test asks (the tests that count
		# sessions, handshakes and resumptions expect one);
		# AGENT_CONCURRENCY=default writes nothing (built-in: 2)
		case " ${AGENT_QUEUE_EXTRA:-} " in
		*concurrency=*) ;;
		*)	[ "${AGENT_CONCURRENCY:-1}" = default ] ||
			    printf 'concurrency = %s\n' \
			    "${AGENT_CONCURRENCY:-1}" ;;
		esac
		printf '%s\n' ${AGENT_QUEUE_EXTRA:-}
		printf '[timeouts]\nconnect = 5s\ngreeting = 5s\nehlo = 5s\n'
		printf 'starttls = 5s\nauth = 5s\nmail = 5s\nrcpt = 5s\n'
		printf 'data = 5s\ndata_block = 5s\ndata_end = 5s\n'
		printf 'rset = 5s\nquit = 5s\n'
		printf '[relay]\nhost = 127.0.0.1\nport = %s\n' "$_ac_port"
		printf 'tls = starttls\ntls_ca_file = %s\n' "$C/ca.pem"
		printf 'user = alice@example.org\n'
		for _ac_l in "$@"; do
			printf '%s\n' "$_ac_l"
		done
	} >"$CONF"
	printf '127.0.0.1:%s %s\n' "$_ac_port" "$_ac_pw" >"$SECRETS"
	chmod 600 "$SECRETS"
	chmod 644 "$CONF"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SECRETS"
}

# agent_queue FROM BODYFILE RCPT... - queue through the real postern-drop
# (with $DROP_CONF when set, else $CONF); prints the queue id.
# $AGENT_ENVELOPE_EXTRA: more request records (B E N F lines, in that
# order, separated by newlines) after the R lines.
agent_queue() {
	_aq_from=$1
	_aq_body=$2
	shift 2
	{
		printf 'V 1\n'
		if [ -n "$_aq_from" ]; then
			printf 'S %s\n' "$_aq_from"
		else
			printf 'S\n'
		fi
		for _aq_r in "$@"; do
			printf 'R %s\n' "$_aq_r"
		done
		[ -z "${AGENT_ENVELOPE_EXTRA:-}" ] ||
			printf '%s\n' "$AGENT_ENVELOPE_EXTRA"
		printf '\n'
		printf 'C %d\n' "$(wc -c <"$_aq_body")"
		cat "$_aq_body"
		printf 'E %d\n' "$(wc -c <"$_aq_body")"
	} | $AS "$DROP" -C "${DROP_CONF:-$CONF}" 2>"$T/drop.err"
}

# agent_start - the resident daemon in the background (as $AS), stderr to
# $T/agent.log; its pid in $AGENT_PID, killed at exit; $AGENT_JOB is the
# shell's job for it (`wait $AGENT_JOB` gives the agent's exit status)
agent_start() {
	mkdir -p "$T/run"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T/run"
	rm -f "$T/run/agent.pid"
	$AS sh -c 'echo $$ >"$0"; exec "$@"' "$T/run/agent.pid" \
	    "$POSTERND" -f -C "$CONF" </dev/null >/dev/null 2>>"$T/agent.log" &
	AGENT_JOB=$!
	wait_for_file "$T/run/agent.pid" || bail_out "posternd did not start"
	AGENT_PID=$(cat "$T/run/agent.pid")
	cleanup_push "kill $AGENT_PID 2>/dev/null"
	wait_until 10 grep -q 'posternd: started' "$T/agent.log" ||
		bail_out "posternd did not come up"
}

# agent_gone - true once the daemon of agent_start has exited
agent_gone() {
	! kill -0 "$AGENT_PID" 2>/dev/null
}

# agent_stop - SIGTERM the daemon and wait for it
agent_stop() {
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait_until 20 agent_gone
}

# agent_once [ARGS] - run posternd --once; stderr to $T/agent.log
agent_once() {
	$AS timeout 60 "$POSTERND" --once -C "$CONF" "$@" 2>>"$T/agent.log"
}

# count DIR - number of entries in DIR
count() {
	ls -A "$1" | wc -l | tr -d ' '
}

# eml N - the Nth message the smarthost received, CRLF turned into LF and
# the trace headers it may add removed, and postern-drop's own trace field
# (the first two lines, "Received: by ... (postern, from userid N)" and
# its folded "id" line; sendmail-received.sh tests it)
eml() {
	tr -d '\r' <"$SMARTHOST_DIR/$(printf %04d "$1").eml" |
	    grep -v '^X-Peer:\|^X-MailFrom:\|^X-RcptTo:' |
	    sed '1{/^Received: by .* (postern, from userid [0-9]*)$/{N;d;}}'
}
