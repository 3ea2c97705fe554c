/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - unit tests for check_json_string: the JSON escaping that
 * keeps `postern check --json` valid whatever a server sends (quotes,
 * backslashes, control bytes, invalid UTF-8, overlongs, surrogates).
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "check.h"
#include "tap.h"

/* json - s escaped, as a C string (static buffer) */
static const char *
json(const char *s)
{
	static char	out[1024];
	struct buf	b;

	buf_init(&b, sizeof(out) - 1);
	if (check_json_string(&b, s) == -1) {
		buf_free(&b);
		return "(overflow)";
	}
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return out;
}

int
main(void)
{
	struct buf	b;

	is_str(json("plain text"), "\"plain text\"", "plain text");
	is_str(json(NULL), "null", "NULL is null");
	is_str(json(""), "\"\"", "empty string");
	is_str(json("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
	is_str(json("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"", "newline, CR, tab");
	is_str(json("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
	    "control bytes and DEL as \\u escapes");
	is_str(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"),
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\"",
	    "valid UTF-8 kept (2, 3 and 4 bytes)");
	is_str(json("a\xff" "b"), "\"a\\ufffdb\"", "invalid byte replaced");
	is_str(json("\xc3"), "\"\\ufffd\"", "truncated sequence at the end");
	is_str(json("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "overlong '/' refused");
	is_str(json("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "3-byte overlong refused");
	is_str(json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "UTF-16 surrogate refused");
	is_str(json("\xf4\x90\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "above U+10FFFF refused");
	is_str(json("\xe2\x82"), "\"\\ufffd\\ufffd\"",
	    "cut 3-byte sequence: each byte replaced");
	buf_init(&b, 4);
	ok(check_json_string(&b, "too long for four bytes") == -1,
	    "a full buffer is reported");
	buf_free(&b);
	done_testing();
}
