/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - the `postern` subcommand dispatch, its usage text, the
 * configuration dump (config; config --presets is presetcmd.c's),
 * `postern check` and `postern oauth login`.
 *
 * Owns only the dispatch and those two: flush lives in flush.c,
 * newaliases in newaliases.c, the queue tools (queue, show, delete,
 * retry, failed; mailq) in queuecmd.c, status in statuscmd.c.  It calls
 * them and front.c, and none of them calls back.  Runs as the invoking
 * user and never changes a queue file.  Commands that need TLS or SASL
 * (check, oauth login) exec posternd, so this program never links them;
 * check --send-test queues its message here first (submission.c).
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "confpath.h"
#include "front.h"
#include "input.h"
#include "log.h"
#include "oauthreq.h"
#include "qid.h"
#include "rcpt.h"
#include "submission.h"
#include "util.h"

#define ADMIN_ERR_MAX	8192
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
	    "  config --presets list the relay presets with their ports "
	    "and rules\n"
	    "  check [--json] [--relay N] [--rcpt ADDRESS] [--timeout S]\n"
	    "        [--send-test ADDRESS [--wait S]]\n"
	    "        [--sender ADDRESS] [--no-dns] [--strict]\n"
	    "                   diagnose the relays step by step (runs "
	    "posternd --check)\n"
	    "  oauth login RELAY\n"
	    "                   get and store an OAuth2 refresh token for "
	    "RELAY\n"
	    "                   (its number or host; root runs posternd, "
	    "the group\n"
	    "                   " POSTERN_GROUP " asks the running agent)\n"
	    "  newaliases       validate the aliases file (also: sendmail "
	    "-bi)\n"
	    "  sendmail ARGS    the sendmail command line\n"
	    "  version          print the version\n");
	queuecmd_usage(f);
	statuscmd_usage(f);
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
 * admin_agent_config - "-C FILE" onto the agent's command line args[*n]
 * when a configuration was given, checked for the real uid first
 * (confpath.c: -C from anyone but root never runs an agent_program it
 * names); *checked is the path to use (NULL: none given; the caller
 * frees it).  -1, logged, when the path is refused.
 */
static int
admin_agent_config(const char *config, char **checked, const char **args,
    size_t *n)
{
	struct buf	err;
	int		rc = 0;

	*checked = NULL;
	if (config == NULL)
		return 0;
	buf_init(&err, ADMIN_ERR_MAX);
	if (confpath_check(config, CONFDIR "/postern.conf", checked,
	    &err) == -1) {
		log_error("%s", buf_cstr(&err));
		rc = -1;
	} else {
		args[(*n)++] = "-C";
		args[(*n)++] = *checked;
	}
	buf_free(&err);
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

		if (strcmp(a, "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (front_config_arg(argc, argv, &i, &config))
			continue;
		else if (strcmp(a, "--send-test") == 0 && i + 1 < argc)
			send_to = argv[++i];
		else if (strcmp(a, "--json") == 0 || strcmp(a, "-v") == 0 ||
		    strcmp(a, "--no-dns") == 0 || strcmp(a, "--strict") == 0)
			args[n++] = a;
		else if ((strcmp(a, "--relay") == 0 ||
		    strcmp(a, "--rcpt") == 0 || strcmp(a, "--timeout") == 0 ||
		    strcmp(a, "--wait") == 0 || strcmp(a, "--sender") == 0) &&
		    i + 1 < argc) {
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
	if (admin_agent_config(config, &checked, args, &n) == -1)
		return EX_USAGE;
	if (checked != NULL)
		config = checked;
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
	free(checked);
	return EX_UNAVAILABLE;
}

/*
 * admin_oauth - `postern oauth login RELAY`: the HTTPS and JSON work
 * happens in the agent's program, as the agent's user; this program
 * links neither.  Root execs posternd --oauth-login; anyone else asks
 * the running agent (oauthreq.c), which serves only its group.
 */
static int
admin_oauth(int argc, char **argv)
{
	const char	*args[8], *config = NULL, *relay = NULL, *agent;
	char		*checked = NULL;
	struct conf	 c;
	struct buf	 err;
	size_t		 n = 0;
	int		 i, rc;

	for (i = 2; i < argc; i++)
		if (front_config_arg(argc, argv, &i, &config))
			continue;
		else if (relay == NULL && argv[i][0] != '-')
			relay = argv[i];
		else
			break;
	if (argc < 2 || strcmp(argv[1], "login") != 0 || relay == NULL ||
	    i < argc) {
		log_error("usage: postern oauth login RELAY [-C config] "
		    "(RELAY: its number in postern.conf, or its host)");
		return EX_USAGE;
	}
	args[n++] = "posternd";
	args[n++] = "--oauth-login";
	args[n++] = relay;
	if (admin_agent_config(config, &checked, args, &n) == -1)
		return EX_USAGE;
	args[n] = NULL;
	buf_init(&err, ADMIN_ERR_MAX);
	if (conf_load(&c, checked != NULL ? checked : CONFDIR
	    "/postern.conf", false, &err) == -1) {
		log_error("%s", buf_cstr(&err));
		buf_free(&err);
		free(checked);
		return EX_CONFIG;
	}
	if (geteuid() != 0 && getuid() != 0) {
		/* the secret and the token file are the agent's: it works */
		rc = oauthreq_login(&c, relay);
		conf_free(&c);
		buf_free(&err);
		free(checked);
		return rc;
	}
	agent = c.agent_program;
	fflush(NULL);
	execv(agent, (char *const *)args);
	rc = errno;
	log_error("cannot run %s: %s: postern oauth login needs the agent "
	    "(agent_program in [postern])", agent, strerror(rc));
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
	bool		 check_only = false, wait = false, presets = false;
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
	if (strcmp(cmd, "oauth") == 0)
		return admin_oauth(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return statuscmd_main(argc, argv);
	for (i = 1; i < argc; i++) {
		if (front_config_arg(argc, argv, &i, &config))
			continue;
		else if (strcmp(argv[i], "--check") == 0)
			check_only = true;
		else if (strcmp(argv[i], "--wait") == 0)
			wait = true;
		else if (strcmp(argv[i], "--presets") == 0)
			presets = true;
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
	/* the table needs no configuration: list it even without one */
	if (presets && strcmp(cmd, "config") == 0)
		return presetcmd_main(stdout);
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
