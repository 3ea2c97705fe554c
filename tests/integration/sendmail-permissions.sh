#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-permissions.sh - the security properties of submission and of
# the queue tools, shown with real unprivileged users against a real
# set-group-id installation (tests/lib/sgid.sh: a private copy installed
# by `make install-exec`, with the agent's group G and postern-drop's own
# group DG): any user can submit; the queue file belongs to the submitter
# and the drop group, mode 0604, with the submitter's real uid; no other
# user can read, list, alter or delete it, nor can the drop group itself;
# nobody reads the smarthost secrets through a postern program;
# postern-drop run by hand refuses forged envelopes, -C, and ignores the
# environment; the agent (started as root, without the drop group) picks
# the mail up into cur/; then root and a member of G may list, show,
# retry, requeue and delete, an ordinary user is refused (77) with a
# message naming G (postern queue asks the agent instead: queue-own.sh),
# and the drop group alone cannot read cur/ failed/ state/.  Needs root
# (skips without).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
. "$top_srcdir/tests/lib/sgid.sh"
need_root
need_cmd setpriv flock groupadd useradd
tmpdir_make
make_test_users 3 || bail_out "cannot create test users"
A=${TEST_USER_PREFIX}1
B=${TEST_USER_PREFIX}2
AGENT=${TEST_USER_PREFIX}3
ADM=${TEST_USER_PREFIX}adm	# an administrator: a member of G
G=postern-tg			# the agent's group
DG=postern-td			# postern-drop's group
sgid_admin "$ADM" "$G" || bail_out "cannot create the admin user $ADM"
# a relay nobody listens on: the agent runs, delivers nothing
CLOSED=$(free_port)
sgid_install "$AGENT" "$G" "$DG" "$(printf '[relay]\nhost = 127.0.0.1\nport = %s\ntls = none\n' "$CLOSED")"
# SM and PN run the installed front end; under POSTERN_VALGRIND=1
# (tests/lib/valgrind.sh) under valgrind.  The set-group-id
# postern-drop always runs natively: valgrind would run it without its
# privilege (its code runs under valgrind in the other tests).
SM=$SG_SENDMAIL
PN=$SG_POSTERN
if vg_enabled; then
	vg_setup
	SM=$(vg_wrap sendmail "$SG_POSTERN")
	PN=$(vg_wrap postern "$SG_POSTERN")
fi
uid_a=$(id -u "$A")
uid_b=$(id -u "$B")

# new_files - the queue files in new/ (as root)
new_files() {
	ls "$SG_SPOOL/new"
}
# spool_quiet - nothing in tmp/, and new/ holds exactly the files in $1
spool_quiet() {
	[ -z "$(ls -A "$SG_SPOOL/tmp")" ] && [ "$(new_files | sort)" = "$1" ]
}

# --- the installation itself
is "$(stat -c '%a %G' "$SG_DROP")" "2755 $DG" \
    "install: postern-drop is set-group-id $DG (its own group), mode 2755"
is "$(readlink "$SG_SENDMAIL")" "$SG_PREFIX/sbin/postern" \
    "install: sendmail links to postern"
got=
for d in tmp new cur failed state; do
	got="$got $d=$(stat -c '%a:%U:%G' "$SG_SPOOL/$d")"
done
is "$got" " tmp=1730:$AGENT:$DG new=1770:$AGENT:$DG cur=2770:$AGENT:$G failed=2770:$AGENT:$G state=2770:$AGENT:$G" \
    "install: spool directories with the designed owners and modes"
is "$(stat -c '%F %U:%G' "$SG_SPOOL/trigger")" "fifo $AGENT:$G" \
    "install: trigger FIFO"
# in_group USER GROUP - USER is a member of GROUP
in_group() {
	id -Gn "$1" | tr ' ' '\n' | grep -qx "$2"
}
for u in "$A" "$B" "$AGENT"; do
	not_ok "$u is not in the drop group $DG" 1 in_group "$u" "$DG"
