/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue.h - the agent's view of the spool: the schedule of messages to
 * try, claiming (new/ -> cur/), strict opening of queue files, setting
 * bad files aside into failed/, retry back-off, cleaning of tmp/ and
 * failed/, committing messages the agent writes itself (DSNs), and the
 * relay up/down state shown by the queue listing.
 *
 * A message is in exactly one of new/, cur/, failed/ at any time; every
 * move is one rename(2).  Its retry state lives in state/QID
 * (spool_state_write) and is written before anything else acts on an
 * outcome.  doc/agent.md describes the files and the policy.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "qid.h"
#include "spool.h"

#define QUEUE_ENTRIES_MAX	1000000	/* messages scheduled at once */
#define QUEUE_NAME_MAX		255	/* a directory entry name */
#define QUEUE_JITTER_PERCENT	10	/* back-off jitter, +- percent */
#define QUEUE_RELAY_REASON_MAX	400	/* reason kept per relay */
#define QUEUE_BUSY_DELAY	5	/* seconds: retry a message another
					   agent process holds */

struct queue_entry {
	struct qid	 qid;
	uint64_t	 next;		/* unix time of the next attempt */
	size_t		 slot;		/* its place in queue.slots */
};

/*
 * the schedule: every message in new/ and cur/.  v may be read in any
 * order (v[0..n)), never written: it is a heap with an index (queue.c).
 */
struct queue {
	char		*spool_dir;	/* owned copy */
	gid_t		 drop_gid;	/* queue files must have this group */
	gid_t		 agent_gid;	/* ... or this one (the agent's own) */
	bool		 check_gid;	/* false when running unprivileged */
	struct queue_entry *v;		/* owned; a min-heap by (next, id) */
	size_t		 n, cap;
	uint32_t	*slots;		/* owned; id -> v index + 1, 0: free */
	size_t		 nslots;	/* a power of two, or 0 */
};

/* a claimed, opened and parsed message */
struct queue_msg {
	struct qid	 qid;
	int		 fd;		/* cur/QID, O_RDONLY; -1 when closed */
	struct envelope	 env;
	off_t		 body_offset;	/* first message byte in fd */
	struct spool_state state;
};

/*
 * queue_init - an empty schedule for spool_dir (copied).  When check_gid
 * is true (the agent was started as root and runs as the spool's user)
 * queue files must belong to group drop_gid (made by postern-drop) or
 * agent_gid (made by the agent, or by a postern-drop of an older layout
 * that shared the agent's group); tests running unprivileged pass false.
 */
void	queue_init(struct queue *, const char *spool_dir, gid_t drop_gid,
	    gid_t agent_gid, bool check_gid);

/* queue_free - release the schedule; NULL-safe fields */
void	queue_free(struct queue *);

/*
 * queue_scan - rebuild the schedule from cur/ (due at the state's next
 * attempt; now when there is no state), then pick up every message of
 * new/ into cur/ (queue_pickup) due now.  Entries whose
 * name is not a queue id are set aside into failed/ with a log line; a
 * state file that cannot be read sets the message aside too.  Returns the
 * number of messages scheduled, or -1 when a directory cannot be read
 * (logged; the old schedule is kept).
 */
int	queue_scan(struct queue *, uint64_t now);

/*
 * queue_pickup - move new/QID to cur/QID (one rename, never over an
 * existing cur/QID) and schedule it due at now.  Done as soon as a message
 * arrives, whether or not a relay is usable, because new/ belongs to the
 * drop group: only in cur/ can the agent's group (the admins) see it.
 * No fsync: a crash that loses the rename leaves it in new/, picked up
 * again.  Returns 0, or -1 with errno (ENOENT: it is gone, not
 * scheduled; EEXIST: cur/QID exists, logged, left in new/; anything
 * else: logged, scheduled all the same: queue_claim tries again).
 */
int	queue_pickup(struct queue *, const struct qid *, uint64_t now);

/*
 * queue_fix_modes - give the files of state/ that this process owns the
 * mode SPOOL_MODE_STATEFILE (an older postern left them 0600), so the
 * agent's group can use the queue tools.  Opens each with O_NOFOLLOW and
 * changes it through the descriptor.  Logs the count; returns the
 * number of files changed.
 */
int	queue_fix_modes(struct queue *);

/* queue_schedule - add qid due at next, or move it to next if present */
void	queue_schedule(struct queue *, const struct qid *, uint64_t next);

