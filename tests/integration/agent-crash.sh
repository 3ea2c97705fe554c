#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-crash.sh - the crash campaign: queue CRASH_MESSAGES messages, each
# with a unique marker, start the resident posternd (-f), SIGKILL it at a
# random instant while it delivers, restart, CRASH_ROUNDS times, then let
# one last run finish.  Every marker must arrive (lost = 0), and every
# duplicate must be explained: a message is duplicated only when a kill
# fell between the server's final 250 and the agent's state update, that
# is, the server had it at a kill while the spool still held it as not
# sent ("in flight at a kill"); one session means at most one such
# message per kill.  Prints the lost / duplicated / intact table.
#
# make check runs the reduced form (5 rounds x 100 messages).  The full
# campaign:
#   CRASH_ROUNDS=20 CRASH_MESSAGES=500 make check \
#       TESTS=tests/integration/agent-crash.sh
# CRASH_SEED=N repeats a campaign's kill instants (the seed is printed).
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
ROUNDS=${CRASH_ROUNDS:-5}
MESSAGES=${CRASH_MESSAGES:-100}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
KILL_MAX_MS=${CRASH_KILL_MAX_MS:-500}	# after the first delivery of a round
diag "crash campaign: $ROUNDS rounds x $MESSAGES messages, CRASH_SEED=$SEED"

agent_spool
# --dot-delay: each message takes the server a while, so the kills land
# in every part of a transaction, the server's storing time included
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret --dot-delay 0.02 ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
D=$SMARTHOST_DIR

# queue the messages; $T/map holds "QID MARKER"
: >"$T/map"
i=1
while [ "$i" -le "$MESSAGES" ]; do
	printf 'From: bob@example.org\nSubject: crash %d\nX-Marker: m%06d\n\n' \
	    "$i" "$i" >"$T/body"
	printf 'marker m%06d\n' "$i" >>"$T/body"
	qid=$(agent_queue bob@example.org "$T/body" "r$i@example.net") ||
		bail_out "postern-drop failed at message $i: $(cat "$T/drop.err")"
	printf '%s m%06d\n' "$qid" "$i" >>"$T/map"
	i=$((i + 1))
done
is "$(count "$SPOOL/new")" "$MESSAGES" "$MESSAGES messages queued"

