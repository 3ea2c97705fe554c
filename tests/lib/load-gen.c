/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * load-gen.c - test helper: queue COUNT messages straight into a spool,
 * fast, for the load test (tests/integration/load.sh, part b).
 *
 *   load-gen SPOOL_DIR COUNT PREFIX RCPT
 *
 * Message i (1..COUNT) carries the header "X-Load-Marker: PREFIX-i" and
 * the one recipient RCPT, so the test can count what arrived, lost and
 * duplicated.  Each file is written as postern-drop writes it (a valid
 * envelope with exact Z, mode SPOOL_MODE_FILE, into tmp/, then renamed
 * into new/) but without fsync: this is test data, and fsyncing 100,000
 * files would measure the disk, not postern.  Owner and group are the
 * caller's (the test runs it as the agent's user with the drop group).
 * Never used by
 * the programs; never installed.  Exit 0, 1 on any failure, 64 on usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "qid.h"
#include "spool.h"
#include "util.h"

#define LOAD_COUNT_MAX	10000000	/* messages per run */
#define LOAD_FILE_MAX	65536		/* one queue file */
#define LOAD_PATH_MAX	4096

/* load_one - write message i; 0 or -1 (logged) */
static int
load_one(const char *spool, uint64_t i, const char *prefix, const char *rcpt,
    struct buf *b)
{
	struct envelope	env;
	char		tmp[LOAD_PATH_MAX], new[LOAD_PATH_MAX];
	size_t		envlen;
	int		fd = -1, rc = -1;

	envelope_init(&env);
	qid_generate(&env.qid);
	env.arrival = (uint64_t)time(NULL);
	env.uid = getuid();
	env.login = xstrdup("load");
	buf_reset(b);
	if (envelope_set_sender(&env, "load@example.org") == -1 ||
	    envelope_add_rcpt(&env, rcpt, 0, NULL) == -1) {
		log_warn("envelope");
		goto out;
	}
	/* the message first, after a placeholder envelope: Z is its size */
	if (buf_printf(b, "From: load@example.org\nTo: %s\n"
	    "Subject: load test %s-%llu\nX-Load-Marker: %s-%llu\n\n"
	    "message %llu of the load test\n", rcpt, prefix,
	    (unsigned long long)i, prefix, (unsigned long long)i,
	    (unsigned long long)i) == -1) {
		log_warn("message");
		goto out;
	}
	env.size = b->len;
	envlen = b->len;
	if (envelope_write(&env, b) == -1) {
		log_warn("envelope_write");
		goto out;
	}
	if (spool_path(spool, SPOOL_TMP, &env.qid, tmp, sizeof(tmp)) == -1 ||
	    spool_path(spool, SPOOL_NEW, &env.qid, new, sizeof(new)) == -1) {
		log_warn("spool_path");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    SPOOL_MODE_FILE);
	if (fd == -1) {
		log_warn("open %s", tmp);
		goto out;
	}
	/* envelope (appended after the message), then the message */
	if (io_write_all(fd, b->data + envlen, b->len - envlen) == -1 ||
	    io_write_all(fd, b->data, envlen) == -1) {
		log_warn("write %s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("close %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, new) == -1) {
		log_warn("rename %s", tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	envelope_free(&env);
	return rc;
}

int
main(int argc, char **argv)
{
	struct buf	b;
	uint64_t	count, i;
	int		rc = 0;

	log_init("load-gen", LOG_TO_STDERR);
	if (argc != 5 || parse_uint(argv[2], 1, LOAD_COUNT_MAX, &count) == -1)
		fatal_exit(EX_USAGE,
		    "usage: load-gen SPOOL_DIR COUNT PREFIX RCPT");
	buf_init(&b, LOAD_FILE_MAX);
	for (i = 1; i <= count; i++)
		if (load_one(argv[1], i, argv[3], argv[4], &b) == -1) {
			rc = 1;
			break;
		}
	buf_free(&b);
	return rc;
}
