/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue.c - unit tests for the agent's spool side: schedule order, claim
 * (new/ -> cur/), strict checks that set files aside into failed/,
 * back-off arithmetic, cleaning of tmp/ and failed/, committing a message
 * from the agent, and the relay state file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <ftw.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "tap.h"
#include "util.h"

static char	spool[256];

static int	count_tmp(void);

/* path - spool/sub/name into a static buffer */
static const char *
path(const char *sub, const char *name)
{
	static char	p[512];

	snprintf(p, sizeof(p), "%s/%s%s%s", spool, sub, name ? "/" : "",
	    name ? name : "");
	return p;
}

/* exists - the file is there */
static bool
exists(const char *sub, const char *name)
{
	struct stat	sb;

	return lstat(path(sub, name), &sb) == 0;
}

/* put - write a queue file for qid into sub (body "hi\n") */
static void
put(const char *sub, const struct qid *qid, const char *qid_in_file)
{
	struct envelope	env;
	struct buf	b;
	int		fd;

	envelope_init(&env);
	if (qid_parse(&env.qid, qid_in_file) == -1)
		env.qid = *qid;
	env.arrival = (uint64_t)time(NULL);
	env.uid = getuid();
	(void)envelope_set_sender(&env, "s@example.org");
	(void)envelope_add_rcpt(&env, "r@example.net", 0, NULL);
	env.size = 3;
	buf_init(&b, 65536);
	(void)envelope_write(&env, &b);
	FIXTURE(buf_puts(&b, "hi\n"));
	fd = open(path(sub, qid->s), O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd == -1 || write(fd, b.data, b.len) != (ssize_t)b.len)
		diag("write %s failed", qid->s);
	if (fd != -1)
		close(fd);
	buf_free(&b);
	envelope_free(&env);
}

/* age - set the mtime of spool/sub/name to secs ago */
static void
age(const char *sub, const char *name, time_t secs)
{
	struct timeval	tv[2];

	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - secs;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	(void)utimes(path(sub, name), tv);
}

static void
test_schedule(void)
{
	struct queue	q;
	struct qid	a, b, c, out;

	queue_init(&q, spool, 0, 0, false);
	(void)qid_parse(&a, "00000001000000000001");
	(void)qid_parse(&b, "00000002000000000002");
	(void)qid_parse(&c, "00000003000000000003");
	ok(!queue_next_due(&q, 100, &out), "empty: nothing due");
	is_int(queue_next_time(&q) == UINT64_MAX, 1, "empty: no next time");
	queue_schedule(&q, &c, 50);
	queue_schedule(&q, &b, 10);
	queue_schedule(&q, &a, 10);
	ok(queue_next_due(&q, 10, &out) && strcmp(out.s, a.s) == 0,
	    "ties: the older queue id first");
	queue_schedule(&q, &a, 60);
	ok(queue_next_due(&q, 10, &out) && strcmp(out.s, b.s) == 0,
	    "rescheduling moves an entry");
	is_int((long long)q.n, 3, "no duplicates");
	queue_unschedule(&q, &b);
	ok(!queue_next_due(&q, 49, &out), "nothing due before 50");
	is_int((long long)queue_next_time(&q), 50, "next time 50");
	queue_free(&q);
}

