/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_change.c - the queue tools that change the spool: delete,
 * retry (ID... or --all) and failed requeue (ID... or --all).
 *
 * Each change is one atomic step a running agent tolerates: unlink
 * (delete); an atomic state rewrite, abandoned when the agent changed the
 * state meanwhile (retry); a state write then one rename failed/ -> new/
 * (requeue).  It never sends a recipient that accepted the message
 * again, and every change logs one line (queue id, action, uid).  Calls
 * queuecmd_read.c, queuecmd_relays.c and queuecmd_ctx.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"
#include "util.h"

#define QC_RETRY_TRIES		5	/* state changed under us: re-read */

/* qc_poke - one byte into the agent's trigger FIFO; false: no agent */
static bool
qc_poke(struct qc_ctx *x, char byte)
{
	bool	ok, privileged;
	int	fd = spool_poke_open(x->c->spool_dir, &privileged);

	if (fd == -1)
		return false;
	ok = write(fd, &byte, 1) == 1 || errno == EAGAIN;
	close(fd);
	return ok;
}

/* qc_no_agent - tell how the change takes effect without an agent */
static void
qc_no_agent(void)
{
	log_warnx("the delivery agent is not running: the change is saved "
	    "and takes effect at its next run (systemctl start postern, or "
	    "posternd --once)");
}

/* qc_delete - unlink the queue file (new/, cur/ or failed/) and its state */
int
qc_delete(struct qc_ctx *x, const char *arg)
{
	struct qid	qid;
	enum qc_where	w;
	int		rc, i;
	char		what[64];

	if ((rc = qc_resolve(x, arg, &qid, &w)) != EX_OK)
		return rc;
	/* in the order messages move, so one moving meanwhile is found */
	for (i = (int)w; i < QC_NWHERE; i++) {
		if (x->dir[i] == -1)
			continue;
		if (unlinkat(x->dir[i], qid.s, 0) == 0)
			break;
		if (errno == EACCES || errno == EPERM)
			qc_refuse(x, qc_dirs[i]);
		if (errno != ENOENT) {
			log_warn("%s: unlink %s/%s", qid.s, qc_dirs[i], qid.s);
			return EX_TEMPFAIL;
		}
	}
	if (i == QC_NWHERE) {
		log_error("%s: vanished meanwhile (delivered or deleted)",
		    qid.s);
		return EX_NOINPUT;
	}
	if (fsync(x->dir[i]) == -1)
		log_warn("fsync %s/", qc_dirs[i]);
	if (spool_state_remove(x->c->spool_dir, &qid) == -1)
		log_warn("%s: remove its state (the agent removes it later)",
		    qid.s);
	snprintf(what, sizeof(what), "deleted from %s/", qc_dirs[i]);
	qc_audit(x, &qid, what);
	printf("%s: deleted from %s/\n", qid.s, qc_dirs[i]);
	return EX_OK;
}

/*
 * qc_state_owner - owner, group and mode of a state file we made (fd) so
 * that the agent and its group read it: root gives it to the directory's
 * owner and group; anyone else keeps it and gives it the directory's
 * group (state/ is setgid, so it has that group already unless an older
 * layout left the bit off); the agent's user may keep its own group, it
 * reads the file as its owner.  Then SPOOL_MODE_STATEFILE, whatever the
 * umask.  Returns 0 or -1 (errno).
 */
static int
qc_state_owner(int fd, const struct stat *dsb)
{
	struct stat	sb;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (geteuid() == 0) {
		if ((sb.st_uid != dsb->st_uid || sb.st_gid != dsb->st_gid) &&
		    fchown(fd, dsb->st_uid, dsb->st_gid) == -1)
			return -1;
	} else if (sb.st_gid != dsb->st_gid &&
	    fchown(fd, (uid_t)-1, dsb->st_gid) == -1 &&
	    geteuid() != dsb->st_uid)
		return -1;
	return fchmod(fd, SPOOL_MODE_STATEFILE);
}

/*
 * qc_state_replace - write st as the new state/QID, mode
 * SPOOL_MODE_STATEFILE with the state directory's group (root: its owner
 * too) whatever the umask, so the agent and the agent's group can read
 * it, through state/.QID.<tag> (a name
 * the agent never uses), fsync, and rename.  When expect is not NULL the
 * rename happens only if state/QID is still the file expect describes
 * (st_ino 0: still missing): otherwise returns 1 and changes nothing, so
 * an outcome the agent saved meanwhile is never overwritten.  Returns 0,
 * 1, or -1 with the reason in err.
 */
