/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsoncheck.h - an independent checker of json_str's output, shared by
 * tests/unit/json.c and tests/fuzz/json.c: the output is one JSON string
 * literal (RFC 8259 grammar), valid UTF-8, with no raw control character,
 * DEL, U+2028 or U+2029, and it decodes to the input with every byte of
 * an ill-formed sequence replaced by U+FFFD.  The UTF-8 rules here follow
 * the table of well-formed byte sequences (Unicode 3.9, table 3-7), not
 * json_utf8's decode-and-range-check, so the two check each other.
 * Test code only: never linked into a program.
 */
#ifndef POSTERN_JSONCHECK_H
#define POSTERN_JSONCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

/* jsoncheck_seq - length of the well-formed sequence at p[0..n), or 0 */
static size_t
jsoncheck_seq(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* jsoncheck_put - code point cp as UTF-8 */
static int
jsoncheck_put(struct buf *b, uint32_t cp)
{
	unsigned char	u[4];
	size_t		n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	return buf_append(b, u, n);
}

/* jsoncheck_hex4 - four hex digits at p, or -1 */
static long
jsoncheck_hex4(const unsigned char *p)
{
	long	v = 0;
	int	i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* jsoncheck_escape - the escape at p[0..n) (p[0] is '\\') into dec */
static size_t
jsoncheck_escape(const unsigned char *p, size_t n, struct buf *dec)
{
	static const char	from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*k;
	long			 v;

	if (n < 2)
		return 0;
	if (p[1] != 'u') {
		if ((k = strchr(from, p[1])) == NULL || p[1] == '\0')
			return 0;
		return buf_putc(dec, to[k - from]) == 0 ? 2 : 0;
	}
	/* json_str never needs a surrogate pair: it is refused here */
	if (n < 6 || (v = jsoncheck_hex4(p + 2)) < 0 ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return jsoncheck_put(dec, (uint32_t)v) == 0 ? 6 : 0;
}

/*
 * jsoncheck - NULL when out[0..outlen) is what json_str must make of
 * in[0..inlen), else what is wrong
 */
static const char *
jsoncheck(const char *in, size_t inlen, const char *out, size_t outlen)
{
	const unsigned char	*p = (const unsigned char *)out, *end;
	const unsigned char	*q = (const unsigned char *)in;
	struct buf		 dec, want;
	const char		*why = NULL;
	size_t			 n, i;

	if (outlen < 2 || p[0] != '"' || p[outlen - 1] != '"')
		return "not a quoted literal";
	buf_init(&dec, outlen * 3 + 16);
	buf_init(&want, inlen * 3 + 16);
	end = p + outlen - 1;
	for (p++; p < end && why == NULL; p += n) {
		if (*p < 0x20 || *p == 0x7f)
			why = "raw control character";
		else if (*p == '"')
			why = "unescaped quote";
		else if (*p == '\\') {
			if ((n = jsoncheck_escape(p, (size_t)(end - p),
			    &dec)) == 0)
				why = "bad escape";
			continue;
		} else if ((n = jsoncheck_seq(p, (size_t)(end - p))) == 0)
			why = "invalid UTF-8 in the output";
		else if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9))
			why = "raw U+2028 or U+2029";
		else if (buf_append(&dec, p, n) == -1)
			why = "decode buffer full";
		if (why != NULL)
			n = 1;
	}
	for (i = 0; i < inlen && why == NULL; i += n) {
		if ((n = jsoncheck_seq(q + i, inlen - i)) == 0) {
			n = 1;
			if (buf_puts(&want, "\xef\xbf\xbd") == -1)
				why = "expectation buffer full";
		} else if (buf_append(&want, q + i, n) == -1)
			why = "expectation buffer full";
	}
	if (why == NULL && (dec.len != want.len ||
	    memcmp(buf_cstr(&dec), buf_cstr(&want), dec.len) != 0))
		why = "does not decode to the input";
	buf_free(&dec);
	buf_free(&want);
	return why;
}

#endif