done
not_ok "$A is not in $G" 1 in_group "$A" "$G"
not_ok "$B is not in $G" 1 in_group "$B" "$G"
ok "$ADM is in $G" in_group "$ADM" "$G"
not_ok "$ADM is not in $DG" 1 in_group "$ADM" "$DG"

# --- user A submits through the set-group-id helper
printf 'Subject: private to A\n\nA-private-body-7f3e\n' >"$T/msg-a"
chmod 0644 "$T/msg-a"
run_as "$A" "$SM" -i bob@example.com <"$T/msg-a" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 0 "A: sendmail exits 0"
[ $rc -eq 0 ] || diag "$(cat "$T/err")"
is "$(new_files | wc -l | tr -d ' ')" 1 "A: one file in new/"
qa=$(new_files | head -n 1)
fa=$SG_SPOOL/new/$qa
is "$(stat -c '%u %G %a' "$fa")" "$uid_a $DG 604" \
    "A: queue file owned by A, group $DG, mode 0604"
env=$(queue_envelope "$fa")
like "$env" "^U $uid_a\$" "A: U record is A's real uid"
like "$env" "^L $A\$" "A: L record is A's login"
is "$(ls -A "$SG_SPOOL/tmp")" "" "A: nothing left in tmp/"
stat_a=$(stat -c '%u %g %a %s %Y %i' "$fa")
sum_a=$(sha256sum <"$fa")

# --- user B (and A itself) cannot reach the queued message
not_ok "B cannot read A's queue file" 1 run_as "$B" cat "$fa"
not_ok "B cannot list new/" 2 run_as "$B" ls "$SG_SPOOL/new"
not_ok "B cannot list tmp/" 2 run_as "$B" ls "$SG_SPOOL/tmp"
not_ok "B cannot delete A's queue file" 1 run_as "$B" rm -f "$fa"
not_ok "B cannot rename A's queue file" 1 \
    run_as "$B" mv "$fa" "$SG_SPOOL/tmp/$qa"
not_ok "B cannot append to A's queue file" 2 \
    run_as "$B" sh -c 'echo X-Evil: 1 >>"$1"' sh "$fa"
not_ok "B cannot truncate A's queue file" 1 run_as "$B" truncate -s 0 "$fa"
not_ok "A cannot read its own queued file either" 1 run_as "$A" cat "$fa"
not_ok "A cannot delete its own queued file" 1 run_as "$A" rm -f "$fa"
# what postern-drop's privilege gives: B's uid with the drop group
not_ok "the drop group cannot read A's queued file (0604: its class is denied)" 1 \
    setpriv --reuid="$B" --regid="$DG" --clear-groups -- cat "$fa"
not_ok "the drop group cannot list tmp/" 2 \
    setpriv --reuid="$B" --regid="$DG" --clear-groups -- ls "$SG_SPOOL/tmp"
not_ok "the drop group cannot delete A's queued file (sticky new/)" 1 \
    setpriv --reuid="$B" --regid="$DG" --clear-groups -- rm -f "$fa"
out=$(run_as "$B" "$PN" queue 2>&1)
rc=$?
[ $rc -ne 0 ] && ! printf '%s' "$out" | grep -q 'bob@example.com'
is $? 0 "B: postern queue is refused (exit $rc) and shows nothing of A's mail"
out=$(run_as "$B" "$SM" -bp 2>&1)
unlike "$out" 'bob@example\.com|A-private' "B: sendmail -bp shows nothing of A's mail"
is "$(cat "$fa" | sed '1,/^$/d' | sed '1,/^$/d')" "A-private-body-7f3e" \
    "A's message is intact after B's attempts"
[ "$(stat -c '%u %g %a %s %Y %i' "$fa")" = "$stat_a" ] &&
    [ "$(sha256sum <"$fa")" = "$sum_a" ]
is $? 0 "A's queue file unchanged (owner, mode, size, inode, checksum)"

