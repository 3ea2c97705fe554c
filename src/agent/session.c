/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session.c - drive the SMTP client machine (smtp.c) over one connection
 * (conn.c) to one relay: greeting, EHLO, STARTTLS or implicit TLS, AUTH
 * (auth.c behind the machine's plug-in interface), transactions, QUIT.
 *
 * Every stage has one absolute deadline, fixed when it starts, from
 * [timeouts] (RFC 5321 4.5.3.2): a slow, silent or dribbling server
 * costs at most that long per stage, however it spaces its bytes (the
 * body gets SESSION_MIN_DATA_RATE more per byte sent).  The session
 * never sends a command in clear when TLS is required (the machine ends
 * it), never logs a secret (AUTH lines are marked secret by the
 * machine), and never judges an outcome: deliver.c does.  RFCs 5321,
 * 3207, 4954.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "oauth.h"
#include "log.h"
#include "session.h"
#include "tlsprobe.h"
#include "util.h"

/* session_init - closed */
void
session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
}

/* session_stage_timeout - seconds allowed for waiting in machine state st */
uint64_t
session_stage_timeout(const struct conf *c, enum smtp_state st)
{
	switch (smtp_stage_timeout(st)) {
	case SMTP_T_GREETING:	return c->t_greeting;
	case SMTP_T_EHLO:	return c->t_ehlo;
	case SMTP_T_STARTTLS:	return c->t_starttls;
	case SMTP_T_AUTH:	return c->t_auth;
	case SMTP_T_MAIL:	return c->t_mail;
	case SMTP_T_RCPT:	return c->t_rcpt;
	case SMTP_T_DATA:	return c->t_data;
	case SMTP_T_DATA_BLOCK:	return c->t_data_block;
	case SMTP_T_DATA_END:	return c->t_data_end;
	case SMTP_T_RSET:	return c->t_rset;
	case SMTP_T_QUIT:	return c->t_quit;
	case SMTP_T_NONE:
	default:		return c->t_ehlo;
	}
}

/*
 * session_deadline - the absolute deadline (now_ms() time) of the stage
 * the machine is in, fixed when the stage starts: when session_drive
 * starts (we are about to send a command) or when the machine changes
 * state.  Bytes from the server never push it back, so a server that
 * dribbles one byte a second cannot hold a stage beyond its [timeouts]
 * value (Postfix's smtp_per_request_deadline).  While the body is sent
 * session_drive extends it by SESSION_MIN_DATA_RATE per byte written.
 */
static int64_t
session_deadline(struct session *s)
{
	if (!s->stage_armed || s->stage_state != s->smtp.state) {
		s->stage_state = s->smtp.state;
		s->stage_deadline = now_ms() + (int64_t)session_stage_timeout(
		    s->conf, s->smtp.state) * 1000;
		s->stage_armed = true;
	}
	return s->stage_deadline;
}

/* session_auth_start - the machine's plug-in: pick a mechanism */
static int
session_auth_start(void *arg, const char *offered, const char **mech,
    struct buf *initial, bool *has_initial, struct why *why)
{
	struct session		*s = arg;

	auth_free(s->auth);
	s->auth = auth_new(s->relay, s->smtp.tls, why);
	if (s->auth == NULL)
		return -1;
	return auth_smtp_start(s->auth, offered, mech, initial, has_initial,
	    why);
}

/* session_auth_step - the machine's plug-in: answer a challenge */
static int
session_auth_step(void *arg, const char *challenge, size_t clen,
    struct buf *response, struct why *why)
{
	struct session	*s = arg;

	return auth_smtp_step(s->auth, challenge, clen, response, why);
}

