/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp.c - SMTP client state machine (RFC 5321), with ESMTP extensions
 * PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8
 * (RFC 6531), DSN (RFC 3461), ENHANCEDSTATUSCODES (RFC 2034), STARTTLS
 * (RFC 3207) and AUTH (RFC 4954).
 *
 * Owns: what to say and what a reply means for the next step.  Never
 * touches a socket, never decides temporary versus permanent, never logs
 * a credential (s->out_secret marks output that holds one).  Every state
 * change goes through smtp_set_state(); smtp_enter() writes a state's
 * command; smtp_on_reply() picks the next state.  Under PIPELINING the
 * MAIL/RCPT/DATA group goes out in one write and replies are matched with
 * a receive cursor (s->state, s->rcpt_recv) that trails the send cursor
 * (s->rcpt_send), as Postfix's smtp_loop does.  After a successful end of
 * data the next MAIL follows directly (RFC 5321 4.1.1.4: the transaction
 * state is already reset); after any failed transaction we send RSET.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base64.h"
#include "log.h"
#include "smtp.h"
#include "util.h"

static const char *const smtp_state_names[SMTP_S_NSTATES] = {
	[SMTP_S_GREETING] = "GREETING",
	[SMTP_S_EHLO] = "EHLO",
	[SMTP_S_HELO] = "HELO",
	[SMTP_S_STARTTLS] = "STARTTLS",
	[SMTP_S_TLS] = "TLS",
	[SMTP_S_AUTH] = "AUTH",
	[SMTP_S_READY] = "READY",
	[SMTP_S_MAIL] = "MAIL",
	[SMTP_S_RCPT] = "RCPT",
	[SMTP_S_DATA] = "DATA",
	[SMTP_S_BODY] = "BODY",
	[SMTP_S_DATA_END] = "DATA_END",
	[SMTP_S_RSET] = "RSET",
	[SMTP_S_QUIT] = "QUIT",
	[SMTP_S_CLOSED] = "CLOSED",
};

static void	smtp_enter(struct smtp_session *, enum smtp_state);

/* smtp_state_name - printable state */
const char *
smtp_state_name(enum smtp_state st)
{
	if ((unsigned)st >= SMTP_S_NSTATES)
		return "?";
	return smtp_state_names[st];
}

/* smtp_stage_timeout - which deadline applies while in st */
enum smtp_timeout
smtp_stage_timeout(enum smtp_state st)
{
	switch (st) {
	case SMTP_S_GREETING:
		return SMTP_T_GREETING;
	case SMTP_S_EHLO:
	case SMTP_S_HELO:
		return SMTP_T_EHLO;
	case SMTP_S_STARTTLS:
	case SMTP_S_TLS:
		return SMTP_T_STARTTLS;
	case SMTP_S_AUTH:
		return SMTP_T_AUTH;
	case SMTP_S_MAIL:
		return SMTP_T_MAIL;
	case SMTP_S_RCPT:
		return SMTP_T_RCPT;
	case SMTP_S_DATA:
		return SMTP_T_DATA;
	case SMTP_S_BODY:
		return SMTP_T_DATA_BLOCK;
	case SMTP_S_DATA_END:
		return SMTP_T_DATA_END;
	case SMTP_S_RSET:
		return SMTP_T_RSET;
	case SMTP_S_QUIT:
		return SMTP_T_QUIT;
	case SMTP_S_READY:
	case SMTP_S_CLOSED:
	case SMTP_S_NSTATES:
		return SMTP_T_NONE;
	}
	return SMTP_T_NONE;
}

/* smtp_timeout_name - conf key suffix of a timeout */
const char *
smtp_timeout_name(enum smtp_timeout t)
{
	static const char *const names[] = {
		[SMTP_T_NONE] = "none", [SMTP_T_GREETING] = "greeting",
		[SMTP_T_EHLO] = "ehlo", [SMTP_T_STARTTLS] = "starttls",
		[SMTP_T_AUTH] = "auth", [SMTP_T_MAIL] = "mail",
		[SMTP_T_RCPT] = "rcpt", [SMTP_T_DATA] = "data",
		[SMTP_T_DATA_BLOCK] = "data_block",
		[SMTP_T_DATA_END] = "data_end", [SMTP_T_RSET] = "rset",
		[SMTP_T_QUIT] = "quit",
	};

	if ((unsigned)t >= ARRAY_SIZE(names))
		return "?";
	return names[t];
}

/* smtp_set_state - the one place where the state changes */
static void
smtp_set_state(struct smtp_session *s, enum smtp_state st)
{
	log_debug("smtp: %s -> %s", smtp_state_name(s->state),
	    smtp_state_name(st));
	s->state = st;
}

/* smtp_wipe_buf - wipe a buffer that held a credential and empty it */
static void
smtp_wipe_buf(struct buf *b)
{
	if (b->data != NULL)
		wipe(b->data, b->cap);
	b->len = 0;
}

