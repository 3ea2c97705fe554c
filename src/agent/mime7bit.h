/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mime7bit.h - convert a message with 8-bit data to 7 bit for a server
 * that did not announce 8BITMIME (RFC 6152 section 3), streamed in chunks
 * of any size with bounded memory.  8-bit text parts become
 * quoted-printable (RFC 2045 6.7); the MIME structure (RFC 2046:
 * multipart boundaries, nested multiparts, message/rfc822) is kept valid.
 * Where that is impossible (8-bit header fields, 8-bit data in a part that
 * is not text, message/global, ...) it stops with a reason, and the
 * caller must not send the message.
 */
#ifndef POSTERN_MIME7BIT_H
#define POSTERN_MIME7BIT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* a header field is held whole until the next line shows where it ends */
#define MIME7BIT_FIELD_MAX	(1024 * 1024)
/* RFC 2046 5.1.1 allows 70; longer ones are accepted up to this */
#define MIME7BIT_BOUNDARY_MAX	200
/* nested multiparts followed; deeper ones are opaque (7-bit only) */
#define MIME7BIT_DEPTH_MAX	32
/* the longest reason text, with its NUL */
#define MIME7BIT_REASON_MAX	160

/*
 * worst case output octets of one mime7bit_feed of n octets: what was
 * held from earlier calls (a header field and the Content-Transfer-
 * Encoding fields, each at most MIME7BIT_FIELD_MAX), and per input octet
 * at most 24: a quoted-printable triple with its share of soft breaks is
 * under 4, but an empty part of a multipart/digest ("--b", empty line,
 * empty line: 6 octets) gains three header fields (115 octets in all)
 */
#define MIME7BIT_OUT_MAX(n) \
	(24 * (size_t)(n) + 2 * (size_t)MIME7BIT_FIELD_MAX + 4096)

struct mime7bit;

/* mime7bit_new - a converter at the start of a message; never NULL */
struct mime7bit *mime7bit_new(void);

/* mime7bit_free - release m (NULL is fine) */
void	mime7bit_free(struct mime7bit *m);

/*
 * mime7bit_feed - convert in[0..n), message bytes in the spool's form (LF
 * line ends), and append the 7-bit result (also LF line ends: the
 * dot-stuffer makes CRLF) to out.  Appends at most MIME7BIT_OUT_MAX(n).
 * State carries across calls, so any chunking gives the same output.
 * Returns 0; or -1 when the message cannot be converted (the reason is in
 * mime7bit_reason; every later call fails too), or when out is full
 * (errno from buf_append, mime7bit_reason NULL).  After -1 the output is
 * incomplete and must not be sent.
 */
int	mime7bit_feed(struct mime7bit *m, const void *in, size_t n,
	    struct buf *out);

/* mime7bit_finish - end of the message: flush; returns as mime7bit_feed */
int	mime7bit_finish(struct mime7bit *m, struct buf *out);

/*
 * mime7bit_reason - why the message cannot be converted ("8-bit header
 * field", "8-bit data in a non-text part (application/octet-stream)",
 * ...), or NULL; borrowed until mime7bit_free
 */
const char *mime7bit_reason(const struct mime7bit *m);

/* mime7bit_converted - how many parts were encoded as quoted-printable */
unsigned long mime7bit_converted(const struct mime7bit *m);

#endif
