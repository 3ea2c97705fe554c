#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bounce-diskfull.sh - a bounce that cannot be written is never lost:
#   1. a full file system during bounce generation (root: the spool on a
#      512 KiB tmpfs; skipped otherwise).  Four messages of ~57 KB, with
#      recipients the smarthost refuses for good (550) next to ones it
#      accepts, meet a spool with 32 KiB free: the accepted recipients are
#      delivered once, each DSN fails for lack of space and leaves nothing
#      in tmp/ or new/, the originals stay in cur/ with the refused
#      recipients deferred and a reason naming the full disk.  With the
#      file system completely full (not even a state file fits) the next
#      attempt changes nothing and sends nothing twice.  Once space is
#      freed, the next run queues and delivers exactly one DSN per message
#      (RFC 3464, naming exactly the refused recipients, returning the
#      message) and moves each original to failed/; a further run sends
#      nothing.  Prints the lost / duplicated / intact counts.
#   2. a crash between saving a transaction's outcome and queueing its
#      DSN (posternd killed by strace at the DSN's fchmod, the first
#      thing after creating tmp/QID): the refused recipient must still be
#      deferred, not failed, so the next run bounces it (before the fix
#      in deliver.c the state said failed and the DSN was lost).
. "$top_srcdir/tests/integration/agent-common.sh"

CAMPAIGN="$PYTHON $TESTLIB/fault-campaign.py"
REFUSAL='550 5.1.1 no such user'
SENDER=bob@example.org

# mkmsg N - a ~40 KB message with the marker bfN
mkmsg() {
	{
		printf 'From: %s\nSubject: bounce on a full disk %s\n' \
		    "$SENDER" "$1"
		printf 'X-Marker: bf%s\n\n' "$1"
		_mm=0
		while [ $_mm -lt 800 ]; do
			printf 'line %04d of message %s: %s\n' "$_mm" "$1" \
			    'the quick brown fox jumps over the lazy dog'
			_mm=$((_mm + 1))
		done
	} >"$T/msg$1"
}

# start_host - a smarthost refusing bad@ and worse@ for good
start_host() {
	smarthost_start "$T/sh$1" --starttls $TLSOPTS --auth PLAIN \
	    --user alice@example.org --password s3cret \
	    --fault "rcpt=bad@example.net:$REFUSAL" \
	    --fault "rcpt=worse@example.net:$REFUSAL" ||
		bail_out "smarthost did not start"
}

# records DIR - "NUMBER MAIL_FROM MARKER RCPT,RCPT" per stored message
records() {
	$PYTHON - "$1" <<'PY'
import glob, json, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/[0-9][0-9][0-9][0-9].json")):
    d = json.load(open(f))
    m = re.search(r"(?m)^X-Marker: (\S+)", d["data"])
    print(d["number"], d["mail_from"], m.group(1) if m else "-",
          ",".join(d["rcpt_tos"]))
PY
}

# intact DIR NUMBER N - the body of record NUMBER (or the message a DSN
# returns) is message N's body
intact() {
	tr -d '\r' <"$1/$(printf %04d "$2").eml" >"$T/got"
	sed '1,/^$/d' "$T/msg$3" >"$T/want"
	grep -qxF "$(head -n 1 "$T/want")" "$T/got" &&
	    grep -qxF "$(tail -n 1 "$T/want")" "$T/got" &&
	    [ "$(grep -c '^line [0-9]* of message ' "$T/got")" -eq 800 ]
}

