#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-relaystate.sh - the relays' state survives --once runs and
# restarts (issue 12, item 2), unless the configuration changed since.  The relay rejects the password; retry_min
# is 10 minutes, so its back-off outlasts the test.  Two --once runs a
# second apart make exactly one AUTH attempt (the second one reads
# state/relays); a resident agent started next keeps "down since" and
# tries nothing; a postern flush by the spool's owner with no agent
# running is saved, and the next --once run tries the relay again (one
# more AUTH).  A malformed state/relays is logged and ignored; a relay no
# longer configured is dropped from it.  Counts, never times.
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
need_cmd timeout
AGENT_RETRY_MIN=10m
AGENT_RETRY_MAX=20m

printf 'Subject: relay state\n\nbody\n' >"$T/body"
agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" wrong-password
qid=$(agent_queue bob@example.org "$T/body" carol@example.net) ||
	bail_out "postern-drop: $(cat "$T/drop.err")"

auths() {
	grep -c ' C: AUTH' "$SMARTHOST_DIR/transcript.log" 2>/dev/null
}
since() {
	awk '$2 == "down" { print $3 }' "$SPOOL/state/relays"
}

agent_once
is "$?" 0 "first --once run: exit 0"
is "$(auths)" 1 "first --once run: one AUTH attempt"
like "$(cat "$SPOOL/state/relays")" "^127.0.0.1:$SMARTHOST_PORT down [0-9]+ [0-9]+ 1 authentication failed" \
    "state/relays: the relay is down, one failure, the AUTH reason"
s1=$(since)

# issue 12, item 3: the message held by the relay says why, and when
$AS "$POSTERN" queue -C "$CONF" >"$T/q.out" 2>"$T/q.err"
is "$?" 0 "postern queue: exit 0"
like "$(grep -A1 "^$qid " "$T/q.out" | tail -1)" "^ \\(age [0-9a-z]+, not tried yet, next [^;(]+ \\(in [0-9a-z]+\\); waiting for relay 127\\.0\\.0\\.1:$SMARTHOST_PORT, down since [^;]*[0-9]: authentication failed: wrong user name or password .*535 5\\.7\\.8.*\\)$" \
    "postern queue: the message shows the relay's reason and its next attempt"
like "$(cat "$T/q.out")" "<carol@example\\.net> pending: waiting for the relay" \
    "postern queue: its recipient says it waits for the relay"
unlike "$(cat "$T/q.out")" 'new, not tried yet' \
    "postern queue: not 'new, not tried yet' with no reason"
$AS "$POSTERN" queue --json -C "$CONF" >"$T/q.json" 2>>"$T/q.err"
is "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rel = d["relays"][0]
m = [m for m in d["messages"] if m["id"] == sys.argv[2]][0]
h = m["held_by_relay"]
print(h["name"] == rel["name"], h["reason"] == rel["reason"],
      "535 5.7.8" in h["reason"], m["next_attempt"] == rel["next_try"],
      h["next_try"] == rel["next_try"], h["down_since"] == rel["down_since"],
      m["next_attempt"] > d["now"])
' "$T/q.json" "$qid" 2>&1)" "True True True True True True True" \
    "postern queue --json: held_by_relay names the relay, its reason, and next_attempt is the relay's next try"
$AS "$POSTERN" show -C "$CONF" "$qid" >"$T/show.out" 2>>"$T/q.err"
like "$(cat "$T/show.out")" "Next attempt:  next .*; waiting for relay 127\\.0\\.0\\.1:$SMARTHOST_PORT, down since .*: authentication failed" \
    "postern show: the relay's reason and the next attempt"
sleep 1
agent_once
is "$?" 0 "second --once run: exit 0"
is "$(auths)" 1 "second --once run a second later: no AUTH attempt (back-off kept)"
like "$(cat "$T/agent.log")" "relay 127.0.0.1:$SMARTHOST_PORT down since .*\\(state/relays\\)" \
    "second --once run: says the relay state came from state/relays"
is "$(since)" "$s1" "down since unchanged by the second run"
ok "the message still waits in cur/" [ -f "$SPOOL/cur/$qid" ]

# a restart of the resident agent keeps it too
agent_start
sleep 1
agent_stop
is "$(auths)" 1 "a resident agent started meanwhile: no AUTH attempt"
is "$(since)" "$s1" "down since unchanged after a restart"

# a privileged flush with no agent running is saved for the next run
$AS "$POSTERN" flush -C "$CONF" 2>"$T/flush.err"
is "$?" 69 "flush without an agent: EX_UNAVAILABLE"
like "$(cat "$T/flush.err")" 'not running: the flush is saved' \
    "flush without an agent: says the flush is saved for the next run"
ok "the saved flush is in state/" [ -f "$SPOOL/state/flush-relays" ]
agent_once
is "$(auths)" 2 "the --once run after the flush tried the relay again"
ok "the saved flush was consumed" [ ! -e "$SPOOL/state/flush-relays" ]
is "$(since)" "$s1" "down since still the first failure's"
agent_once
is "$(auths)" 2 "and the run after that waits for the back-off again"

# the configuration changed after the last failure (a new password?)
sleep 1
agent_conf "$SMARTHOST_PORT" still-wrong
agent_once
is "$(auths)" 3 "the configuration changed since the failure: tried again"
like "$(cat "$T/agent.log")" 'configuration changed after .*: every relay is tried again' \
    "the configuration changed since the failure: logged"
is "$(since)" "$s1" "down since still the first failure's after that"
agent_once
is "$(auths)" 3 "unchanged configuration: the back-off holds again"

# strict reading: a malformed file is logged and ignored as a whole
printf '127.0.0.1:%s down 1 2 x garbage\n' "$SMARTHOST_PORT" \
    >"$SPOOL/state/relays"
agent_once
is "$?" 0 "a malformed state/relays: exit 0"
like "$(cat "$T/agent.log")" 'state/relays: malformed: ignored' \
    "a malformed state/relays: logged"
is "$(auths)" 4 "a malformed state/relays: ignored, the relay is tried"

# an oversized one too, without a crash
head -c 200000 /dev/zero | tr '\0' 'x' >"$SPOOL/state/relays"
agent_once
is "$?" 0 "an oversized state/relays: exit 0"
like "$(cat "$T/agent.log")" 'state/relays: too long: ignored' \
    "an oversized state/relays: logged"

# matched by name, relays no longer configured are dropped
printf 'gone.example:587 down 100 %s 3 old reason\n127.0.0.1:%s down 100 %s 2 AUTH failed\n' \
    "$(($(date +%s) + 600))" "$SMARTHOST_PORT" "$(($(date +%s) + 600))" \
    >"$SPOOL/state/relays"
a0=$(auths)
agent_once
is "$(auths)" "$a0" "matched by name, not by line: the relay's back-off holds"
unlike "$(cat "$SPOOL/state/relays")" 'gone.example' \
    "a relay no longer configured is dropped from state/relays"
like "$(cat "$SPOOL/state/relays")" "^127.0.0.1:$SMARTHOST_PORT down 100 " \
    "the configured relay keeps its down since"

smarthost_stop
done_testing
