/* SPDX-License-Identifier: GPL-2.0-or-later */
/* header.c - unit tests for the bounded header block and header helpers */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "header.h"
#include "util.h"
#include "tap.h"

/* feed - feed a NUL-free text line by line; returns the last result */
static int
feed(struct header_block *hb, const char *text, const char **rest)
{
	const char	*p = text, *nl;
	int		 rc = HEADER_MORE;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		rc = header_block_feed_line(hb, p, (size_t)(nl - p));
		if (rc != HEADER_MORE) {
			if (rest != NULL)
				*rest = rc == HEADER_BODY ? p : (*nl ? nl + 1 : nl);
			return rc;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (rest != NULL)
		*rest = p;
	return rc;
}

/* written - the block as text (static storage for short tests) */
static const char *
written(const struct header_block *hb)
{
	static struct buf	out;

	buf_free(&out);
	buf_init(&out, 1 << 20);
	if (header_write(hb, &out) == -1)
		return "(write failed)";
	return buf_cstr(&out);
}

/* read_file - whole test data file */
static char *
read_file(const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		*path, *data;
	FILE		*fp;
	long		 n;

	path = xasprintf("%s/tests/unit/data/%s", top ? top : "..", name);
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	data[n] = '\0';
	fclose(fp);
	return data;
}

static void
test_feed(void)
{
	struct header_block	hb;
	const char		*rest, *v;
	size_t			 len;
	int			 i;

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "Subject: hi\nTo: a@b,\n c@d\n\nbody\n", &rest),
	    HEADER_END, "blank line ends the header");
	is_str(rest, "body\n", "body follows the blank line");
	is_int((long long)header_count(&hb), 2, "two fields");
	is_str(header_value(&hb, 1), "a@b, c@d", "unfolded value");
	v = header_raw_value(&hb, 1, &len);
	ok(len == 10 && memcmp(v, " a@b,\n c@d", 10) == 0, "raw value keeps "
	    "folding");
	is_int(header_find(&hb, "to", 0), 1, "find is case-insensitive");
	is_int(header_find(&hb, "TO", 2), -1, "find from past the end");
	is_int(header_find(&hb, "Cc", 0), -1, "find missing");
	ok(header_block_feed_line(&hb, "X: y", 4) == -1 && errno == EINVAL,
	    "feeding after the end is refused");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "Subject: hi\nthis is body\n", &rest), HEADER_BODY,
	    "a non-header line ends the header");
	is_str(rest, "this is body\n", "the non-header line is body");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "just text\nTo: x\n", &rest), HEADER_BODY,
	    "no header at all");
	is_int((long long)header_count(&hb), 0, "no fields");
	ok(!hb.from_dropped, "no From_ line");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, " continued\n", &rest), HEADER_BODY,
	    "leading continuation is body");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "From root Mon Nov 23 22:50:46 2026\nTo: a\n\n",
	    NULL), HEADER_END, "mbox From_ line");
	ok(hb.from_dropped, "From_ line dropped and reported");
	is_str(written(&hb), "To: a\n", "From_ line not kept");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "From : obsolete form\nSubject : x\n\n", NULL),
	    HEADER_END, "obsolete 'Name :' form");
	ok(!hb.from_dropped, "'From :' is a header, not a From_ line");
	is_str(header_value(&hb, 0), "obsolete form", "obsolete value");
	is_int(header_find(&hb, "subject", 0), 1, "obsolete name found");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "To: a\nFrom x\n", NULL), HEADER_BODY,
	    "From_ line not first is body");
	header_block_free(&hb);

	header_block_init(&hb, 4096);
	is_int(feed(&hb, "X-Empty:\nX-Sp:   \n\n", NULL), HEADER_END,
	    "empty values");
	is_str(header_value(&hb, 0), "", "empty value");
	is_str(header_value(&hb, 1), "", "blank value");
	ok(header_value(&hb, 2) == NULL, "value out of range is NULL");
	header_block_free(&hb);

	/* limits: exactly max bytes fit, one more does not */
	header_block_init(&hb, 20);
	is_int(header_block_feed_line(&hb, "Subject: 123456789", 18),
	    HEADER_MORE, "19 bytes fit in 20");
	ok(header_block_feed_line(&hb, " X", 2) == -1 && errno == EMSGSIZE,
	    "continuation past the limit: EMSGSIZE");
	ok(header_block_feed_line(&hb, "X: y", 4) == -1 && errno == EMSGSIZE,
	    "field past the limit: EMSGSIZE");
	is_int(header_block_feed_line(&hb, "", 0), HEADER_END,
	    "separator still recognised after EMSGSIZE");
	header_block_free(&hb);
	/* only header lines count: a body line past the limit ends it */
	header_block_init(&hb, 20);
	is_int(header_block_feed_line(&hb, "Subject: 1234567890", 19),
	    HEADER_MORE, "20 bytes fit in 20");
	is_int(header_block_feed_line(&hb, "X", 1), HEADER_BODY,
	    "a line that is not a header field past the limit: body");
	is_int((long long)hb.size, 20, "the body line is not counted");
	header_block_free(&hb);
	header_block_init(&hb, 20);
	is_int(header_block_feed_line(&hb, "Subject: 1234567890", 19),
	    HEADER_MORE, "20 bytes fit in 20");
	ok(header_block_feed_line(&hb, " ", 1) == -1 && errno == EMSGSIZE,
	    "one byte more: EMSGSIZE");
	header_block_free(&hb);

	/* NUL and 8-bit bytes in a line are kept */
	header_block_init(&hb, 4096);
	is_int(header_block_feed_line(&hb, "X-Bin: a\0b\xff", 11), HEADER_MORE,
	    "NUL and 8-bit in a value");
	v = header_raw(&hb, 0, &len);
	ok(len == 12 && memcmp(v, "X-Bin: a\0b\xff\n", 12) == 0,
	    "raw bytes intact");
	header_block_free(&hb);

	/* many fields: bounded by HEADER_FIELDS_MAX */
	header_block_init(&hb, 1 << 20);
	for (i = 0; i < HEADER_FIELDS_MAX; i++)
		if (header_block_feed_line(&hb, "A:", 2) != HEADER_MORE)
			break;
	is_int(i, HEADER_FIELDS_MAX, "HEADER_FIELDS_MAX fields accepted");
	ok(header_block_feed_line(&hb, "A:", 2) == -1 && errno == EMSGSIZE,
	    "one field more: EMSGSIZE");
	is_int((long long)header_remove(&hb, "a"), HEADER_FIELDS_MAX,
	    "remove all");
	is_int((long long)hb.size, 0, "size back to 0");
	header_block_free(&hb);

	/* a field name of exactly HEADER_NAME_MAX, and one longer */
	{
		char	line[HEADER_NAME_MAX + 3];

		memset(line, 'N', sizeof(line));
		line[HEADER_NAME_MAX] = ':';
		header_block_init(&hb, 4096);
		is_int(header_block_feed_line(&hb, line, HEADER_NAME_MAX + 1),
		    HEADER_MORE, "longest name accepted");
		header_block_free(&hb);
		line[HEADER_NAME_MAX] = 'N';
		line[HEADER_NAME_MAX + 1] = ':';
		header_block_init(&hb, 4096);
		is_int(header_block_feed_line(&hb, line, HEADER_NAME_MAX + 2),
		    HEADER_BODY, "longer name is not a header");
		header_block_free(&hb);
	}
}

