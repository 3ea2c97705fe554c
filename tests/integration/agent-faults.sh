#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-faults.sh - the fault matrix: every SMTP stage (greeting, EHLO,
# STARTTLS, AUTH, MAIL, first and second RCPT of two, DATA, end of data)
# x every fault (4xx, 5xx, 421, disconnect, stall past the timeout,
# garbage reply, oversized reply, endless multi-line reply), each a row
# of the table below with its expected outcome:
#   relay  relay-level failure: nothing sent, NO bounce, the message
#          still queued, the relay down in state/relays with the reason;
#          on the next run delivered exactly once
#   retry  the message deferred (state/QID says deferred, with the
#          reason), no bounce; on the next run delivered exactly once
#   part   4xx to one RCPT of two: the other delivered at once, the
#          refused one deferred, then delivered exactly once
#   bounce a DSN to the sender with the server's text for both
#          recipients (RFC 3464 structure checked with python's email
#          parser), the original in failed/, never retried
#   split  5xx to one RCPT of two: the other delivered, a DSN for the
#          refused one only, never retried
# Every fault fires once (COUNT 1), so the next attempt succeeds.  Every
# posternd run is wrapped in `timeout`: a hang, a crash (non-zero exit)
# or a peak RSS over AGENT_RSS_MAX_KB fails the case.  [timeouts] are
# 1 s so stalls resolve fast; the cases run in parallel (FAULT_JOBS,
# default 8), each with its own spool, configuration and smarthost;
# FAULT_ONLY=ERE runs only the rows matching ERE.
. "$top_srcdir/tests/integration/agent-common.sh"

need_cmd timeout
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
FAULT_JOBS=${FAULT_JOBS:-8}
AGENT_RSS_MAX_KB=${AGENT_RSS_MAX_KB:-32768}
AGENT_RUN_TIMEOUT=20	# seconds: a run takes at most a few stage timeouts

# the matrix: STAGE ACTION EXPECT (rcpt#N: the Nth RCPT of two)
MATRIX='
greeting 4xx relay
greeting 5xx relay
greeting 421 relay
greeting disconnect relay
greeting stall relay
greeting garbage relay
greeting oversized relay
greeting endless relay
ehlo 4xx relay
ehlo 5xx relay
ehlo 421 relay
ehlo disconnect relay
ehlo stall relay
ehlo garbage relay
ehlo oversized relay
ehlo endless relay
starttls 4xx relay
starttls 5xx relay
starttls 421 relay
starttls disconnect relay
starttls stall relay
starttls garbage relay
starttls oversized relay
starttls endless relay
auth 4xx relay
auth 5xx relay
auth 421 relay
auth disconnect relay
auth stall relay
auth garbage relay
auth oversized relay
auth endless relay
mail 4xx retry
mail 5xx bounce
mail 421 relay
mail disconnect retry
mail stall retry
mail garbage retry
mail oversized retry
mail endless retry
rcpt#1 4xx part
rcpt#1 5xx split
rcpt#1 421 relay
rcpt#1 disconnect retry
rcpt#1 stall retry
rcpt#1 garbage retry
rcpt#1 oversized retry
rcpt#1 endless retry
rcpt#2 4xx part
rcpt#2 5xx split
rcpt#2 421 relay
rcpt#2 disconnect retry
rcpt#2 stall retry
rcpt#2 garbage retry
rcpt#2 oversized retry
rcpt#2 endless retry
data 4xx retry
data 5xx bounce
data 421 relay
data disconnect retry
data stall retry
data garbage retry
data oversized retry
data endless retry
dot 4xx retry
dot 5xx bounce
dot 421 relay
dot disconnect retry
dot stall retry
dot garbage retry
dot oversized retry
dot endless retry
'
# Only the SMTP stages where a reply to one transaction arrives can count
# against a message; the rest (and 421 anywhere) are the relay's.

R1=first@example.net
R2=second@example.net
SENDER=bob@example.org
printf 'From: %s\nTo: %s, %s\nSubject: fault matrix\n\nbody\n' \
    "$SENDER" "$R1" "$R2" >"$T/body"

