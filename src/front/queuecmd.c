/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd.c - the queue tools: `postern queue` (mailq, sendmail -bp),
 * `show`, `delete`, `retry` and `failed` (list, show, requeue).
 *
 * Runs as the invoking user with no privilege of its own: it can use the
 * spool only as far as the file modes let that user (root, the agent's
 * user and the members of the agent's group POSTERN_GROUP); anyone else
 * gets a refusal naming who may and how, exit 77.  new/ belongs to the
 * drop group: for the agent's group it is not readable, and what waits
 * there (until the agent picks it up into cur/, at once when it runs) is
 * left out with a note; a requeue then goes to cur/ instead.  It
 * never links the agent's libraries: it reads the spool formats through
 * spool.h and the agent's state/relays file by its documented format
 * (doc/agent.md).  Changes are each one atomic step that a running agent
 * tolerates: unlink (delete), an atomic state rewrite that is abandoned
 * when the agent changed the state meanwhile (retry), a state write then
 * one rename failed/ -> new/ (requeue).  Every change logs one line
 * (queue id, action, uid).  The listing opens one file per message (the
 * queue file in new/; in cur/ and failed/ the state, whose version 2
 * carries the envelope), reads it with one 4 KB pread and changes
 * nothing, not even an access time, with one thread per CPU: 100,000
 * messages list in well under half a second (bench/queue-list).
 * doc/queue-tools.md is the reference for the output and JSON fields.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "front.h"
#include "io.h"
#include "log.h"
#include "ownq.h"
#include "qid.h"
#include "queuefmt.h"
#include "relaystate.h"
#include "spool.h"
#include "util.h"

#define QC_PEEK			4096	/* first read of a queue file */
#define QC_OUT_MAX		(64u << 20)	/* one entry's output */
#define QC_ERR_MAX		4096
#define QC_HEADER_MAX		(1u << 20)	/* header shown by show, */
#define QC_HEADER_SLACK		(64u << 10)	/* or max_header_size + this */
#define QC_CHUNK		65536	/* body copy by show --body */
#define QC_RETRY_TRIES		5	/* state changed under us: re-read */
#define QC_AMBIGUOUS_SHOWN	5	/* candidates named on ambiguity */
#define QC_RELAYS_FILE		RELAYSTATE_FILE	/* doc/agent.md */
#define QC_JSON_VERSION		1
#define QC_THREADS_MAX		4	/* threads reading a big queue */
#define QC_THREAD_MIN		2000	/* fewer messages: no thread */
#define QC_CHUNK_ENTRIES	512	/* messages per chunk of work */
#define QC_CHUNKS_AHEAD		4	/* chunks waiting, per thread */
#define QC_SLOTS		(QC_THREADS_MAX * QC_CHUNKS_AHEAD)
#define QC_CHUNK_OUT_MAX	((size_t)1 << 30)	/* one chunk's output */
#define QC_INDENT		"                                                    "

/* the three places a message can be, in the order messages move */
enum qc_where {
	QC_NEW = 0,
	QC_CUR,
	QC_FAILED,
	QC_NWHERE
};

#define QC_IN(w)		(1u << (w))
#define QC_ANYWHERE		(QC_IN(QC_NEW) | QC_IN(QC_CUR) | \
				    QC_IN(QC_FAILED))

static const char *const qc_dirs[QC_NWHERE] = {
	SPOOL_NEW, SPOOL_CUR, SPOOL_FAILED
};

struct qc_ctx {
	const struct conf *c;
	const char	*cmd;		/* for messages: "queue", "show" ... */
	int		 dir[QC_NWHERE]; /* O_DIRECTORY fds, -1: not open */
	int		 state_fd;
	uint64_t	 now;
	bool		 json;
	bool		 body;
	bool		 all;
	bool		 new_hidden;	/* new/ not readable by the caller */
	struct buf	 out;		/* one entry, then to stdout */
	struct buf	 err;
	struct queuefmt_clock clock;	/* per thread: qc_time */
	bool		 noatime[2];	/* per thread: O_NOATIME may work,
					   for queue files [0], states [1] */
	unsigned long	 uid;
	bool		 owner_set;	/* --owner: only that uid's messages */
	unsigned long	 owner;
	char		 who[64];	/* login of the caller, for the log */
	const struct relaystate *hold;	/* every relay is down: the one back
					   first (its reason holds the mail);
					   NULL otherwise (qc_hold_set) */
};

struct qc_list {
	struct queuefmt_entry *v;
	size_t		 n, cap;
};

/* a message as the tools see it */
struct qc_msg {
	struct qid	 qid;
	enum qc_where	 where;
	bool		 ok;		/* envelope parsed */
	struct envelope	 env;
	off_t		 body_off;
	struct spool_state st;
	char		*problem;	/* owned: why !ok, or state trouble */
};


/* ---- context, permissions, output ----------------------------------- */

/* qc_refuse - the caller may not read the spool: say who may, and how */
static void __attribute__((noreturn))
qc_refuse(const struct qc_ctx *x, const char *what)
{
	fatal_exit(EX_NOPERM, "%s: permission denied: the queue is private "
	    "to root and the members of the mail system's group %s.  To use "
	    "the queue tools, have an administrator add you to it "
	    "(adduser %s %s, then log in again), or run 'sudo postern %s'.  "
	    "Other users see their own messages with 'postern queue' (or "
	    "mailq) while the delivery agent runs", what,
	    POSTERN_GROUP, x->who[0] != '\0' && strcmp(x->who, "?") != 0 ?
	    x->who : "USER", POSTERN_GROUP, x->cmd);
}

/*
 * qc_open_dir - open spool_dir/sub as a directory, refusing on EACCES;
 * with optional (new/, the drop group's), EACCES gives -1 and sets
 * x->new_hidden instead: members of the agent's group cannot read it.
 */
static int
qc_open_dir(struct qc_ctx *x, const char *sub, bool optional)
{
	char	path[4096];
	int	fd;

	if (spool_path(x->c->spool_dir, sub, NULL, path, sizeof(path)) == -1)
		fatal_exit(EX_CONFIG, "spool_dir %s: path too long",
		    x->c->spool_dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if ((errno == EACCES || errno == EPERM) && optional) {
			x->new_hidden = true;
			return -1;
		}
		if (errno == EACCES || errno == EPERM)
			qc_refuse(x, path);
		fatal_errno(errno == ENOENT ? EX_CONFIG : EX_TEMPFAIL,
		    "open %s (is spool_dir in %s right, and is the spool "
		    "installed?)", path, x->c->path);
	}
	return fd;
}

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

