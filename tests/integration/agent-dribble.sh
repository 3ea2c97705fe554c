#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-dribble.sh - a server that dribbles (one byte every half second,
# never a whole reply) holds no stage beyond its [timeouts] value: the
# deadline is fixed when the stage starts (issue 11, item 3).
#   greeting  relay 1 dribbles its greeting: --once ends, relay 1 is down
#             with a timeout, relay 2 delivers the message
#   tls       relay 1 (implicit TLS) dribbles a TLS record during the
#             handshake: the same
#   ehlo, auth, mail, dot: --once ends, the message is deferred or the
#             relay down, and the next run delivers it
#   SIGTERM   the resident agent, waiting for a dribbled greeting with a
#             5 minute stage timeout, stops at once; the relay is not
#             blamed and the message stays queued
# Every run is bounded by `timeout` far above the stage timeouts: a run
# that hits it is the bug (each read used to get a fresh deadline).
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
RUN_MAX=${DRIBBLE_RUN_MAX:-40}	# seconds: a run takes a couple of 2 s stages
SHAUTH="--auth PLAIN --user alice@example.org --password s3cret"
printf 'From: bob@example.org\nSubject: dribble\n\nbody\n' >"$T/body"

# short_timeouts - every [timeouts] value 2 s
short_timeouts() {
	sed -i 's/^\(greeting\|ehlo\|starttls\|auth\|mail\|rcpt\|data\|data_block\|data_end\|rset\|quit\) = 5s$/\1 = 2s/' \
	    "$CONF"
}

# add_relay PORT - a second [relay] at 127.0.0.1:PORT (STARTTLS + AUTH)
add_relay() {
	printf '[relay]\nhost = 127.0.0.1\nport = %s\ntls = starttls\n' "$1" \
	    >>"$CONF"
	printf 'tls_ca_file = %s\nuser = alice@example.org\n' "$C/ca.pem" \
	    >>"$CONF"
	printf '127.0.0.1:%s s3cret\n' "$1" >>"$SECRETS"
}

# bounded_once - posternd --once under timeout; prints its exit status
bounded_once() {
	$AS timeout -k 2 "$RUN_MAX" "$POSTERND" --once -C "$CONF" \
	    2>>"$T/agent.log"
	echo $?
}

# ---------------------------------------------------------------- greeting
agent_spool
smarthost_start "$T/good" --starttls $TLSOPTS $SHAUTH ||
	bail_out "smarthost did not start"
GOOD=$SMARTHOST_PORT
GOOD_DIR=$SMARTHOST_DIR
smarthost_start "$T/drib" --starttls $TLSOPTS $SHAUTH \
    --fault 'greeting:dribble' ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
add_relay "$GOOD"
short_timeouts
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
is "$(bounded_once)" 0 "greeting dribbled: --once ends by itself"
like "$(cat "$SMARTHOST_DIR/transcript.log")" 'fault greeting:dribble' \
    "greeting dribbled: the server did dribble"
is "$(smarthost_count "$GOOD_DIR")" 1 \
    "greeting dribbled: the next relay delivered the message"
like "$(cat "$SPOOL/state/relays" 2>&1)" \
    "^127\\.0\\.0\\.1:$SMARTHOST_PORT down .*timeout after 2s" \
    "greeting dribbled: the dribbling relay is down, with the timeout"
smarthost_stop

# ---------------------------------------------------------------- TLS
# a server that sends a TLS record header and then one byte of its body
# every half second: the handshake never completes
cat >"$T/tlsdrib.py" <<'PY'
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
def serve(c):
    try:
        for b in b"\x16\x03\x03\x40\x00" + b"\x02" * 16384:
            c.send(bytes([b]))
            time.sleep(0.5)
    except OSError:
        pass
deadline = time.time() + 120
s.settimeout(1)
while time.time() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
/usr/bin/python3 "$T/tlsdrib.py" "$T/tlsdrib.port" &
TLSDRIB_PID=$!
cleanup_push "kill $TLSDRIB_PID 2>/dev/null"
wait_for_file "$T/tlsdrib.port" || bail_out "TLS dribbler did not start"
tport=$(cat "$T/tlsdrib.port")
agent_spool
agent_conf "$tport"
sed -i 's/^tls = starttls$/tls = implicit/' "$CONF"
add_relay "$GOOD"
short_timeouts
qid=$(agent_queue bob@example.org "$T/body" dave@example.net)
is "$(bounded_once)" 0 "TLS handshake dribbled: --once ends by itself"
is "$(smarthost_count "$GOOD_DIR")" 2 \
    "TLS handshake dribbled: the next relay delivered the message"
