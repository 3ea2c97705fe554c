/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dotstuff.h - spool message bytes to SMTP DATA wire form (RFC 5321
 * 4.5.2 transparency, 4.5.3.1.6 line length), streamed in chunks of any
 * size.  The one place where CRLF conversion and dot-stuffing happen.
 */
#ifndef POSTERN_DOTSTUFF_H
#define POSTERN_DOTSTUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hfold.h"

/*
 * RFC 5321 4.5.3.1.6: 1000 octets with CRLF, so 998 before it, "not
 * counting the leading dot duplicated for transparency"
 */
#define DOTSTUFF_LINE_MAX	HFOLD_LINE_MAX

/*
 * worst case output octets for n input octets (see dotstuff_feed): the
 * held header line (at most DOTSTUFF_LINE_MAX) can leave with any call
 */
#define DOTSTUFF_OUT_MAX(n)	(4 * (size_t)(n) + DOTSTUFF_LINE_MAX + 3)
/* dotstuff_finish appends at most this much */
#define DOTSTUFF_FINISH_MAX	(DOTSTUFF_LINE_MAX + 5)

struct dotstuff {
	size_t	 col;		/* wire octets on the current line */
	bool	 in_header;	/* still before the first empty line */
	bool	 pending_cr;	/* last input byte was CR */
	bool	 has_8bit;	/* a byte >= 0x80 was seen */
	uint64_t lines_split;	/* body lines cut at DOTSTUFF_LINE_MAX */
	uint64_t hdr_folded;	/* header lines folded at white space */
	uint64_t hdr_cut;	/* header lines cut where no WSP was:
				   a space was inserted (changes the
				   field's value; logged) */
	uint64_t stuffed;	/* dots doubled (not in RFC 1870 SIZE) */
	uint64_t in_bytes;	/* input octets seen */
	/* the header line being built (its stuffed dot already sent);
	   col == hf.len there */
	struct hfold hf;
};

/* dotstuff_init - start a message: header section, beginning of line */
void	dotstuff_init(struct dotstuff *);

/*
 * dotstuff_feed - convert in[0..n) and append it to out: LF becomes CRLF;
 * a '.' that starts a wire line is doubled.  A body line over
 * DOTSTUFF_LINE_MAX octets (the doubled dot not counted) is cut with
 * CRLF (counted in
 * lines_split).  In the header section (before the first empty line) a
 * line over the limit is folded (RFC 5322 2.2.3) before its last white
 * space (SP or HTAB) that has a non-white octet before it, so unfolding
 * (removing the CRLF) restores the submitted line exactly (hdr_folded);
 * only a line with no such white space is cut with CRLF SP, a space the
 * sender never wrote (hdr_cut counts those lines: the caller logs them).
 * A CR before LF is dropped (CRLF input is tolerated); a lone CR, which
 * the spool never holds, becomes a line end too, so the wire never
 * carries a bare CR or LF.  State carries across calls, so any chunking
 * of the same input yields the same output.  Appends at most
 * DOTSTUFF_OUT_MAX(n) octets.  Returns 0, or -1 (errno from buf_append)
 * when out is full; the state and out are then undefined for this
 * message, which the caller must abandon.
 */
int	dotstuff_feed(struct dotstuff *ds, const void *in, size_t n,
	    struct buf *out);

/*
 * dotstuff_finish - end the message: terminate an unterminated last line
 * with CRLF and append ".\r\n" (an empty body gives just ".\r\n").
 * Returns 0 or -1 as dotstuff_feed.
 */
int	dotstuff_finish(struct dotstuff *ds, struct buf *out);

/* dotstuff_has_8bit - true when p[0..n) holds a byte >= 0x80 */
bool	dotstuff_has_8bit(const void *p, size_t n);

#endif
