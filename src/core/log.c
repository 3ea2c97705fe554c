/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - syslog facility mail and/or stderr, Postfix-style prefixes.
 *
 * Owns the log destinations.  Never allocates (messages are formatted into
 * a fixed buffer and truncated with "..." if needed), so it is safe when
 * memory has run out; never changes errno.  Control characters in messages
 * are shown as '?', so hostile input cannot forge log lines.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static const char	*log_name = "postern";
static int		 log_targets = LOG_TO_STDERR;
static bool		 log_debug_on;
static bool		 log_syslog_open;

/* log_init - set name and destinations */
void
log_init(const char *progname, int targets)
{
	log_name = progname;
	log_set_targets(targets);
}

/* log_set_targets - change destinations */
void
log_set_targets(int targets)
{
	log_targets = targets;
	if ((targets & LOG_TO_SYSLOG) && !log_syslog_open) {
		openlog(log_name, LOG_PID, LOG_MAIL);
		log_syslog_open = true;
	}
}

/* log_set_debug - toggle debug lines */
void
log_set_debug(bool on)
{
	log_debug_on = on;
}

/* log_progname - the program name */
const char *
log_progname(void)
{
	return log_name;
}

/* log_emit - format, sanitize and write one line */
__attribute__((format(printf, 4, 0)))
static void
log_emit(int prio, const char *label, bool with_errno, const char *fmt,
    va_list ap)
{
	char	 line[LOG_LINE_MAX];
	int	 saved = errno;
	size_t	 len;
	char	*p;
	int	 n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	else if ((size_t)n >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	len = strlen(line);
	if (with_errno)
		snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(saved));
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (log_targets & LOG_TO_SYSLOG)
		syslog(prio, "%s%s", label, line);
	if (log_targets & LOG_TO_STDERR) {
		fprintf(stderr, "%s: %s%s\n", log_name, label, line);
		fflush(stderr);
	}
	errno = saved;
}

#define LOG_FN(name, prio, label, with_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
	va_start(ap, fmt);						\
	log_emit(prio, label, with_errno, fmt, ap);			\
	va_end(ap);							\
}

LOG_FN(log_info, LOG_INFO, "", false)
LOG_FN(log_warn, LOG_WARNING, "warning: ", true)
LOG_FN(log_warnx, LOG_WARNING, "warning: ", false)
LOG_FN(log_error, LOG_ERR, "error: ", false)
LOG_FN(log_fatal, LOG_CRIT, "fatal: ", false)

/* log_debug - only when enabled */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, "debug: ", false, fmt, ap);
	va_end(ap);
}

/* fatal_exit - log and exit */
void
fatal_exit(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", false, fmt, ap);
	va_end(ap);
	exit(code);
}

/* fatal_errno - log with errno and exit */
void
fatal_errno(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", true, fmt, ap);
	va_end(ap);
	exit(code);
}
