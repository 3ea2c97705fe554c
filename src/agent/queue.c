/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue.c - the agent's moves of queue files: the scan and the pickup
 * (new/ -> cur/), the claim (a strict open and parse), setting aside
 * into failed/, the end of a message (sent: unlinked; failed: moved to
 * failed/), and committing the agent's own messages (DSNs).  The
 * schedule is queue_sched.c, the cleaning queue_clean.c, the relays'
 * state queue_relays.c; this file calls only the schedule.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "queue.h"
#include "queue_path.h"
#include "util.h"

#define QUEUE_CREATE_TRIES	10

/* queue_path - spool/sub/name; -1 (logged) when too long */
int
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
			if (queue_pickup(q, &qid, now) == 0 ||
			    (errno != ENOENT && errno != EEXIST))
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

/* how a step of queue_claim ended */
enum queue_claim_step {
	QUEUE_CLAIM_OK,
	QUEUE_CLAIM_GONE,	/* vanished: off the schedule */
	QUEUE_CLAIM_ASIDE,	/* wrong: into failed/ */
	QUEUE_CLAIM_BUSY,	/* another agent process holds it */
};

/*
 * queue_claim_open - claim step 1: open cur/QID, taking it from new/
 * first when the pickup has not moved it yet; *fd and *sb (its first
 * fstat, a regular file) are set on QUEUE_CLAIM_OK and *fd may be set
 * on QUEUE_CLAIM_ASIDE
 */
static enum queue_claim_step
queue_claim_open(const struct qid *qid, const char *newp, const char *curp,
    int *fd, struct stat *sb, struct buf *err)
{
	/*
	 * The pickup has usually moved it to cur/ already; otherwise it is
	 * taken from new/ now.  No fsync of cur/ here: if a crash loses this
	 * rename the message is simply in new/ again, and its state (found by
	 * queue id wherever the file is) still says who accepted it.  Every
	 * later step that records an outcome (state write, removal, move to
	 * failed/) syncs its own directory.  Saves one fsync per message.
	 */
	*fd = open(curp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd == -1 && errno == ENOENT) {
		if (queue_move_new(qid, newp, curp) == -1 &&
		    errno != ENOENT && errno != EEXIST) {
			buf_note(err, "claim %s: %s", newp, strerror(errno));
			log_warnx("%s: %s", qid->s, buf_cstr(err));
			return QUEUE_CLAIM_GONE;
		}
		*fd = open(curp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	}
	if (*fd == -1) {
		if (errno == ENOENT) {
			buf_note(err, "vanished");
			return QUEUE_CLAIM_GONE;
		}
		buf_note(err, "open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		return QUEUE_CLAIM_ASIDE;
	}
	if (fstat(*fd, sb) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		return QUEUE_CLAIM_ASIDE;
	}
	if (!S_ISREG(sb->st_mode)) {
		buf_note(err, "not a regular file");
		return QUEUE_CLAIM_ASIDE;
	}
	return QUEUE_CLAIM_OK;
}

/*
 * queue_claim_lock - claim step 2: the file's lock, and cur/QID still
 * the file opened (opened: its fstat); closes *fd when busy or gone
 */
static enum queue_claim_step
queue_claim_lock(struct queue *q, const struct qid *qid, const char *curp,
    int *fd, const struct stat *opened, struct buf *err)
{
	struct stat	now_sb;

	/*
	 * One process at a time: another agent process (a --once run next
	 * to the daemon, a stale schedule) may hold it.  It may also have
	 * finished it between our open and our lock: then cur/QID is gone
	 * or is another file, and this one must not be sent again.
	 */
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK || errno == EINTR) {
			close(*fd);
			*fd = -1;
			buf_note(err, "busy: another agent process holds it");
			log_debug("%s: %s", qid->s, buf_cstr(err));
			queue_schedule(q, qid, (uint64_t)time(NULL) +
			    QUEUE_BUSY_DELAY);
			return QUEUE_CLAIM_BUSY;
		}
		buf_note(err, "lock: %s", strerror(errno));
		return QUEUE_CLAIM_ASIDE;
	}
	if (stat(curp, &now_sb) == -1 || now_sb.st_ino != opened->st_ino ||
	    now_sb.st_dev != opened->st_dev) {
		close(*fd);
		*fd = -1;
		buf_note(err, "vanished");
		return QUEUE_CLAIM_GONE;
	}
	return QUEUE_CLAIM_OK;
}

