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
#   - no 8BITMIME on the server: an 8-bit message is sent as is, without
#     BODY=8BITMIME (doc/agent.md);
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

# ---------------------------------------------------------------- 8BITMIME
agent_spool
: >"$T/agent.log"
start_host 8bit --no-8bitmime
printf 'From: %s\nSubject: 8-bit\n\n\303\251t\303\251 \342\202\254\n' \
    "$SENDER" >"$T/body8"
agent_queue "$SENDER" "$T/body8" scanned@example.net >/dev/null
AGENT_ENVELOPE_EXTRA='B 8BITMIME' agent_queue "$SENDER" "$T/body8" \
    declared@example.net >/dev/null
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 2 \
    "no 8BITMIME: both 8-bit messages delivered (scanned and -B8BITMIME)"
unlike "$(tr_log)" 'BODY=8BITMIME' "no 8BITMIME: BODY=8BITMIME never sent"
eml 1 >"$T/got"
ok "no 8BITMIME: the body is sent as is" cmp "$T/body8" "$T/got"
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
