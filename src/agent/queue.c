/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue.c - the agent's side of the spool: schedule, claim, set aside,
 * retry back-off, cleaning, committing the agent's own messages, and the
 * relay up/down state file.
 *
 * Owns every move of a queue file after postern-drop made it: new/ ->
 * cur/ (pickup, as soon as it arrives: new/ is the drop group's, cur/ the
 * agent's group's), cur/ -> failed/ (given up, or malformed), and unlinks
 * (delivered, expired from failed/).  Each move is one rename(2), so a
 * message is always in exactly one directory.  Queue files are hostile
 * input: opened O_NOFOLLOW|O_NONBLOCK, checked (regular, one link, the
 * drop or agent group) before parsing, and anything wrong sends the file to
 * failed/ with a log line; nothing here may stop the rest of the queue.
 * Never talks to the network.  doc/agent.md documents the files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "queue.h"
#include "relaystate.h"
#include "util.h"

#define QUEUE_PATH_MAX		4096
#define QUEUE_CREATE_TRIES	10
#define QUEUE_ERR_MAX		1024

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
 * grow with the backlog (issue 10: with a linear search the scheduler
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

/* queue_path - spool/sub/name; -1 (logged) when too long */
static int
queue_path(const struct queue *q, const char *sub, const char *name,
    char *out, size_t outsize)
{
	int	n;

	if (name != NULL)
		n = snprintf(out, outsize, "%s/%s/%s", q->spool_dir, sub, name);
	else
		n = snprintf(out, outsize, "%s/%s", q->spool_dir, sub);
	if (n < 0 || (size_t)n >= outsize) {
		log_warnx("path %s/%s/%s: too long", q->spool_dir, sub,
		    name != NULL ? name : "");
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* queue_set_aside - move to failed/, log, keep the reason in the state */
int
queue_set_aside(struct queue *q, const char *from, const char *name,
    const char *reason)
{
	char		 src[QUEUE_PATH_MAX], dst[QUEUE_PATH_MAX];
	char		 dir[QUEUE_PATH_MAX];
	struct qid	 qid;
	struct spool_state st;
	struct buf	 err;
	bool		 is_qid = qid_parse(&qid, name) == 0;

	if (is_qid)
		queue_unschedule(q, &qid);
	if (queue_path(q, from, name, src, sizeof(src)) == -1 ||
	    queue_path(q, SPOOL_FAILED, name, dst, sizeof(dst)) == -1 ||
	    queue_path(q, SPOOL_FAILED, NULL, dir, sizeof(dir)) == -1)
		return -1;
	if (rename(src, dst) == -1) {
		log_warn("%s: cannot set aside %s into failed/ (%s); fix or "
		    "remove it by hand", name, src, reason);
		return -1;
	}
	if (fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);
	log_error("%s: set aside into failed/: %s", name, reason);
	if (!is_qid)
		return 0;
	/* the listing shows why; a broken state file is replaced */
	buf_init(&err, QUEUE_ERR_MAX);
	if (spool_state_read(q->spool_dir, &qid, &st, &err) == -1)
		spool_state_init(&st);
	spool_state_set_error(&st, reason);
	buf_reset(&err);
	if (spool_state_write(q->spool_dir, &qid, &st, &err) == -1)
		log_warnx("%s: %s", name, buf_cstr(&err));
	spool_state_free(&st);
	buf_free(&err);
	return 0;
}

/* queue_scan_dir - schedule every entry of new/ or cur/ */
static int
queue_scan_dir(struct queue *q, const char *sub, uint64_t now)
{
	char		 dir[QUEUE_PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct qid	 qid;
	struct spool_state st;
	struct buf	 err;
	char		*reason;
	int		 count = 0;

	if (queue_path(q, sub, NULL, dir, sizeof(dir)) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		log_warn("open %s", dir);
		return -1;
	}
	buf_init(&err, QUEUE_ERR_MAX);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (qid_parse(&qid, de->d_name) == -1) {
			reason = xasprintf("%s/%s is not a queue id", sub,
			    de->d_name);
			(void)queue_set_aside(q, sub, de->d_name, reason);
			free(reason);
			continue;
		}
		if (strcmp(sub, SPOOL_NEW) == 0) {
			if (queue_pickup(q, &qid, now) == 0 || (errno != ENOENT &&
			    errno != EEXIST))
				count++;
			continue;
		}
		buf_reset(&err);
		if (spool_state_read(q->spool_dir, &qid, &st, &err) == -1) {
			reason = xasprintf("unreadable retry state: %s",
			    buf_cstr(&err));
			(void)queue_set_aside(q, sub, de->d_name, reason);
			free(reason);
			continue;
		}
		queue_schedule(q, &qid, st.next_attempt);
		spool_state_free(&st);
		count++;
	}
	if (errno != 0)
		log_warn("read %s", dir);
	closedir(d);
	buf_free(&err);
	return count;
}

/* queue_scan - rebuild from new/ and cur/ */
int
queue_scan(struct queue *q, uint64_t now)
{
	struct queue_entry *old = q->v;
	uint32_t *oldslots = q->slots;
	size_t	 oldn = q->n, oldcap = q->cap, oldnslots = q->nslots;
	int	 a, b;

	q->v = NULL;
	q->slots = NULL;
	q->n = q->cap = q->nslots = 0;
	a = queue_scan_dir(q, SPOOL_CUR, now);
	b = a == -1 ? -1 : queue_scan_dir(q, SPOOL_NEW, now);
	if (a == -1 || b == -1) {
		free(q->v);
		free(q->slots);
		q->v = old;
		q->slots = oldslots;
		q->n = oldn;
		q->cap = oldcap;
		q->nslots = oldnslots;
		return -1;
	}
	free(old);
	free(oldslots);
	return a + b;
}

/* queue_rename_noreplace - rename, never over an existing file */
static int
queue_rename_noreplace(const char *src, const char *dst)
{
	struct stat	sb;

	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* a file system without RENAME_NOREPLACE (NFS): check, then rename */
	if (lstat(dst, &sb) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(src, dst);
}

/*
 * queue_move_new - rename new/QID to cur/QID, never over an existing
 * cur/QID: two copies are for a human to compare, and that is logged.
 * Returns 0, or -1 with errno (ENOENT: not in new/).
 */
static int
queue_move_new(const struct qid *qid, const char *newp, const char *curp)
{
	if (queue_rename_noreplace(newp, curp) == 0)
		return 0;
	if (errno == EEXIST) {
		log_warnx("%s: also in cur/: the copy in new/ is left there; "
		    "compare them and remove one by hand", qid->s);
		errno = EEXIST;
	}
	return -1;
}

/* queue_pickup - new/QID -> cur/QID, due now */
int
queue_pickup(struct queue *q, const struct qid *qid, uint64_t now)
{
	char	newp[QUEUE_PATH_MAX], curp[QUEUE_PATH_MAX];
	int	saved;

	if (queue_path(q, SPOOL_NEW, qid->s, newp, sizeof(newp)) == -1 ||
	    queue_path(q, SPOOL_CUR, qid->s, curp, sizeof(curp)) == -1)
		return -1;
	if (queue_move_new(qid, newp, curp) == 0) {
		queue_schedule(q, qid, now);
		return 0;
	}
	saved = errno;
	if (saved != ENOENT && saved != EEXIST) {
		log_warn("%s: pick up %s", qid->s, newp);
		queue_schedule(q, qid, now);
	}
	errno = saved;
	return -1;
}

/* queue_fix_modes - state files of an older layout: group-readable */
int
queue_fix_modes(struct queue *q)
{
	char		 dir[QUEUE_PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	int		 dfd, fd, fixed = 0;

	if (queue_path(q, SPOOL_STATE, NULL, dir, sizeof(dir)) == -1)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		log_warn("open %s", dir);
		return 0;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    sb.st_uid != geteuid() ||
		    (sb.st_mode & 07777) == SPOOL_MODE_STATEFILE)
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			continue;	/* gone meanwhile */
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_uid == geteuid() && fchmod(fd,
		    SPOOL_MODE_STATEFILE) == 0)
			fixed++;
		close(fd);
	}
	closedir(d);
	if (fixed > 0)
		log_info("%s: %d state file%s set to mode %04o: readable by "
		    "the agent's group, by nobody else", dir, fixed,
		    fixed == 1 ? "" : "s", SPOOL_MODE_STATEFILE);
	return fixed;
}

/* queue_msg_free - close and release */
void
queue_msg_free(struct queue_msg *m)
{
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	envelope_free(&m->env);
	spool_state_free(&m->state);
}

/* queue_claim - new/ -> cur/, open, check, parse */
int
queue_claim(struct queue *q, const struct qid *qid, struct queue_msg *m,
    struct buf *err)
{
	char		 newp[QUEUE_PATH_MAX], curp[QUEUE_PATH_MAX];
	struct stat	 sb, now_sb;
	int		 fd = -1, flags;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->qid = *qid;
	envelope_init(&m->env);
	spool_state_init(&m->state);
	if (queue_path(q, SPOOL_NEW, qid->s, newp, sizeof(newp)) == -1 ||
	    queue_path(q, SPOOL_CUR, qid->s, curp, sizeof(curp)) == -1) {
		buf_note(err, "path too long");
		goto gone;
	}
	/*
	 * The pickup has usually moved it to cur/ already; otherwise it is
	 * taken from new/ now.  No fsync of cur/ here: if a crash loses this
	 * rename the message is simply in new/ again, and its state (found by
	 * queue id wherever the file is) still says who accepted it.  Every
	 * later step that records an outcome (state write, removal, move to
	 * failed/) syncs its own directory.  Saves one fsync per message.
	 */
	fd = open(curp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (queue_move_new(qid, newp, curp) == -1 &&
		    errno != ENOENT && errno != EEXIST) {
			buf_note(err, "claim %s: %s", newp, strerror(errno));
			log_warnx("%s: %s", qid->s, buf_cstr(err));
			goto gone;
		}
		fd = open(curp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	}
	if (fd == -1) {
		if (errno == ENOENT) {
			buf_note(err, "vanished");
			goto gone;
		}
		buf_note(err, "open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		goto aside;
	}
	if (fstat(fd, &sb) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		goto aside;
	}
	if (!S_ISREG(sb.st_mode)) {
		buf_note(err, "not a regular file");
		goto aside;
	}
	/*
	 * One process at a time: another agent process (a --once run next
	 * to the daemon, a stale schedule) may hold it.  It may also have
	 * finished it between our open and our lock: then cur/QID is gone
	 * or is another file, and this one must not be sent again.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK || errno == EINTR) {
			close(fd);
			fd = -1;
			buf_note(err, "busy: another agent process holds it");
			log_debug("%s: %s", qid->s, buf_cstr(err));
			queue_schedule(q, qid, (uint64_t)time(NULL) +
			    QUEUE_BUSY_DELAY);
			queue_msg_free(m);
			errno = EBUSY;
			return -1;
		}
		buf_note(err, "lock: %s", strerror(errno));
		goto aside;
	}
	if (stat(curp, &now_sb) == -1 || now_sb.st_ino != sb.st_ino ||
	    now_sb.st_dev != sb.st_dev) {
		close(fd);
		fd = -1;
		buf_note(err, "vanished");
		goto gone;
	}
	if (fstat(fd, &sb) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		goto aside;
	}
	if (sb.st_nlink != 1) {
		buf_note(err, "link count %lu, not 1",
		    (unsigned long)sb.st_nlink);
		goto aside;
	}
	if (q->check_gid && sb.st_gid != q->drop_gid &&
	    sb.st_gid != q->agent_gid) {
		buf_note(err, "group %lu, not the drop group %lu (nor the "
		    "agent's %lu)", (unsigned long)sb.st_gid,
		    (unsigned long)q->drop_gid, (unsigned long)q->agent_gid);
		goto aside;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		buf_note(err, "fcntl: %s", strerror(errno));
		goto aside;
	}
	if (spool_read_envelope_fd(fd, &m->env, &m->body_offset, err) == -1)
		goto aside;
	if (strcmp(m->env.qid.s, qid->s) != 0) {
		buf_note(err, "envelope names %s, not its file name",
		    m->env.qid.s);
		goto aside;
	}
	if (spool_state_read(q->spool_dir, qid, &m->state, err) == -1)
		goto aside;
	/*
	 * Every state written from now on carries a copy of the envelope
	 * just checked (version 2), so that postern queue reads one file per
	 * deferred message instead of two.  A copy read back is replaced:
	 * the queue file is the authority.
	 */
	if (spool_state_set_envelope(&m->state, &m->env) == -1)
		log_warn("%s: state without an envelope copy", qid->s);
	m->fd = fd;
	return 0;
aside:
	if (fd != -1)
		close(fd);
	(void)queue_set_aside(q, SPOOL_CUR, qid->s, buf_cstr(err));
	queue_msg_free(m);
	return -1;
gone:
	queue_unschedule(q, qid);
	queue_msg_free(m);
	return -1;
}

/* queue_finish_sent - unlink the file, then the state */
int
queue_finish_sent(struct queue *q, const struct qid *qid)
{
	char	path[QUEUE_PATH_MAX], dir[QUEUE_PATH_MAX];
	int	rc = 0;

	queue_unschedule(q, qid);
	if (queue_path(q, SPOOL_CUR, qid->s, path, sizeof(path)) == -1 ||
	    queue_path(q, SPOOL_CUR, NULL, dir, sizeof(dir)) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s: unlink %s", qid->s, path);
		rc = -1;
	}
	if (fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);
	/* the file first: a state without a file is cleaned later */
	if (spool_state_remove(q->spool_dir, qid) == -1) {
		log_warn("%s: remove state", qid->s);
		rc = -1;
	}
	return rc;
}

/* queue_finish_failed - cur/ -> failed/ */
int
queue_finish_failed(struct queue *q, const struct qid *qid)
{
	char	src[QUEUE_PATH_MAX], dst[QUEUE_PATH_MAX], dir[QUEUE_PATH_MAX];

	queue_unschedule(q, qid);
	if (queue_path(q, SPOOL_CUR, qid->s, src, sizeof(src)) == -1 ||
	    queue_path(q, SPOOL_FAILED, qid->s, dst, sizeof(dst)) == -1 ||
	    queue_path(q, SPOOL_FAILED, NULL, dir, sizeof(dir)) == -1)
		return -1;
	if (rename(src, dst) == -1) {
		log_warn("%s: move %s to failed/", qid->s, src);
		return -1;
	}
	if (fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);
	return 0;
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

/*
 * queue_clean_lock - a stale-looking tmp/ file: is its writer still
 * alive?  postern-drop holds flock(LOCK_EX) until it exits.  Returns the
 * descriptor holding our own lock (close it after the unlink), -1 when
 * the file cannot be opened (it goes by age alone, as before), or -2
 * when a writer holds it (leave it alone).
 */
static int
queue_clean_lock(const char *path)
{
	int	fd;
	bool	busy;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		busy = errno == EWOULDBLOCK;
		if (busy)
			log_info("%s: old but still being written: kept",
			    path);
		close(fd);
		return busy ? -2 : -1;
	}
	return fd;
}

/* queue_clean_dir - remove entries of sub older than max_age */
static int
queue_clean_dir(struct queue *q, const char *sub, uint64_t now,
    uint64_t max_age, bool with_state)
{
	char		 dir[QUEUE_PATH_MAX], path[QUEUE_PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct qid	 qid;
	int		 removed = 0, lock_fd;

	if (queue_path(q, sub, NULL, dir, sizeof(dir)) == -1)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		log_warn("open %s", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (queue_path(q, sub, de->d_name, path, sizeof(path)) == -1 ||
		    lstat(path, &sb) == -1)
			continue;
		if ((uint64_t)sb.st_mtime + max_age > now ||
		    (uint64_t)sb.st_mtime > now)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			log_warnx("%s: a directory; remove it by hand", path);
			continue;
		}
		/* tmp/: postern-drop holds LOCK_EX while it writes */
		lock_fd = -1;
		if (strcmp(sub, SPOOL_TMP) == 0 && S_ISREG(sb.st_mode) &&
		    (lock_fd = queue_clean_lock(path)) == -2)
			continue;
		if (unlink(path) == -1) {
			log_warn("remove %s", path);
			if (lock_fd >= 0)
				close(lock_fd);
			continue;
		}
		if (lock_fd >= 0)
			close(lock_fd);
		log_info("%s: removed from %s/ after %llus", de->d_name, sub,
		    (unsigned long long)(now - (uint64_t)sb.st_mtime));
		removed++;
		if (with_state && qid_parse(&qid, de->d_name) == 0 &&
		    spool_state_remove(q->spool_dir, &qid) == -1)
			log_warn("%s: remove state", de->d_name);
	}
	closedir(d);
	return removed;
}

/* queue_exists - the message is in new/, cur/ or failed/ */
static bool
queue_exists(const struct queue *q, const char *name)
{
	static const char *const subs[] = { SPOOL_NEW, SPOOL_CUR,
	    SPOOL_FAILED };
	char		 path[QUEUE_PATH_MAX];
	struct stat	 sb;
	size_t		 i;

	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		if (queue_path(q, subs[i], name, path, sizeof(path)) == -1)
			return true;	/* unsure: keep the state */
		if (lstat(path, &sb) == 0 || errno != ENOENT)
			return true;
	}
	return false;
}

/* queue_clean_states - remove state files of messages that are gone */
static int
queue_clean_states(struct queue *q)
{
	char		 dir[QUEUE_PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct qid	 qid;
	int		 removed = 0;

	if (queue_path(q, SPOOL_STATE, NULL, dir, sizeof(dir)) == -1)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		log_warn("open %s", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (qid_parse(&qid, de->d_name) == -1 ||
		    queue_exists(q, de->d_name))
			continue;
		if (spool_state_remove(q->spool_dir, &qid) == 0) {
			log_debug("%s: removed orphan state", de->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

/* queue_clean - tmp/, failed/, orphan states */
int
queue_clean(struct queue *q, uint64_t now, uint64_t tmp_max_age,
    uint64_t failed_keep)
{
	int	n;

	n = queue_clean_dir(q, SPOOL_TMP, now, tmp_max_age, false);
	n += queue_clean_dir(q, SPOOL_FAILED, now, failed_keep, true);
	n += queue_clean_states(q);
	return n;
}

/* the writer context of queue_commit_message */
struct queue_writer {
	int		 fd;
	uint64_t	 size;
	bool		 failed;
	int		 saved_errno;
};

/* queue_write_fn - append message bytes to the tmp file */
static int
queue_write_fn(void *ctx, const void *p, size_t n)
{
	struct queue_writer *w = ctx;

	if (w->failed) {
		errno = w->saved_errno;
		return -1;
	}
	if (io_write_all(w->fd, p, n) == -1) {
		w->failed = true;
		w->saved_errno = errno;
		return -1;
	}
	w->size += n;
	return 0;
}

/* queue_commit_message - tmp, write, fsync, rename to new/, fsync */
int
queue_commit_message(struct queue *q, struct envelope *env,
    int (*produce)(void *, int (*)(void *, const void *, size_t), void *),
    void *arg, struct buf *err)
{
	char		 tmp[QUEUE_PATH_MAX], dst[QUEUE_PATH_MAX];
	char		 dir[QUEUE_PATH_MAX];
	struct buf	 head;
	struct queue_writer w;
	int		 fd = -1, rc = -1, tries;
	bool		 created = false;

	buf_init(&head, SPOOL_ENVELOPE_MAX);
	memset(&w, 0, sizeof(w));
	for (tries = 0; tries < QUEUE_CREATE_TRIES; tries++) {
		qid_generate(&env->qid);
		if (queue_path(q, SPOOL_TMP, env->qid.s, tmp,
		    sizeof(tmp)) == -1) {
			buf_note(err, "spool path too long");
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, SPOOL_MODE_AGENTFILE);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		buf_note(err, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	/* the agent's own group, made by us: the claim accepts both */
	if (fchmod(fd, SPOOL_MODE_AGENTFILE) == -1) {
		buf_note(err, "set mode of %s: %s", tmp, strerror(errno));
		goto out;
	}
	env->arrival = (uint64_t)time(NULL);
	env->uid = getuid();
	env->size = 0;
	if (envelope_write(env, &head) == -1) {
		buf_note(err, "envelope for %s: %s", env->qid.s,
		    strerror(errno));
		goto out;
	}
	w.fd = fd;
	if (io_write_all(fd, head.data, head.len) == -1 ||
	    produce(arg, queue_write_fn, &w) == -1 || w.failed ||
	    spool_patch_size(fd, head.len, w.size) == -1 || fsync(fd) == -1) {
		buf_note(err, "write %s: %s", tmp, strerror(w.failed ?
		    w.saved_errno : errno));
		goto out;
	}
	env->size = w.size;
	if (close(fd) == -1) {
		fd = -1;
		buf_note(err, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (queue_path(q, SPOOL_NEW, env->qid.s, dst, sizeof(dst)) == -1 ||
	    queue_path(q, SPOOL_NEW, NULL, dir, sizeof(dir)) == -1) {
		buf_note(err, "spool path too long");
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		buf_note(err, "rename %s to new/: %s", tmp, strerror(errno));
		goto out;
	}
	created = false;
	if (fsync_dir(dir) == -1) {
		/* not durable: do not claim it */
		buf_note(err, "fsync %s: %s", dir, strerror(errno));
		(void)unlink(dst);
		goto out;
	}
	queue_schedule(q, &env->qid, 0);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (created)
		(void)unlink(tmp);
	buf_free(&head);
	return rc;
}

/* ---- relays ------------------------------------------------------------ */

/* queue_relays_init - all up */
void
queue_relays_init(struct queue_relays *rs, const struct conf *c)
{
	size_t	i;

	memset(rs, 0, sizeof(*rs));
	rs->n = c->nrelays < CONF_RELAYS_MAX ? c->nrelays : CONF_RELAYS_MAX;
	for (i = 0; i < rs->n; i++)
		(void)str_copy(rs->r[i].name, c->relays[i].name != NULL ?
		    c->relays[i].name : "relay", sizeof(rs->r[i].name));
}

/* queue_time_str - "2024-01-02 03:04:05" (local time) */
static char *
queue_time_str(uint64_t t, char *out, size_t outsize)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, outsize, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		(void)snprintf(out, outsize, "%llu", (unsigned long long)t);
	return out;
}

/*
 * queue_relays_log_write - rewrite state/relays, logging a failure;
 * written, each relay's last_sent is saved
 */
static void
queue_relays_log_write(struct queue_relays *rs, const char *spool_dir)
{
	struct buf	err;
	size_t		i;

	buf_init(&err, QUEUE_ERR_MAX);
	if (queue_relays_write(rs, spool_dir, &err) == -1)
		log_warnx("%s", buf_cstr(&err));
	else
		for (i = 0; i < rs->n; i++)
			rs->r[i].last_sent_saved = rs->r[i].last_sent;
	buf_free(&err);
}

/* queue_relay_down - back off a relay; true when it was up */
bool
queue_relay_down(struct queue_relays *rs, size_t i, const char *reason,
    uint64_t now, uint64_t retry_min, uint64_t retry_max,
    const char *spool_dir)
{
	struct queue_relay *r;
	char		 when[64], wait[32], *p;
	bool		 changed, was_up;

	if (i >= rs->n)
		return false;
	r = &rs->r[i];
	was_up = !r->down;
	changed = !r->down || strncmp(r->reason, reason,
	    sizeof(r->reason) - 1) != 0;
	if (!r->down)
		r->down_since = now;
	r->down = true;
	r->failures++;
	r->next_try = now + queue_backoff(retry_min, retry_max, r->failures,
	    queue_random());
	(void)str_copy(r->reason, reason, sizeof(r->reason));
	for (p = r->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (changed)
		log_warnx("relay %s down since %s, reason %s, next try in %s",
		    r->name, queue_time_str(r->down_since, when, sizeof(when)),
		    r->reason, format_duration(r->next_try - now, wait,
		    sizeof(wait)));
	else
		log_debug("relay %s still down (%llu failures), next try in %s",
		    r->name, (unsigned long long)r->failures,
		    format_duration(r->next_try - now, wait, sizeof(wait)));
	queue_relays_log_write(rs, spool_dir);
	return was_up;
}

/* queue_relay_up - mark up, log the change; true when it was down */
bool
queue_relay_up(struct queue_relays *rs, size_t i, uint64_t now,
    const char *spool_dir)
{
	struct queue_relay *r;
	char		 wait[32];

	if (i >= rs->n || !rs->r[i].down)
		return false;
	r = &rs->r[i];
	log_info("relay %s up again after %s", r->name, format_duration(
	    now > r->down_since ? now - r->down_since : 0, wait, sizeof(wait)));
	r->down = false;
	r->failures = 0;
	r->next_try = 0;
	r->reason[0] = '\0';
	queue_relays_log_write(rs, spool_dir);
	return true;
}

/* queue_relay_sent - a message accepted: last_sent, saved once a minute */
void
queue_relay_sent(struct queue_relays *rs, size_t i, uint64_t now,
    const char *spool_dir)
{
	struct queue_relay *r;

	if (i >= rs->n)
		return;
	r = &rs->r[i];
	r->last_sent = now;
	if (r->last_sent_saved != 0 && now >= r->last_sent_saved &&
	    now - r->last_sent_saved < QUEUE_RELAY_SENT_SAVE)
		return;
	queue_relays_log_write(rs, spool_dir);
}

/* queue_relay_usable - up, or its back-off has passed */
bool
queue_relay_usable(const struct queue_relays *rs, size_t i, uint64_t now)
{
	return i < rs->n && (!rs->r[i].down || rs->r[i].next_try <= now);
}

/* queue_relays_next_try - earliest retry of a down relay */
uint64_t
queue_relays_next_try(const struct queue_relays *rs)
{
	uint64_t t = UINT64_MAX;
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].down && rs->r[i].next_try < t)
			t = rs->r[i].next_try;
	return t;
}

/* queue_relay_to_line - r as a line of state/relays (relaystate.h) */
static void
queue_relay_to_line(const struct queue_relay *r, struct relaystate *line)
{
	memset(line, 0, sizeof(*line));
	(void)str_copy(line->name, r->name, sizeof(line->name));
	line->down = r->down;
	line->down_since = r->down_since;
	line->next_try = r->next_try;
	line->failures = r->failures;
	line->last_sent = r->last_sent;
	(void)str_copy(line->reason, r->reason, sizeof(line->reason));
}

/* queue_state_dir - spool/state opened as a directory, or -1 (logged) */
static int
queue_state_dir(const char *spool_dir)
{
	char	dir[QUEUE_PATH_MAX];
	int	fd;

	if (spool_path(spool_dir, SPOOL_STATE, NULL, dir, sizeof(dir)) == -1) {
		log_warnx("%s/%s: path too long", spool_dir, SPOOL_STATE);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		log_warn("open %s", dir);
	return fd;
}

/*
 * queue_relays_load - take the state of rs's relays from state/relays,
 * matched by name; see queue.h
 */
void
queue_relays_load(struct queue_relays *rs, const char *spool_dir,
    uint64_t now, uint64_t retry_max, const struct timespec *conf_changed)
{
	struct relaystate_file	*f;
	struct queue_relay	*r;
	char			 when[64], wait[32];
	size_t			 i, j, loaded = 0, dropped = 0;
	bool			 taken[CONF_RELAYS_MAX] = { false }, edited;
	int			 dfd;

	if ((dfd = queue_state_dir(spool_dir)) == -1)
		return;
	f = xmalloc(sizeof(*f));
	if (relaystate_read(dfd, f) == -1) {
		if (errno != ENOENT)
			log_warn("%s/%s/%s: ignored, every relay starts up",
			    spool_dir, SPOOL_STATE, RELAYSTATE_FILE);
		goto out;
	}
	if (f->bad > 0) {
		log_warnx("%s/%s/%s: %s: ignored, every relay starts up "
		    "(the agent rewrites it at the next change)", spool_dir,
		    SPOOL_STATE, RELAYSTATE_FILE, f->cut ? "too long" :
		    "malformed");
		goto out;
	}
	/* edited since the last failure (a new password?): try again */
	edited = conf_changed != NULL && (conf_changed->tv_sec >
	    f->mtime.tv_sec || (conf_changed->tv_sec == f->mtime.tv_sec &&
	    conf_changed->tv_nsec > f->mtime.tv_nsec));
	for (j = 0; j < f->n; j++) {
		/* by name: the configuration may have changed meanwhile */
		for (i = 0; i < rs->n; i++)
			if (!taken[i] && strcmp(rs->r[i].name,
			    f->r[j].name) == 0)
				break;
		if (i == rs->n) {
			dropped++;
			continue;
		}
		taken[i] = true;
		r = &rs->r[i];
		r->last_sent = r->last_sent_saved = f->r[j].last_sent;
		if (!f->r[j].down)
			continue;
		r->down = true;
		r->down_since = f->r[j].down_since <= now ?
		    f->r[j].down_since : now;
		r->failures = f->r[j].failures;
		/* the clock went back, or a hand-edited file: never longer
		   than one full back-off from now */
		r->next_try = f->r[j].next_try <= now + retry_max ?
		    f->r[j].next_try : now + retry_max;
		if (edited)
			r->next_try = 0;
		(void)str_copy(r->reason, f->r[j].reason, sizeof(r->reason));
		loaded++;
		log_info("relay %s down since %s (state/relays), reason %s, "
		    "next try %s%s", r->name, queue_time_str(r->down_since,
		    when, sizeof(when)), r->reason, r->next_try > now ?
		    "in " : "now", r->next_try > now ? format_duration(
		    r->next_try - now, wait, sizeof(wait)) : "");
	}
	if (edited && loaded > 0)
		log_info("the configuration changed after %s/%s/%s was "
		    "written: every relay is tried again now", spool_dir,
		    SPOOL_STATE, RELAYSTATE_FILE);
	if (dropped > 0)
		log_info("%s/%s/%s: %zu relay(s) no longer configured: "
		    "forgotten", spool_dir, SPOOL_STATE, RELAYSTATE_FILE,
		    dropped);
	if (dropped > 0 || f->n != rs->n)
		queue_relays_log_write(rs, spool_dir);
out:
	free(f);
	close(dfd);
}

/* queue_relays_flush_take - consume a saved flush request; see queue.h */
bool
queue_relays_flush_take(const char *spool_dir)
{
	bool	taken;
	int	dfd;

	if ((dfd = queue_state_dir(spool_dir)) == -1)
		return false;
	taken = relaystate_flush_take(dfd);
	close(dfd);
	if (taken)
		log_info("a flush was saved while no agent ran (postern flush "
		    "by root or the group %s): every message and relay is "
		    "due now", POSTERN_GROUP);
	return taken;
}

/* queue_relays_write - state/relays, atomically */
int
queue_relays_write(const struct queue_relays *rs, const char *spool_dir,
    struct buf *err)
{
	char		 path[QUEUE_PATH_MAX], tmp[QUEUE_PATH_MAX];
	char		 dir[QUEUE_PATH_MAX];
	struct buf	 b;
	size_t		 i;
	int		 rc = -1, n1, n2;

	buf_init(&b, (size_t)CONF_RELAYS_MAX * (QUEUE_RELAY_NAME_MAX +
	    QUEUE_RELAY_REASON_MAX + 128));
	n1 = snprintf(path, sizeof(path), "%s/%s/%s", spool_dir, SPOOL_STATE,
	    RELAYSTATE_FILE);
	n2 = snprintf(tmp, sizeof(tmp), "%s/%s/.%s.tmp", spool_dir,
	    SPOOL_STATE, RELAYSTATE_FILE);
	if (n1 < 0 || (size_t)n1 >= sizeof(path) || n2 < 0 ||
	    (size_t)n2 >= sizeof(tmp) || spool_path(spool_dir, SPOOL_STATE,
	    NULL, dir, sizeof(dir)) == -1) {
		buf_note(err, "%s/%s: path too long", spool_dir, SPOOL_STATE);
		goto out;
	}
	for (i = 0; i < rs->n; i++) {
		struct relaystate line;

		queue_relay_to_line(&rs->r[i], &line);
		if (relaystate_format_line(&b, &line) == -1) {
			buf_note(err, "%s: relay %s: too long or unwritable "
			    "name", path, rs->r[i].name);
			goto out;
		}
	}
	rc = spool_replace_file(path, tmp, dir, b.data, b.len,
	    SPOOL_MODE_STATEFILE, err);
out:
	buf_free(&b);
	return rc;
}
