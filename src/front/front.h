/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * front.h - the entry points of the front end (the `postern` program:
 * sendmail, mailq, newaliases and the admin subcommands), grouped by the
 * file that defines them, as dma.h and OpenSMTPD's smtpd.h do.  postern.c
 * dispatches on argv[0] and the subcommand to these; the *_main
 * functions return the process exit status (sysexits.h).
 *
 * The calls between these files go one way only: postern.c calls
 * admin.c and sendmail.c; they call flush.c, newaliases.c, queuecmd.c,
 * smtpd_bs.c and statuscmd.c; every one of them may call front.c, which
 * calls none of them.  No file calls back into one above it.
 */
#ifndef POSTERN_FRONT_H
#define POSTERN_FRONT_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

struct rcpt_resolver;
struct submitter;

/* admin.c */
/*
 * admin_main - run subcommand cmd with its own argv (argv[0] is the
 * subcommand name).  Returns a sysexits.h exit status.
 */
int	admin_main(const char *cmd, int argc, char **argv);
/* admin_usage - the list of subcommands */
void	admin_usage(FILE *);

/* flush.c */
/* flush_main - poke the agent (sendmail -q, postern flush) */
int	flush_main(const struct conf *c);
/*
 * flush_wait_main - postern flush --wait: flush, then show progress
 * until nothing is due: EX_OK (queue empty), EX_TEMPFAIL (only deferred
 * mail remains, or every relay is down), EX_UNAVAILABLE (no agent)
 */
int	flush_wait_main(const struct conf *c);

/* front.c */
/*
 * front_config_arg - true when argv[*i] is "-C FILE" (*i then moves to
 * FILE) or "-CFILE", with *path set to FILE (borrowed from argv)
 */
bool	front_config_arg(int argc, char **argv, int *i, const char **path);
/* front_load_conf - load -C or the default; on error print and exit 78 */
void	front_load_conf(struct conf *c, const char *path);

/* newaliases.c */
/* newaliases_main - validate the aliases file and report */
int	newaliases_main(const struct conf *c, const char *path);

/* presetcmd.c */
/*
 * presetcmd_main - postern config --presets: every relay preset with its
 * host, ports, TLS and rules to f; EX_OK, or EX_IOERR when f failed
 */
int	presetcmd_main(FILE *f);

/* queuecmd.c (the queue tools: queuecmd_*.c, doc/queue-tools.md) */
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
/* mailq_main - the queue listing (mailq, sendmail -bp) */
int	mailq_main(const struct conf *c);

/* sendmail.c */
/* sendmail_main - the sendmail(1) command line */
int	sendmail_main(int argc, char **argv);

/* smtpd_bs.c */
/* smtpd_bs_main - the -bs SMTP dialogue on stdin/stdout */
int	smtpd_bs_main(const struct conf *c, const char *config_path,
	    const struct rcpt_resolver *, const struct submitter *);

/* statuscmd.c (its testable parts: statuscmd.h) */
/* statuscmd_main - `postern status [-C FILE] [--json | --nagios ...]` */
int	statuscmd_main(int argc, char **argv);
/* statuscmd_usage - its line of `postern help` */
void	statuscmd_usage(FILE *f);

#endif
