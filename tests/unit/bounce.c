/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bounce.c - unit tests for DSN generation: golden reports (Date,
 * Message-ID and boundary injected through struct bounce_info), a MIME
 * structure check that parses every report back, and hostile originals
 * and diagnostics.  BOUNCE_REGEN=1 rewrites the .ref files (review them).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "tap.h"
#include "util.h"

#define T_OUT_MAX	(64u << 20)
#define T_SEED		"TEST"
#define T_BOUNDARY0	"=_postern_TEST_0000"

/* t_write - write_fn collecting into a struct buf */
static int
t_write(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static int	t_fail_after;

/* t_write_fail - write_fn that fails with ENOSPC after t_fail_after calls */
static int
t_write_fail(void *ctx, const void *p, size_t n)
{
	if (t_fail_after-- <= 0) {
		errno = ENOSPC;
		return -1;
	}
	return buf_append(ctx, p, n);
}

/* t_fd - a seekable file holding prefix then data, positioned at data */
static int
t_fd(const char *prefix, const char *data, size_t n)
{
	FILE	*f = tmpfile();
	int	 fd;

	if (f == NULL)
		abort();
	fd = dup(fileno(f));
	fclose(f);
	if (fd < 0 || write(fd, prefix, strlen(prefix)) !=
	    (ssize_t)strlen(prefix) || write(fd, data, n) != (ssize_t)n ||
	    lseek(fd, (off_t)strlen(prefix), SEEK_SET) == (off_t)-1)
		abort();
	return fd;
}

/* t_info - the deterministic report used by most tests */
static void
t_info(struct bounce_info *info)
{
	memset(info, 0, sizeof(*info));
	info->reporting_mta = "relay.example.org";
	info->domain = "example.org";
	info->orig_sender = "alice@example.org";
	info->queue_id = "65A1B2C30001234ABCDE";
	info->arrival = 1700000000;
	info->ret_full = 1;
	info->reason_summary = "The remote server rejected the recipient.";
	info->max_return_size = 1 << 20;
	info->now = 1700003600;
	info->message_id = "<65A1B2C30001234ABCDE.dsn@example.org>";
	info->boundary_seed = T_SEED;
}

static const struct bounce_rcpt t_rcpts[] = {
	{ "bob@example.net", "rfc822;bob@example.net", "failed", "5.1.1",
	    "mx.example.net", "smtp; 550 5.1.1 <bob@example.net>: no such user",
	    1700003500 },
	{ "carol@example.net", NULL, "failed", "5.7.1", NULL,
	    "connection refused by policy", 0 },
};

static const char t_orig[] =
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net, carol@example.net\n"
    "Subject: lunch\n"
    "Message-ID: <m1@example.org>\n"
    "\n"
    "Shall we meet at noon?\n";

/* t_gen - run bounce_generate over an in-memory original */
static int
t_gen(const struct bounce_info *info, const struct bounce_rcpt *r, size_t n,
    const char *orig, size_t olen, struct buf *out)
{
	struct buf	err;
	int		fd, rc, e;

	buf_init(&err, 4096);
	buf_reset(out);
	fd = t_fd("ENVELOPE-JUNK\n\n", orig, olen);
	rc = bounce_generate(info, r, n, fd, t_write, out, &err);
	e = errno;
	if (rc != 0)
		diag("bounce_generate: %s", buf_cstr(&err));
	close(fd);
	buf_free(&err);
	errno = e;
	return rc;
}

/* t_count - occurrences of needle in the output */
static size_t
t_count(const struct buf *b, const char *needle)
{
	size_t		 n = 0, nl = strlen(needle);
	const char	*p = b->data, *end = b->data + b->len;

	while (p != NULL && (size_t)(end - p) >= nl &&
	    (p = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
		n++;
		p += nl;
	}
	return n;
}

struct t_shape {
	char	boundary[128];
	size_t	parts;
	char	ctype[4][128];
	size_t	rcpt_blocks;		/* blank-line groups after the first */
	size_t	long_lines;		/* > 998 octets, outside part 3 */
	bool	ok;
};

/*
 * t_parse - check the MIME structure of a report: the boundary from the
 * top-level Content-Type, delimiter lines only at part starts, exactly one
 * close delimiter as the last line, no other line beginning with
 * "--boundary", no CR or NUL anywhere, each part's Content-Type, and the
 * recipient groups of part 2.
 */
static void
t_parse(const struct buf *b, struct t_shape *s)
{
	const char	*p = b->data, *end = b->data + b->len, *nl, *q;
	size_t		 blen = 0, len, part_line = 0, groups = 0;
	bool		 in_head = true, closed = false, part_head = false;
	bool		 blank_prev = false;

	memset(s, 0, sizeof(*s));
	s->ok = b->len > 0 && b->data[b->len - 1] == '\n' &&
	    memchr(b->data, '\r', b->len) == NULL &&
	    memchr(b->data, '\0', b->len) == NULL;
	q = memmem(b->data, b->len, "\tboundary=\"", 11);
	if (q == NULL) {
		s->ok = false;
		return;
	}
	q += 11;
	while (q < end && *q != '"' && blen < sizeof(s->boundary) - 1)
		s->boundary[blen++] = *q++;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)(nl - p);
		if (closed) {
			s->ok = false;	/* nothing after the close */
			break;
		}
		if (len > 998 && s->parts < 3)
			s->long_lines++;
		if (len >= 2 + blen && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, s->boundary, blen) == 0) {
			if (len == 2 + blen) {
				s->parts++;
				part_head = true;
				part_line = 0;
				groups = 0;
				blank_prev = false;
				in_head = false;
			} else if (len == 4 + blen && p[len - 1] == '-' &&
			    p[len - 2] == '-')
				closed = true;
			else
				s->ok = false;	/* a lookalike */
			continue;
		}
		if (in_head || s->parts == 0)
			continue;
		if (part_head) {
			if (len == 0) {
				part_head = false;
				continue;
			}
			if (s->parts <= 4 && len > 14 &&
			    strncmp(p, "Content-Type: ", 14) == 0)
				snprintf(s->ctype[s->parts - 1], 128, "%.*s",
				    (int)(len - 14), p + 14);
			continue;
		}
		part_line++;
		if (s->parts == 2) {
			if (len == 0)
				blank_prev = true;
			else if (blank_prev) {
				groups++;
				blank_prev = false;
			}
			s->rcpt_blocks = groups;
		}
	}
	if (!closed)
		s->ok = false;
}

