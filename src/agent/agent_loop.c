/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_loop.c - posternd's main loop and --once: inotify on new/, the
 * trigger FIFOs, queue.sock, signals (SIGHUP reloads; a bad
 * configuration keeps the old one), the periodic scan and cleaning,
 * retry timers, the rate limit's end, the session's idle end and the
 * metrics file; due messages go to agent_send.c (concurrency = 1) or to
 * the workers (agent_workers.c).
 *
 * Never loses or duplicates a message on a signal: SIGTERM/SIGINT are
 * read from a signalfd and acted on between messages (inside an SMTP
 * stage, conn_set_stop ends the wait).  Never polls with a zero timeout
 * unless something can be done now (agent_timeout_ms).  Called by
 * posternd.c only.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "auth.h"
#include "log.h"
#include "spool.h"
#include "util.h"

#define AGENT_INOTIFY_BUF	8192
#define AGENT_TRIGGER_BUF	4096
#define AGENT_TRIGGER_DRAIN	65536	/* bytes read from a FIFO per wake */
#define AGENT_TRIGGER_FLUSH	'f'	/* "postern flush": all due now */
#define AGENT_TRIGGER_SCAN_MS	5000	/* world FIFO: one rescan per 5 s */
#define AGENT_TRIGGER_FLUSH_MS	60000	/* world FIFO: one flush a minute */

