#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-fifo-race.sh - (1) posternd started as root makes the trigger FIFO in
# a spool the agent's user owns; that user, racing, swaps a symbolic link
# to a file of root's in for the FIFO as fast as it can.  Over a bounded
# number of root runs the file of root's must keep its owner and mode
# (issue 11, item 1: mkfifo, then chown and chmod by path, followed the
# link; now mkfifoat, open O_NOFOLLOW, fstat, fchown, fchmod).
# (2) `posternd --layout DIR`, which `make install` and the Debian
# postinst run as root (issue 11, item 2: they used to chmod by path),
# against a helper that swaps a link to a directory of root's in for
# tmp/ and for the trigger: the directory of root's keeps its mode.
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

# ---------------------------------------------------------------- --layout
rm -rf "$SPOOL" "$T/stop"
mkdir -p "$SPOOL"
chown "$user:" "$SPOOL"
mkdir -m 0700 "$T/victimdir"
cat >"$T/race2.py" <<'PY'
import os, sys
spool, victim, stop = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
while not os.path.exists(stop):
    for name in ("tmp", "trigger"):
        p = os.path.join(spool, name)
        try:
            os.rename(p, p + ".saved")
        except OSError:
            pass
        try:
            os.symlink(victim, p)
            n += 1
        except OSError:
            pass
        try:
            os.unlink(p)
        except OSError:
            pass
        try:
            os.rename(p + ".saved", p)
        except OSError:
            pass
print(n)
PY
setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- \
    /usr/bin/python3 "$T/race2.py" "$SPOOL" "$T/victimdir" "$T/stop" \
    >"$T/race2.out" 2>&1 &
RACE_PID=$!
cleanup_push "touch $T/stop; kill $RACE_PID 2>/dev/null"
i=0
lost=
while [ $i -lt "$RACE_ROUNDS" ]; do
	timeout -k 2 20 "$POSTERND" --layout "$SPOOL" >/dev/null \
	    2>>"$T/layout.log"
	if [ "$(stat -c '%u %a' "$T/victimdir")" != "0 700" ]; then
		lost=$i
		break
	fi
	i=$((i + 1))
done
touch "$T/stop"
wait "$RACE_PID"
diag "--layout rounds: $i, swaps by the helper: $(cat "$T/race2.out")"
is "${lost:-none}" none "no --layout run gave the directory of root's away"
is "$(stat -c '%u %a' "$T/victimdir")" "0 700" \
    "the directory of root's is root's, mode 0700"
rm -rf "$SPOOL"
"$POSTERND" --layout "$SPOOL" 2>>"$T/layout.log"
is "$?" 0 "alone, --layout succeeds"
l=
for d in . tmp new cur failed state trigger; do
	l="$l $d=$(stat -c '%a:%U' "$SPOOL/$d")"
done
is "$l" " .=755:$user tmp=1730:$user new=1770:$user cur=2770:$user failed=2770:$user state=2770:$user trigger=622:$user" \
    "--layout makes the designed tree"
ln -s "$T/victimdir" "$SPOOL/new.link"
rm -rf "$SPOOL/new"
mv "$SPOOL/new.link" "$SPOOL/new"
"$POSTERND" --layout "$SPOOL" 2>"$T/layout.err"
isnt_rc=$?
ok "--layout refuses new/ as a symbolic link (exit $isnt_rc)" \
    test "$isnt_rc" -ne 0
is "$(stat -c '%u %a' "$T/victimdir")" "0 700" "and changes nothing there"
done_testing
