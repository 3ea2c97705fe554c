/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c - libFuzzer target for the sendmail command line
 * (sm_options_parse).  The input is split at NUL bytes into argv[1..]
 * (argv[0] is "sendmail"), as execve would deliver it.  Checks: an error
 * always has a reason, success leaves err empty; every string the result
 * points at (sender, -F, -C, recipients...) is one of the argv strings or
 * a suffix of one, never memory the parser owns; recipients are at most
 * the words given; warnings are whole lines.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "options.h"

#define FUZZ_ARGS_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*fuzz_argv[FUZZ_ARGS_MAX + 2];
static int	 fuzz_argc;

/* fuzz_inside - does s point into one of the argv strings? */
static void
fuzz_inside(const char *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 1; i < fuzz_argc; i++)
		if (s >= fuzz_argv[i] &&
		    s <= fuzz_argv[i] + strlen(fuzz_argv[i]))
			return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sm_options	 o;
	struct buf		 warn, err;
	char			*copy, *p, *end;
	size_t			 i;
	int			 rc;

	/* one NUL-terminated copy; every NUL starts a new word */
	copy = malloc(len + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, len);
	copy[len] = '\0';
	fuzz_argc = 0;
	fuzz_argv[fuzz_argc++] = "sendmail";
	for (p = copy, end = copy + len; len > 0 && p <= end &&
	    fuzz_argc <= FUZZ_ARGS_MAX; p += strlen(p) + 1)
		fuzz_argv[fuzz_argc++] = p;
	fuzz_argv[fuzz_argc] = NULL;

	buf_init(&warn, 64 * 1024);
	buf_init(&err, 4096);
	rc = sm_options_parse(fuzz_argc, fuzz_argv, &o, &warn, &err);
	if (rc == -1 && err.len == 0)
		abort();		/* a usage error names its cause */
	if (rc == 0 && err.len != 0)
		abort();
	if (rc != 0 && rc != -1)
		abort();
	if (warn.len > 0 && warn.data[warn.len - 1] != '\n' &&
	    warn.len < warn.max - 256)
		abort();		/* warnings are whole lines */
	if (rc == 0) {
		if (o.nrcpts > (size_t)fuzz_argc - 1)
			abort();
		for (i = 0; i < o.nrcpts; i++)
			fuzz_inside(o.rcpts[i]);
		fuzz_inside(o.sender);
		fuzz_inside(o.fullname);
		fuzz_inside(o.config);
		fuzz_inside(o.label);
		fuzz_inside(o.envid);
		fuzz_inside(o.aliases);
		fuzz_inside(o.queue_site);
		if ((unsigned)o.mode > SM_MODE_VERSION ||
		    (unsigned)o.body > SM_BODY_8BITMIME ||
		    (unsigned)o.ret > SM_RET_HDRS ||
		    (o.notify & ~(unsigned)(SM_NOTIFY_SUCCESS |
		    SM_NOTIFY_FAILURE | SM_NOTIFY_DELAY | SM_NOTIFY_NEVER)) ||
		    ((o.notify & SM_NOTIFY_NEVER) &&
		    o.notify != SM_NOTIFY_NEVER))
			abort();
	}
	sm_options_free(&o);
	buf_free(&warn);
	buf_free(&err);
	free(copy);
	return 0;
}
