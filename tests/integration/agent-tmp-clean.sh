#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-tmp-clean.sh - issue 11, item 6: the agent's tmp/ cleaner never
# removes a file whose writer is alive.  postern-drop holds flock(LOCK_EX)
# on its tmp/ file while it writes; a submission that goes quiet for
# longer than tmp_max_age is kept and queued when it resumes.  An
# abandoned tmp/ file (no writer) is still removed, and a tmp/ file that
# vanishes under a writer is reported as such (exit 75), never as
# "create the spool directories".
. "$top_srcdir/tests/integration/agent-common.sh"

agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
AGENT_QUEUE_EXTRA="tmp_max_age=1s" agent_conf "$SMARTHOST_PORT"
[ -z "$AS" ] || chmod 777 "$T"	# the writer's go/ flag files

# slow_writer GO OUT - postern-drop fed half a message, then nothing
# until the file GO exists; its stdout (the qid) in OUT, status OUT.rc
slow_writer() {
	{
		printf 'V 1\nS bob@example.org\nR carol@example.net\n\n'
		printf 'C 21\nSubject: slow\n\nfirst\n'
		while [ ! -e "$1" ]; do sleep 0.1; done
		printf 'C 7\nsecond\nE 28\n'
	} | $AS "$DROP" -C "$CONF" >"$2" 2>"$2.err"
	echo $? >"$2.rc"
}

# tmp_file - the one file in tmp/
tmp_file() {
	ls "$SPOOL/tmp" | head -1
}

# tmp_busy - true once tmp/ holds a file
tmp_busy() {
	[ -n "$(tmp_file)" ]
}
cleanup_push "touch $T/go1 $T/go2"

# ------------------------------------------------ a live, quiet writer
slow_writer "$T/go1" "$T/w1" &
wait_until 10 tmp_busy || bail_out "postern-drop did not start"
f=$(tmp_file)
sleep 2.5	# older than tmp_max_age (1 s), mtime has 1 s resolution
agent_once
ok "a quiet writer's tmp/ file survives the cleaner" test -f "$SPOOL/tmp/$f"
like "$(cat "$T/agent.log")" "$f: old but still being written: kept" \
    "the agent says why it kept it"
touch "$T/go1"
wait_until 10 test -s "$T/w1.rc" || bail_out "postern-drop did not end"
is "$(cat "$T/w1.rc")" 0 "the writer resumes and its message is queued"
qid=$(cat "$T/w1")
ok "the message is in new/" test -f "$SPOOL/new/$qid"
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "and delivered"
like "$(eml 1)" 'first.*second|first' "with its whole body"
like "$(eml 1 | tail -1)" '^second$' "the part written after the pause"

# ------------------------------------------------ an abandoned file
$AS sh -c "printf 'V 1\n' >'$SPOOL/tmp/6B0000000000000000AB' &&
    touch -d '2 hours ago' '$SPOOL/tmp/6B0000000000000000AB'"
agent_once
ok "an abandoned tmp/ file (no writer) is removed" \
    test ! -e "$SPOOL/tmp/6B0000000000000000AB"

# ------------------------------------------------ removed under a writer
slow_writer "$T/go2" "$T/w2" &
wait_until 10 tmp_busy || bail_out "postern-drop did not start"
rm -f "$SPOOL/tmp/$(tmp_file)"
touch "$T/go2"
wait_until 10 test -s "$T/w2.rc" || bail_out "postern-drop did not end"
is "$(cat "$T/w2.rc")" 75 "a tmp/ file removed under its writer: exit 75"
like "$(cat "$T/w2.err")" 'removed while it was being written' \
    "and it says so"
unlike "$(cat "$T/w2.err")" 'create the spool directories' \
    "not 'create the spool directories'"
done_testing
