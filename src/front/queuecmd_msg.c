/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_msg.c - one message as the listing prints it: the mailq
 * entry (first line, status line, one line per recipient) and the JSON
 * object of doc/queue-tools.md.
 *
 * Formats only: it reads nothing and stages everything in x->out, whose
 * sticky error the caller checks.  Untrusted text (addresses, replies,
 * errors) goes through qc_text or json_str, never raw.  Calls
 * queuecmd_relays.c and queuecmd_ctx.c.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "json.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "spool.h"

#define QC_INDENT		"                          " \
				    "                          "

/* qc_status_text - the "(...)" line under the first line of an entry */
static void
qc_status_text(struct qc_ctx *x, const struct qc_msg *m)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];

	buf_sputs(&x->out, " (age ");
	buf_sputs(&x->out, queuefmt_age(x->now > m->env.arrival ? x->now -
	    m->env.arrival : 0, age, sizeof(age)));
	buf_sputs(&x->out, ", ");
	/* picked up into cur/ but not tried (an unreadable state says
	   nothing) */
	if (qc_held(x, m)) {
		if (m->st.attempts == 0)
			buf_sputs(&x->out, "not tried yet");
		else {
			qc_num(x, m->st.attempts);
			buf_sputs(&x->out, " attempt");
			buf_sputs(&x->out, qc_plural(m->st.attempts));
		}
		buf_sputs(&x->out, ", ");
		qc_hold_text(x);
		if (m->st.last_error != NULL) {
			buf_sputs(&x->out, "; its last error: ");
			qc_text(x, m->st.last_error);
		}
		buf_sputs(&x->out, ")\n");
		return;
	} else if (m->where == QC_NEW || (m->where == QC_CUR &&
	    m->problem == NULL && m->st.attempts == 0 &&
	    m->st.next_attempt <= x->now))
		buf_sputs(&x->out, "new, not tried yet");
	else if (m->where == QC_FAILED) {
		buf_sputs(&x->out, "failed after ");
		qc_num(x, m->st.attempts);
		buf_sputs(&x->out, " attempt");
		buf_sputs(&x->out, qc_plural(m->st.attempts));
	} else {
		qc_num(x, m->st.attempts);
		buf_sputs(&x->out, " attempt");
		buf_sputs(&x->out, qc_plural(m->st.attempts));
		buf_sputs(&x->out, ", next ");
		if (m->st.next_attempt > x->now) {
			buf_sputs(&x->out, qc_time(x, m->st.next_attempt, when,
			    sizeof(when)));
			buf_sputs(&x->out, " (in ");
			buf_sputs(&x->out, queuefmt_age(m->st.next_attempt -
			    x->now, age, sizeof(age)));
			buf_sputc(&x->out, ')');
		} else
			buf_sputs(&x->out, "now (due)");
	}
	if (m->problem != NULL) {
		buf_sputs(&x->out, "; ");
		qc_text(x, m->problem);
	} else if (m->st.last_error != NULL) {
		buf_sputs(&x->out, ": ");
		qc_text(x, m->st.last_error);
	}
	buf_sputs(&x->out, ")\n");
}

/*
 * qc_rcpt_status - the status of recipient i, walking the state's
 * ascending list with *at (start at 0, ask for i in ascending order): a
 * linear pass over both lists, where spool_state_rcpt per recipient
 * would be quadratic (10,000 recipients).  NULL: pending.
 */
static const struct spool_rcpt_status *
qc_rcpt_status(const struct qc_msg *m, size_t i, size_t *at)
{
	while (*at < m->st.nrcpts && m->st.rcpts[*at].index < i)
		(*at)++;
	if (*at < m->st.nrcpts && m->st.rcpts[*at].index == i)
		return &m->st.rcpts[*at];
	return NULL;
}

