/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - the sendmail command line, parsed into one struct.
 *
 * Reference: Postfix sendmail(1).  Unknown options are warnings, never
 * fatal; option clusters (-ti), attached arguments (-FCronDaemon, -oi,
 * -oem, -q1h) and separate arguments (-f sender) are all accepted.
 */
#ifndef POSTERN_OPTIONS_H
#define POSTERN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum sm_mode {
	SM_MODE_DELIVER = 0,	/* -bm: read a message, queue it */
	SM_MODE_LIST,		/* -bp, mailq */
	SM_MODE_SMTP,		/* -bs */
	SM_MODE_NEWALIASES,	/* -bi, -I, newaliases */
	SM_MODE_VERIFY,		/* -bv */
	SM_MODE_DAEMON,		/* -bd: refused, null client */
	SM_MODE_QUEUE_RUN,	/* -q, -q1h, -qR... */
	SM_MODE_VERSION,	/* -bV / --version (postern extension) */
};

enum sm_body {
	SM_BODY_UNSET = 0,
	SM_BODY_7BIT,
	SM_BODY_8BITMIME,
};

/* DSN NOTIFY bits from -N */
#define SM_NOTIFY_SUCCESS	0x01
#define SM_NOTIFY_FAILURE	0x02
#define SM_NOTIFY_DELAY		0x04
#define SM_NOTIFY_NEVER		0x08

enum sm_ret {
	SM_RET_UNSET = 0,
	SM_RET_FULL,
	SM_RET_HDRS,
};

struct sm_options {
	enum sm_mode	 mode;
	bool		 extract_rcpts;	/* -t */
	bool		 dot_ends_input;/* true unless -i / -oi */
	const char	*sender;	/* -f/-r value as given, or NULL */
	const char	*fullname;	/* -F */
	const char	*config;	/* -C */
	const char	*label;		/* -L */
	const char	*envid;		/* -V */
	const char	*aliases;	/* -oA */
	enum sm_body	 body;		/* -B */
	unsigned	 notify;	/* -N bits, 0 when not given */
	enum sm_ret	 ret;		/* -R */
	bool		 verbose;	/* -v */
	const char	*queue_site;	/* -qR / -qS argument, informational */
	const char	**rcpts;	/* borrowed argv strings, owned array */
	size_t		 nrcpts;
};

/*
 * sm_options_parse - parse argv[1..] into *o.  Strings point into argv.
 * Warnings for unknown or ignored-with-notice options are appended to warn
 * (one line each, no program prefix).  Returns 0, or -1 with a usage error
 * in err (a required argument is missing, or a value is malformed, e.g.
 * -N bogus): the caller exits EX_USAGE.
 */
int	sm_options_parse(int argc, char **argv, struct sm_options *o,
	    struct buf *warn, struct buf *err);

/*
 * sm_notify_parse - a DSN NOTIFY list as -N and RCPT NOTIFY= take it:
 * "never", or a comma list of success, failure, delay (any case).  Sets
 * *out to SM_NOTIFY_* bits and returns 0, or -1 with the reason in err.
 */
int	sm_notify_parse(const char *s, unsigned *out, struct buf *err);

/* sm_options_free - release the recipient array */
void	sm_options_free(struct sm_options *o);

#endif
