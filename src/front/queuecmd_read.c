/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_read.c - reading the spool for the queue tools: one message's
 * envelope (one 4 KB pread nearly always; the strict reader otherwise)
 * and retry state, the ids in a directory, and finding the message an id
 * or a unique prefix names.
 *
 * Reads through spool.h's parsers only, and changes nothing, not even an
 * access time (O_NOATIME where the kernel allows it).  Calls only
 * queuecmd_ctx.c among the queue tools' files.
 */
#include "config.h"

#include <dirent.h>
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
#include "qid.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "spool.h"
#include "util.h"

#define QC_AMBIGUOUS_SHOWN	5	/* candidates named on ambiguity */

/*
 * qc_openat - open a queue or state file (state true) for reading.
 * O_NOATIME first, so that listing the queue does not dirty 100,000
 * inodes after their files changed (it needs the file's owner or
 * CAP_FOWNER: root has it, the agent's user only for its state files);
 * after one EPERM this thread stops asking for it for that kind of file.
 */
static int
qc_openat(struct qc_ctx *x, int dirfd, const char *name, bool state)
{
	int	flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, fd;

	if (x->noatime[state]) {
		fd = openat(dirfd, name, flags | O_NOATIME);
		if (fd != -1 || errno != EPERM)
			return fd;
		x->noatime[state] = false;
	}
	return openat(dirfd, name, flags);
}


/* qc_msg_init - empty */
static void
qc_msg_init(struct qc_msg *m, const struct qid *qid, enum qc_where w)
{
	memset(m, 0, sizeof(*m));
	m->qid = *qid;
	m->where = w;
	envelope_init(&m->env);
	spool_state_init(&m->st);
}

/* qc_msg_free - release */
void
qc_msg_free(struct qc_msg *m)
{
	envelope_free(&m->env);
	spool_state_free(&m->st);
	free(m->problem);
	m->problem = NULL;
}

/*
 * qc_read_state - state/QID through the state directory fd into *st; a
 * missing file is a fresh state.  *sb (may be NULL) gets the file's
 * identity, st_ino 0 when it is missing; without sb (the listing) a
 * small well-formed state costs one openat, one pread and one close.
 * Returns 0, or -1 with the reason in err.
 */
int
qc_read_state(struct qc_ctx *x, const struct qid *qid,
    struct spool_state *st, struct stat *sb, struct buf *err)
{
	char	name[sizeof(SPOOL_STATE) + QID_LEN + 1];
	int	fd, rc;

	spool_state_init(st);
	fd = qc_openat(x, x->state_fd, qid->s, true);
	if (fd == -1) {
		if (sb != NULL)
			memset(sb, 0, sizeof(*sb));
		if (errno == ENOENT)
			return 0;
		buf_note(err, "open state/%s: %s", qid->s, strerror(errno));
		return -1;
	}
	if (sb == NULL && spool_state_read_quick(fd, st, err) == 0) {
		close(fd);
		return 0;
	}
	snprintf(name, sizeof(name), "%s/%s", SPOOL_STATE, qid->s);
	rc = spool_state_read_fd(fd, name, st, sb, err);
	close(fd);
	return rc;
}

/*
 * qc_load - read a message's envelope and, unless it is in new/ (which
 * never has a state), its state.  For the listing (listing true) the
 * state is read first: a version 2 state holds a copy of the envelope
 * (the agent's, made from the checked queue file), and then the queue
 * file is not opened at all.  A vanished file gives -1 with errno ENOENT
 * and *m released; anything else unreadable gives 0 with m->ok false and
 * the reason in m->problem, so the listing can show it.
 */
