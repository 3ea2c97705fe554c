#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-8bit.sh - 8-bit mail to a server that does not announce 8BITMIME
# (issue 9 defect 5, RFC 6152 section 3): the agent converts it to 7 bit
# (quoted-printable text parts, MIME structure kept) and what arrives
# decodes, with Python's email package (tests/lib/mime-same.py), to the
# original parts; a message that cannot be converted (8-bit header field,
# 8-bit non-text part, message/global) is bounced with that reason
# (5.6.3) before anything of it is sent.  Against the test smarthost with
# --no-8bitmime, then a real Postfix with smtpd_discard_ehlo_keywords =
# 8bitmime, smtputf8 (skipped without root or Postfix).
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

SENDER=bob@example.org
SAME="/usr/bin/python3 $top_srcdir/tests/lib/mime-same.py"
mkdir -p "$T/m"

# ------------------------------------------------------------ the messages
# plain: no MIME at all, 8-bit body (the agent finds it by scanning)
printf 'From: %s\nSubject: plain\n\n\303\251t\303\251 = \342\202\254 \n.\n..x\n' \
    "$SENDER" >"$T/m/plain"
# long: an 8-bit line of 20,000 octets, a 998 and a 999 (B 8BITMIME)
/usr/bin/python3 - "$T/m/long" "$SENDER" <<'PY'
import sys
body = ("\u00e9" * 10000 + "\n" + "a" * 998 + "\n" + "b" * 999 + "\n")
open(sys.argv[1], "wb").write(("From: %s\nSubject: long\n"
    "Date: Mon, 2 Jan 2023 03:04:05 +0000\nMessage-ID: <long@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\n" % sys.argv[2]).encode()
    + body.encode("utf-8"))
PY
# multi: nested multiparts, message/rfc822, base64 attachment
cat >"$T/m/multi" <<EOF
From: $SENDER
Subject: multi
Date: Mon, 2 Jan 2023 03:04:05 +0000
Message-ID: <multi@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer b"

preamble
--outer b
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

gr$(printf '\303\274')n = green 
--alt
Content-Type: text/html; charset=utf-8

<p>gr$(printf '\303\274')n</p>
--alt--
--outer b
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Subject: inner
From: x@example.org

inner $(printf '\303\251')
--outer b
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAwQF
--outer b--
EOF
# the unconvertible ones
printf 'From: %s\nSubject: caf\303\251\n\nbody\n' "$SENDER" >"$T/m/hdr8"
printf 'From: %s\nSubject: octet\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nsee attached\n--q\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: 8bit\n\n\200\201\377\n--q--\n' \
    "$SENDER" >"$T/m/octet"
printf 'From: %s\nSubject: global\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=q\n\n--q\nContent-Type: text/plain\n\nreturned\n--q\nContent-Type: message/global\n\nSubject: \303\251\n\nx\n--q--\n' \
    "$SENDER" >"$T/m/global"

# arrived_for RCPT - the smarthost's message for RCPT into $T/got.RCPT
arrived_for() {
	_af_i=1
	while [ $_af_i -le "$(smarthost_count "$SMARTHOST_DIR")" ]; do
		if [ "$(smarthost_json "$SMARTHOST_DIR" $_af_i rcpt_tos)" = "$1" ]
		then
			cat "$SMARTHOST_DIR/$(printf %04d $_af_i).eml" \
			    >"$T/got.$1"
			return 0
		fi
		_af_i=$((_af_i + 1))
	done
	return 1
}

# ------------------------------------------------- the test smarthost
agent_spool
smarthost_start "$T/sh" --no-8bitmime || bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
sed 's/^tls = starttls$/tls = none/; /^user = /d' "$CONF" >"$CONF.new" &&
    cat "$CONF.new" >"$CONF"
agent_queue "$SENDER" "$T/m/plain" plain@example.net >/dev/null
AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/m/long" \
    long@example.net >/dev/null
AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/m/multi" \
    multi@example.net >/dev/null
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 3 "no 8BITMIME: three delivered"
unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'BODY=8BITMIME' \
    "no 8BITMIME: BODY=8BITMIME never sent"
for c in plain long multi; do
	ok "no 8BITMIME: $c arrived" arrived_for $c@example.net
	same=$($SAME "$T/m/$c" "$T/got.$c@example.net" 2>&1)
	ok "no 8BITMIME: $c is 7-bit and decodes to the original ($same)" \
	    $SAME "$T/m/$c" "$T/got.$c@example.net"
done
like "$(tr -d '\r' <"$T/got.plain@example.net")" \
    'Content-Transfer-Encoding: quoted-printable' \
    "no 8BITMIME: the plain message became quoted-printable"
like "$(cat "$T/agent.log")" 'converted to 7 bit for a server without 8BITMIME' \
    "no 8BITMIME: the conversion is logged"
