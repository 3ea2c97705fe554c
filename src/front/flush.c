/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flush.c - sendmail -q and postern flush [--wait]: ask the delivery
 * agent to try every message and relay now, through its trigger FIFO;
 * with no agent running, leave the flush in state/flush-relays for its
 * next run (relaystate.c owns that file).  --wait then counts what is
 * still to be tried in the spool until nothing is due.
 *
 * Runs as the invoking user: it writes one byte into the FIFO and, for
 * root and the agent's group only, the flush file; it reads the spool
 * only as far as the file modes let that user, and never changes a
 * queue file.  It calls no other entry point of the front end.
 */
#include "config.h"
#include "postern-paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "front.h"
#include "log.h"
#include "qid.h"
#include "relaystate.h"
#include "spool.h"
#include "util.h"

#define FLUSH_ERR_MAX	8192
#define FLUSH_WAIT_MS	200	/* flush --wait: poll interval */

/* flush_state_dir - spool/state opened as a directory, or -1 */
static int
flush_state_dir(const struct conf *c)
{
	char	path[4096];

	if (spool_path(c->spool_dir, SPOOL_STATE, NULL, path,
	    sizeof(path)) == -1)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * flush_save - no agent runs: leave the flush for its next run
 * (state/flush-relays), which only root and the agent's group may
 * write.  Returns 0, or -1 when the caller may not (or it failed).
 */
static int
flush_save(const struct conf *c)
{
	int	dfd, rc;

	if ((dfd = flush_state_dir(c)) == -1)
		return -1;
	rc = relaystate_flush_save(dfd);
	close(dfd);
	return rc;
}

/* flush_poke - write the flush byte; EX_OK or the exit code */
static int
flush_poke(const struct conf *c, bool probe)
{
	bool	privileged;
	int	fd = spool_poke_open(c->spool_dir, &privileged);

	if (fd == -1) {
		if (errno == ENXIO || errno == ENOENT) {
			if (!probe && flush_save(c) == 0)
				log_warnx("the delivery agent is not running: "
				    "the flush is saved, and its next run "
				    "(systemctl start postern, or posternd "
				    "--once) tries every message and relay "
				    "at once");
			else
				log_warnx("the delivery agent is not running: "
				    "start it (systemctl start postern) or "
				    "run posternd --once");
			return EX_UNAVAILABLE;
		}
		fatal_errno(errno == ENAMETOOLONG ? EX_CONFIG : EX_TEMPFAIL,
		    "open %s/%s", c->spool_dir, SPOOL_TRIGGER);
	}
	if (!probe && write(fd, "f", 1) != 1 && errno != EAGAIN) {
		close(fd);
		fatal_errno(EX_TEMPFAIL, "write %s/%s", c->spool_dir,
		    privileged ? SPOOL_FLUSH : SPOOL_TRIGGER);
	}
	close(fd);
	return EX_OK;
}

/* flush_main - poke the agent through its FIFO */
int
flush_main(const struct conf *c)
{
	return flush_poke(c, false);
}

/* flush_ts_before - a < b */
static bool
flush_ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec &&
	    a->tv_nsec < b->tv_nsec);
}

/*
 * flush_count - messages still to be tried since the flush (in new/, or
 * in cur/ without a state written since) and those deferred by an
 * attempt since.  new/ is skipped when the caller may not read it (a
 * member of the agent's group: the running agent moves it to cur/ at
 * once).  Returns 0, or -1 with errno when a directory is unreadable.
 */
