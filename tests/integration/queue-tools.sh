#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# queue-tools.sh - postern queue (mailq, sendmail -bp), show, delete,
# retry and failed against a private spool whose queue files, state files
# and relay state are written by hand, hostile content included; the
# refusal of users who may not read the queue; and, with the installed
# layout's groups, what a member of the agent's group may do and what
# the drop group may not (root only: skipped otherwise).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"

need_cmd "$PYTHON"
tmpdir_make
postern_setup

now=$(date +%s)
ESC=$(printf '\033')
# times are whole minutes plus 30 s, so the ages shown stay the same
# while the test runs
# ids: two sharing the prefix AAAA (ambiguous), the rest unique
N1=AAAA0000000000000001		# new/, two recipients, one hostile
N2=AAAA0000000000000002		# new/, null sender
C1=BBBB0000000000000001		# cur/, deferred + sent recipients
F1=CCCC0000000000000001		# failed/, failed + sent
F2=CCCC0000000000000002		# failed/, all sent: nothing to requeue
F3=CCCC0000000000000003		# failed/, malformed
X1=DDDD0000000000000001		# new/, malformed
HOSTILE='we"ird\\x\303\251@b\303\274cher.example'

# mkq DIR ID SENDER RCPT... - write a queue file as postern-drop would
mkq() {
	_d=$1 _id=$2 _s=$3
	shift 3
	printf 'Subject: queue tools test\nX-Evil: %s[31mred\nFrom: a@example.org\n\nthe body line\n' \
	    "$ESC" >"$T/msg"
	_z=$(wc -c <"$T/msg" | tr -d ' ')
	{
		printf 'V 1\nI %s\nT %s\nU %s\nL tester\n' "$_id" \
		    $((now - 3630)) "$(id -u)"
		if [ -n "$_s" ]; then printf 'S %s\n' "$_s"; else echo S; fi
		for _r in "$@"; do printf 'R %s\n' "$_r"; done
		printf 'Z %020d\n\n' "$_z"
		cat "$T/msg"
	} >"$SPOOL/$_d/$_id"
}

