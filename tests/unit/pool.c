/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.c - unit tests for the worker record protocol (format and strict
 * parse, round trips, hostile records) and for a real worker process
 * over the socketpair: jobs in, reports out, end of file ends it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "tap.h"

#define QA	"0123456789ABCDEF0123"

/* parses - true when the string parses */
static bool
parses(const char *s)
{
	struct pool_msg	m;

	return pool_msg_parse(&m, s, strlen(s)) == 0;
}

/* roundtrip - format m, parse it back into *out */
static int
roundtrip(const struct pool_msg *m, struct pool_msg *out, char *text,
    size_t textsize)
{
	int	n = pool_msg_format(m, text, textsize);

	if (n < 0)
		return -1;
	text[n] = '\0';
	return pool_msg_parse(out, text, (size_t)n);
}

/* test_format - every kind, both ways */
static void
test_format(void)
{
	struct pool_msg	m, r;
	char		t[POOL_MSG_MAX + 1];

	memset(&m, 0, sizeof(m));
	m.kind = POOL_MSG_JOB;
	(void)qid_parse(&m.qid, QA);
	m.relay_mask = 0x5;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0, "job: round trip");
	is_str(t, "J " QA " 5", "job: text");
	ok(r.kind == POOL_MSG_JOB && r.relay_mask == 5 &&
	    strcmp(r.qid.s, QA) == 0, "job: fields");

	m.kind = POOL_MSG_DONE;
	m.next = 1700000000;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 && r.next == 1700000000,
	    "done: a time");
	is_str(t, "Q " QA " 1700000000", "done: text");
	m.next = POOL_UNSCHEDULED;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 &&
	    r.next == POOL_UNSCHEDULED, "done: unscheduled");
	is_str(t, "Q " QA " -", "done: '-' for unscheduled");
	m.next = 0;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 && r.next == 0,
	    "done: due now (0)");

	m.kind = POOL_MSG_RELAY_UP;
	m.relay = 3;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 && r.relay == 3 &&
	    r.kind == POOL_MSG_RELAY_UP, "relay up");
	m.kind = POOL_MSG_RELAY_SENT;
	m.relay = 2;
	m.sent = 5;
	m.deferred = 1;
	m.bounced = 70000;
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 && r.relay == 2 &&
	    r.kind == POOL_MSG_RELAY_SENT && r.sent == 5 && r.deferred == 1 &&
	    r.bounced == 70000, "an attempt's outcome");
	is_str(t, "S 2 5 1 70000", "an attempt's outcome: the record");
	m.relay = 3;
	m.kind = POOL_MSG_RELAY_DOWN;
	(void)snprintf(m.reason, sizeof(m.reason), "connect: refused\r\nX");
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 && r.relay == 3,
	    "relay down");
	is_str(r.reason, "connect: refused??X", "relay down: controls "
	    "become '?'");
	memset(m.reason, 'x', sizeof(m.reason) - 1);
	m.reason[sizeof(m.reason) - 1] = '\0';
	ok(roundtrip(&m, &r, t, sizeof(t)) == 0 &&
	    strlen(r.reason) == sizeof(m.reason) - 1,
	    "relay down: the longest reason fits");
	m.relay = CONF_RELAYS_MAX;
	ok(pool_msg_format(&m, t, sizeof(t)) == -1 && errno == EINVAL,
	    "relay index out of range refused");
	m.kind = (enum pool_msg_kind)'Z';
	ok(pool_msg_format(&m, t, sizeof(t)) == -1, "unknown kind refused");
}

