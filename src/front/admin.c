/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - the admin subcommands of `postern`, and mailq/newaliases.
 *
 * Owns the flush trigger and the configuration dump; the queue tools
 * (queue, show, delete, retry, failed; mailq) live in queuecmd.c.
 * Runs as the invoking user: it reads the spool only as far as the file
 * system lets that user (root and the postern group; others get a clear
 * refusal), and never changes a queue file.  Commands that need TLS or
 * SASL (check) exec posternd --check, so this program never links them;
 * check --send-test queues its message here first (submission.c).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "aliases.h"
#include "conf.h"
#include "confpath.h"
#include "front.h"
#include "input.h"
#include "log.h"
#include "qid.h"
#include "queuecmd.h"
#include "statuscmd.h"
#include "rcpt.h"
#include "relaystate.h"
#include "spool.h"
#include "submission.h"
#include "util.h"

#define ADMIN_ERR_MAX	8192
#define ADMIN_WAIT_MS	200	/* flush --wait: poll interval */
#define ADMIN_CHECK_ARGS_MAX	32	/* posternd --check argv */

/* admin_usage - subcommands */
void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: postern COMMAND [-C config] [args]\n"
	    "  queue            list queued messages (also: mailq, "
	    "sendmail -bp)\n"
	    "  flush [--wait]   ask the agent to deliver now (also: "
	    "sendmail -q);\n"
	    "                   --wait: show progress until nothing is "
	    "due\n"
	    "  config [--check] print the effective configuration and "
	    "validate it\n"
	    "  check [--json] [--relay N] [--rcpt ADDRESS] [--timeout S]\n"
	    "        [--send-test ADDRESS [--wait S]]\n"
	    "                   diagnose the relays step by step (runs "
	    "posternd --check)\n"
	    "  newaliases       validate the aliases file (also: sendmail "
	    "-bi)\n"
	    "  sendmail ARGS    the sendmail command line\n"
	    "  version          print the version\n");
	queuecmd_usage(f);
	statuscmd_usage(f);
}

/* newaliases_main - validate the aliases file */
int
newaliases_main(const struct conf *c, const char *path)
{
	struct buf	report;
	int		errors;
	const char	*p = path ? path : c->aliases;

	if (p == NULL || p[0] == '\0') {
		printf("aliases are disabled (aliases = \"\" in %s)\n",
		    c->path);
		return EX_OK;
	}
	buf_init(&report, 1 << 20);
	errors = aliases_check(p, &report);
	fputs(buf_cstr(&report), stdout);
	if (report.len > 0 && report.data[report.len - 1] != '\n')
		putchar('\n');
	buf_free(&report);
	return errors == 0 ? EX_OK : EX_DATAERR;
}

static int	flush_state_dir(const struct conf *);

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

/* ts_before - a < b */
static bool
ts_before(const struct timespec *a, const struct timespec *b)
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
	buf_init(&err, ADMIN_ERR_MAX);
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
			    ts_before(&sb.st_mtim, since)) {
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
	    !ts_before(&sb.st_mtim, since) && relaystate_read(dfd, f) == 0 &&
	    f->n > 0) {
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
static int
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
		(void)poll(NULL, 0, ADMIN_WAIT_MS);
	}
	if (deferred == 0) {
		printf("%squeue empty\n", tty ? "\n" : "");
		return EX_OK;
	}
	printf("%s%lu message%s deferred: see postern queue\n", tty ? "\n" :
	    "", deferred, deferred == 1 ? "" : "s");
	return EX_TEMPFAIL;
}

/* admin_config - print the effective configuration */
static int
admin_config(const struct conf *c, bool check_only)
{
	struct buf	out;

	if (check_only) {
		printf("%s: configuration OK\n", c->path);
		return EX_OK;
	}
	buf_init(&out, 1 << 20);
	if (conf_dump(c, &out) == -1) {
		buf_free(&out);
		fatal_exit(EX_SOFTWARE, "configuration dump too large");
	}
	fputs(buf_cstr(&out), stdout);
	printf("# %s: configuration OK\n", c->path);
	buf_free(&out);
	return EX_OK;
}

/*
 * admin_send_test - queue the test message of `postern check --send-test`
 * through the normal submission path; EX_OK with *qid, else a sysexits
 * code with the reason in err.
 */
static int
admin_send_test(const struct conf *c, const char *config, const char *to,
    struct qid *qid, struct buf *err)
{
	struct rcpt_resolver	 res;
	struct submitter	 who;
	struct submission	 s;
	struct input		*in;
	const char		*p;
	FILE			*f;
	bool			 printable = true;
	int			 rc;

