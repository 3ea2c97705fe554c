#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# status.sh - `postern status` (issue 12, item 5): the screen, --json
# (parsed with python3's json) and --nagios, the monitoring plugin: its
# exit codes 0/1/2/3 and its perfdata.  First against a real agent whose
# relay rejects the password (so the relay is down); then, with no
# agent, on a spool laid out by hand (queue ids that arrived an hour ago,
# a relay down for two hours) for each threshold just under, at and over.
# Counts are exact; ages and down times move with the clock, so their
# bounds keep a margin of a minute (status_level's exact boundaries are
# tests/unit/status.t's).
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$top_builddir/src/postern
need_cmd timeout
AGENT_RETRY_MIN=10m
AGENT_RETRY_MAX=20m

printf 'Subject: status\n\nbody\n' >"$T/body"
agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" wrong-password
RELAY=127.0.0.1:$SMARTHOST_PORT

st() {	# st ARGS... - postern status as the agent's user
	$AS "$POSTERN" status -C "$CONF" "$@"
}

# --------------------------------------------------------- nothing yet
out=$(st 2>&1)
is "$?" 0 "no agent, empty queue: exit 0"
like "$out" '^Agent: +NOT RUNNING \(systemctl start postern' \
    "no agent: the screen says so, and how to start it"
like "$out" 'Queue: +0 messages' "empty queue: 0 messages"
like "$out" "Relay: +$RELAY up" "the configured relay, no failure known: up"
out=$(st --nagios)
is "$?" 2 "--nagios, no agent: CRITICAL (2)"
like "$out" '^POSTERN CRITICAL - agent not running, 0 queued, oldest 0s \| queue=0;100;1000;0 oldest=0s;3600;43200;0 down=0s;900;3600;0 relays_down=0;;;0 failed=0;;;0$' \
    "--nagios, no agent: one line, the defaults in the perfdata"
out=$(st --nagios --agent-optional)
is "$?" 0 "--nagios --agent-optional (postern-once.timer), no agent: OK"
like "$out" '^POSTERN OK - agent not running, 0 queued' \
    "--agent-optional: the line still says the agent is not running"

# ------------------------------------------- a real agent, relay down
agent_start
qid=$(agent_queue bob@example.org "$T/body" carol@example.net) ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
wait_until 20 grep -qs ' down ' "$SPOOL/state/relays" ||
	bail_out "the relay was not marked down"
sleep 1
out=$(st 2>&1)
is "$?" 0 "agent running, relay down: exit 0"
like "$out" '^Agent: +running$' "the running agent is seen"
like "$out" 'Queue: +1 message, oldest [0-9]+s \(arrived ' \
    "one message, its age and arrival"
like "$out" "Relay: +$RELAY DOWN since .*, 1 failure, next try in [0-9hm]+: authentication failed.*535 5\\.7\\.8" \
    "the relay: down since when, and why"
st --json >"$T/s.json"
is "$?" 0 "--json: exit 0"
is "$($PYTHON -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["relays"][0]
q = d["queue"]
print(d["postern_status"], d["agent_running"], q["messages"],
      q["oldest_age"] == d["now"] - q["oldest_arrival"],
      q["oldest_arrival"] == int(sys.argv[2][:8], 16),
      r["name"] == sys.argv[3], r["state"], r["failures"],
      "535 5.7.8" in r["reason"], r["down_for"] == d["now"] - r["down_since"],
      r["next_try"] > d["now"], d["failed"], d["level"])
' "$T/s.json" "$qid" "$RELAY" 2>&1)" \
    "1 True 1 True True True down 1 True True True 0 OK" \
    "--json: agent, queue (oldest = the id's arrival), relay down with its reason"
out=$(st --nagios)
is "$?" 0 "--nagios, relay down for seconds: OK under the default 15m"
like "$out" "^POSTERN OK - 1 queued, oldest [0-9]+s, 1 relay down, $RELAY for [0-9]+s: authentication failed[^|]* \\| queue=1;100;1000;0 oldest=[0-9]+s;3600;43200;0 down=[1-9][0-9]*s;900;3600;0 relays_down=1;;;0 failed=0;;;0\$" \
    "--nagios: the relay's reason on the line, the perfdata after '|'"
