#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# testsrv-postfix.sh - self-test of tests/lib/postfix.sh: a private Postfix
# instance (two at once, one delivering to a Maildir, one discarding)
# accepts STARTTLS and implicit TLS with every SASL mechanism it offers,
# and plain SMTP without AUTH on its third listener,
# refuses what it must, delivers where tests can read it, and leaves no
# process, listener or alternate_config_directories entry behind.
# TLS clients: tests/lib/smtpclient.py (Debian's swaks has no TLS without
# Net::SSLeay); swaks for the plain-text refusals.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/smarthost.sh"

why=$(postfix_available) || skip_all "$why"
need_cmd swaks ss
tmpdir_make
P=$T/pf
D=$T/pfd

ok_here "postfix_start (maildir)" postfix_start "$P" || bail_out "no Postfix"
like "$POSTFIX_PORT $POSTFIX_TLS_PORT" '^[0-9]+ [0-9]+$' "ports exported"
like "$(postconf -c /etc/postfix -h alternate_config_directories)" \
    "$P/etc" "instance authorized in the system main.cf"
ok "plain port listens" _postfix_listening "$POSTFIX_PORT"
ok "implicit-TLS port listens" _postfix_listening "$POSTFIX_TLS_PORT"
ok "plain (no TLS, no AUTH) port listens" _postfix_listening "$POSTFIX_PLAIN_PORT"
CA=$POSTFIX_CERTS/ca.pem
send() {
	smtp_send --ca "$CA" --user "$POSTFIX_USER" \
	    --password "$POSTFIX_PASSWORD" --from sender@example.org \
	    --to rcpt@example.net "$@"
}

out=$(swaks -s 127.0.0.1 -p "$POSTFIX_PORT" -f sender@example.org \
    -t rcpt@example.net 2>&1 </dev/null)
like "$out" "554 5.7.1 .*Access denied" "no relaying without AUTH"
out=$(swaks -s 127.0.0.1 -p "$POSTFIX_PORT" -a PLAIN -au "$POSTFIX_USER" \
    -ap "$POSTFIX_PASSWORD" -f sender@example.org -t rcpt@example.net \
    2>&1 </dev/null)
like "$out" "did not advertise authentication" \
    "no AUTH before STARTTLS (smtpd_tls_auth_only)"
out=$(send --port "$POSTFIX_PORT" --starttls --auth PLAIN \
    --password wrong-password)
like "$out" "FAILED at auth: 535 5.7.8" "wrong password: 535 5.7.8"

out=$(send --port "$POSTFIX_PORT" --starttls --auth PLAIN \
    --subject "plain-starttls")
like "$out" "^SENT" "STARTTLS + AUTH PLAIN"
out=$(send --port "$POSTFIX_TLS_PORT" --implicit-tls --auth LOGIN \
    --subject "login-implicit")
like "$out" "^SENT" "implicit TLS + AUTH LOGIN"
out=$(swaks -s 127.0.0.1 -p "$POSTFIX_PLAIN_PORT" -f sender@example.org \
    -t rcpt@example.net --header "Subject: plain-port" 2>&1 </dev/null)
like "$out" "250 2.0.0 Ok: queued" "plain port relays for 127.0.0.1 without AUTH"
unlike "$out" "STARTTLS|AUTH" "plain port offers neither STARTTLS nor AUTH"
sent=3
missing=$(postfix_sasl_missing)
[ -z "$missing" ] || diag "Cyrus SASL plugins missing for: $missing"
for mech in CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256; do
	case " $missing " in
	*" $mech "*)
		skip "no Cyrus plugin for $mech"
		continue ;;
	esac
	out=$(send --port "$POSTFIX_PORT" --starttls --auth "$mech" \
	    --subject "mech-$mech")
	like "$out" "^SENT" "STARTTLS + AUTH $mech" && sent=$((sent + 1))
done
out=$(send --port "$POSTFIX_PORT" --starttls --auth PLAIN \
    --servername wrong.example)
like "$out" "ERROR: SSLCertVerificationError" \
    "certificate is for localhost, not wrong.example"

# A second instance at the same time, discarding.
first_port=$POSTFIX_PORT first_user=$POSTFIX_USER
ok_here "postfix_start (discard) beside the first" \
    postfix_start "$D" discard || bail_out "no second Postfix"
out=$(send --port "$POSTFIX_TLS_PORT" --implicit-tls --auth PLAIN)
like "$out" "^SENT" "discard instance accepts"
ok "discard instance: delivered (discarded) within 10 s" \
    postfix_wait_delivered "$D" 1 10
ok "postfix_stop (discard)" postfix_stop "$D"
is "$(_postfix_pids "$D")" "" "no process of the discard instance left"

ok "all $sent messages in the Maildir within 10 s" \
    postfix_wait_delivered "$P" "$sent" 10
is "$(postfix_delivered "$P")" "$sent" "exactly $sent delivered"
M=$P/mail/inbox
all=$(cat "$M"/new/* "$M"/cur/* 2>/dev/null)
like "$all" "Subject: plain-starttls" "STARTTLS message arrived"
like "$all" "Subject: login-implicit" "implicit-TLS message arrived"
like "$all" "Subject: plain-port" "plain-port message arrived"
like "$all" "Return-Path: <sender@example.org>" "envelope sender kept"
log=$(cat "$P/maillog")
like "$log" "TLS connection established from localhost" "maillog: TLS"
like "$log" "sasl_method=PLAIN, sasl_username=$first_user" "maillog: AUTH"

ok "postfix_stop" postfix_stop "$P"
is "$(_postfix_pids "$P")" "" "no Postfix process of the instance left"
not_ok "port closed after stop" 1 _postfix_listening "$first_port"
unlike "$(postconf -c /etc/postfix -h alternate_config_directories)" \
    "$T" "system main.cf no longer lists the instances"
done_testing