/* queue_flush - every scheduled message due now (a flush) */
void	queue_flush(struct queue *);

/* queue_clear - an empty schedule (the memory is kept) */
void	queue_clear(struct queue *);

/* queue_unschedule - forget qid (delivered, failed, set aside) */
void	queue_unschedule(struct queue *, const struct qid *);

/*
 * queue_next_due - the message with the earliest next attempt (ties: the
 * older queue id) if it is due at now: copies it to *out, leaves it
 * scheduled, and returns true.  False when nothing is due.
 */
bool	queue_next_due(const struct queue *, uint64_t now, struct qid *out);

/* queue_next_time - the earliest next attempt, or UINT64_MAX when empty */
uint64_t queue_next_time(const struct queue *);

/*
 * queue_claim - take qid for delivery: rename new/QID to cur/QID when it
 * is still in new/, open cur/QID with O_NOFOLLOW, check it (regular
 * file, one link, the drop or agent group when check_gid), parse its
 * envelope strictly (its I record must name the file) and read its retry
 * state, to which a copy of the envelope is attached
 * (spool_state_set_envelope: every state written for it is then version
 * 2).
 * Returns 0 with *m filled (free with queue_msg_free).  Returns -1 when
 * the message cannot be used: it has vanished, or it failed a check and
 * was set aside into failed/ with a log line naming the reason (the
 * reason is also in err).  Returns -1 with errno EBUSY when another
 * process holds the file's lock (flock, kept until queue_msg_free): it
 * is then rescheduled QUEUE_BUSY_DELAY seconds later, untouched.  Never
 * blocks: FIFOs are opened non-blocking, the lock is never waited for.
 * The lock and a check that cur/QID is still the opened file make sure
 * that two agent processes never send the same message at once.
 */
int	queue_claim(struct queue *, const struct qid *, struct queue_msg *m,
	    struct buf *err);

/* queue_msg_free - close and release; NULL-safe fields */
void	queue_msg_free(struct queue_msg *);

/*
 * queue_set_aside - move spool/from/name to failed/name (from is
 * SPOOL_NEW or SPOOL_CUR), log "name: set aside into failed/: reason",
 * record the reason as the state's last error when name is a queue id,
 * and unschedule it.  Returns 0, or -1 (logged) when the rename failed.
 */
int	queue_set_aside(struct queue *, const char *from, const char *name,
	    const char *reason);

/*
 * queue_finish_sent - every recipient accepted: unlink cur/QID, then its
 * state, fsync cur/, unschedule.  Returns 0 or -1 (logged).
 */
int	queue_finish_sent(struct queue *, const struct qid *);

/*
 * queue_finish_failed - nothing left to try: rename cur/QID to
 * failed/QID (the state stays, for the listing), unschedule.  Returns 0
 * or -1 (logged).
 */
int	queue_finish_failed(struct queue *, const struct qid *);

/*
 * queue_backoff - the delay before attempt number attempts + 1, in
 * seconds: retry_min doubled for every attempt after the first, capped at
 * retry_max, then moved by rnd (any 32-bit value) within
 * +-QUEUE_JITTER_PERCENT; never below 1.
 */
uint64_t queue_backoff(uint64_t retry_min, uint64_t retry_max,
	    uint64_t attempts, uint32_t rnd);

/*
 * queue_expired - true when a message that arrived at arrival (unix
 * time) is max_age seconds old or older at now.  An arrival in the future
 * (the clock went back) is never expired; no overflow for any input.
 */
bool	queue_expired(uint64_t arrival, uint64_t max_age, uint64_t now);

/* queue_random - 32 random bits for queue_backoff (getrandom) */
uint32_t queue_random(void);

/*
 * queue_clean - remove tmp/ entries whose mtime is older than
 * tmp_max_age, and failed/ entries (with state/QID) older than
 * failed_keep; also state files of messages that exist nowhere.  Logs
 * each removal.  Returns the number of files removed.
 */
int	queue_clean(struct queue *, uint64_t now, uint64_t tmp_max_age,
	    uint64_t failed_keep);

/*
 * queue_commit_message - queue a message written by the agent itself (a
 * DSN): env gets a fresh queue id (returned in env->qid), arrival now,
 * uid getuid(), and its size; the message bytes come from produce(),
 * which calls write_fn(ctx, p, n) (the bounce_generate writer contract)
 * as often as it likes and returns 0 or -1.  The sequence is the one
 * postern-drop uses: tmp/QID (O_EXCL, O_NOFOLLOW, SPOOL_MODE_AGENTFILE,
 * the agent's own group), envelope, message, Z patched, fsync, rename
 * to new/QID, fsync new/.  On failure the tmp file is removed, -1 is
 * returned with the reason in err, and nothing is queued.  The message
 * is scheduled due now.
 */
