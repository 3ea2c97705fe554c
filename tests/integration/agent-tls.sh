#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-tls.sh - the agent's TLS policy against the scriptable smarthost:
# a certificate for the wrong name, a self-signed one, an expired one, or
# one signed by a CA the configuration does not trust (another CA in
# tls_ca_file, or the system store) -> nothing delivered and no AUTH
# sent, the message stays queued, the relay is marked down with the
# exact reason in state/relays and the log, no bounce.  STARTTLS not
# advertised while required -> nothing sent in clear.  Pins (certificate
# and public-key forms) replace the CA check; a wrong pin is refused with
# the pin message.  Implicit TLS delivers.  tls_verify = no delivers with
# a warning.  With session_max_messages = 1, the second and third
# sessions resume the first one's TLS session (agent log and server side).
. "$top_srcdir/tests/integration/agent-common.sh"

printf 'Subject: tls\n\nbody\n' >"$T/body"
SHAUTH="--auth PLAIN --user alice@example.org --password s3cret"

# another CA, unrelated to the one that signed server.pem
mkdir -p "$T/other"
certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
    --outfile "$T/other/ca-key.pem" 2>/dev/null &&
printf 'cn = "another CA"\nserial = 7\nexpiration_days = 30\nca\ncert_signing_key\n' \
    >"$T/other/ca.tmpl" &&
certtool --generate-self-signed --load-privkey "$T/other/ca-key.pem" \
    --template "$T/other/ca.tmpl" --outfile "$T/other/ca.pem" 2>/dev/null ||
	bail_out "cannot make a second CA"
chmod 0755 "$T/other"
chmod 0644 "$T/other/ca.pem"