/* session_tls_info - "TLS1.3/AES-256-GCM" for the log */
static void
session_tls_info(struct session *s)
{
	struct tls_peer_info	 info;
	struct tls_session	*t = conn_tls(s->conn);

	s->tls_info[0] = '\0';
	if (t == NULL)
		return;
	memset(&info, 0, sizeof(info));
	tls_peer_info(t, &info);
	(void)snprintf(s->tls_info, sizeof(s->tls_info), "%s/%s%s",
	    info.protocol, info.cipher, info.resumed ? "/resumed" : "");
	log_debug("%s: TLS %s, %s", s->peer, info.description,
	    info.verification);
	/* like Postfix's "Untrusted TLS connection": once per session */
	if (!info.verified)
		log_warnx("%s: TLS certificate %s: the connection is "
		    "encrypted but the server is not authenticated", s->peer,
		    info.verification);
}

/*
 * session_greeting_read - the read of the greeting when the relay is not
 * configured for implicit TLS; false for any other read (the caller
 * reads).  Nothing in TLSPROBE_WAIT_S: a second, brief connection tries
 * a TLS handshake (tlsprobe.c, as `postern check` does); when it
 * completes, the port wants implicit TLS: *n = -1, errno EPROTO, why
 * says so with the fix, long before the greeting timeout.  Otherwise
 * the wait goes on until the greeting's own deadline (*until, set at the
 * first call).
 */
static bool
session_greeting_read(struct session *s, char *buf, size_t size,
    int64_t *until, ssize_t *n, struct why *why)
{
	char	fix[WHY_TEXT_MAX];
	int64_t	probe_at;

	if (s->smtp.state != SMTP_S_GREETING ||
	    s->relay->tls == CONF_TLS_IMPLICIT || conn_tls(s->conn) != NULL)
		return false;
	if (*until == -1) {
		*until = session_deadline(s);
		probe_at = now_ms() + TLSPROBE_WAIT_S * 1000;
		if (probe_at < *until) {
			*n = conn_read(s->conn, buf, size, probe_at, why);
			if (*n != -1 || errno != ETIMEDOUT)
				return true;
			log_debug("%s: no greeting within %ds: is it an "
			    "implicit-TLS port?", s->peer, TLSPROBE_WAIT_S);
			if (tlsprobe_implicit(s->relay, NULL,
			    TLSPROBE_WAIT_S)) {
				why_set(why, 0, NULL, "no greeting from %s "
				    "within %ds, and the port completes a "
				    "TLS handshake: %s", s->peer,
				    TLSPROBE_WAIT_S, tlsprobe_fix_implicit(
				    s->relay->port, fix, sizeof(fix)));
				*n = -1;
				errno = EPROTO;
				return true;
			}
		}
	}
	*n = conn_read(s->conn, buf, size, *until, why);
	return true;
}

/*
 * session_drive - run the machine until it wants a message or is over.
 * I/O failures go to the machine (smtp_io_error), which records them.
 */
