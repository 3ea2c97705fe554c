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
 * null-sender message; never dies on one message.
 * RFCs 5321 (replies), 3461 (NOTIFY, RET, ENVID, ORCPT), 3464 (DSN).
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

/* ---- helpers --------------------------------------------------------------- */

/* deliver_xtext_decode - "+XX" to bytes */
char *
deliver_xtext_decode(const char *x, char *out, size_t outsize)
{
	size_t	o = 0;
	unsigned v;

	if (outsize == 0)
		return out;
	while (*x != '\0' && o + 1 < outsize) {
		if (x[0] == '+' && x[1] != '\0' && x[2] != '\0' &&
		    sscanf(x + 1, "%2X", &v) == 1 && v > 0) {
			out[o++] = (char)v;
			x += 3;
		} else
			out[o++] = *x++;
	}
	out[o] = '\0';
	return out;
}

/* deliver_field_is - a header line that starts a field called name */
static bool
deliver_field_is(const char *p, size_t n, const char *name)
{
	size_t	i = strlen(name);

	if (n < i + 1 || !str_has_prefix_ci(p, name))
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* deliver_line_end - offset just past the line that starts at pos */
static size_t
deliver_line_end(const char *hdr, size_t len, size_t pos)
{
	while (pos < len && hdr[pos] != '\n')
		pos++;
	return pos < len ? pos + 1 : pos;
}

/*
 * deliver_rewrite_field - out gets the field hdr[fstart..fend) with its
 * address replaced by addr (see deliver_rewrite_from)
 */
static int
deliver_rewrite_field(const char *hdr, size_t fstart, size_t fend,
    const char *addr, struct buf *out)
{
	size_t	colon = fstart, i, lt = 0, gt = 0, nlt = 0, ngt = 0;
	bool	quoted = false, comma = false;

	while (hdr[colon] != ':')
		colon++;
	/* outside quoted strings: angle brackets and list commas */
	for (i = colon + 1; i < fend; i++) {
		if (hdr[i] == '\\' && quoted)
			i++;
		else if (hdr[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (hdr[i] == '<') {
			nlt++;
			lt = i;
		} else if (hdr[i] == '>') {
			ngt++;
			gt = i;
		} else if (hdr[i] == ',')
			comma = true;
	}
	if (buf_append(out, hdr + fstart, colon + 1 - fstart) == -1)
		return -1;
	if (nlt == 1 && ngt == 1 && lt < gt && !comma)
		return buf_append(out, hdr + colon + 1, lt + 1 - (colon + 1)) ==
		    -1 || buf_puts(out, addr) == -1 ||
		    buf_append(out, hdr + gt, fend - gt) == -1 ? -1 : 0;
	return buf_printf(out, " %s\n", addr) == -1 ? -1 : 0;
}

/* deliver_rewrite_from - every From: and Sender: address replaced */
int
deliver_rewrite_from(const char *hdr, size_t len, const char *addr,
    struct buf *out)
{
	size_t	pos = 0, eol, fend;
	int	rewritten = 0;

	while (pos < len) {
		eol = deliver_line_end(hdr, len, pos);
		if (!deliver_field_is(hdr + pos, eol - pos, "from") &&
		    !deliver_field_is(hdr + pos, eol - pos, "sender")) {
			if (buf_append(out, hdr + pos, eol - pos) == -1)
				return -1;
			pos = eol;
			continue;
		}
		/* the field runs on over continuation lines */
		fend = eol;
		while (fend < len && (hdr[fend] == ' ' || hdr[fend] == '\t'))
			fend = deliver_line_end(hdr, len, fend);
		if (deliver_rewrite_field(hdr, pos, fend, addr, out) == -1)
			return -1;
		rewritten = 1;
		pos = fend;
	}
	return rewritten;
}

/* the body reader handed to the SMTP machine */
struct deliver_reader {
	int		 fd;
	struct buf	 head;		/* rewritten header section, or empty */
	size_t		 head_off;
	off_t		 pos;		/* next file byte to read */
	off_t		 end;
};

/* deliver_read - the machine's body source: head buffer, then the file */
static ssize_t
deliver_read(void *arg, void *p, size_t n)
{
	struct deliver_reader	*r = arg;
	size_t			 k;
	ssize_t			 got;

	if (r->head_off < r->head.len) {
		k = r->head.len - r->head_off;
		if (k > n)
			k = n;
		memcpy(p, r->head.data + r->head_off, k);
		r->head_off += k;
		return (ssize_t)k;
	}
	if (r->pos >= r->end)
		return 0;
	if ((off_t)n > r->end - r->pos)
		n = (size_t)(r->end - r->pos);
	do
		got = pread(r->fd, p, n, r->pos);
	while (got == -1 && errno == EINTR);
	if (got == 0) {
		errno = EIO;	/* the file shrank under us */
		return -1;
	}
	if (got > 0)
		r->pos += got;
	return got;
}

/* deliver_scan_8bit - true when the message body holds a byte >= 0x80 */
static int
deliver_scan_8bit(int fd, off_t from, off_t end, bool *has8)
{
	char	 chunk[DELIVER_CHUNK];
	ssize_t	 got;
	size_t	 n;

	*has8 = false;
	while (from < end) {
		n = sizeof(chunk);
		if ((off_t)n > end - from)
			n = (size_t)(end - from);
		got = pread(fd, chunk, n, from);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (dotstuff_has_8bit(chunk, (size_t)got)) {
			*has8 = true;
			return 0;
		}
		from += got;
	}
	return 0;
}

/* deliver_read_header - the header section (up to the empty line) */
static int
deliver_read_header(int fd, off_t from, off_t end, struct buf *out)
{
	char	 chunk[DELIVER_CHUNK];
	ssize_t	 got;
	size_t	 n;
	const char *e;

	while (from < end) {
		n = sizeof(chunk);
		if ((off_t)n > end - from)
			n = (size_t)(end - from);
		got = pread(fd, chunk, n, from);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (buf_append(out, chunk, (size_t)got) == -1) {
			errno = EFBIG;
			return -1;
		}
		from += got;
		if (out->len >= 1 && out->data[0] == '\n') {
			buf_truncate(out, 1);
			return 0;
		}
		if ((e = memmem(out->data, out->len, "\n\n", 2)) != NULL) {
			buf_truncate(out, (size_t)(e - out->data) + 2);
			return 0;
		}
	}
	return 0;	/* header only, no body */
}

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

/* deliver_status_text - "250 2.0.0 text" */
static void
deliver_reply_text(const struct why *w, char *out, size_t outsize)
{
	if (w->code != 0)
		(void)snprintf(out, outsize, "%d%s%s %s", w->code,
		    w->enh[0] ? " " : "", w->enh, w->text);
	else
		(void)snprintf(out, outsize, "%s", w->text);
}

/* ---- bounces ----------------------------------------------------------------- */

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

/*
 * deliver_bounce - queue one DSN to m's sender for the recipients whose
 * index is flagged in which[].  Returns 0, or -1 (logged, the cause in
 * why) when it could not be queued.
 */
static int
deliver_bounce(struct deliver_ctx *ctx, struct queue_msg *m,
    const bool *which, bool delayed, const char *relay_host,
    const char *summary, char *why, size_t whysize)
{
	struct bounce_info	 info;
	struct bounce_rcpt	*br;
	struct deliver_bounce_arg a;
	struct envelope		 env;
	struct buf		 err;
	char			 envid[SPOOL_ENVID_MAX + 1];
	char			 (*orcpt)[SPOOL_ORCPT_MAX + 1];
	char			 (*diag)[WHY_TEXT_MAX + 32];
	char			 (*status)[16];
	const struct spool_rcpt_status *rs;
	const char		*semi;
	size_t			 i, n = 0;
	int			 rc = -1;
	bool			 headers_only = false;

	br = xcalloc(m->env.nrcpts, sizeof(*br));
	orcpt = xcalloc(m->env.nrcpts, sizeof(*orcpt));
	diag = xcalloc(m->env.nrcpts, sizeof(*diag));
	status = xcalloc(m->env.nrcpts, sizeof(*status));
	buf_init(&err, DELIVER_ERR_MAX);
	envelope_init(&env);
	for (i = 0; i < m->env.nrcpts; i++) {
		if (!which[i])
			continue;
		rs = spool_state_rcpt(&m->state, i);
		br[n].addr = m->env.rcpts[i].addr;
		if (m->env.rcpts[i].orcpt != NULL &&
		    (semi = strchr(m->env.rcpts[i].orcpt, ';')) != NULL) {
			int k = snprintf(orcpt[n], sizeof(orcpt[n]), "%.*s;",
			    (int)(semi - m->env.rcpts[i].orcpt),
			    m->env.rcpts[i].orcpt);

			if (k > 0 && (size_t)k < sizeof(orcpt[n]))
				deliver_xtext_decode(semi + 1, orcpt[n] + k,
				    sizeof(orcpt[n]) - (size_t)k);
			br[n].orcpt = orcpt[n];
		}
		br[n].action = delayed ? "delayed" : "failed";
		/*
		 * X.3.4: refused for its size (before sending or by the
		 * server); X.6.3: 8-bit data the relay cannot take and that
		 * cannot be converted: the whole message back would be
		 * refused too, so only its header section goes back
		 */
		if (rs != NULL && strlen(rs->enh) == 5 &&
		    (strcmp(rs->enh + 1, ".3.4") == 0 ||
		    strcmp(rs->enh + 1, ".6.3") == 0))
			headers_only = true;
		if (rs != NULL && rs->enh[0] != '\0')
			(void)snprintf(status[n], sizeof(status[n]), "%s",
			    rs->enh);
		else
			(void)snprintf(status[n], sizeof(status[n]), "5.0.0");
		status[n][0] = delayed ? '4' : '5';
		br[n].status = status[n];
		br[n].remote_mta = rs != NULL && rs->code != 0 ? relay_host :
		    NULL;
		if (rs != NULL && rs->code != 0)
			(void)snprintf(diag[n], sizeof(diag[n]), "smtp; %u%s%s %s",
			    rs->code, rs->enh[0] ? " " : "", rs->enh, rs->text);
		else
			(void)snprintf(diag[n], sizeof(diag[n]), "%s",
			    rs != NULL && rs->text[0] ? rs->text : delayed ?
			    "not delivered yet" : "delivery failed");
		br[n].diagnostic = diag[n];
		br[n].last_attempt = (time_t)ctx->now;
		n++;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	memset(&info, 0, sizeof(info));
	info.reporting_mta = ctx->conf->hostname;
	info.domain = ctx->conf->domain;
	info.orig_sender = m->env.sender;
	info.envid = m->env.envid != NULL ? deliver_xtext_decode(m->env.envid,
	    envid, sizeof(envid)) : NULL;
	info.queue_id = m->qid.s;
	info.arrival = (time_t)m->env.arrival;
	/* a warning returns the header only: the message is still ours */
	info.ret_full = m->env.ret != ENVELOPE_RET_HDRS && !headers_only &&
	    !delayed;
	info.delayed = delayed;
	info.reason_summary = summary;
	info.max_return_size = DELIVER_RETURN_MAX;
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
	a.info = &info;
	a.rcpts = br;
	a.n = n;
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
	free(br);
	free(orcpt);
	free(diag);
	free(status);
	return rc;
}

/* ---- outcomes ------------------------------------------------------------- */

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
			(void)snprintf(text, sizeof(text), "bounce could not be "
			    "queued: %s", why);
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

/* deliver_message - one transaction and its consequences */
enum deliver_status
deliver_message(struct deliver_ctx *ctx, struct session *s,
    struct queue_msg *m, struct why *relay_why)
{
	const struct conf_relay	*relay = s->relay;
	struct smtp_message	 sm;
	struct smtp_rcpt	*rcpts = NULL;
	struct deliver_verdict	*v = NULL;
	struct smtp_failure	 failure;
	struct deliver_reader	 rd;
	struct buf		 hdr;
	struct why		 refused;	/* code 0: none */
	size_t			*map = NULL, n = 0, i, k;
	char			**orcpts = NULL;
	bool			*newly_failed = NULL, has8, relay_fault;
	const char		*sender = m->env.sender;
	off_t			 end = m->body_offset + (off_t)m->env.size;
	double			 t_claim, t_start, t_end;
	enum deliver_status	 rc = DELIVER_DONE;
	const struct spool_rcpt_status *rs;
	const char		*err_text = NULL;
	char			 envid[SPOOL_ENVID_MAX + 1];

	t_claim = deliver_now_secs();
	why_clear(&refused);
	memset(&rd, 0, sizeof(rd));
	buf_init(&rd.head, DELIVER_HEADER_MAX + 2 * SPOOL_ADDR_MAX);
	buf_init(&hdr, DELIVER_HEADER_MAX);
	rcpts = xcalloc(m->env.nrcpts, sizeof(*rcpts));
	orcpts = xcalloc(m->env.nrcpts, sizeof(*orcpts));
	map = xcalloc(m->env.nrcpts, sizeof(*map));
	v = xcalloc(m->env.nrcpts, sizeof(*v));
	newly_failed = xcalloc(m->env.nrcpts, sizeof(*newly_failed));
	for (i = 0; i < m->env.nrcpts; i++) {
		rs = spool_state_rcpt(&m->state, i);
		if (rs != NULL && (rs->state == SPOOL_RCPT_SENT ||
		    rs->state == SPOOL_RCPT_FAILED))
			continue;	/* never twice */
		rcpts[n].addr = m->env.rcpts[i].addr;
		rcpts[n].notify = m->env.rcpts[i].notify;
		rcpts[n].orcpt = NULL;
		if (m->env.rcpts[i].orcpt != NULL) {
			/* the spool keeps xtext; the machine encodes it */
			orcpts[n] = xmalloc(SPOOL_ORCPT_MAX + 1);
			rcpts[n].orcpt = deliver_xtext_decode(
			    m->env.rcpts[i].orcpt, orcpts[n],
			    SPOOL_ORCPT_MAX + 1);
		}
		map[n++] = i;
	}
	memset(&sm, 0, sizeof(sm));
	/* force_sender: the relay only accepts its user as the sender */
	if (relay->force_sender && relay->user != NULL &&
	    strchr(relay->user, '@') != NULL && sender[0] != '\0') {
		sender = relay->user;
		/* never send a From: or Sender: that was not rewritten */
		if (deliver_read_header(m->fd, m->body_offset, end,
		    &hdr) == -1) {
			if (errno == EFBIG)
				why_set(&refused, 554, "5.3.4", "header section "
				    "over %d bytes: force_sender cannot "
				    "rewrite its From: and Sender: fields",
				    DELIVER_HEADER_MAX);
			else
				why_set(&refused, 451, "4.3.0", "header section "
				    "unreadable (%s): force_sender cannot "
				    "rewrite it", strerror(errno));
			buf_reset(&hdr);
		} else if (deliver_rewrite_from(hdr.data != NULL ? hdr.data :
		    "", hdr.len, relay->user, &rd.head) == -1) {
			why_set(&refused, 554, "5.3.4", "header section too "
			    "large for force_sender to rewrite its From: and "
			    "Sender: fields");
			buf_reset(&rd.head);
			buf_reset(&hdr);
		}
	}
	rd.fd = m->fd;
	rd.pos = m->body_offset + (off_t)hdr.len;
	rd.end = end;
	sm.sender = sender;
	sm.rcpts = rcpts;
	sm.nrcpts = n;
	sm.smtputf8 = (m->env.flags & ENVELOPE_F_SMTPUTF8) != 0;
	sm.size = m->env.size + rd.head.len - hdr.len;
	sm.ret = m->env.ret == ENVELOPE_RET_FULL ? SMTP_RET_FULL :
	    m->env.ret == ENVELOPE_RET_HDRS ? SMTP_RET_HDRS : SMTP_RET_NONE;
	sm.envid = NULL;
	if (m->env.envid != NULL)
		sm.envid = deliver_xtext_decode(m->env.envid, envid,
		    sizeof(envid));
	/*
	 * 8BITMIME: the B record when the submitter gave one; otherwise
	 * the front end could not know (it streams the body), so look.
	 */
	if (m->env.body == ENVELOPE_BODY_8BITMIME)
		sm.body = SMTP_BODY_8BITMIME;
	else if (m->env.body == ENVELOPE_BODY_7BIT)
		sm.body = SMTP_BODY_7BIT;
	else if (deliver_scan_8bit(m->fd, m->body_offset, end, &has8) == 0)
		sm.body = has8 ? SMTP_BODY_8BITMIME : SMTP_BODY_7BIT;
	else
		sm.body = SMTP_BODY_8BITMIME;
	sm.read = deliver_read;
	sm.read_arg = &rd;
	/* SIZE= is the wire size (RFC 1870), found by a dry run */
	if (smtp_message_measure(&s->smtp, &sm) == -1)
		log_warn("%s: measure the message for SIZE=: read the queue "
		    "file", m->qid.s);
	rd.head_off = 0;
	rd.pos = m->body_offset + (off_t)hdr.len;

	t_start = deliver_now_secs();
	if (refused.code != 0) {
		/* nothing sent: 5xx fails the message, 4xx defers it */
		log_warnx("%s: not sent: %s", m->qid.s, refused.text);
		memset(&failure, 0, sizeof(failure));
		sm.status = refused.code >= 500 ? SMTP_MSG_LOCAL :
		    SMTP_MSG_ABORTED;
		sm.reply = refused;
	} else
		session_transact(s, &sm, &failure);
	t_end = deliver_now_secs();
	if (sm.hdr_cut > 0)
		log_info("%s: %llu header lines split without white space "
		    "(a space was inserted)", m->qid.s,
		    (unsigned long long)sm.hdr_cut);
	if (sm.downgraded)
		log_info("%s: converted to 7 bit for a server without "
		    "8BITMIME (%lu parts made quoted-printable)", m->qid.s,
		    sm.converted);
	if (sm.lines_split > 0)
		log_info("%s: %llu body lines over %d octets split",
		    m->qid.s, (unsigned long long)sm.lines_split,
		    DOTSTUFF_LINE_MAX);
	relay_fault = deliver_classify(&sm, &failure, v);
	if (!relay_fault) {
		m->state.attempts++;
		if (m->state.first_attempt == 0)
			m->state.first_attempt = ctx->now;
	}
	for (k = 0; k < n; k++) {
		const char *status;
		enum spool_rcpt_state nst;

		i = map[k];
		switch (v[k].res) {
		case RESULT_OK:
			nst = SPOOL_RCPT_SENT;
			status = "sent";
			break;
		case RESULT_PERM:
			nst = SPOOL_RCPT_FAILED;
			status = "bounced";
			newly_failed[i] = deliver_notify_failure(
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
		deliver_log(m, i, s, t_claim, t_start, s->messages <= 1 ?
		    s->setup_secs : 0.0, t_end, status, &v[k].why);
	}
	if (err_text != NULL) {
		char	text[WHY_TEXT_MAX + 32];

		for (k = 0; k < n; k++)
			if (v[k].res != RESULT_OK && v[k].why.text == err_text)
				break;
		deliver_reply_text(&v[k < n ? k : 0].why, text, sizeof(text));
		spool_state_set_error(&m->state, text);
	}
	if (relay_fault) {
		why_set(relay_why, failure.why.code, failure.why.enh,
		    "%s said %d%s%s %s", s->peer[0] ? s->peer : relay->name,
		    failure.why.code, failure.why.enh[0] ? " " : "",
		    failure.why.enh, failure.why.text);
		rc = DELIVER_RELAY_FAULT;
	}
	deliver_conclude(ctx, m, newly_failed, relay_fault, relay->host);
	buf_free(&rd.head);
	buf_free(&hdr);
	for (k = 0; k < n; k++)
		free(orcpts[k]);
	free(orcpts);
	free(rcpts);
	free(map);
	free(v);
	free(newly_failed);
	return rc;
}
