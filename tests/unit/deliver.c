/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver.c - unit tests for the one temp/perm policy (deliver_classify:
 * every stage x 2xx/4xx/5xx/disconnect), the From: rewrite of
 * force_sender and the xtext decoder.
 */
#include "config.h"

#include <string.h>

#include "deliver.h"
#include "tap.h"

#define NR	2

static struct smtp_rcpt		rc[NR];
static struct smtp_message	m;
static struct smtp_failure	f;
static struct deliver_verdict	v[NR];

/* setup - a message to two recipients, nothing decided yet */
static void
setup(void)
{
	memset(rc, 0, sizeof(rc));
	memset(&m, 0, sizeof(m));
	memset(&f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	rc[0].addr = "a@example.net";
	rc[1].addr = "b@example.net";
	m.sender = "s@example.org";
	m.rcpts = rc;
	m.nrcpts = NR;
}

/* rcpt_reply - recipient i answered code */
static void
rcpt_reply(size_t i, int code)
{
	rc[i].replied = true;
	rc[i].accepted = code / 100 == 2;
	why_set(&rc[i].reply, code, code / 100 == 2 ? "2.1.5" : code / 100 ==
	    4 ? "4.2.0" : "5.1.1", "rcpt %d", code);
	if (rc[i].accepted)
		m.naccepted++;
}

/* decided - the message ended with status at stage with code */
static void
decided(enum smtp_msg_status st, enum smtp_state stage, int code)
{
	m.status = st;
	m.stage = stage;
	why_set(&m.reply, code, "", "stage reply %d", code);
}

/* broke - the session failed (kind) during stage */
static void
broke(enum smtp_error kind, enum smtp_state stage, int code)
{
	m.status = SMTP_MSG_ABORTED;
	m.stage = stage;
	f.kind = kind;
	f.stage = stage;
	why_set(&f.why, code, "", "session failure");
	m.reply = f.why;
}

/* verdicts - "OT", "PP" ...: one letter per recipient */
static const char *
verdicts(bool *relay)
{
	static char	out[NR + 1];
	size_t		i;

	*relay = deliver_classify(&m, &f, v);
	for (i = 0; i < NR; i++)
		out[i] = v[i].res == RESULT_OK ? 'O' : v[i].res == RESULT_TEMP ? 'T' :
		    'P';
	out[NR] = '\0';
	return out;
}

static void
test_classify(void)
{
	bool	relay;

	/* MAIL */
	setup(); decided(SMTP_MSG_REJECTED, SMTP_S_MAIL, 451);
	is_str(verdicts(&relay), "TT", "MAIL 4xx: all deferred");
	ok(!relay, "MAIL 4xx: the message's, not the relay's");
	setup(); decided(SMTP_MSG_REJECTED, SMTP_S_MAIL, 550);
	is_str(verdicts(&relay), "PP", "MAIL 5xx: all permanent");
	is_int(v[0].why.code, 550, "MAIL 5xx: the reason is the MAIL reply");
	setup(); rcpt_reply(0, 503); rcpt_reply(1, 503);
	decided(SMTP_MSG_REJECTED, SMTP_S_MAIL, 452);
	is_str(verdicts(&relay), "TT",
	    "MAIL 4xx pipelined: RCPT 5xx (503 after MAIL failed) ignored");
	setup(); broke(SMTP_E_IO, SMTP_S_MAIL, 0);
	is_str(verdicts(&relay), "TT", "MAIL disconnect: deferred");
	ok(!relay, "MAIL disconnect: counts as an attempt");

	/* RCPT */
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 550);
	decided(SMTP_MSG_SENT, SMTP_S_DATA_END, 250);
	is_str(verdicts(&relay), "OP", "RCPT 2xx+5xx, data 2xx: sent+bounced");
	is_int(v[1].why.code, 550, "RCPT 5xx: the reason is its RCPT reply");
	is_int(v[0].why.code, 250, "sent: the reason is the final 250");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 450);
	decided(SMTP_MSG_SENT, SMTP_S_DATA_END, 250);
	is_str(verdicts(&relay), "OT", "RCPT 2xx+4xx: sent+deferred");
	setup(); rcpt_reply(0, 550); rcpt_reply(1, 450);
	decided(SMTP_MSG_REJECTED, SMTP_S_RCPT, 450);
	is_str(verdicts(&relay), "PT", "RCPT 5xx+4xx, none accepted");
	setup(); rcpt_reply(0, 550); rcpt_reply(1, 551);
	decided(SMTP_MSG_REJECTED, SMTP_S_RCPT, 551);
	is_str(verdicts(&relay), "PP", "RCPT all 5xx: all permanent");
	setup(); rcpt_reply(0, 550); broke(SMTP_E_IO, SMTP_S_RCPT, 0);
	is_str(verdicts(&relay), "PT",
	    "RCPT disconnect: a 5xx already received stands, rest deferred");
	setup(); rcpt_reply(0, 250); broke(SMTP_E_IO, SMTP_S_RCPT, 0);
	is_str(verdicts(&relay), "TT",
	    "RCPT disconnect: an accepted recipient is deferred too");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	decided(SMTP_MSG_SENT, SMTP_S_DATA_END, 250);
	is_str(verdicts(&relay), "OO", "all 2xx: sent");

	/* DATA */
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 550);
	decided(SMTP_MSG_REJECTED, SMTP_S_DATA, 554);
	is_str(verdicts(&relay), "PP", "DATA 5xx: accepted ones permanent");
	is_int(v[0].why.code, 554, "DATA 5xx: reason is the DATA reply");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 550);
	decided(SMTP_MSG_REJECTED, SMTP_S_DATA, 451);
	is_str(verdicts(&relay), "TP", "DATA 4xx: accepted deferred, 5xx stays");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	broke(SMTP_E_IO, SMTP_S_DATA, 0);
	is_str(verdicts(&relay), "TT", "DATA disconnect: deferred");

	/* end of data */
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	decided(SMTP_MSG_REJECTED, SMTP_S_DATA_END, 552);
	is_str(verdicts(&relay), "PP", "end of data 5xx: all permanent");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	decided(SMTP_MSG_REJECTED, SMTP_S_DATA_END, 451);
	is_str(verdicts(&relay), "TT", "end of data 4xx: deferred");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	broke(SMTP_E_IO, SMTP_S_DATA_END, 0);
	is_str(verdicts(&relay), "TT",
	    "end of data disconnect: deferred, never permanent");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	broke(SMTP_E_IO, SMTP_S_BODY, 0);
	is_str(verdicts(&relay), "TT", "body write failure: deferred");
	setup(); rcpt_reply(0, 250); broke(SMTP_E_PROTOCOL, SMTP_S_DATA_END,
	    0);
	is_str(verdicts(&relay), "TT", "garbage at end of data: deferred");
	ok(!relay, "garbage mid-transaction counts as an attempt");

	/* 421 anywhere: the relay's fault */
	setup(); broke(SMTP_E_REPLY, SMTP_S_MAIL, 421);
	is_str(verdicts(&relay), "TT", "421 at MAIL: deferred");
	ok(relay, "421 at MAIL: a relay fault");
	setup(); rcpt_reply(0, 550); broke(SMTP_E_REPLY, SMTP_S_RCPT, 421);
	is_str(verdicts(&relay), "PT", "421 at RCPT: the earlier 5xx stands");
	ok(relay, "421 at RCPT: a relay fault");
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	broke(SMTP_E_REPLY, SMTP_S_DATA_END, 421);
	is_str(verdicts(&relay), "TT", "421 at end of data: deferred");
	ok(relay, "421 at end of data: a relay fault");

	/* refused before sending */
	setup(); decided(SMTP_MSG_LOCAL, SMTP_S_MAIL, 0);
	is_str(verdicts(&relay), "PP", "SIZE over the server's limit: permanent");
	ok(!relay, "local refusal: not the relay's fault");

	/* odd codes where a verdict was due */
	setup(); rcpt_reply(0, 250); rcpt_reply(1, 250);
	decided(SMTP_MSG_REJECTED, SMTP_S_DATA_END, 354);
	is_str(verdicts(&relay), "TT", "a 3xx verdict: deferred, never permanent");
	setup(); m.status = SMTP_MSG_PENDING;
	is_str(verdicts(&relay), "TT", "still pending: treated as aborted");
}

