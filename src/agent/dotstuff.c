/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dotstuff.c - spool bytes (LF line ends) to SMTP DATA wire form.
 *
 * Owns: CRLF conversion, dot-stuffing (RFC 5321 4.5.2) and the 998-octet
 * line limit (RFC 5321 4.5.3.1.6), for one message streamed in chunks.
 * Must never emit a bare CR or LF, a wire line over 1000 octets (not
 * counting a stuffed dot, as RFC 5321 4.5.3.1.6 says), or a line that
 * reads as the end-of-data marker; must give the same bytes however
 * the input is chunked (all state lives in struct dotstuff).  A header
 * line over the limit is folded before its last white space, so that
 * RFC 5322 unfolding gives back the submitted line; only a line with no
 * white space to fold at is cut and continued with an inserted space
 * (counted: the caller logs it); the rule is hfold.c's, shared with the
 * header a DSN returns.  The header line being built is held in struct
 * dotstuff (998 octets) for that.  A long body line is cut, not
 * re-encoded: it simply continues on the next line (Postfix does the
 * same; mime7bit.c re-encodes text parts when it converts anyway).
 * Callers: smtp.c and smtp_msg.c for the body and its size, their tests.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "dotstuff.h"

#define DOTSTUFF_STAGE	4096	/* local staging before buf_append */

/* dotstuff_init - a new message */
void
dotstuff_init(struct dotstuff *ds)
{
	memset(ds, 0, sizeof(*ds));
	ds->in_header = true;
	hfold_init(&ds->hf, "\r\n");
}

/* dotstuff_has_8bit - any byte with the high bit, eight bytes at a time */
bool
dotstuff_has_8bit(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 w, acc = 0;
	size_t			 i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		acc |= w;
		if ((i & 4095) == 4088 && (acc & UINT64_C(0x8080808080808080)))
			return true;
	}
	for (; i < n; i++)
		acc |= s[i];
	return (acc & UINT64_C(0x8080808080808080)) != 0;
}

struct dotstuff_out {
	struct buf	*buf;
	char		 stage[DOTSTUFF_STAGE];
	size_t		 n;
	int		 err;
};

/* dotstuff_put - stage bytes, flushing to the buf when full */
static void
dotstuff_put(struct dotstuff_out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->n + n > sizeof(o->stage)) {
		if (buf_append(o->buf, o->stage, o->n) == -1) {
			o->err = -1;
			return;
		}
		o->n = 0;
		/* a long run goes straight to the buf */
		if (n > sizeof(o->stage)) {
			if (buf_append(o->buf, s, n) == -1)
				o->err = -1;
			return;
		}
	}
	memcpy(o->stage + o->n, s, n);
	o->n += n;
}

/* dotstuff_hout - hfold's output: staged like the rest */
static void
dotstuff_hout(void *ctx, const char *p, size_t n)
{
	dotstuff_put(ctx, p, n);
}

/* dotstuff_hput - header content through the folder */
static void
dotstuff_hput(struct dotstuff *ds, struct dotstuff_out *o, const char *p,
    size_t n)
{
	hfold_put(&ds->hf, p, n, dotstuff_hout, o);
	ds->col = ds->hf.len;
	ds->hdr_folded = ds->hf.folded;
	ds->hdr_cut = ds->hf.cut_lines;
}

/* dotstuff_eol - end the current input line */
static void
dotstuff_eol(struct dotstuff *ds, struct dotstuff_out *o)
{
	if (ds->in_header) {
		if (ds->col == 0)
			ds->in_header = false;	/* the empty line ends it */
		else
			hfold_end(&ds->hf, dotstuff_hout, o);
	}
	dotstuff_put(o, "\r\n", 2);
	ds->col = 0;
}

/* dotstuff_byte - one content byte (neither CR nor LF) */
static void
dotstuff_byte(struct dotstuff *ds, struct dotstuff_out *o, char c)
{
	if (ds->in_header) {
		/*
		 * the stuffed dot goes out first (nothing of the line is out
		 * yet) and, RFC 5321 4.5.3.1.6, does not count on the line
		 */
		if (c == '.' && ds->col == 0) {
			dotstuff_put(o, ".", 1);
			ds->stuffed++;
		}
		dotstuff_hput(ds, o, &c, 1);
		return;
	}
	if (ds->col >= DOTSTUFF_LINE_MAX) {
		/* a body line is cut */
		dotstuff_put(o, "\r\n", 2);
		ds->col = 0;
		ds->lines_split++;
	}
	if (c == '.' && ds->col == 0) {
		/* the stuffed dot does not count (RFC 5321 4.5.3.1.6) */
		dotstuff_put(o, "..", 2);
		ds->col = 1;
		ds->stuffed++;
		return;
	}
	dotstuff_put(o, &c, 1);
	ds->col++;
}

/*
 * dotstuff_span - how many bytes from s (at most n) are plain content: no
 * CR, no LF.  memchr, because the spool holds LF-terminated lines and a CR
 * never (it is still handled, only slower).
 */
static size_t
dotstuff_span(const char *s, size_t n)
{
	const char	*lf, *cr;

	if ((lf = memchr(s, '\n', n)) != NULL)
		n = (size_t)(lf - s);
	if ((cr = memchr(s, '\r', n)) != NULL)
		n = (size_t)(cr - s);
	return n;
}

/*
 * dotstuff_feed - convert one chunk: line ends and the bytes that need a
 * decision (a dot at the start of a line, a byte past the line limit) one
 * at a time, and the runs of plain content between them in one copy
 */
int
dotstuff_feed(struct dotstuff *ds, const void *in, size_t n,
    struct buf *out)
{
	const char		*s = in, *end = s + n;
	struct dotstuff_out	 o;
	size_t			 k, room;

	o.buf = out;
	o.n = 0;
	o.err = 0;
	ds->in_bytes += n;
	if (!ds->has_8bit && dotstuff_has_8bit(in, n))
		ds->has_8bit = true;
	while (s < end && !o.err) {
		if (ds->pending_cr) {
			ds->pending_cr = false;
			dotstuff_eol(ds, &o);
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		if (*s == '\n') {
			dotstuff_eol(ds, &o);
			s++;
		} else if (*s == '\r') {
			ds->pending_cr = true;
			s++;
		} else if (ds->col >= DOTSTUFF_LINE_MAX ||
		    (*s == '.' && ds->col == 0)) {
			dotstuff_byte(ds, &o, *s);
			s++;
		} else {
			room = DOTSTUFF_LINE_MAX - ds->col;
			k = dotstuff_span(s, (size_t)(end - s) < room ?
			    (size_t)(end - s) : room);
			if (ds->in_header)
				dotstuff_hput(ds, &o, s, k);
			else {
				dotstuff_put(&o, s, k);
				ds->col += k;
			}
			s += k;
		}
	}
	if (!o.err && o.n > 0 && buf_append(out, o.stage, o.n) == -1)
		o.err = -1;
	return o.err;
}

/* dotstuff_finish - terminate the last line and the data */
int
dotstuff_finish(struct dotstuff *ds, struct buf *out)
{
	struct dotstuff_out	o;

	o.buf = out;
	o.n = 0;
	o.err = 0;
	if (ds->pending_cr || ds->col > 0) {
		ds->pending_cr = false;
		dotstuff_eol(ds, &o);
	}
	dotstuff_put(&o, ".\r\n", 3);
	if (!o.err && buf_append(out, o.stage, o.n) == -1)
		o.err = -1;
	return o.err;
}