int
qc_load(struct qc_ctx *x, const struct qid *qid, enum qc_where w,
    bool listing, struct qc_msg *m)
{
	char	*state_err = NULL;
	bool	 state_done = false;
	int	 fd;

	qc_msg_init(m, qid, w);
	if (listing && w != QC_NEW && x->state_fd != -1) {
		buf_reset(&x->err);
		if (qc_read_state(x, qid, &m->st, NULL, &x->err) == -1)
			state_err = xstrdup(buf_cstr(&x->err));
		else if (m->st.env != NULL &&
		    strcmp(m->st.env->qid.s, qid->s) == 0) {
			m->env = *m->st.env;	/* moved, not copied */
			free(m->st.env);
			m->st.env = NULL;
			m->ok = true;
			return 0;
		}
		state_done = true;
	}
	fd = qc_openat(x, x->dir[w], qid->s, false);
	if (fd == -1) {
		if (errno == ENOENT) {
			free(state_err);
			qc_msg_free(m);
			errno = ENOENT;
			return -1;
		}
		m->problem = xasprintf("open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		goto fresh;
	}
	buf_reset(&x->err);
	if (spool_read_envelope_quick(fd, &m->env, &m->body_off,
	    &x->err) == -1) {
		m->problem = xstrdup(buf_cstr(&x->err));
		close(fd);
		goto fresh;
	}
	close(fd);
	m->ok = true;
	if (strcmp(m->env.qid.s, qid->s) != 0)
		m->problem = xasprintf("the envelope names %s, not its file "
		    "name", m->env.qid.s);
	if (state_done) {
		if (state_err != NULL && m->problem == NULL)
			m->problem = xasprintf("unreadable retry state: %s",
			    state_err);
	} else if (w != QC_NEW && x->state_fd != -1) {
		buf_reset(&x->err);
		if (qc_read_state(x, qid, &m->st, NULL, &x->err) == -1 &&
		    m->problem == NULL)
			m->problem = xasprintf("unreadable retry state: %s",
			    buf_cstr(&x->err));
	}
	free(state_err);
	return 0;
fresh:
	/* an unreadable queue file is shown without its state, as before */
	spool_state_free(&m->st);
	free(state_err);
	return 0;
}

/* qc_sort - by id, which is by arrival */
void
qc_sort(struct qc_list *l)
{
	queuefmt_sort(l->v, l->n);
}

/*
 * qc_collect - append the queue ids of directory w to l; prefix (may be
 * NULL) keeps only ids that start with it.  Names that are not queue ids
 * are skipped (the agent sets them aside).  Returns 0 or -1 (errno).
 */
int
qc_collect(struct qc_ctx *x, enum qc_where w, const char *prefix,
    struct qc_list *l)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 plen = prefix != NULL ? strlen(prefix) : 0;
	int		 fd;

	if ((fd = dup(x->dir[w])) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (plen > 0 && strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 1024;
			l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
		}
		/* not a queue id: skipped (the agent sets it aside) */
		if (queuefmt_entry_set(&l->v[l->n], de->d_name,
		    (unsigned char)w) == 0)
			l->n++;
	}
	if (errno != 0) {
		int	saved = errno;

		closedir(d);
		errno = saved;
		return -1;
	}
	closedir(d);
	return 0;
}

/* qc_collect_or_die - qc_collect, fatal on error */
void
qc_collect_or_die(struct qc_ctx *x, enum qc_where w, const char *prefix,
    struct qc_list *l)
{
	if (qc_collect(x, w, prefix, l) == -1) {
		if (errno == EACCES || errno == EPERM)
			qc_refuse(x, qc_dirs[w]);
		fatal_errno(EX_TEMPFAIL, "list %s/%s", x->c->spool_dir,
		    qc_dirs[w]);
	}
}


/*
 * qc_resolve - find the message an argument names: a full id or a unique
 * prefix of at least QUEUEFMT_PREFIX_MIN hex digits, looked for in new/,
 * cur/ and failed/ (whichever are open).  Returns EX_OK with *qid and *w
 * set, or an exit status after printing why.
 */
int
qc_resolve(struct qc_ctx *x, const char *arg, struct qid *qid,
    enum qc_where *w)
{
	char		 id[QID_LEN + 1];
	struct qc_list	 l = { NULL, 0, 0 };
	struct qid	 one;
	struct stat	 sb;
	int		 full, i, rc = EX_OK;
	size_t		 k;

	if ((full = queuefmt_id_arg(arg, id)) == -1) {
		log_error("'%.40s' is not a queue id: give the 20 hex digits "
		    "that postern queue shows, or a unique prefix of at least "
		    "%d", arg, QUEUEFMT_PREFIX_MIN);
		return EX_USAGE;
	}
	if (full == 1) {
		for (i = 0; i < QC_NWHERE; i++) {
			if (x->dir[i] == -1)
				continue;
			if (fstatat(x->dir[i], id, &sb, AT_SYMLINK_NOFOLLOW) ==
			    0) {
				(void)qid_parse(qid, id);
				*w = (enum qc_where)i;
				return EX_OK;
			}
			if (errno == EACCES)
				qc_refuse(x, qc_dirs[i]);
		}
		log_error("%s: no such message in the queue (delivered, "
		    "deleted, or never queued)%s", id, x->new_hidden ?
		    "; mail the agent has not picked up from new/ yet is "
		    "visible only to root" : "");
		return EX_NOINPUT;
	}
	for (i = 0; i < QC_NWHERE; i++)
		if (x->dir[i] != -1)
			qc_collect_or_die(x, (enum qc_where)i, id, &l);
	if (l.n == 0) {
		log_error("%s: no message id starts with this%s", id,
		    x->new_hidden ? " (mail the agent has not picked up from "
		    "new/ yet is visible only to root)" : "");
		rc = EX_NOINPUT;
	} else if (l.n > 1) {
		qc_sort(&l);
		log_error("%s: ambiguous id prefix: %zu messages match; give "
		    "more digits", id, l.n);
		for (k = 0; k < l.n && k < QC_AMBIGUOUS_SHOWN; k++) {
			queuefmt_entry_qid(&l.v[k], &one);
			log_error("  %s (in %s/)", one.s,
			    qc_dirs[l.v[k].where]);
		}
		rc = EX_USAGE;
	} else {
		queuefmt_entry_qid(&l.v[0], qid);
		*w = (enum qc_where)l.v[0].where;
	}
	free(l.v);
	return rc;
}
