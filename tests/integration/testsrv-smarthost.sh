#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# testsrv-smarthost.sh - self-test of the test infrastructure itself:
# tests/lib/certs.sh (each certificate verifies or fails for its reason),
# tests/lib/smarthost.py (recording, STARTTLS, implicit TLS, AUTH, one
# case per fault ACTION) and tests/lib/smarthost.sh.  Clients: swaks for
# plain-text sessions, tests/lib/smtpclient.py where TLS is needed (Debian's
# swaks has TLS only with the optional Net::SSLeay).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/smarthost.sh"

need_cmd certtool gnutls-cli swaks timeout
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed for /usr/bin/python3"
tmpdir_make
C=$T/certs

# ---------------------------------------------------------------- certs
ok "certs.sh generates the test PKI" sh "$TESTLIB/certs.sh" "$C"
before=$(stat -c %Y "$C/ca.pem")
ok "certs.sh is idempotent" sh "$TESTLIB/certs.sh" "$C"
is "$(stat -c %Y "$C/ca.pem")" "$before" "second run keeps the CA"

verify() {
	certtool --verify --load-ca-certificate "$C/ca.pem" \
	    --verify-hostname localhost --infile "$C/$1" 2>&1
}
like "$(verify server.pem)" "Chain verification output: Verified" \
    "server.pem verifies for localhost"
like "$(verify server-chain.pem)" "Chain verification output: Verified" \
    "server-chain.pem verifies"
like "$(verify wrong-name.pem)" "does not match the expected" \
    "wrong-name.pem fails: name mismatch"
like "$(verify self-signed.pem)" "issuer is unknown" \
    "self-signed.pem fails: unknown issuer"
like "$(verify expired.pem)" "uses expired certificate" \
    "expired.pem fails: expired"
like "$(certtool -i --infile "$C/expired.pem")" "Not After: .* 2002" \
    "expired.pem validity ended in 2002"
like "$(certtool -i --infile "$C/server.pem")" "IPAddress: 127\.0\.0\.1" \
    "server.pem names 127.0.0.1"
like "$(certtool --verify --load-ca-certificate "$C/ca.pem" \
    --infile "$C/client.pem" 2>&1)" "Verified" "client.pem is signed by the CA"
fp=$(certtool --fingerprint --hash sha256 --infile "$C/server.pem" |
    tr -d ':' | tr 'A-F' 'a-f')
is "$(cat "$C/server.sha256")" "sha256:$fp" "server.sha256 is the DER pin"
like "$(cat "$C/server.pubkey-sha256")" '^pubkey-sha256:[0-9a-f]{64}$' \
    "server.pubkey-sha256 has the pubkey-sha256:HEX form"

# ---------------------------------------------------------------- STARTTLS
TLS="--tls-cert $C/server.pem --tls-key $C/server-key.pem"
S=$T/s1
smarthost_start "$S" --starttls $TLS --auth PLAIN,LOGIN,CRAM-MD5 \
    --user alice --password 's3cret' --dsn ||
	bail_out "smarthost did not start"
like "$SMARTHOST_PORT" '^[0-9]+$' "smarthost_start exports the port"
printf 'Subject: one\r\n\r\nline 1\r\n.leading dot\r\n\xe9 8bit\r\n' >"$T/msg"
out=$(smtp_send --port "$SMARTHOST_PORT" --starttls --ca "$C/ca.pem" \
    --auth PLAIN --user alice --password s3cret --from a@example.org \
    --to b@example.net --to c@example.net --mail-option BODY=8BITMIME \
    --mail-option RET=HDRS --rcpt-option NOTIFY=NEVER --data-file "$T/msg")
like "$out" "^SENT" "STARTTLS + AUTH PLAIN message accepted"
is "$(smarthost_count "$S")" 1 "one message recorded"
ok ".eml holds the exact data bytes" cmp "$T/msg" "$S/0001.eml"
is "$(smarthost_json "$S" 1 mail_from)" "a@example.org" "json mail_from"
is "$(smarthost_json "$S" 1 rcpt_tos | tr '\n' ' ')" \
    "b@example.net c@example.net " "json rcpt_tos"
is "$(smarthost_json "$S" 1 mail_options | tr '\n' ' ')" \
    "BODY=8BITMIME RET=HDRS " "json mail_options, raw DSN params kept"
like "$(smarthost_json "$S" 1 rcpt_options)" 'NOTIFY=NEVER' \
    "json rcpt_options"
