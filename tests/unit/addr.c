/* SPDX-License-Identifier: GPL-2.0-or-later */
/* addr.c - unit tests for address parsing, qualification and checks */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "util.h"
#include "tap.h"

/* vis - printable copy of s for a test name (static storage) */
static const char *
vis(const char *s)
{
	static char	out[2][256];
	static int	k;
	char		*o = out[k ^= 1];
	size_t		n = 0;

	for (; *s != '\0' && n < sizeof(out[0]) - 5; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			n += (size_t)snprintf(o + n, 5, "\\x%02x",
			    (unsigned char)*s);
		else
			o[n++] = *s;
	}
	o[n] = '\0';
	return o;
}

/* parse_join - parse value; "a|b|c" of the results, or "ERR: reason" */
static char *
parse_join(const char *value, size_t len)
{
	struct addr_list	l;
	struct buf		out, err;
	size_t			i;
	char			*s;

	addr_list_init(&l);
	buf_init(&out, 1 << 20);
	buf_init(&err, 1024);
	if (addr_parse_header_mem(value, len, &l, &err) == -1)
		FIXTURE(buf_printf(&out, "ERR: %s", buf_cstr(&err)));
	else
		for (i = 0; i < l.n; i++)
			FIXTURE(buf_printf(&out, "%s%s", i ? "|" : "", l.v[i]));
	s = buf_steal(&out);
	addr_list_free(&l);
	buf_free(&err);
	return s;
}

/* check_parse - expect got to equal want; want "ERR" matches any error */
static void
check_parse(const char *value, const char *want)
{
	char	*got = parse_join(value, strlen(value));

	if (strcmp(want, "ERR") == 0) {
		if (!ok(strncmp(got, "ERR: ", 5) == 0, "rejects [%s]", vis(value)))
			diag("got: %s", got);
		else
			ok(strlen(got) > 20, "reason for [%s]: %s", vis(value),
			    got + 5);
	} else {
		char	what[256];

		snprintf(what, sizeof(what), "parse [%s]", vis(value));
		is_str(got, want, what);
	}
	free(got);
}

/* check_qualify - addr_qualify_header result */
static void
check_qualify(const char *value, const char *want, bool want_changed)
{
	struct buf	out;
	bool		changed = !want_changed;
	char		what[256];

	buf_init(&out, 1 << 20);
	snprintf(what, sizeof(what), "qualify [%s]", vis(value));
	if (want == NULL) {
		ok(addr_qualify_header(value, "example.org", &out, &changed)
		    == -1 && errno == EINVAL && !changed, "%s fails", what);
	} else {
		ok(addr_qualify_header(value, "example.org", &out, &changed)
		    == 0, "%s returns 0", what);
		is_str(buf_cstr(&out), want, what);
		ok(changed == want_changed, "%s changed=%d", what,
		    want_changed);
	}
	buf_free(&out);
}

