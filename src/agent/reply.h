/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply.h - incremental, bounded parser for SMTP replies (RFC 5321 4.2).
 *
 * Feed it whatever bytes the connection produced, in chunks of any size;
 * it assembles one reply at a time (a code, an optional RFC 3463 enhanced
 * status code, and the text lines) and never holds more than the limits
 * below.  A reply that breaks the grammar ends in REPLY_ERROR with a short
 * reason; the parser then refuses further input until reply_reset().
 */
#ifndef POSTERN_REPLY_H
#define POSTERN_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* RFC 5321 4.5.3.1.5 says 512 octets; real servers send more. */
#define REPLY_LINE_MAX		2048	/* octets per line, without CRLF */
#define REPLY_LINES_MAX		100	/* lines per multi-line reply */
#define REPLY_BYTES_MAX		65536	/* octets per reply, with line ends */
#define REPLY_ENH_MAX		16	/* "5.123.456" plus NUL fits */
#define REPLY_REASON_MAX	80

enum reply_status {
	REPLY_PARTIAL = 0,	/* need more bytes */
	REPLY_COMPLETE,		/* p->reply holds a whole reply */
	REPLY_ERROR,		/* protocol error; p->reason says why */
};

struct reply {
	int	 code;			/* 200..599 */
	char	 enh[REPLY_ENH_MAX];	/* "2.1.0" or "" */
	size_t	 nlines;
	struct buf text;		/* the lines after "NNN-"/"NNN ", each
					   ended by '\n'; no CR, no NUL */
};

struct reply_parser {
	enum reply_status status;
	char	 reason[REPLY_REASON_MAX];
	struct reply reply;		/* borrowed by callers until the next
					   reply_feed() or reply_reset() */
	struct buf line;		/* the partial current line */
	size_t	 total;			/* octets of the reply so far */
};

/* reply_init - ready an empty parser; release it with reply_free() */
void	reply_init(struct reply_parser *);

/* reply_free - release the storage; NULL-safe, the parser is reusable */
void	reply_free(struct reply_parser *);

/* reply_reset - forget any partial reply and any error */
void	reply_reset(struct reply_parser *);

/*
 * reply_feed - consume bytes from data[0..len).  Stops right after the
 * last line of a complete reply, so that pipelined replies that arrive in
 * one read come out one at a time: the caller loops while bytes remain.
 * Returns the number of bytes consumed; p->status then says PARTIAL (all
 * consumed, no complete reply yet), COMPLETE (p->reply is valid until the
 * next call that passes bytes) or ERROR (p->reason: "reply line too
 * long", "bad reply code", "reply code changed within a multi-line
 * reply", "too many reply lines", "reply too long", "NUL byte in reply",
 * "malformed reply line").
 * A call with bytes after COMPLETE starts a new reply; a call after ERROR
 * consumes nothing.
 */
size_t	reply_feed(struct reply_parser *p, const char *data, size_t len);

/*
 * reply_line - the i-th text line of r (0-based), not NUL-terminated:
 * returns a pointer into r->text and its length in *len, or NULL past the
 * last line.  Borrowed like the reply.
 */
const char *reply_line(const struct reply *r, size_t i, size_t *len);

/*
 * reply_text_oneline - the reply text for logs: the lines joined with a
 * single space, the enhanced status code dropped from the start of each
 * line that carries it (it is in r->enh), control and 8-bit bytes
 * replaced by '?', truncated to outsize - 1 bytes with "..." marking the
 * cut.  Returns out.  The code is not included.
 */
char	*reply_text_oneline(const struct reply *r, char *out, size_t outsize);

/*
 * reply_parse_enh - if s[0..len) starts with an RFC 3463 status code
 * "C.SSS.DDD" whose class C is 2, 4 or 5 and equals want_class (or any
 * class when want_class is 0), followed by a space or the end, copy it to
 * enh (REPLY_ENH_MAX bytes) and return its length; otherwise return 0.
 */
size_t	reply_parse_enh(const char *s, size_t len, int want_class,
	    char enh[REPLY_ENH_MAX]);

#endif