static void
session_drive(struct session *s)
{
	char		 rbuf[SESSION_READ_MAX];
	struct why	 why;
	ssize_t		 n;
	char		 text[WHY_TEXT_MAX];
	size_t		 sent;
	int64_t		 greet_until = -1;	/* the greeting's deadline */

	s->stage_armed = false;		/* a new stage: see session_deadline */
	for (;;) {
		if (s->smtp.out.len > 0) {
			why_clear(&why);
			sent = s->smtp.out.len;
			if (conn_write_all(s->conn, s->smtp.out.data,
			    s->smtp.out.len, session_deadline(s), &why) == -1) {
				smtp_output_done(&s->smtp);
				smtp_io_error(&s->smtp, why.text);
				continue;
			}
			smtp_output_done(&s->smtp);
			/* the body: the deadline grows with what was sent */
			if (s->smtp.state == SMTP_S_BODY)
				s->stage_deadline += (int64_t)(sent * 1000 /
				    SESSION_MIN_DATA_RATE);
		}
		switch (smtp_want(&s->smtp)) {
		case SMTP_WANT_READ:
			why_clear(&why);
			if (session_greeting_read(s, rbuf, sizeof(rbuf),
			    &greet_until, &n, &why))
				;	/* the greeting, with its probe */
			else
				n = conn_read(s->conn, rbuf, sizeof(rbuf),
				    session_deadline(s), &why);
			if (n > 0) {
				smtp_feed(&s->smtp, rbuf, (size_t)n);
				break;
			}
			if (n == -1 && errno == EPROTO)
				(void)snprintf(text, sizeof(text), "%s",
				    why.text);
			else if (n == 0)
				(void)snprintf(text, sizeof(text),
				    "connection closed by %s while waiting "
				    "for the reply to %s", s->peer,
				    smtp_state_name(s->smtp.state));
			else if (errno == ECANCELED)
				(void)snprintf(text, sizeof(text), "%s",
				    why.text);
			else if (errno == ETIMEDOUT)
				(void)snprintf(text, sizeof(text),
				    "timeout after %llus waiting for the "
				    "reply to %s from %s",
				    (unsigned long long)
				    session_stage_timeout(s->conf,
				    s->smtp.state),
				    smtp_state_name(s->smtp.state), s->peer);
			else
				(void)snprintf(text, sizeof(text), "%s",
				    why.text);
			smtp_io_error(&s->smtp, text);
			break;
		case SMTP_WANT_WRITE:
			smtp_body_pump(&s->smtp);
			break;
		case SMTP_WANT_TLS:
			why_clear(&why);
			if (conn_starttls(s->conn, s->tls_client,
			    now_ms() + (int64_t)s->conf->t_starttls * 1000,
			    &why) == -1) {
				smtp_io_error(&s->smtp, why.text);
				break;
			}
			session_tls_info(s);
			smtp_tls_done(&s->smtp);
			break;
		case SMTP_WANT_MESSAGE:
		case SMTP_WANT_CLOSE:
			return;
		}
	}
}

/* session_teardown - free everything, no QUIT */
static void
session_teardown(struct session *s)
{
	if (s->smtp_live)
		smtp_free(&s->smtp);
	s->smtp_live = false;
	auth_free(s->auth);
	s->auth = NULL;
	conn_close(s->conn);
	s->conn = NULL;
	s->messages = 0;
}

/*
 * session_open_once - connect and get ready; *token_refused says the
 * server refused the relay's built-in OAuth2 token
 */
static int
session_open_once(struct session *s, const struct conf *c,
    size_t relay_index, struct tls_client *tls_client, struct why *why,
    bool *token_refused)
{
	const struct conf_relay	*r = &c->relays[relay_index];
	struct smtp_params	 p;
	const char		*words;
	int64_t			 t0 = now_ms();

	session_teardown(s);
	s->conf = c;
	s->relay = r;
	s->relay_index = relay_index;
	s->tls_client = tls_client;
	s->tls_info[0] = '\0';
	(void)str_copy(s->auth_user, r->user != NULL ? r->user : "",
	    sizeof(s->auth_user));
	if (r->tls != CONF_TLS_NONE && tls_client == NULL) {
		why_set(why, 0, NULL, "relay %s: no TLS credentials", r->name);
		return -1;
	}
	s->conn = conn_connect(r->host, r->port, c->t_connect, why);
	if (s->conn == NULL)
		return -1;
	(void)str_copy(s->peer, conn_peer(s->conn), sizeof(s->peer));
	if (r->tls == CONF_TLS_IMPLICIT) {
		if (conn_starttls(s->conn, tls_client, now_ms() +
		    (int64_t)c->t_starttls * 1000, why) == -1) {
			session_teardown(s);
			return -1;
		}
		session_tls_info(s);
	}
	memset(&p, 0, sizeof(p));
	p.helo_name = c->hostname;
	p.tls_active = r->tls == CONF_TLS_IMPLICIT;
	p.starttls = r->tls == CONF_TLS_STARTTLS;
	s->auth_ops.start = session_auth_start;
	s->auth_ops.step = session_auth_step;
	s->auth_ops.arg = s;
	p.auth = r->user != NULL ? &s->auth_ops : NULL;
	p.allow_plaintext_auth = r->allow_plaintext_auth;
	smtp_init(&s->smtp, &p);
	s->smtp_live = true;
	session_drive(s);
	if (smtp_want(&s->smtp) != SMTP_WANT_MESSAGE) {
		const struct smtp_failure *f = &s->smtp.failure;

		if (f->kind == SMTP_E_REPLY && f->stage == SMTP_S_AUTH) {
			auth_explain(f->why.code, f->why.enh, f->why.text, why);
			*token_refused = r->oauth_flow != CONF_OAUTH_NONE &&
			    f->why.code >= 500;
			if (*token_refused && (words = oauth_auth_advice(
			    f->why.code, f->why.enh, f->why.text)) != NULL)
				why_set(why, f->why.code, f->why.enh, "%s "
				    "(server said: %d %s %s)", words,
				    f->why.code, f->why.enh, f->why.text);
		} else if (f->kind == SMTP_E_REPLY)
			why_set(why, f->why.code, f->why.enh, "%s said in "
			    "%s: %d %s%s%s", s->peer, smtp_state_name(f->stage),
			    f->why.code, f->why.enh, f->why.enh[0] ? " " : "",
			    f->why.text);
		else
			why_set(why, f->why.code, f->why.enh, "%s (in %s, %s)",
			    f->why.text, smtp_state_name(f->stage), s->peer);
		/* the machine may have a QUIT to send after a refusal */
		session_teardown(s);
		return -1;
	}
	s->opened_ms = now_ms();
	s->idle_since_ms = s->opened_ms;
	s->setup_secs = (double)(s->opened_ms - t0) / 1000.0;
	log_debug("%s: session ready%s%s%s%s", s->peer,
	    s->tls_info[0] ? ", tls=" : "", s->tls_info,
	    s->auth_user[0] ? ", auth=" : "", s->auth_user);
	return 0;
}

