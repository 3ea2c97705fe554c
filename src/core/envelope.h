/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * envelope.h - the envelope records of a queue file (doc/spool-format.md
 * is the reference): the one parser and the one writer, for postern-drop,
 * the front end and the agent.
 *
 * Queue file = envelope records, a blank line, the message (LF line ends,
 * ends with LF, no NUL, no CR).  Records are "K VALUE\n", in the order
 * V I T U L S R... B E N F Z; S may stand alone (null sender).  The
 * request form (the pipe protocol, spool.h) has V S R... B E N F only.
 */
#ifndef POSTERN_ENVELOPE_H
#define POSTERN_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "qid.h"

#define SPOOL_VERSION		1	/* envelope records */
#define SPOOL_RECORD_MAX	1024	/* one record, LF included */
#define SPOOL_RCPT_MAX		10000	/* R records per message */
#define SPOOL_ADDR_MAX		256	/* one envelope address */
#define SPOOL_ORCPT_MAX		500	/* RFC 3461 4.2 */
#define SPOOL_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SPOOL_LOGIN_MAX		64
#define SPOOL_SIZE_WIDTH	20	/* Z is written with exactly this
					   many digits so it can be patched
					   in place (spool_patch_size) */
#define SPOOL_SIZE_MAX		(1ULL << 40)	/* Z upper bound, 1 TiB */
#define SPOOL_TIME_MAX		253402300799ULL	/* 9999-12-31 */
#define SPOOL_UID_MAX		4294967294ULL	/* (uid_t)-1 is not a uid */
#define SPOOL_ENVELOPE_MAX	((size_t)SPOOL_RECORD_MAX * \
				    (SPOOL_RCPT_MAX + 16))

enum envelope_body {
	ENVELOPE_BODY_NONE = 0,		/* no B record */
	ENVELOPE_BODY_7BIT,
	ENVELOPE_BODY_8BITMIME,
};

enum envelope_ret {
	ENVELOPE_RET_NONE = 0,		/* no N record */
	ENVELOPE_RET_FULL,
	ENVELOPE_RET_HDRS,
};

/* DSN NOTIFY bits (RFC 3461 4.1); 0 means "not given" */
#define ENVELOPE_NOTIFY_NEVER	0x01
#define ENVELOPE_NOTIFY_SUCCESS	0x02
#define ENVELOPE_NOTIFY_FAILURE	0x04
#define ENVELOPE_NOTIFY_DELAY	0x08

/* F record flags */
#define ENVELOPE_F_SMTPUTF8	0x01

struct envelope_rcpt {
	char		*addr;		/* owned, spool_addr_safe() */
	unsigned	 notify;	/* ENVELOPE_NOTIFY_* bits */
	char		*orcpt;		/* owned "type;xtext" or NULL */
};

struct envelope {
	unsigned	 version;	/* V */
	struct qid	 qid;		/* I; "" in a request */
	uint64_t	 arrival;	/* T, unix time */
	uid_t		 uid;		/* U, the submitter's real uid */
	char		*login;		/* L, owned, or NULL */
	char		*sender;	/* S, owned, "" = null sender */
	struct envelope_rcpt *rcpts;	/* R, owned */
	size_t		 nrcpts;
	enum envelope_body body;	/* B */
	char		*envid;		/* E, owned xtext, or NULL */
	enum envelope_ret ret;		/* N */
	unsigned	 flags;		/* F, ENVELOPE_F_* */
	uint64_t	 size;		/* Z, message bytes after the blank
					   line */
};

/* envelope_init - an empty envelope (version 1, no records) */
void	envelope_init(struct envelope *);

/* envelope_free - release every owned field and re-init; NULL-safe */
void	envelope_free(struct envelope *);

/*
 * envelope_set_sender - copy sender ("" for the null sender).  Returns 0,
 * or -1 with errno EINVAL when the address fails spool_addr_safe().
 */
int	envelope_set_sender(struct envelope *, const char *sender);