# dsn_check FILE RCPTS TEXT - the RFC 3464 structure of the DSN in FILE,
# for exactly the recipients RCPTS (comma list), each with a
# Diagnostic-Code that contains TEXT
cat >"$T/dsn_check.py" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.compat32)
want = sorted(sys.argv[2].split(","))
text = sys.argv[3]
def fail(why):
    print(why)
    sys.exit(1)
if msg.get_content_type() != "multipart/report" or \
        msg.get_param("report-type") != "delivery-status":
    fail("not multipart/report; report-type=delivery-status: %s"
         % msg.get("Content-Type"))
parts = msg.get_payload()
if len(parts) < 2 or len(parts) > 3:
    fail("%d parts, want 2 or 3" % len(parts))
if parts[0].get_content_type() != "text/plain":
    fail("first part is %s" % parts[0].get_content_type())
if parts[1].get_content_type() != "message/delivery-status":
    fail("second part is %s" % parts[1].get_content_type())
if len(parts) == 3 and parts[2].get_content_type() not in \
        ("message/rfc822", "text/rfc822-headers"):
    fail("third part is %s" % parts[2].get_content_type())
blocks = parts[1].get_payload()
if not blocks or blocks[0].get("Reporting-MTA") is None:
    fail("no per-message block with Reporting-MTA")
got = []
for b in blocks[1:]:
    fr = b.get("Final-Recipient", "")
    if not fr.lower().startswith("rfc822;"):
        fail("bad Final-Recipient %r" % fr)
    got.append(fr.split(";", 1)[1].strip())
    if b.get("Action", "").lower() != "failed":
        fail("Action %r" % b.get("Action"))
    if not b.get("Status", "").startswith("5."):
        fail("Status %r" % b.get("Status"))
    dc = " ".join(b.get("Diagnostic-Code", "").split())
    if text not in dc:
        fail("Diagnostic-Code %r lacks %r" % (dc, text))
if sorted(got) != want:
    fail("recipients %r, want %r" % (got, want))
if text not in parts[0].get_payload(decode=True).decode("utf-8", "replace"):
    fail("the human-readable part lacks the server's text %r" % text)
print("ok")
PY

# copies DIR ADDR - how many messages to ADDR the smarthost accepted (the
# recipients of each complete message, NNNN.json, are in NNNN.rcpt; a
# shell loop: this runs twice per case and check)
copies() {
	_cp_n=0
	for _cp in "$1"/[0-9][0-9][0-9][0-9].json; do
		[ -f "$_cp" ] || continue
		_cp_n=$((_cp_n + $(grep -cxF -e "$2" "${_cp%.json}.rcpt")))
	done
	echo "$_cp_n"
}

# dsn_files DIR - the .eml files of null-sender messages (DSNs) in DIR
dsn_files() {
	for _df in "$1"/[0-9][0-9][0-9][0-9].json; do
		[ -f "$_df" ] || continue
		grep -q '"mail_from": "<>"' "$_df" && echo "${_df%.json}.eml"
	done
}

# fault_spec STAGE ACTION - the smarthost --fault argument
fault_spec() {
	case $2 in
	4xx)	_fs="451 4.3.0 fault $1 4xx" ;;
	5xx)	_fs="554 5.7.1 fault $1 5xx" ;;
	421)	_fs="421 4.3.2 fault $1 421 closing" ;;
	*)	_fs=$2 ;;
	esac
	printf '%s:%s:1' "$1" "$_fs"
}

# case_run N - one run of posternd --once under timeout and /usr/bin/time
case_run() {
	$AS timeout "$AGENT_RUN_TIMEOUT" /usr/bin/time -f %M -o "$CT/rss$1" \
	    "$POSTERND" --once -C "$CONF" 2>>"$CT/agent.log"
	_cr_rc=$?
	is "$_cr_rc" 0 "$NAME: run $1 exits 0 (no hang, no crash)"
	_cr_rss=$(tail -n 1 "$CT/rss$1" 2>/dev/null)
	ok "$NAME: run $1 peak RSS ${_cr_rss:-?} KiB <= $AGENT_RSS_MAX_KB" \
	    test "${_cr_rss:-999999999}" -le "$AGENT_RSS_MAX_KB"
}

# spool_left - new/ cur/ plus state files of messages
spool_left() {
	ls "$SPOOL/new"
	ls "$SPOOL/cur"
	ls "$SPOOL/state" | grep -v '^relays$'
}

