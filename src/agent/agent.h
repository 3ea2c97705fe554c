/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent.h - private to posternd: the agent's state (struct agent) and the
 * entry points of the files that make up the daemon.  Nothing outside
 * posternd's own files includes it.
 *
 *   posternd.c       main(): the options, then the steps below
 *   agent_setup.c    set-up: --layout, the trigger FIFOs, privileges,
 *                    configuration, the spool lock, the signalfd; the
 *                    shutdown
 *   agent_loop.c     the main loop (and --once): inotify, triggers,
 *                    signals, reload, scans, timers, metrics
 *   agent_workers.c  the worker pool (concurrency > 1): both sides
 *   agent_send.c     one message in this process (or in a worker): the
 *                    cached session, relay up/down, outcomes
 *   agent_rate.c     the rate limiter ([queue] rate_limit)
 *
 * Calls go down this list only (posternd -> loop -> workers -> send ->
 * setup, rate): no file calls one above it, so there is no ring.
 */
#ifndef POSTERN_AGENT_H
#define POSTERN_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "ctlsock.h"
#include "metrics.h"
#include "pool.h"
#include "queue.h"
#include "session.h"
#include "tls.h"

#define AGENT_NAME		"posternd"
#define AGENT_ERR_MAX		8192

struct agent {
	const char	*conf_path;
	struct conf	 conf;
	struct tls_client *tls[CONF_RELAYS_MAX];
	struct queue	 queue;
	struct queue_relays relays;
	struct session	 sess;
	bool		 once, foreground, verbose, privileged;
	bool		 stop, reload, flush;
	int		 sig_fd, ino_fd, fifo_fd;
	/* the trigger FIFOs (agent_trigger_*); fifo_fd is the world's */
	int		 admin_fd;	/* spool/flush; -1 */
	struct ctlsock	 ctl;		/* spool/queue.sock (ctlsock.h) */
	struct ctlsock	 octl;		/* spool/oauth.sock (ctlsock.h) */
	bool		 flush_relays;	/* the flush ends relay back-off too */
	bool		 trig_pending;	/* world FIFO: a rescan asked for */
	bool		 trig_flush;	/* world FIFO: a flush asked for */
	int64_t		 trig_scan_ms;	/* its last rescan (now_ms) */
	int64_t		 trig_flush_ms;	/* its last flush (now_ms) */
	gid_t		 drop_gid, agent_gid;
	uint64_t	 last_scan;
	bool		 saturated;	/* due messages wait for a worker */
	int64_t		*rate;		/* ring of send times, now_ms() */
	size_t		 rate_n, rate_head;
	bool		 rate_logged;
	/* concurrency > 1: the workers (main process only) */
	struct pool_worker workers[POOL_WORKERS_MAX];
	int64_t		 died_ms[POOL_WORKERS_MAX];
	unsigned	 nworkers;	/* 0: deliver in this process */
	int		 worker_fd;	/* in a worker: its socket; else -1 */
	/* [monitoring] prometheus_textfile (main process only) */
	struct metrics_counters counters; /* since start */
	bool		 metrics_dirty;	/* something changed since written */
	bool		 metrics_failed; /* the last write failed (logged) */
	int64_t		 metrics_ms;	/* its last write (now_ms), 0 */
};

/* what agent_deliver_one did */
enum agent_try {
	AGENT_TRIED,		/* a transaction was attempted */
	AGENT_SKIPPED,		/* settled, set aside, gone or busy */
	AGENT_BLOCKED,		/* no relay can be used now */
};

/* agent_now - wall-clock seconds */
static inline uint64_t
agent_now(void)
{
	return (uint64_t)time(NULL);
}

/* agent_setup.c */
const char	*agent_chomp(struct buf *);
void		 agent_tls_free(struct tls_client **);
int		 agent_load(const char *, struct conf *, struct tls_client **,
		    struct buf *);
void		 agent_log_setup(struct agent *);
int		 agent_layout_main(const char *);
void		 agent_signals(struct agent *);
void		 agent_configure(struct agent *);
int		 agent_lock_spool(struct agent *);
void		 agent_start(struct agent *);
void		 agent_shutdown(struct agent *, int);

/* agent_rate.c */
int64_t		 agent_rate_wait(struct agent *, int64_t);
void		 agent_rate_note(struct agent *, int64_t);
void		 agent_rate_log(struct agent *, int64_t);
void		 agent_rate_reset(struct agent *);

/* agent_send.c */
void		 agent_mark_down(struct agent *, size_t, const char *,
		    uint64_t);
void		 agent_mark_up(struct agent *, size_t, uint64_t);
void		 agent_outcome(struct agent *, size_t, uint64_t,
		    const struct metrics_counters *);
enum agent_try	 agent_deliver_one(struct agent *, const struct qid *,
		    uint64_t, uint64_t);
int64_t		 agent_run_due(struct agent *, uint64_t, bool *);

/* agent_workers.c */
void		 agent_park_busy(struct agent *);
void		 agent_worker_read(struct agent *, unsigned);
void		 agent_workers_stop(struct agent *);
unsigned	 agent_workers_busy(const struct agent *);
int64_t		 agent_dispatch(struct agent *, uint64_t, bool *);
void		 agent_set_concurrency(struct agent *);
int64_t		 agent_respawn_ms(const struct agent *, int64_t);

/* agent_loop.c */
void		 agent_loop(struct agent *);
void		 agent_once(struct agent *);

#endif /* POSTERN_AGENT_H */
