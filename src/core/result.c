/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * result.c - struct why helpers and the result to sysexits mapping.
 *
 * Owns nothing else: the decision of which failure is temporary or
 * permanent belongs to the caller that saw it (deliver.c for SMTP).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "result.h"
#include "util.h"

/* why_set - fill in a reason */
void
why_set(struct why *w, int code, const char *enh, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	w->code = code;
	str_copy(w->enh, enh != NULL ? enh : "", sizeof(w->enh));
	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	for (p = w->text; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

/* why_clear - no reason */
void
why_clear(struct why *w)
{
	memset(w, 0, sizeof(*w));
}

/* result_name - short name */
const char *
result_name(enum result r)
{
	switch (r) {
	case RESULT_OK:
		return "ok";
	case RESULT_TEMP:
		return "temp";
	case RESULT_PERM:
		return "perm";
	default:
		return "unknown";
	}
}

/* result_exit - sysexits code */
int
result_exit(enum result r)
{
	switch (r) {
	case RESULT_OK:
		return EX_OK;
	case RESULT_TEMP:
		return EX_TEMPFAIL;
	case RESULT_PERM:
		return EX_UNAVAILABLE;
	default:
		return EX_SOFTWARE;
	}
}