# mkstate ID NEXT LINES... - a retry-state file (LINES are r/e records)
mkstate() {
	_id=$1 _x=$2
	shift 2
	{
		printf 'V 1\nA 3\nX %s\nW %s\n' "$_x" $((now - 3000))
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$SPOOL/state/$_id"
}

setup_queue() {
	rm -f "$SPOOL"/new/* "$SPOOL"/cur/* "$SPOOL"/failed/* "$SPOOL"/state/*
	rm -f "$SPOOL"/state/.[A-F0-9]*
	mkq new $N1 alice@example.org bob@example.com "$(printf '%b' "$HOSTILE")"
	mkq new $N2 "" postmaster@example.net
	mkq cur $C1 carol@example.org dave@example.com erin@example.com
	mkstate $C1 $((now + 3630)) 'r 0 deferred 451 4.3.0 mailbox "busy" \ later' \
	    'r 1 sent 250 2.0.0 ok queued' 'e 451 4.3.0 mailbox busy'
	mkq failed $F1 frank@example.org gone@example.com got@example.com
	mkstate $F1 0 'r 0 failed 550 5.1.1 no such user' 'r 1 sent 250 2.0.0 ok' \
	    'e 550 5.1.1 no such user'
	mkq failed $F2 frank@example.org a1@example.com
	mkstate $F2 0 'r 0 sent 250 2.0.0 ok'
	printf 'V 1\nthis is not a queue file\n' >"$SPOOL/failed/$F3"
	printf 'V 1\nI %s\ngarbage\n\nbody\n' $X1 >"$SPOOL/new/$X1"
	printf 'smtp.example.com:587 down %s %s 4 connect to smtp.example.com: Connection refused\nbackup.example.net:465 up\n' \
	    $((now - 7230)) $((now + 630)) >"$SPOOL/state/relays"
}
setup_queue

pq() {
	"$POSTERN" "$@" -C "$CONF"
}

# ---------------------------------------------------------------- listing
out=$(pq queue 2>&1)
is "$?" 0 "queue: exit 0"
like "$out" "^$N1 +[0-9]+ .* alice@example\.org$" "queue: first line id size arrival sender"
like "$out" "^$N2 +[0-9]+ .* <>$" "queue: null sender shown as <>"
like "$out" '^ +<bob@example\.com>$' "queue: a new recipient, indented"
like "$out" "age 1h00m, new, not tried yet" "queue: age and state of a new message"
like "$out" '<dave@example\.com> deferred: 451 4\.3\.0 mailbox "busy" \\ later' \
    "queue: deferred recipient with its last reply"
like "$out" '<erin@example\.com> sent: 250 2\.0\.0 ok queued' "queue: sent recipient"
like "$out" '3 attempts, next .* \(in (59m|1h00m)\): 451 4\.3\.0 mailbox busy\)' \
    "queue: attempts, next attempt and last error"
like "$out" '^relay smtp\.example\.com:587 down since .* \(2h00m\), 4 failures, next try .*: connect to smtp\.example\.com: Connection refused$' \
    "queue: relay down, since when, why"
unlike "$out" 'backup\.example\.net' "queue: relays that are up are not shown"
like "$out" "^$X1 +\(unreadable queue file in new/: " "queue: a malformed file is shown, not fatal"
like "$out" '^-- 1 Kbytes in 3 Requests\.$' "queue: Postfix-style summary line"
like "$out" '^-- 1 unreadable queue file' "queue: unreadable count"
like "$out" '^-- 3 messages in failed/ \(postern failed\)$' "queue: failed/ noted"
unlike "$out" "$F1" "queue: failed messages are not in the queue listing"
unlike "$out" "$ESC" "queue: no escape byte reaches the terminal"
ids=$(printf '%s\n' "$out" | grep -E '^[0-9A-F]{20} ' | awk '{ print $1 }' | tr '\n' ' ')
is "$ids" "$N1 $N2 $C1 $X1 " "queue: sorted by id (arrival)"

mq=$("$MAILQ" -C "$CONF" 2>&1)
is "$mq" "$out" "mailq prints the same"
is "$("$SENDMAIL" -C "$CONF" -bp 2>&1)" "$out" "sendmail -bp prints the same"

# ---------------------------------------------------------------- version 2
# The agent's states carry a copy of the envelope (spool-format.md): the
# listing then reads the state alone and prints exactly the same.
jnorm() {
	sed 's/"now":[0-9]*/"now":N/; s/"age":[0-9]*/"age":N/g; s/"next_attempt":[0-9]*/"next_attempt":N/g'
}
json1=$(pq queue --json | jnorm)
cp "$SPOOL/state/$C1" "$T/c1.state"
{ sed '1s/^V 1$/V 2/' "$T/c1.state"; echo; sed '/^$/q' "$SPOOL/cur/$C1"; } \
    >"$SPOOL/state/$C1"
is "$(pq queue 2>&1)" "$out" "version 2 state: the same listing"
is "$(pq queue --json | jnorm)" "$json1" "version 2 state: the same JSON"
mv "$SPOOL/cur/$C1" "$T/c1.queue"
touch "$SPOOL/cur/$C1"
is "$(pq queue 2>&1)" "$out" "version 2 state: the queue file is not read"
mv "$T/c1.queue" "$SPOOL/cur/$C1"
sed -i "s/^I $C1\$/I $N1/" "$SPOOL/state/$C1"
is "$(pq queue 2>&1)" "$out" \
    "version 2 state: a copy naming another id is ignored (queue file read)"
{ sed '1s/^V 1$/V 2/' "$T/c1.state"; echo; sed -n '1,3p' "$SPOOL/cur/$C1"; } \
    >"$SPOOL/state/$C1"
like "$(pq queue 2>&1)" "age 1h00m, 0 attempts, next now \(due\); unreadable retry state: line [0-9]+: the envelope copy after it: line 4: missing the blank line" \
    "version 2 state: a broken copy is shown as an unreadable state"
{ sed '1s/^V 1$/V 2/' "$T/c1.state"; echo; sed '/^$/q' "$SPOOL/cur/$C1"; } \
    >"$SPOOL/state/$C1"
pq retry $C1 >/dev/null 2>&1
is "$(head -1 "$SPOOL/state/$C1")|$(grep -c "^I $C1\$" "$SPOOL/state/$C1")" \
    "V 2|1" "version 2 state: retry keeps the envelope copy"
cp "$T/c1.state" "$SPOOL/state/$C1"
is "$(pq queue 2>&1)" "$out" "version 1 state again: the same listing"

# ---------------------------------------------------------------- JSON
pq queue --json >"$T/q.json" 2>"$T/q.err"
is "$?" 0 "queue --json: exit 0"
check=$($PYTHON - "$T/q.json" "$(printf '%b' "$HOSTILE")" <<'EOF'
import json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))
hostile = sys.argv[2]
m = {x["id"]: x for x in d["messages"]}
n1 = m["AAAA0000000000000001"]
c1 = m["BBBB0000000000000001"]
ok = []
ok.append(d["postern_queue"] == 1 and d["queue"] == "active")
ok.append([r["address"] for r in n1["recipients"]] == ["bob@example.com", hostile])
ok.append(n1["queue"] == "new" and n1["sender"] == "alice@example.org" and n1["attempts"] == 0)
ok.append(m["AAAA0000000000000002"]["sender"] == "")
ok.append(c1["attempts"] == 3 and c1["last_error"] == "451 4.3.0 mailbox busy")
ok.append([(r["state"], r["code"], r["enhanced"]) for r in c1["recipients"]] ==
          [("deferred", 451, "4.3.0"), ("sent", 250, "2.0.0")])
