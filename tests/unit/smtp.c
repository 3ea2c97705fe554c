/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp.c - unit tests for the SMTP client machine, driven with canned
 * server replies: no sockets, the session's output is compared verbatim.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "smtp.h"
#include "tap.h"

static char	last_out[65536];

/* take - the session's pending output as a string; marks it written */
static const char *
take(struct smtp_session *s)
{
	size_t	n = s->out.len < sizeof(last_out) - 1 ? s->out.len :
	    sizeof(last_out) - 1;

	memcpy(last_out, buf_cstr(&s->out), n);
	last_out[n] = '\0';
	smtp_output_done(s);
	return last_out;
}

/* say - the server sends str; returns what the client says back */
static const char *
say(struct smtp_session *s, const char *str)
{
	smtp_feed(s, str, strlen(str));
	return take(s);
}

/* body reader over a string */
struct body {
	const char	*data;
	size_t		 off;
	int		 calls;
	int		 fail;
};

static ssize_t
body_read(void *arg, void *buf, size_t len)
{
	struct body	*b = arg;
	size_t		 n = strlen(b->data) - b->off;

	b->calls++;
	if (b->fail) {
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > 3)
		n = 3;		/* tiny chunks: state must carry over */
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

/* pump - send the whole body; returns the wire bytes */
static const char *
pump(struct smtp_session *s)
{
	static char	wire[65536];
	size_t		len = 0;

	while (smtp_want(s) == SMTP_WANT_WRITE) {
		smtp_body_pump(s);
		if (len + s->out.len < sizeof(wire)) {
			memcpy(wire + len, buf_cstr(&s->out), s->out.len);
			len += s->out.len;
		}
		smtp_output_done(s);
	}
	wire[len] = '\0';
	return wire;
}

/* fake SASL plug-in: PLAIN, LOGIN and a three-step X-MULTI */
struct fake_auth {
	const char	*want_mech;
	int		 steps;
	char		 seen[256];	/* challenges, '|' separated */
	int		 fail_step;
	size_t		 ir_len;	/* X-BIG: initial response size */
};

static int
fake_start(void *arg, const char *offered, const char **mech,
    struct buf *initial, bool *has_initial, struct why *why)
{
	struct fake_auth	*fa = arg;

	if (strstr(offered, fa->want_mech) == NULL) {
		why_set(why, 0, NULL, "no common mechanism in '%s'", offered);
		return -1;
	}
	*mech = fa->want_mech;
	*has_initial = false;
	if (strcmp(fa->want_mech, "PLAIN") == 0) {
		*has_initial = true;
		return buf_append(initial, "\0user\0pass", 10);
	}
	if (strcmp(fa->want_mech, "X-MULTI") == 0)
		*has_initial = true;		/* empty: "=" */
	if (strcmp(fa->want_mech, "X-BIG") == 0) {
		size_t	i;

		*has_initial = true;
		for (i = 0; i < fa->ir_len; i++)
			if (buf_putc(initial, 'A') == -1)
				return -1;
	}
	return 0;
}

static int
fake_step(void *arg, const char *ch, size_t len, struct buf *resp,
    struct why *why)
{
	struct fake_auth	*fa = arg;
	size_t			 have = strlen(fa->seen);

	fa->steps++;
	if (fa->fail_step == fa->steps) {
		why_set(why, 0, NULL, "fake step failed");
		return -1;
	}
	snprintf(fa->seen + have, sizeof(fa->seen) - have, "%s%.*s",
	    have ? "|" : "", (int)len, ch);
	if (len == 9 && memcmp(ch, "Username:", 9) == 0)
		return buf_puts(resp, "user");
	if (len == 9 && memcmp(ch, "Password:", 9) == 0)
		return buf_puts(resp, "pass");
	return buf_printf(resp, "r%d", fa->steps);
}

static struct smtp_auth_ops fake_ops = { fake_start, fake_step, NULL };

static const char EHLO_PLAIN[] = "250-mx.example\r\n250 8BITMIME\r\n";
static const char EHLO_PIPE[] =
    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-DSN\r\n"
    "250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n";

/*
 * One step of a dialogue: the server's reply in (NULL: only take what the
 * client has pending), the client's answer out, and what the machine
 * wants and its state afterwards (-1: not checked).  dialogue() walks a
 * table of them: one test point per answer, and one per want or state.
 */
struct step {
	const char	*reply;
	const char	*answer;
	int		 want;
	int		 state;
	const char	*what;
};
#define NSTEPS(t)	(sizeof(t) / sizeof((t)[0]))

/* dialogue - walk a table of steps on s */
static void
dialogue(struct smtp_session *s, const struct step *t, size_t n)
{
	char	what[256];
	size_t	i;

	for (i = 0; i < n; i++) {
		is_str(t[i].reply != NULL ? say(s, t[i].reply) : take(s),
		    t[i].answer, t[i].what);
		if (t[i].want != -1) {
			snprintf(what, sizeof(what), "%s: then wants %d",
			    t[i].what, t[i].want);
			is_int(smtp_want(s), t[i].want, what);
		}
		if (t[i].state != -1) {
			snprintf(what, sizeof(what), "%s: then in %s",
			    t[i].what, smtp_state_name(t[i].state));
			is_int(s->state, t[i].state, what);
		}
	}
}

/* open_session - greeting and EHLO answered with ehlo; READY */
static void
open_session(struct smtp_session *s, const struct smtp_params *p,
    const char *ehlo)
{
	smtp_init(s, p);
	(void)say(s, "220 mx.example ESMTP\r\n");
	(void)say(s, ehlo);
}

static struct smtp_params	plain_params = { "client.example", false,
	false, NULL, false };

/* msg_init - a two-recipient message */
static void
msg_init(struct smtp_message *m, struct smtp_rcpt *r, struct body *b,
    const char *data)
{
	memset(m, 0, sizeof(*m));
	memset(r, 0, 2 * sizeof(*r));
	memset(b, 0, sizeof(*b));
	b->data = data;
	r[0].addr = "one@example.org";
	r[1].addr = "two@example.org";
	m->sender = "root@client.example";
	m->rcpts = r;
	m->nrcpts = 2;
	m->size = 100;
	m->read = body_read;
	m->read_arg = b;
}

/* test_plain_session - no PIPELINING: one command at a time */
static void
test_plain_session(void)
{
	static const struct step hello[] = {
		{ "220 mx.example ESMTP\r\n", "EHLO client.example\r\n",
		    -1, -1, "plain: EHLO after greeting" },
		{ EHLO_PLAIN, "", SMTP_WANT_MESSAGE, -1,
		    "plain: nothing more to say, ready" },
	}, transaction[] = {
		{ NULL, "MAIL FROM:<root@client.example> BODY=8BITMIME\r\n",
		    -1, -1,
		    "plain: MAIL alone, BODY=8BITMIME, no SIZE (not offered)" },
		{ "250 2.1.0 ok\r\n", "RCPT TO:<one@example.org>\r\n",
		    -1, -1, "plain: first RCPT after MAIL reply" },
		{ "550 5.1.1 no such user\r\n", "RCPT TO:<two@example.org>\r\n",
		    -1, -1, "plain: second RCPT" },
		{ "250 2.1.5 ok\r\n", "DATA\r\n", -1, -1, "plain: DATA" },
		{ "354 go ahead\r\n", "", SMTP_WANT_WRITE, -1,
		    "plain: 354, body wanted" },
	};
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	smtp_init(&s, &plain_params);
	is_int(smtp_want(&s), SMTP_WANT_READ, "plain: waits for greeting");
	is_int(smtp_stage_timeout(s.state), SMTP_T_GREETING,
	    "plain: greeting timeout applies");
	dialogue(&s, hello, NSTEPS(hello));
	ok(s.esmtp && s.caps.ext == EHLO_8BITMIME, "plain: caps recorded");

	msg_init(&m, r, &b, "Subject: t\n\n.dot\nbody\n");
	m.body = SMTP_BODY_8BITMIME;
	is_int(smtp_message_start(&s, &m), 0, "plain: message starts");
	dialogue(&s, transaction, NSTEPS(transaction));
	is_int(smtp_stage_timeout(s.state), SMTP_T_DATA_BLOCK,
	    "plain: data_block timeout while sending");
	is_str(pump(&s), "Subject: t\r\n\r\n..dot\r\nbody\r\n.\r\n",
	    "plain: body on the wire, dot-stuffed, terminated");
	is_int(smtp_stage_timeout(s.state), SMTP_T_DATA_END,
	    "plain: data_end timeout after the dot");
	is_str(say(&s, "250 2.0.0 Ok: queued as ABC\r\n"), "",
	    "plain: no RSET after success");
	is_int(smtp_want(&s), SMTP_WANT_MESSAGE, "plain: ready again");
	is_int(m.status, SMTP_MSG_SENT, "plain: message sent");
	ok(m.reply.code == 250 && strcmp(m.reply.enh, "2.0.0") == 0 &&
	    strcmp(m.reply.text, "Ok: queued as ABC") == 0,
	    "plain: final reply recorded");
	is_int((long long)m.naccepted, 1, "plain: one recipient accepted");
	ok(r[0].replied && !r[0].accepted && r[0].reply.code == 550 &&
	    strcmp(r[0].reply.enh, "5.1.1") == 0, "plain: rcpt 1 refused");
	ok(r[1].replied && r[1].accepted && r[1].reply.code == 250,
	    "plain: rcpt 2 accepted");

	smtp_quit(&s);
	is_str(take(&s), "QUIT\r\n", "plain: QUIT");
	is_str(say(&s, "221 bye\r\n"), "", "plain: QUIT answered");
	is_int(smtp_want(&s), SMTP_WANT_CLOSE, "plain: closed");
	is_int(s.failure.kind, SMTP_E_NONE, "plain: no failure");
	smtp_free(&s);
}

/* test_pipelined - MAIL + RCPTs + DATA in one write, replies in one read */
static void
test_pipelined(void)
{
	static const struct step replies[] = {
		{ "250 ok\r\n250 ok\r\n", "", -1, SMTP_S_RCPT,
		    "pipe: two replies in one read, nothing to send" },
		{ "250 ok\r\n354 go\r\n", "", -1, -1,
		    "pipe: rest of replies" },
	};
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	open_session(&s, &plain_params, EHLO_PIPE);
	msg_init(&m, r, &b, "a\nb");
	m.ret = SMTP_RET_HDRS;
	m.envid = "id+1=x";
	r[0].notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	r[0].orcpt = "rfc822;one+x@example.org";
	r[1].notify = SMTP_NOTIFY_NEVER;
	r[1].orcpt = "plain@example.org";
	is_int(smtp_message_start(&s, &m), 0, "pipe: message starts");
	is_str(take(&s),
	    "MAIL FROM:<root@client.example> SIZE=100 RET=HDRS "
	    "ENVID=id+2B1+3Dx\r\n"
	    "RCPT TO:<one@example.org> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;one+2Bx@example.org\r\n"
	    "RCPT TO:<two@example.org> NOTIFY=NEVER "
	    "ORCPT=rfc822;plain@example.org\r\n"
	    "DATA\r\n", "pipe: the whole group in one write, DSN params");
	is_int(smtp_stage_timeout(s.state), SMTP_T_MAIL,
	    "pipe: receive cursor starts at MAIL");
	dialogue(&s, replies, NSTEPS(replies));
	is_str(pump(&s), "a\r\nb\r\n.\r\n", "pipe: body");
	is_str(say(&s, "250 queued\r\n"), "", "pipe: done");
	ok(m.status == SMTP_MSG_SENT && m.naccepted == 2,
	    "pipe: sent to both");
	smtp_free(&s);
}

/* test_pipelined_none - all RCPTs refused under PIPELINING */
static void
test_pipelined_none(void)
{
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	open_session(&s, &plain_params, EHLO_PIPE);
	msg_init(&m, r, &b, "secret body\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	is_str(say(&s, "250 ok\r\n550 no\r\n551 no\r\n354 go\r\n"), ".\r\n",
	    "pipe-none: 354 with no recipient gets a lone dot (RFC 2920)");
	is_int(b.calls, 0, "pipe-none: the body was never read");
	is_str(say(&s, "554 no valid recipients\r\n"), "RSET\r\n",
	    "pipe-none: its verdict ignored, RSET");
	is_str(say(&s, "250 ok\r\n"), "", "pipe-none: RSET answered");
	is_int(smtp_want(&s), SMTP_WANT_MESSAGE, "pipe-none: ready");
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_RCPT &&
	    m.reply.code == 551, "pipe-none: rejected at RCPT (last reply)");
	ok(r[0].reply.code == 550 && r[1].reply.code == 551,
	    "pipe-none: each recipient has its reply");

	/* the usual case: DATA refused with 554 */
	msg_init(&m, r, &b, "x\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	is_str(say(&s, "250 ok\r\n550 no\r\n550 no\r\n554 5.5.1 no rcpt\r\n"),
	    "RSET\r\n", "pipe-none: DATA refused, RSET");
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_RCPT,
	    "pipe-none: still reported at RCPT");
	(void)say(&s, "250 ok\r\n");

	/* MAIL refused: the first refusal counts */
	msg_init(&m, r, &b, "x\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	is_str(say(&s, "553 5.1.8 bad sender\r\n503 no\r\n503 no\r\n"
	    "503 no\r\n"), "RSET\r\n", "pipe: MAIL refused, RSET");
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_MAIL &&
	    m.reply.code == 553, "pipe: reported at MAIL");
	smtp_free(&s);
}

