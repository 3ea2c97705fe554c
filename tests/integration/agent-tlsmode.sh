#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-tlsmode.sh - delivery with the wrong TLS mode for the port says
# so, with the fix, and soon (issue 12, item 3).  tls = starttls against
# an implicit-TLS server (it waits for a ClientHello and sends no
# greeting), with the greeting timeout at 300 s: the relay's reason names
# the fix "port N expects implicit TLS: set tls = implicit" (the words
# of postern check), the run ends well within the greeting timeout (a
# generous bound: under 60 s), nothing is sent and no AUTH.  The reverse,
# tls = implicit against a server that greets in plain text, says
# "expects STARTTLS: set tls = starttls".  The message stays queued and
# postern queue shows the reason on it.
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$BUILT/postern
printf 'Subject: tls mode\n\nbody\n' >"$T/body"
SHAUTH="--auth PLAIN --user alice@example.org --password s3cret"

# ------------------------------------------- starttls against implicit TLS
agent_spool
smarthost_start "$T/sh-implicit" --implicit-tls $TLSOPTS $SHAUTH ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" s3cret
sed 's/^greeting = .*/greeting = 300s/' "$CONF" >"$CONF.new" &&
    cat "$CONF.new" >"$CONF"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net) ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
t0=$(date +%s)
agent_once
rc=$?
t1=$(date +%s)
is "$rc" 0 "tls = starttls against implicit TLS: --once exits 0 (not killed by the 60 s timeout)"
ok "recognised well within the 300 s greeting timeout ($((t1 - t0)) s < 60 s)" \
    [ $((t1 - t0)) -lt 60 ]
like "$(cat "$SPOOL/state/relays")" "^127\\.0\\.0\\.1:$SMARTHOST_PORT down .*port $SMARTHOST_PORT expects implicit TLS: set tls = implicit" \
    "state/relays: the reason carries the fix"
like "$(cat "$T/agent.log")" "relay 127\\.0\\.0\\.1:$SMARTHOST_PORT down since .*no greeting .*port $SMARTHOST_PORT expects implicit TLS: set tls = implicit" \
    "the log: no greeting, and the fix"
unlike "$(cat "$T/agent.log")" 'timeout after 300s' "not a bare timeout"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "nothing delivered"
unlike "$(cat "$SMARTHOST_DIR/transcript.log" 2>/dev/null)" 'C: AUTH' \
    "no AUTH sent"
ok "the message stays queued" [ -f "$SPOOL/cur/$qid" ]
$AS "$POSTERN" queue -C "$CONF" >"$T/q.out" 2>&1
like "$(cat "$T/q.out")" "waiting for relay 127\\.0\\.0\\.1:$SMARTHOST_PORT, down since .*expects implicit TLS: set tls = implicit" \
    "postern queue: the message shows the fix"
smarthost_stop

# ------------------------------------------ implicit against a plain greeting
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh-plain" --starttls $TLSOPTS $SHAUTH ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" s3cret
sed -e 's/^greeting = .*/greeting = 300s/' -e 's/^tls = starttls$/tls = implicit/' \
    "$CONF" >"$CONF.new" && cat "$CONF.new" >"$CONF"
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
t0=$(date +%s)
agent_once
t1=$(date +%s)
ok "tls = implicit against a plain greeting: recognised in under 60 s" \
    [ $((t1 - t0)) -lt 60 ]
like "$(cat "$SPOOL/state/relays")" "^127\\.0\\.0\\.1:$SMARTHOST_PORT down .*port $SMARTHOST_PORT expects STARTTLS: set tls = starttls" \
    "tls = implicit against a plain greeting: the reason carries the fix"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "nothing delivered"
smarthost_stop
done_testing
