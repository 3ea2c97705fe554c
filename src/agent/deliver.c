/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver.c - one message over one session, and the one temporary versus
 * permanent policy of postern (deliver.h has the table; Postfix
 * smtp_trouble.c is the model).
 *
 * Order of effects after a transaction, so that a crash or a full disk at
 * any point never loses: (1) every recipient's outcome goes into
 * state/QID (spool_state_write) - an accepted recipient is never sent to
 * again - except that a recipient whose DSN is still to be queued is
 * saved as deferred; (2) that DSN is committed to new/; (3) the state is
 * saved again with those recipients failed; (4) the queue file is
 * removed, moved to failed/, or rescheduled.  When every recipient was
 * accepted, (4) alone is the commit (see deliver_conclude).  If (2)
 * fails (a full disk) or a crash comes before (3), those recipients stay
 * deferred and are tried again, so the DSN is queued later: at worst
 * twice (a crash between (2) and (3)), never lost.  Never bounces a
 * null-sender message; never dies on one message.  The bytes sent (the
 * force_sender rewrite, the body reader) are deliver_body.c's and the
 * DSN's fields deliver_dsn.c's; the decisions stay here, in this file
 * alone.
 * RFCs 5321 (replies), 3461 (NOTIFY, RET, ENVID, ORCPT), 3464 (DSN).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "deliver_priv.h"
#include "dotstuff.h"
#include "io.h"
#include "log.h"
#include "session.h"
#include "util.h"

#define DELIVER_ERR_MAX		1024
#define DELIVER_LOG_MAX		1024

/* ---- the policy ---------------------------------------------------------- */

/* deliver_by_class - 2xx ok, 5xx perm, anything else temp */
static enum result
deliver_by_class(int code)
{
	if (code / 100 == 2)
		return RESULT_OK;
	if (code / 100 == 5)
		return RESULT_PERM;
	return RESULT_TEMP;
}

/* deliver_refusal - a refusal: 5xx perm, anything else (4xx, odd) temp */
static enum result
deliver_refusal(int code)
{
	return code / 100 == 5 ? RESULT_PERM : RESULT_TEMP;
}

/* deliver_classify - THE mapping to RESULT_OK / RESULT_TEMP / RESULT_PERM */
bool
deliver_classify(const struct smtp_message *m, const struct smtp_failure *f,
    struct deliver_verdict *out)
{
	const struct smtp_rcpt	*r;
	bool			 relay_fault = false;
	size_t			 i;
	enum smtp_msg_status	 st = m->status;

	if (st == SMTP_MSG_PENDING)
		st = SMTP_MSG_ABORTED;
	for (i = 0; i < m->nrcpts; i++) {
		r = &m->rcpts[i];
		out[i].why = r->replied ? r->reply : m->reply;
		switch (st) {
		case SMTP_MSG_SENT:
			/* refused recipients keep their own RCPT verdict */
			out[i].res = r->accepted ? RESULT_OK :
			    r->replied ? deliver_refusal(r->reply.code) :
			    RESULT_TEMP;
			if (r->accepted)
				out[i].why = m->reply;
			break;
		case SMTP_MSG_REJECTED:
			if (m->stage == SMTP_S_MAIL) {
				out[i].res = deliver_refusal(m->reply.code);
				out[i].why = m->reply;
			} else if (!r->replied) {
				out[i].res = RESULT_TEMP;
				out[i].why = m->reply;
			} else if (!r->accepted) {
				out[i].res = deliver_refusal(r->reply.code);
			} else if (m->stage == SMTP_S_DATA ||
			    m->stage == SMTP_S_DATA_END) {
				out[i].res = deliver_refusal(m->reply.code);
				out[i].why = m->reply;
			} else {
				/* accepted, refused elsewhere: unclear */
				out[i].res = RESULT_TEMP;
				out[i].why = m->reply;
			}
			break;
		case SMTP_MSG_LOCAL:
			out[i].res = RESULT_PERM;
			out[i].why = m->reply;
			break;
		case SMTP_MSG_ABORTED:
		default:
			/* a definitive 5xx to RCPT stands; all else waits */
			if (r->replied && !r->accepted &&
			    deliver_by_class(r->reply.code) == RESULT_PERM)
				out[i].res = RESULT_PERM;
			else {
				out[i].res = RESULT_TEMP;
				out[i].why = f != NULL && f->kind !=
				    SMTP_E_NONE ? f->why : m->reply;
			}
			break;
		}
	}
	if (st == SMTP_MSG_ABORTED && f != NULL && f->kind == SMTP_E_REPLY &&
	    f->why.code == 421)
		relay_fault = true;
	return relay_fault;
}

