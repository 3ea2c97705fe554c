/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_list.c - the listing: `postern queue` (mailq, sendmail -bp)
 * and `postern failed list`, as text (Postfix-mailq-like, relay state on
 * top, a summary line) or one JSON document.
 *
 * A big queue is read by up to QC_THREADS_MAX threads, chunk by chunk,
 * and printed in order with bounded memory (bench/queue-list).  Changes
 * nothing; prints nothing whose build failed.  Calls queuecmd_msg.c,
 * queuecmd_relays.c, queuecmd_read.c and queuecmd_ctx.c.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "relaystate.h"

#define QC_JSON_VERSION		1
#define QC_THREADS_MAX		4	/* threads reading a big queue */
#define QC_THREAD_MIN		2000	/* fewer messages: no thread */
#define QC_CHUNK_ENTRIES	512	/* messages per chunk of work */
#define QC_CHUNKS_AHEAD		4	/* chunks waiting, per thread */
#define QC_SLOTS		(QC_THREADS_MAX * QC_CHUNKS_AHEAD)
#define QC_CHUNK_OUT_MAX	((size_t)1 << 30)	/* one chunk's output */

/* one chunk of the sorted listing: formatted by a worker, then printed */
struct qc_slot {
	struct buf		 out;
	bool			 done;	/* formatted, not printed yet */
	unsigned long		 count, bad, failed;
	unsigned long long	 bytes;
};

/* the listing's work, shared by the worker threads and the printer */
struct qc_work {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;	/* a chunk done or a slot freed */
	const struct qc_ctx	*x;	/* the caller's: copied per worker */
	const struct queuefmt_entry	*v;
	size_t			 n;
	size_t			 nchunks, nslots;
	size_t			 next;	/* the next chunk to claim */
	size_t			 printed; /* chunks printed so far */
	struct qc_slot		 slot[QC_SLOTS];
};

/*
 * qc_chunk_run - load and format chunk c of the listing into its slot;
 * JSON elements each start with ",\n" (the printer drops the first
 * comma).  Thread-safe: reads through the shared directory fds, writes
 * only x (the worker's) and the slot, which no one else touches until
 * it is marked done.
 */
static void
qc_chunk_run(struct qc_ctx *x, struct qc_work *w, size_t c)
{
	struct qc_slot	*s = &w->slot[c % w->nslots];
	size_t		 i = c * QC_CHUNK_ENTRIES, end;

	end = w->n - i < QC_CHUNK_ENTRIES ? w->n : i + QC_CHUNK_ENTRIES;
	x->out = s->out;
	s->count = s->bad = s->failed = 0;
	s->bytes = 0;
	for (; i < end; i++) {
		struct qc_msg	m;
		struct qid	qid;

		queuefmt_entry_qid(&w->v[i], &qid);
		if (qc_load(x, &qid, (enum qc_where)w->v[i].where, true,
		    &m) == -1)
			continue;	/* delivered or moved meanwhile */
		/* --owner: another's message, or one whose owner is unknown */
		if (x->owner_set && (!m.ok || m.env.uid != x->owner)) {
			qc_msg_free(&m);
			continue;
		}
		if (x->json) {
			buf_sputs(&x->out, ",\n");
			qc_msg_json(x, &m, true);
		} else
			qc_msg_text(x, &m);
		if (m.ok) {
			s->count++;
			s->failed += m.where == QC_FAILED;
			s->bytes += m.env.size;
		} else
			s->bad++;
		qc_msg_free(&m);
	}
	s->out = x->out;
	buf_init(&x->out, 0);
}

/*
 * qc_worker - a listing thread: claim the next chunk while fewer than
 * nslots chunks wait to be printed, format it, mark it done; until every
 * chunk is claimed.
 */
