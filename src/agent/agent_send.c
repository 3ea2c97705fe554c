/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_send.c - one message delivered by this process: with
 * concurrency = 1 by the main process (agent_run_due), with more by a
 * worker (agent_workers.c) for the job it was handed.  Keeps the cached
 * session (session.c), opening it on the first usable relay, and reports
 * each relay's up/down and each attempt's outcome: in the main process
 * to the relay state (queue.h) and alert_command, in a worker to the
 * main process over its socket (pool.h), which alone keeps them.
 *
 * Decides nothing about temporary or permanent (deliver.c does), never
 * blames a relay for our own SIGTERM, and calls only agent_setup.c and
 * agent_rate.c among the agent_*.c files.
 */
#include "config.h"

#include <string.h>

#include "agent.h"
#include "alert.h"
#include "deliver.h"
#include "log.h"
#include "util.h"

/*
 * agent_mark_down - the main process backs relay i off
 * (queue_relay_down) and, when it was up (not on every failed attempt),
 * runs alert_command
 */
void
agent_mark_down(struct agent *a, size_t i, const char *reason,
    uint64_t now)
{
	struct alert_facts	f;
	const struct queue_relay *r;

	a->metrics_dirty = true;
	if (!queue_relay_down(&a->relays, i, reason, now, a->conf.retry_min,
	    a->conf.retry_max, a->conf.spool_dir))
		return;
	r = &a->relays.r[i];
	memset(&f, 0, sizeof(f));
	f.relay = r->name;
	f.down = true;
	f.now = now;
	f.down_since = r->down_since;
	f.failures = r->failures;
	f.next_try = r->next_try;
	f.reason = r->reason;
	(void)alert_run(&a->conf, &f);
}

/*
 * agent_mark_up - the main process marks relay i up (queue_relay_up)
 * and, when it was down, runs alert_command
 */
void
agent_mark_up(struct agent *a, size_t i, uint64_t now)
{
	struct alert_facts	f;
	struct queue_relay	was;

	a->metrics_dirty = true;
	if (i >= a->relays.n)
		return;
	was = a->relays.r[i];
	if (!queue_relay_up(&a->relays, i, now, a->conf.spool_dir))
		return;
	memset(&f, 0, sizeof(f));
	f.relay = was.name;
	f.down = false;
	f.now = now;
	f.down_since = was.down_since;
	f.failures = was.failures;
	f.reason = was.reason;
	(void)alert_run(&a->conf, &f);
}

/*
 * agent_relay_down - relay i failed: in a worker, tell the main process
 * (which keeps the relay state) and stop using it for this job;
 * otherwise back it off here.
 */
