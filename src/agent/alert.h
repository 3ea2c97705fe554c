/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alert.h - [monitoring] alert_command: the administrator's command, run
 * when a relay goes down and when it is back (once per change of state),
 * the facts in POSTERN_* environment variables.  Owns the environment
 * and the detached run; never decides when (agent_send.c does), and never
 * puts a fact on a command line: the reason is the network's text.
 */
#ifndef POSTERN_ALERT_H
#define POSTERN_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

/* one change of state of a relay */
struct alert_facts {
	const char	*relay;		/* "host:port" */
	bool		 down;		/* true: went down; false: back up */
	uint64_t	 now;		/* unix time of the change */
	uint64_t	 down_since;	/* first failure in a row */
	uint64_t	 failures;	/* in a row (down: with this one) */
	uint64_t	 next_try;	/* down: unix time; up: 0 */
	const char	*reason;	/* down: why; up: why it was down */
};

/*
 * alert_run - when c->alert_command is set, start it and return at once:
 * a detached process (double fork, reaped by init, the agent's lock and
 * descriptors closed, signals unblocked) exports the facts (alert_env),
 * runs the command through run_command_flags (/bin/sh -c, as
 * password_command; stdin /dev/null; killed after c->alert_timeout),
 * logs each line it prints, and logs its failure.  Delivery never waits
 * for it.  Returns 0, or -1 (logged) when it could not be started.
 */
int	alert_run(const struct conf *c, const struct alert_facts *f);

/*
 * alert_env - the variables for f, as "NAME=value" strings into
 * env[0..ALERT_ENV_N) (each value made of printable text: control
 * characters become '?'); the caller frees each.  POSTERN_EVENT (down
 * or up), POSTERN_RELAY, POSTERN_REASON, POSTERN_TIME, POSTERN_DOWN_SINCE,
 * POSTERN_DOWN_FOR (seconds), POSTERN_FAILURES, POSTERN_NEXT_TRY (0 up),
 * POSTERN_HOSTNAME.
 */
#define ALERT_ENV_N	9
void	alert_env(const struct conf *c, const struct alert_facts *f,
	    char *env[ALERT_ENV_N]);

#endif
