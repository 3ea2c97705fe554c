/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply.c - incremental SMTP reply parser (RFC 5321 4.2, RFC 3463, RFC 2034).
 *
 * Owns: turning server bytes into struct reply.  Never trusts the server:
 * every line, the line count and the reply size are bounded by the named
 * constants in reply.h, a NUL or a malformed line is a protocol error, and
 * the parser keeps at most one partial line plus one reply in memory.
 * Lenient where it costs nothing: LF-only line ends are accepted, lines may
 * be longer than RFC 5321's 512 octets, and a bare "250" line (no text)
 * ends a reply.  Caller: smtp.c, which never reads sockets either; conn.c
 * feeds it what it read.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "reply.h"
#include "util.h"

/* reply_clear - empty the assembled reply */
static void
reply_clear(struct reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
	buf_reset(&r->text);
}

/* reply_init - empty parser */
void
reply_init(struct reply_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line, REPLY_LINE_MAX + 1);	/* + a CR before the LF */
	buf_init(&p->reply.text, REPLY_BYTES_MAX);
	p->status = REPLY_PARTIAL;
}

/* reply_free - release storage */
void
reply_free(struct reply_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->reply.text);
	reply_clear(&p->reply);
	p->status = REPLY_PARTIAL;
	p->reason[0] = '\0';
	p->total = 0;
}

/* reply_reset - drop partial state and errors */
void
reply_reset(struct reply_parser *p)
{
	buf_reset(&p->line);
	reply_clear(&p->reply);
	p->status = REPLY_PARTIAL;
	p->reason[0] = '\0';
	p->total = 0;
}

/* reply_fail - enter the error state */
static void
reply_fail(struct reply_parser *p, const char *reason)
{
	p->status = REPLY_ERROR;
	str_copy(p->reason, reason, sizeof(p->reason));
}

/* reply_parse_enh - recognise "C.SSS.DDD" at the start of s */
size_t
reply_parse_enh(const char *s, size_t len, int want_class,
    char enh[REPLY_ENH_MAX])
{
	size_t	i = 0, digits, part;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
		return 0;
	if (want_class != 0 && s[0] - '0' != want_class)
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (i >= len || s[i] != '.')
			return 0;
		i++;
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9';
		    i++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
	}
	if (i < len && s[i] != ' ')
		return 0;
	memcpy(enh, s, i);
	enh[i] = '\0';
	return i;
}

/* reply_line_done - check one complete line and add it to the reply */
static void
reply_line_done(struct reply_parser *p)
{
	struct reply	*r = &p->reply;
	const char	*s = p->line.data;
	size_t		 n = p->line.len;
	int		 code;
	bool		 last;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > REPLY_LINE_MAX) {
		reply_fail(p, "reply line too long");
		return;
	}
	if (n < 3) {
		reply_fail(p, "malformed reply line");
		return;
	}
	if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9') {
		reply_fail(p, "bad reply code");
		return;
	}
	if (n > 3 && s[3] != ' ' && s[3] != '-') {
		reply_fail(p, "malformed reply line");
		return;
	}
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	last = n == 3 || s[3] == ' ';
	if (r->nlines > 0 && code != r->code) {
		reply_fail(p, "reply code changed within a multi-line reply");
		return;
	}
	if (r->nlines >= REPLY_LINES_MAX) {
		reply_fail(p, "too many reply lines");
		return;
	}
	if (n > 4 && buf_append(&r->text, s + 4, n - 4) == -1) {
		reply_fail(p, "reply too long");
		return;
	}
	if (buf_putc(&r->text, '\n') == -1) {
		reply_fail(p, "reply too long");
		return;
	}
	if (r->nlines == 0) {
		r->code = code;
		if (n > 4)
			(void)reply_parse_enh(s + 4, n - 4, code / 100,
			    r->enh);
	}
	r->nlines++;
	if (last)
		p->status = REPLY_COMPLETE;
}

/* reply_feed - consume bytes up to the end of one reply */
size_t
reply_feed(struct reply_parser *p, const char *data, size_t len)
{
	size_t	i;

	if (p->status == REPLY_ERROR || len == 0)
		return 0;	/* an empty call keeps a complete reply */
	if (p->status == REPLY_COMPLETE) {
		reply_clear(&p->reply);
		p->total = 0;
		p->status = REPLY_PARTIAL;
	}
	for (i = 0; i < len; i++) {
		char	c = data[i];

		if (c == '\0') {
			reply_fail(p, "NUL byte in reply");
			return i + 1;
		}
		if (++p->total > REPLY_BYTES_MAX) {
			reply_fail(p, "reply too long");
			return i + 1;
		}
		if (c == '\n') {
			reply_line_done(p);
			buf_reset(&p->line);
			if (p->status != REPLY_PARTIAL)
				return i + 1;
			continue;
		}
		if (buf_putc(&p->line, c) == -1) {
			reply_fail(p, "reply line too long");
			return i + 1;
		}
	}
	return len;
}

/* reply_line - the i-th line */
const char *
reply_line(const struct reply *r, size_t i, size_t *len)
{
	const char	*s = r->text.data, *end, *nl;

	if (s == NULL || i >= r->nlines)
		return NULL;
	end = s + r->text.len;
	for (;;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			return NULL;
		if (i-- == 0) {
			*len = (size_t)(nl - s);
			return s;
		}
		s = nl + 1;
	}
}

/* reply_text_oneline - lines joined, sanitised, bounded */
char *
reply_text_oneline(const struct reply *r, char *out, size_t outsize)
{
	const char	*s;
	size_t		 i, j, n, len = 0, skip;
	bool		 cut = false;

	if (outsize == 0)
		return out;
	for (i = 0; !cut && (s = reply_line(r, i, &n)) != NULL; i++) {
		skip = 0;
		if (r->enh[0] != '\0') {
			skip = strlen(r->enh);
			if (n >= skip && memcmp(s, r->enh, skip) == 0 &&
			    (n == skip || s[skip] == ' '))
				skip += n > skip ? 1 : 0;
			else
				skip = 0;
		}
		if (skip >= n)
			continue;
		if (len > 0) {
			if (len + 1 >= outsize) {
				cut = true;
				break;
			}
			out[len++] = ' ';
		}
		for (j = skip; j < n; j++) {
			unsigned char c = (unsigned char)s[j];

			if (len + 1 >= outsize) {
				cut = true;
				break;
			}
			out[len++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
		}
	}
	out[len] = '\0';
	if (cut && outsize >= 4)
		memcpy(out + outsize - 4, "...", 4);
	return out;
}
