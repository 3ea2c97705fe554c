#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oauth-login.sh - `postern oauth login RELAY` driven by a scripted user
# (tests/lib/oauthuser.py) against the test authorization server
# (tests/lib/oauthsrv.py):
#  - Microsoft's device code flow: the code and the page printed, the
#    user approves, the refresh token lands in the relay's token file
#    (mode 600, the agent's user), never on the terminal; the agent then
#    delivers with it (sendmail -> posternd -> smarthost); a user who
#    declines: no file, the reason;
#  - the loopback redirect with PKCE (Google): the URL printed, the
#    address the browser ends on pasted back, the code traded with the
#    verifier (the server checks S256); delivered with the token; an
#    address with another state, or access_denied: refused, no file;
#  - the front end: root execs posternd --oauth-login with the relay and
#    the configuration; anyone else asks the running agent (oauth.sock):
#  - through the agent, as a member of its group who is not root: the
#    device flow and the PKCE flow end to end, the token in the agent's
#    file (its user, mode 600) and never on the terminal, in the agent's
#    log or on the socket (a recording proxy between the two); another
#    state pasted: refused, nothing stored; one login per relay at a
#    time; a user outside the group refused (the kernel's credentials);
#    a request other than "login RELAY" refused; no agent: how to go on.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/oauthsrv.sh"
. "$top_srcdir/tests/lib/sgid.sh"

POSTERN=$BUILT/postern
MSCID=22222222-2222-3333-4444-555555555555
GCID=1234567890-abc.apps.googleusercontent.com
GSECRET=GOCSPX-testsecret
MSSCOPE='https://outlook.office.com/SMTP.Send offline_access'
printf 'Subject: login\n\nbody\n' >"$T/body"
mkdir -p "$T/bin"
ln -sf "$BUILT/postern" "$T/bin/sendmail"

oauthsrv_start "$T/oauth" "$C" || bail_out "oauthsrv did not start"
cat >"$OAUTHSRV_DIR/clients.json" <<J
{"$MSCID": {"tenant": "contoso", "rotate": true},
 "$GCID": {"secret": "$GSECRET"}}
J
smarthost_start "$T/sh" --starttls $TLSOPTS --auth XOAUTH2 \
    --user alice@example.org --oauth-live "$OAUTHSRV_DIR/live" ||
	bail_out "smarthost did not start"
RF=$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.refresh
OURL=https://localhost:$OAUTHSRV_PORT

# lconf KIND - the relay for Microsoft (ms) or Google (google)
lconf() {
	case $1 in
	ms)	agent_conf "$SMARTHOST_PORT" unused \
		    "oauth_flow = refresh_token" "oauth_tenant = contoso" \
		    "oauth_authority = 127.0.0.1:$OAUTHSRV_PORT" \
		    "oauth_client_id = $MSCID" \
		    "oauth_scope = $MSSCOPE" \
		    "oauth_ca_file = $C/ca.pem"
		rm -f "$SECRETS" ;;	# a public client: no secret
	google)	agent_conf "$SMARTHOST_PORT" "$GSECRET" \
		    "oauth_flow = refresh_token" "oauth_client_id = $GCID" \
		    "oauth_token_endpoint = $OURL/token" \
		    "oauth_login_endpoint = $OURL/o/oauth2/v2/auth" \
		    "oauth_scope = https://mail.google.com/" \
		    "oauth_ca_file = $C/ca.pem" ;;
	esac
	sed -i "s|^\\[postern\\]\$|&\\ndrop_program = $DROP|" "$CONF"
	sed -i "s|^\\[postern\\]\$|&\\nagent_program = $POSTERND|" "$CONF"
}

# login [oauthuser flags] - the login as the agent's (test) user, driven
# by the scripted user; output in $T/out, status in $rc
login() {
	if [ -n "$AS" ]; then
		set -- "$@" -- setpriv --reuid="${TEST_USER_PREFIX}1" \
		    --regid="$(id -g "${TEST_USER_PREFIX}1")" --init-groups --
	else
		set -- "$@" --
	fi
	/usr/bin/python3 "$TESTLIB/oauthuser.py" --ca "$C/ca.pem" "$@" \
	    "$POSTERND" --oauth-login 1 -C "$CONF" >"$T/out" 2>&1
	rc=$?
}

# deliver NAME - one message through sendmail and the agent, delivered
deliver() {
	_d_n=$(smarthost_count "$SMARTHOST_DIR")
	$AS "$T/bin/sendmail" -C "$CONF" -f bob@example.org \
	    carol@example.net <"$T/body" 2>"$T/sendmail.err"
	agent_once
	is "$(smarthost_count "$SMARTHOST_DIR")" $((_d_n + 1)) \
	    "$1: the agent delivers with the new refresh token"
}

