#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# queue-own.sh - users outside the postern group see their own queued and
# failed messages through the agent's socket spool/queue.sock, and
# nothing of anyone else's (issue 12, section 4).  A real set-group-id
# installation (tests/lib/sgid.sh): two users submit mail to a relay
# that is down, one message is moved to failed/, the agent runs
# (posternd -f, started as root); each user's mailq, sendmail -bp and
# postern queue --json show exactly the ids root's listing shows for
# that user's uid; a request line other than "list" / "list json" is
# refused; root's and the group's listing are unchanged; with the agent
# stopped, the user is told no agent runs (exit 69).  Needs root.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
. "$top_srcdir/tests/lib/sgid.sh"
need_root
need_cmd setpriv flock groupadd useradd
need_cmd "$PYTHON"
tmpdir_make
make_test_users 4 || bail_out "cannot create test users"
A=${TEST_USER_PREFIX}1
B=${TEST_USER_PREFIX}2
AGENT=${TEST_USER_PREFIX}3
C=${TEST_USER_PREFIX}4		# submits nothing
ADM=${TEST_USER_PREFIX}adm
G=postern-tg
DG=postern-td
sgid_admin "$ADM" "$G" || bail_out "cannot create the admin user $ADM"
CLOSED=$(free_port)	# a relay nobody listens on: everything waits
sgid_install "$AGENT" "$G" "$DG" "$(printf '[relay]\nhost = 127.0.0.1\nport = %s\ntls = none\n' "$CLOSED")"
# the front end under valgrind with POSTERN_VALGRIND=1 (check-valgrind);
# postern-drop (set-group-id) and the agent run natively
SM=$SG_SENDMAIL
PN=$SG_POSTERN
MQ=$SG_PREFIX/bin/mailq
if vg_enabled; then
	vg_setup
	SM=$(vg_wrap sendmail "$SG_POSTERN")
	PN=$(vg_wrap postern "$SG_POSTERN")
	MQ=$(vg_wrap mailq "$SG_POSTERN")
fi
SOCK=$SG_SPOOL/queue.sock
uid_a=$(id -u "$A")
uid_b=$(id -u "$B")

# submit USER RCPT - one message from USER
submit() {
	printf 'Subject: own queue test\n\nbody of %s\n' "$1" |
	    run_as "$1" "$SM" -i "$2"
}
submit "$A" a1@example.com || bail_out "A cannot submit"
submit "$A" a2@example.com || bail_out "A cannot submit"
submit "$B" b1@example.com || bail_out "B cannot submit"
"$SG_POSTERND" --once >"$T/once.log" 2>&1 ||
	bail_out "posternd --once failed: $(tail -n 5 "$T/once.log")"
