/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - `postern check`, run as `posternd --check`: diagnose every
 * configured relay one step at a time (configuration, DNS, TCP connect
 * per address, implicit TLS or greeting, EHLO, STARTTLS, certificate,
 * AUTH, and a MAIL/RCPT/RSET relay test that sends nothing), printing
 * each step with its result, its time and a plain-words cause and fix;
 * then, with --wait-for, follow a test message the front end queued.
 *
 * This file owns the command line, the configuration and secrets steps
 * and, run as root, the drop to the agent's user before anything else
 * runs; the relay steps are check_steps.c (over check_smtp.c), the test
 * message check_wait.c, the output check_report.c (map: check_int.h).
 * Never writes to the spool, never gains privileges, never prints a
 * secret.  RFCs 5321, 3207, 4954, 8259 (JSON).
 */
#include "config.h"
#include "postern-paths.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "check_int.h"
#include "conf.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

/*
 * check_secrets_owner - who must own the secrets file: the agent's user
 * when we run as root (the agent reads it as that user), else ourselves
 */
static uid_t
check_secrets_owner(char *name, size_t size)
{
	struct passwd	*pw;

	if (geteuid() == 0 && (pw = getpwnam(POSTERN_USER)) != NULL) {
		(void)str_copy(name, pw->pw_name, size);
		return pw->pw_uid;
	}
	if ((pw = getpwuid(geteuid())) != NULL)
		(void)str_copy(name, pw->pw_name, size);
	else
		(void)snprintf(name, size, "%lu", (unsigned long)geteuid());
	return geteuid();
}

/* check_secrets - load the relay passwords, with the agent's rules */
static void
check_secrets(struct check *ck)
{
	struct buf	 err;
	struct stat	 sb;
	char		 owner_name[64], hint[CHECK_TEXT_MAX];
	const char	*path = ck->conf.secrets_file;
	uid_t		 owner;
	int64_t		 t0 = now_ms();

	/* the agent's rule (conf_secrets_needed), not a copy of it */
	if (!conf_secrets_needed(&ck->conf)) {
		ck->secrets_ok = true;
		return;
	}
	owner = check_secrets_owner(owner_name, sizeof(owner_name));
	buf_init(&err, CHECK_ERR_MAX);
	if (conf_load_secrets_as(&ck->conf, owner, &err) == 0) {
		ck->secrets_ok = true;
		check_report(ck, CK_SECRETS, CHECK_OK, check_ms(t0), NULL,
		    NULL, "%s: owned by %s, mode 600, a secret for every "
		    "relay that takes one from it", path, owner_name);
		buf_free(&err);
		return;
	}
	while (err.len > 0 && err.data[err.len - 1] == '\n')
		buf_truncate(&err, err.len - 1);
	/* the usual causes, as cause + fix; anything else as conf says */
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 077) != 0)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "chmod 600 %s (the agent "
		    "refuses a secrets file others can read)", path), hint),
		    NULL, "%s: mode %04o lets %s read the relay passwords",
		    path, (unsigned)(sb.st_mode & 07777),
		    (sb.st_mode & 007) ? "every user" : "the group");
	else if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_uid != owner)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "chown %s %s (the agent "
		    "reads it as %s)", owner_name, path, owner_name), hint),
		    NULL, "%s: not owned by %s", path, owner_name);
	else if (lstat(path, &sb) == 0 && access(path, R_OK) == -1)
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0),
		    (snprintf(hint, sizeof(hint), "run postern check as root "
		    "or as %s", owner_name), hint), NULL, "%s: %s", path,
		    strerror(errno));
	else
		check_report(ck, CK_SECRETS, CHECK_FAIL, check_ms(t0), NULL,
		    NULL, "%s", buf_cstr(&err));
	buf_free(&err);
}

/*
 * check_drop_root - run as root (postern check by an administrator):
 * become the agent's user and group for good, checked, before any
 * password_command or token_command runs and before anything goes to
 * the network, as the agent itself would be.
 */