ok.append(c1["recipients"][0]["reply"] == 'mailbox "busy" \\ later')
ok.append(c1["next_attempt"] > d["now"] and c1["first_attempt"] is not None)
ok.append("error" in m["DDDD0000000000000001"])
rel = {r["name"]: r for r in d["relays"]}
ok.append(rel["smtp.example.com:587"]["state"] == "down" and rel["smtp.example.com:587"]["failures"] == 4)
ok.append(rel["backup.example.net:465"]["state"] == "up")
ok.append(d["summary"] == {"messages": 3, "bytes": d["summary"]["bytes"], "unreadable": 1, "failed": 3, "new_listed": True})
ok.append(b"\x1b" not in raw)
print(" ".join("1" if x else "0" for x in ok))
EOF
)
is "$check" "1 1 1 1 1 1 1 1 1 1 1 1 1" "queue --json: parses; hostile address, replies and states exact"
is "$(cat "$T/q.err")" "" "queue --json: nothing on stderr"

# ---------------------------------------------------------------- show
out=$(pq show $C1 2>&1)
is "$?" 0 "show: exit 0"
like "$out" "^Queue ID: +$C1$" "show: queue id"
like "$out" '^Queue: +cur/ \(tried' "show: which queue, in words"
like "$out" '^Sender: +<carol@example\.org>$' "show: sender"
like "$out" "^Submitted by: +uid $(id -u) \(tester\)$" "show: submitter"
like "$out" '^Attempts: +3, first ' "show: attempts"
like "$out" '^Next attempt: .*\(in (59m|1h00m)\)$' "show: next attempt"
like "$out" '^  <dave@example\.com> deferred, last reply 451 4\.3\.0 mailbox "busy"' \
    "show: per-recipient state and last reply"