/* qc_init - open the directories the command needs (mask of QC_IN) */
static void
qc_init(struct qc_ctx *x, const struct conf *c, const char *cmd,
    unsigned mask, bool state)
{
	const struct passwd *pw;
	int	 w;

	memset(x, 0, sizeof(*x));
	x->c = c;
	x->cmd = cmd;
	x->now = (uint64_t)time(NULL);
	x->state_fd = -1;
	x->noatime[0] = x->noatime[1] = true;
	x->uid = (unsigned long)getuid();
	pw = getpwuid(getuid());
	(void)str_copy(x->who, pw != NULL ? pw->pw_name : "?", sizeof(x->who));
	/* new/ first: it alone may be hidden; cur/ then decides */
	for (w = 0; w < QC_NWHERE; w++)
		x->dir[w] = (mask & QC_IN(w)) ? qc_open_dir(x, qc_dirs[w],
		    w == QC_NEW) : -1;
	if (state)
		x->state_fd = qc_open_dir(x, SPOOL_STATE, false);
	buf_init(&x->out, QC_OUT_MAX);
	buf_init(&x->err, QC_ERR_MAX);
	tzset();
}

/* qc_free - close and release */
static void
qc_free(struct qc_ctx *x)
{
	int	w;

	for (w = 0; w < QC_NWHERE; w++)
		if (x->dir[w] != -1)
			close(x->dir[w]);
	if (x->state_fd != -1)
		close(x->state_fd);
	buf_free(&x->out);
	buf_free(&x->err);
}

/*
 * qc_out_check - staged output that could not be built whole is never
 * printed: a listing or a show with a piece missing would read as the
 * truth.  One entry passing QC_OUT_MAX (or QC_CHUNK_OUT_MAX), or memory
 * running out, ends the command.
 */
static void
qc_out_check(const struct qc_ctx *x, const struct buf *out)
{
	int	e = buf_error(out);

	if (e != 0)
		fatal_exit(e == ENOMEM ? EX_OSERR : EX_SOFTWARE, "%s: output "
		    "not written: %s (more than %zu bytes for one entry)",
		    x->cmd, strerror(e), out->max);
}

/* qc_flush - write the staged output to stdout */
static void
qc_flush(struct qc_ctx *x)
{
	qc_out_check(x, &x->out);
	if (x->out.len > 0)
		(void)fwrite(x->out.data, 1, x->out.len, stdout);
	buf_reset(&x->out);
}

/*
 * qc_append, qc_puts, qc_putc, qc_printf - stage output in x->out.  The
 * text is built freely: a failed append is sticky in x->out, and the only
 * ways out to stdout (qc_flush, the listing's printer) call qc_out_check
 * first.
 */
static void
qc_append(struct qc_ctx *x, const void *p, size_t n)
{
	if (buf_append(&x->out, p, n) == -1)
		return;		/* sticky: qc_out_check reports it */
}

static void
qc_puts(struct qc_ctx *x, const char *s)
{
	if (buf_puts(&x->out, s) == -1)
		return;		/* sticky: qc_out_check reports it */
}

static void
qc_putc(struct qc_ctx *x, int c)
{
	if (buf_putc(&x->out, c) == -1)
		return;		/* sticky: qc_out_check reports it */
}

static void __attribute__((format(printf, 2, 3)))
qc_printf(struct qc_ctx *x, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&x->out, fmt, ap);
	va_end(ap);
	if (rc == -1)
		return;		/* sticky: qc_out_check reports it */
}

/*
 * qc_agent_listens - true when a delivery agent holds the trigger FIFO
 * open (it opens it read-write: our open for writing then succeeds,
 * else ENXIO).  Nothing is written.
 */
static bool
qc_agent_listens(const struct qc_ctx *x)
{
	int	fd = spool_trigger_open(x->c->spool_dir);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* qc_audit - one log line per change: syslog, or as postern.conf says */
static void
qc_audit(struct qc_ctx *x, const struct qid *qid, const char *what)
{
	int	t = LOG_TO_SYSLOG;

	if (x->c->log == CONF_LOG_STDERR)
		t = LOG_TO_STDERR;
	else if (x->c->log == CONF_LOG_BOTH)
		t = LOG_TO_SYSLOG | LOG_TO_STDERR;
	log_set_targets(t);
	log_info("%s: %s, by uid=%lu (%s)", qid->s, what, x->uid, x->who);
	log_set_targets(LOG_TO_STDERR);
}

/* qc_time - "Thu Nov 23 08:15:39" in local time */
static char *
qc_time(struct qc_ctx *x, uint64_t t, char *out, size_t outsize)
{
	return queuefmt_time(t, &x->clock, out, outsize);
}

/* qc_num - a number in decimal (ignoring a full buffer: cut) */
static void
qc_num(struct qc_ctx *x, uint64_t v)
{
	(void)queuefmt_u64(&x->out, v, 0);
}

/* qc_plural - "s" unless n is 1 */
static const char *
qc_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* qc_text - sanitised text into out (a failure is sticky in x->out) */
static void
qc_text(struct qc_ctx *x, const char *s)
{
	(void)queuefmt_text(&x->out, s, strlen(s), false);
}

/* ---- reading messages ----------------------------------------------- */

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
static void
qc_msg_free(struct qc_msg *m)
{
	envelope_free(&m->env);
	spool_state_free(&m->st);
	free(m->problem);
	m->problem = NULL;
}

/*
 * qc_read_envelope - the envelope of the open queue file fd: one read of
 * QC_PEEK bytes is enough for nearly every message, and is parsed as it
 * is (the parser stops at the blank line); only when it fails on a full
 * peek that holds no blank line, the envelope may be longer and the full
 * strict reader decides.  When the first read saw the whole file its
 * size is checked as the agent checks it.
 */
static int
qc_read_envelope(int fd, struct envelope *env, off_t *body_off,
    struct buf *err)
{
	char		 peek[QC_PEEK];
	ssize_t		 r;
	size_t		 consumed, mark = err->len;

	do
		r = pread(fd, peek, sizeof(peek), 0);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		buf_note(err, "read: %s", strerror(errno));
		return -1;
	}
	if (envelope_parse(peek, (size_t)r, env, &consumed, err) == -1) {
		if ((size_t)r < sizeof(peek) || memmem(peek, (size_t)r,
		    "\n\n", 2) != NULL)
			return -1;
		buf_truncate(err, mark);
		return spool_read_envelope_fd(fd, env, body_off, err);
	}
	if ((size_t)r < sizeof(peek) && (uint64_t)r != consumed + env->size) {
		buf_note(err, "file is %zd bytes but the envelope says %zu + "
		    "%llu (truncated or altered)", r, consumed,
		    (unsigned long long)env->size);
		envelope_free(env);
		return -1;
	}
	*body_off = (off_t)consumed;
	return 0;
}

