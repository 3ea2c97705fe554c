/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_smtp.c - the agent's own SMTP machine (smtp.c) over conn.c,
 * tls.c and auth.c, driven one phase at a time so that check_steps.c
 * can time and judge each phase: one deadline per stage as session.c
 * sets it (capped by --timeout), the AUTH plug-in that notes what the
 * server offered, and the bounded QUIT at the end.
 *
 * Never reports a step (check_steps.c does), never prints, never holds
 * a secret beyond auth.c's session.  RFCs 5321, 4954.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "check_int.h"
#include "conn.h"
#include "session.h"
#include "smtp.h"
#include "util.h"

/* check_secs - the configured timeout for a state, capped by --timeout */
static uint64_t
check_secs(const struct check_conn *cc, enum smtp_state st)
{
	uint64_t	t = session_stage_timeout(&cc->ck->conf, st);

	return t == 0 || t > cc->ck->cap ? cc->ck->cap : t;
}

/* check_cap - a timeout in seconds, capped by --timeout */
uint64_t
check_cap(const struct check *ck, uint64_t t)
{
	return t == 0 || t > ck->cap ? ck->cap : t;
}

/*
 * check_run - write what the machine has to say and feed it the replies
 * while its state is in mask and it waits for the server.  Returns when
 * it leaves mask, wants TLS or a message, or is over.
 */
void
check_run(struct check_conn *cc, unsigned mask)
{
	struct smtp_session	*s = &cc->smtp;
	char			 rbuf[CHECK_READ_MAX];
	char			 text[WHY_TEXT_MAX];
	struct why		 why;
	uint64_t		 secs = 0;
	ssize_t			 n;
	int64_t			 deadline = 0;
	enum smtp_state		 stage = s->state;
	bool			 armed = false;

	for (;;) {
		/* one deadline per stage, fixed when it starts (session.c) */
		if (!armed || s->state != stage) {
			stage = s->state;
			secs = check_secs(cc, s->state);
			deadline = now_ms() + (int64_t)secs * 1000;
			armed = true;
		}
		if (s->out.len > 0) {
			why_clear(&why);
			if (conn_write_all(cc->conn, s->out.data, s->out.len,
			    deadline, &why) == -1) {
				smtp_output_done(s);
				smtp_io_error(s, why.text);
				continue;
			}
			smtp_output_done(s);
		}
		if (!(mask & CHECK_BIT(s->state)) ||
		    smtp_want(s) != SMTP_WANT_READ)
			return;
		why_clear(&why);
		n = conn_read(cc->conn, rbuf, sizeof(rbuf), deadline, &why);
		if (n > 0) {
			smtp_feed(s, rbuf, (size_t)n);
			continue;
		}
		cc->io_errno = n == 0 ? 0 : errno;
		if (n == 0)
			(void)snprintf(text, sizeof(text), "the server closed "
			    "the connection while we waited for the reply "
			    "to %s", smtp_state_name(s->state));
		else if (errno == ETIMEDOUT)
			(void)snprintf(text, sizeof(text), "no reply to %s "
			    "within %llus", smtp_state_name(s->state),
			    (unsigned long long)secs);
		else
			(void)snprintf(text, sizeof(text), "%s", why.text);
		smtp_io_error(s, text);
	}
}

/* check_over - the machine has ended the session (a failure is recorded) */
bool
check_over(const struct check_conn *cc)
{
	return cc->smtp.state == SMTP_S_QUIT ||
	    cc->smtp.state == SMTP_S_CLOSED;
}

/* check_last_reply - "CODE text" of the last complete reply, or "" */
void
check_last_reply(const struct check_conn *cc, char *out, size_t size)
{
	const struct reply_parser	*p = &cc->smtp.parser;
	char				 text[WHY_TEXT_MAX];

	out[0] = '\0';
	if (p->status != REPLY_COMPLETE)
		return;
	reply_text_oneline(&p->reply, text, sizeof(text));
	(void)snprintf(out, size, "%d%s%s %s", p->reply.code,
	    p->reply.enh[0] ? " " : "", p->reply.enh, text);
}

/* check_failure - "CODE ENH text" of the machine's failure */
void
check_failure(const struct check_conn *cc, char *out, size_t size)
{
	const struct smtp_failure	*f = &cc->smtp.failure;

	if (f->kind == SMTP_E_REPLY)
		(void)snprintf(out, size, "%d%s%s %s", f->why.code,
		    f->why.enh[0] ? " " : "", f->why.enh, f->why.text);
	else
		(void)snprintf(out, size, "%s", f->why.text);
}

/* check_auth_start - the machine's AUTH plug-in: note what is offered */
int
check_auth_start(void *arg, const char *offered, const char **mech,
    struct buf *initial, bool *has_initial, struct why *why)
{
	struct check_conn	*cc = arg;
	const char		*cand[AUTH_MECHS_MAX];
	size_t			 n, i;

	(void)str_copy(cc->offered, offered, sizeof(cc->offered));
	cc->candidates[0] = '\0';
	auth_free(cc->auth);
	if ((cc->auth = auth_new(cc->r, cc->smtp.tls, why)) == NULL)
		return -1;
	n = auth_candidates(cc->auth, offered, cand, ARRAY_SIZE(cand));
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)str_append(cc->candidates, " ",
			    sizeof(cc->candidates));
		(void)str_append(cc->candidates, cand[i],
		    sizeof(cc->candidates));
	}
	if (auth_smtp_start(cc->auth, offered, mech, initial, has_initial,
	    why) == -1)
		return -1;
	(void)str_copy(cc->mech, *mech, sizeof(cc->mech));
	return 0;
}

/* check_auth_step - the machine's AUTH plug-in: answer a challenge */
int
check_auth_step(void *arg, const char *challenge, size_t clen,
    struct buf *response, struct why *why)
{
	struct check_conn	*cc = arg;

	return auth_smtp_step(cc->auth, challenge, clen, response, why);
}

/* check_conn_close - QUIT when possible (bounded), then free everything */
void
check_conn_close(struct check_conn *cc)
{
	if (cc->smtp_live && cc->conn != NULL) {
		if (cc->smtp.state == SMTP_S_READY)
			smtp_quit(&cc->smtp);
		if (cc->smtp.state == SMTP_S_QUIT)
			check_run(cc, CHECK_BIT(SMTP_S_QUIT));
	}
	if (cc->smtp_live)
		smtp_free(&cc->smtp);
	cc->smtp_live = false;
	auth_free(cc->auth);
	cc->auth = NULL;
	conn_close(cc->conn);
	cc->conn = NULL;
}
