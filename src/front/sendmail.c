/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sendmail.c - the sendmail(1) personality: options to modes, and the
 * submission of one message from standard input.
 *
 * Owns the mode dispatch and the user-facing messages of a submission
 * ("sendmail: fatal: <what>: <why>" and the exit code); -bp, -q and -bi
 * hand over to the queue listing, flush.c and newaliases.c.  Runs as the
 * invoking user with no privileges; the only privileged step, writing the
 * spool, is postern-drop's.  Must never exit 0 before postern-drop
 * confirmed the commit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "front.h"
#include "input.h"
#include "log.h"
#include "options.h"
#include "rcpt.h"
#include "submission.h"
#include "util.h"

#define SENDMAIL_ERR_MAX	8192

/* sendmail_verify - -bv: print what each recipient resolves to */
static int
sendmail_verify(struct submission *s, const struct sm_options *o)
{
	struct buf	err;
	size_t		i, j;
	int		rc = EX_OK;

	buf_init(&err, SENDMAIL_ERR_MAX);
	if (o->nrcpts == 0) {
		log_error("-bv: no recipients to verify");
		return EX_USAGE;
	}
	for (i = 0; i < o->nrcpts; i++) {
		size_t before = s->rcpts.n;
		int r;

		buf_reset(&err);
		r = submission_add_rcpt_arg(s, o->rcpts[i], &err);
		if (r != EX_OK) {
			printf("%s: undeliverable: %s\n", o->rcpts[i],
			    buf_cstr(&err));
			rc = r;
			continue;
		}
		for (j = before; j < s->rcpts.n; j++)
			printf("%s: deliverable: <%s>\n", o->rcpts[i],
			    s->rcpts.v[j]);
		if (before == s->rcpts.n)
			printf("%s: deliverable (already listed)\n",
			    o->rcpts[i]);
	}
	fflush(stdout);
	buf_free(&err);
	return rc;
}

/* sendmail_submit - -bm: one message from standard input */
static int
sendmail_submit(struct submission *s, const struct sm_options *o)
{
	struct input	*in;
	struct buf	 err;
	struct qid	 qid;
	size_t		 i;
	int		 rc = EX_OK;

	buf_init(&err, SENDMAIL_ERR_MAX);
	for (i = 0; i < o->nrcpts && rc == EX_OK; i++)
		rc = submission_add_rcpt_arg(s, o->rcpts[i], &err);
	if (rc != EX_OK)
		goto out;
	in = xmalloc(sizeof(*in));
	input_init(in, STDIN_FILENO, o->dot_ends_input ? INPUT_DOTS_END :
	    INPUT_DOTS_NONE);
	rc = submission_run(s, in, &qid, &err);
	free(in);
	if (rc == EX_OK && o->verbose)
		fprintf(stderr, "sendmail: queued as %s\n", qid.s);
out:
	if (rc != EX_OK)
		log_fatal("%s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

/* sendmail_main - parse, then run the mode */
int
sendmail_main(int argc, char **argv)
{
	struct sm_options	 o;
	struct buf		 warn, err;
	struct conf		 c;
	struct rcpt_resolver	 res;
	struct submitter	 who;
	struct submission	 s;
	int			 rc;

	buf_init(&warn, SENDMAIL_ERR_MAX);
	buf_init(&err, SENDMAIL_ERR_MAX);
	if (sm_options_parse(argc, argv, &o, &warn, &err) == -1) {
		log_error("%s", buf_cstr(&err));
		fatal_exit(EX_USAGE, "usage: sendmail [-t] [-i] [-f sender] "
		    "[-F name] [options] [recipient ...]");
	}
	if (warn.len > 0) {
		char *line, *save = NULL;

		for (line = strtok_r(warn.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
	}
	if (o.mode == SM_MODE_VERSION) {
		printf("postern %s\n", PACKAGE_VERSION);
		rc = EX_OK;
		goto done;
	}
	if (o.mode == SM_MODE_DAEMON) {
		log_fatal("-bd: postern is a null client and never listens for "
		    "mail; it only relays local mail to a smarthost");
		rc = EX_USAGE;
		goto done;
	}
	front_load_conf(&c, o.config);
	switch (o.mode) {
	case SM_MODE_LIST:
		rc = mailq_main(&c);
		goto conf_done;
	case SM_MODE_QUEUE_RUN:
		rc = flush_main(&c);
		goto conf_done;
	case SM_MODE_NEWALIASES:
		rc = newaliases_main(&c, o.aliases);
		goto conf_done;
	default:
		break;
	}
	buf_reset(&err);
	if (rcpt_resolver_init(&res, &c, o.aliases, &err) == -1) {
		log_fatal("%s", buf_cstr(&err));
		rc = EX_CONFIG;
		goto conf_done;
	}
	submitter_init(&who);
	submission_init(&s, &c, &res, &who);
	/* the file checked and loaded, not the caller's name for it */
	s.config_path = o.config != NULL ? c.path : NULL;
	s.sender = o.sender;
	s.fullname = o.fullname;
	s.extract_rcpts = o.extract_rcpts;
	s.body = o.body;
	s.notify = o.notify;
	s.ret = o.ret;
	s.envid = o.envid;
	switch (o.mode) {
	case SM_MODE_VERIFY:
		rc = sendmail_verify(&s, &o);
		break;
	case SM_MODE_SMTP:
		rc = smtpd_bs_main(&c, o.config != NULL ? c.path : NULL, &res,
		    &who);
		break;
	case SM_MODE_DELIVER:
		rc = sendmail_submit(&s, &o);
		break;
	default:
		fatal_exit(EX_SOFTWARE, "internal: unhandled mode %d", o.mode);
	}
	submission_free(&s);
	submitter_free(&who);
	rcpt_resolver_free(&res);
conf_done:
	conf_free(&c);
done:
	sm_options_free(&o);
	buf_free(&warn);
	buf_free(&err);
	return rc;
}
