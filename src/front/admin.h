/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.h - the `postern` admin subcommands (queue, flush, config,
 * newaliases, version) and their usage text.
 */
#ifndef POSTERN_ADMIN_H
#define POSTERN_ADMIN_H

#include <stdio.h>

/*
 * admin_main - run subcommand cmd with its own argv (argv[0] is the
 * subcommand name).  Returns a sysexits.h exit status.
 */
int	admin_main(const char *cmd, int argc, char **argv);

/* admin_usage - the list of subcommands */
void	admin_usage(FILE *);

#endif
