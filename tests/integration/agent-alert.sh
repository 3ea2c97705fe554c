#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-alert.sh - [monitoring] alert_command (issue 12, item 5): run
# once when a relay goes down and once when it is back, not per failed
# attempt, with the facts in POSTERN_* variables; the reason (a server's
# text, here carrying shell syntax) only there, never run by a shell; its
# output logged; a failing command and one that hangs (killed after
# alert_timeout) logged, and delivery never waits for them.  --once runs:
# the relay rejects the password, a saved flush makes it fail again (no
# new alert), the password is fixed (one "up"), a further delivery (no
# alert).
. "$top_srcdir/tests/integration/agent-common.sh"

POSTERN=$top_builddir/src/postern
need_cmd timeout
AGENT_RETRY_MIN=10m
AGENT_RETRY_MAX=20m
printf 'Subject: alert\n\nbody\n' >"$T/body"
ALOG=$T/alerts.log
cat >"$T/alert" <<EOF2
#!/bin/sh
printf 'event=%s relay=%s since=%s for=%s failures=%s next=%s host=%s reason=%s\n' \
    "\$POSTERN_EVENT" "\$POSTERN_RELAY" "\$POSTERN_DOWN_SINCE" \
    "\$POSTERN_DOWN_FOR" "\$POSTERN_FAILURES" "\$POSTERN_NEXT_TRY" \
    "\$POSTERN_HOSTNAME" "\$POSTERN_REASON" >>"$ALOG"
echo "paged the admin about \$POSTERN_RELAY"
EOF2
chmod 755 "$T/alert"
: >"$ALOG"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$ALOG"

agent_spool
# the AUTH failure's text carries shell syntax: it must stay text
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret \
    --fault "auth:535 5.7.8 no \$(touch $T/pwned) \`touch $T/pwned2\`" ||
	bail_out "smarthost did not start"
R=127.0.0.1:$SMARTHOST_PORT
conf() {	# conf PASSWORD - the relay with alert_command
	agent_conf "$SMARTHOST_PORT" "$1" '[monitoring]' \
	    "alert_command = $T/alert" 'alert_timeout = 5s'
}
conf wrong-password
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
alerts() {
	grep -c '^event=' "$ALOG"
}
agent_once
is "$?" 0 "relay down: --once exits 0"
wait_until 20 [ "$(alerts)" -ge 1 ]
is "$(alerts)" 1 "relay down: one alert"
like "$(sed -n 1p "$ALOG")" "^event=down relay=$R since=[0-9]+ for=0 failures=1 next=[0-9]+ host=agent\\.test reason=authentication failed.*535 5\\.7\\.8 no \\\$\\(touch $T/pwned\\) \`touch $T/pwned2\`" \
    "the down alert: event, relay, since, failures, next try, host, and the reason as text"
ok "the reason's shell syntax was never run" [ ! -e "$T/pwned" ] && [ ! -e "$T/pwned2" ]
wait_until 10 grep -q 'alert_command (relay .* down): paged the admin' "$T/agent.log"
like "$(cat "$T/agent.log")" "alert_command \\(relay $R down\\): paged the admin about $R" \
    "the command's output is logged"

# a saved flush: the relay is tried again, fails again: no new alert
$AS "$POSTERN" flush -C "$CONF" 2>/dev/null
agent_once
sleep 2
is "$(grep -c ' C: AUTH' "$SMARTHOST_DIR/transcript.log")" 2 "the flush made a second AUTH attempt"
is "$(alerts)" 1 "failed again while down: no second alert"

# the password fixed (the configuration changed: tried again at once)
smarthost_stop
smarthost_start "$T/sh2" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
# the new smarthost has a new port: the relay keeps its name only when
# the port is the same, so state/relays is carried over by name
sed -i "s/^127\\.0\\.0\\.1:[0-9]* /127.0.0.1:$SMARTHOST_PORT /" \
    "$SPOOL/state/relays"
R=127.0.0.1:$SMARTHOST_PORT
sleep 1
conf s3cret
agent_once
is "$?" 0 "relay back: --once exits 0"
is "$(count "$SPOOL/cur")" 0 "relay back: the message was delivered"
wait_until 20 [ "$(alerts)" -ge 2 ]
is "$(alerts)" 2 "relay back: one more alert"
like "$(sed -n 2p "$ALOG")" "^event=up relay=$R since=[0-9]+ for=[1-9][0-9]* failures=2 next=0 host=agent\\.test reason=authentication failed" \
    "the up alert: how long it was down, after how many failures, and why"
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
agent_once
sleep 2
is "$(count "$SPOOL/cur")" 0 "a further message delivered"
is "$(alerts)" 2 "up and staying up: no alert"

# a failing command and a hanging one: logged, delivery unaffected
printf '#!/bin/sh\necho oops >&2\nexit 3\n' >"$T/alert-fail"
printf '#!/bin/sh\nsleep 60\n' >"$T/alert-hang"
chmod 755 "$T/alert-fail" "$T/alert-hang"
for kind in fail hang; do
	agent_spool
	: >"$T/agent.log"
	agent_conf "$SMARTHOST_PORT" wrong-password '[monitoring]' \
	    "alert_command = $T/alert-$kind" 'alert_timeout = 1s'
	agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
	start=$(date +%s)
	agent_once
	is "$?" 0 "alert_command that ${kind}s: --once exits 0"
	ok "alert_command that ${kind}s: the run did not wait for it" \
	    [ $(($(date +%s) - start)) -lt 30 ]
	case $kind in
	fail)	want='alert_command: exited with status 3: oops \(relay .* down: the alert was not delivered\)' ;;
	hang)	want='alert_command: timed out after 1s \(killed\) \(relay .* down: the alert was not delivered\)' ;;
	esac
	wait_until 20 grep -Eq "$want" "$T/agent.log"
	like "$(cat "$T/agent.log")" "$want" "alert_command that ${kind}s: logged"
done
smarthost_stop
done_testing
