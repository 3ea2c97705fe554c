/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mime7bit.c - libFuzzer target for the 8BITMIME downgrade.  The first
 * byte picks a chunk size; the rest is converted three ways: (1) as a
 * whole message, which must give 7-bit output with lines of at most 998
 * octets, within MIME7BIT_OUT_MAX per call, and the same bytes (or the
 * same refusal) fed in chunks as in one shot; (2) as the body of a plain
 * message and (3) as the text part of a multipart, whose
 * quoted-printable must decode back to the input exactly (the decoder
 * here is the target's own, RFC 2045 6.7) in lines of at most 76.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime7bit.h"

#define FUZZ_OUT_MAX	(64 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* convert - in[0..n) in chunks of chunk into out; 0, or -1 refused */
static int
convert(const char *in, size_t n, size_t chunk, struct buf *out)
{
	struct mime7bit	*m = mime7bit_new();
	size_t		 off, k, before;
	int		 rc = 0;

	for (off = 0; off < n && rc == 0; off += k) {
		k = n - off < chunk ? n - off : chunk;
		before = out->len;
		rc = mime7bit_feed(m, in + off, k, out);
		if (out->len - before > MIME7BIT_OUT_MAX(k))
			abort();
	}
	if (rc == 0)
		rc = mime7bit_finish(m, out);
	if (rc == -1 && mime7bit_reason(m) == NULL)
		abort();		/* out full: cannot be */
	mime7bit_free(m);
	return rc;
}

/*
 * check_7bit - abort unless 7-bit with lines <= 998 (a NUL is passed on
 * as it came: the spool never holds one, the front end removes them)
 */
static void
check_7bit(const struct buf *b)
{
	size_t	i, col = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c >= 0x80)
			abort();
		col = c == '\n' ? 0 : col + 1;
		if (col > 998)
			abort();
	}
}

/* qp_decode - RFC 2045 6.7; abort on a malformed or over-long line */
static void
qp_decode(const char *s, size_t n, struct buf *out)
{
	static const char	hex[] = "0123456789ABCDEF";
	const char		*a, *b;
	size_t			 i, col = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			if (col > 76 || (i > 0 && (s[i - 1] == ' ' ||
			    s[i - 1] == '\t')))
				abort();
			col = 0;
			if (buf_putc(out, '\n') == -1)
				abort();
			continue;
		}
		if (++col > 76)
			abort();
		if (s[i] != '=') {
			if (buf_putc(out, s[i]) == -1)
				abort();
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\n') {
			i++;
			col = 0;
			continue;
		}
		if (i + 2 >= n || s[i + 1] == '\0' || s[i + 2] == '\0' ||
		    (a = strchr(hex, s[i + 1])) == NULL ||
		    (b = strchr(hex, s[i + 2])) == NULL)
			abort();
		if (buf_putc(out, (char)((a - hex) * 16 + (b - hex))) == -1)
			abort();
		i += 2;
		col += 2;
		if (col > 76)
			abort();
	}
}

/*
 * roundtrip - pre + data + post converts, and the quoted-printable
 * between the output's first "quoted-printable" header end and mark (at
 * the end) decodes to data
 */
static void
roundtrip(const char *pre, const char *data, size_t size, const char *post,
    const char *mark, size_t chunk)
{
	struct buf	in, out, dec;
	const char	*p, *e;

	buf_init(&in, FUZZ_OUT_MAX);
	buf_init(&out, FUZZ_OUT_MAX);
	buf_init(&dec, FUZZ_OUT_MAX);
	if (buf_puts(&in, pre) == -1 || buf_append(&in, data, size) == -1 ||
	    buf_puts(&in, post) == -1)
		abort();
	if (convert(in.data, in.len, chunk, &out) == -1)
		abort();		/* a text body always converts */
	check_7bit(&out);
	p = memmem(out.data, out.len, "quoted-printable\n\n", 18);
	if (p == NULL)
		abort();
	p += 18;
	e = out.data + out.len - strlen(mark);
	if (e < p || memcmp(e, mark, strlen(mark)) != 0)
		abort();
	qp_decode(p, (size_t)(e - p), &dec);
	/*
	 * exactly the input: its own last line end is kept, a missing one
	 * is a soft break, and the line end before a delimiter is the
	 * delimiter's (RFC 2046 5.1.1)
	 */
	if (dec.len != size ||
	    (size > 0 && memcmp(dec.data, data, size) != 0))
		abort();
	buf_free(&in);
	buf_free(&out);
	buf_free(&dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	a, b;
	size_t		chunk;
	int		ra, rb;
	const char	*d;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	d = (const char *)data + 1;
	size--;
	buf_init(&a, FUZZ_OUT_MAX);
	buf_init(&b, FUZZ_OUT_MAX);
	ra = convert(d, size, size + 1, &a);
	rb = convert(d, size, chunk, &b);
	if (ra != rb)
		abort();
	if (ra == 0) {
		check_7bit(&a);
		if (a.len != b.len || (a.len > 0 &&
		    memcmp(a.data, b.data, a.len) != 0))
			abort();
	}
	buf_free(&a);
	buf_free(&b);
	/* the input as a plain body: decodes back exactly */
	roundtrip("Subject: f\n\n", d, size, "", "", chunk);
	/* as a text part, unless it holds the delimiter */
	if (memmem(d, size, "--Z", 3) == NULL)
		roundtrip("Content-Type: multipart/mixed; boundary=Z\n\n--Z\n"
		    "Content-Type: text/plain\n\n", d, size, "\n--Z--\n",
		    "\n--Z--\n", chunk);
	return 0;
}
