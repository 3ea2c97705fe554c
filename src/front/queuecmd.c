/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd.c - the entry points of the queue tools: `postern queue`
 * (mailq, sendmail -bp), `show`, `delete`, `retry` and `failed` (list,
 * show, requeue): their options, usage text and dispatch.  The work is
 * in queuecmd_*.c (queuecmd_priv.h says which file does what).
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
 * A caller without access to cur/ gets its own messages from the agent
 * (ownq.c).
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "front.h"
#include "log.h"
#include "ownq.h"
#include "queuecmd_priv.h"
#include "queuefmt.h"
#include "spool.h"
#include "util.h"

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
		if (front_config_arg(argc, argv, &i, &config))
			continue;
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