/*
 * envelope_add_rcpt - append a copy of addr with DSN notify bits and an
 * optional ORCPT ("rfc822;xtext", or NULL).  Returns 0, or -1 with errno
 * EINVAL (unsafe address, bad notify combination or ORCPT) or E2BIG (more
 * than SPOOL_RCPT_MAX recipients).
 */
int	envelope_add_rcpt(struct envelope *, const char *addr,
	    unsigned notify, const char *orcpt);

/*
 * envelope_write - append the queue-file form (all records, Z padded to
 * SPOOL_SIZE_WIDTH digits, then the blank line) to out.  Returns 0, or -1
 * with errno EINVAL (a field would not parse back: unsafe value, no
 * recipient, invalid qid) or EMSGSIZE/ENOMEM from the buffer.
 */
int	envelope_write(const struct envelope *, struct buf *out);

/*
 * envelope_write_request - append the form the front end sends to
 * postern-drop: V S R... B E N F and the blank line; never I T U L Z,
 * which the helper sets itself.  Returns as envelope_write.
 */
int	envelope_write_request(const struct envelope *, struct buf *out);

/*
 * envelope_parse - strictly parse the queue-file form at the start of
 * data[0..len) (the message may follow).  On success fills *env (which it
 * initialises; caller frees with envelope_free), sets *consumed to the
 * offset just past the blank line, and returns 0.  On any deviation
 * (unknown key, wrong order, duplicate singleton, missing V I T U S Z or
 * R, control characters, unsafe address, number out of range, record over
 * SPOOL_RECORD_MAX, no blank line) returns -1, leaves *env empty and
 * appends "line N: what is wrong" to err.
 */
int	envelope_parse(const char *data, size_t len, struct envelope *env,
	    size_t *consumed, struct buf *err);

/*
 * envelope_parse_request - as envelope_parse for the request form: I T U
 * L Z are refused (the caller cannot forge them), V S and one R are
 * required.
 */
int	envelope_parse_request(const char *data, size_t len,
	    struct envelope *env, size_t *consumed, struct buf *err);

/*
 * spool_patch_size - overwrite the Z value of a queue file written with
 * envelope_write (envelope_len = the bytes it wrote) with size, using
 * pwrite.  Returns 0, or -1 with errno (ERANGE: size > SPOOL_SIZE_MAX).
 */
int	spool_patch_size(int fd, size_t envelope_len, uint64_t size);

/*
 * spool_addr_safe - true when addr is safe to store and to put in an SMTP
 * command: 1..SPOOL_ADDR_MAX bytes, no space, no control character (8-bit
 * bytes allowed for SMTPUTF8).  The empty string is not safe; the null
 * sender is handled by the S record.
 */
bool	spool_addr_safe(const char *addr);

/*
 * spool_envid_valid - s is a DSN envelope id as RFC 3461 4.4 wants it:
 * xtext (printable US-ASCII but '+' and '=', or "+XX" hex), 1 to
 * SPOOL_ENVID_MAX bytes.  What envelope_write and postern-drop accept.
 */
bool	spool_envid_valid(const char *s);

/*
 * The record lexer, shared with retrystate.c (same "K VALUE" grammar);
 * nobody else may call these.
 *
 * envelope_rec_line - the next record of data[*pos..len): checks the
 * length limit (SPOOL_RECORD_MAX) and control characters (TAB allowed
 * only after the first byte of records whose key is in tab_keys).
 * Returns the line length (without LF) and advances *pos, or -1 with
 * "line N: reason" in err.
 */
ssize_t	envelope_rec_line(const char *data, size_t len, size_t *pos,
	    size_t lineno, const char *tab_keys, struct buf *err);

/*
 * envelope_rec_num - strict decimal: digits only, no sign, no leading
 * zero (unless padded), at most 20 digits, within [min, max].  Returns 0,
 * or -1 with errno EINVAL (syntax) or ERANGE.
 */
int	envelope_rec_num(const char *s, bool padded, uint64_t min,
	    uint64_t max, uint64_t *out);

/* envelope_rec_key - a key byte as printable text for messages */
const char *envelope_rec_key(char k, char *tmp, size_t tmpsize);

#endif
