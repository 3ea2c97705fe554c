/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuefmt.c - unit tests of the queue tools' formatting: JSON escaping
 * of hostile strings (quotes, backslashes, controls, invalid UTF-8),
 * terminal-safe text, ages, id arguments and relay state lines.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "queuefmt.h"
#include "tap.h"

/* json - the literal for s, in a static buffer */
static const char *
json(const char *s)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (queuefmt_json_str(&b, s) == -1)
		return "(error)";
	return buf_cstr(&b);
}

/* text - the terminal-safe form of s */
static const char *
text(const char *s, bool keep_tab)
{
	static struct buf	b;

	buf_free(&b);
	buf_init(&b, 4096);
	if (queuefmt_text(&b, s, strlen(s), keep_tab) == -1)
		return "(error)";
	return buf_cstr(&b);
}

static void
test_json(void)
{
	struct buf	b;

	is_str(json("a@b.example"), "\"a@b.example\"", "json: plain");
	is_str(json(""), "\"\"", "json: empty");
	is_str(json(NULL), "null", "json: NULL is null");
	is_str(json("\"x\"\\y"), "\"\\\"x\\\"\\\\y\"",
	    "json: quotes and backslashes escaped");
	is_str(json("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"",
	    "json: short escapes");
	is_str(json("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
	    "json: other controls as \\u00XX");
	is_str(json("j\xc3\xb6rg@\xe4\xbe\x8b.example"),
	    "\"j\xc3\xb6rg@\xe4\xbe\x8b.example\"", "json: UTF-8 kept");
	is_str(json("\xf0\x9f\x93\xa7"), "\"\xf0\x9f\x93\xa7\"",
	    "json: 4-byte UTF-8 kept");
	is_str(json("a\xffz"), "\"a\xef\xbf\xbdz\"",
	    "json: invalid byte becomes U+FFFD");
	is_str(json("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: overlong form refused bytewise");
	is_str(json("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: surrogate refused");
	is_str(json("\xe4\xbe"), "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	    "json: cut sequence refused");
	is_str(json("\xe2\x80\xa8"), "\"\\u2028\"", "json: U+2028 escaped");
	is_str(json("\xc2\x9b"), "\"\xc2\x9b\"", "json: C1 is valid JSON");
	buf_init(&b, 4);
	buf_puts(&b, "ab");
	ok(queuefmt_json_str(&b, "cdef") == -1 && b.len == 2,
	    "json: a full buffer fails and leaves the contents");
	buf_free(&b);
}

static void
test_text(void)
{
	is_str(text("plain text", false), "plain text", "text: plain");
	is_str(text("a\x1b[31mred", false), "a?[31mred", "text: ESC replaced");
	is_str(text("a\tb", false), "a?b", "text: TAB replaced");
	is_str(text("a\tb", true), "a\tb", "text: TAB kept when asked");
	is_str(text("a\nb\x7f", true), "a?b?", "text: LF and DEL replaced");
	is_str(text("\xc2\x9b" "2J", false), "?2J",
	    "text: C1 CSI (U+009B) replaced");
	is_str(text("\x9b" "2J", false), "?2J", "text: raw 0x9b replaced");
	is_str(text("caf\xc3\xa9", false), "caf\xc3\xa9", "text: UTF-8 kept");
	is_str(text("a\xff\xfe", false), "a??", "text: invalid bytes");
}

static void
test_age(void)
{
	char	b[QUEUEFMT_AGE_MAX];

	is_str(queuefmt_age(0, b, sizeof(b)), "0s", "age 0");
	is_str(queuefmt_age(59, b, sizeof(b)), "59s", "age 59s");
	is_str(queuefmt_age(60, b, sizeof(b)), "1m", "age 1m");
	is_str(queuefmt_age(3599, b, sizeof(b)), "59m", "age 59m");
	is_str(queuefmt_age(7500, b, sizeof(b)), "2h05m", "age 2h05m");
	is_str(queuefmt_age(3 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "3d04h",
	    "age 3d04h");
	is_str(queuefmt_age(UINT64_MAX, b, sizeof(b)),
	    "213503982334601d07h", "age: huge fits");
}

static void
test_id(void)
{
	char	out[QID_LEN + 1];

	is_int(queuefmt_id_arg("655F0A2B0C1D20A3B4C5", out), 1, "id: full");
	is_str(out, "655F0A2B0C1D20A3B4C5", "id: full copied");
	is_int(queuefmt_id_arg("655f0a2b0c1d20a3b4c5", out), 1,
	    "id: lower case accepted");
	is_str(out, "655F0A2B0C1D20A3B4C5", "id: upper-cased");
	is_int(queuefmt_id_arg("655f", out), 0, "id: 4-digit prefix");
	is_str(out, "655F", "id: prefix upper-cased");
	is_int(queuefmt_id_arg("655", out), -1, "id: 3 digits refused");
	is_int(queuefmt_id_arg("655F0A2B0C1D20A3B4C5A", out), -1,
	    "id: 21 digits refused");
	is_int(queuefmt_id_arg("655G", out), -1, "id: non-hex refused");
	is_int(queuefmt_id_arg("../x", out), -1, "id: path refused");
	is_int(queuefmt_id_arg("", out), -1, "id: empty refused");
}

static void
test_relay(void)
{
	struct queuefmt_relay	r;
	char			long_reason[1000];

	ok(queuefmt_relay_parse("smtp.example.com:587 up", &r) == 0 &&
	    strcmp(r.name, "smtp.example.com:587") == 0 && !r.down,
	    "relay: up");
	ok(queuefmt_relay_parse("mx:25 down 1700000000 1700000600 3 "
	    "connect: Connection refused", &r) == 0 && r.down &&
	    r.down_since == 1700000000 && r.next_try == 1700000600 &&
	    r.failures == 3, "relay: down with times and count");
	is_str(r.reason, "connect: Connection refused", "relay: reason");
	ok(queuefmt_relay_parse("mx:25 down 1 2 3 a\x01" "b", &r) == 0 &&
	    strcmp(r.reason, "a?b") == 0, "relay: control in reason made ?");
	ok(queuefmt_relay_parse("mx:25 down 1 2 3 ", &r) == 0 &&
	    r.reason[0] == '\0', "relay: empty reason");
	ok(queuefmt_relay_parse("mx:25 sideways", &r) == -1 &&
	    errno == EINVAL, "relay: unknown state refused");
	ok(queuefmt_relay_parse("mx:25 down x 2 3 r", &r) == -1,
	    "relay: non-numeric time refused");
	ok(queuefmt_relay_parse("mx:25 down 1 2", &r) == -1,
	    "relay: missing fields refused");
	ok(queuefmt_relay_parse(" up", &r) == -1, "relay: empty name refused");
	ok(queuefmt_relay_parse("up", &r) == -1, "relay: no state refused");
	ok(queuefmt_relay_parse("mx:25 down 1 2 123456789012345678901 r",
	    &r) == -1, "relay: over-long number refused");
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	memcpy(long_reason, "m:1 down 1 2 3 ", 15);
	ok(queuefmt_relay_parse(long_reason, &r) == 0 &&
	    strlen(r.reason) == QUEUEFMT_RELAY_REASON_MAX,
	    "relay: long reason cut at the limit");
}

int
main(void)
{
	test_json();
	test_text();
	test_age();
	test_id();
	test_relay();
	return done_testing();
}
