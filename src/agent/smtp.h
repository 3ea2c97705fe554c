/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp.h - the SMTP client state machine: reply bytes in, command bytes
 * out, no sockets.
 *
 * The caller (conn.c/deliver.c) owns the connection and drives the
 * machine with this loop:
 *
 *	smtp_init(&s, &params);
 *	for (;;) {
 *		if (s.out.len > 0) {
 *			write s.out (deadline: smtp_stage_timeout(s.state));
 *			smtp_output_done(&s);
 *		}
 *		switch (smtp_want(&s)) {
 *		case SMTP_WANT_READ:	read (same deadline); smtp_feed(); or
 *					on EOF/timeout/error smtp_io_error()
 *		case SMTP_WANT_WRITE:	smtp_body_pump()  (more body to send)
 *		case SMTP_WANT_TLS:	TLS handshake; smtp_tls_done()
 *		case SMTP_WANT_MESSAGE:	the previous message's results are
 *					final; smtp_message_start() or
 *					smtp_quit()
 *		case SMTP_WANT_CLOSE:	close; s.failure says why, if at all
 *		}
 *	}
 *
 * The machine reports what happened (stage, reply, recipients); it never
 * decides temporary versus permanent: that is deliver.c's job.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "dotstuff.h"
#include "mime7bit.h"
#include "ehlo.h"
#include "reply.h"
#include "result.h"

#define SMTP_OUT_MAX		(4 * 1024 * 1024) /* one pipelined group */
#define SMTP_BODY_CHUNK		16384	/* body bytes read per pump */
#define SMTP_AUTH_IR_LINE_MAX	512	/* longer AUTH lines wait for 334 */
#define SMTP_AUTH_TOKEN_MAX	12288	/* RFC 4954 4: decoded token bound */
#define SMTP_AUTH_ROUNDS_MAX	16	/* 334 challenges per AUTH */

enum smtp_state {
	SMTP_S_GREETING = 0,	/* waiting for the 220 banner */
	SMTP_S_EHLO,
	SMTP_S_HELO,		/* after a 5xx to EHLO */
	SMTP_S_STARTTLS,
	SMTP_S_TLS,		/* the caller performs the handshake */
	SMTP_S_AUTH,
	SMTP_S_READY,		/* idle, between messages */
	SMTP_S_MAIL,
	SMTP_S_RCPT,
	SMTP_S_DATA,
	SMTP_S_BODY,		/* the caller pumps the body out */
	SMTP_S_DATA_END,	/* "." sent, waiting for the verdict */
	SMTP_S_RSET,
	SMTP_S_QUIT,
	SMTP_S_CLOSED,		/* nothing more to say; close */
	SMTP_S_NSTATES
};

/* which configured timeout applies (RFC 5321 4.5.3.2) */
enum smtp_timeout {
	SMTP_T_NONE = 0,	/* not waiting on the server */
	SMTP_T_GREETING,
	SMTP_T_EHLO,
	SMTP_T_STARTTLS,
	SMTP_T_AUTH,
	SMTP_T_MAIL,
	SMTP_T_RCPT,
	SMTP_T_DATA,
	SMTP_T_DATA_BLOCK,	/* each body write */
	SMTP_T_DATA_END,
	SMTP_T_RSET,
	SMTP_T_QUIT,
};

enum smtp_want {
	SMTP_WANT_READ = 0,	/* a reply is due: read and smtp_feed() */
	SMTP_WANT_WRITE,	/* call smtp_body_pump() for more output */
	SMTP_WANT_TLS,		/* handshake now, then smtp_tls_done() */
	SMTP_WANT_MESSAGE,	/* ready: smtp_message_start/smtp_quit */
	SMTP_WANT_CLOSE,	/* the session is over */
};

/*
 * The SASL plug-in (auth.c).  Both calls return 0, or -1 with why filled
 * (code 0, text naming cause and fix); the machine then cancels the
 * exchange ("*") if one is under way and ends the session.  Tokens are raw
 * bytes; base64 is the machine's business.  Buffers handed over are wiped
 * by the machine after use.
 */