static void *
qc_worker(void *arg)
{
	struct qc_work	*w = arg;
	struct qc_ctx	 x = *w->x;
	size_t		 c;

	buf_init(&x.out, 0);
	buf_init(&x.err, QC_ERR_MAX);
	memset(&x.clock, 0, sizeof(x.clock));
	(void)pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->next < w->nchunks && w->next - w->printed >=
		    w->nslots)
			(void)pthread_cond_wait(&w->cond, &w->lock);
		if (w->next >= w->nchunks)
			break;
		c = w->next++;
		(void)pthread_mutex_unlock(&w->lock);
		qc_chunk_run(&x, w, c);
		(void)pthread_mutex_lock(&w->lock);
		w->slot[c % w->nslots].done = true;
		(void)pthread_cond_broadcast(&w->cond);
	}
	(void)pthread_mutex_unlock(&w->lock);
	buf_free(&x.err);
	return NULL;
}

/* qc_threads - how many worker threads format a listing of n messages */
static size_t
qc_threads(size_t n)
{
	long	cpus;

	if (n < QC_THREAD_MIN)
		return 0;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 0;
	return (size_t)cpus < QC_THREADS_MAX ? (size_t)cpus : QC_THREADS_MAX;
}

/*
 * qc_list_entries - format and print v[0..n) in order.  Reading a queue
 * file costs an open, a read and a close: the kernel's part dominates, so
 * a big queue is read by one worker thread per CPU (at most
 * QC_THREADS_MAX), each claiming the next chunk of QC_CHUNK_ENTRIES
 * messages as it finishes one, while this thread prints the chunks in
 * order as they complete.  At most QC_CHUNKS_AHEAD chunks per worker wait
 * to be printed, so memory stays bounded whatever the queue holds and
 * however slowly stdout drains.  A small queue, or no thread at all,
 * is formatted here, chunk after chunk.
 */
static void
qc_list_entries(struct qc_ctx *x, const struct queuefmt_entry *v, size_t n,
    unsigned long *count, unsigned long *bad, unsigned long *nfailed,
    unsigned long long *bytes)
{
	struct qc_work	 w;
	struct qc_ctx	 mine;
	struct qc_slot	*s;
	pthread_t	 tid[QC_THREADS_MAX];
	size_t		 nt = qc_threads(n), started = 0, t, c, skip;

	memset(&w, 0, sizeof(w));
	if (pthread_mutex_init(&w.lock, NULL) != 0)
		nt = 0;
	else if (pthread_cond_init(&w.cond, NULL) != 0) {
		(void)pthread_mutex_destroy(&w.lock);
		nt = 0;
	}
	w.x = x;
	w.v = v;
	w.n = n;
	w.nchunks = (n + QC_CHUNK_ENTRIES - 1) / QC_CHUNK_ENTRIES;
	w.nslots = nt > 0 ? nt * QC_CHUNKS_AHEAD : 1;
	for (c = 0; c < w.nslots; c++)
		buf_init(&w.slot[c].out, QC_CHUNK_OUT_MAX);
	for (t = 0; t < nt; t++)
		if (pthread_create(&tid[started], NULL, qc_worker, &w) == 0)
			started++;
	mine = *x;
	buf_init(&mine.out, 0);
	buf_init(&mine.err, QC_ERR_MAX);
	for (c = 0; c < w.nchunks; c++) {
		s = &w.slot[c % w.nslots];
		if (started == 0)
			qc_chunk_run(&mine, &w, c);
		else {
			(void)pthread_mutex_lock(&w.lock);
			while (!s->done)
				(void)pthread_cond_wait(&w.cond, &w.lock);
			(void)pthread_mutex_unlock(&w.lock);
		}
		qc_out_check(x, &s->out);
		skip = x->json && *count + *bad == 0 && s->out.len > 0 ? 1 : 0;
		if (s->out.len > skip)
			(void)fwrite(s->out.data + skip, 1, s->out.len - skip,
			    stdout);
		*count += s->count;
		*bad += s->bad;
		*nfailed += s->failed;
		*bytes += s->bytes;
		buf_reset(&s->out);
		if (started == 0)
			continue;
		(void)pthread_mutex_lock(&w.lock);
		s->done = false;
		w.printed++;
		(void)pthread_cond_broadcast(&w.cond);
		(void)pthread_mutex_unlock(&w.lock);
	}
	for (t = 0; t < started; t++)
		(void)pthread_join(tid[t], NULL);
	for (c = 0; c < w.nslots; c++)
		buf_free(&w.slot[c].out);
	buf_free(&mine.err);
	if (nt > 0) {
		(void)pthread_cond_destroy(&w.cond);
		(void)pthread_mutex_destroy(&w.lock);
	}
}

