/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * front.c - the entry code every personality of the front end shares:
 * reading -C from a subcommand's arguments, and loading the
 * configuration it names (or the default) the same way, with the same
 * refusal of a -C that only root may give and the same EX_CONFIG exit
 * on a bad file.
 *
 * Called by sendmail.c, admin.c and the queue tools; calls none of the
 * front end's entry points (front.h), so the front end's call graph has
 * no ring.  Runs as the invoking user and never writes anything.
 */
#include "config.h"
#include "postern-paths.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "conf.h"
#include "confpath.h"
#include "front.h"
#include "log.h"

#define FRONT_ERR_MAX	8192

/*
 * front_config_arg - argv[*i] names the configuration: "-C FILE" (then
 * *i moves to FILE) or "-CFILE".  A "-C" with nothing after it is not.
 */
bool
front_config_arg(int argc, char **argv, int *i, const char **path)
{
	const char	*a = argv[*i];

	if (strcmp(a, "-C") == 0 && *i + 1 < argc) {
		*path = argv[++*i];
		return true;
	}
	if (strncmp(a, "-C", 2) == 0 && a[2] != '\0') {
		*path = a + 2;
		return true;
	}
	return false;
}

/* front_load_conf - the configuration, or exit EX_CONFIG */
void
front_load_conf(struct conf *c, const char *path)
{
	struct buf	err;
	char		*checked = NULL;

	buf_init(&err, FRONT_ERR_MAX);
	/* -C from anyone but root: only where Postfix would allow it */
	if (path != NULL && confpath_check(path, CONFDIR "/postern.conf",
	    &checked, &err) == -1)
		fatal_exit(EX_USAGE, "%s", buf_cstr(&err));
	if (conf_load(c, checked != NULL ? checked : CONFDIR "/postern.conf",
	    false, &err) == -1) {
		/* each line already names file:line and the fix */
		char	*line, *save = NULL, *copy = buf_steal(&err);

		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_error("%s", line);
		free(copy);
		fatal_exit(EX_CONFIG, "bad configuration: fix the lines "
		    "above");
	}
	free(checked);
	buf_free(&err);
	if (c->debug)
		log_set_debug(true);
}