# ---------------------------------------------------------------- 1. full
if [ "$(id -u)" -eq 0 ] && command -v mount >/dev/null 2>&1 &&
    mkdir -p "$T/full" &&
    mount -t tmpfs -o size=512k,mode=0755 postern-test "$T/full"; then
	cleanup_push "umount '$T/full'"
	SPOOL=$T/full/spool
	agent_spool
	start_host 1
	agent_conf "$SMARTHOST_PORT"
	D=$SMARTHOST_DIR
	i=1
	for rcpts in "good1@example.net bad@example.net" \
	    "bad@example.net" \
	    "good3@example.net bad@example.net worse@example.net" \
	    "worse@example.net"; do
		mkmsg $i
		# shellcheck disable=SC2086
		qid=$(agent_queue "$SENDER" "$T/msg$i" $rcpts)
		[ -n "$qid" ] || bail_out "cannot queue message $i: $(cat "$T/drop.err")"
		echo "$i $qid $rcpts" >>"$T/map"
		i=$((i + 1))
	done
	# fill the file system, then free 32 KiB: the state files fit, a DSN
	# of ~57 KB does not
	dd if=/dev/zero of="$T/full/filler" bs=4096 2>/dev/null
	truncate -s -32K "$T/full/filler"
	diag "spool file system: $(df -k "$T/full" | awk 'NR == 2 {
	    print $4 " KiB free of " $2 }')"

	agent_once
	is "$(records "$D" | awk '{ print $4 }' | sort | tr '\n' ' ')" \
	    "good1@example.net good3@example.net " \
	    "nearly full: the accepted recipients are delivered, once"
	is "$(records "$D" | awk '$2 == "<>"')" "" "nearly full: no DSN sent"
	is "$(ls -A "$SPOOL/new" "$SPOOL/tmp" | grep -v ':$' | grep .)" "" \
	    "nearly full: nothing in new/ or tmp/ (no partial bounce)"
	is "$(count "$SPOOL/cur")$(count "$SPOOL/failed")" 40 \
	    "nearly full: the four originals wait in cur/, none in failed/"
	like "$(cat "$T/agent.log")" \
	    'cannot queue the bounce to <bob@example.org>: .*No space left on device' \
	    "nearly full: the log names the cause"
	nbad=0
	while read -r n qid rcpts; do
		st=$(cat "$SPOOL/state/$qid" 2>&1)
		k=0
		for r in $rcpts; do
			case $r in
			good*)	want="^r $k sent 250 " ;;
			*)	want="^r $k deferred 550 5\\.1\\.1 bounce could not be queued: .*No space left on device" ;;
			esac
			printf '%s\n' "$st" | grep -Eq "$want" || {
				nbad=$((nbad + 1))
				diag "message $n ($qid) recipient $k: $st"
			}
			k=$((k + 1))
		done
		printf '%s\n' "$st" | grep -q '^e bounce could not be queued: .*No space left on device' || {
			nbad=$((nbad + 1))
			diag "message $n ($qid): no last error naming the full disk"
		}
	done <"$T/map"
	is "$nbad" 0 "nearly full: each refused recipient deferred, the reason names the full disk"

	# completely full: not even a state file fits
	dd if=/dev/zero bs=4096 2>/dev/null >>"$T/full/filler"
	cp -r "$SPOOL/state" "$T/state.before"
	sleep "$AGENT_RETRY_WAIT"
	agent_once
	is "$(smarthost_count "$D")" 2 "full: nothing more is sent (no duplicate)"
	is "$(ls -A "$SPOOL/new" "$SPOOL/tmp" | grep -v ':$' | grep .)" "" \
	    "full: nothing in new/ or tmp/"
	is "$(count "$SPOOL/cur")" 4 "full: the originals still wait in cur/"
	ok "full: the retry state is intact" diff -r "$T/state.before" \
	    "$SPOOL/state"

	# space again: one DSN per message, the originals to failed/
	rm -f "$T/full/filler"
	sleep "$AGENT_RETRY_WAIT"
	agent_once
	sleep "$AGENT_RETRY_WAIT"
	agent_once
	records "$D" >"$T/rec"
	is "$(count "$SPOOL/failed")$(count "$SPOOL/cur")$(count "$SPOOL/new")" \
	    400 "space again: the four originals are in failed/, nothing waits"
	is "$(ls -A "$SPOOL/tmp")" "" "space again: nothing in tmp/"
	lost=0 dup=0 intact_n=0
	while read -r n qid rcpts; do
		refused=$(printf '%s\n' $rcpts | grep -v '^good' | paste -sd, -)
		good=$(printf '%s\n' $rcpts | grep '^good')
		dsns=$(awk -v m="bf$n" '$2 == "<>" && $3 == m { print $1 }' "$T/rec")
		ndsn=$(printf '%s' "$dsns" | grep -c .)
		ngood=0
		[ -z "$good" ] ||
			ngood=$(awk -v m="bf$n" -v g="$good" \
			    '$2 != "<>" && $3 == m && $4 == g' "$T/rec" | grep -c .)
		ok_n=yes
		if [ "$ndsn" -eq 0 ] || { [ -n "$good" ] && [ "$ngood" -eq 0 ]; }; then
			lost=$((lost + 1))
			ok_n=no
		elif [ "$ndsn" -gt 1 ] || [ "$ngood" -gt 1 ]; then
			dup=$((dup + 1))
			ok_n=no
		fi
		for num in $dsns; do
			f=$D/$(printf %04d "$num").eml
			v=$($CAMPAIGN dsn "$f" "$refused" "$REFUSAL")
			[ "$v" = ok ] || { ok_n=no; diag "message $n: DSN $num: $v"; }
			is "$(smarthost_json "$D" "$num" rcpt_tos)" "$SENDER" \
			    "message $n: the DSN goes to the sender"
			intact "$D" "$num" "$n" || { ok_n=no; diag "message $n: DSN $num does not return the message intact"; }
		done
		for num in $(awk -v m="bf$n" '$2 != "<>" && $3 == m { print $1 }' "$T/rec"); do
			intact "$D" "$num" "$n" || { ok_n=no; diag "message $n: copy $num is not intact"; }
		done
		ok "message $n: original in failed/" test -f "$SPOOL/failed/$qid"
		[ "$ok_n" = yes ] && intact_n=$((intact_n + 1))
	done <"$T/map"
	diag "full disk during bounce generation: lost $lost, duplicated $dup, intact $intact_n (of 4)"
	is "$lost" 0 "full disk during bounce generation: 0 lost"
	is "$dup" 0 "full disk during bounce generation: 0 duplicated"
	is "$intact_n" 4 "full disk during bounce generation: 4 intact (one well-formed DSN each, the good recipients delivered once)"
	sleep "$AGENT_RETRY_WAIT"
	agent_once
	is "$(smarthost_count "$D")" "$(wc -l <"$T/rec" | tr -d ' ')" \
	    "a further run sends nothing"
	smarthost_stop
	umount "$T/full"
