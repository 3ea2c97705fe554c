#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-retry.sh - temporary and permanent refusals per recipient:
# 4xx at RCPT -> deferred with persisted state, retried after retry_min,
# delivered exactly once; 5xx at RCPT for one of two recipients -> the
# other delivered, a DSN queued for the sender (null sender, RFC 3464
# structure), the refused one never retried, the original in failed/.
. "$top_srcdir/tests/integration/agent-common.sh"

printf 'From: bob@example.org\nSubject: retry\n\nbody\n' >"$T/body"

# ---------------------------------------------------------------- 4xx
agent_spool
smarthost_start "$T/sh1" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret \
    --fault 'rcpt:451 4.3.0 try again later:1' ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
# a back-off long enough that a loaded CI machine cannot cross it between
# the two runs below (retry_min 1s made this check timing-dependent)
sed -i 's/^retry_min = .*/retry_min = 4s/; s/^retry_max = .*/retry_max = 5s/' "$CONF"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "4xx: nothing delivered"
is "$(count "$SPOOL/cur")" 1 "4xx: the message waits in cur/"
like "$(cat "$SPOOL/state/$qid")" 'deferred' "4xx: state says deferred"
like "$(cat "$SPOOL/state/$qid")" '451' "4xx: state keeps the reply"
is "$(head -1 "$SPOOL/state/$qid")" 'V 2' \
    "4xx: the state is version 2 (it carries the envelope)"
is "$(sed '1,/^$/d' "$SPOOL/state/$qid")" "$(sed '/^$/q' "$SPOOL/cur/$qid" | sed '$d')" \
    "4xx: the state ends with a copy of the queue file's envelope"
like "$(cat "$T/agent.log")" "$qid: to=<carol@example.net>.*status=deferred \\(451 4\\.3\\.0 try again later\\)" \
    "4xx: logged as deferred with the reply"
# the next attempt (X, unix time) the first run wrote: the check holds
# only when the whole second run ends before it (a loaded machine, or
# valgrind's start-up, can spend the back-off inside that run, and a
# retry after X is right)
next_attempt=$(sed -n 's/^X //p' "$SPOOL/state/$qid")
agent_once
ended=$(date +%s)
if [ "$ended" -lt "${next_attempt:-0}" ]; then
	is "$(smarthost_count "$SMARTHOST_DIR")" 0 \
	    "4xx: not retried before retry_min"
else
	skip "4xx: not retried before retry_min: the second run ended at $ended, not before the next attempt time $next_attempt"
fi
sleep 6
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "4xx: delivered on retry"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "4xx: exactly once"
is "$(count "$SPOOL/cur")$(ls -A "$SPOOL/state" | grep -vc '^relays$')" 00 "4xx: spool empty"
smarthost_stop

# ---------------------------------------------------------------- 5xx
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh2" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret \
    --fault 'rcpt=bad@example.net:550 5.1.1 no such user' ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
qid=$(agent_queue bob@example.org "$T/body" good@example.net bad@example.net)
agent_once
is "$(smarthost_json "$SMARTHOST_DIR" 1 rcpt_tos)" "good@example.net" \
    "5xx: only the good recipient was accepted"
ok "5xx: original moved to failed/" test -f "$SPOOL/failed/$qid"
like "$(cat "$SPOOL/state/$qid")" 'failed' "5xx: state kept for the listing"
like "$(cat "$T/agent.log")" "to=<bad@example.net>.*dsn=5\\.1\\.1, status=bounced \\(550 5\\.1\\.1 no such user\\)" \
    "5xx: logged as bounced"
like "$(cat "$T/agent.log")" "$qid: sender non-delivery notification: [0-9A-F]{20}" \
    "5xx: a DSN was queued"
# the DSN is due at once: the same run delivered it
is "$(smarthost_count "$SMARTHOST_DIR")" 2 "5xx: message and DSN delivered"
is "$(smarthost_json "$SMARTHOST_DIR" 2 mail_from)" "<>" "DSN: null sender"
is "$(smarthost_json "$SMARTHOST_DIR" 2 rcpt_tos)" "bob@example.org" \
    "DSN: to the original sender"
eml 2 >"$T/dsn"
like "$(cat "$T/dsn")" 'Content-Type: multipart/report; report-type=delivery-status' \
    "DSN: multipart/report"
like "$(cat "$T/dsn")" 'Final-Recipient: rfc822; ?bad@example\.net' \
    "DSN: names the failed recipient"
unlike "$(cat "$T/dsn")" 'Final-Recipient: rfc822; ?good@example\.net' \
    "DSN: not the delivered one"
like "$(cat "$T/dsn")" 'Status: 5\.1\.1' "DSN: status 5.1.1"
like "$(cat "$T/dsn")" 'Diagnostic-Code: smtp; ?550 5\.1\.1 no such user' \
    "DSN: the server's reply"
like "$(cat "$T/dsn")" 'Subject: retry' "DSN: returns the original"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 2 "5xx: the bad recipient is never retried"

# a null-sender message that fails is not bounced
agent_spool
: >"$T/agent.log"
agent_queue "" "$T/body" bad@example.net >/dev/null
agent_once
is "$(count "$SPOOL/new")$(count "$SPOOL/failed")" 01 \
    "null sender: no bounce of a bounce, original in failed/"
like "$(cat "$T/agent.log")" 'no bounce: the sender is null' \
    "null sender: logged"
done_testing