# --- the smarthost secrets: readable by the agent only
not_ok "B cannot read the secrets file directly" 1 run_as "$B" cat "$SG_SECRETS"
run_as "$AGENT" cat "$SG_SECRETS" | grep -q "$SG_PASSWORD"
is $? 0 "the agent can read the secrets file (the leak probe sees the password)"
printf '[postern]\naliases = %s\nspool_dir = %s\n' "$SG_SECRETS" \
    "$SG_SPOOL" >"$T/b.conf"
printf 'smtp.example.com: bob\n' >"$T/b-aliases"
chmod 0644 "$T/b.conf" "$T/b-aliases"
leak=0
leak_check() {	# leak_check DESC CMD... (as B): the password never shows
	_lc_desc=$1
	shift
	_lc_out=$(run_as "$B" "$@" <"$T/msg-a" 2>&1)
	if printf '%s' "$_lc_out" | grep -q "$SG_PASSWORD"; then
		_tap_result 1 "secrets: $_lc_desc"
		diag "the password leaked: $*"
		leak=1
	else
		_tap_result 0 "secrets: $_lc_desc"
	fi
}
leak_check "sendmail -C secrets -bv" "$SM" -C "$SG_SECRETS" -bv x@y
leak_check "sendmail -C secrets -t" "$SM" -C "$SG_SECRETS" -t -i
leak_check "sendmail -C secrets -bs" "$SM" -C "$SG_SECRETS" -bs
leak_check "postern config -C secrets" "$PN" config -C "$SG_SECRETS"
leak_check "postern config --check -C secrets" \
    "$PN" config --check -C "$SG_SECRETS"
leak_check "postern config (installed configuration)" "$PN" config
leak_check "mailq -C secrets" "$PN" queue -C "$SG_SECRETS"
leak_check "newaliases -C secrets" "$PN" newaliases -C "$SG_SECRETS"
leak_check "a config naming the secrets file as aliases" \
    "$SM" -C "$T/b.conf" -bv smtp.example.com
leak_check "postern-drop -C secrets" "$SG_DROP" -C "$SG_SECRETS"
leak_check "postern-drop with the secrets file on stdin (opened by B)" \
    sh -c 'exec "$1" <"$2"' sh "$SG_DROP" "$SG_SECRETS"

# --- postern-drop run directly by B: forged envelopes are refused
printf 'hello from B\n' >"$T/body"
before=$(new_files | sort)
# forge ENVELOPE DESC - B feeds postern-drop a stream with ENVELOPE
forge() {
	{
		printf "$1"
		printf 'C %d\n' "$(wc -c <"$T/body")"
		cat "$T/body"
		printf 'E %d\n' "$(wc -c <"$T/body")"
	} >"$T/forged"
	chmod 0644 "$T/forged"
	run_as "$B" "$SG_DROP" <"$T/forged" >"$T/out" 2>"$T/err"
	_fg_rc=$?
	[ $_fg_rc -eq 65 ] && spool_quiet "$before" &&
	    grep -q "^postern-drop: fatal: uid=$(id -u "$B"): " "$T/err"
	if ! ok_status $? "B direct: $2 refused with 65, nothing lands"; then
		diag "exit $_fg_rc: $(cat "$T/err")"
	fi
}
ok_status() {	# ok_status STATUS DESC
	_tap_result "$1" "$2"
	return "$1"
}
forge 'V 1\nI 0123456789ABCDEF0123\nS b@example.org\nR x@example.com\n\n' \
    "forged I (queue id)"
forge "V 1\nU $uid_a\nS b@example.org\nR x@example.com\n\n" \
    "forged U (A's uid)"
forge 'V 1\nU 0\nS root@example.org\nR x@example.com\n\n' \
    "forged U (uid 0)"
forge 'V 1\nT 1\nS b@example.org\nR x@example.com\n\n' "forged T (arrival)"
forge "V 1\nS b@example.org\nR x@example.com\nL $A\n\n" "forged L (login)"
forge 'V 1\nS b@example.org\nR x@example.com\nZ 00000000000000000013\n\n' \
    "forged Z (size)"
