#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-oauth.sh - OAuth2 built into posternd, end to end: sendmail ->
# spool -> posternd -> the test smarthost, which takes XOAUTH2 or
# OAUTHBEARER only with a live token from the test authorization server
# (tests/lib/oauthsrv.py, HTTPS with the test CA).
#  - client_credentials (Microsoft's endpoint built from oauth_authority
#    and oauth_tenant, the Exchange Online scope by default): delivered,
#    one token request for several messages and sessions;
#  - refresh_token (Google's /token): delivered;
#  - tokens living 2 s through a long queue: renewed, every message
#    delivered, far fewer token requests than messages;
#  - a token the server refuses: dropped, fetched once more, delivered;
#  - Microsoft rotates refresh tokens: the new one is in the token file
#    (mode 600) before it is used, and survives an agent restart; a
#    SIGKILL between the token answer and the rename leaves the old one,
#    which still works;
#  - endpoint errors (AADSTS7000215, expired secret), endpoint down, and
#    endpoint slow past [timeouts] oauth: the message deferred, the relay
#    down with the reason in plain words, no bounce, within bounded time;
#  - no secret (client secret, refresh or access token) in any log at -v.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/oauthsrv.sh"

CID=11111111-2222-3333-4444-555555555555
SECRET='cs~Secret.Value_1'
GCID=1234567890-abc.apps.googleusercontent.com
GSECRET=GOCSPX-testsecret
RT0=rt-initial-refresh-token-0
printf 'Subject: oauth\n\nbody\n' >"$T/body"

# the real front end, as the submitting user
mkdir -p "$T/bin"
ln -sf "$BUILT/postern" "$T/bin/sendmail"

# clients CID-JSON... - the authorization server's registered clients
clients() {
	cat >"$OAUTHSRV_DIR/clients.json"
}

# oconf PORT FLOW [relay lines...] - agent_conf with the OAuth2 lines
oconf() {
	_oc_port=$1
	_oc_flow=$2
	shift 2
	AGENT_QUEUE_EXTRA=${AGENT_QUEUE_EXTRA:-} agent_conf "$_oc_port" \
	    "$SECRET" "oauth_flow = $_oc_flow" "oauth_ca_file = $C/ca.pem" \
	    "$@"
	sed -i "s|^\\[postern\\]\$|&\\ndrop_program = $DROP\\naliases =|" \
	    "$CONF"
	# [timeouts] oauth: a slow endpoint must not hold a delivery long
	sed -i "s|^quit = 5s\$|quit = 5s\\noauth = ${OAUTH_TIMEOUT:-5s}|" \
	    "$CONF"
}

# submit N - N messages through sendmail
submit() {
	_sb_i=0
	while [ $_sb_i -lt "$1" ]; do
		$AS "$T/bin/sendmail" -C "$CONF" -f bob@example.org \
		    carol@example.net <"$T/body" 2>>"$T/sendmail.err" ||
			diag "sendmail failed: $(cat "$T/sendmail.err")"
		_sb_i=$((_sb_i + 1))
	done
}

# start_sh MECH - the smarthost taking MECH with a live token only
start_sh() {
	smarthost_start "$T/sh-$1-$$-$(date +%s%N)" --starttls $TLSOPTS \
	    --auth "$1" --user alice@example.org \
	    --oauth-live "$OAUTHSRV_DIR/live" ||
		bail_out "smarthost did not start"
}

# refresh_file - the refresh token file's default path
refresh_file() {
	echo "$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.refresh"
}

# put_refresh TOKEN - the refresh token file, as postern oauth login
# would leave it
put_refresh() {
	mkdir -p -m 700 "$SPOOL/state/oauth"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SPOOL/state/oauth"
	printf '%s\n' "$1" >"$(refresh_file)"
	chmod 600 "$(refresh_file)"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$(refresh_file)"
}

# deferred NAME REASON-ERE - the message is still queued, the relay is
# down with a reason matching REASON-ERE, no bounce
deferred() {
	is "$(smarthost_count "$SMARTHOST_DIR")" 0 "$1: nothing delivered"
	is "$(count "$SPOOL/cur")" 1 "$1: the message stays queued"
	is "$(count "$SPOOL/new")$(count "$SPOOL/failed")" 00 \
	    "$1: no bounce, nothing failed"
	like "$(cat "$SPOOL/state/relays")" "down .*$2" \
	    "$1: relay down with the reason in plain words"
	unlike "$(cat "$T/agent.log")" 'status=bounced' "$1: never bounced"
}

oauthsrv_start "$T/oauth" "$C" --token-life 3600 ||
	bail_out "oauthsrv did not start"
AUTHORITY=127.0.0.1:$OAUTHSRV_PORT
clients <<J
{"$CID": {"secret": "$SECRET", "tenant": "contoso", "rotate": true,
	  "refresh_tokens": ["$RT0"]},
 "$GCID": {"secret": "$GSECRET", "rotate": false,
	   "refresh_tokens": ["$RT0"]}}