/* ---- helpers ------------------------------------------------------------- */

/* deliver_now_secs - wall clock with sub-second part */
static double
deliver_now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* deliver_notify_failure - the recipient wants a failure DSN */
static bool
deliver_notify_failure(const struct envelope_rcpt *r)
{
	return r->notify == 0 || (r->notify & ENVELOPE_NOTIFY_FAILURE);
}

/* deliver_reply_text - "250 2.0.0 text" */
static void
deliver_reply_text(const struct why *w, char *out, size_t outsize)
{
	if (w->code != 0)
		(void)snprintf(out, outsize, "%d%s%s %s", w->code,
		    w->enh[0] ? " " : "", w->enh, w->text);
	else
		(void)snprintf(out, outsize, "%s", w->text);
}

/* ---- outcomes ------------------------------------------------------------ */

/* deliver_log - one Postfix-style line for recipient i */
static void
deliver_log(struct queue_msg *m, size_t i, const struct session *s,
    double t_claim, double t_start, double t_setup, double t_end,
    const char *status, const struct why *why)
{
	char	reply[WHY_TEXT_MAX + 32], relay[CONN_PEER_MAX + 8];
	char	enh[16];
	double	arrival = (double)m->env.arrival;

	deliver_reply_text(why, reply, sizeof(reply));
	(void)snprintf(relay, sizeof(relay), "%s", s != NULL &&
	    s->peer[0] ? s->peer : "none");
	(void)snprintf(enh, sizeof(enh), "%s", why->enh[0] ? why->enh :
	    strcmp(status, "sent") == 0 ? "2.0.0" :
	    strcmp(status, "deferred") == 0 ? "4.0.0" : "5.0.0");
	log_info("%s: to=<%s>, relay=%s, delay=%.1f, delays=%.1f/%.1f/%.1f/"
	    "%.1f%s%s%s%s, dsn=%s, status=%s (%s)", m->qid.s,
	    m->env.rcpts[i].addr, relay, t_end - arrival,
	    t_claim > arrival ? t_claim - arrival : 0.0,
	    t_start > t_claim ? t_start - t_claim : 0.0, t_setup,
	    t_end > t_start ? t_end - t_start : 0.0,
	    s != NULL && s->tls_info[0] ? ", tls=" : "",
	    s != NULL ? s->tls_info : "",
	    s != NULL && s->auth_user[0] ? ", auth=" : "",
	    s != NULL ? s->auth_user : "", enh, status, reply);
}

/* deliver_persist - write the state; on failure log and return -1 */
static int
deliver_persist(struct deliver_ctx *ctx, struct queue_msg *m)
{
	struct buf	err;
	int		rc;

	buf_init(&err, DELIVER_ERR_MAX);
	rc = spool_state_write(ctx->queue->spool_dir, &m->qid, &m->state,
	    &err);
	if (rc == -1)
		log_error("%s: cannot save the retry state: %s", m->qid.s,
		    buf_cstr(&err));
	buf_free(&err);
	return rc;
}

/*
 * deliver_mark - set the state of every recipient flagged in which[],
 * keeping each one's reply (or TEXT)
 */
