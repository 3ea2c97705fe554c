#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-oauth.sh - `postern check`'s OAuth2 token step against the test
# authorization server (tests/lib/oauthsrv.py): a good token for each
# flow; then each error users meet, provoked for real, must lead to its
# cause and fix in plain words: Microsoft AADSTS7000215 (wrong secret),
# 7000222 (secret expired), 700016 (application not in the tenant), 90002
# (tenant not found), 700027 and 700024 (certificate assertion invalid,
# clock), 70000 and 700082 (refresh token revoked or expired: postern
# oauth login), 65001 (admin consent); Google invalid_grant and
# unauthorized_client (domain-wide delegation); a good token that
# Exchange refuses with 535 5.7.3 (the Exchange-side steps); the endpoint
# down.  No token or secret in the output.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/oauthsrv.sh"

POSTERN=$BUILT/postern
[ -x "$POSTERN" ] || skip_all "postern not built"
CID=11111111-2222-3333-4444-555555555555
SECRET='cs~Secret.Value_1'
GCID=1234567890-abc.apps.googleusercontent.com
GSECRET=GOCSPX-testsecret
RT0=rt-initial-refresh-token-0

oauthsrv_start "$T/oauth" "$C" || bail_out "oauthsrv did not start"
cat >"$OAUTHSRV_DIR/clients.json" <<J
{"$CID": {"secret": "$SECRET", "tenant": "contoso", "rotate": false,
	  "refresh_tokens": ["$RT0"]},
 "$GCID": {"secret": "$GSECRET", "refresh_tokens": ["$RT0"]}}
J

# ck_conf FLOW [relay lines...] - the check's configuration
ck_conf() {
	_cc_flow=$1
	shift
	agent_conf "$SMARTHOST_PORT" "$SECRET" "oauth_flow = $_cc_flow" \
	    "oauth_ca_file = $C/ca.pem" "$@"
	sed -i "s|^\\[postern\\]\$|&\\nagent_program = $POSTERND|" "$CONF"
}
ms_conf() {
	ck_conf client_credentials "oauth_tenant = ${TENANT:-contoso}" \
	    "oauth_authority = 127.0.0.1:$OAUTHSRV_PORT" \
	    "oauth_client_id = ${MSCID:-$CID}"
}
rt_conf() {
	ck_conf refresh_token "oauth_tenant = contoso" \
	    "oauth_authority = 127.0.0.1:$OAUTHSRV_PORT" \
	    "oauth_client_id = $CID" \
	    "oauth_scope = https://outlook.office.com/SMTP.Send offline_access"
	mkdir -p -m 700 "$SPOOL/state/oauth"
	RF=$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.refresh
	printf '%s\n' "$RT0" >"$RF"
	chmod 600 "$RF"
	[ -z "$AS" ] || chown -R "${TEST_USER_PREFIX}1:" "$SPOOL/state/oauth"
}
g_conf() {
	ck_conf refresh_token "oauth_client_id = $GCID" \
	    "oauth_token_endpoint = https://localhost:$OAUTHSRV_PORT/token" \
	    "oauth_scope = https://mail.google.com/"
	printf '127.0.0.1:%s %s\n' "$SMARTHOST_PORT" "$GSECRET" >"$SECRETS"
	mkdir -p -m 700 "$SPOOL/state/oauth"
	RF=$SPOOL/state/oauth/127.0.0.1-$SMARTHOST_PORT.refresh
	printf '%s\n' "$RT0" >"$RF"
	chmod 600 "$RF"
	[ -z "$AS" ] || chown -R "${TEST_USER_PREFIX}1:" "$SPOOL/state/oauth"
}

# ck - postern check as the test user (the sender-domain section, public
# DNS, is check-domain.sh's); output in $T/out, status in $rc
ck() {
	$AS timeout 60 "$POSTERN" check --no-dns -C "$CONF" "$@" \
	    >"$T/out" 2>"$T/err"
	rc=$?
}

# expect NAME CONF FAULT CAUSE-ERE - the endpoint answers FAULT; the
# token step fails with CAUSE-ERE, the rest is skipped, exit non-zero
expect() {
	_e_name=$1
	agent_spool
	"$2"
	if [ -n "$3" ]; then
		printf '%s\n' "$3" >"$OAUTHSRV_DIR/fault"
	else
		rm -f "$OAUTHSRV_DIR/fault"
	fi
	ck
	rm -f "$OAUTHSRV_DIR/fault"
	ok "$_e_name: exit status not 0" test "$rc" -ne 0
	like "$(tr '\n' ' ' <"$T/out")" "\\[FAIL\\] OAuth2 token: .*$4" \
	    "$_e_name: the token step names the cause and the fix"
	like "$(cat "$T/out")" 'skip\] connect: not run' \
	    "$_e_name: the SMTP steps are not run"
}

sh_ms() {
	smarthost_start "$T/sh$(date +%s%N)" --starttls $TLSOPTS \
	    --auth XOAUTH2 --user alice@example.org \
	    --oauth-live "$OAUTHSRV_DIR/live" "$@" ||
		bail_out "smarthost did not start"
}
sh_ms

