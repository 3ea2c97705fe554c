#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-wakeups.sh - the resident agent's scheduler sleeps until something
# can happen (issue 10).  A backlog is queued with the agent stopped,
# then `posternd -f` (two workers) delivers it while strace counts the
# poll calls of the main process only (strace without -f does not follow
# the workers).  Every poll must be answered by an event (a worker's
# report, mostly), so the count is bounded by a small multiple of the
# messages; the agent that spun with a zero timeout while every worker
# was busy made about 50 a message.  Then, with nothing due, the idle
# agent must not wake at all between its scans; and while the rate limit
# holds due messages it sleeps until the limit's end (it spun there
# too).  Counts, never times.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd strace
vg_enabled && skip_all "strace counts the agent's own system calls"
N=300

agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
AGENT_CONCURRENCY=2 agent_conf "$SMARTHOST_PORT"

# one request, N runs of the real postern-drop
printf 'Subject: wake-ups\n\nbody\n' >"$T/body"
{
	printf 'V 1\nS bob@example.org\nR carol@example.net\n\n'
	printf 'C %d\n' "$(wc -c <"$T/body")"
	cat "$T/body"
	printf 'E %d\n' "$(wc -c <"$T/body")"
} >"$T/request"
i=0
while [ $i -lt $N ]; do
	$AS "$DROP" -C "$CONF" <"$T/request" >/dev/null 2>"$T/drop.err" ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
	i=$((i + 1))
done
is "$(count "$SPOOL/new")" "$N" "$N messages queued with the agent stopped"

# the main process under strace (not -f: the workers are not traced)
mkdir -p "$T/run"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T/run"
strace_user=
[ -z "$AS" ] || strace_user="-u ${TEST_USER_PREFIX}1"
strace -qq -o "$T/strace" -e trace=poll,ppoll,select,pselect6,epoll_wait \
    $strace_user sh -c 'echo $$ >"$0"; exec "$@"' "$T/run/agent.pid" \
    "$POSTERND" -f -C "$CONF" </dev/null >/dev/null 2>>"$T/agent.log" &
strace_job=$!
wait_for_file "$T/run/agent.pid" || bail_out "posternd did not start"
AGENT_PID=$(cat "$T/run/agent.pid")
cleanup_push "kill $AGENT_PID 2>/dev/null"

# polls - poll calls the main process has begun so far
polls() {
	grep -c '^\(poll\|ppoll\|select\|pselect6\|epoll_wait\)(' \
	    "$T/strace" 2>/dev/null
}

ok "the backlog is delivered" smarthost_wait_count "$SMARTHOST_DIR" "$N" 120
ok "the queue is empty" wait_until 20 eval \
    '[ "$(count "$SPOOL/new")$(count "$SPOOL/cur")" = 00 ]'
busy=$(polls)
bound=$((2 * N + 20))
diag "main process: $busy poll calls for $N messages (bound $bound)"
ok "the scheduler sleeps while the workers deliver: $busy poll calls for $N messages, at most $bound" \
    [ "$busy" -le "$bound" ]

# idle: the sessions' QUIT (session_idle = 2s) is reported, then nothing
# is due before the next scan (scan_interval = 1m)
sleep 3
p0=$(polls)
sleep 4
p1=$(polls)
ok "idle with nothing due: no wake-up in 4 s (polls $p0 -> $p1)" \
    [ $((p1 - p0)) -le 1 ]

# the rate limit holds due messages: its end is their timer, not a
# zero-timeout poll (2 per 2 s: 6 messages take about 4 s)
sed 's/^\[queue\]$/[queue]\nrate_limit = 2\nrate_period = 2s/' "$CONF" \
    >"$T/conf.new" && cat "$T/conf.new" >"$CONF"
kill -HUP "$AGENT_PID"
ok "rate limit: configuration reloaded" wait_until 10 \
    grep -q 'reload: configuration .* loaded' "$T/agent.log"
sleep 1
p0=$(polls)
for i in 1 2 3 4 5 6; do
	$AS "$DROP" -C "$CONF" <"$T/request" >/dev/null 2>"$T/drop.err" ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
done
ok "rate limit: the 6 messages are delivered" \
    smarthost_wait_count "$SMARTHOST_DIR" $((N + 6)) 30
like "$(cat "$T/agent.log")" 'rate limit of 2 per 2s reached' \
    "rate limit: it held messages back"
p1=$(polls)
diag "rate limit: $((p1 - p0)) poll calls for 6 messages"
ok "rate limit: the scheduler sleeps until the limit lets the next go ($((p1 - p0)) poll calls, at most 60)" \
    [ $((p1 - p0)) -le 60 ]

kill -TERM "$AGENT_PID"
ok "the agent stops" wait_until 20 eval '! kill -0 "$AGENT_PID" 2>/dev/null'
wait "$strace_job"
like "$(cat "$T/agent.log")" 'posternd: stopped' "clean exit"
is "$(smarthost_count "$SMARTHOST_DIR")" $((N + 6)) "each message sent once"
done_testing
