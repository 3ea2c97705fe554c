#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sendmail-received.sh - issue 11: every queued message opens with the
# trace field postern-drop writes, like Postfix's pickup:
#   Received: by HOST (postern, from userid UID)
#   	id QID; DATE
# with the submitter's real uid (what the helper records in U, whatever
# the caller claims with -f or a forged Received: of its own), the queue
# id of the file, an RFC 5322 date, and no login name.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postern.sh"
need_root
tmpdir_make
postern_setup
make_test_users 1 || bail_out "cannot create test users"
U=${TEST_USER_PREFIX}1
uid=$(id -u "$U")
chmod 1777 "$SPOOL/tmp" "$SPOOL/new"	# the helper runs as $U, unprivileged

printf 'Received: by forged.example (postern, from userid 0)\n\tid X; Mon, 1 Jan 2024 00:00:00 +0000\nFrom: CEO <ceo@bank.example>\nSubject: wire money\n\nnow\n' \
    >"$T/msg"
run_as "$U" "$SENDMAIL" -C "$CONF" -i -f ceo@bank.example \
    boss@example.net <"$T/msg"
is "$?" 0 "submitted as $U"
f=$(queue_files)
qid=$(basename "$f")
first=$(queue_message "$f" | sed -n 1p)
second=$(queue_message "$f" | sed -n 2p)
is "$first" "Received: by host.example.org (postern, from userid $uid)" \
    "the first header line: the trace field with the submitter's real uid"
like "$second" "^	id $qid; " "folded: the queue id of the file"
like "$(queue_envelope "$f")" "^U $uid\$" "the same uid as the U record"
/usr/bin/python3 -c '
import email.utils, sys
d = sys.argv[1].split("; ", 1)[1]
sys.exit(0 if email.utils.parsedate_to_datetime(d) else 1)' "$second"
is "$?" 0 "an RFC 5322 date"
unlike "$first$second" "$U" "no login name (no more than Postfix shows)"
is "$(queue_message "$f" | grep -c '^Received: ')" 2 \
    "the caller's own Received: is kept below ours, never above"
like "$(queue_message "$f" | sed -n 3p)" '^Received: by forged\.example' \
    "the forged field comes after ours"
queue_clear

# -bs goes through the same helper
printf 'EHLO c\r\nMAIL FROM:<app@example.org>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: bs\r\n\r\nx\r\n.\r\nQUIT\r\n' |
    run_as "$U" "$SENDMAIL" -C "$CONF" -bs >/dev/null
f=$(queue_files)
is "$(queue_message "$f" | sed -n 1p)" \
    "Received: by host.example.org (postern, from userid $uid)" \
    "-bs: the same trace field"
queue_clear

# root: uid 0
printf 'Subject: r\n\nx\n' | "$SENDMAIL" -C "$CONF" -i a@example.net
is "$(queue_message "$(queue_files)" | sed -n 1p)" \
    "Received: by host.example.org (postern, from userid 0)" "root: userid 0"
done_testing
