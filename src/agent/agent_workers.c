/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_workers.c - posternd's worker pool (concurrency > 1), both
 * sides.  The main process only schedules: it hands a due queue id to
 * an idle worker (spawning one, pool.c), never a queue id that is still
 * out, reads the workers' records (next attempt, relay up/down,
 * outcomes), requeues the job of a worker that died and lets a dead
 * worker's slot rest AGENT_RESPAWN_MS.  A worker delivers each job over
 * its own session (agent_send.c) and reports; it stops on SIGTERM or
 * SIGINT between jobs or inside an SMTP stage (conn_set_stop).
 *
 * The main process keeps the relay state and the metrics: a worker
 * never writes them.  Never calls agent_loop.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "auth.h"
#include "log.h"
#include "util.h"

#define AGENT_RESPAWN_MS	1000	/* a dead worker's slot rests */

/* agent_worker_stopping - the same in a worker: any signal read stops */
static bool
agent_worker_stopping(int fd, void *arg)
{
	struct agent		*a = arg;
	struct signalfd_siginfo	 si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		a->stop = true;
	return a->stop;
}

/* agent_worker_job - in a worker: one job, then its Q records */
static void
agent_worker_job(struct agent *a, const struct pool_msg *job)
{
	struct pool_msg	msg;
	size_t		i;
	uint64_t	now = agent_now();
	bool		reported = false;

	/* the main process keeps the relay state: use what it allows */
	for (i = 0; i < a->relays.n; i++) {
		a->relays.r[i].down = (job->relay_mask & (1U << i)) == 0;
		a->relays.r[i].next_try = a->relays.r[i].down ? UINT64_MAX : 0;
	}
	queue_clear(&a->queue);
	queue_schedule(&a->queue, &job->qid, now);
	(void)agent_deliver_one(a, &job->qid, now, now);
	/* the job and anything this worker queued (DSNs), the job last */
	memset(&msg, 0, sizeof(msg));
	msg.kind = POOL_MSG_DONE;
	for (i = 0; i < a->queue.n; i++) {
		if (strcmp(a->queue.v[i].qid.s, job->qid.s) == 0)
			continue;
		msg.qid = a->queue.v[i].qid;
		msg.next = a->queue.v[i].next;
		if (pool_send(a->worker_fd, &msg) == -1)
			log_warn("worker: report %s", msg.qid.s);
	}
	msg.qid = job->qid;
	msg.next = POOL_UNSCHEDULED;
	for (i = 0; i < a->queue.n && !reported; i++)
		if (strcmp(a->queue.v[i].qid.s, job->qid.s) == 0) {
			msg.next = a->queue.v[i].next;
			reported = true;
		}
	if (pool_send(a->worker_fd, &msg) == -1)
		log_warn("worker: report %s", msg.qid.s);
	queue_clear(&a->queue);
}

/*
 * agent_worker - a worker process: jobs from fd until end of file or
 * SIGTERM/SIGINT (read between jobs), QUIT after session_idle.
 */
static void
agent_worker(int fd, void *arg)
{
	struct agent	*a = arg;
	struct pool_msg	 job;
	struct pollfd	 pfd[2];
	sigset_t	 set;
	int64_t		 idle;
	int		 r, sfd;

	a->worker_fd = fd;
	a->nworkers = 0;
	{
		/* the parent's schedule is not ours */
		char	*spool = xstrdup(a->queue.spool_dir);
		bool	 check = a->queue.check_gid;

		queue_free(&a->queue);
		queue_init(&a->queue, spool, a->drop_gid, a->agent_gid, check);
		free(spool);
	}
	session_init(&a->sess);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal_errno(EX_OSERR, "worker: signalfd");
	conn_set_stop(sfd, agent_worker_stopping, a);
	log_debug("worker %ld started", (long)getpid());
	while (!a->stop) {
		idle = -1;
		if (session_is_open(&a->sess)) {
			idle = a->sess.idle_since_ms +
			    (int64_t)a->conf.session_idle * 1000 - now_ms();
			if (idle < 0)
				idle = 0;
		}
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, idle > INT_MAX ? INT_MAX : (int)idle) == -1) {
			if (errno == EINTR)
				continue;
			fatal_errno(EX_OSERR, "worker: poll");
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) ==
			    (ssize_t)sizeof(si))
				a->stop = true;
			if (a->stop)
				break;
		}
		if (session_is_open(&a->sess) && now_ms() >=
		    a->sess.idle_since_ms + (int64_t)a->conf.session_idle *
		    1000)
			session_close(&a->sess);
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((r = pool_recv(fd, &job)) == 0)
			break;		/* the main process is done with us */
		if (r == -1) {
			if (errno == EAGAIN)
				continue;
			log_warn("worker: read a job");
			break;
		}
		if (job.kind != POOL_MSG_JOB) {
			log_warnx("worker: unexpected record '%c'", job.kind);
			break;
		}
		agent_worker_job(a, &job);
	}
	session_close(&a->sess);
	conn_set_stop(-1, NULL, NULL);
	close(sfd);
	queue_free(&a->queue);
	agent_tls_free(a->tls);
	conf_free(&a->conf);
	free(a->rate);
	auth_global_done();
	log_debug("worker %ld stopped", (long)getpid());
}