forge 'V 1\nS b@example.org\rBcc: x@evil\nR x@example.com\n\n' \
    "CR in the sender"
forge 'V 1\nS b@example.org\nR x@example.com\nBcc: x@evil\n\n' \
    "LF in a recipient (injected record)"
forge 'V 1\nS b@example.org\nR x@exa\rmple.com\n\n' "CR in a recipient"
long=$(head -c 1100 /dev/zero | tr '\0' a)
forge "V 1\nS b@example.org\nR x@example.com\tORCPT=rfc822;$long\n\n" \
    "oversized record"
forge 'V 9\nS b@example.org\nR x@example.com\n\n' "bad version"
forge 'S b@example.org\nR x@example.com\n\n' "no version"
forge '\n' "empty envelope"

# a well-formed direct submission is accepted, with B's uid, not a forged one
{
	printf 'V 1\nS root@example.org\nR x@example.com\n\n'
	printf 'C %d\n' "$(wc -c <"$T/body")"
	cat "$T/body"
	printf 'E %d\n' "$(wc -c <"$T/body")"
} >"$T/direct"
chmod 0644 "$T/direct"
run_as "$B" "$SG_DROP" <"$T/direct" >"$T/out" 2>"$T/err"
rc=$?
qb=$(cat "$T/out")
is "$rc" 0 "B direct: a well-formed stream is committed"
if [ -f "$SG_SPOOL/new/$qb" ]; then
	like "$(queue_envelope "$SG_SPOOL/new/$qb")" "^U $uid_b\$" \
	    "B direct: U is B's real uid whatever the sender says"
	is "$(stat -c '%u' "$SG_SPOOL/new/$qb")" "$uid_b" \
	    "B direct: file owned by B"
	rm -f "$SG_SPOOL/new/$qb"
else
	skip "no queue file" 2
fi

# --- -C and the environment
printf '[postern]\nspool_dir = %s/bspool\n' "$T" >"$T/other.conf"
chmod 0644 "$T/other.conf"
mkdir -p "$T/bspool/tmp" "$T/bspool/new"
chmod 1777 "$T/bspool/tmp" "$T/bspool/new"
run_as "$B" "$SG_DROP" -C "$T/other.conf" <"$T/direct" >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 64 "B direct: postern-drop -C other.conf refused (64) when set-group-id"
grep -q 'refused when running set-group-id' "$T/err"
is $? 0 "B direct: -C refusal names the reason"
[ -z "$(ls -A "$T/bspool/new" "$T/bspool/tmp" | grep -v '^$\|:$')" ] &&
    spool_quiet "$before"
is $? 0 "B direct: nothing lands in either spool after -C"

# sendmail -C by A: the front end hands -C to the helper, which refuses it
run_as "$A" "$SM" -C "$T/other.conf" -i x@example.com \
    <"$T/msg-a" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && spool_quiet "$before" && [ -z "$(ls -A "$T/bspool/new")" ]
is $? 0 "A: sendmail -C other.conf cannot steer the set-group-id helper (exit $rc)"

# an LD_PRELOAD library that leaves a mark when loaded
mkdir -p "$T/evil"
chmod 1777 "$T/evil"
if command -v cc >/dev/null 2>&1 &&
    printf '#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void evil(void) { close(open("%s/evil/ran", O_CREAT | O_WRONLY, 0666)); }\n' \
	"$T" >"$T/evil.c" &&
    cc -shared -fPIC -o "$T/evil.so" "$T/evil.c" 2>/dev/null; then
	chmod 0755 "$T/evil.so"
	run_as "$B" env LD_PRELOAD="$T/evil.so" /bin/true
	[ -f "$T/evil/ran" ]
	is $? 0 "env: the LD_PRELOAD probe works on an ordinary program"
	rm -f "$T/evil/ran"
	run_as "$B" env -i LD_PRELOAD="$T/evil.so" LD_LIBRARY_PATH="$T/evil" \
	    TMPDIR=/nonexistent MALLOC_CHECK_=3 LANG=C.UTF-8 LOGNAME=root \
	    USER=root HOME=/ "$SG_DROP" <"$T/direct" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && [ ! -f "$T/evil/ran" ]
	is $? 0 "env: set-group-id postern-drop commits and never loads LD_PRELOAD"
	qb=$(cat "$T/out")
	if [ -f "$SG_SPOOL/new/$qb" ]; then
		env=$(queue_envelope "$SG_SPOOL/new/$qb")
		like "$env" "^L $B\$" "env: LOGNAME=root does not change the L record"
		rm -f "$SG_SPOOL/new/$qb"
	else
		skip "no queue file"
	fi