/* model_rand - xorshift32: the next of a reproducible sequence */
static unsigned
model_rand(unsigned x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * test_schedule_model - the heap and its index against a plain array:
 * 20,000 random schedules, moves, removals, flushes and clears over IDS
 * ids (<= 3,000: hash collisions, backward shifts, regrowth; a few dozen:
 * a small, half-full index whose probes wrap around its end), the
 * earliest entry and every lookup compared after each step
 */
static void
test_schedule_model(size_t IDS, unsigned seed)
{
	enum { IDS_MAX = 3000, STEPS = 20000 };
	static struct qid	 ids[IDS_MAX];
	static uint64_t		 next[IDS_MAX];	/* UINT64_MAX: absent */
	struct queue		 q;
	struct qid		 out;
	char			 name[32];
	size_t			 i, j, n, best, bad = 0, steps;

	queue_init(&q, spool, 0, 0, false);
	for (i = 0; i < IDS; i++) {
		seed = model_rand(seed);
		(void)snprintf(name, sizeof(name), "%08zX%06X%06X", i,
		    seed & 0xffffff, (seed >> 8) & 0xffffff);
		if (qid_parse(&ids[i], name) == -1)
			bad++;
		next[i] = UINT64_MAX;
	}
	is_int((long long)bad, 0, "model: valid ids");
	for (steps = 0; steps < STEPS; steps++) {
		seed = model_rand(seed);
		j = (seed >> 8) % IDS;
		switch (seed % 16) {
		case 0: case 1: case 2: case 3:
			queue_unschedule(&q, &ids[j]);
			next[j] = UINT64_MAX;
			break;
		case 4:
			if ((seed >> 20) % 50 == 0) {
				queue_flush(&q);
				for (i = 0; i < IDS; i++)
					if (next[i] != UINT64_MAX)
						next[i] = 0;
			}
			break;
		case 5:
			if ((seed >> 20) % 200 == 0) {
				queue_clear(&q);
				for (i = 0; i < IDS; i++)
					next[i] = UINT64_MAX;
			}
			break;
		default:
			next[j] = (seed >> 12) % 40;	/* many ties */
			queue_schedule(&q, &ids[j], next[j]);
			break;
		}
		for (i = 0, n = 0, best = IDS; i < IDS; i++) {
			if (next[i] == UINT64_MAX)
				continue;
			n++;
			if (best == IDS || next[i] < next[best])
				best = i;	/* ids ascend: ties keep the first */
		}
		if (q.n != n || (n == 0 ? queue_next_time(&q) != UINT64_MAX :
		    queue_next_time(&q) != next[best] ||
		    !queue_next_due(&q, next[best], &out) ||
		    strcmp(out.s, ids[best].s) != 0))
			bad++;
		/* every entry holds its id's time (the id's first 8
		   characters are its index in hex) */
		if (steps % 100 == 0)
			for (i = 0; i < q.n; i++) {
				memcpy(name, q.v[i].qid.s, 8);
				name[8] = '\0';
				j = (size_t)strtoul(name, NULL, 16);
				if (j >= IDS || q.v[i].next != next[j])
					bad++;
			}
	}
	ok(bad == 0, "model, %zu ids: the earliest entry, count and times "
	    "match a plain array after each of 20000 steps", IDS);
	queue_free(&q);
}

static void
test_backoff(void)
{
	uint64_t d;
	uint32_t r;
	bool	 in = true;

	is_int((long long)queue_backoff(60, 3600, 1, 0), 54,
	    "attempt 1: retry_min minus 10%%");
	is_int((long long)queue_backoff(60, 3600, 1, 12),
	    66, "attempt 1: plus 10%% at the top of the range");
	is_int((long long)queue_backoff(60, 3600, 2, 12), 120,
	    "attempt 2: doubled (middle of the jitter)");
	is_int((long long)queue_backoff(60, 3600, 3, 24), 240, "attempt 3: x4");
	is_int((long long)queue_backoff(60, 3600, 50, 360), 3600,
	    "capped at retry_max");
	is_int((long long)queue_backoff(60, 3600, UINT64_MAX, 360), 3600,
	    "huge attempt counts do not overflow");
	is_int((long long)queue_backoff(1, 2, 1, 0), 1, "never below 1");
	is_int((long long)queue_backoff(100, 50, 1, 10), 100,
	    "retry_max below retry_min: retry_min wins");
	for (r = 0; r < 5000; r++) {
		d = queue_backoff(1000, 100000, 4, r * 2654435761u);
		if (d < 7200 || d > 8800)
			in = false;
	}
	ok(in, "jitter stays within +-10%%");
}

static void
test_claim(void)
{
	struct queue	 q;
	struct queue_msg m;
	struct qid	 a, b, c, d, e;
	struct buf	 err;
	int		 n;

	queue_init(&q, spool, 0, 0, false);
	buf_init(&err, 4096);
	(void)qid_parse(&a, "6B000000000000000001");
	(void)qid_parse(&b, "6B000000000000000002");
	(void)qid_parse(&c, "6B000000000000000003");
	(void)qid_parse(&d, "6B000000000000000004");
	(void)qid_parse(&e, "6B000000000000000005");
	put("new", &a, a.s);
	put("new", &b, c.s);			/* names another message */
	ok(symlink("/etc/passwd", path("new", d.s)) == 0, "make a symlink");
	(void)mkfifo(path("new", e.s), 0600);
	put("new", &c, c.s);
	{
		char	p1[512];

		snprintf(p1, sizeof(p1), "%s", path("new", c.s));
		ok(link(p1, path("tmp", "extra-link")) == 0,
		    "make a second hard link");
	}
	{
		int fd = open(path("new", "junk"), O_WRONLY | O_CREAT, 0600);

		if (fd != -1)
			close(fd);
	}
	n = queue_scan(&q, 1000);
	is_int(n, 5, "scan: five queue ids scheduled");
	ok(exists("failed", "junk"), "scan: a stray name is set aside");
	ok(!exists("new", a.s) && exists("cur", a.s) && !exists("new", d.s) &&
	    exists("cur", d.s), "scan: new/ picked up into cur/ at once");

	ok(queue_claim(&q, &a, &m, &err) == 0, "claim a good message");
	ok(!exists("new", a.s) && exists("cur", a.s), "claimed: new/ -> cur/");
	is_str(m.env.sender, "s@example.org", "claimed: envelope parsed");
	ok(m.fd != -1 && m.body_offset > 0, "claimed: open with body offset");
	is_int((long long)m.state.attempts, 0, "claimed: fresh state");
	queue_msg_free(&m);

	buf_reset(&err);
	ok(queue_claim(&q, &b, &m, &err) == -1, "wrong I record refused");
	ok(exists("failed", b.s), "wrong I record: set aside");
	ok(strstr(buf_cstr(&err), "not its file name") != NULL,
	    "wrong I record: reason given");
	buf_reset(&err);
	ok(queue_claim(&q, &d, &m, &err) == -1, "symlink refused");
	ok(exists("failed", d.s), "symlink: set aside");
	buf_reset(&err);
	ok(queue_claim(&q, &e, &m, &err) == -1, "FIFO refused without blocking");
	ok(strstr(buf_cstr(&err), "not a regular file") != NULL,
	    "FIFO: not a regular file");
	buf_reset(&err);
	ok(queue_claim(&q, &c, &m, &err) == -1, "second hard link refused");
	ok(strstr(buf_cstr(&err), "link count 2") != NULL, "link count named");
	ok(exists("failed", c.s), "hard link: set aside");
	{
		struct spool_state st;

		buf_reset(&err);
		ok(spool_state_read(spool, &c, &st, &err) == 0 &&
		    st.last_error != NULL &&
		    strstr(st.last_error, "link count") != NULL,
		    "set aside: the reason is in the state for the listing");
		spool_state_free(&st);
	}
	buf_reset(&err);
	ok(queue_claim(&q, &c, &m, &err) == -1 &&
	    strcmp(buf_cstr(&err), "vanished") == 0, "a vanished message");
	ok(!queue_next_due(&q, 2000, &c) || strcmp(c.s, a.s) == 0,
	    "set-aside messages are unscheduled");
	(void)unlink(path("tmp", "extra-link"));

	/* group check when privileged */
	{
		struct queue	q2;

		queue_init(&q2, spool, getgid() + 1, getgid() + 2, true);
		put("new", &e, e.s);
		(void)unlink(path("failed", e.s));
		buf_reset(&err);
		ok(queue_claim(&q2, &e, &m, &err) == -1 &&
		    strstr(buf_cstr(&err), "drop group") != NULL,
		    "a file outside the drop and agent groups is refused");
		queue_free(&q2);
		/* the agent's own group (its DSNs, an older layout's mail) */
		queue_init(&q2, spool, getgid() + 1, getgid(), true);
		put("new", &e, e.s);
		(void)unlink(path("failed", e.s));
		buf_reset(&err);
		ok(queue_claim(&q2, &e, &m, &err) == 0,
		    "a file of the agent's group is accepted");
		queue_msg_free(&m);
		(void)unlink(path("cur", e.s));
		queue_free(&q2);
		/* the drop group */
		queue_init(&q2, spool, getgid(), getgid() + 2, true);
		put("new", &e, e.s);
		buf_reset(&err);
		ok(queue_claim(&q2, &e, &m, &err) == 0,
		    "a file of the drop group is accepted");
		queue_msg_free(&m);
		(void)unlink(path("cur", e.s));
		(void)spool_state_remove(spool, &e);
		queue_free(&q2);
	}

	/* finish */
	ok(queue_finish_failed(&q, &a) == 0 && exists("failed", a.s) &&
	    !exists("cur", a.s), "finish_failed: cur/ -> failed/");
	put("cur", &a, a.s);
	ok(queue_finish_sent(&q, &a) == 0 && !exists("cur", a.s),
	    "finish_sent: removed");
	buf_free(&err);
	queue_free(&q);
}

static void
test_pickup(void)
{
	struct queue	q;
	struct qid	a, b, c, due;
	struct stat	sb;
	struct spool_state st;
	struct buf	err;
	mode_t		old;
	char		one[128], two[128];
	int		fd;

	queue_init(&q, spool, 0, 0, false);
	buf_init(&err, 4096);
	(void)qid_parse(&a, "6D000000000000000001");
	(void)qid_parse(&b, "6D000000000000000002");
	(void)qid_parse(&c, "6D000000000000000003");
	put("new", &a, a.s);
	ok(queue_pickup(&q, &a, 500) == 0 && !exists("new", a.s) &&
	    exists("cur", a.s), "pickup: new/ -> cur/");
	ok(queue_next_due(&q, 500, &due) && strcmp(due.s, a.s) == 0,
	    "pickup: scheduled due now");
	errno = 0;
	ok(queue_pickup(&q, &c, 500) == -1 && errno == ENOENT,
	    "pickup: a vanished message gives ENOENT");
	/* never over a message already in cur/ */
	put("cur", &b, b.s);
	(void)snprintf(one, sizeof(one), "%s", path("cur", b.s));
	fd = open(path("new", b.s), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, "other\n", 6) == 6, "a second b in new/");
	if (fd != -1)
		close(fd);
	errno = 0;
	ok(queue_pickup(&q, &b, 500) == -1 && errno == EEXIST,
	    "pickup: a name already in cur/ gives EEXIST");
	ok(stat(one, &sb) == 0 && sb.st_size > 6 && exists("new", b.s),
	    "pickup: both copies are left as they were");
	(void)snprintf(two, sizeof(two), "%s", path("new", b.s));
	(void)unlink(two);
	(void)unlink(one);
	(void)unlink(path("cur", a.s));

	/* state files: group-readable whatever the umask; old ones fixed */
	old = umask(077);
	spool_state_init(&st);
	ok(spool_state_write(spool, &a, &st, &err) == 0 &&
	    stat(path("state", a.s), &sb) == 0 &&
	    (sb.st_mode & 07777) == SPOOL_MODE_STATEFILE,
	    "state file mode 0640 under umask 077");
	umask(old);
	ok(chmod(path("state", a.s), 0600) == 0, "an older 0600 state file");
	is_int(queue_fix_modes(&q), 1, "fix_modes: one file changed");
	ok(stat(path("state", a.s), &sb) == 0 &&
	    (sb.st_mode & 07777) == SPOOL_MODE_STATEFILE,
	    "fix_modes: now 0640");
	is_int(queue_fix_modes(&q), 0, "fix_modes: idempotent");
	(void)spool_state_remove(spool, &a);
	spool_state_free(&st);
	buf_free(&err);
	queue_free(&q);
}