/* smtp_init - new session */
void
smtp_init(struct smtp_session *s, const struct smtp_params *p)
{
	memset(s, 0, sizeof(*s));
	s->params = *p;
	s->tls = p->tls_active;
	s->state = SMTP_S_GREETING;
	buf_init(&s->out, SMTP_OUT_MAX);
	buf_init(&s->mid, MIME7BIT_OUT_MAX(SMTP_BODY_CHUNK));
	buf_init(&s->auth_tmp, SMTP_AUTH_TOKEN_MAX);
	buf_init(&s->auth_pending, base64_encoded_len(SMTP_AUTH_TOKEN_MAX));
	reply_init(&s->parser);
	s->chunk = xmalloc(SMTP_BODY_CHUNK);
	log_debug("smtp: start in %s", smtp_state_name(s->state));
}

/* smtp_free - release storage */
void
smtp_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	smtp_wipe_buf(&s->out);
	smtp_wipe_buf(&s->auth_tmp);
	smtp_wipe_buf(&s->auth_pending);
	buf_free(&s->out);
	buf_free(&s->auth_tmp);
	buf_free(&s->auth_pending);
	reply_free(&s->parser);
	mime7bit_free(s->m7);
	s->m7 = NULL;
	buf_free(&s->mid);
	free(s->chunk);
	s->chunk = NULL;
	s->msg = NULL;
}

/* smtp_want - the caller's next job */
enum smtp_want
smtp_want(const struct smtp_session *s)
{
	switch (s->state) {
	case SMTP_S_READY:
		return SMTP_WANT_MESSAGE;
	case SMTP_S_TLS:
		return SMTP_WANT_TLS;
	case SMTP_S_BODY:
		return SMTP_WANT_WRITE;
	case SMTP_S_CLOSED:
	case SMTP_S_NSTATES:
		return SMTP_WANT_CLOSE;
	default:
		return SMTP_WANT_READ;
	}
}

/* smtp_output_done - the caller wrote s->out */
void
smtp_output_done(struct smtp_session *s)
{
	if (s->out_secret)
		smtp_wipe_buf(&s->out);
	buf_reset(&s->out);
	s->out_secret = false;
}

/* smtp_why_reply - a reply as a struct why */
static void
smtp_why_reply(struct why *w, const struct reply *r)
{
	char	text[WHY_TEXT_MAX];

	reply_text_oneline(r, text, sizeof(text));
	why_set(w, r->code, r->enh, "%s", text);
}

/*
 * smtp_fail - end the session.  A refusal by the server gets a polite
 * QUIT (RFC 5321 3.1, 4.1.1.10), except after 421, when the server is
 * already gone; protocol and I/O failures just close.
 */
static void
smtp_fail(struct smtp_session *s, enum smtp_error kind,
    const struct reply *r, const char *text)
{
	s->failure.kind = kind;
	s->failure.stage = s->state;
	if (r != NULL)
		smtp_why_reply(&s->failure.why, r);
	else
		why_set(&s->failure.why, 0, NULL, "%s", text);
	log_debug("smtp: session failed in %s: %s",
	    smtp_state_name(s->state), s->failure.why.text);
	if (s->msg != NULL && s->msg->status == SMTP_MSG_PENDING) {
		s->msg->status = SMTP_MSG_ABORTED;
		s->msg->stage = s->state;
		s->msg->reply = s->failure.why;
	}
	smtp_output_done(s);
	if ((kind == SMTP_E_REPLY || kind == SMTP_E_LOCAL) &&
	    (r == NULL || r->code != 421) && s->state != SMTP_S_QUIT &&
	    s->state != SMTP_S_BODY)
		smtp_enter(s, SMTP_S_QUIT);
	else
		smtp_set_state(s, SMTP_S_CLOSED);
}

/* smtp_put - append a command; a full buffer ends the session */
static void
smtp_putf(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
smtp_putf(struct smtp_session *s, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	if (rc == -1)
		fatal_errno(EX_SOFTWARE, "smtp: command too long for the "
		    "output buffer (%d bytes)", SMTP_OUT_MAX);
}

/* smtp_xtext_encode - RFC 3461 xtext */
int
smtp_xtext_encode(const char *str, struct buf *out)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)str; *p != '\0'; p++) {
		int	rc;

		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=')
			rc = buf_putc(out, *p);
		else
			rc = buf_printf(out, "+%02X", *p);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* smtp_put_xtext - append xtext or end the program on overflow */
static void
smtp_put_xtext(struct smtp_session *s, const char *str)
{
	if (smtp_xtext_encode(str, &s->out) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: xtext too long for the "
		    "output buffer");
}

/* smtp_clean - no control characters (command injection) */
static bool
smtp_clean(const char *str)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)str; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* smtp_put_mail - the MAIL command with its parameters */
static void
smtp_put_mail(struct smtp_session *s)
{
	struct smtp_message	*m = s->msg;

	smtp_putf(s, "MAIL FROM:<%s>", m->sender);
	if (s->caps.ext & EHLO_SIZE)
		smtp_putf(s, " SIZE=%llu", (unsigned long long)m->size);
	if (m->body == SMTP_BODY_8BITMIME && (s->caps.ext & EHLO_8BITMIME))
		smtp_putf(s, " BODY=8BITMIME");
	if (m->smtputf8)
		smtp_putf(s, " SMTPUTF8");
	if (s->caps.ext & EHLO_DSN) {
		if (m->ret == SMTP_RET_FULL)
			smtp_putf(s, " RET=FULL");
		else if (m->ret == SMTP_RET_HDRS)
			smtp_putf(s, " RET=HDRS");
		if (m->envid != NULL && m->envid[0] != '\0') {
			smtp_putf(s, " ENVID=");
			smtp_put_xtext(s, m->envid);
		}
	}
	smtp_putf(s, "\r\n");
}