is "$(smarthost_json "$S" 1 tls)" "true" "json tls on"
is "$(smarthost_json "$S" 1 auth_user)" "alice" "json auth user"
like "$(cat "$S/transcript.log")" "C: STARTTLS" "transcript has STARTTLS"
like "$(cat "$S/transcript.log")" "S: 250-DSN" "DSN offered"
like "$(cat "$S/transcript.log")" "S: 250-PIPELINING" "PIPELINING offered"

out=$(smtp_send --port "$SMARTHOST_PORT" --starttls --ca "$C/ca.pem" \
    --auth LOGIN --user alice --password wrong)
like "$out" "FAILED at auth: 535 5.7.8" "bad password: 535 5.7.8"
out=$(smtp_send --port "$SMARTHOST_PORT" --starttls --ca "$C/ca.pem" \
    --auth CRAM-MD5 --user alice --password s3cret)
like "$out" "^SENT" "AUTH CRAM-MD5"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -a PLAIN -au alice \
    -ap s3cret -f a@example.org -t b@example.net 2>&1 </dev/null)
like "$out" "Host did not advertise authentication|538 5.7.11" \
    "no AUTH before STARTTLS (auth_require_tls)"
out=$(smtp_send --port "$SMARTHOST_PORT" --starttls --ca "$C/ca.pem" \
    --servername wrong.example)
like "$out" "ERROR: SSLCertVerificationError" \
    "client refuses the certificate for another name"
smarthost_stop
not_ok "smarthost_stop ends the server" 1 kill -0 "$SMARTHOST_PID"

# ---------------------------------------------------------------- implicit TLS
S=$T/s2
smarthost_start "$S" --implicit-tls $TLS --auth PLAIN --user bob \
    --password pw || bail_out "smarthost did not start"
out=$(smtp_send --port "$SMARTHOST_PORT" --implicit-tls --ca "$C/ca.pem" \
    --auth PLAIN --user bob --password pw)
like "$out" "^SENT" "implicit TLS + AUTH PLAIN"
is "$(smarthost_json "$S" 1 tls)" "true" "implicit TLS recorded"
out=$(timeout 10 gnutls-cli --x509cafile "$C/ca.pem" -p "$SMARTHOST_PORT" \
    --verify-hostname localhost 127.0.0.1 </dev/null 2>&1)
like "$out" "Handshake was completed" "gnutls-cli verifies the server"
out=$(smtp_send --port "$SMARTHOST_PORT" --timeout 1)
like "$out" "^ERROR: .*timed out" \
    "plain client on the implicit-TLS port gets no greeting"
smarthost_stop

S=$T/s3
smarthost_start "$S" --implicit-tls --tls-cert "$C/wrong-name.pem" \
    --tls-key "$C/wrong-name-key.pem" || bail_out "smarthost did not start"
out=$(timeout 10 gnutls-cli --x509cafile "$C/ca.pem" -p "$SMARTHOST_PORT" \
    --verify-hostname localhost 127.0.0.1 </dev/null 2>&1)
like "$out" "does not match the expected" "gnutls-cli: wrong name refused"
smarthost_stop
S=$T/s4
smarthost_start "$S" --implicit-tls --tls-cert "$C/expired.pem" \
    --tls-key "$C/expired-key.pem" || bail_out "smarthost did not start"
out=$(timeout 10 gnutls-cli --x509cafile "$C/ca.pem" -p "$SMARTHOST_PORT" \
    --verify-hostname localhost 127.0.0.1 </dev/null 2>&1)
like "$out" "expired" "gnutls-cli: expired certificate refused"
smarthost_stop

# A plain-text server (no --implicit-tls) where a client expects TLS.
S=$T/s5
smarthost_start "$S" || bail_out "smarthost did not start"
out=$(smtp_send --port "$SMARTHOST_PORT" --implicit-tls --ca "$C/ca.pem" \
    --timeout 3)
like "$out" "^ERROR" "TLS client on a plain port fails"
smarthost_stop

# ---------------------------------------------------------------- faults
FC_SERVER=
# fault_case DESC ERE FAULT [client args...] - fresh server with FAULT,
# one smtpclient run; its output must match ERE.
fault_case() {
	_fc_desc=$1 _fc_re=$2 _fc_fault=$3
	shift 3
	smarthost_start "$T/f" --fault "$_fc_fault" $FC_SERVER ||
		bail_out "smarthost did not start"
	_fc_out=$(timeout 20 /usr/bin/python3 "$TESTLIB/smtpclient.py" \
	    --port "$SMARTHOST_PORT" "$@" </dev/null)
	like "$_fc_out" "$_fc_re" "$_fc_desc"
	smarthost_stop
	rm -rf "$T/f"
}
fault_case "greeting reply 554" "FAILED at greeting: 554 5.3.2" \
    "greeting:554 5.3.2 no service here"
