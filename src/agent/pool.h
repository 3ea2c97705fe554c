/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.h - posternd's delivery workers (conf concurrency > 1): worker
 * processes forked by the agent, each owning at most one SMTP session,
 * and the line protocol between the scheduler (the main process) and a
 * worker over a SOCK_SEQPACKET socketpair (one record per message, so no
 * framing).  The main process alone schedules and hands out queue ids;
 * a worker claims, delivers, persists and reports; doc/agent.md explains
 * why a message is never delivered twice.
 *
 * Records (text, one per datagram, at most POOL_MSG_MAX bytes):
 *   main -> worker   "J QID MASK"   deliver QID over the relays whose bit
 *                                   is set in MASK (hex; bit i = relay i)
 *   worker -> main   "Q QID NEXT"   QID's next attempt (unix time), or
 *                    "Q QID -"      QID is off the schedule (sent, failed,
 *                                   set aside, gone); also sent for
 *                                   messages the worker queued (DSNs)
 *                    "U I"          relay I worked
 *                    "D I REASON"   relay I failed (REASON: no controls)
 * A worker always ends a job with the Q record of the job's QID.
 */
#ifndef POSTERN_POOL_H
#define POSTERN_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qid.h"
#include "queue.h"

#define POOL_WORKERS_MAX	16	/* conf concurrency maximum */
#define POOL_MSG_MAX		(QUEUE_RELAY_REASON_MAX + 64)
#define POOL_UNSCHEDULED	UINT64_MAX	/* "Q QID -" */

enum pool_msg_kind {
	POOL_MSG_JOB = 'J',
	POOL_MSG_DONE = 'Q',
	POOL_MSG_RELAY_UP = 'U',
	POOL_MSG_RELAY_DOWN = 'D',
	POOL_MSG_RELAY_SENT = 'S',	/* an attempt's outcome over a relay */
};

struct pool_msg {
	enum pool_msg_kind kind;
	struct qid	 qid;		/* J, Q */
	uint64_t	 next;		/* Q: unix time or POOL_UNSCHEDULED */
	uint32_t	 relay_mask;	/* J */
	unsigned	 relay;		/* U, D, S: index < CONF_RELAYS_MAX */
	uint64_t	 sent, deferred, bounced; /* S: recipients */
	char		 reason[QUEUE_RELAY_REASON_MAX];	/* D */
};

/*
 * pool_msg_format - the record for m into out (outsize bytes, no NUL
 * needed on the wire).  Control characters of a reason become '?' and a
 * long reason is cut.  Returns the record length, or -1 (errno EINVAL)
 * for an unknown kind or a relay index out of range.
 */
int	pool_msg_format(const struct pool_msg *m, char *out, size_t outsize);

/*
 * pool_msg_parse - one record p[0..len) into *m, strictly: a known kind,
 * a valid queue id, numbers in range, nothing extra.  Returns 0, or -1
 * (errno EINVAL) for anything else (the peer is then broken).
 */
int	pool_msg_parse(struct pool_msg *m, const char *p, size_t len);

/*
 * pool_send - send m over the socket fd (blocking; records are small).
 * Returns 0, or -1 with errno (EPIPE when the peer is gone).
 */
int	pool_send(int fd, const struct pool_msg *m);

/*
 * pool_recv - receive one record from fd into *m.  Returns 1 with *m
 * filled, 0 at end of file (the peer closed), or -1 with errno (EAGAIN
 * on a non-blocking fd with nothing to read, EINVAL for a malformed
 * record).
 */
int	pool_recv(int fd, struct pool_msg *m);

/* one worker process as the main process sees it */
struct pool_worker {
	pid_t		 pid;		/* 0: no process */
	int		 fd;		/* main's end, non-blocking; -1 */
	bool		 busy;		/* a job is out */
	struct qid	 qid;		/* the job, when busy */
};

/*
 * pool_spawn - fork a worker into *w: a SOCK_SEQPACKET socketpair, the
 * child closes every fd in close_fds[0..nclose) (the parent's other
 * descriptors it must not hold) and its parent end, then calls
 * run(fd, arg) and exits 0 when it returns.  Returns 0 (w->pid, w->fd
 * set; w->fd non-blocking) or -1 with errno (nothing started).
 */
int	pool_spawn(struct pool_worker *w, void (*run)(int fd, void *arg),
	    void *arg, const int *close_fds, size_t nclose);

/*
 * pool_reap - close w's socket and wait for its process (which exits
 * once it has read end of file and finished its job).  Returns the wait
 * status, or -1 when there was no process.  w is empty afterwards.
 */
int	pool_reap(struct pool_worker *w);

#endif