/* test_helo - EHLO refused: HELO, and no extensions */
static void
test_helo(void)
{
	static const struct step fallback[] = {
		{ "502 command not implemented\r\n", "HELO client.example\r\n",
		    -1, -1, "helo: fallback on 5xx" },
		{ "250 hi\r\n", "", -1, -1, "helo: accepted" },
	};
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	smtp_init(&s, &plain_params);
	(void)say(&s, "220 old\r\n");
	dialogue(&s, fallback, NSTEPS(fallback));
	ok(smtp_want(&s) == SMTP_WANT_MESSAGE && !s.esmtp && s.caps.ext == 0,
	    "helo: ready, plain SMTP");
	msg_init(&m, r, &b, "x\n");
	m.body = SMTP_BODY_8BITMIME;
	smtp_message_start(&s, &m);
	is_str(take(&s), "MAIL FROM:<root@client.example>\r\n",
	    "helo: no ESMTP parameters");
	smtp_free(&s);

	smtp_init(&s, &plain_params);
	(void)say(&s, "220 old\r\n");
	(void)say(&s, "500 no\r\n");
	is_str(say(&s, "550 go away\r\n"), "QUIT\r\n", "helo: refused, QUIT");
	ok(s.failure.kind == SMTP_E_REPLY && s.failure.stage == SMTP_S_HELO &&
	    s.failure.why.code == 550, "helo: failure recorded");
	smtp_free(&s);

	smtp_init(&s, &plain_params);
	is_str(say(&s, "554 no service\r\n"), "QUIT\r\n",
	    "greeting 554: QUIT (RFC 5321 3.1)");
	(void)say(&s, "221 bye\r\n");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE && s.failure.kind ==
	    SMTP_E_REPLY && s.failure.stage == SMTP_S_GREETING,
	    "greeting 554: closed with the reason");
	smtp_free(&s);
}

