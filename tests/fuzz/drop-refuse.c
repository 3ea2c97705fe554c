/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * drop-refuse.c - a stand-in for postern-drop used by the bs fuzz target:
 * reads the whole submission from stdin, then refuses it the way the
 * real helper refuses (a "postern-drop: fatal:" line on stderr and
 * EX_TEMPFAIL), so that fuzzing the -bs dialogue never writes a spool.
 * Built without sanitizers: it runs once per fuzzed DATA and must start
 * fast.
 */
#include "config.h"

#include <errno.h>
#include <sysexits.h>
#include <unistd.h>

int
main(void)
{
	static const char msg[] =
	    "postern-drop: fatal: fuzzing: message refused\n";
	char	buf[65536];
	ssize_t	n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0)
		if (n == -1 && errno != EINTR)
			break;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) == -1)
		return EX_IOERR;
	return EX_TEMPFAIL;
}
