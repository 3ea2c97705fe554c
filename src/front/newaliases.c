/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * newaliases.c - newaliases (sendmail -bi, postern newaliases): check
 * the aliases file and report what is wrong in it.
 *
 * postern keeps no aliases database: the file is read as it is at each
 * submission (aliases.c), so this only validates.  It must never write
 * anything, and it calls no other entry point of the front end.
 */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "aliases.h"
#include "buf.h"
#include "conf.h"
#include "front.h"

#define NEWALIASES_REPORT_MAX	(1 << 20)

/* newaliases_main - validate the aliases file */
int
newaliases_main(const struct conf *c, const char *path)
{
	struct buf	report;
	int		errors;
	const char	*p = path ? path : c->aliases;

	if (p == NULL || p[0] == '\0') {
		printf("aliases are disabled (aliases = \"\" in %s)\n",
		    c->path);
		return EX_OK;
	}
	buf_init(&report, NEWALIASES_REPORT_MAX);
	errors = aliases_check(p, &report);
	fputs(buf_cstr(&report), stdout);
	if (report.len > 0 && report.data[report.len - 1] != '\n')
		putchar('\n');
	buf_free(&report);
	return errors == 0 ? EX_OK : EX_DATAERR;
}