# ---------------------------------------------------------------- device
agent_spool
: >"$T/agent.log"
lconf ms
login
is "$rc" 0 "device code: exit 0"
like "$(cat "$T/out")" \
"open https://127\\.0\\.0\\.1:$OAUTHSRV_PORT/devicelogin "\
"in a web browser .* enter the code [0-9A-F]{8}" \
    "device code: the page and the code printed"
like "$(cat "$T/out")" "saved in $RF \\(mode 600\\)" \
    "device code: says where the token went"
unlike "$(cat "$T/out")" "refused by the server" \
    "device code: no server refused a token (the old one is dropped quietly)"
like "$(cat "$RF" 2>/dev/null)" '^rt-' \
    "device code: the refresh token is in the file"
is "$(stat -c %a "$RF")" 600 "device code: mode 600"
[ -z "$AS" ] || is "$(stat -c %U "$RF")" "${TEST_USER_PREFIX}1" \
    "device code: owned by the agent's user"
unlike "$(cat "$T/out")" "$(cat "$RF")|at-" \
    "device code: no token on the terminal"
deliver "device code"

agent_spool
lconf ms
login --decline
ok "device code declined: exit not 0" test "$rc" -ne 0
like "$(cat "$T/out")" 'sign-in failed.*authorization_declined' \
    "device code declined: says so"
ok "device code declined: no token file" test ! -e "$RF"

# ---------------------------------------------------------------- PKCE
agent_spool
lconf google
login
is "$rc" 0 "loopback + PKCE: exit 0"
like "$(cat "$T/out")" "^$OURL/o/oauth2/v2/auth\\?response_type=code&"\
"client_id=.*code_challenge=[A-Za-z0-9_-]{43}&"\
"code_challenge_method=S256&state=" \
    "loopback + PKCE: the authorization URL printed"
like "$(cat "$T/out")" 'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]+%2F' \
    "loopback + PKCE: a loopback redirect (RFC 8252)"
like "$(cat "$RF" 2>/dev/null)" '^rt-' \
    "loopback + PKCE: the refresh token saved"
unlike "$(cat "$T/out")" "$(cat "$RF")|$GSECRET" \
    "loopback + PKCE: no token or secret on the terminal"
deliver "loopback + PKCE"

agent_spool
lconf google
login --paste "http://127.0.0.1:1/?state=forged&code=4/stolen"
ok "another state: exit not 0" test "$rc" -ne 0
like "$(cat "$T/out")" "not this login's state" "another state: refused"
ok "another state: no token file" test ! -e "$RF"

agent_spool
lconf google
echo access_denied >"$OAUTHSRV_DIR/fault"
login
rm -f "$OAUTHSRV_DIR/fault"
ok "access_denied: exit not 0" test "$rc" -ne 0
like "$(cat "$T/out")" 'sign-in refused: access_denied' \
    "access_denied: says so"

# ---------------------------------------------------------------- front
lconf ms
if [ -n "$AS" ]; then
	$AS "$POSTERN" oauth login 1 -C "$CONF" >"$T/out" 2>&1
	is "$?" 69 "front end, not root, no agent: EX_UNAVAILABLE"
	like "$(cat "$T/out")" 'no delivery agent is running .*start the '\
'agent \(systemctl start postern\) or run this as root' \
	    "front end, not root, no agent: says how to go on"
	# root: exec agent_program --oauth-login RELAY -C CONF
	printf '#!/bin/sh\necho "agent: $*"\n' >"$T/bin/fake-agent"
	chmod 755 "$T/bin/fake-agent"
	sed -i "s|^agent_program = .*|agent_program = $T/bin/fake-agent|" \
	    "$CONF"
	out=$("$POSTERN" oauth login 1 -C "$CONF" 2>&1)
	is "$out" "agent: --oauth-login 1 -C $CONF" \
	    "front end: root execs posternd --oauth-login RELAY -C CONF"
	# another user than the agent's (a member of its group, say) would
	# make state/oauth/ its own: posternd refuses before anything
	lconf ms
	agent_spool
	make_test_users 2 || bail_out "cannot create test users"
	run_as "${TEST_USER_PREFIX}2" "$POSTERND" --oauth-login 1 -C "$CONF" \
	    >"$T/out" 2>&1
	is "$?" 77 "another user than the agent's: refused (EX_NOPERM)"
	like "$(cat "$T/out")" 'as the agent.s user, the owner of .*state: run '\