/* agent_park_busy - jobs that are out are never due in the main process */
void
agent_park_busy(struct agent *a)
{
	unsigned i;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].pid > 0 && a->workers[i].busy)
			queue_schedule(&a->queue, &a->workers[i].qid,
			    UINT64_MAX);
}

/* agent_worker_gone - a worker's socket closed: reap, requeue its job */
static void
agent_worker_gone(struct agent *a, unsigned i)
{
	struct pool_worker *w = &a->workers[i];
	bool		 busy = w->busy;
	struct qid	 qid = w->qid;
	int		 st;

	st = pool_reap(w);
	a->died_ms[i] = now_ms();
	if (busy) {
		log_error("worker %u ended (status %d) during %s: it is tried "
		    "again in %llus", i, st, qid.s,
		    (unsigned long long)a->conf.retry_min);
		queue_schedule(&a->queue, &qid, agent_now() +
		    a->conf.retry_min);
	} else if (!a->stop && !a->reload &&
	    !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		log_error("worker %u ended (status %d)", i, st);
}

/* agent_worker_record - act on one record from worker i */
static void
agent_worker_record(struct agent *a, unsigned i, const struct pool_msg *m)
{
	struct pool_worker *w = &a->workers[i];
	uint64_t	 now = agent_now();
	struct queue_relay *r;

	switch (m->kind) {
	case POOL_MSG_DONE:
		if (w->busy && strcmp(w->qid.s, m->qid.s) == 0)
			w->busy = false;
		if (m->next == POOL_UNSCHEDULED)
			queue_unschedule(&a->queue, &m->qid);
		else
			queue_schedule(&a->queue, &m->qid, m->next);
		break;
	case POOL_MSG_RELAY_UP:
		agent_mark_up(a, m->relay, now);
		break;
	case POOL_MSG_RELAY_SENT: {
		struct metrics_counters d = { m->sent, m->deferred,
		    m->bounced };

		agent_outcome(a, m->relay, now, &d);
		break;
	}
	case POOL_MSG_RELAY_DOWN:
		if (m->relay >= a->relays.n)
			break;
		r = &a->relays.r[m->relay];
		/* another worker already backed it off: once is enough */
		if (r->down && r->next_try > now)
			break;
		agent_mark_down(a, m->relay, m->reason, now);
		break;
	case POOL_MSG_JOB:
	default:
		log_warnx("worker %u: unexpected record '%c'", i, m->kind);
		break;
	}
}

/* agent_worker_read - every record worker i has sent; reap it at EOF */
void
agent_worker_read(struct agent *a, unsigned i)
{
	struct pool_msg	m;
	int		r;

	while (a->workers[i].fd != -1) {
		r = pool_recv(a->workers[i].fd, &m);
		if (r == 1) {
			agent_worker_record(a, i, &m);
			continue;
		}
		if (r == -1 && errno == EAGAIN)
			return;
		if (r == -1)
			log_warn("worker %u: read", i);
		agent_worker_gone(a, i);
	}
}

/* agent_workers_stop - let every worker finish its job, then reap it */
void
agent_workers_stop(struct agent *a)
{
	unsigned	i;
	int		flags;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].fd != -1)
			(void)shutdown(a->workers[i].fd, SHUT_WR);
	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].fd == -1)
			continue;
		/* blocking: each stage of a transaction is bounded */
		if ((flags = fcntl(a->workers[i].fd, F_GETFL)) != -1)
			(void)fcntl(a->workers[i].fd, F_SETFL,
			    flags & ~O_NONBLOCK);
		agent_worker_read(a, i);
	}
}

