#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-relay.sh - relay-level failures never count against messages:
# wrong password -> relay down (logged once, state/relays), no bounce,
# the message still queued with the reason; STARTTLS required but not
# offered -> nothing sent in clear; an unreachable first relay -> the
# next [relay] delivers.  A malformed queue file is set aside into
# failed/ and the next message is still delivered.
. "$top_srcdir/tests/integration/agent-common.sh"

printf 'Subject: relay\n\nbody\n' >"$T/body"

# ---------------------------------------------------------------- AUTH
agent_spool
smarthost_start "$T/sh1" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT" wrong-password
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
agent_once
is "$?" 0 "wrong password: --once still exits 0"
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "wrong password: nothing sent"
ok "wrong password: message still queued" test -f "$SPOOL/cur/$qid" -o \
    -f "$SPOOL/new/$qid"
is "$(count "$SPOOL/failed")$(ls "$SPOOL/new" | grep -vc "$qid")" 00 \
    "wrong password: no bounce, nothing failed"
like "$(cat "$T/agent.log")" "relay 127\\.0\\.0\\.1:$SMARTHOST_PORT down since .*, reason .*535" \
    "wrong password: relay down, logged with the reply"
like "$(cat "$SPOOL/state/relays")" "^127\\.0\\.0\\.1:$SMARTHOST_PORT down [0-9]+ [0-9]+ 1 " \
    "wrong password: state/relays shows the relay down"
unlike "$(cat "$T/agent.log")" 'wrong-password' "the password is never logged"
agent_once
is "$(grep -c ' down since ' "$T/agent.log")" 2 \
    "each run logs the down state once (a new process)"
agent_conf "$SMARTHOST_PORT" s3cret
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "right password: delivered"
smarthost_stop

# ---------------------------------------------------------------- no STARTTLS
agent_spool
smarthost_start "$T/sh2" --auth PLAIN --auth-require-tls no \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
agent_conf "$SMARTHOST_PORT"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 0 "no STARTTLS: nothing delivered"
unlike "$(cat "$SMARTHOST_DIR/transcript.log")" 'C: (AUTH|MAIL|RCPT|DATA)' \
    "no STARTTLS: no AUTH, MAIL, RCPT or DATA sent in clear"
like "$(cat "$T/agent.log")" 'relay .* down since .*STARTTLS' \
    "no STARTTLS: relay down, reason names STARTTLS"
ok "no STARTTLS: message kept" test -f "$SPOOL/cur/$qid"
smarthost_stop

# ---------------------------------------------------------------- fallback
agent_spool
: >"$T/agent.log"
smarthost_start "$T/sh3" --starttls $TLSOPTS --auth PLAIN \
    --user alice@example.org --password s3cret ||
	bail_out "smarthost did not start"
dead=$(free_port)
agent_conf "$dead" s3cret
cat >>"$CONF" <<EOC
[relay]
host = 127.0.0.1
port = $SMARTHOST_PORT
tls = starttls
tls_ca_file = $C/ca.pem
user = alice@example.org
EOC
printf '127.0.0.1:%s s3cret\n' "$SMARTHOST_PORT" >>"$SECRETS"
qid=$(agent_queue bob@example.org "$T/body" carol@example.net)
agent_once
is "$(smarthost_count "$SMARTHOST_DIR")" 1 "fallback: the second relay delivered"
like "$(cat "$T/agent.log")" "relay 127\\.0\\.0\\.1:$dead down since .*refused" \
    "fallback: the first relay is down (connection refused)"

# ---------------------------------------------------------------- set aside
agent_spool
: >"$T/agent.log"
agent_conf "$SMARTHOST_PORT"
bad=$(agent_queue bob@example.org "$T/body" bad-file@example.net)
good=$(agent_queue bob@example.org "$T/body" good-file@example.net)
# corrupt the first: break its envelope (a writable copy, same name)
sed 's/^V 1$/V 9/' "$SPOOL/new/$bad" >"$T/broken"
rm -f "$SPOOL/new/$bad"
cp "$T/broken" "$SPOOL/new/$bad"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SPOOL/new/$bad"
printf 'junk\n' >"$SPOOL/new/not-a-qid"
[ -z "$AS" ] || chown "${TEST_USER_PREFIX}1:" "$SPOOL/new/not-a-qid"
agent_once
is "$?" 0 "set aside: --once exits 0"
ok "set aside: the malformed file is in failed/" test -f "$SPOOL/failed/$bad"
ok "set aside: the stray name too" test -f "$SPOOL/failed/not-a-qid"
like "$(cat "$T/agent.log")" "$bad: set aside into failed/: .*version" \
    "set aside: logged with the reason"
is "$(smarthost_count "$SMARTHOST_DIR")" 2 "set aside: the next message was delivered"
is "$(smarthost_json "$SMARTHOST_DIR" 2 rcpt_tos)" "good-file@example.net" \
    "set aside: it was the good one ($good)"
done_testing
