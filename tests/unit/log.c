/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - unit tests for the log module (stderr target) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

/* capture - run fn in a child with stderr to a pipe; return its output */
static char *
capture(void (*fn)(void), int *status)
{
	static char	out[8192];
	int		p[2];
	ssize_t		n, got = 0;
	pid_t		pid;

	if (pipe(p) == -1)
		return NULL;
	if ((pid = fork()) == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, status, 0);
	return out;
}

static void
do_lines(void)
{
	log_init("sendmail", LOG_TO_STDERR);
	log_info("0123456789ABCDEF0123: uid=%d from=<%s>", 0, "a@b");
	errno = ENOENT;
	log_warn("open %s", "/x");
	if (errno != ENOENT)
		log_warnx("errno changed");
	log_warnx("evil\nline\rhere");
	log_debug("hidden");
	log_set_debug(true);
	log_debug("shown");
}

static void
do_fatal(void)
{
	log_init("sendmail", LOG_TO_STDERR);
	fatal_exit(75, "queue file write error: %s", "No space left on device");
}

static void
do_long(void)
{
	char	big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("p", LOG_TO_STDERR);
	log_info("%s", big);
}

int
main(void)
{
	int	 st;
	char	*o;

	o = capture(do_lines, &st);
	ok(strstr(o, "sendmail: 0123456789ABCDEF0123: uid=0 from=<a@b>\n") !=
	    NULL, "info line format");
	ok(strstr(o, "sendmail: warning: open /x: No such file or directory\n")
	    != NULL, "warn appends strerror");
	ok(strstr(o, "errno changed") == NULL, "errno preserved");
	ok(strstr(o, "evil?line?here") != NULL,
	    "control characters cannot forge lines");
	ok(strstr(o, "hidden") == NULL && strstr(o, "debug: shown") != NULL,
	    "debug lines only when enabled");
	o = capture(do_fatal, &st);
	is_str(o, "sendmail: fatal: queue file write error: No space left on "
	    "device\n", "fatal line format");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 75, "fatal exits with code");
	o = capture(do_long, &st);
	ok(strlen(o) < 2100 && strstr(o, "...\n") != NULL,
	    "overlong lines are truncated with an ellipsis");
	return done_testing();
}