int	queue_commit_message(struct queue *, struct envelope *env,
	    int (*produce)(void *arg, int (*write_fn)(void *, const void *,
	    size_t), void *ctx), void *arg, struct buf *err);

/* ---- relay state: state/relays ---------------------------------------- */

#define QUEUE_RELAY_NAME_MAX	300

struct queue_relay {
	char		 name[QUEUE_RELAY_NAME_MAX]; /* "host:port" */
	bool		 down;
	uint64_t	 down_since;	/* unix time of the first failure */
	uint64_t	 next_try;	/* unix time; 0: any time */
	uint64_t	 failures;	/* consecutive */
	uint64_t	 last_sent;	/* the last message it accepted, 0 */
	uint64_t	 last_sent_saved; /* last_sent in state/relays */
	char		 reason[QUEUE_RELAY_REASON_MAX];
};

/* a relay's last_sent is written to state/relays at most this often */
#define QUEUE_RELAY_SENT_SAVE	60	/* seconds */

struct queue_relays {
	struct queue_relay r[CONF_RELAYS_MAX];
	size_t		 n;
};

/* queue_relays_init - every relay of c up, named as c names them */
void	queue_relays_init(struct queue_relays *, const struct conf *c);

/*
 * queue_relay_down - record a relay-level failure of relay i: back off
 * (queue_backoff over the consecutive failures), log
 * "relay NAME down since TIME, reason REASON, next try in N" once per
 * change of state or reason, and rewrite state/relays.
 */
bool	queue_relay_down(struct queue_relays *, size_t i, const char *reason,
	    uint64_t now, uint64_t retry_min,
	    uint64_t retry_max, const char *spool_dir);

/*
 * queue_relay_up - relay i worked: log "relay NAME up again" if it was
 * down.  queue_relay_down and queue_relay_up return true when the relay
 * changed state (up to down, down to up): alert_command's moments.
 */
bool	queue_relay_up(struct queue_relays *, size_t i, uint64_t now,
	    const char *spool_dir);

/*
 * queue_relay_sent - relay i accepted a message at now: its last_sent,
 * saved in state/relays when the saved one is QUEUE_RELAY_SENT_SAVE
 * seconds old or more (or with the next change of state), so a busy
 * relay costs one rewrite a minute, not one per message.
 */
void	queue_relay_sent(struct queue_relays *, size_t i, uint64_t now,
	    const char *spool_dir);

/* queue_relay_usable - relay i may be tried at now */
bool	queue_relay_usable(const struct queue_relays *, size_t i,
	    uint64_t now);

/* queue_relays_next_try - earliest next_try of a down relay, or UINT64_MAX */
uint64_t queue_relays_next_try(const struct queue_relays *);

/*
 * queue_relays_load - at start (after the spool lock is held): take each
 * relay's state from state/relays (relaystate_read), matched by name
 * ("host:port"), never by position.  Lines of relays no longer configured
 * are dropped (and the file rewritten without them); a next try beyond
 * now + retry_max (the clock went back) is brought to it.  A missing
 * file changes nothing; an unreadable, malformed or oversized one is
 * logged and ignored as a whole (every relay starts up).  When
 * conf_changed (the newest modification time of the configuration and
 * secrets files; NULL: unknown) is later than the file's, every relay
 * is due now, keeping its "down since": the admin changed something
 * (a password?) since the last failure, so one new try is fair.
 */
void	queue_relays_load(struct queue_relays *, const char *spool_dir,
	    uint64_t now, uint64_t retry_max,
	    const struct timespec *conf_changed);

/*
 * queue_relays_flush_take - true (logged) when root or the agent's group
 * saved a flush while no agent ran (postern flush, postern retry --all:
 * state/flush-relays), which this call consumes.
 */
bool	queue_relays_flush_take(const char *spool_dir);

/*
 * queue_relays_write - state/relays: one line per relay,
 * "NAME up" or "NAME down SINCE NEXT FAILURES REASON" (doc/agent.md),
 * written atomically (tmp, fsync, rename).  Returns 0 or -1 with the
 * reason in err.
 */
int	queue_relays_write(const struct queue_relays *, const char *spool_dir,
	    struct buf *err);

#endif