void
check_drop_root(void)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 gid;

	if (geteuid() != 0 && getuid() != 0)
		return;
	if ((pw = getpwnam(POSTERN_USER)) == NULL || pw->pw_uid == 0)
		fatal_exit(EX_NOUSER, "user '%s' does not exist or is root: "
		    "postern check as root runs as the agent's user; create "
		    "it (useradd --system %s) or run the check as that user",
		    POSTERN_USER, POSTERN_USER);
	if ((gr = getgrnam(POSTERN_GROUP)) == NULL)
		fatal_exit(EX_NOUSER, "group '%s' does not exist: create it "
		    "(groupadd --system %s)", POSTERN_GROUP, POSTERN_GROUP);
	gid = gr->gr_gid;
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		fatal_errno(EX_OSERR, "drop privileges to %s", POSTERN_USER);
	if (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0 ||
	    getuid() == 0 || getegid() == 0 || getgid() == 0)
		fatal_exit(EX_SOFTWARE, "could regain root after dropping "
		    "privileges: refusing to run the checks");
	log_debug("checks run as %s (uid %lu), not root", POSTERN_USER,
	    (unsigned long)pw->pw_uid);
}

/* check_load - the configuration step; returns 0 when loaded */
static int
check_load(struct check *ck)
{
	struct buf	err;
	int64_t		t0 = now_ms();
	char		*line, *save = NULL, *copy;
	char		 first[CHECK_TEXT_MAX];
	struct buf	 details;

	buf_init(&err, CHECK_ERR_MAX);
	if (conf_load(&ck->conf, ck->conf_path, true, &err) == -1) {
		buf_init(&details, CHECK_ERR_MAX);
		copy = buf_steal(&err);
		first[0] = '\0';
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (first[0] == '\0')
				(void)str_copy(first, line, sizeof(first));
			else if (buf_printf(&details, "%s%s", details.len ?
			    "\n" : "", line) == -1)
				break;
		}
		free(copy);
		check_report(ck, CK_CONFIG, CHECK_FAIL, check_ms(t0),
		    "fix the lines named; postern config --check validates",
		    buf_cstr(&details), "%s", first[0] ? first :
		    "cannot load the configuration");
		buf_free(&details);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	ck->conf_loaded = true;
	auth_global_configure(&ck->conf);
	check_report(ck, CK_CONFIG, CHECK_OK, check_ms(t0), NULL, NULL,
	    "%s: %zu relay%s", ck->conf.path, ck->conf.nrelays,
	    ck->conf.nrelays == 1 ? "" : "s");
	check_secrets(ck);
	return 0;
}

/* check_usage - the synopsis, then exit */
static void __attribute__((noreturn))
check_usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: posternd --check [-C config] [--json] [--relay N] "
	    "[--rcpt ADDRESS]\n"
	    "           [--timeout SECONDS] [--wait-for QID [--wait "
	    "SECONDS]]\n"
	    "           [--sender ADDRESS] [--no-dns] [--strict]\n"
	    "(run it as `postern check`; --send-test ADDRESS is the front "
	    "end's)\n");
	exit(code);
}