/*
 * qc_read_state_quick - the listing's read of an open state file: one
 * pread, which holds the whole file nearly always.  Returns 0 with *st
 * filled, or -1 when anything is unusual (read error, a file of QC_PEEK
 * bytes or more, a parse error): *st and err are then as on entry, and
 * the caller reads again the careful way, which names the problem.
 */
static int
qc_read_state_quick(int fd, struct spool_state *st, struct buf *err)
{
	char	peek[QC_PEEK];
	ssize_t	r;
	size_t	mark = err->len;

	do
		r = pread(fd, peek, sizeof(peek), 0);
	while (r == -1 && errno == EINTR);
	if (r == -1 || (size_t)r == sizeof(peek))
		return -1;
	if (spool_state_parse(peek, (size_t)r, st, err) == -1) {
		buf_truncate(err, mark);
		spool_state_init(st);
		return -1;
	}
	return 0;
}

/*
 * qc_read_state - state/QID through the state directory fd into *st; a
 * missing file is a fresh state.  *sb (may be NULL) gets the file's
 * identity, st_ino 0 when it is missing; without sb (the listing) a
 * small well-formed state costs one openat, one pread and one close.
 * Returns 0, or -1 with the reason in err.
 */
static int
qc_read_state(struct qc_ctx *x, const struct qid *qid,
    struct spool_state *st, struct stat *sb, struct buf *err)
{
	char		 chunk[8192];
	struct buf	 b;
	struct stat	 tmp;
	ssize_t		 r;
	int		 fd, rc = -1;

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
	if (sb == NULL) {
		if (qc_read_state_quick(fd, st, err) == 0) {
			close(fd);
			return 0;
		}
		sb = &tmp;
	}
	memset(sb, 0, sizeof(*sb));
	buf_init(&b, SPOOL_STATE_MAX);
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		buf_note(err, "state/%s: not a regular file", qid->s);
		goto out;
	}
	while ((r = io_read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)r) == -1) {
			buf_note(err, "state/%s: longer than %zu bytes",
			    qid->s, (size_t)SPOOL_STATE_MAX);
			goto out;
		}
	if (r == -1) {
		buf_note(err, "read state/%s: %s", qid->s, strerror(errno));
		goto out;
	}
	if (spool_state_parse(b.data != NULL ? b.data : "", b.len, st,
	    err) == -1) {
		buf_note(err, " (in state/%s)", qid->s);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	buf_free(&b);
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
static int
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
	if (qc_read_envelope(fd, &m->env, &m->body_off, &x->err) == -1) {
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
static void
qc_sort(struct qc_list *l)
{
	queuefmt_sort(l->v, l->n);
}

/*
 * qc_collect - append the queue ids of directory w to l; prefix (may be
 * NULL) keeps only ids that start with it.  Names that are not queue ids
 * are skipped (the agent sets them aside).  Returns 0 or -1 (errno).
 */
static int
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
static void
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

/* ---- relay state (the agent's state/relays) ------------------------- */

/* qc_relays_read - parse state/relays when present and readable */
static void
qc_relays_read(struct qc_ctx *x, struct relaystate_file *rs)
{
	memset(rs, 0, sizeof(*rs));
	if (x->state_fd != -1 && relaystate_read(x->state_fd, rs) == -1 &&
	    errno != ENOENT && errno != EACCES)
		rs->bad++;
}

/*
 * qc_hold_set - when every relay of rs is down, mail can leave only when
 * one is back: remember the one whose next try comes first, whose reason
 * then holds every waiting message (rs must outlive x's use of it)
 */
static void
qc_hold_set(struct qc_ctx *x, const struct relaystate_file *rs)
{
	size_t	i;

	x->hold = NULL;
	for (i = 0; i < rs->n; i++) {
		if (!rs->r[i].down) {
			x->hold = NULL;
			return;
		}
		if (x->hold == NULL || rs->r[i].next_try < x->hold->next_try)
			x->hold = &rs->r[i];
	}
}

/*
 * qc_held - m waits for the relays, not for its own back-off: every
 * relay is down and m would be due before the first one is back
 */
static bool
qc_held(const struct qc_ctx *x, const struct qc_msg *m)
{
	return x->hold != NULL && m->ok && m->problem == NULL &&
	    m->where != QC_FAILED && m->st.next_attempt <=
	    (x->hold->next_try > x->now ? x->hold->next_try : x->now);
}

/* qc_hold_next - when a held message is tried next: the relay's next try */
static uint64_t
qc_hold_next(const struct qc_ctx *x)
{
	return x->hold->next_try > x->now ? x->hold->next_try : x->now;
}

/* qc_hold_text - "next TIME (in N); relay R down since T: REASON" */
static void
qc_hold_text(struct qc_ctx *x)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];

	qc_puts(x, "next ");
	if (x->hold->next_try > x->now) {
		qc_puts(x, qc_time(x, x->hold->next_try, when, sizeof(when)));
		qc_puts(x, " (in ");
		qc_puts(x, queuefmt_age(x->hold->next_try - x->now, age,
		    sizeof(age)));
		qc_putc(x, ')');
	} else
		qc_puts(x, "now (due)");
	qc_puts(x, "; waiting for relay ");
	qc_text(x, x->hold->name);
	qc_puts(x, ", down since ");
	qc_puts(x, qc_time(x, x->hold->down_since, when, sizeof(when)));
	qc_puts(x, ": ");
	qc_text(x, x->hold->reason);
}

/* qc_relays_text - "relay X down since ..." for every relay down */
static void
qc_relays_text(struct qc_ctx *x, const struct relaystate_file *rs)
{
	char	since[64], next[64], age[QUEUEFMT_AGE_MAX];
	size_t	i;
	bool	any = false;

	for (i = 0; i < rs->n; i++) {
		const struct relaystate *r = &rs->r[i];

		if (!r->down)
			continue;
		any = true;
		qc_puts(x, "relay ");
		qc_text(x, r->name);
		qc_printf(x, " down since %s (%s), %llu failure%s, ",
		    qc_time(x, r->down_since, since, sizeof(since)),
		    queuefmt_age(x->now > r->down_since ? x->now -
		    r->down_since : 0, age, sizeof(age)),
		    (unsigned long long)r->failures, r->failures == 1 ? "" :
		    "s");
		if (r->next_try > x->now)
			qc_printf(x, "next try %s (in %s)",
			    qc_time(x, r->next_try, next, sizeof(next)),
			    queuefmt_age(r->next_try - x->now, age,
			    sizeof(age)));
		else
			qc_puts(x, "next try now");
		qc_puts(x, ": ");
		qc_text(x, r->reason);
		qc_putc(x, '\n');
	}
	if (rs->bad > 0)
		qc_printf(x, "(%zu unreadable line%s in %s/%s/%s)\n",
		    rs->bad, rs->bad == 1 ? "" : "s", x->c->spool_dir,
		    SPOOL_STATE, QC_RELAYS_FILE);
	if (any || rs->bad > 0)
		qc_putc(x, '\n');
}

