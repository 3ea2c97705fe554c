/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_show.c - `postern show` and `postern failed show`: one
 * message's envelope and delivery state in words (or JSON), its header
 * section, and with --body the body (raw into a pipe, sanitised onto a
 * terminal).
 *
 * Reads the queue file and changes nothing.  The header shown is bounded
 * (QC_HEADER_MAX, or max_header_size plus slack) and says when it was
 * cut.  Calls queuecmd_msg.c, queuecmd_relays.c, queuecmd_read.c and
 * queuecmd_ctx.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"
#include "util.h"

#define QC_HEADER_MAX		(1u << 20)	/* header shown by show, */
#define QC_HEADER_SLACK		(64u << 10)	/* or max_header_size + this */
#define QC_CHUNK		65536	/* body copy by show --body */

/* the header section of a queue file, as qc_show_read_header read it */
struct qc_header {
	struct buf	 h;		/* up to max bytes after the envelope */
	const char	*end;		/* the blank line ending it, in h */
	size_t		 max;
	bool		 whole;		/* read to its blank line or to EOF */
};

/*
 * qc_show_read_header - read the header section of fd (up to the first
 * empty line) into hd, at most hd->max bytes: a longer one is kept cut
 * (hd->whole false).  Returns 0, or -1 on a read error or ENOMEM.
 */
static int
qc_show_read_header(struct qc_ctx *x, const struct qc_msg *m, int fd,
    struct qc_header *hd)
{
	char		 chunk[QC_CHUNK];
	struct buf	*h = &hd->h;
	off_t		 off = m->body_off;
	ssize_t		 r;
	size_t		 k;

	/* the header the front end queued fits (the rules add at most
	   a few KiB), unless max_header_size was lowered since */
	hd->max = QC_HEADER_MAX;
	if (x->c->max_header_size > hd->max - QC_HEADER_SLACK)
		hd->max = x->c->max_header_size + QC_HEADER_SLACK;
	hd->end = NULL;
	buf_init(h, hd->max);
	for (;;) {
		r = io_pread(fd, chunk, sizeof(chunk), off);
		if (r <= 0)
			break;
		/* what fits: a header longer than max is shown cut, and
		   says so (h->len == max) */
		k = hd->max - h->len < (size_t)r ? hd->max - h->len :
		    (size_t)r;
		if (buf_append(h, chunk, k) == -1) {
			r = -1;			/* ENOMEM */
			break;
		}
		off += r;
		if (h->len > 0 && h->data[0] == '\n') {
			hd->end = h->data;
			break;
		}
		if ((hd->end = memmem(h->data, h->len, "\n\n", 2)) != NULL) {
			hd->end++;
			break;
		}
		if (h->len == hd->max)
			break;
	}
	hd->whole = hd->end != NULL || (h->len < hd->max && r == 0);
	return r == -1 ? -1 : 0;
}

/* qc_show_header_json - the "headers" array and "header_complete" */
static void
qc_show_header_json(struct qc_ctx *x, const struct qc_header *hd)
{
	const char	*p = hd->h.data != NULL ? hd->h.data : "", *nl;
	const char	*stop = hd->end != NULL ? hd->end : p + hd->h.len;
	bool		 first = true;
	char		*line;

	buf_sputs(&x->out, ",\"headers\":[");
	for (; p < stop; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(stop - p))) == NULL)
			nl = stop;
		line = xstrndup(p, (size_t)(nl - p));
		buf_sputs(&x->out, first ? "" : ",");
		json_str(&x->out, line);
		free(line);
		first = false;
		if (nl == stop)
			break;
	}
	buf_sprintf(&x->out, "],\"header_complete\":%s", hd->whole ?
	    "true" : "false");
}

/* qc_show_header_text - "Header:" and its lines, made safe to print */
static void
qc_show_header_text(struct qc_ctx *x, const struct qc_header *hd)
{
	const char	*p = hd->h.data != NULL ? hd->h.data : "", *nl;
	const char	*stop = hd->end != NULL ? hd->end : p + hd->h.len;

	buf_sputs(&x->out, "\nHeader:\n");
	for (; p < stop; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(stop - p))) == NULL)
			nl = stop;
		(void)queuefmt_text(&x->out, p, (size_t)(nl - p), true);
		buf_sputc(&x->out, '\n');
		if (nl == stop)
			break;
	}
	if (hd->end == NULL && hd->h.len >= hd->max)
		buf_sprintf(&x->out, "\n[header longer than %zu bytes: "
		    "cut]\n", hd->max);
}