/* t_golden - compare with tests/unit/data/<name>, or rewrite it */
static void
t_golden(const struct buf *b, const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096];
	FILE		*f;
	struct buf	 want;
	char		 chunk[4096];
	size_t		 n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
	    top != NULL ? top : ".", name);
	if (getenv("BOUNCE_REGEN") != NULL) {
		f = fopen(path, "w");
		ok(f != NULL && fwrite(b->data, 1, b->len, f) == b->len &&
		    fclose(f) == 0, "regenerated %s", name);
		return;
	}
	buf_init(&want, T_OUT_MAX);
	if ((f = fopen(path, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			FIXTURE(buf_append(&want, chunk, n));
		fclose(f);
	}
	if (!ok(want.len == b->len && memcmp(want.data, b->data, b->len) == 0,
	    "output matches %s", name))
		printf("# --- got:\n%s# ---\n", buf_cstr(b));
	buf_free(&want);
}

/* t_max_line - longest line in [p, p+n) */
static size_t
t_max_line(const char *p, size_t n)
{
	size_t	max = 0, cur = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (cur > max)
				max = cur;
			cur = 0;
		} else
			cur++;
	}
	return cur > max ? cur : max;
}

static void
test_golden(struct buf *out)
{
	struct bounce_info	info;
	struct t_shape		s;
	struct bounce_rcpt	u[1];

	t_info(&info);
	ok(t_gen(&info, t_rcpts, 2, t_orig, strlen(t_orig), out) == 0,
	    "failure report generated");
	t_golden(out, "bounce-fail.ref");
	t_parse(out, &s);
	ok(s.ok, "failure report: MIME structure sound");
	is_str(s.boundary, T_BOUNDARY0, "boundary from the injected seed");
	is_int((long long)s.parts, 3, "three parts");
	is_str(s.ctype[0], "text/plain; charset=us-ascii", "part 1 type");
	is_str(s.ctype[1], "message/delivery-status", "part 2 type");
	is_str(s.ctype[2], "message/rfc822", "part 3 type");
	is_int((long long)s.rcpt_blocks, 2, "two recipient blocks");
	is_int((long long)s.long_lines, 0, "no generated line over 998");
	ok(t_count(out, "ENVELOPE-JUNK") == 0,
	    "reading starts at the descriptor's offset");
	ok(t_count(out, "Original-Recipient: rfc822;bob@example.net\n") == 1 &&
	    t_count(out, "Diagnostic-Code: X-Postern; connection refused") ==
	    1, "ORCPT kept, untyped diagnostic gets X-Postern");

	info.ret_full = 0;
	ok(t_gen(&info, t_rcpts, 2, t_orig, strlen(t_orig), out) == 0,
	    "headers-only report generated");
	t_golden(out, "bounce-headers.ref");
	t_parse(out, &s);
	ok(s.ok && s.parts == 3, "headers-only: structure sound");
	is_str(s.ctype[2], "text/rfc822-headers", "headers-only part 3 type");
	ok(t_count(out, "Shall we meet") == 0, "headers-only: no body");
	ok(t_count(out, "Subject: lunch\n") == 1, "headers-only: headers");

	t_info(&info);
	info.delayed = 1;
	info.ret_full = 0;
	info.reason_summary = "The server has not answered for 4 hours.";
	u[0] = t_rcpts[0];
	u[0].action = "delayed";
	u[0].status = "4.4.1";
	u[0].diagnostic = "smtp; 421 4.4.1 try again later";
	ok(t_gen(&info, u, 1, t_orig, strlen(t_orig), out) == 0,
	    "delay warning generated");
	t_golden(out, "bounce-delay.ref");
	ok(t_count(out, "Subject: Delayed Mail (still being retried)\n") == 1,
	    "delay subject");
	t_parse(out, &s);
	ok(s.ok && s.rcpt_blocks == 1, "delay: one recipient block");

	t_info(&info);
	u[0] = t_rcpts[0];
	u[0].addr = "b\xc3\xbc" "cher@b\xc3\xbc" "cher.example";
	u[0].orcpt = "utf-8;b\xc3\xbc" "cher@b\xc3\xbc" "cher.example";
	ok(t_gen(&info, u, 1, t_orig, strlen(t_orig), out) == 0,
	    "UTF-8 recipient report generated");
	t_golden(out, "bounce-utf8.ref");
	t_parse(out, &s);
	ok(s.ok, "UTF-8: structure sound");
	is_str(s.ctype[1], "message/global-delivery-status",
	    "UTF-8: global delivery status");
	ok(t_count(out, "Final-Recipient: utf-8; b\xc3\xbc" "cher@") == 1,
	    "UTF-8: utf-8 address type");
	ok(t_count(out, "report-type=global-delivery-status;") == 1,
	    "UTF-8: report type");
	is_str(s.ctype[0], "text/plain; charset=utf-8", "UTF-8: text charset");
}