J

# ------------------------------------------------ client credentials
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
AGENT_QUEUE_EXTRA=session_max_messages=1 oconf "$SMARTHOST_PORT" \
    client_credentials "oauth_tenant = contoso" \
    "oauth_authority = $AUTHORITY" "oauth_client_id = $CID"
submit 3
$AS timeout 60 "$POSTERND" --once -v -C "$CONF" 2>>"$T/agent.log"
is "$(smarthost_count "$SMARTHOST_DIR")" 3 \
    "client_credentials: three messages delivered"
is "$(grep -c 'C: AUTH XOAUTH2' "$SMARTHOST_DIR/transcript.log")" 3 \
    "client_credentials: three sessions, each with XOAUTH2"
is "$(oauthsrv_requests client_credentials)" 1 \
    "client_credentials: one token request for three sessions"
like "$(tail -1 "$OAUTHSRV_DIR/requests.jsonl")" \
    '"scope": "https://outlook.office365.com/.default"' \
    "client_credentials: the Exchange Online scope by default"
like "$(tail -1 "$OAUTHSRV_DIR/requests.jsonl")" \
    '"path": "/contoso/oauth2/v2.0/token"' \
    "client_credentials: the endpoint from oauth_authority and oauth_tenant"
smarthost_stop

# ------------------------------------------------ refused token retried
agent_spool
: >"$T/agent.log"
start_sh OAUTHBEARER
oconf "$SMARTHOST_PORT" client_credentials "oauth_tenant = contoso" \
    "oauth_authority = $AUTHORITY" "oauth_client_id = $CID"
# a token the agent believes good, which the server does not know
mkdir -m 700 "$SPOOL/state/oauth"
printf '%s at-revoked-by-the-server\n' "$(($(date +%s) * 1000 + 600000))" \
    >"$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.access"
chmod 600 "$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.access"
[ -z "$AS" ] || chown -R "${TEST_USER_PREFIX}1:" "$SPOOL/state"
n0=$(oauthsrv_requests)
submit 1
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 \
    "refused token: dropped, fetched again, delivered"
is "$(($(oauthsrv_requests) - n0))" 1 "refused token: one new token request"
like "$(cat "$T/agent.log")" 'refused the OAuth2 token' \
    "refused token: the log says so"
smarthost_stop

# ------------------------------------------------ refresh token (Google)
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
oconf "$SMARTHOST_PORT" refresh_token "oauth_client_id = $GCID" \
    "oauth_token_endpoint = https://localhost:$OAUTHSRV_PORT/token" \
    "oauth_scope = https://mail.google.com/"
printf '127.0.0.1:%s %s\n' "$SMARTHOST_PORT" "$GSECRET" >"$SECRETS"
put_refresh "$RT0"
submit 2
agent_once -v
is "$(smarthost_count "$SMARTHOST_DIR")" 2 "refresh_token: delivered"
is "$(cat "$(refresh_file)")" "$RT0" \
    "refresh_token: not rotated by Google: the file unchanged"
smarthost_stop

# ------------------------------------------------ rotation (Microsoft)
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
oconf "$SMARTHOST_PORT" refresh_token "oauth_tenant = contoso" \
    "oauth_authority = $AUTHORITY" "oauth_client_id = $CID" \
    "oauth_scope = https://outlook.office.com/SMTP.Send offline_access"
put_refresh "$RT0"
submit 1
agent_once -v
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "rotation: delivered"
rt1=$(cat "$(refresh_file)")
like "$rt1" '^rt-' "rotation: the rotated refresh token is in the file"
is "$(stat -c %a "$(refresh_file)")" 600 "rotation: the file is mode 600"
# an agent restart uses the new one (and forgets its access token)
rm -f "$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.access"
clients <<J
{"$CID": {"secret": "$SECRET", "tenant": "contoso", "rotate": true}}
J
submit 1
agent_once -v
is "$(smarthost_count "$SMARTHOST_DIR")" 2 \
    "rotation: after a restart the saved refresh token works (the old one \
is revoked)"
rt2=$(cat "$(refresh_file)")
ok "rotation: rotated again" test "$rt2" != "$rt1"
# SIGKILL between the token answer and the rename: the old token stays
# (the agent's first rename(2) is the refresh token's: the queue uses
# renameat2)
if command -v strace >/dev/null 2>&1; then
	rm -f "$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.access"
	submit 1
	mkdir -p "$T/run"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T/run"
	$AS strace -f -o "$T/run/strace.out" \
	    -e trace=rename \
	    -e inject=rename:signal=KILL:when=1 \
	    "$POSTERND" --once -C "$CONF" 2>>"$T/agent.log"
	like "$(tr '\n' ' ' <"$T/run/strace.out")" \
	    'rename\(.*\.refresh\.tmp[0-9]+", ".*\.refresh"\) = \?.*killed by' \
	    "SIGKILL before the rename: the agent was killed at the rename"
	is "$(cat "$(refresh_file)")" "$rt2" \
	    "SIGKILL before the rename: the file holds the old token, whole"
	is "$(smarthost_count "$SMARTHOST_DIR")" 2 \
	    "SIGKILL before the rename: nothing sent"
	agent_once -v
	is "$(smarthost_count "$SMARTHOST_DIR")" 3 \
	    "SIGKILL before the rename: the next run delivers (old token)"
	ok "SIGKILL before the rename: and saves the next rotation" \
	    test "$(cat "$(refresh_file)")" != "$rt2"