# tls_conf PORT [sed-expression] [extra relay lines...] - agent_conf for
# PORT, then the configuration edited by the sed expression (e.g. to
# drop tls_ca_file or change tls =)
tls_conf() {
	_tc_port=$1
	_tc_sed=${2:-}
	if [ $# -ge 2 ]; then shift 2; else shift $#; fi
	agent_conf "$_tc_port" s3cret "$@"
	if [ -n "$_tc_sed" ]; then
		sed "$_tc_sed" "$CONF" >"$CONF.new" && cat "$CONF.new" >"$CONF"
		rm -f "$CONF.new"
	fi
}

# refused NAME CERT KEY REASON-ERE [sed-expression] [relay lines...] - the
# smarthost presents CERT; the relay must be refused before AUTH with a
# reason matching REASON-ERE, the message kept, the relay down, no bounce
refused() {
	_rf_name=$1
	_rf_cert=$2
	_rf_key=$3
	_rf_re=$4
	shift 4
	agent_spool
	: >"$T/agent.log"
	smarthost_start "$T/sh-$_rf_name" --starttls --tls-cert "$_rf_cert" \
	    --tls-key "$_rf_key" $SHAUTH || bail_out "smarthost did not start"
	tls_conf "$SMARTHOST_PORT" "$@"
	_rf_qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
	agent_once
	is "$?" 0 "$_rf_name: --once exits 0"
	is "$(smarthost_count "$SMARTHOST_DIR")" 0 "$_rf_name: nothing delivered"
	like "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: STARTTLS' \
	    "$_rf_name: STARTTLS was tried"
	unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: (AUTH|MAIL|RCPT|DATA)' \
	    "$_rf_name: no AUTH (nor MAIL, RCPT, DATA) reached the server"
	ok "$_rf_name: the message stays queued in cur/" \
	    test -f "$SPOOL/cur/$_rf_qid"
	is "$(count "$SPOOL/new")$(count "$SPOOL/failed")" 00 \
	    "$_rf_name: no bounce queued, nothing failed"
	like "$(cat "$SPOOL/state/relays")" \
	    "^127\\.0\\.0\\.1:$SMARTHOST_PORT down [0-9]+ [0-9]+ 1 .*$_rf_re" \
	    "$_rf_name: state/relays: relay down with the reason"
	like "$(cat "$T/agent.log")" \
	    "relay 127\\.0\\.0\\.1:$SMARTHOST_PORT down since .*$_rf_re" \
	    "$_rf_name: the log says the relay is down, and why"
	unlike "$(cat "$T/agent.log")" 'status=(sent|bounced)' \
	    "$_rf_name: no delivery or bounce logged"
	smarthost_stop
}

# delivered_check NAME - the one queued message reached the smarthost
# over TLS and the queue is empty
delivered_check() {
	is "$(smarthost_count "$SMARTHOST_DIR")" 1 "$1: delivered"
	is "$(count "$SPOOL/new")$(count "$SPOOL/cur")" 00 "$1: queue empty"
	like "$(smarthost_json "$SMARTHOST_DIR" 1 tls)" true \
	    "$1: the server saw TLS"
	like "$(cat "$T/agent.log")" 'status=sent .*' "$1: logged as sent"
}

# ---------------------------------------------------------------- refusals
# tls_server_name = localhost: the name the test certificates carry
refused wrong-name "$C/wrong-name.pem" "$C/wrong-name-key.pem" \
    'name mismatch: wanted localhost, certificate has wrong\.example' \
    '' 'tls_server_name = localhost'
refused self-signed "$C/self-signed.pem" "$C/self-signed-key.pem" \
    'issuer not trusted \(self-signed certificate\)'
refused expired "$C/expired.pem" "$C/expired-key.pem" \
    'certificate expired on 2002-01-01'
refused unknown-ca "$C/server.pem" "$C/server-key.pem" \
    'signed by an unknown authority' \
    "s#^tls_ca_file = .*#tls_ca_file = $T/other/ca.pem#"
refused system-store "$C/server.pem" "$C/server-key.pem" \
    'signed by an unknown authority: .*postern test CA' \
    '/^tls_ca_file/d'
refused pin-mismatch "$C/server.pem" "$C/server-key.pem" \
    'pin mismatch: got sha256:[0-9a-f]{64} ' '' \
    "tls_pin = sha256:$(printf '%064d' 0)"

# ---------------------------------------------------------------- no STARTTLS
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh-nostarttls" $SHAUTH --auth-require-tls no ||
	bail_out "smarthost did not start"
tls_conf "$SMARTHOST_PORT"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "no STARTTLS: nothing delivered"
like "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: EHLO' \
    "no STARTTLS: the agent got as far as EHLO"
unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: (AUTH|MAIL|RCPT|DATA)' \
    "no STARTTLS: no AUTH and no MAIL sent in clear"
like "$(cat "$SPOOL/state/relays")" ' down .*STARTTLS' \
    "no STARTTLS: relay down, the reason names STARTTLS"
ok "no STARTTLS: message kept" test -f "$SPOOL/cur/$qid"
is "$(count "$SPOOL/new")$(count "$SPOOL/failed")" 00 "no STARTTLS: no bounce"
smarthost_stop

# ---------------------------------------------------------------- pins
# A matching pin is enough: no tls_ca_file (the system store does not know
# the test CA), so only the pin can make these succeed.
for form in sha256 pubkey-sha256; do
	agent_spool
	: >"$T/agent.log"
	smarthost_start "$T/sh-pin-$form" --starttls $TLSOPTS $SHAUTH ||
		bail_out "smarthost did not start"
	tls_conf "$SMARTHOST_PORT" '/^tls_ca_file/d' \
	    "tls_pin = $(cat "$C/server.$form")"
	agent_queue bob@example.org "$T/body" carol@example.net >/dev/null
	agent_once
	delivered_check "pin $form"
	like "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: AUTH PLAIN' \
	    "pin $form: AUTH inside TLS"
	unlike "$(cat "$T/agent.log")" 'not verified' \
	    "pin $form: no 'not verified' warning"
	smarthost_stop
done

# ---------------------------------------------------------------- implicit
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh-implicit" --implicit-tls $TLSOPTS $SHAUTH ||
	bail_out "smarthost did not start"
tls_conf "$SMARTHOST_PORT" 's/^tls = starttls$/tls = implicit/'
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null
agent_once
delivered_check "implicit TLS"
unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: STARTTLS' \
    "implicit TLS: no STARTTLS"
like "$(cat "$SMARTHOST_DIR/transcript.log")" 'connect from .* tls=True' \
    "implicit TLS: TLS from the first byte"
like "$(cat "$T/agent.log")" 'tls=TLS1\.[23]/[^,]+, auth=alice@example\.org, .*status=sent' \
    "implicit TLS: the log line has tls= and auth="
smarthost_stop

# ---------------------------------------------------------------- no verify
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh-noverify" --starttls --tls-cert "$C/self-signed.pem" \
    --tls-key "$C/self-signed-key.pem" $SHAUTH ||
	bail_out "smarthost did not start"
tls_conf "$SMARTHOST_PORT" '/^tls_ca_file/d' 'tls_verify = no'
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null
agent_once
delivered_check "tls_verify = no"
like "$(cat "$T/agent.log")" \
    'warning: 127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+: TLS certificate not verified \(tls_verify = no\)' \
    "tls_verify = no: a warning is logged"
smarthost_stop

# ---------------------------------------------------------------- resumption
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh-resume" --starttls $TLSOPTS $SHAUTH ||
	bail_out "smarthost did not start"
AGENT_QUEUE_EXTRA=session_max_messages=1 tls_conf "$SMARTHOST_PORT"
for i in 1 2 3; do
	agent_queue bob@example.org "$T/body" "r$i@example.net" >/dev/null
done
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 3 "resumption: three delivered"
is "$(grep -c 'connect from' "$SMARTHOST_DIR/transcript.log")" 3 \
    "resumption: over three connections (session_max_messages = 1)"
is "$(grep 'status=sent' "$T/agent.log" | grep -c 'tls=TLS[^,]*/resumed,')" 2 \
    "resumption: the agent logs the second and third handshakes as resumed"
like "$(grep 'status=sent' "$T/agent.log" | head -n 1)" 'tls=TLS1\.[23]/[^/,]+,' \
    "resumption: the first handshake was a full one"
is "$(grep -c '"resumed": true' "$SMARTHOST_DIR/transcript.log")" 2 \
    "resumption: the server saw two resumed handshakes"
smarthost_stop
done_testing