/* qc_rcpt_text - one recipient line with its state */
static void
qc_rcpt_text(struct qc_ctx *x, const struct qc_msg *m, size_t i,
    const struct spool_rcpt_status *rs)
{
	buf_sputs(&x->out, QC_INDENT "<");
	qc_text(x, m->env.rcpts[i].addr);
	buf_sputc(&x->out, '>');
	if (rs != NULL && rs->state != SPOOL_RCPT_PENDING) {
		buf_sputc(&x->out, ' ');
		buf_sputs(&x->out, spool_rcpt_state_name(rs->state));
		if (rs->code != 0 || (rs->text != NULL && rs->text[0])) {
			buf_sputs(&x->out, ":");
			if (rs->code != 0) {
				buf_sputc(&x->out, ' ');
				qc_num(x, rs->code);
			}
			if (rs->enh[0] != '\0') {
				buf_sputc(&x->out, ' ');
				buf_sputs(&x->out, rs->enh);
			}
			if (rs->text != NULL && rs->text[0] != '\0') {
				buf_sputc(&x->out, ' ');
				qc_text(x, rs->text);
			}
		}
	} else if (qc_held(x, m))
		buf_sputs(&x->out, " pending: waiting for the relay "
		    "(see above)");
	else if (m->where != QC_NEW)
		buf_sputs(&x->out, " pending");
	buf_sputc(&x->out, '\n');
}

/* qc_msg_text - one mailq entry */
void
qc_msg_text(struct qc_ctx *x, const struct qc_msg *m)
{
	char	when[QUEUEFMT_TIME_MAX];
	size_t	i, at = 0;

	if (!m->ok) {
		buf_sprintf(&x->out, "%-20s  (unreadable queue file in %s/: ",
		    m->qid.s, qc_dirs[m->where]);
		qc_text(x, m->problem != NULL ? m->problem : "?");
		buf_sputs(&x->out, ")\n\n");
		return;
	}
	/* "%-20s  %8llu %s  ": a queue id is always QID_LEN long */
	buf_sappend(&x->out, m->qid.s, QID_LEN);
	buf_sputs(&x->out, "  ");
	(void)queuefmt_u64(&x->out, m->env.size, 8);
	buf_sputc(&x->out, ' ');
	buf_sputs(&x->out, qc_time(x, m->env.arrival, when, sizeof(when)));
	buf_sputs(&x->out, "  ");
	if (m->env.sender[0] == '\0')
		buf_sputs(&x->out, "<>");
	else
		qc_text(x, m->env.sender);
	buf_sputc(&x->out, '\n');
	qc_status_text(x, m);
	for (i = 0; i < m->env.nrcpts; i++)
		qc_rcpt_text(x, m, i, qc_rcpt_status(m, i, &at));
	buf_sputc(&x->out, '\n');
}

/* qc_json_time - a unix time, or null for 0 */
static void
qc_json_time(struct qc_ctx *x, const char *key, uint64_t t)
{
	buf_sputs(&x->out, ",\"");
	buf_sputs(&x->out, key);
	buf_sputs(&x->out, "\":");
	if (t == 0)
		buf_sputs(&x->out, "null");
	else
		qc_num(x, t);
}

/* qc_rcpt_json - one element of "recipients" */
static void
qc_rcpt_json(struct qc_ctx *x, const struct qc_msg *m, size_t i,
    const struct spool_rcpt_status *rs)
{
	const struct envelope_rcpt *r = &m->env.rcpts[i];
	bool		 any = false;

	buf_sputs(&x->out, "{\"address\":");
	json_str(&x->out, r->addr);
	buf_sputs(&x->out, ",\"state\":\"");
	buf_sputs(&x->out, spool_rcpt_state_name(rs != NULL ? rs->state :
	    SPOOL_RCPT_PENDING));
	if (rs != NULL && rs->code != 0) {
		buf_sputs(&x->out, "\",\"code\":");
		qc_num(x, rs->code);
	} else
		buf_sputs(&x->out, "\",\"code\":null");
	buf_sputs(&x->out, ",\"enhanced\":");
	json_str(&x->out, rs != NULL && rs->enh[0] ? rs->enh : NULL);
	buf_sputs(&x->out, ",\"reply\":");
	json_str(&x->out, rs != NULL && rs->text != NULL &&
	    rs->text[0] ? rs->text : NULL);
	buf_sputs(&x->out, ",\"notify\":[");
	if (r->notify & ENVELOPE_NOTIFY_NEVER)
		buf_sputs(&x->out, "\"NEVER\"");
	else {
		if (r->notify & ENVELOPE_NOTIFY_SUCCESS) {
			buf_sputs(&x->out, "\"SUCCESS\"");
			any = true;
		}
		if (r->notify & ENVELOPE_NOTIFY_FAILURE) {
			buf_sputs(&x->out, any ? ",\"FAILURE\"" :
			    "\"FAILURE\"");
			any = true;
		}
		if (r->notify & ENVELOPE_NOTIFY_DELAY)
			buf_sputs(&x->out, any ? ",\"DELAY\"" : "\"DELAY\"");
	}
	buf_sputs(&x->out, "],\"orcpt\":");
	json_str(&x->out, r->orcpt);
	buf_sputc(&x->out, '}');
}