static void
deliver_mark(struct queue_msg *m, const bool *which,
    enum spool_rcpt_state st, const char *text)
{
	const struct spool_rcpt_status *rs;
	char	*keep;
	size_t	 i;

	for (i = 0; i < m->env.nrcpts; i++) {
		if (!which[i])
			continue;
		rs = spool_state_rcpt(&m->state, i);
		/* the text is copied first: set_rcpt frees the old one */
		keep = xstrdup(text != NULL ? text : rs != NULL ? rs->text :
		    "");
		(void)spool_state_set_rcpt(&m->state, i, st, rs != NULL ?
		    rs->code : 0, rs != NULL && rs->enh[0] != '\0' ? rs->enh :
		    NULL, keep);
		free(keep);
	}
}

/* deliver_left - recipients still pending or deferred */
static size_t
deliver_left(const struct queue_msg *m)
{
	const struct spool_rcpt_status *rs;
	size_t	i, n = 0;

	for (i = 0; i < m->env.nrcpts; i++) {
		rs = spool_state_rcpt(&m->state, i);
		if (rs == NULL || rs->state == SPOOL_RCPT_PENDING ||
		    rs->state == SPOOL_RCPT_DEFERRED)
			n++;
	}
	return n;
}

/* deliver_any_failed - some recipient failed for good */
static bool
deliver_any_failed(const struct queue_msg *m)
{
	const struct spool_rcpt_status *rs;
	size_t	i;

	for (i = 0; i < m->env.nrcpts; i++)
		if ((rs = spool_state_rcpt(&m->state, i)) != NULL &&
		    rs->state == SPOOL_RCPT_FAILED)
			return true;
	return false;
}

/*
 * deliver_expire - when m is older than max_age, every pending or
 * deferred recipient fails with "4.4.7"; flags them in bounce[]; logs.
 * Returns the number expired.
 */
static size_t
deliver_expire(struct deliver_ctx *ctx, struct queue_msg *m, bool *bounce)
{
	const struct spool_rcpt_status *rs;
	char	 age[32], text[WHY_TEXT_MAX];
	struct why why;
	size_t	 i, n = 0;
	double	 now = deliver_now_secs();

	if (!queue_expired(m->env.arrival, ctx->conf->max_age, ctx->now))
		return 0;
	(void)snprintf(text, sizeof(text), "message expired after %s in the "
	    "queue; last error: %s", format_duration(ctx->now -
	    m->env.arrival, age, sizeof(age)), m->state.last_error != NULL ?
	    m->state.last_error : "none");
	why_set(&why, 0, "4.4.7", "%s", text);
	for (i = 0; i < m->env.nrcpts; i++) {
		rs = spool_state_rcpt(&m->state, i);
		if (rs != NULL && rs->state != SPOOL_RCPT_PENDING &&
		    rs->state != SPOOL_RCPT_DEFERRED)
			continue;
		if (spool_state_set_rcpt(&m->state, i, SPOOL_RCPT_FAILED, 0,
		    "4.4.7", text) == -1)
			continue;
		bounce[i] = deliver_notify_failure(&m->env.rcpts[i]);
		deliver_log(m, i, NULL, now, now, 0, now, "expired", &why);
		n++;
	}
	return n;
}

/*
 * deliver_delay_warning - delay_warning: m has waited that long since its
 * arrival and recipients still wait: queue one DSN (Action: delayed) for
 * those whose NOTIFY allows it, once per message (state D, saved before
 * anything else is done with m; a warning that cannot be queued is tried
 * again at the next attempt).  Never for a null sender.
 */