static void
test_rewrite(void)
{
	struct buf	out;
	const char	*a = "me@relay.example";

	buf_init(&out, 4096);
#define RW(in, want, rc, what) do {					\
	buf_reset(&out);						\
	is_int(deliver_rewrite_from(in, strlen(in), a, &out), rc, what); \
	is_str(buf_cstr(&out), want, what);				\
} while (0)
	RW("From: Bob <bob@x.org>\nTo: c@y\n\n",
	    "From: Bob <me@relay.example>\nTo: c@y\n\n", 1, "display name kept");
	RW("Subject: s\nfrom:bob@x.org\n\n",
	    "Subject: s\nfrom: me@relay.example\n\n", 1, "bare address, any case");
	RW("From: \"A, B\" <b@x>,\n c@d\nX: 1\n\n",
	    "From: me@relay.example\nX: 1\n\n", 1,
	    "folded list: the whole value replaced");
	RW("From: Bob\n <bob@x.org>\nTo: c\n\n",
	    "From: Bob\n <me@relay.example>\nTo: c\n\n", 1,
	    "folded display name kept");
	RW("Fromage: x\nTo: c\n\n", "Fromage: x\nTo: c\n\n", 0,
	    "Fromage: is not From:");
	RW("From : B <b@x>\n\n", "From : B <me@relay.example>\n\n", 1,
	    "obsolete space before the colon");
	/* issue 11: a second From: used to go out unchanged */
	RW("From: A <a@x>\nTo: c\nFrom: \"CEO\" <ceo@bank.example>\n\n",
	    "From: A <me@relay.example>\nTo: c\n"
	    "From: \"CEO\" <me@relay.example>\n\n", 1,
	    "every From: field, not only the first");
	RW("Sender: s@x\nFrom: A <a@x>\nSENDER : Boss\n <boss@x>\n\n",
	    "Sender: me@relay.example\nFrom: A <me@relay.example>\n"
	    "SENDER : Boss\n <me@relay.example>\n\n", 1,
	    "every Sender: field too, folded or not");
	RW("Senders: x\nTo: c\n\n", "Senders: x\nTo: c\n\n", 0,
	    "Senders: is not Sender:");
	RW("To: c\n\n", "To: c\n\n", 0, "no From: exact copy");
	buf_free(&out);
	buf_init(&out, 10);
	ok(deliver_rewrite_from("From: a@b\n\n", 11, a, &out) == -1,
	    "a full buffer fails");
	buf_free(&out);
}

static void
test_xtext(void)
{
	char	out[64];

	is_str(deliver_xtext_decode("a+2Bb+3Dc", out, sizeof(out)), "a+b=c",
	    "xtext decodes +XX");
	is_str(deliver_xtext_decode("plain", out, sizeof(out)), "plain",
	    "xtext plain");
	is_str(deliver_xtext_decode("x+ZZ", out, sizeof(out)), "x+ZZ",
	    "malformed +XX copied");
	is_str(deliver_xtext_decode("abcdef", out, 4), "abc", "bounded");
}

int
main(void)
{
	test_classify();
	test_rewrite();
	test_xtext();
	return done_testing();
}
