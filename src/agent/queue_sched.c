/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue_sched.c - the agent's schedule: which message is tried when (a
 * heap with a hash index, below), and the clock side of retries: the
 * back-off with jitter, expiry, the random bits.
 *
 * Touches no file and no directory: it only orders queue ids in memory
 * (queue.c and queue_clean.c move the files).  Calls no other queue*.c
 * file.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "util.h"

/* queue_init - empty schedule */
void
queue_init(struct queue *q, const char *spool_dir, gid_t drop_gid,
    gid_t agent_gid, bool check_gid)
{
	memset(q, 0, sizeof(*q));
	q->spool_dir = xstrdup(spool_dir);
	q->drop_gid = drop_gid;
	q->agent_gid = agent_gid;
	q->check_gid = check_gid;
}

/* queue_free - release */
void
queue_free(struct queue *q)
{
	free(q->spool_dir);
	free(q->v);
	free(q->slots);
	memset(q, 0, sizeof(*q));
}

/* ---- the schedule --------------------------------------------------------
 * q->v is a binary min-heap by (next, queue id), so the earliest message
 * is v[0]; q->slots is an open-addressing hash index (linear probing,
 * backward-shift deletion) from queue id to heap position + 1 (0: empty),
 * kept at most half full, and each entry knows its slot.  Every
 * operation costs O(log n), so the agent's cost per message does not
 * grow with the backlog (with a linear search the scheduler
 * compared every queued id for every message it handed out).
 */

/* queue_hash - FNV-1a of a queue id */
static size_t
queue_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* queue_before - entry a comes before entry b (earlier; ties: older id) */
static bool
queue_before(const struct queue_entry *a, const struct queue_entry *b)
{
	return a->next < b->next ||
	    (a->next == b->next && strcmp(a->qid.s, b->qid.s) < 0);
}

/* queue_put - store e at heap position i and point its slot there */
static void
queue_put(struct queue *q, size_t i, const struct queue_entry *e)
{
	q->v[i] = *e;
	q->slots[e->slot] = (uint32_t)i + 1;
}

/* queue_sift_up - move entry i towards the root while it comes first */
static void
queue_sift_up(struct queue *q, size_t i)
{
	struct queue_entry e = q->v[i];
	size_t	parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!queue_before(&e, &q->v[parent]))
			break;
		queue_put(q, i, &q->v[parent]);
		i = parent;
	}
	queue_put(q, i, &e);
}

/* queue_sift_down - move entry i down while a child comes first */
static void
queue_sift_down(struct queue *q, size_t i)
{
	struct queue_entry e = q->v[i];
	size_t	child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= q->n)
			break;
		if (child + 1 < q->n && queue_before(&q->v[child + 1],
		    &q->v[child]))
			child++;
		if (!queue_before(&q->v[child], &e))
			break;
		queue_put(q, i, &q->v[child]);
		i = child;
	}
	queue_put(q, i, &e);
}

/* queue_slot_insert - index heap position i (holding qid); its slot */
static size_t
queue_slot_insert(struct queue *q, const struct qid *qid, size_t i)
{
	size_t	mask = q->nslots - 1, h = queue_hash(qid->s) & mask;

	while (q->slots[h] != 0)
		h = (h + 1) & mask;
	q->slots[h] = (uint32_t)i + 1;
	return h;
}

/* queue_slot_remove - empty slot h, shifting back the probes after it */
static void
queue_slot_remove(struct queue *q, size_t h)
{
	size_t	mask = q->nslots - 1, j = h, home;

	q->slots[h] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (q->slots[j] == 0)
			return;
		home = queue_hash(q->v[q->slots[j] - 1].qid.s) & mask;
		/* leave it when its home lies cyclically in (h, j] */
		if (h <= j ? (h < home && home <= j) : (h < home || home <= j))
			continue;
		q->slots[h] = q->slots[j];
		q->v[q->slots[h] - 1].slot = h;
		q->slots[j] = 0;
		h = j;
	}
}

/* queue_reindex - a hash index of nslots (a power of two) for v */
static void
queue_reindex(struct queue *q, size_t nslots)
{
	size_t	i;

	free(q->slots);
	q->nslots = nslots;
	q->slots = xcalloc(nslots, sizeof(q->slots[0]));
	for (i = 0; i < q->n; i++)
		q->v[i].slot = queue_slot_insert(q, &q->v[i].qid, i);
}