like "$(cat "$SPOOL/state/relays" 2>&1)" "^127\\.0\\.0\\.1:$tport down " \
    "TLS handshake dribbled: the dribbling relay is down"
kill "$TLSDRIB_PID" 2>/dev/null
wait "$TLSDRIB_PID" 2>/dev/null

# ---------------------------------------------------------------- stages
# STAGE EXPECT: relay (the relay goes down) or retry (the message is
# deferred); in both cases the next run delivers it
for row in 'ehlo relay' 'auth relay' 'mail retry' 'dot retry'; do
	set -- $row
	agent_spool
	: >"$T/agent.log"
	smarthost_start "$T/st-$1" --starttls $TLSOPTS $SHAUTH \
	    --fault "$1:dribble:1" || bail_out "smarthost did not start"
	agent_conf "$SMARTHOST_PORT"
	short_timeouts
	qid=$(agent_queue bob@example.org "$T/body" erin@example.net)
	is "$(bounded_once)" 0 "$1 dribbled: --once ends by itself"
	like "$(cat "$SMARTHOST_DIR/transcript.log")" "fault $1:dribble" \
	    "$1 dribbled: the server did dribble"
	case $2 in
	relay)	like "$(cat "$SPOOL/state/relays" 2>&1)" \
		    "^127\\.0\\.0\\.1:$SMARTHOST_PORT down .*timeout" \
		    "$1 dribbled: the relay is down, with the timeout" ;;
	retry)	like "$(cat "$SPOOL/state/$qid" 2>&1)" 'deferred.*timeout' \
		    "$1 dribbled: the message is deferred, with the timeout" ;;
	esac
	sleep "$AGENT_RETRY_WAIT"
	bounded_once >/dev/null
	ok "$1 dribbled: delivered on the next run" \
	    smarthost_wait_count "$SMARTHOST_DIR" 1 5
	smarthost_stop
done

# ---------------------------------------------------------------- check
# postern check has its own SMTP loop: the same whole-stage deadline
POSTERN=$BUILT/postern
agent_spool
smarthost_start "$T/chk" --starttls $TLSOPTS $SHAUTH \
    --fault 'greeting:dribble' || bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
printf 'agent_program = %s\n' "$POSTERND" >"$T/agentprog"
sed -i "/^\[postern\]$/r $T/agentprog" "$CONF"
short_timeouts
$AS timeout -k 2 "$RUN_MAX" "$POSTERN" check -C "$CONF" --no-dns >"$T/check.out" \
    2>&1
rc=$?
ok "postern check against a dribbled greeting ends by itself (exit $rc)" \
    test "$rc" -ne 124 -a "$rc" -ne 137
like "$(cat "$T/check.out")" 'FAIL' "postern check reports the failure"
smarthost_stop

# ---------------------------------------------------------------- SIGTERM
agent_spool
: >"$T/agent.log"
smarthost_start "$T/term" --starttls $TLSOPTS $SHAUTH \
    --fault 'greeting:dribble' || bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
sed -i 's/^greeting = 5s$/greeting = 5m/' "$CONF"
agent_start
qid=$(agent_queue bob@example.org "$T/body" frank@example.net)
ok "SIGTERM: the agent waits for the dribbled greeting" wait_until 10 \
    grep -q 'fault greeting:dribble' "$SMARTHOST_DIR/transcript.log"
sleep 1
kill -TERM "$AGENT_PID"
# the bound is generous for a loaded machine; the stage's own is 5 min
ok "SIGTERM: the agent stops without waiting for the stage timeout" \
    wait_until 10 agent_gone
like "$(cat "$T/agent.log")" 'posternd: stopped' "SIGTERM: clean exit"
ok "SIGTERM: the message is still queued" \
    test -f "$SPOOL/cur/$qid" -o -f "$SPOOL/new/$qid"
unlike "$(cat "$SPOOL/state/relays" 2>/dev/null)" ' down ' \
    "SIGTERM: the relay is not blamed for our stop"
smarthost_stop
done_testing
