/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hfold.h - folding of header lines over the 998-octet line limit
 * (RFC 5321 4.5.3.1.6) so that RFC 5322 2.2.3 unfolding gives the line
 * back.  The one rule, shared by the agent's wire output (dotstuff.c,
 * the header section of every message) and the header section a DSN
 * returns inside its body (bounce_walk.c), where the wire code would cut it
 * like a body line.
 */
#ifndef POSTERN_HFOLD_H
#define POSTERN_HFOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.6: 1000 octets with CRLF, so 998 before it */
#define HFOLD_LINE_MAX	998

/* where the folder's output goes: n octets at p (never fails here) */
typedef void hfold_out_fn(void *ctx, const char *p, size_t n);

struct hfold {
	size_t		 len;	/* octets held: the output line so far */
	bool		 cut;	/* this line was cut without white space */
	uint64_t	 folded;	/* folds at white space */
	uint64_t	 cut_lines;	/* lines cut where no white space
					   was: a space was inserted (it
					   changes the field's value) */
	const char	*eol;	/* the line end written at a fold */
	size_t		 eol_len;
	char		 line[HFOLD_LINE_MAX];
};

/* hfold_init - a folder whose folds end lines with eol ("\r\n", "\n") */
void	hfold_init(struct hfold *, const char *eol);

/*
 * hfold_put - add n content octets (no CR, no LF) to the current line.
 * When the held line is full and another octet comes, the line is folded
 * before its last white space (SP or HTAB) that has a non-white octet
 * before it (the octet coming counts when it is white space): the part
 * before goes out with a line end, the rest stays held and starts with
 * that white space, so unfolding restores the line exactly.  A line with
 * no such white space goes out whole and continues with an inserted
 * space (counted once per line in cut_lines).  Leading white space is
 * never a fold point: that would make an empty line.
 */
void	hfold_put(struct hfold *, const char *p, size_t n, hfold_out_fn *,
	    void *ctx);

/*
 * hfold_end - the input line ends: send what is held (without a line
 * end: the caller writes its own) and start a new line
 */
void	hfold_end(struct hfold *, hfold_out_fn *, void *ctx);

#endif