else
	skip "strace not installed" 5
fi
smarthost_stop
clients <<J
{"$CID": {"secret": "$SECRET", "tenant": "contoso", "rotate": true,
	  "refresh_tokens": ["$RT0"]},
 "$GCID": {"secret": "$GSECRET", "rotate": false,
	   "refresh_tokens": ["$RT0"]}}
J

# ------------------------------------------------ errors, deferred
# errcase NAME FAULT REASON-ERE - the endpoint answers FAULT
errcase() {
	agent_spool
	: >"$T/agent.log"
	start_sh XOAUTH2
	oconf "$SMARTHOST_PORT" client_credentials "oauth_tenant = contoso" \
	    "oauth_authority = $AUTHORITY" "oauth_client_id = $CID"
	printf '%s\n' "$2" >"$OAUTHSRV_DIR/fault"
	submit 1
	agent_once
	rm -f "$OAUTHSRV_DIR/fault"
	deferred "$1" "$3"
	smarthost_stop
}
errcase "wrong secret" AADSTS7000215 'client secret is wrong.*AADSTS7000215'
errcase "expired secret" AADSTS7000222 'client secret has expired'
errcase "no consent" AADSTS65001 'admin consent'

# endpoint down: nothing listens on its port
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
dead=$(free_port)
oconf "$SMARTHOST_PORT" client_credentials "oauth_client_id = $CID" \
    "oauth_token_endpoint = https://127.0.0.1:$dead/contoso/oauth2/v2.0/token" \
    "oauth_scope = https://outlook.office365.com/.default"
submit 1
t0=$(date +%s)
agent_once
t1=$(date +%s)
deferred "endpoint down" 'no OAuth2 token from https://127\.0\.0\.1'
ok "endpoint down: within a few seconds" test $((t1 - t0)) -le 10
smarthost_stop

# endpoint slow: past [timeouts] oauth (2 s)
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
OAUTH_TIMEOUT=2s oconf "$SMARTHOST_PORT" client_credentials \
    "oauth_tenant = contoso" "oauth_authority = $AUTHORITY" \
    "oauth_client_id = $CID"
echo slow:8 >"$OAUTHSRV_DIR/fault"
submit 1
t0=$(date +%s)
agent_once
t1=$(date +%s)
rm -f "$OAUTHSRV_DIR/fault"
deferred "endpoint slow" 'no OAuth2 token from .*(Timeout|timed out)'
ok "endpoint slow: given up after [timeouts] oauth" test $((t1 - t0)) -le 6
smarthost_stop

# ------------------------------------------------ short-lived tokens
oauthsrv_stop
oauthsrv_start "$T/oauth2" "$C" --token-life 2 ||
	bail_out "oauthsrv did not start"
AUTHORITY=127.0.0.1:$OAUTHSRV_PORT
clients <<J
{"$CID": {"secret": "$SECRET", "tenant": "contoso"}}
J
agent_spool
: >"$T/agent.log"
start_sh XOAUTH2
AGENT_QUEUE_EXTRA="concurrency=2 session_max_messages=1 rate_limit=2
rate_period=1s" oconf "$SMARTHOST_PORT" client_credentials \
    "oauth_tenant = contoso" "oauth_authority = $AUTHORITY" \
    "oauth_client_id = $CID"
submit 12
agent_start
smarthost_wait_count "$SMARTHOST_DIR" 12 40
is "$(smarthost_count "$SMARTHOST_DIR")" 12 \
    "2 s tokens: all twelve messages of a long queue delivered"
agent_stop
n=$(oauthsrv_requests client_credentials)
ok "2 s tokens: renewed ($n requests), never once per message" \
    test "$n" -ge 2 -a "$n" -lt 12
unlike "$(cat "$T/agent.log")" 'status=(bounced|deferred)' \
    "2 s tokens: nothing deferred or bounced"
smarthost_stop

# ------------------------------------------------ no secret in the logs
logs=$(cat "$T"/agent.log "$T"/sendmail.err 2>/dev/null)
unlike "$logs" "$(printf '%s' "$SECRET" | sed 's/[.~]/./g')" \
    "logs: no client secret"
unlike "$logs" "$GSECRET" "logs: no Google client secret"
unlike "$logs" 'rt-[A-Za-z0-9_-]{8}|rt-initial' "logs: no refresh token"
unlike "$logs" 'at-[A-Za-z0-9_-]{8}' "logs: no access token"

done_testing
