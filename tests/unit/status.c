/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.c - unit tests of `postern status --nagios`: status_level at
 * each threshold exactly (under, at, over: an alert only above), the
 * agent not running, and the plugin line: its perfdata, and a relay's
 * reason that cannot forge perfdata or break the line.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "statuscmd.h"
#include "tap.h"

static const struct status_limits lim = { 10, 20, 60, 120, 30, 90 };

/* facts - an agent running, queue q, oldest a, one relay down for d */
static struct status_facts
facts(uint64_t q, uint64_t a, uint64_t d)
{
	struct status_facts f;

	memset(&f, 0, sizeof(f));
	f.agent_running = true;
	f.queued = q;
	f.oldest_age = a;
	if (d > 0) {
		f.relays_down = 1;
		f.down_for = d;
		f.down_name = "relay.example:587";
		f.down_reason = "down";
	}
	return f;
}

static int
level(uint64_t q, uint64_t a, uint64_t d)
{
	struct status_facts f = facts(q, a, d);

	return status_level(&f, &lim);
}

static void
test_level(void)
{
	struct status_facts f = facts(0, 0, 0);

	is_int(level(0, 0, 0), STATUS_OK, "all zero: OK");
	is_int(level(9, 0, 0), STATUS_OK, "queue under warn: OK");
	is_int(level(10, 0, 0), STATUS_OK, "queue at warn: OK");
	is_int(level(11, 0, 0), STATUS_WARNING, "queue over warn: WARNING");
	is_int(level(20, 0, 0), STATUS_WARNING, "queue at crit: WARNING");
	is_int(level(21, 0, 0), STATUS_CRITICAL, "queue over crit: CRITICAL");
	is_int(level(0, 59, 0), STATUS_OK, "age under warn: OK");
	is_int(level(0, 60, 0), STATUS_OK, "age at warn: OK");
	is_int(level(0, 61, 0), STATUS_WARNING, "age over warn: WARNING");
	is_int(level(0, 120, 0), STATUS_WARNING, "age at crit: WARNING");
	is_int(level(0, 121, 0), STATUS_CRITICAL, "age over crit: CRITICAL");
	is_int(level(0, 0, 29), STATUS_OK, "down under warn: OK");
	is_int(level(0, 0, 30), STATUS_OK, "down at warn: OK");
	is_int(level(0, 0, 31), STATUS_WARNING, "down over warn: WARNING");
	is_int(level(0, 0, 90), STATUS_WARNING, "down at crit: WARNING");
	is_int(level(0, 0, 91), STATUS_CRITICAL, "down over crit: CRITICAL");
	is_int(level(11, 0, 91), STATUS_CRITICAL, "the worst wins");
	f.agent_running = false;
	is_int(status_level(&f, &lim), STATUS_CRITICAL,
	    "no agent: CRITICAL");
	f.agent_optional = true;
	is_int(status_level(&f, &lim), STATUS_OK,
	    "no agent, --agent-optional: OK");
}

static void
test_line(void)
{
	struct status_facts f = facts(3, 125, 0);
	struct buf	b;

	buf_init(&b, 4096);
	ok(status_plugin_line(&b, STATUS_OK, &f, &lim) == 0, "line built");
	is_str(buf_cstr(&b), "POSTERN OK - 3 queued, oldest 2m | "
	    "queue=3;10;20;0 oldest=125s;60;120;0 down=0s;30;90;0 "
	    "relays_down=0;;;0 failed=0;;;0\n", "OK line and perfdata");
	buf_reset(&b);
	f = facts(0, 0, 95);
	f.down_reason = "550 no | evil=1\r\nPOSTERN OK";
	f.agent_running = false;
	ok(status_plugin_line(&b, STATUS_CRITICAL, &f, &lim) == 0,
	    "line built (hostile reason)");
	is_str(buf_cstr(&b), "POSTERN CRITICAL - agent not running, 0 queued, "
	    "oldest 0s, 1 relay down, relay.example:587 for 1m: 550 no ? "
	    "evil=1??POSTERN OK | queue=0;10;20;0 oldest=0s;60;120;0 "
	    "down=95s;30;90;0 relays_down=1;;;0 failed=0;;;0\n",
	    "the reason's '|', CR and LF are replaced: one line, true "
	    "perfdata");
	buf_free(&b);
}

int
main(void)
{
	test_level();
	test_line();
	return done_testing();
}
