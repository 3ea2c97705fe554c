/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confpath.h - may the caller name this configuration with -C?  A file
 * the caller chose must never make postern run a program it names
 * (drop_program, agent_program): PHP mail()'s fifth parameter passes
 * "-C/uploads/x.ini" straight through.
 */
#ifndef POSTERN_CONFPATH_H
#define POSTERN_CONFPATH_H

#include "buf.h"

/*
 * confpath_check - decide for the real uid whether path may be used as
 * the configuration.  Root may name any file.  Anyone else only a file
 * whose real path (symbolic links resolved) lies under a directory listed
 * in alternate_config_directories of default_conf (Postfix's rule for
 * -c), or a file that only root could have written: a regular file owned
 * by root, writable by no one else, every directory above it owned by
 * root and writable by no one else (or sticky).  Returns 0 and sets
 * *resolved (the real path, to be loaded instead of path; caller frees)
 * or -1 with the reason and the fix in err.
 */
int	confpath_check(const char *path, const char *default_conf,
	    char **resolved, struct buf *err);

#endif