static void
test_edit(void)
{
	struct header_block	hb;
	size_t			 len;
	char			 big[150];

	header_block_init(&hb, 200);
	feed(&hb, "To: a\nBcc: x\nSubject: s\nbcc: y,\n z\n\n", NULL);
	is_int((long long)header_remove(&hb, "Bcc"), 2, "removed both Bcc");
	is_str(written(&hb), "To: a\nSubject: s\n", "Bcc gone, rest intact");
	ok(!header_has(&hb, "bcc"), "no Bcc left");
	ok(header_add(&hb, "Date", "Mon, 1 Jan 2024 00:00:00 +0000") == 0,
	    "add Date");
	ok(header_add(&hb, "Empty", "") == 0, "add empty value");
	is_str(written(&hb), "To: a\nSubject: s\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\nEmpty:\n", "added fields");
	is_str(header_value(&hb, 2), "Mon, 1 Jan 2024 00:00:00 +0000",
	    "added value readable");
	ok(header_add(&hb, "Bad Name", "x") == -1 && errno == EINVAL,
	    "add: space in name refused");
	ok(header_add(&hb, "Bad:", "x") == -1 && errno == EINVAL,
	    "add: colon in name refused");
	ok(header_add(&hb, "", "x") == -1 && errno == EINVAL,
	    "add: empty name refused");
	ok(header_add(&hb, "X", "a\r\nBcc: evil") == -1 && errno == EINVAL,
	    "add: CRLF injection refused");
	ok(header_add(&hb, "X", "a\nBcc: evil") == -1 && errno == EINVAL,
	    "add: LF injection refused");
	ok(header_add(&hb, "X", "a\n") == -1 && errno == EINVAL,
	    "add: trailing LF refused");
	ok(header_add(&hb, "X", "a\n\tfolded") == 0, "add: folded value ok");
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(header_add(&hb, "X", big) == -1 && errno == EMSGSIZE,
	    "add past the maximum: EMSGSIZE");
	ok(header_replace_value(&hb, 0, "b@example.org") == 0, "replace");
	ok(header_replace_value(&hb, 1, " raw  value") == 0, "replace raw");
	ok(header_replace_value(&hb, 9, "x") == -1 && errno == EINVAL,
	    "replace out of range");
	ok(header_replace_value(&hb, 0, "x\rBcc: y") == -1 && errno == EINVAL,
	    "replace: CR refused");
	is_str(header_value(&hb, 0), "b@example.org", "replaced value");
	is_str(written(&hb), "To: b@example.org\nSubject: raw  value\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\nEmpty:\nX: a\n\tfolded\n",
	    "replaced fields");
	ok(header_remove_at(&hb, 4) == 0 && header_remove_at(&hb, 4) == -1,
	    "remove_at in and out of range");
	ok(header_name(&hb, 1, &len) != NULL && len == 7, "name length");
	header_block_free(&hb);

	/* replace keeps the name as written, obsolete spacing included */
	header_block_init(&hb, 200);
	feed(&hb, "tO :x\n\n", NULL);
	ok(header_replace_value(&hb, 0, "y") == 0 &&
	    strcmp(written(&hb), "tO : y\n") == 0, "replace keeps 'tO :'");
	header_block_free(&hb);
}

