/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dotstuff.c - spool bytes (LF line ends) to SMTP DATA wire form.
 *
 * Owns: CRLF conversion, dot-stuffing (RFC 5321 4.5.2) and the 998-octet
 * line limit (RFC 5321 4.5.3.1.6), for one message streamed in chunks.
 * Must never emit a bare CR or LF, a wire line over 1000 octets, or a line
 * that reads as the end-of-data marker; must give the same bytes however
 * the input is chunked (all state lives in struct dotstuff).  Long lines
 * are cut, not re-encoded: a cut header line continues with a space so it
 * stays one folded header; a cut body line simply continues on the next
 * line (Postfix does the same).  Callers: smtp.c for the body, its tests.
 */
#include "config.h"

#include <string.h>

#include "dotstuff.h"

#define DOTSTUFF_STAGE	512	/* local staging before buf_append */

/* dotstuff_init - a new message */
void
dotstuff_init(struct dotstuff *ds)
{
	memset(ds, 0, sizeof(*ds));
	ds->in_header = true;
}

/* dotstuff_has_8bit - any byte with the high bit */
bool
dotstuff_has_8bit(const void *p, size_t n)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (s[i] & 0x80)
			return true;
	return false;
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
	}
	memcpy(o->stage + o->n, s, n);
	o->n += n;
}

/* dotstuff_eol - end the current input line */
static void
dotstuff_eol(struct dotstuff *ds, struct dotstuff_out *o)
{
	if (ds->col == 0 && ds->in_header)
		ds->in_header = false;	/* the empty line ends the header */
	dotstuff_put(o, "\r\n", 2);
	ds->col = 0;
}

/* dotstuff_byte - one content byte (neither CR nor LF) */
static void
dotstuff_byte(struct dotstuff *ds, struct dotstuff_out *o, char c)
{
	if (ds->col >= DOTSTUFF_LINE_MAX) {
		/* cut: in the header, fold with a leading space */
		dotstuff_put(o, "\r\n", 2);
		ds->col = 0;
		ds->lines_split++;
		if (ds->in_header) {
			dotstuff_put(o, " ", 1);
			ds->col = 1;
		}
	}
	if (c == '.' && ds->col == 0) {
		dotstuff_put(o, "..", 2);
		ds->col = 2;
		return;
	}
	dotstuff_put(o, &c, 1);
	ds->col++;
}

/* dotstuff_feed - convert one chunk */
int
dotstuff_feed(struct dotstuff *ds, const void *in, size_t n,
    struct buf *out)
{
	const char		*s = in;
	struct dotstuff_out	 o;
	size_t			 i;

	o.buf = out;
	o.n = 0;
	o.err = 0;
	ds->in_bytes += n;
	for (i = 0; i < n && !o.err; i++) {
		char	c = s[i];

		if ((unsigned char)c & 0x80)
			ds->has_8bit = true;
		if (ds->pending_cr) {
			ds->pending_cr = false;
			dotstuff_eol(ds, &o);
			if (c == '\n')
				continue;
		}
		if (c == '\n')
			dotstuff_eol(ds, &o);
		else if (c == '\r')
			ds->pending_cr = true;
		else
			dotstuff_byte(ds, &o, c);
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