like "$out" '^Subject: queue tools test$' "show: the header"
like "$out" '^X-Evil: \?\[31mred$' "show: escape bytes in a header made harmless"
unlike "$out" 'the body line' "show: no body without --body"
like "$(pq show --body $C1 2>&1)" 'the body line' "show --body: the body"
out=$(pq show bbbb 2>&1)
is "$?" 0 "show: a unique lower-case prefix is accepted"
like "$out" "^Queue ID: +$C1$" "show: the prefix names the message"
out=$(pq show AAAA 2>&1)
is "$?" 64 "show: ambiguous prefix: exit 64"
like "$out" 'ambiguous id prefix: 2 messages match' "show: ambiguous prefix explained"
like "$out" "$N1 \(in new/\)" "show: the candidates are named"
out=$(pq show EEEE0000000000000001 2>&1)
is "$?" 66 "show: unknown id: exit 66"
like "$out" 'no such message' "show: unknown id explained"
out=$(pq show EEEE 2>&1)
is "$?" 66 "show: prefix that matches nothing: exit 66"
out=$(pq show AAA 2>&1)
is "$?" 64 "show: a 3-digit prefix is refused"
out=$(pq show ../../etc/passwd 2>&1)
is "$?" 64 "show: a path is not a queue id"
out=$(pq show 2>&1)
is "$?" 64 "show: no id: usage error"
out=$(pq show $X1 2>&1)
is "$?" 65 "show: malformed queue file: exit 65"
like "$out" '^Problem: +line' "show: malformed queue file: the parser's reason"
pq show --json $N1 >"$T/s.json" 2>&1
is "$?" 0 "show --json: exit 0"
check=$($PYTHON - "$T/s.json" "$(printf '%b' "$HOSTILE")" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
print(d["id"] == "AAAA0000000000000001" and
      d["recipients"][1]["address"] == sys.argv[2] and
      d["headers"][0] == "Subject: queue tools test" and
      d["headers"][1] == "X-Evil: \x1b[31mred" and d["header_complete"] is True)
EOF
)
is "$check" "True" "show --json: envelope and exact header lines"

# ---------------------------------------------------------------- retry
out=$(pq retry $C1 2>&1)
is "$?" 0 "retry: exit 0"
like "$out" "$C1: due now" "retry: reported"
like "$out" "$C1: retry requested: due now, by uid=$(id -u) " "retry: one log line with id and uid"
like "$out" 'agent is not running' "retry: says the agent is not running"
x=$(sed -n 's/^X //p' "$SPOOL/state/$C1")
ok "retry: next attempt is now ($x <= $(date +%s))" [ "$x" -le "$(date +%s)" ]
is "$(grep -c '^r ' "$SPOOL/state/$C1")" 2 "retry: recipient outcomes kept"
is "$(ls -a "$SPOOL/state" | grep -c '^\.')" 2 "retry: no temporary file left"
out=$(pq retry $C1 2>&1)
like "$out" "$C1: already due" "retry: twice is harmless"
out=$(pq retry $N1 2>&1)
is "$?" 0 "retry: a new message: exit 0"
like "$out" "not tried yet: already due" "retry: a new message is due anyway"
out=$(pq retry $F1 2>&1)
is "$?" 64 "retry: a failed message: exit 64"
like "$out" "postern failed requeue $F1" "retry: a failed message: points to requeue"
out=$(pq retry 2>&1)
is "$?" 64 "retry: no id: usage error"
# with an agent listening on the trigger FIFO
mkfifo "$SPOOL/trigger"
exec 3<>"$SPOOL/trigger"
mkstate $C1 $((now + 3600)) 'r 1 sent 250 2.0.0 ok'
pq retry $C1 >/dev/null 2>&1
is "$(timeout 5 dd bs=1 count=1 <&3 2>/dev/null)" "n" "retry ID: the agent is asked to rescan"
mkstate $C1 $((now + 3600)) 'r 1 sent 250 2.0.0 ok'
out=$(pq retry --all 2>&1)
is "$?" 0 "retry --all: exit 0"
like "$out" '1 message in cur/ due now \(1 rescheduled\)' "retry --all: reported"
is "$(timeout 5 dd bs=1 count=1 <&3 2>/dev/null)" "f" "retry --all: the agent is asked to flush"
x=$(sed -n 's/^X //p' "$SPOOL/state/$C1")
ok "retry --all: next attempt is now" [ "$x" -le "$(date +%s)" ]
exec 3<&-
rm -f "$SPOOL/trigger"