unlike "$(cat "$T/agent.log")" 'body lines over 998 octets split' \
    "no 8BITMIME: the long lines were encoded, not split"
ok "no 8BITMIME: every SIZE= was the size that arrived" /usr/bin/python3 - \
    "$SMARTHOST_DIR" <<'PY'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    d = json.load(open(f))
    size = [o for o in d["mail_options"] if o.upper().startswith("SIZE=")]
    if size and int(size[0][5:]) != d["size"]:
        sys.exit("%s: %s but %d arrived" % (f, size[0], d["size"]))
PY

# unconvertible: bounced before anything is sent
: >"$T/agent.log"
for c in hdr8 octet global; do
	AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/m/$c" \
	    $c@example.net >"$T/qid.$c"
done
agent_once
for c in hdr8 octet global; do
	unlike "$(cat "$SMARTHOST_DIR/transcript.log")" "RCPT TO:<$c@" \
	    "cannot convert ($c): nothing of it was sent"
	ok "cannot convert ($c): the original is in failed/" \
	    test -f "$SPOOL/failed/$(cat "$T/qid.$c")"
done
like "$(cat "$T/agent.log")" "$(cat "$T/qid.hdr8"): to=<hdr8@example.net>.*dsn=5\\.6\\.3, status=bounced \\(message has 8-bit data the relay cannot accept \\(no 8BITMIME\\) and it cannot be converted: 8-bit header field\\)" \
    "cannot convert: 8-bit header field, 5.6.3, with the reason"
like "$(cat "$T/agent.log")" "$(cat "$T/qid.octet"): to=<octet@.*status=bounced \\(.*cannot be converted: 8-bit data in a non-text part \\(application/octet-stream\\)\\)" \
    "cannot convert: 8-bit application/octet-stream"
like "$(cat "$T/agent.log")" "$(cat "$T/qid.global"): to=<global@.*status=bounced \\(.*cannot be converted: 8-bit data in a non-text part \\(message/global\\)\\)" \
    "cannot convert: message/global"
# the DSNs go back to the sender through the same relay: with the
# header section only (the whole would be refused again), 7-bit
dsn=$(for f in "$SMARTHOST_DIR"/*.eml; do
	grep -l 'Status: 5\.6\.3' "$f"; done | head -1)
ok "cannot convert: a DSN with status 5.6.3 reached the sender" \
    test -n "$dsn"
like "$(tr -d '\r' <"$dsn")" 'Content-Type: text/rfc822-headers' \
    "cannot convert: the DSN returns the header section only"
ok "cannot convert: everything that arrived is 7-bit" /usr/bin/python3 - \
    "$SMARTHOST_DIR" <<'PY'
import glob, sys
for f in glob.glob(sys.argv[1] + "/*.eml"):
    if any(c >= 0x80 for c in open(f, "rb").read()):
        sys.exit("%s has 8-bit data" % f)
PY
smarthost_stop

# ------------------------------------------------- a real Postfix
if why=$(postfix_available); then
	POSTFIX_CERTS=$C
	POSTFIX_EXTRA_MAINCF="smtpd_discard_ehlo_keywords = 8bitmime, smtputf8"
	export POSTFIX_EXTRA_MAINCF
	postfix_start "$T/pf" || bail_out "the private Postfix did not start"
	agent_spool
	: >"$T/agent.log"
	agent_conf "$POSTFIX_PLAIN_PORT"
	sed 's/^tls = starttls$/tls = none/; /^user = /d' "$CONF" \
	    >"$CONF.new" && cat "$CONF.new" >"$CONF"
	AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/m/multi" \
	    carol@example.net >/dev/null
	agent_queue "$SENDER" "$T/m/long" carol@example.net >/dev/null
	agent_once
	ok "Postfix: both delivered" postfix_wait_delivered "$T/pf" 2 20
	like "$(cat "$T/pf/maillog")" 'discarding EHLO keywords: 8BITMIME' \
	    "Postfix: it did not announce 8BITMIME"
	for c in multi long; do
		f=$(grep -l "^Subject: $c" "$POSTFIX_MAILDIR"/new/* \
		    "$POSTFIX_MAILDIR"/cur/* 2>/dev/null | head -1)
		ok "Postfix: $c is 7-bit and decodes to the original" \
		    $SAME "$T/m/$c" "$f"
	done
	: >"$T/agent.log"
	AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/m/octet" \
	    carol@example.net >/dev/null
	log_before=$(grep -c ' from=<bob@example.org>' "$T/pf/maillog")
	agent_once
	like "$(cat "$T/agent.log")" 'status=bounced \(message has 8-bit data' \
	    "Postfix: the unconvertible one bounced"
	is "$(grep -c ' from=<bob@example.org>' "$T/pf/maillog")" \
	    "$log_before" "Postfix: nothing of it was sent"
else
	skip "Postfix without 8BITMIME: $why"
fi

done_testing