static int
qc_state_replace(struct qc_ctx *x, const struct qid *qid,
    const struct spool_state *st, const char *tag,
    const struct stat *expect, struct buf *err)
{
	char		 tmp[QID_LEN + 32];
	struct buf	 b;
	struct stat	 dsb, now;
	int		 fd = -1, rc = -1;
	bool		 created = false;

	buf_init(&b, SPOOL_STATE_MAX);
	snprintf(tmp, sizeof(tmp), ".%s.%s", qid->s, tag);
	if (spool_state_format(st, &b) == -1 || fstat(x->state_fd, &dsb) ==
	    -1) {
		buf_note(err, "state/%s: %s", qid->s, strerror(errno));
		goto out;
	}
	(void)unlinkat(x->state_fd, tmp, 0);
	fd = openat(x->state_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, SPOOL_MODE_STATEFILE);
	if (fd == -1) {
		buf_note(err, "create state/%s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (qc_state_owner(fd, &dsb) == -1) {
		buf_note(err, "chown state/%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (io_write_all(fd, b.data, b.len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1) {
		fd = -1;
		buf_note(err, "write state/%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (expect != NULL) {
		if (fstatat(x->state_fd, qid->s, &now, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			memset(&now, 0, sizeof(now));
		if (now.st_ino != expect->st_ino || now.st_size !=
		    expect->st_size || now.st_mtim.tv_sec !=
		    expect->st_mtim.tv_sec || now.st_mtim.tv_nsec !=
		    expect->st_mtim.tv_nsec) {
			rc = 1;
			goto out;
		}
	}
	if (renameat(x->state_fd, tmp, x->state_fd, qid->s) == -1) {
		buf_note(err, "rename state/%s: %s", tmp, strerror(errno));
		goto out;
	}
	created = false;
	if (fsync(x->state_fd) == -1)
		buf_note(err, "fsync state/: %s", strerror(errno));
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (created)
		(void)unlinkat(x->state_fd, tmp, 0);
	buf_free(&b);
	return rc;
}

/*
 * qc_due_now - make a message in cur/ due now: its state's next attempt
 * becomes now.  Returns 0 (done or already due), or -1 after a message.
 */
static int
qc_due_now(struct qc_ctx *x, const struct qid *qid, bool *changed)
{
	struct spool_state	st;
	struct stat		sb;
	int			tries, r;

	*changed = false;
	for (tries = 0; tries < QC_RETRY_TRIES; tries++) {
		buf_reset(&x->err);
		if (qc_read_state(x, qid, &st, &sb, &x->err) == -1) {
			log_error("%s: %s", qid->s, buf_cstr(&x->err));
			return -1;
		}
		if (sb.st_ino == 0 || st.next_attempt <= x->now) {
			spool_state_free(&st);
			return 0;	/* no state (fresh) or already due */
		}
		st.next_attempt = x->now;
		buf_reset(&x->err);
		r = qc_state_replace(x, qid, &st, "retry", &sb, &x->err);
		spool_state_free(&st);
		if (r == 0) {
			*changed = true;
			return 0;
		}
		if (r == -1) {
			log_error("%s: %s", qid->s, buf_cstr(&x->err));
			return -1;
		}
		/* the agent saved an outcome meanwhile: look again */
	}
	log_error("%s: its state keeps changing (the agent is working on it): "
	    "try again in a moment", qid->s);
	return -1;
}

/*
 * qc_retry_one - make one message due now; quiet: no line on stdout (the
 * log line is written all the same).  *changed tells whether its state
 * was rewritten.
 */
static int
qc_retry_one(struct qc_ctx *x, const struct qid *qid, enum qc_where w,
    bool quiet, bool *changed)
{
	*changed = false;
	if (w == QC_FAILED) {
		log_error("%s: is in failed/ (given up): requeue it with "
		    "'postern failed requeue %s'", qid->s, qid->s);
		return EX_USAGE;
	}
	if (w == QC_NEW) {
		if (!quiet)
			printf("%s: not tried yet: already due\n", qid->s);
		return EX_OK;
	}
	if (qc_due_now(x, qid, changed) == -1)
		return EX_TEMPFAIL;
	if (*changed)
		qc_audit(x, qid, "retry requested: due now");
	if (!quiet)
		printf("%s: %s\n", qid->s, *changed ? "due now" :
		    "already due");
	return EX_OK;
}

/* qc_retry - retry ID... or --all (every message in cur/) */
int
qc_retry(struct qc_ctx *x, int n, char **ids)
{
	struct qc_list	l = { NULL, 0, 0 };
	struct relaystate_file rs;
	struct qid	qid;
	enum qc_where	w;
	size_t		i, done = 0, moved = 0;
	int		k, r, rc = EX_OK;
	bool		changed;

	if (x->all) {
		qc_collect_or_die(x, QC_CUR, NULL, &l);
		qc_sort(&l);
		for (i = 0; i < l.n; i++) {
			queuefmt_entry_qid(&l.v[i], &qid);
			if ((r = qc_retry_one(x, &qid, QC_CUR, true,
			    &changed)) == EX_OK)
				done++;
			else if (rc == EX_OK)
				rc = r;
			moved += changed;
		}
		printf("%zu message%s in cur/ due now (%zu rescheduled)\n",
		    done, done == 1 ? "" : "s", moved);
		free(l.v);
	}
	for (k = 0; k < n; k++) {
		if ((r = qc_resolve(x, ids[k], &qid, &w)) == EX_OK)
			r = qc_retry_one(x, &qid, w, false, &changed);
		if (r == EX_OK)
			done++;
		else if (rc == EX_OK)
			rc = r;
	}
	/* 'f' also ends relay back-off; one message only asks for a rescan */
	if (done == 0 && !x->all)
		return rc;
	if (!qc_poke(x, x->all ? 'f' : 'n')) {
		qc_no_agent();
		/* --all: the next run also ends the relays' back-off */
		if (x->all && x->state_fd != -1 &&
		    relaystate_flush_save(x->state_fd) == -1)
			log_warn("save the flush of the relays for the next "
			    "run in %s/%s/%s", x->c->spool_dir, SPOOL_STATE,
			    RELAYSTATE_FLUSH_FILE);
	}
	else if (!x->all) {
		qc_relays_read(x, &rs);
		for (i = 0; i < rs.n; i++)
			if (rs.r[i].down && rs.r[i].next_try > x->now)
				log_warnx("relay %s is down and waits until "
				    "its next try; 'postern retry --all' or "
				    "'postern flush' also retries the relays",
				    rs.r[i].name);
	}
	return rc;
}

/*
 * qc_requeue_one - failed/QID back to new/ (cur/ for the agent's group,
 * which may not write new/): the state keeps only the
 * recipients that accepted (never sent twice), everything else pending,
 * no attempts; then one rename.  A malformed file or state is refused.
 */
static int
qc_requeue_one(struct qc_ctx *x, const struct qid *qid)
{
	struct qc_msg		m;
	struct spool_state	fresh;
	enum qc_where		dest;
	size_t			i, sent = 0;
	int			rc = EX_OK, fd;
	char			age[QUEUEFMT_AGE_MAX], keep[QUEUEFMT_AGE_MAX];

	spool_state_init(&fresh);
	if (qc_load(x, qid, QC_FAILED, false, &m) == -1) {
		log_error("%s: vanished from failed/ meanwhile", qid->s);
		return EX_NOINPUT;
	}
	if (!m.ok || m.problem != NULL) {
		log_error("%s: cannot requeue: %s; look at it with 'postern "
		    "failed show %s', remove it with 'postern delete %s'%s",
		    qid->s, m.problem, qid->s, qid->s, m.ok ? ", or remove "
		    "its state file to send to every recipient again" : "");
		rc = EX_DATAERR;
		goto out;
	}
	/* the full strict read, size check included, as the agent will */
	fd = openat(x->dir[QC_FAILED], qid->s, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd != -1) {
		struct envelope	env;
		off_t		off;

		buf_reset(&x->err);
		if (spool_read_envelope_fd(fd, &env, &off, &x->err) == -1) {
			log_error("%s: cannot requeue: %s", qid->s,
			    buf_cstr(&x->err));
			rc = EX_DATAERR;
		}
		envelope_free(&env);
		close(fd);
		if (rc != EX_OK)
			goto out;
	}
	for (i = 0; i < m.st.nrcpts; i++) {
		const struct spool_rcpt_status *r = &m.st.rcpts[i];

		if (r->state != SPOOL_RCPT_SENT)
			continue;
		sent++;
		(void)spool_state_set_rcpt(&fresh, r->index, r->state, r->code,
		    r->enh, r->text);
	}
	if (sent == m.env.nrcpts) {
		log_error("%s: every recipient already accepted it: nothing "
		    "to send; remove it with 'postern delete %s'", qid->s,
		    qid->s);
		rc = EX_USAGE;
		goto out;
	}
	buf_reset(&x->err);
	if (sent > 0 ? qc_state_replace(x, qid, &fresh, "requeue", NULL,
	    &x->err) != 0 : spool_state_remove(x->c->spool_dir, qid) == -1) {
		log_error("%s: reset its state: %s", qid->s, sent > 0 ?
		    buf_cstr(&x->err) : strerror(errno));
		rc = EX_TEMPFAIL;
		goto out;
	}
	/*
	 * To new/ when the caller may write there (root, the agent's user):
	 * a systemd path unit watching new/ then starts a delivery run.  A
	 * member of the agent's group may not (new/ is the drop group's): to
	 * cur/, where the fresh state makes it due now just the same.
	 */
	dest = QC_CUR;
	if (x->dir[QC_NEW] != -1) {
		if (renameat(x->dir[QC_FAILED], qid->s, x->dir[QC_NEW],
		    qid->s) == 0)
			dest = QC_NEW;
		else if (errno != EACCES && errno != EPERM) {
			log_warn("%s: move failed/%s to new/", qid->s, qid->s);
			rc = errno == ENOENT ? EX_NOINPUT : EX_TEMPFAIL;
			goto out;
		}
	}
	if (dest == QC_CUR && renameat(x->dir[QC_FAILED], qid->s,
	    x->dir[QC_CUR], qid->s) == -1) {
		if (errno == EACCES || errno == EPERM)
			qc_refuse(x, SPOOL_CUR);
		log_warn("%s: move failed/%s to cur/", qid->s, qid->s);
		rc = errno == ENOENT ? EX_NOINPUT : EX_TEMPFAIL;
		goto out;
	}
	if (fsync(x->dir[dest]) == -1 || fsync(x->dir[QC_FAILED]) == -1)
		log_warn("%s: fsync the spool directories", qid->s);
	qc_audit(x, qid, dest == QC_NEW ? "requeued from failed/ to new/" :
	    "requeued from failed/ to cur/");
	printf("%s: requeued (%zu recipient%s to try", qid->s,
	    m.env.nrcpts - sent, m.env.nrcpts - sent == 1 ? "" : "s");
	if (sent > 0)
		printf(", %zu already accepted it", sent);
	printf(")\n");
	if (x->now >= m.env.arrival + x->c->max_age)
		log_warnx("%s: arrived %s ago, more than max_age (%s): the "
		    "agent expires it again at its first attempt", qid->s,
		    queuefmt_age(x->now - m.env.arrival, age, sizeof(age)),
		    format_duration(x->c->max_age, keep, sizeof(keep)));
out:
	spool_state_free(&fresh);
	qc_msg_free(&m);
	return rc;
}

/* qc_requeue - failed requeue ID... | --all */
int
qc_requeue(struct qc_ctx *x, int n, char **ids)
{
	struct qc_list	l = { NULL, 0, 0 };
	struct qid	qid;
	enum qc_where	w;
	size_t		i, done = 0;
	int		k, r, rc = EX_OK;

	if (x->all) {
		qc_collect_or_die(x, QC_FAILED, NULL, &l);
		qc_sort(&l);
		for (i = 0; i < l.n; i++) {
			queuefmt_entry_qid(&l.v[i], &qid);
			if ((r = qc_requeue_one(x, &qid)) == EX_OK)
				done++;
			else if (rc == EX_OK)
				rc = r;
		}
		free(l.v);
	}
	for (k = 0; k < n; k++) {
		if ((r = qc_resolve(x, ids[k], &qid, &w)) == EX_OK) {
			if (w != QC_FAILED) {
				log_error("%s: is not in failed/ but queued in "
				    "%s/: nothing to requeue (use 'postern "
				    "retry %s')", qid.s, qc_dirs[w], qid.s);
				r = EX_USAGE;
			} else if ((r = qc_requeue_one(x, &qid)) == EX_OK)
				done++;
		}
		if (r != EX_OK && rc == EX_OK)
			rc = r;
	}
	if (done > 0 && !qc_poke(x, 'n'))
		qc_no_agent();
	return rc;
}