# ---------------------------------------------------------------- failed
out=$(pq failed 2>&1)
is "$?" 0 "failed: exit 0"
like "$out" "^$F1 +[0-9]+ .* frank@example\.org$" "failed: lists failed messages"
like "$out" 'failed after 3 attempts: 550 5\.1\.1 no such user' "failed: why it failed"
like "$out" '<gone@example\.com> failed: 550 5\.1\.1 no such user' "failed: per-recipient outcome"
like "$out" "^$F3 +\(unreadable queue file in failed/" "failed: malformed file listed"
like "$out" '^-- 1 Kbytes in 2 Requests in failed/\.$' "failed: summary"
unlike "$out" "$N1" "failed: only failed/"
is "$(pq failed list 2>&1)" "$out" "failed list: the same"
pq failed list --json >"$T/f.json" 2>&1
check=$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["queue"], len(d["messages"]), d["summary"]["failed"])' "$T/f.json")
is "$check" "failed 3 3" "failed list --json"
like "$(pq failed show $F1 2>&1)" '^Queue: +failed/ \(given up' "failed show"
out=$(pq failed show $C1 2>&1)
is "$?" 66 "failed show: a message not in failed/: exit 66"
out=$(pq failed requeue $F1 2>&1)
is "$?" 0 "failed requeue: exit 0"
like "$out" "$F1: requeued \(1 recipient to try, 1 already accepted it\)" "failed requeue: reported"
like "$out" "$F1: requeued from failed/ to new/, by uid=" "failed requeue: log line"
ok "failed requeue: the file is in new/" test -f "$SPOOL/new/$F1"
ok "failed requeue: not in failed/ any more" test ! -e "$SPOOL/failed/$F1"
is "$(sed -n '2p;3p;4p' "$SPOOL/state/$F1" | tr '\n' ' ')" "A 0 X 0 W 0 " \
    "failed requeue: fresh attempt count"
is "$(grep '^r ' "$SPOOL/state/$F1")" "r 1 sent 250 2.0.0 ok" \
    "failed requeue: the recipient that accepted is never sent again"
is "$(grep -c '^e ' "$SPOOL/state/$F1")" 0 "failed requeue: last error cleared"
out=$(pq failed requeue $F2 2>&1)
is "$?" 64 "failed requeue: every recipient accepted: refused"
like "$out" 'nothing to send' "failed requeue: says why"
out=$(pq failed requeue $F3 2>&1)
is "$?" 65 "failed requeue: malformed: exit 65"
like "$out" "cannot requeue: line" "failed requeue: malformed: the reason"
ok "failed requeue: malformed file stays in failed/" test -f "$SPOOL/failed/$F3"
out=$(pq failed requeue $C1 2>&1)
is "$?" 64 "failed requeue: a queued message: exit 64"
like "$out" 'not in failed/' "failed requeue: a queued message: explained"
out=$(pq failed bogus 2>&1)
is "$?" 64 "failed: unknown subcommand: usage error"

# ---------------------------------------------------------------- delete
out=$(pq delete $N2 bbbb 2>&1)
is "$?" 0 "delete: two messages (id and prefix): exit 0"
like "$out" "$N2: deleted from new/" "delete: new/ message"
like "$out" "$C1: deleted from cur/" "delete: cur/ message by prefix"
like "$out" "$C1: deleted from cur/, by uid=$(id -u) " "delete: one log line with id and uid"
ok "delete: queue file gone" test ! -e "$SPOOL/cur/$C1"
ok "delete: state gone" test ! -e "$SPOOL/state/$C1"
out=$(pq delete $N2 2>&1)
is "$?" 66 "delete: unknown id: exit 66"
out=$(pq delete $F3 2>&1)
is "$?" 0 "delete: a failed/ message"
out=$(pq delete 2>&1)
is "$?" 64 "delete: no id: usage error"
out=$(pq delete --frobnicate $N1 2>&1)
is "$?" 64 "delete: unknown option: usage error"
ok "delete: nothing removed on a usage error" test -f "$SPOOL/new/$N1"