out=$(st --nagios --warn-down 0)
is "$?" 1 "--nagios --warn-down 0: the relay is down for more: WARNING (1)"
out=$(st --nagios --warn-down 0 --crit-down 0)
is "$?" 2 "--nagios --crit-down 0: CRITICAL (2)"
agent_stop
smarthost_stop

# ----------------------- a relay that accepts: the last message it took
# state/relays keeps "sent=T" (to the minute), with one session and with
# the worker processes of concurrency 2 (which tell the main process)
for conc in 1 2; do
	agent_spool
	smarthost_start "$T/sh$conc" --starttls $TLSOPTS --auth PLAIN \
	    --user alice@example.org --password s3cret ||
		bail_out "smarthost did not start"
	AGENT_CONCURRENCY=$conc agent_conf "$SMARTHOST_PORT"
	agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
	t0=$(date +%s)
	agent_once
	t1=$(date +%s)
	is "$(count "$SPOOL/cur")" 0 "concurrency $conc: the message was sent"
	sent=$(sed -n "s/^127\.0\.0\.1:$SMARTHOST_PORT up sent=\([0-9]*\)\$/\1/p" \
	    "$SPOOL/state/relays")
	ok "concurrency $conc: state/relays: up sent=T, T the time of the delivery" \
	    [ -n "$sent" ] && [ "$sent" -ge "$t0" ] && [ "$sent" -le "$t1" ]
	like "$(st)" "Relay: +127\.0\.0\.1:$SMARTHOST_PORT up, last sent .* \([0-9]+s ago\)" \
	    "concurrency $conc: status shows the last message sent"
	is "$(st --json | $PYTHON -c 'import json,sys; print(json.load(sys.stdin)["relays"][0]["last_sent"])')" \
	    "$sent" "concurrency $conc: --json: last_sent"
	smarthost_stop
done

# ---------------------------- thresholds, on a spool laid out by hand
# No agent: the test holds the trigger FIFO open, which is what status
# asks.  Three queue ids that arrived an hour ago (status reads names
# only), a relay down for two hours.
agent_spool
RELAY=127.0.0.1:$SMARTHOST_PORT		# the relay of the configuration
now=$(date +%s)
hour=$(printf '%08X' $((now - 3600)))
for i in 1 2 3; do
	: >"$SPOOL/cur/${hour}0000${i}000000$i"
done
printf '%s down %s %s 7 connect: Connection refused | x=1\n' "$RELAY" \
    $((now - 7200)) $((now + 600)) >"$SPOOL/state/relays"
mkfifo -m 0622 "$SPOOL/trigger"
[ -z "$AS" ] || chown -R "${TEST_USER_PREFIX}1:" "$SPOOL"
exec 9<>"$SPOOL/trigger"
out=$(st)
like "$out" '^Agent: +running$' "a reader on the trigger FIFO counts as the agent"
like "$out" 'Queue: +3 messages, oldest 1h[0-9]{2}m' "three messages, the oldest an hour old"
like "$out" "$RELAY DOWN since .* \\(2h[0-9]{2}m\\), 7 failures, next try in [0-9m]+: connect: Connection refused \\| x=1" \
    "the relay down for two hours, and why"
# nagios: every other threshold far away, one at a time
far="--warn-age 1w --crit-age 2w --warn-down 1w --crit-down 2w"
plug() {	# plug ARGS... - the exit code of the plugin
	# shellcheck disable=SC2086
	st --nagios $far "$@" >"$T/plug.out" 2>&1
	echo $?
}
is "$(plug --warn-queue 4 --crit-queue 10)" 0 "queue 3, warn 4 (just under): OK"
is "$(plug --warn-queue 3 --crit-queue 10)" 0 "queue 3, warn 3 (at): OK (alert only above)"
is "$(plug --warn-queue 2 --crit-queue 10)" 1 "queue 3, warn 2 (over): WARNING"
like "$(cat "$T/plug.out")" '^POSTERN WARNING - 3 queued, oldest 1h[0-9]{2}m, 1 relay down, .* \| queue=3;2;10;0 ' \
    "WARNING: the line and the perfdata with the thresholds"
is "$(tr -cd '|' <"$T/plug.out")" '|' \
    "the reason's '|' cannot forge perfdata: one '|' on the line"
