#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-delay.sh - [queue] delay_warning (issue 12, item 5): a message
# whose recipient the relay keeps deferring (451) gets, once it has
# waited delay_warning, one DSN with Action: delayed (RFC 3464) to its
# sender, for the waiting recipient only, with the header returned; the
# retry state records it (D), so later runs (each --once run is a new
# process, as after a restart) send no second one.  Off by default; a
# null sender never gets one.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
AGENT_RETRY_MIN=1s
AGENT_RETRY_MAX=1s
printf 'Subject: delay\n\nbody\n' >"$T/body"
agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret \
    --fault 'rcpt=later@example.net:451 4.3.0 mailbox busy' ||
	bail_out "smarthost did not start"
emls() {
	ls "$SMARTHOST_DIR" | grep -c '\.eml$'
}
delayed() {
	grep -l '^Action: delayed' "$SMARTHOST_DIR"/*.eml 2>/dev/null | wc -l |
	    tr -d ' '
}

# off by default: no warning however long it waits
agent_conf "$SMARTHOST_PORT" s3cret
qid=$(agent_queue bob@example.org "$T/body" carol@example.net \
    later@example.net) || bail_out "postern-drop: $(cat "$T/drop.err")"
sleep 2
agent_once
is "$(delayed)" 0 "delay_warning unset: no warning"
rm -f "$SPOOL/cur/$qid" "$SPOOL/state/$qid"

# an attempt before delay_warning (1h, never reached here): no warning;
# then (the same message) delay_warning 2s, and an attempt after it
AGENT_QUEUE_EXTRA='delay_warning=1h'
agent_conf "$SMARTHOST_PORT" s3cret
qid=$(agent_queue bob@example.org "$T/body" carol@example.net \
    later@example.net) || bail_out "postern-drop: $(cat "$T/drop.err")"
agent_once
is "$(delayed)" 0 "an attempt before delay_warning: no warning"
unlike "$(cat "$SPOOL/state/$qid")" '^D ' "no D record yet"
AGENT_QUEUE_EXTRA='delay_warning=2s'
agent_conf "$SMARTHOST_PORT" s3cret
sleep 3
agent_once
agent_once	# delivers the warning, if queued after the run's start
is "$(delayed)" 1 "an attempt after delay_warning: one delay warning"
like "$(cat "$SPOOL/state/$qid")" '
D [0-9]+
' "the retry state records it (D)"
f=$(grep -l '^Action: delayed' "$SMARTHOST_DIR"/*.eml | head -1)
body=$(tr -d '\r' <"$f")
like "$body" '
Final-Recipient: rfc822; ?later@example\.net
Action: delayed
Status: 4\.3\.0' "the DSN: the waiting recipient, Action: delayed, its 4.x.x status"
unlike "$body" 'Final-Recipient: rfc822; ?carol@' "not the recipient already delivered"
like "$body" 'Content-Type: text/rfc822-headers' "the header returned, not the message"
like "$body" '
To: <?bob@example\.org>?
' "sent to the original sender"
sleep 3
agent_once
agent_once
is "$(delayed)" 1 "later attempts (new processes): no second warning"

# a null sender: never
agent_spool
qid=$(agent_queue "" "$T/body" later@example.net) ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
sleep 3
agent_once
agent_once
is "$(delayed)" 1 "a null sender: no warning"
smarthost_stop
done_testing
