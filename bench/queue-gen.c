/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue-gen.c - benchmark helper: fill a spool with N queue files fast.
 *
 * Writes valid queue files (envelope_write, a small message, exact Z)
 * straight into SPOOL/new/, or into SPOOL/cur/ with a retry-state file in
 * SPOOL/state/ (spool_state_format, version 2 with the envelope copy, as
 * the agent writes it) when told a share of them were tried, as a relay
 * outage leaves them.  No fsync: this is test data, not mail.
 * Built by bench/queue-list against the build tree's libcore.a; never
 * installed.
 *
 * usage: queue-gen SPOOL_DIR COUNT [PERCENT_IN_CUR]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "qid.h"
#include "spool.h"
#include "util.h"

#define GEN_COUNT_MAX	10000000
#define GEN_BODY	"From: bench@example.org\nTo: someone@example.com\n" \
			"Subject: queue listing benchmark\n\nhello\n"

/* gen_file - write dir/name with the bytes of b */
static void
gen_file(const char *spool, const char *sub, const char *name,
    const struct buf *b)
{
	char	path[4096];
	int	fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", spool, sub, name) >=
	    (int)sizeof(path))
		fatal_exit(1, "path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1 || io_write_all(fd, b->data, b->len) == -1 ||
	    close(fd) == -1)
		fatal_errno(1, "write %s", path);
}

int
main(int argc, char **argv)
{
	struct envelope		env;
	struct spool_state	st;
	struct buf		b;
	uint64_t		count, pct = 0, i, now = (uint64_t)time(NULL);
	char			rcpt[64];
	bool			cur;

	log_init("queue-gen", LOG_TO_STDERR);
	if (argc < 3 || parse_uint(argv[2], 1, GEN_COUNT_MAX, &count) == -1 ||
	    (argc > 3 && parse_uint(argv[3], 0, 100, &pct) == -1))
		fatal_exit(64, "usage: queue-gen SPOOL_DIR COUNT "
		    "[PERCENT_IN_CUR]");
	buf_init(&b, 1 << 20);
	for (i = 0; i < count; i++) {
		envelope_init(&env);
		qid_generate(&env.qid);
		env.arrival = now - (count - i) % 86400;
		env.uid = 1000 + (uid_t)(i % 7);
		env.login = xstrdup("bench");
		snprintf(rcpt, sizeof(rcpt), "user%llu@example.com",
		    (unsigned long long)i);
		if (envelope_set_sender(&env, "bench@example.org") == -1 ||
		    envelope_add_rcpt(&env, rcpt, 0, NULL) == -1 ||
		    (i % 3 == 0 && envelope_add_rcpt(&env,
		    "second@example.net", 0, NULL) == -1))
			fatal_errno(1, "envelope");
		env.size = sizeof(GEN_BODY) - 1;
		buf_reset(&b);
		if (envelope_write(&env, &b) == -1 ||
		    buf_puts(&b, GEN_BODY) == -1)
			fatal_errno(1, "envelope_write");
		cur = i * 100 < pct * count;
		gen_file(argv[1], cur ? SPOOL_CUR : SPOOL_NEW, env.qid.s, &b);
		if (cur) {
			spool_state_init(&st);
			st.attempts = 3;
			st.first_attempt = env.arrival + 5;
			st.next_attempt = now + 600;
			(void)spool_state_set_rcpt(&st, 0, SPOOL_RCPT_DEFERRED,
			    451, "4.3.0", "mailbox busy, try later");
			spool_state_set_error(&st, "451 4.3.0 mailbox busy, "
			    "try later");
			/* as the agent writes it: version 2, envelope copy */
			if (spool_state_set_envelope(&st, &env) == -1)
				fatal_errno(1, "spool_state_set_envelope");
			buf_reset(&b);
			if (spool_state_format(&st, &b) == -1)
				fatal_errno(1, "spool_state_format");
			gen_file(argv[1], SPOOL_STATE, env.qid.s, &b);
			spool_state_free(&st);
		}
		envelope_free(&env);
	}
	buf_free(&b);
	return 0;
}