is "$(plug --warn-queue 0 --crit-queue 3)" 1 "queue 3, crit 3 (at): WARNING"
is "$(plug --warn-queue 0 --crit-queue 2)" 2 "queue 3, crit 2 (over): CRITICAL"
like "$(cat "$T/plug.out")" '^POSTERN CRITICAL - ' "CRITICAL: said on the line"
far="--warn-queue 100 --crit-queue 1000 --warn-down 1w --crit-down 2w"
is "$(plug --warn-age 3660 --crit-age 1d)" 0 "oldest 1h, warn-age 1h01m (under): OK"
is "$(plug --warn-age 3540 --crit-age 1d)" 1 "oldest 1h, warn-age 59m (over): WARNING"
is "$(plug --warn-age 0 --crit-age 3660)" 1 "oldest 1h, crit-age 1h01m (under): WARNING"
is "$(plug --warn-age 0 --crit-age 59m)" 2 "oldest 1h, crit-age 59m (over): CRITICAL"
far="--warn-queue 100 --crit-queue 1000 --warn-age 1w --crit-age 2w"
is "$(plug --warn-down 7260 --crit-down 1d)" 0 "down 2h, warn-down 2h01m (under): OK"
is "$(plug --warn-down 7140 --crit-down 1d)" 1 "down 2h, warn-down 1h59m (over): WARNING"
is "$(plug --warn-down 0 --crit-down 7260)" 1 "down 2h, crit-down 2h01m (under): WARNING"
is "$(plug --warn-down 0 --crit-down 119m)" 2 "down 2h, crit-down 1h59m (over): CRITICAL"
# the defaults (1h/12h old, 15m/1h down): a relay down two hours
out=$(st --nagios)
is "$?" 2 "defaults: a relay down 2h is CRITICAL"
out=$(st --nagios --warn-queue 5 --crit-queue 2)
is "$?" 3 "warn above crit: UNKNOWN (3)"
like "$out" '^POSTERN UNKNOWN - status: a warning threshold is above its critical one$' \
    "UNKNOWN: one line saying why"
out=$(st --nagios --warn-age soon)
is "$?" 3 "a bad duration: UNKNOWN (3)"
printf '[queue]\nretry_min = soon\n' >"$T/bad.conf"
chmod 644 "$T/bad.conf"
out=$($AS "$POSTERN" status --nagios -C "$T/bad.conf")
is "$?" 3 "a bad configuration: UNKNOWN (3)"
like "$out" "^POSTERN UNKNOWN - bad configuration: .*bad\\.conf:2: \\[queue\\] retry_min: bad value 'soon'" \
    "a bad configuration: the first problem on the line"
out=$($AS "$POSTERN" status -C "$T/bad.conf" 2>&1)
is "$?" 78 "a bad configuration without --nagios: EX_CONFIG (78)"
out=$(st --warn-queue 5 2>&1)
is "$?" 64 "thresholds without --nagios or --json: usage error (64)"
st --json --warn-queue 2 >"$T/s.json"
is "$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["level"], d["thresholds"]["warn_queue"], d["queue"]["messages"])' "$T/s.json")" \
    "CRITICAL 2 3" "--json: the level under the thresholds given"
exec 9<&-

# ------------------------------------------------------------ who may
if [ "$(id -u)" != 0 ]; then
	skip "permission tests need root (test users, owners)" 4
	done_testing
fi
make_test_users 2 || bail_out "cannot create test users"
u2=${TEST_USER_PREFIX}2
chown -R "${TEST_USER_PREFIX}1:" "$SPOOL"
chmod 0755 "$SPOOL" "$T"
chmod 0700 "$SPOOL/cur" "$SPOOL/failed" "$SPOOL/state"
out=$(run_as "$u2" "$POSTERN" status -C "$CONF" 2>&1)
is "$?" 77 "another user: refused with exit 77"
like "$out" "permission denied: the queue is private to root and the members of the mail system's group [^ ]+\\. +Have an administrator add you to it \\(adduser $u2 " \
    "the refusal says who may, and how"
out=$(run_as "$u2" "$POSTERN" status --nagios -C "$CONF" 2>&1)
is "$?" 3 "another user, --nagios: UNKNOWN (3)"
like "$out" '^POSTERN UNKNOWN - status: .*permission denied' \
    "another user, --nagios: one UNKNOWN line"
done_testing