fault_case "greeting 421" "FAILED at greeting: 421" \
    "greeting:421 4.3.2 shutting down"
fault_case "ehlo disconnect" "ERROR: SMTPServerDisconnected" \
    "ehlo:disconnect"
fault_case "mail reply 451" "FAILED at mail: 451 4.3.0 try later" \
    "mail:451 4.3.0 try later"
fault_case "rcpt reply 550" "FAILED at rcpt: 550 5.1.1 no such user" \
    "rcpt:550 5.1.1 no such user"
fault_case "data reply 554" "FAILED at data: 554 5.6.0" \
    "data:554 5.6.0 no data today"
fault_case "dot reply 552" "FAILED at data: 552 5.3.4" \
    "dot:552 5.3.4 message too big"
fault_case "dot disconnect" "ERROR: SMTPServerDisconnected" "dot:disconnect"
fault_case "garbage instead of the EHLO reply" "FAILED at ehlo: -1|ERROR" \
    "ehlo:garbage"
fault_case "oversized MAIL reply" "ERROR: .*Line too long" "mail:oversized"
start=$(date +%s)
fault_case "stall at RCPT: client times out" "ERROR: .*timed out" \
    "rcpt:stall" --timeout 1
is "$(( $(date +%s) - start < 10 ))" 1 "stall test ended promptly"
FC_SERVER="--starttls $TLS"
fault_case "starttls reply 454" "FAILED at starttls: 454" \
    "starttls:454 4.7.0 TLS not available" --starttls --ca "$C/ca.pem"
FC_SERVER=

# endless: the client never gets a final line; the test bounds it.
smarthost_start "$T/f" --fault "ehlo:endless" || bail_out "no smarthost"
timeout 2 /usr/bin/python3 "$TESTLIB/smtpclient.py" \
    --port "$SMARTHOST_PORT" </dev/null >/dev/null
is "$?" 124 "endless 250- stream never ends (client killed by timeout)"
smarthost_stop
n=$(sed -n 's/.*-- endless: \([0-9]*\) lines sent/\1/p' "$T/f/transcript.log")
like "$n" '^[0-9]+$' "endless reply lines were sent"
ok "endless stream is rate-limited ($n lines in 2 s)" test "$n" -gt 20 -a "$n" -lt 1000
rm -rf "$T/f"

# COUNT, rcpt#N and rcpt=ADDR in one server.
S=$T/s6
smarthost_start "$S" --fault "mail:451 4.3.0 try later:1" \
    --fault "rcpt#2:550 5.1.1 second is unknown" \
    --fault "rcpt=bad@example.net:550 5.1.1 bad is unknown" ||
	bail_out "smarthost did not start"
out=$(smtp_send --port "$SMARTHOST_PORT")
like "$out" "FAILED at mail: 451" "COUNT 1: first MAIL refused"
out=$(smtp_send --port "$SMARTHOST_PORT" --partial --to one@example.net \
    --to two@example.net --to bad@example.net --to four@example.net)
like "$out" "^SENT" "COUNT 1: then MAIL accepted"
like "$out" "550 5.1.1 second is unknown" "rcpt#2 refused"
like "$out" "550 5.1.1 bad is unknown" "rcpt=ADDR refused"
is "$(smarthost_json "$S" 1 rcpt_tos | tr '\n' ' ')" \
    "one@example.net four@example.net " "only accepted recipients recorded"
smarthost_stop

# AUTH failure texts of real providers, through swaks (plain text).
S=$T/s7
smarthost_start "$S" --auth PLAIN,LOGIN --auth-require-tls no \
    --fault 'auth:534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x:1' \
    --fault 'auth:535 5.7.139 Authentication unsuccessful, basic authentication is disabled.:1' ||
	bail_out "smarthost did not start"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -a LOGIN -au u -ap p \
    -f a@example.org -t b@example.net 2>&1 </dev/null)
like "$out" "<~?\*\* +534-5.7.9 Application-specific password required" \
    "swaks sees Gmail's 534-5.7.9 multi-line reply"
