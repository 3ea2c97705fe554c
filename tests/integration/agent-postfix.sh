#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# agent-postfix.sh - interoperability of the real posternd with a real
# Postfix smarthost (tests/lib/postfix.sh, a private instance delivering
# into a Maildir): plain SMTP without TLS or AUTH (tls = none), STARTTLS +
# AUTH PLAIN, STARTTLS + SCRAM-SHA-256, implicit TLS, PIPELINING (MAIL,
# every RCPT and DATA leave in one send(2), seen with strace on the plain
# listener where the bytes are readable; TCP_NODELAY and TCP_QUICKACK are
# set), and 100 messages over one
# session: Postfix logs one connection, one TLS handshake and one AUTH,
# and all 100 arrive intact.  Needs root (Postfix) and strace.
. "$top_srcdir/tests/integration/agent-common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

why=$(postfix_available) || skip_all "$why"
need_cmd strace
# the same test CA for Postfix and the agent
POSTFIX_CERTS=$C
postfix_start "$T/pf" || bail_out "the private Postfix did not start"
PF=$T/pf
M=$POSTFIX_MAILDIR
missing=$(postfix_sasl_missing)

# pf_conf PORT TLS [relay lines...] - agent configuration for the Postfix
# listener PORT with tls = TLS; with TLS, AUTH as the Postfix test user
pf_conf() {
	_pc_port=$1
	_pc_tls=$2
	shift 2
	agent_conf "$_pc_port" "$POSTFIX_PASSWORD" "$@"
	if [ "$_pc_tls" = none ]; then
		_pc_sed="s/^tls = starttls$/tls = none/; /^user = /d"
	else
		_pc_sed="s/^tls = starttls$/tls = $_pc_tls/; s/^user = .*/user = $POSTFIX_USER/"
	fi
	sed "$_pc_sed" "$CONF" >"$CONF.new" && cat "$CONF.new" >"$CONF"
	rm -f "$CONF.new"
}

# msg N - write message N (headers Postfix will not add to, a body with
# dots, 8-bit text and an empty line) to $T/m/N
mkdir -p "$T/m"
msg() {
	{
		printf 'X-Postern-Seq: %s\n' "$1"
		printf 'From: Bob <bob@example.org>\nTo: carol@example.net\n'
		printf 'Date: Mon, 2 Jan 2023 03:04:05 +0000\n'
		printf 'Message-ID: <seq-%s@example.org>\n' "$1"
		printf 'Subject: interop %s\n\n' "$1"
		printf 'line one\n.leading dot\n..two dots\n.\n'
		printf '\303\251t\303\251 8-bit\n\n'
		_m_i=0
		while [ $_m_i -lt 20 ]; do
			printf 'filler %s line %s: the quick brown fox\n' "$1" $_m_i
			_m_i=$((_m_i + 1))
		done
		printf 'last line\n'
	} >"$T/m/$1"
}

