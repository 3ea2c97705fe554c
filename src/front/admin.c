/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - the admin subcommands of `postern`, and mailq/newaliases.
 *
 * Owns the queue listing, the flush trigger and the configuration dump.
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
#include "front.h"
#include "input.h"
#include "log.h"
#include "qid.h"
#include "rcpt.h"
#include "spool.h"
#include "submission.h"
#include "util.h"

#define ADMIN_ERR_MAX	8192
#define ADMIN_QUEUE_MAX	1000000	/* entries listed at most */
#define ADMIN_CHECK_ARGS_MAX	32	/* posternd --check argv */

/* admin_usage - subcommands */
void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: postern COMMAND [-C config] [args]\n"
	    "  queue            list queued messages (also: mailq, "
	    "sendmail -bp)\n"
	    "  flush            ask the agent to deliver now (also: "
	    "sendmail -q)\n"
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
}

/* admin_list_dir - print the messages of one spool subdirectory */
static int
admin_list_dir(const struct conf *c, const char *sub, const char *label,
    unsigned long *count, unsigned long long *bytes)
{
	char		 path[4096], file[4096];
	DIR		*d;
	struct dirent	*de;
	struct buf	 err;
	int		 rc = 0;

	if (spool_path(c->spool_dir, sub, NULL, path, sizeof(path)) == -1)
		return -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	buf_init(&err, ADMIN_ERR_MAX);
	while ((de = readdir(d)) != NULL && *count < ADMIN_QUEUE_MAX) {
		struct envelope		env;
		struct spool_state	st;
		struct qid		qid;
		off_t			body;
		char			when[64];
		time_t			t;
		int			fd;
		size_t			i;

		if (qid_parse(&qid, de->d_name) == -1)
			continue;
		if (spool_path(c->spool_dir, sub, &qid, file, sizeof(file)) ==
		    -1)
			continue;
		if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
		    -1)
			continue;	/* delivered meanwhile */
		buf_reset(&err);
		if (spool_read_envelope_fd(fd, &env, &body, &err) == -1) {
			printf("%-20s  (unreadable queue file: %s)\n",
			    qid.s, buf_cstr(&err));
			close(fd);
			continue;
		}
		close(fd);
		spool_state_init(&st);
		buf_reset(&err);
		(void)spool_state_read(c->spool_dir, &qid, &st, &err);
		t = (time_t)env.arrival;
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S",
		    localtime(&t));
		printf("%-20s %8llu %s  %s%s\n", qid.s,
		    (unsigned long long)env.size, when,
		    env.sender[0] ? env.sender : "<>", label);
		for (i = 0; i < env.nrcpts; i++) {
			const struct spool_rcpt_status *rs =
			    spool_state_rcpt(&st, i);

			if (rs != NULL && rs->state != SPOOL_RCPT_PENDING)
				printf("%48s<%s> %s%s%s\n", "",
				    env.rcpts[i].addr,
				    spool_rcpt_state_name(rs->state),
				    rs->text && rs->text[0] ? ": " : "",
				    rs->text ? rs->text : "");
			else
				printf("%48s<%s>\n", "", env.rcpts[i].addr);
		}
		if (st.next_attempt != 0) {
			t = (time_t)st.next_attempt;
			strftime(when, sizeof(when), "%a %b %e %H:%M:%S",
			    localtime(&t));
			printf("%48s(attempts %llu, next %s%s%s)\n", "",
			    (unsigned long long)st.attempts, when,
			    st.last_error ? ": " : "",
			    st.last_error ? st.last_error : "");
		}
		(*count)++;
		*bytes += env.size;
		spool_state_free(&st);
		envelope_free(&env);
	}
	closedir(d);
	buf_free(&err);
	return rc;
}

/* mailq_main - list new/ and cur/ */
int
mailq_main(const struct conf *c)
{
	unsigned long		count = 0;
	unsigned long long	bytes = 0;

	if (admin_list_dir(c, SPOOL_NEW, "", &count, &bytes) == -1 ||
	    admin_list_dir(c, SPOOL_CUR, "", &count, &bytes) == -1) {
		if (errno == EACCES || errno == EPERM)
			fatal_exit(EX_NOPERM, "list the queue in %s: permission "
			    "denied: only root and members of group %s may "
			    "list the queue", c->spool_dir, POSTERN_GROUP);
		fatal_errno(EX_TEMPFAIL, "list the queue in %s", c->spool_dir);
	}
	if (count == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %llu Kbytes in %lu Request%s.\n",
		    (bytes + 1023) / 1024, count, count == 1 ? "" : "s");
	return EX_OK;
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

/* flush_main - poke the agent through its FIFO */
int
flush_main(const struct conf *c)
{
	char	path[4096];
	int	fd;

	if (spool_path(c->spool_dir, SPOOL_TRIGGER, NULL, path, sizeof(path))
	    == -1)
		fatal_exit(EX_CONFIG, "spool_dir too long");
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENXIO || errno == ENOENT) {
			log_warnx("the delivery agent is not running: start "
			    "it (systemctl start postern) or run posternd "
			    "--once");
			return EX_UNAVAILABLE;
		}
		fatal_errno(EX_TEMPFAIL, "open %s", path);
	}
	if (write(fd, "f", 1) != 1 && errno != EAGAIN) {
		close(fd);
		fatal_errno(EX_TEMPFAIL, "write %s", path);
	}
	close(fd);
	return EX_OK;
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
		buf_printf(err, "temporary file for the test message: %s",
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
		buf_printf(err, "temporary file for the test message: %s",
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
	if (config != NULL) {
		args[n++] = "-C";
		args[n++] = config;
	}
	/* a broken configuration is the agent's first step to report */
	buf_init(&err, ADMIN_ERR_MAX);
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
	return EX_UNAVAILABLE;
}

/* admin_main - dispatch a subcommand */
int
admin_main(const char *cmd, int argc, char **argv)
{
	const char	*config = NULL;
	bool		 check_only = false;
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
	if (strcmp(cmd, "check") == 0)
		return admin_check(argc, argv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2])
			config = argv[i] + 2;
		else if (strcmp(argv[i], "--check") == 0)
			check_only = true;
		else if (strcmp(argv[i], "-v") == 0)
			continue;
		else {
			log_warnx("%s: unexpected argument '%s' ignored", cmd,
			    argv[i]);
		}
	}
	if (strcmp(cmd, "queue") != 0 && strcmp(cmd, "flush") != 0 &&
	    strcmp(cmd, "config") != 0 && strcmp(cmd, "newaliases") != 0) {
		log_fatal("unknown command '%s'", cmd);
		admin_usage(stderr);
		return EX_USAGE;
	}
	front_load_conf(&c, config);
	if (strcmp(cmd, "queue") == 0)
		rc = mailq_main(&c);
	else if (strcmp(cmd, "flush") == 0)
		rc = flush_main(&c);
	else if (strcmp(cmd, "config") == 0)
		rc = admin_config(&c, check_only);
	else
		rc = newaliases_main(&c, NULL);
	conf_free(&c);
	return rc;
}
