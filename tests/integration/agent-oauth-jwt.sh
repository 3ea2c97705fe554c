#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-oauth-jwt.sh - signed JWT assertions (RFC 7523) end to end:
# sendmail -> spool -> posternd -> the test smarthost, the token from the
# test authorization server (tests/lib/oauthsrv.py), which verifies
# each assertion with python3-jwt against the test keys.
#  - Microsoft certificate credential (client_credentials with
#    oauth_key_file and oauth_certificate_file: x5t thumbprint, RS256,
#    aud = the token URL, iss = sub = the client id): delivered;
#  - Google service account (oauth_flow = service_account, the JSON key
#    file, sub = user, scope https://mail.google.com/): delivered;
#  - a key the server does not know (AADSTS700027; Google invalid_grant),
#    a user outside the domain, delegation not granted
#    (unauthorized_client), a key file others may read: deferred, no
#    bounce, the reason in plain words.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/oauthsrv.sh"

/usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null ||
	skip_all "python3-jwt or python3-cryptography is not installed"

CID=99999999-2222-3333-4444-555555555555
SA=postern-test@project.iam.gserviceaccount.com
printf 'Subject: jwt\n\nbody\n' >"$T/body"
mkdir -p "$T/bin" "$T/keys"
ln -sf "$BUILT/postern" "$T/bin/sendmail"

# the test keys: RSA, a self-signed certificate, a Google JSON key file,
# and another key nobody registered
/usr/bin/python3 - "$T/keys" <<'PY' || bail_out "cannot make the test keys"
import datetime, json, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
d = sys.argv[1]
def key(name):
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = k.private_bytes(serialization.Encoding.PEM,
                          serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    open("%s/%s-key.pem" % (d, name), "wb").write(pem)
    open("%s/%s-pub.pem" % (d, name), "wb").write(k.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo))
    return k, pem
for name in ("app", "other"):
    k, pem = key(name)
    n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "postern " + name)])
    now = datetime.datetime.utcnow()
    c = (x509.CertificateBuilder().subject_name(n).issuer_name(n)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=30))
         .sign(k, hashes.SHA256()))
    open("%s/%s-cert.pem" % (d, name), "wb").write(
        c.public_bytes(serialization.Encoding.PEM))
for name in ("sa", "sa-other"):
    k, pem = key(name)
    json.dump({"type": "service_account", "project_id": "project",
               "private_key_id": "0123", "private_key": pem.decode(),
               "client_email": "postern-test@project.iam.gserviceaccount.com",
               "client_id": "1234", "token_uri":
               "https://oauth2.googleapis.com/token"},
              open("%s/%s.json" % (d, name), "w"))
