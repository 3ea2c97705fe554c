/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce.c - delivery status notifications: RFC 3464 fields in an RFC 6522
 * multipart/report, RFC 6533 for UTF-8 addresses, the returned original as
 * RFC 2046 message/rfc822 or RFC 6522 text/rfc822-headers (RFC 6532/6533
 * message/global, message/global-headers when its header section is 8-bit),
 * Auto-Submitted: auto-replied (RFC 3834), RFC 3461 RET semantics.
 *
 * Owns the wording and the layout of every DSN: the top-level fields, the
 * explanation for people, the report for programs, and the recipients'
 * actions and statuses.  The returned original is bounce_walk.c's (the
 * boundary is proven absent there), the output bounce_write.c's.  Must
 * never write the spool, never trust a byte of the original or of a
 * server reply, never hold the original in memory, and never emit a
 * generated line over 998 octets.
 * Diagnostics and the summary are reduced to ASCII ('?' for 8-bit):
 * server replies are untrusted and rarely valid UTF-8; addresses keep
 * UTF-8 and then select message/global-delivery-status (RFC 6533).
 * Caller: the agent's queue runner (deliver.c decides; this only writes).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "util.h"

enum bounce_kind {
	BOUNCE_K_FAILURE,
	BOUNCE_K_DELAY,
	BOUNCE_K_SUCCESS
};

static const char *bounce_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *bounce_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * bounce_clean - append untrusted text to b as one line: control
 * characters become spaces, runs of white space collapse, the ends are
 * trimmed, 8-bit bytes are kept (allow8) or become '?', and text beyond
 * max bytes is cut at a character boundary and marked with "...".
 */
static void
bounce_clean(struct buf *b, const char *s, size_t max, bool allow8)
{
	const unsigned char	*p;
	unsigned char		 c;
	size_t			 start = b->len;
	bool			 cut = false;

	for (p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
		c = *p;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c >= 0x80 && !allow8)
			c = '?';
		if (c == ' ' && (b->len == start || b->data[b->len - 1] == ' '))
			continue;
		if (b->len - start >= max) {
			cut = true;
			break;
		}
		if (buf_putc(b, c) == -1)
			return;		/* sticky: bounce_str reports it */
	}
	if (cut) {
		/* never leave half a UTF-8 sequence behind */
		while (b->len > start && ((unsigned char)b->data[b->len - 1] &
		    0xc0) == 0x80)
			buf_truncate(b, b->len - 1);
		if (b->len > start &&
		    (unsigned char)b->data[b->len - 1] >= 0xc0)
			buf_truncate(b, b->len - 1);
	}
	while (b->len > start && b->data[b->len - 1] == ' ')
		buf_truncate(b, b->len - 1);
	if (cut && buf_puts(b, "...") == -1)
		return;			/* sticky: bounce_str reports it */
}

/*
 * bounce_str - the text of a scratch buffer (t1, t2: built with the
 * sticky buf_s* appenders), the only way it reaches the report; a failed
 * build fails g
 */
static const char *
bounce_str(struct bounce_gen *g, const struct buf *t)
{
	if (buf_error(t) != 0 && g->werr == 0)
		g->werr = buf_error(t);
	return buf_cstr(t);
}

/* bounce_set - reset b, then bounce_clean into it */
static void
bounce_set(struct buf *b, const char *s, size_t max, bool allow8)
{
	buf_reset(b);
	bounce_clean(b, s, max, allow8);
}