/*
 * qc_show_body - show --body: the body after the header section, raw
 * into a pipe, sanitised onto a terminal.  0, or -1 on a read error.
 */
static int
qc_show_body(struct qc_ctx *x, const struct qc_msg *m, int fd,
    const struct qc_header *hd)
{
	char	chunk[QC_CHUNK];
	off_t	off;
	ssize_t	r;
	bool	tty = isatty(STDOUT_FILENO) == 1;

	off = m->body_off + (hd->end != NULL ? (hd->end - hd->h.data) + 1 :
	    0);
	fputs("\nBody:\n", stdout);
	for (;;) {
		r = io_pread(fd, chunk, sizeof(chunk), off);
		if (r <= 0)
			break;
		off += r;
		if (tty) {
			(void)queuefmt_text(&x->out, chunk, (size_t)r, true);
			qc_out_check(x, &x->out);
			fwrite(x->out.data, 1, x->out.len, stdout);
			buf_reset(&x->out);
		} else
			fwrite(chunk, 1, (size_t)r, stdout);
	}
	return r == -1 ? -1 : 0;
}

/* qc_show_message - the header section, and the body with --body */
static int
qc_show_message(struct qc_ctx *x, const struct qc_msg *m, int fd)
{
	struct qc_header	hd;
	int			rc;

	rc = qc_show_read_header(x, m, fd, &hd);
	if (x->json)
		qc_show_header_json(x, &hd);
	else
		qc_show_header_text(x, &hd);
	qc_flush(x);
	if (x->body && !x->json && qc_show_body(x, m, fd, &hd) == -1)
		rc = -1;
	buf_free(&hd.h);
	return rc;
}

/* qc_show_text - the envelope and state in words */
static void
qc_show_text(struct qc_ctx *x, const struct qc_msg *m)
{
	static const char *const where_words[QC_NWHERE] = {
		"new/ (queued, not picked up by the agent yet)",
		"cur/ (tried, waiting for the next attempt)",
		"failed/ (given up, kept for inspection)",
	};
	char		 when[64], age[QUEUEFMT_AGE_MAX];
	const struct envelope *e = &m->env;
	size_t		 i;

	buf_sprintf(&x->out, "Queue ID:      %s\nQueue:         %s\n",
	    m->qid.s, m->where == QC_CUR && m->problem == NULL &&
	    m->st.attempts == 0 ?
	    "cur/ (picked up by the agent, not tried yet)" :
	    where_words[m->where]);
	buf_sprintf(&x->out, "Arrival:       %s (%s ago)\n", qc_time(x,
	    e->arrival, when, sizeof(when)), queuefmt_age(x->now >
	    e->arrival ? x->now - e->arrival : 0, age, sizeof(age)));
	buf_sprintf(&x->out, "Submitted by:  uid %lu", (unsigned long)e->uid);
	if (e->login != NULL) {
		buf_sputs(&x->out, " (");
		qc_text(x, e->login);
		buf_sputc(&x->out, ')');
	}
	buf_sprintf(&x->out, "\nSize:          %llu bytes\nSender:        <",
	    (unsigned long long)e->size);
	qc_text(x, e->sender);
	buf_sputs(&x->out, ">\n");
	if (e->body != ENVELOPE_BODY_NONE)
		buf_sprintf(&x->out, "Body type:     %s\n", e->body ==
		    ENVELOPE_BODY_8BITMIME ? "8BITMIME" : "7BIT");
	if (e->flags & ENVELOPE_F_SMTPUTF8)
		buf_sputs(&x->out, "SMTPUTF8:      yes\n");
	if (e->envid != NULL) {
		buf_sputs(&x->out, "DSN envelope:  ENVID=");
		qc_text(x, e->envid);
		buf_sputc(&x->out, '\n');
	}
	if (e->ret != ENVELOPE_RET_NONE)
		buf_sprintf(&x->out, "DSN return:    %s\n", e->ret ==
		    ENVELOPE_RET_HDRS ? "headers only (RET=HDRS)" :
		    "full message (RET=FULL)");
	buf_sprintf(&x->out, "Attempts:      %llu", (unsigned long long)
	    m->st.attempts);
	if (m->st.first_attempt != 0)
		buf_sprintf(&x->out, ", first %s", qc_time(x,
		    m->st.first_attempt, when, sizeof(when)));
	buf_sputc(&x->out, '\n');
	if (qc_held(x, m)) {
		buf_sputs(&x->out, "Next attempt:  ");
		qc_hold_text(x);
		buf_sputc(&x->out, '\n');
	} else if (m->where == QC_CUR) {
		if (m->st.next_attempt > x->now)
			buf_sprintf(&x->out, "Next attempt:  %s (in %s)\n",
			    qc_time(x, m->st.next_attempt, when, sizeof(when)),
			    queuefmt_age(m->st.next_attempt - x->now, age,
			    sizeof(age)));
		else
			buf_sputs(&x->out, "Next attempt:  now (due)\n");
	} else if (m->where == QC_NEW)
		buf_sputs(&x->out, "Next attempt:  now (as soon as the agent "
		    "sees it)\n");
	if (m->st.last_error != NULL) {
		buf_sputs(&x->out, "Last error:    ");
		qc_text(x, m->st.last_error);
		buf_sputc(&x->out, '\n');
	}
	if (m->problem != NULL) {
		buf_sputs(&x->out, "Problem:       ");
		qc_text(x, m->problem);
		buf_sputc(&x->out, '\n');
	}
	buf_sprintf(&x->out, "Recipients:    %zu\n", e->nrcpts);
	for (i = 0; i < e->nrcpts; i++) {
		const struct spool_rcpt_status *rs = spool_state_rcpt(&m->st,
		    i);

		buf_sputs(&x->out, "  <");
		qc_text(x, e->rcpts[i].addr);
		buf_sprintf(&x->out, "> %s", spool_rcpt_state_name(rs != NULL ?
		    rs->state : SPOOL_RCPT_PENDING));
		if (rs != NULL && rs->code != 0)
			buf_sprintf(&x->out, ", last reply %u%s%s", rs->code,
			    rs->enh[0] ? " " : "", rs->enh);
		if (rs != NULL && rs->text != NULL && rs->text[0] != '\0') {
			buf_sputs(&x->out, rs->code != 0 ? " " : ": ");
			qc_text(x, rs->text);
		}
		if (e->rcpts[i].notify != 0 || e->rcpts[i].orcpt != NULL) {
			buf_sputs(&x->out, "\n      DSN:");
			if (e->rcpts[i].notify & ENVELOPE_NOTIFY_NEVER)
				buf_sputs(&x->out, " NOTIFY=NEVER");
			else if (e->rcpts[i].notify != 0)
				buf_sprintf(&x->out, " NOTIFY=%s%s%s",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_SUCCESS ? "SUCCESS," : "",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_FAILURE ? "FAILURE," : "",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_DELAY ? "DELAY," : "");
			if (e->rcpts[i].orcpt != NULL) {
				buf_sputs(&x->out, " ORCPT=");
				qc_text(x, e->rcpts[i].orcpt);
			}
		}
		buf_sputc(&x->out, '\n');
	}
}

