#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-fifo-race.sh - posternd started as root makes the trigger FIFO in
# a spool the agent's user owns; that user, racing, swaps a symbolic link
# to a file of root's in for the FIFO as fast as it can.  Over a bounded
# number of root runs the file of root's must keep its owner and mode
# (issue 11, item 1: mkfifo, then chown and chmod by path, followed the
# link; now mkfifoat, open O_NOFOLLOW, fstat, fchown, fchmod).
# Needs root and the agent's user (posternd --help names it); the user
# and its groups are created when missing, like the test users.
. "$top_srcdir/tests/lib/common.sh"

POSTERND=$top_builddir/src/posternd
[ -x "$POSTERND" ] || skip_all "posternd not built"
need_root
need_cmd setpriv
RACE_ROUNDS=${RACE_ROUNDS:-300}
tmpdir_make

user=$("$POSTERND" --help 2>&1 | sed -n "s/.*drops to the user '\([^']*\)'.*/\1/p")
[ -n "$user" ] || bail_out "cannot read the agent's user from posternd --help"
(
	flock 8
	getent group "$user" >/dev/null || groupadd --system "$user" || exit 1
	id -u "$user" >/dev/null 2>&1 ||
		useradd --system -M -d /nonexistent -s /usr/sbin/nologin \
		    -g "$user" "$user" || exit 1
	getent group postern-drop >/dev/null ||
		groupadd --system postern-drop || exit 1
) 8>"${TMPDIR:-/tmp}/postern-test-users.lock" ||
	bail_out "cannot create the user $user"

SPOOL=$T/spool
mkdir -p "$SPOOL"
chown "$user:" "$SPOOL"
# the victim: a file of root's, mode 0600, outside the spool
printf 'root only\n' >"$T/victim"
chmod 600 "$T/victim"
cat >"$T/postern.conf" <<EOF
[postern]
spool_dir = $SPOOL
hostname = race.test
domain = example.org
log = stderr
[relay]
host = 127.0.0.1
port = $(free_port)
tls = none
EOF
chmod 644 "$T/postern.conf"

# the racing helper, as the agent's user: replace the trigger by a link
cat >"$T/race.py" <<'PY'
import os, sys, time
spool, victim, stop = sys.argv[1], sys.argv[2], sys.argv[3]
t = os.path.join(spool, "trigger")
tmp = os.path.join(spool, "trigger.link")
n = 0
while not os.path.exists(stop):
    try:
        os.symlink(victim, tmp)
    except FileExistsError:
        pass
    try:
        os.rename(tmp, t)       # atomic: the FIFO becomes the link
        n += 1
    except OSError:
        pass
    try:
        os.unlink(t)            # no trigger: the agent makes one again
    except OSError:
        pass
print(n)
PY
setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- \
    /usr/bin/python3 "$T/race.py" "$SPOOL" "$T/victim" "$T/stop" \
    >"$T/race.out" 2>&1 &
RACE_PID=$!
cleanup_push "touch $T/stop; kill $RACE_PID 2>/dev/null"

i=0
lost=
while [ $i -lt "$RACE_ROUNDS" ]; do
	timeout -k 2 20 "$POSTERND" --once -C "$T/postern.conf" \
	    >/dev/null 2>>"$T/agent.log"
	if [ "$(stat -c '%u %a' "$T/victim")" != "0 600" ]; then
		lost=$i
		break
	fi
	i=$((i + 1))
done
touch "$T/stop"
wait "$RACE_PID"
diag "rounds: $i, swaps by the helper: $(cat "$T/race.out")"
is "${lost:-none}" none \
    "no root run gave the victim away (owner and mode after $i runs)"
is "$(stat -c '%u %a' "$T/victim")" "0 600" "the victim is root's, mode 0600"
like "$(cat "$T/agent.log")" 'not a symbolic link|is not a FIFO|No such file' \
    "a swapped trigger is refused, never followed"
# without the helper the agent makes a FIFO of its user's, mode 0622
rm -f "$SPOOL/trigger" "$SPOOL/trigger.link"
timeout -k 2 20 "$POSTERND" --once -C "$T/postern.conf" 2>>"$T/agent.log"
is "$?" 0 "alone, the root run succeeds"
is "$(stat -c '%F %U %a' "$SPOOL/trigger")" "fifo $user 622" \
    "the trigger is a FIFO of $user, mode 0622"
done_testing