static void
test_clean(void)
{
	struct queue	q;
	struct qid	a, x;
	struct spool_state st;
	struct buf	err;

	queue_init(&q, spool, 0, 0, false);
	buf_init(&err, 4096);
	(void)qid_parse(&a, "6B000000000000000001");	/* in failed/ */
	(void)qid_parse(&x, "6B0000000000000000FF");	/* nowhere */
	spool_state_init(&st);
	(void)spool_state_write(spool, &x, &st, &err);
	(void)spool_state_write(spool, &a, &st, &err);
	put("tmp", &x, x.s);
	age("tmp", x.s, 100);
	age("failed", a.s, 1000);
	{
		int fd = open(path("tmp", "fresh"), O_WRONLY | O_CREAT, 0600);

		if (fd != -1)
			close(fd);
	}
	is_int(queue_clean(&q, (uint64_t)time(NULL), 50, 500), 3,
	    "clean: old tmp, old failed (and its state), the orphan state");
	ok(!exists("tmp", x.s) && exists("tmp", "fresh"),
	    "clean: only the stale tmp file");
	ok(!exists("failed", a.s) && !exists("state", a.s),
	    "clean: failed entry with its state");
	ok(!exists("state", x.s), "clean: orphan state removed");
	ok(exists("failed", "junk"), "clean: young failed entries stay");
	(void)unlink(path("tmp", "fresh"));
	spool_state_free(&st);
	buf_free(&err);
	queue_free(&q);
}

