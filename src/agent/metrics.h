/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - the agent's Prometheus text file ([monitoring]
 * prometheus_textfile, for node_exporter's textfile collector): what it
 * holds (metrics_format, the exposition format with HELP and TYPE
 * lines), how the queue is measured for it (metrics_queue: names only),
 * and how it is replaced (metrics_write: atomically, never following a
 * link).  It never decides when to write: agent_loop.c rate-limits.
 */
#ifndef POSTERN_METRICS_H
#define POSTERN_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define METRICS_MIN_MS		5000	/* at most one write per 5 s */
#define METRICS_RELAYS_MAX	16

/* the counters: recipients, since the agent started */
struct metrics_counters {
	uint64_t	 delivered;	/* accepted by a relay */
	uint64_t	 deferred;	/* left for a later attempt */
	uint64_t	 bounced;	/* failed for good (a DSN is owed) */
};

/* one snapshot, formatted by metrics_format */
struct metrics_snapshot {
	uint64_t	 now;		/* unix time */
	uint64_t	 queued;	/* messages in new/ and cur/ */
	uint64_t	 oldest_age;	/* seconds, 0 with an empty queue */
	struct metrics_counters counters;
	size_t		 nrelays;
	struct {
		const char *name;	/* "host:port" */
		bool	 down;
		uint64_t down_since;	/* unix time, when down */
	}		 relays[METRICS_RELAYS_MAX];
};

/*
 * metrics_format - s in the Prometheus text exposition format (HELP and
 * TYPE lines, relay names escaped as label values) into out.  Returns 0,
 * or -1 as buf_append.
 */
int	metrics_format(struct buf *out, const struct metrics_snapshot *s);

/*
 * metrics_queue - count the queue ids in spool_dir's new/ and cur/ and
 * the age at now of the oldest (its id's time).  Returns 0, or -1 with
 * errno (a directory cannot be read).
 */
int	metrics_queue(const char *spool_dir, uint64_t now, uint64_t *queued,
	    uint64_t *oldest_age);

/*
 * metrics_write - replace path with data[0..len): a temporary file
 * ".NAME.PID.tmp" in path's directory (created O_EXCL|O_NOFOLLOW, mode
 * 0644: node_exporter runs as another user), written, fsynced, renamed
 * over path (a symbolic link at path is replaced, never followed).
 * Returns 0, or -1 with the cause and the fix in err.
 */
int	metrics_write(const char *path, const char *data, size_t len,
	    struct buf *err);

#endif
