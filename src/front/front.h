/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * front.h - entry points of the front end's personalities, called by
 * postern.c after it looked at argv[0] and the subcommand.  Each returns
 * the process exit status (sysexits.h).
 */
#ifndef POSTERN_FRONT_H
#define POSTERN_FRONT_H

#include "conf.h"

/* sendmail_main - the sendmail(1) command line */
int	sendmail_main(int argc, char **argv);

/* mailq_main - the queue listing (mailq, sendmail -bp) */
int	mailq_main(const struct conf *c);

/* newaliases_main - validate the aliases file and report */
int	newaliases_main(const struct conf *c, const char *path);

/* flush_main - poke the agent (sendmail -q, postern flush) */
int	flush_main(const struct conf *c);

/* smtpd_bs_main - the -bs SMTP dialogue on stdin/stdout */
struct submitter;
struct rcpt_resolver;
int	smtpd_bs_main(const struct conf *c, const char *config_path,
	    const struct rcpt_resolver *, const struct submitter *);

/* front_load_conf - load -C or the default; on error print and exit 78 */
void	front_load_conf(struct conf *c, const char *path);

#endif
