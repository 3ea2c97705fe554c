/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce_write.c - the output of the DSN generator: pending bytes handed
 * to the caller's writer in chunks of at most BOUNCE_OUT_CHUNK, template
 * lines, and folded fields and text.
 *
 * Every line it generates is at most BOUNCE_LINE_MAX octets, and none
 * starts with "--" (a space goes in front), so nothing generated can be
 * read as a boundary whatever the boundary is.  The first failure is
 * sticky (g->werr) and every later call does nothing.  Never reads the
 * original, never decides what the report says.  RFC 5322 2.1.1, 2.2.3.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bounce_int.h"
#include "buf.h"

/* bounce_fail - record the first error: errno value and a message */
__attribute__((format(printf, 3, 4)))
void
bounce_fail(struct buf *err, int e, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL) {
		va_start(ap, fmt);
		buf_vnote(err, fmt, ap);
		va_end(ap);
	}
	errno = e;
}

/* bounce_flush - hand the pending output to the writer */
int
bounce_flush(struct bounce_gen *g)
{
	if (g->werr != 0)
		return -1;
	if (g->out.len > 0) {
		if (g->write_fn(g->ctx, g->out.data, g->out.len) == -1) {
			g->werr = errno != 0 ? errno : EIO;
			return -1;
		}
		buf_reset(&g->out);
	}
	return 0;
}

/* bounce_out - queue n bytes of output, flushing in bounded chunks */
void
bounce_out(struct bounce_gen *g, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 take;

	while (n > 0 && g->werr == 0) {
		take = BOUNCE_OUT_CHUNK - g->out.len;
		if (take > n)
			take = n;
		if (buf_append(&g->out, s, take) == -1) {
			g->werr = errno;
			return;
		}
		s += take;
		n -= take;
		if (g->out.len == BOUNCE_OUT_CHUNK)
			(void)bounce_flush(g);
	}
}

/* bounce_puts - queue a C string */
void
bounce_puts(struct bounce_gen *g, const char *s)
{
	bounce_out(g, s, strlen(s));
}

/* bounce_printf - queue one formatted line of trusted template text */
__attribute__((format(printf, 2, 3)))
void
bounce_printf(struct bounce_gen *g, const char *fmt, ...)
{
	char	tmp[BOUNCE_FMT_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (g->werr == 0)
			g->werr = EOVERFLOW;
		return;
	}
	bounce_out(g, tmp, (size_t)n);
}

/*
 * bounce_line - queue one generated line and its LF.  A line that begins
 * with "--" gets a space in front, so nothing we generate can ever be
 * read as a boundary delimiter, whatever the boundary is.
 */
static void
bounce_line(struct bounce_gen *g, const char *s, size_t n)
{
	if (n >= 2 && s[0] == '-' && s[1] == '-')
		bounce_out(g, " ", 1);
	bounce_out(g, s, n);
	bounce_out(g, "\n", 1);
}

/*
 * bounce_fold - queue text as lines of at most width octets where words
 * allow, first line starting with first, the others with cont.  A word
 * that cannot fit in a line is cut (folding needs white space; the cut
 * adds one on unfolding).  Lines stop one octet short of BOUNCE_LINE_MAX
 * so that bounce_line's guard space still fits.  text holds single spaces.
 */
void
bounce_fold(struct bounce_gen *g, const char *first, const char *cont,
    const char *text, size_t width)
{
	char		 line[BOUNCE_LINE_MAX + 1];
	size_t		 len, plen, wlen, take;
	const char	*w, *e;
	bool		 has_word = false;

	len = strlen(first);
	memcpy(line, first, len);
	plen = strlen(cont);
	for (w = text; *w != '\0'; w = e) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		for (e = w; *e != '\0' && *e != ' '; e++)
			;
		wlen = (size_t)(e - w);
		if (has_word && len + 1 + wlen > width) {
			bounce_line(g, line, len);
			memcpy(line, cont, plen);
			len = plen;
			has_word = false;
		}
		if (has_word)
			line[len++] = ' ';
		while (len + wlen > BOUNCE_LINE_MAX - 1) {
			take = BOUNCE_LINE_MAX - 1 - len;
			memcpy(line + len, w, take);
			bounce_line(g, line, BOUNCE_LINE_MAX - 1);
			w += take;
			wlen -= take;
			memcpy(line, cont, plen);
			len = plen;
		}
		memcpy(line + len, w, wlen);
		len += wlen;
		has_word = true;
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	bounce_line(g, line, len);
}

/* bounce_field - queue "Name: value" folded at BOUNCE_FOLD_WIDTH */
void
bounce_field(struct bounce_gen *g, const char *name, const char *value)
{
	char	first[64];

	if (snprintf(first, sizeof(first), "%s: ", name) >=
	    (int)sizeof(first)) {
		g->werr = EOVERFLOW;
		return;
	}
	bounce_fold(g, first, " ", value, BOUNCE_FOLD_WIDTH);
}