# requeue --all, then an empty queue
setup_queue
rm -f "$SPOOL/failed/$F3"
out=$(pq failed requeue --all 2>&1)
is "$?" 64 "failed requeue --all: one refused (all sent): exit 64"
ok "failed requeue --all: the other is requeued" test -f "$SPOOL/new/$F1"
rm -f "$SPOOL"/new/* "$SPOOL"/cur/* "$SPOOL"/failed/* "$SPOOL/state/relays"
is "$(pq queue 2>&1)" "Mail queue is empty" "queue: empty"
is "$(pq failed 2>&1)" "No failed messages" "failed: empty"
check=$(pq queue --json | $PYTHON -c 'import json,sys; d=json.load(sys.stdin); print(len(d["messages"]), d["relays"])')
is "$check" "0 []" "queue --json: empty"

# ---------------------------------------------------------------- permissions
if [ "$(id -u)" -ne 0 ]; then
	skip "permission tests need root (test users, owners)" 39
	done_testing
fi
make_test_users 2
u1=${TEST_USER_PREFIX}1
u2=${TEST_USER_PREFIX}2
setup_queue
# the installed modes: the agent's user (here u2) owns the private dirs
chown "$u2" "$SPOOL" "$SPOOL/cur" "$SPOOL/failed" "$SPOOL/state" "$SPOOL/new"
chown "$u2" "$SPOOL"/state/*
chmod 0755 "$SPOOL"
chmod 1770 "$SPOOL/new"
chmod 0700 "$SPOOL/cur" "$SPOOL/failed" "$SPOOL/state"
chmod 0755 "$T"
chmod 0644 "$CONF"
# postern queue and mailq ask the agent for the user's own messages
# (queue-own.sh); none runs here: said so, exit 69
out=$(run_as "$u1" "$POSTERN" queue -C "$CONF" 2>&1)
is "$?" 69 "another user, no agent: postern queue: exit 69, no agent running"
like "$out" "no delivery agent is running" "another user, no agent: ... says so"
for c in "show $C1" "delete $N1" "retry $C1" "failed" "failed requeue $F1"; do
	# shellcheck disable=SC2086
	out=$(run_as "$u1" "$POSTERN" $c -C "$CONF" 2>&1)
	is "$?" 77 "another user: postern $c: refused with exit 77"
done
like "$out" "permission denied: the queue is private to root and the members of the mail system's group [^ ]+\\. +To use the queue tools, have an administrator add you to it \\(adduser $u1 [^ ]+, then log in again\\), or run 'sudo postern failed'" \
    "the refusal says who may, and how"
out=$(run_as "$u1" "$MAILQ" -C "$CONF" 2>&1)
is "$?" 69 "another user, no agent: mailq exits 69"
ok "another user: nothing was deleted" test -f "$SPOOL/new/$N1"
out=$(run_as "$u2" "$POSTERN" queue -C "$CONF" 2>&1)
like "$out" "^$C1 " "the agent's user may list"
# root rewrites a state file: it must stay the agent's, or the agent
# could not read it and would set the message aside
pq retry $C1 >/dev/null 2>&1
is "$(stat -c %U "$SPOOL/state/$C1")" "$u2" "retry as root: the state file stays the agent's"
pq failed requeue $F1 >/dev/null 2>&1
is "$(stat -c %U "$SPOOL/state/$F1")" "$u2" "requeue as root: the state file is the agent's"

# ------------------------------------------------------ the agent's group
# The installed layout (doc/spool-format.md): cur/ failed/ state/ are the
# agent's group's (2770), new/ the drop group's (1770).  A member of the
# agent's group may do everything, except see into new/.
. "$top_srcdir/tests/lib/sgid.sh"
AG=postern-tg		# the agent's group
DG=postern-td		# postern-drop's group
ADM=${TEST_USER_PREFIX}adm
sgid_group "$DG" || bail_out "groupadd $DG failed"
sgid_admin "$ADM" "$AG" || bail_out "cannot create the admin user $ADM"
setup_queue
chown "$u2:$AG" "$SPOOL" "$SPOOL/cur" "$SPOOL/failed" "$SPOOL/state" \
    "$SPOOL"/state/*
chown "$u2:$DG" "$SPOOL/new"
# queue files as postern-drop makes them: the submitter's, the drop group
chown "$u1:$DG" "$SPOOL"/new/* "$SPOOL"/cur/* "$SPOOL"/failed/*
chmod 0755 "$SPOOL"
chmod 1770 "$SPOOL/new"
chmod 2770 "$SPOOL/cur" "$SPOOL/failed" "$SPOOL/state"
chmod 0640 "$SPOOL"/state/*
chmod 0604 "$SPOOL"/cur/* "$SPOOL"/failed/* "$SPOOL"/new/*
aq() {	# aq ARGS... - the queue tools as the admin
	run_as "$ADM" "$POSTERN" "$@" -C "$CONF"
}
out=$(aq queue 2>&1)
is "$?" 0 "agent's group: postern queue lists (exit 0)"
like "$out" "^$C1 " "agent's group: a message in cur/ is listed"
unlike "$out" "$N1|$N2" "agent's group: new/ (the drop group's) is not"
like "$out" 'the delivery agent is not running: mail it has not picked up from new/ yet is listed only for root' \
    "agent's group: a note says what is left out, and why"
check=$(aq queue --json | $PYTHON -c 'import json,sys; d=json.load(sys.stdin); print(d["summary"]["new_listed"], sorted(m["id"] for m in d["messages"]))')
is "$check" "False ['$C1']" "agent's group: --json says new/ was not listed"
out=$(aq show $C1 2>&1)
is "$?" 0 "agent's group: show"
like "$out" 'dave@example\.com' "agent's group: show prints the envelope"
out=$(aq show $N1 2>&1)
is "$?" 66 "agent's group: show of a message in new/: not found (66)"
like "$out" 'visible only to root' "agent's group: ... and says why"
out=$(aq failed 2>&1)
like "$out" "^$F1 " "agent's group: failed lists"
out=$(aq retry $C1 2>&1)
is "$?" 0 "agent's group: retry"
is "$(stat -c '%U:%G %a' "$SPOOL/state/$C1")" "$ADM:$AG 640" \
    "agent's group: the new state file has the group, mode 0640"
ok "agent's group: ... which the agent (its user, its group) can read" \
    setpriv --reuid="$u2" --regid="$AG" --clear-groups -- \
    test -r "$SPOOL/state/$C1"
out=$(aq failed requeue $F1 2>&1)
is "$?" 0 "agent's group: failed requeue"
like "$out" "$F1: requeued from failed/ to cur/" \
    "agent's group: requeued into cur/ (new/ is not the group's)"
ok "agent's group: the message is in cur/" test -f "$SPOOL/cur/$F1"
out=$(aq queue 2>&1)
like "$out" "^ \(age [^,]*, new, not tried yet\)" \
    "agent's group: the requeued message is due, not tried yet"
out=$(aq delete $C1 2>&1)
is "$?" 0 "agent's group: delete"
ok "agent's group: deleted, with its state" \
    sh -c '! test -e "$1/cur/$2" && ! test -e "$1/state/$2"' sh "$SPOOL" "$C1"
out=$(aq delete $N1 2>&1)
is "$?" 66 "agent's group: delete of a message in new/: not found (66)"
ok "agent's group: ... and it is still there" test -f "$SPOOL/new/$N1"
# a member of the drop group only: no way into cur/ failed/ state/
DROPPER=${TEST_USER_PREFIX}drp
sgid_admin "$DROPPER" "$DG" || bail_out "cannot create $DROPPER"
out=$(run_as "$DROPPER" "$POSTERN" queue -C "$CONF" 2>&1)
is "$?" 69 "the drop group alone: postern queue only asks the agent (69: none)"
for d in cur failed state; do
	not_ok "the drop group alone cannot list $d/" 2 run_as "$DROPPER" ls "$SPOOL/$d"
done
not_ok "the drop group alone cannot read a queue file in new/ (0604)" 1 \
    run_as "$DROPPER" cat "$SPOOL/new/$N1"
done_testing