# fault_case STAGE ACTION EXPECT - one row of the matrix (in a subshell;
# its test points go to $CT/tap for the parent to replay in order)
fault_case() {
	STAGE=$1 ACTION=$2 EXPECT=$3
	NAME="$STAGE $ACTION"
	SPOOL=$CT/spool
	CONF=$CT/postern.conf
	SECRETS=$CT/secrets
	# shellcheck disable=SC2317
	_tap_result() {
		[ "$1" -eq 0 ] && echo "0 $2" >>"$CT/tap" || echo "1 $2" >>"$CT/tap"
	}
	# shellcheck disable=SC2317
	diag() {
		printf '%s\n' "$*" | sed 's/^/# /' >>"$CT/tap"
	}
	agent_spool
	if ! smarthost_start "$CT/sh" --starttls $TLSOPTS --auth PLAIN \
	    --user alice@example.org --password s3cret --stall-seconds 3 \
	    --fault "$(fault_spec "$STAGE" "$ACTION")" >>"$CT/tap" 2>&1; then
		_tap_result 1 "$NAME: smarthost started"
		return
	fi
	agent_conf "$SMARTHOST_PORT"
	sed -i 's/^\([a-z_]*\) = 5s$/\1 = 1s/' "$CONF"
	qid=$(agent_queue "$SENDER" "$T/body" "$R1" "$R2")
	case $STAGE in
	rcpt#1)	bad=$R1 good=$R2 ;;
	rcpt#2)	bad=$R2 good=$R1 ;;
	*)	bad= good= ;;
	esac

	case_run 1
	d=$SMARTHOST_DIR
	case $ACTION in
	[45]xx|421) fired="S: [245][0-9][0-9][ -].*fault $STAGE $ACTION" ;;
	*)	fired="-- fault ${STAGE%#*}:$ACTION" ;;
	esac
	like "$(cat "$d/transcript.log")" "$fired" "$NAME: the fault fired"
	dsns=$(dsn_files "$d")
	case $EXPECT in
	relay|retry)
		is "$(copies "$d" "$R1")$(copies "$d" "$R2")" 00 \
		    "$NAME: nothing delivered at first"
		is "$dsns" "" "$NAME: no bounce"
		ok "$NAME: the message is still queued" \
		    test -f "$SPOOL/cur/$qid" -o -f "$SPOOL/new/$qid"
		is "$(ls "$SPOOL/failed")" "" "$NAME: nothing in failed/"
		;;
	part)
		is "$(copies "$d" "$good")$(copies "$d" "$bad")" 10 \
		    "$NAME: the other recipient delivered, not the refused one"
		is "$dsns" "" "$NAME: no bounce"
		like "$(cat "$SPOOL/state/$qid" 2>&1)" "deferred.*fault $STAGE 4xx" \
		    "$NAME: the refused recipient deferred with the reply"
		;;
	bounce|split)
		if [ "$EXPECT" = bounce ]; then
			is "$(copies "$d" "$R1")$(copies "$d" "$R2")" 00 \
			    "$NAME: nothing delivered"
			want="$R1,$R2"
		else
			is "$(copies "$d" "$good")$(copies "$d" "$bad")" 10 \
			    "$NAME: the other recipient delivered"
			want=$bad
		fi
		is "$(printf '%s\n' "$dsns" | grep -c .)" 1 \
		    "$NAME: one DSN queued and sent"
		for f in $dsns; do
			is "$(/usr/bin/python3 "$T/dsn_check.py" "$f" "$want" \
			    "554 5.7.1 fault $STAGE 5xx" 2>&1)" ok \
			    "$NAME: the DSN is RFC 3464 with the server's reply"
			is "$(smarthost_json "$d" \
			    "$(basename "${f%.eml}" | sed 's/^0*//')" rcpt_tos)" \
			    "$SENDER" "$NAME: the DSN goes to the sender"
		done
		ok "$NAME: the original is in failed/" \
		    test -f "$SPOOL/failed/$qid"
		;;
	esac
	case $EXPECT in
	relay)
		like "$(cat "$SPOOL/state/relays" 2>&1)" \
		    "^127\\.0\\.0\\.1:$SMARTHOST_PORT down [0-9]+ [0-9]+ 1 ." \
		    "$NAME: the relay is down (back-off) with a reason"
		like "$(cat "$CT/agent.log")" \
		    "relay 127\\.0\\.0\\.1:$SMARTHOST_PORT down since .*, reason ." \
		    "$NAME: the relay failure is logged with the reason"
		unlike "$(cat "$SPOOL/state/$qid" 2>/dev/null)" \
		    '^A [1-9]' "$NAME: no attempt counted against the message"
		;;
	retry)
		like "$(cat "$SPOOL/state/$qid" 2>&1)" "deferred" \
		    "$NAME: the message state says deferred"
		ok "$NAME: one attempt counted" grep -qx 'A 1' \
		    "$SPOOL/state/$qid"
		like "$(cat "$CT/agent.log")" \
		    "$qid: to=<$R1>.*status=deferred \\(.+\\)" \
		    "$NAME: logged as deferred with the reason"
		unlike "$(cat "$SPOOL/state/relays" 2>/dev/null)" ' down ' \
		    "$NAME: the relay is not blamed"
		;;
	esac

	count1=$(smarthost_count "$d")
	# the next attempt: the fault is spent
	sleep 2.2
	case_run 2
	case $EXPECT in
	relay|retry|part)
		is "$(copies "$d" "$R1")$(copies "$d" "$R2")" 11 \
		    "$NAME: delivered exactly once to each recipient"
		is "$(dsn_files "$d")" "" "$NAME: still no bounce"
		is "$(spool_left | tr '\n' ' ')" "" "$NAME: the spool is empty"
		;;
	bounce|split)
		is "$(smarthost_count "$d")" "$count1" \
		    "$NAME: the refused recipients are never retried"
		is "$(ls "$SPOOL/new"; ls "$SPOOL/cur")" "" \
		    "$NAME: nothing left to send"
		;;
	esac
	case $ACTION in
	endless)
		# the line limit or the whole-stage deadline, whichever
		# comes first (100 lines 10 ms apart against a 1 s stage)
		like "$(cat "$CT/agent.log")" \
		    'too many reply lines|timeout after 1s waiting' \
		    "$NAME: the endless reply is cut off, with the reason" ;;
	oversized)
		like "$(cat "$CT/agent.log")" 'reply line too long' \
		    "$NAME: the oversized reply is refused, with the reason" ;;
	stall)
		like "$(cat "$CT/agent.log")" 'timeout after 1s' \
		    "$NAME: the stall ends at the stage timeout" ;;
	esac
	smarthost_stop
}