static void
deliver_delay_warning(struct deliver_ctx *ctx, struct queue_msg *m,
    const char *relay_host)
{
	const struct spool_rcpt_status *rs;
	char	 why[WHY_TEXT_MAX], summary[WHY_TEXT_MAX + 64];
	bool	*which, any = false;
	size_t	 i;

	if (ctx->conf->delay_warning == 0 || m->state.delay_warned != 0 ||
	    m->env.sender[0] == '\0' ||
	    ctx->now < m->env.arrival + ctx->conf->delay_warning)
		return;
	which = xcalloc(m->env.nrcpts, sizeof(*which));
	for (i = 0; i < m->env.nrcpts; i++) {
		rs = spool_state_rcpt(&m->state, i);
		which[i] = (rs == NULL || rs->state == SPOOL_RCPT_PENDING ||
		    rs->state == SPOOL_RCPT_DEFERRED) &&
		    (m->env.rcpts[i].notify == 0 ||
		    (m->env.rcpts[i].notify & ENVELOPE_NOTIFY_DELAY));
		any = any || which[i];
	}
	if (any) {
		(void)snprintf(summary, sizeof(summary), "%s",
		    m->state.last_error != NULL ? m->state.last_error : "");
		if (deliver_bounce(ctx, m, which, true, relay_host,
		    summary[0] ? summary : NULL, why, sizeof(why)) == -1)
			log_warnx("%s: the delay warning could not be queued "
			    "(tried again at the next attempt): %s", m->qid.s,
			    why);
		else {
			m->state.delay_warned = ctx->now;
			if (deliver_persist(ctx, m) == -1)
				log_warnx("%s: the delay warning was sent but "
				    "not recorded: it may be sent again",
				    m->qid.s);
		}
	}
	free(which);
}

/*
 * deliver_conclude - after the outcomes are in m->state (not yet
 * written): expiry, persist, bounce, then remove / fail / reschedule.
 * newly_failed[] flags recipients that need a DSN; relay_fault means do
 * not push the next attempt (another relay is tried now).
 */
