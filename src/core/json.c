/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.c - the JSON string escaper and the UTF-8 validator behind it.
 *
 * Everything a postern program prints as JSON that came from outside
 * (addresses, server replies, headers, relay names) passes through
 * json_str: a hostile byte can never break the document nor make it
 * invalid UTF-8.  Must never allocate, log or exit: the caller's buffer
 * holds the output and its limit.
 * RFCs: 8259 (JSON), 3629 (UTF-8: overlongs and surrogates are invalid).
 */
#include "config.h"

#include <string.h>

#include "json.h"

/* json_utf8 - one valid UTF-8 sequence at p[0..n), or 0 */
size_t
json_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t	c, min;
	size_t		len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* json_escape - append the escape of cp (a character JSON must escape) */
static int
json_escape(struct buf *out, uint32_t cp)
{
	switch (cp) {
	case '"':
		return buf_puts(out, "\\\"");
	case '\\':
		return buf_puts(out, "\\\\");
	case '\n':
		return buf_puts(out, "\\n");
	case '\t':
		return buf_puts(out, "\\t");
	case '\r':
		return buf_puts(out, "\\r");
	case '\b':
		return buf_puts(out, "\\b");
	case '\f':
		return buf_puts(out, "\\f");
	default:
		return buf_printf(out, "\\u%04x", (unsigned)cp);
	}
}

/* json_str - a JSON string literal that is always valid UTF-8 */
int
json_str(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 start = out->len, n, len, run;
	uint32_t	 cp;
	int		 rc = -1;

	if (s == NULL)
		return buf_puts(out, "null");
	n = strlen(s);
	if (buf_putc(out, '"') == -1)
		goto out;
	while (n > 0) {
		/* the common case: a run of plain printable ASCII */
		for (run = 0; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > 0) {
			if (buf_append(out, p, run) == -1)
				goto out;
			p += run;
			n -= run;
			continue;
		}
		if ((len = json_utf8(p, n, &cp)) == 0) {
			if (buf_puts(out, "\xef\xbf\xbd") == -1) /* U+FFFD */
				goto out;
			len = 1;
		} else if (cp == '"' || cp == '\\' || cp < 0x20 ||
		    cp == 0x7f || cp == 0x2028 || cp == 0x2029) {
			if (json_escape(out, cp) == -1)
				goto out;
		} else if (buf_append(out, p, len) == -1)
			goto out;
		p += len;
		n -= len;
	}
	rc = buf_putc(out, '"');
out:
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}