/* qc_relays_json - the "relays" array */
static void
qc_relays_json(struct qc_ctx *x, const struct relaystate_file *rs)
{
	size_t	i;

	qc_puts(x, "\"relays\":[");
	for (i = 0; i < rs->n; i++) {
		const struct relaystate *r = &rs->r[i];

		qc_puts(x, i > 0 ? ",\n{\"name\":" : "\n{\"name\":");
		queuefmt_json_str(&x->out, r->name);
		if (r->down) {
			qc_printf(x, ",\"state\":\"down\",\"down_since\":"
			    "%llu,\"next_try\":%llu,\"failures\":%llu,"
			    "\"reason\":", (unsigned long long)r->down_since,
			    (unsigned long long)r->next_try,
			    (unsigned long long)r->failures);
			queuefmt_json_str(&x->out, r->reason);
		} else
			qc_puts(x, ",\"state\":\"up\",\"down_since\":"
			    "null,\"next_try\":null,\"failures\":0,\"reason\":"
			    "null");
		qc_putc(x, '}');
	}
	qc_puts(x, "],\n");
}

/* ---- one message: text and JSON ------------------------------------- */

/* qc_status_text - the "(...)" line under the first line of an entry */
static void
qc_status_text(struct qc_ctx *x, const struct qc_msg *m)
{
	char	age[QUEUEFMT_AGE_MAX], when[QUEUEFMT_TIME_MAX];

	qc_puts(x, " (age ");
	qc_puts(x, queuefmt_age(x->now > m->env.arrival ? x->now -
	    m->env.arrival : 0, age, sizeof(age)));
	qc_puts(x, ", ");
	/* picked up into cur/ but not tried (an unreadable state says nothing) */
	if (qc_held(x, m)) {
		if (m->st.attempts == 0)
			qc_puts(x, "not tried yet");
		else {
			qc_num(x, m->st.attempts);
			qc_puts(x, " attempt");
			qc_puts(x, qc_plural(m->st.attempts));
		}
		qc_puts(x, ", ");
		qc_hold_text(x);
		if (m->st.last_error != NULL) {
			qc_puts(x, "; its last error: ");
			qc_text(x, m->st.last_error);
		}
		qc_puts(x, ")\n");
		return;
	} else if (m->where == QC_NEW || (m->where == QC_CUR &&
	    m->problem == NULL && m->st.attempts == 0 &&
	    m->st.next_attempt <= x->now))
		qc_puts(x, "new, not tried yet");
	else if (m->where == QC_FAILED) {
		qc_puts(x, "failed after ");
		qc_num(x, m->st.attempts);
		qc_puts(x, " attempt");
		qc_puts(x, qc_plural(m->st.attempts));
	} else {
		qc_num(x, m->st.attempts);
		qc_puts(x, " attempt");
		qc_puts(x, qc_plural(m->st.attempts));
		qc_puts(x, ", next ");
		if (m->st.next_attempt > x->now) {
			qc_puts(x, qc_time(x, m->st.next_attempt, when,
			    sizeof(when)));
			qc_puts(x, " (in ");
			qc_puts(x, queuefmt_age(m->st.next_attempt -
			    x->now, age, sizeof(age)));
			qc_putc(x, ')');
		} else
			qc_puts(x, "now (due)");
	}
	if (m->problem != NULL) {
		qc_puts(x, "; ");
		qc_text(x, m->problem);
	} else if (m->st.last_error != NULL) {
		qc_puts(x, ": ");
		qc_text(x, m->st.last_error);
	}
	qc_puts(x, ")\n");
}

/*
 * qc_rcpt_status - the status of recipient i, walking the state's
 * ascending list with *at (start at 0, ask for i in ascending order): a
 * linear pass over both lists, where spool_state_rcpt per recipient
 * would be quadratic (10,000 recipients).  NULL: pending.
 */
static const struct spool_rcpt_status *
qc_rcpt_status(const struct qc_msg *m, size_t i, size_t *at)
{
	while (*at < m->st.nrcpts && m->st.rcpts[*at].index < i)
		(*at)++;
	if (*at < m->st.nrcpts && m->st.rcpts[*at].index == i)
		return &m->st.rcpts[*at];
	return NULL;
}

/* qc_rcpt_text - one recipient line with its state */
static void
qc_rcpt_text(struct qc_ctx *x, const struct qc_msg *m, size_t i,
    const struct spool_rcpt_status *rs)
{
	qc_puts(x, QC_INDENT "<");
	qc_text(x, m->env.rcpts[i].addr);
	qc_putc(x, '>');
	if (rs != NULL && rs->state != SPOOL_RCPT_PENDING) {
		qc_putc(x, ' ');
		qc_puts(x, spool_rcpt_state_name(rs->state));
		if (rs->code != 0 || (rs->text != NULL && rs->text[0])) {
			qc_puts(x, ":");
			if (rs->code != 0) {
				qc_putc(x, ' ');
				qc_num(x, rs->code);
			}
			if (rs->enh[0] != '\0') {
				qc_putc(x, ' ');
				qc_puts(x, rs->enh);
			}
			if (rs->text != NULL && rs->text[0] != '\0') {
				qc_putc(x, ' ');
				qc_text(x, rs->text);
			}
		}
	} else if (qc_held(x, m))
		qc_puts(x, " pending: waiting for the relay (see above)");
	else if (m->where != QC_NEW)
		qc_puts(x, " pending");
	qc_putc(x, '\n');
}

/* qc_msg_text - one mailq entry */
static void
qc_msg_text(struct qc_ctx *x, const struct qc_msg *m)
{
	char	when[QUEUEFMT_TIME_MAX];
	size_t	i, at = 0;

	if (!m->ok) {
		qc_printf(x, "%-20s  (unreadable queue file in %s/: ",
		    m->qid.s, qc_dirs[m->where]);
		qc_text(x, m->problem != NULL ? m->problem : "?");
		qc_puts(x, ")\n\n");
		return;
	}
	/* "%-20s  %8llu %s  ": a queue id is always QID_LEN long */
	qc_append(x, m->qid.s, QID_LEN);
	qc_puts(x, "  ");
	(void)queuefmt_u64(&x->out, m->env.size, 8);
	qc_putc(x, ' ');
	qc_puts(x, qc_time(x, m->env.arrival, when, sizeof(when)));
	qc_puts(x, "  ");
	if (m->env.sender[0] == '\0')
		qc_puts(x, "<>");
	else
		qc_text(x, m->env.sender);
	qc_putc(x, '\n');
	qc_status_text(x, m);
	for (i = 0; i < m->env.nrcpts; i++)
		qc_rcpt_text(x, m, i, qc_rcpt_status(m, i, &at));
	qc_putc(x, '\n');
}

