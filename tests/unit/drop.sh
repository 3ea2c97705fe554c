#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# drop.sh - run the real src/postern-drop, unprivileged, with -C and a
# temporary spool: what it commits, and everything it must refuse.  TAP.
set -u
: "${top_builddir:=$(pwd)}"
DROP=$top_builddir/src/postern-drop
if [ ! -x "$DROP" ]; then
	echo "1..0 # SKIP $DROP not built"
	exit 0
fi
t=$(mktemp -d "${TMPDIR:-/tmp}/postern-drop.XXXXXX") || exit 99
trap 'chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"' EXIT
chmod 755 "$t"
# nobody runs it below: a copy in $t, which any user can reach (the build
# tree may be inside /root, mode 0700)
cp "$DROP" "$t/postern-drop" || exit 99
DROP=$t/postern-drop
spool=$t/spool
conf=$t/postern.conf
n=0
failed=0

ok() {	# ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		sed 's/^/# stderr: /' "$t/err" 2>/dev/null
	fi
}

mkspool() {
	rm -rf "$spool"
	mkdir -p "$spool/tmp" "$spool/new" "$spool/cur" "$spool/failed" \
	    "$spool/state"
	chmod 755 "$spool"
	chmod 1733 "$spool/tmp" "$spool/new"
}

writeconf() {	# writeconf SPOOL MAXSIZE
	printf '[postern]\nspool_dir = %s\nmax_message_size = %s\nmax_header_size = 1K\n' \
	    "$1" "$2" >"$conf"
	chmod 644 "$conf"
}

# stream ENVELOPE-FILE BODY-FILE: the whole protocol on stdout
stream() {
	cat "$1"
	printf 'C %d\n' "$(wc -c <"$2")"
	cat "$2"
	printf 'E %d\n' "$(wc -c <"$2")"
}

run() {		# run INPUT-FILE: exit status in $rc, output in $t/out $t/err
	"$DROP" -C "$conf" <"$1" >"$t/out" 2>"$t/err"
	rc=$?
}

empty() {	# empty DIR: true when DIR has no entries
	[ -z "$(ls -A "$1")" ]
}

spool_clean() {
	empty "$spool/tmp" && empty "$spool/new"
}

# Every fatal line names the caller's real uid (as Postfix's postdrop
# does): each fatal path below is checked with uid_named, and the count
# of those that did not is one test at the end.
me=$(id -u)
nfatal=0
uid_bad=
uid_named() {	# uid_named UID DESCRIPTION: $t/err has fatal lines, all uid=UID
	nfatal=$((nfatal + 1))
	if grep -q '^postern-drop: fatal: ' "$t/err" &&
	    ! grep '^postern-drop: fatal: ' "$t/err" |
	    grep -qv "^postern-drop: fatal: uid=$1: "; then
		return 0
	fi
	uid_bad="$uid_bad; $2"
	sed 's/^/# stderr: /' "$t/err"
	return 0
}

mkspool
writeconf "$spool" 10M
printf 'V 1\nS alice@example.org\nR bob@example.com\n\n' >"$t/env"
printf 'Subject: hi\n\nhello\n' >"$t/body"