else
	skip "a full file system needs root to mount a tmpfs" 22
fi

# ---------------------------------------------------------------- 2. crash
if vg_enabled; then
	skip "strace cannot trace posternd under valgrind" 7
elif ! command -v strace >/dev/null 2>&1; then
	skip "strace is not installed" 7
else
	mkmsg 5
	# fchmod is the first call after creating the DSN's tmp/ file, but
	# state files and the spool's directories are set with fchmod too:
	# a dry run of the same scenario (its own spool and smarthost)
	# lists the calls with their paths, and the real run is killed at
	# the first one on a file in tmp/
	SPOOL=$T/spool-dry
	agent_spool
	start_host 2dry
	agent_conf "$SMARTHOST_PORT"
	agent_queue "$SENDER" "$T/msg5" good5@example.net bad@example.net \
	    >/dev/null
	: >"$T/fchmod.trace"
	[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1" "$T/fchmod.trace"
	$AS strace -f -qq -y -o "$T/fchmod.trace" -e trace=fchmod \
	    "$POSTERND" --once -C "$CONF" 2>>"$T/agent.log"
	smarthost_stop
	nth=$(grep -n "^[0-9 ]*fchmod([0-9]*<$T/spool-dry/tmp/" \
	    "$T/fchmod.trace" | head -1 | cut -d: -f1)
	[ -n "$nth" ] || { diag "$(cat "$T/fchmod.trace")"; nth=1; }
	SPOOL=$T/spool
	agent_spool
	: >"$T/agent.log"
	start_host 2
	agent_conf "$SMARTHOST_PORT"
	D=$SMARTHOST_DIR
	qid=$(agent_queue "$SENDER" "$T/msg5" good5@example.net bad@example.net)
	$AS strace -f -qq -o /dev/null -e trace=fchmod \
	    -e inject=fchmod:signal=KILL:when=$nth "$POSTERND" --once \
	    -C "$CONF" 2>>"$T/agent.log"
	rc=$?
	is "$rc" 137 "crash: posternd was killed as it queued the DSN"
	is "$(records "$D" | awk '{ print $4 }')" good5@example.net \
	    "crash: the accepted recipient was delivered"
	like "$(cat "$SPOOL/state/$qid" 2>&1)" '^r 1 deferred 550 5\.1\.1 ' \
	    "crash: the refused recipient is saved as deferred until its DSN is queued"
	sleep "$AGENT_RETRY_WAIT"
	agent_once
	records "$D" >"$T/rec"
	is "$(awk '$2 == "<>" && $3 == "bf5"' "$T/rec" | grep -c .)" 1 \
	    "crash: the next run queues and sends the DSN (lost 0, duplicated 0)"
	num=$(awk '$2 == "<>" && $3 == "bf5" { print $1 }' "$T/rec")
	is "$($CAMPAIGN dsn "$D/$(printf %04d "${num:-0}").eml" \
	    bad@example.net "$REFUSAL" 2>&1)" ok \
	    "crash: the DSN is RFC 3464 for the refused recipient"
	is "$(awk '$2 != "<>" && $4 == "good5@example.net"' "$T/rec" | grep -c .)" 1 \
	    "crash: the accepted recipient is not sent twice"
	ok "crash: the original is in failed/" test -f "$SPOOL/failed/$qid"
	smarthost_stop
fi
done_testing
