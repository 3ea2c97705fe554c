#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# load.sh - postern under load, through the real privileged path (a
# private set-group-id install, tests/lib/sgid.sh) with a resident
# posternd (started as root: it becomes the agent user) delivering over
# STARTTLS + AUTH to a private Postfix (tests/lib/postfix.sh) that writes
# every message into a Maildir.  Every message carries a unique
# X-Load-Marker, so what arrived is counted: lost and duplicated must be 0.
#   a. LOAD_SUBMITTERS submitters (sendmail -i), spread over LOAD_USERS
#      unprivileged users, all started first and released at once (a
#      shared flock), while the agent delivers: messages/s submitted and
#      delivered (arrived in the Maildir);
#   b. with the relay down (the agent reloaded onto a closed port),
#      LOAD_QUEUE messages queued straight into the spool
#      (tests/lib/load-gen); the time of `postern queue` and `mailq` over
#      them; the agent's peak RSS while they are queued; then the relay up
#      (reload, `postern flush`): messages/s delivered, the agent's peak
#      RSS while delivering.
# Reduced in make check (200 submitters over 5 users, 2,000 queued);
# LOAD_FULL=1 (bench/load) runs 1,000 over 20 users and 100,000.  The
# figures are printed as "# load:" lines.  Needs root, Postfix, saslpasswd2.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/sgid.sh"

why=$(postfix_available) || skip_all "$why"
need_cmd setpriv flock ss
if [ "${LOAD_FULL:-0}" = 1 ]; then
	: "${LOAD_SUBMITTERS:=1000}" "${LOAD_USERS:=20}" "${LOAD_QUEUE:=100000}"
	: "${LOAD_TIMEOUT:=1800}"
else
	: "${LOAD_SUBMITTERS:=200}" "${LOAD_USERS:=5}" "${LOAD_QUEUE:=2000}"
	: "${LOAD_TIMEOUT:=300}"
fi
GEN=$top_builddir/tests/lib/load-gen
[ -x "$GEN" ] || skip_all "tests/lib/load-gen not built (make check builds it)"
tmpdir_make
# the agent's user runs it: a copy it can reach (tests/lib/common.sh)
GEN=$(stage_program "$GEN")
# users 1..LOAD_USERS submit; the agent has a user of its own
[ "$LOAD_USERS" -le 20 ] || LOAD_USERS=20
make_test_users "$LOAD_USERS" || bail_out "cannot create test users"
AGENT=${TEST_USER_PREFIX}agent
(
	flock 8
	id -u "$AGENT" >/dev/null 2>&1 ||
		useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$AGENT"
) 8>"${TMPDIR:-/tmp}/postern-test-users.lock" ||
	bail_out "cannot create the user $AGENT"
G=postern-tg	# the agent's group
DG=postern-td	# postern-drop's group

