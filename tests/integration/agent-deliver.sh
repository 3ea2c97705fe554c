#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-deliver.sh - a message queued by the real postern-drop is
# delivered by `posternd --once` over STARTTLS + AUTH PLAIN and arrives
# byte for byte (LF -> CRLF, dot-stuffing undone by the server); the
# spool is empty afterwards and the log has one Postfix-style line.
. "$top_srcdir/tests/integration/agent-common.sh"

agent_spool
smarthost_start "$T/sh" --starttls --require-starttls $TLSOPTS \
    --auth PLAIN,LOGIN --user alice@example.org --password s3cret \
    --auth-require-tls yes || bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"

{
	printf 'From: Bob <bob@example.org>\nTo: carol@example.net\n'
	printf 'Subject: intact\n\nline one\n.leading dot\n..two dots\n'
	printf '\303\251t\303\251 8-bit\n\n\nlast line\n'
} >"$T/body"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
like "$qid" '^[0-9A-F]{20}$' "postern-drop queued the message"
is "$(count "$SPOOL/new")" 1 "it waits in new/"

agent_once
is "$?" 0 "posternd --once exits 0"
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "the smarthost got one message"
eml 1 >"$T/got"
ok "the message arrived intact" cmp "$T/body" "$T/got"
is "$(smarthost_json "$SMARTHOST_DIR" 1 mail_from)" "bob@example.org" \
    "envelope sender"
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" "carol@example.net" \
    "envelope recipient"
like "$(cat "$SMARTHOST_DIR/transcript.log")" 'BODY=8BITMIME' \
    "8-bit body announced as BODY=8BITMIME (no B record: scanned)"
like "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: STARTTLS' "STARTTLS used"
is "$(count "$SPOOL/new")$(count "$SPOOL/cur")$(ls -A "$SPOOL/state" | grep -vc '^relays$')" 000 \
    "new/, cur/ and state/ are empty (but for the relays' state)"
like "$(cat "$T/agent.log")" \
    "$qid: to=<carol@example.net>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:$SMARTHOST_PORT, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, tls=TLS1\\.[23]/[^,]+, auth=alice@example\\.org, dsn=2\\.0\\.0, status=sent \\(250 " \
    "one Postfix-style log line per recipient"
unlike "$(cat "$T/agent.log")" 's3cret' "the password never reaches the log"

# several messages share one session
for i in 1 2 3; do
	agent_queue bob@example.org "$T/body" "r$i@example.net" >/dev/null
done
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 4 "three more delivered"
is "$(grep -c 'C: EHLO' "$SMARTHOST_DIR/transcript.log")" 4 \
    "over one more session (two EHLO per STARTTLS session)"

# force_sender: envelope sender and From: become the relay user
agent_conf "$SMARTHOST_PORT" s3cret "force_sender = yes"
agent_queue bob@example.org "$T/body" dave@example.net >/dev/null
agent_once
is "$(smarthost_json "$SMARTHOST_DIR" 5 mail_from)" "alice@example.org" \
    "force_sender: envelope sender is the relay user"
like "$(eml 5 | grep '^From:')" '^From: Bob <alice@example\.org>$' \
    "force_sender: From: address rewritten, display name kept"
is "$(eml 5 | sed 1d)" "$(sed 1d "$T/body")" \
    "force_sender: nothing else changed"
done_testing