static void
deliver_conclude(struct deliver_ctx *ctx, struct queue_msg *m,
    bool *newly_failed, bool relay_fault, const char *relay_host)
{
	size_t	 i, left;
	bool	 any = false;
	char	 summary[WHY_TEXT_MAX + 64], why[WHY_TEXT_MAX];
	char	 text[WHY_TEXT_MAX + 32];

	if (!relay_fault)
		(void)deliver_expire(ctx, m, newly_failed);
	left = deliver_left(m);
	if (left > 0 && !relay_fault)
		m->state.next_attempt = ctx->now + queue_backoff(
		    ctx->conf->retry_min, ctx->conf->retry_max,
		    m->state.attempts, queue_random());
	/*
	 * Every recipient accepted, none failed: removing the file (unlink,
	 * fsync of cur/) is the commit, so the state is not written first.
	 * A crash before the removal is durable resends the message either
	 * way (with a state written first, the window is the time until the
	 * state is durable, which is no shorter); writing it would cost two
	 * more fsyncs per message.  Recipients marked sent in an earlier
	 * state stay marked until the file is gone.  When the file cannot be
	 * removed, the outcomes are saved as usual below.
	 */
	if (left == 0 && !deliver_any_failed(m) &&
	    queue_finish_sent(ctx->queue, &m->qid) == 0) {
		log_info("%s: removed", m->qid.s);
		return;
	}
	/* who gets a DSN; never for a null sender */
	for (i = 0; i < m->env.nrcpts; i++)
		any = any || newly_failed[i];
	if (any && m->env.sender[0] == '\0') {
		log_info("%s: no bounce: the sender is null (a bounce is never "
		    "bounced)", m->qid.s);
		any = false;
	}
	/*
	 * (1) the outcomes first.  A recipient that waits for its DSN is
	 * saved as deferred (with the server's reply) until the DSN is
	 * queued: a crash, or a DSN that cannot be written (a full disk),
	 * then means another attempt and another DSN, never a lost one.
	 */
	if (any)
		deliver_mark(m, newly_failed, SPOOL_RCPT_DEFERRED, NULL);
	if (deliver_persist(ctx, m) == -1) {
		/* the old state stands: nothing else may act on it */
		queue_schedule(ctx->queue, &m->qid, ctx->now +
		    ctx->conf->retry_min);
		return;
	}
	if (any) {
		(void)snprintf(summary, sizeof(summary), "%s",
		    m->state.last_error != NULL ? m->state.last_error : "");
		/* (2) the DSN */
		if (deliver_bounce(ctx, m, newly_failed, false, relay_host,
		    summary[0] ? summary : NULL, why, sizeof(why)) == -1) {
			/* saved as deferred: tried again, bounced later */
			(void)snprintf(text, sizeof(text), "bounce could not "
			    "be queued: %s", why);
			deliver_mark(m, newly_failed, SPOOL_RCPT_DEFERRED,
			    text);
			spool_state_set_error(&m->state, text);
			log_warnx("%s: the refused recipients stay deferred; "
			    "the bounce is queued after the next attempt",
			    m->qid.s);
			m->state.next_attempt = ctx->now +
			    ctx->conf->retry_min;
			(void)deliver_persist(ctx, m);
			queue_schedule(ctx->queue, &m->qid,
			    m->state.next_attempt);
			return;
		}
		/* (3) the DSN is queued: now they failed for good */
		deliver_mark(m, newly_failed, SPOOL_RCPT_FAILED, NULL);
		if (deliver_persist(ctx, m) == -1) {
			/* still deferred on disk: the DSN may come twice */
			queue_schedule(ctx->queue, &m->qid, ctx->now +
			    ctx->conf->retry_min);
			return;
		}
	}
	/* (4) the file */
	if (deliver_left(m) > 0) {
		deliver_delay_warning(ctx, m, relay_host);
		queue_schedule(ctx->queue, &m->qid, m->state.next_attempt);
		return;
	}
	if (deliver_any_failed(m)) {
		if (queue_finish_failed(ctx->queue, &m->qid) == 0)
			log_info("%s: moved to failed/", m->qid.s);
	} else {
		if (queue_finish_sent(ctx->queue, &m->qid) == 0)
			log_info("%s: removed", m->qid.s);
	}
}

/* deliver_settle - finish or expire before any session */
bool
deliver_settle(struct deliver_ctx *ctx, struct queue_msg *m)
{
	bool	*bounce;
	bool	 settled = false;

	bounce = xcalloc(m->env.nrcpts, sizeof(*bounce));
	if (deliver_left(m) == 0 ||
	    queue_expired(m->env.arrival, ctx->conf->max_age, ctx->now)) {
		deliver_conclude(ctx, m, bounce, false, NULL);
		settled = true;
	}
	free(bounce);
	return settled;
}

/* ---- the transaction ----------------------------------------------------
 * deliver_message reads as the data path of one message once the agent
 * has claimed it (queue_claim) and opened a session (session_open):
 * deliver_pending (the recipients still to try), deliver_sender (a
 * relay's force_sender), deliver_envelope (MAIL and RCPT parameters,
 * SIZE), deliver_data (the transaction), deliver_outcome (the policy's
 * verdicts into the state, one log line per recipient), then
 * deliver_conclude (persist, bounce, remove / fail / reschedule).
 */

/* one transaction of deliver_message, step by step */
struct deliver_txn {
	struct smtp_message	 sm;
	struct smtp_rcpt	*rcpts;		/* the recipients tried now */
	char			**orcpts;	/* their ORCPT, decoded */
	size_t			*map;		/* rcpts[k]: envelope map[k] */
	size_t			 n;
	struct deliver_verdict	*v;		/* v[k]: rcpts[k]'s verdict */
	bool			*newly_failed;	/* by envelope index */
	struct smtp_failure	 failure;
	struct deliver_reader	 rd;
	struct buf		 hdr;		/* the header section read */
	struct why		 refused;	/* not sent (code 0: none) */
	const char		*sender;
	off_t			 end;		/* of the message in the file */
	double			 t_claim, t_start, t_end;
	char			 envid[SPOOL_ENVID_MAX + 1];
};

