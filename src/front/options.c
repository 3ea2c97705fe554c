/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c - sendmail(1) command line parser.
 *
 * Owns the mapping from every sendmail option that callers use (cron, PHP
 * mail(), mailx, mutt, git send-email, mdadm, smartd, Symfony -bs) to a
 * struct sm_options.  Must never exit or print: unknown options become
 * warnings for the caller to show, because a caller that passes an option
 * we do not know must still get its mail queued.  getopt(3) is not used:
 * sendmail options have optional attached arguments (-q, -q1h, -o, -oi)
 * that getopt cannot express.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "spool.h"
#include "util.h"

/* options that take an argument, attached or as the next word */
#define SM_OPTS_WITH_ARG	"BCFLNRVXbfrhpde"
/* options accepted and ignored without a word */
#define SM_OPTS_IGNORED		"GUcmnsx"

/* sm_notify_parse - "never" or a list of success,failure,delay */
int
sm_notify_parse(const char *s, unsigned *out, struct buf *err)
{
	char	*copy = xstrdup(s), *p, *tok, *save = NULL;
	unsigned v = 0;
	int	 rc = 0;

	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		tok = str_trim(tok);
		if (strcasecmp(tok, "never") == 0)
			v |= SM_NOTIFY_NEVER;
		else if (strcasecmp(tok, "success") == 0)
			v |= SM_NOTIFY_SUCCESS;
		else if (strcasecmp(tok, "failure") == 0)
			v |= SM_NOTIFY_FAILURE;
		else if (strcasecmp(tok, "delay") == 0)
			v |= SM_NOTIFY_DELAY;
		else {
			buf_note(err, "-N %s: unknown notification '%s': "
			    "use never, or a comma list of success, failure, "
			    "delay", s, tok);
			rc = -1;
			goto out;
		}
	}
	if (v == 0 || ((v & SM_NOTIFY_NEVER) && v != SM_NOTIFY_NEVER)) {
		buf_note(err, "-N %s: 'never' cannot be combined, and the "
		    "list cannot be empty", s);
		rc = -1;
	}
	*out = v;
out:
	free(copy);
	return rc;
}

/* sm_add_rcpt - remember a recipient word */
static void
sm_add_rcpt(struct sm_options *o, const char *r)
{
	o->rcpts = xrealloc(o->rcpts, (o->nrcpts + 1) * sizeof(*o->rcpts));
	o->rcpts[o->nrcpts++] = r;
}

/* sm_opt_o - the -o family: -oi, -oem, -odb, -oA path, ... */
static int
sm_opt_o(struct sm_options *o, const char *v, int *ip, int argc,
    char **argv, struct buf *warn)
{
	switch (v[0]) {
	case 'i':
		if (v[1] == '\0')
			o->dot_ends_input = false;
		break;
	case 'A':	/* alias file: attached or next word */
		if (v[1] != '\0')
			o->aliases = v + 1;
		else if (*ip + 1 < argc)
			o->aliases = argv[++*ip];
		break;
	case 'e':	/* error mode: -oem -oep -oeq -oew -oee */
	case 'd':	/* delivery mode: -odb -odi -odq -odd */
	case 'm':	/* me too */
	case '7':
	case '8':
	case 'Q':	/* queue directory: never from the caller */
	case 'L':	/* log level */
		break;
	case '\0':
		/* "-o x value": Postfix's form for other options */
		if (*ip + 1 < argc) {
			const char *x = argv[++*ip];

			if (strcmp(x, "i") == 0) {
				o->dot_ends_input = false;
			} else {
				buf_note(warn, "-o %s: option ignored\n", x);
				if (*ip + 1 < argc && argv[*ip + 1][0] != '-')
					++*ip;
			}
		}
		break;
	default:
		buf_note(warn, "-o%s: option ignored\n", v);
		break;
	}
	return 0;
}

/* sm_opt_b - the -b family: mode of operation */
static int
sm_opt_b(struct sm_options *o, const char *v, struct buf *warn,
    struct buf *err)
{
	if (strcmp(v, "m") == 0)
		o->mode = SM_MODE_DELIVER;
	else if (strcmp(v, "p") == 0)
		o->mode = SM_MODE_LIST;
	else if (strcmp(v, "s") == 0)
		o->mode = SM_MODE_SMTP;
	else if (strcmp(v, "i") == 0)
		o->mode = SM_MODE_NEWALIASES;
	else if (strcmp(v, "v") == 0)
		o->mode = SM_MODE_VERIFY;
	else if (strcmp(v, "d") == 0 || strcmp(v, "D") == 0)
		o->mode = SM_MODE_DAEMON;
	else if (strcmp(v, "V") == 0)
		o->mode = SM_MODE_VERSION;
	else if (strcmp(v, "a") == 0 || strcmp(v, "h") == 0 ||
	    strcmp(v, "H") == 0 || strcmp(v, "l") == 0 ||
	    strcmp(v, "t") == 0 || strcmp(v, "P") == 0) {
		buf_note(warn, "-b%s: mode not supported by this null "
		    "client; treating as -bm\n", v);
		o->mode = SM_MODE_DELIVER;
	} else {
		buf_note(err, "-b%s: unknown mode: use -bm (send), -bp "
		    "(list queue), -bs (SMTP on stdin), -bi (aliases), -bv "
		    "(verify recipients)", v);
		return -1;
	}
	return 0;
}