struct smtp_auth_ops {
	/*
	 * start - offered is the server's mechanism list ("PLAIN LOGIN",
	 * upper case, space separated).  Set *mech to the chosen mechanism
	 * (a string that lives until the session ends) and, if the
	 * mechanism sends first, append the initial response to initial and
	 * set *has_initial (an empty response is legal and sent as "=").
	 */
	int	(*start)(void *arg, const char *offered, const char **mech,
		    struct buf *initial, bool *has_initial, struct why *why);
	/* step - challenge[0..len) decoded from a 334; append the answer */
	int	(*step)(void *arg, const char *challenge, size_t len,
		    struct buf *response, struct why *why);
	void	*arg;
};

struct smtp_params {
	const char	*helo_name;	/* borrowed for the session */
	bool		 tls_active;	/* implicit TLS (465) is already up */
	bool		 starttls;	/* STARTTLS is required: if not
					   offered, end the session */
	const struct smtp_auth_ops *auth; /* NULL: do not authenticate */
	bool		 allow_plaintext_auth; /* AUTH without TLS */
};

enum smtp_error {
	SMTP_E_NONE = 0,
	SMTP_E_REPLY,		/* the server refused (why.code set) */
	SMTP_E_PROTOCOL,	/* garbage, overlong, unexpected data */
	SMTP_E_LOCAL,		/* we declined: no STARTTLS, no AUTH, ... */
	SMTP_E_IO,		/* the caller reported I/O failure/timeout */
};

/* why the session ended early */
struct smtp_failure {
	enum smtp_error	 kind;
	enum smtp_state	 stage;	/* the state in which it happened */
	struct why	 why;
};

/* RCPT NOTIFY= (RFC 3461 4.1); 0 means "no NOTIFY parameter" */
#define SMTP_NOTIFY_NEVER	0x01u
#define SMTP_NOTIFY_SUCCESS	0x02u
#define SMTP_NOTIFY_FAILURE	0x04u
#define SMTP_NOTIFY_DELAY	0x08u

enum smtp_ret {
	SMTP_RET_NONE = 0,	/* no RET parameter */
	SMTP_RET_FULL,
	SMTP_RET_HDRS,
};

enum smtp_body {
	SMTP_BODY_7BIT = 0,
	SMTP_BODY_8BITMIME,	/* BODY=8BITMIME when offered */
};

struct smtp_rcpt {
	/* in, borrowed until the message is finished */
	const char	*addr;		/* without <> */
	unsigned	 notify;	/* SMTP_NOTIFY_* */
	const char	*orcpt;		/* "rfc822;addr" (xtext-encoded here),
					   or NULL */
	/* out */
	bool		 replied;	/* a RCPT reply was seen */
	bool		 accepted;	/* ... and it was 2xx */
	struct why	 reply;
};

enum smtp_msg_status {
	SMTP_MSG_PENDING = 0,	/* not finished (or never started) */
	SMTP_MSG_SENT,		/* end of data got 2xx */
	SMTP_MSG_REJECTED,	/* a reply refused it: stage + reply */
	SMTP_MSG_LOCAL,		/* refused before sending anything (size,
				   SMTPUTF8, bad address): stage + text */
	SMTP_MSG_ABORTED,	/* the session broke mid-transaction;
				   s->failure has the details */
	SMTP_MSG_PROBED,	/* probe: MAIL and at least one RCPT
				   accepted, then RSET; nothing sent */
};

