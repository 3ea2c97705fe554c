/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_relays.c - the agent's relay state as the queue tools show
 * it: which relays are down since when and why (text and JSON), and
 * whether waiting mail is held by the relays rather than by its own
 * back-off.
 *
 * Reads state/relays only through relaystate.h (its one owner) and never
 * writes it.  Calls only queuecmd_ctx.c among the queue tools' files.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"

#define QC_RELAYS_FILE		RELAYSTATE_FILE	/* doc/agent.md */

/* qc_relays_read - parse state/relays when present and readable */
void
qc_relays_read(struct qc_ctx *x, struct relaystate_file *rs)
{
	memset(rs, 0, sizeof(*rs));
	if (x->state_fd != -1 && relaystate_read(x->state_fd, rs) == -1 &&
	    errno != ENOENT && errno != EACCES)
		rs->bad++;
}

/*
 * qc_hold_set - when every relay of rs is down, mail can leave only when
 * one is back: remember the one whose next try comes first, whose reason
 * then holds every waiting message (rs must outlive x's use of it)
 */
void
qc_hold_set(struct qc_ctx *x, const struct relaystate_file *rs)
{
	size_t	i;

	x->hold = NULL;
	for (i = 0; i < rs->n; i++) {
		if (!rs->r[i].down) {
			x->hold = NULL;
			return;
		}
		if (x->hold == NULL || rs->r[i].next_try < x->hold->next_try)
			x->hold = &rs->r[i];
	}
}

/*
 * qc_held - m waits for the relays, not for its own back-off: every
 * relay is down and m would be due before the first one is back
 */
bool
qc_held(const struct qc_ctx *x, const struct qc_msg *m)
{
	return x->hold != NULL && m->ok && m->problem == NULL &&
	    m->where != QC_FAILED && m->st.next_attempt <=
	    (x->hold->next_try > x->now ? x->hold->next_try : x->now);
}

/* qc_hold_next - when a held message is tried next: the relay's next try */
uint64_t
qc_hold_next(const struct qc_ctx *x)
{
	return x->hold->next_try > x->now ? x->hold->next_try : x->now;
}

/* qc_hold_text - "next TIME (in N); relay R down since T: REASON" */
void
qc_hold_text(struct qc_ctx *x)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];

	buf_sputs(&x->out, "next ");
	if (x->hold->next_try > x->now) {
		buf_sputs(&x->out, qc_time(x, x->hold->next_try, when,
		    sizeof(when)));
		buf_sputs(&x->out, " (in ");
		buf_sputs(&x->out, queuefmt_age(x->hold->next_try - x->now, age,
		    sizeof(age)));
		buf_sputc(&x->out, ')');
	} else
		buf_sputs(&x->out, "now (due)");
	buf_sputs(&x->out, "; waiting for relay ");
	qc_text(x, x->hold->name);
	buf_sputs(&x->out, ", down since ");
	buf_sputs(&x->out, qc_time(x, x->hold->down_since, when, sizeof(when)));
	buf_sputs(&x->out, ": ");
	qc_text(x, x->hold->reason);
}

/* qc_relays_text - "relay X down since ..." for every relay down */
void
qc_relays_text(struct qc_ctx *x, const struct relaystate_file *rs)
{
	char	since[64], next[64], age[QUEUEFMT_AGE_MAX];
	size_t	i;
	bool	any = false;

	for (i = 0; i < rs->n; i++) {
		const struct relaystate *r = &rs->r[i];

		if (!r->down)
			continue;
		any = true;
		buf_sputs(&x->out, "relay ");
		qc_text(x, r->name);
		buf_sprintf(&x->out, " down since %s (%s), %llu failure%s, ",
		    qc_time(x, r->down_since, since, sizeof(since)),
		    queuefmt_age(x->now > r->down_since ? x->now -
		    r->down_since : 0, age, sizeof(age)),
		    (unsigned long long)r->failures, r->failures == 1 ? "" :
		    "s");
		if (r->next_try > x->now)
			buf_sprintf(&x->out, "next try %s (in %s)",
			    qc_time(x, r->next_try, next, sizeof(next)),
			    queuefmt_age(r->next_try - x->now, age,
			    sizeof(age)));
		else
			buf_sputs(&x->out, "next try now");
		buf_sputs(&x->out, ": ");
		qc_text(x, r->reason);
		buf_sputc(&x->out, '\n');
	}
	if (rs->bad > 0)
		buf_sprintf(&x->out, "(%zu unreadable line%s in %s/%s/%s)\n",
		    rs->bad, rs->bad == 1 ? "" : "s", x->c->spool_dir,
		    SPOOL_STATE, QC_RELAYS_FILE);
	if (any || rs->bad > 0)
		buf_sputc(&x->out, '\n');
}

/* qc_relays_json - the "relays" array */
void
qc_relays_json(struct qc_ctx *x, const struct relaystate_file *rs)
{
	size_t	i;

	buf_sputs(&x->out, "\"relays\":[");
	for (i = 0; i < rs->n; i++) {
		const struct relaystate *r = &rs->r[i];

		buf_sputs(&x->out, i > 0 ? ",\n{\"name\":" : "\n{\"name\":");
		json_str(&x->out, r->name);
		if (r->down) {
			buf_sprintf(&x->out, ",\"state\":\"down\","
			    "\"down_since\":%llu,\"next_try\":%llu,"
			    "\"failures\":%llu,\"reason\":",
			    (unsigned long long)r->down_since,
			    (unsigned long long)r->next_try,
			    (unsigned long long)r->failures);
			json_str(&x->out, r->reason);
		} else
			buf_sputs(&x->out, ",\"state\":\"up\",\"down_since\":"
			    "null,\"next_try\":null,\"failures\":0,\"reason\":"
			    "null");
		buf_sputc(&x->out, '}');
	}
	buf_sputs(&x->out, "],\n");
}