/*
 * deliver_pending - t for m: the recipients without a final outcome
 * (never one twice), their ORCPT decoded; the clock of the claim
 */
static void
deliver_pending(struct deliver_txn *t, struct queue_msg *m)
{
	const struct spool_rcpt_status *rs;
	size_t	i;

	memset(t, 0, sizeof(*t));
	t->t_claim = deliver_now_secs();
	why_clear(&t->refused);
	buf_init(&t->rd.head, DELIVER_HEADER_MAX + 2 * SPOOL_ADDR_MAX);
	buf_init(&t->hdr, DELIVER_HEADER_MAX);
	t->rcpts = xcalloc(m->env.nrcpts, sizeof(*t->rcpts));
	t->orcpts = xcalloc(m->env.nrcpts, sizeof(*t->orcpts));
	t->map = xcalloc(m->env.nrcpts, sizeof(*t->map));
	t->v = xcalloc(m->env.nrcpts, sizeof(*t->v));
	t->newly_failed = xcalloc(m->env.nrcpts, sizeof(*t->newly_failed));
	for (i = 0; i < m->env.nrcpts; i++) {
		rs = spool_state_rcpt(&m->state, i);
		if (rs != NULL && (rs->state == SPOOL_RCPT_SENT ||
		    rs->state == SPOOL_RCPT_FAILED))
			continue;	/* never twice */
		t->rcpts[t->n].addr = m->env.rcpts[i].addr;
		t->rcpts[t->n].notify = m->env.rcpts[i].notify;
		t->rcpts[t->n].orcpt = NULL;
		if (m->env.rcpts[i].orcpt != NULL) {
			/* the spool keeps xtext; the machine encodes it */
			t->orcpts[t->n] = xmalloc(SPOOL_ORCPT_MAX + 1);
			t->rcpts[t->n].orcpt = deliver_xtext_decode(
			    m->env.rcpts[i].orcpt, t->orcpts[t->n],
			    SPOOL_ORCPT_MAX + 1);
		}
		t->map[t->n++] = i;
	}
	t->sender = m->env.sender;
	t->end = m->body_offset + (off_t)m->env.size;
}

/*
 * deliver_sender - force_sender: the relay only accepts its user as the
 * sender; the From: and Sender: fields are rewritten into t->rd.head,
 * or the message is refused here (t->refused) when they cannot be
 */
static void
deliver_sender(struct deliver_txn *t, const struct conf_relay *relay,
    struct queue_msg *m)
{
	if (!relay->force_sender || relay->user == NULL ||
	    strchr(relay->user, '@') == NULL || t->sender[0] == '\0')
		return;
	t->sender = relay->user;
	/* never send a From: or Sender: that was not rewritten */
	if (deliver_read_header(m->fd, m->body_offset, t->end,
	    &t->hdr) == -1) {
		if (errno == EFBIG)
			why_set(&t->refused, 554, "5.3.4", "header section "
			    "over %d bytes: force_sender cannot "
			    "rewrite its From: and Sender: fields",
			    DELIVER_HEADER_MAX);
		else
			why_set(&t->refused, 451, "4.3.0", "header section "
			    "unreadable (%s): force_sender cannot "
			    "rewrite it", strerror(errno));
		buf_reset(&t->hdr);
	} else if (deliver_rewrite_from(t->hdr.data != NULL ? t->hdr.data :
	    "", t->hdr.len, relay->user, &t->rd.head) == -1) {
		why_set(&t->refused, 554, "5.3.4", "header section too "
		    "large for force_sender to rewrite its From: and "
		    "Sender: fields");
		buf_reset(&t->rd.head);
		buf_reset(&t->hdr);
	}
}

