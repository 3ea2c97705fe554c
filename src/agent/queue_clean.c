/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue_clean.c - the agent's cleaning of the spool: tmp/ files older
 * than tmp_max_age that no postern-drop still writes (its flock), failed/
 * messages older than failed_keep with their states, and the states of
 * messages that are gone.
 *
 * Never removes a file a writer holds, a directory, or the state of a
 * message still in new/, cur/ or failed/; never follows a symbolic link
 * (lstat, O_NOFOLLOW).  Calls queue.c's queue_path only.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "queue_path.h"
#include "util.h"

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