/* bounce_is_ascii - true when s holds no 8-bit byte */
static bool
bounce_is_ascii(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* bounce_date - RFC 5322 date-time in UTC, locale-independent */
static void
bounce_date(time_t t, char *out, size_t n)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL) {
		(void)str_copy(out, "Thu, 1 Jan 1970 00:00:00 +0000", n);
		return;
	}
	(void)snprintf(out, n, "%s, %d %s %d %02d:%02d:%02d +0000",
	    bounce_days[tm.tm_wday % 7], tm.tm_mday,
	    bounce_months[tm.tm_mon % 12], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* bounce_status_ok - true for an RFC 3463 status "c.sss.ddd", c 2/4/5 */
static bool
bounce_status_ok(const char *s)
{
	size_t	n, part;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return false;
	s += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n < 1 || n > 3)
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/* bounce_action - the RFC 3464 action of r, defaulted from the report */
static const char *
bounce_action(const struct bounce_info *info, const struct bounce_rcpt *r)
{
	static const char *known[] = {
		"failed", "delayed", "delivered", "relayed", "expanded"
	};
	size_t	i;

	for (i = 0; r->action != NULL && i < ARRAY_SIZE(known); i++)
		if (strcmp(r->action, known[i]) == 0)
			return known[i];
	return info->delayed ? "delayed" : "failed";
}

/* bounce_status - the status of r, or X.0.0 matching its action */
static const char *
bounce_status(const char *action, const struct bounce_rcpt *r)
{
	if (bounce_status_ok(r->status))
		return r->status;
	if (strcmp(action, "failed") == 0)
		return "5.0.0";
	if (strcmp(action, "delayed") == 0)
		return "4.0.0";
	return "2.0.0";
}

/* bounce_has_type - true when s begins with "atom;" (a DSN type prefix) */
static bool
bounce_has_type(const char *s, size_t *after)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && (s[i] == '-' || (s[i] >= '0' &&
	    s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
	    s[i] <= 'z')); i++)
		;
	if (i == 0 || s[i] != ';')
		return false;
	i++;
	while (s[i] == ' ')
		i++;
	*after = i;
	return true;
}

/* bounce_kind - failure, delay warning, or success report */
static enum bounce_kind
bounce_kind(const struct bounce_info *info, const struct bounce_rcpt *r,
    size_t n)
{
	size_t		 i;
	const char	*a;

	if (info->delayed)
		return BOUNCE_K_DELAY;
	for (i = 0; i < n; i++) {
		a = bounce_action(info, &r[i]);
		if (strcmp(a, "failed") == 0 || strcmp(a, "delayed") == 0)
			return BOUNCE_K_FAILURE;
	}
	return BOUNCE_K_SUCCESS;
}

/* bounce_action_words - what an action means, for the human part */
static const char *
bounce_action_words(const char *action)
{
	if (strcmp(action, "failed") == 0)
		return "delivery failed";
	if (strcmp(action, "delayed") == 0)
		return "delivery delayed, still trying";
	if (strcmp(action, "delivered") == 0)
		return "delivered";
	if (strcmp(action, "relayed") == 0)
		return "relayed to a system that does not confirm delivery";
	return "delivered to a list or alias";
}

