/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd_ctx.c - the queue tools' context: the spool directories one
 * command opens, the refusal that names who may use the tools, staging
 * output in x->out and the only way from there to stdout (qc_flush,
 * after qc_out_check), the audit line of a change, and the small
 * formatters the other files share.
 *
 * The bottom layer of the queue tools: it calls none of the other
 * queuecmd_*.c files.  Never prints output whose build failed (a listing
 * with a piece missing would read as the truth), never changes the spool.
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "spool.h"
#include "util.h"

#define QC_OUT_MAX		(64u << 20)	/* one entry's output */

const char *const qc_dirs[QC_NWHERE] = {
	SPOOL_NEW, SPOOL_CUR, SPOOL_FAILED
};

/* qc_refuse - the caller may not read the spool: say who may, and how */
void
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

/* qc_init - open the directories the command needs (mask of QC_IN) */
void
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
void
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
void
qc_out_check(const struct qc_ctx *x, const struct buf *out)
{
	int	e = buf_error(out);

	if (e != 0)
		fatal_exit(e == ENOMEM ? EX_OSERR : EX_SOFTWARE, "%s: output "
		    "not written: %s (more than %zu bytes for one entry)",
		    x->cmd, strerror(e), out->max);
}

/* qc_flush - write the staged output to stdout */
void
qc_flush(struct qc_ctx *x)
{
	qc_out_check(x, &x->out);
	if (x->out.len > 0)
		(void)fwrite(x->out.data, 1, x->out.len, stdout);
	buf_reset(&x->out);
}

/*
 * qc_agent_listens - true when a delivery agent holds the trigger FIFO
 * open (it opens it read-write: our open for writing then succeeds,
 * else ENXIO).  Nothing is written.
 */
bool
qc_agent_listens(const struct qc_ctx *x)
{
	int	fd = spool_trigger_open(x->c->spool_dir);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* qc_audit - one log line per change: syslog, or as postern.conf says */
void
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
char *
qc_time(struct qc_ctx *x, uint64_t t, char *out, size_t outsize)
{
	return queuefmt_time(t, &x->clock, out, outsize);
}

/* qc_num - a number in decimal (ignoring a full buffer: cut) */
void
qc_num(struct qc_ctx *x, uint64_t v)
{
	(void)queuefmt_u64(&x->out, v, 0);
}

/* qc_plural - "s" unless n is 1 */
const char *
qc_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* qc_text - sanitised text into out (a failure is sticky in x->out) */
void
qc_text(struct qc_ctx *x, const char *s)
{
	(void)queuefmt_text(&x->out, s, strlen(s), false);
}