/* qc_json_time - a unix time, or null for 0 */
static void
qc_json_time(struct qc_ctx *x, const char *key, uint64_t t)
{
	qc_puts(x, ",\"");
	qc_puts(x, key);
	qc_puts(x, "\":");
	if (t == 0)
		qc_puts(x, "null");
	else
		qc_num(x, t);
}

/* qc_rcpt_json - one element of "recipients" */
static void
qc_rcpt_json(struct qc_ctx *x, const struct qc_msg *m, size_t i,
    const struct spool_rcpt_status *rs)
{
	const struct envelope_rcpt *r = &m->env.rcpts[i];
	bool		 any = false;

	qc_puts(x, "{\"address\":");
	queuefmt_json_str(&x->out, r->addr);
	qc_puts(x, ",\"state\":\"");
	qc_puts(x, spool_rcpt_state_name(rs != NULL ? rs->state :
	    SPOOL_RCPT_PENDING));
	if (rs != NULL && rs->code != 0) {
		qc_puts(x, "\",\"code\":");
		qc_num(x, rs->code);
	} else
		qc_puts(x, "\",\"code\":null");
	qc_puts(x, ",\"enhanced\":");
	queuefmt_json_str(&x->out, rs != NULL && rs->enh[0] ? rs->enh : NULL);
	qc_puts(x, ",\"reply\":");
	queuefmt_json_str(&x->out, rs != NULL && rs->text != NULL &&
	    rs->text[0] ? rs->text : NULL);
	qc_puts(x, ",\"notify\":[");
	if (r->notify & ENVELOPE_NOTIFY_NEVER)
		qc_puts(x, "\"NEVER\"");
	else {
		if (r->notify & ENVELOPE_NOTIFY_SUCCESS) {
			qc_puts(x, "\"SUCCESS\"");
			any = true;
		}
		if (r->notify & ENVELOPE_NOTIFY_FAILURE) {
			qc_puts(x, any ? ",\"FAILURE\"" : "\"FAILURE\"");
			any = true;
		}
		if (r->notify & ENVELOPE_NOTIFY_DELAY)
			qc_puts(x, any ? ",\"DELAY\"" : "\"DELAY\"");
	}
	qc_puts(x, "],\"orcpt\":");
	queuefmt_json_str(&x->out, r->orcpt);
	qc_putc(x, '}');
}

/*
 * qc_msg_json - one element of "messages" (no trailing separator); with
 * close false the object is left open for more members.
 */
static void
qc_msg_json(struct qc_ctx *x, const struct qc_msg *m, bool close_it)
{
	size_t	i, at = 0;

	qc_puts(x, "{\"id\":\"");
	qc_append(x, m->qid.s, QID_LEN);
	qc_puts(x, "\",\"queue\":\"");
	qc_puts(x, qc_dirs[m->where]);
	qc_putc(x, '"');
	if (!m->ok) {
		qc_puts(x, ",\"error\":");
		queuefmt_json_str(&x->out, m->problem != NULL ? m->problem :
		    "?");
		if (close_it)
			qc_putc(x, '}');
		return;
	}
	qc_puts(x, ",\"size\":");
	qc_num(x, m->env.size);
	qc_puts(x, ",\"arrival\":");
	qc_num(x, m->env.arrival);
	qc_puts(x, ",\"age\":");
	qc_num(x, x->now > m->env.arrival ? x->now - m->env.arrival : 0);
	qc_puts(x, ",\"uid\":");
	qc_num(x, (unsigned long)m->env.uid);
	qc_puts(x, ",\"login\":");
	queuefmt_json_str(&x->out, m->env.login);
	qc_puts(x, ",\"sender\":");
	queuefmt_json_str(&x->out, m->env.sender);
	qc_puts(x, ",\"attempts\":");
	qc_num(x, m->st.attempts);
	qc_json_time(x, "first_attempt", m->st.first_attempt);
	if (m->where == QC_FAILED)
		qc_puts(x, ",\"next_attempt\":null");
	else if (qc_held(x, m)) {
		qc_puts(x, ",\"next_attempt\":");
		qc_num(x, qc_hold_next(x));
	} else {
		qc_puts(x, ",\"next_attempt\":");
		qc_num(x, m->st.next_attempt > x->now ? m->st.next_attempt :
		    x->now);
	}
	qc_puts(x, ",\"last_error\":");
	queuefmt_json_str(&x->out, m->st.last_error);
	if (qc_held(x, m)) {
		qc_puts(x, ",\"held_by_relay\":{\"name\":");
		queuefmt_json_str(&x->out, x->hold->name);
		qc_printf(x, ",\"down_since\":%llu,\"next_try\":%llu,"
		    "\"reason\":", (unsigned long long)x->hold->down_since,
		    (unsigned long long)qc_hold_next(x));
		queuefmt_json_str(&x->out, x->hold->reason);
		qc_putc(x, '}');
	} else
		qc_puts(x, ",\"held_by_relay\":null");
	qc_puts(x, ",\"problem\":");
	queuefmt_json_str(&x->out, m->problem);
	qc_puts(x, ",\"recipients\":[");
	for (i = 0; i < m->env.nrcpts; i++) {
		if (i > 0)
			qc_putc(x, ',');
		qc_rcpt_json(x, m, i, qc_rcpt_status(m, i, &at));
	}
	qc_puts(x, close_it ? "]}" : "]");
}

