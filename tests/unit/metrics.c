/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.c - unit tests of the agent's Prometheus text: the whole text
 * for one snapshot (HELP and TYPE lines, the order, the values), label
 * values escaped, and metrics_write's replacement of a symbolic link.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "tap.h"

static void
test_format(void)
{
	struct metrics_snapshot	s;
	struct buf		b;

	memset(&s, 0, sizeof(s));
	s.queued = 3;
	s.oldest_age = 75;
	s.counters.delivered = 10;
	s.counters.deferred = 2;
	s.counters.bounced = 1;
	s.nrelays = 2;
	s.relays[0].name = "smtp.example.com:587";
	s.relays[1].name = "we\"ird\\name\n:25";
	s.relays[1].down = true;
	s.relays[1].down_since = 1700000000;
	buf_init(&b, 8192);
	ok(metrics_format(&b, &s) == 0, "format: built");
	is_str(buf_cstr(&b),
	    "# HELP postern_queue_messages Messages waiting in the queue "
	    "(new/ and cur/).\n"
	    "# TYPE postern_queue_messages gauge\n"
	    "postern_queue_messages 3\n"
	    "# HELP postern_queue_oldest_age_seconds Age of the oldest "
	    "waiting message, 0 when the queue is empty.\n"
	    "# TYPE postern_queue_oldest_age_seconds gauge\n"
	    "postern_queue_oldest_age_seconds 75\n"
	    "# HELP postern_relay_up 1 when the relay is up, 0 when it is "
	    "down (backed off).\n"
	    "# TYPE postern_relay_up gauge\n"
	    "postern_relay_up{relay=\"smtp.example.com:587\"} 1\n"
	    "postern_relay_up{relay=\"we\\\"ird\\\\name\\n:25\"} 0\n"
	    "# HELP postern_relay_down_since_seconds Unix time of the "
	    "relay's first failure in a row, 0 when up.\n"
	    "# TYPE postern_relay_down_since_seconds gauge\n"
	    "postern_relay_down_since_seconds{relay=\"smtp.example.com:587\"}"
	    " 0\n"
	    "postern_relay_down_since_seconds{relay=\"we\\\"ird\\\\name\\n:25\"}"
	    " 1700000000\n"
	    "# HELP postern_messages_delivered_total Recipients accepted by "
	    "a relay since the agent started.\n"
	    "# TYPE postern_messages_delivered_total counter\n"
	    "postern_messages_delivered_total 10\n"
	    "# HELP postern_messages_deferred_total Recipients deferred for "
	    "a later attempt since the agent started.\n"
	    "# TYPE postern_messages_deferred_total counter\n"
	    "postern_messages_deferred_total 2\n"
	    "# HELP postern_messages_bounced_total Recipients failed for good "
	    "(bounced) since the agent started.\n"
	    "# TYPE postern_messages_bounced_total counter\n"
	    "postern_messages_bounced_total 1\n",
	    "format: the exposition text, labels escaped");
	buf_free(&b);
}

static void
test_write(void)
{
	char		 dir[] = "/tmp/metrics.t.XXXXXX", path[128], victim[128];
	char		 got[64];
	struct buf	 err;
	struct stat	 sb;
	FILE		*f;
	size_t		 n = 0;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	FIXTURE(f != NULL && fputs("victim\n", f) >= 0 && fclose(f) == 0 ?
	    0 : -1);
	FIXTURE(symlink(victim, path));
	buf_init(&err, 1024);
	ok(metrics_write(path, "a 1\n", 4, &err) == 0, "write: done");
	ok(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 07777) == 0644, "write: a regular file, 0644, "
	    "where the link was");
	if ((f = fopen(victim, "r")) != NULL) {
		n = fread(got, 1, sizeof(got) - 1, f);
		fclose(f);
	}
	got[n] = '\0';
	is_str(got, "victim\n", "write: the link's target untouched");
	ok(metrics_write("/nonexistent-dir-metrics-t/x.prom", "a 1\n", 4,
	    &err) == -1 && strstr(buf_cstr(&err), "make the directory") !=
	    NULL, "write: a missing directory says the fix");
	buf_free(&err);
	(void)unlink(path);
	(void)unlink(victim);
	(void)rmdir(dir);
}

int
main(void)
{
	test_format();
	test_write();
	return done_testing();
}