# one of A's messages given up: moved to failed/ as the agent would
qf=$(grep -l 'a2@example\.com' "$SG_SPOOL"/cur/* | head -n 1)
[ -n "$qf" ] || bail_out "A's second message is not in cur/"
mv "$qf" "$SG_SPOOL/failed/" || bail_out "mv to failed/"

# ids ARGS... - the sorted ids of a --json listing read from stdin, of
# uid ARGS (or all)
ids() {
	$PYTHON -c '
import json, sys
d = json.load(sys.stdin)
want = set(int(u) for u in sys.argv[1:])
print(" ".join(sorted(m["id"] for m in d["messages"]
    if not want or m["uid"] in want)))' "$@"
}
root_a=$( { "$PN" queue --json | ids "$uid_a"; "$PN" failed list --json |
    ids "$uid_a"; } | tr '\n' ' ' | sed 's/ *$//')
root_b=$("$PN" queue --json | ids "$uid_b")
root_text=$("$PN" queue 2>&1 | grep -E '^[0-9A-F]{20} ')
adm_text=$(run_as "$ADM" "$PN" queue 2>&1 | grep -E '^[0-9A-F]{20} ')
is "$(printf '%s\n' "$root_a" | wc -w | tr -d ' ')" 2 \
    "root: A has two messages (one queued, one failed)"
is "$(printf '%s\n' "$root_b" | wc -w | tr -d ' ')" 1 "root: B has one"

# --- no agent running: said clearly, exit 69
out=$(run_as "$A" "$PN" queue 2>&1)
is "$?" 69 "no agent: postern queue by A exits 69 (EX_UNAVAILABLE)"
like "$out" 'no delivery agent is running' "no agent: ... says so"
like "$out" "only root and the members of the mail system's group $G can list the queue .*adduser $A $G" \
    "no agent: ... and who can list the queue, and how to join"

# --- the agent runs
"$SG_POSTERND" -f >"$T/agent.log" 2>&1 &
apid=$!
cleanup_push "kill $apid"
wait_until 10 test -S "$SOCK" || bail_out "no socket $SOCK: $(tail -n 5 "$T/agent.log")"
is "$(stat -c '%F %U %a' "$SOCK")" "socket $AGENT 666" \
    "socket: the agent's, any local user may connect"

got=$(run_as "$A" "$PN" queue --json | ids)
is "$got" "$(printf '%s\n' $root_a | sort | tr '\n' ' ' | sed 's/ *$//')" \
    "A: postern queue --json shows exactly A's messages, failed one too"
got=$(run_as "$B" "$PN" queue --json | ids)
is "$got" "$root_b" "B: postern queue --json shows exactly B's message"
out=$(run_as "$A" "$PN" queue 2>&1)
is "$?" 0 "A: postern queue exits 0"
for id in $root_a; do
	like "$out" "^$id " "A: postern queue lists $id"
done
unlike "$out" "$root_b|b1@example" "A: nothing of B's"
like "$out" 'a2@example\.com' "A: the failed message with its recipient"
mq=$(run_as "$A" "$MQ" 2>&1)
like "$mq" "^$(printf '%s\n' $root_a | head -n 1) " "A: mailq lists A's mail"
out=$(run_as "$B" "$SM" -bp 2>&1)
is "$?" 0 "B: sendmail -bp exits 0"
like "$out" "^$root_b " "B: sendmail -bp lists B's message"
unlike "$out" "$(printf '%s\n' $root_a | tr '\n' '|' | sed 's/|$//')|a[12]@example" \
    "B: nothing of A's"

out=$(run_as "$C" "$PN" queue 2>&1)
like "$out" '^Mail queue is empty$' "C, with no mail: Mail queue is empty"
unlike "$out" '^[0-9A-F]{20} |example\.com' "C: nothing of A's or B's"

# --- the request line: only "list" and "list json"; the uid is the kernel's
req() {	# req USER LINE - send LINE as USER, print the answer
	run_as "$1" $PYTHON -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
out = b""
while True:
    b = s.recv(65536)
    if not b: break
    out += b
sys.stdout.write(out.decode("utf-8", "replace"))' "$SOCK" "$2"
}
out=$(req "$B" "list --owner $uid_a
")
like "$out" '^error request refused' "a forged request (--owner) is refused"
unlike "$out" "$(printf '%s\n' $root_a | tr '\n' '|' | sed 's/|$//')" \
    "... and shows nothing"
out=$(req "$B" "list json $uid_a
")
like "$out" '^error request refused' "a request with a uid is refused"
out=$(req "$B" "list")
like "$out" '^error request refused' "a request without its newline is refused"
out=$(req "$B" "list
")
like "$out" '^ok' "list as B: accepted"
unlike "$out" "$(printf '%s\n' $root_a | tr '\n' '|' | sed 's/|$//')" \
    "list as B: nothing of A's"

# --- root and the group: unchanged, everything
is "$("$PN" queue 2>&1 | grep -E '^[0-9A-F]{20} ')" "$root_text" \
    "root: the same listing with the agent running"
is "$(run_as "$ADM" "$PN" queue 2>&1 | grep -E '^[0-9A-F]{20} ')" \
    "$adm_text" "the group: the same listing"
like "$adm_text" "^$root_b " "the group: lists B's message too"

# --- the agent stops: the socket goes, users are told
kill "$apid"
wait "$apid"
ok "agent stopped: the socket is removed" test ! -e "$SOCK"
out=$(run_as "$A" "$PN" queue 2>&1)
is "$?" 69 "agent stopped: postern queue by A exits 69"
like "$out" 'no delivery agent is running' "agent stopped: ... says so"
done_testing