static void
test_eightbit(struct buf *out)
{
	struct bounce_info	info;
	struct t_shape		s;
	const char		*body8 = "Subject: x\n\ncaf\xc3\xa9\n";
	const char		*head8 = "Subject: caf\xc3\xa9\n\nbody\n";

	t_info(&info);
	ok(t_gen(&info, t_rcpts, 1, body8, strlen(body8), out) == 0,
	    "8-bit body");
	t_parse(out, &s);
	ok(s.ok && strcmp(s.ctype[2], "message/rfc822") == 0 &&
	    t_count(out, "Content-Transfer-Encoding: 8bit\n") == 2,
	    "8-bit body: message/rfc822, 8bit at top and in part 3");
	ok(t_gen(&info, t_rcpts, 1, head8, strlen(head8), out) == 0,
	    "8-bit header");
	t_parse(out, &s);
	is_str(s.ctype[2], "message/global", "8-bit header: message/global");
	info.ret_full = 0;
	ok(t_gen(&info, t_rcpts, 1, head8, strlen(head8), out) == 0,
	    "8-bit header, headers only");
	t_parse(out, &s);
	is_str(s.ctype[2], "message/global-headers",
	    "8-bit header, headers only: message/global-headers");
}

static void
test_truncation(struct buf *out)
{
	struct bounce_info	 info;
	struct t_shape		 s;
	size_t			 n = 100000, i;
	char			*big = malloc(n + 1);
	const char		*p3;

	memcpy(big, "Subject: big\n\n", 14);
	for (i = 14; i < n; i++)
		big[i] = (i % 61 == 60) ? '\n' : 'a' + (char)(i % 26);
	big[n - 1] = '\n';
	big[n] = '\0';
	t_info(&info);
	info.max_return_size = 1000;
	ok(t_gen(&info, t_rcpts, 1, big, n, out) == 0, "truncated report");
	t_parse(out, &s);
	ok(s.ok && s.parts == 3, "truncated: structure sound");
	ok(t_count(out, "It was cut to its first 1000 bytes") == 1 &&
	    t_count(out, "Content-Description: Undelivered Message (cut to "
	    "1000 bytes)\n") == 1, "truncation noted in text and part header");
	p3 = strstr(out->data, "Content-Type: message/rfc822\n\n");
	ok(p3 != NULL && strlen(p3 + 30) <= 1000 + 1 + 1 +
	    strlen("--" T_BOUNDARY0 "--\n"), "at most 1000 bytes returned");
	info.max_return_size = 0;
	ok(t_gen(&info, t_rcpts, 1, big, n, out) == 0 &&
	    t_count(out, "cut to") == 0 && out->len > n,
	    "max_return_size 0 returns everything");
	free(big);
}