static void
agent_relay_down(struct agent *a, size_t i, const char *reason,
    uint64_t now)
{
	struct pool_msg	msg;

	if (a->worker_fd == -1) {
		agent_mark_down(a, i, reason, now);
		return;
	}
	if (i < a->relays.n) {
		a->relays.r[i].down = true;
		a->relays.r[i].next_try = UINT64_MAX;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_DOWN;
	msg.relay = (unsigned)i;
	(void)str_copy(msg.reason, reason, sizeof(msg.reason));
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report relay %zu down", i);
}

/* agent_relay_up - relay i worked (in a worker: tell the main process) */
static void
agent_relay_up(struct agent *a, size_t i, uint64_t now)
{
	struct pool_msg	msg;

	if (a->worker_fd == -1) {
		agent_mark_up(a, i, now);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_UP;
	msg.relay = (unsigned)i;
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report relay %zu up", i);
}

/*
 * agent_session - an open session to the first relay usable by usable_by
 * (now, or --once's start time, so that a relay put into back-off during
 * a --once run is not tried again in it), opening one if needed.
 * Returns false when no relay can be used now.
 */
static bool
agent_session(struct agent *a, uint64_t now, uint64_t usable_by)
{
	struct why	why;
	size_t		i;

	if (session_is_open(&a->sess) &&
	    a->sess.messages < a->conf.session_max_messages)
		return true;
	session_close(&a->sess);
	for (i = 0; i < a->relays.n; i++) {
		if (!queue_relay_usable(&a->relays, i, usable_by))
			continue;
		why_clear(&why);
		if (session_open(&a->sess, &a->conf, i, a->tls[i],
		    &why) == 0) {
			agent_relay_up(a, i, now);
			return true;
		}
		if (a->stop)
			return false;	/* our SIGTERM, not the relay's fault */
		agent_relay_down(a, i, why.text, now);
	}
	return false;
}

/*
 * agent_outcome - an attempt over relay i ended with sent, deferred and
 * bounced recipients: the relay's last_sent, the metrics' counters (in a
 * worker: told to the main process, which keeps both)
 */
void
agent_outcome(struct agent *a, size_t i, uint64_t now,
    const struct metrics_counters *d)
{
	struct pool_msg	msg;

	if (d->delivered + d->deferred + d->bounced == 0)
		return;
	if (a->worker_fd == -1) {
		a->counters.delivered += d->delivered;
		a->counters.deferred += d->deferred;
		a->counters.bounced += d->bounced;
		a->metrics_dirty = true;
		if (d->delivered > 0)
			queue_relay_sent(&a->relays, i, now,
			    a->conf.spool_dir);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_RELAY_SENT;
	msg.relay = (unsigned)i;
	msg.sent = d->delivered;
	msg.deferred = d->deferred;
	msg.bounced = d->bounced;
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report the outcome over relay %zu", i);
}

/* agent_rcpt_count - recipients of m in state st */
static uint64_t
agent_rcpt_count(const struct queue_msg *m, enum spool_rcpt_state st)
{
	uint64_t n = 0;
	size_t	 i;

	for (i = 0; i < m->state.nrcpts; i++)
		if (m->state.rcpts[i].state == st)
			n++;
	return n;
}

/*
 * agent_deliver_one - claim qid and deliver it over the cached session;
 * relays are judged usable by usable_by (see agent_session)
 */
enum agent_try
agent_deliver_one(struct agent *a, const struct qid *qid, uint64_t now,
    uint64_t usable_by)
{
	struct deliver_ctx	ctx;
	struct queue_msg	m;
	struct buf		err;
	struct why		why;
	enum agent_try		rc = AGENT_TRIED;
	struct metrics_counters	d;
	uint64_t		sent, failed;
	size_t			relay;

	buf_init(&err, AGENT_ERR_MAX);
	if (queue_claim(&a->queue, qid, &m, &err) == -1) {
		buf_free(&err);
		return AGENT_SKIPPED;	/* set aside, gone or busy: logged */
	}
	buf_free(&err);
	ctx.conf = &a->conf;
	ctx.queue = &a->queue;
	ctx.now = now;
	if (deliver_settle(&ctx, &m)) {
		rc = AGENT_SKIPPED;
		goto out;
	}
	if (!agent_session(a, now, usable_by)) {
		rc = AGENT_BLOCKED;
		goto out;
	}
	why_clear(&why);
	sent = agent_rcpt_count(&m, SPOOL_RCPT_SENT);
	failed = agent_rcpt_count(&m, SPOOL_RCPT_FAILED);
	relay = a->sess.relay_index;
	if (deliver_message(&ctx, &a->sess, &m, &why) ==
	    DELIVER_RELAY_FAULT) {
		session_abort(&a->sess);
		if (!a->stop)
			agent_relay_down(a, relay, why.text, now);
	} else {
		/* recipients deferred now are this attempt's deferrals */
		d.delivered = agent_rcpt_count(&m, SPOOL_RCPT_SENT) - sent;
		d.bounced = agent_rcpt_count(&m, SPOOL_RCPT_FAILED) - failed;
		d.deferred = agent_rcpt_count(&m, SPOOL_RCPT_DEFERRED);
		agent_outcome(a, relay, agent_now(), &d);
	}
out:
	queue_msg_free(&m);
	return rc;
}

/*
 * agent_run_due - concurrency 1: deliver every message due by
 * min(now, due_by) (--once passes its start time, so a message deferred
 * in this run is not retried in it).  Returns the milliseconds to wait
 * for the rate limit (0: none), and sets *blocked when messages are due
 * but no relay is usable.
 */
int64_t
agent_run_due(struct agent *a, uint64_t due_by, bool *blocked)
{
	struct qid	qid;
	uint64_t	now;
	int64_t		wait;

	*blocked = false;
	for (;;) {
		agent_signals(a);
		if (a->stop || a->reload)
			break;
		now = agent_now();
		if (!queue_next_due(&a->queue, now < due_by ? now : due_by,
		    &qid))
			break;
		if ((wait = agent_rate_wait(a, now_ms())) > 0) {
			agent_rate_log(a, wait);
			return wait;
		}
		a->rate_logged = false;
		switch (agent_deliver_one(a, &qid, now,
		    now < due_by ? now : due_by)) {
		case AGENT_TRIED:
			agent_rate_note(a, now_ms());
			break;
		case AGENT_BLOCKED:
			*blocked = true;
			return 0;
		case AGENT_SKIPPED:
		default:
			break;
		}
	}
	return 0;
}
