/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - the admin subcommands of `postern`, and mailq/newaliases.
 *
 * Owns the flush trigger and the configuration dump; the queue tools
 * (queue, show, delete, retry, failed; mailq) live in queuecmd.c.
 * Runs as the invoking user: it reads the spool only as far as the file
 * system lets that user (root and the postern group; others get a clear
 * refusal), and never changes a queue file.  Commands that need TLS or
 * SASL (check) run posternd, so this program never links them.
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
#include "log.h"
#include "qid.h"
#include "queuecmd.h"
#include "spool.h"
#include "util.h"

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
	    "  newaliases       validate the aliases file (also: sendmail "
	    "-bi)\n"
	    "  sendmail ARGS    the sendmail command line\n"
	    "  version          print the version\n");
	queuecmd_usage(f);
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
	if (queuecmd_handles(cmd))
		return queuecmd_main(cmd, argc, argv);
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
	if (strcmp(cmd, "flush") != 0 &&
	    strcmp(cmd, "config") != 0 && strcmp(cmd, "newaliases") != 0) {
		log_fatal("unknown command '%s'", cmd);
		admin_usage(stderr);
		return EX_USAGE;
	}
	front_load_conf(&c, config);
	if (strcmp(cmd, "flush") == 0)
		rc = flush_main(&c);
	else if (strcmp(cmd, "config") == 0)
		rc = admin_config(&c, check_only);
	else
		rc = newaliases_main(&c, NULL);
	conf_free(&c);
	return rc;
}