# --- a good submission
stream "$t/env" "$t/body" >"$t/in"
run "$t/in"
ok $rc "good submission exits 0"
qid=$(cat "$t/out")
echo "$qid" | grep -Eq '^[0-9A-F]{20}$'
ok $? "queue id printed on stdout ($qid)"
[ -f "$spool/new/$qid" ]
ok $? "file committed in new/"
empty "$spool/tmp"
ok $? "nothing left in tmp/"
[ "$(stat -c %a "$spool/new/$qid" 2>/dev/null)" = 604 ]
ok $? "queue file mode 0604 (the drop group denied, readers through others)"
# the trace field opens the message (doc/spool-format.md): our uid, the
# queue id, the kernel's host name (no hostname in this configuration),
# the date it wrote (sendmail-received.sh checks its form)
{
	printf 'Received: by %s (postern, from userid %s)\n' "$(hostname)" \
	    "$(id -u)"
	printf '\tid %s; %s\n' "$qid" \
	    "$(sed -n 's/^\tid [0-9A-F]*; \(.*\)$/\1/p' "$spool/new/$qid")"
	cat "$t/body"
} >"$t/message"
{
	printf 'V 1\nI %s\nT X\nU %s\nL %s\nS alice@example.org\n' \
	    "$qid" "$(id -u)" "$(id -un)"
	printf 'R bob@example.com\nZ %020d\n\n' "$(wc -c <"$t/message")"
	cat "$t/message"
} >"$t/want"
sed '3s/^T [0-9]*$/T X/' "$spool/new/$qid" >"$t/got" 2>/dev/null
cmp -s "$t/want" "$t/got"
ok $? "queue file content is exact (envelope, trace field, message)"
grep -q "$qid: uid=$(id -u) from=<alice@example.org> size=$(wc -c <"$t/message") nrcpt=1" "$t/err"
ok $? "one log line with uid, sender, size, nrcpt"
rm -f "$spool/new/$qid"

# --- refusals: each exits 65 and leaves nothing behind
refuse() {	# refuse ENVELOPE-TEXT WANT DESCRIPTION
	printf "$1" >"$t/env2"
	stream "$t/env2" "$t/body" >"$t/in"
	run "$t/in"
	uid_named "$me" "$3"
	[ $rc -eq 65 ] && grep -q "$2" "$t/err" &&
	    grep -q "^postern-drop: fatal: uid=$me: " "$t/err" && spool_clean
	ok $? "refused with 65: $3"
}
refuse 'V 1\nI 0123456789ABCDEF0123\nS\nR a@b\n\n' "set by postern-drop" \
    "forged I record"
refuse 'V 1\nS\nU 0\nR a@b\n\n' "record 'U'" "forged U record (as root)"
refuse 'V 1\nS\nR a@b\nL root\n\n' "record 'L'" "forged L record"
refuse 'V 1\nS\nR a@b\nZ 5\n\n' "set by postern-drop" "forged Z record"
refuse 'V 1\nS\nR a\r@b\n\n' "control character" "CR in a recipient"
refuse 'V 1\nS a@b\rX\nR a@b\n\n' "control character" "CR in the sender"
refuse 'V 1\nS a@b\nR x@y\nData: injected\n\n' "unknown record" \
    "LF in an address (header injection)"
refuse 'V 2\nS\nR a@b\n\n' "unsupported envelope version" "version 2"
refuse 'S\nR a@b\n\n' "first record" "no version"
refuse 'V 1\nS\n\n' "'R' missing" "no recipient"
long=$(head -c 1100 /dev/zero | tr '\0' x)
refuse "V 1\nS\nR $long@b\n\n" "longer than 1024" "record over 1024 bytes"
long=$(head -c 300 /dev/zero | tr '\0' x)
refuse "V 1\nS\nR $long@b\n\n" "recipient address" "address over 256 bytes"