/* test_starttls - handshake request, capability reset, injection */
static void
test_starttls(void)
{
	static const struct step upgrade[] = {
		{ "250-mx\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n"
		    "250 STARTTLS\r\n", "STARTTLS\r\n", -1, SMTP_S_STARTTLS,
		    "tls: STARTTLS sent" },
		{ "220 2.0.0 ready\r\n", "", SMTP_WANT_TLS, -1,
		    "tls: 220, the caller must handshake" },
	};
	struct smtp_params	p = plain_params;
	struct smtp_session	s;

	p.starttls = true;
	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	dialogue(&s, upgrade, NSTEPS(upgrade));
	is_int(smtp_stage_timeout(s.state), SMTP_T_STARTTLS,
	    "tls: starttls timeout for the handshake");
	smtp_tls_done(&s);
	is_int(s.caps.ext, 0, "tls: capabilities cleared");
	is_str(take(&s), "EHLO client.example\r\n", "tls: EHLO again");
	is_str(say(&s, "250-mx\r\n250 SIZE 5\r\n"), "", "tls: new EHLO");
	ok(s.tls && s.caps.ext == EHLO_SIZE && s.caps.size == 5 &&
	    smtp_want(&s) == SMTP_WANT_MESSAGE, "tls: only the new caps");
	smtp_free(&s);

	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	is_str(say(&s, "250-mx\r\n250 PIPELINING\r\n"), "QUIT\r\n",
	    "tls: not offered, nothing but QUIT");
	ok(s.failure.kind == SMTP_E_LOCAL &&
	    strstr(s.failure.why.text, "STARTTLS") != NULL,
	    "tls: reason names STARTTLS");
	smtp_free(&s);

	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	(void)say(&s, "250-mx\r\n250 STARTTLS\r\n");
	is_str(say(&s, "220 ready\r\n250-injected\r\n"), "",
	    "tls: data after 220 is refused");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE &&
	    s.failure.kind == SMTP_E_PROTOCOL &&
	    strstr(s.failure.why.text, "injection") != NULL,
	    "tls: injection ends the session");
	smtp_free(&s);

	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	(void)say(&s, "250-mx\r\n250 STARTTLS\r\n");
	is_str(say(&s, "454 4.7.0 TLS not available\r\n"), "QUIT\r\n",
	    "tls: refused STARTTLS ends with QUIT");
	ok(s.failure.kind == SMTP_E_REPLY && s.failure.why.code == 454 &&
	    s.failure.stage == SMTP_S_STARTTLS, "tls: refusal recorded");
	smtp_free(&s);
}