else
	skip "no C compiler for the LD_PRELOAD probe" 3
fi
run_as "$A" env LOGNAME=root USER=root HOME=/ TMPDIR=/nonexistent \
    POSTERN_CONF="$T/other.conf" "$SM" -i bob@example.com \
    <"$T/msg-a" >"$T/out" 2>"$T/err"
is "$?" 0 "env: A submits with a hostile environment"
qn=$(new_files | grep -v "^$qa\$" | head -n 1)
if [ -n "$qn" ]; then
	env=$(queue_envelope "$SG_SPOOL/new/$qn")
	like "$env" "^U $uid_a\$" "env: U is still A's uid"
	like "$env" "^L $A\$" "env: L is still A's login, not LOGNAME"
	like "$env" "^S $A@example\.org\$" "env: sender from the password database"
	rm -f "$SG_SPOOL/new/$qn"
else
	skip "no queue file" 3
fi
is "$(new_files)" "$qa" "only A's first message remains in new/"

# --- the agent picks it up; root and the agent's group may do everything
"$SG_POSTERND" --once >"$T/agent.log" 2>&1
rc=$?
is "$rc" 0 "agent: posternd --once (as root, drops to $AGENT) exits 0"
[ $rc -eq 0 ] || diag "$(tail -n 20 "$T/agent.log")"
like "$(cat "$T/agent.log")" "running as user $AGENT \\(uid [0-9]+\\) and group $G \\(gid [0-9]+\\), without the drop group $DG" \
    "agent: runs with the agent's group, without the drop group"
ok "agent: picked A's message up from new/ into cur/" \
    sh -c '[ -f "$1/cur/$2" ] && [ -z "$(ls -A "$1/new")" ]' sh "$SG_SPOOL" "$qa"
fc=$SG_SPOOL/cur/$qa
unlike "$(cat "$T/agent.log")" "$qa: set aside" \
    "agent: read the 0604 file through others (it does not hold $DG)"
is "$(stat -c '%u %G %a' "$fc")" "$uid_a $DG 604" \
    "agent: the queue file keeps its owner, group and mode"
ok "agent: state/relays written (the relay is down)" test -f "$SG_SPOOL/state/relays"
is "$(stat -c '%U %G %a' "$SG_SPOOL/state/relays")" "$AGENT $G 640" \
    "agent: state/relays belongs to the agent and its group, mode 0640"

# started unprivileged while holding the drop group: refuses, says why
out=$(setpriv --reuid="$AGENT" --regid="$DG" --clear-groups -- \
    "$SG_POSTERND" --once 2>&1)
is "$?" 78 "agent: refuses to run holding the drop group (78)"
like "$out" "holds the group '$DG' of postern-drop: it could not read the mail" \
    "agent: ... and says why and how to fix it"

# root: everything
out=$("$PN" queue -C "$SG_CONF" 2>&1)
like "$out" "^$qa " "root: postern queue lists it"
like "$("$PN" show --body "$qa" 2>&1)" 'A-private-body-7f3e' "root: postern show --body"

