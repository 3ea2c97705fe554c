#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# certs.sh DIR - generate the test PKI for postern's TLS tests into DIR.
#
# Produces (all PEM, ECDSA P-256 keys because they are generated instantly):
#   ca.pem ca-key.pem              test CA
#   server.pem server-key.pem      CN/dNSName localhost, iPAddress 127.0.0.1,
#   server-chain.pem                 signed by the CA (chain = server + CA)
#   wrong-name.pem wrong-name-key.pem   signed by the CA for wrong.example
#   self-signed.pem self-signed-key.pem localhost, self-signed
#   expired.pem expired-key.pem    localhost, signed by the CA, valid only in
#                                    2001-2002 (activation/expiration_date)
#   client.pem client-key.pem      TLS client certificate (CN postern-client)
#   server.sha256                  "sha256:HEX" of server.pem's DER
#   server.pubkey-sha256           "pubkey-sha256:HEX" of its SPKI DER
# (HEX lower case, no colons: the forms postern's tls_pins take.)
# Idempotent: returns at once when DIR already holds a complete set.
# Concurrent callers on the same DIR are serialised with flock(1).
# Never writes outside DIR.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: certs.sh DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

# The last file written; its presence means the set is complete.
[ -s server.pubkey-sha256 ] && exit 0

exec 9>.certs.lock
flock 9
[ -s server.pubkey-sha256 ] && exit 0

umask 077

# certs_key NAME - a fresh private key in NAME-key.pem
certs_key() {
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	    --outfile "$1-key.pem" 2>/dev/null
}

# certs_sign NAME TEMPLATE-TEXT - NAME.pem for NAME-key.pem, signed by the CA
certs_sign() {
	printf '%s\n' "$2" >"$1.tmpl"
	certtool --generate-certificate --load-privkey "$1-key.pem" \
	    --load-ca-certificate ca.pem --load-ca-privkey ca-key.pem \
	    --template "$1.tmpl" --outfile "$1.pem" 2>/dev/null
	rm -f "$1.tmpl"
}

# CA
certs_key ca
cat >ca.tmpl <<'T'
cn = "postern test CA"
organization = "postern tests"
serial = 1
expiration_days = 3650
ca
cert_signing_key
crl_signing_key
T
certtool --generate-self-signed --load-privkey ca-key.pem \
    --template ca.tmpl --outfile ca.pem 2>/dev/null
rm -f ca.tmpl

server_tmpl='organization = "postern tests"
expiration_days = 3650
tls_www_server
signing_key
encryption_key'

certs_key server
certs_sign server "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
serial = 2
$server_tmpl"
cat server.pem ca.pem >server-chain.pem

certs_key wrong-name
certs_sign wrong-name "cn = \"wrong.example\"
dns_name = \"wrong.example\"
serial = 3
$server_tmpl"

certs_key expired
certs_sign expired "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
serial = 4
organization = \"postern tests\"
activation_date = \"2001-01-01 00:00:00 UTC\"
expiration_date = \"2002-01-01 00:00:00 UTC\"
tls_www_server
signing_key
encryption_key"

certs_key self-signed
printf '%s\n' "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
serial = 5
$server_tmpl" >self-signed.tmpl
certtool --generate-self-signed --load-privkey self-signed-key.pem \
    --template self-signed.tmpl --outfile self-signed.pem 2>/dev/null
rm -f self-signed.tmpl

certs_key client
certs_sign client 'cn = "postern-client"
organization = "postern tests"
serial = 6
expiration_days = 3650
tls_www_client
signing_key'

# Pins.  The certificate pin hashes the DER certificate, the key pin the
# DER SubjectPublicKeyInfo (what certtool calls the sha256 key id).
fp=$(certtool --fingerprint --hash sha256 --infile server.pem 2>/dev/null |
    tr -d ': \n' | tr 'A-F' 'a-f')
kid=$(certtool --pubkey-info --load-cert server.pem --outder 2>/dev/null |
    sha256sum | cut -d' ' -f1)
case $fp in
*[!0-9a-f]* | '') echo "certs.sh: bad fingerprint '$fp'" >&2; exit 1 ;;
esac
if [ ${#fp} -ne 64 ] || [ ${#kid} -ne 64 ]; then
	echo "certs.sh: could not compute the sha256 pins" >&2
	exit 1
fi
echo "sha256:$fp" >server.sha256
echo "pubkey-sha256:$kid" >server.pubkey-sha256.tmp
# Test-only material: readable by the unprivileged test users and Postfix.
chmod 0644 ./*.pem server.sha256 server.pubkey-sha256.tmp
mv server.pubkey-sha256.tmp server.pubkey-sha256