static void
test_golden(void)
{
	struct header_block	 hb;
	struct buf		 out, q;
	const char		*names[] = { "From", "To", "Cc", "Reply-To" };
	const char		*rest, *raw;
	char			*in, *ref, *val;
	size_t			 i, len;
	int			 idx;
	bool			 changed;

	in = read_file("header-qualify.in");
	ref = read_file("header-qualify.ref");
	if (in == NULL || ref == NULL) {
		ok(0, "golden files readable (top_srcdir set?)");
		free(in);
		free(ref);
		return;
	}
	header_block_init(&hb, 64 * 1024);
	is_int(feed(&hb, in, &rest), HEADER_END, "golden: header ends");
	is_str(rest, "body line\n", "golden: body follows");
	ok(hb.from_dropped, "golden: From_ line dropped");
	is_int((long long)header_remove(&hb, "bcc"), 1, "golden: Bcc removed");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		for (idx = header_find(&hb, names[i], 0); idx >= 0;
		    idx = header_find(&hb, names[i], (size_t)idx + 1)) {
			raw = header_raw_value(&hb, (size_t)idx, &len);
			buf_init(&q, 64 * 1024);
			ok(addr_qualify_header_mem(raw, len, "example.org", &q,
			    &changed) == 0, "golden: qualify %s", names[i]);
			if (changed) {
				val = buf_steal(&q);
				ok(header_replace_value(&hb, (size_t)idx, val)
				    == 0, "golden: replace %s", names[i]);
				free(val);
			}
			buf_free(&q);
		}
	}
	buf_init(&out, 64 * 1024);
	ok(header_write(&hb, &out) == 0, "golden: write");
	is_str(buf_cstr(&out), ref, "golden: header-qualify.ref");
	buf_free(&out);
	header_block_free(&hb);
	free(in);
	free(ref);
}