# kill_delays - one random delay in ms per round, from the seed
/usr/bin/python3 -c '
import random, sys
r = random.Random(int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    print(r.randint(0, int(sys.argv[3])))' "$SEED" "$ROUNDS" \
    "$KILL_MAX_MS" >"$T/delays"

# received - the markers the smarthost has, one a line (repeats kept)
received() {
	/usr/bin/python3 - "$D" <<'PY'
import glob, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/[0-9][0-9][0-9][0-9].json")):
    data = open(f[:-5] + ".eml", "rb").read()
    m = re.search(rb"^X-Marker: (m\d+)\r?$", data, re.M)
    print(m.group(1).decode() if m else "?")
PY
}

# unsent - the markers of messages the spool still holds as not sent to
# their (only) recipient
unsent() {
	while read -r q m; do
		if [ -f "$SPOOL/new/$q" ] || [ -f "$SPOOL/cur/$q" ]; then
			grep -q '^r 0 sent ' "$SPOOL/state/$q" 2>/dev/null ||
				echo "$m"
		fi
	done <"$T/map"
}

: >"$T/inflight"
: >"$T/agent.log"
RUNAS=
if [ -n "$AS" ]; then
	RUNAS="setpriv --reuid=${TEST_USER_PREFIX}1"
	RUNAS="$RUNAS --regid=$(id -g "${TEST_USER_PREFIX}1") --init-groups --"
fi

# round_started - the smarthost got a message in this round
round_started() {
	test "$(smarthost_count "$D")" -gt "$before"
}

round=1
while [ "$round" -le "$ROUNDS" ]; do
	delay=$(sed -n "${round}p" "$T/delays")
	if [ -z "$(unsent)" ]; then
		diag "round $round: nothing left to deliver; no more kills"
		break
	fi
	before=$(smarthost_count "$D")
	# the background job must be posternd itself (setpriv execs it;
	# run_as is a shell function, which & would put in a subshell)
	$RUNAS "$POSTERND" -f -C "$CONF" </dev/null >/dev/null \
	    2>>"$T/agent.log" &
	pid=$!
	cleanup_push "kill -KILL $pid 2>/dev/null"
	# while it delivers: after its first message of this round (at most
	# 10 s: a round that finds the queue empty is killed idle)
	wait_until 10 round_started
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	is "$?" 137 "round $round: posternd was running and died by SIGKILL"
	# the server may still be storing the last DATA it got
	sleep 0.3
	received | sort -u >"$T/got.$round"
	unsent | sort >"$T/unsent.$round"
	comm -12 "$T/got.$round" "$T/unsent.$round" >"$T/inflight.$round"
	cat "$T/inflight.$round" >>"$T/inflight"
	diag "round $round: killed after ${delay} ms;" \
	    "$(($(smarthost_count "$D") - before)) delivered in the round," \
	    "$(wc -l <"$T/unsent.$round" | tr -d ' ') still queued," \
	    "in flight: $(tr '\n' ' ' <"$T/inflight.$round")"
	ok "round $round: at most one message in flight at the kill" \
	    test "$(wc -l <"$T/inflight.$round")" -le 1
	round=$((round + 1))
done

# the last run finishes the queue
$AS timeout 300 "$POSTERND" --once -C "$CONF" 2>>"$T/agent.log"
is "$?" 0 "the last run (--once) exits 0"
is "$(count "$SPOOL/new")$(count "$SPOOL/cur")$(count "$SPOOL/failed")" \
    000 "new/, cur/ and failed/ are empty"
is "$(ls "$SPOOL/state" | grep -v '^relays$' | tr '\n' ' ')" "" \
    "no state file left behind"

received | sort | uniq -c | awk '{ print $2, $1 }' >"$T/counts"
cut -d' ' -f2 "$T/map" | sort >"$T/all"
lost=$(cut -d' ' -f1 "$T/counts" | sort | comm -23 "$T/all" - | wc -l)
dups=$(awk '$2 > 1' "$T/counts" | wc -l)
extra=$(awk '$2 > 1 { n += $2 - 1 } END { print n + 0 }' "$T/counts")
intact=$(awk '$2 == 1' "$T/counts" | wc -l)
stray=$(grep -c '^?' "$T/counts")
diag "crash campaign result ($ROUNDS rounds x $MESSAGES messages, seed $SEED):"
diag "  lost        $lost"
diag "  duplicated  $dups ($extra extra copies)"
diag "  intact      $intact"
is "$lost" 0 "no message lost"
is "$((lost + dups + intact))" "$MESSAGES" "every message accounted for"
is "$stray" 0 "nothing arrived without a marker"
unexplained=$(awk '$2 > 1 { print $1 }' "$T/counts" | sort |
    comm -23 - "$(sort -u "$T/inflight" >"$T/inflight.u" && echo "$T/inflight.u")")
is "$(printf '%s' "$unexplained" | tr '\n' ' ')" "" \
    "every duplicate was in flight at a kill (server had it, spool had it unsent)"
ok "no message arrived more than twice" test \
    "$(awk '$2 > 2' "$T/counts" | wc -l)" -eq 0

# one agent per spool: a second one would send cur/ again
$RUNAS "$POSTERND" -f -C "$CONF" </dev/null >/dev/null \
    2>"$T/first" &
pid=$!
cleanup_push "kill -KILL $pid 2>/dev/null"
wait_until 10 grep -q 'posternd: started, spool' "$T/first" ||
	bail_out "posternd did not start"
$AS timeout 20 "$POSTERND" -f -C "$CONF" </dev/null >/dev/null 2>"$T/second"
is "$?" 69 "a second resident agent on the spool exits 69"
like "$(cat "$T/second")" 'another posternd is already delivering spool' \
    "it says why"
$AS timeout 20 "$POSTERND" --once -C "$CONF" 2>"$T/second"
is "$?" 0 "--once while the agent runs exits 0"
like "$(cat "$T/second")" 'another posternd is delivering spool .*nothing to do' \
    "--once says the running agent has the spool"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "the resident agent stops cleanly"
done_testing
