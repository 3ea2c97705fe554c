#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-trigger.sh - the world-writable trigger FIFO cannot make the agent
# hammer a relay or rescan without end (issue 11, item 5).  The relay
# rejects the password, so it is backed off (retry_min 30s) after the
# first AUTH; then, for 10 s, one writer floods spool/trigger with 'f'
# and 'n' and another opens it and writes 'f' again and again (what a
# loop of `sendmail -q` does), as a user who is neither the agent's user
# nor in its group when the test runs as root.  Counted: AUTH commands
# at the server (the first one only) and the agent's rescans (one per
# AGENT_TRIGGER_SCAN_MS, 5 s).  Then spool/flush, the FIFO of root and
# the agent's group (mode 0620): closed to others, and an 'f' there does
# end the back-off (one more AUTH).  Counts, never times.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
FLOOD=
if [ -n "$AS" ]; then
	make_test_users 2 || bail_out "cannot create test users"
	FLOOD="run_as ${TEST_USER_PREFIX}2"
fi
AGENT_RETRY_MIN=30s
AGENT_RETRY_MAX=60s

printf 'Subject: trigger\n\nbody\n' >"$T/body"
agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" wrong-password
# debug: each rescan logs "scan: N messages queued"
sed 's/^\[postern\]$/[postern]\ndebug = yes/' "$CONF" >"$T/conf.new" &&
    cat "$T/conf.new" >"$CONF"
for i in 1 2 3; do
	agent_queue bob@example.org "$T/body" "rcpt$i@example.net" >/dev/null ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
done

# more_auths N - more than N AUTH commands so far
more_auths() {
	[ "$(auths)" -gt "$1" ]
}
auths() {
	grep -c ' C: AUTH' "$SMARTHOST_DIR/transcript.log" 2>/dev/null
}
scans() {
	grep -c 'scan: [0-9]* messages queued' "$T/agent.log"
}

agent_start
ok "the relay that rejects the password is backed off" \
    wait_until 15 grep -q 'relay .* down' "$T/agent.log"
is "$(auths)" 1 "one AUTH attempt so far"
ok "the world's FIFO is there, mode 0622" \
    [ "$(stat -c %a "$SPOOL/trigger")" = 622 ]
ok "the group's FIFO is there, mode 0620" \
    [ "$(stat -c %a "$SPOOL/flush")" = 620 ] && test -p "$SPOOL/flush"
if [ -n "$FLOOD" ]; then
	not_ok "a user outside the group cannot open spool/flush" 2 \
	    $FLOOD sh -c 'exec 3>"$0"' "$SPOOL/flush"
fi

s0=$(scans)
# 10 s of flooding: bytes in bulk, and one open and 'f' at a time
$FLOOD timeout 10 sh -c 'while :; do printf ffffnfffnf; done >"$0"' \
    "$SPOOL/trigger" 2>/dev/null &
bulk=$!
$FLOOD timeout 10 sh -c 'while :; do printf f >"$0"; done' \
    "$SPOOL/trigger" 2>/dev/null &
one=$!
wait $bulk
wait $one
sleep 1
s1=$(scans)
a1=$(auths)
diag "during 10 s of flooding: $((s1 - s0)) rescans, $a1 AUTH attempts in all"
ok "the flood made no AUTH attempt against the backed-off relay ($a1 in all)" \
    [ "$a1" -le 2 ]
ok "the flood made at most 4 rescans in 10 s ($((s1 - s0)))" \
    [ $((s1 - s0)) -le 4 ]
unlike "$(cat "$T/agent.log")" 'flush requested: every message and relay' \
    "no flush through the world's FIFO ended the relays' back-off"
ok "the agent is still running" kill -0 "$AGENT_PID"

# the group's channel: an 'f' there ends the back-off
$AS sh -c 'printf f >"$0"' "$SPOOL/flush"
ok "a flush through spool/flush ends the back-off: one more AUTH" \
    wait_until 10 more_auths "$a1"
like "$(cat "$T/agent.log")" 'flush requested: every message and relay' \
    "the flush through spool/flush is logged"
agent_stop
ok "the agent stopped" agent_gone
is "$(count "$SPOOL/cur")" 3 "the messages wait in cur/"
done_testing
