/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * postern.c - main() of the multi-call front end: dispatch on argv[0]
 * (sendmail, send-mail, mailq, newaliases) and on the postern subcommand.
 * Nothing else lives here.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "front.h"
#include "log.h"

/* postern_basename - last path component */
static const char *
postern_basename(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* main - dispatch on argv[0], then on the subcommand */
int
main(int argc, char **argv)
{
	const char	*name;

	name = argc > 0 ? postern_basename(argv[0]) : "postern";
	if (strcmp(name, "sendmail") == 0 || strcmp(name, "send-mail") == 0) {
		log_init("sendmail", LOG_TO_STDERR | LOG_TO_SYSLOG);
		return sendmail_main(argc, argv);
	}
	if (strcmp(name, "mailq") == 0) {
		log_init("mailq", LOG_TO_STDERR);
		return admin_main("queue", argc, argv);
	}
	if (strcmp(name, "newaliases") == 0) {
		log_init("newaliases", LOG_TO_STDERR);
		return admin_main("newaliases", argc, argv);
	}
	log_init("postern", LOG_TO_STDERR);
	if (argc < 2) {
		admin_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "sendmail") == 0) {
		log_init("sendmail", LOG_TO_STDERR | LOG_TO_SYSLOG);
		return sendmail_main(argc - 1, argv + 1);
	}
	return admin_main(argv[1], argc - 1, argv + 1);
}