/* smtp_put_rcpt - one RCPT command */
static void
smtp_put_rcpt(struct smtp_session *s, const struct smtp_rcpt *r)
{
	const char	*semi;

	smtp_putf(s, "RCPT TO:<%s>", r->addr);
	if (s->caps.ext & EHLO_DSN) {
		if (r->notify & SMTP_NOTIFY_NEVER)
			smtp_putf(s, " NOTIFY=NEVER");
		else if (r->notify != 0)
			smtp_putf(s, " NOTIFY=%s%s%s%s%s",
			    r->notify & SMTP_NOTIFY_SUCCESS ? "SUCCESS" : "",
			    (r->notify & SMTP_NOTIFY_SUCCESS) &&
			    (r->notify & (SMTP_NOTIFY_FAILURE |
			    SMTP_NOTIFY_DELAY)) ? "," : "",
			    r->notify & SMTP_NOTIFY_FAILURE ? "FAILURE" : "",
			    (r->notify & SMTP_NOTIFY_FAILURE) &&
			    (r->notify & SMTP_NOTIFY_DELAY) ? "," : "",
			    r->notify & SMTP_NOTIFY_DELAY ? "DELAY" : "");
		if (r->orcpt != NULL && r->orcpt[0] != '\0') {
			semi = strchr(r->orcpt, ';');
			if (semi != NULL && semi > r->orcpt) {
				smtp_putf(s, " ORCPT=%.*s;",
				    (int)(semi - r->orcpt), r->orcpt);
				smtp_put_xtext(s, semi + 1);
			} else {
				smtp_putf(s, " ORCPT=rfc822;");
				smtp_put_xtext(s, r->orcpt);
			}
		}
	}
	smtp_putf(s, "\r\n");
}