static void
test_hostile(struct buf *out)
{
	struct bounce_info	 info;
	struct bounce_rcpt	 r[1];
	struct t_shape		 s;
	struct buf		 orig, err;
	size_t			 i;
	char			*diag;
	const char		*crnul;
	int			 fd, p[2];

	buf_init(&orig, T_OUT_MAX);
	t_info(&info);

	/* the original holds the first candidates as line starts */
	FIXTURE(buf_puts(&orig, "Subject: x\n\n--" T_BOUNDARY0 "\n"
	    "--=_postern_TEST_0001--\n--=_postern_TEST_0003 x\n"
	    "--=_postern_TEST_000\n"));
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == 0,
	    "colliding original");
	t_parse(out, &s);
	ok(s.ok, "colliding original: structure sound");
	is_str(s.boundary, "=_postern_TEST_0002", "first free candidate used");
	ok(t_count(out, "\n--" T_BOUNDARY0 "\n") == 1,
	    "the original's lookalike line is returned intact");

	/* CR ends a line: "\r--boundary" would be a line start to parsers */
	crnul = "Subject: a\r\nX-A: b\rX-B: c\0d\n\nbody\r--" T_BOUNDARY0
	    "\r\nend";
	ok(t_gen(&info, t_rcpts, 1, crnul, 60, out) == 0,
	    "CR and NUL original");
	t_parse(out, &s);
	ok(s.ok, "CR/NUL: structure sound, no CR or NUL in the output");
	is_str(s.boundary, "=_postern_TEST_0001", "CR-started lookalike seen");
	ok(t_count(out, "X-B: cd\n") == 1 && t_count(out, "\nend\n") == 1,
	    "NUL dropped, final line ended");

	/* every candidate taken: the injected seed cannot be replaced */
	buf_reset(&orig);
	for (i = 0; i < 10000; i++)
		FIXTURE(buf_printf(&orig, "--=_postern_TEST_%04zu\n", i));
	errno = 0;
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == -1 &&
	    errno == EEXIST, "all candidates taken: EEXIST");
	info.boundary_seed = NULL;
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == 0,
	    "all taken, random seed: a fresh seed is used");
	t_parse(out, &s);
	ok(s.ok && strncmp(s.boundary, "=_postern_", 10) == 0 &&
	    strcmp(s.boundary, T_BOUNDARY0) != 0, "random boundary %s",
	    s.boundary);
	info.boundary_seed = T_SEED;

	/* a 1 MB header line, whole and headers only */
	buf_reset(&orig);
	FIXTURE(buf_puts(&orig, "Subject: "));
	for (i = 0; i < (1u << 20); i++)
		FIXTURE(buf_putc(&orig, 'x'));
	FIXTURE(buf_puts(&orig, "\nX-After: 1\n\nbody\n"));
	info.max_return_size = 0;
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == 0,
	    "1 MB header line");
	t_parse(out, &s);
	ok(s.ok && s.long_lines == 0 && s.parts == 3,
	    "1 MB header line: structure sound, only part 3 long");
	info.ret_full = 0;
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == 0 &&
	    t_count(out, "X-After: 1\n") == 1 && t_count(out, "body\n") == 0,
	    "1 MB header line, headers only");
	/* a header section that never ends */
	buf_reset(&orig);
	for (i = 0; i < 100; i++)
		FIXTURE(buf_printf(&orig, "X-H%zu: v\n", i));
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len - 1, out) == 0 &&
	    t_count(out, "X-H99: v\n") == 1, "endless header section");
	t_parse(out, &s);
	ok(s.ok, "endless header section: structure sound");
	/* a first line that is no header: nothing to return */
	ok(t_gen(&info, t_rcpts, 1, "no header\n\nx\n", 13, out) == 0,
	    "headers-only with no header");
	t_parse(out, &s);
	ok(s.ok && s.parts == 2, "nothing to return: two parts");
	info.ret_full = 1;

	/* hostile diagnostic and summary */
	diag = malloc(20001);
	for (i = 0; i < 20000; i++)
		diag[i] = (i % 97 == 0) ? '\n' : (i % 89 == 0) ? '\001' :
		    (i % 13 == 0) ? ' ' : 'z';
	memcpy(diag, "smtp; 550\n--" T_BOUNDARY0 "\r\n", 33);
	diag[20000] = '\0';
	r[0] = t_rcpts[0];
	r[0].diagnostic = diag;
	r[0].remote_mta = "mx\r\nBcc: evil@example.com";
	r[0].addr = "x\n--" T_BOUNDARY0 "@example.net";
	info.reason_summary = "--" T_BOUNDARY0 " a summary\nwith --lines";
	ok(t_gen(&info, r, 1, t_orig, strlen(t_orig), out) == 0,
	    "hostile diagnostic");
	t_parse(out, &s);
	ok(s.ok && s.long_lines == 0, "hostile diagnostic: structure sound");
	ok(t_max_line(out->data, out->len) <= 998, "no line over 998");
	ok(t_count(out, "\nBcc:") == 0, "no injected header");
	ok(t_count(out, "...") >= 1, "long diagnostic cut and marked");
	ok(t_count(out, "\001") == 0, "control characters removed");
	free(diag);

	/* a word longer than a line */
	diag = malloc(3001);
	memset(diag, 'q', 3000);
	diag[3000] = '\0';
	r[0] = t_rcpts[0];
	r[0].diagnostic = diag;
	ok(t_gen(&info, r, 1, t_orig, strlen(t_orig), out) == 0 &&
	    t_max_line(out->data, out->len) <= 998, "3000-byte word folded");
	free(diag);

	/* a generated "--" line at full length: the guard space must fit */
	diag = malloc(3001);
	memset(diag, 'z', 3000);
	memcpy(diag, "--" T_BOUNDARY0, 21);
	diag[3000] = '\0';
	info.reason_summary = diag;
	ok(t_gen(&info, t_rcpts, 1, t_orig, strlen(t_orig), out) == 0 &&
	    t_max_line(out->data, out->len) <= 998, "long \"--\" summary: "
	    "no line over 998 (%zu)", t_max_line(out->data, out->len));
	t_parse(out, &s);
	ok(s.ok, "long \"--\" summary: structure sound");
	info.reason_summary = "x";
	free(diag);

	/* a UTF-8 sender alone keeps the ASCII report types */
	info.orig_sender = "j\xc3\xbcrgen@example.org";
	ok(t_gen(&info, t_rcpts, 1, t_orig, strlen(t_orig), out) == 0 &&
	    t_count(out, "To: <j\xc3\xbcrgen@example.org>\n") == 1,
	    "UTF-8 sender in To:");
	t_parse(out, &s);
	ok(s.ok && strcmp(s.ctype[1], "message/delivery-status") == 0 &&
	    t_count(out, "Content-Transfer-Encoding") == 0,
	    "UTF-8 sender: message/delivery-status, 7bit parts");
	info.orig_sender = "alice@example.org";

	/* an empty original */
	ok(t_gen(&info, t_rcpts, 1, "", 0, out) == 0, "empty original");
	t_parse(out, &s);
	ok(s.ok && s.parts == 2 && t_count(out, "nothing to return") == 1,
	    "empty original: two parts, said so");

	/* errors */
	buf_init(&err, 4096);
	errno = 0;
	ok(t_gen(&info, t_rcpts, 0, t_orig, 1, out) == -1 && errno == EINVAL,
	    "no recipients: EINVAL");
	info.orig_sender = "";
	errno = 0;
	ok(t_gen(&info, t_rcpts, 1, t_orig, 1, out) == -1 && errno == EINVAL,
	    "null sender: EINVAL");
	t_info(&info);
	info.boundary_seed = "bad seed";
	ok(t_gen(&info, t_rcpts, 1, t_orig, 1, out) == -1 && errno == EINVAL,
	    "bad seed: EINVAL");
	t_info(&info);
	if (pipe(p) == -1)
		abort();
	errno = 0;
	ok(bounce_generate(&info, t_rcpts, 1, p[0], t_write, out, &err) == -1 &&
	    errno == ESPIPE && err.len > 0, "pipe: ESPIPE with a message");
	close(p[0]);
	close(p[1]);
	fd = t_fd("", t_orig, strlen(t_orig));
	buf_reset(out);
	t_fail_after = 0;
	errno = 0;
	ok(bounce_generate(&info, t_rcpts, 1, fd, t_write_fail, out, &err) ==
	    -1 && errno == ENOSPC, "writer failure: its errno returned");
	close(fd);
	buf_free(&err);
	buf_free(&orig);
}