body_refuse() {	# body_refuse INPUT-FILE WANT DESCRIPTION
	run "$1"
	uid_named "$me" "$3"
	[ $rc -eq 65 ] && grep -q "$2" "$t/err" && spool_clean
	ok $? "refused with 65: $3"
}
{ cat "$t/env"; printf 'C 6\nhello\n'; } >"$t/in"
body_refuse "$t/in" "end of message marker" \
    "truncated stream (no end marker) leaves nothing"
{ cat "$t/env"; printf 'C 60\nhello\n'; } >"$t/in"
body_refuse "$t/in" "inside a chunk" "truncated inside a chunk"
{ cat "$t/env"; printf 'C 6\nhel'; } >"$t/in"
body_refuse "$t/in" "inside a chunk" "truncated mid-chunk, no LF"
cat "$t/env" >"$t/in"
body_refuse "$t/in" "end of message marker" "envelope only"
head -c 20 "$t/env" >"$t/in"
body_refuse "$t/in" "blank line" "truncated envelope"
{ cat "$t/env"; printf 'C 6\nhello\nE 7\n'; } >"$t/in"
body_refuse "$t/in" "end marker says 7" "end marker size mismatch"
{ cat "$t/env"; printf 'C 6\nhello\nE 6\nC 1\nx'; } >"$t/in"
body_refuse "$t/in" "after the end" "data after the end marker"
{ cat "$t/env"; printf 'C 6\nhel\0o\nE 6\n'; } >"$t/in"
body_refuse "$t/in" "NUL or CR" "NUL byte in the message"
{ cat "$t/env"; printf 'C 7\nhello\r\nE 7\n'; } >"$t/in"
body_refuse "$t/in" "NUL or CR" "CR in the message"
{ cat "$t/env"; printf 'C 5\nhelloE 5\n'; } >"$t/in"
body_refuse "$t/in" "line feed" "message without final LF"
{ cat "$t/env"; printf 'E 0\n'; } >"$t/in"
body_refuse "$t/in" "empty" "empty message"
{ cat "$t/env"; printf 'C 0\n\nE 0\n'; } >"$t/in"
body_refuse "$t/in" "chunk header" "zero-length chunk"
{ cat "$t/env"; printf 'C 65537\n'; } >"$t/in"
body_refuse "$t/in" "chunk header" "chunk over 64K"
{ cat "$t/env"; printf 'X 5\nhello'; } >"$t/in"
body_refuse "$t/in" "chunk header" "unknown frame"