	if (rcpt_resolver_init(&res, c, NULL, err) == -1)
		return EX_CONFIG;
	submitter_init(&who);
	submission_init(&s, c, &res, &who);
	s.config_path = config;
	rc = submission_add_rcpt_arg(&s, to, err);
	if (rc != EX_OK)
		goto out;
	if ((f = tmpfile()) == NULL) {
		buf_note(err, "temporary file for the test message: %s",
		    strerror(errno));
		rc = EX_TEMPFAIL;
		goto out;
	}
	for (p = to; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			printable = false;
	if (printable)
		fprintf(f, "To: %s\n", to);
	fprintf(f, "Subject: postern check: test message from %s\n\n"
	    "This test message was sent by `postern check --send-test` on "
	    "%s.\nIf you can read it, mail from this machine reaches you.\n",
	    c->hostname, c->hostname);
	if (fflush(f) == EOF || fseek(f, 0, SEEK_SET) == -1) {
		buf_note(err, "temporary file for the test message: %s",
		    strerror(errno));
		fclose(f);
		rc = EX_TEMPFAIL;
		goto out;
	}
	in = xmalloc(sizeof(*in));
	input_init(in, fileno(f), INPUT_DOTS_NONE);
	rc = submission_run(&s, in, qid, err);
	free(in);
	fclose(f);
out:
	submission_free(&s);
	submitter_free(&who);
	rcpt_resolver_free(&res);
	return rc;
}

/*
 * admin_check - `postern check`: this program links neither GnuTLS nor
 * SASL, so the diagnosis runs in the agent (posternd --check, see
 * doc/check.md).  With --send-test the message is queued here first,
 * through the normal submission path, and the agent follows its fate.
 */
static int
admin_check(int argc, char **argv)
{
	const char	*args[ADMIN_CHECK_ARGS_MAX];
	const char	*config = NULL, *send_to = NULL, *agent;
	char		*checked = NULL;
	struct conf	 c;
	struct buf	 err;
	struct qid	 qid;
	size_t		 n = 0;
	bool		 loaded;
	int		 i, rc;

	args[n++] = "posternd";
	args[n++] = "--check";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "-C") == 0 || strcmp(a, "--config") == 0) &&
		    i + 1 < argc)
			config = argv[++i];
		else if (strncmp(a, "-C", 2) == 0 && a[2] != '\0')
			config = a + 2;
		else if (strcmp(a, "--send-test") == 0 && i + 1 < argc)
			send_to = argv[++i];
		else if (strcmp(a, "--json") == 0 || strcmp(a, "-v") == 0)
			args[n++] = a;
		else if ((strcmp(a, "--relay") == 0 ||
		    strcmp(a, "--rcpt") == 0 || strcmp(a, "--timeout") == 0 ||
		    strcmp(a, "--wait") == 0) && i + 1 < argc) {
			args[n++] = a;
			args[n++] = argv[++i];
		} else {
			log_error("check: unexpected argument '%s'", a);
			admin_usage(stderr);
			return EX_USAGE;
		}
		if (n + 8 >= ADMIN_CHECK_ARGS_MAX) {
			log_error("check: too many arguments");
			return EX_USAGE;
		}
	}
	/* a broken configuration is the agent's first step to report */
	buf_init(&err, ADMIN_ERR_MAX);
	/* -C from anyone but root: never run an agent_program it names */
	if (config != NULL) {
		if (confpath_check(config, CONFDIR "/postern.conf", &checked,
		    &err) == -1) {
			log_error("%s", buf_cstr(&err));
			buf_free(&err);
			return EX_USAGE;
		}
		config = checked;
		args[n++] = "-C";
		args[n++] = config;
	}
	loaded = conf_load(&c, config != NULL ? config : CONFDIR
	    "/postern.conf", false, &err) == 0;
	agent = loaded ? c.agent_program : SBINDIR "/posternd";
	if (send_to != NULL && loaded) {
		buf_reset(&err);
		rc = admin_send_test(&c, config, send_to, &qid, &err);
		args[n++] = "--send-test";
		args[n++] = send_to;
		if (rc == EX_OK) {
			args[n++] = "--wait-for";
			args[n++] = qid.s;
		} else {
			while (err.len > 0 && err.data[err.len - 1] == '\n')
				buf_truncate(&err, err.len - 1);
			args[n++] = "--submit-error";
			args[n++] = buf_cstr(&err);
		}
	}
	args[n] = NULL;
	fflush(NULL);
	execv(agent, (char *const *)args);
	rc = errno;
	if (!loaded) {
		while (err.len > 0 && err.data[err.len - 1] == '\n')
			buf_truncate(&err, err.len - 1);
		log_error("%s", buf_cstr(&err));
	}
	log_error("cannot run %s: %s: postern check needs the agent "
	    "(agent_program in [postern])", agent, strerror(rc));
	if (loaded)
		conf_free(&c);
	buf_free(&err);
	free(checked);
	return EX_UNAVAILABLE;
}

/* admin_main - dispatch a subcommand */
int
admin_main(const char *cmd, int argc, char **argv)
{
	const char	*config = NULL;
	bool		 check_only = false, wait = false;
	struct conf	 c;
	int		 i, rc;

	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		admin_usage(stdout);
		return EX_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("postern %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	if (queuecmd_handles(cmd))
		return queuecmd_main(cmd, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return admin_check(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return statuscmd_main(argc, argv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2])
			config = argv[i] + 2;
		else if (strcmp(argv[i], "--check") == 0)
			check_only = true;
		else if (strcmp(argv[i], "--wait") == 0)
			wait = true;
		else if (strcmp(argv[i], "-v") == 0)
			continue;
		else {
			log_warnx("%s: unexpected argument '%s' ignored", cmd,
			    argv[i]);
		}
	}
	if (strcmp(cmd, "flush") != 0 &&
	    strcmp(cmd, "config") != 0 && strcmp(cmd, "newaliases") != 0) {
		log_fatal("unknown command '%s'", cmd);
		admin_usage(stderr);
		return EX_USAGE;
	}
	front_load_conf(&c, config);
	if (strcmp(cmd, "flush") == 0)
		rc = wait ? flush_wait_main(&c) : flush_main(&c);
	else if (strcmp(cmd, "config") == 0)
		rc = admin_config(&c, check_only);
	else
		rc = newaliases_main(&c, NULL);
	conf_free(&c);
	return rc;
}
