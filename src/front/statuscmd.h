/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statuscmd.h - `postern status`: the mail system's health on one screen
 * (agent running or not, queue size, age of the oldest message, each
 * configured relay up or down since when and why), --json for scripts,
 * and --nagios, a monitoring plugin (Nagios, Icinga, Checkmk, Zabbix...)
 * with its exit-code convention and thresholds.  doc/queue-tools.md is
 * the reference.  Reads the spool like the queue tools (same people may
 * run it) and never changes anything.  Its entry points, statuscmd_main
 * and statuscmd_usage, are in front.h; this header holds the parts the
 * unit tests call.
 */
#ifndef POSTERN_STATUSCMD_H
#define POSTERN_STATUSCMD_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* the monitoring-plugin exit codes (Nagios plugin guidelines) */
#define STATUS_OK		0
#define STATUS_WARNING		1
#define STATUS_CRITICAL		2
#define STATUS_UNKNOWN		3

/* what status found */
struct status_facts {
	bool		 agent_running;
	bool		 agent_optional; /* --agent-optional: postern-once
					   timers, no resident agent */
	uint64_t	 queued;	/* messages in cur/, new/ if readable */
	uint64_t	 oldest_age;	/* seconds; 0 with an empty queue */
	uint64_t	 failed;	/* messages in failed/ */
	uint64_t	 relays_down;
	uint64_t	 down_for;	/* seconds, the longest-down relay's */
	const char	*down_name;	/* that relay, NULL when all are up */
	const char	*down_reason;	/* its reason (untrusted text) */
};

/* the thresholds: a value above (never at) one raises the state */
struct status_limits {
	uint64_t	 warn_queue, crit_queue;
	uint64_t	 warn_age, crit_age;	/* seconds */
	uint64_t	 warn_down, crit_down;	/* seconds */
};

/* defaults: 100/1000 messages, 1h/12h old, a relay down 15m/1h */
#define STATUS_LIMITS_DEFAULT	{ 100, 1000, 3600, 43200, 900, 3600 }

/*
 * status_level - the plugin state of f under l: CRITICAL when the agent
 * is not running (unless f->agent_optional) or a value is above its
 * critical threshold, WARNING when above a warning threshold, else OK.
 */
int	status_level(const struct status_facts *f,
	    const struct status_limits *l);

/*
 * status_plugin_line - the plugin's one output line, LF included, into
 * out: "POSTERN OK - 0 queued, oldest 0s | queue=0;100;1000;0 ...".  The
 * relay's reason is reduced to printable ASCII without '|' (it comes
 * from the network and must not forge perfdata).  Returns 0, or -1 as
 * buf_append.
 */
int	status_plugin_line(struct buf *out, int level,
	    const struct status_facts *f, const struct status_limits *l);

#endif