/*
 * t_returned - the returned part's header section (its lines, without
 * their LF) in *head: NULL when the report has no returned part
 */
static const char *
t_returned(const struct buf *out, const char *ctype, size_t *hlen)
{
	char		 want[128];
	const char	*p, *e;

	snprintf(want, sizeof(want), "Content-Type: %s\n", ctype);
	if ((p = memmem(out->data, out->len, want, strlen(want))) == NULL ||
	    (p = memmem(p, (size_t)(out->data + out->len - p), "\n\n",
	    2)) == NULL)
		return NULL;
	p += 2;
	if ((e = memmem(p, (size_t)(out->data + out->len - p), "\n\n",
	    2)) == NULL && (e = memmem(p, (size_t)(out->data + out->len - p),
	    "\n--" T_BOUNDARY0, strlen("\n--" T_BOUNDARY0))) == NULL)
		return NULL;
	*hlen = (size_t)(e - p) + 1;	/* the last line's LF */
	return p;
}

/*
 * t_unfold_check - the first field of a returned header section
 * [p, p+n) against the submitted line: every line at most 998 octets
 * (the dot the agent stuffs before a dot-led line does not count, RFC
 * 5321 4.5.3.1.6); each continuation starts with white space; unfolding
 * (removing the LF before it) gives back the line exactly when it had
 * white space to fold at; else the pieces are 998 octets each and
 * continue with one inserted space; each fold is at the last white space
 * that fits; the next field is "X-After: 1".  Returns NULL or what is
 * wrong.
 */