static void
test_parse(void)
{
	check_parse("user@example.com", "user@example.com");
	check_parse("root", "root");
	check_parse("  root  ", "root");
	check_parse("a@b, c@d", "a@b|c@d");
	check_parse("John Doe <jd@example.com>", "jd@example.com");
	check_parse("\"Doe, John\" <jd@example.com>, x@y", "jd@example.com|x@y");
	check_parse("John Q. Public <jqp@example.com>", "jqp@example.com");
	check_parse("<jd@example.com>", "jd@example.com");
	check_parse("\"Cron Daemon\" <root>", "root");
	check_parse("root (Cron Daemon)", "root");
	check_parse("(c) a(x)@(y)b(z) (w)", "a@b");
	check_parse("a (nested (comment \\) here) ok) @ b", "a@b");
	check_parse("<@r1.example,@r2.example:user@example.com>",
	    "user@example.com");
	check_parse("undisclosed-recipients:;", "");
	check_parse("friends: a@b, c@d; e@f", "a@b|c@d|e@f");
	check_parse("friends: a@b, \"X\" <c@d>", "a@b|c@d");
	check_parse("\"a b\"@example.com", "\"a b\"@example.com");
	check_parse("\"ab\"@example.com", "ab@example.com");
	check_parse("\"a\\\"b\"@x", "\"a\\\"b\"@x");
	check_parse("\"a\\b\"@x", "ab@x");
	check_parse("a.\"b\".c@x", "a.b.c@x");
	check_parse("a..b@docomo.example", "\"a..b\"@docomo.example");
	check_parse("user@[192.0.2.1]", "user@[192.0.2.1]");
	check_parse("user@[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]");
	check_parse("j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	check_parse("J\xc3\xb6rg <j@x>", "j@x");
	check_parse("a@b,,, ,c@d,", "a@b|c@d");
	check_parse(",", "");
	check_parse("", "");
	check_parse("a@b,\r\n c@d", "a@b|c@d");
	check_parse("Long Name\n <a@b>", "a@b");
	check_parse("\"folded\r\n quoted\"@x", "\"folded quoted\"@x");
	check_parse("a @ b . c", "a@b.c");
	check_parse("<>", "");
	check_parse("Nobody <>, a@b", "a@b");
	check_parse("a@b (trailing comment)", "a@b");
	check_parse("foo@bar <real@example.com>", "real@example.com");
	check_parse("user+tag@example.com", "user+tag@example.com");
	check_parse("!#$%&'*+-/=?^_`{|}~@x", "!#$%&'*+-/=?^_`{|}~@x");

	/* errors */
	check_parse("a b@c", "ERR");
	check_parse("(((", "ERR");
	check_parse("a@b (", "ERR");
	check_parse("a@b )", "ERR");
	check_parse("\"unterminated@x", "ERR");
	check_parse("\"ends in backslash\\", "ERR");
	check_parse("a@[1.2.3.4", "ERR");
	check_parse("a@[1.[2]", "ERR");
	check_parse("a@b]", "ERR");
	check_parse("<a@b", "ERR");
	check_parse("a@b>", "ERR");
	check_parse("<a@b> junk", "ERR");
	check_parse("<a@b junk>", "ERR");
	check_parse("a@", "ERR");
	check_parse("@b", "ERR");
	check_parse("a@b.", "ERR");
	check_parse("a@b..c", "ERR");
	check_parse("a@b c", "ERR");
	check_parse("g: h: a@b;;", "ERR");
	check_parse("a@b;", "ERR");
	check_parse("<@r1 user@x>", "ERR");
	check_parse("a\\b@c", "ERR");
	check_parse("a\x01@b", "ERR");
	check_parse("\"a\x01\"@b", "ERR");
	check_parse("a@b\x7f", "ERR");
	check_parse("\"a\\\r\nb\"@x, c\x1b@d", "ERR");
}

static void
test_hostile(void)
{
	struct addr_list	l;
	struct buf		err, out;
	char			*big, *got;
	size_t			i, n;
	bool			changed;

	addr_list_init(&l);
	buf_init(&err, 1024);

	/* 100k nested comments: no recursion, no crash */
	n = 100000;
	big = xmalloc(2 * n + 8);
	memcpy(big, "a@b ", 4);
	memset(big + 4, '(', n);
	memset(big + 4 + n, ')', n);
	big[4 + 2 * n] = '\0';
	got = parse_join(big, strlen(big));
	is_str(got, "a@b", "100k nested comments are skipped");
	free(got);
	big[4 + 2 * n - 1] = '\0';	/* one ')' short */
	got = parse_join(big, strlen(big));
	ok(strncmp(got, "ERR: unbalanced '('", 19) == 0,
	    "100k nested comments one short: unbalanced");
	free(got);
	free(big);

	/* 10k commas */
	n = 10000;
	big = xmalloc(n + 8);
	memset(big, ',', n);
	memcpy(big + n, "a@b", 4);
	got = parse_join(big, strlen(big));
	is_str(got, "a@b", "10k commas then one address");
	free(got);
	free(big);

	/* exactly ADDR_LIST_MAX addresses, then one more */
	big = xmalloc(ADDR_LIST_MAX * 2 + 8);
	for (i = 0; i < ADDR_LIST_MAX; i++) {
		big[2 * i] = 'a';
		big[2 * i + 1] = ',';
	}
	big[2 * ADDR_LIST_MAX] = '\0';
	ok(addr_parse_header(big, &l, &err) == 0 && l.n == ADDR_LIST_MAX,
	    "ADDR_LIST_MAX addresses accepted");
	addr_list_free(&l);
	big[2 * ADDR_LIST_MAX] = 'a';
	big[2 * ADDR_LIST_MAX + 1] = '\0';
	ok(addr_parse_header(big, &l, &err) == -1 &&
	    strstr(buf_cstr(&err), "ADDR_LIST_MAX") != NULL,
	    "ADDR_LIST_MAX + 1 addresses refused: %s", buf_cstr(&err));
	addr_list_free(&l);
	free(big);

	/* an address of ADDR_MAX_LEN bytes, and one more */
	big = xmalloc(ADDR_MAX_LEN + 8);
	memset(big, 'x', ADDR_MAX_LEN);
	big[ADDR_MAX_LEN - 2] = '@';
	big[ADDR_MAX_LEN] = '\0';
	ok(addr_parse_header(big, &l, &err) == 0 && l.n == 1 &&
	    strlen(l.v[0]) == ADDR_MAX_LEN, "998-byte address accepted");
	addr_list_free(&l);
	big[ADDR_MAX_LEN] = 'x';
	big[ADDR_MAX_LEN + 1] = '\0';
	ok(addr_parse_header(big, &l, &err) == -1 && l.n == 0,
	    "999-byte address refused: %s", buf_cstr(&err));
	free(big);

	/* huge quoted local part needing escapes overflows cleanly */
	big = xmalloc(1200);
	big[0] = '"';
	for (i = 1; i < 1100; i += 2) {
		big[i] = '\\';
		big[i + 1] = '"';
	}
	memcpy(big + 1101, "\"@x", 4);
	ok(addr_parse_header(big, &l, &err) == -1, "escaped local part "
	    "over the limit refused: %s", buf_cstr(&err));
	free(big);

	/* NUL bytes via explicit length */
	got = parse_join("a@b\0, evil@x", 12);
	ok(strncmp(got, "ERR: NUL byte", 13) == 0, "NUL in value refused");
	free(got);
	got = parse_join("\"a\0b\"@x", 7);
	ok(strncmp(got, "ERR: NUL byte", 13) == 0, "NUL in quotes refused");
	free(got);

	/* CR/LF injection attempts: folding is whitespace, never content */
	got = parse_join("a@b\r\nBcc: evil@x", 17);
	ok(strncmp(got, "ERR", 3) == 0, "injected header line refused: %s",
	    got);
	free(got);
	got = parse_join("\"x\r\nRCPT TO:<evil@x>\"@b", 23);
	ok(strchr(got, '\r') == NULL && strchr(got, '\n') == NULL,
	    "CR/LF never in a result: %s", got);
	free(got);

	/* many unbalanced quotes and brackets */
	got = parse_join("\"\"\"\"\"", 5);
	ok(strncmp(got, "ERR", 3) == 0, "odd quotes refused");
	free(got);
	got = parse_join("<<<<<<>>>>>>", 12);
	ok(strncmp(got, "ERR", 3) == 0, "nested angles refused");
	free(got);
	got = parse_join("[[[[]]]]", 8);
	ok(strncmp(got, "ERR", 3) == 0, "nested brackets refused");
	free(got);
	got = parse_join(":::;;;", 6);
	ok(strncmp(got, "ERR", 3) == 0, "group soup refused");
	free(got);

	buf_init(&out, 64);
	ok(addr_qualify_header("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
	    "bbbbbbbbbbbbbbbbbbbbbb", "example.org", &out, &changed) == -1 &&
	    errno == EMSGSIZE, "qualify into a full buffer: EMSGSIZE");
	buf_free(&out);
	buf_free(&err);
}

static void
test_qualify_header(void)
{
	check_qualify("root", "root@example.org", true);
	check_qualify("Logwatch", "Logwatch@example.org", true);
	check_qualify("\"Cron Daemon\" <root>",
	    "\"Cron Daemon\" <root@example.org>", true);
	check_qualify("root (Cron Daemon)", "root@example.org (Cron Daemon)",
	    true);
	check_qualify(" a@b.c, root,\n\t\"X Y\" <u@v> (c)",
	    " a@b.c, root@example.org,\n\t\"X Y\" <u@v> (c)", true);
	check_qualify("a@b", "a@b", false);
	check_qualify("  (just a comment)  ", "  (just a comment)  ", false);
	check_qualify("g: a, b@c;", "g: a@example.org, b@c;", true);
	check_qualify("\"a b\" (x), c.d", "\"a b\"@example.org (x), "
	    "c.d@example.org", true);
	check_qualify("<@r:root>", "<@r:root@example.org>", true);
	check_qualify("a b", NULL, false);
	check_qualify("(", NULL, false);
}

static void
test_arg_sender(void)
{
	struct addr_list	l;
	struct buf		err;
	char			*s;

	addr_list_init(&l);
	buf_init(&err, 1024);
	ok(addr_parse_arg("root", &l, &err) == 0 && l.n == 1 &&
	    strcmp(l.v[0], "root") == 0, "arg: bare name");
	ok(addr_parse_arg("a@b,Jo <c@d>", &l, &err) == 0 && l.n == 3 &&
	    strcmp(l.v[2], "c@d") == 0, "arg: list with a display name");
	ok(addr_parse_arg(" , ", &l, &err) == -1 &&
	    strstr(buf_cstr(&err), "no address") != NULL,
	    "arg: nothing is an error");
	ok(addr_parse_arg("a@b\nc", &l, &err) == -1, "arg: newline split");
	addr_list_free(&l);

	ok(addr_parse_sender("", &s, &err) == 0 && strcmp(s, "") == 0,
	    "sender: empty is null sender");
	free(s);
	ok(addr_parse_sender("<>", &s, &err) == 0 && strcmp(s, "") == 0,
	    "sender: <> is null sender");
	free(s);
	ok(addr_parse_sender(" <a@b> ", &s, &err) == 0 &&
	    strcmp(s, "a@b") == 0, "sender: <a@b>");
	free(s);
	ok(addr_parse_sender("a@b", &s, &err) == 0 && strcmp(s, "a@b") == 0,
	    "sender: a@b");
	free(s);
	ok(addr_parse_sender("www-data", &s, &err) == 0 &&
	    strcmp(s, "www-data") == 0, "sender: bare user");
	free(s);
	ok(addr_parse_sender("Me <me@x>", &s, &err) == 0 &&
	    strcmp(s, "me@x") == 0, "sender: display name form");
	free(s);
	ok(addr_parse_sender("a@b, c@d", &s, &err) == -1 && s == NULL &&
	    strstr(buf_cstr(&err), "more than one") != NULL,
	    "sender: two addresses refused");
	ok(addr_parse_sender("a@b\r\nRCPT TO:<x@y>", &s, &err) == -1 &&
	    s == NULL, "sender: CRLF injection refused");
	ok(addr_parse_sender("<a@b", &s, &err) == -1 && s == NULL,
	    "sender: unbalanced refused");
	/* issue 11: group syntax used to give the group's member */
	ok(addr_parse_sender("x:y;", &s, &err) == -1 && s == NULL &&
	    strstr(buf_cstr(&err), "group syntax") != NULL,
	    "sender: group syntax refused, not turned into its member");
	ok(addr_parse_sender("a@b.c X-Injected:1", &s, &err) == -1 &&
	    s == NULL, "sender: trailing 'header:value' refused");
	ok(addr_parse_sender("a@b.c;", &s, &err) == -1 && s == NULL,
	    "sender: trailing ';' refused");
	ok(addr_parse_sender("Team: a@b;", &s, &err) == -1 && s == NULL,
	    "sender: a group of one refused");
	ok(addr_parse_sender("<@r.example:a@b>", &s, &err) == 0 &&
	    strcmp(s, "a@b") == 0, "sender: a source route inside <> is fine");
	free(s);
	ok(addr_parse_sender("\"a:b;c\"@d", &s, &err) == 0 &&
	    strcmp(s, "\"a:b;c\"@d") == 0, "sender: ':' quoted is fine");
	free(s);
	ok(addr_parse_sender("a@b (note: x;)", &s, &err) == 0 &&
	    strcmp(s, "a@b") == 0, "sender: ':' in a comment is fine");
	free(s);
	buf_free(&err);
}

static void
test_simple(void)
{
	char	*s, big[400];

	ok(addr_is_qualified("a@b"), "a@b qualified");
	ok(!addr_is_qualified("a"), "a not qualified");
	ok(!addr_is_qualified("a@"), "a@ not qualified");
	ok(!addr_is_qualified("\"a@b\""), "quoted @ not qualified");
	ok(addr_is_qualified("\"a@b\"@c"), "quoted @ then real @ qualified");

	s = addr_qualify("root", "example.org");
	is_str(s, "root@example.org", "qualify bare");
	free(s);
	s = addr_qualify("a@b", "example.org");
	is_str(s, "a@b", "qualify keeps qualified");
	free(s);
	s = addr_qualify("a@", "example.org");
	is_str(s, "a@example.org", "qualify a@");
	free(s);
	s = addr_domain_masquerade("u@host.example.org", "example.org");
	is_str(s, "u@example.org", "masquerade replaces domain");
	free(s);
	s = addr_domain_masquerade("\"x@y\"@h", "d");
	is_str(s, "\"x@y\"@d", "masquerade skips quoted @");
	free(s);
	s = addr_domain_masquerade("u", "d");
	is_str(s, "u@d", "masquerade bare");
	free(s);

	ok(addr_is_utf8("j\xc3\xb6rg@x"), "utf8 detected");
	ok(!addr_is_utf8("jorg@x"), "ascii not utf8");

	ok(addr_valid_envelope(""), "envelope: empty (null sender)");
	ok(addr_valid_envelope("a@b.c"), "envelope: plain");
	ok(addr_valid_envelope("root"), "envelope: bare");
	ok(addr_valid_envelope("\"a b\"@c"), "envelope: quoted space");
	ok(addr_valid_envelope("\"a\\\"b\"@c"), "envelope: quoted-pair");
	ok(addr_valid_envelope("a@[1.2.3.4]"), "envelope: literal");
	ok(addr_valid_envelope("a@[IPv6:::1]"), "envelope: v6 literal");
	ok(addr_valid_envelope("j\xc3\xb6rg@x"), "envelope: utf8");
	ok(!addr_valid_envelope("a b@c"), "envelope: space");
	ok(!addr_valid_envelope("a@b\r\nRCPT TO:<x@y>"), "envelope: CRLF");
	ok(!addr_valid_envelope("a@b\n"), "envelope: LF");
	ok(!addr_valid_envelope("a\t@b"), "envelope: tab");
	ok(!addr_valid_envelope("a@b@c"), "envelope: two @");
	ok(!addr_valid_envelope("@b"), "envelope: empty local");
	ok(!addr_valid_envelope("a@"), "envelope: empty domain");
	ok(!addr_valid_envelope("<a@b>"), "envelope: angle brackets");
	ok(!addr_valid_envelope("a@b>"), "envelope: stray >");
	ok(!addr_valid_envelope("a,b@c"), "envelope: comma");
	ok(!addr_valid_envelope("\"a@b"), "envelope: unbalanced quote");
	ok(!addr_valid_envelope("\"a\"b@c"), "envelope: text after quote");
	ok(!addr_valid_envelope("a@\"b\""), "envelope: quoted domain");
	ok(!addr_valid_envelope("a@[1.2"), "envelope: unbalanced literal");
	ok(!addr_valid_envelope("a@[1.2]x"), "envelope: text after literal");
	ok(!addr_valid_envelope("a@b[1]"), "envelope: literal mid-domain");
	ok(!addr_valid_envelope("a\x7f@b"), "envelope: DEL");
	ok(!addr_valid_envelope("\"a\\\n\"@b"), "envelope: escaped LF");
	memset(big, 'a', sizeof(big));
	big[ADDR_ENVELOPE_MAX - 2] = '@';
	big[ADDR_ENVELOPE_MAX] = '\0';
	ok(addr_valid_envelope(big), "envelope: 256 bytes");
	big[ADDR_ENVELOPE_MAX] = 'a';
	big[ADDR_ENVELOPE_MAX + 1] = '\0';
	ok(!addr_valid_envelope(big), "envelope: 257 bytes");
}

int
main(void)
{
	test_parse();
	test_hostile();
	test_qualify_header();
	test_arg_sender();
	test_simple();
	return done_testing();
}