/* smtp_auth_begin - ask the plug-in for a mechanism and send AUTH */
static void
smtp_auth_begin(struct smtp_session *s)
{
	const char	*mech = NULL;
	bool		 has_initial = false;
	struct why	 why;
	size_t		 line;

	why_clear(&why);
	smtp_wipe_buf(&s->auth_tmp);
	smtp_wipe_buf(&s->auth_pending);
	s->auth_has_pending = false;
	s->auth_cancelled = false;
	s->auth_rounds = 0;
	if (s->params.auth->start(s->params.auth->arg, s->caps.auth, &mech,
	    &s->auth_tmp, &has_initial, &why) == -1 || mech == NULL ||
	    !smtp_clean(mech) || mech[0] == '\0') {
		smtp_wipe_buf(&s->auth_tmp);
		smtp_fail(s, SMTP_E_LOCAL, NULL, why.text[0] != '\0' ?
		    why.text : "authentication could not start");
		return;
	}
	if (has_initial && s->auth_tmp.len > 0 &&
	    base64_encode(s->auth_tmp.data, s->auth_tmp.len,
	    &s->auth_pending) == -1) {
		smtp_wipe_buf(&s->auth_tmp);
		smtp_fail(s, SMTP_E_LOCAL, NULL,
		    "authentication initial response too long");
		return;
	}
	smtp_wipe_buf(&s->auth_tmp);
	smtp_putf(s, "AUTH %s", mech);
	line = 5 + strlen(mech) + 1 + (s->auth_pending.len ?
	    s->auth_pending.len : 1) + 2;
	if (has_initial && line <= SMTP_AUTH_IR_LINE_MAX) {
		/* RFC 4954 4: an empty initial response is "=" */
		if (s->auth_pending.len == 0)
			smtp_putf(s, " =");
		else if (buf_putc(&s->out, ' ') == -1 ||
		    buf_append(&s->out, s->auth_pending.data,
		    s->auth_pending.len) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: AUTH line");
		s->out_secret = true;
		smtp_wipe_buf(&s->auth_pending);
	} else if (has_initial) {
		/* too long for one line: send it after the first 334 */
		s->auth_has_pending = true;
	}
	smtp_putf(s, "\r\n");
	log_debug("smtp: AUTH %s%s", mech,
	    has_initial ? " <redacted>" : "");
}

/* smtp_auth_cancel - RFC 4954 4: "*" aborts; the 501 that follows ends */
static void
smtp_auth_cancel(struct smtp_session *s, const char *text)
{
	smtp_wipe_buf(&s->auth_tmp);
	why_set(&s->auth_why, 0, NULL, "%s", text);
	s->auth_cancelled = true;
	smtp_putf(s, "*\r\n");
}

/* smtp_auth_reply - a reply while authenticating */
static void
smtp_auth_reply(struct smtp_session *s, const struct reply *r)
{
	const char	*text;
	size_t		 len = 0;
	struct why	 why;

	if (s->auth_cancelled) {
		smtp_fail(s, SMTP_E_LOCAL, NULL, s->auth_why.text);
		return;
	}
	if (r->code / 100 == 2) {
		s->authenticated = true;
		smtp_enter(s, SMTP_S_READY);
		return;
	}
	if (r->code != 334) {
		smtp_fail(s, SMTP_E_REPLY, r, NULL);
		return;
	}
	if (++s->auth_rounds > SMTP_AUTH_ROUNDS_MAX) {
		smtp_fail(s, SMTP_E_PROTOCOL, NULL,
		    "too many AUTH challenges from server");
		return;
	}
	s->out_secret = true;
	if (s->auth_has_pending) {
		if (buf_append(&s->out, s->auth_pending.data,
		    s->auth_pending.len) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: AUTH response");
		smtp_wipe_buf(&s->auth_pending);
		s->auth_has_pending = false;
		smtp_putf(s, "\r\n");
		return;
	}
	if ((text = reply_line(r, 0, &len)) == NULL)
		text = "";
	while (len > 0 && text[len - 1] == ' ')
		len--;
	smtp_wipe_buf(&s->auth_tmp);
	if (base64_decode(text, len, &s->auth_tmp) == -1) {
		smtp_auth_cancel(s, "server sent an AUTH challenge that is "
		    "not valid base64");
		return;
	}
	why_clear(&why);
	smtp_wipe_buf(&s->auth_pending);
	if (s->params.auth->step(s->params.auth->arg, s->auth_tmp.data ?
	    s->auth_tmp.data : "", s->auth_tmp.len, &s->auth_pending,
	    &why) == -1) {
		smtp_auth_cancel(s, why.text[0] != '\0' ? why.text :
		    "authentication step failed");
		return;
	}
	smtp_wipe_buf(&s->auth_tmp);
	if (base64_encode(s->auth_pending.data, s->auth_pending.len,
	    &s->out) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: AUTH response");
	smtp_wipe_buf(&s->auth_pending);
	smtp_putf(s, "\r\n");
}

/* smtp_after_hello - STARTTLS, AUTH or ready, per policy and caps */
static void
smtp_after_hello(struct smtp_session *s)
{
	if (s->params.starttls && !s->tls) {
		if (s->caps.ext & EHLO_STARTTLS)
			smtp_enter(s, SMTP_S_STARTTLS);
		else
			smtp_fail(s, SMTP_E_LOCAL, NULL, "server does not "
			    "offer STARTTLS but TLS is required; nothing "
			    "was sent (set tls = none only for a trusted "
			    "network)");
		return;
	}
	if (s->params.auth != NULL && !s->authenticated) {
		if (!s->tls && !s->params.allow_plaintext_auth)
			smtp_fail(s, SMTP_E_LOCAL, NULL, "refusing to "
			    "authenticate without TLS (enable TLS, or set "
			    "allow_plaintext_auth = yes)");
		else if (!(s->caps.ext & EHLO_AUTH) || s->caps.auth[0] == '\0')
			smtp_fail(s, SMTP_E_LOCAL, NULL, "server offers no "
			    "AUTH mechanism (check the port and TLS mode, or "
			    "remove the user from the relay)");
		else
			smtp_enter(s, SMTP_S_AUTH);
		return;
	}
	smtp_enter(s, SMTP_S_READY);
}

/*
 * smtp_downgrade - m's body must go converted to 7 bit: it is 8-bit and
 * the server did not offer 8BITMIME (RFC 6152 3)
 */
static bool
smtp_downgrade(const struct smtp_session *s, const struct smtp_message *m)
{
	return m->body == SMTP_BODY_8BITMIME &&
	    !(s->caps.ext & EHLO_8BITMIME);
}

/* smtp_enter - go to st and write its command */
static void
smtp_enter(struct smtp_session *s, enum smtp_state st)
{
	size_t	i;

	smtp_set_state(s, st);
	switch (st) {
	case SMTP_S_EHLO:
		smtp_putf(s, "EHLO %s\r\n", s->params.helo_name);
		break;
	case SMTP_S_HELO:
		smtp_putf(s, "HELO %s\r\n", s->params.helo_name);
		break;
	case SMTP_S_STARTTLS:
		smtp_putf(s, "STARTTLS\r\n");
		break;
	case SMTP_S_AUTH:
		smtp_auth_begin(s);
		break;
	case SMTP_S_READY:
		break;
	case SMTP_S_MAIL:
		smtp_put_mail(s);
		if (s->pipelining) {
			/* RFC 2920 3.1: the whole group in one write */
			for (i = 0; i < s->msg->nrcpts; i++)
				smtp_put_rcpt(s, &s->msg->rcpts[i]);
			s->rcpt_send = s->msg->nrcpts;
			smtp_putf(s, "DATA\r\n");
		}
		break;
	case SMTP_S_RCPT:
		smtp_put_rcpt(s, &s->msg->rcpts[s->rcpt_send++]);
		break;
	case SMTP_S_DATA:
		smtp_putf(s, "DATA\r\n");
		break;
	case SMTP_S_BODY:
		dotstuff_init(&s->ds);
		mime7bit_free(s->m7);
		s->m7 = smtp_downgrade(s, s->msg) ? mime7bit_new() : NULL;
		s->msg->downgraded = s->m7 != NULL;
		buf_reset(&s->mid);
		s->mid_off = 0;
		s->body_eof = false;
		break;
	case SMTP_S_DATA_END:
		break;
	case SMTP_S_RSET:
		smtp_putf(s, "RSET\r\n");
		break;
	case SMTP_S_QUIT:
		smtp_putf(s, "QUIT\r\n");
		break;
	case SMTP_S_GREETING:
	case SMTP_S_TLS:
	case SMTP_S_CLOSED:
		break;
	default:
		fatal_exit(EX_SOFTWARE, "smtp_enter: bad state %d", st);
	}
}

/* smtp_msg_reject - the transaction failed at stage with reply r */
static void
smtp_msg_reject(struct smtp_session *s, enum smtp_state stage,
    const struct reply *r)
{
	if (s->msg->status != SMTP_MSG_PENDING)
		return;		/* the first refusal is the one that counts */
	s->msg->status = SMTP_MSG_REJECTED;
	s->msg->stage = stage;
	smtp_why_reply(&s->msg->reply, r);
}

/* smtp_rcpt_reply - record a RCPT reply and move the cursors */
static void
smtp_rcpt_reply(struct smtp_session *s, const struct reply *r)
{
	struct smtp_message	*m = s->msg;
	struct smtp_rcpt	*rc = &m->rcpts[s->rcpt_recv++];

	rc->replied = true;
	rc->accepted = r->code / 100 == 2;
	smtp_why_reply(&rc->reply, r);
	if (rc->accepted)
		m->naccepted++;
	if (s->rcpt_recv < m->nrcpts) {
		if (!s->pipelining)
			smtp_enter(s, SMTP_S_RCPT);
		return;
	}
	/* every RCPT answered */
	if (m->naccepted == 0)
		smtp_msg_reject(s, SMTP_S_RCPT, r);
	if (m->probe) {
		/* postern check: the relay test ends here, nothing sent */
		if (m->naccepted > 0 && m->status == SMTP_MSG_PENDING) {
			m->status = SMTP_MSG_PROBED;
			m->stage = SMTP_S_RCPT;
			smtp_why_reply(&m->reply, r);
		}
		smtp_enter(s, SMTP_S_RSET);
	} else if (s->pipelining)
		smtp_set_state(s, SMTP_S_DATA);	/* DATA already sent */
	else if (m->naccepted > 0)
		smtp_enter(s, SMTP_S_DATA);
	else
		smtp_enter(s, SMTP_S_RSET);
}

/* smtp_on_reply - act on a reply */
void
smtp_on_reply(struct smtp_session *s, const struct reply *r)
{
	int	cls = r->code / 100;

	log_debug("smtp: reply %d in %s", r->code,
	    smtp_state_name(s->state));
	if (r->code == 421 && s->state != SMTP_S_QUIT &&
	    s->state != SMTP_S_CLOSED) {
		/* RFC 5321 3.8: the server is closing; say nothing more */
		smtp_fail(s, SMTP_E_REPLY, r, NULL);
		return;
	}
	switch (s->state) {
	case SMTP_S_GREETING:
		if (cls == 2)
			smtp_enter(s, SMTP_S_EHLO);
		else
			smtp_fail(s, SMTP_E_REPLY, r, NULL);
		break;
	case SMTP_S_EHLO:
		if (cls == 2) {
			char	names[256];

			ehlo_parse(&s->caps, r);
			s->esmtp = true;
			log_debug("smtp: capabilities: %s",
			    ehlo_names(&s->caps, names, sizeof(names)));
			smtp_after_hello(s);
		} else if (cls == 5) {
			smtp_enter(s, SMTP_S_HELO);	/* RFC 5321 4.1.4 */
		} else
			smtp_fail(s, SMTP_E_REPLY, r, NULL);
		break;
	case SMTP_S_HELO:
		if (cls == 2) {
			ehlo_clear(&s->caps);
			s->esmtp = false;
			smtp_after_hello(s);
		} else
			smtp_fail(s, SMTP_E_REPLY, r, NULL);
		break;
	case SMTP_S_STARTTLS:
		if (cls == 2)
			smtp_enter(s, SMTP_S_TLS);
		else
			smtp_fail(s, SMTP_E_REPLY, r, NULL);
		break;
	case SMTP_S_AUTH:
		smtp_auth_reply(s, r);
		break;
	case SMTP_S_MAIL:
		s->mail_ok = cls == 2;
		if (!s->mail_ok)
			smtp_msg_reject(s, SMTP_S_MAIL, r);
		if (s->pipelining)
			smtp_set_state(s, SMTP_S_RCPT);	/* already sent */
		else if (s->mail_ok)
			smtp_enter(s, SMTP_S_RCPT);
		else
			smtp_enter(s, SMTP_S_RSET);
		break;
	case SMTP_S_RCPT:
		smtp_rcpt_reply(s, r);
		break;
	case SMTP_S_DATA:
		if (r->code == 354 && s->mail_ok && s->msg->naccepted > 0) {
			smtp_enter(s, SMTP_S_BODY);
		} else if (cls == 3) {
			/*
			 * RFC 2920 3.1: the server accepted DATA although
			 * no recipient was: end the empty data at once
			 * and ignore the verdict (our status stands).
			 */
			smtp_msg_reject(s, SMTP_S_DATA, r);
			s->data_discard = true;
			smtp_putf(s, ".\r\n");
			smtp_set_state(s, SMTP_S_DATA_END);
		} else {
			smtp_msg_reject(s, SMTP_S_DATA, r);
			smtp_enter(s, SMTP_S_RSET);
		}
		break;
	case SMTP_S_DATA_END:
		if (s->data_discard) {
			s->data_discard = false;
			smtp_enter(s, SMTP_S_RSET);
		} else if (cls == 2) {
			s->msg->status = SMTP_MSG_SENT;
			s->msg->stage = SMTP_S_DATA_END;
			smtp_why_reply(&s->msg->reply, r);
			smtp_enter(s, SMTP_S_READY);
		} else {
			smtp_msg_reject(s, SMTP_S_DATA_END, r);
			smtp_enter(s, SMTP_S_RSET);
		}
		break;
	case SMTP_S_RSET:
		if (cls == 2)
			smtp_enter(s, SMTP_S_READY);
		else
			smtp_fail(s, SMTP_E_REPLY, r, NULL);
		break;
	case SMTP_S_QUIT:
		smtp_set_state(s, SMTP_S_CLOSED);
		break;
	case SMTP_S_TLS:
	case SMTP_S_READY:
	case SMTP_S_BODY:
	case SMTP_S_CLOSED:
		smtp_fail(s, SMTP_E_PROTOCOL, NULL,
		    "server sent a reply when none was due");
		break;
	default:
		fatal_exit(EX_SOFTWARE, "smtp_on_reply: bad state %d",
		    s->state);
	}
}

/* smtp_feed - bytes from the server */
void
smtp_feed(struct smtp_session *s, const char *data, size_t len)
{
	size_t	n;

	while (len > 0 && s->state != SMTP_S_CLOSED) {
		if (smtp_want(s) != SMTP_WANT_READ) {
			smtp_fail(s, SMTP_E_PROTOCOL, NULL,
			    s->state == SMTP_S_TLS ? "server sent data after "
			    "its STARTTLS reply (possible injection attack)" :
			    "server sent data when no reply was due");
			return;
		}
		n = reply_feed(&s->parser, data, len);
		data += n;
		len -= n;
		if (s->parser.status == REPLY_ERROR) {
			char	text[REPLY_REASON_MAX + 32];

			snprintf(text, sizeof(text), "protocol error: %s",
			    s->parser.reason);
			smtp_fail(s, SMTP_E_PROTOCOL, NULL, text);
			return;
		}
		if (s->parser.status == REPLY_COMPLETE)
			smtp_on_reply(s, &s->parser.reply);
	}
}

/* smtp_tls_done - handshake finished: forget everything, EHLO again */
void
smtp_tls_done(struct smtp_session *s)
{
	if (s->state != SMTP_S_TLS)
		fatal_exit(EX_SOFTWARE, "smtp_tls_done in state %s",
		    smtp_state_name(s->state));
	s->tls = true;
	ehlo_clear(&s->caps);		/* RFC 3207 4.2 */
	s->esmtp = false;
	reply_reset(&s->parser);
	smtp_enter(s, SMTP_S_EHLO);
}

/*
 * smtp_msg_local - refuse a message before sending anything; enh is the
 * RFC 3463 status for the DSN, or NULL
 */
static int
smtp_msg_local(struct smtp_message *m, const char *enh, const char *text)
{
	m->status = SMTP_MSG_LOCAL;
	m->stage = SMTP_S_MAIL;
	why_set(&m->reply, 0, enh, "%s", text);
	return -1;
}

/*
 * smtp_group_size - an upper bound of the pipelined MAIL/RCPT/DATA group;
 * a group too big for s->out is sent one command at a time instead.
 */
static size_t
smtp_group_size(const struct smtp_message *m)
{
	size_t	i, n = 128 + strlen(m->sender) +
	    (m->envid != NULL ? 3 * strlen(m->envid) : 0);

	for (i = 0; i < m->nrcpts && n <= SMTP_OUT_MAX; i++)
		n += 96 + strlen(m->rcpts[i].addr) + (m->rcpts[i].orcpt ?
		    3 * strlen(m->rcpts[i].orcpt) : 0);
	return n;
}

/* smtp_message_start - begin a transaction */
int
smtp_message_start(struct smtp_session *s, struct smtp_message *m)
{
	char	text[WHY_TEXT_MAX];
	size_t	i;

	if (s->state != SMTP_S_READY)
		fatal_exit(EX_SOFTWARE, "smtp_message_start in state %s",
		    smtp_state_name(s->state));
	m->status = SMTP_MSG_PENDING;
	m->stage = SMTP_S_READY;
	why_clear(&m->reply);
	m->naccepted = 0;
	m->body_8bit = false;
	m->lines_split = 0;
	m->hdr_cut = 0;
	m->downgraded = false;
	m->converted = 0;
	for (i = 0; i < m->nrcpts; i++) {
		m->rcpts[i].replied = false;
		m->rcpts[i].accepted = false;
		why_clear(&m->rcpts[i].reply);
	}
	if (m->nrcpts == 0)
		return smtp_msg_local(m, NULL, "message has no recipients");
	if (!smtp_clean(m->sender))
		return smtp_msg_local(m, NULL, "control character in sender");
	for (i = 0; i < m->nrcpts; i++)
		if (!smtp_clean(m->rcpts[i].addr))
			return smtp_msg_local(m, NULL,
			    "control character in recipient");
	if ((s->caps.ext & EHLO_SIZE) && s->caps.size > 0 &&
	    m->size > s->caps.size) {
		snprintf(text, sizeof(text), "message size %llu exceeds "
		    "the server's limit of %llu bytes",
		    (unsigned long long)m->size,
		    (unsigned long long)s->caps.size);
		return smtp_msg_local(m, "5.3.4", text);
	}
	if (m->smtputf8 && !(s->caps.ext & EHLO_SMTPUTF8))
		return smtp_msg_local(m, "5.6.7", "message needs SMTPUTF8 "
		    "(UTF-8 addresses) but the server does not offer it");
	if (smtp_downgrade(s, m) && m->unconvertible) {
		snprintf(text, sizeof(text), "message has 8-bit data the "
		    "relay cannot accept (no 8BITMIME) and it cannot be "
		    "converted: %s", m->unconvertible_why);
		return smtp_msg_local(m, "5.6.3", text);
	}
	s->msg = m;
	s->messages++;
	s->pipelining = !m->probe && (s->caps.ext & EHLO_PIPELINING) != 0 &&
	    smtp_group_size(m) <= SMTP_OUT_MAX;
	s->mail_ok = false;
	s->rcpt_send = 0;
	s->rcpt_recv = 0;
	s->data_discard = false;
	smtp_enter(s, SMTP_S_MAIL);
	return 0;
}

/* smtp_message_measure - the wire size, by a dry run of the conversion */
int
smtp_message_measure(struct smtp_session *s, struct smtp_message *m)
{
	struct dotstuff	 ds;
	struct mime7bit	*m7 = NULL;
	struct buf	 mid, scratch;
	uint64_t	 total = 0;
	ssize_t		 n;
	size_t		 off, k;
	int		 rc = -1;
	bool		 eof = false;
	const char	*why;

	m->unconvertible = false;
	m->unconvertible_why[0] = '\0';
	if (!(s->caps.ext & EHLO_SIZE) && !smtp_downgrade(s, m))
		return 0;	/* nothing to learn: no SIZE=, no conversion */
	buf_init(&mid, MIME7BIT_OUT_MAX(SMTP_BODY_CHUNK));
	buf_init(&scratch, DOTSTUFF_OUT_MAX(SMTP_BODY_CHUNK) +
	    DOTSTUFF_FINISH_MAX);
	dotstuff_init(&ds);
	if (smtp_downgrade(s, m))
		m7 = mime7bit_new();
	while (!eof) {
		n = m->read(m->read_arg, s->chunk, SMTP_BODY_CHUNK);
		if (n < 0)
			goto out;
		if ((size_t)n > SMTP_BODY_CHUNK)
			fatal_exit(EX_SOFTWARE, "smtp: body reader overran");
		eof = n == 0;
		if (m7 != NULL) {
			buf_reset(&mid);
			if ((eof ? mime7bit_finish(m7, &mid) :
			    mime7bit_feed(m7, s->chunk, (size_t)n, &mid)) == -1) {
				if ((why = mime7bit_reason(m7)) == NULL)
					fatal_errno(EX_SOFTWARE, "smtp: "
					    "conversion output");
				m->unconvertible = true;
				(void)snprintf(m->unconvertible_why,
				    sizeof(m->unconvertible_why), "%s", why);
				rc = 0;
				goto out;
			}
			for (off = 0; off < mid.len; off += k) {
				k = mid.len - off < SMTP_BODY_CHUNK ?
				    mid.len - off : SMTP_BODY_CHUNK;
				if (dotstuff_feed(&ds, mid.data + off, k,
				    &scratch) == -1)
					fatal_errno(EX_SOFTWARE,
					    "smtp: measure output");
				total += scratch.len;
				buf_reset(&scratch);
			}
		} else if (dotstuff_feed(&ds, s->chunk, (size_t)n,
		    &scratch) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: measure output");
		total += scratch.len;
		buf_reset(&scratch);
	}
	if (dotstuff_finish(&ds, &scratch) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: measure output");
	total += scratch.len;
	/* RFC 1870 4: without the stuffed dots and the final ".\r\n" */
	m->size = total - ds.stuffed - 3;
	rc = 0;
out:
	mime7bit_free(m7);
	buf_free(&mid);
	buf_free(&scratch);
	return rc;
}

/*
 * smtp_body_drain - converted bytes on to the dot-stuffer, a chunk at a
 * time, until s->out holds a chunk's worth; true when it does
 */
static bool
smtp_body_drain(struct smtp_session *s)
{
	size_t	k;

	while (s->mid_off < s->mid.len) {
		if (s->out.len >= SMTP_BODY_CHUNK)
			return true;
		k = s->mid.len - s->mid_off;
		if (k > SMTP_BODY_CHUNK)
			k = SMTP_BODY_CHUNK;
		if (dotstuff_feed(&s->ds, s->mid.data + s->mid_off, k,
		    &s->out) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: body output");
		s->mid_off += k;
	}
	return s->out.len >= SMTP_BODY_CHUNK;
}

/* smtp_body_convert_failed - the 7-bit conversion failed mid-body */
static void
smtp_body_convert_failed(struct smtp_session *s)
{
	char		 text[WHY_TEXT_MAX];
	const char	*why = mime7bit_reason(s->m7);

	if (why == NULL)
		fatal_errno(EX_SOFTWARE, "smtp: conversion output");
	snprintf(text, sizeof(text), "convert the message to 7 bit: %s",
	    why);
	smtp_fail(s, SMTP_E_LOCAL, NULL, text);
}

/* smtp_body_pump - more body for the wire */
void
smtp_body_pump(struct smtp_session *s)
{
	ssize_t	n;
	char	text[WHY_TEXT_MAX];

	if (s->state != SMTP_S_BODY)
		fatal_exit(EX_SOFTWARE, "smtp_body_pump in state %s",
		    smtp_state_name(s->state));
	/*
	 * Read until a chunk's worth of wire bytes is waiting or the body
	 * ends, so the final "." leaves in the same write (and TLS record) as
	 * the end of the body instead of in a packet of its own.
	 */
	for (;;) {
		if (smtp_body_drain(s))
			return;
		if (s->body_eof)
			break;
		n = s->msg->read(s->msg->read_arg, s->chunk, SMTP_BODY_CHUNK);
		if (n < 0) {
			snprintf(text, sizeof(text), "read message body: %s",
			    strerror(errno));
			smtp_fail(s, SMTP_E_LOCAL, NULL, text);
			return;
		}
		if ((size_t)n > SMTP_BODY_CHUNK)
			fatal_exit(EX_SOFTWARE, "smtp: body reader overran");
		s->body_eof = n == 0;
		if (s->m7 != NULL) {
			buf_reset(&s->mid);
			s->mid_off = 0;
			if ((s->body_eof ? mime7bit_finish(s->m7, &s->mid) :
			    mime7bit_feed(s->m7, s->chunk, (size_t)n,
			    &s->mid)) == -1) {
				smtp_body_convert_failed(s);
				return;
			}
		} else if (n > 0 && dotstuff_feed(&s->ds, s->chunk, (size_t)n,
		    &s->out) == -1)
			fatal_errno(EX_SOFTWARE, "smtp: body output");
	}
	if (dotstuff_finish(&s->ds, &s->out) == -1)
		fatal_errno(EX_SOFTWARE, "smtp: body output");
	if (s->m7 != NULL) {
		s->msg->converted = mime7bit_converted(s->m7);
		mime7bit_free(s->m7);
		s->m7 = NULL;
	}
	s->msg->body_8bit = s->ds.has_8bit;
	s->msg->lines_split = s->ds.lines_split;
	s->msg->hdr_cut = s->ds.hdr_cut;
	smtp_set_state(s, SMTP_S_DATA_END);
}

/* smtp_quit - polite end */
void
smtp_quit(struct smtp_session *s)
{
	if (s->state != SMTP_S_READY)
		fatal_exit(EX_SOFTWARE, "smtp_quit in state %s",
		    smtp_state_name(s->state));
	smtp_enter(s, SMTP_S_QUIT);
}

/* smtp_io_error - the connection failed under us */
void
smtp_io_error(struct smtp_session *s, const char *text)
{
	if (s->state == SMTP_S_QUIT || s->state == SMTP_S_CLOSED) {
		smtp_output_done(s);
		if (s->state != SMTP_S_CLOSED)
			smtp_set_state(s, SMTP_S_CLOSED);
		return;
	}
	smtp_fail(s, SMTP_E_IO, NULL, text);
}