/* produce - a message writer for queue_commit_message */
static int
produce(void *arg, int (*w)(void *, const void *, size_t), void *ctx)
{
	return w(ctx, arg, strlen(arg));
}

static void
test_commit(void)
{
	struct queue	 q;
	struct envelope	 env;
	struct buf	 err;
	struct queue_msg m;
	struct stat	 sb;
	struct qid	 due;

	queue_init(&q, spool, 0, 0, false);
	buf_init(&err, 4096);
	envelope_init(&env);
	(void)envelope_set_sender(&env, "");
	(void)envelope_add_rcpt(&env, "s@example.org", 0, NULL);
	ok(queue_commit_message(&q, &env, produce, "Subject: dsn\n\nx\n",
	    &err) == 0, "commit a message from the agent");
	ok(exists("new", env.qid.s), "committed into new/");
	ok(stat(path("new", env.qid.s), &sb) == 0 &&
	    (sb.st_mode & 07777) == 0640, "mode 0640");
	is_int(count_tmp(), 0, "no tmp file left");
	ok(queue_next_due(&q, (uint64_t)time(NULL), &due) &&
	    strcmp(due.s, env.qid.s) == 0, "scheduled due now");
	ok(queue_claim(&q, &env.qid, &m, &err) == 0 && m.env.size == 16 &&
	    m.env.sender[0] == '\0', "it parses back: null sender, size");
	queue_msg_free(&m);
	envelope_free(&env);
	envelope_init(&env);
	buf_reset(&err);
	ok(queue_commit_message(&q, &env, produce, "x\n", &err) == -1,
	    "an envelope without recipients is refused");
	is_int(count_tmp(), 0, "and leaves no tmp file");
	envelope_free(&env);
	buf_free(&err);
	queue_free(&q);
}