/* test_parse - hostile records */
static void
test_parse(void)
{
	ok(parses("J " QA " ff"), "job with mask ff");
	ok(!parses("J " QA), "job without mask");
	ok(!parses("J " QA " "), "job with empty mask");
	ok(!parses("J " QA " 1ffffffff"), "job mask over 32 bits");
	ok(!parses("J " QA " -1"), "job mask negative");
	ok(!parses("J " QA " 5 x"), "job with extra field");
	ok(!parses("J 0123456789abcdef0123 5"), "lower-case queue id");
	ok(!parses("J 0123456789ABCDEF012 5"), "short queue id");
	ok(!parses("J 0123456789ABCDEF01234 5"), "long queue id");
	ok(!parses("Q " QA " --"), "done: '--'");
	ok(!parses("Q " QA " 18446744073709551615"),
	    "done: the unscheduled value as a number");
	ok(!parses("Q " QA " 99999999999999999999999"), "done: overflow");
	ok(!parses("Q " QA " +5"), "done: sign");
	ok(!parses("U 8"), "relay up: index out of range");
	ok(!parses("U "), "relay up: no index");
	ok(!parses("U 1 2"), "relay up: extra");
	ok(!parses("S 8 1 0 0"), "outcome: index out of range");
	ok(!parses("S 1"), "outcome: no counts");
	ok(!parses("S 1 1 0"), "outcome: a count missing");
	ok(!parses("S 1 1 0 0 0"), "outcome: a count too many");
	ok(!parses("S 1 x 0 0"), "outcome: not a number");
	ok(parses("S 1 1 0 0"), "outcome: well formed");
	ok(parses("D 0 reason with spaces"), "relay down: reason");
	ok(parses("D 7 "), "relay down: empty reason");
	ok(!parses("D 7"), "relay down: no reason separator");
	ok(!parses("D x why"), "relay down: bad index");
	ok(pool_msg_parse(&(struct pool_msg){0}, "U 1\0", 4) == -1,
	    "a NUL inside refused");
	ok(!parses("U 1\n"), "a newline refused");
	ok(!parses("X " QA " 1"), "unknown kind");
	ok(!parses(""), "empty");
	ok(!parses("J"), "kind only");
	ok(!parses("J" QA " 1"), "no space after the kind");
}

/* echo_worker - report every job back as done at time 42, then a relay */
static void
echo_worker(int fd, void *arg)
{
	struct pool_msg	m;
	int		r;

	(void)arg;
	while ((r = pool_recv(fd, &m)) != 0) {
		if (r == -1)
			_exit(3);
		m.kind = POOL_MSG_RELAY_UP;
		m.relay = 1;
		if (pool_send(fd, &m) == -1)
			_exit(4);
		m.kind = POOL_MSG_DONE;
		m.next = 42;
		if (pool_send(fd, &m) == -1)
			_exit(5);
	}
}

/* test_spawn - a real worker over the socketpair */
static void
test_spawn(void)
{
	struct pool_worker w;
	struct pool_msg	 m;
	int		 st, r, i, got = 0;

	memset(&w, 0, sizeof(w));
	ok(pool_spawn(&w, echo_worker, NULL, NULL, 0) == 0 && w.pid > 0 &&
	    w.fd != -1, "spawn a worker");
	ok(pool_recv(w.fd, &m) == -1 && errno == EAGAIN,
	    "main's end is non-blocking");
	memset(&m, 0, sizeof(m));
	m.kind = POOL_MSG_JOB;
	(void)qid_parse(&m.qid, QA);
	m.relay_mask = 1;
	ok(pool_send(w.fd, &m) == 0, "send a job");
	for (i = 0; i < 200 && got < 2; i++) {
		r = pool_recv(w.fd, &m);
		if (r == 1) {
			got++;
			if (got == 1)
				ok(m.kind == POOL_MSG_RELAY_UP && m.relay == 1,
				    "first record: relay up");
			else
				ok(m.kind == POOL_MSG_DONE && m.next == 42 &&
				    strcmp(m.qid.s, QA) == 0,
				    "second record: done, the same queue id");
		} else
			usleep(10000);
	}
	is_int(got, 2, "two records back");
	st = pool_reap(&w);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "end of file ends the worker with status 0");
	ok(w.pid == 0 && w.fd == -1, "reaped slot is empty");
	is_int(pool_reap(&w), -1, "reap of an empty slot");
}

int
main(void)
{
	log_init("pool.t", 0);
	test_format();
	test_parse();
	test_spawn();
	return done_testing();
}
