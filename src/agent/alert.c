/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alert.c - alert_command: the environment of one alert, and its
 * detached run.  The command is the administrator's text (postern.conf,
 * root's), run by /bin/sh -c exactly as password_command is (run.c); the
 * facts, among them the relay's reason that a server sent, reach it only
 * as environment variables, never as part of what the shell parses.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "alert.h"
#include "buf.h"
#include "io.h"
#include "log.h"
#include "result.h"
#include "run.h"
#include "util.h"

#define ALERT_LINE_MAX		300	/* bytes of one output line logged */

/* alert_var - "NAME=value" with control characters made '?' */
static char *
alert_var(const char *name, const char *value)
{
	char	*s = xasprintf("%s=%s", name, value != NULL ? value : ""), *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* alert_num - "NAME=decimal" */
static char *
alert_num(const char *name, uint64_t v)
{
	return xasprintf("%s=%llu", name, (unsigned long long)v);
}

/* alert_env - see alert.h */
void
alert_env(const struct conf *c, const struct alert_facts *f,
    char *env[ALERT_ENV_N])
{
	env[0] = alert_var("POSTERN_EVENT", f->down ? "down" : "up");
	env[1] = alert_var("POSTERN_RELAY", f->relay);
	env[2] = alert_var("POSTERN_REASON", f->reason);
	env[3] = alert_num("POSTERN_TIME", f->now);
	env[4] = alert_num("POSTERN_DOWN_SINCE", f->down_since);
	env[5] = alert_num("POSTERN_DOWN_FOR", f->now > f->down_since ?
	    f->now - f->down_since : 0);
	env[6] = alert_num("POSTERN_FAILURES", f->failures);
	env[7] = alert_num("POSTERN_NEXT_TRY", f->down ? f->next_try : 0);
	env[8] = alert_var("POSTERN_HOSTNAME", c->hostname);
}

/* alert_log_output - each line the command printed, made printable */
static void
alert_log_output(const struct alert_facts *f, struct buf *out)
{
	char	*text, *line, *save = NULL, *p;

	if (out->len == 0)
		return;
	text = xstrdup(buf_cstr(out));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (p = line; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		log_info("alert_command (relay %s %s): %.*s", f->relay,
		    f->down ? "down" : "up", ALERT_LINE_MAX, line);
	}
	free(text);
}

/* alert_child - the detached process: export, run, log, exit */
static void __attribute__((noreturn))
alert_child(const struct conf *c, const struct alert_facts *f)
{
	char		*env[ALERT_ENV_N];
	struct buf	 out;
	struct why	 why;
	sigset_t	 none;
	size_t		 i;
	int		 rc;

	/* nothing of the agent's: its lock, spool, sockets, signals */
	closelog();
	(void)close_range(3, ~0U, 0);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGPIPE, SIG_DFL);
	alert_env(c, f, env);
	for (i = 0; i < ALERT_ENV_N; i++)
		if (putenv(env[i]) != 0)
			_exit(1);
	buf_init(&out, RUN_OUTPUT_MAX);
	rc = run_command_flags("alert_command", c->alert_command,
	    (int64_t)c->alert_timeout * 1000, RUN_OUTPUT_MAX, RUN_EMPTY_OK,
	    &out, &why);
	if (rc == 0) {
		alert_log_output(f, &out);
		log_info("alert_command (relay %s %s): done", f->relay,
		    f->down ? "down" : "up");
	} else
		log_warnx("%s (relay %s %s: the alert was not delivered)",
		    why.text, f->relay, f->down ? "down" : "up");
	buf_free(&out);
	_exit(rc == 0 ? 0 : 1);
}

/* alert_run - see alert.h */
int
alert_run(const struct conf *c, const struct alert_facts *f)
{
	pid_t	pid, pid2;
	int	status;

	if (c->alert_command == NULL || c->alert_command[0] == '\0')
		return 0;
	log_info("relay %s %s: running alert_command", f->relay, f->down ?
	    "down" : "up");
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("alert_command: fork (relay %s %s: no alert)",
		    f->relay, f->down ? "down" : "up");
		return -1;
	}
	if (pid == 0) {
		/* the middle process ends at once: init reaps the next */
		if ((pid2 = fork()) != 0)
			_exit(pid2 == -1 ? 1 : 0);
		alert_child(c, f);
	}
	(void)io_waitpid(pid, &status, 0);
	/* ECHILD: a reaper of the agent's got it first; it ended anyway */
	return 0;
}