'it as root' "another user than the agent's: says how"
	ok "another user than the agent's: state/oauth/ not made" \
	    test ! -e "$SPOOL/state/oauth"
else
	skip "not root" 6
fi
if [ -n "$AS" ]; then
# ------------------------------------------------ through the agent
# The agent runs as test user 1 with the group $OG; $OM is a member of
# $OG (not root, no right on the agent's files), $OX is not.
OG=postern-tog
OM=${TEST_USER_PREFIX}og
OX=${TEST_USER_PREFIX}2
sgid_admin "$OM" "$OG" || bail_out "cannot create $OM in $OG"
make_test_users 2 || bail_out "cannot create test users"
MITM=$T/mitm
mkdir -p "$MITM" && chown "$OM:" "$MITM" || bail_out "mkdir $MITM"

# og_start - the resident agent as test user 1 and the group $OG
og_start() {
	mkdir -p "$T/run"
	chown "${TEST_USER_PREFIX}1:" "$T/run"
	rm -f "$T/run/agent.pid"
	: >"$T/agent.log"
	setpriv --reuid="${TEST_USER_PREFIX}1" --regid="$OG" --clear-groups \
	    -- sh -c 'echo $$ >"$0"; exec "$@"' "$T/run/agent.pid" \
	    "$POSTERND" -f -C "$CONF" </dev/null >/dev/null \
	    2>>"$T/agent.log" &
	wait_for_file "$T/run/agent.pid" || bail_out "posternd did not start"
	AGENT_PID=$(cat "$T/run/agent.pid")
	cleanup_push "kill $AGENT_PID 2>/dev/null"
	wait_until 10 test -S "$SPOOL/oauth.sock" ||
		bail_out "no $SPOOL/oauth.sock: $(tail -n 3 "$T/agent.log")"
}

# mitm_start - a proxy as $OM on $MITM/oauth.sock to the agent's socket,
# recording both directions in $T/transcript; $MCONF points there
mitm_start() {
	: >"$T/transcript"
	chown "$OM:" "$T/transcript"
	rm -f "$MITM/oauth.sock"
	setpriv --reuid="$OM" --regid="$(id -g "$OM")" --init-groups -- \
	    /usr/bin/python3 -c '
import os, socket, sys, threading
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(sys.argv[1]); ls.listen(4)
log = open(sys.argv[3], "ab", buffering=0)
def pipe(a, b):
    while True:
        d = a.recv(65536)
        if not d:
            break
        log.write(d)
        b.sendall(d)
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
while True:
    c, _ = ls.accept()
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(sys.argv[2])
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
' "$MITM/oauth.sock" "$SPOOL/oauth.sock" "$T/transcript" &
	MITM_PID=$!
	cleanup_push "kill $MITM_PID 2>/dev/null"
	wait_until 10 test -S "$MITM/oauth.sock" || bail_out "no proxy"
	sed "s|^spool_dir = .*|spool_dir = $MITM|" "$CONF" >"$T/mitm.conf"
	chmod 644 "$T/mitm.conf"
}

# mlogin [oauthuser flags] - postern oauth login 1 as $OM through the
# proxy, driven by the scripted user; output in $T/out, status in $rc
mlogin() {
	/usr/bin/python3 "$TESTLIB/oauthuser.py" --ca "$C/ca.pem" "$@" -- \
	    setpriv --reuid="$OM" --regid="$(id -g "$OM")" --init-groups -- \
	    "$POSTERN" oauth login 1 -C "$T/mitm.conf" >"$T/out" 2>&1
	rc=$?
}

# og_stop - the agent and the proxy stopped
og_stop() {
	kill "$MITM_PID" 2>/dev/null
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait_until 20 agent_gone
}

# secret_free WHAT - no refresh or access token, secret or verifier in
# the terminal's output, the agent's log and the socket's transcript
secret_free() {
	_sf_re="$(cat "$RF")|(^|[^A-Za-z])at-[A-Za-z0-9_-]{8}|$GSECRET|"\
"code_verifier"
	for _sf_f in out agent.log transcript; do
		unlike "$(cat "$T/$_sf_f")" "$_sf_re" \
		    "$1: no token, secret or verifier in $_sf_f"
	done
}

agent_spool
lconf ms
og_start
is "$(stat -c '%F %U %a' "$SPOOL/oauth.sock")" \
    "socket ${TEST_USER_PREFIX}1 666" "oauth.sock: the agent's, mode 666"
mitm_start
mlogin
is "$rc" 0 "agent, device code, group member: exit 0"
like "$(cat "$T/out")" \
"open https://127\\.0\\.0\\.1:$OAUTHSRV_PORT/devicelogin "\
"in a web browser .* enter the code [0-9A-F]{8}" \
    "agent, device code: the page and the code printed"