static int
flush_count(const struct conf *c, const struct timespec *since,
    unsigned long *waiting, unsigned long *deferred)
{
	static const char *const subs[] = { SPOOL_NEW, SPOOL_CUR };
	char		 dir[4096], file[4096];
	DIR		*d;
	struct dirent	*de;
	struct qid	 qid;
	struct stat	 sb;
	struct spool_state st;
	struct buf	 err;
	size_t		 i;
	int		 rc = -1;

	*waiting = *deferred = 0;
	buf_init(&err, FLUSH_ERR_MAX);
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		if (spool_path(c->spool_dir, subs[i], NULL, dir,
		    sizeof(dir)) == -1)
			goto out;
		if ((d = opendir(dir)) == NULL) {
			/* new/ is the drop group's: the agent picks it up */
			if (i == 0 && (errno == EACCES || errno == EPERM))
				continue;
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			if (qid_parse(&qid, de->d_name) == -1)
				continue;
			if (i == 0 || spool_path(c->spool_dir, SPOOL_STATE,
			    &qid, file, sizeof(file)) == -1 ||
			    stat(file, &sb) == -1 ||
			    flush_ts_before(&sb.st_mtim, since)) {
				(*waiting)++;
				continue;
			}
			spool_state_init(&st);
			buf_reset(&err);
			if (spool_state_read(c->spool_dir, &qid, &st,
			    &err) == 0 &&
			    st.next_attempt > (uint64_t)time(NULL))
				(*deferred)++;
			else
				(*waiting)++;
			spool_state_free(&st);
		}
		closedir(d);
	}
	rc = 0;
out:
	buf_free(&err);
	return rc;
}

/* flush_relays_down - state/relays written since and every relay down */
static bool
flush_relays_down(const struct conf *c, const struct timespec *since)
{
	struct relaystate_file	*f;
	struct stat		 sb;
	size_t			 i;
	int			 dfd;
	bool			 down = false;

	if ((dfd = flush_state_dir(c)) == -1)
		return false;
	f = xmalloc(sizeof(*f));
	if (fstatat(dfd, RELAYSTATE_FILE, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !flush_ts_before(&sb.st_mtim, since) &&
	    relaystate_read(dfd, f) == 0 && f->n > 0) {
		for (down = true, i = 0; i < f->n; i++)
			down = down && f->r[i].down;
	}
	free(f);
	close(dfd);
	return down;
}

/*
 * flush_wait_main - flush, then show progress until nothing is due:
 * the queue is empty (EX_OK), or only deferred mail remains or every
 * relay is down (EX_TEMPFAIL), or the agent stopped (EX_UNAVAILABLE).
 * On a terminal one progress line is redrawn; otherwise a plain line is
 * printed whenever the counts change.
 */
int
flush_wait_main(const struct conf *c)
{
	struct timespec	 since;
	unsigned long	 waiting, deferred, total = 0, lw = ~0UL, ld = ~0UL;
	bool		 tty = isatty(STDOUT_FILENO) == 1, first = true;
	int		 rc;

	/* file times come from the coarse clock: compare like with like */
	(void)clock_gettime(CLOCK_REALTIME_COARSE, &since);
	if ((rc = flush_main(c)) != EX_OK)
		return rc;
	for (;;) {
		if (flush_count(c, &since, &waiting, &deferred) == -1) {
			if (errno == EACCES || errno == EPERM)
				fatal_exit(EX_NOPERM, "flush --wait: read the "
				    "queue in %s: permission denied: run it as "
				    "root or as a member of the group %s",
				    c->spool_dir, POSTERN_GROUP);
			fatal_errno(EX_TEMPFAIL, "flush --wait: read the "
			    "queue in %s", c->spool_dir);
		}
		if (first)
			total = waiting + deferred;
		first = false;
		if (waiting != lw || deferred != ld) {
			unsigned long gone = total > waiting + deferred ?
			    total - waiting - deferred : 0;

			printf(tty ? "\r%lu to try, %lu delivered or "
			    "finished, %lu deferred   " : "%lu to try, %lu "
			    "delivered or finished, %lu deferred\n", waiting,
			    gone, deferred);
			fflush(stdout);
			lw = waiting;
			ld = deferred;
		}
		if (waiting == 0)
			break;
		if (flush_relays_down(c, &since)) {
			printf("%severy relay is down: %lu message%s wait; "
			    "see state/relays or run postern check\n",
			    tty ? "\n" : "", waiting, waiting == 1 ? "" : "s");
			return EX_TEMPFAIL;
		}
		if (flush_poke(c, true) != EX_OK)
			return EX_UNAVAILABLE;
		(void)poll(NULL, 0, FLUSH_WAIT_MS);
	}
	if (deferred == 0) {
		printf("%squeue empty\n", tty ? "\n" : "");
		return EX_OK;
	}
	printf("%s%lu message%s deferred: see postern queue\n", tty ? "\n" :
	    "", deferred, deferred == 1 ? "" : "s");
	return EX_TEMPFAIL;
}