struct smtp_message {
	/* in, borrowed until finished */
	const char	*sender;	/* "" for the null sender */
	struct smtp_rcpt *rcpts;
	size_t		 nrcpts;
	enum smtp_body	 body;
	bool		 smtputf8;	/* needs SMTPUTF8 (RFC 6531) */
	uint64_t	 size;		/* for SIZE= (RFC 1870): the wire size,
					   see smtp_message_measure */
	enum smtp_ret	 ret;
	const char	*envid;		/* ENVID= (xtext-encoded here), NULL */
	/*
	 * probe: the relay test of `postern check`: MAIL and RCPT one at a
	 * time (never pipelined, so DATA is never sent), then RSET.  Ends
	 * as SMTP_MSG_PROBED when MAIL and a RCPT were accepted, else as a
	 * rejection; read is not used.
	 */
	bool		 probe;
	/* body reader: like read(2); 0 at the end, -1 with errno */
	ssize_t		(*read)(void *arg, void *buf, size_t len);
	void		*read_arg;
	/* out */
	enum smtp_msg_status status;
	enum smtp_state	 stage;		/* where it was decided */
	struct why	 reply;		/* that stage's reply (or reason) */
	size_t		 naccepted;	/* recipients with a 2xx RCPT */
	bool		 body_8bit;	/* the body held 8-bit bytes */
	uint64_t	 lines_split;	/* body lines cut at 998 octets */
	uint64_t	 hdr_cut;	/* header lines cut without white
					   space (a space was inserted) */
	bool		 downgraded;	/* sent converted to 7 bit */
	unsigned long	 converted;	/* ... parts made quoted-printable */
	/* set by smtp_message_measure, read by smtp_message_start */
	bool		 unconvertible;	/* 8-bit, no 8BITMIME, cannot be
					   converted: refused (5.6.3) */
	char		 unconvertible_why[MIME7BIT_REASON_MAX];
};

struct smtp_session {
	enum smtp_state	 state;		/* also: whose reply is awaited */
	struct smtp_params params;
	struct ehlo_caps caps;
	bool		 esmtp;		/* EHLO (not HELO) succeeded */
	bool		 tls;		/* TLS is up */
	bool		 authenticated;
	struct buf	 out;		/* bytes to write, see smtp_want */
	bool		 out_secret;	/* out holds credentials: never log */
	struct smtp_failure failure;
	unsigned	 messages;	/* messages started on the session */
	/* internals */
	struct reply_parser parser;
	struct smtp_message *msg;
	bool		 pipelining;	/* this transaction is pipelined */
	bool		 mail_ok;
	size_t		 rcpt_send;	/* send cursor over msg->rcpts */
	size_t		 rcpt_recv;	/* receive cursor */
	bool		 data_discard;	/* 354 with nobody to send to */
	struct dotstuff	 ds;
	char		*chunk;		/* SMTP_BODY_CHUNK bytes */
	struct mime7bit	*m7;		/* the 7-bit conversion, or NULL */
	struct buf	 mid;		/* its output, on to the dot-stuffer */
	size_t		 mid_off;	/* ... how much of it went */
	bool		 body_eof;	/* the reader returned 0 */
	struct buf	 auth_tmp;	/* decoded tokens; wiped */
	struct buf	 auth_pending;	/* initial response awaiting 334 */
	bool		 auth_has_pending;
	bool		 auth_cancelled; /* "*" sent; failure set already */
	struct why	 auth_why;
	unsigned	 auth_rounds;
};

/* smtp_init - a new session waiting for the greeting; params copied */
void	smtp_init(struct smtp_session *, const struct smtp_params *);

/* smtp_free - release the session's storage, wiping secrets; NULL-safe */
void	smtp_free(struct smtp_session *);

/* smtp_want - what the caller must do next (after writing s->out) */
enum smtp_want smtp_want(const struct smtp_session *);

/* smtp_output_done - s->out was written: wipe (if secret) and empty it */
void	smtp_output_done(struct smtp_session *);

/*
 * smtp_feed - bytes read from the server.  Complete replies go to
 * smtp_on_reply() one by one.  Bytes that arrive when no reply is due
 * (in particular after the 220 to STARTTLS: RFC 3207 5, CVE-2011-0411
 * style injection) or that break the reply grammar end the session with
 * SMTP_E_PROTOCOL.  May leave new bytes in s->out.
 */
void	smtp_feed(struct smtp_session *, const char *data, size_t len);