static void
test_date_msgid(void)
{
	char	d[HEADER_DATE_SIZE], m[HEADER_MSGID_SIZE], m2[HEADER_MSGID_SIZE];

	setenv("TZ", "UTC", 1);
	tzset();
	ok(header_date(1795474246, d, sizeof(d)) == 0, "date UTC");
	is_str(d, "Mon, 23 Nov 2026 22:50:46 +0000", "date UTC text");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	ok(header_date(1795474246, d, sizeof(d)) == 0, "date +0530");
	is_str(d, "Tue, 24 Nov 2026 04:20:46 +0530", "half-hour zone");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	ok(header_date(1795474246, d, sizeof(d)) == 0, "date -0330");
	is_str(d, "Mon, 23 Nov 2026 19:20:46 -0330", "negative half hour");
	setenv("TZ", "Asia/Kathmandu", 1);
	tzset();
	ok(header_date(0, d, sizeof(d)) == 0, "date epoch Kathmandu");
	is_str(d, "Thu, 1 Jan 1970 05:30:00 +0530", "1970 Kathmandu +0530");
	setenv("TZ", "UTC", 1);
	tzset();
	ok(header_date(0, d, 10) == -1 && errno == ERANGE,
	    "date into a small buffer: ERANGE");

	ok(header_message_id("example.org", m, sizeof(m)) == 0, "msgid");
	ok(m[0] == '<' && m[15] == '.' && strstr(m, "@example.org>") != NULL
	    && m[strlen(m) - 1] == '>', "msgid shape %s", m);
	ok(header_message_id("example.org", m2, sizeof(m2)) == 0 &&
	    strcmp(m, m2) != 0, "two msgids differ");
	ok(header_message_id("[192.0.2.1]", m, sizeof(m)) == 0, "literal ok");
	ok(header_message_id("a b", m, sizeof(m)) == -1 && errno == EINVAL,
	    "msgid: space in domain refused");
	ok(header_message_id("x>\r\nBcc: y", m, sizeof(m)) == -1 &&
	    errno == EINVAL, "msgid: injection refused");
	ok(header_message_id("", m, sizeof(m)) == -1, "msgid: empty domain");
	ok(header_message_id("a..b", m, sizeof(m)) == -1, "msgid: a..b");
	ok(header_message_id("example.org", m, 20) == -1 && errno == ERANGE,
	    "msgid: small buffer");
}

/* phrase - encode_phrase into a fresh buffer; "ERR" on -1 */
static char *
phrase(const char *name)
{
	struct buf	b;

	buf_init(&b, 4096);
	if (header_encode_phrase(name, &b) == -1) {
		buf_free(&b);
		return xstrdup("ERR");
	}
	return buf_steal(&b);
}

static void
check_phrase(const char *name, const char *want, const char *what)
{
	char	*got = phrase(name);

	is_str(got, want, what);
	ok(strpbrk(got, "\r\n") == NULL, "%s: no CR/LF", what);
	free(got);
}

static void
test_phrase(void)
{
	struct buf	b;
	char		long_name[HEADER_PHRASE_MAX + 2];

	check_phrase("Cron Daemon", "Cron Daemon", "plain atoms");
	check_phrase("CronDaemon", "CronDaemon", "one atom");
	check_phrase("  spaced   out  ", "spaced out", "spaces collapsed");
	check_phrase("John Q. Public", "\"John Q. Public\"", "dot quoted");
	check_phrase("Doe, John", "\"Doe, John\"", "comma quoted");
	check_phrase("a \"b\" \\c", "\"a \\\"b\\\" \\\\c\"", "escapes");
	check_phrase("x <y@z>", "\"x <y@z>\"", "angle quoted");
	check_phrase("=?UTF-8?B?eA==?=", "\"=?UTF-8?B?eA==?=\"",
	    "encoded-word lookalike quoted");
	check_phrase("J\xc3\xb6rg", "=?UTF-8?B?SsO2cmc=?=", "UTF-8 B-encoded");
	check_phrase("Evil\r\nBcc: victim@example.com",
	    "\"Evil Bcc: victim@example.com\"", "CRLF becomes space");
	check_phrase("a\nb", "a b", "LF becomes space");
	check_phrase("tab\there", "tab here", "tab becomes space");
	check_phrase("\x01\x02", "", "only controls: empty");
	check_phrase("", "", "empty");
	check_phrase("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac",
	    "=?UTF-8?B?4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs"
	    "4oKs4oKs?= =?UTF-8?B?4oKs?=", "long UTF-8 split on a character");
	memset(long_name, 'a', sizeof(long_name));
	long_name[HEADER_PHRASE_MAX] = '\0';
	buf_init(&b, 4096);
	ok(header_encode_phrase(long_name, &b) == 0 &&
	    b.len == HEADER_PHRASE_MAX, "longest name accepted");
	buf_free(&b);
	long_name[HEADER_PHRASE_MAX] = 'a';
	long_name[HEADER_PHRASE_MAX + 1] = '\0';
	ok(header_encode_phrase(long_name, &b) == -1 && errno == EMSGSIZE,
	    "longer name refused");
	buf_init(&b, 8);
	FIXTURE(buf_puts(&b, "From:"));
	ok(header_encode_phrase("toolong", &b) == -1 && errno == EMSGSIZE &&
	    strcmp(buf_cstr(&b), "From:") == 0,
	    "full output: EMSGSIZE, output unchanged");
	buf_free(&b);
}

int
main(void)
{
	test_feed();
	test_edit();
	test_golden();
	test_date_msgid();
	test_phrase();
	return done_testing();
}
