#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-force-sender.sh - issue 11, item 8: with force_sender every From:
# and Sender: field leaves with the relay user's address (a second
# 'From: "CEO" <ceo@bank.example>' used to go out unchanged), and a header
# section too large to rewrite is never sent as it is: the message fails
# with a DSN that says why.
. "$top_srcdir/tests/integration/agent-common.sh"

agent_spool
smarthost_start "$T/sh" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" s3cret "force_sender = yes"

printf 'From: Bob <bob@example.org>\nTo: dave@example.net\n%s\n%s\n%s\n%s\n\nbody\n' \
    'From: "CEO" <ceo@bank.example>' 'Sender: ceo@bank.example' \
    'sender : Boss' ' <boss@bank.example>' >"$T/two-from"
agent_queue bob@example.org "$T/two-from" dave@example.net >/dev/null
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "delivered"
is "$(smarthost_json "$SMARTHOST_DIR" 1 mail_from)" "alice@example.org" \
    "the envelope sender is the relay user"
is "$(eml 1 | grep -ci '^from *:')" 2 "both From: fields still there"
unlike "$(eml 1)" 'ceo@bank|boss@bank|bob@example' \
    "no From: or Sender: keeps another address"
like "$(eml 1)" 'From: "CEO" <alice@example\.org>' \
    "the second From: rewritten, its display name kept"
like "$(eml 1 | tr '\n' '|')" 'sender : Boss\| <alice@example\.org>' \
    "a folded Sender: rewritten"

# a header section over the agent's limit (1 MiB) cannot be rewritten
/usr/bin/python3 - "$T/big" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: Bob <bob@example.org>\n")
    for i in range(12000):
        f.write("X-Filler-%05d: %s\n" % (i, "x" * 90))
    f.write('From: "CEO" <ceo@bank.example>\n\nbody\n')
PY
# the drop accepts it: its own limit is raised above the agent's
sed -i 's/^log = stderr$/log = stderr\nmax_header_size = 4M/' "$CONF"
# postern-drop's request in chunks of 64 KiB (agent_queue sends one)
/usr/bin/python3 - "$T/big" >"$T/big.req" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
out.write(b"V 1\nS bob@example.org\nR erin@example.net\n\n")
for i in range(0, len(data), 65536):
    c = data[i:i + 65536]
    out.write(b"C %d\n" % len(c) + c)
out.write(b"E %d\n" % len(data))
PY
qid=$($AS "$DROP" -C "$CONF" <"$T/big.req" 2>"$T/drop.err")
[ -n "$qid" ] || bail_out "postern-drop refused the big header: $(cat "$T/drop.err")"
agent_once
agent_once	# the DSN, if the first run did not send it
is "$(smarthost_json "$SMARTHOST_DIR" 2 mail_from)" "<>" \
    "an oversized header is not sent: the next message is the DSN"
is "$(cat "$SMARTHOST_DIR"/*.json | grep -c '"erin@example.net"')" 0 \
    "nothing reached the recipient"
like "$(cat "$T/agent.log")" "$qid: not sent: header section over" \
    "the agent says why"
ok "the message is in failed/" test -f "$SPOOL/failed/$qid"
like "$(eml 2)" 'force_sender cannot' "the DSN gives the reason"
done_testing