static void
test_relays(void)
{
	struct conf		c;
	struct queue_relays	rs;
	struct buf		err;
	char			 text[1024];
	FILE			*fp;
	size_t			 n;

	memset(&c, 0, sizeof(c));
	c.nrelays = 2;
	c.relays[0].name = "a.example:587";
	c.relays[1].name = "b.example:465";
	queue_relays_init(&rs, &c);
	ok(queue_relay_usable(&rs, 0, 100) && queue_relay_usable(&rs, 1, 100),
	    "relays start up");
	queue_relay_down(&rs, 0, "connect refused\nx", 100, 10, 100, spool);
	ok(!queue_relay_usable(&rs, 0, 100), "down: not usable now");
	ok(queue_relay_usable(&rs, 0, 112), "usable after the back-off");
	ok(rs.r[0].next_try >= 109 && rs.r[0].next_try <= 111,
	    "first back-off is retry_min +-10%%");
	is_int((long long)queue_relays_next_try(&rs), (long long)rs.r[0].next_try,
	    "next try of the down relays");
	is_str(rs.r[0].reason, "connect refused?x", "reason sanitised");
	queue_relay_down(&rs, 0, "connect refused\nx", 112, 10, 100, spool);
	is_int((long long)rs.r[0].down_since, 100, "down since the first failure");
	is_int((long long)rs.r[0].failures, 2, "consecutive failures counted");
	fp = fopen(path("state", "relays"), "r");
	n = fp != NULL ? fread(text, 1, sizeof(text) - 1, fp) : 0;
	text[n] = '\0';
	if (fp != NULL)
		fclose(fp);
	ok(strncmp(text, "a.example:587 down 100 ", 23) == 0,
	    "state/relays: the down relay");
	ok(strstr(text, "\nb.example:465 up\n") != NULL, "state/relays: the up one");
	queue_relay_up(&rs, 0, 200, spool);
	ok(!rs.r[0].down && queue_relay_usable(&rs, 0, 0), "up again");
	buf_init(&err, 1024);
	ok(queue_relays_write(&rs, "/nonexistent/spool", &err) == -1 &&
	    err.len > 0, "write failure reported");
	buf_free(&err);
}

