/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver_dsn.c - one delivery status notification (RFC 3464) to a
 * message's sender, for the recipients deliver.c chose: each one's
 * address, ORCPT, action, status, remote MTA and diagnostic from its
 * retry state, the report's fields (RET, ENVID), and the commit to new/
 * (queue_commit_message; the text is bounce.c's).
 *
 * Decides nothing: whom to bounce or warn, and when, is deliver.c's
 * policy.  Never bounces to anyone but the original sender.  Calls
 * deliver_body.c's xtext decoding only among the deliver*.c files.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounce.h"
#include "deliver.h"
#include "deliver_priv.h"
#include "log.h"
#include "util.h"

#define DELIVER_ERR_MAX		1024

struct deliver_bounce_arg {
	const struct bounce_info *info;
	const struct bounce_rcpt *rcpts;
	size_t		 n;
	int		 fd;
	struct buf	*err;
};

/* deliver_bounce_produce - queue_commit_message's producer */
static int
deliver_bounce_produce(void *arg, int (*write_fn)(void *, const void *,
    size_t), void *ctx)
{
	struct deliver_bounce_arg *a = arg;

	return bounce_generate(a->info, a->rcpts, a->n, a->fd, write_fn, ctx,
	    a->err);
}

/* the DSN's per-recipient fields, built by deliver_dsn_rcpt */
struct deliver_dsn {
	struct bounce_rcpt	*br;
	char			(*orcpt)[SPOOL_ORCPT_MAX + 1];
	char			(*diag)[WHY_TEXT_MAX + 32];
	char			(*status)[16];
	size_t			 n;
	bool			 headers_only;	/* RET=HDRS whatever asked */
};

/*
 * deliver_dsn_rcpt - d->br[d->n] for recipient i of m: address, ORCPT,
 * action, status, remote MTA, diagnostic (RFC 3464), from its state
 */
static void
deliver_dsn_rcpt(struct deliver_ctx *ctx, struct queue_msg *m, size_t i,
    bool delayed, const char *relay_host, struct deliver_dsn *d)
{
	const struct spool_rcpt_status *rs = spool_state_rcpt(&m->state, i);
	struct bounce_rcpt	*br = &d->br[d->n];
	char			*orcpt = d->orcpt[d->n];
	char			*diag = d->diag[d->n];
	char			*status = d->status[d->n];
	const char		*semi;

	br->addr = m->env.rcpts[i].addr;
	if (m->env.rcpts[i].orcpt != NULL &&
	    (semi = strchr(m->env.rcpts[i].orcpt, ';')) != NULL) {
		int k = snprintf(orcpt, sizeof(d->orcpt[0]), "%.*s;",
		    (int)(semi - m->env.rcpts[i].orcpt),
		    m->env.rcpts[i].orcpt);

		if (k > 0 && (size_t)k < sizeof(d->orcpt[0]))
			deliver_xtext_decode(semi + 1, orcpt + k,
			    sizeof(d->orcpt[0]) - (size_t)k);
		br->orcpt = orcpt;
	}
	br->action = delayed ? "delayed" : "failed";
	/*
	 * X.3.4: refused for its size (before sending or by the
	 * server); X.6.3: 8-bit data the relay cannot take and that
	 * cannot be converted: the whole message back would be
	 * refused too, so only its header section goes back
	 */
	if (rs != NULL && strlen(rs->enh) == 5 &&
	    (strcmp(rs->enh + 1, ".3.4") == 0 ||
	    strcmp(rs->enh + 1, ".6.3") == 0))
		d->headers_only = true;
	if (rs != NULL && rs->enh[0] != '\0')
		(void)snprintf(status, sizeof(d->status[0]), "%s", rs->enh);
	else
		(void)snprintf(status, sizeof(d->status[0]), "5.0.0");
	status[0] = delayed ? '4' : '5';
	br->status = status;
	br->remote_mta = rs != NULL && rs->code != 0 ? relay_host : NULL;
	if (rs != NULL && rs->code != 0)
		(void)snprintf(diag, sizeof(d->diag[0]), "smtp; %u%s%s %s",
		    rs->code, rs->enh[0] ? " " : "", rs->enh, rs->text);
	else
		(void)snprintf(diag, sizeof(d->diag[0]), "%s",
		    rs != NULL && rs->text[0] ? rs->text : delayed ?
		    "not delivered yet" : "delivery failed");
	br->diagnostic = diag;
	br->last_attempt = (time_t)ctx->now;
	d->n++;
}

/*
 * deliver_dsn_info - the DSN's per-message fields (bounce.h); envid
 * (envidsize bytes) holds the decoded ENVID
 */
static void
deliver_dsn_info(struct deliver_ctx *ctx, struct queue_msg *m,
    const struct deliver_dsn *d, bool delayed, const char *summary,
    char *envid, size_t envidsize, struct bounce_info *info)
{
	memset(info, 0, sizeof(*info));
	info->reporting_mta = ctx->conf->hostname;
	info->domain = ctx->conf->domain;
	info->orig_sender = m->env.sender;
	info->envid = m->env.envid != NULL ?
	    deliver_xtext_decode(m->env.envid, envid, envidsize) : NULL;
	info->queue_id = m->qid.s;
	info->arrival = (time_t)m->env.arrival;
	/* a warning returns the header only: the message is still ours */
	info->ret_full = m->env.ret != ENVELOPE_RET_HDRS &&
	    !d->headers_only && !delayed;
	info->delayed = delayed;
	info->reason_summary = summary;
	info->max_return_size = DELIVER_RETURN_MAX;
}

/*
 * deliver_dsn_commit - the DSN (info, d) to m's sender, committed to
 * new/ by queue_commit_message.  Returns 0, or -1 (logged, the cause in
 * why) when it could not be queued.
 */
static int
deliver_dsn_commit(struct deliver_ctx *ctx, struct queue_msg *m,
    const struct bounce_info *info, const struct deliver_dsn *d,
    bool delayed, char *why, size_t whysize)
{
	struct deliver_bounce_arg a;
	struct envelope		 env;
	struct buf		 err;
	int			 rc = -1;

	buf_init(&err, DELIVER_ERR_MAX);
	envelope_init(&env);
	if (lseek(m->fd, m->body_offset, SEEK_SET) == -1) {
		log_warn("%s: seek for the bounce", m->qid.s);
		(void)snprintf(why, whysize, "seek in the queue file: %s",
		    strerror(errno));
		goto out;
	}
	if (envelope_set_sender(&env, "") == -1 ||
	    envelope_add_rcpt(&env, m->env.sender, 0, NULL) == -1) {
		log_warnx("%s: sender <%s> cannot receive a bounce", m->qid.s,
		    m->env.sender);
		(void)snprintf(why, whysize, "the sender <%s> cannot receive "
		    "a bounce", m->env.sender);
		goto out;
	}
	/*
	 * The bounce needs SMTPUTF8 only when its own envelope does: its one
	 * recipient, the original sender, is UTF-8.  A UTF-8 recipient of the
	 * original only appears inside the report (message/global-delivery-
	 * status, RFC 6533), which an 8BITMIME server carries; flagging the
	 * bounce like the original would make the relay that refused the
	 * original for lacking SMTPUTF8 refuse the bounce too, and a null-
	 * sender message that fails is dropped: the sender would never know.
	 */
	if (addr_is_utf8(m->env.sender))
		env.flags |= ENVELOPE_F_SMTPUTF8;
	a.info = info;
	a.rcpts = d->br;
	a.n = d->n;
	a.fd = m->fd;
	a.err = &err;
	if (queue_commit_message(ctx->queue, &env, deliver_bounce_produce, &a,
	    &err) == -1) {
		log_error("%s: cannot queue the bounce to <%s>: %s", m->qid.s,
		    m->env.sender, buf_cstr(&err));
		(void)snprintf(why, whysize, "%s", buf_cstr(&err));
		goto out;
	}
	log_info("%s: sender %s notification: %s", m->qid.s, delayed ?
	    "delay" : "non-delivery", env.qid.s);
	rc = 0;
out:
	envelope_free(&env);
	buf_free(&err);
	return rc;
}

/*
 * deliver_bounce - queue one DSN to m's sender for the recipients whose
 * index is flagged in which[]: their fields, the message's, the commit.
 * Returns 0 (nothing flagged: nothing queued), or -1 (logged, the cause
 * in why) when it could not be queued.
 */
int
deliver_bounce(struct deliver_ctx *ctx, struct queue_msg *m,
    const bool *which, bool delayed, const char *relay_host,
    const char *summary, char *why, size_t whysize)
{
	struct deliver_dsn	d;
	struct bounce_info	info;
	char			envid[SPOOL_ENVID_MAX + 1];
	size_t			i;
	int			rc = 0;

	memset(&d, 0, sizeof(d));
	d.br = xcalloc(m->env.nrcpts, sizeof(*d.br));
	d.orcpt = xcalloc(m->env.nrcpts, sizeof(*d.orcpt));
	d.diag = xcalloc(m->env.nrcpts, sizeof(*d.diag));
	d.status = xcalloc(m->env.nrcpts, sizeof(*d.status));
	for (i = 0; i < m->env.nrcpts; i++)
		if (which[i])
			deliver_dsn_rcpt(ctx, m, i, delayed, relay_host, &d);
	if (d.n > 0) {
		deliver_dsn_info(ctx, m, &d, delayed, summary, envid,
		    sizeof(envid), &info);
		rc = deliver_dsn_commit(ctx, m, &info, &d, delayed, why,
		    whysize);
	}
	free(d.br);
	free(d.orcpt);
	free(d.diag);
	free(d.status);
	return rc;
}