/* auth_session - STARTTLS-less session with implicit TLS and AUTH */
static void
auth_session(struct smtp_session *s, struct fake_auth *fa, const char *mech,
    const char *ehlo)
{
	struct smtp_params	p = plain_params;

	memset(fa, 0, sizeof(*fa));
	fa->want_mech = mech;
	fake_ops.arg = fa;
	p.tls_active = true;
	p.auth = &fake_ops;
	smtp_init(s, &p);
	(void)say(s, "220 mx\r\n");
	smtp_feed(s, ehlo, strlen(ehlo));
}

/* test_auth - PLAIN, LOGIN, multi-step, failures */
static void
test_auth(void)
{
	static const char ehlo[] =
	    "250-mx\r\n250-AUTH PLAIN LOGIN X-MULTI X-BIG\r\n250 8BITMIME\r\n";
	static const struct step login[] = {
		{ NULL, "AUTH LOGIN\r\n", -1, -1, "auth: LOGIN without IR" },
		{ "334 VXNlcm5hbWU6\r\n", "dXNlcg==\r\n", -1, -1,
		    "auth: LOGIN user" },
		{ "334 UGFzc3dvcmQ6\r\n", "cGFzcw==\r\n", -1, -1,
		    "auth: LOGIN password" },
		{ "235 ok\r\n", "", -1, -1, "auth: LOGIN done" },
	}, multi[] = {
		{ NULL, "AUTH X-MULTI =\r\n", -1, -1, "auth: empty IR is '='" },
		{ "334 YQ==\r\n", "cjE=\r\n", -1, -1, "auth: step 1" },
		{ "334 \r\n", "cjI=\r\n", -1, -1, "auth: empty challenge" },
		{ "334 Yw==\r\n", "cjM=\r\n", -1, -1, "auth: step 3" },
		{ "235 ok\r\n", "", -1, -1, "auth: multi-step done" },
	};
	struct smtp_session	s;
	struct fake_auth	fa;
	struct smtp_params	p = plain_params;

	auth_session(&s, &fa, "PLAIN", ehlo);
	ok(s.out_secret, "auth: output marked secret");
	is_str(take(&s), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
	    "auth: PLAIN with initial response");
	is_str(say(&s, "235 2.7.0 ok\r\n"), "", "auth: 235");
	ok(s.authenticated && smtp_want(&s) == SMTP_WANT_MESSAGE,
	    "auth: authenticated and ready");
	smtp_free(&s);

	auth_session(&s, &fa, "LOGIN", ehlo);
	dialogue(&s, login, NSTEPS(login));
	ok(s.authenticated, "auth: LOGIN authenticated");
	smtp_free(&s);

	auth_session(&s, &fa, "X-MULTI", ehlo);
	dialogue(&s, multi, NSTEPS(multi));
	is_str(fa.seen, "a||c", "auth: the plug-in saw decoded challenges");
	smtp_free(&s);

	auth_session(&s, &fa, "X-BIG", ehlo);
	fa.ir_len = 600;
	smtp_free(&s);
	memset(&fa, 0, sizeof(fa));
	fa.want_mech = "X-BIG";
	fa.ir_len = 600;
	fake_ops.arg = &fa;
	p.tls_active = true;
	p.auth = &fake_ops;
	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	is_str(say(&s, ehlo), "AUTH X-BIG\r\n",
	    "auth: long IR waits for 334 (line over 512)");
	is_int((long long)strlen(say(&s, "334 \r\n")), 800 + 2,
	    "auth: long IR sent after 334");
	smtp_free(&s);

	auth_session(&s, &fa, "PLAIN", ehlo);
	(void)take(&s);
	is_str(say(&s, "535 5.7.8 bad credentials\r\n"), "QUIT\r\n",
	    "auth: 535 ends with QUIT");
	ok(s.failure.kind == SMTP_E_REPLY && s.failure.stage == SMTP_S_AUTH &&
	    s.failure.why.code == 535 &&
	    strcmp(s.failure.why.enh, "5.7.8") == 0, "auth: 535 recorded");
	smtp_free(&s);

	auth_session(&s, &fa, "LOGIN", ehlo);
	(void)take(&s);
	is_str(say(&s, "334 not*base64\r\n"), "*\r\n",
	    "auth: bad challenge cancels with '*'");
	is_str(say(&s, "501 cancelled\r\n"), "QUIT\r\n",
	    "auth: then QUIT");
	ok(s.failure.kind == SMTP_E_LOCAL &&
	    strstr(s.failure.why.text, "base64") != NULL,
	    "auth: cancel reason recorded");
	smtp_free(&s);

	auth_session(&s, &fa, "LOGIN", ehlo);
	fa.fail_step = 1;
	(void)take(&s);
	is_str(say(&s, "334 VXNlcm5hbWU6\r\n"), "*\r\n",
	    "auth: plug-in failure cancels");
	(void)say(&s, "501 cancelled\r\n");
	ok(strcmp(s.failure.why.text, "fake step failed") == 0,
	    "auth: plug-in reason kept");
	smtp_free(&s);

	auth_session(&s, &fa, "SCRAM-SHA-256", ehlo);
	is_str(take(&s), "QUIT\r\n", "auth: no common mechanism, QUIT");
	ok(s.failure.kind == SMTP_E_LOCAL &&
	    strstr(s.failure.why.text, "no common mechanism") != NULL,
	    "auth: plug-in start reason kept");
	smtp_free(&s);

	auth_session(&s, &fa, "PLAIN", "250-mx\r\n250 8BITMIME\r\n");
	ok(s.failure.kind == SMTP_E_LOCAL &&
	    strstr(s.failure.why.text, "no AUTH") != NULL,
	    "auth: server without AUTH");
	smtp_free(&s);

	p = plain_params;
	p.auth = &fake_ops;
	fa.want_mech = "PLAIN";
	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	is_str(say(&s, ehlo), "QUIT\r\n", "auth: never in clear text");
	ok(s.failure.kind == SMTP_E_LOCAL &&
	    strstr(s.failure.why.text, "without TLS") != NULL,
	    "auth: clear-text refusal says why");
	smtp_free(&s);
	p.allow_plaintext_auth = true;
	smtp_init(&s, &p);
	(void)say(&s, "220 mx\r\n");
	is_str(say(&s, ehlo), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
	    "auth: clear text when explicitly allowed");
	smtp_free(&s);

	auth_session(&s, &fa, "X-MULTI", ehlo);
	(void)take(&s);
	{
		int	i;

		for (i = 0; i < SMTP_AUTH_ROUNDS_MAX; i++)
			(void)say(&s, "334 YQ==\r\n");
		(void)say(&s, "334 YQ==\r\n");
	}
	ok(s.failure.kind == SMTP_E_PROTOCOL &&
	    smtp_want(&s) == SMTP_WANT_CLOSE, "auth: endless challenges end");
	smtp_free(&s);
}

