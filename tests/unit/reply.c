/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reply.c - unit tests for the SMTP reply parser and EHLO capabilities */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ehlo.h"
#include "reply.h"
#include "tap.h"

/* parse_all - feed s in one go; returns the final status */
static enum reply_status
parse_all(struct reply_parser *p, const char *s)
{
	size_t	n = strlen(s), used;

	reply_reset(p);
	used = reply_feed(p, s, n);
	(void)used;
	return p->status;
}

/* expect_error - s is a protocol error with the given reason */
static void
expect_error(const char *s, size_t n, const char *reason, const char *what)
{
	struct reply_parser	p;
	size_t			off = 0, k;

	reply_init(&p);
	while (off < n && p.status != REPLY_ERROR) {
		k = reply_feed(&p, s + off, n - off);
		if (k == 0)
			break;
		off += k;
	}
	if (!ok(p.status == REPLY_ERROR && strcmp(p.reason, reason) == 0,
	    "%s", what))
		diag("status %d reason '%s'", p.status, p.reason);
	ok(reply_feed(&p, "250 ok\r\n", 8) == 0, "%s: error is sticky", what);
	reply_free(&p);
}

int
main(void)
{
	static const char ehlo[] =
	    "250-mail.example.org Hello\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n"
	    "250-8bitmime\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-DSN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-STARTTLS\r\n"
	    "250-AUTH PLAIN login XOAUTH2 bad!mech\r\n"
	    "250-AUTH=LOGIN CRAM-MD5\r\n"
	    "250-X-UNKNOWN foo\r\n"
	    "250 CHUNKING\r\n";
	struct reply_parser	p;
	struct ehlo_caps	caps;
	char			line[64], big[REPLY_LINE_MAX + 16];
	const char		*l;
	size_t			n, cut, used, len;
	int			good;
	char			*many;

	reply_init(&p);
	is_int(parse_all(&p, "220 mx.example ESMTP\r\n"), REPLY_COMPLETE,
	    "single line reply completes");
	is_int(p.reply.code, 220, "code 220");
	is_int((long long)p.reply.nlines, 1, "one line");
	l = reply_line(&p.reply, 0, &len);
	ok(l != NULL && len == 16 && memcmp(l, "mx.example ESMTP", 16) == 0,
	    "line text without code");
	is_str(reply_text_oneline(&p.reply, line, sizeof(line)),
	    "mx.example ESMTP", "oneline text");
	is_str(p.reply.enh, "", "no enhanced code on a banner");

	is_int(parse_all(&p, "550 5.1.1 <x@y>: unknown\r\n"), REPLY_COMPLETE,
	    "reply with enhanced code");
	is_str(p.reply.enh, "5.1.1", "enhanced code parsed");
	is_str(reply_text_oneline(&p.reply, line, sizeof(line)),
	    "<x@y>: unknown", "oneline drops the enhanced code");
	parse_all(&p, "250 5.1.1 mismatched class\r\n");
	is_str(p.reply.enh, "", "enhanced code class must match the reply");
	parse_all(&p, "250 2.0.0\r\n");
	is_str(p.reply.enh, "2.0.0", "enhanced code alone on the line");
	parse_all(&p, "451 4.7.1234 too many digits\r\n");
	is_str(p.reply.enh, "", "detail over 3 digits is not an enhanced code");
	parse_all(&p, "250 2.1.0x nope\r\n");
	is_str(p.reply.enh, "", "enhanced code must end at a space");

	is_int(parse_all(&p, "250\r\n"), REPLY_COMPLETE, "bare code line");
	is_int(p.reply.code, 250, "bare code value");
	is_int(parse_all(&p, "250 ok\n"), REPLY_COMPLETE, "LF-only line end");
	is_int(parse_all(&p, "250-a\r\n250-b\r\n"), REPLY_PARTIAL,
	    "continuation waits for the last line");

	/* multi-line split at every byte boundary */
	good = 1;
	n = strlen(ehlo);
	for (cut = 0; cut <= n; cut++) {
		reply_reset(&p);
		used = reply_feed(&p, ehlo, cut);
		if (used != cut || (cut < n && p.status != REPLY_PARTIAL))
			good = 0;
		used = reply_feed(&p, ehlo + cut, n - cut);
		if (p.status != REPLY_COMPLETE || p.reply.nlines != 12 ||
		    p.reply.code != 250)
			good = 0;
	}
	ok(good, "EHLO reply split at every byte boundary");
	ehlo_parse(&caps, &p.reply);
	ok(caps.ext == (EHLO_PIPELINING | EHLO_SIZE | EHLO_8BITMIME |
	    EHLO_SMTPUTF8 | EHLO_DSN | EHLO_ENHANCEDSTATUSCODES |
	    EHLO_STARTTLS | EHLO_AUTH | EHLO_CHUNKING), "every capability");
	is_int((long long)caps.size, 10240000, "SIZE value");
	is_str(caps.auth, "PLAIN LOGIN XOAUTH2 CRAM-MD5",
	    "AUTH and AUTH= merged, upper-cased, deduplicated, bad dropped");
	ok(ehlo_has_mech(&caps, "cram-md5"), "has_mech is case-insensitive");
	ok(!ehlo_has_mech(&caps, "CRAM"), "has_mech needs the whole name");

	parse_all(&p, "250-host\r\n250-SIZE\r\n250 AUTH=PLAIN\r\n");
	ehlo_parse(&caps, &p.reply);
	ok(caps.ext == (EHLO_SIZE | EHLO_AUTH) && caps.size == 0,
	    "SIZE without a value means no limit");
	is_str(caps.auth, "PLAIN", "old AUTH= form alone");
	parse_all(&p, "250-host\r\n250 SIZE 12x\r\n");
	ehlo_parse(&caps, &p.reply);
	ok(caps.ext == EHLO_SIZE && caps.size == 0, "bad SIZE value ignored");
	parse_all(&p, "250-host\r\n250 SIZEX\r\n");
	ehlo_parse(&caps, &p.reply);
	is_int(caps.ext, 0, "keyword prefix is not the keyword");
	parse_all(&p, "250 host PIPELINING\r\n");
	ehlo_parse(&caps, &p.reply);
	is_int(caps.ext, 0, "the greeting line is not a capability");

	/* two pipelined replies in one chunk come out one at a time */
	{
		const char	*two = "250 2.1.0 ok\r\n550 5.1.1 no\r\n";

		reply_reset(&p);
		used = reply_feed(&p, two, strlen(two));
		ok(p.status == REPLY_COMPLETE && used == 14 &&
		    p.reply.code == 250, "first pipelined reply");
		used = reply_feed(&p, two + 14, strlen(two) - 14);
		ok(p.status == REPLY_COMPLETE && p.reply.code == 550 &&
		    used == strlen(two) - 14, "second pipelined reply");
	}

	/* oneline bounds and sanitising */
	parse_all(&p, "554-5.7.1 first\x01line\r\n554-5.7.1\r\n"
	    "554 5.7.1 last \xff\r\n");
	is_str(reply_text_oneline(&p.reply, line, sizeof(line)),
	    "first?line last ?", "oneline joins, sanitises, skips empty");
	is_str(reply_text_oneline(&p.reply, line, 10), "first?...",
	    "oneline truncates with an ellipsis");

	expect_error("250-a\r\n251 b\r\n", 14,
	    "reply code changed within a multi-line reply", "mismatched codes");
	expect_error("hello\r\n", 7, "bad reply code", "garbage");
	expect_error("2x0 ok\r\n", 8, "bad reply code", "non-digit code");
	expect_error("150 ok\r\n", 8, "bad reply code", "first digit 1");
	expect_error("650 ok\r\n", 8, "bad reply code", "first digit 6");
	expect_error("25\r\n", 4, "malformed reply line", "short line");
	expect_error("\r\n", 2, "malformed reply line", "empty line");
	expect_error("250_ok\r\n", 8, "malformed reply line", "bad separator");
	expect_error("250 o\0k\r\n", 9, "NUL byte in reply", "NUL byte");
	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	expect_error(big, sizeof(big), "reply line too long",
	    "overlong line without a line end");
	{
		/* exactly REPLY_LINE_MAX octets plus CRLF is fine */
		char	*edge = malloc(REPLY_LINE_MAX + 2);

		memset(edge, 'b', REPLY_LINE_MAX);
		memcpy(edge, "250 ", 4);
		memcpy(edge + REPLY_LINE_MAX, "\r\n", 2);
		reply_reset(&p);
		reply_feed(&p, edge, REPLY_LINE_MAX + 2);
		ok(p.status == REPLY_COMPLETE, "line of exactly the maximum");
		edge[REPLY_LINE_MAX] = 'b';
		expect_error(edge, REPLY_LINE_MAX + 2, "reply line too long",
		    "line one over the maximum");
		free(edge);
	}
	many = malloc((REPLY_LINES_MAX + 1) * 8 + 1);
	for (n = 0; n <= REPLY_LINES_MAX; n++)
		memcpy(many + n * 8, "250-xx\r\n", 8);
	expect_error(many, (REPLY_LINES_MAX + 1) * 8, "too many reply lines",
	    "endless continuation");
	free(many);
	{
		/* under the line count but over the byte limit */
		size_t	 ln = 1500, k, count = REPLY_BYTES_MAX / ln + 2;
		char	*huge = malloc(ln * count);

		for (k = 0; k < count; k++) {
			memset(huge + k * ln, 'z', ln);
			memcpy(huge + k * ln, "250-", 4);
			memcpy(huge + k * ln + ln - 2, "\r\n", 2);
		}
		expect_error(huge, ln * count, "reply too long",
		    "oversized reply");
		free(huge);
	}
	reply_free(&p);
	reply_free(NULL);
	return done_testing();
}
