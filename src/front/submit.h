/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * submit.h - the front end's side of the pipe protocol to postern-drop
 * (the protocol itself is described in spool.h and doc/spool-format.md).
 *
 * Linked by the front end only.  Usage:
 *	s = submit_open(conf.drop_program, NULL, &env, &err);
 *	while (...) submit_write(s, data, n);
 *	code = submit_commit(s, &qid, &err);	(or submit_abort(s))
 * While a submission is open SIGPIPE is ignored (and SIGCHLD is default)
 * in the whole process; both are restored by commit/abort.
 */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include <stddef.h>

#include "buf.h"
#include "qid.h"
#include "spool.h"

#define SUBMIT_REPLY_MAX	4096	/* helper stdout/stderr kept */

struct submit;

/*
 * submit_open - start drop_program (an absolute path) with argv
 * {"postern-drop"} or {"postern-drop", "-C", config} and an empty
 * environment, and send it the request form of env (its I T U L Z fields
 * are ignored: the helper sets them).  Returns the handle (freed by
 * submit_commit or submit_abort), or NULL with the cause and fix in err
 * when env cannot be written (an unsafe address: errno EINVAL), or the
 * helper cannot be started (pipe/fork/exec failure); the caller then
 * exits EX_TEMPFAIL (EX_DATAERR for EINVAL).
 * If the helper refuses the envelope at once, the handle is still
 * returned and submit_commit reports the helper's verdict.
 */
struct submit *submit_open(const char *drop_program, const char *config,
	    const struct envelope *env, struct buf *err);

/*
 * submit_write - stream n message bytes (LF line ends, no NUL, no CR: the
 * front end normalises first).  Data is buffered and sent in chunks of at
 * most SPOOL_PIPE_CHUNK_MAX bytes.  Returns 0, or -1 with errno (EPIPE:
 * the helper has quit, usually after refusing the message); then call
 * submit_commit to learn the helper's status and message, or submit_abort.
 */
int	submit_write(struct submit *, const void *, size_t n);

/*
 * submit_commit - send the end marker with the total size, close the pipe,
 * collect the helper's reply and wait for it.  Returns EX_OK only when the
 * helper exited 0 and printed a valid queue id (copied to *out).
 * Otherwise returns the helper's sysexits.h code (EX_DATAERR, EX_NOPERM,
 * EX_CANTCREAT, EX_CONFIG, EX_TEMPFAIL, ...), or EX_TEMPFAIL when it died
 * by a signal or gave no code in the sysexits range, with the helper's
 * own "postern-drop: fatal: ..." text (or our description) in err.
 * Always frees the handle.
 */
int	submit_commit(struct submit *, struct qid *out, struct buf *err);

/*
 * submit_abort - close the pipe without the end marker (the helper then
 * discards the message and removes its tmp file), wait for the helper and
 * free the handle.  NULL-safe.
 */
void	submit_abort(struct submit *);

#endif