/*
 * rfc1870_size - the SIZE= an RFC 1870 client must announce for the
 * DATA bytes w: every octet sent, without the final ".\r\n" and without
 * the dot added to each line that starts with one
 */
static size_t
rfc1870_size(const char *w)
{
	size_t	n = strlen(w), i, dots = 0;

	for (i = 0; i < n; i++)
		if (w[i] == '.' && (i == 0 || w[i - 1] == '\n'))
			dots++;
	return n - 3 - (dots - 1);	/* the final "." is not stuffed */
}

/*
 * test_measure - issue 9 defect 6: SIZE= is the size on the wire (CRLF
 * line ends, folds and cuts), checked against the bytes actually sent
 */
static void
test_measure(void)
{
	static const char *bodies[] = { "", "a", "a\n", "a\nb\n\n",
	    "a\r\nb\r\n", "Subject: x\n\n.\n..\n.a\n", "\n\n\n\n",
	    "a\rb\r", "x" };
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;
	char			*big, mail[128];
	const char		*wire;
	size_t			 i, bad = 0, n;

	big = malloc(3 * 1200 + 16);
	/* a folded header line, one cut without space, a cut body line */
	memset(big, 'h', 3 * 1200 + 15);
	memcpy(big, "X-A: ", 5);
	big[600] = ' ';
	big[1200] = '\n';
	memcpy(big + 1201, "X-B:", 4);
	big[2401] = '\n';
	big[2402] = '\n';
	big[3 * 1200 + 14] = '\n';
	big[3 * 1200 + 15] = '\0';
	for (i = 0; i <= sizeof(bodies) / sizeof(bodies[0]); i++) {
		const char *body = i < sizeof(bodies) / sizeof(bodies[0]) ?
		    bodies[i] : big;

		open_session(&s, &plain_params, EHLO_PIPE);
		msg_init(&m, r, &b, body);
		m.size = 0;
		if (smtp_message_measure(&s, &m) == -1)
			bad++;
		b.off = 0;
		if (strcmp(body, big) != 0 || m.size <= 1000) {
			/* under the server's SIZE 1000 */
			smtp_message_start(&s, &m);
			(void)snprintf(mail, sizeof(mail), "MAIL FROM:"
			    "<root@client.example> SIZE=%llu\r\n",
			    (unsigned long long)m.size);
			if (strncmp(take(&s), mail, strlen(mail)) != 0)
				bad++;
			(void)say(&s, "250 ok\r\n250 ok\r\n250 ok\r\n"
			    "354 go\r\n");
			wire = pump(&s);
			n = rfc1870_size(wire);
			if (n != m.size) {
				diag("body %zu: SIZE=%llu but %zu on the wire",
				    i, (unsigned long long)m.size, n);
				bad++;
			}
		} else {
			/* too big for the canned server: check via pump */
			s.caps.size = 0;
			smtp_message_start(&s, &m);
			(void)take(&s);
			(void)say(&s, "250 ok\r\n250 ok\r\n250 ok\r\n"
			    "354 go\r\n");
			wire = pump(&s);
			n = rfc1870_size(wire);
			if (n != m.size || m.hdr_cut != 1 ||
			    m.lines_split != 1) {
				diag("big body: SIZE=%llu but %zu on the wire",
				    (unsigned long long)m.size, n);
				bad++;
			}
		}
		smtp_free(&s);
	}
	is_int(bad, 0, "SIZE= is the RFC 1870 size of the bytes sent "
	    "(CRLF, folds, cuts; no stuffed dots)");
	free(big);
}

/*
 * test_downgrade - issue 9 defect 5: 8-bit to a server without 8BITMIME
 * goes converted to 7 bit (tiny reads: the state carries), SIZE= counts
 * the converted bytes; one that cannot be converted is refused (5.6.3)
 * before anything is sent
 */