/*
 * qc_list - list the messages of the directories in mask.  Text: a
 * Postfix-mailq-like listing with relay state on top and a summary line;
 * JSON: one document (doc/queue-tools.md).
 */
int
qc_list(struct qc_ctx *x, unsigned mask)
{
	struct qc_list		l = { NULL, 0, 0 };
	struct qc_list		failed = { NULL, 0, 0 };
	struct relaystate_file	rs;
	unsigned long long	bytes = 0;
	unsigned long		count = 0, bad = 0, nfailed = 0;
	int			w;
	bool			failed_only = mask == QC_IN(QC_FAILED);

	for (w = 0; w < QC_NWHERE; w++)
		if ((mask & QC_IN(w)) && x->dir[w] != -1)
			qc_collect_or_die(x, (enum qc_where)w, NULL, &l);
	/* --owner lists failed/ with the rest: others' are not counted */
	if (!failed_only && !x->owner_set && x->dir[QC_FAILED] != -1)
		(void)qc_collect(x, QC_FAILED, NULL, &failed);
	qc_sort(&l);
	if (failed_only)
		memset(&rs, 0, sizeof(rs));
	else
		qc_relays_read(x, &rs);
	qc_hold_set(x, &rs);
	if (x->json) {
		buf_sprintf(&x->out, "{\"postern_queue\":%d,\"now\":%llu,"
		    "\"queue\":\"%s\",\n", QC_JSON_VERSION,
		    (unsigned long long)x->now, failed_only ? "failed" :
		    "active");
		qc_relays_json(x, &rs);
		buf_sputs(&x->out, "\"messages\":[");
	} else {
		qc_relays_text(x, &rs);
		/* --owner: l holds everyone's, so whether it is empty is not
		   the caller's to learn */
		if (l.n > 0 || x->owner_set)
			buf_sputs(&x->out, "-Queue ID-----------  --Size-- "
			    "----Arrival Time---  -Sender/Recipient-------\n");
	}
	qc_flush(x);
	qc_list_entries(x, l.v, l.n, &count, &bad, &nfailed, &bytes);
	if (x->owner_set)
		failed.n = nfailed;
	if (x->json)
		buf_sprintf(&x->out, "],\n\"summary\":{\"messages\":%lu,"
		    "\"bytes\":%llu,\"unreadable\":%lu,\"failed\":%zu,"
		    "\"new_listed\":%s}}\n", count, bytes, bad, failed_only ?
		    count + bad : failed.n, x->new_hidden ? "false" : "true");
	else {
		if (count + bad == 0)
			buf_sputs(&x->out, failed_only ?
			    "No failed messages\n" : "Mail queue is empty\n");
		else
			buf_sprintf(&x->out, "-- %llu Kbytes in %lu Request%s%s"
			    ".\n", (bytes + 1023) / 1024, count, count == 1 ?
			    "" : "s", failed_only ? " in failed/" : "");
		if (bad > 0)
			buf_sprintf(&x->out, "-- %lu unreadable queue file%s "
			    "(see above)\n", bad, bad == 1 ? "" : "s");
		if (x->owner_set && failed.n > 0)
			buf_sprintf(&x->out, "-- %zu of them given up, in "
			    "failed/\n", failed.n);
		else if (!failed_only && failed.n > 0)
			buf_sprintf(&x->out, "-- %zu message%s in failed/ "
			    "(postern failed)\n", failed.n, failed.n == 1 ?
			    "" : "s");
		if (x->new_hidden && !x->owner_set && !qc_agent_listens(x))
			buf_sputs(&x->out, "-- the delivery agent is not "
			    "running: mail it has not picked up from new/ yet "
			    "is listed only for root (sudo postern queue)\n");
	}
	qc_flush(x);
	x->hold = NULL;		/* rs goes */
	free(l.v);
	free(failed.v);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("write the listing");
		return EX_IOERR;
	}
	return EX_OK;
}