/* ---- listing -------------------------------------------------------- */

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
			qc_puts(x, ",\n");
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
static int
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
		qc_printf(x, "{\"postern_queue\":%d,\"now\":%llu,"
		    "\"queue\":\"%s\",\n", QC_JSON_VERSION,
		    (unsigned long long)x->now, failed_only ? "failed" :
		    "active");
		qc_relays_json(x, &rs);
		qc_puts(x, "\"messages\":[");
	} else {
		qc_relays_text(x, &rs);
		/* --owner: l holds everyone's, so whether it is empty is not
		   the caller's to learn */
		if (l.n > 0 || x->owner_set)
			qc_puts(x, "-Queue ID-----------  --Size-- "
			    "----Arrival Time---  -Sender/Recipient-------\n");
	}
	qc_flush(x);
	qc_list_entries(x, l.v, l.n, &count, &bad, &nfailed, &bytes);
	if (x->owner_set)
		failed.n = nfailed;
	if (x->json)
		qc_printf(x, "],\n\"summary\":{\"messages\":%lu,"
		    "\"bytes\":%llu,\"unreadable\":%lu,\"failed\":%zu,"
		    "\"new_listed\":%s}}\n", count, bytes, bad, failed_only ?
		    count + bad : failed.n, x->new_hidden ? "false" : "true");
	else {
		if (count + bad == 0)
			qc_puts(x, failed_only ? "No failed messages\n" :
			    "Mail queue is empty\n");
		else
			qc_printf(x, "-- %llu Kbytes in %lu Request%s%s"
			    ".\n", (bytes + 1023) / 1024, count, count == 1 ?
			    "" : "s", failed_only ? " in failed/" : "");
		if (bad > 0)
			qc_printf(x, "-- %lu unreadable queue file%s "
			    "(see above)\n", bad, bad == 1 ? "" : "s");
		if (x->owner_set && failed.n > 0)
			qc_printf(x, "-- %zu of them given up, in failed/\n",
			    failed.n);
		else if (!failed_only && failed.n > 0)
			qc_printf(x, "-- %zu message%s in failed/ "
			    "(postern failed)\n", failed.n, failed.n == 1 ?
			    "" : "s");
		if (x->new_hidden && !x->owner_set && !qc_agent_listens(x))
			qc_puts(x, "-- the delivery agent is not "
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

/* ---- finding one message ---------------------------------------------- */

/*
 * qc_resolve - find the message an argument names: a full id or a unique
 * prefix of at least QUEUEFMT_PREFIX_MIN hex digits, looked for in new/,
 * cur/ and failed/ (whichever are open).  Returns EX_OK with *qid and *w
 * set, or an exit status after printing why.
 */
static int
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

/* ---- show ------------------------------------------------------------- */

/* qc_show_header - copy the message header (and body with --body) */
static int
qc_show_message(struct qc_ctx *x, const struct qc_msg *m, int fd)
{
	char		 chunk[QC_CHUNK];
	struct buf	 h;
	const char	*end = NULL;
	off_t		 off = m->body_off;
	ssize_t		 r;
	bool		 tty = isatty(STDOUT_FILENO) == 1;
	size_t		 hmax = QC_HEADER_MAX, k;
	int		 rc = 0;

	/* the header the front end queued fits (the rules add at most
	   a few KiB), unless max_header_size was lowered since */
	if (x->c->max_header_size > hmax - QC_HEADER_SLACK)
		hmax = x->c->max_header_size + QC_HEADER_SLACK;
	buf_init(&h, hmax);
	/* the header section: up to the first empty line */
	for (;;) {
		do
			r = pread(fd, chunk, sizeof(chunk), off);
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			break;
		/* what fits: a header longer than hmax is shown cut, and
		   says so below (h.len == hmax) */
		k = hmax - h.len < (size_t)r ? hmax - h.len : (size_t)r;
		if (buf_append(&h, chunk, k) == -1) {
			r = -1;			/* ENOMEM */
			break;
		}
		off += r;
		if (h.len > 0 && h.data[0] == '\n') {
			end = h.data;
			break;
		}
		if ((end = memmem(h.data, h.len, "\n\n", 2)) != NULL) {
			end++;
			break;
		}
		if (h.len == hmax)
			break;
	}
	if (r == -1)
		rc = -1;
	if (x->json) {
		const char	*p = h.data != NULL ? h.data : "", *nl;
		const char	*stop = end != NULL ? end : p + h.len;
		bool		 first = true;
		char		*line;

		qc_puts(x, ",\"headers\":[");
		for (; p < stop; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(stop - p))) == NULL)
				nl = stop;
			line = xstrndup(p, (size_t)(nl - p));
			qc_puts(x, first ? "" : ",");
			queuefmt_json_str(&x->out, line);
			free(line);
			first = false;
			if (nl == stop)
				break;
		}
		qc_printf(x, "],\"header_complete\":%s",
		    end != NULL || (h.len < hmax && r == 0) ? "true" :
		    "false");
	} else {
		const char	*p = h.data != NULL ? h.data : "", *nl;
		const char	*stop = end != NULL ? end : p + h.len;

		qc_puts(x, "\nHeader:\n");
		for (; p < stop; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(stop - p))) == NULL)
				nl = stop;
			(void)queuefmt_text(&x->out, p, (size_t)(nl - p), true);
			qc_putc(x, '\n');
			if (nl == stop)
				break;
		}
		if (end == NULL && h.len >= hmax)
			qc_printf(x, "\n[header longer than %zu bytes: "
			    "cut]\n", hmax);
	}
	qc_flush(x);
	if (x->body && !x->json) {
		/* the body: raw into a pipe, sanitised onto a terminal */
		off = m->body_off + (end != NULL ? (end - h.data) + 1 : 0);
		fputs("\nBody:\n", stdout);
		for (;;) {
			do
				r = pread(fd, chunk, sizeof(chunk), off);
			while (r == -1 && errno == EINTR);
			if (r <= 0)
				break;
			off += r;
			if (tty) {
				(void)queuefmt_text(&x->out, chunk, (size_t)r,
				    true);
				qc_out_check(x, &x->out);
				fwrite(x->out.data, 1, x->out.len, stdout);
				buf_reset(&x->out);
			} else
				fwrite(chunk, 1, (size_t)r, stdout);
		}
		if (r == -1)
			rc = -1;
	}
	buf_free(&h);
	return rc;
}