/* sm_opt_with_arg - an option letter with its argument v */
static int
sm_opt_with_arg(struct sm_options *o, char c, const char *v,
    struct buf *warn, struct buf *err)
{
	switch (c) {
	case 'B':
		if (strcasecmp(v, "7BIT") == 0)
			o->body = SM_BODY_7BIT;
		else if (strcasecmp(v, "8BITMIME") == 0)
			o->body = SM_BODY_8BITMIME;
		else
			buf_note(warn, "-B %s: unknown body type ignored "
			    "(use 7BIT or 8BITMIME)\n", v);
		return 0;
	case 'C':
		o->config = v;
		return 0;
	case 'F':
		o->fullname = v;
		return 0;
	case 'L':
		o->label = v;
		return 0;
	case 'N':
		return sm_notify_parse(v, &o->notify, err);
	case 'R':
		if (strcasecmp(v, "full") == 0)
			o->ret = SM_RET_FULL;
		else if (strcasecmp(v, "hdrs") == 0)
			o->ret = SM_RET_HDRS;
		else {
			buf_note(err, "-R %s: use full or hdrs", v);
			return -1;
		}
		return 0;
	case 'V':
		/* refused here: the queue would refuse it later (exit 75) */
		if (!spool_envid_valid(v)) {
			buf_note(err, "-V %.100s: not a valid DSN envelope "
			    "id: give 1 to %d printable ASCII characters "
			    "without spaces, '+' or '=' (RFC 3461 xtext; "
			    "write '+2B' for '+' and '+3D' for '=')", v,
			    SPOOL_ENVID_MAX);
			return -1;
		}
		o->envid = v;
		return 0;
	case 'f':
	case 'r':
		o->sender = v;
		return 0;
	case 'b':
		return sm_opt_b(o, v, warn, err);
	case 'X':	/* traffic log file: never written by a null client */
	case 'h':	/* hop count */
		return 0;
	case 'p':
	case 'd':
	case 'e':
		buf_note(warn, "-%c %s: option ignored\n", c, v);
		return 0;
	default:
		buf_note(err, "internal: option -%c", c);
		return -1;
	}
}

/* sm_options_parse - the whole command line */
int
sm_options_parse(int argc, char **argv, struct sm_options *o,
    struct buf *warn, struct buf *err)
{
	int	i;

	memset(o, 0, sizeof(*o));
	o->dot_ends_input = true;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t	    k;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				sm_add_rcpt(o, argv[i]);
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			sm_add_rcpt(o, a);
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			o->mode = SM_MODE_VERSION;
			continue;
		}
		for (k = 1; a[k] != '\0'; k++) {
			char c = a[k];

			if (c == 'o') {
				sm_opt_o(o, a + k + 1, &i, argc, argv, warn);
				break;
			}
			if (c == 'q') {
				o->mode = SM_MODE_QUEUE_RUN;
				if (a[k + 1] == 'R' || a[k + 1] == 'S' ||
				    a[k + 1] == 'I') {
					if (a[k + 2] != '\0')
						o->queue_site = a + k + 2;
					else if (i + 1 < argc)
						o->queue_site = argv[++i];
				}
				/* -q, -q1h, -q30m: interval ignored */
				break;
			}
			if (strchr(SM_OPTS_WITH_ARG, c) != NULL) {
				const char *v;

				if (a[k + 1] != '\0')
					v = a + k + 1;
				else if (i + 1 < argc)
					v = argv[++i];
				else {
					buf_note(err, "option -%c requires "
					    "an argument", c);
					return -1;
				}
				if (sm_opt_with_arg(o, c, v, warn, err) == -1)
					return -1;
				break;
			}
			switch (c) {
			case 't':
				o->extract_rcpts = true;
				break;
			case 'i':
				o->dot_ends_input = false;
				break;
			case 'v':
				o->verbose = true;
				break;
			case 'I':
				o->mode = SM_MODE_NEWALIASES;
				break;
			default:
				if (strchr(SM_OPTS_IGNORED, c) != NULL)
					break;
				buf_note(warn, "-%c: unknown option "
				    "ignored\n", c);
				/* unknown: we cannot tell if it takes an
				 * argument; skip the rest of the cluster */
				k = strlen(a) - 1;
				break;
			}
		}
	}
	return 0;
}

/* sm_options_free - release the recipient array */
void
sm_options_free(struct sm_options *o)
{
	free(o->rcpts);
	o->rcpts = NULL;
	o->nrcpts = 0;
}