# ---------------------------------------------------------------- good
agent_spool
ms_conf
ck
is "$rc" 0 "client_credentials: exit 0"
like "$(cat "$T/out")" \
    '\[ ok \] OAuth2 token: https://127.0.0.1:[0-9]+/contoso/'\
'oauth2/v2.0/token \(client_credentials, client secret\): a token valid '\
'[0-9]+s' \
    "client_credentials: the token step says where the token came from"
like "$(cat "$T/out")" '\[ ok \] AUTH: XOAUTH2 as alice@example.org accepted' \
    "client_credentials: AUTH with it accepted"
agent_spool
g_conf
ck
is "$rc" 0 "Google refresh_token: exit 0"
# a refresh token without a client secret takes nothing from the secrets
# file: the check reads none and vouches for none (it once said "FILE:
# owned by ..., mode 600" of a file that was not there)
agent_spool
rt_conf
rm -f "$SECRETS"
ck
unlike "$(cat "$T/out")" "secrets|$SECRETS" \
    "refresh_token, no secrets file: no secrets step"

# ---------------------------------------------------------------- errors
expect "AADSTS7000215" ms_conf AADSTS7000215 \
    'AADSTS7000215: Invalid client secret.*client secret is wrong'
expect "AADSTS7000222" ms_conf AADSTS7000222 \
    'client secret has expired.*Certificates & secrets'
MSCID=00000000-0000-0000-0000-00000000dead
expect "AADSTS700016 (real)" ms_conf "" \
    'AADSTS700016.*not known in this tenant'
MSCID=
TENANT=fabrikam
expect "AADSTS90002 (real)" ms_conf "" 'AADSTS90002.*the tenant does not exist'
TENANT=
expect "AADSTS700027" ms_conf AADSTS700027 \
    'client assertion \(certificate\) is not valid'
expect "AADSTS700024" ms_conf AADSTS700024 'clock of this machine is off'
expect "AADSTS70000" rt_conf AADSTS70000 'run `postern oauth login` again'
expect "AADSTS700082" rt_conf AADSTS700082 \
    'refresh token has expired.*postern oauth login'
expect "AADSTS65001" ms_conf AADSTS65001 'grant admin consent'
expect "Google invalid_grant" g_conf invalid_grant \
    'invalid_grant: Token has been expired or revoked.*grant was refused.*clock'
expect "Google unauthorized_client" g_conf unauthorized_client \
    'domain-wide delegation to this client id'
# a refresh token the server does not know: the real invalid_grant
RT0=rt-revoked
expect "AADSTS70000 (real)" rt_conf "" 'AADSTS70000.*postern oauth login'
RT0=rt-initial-refresh-token-0

# ---------------------------------------------------------------- 535 5.7.3
smarthost_stop
sh_ms --fault "auth:535 5.7.3 Authentication unsuccessful"
agent_spool
ms_conf
ck
ok "535 5.7.3: exit status not 0" test "$rc" -ne 0
like "$(cat "$T/out")" '\[ ok \] OAuth2 token' "535 5.7.3: the token is fine"
like "$(tr '\n' ' ' <"$T/out")" \
    '\[FAIL\] AUTH: .*New-ServicePrincipal.*Add-MailboxPermission.*'\
'Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled \$false' \
    "535 5.7.3: the Exchange-side steps"
smarthost_stop
sh_ms

# ------------------------------------------- oauth_ca_file, and only that
# oauth_ca_file replaces the system's CAs (postern.conf(5)): libcurl's
# built-in CA directory (/etc/ssl/certs on Debian) must not be read too
if command -v strace >/dev/null 2>&1; then
	agent_spool
	ms_conf
	# strace runs as the checking user (it traces its own child), so
	# its output goes to a directory that user may write
	mkdir -p -m 1777 "$T/strace"
	$AS strace -f -qq -e trace=open,openat -o "$T/strace/trace" \
	    timeout 60 "$POSTERN" check --no-dns -C "$CONF" \
	    >"$T/out" 2>"$T/err"
	like "$(cat "$T/strace/trace")" "\"$C/ca.pem\"" \
	    "oauth_ca_file: the token request reads it"
	is "$(grep -c '"/etc/ssl/certs' "$T/strace/trace")" 0 \
	    "oauth_ca_file: no file of the system's CA directory is read"
else
	skip "strace not installed"
	skip "strace not installed"
fi

# ---------------------------------------------------------------- down
agent_spool
dead=$(free_port)
ck_conf client_credentials "oauth_client_id = $CID" \
    "oauth_token_endpoint = https://127.0.0.1:$dead/contoso/oauth2/v2.0/token" \
    "oauth_scope = https://outlook.office365.com/.default"
ck
ok "endpoint down: exit status not 0" test "$rc" -ne 0
like "$(tr '\n' ' ' <"$T/out")" \
    '\[FAIL\] OAuth2 token: .*no OAuth2 token from .*reaches the endpoint' \
    "endpoint down: says so, and what to check"

all=$(cat "$T/out" "$T/err")
unlike "$all" "$SECRET|$GSECRET|at-[A-Za-z0-9_-]{8}|$RT0" \
    "no token or secret in the output"
done_testing