# run the matrix, FAULT_JOBS cases at a time
n=0
pids=
# FAULT_ONLY=ERE runs only the matching rows (debugging)
printf '%s\n' "$MATRIX" | grep -E -- "${FAULT_ONLY:-.}" | {
	while read -r stage action expect; do
		[ -n "$stage" ] || continue
		n=$((n + 1))
		CT=$T/case$(printf %02d $n)
		mkdir -p "$CT"
		[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$CT"
		printf '%s %s %s\n' "$stage" "$action" "$expect" >"$CT/row"
		( fault_case "$stage" "$action" "$expect" ) </dev/null &
		pids="$pids $!"
		set -- $pids
		if [ $# -ge "$FAULT_JOBS" ]; then
			wait "$1"
			shift
			pids="$*"
		fi
	done
	wait
}

# replay the results in table order, and print the matrix
printf '# %-10s %-11s %-7s %s\n' stage action expect result >"$T/table"
for CT in "$T"/case*; do
	read -r stage action expect <"$CT/row"
	res=pass
	if [ ! -f "$CT/tap" ]; then
		_tap_result 1 "$stage $action: the case did not run"
		res=FAIL
	else
		while IFS= read -r line; do
			case $line in
			'#'*)	echo "$line" ;;
			0\ *)	_tap_result 0 "${line#0 }" ;;
			*)	_tap_result 1 "${line#1 }"; res=FAIL ;;
			esac
		done <"$CT/tap"
	fi
	printf '# %-10s %-11s %-7s %s\n' "$stage" "$action" "$expect" "$res" \
	    >>"$T/table"
done
cat "$T/table"
done_testing