static void
test_downgrade(void)
{
	static const char ehlo7[] = "250-mx.example\r\n250-PIPELINING\r\n"
	    "250 SIZE 100000\r\n";
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;
	const char		*wire;

	open_session(&s, &plain_params, ehlo7);
	msg_init(&m, r, &b, "Subject: x\n\n\xc3\xa9 =\n.\n");
	m.body = SMTP_BODY_8BITMIME;
	ok(smtp_message_measure(&s, &m) == 0 && !m.unconvertible,
	    "downgrade: measured, convertible");
	b.off = 0;
	is_int(smtp_message_start(&s, &m), 0, "downgrade: message starts");
	wire = take(&s);
	ok(strncmp(wire, "MAIL FROM:<root@client.example> SIZE=", 37) == 0 &&
	    strstr(wire, "BODY=") == NULL, "downgrade: no BODY=8BITMIME");
	(void)say(&s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	wire = pump(&s);
	is_str(wire, "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=unknown-8bit\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=C3=A9 =3D\r\n..\r\n.\r\n",
	    "downgrade: quoted-printable on the wire, dot-stuffed");
	is_int((long long)m.size, (long long)rfc1870_size(wire),
	    "downgrade: SIZE= is the converted size");
	(void)say(&s, "250 queued\r\n");
	ok(m.status == SMTP_MSG_SENT && m.downgraded && m.converted == 1,
	    "downgrade: sent, one part converted");
	smtp_free(&s);

	open_session(&s, &plain_params, ehlo7);
	msg_init(&m, r, &b, "Subject: \xc3\xa9\n\nx\n");
	m.body = SMTP_BODY_8BITMIME;
	ok(smtp_message_measure(&s, &m) == 0 && m.unconvertible,
	    "downgrade: an 8-bit header field cannot be converted");
	is_int(smtp_message_start(&s, &m), -1,
	    "downgrade: refused before anything is sent");
	is_str(take(&s), "", "downgrade: nothing written");
	ok(m.status == SMTP_MSG_LOCAL && strcmp(m.reply.enh, "5.6.3") == 0 &&
	    strstr(m.reply.text, "no 8BITMIME") != NULL &&
	    strstr(m.reply.text, "8-bit header field") != NULL,
	    "downgrade: 5.6.3 with the reason");
	smtp_free(&s);

	/* the same message to a server with 8BITMIME goes as it is */
	open_session(&s, &plain_params, EHLO_PIPE);
	msg_init(&m, r, &b, "Subject: \xc3\xa9\n\nx\n");
	m.body = SMTP_BODY_8BITMIME;
	ok(smtp_message_measure(&s, &m) == 0 && !m.unconvertible &&
	    m.size == 18, "8BITMIME offered: no conversion, wire size");
	smtp_free(&s);
}

/* test_local_refusals - SIZE, SMTPUTF8, control characters */
static void
test_local_refusals(void)
{
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	open_session(&s, &plain_params, EHLO_PIPE);
	msg_init(&m, r, &b, "x\n");
	m.size = 1001;
	is_int(smtp_message_start(&s, &m), -1, "size: refused locally");
	ok(m.status == SMTP_MSG_LOCAL && m.reply.code == 0 &&
	    strstr(m.reply.text, "1001") != NULL, "size: reason given");
	is_str(m.reply.enh, "5.3.4", "size: status 5.3.4 (too big) for the DSN");
	ok(s.out.len == 0 && smtp_want(&s) == SMTP_WANT_MESSAGE,
	    "size: nothing sent, still ready");
	m.size = 1000;
	is_int(smtp_message_start(&s, &m), 0, "size: at the limit is fine");
	smtp_free(&s);

	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "x\n");
	m.smtputf8 = true;
	is_int(smtp_message_start(&s, &m), -1, "utf8: refused when absent");
	ok(m.status == SMTP_MSG_LOCAL && s.out.len == 0, "utf8: nothing sent");
	is_str(m.reply.enh, "5.6.7", "utf8: status 5.6.7 for the DSN");
	m.smtputf8 = false;
	r[1].addr = "evil@example.org>\r\nRCPT TO:<x@y";
	is_int(smtp_message_start(&s, &m), -1, "CRLF in an address refused");
	smtp_free(&s);

	open_session(&s, &plain_params, EHLO_PIPE);
	msg_init(&m, r, &b, "x\n");
	m.smtputf8 = true;
	smtp_message_start(&s, &m);
	{
		static const char want[] = "MAIL FROM:<root@client.example> "
		    "SIZE=100 SMTPUTF8\r\n";

		ok(strncmp(take(&s), want, strlen(want)) == 0,
		    "utf8: SMTPUTF8 parameter when offered");
	}
	smtp_free(&s);
}