like "$(cat "$T/out")" "saved in $RF \\(mode 600\\)" \
    "agent, device code: says where the token went"
like "$(cat "$RF" 2>/dev/null)" '^rt-' \
    "agent, device code: the refresh token is in the agent's file"
is "$(stat -c '%U %a' "$RF")" "${TEST_USER_PREFIX}1 600" \
    "agent, device code: the file is the agent's user's, mode 600"
is "$(head -n 2 "$T/transcript" | tr '\n' ' ')" "login 1 ok " \
    "agent, device code: the transcript: the request, then ok"
like "$(sed -n 3p "$T/transcript")" '^out To sign in as ' \
    "agent, device code: then the output, framed"
like "$(cat "$T/transcript")" '^exit 0$' \
    "agent, device code: the transcript ends with the status"
like "$(cat "$T/agent.log")" \
    "oauth login for relay 1 by uid $(id -u "$OM"): exit 0" \
    "agent, device code: the agent logs who asked and the status"
secret_free "agent, device code"

# the outsider: refused by the agent on the kernel's word
run_as "$OX" timeout 30 "$POSTERN" oauth login 1 -C "$CONF" </dev/null \
    >"$T/out" 2>&1
is "$?" 77 "agent, a user outside the group: refused (EX_NOPERM)"
like "$(cat "$T/out")" "as root or as a member of the agent's group" \
    "agent, a user outside the group: says who may"
like "$(cat "$T/agent.log")" "oauth login refused to uid $(id -u "$OX")" \
    "agent, a user outside the group: logged"
# a request other than "login RELAY"
for req in 'login -C /tmp/x' 'login 1 --check' 'list' 'login '; do
	out=$(printf '%s\n' "$req" | run_as "$OM" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.recv(4096).decode())' "$SPOOL/oauth.sock")
	like "$out" '^error request refused' "agent: request '$req' refused"
done
og_stop

# PKCE through the agent; then another state pasted
agent_spool
lconf google
og_start
mitm_start
mlogin
is "$rc" 0 "agent, loopback + PKCE, group member: exit 0"
like "$(cat "$T/out")" "^$OURL/o/oauth2/v2/auth\\?response_type=code&"\
"client_id=.*code_challenge=[A-Za-z0-9_-]{43}&"\
"code_challenge_method=S256&state=" \
    "agent, loopback + PKCE: the authorization URL printed"
like "$(cat "$RF" 2>/dev/null)" '^rt-' \
    "agent, loopback + PKCE: the refresh token in the agent's file"
is "$(stat -c '%U %a' "$RF")" "${TEST_USER_PREFIX}1 600" \
    "agent, loopback + PKCE: the agent's user's, mode 600"
like "$(cat "$T/transcript")" '^http://127\.0\.0\.1:[0-9]+/\?.*code=' \
    "agent, loopback + PKCE: the pasted address went to the agent"
secret_free "agent, loopback + PKCE"
rm -f "$RF"
mlogin --paste "http://127.0.0.1:1/?state=forged&code=4/stolen"
ok "agent, another state: exit not 0" test "$rc" -ne 0
like "$(cat "$T/out")" "not this login's state" "agent, another state: refused"
ok "agent, another state: no token file" test ! -e "$RF"

# one login per relay: a first one waits for its paste, a second is
# refused; the first then ends with nothing pasted
run_as "$OM" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(b"login 1\n")
got = b""
while b"out https://" not in got:
    d = s.recv(4096)
    if not d:
        break
    got += d
open(sys.argv[2], "w").close()
time.sleep(8)' "$SPOOL/oauth.sock" "$MITM/first" &
first=$!
wait_until 10 test -e "$MITM/first"
run_as "$OM" "$POSTERN" oauth login 1 -C "$CONF" </dev/null >"$T/out" 2>&1
is "$?" 75 "agent, a second login of the same relay: EX_TEMPFAIL"
like "$(cat "$T/out")" 'a login for relay .* is already running' \
    "agent, a second login of the same relay: says so"
wait "$first"
og_stop

# no agent: the member is told how to go on
run_as "$OM" "$POSTERN" oauth login 1 -C "$CONF" >"$T/out" 2>&1
is "$?" 69 "no agent, group member: EX_UNAVAILABLE"
like "$(cat "$T/out")" 'start the agent \(systemctl start postern\) or '\
'run this as root' "no agent, group member: says how to go on"
else
	skip "not root" 34
fi
"$POSTERN" oauth login 2>"$T/err"
is "$?" 64 "front end: usage error without a relay"
done_testing
