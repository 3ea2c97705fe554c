/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf_stub.c - TEMPORARY stand-in for conf.c, spool branch only.
 *
 * XXX(merge): the lead deletes this file and its Makefile.am block when
 * the real conf.c (conf worktree) is merged.  It implements just enough of
 * conf.h for postern-drop and its tests: conf_defaults, conf_free and a
 * conf_load that reads "spool_dir = ..." and "max_message_size = ..." and
 * ignores everything else.  Never ship it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

#define CONF_STUB_LINE_MAX	1024

/* conf_defaults - the two defaults postern-drop needs */
void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->spool_dir = xstrdup(SPOOLDIR);
	c->max_message_size = 10 * 1024 * 1024;
}

/* conf_free - release */
void
conf_free(struct conf *c)
{
	free(c->path);
	free(c->spool_dir);
	memset(c, 0, sizeof(*c));
}

/* conf_load - stub parser: spool_dir and max_message_size only */
int
conf_load(struct conf *c, const char *path, bool need_relay, struct buf *err)
{
	char	 line[CONF_STUB_LINE_MAX], *k, *v, *eq;
	FILE	*fp;
	unsigned lineno = 0;
	int	 rc = 0;

	(void)need_relay;
	conf_defaults(c);
	c->path = xstrdup(path);
	if ((fp = fopen(path, "re")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		conf_free(c);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		k = str_trim(line);
		if (*k == '#' || *k == ';' || *k == '[' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL)
			continue;
		*eq = '\0';
		k = str_trim(k);
		v = str_trim(eq + 1);
		if (strcmp(k, "spool_dir") == 0) {
			free(c->spool_dir);
			c->spool_dir = xstrdup(v);
		} else if (strcmp(k, "max_message_size") == 0 &&
		    parse_size(v, &c->max_message_size) == -1) {
			buf_printf(err, "%s:%u: max_message_size: bad size",
			    path, lineno);
			rc = -1;
		}
	}
	fclose(fp);
	if (rc == -1)
		conf_free(c);
	return rc;
}