/* agent_inotify - schedule new arrivals */
static void
agent_inotify(struct agent *a, uint64_t now)
{
	char			 buf[AGENT_INOTIFY_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct qid		 qid;
	ssize_t			 n;
	char			*p;

	while ((n = read(a->ino_fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				a->last_scan = 0;	/* rescan now */
			else if (ev->len > 0 &&
			    qid_parse(&qid, ev->name) == 0)
				(void)queue_pickup(&a->queue, &qid, now);
		}
	}
}

/* ---- the trigger FIFOs ---------------------------------------------------
 * spool/trigger (0622) is anyone's: postern-drop writes 'n', a user's
 * `sendmail -q` or `postern flush` 'f'.  Whatever is written, the bytes
 * read in one wake-up count once, a rescan follows at most once per
 * AGENT_TRIGGER_SCAN_MS, a flush of the messages (never of the relays'
 * back-off) at most once per AGENT_TRIGGER_FLUSH_MS, and the FIFO is not
 * even polled while a request waits: a flood costs one wake-up and one
 * rescan per period, and no AUTH attempt beyond the relays' back-off.
 * spool/flush (0620, the agent's group) is what root and the group's
 * `postern flush` and `postern retry` write: any byte a rescan now, 'f'
 * a flush of every message and every relay in back-off.  A flush is
 * applied after the rescan it causes (agent_scan): the rescan rebuilds
 * the schedule from the state files and would undo it.
 */

/*
 * agent_trigger_drain - read fd until empty, or AGENT_TRIGGER_DRAIN bytes
 * (a pipe's worth: a writer that keeps refilling it cannot hold us here;
 * the rest waits for the next wake-up); true when an 'f' came
 */
static bool
agent_trigger_drain(int fd)
{
	char	buf[AGENT_TRIGGER_BUF];
	ssize_t	n;
	size_t	total = 0;
	bool	flush = false;

	while (total < AGENT_TRIGGER_DRAIN &&
	    (n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (!flush && memchr(buf, AGENT_TRIGGER_FLUSH, (size_t)n) !=
		    NULL)
			flush = true;
	}
	return flush;
}

/* agent_trigger - the world's FIFO spoke: note it, act later */
static void
agent_trigger(struct agent *a)
{
	if (agent_trigger_drain(a->fifo_fd))
		a->trig_flush = true;
	a->trig_pending = true;
}

/* agent_trigger_admin - spool/flush spoke: a rescan now, maybe a flush */
static void
agent_trigger_admin(struct agent *a)
{
	if (agent_trigger_drain(a->admin_fd))
		a->flush = a->flush_relays = true;
	a->last_scan = 0;
}

/*
 * agent_trigger_wait_ms - milliseconds until what the world's FIFO asked
 * may be done (0: now), or -1 when it asked nothing
 */
static int64_t
agent_trigger_wait_ms(const struct agent *a, int64_t now)
{
	int64_t	end = a->trig_scan_ms + AGENT_TRIGGER_SCAN_MS;

	if (!a->trig_pending)
		return -1;
	if (a->trig_scan_ms == 0 || end <= now)
		return 0;
	return end - now;
}

/* agent_trigger_due - do what the world's FIFO asked, when its time comes */
static void
agent_trigger_due(struct agent *a, int64_t now)
{
	if (agent_trigger_wait_ms(a, now) != 0)
		return;
	a->trig_pending = false;
	a->trig_scan_ms = now;
	a->last_scan = 0;
	if (!a->trig_flush)
		return;
	a->trig_flush = false;
	if (a->trig_flush_ms != 0 &&
	    now - a->trig_flush_ms < AGENT_TRIGGER_FLUSH_MS) {
		log_debug("flush through %s: one a minute, the last one was "
		    "%llds ago; a rescan only", SPOOL_TRIGGER,
		    (long long)(now - a->trig_flush_ms) / 1000);
		return;
	}
	a->trig_flush_ms = now;
	a->flush = true;
}

/* agent_flush - every message (and, from spool/flush, relay) due now */
static void
agent_flush(struct agent *a)
{
	size_t	j;
	bool	relays = a->flush_relays;

	a->flush = a->flush_relays = false;
	if (relays)
		log_info("flush requested: every message and relay is due "
		    "now");
	else
		log_info("flush requested through %s: every message is due "
		    "now; relays in back-off wait for their next try "
		    "(postern flush by root or the group %s ends it)",
		    SPOOL_TRIGGER, POSTERN_GROUP);
	queue_flush(&a->queue);
	if (relays)
		for (j = 0; j < a->relays.n; j++)
			a->relays.r[j].next_try = 0;
}

/* agent_reload - SIGHUP: a bad new configuration keeps the old one */
static void
agent_reload(struct agent *a)
{
	struct conf		 c;
	struct tls_client	*tls[CONF_RELAYS_MAX];
	struct buf		 err;

	a->reload = false;
	buf_init(&err, AGENT_ERR_MAX);
	if (agent_load(a->conf_path, &c, tls, &err) == -1) {
		log_error("reload: %s: keeping the running configuration: %s",
		    a->conf_path, agent_chomp(&err));
		buf_free(&err);
		return;
	}
	buf_free(&err);
	if (strcmp(c.spool_dir, a->conf.spool_dir) != 0)
		log_warnx("reload: spool_dir changed to %s: restart %s to use "
		    "it; still using %s", c.spool_dir, AGENT_NAME,
		    a->conf.spool_dir);
	session_close(&a->sess);
	agent_tls_free(a->tls);
	{
		char *keep = a->conf.spool_dir;

		a->conf.spool_dir = c.spool_dir;
		c.spool_dir = keep;
	}
	conf_free(&a->conf);
	a->conf = c;
	memcpy(a->tls, tls, sizeof(tls));
	queue_relays_init(&a->relays, &a->conf);
	auth_global_configure(&a->conf);
	agent_log_setup(a);
	agent_rate_reset(a);
	log_info("reload: configuration %s loaded", a->conf_path);
}

/*
 * agent_metrics - write [monitoring] prometheus_textfile when something
 * changed since the last write, at most every METRICS_MIN_MS (force: now,
 * at the end of a --once run); main process only.  A failure is logged
 * once, and its end too; delivery never waits for it.
 */
static void
agent_metrics(struct agent *a, bool force)
{
	struct metrics_snapshot	s;
	struct buf		out, err;
	int64_t			ms = now_ms();
	size_t			i;
	int			rc;

	if (a->worker_fd != -1 || a->conf.prometheus_textfile == NULL ||
	    a->conf.prometheus_textfile[0] == '\0')
		return;
	if (!force && (!a->metrics_dirty || (a->metrics_ms != 0 &&
	    ms - a->metrics_ms < METRICS_MIN_MS)))
		return;
	a->metrics_dirty = false;
	a->metrics_ms = ms;
	memset(&s, 0, sizeof(s));
	s.now = agent_now();
	buf_init(&err, AGENT_ERR_MAX);
	buf_init(&out, (size_t)64 << 10);
	if (metrics_queue(a->conf.spool_dir, s.now, &s.queued,
	    &s.oldest_age) == -1) {
		buf_note(&err, "prometheus_textfile: count the queue in %s: %s",
		    a->conf.spool_dir, strerror(errno));
		rc = -1;
	} else {
		s.counters = a->counters;
		for (i = 0; i < a->relays.n && i < METRICS_RELAYS_MAX; i++) {
			s.relays[i].name = a->relays.r[i].name;
			s.relays[i].down = a->relays.r[i].down;
			s.relays[i].down_since = a->relays.r[i].down_since;
		}
		s.nrelays = i;
		rc = metrics_format(&out, &s);
		if (rc == -1)
			buf_note(&err, "prometheus_textfile: the text does not "
			    "fit in %zu bytes", out.max);
		else
			rc = metrics_write(a->conf.prometheus_textfile,
			    out.data, out.len, &err);
	}
	if (rc == -1 && !a->metrics_failed)
		log_warnx("%s (logged once until it works again)",
		    agent_chomp(&err));
	else if (rc == 0 && a->metrics_failed)
		log_info("prometheus_textfile: %s written again",
		    a->conf.prometheus_textfile);
	a->metrics_failed = rc == -1;
	buf_free(&out);
	buf_free(&err);
}

/* agent_scan - full rescan and cleaning */
static void
agent_scan(struct agent *a, uint64_t now)
{
	int	n;

	n = queue_scan(&a->queue, now);
	(void)queue_clean(&a->queue, now, a->conf.tmp_max_age,
	    a->conf.failed_keep);
	a->last_scan = now;
	a->metrics_dirty = true;
	log_debug("scan: %d messages queued", n);
	if (a->flush)
		agent_flush(a);
}

/* agent_due - deliver or dispatch, by concurrency */
static int64_t
agent_due(struct agent *a, uint64_t due_by, bool *blocked)
{
	if (a->nworkers > 0)
		return agent_dispatch(a, due_by, blocked);
	return agent_run_due(a, due_by, blocked);
}

/*
 * agent_timeout_ms - how long poll may sleep: until the next scan, the
 * next message due (or, when messages wait for a relay, the relay's next
 * try), the rate limit's end, the session's idle end.  When every
 * worker is busy (a->saturated), a message that is due waits for a
 * worker: the worker's report wakes poll, so due messages set no timer,
 * only a dead worker's slot that rests does; when the rate limit holds
 * them, its end is their timer.  This never returns 0 unless something
 * can be done now.
 */
static int
agent_timeout_ms(struct agent *a, uint64_t now, int64_t rate_wait,
    bool blocked)
{
	uint64_t next = a->last_scan + a->conf.scan_interval, t;
	int64_t	 idle_end, ms, respawn, trig;

	t = queue_next_time(&a->queue);
	if (blocked)
		t = queue_relays_next_try(&a->relays);
	else if (a->saturated || rate_wait > 0)
		t = UINT64_MAX;	/* due ones wait for a worker, the rate */
	if (t < next)
		next = t;
	ms = next <= now ? 0 : next - now > INT_MAX / 1000 ? INT_MAX :
	    (int64_t)(next - now) * 1000;
	if (rate_wait > 0 && rate_wait < ms)
		ms = rate_wait;
	if (a->saturated && !blocked &&
	    (respawn = agent_respawn_ms(a, now_ms())) != -1 && respawn < ms)
		ms = respawn;
	if ((trig = agent_trigger_wait_ms(a, now_ms())) != -1 && trig < ms)
		ms = trig;
	if (session_is_open(&a->sess)) {
		idle_end = a->sess.idle_since_ms +
		    (int64_t)a->conf.session_idle * 1000 - now_ms();
		if (idle_end < 0)
			idle_end = 0;
		if (idle_end < ms)
			ms = idle_end;
	}
	if (a->metrics_dirty && a->conf.prometheus_textfile != NULL &&
	    a->conf.prometheus_textfile[0] != '\0') {
		int64_t m = a->metrics_ms + METRICS_MIN_MS - now_ms();

		if (m < 0)
			m = 0;
		if (m < ms)
			ms = m;
	}
	if (ms > INT_MAX)
		ms = INT_MAX;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * agent_wait - poll the signals, inotify, the FIFO and the workers for
 * at most timeout ms, then act on what came in.
 */
static void
agent_wait(struct agent *a, int timeout)
{
	struct pollfd	pfd[6 + POOL_WORKERS_MAX];
	int		wfd[POOL_WORKERS_MAX];
	unsigned	i;
	int		nfd = 0, fifo = -1, admin = -1, ctl = -1, octl = -1;
	int		n;

	pfd[nfd].fd = a->sig_fd;
	pfd[nfd++].events = POLLIN;
	pfd[nfd].fd = a->ino_fd;
	pfd[nfd++].events = POLLIN;
	/* the world's FIFO waits while a request from it waits */
	if (a->fifo_fd != -1 && !a->trig_pending) {
		fifo = nfd;
		pfd[nfd].fd = a->fifo_fd;
		pfd[nfd++].events = POLLIN;
	}
	if (a->admin_fd != -1) {
		admin = nfd;
		pfd[nfd].fd = a->admin_fd;
		pfd[nfd++].events = POLLIN;
	}
	if (a->ctl.fd != -1) {
		ctl = nfd;
		pfd[nfd].fd = a->ctl.fd;
		pfd[nfd++].events = POLLIN;
	}
	if (a->octl.fd != -1) {
		octl = nfd;
		pfd[nfd].fd = a->octl.fd;
		pfd[nfd++].events = POLLIN;
	}
	for (i = 0; i < a->nworkers; i++) {
		wfd[i] = -1;
		if (a->workers[i].fd == -1)
			continue;
		wfd[i] = nfd;
		pfd[nfd].fd = a->workers[i].fd;
		pfd[nfd++].events = POLLIN;
	}
	if ((n = poll(pfd, (nfds_t)nfd, timeout)) == -1) {
		if (errno != EINTR)
			fatal_errno(EX_OSERR, "poll");
		return;
	}
	if (n > 0)
		a->metrics_dirty = true;	/* mail came, or a result */
	/* only what poll reported: a read that fails costs a system call */
	if (pfd[0].revents != 0)
		agent_signals(a);
	for (i = 0; i < a->nworkers; i++)
		if (wfd[i] != -1 && pfd[wfd[i]].revents != 0)
			agent_worker_read(a, i);
	if (pfd[1].revents != 0)
		agent_inotify(a, agent_now());
	if (fifo != -1 && (pfd[fifo].revents & POLLIN))
		agent_trigger(a);
	if (admin != -1 && (pfd[admin].revents & POLLIN))
		agent_trigger_admin(a);
	if (ctl != -1 && (pfd[ctl].revents & POLLIN))
		ctlsock_accept(&a->ctl);
	if (octl != -1 && (pfd[octl].revents & POLLIN))
		ctlsock_accept(&a->octl);
}

/* agent_loop - the daemon */
void
agent_loop(struct agent *a)
{
	uint64_t	now;
	int64_t		rate_wait;
	bool		blocked;

	agent_scan(a, agent_now());
	while (!a->stop) {
		if (a->reload) {
			agent_workers_stop(a);
			agent_reload(a);
			agent_set_concurrency(a);
		}
		agent_trigger_due(a, now_ms());
		now = agent_now();
		if (now >= a->last_scan + a->conf.scan_interval ||
		    a->last_scan == 0)
			agent_scan(a, now);
		rate_wait = agent_due(a, UINT64_MAX, &blocked);
		if (a->stop)
			break;
		if (a->reload)
			continue;
		if (session_is_open(&a->sess) && now_ms() >=
		    a->sess.idle_since_ms + (int64_t)a->conf.session_idle *
		    1000)
			session_close(&a->sess);
		agent_park_busy(a);
		agent_metrics(a, false);
		now = agent_now();
		agent_wait(a, agent_timeout_ms(a, now, rate_wait, blocked));
	}
	agent_workers_stop(a);
}

/* agent_once - deliver what is due now, then exit */
void
agent_once(struct agent *a)
{
	bool	blocked;
	int64_t	wait;
	uint64_t start = agent_now();

	agent_scan(a, start);
	for (;;) {
		wait = agent_due(a, start, &blocked);
		if (a->reload)
			a->reload = false;	/* one shot: no reload */
		if (a->stop)
			break;
		if (agent_workers_busy(a) > 0) {
			/* results, signals; the rate limit's end */
			agent_wait(a, wait > 0 ? (int)(wait > INT_MAX ?
			    INT_MAX : wait) : -1);
			continue;
		}
		if (blocked || wait == 0)
			break;
		/* the rate limit delays, never fails: sleep it off */
		log_info("--once: waiting %.1fs for the rate limit",
		    (double)wait / 1000.0);
		(void)poll(NULL, 0, wait > INT_MAX ? INT_MAX : (int)wait);
	}
	agent_workers_stop(a);
	agent_metrics(a, true);
}
