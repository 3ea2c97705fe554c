/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submission.h - one message from a reader into the spool: header rules,
 * recipients, envelope, and the hand-over to postern-drop.  Shared by the
 * sendmail command line (-bm, -t) and the -bs SMTP dialogue.
 */
#ifndef POSTERN_SUBMISSION_H
#define POSTERN_SUBMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "input.h"
#include "options.h"
#include "qid.h"
#include "rcpt.h"

/* who is submitting: looked up once per process */
struct submitter {
	uid_t	 uid;
	char	*login;		/* owned */
	char	*fullname;	/* owned, from GECOS, may be "" */
};

struct submission {
	const struct conf		*conf;
	const struct rcpt_resolver	*resolver;
	const struct submitter		*who;
	const char	*config_path;	/* passed to postern-drop, or NULL */
	const char	*sender;	/* -f/-r or MAIL FROM, NULL: default */
	bool		 sender_given;
	const char	*fullname;	/* -F, or NULL */
	bool		 extract_rcpts;	/* -t */
	struct addr_list rcpts;		/* resolved envelope recipients */
	enum sm_body	 body;		/* -B or BODY= */
	unsigned	 notify;	/* -N bits */
	enum sm_ret	 ret;		/* -R */
	const char	*envid;		/* -V */
	bool		 smtputf8;	/* SMTPUTF8 asked for (-bs) */
};

/* submitter_init - uid, login and GECOS name of the real uid */
void	submitter_init(struct submitter *);
void	submitter_free(struct submitter *);

/* submission_init - empty submission bound to a config and resolver */
void	submission_init(struct submission *, const struct conf *,
	    const struct rcpt_resolver *, const struct submitter *);

/* submission_free - release recipients; the struct may be reused */
void	submission_free(struct submission *);

/*
 * submission_add_rcpt_arg - a recipient argument (may be comma
 * separated, may be "Name <a@b>"), resolved and added.  Returns 0, or a
 * sysexits code (EX_NOUSER, EX_DATAERR) with the reason in err.
 */
int	submission_add_rcpt_arg(struct submission *, const char *arg,
	    struct buf *err);

/*
 * submission_run - read the message from in, apply the header rules,
 * resolve -t recipients, and commit it through postern-drop.  Returns
 * EX_OK with *qid set only when the helper confirmed the commit; else a
 * sysexits code with the reason (cause and fix) in err.  With an SMTP
 * reader, an end of file before the final dot aborts (nothing queued).
 */
int	submission_run(struct submission *, struct input *in, struct qid *qid,
	    struct buf *err);

#endif
