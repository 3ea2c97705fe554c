#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-metrics.sh - [monitoring] prometheus_textfile (issue 12, item 5):
# the agent writes node_exporter's text file, in the exposition format
# (checked by a small parser: HELP and TYPE before the samples, names,
# labels, values), with the right values: one message of three
# recipients, one accepted, one refused for good (550), one deferred
# (451), over one session and over the worker processes of concurrency
# 2 (which report to the main process); then a relay that rejects the
# password is down, with its down-since.  Replaced atomically: a
# symbolic link at the path is replaced, not followed, no temporary file
# stays; a directory that does not exist is logged once and delivery
# goes on.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
PROM=$T/prom/postern.prom
mkdir -p "$T/prom"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$T/prom"
printf 'Subject: metrics\n\nbody\n' >"$T/body"

# check_prom FILE - parse FILE as the text format; print name{labels}=value
# sorted, or "BAD: why"
check_prom() {
	$PYTHON - "$1" <<'PY'
import re, sys
types, out = {}, []
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
sample = re.compile(r'^(' + name_re + r')(\{([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"\})? (\S+)$')
for n, line in enumerate(open(sys.argv[1]).read().split('\n')[:-1], 1):
    if line.startswith('# HELP '):
        if not re.match(r'^# HELP ' + name_re + r' \S', line):
            sys.exit('BAD: line %d: HELP' % n)
        continue
    if line.startswith('# TYPE '):
        m = re.match(r'^# TYPE (' + name_re + r') (counter|gauge)$', line)
        if not m or m.group(1) in types:
            sys.exit('BAD: line %d: TYPE' % n)
        types[m.group(1)] = m.group(2)
        continue
    m = sample.match(line)
    if not m:
        sys.exit('BAD: line %d: %r' % (n, line))
    name = m.group(1)
    if name not in types:
        sys.exit('BAD: line %d: %s has no TYPE before it' % (n, name))
    if types[name] == 'counter' and not name.endswith('_total'):
        sys.exit('BAD: counter %s without _total' % name)
    float(m.group(5))
    out.append('%s%s=%s' % (name, '{%s}' % m.group(4) if m.group(2) else '', m.group(5)))
print(' '.join(sorted(out)))
PY
}
# value NAME - one sample's value in $PROM
value() {
	awk -v n="$1" '$1 == n { print $2 }' "$PROM"
}

for conc in 1 2; do
	agent_spool
	rm -f "$PROM"
	smarthost_start "$T/sh$conc" --starttls $TLSOPTS --auth PLAIN \
	    --user alice@example.org --password s3cret \
	    --fault 'rcpt=bad@example.net:550 5.1.1 no such user' \
	    --fault 'rcpt=later@example.net:451 4.3.0 try again later' ||
		bail_out "smarthost did not start"
	AGENT_CONCURRENCY=$conc agent_conf "$SMARTHOST_PORT" s3cret \
	    '[monitoring]' "prometheus_textfile = $PROM"
	# the null sender: the 550 owes no DSN, the counts stay exact
	agent_queue "" "$T/body" carol@example.net bad@example.net \
	    later@example.net >/dev/null ||
		bail_out "postern-drop: $(cat "$T/drop.err")"
	agent_once
	is "$?" 0 "concurrency $conc: --once run: exit 0"
	ok "concurrency $conc: the text file is written" [ -f "$PROM" ]
	R=127.0.0.1:$SMARTHOST_PORT
	is "$(check_prom "$PROM" | sed 's/postern_queue_oldest_age_seconds=[0-9]*/AGE/')" \
	    "postern_messages_bounced_total=1 postern_messages_deferred_total=1 postern_messages_delivered_total=1 postern_queue_messages=1 AGE postern_relay_down_since_seconds{$R}=0 postern_relay_up{$R}=1" \
	    "concurrency $conc: the text format parses; 1 delivered, 1 bounced, 1 deferred, 1 waiting, the relay up"
	age=$(value postern_queue_oldest_age_seconds)
	ok "concurrency $conc: the oldest message's age: a few seconds" \
	    [ "$age" -ge 0 ] && [ "$age" -le 120 ]
	like "$(grep '^# TYPE' "$PROM" | tr '\n' ' ')" \
	    '# TYPE postern_queue_messages gauge .*# TYPE postern_messages_delivered_total counter' \
	    "concurrency $conc: TYPE lines: gauges and counters"
	is "$(ls -A "$T/prom")" "postern.prom" \
	    "concurrency $conc: no temporary file left"
	is "$(stat -c %a "$PROM")" 644 \
	    "concurrency $conc: mode 0644 (node_exporter runs as another user)"
	smarthost_stop
done

# a relay that rejects the password: down, with its first failure's time
agent_spool
smarthost_start "$T/shd" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
R=127.0.0.1:$SMARTHOST_PORT
AGENT_RETRY_MIN=10m
AGENT_RETRY_MAX=20m
agent_conf "$SMARTHOST_PORT" wrong-password \
    '[monitoring]' "prometheus_textfile = $PROM"
# a symbolic link where the file goes: replaced, never written through
printf 'victim\n' >"$T/victim"
rm -f "$PROM"
ln -s "$T/victim" "$PROM"
agent_start
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
relay_down() {
	[ "$(awk -v n="postern_relay_up{relay=\"$R\"}" '$1 == n { print $2 }' "$PROM" 2>/dev/null)" = 0 ]
}
wait_until 30 relay_down
ok "resident agent: the relay down is in the file (within the rate limit)" relay_down
since=$(awk -v n="postern_relay_down_since_seconds{relay=\"$R\"}" '$1 == n { print $2 }' "$PROM")
is "$since" "$(awk '$2 == "down" { print $3 }' "$SPOOL/state/relays")" \
    "postern_relay_down_since_seconds: the relay's down since (state/relays)"
is "$(value postern_queue_messages)" 1 "the message waits: queue 1"
like "$(check_prom "$PROM")" '^postern_' "the file still parses"
is "$(cat "$T/victim")" "victim" "the symbolic link was not followed"
ok "the path is now a regular file, not the link" [ -f "$PROM" ] && [ ! -L "$PROM" ]
agent_stop
smarthost_stop

# a directory that does not exist: logged once, delivery goes on
agent_spool
smarthost_start "$T/shx" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
AGENT_RETRY_MIN=1s
AGENT_RETRY_MAX=2s
agent_conf "$SMARTHOST_PORT" s3cret '[monitoring]' \
    "prometheus_textfile = $T/nowhere/postern.prom"
agent_queue bob@example.org "$T/body" carol@example.net >/dev/null ||
	bail_out "postern-drop: $(cat "$T/drop.err")"
: >"$T/agent.log"
agent_once
is "$?" 0 "a missing directory: the run still exits 0"
is "$(count "$SPOOL/cur")" 0 "a missing directory: the message was delivered"
is "$(grep -c 'prometheus_textfile: open .*nowhere: No such file or directory (make the directory, writable by the agent' "$T/agent.log")" 1 \
    "a missing directory: logged once, with the fix"
smarthost_stop
done_testing