/* bounce_human - part 1: the explanation in plain words */
static void
bounce_human(struct bounce_gen *g, enum bounce_kind kind,
    const struct bounce_rcpt *r, size_t nrcpt, struct buf *t1, struct buf *t2)
{
	const struct bounce_info	*info = g->info;
	const char			*action, *d;
	size_t				 i, skip;

	bounce_set(t1, info->reporting_mta, BOUNCE_HOST_MAX, false);
	bounce_printf(g, "This is the mail system at host %s.\n\n",
	    bounce_str(g, t1));
	switch (kind) {
	case BOUNCE_K_FAILURE:
		bounce_puts(g, "Your message could not be delivered to one or "
		    "more of its recipients.\n");
		break;
	case BOUNCE_K_DELAY:
		bounce_puts(g, "THIS IS A WARNING ONLY: you do not need to "
		    "send your message again.\nIt has not reached the "
		    "recipients below yet; the mail system keeps\ntrying and "
		    "will tell you if it has to give up.\n");
		break;
	case BOUNCE_K_SUCCESS:
		bounce_puts(g, "Your message was delivered to the recipients "
		    "below, as you asked\n(a delivery notification was "
		    "requested).\n");
		break;
	default:
		abort();
	}
	if (info->reason_summary != NULL && *info->reason_summary != '\0') {
		bounce_set(t1, info->reason_summary, BOUNCE_SUMMARY_MAX,
		    false);
		bounce_puts(g, "\n");
		bounce_fold(g, "", "", bounce_str(g, t1), BOUNCE_TEXT_WIDTH);
	}
	bounce_puts(g, "\n");
	for (i = 0; i < nrcpt; i++) {
		action = bounce_action(info, &r[i]);
		bounce_set(t1, r[i].addr, BOUNCE_ADDR_MAX, true);
		buf_reset(t2);
		buf_sprintf(t2, "<%s>: %s (status %s).", bounce_str(g, t1),
		    bounce_action_words(action), bounce_status(action, &r[i]));
		bounce_fold(g, "", "    ", bounce_str(g, t2),
		    BOUNCE_TEXT_WIDTH);
		if (r[i].diagnostic == NULL || *r[i].diagnostic == '\0')
			continue;
		bounce_set(t1, r[i].diagnostic, BOUNCE_DIAG_MAX, false);
		d = bounce_str(g, t1);
		if (bounce_has_type(d, &skip))
			d += skip;
		buf_reset(t2);
		if (r[i].remote_mta != NULL && *r[i].remote_mta != '\0') {
			buf_sputs(t2, "The server ");
			bounce_clean(t2, r[i].remote_mta, BOUNCE_HOST_MAX,
			    false);
			buf_sputs(t2, " replied:");
			bounce_fold(g, "    ", "    ", bounce_str(g, t2),
			    BOUNCE_TEXT_WIDTH);
		}
		bounce_fold(g, "    ", "    ", d, BOUNCE_TEXT_WIDTH);
	}
	bounce_puts(g, "\n");
	if (kind == BOUNCE_K_FAILURE) {
		bounce_fold(g, "", "", "What you can do: check each address "
		    "above for typing mistakes and send the message again. "
		    "The reply of the receiving server, when there is one, "
		    "says why it refused the message. If you need help, "
		    "forward this report to your mail administrator.",
		    BOUNCE_TEXT_WIDTH);
		bounce_puts(g, "\n");
	}
	if (g->returned == 0)
		bounce_puts(g, "Your message is not attached: there was "
		    "nothing to return.\n");
	else if (!info->ret_full)
		bounce_puts(g, "The header section of your message is "
		    "attached below.\n");
	else
		bounce_puts(g, "Your message is attached below.\n");
	if (g->truncated) {
		bounce_printf(g, "It was cut to its first %llu bytes to keep "
		    "this report small.\n",
		    (unsigned long long)info->max_return_size);
	}
	bounce_puts(g, "\n                   The mail system\n");
}