/*
 * qc_msg_json - one element of "messages" (no trailing separator); with
 * close false the object is left open for more members.
 */
void
qc_msg_json(struct qc_ctx *x, const struct qc_msg *m, bool close_it)
{
	size_t	i, at = 0;

	buf_sputs(&x->out, "{\"id\":\"");
	buf_sappend(&x->out, m->qid.s, QID_LEN);
	buf_sputs(&x->out, "\",\"queue\":\"");
	buf_sputs(&x->out, qc_dirs[m->where]);
	buf_sputc(&x->out, '"');
	if (!m->ok) {
		buf_sputs(&x->out, ",\"error\":");
		json_str(&x->out, m->problem != NULL ? m->problem :
		    "?");
		if (close_it)
			buf_sputc(&x->out, '}');
		return;
	}
	buf_sputs(&x->out, ",\"size\":");
	qc_num(x, m->env.size);
	buf_sputs(&x->out, ",\"arrival\":");
	qc_num(x, m->env.arrival);
	buf_sputs(&x->out, ",\"age\":");
	qc_num(x, x->now > m->env.arrival ? x->now - m->env.arrival : 0);
	buf_sputs(&x->out, ",\"uid\":");
	qc_num(x, (unsigned long)m->env.uid);
	buf_sputs(&x->out, ",\"login\":");
	json_str(&x->out, m->env.login);
	buf_sputs(&x->out, ",\"sender\":");
	json_str(&x->out, m->env.sender);
	buf_sputs(&x->out, ",\"attempts\":");
	qc_num(x, m->st.attempts);
	qc_json_time(x, "first_attempt", m->st.first_attempt);
	if (m->where == QC_FAILED)
		buf_sputs(&x->out, ",\"next_attempt\":null");
	else if (qc_held(x, m)) {
		buf_sputs(&x->out, ",\"next_attempt\":");
		qc_num(x, qc_hold_next(x));
	} else {
		buf_sputs(&x->out, ",\"next_attempt\":");
		qc_num(x, m->st.next_attempt > x->now ? m->st.next_attempt :
		    x->now);
	}
	buf_sputs(&x->out, ",\"last_error\":");
	json_str(&x->out, m->st.last_error);
	if (qc_held(x, m)) {
		buf_sputs(&x->out, ",\"held_by_relay\":{\"name\":");
		json_str(&x->out, x->hold->name);
		buf_sprintf(&x->out, ",\"down_since\":%llu,\"next_try\":%llu,"
		    "\"reason\":", (unsigned long long)x->hold->down_since,
		    (unsigned long long)qc_hold_next(x));
		json_str(&x->out, x->hold->reason);
		buf_sputc(&x->out, '}');
	} else
		buf_sputs(&x->out, ",\"held_by_relay\":null");
	buf_sputs(&x->out, ",\"problem\":");
	json_str(&x->out, m->problem);
	buf_sputs(&x->out, ",\"recipients\":[");
	for (i = 0; i < m->env.nrcpts; i++) {
		if (i > 0)
			buf_sputc(&x->out, ',');
		qc_rcpt_json(x, m, i, qc_rcpt_status(m, i, &at));
	}
	buf_sputs(&x->out, close_it ? "]}" : "]");
}
