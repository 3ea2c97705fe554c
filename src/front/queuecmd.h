/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd.h - the queue tools of the `postern` front end: queue (also
 * mailq and sendmail -bp), show, delete, retry and failed.
 * doc/queue-tools.md documents the output, the JSON fields, the exit
 * codes and who may do what.
 */
#ifndef POSTERN_QUEUECMD_H
#define POSTERN_QUEUECMD_H

#include <stdbool.h>
#include <stdio.h>

/*
 * queuecmd_handles - true when cmd is one of the subcommands that
 * queuecmd_main runs ("queue", "show", "delete", "retry", "failed").
 */
bool	queuecmd_handles(const char *cmd);

/*
 * queuecmd_main - run subcommand cmd with its own argv (argv[0] is the
 * subcommand name): parses its options (-C FILE, --json, --body, --all),
 * loads the configuration and acts.  Returns a sysexits.h status: EX_OK;
 * EX_USAGE (bad arguments, ambiguous id prefix, wrong queue for the
 * action); EX_NOINPUT (no such message); EX_DATAERR (a malformed queue
 * file cannot be requeued); EX_NOPERM (the spool is not readable by the
 * caller: only root and the agent's user may use the queue tools);
 * EX_TEMPFAIL/EX_IOERR (I/O errors).  Exits EX_CONFIG on a bad config.
 */
int	queuecmd_main(const char *cmd, int argc, char **argv);

/* queuecmd_usage - the usage lines of these subcommands */
void	queuecmd_usage(FILE *);

#endif