/* bounce_report - part 2: the RFC 3464 machine-readable fields */
static void
bounce_report(struct bounce_gen *g, const struct bounce_rcpt *r,
    size_t nrcpt, struct buf *t1, struct buf *t2)
{
	const struct bounce_info	*info = g->info;
	const char			*action;
	char				 date[64];
	size_t				 i, skip;

	if (info->envid != NULL && *info->envid != '\0') {
		bounce_set(t1, info->envid, BOUNCE_ADDR_MAX, false);
		bounce_field(g, "Original-Envelope-Id", bounce_str(g, t1));
	}
	bounce_set(t2, info->reporting_mta, BOUNCE_HOST_MAX, false);
	buf_reset(t1);
	buf_sprintf(t1, "dns; %s", bounce_str(g, t2));
	bounce_field(g, "Reporting-MTA", bounce_str(g, t1));
	if (info->arrival != 0) {
		bounce_date(info->arrival, date, sizeof(date));
		bounce_field(g, "Arrival-Date", date);
	}
	if (info->queue_id != NULL && *info->queue_id != '\0') {
		bounce_set(t1, info->queue_id, BOUNCE_HOST_MAX, false);
		bounce_field(g, "X-Postern-Queue-ID", bounce_str(g, t1));
	}
	for (i = 0; i < nrcpt; i++) {
		bounce_puts(g, "\n");
		action = bounce_action(info, &r[i]);
		if (r[i].orcpt != NULL && *r[i].orcpt != '\0') {
			bounce_set(t2, r[i].orcpt, BOUNCE_ADDR_MAX, true);
			buf_reset(t1);
			if (!bounce_has_type(bounce_str(g, t2), &skip))
				buf_sputs(t1, bounce_is_ascii(bounce_str(g,
				    t2)) ? "rfc822; " : "utf-8; ");
			buf_sputs(t1, bounce_str(g, t2));
			bounce_field(g, "Original-Recipient",
			    bounce_str(g, t1));
		}
		bounce_set(t2, r[i].addr, BOUNCE_ADDR_MAX, true);
		buf_reset(t1);
		buf_sprintf(t1, "%s; %s",
		    bounce_is_ascii(bounce_str(g, t2)) ? "rfc822" : "utf-8",
		    bounce_str(g, t2));
		bounce_field(g, "Final-Recipient", bounce_str(g, t1));
		bounce_field(g, "Action", action);
		bounce_field(g, "Status", bounce_status(action, &r[i]));
		if (r[i].remote_mta != NULL && *r[i].remote_mta != '\0') {
			bounce_set(t2, r[i].remote_mta, BOUNCE_HOST_MAX,
			    false);
			buf_reset(t1);
			buf_sprintf(t1, "dns; %s", bounce_str(g, t2));
			bounce_field(g, "Remote-MTA", bounce_str(g, t1));
		}
		if (r[i].diagnostic != NULL && *r[i].diagnostic != '\0') {
			bounce_set(t2, r[i].diagnostic, BOUNCE_DIAG_MAX,
			    false);
			buf_reset(t1);
			if (!bounce_has_type(bounce_str(g, t2), &skip))
				buf_sputs(t1, "X-Postern; ");
			buf_sputs(t1, bounce_str(g, t2));
			bounce_field(g, "Diagnostic-Code", bounce_str(g, t1));
		}
		if (r[i].last_attempt != 0) {
			bounce_date(r[i].last_attempt, date, sizeof(date));
			bounce_field(g, "Last-Attempt-Date", date);
		}
	}
}

/* bounce_any_utf8 - true when an address or ORCPT is not ASCII */
static bool
bounce_any_utf8(const struct bounce_rcpt *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!bounce_is_ascii(r[i].addr) || !bounce_is_ascii(r[i].orcpt))
			return true;
	return false;
}

/* bounce_check - the required fields, before anything is written */
static int
bounce_check(const struct bounce_info *info, const struct bounce_rcpt *r,
    size_t nrcpt, struct buf *err)
{
	size_t	i;

	if (info == NULL || r == NULL || nrcpt == 0) {
		bounce_fail(err, EINVAL, "bounce: no recipients to report on");
		return -1;
	}
	if (info->reporting_mta == NULL || *info->reporting_mta == '\0' ||
	    info->domain == NULL || *info->domain == '\0') {
		bounce_fail(err, EINVAL, "bounce: reporting host name and "
		    "domain are required; set the agent's hostname");
		return -1;
	}
	if (info->orig_sender == NULL || *info->orig_sender == '\0') {
		bounce_fail(err, EINVAL, "bounce: the original sender is "
		    "empty; a bounce is never sent for a bounce");
		return -1;
	}
	for (i = 0; i < nrcpt; i++)
		if (r[i].addr == NULL || *r[i].addr == '\0') {
			bounce_fail(err, EINVAL, "bounce: recipient %zu has "
			    "no address", i);
			return -1;
		}
	if (info->boundary_seed != NULL) {
		for (i = 0; info->boundary_seed[i] != '\0'; i++)
			if (!((info->boundary_seed[i] >= '0' &&
			    info->boundary_seed[i] <= '9') ||
			    (info->boundary_seed[i] >= 'A' &&
			    info->boundary_seed[i] <= 'Z') ||
			    (info->boundary_seed[i] >= 'a' &&
			    info->boundary_seed[i] <= 'z')))
				break;
		if (i == 0 || i > BOUNCE_SEED_MAX ||
		    info->boundary_seed[i] != '\0') {
			bounce_fail(err, EINVAL, "bounce: boundary_seed must "
			    "be 1 to %d letters or digits", BOUNCE_SEED_MAX);
			return -1;
		}
	}
	return 0;
}

