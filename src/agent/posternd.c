/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * posternd.c - the forwarding agent's main(): the options, then the
 * steps, each in its own file (agent.h has the map): set-up and
 * privileges (agent_setup.c), the worker pool (agent_workers.c), the
 * main loop or --once (agent_loop.c), the shutdown.  `posternd --check`
 * is the diagnosis behind `postern check` (check.c) and `posternd
 * --layout DIR` root's spool set-up (agent_setup.c).
 *
 * Never runs as root: started as root it creates the FIFOs and the spool
 * directories (or gives existing ones the layout's owners and modes),
 * then becomes POSTERN_USER with the group POSTERN_GROUP for good, never
 * holding the drop group; started as anyone else it stays that user
 * (tests).  Never loses or duplicates a message on a signal (see
 * agent_loop.c).  Concurrency: with concurrency = 1 this process
 * delivers itself over one cached session; with more, it only schedules
 * and hands queue ids to up to `concurrency` worker processes.  Holds
 * nothing but main(): no logic of its own.
 */
#include "config.h"
#include "postern-paths.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"
#include "check.h"
#include "oauth.h"
#include "log.h"

/* agent_usage - the synopsis, then exit */
static void __attribute__((noreturn))
agent_usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: %s [-f] [-v] [--once] [-C config]\n"
	    "       %s --check [-C config] [--json] [--relay N] "
	    "[--rcpt ADDRESS] [--timeout S]\n"
	    "  -C, --config FILE  configuration (default %s/postern.conf)\n"
	    "  -f, --foreground   stay in the foreground, log to stderr\n"
	    "  -v, --verbose      debug logging\n"
	    "      --once         deliver what is due now, then exit\n"
	    "      --check        diagnose the relays, step by step, and "
	    "exit (postern check)\n"
	    "      --layout DIR   root: make or converge the spool DIR's "
	    "owners and modes, then exit\n"
	    "Started as root, %s drops to the user '%s' at once; started as\n"
	    "any other user it runs as that user (tests, private spools).\n",
	    AGENT_NAME, AGENT_NAME, CONFDIR, AGENT_NAME, POSTERN_USER);
	exit(code);
}

/* agent_defaults - an agent with nothing open and the default config */
static void
agent_defaults(struct agent *a)
{
	memset(a, 0, sizeof(*a));
	a->conf_path = CONFDIR "/postern.conf";
	a->sig_fd = a->ino_fd = a->fifo_fd = a->admin_fd = a->worker_fd = -1;
	a->drop_gid = a->agent_gid = (gid_t)-1;
}

/* agent_options - the daemon's options into a, or the usage and exit */
static void
agent_options(struct agent *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'C' },
		{ "once",	no_argument,	   NULL, 'o' },
		{ "foreground",	no_argument,	   NULL, 'f' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "C:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			a->conf_path = optarg;
			break;
		case 'o':
			a->once = true;
			break;
		case 'f':
			a->foreground = true;
			break;
		case 'v':
			a->verbose = true;
			log_set_debug(true);
			break;
		case 'h':
			agent_usage(0);
		default:
			agent_usage(EX_USAGE);
		}
	}
	if (optind != argc)
		agent_usage(EX_USAGE);
}

/* main - posternd: --check, --layout, or the agent (--once or not) */
int
main(int argc, char **argv)
{
	struct agent	 a;
	int		 i, lock_fd;

	agent_defaults(&a);
	log_init(AGENT_NAME, LOG_TO_STDERR);
	/* the diagnosis has its own options and keeps this uid (check.h) */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check") == 0)
			return check_main(argc, argv);
		else if (strcmp(argv[i], "--oauth-login") == 0)
			return oauth_login_main(argc, argv);
	if (argc == 3 && strcmp(argv[1], "--layout") == 0)
		return agent_layout_main(argv[2]);
	agent_options(&a, argc, argv);

	agent_configure(&a);
	agent_set_concurrency(&a);
	if ((lock_fd = agent_lock_spool(&a)) == -1)
		return 0;
	agent_start(&a);
	if (a.once)
		agent_once(&a);
	else
		agent_loop(&a);
	agent_shutdown(&a, lock_fd);
	return 0;
}