/*
 * smtp_on_reply - act on one complete reply for the current state: record
 * it, pick the next state and put that state's command in s->out.  A 421
 * in any state ends the session (SMTP_E_REPLY) without QUIT.
 */
void	smtp_on_reply(struct smtp_session *, const struct reply *);

/* smtp_tls_done - the caller finished the STARTTLS handshake */
void	smtp_tls_done(struct smtp_session *);

/*
 * smtp_message_start - begin a transaction for m (state READY only; m is
 * borrowed until smtp_want() returns MESSAGE or CLOSE again, when its
 * results are final).  Resets m's and its recipients' results.  Refuses
 * locally, before sending anything, when m's size exceeds the server's
 * SIZE, when m needs SMTPUTF8 that is not offered, or when an address
 * holds a control character: returns -1 with m->status SMTP_MSG_LOCAL
 * (m->reply: code 0, enh "5.3.4" for the size, "5.6.7" for SMTPUTF8,
 * "5.6.3" for 8-bit data that the server cannot take (no 8BITMIME) and
 * smtp_message_measure found could not be converted to 7 bit)
 * and the state still READY.  Otherwise 0, with the commands in s->out
 * (MAIL, every RCPT and DATA at once under PIPELINING, else MAIL alone).
 */
int	smtp_message_start(struct smtp_session *, struct smtp_message *m);

/*
 * smtp_message_measure - before smtp_message_start, on a session that is
 * ready (its capabilities known): read m's body to its end with m->read
 * and put into m->size its size as this session will send it (RFC 1870
 * section 4: octets with CRLF line ends, any folding and cuts included,
 * stuffed dots and the final "." excluded).  When m->body is 8BITMIME
 * and the server did not offer 8BITMIME the body will be converted to 7
 * bit (mime7bit.h), so that conversion is measured too, and a message
 * that cannot be converted is marked (m->unconvertible, with the reason)
 * so that smtp_message_start refuses it before sending anything.  The
 * caller rewinds the reader before the transaction.  When the server
 * offers no SIZE and no conversion is needed, nothing is read.  Returns
 * 0, or -1 with errno from the reader (m->size is then unchanged).
 */
int	smtp_message_measure(struct smtp_session *, struct smtp_message *m);

/*
 * smtp_body_pump - in SMTP_S_BODY: read the body in SMTP_BODY_CHUNK
 * reads until s->out holds at least SMTP_BODY_CHUNK bytes or the body
 * ends, appending the wire form (converted to 7 bit first when the
 * message is 8BITMIME and the server did not offer it; each step adds at
 * most DOTSTUFF_OUT_MAX(SMTP_BODY_CHUNK)); at the end, append the final "."
 * (so a small body and its "." leave in one write) and wait for the
 * verdict.  A read or conversion error ends the session (SMTP_E_LOCAL, message
 * ABORTED) without the final ".": the caller must close the connection so
 * that the server discards the partial message.
 */
void	smtp_body_pump(struct smtp_session *);

/* smtp_quit - from READY: send QUIT; the session then ends */
void	smtp_quit(struct smtp_session *);

/*
 * smtp_io_error - the caller could not read or write (timeout, reset,
 * EOF, TLS failure): end the session with SMTP_E_IO and text (e.g.
 * "timeout after 300s reading reply to RCPT"), marking a message under
 * way ABORTED.  In QUIT it just closes.
 */
void	smtp_io_error(struct smtp_session *, const char *text);

/* smtp_state_name - "GREETING", "EHLO", ... for logs */
const char *smtp_state_name(enum smtp_state);

/* smtp_stage_timeout - the timeout that governs waiting in this state */
enum smtp_timeout smtp_stage_timeout(enum smtp_state);

/* smtp_timeout_name - "greeting", "data_block", ... (conf key suffix) */
const char *smtp_timeout_name(enum smtp_timeout);

/*
 * smtp_xtext_encode - append the RFC 3461 4 xtext form of s to out.
 * Returns 0 or -1 (errno from buf_append).
 */
int	smtp_xtext_encode(const char *s, struct buf *out);

#endif
