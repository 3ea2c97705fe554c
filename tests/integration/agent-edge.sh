#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-edge.sh - the agent's remaining required cases (the malformed
# queue file and the 4xx/5xx RCPT cases are in agent-relay.sh and
# agent-retry.sh):
#   - a queue file the agent cannot open is set aside into failed/ with a
#     log line, and the queue keeps flowing;
#   - a message larger than the server's SIZE is bounced before anything
#     is sent, with that reason;
#   - max_age: a recipient that is always deferred expires, and the DSN
#     says the agent gave up (4.4.7 with the last error);
#   - a header line over 998 octets is folded at white space and unfolds
#     to the submitted line; one without white space is logged (issue 9);
#   - (no 8BITMIME on the server: agent-8bit.sh)
#   - an SMTPUTF8 message to a server without SMTPUTF8 bounces with a
#     clear reason, nothing sent;
#   - sendmail -N success,failure -R hdrs -V envid: the server that
#     offers DSN sees NOTIFY=, RET=, ENVID=; ORCPT= from the envelope
#     (never invented); a server without DSN sees none of them.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
DROP=$(cd "$(dirname "$DROP")" && pwd)/postern-drop
SENDER=bob@example.org
printf 'From: %s\nSubject: edge\n\nbody\n' "$SENDER" >"$T/body"

# start_host NAME [ARGS...] - a STARTTLS+AUTH smarthost recording into
# $T/shNAME, with ARGS, and the configuration for it
start_host() {
	_sh_name=$1
	shift
	smarthost_start "$T/sh$_sh_name" --starttls $TLSOPTS --auth PLAIN \
	    --user alice@example.org --password s3cret "$@" ||
		bail_out "smarthost did not start"
	agent_conf "$SMARTHOST_PORT"
}

# tr_log - the smarthost's transcript
tr_log() {
	cat "$SMARTHOST_DIR/transcript.log"
}

# dsn_body N - message N (a DSN), LF line ends
dsn_body() {
	eml "$1"
}

# ---------------------------------------------------------------- unreadable
agent_spool
: >"$T/agent.log"
start_host open
bad=$(agent_queue "$SENDER" "$T/body" unreadable@example.net)
good=$(agent_queue "$SENDER" "$T/body" readable@example.net)
# a file the agent cannot open: mode 000 (and root's when we are root)
[ -z "$AS" ] || chown root: "$SPOOL/new/$bad"
chmod 000 "$SPOOL/new/$bad"
agent_once
is "$?" 0 "unreadable: --once exits 0"
ok "unreadable: set aside into failed/" test -f "$SPOOL/failed/$bad"
like "$(cat "$T/agent.log")" "$bad: set aside into failed/: .*(denied|permission|owner)" \
    "unreadable: logged with the reason"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "unreadable: the next one was delivered"
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" readable@example.net \
    "unreadable: it was the readable one ($good)"
is "$(count "$SPOOL/new")$(count "$SPOOL/cur")" 00 "unreadable: queue empty"
smarthost_stop

# ---------------------------------------------------------------- SIZE
agent_spool
: >"$T/agent.log"
start_host size --size 2000
{
	printf 'From: %s\nSubject: too big\n\n' "$SENDER"
	i=0
	while [ $i -lt 100 ]; do
		printf 'line %03d of a message larger than the server allows\n' $i
		i=$((i + 1))
	done
} >"$T/big"
qid=$(agent_queue "$SENDER" "$T/big" big@example.net)
agent_once
unlike "$(tr_log)" 'C: (MAIL FROM:<bob|RCPT TO:<big)' \
    "SIZE: nothing of the message was sent"
like "$(cat "$T/agent.log")" "$qid: to=<big@example.net>.*status=bounced \\(message size [0-9]+ exceeds the server's limit of 2000 bytes\\)" \
    "SIZE: bounced with that reason"
ok "SIZE: the original is in failed/" test -f "$SPOOL/failed/$qid"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "SIZE: only the DSN arrived"
is "$(smarthost_json "$SMARTHOST_DIR" 1 mail_from)" "<>" "SIZE: DSN, null sender"
like "$(dsn_body 1 | tr '\n' ' ' | tr -s ' ')" \
    "Diagnostic-Code: .*exceeds the server's limit of 2000" \
    "SIZE: the DSN says why"
like "$(dsn_body 1)" 'Status: 5\.3\.4' "SIZE: DSN status 5.3.4"
like "$(dsn_body 1)" 'Content-Type: text/rfc822-headers' \
    "SIZE: the DSN returns the header only (the whole would be too big)"
unlike "$(dsn_body 1)" 'line 050 of a message' "SIZE: no body returned"
smarthost_stop

