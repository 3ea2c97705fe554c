/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.c - unit tests for src/core/json.c: json_str on a table of
 * inputs (every control character, the UTF-8 boundaries, invalid bytes,
 * overlongs, surrogates, 4-byte and truncated sequences), json_utf8's
 * lengths and code points, and every 1- and 2-byte input plus a sample of
 * random ones against the independent checker of jsoncheck.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jsoncheck.h"
#include "tap.h"

#define FFFD	"\xef\xbf\xbd"

struct json_case {
	const char	*in;
	const char	*want;		/* with the quotes */
	const char	*what;
};

static const struct json_case json_cases[] = {
	{ "", "\"\"", "empty" },
	{ "a@b.example", "\"a@b.example\"", "plain ASCII" },
	{ "\"x\"\\y", "\"\\\"x\\\"\\\\y\"", "quote and backslash" },
	{ "/", "\"/\"", "solidus not escaped" },
	{ "a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"", "short escapes" },
	{ "\x7f", "\"\\u007f\"", "DEL" },
	{ " ~", "\" ~\"", "first and last printable ASCII" },
	/* 2-byte boundaries */
	{ "\xc2\x80", "\"\xc2\x80\"", "U+0080, first 2-byte (C1 is valid)" },
	{ "\xc2\x9b", "\"\xc2\x9b\"", "C1 CSI kept: valid JSON" },
	{ "\xdf\xbf", "\"\xdf\xbf\"", "U+07FF, last 2-byte" },
	{ "\xc3\xb6", "\"\xc3\xb6\"", "o umlaut" },
	/* 3-byte boundaries */
	{ "\xe0\xa0\x80", "\"\xe0\xa0\x80\"", "U+0800, first 3-byte" },
	{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"", "U+D7FF, before the surrogates" },
	{ "\xee\x80\x80", "\"\xee\x80\x80\"", "U+E000, after the surrogates" },
	{ "\xef\xbf\xbd", "\"" FFFD "\"", "U+FFFD itself kept" },
	{ "\xef\xbf\xbf", "\"\xef\xbf\xbf\"", "U+FFFF, last 3-byte" },
	{ "\xe2\x80\xa7", "\"\xe2\x80\xa7\"", "U+2027 kept" },
	{ "\xe2\x80\xa8", "\"\\u2028\"", "U+2028 escaped" },
	{ "\xe2\x80\xa9", "\"\\u2029\"", "U+2029 escaped" },
	{ "\xe2\x80\xaa", "\"\xe2\x80\xaa\"", "U+202A kept" },
	/* 4-byte */
	{ "\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"", "U+10000, first 4-byte" },
	{ "\xf0\x9f\x93\xa7", "\"\xf0\x9f\x93\xa7\"", "emoji" },
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF, the last" },
	{ "\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"",
	    "U+110000 refused bytewise" },
	/* invalid lead bytes and stray continuations */
	{ "a\xffz", "\"a" FFFD "z\"", "0xff" },
	{ "\xfe", "\"" FFFD "\"", "0xfe" },
	{ "\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", "0xf5 lead" },
	{ "\xf8\x88\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD FFFD "\"",
	    "5-byte form" },
	{ "\x80", "\"" FFFD "\"", "stray continuation 0x80" },
	{ "\xbf", "\"" FFFD "\"", "stray continuation 0xbf" },
	{ "\xc3\xb6\xb6", "\"\xc3\xb6" FFFD "\"", "one continuation too many" },
	/* overlongs */
	{ "\xc0\xaf", "\"" FFFD FFFD "\"", "overlong '/' (2 bytes)" },
	{ "\xc1\xbf", "\"" FFFD FFFD "\"", "overlong U+007F" },
	{ "\xc0\x80", "\"" FFFD FFFD "\"", "overlong NUL" },
	{ "\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"", "overlong '/' (3 bytes)" },
	{ "\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"", "overlong U+07FF" },
	{ "\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"",
	    "overlong '/' (4 bytes)" },
	{ "\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"",
	    "overlong U+FFFF" },
	/* surrogates */
	{ "\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"", "U+D800" },
	{ "\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"", "U+DFFF" },
	{ "\xed\xa0\xbd\xed\xb2\xa9", "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\"",
	    "a CESU-8 surrogate pair" },
	/* truncated */
	{ "\xc3", "\"" FFFD "\"", "2-byte cut at the end" },
	{ "\xe2\x82", "\"" FFFD FFFD "\"", "3-byte cut at the end" },
	{ "\xf0\x9f\x93", "\"" FFFD FFFD FFFD "\"", "4-byte cut at the end" },
	{ "\xe2\x82x", "\"" FFFD FFFD "x\"", "3-byte cut by ASCII" },
	{ "\xf0\x9f\x93\n", "\"" FFFD FFFD FFFD "\\n\"",
	    "4-byte cut by a control" },
	{ "\xc3\"", "\"" FFFD "\\\"\"", "2-byte cut by a quote" },
};

/* json - the literal for s, in a static buffer */
static const char *
json(const char *s)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (json_str(&b, s) == -1)
		return "(error)";
	return buf_cstr(&b);
}

/* test_table - every row of json_cases, and the checker agrees */
static void
test_table(void)
{
	const struct json_case	*c;
	const char		*got, *why;
	size_t			 i;

	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		c = &json_cases[i];
		got = json(c->in);
		is_str(got, c->want, c->what);
		why = jsoncheck(c->in, strlen(c->in), got, strlen(got));
		ok(why == NULL, "checker agrees: %s%s%s", c->what,
		    why != NULL ? ": " : "", why != NULL ? why : "");
	}
}

/* test_controls - every control character, 0x01 to 0x1f */
static void
test_controls(void)
{
	char	in[2], want[16];
	int	c, bad = 0;

	for (c = 0x01; c < 0x20; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		switch (c) {
		case '\b': snprintf(want, sizeof(want), "\"\\b\""); break;
		case '\t': snprintf(want, sizeof(want), "\"\\t\""); break;
		case '\n': snprintf(want, sizeof(want), "\"\\n\""); break;
		case '\f': snprintf(want, sizeof(want), "\"\\f\""); break;
		case '\r': snprintf(want, sizeof(want), "\"\\r\""); break;
		default:
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
			break;
		}
		if (strcmp(json(in), want) != 0) {
			diag("0x%02x: got %s, want %s", c, json(in), want);
			bad++;
		}
	}
	ok(bad == 0, "every control character 0x01-0x1f escaped");
}

/* test_utf8 - json_utf8's lengths and code points at the boundaries */
static void
test_utf8(void)
{
	static const struct {
		const char	*in;
		size_t		 n, len;
		uint32_t	 cp;
	} t[] = {
		{ "A", 1, 1, 0x41 },
		{ "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xf4\x8f\xbf\xbf", 3, 0, 0 },	/* n cuts it */
		{ "\xc2\x80", 1, 0, 0 },
		{ "\xc1\xbf", 2, 0, 0 },
		{ "\xed\xa0\x80", 3, 0, 0 },
		{ "\xf4\x90\x80\x80", 4, 0, 0 },
		{ "\x80", 1, 0, 0 },
	};
	uint32_t	cp;
	size_t		i, len;
	int		bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cp = 0xdeadbeef;
		len = json_utf8((const unsigned char *)t[i].in, t[i].n, &cp);
		if (len != t[i].len || (len > 0 && cp != t[i].cp)) {
			diag("row %zu: len %zu cp %#x", i, len, (unsigned)cp);
			bad++;
		}
	}
	ok(bad == 0, "json_utf8: lengths and code points at the boundaries");
}

/* test_exhaustive - every 1- and 2-byte input and random longer ones */
static void
test_exhaustive(void)
{
	unsigned char	in[9];
	const char	*why = NULL, *got;
	unsigned	a, b, seed = 1;
	size_t		i, k;
	int		bad = 0;

	for (a = 1; a < 256 && bad < 5; a++)
		for (b = 0; b < 256 && bad < 5; b++) {
			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			in[2] = '\0';
			got = json((const char *)in);
			if ((why = jsoncheck((const char *)in,
			    strlen((const char *)in), got, strlen(got))) !=
			    NULL) {
				diag("%02x %02x: %s", a, b, why);
				bad++;
			}
		}
	for (i = 0; i < 200000 && bad < 5; i++) {
		for (k = 0; k < 8; k++) {
			seed = seed * 1103515245 + 12345;
			/* mostly high bytes: where the UTF-8 cases are */
			in[k] = (unsigned char)((seed >> 16) % 255 + 1);
			if ((seed >> 8) % 4 != 0)
				in[k] |= 0x80;
		}
		in[8] = '\0';
		got = json((const char *)in);
		if ((why = jsoncheck((const char *)in, 8, got,
		    strlen(got))) != NULL) {
			diag("random %zu: %s", i, why);
			bad++;
		}
	}
	ok(bad == 0, "every 1- and 2-byte input and 200000 random 8-byte "
	    "ones pass the independent checker");
}

/* main - the table, the controls, json_utf8, the checker, the limits */
int
main(void)
{
	struct buf	b;

	test_table();
	test_controls();
	test_utf8();
	test_exhaustive();
	is_str(json(NULL), "null", "NULL is the literal null");
	buf_init(&b, 4);
	FIXTURE(buf_puts(&b, "ab"));
	ok(json_str(&b, "cdef") == -1 && b.len == 2 &&
	    memcmp(b.data, "ab", 2) == 0,
	    "a full buffer fails and leaves the contents as they were");
	buf_free(&b);
	buf_init(&b, 7);
	ok(json_str(&b, "\xe2\x80\xa8") == -1 && b.len == 0,
	    "an escape that does not fit (8 bytes in 7) fails cleanly");
	buf_free(&b);
	buf_init(&b, 8);
	ok(json_str(&b, "\xe2\x80\xa8") == 0 && b.len == 8,
	    "the same literal just fits in 8");
	buf_free(&b);
	done_testing();
}