/* qc_show - one message: envelope, state, header (body with --body) */
int
qc_show(struct qc_ctx *x, const char *arg)
{
	struct relaystate_file *rs;
	struct qc_msg	m;
	struct qid	qid;
	enum qc_where	w;
	char		path[4096];
	int		rc, fd;

	if ((rc = qc_resolve(x, arg, &qid, &w)) != EX_OK)
		return rc;
	if (qc_load(x, &qid, w, false, &m) == -1) {
		log_error("%s: vanished meanwhile (delivered or moved)", qid.s);
		return EX_NOINPUT;
	}
	if (!m.ok) {
		if (x->json) {
			qc_msg_json(x, &m, true);
			buf_sputc(&x->out, '\n');
		} else {
			buf_sprintf(&x->out, "Queue ID:      %s\n"
			    "Queue:         %s/\nProblem:       ", qid.s,
			    qc_dirs[w]);
			qc_text(x, m.problem);
			buf_sputs(&x->out, "\n");
		}
		qc_flush(x);
		qc_msg_free(&m);
		return EX_DATAERR;
	}
	rs = xmalloc(sizeof(*rs));
	qc_relays_read(x, rs);
	qc_hold_set(x, rs);
	if (x->json)
		qc_msg_json(x, &m, false);
	else
		qc_show_text(x, &m);
	x->hold = NULL;
	free(rs);
	(void)spool_path(x->c->spool_dir, qc_dirs[w], &qid, path,
	    sizeof(path));
	fd = openat(x->dir[w], qid.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 || qc_show_message(x, &m, fd) == -1) {
		if (x->json)
			buf_sputs(&x->out, ",\"headers\":[]");
		log_warn("read %s", path);
		rc = EX_IOERR;
	}
	if (fd != -1)
		close(fd);
	if (x->json)
		buf_sputs(&x->out, "}\n");
	qc_flush(x);
	qc_msg_free(&m);
	if (fflush(stdout) == EOF)
		rc = EX_IOERR;
	return rc;
}