static const char *
t_unfold_check(const char *p, size_t n, const char *line, size_t len,
    bool wsp)
{
	static char	 why[160];
	const char	*end = p + n, *nl;
	size_t		 got = 0, plen, k, max = 998;
	bool		 first = true;

	for (; p < end; p = nl + 1, first = false) {
		nl = memchr(p, '\n', (size_t)(end - p));
		plen = (size_t)(nl - p);
		if (!first && p[0] != ' ' && p[0] != '\t')
			break;		/* the next field */
		if (plen > max) {
			snprintf(why, sizeof(why), "a line of %zu octets",
			    plen);
			return why;
		}
		k = 0;
		if (!first && !wsp) {
			if (p[0] != ' ') {
				snprintf(why, sizeof(why), "a cut continues "
				    "with no space");
				return why;
			}
			k = 1;	/* the inserted space */
		}
		if (got + plen - k > len || memcmp(line + got, p + k,
		    plen - k) != 0) {
			snprintf(why, sizeof(why), "differs at octet %zu", got);
			return why;
		}
		got += plen - k;
		if (got < len && wsp) {
			/* folded at the last white space that fits */
			for (k = 1; got + k < len && line[got + k] != ' '; k++)
				;
			if (got + k < len && plen + k <= max) {
				snprintf(why, sizeof(why), "folded at octet "
				    "%zu, though white space at %zu fits",
				    got, got + k);
				return why;
			}
		} else if (got < len && plen != max) {
			snprintf(why, sizeof(why), "cut at %zu octets, not %zu",
			    plen, max);
			return why;
		}
	}
	if (got != len) {
		snprintf(why, sizeof(why), "%zu of %zu octets returned", got,
		    len);
		return why;
	}
	if ((size_t)(end - p) < 11 || memcmp(p, "X-After: 1\n", 11) != 0) {
		snprintf(why, sizeof(why), "the next field is not X-After");
		return why;
	}
	return NULL;
}