# --- size limit
writeconf "$spool" 1K
head -c 1050 /dev/zero | tr '\0' 'a' >"$t/big"
echo >>"$t/big"
stream "$t/env" "$t/big" >"$t/in"
body_refuse "$t/in" "max_message_size (1024 bytes)" "message over the size limit"
head -c 1023 /dev/zero | tr '\0' 'a' >"$t/fits"
echo >>"$t/fits"
stream "$t/env" "$t/fits" >"$t/in"
run "$t/in"
[ $rc -eq 0 ] && [ -f "$spool/new/$(cat "$t/out")" ]
ok $? "message of exactly the limit is accepted"
rm -f "$spool"/new/*
writeconf "$spool" 10M

# --- missing spool, permissions, usage
writeconf "$t/nonexistent" 10M
stream "$t/env" "$t/body" >"$t/in"
run "$t/in"
uid_named "$me" "missing spool"
[ $rc -eq 73 ] && grep -q "chdir $t/nonexistent: No such file" "$t/err"
ok $? "missing spool exits 73 (EX_CANTCREAT) naming the path"
writeconf "$spool" 10M
rm -rf "$spool/tmp"
run "$t/in"
uid_named "$me" "missing tmp/"
[ $rc -eq 73 ] && grep -q "make install" "$t/err"
ok $? "missing tmp/ exits 73 with the fix"
mkspool
chmod 555 "$spool/tmp"
if [ "$(id -u)" = 0 ]; then
	nobody_uid=$(id -u nobody)
	nobody_drop() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$DROP" -C "$conf" <"$t/in" >"$t/out" 2>"$t/err"
	}
else
	nobody_uid=$me
	nobody_drop() {
		"$DROP" -C "$conf" <"$t/in" >"$t/out" 2>"$t/err"
	}
fi
nobody_drop
rc=$?
uid_named "$nobody_uid" "unwritable tmp/ (uid $nobody_uid)"
[ $rc -eq 77 ] && grep -q "Permission denied" "$t/err" &&
    grep -q "set-group-id" "$t/err"
ok $? "unwritable tmp/ exits 77 (EX_NOPERM) with the fix"
mkspool
"$DROP" -x <"$t/in" >"$t/out" 2>"$t/err"
rc=$?
uid_named "$me" "unknown option"
[ $rc -eq 64 ]
ok $? "unknown option exits 64"
"$DROP" -C "$conf" extra <"$t/in" >"$t/out" 2>"$t/err"
rc=$?
uid_named "$me" "extra argument"
[ $rc -eq 64 ]
ok $? "extra argument exits 64"
printf 'spool_dir = %s\nmax_message_size = lots\n' "$spool" >"$t/bad.conf"
"$DROP" -C "$t/bad.conf" <"$t/in" >"$t/out" 2>"$t/err"
rc=$?
uid_named "$me" "bad configuration"
[ $rc -eq 78 ] && grep -q max_message_size "$t/err"
ok $? "bad configuration exits 78 (EX_CONFIG)"

# --- the environment is ignored
env -i TMPDIR=/nonexistent LANG=C.UTF-8 "$DROP" -C "$conf" <"$t/in" \
    >"$t/out" 2>"$t/err"
[ $? -eq 0 ] && [ -f "$spool/new/$(cat "$t/out")" ]
ok $? "runs with a hostile TMPDIR"
rm -f "$spool"/new/*

# --- the agent's trigger FIFO
mkfifo "$spool/trigger"
run "$t/in"
[ $rc -eq 0 ]
ok $? "FIFO without a reader: still committed"
exec 3<>"$spool/trigger"
run "$t/in"
poke=$(timeout 5 dd bs=1 count=1 <&3 2>/dev/null)
exec 3<&-
[ $rc -eq 0 ] && [ "$poke" = n ]
ok $? "FIFO with a reader: poked with one byte"
rm -f "$spool/trigger" "$spool"/new/*

# --- a signal mid-stream removes the tmp file
mkfifo "$t/pipe"
"$DROP" -C "$conf" <"$t/pipe" >"$t/out" 2>"$t/err" &
pid=$!
exec 4>"$t/pipe"
{ cat "$t/env"; printf 'C 100\npartial'; } >&4
i=0
while empty "$spool/tmp" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
empty "$spool/tmp"
[ $? -ne 0 ]
ok $? "tmp file exists while streaming"
kill -TERM $pid
wait $pid
rc=$?
exec 4>&-
[ $rc -eq 75 ] && spool_clean
ok $? "SIGTERM: tmp file removed, exit 75"

# --- set-group-id: -C refused, the caller's config path ignored
# (LeakSanitizer cannot run in a set-group-id process: skip under ASan)
if [ "$(id -u)" = 0 ] && getent group mail >/dev/null &&
    getent passwd nobody >/dev/null &&
    ! grep -q __asan_init "$DROP"; then
	mkdir "$t/sgid"
	chmod 755 "$t/sgid"
	cp "$DROP" "$t/sgid/postern-drop"
	chgrp mail "$t/sgid/postern-drop"
	chmod 2755 "$t/sgid/postern-drop"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$t/sgid/postern-drop" -C "$conf" <"$t/in" >"$t/out" 2>"$t/err"
	rc=$?
	uid_named "$nobody_uid" "set-group-id -C (uid $nobody_uid)"
	[ $rc -eq 64 ] && grep -q "refused when running set-group-id" "$t/err"
	ok $? "set-group-id: -C refused (64)"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$t/sgid/postern-drop" <"$t/in" >"$t/out" 2>"$t/err"
	rc=$?
	uid_named "$nobody_uid" "set-group-id built-in config"
	[ $rc -ne 0 ] && empty "$spool/new" && ! grep -q "$spool" "$t/err"
	ok $? "set-group-id: loads only the built-in config (exit $rc)"
else
	n=$((n + 1))
	echo "ok $n # SKIP set-group-id checks need root, group mail," \
	    "nobody, and no sanitizer"
fi

# the uid in every fatal line (uid_named above)
[ $nfatal -gt 20 ] && [ -z "$uid_bad" ]
ok $? "every fatal line of the $nfatal fatal paths names the caller's uid${uid_bad:+: not in$uid_bad}"

echo "1..$n"
[ $failed -eq 0 ]