like "$out" "534 5.7.9  https://support.google.com" "... and its last line"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -a PLAIN -au u -ap p \
    -f a@example.org -t b@example.net 2>&1 </dev/null)
like "$out" "535 5.7.139 Authentication unsuccessful, basic authentication" \
    "swaks sees Microsoft's 535 5.7.139"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -a PLAIN -au u -ap p \
    -f a@example.org -t b@example.net 2>&1 </dev/null)
like "$out" "235 2.7.0" "faults used up: AUTH succeeds (no --user: any)"
smarthost_stop

# EHLO shaping: SIZE, no 8BITMIME, no PIPELINING, no AUTH offer, banner.
S=$T/s8
smarthost_start "$S" --size 1000 --no-8bitmime --no-pipelining \
    --auth PLAIN --auth-require-tls no --no-auth-offer \
    --banner "mx.test ESMTP hello" --greeting-delay 0.2 ||
	bail_out "smarthost did not start"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -f a@example.org \
    -t b@example.net --pipeline 2>&1 </dev/null)
like "$out" "220 mx.test ESMTP hello" "--banner"
like "$out" "250-SIZE 1000" "--size advertises SIZE"
unlike "$out" "8BITMIME|PIPELINING|AUTH" "8BITMIME, PIPELINING, AUTH not offered"
out=$(swaks -s 127.0.0.1 -p "$SMARTHOST_PORT" -f a@example.org \
    -t b@example.net --body "$(seq 1 500)" \
    2>&1 </dev/null)
like "$out" "552" "--size enforced"
out=$(smtp_send --port "$SMARTHOST_PORT" --mail-option BODY=8BITMIME)
like "$out" "FAILED at mail: 555" "BODY=8BITMIME refused when not offered"
smarthost_stop

# ---------------------------------------------------------------- ::1
# A client naming "localhost" may get ::1 first (Debian's usual
# /etc/hosts): where the loopback has IPv6 the server listens there too,
# on the same port.
if /usr/bin/python3 -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	smarthost_start "$T/s6" || bail_out "smarthost did not start"
	out=$(smtp_send --host ::1 --port "$SMARTHOST_PORT" --to b@example.net)
	like "$out" "^SENT" "the server accepts a message on [::1]:PORT"
	out=$(smtp_send --host 127.0.0.1 --port "$SMARTHOST_PORT" \
	    --to b@example.net)
	like "$out" "^SENT" "and on 127.0.0.1:PORT"
	is "$(smarthost_count "$T/s6")" 2 "one server recorded both"
	smarthost_stop
else
	skip "the loopback has no IPv6 address here" 3
fi

# ---------------------------------------------------------------- common.sh
like "$(free_port)" '^[0-9]+$' "free_port prints a port"
( sleep 0.2; echo x >"$T/late" ) &
ok "wait_for_file sees a file written later" wait_for_file "$T/late" 5
not_ok "wait_for_file times out" 1 wait_for_file "$T/never" 1
if [ "$(id -u)" -eq 0 ]; then
	ok "make_test_users creates postern-t1..t2" make_test_users 2
	ok "make_test_users is idempotent" make_test_users 2
	u1=$(id -u postern-t1)
	is "$(run_as postern-t1 id -u)" "$u1" "run_as switches uid"
	is "$(run_as postern-t1 id -g)" "$(id -g postern-t1)" \
	    "run_as switches gid"
	echo secret >"$T/root-only" && chmod 0600 "$T/root-only"
	not_ok "run_as user cannot read a root-only file" 1 \
	    run_as postern-t2 cat "$T/root-only"
	# the copies of the built programs: reachable wherever the clone is
	# (/root is mode 0700); an unprivileged shell runs one
	ok "a test user runs \$BUILT/postern (tmpdir_make's copy)" \
	    run_as postern-t1 sh -c '"$1" -C /nonexistent -bv x@example.org
	    rc=$?; [ $rc -ne 126 ] && [ $rc -ne 127 ]' sh "$BUILT/postern"
	is "$(getent passwd postern-t1 | cut -d: -f7)" /usr/sbin/nologin \
	    "test users have no login shell"
else
	skip "make_test_users needs root" 7
fi

# Cleanup: the servers are gone, nothing listens for this test.
left=0
for d in "$T"/s*; do
	[ -f "$d/ready" ] || continue
	p=$(cat "$d/ready")
	ss -ltn "sport = :$p" | grep -q LISTEN && left=$((left + 1))
done
is "$left" 0 "no smarthost left listening"
done_testing