/* count_tmp - entries in tmp/ */
static int
count_tmp(void)
{
	DIR		*d = opendir(path("tmp", NULL));
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* rm_one - nftw callback */
static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

/* test_expired - the max_age arithmetic, edges and overflow */
static void
test_expired(void)
{
	const uint64_t day = 86400, big = UINT64_MAX - 10;

	ok(!queue_expired(1000, 5 * day, 1000), "expired: not at arrival");
	ok(!queue_expired(1000, 5 * day, 1000 + 5 * day - 1),
	    "expired: not one second before max_age");
	ok(queue_expired(1000, 5 * day, 1000 + 5 * day),
	    "expired: exactly at max_age");
	ok(queue_expired(1000, 5 * day, 1000 + 50 * day),
	    "expired: long after");
	ok(!queue_expired(5000, 10, 4000),
	    "expired: arrival in the future (clock went back) never expires");
	ok(!queue_expired(big, 60 * day, big + 5),
	    "expired: no overflow when arrival + max_age wraps");
	ok(queue_expired(0, 1, UINT64_MAX), "expired: arrival 0, now huge");
	ok(queue_expired(1000, 0, 1000), "expired: max_age 0 expires at once");
}

/* test_claim_lock - a locked file is left alone; a finished one is gone */
static void
test_claim_lock(void)
{
	struct queue	 q;
	struct queue_msg m, m2;
	struct qid	 a;
	struct buf	 err;
	int		 fd;
	pid_t		 pid;
	int		 st;

	queue_init(&q, spool, 0, 0, false);
	buf_init(&err, 4096);
	(void)qid_parse(&a, "6C000000000000000001");
	put("new", &a, a.s);
	queue_schedule(&q, &a, 0);
	ok(queue_claim(&q, &a, &m, &err) == 0, "lock: first claim");
	/* a second claim from another process (flock is per open file) */
	pid = fork();
	if (pid == 0) {
		struct queue q2;

		queue_init(&q2, spool, 0, 0, false);
		buf_reset(&err);
		errno = 0;
		_exit(queue_claim(&q2, &a, &m2, &err) == -1 &&
		    errno == EBUSY && strstr(buf_cstr(&err), "busy") != NULL &&
		    queue_next_time(&q2) > (uint64_t)time(NULL) ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "lock: a second process gets EBUSY, "
	    "rescheduled later");
	ok(exists("cur", a.s) && !exists("failed", a.s),
	    "lock: the busy file is neither moved nor set aside");
	/* the holder finishes (unlink) while the other has it open */
	fd = open(path("cur", a.s), O_RDONLY);
	ok(queue_finish_sent(&q, &a) == 0, "lock: holder finishes it");
	queue_msg_free(&m);
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0,
	    "lock: released on queue_msg_free");
	if (fd != -1)
		close(fd);
	buf_reset(&err);
	ok(queue_claim(&q, &a, &m, &err) == -1 &&
	    strcmp(buf_cstr(&err), "vanished") == 0 && !exists("failed", a.s),
	    "lock: a finished message is gone, not set aside");
	buf_free(&err);
	queue_free(&q);
}

int
main(void)
{
	const char *subs[] = { "tmp", "new", "cur", "failed", "state" };
	size_t	i;

	log_init("queue.t", 0);
	snprintf(spool, sizeof(spool), "%s/postern-queue-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(spool) == NULL)
		return 99;
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		(void)mkdir(path(subs[i], NULL), 0700);
	test_schedule();
	test_schedule_model(3000, 12345);
	test_schedule_model(60, 777);
	test_schedule_model(63, 4242);
	test_backoff();
	test_claim();
	test_claim_lock();
	test_pickup();
	test_expired();
	test_clean();
	test_commit();
	test_relays();
	(void)nftw(spool, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
