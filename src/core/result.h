/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * result.h - the outcome of an attempt and why: RESULT_OK, RESULT_TEMP (try
 * later), RESULT_PERM (give up and bounce), with the server's reply or our
 * own reason in a caller-owned struct why.  (Not R_OK: <unistd.h> owns that
 * name for access(2).)
 */
#ifndef POSTERN_RESULT_H
#define POSTERN_RESULT_H

enum result {
	RESULT_OK = 0,
	RESULT_TEMP,
	RESULT_PERM,
};

#define WHY_TEXT_MAX	512

struct why {
	int	code;			/* SMTP reply code, 0 when local */
	char	enh[16];		/* enhanced status "4.7.0", or "" */
	char	text[WHY_TEXT_MAX];	/* plain words, no CR/LF */
};

/* why_set - fill a why; text is printf-formatted and truncated safely */
void	why_set(struct why *, int code, const char *enh, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* why_clear - empty reason */
void	why_clear(struct why *);

/* result_name - "ok", "temp", "perm" */
const char *result_name(enum result);

/* result_exit - the sysexits.h code a front end uses for this result */
int	result_exit(enum result);

#endif