# SIZE= is the wire size with CRLF (RFC 1870; issue 9 defect 6): at the
# server's limit exactly the message goes, one octet more and it is
# refused before anything is sent, though its spool size (LF line ends)
# is well under the limit
# wire_msg FILE N - a message of exactly N octets on the wire
# The message is made so that, with the Received: field postern-drop puts
# above it (TRACE_WIRE octets on the wire, measured on a probe message),
# it is N octets on the wire.
wire_msg() {
	/usr/bin/python3 - "$1" "$2" "$SENDER" "${TRACE_WIRE:-0}" <<'PY'
import sys
path, n, sender = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n -= int(sys.argv[4])
msg = "From: %s\nSubject: size edge\n\n" % sender
wire = lambda m: len(m) + m.count("\n")
while wire(msg) + 40 < n:
    msg += "a line of text for the size boundary\n"
msg += "x" * (n - wire(msg) - 2) + "\n"
assert wire(msg) == n
open(path, "w").write(msg)
PY
}
agent_spool
: >"$T/agent.log"
printf 'Subject: probe\n\nprobe\n' >"$T/probe"
agent_queue "$SENDER" "$T/probe" probe@example.net >/dev/null
TRACE_WIRE=$(/usr/bin/python3 - "$SPOOL"/new/* <<'PY'
import sys
# the queue file: envelope records, a blank line, then the message, whose
# first field (with its continuation lines) is postern-drop's Received:
msg = open(sys.argv[1], "rb").read().split(b"\n\n", 1)[1].split(b"\n")
assert msg[0].startswith(b"Received: "), msg[0]
n = 1
while msg[n][:1] in (b" ", b"\t"):
    n += 1
print(sum(len(l) + 2 for l in msg[:n]))
PY
) || bail_out "cannot measure the Received: field"
rm -f "$SPOOL"/new/*
start_host sizeedge --size 2000
wire_msg "$T/w2000" 2000
wire_msg "$T/w2001" 2001
qid=$(agent_queue "$SENDER" "$T/w2000" fits@example.net)
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "SIZE edge: 2000 octets went"
like "$(smarthost_json "$SMARTHOST_DIR" 1 mail_options)" '^SIZE=2000$' \
    "SIZE edge: SIZE= is the CRLF size (spool $(wc -c <"$T/w2000"))"
is "$(smarthost_json "$SMARTHOST_DIR" 1 size)" 2000 \
    "SIZE edge: and that is what arrived"
qid=$(agent_queue "$SENDER" "$T/w2001" over@example.net)
agent_once
like "$(cat "$T/agent.log")" "$qid: to=<over@example.net>.*status=bounced \\(message size 2001 exceeds the server's limit of 2000 bytes\\)" \
    "SIZE edge: 2001 wire octets (spool $(wc -c <"$T/w2001")) refused"
unlike "$(tr_log)" 'C: RCPT TO:<over@' "SIZE edge: nothing of it was sent"
smarthost_stop

# ------------------------------------------------------- long header lines
# issue 9 defect 4: a header line over 998 octets is folded at white space
# and unfolds to what was submitted; only a line without white space gets
# a space inserted, and that is logged
agent_spool
: >"$T/agent.log"
start_host longhdr
/usr/bin/python3 - "$T/longhdr" "$SENDER" <<'PY'
import sys
words = " ".join("w%d 0123" % i for i in range(400))      # about 3,600
open(sys.argv[1], "w").write("From: %s\nSubject: long header\n"
    "X-Words: %s\nX-Solid: %s\n\nbody\n" % (sys.argv[2], words, "s" * 1200))
PY
qid=$(agent_queue "$SENDER" "$T/longhdr" longhdr@example.net)
agent_once
ok "long header: unfolding gives back the submitted X-Words line" \
    /usr/bin/python3 - "$T/longhdr" "$SMARTHOST_DIR/0001.eml" <<'PY'
import re, sys
sent = open(sys.argv[1]).read().split("\n\n")[0]
got = open(sys.argv[2], newline="").read().split("\r\n\r\n")[0]
assert all(len(l) <= 998 for l in got.split("\r\n")), "a line over 998"
unfolded = re.sub(r"\r\n(?=[ \t])", "", got)
want = [l for l in sent.split("\n") if l.startswith("X-Words:")][0]
have = [l for l in unfolded.split("\r\n") if l.startswith("X-Words:")][0]
sys.exit(0 if have == want else "X-Words differs after unfolding")
PY
like "$(cat "$T/agent.log")" "$qid: 1 header lines split without white space" \
    "long header: the one line without white space is logged"
smarthost_stop

# ---------------------------------------------------------------- max_age
agent_spool
: >"$T/agent.log"
start_host age --fault 'rcpt=late@example.net:451 4.3.0 mailbox busy'
sed -i 's/^retry_min = 1s$/retry_min = 1s\nmax_age = 2s/' "$CONF"
qid=$(agent_queue "$SENDER" "$T/body" late@example.net)
agent_once
like "$(cat "$SPOOL/state/$qid")" 'deferred' "max_age: deferred at first"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "max_age: nothing delivered, no DSN yet"
sleep 2.5
agent_once
like "$(cat "$T/agent.log")" "$qid: to=<late@example.net>.*dsn=4\\.4\\.7, status=expired \\(message expired after .*451 4\\.3\\.0 mailbox busy\\)" \
    "max_age: logged as expired with the last error"
ok "max_age: the original is in failed/" test -f "$SPOOL/failed/$qid"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "max_age: a DSN was delivered"
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" "$SENDER" \
    "max_age: to the sender"
like "$(dsn_body 1)" 'Status: 5\.4\.7' "max_age: DSN status 5.4.7"
like "$(dsn_body 1 | tr '\n' ' ' | tr -s ' ')" \
    'Diagnostic-Code: .*expired after .* 451 4\.3\.0 mailbox busy' \
    "max_age: the DSN says it gave up, with the last error"
smarthost_stop

# ---------------------------------------------------------------- SMTPUTF8
agent_spool
: >"$T/agent.log"
start_host utf8
qid=$(AGENT_ENVELOPE_EXTRA='F SMTPUTF8' agent_queue "$SENDER" "$T/body" \
    "$(printf 'j\303\266rg@example.net')")
like "$qid" '^[0-9A-F]{20}$' "SMTPUTF8: a UTF-8 recipient queued"
agent_once
# (the transcript later shows the DSN: MAIL FROM:<> to bob)
unlike "$(tr_log)" 'C: (MAIL FROM:<bob|RCPT TO:<j)' \
    "SMTPUTF8: nothing of the message was sent"
like "$(cat "$T/agent.log")" "$qid: to=<.*status=bounced \\(message needs SMTPUTF8 .* the server does not offer it\\)" \
    "SMTPUTF8: bounced with a clear reason"
like "$(cat "$T/agent.log")" "$qid: sender non-delivery notification" \
    "SMTPUTF8: a DSN was queued"
# the bounce's own envelope is ASCII (null sender, an ASCII original
# sender): it must not be flagged SMTPUTF8, or the same relay would refuse
# it too and, with its null sender, it would be dropped
is "$(smarthost_count "$SMARTHOST_DIR")" 1 \
    "SMTPUTF8: the DSN reaches the sender through the same relay"
smarthost_stop

# ---------------------------------------------------------------- DSN
agent_spool
: >"$T/agent.log"
start_host dsn --dsn
# the real front end, as the submitting user
mkdir -p "$T/bin"
ln -sf "$BUILT/postern" "$T/bin/sendmail"
sed "s|^\\[postern\\]\$|[postern]\\ndrop_program = $DROP\\naliases =|" \
    "$CONF" >"$T/front.conf"
chmod 644 "$T/front.conf"
printf 'Subject: dsn\n\nbody\n' |
	$AS "$T/bin/sendmail" -C "$T/front.conf" -f "$SENDER" \
	    -N success,failure -R hdrs -V env-id.42 carol@example.net \
	    2>"$T/sendmail.err"
is "$?" 0 "DSN: sendmail -N -R -V queued the message"
[ -s "$T/sendmail.err" ] && diag "$(cat "$T/sendmail.err")"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "DSN: delivered"
mo=$(smarthost_json "$SMARTHOST_DIR" 1 mail_options | tr '\n' ' ')
ro=$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_options | tr '\n' ' ')
like "$mo" 'RET=HDRS' "DSN: RET=HDRS on MAIL"
like "$mo" 'ENVID=env-id\.42' "DSN: ENVID= on MAIL"
like "$ro" 'NOTIFY=SUCCESS,FAILURE' "DSN: NOTIFY=SUCCESS,FAILURE on RCPT"
# ORCPT comes from the envelope (-bs RCPT ... ORCPT=), never invented
unlike "$ro" 'ORCPT=' "DSN: no ORCPT= when the submitter gave none"
agent_spool
AGENT_ENVELOPE_EXTRA='E env-2' agent_queue "$SENDER" "$T/body" \
    "$(printf 'dave@example.net\tNOTIFY=NEVER\tORCPT=rfc822;Dave+2B1@example.net')" \
    >/dev/null
agent_once
ro=$(smarthost_json "$SMARTHOST_DIR" 2 rcpt_options | tr '\n' ' ')
like "$ro" 'NOTIFY=NEVER' "DSN: NOTIFY=NEVER from the envelope"
like "$ro" 'ORCPT=rfc822;Dave\+2B1@example\.net' \
    "DSN: ORCPT= from the envelope, xtext kept"
like "$(smarthost_json "$SMARTHOST_DIR" 2 mail_options | tr '\n' ' ')" \
    'ENVID=env-2' "DSN: ENVID= from the envelope"
# and none of it to a server without DSN
agent_spool
smarthost_stop
start_host nodsn
printf 'Subject: dsn\n\nbody\n' |
	$AS "$T/bin/sendmail" -C "$T/front.conf" -f "$SENDER" \
	    -N success,failure -R hdrs -V env-id.42 carol@example.net
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "no DSN offered: delivered"
unlike "$(tr_log)" 'NOTIFY=|RET=|ENVID=|ORCPT=' \
    "no DSN offered: no DSN parameter sent"
done_testing
