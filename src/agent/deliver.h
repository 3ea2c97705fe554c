/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deliver.h - one queued message over one SMTP session, and the ONLY place
 * that decides, per recipient, between delivered (RESULT_OK), try again later
 * (RESULT_TEMP) and give up (RESULT_PERM) - like Postfix smtp_trouble.c.
 *
 * The policy (deliver_classify), by the stage that decided:
 *   MAIL 2xx, RCPT 2xx, end of data 2xx  -> RESULT_OK for the accepted
 *   MAIL 4xx / 5xx                        -> every recipient RESULT_TEMP /
 *                                            RESULT_PERM
 *   RCPT 4xx / 5xx                        -> that recipient RESULT_TEMP /
 *                                            RESULT_PERM
 *   DATA or end of data 4xx / 5xx        -> every recipient accepted at
 *                                            RCPT RESULT_TEMP / RESULT_PERM
 *   refused before sending (SIZE larger than the server's limit, SMTPUTF8
 *   not offered, unsafe address)          -> every recipient RESULT_PERM
 *   connection lost, timeout, garbage, read error mid-transaction
 *                                         -> RESULT_TEMP (never
 *                                            RESULT_PERM); a 5xx
 *                                            RCPT reply already received
 *                                            stays RESULT_PERM
 *   421 at any stage                      -> RESULT_TEMP and a relay fault
 *   a reply code that is neither 2, 4 nor 5 where a verdict was due
 *                                         -> RESULT_TEMP
 * Relay faults (anything before the session is ready: connect, TLS,
 * certificate, EHLO, AUTH, 421, garbage) never count against a message.
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "queue.h"
#include "result.h"
#include "smtp.h"

#define DELIVER_HEADER_MAX	(1024 * 1024)	/* header section read for
						   the From: rewrite */
#define DELIVER_RETURN_MAX	(1024 * 1024)	/* original bytes in a DSN */
#define DELIVER_CHUNK		16384		/* body read size */

struct session;

/* the verdict for one recipient */
struct deliver_verdict {
	enum result	 res;
	struct why	 why;		/* the reply (or our reason) */
};

/*
 * deliver_classify - map the machine's report on m (its status, stage,
 * reply, per-recipient replies) and the session failure f (kind, why) to
 * one verdict per recipient in out[0..m->nrcpts).  Returns true when the
 * relay, not the message, is at fault (421): the caller then puts the
 * relay into back-off and leaves the deferred recipients' attempt count
 * alone.  A message still SMTP_MSG_PENDING is treated as aborted.
 */
bool	deliver_classify(const struct smtp_message *m,
	    const struct smtp_failure *f, struct deliver_verdict *out);

/* what deliver_message did */
enum deliver_status {
	DELIVER_DONE = 0,	/* every recipient has an outcome recorded
				   (sent, failed, deferred), the file moved
				   or rescheduled accordingly */
	DELIVER_RELAY_FAULT,	/* the relay failed (421): recipients are
				   left to the next relay; why in *relay_why */
};

/* what the agent shares with deliver_* */
struct deliver_ctx {
	const struct conf *conf;
	struct queue	*queue;
	uint64_t	 now;		/* unix time of this round */
};

/*
 * deliver_message - send m (claimed, see queue_claim) over the open
 * session s, record each recipient's outcome in m->state and persist it
 * (spool_state_write) before anything else; log one line per recipient
 * (Postfix style); queue a DSN for new permanent failures (not for a
 * null sender; honouring NOTIFY and RET); then remove the message (all
 * sent), move it to failed/ (nothing left to try) or reschedule it with
 * back-off (deferred recipients; expiry after max_age bounces them).
 * Applies the relay's force_sender (envelope sender, every From: and
 * Sender: field); a header section it cannot rewrite (over
 * DELIVER_HEADER_MAX: permanent; unreadable: temporary) is never sent.
 * Returns DELIVER_DONE, or DELIVER_RELAY_FAULT with the reason in
 * relay_why.  m stays owned by the caller.
 */
enum deliver_status deliver_message(struct deliver_ctx *, struct session *s,
	    struct queue_msg *m, struct why *relay_why);

/*
 * deliver_settle - before any session: finish a message whose recipients
 * all have a final outcome already (a crash between the state write and
 * the file move), and bounce the pending recipients of a message older
 * than max_age.  Returns true when the message was settled (nothing to
 * send), false when it still needs a session.
 */
bool	deliver_settle(struct deliver_ctx *, struct queue_msg *m);

/*
 * deliver_rewrite_from - copy the header section hdr[0..len) to out with
 * the address of every From: and Sender: field replaced by addr: when the
 * field value holds exactly one "<...>" and no list comma (both outside
 * quoted strings) only the part inside the brackets is replaced (the
 * display name stays); otherwise (bare address, address list, group) the
 * whole value becomes " addr".  Folded continuation lines of a field are
 * part of its value.  Returns 1 when a field was rewritten, 0 when there
 * is none (out then holds an exact copy), -1 when out is full (errno
 * EMSGSIZE).
 */
int	deliver_rewrite_from(const char *hdr, size_t len, const char *addr,
	    struct buf *out);

/*
 * deliver_xtext_decode - RFC 3461 xtext to text into out (outsize bytes,
 * NUL-terminated).  Returns out; a malformed "+XX" is copied as is.
 */
char	*deliver_xtext_decode(const char *xtext, char *out, size_t outsize);

#endif
