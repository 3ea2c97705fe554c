/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_rate.c - posternd's rate limiter ([queue] rate_limit per
 * rate_period): a ring of the last rate_limit send times in
 * milliseconds, kept by the main process (workers never count).  It
 * only says how long to wait: it never sleeps, never fails a message,
 * and calls no other agent_*.c file.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define AGENT_RATE_MAX		100000	/* rate_limit values honoured */

/*
 * agent_rate_wait - milliseconds to wait before the next send (0: go).
 * Milliseconds, not seconds: a window counted in whole seconds would let
 * nearly twice the limit through in a real rate_period.
 */
int64_t
agent_rate_wait(struct agent *a, int64_t now)
{
	size_t	 limit = a->conf.rate_limit;
	int64_t	 period = (int64_t)a->conf.rate_period * 1000, end;

	if (limit == 0)
		return 0;
	if (limit > AGENT_RATE_MAX)
		limit = AGENT_RATE_MAX;
	if (a->rate == NULL)
		a->rate = xcalloc(limit, sizeof(*a->rate));
	if (a->rate_n < limit)
		return 0;
	/* the ring is full: head is the oldest */
	end = a->rate[a->rate_head] + period;
	return end <= now ? 0 : end - now;
}

/* agent_rate_note - one message is being sent at now (now_ms) */
void
agent_rate_note(struct agent *a, int64_t now)
{
	size_t	limit = a->conf.rate_limit;

	if (limit == 0 || a->rate == NULL)
		return;
	if (limit > AGENT_RATE_MAX)
		limit = AGENT_RATE_MAX;
	a->rate[a->rate_head] = now;
	a->rate_head = (a->rate_head + 1) % limit;
	if (a->rate_n < limit)
		a->rate_n++;
}

/* agent_rate_log - say once per wait that the rate limit holds mail */
void
agent_rate_log(struct agent *a, int64_t wait)
{
	if (!a->rate_logged)
		log_info("rate limit of %u per %llus reached: waiting %.1fs",
		    a->conf.rate_limit, (unsigned long long)a->conf.rate_period,
		    (double)wait / 1000.0);
	a->rate_logged = true;
}

/* agent_rate_reset - forget the sends: a reload may change the limit */
void
agent_rate_reset(struct agent *a)
{
	free(a->rate);
	a->rate = NULL;
	a->rate_n = a->rate_head = 0;
}