/*
 * bounce_top - the top-level header section of the report and the
 * preamble; utf8: an address is not ASCII, eight: 8-bit anywhere
 */
static void
bounce_top(struct bounce_gen *g, enum bounce_kind kind, bool utf8,
    bool eight, struct buf *t1, struct buf *t2)
{
	const struct bounce_info	*info = g->info;
	char				 date[64];

	bounce_set(t2, info->domain, BOUNCE_HOST_MAX, false);
	if (info->postmaster_from != NULL && *info->postmaster_from != '\0')
		bounce_set(t1, info->postmaster_from, BOUNCE_ADDR_MAX, true);
	else {
		buf_reset(t1);
		buf_sprintf(t1, "Mail Delivery System "
		    "<MAILER-DAEMON@%s>", bounce_str(g, t2));
	}
	bounce_field(g, "From", bounce_str(g, t1));
	bounce_set(t1, info->orig_sender, BOUNCE_ADDR_MAX, true);
	buf_reset(t2);
	buf_sprintf(t2, "<%s>", bounce_str(g, t1));
	bounce_field(g, "To", bounce_str(g, t2));
	bounce_field(g, "Subject", kind == BOUNCE_K_DELAY ?
	    "Delayed Mail (still being retried)" : kind == BOUNCE_K_SUCCESS ?
	    "Successful Mail Delivery Report" :
	    "Undelivered Mail Returned to Sender");
	bounce_date(info->now != 0 ? info->now : time(NULL), date,
	    sizeof(date));
	bounce_field(g, "Date", date);
	if (info->message_id != NULL && *info->message_id != '\0')
		bounce_set(t1, info->message_id, BOUNCE_ADDR_MAX, false);
	else {
		bounce_set(t2, info->queue_id != NULL ? info->queue_id :
		    "bounce", BOUNCE_HOST_MAX, false);
		buf_reset(t1);
		buf_sprintf(t1, "<%s.%s.dsn@", bounce_str(g, t2), g->seed);
		bounce_set(t2, info->domain, BOUNCE_HOST_MAX, false);
		buf_sprintf(t1, "%s>", bounce_str(g, t2));
	}
	bounce_field(g, "Message-ID", bounce_str(g, t1));
	bounce_field(g, "Auto-Submitted", "auto-replied");
	bounce_field(g, "MIME-Version", "1.0");
	bounce_printf(g, "Content-Type: multipart/report; report-type=%s;\n"
	    "\tboundary=\"%s\"\n", utf8 ? "global-delivery-status" :
	    "delivery-status", g->boundary);
	if (eight)
		bounce_field(g, "Content-Transfer-Encoding", "8bit");
	bounce_puts(g, "\nThis is a MIME-encapsulated delivery status "
	    "notification.\n\n");
}

/*
 * bounce_returned - part 3: what is returned of the original (at off in
 * fd), if anything.  Returns 0, or -1 with errno and a message in err.
 */