/*
 * test_long_header - a returned header line over 998 octets is folded
 * like the agent folds it on the wire (hfold.c): it sits in the DSN's
 * body, where the wire code would cut it with no white space and the
 * rest would become a broken line of its own
 */
static void
test_long_header(struct buf *out)
{
	static const size_t	 lens[] = { 997, 998, 999, 1000, 20000 };
	struct bounce_info	 info;
	struct buf		 orig;
	struct t_shape		 s;
	char			*line;
	const char		*h, *why;
	size_t			 i, k, hlen;
	int			 wsp, full, dot;

	buf_init(&orig, T_OUT_MAX);
	line = xmalloc(20001);
	t_info(&info);
	for (dot = 0; dot <= 1; dot++)
	for (wsp = 0; wsp <= 1; wsp++)
	for (full = 0; full <= 1; full++)
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		/* "Subject: " then words of 9 octets and a space, or
		   "Subject:" and one word (no white space at all) */
		k = (size_t)snprintf(line, 20001, "%s%s", dot ? ".Dot:" :
		    "Subject:", wsp ? " " : "");
		for (; k < lens[i]; k++)
			line[k] = wsp && k % 10 == 9 && k + 1 < lens[i] ? ' ' :
			    (char)('a' + k % 26);
		line[k] = '\0';
		buf_reset(&orig);
		FIXTURE(buf_append(&orig, line, lens[i]));
		FIXTURE(buf_puts(&orig, "\nX-After: 1\n\nbody\n"));
		info.ret_full = full;
		if (t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) != 0) {
			ok(0, "%s%zu-octet header line %s white space, %s: "
			    "generated", dot ? "dot-led " : "", lens[i],
			    wsp ? "with" : "without", full ? "RET=FULL" :
			    "headers only");
			continue;
		}
		t_parse(out, &s);
		h = t_returned(out, full ? "message/rfc822" :
		    "text/rfc822-headers", &hlen);
		why = h == NULL ? "no returned part" :
		    t_unfold_check(h, hlen, line, lens[i], wsp ||
		    lens[i] <= 998);
		ok(s.ok && why == NULL && t_max_line(out->data, out->len) <=
		    998 && (!full || t_count(out, "\n\nbody\n") == 1),
		    "%s%zu-octet header line %s white space, %s: folded, "
		    "unfolds to the original%s%s", dot ? "dot-led " : "",
		    lens[i], wsp ? "with" : "without", full ? "RET=FULL" :
		    "headers only", why ? ": " : "", why ? why : "");
	}
	/*
	 * a header section over max_return_size is cut there too, folds
	 * counted, and the report says so (only reachable when
	 * max_header_size is raised above the agent's 1 MiB)
	 */
	buf_reset(&orig);
	FIXTURE(buf_puts(&orig, "Subject: x\nX-Big:"));
	for (i = 0; i < 300; i++)
		FIXTURE(buf_puts(&orig, " word"));
	FIXTURE(buf_puts(&orig, "\nX-After: 1\n\nbody\n"));
	info.ret_full = 0;
	info.max_return_size = 1000;
	h = NULL;
	ok(t_gen(&info, t_rcpts, 1, orig.data, orig.len, out) == 0 &&
	    (h = t_returned(out, "text/rfc822-headers", &hlen)) != NULL &&
	    t_max_line(out->data, out->len) <= 998 &&
	    t_count(out, "It was cut to its first 1000 bytes") == 1 &&
	    t_count(out, "X-After") == 0,
	    "a header section over max_return_size: cut, folded lines, said");
	if (h != NULL) {
		const char *e = strstr(h, "\n--" T_BOUNDARY0 "--\n");

		ok(e != NULL && (size_t)(e - h) <= 1000 + 1,
		    "... at most 1000 bytes returned (%zu)",
		    e != NULL ? (size_t)(e - h) : 0);
	}
	free(line);
	buf_free(&orig);
}

