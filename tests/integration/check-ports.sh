#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-ports.sh - `postern check` when the configured port is filtered
# or refused: it tries the provider's other submission ports
# and names the one that works with the exact lines to change.  The whole
# test runs in a private network namespace (unshare -n), where nft drops
# the SYNs of chosen ports (filtered: a SYN never answered), nothing
# listens on others (refused), and test smarthosts answer with implicit
# TLS or STARTTLS on the provider's real port numbers.  A preset's host
# is pointed at 127.0.0.1 with host = (its port list stays the
# preset's).  Checked: the exact advice line, the detail line of every
# port tried, no port switched in the file, nothing but EHLO and QUIT
# sent to a probed port, the relay without a preset (587 and 465), and
# the rate_limit hint from a preset's published limit at its boundary.
if [ -z "${CHECK_PORTS_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (a network namespace and nft)"
		exit 0
	fi
	for _cmd in unshare nft ip; do
		if ! command -v "$_cmd" >/dev/null 2>&1; then
			echo "1..0 # SKIP $_cmd is not installed"
			exit 0
		fi
	done
	if ! unshare -n true 2>/dev/null; then
		echo "1..0 # SKIP unshare -n is not allowed here"
		exit 0
	fi
	CHECK_PORTS_NS=1 exec unshare -n sh "$0" "$@"
fi
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
[ -x "$POSTERN" ] || skip_all "postern not built"
ip link set lo up || bail_out "cannot bring lo up in the namespace"

# drop PORT... - filter exactly these ports (outgoing SYNs vanish)
drop() {
	nft flush ruleset || bail_out "nft flush failed"
	nft add table inet ckp &&
	    nft add chain inet ckp out '{ type filter hook output priority 0; }' ||
		bail_out "nft table failed"
	for _d_p in "$@"; do
		nft add rule inet ckp out tcp dport "$_d_p" drop ||
			bail_out "nft rule for $_d_p failed"
	done
}

# conf LINES... - one relay of LINES at 127.0.0.1, connect = 1s
conf() {
	{
		printf '[postern]\nspool_dir = %s\nsecrets_file = %s\n' \
		    "$SPOOL" "$SECRETS"
		printf 'agent_program = %s\ndrop_program = %s\n' \
		    "$POSTERND" "$DROP"
		printf 'hostname = agent.test\ndomain = example.org\n'
		printf 'log = stderr\n[timeouts]\nconnect = 1s\ngreeting = 2s\n'
		printf '[relay]\nhost = 127.0.0.1\n'
		for _c_l in "$@"; do
			printf '%s\n' "$_c_l"
		done
	} >"$CONF"
	chmod 644 "$CONF"
}

# ck - postern check as the test user; output in $T/out, status in $rc
ck() {
	$AS timeout 120 "$POSTERN" check -C "$CONF" >"$T/out" 2>"$T/err"
	rc=$?
}

# advice - the check's line about the other ports
advice() {
	grep -E '^\[(warn|FAIL)\] connect: [0-9]+ is (blocked|refused) here' \
	    "$T/out" | head -n 1
}

agent_spool
: >"$SECRETS"
chmod 600 "$SECRETS"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SECRETS"

smarthost_start "$T/s465" --port 465 --implicit-tls $TLSOPTS ||
	bail_out "no implicit-TLS smarthost on 465"
S465=$SMARTHOST_DIR
smarthost_start "$T/s2525" --port 2525 --starttls $TLSOPTS ||
	bail_out "no STARTTLS smarthost on 2525"
S2525=$SMARTHOST_DIR

# ------------------------------------------- 587 filtered, preset sendgrid
drop 587
conf 'preset = sendgrid'
ck
is "$rc" 1 "587 filtered: the check fails (connect)"
like "$(grep -F '[FAIL] connect: 127.0.0.1:587' "$T/out")" 'timed out' \
    "587 filtered: the connect step times out"
is "$(advice | sed 's/ ([0-9]* ms)$//')" \
    "[warn] connect: 587 is blocked here; 465 answers with TLS: set port = 465 and tls = implicit" \
    "587 filtered: 465 named with the exact lines to change"
like "$(cat "$T/out")" '       port 465: answers with TLS \(implicit\)
       port 2525: answers with STARTTLS
       port 25: refused \(nothing listens\)' \
    "587 filtered: every other sendgrid port tried, each with its verdict"
like "$(grep -E '^(port|tls) = ' "$CONF" | tr '\n' ' ')" '^$' \
    "the configuration is left alone: no port or tls line written"
tr=$(cat "$S2525/transcript.log" 2>/dev/null)
like "$tr" 'C: EHLO agent\.test' "the STARTTLS port was asked EHLO"
unlike "$tr" 'C: (AUTH|MAIL|RCPT|DATA|STARTTLS)' \
    "the probe sends nothing but EHLO and QUIT"

# ------------------------ 25 refused, 587 and 465 filtered: 2525 STARTTLS
drop 587 465
conf 'preset = sendgrid' 'port = 25' 'tls = starttls'
ck
like "$(grep -F '[FAIL] connect: 127.0.0.1:25' "$T/out")" 'connection refused' \
    "25 refused: the connect step says so"
is "$(advice | sed 's/ ([0-9]* ms)$//')" \
    "[warn] connect: 25 is refused here; 2525 answers with STARTTLS: set port = 2525 and tls = starttls" \
    "25 refused, 587 and 465 filtered: 2525 with STARTTLS"
like "$(cat "$T/out")" '       port 587: blocked \(no answer\)
       port 465: blocked \(no answer\)
       port 2525: answers with STARTTLS' \
    "25 refused: 587 and 465 blocked, 2525 answers"

# ------------------------------- no preset: 587 filtered, then 587 and 465
drop 587
conf 'port = 587' 'tls = starttls'
ck
is "$(advice | sed 's/ ([0-9]* ms)$//')" \
    "[warn] connect: 587 is blocked here; 465 answers with TLS: set port = 465 and tls = implicit" \
    "no preset, 587 filtered: 465 tried and named"
unlike "$(cat "$T/out")" 'port 2525' "no preset: only 587 and 465 are tried"
drop 587 465
ck
is "$(advice | sed 's/ ([0-9]* ms)$//')" \
    "[FAIL] connect: 587 is blocked here, and 465 gives no way out either: a firewall on this host or its network blocks outgoing mail ports: open one of them, or relay through a host that can reach the provider" \
    "no preset, 587 and 465 filtered: no way out, and why"

# ------------------------------------------------ a port that works: quiet
drop
conf 'preset = sendgrid' 'port = 2525' 'tls = starttls'
ck
is "$(advice)" "" "the configured port answers: no port advice"

# --------------------------- a published limit: the rate_limit hint
# gmail publishes Google Workspace's 2,000 messages a day: the hint names
# it with the lines to add, and goes quiet at or under it
limit_line() {
	grep -F '[warn] configuration: Gmail accepts about 2000' "$T/out"
}
conf 'preset = gmail' 'port = 2525' 'tls = starttls'
ck
like "$(limit_line)" 'Gmail accepts about 2000 messages per 1d: set rate_limit = 2000 and rate_period = 1d in \[queue\]' \
    "gmail without rate_limit: the limit and the lines to add"
sed -i 's/^\[timeouts\]/[queue]\nrate_limit = 2000\nrate_period = 1d\n[timeouts]/' "$CONF"
ck
is "$(limit_line)" "" "gmail with rate_limit = 2000 a day: no hint"
sed -i 's/^rate_limit = 2000/rate_limit = 2001/' "$CONF"
ck
like "$(limit_line)" 'rate_limit = 2000' "rate_limit = 2001 a day: over the limit, hinted"
sed -i 's/^rate_limit = 2001/rate_limit = 2/; s/^rate_period = 1d/rate_period = 1m/' "$CONF"
ck
like "$(limit_line)" 'rate_limit = 2000' "2 a minute (2880 a day): over the limit, hinted"
sed -i 's/^rate_period = 1m/rate_period = 2m/' "$CONF"
ck
is "$(limit_line)" "" "2 per 2 minutes (1440 a day): under the limit, no hint"

# a preset that publishes no limit never hints, whatever the rate
no_limit_line() {
	grep -F 'accepts about' "$T/out"
}
conf 'preset = sendgrid' 'port = 2525' 'tls = starttls'
ck
is "$(no_limit_line)" "" "a preset without a published limit: no rate_limit hint"
sed -i 's/^\[timeouts\]/[queue]\nrate_limit = 1\nrate_period = 1m\n[timeouts]/' "$CONF"
ck
is "$(no_limit_line)" "" "a preset without a published limit, any rate: no hint"

# ------------------------------------------- OAuth2 demanded by the preset
conf 'preset = office365' 'port = 2525' 'user = a@example.org'
ck
like "$(cat "$T/out")" '\[warn\] configuration: Microsoft 365 \(Exchange Online\) requires OAuth2: set oauth_flow \(postern.conf\(5\), OAuth2\) or token_command' \
    "office365 without token_command: OAuth2 named"
conf 'preset = office365' 'port = 2525' 'user = a@example.org' \
    'token_command = /bin/echo token'
ck
unlike "$(cat "$T/out")" 'requires OAuth2' "office365 with token_command: no warning"

# ------------------------------------------------ the --json form
drop 587
conf 'preset = sendgrid'
$AS timeout 120 "$POSTERN" check --json -C "$CONF" >"$T/out" 2>"$T/err"
is "$(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["steps"] if x["step"] == "connect" and x["status"] == "warn"]
print(s[0]["message"]); print(s[0]["details"][0])' "$T/out")" \
    "587 is blocked here; 465 answers with TLS: set port = 465 and tls = implicit
port 465: answers with TLS (implicit)" "--json: the advice and its details"

done_testing
