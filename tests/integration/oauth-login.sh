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
#  - the front end: root or the agent's group only; it execs posternd
#    --oauth-login with the relay and the configuration.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/oauthsrv.sh"

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
	is "$?" 77 "front end: a user outside the group is refused (EX_NOPERM)"
	like "$(cat "$T/out")" "root or as a member of the group" \
	    "front end: says who may"
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
"$POSTERN" oauth login 2>"$T/err"
is "$?" 64 "front end: usage error without a relay"
done_testing
