/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-check.c - test helper: parse queue files with the spool module,
 * exactly as the agent will (spool_read_envelope_fd: strict grammar, and
 * a file size that must equal the envelope plus Z).
 *
 *   spool-check FILE...
 *
 * For each FILE prints "OK FILE QID SIZE BODY_OFFSET" (SIZE = Z, the
 * message starts at byte BODY_OFFSET) or "BAD FILE: reason".  Also refuses
 * a file whose I record differs from its name.  Exit 0 when every file is
 * OK, 1 otherwise, 64 on usage.  Used by the durability and concurrency
 * tests; never writes anything.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "spool.h"

#define CHECK_ERR_MAX	4096

/* check_one - print the verdict on one file; 0 if OK, -1 if not */
static int
check_one(const char *path)
{
	struct envelope	 env;
	struct buf	 err;
	const char	*base;
	off_t		 body = 0;
	int		 fd, rc = -1;

	buf_init(&err, CHECK_ERR_MAX);
	envelope_init(&env);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		printf("BAD %s: open: %s\n", path, strerror(errno));
		goto out;
	}
	if (spool_read_envelope_fd(fd, &env, &body, &err) == -1) {
		printf("BAD %s: %s\n", path, buf_cstr(&err));
		goto out;
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (strcmp(base, env.qid.s) != 0) {
		printf("BAD %s: I record %s differs from the file name\n", path,
		    env.qid.s);
		goto out;
	}
	printf("OK %s %s %llu %lld\n", path, env.qid.s,
	    (unsigned long long)env.size, (long long)body);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	envelope_free(&env);
	buf_free(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	int	i, bad = 0;

	log_init("spool-check", LOG_TO_STDERR);
	if (argc < 2) {
		fprintf(stderr, "usage: spool-check FILE...\n");
		return EX_USAGE;
	}
	for (i = 1; i < argc; i++)
		if (check_one(argv[i]) == -1)
			bad = 1;
	if (fflush(stdout) == EOF)
		return EX_IOERR;
	return bad;
}