/*
 * queue_claim_check - claim step 3: one link, the drop or the agent's
 * group (when checked), then blocking reads
 */
static enum queue_claim_step
queue_claim_check(const struct queue *q, int fd, struct buf *err)
{
	struct stat	sb;
	int		flags;

	if (fstat(fd, &sb) == -1) {
		buf_note(err, "fstat: %s", strerror(errno));
		return QUEUE_CLAIM_ASIDE;
	}
	if (sb.st_nlink != 1) {
		buf_note(err, "link count %lu, not 1",
		    (unsigned long)sb.st_nlink);
		return QUEUE_CLAIM_ASIDE;
	}
	if (q->check_gid && sb.st_gid != q->drop_gid &&
	    sb.st_gid != q->agent_gid) {
		buf_note(err, "group %lu, not the drop group %lu (nor the "
		    "agent's %lu)", (unsigned long)sb.st_gid,
		    (unsigned long)q->drop_gid, (unsigned long)q->agent_gid);
		return QUEUE_CLAIM_ASIDE;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		buf_note(err, "fcntl: %s", strerror(errno));
		return QUEUE_CLAIM_ASIDE;
	}
	return QUEUE_CLAIM_OK;
}

/*
 * queue_claim_parse - claim step 4: the envelope (naming its own file)
 * and the retry state into m
 */
static enum queue_claim_step
queue_claim_parse(const struct queue *q, const struct qid *qid, int fd,
    struct queue_msg *m, struct buf *err)
{
	if (spool_read_envelope_fd(fd, &m->env, &m->body_offset, err) == -1)
		return QUEUE_CLAIM_ASIDE;
	if (strcmp(m->env.qid.s, qid->s) != 0) {
		buf_note(err, "envelope names %s, not its file name",
		    m->env.qid.s);
		return QUEUE_CLAIM_ASIDE;
	}
	if (spool_state_read(q->spool_dir, qid, &m->state, err) == -1)
		return QUEUE_CLAIM_ASIDE;
	/*
	 * Every state written from now on carries a copy of the envelope
	 * just checked (version 2), so that postern queue reads one file per
	 * deferred message instead of two.  A copy read back is replaced:
	 * the queue file is the authority.
	 */
	if (spool_state_set_envelope(&m->state, &m->env) == -1)
		log_warn("%s: state without an envelope copy", qid->s);
	return QUEUE_CLAIM_OK;
}

/*
 * queue_claim - new/ -> cur/, open, lock, check, parse: the steps above;
 * a file that is wrong is set aside, one that vanished unscheduled
 */
int
queue_claim(struct queue *q, const struct qid *qid, struct queue_msg *m,
    struct buf *err)
{
	char		 newp[QUEUE_PATH_MAX], curp[QUEUE_PATH_MAX];
	struct stat	 sb;
	enum queue_claim_step st;
	int		 fd = -1;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->qid = *qid;
	envelope_init(&m->env);
	spool_state_init(&m->state);
	if (queue_path(q, SPOOL_NEW, qid->s, newp, sizeof(newp)) == -1 ||
	    queue_path(q, SPOOL_CUR, qid->s, curp, sizeof(curp)) == -1) {
		buf_note(err, "path too long");
		st = QUEUE_CLAIM_GONE;
	} else {
		st = queue_claim_open(qid, newp, curp, &fd, &sb, err);
		if (st == QUEUE_CLAIM_OK)
			st = queue_claim_lock(q, qid, curp, &fd, &sb, err);
		if (st == QUEUE_CLAIM_OK)
			st = queue_claim_check(q, fd, err);
		if (st == QUEUE_CLAIM_OK)
			st = queue_claim_parse(q, qid, fd, m, err);
	}
	switch (st) {
	case QUEUE_CLAIM_OK:
		m->fd = fd;
		return 0;
	case QUEUE_CLAIM_BUSY:
		queue_msg_free(m);
		errno = EBUSY;
		return -1;
	case QUEUE_CLAIM_ASIDE:
		if (fd != -1)
			close(fd);
		(void)queue_set_aside(q, SPOOL_CUR, qid->s, buf_cstr(err));
		queue_msg_free(m);
		return -1;
	case QUEUE_CLAIM_GONE:
	default:
		if (fd != -1)
			close(fd);
		queue_unschedule(q, qid);
		queue_msg_free(m);
		return -1;
	}
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