/*
 * deliver_envelope - the transaction as the machine takes it: sender,
 * recipients, SMTPUTF8, RET, ENVID, BODY (8BITMIME: looked for when the
 * submitter did not say), the body reader, and SIZE= by a dry run
 */
static void
deliver_envelope(struct deliver_txn *t, struct session *s,
    struct queue_msg *m)
{
	struct smtp_message	*sm = &t->sm;
	bool			 has8;

	t->rd.fd = m->fd;
	t->rd.pos = m->body_offset + (off_t)t->hdr.len;
	t->rd.end = t->end;
	sm->sender = t->sender;
	sm->rcpts = t->rcpts;
	sm->nrcpts = t->n;
	sm->smtputf8 = (m->env.flags & ENVELOPE_F_SMTPUTF8) != 0;
	sm->size = m->env.size + t->rd.head.len - t->hdr.len;
	sm->ret = m->env.ret == ENVELOPE_RET_FULL ? SMTP_RET_FULL :
	    m->env.ret == ENVELOPE_RET_HDRS ? SMTP_RET_HDRS : SMTP_RET_NONE;
	sm->envid = NULL;
	if (m->env.envid != NULL)
		sm->envid = deliver_xtext_decode(m->env.envid, t->envid,
		    sizeof(t->envid));
	/*
	 * 8BITMIME: the B record when the submitter gave one; otherwise
	 * the front end could not know (it streams the body), so look.
	 */
	if (m->env.body == ENVELOPE_BODY_8BITMIME)
		sm->body = SMTP_BODY_8BITMIME;
	else if (m->env.body == ENVELOPE_BODY_7BIT)
		sm->body = SMTP_BODY_7BIT;
	else if (deliver_scan_8bit(m->fd, m->body_offset, t->end,
	    &has8) == 0)
		sm->body = has8 ? SMTP_BODY_8BITMIME : SMTP_BODY_7BIT;
	else
		sm->body = SMTP_BODY_8BITMIME;
	sm->read = deliver_read;
	sm->read_arg = &t->rd;
	/* SIZE= is the wire size (RFC 1870), found by a dry run */
	if (smtp_message_measure(&s->smtp, sm) == -1)
		log_warn("%s: measure the message for SIZE=: read the queue "
		    "file", m->qid.s);
	t->rd.head_off = 0;
	t->rd.pos = m->body_offset + (off_t)t->hdr.len;
}

/*
 * deliver_data - the transaction over s (or, refused here, none: 5xx
 * fails the message, 4xx defers it), timed; what the machine changed
 * on the way is logged
 */
static void
deliver_data(struct deliver_txn *t, struct session *s, struct queue_msg *m)
{
	struct smtp_message	*sm = &t->sm;

	t->t_start = deliver_now_secs();
	if (t->refused.code != 0) {
		/* nothing sent: 5xx fails the message, 4xx defers it */
		log_warnx("%s: not sent: %s", m->qid.s, t->refused.text);
		memset(&t->failure, 0, sizeof(t->failure));
		sm->status = t->refused.code >= 500 ? SMTP_MSG_LOCAL :
		    SMTP_MSG_ABORTED;
		sm->reply = t->refused;
	} else
		session_transact(s, sm, &t->failure);
	t->t_end = deliver_now_secs();
	if (sm->hdr_cut > 0)
		log_info("%s: %llu header lines split without white space "
		    "(a space was inserted)", m->qid.s,
		    (unsigned long long)sm->hdr_cut);
	if (sm->downgraded)
		log_info("%s: converted to 7 bit for a server without "
		    "8BITMIME (%lu parts made quoted-printable)", m->qid.s,
		    sm->converted);
	if (sm->lines_split > 0)
		log_info("%s: %llu body lines over %d octets split",
		    m->qid.s, (unsigned long long)sm->lines_split,
		    DOTSTUFF_LINE_MAX);
}