# arrived N - message N as it landed in the Maildir, from our first
# header on (Postfix prepends Return-Path, Delivered-To and Received)
arrived() {
	_ar_f=$(grep -l "^X-Postern-Seq: $1\$" "$M"/new/* "$M"/cur/* 2>/dev/null |
	    head -n 1)
	[ -n "$_ar_f" ] && sed -n '/^X-Postern-Seq: /,$p' "$_ar_f"
}

# intact N - message N arrived byte for byte
intact() {
	arrived "$1" >"$T/got"
	cmp -s "$T/m/$1" "$T/got"
}

# log_mark / log_since - the part of Postfix's maillog written after the
# last log_mark
log_mark() {
	_lm=$(wc -c <"$PF/maillog" 2>/dev/null || echo 0)
}
log_since() {
	tail -c +$((_lm + 1)) "$PF/maillog"
}

# session_ended - Postfix logged the end of the agent's connection
session_ended() {
	log_since | grep -q ' disconnect from localhost\[127\.0\.0\.1\]'
}

# one CASE PORT TLS SEQ [relay lines...] - deliver message SEQ through
# listener PORT and check it arrived intact
seq=0
one() {
	_one_case=$1
	_one_port=$2
	_one_tls=$3
	shift 3
	seq=$((seq + 1))
	msg $seq
	agent_spool
	: >"$T/agent.log"
	log_mark
	pf_conf "$_one_port" "$_one_tls" "$@"
	agent_queue bob@example.org "$T/m/$seq" carol@example.net >/dev/null
	agent_once
	like "$(cat "$T/agent.log")" 'status=sent \(250 ' "$_one_case: sent"
	ok "$_one_case: Postfix delivered it" \
	    postfix_wait_delivered "$PF" $seq 20
	ok "$_one_case: arrived intact" intact $seq
	wait_until 10 session_ended
}

# ---------------------------------------------------------------- plain
one "plain" "$POSTFIX_PLAIN_PORT" none
like "$(cat "$T/agent.log")" "relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:$POSTFIX_PLAIN_PORT, .*status=sent" \
    "plain: no tls=, no auth= in the log line"
unlike "$(cat "$T/agent.log")" 'tls=|auth=' "plain: neither TLS nor AUTH"
like "$(log_since)" "disconnect from localhost\\[127\\.0\\.0\\.1\\] ehlo=1 mail=1 rcpt=1 data=1 quit=1" \
    "plain: Postfix saw EHLO, MAIL, RCPT, DATA, QUIT and nothing else"

# ---------------------------------------------------------------- PLAIN
one "STARTTLS + AUTH PLAIN" "$POSTFIX_PORT" starttls \
    'auth_mechanisms = PLAIN'
like "$(log_since)" "sasl_method=PLAIN, sasl_username=$POSTFIX_USER" \
    "STARTTLS + AUTH PLAIN: Postfix logged AUTH PLAIN"
like "$(log_since)" 'TLS connection established from localhost\[127\.0\.0\.1\]: TLSv1\.3' \
    "STARTTLS + AUTH PLAIN: Postfix logged TLS 1.3"
like "$(log_since)" 'disconnect from .* ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1' \
    "STARTTLS + AUTH PLAIN: the commands Postfix counted"
like "$(cat "$T/agent.log")" "tls=TLS1\\.3/[^,]+, auth=$POSTFIX_USER, dsn=2\\.0\\.0, status=sent" \
    "STARTTLS + AUTH PLAIN: our log line"

# ---------------------------------------------------------------- SCRAM
case " $missing " in
*" SCRAM-SHA-256 "*)
	skip "no Cyrus SCRAM plugin installed (libsasl2-modules)" 5 ;;
*)
	one "STARTTLS + SCRAM-SHA-256" "$POSTFIX_PORT" starttls \
	    'auth_mechanisms = SCRAM-SHA-256'
	like "$(log_since)" "sasl_method=SCRAM-SHA-256, sasl_username=$POSTFIX_USER" \
	    "STARTTLS + SCRAM-SHA-256: Postfix logged AUTH SCRAM-SHA-256"
	;;
esac

# ---------------------------------------------------------------- implicit
one "implicit TLS" "$POSTFIX_TLS_PORT" implicit
like "$(log_since)" "sasl_username=$POSTFIX_USER" "implicit TLS: authenticated"
like "$(log_since)" 'disconnect from .* ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1' \
    "implicit TLS: no STARTTLS, one EHLO"

# ---------------------------------------------------------------- pipelining
# On the plain listener strace shows the bytes of each send(2).
seq=$((seq + 1))
msg $seq
agent_spool
: >"$T/agent.log"
log_mark
pf_conf "$POSTFIX_PLAIN_PORT" none
agent_queue bob@example.org "$T/m/$seq" carol@example.net dave@example.net \
    >/dev/null
# ($AS is a shell function: strace -u runs the agent as the test user)
strace_user=
[ -z "$AS" ] || strace_user="-u ${TEST_USER_PREFIX}1"
timeout 60 strace -f -qq -o "$T/strace" -e trace=sendto,write,setsockopt \
    -e signal=none -s 512 $strace_user "$POSTERND" --once -C "$CONF" \
    2>>"$T/agent.log"
is "$(grep -c 'status=sent' "$T/agent.log")" 2 "pipelining: sent to both"
ok "pipelining: Postfix delivered both" postfix_wait_delivered "$PF" \
    $((seq + 1)) 20
like "$(grep 'sendto(' "$T/strace")" \
    'sendto\([0-9]+, "MAIL FROM:<bob@example\.org>[^"]*\\r\\nRCPT TO:<carol@example\.net>\\r\\nRCPT TO:<dave@example\.net>\\r\\nDATA\\r\\n", ' \
    "pipelining: MAIL, both RCPT and DATA in one send(2)"
is "$(grep 'sendto(' "$T/strace" | grep -c 'RCPT TO:')" 1 \
    "pipelining: RCPT sent in no other send(2)"
is "$(grep 'sendto(' "$T/strace" | grep -c '"DATA\\r\\n"')" 0 \
    "pipelining: DATA not sent on its own"
like "$(grep 'sendto(' "$T/strace" | head -n 1)" '"EHLO agent\.test\\r\\n"' \
    "pipelining: EHLO alone, after the greeting"
like "$(grep 'setsockopt(' "$T/strace")" 'TCP_NODELAY' "TCP_NODELAY is set"
like "$(grep 'setsockopt(' "$T/strace")" 'TCP_QUICKACK' \
    "TCP_QUICKACK after reads (no 40 ms delayed-ACK stall per session)"
wait_until 10 session_ended
seq=$((seq + 1))	# the second recipient's copy

# ---------------------------------------------------------------- 100 in one
agent_spool
: >"$T/agent.log"
log_mark
AGENT_QUEUE_EXTRA=session_max_messages=1000 pf_conf "$POSTFIX_PORT" starttls
first=$((seq + 1))
n=0
while [ $n -lt 100 ]; do
	seq=$((seq + 1))
	msg $seq
	agent_queue bob@example.org "$T/m/$seq" carol@example.net >/dev/null ||
		bail_out "cannot queue message $seq"
	n=$((n + 1))
done
agent_once
is "$(grep -c 'status=sent' "$T/agent.log")" 100 "100 messages: all sent"
is "$(count "$SPOOL/new")$(count "$SPOOL/cur")" 00 "100 messages: queue empty"
ok "100 messages: Postfix delivered all 100" postfix_wait_delivered "$PF" \
    $seq 60
ok_here "100 messages: Postfix logged the end of the session" \
    wait_until 20 session_ended
is "$(log_since | grep -c ' connect from localhost')" 1 \
    "100 messages: Postfix logged one connection"
is "$(log_since | grep -c 'TLS connection established from')" 1 \
    "100 messages: one TLS handshake"
like "$(log_since | grep ' disconnect from')" \
    ' ehlo=2 starttls=1 auth=1 mail=100 rcpt=100 data=100 quit=1 ' \
    "100 messages: one AUTH, 100 MAIL/RCPT/DATA, no RSET"
bad=
i=$first
while [ $i -le $seq ]; do
	intact $i || bad="$bad $i"
	i=$((i + 1))
done
is "$bad" "" "100 messages: every one arrived intact"
done_testing