/* qc_show_text - the envelope and state in words */
static void
qc_show_text(struct qc_ctx *x, const struct qc_msg *m)
{
	static const char *const where_words[QC_NWHERE] = {
		"new/ (queued, not picked up by the agent yet)",
		"cur/ (tried, waiting for the next attempt)",
		"failed/ (given up, kept for inspection)",
	};
	char		 when[64], age[QUEUEFMT_AGE_MAX];
	const struct envelope *e = &m->env;
	size_t		 i;

	qc_printf(x, "Queue ID:      %s\nQueue:         %s\n",
	    m->qid.s, m->where == QC_CUR && m->problem == NULL &&
	    m->st.attempts == 0 ?
	    "cur/ (picked up by the agent, not tried yet)" :
	    where_words[m->where]);
	qc_printf(x, "Arrival:       %s (%s ago)\n", qc_time(x,
	    e->arrival, when, sizeof(when)), queuefmt_age(x->now >
	    e->arrival ? x->now - e->arrival : 0, age, sizeof(age)));
	qc_printf(x, "Submitted by:  uid %lu", (unsigned long)e->uid);
	if (e->login != NULL) {
		qc_puts(x, " (");
		qc_text(x, e->login);
		qc_putc(x, ')');
	}
	qc_printf(x, "\nSize:          %llu bytes\nSender:        <",
	    (unsigned long long)e->size);
	qc_text(x, e->sender);
	qc_puts(x, ">\n");
	if (e->body != ENVELOPE_BODY_NONE)
		qc_printf(x, "Body type:     %s\n", e->body ==
		    ENVELOPE_BODY_8BITMIME ? "8BITMIME" : "7BIT");
	if (e->flags & ENVELOPE_F_SMTPUTF8)
		qc_puts(x, "SMTPUTF8:      yes\n");
	if (e->envid != NULL) {
		qc_puts(x, "DSN envelope:  ENVID=");
		qc_text(x, e->envid);
		qc_putc(x, '\n');
	}
	if (e->ret != ENVELOPE_RET_NONE)
		qc_printf(x, "DSN return:    %s\n", e->ret ==
		    ENVELOPE_RET_HDRS ? "headers only (RET=HDRS)" :
		    "full message (RET=FULL)");
	qc_printf(x, "Attempts:      %llu", (unsigned long long)
	    m->st.attempts);
	if (m->st.first_attempt != 0)
		qc_printf(x, ", first %s", qc_time(x,
		    m->st.first_attempt, when, sizeof(when)));
	qc_putc(x, '\n');
	if (qc_held(x, m)) {
		qc_puts(x, "Next attempt:  ");
		qc_hold_text(x);
		qc_putc(x, '\n');
	} else if (m->where == QC_CUR) {
		if (m->st.next_attempt > x->now)
			qc_printf(x, "Next attempt:  %s (in %s)\n",
			    qc_time(x, m->st.next_attempt, when, sizeof(when)),
			    queuefmt_age(m->st.next_attempt - x->now, age,
			    sizeof(age)));
		else
			qc_puts(x, "Next attempt:  now (due)\n");
	} else if (m->where == QC_NEW)
		qc_puts(x, "Next attempt:  now (as soon as the agent "
		    "sees it)\n");
	if (m->st.last_error != NULL) {
		qc_puts(x, "Last error:    ");
		qc_text(x, m->st.last_error);
		qc_putc(x, '\n');
	}
	if (m->problem != NULL) {
		qc_puts(x, "Problem:       ");
		qc_text(x, m->problem);
		qc_putc(x, '\n');
	}
	qc_printf(x, "Recipients:    %zu\n", e->nrcpts);
	for (i = 0; i < e->nrcpts; i++) {
		const struct spool_rcpt_status *rs = spool_state_rcpt(&m->st,
		    i);

		qc_puts(x, "  <");
		qc_text(x, e->rcpts[i].addr);
		qc_printf(x, "> %s", spool_rcpt_state_name(rs != NULL ?
		    rs->state : SPOOL_RCPT_PENDING));
		if (rs != NULL && rs->code != 0)
			qc_printf(x, ", last reply %u%s%s", rs->code,
			    rs->enh[0] ? " " : "", rs->enh);
		if (rs != NULL && rs->text != NULL && rs->text[0] != '\0') {
			qc_puts(x, rs->code != 0 ? " " : ": ");
			qc_text(x, rs->text);
		}
		if (e->rcpts[i].notify != 0 || e->rcpts[i].orcpt != NULL) {
			qc_puts(x, "\n      DSN:");
			if (e->rcpts[i].notify & ENVELOPE_NOTIFY_NEVER)
				qc_puts(x, " NOTIFY=NEVER");
			else if (e->rcpts[i].notify != 0)
				qc_printf(x, " NOTIFY=%s%s%s",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_SUCCESS ? "SUCCESS," : "",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_FAILURE ? "FAILURE," : "",
				    e->rcpts[i].notify &
				    ENVELOPE_NOTIFY_DELAY ? "DELAY," : "");
			if (e->rcpts[i].orcpt != NULL) {
				qc_puts(x, " ORCPT=");
				qc_text(x, e->rcpts[i].orcpt);
			}
		}
		qc_putc(x, '\n');
	}
}

/* qc_show - one message: envelope, state, header (body with --body) */
static int
qc_show(struct qc_ctx *x, const char *arg)
{
	struct relaystate_file *rs;
	struct qc_msg	m;
	struct qid	qid;
	enum qc_where	w;
	char		path[4096];
	int		rc, fd;

	if ((rc = qc_resolve(x, arg, &qid, &w)) != EX_OK)
		return rc;
	if (qc_load(x, &qid, w, false, &m) == -1) {
		log_error("%s: vanished meanwhile (delivered or moved)", qid.s);
		return EX_NOINPUT;
	}
	if (!m.ok) {
		if (x->json) {
			qc_msg_json(x, &m, true);
			qc_putc(x, '\n');
		} else {
			qc_printf(x, "Queue ID:      %s\nQueue:         "
			    "%s/\nProblem:       ", qid.s, qc_dirs[w]);
			qc_text(x, m.problem);
			qc_puts(x, "\n");
		}
		qc_flush(x);
		qc_msg_free(&m);
		return EX_DATAERR;
	}
	rs = xmalloc(sizeof(*rs));
	qc_relays_read(x, rs);
	qc_hold_set(x, rs);
	if (x->json)
		qc_msg_json(x, &m, false);
	else
		qc_show_text(x, &m);
	x->hold = NULL;
	free(rs);
	(void)spool_path(x->c->spool_dir, qc_dirs[w], &qid, path,
	    sizeof(path));
	fd = openat(x->dir[w], qid.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 || qc_show_message(x, &m, fd) == -1) {
		if (x->json)
			qc_puts(x, ",\"headers\":[]");
		log_warn("read %s", path);
		rc = EX_IOERR;
	}
	if (fd != -1)
		close(fd);
	if (x->json)
		qc_puts(x, "}\n");
	qc_flush(x);
	qc_msg_free(&m);
	if (fflush(stdout) == EOF)
		rc = EX_IOERR;
	return rc;
}

/* ---- changes: delete, retry, requeue ---------------------------------- */

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
static int
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
static int
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
static int
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

/* ---- entry points ------------------------------------------------------ */

/* queuecmd_usage - the queue tools' lines of `postern help` */
void
queuecmd_usage(FILE *f)
{
	fprintf(f,
	    "  queue [--json] [--owner UID]\n"
	    "                   list queued messages with their state "
	    "(also: mailq)\n"
	    "  show [--json] [--body] ID\n"
	    "                   envelope, delivery state and header of one "
	    "message\n"
	    "  delete ID...     remove messages from the queue or failed/\n"
	    "  retry ID...|--all\n"
	    "                   make messages due now and wake the agent\n"
	    "  failed [list [--json] | show ID | requeue ID...|--all]\n"
	    "                   messages given up; requeue sends them again\n"
	    "  ID is a queue id or a unique prefix of at least %d digits.  "
	    "The queue tools\n"
	    "  need root or membership of the group %s; others see "
	    "their own messages\n  in the listing (from the running "
	    "agent) and are refused the rest (exit 77).\n",
	    QUEUEFMT_PREFIX_MIN, POSTERN_GROUP);
}

