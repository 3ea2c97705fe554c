#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check.sh - `postern check` (posternd --check): each diagnosis provoked
# for real and asserted by its hint text and the exit status: a good
# relay; an unknown host; a closed port; a filtered port (a network
# namespace that drops packets); implicit TLS vs STARTTLS both ways; a
# certificate for another name, self-signed, expired; no STARTTLS; AUTH
# 535, 534 5.7.9 (Gmail's app password), 5.7.139 (Microsoft's basic auth
# disabled), no AUTH offered; relay access denied (RSET, nothing sent);
# configuration warnings (tls = none, tls_verify = no); a world-readable
# secrets file; the secrets file read as root; --json with hostile
# server text; --send-test delivered, and with no agent running.
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
[ -x "$POSTERN" ] || skip_all "postern not built"

# ck_conf PORT [relay lines...] - a config for one relay at $CK_HOST
# (default 127.0.0.1):PORT (the default relay lines: STARTTLS, our CA,
# user alice@example.org)
ck_conf() {
	_cc_port=$1
	shift
	{
		printf '[postern]\nspool_dir = %s\nsecrets_file = %s\n' \
		    "$SPOOL" "$SECRETS"
		printf 'agent_program = %s\ndrop_program = %s\n' \
		    "$POSTERND" "$DROP"
		printf 'hostname = agent.test\ndomain = example.org\n'
		printf 'admin = admin@example.net\nlog = stderr\n'
		printf '[queue]\nretry_min = 1s\nretry_max = 2s\n'
		printf '[timeouts]\nconnect = 1s\ngreeting = 2s\nehlo = 3s\n'
		printf 'starttls = 3s\nauth = 3s\nmail = 3s\nrcpt = 3s\n'
		printf 'rset = 3s\nquit = 3s\n'
		printf '[relay]\nhost = %s\nport = %s\n' "${CK_HOST:-127.0.0.1}" \
		    "$_cc_port"
		if [ $# -eq 0 ]; then
			printf 'tls = starttls\ntls_ca_file = %s\n' "$C/ca.pem"
			printf 'user = alice@example.org\n'
		fi
		for _cc_l in "$@"; do
			printf '%s\n' "$_cc_l"
		done
	} >"$CONF"
	printf '127.0.0.1:%s s3cret\n' "$_cc_port" >"$SECRETS"
	chmod 600 "$SECRETS"
	chmod 644 "$CONF"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SECRETS"
}

# ck [ARGS] - run `postern check -C $CONF ARGS` as the test user; output
# in $T/out, exit status in $rc
ck() {
	$AS timeout 60 "$POSTERN" check -C "$CONF" --no-dns "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# line STATUS STEP - the report's line for STEP with STATUS ("ok", "FAIL")
line() {
	grep -F "$1] $2: " "$T/out" | head -n 1
}

# sh_tls [flags] - start a STARTTLS smarthost with the server certificate
# and AUTH PLAIN for alice@example.org / s3cret, plus flags
sh_start() {
	_ss_dir=$T/sh$(date +%s%N)
	smarthost_start "$_ss_dir" "$@" || bail_out "smarthost did not start"
}
sh_tls() {
	sh_start --starttls $TLSOPTS --auth PLAIN --user alice@example.org \
	    --password s3cret "$@"
}

agent_spool

# ---------------------------------------------------------------- all good
sh_tls
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 0 "good relay: exit 0"
for step in configuration secrets DNS connect greeting EHLO STARTTLS TLS \
    certificate "EHLO after TLS" AUTH "relay test"; do
	ok "good relay: $step ok" test -n "$(line ' ok ' "$step")"
done
like "$(line ' ok ' certificate)" 'verified \(localhost, 127\.0\.0\.1, valid until ' \
    "good relay: certificate verified, names and expiry shown"
like "$(cat "$T/out")" '       issuer: CN=postern test CA' \
    "good relay: the issuer as a detail line"
like "$(line ' ok ' AUTH)" 'PLAIN as alice@example\.org accepted' \
    "good relay: AUTH mechanism and user"
like "$(line ' ok ' 'relay test')" 'MAIL FROM:<alice@example\.org> RCPT TO:<admin@example\.net> accepted, then RSET: nothing sent' \
    "good relay: relay test with the relay user and the admin address"
like "$(line ' ok ' connect)" "127\\.0\\.0\\.1:$SMARTHOST_PORT \\([0-9]+ ms\\)" \
    "good relay: timing in ms"
like "$(tail -n 1 "$T/out")" '^check passed: 12 ok, 0 warnings, 0 failed, 0 skipped$' \
    "good relay: the summary line"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "good relay: nothing was sent"
tr=$(cat "$SMARTHOST_DIR/transcript.log")
like "$tr" 'C: RSET' "relay test: RSET sent"
unlike "$tr" 'C: DATA' "relay test: DATA never sent"
like "$tr" 'C: QUIT' "relay test: QUIT at the end"
ck --rcpt someone@example.com
like "$(line ' ok ' 'relay test')" 'RCPT TO:<someone@example\.com>' "--rcpt sets the test recipient"
ck --json
is "$rc" 0 "good relay --json: exit 0"
is "$(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d["passed"], d["counts"]["ok"], d["steps"][0]["step"],
    d["steps"][2]["relay"], d["steps"][2]["step"], d["steps"][2]["status"],
    type(d["steps"][2]["ms"]).__name__, d["steps"][-1]["step"])' "$T/out")" \
    "True 12 config 1 dns ok int relay" "--json: one document with every step"
smarthost_stop

# ---------------------------------------------------------------- DNS
CK_HOST=nosuchhost.invalid ck_conf 25 'tls = starttls'
ck
is "$rc" 1 "unknown host: exit 1"
like "$(line FAIL DNS)" "no such host nosuchhost\\.invalid: check the spelling of host \\($CONF:[0-9]+\\): a typo\\?" \
    "unknown host: typo hint naming file:line"
like "$(line skip connect)" 'not run \(DNS failed\)' "unknown host: later steps skipped"
like "$(tail -n 1 "$T/out")" '^check FAILED: ' "unknown host: summary says FAILED"

# ---------------------------------------------------------------- refused
dead=$(free_port)
ck_conf "$dead"
ck
is "$rc" 1 "closed port: exit 1"
like "$(line FAIL connect)" "127\\.0\\.0\\.1:$dead: connection refused: nothing listens on that port; check host and port \\([0-9]+ ms\\)" \
    "closed port: refused, nothing listens"

# ---------------------------------------------------------------- filtered
# A private network namespace routes 10.9.9.0/24 to lo, where nothing
# owns the address: SYNs vanish, exactly like a filtering firewall.
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	CK_HOST=10.9.9.2 ck_conf 25 'tls = starttls' "tls_ca_file = $C/ca.pem"
	unshare -n sh -c 'ip link set lo up && ip route add 10.9.9.0/24 dev lo &&
	    exec timeout 30 "$1" check -C "$2" --no-dns' sh "$POSTERN" "$CONF" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	is "$rc" 1 "filtered port: exit 1"
	like "$(line FAIL connect)" '10\.9\.9\.2:25: timed out: no answer: a firewall or the ISP blocks the port \(port 25 is often blocked: try 587 with tls = starttls or 465 with tls = implicit\) \(1[0-9]{3} ms\)' \
	    "filtered port: timed out after connect = 1s, firewall hint"
else
	skip "filtered port: needs root and unshare -n" 2
fi

# ---------------------------------------------------------------- 465 vs 587
sh_start --implicit-tls $TLSOPTS --auth PLAIN --user alice@example.org \
    --password s3cret
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "implicit-TLS server, tls = starttls: exit 1"
like "$(line FAIL greeting)" "no reply to GREETING within 2s: port $SMARTHOST_PORT expects implicit TLS: set tls = implicit" \
    "implicit-TLS server, tls = starttls: set tls = implicit"
smarthost_stop

sh_tls
ck_conf "$SMARTHOST_PORT" 'tls = implicit' "tls_ca_file = $C/ca.pem" \
    'user = alice@example.org'
ck
is "$rc" 1 "STARTTLS server, tls = implicit: exit 1"
like "$(line FAIL TLS)" "does not speak TLS on this port .*: port $SMARTHOST_PORT expects STARTTLS: set tls = starttls" \
    "STARTTLS server, tls = implicit: set tls = starttls"
smarthost_stop

# ---------------------------------------------------------------- certificates
for bad in wrong-name self-signed expired; do
	sh_start --starttls --tls-cert "$C/$bad.pem" --tls-key "$C/$bad-key.pem" \
	    --auth PLAIN --user alice@example.org --password s3cret
	ck_conf "$SMARTHOST_PORT"
	ck
	eval "rc_$(echo $bad | tr - _)=\$rc"
	cp "$T/out" "$T/out.$bad"
	smarthost_stop
done
is "$rc_wrong_name" 1 "wrong name: exit 1"
like "$(grep -F '[FAIL] certificate' "$T/out.wrong-name")" 'refused: name mismatch: wanted 127\.0\.0\.1, certificate has wrong\.example: the certificate is not for 127\.0\.0\.1: set host to a name it lists \(see names\), or tls_server_name' \
    "wrong name: mismatch explained, fix given"
like "$(cat "$T/out.wrong-name")" '       names: wrong\.example' "wrong name: the names as a detail"
like "$(grep -F '[ ok ] TLS' "$T/out.wrong-name")" 'handshake completed' "wrong name: the handshake itself worked"
is "$rc_self_signed" 1 "self-signed: exit 1"
like "$(grep -F '[FAIL] certificate' "$T/out.self-signed")" 'self-signed certificate: after checking it, pin it with tls_pins = sha256:[0-9a-f]{64}, or set tls_ca_file' \
    "self-signed: pin hint with the fingerprint"
pin=$(certtool --fingerprint --hash sha256 --infile "$C/self-signed.pem" 2>/dev/null | tr -d ':\n' | tr 'A-F' 'a-f')
like "$(cat "$T/out.self-signed")" "tls_pins = sha256:$pin" "self-signed: the pin is the certificate's fingerprint"
is "$rc_expired" 1 "expired: exit 1"
like "$(grep -F '[FAIL] certificate' "$T/out.expired")" "certificate expired on 2002-.*: the server's certificate has expired: the provider must renew it" \
    "expired: date and hint"
like "$(cat "$T/out.expired")" '       valid: from 2001-.* until 2002-' "expired: validity as a detail"

# ---------------------------------------------------------------- no STARTTLS
sh_start --auth PLAIN --auth-require-tls no --user alice@example.org \
    --password s3cret
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "no STARTTLS: exit 1"
like "$(line FAIL STARTTLS)" 'the server does not offer STARTTLS: nothing was sent: wrong port or server: port 587 offers STARTTLS, port 465 wants tls = implicit' \
    "no STARTTLS: hint"
unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: (AUTH|MAIL|RCPT)' \
    "no STARTTLS: no AUTH, MAIL or RCPT sent in clear"
smarthost_stop

# ---------------------------------------------------------------- AUTH
sh_tls --fault 'auth:535 5.7.8 Username and Password not accepted'
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "535: exit 1"
like "$(line FAIL AUTH)" 'PLAIN as alice@example\.org refused: 535 5\.7\.8 Username and Password not accepted: authentication failed: wrong user name or password \(check user in postern\.conf and the password in the secrets file\)' \
    "535: wrong user or password"
like "$(line skip 'relay test')" 'not run \(AUTH failed\)' "535: relay test skipped"
like "$(cat "$T/out")" '       offered: PLAIN' "535: offered mechanisms as a detail"
smarthost_stop

sh_tls --fault 'auth:534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x:1'
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "534 5.7.9: exit 1"
like "$(line FAIL AUTH)" 'refused: 534 5\.7\.9 Application-specific password required\. .*: application-specific password required: create an app password' \
    "534 5.7.9: app password hint"
smarthost_stop

sh_tls --fault 'auth:535 5.7.139 Authentication unsuccessful, basic authentication is disabled.'
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "basic auth disabled: exit 1"
like "$(line FAIL AUTH)" 'basic authentication is disabled\.: the provider has disabled password \(basic\) authentication: use XOAUTH2 \(oauth_flow, or a token_command\)' \
    "basic auth disabled: XOAUTH2 hint"
smarthost_stop

sh_tls --no-auth-offer
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "no AUTH offered: exit 1"
like "$(line FAIL AUTH)" 'no AUTH offered by the server: wrong port or STARTTLS missing' \
    "no AUTH offered: wrong port or STARTTLS missing"
smarthost_stop

# ---------------------------------------------------------------- relay denied
sh_tls --fault 'rcpt:554 5.7.1 <admin@example.net>: Relay access denied'
ck_conf "$SMARTHOST_PORT"
ck
is "$rc" 1 "relay denied: exit 1"
like "$(line FAIL 'relay test')" 'RCPT TO:<admin@example\.net> refused: 554 5\.7\.1 <admin@example\.net>: Relay access denied: relay access denied: the sender address or authentication is not allowed for relaying' \
    "relay denied: hint"
tr=$(cat "$SMARTHOST_DIR/transcript.log")
like "$tr" 'C: RSET' "relay denied: RSET"
unlike "$tr" 'C: DATA' "relay denied: no DATA"
smarthost_stop

# ---------------------------------------------------------------- warnings
sh_start --banner 'evil "quoted" \back\slash '"$(printf 'a\001b\tc')"' </x>'
ck_conf "$SMARTHOST_PORT" 'tls = none'
ck
is "$rc" 0 "tls = none, no user: warnings do not fail (exit 0)"
like "$(line warn configuration)" 'tls = none: mail crosses the network in clear: use tls = starttls' \
    "tls = none: warning"
like "$(line skip AUTH)" 'no user set for this relay' "no user: AUTH skipped, not failed"
like "$(tail -n 1 "$T/out")" '^check passed: .* 1 warning, 0 failed' "warnings: check passed"
ck --json
is "$(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
g = [s for s in d["steps"] if s["step"] == "greeting"][0]
print(d["passed"], g["message"])' "$T/out")" \
    'True 220 evil "quoted" \back\slash a?b?c </x>' \
    "--json: hostile banner text escaped, the document parses"
smarthost_stop

sh_tls
ck_conf "$SMARTHOST_PORT" 'tls = starttls' 'tls_verify = no' \
    'user = alice@example.org'
ck
is "$rc" 0 "tls_verify = no: exit 0 (warnings)"
like "$(line warn configuration)" 'tls_verify = no: the relay.s certificate is not checked' \
    "tls_verify = no: configuration warning"
like "$(line warn certificate)" 'not verified \(tls_verify = no\): anyone on the path can pretend to be the relay' \
    "tls_verify = no: certificate warning"

# ---------------------------------------------------------------- secrets
ck_conf "$SMARTHOST_PORT"
chmod 644 "$SECRETS"
ck
is "$rc" 1 "world-readable secrets: exit 1"
like "$(line FAIL secrets)" "$SECRETS: mode 0644 lets every user read the relay passwords: chmod 600 $SECRETS \\(the agent refuses a secrets file others can read\\)" \
    "world-readable secrets: chmod 600"
like "$(line skip AUTH)" 'no password' "world-readable secrets: AUTH not run"

if [ "$(id -u)" = 0 ]; then
	agent_user=$("$POSTERND" --help | sed -n "s/.*drops to the user '\\([^']*\\)'.*/\\1/p")
	if id -u "$agent_user" >/dev/null 2>&1; then
		ck_conf "$SMARTHOST_PORT"
		chown "$agent_user" "$SECRETS"
		timeout 60 "$POSTERN" check -C "$CONF" --no-dns >"$T/out" 2>"$T/err"
		is "$?" 0 "as root: the secrets file of $agent_user is read (no privilege drop)"
		like "$(line ' ok ' secrets)" "owned by $agent_user, mode 600" "as root: secrets ok"
		chown root "$SECRETS"
		timeout 60 "$POSTERN" check -C "$CONF" --no-dns >"$T/out" 2>"$T/err"
		like "$(line FAIL secrets)" "not owned by $agent_user: chown $agent_user $SECRETS" \
		    "as root: a root-owned secrets file fails as the agent would"
	else
		skip "agent user $agent_user does not exist" 3
	fi
else
	skip "secrets as root: not root" 3
fi

# ---------------------------------------------------------------- --send-test
ck_conf "$SMARTHOST_PORT"
ck --send-test carol@example.net --wait 1
is "$rc" 1 "send-test, no agent: exit 1"
like "$(line FAIL 'test message')" 'test message [0-9A-F]{20} to carol@example\.net still queued after 1s, never tried: is the agent running\?' \
    "send-test, no agent: still queued, is the agent running?"
agent_spool
mkdir -p "$T/run"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T/run"
$AS sh -c 'echo $$ >"$1"; exec "$2" -f -C "$3"' sh "$T/run/agent.pid" \
    "$POSTERND" "$CONF" </dev/null >/dev/null 2>"$T/agent.log" &
wait_for_file "$T/run/agent.pid" || bail_out "the agent did not start"
agent_pid=$(cat "$T/run/agent.pid")
cleanup_push "kill $agent_pid 2>/dev/null"
sleep 0.5
ck --send-test carol@example.net --wait 30
is "$rc" 0 "send-test with the agent: exit 0"
like "$(line ' ok ' 'test message')" 'test message [0-9A-F]{20} to carol@example\.net was delivered to the relay' \
    "send-test: delivered"
like "$(tr '\n' '|' <"$T/out")" 'Authentication-Results header look for:\| +spf=pass smtp\.mailfrom=\.\.\.@example\.org [^|]*\| +dkim=pass header\.d=example\.org [^|]*\| +dmarc=pass header\.from=example\.org' \
    "send-test: what to look for in Authentication-Results (issue 15)"
smarthost_wait_count "$SMARTHOST_DIR" 1 10
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" "carol@example.net" \
    "send-test: the smarthost got it"
like "$(eml 1)" 'Subject: postern check: test message from agent\.test' \
    "send-test: the test message's subject"
kill "$agent_pid" 2>/dev/null
wait_until 10 sh -c "! kill -0 $agent_pid 2>/dev/null" ||
	kill -KILL "$agent_pid" 2>/dev/null
smarthost_stop

# ---------------------------------------------------------------- usage
ck --bogus
is "$rc" 64 "unknown option: EX_USAGE"
# the front end cannot learn agent_program from a broken file: the agent
printf '[postern]\nnosuchkey = 1\n' >"$CONF"
$AS "$POSTERND" --check -C "$CONF" --no-dns >"$T/out" 2>"$T/err"
is "$?" 78 "broken configuration: EX_CONFIG"
like "$(line FAIL configuration)" "$CONF:2: \[postern\] nosuchkey: unknown key" \
    "broken configuration: reported as the first step, with file:line"
$AS "$POSTERND" --check -C "$CONF" --no-dns --json >"$T/out" 2>"$T/err"
is "$(/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); print(d["passed"], d["steps"][0]["status"])' \
    "$T/out")" "False fail" "broken configuration: --json too"
done_testing