/*
 * deliver_outcome - the policy's verdicts (deliver_classify) into
 * m->state, one log line per recipient, the last error; returns true on
 * a relay fault (its reason in relay_why: the deferred recipients are
 * left to the next relay and the attempt does not count)
 */
static bool
deliver_outcome(struct deliver_ctx *ctx, struct deliver_txn *t,
    const struct session *s, struct queue_msg *m, struct why *relay_why)
{
	const char	*err_text = NULL, *status;
	enum spool_rcpt_state nst;
	struct deliver_verdict *v = t->v;
	size_t		 i, k;
	bool		 relay_fault;

	relay_fault = deliver_classify(&t->sm, &t->failure, v);
	if (!relay_fault) {
		m->state.attempts++;
		if (m->state.first_attempt == 0)
			m->state.first_attempt = ctx->now;
	}
	for (k = 0; k < t->n; k++) {
		i = t->map[k];
		switch (v[k].res) {
		case RESULT_OK:
			nst = SPOOL_RCPT_SENT;
			status = "sent";
			break;
		case RESULT_PERM:
			nst = SPOOL_RCPT_FAILED;
			status = "bounced";
			t->newly_failed[i] = deliver_notify_failure(
			    &m->env.rcpts[i]);
			break;
		case RESULT_TEMP:
		default:
			nst = SPOOL_RCPT_DEFERRED;
			status = "deferred";
			break;
		}
		if (relay_fault && nst == SPOOL_RCPT_DEFERRED)
			continue;	/* not the message's fault */
		if (nst != SPOOL_RCPT_SENT && err_text == NULL)
			err_text = v[k].why.text;
		(void)spool_state_set_rcpt(&m->state, i, nst,
		    v[k].why.code > 0 ? (unsigned)v[k].why.code : 0,
		    v[k].why.enh[0] ? v[k].why.enh : NULL, v[k].why.text);
		deliver_log(m, i, s, t->t_claim, t->t_start, s->messages <= 1 ?
		    s->setup_secs : 0.0, t->t_end, status, &v[k].why);
	}
	if (err_text != NULL) {
		char	text[WHY_TEXT_MAX + 32];

		for (k = 0; k < t->n; k++)
			if (v[k].res != RESULT_OK && v[k].why.text == err_text)
				break;
		deliver_reply_text(&v[k < t->n ? k : 0].why, text,
		    sizeof(text));
		spool_state_set_error(&m->state, text);
	}
	if (relay_fault)
		why_set(relay_why, t->failure.why.code, t->failure.why.enh,
		    "%s said %d%s%s %s", s->peer[0] ? s->peer :
		    s->relay->name, t->failure.why.code,
		    t->failure.why.enh[0] ? " " : "", t->failure.why.enh,
		    t->failure.why.text);
	return relay_fault;
}

/* deliver_txn_free - release t */
static void
deliver_txn_free(struct deliver_txn *t)
{
	size_t	k;

	buf_free(&t->rd.head);
	buf_free(&t->hdr);
	for (k = 0; k < t->n; k++)
		free(t->orcpts[k]);
	free(t->orcpts);
	free(t->rcpts);
	free(t->map);
	free(t->v);
	free(t->newly_failed);
}

/* deliver_message - one transaction and its consequences: the steps */
enum deliver_status
deliver_message(struct deliver_ctx *ctx, struct session *s,
    struct queue_msg *m, struct why *relay_why)
{
	struct deliver_txn	t;
	bool			relay_fault;

	deliver_pending(&t, m);
	deliver_sender(&t, s->relay, m);
	deliver_envelope(&t, s, m);
	deliver_data(&t, s, m);
	relay_fault = deliver_outcome(ctx, &t, s, m, relay_why);
	deliver_conclude(ctx, m, t.newly_failed, relay_fault, s->relay->host);
	deliver_txn_free(&t);
	return relay_fault ? DELIVER_RELAY_FAULT : DELIVER_DONE;
}