/* queuecmd_handles - ours? */
bool
queuecmd_handles(const char *cmd)
{
	return strcmp(cmd, "queue") == 0 || strcmp(cmd, "show") == 0 ||
	    strcmp(cmd, "delete") == 0 || strcmp(cmd, "retry") == 0 ||
	    strcmp(cmd, "failed") == 0;
}

/* qc_queue - the listing of new/ and cur/, noting failed/ */
static int
qc_queue(const struct conf *c, bool json, bool owner_set,
    unsigned long owner)
{
	struct qc_ctx	x;
	char		path[4096];
	int		rc, fd;

	/*
	 * No access to cur/: not an administrator.  The agent lists the
	 * caller's own messages (ownq.c); --owner is for the agent's child
	 * and grants nothing, so it is refused as before.
	 */
	if (!owner_set && spool_path(c->spool_dir, SPOOL_CUR, NULL, path,
	    sizeof(path)) == 0) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1 && (errno == EACCES || errno == EPERM))
			return ownq_list(c, json);
		if (fd != -1)
			close(fd);
	}
	qc_init(&x, c, "queue", QC_IN(QC_NEW) | QC_IN(QC_CUR) |
	    (owner_set ? QC_IN(QC_FAILED) : 0), true);
	x.json = json;
	x.owner_set = owner_set;
	x.owner = owner;
	/* failed/ is only counted: no refusal when it cannot be read */
	if (!owner_set && spool_path(c->spool_dir, SPOOL_FAILED, NULL, path,
	    sizeof(path)) == 0)
		x.dir[QC_FAILED] = open(path, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	rc = qc_list(&x, QC_IN(QC_NEW) | QC_IN(QC_CUR) |
	    (owner_set ? QC_IN(QC_FAILED) : 0));
	qc_free(&x);
	return rc;
}

/* mailq_main - the listing (mailq, sendmail -bp) */
int
mailq_main(const struct conf *c)
{
	return qc_queue(c, false, false, 0);
}

/* queuecmd_run - act, once the arguments are known */
static int
queuecmd_run(struct qc_ctx *x, const char *cmd, const char *sub, int n,
    char **ids)
{
	int	k, r, rc = EX_OK;

	if (strcmp(cmd, "show") == 0)
		return qc_show(x, ids[0]);
	if (strcmp(cmd, "delete") == 0) {
		for (k = 0; k < n; k++)
			if ((r = qc_delete(x, ids[k])) != EX_OK && rc == EX_OK)
				rc = r;
		return rc;
	}
	if (strcmp(cmd, "retry") == 0)
		return qc_retry(x, n, ids);
	/* failed */
	if (strcmp(sub, "list") == 0)
		return qc_list(x, QC_IN(QC_FAILED));
	if (strcmp(sub, "show") == 0)
		return qc_show(x, ids[0]);
	return qc_requeue(x, n, ids);
}

/* queuecmd_bad - a usage error */
static int
queuecmd_bad(const char *cmd, const char *what)
{
	log_fatal("%s: %s", cmd, what);
	queuecmd_usage(stderr);
	return EX_USAGE;
}

/* queuecmd_main - parse, load the configuration, act */
int
queuecmd_main(const char *cmd, int argc, char **argv)
{
	const char	*config = NULL, *sub = "";
	char		**ids;
	struct qc_ctx	 x;
	struct conf	 c;
	bool		 json = false, body = false, all = false;
	bool		 is_queue = strcmp(cmd, "queue") == 0;
	bool		 owner_set = false;
	uint64_t	 owner = 0;
	unsigned	 mask;
	int		 i, n = 0, rc;

	ids = xcalloc((size_t)argc + 1, sizeof(*ids));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2])
			config = argv[i] + 2;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--owner") == 0 && is_queue) {
			if (i + 1 >= argc || parse_uint(argv[i + 1], 0,
			    SPOOL_UID_MAX, &owner) == -1) {
				free(ids);
				return queuecmd_bad(cmd, "--owner needs a uid");
			}
			owner_set = true;
			i++;
		} else if (strcmp(argv[i], "--body") == 0)
			body = true;
		else if (strcmp(argv[i], "--all") == 0)
			all = true;
		else if (strcmp(argv[i], "-v") == 0)
			continue;
		else if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				ids[n++] = argv[i];
		} else if (argv[i][0] == '-' || is_queue) {
			/* mailq: sendmail-style extras are not fatal */
			if (!is_queue) {
				free(ids);
				return queuecmd_bad(cmd, "unknown option");
			}
			log_warnx("%s: unexpected argument '%s' ignored", cmd,
			    argv[i]);
		} else if (strcmp(cmd, "failed") == 0 && sub[0] == '\0' &&
		    n == 0 && (strcmp(argv[i], "list") == 0 ||
		    strcmp(argv[i], "show") == 0 ||
		    strcmp(argv[i], "requeue") == 0))
			sub = argv[i];
		else
			ids[n++] = argv[i];
	}
	if (strcmp(cmd, "failed") == 0 && sub[0] == '\0')
		sub = n > 0 ? "?" : "list";
	rc = EX_OK;
	if (strcmp(sub, "?") == 0)
		rc = queuecmd_bad(cmd, "expected list, show ID or requeue "
		    "ID...|--all");
	else if ((strcmp(cmd, "show") == 0 || strcmp(sub, "show") == 0) &&
	    n != 1)
		rc = queuecmd_bad(cmd, "show needs exactly one queue id");
	else if ((strcmp(cmd, "delete") == 0 && n == 0) ||
	    ((strcmp(cmd, "retry") == 0 || strcmp(sub, "requeue") == 0) &&
	    n == 0 && !all))
		rc = queuecmd_bad(cmd, "give one or more queue ids (or --all "
		    "for retry and requeue)");
	else if (all && strcmp(cmd, "retry") != 0 &&
	    strcmp(sub, "requeue") != 0)
		rc = queuecmd_bad(cmd, "--all applies to retry and failed "
		    "requeue only");
	else if (strcmp(sub, "list") == 0 && n > 0)
		rc = queuecmd_bad(cmd, "failed list takes no queue id");
	if (rc != EX_OK) {
		free(ids);
		return rc;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	front_load_conf(&c, config);
	if (strcmp(cmd, "failed") == 0 && strcmp(sub, "requeue") != 0)
		mask = QC_IN(QC_FAILED);
	else
		mask = QC_ANYWHERE;
	if (is_queue)
		rc = qc_queue(&c, json, owner_set, (unsigned long)owner);
	else {
		qc_init(&x, &c, cmd, mask, true);
		x.json = json;
		x.body = body;
		x.all = all;
		rc = queuecmd_run(&x, cmd, sub, n, ids);
		qc_free(&x);
	}
	if (fflush(stdout) == EOF && rc == EX_OK)
		rc = EX_IOERR;
	conf_free(&c);
	free(ids);
	return rc;
}
