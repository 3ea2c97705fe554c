#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-signals.sh - the resident agent: inotify picks up new mail at
# once; SIGTERM during a transaction lets it end safely (nothing lost,
# nothing duplicated, state persisted); SIGHUP with a broken
# configuration keeps the running one, and a good one is loaded.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
printf 'Subject: signals\n\nbody\n' >"$T/body"
agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret \
    --fault 'dot:stall:1' --stall-seconds 2 ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"

agent_start
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
ok "SIGTERM: the transaction is under way (server stalls after the dot)" \
    wait_until 10 grep -q 'fault dot:stall' "$SMARTHOST_DIR/transcript.log"
kill -TERM "$AGENT_PID"
ok "SIGTERM: the agent stops" wait_until 15 agent_gone
like "$(cat "$T/agent.log")" 'signal 15: stopping' "SIGTERM: logged"
like "$(cat "$T/agent.log")" 'posternd: stopped' "SIGTERM: clean exit"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "SIGTERM: the server never said 250"
ok "SIGTERM: the message is still queued" test -f "$SPOOL/cur/$qid"
like "$(cat "$SPOOL/state/$qid")" 'deferred' \
    "SIGTERM: deferred (connection lost mid-transaction is never permanent)"
sleep "$AGENT_RETRY_WAIT"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "SIGTERM: delivered on the next run"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "SIGTERM: exactly once"

# ---------------------------------------------------------------- SIGHUP
: >"$T/agent.log"
agent_start
cp "$CONF" "$T/good.conf"
DROP_CONF=$T/good.conf	# postern-drop reads the configuration too
printf '[queue]\nretry_min = banana\n' >>"$CONF"
kill -HUP "$AGENT_PID"
ok "SIGHUP: a broken configuration is reported" wait_until 10 \
    grep -q 'keeping the running configuration' "$T/agent.log"
like "$(cat "$T/agent.log")" 'retry_min' "SIGHUP: the error names the key"
agent_queue bob@example.org "$T/body" dave@example.net >/dev/null
ok "SIGHUP: still delivering with the old configuration (inotify)" \
    smarthost_wait_count "$SMARTHOST_DIR" 2 15
cp "$T/good.conf" "$CONF"
kill -HUP "$AGENT_PID"
ok "SIGHUP: a good configuration is loaded" wait_until 10 \
    grep -q 'reload: configuration .* loaded' "$T/agent.log"
agent_queue bob@example.org "$T/body" erin@example.net >/dev/null
ok "SIGHUP: delivering after the reload" \
    smarthost_wait_count "$SMARTHOST_DIR" 3 15
kill -TERM "$AGENT_PID"
ok "the agent stops on SIGTERM when idle" wait_until 10 agent_gone
is "$(count "$SPOOL/new")$(count "$SPOOL/cur")" 00 "the spool is empty"
done_testing
