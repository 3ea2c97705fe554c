/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.c - formatting for the queue tools: JSON strings, terminal-safe
 * text, ages, id arguments, and the relay state lines the agent writes.
 *
 * Everything printed by `postern queue`, `show` and `failed` that came
 * from outside (addresses, server replies, headers) passes through
 * queuefmt_json_str or queuefmt_text: a hostile address or reply can
 * neither break the JSON document nor send escape sequences to an
 * administrator's terminal.  Pure functions: no I/O, no logging, no exit.
 * RFCs: 8259 (JSON), 3629 (UTF-8: overlongs and surrogates are invalid).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queuefmt.h"
#include "util.h"

#define QUEUEFMT_NUM_MAX	20	/* digits of a uint64_t */

/*
 * queuefmt_utf8 - length (1-4) of the valid UTF-8 sequence at p[0..n),
 * with its code point in *cp, or 0 when the bytes there are not valid
 * (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut).
 */
static size_t
queuefmt_utf8(const unsigned char *p, size_t n, uint32_t *cp)
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

/* queuefmt_json_str - a JSON string literal that is always valid UTF-8 */
int
queuefmt_json_str(struct buf *out, const char *s)
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
		len = queuefmt_utf8(p, n, &cp);
		if (len == 0) {
			if (buf_puts(out, "\xef\xbf\xbd") == -1)	/* U+FFFD */
				goto out;
			p++;
			n--;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			if (buf_putc(out, '\\') == -1 ||
			    buf_putc(out, (int)cp) == -1)
				goto out;
		} else if (cp == '\n' || cp == '\t' || cp == '\r' ||
		    cp == '\b' || cp == '\f') {
			if (buf_putc(out, '\\') == -1 || buf_putc(out,
			    cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ?
			    'r' : cp == '\b' ? 'b' : 'f') == -1)
				goto out;
		} else if (cp < 0x20 || cp == 0x7f || cp == 0x2028 ||
		    cp == 0x2029) {
			if (buf_printf(out, "\\u%04x", (unsigned)cp) == -1)
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

/* queuefmt_text - printable UTF-8 kept, everything else '?' */
int
queuefmt_text(struct buf *out, const char *s, size_t n, bool keep_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 start = out->len, len, run;
	uint32_t	 cp;
	int		 rc = -1;

	while (n > 0) {
		for (run = 0; run < n && p[run] >= 0x20 && p[run] < 0x7f;
		    run++)
			;
		if (run > 0) {
			if (buf_append(out, p, run) == -1)
				goto out;
			p += run;
			n -= run;
			continue;
		}
		len = queuefmt_utf8(p, n, &cp);
		if (len == 0 || (cp < 0x20 && !(cp == '\t' && keep_tab)) ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			if (buf_putc(out, '?') == -1)
				goto out;
			p += len > 0 ? len : 1;
			n -= len > 0 ? len : 1;
			continue;
		}
		if (buf_append(out, p, len) == -1)
			goto out;
		p += len;
		n -= len;
	}
	rc = 0;
out:
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

/* queuefmt_age - two units at most */
char *
queuefmt_age(uint64_t s, char *out, size_t outsize)
{
	if (s < 60)
		snprintf(out, outsize, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, outsize, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(out, outsize, "%lluh%02llum",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, outsize, "%llud%02lluh",
		    (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
	return out;
}

/* queuefmt_id_arg - full id or prefix, upper-cased */
int
queuefmt_id_arg(const char *arg, char *out)
{
	size_t	n = strlen(arg), i;

	if (n < QUEUEFMT_PREFIX_MIN || n > QID_LEN) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = arg[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
			errno = EINVAL;
			return -1;
		}
		out[i] = c;
	}
	out[n] = '\0';
	return n == QID_LEN ? 1 : 0;
}

/* queuefmt_num - strict decimal field of a relay line */
static int
queuefmt_num(const char *s, size_t n, uint64_t *v)
{
	char	tmp[QUEUEFMT_NUM_MAX + 1];

	if (n == 0 || n > QUEUEFMT_NUM_MAX || strspn(s, "0123456789") < n)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_uint(tmp, 0, UINT64_MAX, v);
}

/* queuefmt_relay_parse - "NAME up" | "NAME down SINCE NEXT FAILURES WHY" */
int
queuefmt_relay_parse(const char *line, struct queuefmt_relay *r)
{
	const char	*sp, *p;
	uint64_t	*v[3];
	size_t		 i, n;

	memset(r, 0, sizeof(*r));
	if ((sp = strchr(line, ' ')) == NULL || sp == line ||
	    (size_t)(sp - line) >= sizeof(r->name))
		goto bad;
	for (p = line; p < sp; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			goto bad;
	memcpy(r->name, line, (size_t)(sp - line));
	p = sp + 1;
	if (strcmp(p, "up") == 0)
		return 0;
	if (strncmp(p, "down ", 5) != 0)
		goto bad;
	p += 5;
	r->down = true;
	v[0] = &r->down_since;
	v[1] = &r->next_try;
	v[2] = &r->failures;
	for (i = 0; i < 3; i++) {
		if ((sp = strchr(p, ' ')) == NULL)
			goto bad;
		if (queuefmt_num(p, (size_t)(sp - p), v[i]) == -1)
			goto bad;
		p = sp + 1;
	}
	n = strlen(p);
	if (n > QUEUEFMT_RELAY_REASON_MAX)
		n = QUEUEFMT_RELAY_REASON_MAX;
	memcpy(r->reason, p, n);
	r->reason[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)r->reason[i] < 0x20 || r->reason[i] == 0x7f)
			r->reason[i] = '?';
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