/* queue_find - heap position of qid, or n */
static size_t
queue_find(const struct queue *q, const struct qid *qid)
{
	size_t	mask, h;

	if (q->nslots == 0)
		return q->n;
	mask = q->nslots - 1;
	for (h = queue_hash(qid->s) & mask; q->slots[h] != 0;
	    h = (h + 1) & mask)
		if (strcmp(q->v[q->slots[h] - 1].qid.s, qid->s) == 0)
			return q->slots[h] - 1;
	return q->n;
}

/* queue_schedule - insert or move */
void
queue_schedule(struct queue *q, const struct qid *qid, uint64_t next)
{
	size_t	i = queue_find(q, qid), nslots;
	uint64_t old;

	if (i < q->n) {
		old = q->v[i].next;
		q->v[i].next = next;
		if (next < old)
			queue_sift_up(q, i);
		else if (next > old)
			queue_sift_down(q, i);
		return;
	}
	if (q->n >= QUEUE_ENTRIES_MAX) {
		log_warnx("%s: schedule full (%d messages); it waits for the "
		    "next scan", qid->s, QUEUE_ENTRIES_MAX);
		return;
	}
	if (q->n == q->cap) {
		q->cap = q->cap == 0 ? 64 : q->cap * 2;
		q->v = xrealloc(q->v, q->cap * sizeof(q->v[0]));
	}
	if ((q->n + 1) * 2 > q->nslots) {
		for (nslots = q->nslots == 0 ? 128 : q->nslots * 2;
		    (q->n + 1) * 2 > nslots; nslots *= 2)
			;
		queue_reindex(q, nslots);
	}
	q->v[q->n].qid = *qid;
	q->v[q->n].next = next;
	q->v[q->n].slot = queue_slot_insert(q, qid, q->n);
	q->n++;
	queue_sift_up(q, q->n - 1);
}

/* queue_flush - everything due now: the heap is rebuilt (by id) */
void
queue_flush(struct queue *q)
{
	size_t	i;

	for (i = 0; i < q->n; i++)
		q->v[i].next = 0;
	for (i = q->n / 2; i-- > 0;)
		queue_sift_down(q, i);
}

/* queue_clear - forget every entry */
void
queue_clear(struct queue *q)
{
	q->n = 0;
	if (q->nslots > 0)
		memset(q->slots, 0, q->nslots * sizeof(q->slots[0]));
}

/* queue_unschedule - remove; the last entry takes its place */
void
queue_unschedule(struct queue *q, const struct qid *qid)
{
	size_t	i = queue_find(q, qid);

	if (i == q->n)
		return;
	queue_slot_remove(q, q->v[i].slot);
	if (i == --q->n)
		return;
	queue_put(q, i, &q->v[q->n]);
	queue_sift_down(q, i);
	queue_sift_up(q, i);
}

/* queue_next_due - the earliest entry when due */
bool
queue_next_due(const struct queue *q, uint64_t now, struct qid *out)
{
	if (q->n == 0 || q->v[0].next > now)
		return false;
	*out = q->v[0].qid;
	return true;
}

/* queue_next_time - earliest next attempt */
uint64_t
queue_next_time(const struct queue *q)
{
	return q->n == 0 ? UINT64_MAX : q->v[0].next;
}

/* queue_backoff - exponential with jitter */
uint64_t
queue_backoff(uint64_t retry_min, uint64_t retry_max, uint64_t attempts,
    uint32_t rnd)
{
	uint64_t d = retry_min, span, off;

	if (retry_max < retry_min)
		retry_max = retry_min;
	while (attempts > 1 && d < retry_max) {
		d = d > retry_max / 2 ? retry_max : d * 2;
		attempts--;
	}
	if (d > retry_max)
		d = retry_max;
	/* d * (1 +- J%): span = 2 * d * J / 100, offset uniform in it */
	span = d / 100 * 2 * QUEUE_JITTER_PERCENT +
	    d % 100 * 2 * QUEUE_JITTER_PERCENT / 100;
	if (span > 0) {
		off = rnd % (span + 1);
		d = d - span / 2 + off;
	}
	return d < 1 ? 1 : d;
}

/* queue_expired - older than max_age at now, without overflow */
bool
queue_expired(uint64_t arrival, uint64_t max_age, uint64_t now)
{
	if (now < arrival)
		return false;	/* arrival in the future: a clock step */
	return now - arrival >= max_age;
}

/* queue_random - 32 random bits */
uint32_t
queue_random(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	return (uint32_t)now_ms() ^ (uint32_t)getpid();
}