PY
chmod 600 "$T"/keys/*
chmod 644 "$T"/keys/*-cert.pem
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T"/keys/*
chmod 755 "$T/keys"

oauthsrv_start "$T/oauth" "$C" || bail_out "oauthsrv did not start"

# registered DELEGATION - the server's clients (Google's delegation list)
registered() {
	cat >"$OAUTHSRV_DIR/clients.json" <<J
{"$CID": {"tenant": "contoso", "cert": "$T/keys/app-cert.pem"},
 "$SA": {"public_key": "$T/keys/sa-pub.pem", "domain": "example.org",
	 "client_email": "$SA", "delegation": [$1]}}
J
}
registered '"https://mail.google.com/"'

# jconf PORT FLOW [relay lines...] - the agent's configuration
jconf() {
	_jc_port=$1
	_jc_flow=$2
	shift 2
	agent_conf "$_jc_port" unused "oauth_flow = $_jc_flow" \
	    "oauth_ca_file = $C/ca.pem" "$@"
	sed -i "s|^\\[postern\\]\$|&\\ndrop_program = $DROP\\naliases =|" \
	    "$CONF"
	rm -f "$SECRETS"	# no client secret anywhere
}

# msconf PORT KEY CERT - Microsoft certificate credential
msconf() {
	jconf "$1" client_credentials "oauth_tenant = contoso" \
	    "oauth_authority = 127.0.0.1:$OAUTHSRV_PORT" \
	    "oauth_client_id = $CID" "oauth_key_file = $2" \
	    "oauth_certificate_file = $3"
}

# saconf PORT KEYFILE [user] - Google service account
saconf() {
	jconf "$1" service_account "oauth_key_file = $2" \
	    "oauth_token_endpoint = https://localhost:$OAUTHSRV_PORT/token" \
	    "oauth_scope = https://mail.google.com/"
	[ -z "${3:-}" ] || sed -i "s|^user = .*|user = $3|" "$CONF"
}

# run NAME MECH CONF-FUNCTION ARGS... - one message through sendmail,
# the configuration from CONF-FUNCTION PORT ARGS...
run() {
	_r_name=$1
	_r_mech=$2
	_r_conf=$3
	shift 3
	agent_spool
	: >"$T/agent.log"
	smarthost_start "$T/sh-$_r_name" --starttls $TLSOPTS --auth "$_r_mech" \
	    --user alice@example.org --oauth-live "$OAUTHSRV_DIR/live" ||
		bail_out "smarthost did not start"
	"$_r_conf" "$SMARTHOST_PORT" "$@"
	$AS "$T/bin/sendmail" -C "$CONF" -f bob@example.org \
	    carol@example.net <"$T/body" 2>"$T/sendmail.err" ||
		diag "sendmail: $(cat "$T/sendmail.err")"
	agent_once -v
}

# deferred NAME REASON-ERE
deferred() {
	is "$(smarthost_count "$SMARTHOST_DIR")" 0 "$1: nothing delivered"
	is "$(count "$SPOOL/cur")$(count "$SPOOL/new")$(count \
	    "$SPOOL/failed")" \
	    100 "$1: the message stays queued, no bounce"
	like "$(cat "$SPOOL/state/relays")" "down .*$2" \
	    "$1: relay down with the reason in plain words"
	smarthost_stop
}

run "ms cert" XOAUTH2 msconf "$T/keys/app-key.pem" \
    "$T/keys/app-cert.pem"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 \
    "Microsoft certificate credential: delivered"
like "$(tail -1 "$OAUTHSRV_DIR/requests.jsonl")" \
    '"grant": "client_credentials".*"status": 200.*"assertion": true' \
    "Microsoft certificate credential: a signed assertion, accepted"
smarthost_stop

run "sa" OAUTHBEARER saconf "$T/keys/sa.json"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 \
    "Google service account: delivered"
like "$(tail -1 "$OAUTHSRV_DIR/requests.jsonl")" \
    '"grant": "urn:ietf:params:oauth:grant-type:jwt-bearer".*"status": 200' \
    "Google service account: the JWT bearer grant, accepted"
smarthost_stop

run "ms other key" XOAUTH2 msconf \
    "$T/keys/other-key.pem" "$T/keys/app-cert.pem"
deferred "Microsoft, a key that is not the certificate's" \
    'client assertion \(certificate\) is not valid.*AADSTS700027'
run "ms unknown cert" XOAUTH2 msconf \
    "$T/keys/other-key.pem" "$T/keys/other-cert.pem"
deferred "Microsoft, a certificate not uploaded" 'AADSTS700027'
run "sa other key" XOAUTH2 saconf "$T/keys/sa-other.json"
deferred "Google, a key that is not the account's" \
    'grant was refused.*invalid_grant: Invalid JWT Signature'
run "sa sub" XOAUTH2 saconf "$T/keys/sa.json" \
    alice@elsewhere.example
deferred "Google, a user outside the domain" \
    'invalid_grant: Invalid email or User ID'
registered ''
run "sa delegation" XOAUTH2 saconf "$T/keys/sa.json"
deferred "Google, delegation not granted" \
    'domain-wide delegation.*unauthorized_client'
registered '"https://mail.google.com/"'
chmod 644 "$T/keys/sa.json"
run "sa mode" XOAUTH2 saconf "$T/keys/sa.json"
deferred "a key file others may read" 'must belong to .* mode 600'
chmod 600 "$T/keys/sa.json"

logs=$(cat "$T/agent.log")
unlike "$logs" 'PRIVATE KEY|eyJ' "no key and no assertion in the -v log"
done_testing