# ADM, a member of G: everything, without sudo
out=$(run_as "$ADM" "$PN" queue 2>&1)
rc=$?
is "$rc" 0 "$G member: postern queue (exit 0)"
like "$out" "^$qa .* $A@example\\.org\$" "$G member: lists A's message, sender and all"
like "$out" '<bob@example\.com>' "$G member: ... with its recipient"
out=$(run_as "$ADM" "$PN" show --body "$qa" 2>&1)
is "$?" 0 "$G member: postern show --body"
like "$out" 'A-private-body-7f3e' "$G member: sees the message"
# as if the agent had deferred it for an hour
now=$(date +%s)
printf 'V 1\nA 1\nX %s\nW %s\ne 421 4.3.2 try later\n' $((now + 3600)) \
    $((now - 60)) >"$SG_SPOOL/state/$qa"
chown "$AGENT:$G" "$SG_SPOOL/state/$qa"
chmod 0640 "$SG_SPOOL/state/$qa"
out=$(run_as "$ADM" "$PN" retry "$qa" 2>&1)
is "$?" 0 "$G member: postern retry"
like "$out" "$qa: due now" "$G member: retry made it due now"
is "$(stat -c '%U %G %a' "$SG_SPOOL/state/$qa")" "$ADM $G 640" \
    "$G member: the state file it wrote has group $G, mode 0640"
"$SG_POSTERND" --once >"$T/agent2.log" 2>&1
is "$?" 0 "agent: a second run"
unlike "$(cat "$T/agent2.log")" "$qa: set aside|unreadable" \
    "agent: reads the state file a member of $G wrote"
run_as "$ADM" "$PN" flush >/dev/null 2>&1
is "$?" 69 "$G member: postern flush (no agent running: 69, as for root)"
# as if the agent gave up on it
mv "$fc" "$SG_SPOOL/failed/$qa"
out=$(run_as "$ADM" "$PN" failed 2>&1)
like "$out" "^$qa " "$G member: postern failed lists it"
out=$(run_as "$ADM" "$PN" failed requeue "$qa" 2>&1)
is "$?" 0 "$G member: postern failed requeue"
ok "$G member: requeued into cur/ (new/ is the drop group's)" \
    test -f "$SG_SPOOL/cur/$qa"

# the drop group alone: nothing of cur/, failed/, state/
for d in cur failed state; do
	not_ok "the drop group alone cannot list $d/" 2 \
	    setpriv --reuid="$B" --regid="$DG" --clear-groups -- ls "$SG_SPOOL/$d"
done
not_ok "the drop group alone cannot read A's message in cur/" 1 \
    setpriv --reuid="$B" --regid="$DG" --clear-groups -- cat "$SG_SPOOL/cur/$qa"
not_ok "the drop group alone cannot read state/relays" 1 \
    setpriv --reuid="$B" --regid="$DG" --clear-groups -- cat "$SG_SPOOL/state/relays"

# an ordinary user: refused, told who may and how
out=$(run_as "$B" "$PN" queue 2>&1)
is "$?" 69 "$B: postern queue asks the agent: none runs (69, queue-own.sh)"
for c in "show $qa" "delete $qa" "retry $qa" failed "failed requeue $qa"; do
	# shellcheck disable=SC2086
	out=$(run_as "$B" "$PN" $c 2>&1)
	is "$?" 77 "$B: postern $c refused (77)"
done
like "$out" "permission denied: the queue is private to root and the members of the mail system's group $G\\. +To use the queue tools, have an administrator add you to it \\(adduser $B $G, then log in again\\), or run 'sudo postern failed'" \
    "$B: the refusal names the group, how to join it, and sudo"
unlike "$out" 'bob@example|A-private' "$B: ... and shows nothing of A's mail"
ok "$B: A's message is still queued" test -f "$SG_SPOOL/cur/$qa"

out=$(run_as "$ADM" "$PN" delete "$qa" 2>&1)
is "$?" 0 "$G member: postern delete"
ok "$G member: deleted" test ! -e "$SG_SPOOL/cur/$qa"
like "$(run_as "$ADM" "$PN" queue 2>&1)" '^Mail queue is empty$' \
    "$G member: the queue is empty"
done_testing