/* test_421 - a 421 at every stage closes at once, no QUIT */
static void
test_421(void)
{
	static const char *const prefix[] = {
		"",
		"220 mx\r\n",
		"220 mx\r\n250-mx\r\n250 STARTTLS\r\n",
		"220 mx\r\n" "250 mx\r\n" "@MSG",
		"220 mx\r\n" "250 mx\r\n" "@MSG" "250 ok\r\n",
		"220 mx\r\n" "250 mx\r\n" "@MSG" "250 ok\r\n250 ok\r\n"
		    "250 ok\r\n",
		"220 mx\r\n" "250 mx\r\n" "@MSG" "250 ok\r\n250 ok\r\n"
		    "250 ok\r\n354 go\r\n@BODY",
		"220 mx\r\n" "250 mx\r\n" "@MSG" "550 no\r\n",
	};
	static const enum smtp_state stage[] = {
		SMTP_S_GREETING, SMTP_S_EHLO, SMTP_S_STARTTLS, SMTP_S_MAIL,
		SMTP_S_RCPT, SMTP_S_DATA, SMTP_S_DATA_END, SMTP_S_RSET,
	};
	struct smtp_params	p = plain_params;
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;
	size_t			i;

	for (i = 0; i < sizeof(stage) / sizeof(stage[0]); i++) {
		const char	*q = prefix[i], *at;

		p.starttls = i == 2;
		smtp_init(&s, &p);
		msg_init(&m, r, &b, "x\n");
		while (*q != '\0') {
			at = strchr(q, '@');
			smtp_feed(&s, q, at ? (size_t)(at - q) : strlen(q));
			(void)take(&s);
			if (at == NULL)
				break;
			if (strncmp(at, "@MSG", 4) == 0)
				smtp_message_start(&s, &m);
			else
				(void)pump(&s);
			(void)take(&s);
			q = at + (at[1] == 'M' ? 4 : 5);
		}
		if (!is_int(s.state, stage[i], "421: reached the stage"))
			continue;
		is_str(say(&s, "421 4.3.2 shutting down\r\n"), "",
		    "421: no QUIT after 421");
		ok(smtp_want(&s) == SMTP_WANT_CLOSE &&
		    s.failure.kind == SMTP_E_REPLY &&
		    s.failure.why.code == 421 && s.failure.stage == stage[i],
		    "421 in %s closes the session", smtp_state_name(stage[i]));
		if (stage[i] >= SMTP_S_MAIL && stage[i] <= SMTP_S_DATA_END)
			ok(m.status == SMTP_MSG_ABORTED && m.stage == stage[i] &&
			    m.reply.code == 421, "421 in %s aborts the message",
			    smtp_state_name(stage[i]));
		if (stage[i] == SMTP_S_RSET)
			ok(m.status == SMTP_MSG_REJECTED && m.stage ==
			    SMTP_S_MAIL, "421 in RSET keeps the MAIL verdict");
		smtp_free(&s);
	}
}

/* test_split_replies - multi-line replies split at every byte boundary */
static void
test_split_replies(void)
{
	static const char script[] =
	    "220-mx.example ESMTP\r\n220 second line\r\n"
	    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-AUTH PLAIN\r\n250 DSN\r\n";
	struct smtp_session	s;
	size_t			cut, n = strlen(script);
	int			good = 1;

	for (cut = 0; cut <= n; cut++) {
		smtp_init(&s, &plain_params);
		smtp_feed(&s, script, cut);
		smtp_feed(&s, script + cut, n - cut);
		if (smtp_want(&s) != SMTP_WANT_MESSAGE ||
		    s.caps.ext != (EHLO_PIPELINING | EHLO_SIZE | EHLO_AUTH |
		    EHLO_DSN) || s.caps.size != 1000 ||
		    strcmp(buf_cstr(&s.out), "EHLO client.example\r\n") != 0) {
			good = 0;
			diag("cut at %zu", cut);
		}
		smtp_free(&s);
	}
	ok(good, "greeting + EHLO split at every byte boundary");
	smtp_init(&s, &plain_params);
	for (cut = 0; cut < n; cut++)
		smtp_feed(&s, script + cut, 1);
	ok(smtp_want(&s) == SMTP_WANT_MESSAGE && s.caps.size == 1000,
	    "greeting + EHLO fed one byte at a time");
	smtp_free(&s);
}

/* test_garbage - protocol errors close the session */
static void
test_garbage(void)
{
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;
	char			*big;

	smtp_init(&s, &plain_params);
	is_str(say(&s, "HTTP/1.1 400 Bad Request\r\n"), "",
	    "garbage: nothing sent back");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE &&
	    s.failure.kind == SMTP_E_PROTOCOL &&
	    strstr(s.failure.why.text, "bad reply code") != NULL,
	    "garbage: protocol error with reason");
	smtp_free(&s);

	big = malloc(REPLY_BYTES_MAX + 100);
	memset(big, 'x', REPLY_BYTES_MAX + 100);
	memcpy(big, "220 ", 4);
	smtp_init(&s, &plain_params);
	smtp_feed(&s, big, REPLY_BYTES_MAX + 100);
	ok(smtp_want(&s) == SMTP_WANT_CLOSE &&
	    s.failure.kind == SMTP_E_PROTOCOL, "oversized reply: closed");
	smtp_free(&s);
	free(big);

	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "x\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250-ok\r\n251 changed\r\n");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE && m.status == SMTP_MSG_ABORTED &&
	    m.stage == SMTP_S_MAIL, "mismatched codes in MAIL abort it");
	smtp_free(&s);

	open_session(&s, &plain_params, EHLO_PLAIN);
	(void)say(&s, "250 unsolicited\r\n");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE &&
	    s.failure.kind == SMTP_E_PROTOCOL, "unsolicited reply: closed");
	smtp_free(&s);
}