/* check_args - the command line into ck (exits on a usage error) */
static void
check_args(struct check *ck, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check",	  no_argument,	     NULL, 'k' },
		{ "config",	  required_argument, NULL, 'C' },
		{ "json",	  no_argument,	     NULL, 'j' },
		{ "relay",	  required_argument, NULL, 'r' },
		{ "rcpt",	  required_argument, NULL, 'R' },
		{ "timeout",	  required_argument, NULL, 't' },
		{ "wait-for",	  required_argument, NULL, 'q' },
		{ "wait",	  required_argument, NULL, 'w' },
		{ "send-test",	  required_argument, NULL, 's' },
		{ "submit-error", required_argument, NULL, 'e' },
		{ "sender",	  required_argument, NULL, 'S' },
		{ "no-dns",	  no_argument,	     NULL, 'N' },
		{ "strict",	  no_argument,	     NULL, 'X' },
		{ "verbose",	  no_argument,	     NULL, 'v' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 }
	};
	uint64_t	 v;
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			break;
		case 'C':
			ck->conf_path = optarg;
			break;
		case 'j':
			ck->json = true;
			break;
		case 'r':
			if (parse_uint(optarg, 1, CONF_RELAYS_MAX, &v) == -1)
				fatal_exit(EX_USAGE, "--relay %s: give a relay "
				    "number from 1 to %d", optarg,
				    CONF_RELAYS_MAX);
			ck->relay_only = (size_t)v;
			break;
		case 'R':
			ck->rcpt = optarg;
			break;
		case 't':
			if (parse_duration(optarg, &v) == -1 || v == 0 ||
			    v > CHECK_CAP_MAX)
				fatal_exit(EX_USAGE, "--timeout %s: give 1 to "
				    "%d seconds (or 30s, 2m)", optarg,
				    CHECK_CAP_MAX);
			ck->cap = v;
			break;
		case 'q':
			ck->wait_qid = optarg;
			break;
		case 'w':
			if (parse_duration(optarg, &v) == -1 ||
			    v > CHECK_WAIT_MAX)
				fatal_exit(EX_USAGE, "--wait %s: give 0 to %d "
				    "seconds (or 30s, 2m)", optarg,
				    CHECK_WAIT_MAX);
			ck->wait_secs = v;
			break;
		case 's':
			ck->send_rcpt = optarg;
			break;
		case 'e':
			ck->submit_error = optarg;
			break;
		case 'S':
			if (ck->nsenders == CHECK_SENDERS_MAX)
				fatal_exit(EX_USAGE, "--sender: at most %d",
				    CHECK_SENDERS_MAX);
			ck->senders[ck->nsenders++] = optarg;
			break;
		case 'N':
			ck->no_dns = true;
			break;
		case 'X':
			ck->strict = true;
			break;
		case 'v':
			log_set_debug(true);
			break;
		case 'h':
			check_usage(0);
		default:
			check_usage(EX_USAGE);
		}
	}
	if (optind != argc)
		check_usage(EX_USAGE);
	if (ck->send_rcpt != NULL && ck->wait_qid == NULL &&
	    ck->submit_error == NULL)
		fatal_exit(EX_USAGE, "--send-test: run `postern check "
		    "--send-test ADDRESS`, which queues the message first");
}

/* check_main - posternd --check */
int
check_main(int argc, char **argv)
{
	struct check	 ck;
	size_t		 i;
	int		 rc;

	memset(&ck, 0, sizeof(ck));
	ck.conf_path = CONFDIR "/postern.conf";
	ck.cap = CHECK_CAP_DEFAULT;
	ck.wait_secs = CHECK_WAIT_DEFAULT;
	check_args(&ck, argc, argv);
	buf_init(&ck.steps, CHECK_JSON_MAX);
	if (check_load(&ck) == -1) {
		(void)check_summary(&ck);
		buf_free(&ck.steps);
		return EX_CONFIG;
	}
	if (ck.relay_only > ck.conf.nrelays) {
		log_error("--relay %zu: %s has %zu relay%s", ck.relay_only,
		    ck.conf_path, ck.conf.nrelays,
		    ck.conf.nrelays == 1 ? "" : "s");
		conf_free(&ck.conf);
		buf_free(&ck.steps);
		return EX_USAGE;
	}
	/* as root: the secrets were read with the agent's rules; now be it */
	check_drop_root();
	oauth_configure(&ck.conf, geteuid());	/* the agent's files */
	for (i = 0; i < ck.conf.nrelays; i++)
		if (ck.relay_only == 0 || ck.relay_only == i + 1)
			check_one_relay(&ck, i);
	check_domains(&ck);
	if (ck.wait_qid != NULL || ck.submit_error != NULL)
		check_wait(&ck);
	rc = check_summary(&ck);
	conf_free(&ck.conf);
	buf_free(&ck.steps);
	auth_global_done();
	return rc;
}
