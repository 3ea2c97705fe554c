#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-concurrency.sh - CONCURRENCY_RUNS (default 200) submissions
# started at once all exit 0 and give as many distinct queue files, each
# parsing with the spool module (I record = file name, exactly Z bytes)
# and holding its own message intact (unique marker, body checksum).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
tmpdir_make
postern_setup
CHECK=$top_builddir/tests/lib/spool-check
RUNS=${CONCURRENCY_RUNS:-200}
# under valgrind (tests/lib/valgrind.sh) each process holds ~100 MB and
# takes ~0.5 CPU-s: 8 at once still overlap, and run every path of a
# submission under memcheck; the 200 at once run natively (tests/run-all's
# sanitizer pass, or make check)
vg_enabled && RUNS=${CONCURRENCY_RUNS:-8}

head -c 12288 /dev/urandom | base64 -w 76 >"$T/common"
# body N - the body of submission N: shared text, then a line of its own
body() {
	cat "$T/common"
	printf 'end of submission %s\n' "$1"
}

i=1
while [ $i -le "$RUNS" ]; do
	{
		printf 'Subject: concurrency %s\nX-Marker: conc-%s\n\n' "$i" "$i"
		body "$i"
	} | "$SENDMAIL" -C "$CONF" -i "rcpt$i@example.com" \
	    >/dev/null 2>"$T/err.$i" &
	echo "$i $!" >>"$T/pids"
	i=$((i + 1))
done
nfail=0
while read -r i pid; do
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		nfail=$((nfail + 1))
		diag "submission $i exited $rc: $(cat "$T/err.$i")"
	fi
done <"$T/pids"
is "$nfail" 0 "$RUNS parallel submissions all exit 0"
is "$(ls "$SPOOL/new" | wc -l | tr -d ' ')" "$RUNS" "$RUNS files in new/"
is "$(ls -A "$SPOOL/tmp")" "" "nothing left in tmp/"
(cd "$SPOOL/new" && "$CHECK" *) >"$T/check" 2>&1
is "$?" 0 "every queue file parses (I record = name, exactly Z bytes)"
[ $? -eq 0 ] || diag "$(grep -v '^OK ' "$T/check" | head -n 10)"
is "$(awk '{print $3}' "$T/check" | sort | uniq -d)" "" "queue ids are distinct"

nbad=0
: >"$T/markers"
while read -r verdict f qid size off; do
	[ "$verdict" = OK ] || continue
	p=$SPOOL/new/$f
	tail -c +$((off + 1)) "$p" >"$T/msg"
	marker=$(sed '/^$/q' "$T/msg" | sed -n 's/^X-Marker: conc-//p')
	echo "$marker" >>"$T/markers"
	want=$(body "$marker" | sha256sum)
	got=$(sed '1,/^$/d' "$T/msg" | sha256sum)
	rcpt=$(queue_envelope "$p" | sed -n 's/^R //p')
	if [ "$want" != "$got" ] || [ "$rcpt" != "rcpt$marker@example.com" ]; then
		nbad=$((nbad + 1))
		diag "$f: message of submission '$marker' is not intact"
	fi
done <"$T/check"
is "$nbad" 0 "every message is intact and has its own recipient"
is "$(sort -n "$T/markers" | uniq | wc -l | tr -d ' ')" "$RUNS" \
    "every submission is in new/ exactly once"
done_testing