# now_ms - milliseconds since the epoch
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}
# rate N MS - N per second over MS milliseconds, one decimal
rate() {
	awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.1f", (ms > 0 ? n * 1000 / ms : 0) }'
}
# figure TEXT - one result line, in the TAP log
figure() {
	echo "# load: $*"
}
# arrived - messages in the Maildir
arrived() {
	{ ls -f "$POSTFIX_MAILDIR/new"; ls -f "$POSTFIX_MAILDIR/cur"; } \
	    2>/dev/null | grep -vc '^\.\.\?$'
}
# wait_arrived N TIMEOUT - poll every 0.2 s until N have arrived
wait_arrived() {
	_wa_end=$(( $(date +%s) + $2 ))
	while [ "$(arrived)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$_wa_end" ] || return 1
		sleep 0.2
	done
}
# queued - messages in new/ and cur/ of the spool
queued() {
	{ ls -f "$SG_SPOOL/new"; ls -f "$SG_SPOOL/cur"; } 2>/dev/null |
	    grep -vc '^\.\.\?$'
}
# markers PREFIX - "COUNT MARKER" for every marker PREFIX-* that arrived
markers() {
	find "$POSTFIX_MAILDIR/new" "$POSTFIX_MAILDIR/cur" -type f -print0 |
	    xargs -0 -r grep -h "^X-Load-Marker: $1-" |
	    sed "s/^X-Load-Marker: //" | sort | uniq -c
}
# lost_dup PREFIX N - "LOST DUP": markers PREFIX-1..N missing, and extra
# arrivals (a marker twice, or one that was never sent)
lost_dup() {
	markers "$1" >"$T/markers.$1"
	awk -v p="$1" -v n="$2" '
	    { c[$2] = $1 }
	    END {
		lost = 0; dup = 0
		for (i = 1; i <= n; i++) {
			k = p "-" i
			if (!(k in c)) lost++
			else if (c[k] > 1) dup += c[k] - 1
			delete c[k]
		}
		for (k in c) dup += c[k]
		print lost, dup
	    }' "$T/markers.$1"
}
# hwm - the agent's peak RSS in KiB (VmHWM); hwm_reset - restart it
hwm() {
	sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$AGENT_PID/status"
}
hwm_reset() {
	echo 5 >"/proc/$AGENT_PID/clear_refs"
}
# relay_port PORT - point the agent at 127.0.0.1:PORT and reload it
relay_port() {
	sed -i "s/^port = .*/port = $1/" "$SG_CONF"
	printf '127.0.0.1:%s %s\n' "$1" "$POSTFIX_PASSWORD" >"$SG_SECRETS"
	_rp_n=$(grep -c 'reload: configuration .* loaded' "$T/agent.log")
	kill -HUP "$AGENT_PID"
	wait_until 20 sh -c '[ "$(grep -c "reload: configuration .* loaded" "$1")" -gt "$2" ]' \
	    sh "$T/agent.log" "$_rp_n"
}

# ---------------------------------------------------------------- setup
postfix_start "$T/pf" || bail_out "the private Postfix did not start"
CLOSED=$(free_port)
sgid_install "$AGENT" "$G" "$DG" "$(printf '%s\n' \
    '[queue]' 'retry_min = 1m' 'retry_max = 10m' 'scan_interval = 10m' \
    '[relay]' 'host = 127.0.0.1' "port = $POSTFIX_PORT" 'tls = starttls' \
    "tls_ca_file = $POSTFIX_CERTS/ca.pem" "user = $POSTFIX_USER")"
printf '127.0.0.1:%s %s\n' "$POSTFIX_PORT" "$POSTFIX_PASSWORD" >"$SG_SECRETS"
chmod 0755 "$T"
"$SG_PREFIX/sbin/posternd" -f </dev/null >/dev/null 2>"$T/agent.log" &
AGENT_PID=$!
cleanup_push "kill $AGENT_PID 2>/dev/null; sleep 1"
wait_until 20 grep -q 'posternd: started' "$T/agent.log" ||
	bail_out "posternd did not start: $(tail -n 5 "$T/agent.log")"
is "$(stat -c %U "/proc/$AGENT_PID")" "$AGENT" "the agent runs as its own user"

# ---------------------------------------------------------------- a
N=$LOAD_SUBMITTERS
# the gate: a holder process keeps an exclusive flock until every
# submitter runs, each of which waits for a shared one
flock -o -x "$T/gate" sh -c 'echo $$ >"$0"; exec sleep 3600' "$T/gate.pid" &
wait_for_file "$T/gate.pid" || bail_out "the gate did not close"
cleanup_push "kill $(cat "$T/gate.pid") 2>/dev/null"
i=1
while [ "$i" -le "$N" ]; do
	u=$TEST_USER_PREFIX$(( (i - 1) % LOAD_USERS + 1 ))
	{
		flock -s "$T/gate" true
		printf 'From: someone\nSubject: load a %s\nX-Load-Marker: a-%s\n\nsubmission %s\n' \
		    "$i" "$i" "$i"
	} | run_as "$u" "$SG_SENDMAIL" -i "load-a@example.net" \
	    >/dev/null 2>"$T/err.$i" &
	echo "$i $!" >>"$T/pids"
	i=$((i + 1))
done
diag "$N submitters started, blocked on the gate; releasing them"
t0=$(now_ms)
kill "$(cat "$T/gate.pid")"
nfail=0
while read -r i pid; do
	wait "$pid" || {
		nfail=$((nfail + 1))
		[ "$nfail" -le 5 ] && diag "submission $i failed: $(cat "$T/err.$i")"
	}