static int
bounce_returned(struct bounce_gen *g, enum bounce_kind kind, int fd,
    off_t off, struct buf *err)
{
	const struct bounce_info	*info = g->info;
	const char			*ctype, *desc;

	if (g->returned == 0)
		return 0;
	bounce_printf(g, "\n--%s\n", g->boundary);
	desc = info->ret_full ? "Undelivered Message" :
	    "Undelivered Message Headers";
	if (kind == BOUNCE_K_SUCCESS)
		desc = info->ret_full ? "Delivered Message" :
		    "Delivered Message Headers";
	if (g->truncated) {
		bounce_printf(g, "Content-Description: %s (cut to "
		    "%llu bytes)\n", desc,
		    (unsigned long long)info->max_return_size);
	} else
		bounce_field(g, "Content-Description", desc);
	if (info->ret_full)
		ctype = g->head8 ? "message/global" : "message/rfc822";
	else
		ctype = g->head8 ? "message/global-headers" :
		    "text/rfc822-headers";
	bounce_field(g, "Content-Type", ctype);
	if (g->head8 || g->body8)
		bounce_field(g, "Content-Transfer-Encoding", "8bit");
	bounce_puts(g, "\n");
	return bounce_copy(g, fd, off, err);
}

/* bounce_generate - one complete DSN (bounce.h) */
int
bounce_generate(const struct bounce_info *info, const struct bounce_rcpt *r,
    size_t nrcpt, int orig_fd, int (*write_fn)(void *, const void *, size_t),
    void *ctx, struct buf *err)
{
	struct bounce_gen	*g = NULL;
	struct buf		 t1, t2;
	enum bounce_kind	 kind;
	bool			 utf8, eight;
	off_t			 off;
	int			 rc = -1;

	buf_init(&t1, BOUNCE_DIAG_MAX + BOUNCE_ADDR_MAX + 64);
	buf_init(&t2, BOUNCE_DIAG_MAX + BOUNCE_ADDR_MAX + 64);
	if (bounce_check(info, r, nrcpt, err) == -1)
		goto out;
	if ((off = lseek(orig_fd, 0, SEEK_CUR)) == (off_t)-1) {
		bounce_fail(err, errno, "bounce: the original message must be "
		    "a seekable file: %s", strerror(errno));
		goto out;
	}
	g = xcalloc(1, sizeof(*g));
	g->info = info;
	g->write_fn = write_fn;
	g->ctx = ctx;
	buf_init(&g->out, BOUNCE_OUT_CHUNK);
	if (bounce_pick_boundary(g, orig_fd, off, err) == -1)
		goto out;
	kind = bounce_kind(info, r, nrcpt);
	/* a UTF-8 sender only makes To: 8-bit: no body part changes */
	utf8 = bounce_any_utf8(r, nrcpt);
	eight = utf8 || g->head8 || g->body8;
	bounce_top(g, kind, utf8, eight, &t1, &t2);

	/* part 1: for people */
	bounce_printf(g, "--%s\n", g->boundary);
	bounce_field(g, "Content-Description", "Notification");
	bounce_field(g, "Content-Type", utf8 ? "text/plain; charset=utf-8" :
	    "text/plain; charset=us-ascii");
	if (utf8)
		bounce_field(g, "Content-Transfer-Encoding", "8bit");
	bounce_puts(g, "\n");
	bounce_human(g, kind, r, nrcpt, &t1, &t2);

	/* part 2: for programs */
	bounce_printf(g, "\n--%s\n", g->boundary);
	bounce_field(g, "Content-Description", "Delivery report");
	bounce_field(g, "Content-Type", utf8 ?
	    "message/global-delivery-status" : "message/delivery-status");
	if (utf8)
		bounce_field(g, "Content-Transfer-Encoding", "8bit");
	bounce_puts(g, "\n");
	bounce_report(g, r, nrcpt, &t1, &t2);

	if (bounce_returned(g, kind, orig_fd, off, err) == -1)
		goto out;
	bounce_printf(g, "\n--%s--\n", g->boundary);
	if (bounce_flush(g) == -1 || g->werr != 0) {
		bounce_fail(err, g->werr, "bounce: write the report: %s",
		    strerror(g->werr));
		goto out;
	}
	rc = 0;
out:
	if (g != NULL)
		buf_free(&g->out);
	free(g);
	buf_free(&t1);
	buf_free(&t2);
	return rc;
}