/* test_many - several messages, RSET after a failure only */
static void
test_many(void)
{
	static const struct step two[] = {
		{ NULL, "MAIL FROM:<root@client.example>\r\n", -1, -1,
		    "many: message 2, MAIL" },
		{ "250 ok\r\n", "RCPT TO:<one@example.org>\r\n", -1, -1,
		    "many: message 2, first RCPT" },
		{ "550 no\r\n", "RCPT TO:<two@example.org>\r\n", -1, -1,
		    "many: message 2, second RCPT" },
		{ "550 no\r\n", "RSET\r\n", -1, SMTP_S_RSET,
		    "many: no recipient, RSET instead of DATA" },
		{ "250 ok\r\n", "", SMTP_WANT_MESSAGE, -1,
		    "many: message 2, RSET answered" },
	}, three[] = {
		{ NULL, "MAIL FROM:<root@client.example>\r\n", -1, -1,
		    "many: message 3, MAIL" },
		{ "250 ok\r\n", "RCPT TO:<one@example.org>\r\n", -1, -1,
		    "many: message 3, first RCPT" },
		{ "250 ok\r\n", "RCPT TO:<two@example.org>\r\n", -1, -1,
		    "many: message 3, second RCPT" },
		{ "250 ok\r\n", "DATA\r\n", -1, SMTP_S_DATA,
		    "many: message 3, DATA" },
		{ "554 5.7.1 no DATA\r\n", "RSET\r\n", -1, SMTP_S_RSET,
		    "many: DATA refused, RSET" },
		{ "250 ok\r\n", "", SMTP_WANT_MESSAGE, -1,
		    "many: message 3, RSET answered" },
	};
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "one\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	is_str(say(&s, "451 4.3.0 try later\r\n"), "RSET\r\n",
	    "many: MAIL 451, RSET");
	is_int(smtp_stage_timeout(s.state), SMTP_T_RSET, "many: rset timeout");
	is_str(say(&s, "250 ok\r\n"), "", "many: RSET ok");
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_MAIL &&
	    m.reply.code == 451 && !r[0].replied,
	    "many: message 1 refused at MAIL, recipients untouched");

	msg_init(&m, r, &b, "two\n");
	smtp_message_start(&s, &m);
	dialogue(&s, two, NSTEPS(two));
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_RCPT &&
	    b.calls == 0, "many: message 2 refused at RCPT, body unread");

	msg_init(&m, r, &b, "three\n");
	smtp_message_start(&s, &m);
	dialogue(&s, three, NSTEPS(three));
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_DATA &&
	    m.naccepted == 2, "many: message 3 refused at DATA");

	msg_init(&m, r, &b, "four\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	(void)pump(&s);
	is_str(say(&s, "552 5.3.4 too big\r\n"), "RSET\r\n",
	    "many: end of data refused, RSET");
	(void)say(&s, "250 ok\r\n");
	ok(m.status == SMTP_MSG_REJECTED && m.stage == SMTP_S_DATA_END &&
	    m.reply.code == 552, "many: message 4 refused at end of data");

	msg_init(&m, r, &b, "five\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	(void)pump(&s);
	(void)say(&s, "250 ok\r\n");
	msg_init(&m, r, &b, "six\n");
	smtp_message_start(&s, &m);
	is_str(take(&s), "MAIL FROM:<root@client.example>\r\n",
	    "many: MAIL directly after a success");
	is_int((long long)s.messages, 6, "many: six messages on one session");
	smtp_free(&s);
}

/* test_io_and_body_errors - caller-reported I/O failure, reader failure */
static void
test_io_and_body_errors(void)
{
	struct smtp_session	s;
	struct smtp_message	m;
	struct smtp_rcpt	r[2];
	struct body		b;

	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "x\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250 ok\r\n");
	smtp_io_error(&s, "timeout after 300s reading reply to RCPT");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE && s.failure.kind == SMTP_E_IO &&
	    s.failure.stage == SMTP_S_RCPT && m.status == SMTP_MSG_ABORTED &&
	    m.stage == SMTP_S_RCPT, "io: timeout in RCPT aborts");
	smtp_free(&s);

	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "x\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "354 go\r\n");
	b.fail = 1;
	smtp_body_pump(&s);
	ok(smtp_want(&s) == SMTP_WANT_CLOSE && s.out.len == 0 &&
	    s.failure.kind == SMTP_E_LOCAL && m.status == SMTP_MSG_ABORTED &&
	    m.stage == SMTP_S_BODY, "body read error: closed without '.'");
	smtp_free(&s);

	/* a small body and its "." leave in one write */
	open_session(&s, &plain_params, EHLO_PLAIN);
	msg_init(&m, r, &b, "x\n.y\n");
	smtp_message_start(&s, &m);
	(void)take(&s);
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "250 ok\r\n");
	(void)say(&s, "354 go\r\n");
	smtp_body_pump(&s);
	is_str(buf_cstr(&s.out), "x\r\n..y\r\n.\r\n",
	    "small body: one pump gives the body and the final dot");
	ok(s.state == SMTP_S_DATA_END, "small body: then waits for the verdict");
	smtp_free(&s);

	open_session(&s, &plain_params, EHLO_PLAIN);
	smtp_quit(&s);
	(void)take(&s);
	smtp_io_error(&s, "connection reset");
	ok(smtp_want(&s) == SMTP_WANT_CLOSE && s.failure.kind == SMTP_E_NONE,
	    "io: a reset after QUIT is no failure");
	smtp_free(&s);
}

/* test_tables - names and timeouts */
static void
test_tables(void)
{
	struct buf	b;
	int		st, good = 1;

	for (st = 0; st < SMTP_S_NSTATES; st++)
		if (smtp_state_name(st) == NULL ||
		    strcmp(smtp_state_name(st), "?") == 0)
			good = 0;
	ok(good, "every state has a name");
	is_str(smtp_state_name(SMTP_S_DATA_END), "DATA_END", "state name");
	is_str(smtp_timeout_name(smtp_stage_timeout(SMTP_S_HELO)), "ehlo",
	    "HELO uses the ehlo timeout");
	is_str(smtp_timeout_name(smtp_stage_timeout(SMTP_S_BODY)),
	    "data_block", "BODY uses data_block");
	is_int(smtp_stage_timeout(SMTP_S_READY), SMTP_T_NONE,
	    "READY has no server timeout");
	buf_init(&b, 100);
	ok(smtp_xtext_encode("a+b=c d\x01\xc3", &b) == 0, "xtext encodes");
	is_str(buf_cstr(&b), "a+2Bb+3Dc+20d+01+C3", "xtext form");
	buf_free(&b);
}

int
main(void)
{
	test_plain_session();
	test_pipelined();
	test_pipelined_none();
	test_helo();
	test_starttls();
	test_auth();
	test_local_refusals();
	test_measure();
	test_downgrade();
	test_421();
	test_split_replies();
	test_garbage();
	test_many();
	test_io_and_body_errors();
	test_tables();
	return done_testing();
}