done <"$T/pids"
t_sub=$(now_ms)
is "$nfail" 0 "a: $N concurrent submissions over $LOAD_USERS users all exit 0"
ok "a: all $N arrive in Postfix's Maildir" wait_arrived "$N" "$LOAD_TIMEOUT"
t_del=$(now_ms)
figure "a: $N submitters over $LOAD_USERS users:" \
    "submitted in $((t_sub - t0)) ms ($(rate "$N" $((t_sub - t0))) msg/s)," \
    "delivered in $((t_del - t0)) ms ($(rate "$N" $((t_del - t0))) msg/s)"
set -- $(lost_dup a "$N")
figure "a: lost $1, duplicated $2"
is "$1 $2" "0 0" "a: nothing lost, nothing duplicated"
ok "a: the spool is empty" wait_until 20 sh -c '[ "$(ls -A "$1/new" "$1/cur" | grep -c .)" -le 2 ]' sh "$SG_SPOOL"
is "$(ls -A "$SG_SPOOL/failed")" "" "a: nothing in failed/"

# ---------------------------------------------------------------- b
M=$LOAD_QUEUE
ok "b: the agent reloads onto a closed port (the relay is down)" \
    relay_port "$CLOSED"
hwm_reset
tg=$(now_ms)
setpriv --reuid="$AGENT" --regid="$DG" --clear-groups -- \
    "$GEN" "$SG_SPOOL" "$M" b load-b@example.net 2>"$T/gen.err"
is "$?" 0 "b: $M messages queued (load-gen)"
t1=$(now_ms)
figure "b: $M messages written into the spool in $((t1 - tg)) ms"
# let the agent see them all and try the relay
ok "b: the agent finds the relay down" wait_until 60 grep -q "relay 127.0.0.1:$CLOSED down" "$T/agent.log"
sleep 2
is "$(queued)" "$M" "b: all $M are queued"
hwm_queued=$(hwm)
t=$(now_ms)
"$SG_POSTERN" queue >"$T/queue.out" 2>&1
rc=$?
t_list=$(( $(now_ms) - t ))
is "$rc" 0 "b: postern queue lists the queue"
t=$(now_ms)
"$SG_PREFIX/bin/mailq" >"$T/mailq.out" 2>&1
t_mailq=$(( $(now_ms) - t ))
is "$(grep -c '^[0-9A-F]\{20\}' "$T/queue.out")" "$M" \
    "b: postern queue shows every message"
figure "b: listing $M queued: postern queue $t_list ms, mailq $t_mailq ms"
figure "b: agent peak RSS while $M are queued: $hwm_queued KiB"

hwm_reset
t2=$(now_ms)
ok "b: the agent reloads onto Postfix (the relay is up)" \
    relay_port "$POSTFIX_PORT"
"$SG_POSTERN" flush >"$T/flush.out" 2>&1
is "$?" 0 "b: postern flush"
ok "b: the spool empties" wait_until "$LOAD_TIMEOUT" sh -c '[ "$(ls -A "$1/new" "$1/cur" | grep -c .)" -le 2 ]' sh "$SG_SPOOL"
t3=$(now_ms)
ok "b: all $M arrive in Postfix's Maildir" wait_arrived $((N + M)) "$LOAD_TIMEOUT"
t4=$(now_ms)
hwm_deliver=$(hwm)
figure "b: relay up: the agent handed $M to Postfix in $((t3 - t2)) ms" \
    "($(rate "$M" $((t3 - t2))) msg/s); all in the Maildir after" \
    "$((t4 - t2)) ms ($(rate "$M" $((t4 - t2))) msg/s)"
figure "b: agent peak RSS while delivering: $hwm_deliver KiB"
set -- $(lost_dup b "$M")
figure "b: lost $1, duplicated $2"
is "$1 $2" "0 0" "b: nothing lost, nothing duplicated"
is "$(ls -A "$SG_SPOOL/failed")" "" "b: nothing in failed/"
kill -TERM "$AGENT_PID"
# agent_gone - the agent has exited (a zombie until this shell reaps it)
agent_gone() {
	[ ! -e "/proc/$AGENT_PID" ] ||
	    grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$AGENT_PID/stat" 2>/dev/null
}
ok "the agent stops on SIGTERM" wait_until 30 agent_gone
unlike "$(cat "$T/agent.log")" 'set aside|fatal' "the agent set nothing aside"
done_testing
