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
 * The command builders are smtp_cmd.c; a message's checks, size and body
 * pump are smtp_msg.c, which drives this file (never the other way).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base64.h"
#include "log.h"
#include "smtp_int.h"
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
void
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
void
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

/* smtp_enter - go to st and write its command */
void
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

/*
 * smtp_data_reply - the reply to DATA (354: the body follows) or to the
 * end of the data (the message's verdict)
 */
static void
smtp_data_reply(struct smtp_session *s, const struct reply *r)
{
	int	cls = r->code / 100;

	if (s->state == SMTP_S_DATA) {
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
		return;
	}
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
	case SMTP_S_DATA_END:
		smtp_data_reply(s, r);
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
