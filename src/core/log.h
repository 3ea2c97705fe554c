/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - the one logging module: syslog (facility mail), stderr, or both.
 *
 * Lines follow Postfix: "prog: warning: text" on stderr, and delivery
 * events as "QUEUEID: key=value, key=value".  Every function preserves
 * errno.  Secrets must never be passed here.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#define LOG_TO_STDERR	0x01
#define LOG_TO_SYSLOG	0x02

/* log_init - name the program and pick the destinations (LOG_TO_*) */
void	log_init(const char *progname, int targets);

/* log_set_targets - change destinations after init (e.g. after -v) */
void	log_set_targets(int targets);

/* log_set_debug - enable log_debug output */
void	log_set_debug(bool);

/* log_progname - the name given to log_init */
const char *log_progname(void);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn - warning with ": strerror(errno)" appended */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warnx - warning without errno */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_error - error without errno that does not end the program */
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_fatal - "prog: fatal: text" without exiting (caller cleans up) */
void	log_fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * fatal_exit - "prog: fatal: text" to every target, then exit(code).
 * code is a sysexits.h value.
 */
void	fatal_exit(int code, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* fatal_errno - as fatal_exit with ": strerror(errno)" appended */
void	fatal_errno(int code, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