/*
 * session_open - connect and get ready; a built-in OAuth2 token the
 * server refuses (535 after XOAUTH2, or OAUTHBEARER's error challenge)
 * is dropped and fetched once more before the relay is called down
 */
int
session_open(struct session *s, const struct conf *c, size_t relay_index,
    struct tls_client *tls_client, struct why *why)
{
	bool	refused = false;

	if (session_open_once(s, c, relay_index, tls_client, why,
	    &refused) == 0)
		return 0;
	if (!refused)
		return -1;
	log_info("relay %s: the server refused the OAuth2 token (%s): "
	    "asking for a new one", c->relays[relay_index].name, why->text);
	oauth_drop(&c->relays[relay_index]);
	refused = false;
	return session_open_once(s, c, relay_index, tls_client, why,
	    &refused);
}

/* session_is_open - ready for a transaction */
bool
session_is_open(const struct session *s)
{
	return s->conn != NULL && s->smtp_live &&
	    smtp_want(&s->smtp) == SMTP_WANT_MESSAGE;
}

/* session_transact - one message */
void
session_transact(struct session *s, struct smtp_message *m,
    struct smtp_failure *failure)
{
	memset(failure, 0, sizeof(*failure));
	if (!session_is_open(s)) {
		m->status = SMTP_MSG_ABORTED;
		m->stage = SMTP_S_READY;
		why_set(&m->reply, 0, NULL, "session not open");
		failure->kind = SMTP_E_IO;
		failure->why = m->reply;
		return;
	}
	if (smtp_message_start(&s->smtp, m) == 0)
		session_drive(s);
	s->messages++;
	s->idle_since_ms = now_ms();
	if (smtp_want(&s->smtp) != SMTP_WANT_MESSAGE) {
		*failure = s->smtp.failure;
		if (m->status == SMTP_MSG_PENDING) {
			/* cannot happen: the machine marks it; be safe */
			m->status = SMTP_MSG_ABORTED;
			m->reply = failure->why;
		}
		session_teardown(s);
	}
}

/* session_close - QUIT and close */
void
session_close(struct session *s)
{
	if (session_is_open(s)) {
		smtp_quit(&s->smtp);
		session_drive(s);
		log_debug("%s: session closed after %u messages", s->peer,
		    s->messages);
	}
	session_teardown(s);
}

/* session_abort - close without QUIT */
void
session_abort(struct session *s)
{
	session_teardown(s);
}