/* agent_worker_idle - an idle worker slot, spawning one if needed */
static struct pool_worker *
agent_worker_idle(struct agent *a)
{
	int		 fds[6 + POOL_WORKERS_MAX];
	size_t		 nfds = 0;
	unsigned	 i, j;

	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].pid > 0) {
			if (!a->workers[i].busy)
				return &a->workers[i];
			continue;
		}
		if (a->died_ms[i] != 0 &&
		    now_ms() - a->died_ms[i] < AGENT_RESPAWN_MS)
			continue;
		fds[nfds++] = a->sig_fd;
		fds[nfds++] = a->ino_fd;
		fds[nfds++] = a->fifo_fd;
		fds[nfds++] = a->admin_fd;
		fds[nfds++] = a->ctl.fd;	/* only the main loop accepts */
		fds[nfds++] = a->octl.fd;
		for (j = 0; j < a->nworkers; j++)
			if (a->workers[j].fd != -1)
				fds[nfds++] = a->workers[j].fd;
		if (pool_spawn(&a->workers[i], agent_worker, a, fds,
		    nfds) == -1) {
			log_warn("start delivery worker %u", i);
			a->died_ms[i] = now_ms();
			return NULL;
		}
		return &a->workers[i];
	}
	return NULL;
}

/* agent_workers_busy - how many jobs are out */
unsigned
agent_workers_busy(const struct agent *a)
{
	unsigned i, n = 0;

	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i].pid > 0 && a->workers[i].busy)
			n++;
	return n;
}

/*
 * agent_dispatch - concurrency > 1: hand due messages (due by
 * min(now, due_by)) to idle workers.  Returns the milliseconds to wait
 * for the rate limit (0: none); *blocked when messages are due but no
 * relay is usable.
 */
int64_t
agent_dispatch(struct agent *a, uint64_t due_by, bool *blocked)
{
	struct pool_worker *w;
	struct pool_msg	 job;
	struct qid	 qid;
	uint64_t	 now;
	int64_t		 wait;
	uint32_t	 mask;
	size_t		 i;

	*blocked = false;
	a->saturated = false;
	for (;;) {
		/* signals: read by agent_wait; handing out never blocks */
		if (a->stop || a->reload)
			break;
		agent_park_busy(a);
		now = agent_now();
		if (!queue_next_due(&a->queue, now < due_by ? now : due_by,
		    &qid))
			break;
		/* --once judges relays by its start time, like messages */
		for (mask = 0, i = 0; i < a->relays.n; i++)
			if (queue_relay_usable(&a->relays, i,
			    now < due_by ? now : due_by))
				mask |= 1U << i;
		if (mask == 0) {
			*blocked = true;
			break;
		}
		if ((wait = agent_rate_wait(a, now_ms())) > 0) {
			agent_rate_log(a, wait);
			return wait;
		}
		a->rate_logged = false;
		if ((w = agent_worker_idle(a)) == NULL) {
			/* a worker's report or a slot's rest wakes us */
			a->saturated = true;
			break;
		}
		memset(&job, 0, sizeof(job));
		job.kind = POOL_MSG_JOB;
		job.qid = qid;
		job.relay_mask = mask;
		if (pool_send(w->fd, &job) == -1) {
			log_warn("hand %s to a worker", qid.s);
			agent_worker_gone(a, (unsigned)(w - a->workers));
			continue;
		}
		w->busy = true;
		w->qid = qid;
		agent_rate_note(a, now_ms());
	}
	return 0;
}

/* agent_set_concurrency - workers for conf concurrency > 1 */
void
agent_set_concurrency(struct agent *a)
{
	unsigned i;

	a->nworkers = a->conf.concurrency > 1 ? a->conf.concurrency : 0;
	if (a->nworkers > POOL_WORKERS_MAX)
		a->nworkers = POOL_WORKERS_MAX;
	for (i = 0; i < POOL_WORKERS_MAX; i++) {
		a->workers[i].fd = -1;
		a->workers[i].pid = 0;
		a->workers[i].busy = false;
		a->died_ms[i] = 0;
	}
	if (a->nworkers > 0)
		log_info("concurrency = %u: up to %u sessions in parallel, "
		    "one per worker process", a->nworkers, a->nworkers);
}

/*
 * agent_respawn_ms - milliseconds until a dead worker's slot has rested
 * (AGENT_RESPAWN_MS), or -1 when no slot rests
 */
int64_t
agent_respawn_ms(const struct agent *a, int64_t now)
{
	int64_t	 ms = -1, end;
	unsigned i;

	for (i = 0; i < a->nworkers; i++) {
		if (a->workers[i].pid > 0 || a->died_ms[i] == 0)
			continue;
		end = a->died_ms[i] + AGENT_RESPAWN_MS - now;
		if (end < 0)
			end = 0;
		if (ms == -1 || end < ms)
			ms = end;
	}
	return ms;
}