static void
test_random(struct buf *out)
{
	struct bounce_info	info;
	struct t_shape		s1, s2;
	struct buf		out2;

	buf_init(&out2, T_OUT_MAX);
	t_info(&info);
	info.boundary_seed = NULL;
	info.message_id = NULL;
	info.now = 0;
	ok(t_gen(&info, t_rcpts, 2, t_orig, strlen(t_orig), out) == 0 &&
	    t_gen(&info, t_rcpts, 2, t_orig, strlen(t_orig), &out2) == 0,
	    "two production reports");
	t_parse(out, &s1);
	t_parse(&out2, &s2);
	ok(s1.ok && s2.ok && strcmp(s1.boundary, s2.boundary) != 0,
	    "random boundaries differ");
	ok(t_count(out, "Message-ID: <65A1B2C30001234ABCDE.") == 1 &&
	    t_count(out, ".dsn@example.org>\n") == 1, "generated Message-ID");
	ok(t_count(out, "From: Mail Delivery System "
	    "<MAILER-DAEMON@example.org>\n") == 1, "default From");
	buf_free(&out2);
}

int
main(void)
{
	struct buf	out;

	buf_init(&out, T_OUT_MAX);
	test_golden(&out);
	test_eightbit(&out);
	test_truncation(&out);
	test_hostile(&out);
	test_long_header(&out);
	test_random(&out);
	buf_free(&out);
	return done_testing();
}
