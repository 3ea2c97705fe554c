#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tls-certs-unit.sh DIR - the test certificates for tests/unit/tls.c, made
# fresh at test time with certtool (gnutls-bin).  Writes into DIR:
#   ca.pem ca.key           a test CA
#   good.pem good.key       localhost + 127.0.0.1, signed by the CA
#   other.pem other.key     other.example + alt.example, signed by the CA
#   self.pem self.key       localhost, self-signed
#   expired.pem expired.key localhost, signed by the CA, expired 2021-01-02
#   future.pem future.key   localhost, signed by the CA, valid from 2099
# Exits 77 (skip) when certtool is missing, 1 on any other failure.
set -eu
dir=$1
command -v certtool >/dev/null 2>&1 || { echo "certtool not found (apt-get install gnutls-bin)" >&2; exit 77; }
mkdir -p "$dir"
cd "$dir"

key() {
	certtool --generate-privkey --key-type=ecdsa --outfile "$1.key" \
	    >/dev/null 2>&1
}

cat >ca.tmpl <<T
cn = "postern unit test CA"
ca
cert_signing_key
expiration_days = 30
T
key ca
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
    --outfile ca.pem >/dev/null 2>&1

leaf() {	# name template-body signer(ca|self)
	printf '%s\n' "$2" >"$1.tmpl"
	printf 'tls_www_server\nsigning_key\nencryption_key\n' >>"$1.tmpl"
	key "$1"
	if [ "$3" = self ]; then
		certtool --generate-self-signed --load-privkey "$1.key" \
		    --template "$1.tmpl" --outfile "$1.pem" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$1.key" \
		    --load-ca-certificate ca.pem --load-ca-privkey ca.key \
		    --template "$1.tmpl" --outfile "$1.pem" >/dev/null 2>&1
	fi
}

leaf good 'cn = "localhost"
dns_name = "localhost"
ip_address = "127.0.0.1"
expiration_days = 30' ca
leaf other 'cn = "other.example"
dns_name = "other.example"
dns_name = "alt.example"
expiration_days = 30' ca
leaf self 'cn = "localhost"
dns_name = "localhost"
expiration_days = 30' self
leaf expired 'cn = "localhost"
dns_name = "localhost"
activation_date = "2020-01-01 00:00:00 UTC"
expiration_date = "2021-01-02 00:00:00 UTC"' ca
leaf future 'cn = "localhost"
dns_name = "localhost"
activation_date = "2099-01-01 00:00:00 UTC"
expiration_date = "2099-06-01 00:00:00 UTC"' ca
rm -f ./*.tmpl
