/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hfold.c - fold header lines over 998 octets at white space.
 *
 * Owns the folding rule of doc/input.md "On the wire": fold before the
 * last white space that follows a non-white octet, so that RFC 5322
 * unfolding gives back exactly the submitted line; insert a space only in
 * a line with no white space to fold at.  Holds one output line (998
 * octets) and nothing else; never allocates, never emits a line over the
 * limit, never a line that is empty or all white space from a fold.
 * Callers: dotstuff.c (the wire), bounce_walk.c (the header a DSN
 * returns).
 */
#include "config.h"

#include <string.h>

#include "hfold.h"

/* hfold_init - empty line */
void
hfold_init(struct hfold *h, const char *eol)
{
	memset(h, 0, sizeof(*h));
	h->eol = eol;
	h->eol_len = strlen(eol);
}

/* hfold_is_wsp - RFC 5234 WSP */
static bool
hfold_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * hfold_fold - the held line is full and c comes next: send the line up
 * to its last white space that follows a non-white octet (c itself when
 * it is white) and keep the rest, which starts with that white space;
 * with no such white space, send it all and continue with a space
 */
static void
hfold_fold(struct hfold *h, char c, hfold_out_fn *out, void *ctx)
{
	size_t	p, first = 0;

	while (first < h->len && hfold_is_wsp(h->line[first]))
		first++;
	if (hfold_is_wsp(c) && first < h->len)
		p = h->len + 1;		/* fold before c */
	else
		for (p = h->len; p > first + 1; p--)
			if (hfold_is_wsp(h->line[p - 1]))
				break;
	if (p > first + 1) {
		p--;		/* fold before line[p] */
		out(ctx, h->line, p);
		out(ctx, h->eol, h->eol_len);
		memmove(h->line, h->line + p, h->len - p);
		h->len -= p;
		h->folded++;
		return;
	}
	out(ctx, h->line, h->len);
	out(ctx, h->eol, h->eol_len);
	h->line[0] = ' ';
	h->len = 1;
	if (!h->cut)
		h->cut_lines++;
	h->cut = true;
}

/* hfold_put - content octets, folded when the line is full */
void
hfold_put(struct hfold *h, const char *p, size_t n, hfold_out_fn *out,
    void *ctx)
{
	size_t	k;

	while (n > 0) {
		if (h->len >= HFOLD_LINE_MAX)
			hfold_fold(h, *p, out, ctx);
		/* a fold leaves at most HFOLD_LINE_MAX - 1 octets held */
		k = HFOLD_LINE_MAX - h->len < n ? HFOLD_LINE_MAX - h->len : n;
		memcpy(h->line + h->len, p, k);
		h->len += k;
		p += k;
		n -= k;
	}
}

/* hfold_end - send the held line; a new line starts */
void
hfold_end(struct hfold *h, hfold_out_fn *out, void *ctx)
{
	if (h->len > 0)
		out(ctx, h->line, h->len);
	h->len = 0;
	h->cut = false;
}
